"""Seed conventions shared by all experiments, so that every random draw comes from an explicit seed.

Replica r of an experiment point with base seed s uses model seed s + r, training-set seed
TRAIN_SEED_OFFSET + s + r and the point's test set is drawn from TEST_SEED_OFFSET + s: training and
test draws never share a seed.
"""
from __future__ import annotations

from contextlib import contextmanager

import math
from collections.abc import Sequence

import torch

from lib.distributions import stack_samples
from lib.models import ConvPool

TRAIN_SEED_OFFSET = 1_000
TEST_SEED_OFFSET = 1_000_000
TEST_SIZE = 2_000


def training_sets(dist, m: int, seed: int, replicas: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Independent training sets of m points for replicas seed, ..., seed + replicas - 1."""
    return stack_samples(dist, m, [TRAIN_SEED_OFFSET + seed + r for r in range(replicas)])


def test_set(dist, seed: int, size: int = TEST_SIZE) -> tuple[torch.Tensor, torch.Tensor]:
    """The test set of an experiment point with base seed `seed`."""
    return dist.sample(size, seed=TEST_SEED_OFFSET + seed)


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
        d, 2 * k, replicas=replicas, radius=init_std * math.sqrt(d), second_layer="fixed", init="gaussian",
        seed=seed, dtype=dtype, device=device, pattern_search=pattern_search,
    )


def split_tables(net: ConvPool, patterns: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The tables a_{i,p} = <w_i, o_p> (output +1 channels) and b_{i,p} = <u_i, o_p> (output -1
    channels) of a fixed-second-layer `ConvPool`, each (R, k/2, P)."""
    t = net.tables(patterns)
    half = net.k // 2
    return t[:, :half], t[:, half:]


@contextmanager
def single_thread_on_cpu(device: str):
    """Run the block on one torch thread when `device` is the CPU, then restore the previous number.
    The experiments' tensors are small, so one thread is fastest: more threads cost more in
    synchronisation than they save, many times more on a machine that other jobs keep busy."""
    before = torch.get_num_threads()
    if str(device).startswith("cpu"):
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
