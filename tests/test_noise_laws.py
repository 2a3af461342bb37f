"""The noise laws of `NoisyOrthogonalPatterns` by name: exact norm laws (Kolmogorov-Smirnov at a fixed
seed), independence across patches, unchanged draws for the old laws, and bad arguments."""

import numpy as np
import pytest
import torch
from scipy import stats

from lib.distributions import NOISE_LAWS, NOISE_SEED_OFFSET, NoisyOrthogonalPatterns, noise_vectors

N, D, M = 4, 20, 5_000  # 20,000 noise vectors per law
KS_LEVEL = 0.01  # a law passes when the KS p-value at the fixed seed is above this


def noise_of(law: str, scale: float, seed: int = 3) -> torch.Tensor:
    """The noise v (M, N, D) of one sample: the noisy inputs minus the noiseless patterns."""
    dist = NoisyOrthogonalPatterns(
        N, D, noise=scale, noise_law=law, basis="random", seed=1, dtype=torch.float64
    )
    X, _ = dist.sample(M, seed=seed)
    return X - dist.to_inputs(dist.sample_indices(M, seed=seed)[0])


def norm_cdf(law: str, scale: float):
    """The CDF of ||v|| under `law` (the claims the sampler must meet)."""
    if law == "ball":
        return lambda r: np.clip(r / scale, 0.0, 1.0) ** D
    if law == "radial-uniform":
        return lambda r: np.clip(r / scale, 0.0, 1.0)
    return lambda r: stats.chi2.cdf(D * (r / scale) ** 2, D)


@pytest.mark.parametrize("law", NOISE_LAWS)
@pytest.mark.parametrize("scale", [1.0, 0.3])
def test_norm_of_each_law_passes_ks_and_the_other_laws_fail(law, scale):
    norms = noise_of(law, scale).norm(dim=-1).flatten().numpy()
    assert stats.kstest(norms, norm_cdf(law, scale)).pvalue > KS_LEVEL
    for other in NOISE_LAWS:
        if other != law:  # the test has power: the same norms are far from every other law
            assert stats.kstest(norms, norm_cdf(other, scale)).pvalue < 1e-6


@pytest.mark.parametrize("law", NOISE_LAWS)
def test_noise_is_isotropic_centred_and_independent_across_patches(law):
    v = noise_of(law, 1.0, seed=8)
    norms = v.norm(dim=-1)  # (M, N)
    bound = 4 / M**0.5  # four standard errors of a correlation of independent variables
    for j in range(1, N):
        assert abs(np.corrcoef(norms[:, 0], norms[:, j])[0, 1]) < bound
        assert abs(np.corrcoef(v[:, 0, 0], v[:, j, 0])[0, 1]) < bound
    flat = v.reshape(-1, D)
    second = flat.T @ flat / flat.shape[0]  # E v v^T = (E||v||^2 / d) I for a spherical law
    level = float(norms.pow(2).mean()) / D
    assert float((second - level * torch.eye(D, dtype=torch.float64)).abs().max()) < 0.1 * level
    assert float(flat.mean(0).abs().max()) < 4 * (level / flat.shape[0]) ** 0.5


def test_ball_and_gaussian_draws_are_those_of_the_earlier_code():
    """The cached results keep their meaning: the same seed gives the same noise bit for bit as the
    code before the noise laws were named (a normal tensor, then for the ball one radius per patch)."""
    for law in ("ball", "gaussian"):
        dist = NoisyOrthogonalPatterns(
            5, 7, noise=0.8, noise_law=law, basis="random", seed=2, dtype=torch.float64
        )
        X, _ = dist.sample(40, seed=11)
        g = torch.Generator().manual_seed(11 + NOISE_SEED_OFFSET)
        xi = torch.randn(40, 5, 7, generator=g, dtype=torch.float64)
        if law == "gaussian":
            old = xi * (0.8 / 7**0.5)
        else:
            radius = 0.8 * torch.rand(40, 5, generator=g, dtype=torch.float64) ** (1.0 / 7)
            old = xi * (radius / xi.norm(dim=-1).clamp_min(1e-300)).unsqueeze(-1)
        assert torch.equal(X, dist.to_inputs(dist.sample_indices(40, seed=11)[0]) + old)


def test_radial_uniform_has_the_direction_of_the_ball_draw_and_zero_scale_gives_no_noise():
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    ball, radial = (
        noise_vectors((30, 6), "ball", 1.0, g1),
        noise_vectors((30, 6), "radial-uniform", 1.0, g2),
    )
    cos = (ball * radial).sum(-1) / (ball.norm(dim=-1) * radial.norm(dim=-1))
    assert torch.allclose(cos, torch.ones(30, dtype=torch.float64))
    for law in NOISE_LAWS:
        assert torch.equal(
            noise_vectors((3, 4, 5), law, 0.0, torch.Generator().manual_seed(0)),
            torch.zeros(3, 4, 5, dtype=torch.float64),
        )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            dict(noise=1.0, noise_law="uniform"),
            "noise_law must be one of 'gaussian', 'ball', 'radial-uniform'",
        ),
        (dict(noise=1.0, noise_law=None), "noise_law must be one of"),
        (dict(noise=-0.5, noise_law="ball"), r"noise must be a finite number in \[0, inf\]"),
        (dict(noise=float("nan"), noise_law="radial-uniform"), "noise must be a finite number"),
        (dict(noise="1", noise_law="gaussian"), "noise must be a real number"),
    ],
)
def test_bad_law_or_scale_is_a_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        NoisyOrthogonalPatterns(4, 6, **kwargs)


@pytest.mark.parametrize(
    "args, message",
    [
        (((3, 4), "sphere", 1.0), "law must be one of"),
        (((3, 4), "ball", -1.0), "scale must be a finite number in"),
        (((), "ball", 1.0), "shape must end with the dimension d >= 1"),
        (((3, 0), "gaussian", 1.0), "shape must end with the dimension d >= 1"),
    ],
)
def test_noise_vectors_refuses_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        noise_vectors(*args, torch.Generator().manual_seed(0))
