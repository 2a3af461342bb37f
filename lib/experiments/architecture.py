"""Part II, architecture page: the first training run of the XOR-paper network (fixed +-1 output layer),
GD on the hinge loss."""
from __future__ import annotations

import pandas as pd

from lib.distributions import OrthogonalPatterns
from lib.samples import test_set, training_sets
from lib.xor_network import xor_cnn
from lib.sweep import experiment
from lib.training import accuracy, train


def _first_run_grid(profile: str) -> list[dict]:
    replicas = 10 if profile == "full" else 5
    return [dict(n=20, d=30, k=50, m=50, replicas=replicas, lr=0.1, init_std=1e-3, steps=5000, seed=0)]


@experiment("first_run", "The XOR-paper CNN, full-batch GD on the hinge loss (n=20, d=30, k=50, m=50)", _first_run_grid)
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
            "loss_curve": [",".join(f"{v:.6g}" for v in res.loss[:, r].tolist()) for r in range(replicas)],
        }
    )
