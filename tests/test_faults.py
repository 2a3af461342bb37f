"""Faults lose nothing and hang nothing (issue 26): a killed parallel run, huge sizes, a corrupted data
file, hostile cache entries, bad options and values, data that overflow the model's dtype, a diverged
training run, and the small ones. Each test reproduces one fault of the issue and fails without its fix.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from _toy_settings import counter

import lib.cache
from lib import sweep
from lib.__main__ import main
from lib.cache import CacheError, ResultsCache, code_version

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import fault_injection


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc to find the workers")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killed_parallel_run_leaves_no_worker_and_the_rerun_completes(tmp_path, monkeypatch, sig):
    """Item 1: kill a `--jobs 2` run while its workers compute; no worker survives it by more than a
    few seconds, and a rerun (which waited forever on the lock a surviving worker held) finishes with
    a clean run's results and leaves no lock file (scripts/fault_injection.py: `Fault` otherwise)."""
    monkeypatch.setattr(sweep, "REGISTRY", dict(sweep.REGISTRY))
    monkeypatch.setattr(lib.cache, "_CODE_VERSION", None)
    for name in ("TOY_LOG", "TOY_SLEEP"):
        monkeypatch.setenv(name, "")
    assert "rerun computed all 6 points" in fault_injection.kill_and_rerun(sig, tmp_path)


# ---------------------------------------------------------------- item 4: hostile cache entries
def test_a_symlink_or_a_huge_file_as_an_entry_reads_as_missing(tmp_path, monkeypatch):
    """Item 4: an entry that is a symlink to /dev/zero, a directory or a file above the size cap is a
    missing entry (recomputed), read without loading it."""
    cache = ResultsCache(tmp_path)
    configs = [{"k": i} for i in range(3)]
    for config in configs:
        cache.put(config, pd.DataFrame({"v": [1.0]}))
        cache.path(config).unlink()
    cache.path(configs[0]).symlink_to("/dev/zero")
    cache.path(configs[1]).mkdir()
    monkeypatch.setattr(lib.cache, "MAX_ENTRY_BYTES", 100)
    cache.put(configs[2], pd.DataFrame({"v": [1.0] * 50}))  # a valid entry above the (lowered) cap
    assert all(cache.get(config) is None for config in configs)


def test_an_entry_whose_place_is_a_directory_gives_a_cache_error(tmp_path):
    """Item 10: a directory where an entry should be written: CacheError naming the path, no traceback
    from deeper down."""
    cache = ResultsCache(tmp_path)
    cache.path({"k": 1}).mkdir(parents=True)
    with pytest.raises(CacheError, match="cannot write .* in the results cache"):
        cache.put({"k": 1}, pd.DataFrame({"v": [1.0]}))


# ---------------------------------------------------------------- items 5, 6, 10: the command line
@pytest.fixture
def toy_cli(monkeypatch, tmp_path):
    """A two-point toy experiment whose point i=-1 fails with a ValueError while computing."""

    def compute(*, i, device):
        if i < 0:
            raise ValueError(f"i must be >= 0, got {i}")
        return pd.DataFrame({"value": [i * 10]})

    monkeypatch.setitem(
        sweep.REGISTRY, "toy", counter("toy", "a toy sweep", compute, quick=2, full=2)
    )
    monkeypatch.setenv("MAXPOOL_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_value_error_while_computing_exits_2_with_one_line_and_no_lock_file(
    toy_cli, capsys, jobs
):
    """Item 5: a bad --set value caught only while computing: exit 2, one line, no stray .lock file."""
    assert (
        main(
            [
                "run",
                "toy",
                "--profile",
                "quick",
                "--device",
                "cpu",
                "--jobs",
                jobs,
                "--set",
                "first=-1",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "python -m lib: error: i must be >= 0, got -1" and not any(
        "Traceback" in e for e in err
    )
    assert not list(toy_cli.rglob("*.lock"))


def test_scheduler_of_a_bad_form_is_refused_at_once(toy_cli, capsys):
    """Item 6: `--scheduler garbage://x` is refused before any connection (exit 2, no hang)."""
    start = time.monotonic()
    with pytest.raises(SystemExit) as exc:
        main(["run", "toy", "--profile", "quick", "--device", "cpu", "--scheduler", "garbage://x"])
    assert exc.value.code == 2 and time.monotonic() - start < 5
    assert "scheduler must be the address of a Dask scheduler" in capsys.readouterr().err


def test_an_unreachable_scheduler_fails_within_seconds(toy_cli, capsys):
    """Item 6: no scheduler at the address: one line and exit 1 after SCHEDULER_TIMEOUT seconds, not
    a traceback after half a minute."""
    pytest.importorskip("distributed")
    start = time.monotonic()
    assert (
        main(["run", "toy", "--profile", "quick", "--device", "cpu", "--scheduler", "127.0.0.1:1"])
        == 1
    )
    assert time.monotonic() - start < sweep.SCHEDULER_TIMEOUT + 10
    err = capsys.readouterr().err.strip().splitlines()  # the progress bar, then one line
    assert "no Dask scheduler answered at 127.0.0.1:1" in err[-1] and "Traceback" not in "".join(
        err
    )


@pytest.mark.parametrize("where", ["read-only", "a file"])
def test_an_unusable_cache_directory_exits_2_with_one_line(
    toy_cli, capsys, monkeypatch, tmp_path, where
):
    """Item 10: a read-only cache with missing points, or MAXPOOL_CACHE_DIR naming a file."""
    if where == "read-only":
        if os.geteuid() == 0:
            pytest.skip("root writes into a read-only directory")
        toy_cli.mkdir()
        toy_cli.chmod(0o500)
    else:
        toy_cli.write_text("not a directory")
    try:
        assert main(["run", "toy", "--profile", "quick", "--device", "cpu"]) == 2
    finally:
        if where == "read-only":
            toy_cli.chmod(0o700)
    err = capsys.readouterr().err.strip().splitlines()  # the progress bar, then one line
    assert (
        "results cache" in err[-1]
        and "MAXPOOL_CACHE_DIR" in err[-1]
        and "Traceback" not in "".join(err)
    )


@pytest.mark.parametrize(
    "out, message",
    [
        (".", "is a directory"),
        ("/nonexistent/x.png", "does not exist"),
        ("x.pdf", "must be a .png file path"),
    ],
)
def test_figure_out_is_checked_before_computing(toy_cli, capsys, monkeypatch, out, message):
    """Item 10: a bad `figure --out` fails at once (nothing computed), exit 2."""
    monkeypatch.setattr(sweep, "run", lambda *a, **k: pytest.fail("computed before checking --out"))
    assert main(["figure", "fig3a", "--profile", "quick", "--device", "cpu", "--out", out]) == 2
    assert message in capsys.readouterr().err


def test_figure_out_without_suffix_names_the_file_it_writes(tmp_path):
    """Item 10: `--out DIR/name` writes DIR/name.png and says so (it said "wrote DIR/name")."""
    from lib.__main__ import _png_path

    assert _png_path(str(tmp_path / "fig")) == str(tmp_path / "fig.png")


# ---------------------------------------------------------------- item 2: huge sizes refused up front
@pytest.mark.parametrize(
    "build, names",
    [
        (
            lambda: __import__("lib.models").models.ConvPool(10**4, 10**4, replicas=10**4),
            "ConvPool(d=10000, k=10000, replicas=10000)",
        ),
        (
            lambda: __import__("lib.models").models.ConvPool(5, 4, replicas=10**9),
            "replicas=1000000000",
        ),
        (
            lambda: __import__("lib.models").models.MLP(10**4, 10**4, replicas=10**4),
            "MLP(input_dim=10000, width=10000",
        ),
        (
            lambda: __import__("lib.distributions").distributions.OrthogonalPatterns(3, 10**6),
            "OrthogonalPatterns(d=1000000)",
        ),
        (
            lambda: (
                __import__("lib.distributions")
                .distributions.OrthogonalPatterns(3, 5)
                .sample(10**12, 0)
            ),
            "sample(m=1000000000000)",
        ),
    ],
)
def test_huge_sizes_are_refused_before_allocating(build, names):
    """Item 2: a ValueError naming the parameters and the estimate, at once (no allocation)."""
    start = time.monotonic()
    with pytest.raises(ValueError, match=r"needs about [0-9.]+ [kMGT]?B of memory") as exc:
        build()
    assert names in str(exc.value) and time.monotonic() - start < 2


def test_the_memory_limit_is_overridable(monkeypatch):
    """Item 2: $MAXPOOL_MAX_BYTES sets the limit (lower here: a small model is refused, then allowed)."""
    from lib.models import ConvPool

    monkeypatch.setenv("MAXPOOL_MAX_BYTES", "1000")
    with pytest.raises(ValueError, match="more than the 1 kB available"):
        ConvPool(20, 10)
    monkeypatch.setenv("MAXPOOL_MAX_BYTES", str(10**9))
    assert ConvPool(20, 10).W.shape == (1, 10, 20)
    monkeypatch.setenv("MAXPOOL_MAX_BYTES", "lots")
    with pytest.raises(ValueError, match="MAXPOOL_MAX_BYTES must be a positive integer"):
        ConvPool(20, 10)


def test_a_seed_string_is_reported_whole():
    """Item 10: seed='12' was read as the sequence of seeds '1', '2' and reported as "got '1'"."""
    from lib.models import ConvPool

    with pytest.raises(ValueError, match="got '12'"):
        ConvPool(5, 4, seed="12")


# ---------------------------------------------------------------- item 3: the MNIST file verified
def _npz(path: Path, images, labels) -> Path:
    import numpy as np

    np.savez(path, images=images, labels=labels)
    return path


@pytest.fixture
def bad_mnist(monkeypatch, tmp_path):
    """Point lib.mnist at a file the test writes; the good file is read again afterwards."""
    import numpy as np

    import lib.mnist

    with np.load(lib.mnist.MNIST_FILE) as z:
        images, labels = z["images"], z["labels"]
    lib.mnist.load_mnist.cache_clear()
    lib.mnist.mnist_pools.cache_clear()
    monkeypatch.setattr(lib.mnist, "MNIST_FILE", tmp_path / "mnist.npz")
    yield lib.mnist, images, labels
    lib.mnist.load_mnist.cache_clear()
    lib.mnist.mnist_pools.cache_clear()


@pytest.mark.parametrize(
    "damage, message",
    [
        ("shuffled labels", "has SHA-256 [0-9a-f]{64}, expected e1601d61"),
        ("blank pixels", "has SHA-256 [0-9a-f]{64}, expected e1601d61"),
        ("float images", r"images must be uint8 of shape \(70000, 28, 28\), got float64"),
        ("labels out of range", r"labels must be digits in 0..9, got 2..11"),
        (
            "flat images",
            r"images must be uint8 of shape \(70000, 28, 28\), got uint8 \(70000, 784\)",
        ),
        (
            "a subset",
            r"images must be uint8 of shape \(70000, 28, 28\), got uint8 \(10000, 28, 28\)",
        ),
    ],
)
def test_a_damaged_mnist_file_is_refused(bad_mnist, damage, message):
    """Item 3: shuffled labels, blanked pixels or float images were used silently; labels out of range
    gave a misleading "test_fraction leaves no train image", wrong shapes a bare reshape error (and
    since the store holds the whole of MNIST, a file with another number of digits is refused too)."""
    import numpy as np

    mnist, images, labels = bad_mnist
    rng = np.random.default_rng(0)
    if damage == "shuffled labels":
        labels = rng.permutation(labels)
    elif damage == "blank pixels":
        images = images.copy()
        images[::2] = 0
    elif damage == "float images":
        images = images / 255.0
    elif damage == "labels out of range":
        labels = labels + 2
    elif damage == "a subset":
        images, labels = images[:10000], labels[:10000]
    else:
        images = images.reshape(len(images), -1)
    _npz(mnist.MNIST_FILE, images, labels)
    with pytest.raises(ValueError, match=message) as exc:
        mnist.MnistPatterns()
    assert "scripts/make_mnist.py" in str(exc.value) and str(mnist.MNIST_FILE) in str(exc.value)


def test_the_mnist_file_is_part_of_the_cache_key(monkeypatch, tmp_path):
    """Item 3: results of Fig. 3c were served from the cache after the data file changed: the code
    hash of a module that reads it now covers its bytes (and of one that does not, not)."""
    data = tmp_path / "digits.npz"
    data.write_bytes(b"one version")
    monkeypatch.setitem(lib.cache.DATA_FILES, "mnist.py", data)
    before = code_version("lib.experiments.paper_figures"), code_version("lib.models")
    data.write_bytes(b"another version")
    after = code_version("lib.experiments.paper_figures"), code_version("lib.models")
    assert before[0] != after[0] and before[1] == after[1]


# ---------------------------------------------------------------- items 7, 8, 10: training
def _patterns(dtype=None, m=16, seed=0):
    import torch

    from lib.distributions import OrthogonalPatterns

    X, y = OrthogonalPatterns(3, 5, dtype=dtype or torch.float64).sample(m, seed)
    return X, y


def test_finite_data_that_overflow_the_models_dtype_are_named_so():
    """Item 7: float64 X * 1e39 into a float32 model gave NaN outputs silently, and `train` blamed the
    learning rate at step 0; now every entry point says the values overflow float32."""
    import torch

    from lib.models import ConvPool
    from lib.training import accuracy, train

    X, y = _patterns()
    model = ConvPool(5, 4)
    for call in (
        lambda: model(X * 1e39),
        lambda: train(model, X * 1e39, y, lr=0.1, steps=2),
        lambda: accuracy(model, X * 1e39, y),
    ):
        with pytest.raises(
            ValueError,
            match=r"X holds values up to 1e\+39 that overflow the model's dtype torch.float32",
        ):
            call()
    with pytest.raises(ValueError, match="X must be finite"):
        model(X * float("inf"))
    assert torch.isfinite(ConvPool(5, 4, dtype=torch.float64)(X * 1e39)).all()  # float64 holds them


@pytest.mark.parametrize("evaluate", [True, False])
def test_a_diverged_training_run_leaves_finite_parameters(evaluate):
    """Item 7: after a caught TrainingDivergedError the model kept inf parameters and `accuracy`
    returned 0.5625 of them; now it holds those of the last step checked finite."""
    import torch

    from lib.models import ConvPool
    from lib.training import TrainingDivergedError, accuracy, train

    X, y = _patterns(torch.float32)
    model = ConvPool(5, 4, radius=1.0)
    with pytest.raises(TrainingDivergedError, match="the model's parameters are those of step"):
        train(model, X * 1e18, y, lr=1e30, steps=50, evaluate=evaluate)
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert torch.isfinite(model(X)).all() and accuracy(model, X, y).shape == (1,)


def test_a_learning_rate_list_keeps_the_models_dtype():
    """Item 8: lr=[0.05, 0.1] was rounded to float32, so a float64 replica trained in a grid differed
    from the same replica trained alone with lr=0.05."""
    import torch

    from lib.models import ConvPool
    from lib.training import _check_lr, train

    assert _check_lr([0.05, 0.1], 2)[0].item() == 0.05
    X, y = _patterns()
    alone, grid = (
        ConvPool(5, 4, dtype=torch.float64, seed=[3]),
        ConvPool(5, 4, replicas=2, dtype=torch.float64, seed=[3, 3]),
    )
    train(alone, X, y, lr=0.05, steps=20)
    train(grid, X, y, lr=[0.05, 0.1], steps=20)
    assert torch.equal(alone.W[0], grid.W[0])


def test_layerwise_step_sizes_are_named_in_errors():
    """Item 10: errors for lr1 and lr2 named "lr"."""
    from lib.models import ConvPool
    from lib.training import train_layerwise

    X, y = _patterns()
    for bad, name in (({"lr1": -1.0, "lr2": 0.1}, "lr1"), ({"lr1": 0.1, "lr2": [0.1, 0.2]}, "lr2")):
        with pytest.raises(ValueError, match=rf"^{name} must"):
            train_layerwise(ConvPool(5, 4), X, y, T1=1, T2=1, **bad)


# ---------------------------------------------------------------- item 9: the pattern-table path per replica
def test_a_replica_takes_the_same_path_alone_and_in_a_batch():
    """Item 9: the path was chosen by counting distinct patches over all replicas' data together, so
    with one data set per replica (here each in its own random basis: 5 patterns each, 20 together,
    above n m / 2 = 12) the batch took the general path and each replica alone the table path."""
    import torch

    from lib.distributions import OrthogonalPatterns
    from lib.fastpaths import PatternTable
    from lib.models import ConvPool
    from lib.training import train

    R, m, n, d = 4, 6, 4, 5
    sets = [OrthogonalPatterns(n, d, basis="random", seed=r).sample(m, r) for r in range(R)]
    X, y = torch.stack([s[0] for s in sets]), torch.stack([s[1] for s in sets])
    batch = ConvPool(d, 3, replicas=R, seed=0)
    assert isinstance(batch.prepare(X), PatternTable)
    train(batch, X, y, lr=0.1, steps=10)
    for r in range(R):
        alone = ConvPool(d, 3, seed=[r])
        assert isinstance(alone.prepare(X[r : r + 1]), PatternTable)
        train(alone, X[r : r + 1], y[r : r + 1], lr=0.1, steps=10)
        assert torch.allclose(alone.W[0], batch.W[r], rtol=0, atol=1e-6)


def test_complex_inputs_are_refused_without_a_warning(recwarn):
    """Item 10: complex weights or patterns were cast to real with a torch UserWarning."""
    import torch

    from lib.distributions import OrthogonalPatterns
    from lib.models import ConvPool

    with pytest.raises(ValueError, match="spurious_probs must be a sequence of l - 2 = 3 real"):
        OrthogonalPatterns(3, 5, spurious_probs=torch.tensor([1 + 0j, 1, 1]))
    with pytest.raises(ValueError, match="patterns must be a real tensor"):
        ConvPool(5, 4).tables(torch.eye(5, dtype=torch.complex64))
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


@pytest.mark.parametrize(
    "setting",
    [
        "seeds=abc",
        "seeds=-1",
        "n=0",
        "m=0",
        "select_cfg=5",
        "grid=[]",
        "noise_law=cauchy",
        "lrs=[0]",
    ],
)
def test_bad_set_values_of_a_figure_exit_2_before_any_work(setting, tmp_path, monkeypatch, capsys):
    """Issue item 5: a bad `--set` value of a §7 figure is refused by its settings object before any
    point is claimed: one line naming the field, exit 2, nothing written to the cache."""
    from lib.__main__ import main

    monkeypatch.setenv("MAXPOOL_CACHE_DIR", str(tmp_path))
    with pytest.raises(SystemExit) as exc:
        main(["run", "fig3a", "--profile", "quick", "--device", "cpu", "--set", setting])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and setting.split("=")[0] in err and "Traceback" not in err
    assert not any(tmp_path.rglob("*"))
