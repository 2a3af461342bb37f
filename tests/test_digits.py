import pytest
import torch

from lib.distributions import DigitPatterns, NoisyOrthogonalPatterns, OrthogonalPatterns


@pytest.fixture(scope="module")
def train_dist():
    return DigitPatterns(8, pool="train")


def _image_ids(dist, pool_of):
    """For each (class, row) of `dist`'s pools, the matching row of the full `load_digits` data."""
    from sklearn.datasets import load_digits

    data = torch.as_tensor(load_digits().data, dtype=torch.float64)
    data = data / data.norm(dim=1, keepdim=True)
    ids = set()
    for pool in pool_of:
        d = torch.cdist(pool.double(), data)
        ids |= set(d.argmin(1).tolist())
    return ids


def test_shapes_label_rule_and_class_membership(train_dist):
    idx, img, y = train_dist.sample_images(400, seed=3)
    X, y2 = train_dist.sample(400, seed=3)
    assert X.shape == (400, 8, 64) and torch.equal(y, y2)
    assert set(y.unique().tolist()) <= {-1.0, 1.0}
    assert torch.equal((idx == 0).any(1), y > 0) and torch.equal((idx == 1).any(1), y < 0)
    assert torch.allclose(X.norm(dim=-1), torch.ones(400, 8), atol=1e-5)
    for s in range(0, 400, 37):
        for j in range(8):
            assert torch.equal(X[s, j], train_dist.images[int(idx[s, j])][int(img[s, j])])


def test_patches_of_one_class_in_a_point_are_distinct_images(train_dist):
    idx, img, _ = train_dist.sample_images(300, seed=0)
    for s in range(300):
        pairs = list(zip(idx[s].tolist(), img[s].tolist()))
        assert len(set(pairs)) == len(pairs)


def test_patterns_are_not_orthogonal_and_pools_are_disjoint(train_dist):
    test_dist = DigitPatterns(8, pool="test")
    G = train_dist.patterns @ train_dist.patterns.T
    assert (G - torch.eye(10)).abs().max() > 0.5
    train_ids = _image_ids(train_dist, train_dist.images)
    test_ids = _image_ids(test_dist, test_dist.images)
    assert not train_ids & test_ids
    assert len(train_ids) + len(test_ids) == 1797


def test_same_seed_same_points(train_dist):
    X1, y1 = train_dist.sample(50, seed=9)
    X2, y2 = train_dist.sample(50, seed=9)
    X3, _ = train_dist.sample(50, seed=10)
    assert torch.equal(X1, X2) and torch.equal(y1, y2) and not torch.equal(X1, X3)


@pytest.mark.parametrize(
    "kwargs",
    [dict(n=0), dict(n=1000), dict(n=5, pool="val"), dict(n=5, positive_class=3, negative_class=3),
     dict(n=5, positive_class=10), dict(n=5, spurious_classes=[0, 2]), dict(n=5, spurious_classes=[]),
     dict(n=5, test_fraction=1.0), dict(n=5, copies=6)],
)
def test_invalid_parameters_raise(kwargs):
    with pytest.raises(ValueError):
        DigitPatterns(**kwargs)


def test_noisy_patterns_keep_labels_and_scale():
    clean = OrthogonalPatterns(10, 30)
    noisy = NoisyOrthogonalPatterns(10, 30, noise=0.5)
    Xc, yc = clean.sample(2000, seed=4)
    Xn, yn = noisy.sample(2000, seed=4)
    assert torch.equal(yc, yn)
    rms = (Xn - Xc).pow(2).sum(-1).mean().sqrt()
    assert abs(float(rms) - 0.5) < 0.02
    assert torch.equal(NoisyOrthogonalPatterns(10, 30, noise=0.0).sample(20, seed=1)[0], clean.sample(20, seed=1)[0])
    with pytest.raises(ValueError):
        NoisyOrthogonalPatterns(10, 30, noise=-1.0)
