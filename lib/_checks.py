"""Argument checks shared by every public function: each failure is a ValueError that names the
parameter, the value it got and the range it allows."""
from __future__ import annotations

import math
import numbers
from typing import Any


def check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    """Return `value` as an int if it is an integer in [low, high] (high=None: no upper bound)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer in {_range(low, high)}, got {value!r}")
    value = int(value)
    if value < low or (high is not None and value > high):
        raise ValueError(f"{name} must be an integer in {_range(low, high)}, got {value}")
    return value


def check_float(
    name: str,
    value: Any,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
) -> float:
    """Return `value` as a finite float in [low, high] ((low, high] when low_open)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number in {_frange(low, high, low_open)}, got {value!r}")
    value = float(value)
    too_low = value <= low if low_open else value < low
    if not math.isfinite(value) or too_low or value > high:
        raise ValueError(f"{name} must be a finite number in {_frange(low, high, low_open)}, got {value}")
    return value


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    """Return `value` if it is one of `choices`."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def _range(low: int, high: int | None) -> str:
    return f"[{low}, {high}]" if high is not None else f"[{low}, inf)"


def _frange(low: float, high: float, low_open: bool) -> str:
    return f"{'(' if low_open else '['}{low:g}, {high:g}]"
