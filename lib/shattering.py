"""The shattered set in the proof of Theorem 4.2 (§4): 2^(n-1) points of the support of D that
ConvPool (Eq. 1) labels in every possible way, so VCdim >= 2^(d/2 - 1) when d = 2n.

Setting: d = 2n, standard basis o_1, ..., o_d (the rows of `OrthogonalPatterns(n, 2n).patterns`,
0-based: row 0 = o_1, row 1 = o_2, row p = o_{p+1}).

Points. For I in {0,1}^(n-1), the point x_I has, at position j = 1..n-1 (paper's 1-based notation),
x_I[j] = o_{2j+1} if I[j] = 1 else o_{2j+2}, and x_I[n] = o_1 or o_2. We store I as the integer
i = sum_j I[j] 2^(n-1-j) (I[1] the most significant bit), so the complement I^c is N - 1 - i with
N = 2^(n-1).

Why the construction works. Let s_I = sum_{j<n} x_I[j]. Position j of every point holds one of the
pair {o_{2j+1}, o_{2j+2}}, and the pairs of different positions are disjoint, so
    max_j' relu(s_I . x_I'[j']) = 1[I and I' agree somewhere] = 1[I != I'^c],
(x_I'[n] is o_1 or o_2, orthogonal to s_I). The channels w^(I) = max(alpha_I, 0) s_I with a = +1 and
u^(I) = max(-alpha_I, 0) s_I with a = -1 then give
    N(x_I') = sum_{I != I'^c} alpha_I.
Asking N(x_I') = y_I' for all I' is, with J = I'^c, the system  sum_{I != J} alpha_I = y_{J^c}, i.e.
(1 1^T - Id) alpha = b with b_J = y_{J^c}: the paper's system. By Sherman-Morrison,
(1 1^T - Id)^{-1} = 1 1^T / (N - 1) - Id (N >= 2), so
    alpha_J = (sum_I y_I) / (N - 1) - y_{J^c},
which is how `solve_alpha` solves it (closed form, exact up to one rounding per entry). The matrix has
eigenvalues N - 1 (once) and -1 (N - 1 times): condition number N - 1 = 2^(n-1) - 1.

Every computation is in float64. The network of a labelling is a `ConvPool` with k = 2^n channels
(channels 0..N-1 the w^(I), channels N..2N-1 the u^(I)); a batch of labellings is one `ConvPool`
with one replica per labelling, checked in chunks of replicas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from lib._checks import check_int, check_seed, show
from lib.distributions import OrthogonalPatterns
from lib.models import ConvPool

DTYPE = torch.float64
MAX_EXHAUSTIVE_N = 5  # 2^(2^(n-1)) labellings: 65,536 at n = 5, 2^32 at n = 6
MAX_N = 12  # 2^n channels and 2^(n-1) points: 4,096 channels, 2,048 points at n = 12
LAST = ("positive", "negative")


def _check_n(n: Any) -> int:
    return check_int("n", n, 2, MAX_N)


def num_points(n: int) -> int:
    """N = 2^(n-1), the size of the shattered set for n patches (d = 2n)."""
    return 2 ** (_check_n(n) - 1)


def index_bits(n: int) -> np.ndarray:
    """The index vectors I in {0,1}^(n-1) of the points, one a row, (N, n-1) int: row i holds the
    binary digits of i, most significant first (column j is the paper's I[j+1])."""
    n = _check_n(n)
    i = np.arange(2 ** (n - 1))
    return ((i[:, None] >> np.arange(n - 2, -1, -1)[None, :]) & 1).astype(np.int64)


def complement(n: int) -> np.ndarray:
    """The index of I^c for every I: N - 1 - i."""
    N = num_points(n)
    return N - 1 - np.arange(N)


def _check_labels(name: str, labels: Any, N: int, *, batch: bool) -> torch.Tensor:
    """`labels` as a float64 tensor of shape (N,) or (R, N) (batch) with values in {-1, +1}."""
    shapes = f"(N,) or (R, N) with N = {N}" if batch else f"(N,) with N = {N}"
    try:
        t = torch.as_tensor(labels)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise ValueError(
            f"{name} must be an array of labels in {{-1, +1}} of shape {shapes}, got {show(labels)}"
        ) from exc
    if t.is_complex() or t.dtype == torch.bool:
        raise ValueError(f"{name} must be real labels in {{-1, +1}}, got dtype {t.dtype}")
    ok_dims = (1, 2) if batch else (1,)
    if t.dim() not in ok_dims or t.shape[-1] != N or (t.dim() == 2 and t.shape[0] == 0):
        raise ValueError(f"{name} must have shape {shapes}, got {tuple(t.shape)}")
    t = t.to(DTYPE)
    if not ((t == 1) | (t == -1)).all():
        raise ValueError(f"{name} must hold labels in {{-1, +1}} only, got {show(labels)}")
    return t


def pattern_indices(n: int, last: Any = "positive") -> torch.Tensor:
    """The points x_I as 0-based pattern indices (rows of `OrthogonalPatterns(n, 2n).patterns`),
    shape (N, n): position j = 0..n-2 holds row 2j+2 (o_{2j+3}) if I[j] = 1, else row 2j+3 (o_{2j+4});
    the last position holds o_1 (row 0) or o_2 (row 1).

    last : "positive" (every x_I[n] = o_1), "negative" (o_2), or labels (N,) in {-1, +1}: o_1 where
        the label is +1, o_2 where it is -1 (then each point's label under D is that label).
    """
    n = _check_n(n)
    N = 2 ** (n - 1)
    bits = torch.as_tensor(index_bits(n))
    j = torch.arange(n - 1)
    idx = torch.empty(N, n, dtype=torch.long)
    idx[:, : n - 1] = torch.where(bits == 1, 2 * j + 2, 2 * j + 3)
    if isinstance(last, str):
        if last not in LAST:
            raise ValueError(
                f"last must be 'positive', 'negative' or labels of shape (N={N},), got {last!r}"
            )
        idx[:, n - 1] = 0 if last == "positive" else 1
    else:
        y = _check_labels("last", last, N, batch=False)
        idx[:, n - 1] = torch.where(y > 0, 0, 1)
    return idx


def points(n: int, last: Any = "positive") -> tuple[torch.Tensor, torch.Tensor]:
    """The shattered set: X (N, n, 2n) float64 (every patch a standard basis vector) and the label
    each point has under D, y (N,) (+1 iff the point holds o_1). `last` as in `pattern_indices`."""
    idx = pattern_indices(n, last)
    dist = OrthogonalPatterns(idx.shape[1], 2 * idx.shape[1], dtype=DTYPE)
    y = torch.where(idx[:, -1] == 0, 1.0, -1.0).to(DTYPE)
    return dist.to_inputs(idx), y


def system_matrix(n: int) -> np.ndarray:
    """The matrix of the paper's linear system, 1 1^T - Id, (N, N) float64."""
    N = num_points(n)
    return np.ones((N, N)) - np.eye(N)


def solve_alpha(n: int, labels: Any) -> torch.Tensor:
    """alpha solving sum_{I != J} alpha_I = y_{J^c} for every J, in closed form (Sherman-Morrison):
    alpha_J = (sum_I y_I) / (N - 1) - y_{J^c}. labels: (N,) or (R, N) in {-1, +1}; returns the same
    shape, float64."""
    y = _check_labels("labels", labels, num_points(n), batch=True)
    return _alpha(n, y if y.dim() == 2 else y.unsqueeze(0)).reshape(y.shape)  # b_J = y_{J^c}


def weights(n: int, labels: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """The network of the proof for each labelling: W (R, 2N, 2n) and a (R, 2N), float64 (R = 1 for
    labels of shape (N,)). Channel I (0 <= I < N): max(alpha_I, 0) s_I with a = +1; channel N + I:
    max(-alpha_I, 0) s_I with a = -1, where s_I = sum_{j<n} x_I[j]."""
    n = _check_n(n)
    y = _check_labels("labels", labels, num_points(n), batch=True)
    X, _ = points(n)
    s = X[:, : n - 1].sum(1)  # (N, d): s_I, the first n - 1 patches of x_I (o_1/o_2 excluded)
    return _weights(n, y if y.dim() == 2 else y.unsqueeze(0), s)


def network(n: int, labels: Any) -> ConvPool:
    """A float64 `ConvPool` (d = 2n, k = 2^n channels, one replica per labelling) holding `weights`,
    with its parameters frozen (requires_grad False: it is built, not trained)."""
    W, a = weights(n, labels)
    net = ConvPool(2 * n, W.shape[1], replicas=W.shape[0], dtype=DTYPE)
    with torch.no_grad():
        net.W.copy_(W)
        net.a.copy_(a)
    return net.requires_grad_(False)


@dataclass(frozen=True)
class Check:
    """What `check_labellings` found for a batch of labellings of the 2^(n-1) points.

    tried : labellings checked. realised : those for which sign(N(x_I)) = y_I at every point (sign(0)
    = -1). min_margin : min over labellings and points of |N(x_I)| (the proof: exactly 1).
    max_error : max |N(x_I) - y_I| (the proof: 0, up to rounding). channels : 2^n.
    cond : condition number of the system matrix (2^(n-1) - 1). seconds : wall time.
    """

    n: int
    tried: int
    realised: int
    min_margin: float
    max_error: float
    channels: int
    cond: float
    seconds: float

    @property
    def d(self) -> int:
        return 2 * self.n

    @property
    def points(self) -> int:
        return 2 ** (self.n - 1)

    @property
    def all_realised(self) -> bool:
        return self.realised == self.tried

    def row(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "d": self.d,
            "points": self.points,
            "labellings tried": self.tried,
            "realised": self.realised,
            "cond": self.cond,
            "channels": self.channels,
            "min |N|": self.min_margin,
            "max |N - y|": self.max_error,
        }


SCORES_PER_CHUNK = 2**24  # filter-patch scores per chunk of replicas (about 170 MB of work tensors)


def default_chunk(n: int) -> int:
    """Replicas per chunk: as many as keep R k n N scores (k = 2^n channels, N = 2^(n-1) points of n
    patches) within SCORES_PER_CHUNK."""
    n = _check_n(n)
    return max(1, SCORES_PER_CHUNK // (2**n * n * 2 ** (n - 1)))


def _alpha(n: int, y: torch.Tensor) -> torch.Tensor:
    """`solve_alpha` on checked labels (R, N)."""
    rhs = y[:, complement(n).copy()]
    return rhs.sum(-1, keepdim=True) / (y.shape[1] - 1) - rhs


def _weights(n: int, y: torch.Tensor, s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """`weights` on checked labels (R, N), with s (N, d) the rows s_I."""
    alpha = _alpha(n, y)
    R, N = alpha.shape
    W = torch.cat(
        [alpha.clamp(min=0)[:, :, None] * s, (-alpha).clamp(min=0)[:, :, None] * s], dim=1
    )
    a = torch.cat([torch.ones(R, N, dtype=DTYPE), -torch.ones(R, N, dtype=DTYPE)], dim=1)
    return W, a


def outputs(n: int, labels: Any, *, chunk: int | None = None) -> torch.Tensor:
    """N(x_I) (R, N) of the construction's network for every labelling (rows of labels) and point,
    computed by `ConvPool.forward` (one replica per labelling, general path: one batched GEMM and a
    max over positions), `chunk` replicas at a time (None: `default_chunk(n)`), in float64."""
    n = _check_n(n)
    chunk = default_chunk(n) if chunk is None else check_int("chunk", chunk, 1)
    y = _check_labels("labels", labels, num_points(n), batch=True)
    y = y if y.dim() == 2 else y.unsqueeze(0)
    X, _ = points(n)
    s = X[:, : n - 1].sum(1)
    out = torch.empty_like(y)
    net = None
    with torch.no_grad():
        for start in range(0, y.shape[0], chunk):
            part = y[start : start + chunk]
            W, a = _weights(n, part, s)
            if net is None or net.replicas != part.shape[0]:
                net = ConvPool(
                    2 * n, W.shape[1], replicas=part.shape[0], dtype=DTYPE, pattern_search=False
                )
            net.W.copy_(W)
            net.a.copy_(a)
            out[start : start + chunk] = net(X)
    return out


def check_labellings(n: int, labels: Any, *, chunk: int | None = None) -> Check:
    """Build the construction's network for every labelling (rows of labels, (R, N) or (N,)) and
    check that sign(N(x_I)) = y_I at every point, with sign(0) = -1."""
    import time

    start = time.perf_counter()
    n = _check_n(n)
    y = _check_labels("labels", labels, num_points(n), batch=True)
    y = y if y.dim() == 2 else y.unsqueeze(0)
    out = outputs(n, y, chunk=chunk)
    predicted = torch.where(out > 0, 1.0, -1.0).to(DTYPE)
    realised = int((predicted == y).all(1).sum())
    return Check(
        n=n,
        tried=y.shape[0],
        realised=realised,
        min_margin=float(out.abs().min()),
        max_error=float((out - y).abs().max()),
        channels=2**n,
        cond=float(np.linalg.cond(system_matrix(n))),
        seconds=time.perf_counter() - start,
    )


def all_labellings(n: int) -> torch.Tensor:
    """Every labelling of the N = 2^(n-1) points, (2^N, N) float64 in {-1, +1}: row r holds the
    binary digits of r (most significant first), 0 -> -1 and 1 -> +1. Only n <= 5 (65,536 rows)."""
    n = check_int("n", n, 2, MAX_EXHAUSTIVE_N)
    N = 2 ** (n - 1)
    r = torch.arange(2**N)
    bits = (r[:, None] >> torch.arange(N - 1, -1, -1)[None, :]) & 1
    return (2 * bits - 1).to(DTYPE)


def random_labellings(n: int, count: int, seed: int = 0) -> torch.Tensor:
    """`count` labellings of the N points drawn uniformly (independent fair signs) from `seed`,
    (count, N) float64."""
    N = num_points(n)
    count = check_int("count", count, 1, 10**7)
    g = torch.Generator().manual_seed(check_seed("seed", seed))
    return (2 * torch.randint(0, 2, (count, N), generator=g) - 1).to(DTYPE)


def check_all_labellings(n: int, *, chunk: int | None = None) -> Check:
    """`check_labellings` on every labelling of the 2^(n-1) points (2 <= n <= 5)."""
    return check_labellings(n, all_labellings(n), chunk=chunk)


def check_random_labellings(
    n: int, count: int = 10_000, seed: int = 0, *, chunk: int | None = None
) -> Check:
    """`check_labellings` on `count` uniformly random labellings (seeded)."""
    return check_labellings(n, random_labellings(n, count, seed), chunk=chunk)


def response_matrix(n: int) -> np.ndarray:
    """(N, N) 0/1: entry (I, I') = max_j relu(s_I . x_I'[j]), the response of the unit-weight channel
    of I on the point I'; the proof's 1[I != I'^c] (all ones but the anti-diagonal)."""
    X, _ = points(n)
    s = X[:, : X.shape[1] - 1].sum(1)
    return torch.relu(torch.einsum("id,pjd->ipj", s, X)).amax(-1).numpy()


def memorising_labels(true_labels: Any, train: Any) -> torch.Tensor:
    """The labelling that agrees with `true_labels` (N,) on the points where `train` (N,) bool is True
    and disagrees on all the others: the construction fitted to it has zero training error and errs
    on every unseen point of the shattered set."""
    try:
        N = torch.as_tensor(true_labels).shape[-1]
    except (TypeError, ValueError, RuntimeError, IndexError) as exc:
        raise ValueError(
            f"true_labels must be labels in {{-1, +1}} of shape (N,), got {show(true_labels)}"
        ) from exc
    y = _check_labels("true_labels", true_labels, N, batch=False)
    try:
        mask = torch.as_tensor(train)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise ValueError(
            f"train must be a boolean array of shape {tuple(y.shape)}, got {show(train)}"
        ) from exc
    if mask.dtype != torch.bool or mask.shape != y.shape:
        raise ValueError(
            f"train must be a boolean array of shape {tuple(y.shape)}, got {show(train)}"
        )
    return torch.where(mask, y, -y)
