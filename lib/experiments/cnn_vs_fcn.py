"""Part II, CNN vs FCN: test accuracy against the training-set size m for the XOR-paper CNN (fixed +-1
output layer) and for fully connected networks, the growth of the sample-size gap with n and d, and
the shattering construction behind the FCN lower bound (the book's reconstruction).

Every model is trained by full-batch GD on the hinge loss until zero training loss (or a step cap).
A learning-rate grid and the seeds share one replica axis: replica r = s * L + l is seed s with the
l-th learning rate. The learning rate of a (model, m) point is the one with the best mean accuracy on
a validation sample (ties: the first of the grid), and the table marks those replicas `selected`.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import pandas as pd
import torch

from lib.distributions import OrthogonalPatterns
from lib.samples import TEST_SEED_OFFSET
from lib.settings import Settings, integer, integers, same_length
from lib.xor_network import fit_and_score, xor_cnn
from lib.models import FullyConnected
from lib.sweep import experiment
from lib.training import train

# ---------------------------------------------------------------- E3: accuracy against m

_SMALL_M, _LARGE_M = (5, 10, 20, 50, 100, 200), (500, 1000)


@dataclasses.dataclass(frozen=True)
class CnnVsFcnSettings(Settings):
    """One point per (model, m) on D: each model's own grid of m (empty: the model is left out)."""

    cnn_ms: tuple[int, ...] = integers(
        _SMALL_M + _LARGE_M + (2000, 5000), "m of the CNN (k = 50)", 1, 10**6, empty=True
    )
    fcn2_ms: tuple[int, ...] = integers(
        _SMALL_M + _LARGE_M, "m of the depth-2 FCN of width 100", 1, 10**6, empty=True
    )
    fcn2_wide_ms: tuple[int, ...] = integers(
        _SMALL_M,
        "m of the depth-2 FCN of width 1000 (up to 200: its m = 500 "
        "and 1,000 points would cost half the sweep)",
        1,
        10**6,
        empty=True,
    )
    fcn3_ms: tuple[int, ...] = integers(
        _SMALL_M + _LARGE_M, "m of the depth-3 FCN of width 100", 1, 10**6, empty=True
    )
    n: int = integer(10, "patches per input", 1, 1_000)
    d: int = integer(30, "dimension d = number of patterns", 3, 10_000)
    seeds: int = integer(5, "repetitions per point", 1, 10_000)
    seed: int = integer(0, "base seed", 0, 2**32 - 1)

    def grids(self) -> dict[str, tuple[int, ...]]:
        """{model (a key of lib.xor_network.MODELS): its m}."""
        return {
            "CNN k=50": self.cnn_ms,
            "FCN-2 w=100": self.fcn2_ms,
            "FCN-2 w=1000": self.fcn2_wide_ms,
            "FCN-3 w=100": self.fcn3_ms,
        }


def _cnn_vs_fcn_settings(profile: str) -> CnnVsFcnSettings:
    if profile == "full":
        return CnnVsFcnSettings()
    return CnnVsFcnSettings(
        cnn_ms=(5, 20, 100), fcn2_ms=(5, 20, 100), fcn2_wide_ms=(), fcn3_ms=(20,), seeds=3
    )


def _cnn_vs_fcn_grid(s: CnnVsFcnSettings) -> list[dict]:
    return [
        dict(model=mod, m=m, n=s.n, d=s.d, seeds=s.seeds, seed=s.seed)
        for mod, ms in s.grids().items()
        for m in ms
    ]


@experiment(
    "cnn_vs_fcn",
    "Test accuracy against m: the XOR-paper CNN and FCNs of depth 2 and 3, learning rate tuned on validation (n=10, d=30)",
    _cnn_vs_fcn_grid,
    settings=_cnn_vs_fcn_settings,
)
def cnn_vs_fcn(*, model, m, n, d, seeds, seed, device) -> pd.DataFrame:
    """One (model, m) point on the orthogonal-pattern distribution D (§3 of the paper)."""
    dist = OrthogonalPatterns(n, d)
    return fit_and_score(model, dist, dist, m=m, seeds=seeds, seed=seed, device=device)


# ---------------------------------------------------------------- the gap against n and d

GAP_LR = {"CNN k=50": 0.05, "FCN-2 w=100": 1.0}  # one learning rate per model (middle of its grid)


@dataclasses.dataclass(frozen=True)
class SampleGapSettings(Settings):
    """One point per (shape (n, d), model, m): the shapes are the pairs (ns[i], ds[i])."""

    ns: tuple[int, ...] = integers((5, 10, 20, 10, 10), "patches n of each shape", 1, 1_000)
    ds: tuple[int, ...] = integers((30, 30, 30, 15, 60), "dimension d of each shape", 3, 10_000)
    cnn_ms: tuple[int, ...] = integers((5, 10, 20, 50, 100, 200), "m of the CNN (k = 50)", 1, 10**6)
    fcn_ms: tuple[int, ...] = integers(
        (20, 50, 100, 200, 500, 1000), "m of the depth-2 FCN of width 100", 1, 10**6
    )
    seeds: int = integer(10, "repetitions per point", 1, 10_000)
    seed: int = integer(0, "base seed", 0, 2**32 - 1)

    def validate(self) -> None:
        same_length(self, "ns", "ds")


def _sample_gap_settings(profile: str) -> SampleGapSettings:
    if profile == "full":
        return SampleGapSettings()
    return SampleGapSettings(ns=(5, 10), ds=(30, 30), cnn_ms=(10, 50), fcn_ms=(50, 200), seeds=3)


def _sample_gap_grid(s: SampleGapSettings) -> list[dict]:
    return [
        dict(model=mod, m=m, n=n, d=d, seeds=s.seeds, seed=s.seed)
        for n, d in zip(s.ns, s.ds)
        for mod, m_list in (("CNN k=50", s.cnn_ms), ("FCN-2 w=100", s.fcn_ms))
        for m in m_list
    ]


@experiment(
    "sample_gap",
    "Test accuracy against m for the CNN and a depth-2 FCN as the number of patches n and the dimension d vary",
    _sample_gap_grid,
    settings=_sample_gap_settings,
)
def sample_gap(*, model, m, n, d, seeds, seed, device) -> pd.DataFrame:
    """One (n, d, model, m) point, with the fixed learning rate GAP_LR[model] (no tuning)."""
    dist = OrthogonalPatterns(n, d)
    return fit_and_score(
        model, dist, dist, m=m, seeds=seeds, seed=seed, lrs=[GAP_LR[model]], device=device
    )


# ---------------------------------------------------------------- the FCN lower bound: shattering


def support_inputs(n: int, d: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Every distinct input of the support of D (copies = 1): pattern indices (N, n) with exactly one
    discriminative pattern, N = 2 n (d - 2)^(n - 1), and the label of each, y (N,)."""
    rows, labels = [], []
    for label, disc in ((1.0, 0), (-1.0, 1)):
        for pos in range(n):
            for fill in itertools.product(range(2, d), repeat=n - 1):
                rows.append(list(fill[:pos]) + [disc] + list(fill[pos:]))
                labels.append(label)
    return torch.tensor(rows), torch.tensor(labels)


def count_support(n: int, d: int) -> dict[str, int]:
    """Number of distinct inputs of supp D (what an FCN sees: ordered patches) and of distinct
    pattern sets (all that the CNN's output depends on, for orthogonal patterns)."""
    sets = sum(math.comb(d - 2, j) for j in range(1, n))
    return {"inputs": 2 * n * (d - 2) ** (n - 1), "pattern_sets": 2 * sets}


def shattering_net(X: torch.Tensor, y: torch.Tensor) -> FullyConnected:
    """The two-layer FCN of the chapter's theorem: one hidden unit relu(<x_s, z> - (n - 1)) per
    input x_s (rows of X, shape (N, n, d), one-hot patches), output weight y_s, no output bias. It
    outputs exactly y_s on x_s, for every labelling y."""
    N, n, d = X.shape
    net = FullyConnected(n * d, N, depth=2)
    with torch.no_grad():
        net.weights[0][0] = X.reshape(N, n * d)
        net.biases[0][0] = -(n - 1.0)
        net.weights[1][0] = y[None, :]
        net.biases[1][0] = 0.0
    return net


SHATTER_STEPS = 500  # GD cap; a network that cannot fit a labelling would otherwise run to any cap


MAX_SUPPORT_INPUTS = 100_000  # the explicit FCN has one hidden unit per input of the support


@dataclasses.dataclass(frozen=True)
class ShatteringSettings(Settings):
    """One point per (shape (n, d), labels): the shapes are the pairs (ns[i], ds[i])."""

    ns: tuple[int, ...] = integers((3, 4), "patches n of each shape", 1, 100)
    ds: tuple[int, ...] = integers((5, 6), "dimension d of each shape", 3, 1_000)
    seeds: int = integer(10, "random labellings (and GD replicas) per point", 1, 1_000)
    seed: int = integer(0, "base seed", 0, 2**32 - 1)

    def validate(self) -> None:
        same_length(self, "ns", "ds")
        for n, d in zip(self.ns, self.ds):
            inputs = count_support(n, d)["inputs"]
            if inputs > MAX_SUPPORT_INPUTS:
                raise ValueError(
                    f"ns, ds: the support of (n, d) = ({n}, {d}) has {inputs} inputs, more than "
                    f"{MAX_SUPPORT_INPUTS} (one hidden unit each)"
                )


def _shattering_settings(profile: str) -> ShatteringSettings:
    return (
        ShatteringSettings() if profile == "full" else ShatteringSettings(ns=(3,), ds=(5,), seeds=3)
    )


def _shattering_grid(s: ShatteringSettings) -> list[dict]:
    return [
        dict(n=n, d=d, labels=lab, seeds=s.seeds, seed=s.seed)
        for n, d in zip(s.ns, s.ds)
        for lab in ("true", "random")
    ]


@experiment(
    "fcn_shattering",
    "Every input of a small support with true or random labels: the explicit shattering FCN, GD on an FCN, GD on the CNN",
    _shattering_grid,
    settings=_shattering_settings,
)
def fcn_shattering(*, n, d, labels, seeds, seed, device) -> pd.DataFrame:
    """All N = 2n(d-2)^(n-1) distinct inputs, with their true labels or `seeds` random labellings.
    Rows: for each labelling, the training accuracy and zero-loss flag of (a) the explicit FCN of the
    theorem, (b) a depth-2 FCN (width 1000) trained by GD, (c) the CNN (k=50) trained by GD (both at most
    SHATTER_STEPS steps; training accuracy at the end)."""
    dist = OrthogonalPatterns(n, d)
    idx, y_true = support_inputs(n, d)
    X = dist.to_inputs(idx)
    N = len(y_true)
    g = torch.Generator().manual_seed(TEST_SEED_OFFSET + seed)
    Y = torch.stack(
        [
            y_true if labels == "true" else torch.where(torch.rand(N, generator=g) < 0.5, 1.0, -1.0)
            for _ in range(seeds)
        ]
    )
    rows = []
    explicit = [shattering_net(X, Y[r]) for r in range(seeds)]
    for r, net in enumerate(explicit):
        with torch.no_grad():
            margins = Y[r] * net(X)[0]
        rows.append(
            dict(
                method="explicit FCN (theorem)",
                seed=r,
                train_accuracy=float((margins > 0).double().mean()),
                fitted=bool((margins >= 1 - 1e-5).all()),
            )
        )
    Xr = X.expand(seeds, *X.shape)
    for method, net, lr in (
        (
            "FCN-2 w=1000, GD",
            FullyConnected(n * d, 1000, depth=2, replicas=seeds, seed=seed, device=device),
            1.0,
        ),
        (
            "CNN k=50, GD",
            xor_cnn(d, 50, replicas=seeds, init_std=1e-3, seed=seed, device=device),
            0.05,
        ),
    ):
        res = train(net, Xr, Y, lr=lr, steps=SHATTER_STEPS, loss="hinge")
        with torch.no_grad():
            acc = (torch.sign(net(Xr)) == Y.to(device)).double().mean(1).cpu()
        rows += [
            dict(method=method, seed=r, train_accuracy=float(acc[r]), fitted=bool(res.fitted[r]))
            for r in range(seeds)
        ]
    counts = count_support(n, d)
    df = pd.DataFrame(rows)
    df["inputs"], df["pattern_sets"] = counts["inputs"], counts["pattern_sets"]
    return df


# ---------------------------------------------------------------- helpers for the chapters' tables


def selected_accuracy(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Mean test accuracy with its 95% CI over seeds (`lib.stats.summarize`), per group of `by`,
    over the replicas whose learning rate was selected on validation."""
    from lib.stats import summarize

    return summarize(df[df["selected"]], by, "test_accuracy")


def smallest_m(table: pd.DataFrame, by: list[str], threshold: float = 0.95) -> pd.DataFrame:
    """Per group of `by` in a `selected_accuracy` table (with column m): the smallest m whose mean
    test accuracy is >= threshold (NaN if none in the grid) and the largest m tried."""
    rows = []
    for key, g in table.groupby(by, sort=False):
        hit = g.loc[g["mean"] >= threshold, "m"]
        key = key if isinstance(key, tuple) else (key,)
        rows.append(
            {
                **dict(zip(by, key)),
                "m_star": float(hit.min()) if len(hit) else math.nan,
                "m_max": int(g["m"].max()),
            }
        )
    return pd.DataFrame(rows)
