"""§6 chapter: the minimum-norm separator of D (Proposition 6.1), computed exactly for a grid of n and l."""

from __future__ import annotations

import dataclasses

import pandas as pd

from lib.baselines import MAX_SUPPORT_POINTS, sample_svm_norms, separator_norms
from lib.settings import Settings, choice, integer, integers
from lib.sweep import experiment


@dataclasses.dataclass(frozen=True)
class SeparatorSettings(Settings):
    """One point: the exact ||w-hat||^2 for every (n, l) of the grid."""

    ns: tuple[int, ...] = integers(tuple(range(1, 17)), "patches n", 1, 10_000)
    ls: tuple[int, ...] = integers((3, 4, 5, 6, 20), "patterns l", 3, 10_000)
    full_max_points: int = integer(
        15_000,
        "largest support also solved whole by the SVM (check of the symmetry reduction)",
        0,
        MAX_SUPPORT_POINTS,
    )


def _norms_settings(profile: str) -> SeparatorSettings:
    if profile == "full":
        return SeparatorSettings()
    return SeparatorSettings(ns=tuple(range(1, 11)), ls=(3, 4, 5, 20), full_max_points=1_000)


def _norms_grid(s: SeparatorSettings) -> list[dict]:
    return [s.as_dict()]


@experiment(
    "separator_norms",
    "Proposition 6.1: ||w-hat||^2 of D's minimum-norm separator for a grid of n and l",
    _norms_grid,
    settings=_norms_settings,
)
def separator_norms_point(*, ns, ls, full_max_points, device) -> pd.DataFrame:
    """`baselines.separator_norms` on the grid (exact; `device` is unused: a CPU computation)."""
    return separator_norms(ns, ls, full_max_points=full_max_points)


@dataclasses.dataclass(frozen=True)
class SvmNormSettings(Settings):
    """One point: hard-margin SVMs on `seeds` samples of each size m of D (d = l)."""

    n: int = integer(10, "patches per input", 1, 1_000)
    l: int = integer(20, "patterns l (= d)", 3, 10_000)
    basis: str = choice(
        "random",
        "the patterns: a random orthonormal basis or the standard one",
        ("random", "standard"),
    )
    ms: tuple[int, ...] = integers(
        (2, 5, 10, 20, 50, 100, 200, 500, 1000), "sample sizes m", 1, 10**6
    )
    seeds: int = integer(10, "samples per m (seeds 0 .. seeds - 1)", 1, 10_000)


def _svm_settings(profile: str) -> SvmNormSettings:
    return SvmNormSettings(seeds=10 if profile == "full" else 3)


def _svm_grid(s: SvmNormSettings) -> list[dict]:
    return [s.as_dict()]


@experiment(
    "svm_norms",
    "§6: hard-margin SVMs on m points of D (n = 10, d = l = 20): ||w_m||^2 against the support's",
    _svm_grid,
    settings=_svm_settings,
)
def svm_norms(*, n, l, basis, ms, seeds, device) -> pd.DataFrame:
    """Per (m, seed): ||w_m||^2 / ||w-hat||^2, the distance to w-hat, the test error (`sample_svm_norms`)."""
    return sample_svm_norms(n=n, l=l, basis=basis, ms=ms, seeds=range(seeds))
