"""The leaky-ReLU network of Brutzkus et al. (2018) that the paper's §6 compares with, trained by SGD.

The network, on the whole input x in R^{nd} (no patches, no pooling):

    N(x) = sum_{i=1..2k} a_i psi(w_i . x),   psi(z) = max(alpha z, z),  0 < alpha < 1,

with 2k hidden units and a fixed second layer a = (v, ..., v, -v, ..., -v) (k units of each sign,
v > 0), as in Brutzkus et al. (2018). Only W is trained, by SGD with batch size 1 and a constant step
eta on the hinge loss max(0, 1 - y N(x)). A step changes W only when y N(x) < 1 (a "non-zero
update"); the paper's guarantee counts these updates: for a margin-1 separator w* of inputs with
||x|| <= R, their number is at most ||w*||^2 R^2 / alpha^2 plus terms that vanish as k grows, and a
compression argument turns that count into the sample complexity O(||w*||^2 R^2).

Our choices [U] (the cited paper states its results for any of them): Gaussian initial rows with
E||w_i||^2 = init_std^2, each epoch a fresh uniform permutation of the training set (seeded), and
the stopping rule "an epoch without an update" (then every training point has y N(x) >= 1: zero
hinge loss, a global minimum), with at most `max_epochs` epochs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lib._checks import check_float, check_int, check_seed

LOOKAHEAD = 64  # points whose outputs are computed at once when looking for the next update


@dataclass(frozen=True)
class SGDResult:
    """What `LeakyFCN.sgd` returns: `updates` (non-zero-loss steps), `epochs` run, `steps` (points
    visited), whether it `converged` (an epoch without an update), and the updates of each epoch."""

    updates: int
    epochs: int
    steps: int
    converged: bool
    per_epoch: tuple[int, ...]


class LeakyFCN:
    """N(x) = sum_i a_i max(alpha w_i . x, w_i . x) with 2k hidden units, a = (v 1_k, -v 1_k) fixed.

    Parameters
    ----------
    input_dim : the dimension p of x (n d for the paper's inputs).
    k : hidden units of each sign (2k in all).
    alpha : the leaky-ReLU slope, 0 < alpha < 1.
    v : the fixed output weight magnitude, v > 0.
    init_std : the rows w_i start i.i.d. N(0, init_std^2 / p I), so E||w_i||^2 = init_std^2 (>= 0).
    seed : the seed of the initial rows.
    """

    def __init__(
        self,
        input_dim: int,
        k: int,
        *,
        alpha: float = 0.5,
        v: float = 1.0,
        init_std: float = 1e-3,
        seed: int = 0,
    ) -> None:
        self.input_dim = check_int("input_dim", input_dim, 1)
        self.k = check_int("k", k, 1)
        self.alpha = check_float("alpha", alpha, 0.0, 1.0, low_open=True)
        if self.alpha == 1.0:
            raise ValueError(
                "alpha must be a number in (0, 1) (alpha = 1 makes the network linear), got 1.0"
            )
        self.v = check_float("v", v, 0.0, low_open=True)
        init_std = check_float("init_std", init_std, 0.0)
        rng = np.random.default_rng(check_seed("seed", seed))
        self.W = rng.standard_normal((2 * self.k, self.input_dim)) * (
            init_std / math.sqrt(self.input_dim)
        )
        self.a = np.concatenate([np.full(self.k, self.v), np.full(self.k, -self.v)])

    def _inputs(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim < 2 or math.prod(X.shape[1:]) != self.input_dim:
            raise ValueError(
                f"X must have shape (m, ...) with {self.input_dim} numbers per point, got shape {X.shape}"
            )
        return X.reshape(X.shape[0], self.input_dim)

    def forward(self, X) -> np.ndarray:
        """N(x) for every point of X (m, ...) flattened to (m, p): shape (m,)."""
        pre = self._inputs(X) @ self.W.T
        return np.maximum(self.alpha * pre, pre) @ self.a

    def error(self, X, y) -> float:
        """Fraction of points with sign(N(x)) != y, with sign(0) = -1."""
        pred = np.where(self.forward(X) > 0, 1.0, -1.0)
        return float(np.mean(pred != np.asarray(y, dtype=np.float64)))

    def step(self, x: np.ndarray, y: float, lr: float) -> bool:
        """One SGD step on max(0, 1 - y N(x)) at the point x (p,): when y N(x) < 1,
        w_i <- w_i + lr y a_i psi'(w_i . x) x for every i (psi'(z) = 1 for z > 0, alpha otherwise).
        Returns whether W changed."""
        pre = self.W @ x
        if y * float(np.maximum(self.alpha * pre, pre) @ self.a) >= 1.0:
            return False
        slope = np.where(pre > 0, 1.0, self.alpha)
        self.W += (lr * y) * np.outer(self.a * slope, x)
        return True

    def sgd(self, X, y, *, lr: float, max_epochs: int = 1000, seed: int = 0) -> SGDResult:
        """SGD with batch size 1 and constant step `lr` on the hinge loss, in epochs: each epoch visits
        the m points in a fresh uniform permutation (numpy generator seeded with `seed`) and calls
        `step` on each; it stops after an epoch without an update (zero training loss) or after
        `max_epochs`. The same sequence of steps as that loop, computed faster: the outputs of the
        next LOOKAHEAD points are computed at once with the current W, and only the first point with
        y N(x) < 1 among them is stepped on (W does not change before it)."""
        X = self._inputs(X)
        y = np.asarray(y, dtype=np.float64)
        m = X.shape[0]
        if y.shape != (m,) or not np.isin(y, (-1.0, 1.0)).all():
            raise ValueError(
                f"y must be an array of shape (m,) = ({m},) with labels in {{-1, +1}}, got shape {y.shape}"
            )
        lr = check_float("lr", lr, 0.0, low_open=True)
        max_epochs = check_int("max_epochs", max_epochs, 1)
        rng = np.random.default_rng(check_seed("seed", seed))
        per_epoch: list[int] = []
        steps = 0
        for _ in range(max_epochs):
            order = rng.permutation(m)
            Xo, yo = X[order], y[order]
            count, pos = 0, 0
            while pos < m:
                chunk = slice(pos, min(pos + LOOKAHEAD, m))
                pre = Xo[chunk] @ self.W.T
                margins = yo[chunk] * (np.maximum(self.alpha * pre, pre) @ self.a)
                hits = np.flatnonzero(margins < 1.0)
                if hits.size == 0:
                    pos = chunk.stop
                    continue
                pos += int(hits[0])
                slope = np.where(pre[hits[0]] > 0, 1.0, self.alpha)
                self.W += (lr * yo[pos]) * np.outer(self.a * slope, Xo[pos])
                count += 1
                pos += 1
            steps += m
            per_epoch.append(count)
            if count == 0:
                break
        return SGDResult(
            updates=sum(per_epoch),
            epochs=len(per_epoch),
            steps=steps,
            converged=per_epoch[-1] == 0,
            per_epoch=tuple(per_epoch),
        )
