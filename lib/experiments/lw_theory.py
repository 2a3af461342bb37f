"""§5 chapter: Theorem 5.1 and the lemmas of its proof, checked on LW_CNN runs (Algorithm 1).

One point = R seeds of Algorithm 1 in float64, each on its own sample S of m points of D (standard
basis: the sphere initialisation is rotation-invariant, so the law of every measured quantity is the
same in any orthonormal basis), with the step sizes and radius of Theorem 5.1 times the factors
`lr1_factor` and `radius_factor` (1 inside the theorem's regime). One row per seed: the lucky-filter
counts (Lemma 5.2), the steps at which each inequality of Lemmas 5.3/5.5/C.1/C.2 failed, the Part 3
quantities, and the test error on `test_size` fresh points.

Our choices [U], the same in every experiment of the chapter unless a grid says otherwise: n = 10,
l = d, T_1 = 50, eta_2 = 4k (the theorem asks for eta_2 < 8k), T_2 = 2,000 (500 in the sweeps over m,
k and n), a^(0) uniform in {-1, +1}.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import torch

from lib.baselines import hard_margin_svm
from lib.distributions import OrthogonalPatterns
from lib.devices import single_thread_on_cpu
from lib.samples import test_set, training_sets
from lib.models import ConvPool
from lib.settings import Settings, integer, integers, real, reals, same_length
from lib.sweep import experiment
from lib.evaluate import test_errors
from lib.theory import LemmaMonitor, certificate, regime, support_margin
from lib.training import train_layerwise


@dataclasses.dataclass(frozen=True)
class LayerwiseRun(Settings):
    """Algorithm 1 in float64 on D (standard basis), with Theorem 5.1's eta_1 and r times factors."""

    T1: int = integer(50, "first-phase steps T_1", 0, 10**6)
    T2: int = integer(2000, "second-phase steps T_2", 0, 10**7)
    lr2_factor: float = real(
        4.0, "eta_2 = lr2_factor k (the theorem asks for eta_2 < 8k)", 0.0, 1e6, low_open=True
    )
    lr1_factor: float = real(
        1.0, "eta_1 = lr1_factor times the theorem's 1 / (4 k (T_1 + 1))", 0.0, 1e9, low_open=True
    )
    radius_factor: float = real(
        1.0, "r = radius_factor times the theorem's eta_1 / 200", 0.0, 1e12, low_open=True
    )
    test_size: int = integer(10_000, "fresh test points", 1, 10**7)

    def point(self, n: int, **over) -> dict:
        """A point: n, these settings, with `over` (d, k, m, seeds ...) in place or added."""
        fields = ("T1", "T2", "lr2_factor", "lr1_factor", "radius_factor", "test_size")
        return {"n": n, **{name: getattr(self, name) for name in fields}, **over}


@dataclasses.dataclass(frozen=True)
class LayerwiseAtN(LayerwiseRun):
    """`LayerwiseRun` with n patches per input at every point."""

    n: int = integer(10, "patches per input", 1, 1_000)


def _misses_a_class(y: torch.Tensor) -> np.ndarray:
    """Per replica: whether the labels y (R, m') hold only one class."""
    return ((y > 0).all(-1) | (y < 0).all(-1)).cpu().numpy()


def _max_margin_direction(
    z2: torch.Tensor, y2: torch.Tensor, a: torch.Tensor, d: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per replica: the cosine between the learned a^(T_2) and the max-margin separator a-hat of
    z(S_2) (a hard-margin SVM without bias), and ||a-hat||^2 max ||z||^2 / d; NaN where z(S_2) is not
    separable. The features are scaled to max norm 1 first (neither quantity depends on the scale)."""
    cos, ratio = [], []
    for r in range(z2.shape[0]):
        scale = float((z2[r] ** 2).sum(-1).amax().sqrt())
        fit = (
            hard_margin_svm(
                (z2[r] / scale).cpu().numpy(), y2[r].cpu().numpy(), allow_inseparable=True
            )
            if scale > 0
            else None
        )
        if fit is None or not fit.separable:
            cos.append(math.nan)
            ratio.append(math.nan)
            continue
        a_r = a[r].cpu().numpy()
        cos.append(float(a_r @ fit.w / (np.linalg.norm(a_r) * np.linalg.norm(fit.w))))
        ratio.append(float(fit.norm2) / d)
    return np.array(cos), np.array(ratio)


def run_layerwise(**point):
    """Algorithm 1 on `seeds` replicas; returns (per-seed rows, trajectory rows or None). On the CPU it
    runs on one torch thread: its tensors are small, and more threads cost more than they save."""
    device = point.get("device", "cpu")
    with single_thread_on_cpu(device):
        return _run_layerwise(**point)


def _run_layerwise(
    *,
    d,
    k,
    m,
    seeds,
    seed=0,
    n,
    T1,
    T2,
    lr1_factor,
    radius_factor,
    lr2_factor,
    test_size,
    trajectory=False,
    device="cpu",
):
    rg = regime(d, k, T1)
    lr1, radius = rg.lr1 * lr1_factor, rg.radius * radius_factor
    dist = OrthogonalPatterns(n, d, dtype=torch.float64)
    X, y = training_sets(dist, m, seed, seeds)
    net = ConvPool(
        d, k, replicas=seeds, radius=radius, seed=seed, dtype=torch.float64, device=device
    )
    m1 = (m + 1) // 2
    monitor = LemmaMonitor(dist.patterns.to(device), y[:, :m1], lr1, radius)
    res = train_layerwise(net, X, y, T1=T1, T2=T2, lr1=lr1, lr2=lr2_factor * k, on_step=monitor)
    plus, minus = monitor.lucky
    # Part 3: the certificate v* on z(S), the learned a on z(S_2)
    z = net.features(X)  # (R, m, k)
    yd = y.to(z)
    v = certificate((plus, minus), d, k, lr1, T1).to(z)
    cert_margin = (yd * torch.einsum("rmk,rk->rm", z, v)).amin(-1)
    zmax2 = (z**2).sum(-1).amax(-1)
    out2 = torch.einsum("rmk,rk->rm", z[:, m1:], net.a.detach())
    svm_cos, svm_ratio = _max_margin_direction(z[:, m1:], yd[:, m1:], net.a.detach(), d)
    Xt, yt = test_set(dist, seed, size=test_size)
    rows = pd.DataFrame(
        {
            "replica": range(seeds),
            "lucky_plus": plus.sum(-1).cpu().numpy(),
            "lucky_minus": minus.sum(-1).cpu().numpy(),
            **{f"viol {c}": monitor.violations[c].numpy() for c in LemmaMonitor.CHECKS},
            "cert_margin": cert_margin.cpu().numpy(),
            "cert_margin_support": support_margin(
                net.tables(dist.patterns.to(device)), v, n
            ).numpy(),
            "cert_norm_ratio": ((v**2).sum(-1) * zmax2 / d).cpu().numpy(),
            "svm_cos": svm_cos,
            "svm_norm_ratio": svm_ratio,
            "L1_final": res.loss1[-1].numpy(),
            "L2_final": res.loss2[-1].numpy(),
            "train_error_S2": ((yd[:, m1:] * out2) <= 0).double().mean(-1).cpu().numpy(),
            "test_error": test_errors(net, Xt.to(device), yt),
            "one_class": _misses_a_class(y[:, :m1]) | _misses_a_class(y[:, m1:]),
            "lr1": lr1,
            "radius": radius,
            "k_min": rg.k_min,
        }
    )
    if not trajectory:
        return rows, None
    steps = np.unique(np.geomspace(1, T2 + 1, 60).astype(int) - 1)
    traj = pd.concat(
        [
            pd.DataFrame(
                {
                    "phase": 1,
                    "t": range(T1 + 1),
                    "own_min": torch.stack(monitor.own_min).amin(-1).numpy(),
                    "other_max": torch.stack(monitor.other_max).amax(-1).numpy(),
                    "score_max": torch.stack(monitor.score_max).amax(-1).numpy(),
                    "loss": res.loss1.mean(-1).numpy(),
                }
            ),
            pd.DataFrame(
                {
                    "phase": 2,
                    "t": steps,
                    "loss": res.loss2[steps].mean(-1).numpy(),
                    "loss_max": res.loss2[steps].amax(-1).numpy(),
                }
            ),
        ],
        ignore_index=True,
    )
    return rows, traj


@dataclasses.dataclass(frozen=True)
class LemmaSettings(LayerwiseAtN):
    """Inside the regime (k = 8 d^3 + 1 at each d of ds), then at d_out: k below 8 d^3 (ks_out), eta_1
    times each of lr1_factors, r times each of radius_factors; m points and `seeds` seeds at each."""

    ds: tuple[int, ...] = integers((4, 5, 6), "d of the runs inside the regime", 3, 12)
    d_out: int = integer(4, "d of the runs outside the regime", 3, 12)
    ks_out: tuple[int, ...] = integers(
        (8, 32), "channels k below 8 d^3 at d_out", 1, 10**6, empty=True
    )
    lr1_factors: tuple[float, ...] = reals(
        (10.0, 100.0, 1000.0), "eta_1 factors at d_out", 0.0, 1e9, low_open=True
    )
    radius_factors: tuple[float, ...] = reals(
        (100.0, 10_000.0), "r factors at d_out", 0.0, 1e12, low_open=True
    )
    m: int = integer(200, "training points", 2, 10**6)
    seeds: int = integer(20, "seeds per setting", 1, 10_000)


def _regime_settings(profile: str) -> LemmaSettings:
    if profile == "full":
        return LemmaSettings()
    return LemmaSettings(
        T2=500,
        test_size=2000,
        ds=(4,),
        ks_out=(8,),
        lr1_factors=(1000.0,),
        radius_factors=(10_000.0,),
        seeds=5,
    )


def _regime_grid(s: LemmaSettings) -> list[dict]:
    k_in = 8 * s.d_out**3 + 1
    common = dict(seeds=s.seeds)
    return (
        [s.point(s.n, d=d, k=8 * d**3 + 1, m=s.m, setting="inside", **common) for d in s.ds]
        + [s.point(s.n, d=s.d_out, k=k, m=s.m, setting=f"k = {k}", **common) for k in s.ks_out]
        + [
            s.point(s.n, d=s.d_out, k=k_in, m=s.m, lr1_factor=f, setting=f"eta_1 x {f:g}", **common)
            for f in s.lr1_factors
        ]
        + [
            s.point(s.n, d=s.d_out, k=k_in, m=s.m, radius_factor=f, setting=f"r x {f:g}", **common)
            for f in s.radius_factors
        ]
    )


@experiment(
    "lw_lemmas",
    "Theorem 5.1's lemmas along LW_CNN, inside the regime and outside it",
    _regime_grid,
    settings=_regime_settings,
)
def lw_lemmas(*, setting, device, **point) -> pd.DataFrame:
    """Per seed: lucky-filter counts, lemma violations, Part 3 quantities and test error."""
    return run_layerwise(**point, device=device)[0].assign(setting=setting)


@dataclasses.dataclass(frozen=True)
class TrajectorySettings(LayerwiseAtN):
    """One point: `seeds` runs at (d, k, m), every step recorded."""

    d: int = integer(4, "dimension d = l", 3, 12)
    k: int = integer(513, "channels (8 d^3 + 1 at d = 4)", 1, 10**6)
    m: int = integer(200, "training points", 2, 10**6)
    seeds: int = integer(20, "seeds", 1, 10_000)


def _trajectory_settings(profile: str) -> TrajectorySettings:
    full = profile == "full"
    return TrajectorySettings(T2=20_000 if full else 5000, seeds=10 if full else 5)


def _trajectory_grid(s: TrajectorySettings) -> list[dict]:
    return [s.point(s.n, d=s.d, k=s.k, m=s.m, seeds=s.seeds)]


@experiment(
    "lw_trajectory",
    "The lucky filters' scores along the first phase, L_2 along the second (d = 4)",
    _trajectory_grid,
    settings=_trajectory_settings,
)
def lw_trajectory(*, device, **point) -> pd.DataFrame:
    """Per step t: the smallest own-pattern score of a lucky filter, the largest other score of a
    lucky filter, the largest score of any channel (min/max over seeds), and the mean loss."""
    return run_layerwise(**point, trajectory=True, device=device)[1]


@dataclasses.dataclass(frozen=True)
class SampleSettings(LayerwiseAtN):
    """One point per (ds[i], ms[i], seeds[i]), k = 8 d^3 + 1: outside Theorem 5.1's regime of m (m < 100,
    where its probability is small or vacuous) and inside it (m = 128, 256)."""

    ds: tuple[int, ...] = integers(
        (4,) * 5 + (5,) * 5 + (6,) * 5 + (4, 4, 5, 5, 6, 6, 7, 7, 8, 8), "d of each point", 3, 12
    )
    ms: tuple[int, ...] = integers(
        (4, 8, 16, 32, 64) * 3 + (128, 256) * 5, "m of each point", 2, 10**6
    )
    seeds: tuple[int, ...] = integers((20,) * 15 + (10,) * 10, "seeds of each point", 1, 10_000)

    def validate(self) -> None:
        same_length(self, "ds", "ms", "seeds")


def _sample_settings(profile: str) -> SampleSettings:
    if profile == "full":
        return SampleSettings(T2=500)
    return SampleSettings(
        T2=500, test_size=2000, ds=(4, 4, 5, 4, 5), ms=(16, 128, 128, 256, 256), seeds=(5,) * 5
    )


def _sample_grid(s: SampleSettings) -> list[dict]:
    return [s.point(s.n, d=d, k=8 * d**3 + 1, m=m, seeds=r) for d, m, r in zip(s.ds, s.ms, s.seeds)]


@experiment(
    "lw_samples",
    "Theorem 5.1(2): test error against m for several d, k = 8 d^3 + 1",
    _sample_grid,
    settings=_sample_settings,
)
def lw_samples(*, device, **point) -> pd.DataFrame:
    """Per seed: test error after LW_CNN on m points."""
    return run_layerwise(**point, device=device)[0]


@dataclasses.dataclass(frozen=True)
class WidthSettings(LayerwiseAtN):
    """One point per (m, f): k = f 8 d^3 + 1 channels, at m = 8 (outside the theorem's regime of m) and
    m = 128 (inside)."""

    d: int = integer(4, "dimension d = l", 3, 12)
    ms: tuple[int, ...] = integers((8, 128), "training points m", 2, 10**6)
    k_factors: tuple[int, ...] = integers((1, 2, 4, 8), "f in k = f 8 d^3 + 1", 1, 1_000)
    seeds: int = integer(20, "seeds per point", 1, 10_000)


def _width_settings(profile: str) -> WidthSettings:
    if profile == "full":
        return WidthSettings(T2=500)
    return WidthSettings(T2=500, test_size=2000, k_factors=(1, 8), seeds=5)


def _width_grid(s: WidthSettings) -> list[dict]:
    return [
        s.point(s.n, d=s.d, k=f * 8 * s.d**3 + 1, m=m, seeds=s.seeds)
        for m in s.ms
        for f in s.k_factors
    ]


@experiment(
    "lw_widths",
    "K-FREE: test error against k from 8 d^3 to 8 * 8 d^3 (m = 8 and 128)",
    _width_grid,
    settings=_width_settings,
)
def lw_widths(*, device, **point) -> pd.DataFrame:
    """Per seed: test error after LW_CNN with k channels."""
    return run_layerwise(**point, device=device)[0]


@dataclasses.dataclass(frozen=True)
class PatchSettings(LayerwiseRun):
    """One point per (m, n) at (d, k): n from 2 to 50, at m = 8 (outside the theorem's regime of m) and
    m = 128 (inside)."""

    d: int = integer(5, "dimension d = l", 3, 12)
    k: int = integer(1001, "channels (8 d^3 + 1 at d = 5)", 1, 10**6)
    ns: tuple[int, ...] = integers((2, 5, 10, 20, 50), "patches n", 1, 1_000)
    ms: tuple[int, ...] = integers((8, 128), "training points m", 2, 10**6)
    seeds: int = integer(20, "seeds per point", 1, 10_000)


def _patches_settings(profile: str) -> PatchSettings:
    if profile == "full":
        return PatchSettings(T2=500)
    return PatchSettings(T2=500, test_size=2000, d=4, k=513, ns=(2, 10, 50), seeds=5)


def _patches_grid(s: PatchSettings) -> list[dict]:
    return [s.point(n, d=s.d, k=s.k, m=m, seeds=s.seeds) for m in s.ms for n in s.ns]


@experiment(
    "lw_patches",
    "N-FREE: test error against n (d = 5, k = 1001, m = 8 and 128)",
    _patches_grid,
    settings=_patches_settings,
)
def lw_patches(*, device, **point) -> pd.DataFrame:
    """Per seed: test error after LW_CNN on inputs of n patches."""
    return run_layerwise(**point, device=device)[0]


PROOF_ORDER = ("L5.2", "C.1", "C.2", "L5.3(1)", "L5.3(2)", "L5.3(3)", "L5.5", "Part 3")


def breakdown(df: pd.DataFrame) -> pd.DataFrame:
    """Per setting (and d, k) of `lw_lemmas`: the runs failing each step of the proof (Lemma 5.2's interval for
    either count, each monitored inequality at some step, Part 3's certificate margin >= 1), the first
    step in the proof's order that fails in some run, and the mean test error."""
    rows = []
    for (setting, d, k), g in df.groupby(["setting", "d", "k"], sort=False):
        d, k = int(d), int(k)
        lo, hi = k / (4 * d), k / d
        counts = g[["lucky_plus", "lucky_minus"]]
        failing = {"L5.2": int((~((counts >= lo) & (counts <= hi)).all(axis=1)).sum())}
        failing |= {c: int((g[f"viol {c}"] > 0).sum()) for c in LemmaMonitor.CHECKS}
        failing["Part 3"] = int((g.cert_margin < 1).sum())
        first = next((c for c in PROOF_ORDER if failing[c] > 0), "none")
        rows.append(
            {
                "setting": setting,
                "d": d,
                "k": k,
                "runs": len(g),
                **failing,
                "first to fail": first,
                "test error": float(g.test_error.mean()),
            }
        )
    return pd.DataFrame(rows).set_index(["setting", "d", "k"])
