import math

import pandas as pd
import pytest
import torch

import lib
from lib.distributions import OrthogonalPatterns
from lib.experiments.cnn_vs_fcn import count_support, shattering_net, smallest_m, support_inputs

EXPECTED = {
    "cnn_vs_fcn": {
        "model",
        "m",
        "seed",
        "lr",
        "fitted",
        "val_accuracy",
        "test_accuracy",
        "selected",
        "parameters",
    },
    "sample_gap": {"model", "m", "n", "d", "seed", "test_accuracy", "selected"},
    "fcn_shattering": {
        "method",
        "labels",
        "seed",
        "train_accuracy",
        "fitted",
        "inputs",
        "pattern_sets",
    },
    "noisy_orthogonal": {"model", "m", "noise", "seed", "test_accuracy", "selected"},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_quick_profile_tables(name):
    df = lib.run(name, "quick")
    assert isinstance(df, pd.DataFrame) and len(df) > 0
    assert EXPECTED[name] <= set(df.columns)
    assert not df.isna().any().any()
    if "selected" in df.columns:  # exactly one learning rate selected per point and seed
        keys = [c for c in ("model", "m", "n", "d", "noise", "seed") if c in df.columns]
        assert (df.groupby(keys)["selected"].sum() == 1).all()


def test_support_enumeration_matches_count():
    idx, y = support_inputs(3, 5)
    assert len(idx) == count_support(3, 5)["inputs"] == 2 * 3 * 3**2
    assert len({tuple(r) for r in idx.tolist()}) == len(idx)  # all distinct
    assert torch.equal((idx == 0).any(1), y > 0) and torch.equal(
        (idx == 1).sum(1) + (idx == 0).sum(1), torch.ones(len(y), dtype=torch.long)
    )
    sets = {(float(l), frozenset(r)) for r, l in zip(idx.tolist(), y.tolist())}
    assert len(sets) == count_support(3, 5)["pattern_sets"]


def test_shattering_net_realises_every_labelling():
    idx, _ = support_inputs(3, 5)
    X = OrthogonalPatterns(3, 5).to_inputs(idx)
    g = torch.Generator().manual_seed(0)
    for _ in range(5):
        y = torch.where(torch.rand(len(idx), generator=g) < 0.5, 1.0, -1.0)
        out = shattering_net(X, y)(X)[0]
        assert torch.allclose(out, y)


def test_smallest_m():
    table = pd.DataFrame(
        {
            "model": ["a"] * 3 + ["b"] * 2,
            "m": [5, 10, 20, 5, 10],
            "mean": [0.5, 0.96, 0.99, 0.2, 0.3],
        }
    )
    out = smallest_m(table, ["model"]).set_index("model")
    assert (
        out.loc["a", "m_star"] == 10
        and math.isnan(out.loc["b", "m_star"])
        and out.loc["b", "m_max"] == 10
    )
