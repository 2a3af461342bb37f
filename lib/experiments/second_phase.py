"""§5 chapter: LW_CNN's second phase with a zero-initialised second layer and Ji & Telgarsky's step
schedule (the paper's supplement A): the normalised margin of a^(t) against the maximum margin.

After the first phase of Algorithm 1 (inside Theorem 5.1's regime: k = 8 d^3 + 1 channels, eta_1 and r
at the theorem's bounds, T_1 = 50), the second layer sees the pooled features z(x) of S_2. With the
features scaled to max ||z|| = 1 (z~ = z / max ||z||), the normalised margin of a is
gamma(a) = min_{S_2} y a . z~ / ||a||, and the maximum margin gamma-hat = 1 / ||a-hat|| is that of the
hard-margin SVM a-hat on z~(S_2) (no bias). Part 3 of the proof bounds 1 / gamma-hat^2 =
||a-hat||^2 max ||z||^2 by O(d).

Two runs of the second phase from a^(0) = 0, T_2 steps each:
  - "J&T": gradient descent on the exponential loss L(a) = (1/m_2) sum exp(-y a . z~) with the step
    eta_t = eta / L(a^(t)) (Ji & Telgarsky 2019), i.e. a^(t+1) = a^(t) + eta sum_i q_i y_i z~_i with
    q = softmax(-y a^(t) . z~); every step has length <= eta. Their analysis gives a margin rate
    O(ln m_2 / (gamma-hat t)), so t_{1/2}, the first step with gamma(a^(t)) >= gamma-hat / 2, is
    O(ln m_2 / gamma-hat^2) = O(d ln m_2).
  - "constant": Algorithm 1's second phase (logistic loss, constant eta_2 = lr2_factor k on the raw
    features), started from 0 as well, for contrast.

Our choices [U]: the exponential loss and eta = 1 for the schedule (the supplement names the schedule,
not its constant), n = 4 (the first phase's cost grows with n; the claim is about the second
layer), m = 200, T_2 = 2,000 (500 in the quick profile), lr2_factor = 4.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import torch

from lib._checks import check_choice, check_float, check_int
from lib.baselines import hard_margin_svm
from lib.distributions import OrthogonalPatterns
from lib.devices import single_thread_on_cpu
from lib.samples import training_sets
from lib.models import ConvPool
from lib.settings import Settings, integer, integers, real
from lib.sweep import experiment
from lib.theory import regime
from lib.training import train_layerwise

SCHEDULES = ("J&T", "constant")
# fractions of the maximum margin whose first-reach step t_level is recorded
LEVELS = (
    0.5,
    0.9,
    0.99,
)


def second_layer_gd(
    z: torch.Tensor, y: torch.Tensor, *, schedule: str, steps: int, eta: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Gradient descent on the second layer from a^(0) = 0, on features z (R, m, k) with labels y (R, m)
    in {-1, +1}. Returns the normalised margins gamma(a^(t)) = min_i y_i a^(t) . z_i / (||a^(t)|| max_i
    ||z_i||) for t = 0, ..., steps, shape (steps + 1, R) (NaN at a = 0), and a^(steps), shape (R, k).

    schedule "J&T": exponential loss, step eta / L(a^(t)): a^(t+1) = a^(t) + eta sum_i q_i y_i z_i with
    q = softmax(-y a^(t) . z) over the m points. "constant": logistic loss (1/m) sum log(1 + e^{-y a . z}),
    constant step eta: a^(t+1) = a^(t) + (eta / m) sum_i sigmoid(-y_i a^(t) . z_i) y_i z_i."""
    schedule = check_choice("schedule", schedule, SCHEDULES)
    steps = check_int("steps", steps, 0)
    eta = check_float("eta", eta, 0.0, low_open=True)
    if z.dim() != 3 or y.shape != z.shape[:2]:
        raise ValueError(
            f"z must have shape (R, m, k) and y (R, m), got {tuple(z.shape)} and {tuple(y.shape)}"
        )
    yz = y.unsqueeze(-1).to(z) * z  # (R, m, k): the points y_i z_i
    # every step adds a combination of the y_i z_i, so a^(t) = sum_i c_i y_i z_i: the run is carried
    # out on c (R, m) with the Gram matrix G = (y_i y_j z_i . z_j), exactly, whatever k is
    gram = torch.einsum("rik,rjk->rij", yz, yz)
    zmax = (z**2).sum(-1).amax(-1).sqrt()
    c = torch.zeros(z.shape[0], z.shape[1], dtype=z.dtype, device=z.device)
    gamma = []
    for t in range(steps + 1):
        margins = torch.einsum("rij,rj->ri", gram, c)  # y_i a^(t) . z_i
        scale = (c * margins).sum(-1).clamp_min(0.0).sqrt() * zmax  # ||a^(t)|| max ||z||
        gamma.append(
            torch.where(scale > 0, margins.amin(-1) / scale, torch.full_like(scale, math.nan))
        )
        if t == steps:
            break
        if schedule == "J&T":
            c = c + eta * torch.softmax(-margins, dim=-1)
        else:
            c = c + (eta / z.shape[1]) * torch.sigmoid(-margins)
    return torch.stack(gamma), torch.einsum("rm,rmk->rk", c, yz)


def first_reach(ratios: np.ndarray, level: float) -> float:
    """The first index t with ratios[t] >= level (NaN counts as below), NaN when none does."""
    hit = np.flatnonzero(np.nan_to_num(ratios, nan=-np.inf) >= level)
    return float(hit[0]) if hit.size else math.nan


def run_second_phase(
    *, d, seeds, seed=0, n, m, T1, T2, eta, lr2_factor, device="cpu"
) -> pd.DataFrame:
    """Rows (replica, schedule, t) on a log grid of t in 1..T_2: gamma(a^(t)) / gamma-hat, with the
    replica's gamma-hat, 1 / gamma-hat^2, m_2 and, per level in LEVELS, the first step t_level with
    gamma(a^(t)) >= level * gamma-hat (NaN: not within T_2) of that schedule as columns. A replica whose
    z~(S_2) is not separable (or holds one class) gets no rows."""
    k = 8 * d**3 + 1
    rg = regime(d, k, T1)
    dist = OrthogonalPatterns(n, d, dtype=torch.float64)
    X, y = training_sets(dist, m, seed, seeds)
    with single_thread_on_cpu(device):
        net = ConvPool(
            d, k, replicas=seeds, radius=rg.radius, seed=seed, dtype=torch.float64, device=device
        )
        res = train_layerwise(
            net, X.to(device), y.to(device), T1=T1, T2=0, lr1=rg.lr1, lr2=lr2_factor * k
        )
        z = net.features(X[:, res.m1 :].to(device)).cpu()  # (R, m_2, k)
    y2 = y[:, res.m1 :]
    ts = np.unique(np.geomspace(1, T2, 80).astype(int)) if T2 >= 1 else np.array([], dtype=int)
    scaled = z / (z**2).sum(-1).amax(-1).sqrt().clamp_min(1e-300).view(-1, 1, 1)
    ratios = {
        "J&T": second_layer_gd(scaled, y2, schedule="J&T", steps=T2, eta=eta)[0],
        "constant": second_layer_gd(z, y2, schedule="constant", steps=T2, eta=lr2_factor * k)[0],
    }
    tables = []
    for r in range(seeds):
        one_class = bool((y2[r] > 0).all() or (y2[r] < 0).all())
        fit = (
            None
            if one_class
            else hard_margin_svm(scaled[r].numpy(), y2[r].numpy(), allow_inseparable=True)
        )
        if fit is None or not fit.separable:
            continue
        gamma = 1.0 / math.sqrt(fit.norm2)
        for name, values in ratios.items():
            ratio = values[:, r].numpy() / gamma
            tables.append(
                pd.DataFrame(
                    {
                        "replica": r,
                        "schedule": name,
                        "t": ts,
                        "margin_ratio": ratio[ts],
                        "gamma_hat": gamma,
                        "inv_gamma2": fit.norm2,
                        "m2": res.m2,
                        "k": k,
                        **{f"t_{level:g}": first_reach(ratio, level) for level in LEVELS},
                    }
                )
            )
    return pd.concat(tables, ignore_index=True)


@dataclasses.dataclass(frozen=True)
class SecondPhaseSettings(Settings):
    """One point per d: `seeds` first phases inside Theorem 5.1's regime (k = 8 d^3 + 1), then both
    second phases from a = 0."""

    n: int = integer(4, "patches per input", 1, 1_000)
    m: int = integer(200, "training points (m_2 = m - ceil(m/2) for the second phase)", 4, 10**6)
    T1: int = integer(50, "first-phase steps T_1", 0, 10**6)
    T2: int = integer(2000, "second-phase steps T_2", 0, 10**7)
    eta: float = real(
        1.0, "eta of Ji & Telgarsky's schedule eta_t = eta / L(a^(t))", 0.0, 1e6, low_open=True
    )
    lr2_factor: float = real(
        4.0, "the constant schedule's eta_2 = lr2_factor k", 0.0, 1e6, low_open=True
    )
    ds: tuple[int, ...] = integers((3, 4, 5, 6), "dimensions d = l, one point each", 3, 10)
    seeds: int = integer(5, "replicas per point", 1, 10_000)


def _settings(profile: str) -> SecondPhaseSettings:
    return (
        SecondPhaseSettings()
        if profile == "full"
        else SecondPhaseSettings(T2=500, ds=(3, 4, 5), seeds=3)
    )


def _grid(s: SecondPhaseSettings) -> list[dict]:
    base = s.as_dict()
    del base["ds"], base["seeds"]
    return [{**base, "d": d, "seeds": s.seeds} for d in s.ds]


@experiment(
    "jt_second_phase",
    "Supplement A: LW_CNN's second phase from a = 0 with Ji & Telgarsky's schedule, margin against t and d",
    _grid,
    settings=_settings,
)
def jt_second_phase(*, device, **point) -> pd.DataFrame:
    """Per replica, schedule and t (log grid): the normalised margin of a^(t) over the maximum margin."""
    return run_second_phase(**point, device=device)
