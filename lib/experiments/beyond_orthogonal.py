"""Part II, beyond orthogonal patterns: the CNN against an FCN on orthogonal patterns plus Gaussian
noise (`NoisyOrthogonalPatterns`). Real images as patches are Part I's Fig. 3c (MNIST)."""

from __future__ import annotations

import dataclasses

import pandas as pd

from lib.distributions import NoisyOrthogonalPatterns
from lib.settings import Settings, choices, integer, integers, reals
from lib.sweep import experiment
from lib.xor_network import MODELS, fit_and_score


@dataclasses.dataclass(frozen=True)
class NoiseSettings(Settings):
    """One point per (model, m, noise scale): `seeds` training sets of m points."""

    models: tuple[str, ...] = choices(
        ("CNN k=50", "FCN-2 w=100"), "the networks (lib.xor_network.MODELS)", tuple(MODELS)
    )
    ms: tuple[int, ...] = integers((50, 200), "training points m, one point each", 1, 1_000_000)
    noises: tuple[float, ...] = reals(
        (0.0, 0.25, 0.5, 1.0, 2.0), "noise scales of the Gaussian noise on every patch", 0.0, 1e6
    )
    n: int = integer(10, "patches per input", 1, 1_000)
    d: int = integer(30, "dimension d = number of patterns", 3, 10_000)
    seeds: int = integer(5, "repetitions per point", 1, 10_000)
    seed: int = integer(0, "base seed", 0, 2**32 - 1)


def _noise_settings(profile: str) -> NoiseSettings:
    return (
        NoiseSettings()
        if profile == "full"
        else NoiseSettings(ms=(50,), noises=(0.0, 1.0), seeds=3)
    )


def _noise_grid(s: NoiseSettings) -> list[dict]:
    return [
        dict(model=mod, m=m, noise=noise, n=s.n, d=s.d, seeds=s.seeds, seed=s.seed)
        for mod in s.models
        for m in s.ms
        for noise in s.noises
    ]


@experiment(
    "noisy_orthogonal",
    "Test accuracy against the noise scale for orthogonal patterns plus Gaussian noise (n=10, d=30)",
    _noise_grid,
    settings=_noise_settings,
)
def noisy_orthogonal(*, model, m, noise, n, d, seeds, seed, device) -> pd.DataFrame:
    """One (model, m, noise) point: train, validate and test on the noisy distribution."""
    dist = NoisyOrthogonalPatterns(n, d, noise=noise)
    return fit_and_score(model, dist, dist, m=m, seeds=seeds, seed=seed, device=device)
