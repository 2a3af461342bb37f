"""The training protocol of the paper's §7, shared by its figures and by the k*(d) chapter.

`FigureSettings` holds every knob of one §7 figure; `figure_settings(figure, profile)` gives the book's
defaults, which `lib.run("fig3a", n=6, k=64)` (or `--set`) replace field by field. A figure's points are
the values of its x axis (`grid`: m for Figs. 3a, 3b and 3c, n for Fig. 5); the settings' own `n` and `m`
are the reference setting at which the step sizes and the radius are chosen (`select`), so an override of
n, d, k, the noise or the budget reaches the selection as well as the points.

The selection rule [U]: per model, the step size (and ConvPool's initial radius) with the lowest mean
error on a validation split (the last `val_fraction` of each training set) over `selection_seeds`
repetitions whose training sets are disjoint from every figure's (base seed `selection_seed`); ties go to
the lower mean validation logistic loss. Test errors never enter the choice.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import numpy as np
import pandas as pd
import torch

from lib._checks import check_choice, check_int
from lib.cache import ResultsCache, code_version
from lib.devices import single_thread_on_cpu
from lib.distributions import NOISE_LAWS, NoisyOrthogonalPatterns, OrthogonalPatterns, stack_samples
from lib.mnist import MnistPatterns
from lib.models import MLP, ConvPool
from lib.samples import TRAIN_SEED_OFFSET
from lib.settings import Settings, choice, integer, integers, real, reals
from lib.training import accuracy, loss_and_grad, train

FIGURES = ("fig3a", "fig3b", "fig5", "fig3c")
TASKS = ("patterns", "mnist")  # Figs. 3a, 3b, 5: the distribution D; Fig. 3c: MNIST digits
MNIST_D = 784
MNIST_MAX_STEPS = 1_000  # Fig. 3c's cap on Adam steps (`figure_settings` says how it was fixed)


@dataclasses.dataclass(frozen=True)
class FigureSettings(Settings):
    """Every knob of one §7 figure (the defaults are Fig. 3a's in the full profile)."""

    task: str = choice(
        "patterns", "the data: 'patterns' (the distribution D) or 'mnist' (Fig. 3c's digits)", TASKS
    )
    x_axis: str = choice(
        "m", "the figure's x axis: 'm' (training points) or 'n' (patches)", ("m", "n")
    )
    grid: tuple[int, ...] = integers(
        (10, 20, 50, 100, 200, 500), "the values of the x axis, one point each", 1
    )
    n: int = integer(
        10, "patches per input (with x_axis 'n': the reference n of the selection)", 1, 10_000
    )
    m: int = integer(
        100, "training points (with x_axis 'm': the reference m of the selection)", 2, 10_000_000
    )
    d: int = integer(20, "dimension of a patch (784 for 'mnist')", 3, 100_000)
    l: int | None = integer(None, "number of patterns (None: l = d)", 3, 100_000, optional=True)
    k: int = integer(500, "ConvPool's channels", 1, 1_000_000)
    noise_law: str = choice(
        "radial-uniform",
        "law of the noise v on every patch (lib.distributions.noise_vectors)",
        NOISE_LAWS,
    )
    noise_scale: float = real(
        0.0,
        "scale of the noise (0: none; the largest ||v|| for 'ball' and 'radial-uniform')",
        0.0,
        1e6,
    )
    basis_seed: int = integer(
        0, "seed of the random orthogonal matrix whose rows are the patterns", 0, 2**32 - 1
    )
    seeds: int = integer(10, "repetitions per point", 1, 10_000)
    seed: int = integer(0, "base seed: repetition r uses seeds seed + r", 0, 2**32 - 1)
    epochs: int = integer(50, "Adam epochs (the same for ConvPool and the MLP)", 1, 1_000_000)
    batch_size: int = integer(
        32, "minibatch size (full batches when m <= batch_size)", 1, 10_000_000
    )
    max_steps: int | None = integer(None, "cap on Adam steps (None: none)", 1, 10**9, optional=True)
    test_size: int = integer(
        1_000, "fresh test points per repetition (the paper's 1,000)", 1, 10_000_000
    )
    svm_max_m: int | None = integer(
        None, "largest m at which the SVM is fitted (None: every m)", 1, 10**9, optional=True
    )
    lrs: tuple[float, ...] = reals(
        (1e-3, 3e-3, 1e-2), "Adam step sizes tried by the selection", 0.0, 10.0, low_open=True
    )
    radii: tuple[float, ...] = reals(
        (1e-3, 1.0), "ConvPool's initial radii tried by the selection", 0.0, 1e6, low_open=True
    )
    val_fraction: float = real(
        0.2, "validation share of each selection training set", 0.0, 0.9, low_open=True
    )
    selection_seeds: int = integer(5, "repetitions of the selection runs", 1, 1_000)
    selection_seed: int = integer(
        500, "base seed of the selection runs (none of the figure's)", 0, 2**32 - 1
    )

    def validate(self) -> None:
        if self.task == "mnist":
            if self.d != MNIST_D:
                raise ValueError(
                    f"d must be {MNIST_D} for task='mnist' (28 x 28 digits), got {self.d}"
                )
            if self.noise_scale != 0:
                raise ValueError(f"noise_scale must be 0 for task='mnist', got {self.noise_scale}")
            if self.l is not None:
                raise ValueError(
                    f"l must be None for task='mnist' (the digits are no patterns), got {self.l}"
                )
        if self.l is not None and self.l > self.d:
            raise ValueError(f"l must be at most d = {self.d} (orthonormal patterns), got {self.l}")
        m_val = max(1, round(self.m * self.val_fraction))
        if m_val >= self.m:
            raise ValueError(
                f"val_fraction={self.val_fraction} leaves no selection training point out of m={self.m}"
            )

    def at(self, x: int) -> FigureSettings:
        """The settings of one point: the x axis at `x` (the reference n, m kept for the selection)."""
        return dataclasses.replace(self, grid=(x,))

    @property
    def point_n(self) -> int:
        """n of this (one-point) setting's point."""
        return self.grid[0] if self.x_axis == "n" else self.n

    @property
    def point_m(self) -> int:
        """m of this (one-point) setting's point."""
        return self.grid[0] if self.x_axis == "m" else self.m

    def selection_config(self) -> dict[str, Any]:
        """What the selection depends on (its cache key): the reference (n, m) and everything else
        that trains or draws its runs; not the grid, the figure's seeds or the test size."""
        keep = (
            "task",
            "n",
            "m",
            "d",
            "l",
            "k",
            "noise_law",
            "noise_scale",
            "basis_seed",
            "epochs",
            "batch_size",
            "max_steps",
            "lrs",
            "radii",
            "val_fraction",
            "selection_seeds",
            "selection_seed",
        )
        full = self.as_dict()
        return {key: full[key] for key in keep}


@dataclasses.dataclass(frozen=True)
class LayerwiseSettings(Settings):
    """Algorithm 1 with relaxed steps [U] on Fig. 3a's setting (the same training sets, seeds and test sets
    as Fig. 3a's points of the same m): the theorem's steps would need k > 8 d^3 = 64,000 channels at
    d = 20. The same steps are the setting chapter's "relaxed" run and k*(d)'s "relaxed" choice."""

    grid: tuple[int, ...] = integers((10, 50, 100, 200), "the values of m, one point each", 2)
    n: int = integer(10, "patches per input", 1, 10_000)
    d: int = integer(20, "dimension of a patch", 3, 100_000)
    k: int = integer(500, "channels", 1, 1_000_000)
    basis_seed: int = integer(0, "seed of the random orthogonal patterns", 0, 2**32 - 1)
    seeds: int = integer(10, "repetitions per point", 1, 10_000)
    seed: int = integer(0, "base seed", 0, 2**32 - 1)
    T1: int = integer(200, "first-phase GD steps", 0, 10**7)
    lr1: float = real(1e-3, "first-phase step size eta_1", 0.0, 1e6, low_open=True)
    radius: float = real(1e-3, "initial radius r of the filters", 0.0, 1e6, low_open=True)
    T2: int = integer(2000, "second-phase GD steps", 0, 10**8)
    lr2: float = real(2000.0, "second-phase step size eta_2", 0.0, 1e9, low_open=True)
    test_size: int = integer(1_000, "fresh test points per repetition", 1, 10_000_000)


# the relaxed steps of `LayerwiseSettings` as one dict (what book/beyond/threshold prints)
LW = {name: getattr(LayerwiseSettings(), name) for name in ("T1", "lr1", "radius", "T2", "lr2")}


def figure_settings(figure: str, profile: str) -> FigureSettings:
    """The book's settings of §7 `figure` in `profile`. Quick: fewer x values and 5 seeds (the selection
    on 3); full: every x value of the paper and 10 seeds (the selection on 5). Fig. 3c [U]: 5 seeds in
    both profiles (the selection on 3), the SVM at every m, and the budget rule fixed before its
    full-profile run: 50 epochs of minibatches of 32, at most MNIST_MAX_STEPS Adam steps, the largest
    cap of 1,000, 2,000 and 3,000 that fits the book's time budget (a full build within 15 minutes on
    2 cores): 1,000, all 50 epochs up to m = 640, 6.4 epochs at m = 5,000 and 3.2 at m = 10,000."""
    figure = check_choice("figure", figure, FIGURES)
    full = check_choice("profile", profile, ("quick", "full")) == "full"
    seeds = dict(seeds=10, selection_seeds=5) if full else dict(seeds=5, selection_seeds=3)
    if figure == "fig3a":
        return FigureSettings(grid=(10, 20, 50, 100, 200, 500) if full else (10, 50, 200), **seeds)
    if figure == "fig3b":
        return FigureSettings(
            grid=(10, 20, 50, 100, 200, 500, 1000) if full else (10, 100, 500),
            noise_scale=1.0,
            **seeds,
        )
    if figure == "fig5":
        return FigureSettings(
            x_axis="n",
            grid=(2, 5, 10, 20, 50) if full else (2, 10, 50),
            n=10,
            m=50,
            noise_scale=1.0,
            **seeds,
        )
    return FigureSettings(
        task="mnist",
        grid=(10, 100, 500, 1000, 5000, 10000) if full else (10, 100, 500),
        n=4,
        d=MNIST_D,
        seeds=5,
        selection_seeds=3,
        max_steps=MNIST_MAX_STEPS,
    )


def distribution(
    s: FigureSettings, *, n: int | None = None, pool: str = "train", dtype=torch.float32
):
    """The distribution of settings `s` with n patches (default: the point's n). task "patterns": l
    orthonormal patterns, the rows of one random orthogonal matrix (from `basis_seed`), plus noise of
    law `noise_law` and scale `noise_scale` on every patch (none at 0). task "mnist": Fig. 3c's
    digits, images from `pool` ("train" or "test")."""
    n = s.point_n if n is None else n
    if s.task == "mnist":
        return MnistPatterns(n, pool=pool, dtype=dtype)
    if s.noise_scale == 0:
        return OrthogonalPatterns(n, s.d, l=s.l, basis="random", seed=s.basis_seed, dtype=dtype)
    return NoisyOrthogonalPatterns(
        n,
        s.d,
        l=s.l,
        noise=s.noise_scale,
        noise_law=s.noise_law,
        basis="random",
        seed=s.basis_seed,
        dtype=dtype,
    )


def steps_for(
    m: int, epochs: int, batch_size: int, max_steps: int | None = None
) -> tuple[int, int | None]:
    """(steps, batch size or None for full batches) of `epochs` epochs over m points, at most
    `max_steps` steps (no cap for None)."""
    if max_steps is not None:
        max_steps = check_int("max_steps", max_steps, 1)
    steps, batch = (
        (epochs, None) if m <= batch_size else (epochs * math.ceil(m / batch_size), batch_size)
    )
    return (steps if max_steps is None else min(steps, max_steps)), batch


def fit_adam(
    model, X, y, *, lr, epochs: int, batch_size: int, seed: int, max_steps: int | None = None
) -> float:
    """Train `model` (every replica on its own set X (R, m, n, d)) with Adam on the logistic loss for
    `epochs` epochs (at most `max_steps` steps); returns the seconds spent. The caller measures the
    errors: `train` evaluates no full loss."""
    steps, batch = steps_for(X.shape[1], epochs, batch_size, max_steps)
    res = train(
        model,
        X,
        y,
        lr=lr,
        steps=steps,
        batch_size=batch,
        seed=seed,
        optimizer="adam",
        evaluate=False,
    )
    return res.seconds


def errors(model, X, y) -> np.ndarray:
    """0-1 error of every replica of `model` on its own set (X, y)."""
    return (1.0 - accuracy(model, X, y)).numpy()


def sample_sets(dist, m: int, seeds: list[int], offset: int) -> tuple[torch.Tensor, torch.Tensor]:
    """One set of m points per seed s (drawn from seed offset + s), stacked on the replica axis."""
    return stack_samples(dist, m, [offset + s for s in seeds])


def select(s: FigureSettings, device: str = "cpu") -> pd.DataFrame:
    """Validation errors of every (model, lr, radius) of the grid at the reference setting (s.n, s.m):
    `selection_seeds` training sets of m points, the first (1 - val_fraction) m to train on, the rest to
    validate. One row per (model, lr, radius, seed) with val_error and val_loss, the reference n, m, d, k
    (and the seconds the whole selection took)."""
    m, m_val = s.m, max(1, int(round(s.m * s.val_fraction)))  # s checked that m_val < m
    start = time.perf_counter()
    dist = distribution(s, n=s.n)
    base = [s.selection_seed + r for r in range(s.selection_seeds)]
    rows = []
    for model in ("ConvPool", "MLP"):
        grid = [
            (lr, radius)
            for lr in s.lrs
            for radius in (s.radii if model == "ConvPool" else (math.nan,))
        ]
        reps = [(lr, radius, seed) for lr, radius in grid for seed in base]
        X, y = sample_sets(dist, m, [seed for *_, seed in reps], TRAIN_SEED_OFFSET)
        Xtr, ytr, Xv, yv = (
            X[:, : m - m_val],
            y[:, : m - m_val],
            X[:, m - m_val :],
            y[:, m - m_val :],
        )
        model_seeds = [seed for *_, seed in reps]
        if model == "ConvPool":
            net = ConvPool(
                dist.d, s.k, replicas=len(reps), radius=1.0, seed=model_seeds, device=device
            )
            # each replica's own radius (the sphere init scales linearly with r)
            with torch.no_grad():
                net.W.mul_(
                    torch.tensor(
                        [r for _, r, _ in reps], dtype=net.W.dtype, device=net.W.device
                    ).view(-1, 1, 1)
                )
        else:
            net = MLP.matching(
                ConvPool(dist.d, s.k), s.n, replicas=len(reps), seed=model_seeds, device=device
            )
        fit_adam(
            net,
            Xtr,
            ytr,
            lr=[lr for lr, *_ in reps],
            epochs=s.epochs,
            batch_size=s.batch_size,
            seed=s.selection_seed,
            max_steps=s.max_steps,
        )
        with torch.no_grad():
            out = net(Xv)
            val_loss = loss_and_grad(out, yv.to(out), "logistic")[0].double().cpu().numpy()
        val_err = errors(net, Xv, yv)
        for (lr, radius, seed), e, loss in zip(reps, val_err, val_loss):
            rows.append(
                {
                    "model": model,
                    "lr": lr,
                    "radius": radius,
                    "seed": seed,
                    "val_error": float(e),
                    "val_loss": float(loss),
                }
            )
    return pd.DataFrame(rows).assign(n=s.n, m=m, d=s.d, k=s.k, seconds=time.perf_counter() - start)


def chosen(selection_table: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per model, the (lr, radius) with the lowest mean validation error, ties broken by the lower mean
    validation loss (then the smaller lr and radius)."""
    out = {}
    for model, g in selection_table.groupby("model"):
        means = (
            g.fillna({"radius": -1.0})
            .groupby(["lr", "radius"])[["val_error", "val_loss"]]
            .mean()
            .reset_index()
        )
        best = means.sort_values(["val_error", "val_loss", "lr", "radius"]).iloc[0]
        out[model] = {
            "lr": float(best.lr),
            "radius": float(best.radius) if best.radius >= 0 else math.nan,
        }
    return out


def selection(s: FigureSettings, device: str = "cpu") -> pd.DataFrame:
    """`select(s)` through the results cache (one entry per selection configuration and device)."""
    cache = ResultsCache()
    config = {
        "experiment": "paper_selection",
        "point": s.selection_config(),
        "device": device,
        "code": code_version(__name__),
    }
    hit = cache.get(config)
    if hit is not None:
        return hit[0]
    with cache.lock(config):
        hit = cache.get(config)
        if hit is not None:
            return hit[0]
        start = time.perf_counter()
        with single_thread_on_cpu(device):
            df = select(s, device=device)
        cache.put(config, df, {"seconds": time.perf_counter() - start, "device": device})
        return df
