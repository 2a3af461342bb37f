"""Adam in `lib.train`, the §7 MLP, the §7 linear SVM and the noise law of Figs. 3b and 5."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lib.baselines import linear_svm
from lib.distributions import NoisyOrthogonalPatterns, OrthogonalPatterns
from lib.models import MLP, ConvPool
from lib.training import train


def _torch_adam(net, X, y, lr, steps, batches=None):
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    for t in range(steps):
        idx = slice(None) if batches is None else batches[t]
        opt.zero_grad()
        loss = torch.nn.functional.softplus(-y[idx] * net(X[idx])[0]).mean()
        loss.backward()
        opt.step()


@pytest.mark.parametrize("model", ["convpool", "mlp"])
@pytest.mark.parametrize("batch_size", [None, 7])
def test_adam_matches_torch_optim_adam(model, batch_size):
    """The same updates as torch.optim.Adam (autograd through the model's forward) in float64."""
    g = torch.Generator().manual_seed(0)
    X = torch.randn(30, 3, 4, generator=g, dtype=torch.float64)
    y = torch.where(torch.rand(30, generator=g) < 0.5, 1.0, -1.0).double()

    def make():
        if model == "convpool":
            return ConvPool(4, 6, radius=0.5, dtype=torch.float64, seed=1)
        return MLP(12, 5, dtype=torch.float64, seed=1)

    ours, ref = make(), make()
    steps = 40
    train(ours, X, y, lr=0.01, steps=steps, optimizer="adam", batch_size=batch_size, seed=3)
    batches = None
    if batch_size is not None:  # the trainer's batches: randperm from `seed`, one draw per step
        gen = torch.Generator().manual_seed(3)
        batches = [torch.randperm(30, generator=gen)[:batch_size] for _ in range(steps)]
    _torch_adam(ref, X, y, 0.01, steps, batches)
    for a, b in zip(ours.parameters(), ref.parameters()):
        assert torch.allclose(a, b.detach(), atol=1e-6, rtol=0)


def test_adam_per_replica_lr_equals_separate_runs():
    X, y = OrthogonalPatterns(4, 6, basis="random", seed=2).sample(20, seed=0)
    both = ConvPool(6, 8, replicas=2, radius=0.1, seed=[5, 5], dtype=torch.float64)
    train(both, X, y, lr=[1e-3, 1e-2], steps=15, optimizer="adam")
    for r, lr in enumerate((1e-3, 1e-2)):
        one = ConvPool(6, 8, radius=0.1, seed=5, dtype=torch.float64)
        train(one, X, y, lr=lr, steps=15, optimizer="adam")
        assert torch.allclose(both.W[r], one.W[0], atol=1e-12)


def test_eval_every_thins_the_loss_history_only():
    X, y = OrthogonalPatterns(4, 6).sample(20, seed=0)
    a, b = MLP(24, 5, seed=0), MLP(24, 5, seed=0)
    full = train(a, X, y, lr=1e-2, steps=12, optimizer="adam", batch_size=5)
    thin = train(b, X, y, lr=1e-2, steps=12, optimizer="adam", batch_size=5, eval_every=5)
    assert thin.loss_steps.tolist() == [0, 5, 10, 12] and full.loss_steps.tolist() == list(
        range(13)
    )
    assert torch.equal(thin.loss, full.loss[[0, 5, 10, 12]])
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)


def test_bad_optimizer_and_eval_every_name_the_parameter():
    X, y = OrthogonalPatterns(4, 6).sample(8, seed=0)
    with pytest.raises(ValueError, match="optimizer must be one of 'gd', 'adam'"):
        train(MLP(24, 3), X, y, lr=0.1, steps=1, optimizer="sgd")
    with pytest.raises(ValueError, match="eval_every must be an integer in"):
        train(MLP(24, 3), X, y, lr=0.1, steps=1, eval_every=0)


def test_mlp_matching_parameter_count():
    conv = ConvPool(20, 500)
    assert conv.num_parameters == 500 * 20 + 500 == 10_500
    mlp = MLP.matching(conv, 10)
    assert mlp.width == 52 and mlp.num_parameters == 52 * 200 + 52 + 52 + 1 == 10_505
    assert mlp.num_parameters == MLP.parameter_count(200, 52)
    for n in (2, 5, 20, 50):  # the closest width: one more or one fewer unit is farther from 10,500
        w = MLP.matching(conv, n).width
        gap = abs(MLP.parameter_count(20 * n, w) - 10_500)
        assert gap <= abs(MLP.parameter_count(20 * n, w + 1) - 10_500)
        assert w == 1 or gap <= abs(MLP.parameter_count(20 * n, w - 1) - 10_500)
    with pytest.raises(ValueError, match="conv_pool must be a ConvPool"):
        MLP.matching(mlp, 10)
    with pytest.raises(ValueError, match="n must be an integer"):
        MLP.matching(conv, 0)


def test_soft_margin_svm_on_a_non_separable_toy():
    X = np.array([[1.0, 0.0], [2.0, 0.5], [-1.0, 0.2], [-1.5, -0.3], [0.5, 0.1]])
    # the last point sits among the positives: no separator
    y = np.array([1.0, 1.0, -1.0, -1.0, -1.0])
    fit = linear_svm(X, y)
    assert fit.kind == "soft" and fit.C == 1e4
    assert fit.train_error == pytest.approx(0.2)
    assert fit.error(X, y) == pytest.approx(0.2)
    sep = linear_svm(X[:4], y[:4])
    assert sep.kind == "hard" and sep.train_error == 0.0 and np.isnan(sep.C)
    with pytest.raises(ValueError, match="C must be"):
        linear_svm(X, y, C=0.0)


def test_ball_noise_has_norm_at_most_one_and_the_gaussian_default_is_unchanged():
    ball = NoisyOrthogonalPatterns(
        10, 20, noise=1.0, noise_law="ball", basis="random", seed=1, dtype=torch.float64
    )
    X, _ = ball.sample(2000, seed=4)
    clean = ball.to_inputs(ball.sample_indices(2000, seed=4)[0])
    norms = (X - clean).norm(dim=-1)
    assert float(norms.max()) <= 1.0 + 1e-12
    # E||v|| = d/(d+1) in the unit ball
    assert float(norms.mean()) == pytest.approx(20 / 21, abs=0.01)
    gauss = NoisyOrthogonalPatterns(4, 6, noise=0.3)
    assert gauss.noise_law == "gaussian"
    Xg, _ = gauss.sample(5, seed=0)
    base = OrthogonalPatterns(4, 6).sample(5, seed=0)[0]
    g = torch.Generator().manual_seed(0 + 10**9)
    expected = (
        base + (torch.randn(Xg.shape, generator=g, dtype=torch.float64) * (0.3 / 6**0.5)).float()
    )
    assert torch.equal(Xg, expected)
    with pytest.raises(ValueError, match="noise_law must be one of 'gaussian', 'ball'"):
        NoisyOrthogonalPatterns(4, 6, noise=0.3, noise_law="uniform")
