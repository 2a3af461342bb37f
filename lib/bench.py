"""`python -m lib.bench`: how fast the batched trainer is, on a fixed standard grid.

The standard grid is the Part II CNN (fixed +-1 output layer) with n=20, d=30, k=50 filters per sign, m=500 (one training set per replica), 10
replicas, 1,000 full-batch GD steps on the hinge loss (early stopping off, so every run does the same
work), and the fully connected baseline of width 1,000 on the same data. For each it prints the wall
time, the achieved GFLOP/s, the ratio to the machine's fp32 matmul rate (a plain large `torch.mm`), the
speed-up over a naive baseline (the same 10 models as ordinary `nn.Module`s trained one after another
with `torch.optim.SGD` and autograd) and the peak memory. No asserts: these are measurements.

The CNN is measured twice: as `train` runs it on this grid (the data are the paper's orthogonal
patterns, so it takes the exact pattern-table path of lib.models) and forced onto the general path
(GEMM + max over patches, what any input takes).
Flop counts are those of the general computation, not of what a kernel happens to execute:
CNN forward 2 R 2k m n d (all filter-patch dot products), CNN backward 2 R 2k m d (only the winning
patch of each channel gets gradient); FCN 2 R m P forward and 4 R m P backward minus the input layer's
unused input gradient, with P the weights of one replica. The pattern-table path does far fewer
flops than that, so its GFLOP/s is an effective rate (same work, less time), not a kernel's.
The naive baseline is timed over `--naive-steps` steps per model and scaled to `--steps` (its cost per
step is constant: full-batch GD, no early stopping); its losses are checked against the batched run.
"""
from __future__ import annotations

import argparse
import ctypes
import dataclasses
import multiprocessing
import os
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import torch
from torch import nn

from lib.distributions import OrthogonalPatterns
from lib.experiments.common import training_sets, xor_cnn
from lib.models import FullyConnected
from lib.training import default_device, train

GRID = dict(n=20, d=30, k=50, m=500, replicas=10, width=1000, cnn_lr=0.1, fcn_lr=0.01)


@dataclass
class Measurement:
    """One batched run and its naive baseline."""

    name: str
    seconds: float
    flops: float
    naive_seconds: float
    peak_bytes: int
    loss_gap: float  # max |batched loss - naive loss| after the naive steps (same models, same data)

    def gflops(self) -> float:
        return self.flops / self.seconds / 1e9


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def matmul_gflops(device: str, size: int | None = None, repeats: int = 5) -> float:
    """The machine's fp32 matmul rate: best of `repeats` plain `torch.mm` of two size x size matrices."""
    size = size or (8192 if device == "cuda" else 2048)
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        torch.mm(a, b)
        _sync(device)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


class _PeakMemory:
    """Peak memory of a block above the memory in use at its start: the CUDA allocator's peak, or on
    the CPU the peak resident set size (Linux VmHWM, reset at entry through /proc/self/clear_refs)."""

    def __init__(self, device: str) -> None:
        self.device, self.peak = device, 0

    def __enter__(self) -> _PeakMemory:
        if self.device == "cuda":
            torch.cuda.reset_peak_memory_stats()
            self.base = torch.cuda.memory_allocated()
        else:
            try:
                with open("/proc/self/clear_refs", "w") as fh:
                    fh.write("5")  # the peak resident set size starts again from the current one
                self.base = _proc_status("VmRSS")
            except OSError:  # not Linux: no measurement (printed as n/a)
                self.base = None
        return self

    def __exit__(self, *exc) -> None:
        if self.device == "cuda":
            self.peak = torch.cuda.max_memory_allocated() - self.base
        else:
            self.peak = -1 if self.base is None else _proc_status("VmHWM") - self.base


def _proc_status(field: str) -> int:
    """A memory field of /proc/self/status (VmRSS, VmHWM), in bytes."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def _return_freed_memory() -> bool:
    """Make glibc hand every block above 64 KiB back to the OS when it is freed, so that the resident
    set tracks the live tensors. By default the threshold adapts upwards and freed blocks stay
    resident: the pattern-table CNN, whose live tensors peak at about 15 MiB, then shows a peak
    RSS growth of 290 MiB. Returns False where mallopt is not available (not glibc)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(-3, 65536))  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        return False


class NaiveCNN(nn.Module):
    """One CNN written the ordinary way: `nn.Conv1d` with filter size = stride = d, ReLU, global
    max-pool, fixed +1/-1 output layer."""

    def __init__(self, w: torch.Tensor, u: torch.Tensor) -> None:
        super().__init__()
        k, d = w.shape
        self.conv = nn.Conv1d(1, 2 * k, kernel_size=d, stride=d, bias=False)
        with torch.no_grad():
            self.conv.weight.copy_(torch.cat([w, u]).unsqueeze(1))
        self.register_buffer("signs", torch.cat([torch.ones(k), -torch.ones(k)]).to(w))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        pooled = torch.relu(self.conv(X.reshape(X.shape[0], 1, -1))).amax(-1)
        return pooled @ self.signs


def naive_fcn(weights: list[torch.Tensor], biases: list[torch.Tensor]) -> nn.Module:
    """One FCN written the ordinary way: `nn.Linear` layers with ReLU between them."""
    layers: list[nn.Module] = [nn.Flatten()]
    for i, (W, b) in enumerate(zip(weights, biases)):
        lin = nn.Linear(W.shape[1], W.shape[0])
        with torch.no_grad():
            lin.weight.copy_(W)
            lin.bias.copy_(b)
        layers += [lin] if i == len(weights) - 1 else [lin, nn.ReLU()]
    return nn.Sequential(*layers, nn.Flatten(0))


def train_naive(models: list[nn.Module], X: torch.Tensor, y: torch.Tensor, lr: float, steps: int) -> tuple[float, torch.Tensor]:
    """Train the models one after another (autograd, `torch.optim.SGD`, hinge loss); returns the
    seconds and the final training losses."""
    device = X.device.type
    losses = []
    _sync(device)
    start = time.perf_counter()
    for r, model in enumerate(models):
        opt = torch.optim.SGD(model.parameters(), lr=lr)
        for _ in range(steps):
            opt.zero_grad()
            loss = torch.clamp(1 - y[r] * model(X[r]), min=0).mean()
            loss.backward()
            opt.step()
        with torch.no_grad():
            losses.append(torch.clamp(1 - y[r] * model(X[r]), min=0).mean())
    _sync(device)
    return time.perf_counter() - start, torch.stack(losses).cpu()


MODELS = ("CNN", "CNN-general", "FCN")


def _setup(name: str, device: str) -> tuple:
    """The standard grid for the model `name` (one of MODELS): (make, naive, X, y, lr, flops per step)."""
    g = GRID
    R, n, d, k, m, width = g["replicas"], g["n"], g["d"], g["k"], g["m"], g["width"]
    X, y = training_sets(OrthogonalPatterns(n, d), m, 0, R)
    X, y = X.to(device), y.to(device)
    if name == "FCN":
        P_in, P_out = n * d * width, width  # input-layer and output-layer weights of one replica

        def make() -> nn.Module:
            return FullyConnected(n * d, width, replicas=R, seed=0, device=device)

        def naive(net: nn.Module) -> list[nn.Module]:
            return [
                naive_fcn([W[r].detach() for W in net.weights], [b[r].detach() for b in net.biases]).to(device)
                for r in range(R)
            ]

        return make, naive, X, y, g["fcn_lr"], 2 * R * m * (P_in + P_out) + 2 * R * m * (P_in + 2 * P_out)

    def make() -> nn.Module:
        return xor_cnn(d, k, replicas=R, seed=0, device=device, pattern_search=name == "CNN")

    def naive(net: nn.Module) -> list[nn.Module]:
        return [NaiveCNN(net.W[r, :k].detach(), net.W[r, k:].detach()).to(device) for r in range(R)]

    return make, naive, X, y, g["cnn_lr"], 2 * R * 2 * k * m * n * d + 2 * R * 2 * k * m * d


def measure(name: str, steps: int, naive_steps: int, device: str, threads: int | None = None) -> Measurement:
    """Time `steps` batched GD steps of the model `name` (one of MODELS) on the standard grid, and
    the naive baseline of the same models, in this process (with `threads` torch CPU threads).
    The peak memory is left at 0: `peak_memory` measures it."""
    if threads is not None:
        torch.set_num_threads(threads)
    make, naive, X, y, lr, flops = _setup(name, device)
    train(make(), X[..., :8, :, :], y[..., :8], lr=lr, steps=3, early_stop=False, loss="hinge")  # warm-up
    model = make()
    naive_models = naive(model)
    _sync(device)
    start = time.perf_counter()
    res = train(model, X, y, lr=lr, steps=steps, early_stop=False, loss="hinge")
    _sync(device)
    seconds = time.perf_counter() - start
    train_naive(naive(make()), X, y, lr, 2)  # warm-up: oneDNN primitives are built at a shape's first use
    naive_seconds, naive_loss = train_naive(naive_models, X, y, lr, naive_steps)
    gap = (res.loss[min(naive_steps, steps)] - naive_loss).abs().max().item()
    return Measurement(name, seconds, flops * steps, naive_seconds * steps / naive_steps, 0, gap)


def peak_memory(name: str, steps: int, device: str, threads: int | None = None) -> int:
    """Bytes of memory that `steps` GD steps of `name` add to the peak, after data and model exist
    (the loop reaches its steady state in the first step, so a few steps suffice). Meant for a fresh
    process: on the CPU it first makes freed blocks go back to the OS (`_return_freed_memory`), and
    returns -1 (printed n/a) where it cannot: the figure would count blocks the allocator kept."""
    if threads is not None:
        torch.set_num_threads(threads)
    if device == "cpu" and not _return_freed_memory():
        return -1
    make, _, X, y, lr, _ = _setup(name, device)
    model = make()
    with _PeakMemory(device) as mem:
        train(model, X, y, lr=lr, steps=steps, early_stop=False, loss="hinge")
    return mem.peak


def run_bench(
    steps: int = 1000, naive_steps: int = 20, device: str | None = None, threads: int | None = None
) -> Iterator[Measurement]:
    """The measurements of MODELS, each yielded as soon as it is done: the timing and the peak memory
    (over min(steps, 20) steps) each in a fresh process."""
    device = device or default_device()
    for name in MODELS:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            peak = pool.submit(peak_memory, name, min(steps, 20), device, threads).result()
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            result = pool.submit(measure, name, steps, naive_steps, device, threads).result()
        yield dataclasses.replace(result, peak_bytes=peak)


def header(mm: float, steps: int, naive_steps: int, device: str) -> str:
    g = GRID
    return "\n".join([
        f"device: {device}  torch {torch.__version__}  threads: {torch.get_num_threads()}  "
        f"load average (1/5/15 min): {_load()}",
        f"standard grid: n={g['n']} d={g['d']} k={g['k']} m={g['m']}, {g['replicas']} replicas, {steps} GD steps "
        f"(FCN width {g['width']}); naive baseline timed over {naive_steps} steps per model, scaled to {steps}",
        f"plain torch.mm fp32: {mm:.1f} GFLOP/s",
        "",
        f"{'model':<11} {'seconds':>8} {'GFLOP/s':>8} {'of mm':>6} {'naive s':>9} {'naive GFLOP/s':>14} "
        f"{'speed-up':>9} {'peak MiB':>9} {'loss gap':>9}",
    ])


def row(r: Measurement, mm: float) -> str:
    naive = r.flops / r.naive_seconds / 1e9
    return (
        f"{r.name:<11} {r.seconds:8.2f} {r.gflops():8.2f} {r.gflops() / mm:6.1%} {r.naive_seconds:9.1f} "
        f"{naive:14.2f} {r.naive_seconds / r.seconds:8.1f}x {_mib(r.peak_bytes):>9} {r.loss_gap:9.1e}"
    )


FOOTER = (
    "targets: speed-up >= 10x; FCN >= 30% and CNN >= 15% of the mm rate. CNN: pattern-table path (what\n"
    "train uses on these orthogonal patterns), GFLOP/s effective (general-path flops / time); CNN-general:\n"
    "GEMM + max over patches, what noisy or digit patches take. A GEMM path's speed-up can reach at most\n"
    "(mm GFLOP/s) / (naive GFLOP/s). 'peak MiB': what the training loop adds to the peak memory on top\n"
    "of data and model (CPU: resident set, freed blocks returned to the OS). 'loss gap': max |batched -\n"
    "naive| training loss after the naive steps (same initial weights and data, so ~0)."
)


def _mib(nbytes: int) -> str:
    return "n/a" if nbytes < 0 else f"{nbytes / 2**20:.1f}"


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000, help="GD steps of the batched runs (default 1000)")
    parser.add_argument("--naive-steps", type=int, default=20, help="steps per naive model actually timed (default 20)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default=None, help="default: cuda when present")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args(argv)
    if args.steps < 1 or not 1 <= args.naive_steps <= args.steps or (args.threads is not None and args.threads < 1):
        parser.error("need --steps >= 1, 1 <= --naive-steps <= --steps and --threads >= 1")
    device = args.device or default_device()
    if device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: torch sees no GPU")
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    mm = matmul_gflops(device)
    print(header(mm, args.steps, args.naive_steps, device), flush=True)
    for result in run_bench(args.steps, args.naive_steps, device, args.threads):
        print(row(result, mm), flush=True)
    print(f"\nload average at the end: {_load()}\n{FOOTER}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
