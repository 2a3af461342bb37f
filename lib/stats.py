"""Summary statistics used by every figure: means with 95% confidence intervals over seeds."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def t_quantile(dof: int) -> float:
    """97.5% quantile of Student's t with `dof` degrees of freedom (scipy.stats.t)."""
    from scipy.stats import t

    if isinstance(dof, bool) or not isinstance(dof, int) or dof < 1:
        raise ValueError(f"dof must be an integer >= 1, got {dof!r}")
    return float(t.ppf(0.975, dof))


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
        rows.append(
            {
                **dict(zip(by, key)),
                "mean": mean,
                "ci95": half,
                "runs": int(group[value].notna().sum()),
            }
        )
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


def loglog_slope(x, y) -> tuple[float, float]:
    """The exponent b of y ~ c x^b: the least-squares slope of log y on log x over all points (x, y > 0),
    and the half-width of its 95% Student-t interval (n - 2 degrees of freedom; NaN for 2 points; both
    NaN for a single x)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if (
        x.shape != y.shape
        or x.size < 2
        or not (np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)).all()
    ):
        raise ValueError(
            f"x and y must hold the same number (>= 2) of positive finite values, got {x.size} and {y.size}"
        )
    lx, ly = np.log(x), np.log(y)
    cx = lx - lx.mean()
    sxx = float(cx @ cx)
    if sxx == 0:
        return math.nan, math.nan
    slope = float(cx @ (ly - ly.mean())) / sxx
    if lx.size < 3:
        return slope, math.nan
    resid = ly - ly.mean() - slope * cx
    se = math.sqrt(float(resid @ resid) / (lx.size - 2) / sxx)
    return slope, t_quantile(lx.size - 2) * se
