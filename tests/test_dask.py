"""Sweeps on a dask.distributed cluster, for real but on the loopback interface only: a LocalCluster of
two worker processes computes the toy sweep of tests/_toy_sweep.py (each task stores its point in the
shared results cache), the cache then equals that of a local run bit for bit, and a worker killed in
the middle of a sweep loses no stored point."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import pandas as pd
import pytest
from distributed import Client, LocalCluster

import _toy_sweep as toy
from lib import sweep
from lib.cache import ResultsCache

EXPECTED = [toy.value(i) for i in range(toy.POINTS)]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A two-process cluster on 127.0.0.1; its workers log every point they compute to the file it
    yields (the environment is set before they start, so they inherit it)."""
    log = tmp_path_factory.mktemp("dask") / "log"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TOY_LOG", str(log))
        mp.setenv("TOY_SLEEP", "0.4")
        with LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as c:
            yield c, log


@pytest.fixture
def registered(monkeypatch):
    monkeypatch.setattr(sweep, "REGISTRY", dict(sweep.REGISTRY))
    toy.register()


def computed(log, after: float = 0.0) -> list[tuple[int, int]]:
    """(pid, point) of every point computed since time `after`."""
    lines = [line.split() for line in log.read_text().splitlines()] if log.exists() else []
    return [(int(pid), int(i)) for pid, i, t in lines if float(t) > after]


def stored_points(cache: ResultsCache) -> set[int]:
    return {
        json.loads(p.read_text())["body"]["config"]["point"]["i"]
        for p in cache.root.rglob("*.json")
        if not p.name.startswith(".tmp-")
    }


def test_cluster_sweep_equals_a_local_one_bit_for_bit(
    cluster, registered, tmp_path, capsys, monkeypatch
):
    c, log = cluster
    start = time.time()
    remote_cache, local_cache = ResultsCache(tmp_path / "remote"), ResultsCache(tmp_path / "local")
    remote = sweep.run(
        toy.NAME,
        "quick",
        device="cpu",
        cache=remote_cache,
        scheduler=c.scheduler_address,
        progress=True,
    )
    assert f"{toy.POINTS}/{toy.POINTS}" in capsys.readouterr().err  # the same progress bar
    workers = {pid for pid, _ in computed(log, start)}
    assert os.getpid() not in workers and sorted(i for _, i in computed(log, start)) == list(
        range(toy.POINTS)
    )
    monkeypatch.setenv("TOY_SLEEP", "0")
    monkeypatch.setenv("TOY_LOG", str(tmp_path / "local-log"))
    local = sweep.run(toy.NAME, "quick", device="cpu", cache=local_cache)
    pd.testing.assert_frame_equal(remote, local, check_exact=True)
    assert remote["value"].tolist() == EXPECTED and remote.attrs["cached_points"] == 0
    exp = sweep.get(toy.NAME)
    for point in exp.points("quick"):
        config = sweep.point_config(exp, "quick", point, "cpu")
        assert remote_cache.path(config).name == local_cache.path(config).name
        pd.testing.assert_frame_equal(
            remote_cache.get(config)[0], local_cache.get(config)[0], check_exact=True
        )
    # the environment variable is the same as scheduler=; everything is cached now: no task at all
    monkeypatch.setenv(sweep.SCHEDULER_ENV, c.scheduler_address)
    again = sweep.run(toy.NAME, "quick", device="cpu", cache=remote_cache)
    assert again.attrs["cached_points"] == toy.POINTS


def test_killed_worker_loses_no_stored_point(cluster, registered, tmp_path):
    c, log = cluster
    cache = ResultsCache(tmp_path)
    with Client(c.scheduler_address) as client:
        pids = list(client.run(os.getpid).values())
    killed: dict[str, object] = {}

    def kill_one_worker() -> None:
        end = time.monotonic() + 60
        while len(stored_points(cache)) < 2 and time.monotonic() < end:
            time.sleep(0.02)
        killed["kept"], killed["at"] = stored_points(cache), time.time()
        os.kill(pids[0], signal.SIGKILL)

    start = time.time()
    killer = threading.Thread(target=kill_one_worker)
    killer.start()
    try:  # the cluster reruns the killed worker's task elsewhere; should it give up, the rerun below completes
        sweep.run(toy.NAME, "quick", device="cpu", cache=cache, scheduler=c.scheduler_address)
    except Exception as exc:  # noqa: BLE001 (KilledWorker, or a lost connection)
        print(f"the sweep stopped: {exc!r}")
    killer.join(timeout=60)
    kept = killed["kept"]
    assert 2 <= len(kept) < toy.POINTS and kept <= stored_points(cache)
    done = sweep.run(toy.NAME, "quick", device="cpu", cache=cache, scheduler=c.scheduler_address)
    assert done["value"].tolist() == EXPECTED and stored_points(cache) == set(range(toy.POINTS))
    # no stored point was computed again
    assert not kept & {i for _, i in computed(log, killed["at"])}
    assert {i for _, i in computed(log, start)} == set(range(toy.POINTS))
