"""The paper's pattern-detection distribution (paper.md §1, "Data distribution").

An input x = (x_1, ..., x_n) is made of n patches in R^d, each one of d orthonormal patterns
o_0, ..., o_{d-1}. Pattern o_0 is the positive discriminative pattern p_plus, o_1 the negative one
p_minus, and o_2, ..., o_{d-1} are the d - 2 spurious patterns. A point with label y = +1 holds p_plus
(and never p_minus); a point with y = -1 holds p_minus (and never p_plus). The other positions hold
spurious patterns.

The exact sampler of the paper's v4 was not available to us; the defaults below are our reconstruction
[I] of paper.md §1: y uniform, the discriminative pattern placed once at a uniform position, the other
n - 1 patches i.i.d. uniform over the spurious patterns, the same law for both labels. Every default is
a keyword argument, so a reader with the PDF changes it in one place.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch

from lib._checks import check_float, check_int

P_PLUS, P_MINUS = 0, 1  # indices of the discriminative patterns in `patterns`


class OrthogonalPatterns:
    """The distribution D over inputs of `n` patches in R^d with orthonormal patterns.

    Parameters
    ----------
    n : number of patches per input (n >= 1).
    d : patch (= filter) dimension and number of patterns (d >= 3: p_plus, p_minus, >= 1 spurious).
    copies : how many positions hold the discriminative pattern p_y (1 <= copies <= n; paper.md §1 [I]: 1).
    p_positive : probability of the label y = +1 (in [0, 1]; default 0.5).
    spurious_probs : weights of the d - 2 spurious patterns at the other positions of positive points
        (default: uniform). Normalised to sum to 1.
    spurious_probs_negative : the same for negative points (default: equal to `spurious_probs`, i.e. a
        spurious law independent of the label).
    rotation_seed : None for the standard basis (paper.md §1), or a seed for a random rotation of it
        (the patterns are then the rows of a random orthogonal matrix).
    dtype : floating dtype of the sampled inputs.
    """

    def __init__(
        self,
        n: int,
        d: int,
        *,
        copies: int = 1,
        p_positive: float = 0.5,
        spurious_probs: Sequence[float] | torch.Tensor | None = None,
        spurious_probs_negative: Sequence[float] | torch.Tensor | None = None,
        rotation_seed: int | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        self.n = check_int("n", n, 1)
        self.d = check_int("d", d, 3)
        self.copies = check_int("copies", copies, 1, self.n)
        self.p_positive = check_float("p_positive", p_positive, 0.0, 1.0)
        if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
            raise ValueError(f"dtype must be a floating torch dtype such as torch.float32, got {dtype!r}")
        self.dtype = dtype
        self.spurious_probs = _spurious_law("spurious_probs", spurious_probs, self.d)
        self.spurious_probs_negative = (
            self.spurious_probs.clone()
            if spurious_probs_negative is None
            else _spurious_law("spurious_probs_negative", spurious_probs_negative, self.d)
        )
        if rotation_seed is None:
            self.patterns = torch.eye(self.d, dtype=dtype)
        else:
            check_int("rotation_seed", rotation_seed, 0)
            g = torch.Generator().manual_seed(rotation_seed)
            q, r = torch.linalg.qr(torch.randn(self.d, self.d, generator=g, dtype=torch.float64))
            q = q * torch.sign(torch.diagonal(r))  # Haar-distributed orthogonal matrix
            self.patterns = q.T.contiguous().to(dtype)
        self.rotation_seed = rotation_seed

    @property
    def p_plus(self) -> torch.Tensor:
        """The positive discriminative pattern (row 0 of `patterns`)."""
        return self.patterns[P_PLUS]

    @property
    def p_minus(self) -> torch.Tensor:
        """The negative discriminative pattern (row 1 of `patterns`)."""
        return self.patterns[P_MINUS]

    @property
    def input_dim(self) -> int:
        """Dimension n * d of a flattened input (what a fully connected network sees)."""
        return self.n * self.d

    def sample_indices(self, m: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw m points as pattern indices.

        Returns `(idx, y)`: `idx` a long tensor of shape (m, n) whose entry (s, j) is the index of the
        pattern at position j of point s, and `y` a float tensor of shape (m,) with values in {-1, +1}.
        """
        m = check_int("m", m, 0)
        seed = check_int("seed", seed, 0)
        g = torch.Generator().manual_seed(seed)
        y = torch.where(torch.rand(m, generator=g) < self.p_positive, 1.0, -1.0).to(self.dtype)
        idx = torch.empty(m, self.n, dtype=torch.long)
        if m == 0:
            return idx, y
        # spurious fill, drawn for both labels and selected per point (label-dependent law allowed)
        pos = torch.multinomial(self.spurious_probs, m * self.n, replacement=True, generator=g)
        neg = torch.multinomial(self.spurious_probs_negative, m * self.n, replacement=True, generator=g)
        spurious = torch.where(y[:, None] > 0, pos.view(m, self.n), neg.view(m, self.n)) + 2
        idx.copy_(spurious)
        # `copies` distinct uniform positions hold the discriminative pattern of the label
        where = torch.rand(m, self.n, generator=g).argsort(dim=1)[:, : self.copies]
        disc = torch.where(y > 0, P_PLUS, P_MINUS).long()
        idx.scatter_(1, where, disc[:, None].expand(m, self.copies))
        return idx, y

    def to_inputs(self, idx: torch.Tensor) -> torch.Tensor:
        """Turn pattern indices of shape (m, n) into inputs X of shape (m, n, d)."""
        return self.patterns[idx]

    def sample(self, m: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw m i.i.d. points: `X` of shape (m, n, d) (every patch a row of `patterns`) and labels
        `y` of shape (m,) in {-1, +1}. The same seed always gives the same tensors."""
        idx, y = self.sample_indices(m, seed)
        return self.to_inputs(idx), y

    def __repr__(self) -> str:
        return (
            f"OrthogonalPatterns(n={self.n}, d={self.d}, copies={self.copies}, "
            f"p_positive={self.p_positive}, rotation_seed={self.rotation_seed})"
        )


def pattern_presence(idx: torch.Tensor, num_patterns: int) -> torch.Tensor:
    """Boolean tensor (m, num_patterns): entry (s, p) says whether pattern p occurs in point s."""
    presence = torch.zeros(idx.shape[0], num_patterns, dtype=torch.bool)
    presence.scatter_(1, idx, True)
    return presence


def pattern_statistics(idx: torch.Tensor, y: torch.Tensor, num_patterns: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The training-set pattern statistics of paper.md §4.2: for every pattern p, the fraction of
    positive points that contain p (p̂⁺_p) and the fraction of negative points that contain p (p̂⁻_p).
    Returns two float tensors of shape (num_patterns,); a label with no points gives zeros."""
    presence = pattern_presence(idx, num_patterns).double()
    pos, neg = y > 0, y < 0
    frac_pos = presence[pos].mean(0) if pos.any() else torch.zeros(num_patterns, dtype=torch.float64)
    frac_neg = presence[neg].mean(0) if neg.any() else torch.zeros(num_patterns, dtype=torch.float64)
    return frac_pos, frac_neg


def _spurious_law(name: str, probs, d: int) -> torch.Tensor:
    if probs is None:
        return torch.full((d - 2,), 1.0 / (d - 2), dtype=torch.float64)
    try:
        t = torch.as_tensor(probs, dtype=torch.float64).flatten()
    except (TypeError, ValueError, RuntimeError) as exc:
        raise ValueError(f"{name} must be a sequence of d - 2 = {d - 2} non-negative weights, got {probs!r}") from exc
    if t.numel() != d - 2 or not torch.isfinite(t).all() or (t < 0).any() or t.sum() <= 0:
        raise ValueError(
            f"{name} must hold d - 2 = {d - 2} finite non-negative weights with a positive sum, got {probs!r}"
        )
    return t / t.sum()


def stack_samples(dist, m: int, seeds: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """One training set of m points per seed, stacked on a leading replica axis: X of shape
    (R, m, n, d) and y of shape (R, m), for `train` with one data set per replica."""
    sets = [dist.sample(m, seed=s) for s in seeds]
    return torch.stack([X for X, _ in sets]), torch.stack([y for _, y in sets])
