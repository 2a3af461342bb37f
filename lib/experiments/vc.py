"""Experiments of the chapter on the VC dimension (§4, Theorem 4.2), registered on import.

`vc_shattering`: the construction of `lib.shattering` checked on every labelling of the 2^(n-1)
points (n = 2..5) or on seeded random labellings (n = 6..8), one row per n.
`vc_memorisation`: what the bound means. On the shattered set with its true labels under D (+1 iff
the point holds o_1), the construction fitted to m training points and flipped on the others (zero
training error) against LW_CNN (Algorithm 1) trained on the same points; both evaluated on the unseen
points of the shattered set and on a fresh test set from D.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import torch

from lib import shattering
from lib.distributions import OrthogonalPatterns
from lib.samples import test_set
from lib.models import ConvPool
from lib.settings import Settings, integer, integers
from lib.sweep import experiment
from lib.training import accuracy, train_layerwise

MAX_EXHAUSTIVE_N = 5  # 2^(2^(n-1)) labellings: 65,536 at n = 5, 2^32 at n = 6


@dataclasses.dataclass(frozen=True)
class ShatteringSettings(Settings):
    """One point per n: every labelling of the 2^(n-1) points (n in exhaustive_ns), or `random_count`
    seeded random labellings (n in random_ns, seed n)."""

    exhaustive_ns: tuple[int, ...] = integers(
        (2, 3, 4, 5), "n checked on every labelling", 2, MAX_EXHAUSTIVE_N, empty=True
    )
    random_ns: tuple[int, ...] = integers(
        (6, 7, 8), "n checked on random labellings", 2, shattering.MAX_N, empty=True
    )
    random_count: int = integer(2_000, "random labellings per n", 1, 10**6)

    def validate(self) -> None:
        if not self.exhaustive_ns and not self.random_ns:
            raise ValueError("exhaustive_ns, random_ns: at least one n is needed, both are empty")


def _shattering_settings(profile: str) -> ShatteringSettings:
    return ShatteringSettings(random_count=2_000 if profile == "full" else 1_000)


def _shattering_grid(s: ShatteringSettings) -> list[dict]:
    exhaustive = [
        {"n": n, "labellings": "all", "count": 2**2 ** (n - 1), "seed": 0} for n in s.exhaustive_ns
    ]
    return exhaustive + [
        {"n": n, "labellings": "random", "count": s.random_count, "seed": n} for n in s.random_ns
    ]


@experiment(
    "vc_shattering",
    "Theorem 4.2's construction on every labelling (n <= 5) or on seeded random labellings (n = 6..8)",
    _shattering_grid,
    settings=_shattering_settings,
)
def vc_shattering(*, n, labellings, count, seed, device) -> pd.DataFrame:
    """One row: n, d, points, labellings tried and realised, cond, channels, min |N|, max |N - y|."""
    if labellings == "all":
        check = shattering.check_all_labellings(n)
    else:
        check = shattering.check_random_labellings(n, count, seed)
    row = check.row()
    row["labellings"] = labellings
    return pd.DataFrame([row])


# ---------------------------------------------------------------- what the bound means


@dataclasses.dataclass(frozen=True)
class MemorisationSettings(Settings):
    """One point per m: `seeds` training subsets of m of the 2^(n-1) shattered points (d = 2n)."""

    n: int = integer(8, "patches per input (d = 2n; 2^(n-1) shattered points)", 2, shattering.MAX_N)
    ms: tuple[int, ...] = integers(
        (8, 12, 16, 24, 32, 48, 64, 96, 112), "training points m, one point each", 1
    )
    k: int = integer(
        512,
        "LW_CNN's channels (below the theorem's 8 d^3 = 32,768 at n = 8: our relaxation)",
        1,
        10**6,
    )
    T1: int = integer(20, "LW_CNN's first-phase steps T_1", 0, 10**6)
    T2: int = integer(500, "LW_CNN's second-phase steps T_2", 0, 10**7)
    seeds: int = integer(10, "training subsets per m", 1, 10_000)
    seed: int = integer(0, "base seed", 0, 2**32 - 1)

    def validate(self) -> None:
        points = shattering.num_points(self.n)
        if max(self.ms) >= points:
            raise ValueError(
                f"ms must stay below the {points} shattered points of n = {self.n} (some must be "
                f"unseen), got {max(self.ms)}"
            )


def _memorisation_settings(profile: str) -> MemorisationSettings:
    if profile == "full":
        return MemorisationSettings()
    return MemorisationSettings(ms=(8, 16, 32, 64, 96), seeds=5)


def _memorisation_grid(s: MemorisationSettings) -> list[dict]:
    return [
        {"n": s.n, "m": m, "k": s.k, "T1": s.T1, "T2": s.T2, "seeds": s.seeds, "seed": s.seed}
        for m in s.ms
    ]


def shattered_sample(n: int, m: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The shattered set of n patches with true labels drawn from `seed` (fair signs; x_I[n] = o_1
    iff +1), and a uniformly random training subset of m of its points: (X (N, n, 2n), y (N,),
    train (N,) bool)."""
    N = shattering.num_points(n)
    g = torch.Generator().manual_seed(seed)
    y_true = (2 * torch.randint(0, 2, (N,), generator=g) - 1).to(torch.float64)
    X, y = shattering.points(n, y_true)
    train = torch.zeros(N, dtype=torch.bool)
    train[torch.randperm(N, generator=g)[:m]] = True
    return X, y, train


@experiment(
    "vc_memorisation",
    "Zero training error is not enough: the shattering network fitted to m points of the shattered set "
    "against LW_CNN on the same points",
    _memorisation_grid,
    settings=_memorisation_settings,
)
def vc_memorisation(*, n, m, k, T1, T2, seeds, seed, device) -> pd.DataFrame:
    """Rows (model, seed): training error, error on the unseen points of the shattered set and on
    2,000 fresh points of D. LW_CNN: k channels, eta_1 = 1/(4k(T1+1)), r = eta_1/200, eta_2 = 4k
    (the step rules of Theorem 5.1), float64."""
    d = 2 * n
    X_test, y_test = test_set(OrthogonalPatterns(n, d, dtype=torch.float64), seed)
    lr1 = 1.0 / (4 * k * (T1 + 1))
    rows = []
    samples = [shattered_sample(n, m, seed + r) for r in range(seeds)]
    X_train = torch.stack([X[train] for X, _, train in samples])
    y_train = torch.stack([y[train] for _, y, train in samples])
    X_unseen = torch.stack([X[~train] for X, _, train in samples])
    y_unseen = torch.stack([y[~train] for _, y, train in samples])
    cnn = ConvPool(
        d, k, replicas=seeds, radius=lr1 / 200, seed=seed, dtype=torch.float64, device=device
    )
    train_layerwise(cnn, X_train, y_train, T1=T1, T2=T2, lr1=lr1, lr2=4.0 * k)
    # the construction, one replica per seed: the labelling that is true on the training points only
    mem = shattering.network(
        n, torch.stack([shattering.memorising_labels(y, train) for _, y, train in samples])
    )
    for model, net in (("construction", mem), ("LW_CNN", cnn)):
        errors = [
            1 - accuracy(net, X, y)
            for X, y in ((X_train, y_train), (X_unseen, y_unseen), (X_test, y_test))
        ]
        for r in range(seeds):
            rows.append(
                {
                    "model": model,
                    "seed": seed + r,
                    "m": m,
                    "train_error": float(errors[0][r]),
                    "unseen_error": float(errors[1][r]),
                    "test_error": float(errors[2][r]),
                }
            )
    return pd.DataFrame(rows)
