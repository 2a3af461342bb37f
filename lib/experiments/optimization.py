"""Part II, optimization page: for the XOR-paper network (fixed +-1 output layer, GD on the hinge loss),
does GD reach zero training loss, how fast against the T-OPT bound, by what mechanism, and where does
the guarantee stop (the book's reconstruction in lib/xor_theory.py)."""
from __future__ import annotations


import pandas as pd
import torch

from lib import xor_theory as theory
from lib.samples import test_set
from lib.xor_network import D, N, CNNRun, step_cap, step_size, train_cnn
from lib.models import ConvPool
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


def _fit_grid(profile: str) -> list[dict]:
    if profile == "quick":
        widths, sizes, replicas = (1, 20, 200), (20,), 3
    else:
        widths, sizes, replicas = (1, 2, 5, 20, 100, 200, 1000), (20, 100), 20
    return [
        dict(n=N, d=D, k=k, m=m, replicas=replicas, eta_rule="2/k", init_std=1e-3, steps=step_cap(profile), seed=0)
        for k in widths
        for m in sizes
    ]


@experiment("opt_fit", "T-OPT: fraction of GD runs reaching zero training loss and steps needed vs the bound", _fit_grid)
def opt_fit(*, n, d, k, m, replicas, eta_rule, init_std, steps, seed, device) -> pd.DataFrame:
    """One row per replica: whether GD reached zero hinge loss within the step cap, the step it did, the
    T-OPT bound (theory.iteration_bound with its default c_I = 1, and with c_I = the measured
    interference), the detector counts at initialisation and the measured interference."""
    lr = step_size(eta_rule, k)
    run = train_cnn(n=n, d=d, k=k, m=m, replicas=replicas, lr=lr, init_std=init_std, steps=steps, seed=seed, device=device, record=True)
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
            "bound_measured_interference": [theory.iteration_bound(m, k, d, lr, interference=float(c)) for c in worst],
            "min_width": theory.min_width(d),
            "detectors_plus": run.detectors_plus.numpy(),
            "detectors_minus": run.detectors_minus.numpy(),
            "interference": worst.numpy(),
        }
    )


def _dynamics_grid(profile: str) -> list[dict]:
    return [dict(n=N, d=D, k=8, m=50, eta_rule="2/k", init_std=1e-3, steps=step_cap(profile), seed=0)]


@experiment("opt_dynamics", "The proof's mechanism: filter/pattern dot products and max-pool winners during GD", _dynamics_grid)
def opt_dynamics(*, n, d, k, m, eta_rule, init_std, steps, seed, device) -> pd.DataFrame:
    """One row per (GD step, sign, filter, pattern) of one run: the dot product (a_{i,p} for sign "w",
    b_{i,p} for "u"), `wins` = the fraction of the filter's own-class training points (positive for w,
    negative for u) whose active max-pool winner is pattern p, and the training loss at that step."""
    dist, net, X, y, res, _, _ = train_cnn(
        n=n, d=d, k=k, m=m, replicas=1, lr=step_size(eta_rule, k), init_std=init_std, steps=steps, seed=seed, device=device,
        record=True,
    )
    X, y = X.to(net.W.device), y.to(net.W.device)
    idx = X[0].argmax(-1)  # (m, n) pattern index of every patch (standard-basis patterns)
    rows = []
    for step, snap in res.snapshots:
        net.load_state_dict({**net.state_dict(), **snap})
        values, winners, _, _ = net.pooled(X)
        win_pattern = torch.gather(idx.T[None].expand(2 * k, n, m), 1, winners[0][:, None, :])[:, 0]  # (2k, m)
        dots = net.tables(dist.patterns)[0]  # (2k, P)
        pos = (y[0] > 0).expand(k, m)
        own = torch.cat([pos, ~pos])  # (2k, m): the filter's own-class points (positive for w, negative for u)
        active = values[0] > 0
        wins = torch.stack([((win_pattern == p) & active & own).sum(1) for p in range(d)], 1) / own.sum(1, keepdim=True)
        for c in range(2 * k):
            for p in range(d):
                rows.append(
                    (step, "w" if c < k else "u", c % k, p, float(dots[c, p]), float(wins[c, p]), float(res.loss[step, 0]))
                )
    return pd.DataFrame(rows, columns=["step", "sign", "filter", "pattern", "dot", "wins", "train_loss"])


# (eta * k, sigma_g): the chapter's default, then larger initialisation scales, then larger step sizes
_OUTSIDE = [(2.0, 1e-3), (2.0, 1e-2), (2.0, 1e-1), (2.0, 1.0), (20.0, 1e-3), (200.0, 1e-3), (2000.0, 1e-3)]


def _outside_grid(profile: str) -> list[dict]:
    settings = _OUTSIDE if profile == "full" else [_OUTSIDE[0], _OUTSIDE[3], _OUTSIDE[5]]
    replicas = 20 if profile == "full" else 3
    return [
        dict(n=N, d=D, k=200, m=20, replicas=replicas, eta_rule=f"{lk / 200:g}", init_std=s, steps=step_cap(profile), seed=0)
        for lk, s in settings
    ]


@experiment("opt_outside", "Where the T-OPT guarantee stops: large initialisation scale or learning rate", _outside_grid)
def opt_outside(*, n, d, k, m, replicas, eta_rule, init_std, steps, seed, device) -> pd.DataFrame:
    """One row per replica: fitted, steps to zero loss, the T-OPT bound, the measured interference
    (the bound assumes <= 1) and the test accuracy on 2,000 fresh points."""
    lr = step_size(eta_rule, k)
    run = train_cnn(n=n, d=d, k=k, m=m, replicas=replicas, lr=lr, init_std=init_std, steps=steps, seed=seed, device=device, record=True)
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
