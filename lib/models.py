"""The paper's max-pooling CNN and the fully connected baseline, batched over a leading replica axis.

Every model holds R independent replicas: parameters have shape (R, ...), and `forward(X)` returns the
outputs of all replicas, shape (R, m). X is either shared by all replicas, shape (m, n, d), or one
training set per replica, shape (R, m, n, d).

Both models carry an analytic backward pass (`forward_train` + `backward`), so the trainer needs no
autograd graph: for the CNN the gradient of a channel flows only through its max-pooling winner
(paper.md §2, "Gradient convention"), which is a gather, not a dense max-pool backward.

Cost of one CNN step, general path: one batched GEMM for all R * 2k * m * n filter-patch dot products
and a max over the n patches; the backward gathers the m winning patches of each channel
(`embedding_bag`, 2 R 2k m d flops). Reading and writing the (R, 2k, n, m) scores is what costs:
on the standard grid of lib.bench (2 CPU cores) the GEMM takes 7.6 ms, mostly writing 40 MB, and
`torch.max` with indices over the patches took 17 ms. The scores are therefore laid out
position-major (`PositionMajor`, prepared once per training run), where the max over positions is a
fast reduction across contiguous rows (3.4 ms), and the first arg-max is the largest n - j over the
positions j that reach the max (equality, a multiply and a uint8 max: 8 ms). A step takes 25 ms
instead of 31. A gather of the scores and `torch.compile` did not make it cheaper.

Pattern-search path. When every patch is a standard basis vector e_p (the paper's orthogonal patterns,
paper.md §1, o_p = e_p), <f_c, x_j> is the coordinate f_c[p] of the pattern at position j, so the
network depends only on the tables a_{i,p} = <w_i, o_p>, b_{i,p} = <u_i, o_p> (paper.md §2, last
paragraph): here, the filters themselves. Then max_j <f_c, x_sj> is f_c at the best-ranked pattern
present in point s. `train` finds it by ranking the d coordinates of each filter once per step and
scanning the ranks against a (d, m) table of which patterns each point holds (`PatternPresence`):
one uint8 pass over the R * 2k * m (channel, point) pairs per rank, until every pair has met a pattern
its point holds, instead of a max over R * 2k * m * n scores. With the paper's sampler about half the
pairs are settled at each rank, so the passes are few and cheap: on the standard grid of lib.bench a
training step takes 6.5 ms instead of 25 ms on the general path. Values are bit-identical to the general path; ties between two present patterns
with exactly equal coordinates go to the lower pattern index (the general path takes the first
position). It is exact, so it is used whenever it applies (`MaxPoolCNN(pattern_search=True)`, the
default); rotated patterns, noisy patches and digits take the general path.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from lib._checks import check_bool, check_choice, check_float, check_int, check_seed, show


def replica_seeds(seed: int | Sequence[int], replicas: int) -> list[int]:
    """Seeds of the R replicas: an int `seed` gives seed, seed + 1, ..., seed + R - 1 (so replica r of
    seed s is the model of seed s + r, whatever R), a sequence gives one seed per replica."""
    if isinstance(seed, Sequence):
        seeds = [check_seed("seed", s) for s in seed]
        if len(seeds) != replicas:
            raise ValueError(f"seed must hold one seed per replica ({replicas}), got {len(seeds)}")
        return seeds
    seed = check_seed("seed", seed)
    return [seed + r for r in range(replicas)]


def _normal(shape: tuple[int, ...], std: float | Sequence[float], seeds: list[int], dtype, device) -> torch.Tensor:
    """One N(0, std^2) tensor of `shape` per replica, each drawn on the CPU from its own seed (so a
    replica's initial weights do not depend on R or on the device)."""
    out = []
    for s in seeds:
        g = torch.Generator().manual_seed(s)
        out.append(torch.randn(shape, generator=g, dtype=torch.float64) * std)
    return torch.stack(out).to(dtype=dtype, device=device)


def _check_device(device: Any) -> str | torch.device | None:
    if device is None or isinstance(device, torch.device):
        return device
    return check_choice("device", device, ("cpu", "cuda"))


def _check_finite_init(name: str, value: float, weights: torch.Tensor) -> torch.Tensor:
    """Refuse an initialisation scale whose weights overflow the dtype (inf weights)."""
    if not torch.isfinite(weights).all():
        raise ValueError(f"{name}={value:g} draws weights that overflow {weights.dtype}; use a smaller {name}")
    return weights


def _check_dtype(dtype: Any) -> torch.dtype:
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise ValueError(f"dtype must be a floating torch dtype such as torch.float32, got {dtype!r}")
    return dtype


class _Replicated(nn.Module):
    """What both models share: the replica count, input checks and the (R, m) output convention."""

    replicas: int

    def _flat_inputs(self, X: torch.Tensor, feature_dim: int, what: str, *, finite: bool = False) -> torch.Tensor:
        """Check X and return it as (1 or R, m, n, feature) with the model's dtype and device; with
        `finite`, also refuse NaN and inf (a pass over X: done once per public call, not per step)."""
        if not isinstance(X, torch.Tensor):
            raise ValueError(f"X must be a torch.Tensor of shape (m, n, d) or (R, m, n, d), got {type(X).__name__}")
        if X.dim() == 3:
            X = X.unsqueeze(0)
        if X.dim() != 4 or X.shape[0] not in (1, self.replicas):
            raise ValueError(
                f"X must have shape (m, n, d) or (R={self.replicas}, m, n, d), got {tuple(X.shape)}"
            )
        if what == "patch" and X.shape[-1] != feature_dim:
            raise ValueError(f"X has patches of dimension {X.shape[-1]}, but the model has d={feature_dim}")
        if what == "flat" and X.shape[-2] * X.shape[-1] != feature_dim:
            raise ValueError(
                f"X flattens to n*d={X.shape[-2] * X.shape[-1]} features, but the model has input_dim={feature_dim}"
            )
        if X.shape[2] == 0:
            raise ValueError(f"X must hold n >= 1 patches per point, got shape {tuple(X.shape)}")
        if X.is_complex() or X.dtype == torch.bool:
            raise ValueError(f"X must be a real tensor, got dtype {X.dtype}")
        if finite and not torch.isfinite(X).all():
            raise ValueError("X must be finite (it contains NaN or inf)")
        param = next(self.parameters())
        return X.to(dtype=param.dtype, device=param.device)

    def prepare(self, X: torch.Tensor) -> torch.Tensor:
        """What `train` feeds to `forward_train` at every step: X as (1 or R, m, n, feature)."""
        return X

    @property
    def num_parameters(self) -> int:
        """Number of trainable parameters of one replica."""
        return sum(p[0].numel() for p in self.parameters())


@dataclass(frozen=True)
class PatternPresence:
    """Inputs whose patches are all standard basis vectors e_p (paper.md §1), kept as which patterns
    each point holds: presence[b, p, s] is True when e_p is a patch of point s (b: 0, or the replica
    of a per-replica training set). All the pattern-search path of `MaxPoolCNN` needs."""

    presence: torch.Tensor  # (1 or R, d, m) bool

    @classmethod
    def of(cls, X: torch.Tensor) -> PatternPresence | None:
        """The presence table of X (1 or R, m, n, d), or None when some patch is not a standard basis
        vector (or d > 255: ranks are counted in uint8)."""
        d = X.shape[-1]
        if d > 255 or not bool(((X == 0) | (X == 1)).all()) or not bool((X.sum(-1) == 1).all()):
            return None
        index = X.argmax(-1)  # (B, m, n): the pattern at each position
        presence = torch.zeros(X.shape[0], X.shape[1], d, dtype=torch.bool, device=X.device)
        presence.scatter_(2, index, True)
        return cls(presence.transpose(1, 2).contiguous())

    def points(self, batch: torch.Tensor) -> PatternPresence:
        """The inputs of the points `batch` (a minibatch)."""
        return PatternPresence(self.presence[:, :, batch])


@dataclass(frozen=True)
class PositionMajor:
    """Inputs X (1 or R, m, n, d) stored position-major, as patches (1 or R, n*m, d) with x_{s, j} in
    row j*m + s: the general path's layout, in which the scores of one position are contiguous."""

    patches: torch.Tensor
    n: int

    @classmethod
    def of(cls, X: torch.Tensor) -> PositionMajor:
        B, m, n, d = X.shape
        return cls(X.transpose(1, 2).reshape(B, n * m, d), n)

    def points(self, batch: torch.Tensor) -> PositionMajor:
        """The inputs of the points `batch` (a minibatch)."""
        B, nm, d = self.patches.shape
        return PositionMajor(self.patches.view(B, self.n, nm // self.n, d)[:, :, batch].reshape(B, -1, d), self.n)


class MaxPoolCNN(_Replicated):
    """The paper's network (paper.md §2):

        N_W(x) = sum_{i=1..k} max_j relu(<w_i, x_j>) - sum_{i=1..k} max_j relu(<u_i, x_j>)

    2k filters in R^d (w: output weight +1, u: output weight -1), filter size = stride = d, no bias,
    a global max-pool over the n patches and a fixed, untrained output layer.

    Parameters
    ----------
    d : filter dimension. k : filters per sign (k >= 1). replicas : independent models R.
    init_std : sigma_g of the N(0, sigma_g^2) initialisation (paper.md §2 [R]: small; default 1e-3).
    seed : int (replica r gets seed + r) or one seed per replica.
    pattern_search : let `train` use the pattern-search path (module docstring) on inputs whose patches
        are all standard basis vectors; False forces the general path (for comparisons).
    """

    def __init__(
        self,
        d: int,
        k: int,
        *,
        replicas: int = 1,
        init_std: float = 1e-3,
        seed: int | Sequence[int] = 0,
        dtype: torch.dtype = torch.float32,
        device: str | torch.device | None = None,
        pattern_search: bool = True,
    ) -> None:
        super().__init__()
        self.d = check_int("d", d, 1)
        self.pattern_search = check_bool("pattern_search", pattern_search)
        self.k = check_int("k", k, 1)
        self.replicas = check_int("replicas", replicas, 1)
        self.init_std = check_float("init_std", init_std, 0.0)
        seeds = replica_seeds(seed, self.replicas)
        dtype = _check_dtype(dtype)
        device = _check_device(device)
        filters = _normal((2 * self.k, self.d), self.init_std, seeds, dtype, device)
        _check_finite_init("init_std", self.init_std, filters)
        self.w = nn.Parameter(filters[:, : self.k].contiguous())
        self.u = nn.Parameter(filters[:, self.k :].contiguous())
        self.register_buffer("signs", torch.cat([torch.ones(self.k), -torch.ones(self.k)]).to(dtype=dtype, device=device))

    def filters(self) -> torch.Tensor:
        """All 2k filters of every replica, shape (R, 2k, d): the w's then the u's."""
        return torch.cat([self.w, self.u], dim=1)

    def pooled(self, X: torch.Tensor | PositionMajor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, int]:
        """Max-pooled pre-activations on the general path. Returns (values, winners, patches, n):
        values and winners of shape (R, 2k, m) hold max_j <f_c, x_j> and its first arg-max j;
        patches is X position-major, (1 or R, n*m, d) with x_{s, j} in row j*m + s."""
        inputs = X if isinstance(X, PositionMajor) else PositionMajor.of(self._flat_inputs(X, self.d, "patch"))
        patches, n = inputs.patches, inputs.n
        m = patches.shape[1] // n
        R, C = self.replicas, 2 * self.k
        if torch.is_grad_enabled() and self.w.requires_grad:  # autograd cannot write into a buffer
            scores = torch.matmul(self.filters(), patches.transpose(1, 2))
        else:
            scores = self._buffer("scores", (R, C, n * m), patches.dtype)
            torch.matmul(self.filters(), patches.transpose(1, 2), out=scores)  # (R, 2k, n*m): one batched GEMM
        scores = scores.view(R, C, n, m)
        values = scores.amax(dim=2)  # position-major: a reduction across contiguous rows of m scores
        # first arg-max: the largest (n - j) among the positions j that reach the max
        tag = torch.uint8 if n < 256 else torch.int32
        at_max = self._buffer("at_max", (R, C, n, m), torch.bool)
        torch.eq(scores, values.unsqueeze(2), out=at_max)
        tagged = self._buffer("tagged", (R, C, n, m), tag)
        at_max = at_max.view(tag) if tag == torch.uint8 else at_max  # bool as 0/1 bytes: no conversion
        torch.mul(at_max, torch.arange(n, 0, -1, dtype=tag, device=at_max.device).view(1, 1, n, 1), out=tagged)
        winners = (n - tagged.amax(dim=2).long()).clamp_(max=n - 1)  # (NaN scores match no position)
        return values, winners, patches, n

    def _buffer(self, name: str, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        """A work tensor of `pooled`, reused from call to call. None of them leaves `pooled`, so reuse
        cannot alias a result. A fresh tensor of this size (40 MB of scores on the standard grid of
        lib.bench) is handed back to the OS when freed and page-faulted in again at the next step:
        reusing it made a training step 1.4x faster on our 2-core machine."""
        buf = self.__dict__.get("_buf_" + name)
        if buf is None or buf.shape != shape or buf.dtype != dtype or buf.device != self.w.device:
            buf = torch.empty(shape, dtype=dtype, device=self.w.device)
            self.__dict__["_buf_" + name] = buf
        return buf

    def prepare(self, X: torch.Tensor) -> PositionMajor | PatternPresence:
        """What `train` feeds to `forward_train` at every step: X's `PatternPresence` when every patch
        is a standard basis vector and `pattern_search` is on, else X position-major."""
        X = self._flat_inputs(X, self.d, "patch")
        table = PatternPresence.of(X) if self.pattern_search else None
        return table or PositionMajor.of(X)

    def pooled_patterns(self, inputs: PatternPresence) -> tuple[torch.Tensor, torch.Tensor]:
        """`pooled` for standard-basis patches: (values, best) of shape (R, 2k, m), with best the
        pattern index p of the winning patch e_p, found by a search over the filters' ranked
        coordinates (module docstring)."""
        if not isinstance(inputs, PatternPresence):
            raise ValueError(
                f"inputs must be a PatternPresence (what prepare(X) returns for standard-basis patches), "
                f"got {type(inputs).__name__}"
            )
        F = self.filters()
        R, C, d = F.shape
        presence = inputs.presence.to(F.device)
        if presence.shape[1] != d:
            raise ValueError(f"inputs hold {presence.shape[1]} patterns, but the model has d={d}")
        B, m = presence.shape[0], presence.shape[2]
        order = torch.argsort(F, dim=2, descending=True, stable=True)  # (R, 2k, d): ranks of the patterns
        rows = order if B == 1 else order + torch.arange(0, R * d, d, device=F.device).view(R, 1, 1)
        rows = rows.permute(2, 0, 1).reshape(d, R * C)  # rows[t]: table row of each channel's rank-t pattern
        absent = (~presence).reshape(B * d, m).view(torch.uint8)  # 1 where pattern p is not in point s
        unseen = torch.ones(R * C, m, dtype=torch.uint8, device=F.device)  # 1: no pattern ranked <= t present
        rank = torch.zeros(R * C, m, dtype=torch.uint8, device=F.device)  # rank of the best present pattern
        here = torch.empty(R * C, m, dtype=torch.uint8, device=F.device)
        for t in range(d - 1):  # every point holds a pattern, so the last rank needs no look
            unseen.bitwise_and_(torch.index_select(absent, 0, rows[t], out=here))
            rank.add_(unseen)
            if t % 4 == 3 and not bool(unseen.any()):
                break
        best = torch.gather(order, 2, rank.view(R, C, m).long())
        return torch.gather(F, 2, best), best

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """N_W(x) for every replica and point, shape (R, m) (on the pattern-search path when it applies)."""
        return self.forward_train(self.prepare(self._flat_inputs(X, self.d, "patch", finite=True)))[0]

    def forward_train(self, X: torch.Tensor | PositionMajor | PatternPresence) -> tuple[torch.Tensor, tuple]:
        """Outputs (R, m) and the context `backward` needs, from X or from `prepare(X)`."""
        if isinstance(X, PatternPresence):
            values, best = self.pooled_patterns(X)
            ctx: tuple = (values, best)
        else:
            ctx = self.pooled(X)
        return torch.einsum("c,rcm->rm", self.signs, torch.relu(ctx[0])), ctx

    def backward(self, ctx: tuple, grad_out: torch.Tensor) -> list[torch.Tensor]:
        """Gradients of a loss with dL/dN = grad_out (R, m), for [w, u].

        dL/df_c = sum_s grad_out[s] * sign_c * 1[max_j <f_c, x_sj> > 0] * x_{s, j*(c, s)}: only the
        winning patch of each channel receives gradient, and none when the winner is inactive
        (relu'(0) = 0). This is a weighted sum of m gathered patches per channel, computed by one
        `embedding_bag` (2 R 2k m d flops, no dense (R, 2k, m, n) one-hot); on the pattern-search
        path the winning patch is e_p, so the sum is a scatter-add into coordinate p."""
        values = ctx[0]
        R, C, m = values.shape
        coef = grad_out[:, None, :] * self.signs[None, :, None] * (values > 0)
        if len(ctx) == 2:  # pattern-search path: ctx = (values, best pattern)
            grad = torch.zeros(R, C, self.d, dtype=coef.dtype, device=coef.device).scatter_add_(2, ctx[1], coef)
            return [grad[:, : self.k], grad[:, self.k :]]
        _, winners, patches, n = ctx
        rows = winners * m + torch.arange(m, device=winners.device)  # row of x_{s, j*} in patches
        if patches.shape[0] > 1:  # one training set per replica: patches of replica r start at r*m*n
            rows = rows + torch.arange(0, R * m * n, m * n, device=winners.device).view(R, 1, 1)
        grad = nn.functional.embedding_bag(
            rows.view(R * C, m), patches.reshape(-1, self.d), per_sample_weights=coef.reshape(R * C, m), mode="sum"
        ).view(R, C, self.d)
        return [grad[:, : self.k], grad[:, self.k :]]

    def dot_products(self, patterns: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The tables a_{i,p} = <w_i, o_p> and b_{i,p} = <u_i, o_p> of paper.md §2, each (R, k, P)
        for patterns of shape (P, d)."""
        if not isinstance(patterns, torch.Tensor) or patterns.dim() != 2 or patterns.shape[1] != self.d:
            got = show(getattr(patterns, "shape", patterns))
            raise ValueError(f"patterns must be a tensor of shape (P, d={self.d}), got {got}")
        patterns = patterns.to(dtype=self.w.dtype, device=self.w.device)
        return self.w.detach() @ patterns.T, self.u.detach() @ patterns.T


class FullyConnected(_Replicated):
    """The fully connected baseline (paper.md §3 [I]): a ReLU network on the flattened input of
    dimension n*d with `depth` layers (depth - 1 hidden layers of `width` units), all layers trained,
    biases, N(0, 1/fan_in) weights and zero biases at initialisation."""

    def __init__(
        self,
        input_dim: int,
        width: int,
        *,
        depth: int = 2,
        replicas: int = 1,
        seed: int | Sequence[int] = 0,
        dtype: torch.dtype = torch.float32,
        device: str | torch.device | None = None,
    ) -> None:
        super().__init__()
        self.input_dim = check_int("input_dim", input_dim, 1)
        self.width = check_int("width", width, 1)
        self.depth = check_int("depth", depth, 2)
        self.replicas = check_int("replicas", replicas, 1)
        seeds = replica_seeds(seed, self.replicas)
        dtype = _check_dtype(dtype)
        device = _check_device(device)
        sizes = [self.input_dim] + [self.width] * (self.depth - 1) + [1]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layer_seeds = [s * 1000 + layer for s in seeds]  # distinct streams per layer and replica
            self.weights.append(nn.Parameter(_normal((fan_out, fan_in), fan_in**-0.5, layer_seeds, dtype, device)))
            self.biases.append(nn.Parameter(torch.zeros(self.replicas, fan_out, dtype=dtype, device=device)))

    def forward_train(self, X: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Outputs (R, m) and the layer inputs (post-activations) that `backward` needs."""
        X = self._flat_inputs(X, self.input_dim, "flat")
        h = X.reshape(X.shape[0], X.shape[1], self.input_dim)
        acts = []
        last = len(self.weights) - 1
        for layer, (W, b) in enumerate(zip(self.weights, self.biases)):
            acts.append(h)
            z = _bmm(h.expand(self.replicas, -1, -1), W.transpose(1, 2), bias=b[:, None, :])
            h = z if layer == last else z.relu_()  # in place: z is fresh, and one 20 MB tensor fewer per layer
        return h.squeeze(2), acts

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Outputs of every replica, shape (R, m)."""
        return self.forward_train(self._flat_inputs(X, self.input_dim, "flat", finite=True))[0]

    def backward(self, acts: list[torch.Tensor], grad_out: torch.Tensor) -> list[torch.Tensor]:
        """Gradients for the parameters in `parameters()` order (weights then biases), given
        dL/doutput = grad_out of shape (R, m)."""
        delta = grad_out.unsqueeze(2)  # (R, m, 1)
        grads_w, grads_b = [], []
        for layer in range(len(self.weights) - 1, -1, -1):
            h = acts[layer].expand(self.replicas, -1, -1)
            grads_w.append(_bmm(delta.transpose(1, 2), h))
            grads_b.append(delta.sum(1))
            if layer > 0:
                delta = _bmm(delta, self.weights[layer]).mul_(h > 0)
        return grads_w[::-1] + grads_b[::-1]


def _bmm(a: torch.Tensor, b: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """bias + a @ b over the replica axis (torch.baddbmm, or torch.bmm without bias).

    A single replica (R=1) runs as a batch of two equal replicas, of which the first is kept: BLAS
    computes a batch of one by another path (one gemm or gemv) than a batch, whose results differ in
    the last bits, so a replica trained alone would not be bit-identical to the same replica trained
    in a batch (tests/test_reproducibility.py). The pair is an expand (no copy) and costs one extra
    product, only when R=1."""
    if a.shape[0] == 1:
        pair = [t.expand(2, *t.shape[1:]) for t in (a, b)]
        return _bmm(*pair, bias=None if bias is None else bias.expand(2, *bias.shape[1:]))[:1]
    return torch.bmm(a, b) if bias is None else torch.baddbmm(bias, a, b)
