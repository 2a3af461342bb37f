"""The published values of the paper's §7 figures, as data.

The paper gives no table: every number here was **read off the paper's figures** (Brutzkus & Globerson,
UAI 2021, Figs. 3a, 3b, 3c and 5), so each is uncertain by about ±0.01 on the test-error axis
(`READ_OFF_UNCERTAINTY`). The paper draws each model's mean test error over its 5 repetitions
(`REPETITIONS`) as a line with a shaded band of one standard deviation either side (§7: "repeated 5 times
with mean and std reported on figures"). One row per published point: the figure, the x value (m, or n
for Fig. 5), and for each model the mean and the band's half-width (the paper's ±1 SD).

How they were read. The four figures are raster images in the proceedings PDF (394 × 270 pixels each,
about 0.0025 of test error per pixel). The axes were calibrated on the tick marks (a straight-line fit of
pixel row to the tick labels, off by at most one pixel). In every pixel column each model's line was
located by its colour (the weighted centre of its line pixels), and its band by the colours that the
translucent bands make alone and where they overlap (the band's outermost rows on either side of the
line). The line's centre and the band's two edges were then fitted by straight lines along each plotted
segment (away from its ends) and evaluated at the published x; where both neighbouring segments give a
value, the two were averaged (they agree within 0.005, and mostly within 0.002).
Two places were read column by column instead, the segment beside them being too steep or hidden:
Fig. 3c at m = 10, where the three lines start at the same pixel (0.505 each) and only the top edge of
the overlapping bands shows, 0.02 above them (recorded as every model's band); and Fig. 5 at n = 2, where
the MLP's line ends under the SVM's (MLP 0.052 ± 0.027, SVM 0.054 ± 0.020, from the lowest rows of their
bands). A band of 0 is one hidden under its line (narrower than about 0.003: ConvPool at or near zero).
"""

from __future__ import annotations

import pandas as pd

READ_OFF_UNCERTAINTY = 0.01  # read off the paper's figure, ±0.01
REPETITIONS = 5  # §7: each curve is the mean (and SD band) over 5 repetitions
MODELS = ("ConvPool", "MLP", "SVM")

# figure: (x column, [(x, (mean, band) for ConvPool, MLP, SVM), ...]); band = the paper's ±1 SD half-width;
# read off the paper's figure, ±0.01
PUBLISHED: dict[
    str, tuple[str, list[tuple[int, tuple[float, float], tuple[float, float], tuple[float, float]]]]
] = {
    "fig3a": (
        "m",
        [
            (10, (0.083, 0.047), (0.442, 0.017), (0.442, 0.018)),
            (50, (0.000, 0.000), (0.314, 0.029), (0.287, 0.017)),
            (100, (0.000, 0.000), (0.184, 0.019), (0.151, 0.015)),
            (200, (0.000, 0.000), (0.079, 0.027), (0.013, 0.012)),
        ],
    ),
    "fig3b": (
        "m",
        [
            (10, (0.214, 0.090), (0.449, 0.024), (0.457, 0.020)),
            (100, (0.000, 0.001), (0.278, 0.017), (0.284, 0.023)),
            (200, (0.000, 0.000), (0.216, 0.016), (0.210, 0.018)),
            (500, (0.000, 0.000), (0.105, 0.004), (0.125, 0.007)),
            (1000, (0.000, 0.000), (0.072, 0.005), (0.107, 0.005)),
        ],
    ),
    "fig5": (
        "n",
        [
            (2, (0.005, 0.000), (0.052, 0.027), (0.054, 0.020)),
            (5, (0.007, 0.004), (0.284, 0.011), (0.300, 0.030)),
            (10, (0.018, 0.004), (0.440, 0.018), (0.428, 0.025)),
            (20, (0.022, 0.007), (0.484, 0.011), (0.485, 0.020)),
            (50, (0.056, 0.019), (0.494, 0.011), (0.497, 0.011)),
        ],
    ),
    "fig3c": (
        "m",
        [
            (10, (0.505, 0.020), (0.505, 0.020), (0.505, 0.020)),
            (100, (0.180, 0.022), (0.345, 0.014), (0.362, 0.002)),
            (500, (0.068, 0.005), (0.283, 0.005), (0.327, 0.021)),
            (1000, (0.063, 0.010), (0.212, 0.006), (0.271, 0.003)),
            (5000, (0.035, 0.005), (0.110, 0.007), (0.262, 0.008)),
            (10000, (0.032, 0.003), (0.086, 0.005), (0.258, 0.012)),
        ],
    ),
}


def published(figure: str) -> pd.DataFrame:
    """The published points of `figure` ("fig3a", "fig3b", "fig5" or "fig3c") as a tidy table with
    columns figure, x (the name of the x axis: "m" or "n"), the x column itself, model, test_error (the
    paper's mean) and band (the half-width of the paper's ±1 SD band), both read off the paper's figure,
    ±0.01."""
    if figure not in PUBLISHED:
        raise ValueError(f"figure must be one of {', '.join(map(repr, PUBLISHED))}, got {figure!r}")
    x, points = PUBLISHED[figure]
    rows = [
        {"figure": figure, "x": x, x: value, "model": model, "test_error": mean, "band": band}
        for value, *reads in points
        for model, (mean, band) in zip(MODELS, reads)
    ]
    return pd.DataFrame(rows)
