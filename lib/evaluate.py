"""Test errors of ConvPool replicas on a large test set, exact, evaluated once per distinct set of patterns
where the inputs are patterns (and in batches otherwise)."""

from __future__ import annotations

import numpy as np
import torch

from lib.fastpaths import PatternTable
from lib.models import ConvPool

EVAL_ELEMENTS = 30_000_000  # largest R * k * points evaluated at once (float64 features: 240 MB)


def test_errors(net: ConvPool, X: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """Test error per replica with sign(0) = -1. N(x) depends only on the set of distinct patches of x
    (a max over positions), so when the patches repeat (`PatternTable`), N is evaluated once per
    distinct set of patterns, at most 2^l of them, and the result is exact; otherwise in batches."""
    table = PatternTable.of(X.unsqueeze(0))
    if table is not None:
        sets, inverse = torch.unique(table.presence[0].T, dim=0, return_inverse=True)
        first = torch.full(
            (len(sets),), X.shape[0], dtype=torch.long, device=X.device
        ).scatter_reduce(0, inverse, torch.arange(X.shape[0], device=X.device), reduce="amin")
        with torch.no_grad():
            out = net(X[first])[:, inverse]
        return (torch.where(out > 0, 1.0, -1.0) != y.to(out)).double().mean(-1).cpu().numpy()
    batch = max(1, EVAL_ELEMENTS // (net.replicas * net.k))
    wrong = torch.zeros(net.replicas, dtype=torch.float64)
    with torch.no_grad():
        for start in range(0, X.shape[0], batch):
            out = net(X[start : start + batch])
            pred = torch.where(out > 0, 1.0, -1.0)
            wrong += (pred != y[start : start + batch].to(out)).double().sum(-1).cpu()
    return (wrong / X.shape[0]).numpy()
