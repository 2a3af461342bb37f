"""Inject the faults of issue 26 and check that nothing is lost and nothing hangs. One line a scenario:

    python scripts/fault_injection.py          # from the repository root; about a minute

kill-9 / kill-TERM: a `--jobs 2` run of a toy sweep (tests/_toy_sweep.py, six points of 30 s each) is
    killed while its two workers compute; no worker may survive it by more than WORKER_GRACE seconds,
    and a rerun must finish every point, with the values of a clean run, within RERUN_LIMIT seconds.
corrupt-data: a copy of data/mnist.npz with shuffled labels must be refused on load.
hostile-cache: entries that are a symlink to /dev/zero, a directory or a truncated file must read as
    missing, at once.
bad-value / bad-cache / bad-scheduler: a ValueError while computing, a cache directory that is a file,
    and a scheduler address of a bad form must each end the command line with exit code 2, one line on
    stderr and no `.lock` file.

Each line reads "PASS name: what happened" or "FAIL name: what went wrong"; the exit code is 1 when a
scenario failed. tests/test_faults.py runs the kill scenarios through the same functions.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import _toy_sweep as toy
import pandas as pd

HELPER = ROOT / "tests" / "_toy_sweep.py"
WORKER_GRACE = 5.0  # seconds a worker may outlive its killed parent
RERUN_LIMIT = 60.0  # seconds the rerun of the six toy points may take (a clean run: a few)


class Fault(AssertionError):
    """A scenario whose guarantee did not hold."""


def alive(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie (Linux /proc)."""
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
            with contextlib.suppress(OSError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


def launch_toy(cache: Path, log: Path, jobs: int, sleep: float) -> subprocess.Popen:
    """The toy sweep in a process of its own (`jobs` workers, each point sleeping `sleep` seconds)."""
    env = {
        **os.environ,
        "TOY_SLEEP": str(sleep),
        "TOY_BARRIER": "",
        "TOY_POINTS": str(toy.POINTS),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, str(HELPER), str(cache), str(log), str(jobs)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def rerun_toy(cache: Path, log: Path) -> list[float]:
    """Rerun the toy sweep here, in 2 processes (no point sleeps): its values, or Fault when it takes
    longer than RERUN_LIMIT seconds (it waited on a lock that nobody will release)."""
    from lib import sweep
    from lib.cache import ResultsCache

    if toy.NAME not in sweep.REGISTRY:
        toy.register()
    os.environ.update(TOY_LOG=str(log), TOY_SLEEP="0")
    previous = signal.signal(signal.SIGALRM, _hung)
    signal.alarm(int(RERUN_LIMIT))
    try:
        return sweep.run(toy.NAME, "quick", jobs=2, device="cpu", cache=ResultsCache(cache))[
            "value"
        ].tolist()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _hung(signum, frame) -> None:
    raise Fault(f"the rerun hung for {RERUN_LIMIT:g} s")


def kill_and_rerun(sig: signal.Signals, tmp: Path) -> str:
    """Kill a `--jobs 2` toy run with `sig` while both workers compute, then rerun it."""
    cache, log = tmp / "cache", tmp / "log"
    proc = launch_toy(cache, log, jobs=2, sleep=30.0)
    try:
        if not wait_until(lambda: log.exists() and len(log.read_text().splitlines()) >= 2, 60):
            raise Fault(
                f"the workers never started: {proc.stderr.read() if proc.poll() is not None else ''}"
            )
        workers = children(proc.pid)
        if len(workers) < 2:
            raise Fault(f"expected 2 workers, found {workers}")
        proc.send_signal(sig)
        proc.wait(timeout=30)
        killed = time.monotonic()
        if not wait_until(lambda: not any(alive(w) for w in workers), WORKER_GRACE):
            raise Fault(
                f"workers {[w for w in workers if alive(w)]} outlived their run by {WORKER_GRACE} s"
            )
        gone = time.monotonic() - killed
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    start = time.monotonic()
    values = rerun_toy(cache, tmp / "log2")
    if values != [toy.value(i) for i in range(toy.POINTS)]:
        raise Fault(f"the rerun's values {values} differ from a clean run's")
    stray = list(cache.rglob("*.lock"))
    if stray:
        raise Fault(f"{len(stray)} .lock file(s) left after the rerun")
    return (
        f"workers gone {gone:.1f} s after the kill; rerun computed all {toy.POINTS} points in "
        f"{time.monotonic() - start:.1f} s with a clean run's values, no .lock file left"
    )


def corrupt_data(tmp: Path) -> str:
    """A copy of the MNIST file with shuffled labels is refused on load."""
    import numpy as np

    import lib.mnist

    with np.load(lib.mnist.MNIST_FILE) as z:
        images, labels = z["images"], z["labels"]
    bad = tmp / "mnist.npz"
    np.savez(bad, images=images, labels=np.random.default_rng(0).permutation(labels))
    good = lib.mnist.MNIST_FILE
    lib.mnist.load_mnist.cache_clear()
    lib.mnist.MNIST_FILE = bad
    try:
        lib.mnist.load_mnist()
    except ValueError as exc:
        return f"shuffled labels refused: {str(exc)[len(str(bad)) + 1 : len(str(bad)) + 100]}..."
    finally:
        lib.mnist.MNIST_FILE = good
        lib.mnist.load_mnist.cache_clear()
    raise Fault("a file with shuffled labels was loaded")


def hostile_cache(tmp: Path) -> str:
    """Entries that are a symlink to /dev/zero, a directory or a truncated file read as missing."""
    from lib.cache import ResultsCache

    cache = ResultsCache(tmp / "cache")
    configs = [{"k": i} for i in range(3)]
    for config in configs:
        cache.put(config, pd.DataFrame({"v": [1.0]}))
    for config in configs[:2]:
        cache.path(config).unlink()
    cache.path(configs[0]).symlink_to("/dev/zero")
    cache.path(configs[1]).mkdir()
    text = cache.path(configs[2]).read_text()
    cache.path(configs[2]).write_text(text[: len(text) // 2])
    start = time.monotonic()
    hits = [cache.get(config) for config in configs]
    if any(hit is not None for hit in hits):
        raise Fault(f"a hostile entry was read as a result: {hits}")
    return f"symlink to /dev/zero, directory, truncated file: all read as missing in {time.monotonic() - start:.2f} s"


def command_line(tmp: Path, argv: list[str], cache: Path, message: str) -> str:
    """`python -m lib ARGV` (in this process, a toy experiment registered) exits 2 with one line
    holding `message`, and leaves no .lock file."""
    from lib import sweep
    from lib.__main__ import main

    def compute(*, i: int, device: str) -> pd.DataFrame:
        if i < 0:
            raise ValueError(f"i must be >= 0, got {i}")
        return pd.DataFrame({"value": [i]})

    sweep.REGISTRY["toy"] = sweep.Experiment(
        "toy", "a toy sweep", lambda profile: [{"i": 0}, {"i": 1}], compute
    )
    os.environ["MAXPOOL_CACHE_DIR"] = str(cache)
    err = io.StringIO()
    start = time.monotonic()
    try:
        with contextlib.redirect_stderr(err):
            code = main(["run", "toy", "--profile", "quick", "--device", "cpu", *argv])
    except SystemExit as exc:
        code = exc.code
    finally:
        del sweep.REGISTRY["toy"], os.environ["MAXPOOL_CACHE_DIR"]
    last = err.getvalue().strip().splitlines()[-1:] or [""]
    if code != 2 or message not in last[0] or "Traceback" in err.getvalue():
        raise Fault(f"exit {code}, stderr ends {last[0]!r}")
    if cache.is_dir() and list(cache.rglob("*.lock")):
        raise Fault("a .lock file was left")
    return f"exit 2 in {time.monotonic() - start:.1f} s: {last[0][:90]}"


def scenarios(tmp: Path) -> dict[str, Callable[[], str]]:
    file_cache = tmp / "cache-file"
    file_cache.write_text("not a directory")
    return {
        "kill-9": lambda: kill_and_rerun(signal.SIGKILL, _fresh(tmp / "kill9")),
        "kill-TERM": lambda: kill_and_rerun(signal.SIGTERM, _fresh(tmp / "killterm")),
        "corrupt-data": lambda: corrupt_data(_fresh(tmp / "data")),
        "hostile-cache": lambda: hostile_cache(_fresh(tmp / "hostile")),
        "bad-value": lambda: command_line(
            tmp, ["--jobs", "2", "--set", "i=-1"], tmp / "c1", "i must be >= 0"
        ),
        "bad-cache": lambda: command_line(tmp, [], file_cache, "MAXPOOL_CACHE_DIR"),
        "bad-scheduler": lambda: command_line(
            tmp, ["--scheduler", "garbage://x"], tmp / "c2", "scheduler must be the address"
        ),
    }


def _fresh(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


def main() -> int:
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, scenario in scenarios(Path(tmp)).items():
            try:
                print(f"PASS {name}: {scenario()}", flush=True)
            except Fault as exc:
                failed += 1
                print(f"FAIL {name}: {exc}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
