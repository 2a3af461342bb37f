"""The setting chapter (book/paper/setting): a first run of the paper's Algorithm 1 (LW_CNN).

Two points, both on D with n = 10 and a test set of 10,000 fresh points:
- "theorem": d = 4 and k = 513 > 8 d^3, with the step sizes and radius of Theorem 5.1
  (`lib.theory.regime`; eta_2 = 4k, half the bound), in float64 (the steps are of order 1e-5 and the radius 1e-8);
- "relaxed": the experiments' d = 20 with a random orthogonal basis and 500 channels, with step
  sizes of our choosing (the theorem would need k > 64,000 there).
T2, m, the seeds and the relaxed step sizes are our choices (unspecified by the paper).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from lib._checks import check_int
from lib.distributions import OrthogonalPatterns
from lib.devices import single_thread_on_cpu
from lib.samples import test_set, training_sets
from lib.models import ConvPool
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


def _first_run_grid(profile: str) -> list[dict]:
    full = profile == "full"
    common = dict(n=10, m=100, T2=20_000 if full else 2_000, replicas=10 if full else 5, seed=0, test_size=10_000)
    theorem = dict(regime="theorem", d=4, l=4, basis="standard", k=513, T1=50, **common)
    rg = regime(4, 513, 50)
    theorem.update(lr1=rg.lr1, radius=rg.radius, lr2=rg.lr2_max / 2)
    relaxed = dict(regime="relaxed", d=20, l=20, basis="random", k=500, T1=200, lr1=1e-3, radius=1e-3, lr2=2_000.0, **common)
    return [theorem, relaxed]


@experiment(
    "setting_first_run",
    "LW_CNN (Algorithm 1) in the theorem's regime (d=4, k=513) and with relaxed steps (d=20, k=500)",
    _first_run_grid,
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
    net = ConvPool(d, k, replicas=replicas, radius=radius, seed=seed, dtype=torch.float64, device=device)
    with single_thread_on_cpu(device):
        res = train_layerwise(net, X, y, T1=T1, T2=T2, lr1=lr1, lr2=lr2)
        Xt, yt = test_set(dist, seed, size=test_size)
        test_acc = accuracy(net, Xt, yt).numpy()
        out = net(X[:, res.m1 :].to(device)).cpu()
    s2_acc = (torch.where(out > 0, 1.0, -1.0).double() == y[:, res.m1 :]).double().mean(1).numpy()
    rows = []
    for phase, curve, steps in (("L1", res.loss1, np.arange(T1 + 1)), ("L2", res.loss2, log_steps(T2))):
        values = curve[torch.as_tensor(steps)].double().numpy()
        for r in range(replicas):
            rows.append(pd.DataFrame({"replica": r, "phase": phase, "step": steps, "loss": values[:, r]}))
    df = pd.concat(rows, ignore_index=True)
    df["test_accuracy"] = test_acc[df["replica"].to_numpy()]
    df["s2_accuracy"] = s2_acc[df["replica"].to_numpy()]
    df["seconds"] = res.seconds
    return df
