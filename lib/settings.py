"""Settings objects: every knob of an experiment's points in one frozen dataclass.

An experiment that has settings (`@experiment(..., settings=...)` in lib/sweep.py) builds its grid from
one `Settings` instance: its defaults are the book's, per profile, and `lib.run(name, **overrides)` (or
`--set KEY=VALUE` on the command line) replaces fields before any point is computed. A field that does
not exist, or a value of the wrong type or outside its range, is a `ValueError` naming the field and
the allowed values. Each field is declared with one of the constructors below (`integer`, `real`,
`choice`, `integers`, `reals`, `choices`), which carry the field's check; `__post_init__` runs every check, so a
settings object that exists is a valid one.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

from lib._checks import check_choice, check_float, check_int, show

Check = Callable[[str, Any], Any]


def _field(default: Any, check: Check, doc: str) -> Any:
    return dataclasses.field(default=default, metadata={"check": check, "doc": doc})


def checked(default: Any, doc: str, check: Check) -> Any:
    """A field with its own check(name, value) -> value (ValueError naming the field otherwise)."""
    return _field(default, check, doc)


def integer(
    default: int | None, doc: str, low: int = 0, high: int | None = None, optional: bool = False
) -> Any:
    """An integer field in [low, high] (None allowed when `optional`)."""

    def check(name: str, value: Any) -> int | None:
        if optional and value is None:
            return None
        return check_int(name, value, low, high)

    return _field(default, check, doc)


def real(
    default: float, doc: str, low: float = -math.inf, high: float = math.inf, low_open: bool = False
) -> Any:
    """A finite real field in [low, high] ((low, high] when `low_open`)."""
    return _field(
        default, lambda name, value: check_float(name, value, low, high, low_open=low_open), doc
    )


def choice(default: str, doc: str, choices: tuple[str, ...]) -> Any:
    """A string field, one of `choices`."""
    return _field(default, lambda name, value: check_choice(name, value, choices), doc)


def _sequence(check_one: Check, empty: bool = False) -> Check:
    def check(name: str, value: Any) -> tuple:
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
            value = (value,)  # one value stands for a grid of one
        items = tuple(value)
        if not items and not empty:
            raise ValueError(f"{name} must hold at least one value, got {show(value)}")
        return tuple(check_one(f"{name}[{i}]", v) for i, v in enumerate(items))

    return check


def integers(
    default: tuple[int, ...], doc: str, low: int = 0, high: int | None = None, empty: bool = False
) -> Any:
    """A tuple of integers in [low, high], non-empty unless `empty` (a list, or one integer, is accepted)."""
    return _field(
        default, _sequence(lambda name, value: check_int(name, value, low, high), empty), doc
    )


def reals(
    default: tuple[float, ...],
    doc: str,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
) -> Any:
    """A non-empty tuple of finite reals in [low, high]."""
    return _field(
        default,
        _sequence(lambda name, value: check_float(name, value, low, high, low_open=low_open)),
        doc,
    )


def choices(default: tuple[str, ...], doc: str, allowed: tuple[str, ...]) -> Any:
    """A non-empty tuple of strings, each one of `allowed` (one string is accepted)."""
    return _field(default, _sequence(lambda name, value: check_choice(name, value, allowed)), doc)


def same_length(settings: Settings, *names: str) -> None:
    """ValueError naming the fields `names` (tuples of one point each) unless they have one length."""
    lengths = {name: len(getattr(settings, name)) for name in names}
    if len(set(lengths.values())) > 1:
        raise ValueError(
            f"{', '.join(names)} must have one length (one entry per point), got lengths "
            f"{', '.join(f'{k}={v}' for k, v in lengths.items())}"
        )


@dataclasses.dataclass(frozen=True)
class Settings:
    """Base class: a frozen dataclass whose fields are declared with the constructors of this module."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            check = f.metadata.get("check")
            if check is not None:
                object.__setattr__(self, f.name, check(f.name, getattr(self, f.name)))
        self.validate()

    def validate(self) -> None:
        """Checks across fields (a subclass's); each failure is a ValueError naming the fields."""

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    def replace(self, **overrides: Any) -> Settings:
        """A copy with `overrides` in place of the fields they name (ValueError for any other name)."""
        unknown = sorted(set(overrides) - set(self.field_names()))
        if unknown:
            raise ValueError(
                f"{', '.join(map(repr, unknown))} is no setting of {type(self).__name__}; "
                f"the settings are: {', '.join(self.field_names())}"
            )
        return dataclasses.replace(self, **overrides)

    def as_dict(self) -> dict[str, Any]:
        """The fields as a JSON-able dict (tuples as lists), in declaration order."""
        return {
            f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v
            for f in dataclasses.fields(self)
        }

    def describe(self) -> dict[str, str]:
        """{field: its one-line meaning} (what a page or `--help` shows beside the values)."""
        return {f.name: f.metadata.get("doc", "") for f in dataclasses.fields(self)}
