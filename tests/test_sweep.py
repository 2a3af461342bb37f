import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch
from _toy_settings import toy as toy_experiment

from lib import sweep
from lib.cache import ResultsCache
from lib.settings import Settings, real

ROOT = Path(__file__).resolve().parent.parent


def _grid(profile):
    return [{"i": i} for i in range(4 if profile == "quick" else 6)]


def _compute(*, i, device):
    time.sleep(0.2)  # long enough for both workers to take points
    x = torch.arange(3.0) * i
    return pd.DataFrame(
        {"value": [float(x.sum())], "pid": [os.getpid()], "threads": [torch.get_num_threads()]}
    )


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.setitem(
        sweep.REGISTRY, "toy", toy_experiment("toy", "a toy sweep", _grid, _compute)
    )
    return "toy"


def test_parallel_points_match_serial_and_keep_grid_order(toy, tmp_path):
    serial = sweep.run(toy, "quick", cache=ResultsCache(tmp_path / "a"), device="cpu")
    parallel = sweep.run(toy, "quick", jobs=2, cache=ResultsCache(tmp_path / "b"), device="cpu")
    assert parallel["i"].tolist() == [0, 1, 2, 3]
    pd.testing.assert_series_equal(parallel["value"], serial["value"])
    assert set(serial["pid"]) == {os.getpid()}
    assert os.getpid() not in set(parallel["pid"])  # computed in worker processes
    assert (parallel["threads"] == max(1, (os.cpu_count() or 1) // 2)).all()
    assert parallel.attrs["cached_points"] == 0 and parallel.attrs["points"] == 4


def test_parallel_sweep_resumes_from_the_cache(toy, tmp_path):
    cache = ResultsCache(tmp_path)
    sweep.run(toy, "quick", cache=cache, device="cpu")  # the 4 quick points
    assert sweep.cached_points(toy, "full", cache) == (0, 6)  # the profile is part of the key
    full = sweep.run(toy, "full", jobs=2, cache=cache, device="cpu")
    assert full.attrs["cached_points"] == 0 and sweep.cached_points(toy, "full", cache) == (6, 6)
    again = sweep.run(toy, "full", jobs=2, cache=cache, device="cpu")
    assert again.attrs["cached_points"] == 6 and again.attrs["seconds_computed"] == 0.0
    pd.testing.assert_frame_equal(again.drop(columns="pid"), full.drop(columns="pid"))


def test_worker_failure_propagates_and_keeps_finished_points(monkeypatch, tmp_path):
    def compute(*, i, device):
        if i == 3:
            time.sleep(1.0)  # points 0-2 finish first
            raise RuntimeError("boom")
        return pd.DataFrame({"value": [i]})

    monkeypatch.setitem(
        sweep.REGISTRY, "bad", toy_experiment("bad", "fails at i=3", _grid, compute)
    )
    cache = ResultsCache(tmp_path)
    with pytest.raises(RuntimeError, match="boom"):
        sweep.run("bad", "quick", jobs=2, cache=cache, device="cpu")
    assert sweep.cached_points("bad", "quick", cache) == (3, 4)  # every finished point is stored


@pytest.mark.parametrize(
    "kwargs, name",
    [(dict(jobs=0), "jobs"), (dict(jobs=65), "jobs"), (dict(device="tpu"), "device")],
)
def test_invalid_sweep_options(toy, tmp_path, kwargs, name):
    with pytest.raises(ValueError, match=name):
        sweep.run(toy, "quick", cache=ResultsCache(tmp_path), **kwargs)


def test_spawned_workers_compute_the_same_points(toy, tmp_path, monkeypatch):
    """The start method CUDA needs (spawn: a fresh interpreter that imports the point function's
    module), tested on the CPU."""
    monkeypatch.setitem(sweep.START_METHODS, "cpu", "spawn")
    serial = sweep.run(toy, "quick", cache=ResultsCache(tmp_path / "a"), device="cpu")
    spawned = sweep.run(toy, "quick", jobs=2, cache=ResultsCache(tmp_path / "b"), device="cpu")
    pd.testing.assert_series_equal(spawned["value"], serial["value"])
    assert os.getpid() not in set(spawned["pid"]) and spawned.attrs["cached_points"] == 0


@dataclasses.dataclass(frozen=True)
class Scaled(Settings):
    scale: float = real(1.0, "the factor of every point", -1e6, 1e6)


def _scaled_grid(s):
    return [{"i": i, "scale": s.scale} for i in range(3)]


def _scaled(*, i, scale, device):
    return pd.DataFrame({"value": [i * scale]})


def test_overrides_replace_a_settings_field(monkeypatch, tmp_path):
    monkeypatch.setitem(
        sweep.REGISTRY,
        "scaled",
        sweep.Experiment("scaled", "i * scale", _scaled_grid, _scaled, lambda _: Scaled()),
    )
    cache = ResultsCache(tmp_path)
    plain = sweep.run("scaled", "quick", cache=cache, device="cpu")
    tripled = sweep.run("scaled", "quick", cache=cache, device="cpu", scale=3.0)
    assert plain["value"].tolist() == [0.0, 1.0, 2.0] and tripled["value"].tolist() == [
        0.0,
        3.0,
        6.0,
    ]
    # cached under their new values
    assert tripled.attrs["cached_points"] == 0 and (tripled["scale"] == 3.0).all()
    assert sweep.cached_points("scaled", "quick", cache, "cpu", scale=3.0) == (3, 3)
    with pytest.raises(
        ValueError, match="'seeds' is no setting of Scaled; the settings are: scale"
    ):
        sweep.run("scaled", "quick", cache=cache, device="cpu", seeds=3)
    with pytest.raises(ValueError, match="scale must be"):
        sweep.run("scaled", "quick", cache=cache, device="cpu", scale=float("nan"))


def test_devices_have_their_own_cache_entries(toy, monkeypatch):
    exp = sweep.get(toy)
    cache = ResultsCache("/nonexistent")
    paths = {
        cache.path(sweep.point_config(exp, "quick", {"i": 0}, dev))
        for dev in ("cpu", "cuda", "cuda:0", "cuda:1")
    }
    assert len(paths) == 4
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    for bad, message in (
        ("cuda:1", "no GPU"),
        ("gpu", "'cpu', 'cuda' or 'cuda:N'"),
        ("cuda:-1", "'cuda:N'"),
        (0, "'cuda:N'"),
    ):
        with pytest.raises(ValueError, match=message):
            sweep.check_device(bad)
    monkeypatch.setattr("torch.cuda.is_available", lambda: True)
    monkeypatch.setattr("torch.cuda.device_count", lambda: 1)
    assert sweep.check_device("cuda:0") == "cuda:0"
    with pytest.raises(ValueError, match=r"torch sees 1 GPU\(s\), cuda:0 to cuda:0"):
        sweep.check_device("cuda:1")


def test_sweep_finds_experiments_without_importing_the_catalogue_package():
    """lib.sweep never imports lib.experiments (no import cycle): `catalogue` reads the names and
    modules of every experiment statically, and agrees with what registering them all gives."""
    code = (
        "import sys, lib.sweep as s\n"
        "assert not any(m.startswith('lib.experiments') for m in sys.modules)\n"
        "table = s.catalogue()\n"
        "import lib.experiments\n"
        "print(sorted(table.items()) == sorted((n, e.module) for n, e in s.REGISTRY.items()), len(table))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    same, count = out.stdout.split()
    assert same == "True" and int(count) > 20
    source = (ROOT / "lib" / "sweep.py").read_text()
    assert "import lib.experiments" not in source and "from lib.experiments" not in source


def test_a_cluster_device_is_checked_on_the_workers(monkeypatch):
    """With a Dask scheduler the machine that submits needs no GPU: its workers check the device."""
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    monkeypatch.delenv(sweep.SCHEDULER_ENV, raising=False)
    assert sweep.check_options(1, "cuda:1", "tcp://127.0.0.1:1") == (
        1,
        "cuda:1",
        "tcp://127.0.0.1:1",
    )
    with pytest.raises(ValueError, match="no GPU"):
        sweep.check_options(1, "cuda:1", None)
    monkeypatch.setenv(sweep.SCHEDULER_ENV, "tcp://head:8786")
    assert sweep.check_options(1, "cuda", None) == (1, "cuda", "tcp://head:8786")
    for jobs, scheduler, message in (
        (2, None, "jobs must be 1"),
        (1, " ", "scheduler must be the address"),
    ):
        with pytest.raises(ValueError, match=message):
            sweep.check_options(jobs, "cpu", scheduler)


def test_precompute_fills_every_experiment_and_runs_then_only_read(
    toy, monkeypatch, tmp_path, capsys
):
    """`python -m lib run all` (what `make book` and `make test` start with): the missing points of
    every experiment, in processes shared by all of them; the sweeps then read every point."""
    from lib.__main__ import main

    monkeypatch.setenv("MAXPOOL_CACHE_DIR", str(tmp_path))
    monkeypatch.setitem(
        sweep.REGISTRY, "toy2", toy_experiment("toy2", "another toy", _grid, _compute)
    )
    assert sweep.precompute("quick", jobs=2, device="cpu", names=[toy, "toy2"]) > 0
    for name in (toy, "toy2"):
        df = sweep.run(name, "quick", device="cpu")
        assert df.attrs["cached_points"] == 4 and os.getpid() not in set(df["pid"])
    assert sweep.precompute("quick", jobs=2, device="cpu", names=[toy, "toy2"]) == 0.0
    with pytest.raises(SystemExit) as exc:
        main(["run", "all", "--set", "i=1"])
    assert exc.value.code == 2 and "run all takes no --set" in capsys.readouterr().err
