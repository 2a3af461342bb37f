"""Faults lose nothing and hang nothing (issue 26): a killed parallel run, huge sizes, a corrupted data
file, hostile cache entries, bad options and values, data that overflow the model's dtype, a diverged
training run, and the small ones. Each test reproduces one fault of the issue and fails without its fix.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import _toy_sweep as toy
import lib.cache
from lib import sweep
from lib.__main__ import main
from lib.cache import CacheError, ResultsCache, code_version

ROOT = Path(__file__).resolve().parent.parent
HELPER = Path(__file__).with_name("_toy_sweep.py")
EXPECTED = [toy.value(i) for i in range(toy.POINTS)]


def alive(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def children(pid: int) -> list[int]:
    """The pids of the direct children of process `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def wait_until(condition, timeout: float = 60.0) -> bool:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


def launch_toy(cache: Path, log: Path, jobs: int, sleep: float) -> subprocess.Popen:
    env = {**os.environ, "TOY_SLEEP": str(sleep), "TOY_BARRIER": "", "TOY_POINTS": str(toy.POINTS),
           "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, str(HELPER), str(cache), str(log), str(jobs)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc to find the workers")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killed_parallel_run_leaves_no_worker_and_the_rerun_completes(tmp_path, sig):
    """Item 1: kill a `--jobs 2` run while its workers compute; no worker survives it, and a rerun
    (which would wait forever on a lock a surviving worker holds) finishes with a clean run's results."""
    cache, log = tmp_path / "cache", tmp_path / "log"
    proc = launch_toy(cache, log, jobs=2, sleep=30.0)  # each point sleeps long: the workers are busy
    try:
        assert wait_until(lambda: log.exists() and len(log.read_text().splitlines()) >= 2), proc.stderr.read()
        workers = children(proc.pid)
        assert len(workers) >= 2
        proc.send_signal(sig)
        proc.wait(timeout=30)
        assert wait_until(lambda: not any(alive(w) for w in workers), timeout=5), "a worker outlived its run"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    rerun = launch_toy(cache, tmp_path / "log2", jobs=2, sleep=0.0)
    try:
        out, err = rerun.communicate(timeout=60)
    finally:
        if rerun.poll() is None:
            rerun.kill()
            rerun.wait()
    assert rerun.returncode == 0, err
    assert json.loads(out.splitlines()[-1])["value"] == EXPECTED
    assert not list(cache.rglob("*.lock"))
