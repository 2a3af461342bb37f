"""lib.tables.show: no row-number column, integers as integers, floats rounded for reading."""

import math

import numpy as np
import pandas as pd
import pytest

from lib.tables import MISSING, format_number, show


def cells(styler) -> list[list[str]]:
    """The displayed text of every body cell, row by row (header excluded)."""
    ctx = styler._translate(False, False)
    return [[cell["display_value"] for cell in row if cell["type"] == "td"] for row in ctx["body"]]


def headers(styler) -> list[str]:
    ctx = styler._translate(False, False)
    return [
        cell["display_value"]
        for cell in ctx["head"][-1]
        if cell["type"] == "th" and cell.get("is_visible", True)
    ]


@pytest.mark.parametrize(
    "value, text",
    [
        (10, "10"),
        (np.int64(7), "7"),
        (10.0, "10"),
        (0.95321, "0.953"),
        (12.345, "12.3"),
        (1234.5, "1234"),
        (0.001234, "0.00123"),
        (9.555479e-06, "9.56·10⁻⁶"),
        (-2.5e-12, "-2.50·10⁻¹²"),
        (float("nan"), MISSING),
        (None, MISSING),
        ("CNN", "CNN"),
        (True, "True"),
        (math.inf, "inf"),
    ],
)
def test_format_number(value, text):
    assert format_number(value) == text


def test_format_number_keeps_decimals_of_whole_floats_when_asked():
    assert format_number(1.0, whole_as_int=False) == "1.00"
    assert format_number(0.0, whole_as_int=False) == "0.00"
    assert format_number(0.953214, digits=5) == "0.95321"


def test_default_index_is_hidden_and_floats_rounded():
    df = pd.DataFrame(
        {"m": [10, 100], "seeds": [10.0, 10.0], "error": [9.555479e-06, 0.5], "acc": [1.0, 0.95321]}
    )
    styler = show(df)
    html = styler.to_html()
    assert headers(styler) == ["m", "seeds", "error", "acc"]
    assert cells(styler) == [["10", "10", "9.56·10⁻⁶", "1.00"], ["100", "10", "0.500", "0.953"]]
    assert "9.555479e-06" not in html and "10.0<" not in html
    assert 'class="dataframe"' in html
    # pandas' own HTML has the row numbers 0 and 1 as a first column: show has no such column
    assert len(cells(styler)[0]) == df.shape[1]


def test_named_index_becomes_a_column():
    wide = pd.DataFrame(
        {"m": [10, 10, 100], "model": ["CNN", "FCN", "CNN"], "acc": [0.9, 0.8, 0.99]}
    )
    table = wide.pivot(index="m", columns="model", values="acc")
    styler = show(table)
    assert headers(styler) == ["m", "CNN", "FCN"]
    assert cells(styler) == [["10", "0.900", "0.800"], ["100", "0.990", MISSING]]


def test_series_and_mixed_column():
    """A Series is a one-column table; its labels become the first column, each value is written by
    its own type (970 as an integer beside two rounded floats)."""
    series = pd.Series({"m": 970, "CNN": 0.99123, "gap": 0.0412}, dtype=object)
    styler = show(series.rename("value"))
    assert headers(styler) == ["", "value"]
    assert cells(styler) == [["m", "970"], ["CNN", "0.991"], ["gap", "0.0412"]]


def test_a_default_index_that_does_not_start_at_zero_is_kept():
    df = pd.DataFrame({"x": [1.5, 2.5]}, index=[3, 4])
    assert cells(show(df)) == [["3", "1.50"], ["4", "2.50"]]


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="df must be a pandas DataFrame"):
        show([1, 2])
    with pytest.raises(ValueError, match=r"digits must be an integer in \[1, 15\]"):
        show(pd.DataFrame({"x": [1.0]}), digits=0)
    with pytest.raises(ValueError, match="digits"):
        format_number(1.5, digits=2.5)
