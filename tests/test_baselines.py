"""lib.baselines: the hard-margin SVM and the minimum-norm separator of D (book/paper/fcn_comparison), and the
§7 linear SVM `linear_svm`."""

import math
import time

import numpy as np
import pytest
import torch
from scipy.optimize import minimize

from lib import OrthogonalPatterns
from lib.baselines import (
    NotSeparableError,
    bound_growth,
    difference_separator,
    hard_margin_svm,
    linear_svm,
    min_norm_separator,
    sample_svm_norms,
    separator_norms,
    support,
    support_indices,
    support_size,
)


def slsqp_svm(X, y):
    """A second, independent solver: the primal QP min ‖w‖² s.t. y_s w·x_s >= 1 by SLSQP."""
    X = np.asarray(X, dtype=float).reshape(len(y), -1)
    G = np.asarray(y, dtype=float)[:, None] * X
    res = minimize(
        lambda w: w @ w,
        np.zeros(G.shape[1]),
        jac=lambda w: 2 * w,
        method="SLSQP",
        constraints=[{"type": "ineq", "fun": lambda w: G @ w - 1, "jac": lambda w: G}],
        options={"ftol": 1e-12, "maxiter": 1000},
    )
    assert res.success, res.message
    return res.x


# --- support -------------------------------------------------------------------------------------


@pytest.mark.parametrize("n,l", [(1, 3), (2, 3), (3, 4), (4, 5)])
def test_support_enumerates_every_point_once(n, l):
    idx, y = support_indices(n, l)
    assert len(y) == support_size(n, l) == 2 * n * (l - 2) ** (n - 1)
    assert len({tuple(r) + (float(v),) for r, v in zip(idx.tolist(), y.tolist())}) == len(y)
    # each point holds exactly one discriminative pattern, the one of its label
    assert ((idx == 0).sum(1) == (y > 0).long()).all() and (
        (idx == 1).sum(1) == (y < 0).long()
    ).all()
    # every sampled point lies in the support
    dist = OrthogonalPatterns(n, l, l=l)
    sidx, sy = dist.sample_indices(200, seed=3)
    points = {tuple(r) + (float(v),) for r, v in zip(idx.tolist(), y.tolist())}
    assert all(tuple(r) + (float(v),) in points for r, v in zip(sidx.tolist(), sy.tolist()))


def test_support_inputs_match_patterns():
    X, y = support(3, 5, "random", d=7, seed=2)
    idx, _ = support_indices(3, 5)
    P = OrthogonalPatterns(3, 7, l=5, basis="random", seed=2, dtype=torch.float64).patterns
    assert X.shape == (len(y), 3, 7) and X.dtype == torch.float64
    assert torch.equal(X, P[idx])
    # R² = n
    assert torch.allclose((X**2).sum((1, 2)), torch.full((len(y),), 3.0, dtype=torch.float64))


# --- the hard-margin SVM ---------------------------------------------------------------------------


def test_svm_known_answer_two_points():
    # x = (2, 0) with y = +1 and x = (0, 1) with y = -1: w = (1/2, -1), ‖w‖² = 5/4
    res = hard_margin_svm(np.array([[2.0, 0.0], [0.0, 1.0]]), np.array([1.0, -1.0]))
    assert res.separable and res.support_vectors == 2
    np.testing.assert_allclose(res.w, [0.5, -1.0], atol=1e-12)
    assert res.norm2 == pytest.approx(1.25, abs=1e-12) and res.margin == pytest.approx(
        1.0, abs=1e-12
    )


def test_svm_known_answer_inactive_point():
    # a third point far on the right side does not change the separator
    X = np.array([[2.0, 0.0], [0.0, 1.0], [5.0, -3.0]])
    res = hard_margin_svm(X, np.array([1.0, -1.0, 1.0]))
    np.testing.assert_allclose(res.w, [0.5, -1.0], atol=1e-12)
    assert res.support_vectors == 2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_svm_matches_slsqp_on_samples(seed):
    dist = OrthogonalPatterns(5, 8, basis="random", seed=seed, dtype=torch.float64)
    X, y = dist.sample(60, seed=seed)
    res = hard_margin_svm(X, y)
    w2 = slsqp_svm(X, y)
    np.testing.assert_allclose(res.w, w2, atol=1e-6)
    assert res.norm2 == pytest.approx(w2 @ w2, rel=1e-6)
    assert res.margin == pytest.approx(1.0, abs=1e-9)
    # every margin >= 1 and the dual is consistent: active points are exactly at margin 1
    margins = y.numpy() * (X.reshape(60, -1).numpy() @ res.w)
    assert margins.min() >= 1 - 1e-9


def test_svm_matches_slsqp_on_generic_data():
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=15)
    X = rng.normal(size=(80, 15))
    y = np.where(X @ w0 > 0, 1.0, -1.0)
    res = hard_margin_svm(X, y)
    w2 = slsqp_svm(X, y)
    np.testing.assert_allclose(res.w, w2, atol=1e-6 * max(1, np.abs(w2).max()))


def test_svm_inseparable_raises_or_reports():
    X = np.array([[1.0, 0.0], [1.0, 0.0]])
    y = np.array([1.0, -1.0])
    with pytest.raises(NotSeparableError, match="no linear separator"):
        hard_margin_svm(X, y)
    res = hard_margin_svm(X, y, allow_inseparable=True)
    assert not res.separable and math.isinf(res.norm2) and np.isnan(res.w).all()
    # XOR through the origin is not separable either; a zero input can never have margin 1
    Xx = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    assert not hard_margin_svm(
        Xx, np.array([1.0, 1.0, -1.0, -1.0]), allow_inseparable=True
    ).separable
    assert not hard_margin_svm(np.zeros((1, 3)), np.array([1.0]), allow_inseparable=True).separable


def test_svm_accepts_tensors_and_is_fast_at_the_paper_scale():
    dist = OrthogonalPatterns(10, 20, basis="random", dtype=torch.float32)  # n d = 200
    X, y = dist.sample(1000, seed=0)
    start = time.perf_counter()
    res = hard_margin_svm(X, y)
    assert time.perf_counter() - start < 10.0
    assert res.separable and res.margin == pytest.approx(1.0, abs=1e-6)
    assert res.norm2 <= 2 * 10 * (1 + 1e-6)  # at most the whole support's ‖ŵ‖² = 2n


# --- the minimum-norm separator of D -----------------------------------------------------------------


@pytest.mark.parametrize(
    "n,l", [(1, 3), (2, 3), (2, 5), (3, 4), (3, 5), (4, 4), (5, 3), (5, 5), (6, 4)]
)
def test_min_norm_separator_reduction_matches_whole_support_qp(n, l):
    sym = min_norm_separator(n, l)
    full = min_norm_separator(n, l, method="full")
    np.testing.assert_allclose(sym.coef, full.coef, atol=1e-8)
    assert sym.norm2 == pytest.approx(full.norm2, rel=1e-9)
    assert full.margin == pytest.approx(1.0, abs=1e-9)


def test_whole_support_qp_matches_slsqp():
    X, y = support(3, 4)
    res = hard_margin_svm(X, y)
    w2 = slsqp_svm(X, y)
    np.testing.assert_allclose(res.w, w2, atol=1e-6)


def test_difference_separator_has_margin_one_and_norm_2n():
    for n, l in [(1, 3), (3, 4), (4, 5)]:
        coef = difference_separator(n, l)
        idx, y = support_indices(n, l)
        scores = coef[np.arange(n)[None, :], idx.numpy()].sum(1)  # w·x = Σ_j coef[j, idx_j]
        np.testing.assert_allclose(y.numpy() * scores, 1.0)
        assert float(np.sum(coef**2)) == 2 * n


@pytest.mark.parametrize("n", [1, 2, 3, 7, 20, 100, 3000])
@pytest.mark.parametrize("l", [3, 4, 20])
def test_proposition_6_1_and_closed_form(n, l):
    sep = min_norm_separator(n, l)
    assert n <= sep.norm2 * (1 + 1e-9) and sep.norm2 <= 2 * n * (1 + 1e-9)  # Proposition 6.1
    # closed form: ŵ is the paper's n copies of o_1 - o_2, ‖ŵ‖² = 2n exactly
    np.testing.assert_allclose(sep.coef, difference_separator(n, l), atol=1e-7)
    assert sep.norm2 == pytest.approx(2 * n, rel=1e-9)


def test_separator_norms_table():
    df = separator_norms([1, 2, 3, 4], [3, 4], full_max_points=100)
    assert len(df) == 8 and set(df.columns) >= {"n", "l", "norm2", "norm2_full", "R2", "ratio"}
    assert np.allclose(df["ratio"], 2.0) and np.allclose(df["R2"], df["n"])
    assert df["norm2_full"].notna().all()
    df = separator_norms([8], [5], full_max_points=100)  # 34,992 points: not solved in full
    assert df["norm2_full"].isna().all()


def test_sample_svm_norms_is_below_the_support():
    df = sample_svm_norms(4, 5, [2, 10, 400], [0, 1], test_m=200)
    assert (df["ratio"] <= 1 + 1e-9).all()
    assert df.groupby("m")["ratio"].mean().is_monotonic_increasing
    big = df[df["m"] == 400]  # a large sample holds every constraint that matters: ŵ itself
    assert (
        np.allclose(big["ratio"], 1.0)
        and (big["dist"] < 1e-6).all()
        and (big["test_error"] == 0).all()
    )


def test_bound_growth():
    b = bound_growth([1, 2, 10], 20, rs=(1.0, 2.0), ds=[4, 9])
    np.testing.assert_allclose(b["vs_n"]["fcn"], 2 * np.array([1, 2, 10]) ** 2)
    assert (b["vs_n"]["cnn"] == 20).all()
    assert b["vs_d"]["n"].tolist() == [4, 9, 16, 81]


# --- input validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call,name",
    [
        (lambda: support(0, 3), "n"),
        (lambda: support(2, 2), "l"),
        (lambda: support(2, 5, d=4), "d"),
        (lambda: support(2, 3, "weird"), "basis"),
        (lambda: support(20, 20), "n and l"),
        (lambda: support_size(1.5, 3), "n"),
        (lambda: min_norm_separator(0, 3), "n"),
        (lambda: min_norm_separator(3001, 3), "n"),
        (lambda: min_norm_separator(3, 1), "l"),
        (lambda: min_norm_separator(3, 3, method="exact"), "method"),
        (lambda: difference_separator(2, True), "l"),
        (lambda: hard_margin_svm(np.ones(3), np.ones(3)), "X"),
        (lambda: hard_margin_svm(np.ones((0, 2)), np.ones(0)), "X"),
        (lambda: hard_margin_svm(np.array([[np.nan, 1.0]]), np.ones(1)), "X"),
        (lambda: hard_margin_svm("abc", np.ones(1)), "X"),
        (lambda: hard_margin_svm(np.ones((2, 2)), np.ones(3)), "y"),
        (lambda: hard_margin_svm(np.ones((2, 2)), np.array([1.0, 0.0])), "y"),
        (
            lambda: hard_margin_svm(np.ones((1, 2)), np.ones(1), allow_inseparable="yes"),
            "allow_inseparable",
        ),
        (lambda: separator_norms([], [3]), "ns"),
        (lambda: separator_norms([2], [2]), r"ls\[i\]"),
        (lambda: separator_norms([2], [3], full_max_points=-1), "full_max_points"),
        (lambda: sample_svm_norms(3, 4, [0], [0]), r"ms\[i\]"),
        (lambda: sample_svm_norms(3, 4, [5], [-1]), r"seeds\[i\]"),
        (lambda: sample_svm_norms(3, 4, [5], [0], test_m=0), "test_m"),
        (lambda: sample_svm_norms(3, 4, [5], [0], d=3), "d"),
        (lambda: bound_growth([2], 2), "d"),
        (lambda: bound_growth([2], 5, rs=(0.0,)), "rs"),
        (lambda: bound_growth([2], 5, ds=[2]), r"ds\[i\]"),
    ],
)
def test_invalid_inputs_raise_value_error_naming_the_parameter(call, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        call()


# --- the §7 linear SVM (finite Newton soft margin, certificates, block principal pivoting) -------------


def _separable(m, p, seed):
    rng = np.random.default_rng(seed)
    w0 = rng.normal(size=p)
    X = rng.normal(size=(m, p))
    return X, np.where(X @ w0 > 0, 1.0, -1.0)


def _noisy(m, p, seed):
    """Labels of a linear rule flipped by noise: no separator through the origin (checked by NNLS)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, p))
    y = np.where(X[:, 0] + 0.8 * rng.normal(size=m) > 0, 1.0, -1.0)
    assert not hard_margin_svm(
        X, y, allow_inseparable=True
    ).separable  # the exact solver's certificate
    return X, y


def _no_nnls(*args, **kwargs):
    raise AssertionError("linear_svm should decide these sets without the NNLS fallback")


# m < p and m > p (the Newton steps on the Gram matrix and on the p x p normal matrix), zero coordinates
@pytest.mark.parametrize("m,p,seed", [(30, 40, 0), (150, 200, 1), (300, 400, 2), (400, 60, 6)])
def test_linear_svm_matches_the_exact_nnls_solver_on_separable_sets(m, p, seed, monkeypatch):
    import lib.baselines as bl

    X, y = _separable(m, p, seed)
    X[:, -3:] = 0.0  # coordinates no point uses: w must be 0 there
    ref = hard_margin_svm(X, y)
    monkeypatch.setattr(bl, "hard_margin_svm", _no_nnls)
    fit = bl.linear_svm(X, y)
    assert (
        fit.kind == "hard"
        and np.isnan(fit.C)
        and fit.train_error == 0.0
        and fit.norm_bound == math.inf
    )
    np.testing.assert_allclose(fit.w, ref.w, atol=1e-6 * max(1.0, np.abs(ref.w).max()))
    assert np.all(fit.w[-3:] == 0.0)
    margins = y * (X @ fit.w)
    assert margins.min() >= 1 - 1e-9  # the certificate of separability: w itself
    assert margins.min() == pytest.approx(ref.margin, abs=1e-6)
    assert fit.support_vectors == ref.support_vectors
    assert set(np.flatnonzero(margins <= 1 + 1e-6)) == set(
        np.flatnonzero(y * (X @ ref.w) <= 1 + 1e-6)
    )
    assert 0 <= fit.kkt_residual <= 1e-9


def test_linear_svm_falls_back_to_nnls_when_the_pivoting_fails(monkeypatch):
    import lib.baselines as bl

    X, y = _separable(80, 10, 3)
    monkeypatch.setattr(bl, "_hard_pivoting", lambda G, start: None)
    fit = bl.linear_svm(X, y)
    ref = hard_margin_svm(X, y)
    assert fit.kind == "hard"
    np.testing.assert_allclose(fit.w, ref.w, atol=1e-6 * max(1.0, np.abs(ref.w).max()))
    assert fit.kkt_residual <= 1e-6 and fit.support_vectors == ref.support_vectors


def test_linear_svm_tries_larger_constants_before_the_nnls(monkeypatch):
    """A separable set on which the pivoting from the soft margin's support fails (forced here on the
    first attempt, as on a set of tiny margin): the soft margin at 10 C, 100 C leads to the hard margin,
    without the NNLS."""
    import lib.baselines as bl

    X, y = _separable(300, 40, 13)
    ref = hard_margin_svm(X, y)
    pivoting, starts = bl._hard_pivoting, []

    def first_fails(G, start):
        starts.append(int(start.sum()))
        return None if len(starts) == 1 else pivoting(G, start)

    monkeypatch.setattr(bl, "_hard_pivoting", first_fails)
    monkeypatch.setattr(bl, "hard_margin_svm", _no_nnls)
    fit = bl.linear_svm(X, y, C=1.0)
    assert len(starts) > 1 and fit.kind == "hard"  # (the support shrinks as C grows: 62, 43, 39)
    np.testing.assert_allclose(fit.w, ref.w, atol=1e-6 * max(1.0, np.abs(ref.w).max()))
    assert fit.kkt_residual <= 1e-9 and fit.support_vectors == ref.support_vectors


@pytest.mark.parametrize("m,p,seed", [(120, 6, 4), (400, 40, 7), (500, 30, 8)])
def test_linear_svm_soft_margin_on_a_non_separable_set_is_the_squared_hinge_optimum(
    m, p, seed, monkeypatch
):
    import lib.baselines as bl

    X, y = _noisy(m, p, seed)
    monkeypatch.setattr(bl, "hard_margin_svm", _no_nnls)  # the certificate decides, not the NNLS
    C = 10.0
    fit = bl.linear_svm(X, y, C=C)
    G = y[:, None] * X

    def objective(w):
        xi = np.maximum(0.0, 1.0 - G @ w)
        return 0.5 * w @ w + C * xi @ xi, w - 2 * C * G.T @ xi

    ref = minimize(
        objective, np.zeros(p), jac=True, method="L-BFGS-B", options={"ftol": 1e-15, "gtol": 1e-12}
    )
    assert fit.kind == "soft" and fit.C == C and fit.train_error > 0
    np.testing.assert_allclose(fit.w, ref.x, atol=1e-5)
    assert objective(fit.w)[0] <= ref.fun + 1e-9 * abs(ref.fun)
    # the finite Newton method ends at the optimum (up to rounding)
    assert 0 <= fit.kkt_residual <= 1e-9
    # the certificate: any separator would have norm >= norm_bound >= 1 / (CERTIFICATE_TOL max ||g_s||)
    assert fit.norm_bound >= 1 / (bl.CERTIFICATE_TOL * np.linalg.norm(X, axis=1).max())


def test_the_inseparability_certificate_is_a_convex_combination_near_zero_only_without_separator():
    import lib.baselines as bl

    rng = np.random.default_rng(11)
    # more points than rank, as on MNIST
    low_rank = rng.normal(size=(400, 30)) @ rng.normal(size=(30, 60))
    y_low = np.where(low_rank[:, 0] + 2 * rng.normal(size=400) > 0, 1.0, -1.0)
    assert not hard_margin_svm(low_rank, y_low, allow_inseparable=True).separable
    # fewer support vectors than dimensions, linearly dependent: a point twice, with both labels
    few = rng.normal(size=(12, 40))
    few[1] = few[0]
    y_few = np.where(rng.normal(size=12) > 0, 1.0, -1.0)
    y_few[:2] = (1.0, -1.0)
    for X, y, separable in (
        (*_noisy(200, 10, 9), False),
        (low_rank, y_low, False),
        (few, y_few, False),
        (*_separable(200, 10, 9), True),
    ):
        G = y[:, None] * X
        soft = bl._squared_hinge(G, bl.SOFT_MARGIN_C)
        u, norm = bl._inseparability(G, soft, bl._certificate_goal(G))
        assert u.min() >= 0 and u.sum() == pytest.approx(1.0)
        assert norm == pytest.approx(np.linalg.norm(G.T @ u), rel=1e-6, abs=1e-15)
        R = np.linalg.norm(G, axis=1).max()
        # 1 <= u·(G w) <= |G^T u| |w| for the hard margin w: the combination stays away from 0
        if separable:
            assert norm >= 1 / np.linalg.norm(hard_margin_svm(X, y).w)
        else:
            assert norm <= bl.CERTIFICATE_TOL * R


def test_the_ridge_solves_are_exact_through_low_rank_changes_and_either_factorisation():
    """`_Ridge` against a direct solve of (G_Aᵀ G_A + λ I) w = G_Aᵀ 1 along a sequence of active sets:
    a first factorisation, small changes (the Woodbury path, with points added and removed, including
    the only points that use some coordinates, so that the change is nearly singular), a new λ, a large
    change, and sets smaller than p (the |A| x |A| Gram form)."""
    import lib.baselines as bl

    rng = np.random.default_rng(12)
    m, p = 400, 60
    G = rng.normal(size=(m, p))
    G[:3, -2:] = 0.0
    G[3:, -2:] = 0.0
    G[0, -2:], G[1, -1] = 5.0, 3.0  # coordinates used by points 0 and 1 only
    ridge = bl._Ridge(G)
    A = np.ones(m, dtype=bool)
    steps = []
    for lam, flips in [
        (0.5, []),
        (0.5, [0, 1, 7]),  # removes the only users of two coordinates
        (0.5, [0, 1, 20, 21]),
        (0.05, [5]),
        (0.05, list(range(100, 300))),  # larger than p / LOW_RANK_SHARE: factored again
        (0.05, list(range(40, 100)) + list(range(300, 400))),  # |A| = 40 < p: the Gram form
        (5e-5, [3]),
    ]:
        A[flips] = ~A[flips]
        ridge.use(A, lam)
        GA = G[A]
        K, rhs = GA.T @ GA + lam * np.eye(p), GA.T @ np.ones(len(GA))
        w, ref = ridge(np.ones(int(A.sum()))), np.linalg.solve(K, rhs)
        # (after the solve: a Woodbury solve that needed a new factorisation no longer counts)
        steps.append((ridge.dual, ridge.change is not None))
        # a backward-stable solution: residual at rounding level, distance within the condition number
        assert np.abs(K @ w - rhs).max() <= 1e-13 * (np.abs(K).max() * np.abs(w).max() + 1)
        assert np.abs(w - ref).max() <= 1e-14 * np.linalg.cond(K) * np.abs(ref).max()
    # every path was taken: Woodbury updates, p x p and Gram factorisations
    assert any(change for _, change in steps) and any(d for d, _ in steps)
    assert any(not d and not change for d, change in steps)


def test_the_line_search_is_exact():
    from lib.baselines import _line_search

    rng = np.random.default_rng(10)
    G = rng.normal(size=(50, 5))
    w, d, C = rng.normal(size=5), rng.normal(size=5), 3.0

    def phi(t):
        return 0.5 * (w + t * d) @ (w + t * d) + C * np.sum(
            np.maximum(0.0, 1.0 - G @ (w + t * d)) ** 2
        )

    t = _line_search(w, d, G @ w, G @ d, C)
    grid = np.linspace(0, 4 * max(t, 1.0), 20001)
    assert phi(t) <= min(phi(s) for s in grid) + 1e-12
    assert t >= 0


def test_kkt_residual_is_zero_at_the_optimum_and_positive_away_from_it():
    from lib.baselines import _hard_pivoting, _kkt_residual

    X, y = _separable(30, 40, 5)
    G = y[:, None] * X
    fit = _hard_pivoting(G, np.ones(30, dtype=bool))
    assert _kkt_residual(G, fit.w, fit.alpha) <= 1e-10
    alpha = fit.alpha * 1.01  # not the optimum: the margins of the support vectors move off 1
    assert _kkt_residual(G, G.T @ alpha, alpha) > 1e-3


@pytest.mark.parametrize(
    "X,y,match",
    [
        (np.array([[1.0, np.nan], [0.0, 1.0]]), np.array([1.0, -1.0]), "X must hold finite"),
        (np.array([[1.0, np.inf], [0.0, 1.0]]), np.array([1.0, -1.0]), "X must hold finite"),
        (np.array([1.0, 2.0]), np.array([1.0, -1.0]), "X must have shape"),
        (np.zeros((0, 3)), np.zeros(0), "X must have shape"),
        (np.eye(3), np.array([1.0, -1.0]), r"y must be an array of shape \(m,\)"),
        (np.eye(3), np.array([1.0, -1.0, 0.0]), r"labels in \{-1, \+1\}"),
        (np.eye(2), np.array([2.0, -1.0]), r"labels in \{-1, \+1\}"),
        (np.eye(2), np.array([1.0, np.nan]), r"labels in \{-1, \+1\}"),
        (np.eye(2), np.array([[1.0, -1.0]]), r"y must be an array of shape"),
    ],
)
def test_linear_svm_refuses_bad_input(X, y, match):
    with pytest.raises(ValueError, match=match):
        linear_svm(X, y)
    for C in (-1.0, 0.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="C must be"):
            linear_svm(np.eye(2), np.array([1.0, -1.0]), C=C)
