"""Experiments as sweeps over a grid of points, each point computed once and cached.

An experiment is registered with `@experiment(name, summary, grid)`: `grid(profile)` lists the points
(dicts of JSON-able parameters) for the profile "quick" (CI, nbval: seconds) or "full" (the paper's
scale), and the decorated function computes one point and returns a tidy DataFrame. `run(name,
profile)` goes through the points in order, reads each from the cache or computes and stores it, so an
interrupted sweep resumes where it stopped, and returns all points' rows in one DataFrame. A point is
computed under a lock on its cache entry, so two runs of one sweep at once compute each point once.
`python -m lib run NAME --jobs N` (lib/__main__.py) is the same function from the command line.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pandas as pd
import torch

from lib._checks import check_choice, check_int, show
from lib.cache import ResultsCache, canonical
from lib.training import default_device

PROFILES = ("quick", "full")


def current_profile() -> str:
    """The profile of this build: $BOOK_PROFILE ("quick" or "full"), default "full"."""
    return check_choice("BOOK_PROFILE", os.environ.get("BOOK_PROFILE", "full"), PROFILES)


@dataclass(frozen=True)
class Experiment:
    """A registered experiment: its name, a one-line summary, its grid and its point function."""

    name: str
    summary: str
    grid: Callable[[str], list[dict[str, Any]]]
    compute: Callable[..., pd.DataFrame]

    def points(self, profile: str) -> list[dict[str, Any]]:
        check_choice("profile", profile, PROFILES)
        return self.grid(profile)


REGISTRY: dict[str, Experiment] = {}


def experiment(name: str, summary: str, grid: Callable[[str], list[dict[str, Any]]]):
    """Register the decorated point function `compute(**point, device=...) -> DataFrame`."""

    def register(compute: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
        if name in REGISTRY:
            raise ValueError(f"experiment {name!r} is registered twice")
        REGISTRY[name] = Experiment(name, summary, grid, compute)
        return compute

    return register


def get(name: str) -> Experiment:
    """The registered experiment `name` (ValueError listing the known names otherwise)."""
    import lib.experiments  # noqa: F401  (registers every experiment)

    if not isinstance(name, str):
        raise ValueError(f"name must be the name (a str) of an experiment, got {show(name)}")
    if name not in REGISTRY:
        raise ValueError(f"unknown experiment {name!r}; known: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]


def point_config(exp: Experiment, profile: str, point: dict[str, Any], device: str) -> dict[str, Any]:
    """The full configuration a point is cached under (results are cached per device: a GPU's
    floating-point results may differ from the CPU's in the last bits)."""
    return {"experiment": exp.name, "profile": profile, "point": point, "device": device}


def cached_points(name: str, profile: str, cache: ResultsCache | None = None, device: str | None = None) -> tuple[int, int]:
    """(points of experiment `name` in `profile` already in the cache for `device` (default: this
    machine's `default_device()`), points in all)."""
    exp = get(name)
    cache = _cache(cache)
    points = exp.points(profile)
    device = device or default_device()
    return sum(cache.get(point_config(exp, profile, p, device)) is not None for p in points), len(points)


def _cache(cache: ResultsCache | None) -> ResultsCache:
    """`cache`, or the default cache for None."""
    if cache is None:
        return ResultsCache()
    if not isinstance(cache, ResultsCache):
        raise ValueError(f"cache must be a ResultsCache or None, got {show(cache)}")
    return cache


def _compute_point(name: str, point: dict[str, Any], device: str, threads: int | None) -> tuple[pd.DataFrame, float]:
    if threads is not None:
        torch.set_num_threads(threads)
    exp = get(name)
    start = time.perf_counter()
    df = exp.compute(**point, device=device)
    return df, time.perf_counter() - start


def run(
    name: str,
    profile: str | None = None,
    *,
    jobs: int = 1,
    device: str | None = None,
    cache: ResultsCache | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """All points of experiment `name` in `profile` (default: `current_profile()`) as one DataFrame.

    Points found in the cache are read; the others are computed (in `jobs` processes when jobs > 1,
    see `_compute_parallel`) and stored as soon as each finishes. `df.attrs` holds the seconds
    spent computing, the number of points read from the cache, and the device.
    """
    exp = get(name)
    profile = check_choice("profile", profile if profile is not None else current_profile(), PROFILES)
    jobs = check_int("jobs", jobs, 1, 64)
    device = check_choice("device", device if device is not None else default_device(), ("cpu", "cuda"))
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' was asked for, but torch sees no GPU; use device='cpu'")
    cache = _cache(cache)
    points = exp.points(profile)
    for point in points:
        canonical(point)  # a grid must be JSON-able: fail before any work
    tables: dict[int, pd.DataFrame] = {}
    seconds: dict[int, float] = {}

    def read(i: int) -> bool:
        hit = cache.get(point_config(exp, profile, points[i], device))
        if hit is not None:
            tables[i], seconds[i] = hit[0], float(hit[1].get("seconds", 0.0))
        return hit is not None

    todo = [i for i in range(len(points)) if not read(i)]
    bar = _progress(len(points), len(points) - len(todo), name, profile) if progress else None
    computed: list[float] = []

    def claim(i: int) -> ExitStack | None:
        """Lock the entry of point i, so that a concurrent run of the sweep waits instead of computing
        it too; None (lock released) when that run stored it meanwhile."""
        lock = ExitStack()
        lock.enter_context(cache.lock(point_config(exp, profile, points[i], device)))
        if read(i):
            lock.close()
            if bar is not None:
                bar.update(1)
            return None
        return lock

    def store(i: int, df: pd.DataFrame, sec: float) -> None:
        cache.put(point_config(exp, profile, points[i], device), df, {"seconds": sec, "device": device})
        tables[i], seconds[i] = df, sec
        computed.append(sec)
        if bar is not None:
            bar.update(1)

    if jobs == 1 or len(todo) <= 1:
        for i in todo:
            lock = claim(i)
            if lock is not None:
                with lock:
                    store(i, *_compute_point(name, points[i], device, None))
    else:
        _compute_parallel(name, points, todo, device, jobs, claim, store)
    if bar is not None:
        bar.close()
    out = pd.concat([_with_point(tables[i], points[i]) for i in range(len(points))], ignore_index=True)
    out.attrs.update(
        experiment=name,
        profile=profile,
        seconds=sum(seconds.values()),
        seconds_computed=sum(computed),
        cached_points=len(points) - len(computed),
        points=len(points),
        device=device,
    )
    return out


def _compute_parallel(
    name: str,
    points: list[dict[str, Any]],
    todo: list[int],
    device: str,
    jobs: int,
    claim: Callable[[int], ExitStack | None],
    store: Callable[[int, pd.DataFrame, float], None],
) -> None:
    """Compute points[i] for i in `todo` in `jobs` processes (cpu_count // jobs torch threads each):
    `claim` each point's cache entry before submitting it (skipping those stored meanwhile), `store`
    each as it finishes. At most `jobs` points are submitted at a time, so after a failure or an
    interrupt (Ctrl-C) only the points already running are finished and none is started; a failure is
    re-raised once they are stored."""
    threads = max(1, (os.cpu_count() or 1) // jobs)
    error: BaseException | None = None
    pending = iter(todo)
    with ExitStack() as held, ProcessPoolExecutor(max_workers=jobs) as pool:
        running: dict[Future, tuple[int, ExitStack]] = {}

        def submit_next() -> None:
            for i in pending:
                lock = claim(i)
                if lock is not None:
                    held.push(lock)  # released at the latest when the pool is done
                    running[pool.submit(_compute_point, name, points[i], device, threads)] = (i, lock)
                    return

        for _ in range(jobs):
            submit_next()
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in finished:
                i, lock = running.pop(fut)
                with lock:
                    if fut.exception() is not None:
                        error, pending = error or fut.exception(), iter(())
                        continue
                    store(i, *fut.result())
                submit_next()
    if error is not None:
        raise error


def _with_point(df: pd.DataFrame, point: dict[str, Any]) -> pd.DataFrame:
    """Add the point's scalar parameters as columns the table does not already have."""
    df = df.copy()
    for key, value in point.items():
        if key not in df.columns and isinstance(value, (int, float, str, bool)):
            df[key] = value
    return df


def _progress(total: int, done: int, name: str, profile: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=done, desc=f"{name} [{profile}]", unit="point")
