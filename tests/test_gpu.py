"""The GPU path: every experiment's quick points on CUDA against the same points on the CPU, the
trainers and ConvPool's forward/backward on both of its paths, and the bench's --quick on CUDA.

Marked `gpu`: the default `pytest` run deselects them (pyproject.toml's addopts), and on a machine
where torch sees no GPU they are skipped. On a GPU machine: `pytest -m gpu` (book/use/running.md, "On a GPU").

What must agree. A GPU sums in another order than the CPU, so a trained network differs in the last
bits and a run near a decision (a fit at step t or t + 1, a test point near the boundary) may go
either way. Hence, per experiment:
- EXACT_EXPERIMENTS (constructions and convex programs that do not train): every value equal;
- columns fixed by the initialisation alone (INIT_COLUMNS: drawn on the CPU from the seeds, counted
  on the device in exact arithmetic): equal;
- text columns (labels such as the model or the setting) and the grid's parameters: equal;
- test and training errors (ERROR_COLUMNS): per grid point, the mean over seeds within ERROR_TOL;
- the scorecard: every claim's verdict on CUDA is the pinned one (tests/pinned_verdicts.json).
Other outcomes of training (losses, steps to fit, whether a run fitted) are not compared one by one:
the verdicts built from them are.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from lib import sweep
from lib.cache import ResultsCache

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(
        not torch.cuda.is_available(), reason="needs a CUDA GPU: torch.cuda.is_available() is False"
    ),
]

ROOT = Path(__file__).resolve().parent.parent
EXACT_EXPERIMENTS = {"vc_shattering", "separator_norms"}
INIT_COLUMNS = {"lucky_plus", "lucky_minus", "detectors_plus", "detectors_minus"}
ERROR_COLUMNS = {
    "test_error",
    "train_error",
    "test_accuracy",
    "train_error_S2",
    "error",
    "accuracy",
}
ERROR_TOL = 0.03  # mean error over a point's seeds: CUDA within 3 points of a percent of the CPU
TIMING = ("seconds",)  # wall times, never compared


@pytest.fixture(scope="module")
def caches(tmp_path_factory):
    """One results cache per device for the whole module (each point computed once per device). The
    CPU's points are computed meanwhile by `python -m lib run all` in worker processes on the host's
    cores while the tests compute CUDA's in this one; a CPU point not stored yet when a test reads it
    is computed by the test, or waited for under its cache entry's lock."""
    root = tmp_path_factory.mktemp("gpu-cache")
    out = {"cpu": ResultsCache(root / "cpu"), "cuda": ResultsCache(root / "cuda")}
    jobs = max(1, min(64, (os.cpu_count() or 2) - 2))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MAXPOOL_CACHE_DIR": str(out["cpu"].root)}
    cpu_run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lib",
            "run",
            "all",
            "--profile",
            "quick",
            "--device",
            "cpu",
            "--jobs",
            str(jobs),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    # a SIGTERM (a `timeout` around pytest) ends the tests as Ctrl-C does, so that this teardown still runs
    before = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield out
    finally:
        signal.signal(signal.SIGTERM, before)
        if cpu_run.poll() is None:
            os.killpg(cpu_run.pid, signal.SIGTERM)  # the run and its worker processes
        cpu_run.wait()


def _point_columns(name: str) -> list[str]:
    return sorted(set().union(*sweep.get(name).points("quick")))


def _compare(name: str, cpu: pd.DataFrame, gpu: pd.DataFrame) -> list[str]:
    """The disagreements between the CPU's and CUDA's table of experiment `name` (see the module doc)."""
    if list(cpu.columns) != list(gpu.columns) or len(cpu) != len(gpu):
        return [
            f"columns/rows differ: {list(cpu.columns)} x {len(cpu)} vs {list(gpu.columns)} x {len(gpu)}"
        ]
    keys = [c for c in _point_columns(name) if c in cpu.columns]
    problems = []
    for col in cpu.columns:
        if any(t in col for t in TIMING):
            continue
        a, b = cpu[col], gpu[col]
        numeric = pd.api.types.is_numeric_dtype(a)  # bool too: an outcome such as "fitted"
        exact = name in EXACT_EXPERIMENTS or col in INIT_COLUMNS or col in keys or not numeric
        if exact:
            same = (a == b) | (a.isna() & b.isna()) if numeric else a.astype(str) == b.astype(str)
            if not bool(same.all()):
                problems.append(
                    f"{col}: {int((~same).sum())} of {len(a)} rows differ (first: {a[~same].iloc[0]!r} "
                    f"vs {b[~same].iloc[0]!r})"
                )
        elif col in ERROR_COLUMNS:
            group = keys + [c for c in ("model", "setting") if c in cpu.columns and c not in keys]
            by = [cpu[c] for c in group]  # row i of both tables is the same point and seed
            means = [
                df[col].groupby(by, sort=False, dropna=False).mean() if by else df[col].mean()
                for df in (cpu, gpu)
            ]
            gap = float(np.nanmax(np.abs(np.asarray(means[0]) - np.asarray(means[1]))))
            if gap > ERROR_TOL:
                problems.append(f"{col}: a point's mean differs by {gap:.4f} > {ERROR_TOL}")
    return problems


@pytest.mark.parametrize("name", sorted(sweep.catalogue()))
def test_experiment_on_cuda_agrees_with_the_cpu(name, caches):
    gpu = sweep.run(name, "quick", device="cuda", cache=caches["cuda"])
    cpu = sweep.run(name, "quick", device="cpu", cache=caches["cpu"])
    assert gpu.attrs["device"] == "cuda"
    problems = _compare(name, cpu, gpu)
    assert not problems, f"{name}: CUDA vs CPU\n" + "\n".join(problems)


def test_scorecard_verdicts_on_cuda_are_the_pinned_ones(caches, monkeypatch):
    """The quick profile's claims computed on CUDA (the default device where a GPU is present)."""
    from lib import claims

    monkeypatch.setenv("MAXPOOL_CACHE_DIR", str(caches["cuda"].root))  # the points computed above
    card = claims.published("quick")
    pinned = json.loads((ROOT / "tests" / "pinned_verdicts.json").read_text())
    changed = [
        f"{r.id}: {pinned[r.id]['verdict']!r} -> {r.verdict!r} ({r.ours})"
        for r in card.itertuples()
        if r.id in pinned and r.verdict != pinned[r.id]["verdict"]
    ]
    assert not changed, "verdicts on CUDA differ from the pinned ones:\n" + "\n".join(changed)


def _cnn_pair(pattern_search: bool, second_layer: str = "trained"):
    from lib.models import ConvPool

    return [
        ConvPool(
            10,
            16,
            replicas=3,
            seed=0,
            dtype=torch.float64,
            device=dev,
            pattern_search=pattern_search,
            second_layer=second_layer,
        )
        for dev in ("cpu", "cuda")
    ]


def _data():
    """64 points of n = 6 orthogonal patches in d = 10 (the general path takes them too when told to)."""
    from lib.distributions import OrthogonalPatterns

    return OrthogonalPatterns(6, 10, dtype=torch.float64).sample(64, seed=3)


@pytest.mark.parametrize("pattern_search", [True, False], ids=["pattern-table", "general"])
def test_convpool_forward_backward_on_cuda(pattern_search):
    """Outputs, winners and gradients on CUDA equal the CPU's up to float64 rounding, on both paths."""
    X, y = _data()
    cpu, gpu = _cnn_pair(pattern_search)
    outs = []
    for net in (cpu, gpu):
        inputs = net.prepare(X)
        out, ctx = net.forward_train(inputs)
        grads = net.backward(ctx, (-y.to(out) / len(y)).expand_as(out).contiguous())
        outs.append((out.cpu(), [g.cpu() for g in grads], ctx[2].cpu()))
    torch.testing.assert_close(outs[1][0], outs[0][0], rtol=1e-10, atol=1e-12)
    for g_gpu, g_cpu in zip(outs[1][1], outs[0][1]):
        torch.testing.assert_close(g_gpu, g_cpu, rtol=1e-10, atol=1e-12)
    assert torch.equal(outs[1][2], outs[0][2])  # the same max-pool winners


@pytest.mark.parametrize("optimizer, batch_size", [("gd", None), ("adam", 16)])
@pytest.mark.parametrize("pattern_search", [True, False], ids=["pattern-table", "general"])
def test_train_on_cuda_matches_the_cpu(pattern_search, optimizer, batch_size):
    from lib.training import train

    X, y = _data()
    results = []
    for net in _cnn_pair(pattern_search):
        res = train(
            net, X, y, lr=0.05, steps=50, optimizer=optimizer, batch_size=batch_size, seed=1
        )
        results.append((res, net.W.detach().cpu()))
    (r_cpu, W_cpu), (r_gpu, W_gpu) = results
    torch.testing.assert_close(r_gpu.loss, r_cpu.loss, rtol=1e-8, atol=1e-10)
    torch.testing.assert_close(W_gpu, W_cpu, rtol=1e-8, atol=1e-10)


def test_train_layerwise_on_cuda_matches_the_cpu():
    from lib.training import train_layerwise

    X, y = _data()
    results = []
    for net in _cnn_pair(True):
        res = train_layerwise(net, X, y, T1=10, T2=50, lr1=0.01, lr2=1.0)
        results.append((res, net.a.detach().cpu()))
    (r_cpu, a_cpu), (r_gpu, a_gpu) = results
    torch.testing.assert_close(r_gpu.loss1, r_cpu.loss1, rtol=1e-8, atol=1e-10)
    torch.testing.assert_close(r_gpu.loss2, r_cpu.loss2, rtol=1e-8, atol=1e-10)
    torch.testing.assert_close(a_gpu, a_cpu, rtol=1e-8, atol=1e-10)


def test_bench_quick_runs_on_cuda(tmp_path):
    """`python -m lib.bench --quick --device cuda` completes (its figures are printed, not checked here)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MAXPOOL_CACHE_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "lib.bench", "--quick", "--device", "cuda"],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
