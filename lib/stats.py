"""Summary statistics used by every figure: means with 95% confidence intervals over seeds."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

# two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom (beyond: normal 1.96)
_T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
         2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
         2.052, 2.048, 2.045, 2.042]


def t_quantile(dof: int) -> float:
    """97.5% quantile of Student's t with `dof` degrees of freedom (normal 1.96 beyond 30)."""
    if dof < 1:
        raise ValueError(f"dof must be an integer >= 1, got {dof}")
    return _T975[dof - 1] if dof <= 30 else 1.96


def mean_ci(values) -> tuple[float, float]:
    """Mean and half-width of the 95% Student-t confidence interval of the mean (half-width NaN for
    fewer than two values)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return math.nan, math.nan
    if x.size == 1:
        return float(x[0]), math.nan
    return float(x.mean()), t_quantile(x.size - 1) * float(x.std(ddof=1)) / math.sqrt(x.size)


def summarize(df: pd.DataFrame, by: list[str], value: str) -> pd.DataFrame:
    """Per group of `by`: mean of `value`, its 95% CI half-width `ci95`, and the count `runs`."""
    rows = []
    for key, group in df.groupby(by, sort=True):
        mean, half = mean_ci(group[value])
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(by, key)), "mean": mean, "ci95": half, "runs": int(group[value].notna().sum())})
    return pd.DataFrame(rows)


def wilson_ci(successes: int, trials: int) -> tuple[float, float, float]:
    """Proportion successes/trials with its 95% Wilson score interval (lower, upper); suited to
    fractions near 0 or 1, such as "fraction of runs that reached zero loss"."""
    if trials < 1 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials and trials >= 1, got {successes}/{trials}")
    z = 1.959964
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return p, max(0.0, centre - half), min(1.0, centre + half)
