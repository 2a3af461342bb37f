"""The published values of the paper's §7 figures, as data.

Every number here was **read off the paper's figure** (Brutzkus & Globerson, UAI 2021, Figs. 3a, 3b, 3c
and 5) by eye, so each is uncertain by about ±0.01 on the test-error axis (`READ_OFF_UNCERTAINTY`);
the paper gives no table. One row per published point: the figure, the x value (m, or n for Fig. 5),
and the mean test error of each model. The paper draws the mean over 5 repetitions with a band of one
standard deviation; only the means can be read off.
"""
from __future__ import annotations

import pandas as pd

READ_OFF_UNCERTAINTY = 0.01  # read off the paper's figure, ±0.01
MODELS = ("ConvPool", "MLP", "SVM")

# figure: (x column, [(x, ConvPool, MLP, SVM), ...]); read off the paper's figure, ±0.01
PUBLISHED: dict[str, tuple[str, list[tuple[int, float, float, float]]]] = {
    "fig3a": ("m", [(10, 0.08, 0.44, 0.44), (50, 0.00, 0.31, 0.29), (100, 0.00, 0.185, 0.15), (200, 0.00, 0.08, 0.015)]),
    "fig3b": ("m", [(10, 0.21, 0.45, 0.45), (100, 0.00, 0.28, 0.285), (200, 0.00, 0.215, 0.21), (500, 0.00, 0.105, 0.125),
                    (1000, 0.00, 0.07, 0.11)]),
    "fig5": ("n", [(2, 0.005, 0.055, 0.055), (5, 0.01, 0.29, 0.30), (10, 0.018, 0.44, 0.43), (20, 0.023, 0.485, 0.485),
                   (50, 0.056, 0.495, 0.497)]),
    "fig3c": ("m", [(10, 0.50, 0.50, 0.50), (100, 0.18, 0.35, 0.365), (500, 0.07, 0.28, 0.325), (1000, 0.065, 0.21, 0.27),
                    (5000, 0.037, 0.11, 0.26), (10000, 0.034, 0.087, 0.26)]),
}


def published(figure: str) -> pd.DataFrame:
    """The published points of `figure` ("fig3a", "fig3b", "fig5" or "fig3c") as a tidy table with
    columns figure, x (the name of the x axis: "m" or "n"), the x column itself, model and
    test_error (read off the paper's figure, ±0.01)."""
    if figure not in PUBLISHED:
        raise ValueError(f"figure must be one of {', '.join(map(repr, PUBLISHED))}, got {figure!r}")
    x, points = PUBLISHED[figure]
    rows = [{"figure": figure, "x": x, x: value, "model": model, "test_error": err}
            for value, *errors in points for model, err in zip(MODELS, errors)]
    return pd.DataFrame(rows)
