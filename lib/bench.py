"""`python -m lib.bench`: the trainer against what a user would write instead, on the paper's workloads.

Workloads (ConvPool of Eq. 1, trained second layer, logistic loss; R seeds batched as replicas):
- fig3a-table: §7 Fig. 3a, k = 500, d = 20, n = 10, m = 1,000, R = 10 seeds (each its own training
  set), 500 Adam steps on minibatches of b = 32 (the `batch_size` of Fig. 3a's settings, lib/protocol.py, the
  call of its `fit_adam`), orthogonal patterns in a random basis: the exact pattern-table path.
- fig3a-general: the same on noisy patches (||v|| <= 1, uniform in the ball): the general path.
- mnist: k = 500, n = 4, d = 784, m = 10,000 points (one training set shared by the R = 10 seeds),
  one epoch (ceil(m / b) = 313 steps) of minibatch Adam.
- lw: Algorithm 1 (LW_CNN) in float64 at d = 6, k = 13,824, n = 10, m = 64, R = 10, with Theorem 5.1's
  eta_1 and r for T_1 = 50 (`lib.theory.regime`), T_2 = 500 second-layer steps, eta_2 = 4k.
- svm: §7's exact linear SVM (`lib.baselines.linear_svm`, BLAS on one thread, as in the build) on
  Fig. 3c's first training set at m = 5,000 (separable: the hard margin) and m = 10,000 (the soft
  margin and its certificate that no separator exists), one fit each; its target, one fit at
  m = 10,000 within SVM_TARGET_SECONDS on one core, and the kind and KKT residual of each fit.

Each is run three ways, side by side in one process: the batched `lib.train` / `lib.train_layerwise`
("trainer"); (a) "nn.Module": a plain `torch.nn.Module` (`Conv1d` with kernel = stride = d, ReLU, amax
over positions, `Linear(k, 1)`) trained one seed after the other with autograd and `torch.optim.Adam`
(`torch.optim.SGD` for Algorithm 1); (b) "vmap": the same module batched over the seeds with
`torch.func.vmap` + `functional_call` + `torch.func.grad`, the optimizer applied to the stacked
parameters. All three start from the same weights and see the same minibatches (the trainer's draws
from its seed). The baselines of the minibatch workloads are timed over `baseline_steps` steps and
scaled (their cost per step is constant); 'loss gap' is then max |trainer - baseline| of the full
training loss after those steps (a second trainer run, of as many steps), and after the whole run for
lw. Only the steps are timed, and each minibatch run is timed `REPEATS` times, its fastest run
counting (lw: once): the trainer's time per step is the difference of its two runs divided by the
difference of their steps, and the rest of `train` (preparing the data) is printed apart. The
trainer runs as the §7 figures call it (`fit_adam`: no full-loss evaluation inside `train`). Printed
per run: seconds per step and in all, GFLOP/s, the fraction of the machine's matmul rate (a plain large
`torch.mm` of the workload's dtype), the speed-up of the trainer over it, and the peak memory that a
separate run of `MEMORY_STEPS` steps adds (CUDA: the allocator's peak; CPU: resident set, with freed
blocks returned to the OS, which slows allocation: hence a run apart from the timed one).
No asserts: these are measurements. Targets (printed beside the results): the trainer >= 10x (a) and
>= 2x (b) on the Fig. 3a grid, the MNIST step at >= 40% of the float32 matmul rate.

Flop counts, of the general computation (not of what a kernel executes), per step over the R seeds
with b points a step: forward 2 R k b n d (every filter-patch score) + 2 R k b (second layer);
backward 2 R k b d (only the winning patch of a channel gets gradient, Eq. 3) + 2 R k b (gradient of
a); Adam's elementwise update is not counted. lw: (T_1 + 1) forwards and T_1 backwards of the first
layer on m_1 = m/2 points, the features of the m_2 others once (2 R k m_2 n d), and (T_2 + 1)
second-layer forwards and T_2 gradients (2 R k m_2 each). The pattern-table path does far fewer flops
than that, so its GFLOP/s is an effective rate (same work, less time).
"""

from __future__ import annotations

import argparse
import ctypes
import math
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

import torch
from torch import nn
from torch.func import functional_call, grad, vmap

from lib.distributions import NoisyOrthogonalPatterns, OrthogonalPatterns, stack_samples
from lib.devices import default_device
from lib.models import ConvPool
from lib.protocol import figure_settings
from lib.samples import TRAIN_SEED_OFFSET
from lib.sweep import check_device
from lib.theory import regime
from lib.training import loss_and_grad, train, train_layerwise

# the §7 settings benchmarked
FIG3A, FIG3C = (
    figure_settings("fig3a", "full"),
    figure_settings("fig3c", "full"),
)
BATCH_SIZE = FIG3A.batch_size  # the §7 figures' minibatch size
# the SVM's training sizes (Fig. 3c's two largest m; --quick: a small one) and its target per fit
SVM_SIZES, SVM_QUICK_SIZES = (5_000, 10_000), (500,)
SVM_TARGET_SECONDS = 60


@dataclass(frozen=True)
class Workload:
    """One benchmark setting: `steps` trainer steps (minibatch Adam) or Algorithm 1's (T1, T2)."""

    name: str
    data: str  # "orthogonal", "noisy", "mnist"
    n: int
    d: int
    k: int
    m: int
    seeds: int
    steps: int  # minibatch workloads: Adam steps; lw: T1
    baseline_steps: int  # lw: T2
    lr: float = 3e-3
    radius: float = 1.0

    @property
    def layerwise(self) -> bool:
        return self.name == "lw"

    def flops(self, steps: int) -> float:
        """Flops of `steps` steps (lw: of the whole of Algorithm 1, `steps` ignored); module docstring."""
        R, k, n, d = self.seeds, self.k, self.n, self.d
        if self.layerwise:
            m1 = (self.m + 1) // 2
            m2 = self.m - m1
            T1, T2 = self.steps, self.baseline_steps
            return (
                2 * R * k * m1 * (T1 + 1) * (n * d + 1)
                + 2 * R * k * m1 * d * T1
                + 2 * R * k * m2 * n * d
                + 2 * R * k * m2 * (2 * T2 + 1)
            )
        b = min(BATCH_SIZE, self.m)
        return steps * 2 * R * k * b * (n * d + d + 2)


def workloads(quick: bool) -> list[Workload]:
    """The module docstring's workloads; `quick`: the same shapes with few steps (a smoke run), MNIST
    and lw smaller."""
    if quick:
        return [
            Workload("fig3a-table", "orthogonal", 10, 20, 500, 200, 2, 6, 2),
            Workload("fig3a-general", "noisy", 10, 20, 500, 200, 2, 6, 2),
            Workload("mnist", "mnist", 4, 784, 100, 200, 2, 4, 2),
            Workload("lw", "orthogonal", 10, 6, 216, 16, 2, 3, 10, radius=math.nan),
        ]
    return [
        Workload(
            "fig3a-table", "orthogonal", FIG3A.n, FIG3A.d, FIG3A.k, 1000, FIG3A.seeds, 500, 20
        ),
        Workload("fig3a-general", "noisy", FIG3A.n, FIG3A.d, FIG3A.k, 1000, FIG3A.seeds, 500, 20),
        Workload(
            "mnist",
            "mnist",
            FIG3C.n,
            FIG3C.d,
            FIG3C.k,
            FIG3C.grid[-1],
            10,
            math.ceil(FIG3C.grid[-1] / BATCH_SIZE),
            20,
        ),
        Workload("lw", "orthogonal", 10, 6, 13_824, 64, 10, 50, 500, radius=math.nan),
    ]


@dataclass
class Measurement:
    """One run of one workload by one implementation."""

    workload: str
    impl: str
    steps: int  # steps timed
    seconds: float  # scaled to the workload's full run
    flops: float  # of the full run
    peak_bytes: int
    loss_gap: float = math.nan  # max |trainer loss - this run's loss| (nan for the trainer itself)
    fixed_seconds: float = math.nan  # the trainer's time outside its steps (preparing the data)

    def gflops(self) -> float:
        return self.flops / self.seconds / 1e9


class NaiveConvPool(nn.Module):
    """ConvPool written the ordinary way, one seed: Conv1d(1, k, kernel_size=d, stride=d) without bias
    over the n d concatenated pixels, ReLU, max over the n positions, Linear(k, 1) without bias."""

    def __init__(self, W: torch.Tensor, a: torch.Tensor) -> None:
        super().__init__()
        k, d = W.shape
        self.conv = nn.Conv1d(
            1, k, kernel_size=d, stride=d, bias=False, dtype=W.dtype, device=W.device
        )
        self.out = nn.Linear(k, 1, bias=False, dtype=W.dtype, device=W.device)
        with torch.no_grad():
            self.conv.weight.copy_(W.unsqueeze(1))
            self.out.weight.copy_(a.unsqueeze(0))

    def features(self, X: torch.Tensor) -> torch.Tensor:
        """max_j ReLU(w_i . x[j]) for every point of X (m, n, d): (m, k)."""
        return torch.relu(self.conv(X.reshape(X.shape[0], 1, -1))).amax(-1)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.out(self.features(X)).squeeze(-1)


def logistic(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The paper's Eq. 2: mean log(1 + exp(-y N(x)))."""
    return nn.functional.softplus(-y * out).mean()


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize(device)


class _PeakMemory:
    """Peak memory of a block above the memory in use at its start: the CUDA allocator's peak, or on
    the CPU the peak resident set size (Linux VmHWM, reset at entry through /proc/self/clear_refs)."""

    def __init__(self, device: str) -> None:
        self.device, self.peak = device, 0

    def __enter__(self) -> _PeakMemory:
        if self.device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats(self.device)
            self.base = torch.cuda.memory_allocated(self.device)
        else:
            try:
                with open("/proc/self/clear_refs", "w") as fh:
                    fh.write("5")  # the peak resident set size starts again from the current one
                self.base = _proc_status("VmRSS")
            except OSError:  # not Linux: no measurement (printed as n/a)
                self.base = None
        return self

    def __exit__(self, *exc) -> None:
        if self.device.startswith("cuda"):
            self.peak = torch.cuda.max_memory_allocated(self.device) - self.base
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
    set tracks the live tensors (by default freed blocks stay resident and the peak of a later run
    would not show). False where mallopt is not available (not glibc)."""
    try:
        return bool(ctypes.CDLL("libc.so.6").mallopt(-3, 65536))  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        return False


def matmul_gflops(
    device: str, dtype: torch.dtype = torch.float32, size: int | None = None, repeats: int = 5
) -> float:
    """The machine's matmul rate in `dtype`: best of `repeats` plain `torch.mm` of two size x size matrices."""
    size = size or (8192 if device.startswith("cuda") else 2048)
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    torch.mm(a, b)
    best = math.inf
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        torch.mm(a, b)
        _sync(device)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def _data(w: Workload, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Training data: X (R, m, n, d) one set per seed, or (1, m, n, d) shared (mnist), and y."""
    dtype = torch.float64 if w.layerwise else torch.float32
    if w.data == "mnist":
        from lib.mnist import MnistPatterns

        X, y = MnistPatterns(w.n).sample(w.m, seed=TRAIN_SEED_OFFSET)
        X, y = X.unsqueeze(0), y.unsqueeze(0)
    else:
        if w.data == "noisy":
            dist = NoisyOrthogonalPatterns(
                w.n, w.d, noise=1.0, noise_law="ball", basis="random", dtype=dtype
            )
        else:
            dist = OrthogonalPatterns(w.n, w.d, basis="random", dtype=dtype)
        X, y = stack_samples(dist, w.m, [TRAIN_SEED_OFFSET + s for s in range(w.seeds)])
    return X.to(device=device, dtype=dtype), y.to(device=device, dtype=dtype)


def _model(w: Workload, device: str) -> ConvPool:
    if w.layerwise:
        rg = regime(w.d, w.k, w.steps)
        return ConvPool(
            w.d, w.k, replicas=w.seeds, radius=rg.radius, seed=0, dtype=torch.float64, device=device
        )
    return ConvPool(w.d, w.k, replicas=w.seeds, radius=w.radius, seed=0, device=device)


def _batches(w: Workload, steps: int) -> list[torch.Tensor]:
    """The point indices of the trainer's first `steps` minibatches (drawn from its seed, 0)."""
    gen = torch.Generator().manual_seed(0)
    return [torch.randperm(w.m, generator=gen)[:BATCH_SIZE] for _ in range(steps)]


def run_trainer(
    w: Workload, X, y, steps: int, device: str, final: bool = True
) -> tuple[float, torch.Tensor | None]:
    """(seconds, full training loss per seed at the end, None unless `final`) of `steps` trainer steps
    (lw: Algorithm 1, loss: L_2 at the end, `steps` ignored)."""
    net = _model(w, device)
    _sync(device)
    start = time.perf_counter()
    if w.layerwise:
        rg = regime(w.d, w.k, w.steps)
        res = train_layerwise(net, X, y, T1=w.steps, T2=w.baseline_steps, lr1=rg.lr1, lr2=4.0 * w.k)
        loss = res.loss2[-1]
    else:
        batch = BATCH_SIZE if w.m > BATCH_SIZE else None
        train(
            net,
            X,
            y,
            lr=w.lr,
            steps=steps,
            batch_size=batch,
            seed=0,
            optimizer="adam",
            evaluate=False,
        )
    _sync(device)
    seconds = time.perf_counter() - start
    if not final:
        return seconds, None
    if not w.layerwise:  # the full training loss, not timed (as the baselines')
        with torch.no_grad():
            out = torch.cat([net(X[:, s : s + 1024]) for s in range(0, w.m, 1024)], 1)
            loss = loss_and_grad(out, y.expand_as(out).to(out), "logistic")[0].cpu()
    return seconds, loss


def run_naive(
    w: Workload, X, y, steps: int, device: str, final: bool = True
) -> tuple[float, torch.Tensor | None]:
    """(a): one nn.Module per seed, trained one after the other with autograd."""
    init = _model(w, device)
    losses = []
    seconds = 0.0
    for r in range(w.seeds):
        net = NaiveConvPool(init.W[r].detach(), init.a[r].detach())
        Xr, yr = X[r if X.shape[0] > 1 else 0], y[r if y.shape[0] > 1 else 0]
        _sync(device)
        start = time.perf_counter()
        if w.layerwise:
            rg = regime(w.d, w.k, w.steps)
            m1 = (w.m + 1) // 2
            opt = torch.optim.SGD([net.conv.weight], lr=rg.lr1)
            _naive_steps(w.steps, opt, lambda: logistic(net(Xr[:m1]), yr[:m1]))
            with torch.no_grad():
                z = net.features(Xr[m1:])
            opt = torch.optim.SGD([net.out.weight], lr=4.0 * w.k)
            _naive_steps(w.baseline_steps, opt, lambda: logistic(net.out(z).squeeze(-1), yr[m1:]))
        else:
            opt = torch.optim.Adam(net.parameters(), lr=w.lr)
            batches = iter(_batches(w, steps))

            def minibatch_loss() -> torch.Tensor:
                idx = next(batches).to(device)
                return logistic(net(Xr[idx]), yr[idx])

            _naive_steps(steps, opt, minibatch_loss)
        _sync(device)
        seconds += time.perf_counter() - start  # the steps only: the final loss is not timed
        if not final:
            continue
        with torch.no_grad():
            losses.append(
                logistic(net.out(z).squeeze(-1), yr[m1:]) if w.layerwise else logistic(net(Xr), yr)
            )
    return seconds, torch.stack(losses).cpu() if final else None


def _naive_steps(steps: int, opt: torch.optim.Optimizer, loss: Callable[[], torch.Tensor]) -> None:
    for _ in range(steps):
        opt.zero_grad()
        loss().backward()
        opt.step()


def run_vmap(
    w: Workload, X, y, steps: int, device: str, final: bool = True
) -> tuple[float, torch.Tensor | None]:
    """(b): the nn.Module batched over the seeds with torch.func (vmap of grad of functional_call)."""
    init = _model(w, device)
    base = NaiveConvPool(init.W[0].detach(), init.a[0].detach()).to("meta")
    W = init.W.detach().clone().unsqueeze(2)  # (R, k, 1, d): Conv1d's weight per seed
    a = init.a.detach().clone().unsqueeze(1)  # (R, 1, k): Linear's weight per seed
    x_dim = 0 if X.shape[0] > 1 else None  # one training set per seed, or one for all
    X, y = (X, y) if x_dim == 0 else (X[0], y[0])

    def rows(t: torch.Tensor, idx) -> torch.Tensor:
        return t[:, idx] if x_dim == 0 else t[idx]

    def loss_of(w_conv, w_out, Xb, yb):
        return logistic(
            functional_call(base, {"conv.weight": w_conv, "out.weight": w_out}, (Xb,)), yb
        )

    _sync(device)
    start = time.perf_counter()
    if w.layerwise:
        rg = regime(w.d, w.k, w.steps)
        m1 = (w.m + 1) // 2
        W.requires_grad_(True)
        opt = torch.optim.SGD([W], lr=rg.lr1)
        grad_W = vmap(grad(loss_of), in_dims=(0, 0, x_dim, 0))
        for _ in range(w.steps):
            W.grad = grad_W(W.detach(), a, rows(X, slice(0, m1)), rows(y, slice(0, m1)))
            opt.step()
        with torch.no_grad():  # the pooled features of S_2, as NaiveConvPool.features computes them
            z = vmap(
                lambda wc, Xb: torch.relu(
                    nn.functional.conv1d(Xb.reshape(Xb.shape[0], 1, -1), wc, stride=w.d)
                ).amax(-1),
                in_dims=(0, x_dim),
            )(W.detach(), rows(X, slice(m1, None)))
        a.requires_grad_(True)
        opt = torch.optim.SGD([a], lr=4.0 * w.k)

        def second_layer_loss(w_out, zb, yb):
            return logistic(zb @ w_out.squeeze(0), yb)

        grad_a = vmap(grad(second_layer_loss), in_dims=(0, 0, x_dim))
        for _ in range(w.baseline_steps):
            a.grad = grad_a(a.detach(), z, rows(y, slice(m1, None)))
            opt.step()
        # noqa: E731
        final_loss = lambda: vmap(second_layer_loss, in_dims=(0, 0, x_dim))(
            a, z, rows(y, slice(m1, None))
        )
    else:
        W.requires_grad_(True)
        a.requires_grad_(True)
        opt = torch.optim.Adam([W, a], lr=w.lr)
        grads = vmap(grad(loss_of, argnums=(0, 1)), in_dims=(0, 0, x_dim, x_dim))
        for idx in _batches(w, steps):
            idx = idx.to(device)
            W.grad, a.grad = grads(W.detach(), a.detach(), rows(X, idx), rows(y, idx))
            opt.step()
        final_loss = lambda: vmap(loss_of, in_dims=(0, 0, x_dim, x_dim))(W, a, X, y)  # noqa: E731
    _sync(device)
    seconds = time.perf_counter() - start  # the steps only: the final loss is not timed
    if not final:
        return seconds, None
    with torch.no_grad():
        return seconds, final_loss().cpu()


IMPLS: dict[str, Callable] = {"trainer": run_trainer, "nn.Module": run_naive, "vmap": run_vmap}


MEMORY_STEPS = 3  # the steps of the runs that measure peak memory (it is reached at the first step)


REPEATS = 3  # timed runs of each minibatch workload; the fastest counts (the others met more noise)


def measure(
    w: Workload, device: str, threads: int | None = None, peaks: dict[str, int] | None = None
) -> list[Measurement]:
    """The three timed runs of workload `w`, with the memory allocator as a user has it (on the
    minibatch workloads, each after a one-step warm-up: oneDNN and the allocator build their primitives
    at a shape's first use, and the fastest of REPEATS runs; lw: one run), and their peak memory from
    `peaks` (`peak_memory`; -1: not measured)."""
    if threads is not None:
        torch.set_num_threads(threads)
    X, y = _data(w, device)
    out = []
    for impl, fn in IMPLS.items():
        steps = w.steps if impl == "trainer" or w.layerwise else w.baseline_steps
        if not w.layerwise:
            fn(w, X, y, 1, device, final=False)  # warm-up
        repeats = 1 if w.layerwise else REPEATS
        seconds, loss = min(
            (fn(w, X, y, steps, device) for _ in range(repeats)), key=lambda run: run[0]
        )
        fixed = math.nan
        # the losses the baselines must reach: after as many steps as they run
        if impl == "trainer":
            reference = loss
            if not w.layerwise:  # the steps' time: less that of a shorter run (same preparation)
                short, reference = min(
                    (run_trainer(w, X, y, w.baseline_steps, device) for _ in range(repeats)),
                    key=lambda run: run[0],
                )
                step = (seconds - short) / (w.steps - w.baseline_steps)
                if step <= 0:  # a run too short for its noise: no split of steps and preparation
                    step = seconds / w.steps
                seconds, fixed = step * w.steps, seconds - step * w.steps
        gap = (
            math.nan
            if impl == "trainer"
            else (loss.double() - reference.double()).abs().max().item()
        )
        scale = 1.0 if w.layerwise else w.steps / steps
        peak = -1 if peaks is None else peaks[impl]
        out.append(
            Measurement(w.name, impl, steps, seconds * scale, w.flops(w.steps), peak, gap, fixed)
        )
    return out


def peak_memory(w: Workload, device: str, threads: int | None = None) -> dict[str, int]:
    """Per implementation, the peak memory (bytes) that a run of MEMORY_STEPS steps of `w` adds, after a
    one-step warm-up, without its final loss; on the CPU with freed blocks handed back to the OS, which
    slows allocation: `run_bench` measures it in a process of its own, apart from the timed runs."""
    if threads is not None:
        torch.set_num_threads(threads)
    if device == "cpu":
        _return_freed_memory()
    X, y = _data(w, device)
    brief = replace(
        w, steps=min(w.steps, MEMORY_STEPS), baseline_steps=min(w.baseline_steps, MEMORY_STEPS)
    )
    peaks = {}
    for impl, fn in IMPLS.items():
        if not w.layerwise:
            fn(brief, X, y, 1, device, final=False)
        with _PeakMemory(device) as mem:
            fn(brief, X, y, MEMORY_STEPS, device, final=False)
        peaks[impl] = mem.peak
    return peaks


def run_bench(quick: bool, device: str, threads: int | None = None, fresh: bool = True):
    """Yield the measurements of every workload: its peak memory, then its timed runs, each in a fresh
    process (spawn), or all in this one (memory first) unless `fresh`."""
    for w in workloads(quick):
        if not fresh:
            yield from measure(w, device, threads, peak_memory(w, device, threads))
            continue
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            peaks = pool.submit(peak_memory, w, device, threads).result()
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            yield from pool.submit(measure, w, device, threads, peaks).result()


def header(device: str, mm32: float, mm64: float, quick: bool) -> str:
    return "\n".join(
        [
            f"device: {device}  torch {torch.__version__}  threads: {torch.get_num_threads()}  "
            f"load average (1/5/15 min): {_load()}{'  [--quick: few steps, smaller mnist and lw]' if quick else ''}",
            f"plain torch.mm: float32 {mm32:.1f} GFLOP/s, float64 {mm64:.1f} GFLOP/s",
            "",
            f"{'workload':<14} {'run':<10} {'timed':>6} {'ms/step':>9} {'seconds':>8} {'GFLOP/s':>8} {'of mm':>6} "
            f"{'speed-up':>9} {'peak MiB':>9} {'fixed s':>8} {'loss gap':>9}",
        ]
    )


def row(r: Measurement, trainer: Measurement, mm: float, steps: int) -> str:
    speed = "" if r.impl == "trainer" else f"{r.seconds / trainer.seconds:8.1f}x"
    gap = "" if math.isnan(r.loss_gap) else f"{r.loss_gap:9.1e}"
    fixed = "" if math.isnan(r.fixed_seconds) else f"{r.fixed_seconds:8.2f}"
    return (
        f"{r.workload:<14} {r.impl:<10} {r.steps:>6} {1e3 * r.seconds / steps:9.2f} {r.seconds:8.2f} "
        f"{r.gflops():8.2f} {r.gflops() / mm:6.1%} {speed:>9} {_mib(r.peak_bytes):>9} {fixed:>8} {gap:>9}"
    )


FOOTER = (
    "timed: steps actually run, the fastest of 3 runs (the baselines' seconds are scaled to the trainer's\n"
    "steps; lw: T1, then T2 steps, all run, once). ms/step: per trainer step (lw: per first-layer step,\n"
    "both phases included).\n"
    "seconds: of the steps alone (the trainer's from two runs of different lengths; 'fixed s': the rest of\n"
    "`train`, the preparation of the data). peak MiB: of a separate run of 3 steps, final loss excluded.\n"
    "speed-up: the run's seconds / the trainer's. 'of mm': GFLOP/s / the plain torch.mm rate of the\n"
    "workload's dtype. loss gap: max over seeds of |trainer - run| full training loss after the timed\n"
    "steps (same initial weights and minibatches, so ~0; lw: L_2 at the end).\n"
    "targets: trainer >= 10x nn.Module and >= 2x vmap on fig3a-*; mnist trainer >= 40% of the float32 mm rate;\n"
    f"svm: one exact fit at m = 10,000 within {SVM_TARGET_SECONDS} s."
)


def svm_fits(quick: bool) -> list[dict]:
    """One `linear_svm` fit on Fig. 3c's first training set (seed 0 of the full profile) at each m of
    SVM_SIZES (SVM_QUICK_SIZES with `quick`): m, kind, seconds, KKT residual."""
    from lib.baselines import linear_svm
    from lib.protocol import distribution, sample_sets

    rows = []
    for m in SVM_QUICK_SIZES if quick else SVM_SIZES:
        X, y = sample_sets(distribution(FIG3C), m, [FIG3C.seed], TRAIN_SEED_OFFSET)
        fit = linear_svm(X[0], y[0])
        rows.append({"m": m, "kind": fit.kind, "seconds": fit.seconds, "kkt": fit.kkt_residual})
    return rows


def svm_table(rows: list[dict]) -> str:
    """The SVM's lines of the report, each with the target where it applies (m = 10,000)."""
    lines = [
        "exact linear SVM on Fig. 3c's first training set (lib.baselines.linear_svm, BLAS on one thread):",
        f"{'workload':<14} {'m':>6} {'kind':<6} {'seconds':>8} {'KKT':>9}  target",
    ]
    for r in rows:
        target = f"<= {SVM_TARGET_SECONDS} s" if r["m"] == 10_000 else ""
        line = (
            f"{'svm':<14} {r['m']:>6} {r['kind']:<6} {r['seconds']:8.2f} {r['kkt']:9.1e}  {target}"
        )
        lines.append(line.rstrip())
    return "\n".join(lines)


def _mib(nbytes: int) -> str:
    return "n/a" if nbytes < 0 else f"{nbytes / 2**20:.1f}"


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lib.bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: few steps, small mnist and lw, one process",
    )
    parser.add_argument(
        "--device", default=None, help="cpu, cuda or cuda:N (default: cuda when present)"
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)"
    )
    args = parser.parse_args(argv)
    try:
        device = check_device(args.device or default_device())
    except ValueError as exc:
        parser.error(str(exc))
    if args.threads is not None:
        if args.threads < 1:
            parser.error(f"--threads must be >= 1, got {args.threads}")
        torch.set_num_threads(args.threads)
    mm = {torch.float32: matmul_gflops(device), torch.float64: matmul_gflops(device, torch.float64)}
    print(header(device, mm[torch.float32], mm[torch.float64], args.quick), flush=True)
    trainer = None
    for result in run_bench(args.quick, device, args.threads, fresh=not args.quick):
        w = next(w for w in workloads(args.quick) if w.name == result.workload)
        trainer = result if result.impl == "trainer" else trainer
        print(
            row(result, trainer, mm[torch.float64 if w.layerwise else torch.float32], w.steps),
            flush=True,
        )
    print("\n" + svm_table(svm_fits(args.quick)), flush=True)
    print(f"\nload average at the end: {_load()}\n{FOOTER}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
