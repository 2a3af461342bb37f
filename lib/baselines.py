"""Linear baselines of the paper's §6 and §7: the hard-margin SVM and the minimum-norm separator of D.

The paper's §6 compares the CNN with learners whose sample-complexity bound is O(‖w*‖² R²) for a
separator w* of margin 1 (a one-hidden-layer leaky-ReLU network trained by SGD, and a hard-margin
linear SVM). The smallest such ‖w*‖² on the distribution D is that of the minimum-norm separator ŵ of
D's whole support, which Proposition 6.1 bounds by n <= ‖ŵ‖² <= 2n. This module computes:

- `hard_margin_svm(X, y)`: the minimum-norm linear separator with y_s w·x_s >= 1 on flattened inputs,
  **without a bias** (the separators of §6, e.g. the n copies of o_1 - o_2, have none), solved exactly
  as a least-distance program (Lawson & Hanson 1974, ch. 23: one non-negative least-squares problem)
  with its optimality conditions checked. Explained on the page book/paper/fcn_comparison.
- `support(n, l)`: every point of D's support once (2 n (l-2)^(n-1) points).
- `min_norm_separator(n, l)`: ŵ on the whole support, exactly, for any n and l, by reducing the QP
  with the problem's symmetry to three variables (or, with method="full", by `hard_margin_svm` on the
  whole support, for small n and l).
- `separator_norms` and `sample_svm_norms`: the tables the page plots.
- `linear_svm(X, y)`: the §7 baseline: the hard margin when the training set is separable through the
  origin (block principal pivoting on the Gram matrix, NNLS as fallback), else a squared-hinge soft
  margin (finite Newton method) with a certificate that no separator exists, and the KKT residual of
  every fit.

Every public function raises ValueError naming the parameter and its allowed range.
"""

from __future__ import annotations

import itertools
import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from scipy.optimize import lsq_linear, nnls

from lib._checks import check_bool, check_choice, check_int, check_seed, show
from lib.distributions import P_MINUS, P_PLUS, OrthogonalPatterns

MAX_SUPPORT_POINTS = 200_000  # `support` refuses larger supports (memory: points x n x d floats)
TEST_SEED_OFFSET = 10**6  # test points of `sample_svm_norms` come from seed + this
MAX_SYMMETRIC_N = 3000  # `min_norm_separator` accepts n <= this (conditioning of the reduced QP)
MARGIN_TOL = 1e-6  # a solution is a separator when every y_s w·x_s >= 1 - MARGIN_TOL


class NotSeparableError(ValueError):
    """The data have no linear separator through the origin, so no hard-margin SVM exists."""


@dataclass(frozen=True)
class SVMResult:
    """A hard-margin linear separator (no bias) of m points.

    w : (p,) float64 array, the minimum-norm w with y_s w·x_s >= 1 on the flattened inputs (NaNs when
        the data are not separable). norm2 : ‖w‖² (inf when not separable). margin : min_s y_s w·x_s
        (1 up to ~1e-12 when separable). separable : whether a separator through the origin exists.
    support_vectors : how many points have a positive dual weight. seconds : wall-clock solve time.
    """

    w: np.ndarray
    norm2: float
    margin: float
    separable: bool
    support_vectors: int
    seconds: float


def hard_margin_svm(X, y, *, allow_inseparable: bool = False) -> SVMResult:
    """The hard-margin linear SVM without bias: minimise ‖w‖² subject to y_s w·x_s >= 1 for every s.

    X : (m, ...) array or tensor of inputs, flattened to (m, p) (e.g. (m, n, d) -> p = n d), m >= 1.
    y : (m,) labels in {-1, +1}.
    allow_inseparable : when the data have no separator through the origin, return an `SVMResult`
        with separable=False (w NaN, norm2 inf) instead of raising `NotSeparableError` (default).

    Method: this is the least-distance program min ‖w‖ s.t. G w >= 1 with G = (y_s x_s)_s. By
    Lawson & Hanson (1974, Thm 23.4) it is solved by one non-negative least-squares problem,
    min_{u >= 0} ‖E u - f‖ with E = [Gᵀ; 1ᵀ] and f = (0, ..., 0, 1): if the residual r = E u - f is
    zero, the origin is a convex combination of the y_s x_s (u is the certificate) and no separator
    exists; otherwise w = -r[:p] / r[p] = Gᵀ α with dual weights α = u / ‖r‖². The active-set NNLS
    (scipy) is exact up to rounding. The result is accepted only after checking the optimality (KKT)
    conditions to 1e-9 (or to the rounding error of the margins, if larger, up to 1e-6): G w >= 1,
    α >= 0, w = Gᵀ α and Σ α_s (G w - 1)_s = 0. When scipy's NNLS stops
    short of them (it can on highly degenerate data, such as D's whole support), the same problem
    is solved by BVLS (`scipy.optimize.lsq_linear`), slower but robust.
    """
    start = time.perf_counter()
    allow_inseparable = check_bool("allow_inseparable", allow_inseparable)
    G, _ = _signed_rows(X, y)
    m, p = G.shape
    E = np.vstack([G.T, np.ones((1, m))])
    f = np.zeros(p + 1)
    f[-1] = 1.0
    scale = max(1.0, float(np.abs(G).max()))
    for solver in ("nnls", "bvls"):  # BVLS only when scipy's NNLS stops short (degenerate data)
        if solver == "nnls":
            u, _ = nnls(E, f, maxiter=50 * max(m, p + 1))
        else:
            u = lsq_linear(
                E, f, bounds=(0.0, np.inf), method="bvls", tol=1e-15, max_iter=50 * max(m, p + 1)
            ).x
            u = np.maximum(u, 0.0)
        r = E @ u - f
        rr = float(r @ r)
        # E u = f: the origin is the convex combination G^T u of the y_s x_s
        if rr <= 1e-24 * scale**2:
            if np.linalg.norm(G.T @ u) <= 1e-10 * scale and abs(u.sum() - 1.0) <= 1e-10:
                return _inseparable(m, p, allow_inseparable, start)
            continue
        # the dual weights: w = G^T alpha = -r[:p] / r[p] (r[p] = -|r|^2 at the optimum)
        alpha = u / rr
        w = G.T @ alpha
        if _kkt_ok(G, w, alpha):
            margins = G @ w
            return SVMResult(
                w,
                float(w @ w),
                float(margins.min()),
                True,
                int(np.sum(alpha > 0)),
                time.perf_counter() - start,
            )
    raise RuntimeError(  # ill-conditioned data (margins not computable to 1e-6) or a solver failure
        f"hard_margin_svm: neither NNLS nor BVLS reached the optimality conditions to {MARGIN_TOL:g} on "
        f"these {m} points (are they very ill-conditioned?)"
    )


def _inseparable(m: int, p: int, allow: bool, start: float) -> SVMResult:
    if not allow:
        raise NotSeparableError(
            f"the {m} points have no linear separator through the origin (the origin lies in the "
            "convex hull of the points y_s x_s), so the hard-margin SVM does not exist; pass "
            "allow_inseparable=True to get a result with separable=False"
        )
    return SVMResult(np.full(p, np.nan), math.inf, math.nan, False, 0, time.perf_counter() - start)


def _kkt_ok(G: np.ndarray, w: np.ndarray, alpha: np.ndarray, tol: float = 1e-9) -> bool:
    """The optimality conditions of the hard-margin SVM: G w >= 1 (primal feasibility), alpha >= 0,
    w = G^T alpha and sum_s alpha_s (G w - 1)_s = 0, each to tol, or to the rounding error of the
    margins G G^T alpha (64 eps max_s |G_s|^2 |alpha|_1) when that is larger, but never beyond
    MARGIN_TOL (ill-conditioned problems fail instead)."""
    if not (np.isfinite(w).all() and np.isfinite(alpha).all()):
        return False
    margins = G @ w
    size = max(1.0, float(np.abs(alpha).sum()))
    rounding = 64 * np.finfo(float).eps * float((G**2).sum(axis=1).max()) * size
    slack = max(tol, rounding)
    return (
        slack <= MARGIN_TOL
        and margins.min() >= 1.0 - slack
        and alpha.min() >= -tol * size
        and np.linalg.norm(w - G.T @ alpha) <= tol * max(1.0, float(np.linalg.norm(w)))
        and abs(float(alpha @ (margins - 1.0))) <= slack * size
    )


def _as_array(name: str, value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        if value.is_complex():
            raise ValueError(f"{name} must be a real array, got a complex tensor")
        return value.detach().cpu().double().numpy()
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be a real numeric array or tensor, got {show(value)}"
        ) from exc
    return arr


def support_size(n: int, l: int) -> int:
    """Number of points of D's support: a label (2), a position for its pattern (n), and a spurious
    pattern at each of the n - 1 other positions ((l - 2)^(n-1))."""
    n = check_int("n", n, 1)
    l = check_int("l", l, 3)
    return 2 * n * (l - 2) ** (n - 1)


def support(
    n: int, l: int, basis: str = "standard", *, d: int | None = None, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Every point of the support of D = `OrthogonalPatterns(n, d, l=l, basis=basis, seed=seed)` once.

    n >= 1 positions, 3 <= l patterns, d >= l (default d = l), basis "standard" or "random".
    Returns X, a float64 tensor (N, n, d), and y, (N,) in {-1, +1}, with N = 2 n (l-2)^(n-1) (at most
    MAX_SUPPORT_POINTS): first the positive points, position of o_1 by position, then the negative
    ones in the same order.
    """
    n = check_int("n", n, 1)
    l = check_int("l", l, 3)
    d = l if d is None else check_int("d", d, l)
    basis = check_choice("basis", basis, ("standard", "random"))
    seed = check_seed("seed", seed)
    size = support_size(n, l)
    if size > MAX_SUPPORT_POINTS:
        raise ValueError(
            f"n and l must give a support of at most {MAX_SUPPORT_POINTS:,} points (2 n (l-2)^(n-1)); "
            f"n={n}, l={l} give {size:,}"
        )
    dist = OrthogonalPatterns(n, d, l=l, basis=basis, seed=seed, dtype=torch.float64)
    idx, y = support_indices(n, l)
    return dist.to_inputs(idx), y


def support_indices(n: int, l: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The support of D as pattern indices: a long tensor (N, n) (0 = o_1, 1 = o_2, 2.. spurious) and
    labels (N,) float64, in the order of `support`."""
    n = check_int("n", n, 1)
    l = check_int("l", l, 3)
    if support_size(n, l) > MAX_SUPPORT_POINTS:
        raise ValueError(
            f"n and l must give a support of at most {MAX_SUPPORT_POINTS:,} points (2 n (l-2)^(n-1)); "
            f"n={n}, l={l} give {support_size(n, l):,}"
        )
    rows = list(itertools.product(range(2, l), repeat=n - 1))
    fill = torch.tensor(rows, dtype=torch.long).reshape(len(rows), n - 1)
    blocks, labels = [], []
    for label, pattern in ((1.0, P_PLUS), (-1.0, P_MINUS)):
        for j in range(n):
            col = torch.full((fill.shape[0], 1), pattern, dtype=torch.long)
            blocks.append(torch.cat([fill[:, :j], col, fill[:, j:]], dim=1))
            labels.append(torch.full((fill.shape[0],), label, dtype=torch.float64))
    return torch.cat(blocks), torch.cat(labels)


@dataclass(frozen=True)
class MinNormSeparator:
    """The minimum-norm margin-1 separator ŵ of D's whole support, in pattern coordinates.

    coef : (n, l) array with ŵ[j] = Σ_p coef[j, p] o_p (row 0 = o_1, row 1 = o_2, rows 2.. spurious);
        ŵ has no component outside the span of the patterns. norm2 : ‖ŵ‖². margin : the smallest
        y ŵ·x over the support (1 up to rounding). method : how it was computed.
    """

    coef: np.ndarray
    norm2: float
    margin: float
    method: str


def min_norm_separator(n: int, l: int, *, method: str = "symmetric") -> MinNormSeparator:
    """ŵ = argmin ‖w‖² subject to y w·x >= 1 on every point of D's support (no bias), for
    1 <= n <= MAX_SYMMETRIC_N positions and l >= 3 patterns. It does not depend on d or on the
    orthonormal basis. (Beyond n = 3000 the reduced problem below is too ill-conditioned for its
    margins to be computed to 1e-6 in float64.)

    method="symmetric" (any n, l): permuting the positions, or the spurious patterns, maps the support
    onto itself, and the minimiser is unique (strictly convex objective), so ŵ is fixed by these maps:
    ŵ[j] = a o_1 + c o_2 + b Σ_{s>=3} o_s at every position j. On such w every positive point scores
    a + (n-1) b and every negative one c + (n-1) b, so the 2 n (l-2)^(n-1) constraints collapse to two,
    a + (n-1) b >= 1 and -(c + (n-1) b) >= 1, and ‖w‖² = n (a² + c² + (l-2) b²). With
    v = √n (a, c, √(l-2) b) this is a hard-margin SVM on two points, solved by `hard_margin_svm`.
    method="full": `hard_margin_svm` on the whole support (standard basis, d = l; at most
    MAX_SUPPORT_POINTS points), the generic check of the reduction.
    """
    method = check_choice("method", method, ("symmetric", "full"))
    n = check_int("n", n, 1, MAX_SYMMETRIC_N)
    l = check_int("l", l, 3)
    if method == "full":
        X, y = support(n, l)
        res = hard_margin_svm(X, y)
        return MinNormSeparator(res.w.reshape(n, l), res.norm2, res.margin, "full")
    k = (n - 1) / math.sqrt(n * (l - 2))
    pts = np.array([[1 / math.sqrt(n), 0.0, k], [0.0, 1 / math.sqrt(n), k]])
    res = hard_margin_svm(pts, np.array([1.0, -1.0]))
    a, c, b = res.w[0] / math.sqrt(n), res.w[1] / math.sqrt(n), res.w[2] / math.sqrt(n * (l - 2))
    coef = np.tile(np.r_[a, c, np.full(l - 2, b)], (n, 1))
    margin = min(a + (n - 1) * b, -(c + (n - 1) * b))
    return MinNormSeparator(coef, float(np.sum(coef**2)), float(margin), "symmetric")


def difference_separator(n: int, l: int) -> np.ndarray:
    """The paper's separator of D (§3): n copies of o_1 - o_2, as (n, l) pattern coordinates. It has
    margin exactly 1 on every support point and ‖w‖² = 2n."""
    n = check_int("n", n, 1)
    l = check_int("l", l, 3)
    coef = np.zeros((n, l))
    coef[:, P_PLUS], coef[:, P_MINUS] = 1.0, -1.0
    return coef


def separator_norms(
    ns: Sequence[int], ls: Sequence[int], *, full_max_points: int = 5_000
) -> pd.DataFrame:
    """‖ŵ‖² of D's minimum-norm separator for every n in `ns` and l in `ls` (n >= 1, l >= 3).

    Columns: n, l, support_points (2 n (l-2)^(n-1)), norm2 (symmetry-reduced, exact), norm2_full
    (`hard_margin_svm` on the whole support where it has at most `full_max_points` points, else NaN),
    full_seconds, R2 = max ‖x‖² over the support (= n), ratio = norm2 / n.
    """
    ns = _int_list("ns", ns, 1)
    ls = _int_list("ls", ls, 3)
    full_max_points = check_int("full_max_points", full_max_points, 0, MAX_SUPPORT_POINTS)
    rows = []
    for n in ns:
        for l in ls:
            sym = min_norm_separator(n, l)
            size = support_size(n, l)
            full, secs = math.nan, math.nan
            if size <= full_max_points:
                start = time.perf_counter()
                full = min_norm_separator(n, l, method="full").norm2
                secs = time.perf_counter() - start
            rows.append(
                dict(
                    n=n,
                    l=l,
                    support_points=size,
                    norm2=sym.norm2,
                    norm2_full=full,
                    full_seconds=secs,
                    R2=float(n),
                    ratio=sym.norm2 / n,
                )
            )
    return pd.DataFrame(rows)


def sample_svm_norms(
    n: int,
    l: int,
    ms: Sequence[int],
    seeds: Sequence[int],
    *,
    d: int | None = None,
    basis: str = "random",
    test_m: int = 1000,
) -> pd.DataFrame:
    """The hard-margin SVM on finite samples of D = `OrthogonalPatterns(n, d, l=l, basis=basis)`.

    For every m in `ms` (m >= 1) and seed in `seeds` (the sample's seed; the basis uses seed 0), fit
    `hard_margin_svm` on `dist.sample(m, seed)`. Every sample of D is separable (by the n copies of
    o_1 - o_2), so every fit succeeds. Columns: m, seed, norm2, support_vectors, seconds,
    norm2_support (‖ŵ‖² on the whole support, = 2n), ratio = norm2 / norm2_support (<= 1: a sample
    imposes a subset of the support's constraints), dist = ‖w - ŵ‖ / ‖ŵ‖ (0 when the sample's
    separator is D's), and test_error of sign(w·x) (sign(0) = -1) on `test_m` >= 1 fresh points.
    """
    n = check_int("n", n, 1)
    l = check_int("l", l, 3)
    d = l if d is None else check_int("d", d, l)
    basis = check_choice("basis", basis, ("standard", "random"))
    ms = _int_list("ms", ms, 1)
    seeds = [check_seed("seeds[i]", s) for s in _int_list("seeds", seeds, 0)]
    test_m = check_int("test_m", test_m, 1)
    dist = OrthogonalPatterns(n, d, l=l, basis=basis, dtype=torch.float64)
    best = min_norm_separator(n, l)
    # ŵ in input coordinates
    w_hat = (torch.as_tensor(best.coef) @ dist.patterns).reshape(-1).numpy()
    rows = []
    for m in ms:
        for seed in seeds:
            X, y = dist.sample(m, seed=seed)
            res = hard_margin_svm(X, y)
            Xt, yt = dist.sample(test_m, seed=seed + TEST_SEED_OFFSET)
            scores = Xt.reshape(test_m, -1).numpy() @ res.w
            pred = np.where(scores > 0, 1.0, -1.0)
            rows.append(
                dict(
                    m=m,
                    seed=seed,
                    norm2=res.norm2,
                    support_vectors=res.support_vectors,
                    seconds=res.seconds,
                    dist=float(np.linalg.norm(res.w - w_hat) / np.linalg.norm(w_hat)),
                    test_error=float(np.mean(pred != yt.numpy())),
                )
            )
    df = pd.DataFrame(rows)
    df["norm2_support"] = best.norm2
    df["ratio"] = df["norm2"] / best.norm2
    return df


def bound_growth(
    ns: Sequence[int], d: int, *, rs: Sequence[float] = (0.5, 1.0, 1.5), ds: Sequence[int] = ()
) -> dict:
    """The two sample-complexity bounds of §6 as functions, both with their unknown constants set to 1
    (only growth rates mean anything): the FCN/SVM bound ‖ŵ‖² R² with the exact ‖ŵ‖² of D and R² = n,
    and the CNN bound d of Theorem 5.1.

    Returns {"vs_n": DataFrame(n, fcn, cnn) at fixed d >= 3 for every n in `ns`, "vs_d":
    DataFrame(d, r, n, fcn, cnn) for every d in `ds` (default 3..100 on a log grid) and r in `rs`
    with n = round(d^r) (n >= 1)}.
    """
    ns = _int_list("ns", ns, 1)
    d = check_int("d", d, 3)
    ds = _int_list("ds", ds, 3) if len(ds) else sorted({int(v) for v in np.geomspace(3, 100, 30)})
    if (
        isinstance(rs, (str, bytes))
        or not isinstance(rs, Sequence)
        or not rs
        or not all(
            isinstance(r, (int, float)) and not isinstance(r, bool) and 0 < r <= 3 for r in rs
        )
    ):
        raise ValueError(f"rs must be a non-empty list of exponents r in (0, 3], got {show(rs)}")
    vs_n = pd.DataFrame(
        [dict(n=n, fcn=min_norm_separator(n, 3).norm2 * n, cnn=float(d)) for n in ns]
    )
    rows = []
    for r in rs:
        for dd in ds:
            n = max(1, round(dd**r))
            rows.append(
                dict(d=dd, r=float(r), n=n, fcn=min_norm_separator(n, 3).norm2 * n, cnn=float(dd))
            )
    return {"vs_n": vs_n, "vs_d": pd.DataFrame(rows)}


def _int_list(name: str, values, low: int) -> list[int]:
    """`values` as a non-empty list of integers >= low."""
    if (
        isinstance(values, (str, bytes))
        or not isinstance(values, (Sequence, np.ndarray, range))
        or len(values) == 0
    ):
        raise ValueError(
            f"{name} must be a non-empty list of integers >= {low}, got {show(values)}"
        )
    return [check_int(f"{name}[i]", v, low) for v in values]


SOFT_MARGIN_C = 1e4  # the soft margin's C when the training set has no separator through the origin
KKT_TOL = 1e-9  # the pivoting's hard-margin fit is accepted when its KKT residual is at most this
MAX_PIVOTS = 100  # cap on the block principal pivoting steps of the hard-margin dual solver
# conjugate-gradient steps towards the soft margin's first (approximate) Newton point
CG_STEPS = 30
# cap on the Newton steps of one stage of the soft margin (a finite method: far fewer in practice)
MAX_NEWTON = 500
# the soft margin at C is reached through C 10^-4, C 10^-3, ..., C, each stage from the last optimum
CONTINUATION = 4
EXACT_TOL = 1e-10  # a Newton point is the optimum when the points it moves across margin 1 move by at most this
CERTIFICATE_TOL = (
    1e-10  # no separator: a convex combination of the g_s of norm <= this times max_s ‖g_s‖
)
CERTIFICATE_SETS = 30  # cap on the sets of points on which the certificate is sought
# when neither certificate is found at C, the soft margin at 10 C, ..., 10^this C is tried
LARGER_C = 2
# the certificate's projection: diagonal entries of R (QR with column pivoting of G_S) below this
# times the largest count as 0
RANK_TOL = 1e-10
# the soft margin's p x p systems are updated (not factored again) when at most p / this points change
LOW_RANK_SHARE = 8
# a solve is accepted when its residual is at most this times the right-hand side (max norms), ...
REFINED_TOL = 1e-13
# ... within this many steps of iterative refinement
REFINEMENTS = 4


@dataclass(frozen=True)
class LinearSVMResult:
    """The paper's §7 SVM baseline on one training set of m points (no bias).

    w : (p,) float64, the separator. kind : "hard" (the training set is separable through the origin
    and w is the hard-margin SVM) or "soft" (squared-hinge soft margin with constant C). C : NaN for
    "hard". train_error : of sign(w·x) with sign(0) = -1. seconds : wall-clock time of the fit.
    kkt_residual : how far the fit is from the optimality (KKT) conditions, 0 exactly at the optimum.
    With the dual weights α >= 0 (w = Σ_s α_s y_s x_s): for "hard", max_s |min(α_s, y_s w·x_s - 1)|
    (feasibility and complementarity; w = Σ_s α_s y_s x_s holds by construction); for "soft", with
    α_s = 2C max(0, 1 - y_s w·x_s), the stationarity residual ‖w - Σ_s α_s y_s x_s‖_∞ / max(1, ‖w‖_∞).
    support_vectors : the points with α_s > 0. norm_bound : a certificate of how far the training set
    is from separable: every w' with y_s w'·x_s >= 1 for all s has ‖w'‖ >= norm_bound = 1 / ‖Σ_s u_s y_s x_s‖
    for the convex combination u (u >= 0, Σ_s u_s = 1) that `linear_svm` found (from
    1 <= Σ_s u_s y_s w'·x_s <= ‖w'‖ ‖Σ_s u_s y_s x_s‖); inf for "hard" (the data are separable: w itself
    is a separator, its margins >= 1 the certificate) and when the combination is exactly 0.
    """

    w: np.ndarray
    kind: str
    C: float
    train_error: float
    seconds: float
    kkt_residual: float
    support_vectors: int
    norm_bound: float

    def predict(self, X) -> np.ndarray:
        """sign(w·x) with sign(0) = -1, for inputs X (m, ...) flattened to (m, p)."""
        X = _as_array("X", X)
        return np.where(X.reshape(X.shape[0], -1) @ self.w > 0, 1.0, -1.0)

    def error(self, X, y) -> float:
        """Fraction of points with sign(w·x) != y."""
        return float(np.mean(self.predict(X) != _as_array("y", y)))


def linear_svm(X, y, *, C: float = SOFT_MARGIN_C) -> LinearSVMResult:
    """The §7 linear SVM without bias on flattened inputs: the hard-margin SVM when the training set is
    separable through the origin, otherwise the squared-hinge soft margin
    min ½‖w‖² + C Σ_s max(0, 1 - y_s w·x_s)² (a hard margin does not exist; the training error is then
    usually non-zero, as in the paper's Fig. 3b).

    X : (m, ...) inputs flattened to (m, p), finite, m >= 1. y : (m,) labels in {-1, +1}. C > 0.

    Method (exact), on the rows g_s = y_s x_s restricted to the coordinates where some g_s is non-zero
    (w is 0 on the others, for the hard and the soft margin alike):
    1. the soft margin by the finite Newton method (`_squared_hinge`), reached through C 10^-4, ..., C
       (each stage started from the last one's optimum): it always exists, and its support is where the
       two searches below start;
    2. the hard margin: the non-negative QP min ½ αᵀ K α - 1ᵀ α over α >= 0 on the Gram matrix
       K = G Gᵀ, w = Gᵀ α, by block principal pivoting (`_hard_pivoting`) from the soft margin's
       support. When it reaches the KKT conditions, w separates the training set (its margins are
       >= 1: w is the certificate) and is the fit;
    3. otherwise non-separability: a convex combination u of the g_s (u >= 0, Σ_s u_s = 1) with
       ‖Σ_s u_s g_s‖ <= CERTIFICATE_TOL max_s ‖g_s‖, found by projecting the soft margin's slacks onto
       the null space of G_Sᵀ on shrinking sets S of points (`_inseparability`). Every separator would
       need ‖w'‖ >= 1 / ‖Σ_s u_s g_s‖ (`LinearSVMResult.norm_bound`): the data count as not separable
       and the soft margin is the fit;
    4. when neither is reached (a separable set of tiny margin, on which the soft margin at C may
       misclassify points), 2 and 3 again from the soft margin at 10 C, ..., 10^LARGER_C C (each
       started from the last);
    5. when still neither is reached, `hard_margin_svm` (one NNLS problem, slow at large m) decides
       exactly: it returns the hard margin, or a convex combination of the g_s equal to 0, and the soft
       margin stands.
    Every fit records its KKT residual; a hard fit is accepted only with a residual <= KKT_TOL (or the
    rounding error of its margins, if larger, up to MARGIN_TOL). BLAS runs on one thread: the
    experiments run one process per core.
    """
    from threadpoolctl import threadpool_limits

    from lib._checks import check_float

    start = time.perf_counter()
    C = check_float("C", C, 0.0, low_open=True)
    G_all, y = _signed_rows(X, y)
    used = np.flatnonzero((G_all != 0).any(axis=0))
    G = np.ascontiguousarray(G_all[:, used])
    with threadpool_limits(limits=1, user_api="blas"):
        goal = _certificate_goal(G)
        soft = _squared_hinge(G, C)
        fit, combination, dual = _hard_pivoting(G, soft.alpha > 0), math.inf, soft
        for larger in range(LARGER_C + 1):
            if fit is not None:
                break
            combination = min(combination, _inseparability(G, dual, goal)[1])
            if combination <= goal or larger == LARGER_C:
                break
            # separable with a tiny margin? The soft margin at 10^(larger+1) C, from the last one
            dual = _squared_hinge(G, C * 10.0 ** (larger + 1), start=dual.w)
            fit = _hard_pivoting(G, dual.alpha > 0)
        if fit is None and combination > goal:
            exact = hard_margin_svm(G, np.ones(len(G)), allow_inseparable=True)
            if exact.separable:
                alpha = _nnqp_alpha(G, exact.w)
                fit = _Dual(exact.w, alpha, _kkt_residual(G, exact.w, alpha))
        if fit is not None:
            kind, used_C, bound = "hard", math.nan, math.inf
        else:
            fit, kind, used_C = soft, "soft", C
            bound = 1.0 / combination if combination > 0 else math.inf
        margins = G @ fit.w
    w = np.zeros(G_all.shape[1])
    w[used] = fit.w
    return LinearSVMResult(
        w,
        kind,
        used_C,
        float(np.mean(margins <= 0)),
        time.perf_counter() - start,
        fit.kkt,
        int(np.sum(fit.alpha > 0)),
        bound,
    )


class _Ridge:
    """Ridge regression of targets b on the rows G_A of an active set A of points:
    w = (G_Aᵀ G_A + λ I)⁻¹ G_Aᵀ b = G_Aᵀ (K_AA + λ I)⁻¹ b, by a Cholesky factor of the smaller of the two
    matrices (|A| x |A| from the Gram matrix's cached entries, or p x p). In the p x p form, when A
    differs from the last factored set B (same λ) in k <= p / LOW_RANK_SHARE points, the system is that
    factor plus the rank-k change Σ_{s in A\\B} g_s g_sᵀ - Σ_{s in B\\A} g_s g_sᵀ, solved by the
    Sherman-Morrison-Woodbury formula instead of a new factorisation. Every solve is refined
    iteratively until its residual is at rounding level (`_refined`)."""

    def __init__(self, G: np.ndarray):
        self.G = G
        self.cache = _GramCache(G)
        self.rows = np.zeros(len(G), dtype=bool)  # the points summed in M = Σ_{s in rows} g_s g_sᵀ
        self.M = np.zeros((G.shape[1],) * 2)
        self.base = None  # (B, λ) of the p x p factor, the set B as a boolean mask

    def use(self, A: np.ndarray, lam: float) -> None:
        """Prepare the system of the active set A (a boolean mask) and the ridge λ = `lam`."""
        from scipy.linalg import LinAlgWarning, lu_factor

        self.lam, self.A = lam, A.copy()
        self.idx = np.flatnonzero(A)
        self.dual, self.change = False, None
        p, n = self.G.shape[1], len(self.idx)
        if self.base is not None and self.base[1] == lam:
            changed = np.flatnonzero(A != self.base[0])
            if not len(changed):
                return
            if len(changed) <= p // LOW_RANK_SHARE:
                from scipy.linalg import cho_solve

                U = self.G[changed].T
                sign = np.where(A[changed], 1.0, -1.0)
                Y = cho_solve(self.factor, U, check_finite=False)
                with warnings.catch_warnings():  # a singular change fails its refinement instead
                    warnings.simplefilter("ignore", LinAlgWarning)
                    self.change = (U, Y, lu_factor(np.diag(sign) + U.T @ Y, check_finite=False))
                return
        # otherwise the cheaper factorisation (multiply-adds: new Gram entries or M's update, Cholesky)
        new = int(np.sum(self.cache.where[self.idx] < 0))
        dual_cost = new * (len(self.cache.points) + new) * p + n**3 / 3
        primal_cost = min(int(np.sum(A != self.rows)), n) * p * p + p**3 / 3
        if dual_cost <= primal_cost:
            self.dual, self.base = True, None  # the p x p factor is gone
            self.S = self.cache.block(self.idx)
            self.factor = _cholesky(self.S + lam * np.eye(n))
        else:
            self._factor_primal()

    def _factor_primal(self) -> None:
        """Factor G_Aᵀ G_A + λ I (M kept up to date as A changes)."""
        A = self.A
        add, rem = A & ~self.rows, self.rows & ~A
        if add.sum() + rem.sum() > A.sum():
            self.M = _outer(self.G[A])
        else:
            self.M += _outer(self.G[add]) - _outer(self.G[rem])
        self.rows = A.copy()
        self.factor = _cholesky(self.M + self.lam * np.eye(len(self.M)))
        self.base, self.change = (A.copy(), self.lam), None

    def _solve(self, rhs: np.ndarray) -> np.ndarray:
        """An approximate solution of the p x p or |A| x |A| system for the right-hand side rhs."""
        from scipy.linalg import cho_solve, lu_solve

        y = cho_solve(self.factor, rhs, check_finite=False)
        if self.change is None:
            return y
        U, Y, cap = self.change
        return y - Y @ lu_solve(cap, U.T @ y, check_finite=False)

    def __call__(self, b: np.ndarray) -> np.ndarray:
        """w for the targets b (one per point of A)."""
        GA = self.G[self.idx]
        if self.dual:
            return GA.T @ self._refined(b, lambda v: self.S @ v + self.lam * v)
        return self._refined(GA.T @ b, lambda v: GA.T @ (GA @ v) + self.lam * v)

    def _refined(self, rhs: np.ndarray, system) -> np.ndarray:
        """The solution x of system(x) = rhs, by `_solve` and iterative refinement until the residual is
        at most REFINED_TOL times the right-hand side (max norms); a Woodbury solve that does not get
        there within REFINEMENTS steps is replaced by a new factorisation."""
        size = float(np.abs(rhs).max())
        for _ in range(2):
            x = self._solve(rhs)
            for _ in range(REFINEMENTS):
                r = rhs - system(x)
                if np.abs(r).max() <= REFINED_TOL * size:
                    return x
                x = x + self._solve(r)
            if self.change is None:
                return x
            self._factor_primal()
        return x


def _outer(GB: np.ndarray) -> np.ndarray:
    """G_Bᵀ G_B for the rows G_B (one array, so that numpy computes the symmetric product by BLAS syrk,
    half the work of a general product)."""
    return GB.T @ GB


def _cholesky(S: np.ndarray):
    """The Cholesky factor of the symmetric positive definite matrix S, as `scipy.linalg.cho_factor`."""
    from scipy.linalg import cho_factor

    return cho_factor(S, check_finite=False)


def _squared_hinge(G: np.ndarray, C: float, *, start: np.ndarray | None = None) -> _Dual:
    """The soft margin min ½‖w‖² + C Σ_s max(0, 1 - g_s·w)² by the finite Newton method (Mangasarian
    2002; Keerthi & DeCoste 2005), through the constants C 10^-CONTINUATION, ..., C 10^-1, C: each stage
    starts from the optimum of the last (from w = 0 at the first), so that at a large C the Newton
    steps start near their end (from w = 0 they crawl: hundreds of line searches on MNIST). At one C,
    with A the points of margin g_s·w < 1, the Newton point w̄ minimises the quadratic
    ½‖w‖² + C Σ_{s in A} (1 - g_s·w)², the ridge regression of 1 on G_A with λ = 1/(2C); when the
    points of margin < 1 at w̄ are A again (up to EXACT_TOL), w̄ is that stage's optimum (the objective
    equals that quadratic around w̄); otherwise an exact line search on the segment [w, w̄] (the
    derivative is piecewise linear). Every stage ends at its exact optimum, so the last one's is the
    soft margin at C whatever the path. Dual weights α_s = 2C max(0, 1 - g_s·w) and the KKT residual
    ‖w - Gᵀ α‖_∞ / max(1, ‖w‖_∞) (stationarity: the other conditions hold by the construction of α).
    With `start` (a w), the one stage at C from there."""
    from scipy.sparse.linalg import LinearOperator, cg

    ridge = _Ridge(G)
    if start is not None:
        w, o, constants = start, G @ start, [C]
    else:
        # from w = 0 (where every point is active) the exact line search towards an approximate first
        # Newton point, CG_STEPS conjugate-gradient steps on (Gᵀ G + λ I) w̄ = Gᵀ 1, as forming Gᵀ G
        # for every point would cost more than the rest of the method
        c, p = C / 10.0**CONTINUATION, G.shape[1]
        normal = LinearOperator(
            (p, p), matvec=lambda v: G.T @ (G @ v) + v / (2.0 * c), dtype=G.dtype
        )
        w_bar = cg(normal, G.sum(axis=0), maxiter=CG_STEPS)[0]
        o_bar = G @ w_bar
        t = _line_search(np.zeros(p), w_bar, np.zeros(len(G)), o_bar, c)
        w, o = t * w_bar, t * o_bar
        constants = [C / 10.0**stage for stage in range(CONTINUATION, -1, -1)]
    for c in constants:
        for _ in range(MAX_NEWTON):
            A = o < 1.0
            ridge.use(A, 1.0 / (2.0 * c))
            w_bar = ridge(np.ones(len(ridge.idx)))
            o_bar = G @ w_bar
            if np.all(np.abs(o_bar[(o_bar < 1.0) != A] - 1.0) <= EXACT_TOL):
                w, o = w_bar, o_bar
                break
            t = _line_search(w, w_bar - w, o, o_bar - o, c)
            w, o = w + t * (w_bar - w), o + t * (o_bar - o)
        else:
            raise RuntimeError(
                f"the finite Newton method of the soft margin did not end within {MAX_NEWTON} steps at "
                f"C = {c:g}"
            )
    alpha = 2 * C * np.maximum(0.0, 1.0 - o)
    return _Dual(w, alpha, float(np.abs(w - G.T @ alpha).max() / max(1.0, float(np.abs(w).max()))))


def _line_search(w: np.ndarray, d: np.ndarray, o: np.ndarray, delta: np.ndarray, C: float) -> float:
    """The minimiser t >= 0 of the soft-margin objective on w + t d (margins o + t delta), exactly: its
    derivative w·d + t ‖d‖² - 2C Σ_s max(0, 1 - o_s - t delta_s) delta_s is increasing and linear between
    the points t_s = (1 - o_s) / delta_s; bisection over them, then the root on the last piece."""
    wd, dd = float(w @ d), float(d @ d)

    def slope(t: float) -> float:
        r = 1.0 - o - t * delta
        on = r > 0
        return wd + t * dd - 2 * C * float(r[on] @ delta[on])

    hi = 1.0
    while slope(hi) < 0:
        hi *= 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        kinks = (1.0 - o) / delta
    kinks = np.sort(kinks[(kinks > 0) & (kinks < hi)])
    pts = np.concatenate([[0.0], kinks, [hi]])
    i, j = 0, len(pts) - 1
    while j - i > 1:
        k = (i + j) // 2
        if slope(pts[k]) < 0:
            i = k
        else:
            j = k
    s0, s1 = slope(pts[i]), slope(pts[j])
    return float(pts[i] - s0 * (pts[j] - pts[i]) / (s1 - s0)) if s1 != s0 else float(pts[j])


def _inseparability(G: np.ndarray, soft: _Dual, goal: float) -> tuple[np.ndarray, float]:
    """The best convex combination u (u >= 0, Σ_s u_s = 1; an (m,) array) found from the soft margin
    towards Σ_s u_s g_s = 0, and ‖Σ_s u_s g_s‖ (inf and u = 0 when the soft margin has no support;
    the soft margin's slacks normalised to sum 1 when nothing closer to 0 is found).
    When the data are not separable, min_w Σ_s max(0, 1 - g_s·w)² > 0 and its optimal slacks ξ >= 0
    satisfy Gᵀ ξ = 0 (Gordan's alternative); the soft margin's slacks at a large C are near them.
    With S the soft margin's support, one QR factorisation with column pivoting G_S P = Q R (numerical
    rank r at RANK_TOL) gives the null space of G_Sᵀ, spanned by the last |S| - r columns Z of Q. The
    slacks ξ_S are projected onto it, x = Z Zᵀ ξ_S, so that G_Sᵀ x = 0 up to rounding, and
    u = max(x, 0) / Σ_s max(x_s, 0). When x has negative entries, those points are dropped: the null
    space of G_Tᵀ for the remaining points T is {x = Z c : x_s = 0 off T}, so the projection is
    repeated from max(x, 0) onto that subspace (a small least-squares problem in c), at most
    CERTIFICATE_SETS times, until ‖G_Sᵀ u‖ <= `goal` (`_certificate_goal(G)`). Separable data have
    no such u: for any separator w', 1 <= Σ_s u_s g_s·w' <= ‖Σ_s u_s g_s‖ ‖w'‖, so their combination
    stays away from 0."""
    from scipy.linalg import lstsq, qr
    from scipy.linalg.lapack import dormqr

    u_best, best = np.zeros(len(G)), math.inf
    S = np.flatnonzero(soft.alpha > 0)
    if not len(S):
        return u_best, best
    GS = G[S]
    xi = soft.alpha[S] / soft.alpha[S].sum()  # the first candidate: the slacks themselves
    u_best[S], best = xi, float(np.linalg.norm(GS.T @ xi))
    (H, tau), R = qr(GS, mode="raw", pivoting=True, check_finite=False)[:2]
    diag = np.abs(np.diag(R))
    r = int(np.sum(diag > RANK_TOL * diag[0]))
    if r == len(S):  # G_Sᵀ has no null space: the soft margin's support is linearly independent
        return u_best, best

    def Q(c: np.ndarray, trans: str) -> np.ndarray:
        """Q c (trans "N") or Qᵀ c (trans "T") for the (|S|, j) array c."""
        return dormqr("L", trans, H[:, : len(tau)], tau, c, max(1, 256 * c.shape[1]))[0]

    dropped = np.zeros(len(S), dtype=bool)
    W = np.zeros((0, len(S) - r))  # rows of Z at the dropped points
    for _ in range(CERTIFICATE_SETS):
        c = Q(xi[:, None], "T")[r:, 0]
        if len(W):  # the part of c with Z c = 0 at the dropped points
            c -= W.T @ lstsq(W.T, c, cond=RANK_TOL, check_finite=False)[0]
        x = Q(np.concatenate([np.zeros(r), c])[:, None], "N")[:, 0]
        x[dropped] = 0.0
        u = np.maximum(x, 0.0)
        if u.sum() > 0:
            u /= u.sum()
            norm = float(np.linalg.norm(GS.T @ u))
            if norm < best:
                u_best[:] = 0.0
                u_best[S], best = u, norm
        new = (x < 0) & ~dropped
        if best <= goal or not new.any():
            break
        E = np.zeros((len(S), int(new.sum())))
        E[np.flatnonzero(new), np.arange(E.shape[1])] = 1.0
        W = np.vstack([W, Q(E, "T")[r:].T])
        dropped |= new
        xi = u
    return u_best, best


def _certificate_goal(G: np.ndarray) -> float:
    """The size below which ‖Σ_s u_s g_s‖ certifies that no separator exists:
    CERTIFICATE_TOL max_s ‖g_s‖."""
    return CERTIFICATE_TOL * float(np.sqrt((G**2).sum(axis=1).max()))


@dataclass(frozen=True)
class _Dual:
    """A fit in dual form: w = Gᵀ α with the dual weights α >= 0, and its KKT residual."""

    w: np.ndarray
    alpha: np.ndarray
    kkt: float


def _signed_rows(X, y) -> tuple[np.ndarray, np.ndarray]:
    """G = (y_s x_s)_s as a float64 (m, p) array, after checking X (m, ...) finite and y (m,) in {-1, +1}."""
    X = _as_array("X", X)
    if X.ndim < 2 or X.shape[0] < 1 or math.prod(X.shape[1:]) < 1:
        raise ValueError(
            f"X must have shape (m, ...) with m >= 1 points of dimension >= 1, got shape {X.shape}"
        )
    X = X.reshape(X.shape[0], -1)
    if not np.isfinite(X).all():
        raise ValueError("X must hold finite numbers only")
    y = _as_array("y", y)
    if y.shape != (X.shape[0],) or not np.isin(y, (-1.0, 1.0)).all():
        raise ValueError(
            f"y must be an array of shape (m,) = ({X.shape[0]},) with labels in {{-1, +1}}, got shape "
            f"{y.shape}"
        )
    return y[:, None] * X, y


def _kkt_residual(G: np.ndarray, w: np.ndarray, alpha: np.ndarray) -> float:
    """max_s |min(α_s, g_s)| with g = G w - 1 (w = Gᵀ α): zero exactly at the hard margin's optimum."""
    g = G @ w - 1.0
    return float(np.abs(np.minimum(alpha, g)).max())


def _rounding(G: np.ndarray, alpha: np.ndarray) -> float:
    """The rounding error of the margins G Gᵀ α in float64: 64 eps max_s ‖g_s‖² ‖α‖₁."""
    return (
        64
        * np.finfo(float).eps
        * float((G**2).sum(axis=1).max())
        * max(1.0, float(np.abs(alpha).sum()))
    )


def _nnqp_alpha(G: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The dual weights α >= 0 of a hard-margin w, by non-negative least squares on w = Gᵀ α restricted
    to the points with margin 1 (up to 1e-9)."""
    tight = np.flatnonzero(G @ w <= 1.0 + 1e-9)
    alpha = np.zeros(len(G))
    alpha[tight] = nnls(G[tight].T, w, maxiter=50 * max(len(tight), G.shape[1]))[0]
    return alpha


class _GramCache:
    """Entries K_st = g_s·g_t of the Gram matrix, computed for the points asked for so far only."""

    def __init__(self, G: np.ndarray):
        self.G = G
        self.points = np.zeros(0, dtype=np.int64)  # the points whose rows and columns are stored
        self.K = np.zeros((0, 0))
        self.where = np.full(len(G), -1)  # position of each point in `points`, -1 if absent

    def block(self, idx: np.ndarray) -> np.ndarray:
        """K restricted to the points `idx` (rows and columns)."""
        new = idx[self.where[idx] < 0]
        if len(new):
            old = len(self.points)
            Gn = self.G[new]
            K = np.empty((old + len(new),) * 2)
            K[:old, :old] = self.K
            K[:old, old:] = self.G[self.points] @ Gn.T
            K[old:, :old] = K[:old, old:].T
            K[old:, old:] = Gn @ Gn.T
            self.K, self.points = K, np.concatenate([self.points, new])
            self.where[new] = np.arange(old, old + len(new))
        pos = self.where[idx]
        return self.K[np.ix_(pos, pos)]


def _solve_block(K: np.ndarray) -> np.ndarray | None:
    """α solving K α = 1 by Cholesky, or None when K is not numerically positive definite."""
    from scipy.linalg import LinAlgError, cho_factor, cho_solve

    try:
        factor = cho_factor(K, check_finite=False)
    except LinAlgError:
        return None
    return cho_solve(factor, np.ones(len(K)), check_finite=False)


def _hard_pivoting(G: np.ndarray, start: np.ndarray) -> _Dual | None:
    """The hard-margin dual min ½ αᵀ K α - 1ᵀ α over α >= 0 by block principal pivoting (Kim & Park 2011)
    from the passive set `start` (a boolean mask): solve K_FF α_F = 1 with α = 0 off F, then move every
    point of F with α_s < 0 out and every other point with margin g_s·w < 1 in; when three such full
    exchanges in a row do not lower the number of misplaced points, move only the misplaced point of
    largest index (Murty's rule, which ends). Returns None when it does not reach the KKT conditions to
    KKT_TOL within MAX_PIVOTS steps or K_FF is singular (the caller then uses `hard_margin_svm`), as
    it is from the start when `start` holds more points than G has columns (K_FF has rank <= p)."""
    m = len(G)
    if start.sum() > G.shape[1]:
        return None
    cache = _GramCache(G)
    passive = start.copy()
    best, chances = m + 1, 3
    for _ in range(MAX_PIVOTS):
        idx = np.flatnonzero(passive)
        alpha_f = _solve_block(cache.block(idx)) if len(idx) else np.zeros(0)
        if alpha_f is None:
            return None
        alpha = np.zeros(m)
        alpha[idx] = alpha_f
        w = G[idx].T @ alpha_f
        g = G @ w - 1.0
        wrong = (passive & (alpha < 0)) | (~passive & (g < -KKT_TOL))
        count = int(wrong.sum())
        if count == 0:
            kkt = _kkt_residual(G, w, np.maximum(alpha, 0.0))
            return (
                _Dual(w, np.maximum(alpha, 0.0), kkt)
                if kkt <= max(KKT_TOL, _rounding(G, alpha))
                else None
            )
        if count < best:
            best, chances = count, 3
            passive ^= wrong
        elif chances > 0:
            chances -= 1
            passive ^= wrong
        else:
            passive[np.flatnonzero(wrong).max()] ^= True
    return None
