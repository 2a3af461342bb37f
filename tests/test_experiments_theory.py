"""Tests of the optimization and generalization experiments (lib/experiments/optimization.py,
lib/experiments/generalization.py) at tiny sizes."""

import json

import pytest
import torch

from lib.distributions import OrthogonalPatterns
from lib.experiments import generalization as gen
from lib import xor_network
from lib.experiments import optimization as opt
from lib.xor_network import split_tables, xor_cnn
from lib.sweep import get
from lib.training import train

TINY = dict(n=5, d=8, m=16, replicas=3, init_std=1e-3, seed=0, device="cpu")


def test_step_size_rules():
    assert xor_network.step_size("2/k", 20) == pytest.approx(0.1)
    assert xor_network.step_size("0.1", 1000) == pytest.approx(0.1)


def test_recorded_training_follows_the_same_trajectory_as_one_call():
    dist = OrthogonalPatterns(5, 8)
    X, y = dist.sample(16, seed=3)
    a = xor_cnn(8, 1, replicas=4, seed=0)
    b = xor_cnn(8, 1, replicas=4, seed=0)
    one = train(a, X, y, lr=2.0, steps=250, loss="hinge")
    two = xor_network._train_recorded(b, X, y, 2.0, 250)  # recording stops after RECORD_STEPS = 100
    assert torch.equal(a.W, b.W)
    assert torch.equal(one.steps_to_fit, two.steps_to_fit)
    assert torch.allclose(one.loss, two.loss)
    assert len(two.snapshots) == min(one.steps_run, xor_network.RECORD_STEPS) + 1


def test_detector_counts_and_interference_match_their_definitions():
    run = xor_network.train_cnn(k=6, lr=1 / 3, steps=0, **TINY)
    a, b = split_tables(run.net, run.dist.patterns)
    assert a.shape == b.shape == (3, 6, 8)
    for r in range(3):
        plus = sum(int(a[r, i].argmax() == 0 and a[r, i, 0] > 0) for i in range(6))
        minus = sum(int(b[r, i].argmax() == 1 and b[r, i, 1] > 0) for i in range(6))
        assert (run.detectors_plus[r], run.detectors_minus[r]) == (plus, minus)
    # interference by a literal loop over points, filters and positions
    X, y, net = run.X, run.y, run.net
    for r in range(3):
        worst = 0.0
        for s in range(X.shape[1]):
            # u (output -1) or w (output +1)
            filters = net.W[r, 6:] if y[r, s] > 0 else net.W[r, :6]
            worst = max(
                worst, sum(max(float(torch.relu(f.detach() @ x)) for x in X[r, s]) for f in filters)
            )
        assert float(opt.interference(net, X, y)[r]) == pytest.approx(worst, rel=1e-5)


def test_opt_fit_point_reaches_zero_loss_with_enough_filters():
    df = opt.opt_fit(k=20, eta_rule="2/k", steps=500, **TINY)
    assert len(df) == 3 and df["fitted"].all() and (df["steps_to_fit"] >= 1).all()
    assert (df["final_train_loss"] == 0).all() and (df["interference"] > 0).all()
    small = opt.opt_fit(k=1, eta_rule="2/k", steps=50, **TINY)
    assert (small["bound"] == float("inf")).all()  # k = 1 is below the theorem's width


def test_opt_dynamics_rows():
    df = opt.opt_dynamics(
        n=5, d=8, k=3, m=16, eta_rule="2/k", init_std=1e-3, steps=200, seed=0, device="cpu"
    )
    steps = df["step"].nunique()
    assert len(df) == steps * 2 * 3 * 8
    wins = df.groupby(["step", "sign", "filter"])["wins"].sum()
    assert ((wins >= 0) & (wins <= 1 + 1e-6)).all()  # a filter has one winner per point, or none
    last = df[df["step"] == df["step"].max()]
    assert last["train_loss"].iloc[0] == 0.0


def test_pattern_rows_statistics_and_scores():
    run = xor_network.train_cnn(k=4, lr=0.5, steps=100, **TINY)
    idx = run.X.argmax(-1)
    rows = gen._pattern_rows(run.net, run.dist, idx, run.y)
    assert len(rows) == 3 * 8
    assert (rows["delta"] == rows["frac_pos"] - rows["frac_neg"]).all()
    assert (rows.loc[rows["pattern"] == 0, "frac_pos"] == 1).all() and (
        rows.loc[rows["pattern"] == 0, "frac_neg"] == 0
    ).all()
    a, b = split_tables(run.net, run.dist.patterns)
    expected = float(torch.relu(a[1, :, 5]).sum() - torch.relu(b[1, :, 5]).sum())
    got = rows.query("replica == 1 and pattern == 5")["score"].item()
    assert got == pytest.approx(expected, rel=1e-5)


def test_two_points_patterns_absent_from_both_points_keep_their_initial_score():
    df = gen.psi_two_points(
        n=5, d=12, k=10, replicas=4, eta_rule="2/k", init_std=1e-3, steps=300, seed=0, device="cpu"
    )
    assert set(df["delta"].unique()) <= {-1.0, 0.0, 1.0}
    absent = df[(df["frac_pos"] == 0) & (df["frac_neg"] == 0)]
    assert len(absent) > 0
    assert torch.allclose(
        torch.tensor(absent["score"].values), torch.tensor(absent["score_init"].values)
    )


def test_accuracy_rows_columns():
    run = xor_network.train_cnn(k=10, lr=0.2, steps=200, **TINY)
    rows = gen._accuracy_rows(run, 10, 16, 0.2, 0)
    assert list(rows.columns) == [
        "replica",
        "lr",
        "fitted",
        "steps_to_fit",
        "test_accuracy",
        "error_bound",
        "m_required",
    ]
    assert rows["test_accuracy"].between(0, 1).all()


@pytest.mark.parametrize(
    "name",
    [
        "opt_fit",
        "opt_dynamics",
        "opt_outside",
        "gen_width",
        "gen_samples",
        "gen_sample_complexity",
        "gen_psi",
        "psi_two_points",
    ],
)
def test_grids_are_json_and_full_profile_is_paper_scale(name):
    exp = get(name)
    for profile in ("quick", "full"):
        points = exp.points(profile)
        json.dumps(points)
        assert points
    full = exp.points("full")
    if name in ("opt_fit", "gen_width"):
        assert max(p["k"] for p in full) >= 1000 and min(p["replicas"] for p in full) >= 20
