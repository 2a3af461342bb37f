"""Device placement, checked without a GPU: the code paths of a CUDA run on a virtual CUDA device
(tests/_virtual_cuda.py), where mixing a CUDA and a CPU tensor raises as on a real GPU, and the
results equal the CPU's bit for bit (the arithmetic is the CPU's). tests/test_gpu.py checks the same
on a real GPU, with CUDA's own numerics."""

from __future__ import annotations

import os

import pandas as pd
import pytest
import torch
from _toy_settings import toy as toy_experiment
from _virtual_cuda import virtual_cuda

from lib import sweep
from lib.distributions import OrthogonalPatterns
from lib.models import ConvPool
from lib.training import train, train_layerwise


def test_the_virtual_device_raises_where_a_gpu_does():
    with virtual_cuda():
        on_gpu = torch.arange(3.0, device="cuda")
        assert on_gpu.device.type == "cuda"
        with pytest.raises(RuntimeError, match="same device"):
            _ = on_gpu + torch.ones(3)  # a CPU vector
        with pytest.raises(RuntimeError, match="same device"):
            torch.zeros(3, dtype=torch.long).scatter_reduce(
                0, on_gpu.long(), torch.arange(3), reduce="amin"
            )
        # what a GPU allows: a 0-dim CPU tensor, CPU indices into a CUDA tensor, copies, .cpu()
        assert float((on_gpu * torch.tensor(2.0)).sum()) == 6.0
        assert on_gpu[torch.tensor([2, 0])].tolist() == [2.0, 0.0]
        assert torch.equal(on_gpu.cpu(), torch.arange(3.0)) and on_gpu.cpu().device.type == "cpu"
        with pytest.raises(RuntimeError):
            on_gpu.numpy()


def _data():
    return OrthogonalPatterns(6, 10, dtype=torch.float64).sample(40, seed=5)


@pytest.mark.parametrize("pattern_search", [True, False], ids=["pattern-table", "general"])
@pytest.mark.parametrize("optimizer, batch_size", [("gd", None), ("adam", 8)])
def test_train_on_cuda_keeps_every_tensor_on_the_device(pattern_search, optimizer, batch_size):
    X, y = _data()
    results = []
    for device in ("cpu", "cuda"):
        with virtual_cuda():
            net = ConvPool(
                10,
                8,
                replicas=3,
                seed=0,
                dtype=torch.float64,
                device=device,
                pattern_search=pattern_search,
            )
            res = train(
                net,
                X,
                y,
                lr=0.05,
                steps=40,
                loss="hinge",
                optimizer=optimizer,
                batch_size=batch_size,
                record_every=10,
            )
            results.append(
                (res.loss, res.steps_to_fit, net.W.detach().cpu(), net.features(X).cpu())
            )
    for cpu, gpu in zip(*results):
        assert gpu.device.type == "cpu" and torch.equal(cpu, gpu)


def test_train_layerwise_on_cuda_keeps_every_tensor_on_the_device():
    X, y = _data()
    results = []
    for device in ("cpu", "cuda"):
        with virtual_cuda():
            net = ConvPool(10, 8, replicas=3, seed=0, dtype=torch.float64, device=device)
            res = train_layerwise(net, X, y, T1=5, T2=20, lr1=0.01, lr2=1.0)
            results.append((res.loss1, res.loss2, net.a.detach().cpu()))
    for cpu, gpu in zip(*results):
        assert torch.equal(cpu, gpu)


@pytest.mark.parametrize("repeating", [True, False], ids=["pattern-table", "batched"])
def test_lw_test_errors_on_cuda(repeating, monkeypatch):
    """`lib.evaluate.test_errors`, the §5 chapter's test error, on both of its branches (it crashed on CUDA)."""
    from lib import evaluate

    X, y = _data()
    if not repeating:
        X = X + 1e-3 * torch.randn(
            X.shape, generator=torch.Generator().manual_seed(0), dtype=X.dtype
        )
        monkeypatch.setattr(evaluate, "EVAL_ELEMENTS", 3 * 8 * 16)  # batches of 16 points
    errors = []
    for device in ("cpu", "cuda"):
        with virtual_cuda():
            net = ConvPool(10, 8, replicas=3, seed=0, dtype=torch.float64, device=device)
            errors.append(evaluate.test_errors(net, X.to(device), y))
    assert (errors[0] == errors[1]).all()


def test_opt_dynamics_on_cuda():
    """The Part II mechanism table (its winners' gather crashed on CUDA)."""
    from lib.experiments.optimization import opt_dynamics

    point = {
        "n": 4,
        "d": 6,
        "k": 2,
        "m": 8,
        "eta_rule": "2/k",
        "init_std": 1e-3,
        "steps": 3,
        "seed": 0,
    }
    tables = []
    for device in ("cpu", "cuda"):
        with virtual_cuda():
            tables.append(opt_dynamics(**point, device=device))
    pd.testing.assert_frame_equal(tables[0], tables[1])


def _grid(profile):
    return [{"i": i} for i in range(3)]


def _compute(*, i, device):
    return pd.DataFrame({"i2": [i * i], "pid": [os.getpid()]})


@pytest.fixture
def toy_on_a_gpu(monkeypatch, tmp_path):
    """A toy experiment, the only one of the catalogue, on a machine where torch sees one GPU."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setitem(sweep.REGISTRY, "toy", toy_experiment("toy", "squares", _grid, _compute))
    monkeypatch.setattr(sweep, "catalogue", lambda: {"toy": __name__})
    monkeypatch.setenv("MAXPOOL_CACHE_DIR", str(tmp_path))
    return "toy"


def test_cuda_points_are_computed_in_this_process(toy_on_a_gpu):
    """On a GPU, `run` computes every point in the calling process, whatever `jobs`."""
    df = sweep.run(toy_on_a_gpu, "quick", jobs=2, device="cuda")
    assert df["i2"].tolist() == [0, 1, 4] and set(df["pid"]) == {os.getpid()}
    assert df.attrs["device"] == "cuda" and df.attrs["cached_points"] == 0


def test_run_all_on_cuda_is_one_process(toy_on_a_gpu, capsys):
    """`python -m lib run all --device cuda --jobs 2`: every point in this process, and it says so."""
    from lib.__main__ import main

    assert main(["run", "all", "--profile", "quick", "--device", "cuda", "--jobs", "2"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert "[quick] on cuda" in last and "in 1 process(es)" in last
    df = sweep.run(toy_on_a_gpu, "quick", device="cuda")
    assert df.attrs["cached_points"] == 3 and set(df["pid"]) == {os.getpid()}


def test_the_gpu_suites_comparison_rule(monkeypatch):
    """tests/test_gpu.py's rule, on a holding and on failing tables: equal labels, grid parameters and
    initialisation counts; a point's mean test error within ERROR_TOL; losses and timings free."""
    from test_gpu import ERROR_TOL, _compare

    monkeypatch.setitem(
        sweep.REGISTRY, "toy", toy_experiment("toy", "", lambda p: [{"n": 1}, {"n": 2}], _compute)
    )
    cpu = pd.DataFrame(
        {
            "model": ["cnn"] * 4,
            "n": [1, 1, 2, 2],
            "lucky_plus": [3, 4, 5, 6],
            "test_error": [0.10, 0.20, 0.0, 0.0],
            "loss": [0.5, 0.4, 0.3, 0.2],
            "seconds": [1.0] * 4,
        }
    )
    close = cpu.assign(
        test_error=cpu.test_error + [0.0, 2 * ERROR_TOL * 0.9, 0.0, 0.0], loss=0.0, seconds=9.0
    )
    assert _compare("toy", cpu, close) == []
    for bad, column in (
        (cpu.assign(test_error=[0.1, 0.2, 0.0, 2.5 * ERROR_TOL]), "test_error"),
        (cpu.assign(lucky_plus=[3, 4, 5, 7]), "lucky_plus"),
        (cpu.assign(model=["cnn", "cnn", "mlp", "cnn"]), "model"),
    ):
        problems = _compare("toy", cpu, bad)
        assert len(problems) == 1 and problems[0].startswith(column)
    assert _compare("toy", cpu, cpu.iloc[:3])[0].startswith("columns/rows")
