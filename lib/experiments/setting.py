"""The setting chapter (book/paper/setting): a first run of the paper's Algorithm 1 (LW_CNN).

Two points, both on D with n = 10 and a test set of 10,000 fresh points:
- "theorem": d = 4 and k = 513 > 8 d^3, with the step sizes and radius of Theorem 5.1
  (`lib.theory.regime`; eta_2 = 4k, half the bound), in float64 (the steps are of order 1e-5 and the radius 1e-8);
- "relaxed": the experiments' d = 20 with a random orthogonal basis and 500 channels, with step
  sizes of our choosing (the theorem would need k > 64,000 there).
T2, m, the seeds and the relaxed step sizes are our choices (unspecified by the paper).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import torch

from lib._checks import check_int
from lib.distributions import OrthogonalPatterns
from lib.devices import single_thread_on_cpu
from lib.samples import test_set, training_sets
from lib.models import ConvPool
from lib.protocol import LayerwiseSettings
from lib.settings import Settings, integer, real
from lib.sweep import experiment
from lib.theory import regime
from lib.training import accuracy, train_layerwise


def log_steps(T: int, num: int = 300) -> np.ndarray:
    """About `num` step indices in [0, T], evenly spaced on a log axis, always with 0, 1 and T."""
    T = check_int("T", T, 0)
    num = check_int("num", num, 2)
    if T == 0:
        return np.array([0])
    grid = np.unique(np.round(np.geomspace(1, T, num)).astype(int))
    return np.concatenate([[0], grid])


_RELAXED = LayerwiseSettings()  # §7's relaxed steps, d and k


@dataclasses.dataclass(frozen=True)
class TwoRunsSettings(Settings):
    """The two runs: "theorem" (standard basis, Theorem 5.1's eta_1 and r, eta_2 a share of its bound 8k)
    and "relaxed" (a random orthogonal basis, §7's relaxed steps); both with l = d and T_2 steps."""

    n: int = integer(10, "patches per input", 1, 1_000)
    m: int = integer(100, "training points per replica", 2, 10**6)
    T2: int = integer(20_000, "second-phase steps T_2 of both runs", 0, 10**8)
    replicas: int = integer(10, "replicas, each on its own training set", 1, 10_000)
    seed: int = integer(0, "base seed (and the seed of the random basis)", 0, 2**32 - 1)
    test_size: int = integer(10_000, "fresh test points", 1, 10**7)
    theorem_d: int = integer(4, "d of the theorem's run", 3, 12)
    theorem_k: int = integer(513, "channels of the theorem's run (> 8 d^3)", 1, 10**6)
    theorem_T1: int = integer(50, "first-phase steps T_1 of the theorem's run", 0, 10**6)
    theorem_lr2_share: float = real(
        0.5, "eta_2 of the theorem's run as a share of the bound 8k", 0.0, 1.0, low_open=True
    )
    relaxed_d: int = integer(_RELAXED.d, "d of the relaxed run", 3, 100_000)
    relaxed_k: int = integer(_RELAXED.k, "channels of the relaxed run", 1, 10**6)
    relaxed_T1: int = integer(_RELAXED.T1, "first-phase steps T_1 of the relaxed run", 0, 10**7)
    relaxed_lr1: float = real(
        _RELAXED.lr1, "first-phase step size eta_1 of the relaxed run", 0.0, 1e6, low_open=True
    )
    relaxed_radius: float = real(
        _RELAXED.radius, "initial radius r of the relaxed run", 0.0, 1e6, low_open=True
    )
    relaxed_lr2: float = real(
        _RELAXED.lr2, "second-phase step size eta_2 of the relaxed run", 0.0, 1e9, low_open=True
    )


def _first_run_settings(profile: str) -> TwoRunsSettings:
    return TwoRunsSettings() if profile == "full" else TwoRunsSettings(T2=2_000, replicas=5)


def _first_run_grid(s: TwoRunsSettings) -> list[dict]:
    common = dict(n=s.n, m=s.m, T2=s.T2, replicas=s.replicas, seed=s.seed, test_size=s.test_size)
    rg = regime(s.theorem_d, s.theorem_k, s.theorem_T1)
    theorem = dict(
        regime="theorem",
        d=s.theorem_d,
        l=s.theorem_d,
        basis="standard",
        k=s.theorem_k,
        T1=s.theorem_T1,
        **common,
        lr1=rg.lr1,
        radius=rg.radius,
        lr2=rg.lr2_max * s.theorem_lr2_share,
    )
    relaxed = dict(
        regime="relaxed",
        d=s.relaxed_d,
        l=s.relaxed_d,
        basis="random",
        k=s.relaxed_k,
        T1=s.relaxed_T1,
        lr1=s.relaxed_lr1,
        radius=s.relaxed_radius,
        lr2=s.relaxed_lr2,
        **common,
    )
    return [theorem, relaxed]


@experiment(
    "setting_first_run",
    "LW_CNN (Algorithm 1) in the theorem's regime (d=4, k=513) and with relaxed steps (d=20, k=500)",
    _first_run_grid,
    settings=_first_run_settings,
)
def first_run(
    *, regime, d, l, basis, k, n, m, T1, T2, lr1, radius, lr2, replicas, seed, test_size, device
) -> pd.DataFrame:
    """Run LW_CNN on `replicas` models (seeds seed..seed+R-1), each with its own training set of m points,
    in float64. One row per (replica, phase, recorded step): the loss L_1 (every step of phase 1) or L_2
    (about 300 log-spaced steps of phase 2), with the replica's accuracy on S_2 and on `test_size` fresh
    points."""
    dist = OrthogonalPatterns(n, d, l=l, basis=basis, seed=seed, dtype=torch.float64)
    X, y = training_sets(dist, m, seed, replicas)
    net = ConvPool(
        d, k, replicas=replicas, radius=radius, seed=seed, dtype=torch.float64, device=device
    )
    with single_thread_on_cpu(device):
        res = train_layerwise(net, X, y, T1=T1, T2=T2, lr1=lr1, lr2=lr2)
        Xt, yt = test_set(dist, seed, size=test_size)
        test_acc = accuracy(net, Xt, yt).numpy()
        out = net(X[:, res.m1 :].to(device)).cpu()
    s2_acc = (torch.where(out > 0, 1.0, -1.0).double() == y[:, res.m1 :]).double().mean(1).numpy()
    rows = []
    for phase, curve, steps in (
        ("L1", res.loss1, np.arange(T1 + 1)),
        ("L2", res.loss2, log_steps(T2)),
    ):
        values = curve[torch.as_tensor(steps)].double().numpy()
        for r in range(replicas):
            rows.append(
                pd.DataFrame({"replica": r, "phase": phase, "step": steps, "loss": values[:, r]})
            )
    df = pd.concat(rows, ignore_index=True)
    df["test_accuracy"] = test_acc[df["replica"].to_numpy()]
    df["s2_accuracy"] = s2_acc[df["replica"].to_numpy()]
    df["seconds"] = res.seconds
    return df
