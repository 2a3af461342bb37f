"""Exact faster layouts of ConvPool's inputs (the formulas stay in lib/models.py): the pattern table
(each patch kept as the index of its pattern, when the inputs are a few repeated vectors) and the
position-major layout of the general path. lib/models.py's docstring says when each is used."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class PatternTable:
    """Inputs whose patches are all rows of a small pattern matrix O (U, d), kept as the pattern of each
    patch: index[b, s, j] = p when patch j of point s is O[p] (b: 0, or the replica of a per-replica
    training set). Every filter-patch score is then an entry of the (k, U) table W O^T, which is all
    the pattern-table path of `ConvPool` needs."""

    patterns: torch.Tensor  # (U, d): the distinct patches, U <= MAX_PATTERNS
    index: torch.Tensor  # (1 or R, m, n) long: the pattern of every patch

    MAX_PATTERNS = 255  # distinct patches of one replica's data
    MAX_UNION = 4 * MAX_PATTERNS  # distinct patches of all replicas' data together

    @classmethod
    def of(cls, X: torch.Tensor) -> PatternTable | None:
        """The table of X (1 or R, m, n, d), or None (the general path) unless every replica's data
        (X[b]) has at most MAX_PATTERNS distinct patches and at most n m / 2, half its patches (the
        paper's patterns repeat, noisy patches and digits do not), and all replicas together at most
        MAX_UNION. The choice is made per replica, so a replica takes the same path alone as in a batch,
        except in a batch whose replicas each qualify but hold more than MAX_UNION distinct patches
        together (different bases): that batch takes the general path."""
        B, m, n, d = X.shape
        if X.numel() == 0:
            return None
        limit = min(cls.MAX_PATTERNS, n * m // 2)
        # a cheap first look, where noisy patches and digits fail: rows with distinct projections on
        # a fixed direction are distinct, so more than `limit` distinct projections rule the table out
        head = X[0].reshape(-1, d)[: 64 * cls.MAX_PATTERNS]
        direction = torch.linspace(1.0, 2.0, d, dtype=torch.float64, device=X.device)
        if torch.unique(head.to(torch.float64) @ direction).numel() > limit:
            return None
        if unique_rows(head)[0].shape[0] > limit:
            return None
        patterns, index = unique_rows(X.reshape(-1, d))
        if patterns.shape[0] > min(cls.MAX_UNION, B * limit):
            return None
        ranked = index.view(B, m * n).sort(dim=1).values
        distinct = (ranked[:, 1:] != ranked[:, :-1]).sum(
            1
        ) + 1  # each replica's own distinct patches
        if int(distinct.max()) > limit:
            return None
        return cls(patterns.contiguous(), index.view(B, m, n))

    @property
    def presence(self) -> torch.Tensor:
        """(1 or R, U, m) bool: presence[b, p, s] is True when O[p] is a patch of point s."""
        B, m, _ = self.index.shape
        presence = torch.zeros(
            B, m, self.patterns.shape[0], dtype=torch.bool, device=self.index.device
        )
        return presence.scatter_(2, self.index, True).transpose(1, 2)

    def points(self, batch: torch.Tensor) -> PatternTable:
        """The inputs of the points `batch` (a minibatch)."""
        return PatternTable(self.patterns, self.index[:, batch])


def unique_rows(rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """`torch.unique(rows, dim=0, return_inverse=True)` (the distinct rows in lexicographic order, and
    each row's index among them) by one stable sort per column, last column first: torch's own
    `unique(dim=0)` compares rows one pair at a time, which dominates a short training run."""
    order = torch.arange(rows.shape[0], device=rows.device)
    for j in range(rows.shape[1] - 1, -1, -1):
        order = order[torch.sort(rows[order, j], stable=True)[1]]
    ranked = rows[order]
    # the first row of each group
    first = torch.ones(rows.shape[0], dtype=torch.bool, device=rows.device)
    first[1:] = (ranked[1:] != ranked[:-1]).any(1)
    inverse = torch.empty_like(order)
    inverse[order] = torch.cumsum(first, 0) - 1
    return ranked[first], inverse


@dataclass(frozen=True)
class PositionMajor:
    """Inputs X (1 or R, m, n, d) stored position-major, as patches (1 or R, n*m, d) with x_{s, j} in
    row j*m + s: the general path's layout, in which the scores of one position are contiguous."""

    patches: torch.Tensor
    n: int

    @classmethod
    def of(cls, X: torch.Tensor) -> PositionMajor:
        B, m, n, d = X.shape
        return cls(X.transpose(1, 2).reshape(B, n * m, d), n)

    def points(self, batch: torch.Tensor) -> PositionMajor:
        """The inputs of the points `batch` (a minibatch)."""
        B, nm, d = self.patches.shape
        return PositionMajor(
            self.patches.view(B, self.n, nm // self.n, d)[:, :, batch].reshape(B, -1, d), self.n
        )
