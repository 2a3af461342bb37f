"""The linear floor of D with noise: the smallest test error any linear classifier sign(w·x) (no bias)
can reach, for a noise law, n, d and scale (the evidence for the noise law of the §7 chapter,
book/paper/experiments: a learner that outputs a linear classifier, such as the paper's SVM of
Figs. 3b and 5, cannot have a test error below it, up to its sampling error).

Setting. x = (o_{p(1)} + v_1, ..., o_{p(n)} + v_n) with D's patterns (l = d orthonormal o_1, ..., o_l,
§3) and i.i.d. noise v_j of a spherically symmetric law (`lib.distributions.noise_vectors`); write
ξ for one coordinate of v (its law is that of v·u for every unit vector u).

The separator direction. w = (o_1 - o_2, ..., o_1 - o_2) (the direction of the separator n·(o_1 - o_2)
of Prop. 6.1) has margin y w·x = 1 + √2 Σ_j ξ_j, so its error is exactly

    err_sep = P(ξ_1 + ... + ξ_n > 1/√2),

computed by `separator_error`: in closed form for the Gaussian law, and for the ball and the
radial-uniform laws by convolving n copies of ξ's law discretised on a grid in two ways that bracket
it (every grid cell's mass at its lower end, at its upper end), which bounds err_sep from both sides.

What is proved. Let u = o_1 - o_2 and N = Σ_j w_j·v_j = Σ_j ‖w_j‖ ξ_j (ξ_j i.i.d. copies of ξ), the
noise part of w·x, independent of the patterns and the label. ξ is symmetric and unimodal for every
law here (N(0, 1/d)-like; ∝ (1 - ξ²)^((d-1)/2) for the ball; a scale mixture of such for the
radial-uniform law), hence so is N (Wintner: a sum of independent symmetric unimodal variables is
one), so G_N(t) = P(N > t) is decreasing, G_N(-t) = 1 - G_N(t), and G_N is convex on [0, ∞).

(a) A lower bound for every w. Fix the position J of the discriminative pattern and the spurious
patterns (same law for both labels), let R be their part of w·x, α = w_J·o_1 and β = -w_J·o_2. The
error averaged over the label is ½[G_N(α + R) + G_N(β - R)], and for a sum s = α + β >= 0,
G_N(t) + G_N(s - t) >= 2 G_N(s/2) (convexity for t in [0, s]; for t < 0 it falls as t grows to 0,
since N's density at t is at least that at s - t; t > s likewise), while for s < 0 it is >= 1. So with
c_J = max(0, w_J·u / 2):

    err(w) >= (1/n) Σ_J G_N(c_J).                                                       (*)

(b) n = 1, every law: N = ‖w‖ξ and c_1 <= ‖w‖ ‖u‖ / 2 = ‖w‖/√2, so err(w) >= P(ξ > 1/√2) = err_sep.
(c) Gaussian noise, every n: N ~ N(0, scale²/d Σ_j ‖w_j‖²) with ‖w_j‖² >= (w_j·u)²/2 >= 2 c_j², so
(*) gives err(w) >= (1/n) Σ_J h(q_J) with q_J = c_J² / Σ_j c_j² (mean 1/n) and
h(q) = Φ̄(√(d q / 2) / scale), which is convex in q (h'' > 0); by Jensen err(w) >= h(1/n) = err_sep.
(d) Without noise err_sep = 0 (D is linearly separable, Prop. 6.1).
So the separator direction is optimal, and the floor is err_sep exactly, for n = 1, for Gaussian noise
and without noise. For the ball and radial-uniform laws at n > 1, (*) still holds but we have no
proof that equal c_J minimise it (N is then not a Gaussian scale family). `linear_floor` therefore
also fits w on a large sample (least squares, logistic regression and a smoothed 0-1 loss from
several starts) and evaluates every candidate on a fresh sample, with a Clopper-Pearson interval.

Every public function raises ValueError naming the parameter and its allowed range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from scipy import special, stats

from lib._checks import check_choice, check_float, check_int, check_seed
from lib.baselines import linear_svm
from lib.distributions import NOISE_LAWS, NoisyOrthogonalPatterns, OrthogonalPatterns

MAX_GRID = 2**23  # points of the convolved grid in `separator_error` (memory: ~16 bytes each)
GRID_STEP = 1 / 1024  # the target bracket step of the sum ξ_1 + ... + ξ_n (in units of `scale`)
MIN_LOG2_K = 14  # and ξ's grid step is at most 2^-14
# the fitting sample of `linear_floor(..., seed)` comes from seed + this
FIT_SEED_OFFSET = 2 * 10**6
EVAL_SEED_OFFSET = 3 * 10**6  # its evaluation chunk i from seed + this + i SEED_STRIDE
SEED_STRIDE = 10**6  # so `linear_floor`'s seeds are below it: two seeds never share a chunk
EVAL_CHUNK = 25_000  # points per evaluation chunk
SMOOTH_STARTS = 3  # starts of the smoothed 0-1 fit: the least-squares direction and two random ones
SMOOTH_TAU = 0.1  # its temperature, as a fraction of the spread of the margins at the start
MAX_EVAL = 10**7  # evaluation points at most (the chunks' seeds stay below the noise's seed offset)
# `svm_errors`: those of the §7 figures
SVM_TRAIN_SEED_OFFSET, SVM_TEST_SEED_OFFSET = (
    1_000,
    1_000_000,
)


def _gl_nodes(order: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on [0, 1]."""
    x, w = np.polynomial.legendre.leggauss(order)
    return (x + 1) / 2, w / 2


def coordinate_survival(law: str, d: int, x: np.ndarray) -> np.ndarray:
    """G(x) = P(ξ > x) for one coordinate ξ of v at scale 1 (v in R^d, law one of NOISE_LAWS), at the
    points x (an array).

    gaussian: ξ ~ N(0, 1/d). ball: (ξ + 1)/2 ~ Beta((d+1)/2, (d+1)/2) (the density of a coordinate of the
    uniform ball is ∝ (1 - ξ²)^((d-1)/2)). radial-uniform: ξ = R U with R ~ U[0, 1] and U a coordinate of
    a uniform unit vector, (U + 1)/2 ~ Beta((d-1)/2, (d-1)/2); for x in (0, 1],
    P(RU > x) = ∫_x^1 P(U > x/r) dr = S_U(x) - x ∫_x^1 f_U(u)/u du (substituting u = x/r, then by parts),
    the last integral by 10-point Gauss-Legendre on the cells between the sorted |x|, the points j/64
    and 2^-i (i >= 7): f_U(u)/u is smooth on each, and no cell spans more than a factor 2 of u near 0
    (at x = 0, G = 1/2 needs no integral).
    """
    law = check_choice("law", law, NOISE_LAWS)
    d = check_int("d", d, 3)
    x = np.asarray(x, dtype=np.float64)
    if law == "gaussian":
        return stats.norm.sf(x * math.sqrt(d))
    if law == "ball":
        a = (d + 1) / 2
        # P(B > (x+1)/2) = I_{(1-x)/2}(a, a)
        return special.betainc(a, a, np.clip((1 - x) / 2, 0, 1))
    a = (d - 1) / 2
    ax = np.clip(np.abs(x), 0, 1)
    # grid[0] = 0
    grid = np.unique(np.concatenate([ax.ravel(), np.linspace(0, 1, 65), 2.0 ** -np.arange(7, 60)]))
    nodes, weights = _gl_nodes()
    lo, hi = grid[:-1], grid[1:]
    lo_pos = np.where(lo > 0, lo, np.nan)  # the first cell, [0, grid[1]], is never needed
    u = lo_pos[:, None] + (hi - lo)[:, None] * nodes[None, :]
    f_over_u = np.power(np.clip(1 - u * u, 0, None), (d - 3) / 2) / special.beta(0.5, a) / u
    cells = np.nan_to_num(((hi - lo)[:, None] * weights[None, :] * f_over_u).sum(1))
    tail = np.concatenate([np.cumsum(cells[::-1])[::-1], [0.0]])  # ∫_{grid[i]}^1 f_U(u)/u du
    integral = tail[np.searchsorted(grid, ax)]
    sf_u = special.betainc(a, a, np.clip((1 - ax) / 2, 0, 1))
    sf = np.where(ax > 0, sf_u - ax * integral, 0.5)
    return np.where(x >= 0, sf, 1 - sf)


@dataclass(frozen=True)
class SeparatorError:
    """err_sep = P(ξ_1 + ... + ξ_n > 1/√2) of the separator direction, bracketed: low <= err_sep <= high
    (low = high for the Gaussian law and without noise); `value` the middle of the bracket."""

    low: float
    high: float

    @property
    def value(self) -> float:
        return (self.low + self.high) / 2


def separator_error(n: int, d: int, law: str, scale: float) -> SeparatorError:
    """The exact test error of w = (o_1 - o_2, ..., o_1 - o_2) on D with noise of `law` at `scale`
    (n >= 1 patches, d >= 3): P(ξ_1 + ... + ξ_n > 1/√2), see the module docstring.

    For the ball and radial-uniform laws ξ/scale lies in [-1, 1]; its law is put on the grid of step 1/K
    (K a power of two, K >= 2^MIN_LOG2_K and n/K <= GRID_STEP while the n-fold sum's grid fits in
    MAX_GRID points) with
    each cell's mass at its lower end (a variable <= ξ) and at its upper end (>= ξ); the n-fold
    convolutions (one FFT) bound the sum's tail from below and above, to within about f(t) n/K."""
    n = check_int("n", n, 1)
    d = check_int("d", d, 3)
    law = check_choice("law", law, NOISE_LAWS)
    scale = check_float("scale", scale, 0.0)
    if scale == 0:
        return SeparatorError(0.0, 0.0)
    t = 1 / (math.sqrt(2) * scale)  # the threshold of the sum of ξ/scale
    if law == "gaussian":
        p = float(stats.norm.sf(t * math.sqrt(d / n)))
        return SeparatorError(p, p)
    if t >= n:  # |ξ_1 + ... + ξ_n| <= n scale < 1/√2 almost surely
        return SeparatorError(0.0, 0.0)
    K = 2 ** max(MIN_LOG2_K, math.ceil(math.log2(n / GRID_STEP)))
    while 2 * n * K > MAX_GRID and K > 16:
        K //= 2
    grid = np.arange(-K, K + 1) / K
    # P(ξ in cell k), k = 0..2K-1
    mass = np.clip(-np.diff(coordinate_survival(law, d, grid)), 0, None)
    length = n * (2 * K - 1) + 1
    size = 1 << (length - 1).bit_length()
    pmf = np.clip(np.fft.irfft(np.fft.rfft(mass, size) ** n, size)[:length], 0, None)
    tail = np.concatenate([np.cumsum(pmf[::-1])[::-1], [0.0]])  # tail[i] = P(index of the sum >= i)
    # the lower sum is -n + i/K, the upper one -n + (i + n)/K: P(sum > t) from the first i past t
    # the rounding margins keep the bounds
    first_lo = min(length, math.floor((t + n) * K + 1e-9) + 1)
    first_hi = min(length, max(0, math.floor((t + n) * K - 1e-9) + 1 - n))
    return SeparatorError(float(min(1.0, tail[first_lo])), float(min(1.0, tail[first_hi])))


def clopper_pearson(errors: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """The exact (Clopper-Pearson) two-sided interval of a binomial proportion errors / trials."""
    trials = check_int("trials", trials, 1)
    errors = check_int("errors", errors, 0, trials)
    level = check_float("level", level, 0.0, 1.0, low_open=True)
    alpha = 1 - level
    low = 0.0 if errors == 0 else float(stats.beta.ppf(alpha / 2, errors, trials - errors + 1))
    high = (
        1.0
        if errors == trials
        else float(stats.beta.ppf(1 - alpha / 2, errors + 1, trials - errors))
    )
    return low, high


@dataclass(frozen=True)
class LinearFloor:
    """The linear floor of one setting: `estimate` with the interval [low, high], the candidate it comes
    from (`method`), the exact `separator` bracket, and `candidates`: one row per direction w
    (separator, least squares, logistic, smoothed 0-1) with its error on the fresh evaluation sample,
    that error's Clopper-Pearson interval, and its cosine with the separator direction."""

    estimate: float
    low: float
    high: float
    method: str
    separator: SeparatorError
    candidates: pd.DataFrame


def _noisy(n: int, d: int, law: str, scale: float, basis_seed: int):
    if scale == 0:
        return OrthogonalPatterns(n, d, basis="random", seed=basis_seed, dtype=torch.float64)
    return NoisyOrthogonalPatterns(
        n, d, noise=scale, noise_law=law, basis="random", seed=basis_seed, dtype=torch.float64
    )


def fitted_directions(dist, fit_size: int, seed: int) -> dict[str, np.ndarray]:
    """Directions w (n d,) fitted on `fit_size` points of `dist` drawn from `seed`: the least-squares
    fit argmin Σ_s (w·x_s - y_s)², the logistic regression without intercept (L2, C = 1e4), and the
    best (lowest error on these points) of `smoothed_zero_one` from the least-squares fit and from
    SMOOTH_STARTS - 1 random directions (from `seed`)."""
    from sklearn.linear_model import LogisticRegression

    X, y = dist.sample(check_int("fit_size", fit_size, 2), seed=check_seed("seed", seed))
    X, y = X.reshape(X.shape[0], -1).numpy(), y.numpy()
    least_squares = np.linalg.lstsq(X, y, rcond=None)[0]
    logistic = (
        LogisticRegression(C=1e4, fit_intercept=False, max_iter=2_000, tol=1e-8)
        .fit(X, y)
        .coef_.ravel()
    )
    g = torch.Generator().manual_seed(seed)
    starts = [least_squares] + [
        torch.randn(X.shape[1], generator=g, dtype=torch.float64).numpy()
        for _ in range(SMOOTH_STARTS - 1)
    ]
    fits = [smoothed_zero_one(X, y, w0) for w0 in starts]
    errors = [np.mean(np.where(X @ w > 0, 1.0, -1.0) != y) for w in fits]
    return {
        "least squares": least_squares,
        "logistic": logistic,
        "smoothed 0-1": fits[int(np.argmin(errors))],
    }


def smoothed_zero_one(
    X: np.ndarray, y: np.ndarray, w0: np.ndarray, *, steps: int = 300, lr: float = 0.01
) -> np.ndarray:
    """A local minimum near w0 of the smoothed training error L(w) = (1/m) Σ_s σ(-z_s / τ), z_s = y_s w·x_s / ‖w‖
    (σ the logistic function; L depends on w's direction only), by `steps` Adam steps of size `lr` from
    w0 / ‖w0‖ (float32), with the gradient in closed form: ∇L = (1/‖w‖) Σ_s g_s (y_s x_s - z_s w / ‖w‖),
    g_s = -σ'(-z_s/τ) / (m τ). τ = SMOOTH_TAU times the spread (standard deviation) of the z_s at w0;
    w0 is returned as it is when that spread is 0 (every point has the same margin)."""
    Xt, yt = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32)
    w = torch.as_tensor(w0, dtype=torch.float32)
    w = w / w.norm()
    tau = SMOOTH_TAU * float((yt * (Xt @ w)).std())
    if not tau > 0:
        return np.asarray(w0, dtype=np.float64)
    w.requires_grad_(True)
    opt = torch.optim.Adam([w], lr=lr)
    with torch.no_grad():
        for _ in range(steps):
            norm = w.norm()
            z = yt * (Xt @ w) / norm
            sig = torch.sigmoid(-z / tau)
            g = -sig * (1 - sig) / (tau * len(yt))
            w.grad = ((g * yt) @ Xt - (g * z).sum() * w / norm) / norm
            opt.step()
    return w.detach().double().numpy()


def linear_floor(
    n: int,
    d: int,
    law: str,
    scale: float,
    *,
    fit_size: int = 40_000,
    eval_size: int = 100_000,
    seed: int = 0,
    basis_seed: int = 0,
) -> LinearFloor:
    """The smallest test error of sign(w·x) (no bias) on D with noise (n patches, d = l, patterns of the
    random basis from `basis_seed`, noise `law` at `scale`), estimated as the module docstring says.

    Candidates: the separator direction (its error exact, `separator_error`) and the three directions of
    `fitted_directions` on `fit_size` points (from seed + FIT_SEED_OFFSET); each is evaluated on
    `eval_size` fresh points (chunk i of EVAL_CHUNK points from seed + EVAL_SEED_OFFSET + i SEED_STRIDE;
    seed < SEED_STRIDE, eval_size <= MAX_EVAL). Rule, fixed
    before any run: the estimate is err_sep with its bracket, unless a fitted direction's
    Clopper-Pearson upper end lies below the bracket, in which case it is that direction's
    evaluation error with its interval. The floor is at most `high`; it equals the estimate where the
    separator direction is optimal (proved for n = 1 and for symmetric w, see the module)."""
    n = check_int("n", n, 1)
    d = check_int("d", d, 3)
    law = check_choice("law", law, NOISE_LAWS)
    scale = check_float("scale", scale, 0.0)
    eval_size = check_int("eval_size", eval_size, 1, MAX_EVAL)
    seed = check_int("seed", seed, 0, SEED_STRIDE - 1)
    dist = _noisy(n, d, law, scale, basis_seed)
    sep = separator_error(n, d, law, scale)
    P = dist.patterns.numpy()
    directions = {
        "separator": np.tile(P[0] - P[1], n),
        **fitted_directions(dist, fit_size, seed + FIT_SEED_OFFSET),
    }
    wrong = dict.fromkeys(directions, 0)
    for i, start in enumerate(range(0, eval_size, EVAL_CHUNK)):
        X, y = dist.sample(
            min(EVAL_CHUNK, eval_size - start), seed=seed + EVAL_SEED_OFFSET + i * SEED_STRIDE
        )
        X, y = X.reshape(X.shape[0], -1).numpy(), y.numpy()
        for name, w in directions.items():
            wrong[name] += int(np.sum(np.where(X @ w > 0, 1.0, -1.0) != y))
    sep_unit = directions["separator"] / np.linalg.norm(directions["separator"])
    rows = [
        {
            "direction": name,
            "error": k / eval_size,
            **dict(zip(("ci_low", "ci_high"), clopper_pearson(k, eval_size))),
            "cos_separator": float(directions[name] @ sep_unit / np.linalg.norm(directions[name])),
        }
        for name, k in wrong.items()
    ]
    return choose_floor(sep, pd.DataFrame(rows))


def choose_floor(separator: SeparatorError, candidates: pd.DataFrame) -> LinearFloor:
    """`linear_floor`'s rule: err_sep with its bracket, unless a fitted direction (a row of `candidates`
    other than "separator", with columns direction, error, ci_low, ci_high) has its interval's upper end
    below the bracket; then the lowest such error with its interval."""
    fits = candidates[candidates.direction != "separator"]
    better = fits[fits.ci_high < separator.low]
    if len(better):
        best = better.loc[better.error.idxmin()]
        return LinearFloor(
            float(best.error),
            float(best.ci_low),
            float(best.ci_high),
            str(best.direction),
            separator,
            candidates,
        )
    return LinearFloor(
        separator.value, separator.low, separator.high, "separator", separator, candidates
    )


def svm_errors(
    n: int,
    m: int,
    law: str,
    scale: float,
    *,
    seeds: int = 5,
    d: int = 20,
    test_size: int = 2_000,
    basis_seed: int = 0,
) -> pd.DataFrame:
    """Test errors of the §7 linear SVM (`lib.baselines.linear_svm`: hard margin without bias where the
    training set is separable, else the squared-hinge soft margin with C = 1e4) on D with noise:
    repetition r = 0..seeds-1 trains on m points from seed SVM_TRAIN_SEED_OFFSET + r and is tested on
    `test_size` points from SVM_TEST_SEED_OFFSET + r. One row per repetition."""
    m = check_int("m", m, 1)
    seeds = check_int("seeds", seeds, 1)
    test_size = check_int("test_size", test_size, 1)
    dist = _noisy(
        check_int("n", n, 1),
        check_int("d", d, 3),
        check_choice("law", law, NOISE_LAWS),
        check_float("scale", scale, 0.0),
        basis_seed,
    )
    rows = []
    for r in range(seeds):
        X, y = dist.sample(m, seed=SVM_TRAIN_SEED_OFFSET + r)
        Xt, yt = dist.sample(test_size, seed=SVM_TEST_SEED_OFFSET + r)
        fit = linear_svm(X, y)
        rows.append(
            {
                "n": n,
                "m": m,
                "law": law,
                "scale": scale,
                "seed": r,
                "svm": fit.kind,
                "train_error": fit.train_error,
                "test_error": fit.error(Xt, yt),
            }
        )
    return pd.DataFrame(rows)
