"""Tests of the leaky-ReLU FCN of Brutzkus et al. (2018) trained by SGD (lib/leaky_fcn.py), its §6
experiment (lib/experiments/fcn_sgd.py), the FCN-SGD claim and `stats.loglog_slope`."""

import json
import math

import numpy as np
import pandas as pd
import pytest
import torch

from lib import claims
from lib.distributions import OrthogonalPatterns
from lib.experiments import fcn_sgd
from lib.leaky_fcn import LOOKAHEAD, LeakyFCN
from lib.stats import loglog_slope
from lib.sweep import get


def _tiny(n=3, d=4, m=40, seed=5):
    X, y = OrthogonalPatterns(n, d, dtype=torch.float64).sample(m, seed=seed)
    return X.reshape(m, -1).numpy(), y.numpy()


def _direct_sgd(W, a, alpha, X, y, lr, max_epochs, seed):
    """SGD on the hinge loss written as the plain loop over epochs and points (no look-ahead)."""
    rng = np.random.default_rng(seed)
    per_epoch = []
    for _ in range(max_epochs):
        count = 0
        for i in rng.permutation(len(y)):
            pre = W @ X[i]
            if y[i] * float(a @ np.maximum(alpha * pre, pre)) < 1:
                W = W + lr * y[i] * np.outer(a * np.where(pre > 0, 1.0, alpha), X[i])
                count += 1
        per_epoch.append(count)
        if count == 0:
            break
    return W, per_epoch


@pytest.mark.parametrize("m", [40, 3 * LOOKAHEAD + 5])
def test_sgd_update_count_matches_a_direct_loop(m):
    X, y = _tiny(m=m)
    net = LeakyFCN(X.shape[1], 4, alpha=0.3, v=0.7, init_std=0.1, seed=2)
    W0 = net.W.copy()
    res = net.sgd(X, y, lr=0.05, max_epochs=200, seed=9)
    W, per_epoch = _direct_sgd(W0, net.a, 0.3, X, y, 0.05, 200, 9)
    assert res.per_epoch == tuple(per_epoch) and res.updates == sum(per_epoch) > 0
    assert res.converged and res.epochs == len(per_epoch) and res.steps == m * len(per_epoch)
    np.testing.assert_allclose(net.W, W, rtol=1e-12, atol=1e-12)
    assert (y * net.forward(X) >= 1).all()  # zero hinge loss: a global minimum
    assert net.error(X, y) == 0.0


def test_step_and_forward_follow_the_formulas():
    net = LeakyFCN(3, 2, alpha=0.25, v=2.0, init_std=0.0)
    assert net.a.tolist() == [2.0, 2.0, -2.0, -2.0]
    net.W = np.array([[1.0, 0, 0], [0, -1.0, 0], [0, 0, 1.0], [1.0, 1.0, 1.0]])
    x = np.array([1.0, 2.0, -1.0])
    pre = [1.0, -2.0, -1.0, 2.0]
    psi = [max(0.25 * p, p) for p in pre]
    expected = 2 * psi[0] + 2 * psi[1] - 2 * psi[2] - 2 * psi[3]
    assert net.forward(x[None])[0] == pytest.approx(expected)
    assert not net.step(x, -1.0, 0.1)  # -N(x) = 3.5 >= 1: no update
    before = net.W.copy()
    assert net.step(x, 1.0, 0.1)
    slope = np.array([1.0, 0.25, 0.25, 1.0])
    np.testing.assert_allclose(net.W, before + 0.1 * np.outer(net.a * slope, x))
    net.W[:] = 0.0
    # sign(0) = -1
    assert (
        net.error(x[None], np.array([1.0])) == 1.0 and net.error(x[None], np.array([-1.0])) == 0.0
    )


@pytest.mark.parametrize(
    "kwargs", [{"alpha": 1.0}, {"alpha": 0.0}, {"v": 0.0}, {"k": 0}, {"init_std": -1.0}]
)
def test_bad_network_arguments_are_value_errors(kwargs):
    with pytest.raises(ValueError):
        LeakyFCN(4, **{"k": 2, **kwargs})


def test_bad_sgd_arguments_are_value_errors():
    X, y = _tiny()
    net = LeakyFCN(X.shape[1], 2)
    for kwargs in ({"lr": 0.0}, {"lr": 0.1, "max_epochs": 0}):
        with pytest.raises(ValueError):
            net.sgd(X, y, **kwargs)
    with pytest.raises(ValueError, match="y must"):
        net.sgd(X, np.zeros(len(y)), lr=0.1)
    with pytest.raises(ValueError, match="X must"):
        net.forward(np.zeros((2, 5)))


def test_fcn_and_cnn_point_rows():
    df = fcn_sgd.fcn_and_cnn(
        n=2,
        d=3,
        m=12,
        seeds=2,
        k=3,
        alpha=0.5,
        v=1.0,
        lr=0.1,
        init_std=1e-3,
        max_epochs=50,
        T1=3,
        T2=5,
        test_size=40,
    )
    assert list(df.replica) == [0, 1]
    assert df.converged.all() and (df.fcn_train_error == 0).all()
    assert df[["fcn_test_error", "cnn_test_error"]].stack().between(0, 1).all()
    assert (df.bound == 2 * 2 * 2 / 0.25).all() and (df.k_cnn == 8 * 27 + 1).all()


@pytest.mark.parametrize("name", ["fcn_sgd_n", "fcn_sgd_m"])
def test_grids_are_json(name):
    for profile in ("quick", "full"):
        points = get(name).points(profile)
        json.dumps(points)
        assert points and all(p["m"] >= 2 for p in points)


def _by_n(cnn_error_at_max: float, converged: bool = True, exponent: float = 1.5) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for n in (2, 4, 8, 16):
        for r in range(5):
            rows.append(
                {
                    "n": n,
                    "d": 5,
                    "m": 200,
                    "replica": r,
                    "converged": converged,
                    "updates": round(3 * n**exponent * math.exp(rng.normal(0, 0.05))),
                    "bound": 8.0 * n * n,
                    "fcn_test_error": 0.01 * n,
                    "cnn_test_error": 0.01 * rng.random() + (cnn_error_at_max if n == 16 else 0.0),
                }
            )
    return pd.DataFrame(rows)


def test_fcn_sgd_claim_holding_and_failing_cases():
    assert claims.fcn_sgd(_by_n(0.0)).holds
    assert not claims.fcn_sgd(_by_n(0.3)).holds  # LW_CNN's error grows with n
    assert not claims.fcn_sgd(_by_n(0.0, converged=False)).holds  # SGD did not reach zero loss
    assert not claims.fcn_sgd(_by_n(0.0, exponent=3.0)).holds  # faster than the bound's n^2
    assert not claims.fcn_sgd(_by_n(0.0, exponent=0.0)).holds  # updates do not grow


def test_loglog_slope():
    x = np.array([1.0, 2.0, 4.0, 8.0])
    slope, half = loglog_slope(x, 3 * x**1.5)
    assert slope == pytest.approx(1.5) and half == pytest.approx(0.0, abs=1e-12)
    slope, half = loglog_slope([1, 2, 4, 8, 1, 2, 4, 8], [1, 2.2, 3.8, 8.5, 1.1, 1.9, 4.1, 7.7])
    assert 0.8 < slope < 1.2 and 0 < half < 0.3
    assert math.isnan(loglog_slope([1, 2], [1, 2])[1])
    assert all(math.isnan(v) for v in loglog_slope([2, 2, 2], [1, 2, 3]))
    with pytest.raises(ValueError):
        loglog_slope([1, 2, 3], [1, -2, 3])
