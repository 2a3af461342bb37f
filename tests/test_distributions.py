import pytest
import torch

from lib.distributions import OrthogonalPatterns, pattern_presence, pattern_statistics


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(n=10, d=30),
        dict(n=5, d=3, copies=2),
        dict(n=1, d=4),
        dict(n=8, d=12, basis="random", seed=3),
        dict(n=6, d=12, l=5),
        dict(n=6, d=12, l=7, basis="random", seed=2),
    ],
)
def test_label_rule_and_patch_membership(kwargs):
    dist = OrthogonalPatterns(**kwargs)
    idx, y = dist.sample_indices(5000, seed=1)
    X, y2 = dist.sample(5000, seed=1)
    assert X.shape == (5000, dist.n, dist.d) and torch.equal(y, y2)
    assert set(y.unique().tolist()) <= {-1.0, 1.0}
    has_plus = (idx == 0).any(1)
    has_minus = (idx == 1).any(1)
    assert torch.equal(has_plus, y > 0) and torch.equal(has_minus, y < 0)
    assert not (has_plus & has_minus).any()
    assert torch.equal((idx <= 1).sum(1), torch.full((5000,), dist.copies))
    # every patch is exactly one row of `patterns`
    assert torch.equal(X, dist.patterns[idx])
    match = (X[:, :, None, :] == dist.patterns[None, None]).all(-1)
    assert torch.equal(match.sum(-1), torch.ones(5000, dist.n, dtype=torch.long))


def test_patterns_are_orthonormal():
    for basis, seed in (("standard", 0), ("random", 0), ("random", 7)):
        P = OrthogonalPatterns(4, 9, basis=basis, seed=seed).patterns.double()
        assert torch.allclose(P @ P.T, torch.eye(9, dtype=torch.float64), atol=1e-6)
    dist = OrthogonalPatterns(4, 9)
    assert torch.equal(dist.p_plus, torch.eye(9)[0]) and torch.equal(dist.p_minus, torch.eye(9)[1])
    assert not torch.equal(OrthogonalPatterns(4, 9, basis="random", seed=1).patterns, torch.eye(9))


def test_same_seed_same_tensors_and_different_seed_differs():
    dist = OrthogonalPatterns(6, 10)
    X1, y1 = dist.sample(300, seed=4)
    X2, y2 = dist.sample(300, seed=4)
    X3, _ = dist.sample(300, seed=5)
    assert torch.equal(X1, X2) and torch.equal(y1, y2) and not torch.equal(X1, X3)


def test_default_law_frequencies():
    dist = OrthogonalPatterns(10, 12)
    idx, y = dist.sample_indices(20000, seed=0)
    assert abs((y > 0).double().mean().item() - 0.5) < 0.02
    spurious = idx[idx >= 2]
    freq = torch.bincount(spurious - 2, minlength=10).double() / spurious.numel()
    assert torch.allclose(freq, torch.full((10,), 0.1, dtype=torch.float64), atol=0.01)


def test_label_dependent_spurious_law_and_statistics():
    d = 6
    dist = OrthogonalPatterns(
        3, d, spurious_probs=[1, 0, 0, 0], spurious_probs_negative=[0, 0, 0, 1], p_positive=0.3
    )
    idx, y = dist.sample_indices(4000, seed=2)
    pos, neg = pattern_statistics(idx, y, d)
    assert pos[0] == 1 and pos[1] == 0 and pos[2] == 1 and pos[5] == 0
    assert neg[1] == 1 and neg[0] == 0 and neg[5] == 1 and neg[2] == 0
    assert abs((y > 0).double().mean().item() - 0.3) < 0.03
    assert pattern_presence(idx, d).shape == (4000, d)


def test_zero_points():
    X, y = OrthogonalPatterns(3, 5).sample(0, seed=0)
    assert X.shape == (0, 3, 5) and y.shape == (0,)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(n=0, d=5), "n"),
        (dict(n=3, d=2), "d"),
        (dict(n=2.5, d=5), "n"),
        (dict(n="3", d=5), "n"),
        (dict(n=True, d=5), "n"),
        (dict(n=3, d=5, copies=4), "copies"),
        (dict(n=3, d=5, copies=0), "copies"),
        (dict(n=3, d=5, p_positive=1.5), "p_positive"),
        (dict(n=3, d=5, p_positive=-0.1), "p_positive"),
        (dict(n=3, d=5, p_positive=float("nan")), "p_positive"),
        (dict(n=3, d=5, spurious_probs=[1, 1]), "spurious_probs"),
        (dict(n=3, d=5, spurious_probs=[1, -1, 1]), "spurious_probs"),
        (dict(n=3, d=5, spurious_probs_negative=[0, 0, 0]), "spurious_probs_negative"),
        (dict(n=3, d=5, basis="random", seed=-1), "seed"),
        (dict(n=3, d=5, basis="rotated"), "basis"),
        (dict(n=3, d=5, l=6), "l must be"),
        (dict(n=3, d=5, l=2), "l must be"),
        (dict(n=3, d=5, dtype=torch.int64), "dtype"),
    ],
)
def test_invalid_parameters_raise_value_error(kwargs, name):
    with pytest.raises(ValueError, match=name):
        OrthogonalPatterns(**kwargs)


@pytest.mark.parametrize(
    "m, seed, name", [(-1, 0, "m"), (2.0, 0, "m"), (3, -2, "seed"), (3, None, "seed")]
)
def test_invalid_sample_arguments(m, seed, name):
    with pytest.raises(ValueError, match=name):
        OrthogonalPatterns(3, 5).sample(m, seed=seed)
