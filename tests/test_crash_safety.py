"""Nothing computed is lost (issue 7, items 4 and 5).

A sweep killed by SIGINT or SIGKILL keeps every point it stored and the rerun computes only the
missing ones; truncated, garbled or foreign cache files are recomputed; concurrent writers never
corrupt an entry; the cache never unpickles anything. The sweeps run in subprocesses
(tests/_toy_sweep.py) so that they can really be killed.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

import _toy_sweep as toy
import lib.cache
import lib.experiments  # noqa: F401  (fill the registry before the tests swap in a copy)
from lib import sweep
from lib.cache import ResultsCache, code_version

ROOT = Path(__file__).resolve().parent.parent
HELPER = Path(__file__).with_name("_toy_sweep.py")
EXPECTED = [toy.value(i) for i in range(toy.POINTS)]


@pytest.fixture
def log(monkeypatch, tmp_path) -> Path:
    """Register the toy experiment in a copy of the registry; return the log of computed points."""
    monkeypatch.setattr(sweep, "REGISTRY", dict(sweep.REGISTRY))
    # recompute: lib/ may change during a session
    monkeypatch.setattr(lib.cache, "_CODE_VERSION", None)
    toy.register()
    path = tmp_path / "log"
    monkeypatch.setenv("TOY_LOG", str(path))
    monkeypatch.setenv("TOY_SLEEP", "0")
    return path


def launch(
    cache: Path,
    log: Path,
    *,
    jobs: int = 1,
    sleep: float = 0.4,
    barrier: Path | None = None,
    points: int = toy.POINTS,
):
    env = {
        **os.environ,
        "TOY_SLEEP": str(sleep),
        "TOY_BARRIER": str(barrier or ""),
        "TOY_POINTS": str(points),
    }
    proc = subprocess.Popen(
        [sys.executable, str(HELPER), str(cache), str(log), str(jobs)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as a shell delivers it: a parent that ignores SIGINT (a pytest-xdist worker) would
        # pass the ignoring on, and Python would then install no KeyboardInterrupt handler
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    proc.version = json.loads(proc.stdout.readline() or "{}").get("code_version")
    return proc


def entries(cache: Path) -> list[Path]:
    """The stored entries (not the temporary files of an interrupted write, not lock files)."""
    return sorted(p for p in cache.rglob("*.json") if not p.name.startswith(".tmp-"))


def started(log: Path, after: float = -math.inf) -> list[int]:
    """The points computed so far (started later than time `after`), in order of their start."""
    lines = [line.split() for line in log.read_text().splitlines()] if log.exists() else []
    return [int(i) for _, i, t in lines if float(t) > after]


def wait_until(condition, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


def same_code_or_skip(*procs) -> None:
    if any(p.version != code_version() for p in procs):
        pytest.skip("lib/ changed while the test ran (its cache keys changed)")


def rerun(cache: Path) -> pd.DataFrame:
    return sweep.run(toy.NAME, "quick", cache=ResultsCache(cache), device="cpu")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_killed_sweep_keeps_every_finished_point(tmp_path, log, sig):
    cache = tmp_path / "cache"
    proc = launch(cache, log)
    try:
        wait_until(lambda: len(entries(cache)) >= 2)
        proc.send_signal(sig)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    kept = len(entries(cache))
    assert proc.returncode != 0 and 2 <= kept < toy.POINTS
    first = started(log)
    assert first[:kept] == list(range(kept))  # a serial sweep stores its points in order
    same_code_or_skip(proc)
    df = rerun(cache)
    assert df.attrs["cached_points"] == kept
    assert started(log)[len(first) :] == list(range(kept, toy.POINTS))  # only the missing points
    assert df["value"].tolist() == EXPECTED


def test_interrupted_parallel_sweep_stops_promptly_and_keeps_finished_points(tmp_path, log):
    cache = tmp_path / "cache"
    proc = launch(cache, log, jobs=2, sleep=0.4, points=12)
    try:
        wait_until(lambda: len(entries(cache)) >= 1)
        signalled = time.time()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0
    # the pending points are cancelled: at most one already queued to a worker starts after the signal
    assert len(started(log, after=signalled + 0.1)) <= 1
    kept = len(entries(cache))
    same_code_or_skip(proc)
    df = rerun(cache)  # the first toy.POINTS points of the same grid
    assert df.attrs["cached_points"] == min(kept, toy.POINTS) and df["value"].tolist() == EXPECTED


@pytest.fixture(scope="module")
def concurrent_runs(tmp_path_factory):
    """Two processes run the same sweep with one cache, released together by a barrier file."""
    tmp = tmp_path_factory.mktemp("concurrent")
    cache, log, barrier = tmp / "cache", tmp / "log", tmp / "go"
    procs = [launch(cache, log, sleep=0.3, barrier=barrier) for _ in range(2)]
    barrier.touch()
    outputs = [p.communicate(timeout=120) for p in procs]
    return cache, log, procs, outputs


def test_concurrent_sweeps_never_corrupt_an_entry(concurrent_runs, log):
    cache, shared_log, procs, outputs = concurrent_runs
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
        assert json.loads(out.splitlines()[-1])["value"] == EXPECTED
    assert len(entries(cache)) == toy.POINTS and not list(cache.rglob(".tmp-*"))
    same_code_or_skip(*procs)
    df = rerun(cache)
    assert df.attrs["cached_points"] == toy.POINTS and df["value"].tolist() == EXPECTED
    assert started(log) == []  # the in-process rerun computed nothing


def test_concurrent_sweeps_compute_each_point_once(concurrent_runs):
    _, shared_log, _, _ = concurrent_runs
    assert sorted(started(shared_log)) == list(range(toy.POINTS))


def test_concurrent_writers_of_one_entry_never_expose_a_partial_file(tmp_path):
    """Writers replace one entry over and over while readers read it: a reader sees a whole table,
    never a partial file (threads share the file system exactly as processes do)."""
    cache = ResultsCache(tmp_path)
    tables = [pd.DataFrame({"v": [j / 7] * (1 + 2000 * j)}) for j in range(2)]
    cache.put({"k": 1}, tables[0])
    bad, stop = [], threading.Event()

    def write(me: int) -> None:
        for t in range(40):
            cache.put({"k": 1}, tables[(t + me) % 2])

    def read() -> None:
        while not stop.is_set():
            got = cache.get({"k": 1})
            if got is None or not any(got[0].equals(x) for x in tables):
                bad.append(got)

    writers = [threading.Thread(target=write, args=(me,)) for me in range(2)]
    reader = threading.Thread(target=read)
    for t in [reader, *writers]:
        t.start()
    for t in writers:
        t.join(timeout=60)
    stop.set()
    reader.join(timeout=60)
    assert bad == [] and not list(tmp_path.rglob(".tmp-*"))


HOLDER = """
import sys, time
from lib.cache import ResultsCache
cache = ResultsCache(sys.argv[1])
with cache.lock({"k": 1}):
    print(cache.path({"k": 1}), flush=True)
    time.sleep(120)
"""


def test_lock_waits_for_the_holder_and_is_released_when_it_is_killed(tmp_path, monkeypatch):
    monkeypatch.setattr(lib.cache, "_CODE_VERSION", None)
    cache = ResultsCache(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        held = Path(holder.stdout.readline().strip())
        if held != cache.path({"k": 1}):
            pytest.skip("lib/ changed while the test ran (its cache keys changed)")
        threading.Timer(0.5, holder.kill).start()  # SIGKILL: the holder never unlocks by itself
        start = time.monotonic()
        with cache.lock({"k": 1}):
            waited = time.monotonic() - start
        assert 0.4 < waited < 30
    finally:
        holder.kill()
        holder.wait()


def test_lock_serialises_threads_of_one_process(tmp_path):
    cache, order = ResultsCache(tmp_path), []

    def worker(tag: str) -> None:
        with cache.lock({"k": 1}):
            order.append(f"{tag}+")
            time.sleep(0.05)
            order.append(f"{tag}-")

    threads = [threading.Thread(target=worker, args=(t,)) for t in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert order in (["a+", "a-", "b+", "b-"], ["b+", "b-", "a+", "a-"])


class _Exploit:
    """Unpickling this would create the file `marker`: proof that a cache file is never unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_damaged_or_foreign_entries_are_recomputed(tmp_path, log):
    cache = tmp_path / "cache"
    rerun(cache)
    files = entries(cache)
    assert len(files) == toy.POINTS and started(log) == list(range(toy.POINTS))
    damaged = sorted(json.loads(f.read_text())["body"]["config"]["point"]["i"] for f in files[:4])
    marker = tmp_path / "unpickled"
    text = files[0].read_text()
    files[0].write_text(text[: len(text) // 2])  # truncated
    files[1].write_text("")  # empty
    files[2].write_bytes(pickle.dumps(_Exploit(marker)))  # a pickle, never to be loaded
    files[3].write_text(files[4].read_text())  # a valid entry of another configuration
    df = rerun(cache)
    assert df.attrs["cached_points"] == toy.POINTS - 4
    # exactly the damaged points are recomputed
    assert sorted(started(log)[toy.POINTS :]) == damaged
    assert df["value"].tolist() == EXPECTED and not marker.exists()
    assert rerun(cache).attrs["cached_points"] == toy.POINTS


UNSAFE = [
    (
        r"^\s*(import|from)\s+(pickle|cPickle|dill|cloudpickle|joblib|shelve|marshal)\b",
        "a pickle-like module",
    ),
    (r"\bread_pickle\s*\(", "pandas.read_pickle"),
    (r"allow_pickle\s*=\s*True", "numpy allow_pickle=True"),
    (r"\byaml\.load\s*\(", "yaml.load (use yaml.safe_load)"),
]


def test_no_unsafe_deserialisation_in_lib_or_book():
    """Grep proof for item 5: no pickle loading anywhere, and every torch.load has weights_only=True."""
    sources = sorted((ROOT / "lib").rglob("*.py")) + sorted((ROOT / "book").glob("*.py"))
    assert len(sources) > 5
    for path in sources:
        text = path.read_text()
        for pattern, what in UNSAFE:
            assert not re.search(pattern, text, re.M), f"{path.relative_to(ROOT)} uses {what}"
        for call in re.finditer(r"torch\.load\s*\(", text):
            args = text[call.end() : text.find(")", call.end()) + 1]
            assert re.search(r"weights_only\s*=\s*True", args), (
                f"{path.relative_to(ROOT)}: torch.load without weights_only=True"
            )
