"""Experiments as sweeps over a grid of points, each point computed once and cached.

An experiment is registered with `@experiment(name, summary, grid, settings=factory)`: `factory(profile)`
gives the book's settings (a frozen `lib.settings.Settings`) of the profile "quick" (CI, nbval:
seconds) or "full" (the paper's scale), `grid(settings)` lists their points (dicts of JSON-able
parameters), and the decorated function computes one point and returns a tidy DataFrame. `run(name,
profile, **overrides)` replaces fields of the settings (an unknown field or a bad value is a ValueError
before any point is computed), goes through the points in order, reads each from the cache or computes
and stores it, so an interrupted sweep resumes where it stopped, and returns all points' rows in one
DataFrame. A point is computed under a lock on its cache entry, so two runs of one sweep at once
compute each point once. The missing points are computed here, in `jobs` local processes, or as tasks
of a `dask.distributed` cluster (`scheduler=` or $DASK_SCHEDULER_ADDRESS), each task storing its point
in the shared cache itself.
`python -m lib run NAME --jobs N` (lib/__main__.py) is the same function from the command line, and
`precompute` (`python -m lib run all --jobs N`) computes the missing points of every experiment at once.

This module never imports `lib.experiments`: `get(name)` finds an experiment not registered yet in a
static table of the `@experiment` decorators of lib/experiments/*.py (read with `ast`) and imports
that module only. Worker processes receive the experiment's name with its module (`Experiment.ref`)
and import that module themselves.
"""

from __future__ import annotations

import ast
import importlib
import multiprocessing
import os
import re
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pandas as pd
import torch

from lib._checks import check_choice, check_int, show
from lib.cache import ResultsCache, cache_key, canonical, code_version
from lib.devices import default_device
from lib.settings import Settings

PROFILES = ("quick", "full")
EXPERIMENTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "experiments")
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
# How local worker processes start on the CPU: fork starts a worker without importing torch again, except
# where spawn is the platform's default (macOS, where fork after importing torch is unsafe). A GPU's points
# are computed in the calling process (`_compute_missing`).
START_METHODS = {
    "cpu": "spawn" if multiprocessing.get_all_start_methods()[0] == "spawn" else "fork"
}
SCHEDULER_TIMEOUT = 5  # seconds to reach a Dask scheduler before giving up
SCHEDULER_FORM = re.compile(
    r"((tcp|tls|ws|wss|ucx)://)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+)(:[0-9]{1,5})?"
)
PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h): the signal a process gets when its parent dies


class SchedulerUnreachable(OSError):
    """No Dask scheduler answered at the address within SCHEDULER_TIMEOUT seconds."""


def current_profile() -> str:
    """The profile of this build: $BOOK_PROFILE ("quick" or "full"), default "full"."""
    return check_choice("BOOK_PROFILE", os.environ.get("BOOK_PROFILE", "full"), PROFILES)


@dataclass(frozen=True)
class Experiment:
    """A registered experiment: its name, a one-line summary, its grid (a settings object -> the points),
    its point function, and the factory of its settings per profile."""

    name: str
    summary: str
    grid: Callable[[Settings], list[dict[str, Any]]]
    compute: Callable[..., pd.DataFrame]
    settings: Callable[[str], Settings]

    @property
    def module(self) -> str:
        """The module that defines the point function (what a worker process imports to run it)."""
        return self.compute.__module__

    @property
    def ref(self) -> tuple[str, str, str]:
        """(name, module, qualified name of the point function): how a worker process finds it."""
        return self.name, self.module, self.compute.__qualname__

    def settings_for(self, profile: str, overrides: dict[str, Any] | None = None) -> Settings:
        """The settings of `profile` with `overrides` in place (ValueError naming the fields for an
        unknown field or a bad value)."""
        check_choice("profile", profile, PROFILES)
        return self.settings(profile).replace(**(overrides or {}))

    def points(self, profile: str, overrides: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The points of `settings_for(profile, overrides)`."""
        return self.grid(self.settings_for(profile, overrides))


REGISTRY: dict[str, Experiment] = {}


def experiment(
    name: str,
    summary: str,
    grid: Callable[[Settings], list[dict[str, Any]]],
    settings: Callable[[str], Settings],
):
    """Register the decorated point function `compute(**point, device=...) -> DataFrame`: `settings`
    (profile -> the book's `Settings` of that profile) gives its settings, whose fields are what an
    override may replace, and `grid` lists the points of a settings object."""

    def register(compute: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
        if name in REGISTRY:
            raise ValueError(f"experiment {name!r} is registered twice")
        REGISTRY[name] = Experiment(name, summary, grid, compute, settings)
        return compute

    return register


def get(name: str) -> Experiment:
    """The registered experiment `name` (ValueError listing the known names otherwise); one of
    lib/experiments not imported yet is imported first (`catalogue`)."""
    if not isinstance(name, str):
        raise ValueError(f"name must be the name (a str) of an experiment, got {show(name)}")
    if name not in REGISTRY:
        module = catalogue().get(name)
        if module is not None:
            importlib.import_module(module)
    if name not in REGISTRY:
        known = sorted(set(REGISTRY) | set(catalogue()))
        raise ValueError(f"unknown experiment {name!r}; known: {', '.join(known)}")
    return REGISTRY[name]


def catalogue() -> dict[str, str]:
    """{experiment name: module} of every `experiment("name", ...)` call (as a decorator or not) in
    lib/experiments/*.py, read statically (no import)."""
    table = {}
    for file in sorted(os.listdir(EXPERIMENTS_DIR)):
        if not file.endswith(".py"):
            continue
        with open(os.path.join(EXPERIMENTS_DIR, file), "rb") as fh:
            tree = ast.parse(fh.read())
        for node in ast.walk(tree):  # @experiment("name", ...) or experiment("name", ...)(function)
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "experiment"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                table[node.args[0].value] = f"lib.experiments.{file[:-3]}"
    return table


def settings_for(name: str, profile: str | None = None, **overrides: Any) -> Settings:
    """The settings of experiment `name` in `profile` (default: `current_profile()`) with `overrides`
    in place: what `run(name, profile, **overrides)` computes (ValueError for an unknown field or a bad
    value)."""
    exp = get(name)
    profile = check_choice(
        "profile", profile if profile is not None else current_profile(), PROFILES
    )
    return exp.settings_for(profile, overrides)


def check_device(device: Any, here: bool = True) -> str:
    """ "cpu", "cuda" or "cuda:N", else ValueError; with `here`, also a GPU that torch sees on this
    machine (without: the device of a cluster's workers, checked there)."""
    if not isinstance(device, str) or not re.fullmatch(r"cpu|cuda(:[0-9]+)?", device):
        raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {show(device)}")
    if here and device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was asked for, but torch sees no GPU; use device='cpu'"
            )
        count = torch.cuda.device_count()
        if ":" in device and int(device[5:]) >= count:
            raise ValueError(
                f"device={device!r}: torch sees {count} GPU(s), cuda:0 to cuda:{count - 1}"
            )
    return device


def point_config(
    exp: Experiment, profile: str, point: dict[str, Any], device: str
) -> dict[str, Any]:
    """The full configuration a point is cached under: experiment, profile, point, device (a GPU's
    floating-point results may differ from the CPU's, or another GPU's, in the last bits) and the hash
    of the code it runs (`code_version(exp.module)`: the experiment's module and what it imports)."""
    return {
        "experiment": exp.name,
        "profile": profile,
        "point": point,
        "device": device,
        "code": code_version(exp.module),
    }


def cached_points(
    name: str,
    profile: str,
    cache: ResultsCache | None = None,
    device: str | None = None,
    **overrides: Any,
) -> tuple[int, int]:
    """(points of experiment `name` in `profile` (with `overrides`) already in the cache for `device`
    (default: this machine's `default_device()`), points in all)."""
    exp = get(name)
    cache = _cache(cache)
    points = exp.points(profile, overrides)
    device = check_device(device or default_device(), here=False)
    return sum(cache.get(point_config(exp, profile, p, device)) is not None for p in points), len(
        points
    )


def _cache(cache: ResultsCache | None) -> ResultsCache:
    """`cache`, or the default cache for None."""
    if cache is None:
        return ResultsCache()
    if not isinstance(cache, ResultsCache):
        raise ValueError(f"cache must be a ResultsCache or None, got {show(cache)}")
    return cache


def _point_function(ref: tuple[str, str, str]) -> Callable[..., pd.DataFrame]:
    """The point function of experiment ref = (name, module, qualified name) in a worker: the
    registry's (a forked worker inherits the parent's), else the one its module registers on import
    (a spawned process, a Dask worker), else the module's attribute of that name (an experiment that
    was registered by hand, as tests do)."""
    name, module, qualname = ref
    if name not in REGISTRY:
        found = importlib.import_module(module)
        if name not in REGISTRY:
            return getattr(found, qualname)
    return REGISTRY[name].compute


def _compute_point(
    ref: tuple[str, str, str], point: dict[str, Any], device: str, threads: int | None
) -> tuple[pd.DataFrame, float]:
    if threads is not None:
        torch.set_num_threads(threads)
    compute = _point_function(ref)
    start = time.perf_counter()
    df = compute(**point, device=device)
    return df, time.perf_counter() - start


def _die_with_parent(parent: int) -> None:
    """Initializer of a local worker process: exit as soon as the process `parent` that started it
    dies, however it dies (SIGKILL included), so that no worker outlives its run. On Linux the kernel
    sends SIGKILL (prctl PR_SET_PDEATHSIG); elsewhere a daemon thread polls the parent's pid."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        armed = libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):  # no prctl: not Linux
        armed = False
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    if not armed:

        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(0.5)
            os._exit(1)

        threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _store_point(
    root: str, config: dict[str, Any], ref: tuple[str, str, str], point: dict[str, Any], device: str
) -> float | None:
    """A Dask task: compute one point and store it in the cache at `root` (shared with the client),
    under the entry's lock; the seconds it took, or None when another run had stored it."""
    cache = ResultsCache(root)
    with cache.lock(config):
        if cache.get(config) is not None:
            return None
        df, seconds = _compute_point(ref, point, device, None)
        cache.put(config, df, {"seconds": seconds, "device": device})
        return seconds


def check_options(
    jobs: int, device: str | None, scheduler: str | None
) -> tuple[int, str, str | None]:
    """`run`'s options checked together: (jobs, device, scheduler address or None). The scheduler is
    `scheduler`, else $DASK_SCHEDULER_ADDRESS, else None (local); with one, jobs must be 1 and a CUDA
    device is checked on the workers, not here."""
    jobs = check_int("jobs", jobs, 1, 64)
    scheduler = scheduler if scheduler is not None else os.environ.get(SCHEDULER_ENV) or None
    if scheduler is not None and (
        not isinstance(scheduler, str) or not SCHEDULER_FORM.fullmatch(scheduler)
    ):
        raise ValueError(
            f"scheduler must be the address of a Dask scheduler, [tcp|tls|ws|wss|ucx://]HOST[:PORT] "
            f"(e.g. 'tcp://host:8786'), or None, got {show(scheduler)}"
        )
    if scheduler is not None and jobs > 1:
        raise ValueError(
            f"jobs must be 1 with a Dask scheduler (the cluster's workers compute the points), got {jobs}"
        )
    device = check_device(
        device if device is not None else default_device(), here=scheduler is None
    )
    return jobs, device, scheduler


def run(
    name: str,
    profile: str | None = None,
    *,
    jobs: int = 1,
    device: str | None = None,
    cache: ResultsCache | None = None,
    progress: bool = False,
    scheduler: str | None = None,
    **overrides: Any,
) -> pd.DataFrame:
    """All points of experiment `name` in `profile` (default: `current_profile()`) as one DataFrame.

    Each keyword of `overrides` replaces that field of the experiment's settings (`settings_for`), e.g.
    `run("fig3a", seeds=3)` (the points are then cached under their new values). Points found in the
    cache are read; the others are computed here (in `jobs` processes when jobs > 1, see
    `_compute_parallel`) or, with a `scheduler` address (default $DASK_SCHEDULER_ADDRESS), as tasks of
    that Dask cluster, whose workers must see the same cache directory (`_compute_dask`). Each point is
    stored as soon as it finishes. `device` is "cpu", "cuda" or "cuda:N" (default: cuda when present);
    results are cached per device. `df.attrs` holds the seconds spent computing, the number of points
    read from the cache, and the device.
    """
    exp = get(name)
    profile = check_choice(
        "profile", profile if profile is not None else current_profile(), PROFILES
    )
    jobs, device, scheduler = check_options(jobs, device, scheduler)
    cache = _cache(cache)
    settings = exp.settings_for(profile, overrides)
    points = exp.grid(settings)
    for point in points:
        canonical(point, "a point of the grid")  # a grid must be JSON-able: fail before any work
    configs = [point_config(exp, profile, p, device) for p in points]
    tables: dict[int, pd.DataFrame] = {}
    seconds: dict[int, float] = {}

    def read(i: int) -> bool:
        hit = cache.get(configs[i])
        if hit is not None:
            tables[i], seconds[i] = hit[0], float(hit[1].get("seconds", 0.0))
        return hit is not None

    todo = [i for i in range(len(points)) if not read(i)]
    bar = _progress(len(points), len(points) - len(todo), name, profile) if progress else None
    computed: list[float] = []

    def done(i: int, df: pd.DataFrame | None, sec: float | None) -> None:
        """Point i is in the cache: computed here in `sec` seconds, or (None) stored by another run."""
        if sec is None:
            read(i)
        else:
            tables[i], seconds[i] = df, sec
            computed.append(sec)
        if bar is not None:
            bar.update(1)

    def stored(i: int, sec: float | None) -> None:
        """Point i was stored by a Dask task (which took `sec` seconds, None: by another run)."""
        if not read(i):
            raise RuntimeError(
                f"a Dask worker stored point {points[i]} of {name!r}, but it is not in the cache at {cache.root} "
                f"here: the workers must share this directory (set MAXPOOL_CACHE_DIR to a shared path) and "
                f"run the same code and library versions"
            )
        if sec is not None:
            computed.append(sec)
        if bar is not None:
            bar.update(1)

    try:
        if scheduler is not None and todo:
            _compute_dask(scheduler, exp, points, configs, todo, device, cache, stored)
        else:
            _compute_missing(
                [(exp.ref, p) for p in points], configs, todo, device, jobs, cache, done
            )
    finally:
        if bar is not None:
            bar.close()
    out = pd.concat(
        [_with_point(tables[i], points[i]) for i in range(len(points))], ignore_index=True
    )
    out.attrs.update(
        settings=settings,
        experiment=name,
        profile=profile,
        seconds=sum(seconds.values()),
        seconds_computed=sum(computed),
        cached_points=len(points) - len(computed),
        points=len(points),
        device=device,
    )
    return out


def precompute(
    profile: str | None = None,
    *,
    jobs: int = 1,
    device: str | None = None,
    names: list[str] | None = None,
    progress: bool = False,
) -> float:
    """Compute every missing point of every experiment (or of `names`) in `profile` into the cache, in
    `jobs` processes shared by all experiments, so that the book's pages, which call `run`, only read:
    `make book` and `make test` do this first, with one process per core. Points go round-robin over
    the experiments and, within one, last first (the grids grow with the index, so the costliest points
    start early and the two processes rarely wait on one experiment's shared work). Returns the seconds
    spent computing."""
    profile = check_choice(
        "profile", profile if profile is not None else current_profile(), PROFILES
    )
    jobs, device, _ = check_options(jobs, device, None)
    cache = ResultsCache()
    queues = []
    for name in sorted(catalogue()) if names is None else names:
        exp = get(name)
        missing = [(exp.ref, p, point_config(exp, profile, p, device)) for p in exp.points(profile)]
        queues.append([task for task in missing if cache.get(task[2]) is None][::-1])
    tasks = [
        queue[i]
        for i in range(max(map(len, queues), default=0))
        for queue in queues
        if i < len(queue)
    ]
    bar = _progress(len(tasks), 0, "all experiments", profile) if progress else None
    computed: list[float] = []

    def done(i: int, df: pd.DataFrame | None, sec: float | None) -> None:
        if sec is not None:
            computed.append(sec)
        if bar is not None:
            bar.update(1)

    try:
        _compute_missing(
            [task[:2] for task in tasks],
            [task[2] for task in tasks],
            list(range(len(tasks))),
            device,
            jobs,
            cache,
            done,
        )
    finally:
        if bar is not None:
            bar.close()
    return sum(computed)


def _compute_missing(
    work: list[tuple[tuple[str, str, str], dict[str, Any]]],
    configs: list[dict[str, Any]],
    todo: list[int],
    device: str,
    jobs: int,
    cache: ResultsCache,
    done: Callable[[int, pd.DataFrame | None, float | None], None],
) -> None:
    """Compute work[i] = (experiment ref, point) for i in `todo`, here or in `jobs` processes
    (`_compute_parallel`), each under the lock of its cache entry configs[i], so that a concurrent run
    waits instead of computing it too; store each in `cache` as it finishes and call done(i, table,
    seconds), or done(i, None, None) for a point that another run stored meanwhile. Points with one
    cache entry (a grid made equal by an override) are computed once: the others are done with it (in
    parallel, claiming both would wait on itself). On a GPU every point is computed here, whatever
    `jobs`: one process and one CUDA context for all of them, where a pool would start a process and a
    context per worker."""
    first: dict[str, int] = {}
    twins: dict[int, list[int]] = {}
    for i in todo:
        key = cache_key(configs[i])
        twins.setdefault(first.setdefault(key, i), []).extend([] if first[key] == i else [i])
    todo = list(twins)

    def finish(i: int, df: pd.DataFrame | None, sec: float | None) -> None:
        done(i, df, sec)
        for j in twins[i]:
            done(j, None, None)

    def claim(i: int) -> ExitStack | None:
        """Lock the entry of point i; None (lock released) when another run stored it meanwhile."""
        lock = ExitStack()
        lock.enter_context(cache.lock(configs[i]))
        if cache.get(configs[i]) is not None:
            lock.close()
            finish(i, None, None)
            return None
        return lock

    def store(i: int, df: pd.DataFrame, sec: float) -> None:
        cache.put(configs[i], df, {"seconds": sec, "device": device})
        finish(i, df, sec)

    if jobs == 1 or len(todo) <= 1 or device.startswith("cuda"):
        for i in todo:
            lock = claim(i)
            if lock is not None:
                with lock:
                    store(i, *_compute_point(*work[i], device, None))
    else:
        _compute_parallel(work, todo, device, jobs, claim, store)


def _compute_parallel(
    work: list[tuple[tuple[str, str, str], dict[str, Any]]],
    todo: list[int],
    device: str,
    jobs: int,
    claim: Callable[[int], ExitStack | None],
    store: Callable[[int, pd.DataFrame, float], None],
) -> None:
    """Compute work[i] = (experiment ref, point) for i in `todo` in `jobs` processes (cpu_count // jobs
    torch threads each), started by `START_METHODS[device type]`: `claim` each point's cache entry before submitting it
    (skipping those stored meanwhile), `store` each as it finishes. At most `jobs` points are submitted
    at a time, so after a failure or an interrupt (Ctrl-C) only the points already running are
    finished and none is started; a failure is re-raised once they are stored. Every worker exits
    when this process dies, however it dies (`_die_with_parent`), and never holds its locks
    (`lib.cache._close_held_locks`), so a killed run leaves nothing that blocks its rerun."""
    threads = max(1, (os.cpu_count() or 1) // jobs)
    context = multiprocessing.get_context(START_METHODS[device.split(":")[0]])
    error: BaseException | None = None
    pending = iter(todo)
    with (
        ExitStack() as held,
        ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=context,
            initializer=_die_with_parent,
            initargs=(os.getpid(),),
        ) as pool,
    ):
        running: dict[Future, tuple[int, ExitStack]] = {}

        def submit_next() -> None:
            for i in pending:
                lock = claim(i)
                if lock is not None:
                    held.push(lock)  # released at the latest when the pool is done
                    running[pool.submit(_compute_point, *work[i], device, threads)] = (i, lock)
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


def _compute_dask(
    scheduler: str,
    exp: Experiment,
    points: list[dict[str, Any]],
    configs: list[dict[str, Any]],
    todo: list[int],
    device: str,
    cache: ResultsCache,
    stored: Callable[[int, float | None], None],
) -> None:
    """Send points[i] for i in `todo` to the Dask cluster at `scheduler`, one task each
    (`_store_point`: compute, then store in the cache under the entry's lock), and call `stored` as
    each finishes. A task whose worker dies is rerun by the cluster on another worker; a failed task
    is re-raised here, and closing the client (also on Ctrl-C) cancels the tasks not started yet. A
    scheduler that does not answer within SCHEDULER_TIMEOUT seconds raises `SchedulerUnreachable`."""
    from distributed import Client, as_completed

    try:
        client = Client(scheduler, set_as_default=False, timeout=SCHEDULER_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise SchedulerUnreachable(
            f"no Dask scheduler answered at {scheduler} within {SCHEDULER_TIMEOUT} s ({type(exc).__name__}); "
            f"start one (dask scheduler) or check the address"
        ) from None
    with client:
        futures = {
            client.submit(
                _store_point,
                str(cache.root),
                configs[i],
                exp.ref,
                points[i],
                device,
                key=f"{exp.name}-{cache_key(configs[i])[:16]}",
            ): i
            for i in todo
        }
        for fut in as_completed(futures, loop=client.loop):
            stored(futures[fut], fut.result())


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
