"""The linear floor of D with noise (lib.linear_floor): the coordinate laws against independent
integrals and the sampler, the separator's exact error against closed forms and Monte Carlo, the
estimate against the closed forms (no noise: 0; n = 1: G(1/√2)), its rule, and bad arguments."""

import math

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import integrate, stats

from lib.distributions import NOISE_LAWS, noise_vectors
from lib.linear_floor import (
    SeparatorError,
    choose_floor,
    clopper_pearson,
    coordinate_survival,
    linear_floor,
    separator_error,
    svm_errors,
)


def survival_by_quadrature(law: str, d: int, scale: float, t: float) -> float:
    """P(ξ > t) for one coordinate ξ of v, from the definitions by numerical integration (independent
    of the library's formulas): the ball's coordinate density ∝ (1 - x²)^((d-1)/2) on [-1, 1], and for
    the radial-uniform law ∫_0^1 P(U > t/r) dr with U's density ∝ (1 - u²)^((d-3)/2); t < 0 by symmetry."""
    if t < 0:
        return 1 - survival_by_quadrature(law, d, scale, -t)
    x = t / scale
    if law == "gaussian":
        return float(stats.norm.sf(x * math.sqrt(d)))
    if law == "ball":
        dens = lambda u: (1 - u * u) ** ((d - 1) / 2)  # noqa: E731
        return integrate.quad(dens, x, 1)[0] / integrate.quad(dens, -1, 1)[0]
    sphere = lambda u: (1 - u * u) ** ((d - 3) / 2)  # noqa: E731
    norm = integrate.quad(sphere, -1, 1)[0]
    return integrate.quad(
        lambda r: integrate.quad(sphere, x / r, 1)[0] / norm if r > x else 0.0,
        x,
        1,
        epsabs=1e-12,
        limit=200,
    )[0]


@pytest.mark.parametrize("law", NOISE_LAWS)
@pytest.mark.parametrize("d", [3, 8, 20])
def test_coordinate_survival_matches_the_integrals(law, d):
    xs = np.array([-0.6, -0.05, 0.0, 1e-4, 0.05, 0.3, 1 / math.sqrt(2), 0.95])
    got = coordinate_survival(law, d, xs)
    want = [survival_by_quadrature(law, d, 1.0, x) for x in xs]
    np.testing.assert_allclose(got, want, atol=1e-9)


@pytest.mark.parametrize("law", NOISE_LAWS)
def test_coordinate_survival_is_the_law_of_the_sampled_noise(law):
    v = noise_vectors((20_000, 20), law, 1.0, torch.Generator().manual_seed(2))
    cdf = lambda x: 1 - coordinate_survival(law, 20, x)  # noqa: E731
    assert stats.kstest(v[:, 3].numpy(), cdf).pvalue > 0.01
    # the check has power (a law far off)
    other = "ball" if law == "radial-uniform" else "radial-uniform"
    assert (
        stats.kstest(v[:, 3].numpy(), lambda x: 1 - coordinate_survival(other, 20, x)).pvalue < 1e-6
    )


def test_separator_error_closed_forms():
    for law in NOISE_LAWS:
        assert separator_error(10, 20, law, 0.0) == SeparatorError(0.0, 0.0)  # no noise: separable
    assert separator_error(3, 20, "ball", 0.2) == SeparatorError(0.0, 0.0)  # 3 * 0.2 < 1/√2 surely
    assert separator_error(3, 20, "gaussian", 0.2).low > 0  # the Gaussian's tail is never empty
    # ξ sums to N(0, n/d): P(Z > √(d/n) / √2) = P(Z > 1)
    g = separator_error(10, 20, "gaussian", 1.0)
    assert g.low == g.high == pytest.approx(float(stats.norm.sf(1.0)), abs=1e-15)
    for law in NOISE_LAWS:  # n = 1: G(1/√2) inside the bracket
        for d, scale in ((5, 1.0), (20, 2.0)):
            want = survival_by_quadrature(law, d, scale, 1 / math.sqrt(2))
            got = separator_error(1, d, law, scale)
            assert got.low - 1e-9 <= want <= got.high + 1e-9 and got.high - got.low < 1e-3


@pytest.mark.parametrize("law", ["ball", "radial-uniform"])
def test_separator_error_bracket_holds_the_monte_carlo_sum(law):
    n, d, scale = 4, 10, 1.0
    v = noise_vectors((400_000, n, d), law, scale, torch.Generator().manual_seed(9))
    p = float((v[..., 0].sum(-1) > 1 / math.sqrt(2)).double().mean())
    se = math.sqrt(p * (1 - p) / v.shape[0])
    bracket = separator_error(n, d, law, scale)
    assert bracket.high - bracket.low < 1e-3
    assert bracket.low - 4 * se < p < bracket.high + 4 * se


def test_no_noise_floor_is_zero():
    floor = linear_floor(5, 8, "ball", 0.0, fit_size=2_000, eval_size=5_000)
    assert floor.estimate == floor.low == floor.high == 0.0 and floor.method == "separator"
    sep = floor.candidates.set_index("direction").loc["separator"]
    assert sep.error == 0.0 and sep.ci_low == 0.0


@pytest.mark.parametrize("law", NOISE_LAWS)
def test_n1_floor_matches_the_closed_form(law):
    d, scale = 6, 1.5
    closed = survival_by_quadrature(law, d, scale, 1 / math.sqrt(2))  # proved optimal for n = 1
    m = 50_000
    floor = linear_floor(1, d, law, scale, fit_size=5_000, eval_size=m, seed=4)
    assert floor.low - 1e-9 <= closed <= floor.high + 1e-9 and floor.method == "separator"
    table = floor.candidates.set_index("direction")
    se = math.sqrt(closed * (1 - closed) / m)  # four standard errors of an evaluation error
    assert abs(table.loc["separator", "error"] - closed) < 4 * se
    for name in ("least squares", "logistic", "smoothed 0-1"):  # no direction beats the floor
        assert table.loc[name, "error"] > closed - 4 * se


def test_floor_rule_keeps_the_separator_unless_a_fit_is_surely_below():
    sep = SeparatorError(0.140, 0.141)
    close = pd.DataFrame(
        {
            "direction": ["separator", "least squares", "logistic"],
            "error": [0.14, 0.139, 0.138],
            "ci_low": [0.137, 0.136, 0.135],
            "ci_high": [0.143, 0.142, 0.1405],
        }
    )
    kept = choose_floor(sep, close)
    assert kept.method == "separator" and (kept.low, kept.high) == (0.140, 0.141)
    assert kept.estimate == pytest.approx(0.1405)
    below = close.assign(
        error=[0.14, 0.120, 0.125], ci_low=[0.137, 0.118, 0.123], ci_high=[0.143, 0.122, 0.127]
    )
    won = choose_floor(sep, below)
    assert won.method == "least squares" and (won.estimate, won.low, won.high) == (
        0.120,
        0.118,
        0.122,
    )


def test_clopper_pearson_is_scipys_exact_interval():
    for k, m in ((0, 50), (7, 50), (50, 50), (1234, 10_000)):
        want = stats.binomtest(k, m).proportion_ci(0.95, method="exact")
        assert clopper_pearson(k, m) == pytest.approx((want.low, want.high), abs=1e-12)


def test_svm_errors_rows():
    df = svm_errors(3, 8, "radial-uniform", 1.0, seeds=2, d=5, test_size=300)
    assert list(df.seed) == [0, 1] and set(df.svm) <= {"hard", "soft"}
    # 8 points in R^15: separable
    assert df.test_error.between(0, 1).all() and (df.train_error == 0).all()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: separator_error(0, 20, "ball", 1.0), r"n must be an integer in \[1, inf\)"),
        (lambda: separator_error(3, 2, "ball", 1.0), r"d must be an integer in \[3, inf\)"),
        (
            lambda: separator_error(3, 20, "sphere", 1.0),
            "law must be one of 'gaussian', 'ball', 'radial-uniform'",
        ),
        (
            lambda: separator_error(3, 20, "ball", -1.0),
            r"scale must be a finite number in \[0, inf\]",
        ),
        (
            lambda: coordinate_survival("ball", 1, np.zeros(2)),
            r"d must be an integer in \[3, inf\)",
        ),
        (
            lambda: linear_floor(3, 6, "ball", 1.0, fit_size=1),
            r"fit_size must be an integer in \[2, inf\)",
        ),
        (
            lambda: linear_floor(3, 6, "ball", 1.0, eval_size=0),
            r"eval_size must be an integer in \[1, 10000000\]",
        ),
        (
            lambda: linear_floor(3, 6, "ball", 1.0, seed=-1),
            r"seed must be an integer in \[0, 999999\]",
        ),
        (
            lambda: linear_floor(3, 6, "ball", 1.0, eval_size=10**8),
            r"eval_size must be an integer in \[1, 10000000\]",
        ),
        (lambda: clopper_pearson(5, 3), r"errors must be an integer in \[0, 3\]"),
        (lambda: clopper_pearson(1, 3, level=1.5), "level must be a finite number in"),
        (lambda: svm_errors(3, 0, "ball", 1.0), r"m must be an integer in \[1, inf\)"),
        (lambda: svm_errors(3, 5, "ball", 1.0, seeds=0), r"seeds must be an integer in \[1, inf\)"),
    ],
)
def test_bad_arguments_are_value_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
