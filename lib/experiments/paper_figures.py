"""§7 chapter (book/paper/experiments): the paper's Figs. 3a, 3b, 5 and 3c, and layer-wise against end to end.

Three models, as the paper's §7 describes them:
- ConvPool (Eq. 1) with k = 500 channels and a trained second layer, trained end to end with Adam on
  the logistic loss;
- MLP: one hidden layer of ReLU units on the whole flattened x (`lib.models.MLP.matching`), its width
  chosen so that its parameter count is closest to ConvPool's, trained the same way;
- SVM: a linear SVM without bias on x (`lib.baselines.linear_svm`: the hard margin where the training
  set is separable, else a squared-hinge soft margin with C = 1e4).

Every knob of a figure is a field of its `lib.protocol.FigureSettings` (`figure_settings(figure,
profile)` gives the book's; `lib.run("fig3a", k=64)` replaces one). One point = one value of the x axis
with `seeds` repetitions. Repetition r of base seed s: model seed s + r, training set from seed
TRAIN_SEED_OFFSET + s + r, and its own test set of `test_size` fresh points from seed TEST_SEED_OFFSET +
s + r. Fig. 3c's task is `lib.MnistPatterns` (n = 4 real MNIST digits, d = 784): training sets from the
training pool of images, test sets from the disjoint test pool. The ConvPool and MLP repetitions are the
replicas of one batched model each; their step sizes (and ConvPool's radius) are those the selection of
`lib.protocol` chose at the figure's reference setting.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pandas as pd

from lib.baselines import linear_svm
from lib.cache import ResultsCache, code_version
from lib.devices import single_thread_on_cpu
from lib.distributions import NOISE_LAWS
from lib.linear_floor import linear_floor
from lib.models import MLP, ConvPool
from lib.protocol import (
    FigureSettings,
    LayerwiseSettings,
    chosen,
    distribution,
    errors,
    figure_settings,
    fit_adam,
    sample_sets,
    selection,
    steps_for,
)
from lib.samples import TEST_SEED_OFFSET, TRAIN_SEED_OFFSET
from lib.settings import (
    Settings,
    choice,
    choices,
    integer,
    integers,
    reals,
    same_length,
)
from lib.sweep import PROFILES, experiment
from lib.training import train_layerwise

MODELS = ("ConvPool", "MLP", "SVM")


def figure_points(s: FigureSettings) -> list[dict[str, Any]]:
    """One point per value of the x axis: the settings without the grid, plus `x`."""
    base = s.as_dict()
    del base["grid"]
    return [{**base, "x": x} for x in s.grid]


def point_settings(point: dict[str, Any]) -> FigureSettings:
    """The one-point settings of a point of `figure_points`."""
    fields = {key: value for key, value in point.items() if key != "x"}
    return FigureSettings(**fields, grid=(point["x"],))


def run_point(s: FigureSettings, device: str = "cpu") -> pd.DataFrame:
    """ConvPool, MLP and SVM on `s.seeds` repetitions at the one point of `s` (its grid holds one x),
    with the step sizes (and radius) that the selection of `s` chose, Adam for at most `max_steps`
    steps, and the SVM only when m <= `svm_max_m`. One row per (model, seed).

    Each repetition is cached on its own (`_replica_config`): its result depends on its own seed and on
    the base seed `seed` (which draws the minibatch indices), not on how many repetitions run beside it,
    so asking for more seeds trains only the new ones."""
    if len(s.grid) != 1:
        raise ValueError(
            f"run_point takes the settings of one point (a grid of one x), got grid={s.grid}"
        )
    cache = ResultsCache()
    reps = [s.seed + r for r in range(s.seeds)]
    found = {rep: cache.get(_replica_config(s, rep, device)) for rep in reps}
    missing = [rep for rep in reps if found[rep] is None]
    if missing:
        fresh = _train_replicas(s, missing, device)
        for rep in missing:
            rows = fresh[fresh.seed == rep].reset_index(drop=True)
            cache.put(_replica_config(s, rep, device), rows, {"device": device})
            found[rep] = (rows, {})
    rows = pd.concat([found[rep][0] for rep in reps], ignore_index=True)
    # models first, then seeds, as one batched run gives them
    order = {name: i for i, name in enumerate(MODELS)}
    return rows.sort_values("model", key=lambda col: col.map(order), kind="stable").reset_index(
        drop=True
    )


def _replica_config(s: FigureSettings, rep: int, device: str) -> dict[str, Any]:
    """The cache entry of repetition `rep` of a point (its settings without the number of seeds)."""
    setting = s.as_dict()
    del setting["seeds"]
    return {
        "experiment": "paper_point_replica",
        "point": setting,
        "replica": rep,
        "device": device,
        "code": code_version(__name__),
    }


def _train_replicas(s: FigureSettings, reps: list[int], device: str) -> pd.DataFrame:
    """ConvPool and MLP (one batched model each, replica seeds `reps`, minibatches from the base seed)
    and the SVM, for the repetitions `reps` of one point; one row per (model, seed)."""
    n, m = s.point_n, s.point_m
    with single_thread_on_cpu(device):
        pick = chosen(selection(s, device))
        dist = distribution(s)
        X, y = sample_sets(dist, m, reps, TRAIN_SEED_OFFSET)
        Xt, yt = sample_sets(distribution(s, pool="test"), s.test_size, reps, TEST_SEED_OFFSET)
        rows = []
        conv = ConvPool(
            dist.d,
            s.k,
            replicas=len(reps),
            radius=pick["ConvPool"]["radius"],
            seed=reps,
            device=device,
        )
        mlp = MLP.matching(conv, n, replicas=len(reps), seed=reps, device=device)
        steps = steps_for(m, s.epochs, s.batch_size, s.max_steps)[0]
        for name, net in (("ConvPool", conv), ("MLP", mlp)):
            lr, radius = pick[name]["lr"], pick[name]["radius"]
            sec = fit_adam(
                net,
                X,
                y,
                lr=lr,
                epochs=s.epochs,
                batch_size=s.batch_size,
                seed=s.seed,
                max_steps=s.max_steps,
            )
            for r, (tr, te) in enumerate(zip(errors(net, X, y), errors(net, Xt, yt))):
                rows.append(
                    {
                        "model": name,
                        "seed": reps[r],
                        "n": n,
                        "m": m,
                        "train_error": float(tr),
                        "test_error": float(te),
                        "params": net.num_parameters,
                        "width": getattr(net, "width", s.k),
                        "lr": lr,
                        "radius": radius,
                        "batch_size": min(s.batch_size, m),
                        "steps": steps,
                        "svm": "",
                        "svm_kkt": math.nan,
                        "seconds": sec / len(reps),
                    }
                )
        for r in range(len(reps) if s.svm_max_m is None or m <= s.svm_max_m else 0):
            fit = linear_svm(X[r], y[r])
            rows.append(
                {
                    "model": "SVM",
                    "seed": reps[r],
                    "n": n,
                    "m": m,
                    "train_error": fit.train_error,
                    "test_error": fit.error(Xt[r], yt[r]),
                    "params": n * dist.d,
                    "width": 0,
                    "lr": math.nan,
                    "radius": math.nan,
                    "batch_size": 0,
                    "steps": 0,
                    "svm": fit.kind if fit.kind == "hard" else f"soft (C = {fit.C:g})",
                    "svm_kkt": fit.kkt_residual,
                    "seconds": fit.seconds,
                }
            )
    return pd.DataFrame(rows)


def _settings(figure: str):
    return lambda profile: figure_settings(figure, profile)


@experiment(
    "fig3a",
    "§7 Fig. 3a: ConvPool (Adam), MLP and SVM against m, d = 20, n = 10, no noise",
    figure_points,
    settings=_settings("fig3a"),
)
def fig3a(*, device, **point) -> pd.DataFrame:
    """One m: every model's test and training error per seed."""
    return run_point(point_settings(point), device)


@experiment(
    "fig3b",
    "§7 Fig. 3b: as Fig. 3a with noise ||v|| <= 1 on every patch",
    figure_points,
    settings=_settings("fig3b"),
)
def fig3b(*, device, **point) -> pd.DataFrame:
    """One m: every model's test and training error per seed."""
    return run_point(point_settings(point), device)


@experiment(
    "fig5",
    "§7 Fig. 5: the three models against n (noise ||v|| <= 1, m = 50)",
    figure_points,
    settings=_settings("fig5"),
)
def fig5(*, device, **point) -> pd.DataFrame:
    """One n: every model's test and training error per seed."""
    return run_point(point_settings(point), device)


@experiment(
    "fig3c",
    "§7 Fig. 3c: the three models against m on MNIST (a 5 or a 3 among n = 4 digits)",
    figure_points,
    settings=_settings("fig3c"),
)
def fig3c(*, device, **point) -> pd.DataFrame:
    """One m: every model's test and training error per seed."""
    return run_point(point_settings(point), device)


# --- what the paper leaves unstated: the same figures under other reasonable choices -------------------

GAUSSIAN_SCALE = (20 / 22) ** 0.5  # N(0, s^2 I/d) with the ball's E||v||^2 = d/(d + 2) at d = 20
# variant -> (figure, overrides of the figure's settings) [U]: the noise law, Fig. 5's m, the Adam budget
# and the selection's grid of step sizes, one at a time
VARIANTS = {
    "fig3b: noise uniform in the ball": ("fig3b", {"noise_law": "ball"}),
    "fig3b: noise Gaussian (E||v||^2 of the ball)": (
        "fig3b",
        {"noise_law": "gaussian", "noise_scale": GAUSSIAN_SCALE},
    ),
    "fig3b: 25 epochs": ("fig3b", {"epochs": 25}),
    "fig3b: 100 epochs": ("fig3b", {"epochs": 100}),
    "fig3b: wider step-size grid": ("fig3b", {"lrs": (3e-4, 1e-3, 3e-3, 1e-2, 3e-2)}),
    "fig5: noise uniform in the ball": ("fig5", {"noise_law": "ball"}),
    "fig5: noise Gaussian (E||v||^2 of the ball)": (
        "fig5",
        {"noise_law": "gaussian", "noise_scale": GAUSSIAN_SCALE},
    ),
    "fig5: m = 10": ("fig5", {"m": 10}),
    "fig5: m = 100": ("fig5", {"m": 100}),
}


@dataclasses.dataclass(frozen=True)
class SensitivitySettings(Settings):
    """One point per (variant, x): the figure's settings of `figure_profile` with the variant's overrides
    (`VARIANTS`), `seeds` repetitions, on the variant's grid of x."""

    variants: tuple[str, ...] = choices(
        tuple(VARIANTS), "the variants, names of VARIANTS", tuple(VARIANTS)
    )
    ball_fig3b_grid: tuple[int, ...] = integers(
        (10, 100, 200, 500, 1000),
        "m of Fig. 3b under noise uniform in the "
        "ball (every published m: the law the book set aside)",
        2,
        10**6,
    )
    ball_fig5_grid: tuple[int, ...] = integers(
        (2, 5, 10, 20, 50),
        "n of Fig. 5 under noise uniform in the ball (every published n)",
        1,
        10_000,
    )
    fig3b_grid: tuple[int, ...] = integers(
        (10, 100),
        "m of Fig. 3b's other variants (their m = 1,000 points would cost most of the sweep)",
        2,
        10**6,
    )
    fig5_grid: tuple[int, ...] = integers((2, 10, 50), "n of Fig. 5's other variants", 1, 10_000)
    seeds: int = integer(
        5,
        "repetitions per point (the paper's; the first 5 of the figure's own are shared)",
        1,
        10_000,
    )
    figure_profile: str = choice(
        "full", "the profile of the figures' settings that the variants change", PROFILES
    )

    def grid_of(self, variant: str) -> tuple[int, ...]:
        """The x values of `variant`."""
        figure, over = VARIANTS[variant]
        if over.get("noise_law") == "ball":
            return self.ball_fig5_grid if figure == "fig5" else self.ball_fig3b_grid
        return self.fig5_grid if figure == "fig5" else self.fig3b_grid


def _sensitivity_settings(profile: str) -> SensitivitySettings:
    """Quick: Fig. 3b's and Fig. 5's noise laws at their smallest x only."""
    if profile == "full":
        return SensitivitySettings()
    return SensitivitySettings(
        variants=tuple(v for v in VARIANTS if "noise" in v),
        ball_fig3b_grid=(10,),
        ball_fig5_grid=(2,),
        fig3b_grid=(10,),
        fig5_grid=(2,),
        figure_profile=profile,
    )


def sensitivity_points(s: SensitivitySettings) -> list[dict[str, Any]]:
    """One point per (variant, x): the figure's settings with the variant's overrides on its grid."""
    points = []
    for variant in s.variants:
        figure, over = VARIANTS[variant]
        fs = figure_settings(figure, s.figure_profile).replace(
            grid=s.grid_of(variant), seeds=s.seeds, **over
        )
        points += [{"variant": variant, "figure": figure, **p} for p in figure_points(fs)]
    return points


@experiment(
    "sensitivity",
    "§7: Figs. 3b and 5 under other noise laws, sample sizes, budgets and step-size grids",
    sensitivity_points,
    settings=_sensitivity_settings,
)
def sensitivity(*, variant, figure, device, **point) -> pd.DataFrame:
    """One x of one variant: every model's test and training error per seed."""
    return run_point(point_settings(point), device)


@dataclasses.dataclass(frozen=True)
class FloorSettings(Settings):
    """One point per candidate noise law (laws[i] at scale scales[i]) at Fig. 3b's n and d."""

    n: int = integer(10, "patches per input", 1, 1_000)
    d: int = integer(20, "dimension of a patch (l = d patterns)", 3, 10_000)
    laws: tuple[str, ...] = choices(
        ("ball", "radial-uniform", "gaussian"), "the candidate laws of the noise v", NOISE_LAWS
    )
    scales: tuple[float, ...] = reals(
        (1.0, 1.0, GAUSSIAN_SCALE),
        "their scales (||v|| <= 1; the Gaussian's with the ball's E||v||^2)",
        0.0,
        1e6,
    )
    fit_size: int = integer(20_000, "points on which the candidate directions are fitted", 1, 10**8)
    eval_size: int = integer(100_000, "fresh points on which each is evaluated", 1, 10**8)

    def validate(self) -> None:
        same_length(self, "laws", "scales")


def _floor_settings(profile: str) -> FloorSettings:
    return FloorSettings() if profile == "full" else FloorSettings(fit_size=2_000, eval_size=10_000)


def _floor_points(s: FloorSettings) -> list[dict[str, Any]]:
    return [
        dict(n=s.n, d=s.d, law=law, scale=scale, fit_size=s.fit_size, eval_size=s.eval_size)
        for law, scale in zip(s.laws, s.scales)
    ]


@experiment(
    "linear_floors",
    "§7: the smallest test error of any linear classifier under each candidate noise law",
    _floor_points,
    settings=_floor_settings,
)
def linear_floors(*, n, d, law, scale, fit_size, eval_size, device) -> pd.DataFrame:
    """One law (n = 10, d = 20, as Fig. 3b): every candidate direction's error on fresh points (with its Clopper-Pearson
    interval and cosine with the separator), the separator's exact bracket, and the floor the rule of
    `lib.linear_floor` chose (columns floor, floor_low, floor_high, method)."""
    fit = linear_floor(n, d, law, scale, fit_size=fit_size, eval_size=eval_size)
    return fit.candidates.assign(
        floor=fit.estimate,
        floor_low=fit.low,
        floor_high=fit.high,
        method=fit.method,
        separator_low=fit.separator.low,
        separator_high=fit.separator.high,
    )


# --- layer-wise (Algorithm 1) against end to end --------------------------------------------------------


def _lw_settings(profile: str) -> LayerwiseSettings:
    return LayerwiseSettings() if profile == "full" else LayerwiseSettings(grid=(10, 50), seeds=5)


def _lw_points(s: LayerwiseSettings) -> list[dict[str, Any]]:
    base = s.as_dict()
    del base["grid"]
    return [{**base, "m": m} for m in s.grid]


@experiment(
    "lw_vs_e2e",
    "§7: LW_CNN (Algorithm 1, relaxed steps) on Fig. 3a's setting, k = 500",
    _lw_points,
    settings=_lw_settings,
)
def lw_vs_e2e(*, m, device, **fields) -> pd.DataFrame:
    """LW_CNN on the same training sets, initial seeds and test sets as the Fig. 3a point of the same m
    (so each row pairs with that figure's ConvPool row of the same seed). One row per seed."""
    s = LayerwiseSettings(**fields, grid=(m,))
    figure = FigureSettings(
        n=s.n, d=s.d, k=s.k, basis_seed=s.basis_seed, seed=s.seed, seeds=s.seeds, grid=(m,)
    )
    with single_thread_on_cpu(device):
        reps = [s.seed + r for r in range(s.seeds)]
        dist = distribution(figure)
        X, y = sample_sets(dist, m, reps, TRAIN_SEED_OFFSET)
        Xt, yt = sample_sets(dist, s.test_size, reps, TEST_SEED_OFFSET)
        net = ConvPool(s.d, s.k, replicas=s.seeds, radius=s.radius, seed=s.seed, device=device)
        res = train_layerwise(net, X, y, T1=s.T1, T2=s.T2, lr1=s.lr1, lr2=s.lr2)
        train_err, test_err = errors(net, X, y), errors(net, Xt, yt)
    return pd.DataFrame(
        {
            "model": "LW_CNN",
            "seed": reps,
            "n": s.n,
            "m": m,
            "train_error": train_err,
            "test_error": test_err,
            "seconds": res.seconds / s.seeds,
        }
    )


# --- the explorer: the three models over a grid of n, m and the noise scale ------------------------------


@dataclasses.dataclass(frozen=True)
class ExploreSettings(Settings):
    """The explorer's grid (book/use/explore.py): one point per (n, noise scale, m) with Fig. 3b's other
    settings of `figure_profile` (d = 20, k = 500)."""

    ns: tuple[int, ...] = integers((2, 10, 50), "patches n", 1, 10_000)
    noise_scales: tuple[float, ...] = reals(
        (0.0, 0.5, 1.0), "noise scales (the largest ||v||)", 0.0, 1e6
    )
    ms: tuple[int, ...] = integers((10, 50, 200), "training points m", 2, 10**6)
    seeds: int = integer(3, "repetitions per point", 1, 10_000)
    figure_profile: str = choice(
        "full", "the profile of Fig. 3b's settings and selection", PROFILES
    )


def _explore_settings(profile: str) -> ExploreSettings:
    if profile == "full":
        return ExploreSettings()
    return ExploreSettings(
        ns=(2, 10), noise_scales=(0.0, 1.0), ms=(10, 100), seeds=2, figure_profile=profile
    )


def explore_points(s: ExploreSettings) -> list[dict[str, Any]]:
    """One point per (n, noise_scale, m) of `s`, with Fig. 3b's other settings of `s.figure_profile` and,
    at every point, the step sizes and radius that Fig. 3b's selection chose: the candidate lists are cut
    to the chosen values, so each point's own selection (one repetition) has nothing left to choose when
    ConvPool and the MLP chose the same step size."""
    fig3b = figure_settings("fig3b", s.figure_profile)
    pick = chosen(selection(fig3b))
    base = fig3b.replace(
        grid=s.ms,
        seeds=s.seeds,
        selection_seeds=1,
        lrs=tuple(sorted({p["lr"] for p in pick.values()})),
        radii=(pick["ConvPool"]["radius"],),
    )
    return [
        point
        for n in s.ns
        for noise in s.noise_scales
        for point in figure_points(base.replace(n=n, noise_scale=noise))
    ]


@experiment(
    "explore_grid",
    "§7: ConvPool, MLP and SVM over n, m and the noise scale (d = 20, k = 500) for the explorer",
    explore_points,
    settings=_explore_settings,
)
def explore_grid(*, device, **point) -> pd.DataFrame:
    """One (n, noise_scale, m): every model's test and training error per seed."""
    return run_point(point_settings(point), device)
