"""Part II, optimization page: for the XOR-paper network (fixed +-1 output layer, GD on the hinge loss),
does GD reach zero training loss, how fast against the T-OPT bound, by what mechanism, and where does
the guarantee stop (the book's reconstruction in lib/xor_theory.py)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import torch

from lib import xor_theory as theory
from lib.samples import test_set
from lib.xor_network import D, N, CNNRun, XorGrid, XorShape, step_cap, step_size, train_cnn
from lib.models import ConvPool
from lib.settings import Settings, integer, reals, same_length
from lib.sweep import experiment
from lib.training import accuracy


def interference(net: ConvPool, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per replica, the largest output of the opposite-sign filters on a training point:
    max_s of sum_i max_j relu(<u_i, x_sj>) if y_s = +1, or sum_i max_j relu(<w_i, x_sj>) if y_s = -1."""
    with torch.no_grad():
        act = torch.relu(net.pooled(X)[0])  # (R, 2k, m)
        half = net.k // 2  # channels 0..half-1 output +1 (w), the others -1 (u)
        from_w, from_u = act[:, :half].sum(1), act[:, half:].sum(1)
        return torch.where(y.to(act.device) > 0, from_u, from_w).max(-1).values.cpu()


def max_interference(run: CNNRun) -> torch.Tensor:
    """`interference` maximised over the recorded steps (the first RECORD_STEPS) of a
    `train_cnn(..., record=True)` run."""
    net, X, y, res = run.net, run.X, run.y, run.res
    final = {name: p.detach().clone() for name, p in net.named_parameters()}
    worst = torch.zeros(net.replicas, dtype=torch.float64)
    for _, snap in res.snapshots:
        net.load_state_dict({**net.state_dict(), **snap})
        worst = torch.maximum(worst, interference(net, X, y).double())
    net.load_state_dict({**net.state_dict(), **final})
    return worst


def _fit_settings(profile: str) -> XorGrid:
    if profile == "quick":
        return XorGrid(ks=(1, 20, 200), ms=(20,), replicas=3, steps=step_cap(profile))
    return XorGrid(ks=(1, 2, 5, 20, 100, 200, 1000), ms=(20, 100), steps=step_cap(profile))


def _fit_grid(s: XorGrid) -> list[dict]:
    return s.points()


@experiment(
    "opt_fit",
    "T-OPT: fraction of GD runs reaching zero training loss and steps needed vs the bound",
    _fit_grid,
    settings=_fit_settings,
)
def opt_fit(*, n, d, k, m, replicas, eta_rule, init_std, steps, seed, device) -> pd.DataFrame:
    """One row per replica: whether GD reached zero hinge loss within the step cap, the step it did, the
    T-OPT bound (theory.iteration_bound with its default c_I = 1, and with c_I = the measured
    interference), the detector counts at initialisation and the measured interference."""
    lr = step_size(eta_rule, k)
    run = train_cnn(
        n=n,
        d=d,
        k=k,
        m=m,
        replicas=replicas,
        lr=lr,
        init_std=init_std,
        steps=steps,
        seed=seed,
        device=device,
        record=True,
    )
    worst = max_interference(run)
    return pd.DataFrame(
        {
            "replica": range(replicas),
            "lr": lr,
            "step_cap": steps,
            "fitted": run.res.fitted.numpy(),
            "steps_to_fit": run.res.steps_to_fit.numpy(),
            "final_train_loss": run.res.loss[-1].numpy().astype(float),
            "bound": theory.iteration_bound(m, k, d, lr),
            "bound_measured_interference": [
                theory.iteration_bound(m, k, d, lr, interference=float(c)) for c in worst
            ],
            "min_width": theory.min_width(d),
            "detectors_plus": run.detectors_plus.numpy(),
            "detectors_minus": run.detectors_minus.numpy(),
            "interference": worst.numpy(),
        }
    )


@dataclasses.dataclass(frozen=True)
class DynamicsSettings(XorShape):
    """One point: one network of width k on m points, its filters recorded along GD."""

    k: int = integer(8, "width k (filters of each sign)", 1, 1_000)
    m: int = integer(50, "training points", 1, 10**5)


def _dynamics_settings(profile: str) -> DynamicsSettings:
    return DynamicsSettings(steps=step_cap(profile))


def _dynamics_grid(s: DynamicsSettings) -> list[dict]:
    return [s.point(n=s.n, d=s.d, k=s.k, m=s.m)]


@experiment(
    "opt_dynamics",
    "The proof's mechanism: filter/pattern dot products and max-pool winners during GD",
    _dynamics_grid,
    settings=_dynamics_settings,
)
def opt_dynamics(*, n, d, k, m, eta_rule, init_std, steps, seed, device) -> pd.DataFrame:
    """One row per (GD step, sign, filter, pattern) of one run: the dot product (a_{i,p} for sign "w",
    b_{i,p} for "u"), `wins` = the fraction of the filter's own-class training points (positive for w,
    negative for u) whose active max-pool winner is pattern p, and the training loss at that step."""
    dist, net, X, y, res, _, _ = train_cnn(
        n=n,
        d=d,
        k=k,
        m=m,
        replicas=1,
        lr=step_size(eta_rule, k),
        init_std=init_std,
        steps=steps,
        seed=seed,
        device=device,
        record=True,
    )
    X, y = X.to(net.W.device), y.to(net.W.device)
    idx = X[0].argmax(-1)  # (m, n) pattern index of every patch (standard-basis patterns)
    rows = []
    for step, snap in res.snapshots:
        net.load_state_dict({**net.state_dict(), **snap})
        values, winners, _, _ = net.pooled(X)
        # (2k, m)
        win_pattern = torch.gather(idx.T[None].expand(2 * k, n, m), 1, winners[0][:, None, :])[:, 0]
        dots = net.tables(dist.patterns)[0]  # (2k, P)
        pos = (y[0] > 0).expand(k, m)
        # (2k, m): the filter's own-class points (positive for w, negative for u)
        own = torch.cat([pos, ~pos])
        active = values[0] > 0
        wins = torch.stack(
            [((win_pattern == p) & active & own).sum(1) for p in range(d)], 1
        ) / own.sum(1, keepdim=True)
        for c in range(2 * k):
            for p in range(d):
                rows.append(
                    (
                        step,
                        "w" if c < k else "u",
                        c % k,
                        p,
                        float(dots[c, p]),
                        float(wins[c, p]),
                        float(res.loss[step, 0]),
                    )
                )
    return pd.DataFrame(
        rows, columns=["step", "sign", "filter", "pattern", "dot", "wins", "train_loss"]
    )


@dataclasses.dataclass(frozen=True)
class OutsideSettings(Settings):
    """One point per pair (eta k, sigma_g) = (eta_ks[i], init_stds[i]): the chapter's default (2, 1e-3),
    then larger initialisation scales, then larger step sizes."""

    eta_ks: tuple[float, ...] = reals(
        (2.0, 2.0, 2.0, 2.0, 20.0, 200.0, 2000.0), "step sizes as eta k", 0.0, 1e9, low_open=True
    )
    init_stds: tuple[float, ...] = reals(
        (1e-3, 1e-2, 1e-1, 1.0, 1e-3, 1e-3, 1e-3),
        "initialisation scales sigma_g",
        0.0,
        1e3,
        low_open=True,
    )
    n: int = integer(N, "patches per input", 1, 1_000)
    d: int = integer(D, "dimension d = number of patterns (standard basis)", 3, 10_000)
    k: int = integer(200, "width k (filters of each sign)", 1, 100_000)
    m: int = integer(20, "training points per replica", 1, 10**6)
    replicas: int = integer(20, "replicas per point", 1, 10_000)
    steps: int = integer(2_000, "cap T on GD steps (`step_cap` of the profile)", 1, 10**7)
    seed: int = integer(0, "base seed", 0, 2**32 - 1)

    def validate(self) -> None:
        same_length(self, "eta_ks", "init_stds")


def _outside_settings(profile: str) -> OutsideSettings:
    if profile == "full":
        return OutsideSettings(steps=step_cap(profile))
    return OutsideSettings(
        eta_ks=(2.0, 2.0, 200.0), init_stds=(1e-3, 1.0, 1e-3), replicas=3, steps=step_cap(profile)
    )


def _outside_grid(s: OutsideSettings) -> list[dict]:
    return [
        dict(
            n=s.n,
            d=s.d,
            k=s.k,
            m=s.m,
            replicas=s.replicas,
            eta_rule=f"{lk / s.k:g}",
            init_std=std,
            steps=s.steps,
            seed=s.seed,
        )
        for lk, std in zip(s.eta_ks, s.init_stds)
    ]


@experiment(
    "opt_outside",
    "Where the T-OPT guarantee stops: large initialisation scale or learning rate",
    _outside_grid,
    settings=_outside_settings,
)
def opt_outside(*, n, d, k, m, replicas, eta_rule, init_std, steps, seed, device) -> pd.DataFrame:
    """One row per replica: fitted, steps to zero loss, the T-OPT bound, the measured interference
    (the bound assumes <= 1) and the test accuracy on 2,000 fresh points."""
    lr = step_size(eta_rule, k)
    run = train_cnn(
        n=n,
        d=d,
        k=k,
        m=m,
        replicas=replicas,
        lr=lr,
        init_std=init_std,
        steps=steps,
        seed=seed,
        device=device,
        record=True,
    )
    return pd.DataFrame(
        {
            "replica": range(replicas),
            "lr": lr,
            "fitted": run.res.fitted.numpy(),
            "steps_to_fit": run.res.steps_to_fit.numpy(),
            "bound": theory.iteration_bound(m, k, d, lr),
            "interference": max_interference(run).numpy(),
            "test_accuracy": accuracy(run.net, *test_set(run.dist, seed)).numpy(),
        }
    )
