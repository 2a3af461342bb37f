"""Part II, generalization page: for the XOR-paper network (fixed +-1 output layer, GD on the hinge loss),
test accuracy against the width k and the sample size m, the sample-size requirement, and the
pattern-statistics (PSI) view of the learned filters (the book's reconstruction in lib/xor_theory.py)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import torch

from lib import xor_theory as theory
from lib.distributions import OrthogonalPatterns, pattern_statistics
from lib.samples import TRAIN_SEED_OFFSET, test_set
from lib.xor_network import (
    XorGrid,
    XorShape,
    XorTraining,
    split_tables,
    step_cap,
    step_size,
    train_cnn,
    xor_cnn,
)
from lib.models import ConvPool
from lib.settings import integer, integers, real
from lib.sweep import experiment
from lib.training import accuracy, train


def _accuracy_rows(run, k: int, m: int, lr: float, seed: int) -> pd.DataFrame:
    """One row per replica of a `train_cnn` run: test accuracy on 2,000 fresh points, whether and when
    GD reached zero training loss, and the T-GEN bound on the test error (theory.test_error_bound)."""
    n, d = run.dist.n, run.dist.d
    return pd.DataFrame(
        {
            "replica": range(run.net.replicas),
            "lr": lr,
            "fitted": run.res.fitted.numpy(),
            "steps_to_fit": run.res.steps_to_fit.numpy(),
            "test_accuracy": accuracy(run.net, *test_set(run.dist, seed), batch=512).numpy(),
            "error_bound": theory.test_error_bound(m, n, d),
            "m_required": theory.sample_size_requirement(n, d),
        }
    )


@dataclasses.dataclass(frozen=True)
class WidthSettings(XorGrid):
    """The widths ks with `eta_rule` (eta = 2/k), then the widths fixed_ks with the fixed step fixed_eta
    (at k = 20 the two rules coincide); one point per (rule, k, m)."""

    fixed_ks: tuple[int, ...] = integers(
        (5, 50, 200, 1000), "widths k trained with the fixed step", 1, 100_000
    )
    fixed_eta: float = real(
        0.1, "the fixed GD step size eta of the contrast", 0.0, 1e6, low_open=True
    )


def _width_settings(profile: str) -> WidthSettings:
    if profile == "quick":
        return WidthSettings(ks=(2, 200), fixed_ks=(200,), replicas=3, steps=step_cap(profile))
    return WidthSettings(ks=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000), steps=step_cap(profile))


def _width_grid(s: WidthSettings) -> list[dict]:
    fixed = dataclasses.replace(s, ks=s.fixed_ks, eta_rule=f"{s.fixed_eta:g}")
    return s.points() + fixed.points()


def cnn_test_accuracy(
    *, n, d, k, m, replicas, eta_rule, init_std, steps, seed, device
) -> pd.DataFrame:
    """Test accuracy of `replicas` CNNs of width k, each trained on its own m points (the point
    function of both `gen_width` and `gen_samples`)."""
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
    )
    return _accuracy_rows(run, k, m, lr, seed)


experiment(
    "gen_width",
    "T-GEN: test accuracy against the width k at fixed m (eta = 2/k and fixed eta = 0.1)",
    _width_grid,
    settings=_width_settings,
)(cnn_test_accuracy)


def _samples_settings(profile: str) -> XorGrid:
    if profile == "quick":
        return XorGrid(ks=(5, 20), ms=(5, 20, 100), replicas=3, steps=step_cap(profile))
    return XorGrid(ks=(5, 20, 200), ms=(5, 10, 20, 50, 100, 300, 1200), steps=step_cap(profile))


def _xor_grid(s: XorGrid) -> list[dict]:
    return s.points()


experiment(
    "gen_samples",
    "T-GEN: test accuracy against the sample size m for several k, with the theorem's requirement",
    _xor_grid,
    settings=_samples_settings,
)(cnn_test_accuracy)


@dataclasses.dataclass(frozen=True)
class ComplexitySettings(XorTraining):
    """One point per (d, m), with n = d // 2 patches: `replicas` networks of width k."""

    ds: tuple[int, ...] = integers(
        (10, 20, 30, 50), "dimensions d (n = d // 2), one point each", 3, 10_000
    )
    ms: tuple[int, ...] = integers(
        (5, 10, 20, 50, 100, 200, 500), "training points m, one point each", 1, 10**6
    )
    k: int = integer(50, "width k (filters of each sign)", 1, 100_000)
    replicas: int = integer(10, "replicas per point", 1, 10_000)


def _complexity_settings(profile: str) -> ComplexitySettings:
    if profile == "quick":
        return ComplexitySettings(ds=(10, 30), ms=(10, 50), replicas=3, steps=step_cap(profile))
    return ComplexitySettings(steps=step_cap(profile))


def _complexity_grid(s: ComplexitySettings) -> list[dict]:
    return [s.point(n=d // 2, d=d, k=s.k, m=m, replicas=s.replicas) for d in s.ds for m in s.ms]


@experiment(
    "gen_sample_complexity",
    "T-SC: test accuracy against m for several d (n = d/2), to compare with d^2 log d",
    _complexity_grid,
    settings=_complexity_settings,
)
def gen_sample_complexity(
    *, n, d, k, m, replicas, eta_rule, init_std, steps, seed, device
) -> pd.DataFrame:
    """Test accuracy of `replicas` CNNs with k = 50 on inputs of n = d/2 patches out of d patterns."""
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
    )
    rows = _accuracy_rows(run, k, m, lr, seed)
    rows["m_sc"] = theory.sample_complexity(d)
    return rows


def _pattern_rows(
    net: ConvPool, dist: OrthogonalPatterns, idx: torch.Tensor, y: torch.Tensor
) -> pd.DataFrame:
    """One row per (replica, pattern): the training-set statistics p̂⁺_p, p̂⁻_p, Delta_p = p̂⁺_p - p̂⁻_p,
    and the learned detector score s_p = sum_i relu(<w_i, o_p>) - sum_i relu(<u_i, o_p>) (the book's PSI reconstruction).
    idx (R, m, n) holds the pattern indices of each replica's training set, y (R, m) its labels."""
    a, b = split_tables(net, dist.patterns)
    score = (torch.relu(a).sum(1) - torch.relu(b).sum(1)).cpu()  # (R, P)
    rows = []
    for r in range(net.replicas):
        frac_pos, frac_neg = pattern_statistics(idx[r], y[r], dist.d)
        for p in range(dist.d):
            kind = "p_plus" if p == 0 else "p_minus" if p == 1 else "spurious"
            rows.append(
                (
                    r,
                    p,
                    kind,
                    float(frac_pos[p]),
                    float(frac_neg[p]),
                    float(frac_pos[p] - frac_neg[p]),
                    float(score[r, p]),
                )
            )
    return pd.DataFrame(
        rows, columns=["replica", "pattern", "kind", "frac_pos", "frac_neg", "delta", "score"]
    )


def _psi_settings(profile: str) -> XorGrid:
    if profile == "quick":
        return XorGrid(ms=(20, 100), replicas=3, steps=step_cap(profile))
    return XorGrid(ms=(20, 50, 100, 300), steps=step_cap(profile))


@experiment(
    "gen_psi",
    "PSI (E1): learned detector scores s_p against the training-set statistics Delta_p",
    _xor_grid,
    settings=_psi_settings,
)
def gen_psi(*, n, d, k, m, replicas, eta_rule, init_std, steps, seed, device) -> pd.DataFrame:
    """Per replica and pattern: the training statistics and the learned score (see `_pattern_rows`),
    plus whether the replica reached zero training loss."""
    run = train_cnn(
        n=n,
        d=d,
        k=k,
        m=m,
        replicas=replicas,
        lr=step_size(eta_rule, k),
        init_std=init_std,
        steps=steps,
        seed=seed,
        device=device,
    )
    # standard-basis patterns: index = argmax
    rows = _pattern_rows(run.net, run.dist, run.X.argmax(-1), run.y)
    rows["fitted"] = run.res.fitted.numpy()[rows["replica"]]
    return rows


@dataclasses.dataclass(frozen=True)
class TwoPointSettings(XorShape):
    """One point: `replicas` networks of width k, each trained on its own pair of points."""

    k: int = integer(50, "width k (filters of each sign)", 1, 100_000)
    replicas: int = integer(50, "replicas (pairs)", 1, 10_000)


def _two_points_settings(profile: str) -> TwoPointSettings:
    return TwoPointSettings(replicas=5 if profile == "quick" else 50, steps=step_cap(profile))


def _two_points_grid(s: TwoPointSettings) -> list[dict]:
    return [s.point(n=s.n, d=s.d, k=s.k, replicas=s.replicas)]


@experiment(
    "psi_two_points",
    "T-PSI-2pts: detector scores after training on one positive and one negative point",
    _two_points_grid,
    settings=_two_points_settings,
)
def psi_two_points(*, n, d, k, replicas, eta_rule, init_std, steps, seed, device) -> pd.DataFrame:
    """Each replica trains on its own pair (one positive point, one negative point, each from D
    conditioned on its label). One row per (replica, pattern) as in `_pattern_rows`, plus the score at
    initialisation `score_init`."""
    draws = []
    for r in range(replicas):
        s = TRAIN_SEED_OFFSET + seed + r
        pos = OrthogonalPatterns(n, d, p_positive=1.0).sample_indices(1, seed=s)
        neg = OrthogonalPatterns(n, d, p_positive=0.0).sample_indices(1, seed=s)
        draws.append((torch.cat([pos[0], neg[0]]), torch.cat([pos[1], neg[1]])))
    idx, y = torch.stack([i for i, _ in draws]), torch.stack([t for _, t in draws])
    dist = OrthogonalPatterns(n, d)
    init = xor_cnn(d, k, replicas=replicas, init_std=init_std, seed=seed, device=device)
    net = xor_cnn(d, k, replicas=replicas, init_std=init_std, seed=seed, device=device)
    res = train(net, dist.to_inputs(idx), y, lr=step_size(eta_rule, k), steps=steps, loss="hinge")
    rows = _pattern_rows(net, dist, idx, y)
    rows["score_init"] = _pattern_rows(init, dist, idx, y)["score"]
    rows["fitted"] = res.fitted.numpy()[rows["replica"]]
    return rows


def two_point_checks(rows: pd.DataFrame, tol: float = 1e-6) -> pd.DataFrame:
    """The predictions of T-PSI-2pts, checked per replica of a `psi_two_points` table: s(p_plus) > 0,
    s(p_minus) < 0, a pattern only in the positive point ends at or above its initial score, one only in
    the negative point at or below, one in neither point unchanged, and the run fitted. One row per
    replica, one boolean column per prediction, and `all` (every prediction holds)."""
    where = pattern_location(rows)
    score, init = rows["score"], rows["score_init"]
    tests = {
        "s(p_plus) > 0": (where != "p_plus") | (score > 0),
        "s(p_minus) < 0": (where != "p_minus") | (score < 0),
        "only in x+: s_p >= initial s_p": (where != "only in x+") | (score >= init - tol),
        "only in x-: s_p <= initial s_p": (where != "only in x-") | (score <= init + tol),
        "in neither: s_p unchanged": (where != "in neither") | ((score - init).abs() <= tol),
        "run fitted": rows["fitted"].astype(bool),
    }
    per_replica = pd.DataFrame(tests).groupby(rows["replica"]).all()
    per_replica["all"] = per_replica.all(axis=1)
    return per_replica


def pattern_location(rows: pd.DataFrame) -> pd.Series:
    """Where each pattern of a `psi_two_points` table occurs: p_plus, p_minus, only in x+, only in x-,
    in both, or in neither."""
    pos, neg = rows["frac_pos"] > 0, rows["frac_neg"] > 0
    labels = pd.Series("in neither", index=rows.index)
    labels[pos & ~neg] = "only in x+"
    labels[~pos & neg] = "only in x-"
    labels[pos & neg] = "in both"
    labels[rows["kind"] == "p_plus"] = "p_plus"
    labels[rows["kind"] == "p_minus"] = "p_minus"
    return labels
