"""Seed conventions shared by all experiments, so that every random draw comes from an explicit seed.

Replica r of an experiment point with base seed s uses model seed s + r, training-set seed
TRAIN_SEED_OFFSET + s + r and the point's test set is drawn from TEST_SEED_OFFSET + s: training and
test draws never share a seed.
"""
from __future__ import annotations

import torch

from lib.distributions import stack_samples

TRAIN_SEED_OFFSET = 1_000
TEST_SEED_OFFSET = 1_000_000
TEST_SIZE = 2_000


def training_sets(dist, m: int, seed: int, replicas: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Independent training sets of m points for replicas seed, ..., seed + replicas - 1."""
    return stack_samples(dist, m, [TRAIN_SEED_OFFSET + seed + r for r in range(replicas)])


def test_set(dist, seed: int, size: int = TEST_SIZE) -> tuple[torch.Tensor, torch.Tensor]:
    """The test set of an experiment point with base seed `seed`."""
    return dist.sample(size, seed=TEST_SEED_OFFSET + seed)
