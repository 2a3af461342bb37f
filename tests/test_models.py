"""The Part II network (ConvPool with a fixed, balanced +-1 second layer: `xor_cnn`, k filters per
sign, channels 0..k-1 the w's with output +1, k..2k-1 the u's with output -1) and the FCN baseline."""

import pytest
import torch

from lib.distributions import OrthogonalPatterns
from lib.xor_network import xor_cnn
from lib.models import ConvPool, FullyConnected


def paper_formula(w, u, X):
    """N_W(x) = sum_i max_j relu(w_i . x_j) - sum_i max_j relu(u_i . x_j), with explicit loops."""
    out = torch.zeros(X.shape[0], dtype=torch.float64)
    for s in range(X.shape[0]):
        total = 0.0
        for i in range(w.shape[0]):
            total += max(max(float(w[i] @ X[s, j]), 0.0) for j in range(X.shape[1]))
            total -= max(max(float(u[i] @ X[s, j]), 0.0) for j in range(X.shape[1]))
        out[s] = total
    return out


def test_cnn_forward_equals_paper_formula():
    X, _ = OrthogonalPatterns(4, 6, basis="random", seed=1).sample(7, seed=0)
    X = X + 0.1 * torch.randn(X.shape, generator=torch.Generator().manual_seed(0))
    net = xor_cnn(6, 3, replicas=2, init_std=1.0, seed=5)
    out = net(X)
    assert out.shape == (2, 7)
    for r in range(2):
        ref = paper_formula(
            net.W[r, :3].detach().double(), net.W[r, 3:].detach().double(), X.double()
        )
        assert torch.allclose(out[r].double(), ref, atol=1e-5)


def test_cnn_equals_conv1d_maxpool():
    X, _ = OrthogonalPatterns(5, 7).sample(9, seed=3)
    net = xor_cnn(7, 4, init_std=1.0, seed=2)
    conv = torch.nn.functional.conv1d(X.reshape(9, 1, 35), net.W[0].detach().unsqueeze(1), stride=7)
    pooled = torch.relu(conv).amax(-1)  # (m, 2k)
    ref = pooled[:, :4].sum(1) - pooled[:, 4:].sum(1)
    assert torch.allclose(net(X)[0], ref, atol=1e-6)


def _autograd_grads(model, X, g):
    out = model(X)
    grads = torch.autograd.grad((out * g).sum(), list(model.parameters()))
    return grads


@pytest.mark.parametrize("shared", [True, False])
def test_cnn_analytic_gradient_matches_autograd(shared):
    torch.manual_seed(0)
    X = (
        torch.randn(3, 11, 5, 8, dtype=torch.float64)
        if not shared
        else torch.randn(11, 5, 8, dtype=torch.float64)
    )
    net = xor_cnn(8, 6, replicas=3, init_std=1.0, seed=1, dtype=torch.float64)
    g = torch.randn(3, 11, dtype=torch.float64)
    out, ctx = net.forward_train(X)
    for a, b in zip(net.backward(ctx, g), _autograd_grads(net, X, g)):
        assert torch.allclose(a, b, atol=1e-10)


@pytest.mark.parametrize("depth", [2, 3])
def test_fcn_analytic_gradient_matches_autograd(depth):
    torch.manual_seed(0)
    X = torch.randn(2, 13, 4, 5, dtype=torch.float64)
    net = FullyConnected(20, 16, depth=depth, replicas=2, seed=3, dtype=torch.float64)
    with torch.no_grad():
        for b in net.biases:
            b.normal_()
    g = torch.randn(2, 13, dtype=torch.float64)
    out, acts = net.forward_train(X)
    assert torch.allclose(out, net(X))
    for a, b in zip(net.backward(acts, g), _autograd_grads(net, X, g)):
        assert torch.allclose(a, b, atol=1e-10)


def test_replicas_are_independent_models():
    X, _ = OrthogonalPatterns(4, 6).sample(10, seed=0)
    big = xor_cnn(6, 3, replicas=4, seed=10)
    for r in range(4):
        alone = xor_cnn(6, 3, replicas=1, seed=10 + r)
        assert torch.equal(alone.W[0, :3], big.W[r, :3]) and torch.equal(
            alone.W[0, 3:], big.W[r, 3:]
        )
        assert torch.equal(alone.a[0], big.a[r])
        assert torch.allclose(alone(X)[0], big(X)[r])
    fc_big = FullyConnected(24, 8, replicas=3, seed=2)
    fc_one = FullyConnected(24, 8, replicas=1, seed=[3])
    assert torch.equal(fc_big.weights[0][1], fc_one.weights[0][0])


def test_parameter_counts_and_init_scale():
    net = xor_cnn(30, 50, replicas=2, init_std=1e-3)
    assert net.num_parameters == 2 * 50 * 30  # the second layer is a fixed buffer, not a parameter
    assert 0.8e-3 < net.W[:, :50].std().item() < 1.2e-3
    assert net.a[0].tolist() == [1.0] * 50 + [-1.0] * 50
    fc = FullyConnected(600, 100, depth=3)
    assert fc.num_parameters == 600 * 100 + 100 + 100 * 100 + 100 + 100 + 1


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda: ConvPool(0, 6, second_layer="fixed"), "d"),
        (lambda: ConvPool(5, 0, second_layer="fixed"), "k"),
        (lambda: ConvPool(5, 3, second_layer="fixed"), "k"),  # a balanced +-1 layer needs k even
        (lambda: ConvPool(5, 4, replicas=0, second_layer="fixed"), "replicas"),
        (lambda: ConvPool(5, 4, radius=-1.0, second_layer="fixed", init="gaussian"), "radius"),
        (lambda: ConvPool(5, 4, seed=-1, second_layer="fixed"), "seed"),
        (lambda: ConvPool(5, 4, replicas=2, seed=[1], second_layer="fixed"), "seed"),
        (lambda: ConvPool(5, 4, dtype=torch.int32, second_layer="fixed"), "dtype"),
        (lambda: ConvPool(5, 4, second_layer="frozen"), "second_layer"),
        (lambda: ConvPool(5, 4, init="uniform"), "init"),
        (lambda: FullyConnected(0, 4), "input_dim"),
        (lambda: FullyConnected(4, 0), "width"),
        (lambda: FullyConnected(4, 3, depth=1), "depth"),
    ],
)
def test_invalid_model_parameters(make, name):
    with pytest.raises(ValueError, match=name):
        make()


def test_input_shape_mismatch_is_refused():
    net = xor_cnn(5, 2, replicas=2)
    with pytest.raises(ValueError, match="d=5"):
        net(torch.zeros(3, 4, 6))
    with pytest.raises(ValueError, match="shape"):
        net(torch.zeros(3, 3, 4, 5))
    with pytest.raises(ValueError, match="input_dim"):
        FullyConnected(20, 3)(torch.zeros(2, 3, 5))
