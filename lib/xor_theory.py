"""The book's Part II theory: quantitative statements about the XOR-paper network (k filters of each
sign, a fixed +-1 output layer, GD on the hinge loss) as plain functions of the problem parameters.

These are **the book's own reconstruction**, written before the published paper's full text was
found; they are not claims of the published paper (whose quantities are in lib/theory.py). They follow
the usual proof shapes: sample complexity (a union bound over spurious patterns), optimization
(exploration at initialisation, then a bounded number of GD steps) and a VC lower bound. Constants
left unspecified are keyword arguments whose docstring says so; change them here and the book follows.

Notation: n patches per input, d patterns (= filter dimension), k filters per sign, m training points,
learning rate eta, confidence delta. Patterns are o_0 = p_plus, o_1 = p_minus, o_2..o_{d-1} spurious.
"""

from __future__ import annotations

import math

import numpy as np

from lib._checks import check_float, check_int


def detector_probability(d: int) -> float:
    """Probability that one filter, drawn i.i.d. N(0, sigma_g^2 I_d), is a *detector* of p_plus at
    initialisation: its dot product with p_plus is the largest of its d dot products and is positive.

    The d dot products are i.i.d. Gaussians, so the arg-max is uniform, and the maximum is negative only
    when all d are: q = (1 - 2^-d) / d, whatever sigma_g (the same holds for u-filters and p_minus)."""
    d = check_int("d", d, 3)
    return (1.0 - 2.0**-d) / d


def detector_count_lower_bound(k: int, d: int, delta: float = 0.05) -> int:
    """K_low: with probability >= 1 - delta over the initialisation, at least K_low of the k w-filters
    detect p_plus AND at least K_low of the k u-filters detect p_minus (see `detector_probability`).

    The count of detectors of each sign is Binomial(k, q); K_low is the largest K with
    P(Binomial(k, q) < K) <= delta / 2 (exact binomial tail, union bound over the two signs)."""
    k = check_int("k", k, 1)
    q = detector_probability(d)
    delta = check_float("delta", delta, 0.0, 1.0, low_open=True)
    log_q, log_1q = math.log(q), math.log1p(-q)
    cdf = 0.0  # P(Binomial < K), accumulated for K = 0, 1, ...
    for K in range(k + 1):
        pmf = math.exp(
            math.lgamma(k + 1)
            - math.lgamma(K + 1)
            - math.lgamma(k - K + 1)
            + K * log_q
            + (k - K) * log_1q
        )
        if cdf + pmf > delta / 2:
            return K
        cdf += pmf
    return k


def min_width(d: int, delta: float = 0.05) -> int:
    """The smallest k with `detector_count_lower_bound(k, d, delta) >= 1`: enough filters that, with
    probability >= 1 - delta, both signs have a detector at initialisation ("exploration at
    initialisation", the book's optimization reconstruction). Solves (1 - q)^k <= delta / 2."""
    q = detector_probability(d)
    delta = check_float("delta", delta, 0.0, 1.0, low_open=True)
    return max(1, math.ceil(math.log(delta / 2) / math.log1p(-q) - 1e-12))


def iteration_bound(
    m: int, k: int, d: int, lr: float, *, delta: float = 0.05, interference: float = 1.0
) -> float:
    """T-OPT (our reconstruction): with probability >= 1 - delta over the initialisation, full-batch GD
    on the hinge loss reaches zero training loss within

        T <= 2 * ceil( m (1 + c_I) / (eta * K_low) )

    steps, where K_low = `detector_count_lower_bound(k, d, delta)`, provided the *interference* (the
    output of the opposite-sign filters on a training point, e.g. sum_i max_j relu(<u_i, x_j>) on a
    positive x) stays <= c_I during training. Returns inf when K_low = 0 (k too small: no guarantee).

    Why: a detector of p_plus wins its max-pool on every positive point, so each GD step with at least
    one positive point active raises the margin of every positive point by at least eta * K_low / m,
    and its other dot products only decrease; after ceil(m (1 + c_I) / (eta K_low)) such steps no
    positive point can be active again. The same holds for the negative points.

    interference : c_I, unspecified in the paper; our reconstruction (the book measures it).
    """
    m = check_int("m", m, 1)
    lr = check_float("lr", lr, 0.0, low_open=True)
    interference = check_float("interference", interference, 0.0)
    K = detector_count_lower_bound(k, d, delta)
    if K == 0:
        return math.inf
    return float(2 * math.ceil(m * (1.0 + interference) / (lr * K) - 1e-9))


def spurious_deviation(m: int, d: int, delta: float = 0.05) -> float:
    """epsilon(m): with probability >= 1 - delta over a training set with m/2 points of each label,
    every spurious pattern p has |Delta_p| = |p̂⁺_p - p̂⁻_p| <= epsilon, when the spurious law is the same
    for both labels (E Delta_p = 0). Hoeffding for the difference of two means of m/2 indicators plus a
    union bound over the d - 2 spurious patterns (the book's reconstruction, step 2):

        epsilon = sqrt( 2 log(2 (d - 2) / delta) / m )."""
    m = check_int("m", m, 1)
    d = check_int("d", d, 3)
    delta = check_float("delta", delta, 0.0, 1.0, low_open=True)
    return math.sqrt(2.0 * math.log(2.0 * (d - 2) / delta) / m)


def sample_size_requirement(n: int, d: int, *, delta: float = 0.05, scale: float = 1.0) -> int:
    """T-GEN (our reconstruction): the m that the generalization theorem asks for. If every spurious
    pattern has (n - 1) * scale * |Delta_p| < 1, the n - 1 spurious patterns of a test point cannot
    outweigh its discriminative margin, and the test error is zero (the book's reconstruction, step 3). By
    `spurious_deviation` this holds with probability >= 1 - delta as soon as

        m > 2 log(2 (d - 2) / delta) * ((n - 1) * scale)^2.

    The requirement does not involve k. Returns the smallest such integer m.

    scale : how many units of output a spurious pattern with |Delta_p| = 1 contributes, relative to the
        discriminative margin 1; unspecified in the paper; our reconstruction (PSI).
    """
    n = check_int("n", n, 1)
    d = check_int("d", d, 3)
    delta = check_float("delta", delta, 0.0, 1.0, low_open=True)
    scale = check_float("scale", scale, 0.0, low_open=True)
    need = 2.0 * math.log(2.0 * (d - 2) / delta) * ((n - 1) * scale) ** 2
    return max(1, math.floor(need) + 1)


def test_error_bound(m: int, n: int, d: int, *, scale: float = 1.0) -> float:
    """T-GEN (our reconstruction): a bound on the expected test error of the trained network,
    min(1, 2 (d - 2) exp(-m / (2 ((n - 1) scale)^2))): the probability that the training set has a
    spurious pattern with (n - 1) * scale * |Delta_p| >= 1 (otherwise the test error is zero). It does
    not depend on k. scale: unspecified in the paper; our reconstruction (see `sample_size_requirement`)."""
    m = check_int("m", m, 1)
    n = check_int("n", n, 1)
    d = check_int("d", d, 3)
    scale = check_float("scale", scale, 0.0, low_open=True)
    if n == 1:
        return 0.0
    return min(1.0, 2.0 * (d - 2) * math.exp(-m / (2.0 * ((n - 1) * scale) ** 2)))


def sample_complexity(d: int, *, delta: float = 0.05, scale: float = 1.0) -> int:
    """T-SC: the O(d^2 log d) sample complexity of the book's reconstruction, as `sample_size_requirement` for
    the worst case n = d (an input holds at most d distinct patterns)."""
    return sample_size_requirement(d, d, delta=delta, scale=scale)


def vc_lower_bound(d: int, k: int) -> int:
    """T-VC (our reconstruction): the max-pooling networks with k filters per sign on
    inputs of n = L + 1 patches, L = floor((d - 2) / 2), shatter min(k, 2^L) inputs of the support of
    D (`shattered_inputs`), so their VC dimension is at least min(k, 2^L): exponential in d once k is."""
    d = check_int("d", d, 4)
    k = check_int("k", k, 1)
    return min(k, 2 ** ((d - 2) // 2))


def shattered_inputs(d: int) -> np.ndarray:
    """The 2^L inputs of the T-VC construction as pattern indices, shape (2^L, L + 1), L = floor((d-2)/2):
    position 0 holds p_plus, position l + 1 holds spurious pattern 2 + 2l + b_l, for every bit string b."""
    d = check_int("d", d, 4)
    L = (d - 2) // 2
    bits = (np.arange(2**L)[:, None] >> np.arange(L)[None, :]) & 1
    return np.concatenate(
        [np.zeros((2**L, 1), dtype=np.int64), 2 + 2 * np.arange(L)[None, :] + bits], axis=1
    )


def shattering_filters(d: int, labels) -> tuple[np.ndarray, np.ndarray]:
    """Filters (w, u), each of shape (k, d) with k = max(1, #positive labels), of a max-pooling network
    whose sign on `shattered_inputs(d)` equals `labels` (one label in {-1, +1} per input).

    w_1 = (P - 1/2) p_plus (the other w's are 0); for every input x_b labelled +1, one u-filter is the
    indicator of the spurious patterns *not* in x_b, so that it outputs 1 on every input but x_b. Then
    N(x_b) = (P - 1/2) - (P - [y_b = +1]) = [y_b = +1] - 1/2, where P = #positive labels (P = 0: a
    u-filter on p_plus gives N = -1/2 everywhere)."""
    inputs = shattered_inputs(d)
    labels = np.asarray(labels)
    if labels.shape != (len(inputs),) or not np.isin(labels, (-1, 1)).all():
        raise ValueError(
            f"labels must hold {len(inputs)} values in {{-1, +1}} (one per shattered input), got {labels!r}"
        )
    positives = np.flatnonzero(labels == 1)
    k = max(1, len(positives))
    w, u = np.zeros((k, d)), np.zeros((k, d))
    if len(positives) == 0:
        u[0, 0] = 0.5  # no positive label: N(x) = -1/2 on every input
    w[0, 0] = max(len(positives) - 0.5, 0.0)
    spurious = np.arange(2, 2 + 2 * ((d - 2) // 2))
    for c, b in enumerate(positives):
        u[c, np.setdiff1d(spurious, inputs[b, 1:])] = 1.0
    return w, u


def realised_labellings(d: int) -> tuple[int, int]:
    """T-VC check: build the network of `shattering_filters` for every labelling of
    `shattered_inputs(d)` and count the labellings it realises (sign of N(x) equal to the label) with
    the library's `ConvPool` with a fixed +-1 second layer (w: channels 0..k-1, u: k..2k-1). Returns (realised, 2^(number of inputs))."""
    import torch

    from lib.models import ConvPool

    inputs = torch.as_tensor(shattered_inputs(d))
    X = torch.eye(d, dtype=torch.float64)[inputs]
    total = 2 ** len(inputs)
    realised = 0
    for code in range(total):
        labels = np.where((code >> np.arange(len(inputs))) & 1, 1, -1)
        w, u = shattering_filters(d, labels)
        net = ConvPool(
            d, 2 * w.shape[0], second_layer="fixed", init="gaussian", dtype=torch.float64
        )
        with torch.no_grad():
            net.W.copy_(torch.cat([torch.as_tensor(w), torch.as_tensor(u)])[None])
            realised += int((torch.sign(net(X))[0].numpy() == labels).all())
    return realised, total
