"""Argument checks shared by every public function: each failure is a ValueError that names the
parameter, the value it got and the range it allows (never a TypeError, OverflowError or a torch
error from deeper down)."""

from __future__ import annotations

import math
import numbers
import os
from typing import Any

import torch

INT_MAX = 2**63 - 1  # no size, count or seed may exceed what torch stores in an int64
SEED_MAX = 2**32 - 1  # seeds are integers in [0, SEED_MAX], as in numpy; derived seeds (offsets,
# one stream per layer) stay far below what torch.Generator.manual_seed accepts (2**64 - 1)


def check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    """Return `value` as an int if it is an integer in [low, high] (high=None: up to INT_MAX)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer in {_range(low, high)}, got {show(value)}")
    value = int(value)
    if value < low or (high is not None and value > high):
        raise ValueError(f"{name} must be an integer in {_range(low, high)}, got {show(value)}")
    if value > INT_MAX:
        raise ValueError(
            f"{name} must be an integer in {_range(low, high)} below 2**63, got {show(value)}"
        )
    return value


def check_seed(name: str, value: Any) -> int:
    """Return `value` as an int if it is a valid seed, an integer in [0, SEED_MAX]."""
    return check_int(name, value, 0, SEED_MAX)


def check_float(
    name: str,
    value: Any,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
) -> float:
    """Return `value` as a finite float in [low, high] ((low, high] when low_open)."""
    allowed = _frange(low, high, low_open)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number in {allowed}, got {show(value)}")
    try:
        value = float(value)
    except OverflowError:  # an int or fraction too large for a float
        raise ValueError(
            f"{name} must be a finite number in {allowed}, got {show(value)}"
        ) from None
    too_low = value <= low if low_open else value < low
    if not math.isfinite(value) or too_low or value > high:
        raise ValueError(f"{name} must be a finite number in {allowed}, got {value}")
    return value


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    """Return `value` if it is one of the strings `choices`."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, choices))}, got {show(value)}"
        )
    return value


def check_bool(name: str, value: Any) -> bool:
    """Return `value` if it is True or False (a truthy string such as 'no' is refused)."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {show(value)}")
    return value


def check_labels(name: str, y: Any, m: int, replicas: int | None = None) -> torch.Tensor:
    """Return `y` if it is a tensor of labels in {-1, +1} of shape (m,), or, when `replicas` R is given,
    (R', m) with R' in (1, R)."""
    shapes = f"(m,) or (1 or R={replicas}, m)" if replicas is not None else "(m,)"
    if not isinstance(y, torch.Tensor):
        raise ValueError(
            f"{name} must be a torch.Tensor of labels in {{-1, +1}}, got {type(y).__name__}"
        )
    rows_ok = y.dim() == 1 or (
        replicas is not None and y.dim() == 2 and y.shape[0] in (1, replicas)
    )
    if not rows_ok or y.shape[-1] != m:
        raise ValueError(f"{name} must have shape {shapes} with m={m}, got {tuple(y.shape)}")
    if y.is_complex() or not ((y == 1) | (y == -1)).all():
        raise ValueError(f"{name} must hold labels in {{-1, +1}} only")
    return y


MAX_BYTES_ENV = (
    "MAXPOOL_MAX_BYTES"  # overrides the memory limit of `check_memory` (a number of bytes)
)


def memory_limit() -> int:
    """The most bytes one model or sample may take: $MAXPOOL_MAX_BYTES if set, else the memory the
    system reports available now (/proc/meminfo's MemAvailable, else the free physical pages)."""
    text = os.environ.get(MAX_BYTES_ENV)
    if text is not None:
        try:
            return check_int(MAX_BYTES_ENV, int(text), 1)
        except ValueError:
            raise ValueError(
                f"{MAX_BYTES_ENV} must be a positive integer (bytes), got {text!r}"
            ) from None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover (no way to know: no limit)
        return INT_MAX


def check_memory(what: str, nbytes: int) -> None:
    """Refuse, before allocating, a tensor of about `nbytes` bytes above `memory_limit()`: ValueError
    naming `what` (the parameters and the formula) and the estimate."""
    limit = memory_limit()
    if nbytes > limit:
        raise ValueError(
            f"{what} needs about {_bytes(nbytes)} of memory, more than the {_bytes(limit)} available "
            f"(set {MAX_BYTES_ENV} to raise the limit)"
        )


def _bytes(n: int) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} B"


def _range(low: int, high: int | None) -> str:
    return f"[{low}, {high}]" if high is not None else f"[{low}, inf)"


def _frange(low: float, high: float, low_open: bool) -> str:
    return f"{'(' if low_open else '['}{low:g}, {high:g}]"


def show(value: Any, limit: int = 80) -> str:
    """repr of a bad value for an error message, cut to `limit` characters (a reader may pass a huge
    tensor or a huge integer)."""
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not hide the real error
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."
