"""Which seed draws which sample: the seed conventions shared by every experiment.

Replica r of an experiment point with base seed s uses model seed s + r and training-set seed
TRAIN_SEED_OFFSET + s + r; the point's test set is drawn from TEST_SEED_OFFSET + s (the §7 figures:
one test set per repetition, from TEST_SEED_OFFSET + s + r). Training and test draws never share a seed.
"""

from __future__ import annotations

import torch

from lib.distributions import stack_samples

TRAIN_SEED_OFFSET = 1_000
TEST_SEED_OFFSET = 1_000_000
THEORY_TEST_SIZE = (
    2_000  # test points of the theory chapters' points (the §7 figures use the paper's 1,000)
)


def training_sets(dist, m: int, seed: int, replicas: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Independent training sets of m points for replicas seed, ..., seed + replicas - 1."""
    return stack_samples(dist, m, [TRAIN_SEED_OFFSET + seed + r for r in range(replicas)])


def test_set(dist, seed: int, size: int = THEORY_TEST_SIZE) -> tuple[torch.Tensor, torch.Tensor]:
    """The test set of an experiment point with base seed `seed`."""
    return dist.sample(size, seed=TEST_SEED_OFFSET + seed)
