"""The published points of the paper's figures (`lib.paper_values`): shapes, columns and ranges."""

from __future__ import annotations

import math

import pytest

from lib import paper_values

X_VALUES = {
    "fig3a": [10, 50, 100, 200],
    "fig3b": [10, 100, 200, 500, 1000],
    "fig5": [2, 5, 10, 20, 50],
    "fig3c": [10, 100, 500, 1000, 5000, 10000],
}


@pytest.mark.parametrize("figure", list(X_VALUES))
def test_published_table_has_a_mean_and_a_band_per_model_and_point(figure):
    pub = paper_values.published(figure)
    x = "n" if figure == "fig5" else "m"
    assert list(pub.columns) == ["figure", "x", x, "model", "test_error", "band"]
    assert len(pub) == len(X_VALUES[figure]) * len(paper_values.MODELS)
    assert sorted(pub[x].unique()) == X_VALUES[figure]
    assert (pub.figure == figure).all() and (pub.x == x).all()
    assert all(models == paper_values.MODELS for models in pub.groupby(x).model.apply(tuple))


@pytest.mark.parametrize("figure", list(X_VALUES))
def test_every_point_has_a_mean_in_the_unit_interval_and_a_band_at_least_zero(figure):
    x_name, points = paper_values.PUBLISHED[figure]
    for value, *reads in points:
        assert len(reads) == len(paper_values.MODELS), (figure, value)
        for mean, band in reads:
            assert 0.0 <= mean <= 1.0, (figure, value, mean)
            assert math.isfinite(band) and 0.0 <= band <= 0.5, (figure, value, band)


def test_published_keeps_the_paper_means_and_bands_apart():
    pub = paper_values.published("fig3b").set_index(["m", "model"])
    # Fig. 3b at m = 10: ConvPool's mean about 0.21 with a wide band (about 0.12 to 0.30)
    assert pub.loc[(10, "ConvPool"), "test_error"] == pytest.approx(
        0.21, abs=paper_values.READ_OFF_UNCERTAINTY
    )
    assert pub.loc[(10, "ConvPool"), "band"] == pytest.approx(
        0.09, abs=paper_values.READ_OFF_UNCERTAINTY
    )


def test_an_unknown_figure_is_refused():
    with pytest.raises(ValueError, match="figure must be one of"):
        paper_values.published("fig4")
