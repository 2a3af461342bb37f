"""The quantities of the paper's §5 (Theorem 5.1 and its proof, supplement B-E), measured on ConvPool.

Notation of the paper: d the patch dimension, l the number of patterns, k channels, T_1 first-layer
steps with step size eta_1, initial radius r, eta_2 the second layer's step size. Patterns are the rows
of `patterns` (0-based: row 0 is o_1, row 1 is o_2). A^+ = {i : a_i^(0) = +1}, A^- = {i : a_i^(0) = -1};
W_t^+ = {i : argmax over O minus {o_2} of w_i^(t) . o_j is o_1, and w_i^(t) . o_1 > 0}, W_t^- the
same with o_2 and O minus {o_1}. The lucky filters are W_0^+ & A^+ and W_0^- & A^-.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from lib._checks import check_float, check_int

POS, NEG = 0, 1  # rows of o_1 and o_2 in `patterns`


@dataclass(frozen=True)
class Regime:
    """The step sizes and radius of Theorem 5.1 for k channels and T_1 first-layer steps:
    eta_1 = 1 / (4 k (T_1 + 1)) (the largest allowed), r = eta_1 / 200, and eta_2 < 8k. `k_min` is
    8 d^3: the theorem needs k > k_min."""

    d: int
    k: int
    T1: int
    lr1: float
    radius: float
    lr2_max: float
    k_min: int

    @property
    def enough_channels(self) -> bool:
        """Whether k > 8 d^3."""
        return self.k > self.k_min


def regime(d: int, k: int, T1: int) -> Regime:
    """Theorem 5.1's eta_1, r and eta_2 bound for (d, k, T_1)."""
    d, k, T1 = check_int("d", d, 3), check_int("k", k, 1), check_int("T1", T1, 1)
    lr1 = 1.0 / (4 * k * (T1 + 1))
    return Regime(d=d, k=k, T1=T1, lr1=lr1, radius=lr1 / 200, lr2_max=8.0 * k, k_min=8 * d**3)


def lucky_probability(l: int) -> float:
    """P(i in W_0^+ & A^+) = (1 - 2^{1-l}) / (2 (l - 1)) for a filter uniform on a sphere and a_i
    uniform in {-1, +1} (Lemma 5.2, with l = d patterns): the arg-max of the l - 1 scores with O minus
    {o_2} is uniform, the largest is negative only when all are, and a_i is independent."""
    l = check_int("l", l, 3)
    return (1.0 - 2.0 ** (1 - l)) / (2 * (l - 1))


def lemma_5_2_bounds(d: int, k: int) -> tuple[float, float]:
    """Lemma 5.2's interval [k / (4d), k / d] for each lucky-filter count."""
    d, k = check_int("d", d, 3), check_int("k", k, 1)
    return k / (4 * d), k / d


def detector_sets(tables: torch.Tensor, a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The lucky filters (W^+ & A^+, W^- & A^-) as boolean masks (R, k), from the score tables
    w_i . o_p (R, k, l) and the second layer a (R, k). At t = 0 these are the sets of Lemma 5.2."""
    return _detects(tables, POS, NEG) & (a > 0), _detects(tables, NEG, POS) & (a < 0)


def _detects(tables: torch.Tensor, own: int, other: int) -> torch.Tensor:
    """i in W^own: the score with o_own is the largest over O minus {o_other}, and positive."""
    scores = tables.clone()
    scores[..., other] = -math.inf
    return (scores.argmax(-1) == own) & (tables[..., own] > 0)


class LemmaMonitor:
    """The checks of Lemmas 5.3, 5.5, C.1, C.2 and Corollary 5.4 along the first phase of
    Algorithm 1: pass `monitor` as `train_layerwise(..., on_step=monitor)`.

    At every t = 0..T_1 and for every replica it counts the steps at which an inequality fails:
      - "L5.3(1)": o_1 . w_i^(t) >= t eta_1 / 9 for every lucky positive filter (and o_2 for the negative
        ones, Corollary 5.4);
      - "L5.3(2)": o_j . w_i^(t) <= r for every pattern j other than the filter's own;
      - "L5.3(3)": the winning patch of a lucky positive filter is o_1 on every positive point of S_1
        (o_2 on negative points for a lucky negative filter);
      - "L5.5": x[j] . w_i^(t) <= 2 eta_1 t for every channel and every pattern (t >= 1);
      - "C.1": ||w_i^(t)|| <= r + eta_1 t for every channel;
      - "C.2": |N(x; W^(t), a^(0))| <= k eta_1 (t + 1) <= 1/2 on S_1.
    It also keeps, per step, the smallest o_1 . w_i^(t) over lucky positive filters (`own_min`), the
    largest other score of lucky filters (`other_max`) and the largest score over all channels
    (`score_max`), each (T_1 + 1, R), for plots.
    """

    CHECKS = ("L5.3(1)", "L5.3(2)", "L5.3(3)", "L5.5", "C.1", "C.2")

    def __init__(self, patterns: torch.Tensor, y1: torch.Tensor, lr1: float, radius: float) -> None:
        self.patterns = patterns
        self.y1 = y1
        self.lr1 = lr1
        self.radius = radius
        self.violations: dict[str, torch.Tensor] = {}
        self.own_min: list[torch.Tensor] = []
        self.other_max: list[torch.Tensor] = []
        self.score_max: list[torch.Tensor] = []
        self.lucky: tuple[torch.Tensor, torch.Tensor] | None = None

    def __call__(self, t: int, model, out: torch.Tensor, ctx: tuple) -> None:
        T = model.tables(self.patterns)  # (R, k, l)
        R, k, _ = T.shape
        if self.lucky is None:
            self.lucky = detector_sets(T, model.a.detach())
            self.violations = {c: torch.zeros(R, dtype=torch.long) for c in self.CHECKS}
        plus, minus = self.lucky
        own = torch.where(plus, T[..., POS], torch.where(minus, T[..., NEG], torch.inf))  # (R, k)
        mask = torch.zeros_like(T, dtype=torch.bool)
        mask[..., POS] = plus
        mask[..., NEG] = minus
        lucky = (plus | minus).unsqueeze(-1)
        other = torch.where(lucky & ~mask, T, -torch.inf).amax(dim=(1, 2))  # (R,)
        values = ctx[1]  # (R, k, m_1): max_j w_i . x[j] on S_1
        y = self.y1.to(values.device).expand(R, -1)
        wins_pos = self._wins(values, T[..., POS], plus, y > 0)
        wins_neg = self._wins(values, T[..., NEG], minus, y < 0)
        norms = model.W.detach().norm(dim=-1).amax(-1)
        lr1, r = self.lr1, self.radius
        tol = 1e-9 * lr1  # rounding of sums of O(t) terms of size eta_1
        failed = {
            "L5.3(1)": own.amin(-1) < t * lr1 / 9 - tol,
            "L5.3(2)": other > r + tol,
            "L5.3(3)": ~(wins_pos & wins_neg),
            "L5.5": (T.amax(dim=(1, 2)) > 2 * lr1 * t + tol)
            if t >= 1
            else torch.zeros(R, dtype=torch.bool),
            "C.1": norms > r + lr1 * t + tol,
            "C.2": out.abs().amax(-1) > min(k * lr1 * (t + 1), 0.5) + tol,
        }
        for c, f in failed.items():
            self.violations[c] += f.cpu().long()
        self.own_min.append(own.amin(-1).cpu())
        self.other_max.append(other.cpu())
        self.score_max.append(T.amax(dim=(1, 2)).cpu())

    @staticmethod
    def _wins(
        values: torch.Tensor, own: torch.Tensor, filters: torch.Tensor, points: torch.Tensor
    ) -> torch.Tensor:
        """(R,) whether max_j w_i . x[j] = w_i . o (the filter's own pattern o wins, `own` holding
        w_i . o, (R, k)) for every filter i in `filters` (R, k) on every point of `points` (R, m_1), a
        check on the lucky filters' rows of `values` (R, k, m_1) only."""
        r, i = filters.nonzero(as_tuple=True)
        lost = ((values[r, i] != own[r, i].unsqueeze(-1)) & points[r]).any(-1)
        failed = torch.zeros(values.shape[0], dtype=torch.long, device=values.device)
        return failed.index_add_(0, r, lost.long()) == 0


def certificate(
    tables_lucky: tuple[torch.Tensor, torch.Tensor], d: int, k: int, lr1: float, T1: int
) -> torch.Tensor:
    """The second layer v* of Part 3 of the proof, (R, k): +80 d / (k eta_1 T_1) on the lucky positive
    filters, -80 d / (k eta_1 T_1) on the lucky negative ones, 0 elsewhere."""
    plus, minus = tables_lucky
    scale = 80.0 * d / (k * lr1 * T1)
    return scale * (plus.double() - minus.double())


# --- book/beyond/threshold: how many channels the lucky-filter argument needs ------------------------


def both_signs_lucky_probability(d: int, k: int) -> float:
    """P(at least one lucky filter of each sign among k channels), with l = d patterns.

    A channel is lucky positive (in W_0^+ & A^+) with probability p = `lucky_probability(d)` (Lemma 5.2),
    lucky negative with the same p by symmetry, never both (a_i^(0) has one sign), independently of the
    other channels. By inclusion-exclusion, 1 - 2 (1 - p)^k + (1 - 2p)^k, increasing in k."""
    d, k = check_int("d", d, 3), check_int("k", k, 0)
    p = lucky_probability(d)
    return 1.0 - 2.0 * (1.0 - p) ** k + (1.0 - 2.0 * p) ** k


def lucky_channels(d: int, confidence: float = 0.95) -> int:
    """The smallest k with `both_signs_lucky_probability(d, k)` >= confidence: the channels the
    lucky-filter argument alone asks for.

    With q = 1 - p, the failure probability 2 q^k - (1 - 2p)^k lies between q^k and 2 q^k, so the
    answer lies between log(1 - confidence) / log q and log((1 - confidence) / 2) / log q: the
    integers of that interval are scanned in order."""
    d = check_int("d", d, 3)
    confidence = check_float("confidence", confidence, 0.0, 1.0, low_open=True)
    if confidence == 1.0:
        raise ValueError(
            "confidence must be a number in (0, 1) (no finite k reaches probability 1), got 1.0"
        )
    log_q = math.log1p(-lucky_probability(d))
    k = max(1, math.floor(math.log1p(-confidence) / log_q))
    while both_signs_lucky_probability(d, k) < confidence:
        k += 1
    return k


class LuckyWatch:
    """Whether the lucky filters keep detecting along the first phase of Algorithm 1: pass it as
    `train_layerwise(..., on_step=watch)`. At t = 0 it takes the lucky sets W_0^+ & A^+ and
    W_0^- & A^- (`lucky`, two (R, k) masks); at every t <= T_1 it keeps in `kept` the lucky filters
    that are still in W_t^+ (positive) or W_t^- (negative). A filter in W_t^+ wins with o_1 on every
    positive point, so `stopped()` (R,) says in which replicas some lucky filter stopped detecting its
    pattern, the failure that Lemma 5.3(3) and Corollary 5.4 rule out inside the theorem's regime."""

    def __init__(self, patterns: torch.Tensor) -> None:
        self.patterns = patterns
        self.lucky: tuple[torch.Tensor, torch.Tensor] | None = None
        self.kept: tuple[torch.Tensor, torch.Tensor] | None = None

    def __call__(self, t: int, model, out: torch.Tensor, ctx: tuple) -> None:
        plus, minus = detector_sets(model.tables(self.patterns), model.a.detach())
        if self.lucky is None:
            self.lucky = self.kept = (plus, minus)
        else:
            self.kept = (self.kept[0] & plus, self.kept[1] & minus)

    def stopped(self) -> torch.Tensor:
        """(R,) bool: some lucky filter left W_t^+ (or W_t^-) at some step t."""
        if self.lucky is None:
            raise ValueError(
                "LuckyWatch saw no step: pass it to train_layerwise(on_step=...) first"
            )
        return ((self.lucky[0] != self.kept[0]) | (self.lucky[1] != self.kept[1])).any(-1).cpu()


SUPPORT_SETS_MAX = 4096  # largest number of pattern sets `support_margin` enumerates


def support_margin(tables: torch.Tensor, v: torch.Tensor, n: int) -> torch.Tensor:
    """The smallest margin y z(x) . v over the whole support of D (Part 3's D_z), per replica.

    tables (R, k, l): the scores w_i . o_p of the trained filters; v (R, k): a second layer. The pooled
    feature z_i(x) = max_j relu(w_i . x[j]) depends only on the set of patterns x holds: {o_1} and a set
    U of 1 to min(n - 1, l - 2) spurious patterns for y = +1 ({o_2} and U for y = -1), so the minimum over
    these finitely many sets is the minimum over the support (for n = 1: U empty). NaN where the sets
    number more than SUPPORT_SETS_MAX."""
    import itertools

    R, k, l = tables.shape
    spurious = range(2, l)
    sizes = range(1, min(n - 1, l - 2) + 1) if n > 1 else [0]
    count = sum(math.comb(l - 2, s) for s in sizes)
    if count > SUPPORT_SETS_MAX:
        return torch.full((R,), math.nan, dtype=tables.dtype)
    masks = torch.zeros(2 * count, l, dtype=tables.dtype, device=tables.device)
    signs = torch.empty(2 * count, dtype=tables.dtype, device=tables.device)
    row = 0
    for label, own in ((1.0, 0), (-1.0, 1)):
        for size in sizes:
            for U in itertools.combinations(spurious, size):
                masks[row, [own, *U]] = 1.0
                signs[row] = label
                row += 1
    z = (tables.clamp(min=0)[:, :, None, :] * masks).amax(-1)  # (R, k, sets): relu scores are >= 0
    return (signs * torch.einsum("rks,rk->rs", z, v.to(z))).amin(-1).cpu()
