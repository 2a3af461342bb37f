"""Part II, CNN vs FCN: test accuracy against the training-set size m for the XOR-paper CNN (fixed +-1
output layer) and for fully connected networks, the growth of the sample-size gap with n and d, and
the shattering construction behind the FCN lower bound (the book's reconstruction).

Every model is trained by full-batch GD on the hinge loss until zero training loss (or a step cap).
A learning-rate grid and the seeds share one replica axis: replica r = s * L + l is seed s with the
l-th learning rate. The learning rate of a (model, m) point is the one with the best mean accuracy on
a validation sample (ties: the first of the grid), and the table marks those replicas `selected`.
"""
from __future__ import annotations

import itertools
import math

import pandas as pd
import torch

from lib.distributions import OrthogonalPatterns
from lib.samples import TEST_SEED_OFFSET
from lib.xor_network import fit_and_score, xor_cnn
from lib.models import FullyConnected
from lib.sweep import experiment
from lib.training import train

# ---------------------------------------------------------------- E3: accuracy against m


def _cnn_vs_fcn_grid(profile: str) -> list[dict]:
    if profile == "quick":
        ms = {"CNN k=50": [5, 20, 100], "FCN-2 w=100": [5, 20, 100], "FCN-3 w=100": [20]}
        seeds = 3
    else:
        small, large = [5, 10, 20, 50, 100, 200], [500, 1000]
        ms = {
            "CNN k=50": small + large + [2000, 5000],
            "FCN-2 w=100": small + large,
            "FCN-2 w=1000": small + large,
            "FCN-3 w=100": small + large,
        }
        seeds = 10
    return [dict(model=mod, m=m, n=10, d=30, seeds=seeds, seed=0) for mod, m_list in ms.items() for m in m_list]


@experiment(
    "cnn_vs_fcn",
    "Test accuracy against m: the XOR-paper CNN and FCNs of depth 2 and 3, learning rate tuned on validation (n=10, d=30)",
    _cnn_vs_fcn_grid,
)
def cnn_vs_fcn(*, model, m, n, d, seeds, seed, device) -> pd.DataFrame:
    """One (model, m) point on the orthogonal-pattern distribution D (§3 of the paper)."""
    dist = OrthogonalPatterns(n, d)
    return fit_and_score(model, dist, dist, m=m, seeds=seeds, seed=seed, device=device)


# ---------------------------------------------------------------- the gap against n and d

GAP_LR = {"CNN k=50": 0.05, "FCN-2 w=100": 1.0}  # one learning rate per model (middle of its grid)


def _sample_gap_grid(profile: str) -> list[dict]:
    if profile == "quick":
        shapes, seeds = [(5, 30), (10, 30)], 3
        ms = {"CNN k=50": [10, 50], "FCN-2 w=100": [50, 200]}
    else:
        shapes, seeds = [(5, 30), (10, 30), (20, 30), (10, 15), (10, 60)], 10
        ms = {"CNN k=50": [5, 10, 20, 50, 100, 200], "FCN-2 w=100": [20, 50, 100, 200, 500, 1000]}
    return [
        dict(model=mod, m=m, n=n, d=d, seeds=seeds, seed=0)
        for (n, d) in shapes
        for mod, m_list in ms.items()
        for m in m_list
    ]


@experiment(
    "sample_gap",
    "Test accuracy against m for the CNN and a depth-2 FCN as the number of patches n and the dimension d vary",
    _sample_gap_grid,
)
def sample_gap(*, model, m, n, d, seeds, seed, device) -> pd.DataFrame:
    """One (n, d, model, m) point, with the fixed learning rate GAP_LR[model] (no tuning)."""
    dist = OrthogonalPatterns(n, d)
    return fit_and_score(model, dist, dist, m=m, seeds=seeds, seed=seed, lrs=[GAP_LR[model]], device=device)


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


def _shattering_grid(profile: str) -> list[dict]:
    seeds = 3 if profile == "quick" else 10
    shapes = [(3, 5)] if profile == "quick" else [(3, 5), (4, 6)]
    return [dict(n=n, d=d, labels=lab, seeds=seeds, seed=0) for n, d in shapes for lab in ("true", "random")]


@experiment(
    "fcn_shattering",
    "Every input of a small support with true or random labels: the explicit shattering FCN, GD on an FCN, GD on the CNN",
    _shattering_grid,
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
        [y_true if labels == "true" else torch.where(torch.rand(N, generator=g) < 0.5, 1.0, -1.0) for _ in range(seeds)]
    )
    rows = []
    explicit = [shattering_net(X, Y[r]) for r in range(seeds)]
    for r, net in enumerate(explicit):
        with torch.no_grad():
            margins = Y[r] * net(X)[0]
        rows.append(dict(method="explicit FCN (theorem)", seed=r, train_accuracy=float((margins > 0).double().mean()),
                         fitted=bool((margins >= 1 - 1e-5).all())))
    Xr = X.expand(seeds, *X.shape)
    for method, net, lr in (
        ("FCN-2 w=1000, GD", FullyConnected(n * d, 1000, depth=2, replicas=seeds, seed=seed, device=device), 1.0),
        ("CNN k=50, GD", xor_cnn(d, 50, replicas=seeds, init_std=1e-3, seed=seed, device=device), 0.05),
    ):
        res = train(net, Xr, Y, lr=lr, steps=SHATTER_STEPS, loss="hinge")
        with torch.no_grad():
            acc = (torch.sign(net(Xr)) == Y.to(device)).double().mean(1).cpu()
        rows += [dict(method=method, seed=r, train_accuracy=float(acc[r]), fitted=bool(res.fitted[r])) for r in range(seeds)]
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
        rows.append({**dict(zip(by, key)), "m_star": float(hit.min()) if len(hit) else math.nan, "m_max": int(g["m"].max())})
    return pd.DataFrame(rows)
