"""Part II's network: the authors' earlier XOR-paper network as a `ConvPool` with a fixed, balanced
+1/-1 second layer, and its two weight tables."""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from lib.models import ConvPool


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
