"""The book's noisy variant of D (Part II)."""

import pytest
import torch

from lib.distributions import NoisyOrthogonalPatterns, OrthogonalPatterns


def test_noisy_patterns_keep_labels_and_scale():
    clean = OrthogonalPatterns(10, 30)
    noisy = NoisyOrthogonalPatterns(10, 30, noise=0.5)
    Xc, yc = clean.sample(2000, seed=4)
    Xn, yn = noisy.sample(2000, seed=4)
    assert torch.equal(yc, yn)
    rms = (Xn - Xc).pow(2).sum(-1).mean().sqrt()
    assert abs(float(rms) - 0.5) < 0.02
    assert torch.equal(
        NoisyOrthogonalPatterns(10, 30, noise=0.0).sample(20, seed=1)[0],
        clean.sample(20, seed=1)[0],
    )
    with pytest.raises(ValueError):
        NoisyOrthogonalPatterns(10, 30, noise=-1.0)
