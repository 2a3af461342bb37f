"""§6 chapter: the minimum-norm separator of D (Proposition 6.1), computed exactly for a grid of n and l."""
from __future__ import annotations

import pandas as pd

from lib.baselines import separator_norms
from lib.sweep import experiment


def _norms_grid(profile: str) -> list[dict]:
    if profile == "full":
        return [dict(ns=list(range(1, 17)), ls=[3, 4, 5, 6, 20], full_max_points=15_000)]
    return [dict(ns=list(range(1, 11)), ls=[3, 4, 5, 20], full_max_points=1_000)]


@experiment("separator_norms", "Proposition 6.1: ||w-hat||^2 of D's minimum-norm separator for a grid of n and l", _norms_grid)
def separator_norms_point(*, ns, ls, full_max_points, device) -> pd.DataFrame:
    """`baselines.separator_norms` on the grid (exact; `device` is unused: a CPU computation)."""
    return separator_norms(ns, ls, full_max_points=full_max_points)
