"""Exact reproducibility on CPU (issue 7, item 3).

The same configuration and seed give bit-identical (torch.equal, not allclose) data, initial weights,
training curves, final weights and test accuracies, whatever the replica count around a replica, and
whether a result is computed directly, through `lib.sweep.run`, read back from the cache, or computed
in a fresh process with another number of torch threads (as the CLI or a notebook kernel would).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch

import _repro_toy as toy
from _toy_settings import ProfileSettings, by_profile
import lib.experiments  # noqa: F401  (fill the registry before a test swaps in a copy)
from lib import sweep
from lib.cache import ResultsCache
from lib.distributions import NoisyOrthogonalPatterns, OrthogonalPatterns
from lib import samples, xor_network
from lib.models import ConvPool, FullyConnected
from lib.training import accuracy, train

ROOT = Path(__file__).resolve().parent.parent
SEED = 11

# (n, d, k or width, m): shapes with different BLAS paths (tiny, wide-and-few-points, the book's)
CNN_SHAPES = [(6, 10, 8, 40), (3, 300, 3, 7), (20, 30, 50, 50)]
FCN_SHAPES = [(6, 10, 16, 40), (3, 60, 32, 7), (4, 8, 32, 20)]


def make(kind: str, shape: tuple[int, int, int, int], replicas: int, seed: int):
    n, d, width, _ = shape
    if kind == "cnn":
        return xor_network.xor_cnn(d, width, replicas=replicas, init_std=0.1, seed=seed)
    return FullyConnected(n * d, width, depth=3, replicas=replicas, seed=seed)


def outcome(
    kind, shape, replicas, seed, *, shared, loss="hinge", batch_size=None, steps=10, test_seed=None
):
    """Everything a run produces, one entry per replica: (loss curve, steps to fit, weights, accuracy on
    the test set of `test_seed`, default `seed`)."""
    n, d, _, m = shape
    dist = OrthogonalPatterns(n, d)
    X, y = dist.sample(m, seed=SEED) if shared else samples.training_sets(dist, m, seed, replicas)
    net = make(kind, shape, replicas, seed)
    res = train(net, X, y, lr=0.05, steps=steps, loss=loss, batch_size=batch_size, early_stop=False)
    acc = accuracy(net, *samples.test_set(dist, seed if test_seed is None else test_seed, 200))
    params = [p.detach() for p in net.parameters()]
    return [
        (res.loss[:, r], res.steps_to_fit[r], [p[r] for p in params], acc[r])
        for r in range(replicas)
    ]


def identical(a, b) -> bool:
    (la, sa, pa, aa), (lb, sb, pb, ab) = a, b
    return (
        torch.equal(la, lb)
        and torch.equal(sa, sb)
        and all(map(torch.equal, pa, pb))
        and torch.equal(aa, ab)
    )


def test_data_is_bit_identical_whatever_the_replica_count():
    dist = OrthogonalPatterns(7, 9, basis="random", seed=3)
    for R in (1, 3, 8):
        X, y = samples.training_sets(dist, 30, SEED, R)
        for r in range(R):
            Xr, yr = dist.sample(30, seed=samples.TRAIN_SEED_OFFSET + SEED + r)
            assert torch.equal(X[r], Xr) and torch.equal(y[r], yr)
    X1, y1 = samples.test_set(dist, SEED)
    X2, y2 = samples.test_set(OrthogonalPatterns(7, 9, basis="random", seed=3), SEED)
    assert torch.equal(X1, X2) and torch.equal(y1, y2)


@pytest.mark.parametrize("kind", ["cnn", "fcn"])
def test_initial_weights_are_bit_identical_whatever_the_replica_count(kind):
    shape = (4, 6, 5, 10)
    for R in (1, 3, 8):
        batch = list(make(kind, shape, R, SEED).parameters())
        for r in range(R):
            alone = list(make(kind, shape, 1, SEED + r).parameters())
            assert all(torch.equal(p[r], q[0]) for p, q in zip(batch, alone))


CASES = [
    pytest.param(
        kind, shape, shared, batch, id=f"{kind}-{shape}-{'shared' if shared else 'own'}-{batch}"
    )
    for kind, shapes in (("cnn", CNN_SHAPES), ("fcn", FCN_SHAPES))
    for shape in shapes
    for shared, batch in ((True, None), (False, 4))
]


@pytest.mark.parametrize("kind, shape, shared, batch_size", CASES)
def test_training_is_bit_identical_for_replica_counts_from_two_up(kind, shape, shared, batch_size):
    """Replica r of a batch of 3 equals replica r of a batch of 8: curves, steps to fit, weights, accuracy
    (hinge loss, full-batch GD on a shared training set or minibatch SGD on one set per replica)."""
    three = outcome(kind, shape, 3, SEED, shared=shared, batch_size=batch_size)
    eight = outcome(kind, shape, 8, SEED, shared=shared, batch_size=batch_size)
    assert all(identical(a, b) for a, b in zip(three, eight))


def test_logistic_training_is_bit_identical_for_replica_counts_from_two_up():
    """The same with the logistic loss: torch's vectorised sigmoid differs in the last float32 bit from its
    scalar loop on a tensor's tail, whose place depends on R (hence loss_and_grad works in float64)."""
    for kind, shapes in (("cnn", CNN_SHAPES[:2]), ("fcn", FCN_SHAPES[:2])):
        for shape in shapes:
            three = outcome(kind, shape, 3, SEED, shared=False, loss="logistic")
            eight = outcome(kind, shape, 8, SEED, shared=False, loss="logistic")
            assert all(identical(a, b) for a, b in zip(three, eight)), (kind, shape)


def test_replica_alone_is_bit_identical_to_the_same_replica_in_a_batch():
    """Replica r of a batch of 8 equals the model of seed SEED + r trained alone (R=1)."""
    for kind, shapes in (("cnn", CNN_SHAPES), ("fcn", FCN_SHAPES)):
        for shape in shapes:
            eight = outcome(kind, shape, 8, SEED, shared=False)
            for r in (0, 5):
                # the seeds of replica r
                alone = outcome(kind, shape, 1, SEED + r, shared=False, test_seed=SEED)[0]
                assert identical(alone, eight[r]), (kind, shape, r)


@pytest.fixture
def toy_registry(monkeypatch):
    monkeypatch.setattr(sweep, "REGISTRY", dict(sweep.REGISTRY))
    sweep.experiment(
        toy.NAME,
        "reproducibility toy: CNN and FCN curves",
        by_profile(toy.grid),
        settings=ProfileSettings,
    )(toy.compute)


def test_sweep_result_is_identical_computed_cached_or_in_a_fresh_process(tmp_path, toy_registry):
    cache = ResultsCache(tmp_path)
    computed = sweep.run(toy.NAME, "quick", cache=cache, device="cpu")
    cached = sweep.run(toy.NAME, "quick", cache=cache, device="cpu")
    assert computed.attrs["cached_points"] == 0 and cached.attrs["cached_points"] == len(toy.POINTS)
    pd.testing.assert_frame_equal(computed, cached, check_exact=True)
    direct = toy.compute(**toy.POINTS[0], device="cpu")
    first = computed[computed["seed"] == toy.POINTS[0]["seed"]][direct.columns].reset_index(
        drop=True
    )
    pd.testing.assert_frame_equal(first, direct, check_exact=True)
    # a fresh interpreter with one torch thread (this one runs with torch's default thread count)
    out = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("_repro_toy.py"))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    fresh = pd.DataFrame(json.loads(out.stdout)).astype(direct.dtypes.to_dict())
    pd.testing.assert_frame_equal(fresh, direct, check_exact=True)


DATA = {
    "standard": lambda n, d: OrthogonalPatterns(n, d),
    "random": lambda n, d: OrthogonalPatterns(n, d, basis="random", seed=3),
    "noisy": lambda n, d: NoisyOrthogonalPatterns(n, d, noise=0.3, basis="random", seed=3),
}


@pytest.mark.parametrize("data", sorted(DATA))
@pytest.mark.parametrize("second_layer", ["trained", "fixed"])
def test_convpool_alone_equals_the_same_replica_in_a_batch_on_every_path(data, second_layer):
    """ConvPool (trained or fixed second layer), logistic loss, on the pattern-table path (standard and
    random bases) and the general path (noisy patches): replica r of a batch of 8 trained on its own set
    is bit-identical to the model of seed SEED + r trained alone, and to replica r of a batch of 3."""
    n, d, k, m = 6, 10, 8, 40
    dist = DATA[data](n, d)

    def run(replicas, seed):
        X, y = samples.training_sets(dist, m, seed, replicas)
        net = ConvPool(d, k, replicas=replicas, radius=0.3, second_layer=second_layer, seed=seed)
        res = train(net, X, y, lr=0.05, steps=10, loss="logistic")
        acc = accuracy(net, *samples.test_set(dist, SEED, 200))
        params = [p.detach() for p in net.parameters()]
        return [
            (res.loss[:, r], res.steps_to_fit[r], [p[r] for p in params], acc[r])
            for r in range(replicas)
        ]

    eight, three = run(8, SEED), run(3, SEED)
    assert all(identical(a, b) for a, b in zip(three, eight))
    for r in (0, 5):
        assert identical(run(1, SEED + r)[0], eight[r]), r
