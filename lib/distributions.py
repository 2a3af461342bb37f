"""The paper's pattern-detection distribution D (§3) and the book's variants of it.

An input x = (x[1], ..., x[n]) is made of n patches in R^d, each one of l orthonormal patterns
o_1, ..., o_l, stored 0-based as the rows of `patterns`: row 0 is the positive pattern o_1 (`p_plus`),
row 1 the negative pattern o_2 (`p_minus`), rows 2..l-1 the spurious patterns. A point with y = +1
holds o_1 once and never o_2; a point with y = -1 holds o_2 once and never o_1; every other position
holds a spurious pattern drawn uniformly with replacement, with the same law for both labels (§3).
`NoisyOrthogonalPatterns` is the book's own variant (Part II).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from lib._checks import (
    check_choice,
    check_float,
    check_int,
    check_labels,
    check_memory,
    check_seed,
    show,
)

P_PLUS, P_MINUS = 0, 1  # indices of the discriminative patterns in `patterns`
INDEX_BYTES = (
    48  # bytes per patch that `sample_indices` allocates (indices, two spurious draws, a sort)
)


class PatternRows:
    """What every distribution of the book shares: `patterns` holds one pattern per row, with p_plus
    in row 0 and p_minus in row 1, and inputs have n patches of dimension d."""

    patterns: torch.Tensor
    n: int
    d: int

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


class OrthogonalPatterns(PatternRows):
    """The distribution D of the paper's §3 over inputs x = (x[1], ..., x[n]) of n patches in R^d.

    The patterns are l orthonormal vectors o_1, ..., o_l (rows of `patterns`, 0-based: row 0 is the
    positive pattern o_1, row 1 the negative pattern o_2, rows 2..l-1 the spurious patterns o_3..o_l).
    A point has y = +1 or -1 with probability 1/2; one uniform position holds o_1 (y = +1) or o_2
    (y = -1) and every other position an independent uniform spurious pattern (with replacement).

    Parameters
    ----------
    n : number of patches per input (n >= 1).
    d : patch (= filter) dimension (d >= 3).
    l : number of patterns, 3 <= l <= d (default d, our choice [U] for the paper's experiments).
    basis : "standard" (o_i = e_i) or "random" (the first l rows of a uniformly random orthogonal
        d x d matrix drawn from `seed`, as in the paper's experiments).
    seed : seed of the random basis (ignored for the standard basis).
    copies : how many positions hold the discriminative pattern (the paper: 1).
    p_positive : probability of y = +1 (the paper: 1/2).
    spurious_probs : weights of the l - 2 spurious patterns for positive points (default uniform, the
        paper's); spurious_probs_negative the same for negative points (default: the same law).
    dtype : floating dtype of the sampled inputs.
    """

    def __init__(
        self,
        n: int,
        d: int,
        *,
        l: int | None = None,
        basis: str = "standard",
        seed: int = 0,
        copies: int = 1,
        p_positive: float = 0.5,
        spurious_probs: Sequence[float] | torch.Tensor | None = None,
        spurious_probs_negative: Sequence[float] | torch.Tensor | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        from lib._checks import check_choice

        self.n = check_int("n", n, 1)
        self.d = check_int("d", d, 3)
        self.l = self.d if l is None else check_int("l", l, 3, self.d)
        self.basis = check_choice("basis", basis, ("standard", "random"))
        self.seed = check_seed("seed", seed)
        self.copies = check_int("copies", copies, 1, self.n)
        self.p_positive = check_float("p_positive", p_positive, 0.0, 1.0)
        if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
            raise ValueError(
                f"dtype must be a floating torch dtype such as torch.float32, got {dtype!r}"
            )
        self.dtype = dtype
        check_memory(
            f"OrthogonalPatterns(d={self.d}) (a d x d basis, {self.basis})",
            self.d * self.d * (dtype.itemsize if self.basis == "standard" else 3 * 8),
        )
        self.spurious_probs = _spurious_law("spurious_probs", spurious_probs, self.l)
        self.spurious_probs_negative = (
            self.spurious_probs.clone()
            if spurious_probs_negative is None
            else _spurious_law("spurious_probs_negative", spurious_probs_negative, self.l)
        )
        if self.basis == "standard":
            self.patterns = torch.eye(self.d, dtype=dtype)[: self.l].contiguous()
        else:
            self.patterns = random_orthogonal(self.d, self.seed)[: self.l].to(dtype).contiguous()

    def sample_indices(self, m: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw m points as pattern indices.

        Returns `(idx, y)`: `idx` a long tensor of shape (m, n) whose entry (s, j) is the index of the
        pattern at position j of point s, and `y` a float tensor of shape (m,) with values in {-1, +1}.
        """
        m = check_int("m", m, 0)
        seed = check_seed("seed", seed)
        check_memory(
            f"sample_indices(m={m}) with n={self.n} (m x n x {INDEX_BYTES} bytes of indices and draws)",
            m * self.n * INDEX_BYTES,
        )
        g = torch.Generator().manual_seed(seed)
        y = torch.where(torch.rand(m, generator=g) < self.p_positive, 1.0, -1.0).to(self.dtype)
        idx = torch.empty(m, self.n, dtype=torch.long)
        if m == 0:
            return idx, y
        # spurious fill, drawn for both labels and selected per point (label-dependent law allowed)
        pos = torch.multinomial(self.spurious_probs, m * self.n, replacement=True, generator=g)
        neg = torch.multinomial(
            self.spurious_probs_negative, m * self.n, replacement=True, generator=g
        )
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
        m = check_int("m", m, 0)
        check_memory(
            f"sample(m={m}) with n={self.n}, d={self.d} (m x n x d x {self.dtype.itemsize} bytes)",
            m * self.n * self.d * self.dtype.itemsize,
        )
        idx, y = self.sample_indices(m, seed)
        return self.to_inputs(idx), y

    def __repr__(self) -> str:
        return (
            f"OrthogonalPatterns(n={self.n}, d={self.d}, l={self.l}, basis={self.basis!r}, seed={self.seed}, "
            f"copies={self.copies}, p_positive={self.p_positive})"
        )


def pattern_presence(idx: torch.Tensor, num_patterns: int) -> torch.Tensor:
    """Boolean tensor (m, num_patterns): entry (s, p) says whether pattern p occurs in point s, for
    pattern indices idx, an integer tensor (m, n) with entries in [0, num_patterns)."""
    num_patterns = check_int("num_patterns", num_patterns, 1)
    if (
        not isinstance(idx, torch.Tensor)
        or idx.dim() != 2
        or idx.dtype != torch.long
        or (idx.numel() and not (0 <= int(idx.min()) <= int(idx.max()) < num_patterns))
    ):
        raise ValueError(
            f"idx must be a long tensor of shape (m, n) with entries in [0, {num_patterns}), got {show(idx)}"
        )
    presence = torch.zeros(idx.shape[0], num_patterns, dtype=torch.bool)
    presence.scatter_(1, idx, True)
    return presence


def pattern_statistics(
    idx: torch.Tensor, y: torch.Tensor, num_patterns: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """The training-set pattern statistics of the book's Part II (the first arXiv version's PSI view): for every pattern p, the fraction of
    positive points that contain p (p̂⁺_p) and the fraction of negative points that contain p (p̂⁻_p).
    Returns two float tensors of shape (num_patterns,); a label with no points gives zeros."""
    presence = pattern_presence(idx, num_patterns).double()
    y = check_labels("y", y, idx.shape[0])
    pos, neg = y > 0, y < 0
    frac_pos = (
        presence[pos].mean(0) if pos.any() else torch.zeros(num_patterns, dtype=torch.float64)
    )
    frac_neg = (
        presence[neg].mean(0) if neg.any() else torch.zeros(num_patterns, dtype=torch.float64)
    )
    return frac_pos, frac_neg


def random_orthogonal(d: int, seed: int) -> torch.Tensor:
    """A uniformly random (Haar) orthogonal d x d matrix in float64, from `seed`: the QR factor of a
    Gaussian matrix with the signs of R's diagonal folded in."""
    g = torch.Generator().manual_seed(check_seed("seed", seed))
    q, r = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=torch.float64))
    return (q * torch.sign(torch.diagonal(r))).T.contiguous()


def _spurious_law(name: str, probs, l: int) -> torch.Tensor:
    """The law of the l - 2 spurious patterns: weights normalised to sum to 1 (default uniform)."""
    if probs is None:
        return torch.full((l - 2,), 1.0 / (l - 2), dtype=torch.float64)
    if isinstance(probs, torch.Tensor) and (probs.is_complex() or probs.dtype == torch.bool):
        raise ValueError(
            f"{name} must be a sequence of l - 2 = {l - 2} real non-negative weights, got {show(probs)}"
        )
    try:
        t = torch.as_tensor(probs, dtype=torch.float64).flatten()
    except (TypeError, ValueError, RuntimeError) as exc:
        raise ValueError(
            f"{name} must be a sequence of l - 2 = {l - 2} non-negative weights, got {show(probs)}"
        ) from exc
    total = t.sum()
    if (
        t.numel() != l - 2
        or not torch.isfinite(t).all()
        or (t < 0).any()
        or not 0 < total < torch.inf
    ):
        raise ValueError(
            f"{name} must hold l - 2 = {l - 2} finite non-negative weights with a positive finite sum, "
            f"got {show(probs)}"
        )
    return t / total


def stack_samples(dist, m: int, seeds: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """One training set of m points per seed, stacked on a leading replica axis: X of shape
    (R, m, n, d) and y of shape (R, m), for `train` with one data set per replica."""
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence) or len(seeds) == 0:
        raise ValueError(f"seeds must be a non-empty list of seeds, got {show(seeds)}")
    sets = [dist.sample(m, seed=s) for s in seeds]
    return torch.stack([X for X, _ in sets]), torch.stack([y for _, y in sets])


# the noise of `NoisyOrthogonalPatterns.sample(m, seed)` comes from seed + this
NOISE_SEED_OFFSET = 10**9


NOISE_LAWS = ("gaussian", "ball", "radial-uniform")  # the laws of the patch noise v, by name


def noise_vectors(
    shape: tuple[int, ...], law: str, scale: float, generator: torch.Generator
) -> torch.Tensor:
    """i.i.d. noise vectors v in R^d, d = shape[-1], one per entry of shape[:-1], in float64, drawn from
    `generator`. Every law is spherically symmetric (its direction is uniform on the sphere):

    - "gaussian": v ~ N(0, scale^2 / d I_d), so E||v||^2 = scale^2;
    - "ball": v uniform in the ball of radius `scale` (a uniform direction times scale U^(1/d), U
      uniform in [0, 1]), so ||v|| <= scale and E||v||^2 = scale^2 d / (d + 2);
    - "radial-uniform": a uniform direction times ||v|| uniform in [0, scale], so E||v||^2 = scale^2 / 3.

    The draw order is fixed (one standard normal tensor of `shape`, then, for "ball" and
    "radial-uniform", one uniform per vector), so a seed gives the same noise as in every earlier
    version of the book."""
    law = check_choice("law", law, NOISE_LAWS)
    scale = check_float("scale", scale, 0.0)
    if not shape or shape[-1] < 1:
        raise ValueError(f"shape must end with the dimension d >= 1, got {show(shape)}")
    xi = torch.randn(shape, generator=generator, dtype=torch.float64)
    if law == "gaussian":
        return xi * (scale / shape[-1] ** 0.5)
    u = torch.rand(shape[:-1], generator=generator, dtype=torch.float64)
    radius = scale * (u ** (1.0 / shape[-1]) if law == "ball" else u)
    return xi * (radius / xi.norm(dim=-1).clamp_min(1e-300)).unsqueeze(-1)


class NoisyOrthogonalPatterns(OrthogonalPatterns):
    """`OrthogonalPatterns` with i.i.d. noise added to every patch: x_j = o_{p(j)} + v_j. The label rule
    is that of the noiseless pattern indices.

    The law of v_j is `noise_law` with scale `noise` (see `noise_vectors`):
    - "gaussian" (the default; the book's Part II, our own non-orthogonal variant): N(0, noise^2 / d I_d);
    - "ball": uniform in the ball of radius `noise`;
    - "radial-uniform": uniform direction, ||v_j|| uniform on [0, noise].
    The paper's Figs. 3b and 5 ask for ||v|| <= 1 without naming a law; "ball" and "radial-uniform" with
    noise = 1 are two readings of it (our choice among them is argued in the §7 chapter).

    Parameters: those of `OrthogonalPatterns`, plus `noise` >= 0, the scale (0 gives back the orthogonal
    case), and `noise_law`, one of `NOISE_LAWS`."""

    def __init__(
        self, n: int, d: int, *, noise: float, noise_law: str = "gaussian", **kwargs
    ) -> None:
        super().__init__(n, d, **kwargs)
        self.noise = check_float("noise", noise, 0.0)
        self.noise_law = check_choice("noise_law", noise_law, NOISE_LAWS)

    def sample(self, m: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        """m points: `X` (m, n, d) = patterns plus noise, `y` (m,) in {-1, +1}. The noise comes from
        seed + NOISE_SEED_OFFSET."""
        X, y = super().sample(m, seed)
        g = torch.Generator().manual_seed(seed + NOISE_SEED_OFFSET)
        return X + noise_vectors(tuple(X.shape), self.noise_law, self.noise, g).to(self.dtype), y

    def __repr__(self) -> str:
        law = "" if self.noise_law == "gaussian" else f", noise_law={self.noise_law!r}"
        return f"NoisyOrthogonalPatterns(n={self.n}, d={self.d}, noise={self.noise}{law}, copies={self.copies})"
