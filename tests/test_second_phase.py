"""Tests of LW_CNN's second phase with Ji & Telgarsky's step schedule (lib/experiments/second_phase.py)
and the J&T-RATE claim."""

import json
import math

import numpy as np
import pandas as pd
import pytest
import torch

from lib import claims
from lib.baselines import hard_margin_svm
from lib.experiments import second_phase as sp
from lib.sweep import get

# three points in R^2 with labels: y z = (1, 0), (0.5, 0.5), (0.2, -0.4)
Z = torch.tensor([[[1.0, 0.0], [0.5, 0.5], [-0.2, 0.4]]], dtype=torch.float64)
Y = torch.tensor([[1.0, 1.0, -1.0]], dtype=torch.float64)


def _a(schedule, steps, eta):
    return sp.second_layer_gd(Z, Y, schedule=schedule, steps=steps, eta=eta)[1][0].tolist()


def test_jt_schedule_first_steps_by_hand():
    gamma, a0 = sp.second_layer_gd(Z, Y, schedule="J&T", steps=0, eta=0.5)
    assert a0.tolist() == [[0.0, 0.0]] and gamma.shape == (1, 1) and math.isnan(gamma[0, 0])
    # a^(1) = eta * mean_i y_i z_i (a^(0) = 0: every point has weight 1/3)
    a1 = [0.5 * (1.0 + 0.5 + 0.2) / 3, 0.5 * (0.0 + 0.5 - 0.4) / 3]
    assert _a("J&T", 1, 0.5) == pytest.approx(a1)
    # a^(2) = a^(1) + eta * sum_i q_i y_i z_i with q_i proportional to exp(-y_i a^(1) . z_i)
    yz = [(1.0, 0.0), (0.5, 0.5), (0.2, -0.4)]
    e = [math.exp(-(a1[0] * u + a1[1] * v)) for u, v in yz]
    q = [w / sum(e) for w in e]
    a2 = [a1[j] + 0.5 * sum(q[i] * yz[i][j] for i in range(3)) for j in range(2)]
    assert _a("J&T", 2, 0.5) == pytest.approx(a2)
    # gamma(a^(2)) = min_i y_i a^(2) . z_i / (||a^(2)|| max_i ||z_i||)
    gamma = sp.second_layer_gd(Z, Y, schedule="J&T", steps=2, eta=0.5)[0]
    expected = min(a2[0] * u + a2[1] * v for u, v in yz) / (math.hypot(*a2) * math.hypot(1.0, 0.0))
    assert float(gamma[2, 0]) == pytest.approx(expected)


def test_constant_schedule_first_steps_by_hand():
    yz = [(1.0, 0.0), (0.5, 0.5), (0.2, -0.4)]
    a1 = [3.0 / 3 * sum(0.5 * p[j] for p in yz) for j in range(2)]  # sigmoid(0) = 1/2
    assert _a("constant", 1, 3.0) == pytest.approx(a1)
    s = [1 / (1 + math.exp(a1[0] * u + a1[1] * v)) for u, v in yz]  # sigmoid(-y a . z)
    a2 = [a1[j] + 3.0 / 3 * sum(s[i] * yz[i][j] for i in range(3)) for j in range(2)]
    assert _a("constant", 2, 3.0) == pytest.approx(a2)


def test_jt_schedule_reaches_the_maximum_margin():
    rng = np.random.default_rng(0)
    z = torch.tensor(rng.normal(size=(2, 30, 4)))
    w = torch.tensor([1.0, -2.0, 0.5, 0.0], dtype=torch.float64)
    y = torch.where(z @ w > 0, 1.0, -1.0).to(torch.float64)
    z = z + 0.3 * y.unsqueeze(-1) * w / w.norm()  # a margin of at least 0.3 along w
    gamma = sp.second_layer_gd(z, y, schedule="J&T", steps=3000, eta=1.0)[0]
    assert torch.isnan(gamma[0]).all()
    for r in range(2):
        scale = float((z[r] ** 2).sum(-1).amax().sqrt())
        fit = hard_margin_svm((z[r] / scale).numpy(), y[r].numpy())
        ratio = gamma[:, r].numpy() * math.sqrt(fit.norm2)
        assert ratio[-1] == pytest.approx(1.0, abs=0.01) and (ratio[1:] <= 1 + 1e-9).all()
        assert sp.first_reach(ratio, 0.5) <= sp.first_reach(ratio, 0.99) < 3000


def test_normalised_margin_is_scale_free_and_first_reach():
    # the constant schedule on 3 z with step eta / 9 runs through a^(t) / 3: the same normalised margins
    gamma = sp.second_layer_gd(Z, Y, schedule="constant", steps=5, eta=1.0)[0]
    torch.testing.assert_close(
        gamma,
        sp.second_layer_gd(3 * Z, Y, schedule="constant", steps=5, eta=1 / 9)[0],
        equal_nan=True,
    )
    assert sp.first_reach(np.array([np.nan, 0.2, 0.6, 0.4]), 0.5) == 2.0
    assert math.isnan(sp.first_reach(np.array([0.1, 0.2]), 0.5))


def test_bad_arguments_are_value_errors():
    for kwargs in (
        {"schedule": "adam", "steps": 1, "eta": 1.0},
        {"schedule": "J&T", "steps": -1, "eta": 1.0},
        {"schedule": "J&T", "steps": 1, "eta": 0.0},
    ):
        with pytest.raises(ValueError):
            sp.second_layer_gd(Z, Y, **kwargs)
    with pytest.raises(ValueError, match="shape"):
        sp.second_layer_gd(Z[0], Y, schedule="J&T", steps=1, eta=1.0)


def test_second_phase_point_rows():
    df = sp.run_second_phase(d=3, seeds=2, n=3, m=40, T1=5, T2=30, eta=1.0, lr2_factor=4.0)
    assert set(df.schedule) == {"J&T", "constant"} and df.t.max() == 30
    runs = df.groupby(["schedule", "replica"]).first()
    assert (runs.k == 217).all() and (runs.m2 == 20).all() and (runs.inv_gamma2 > 0).all()
    assert (df.margin_ratio <= 1 + 1e-6).all()
    jt = runs.loc["J&T"]
    assert jt["t_0.5"].notna().all() and (jt["t_0.5"] <= jt["t_0.9"]).all()


def test_grid_is_json():
    for profile in ("quick", "full"):
        points = get("jt_second_phase").points(profile)
        json.dumps(points)
        assert len({p["d"] for p in points}) >= 3


def _rows(t_half) -> pd.DataFrame:
    rows = []
    for d in (3, 4, 5, 6):
        for r in range(3):
            for t in (1, 10, 100):
                rows.append(
                    {
                        "d": d,
                        "replica": r,
                        "schedule": "J&T",
                        "t": t,
                        "margin_ratio": 1 - 0.5 / t,
                        "m2": 100,
                        "inv_gamma2": 2.0 + 0.1 * r,
                        "t_0.5": t_half(d, r),
                        "t_0.9": 5.0,
                        "t_0.99": 50.0,
                    }
                )
    return pd.DataFrame(rows)


def test_jt_rate_claim_holding_and_failing_cases():
    assert claims.jt_rate(_rows(lambda d, r: 1.0)).holds
    assert claims.jt_rate(_rows(lambda d, r: float(d + r))).holds  # linear in d, under d ln m
    assert not claims.jt_rate(
        _rows(lambda d, r: 0.3 * d**3 + r)
    ).holds  # cubic in d (and above d ln m at d = 6)
    assert not claims.jt_rate(_rows(lambda d, r: math.nan)).holds  # never reached half the margin
