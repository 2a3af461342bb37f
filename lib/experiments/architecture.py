"""Part II, architecture page: the first training run of the XOR-paper network (fixed +-1 output layer),
GD on the hinge loss."""

from __future__ import annotations

import dataclasses

import pandas as pd

from lib.distributions import OrthogonalPatterns
from lib.samples import test_set, training_sets
from lib.xor_network import xor_cnn
from lib.settings import Settings, integer, real
from lib.sweep import experiment
from lib.training import accuracy, train


@dataclasses.dataclass(frozen=True)
class FirstRunSettings(Settings):
    """The first run: `replicas` CNNs with k filters of each sign, full-batch GD on the hinge loss."""

    n: int = integer(20, "patches per input", 1, 1_000)
    d: int = integer(30, "dimension d = number of patterns (standard basis)", 3, 10_000)
    k: int = integer(50, "filters of each sign", 1, 100_000)
    m: int = integer(50, "training points per replica", 1, 1_000_000)
    replicas: int = integer(10, "replicas, each on its own training set", 1, 10_000)
    lr: float = real(0.1, "GD step size eta", 0.0, 1e6, low_open=True)
    init_std: float = real(
        1e-3, "standard deviation sigma_g of the initial filters", 0.0, 1e3, low_open=True
    )
    steps: int = integer(5000, "GD steps T", 1, 10**7)
    seed: int = integer(0, "base seed", 0, 2**32 - 1)


def _first_run_settings(profile: str) -> FirstRunSettings:
    return FirstRunSettings(replicas=10 if profile == "full" else 5)


def _first_run_grid(s: FirstRunSettings) -> list[dict]:
    return [s.as_dict()]


@experiment(
    "first_run",
    "The XOR-paper CNN, full-batch GD on the hinge loss (n=20, d=30, k=50, m=50)",
    _first_run_grid,
    settings=_first_run_settings,
)
def first_run(*, n, d, k, m, replicas, lr, init_std, steps, seed, device) -> pd.DataFrame:
    """Train `replicas` CNNs, each on its own training set of m points, and test each on fresh points.
    One row per replica, with its training-loss curve (comma-separated, one value per GD step)."""
    dist = OrthogonalPatterns(n, d)
    X, y = training_sets(dist, m, seed, replicas)
    net = xor_cnn(d, k, replicas=replicas, init_std=init_std, seed=seed, device=device)
    res = train(net, X, y, lr=lr, steps=steps, loss="hinge")
    acc = accuracy(net, *test_set(dist, seed))
    return pd.DataFrame(
        {
            "replica": range(replicas),
            "fitted": res.fitted.numpy(),
            "steps_to_fit": res.steps_to_fit.numpy(),
            "final_train_loss": res.loss[-1].numpy().astype(float),
            "test_accuracy": acc.numpy(),
            "loss_curve": [
                ",".join(f"{v:.6g}" for v in res.loss[:, r].tolist()) for r in range(replicas)
            ],
        }
    )
