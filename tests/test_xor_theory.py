"""The book's Part II theory (lib/xor_theory.py): the XOR-paper network's reconstructed bounds."""

import math
from itertools import product

import numpy as np
import pytest
import torch

from lib import xor_theory as theory


def test_detector_probability_matches_monte_carlo():
    d = 6
    a = torch.randn(200_000, d, generator=torch.Generator().manual_seed(0))
    freq = ((a.argmax(1) == 0) & (a[:, 0] > 0)).double().mean().item()
    assert theory.detector_probability(d) == pytest.approx((1 - 2**-6) / 6)
    assert freq == pytest.approx(theory.detector_probability(d), abs=3e-3)


def test_detector_count_lower_bound_known_values_and_monotone():
    # k = 1, d = 3: P(no detector) = 1 - q = 1 - 7/24 > delta / 2, so no guarantee
    assert theory.detector_count_lower_bound(1, 3) == 0
    # tiny delta on a sure event: q -> 1/d, Binomial(k, q) < K has probability exactly computable
    k, d, delta = 10, 4, 0.5
    q = theory.detector_probability(d)
    cdf = [sum(math.comb(k, j) * q**j * (1 - q) ** (k - j) for j in range(K)) for K in range(k + 2)]
    expected = max(K for K in range(k + 1) if cdf[K] <= delta / 2)
    assert theory.detector_count_lower_bound(k, d, delta) == expected
    counts = [theory.detector_count_lower_bound(k, 30) for k in (1, 50, 109, 200, 1000, 5000)]
    assert counts == sorted(counts) and counts[0] == 0 and counts[-1] > counts[-2]
    assert theory.detector_count_lower_bound(1000, 30, 0.5) >= theory.detector_count_lower_bound(
        1000, 30, 0.01
    )


def test_min_width_is_the_first_width_with_a_detector():
    for d, delta in ((3, 0.1), (10, 0.05), (30, 0.05), (50, 0.01)):
        k = theory.min_width(d, delta)
        assert theory.detector_count_lower_bound(k, d, delta) >= 1
        assert k == 1 or theory.detector_count_lower_bound(k - 1, d, delta) == 0
    assert theory.min_width(50) > theory.min_width(10)


def test_iteration_bound_monotonicity_and_value():
    assert math.isinf(theory.iteration_bound(20, 1, 30, 1.0))
    k, d, m, lr = 1000, 30, 20, 0.002
    K = theory.detector_count_lower_bound(k, d)
    assert theory.iteration_bound(m, k, d, lr) == 2 * math.ceil(m * 2 / (lr * K))
    assert theory.iteration_bound(40, k, d, lr) > theory.iteration_bound(20, k, d, lr)
    assert theory.iteration_bound(m, k, d, 2 * lr) < theory.iteration_bound(m, k, d, lr)
    assert theory.iteration_bound(m, 2000, d, lr) < theory.iteration_bound(m, k, d, lr)
    assert theory.iteration_bound(m, k, d, lr, interference=0.0) < theory.iteration_bound(
        m, k, d, lr
    )


def test_spurious_deviation_and_requirement_are_consistent():
    n, d, delta = 10, 30, 0.05
    m = theory.sample_size_requirement(n, d, delta=delta)
    assert (
        (n - 1) * theory.spurious_deviation(m, d, delta)
        < 1
        <= (n - 1) * theory.spurious_deviation(m - 1, d, delta)
    )
    assert m == math.floor(2 * math.log(2 * 28 / 0.05) * 81) + 1  # 1138
    assert theory.sample_size_requirement(20, d) > m  # more patches per input need more data
    assert theory.sample_size_requirement(n, 50) > m  # more patterns need more data
    assert theory.sample_size_requirement(n, d, delta=0.01) > m
    assert theory.sample_size_requirement(n, d, scale=0.5) < m


def test_test_error_bound_decreases_in_m_and_meets_delta_at_the_requirement():
    n, d = 10, 30
    values = [theory.test_error_bound(m, n, d) for m in (1, 100, 1000, 2000, 5000)]
    assert (
        values[0] == 1.0 and all(a >= b for a, b in zip(values, values[1:])) and values[-1] < 1e-6
    )
    m = theory.sample_size_requirement(n, d, delta=0.05)
    assert theory.test_error_bound(m, n, d) <= 0.05 < theory.test_error_bound(m - 1, n, d)
    assert theory.test_error_bound(5, 1, d) == 0.0  # no spurious position, nothing to confuse


def test_sample_complexity_grows_like_d2_log_d():
    values = {d: theory.sample_complexity(d) for d in (10, 20, 40, 80)}
    for d in (10, 20, 40):
        ratio = values[2 * d] / values[d]
        # (2d)^2 log(2d) / (d^2 log d), with the (d - 1)^2 and constant inside log
        assert 4 < ratio < 6
    assert theory.sample_complexity(30) == theory.sample_size_requirement(30, 30)


def test_vc_lower_bound_values():
    assert theory.vc_lower_bound(8, 1000) == 8
    assert theory.vc_lower_bound(30, 1000) == 1000
    assert theory.vc_lower_bound(30, 10**9) == 2**14
    assert theory.shattered_inputs(8).shape == (8, 4)


@pytest.mark.parametrize("d", [6, 7, 8])
def test_shattering_filters_realise_every_labelling(d):
    idx = theory.shattered_inputs(d)
    assert len({tuple(sorted(row)) for row in idx.tolist()}) == len(idx)  # distinct pattern sets
    assert theory.realised_labellings(d) == (2 ** len(idx), 2 ** len(idx))


def test_realised_labellings_detects_a_broken_construction(monkeypatch):
    real = theory.shattering_filters
    monkeypatch.setattr(
        theory, "shattering_filters", lambda d, labels: tuple(-f for f in real(d, labels))
    )
    realised, total = theory.realised_labellings(6)
    assert realised < total


@pytest.mark.parametrize(
    "call",
    [
        lambda: theory.detector_probability(2),
        lambda: theory.detector_count_lower_bound(0, 30),
        lambda: theory.detector_count_lower_bound(10, 30, delta=0.0),
        lambda: theory.min_width(30, delta=1.5),
        lambda: theory.iteration_bound(0, 10, 30, 0.1),
        lambda: theory.iteration_bound(10, 10, 30, -0.1),
        lambda: theory.iteration_bound(10, 10, 30, 0.1, interference=-1.0),
        lambda: theory.spurious_deviation(10, 2),
        lambda: theory.sample_size_requirement(0, 30),
        lambda: theory.sample_size_requirement(10, 30, scale=0.0),
        lambda: theory.test_error_bound(0, 10, 30),
        lambda: theory.vc_lower_bound(3, 10),
        lambda: theory.shattering_filters(8, [1, -1]),
        lambda: theory.shattering_filters(6, [1, 0, 1, 1]),
    ],
)
def test_invalid_parameters_raise_value_error(call):
    with pytest.raises(ValueError):
        call()
