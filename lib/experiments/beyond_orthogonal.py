"""Part II, beyond orthogonal patterns: the CNN against an FCN on orthogonal patterns plus Gaussian
noise (`NoisyOrthogonalPatterns`). Real images as patches are Part I's Fig. 3c (MNIST)."""
from __future__ import annotations

import pandas as pd

from lib.distributions import NoisyOrthogonalPatterns
from lib.xor_network import fit_and_score
from lib.sweep import experiment

NOISE_MODELS = ("CNN k=50", "FCN-2 w=100")


def _noise_grid(profile: str) -> list[dict]:
    if profile == "quick":
        return [dict(model=mod, m=50, noise=s, n=10, d=30, seeds=3, seed=0) for mod in NOISE_MODELS for s in (0.0, 1.0)]
    noises = [0.0, 0.25, 0.5, 1.0, 2.0]
    return [
        dict(model=mod, m=m, noise=s, n=10, d=30, seeds=10, seed=0)
        for mod in NOISE_MODELS
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
