"""The shattered set of Theorem 4.2 (lib/shattering.py) and the experiments of its chapter."""

import itertools

import numpy as np
import pytest
import torch

from lib import OrthogonalPatterns, accuracy
from lib import shattering as sh


def literal_output(n, labels):
    """N(x_I) of the construction by the formula of Eq. 1, with plain loops (no ConvPool)."""
    W, a = sh.weights(n, labels)
    X, _ = sh.points(n)
    out = np.zeros(X.shape[0])
    for s in range(X.shape[0]):
        for i in range(W.shape[1]):
            out[s] += float(a[0, i]) * max(max(float(W[0, i] @ X[s, j]), 0.0) for j in range(n))
    return out


@pytest.mark.parametrize("n", [2, 3, 4])
def test_every_labelling_realised_exactly(n):
    labels = sh.all_labellings(n)
    N = 2 ** (n - 1)
    assert labels.shape == (2**N, N)
    assert len({tuple(r.tolist()) for r in labels}) == 2**N  # every labelling, once
    out = sh.outputs(n, labels, chunk=7)  # a chunk that does not divide the count
    assert out.dtype == torch.float64
    assert torch.allclose(out, labels, atol=1e-9, rtol=0)
    check = sh.check_all_labellings(n)
    assert check.all_realised and check.tried == check.realised == 2**N
    assert check.max_error < 1e-9 and abs(check.min_margin - 1) < 1e-9
    assert check.channels == 2**n and check.points == N and check.d == 2 * n
    assert check.cond == pytest.approx(N - 1, rel=1e-9)


def test_network_matches_the_formula_of_eq1():
    for labels in itertools.product([-1.0, 1.0], repeat=4):
        net = sh.network(3, list(labels))
        X, _ = sh.points(3)
        assert np.allclose(net(X)[0].numpy(), literal_output(3, list(labels)), atol=1e-12)
        assert np.allclose(net(X)[0].numpy(), labels, atol=1e-12)


def test_sign_zero_counts_as_minus_one():
    """A labelling realised only up to sign(0) would not count: N = 0 is -1 under the paper's sign."""
    net = sh.network(2, [1.0, -1.0])
    with torch.no_grad():
        net.a.zero_()
    X, _ = sh.points(2)
    assert accuracy(net, X, torch.tensor([-1.0, -1.0], dtype=torch.float64)).item() == 1.0


def test_random_labellings_realised_and_seeded():
    a = sh.random_labellings(6, 50, seed=3)
    assert torch.equal(a, sh.random_labellings(6, 50, seed=3))
    assert not torch.equal(a, sh.random_labellings(6, 50, seed=4))
    check = sh.check_random_labellings(6, 50, seed=3)
    assert check.tried == check.realised == 50 and check.max_error < 1e-9


@pytest.mark.parametrize("n", [2, 3, 5])
def test_points_are_in_the_support_of_D(n):
    d = 2 * n
    dist = OrthogonalPatterns(n, d)
    for last in ("positive", "negative", sh.random_labellings(n, 1, seed=1)[0]):
        idx = sh.pattern_indices(n, last)
        X, y = sh.points(n, last)
        assert torch.equal(X, dist.to_inputs(idx).double())
        assert idx.min() >= 0 and idx.max() < d
        discriminative = (idx < 2).sum(1)
        assert (discriminative == 1).all()  # exactly one of o_1, o_2 per point
        assert ((idx[:, :-1] >= 2) & (idx[:, :-1] < d)).all()  # spurious patterns from o_3..o_d
        assert torch.equal(y, torch.where((idx == 0).any(1), 1.0, -1.0).double())  # +1 iff o_1
        # position j (0-based) holds one pattern of its own pair {o_2j+3, o_2j+4}
        for j in range(n - 1):
            assert set(idx[:, j].tolist()) == {2 * j + 2, 2 * j + 3}
        assert len({tuple(r) for r in idx[:, :-1].tolist()}) == 2 ** (n - 1)  # distinct points
    labels = torch.tensor([1.0, -1.0] * 2 ** (n - 2))
    assert torch.equal(sh.pattern_indices(n, labels)[:, -1], torch.where(labels > 0, 0, 1))


def test_index_bits_and_complement():
    bits = sh.index_bits(4)
    assert bits.shape == (8, 3) and bits[5].tolist() == [1, 0, 1]
    comp = sh.complement(4)
    assert (bits[comp] == 1 - bits).all()


@pytest.mark.parametrize("n", [2, 3, 4, 6])
def test_response_matrix_is_ones_but_the_complement(n):
    N = 2 ** (n - 1)
    expected = np.ones((N, N))
    expected[np.arange(N), sh.complement(n)] = 0
    assert np.array_equal(sh.response_matrix(n), expected)


@pytest.mark.parametrize("n", [2, 3, 5])
def test_alpha_solves_the_papers_system(n):
    labels = sh.random_labellings(n, 4, seed=0)
    alpha = sh.solve_alpha(n, labels).numpy()
    A = sh.system_matrix(n)
    rhs = labels.numpy()[:, sh.complement(n)]  # b_J = y_{J^c}
    assert np.allclose(alpha @ A.T, rhs, atol=1e-12)
    assert np.allclose(alpha, np.linalg.solve(A, rhs.T).T, atol=1e-12)
    assert np.linalg.cond(A) == pytest.approx(2 ** (n - 1) - 1, rel=1e-9)
    assert sh.solve_alpha(n, labels[0]).shape == (2 ** (n - 1),)


def test_weights_structure():
    n = 4
    labels = sh.random_labellings(n, 3, seed=2)
    W, a = sh.weights(n, labels)
    assert W.shape == (3, 2**n, 2 * n) and a.shape == (3, 2**n) and W.dtype == torch.float64
    N = 2 ** (n - 1)
    assert (a[:, :N] == 1).all() and (a[:, N:] == -1).all()
    assert (W[:, :, :2] == 0).all()  # no filter sees o_1 or o_2
    alpha = sh.solve_alpha(n, labels)
    X, _ = sh.points(n)
    s = X[:, :-1].sum(1)
    assert torch.allclose(W[:, :N], alpha.clamp(min=0)[:, :, None] * s)
    assert torch.allclose(W[:, N:], (-alpha).clamp(min=0)[:, :, None] * s)
    net = sh.network(n, labels)
    assert net.replicas == 3 and net.k == 2**n and not net.W.requires_grad


def test_memorising_labels():
    y = torch.tensor([1.0, -1.0, -1.0, 1.0])
    train = torch.tensor([True, False, True, False])
    assert sh.memorising_labels(y, train).tolist() == [1.0, 1.0, -1.0, -1.0]
    net = sh.network(3, sh.memorising_labels(y, train))
    X, _ = sh.points(3, y)
    out = torch.where(net(X)[0] > 0, 1.0, -1.0)
    assert (out[train] == y[train]).all() and (out[~train] != y[~train]).all()


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: sh.points(1), "n"),
        (lambda: sh.points(sh.MAX_N + 1), "n"),
        (lambda: sh.points(2.5), "n"),
        (lambda: sh.points(True), "n"),
        (lambda: sh.points("3"), "n"),
        (lambda: sh.points(3, last="maybe"), "last"),
        (lambda: sh.points(3, last=[1, -1]), "last"),
        (lambda: sh.points(3, last=[1, -1, 0, 1]), "last"),
        (lambda: sh.solve_alpha(3, [1, -1, 1]), "labels"),
        (lambda: sh.solve_alpha(3, [1, -1, 1, 2]), "labels"),
        (lambda: sh.solve_alpha(3, [[[1, -1, 1, 1]]]), "labels"),
        (lambda: sh.solve_alpha(3, "abcd"), "labels"),
        (lambda: sh.solve_alpha(3, [True, False, True, True]), "labels"),
        (lambda: sh.solve_alpha(3, [1, -1, float("nan"), 1]), "labels"),
        (lambda: sh.solve_alpha(3, torch.ones(0, 4)), "labels"),
        (lambda: sh.weights(3, [1, 1]), "labels"),
        (lambda: sh.network(0, [1, 1]), "n"),
        (lambda: sh.outputs(3, [1, 1, 1, 1], chunk=0), "chunk"),
        (lambda: sh.check_labellings(3, [[1, 1, 1]]), "labels"),
        (lambda: sh.all_labellings(6), "n"),
        (lambda: sh.random_labellings(3, 0), "count"),
        (lambda: sh.random_labellings(3, 5, seed=-1), "seed"),
        (lambda: sh.check_random_labellings(3, 5, seed=1.5), "seed"),
        (lambda: sh.memorising_labels([1, -1], [True]), "train"),
        (lambda: sh.memorising_labels([1, -1], [1, 0]), "train"),
        (lambda: sh.memorising_labels([1, 3], [True, False]), "true_labels"),
        (lambda: sh.memorising_labels("ab", [True, False]), "true_labels"),
        (lambda: sh.memorising_labels(1.0, True), "true_labels"),
        (lambda: sh.response_matrix(1), "n"),
        (lambda: sh.default_chunk(-2), "n"),
    ],
)
def test_invalid_arguments_name_the_parameter(call, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        call()


def test_experiments_registered_and_small_points():
    from lib.experiments import vc
    from lib.sweep import get

    quick, full = (get("vc_shattering").points(p) for p in ("quick", "full"))
    assert [p["n"] for p in quick] == [2, 3, 4, 5, 6, 7, 8] == [p["n"] for p in full]
    assert all(p["count"] >= 2_000 for p in full if p["labellings"] == "random")
    row = vc.vc_shattering(n=3, labellings="all", count=16, seed=0, device="cpu")
    assert row["realised"].item() == row["labellings tried"].item() == 16
    demo = vc.vc_memorisation(n=4, m=4, k=16, T1=2, T2=5, seeds=2, seed=0, device="cpu")
    assert set(demo["model"]) == {"construction", "LW_CNN"} and len(demo) == 4
    mem = demo[demo["model"] == "construction"]
    assert (mem["train_error"] == 0).all() and (mem["unseen_error"] == 1).all()
    assert (
        demo[["train_error", "unseen_error", "test_error"]]
        .apply(lambda c: c.between(0, 1))
        .all()
        .all()
    )
