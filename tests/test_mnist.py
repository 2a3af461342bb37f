"""The stored MNIST database (data/mnist.npz) and `MnistPatterns`, the paper's Fig. 3c task."""

import hashlib

import numpy as np
import pytest
import torch

from lib.mnist import MNIST_FILE, MNIST_SHA256, MnistPatterns, load_mnist

# MNIST's class counts, digits 0..9, in its training and its test set
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
SPURIOUS = (0, 1, 2, 4, 6, 7, 8, 9)


@pytest.fixture(scope="module")
def train():
    return MnistPatterns(pool="train")


@pytest.fixture(scope="module")
def test_pool():
    return MnistPatterns(pool="test")


def test_stored_file_hash_and_contents():
    assert hashlib.sha256(MNIST_FILE.read_bytes()).hexdigest() == MNIST_SHA256
    assert (MNIST_FILE.parent / "MNIST_LICENSE").read_text().startswith("MIT License")
    with np.load(MNIST_FILE, allow_pickle=False) as z:
        assert z["images"].dtype == np.uint8 and z["images"].shape == (70000, 28, 28)
        assert z["labels"].dtype == np.uint8 and z["labels"].shape == (70000,)
    images, labels = load_mnist()
    assert load_mnist() is load_mnist()  # read once per process
    assert images.shape == (70000, 784) and images.dtype == torch.uint8
    # MNIST's training set, then its test set, in their published order (their first labels)
    assert torch.bincount(labels[:60000], minlength=10).tolist() == TRAIN_COUNTS
    assert torch.bincount(labels[60000:], minlength=10).tolist() == TEST_COUNTS
    assert labels[:5].tolist() == [5, 0, 4, 1, 9] and labels[60000:60005].tolist() == [
        7,
        2,
        1,
        0,
        4,
    ]
    assert int(images.max()) == 255 and int(images.min()) == 0


def test_labels_are_plausible():
    images, labels = load_mnist()
    bright = (images > 128).sum(1).double()
    mean_bright = torch.stack([bright[labels == c].mean() for c in range(10)])
    # a 1 is thin
    assert mean_bright[1] == mean_bright.min() and mean_bright[1] < 0.6 * mean_bright[0]
    assert mean_bright[0] == mean_bright.max()  # a 0 is the most ink
    mean = torch.stack([images[labels == c].double().mean(0) for c in range(10)]).view(10, 28, 28)
    assert mean[0, 14, 14] < 0.5 * mean[0].max()  # the hole of the 0
    assert mean[1, 14, 14] > 0.8 * mean[1].max()  # the stroke of the 1
    # each image is nearer its own class mean than another class's mean (for most images)
    flat = images.double()
    nearest = torch.cdist(flat, mean.view(10, -1)).argmin(1)
    assert (nearest == labels).double().mean() > 0.75


def test_pools_are_mnists_training_and_test_sets(train, test_pool):
    _, labels = load_mnist()
    for c in range(10):
        a, b = train.pools[c], test_pool.pools[c]
        assert len(a) == TRAIN_COUNTS[c] and len(b) == TEST_COUNTS[c]
        assert a.max() < 60000 <= b.min()  # disjoint: the training set, then the test set
        assert (labels[a] == c).all() and (labels[b] == c).all()
    # the pools do not depend on the task's digits
    other = MnistPatterns(pool="train", positive_digit=0, negative_digit=1, spurious_digits=(5, 3))
    assert torch.equal(other.pools[5], train.pools[5]) and torch.equal(
        other.pools[3], train.pools[3]
    )


def test_points_follow_the_task_and_use_real_pool_images(train, test_pool):
    images, labels = load_mnist()
    for dist in (train, test_pool):
        digits, idx, y = dist.sample_indices(2000, seed=3)
        X, y2 = dist.sample(2000, seed=3)
        assert X.shape == (2000, 4, 784) and X.dtype == torch.float32 and torch.equal(y, y2)
        assert set(y.unique().tolist()) == {-1.0, 1.0} and abs(float(y.mean())) < 0.1
        assert torch.equal(labels[idx], digits)  # every patch is an image of the digit said
        pool = torch.cat(list(dist.pools.values()))
        assert torch.isin(idx, pool).all()  # ... from this pool
        assert torch.equal(X, images[idx].float() / 255) and 0 <= X.min() and X.max() <= 1
        fives, threes = (digits == 5).sum(1), (digits == 3).sum(1)
        assert torch.equal(fives, (y > 0).long()) and torch.equal(threes, (y < 0).long())
        spurious = digits[(digits != 5) & (digits != 3)]
        assert set(spurious.unique().tolist()) == set(SPURIOUS)
        # the 5 or the 3 is at a uniform position
        where = ((digits == 5) | (digits == 3)).long().argmax(1)
        assert torch.bincount(where, minlength=4).min() > 400
    _, a, _ = train.sample_indices(3000, seed=0)
    _, b, _ = test_pool.sample_indices(3000, seed=0)
    assert not set(a.flatten().tolist()) & set(b.flatten().tolist())


def test_reproducible_per_seed(train):
    X1, y1 = train.sample(300, seed=7)
    X2, y2 = MnistPatterns().sample(300, seed=7)
    X3, _ = train.sample(300, seed=8)
    assert torch.equal(X1, X2) and torch.equal(y1, y2) and not torch.equal(X1, X3)
    X0, y0 = train.sample(0, seed=0)
    assert X0.shape == (0, 4, 784) and y0.shape == (0,)
    X64, _ = MnistPatterns(dtype=torch.float64).sample(300, seed=7)
    assert X64.dtype == torch.float64 and torch.allclose(X64.float(), X1)


def test_api_like_orthogonal_patterns(train):
    assert (train.n, train.d, train.input_dim) == (4, 784, 3136)
    assert train.patterns.shape == (10, 784)
    assert torch.allclose(train.patterns.norm(dim=1), torch.ones(10))
    assert train.digits[:2] == (5, 3) and train.p_plus.shape == (784,)
    assert sum(train.pool_sizes.values()) == sum(len(p) for p in train.pools.values())
    X, _ = MnistPatterns(n=2).sample(5, seed=0)
    assert X.shape == (5, 2, 784)
    digits, _, y = MnistPatterns(n=1).sample_indices(50, seed=0)  # n = 1: the label digit alone
    assert torch.equal(digits[:, 0], torch.where(y > 0, 5, 3))


def test_grid_image(train):
    X, _ = train.sample(3, seed=1)
    g = train.image(X, 2)
    assert g.shape == (56, 56)
    assert np.array_equal(g[:28, 28:], X[2, 1].view(28, 28).double().numpy())
    assert np.array_equal(g[28:, :28], X[2, 2].view(28, 28).double().numpy())
    assert np.array_equal(train.image(X[2]), g)
    X9, _ = MnistPatterns(n=5).sample(1, seed=0)
    assert MnistPatterns(n=5).image(X9, 0).shape == (56, 84)
    with pytest.raises(ValueError, match="s must"):
        train.image(X, 3)
    with pytest.raises(ValueError, match="X must"):
        train.image(X[:, :2], 0)


def test_reuse(train):
    m = 10000
    assert train.reuse(m, seed=0) == pytest.approx(m * 4 / 60000)  # 40,000 patches, 60,000 images
    by = train.reuse_by_digit(m, seed=0)
    assert set(by) == set(train.digits)
    assert 0.8 < by[5]["mean"] < 1.05  # ~ m/2 fives over 5,421 images
    assert 0.75 < by[3]["mean"] < 0.9  # ~ m/2 threes over 6,131 images
    assert 0.3 < by[5]["unused"] < 0.5  # Poisson(0.92): e^-0.92 = 0.40 of the fives never shown
    assert all(v["max"] >= 3 for v in by.values())


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(n=0), "n"),
        (dict(n=2.5), "n"),
        (dict(pool="val"), "pool"),
        (dict(positive_digit=10), "positive_digit"),
        (dict(positive_digit=-1), "positive_digit"),
        (dict(negative_digit="3"), "negative_digit"),
        (dict(negative_digit=5), "negative_digit"),
        (dict(spurious_digits=(0, 5)), "spurious_digits"),
        (dict(spurious_digits=(0, 0)), "spurious_digits"),
        (dict(spurious_digits=()), "spurious_digits"),
        (dict(spurious_digits=(0, 11)), "spurious_digits"),
        (dict(spurious_digits="01"), "spurious_digits"),
        (dict(spurious_digits=7), "spurious_digits"),
        (dict(dtype=torch.int64), "dtype"),
        (dict(dtype="float32"), "dtype"),
    ],
)
def test_constructor_validation_names_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=rf"\b{name}"):
        MnistPatterns(**kwargs)


@pytest.mark.parametrize(
    "m, seed, name",
    [(-1, 0, "m"), (1.5, 0, "m"), (5, -1, "seed"), (5, 2**32, "seed"), (5, "0", "seed")],
)
def test_sampling_validation_names_the_parameter(train, m, seed, name):
    for call in (train.sample, train.sample_indices, train.reuse, train.reuse_by_digit):
        with pytest.raises(ValueError, match=rf"^{name} "):
            call(m, seed)
