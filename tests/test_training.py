import pytest
import torch

from lib.distributions import OrthogonalPatterns
from lib.xor_network import xor_cnn
from lib.models import FullyConnected
from lib.training import TrainingDivergedError, accuracy, loss_and_grad, train


@pytest.fixture(scope="module")
def data():
    dist = OrthogonalPatterns(6, 10)
    return dist.sample(40, seed=0), dist.sample(500, seed=1)


def test_gd_reaches_zero_hinge_loss_and_generalises(data):
    (X, y), (Xt, yt) = data
    net = xor_cnn(10, 20, replicas=4, seed=0)
    res = train(net, X, y, lr=0.1, steps=2000, loss="hinge")
    assert res.fitted.all() and (res.loss[-1] == 0).all()
    assert res.loss[0].min() > 0.9  # small init: N(x) ~ 0, hinge loss ~ 1
    assert (net(X) * y >= 1).all()
    assert (accuracy(net, Xt, yt) > 0.9).all()
    assert res.loss.shape == (res.steps_run + 1, 4)


def test_replica_alone_equals_replica_in_batch(data):
    (X, y), _ = data
    big = xor_cnn(10, 5, replicas=3, seed=20, init_std=0.1)
    res_big = train(big, X, y, lr=[0.05, 0.1, 0.2], steps=30, loss="hinge")
    alone = xor_cnn(10, 5, replicas=1, seed=21, init_std=0.1)
    res_alone = train(alone, X, y, lr=0.1, steps=30, loss="hinge")
    assert torch.allclose(alone.W[0], big.W[1], atol=1e-6)
    assert res_alone.steps_to_fit[0] == res_big.steps_to_fit[1]
    n = res_alone.loss.shape[0]
    assert torch.allclose(res_alone.loss[:, 0], res_big.loss[:n, 1], atol=1e-6)


@pytest.mark.parametrize("loss", ["hinge", "logistic"])
@pytest.mark.parametrize("batch_size", [None, 8])
def test_training_reduces_the_loss(data, loss, batch_size):
    (X, y), _ = data
    for net in (xor_cnn(10, 8, replicas=2, seed=1), FullyConnected(60, 32, replicas=2, seed=1)):
        res = train(
            net, X, y, lr=0.05, steps=200, loss=loss, batch_size=batch_size, early_stop=False
        )
        assert (res.loss[-1] < 0.5 * res.loss[0]).all()
        assert res.steps_run == 200


def test_per_replica_training_sets_and_snapshots():
    dist = OrthogonalPatterns(4, 8)
    sets = [dist.sample(20, seed=s) for s in range(3)]
    X = torch.stack([s[0] for s in sets])
    y = torch.stack([s[1] for s in sets])
    net = xor_cnn(8, 4, replicas=3)
    res = train(net, X, y, lr=0.2, steps=500, record_every=2, loss="hinge")
    assert res.fitted.all()
    steps = [s for s, _ in res.snapshots]
    # the fixed second layer is not a parameter
    assert steps[0] == 0 and steps[-1] == res.steps_run and set(res.snapshots[0][1]) == {"W"}


def test_loss_and_grad_values():
    out = torch.tensor([[2.0, 0.5, -1.0]])
    y = torch.tensor([1.0, 1.0, 1.0])
    value, grad = loss_and_grad(out, y, "hinge")
    assert torch.allclose(value, torch.tensor([(0 + 0.5 + 2.0) / 3]))
    assert torch.allclose(grad, torch.tensor([[0.0, -1 / 3, -1 / 3]]))


def test_divergence_is_reported():
    dist = OrthogonalPatterns(4, 8)
    X, y = dist.sample(30, seed=0)
    net = FullyConnected(32, 64, depth=3, replicas=1, seed=0)
    with pytest.raises(TrainingDivergedError, match="lr"):
        train(net, X * 1e6, y, lr=1e10, steps=100, loss="logistic", early_stop=False)


@pytest.mark.parametrize("batch_size", [None, 8])
def test_training_without_evaluation_takes_the_same_steps(data, batch_size):
    """evaluate=False (what the §7 figures use) changes what is recorded, not the trajectory; a
    non-finite loss still raises."""
    (X, y), _ = data
    runs = []
    for evaluate in (True, False):
        net = xor_cnn(10, 4, replicas=3, seed=1, init_std=0.1)
        res = train(
            net,
            X,
            y,
            lr=[0.01, 0.02, 0.05],
            steps=25,
            loss="logistic",
            optimizer="adam",
            batch_size=batch_size,
            evaluate=evaluate,
        )
        runs.append((net, res))
    (with_eval, res_eval), (without, res) = runs
    assert torch.equal(with_eval.W, without.W) and torch.equal(with_eval.a, without.a)
    assert res_eval.loss.shape == (26, 3) and res.loss.shape == (0, 3)
    assert res.fitted is None and res.steps_to_fit is None and res.steps_run == 25
    net = FullyConnected(60, 16, replicas=1, seed=0)
    with pytest.raises(TrainingDivergedError, match="lr"):
        train(
            net,
            X * 1e6,
            y,
            lr=1e10,
            steps=50,
            loss="logistic",
            batch_size=batch_size,
            evaluate=False,
        )
    with pytest.raises(ValueError, match="evaluate"):
        train(xor_cnn(10, 2), X, y, lr=0.1, steps=5, loss="hinge", evaluate=False)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(lr=0.0, steps=5), "lr"),
        (dict(lr=-1.0, steps=5), "lr"),
        (dict(lr=float("inf"), steps=5), "lr"),
        (dict(lr=[0.1, 0.2, 0.3], steps=5), "lr"),
        (dict(lr=0.1, steps=-1), "steps"),
        (dict(lr=0.1, steps=5, loss="mse"), "loss"),
        (dict(lr=0.1, steps=5, batch_size=0), "batch_size"),
        (dict(lr=0.1, steps=5, batch_size=1000), "batch_size"),
    ],
)
def test_invalid_training_arguments(data, kwargs, name):
    (X, y), _ = data
    with pytest.raises(ValueError, match=name):
        train(xor_cnn(10, 2, replicas=2), X, y, **{"loss": "hinge", **kwargs})


def test_invalid_data_is_refused(data):
    (X, y), _ = data
    net = xor_cnn(10, 2)
    with pytest.raises(ValueError, match="y"):
        train(net, X, y * 2, lr=0.1, steps=1)
    with pytest.raises(ValueError, match="y"):
        train(net, X, y[:-1], lr=0.1, steps=1)
    bad = X.clone()
    bad[0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        train(net, bad, y, lr=0.1, steps=1)
    with pytest.raises(ValueError, match="d=10"):
        train(net, X[..., :5], y, lr=0.1, steps=1)
