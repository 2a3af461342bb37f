"""Part II's network and protocol: the authors' earlier XOR-paper network as a `ConvPool` with a fixed,
balanced +1/-1 second layer, its two weight tables, how Part II trains it (full-batch GD on the hinge
loss: `train_cnn`), and the fully connected networks it is compared with (`MODELS`, `fit_and_score`)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import pandas as pd
import torch

from lib._checks import show
from lib.distributions import P_MINUS, P_PLUS, OrthogonalPatterns
from lib.models import ConvPool, FullyConnected
from lib.samples import test_set, training_sets
from lib.settings import Settings, checked, integer, integers, real
from lib.training import TrainResult, accuracy, train


def xor_cnn(
    d: int,
    k: int,
    *,
    init_std: float = 1e-3,
    replicas: int = 1,
    seed: int | Sequence[int] = 0,
    dtype: torch.dtype = torch.float32,
    device=None,
    pattern_search: bool = True,
) -> ConvPool:
    """The network of Part II (the authors' earlier XOR-paper network): `ConvPool` with k channels of
    each sign (2k in all), a fixed, balanced +1/-1 second layer, and i.i.d. N(0, init_std^2) filter
    entries (radius init_std * sqrt(d), so E||w_i||^2 = d init_std^2). Channels 0..k-1 have output
    weight +1 (the "w" filters), channels k..2k-1 output weight -1 (the "u" filters)."""
    return ConvPool(
        d,
        2 * k,
        replicas=replicas,
        radius=init_std * math.sqrt(d),
        second_layer="fixed",
        init="gaussian",
        seed=seed,
        dtype=dtype,
        device=device,
        pattern_search=pattern_search,
    )


def split_tables(net: ConvPool, patterns: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The tables a_{i,p} = <w_i, o_p> (output +1 channels) and b_{i,p} = <u_i, o_p> (output -1
    channels) of a fixed-second-layer `ConvPool`, each (R, k/2, P)."""
    t = net.tables(patterns)
    half = net.k // 2
    return t[:, :half], t[:, half:]


N, D = 10, 30  # the chapters' problem size: n patches, d patterns
RECORD_STEPS = 100  # `record=True` keeps the filters after each of the first RECORD_STEPS steps


def step_cap(profile: str) -> int:
    """The cap T on GD steps: 2,000 in the full profile (a run that has not fitted by then counts as
    not reaching zero loss), 300 in the quick profile."""
    return 2_000 if profile == "full" else 300


def step_size(eta_rule: str, k: int) -> float:
    """eta for a rule: "2/k" (eta = 2/k, the book's width scaling) or a fixed number such as "0.1"."""
    return 2.0 / k if eta_rule == "2/k" else float(eta_rule)


def check_eta_rule(name: str, value: Any) -> str:
    """`value` if it is a rule of `step_size`: "2/k" or a positive finite number written as a string."""
    try:
        ok = value == "2/k" or (isinstance(value, str) and 0 < float(value) < math.inf)
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(
            f"{name} must be '2/k' or a positive number as a string such as '0.1', got {show(value)}"
        )
    return value


@dataclasses.dataclass(frozen=True)
class XorTraining(Settings):
    """How Part II trains the XOR-paper network: full-batch GD on the hinge loss (`train_cnn`)."""

    eta_rule: str = checked(
        "2/k", "GD step size: '2/k' (eta = 2/k) or a fixed eta such as '0.1'", check_eta_rule
    )
    init_std: float = real(
        1e-3,
        "sigma_g, the standard deviation of the initial filter entries",
        0.0,
        1e3,
        low_open=True,
    )
    steps: int = integer(2_000, "cap T on GD steps (`step_cap` of the profile)", 1, 10**7)
    seed: int = integer(0, "base seed", 0, 2**32 - 1)

    def point(self, **geometry: Any) -> dict[str, Any]:
        """A point: `geometry` (n, d, k, m, replicas ...), then these training settings."""
        return {
            **geometry,
            "eta_rule": self.eta_rule,
            "init_std": self.init_std,
            "steps": self.steps,
            "seed": self.seed,
        }


@dataclasses.dataclass(frozen=True)
class XorShape(XorTraining):
    """The training settings on D with n patches out of d patterns (the chapters' n = 10, d = 30)."""

    n: int = integer(N, "patches per input", 1, 1_000)
    d: int = integer(D, "dimension d = number of patterns (standard basis)", 3, 10_000)


@dataclasses.dataclass(frozen=True)
class XorGrid(XorShape):
    """One point per (k, m): `replicas` networks of width k, each on its own m points of D."""

    ks: tuple[int, ...] = integers(
        (50,), "widths k (filters of each sign), one point each", 1, 100_000
    )
    ms: tuple[int, ...] = integers((20,), "training points m, one point each", 1, 10**6)
    replicas: int = integer(20, "replicas per point", 1, 10_000)

    def points(self) -> list[dict[str, Any]]:
        return [
            self.point(n=self.n, d=self.d, k=k, m=m, replicas=self.replicas)
            for k in self.ks
            for m in self.ms
        ]


class CNNRun(NamedTuple):
    """What `train_cnn` returns: the distribution, the trained net, its training sets X (R, m, n, d) and
    y (R, m), the TrainResult, and per replica the detector counts at initialisation."""

    dist: OrthogonalPatterns
    net: ConvPool
    X: torch.Tensor
    y: torch.Tensor
    res: TrainResult
    detectors_plus: torch.Tensor
    detectors_minus: torch.Tensor


def train_cnn(
    *,
    n: int,
    d: int,
    k: int,
    m: int,
    replicas: int,
    lr: float,
    init_std: float,
    steps: int,
    seed: int,
    device: str,
    record: bool = False,
) -> CNNRun:
    """`replicas` CNNs (model seeds seed + r) trained at once, each on its own training set of m points,
    by full-batch GD on the hinge loss for at most `steps` steps (with `record`, a snapshot of the filters
    after each of the first RECORD_STEPS steps)."""
    dist = OrthogonalPatterns(n, d)
    X, y = training_sets(dist, m, seed, replicas)
    net = xor_cnn(d, k, replicas=replicas, init_std=init_std, seed=seed, device=device)
    det_plus, det_minus = detector_counts(net, dist.patterns)
    res = (
        _train_recorded(net, X, y, lr, steps)
        if record
        else train(net, X, y, lr=lr, steps=steps, loss="hinge")
    )
    return CNNRun(dist, net, X, y, res, det_plus, det_minus)


def _train_recorded(
    net: ConvPool, X: torch.Tensor, y: torch.Tensor, lr: float, steps: int
) -> TrainResult:
    """GD for `steps` steps with snapshots of the first RECORD_STEPS only: two `train` calls, the second
    continuing the first (replicas that fitted in the first call stay frozen). Same trajectory as one call."""
    first = train(net, X, y, lr=lr, steps=min(steps, RECORD_STEPS), record_every=1, loss="hinge")
    if bool(first.fitted.all()) or steps <= RECORD_STEPS:
        return first
    rest = train(net, X, y, lr=lr, steps=steps - RECORD_STEPS, loss="hinge")
    later = torch.where(rest.fitted, rest.steps_to_fit + RECORD_STEPS, -1)
    steps_to_fit = torch.where(first.fitted, first.steps_to_fit, later)
    return TrainResult(
        loss=torch.cat([first.loss, rest.loss[1:]]),
        steps_to_fit=steps_to_fit,
        fitted=steps_to_fit >= 0,
        steps_run=RECORD_STEPS + rest.steps_run,
        snapshots=first.snapshots,
        seconds=first.seconds + rest.seconds,
    )


def detector_counts(net: ConvPool, patterns: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per replica, the number of w-filters that detect p_plus and of u-filters that detect p_minus:
    the filter's dot product with that pattern is its largest and is positive (`lib.xor_theory.detector_probability`)."""
    a, b = split_tables(net, patterns)

    def count(t: torch.Tensor, p: int) -> torch.Tensor:
        return ((t.argmax(-1) == p) & (t[..., p] > 0)).sum(-1)

    return count(a, P_PLUS).cpu(), count(b, P_MINUS).cpu()


VAL_SEED_OFFSET = (
    2_000_000  # the validation sample of base seed s is drawn from seed VAL_SEED_OFFSET + s
)
VAL_SIZE = 1_000

# model name -> architecture and learning-rate grid (the grids are documented on the Part II page cnn_vs_fcn)
MODELS = {
    "CNN k=50": dict(kind="cnn", k=50, lrs=[0.02, 0.05, 0.1], steps=2000),
    "FCN-2 w=100": dict(kind="fcn", width=100, depth=2, lrs=[0.5, 1.0, 2.0], steps=300),
    "FCN-2 w=1000": dict(kind="fcn", width=1000, depth=2, lrs=[0.5, 1.0, 2.0], steps=300),
    "FCN-3 w=100": dict(kind="fcn", width=100, depth=3, lrs=[0.25, 0.5, 1.0], steps=300),
}


def make_model(model: str, n: int, d: int, seeds: list[int], device: str) -> torch.nn.Module:
    """The replicated network `model` (a key of MODELS) for inputs of n patches in R^d."""
    spec = MODELS[model]
    if spec["kind"] == "cnn":
        return xor_cnn(d, spec["k"], replicas=len(seeds), init_std=1e-3, seed=seeds, device=device)
    return FullyConnected(
        n * d, spec["width"], depth=spec["depth"], replicas=len(seeds), seed=seeds, device=device
    )


def fit_and_score(
    model: str,
    train_dist,
    eval_dist,
    *,
    m: int,
    seeds: int,
    seed: int,
    lrs: list[float] | None = None,
    device: str,
) -> pd.DataFrame:
    """Train `seeds` x len(lrs) replicas of `model` (one training set of m points from `train_dist`
    per seed, shared by its learning rates), pick the learning rate on a validation sample from
    `train_dist`, and test every replica on a test sample from `eval_dist`.
    One row per (seed, lr): fitted, steps_to_fit, val_accuracy, test_accuracy, selected."""
    spec = MODELS[model]
    lrs = list(spec["lrs"] if lrs is None else lrs)
    L = len(lrs)
    X, y = training_sets(train_dist, m, seed, seeds)
    X, y = X.repeat_interleave(L, 0), y.repeat_interleave(L, 0)
    net = make_model(
        model, train_dist.n, train_dist.d, [seed + s for s in range(seeds) for _ in lrs], device
    )
    res = train(
        net, X, y, lr=[lr for _ in range(seeds) for lr in lrs], steps=spec["steps"], loss="hinge"
    )
    val = accuracy(net, *train_dist.sample(VAL_SIZE, seed=VAL_SEED_OFFSET + seed)).view(seeds, L)
    test = accuracy(net, *test_set(eval_dist, seed)).view(seeds, L)
    best = int(val.mean(0).argmax())
    return pd.DataFrame(
        {
            "model": model,
            "kind": spec["kind"],
            "seed": [s for s in range(seeds) for _ in lrs],
            "lr": lrs * seeds,
            "fitted": res.fitted.numpy(),
            "steps_to_fit": res.steps_to_fit.numpy(),
            "val_accuracy": val.flatten().numpy(),
            "test_accuracy": test.flatten().numpy(),
            "selected": [l == best for _ in range(seeds) for l in range(L)],
            "parameters": net.num_parameters,
        }
    )
