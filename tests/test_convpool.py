"""ConvPool (Eq. 1), its pattern-table path, Algorithm 1 (train_layerwise) and the §5 quantities."""

from __future__ import annotations

import math

import pytest
import torch

import lib
from lib import theory
from lib.distributions import OrthogonalPatterns
from lib.fastpaths import PatternTable, PositionMajor
from lib.models import ConvPool
from lib.samples import training_sets


def eq1_loop(net: ConvPool, X: torch.Tensor) -> torch.Tensor:
    """Eq. 1 by a direct loop over channels i and positions j, in float64: (R, m)."""
    W, a = net.W.detach().double(), net.a.detach().double()
    R, k, _ = W.shape
    out = torch.zeros(R, X.shape[0], dtype=torch.float64)
    for r in range(R):
        for s in range(X.shape[0]):
            total = 0.0
            for i in range(k):
                best = max(float(torch.relu(W[r, i] @ X[s, j].double())) for j in range(X.shape[1]))
                total += float(a[r, i]) * best
            out[r, s] = total
    return out


@pytest.mark.parametrize("basis", ["standard", "random"])
def test_forward_is_eq1(basis):
    dist = lib.OrthogonalPatterns(n=4, d=6, l=5, basis=basis, seed=3, dtype=torch.float64)
    X, _ = dist.sample(7, seed=1)
    net = ConvPool(6, 5, replicas=3, radius=0.5, seed=2, dtype=torch.float64)
    assert set(net.a.unique().tolist()) <= {-1.0, 1.0}
    torch.testing.assert_close(net(X), eq1_loop(net, X), rtol=0, atol=1e-12)
    noisy = X + 0.1 * torch.randn(
        X.shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64
    )
    torch.testing.assert_close(net(noisy), eq1_loop(net, noisy), rtol=0, atol=1e-12)


def test_sphere_initialisation_and_replica_independence():
    net = ConvPool(5, 40, replicas=4, radius=0.3, seed=10, dtype=torch.float64)
    torch.testing.assert_close(net.W.norm(dim=-1), torch.full((4, 40), 0.3, dtype=torch.float64))
    for r in range(4):
        alone = ConvPool(5, 40, radius=0.3, seed=10 + r, dtype=torch.float64)
        assert torch.equal(alone.W[0], net.W[r]) and torch.equal(alone.a[0], net.a[r])
    both = torch.cat([net.a[r] for r in range(4)])
    assert 0.3 < (both > 0).double().mean() < 0.7  # a uniform in {-1, +1}


def test_fixed_second_layer_is_balanced_and_not_trained():
    net = ConvPool(4, 6, replicas=2, second_layer="fixed")
    assert net.a.tolist() == [[1.0, 1.0, 1.0, -1.0, -1.0, -1.0]] * 2
    assert [name for name, _ in net.named_parameters()] == ["W"]


def _both_paths(net, X):
    table = net.prepare(X)
    net.pattern_search = False
    general = net.prepare(X)
    net.pattern_search = True
    assert isinstance(table, PatternTable) and isinstance(general, PositionMajor)
    return table, general


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_pattern_table_path_is_bit_identical_on_the_standard_basis(dtype):
    dist = lib.OrthogonalPatterns(n=10, d=20, dtype=dtype)
    X, y = dist.sample(64, seed=0)
    net = ConvPool(20, 30, replicas=3, radius=0.1, seed=1, dtype=dtype)
    table, general = _both_paths(net, X)
    with torch.no_grad():
        (o1, c1), (o2, c2) = net.forward_train(table), net.forward_train(general)
        g = torch.randn(3, 64, generator=torch.Generator().manual_seed(4), dtype=dtype)
        grads1, grads2 = net.backward(c1, g), net.backward(c2, g)
    assert torch.equal(o1, o2)
    for a, b in zip(grads1, grads2):
        assert torch.equal(a, b)


def test_pattern_table_path_matches_on_a_random_basis():
    """Random bases: the same scores up to the rounding of two GEMMs of different shapes."""
    dist = lib.OrthogonalPatterns(n=10, d=20, basis="random", seed=5, dtype=torch.float64)
    X, _ = dist.sample(64, seed=0)
    net = ConvPool(20, 30, replicas=3, radius=0.1, seed=1, dtype=torch.float64)
    table, general = _both_paths(net, X)
    with torch.no_grad():
        (o1, c1), (o2, c2) = net.forward_train(table), net.forward_train(general)
        g = torch.randn(3, 64, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
        grads1, grads2 = net.backward(c1, g), net.backward(c2, g)
    torch.testing.assert_close(o1, o2, rtol=0, atol=1e-15)
    winner_pattern = c1[2]  # index into the table's patterns; the general path's winning patch
    patches = c2[3].view(1, 10, 64, 20)[0]  # (n, m, d)
    won = patches[c2[2], torch.arange(64)]  # (R, k, m, d)
    assert torch.equal(table.patterns[winner_pattern], won)
    for a, b in zip(grads1, grads2):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-14)


def test_noisy_inputs_take_the_general_path():
    dist = lib.NoisyOrthogonalPatterns(n=5, d=8, noise=0.1)
    X, _ = dist.sample(80, seed=0)
    assert isinstance(ConvPool(8, 4).prepare(X), PositionMajor)


def test_accuracy_counts_zero_output_as_minus_one():
    net = ConvPool(3, 2, radius=1.0)
    with torch.no_grad():
        net.W.zero_()  # N(x) = 0 everywhere: predicted -1
    X = torch.eye(3).repeat(4, 1).view(4, 3, 3)
    assert lib.accuracy(net, X, torch.tensor([-1.0, -1.0, 1.0, 1.0])).item() == 0.5


def reference_layerwise(W0, a0, X, y, T1, T2, lr1, lr2):
    """Algorithm 1 by hand with autograd, one replica: (W^(T1), a^(T2))."""
    m1 = (X.shape[0] + 1) // 2
    W, a = W0.clone().requires_grad_(True), a0.clone()

    def net(W, a, X):
        return (a * torch.relu(torch.einsum("kd,mnd->mkn", W, X)).amax(-1)).sum(-1)

    for _ in range(T1):
        loss = torch.nn.functional.softplus(-y[:m1] * net(W, a, X[:m1])).mean()
        (grad,) = torch.autograd.grad(loss, W)
        W = (W - lr1 * grad).detach().requires_grad_(True)
    W = W.detach()
    a = a.clone().requires_grad_(True)
    for _ in range(T2):
        loss = torch.nn.functional.softplus(-y[m1:] * net(W, a, X[m1:])).mean()
        (grad,) = torch.autograd.grad(loss, a)
        a = (a - lr2 * grad).detach().requires_grad_(True)
    return W, a.detach()


@pytest.mark.parametrize("basis", ["standard", "random"])
def test_train_layerwise_matches_a_hand_written_reference(basis):
    dist = lib.OrthogonalPatterns(n=3, d=5, basis=basis, seed=1, dtype=torch.float64)
    X, y = dist.sample(9, seed=2)
    net = ConvPool(5, 7, replicas=2, radius=0.2, seed=3, dtype=torch.float64)
    W0, a0 = net.W.detach().clone(), net.a.detach().clone()
    res = lib.train_layerwise(net, X, y, T1=6, T2=5, lr1=0.3, lr2=0.7)
    assert (res.m1, res.m2) == (5, 4) and res.loss1.shape == (7, 2) and res.loss2.shape == (6, 2)
    for r in range(2):
        W, a = reference_layerwise(W0[r], a0[r], X, y, 6, 5, 0.3, 0.7)
        torch.testing.assert_close(net.W[r].detach(), W, rtol=0, atol=1e-13)
        torch.testing.assert_close(net.a[r].detach(), a, rtol=0, atol=1e-13)
    assert res.loss2[-1].lt(res.loss2[0]).all()


def test_lucky_probability_against_monte_carlo():
    d, k, trials = 5, 4000, 20
    counts = []
    for seed in range(trials):
        net = ConvPool(d, k, radius=1.0, seed=seed, dtype=torch.float64)
        plus, minus = theory.detector_sets(net.tables(torch.eye(d, dtype=torch.float64)), net.a)
        counts += [plus.sum().item(), minus.sum().item()]
    p = theory.lucky_probability(d)
    estimate = sum(counts) / (len(counts) * k)
    stderr = math.sqrt(p * (1 - p) / (len(counts) * k))
    assert abs(estimate - p) < 4 * stderr
    assert p == pytest.approx((1 - 2 ** (1 - d)) / (2 * (d - 1)))


def test_theorem_regime_has_no_lemma_violation_on_a_small_run():
    from lib.experiments.lw_theory import run_layerwise

    rows, _ = run_layerwise(
        d=4,
        k=513,
        m=40,
        seeds=2,
        n=6,
        T1=20,
        T2=50,
        lr1_factor=1.0,
        radius_factor=1.0,
        lr2_factor=4.0,
        test_size=500,
    )
    lo, hi = theory.lemma_5_2_bounds(4, 513)
    assert ((rows.lucky_plus >= lo) & (rows.lucky_plus <= hi)).all()
    assert (rows.filter(like="viol").to_numpy() == 0).all()
    assert (rows.cert_margin >= 1).all()


def test_outside_the_regime_the_monitor_reports_violations():
    from lib.experiments.lw_theory import run_layerwise

    rows, _ = run_layerwise(
        d=4,
        k=8,
        m=40,
        seeds=2,
        n=6,
        T1=20,
        T2=5,
        lr1_factor=1000.0,
        radius_factor=1.0,
        lr2_factor=4.0,
        test_size=100,
    )
    assert rows["viol C.2"].gt(0).all()


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda: lib.OrthogonalPatterns(4, 6, l=2), "l"),
        (lambda: lib.OrthogonalPatterns(4, 6, l=7), "l"),
        (lambda: lib.OrthogonalPatterns(4, 6, basis="haar"), "basis"),
        (lambda: ConvPool(4, 3, radius=0.0), "radius"),
        (lambda: ConvPool(4, 3, radius=-1.0), "radius"),
        (lambda: ConvPool(4, 3, radius=math.inf), "radius"),
        (lambda: ConvPool(4, 3, second_layer="frozen"), "second_layer"),
        (lambda: ConvPool(4, 3, second_layer="fixed"), "k"),
        (lambda: ConvPool(4, 3, init="uniform"), "init"),
        (lambda: theory.regime(4, 10, 0), "T1"),
        (lambda: theory.lucky_probability(2), "l"),
    ],
)
def test_invalid_arguments_name_the_parameter(make, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        make()


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(T1=0, T2=1, lr1=0.1, lr2=0.1), "T1"),
        (dict(T1=1, T2=-1, lr1=0.1, lr2=0.1), "T2"),
        (dict(T1=1, T2=1, lr1=math.nan, lr2=0.1), "lr"),
        (dict(T1=1, T2=1, lr1=0.1, lr2=math.inf), "lr"),
        (dict(T1=1, T2=1, lr1=-0.1, lr2=0.1), "lr"),
    ],
)
def test_train_layerwise_rejects_bad_arguments(kwargs, name):
    X, y = lib.OrthogonalPatterns(3, 4).sample(6, seed=0)
    with pytest.raises(ValueError, match=rf"\b{name}"):
        lib.train_layerwise(ConvPool(4, 3), X, y, **kwargs)


def test_train_layerwise_needs_a_trained_second_layer_and_two_points():
    X, y = lib.OrthogonalPatterns(3, 4).sample(6, seed=0)
    with pytest.raises(ValueError, match="second_layer"):
        lib.train_layerwise(
            ConvPool(4, 4, second_layer="fixed"), X, y, T1=1, T2=1, lr1=0.1, lr2=0.1
        )
    with pytest.raises(ValueError, match="m >= 2"):
        lib.train_layerwise(ConvPool(4, 3), X[:1], y[:1], T1=1, T2=1, lr1=0.1, lr2=0.1)


def test_random_basis_is_orthonormal_and_seeded():
    a = lib.OrthogonalPatterns(5, 12, l=7, basis="random", seed=4, dtype=torch.float64)
    b = lib.OrthogonalPatterns(5, 12, l=7, basis="random", seed=4, dtype=torch.float64)
    c = lib.OrthogonalPatterns(5, 12, l=7, basis="random", seed=5, dtype=torch.float64)
    torch.testing.assert_close(a.patterns @ a.patterns.T, torch.eye(7, dtype=torch.float64))
    assert torch.equal(a.patterns, b.patterns) and not torch.equal(a.patterns, c.patterns)
    X, y = a.sample(50, seed=1)
    idx, _ = a.sample_indices(50, seed=1)
    assert idx.max() < 7 and ((idx == 0).sum(1) + (idx == 1).sum(1)).eq(1).all()
    assert torch.equal(X, a.patterns[idx])


def test_theorem_regime_values():
    rg = theory.regime(4, 513, 50)
    assert rg.lr1 == pytest.approx(1 / (4 * 513 * 51)) and rg.radius == pytest.approx(rg.lr1 / 200)
    assert rg.lr2_max == 8 * 513 and rg.k_min == 512 and rg.enough_channels
    assert not theory.regime(4, 512, 50).enough_channels


def test_cuda_without_a_gpu_and_bad_mnist_dtype_raise_value_errors():
    if not torch.cuda.is_available():
        for device in ("cuda", "cuda:0", torch.device("cuda")):
            with pytest.raises(ValueError, match="device"):
                ConvPool(4, 2, device=device)
    with pytest.raises(ValueError, match="dtype"):
        lib.MnistPatterns(3, dtype=torch.int64)


def test_eq3_gradient_against_autograd_on_the_eq1_loop():
    """The hand-written gradient of the logistic loss (Eq. 3: only the winning patch of a channel with a
    positive response carries gradient) equals what autograd makes of Eq. 1 written as a loop."""
    from lib.training import loss_and_grad

    small = ConvPool(d=5, k=7, radius=1.0, seed=3, dtype=torch.float64)
    X, y = OrthogonalPatterns(n=6, d=5, basis="random", seed=1, dtype=torch.float64).sample(
        9, seed=4
    )
    W, a = small.W[0].detach().clone().requires_grad_(), small.a[0].detach()
    N_loop = torch.stack(
        [
            sum(a[i] * max(torch.relu(W[i] @ x[j]) for j in range(len(x))) for i in range(len(W)))
            for x in X
        ]
    )
    torch.nn.functional.softplus(-y * N_loop).mean().backward()
    with torch.no_grad():
        out, ctx = small.forward_train(small.prepare(X))
        grad_W = small.backward(ctx, loss_and_grad(out, y.unsqueeze(0), "logistic")[1])[0][0]
    torch.testing.assert_close(grad_W, W.grad, rtol=0, atol=1e-12)


def test_train_layerwise_is_bit_identical_for_replica_counts_from_two_up():
    """Algorithm 1 gives a replica the same numbers in a batch of 2 as in a batch of 3 (both phases)."""
    X, y = training_sets(lib.OrthogonalPatterns(n=6, d=4, dtype=torch.float64), 40, 0, 3)
    runs = []
    for R in (2, 3):
        net = ConvPool(4, 65, replicas=R, radius=1e-3, seed=[7, 8, 9][:R], dtype=torch.float64)
        res = lib.train_layerwise(net, X[:R], y[:R], T1=20, T2=300, lr1=1e-3, lr2=260.0)
        runs.append((net, res))
    (two, res2), (three, res3) = runs
    assert torch.equal(two.W, three.W[:2]) and torch.equal(two.a, three.a[:2])
    assert torch.equal(res2.loss1, res3.loss1[:, :2]) and torch.equal(res2.loss2, res3.loss2[:, :2])
