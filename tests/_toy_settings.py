"""Settings of the tests' toy experiments: every experiment has a settings object (lib/sweep.py), and a
toy whose grid is a function of the profile gets one whose only field is that profile."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from lib import sweep
from lib.settings import Settings, choice, integer


@dataclasses.dataclass(frozen=True)
class ProfileSettings(Settings):
    """A toy's only setting: the profile whose grid it runs."""

    profile: str = choice("quick", "the profile of the toy's grid", sweep.PROFILES)


def by_profile(grid: Callable[[str], list[dict]]) -> Callable[[ProfileSettings], list[dict]]:
    """The grid of a settings object, for a toy grid of a profile."""
    return lambda s: grid(s.profile)


def toy(
    name: str, summary: str, grid: Callable[[str], list[dict]], compute: Callable
) -> sweep.Experiment:
    """An experiment that runs `grid(profile)` with the point function `compute`."""
    return sweep.Experiment(name, summary, by_profile(grid), compute, ProfileSettings)


@dataclasses.dataclass(frozen=True)
class Counter(Settings):
    """Points i = first, ..., first + count - 1."""

    count: int = integer(2, "points", 1, 100)
    first: int = integer(
        0, "i of the first point (a negative one is refused only while computing)", -100, 100
    )


def counter(
    name: str, summary: str, compute: Callable, quick: int = 2, full: int = 3
) -> sweep.Experiment:
    """An experiment of `quick` or `full` points i = 0, 1, ... (field `first` shifts them)."""
    return sweep.Experiment(
        name,
        summary,
        lambda s: [{"i": s.first + j} for j in range(s.count)],
        compute,
        lambda profile: Counter(count=quick if profile == "quick" else full),
    )
