import os
import time

import pandas as pd
import pytest
import torch

from lib import sweep
from lib.cache import ResultsCache


def _grid(profile):
    return [{"i": i} for i in range(4 if profile == "quick" else 6)]


def _compute(*, i, device):
    time.sleep(0.2)  # long enough for both workers to take points
    x = torch.arange(3.0) * i
    return pd.DataFrame({"value": [float(x.sum())], "pid": [os.getpid()], "threads": [torch.get_num_threads()]})


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.setitem(sweep.REGISTRY, "toy", sweep.Experiment("toy", "a toy sweep", _grid, _compute))
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

    monkeypatch.setitem(sweep.REGISTRY, "bad", sweep.Experiment("bad", "fails at i=3", _grid, compute))
    cache = ResultsCache(tmp_path)
    with pytest.raises(RuntimeError, match="boom"):
        sweep.run("bad", "quick", jobs=2, cache=cache, device="cpu")
    assert sweep.cached_points("bad", "quick", cache) == (3, 4)  # every finished point is stored


@pytest.mark.parametrize("kwargs, name", [(dict(jobs=0), "jobs"), (dict(jobs=65), "jobs"), (dict(device="tpu"), "device")])
def test_invalid_sweep_options(toy, tmp_path, kwargs, name):
    with pytest.raises(ValueError, match=name):
        sweep.run(toy, "quick", cache=ResultsCache(tmp_path), **kwargs)
