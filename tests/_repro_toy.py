"""A small training experiment for the reproducibility tests (tests/test_reproducibility.py).

`compute(**point, device=...)` trains R CNNs and R FCNs on their own training sets (seed conventions
of lib/samples.py) and returns one row per model and GD step with the exact float loss,
plus each model's steps to fit and test accuracy. Run as a script, it computes POINTS[0] in a fresh
process with ONE torch thread and prints the table as JSON (Python floats round-trip exactly).
"""

from __future__ import annotations

import json

import pandas as pd
import torch

from lib.distributions import OrthogonalPatterns
from lib.samples import test_set, training_sets
from lib.xor_network import xor_cnn
from lib.models import FullyConnected
from lib.training import accuracy, train

NAME = "repro_toy"
POINTS = [
    dict(n=5, d=8, k=6, width=16, m=24, replicas=3, lr=0.05, steps=25, seed=s) for s in (0, 7)
]


def grid(profile: str) -> list[dict]:
    return POINTS


def compute(*, n, d, k, width, m, replicas, lr, steps, seed, device) -> pd.DataFrame:
    dist = OrthogonalPatterns(n, d)
    X, y = training_sets(dist, m, seed, replicas)
    X_test, y_test = test_set(dist, seed, 300)
    rows = []
    for name, net in [
        ("cnn", xor_cnn(d, k, replicas=replicas, init_std=0.1, seed=seed, device=device)),
        ("fcn", FullyConnected(n * d, width, replicas=replicas, seed=seed, device=device)),
    ]:
        res = train(net, X, y, lr=lr, steps=steps, early_stop=False, loss="hinge")
        acc = accuracy(net, X_test, y_test)
        for r in range(replicas):
            for t, value in enumerate(res.loss[:, r].tolist()):
                rows.append(
                    dict(
                        model=name,
                        replica=r,
                        step=t,
                        loss=value,
                        steps_to_fit=int(res.steps_to_fit[r]),
                        test_accuracy=float(acc[r]),
                    )
                )
    return pd.DataFrame(rows)


if __name__ == "__main__":
    torch.set_num_threads(1)
    print(json.dumps(compute(**POINTS[0], device="cpu").to_dict("list")))
