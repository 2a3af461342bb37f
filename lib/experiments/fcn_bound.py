"""§6 chapter: the minimum-norm separator of D (Proposition 6.1), computed exactly for a grid of n and l."""
from __future__ import annotations

import pandas as pd

from lib.baselines import sample_svm_norms, separator_norms
from lib.sweep import experiment


def _norms_grid(profile: str) -> list[dict]:
    if profile == "full":
        return [dict(ns=list(range(1, 17)), ls=[3, 4, 5, 6, 20], full_max_points=15_000)]
    return [dict(ns=list(range(1, 11)), ls=[3, 4, 5, 20], full_max_points=1_000)]


@experiment("separator_norms", "Proposition 6.1: ||w-hat||^2 of D's minimum-norm separator for a grid of n and l", _norms_grid)
def separator_norms_point(*, ns, ls, full_max_points, device) -> pd.DataFrame:
    """`baselines.separator_norms` on the grid (exact; `device` is unused: a CPU computation)."""
    return separator_norms(ns, ls, full_max_points=full_max_points)


def _svm_grid(profile: str) -> list[dict]:
    return [dict(n=10, l=20, basis="random", ms=[2, 5, 10, 20, 50, 100, 200, 500, 1000],
                 seeds=10 if profile == "full" else 3)]


@experiment("svm_norms", "§6: hard-margin SVMs on m points of D (n = 10, d = l = 20): ||w_m||^2 against the support's",
            _svm_grid)
def svm_norms(*, n, l, basis, ms, seeds, device) -> pd.DataFrame:
    """Per (m, seed): ||w_m||^2 / ||w-hat||^2, the distance to w-hat, the test error (`sample_svm_norms`)."""
    return sample_svm_norms(n=n, l=l, basis=basis, ms=ms, seeds=range(seeds))
