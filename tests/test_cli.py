import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from _toy_settings import counter

from lib import sweep
from lib.__main__ import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def toy(monkeypatch, tmp_path):
    def compute(*, i, device):
        return pd.DataFrame({"value": [i * 10], "device": [device]})

    monkeypatch.setitem(sweep.REGISTRY, "toy", counter("toy", "a toy sweep", compute))
    monkeypatch.setenv("MAXPOOL_CACHE_DIR", str(tmp_path))
    return "toy"


def test_run_then_show_then_list(toy, capsys):
    assert main(["show", toy, "--profile", "quick"]) == 1
    assert "2 of 2 points not computed yet" in capsys.readouterr().err
    assert main(["run", toy, "--profile", "quick", "--device", "cpu"]) == 0
    out, err = capsys.readouterr()
    assert "2 points, 0 from the cache" in out and "2/2" in err  # the tqdm bar
    assert main(["run", toy, "--profile", "quick"]) == 0
    assert "2 points, 2 from the cache" in capsys.readouterr().out
    assert main(["show", toy, "--profile", "quick"]) == 0
    shown = capsys.readouterr().out
    assert "value" in shown and "10" in shown
    assert main(["list"]) == 0
    listing = capsys.readouterr().out
    assert "toy" in listing and "quick: 2/2 cached; full: 0/3 cached" in listing


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "nope"], "unknown experiment 'nope'; known: "),
        (["show", "nope"], "unknown experiment 'nope'"),
        (["run", "toy", "--profile", "huge"], "invalid choice: 'huge'"),
        (["run", "toy", "--jobs", "0"], "--jobs: must be an integer in [1, 64]"),
        (["run", "toy", "--jobs", "two"], "--jobs: must be a positive integer"),
        (["run", "toy", "--device", "tpu"], "device must be 'cpu', 'cuda' or 'cuda:N', got 'tpu'"),
        (
            ["run", "toy", "--device", "cuda:x"],
            "device must be 'cpu', 'cuda' or 'cuda:N', got 'cuda:x'",
        ),
        (
            ["run", "toy", "--set", "nope=1"],
            "'nope' is no setting of Counter; the settings are: count, first",
        ),
        (["run", "toy", "--set", "count=0"], "count must be"),
        (["run", "toy", "--set", "i"], "--set: must be KEY=VALUE, got 'i'"),
        (
            ["run", "toy", "--jobs", "2", "--scheduler", "tcp://127.0.0.1:1"],
            "jobs must be 1 with a Dask scheduler",
        ),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        ([], "required"),
    ],
)
def test_bad_usage_exits_2_with_a_message(toy, capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("device", ["cuda", "cuda:0", "cuda:1"])
def test_cuda_without_gpu_is_refused(toy, capsys, monkeypatch, device):
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    with pytest.raises(SystemExit) as exc:
        main(["run", toy, "--device", device])
    assert exc.value.code == 2 and "no GPU" in capsys.readouterr().err


def test_set_replaces_a_settings_field(toy, capsys):
    assert main(["run", toy, "--profile", "quick", "--device", "cpu", "--set", "first=7"]) == 0
    assert "2 points, 0 from the cache" in capsys.readouterr().out
    assert main(["show", toy, "--profile", "quick", "--set", "first=7", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == ["70,cpu,7", "80,cpu,8"]
    # the plain grid: not computed
    assert main(["show", toy, "--profile", "quick", "--format", "csv"]) == 1


def test_module_entry_point(tmp_path):
    """`python -m lib` as a reader runs it: unknown names list the known experiments, exit code 2."""
    env = {"MAXPOOL_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    bad = subprocess.run(
        [sys.executable, "-m", "lib", "run", "nope"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "known: " in bad.stderr and "first_run" in bad.stderr
    ok = subprocess.run(
        [sys.executable, "-m", "lib", "list"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert ok.returncode == 0 and "first_run" in ok.stdout and "quick: 0/" in ok.stdout
