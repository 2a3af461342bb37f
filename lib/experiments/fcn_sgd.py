"""§6 chapter: the leaky-ReLU network of Brutzkus et al. (2018) trained by SGD on D, beside LW_CNN.

One point = `seeds` training sets of m points of D (n patches, d = l, standard basis: both networks'
initialisations are rotation-invariant, so every measured quantity has the same law in any
orthonormal basis). On each: the `LeakyFCN` (2k hidden units, slope alpha, fixed second layer
(v 1_k, -v 1_k)) trained by SGD on the hinge loss until an epoch without an update, and LW_CNN
(Algorithm 1) inside Theorem 5.1's regime (k_cnn = 8 d^3 + 1 channels, eta_1 and r at the theorem's
bounds, T_1 = 50, eta_2 = 4 k_cnn, T_2 = 500), both tested on the same `test_size` fresh points. One
row per seed: the FCN's non-zero updates, epochs, whether it reached zero training loss, its test
error, LW_CNN's test error, and the bound's leading term ||w-hat||^2 R^2 / alpha^2 = 2n * n / alpha^2
(||w-hat||^2 = 2n, the exact minimum-norm separator of the §6 chapter; R^2 = n).

Our choices [U]: d = 4, k = 50 hidden units of each sign, alpha = 0.5, v = 1,
eta = 0.01 (= 1 / (2k)), init_std = 1e-3, at most 2,000 epochs.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import torch

from lib.distributions import OrthogonalPatterns
from lib.devices import single_thread_on_cpu
from lib.samples import test_set, training_sets
from lib.leaky_fcn import LeakyFCN
from lib.models import ConvPool
from lib.settings import Settings, integer, integers, real
from lib.sweep import experiment
from lib.theory import regime
from lib.training import accuracy, train_layerwise


def fcn_and_cnn(
    *,
    n,
    d,
    m,
    seeds,
    seed=0,
    k,
    alpha,
    v,
    lr,
    init_std,
    max_epochs,
    T1,
    T2,
    test_size,
    device="cpu",
) -> pd.DataFrame:
    """Per seed r (training set `training_sets(dist, m, seed, seeds)[r]`, FCN seed seed + r, the
    point's test set): the FCN's SGD run and LW_CNN, as described in the module docstring."""
    dist = OrthogonalPatterns(n, d, dtype=torch.float64)
    X, y = training_sets(dist, m, seed, seeds)
    Xt, yt = test_set(dist, seed, size=test_size)
    rows = []
    for r in range(seeds):
        net = LeakyFCN(n * d, k, alpha=alpha, v=v, init_std=init_std, seed=seed + r)
        res = net.sgd(X[r].numpy(), y[r].numpy(), lr=lr, max_epochs=max_epochs, seed=seed + r)
        rows.append(
            {
                "replica": r,
                "updates": res.updates,
                "epochs": res.epochs,
                "converged": res.converged,
                "fcn_train_error": net.error(X[r].numpy(), y[r].numpy()),
                "fcn_test_error": net.error(Xt.numpy(), yt.numpy()),
            }
        )
    k_cnn = 8 * d**3 + 1
    rg = regime(d, k_cnn, T1)
    with single_thread_on_cpu(device):
        cnn = ConvPool(
            d,
            k_cnn,
            replicas=seeds,
            radius=rg.radius,
            seed=seed,
            dtype=torch.float64,
            device=device,
        )
        train_layerwise(cnn, X.to(device), y.to(device), T1=T1, T2=T2, lr1=rg.lr1, lr2=4.0 * k_cnn)
        cnn_error = 1.0 - accuracy(cnn, Xt.to(device), yt).numpy()
    return pd.DataFrame(rows).assign(
        cnn_test_error=cnn_error, k_cnn=k_cnn, bound=2.0 * n * n / alpha**2, norm2_R2=2.0 * n * n
    )


@dataclasses.dataclass(frozen=True)
class FcnSgdSettings(Settings):
    """One point per (n, m): `seeds` training sets of m points of D; the FCN by SGD and LW_CNN on each."""

    k: int = integer(50, "hidden units of each sign of the FCN", 1, 100_000)
    alpha: float = real(0.5, "slope alpha of the leaky ReLU", 0.0, 1.0, low_open=True)
    v: float = real(1.0, "second-layer weight v (fixed)", 0.0, 1e6, low_open=True)
    lr: float = real(0.01, "SGD step size eta of the FCN", 0.0, 1e6, low_open=True)
    init_std: float = real(1e-3, "standard deviation of the FCN's initial weights", 0.0, 1e3)
    max_epochs: int = integer(2000, "cap on the FCN's SGD epochs", 1, 10**7)
    T1: int = integer(50, "LW_CNN's first-phase steps T_1", 0, 10**6)
    T2: int = integer(500, "LW_CNN's second-phase steps T_2", 0, 10**7)
    test_size: int = integer(2000, "fresh test points", 1, 10**7)
    ns: tuple[int, ...] = integers((2, 4, 8, 16, 32), "patches n, one point each", 1, 1_000)
    d: int = integer(4, "dimension d = l (LW_CNN has 8 d^3 + 1 channels)", 3, 12)
    ms: tuple[int, ...] = integers((200,), "training points m, one point each", 2, 10**6)
    seeds: int = integer(5, "training sets per point", 1, 10_000)


def _n_settings(profile: str) -> FcnSgdSettings:
    return FcnSgdSettings() if profile == "full" else FcnSgdSettings(ns=(2, 4, 8, 16), seeds=3)


def _grid(s: FcnSgdSettings) -> list[dict]:
    base = s.as_dict()
    for key in ("ns", "d", "ms", "seeds"):
        del base[key]
    return [{**base, "n": n, "d": s.d, "m": m, "seeds": s.seeds} for n in s.ns for m in s.ms]


@experiment(
    "fcn_sgd_n",
    "§6: the leaky-ReLU FCN of Brutzkus et al. (2018) by SGD against n (m = 200), LW_CNN beside it",
    _grid,
    settings=_n_settings,
)
def fcn_sgd_n(*, device, **point) -> pd.DataFrame:
    """Per seed: the FCN's updates, convergence and test error, and LW_CNN's test error, at each n."""
    return fcn_and_cnn(**point, device=device)


def _m_settings(profile: str) -> FcnSgdSettings:
    if profile == "full":
        return FcnSgdSettings(ns=(16,), ms=(20, 50, 100, 200, 500))
    return FcnSgdSettings(ns=(8,), ms=(20, 100, 400), seeds=3)


@experiment(
    "fcn_sgd_m",
    "§6: the leaky-ReLU FCN by SGD against m (n = 16), LW_CNN beside it",
    _grid,
    settings=_m_settings,
)
def fcn_sgd_m(*, device, **point) -> pd.DataFrame:
    """Per seed: the FCN's updates, convergence and test error, and LW_CNN's test error, at each m."""
    return fcn_and_cnn(**point, device=device)
