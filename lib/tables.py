"""Tables for reading: `show(df)` turns a result table into what a page displays.

pandas shows a frame with its row numbers 0..N as a first column, a count held in a float column as
`10.0`, and a small float as `9.555479e-06`. `show` returns a pandas `Styler` with

- no row-number column: a default index (0, 1, ..., N - 1, unnamed) is hidden; any other index (the
  m of a pivot table, the rows of a transposed table) becomes the first column(s), headed by its name;
- integers as integers: an integer column, and a float column whose values are all whole numbers
  (a count that passed through a mean or a pivot), is written without a decimal point;
- floats rounded for reading: `digits` significant figures, fixed-point from 10⁻³ up (0.953,
  12.3, 1234), and a power of ten below (9.56·10⁻⁶); a missing value is written as a dash.

The Styler renders as an HTML table in the book (and in the PDF); the numbers of the frame itself are
not changed.
"""

from __future__ import annotations

import functools
import math
import numbers

import pandas as pd
from pandas.io.formats.style import Styler

from lib._checks import check_int

MISSING = "–"
_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def format_number(value, digits: int = 3, whole_as_int: bool = True) -> str:
    """`value` written for reading: an integer without decimals, a float with `digits` significant
    figures (fixed-point when |value| >= 10⁻³, else `a.bc·10⁻ᵉ`), a whole float without decimals when
    `whole_as_int`, a missing value (None, NaN) as a dash, anything else (text, a bool) as `str(value)`.

    Raises ValueError when `digits` is not an integer in [1, 15].
    """
    digits = check_int("digits", digits, 1, 15)
    if value is None or (
        isinstance(value, numbers.Real)
        and not isinstance(value, numbers.Integral)
        and math.isnan(value)
    ):
        return MISSING
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return str(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    value = float(value)
    if math.isinf(value):
        return str(value)
    if whole_as_int and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    exponent = math.floor(math.log10(abs(value))) if value else 0
    if exponent >= -3:
        return f"{value:.{max(0, digits - 1 - exponent)}f}"
    mantissa, power = f"{value:.{digits - 1}e}".split("e")
    return f"{mantissa}·10{str(int(power)).translate(_SUPERSCRIPTS)}"


def _whole(column: pd.Series) -> bool:
    """True when every present value of `column` is a whole number below 10¹⁵ (and one is present)."""
    present = column.dropna()
    return len(present) > 0 and bool(
        (present == present.round()).all() and (present.abs() < 1e15).all()
    )


def _has_default_index(df: pd.DataFrame) -> bool:
    index = df.index
    return (
        not isinstance(index, pd.MultiIndex)
        and index.name is None
        and index.equals(pd.RangeIndex(len(df)))
    )


def show(df: pd.DataFrame | pd.Series, digits: int = 3) -> Styler:
    """`df` (a DataFrame, or a Series as a one-column table) as a Styler for display: no row-number
    column, integers without decimals, floats with `digits` significant figures (see the module's
    docstring); a named or non-default index becomes ordinary leading columns.

    A float column whose values are all whole numbers is written as integers; in any other float
    column every value keeps its `digits` significant figures (1.00 beside 0.953). A column of mixed
    types (a transposed table) is written value by value.

    Raises ValueError when `df` is not a pandas DataFrame or Series, or `digits` is not an integer in
    [1, 15].
    """
    digits = check_int("digits", digits, 1, 15)
    if isinstance(df, pd.Series):
        df = df.to_frame()
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"df must be a pandas DataFrame or Series, got {type(df).__name__}")
    if _has_default_index(df):
        df = df.reset_index(drop=True)
    else:
        df = df.reset_index(names=[name if name is not None else "" for name in df.index.names])
    formats = {}
    for key in df.columns:
        column = df[key]
        whole = not pd.api.types.is_float_dtype(column) or _whole(column)
        formats[key] = functools.partial(format_number, digits=digits, whole_as_int=whole)
    # the class of pandas' own HTML tables, which the book's theme styles
    return df.style.hide(axis="index").format(formats).set_table_attributes('class="dataframe"')
