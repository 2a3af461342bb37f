"""Part II, beyond orthogonal patterns: the CNN against an FCN when the patterns are real 8x8 digit
images (the book's construction `DigitPatterns`), the filters the CNN learns there, and
orthogonal patterns plus Gaussian noise (`NoisyOrthogonalPatterns`)."""
from __future__ import annotations

import pandas as pd

from lib.distributions import DigitPatterns, NoisyOrthogonalPatterns
from lib.experiments.cnn_vs_fcn import MODELS, fit_and_score
from lib.experiments.common import training_sets, xor_cnn
from lib.sweep import experiment
from lib.training import train

DIGIT_MODELS = ("CNN k=50", "FCN-2 w=100")
# learning-rate grids on digit inputs (all-positive pixels: the orthogonal-pattern FCN grid diverges there)
DIGIT_LRS = {"CNN k=50": [0.03, 0.05, 0.1], "FCN-2 w=100": [0.1, 0.25, 0.5]}


def _digits_grid(profile: str) -> list[dict]:
    if profile == "quick":
        return [dict(model=mod, m=m, n=6, seeds=3, seed=0) for mod in DIGIT_MODELS for m in (10, 50)]
    ms = [5, 10, 20, 50, 100, 200, 500]  # m >= 1,000 costs minutes per point (the CNN runs to its step cap)
    return [dict(model=mod, m=m, n=10, seeds=10, seed=0) for mod in DIGIT_MODELS for m in ms]


@experiment(
    "digits_cnn_vs_fcn",
    "Test accuracy against m with 8x8 digit images as patterns (0 = p_plus, 1 = p_minus, 2-9 spurious)",
    _digits_grid,
)
def digits_cnn_vs_fcn(*, model, m, n, seeds, seed, device) -> pd.DataFrame:
    """Train on the "train" image pool (learning rate chosen on a validation sample from it), test
    on points built from the disjoint "test" pool."""
    train_dist, test_dist = DigitPatterns(n, pool="train"), DigitPatterns(n, pool="test")
    return fit_and_score(model, train_dist, test_dist, m=m, seeds=seeds, seed=seed, lrs=DIGIT_LRS[model], device=device)


def _filters_grid(profile: str) -> list[dict]:
    return [dict(n=10 if profile == "full" else 6, m=500 if profile == "full" else 100, k=50, lr=0.1, seed=0)]


@experiment("digit_filters", "The filters of one CNN trained on digit patterns, pixel by pixel", _filters_grid)
def digit_filters(*, n, m, k, lr, seed, device) -> pd.DataFrame:
    """One CNN (replica seed `seed`) trained on m digit-pattern points. One row per (filter, pixel):
    sign ("w": output +1, "u": output -1), filter index, norm rank within its sign, pixel 0..63,
    value, and its cosine with each class mean (columns cos_0 ... cos_9, digits)."""
    dist = DigitPatterns(n, pool="train")
    X, y = training_sets(dist, m, seed, 1)
    net = xor_cnn(dist.d, k, init_std=1e-3, seed=seed, device=device)
    train(net, X, y, lr=lr, steps=MODELS["CNN k=50"]["steps"], loss="hinge")
    rows = []
    means = dist.patterns.double()
    W = net.W.detach()[0].cpu().double()
    for sign, F in (("w", W[:k]), ("u", W[k:])):
        norms = F.norm(dim=1)
        rank = norms.argsort(descending=True).argsort()
        cos = (F @ means.T) / norms.clamp(min=1e-12)[:, None]
        for i in range(k):
            extra = {f"cos_{dist.classes[c]}": float(cos[i, c]) for c in range(len(dist.classes))}
            rows += [
                dict(sign=sign, filter=i, rank=int(rank[i]), norm=float(norms[i]), pixel=p, value=float(F[i, p]), **extra)
                for p in range(dist.d)
            ]
    return pd.DataFrame(rows)


def _noise_grid(profile: str) -> list[dict]:
    if profile == "quick":
        return [dict(model=mod, m=50, noise=s, n=10, d=30, seeds=3, seed=0) for mod in DIGIT_MODELS for s in (0.0, 1.0)]
    noises = [0.0, 0.25, 0.5, 1.0, 2.0]
    return [
        dict(model=mod, m=m, noise=s, n=10, d=30, seeds=10, seed=0)
        for mod in DIGIT_MODELS
        for m in (50, 500)
        for s in noises
    ]


@experiment(
    "noisy_orthogonal",
    "Test accuracy against the noise scale for orthogonal patterns plus Gaussian noise (n=10, d=30)",
    _noise_grid,
)
def noisy_orthogonal(*, model, m, noise, n, d, seeds, seed, device) -> pd.DataFrame:
    """One (model, m, noise) point: train, validate and test on the noisy distribution."""
    dist = NoisyOrthogonalPatterns(n, d, noise=noise)
    return fit_and_score(model, dist, dist, m=m, seeds=seeds, seed=seed, device=device)
