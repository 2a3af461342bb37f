"""Part II chapter book/beyond/threshold: how many channels LW_CNN really needs, the empirical k*(d).

Theorem 5.1 asks for k > 8 d^3 channels; §7 trains 500 at d = 20. For each d, k*(d) is the smallest k
at which at least `SHARE` of the seeds reach a test error of at most `MAX_TEST_ERROR`, for three ways
of training ConvPool (`CHOICES`):

- "theorem": Algorithm 1 with Theorem 5.1's step size and radius (`lib.theory.regime`: eta_1 =
  1 / (4 k (T_1 + 1)), r = eta_1 / 200), T_1 = 50, eta_2 = 4 k (< 8 k), in float64 (the steps are tiny);
- "relaxed": Algorithm 1 with the fixed steps of §7's layer-wise comparison (`lib.protocol.LayerwiseSettings`:
  T_1 = 200, eta_1 = r = 1e-3, T_2 = 2,000, eta_2 = 2,000), chosen there before this chapter existed;
- "adam": ConvPool end to end with Adam, with Fig. 3a's epochs, batch size, step size and radius
  (the `epochs` and `batch_size` of `figure_settings("fig3a", ...)`, and what its selection picks).

Data: §7's distribution (`lib.protocol.distribution`: l = d patterns, the rows of one random
orthogonal matrix) with n = 10 patches and m = 200 training points at every d; seed conventions of
`lib.samples` (replica r: model seed r, training set TRAIN_SEED_OFFSET + r; one test set).
The three choices see the same training and test sets, and "theorem" and "relaxed" the same initial
filter directions (the sphere initialisation scales with r).

Two experiments: `k_probe`, one (d, k, choice) with every seed as a replica of one batched model (one
row per seed), and `k_threshold`, one search per (d, choice) (`search_threshold`: k doubled from 2,
then bisected), each probe of which is a cached `k_probe` point.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import torch

from lib._checks import check_choice, check_float, check_int, show
from lib.devices import single_thread_on_cpu
from lib.evaluate import test_errors
from lib.models import ConvPool
from lib.protocol import (
    FigureSettings,
    LayerwiseSettings,
    chosen,
    distribution,
    figure_settings,
    fit_adam,
    selection,
)
from lib.samples import test_set, training_sets
from lib.settings import Settings, choices, integer, integers, real
from lib.settings import choice as one_of
from lib.sweep import PROFILES, experiment, run
from lib.theory import LuckyWatch, detector_sets, lucky_channels, regime
from lib.training import split_sample, train_layerwise

CHOICES = ("theorem", "relaxed", "adam")
# the §5 chapter's T_1, eta_2 = 4k, and T_2 of its sweeps
THEOREM = dict(T1=50, T2=500, lr2_factor=4.0)
MAX_TEST_ERROR = 0.01  # a seed "works" at test accuracy >= 99%
SHARE = 0.95  # k passes when at least this share of the seeds work
MODES = (
    "(a) no lucky filter of one sign",
    "(b) a lucky filter stops detecting",
    "(c) the second layer does not fit",
    "(d) fits but test error > 1%",
)


# --- one probe: (d, k, choice), every seed at once ----------------------------------------------------


def probe(
    *,
    d: int,
    k: int,
    choice: str,
    n: int,
    m: int,
    seeds: int,
    test_size: int,
    selection_profile: str,
    seed: int = 0,
    device: str = "cpu",
) -> pd.DataFrame:
    """ConvPool with k channels trained by `choice` on `seeds` training sets of m points at dimension d.
    One row per seed: the lucky-filter counts at initialisation (Lemma 5.2's sets), whether a lucky
    filter stopped detecting during Algorithm 1's first phase (`LuckyWatch`; NaN for Adam), the
    training error of the second layer on its training set (S_2 for Algorithm 1, S for Adam), whether
    some second layer could fit that set with the final filters (`fittable`), and the test error on
    `test_size` fresh points (exact, by distinct pattern sets)."""
    d, k = check_int("d", d, 3), check_int("k", k, 1)
    choice = check_choice("choice", choice, CHOICES)
    seeds, m = check_int("seeds", seeds, 1), check_int("m", m, 2)
    test_size = check_int("test_size", test_size, 1)
    selection_profile = check_choice("selection_profile", selection_profile, ("quick", "full"))
    with single_thread_on_cpu(device):
        dtype = torch.float64 if choice == "theorem" else torch.float32
        dist = distribution(FigureSettings(n=n, d=d, k=k), dtype=dtype)
        X, y = training_sets(dist, m, seed, seeds)
        patterns = dist.patterns.to(device)
        if choice == "adam":
            fig3a = figure_settings("fig3a", selection_profile)
            pick = chosen(selection(fig3a, device))["ConvPool"]
            net = ConvPool(d, k, replicas=seeds, radius=pick["radius"], seed=seed, device=device)
            lucky = detector_sets(net.tables(patterns), net.a.detach())
            fit_adam(
                net,
                X,
                y,
                lr=pick["lr"],
                epochs=fig3a.epochs,
                batch_size=fig3a.batch_size,
                seed=seed,
            )
            stopped = np.full(seeds, math.nan)
            X2, y2, steps = (
                X,
                y,
                dict(
                    lr=pick["lr"],
                    radius=pick["radius"],
                    epochs=fig3a.epochs,
                    batch_size=fig3a.batch_size,
                ),
            )
        else:
            if choice == "theorem":
                rg = regime(d, k, THEOREM["T1"])
                steps = dict(
                    T1=rg.T1,
                    lr1=rg.lr1,
                    radius=rg.radius,
                    T2=THEOREM["T2"],
                    lr2=THEOREM["lr2_factor"] * k,
                )
            else:
                relaxed = LayerwiseSettings()
                steps = dict(
                    T1=relaxed.T1,
                    lr1=relaxed.lr1,
                    radius=relaxed.radius,
                    T2=relaxed.T2,
                    lr2=relaxed.lr2,
                )
            net = ConvPool(
                d, k, replicas=seeds, radius=steps["radius"], seed=seed, dtype=dtype, device=device
            )
            watch = LuckyWatch(patterns)
            train_layerwise(
                net,
                X,
                y,
                T1=steps["T1"],
                T2=steps["T2"],
                lr1=steps["lr1"],
                lr2=steps["lr2"],
                on_step=watch,
            )
            lucky, stopped = watch.lucky, watch.stopped().numpy()
            m1 = split_sample(m)
            X2, y2 = X[:, m1:], y[:, m1:]
        z = net.features(X2)  # (R, m', k)
        out = torch.einsum("rmk,rk->rm", z, net.a.detach())
        train_error = ((y2.to(out) * out) <= 0).double().mean(-1).cpu().numpy()
        fittable = [
            bool(e == 0) or second_layer_can_fit(z[r], y2[r]) for r, e in enumerate(train_error)
        ]
        Xt, yt = test_set(dist, seed, size=test_size)
        test_error = test_errors(net, Xt.to(device), yt)
    return pd.DataFrame(
        {
            "replica": range(seeds),
            "lucky_plus": lucky[0].sum(-1).cpu().numpy(),
            "lucky_minus": lucky[1].sum(-1).cpu().numpy(),
            "lucky_stopped": stopped,
            "train_error": train_error,
            "fittable": fittable,
            "test_error": test_error,
            **{key: float(v) for key, v in steps.items()},
        }
    )


def second_layer_can_fit(z: torch.Tensor, y: torch.Tensor) -> bool:
    """Whether some second layer a classifies every point of (z, y) correctly with the paper's
    sign(0) = -1: a . z_s > 0 where y_s = +1 and a . z_s <= 0 where y_s = -1, for pooled features z
    (m', k) and labels y (m',). By scale invariance this is the linear programme a . z_s >= 1
    (positives), a . z_s <= 0 (negatives), feasible or not (scipy's HiGHS), on z scaled to largest row
    norm 1."""
    from scipy.optimize import linprog

    Z = z.double().cpu().numpy()
    labels = y.double().cpu().numpy()
    if Z.ndim != 2 or labels.shape != (Z.shape[0],):
        raise ValueError(
            f"z must be (m', k) and y (m',), got shapes {tuple(z.shape)} and {tuple(y.shape)}"
        )
    scale = float(np.linalg.norm(Z, axis=1).max())
    if scale == 0:  # every output is 0, classified -1
        return bool((labels < 0).all())
    Z = Z / scale
    pos = labels > 0
    A = np.vstack([-Z[pos], Z[~pos]])
    b = np.concatenate([-np.ones(pos.sum()), np.zeros((~pos).sum())])
    res = linprog(np.zeros(Z.shape[1]), A_ub=A, b_ub=b, bounds=(None, None), method="highs")
    if res.status not in (0, 2):
        raise RuntimeError(
            f"second_layer_can_fit: the linear programme ended with status {res.status} ({res.message})"
        )
    return res.status == 0


def passed(rows: pd.DataFrame) -> bool:
    """A probe passes when at least SHARE of its seeds reach test error <= MAX_TEST_ERROR."""
    works = int((rows["test_error"] <= MAX_TEST_ERROR).sum())
    return works >= math.ceil(SHARE * len(rows) - 1e-9)


def failure_mode(row) -> str:
    """The first step of Theorem 5.1's proof that a seed breaks ("works" when its test error is at most
    MAX_TEST_ERROR), in the proof's order (`MODES`): (a) at initialisation there is no lucky filter of
    one sign (Lemma 5.2's sets, one of them empty); (b) a lucky filter leaves W_t^+ (or W_t^-) during
    the first phase (Lemma 5.3 / Corollary 5.4; not defined for Adam: NaN); (c) the second layer
    misclassifies a point of its training set (Part 3's separation); (d) it fits that set but the
    test error is above MAX_TEST_ERROR (generalisation)."""
    if row["test_error"] <= MAX_TEST_ERROR:
        return "works"
    if row["lucky_plus"] == 0 or row["lucky_minus"] == 0:
        return MODES[0]
    if row["lucky_stopped"] == 1:  # NaN (Adam) is neither True nor False
        return MODES[1]
    if row["train_error"] > 0:
        return MODES[2]
    return MODES[3]


# --- the search ---------------------------------------------------------------------------------------


def search_threshold(
    passes: Callable[[int], bool], *, k_max: int, resolution: float = 0.1
) -> tuple[int | None, list[tuple[int, bool]]]:
    """The smallest k in [2, k_max] at which `passes(k)` holds, as the chapter searches it: k = 2, 4,
    8, ... (capped at k_max) until the first pass, then bisection between the last failing k (1 if
    k = 2 passes: one channel's output a_1 z_1(x) has one sign for every x, so k = 1 never works) and
    the first passing one, until they differ by at most resolution * (last failing k), or by 1.

    Returns (k*, the probes in order as (k, passed)); k* is None when no k up to k_max passes. For a
    monotone `passes` (false below a threshold k_0, true from k_0 on), k_0 <= k* <= (1 + resolution) k_0,
    and k* = k_0 exactly with resolution 0."""
    k_max = check_int("k_max", k_max, 2)
    resolution = check_float("resolution", resolution, 0.0)
    if not callable(passes):
        raise ValueError(
            f"passes must be a function of k returning True or False, got {show(passes)}"
        )
    probes: list[tuple[int, bool]] = []

    def ok(k: int) -> bool:
        result = bool(passes(k))
        probes.append((k, result))
        return result

    lo, k = 1, 2
    while not ok(k):
        if k == k_max:
            return None, probes
        lo, k = k, min(2 * k, k_max)
    hi = k
    while hi - lo > max(1.0, resolution * lo):
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi, probes


# --- the experiments ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ProbeSetting(Settings):
    """What every probe of one search shares: the data, the seeds and the selection's profile."""

    n: int = integer(10, "patches per input", 1, 1_000)
    m: int = integer(200, "training points per seed", 2, 10**6)
    seeds: int = integer(
        10, "seeds (training sets) per probe (10: 95% of them means all of them)", 1, 10_000
    )
    test_size: int = integer(2000, "fresh test points", 1, 10**7)
    selection_profile: str = one_of(
        "full", "the profile of Fig. 3a's selection whose step size and radius Adam uses", PROFILES
    )


@dataclasses.dataclass(frozen=True)
class ProbeSettings(ProbeSetting):
    """One probe: ConvPool with k channels at dimension d, trained by `choice`."""

    d: int = integer(4, "dimension d = l", 3, 1_000)
    k: int = integer(2, "channels", 1, 10**6)
    choice: str = one_of(CHOICES[0], "how ConvPool is trained", CHOICES)

    def point(self) -> dict:
        return dict(
            d=self.d,
            k=self.k,
            choice=self.choice,
            n=self.n,
            m=self.m,
            seeds=self.seeds,
            test_size=self.test_size,
            selection_profile=self.selection_profile,
        )


@dataclasses.dataclass(frozen=True)
class ThresholdSettings(ProbeSetting):
    """One search per (choice, d), k from 2 to k_max = 8 d^3."""

    ds: tuple[int, ...] = integers(
        (4, 6, 8, 10, 12, 16, 20), "dimensions d = l, one search each", 3, 1_000
    )
    choices: tuple[str, ...] = choices(CHOICES, "ways of training ConvPool", CHOICES)
    resolution: float = real(
        0.1, "the bisection stops at first pass - last fail <= resolution * last fail", 0.0, 10.0
    )


def _probe_settings(profile: str) -> ProbeSettings:
    """The template probe: the first of the first search of `profile` (override d, k and choice)."""
    t = _threshold_settings(profile)
    return ProbeSettings(
        d=t.ds[0],
        choice=t.choices[0],
        n=t.n,
        m=t.m,
        seeds=t.seeds,
        test_size=t.test_size,
        selection_profile=t.selection_profile,
    )


def _probe_grid(s: ProbeSettings) -> list[dict]:
    return [s.point()]


@experiment(
    "k_probe",
    "One (d, k, training choice): every seed's lucky filters, fit and test error",
    _probe_grid,
    settings=_probe_settings,
)
def k_probe(*, device, **point) -> pd.DataFrame:
    """One row per seed (see `probe`)."""
    return probe(**point, device=device)


def _threshold_settings(profile: str) -> ThresholdSettings:
    """Quick: 10 seeds (so that 95% of the seeds means all of them), d <= 8 and a 25% resolution."""
    if profile == "full":
        return ThresholdSettings(selection_profile=profile)
    return ThresholdSettings(seeds=10, ds=(4, 6, 8), resolution=0.25, selection_profile=profile)


def _search_grid(s: ThresholdSettings) -> list[dict]:
    return [
        dict(
            d=d,
            choice=c,
            k_max=8 * d**3,
            resolution=s.resolution,
            n=s.n,
            m=s.m,
            seeds=s.seeds,
            test_size=s.test_size,
            selection_profile=s.selection_profile,
        )
        for c in s.choices
        for d in s.ds
    ]


@experiment(
    "k_threshold",
    "The smallest k at which LW_CNN (theorem's or relaxed steps) or Adam works, per d",
    _search_grid,
    settings=_threshold_settings,
)
def k_threshold(*, d, choice, k_max, resolution, device, **setting) -> pd.DataFrame:
    """Every probe of the search for k*(d) with `choice` (each a cached `k_probe` point): one row per
    (probe, seed), with the probe's order, whether it passed, and k_star (NaN if no k <= k_max passed)."""
    tables: list[pd.DataFrame] = []

    def passes(k: int) -> bool:
        rows = run(
            "k_probe",
            setting["selection_profile"],
            device=device,
            d=d,
            k=k,
            choice=choice,
            **setting,
        )
        tables.append(
            rows.assign(probe=len(tables), probe_seconds=rows.attrs["seconds"], passed=passed(rows))
        )
        return passed(rows)

    k_star, _ = search_threshold(passes, k_max=k_max, resolution=resolution)
    return pd.concat(tables, ignore_index=True).assign(
        k_star=math.nan if k_star is None else float(k_star)
    )


# --- what the chapter shows ---------------------------------------------------------------------------


def thresholds(df: pd.DataFrame) -> pd.DataFrame:
    """Per (choice, d) of `k_threshold` rows: k*, the largest failing k probed below it (the
    bisection's lower end), 8 d^3, the lucky-filter prediction `lucky_channels(d)`, and the probes."""
    rows = []
    for (choice, d), g in df.groupby(["choice", "d"], sort=False):
        k_star = g["k_star"].iloc[0]
        probes = g.drop_duplicates("probe")
        below = probes[
            ~probes["passed"] & (probes["k"] < (k_star if k_star == k_star else math.inf))
        ]
        rows.append(
            {
                "choice": choice,
                "d": int(d),
                "k*": k_star,
                "last failing k": int(below["k"].max()) if len(below) else 1,
                "8d^3": 8 * int(d) ** 3,
                "lucky-filter k": lucky_channels(int(d)),
                "probes": len(probes),
                "seconds": float(probes["probe_seconds"].sum()),
            }
        )
    return pd.DataFrame(rows)


def exponent(table: pd.DataFrame, choice: str) -> tuple[float, float, float]:
    """The least-squares slope of log k* against log d for `choice` in a `thresholds` table, with its
    95% interval from the regression's Student-t distribution (n - 2 degrees of freedom): (slope, low,
    high). The d where no k passed are left out."""
    from lib.stats import t_quantile

    g = table[(table["choice"] == choice) & table["k*"].notna()]
    if len(g) < 3:
        raise ValueError(
            f"need k* at 3 or more d for choice {choice!r} to fit an exponent with an interval, got {len(g)}"
        )
    x, yv = np.log(g["d"].to_numpy(float)), np.log(g["k*"].to_numpy(float))
    slope, intercept = np.polyfit(x, yv, 1)
    resid = yv - (slope * x + intercept)
    se = math.sqrt(float(resid @ resid) / (len(x) - 2) / float(((x - x.mean()) ** 2).sum()))
    half = t_quantile(len(x) - 2) * se
    return float(slope), float(slope - half), float(slope + half)


def failure_modes(df: pd.DataFrame) -> pd.DataFrame:
    """For every probe below k*(d) (every probe, where no k passed), per (choice, d, k): the seeds, those
    that work, those that work although they lack a lucky filter of one sign (so without the proof's
    mechanism), the failing seeds by the first step of the proof they break (`failure_mode`), and,
    whatever that step, the failing seeds whose final pooled features no second layer could fit
    (`fittable` false) and those that fit their second layer's training set."""
    below = df[df["k_star"].isna() | (df["k"] < df["k_star"])].drop_duplicates(
        ["choice", "d", "k", "replica"]
    )
    keys = ["choice", "d", "k"]
    seeds = below.assign(
        mode=below.apply(failure_mode, axis=1),
        unlucky=(below["lucky_plus"] == 0) | (below["lucky_minus"] == 0),
    )
    works, failing = seeds["mode"] == "works", seeds["mode"] != "works"
    table = seeds.groupby(keys, sort=False)["mode"].value_counts().unstack(fill_value=0)
    table = table.reindex(columns=["works", *MODES], fill_value=0)
    extra = {
        "works without a lucky filter of each sign": works & seeds["unlucky"],
        "fails: features not separable": failing & ~seeds["fittable"].astype(bool),
        "fails: fits its training set": failing & (seeds["train_error"] == 0),
    }
    for name, mask in extra.items():
        table[name] = (
            mask.groupby([seeds[k] for k in keys], sort=False)
            .sum()
            .reindex(table.index, fill_value=0)
        )
    table.insert(0, "seeds", table[["works", *MODES]].sum(axis=1))
    return table[
        [
            "seeds",
            "works",
            "works without a lucky filter of each sign",
            *MODES,
            "fails: features not separable",
            "fails: fits its training set",
        ]
    ]


def chapter_facts(df: pd.DataFrame) -> dict[str, float | int | str]:
    """The numbers book/beyond/threshold writes in its prose (glued under these names), from
    `k_threshold` rows: the search's resolution, the largest k* / 8 d^3 and k* of the layer-wise choices, how often
    k* is below the lucky-filter count, the fitted exponents (`exponent`) and the lucky-filter count's
    own log-log slope, the failure counts below k* (`failure_modes`), and the probes and seconds."""
    table, modes = thresholds(df), failure_modes(df)
    lw = table[table["choice"] != "adam"]
    by_d = table.pivot(index="d", columns="choice", values="k*")
    ds = np.sort(table["d"].unique())
    below = df[df["k_star"].isna() | (df["k"] < df["k_star"])].drop_duplicates(
        ["choice", "d", "k", "replica"]
    )
    failing = below[below["test_error"] > MAX_TEST_ERROR]
    slow = failing["fittable"].astype(bool) & (failing["train_error"] > 0)
    layerwise = df[df["choice"] != "adam"].drop_duplicates(["choice", "d", "k", "replica"])
    facts: dict[str, float | int | str] = {
        "resolution": float(df["resolution"].iloc[0]),
        "largest_fraction": float((lw["k*"] / lw["8d^3"]).max()),
        "largest_k_star": int(lw["k*"].max()),
        "below_lucky": f"{int((lw['k*'] < lw['lucky-filter k']).sum())} of {len(lw)}",
        "d_max": int(ds.max()),
        "lucky_d_max": lucky_channels(int(ds.max())),
        "adam_fewer": f"{int((by_d['adam'] < by_d[['theorem', 'relaxed']].min(axis=1)).sum())} of {len(by_d)}",
        "slope_lucky": float(
            np.polyfit(np.log(ds), np.log([lucky_channels(int(d)) for d in ds]), 1)[0]
        ),
        "n_failing": len(failing),
        "n_failing_mode_a": int(modes[MODES[0]].sum()),
        "n_failing_both_lucky": int(
            ((failing["lucky_plus"] > 0) & (failing["lucky_minus"] > 0)).sum()
        ),
        "n_both_lucky": int(((below["lucky_plus"] > 0) & (below["lucky_minus"] > 0)).sum()),
        "n_working": int(modes["works"].sum()),
        "n_working_unlucky": int(modes["works without a lucky filter of each sign"].sum()),
        "n_unfittable": int(modes["fails: features not separable"].sum()),
        "n_fit_fail": int(modes["fails: fits its training set"].sum()),
        "n_slow": int(slow.sum()),
        "n_slow_theorem": int((slow & (failing["choice"] == "theorem")).sum()),
        "n_stopped": int((layerwise["lucky_stopped"] == 1).sum()),
        "n_layerwise_seeds": len(layerwise),
        "probes_total": int(table["probes"].sum()),
        "seconds_total": float(table["seconds"].sum()),
    }
    for choice in CHOICES:
        slope, low, high = exponent(table, choice)
        facts[f"slope_{choice}"] = slope
        facts[f"slope_{choice}_ci"] = f"[{low:.2f}, {high:.2f}]"
    return facts
