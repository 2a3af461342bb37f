"""The paper's network ConvPool (Eq. 1) and the fully connected baseline, batched over a replica axis.

Every model holds R independent replicas: parameters have shape (R, ...), and `forward(X)` returns the
outputs of all replicas, shape (R, m). X is either shared by all replicas, shape (m, n, d), or one
training set per replica, shape (R, m, n, d).

Both models carry an analytic backward pass (`forward_train` + `backward`), so the trainer needs no
autograd graph: a channel's gradient flows only through its max-pooling winner (the paper's Eq. 3),
which is a gather, not a dense max-pool backward.

General path: one batched GEMM for all R k m n filter-patch scores, laid out position-major
(`PositionMajor`, prepared once per training run) so that the max over positions is a reduction
across contiguous rows (`lib.fastpaths`), and the first arg-max is the largest n - j over the positions j that reach
the max; the backward gathers the m winning patches of each channel (`embedding_bag`).

Pattern-table path. When every patch is one of a few known vectors O[0], ..., O[U-1] (the paper's
orthogonal patterns, in any basis), every score w_i . x[j] is an entry of the (k, U) table W O^T.
`ConvPool` computes that table once per step and copies, for every patch x[j] of every point, the
table row of its pattern (`PatternTable` keeps each patch as its pattern's index): a copy of R m n
rows of k scores instead of a GEMM of depth d. The max over positions is then the same reduction as
on the general path, and the winner is found from the integer bits of (score - max), which are 0
exactly at the max and negative elsewhere. On the standard basis (one-hot patterns) the values are
those of the general path bit for bit (tests/test_speed_paths.py); in another basis they agree within
rounding (the table's products w_i . O[p] and the general path's GEMM may round differently in the
last bits: about 3e-8 in float32). Ties between two present patterns with exactly equal scores go to
the lower pattern index (the general path takes the first position). It is used whenever it applies
(`ConvPool(pattern_search=True)`, the default); noisy patches and digits take the general path. Whether
it applies is decided per replica (`PatternTable.of`), so a replica takes one path alone and in a batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from lib._checks import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_memory,
    check_seed,
    show,
)
from lib.fastpaths import PatternTable, PositionMajor


def replica_seeds(seed: int | Sequence[int], replicas: int) -> list[int]:
    """Seeds of the R replicas: an int `seed` gives seed, seed + 1, ..., seed + R - 1 (so replica r of
    seed s is the model of seed s + r, whatever R), a sequence gives one seed per replica."""
    if isinstance(seed, Sequence) and not isinstance(seed, (str, bytes)):
        seeds = [check_seed("seed", s) for s in seed]
        if len(seeds) != replicas:
            raise ValueError(f"seed must hold one seed per replica ({replicas}), got {len(seeds)}")
        return seeds
    seed = check_seed("seed", seed)
    return [seed + r for r in range(replicas)]


def _normal(
    shape: tuple[int, ...], std: float | Sequence[float], seeds: list[int], dtype, device
) -> torch.Tensor:
    """One N(0, std^2) tensor of `shape` per replica, each drawn on the CPU from its own seed (so a
    replica's initial weights do not depend on R or on the device)."""
    out = []
    for s in seeds:
        g = torch.Generator().manual_seed(s)
        out.append(torch.randn(shape, generator=g, dtype=torch.float64) * std)
    return torch.stack(out).to(dtype=dtype, device=device)


def _check_device(device: Any) -> str | torch.device | None:
    """None, "cpu", "cuda" or "cuda:N", or a torch.device; a CUDA device only where torch sees one."""
    if device is None:
        return device
    if isinstance(device, str) and device.startswith("cuda:") and device[5:].isdigit():
        name = device
    else:
        name = (
            device.type
            if isinstance(device, torch.device)
            else check_choice("device", device, ("cpu", "cuda"))
        )
    if str(name).startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(
            f"device={str(device)!r} was asked for, but torch sees no GPU; use device='cpu'"
        )
    return device


def _check_finite_init(name: str, value: float, weights: torch.Tensor) -> torch.Tensor:
    """Refuse an initialisation scale whose weights overflow the dtype (inf weights)."""
    if not torch.isfinite(weights).all():
        raise ValueError(
            f"{name}={value:g} draws weights that overflow {weights.dtype}; use a smaller {name}"
        )
    return weights


def _check_dtype(dtype: Any) -> torch.dtype:
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise ValueError(
            f"dtype must be a floating torch dtype such as torch.float32, got {dtype!r}"
        )
    return dtype


class Replicated(nn.Module):
    """What both models share: the replica count, input checks and the (R, m) output convention."""

    replicas: int

    def _flat_inputs(
        self, X: torch.Tensor, feature_dim: int, what: str, *, finite: bool = False
    ) -> torch.Tensor:
        """Check X and return it as (1 or R, m, n, feature) with the model's dtype and device; with
        `finite`, also refuse NaN and inf in that dtype, so finite values that overflow it are named as
        such (a pass over X: done once per public call, not per step)."""
        if not isinstance(X, torch.Tensor):
            raise ValueError(
                f"X must be a torch.Tensor of shape (m, n, d) or (R, m, n, d), got {type(X).__name__}"
            )
        if X.dim() == 3:
            X = X.unsqueeze(0)
        if X.dim() != 4 or X.shape[0] not in (1, self.replicas):
            raise ValueError(
                f"X must have shape (m, n, d) or (R={self.replicas}, m, n, d), got {tuple(X.shape)}"
            )
        if what == "patch" and X.shape[-1] != feature_dim:
            raise ValueError(
                f"X has patches of dimension {X.shape[-1]}, but the model has d={feature_dim}"
            )
        if what == "flat" and X.shape[-2] * X.shape[-1] != feature_dim:
            raise ValueError(
                f"X flattens to n*d={X.shape[-2] * X.shape[-1]} features, but the model has input_dim={feature_dim}"
            )
        if X.shape[2] == 0:
            raise ValueError(f"X must hold n >= 1 patches per point, got shape {tuple(X.shape)}")
        if X.is_complex() or X.dtype == torch.bool:
            raise ValueError(f"X must be a real tensor, got dtype {X.dtype}")
        param = next(self.parameters())
        cast = X.to(dtype=param.dtype, device=param.device)
        # checked in the model's dtype: 1e39 is inf in float32
        if finite and not torch.isfinite(cast).all():
            if torch.isfinite(X).all():
                raise ValueError(
                    f"X holds values up to {float(X.abs().max()):.3g} that overflow the model's dtype "
                    f"{param.dtype}; rescale X or use a wider dtype"
                )
            raise ValueError("X must be finite (it contains NaN or inf)")
        return cast

    def prepare(self, X: torch.Tensor) -> torch.Tensor:
        """What `train` feeds to `forward_train` at every step: X as (1 or R, m, n, feature)."""
        return X

    @property
    def num_parameters(self) -> int:
        """Number of trainable parameters of one replica."""
        return sum(p[0].numel() for p in self.parameters())


def _largest_tag_at_max(
    scores: torch.Tensor, values: torch.Tensor, dim: int, tags: torch.Tensor, *, in_place: bool
) -> torch.Tensor:
    """The largest of `tags` (int32, 0 < tag < 2^22, broadcast against scores) over the entries of
    `scores` along `dim` that equal their max `values` (scores.amax(dim)): how both paths find the
    winner of a max-pool. scores - values is +0.0 exactly at the max and negative elsewhere, so its bits,
    read as a signed integer, are 0 there and below -2^22 elsewhere; adding the tags keeps that order,
    and a max over `dim` returns the largest tag at the max. One subtraction, one addition and one max,
    where an equality test makes a slow bool pass. `in_place`: scores is a work buffer, overwritten.
    NaN scores give an arbitrary integer (callers clamp it to a valid index)."""
    with torch.no_grad():
        # float16, bfloat16: exactly, in float32
        if scores.dtype not in (
            torch.float32,
            torch.float64,
        ):
            scores, values, in_place = scores.float(), values.float(), True
        diff = (
            scores.sub_(values.unsqueeze(dim))
            if in_place
            else scores.detach() - values.detach().unsqueeze(dim)
        )
        keys = diff.view(torch.int32 if diff.dtype == torch.float32 else torch.int64).add_(tags)
        return keys.amax(dim)


SECOND_LAYERS = ("trained", "fixed")
INITS = ("sphere", "gaussian")


class ConvPool(Replicated):
    """The paper's network ConvPool (Eq. 1), R independent replicas at once:

        N(x; W, a) = sum_{i=1..k} a_i max_{1<=j<=n} sigma(w_i . x[j]),   sigma = ReLU,

    k channels with filters w_i in R^d (filter size = stride = d, no bias), a global max-pool over the
    n patches and a second layer a in R^k.

    Parameters
    ----------
    d : filter dimension. k : number of channels (k >= 1). replicas : independent models R.
    radius : r, the radius of the sphere on which each initial filter is uniform (§5), r > 0.
    second_layer : "trained" (a is a parameter, a_i^(0) uniform in {-1, +1}, the paper's) or "fixed"
        (a buffer, balanced: the first k/2 channels +1, the others -1, k even; the authors' earlier
        XOR-paper network, used in the book's Part II only).
    init : "sphere" (the paper's) or "gaussian" (i.i.d. N(0, r^2/d) entries, so E||w_i||^2 = r^2).
    seed : int (replica r gets seed + r) or one seed per replica. W and a are drawn on the CPU from the
        replica's seed, so a replica does not depend on R or on the device.
    pattern_search : let `train` use the pattern-table path (module docstring: bit-identical to the
        general path on the standard basis, within rounding otherwise) on inputs with
        few distinct patches; False forces the general path.
    """

    def __init__(
        self,
        d: int,
        k: int,
        *,
        replicas: int = 1,
        radius: float = 1e-3,
        second_layer: str = "trained",
        init: str = "sphere",
        seed: int | Sequence[int] = 0,
        dtype: torch.dtype = torch.float32,
        device: str | torch.device | None = None,
        pattern_search: bool = True,
    ) -> None:
        super().__init__()
        self.d = check_int("d", d, 1)
        self.k = check_int("k", k, 1)
        self.replicas = check_int("replicas", replicas, 1)
        self.radius = check_float("radius", radius, 0.0, low_open=True)
        self.second_layer = check_choice("second_layer", second_layer, SECOND_LAYERS)
        self.init = check_choice("init", init, INITS)
        self.pattern_search = check_bool("pattern_search", pattern_search)
        if self.second_layer == "fixed" and self.k % 2:
            raise ValueError(
                f"k must be even for a fixed, balanced second layer (k/2 of each sign), got k={k}"
            )
        dtype = _check_dtype(dtype)
        size = self.replicas * self.k * (self.d + 1)  # W and a, drawn in float64, then cast
        check_memory(
            f"ConvPool(d={self.d}, k={self.k}, replicas={self.replicas}) (replicas x k x (d + 1) "
            f"x (8 + {dtype.itemsize}) bytes)",
            size * (8 + dtype.itemsize),
        )
        seeds = replica_seeds(seed, self.replicas)
        device = _check_device(device)
        W, a = [], []
        for s in seeds:
            g = torch.Generator().manual_seed(s)
            w = torch.randn(self.k, self.d, generator=g, dtype=torch.float64)
            if self.init == "sphere":
                w = w * (self.radius / w.norm(dim=1, keepdim=True))
            else:
                w = w * (self.radius / self.d**0.5)
            W.append(w)
            a.append(torch.randint(0, 2, (self.k,), generator=g, dtype=torch.float64) * 2 - 1)
        W_t = _check_finite_init(
            "radius", self.radius, torch.stack(W).to(dtype=dtype, device=device)
        )
        self.W = nn.Parameter(W_t)
        if self.second_layer == "trained":
            self.a = nn.Parameter(torch.stack(a).to(dtype=dtype, device=device))
        else:
            half = self.k // 2
            balanced = torch.cat([torch.ones(half), -torch.ones(half)]).to(
                dtype=dtype, device=device
            )
            self.register_buffer("a", balanced.expand(self.replicas, -1).contiguous())

    def pooled(
        self, X: torch.Tensor | PositionMajor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, int]:
        """Max-pooled pre-activations on the general path. Returns (values, winners, patches, n):
        values and winners of shape (R, k, m) hold max_j w_i . x[j] and its first arg-max j (the
        paper's j_i(x)); patches is X position-major, (1 or R, n*m, d) with x_{s, j} in row j*m + s."""
        inputs = (
            X
            if isinstance(X, PositionMajor)
            else PositionMajor.of(self._flat_inputs(X, self.d, "patch"))
        )
        patches, n = inputs.patches, inputs.n
        m = patches.shape[1] // n
        R, C = self.replicas, self.k
        W, P = self.W, patches.transpose(1, 2)
        # BLAS computes a batch of one by another kernel than a batch (see `_bmm`): use a pair
        if R == 1:
            W, P = W.expand(2, -1, -1), P.expand(2, -1, -1)
        buffered = self._may_use_buffers()
        if not buffered:
            scores = torch.matmul(W, P)
        else:
            scores = self._buffer("scores", (W.shape[0], C, n * m), patches.dtype)
            torch.matmul(W, P, out=scores)  # (R, k, n*m): one batched GEMM
        scores = scores[:R].view(R, C, n, m)
        # position-major: a reduction across contiguous rows of m scores
        values = scores.amax(dim=2)
        # first arg-max: the largest tag n - j among the positions j that reach the max
        tags = torch.arange(n, 0, -1, dtype=torch.int32, device=scores.device).view(1, 1, n, 1)
        winners = (
            n - _largest_tag_at_max(scores, values, 2, tags, in_place=buffered).long()
        ).clamp_(0, n - 1)
        return values, winners, patches, n

    def _may_use_buffers(self) -> bool:
        """Whether the pooling may write its work tensors into `_buffer`s: not while autograd records
        (it cannot differentiate through a write into a buffer)."""
        return not (torch.is_grad_enabled() and self.W.requires_grad)

    def _buffer(self, name: str, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        """A work tensor of `pooled`, reused from call to call (none of them leaves `pooled`, so reuse
        cannot alias a result): a fresh tensor this large is handed back to the OS when freed and
        page-faulted in again at the next step."""
        buf = self.__dict__.get("_buf_" + name)
        if buf is None or buf.shape != shape or buf.dtype != dtype or buf.device != self.W.device:
            buf = torch.empty(shape, dtype=dtype, device=self.W.device)
            self.__dict__["_buf_" + name] = buf
        return buf

    def prepare(self, X: torch.Tensor) -> PositionMajor | PatternTable:
        """What `train` feeds to `forward_train` at every step: X's `PatternTable` when X has few
        distinct patches and `pattern_search` is on, else X position-major."""
        X = self._flat_inputs(X, self.d, "patch")
        table = PatternTable.of(X) if self.pattern_search else None
        return table or PositionMajor.of(X)

    def pooled_patterns(self, inputs: PatternTable) -> tuple[torch.Tensor, torch.Tensor]:
        """`pooled` on the pattern-table path: (values, best) of shape (R, k, m), with best the index
        p of the winning pattern O[p] (the lowest p among present patterns of equal score). The scores
        w_i . O[p] are computed once, as a table, and each patch takes its pattern's row of it."""
        if not isinstance(inputs, PatternTable):
            raise ValueError(
                f"inputs must be a PatternTable (what prepare(X) returns for inputs with few distinct "
                f"patches), got {type(inputs).__name__}"
            )
        if inputs.patterns.shape[1] != self.d:
            raise ValueError(
                f"inputs have patches of dimension {inputs.patterns.shape[1]}, but the model has d={self.d}"
            )
        # (R, k, U): every score of the model
        T = torch.matmul(self.W, inputs.patterns.to(self.W).T)
        R, C, U = T.shape
        # (1 or R, n, m): the pattern of patch j of point s
        index = inputs.index.to(T.device).transpose(1, 2)
        n, m = index.shape[1], index.shape[2]
        by_pattern = T.transpose(1, 2)  # (R, U, k): row p holds the scores of pattern p
        if self._may_use_buffers() and 2**U <= n * m // 2 and (R << U) * C <= self.SUBSET_SCORES:
            return self._pool_subsets(by_pattern.contiguous(), index)  # fewer subsets than patches
        # (R, n, m): rows of the table
        rows = index + torch.arange(0, R * U, U, device=T.device).view(R, 1, 1)
        # row r U + p: the scores of pattern p in replica r
        by_pattern = by_pattern.reshape(R * U, C)
        # (1 or R, n, m, 1): the lowest p wins a tie
        tags = (U - index).to(torch.int32).unsqueeze(3)
        chunk = max(1, self.PATTERN_SCORES // (R * n * C))  # points at a time
        values, best = [], []
        for start in range(0, m, chunk):
            v, b = self._pool_rows(
                by_pattern, rows[:, :, start : start + chunk], tags[:, :, start : start + chunk]
            )
            values.append(v)
            best.append(b)
        values, best = (torch.cat(t, 1) if len(t) > 1 else t[0] for t in (values, best))
        best_long = torch.empty((R, C, m), dtype=torch.long, device=T.device).copy_(
            best.transpose(1, 2)
        )
        return values.transpose(1, 2).contiguous(), best_long

    PATTERN_SCORES = 1 << 22  # the pattern-table path gathers at most this many scores at a time
    SUBSET_SCORES = 1 << 25  # ... and holds at most this many maxima of subsets of the patterns

    def _pool_subsets(
        self, by_pattern: torch.Tensor, index: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """`pooled_patterns` through the subsets of the U patterns, when there are fewer of them (2^U)
        than patches: a point's pooled score max_j w_i . x[j] is the max of channel i's table row over
        the set of patterns the point shows, so the max (and its lowest winning pattern) of every
        subset is built once per channel, one pattern at a time (the subsets whose highest pattern is
        p extend those of patterns below p), and each point takes its subset's entry. The values are
        the same maxima as the position-by-position path's, bit for bit, and ties go to the lower
        pattern index as there. Taken without autograd (it writes into work buffers) and when the
        R 2^U k maxima fit SUBSET_SCORES. by_pattern: (R, U, k), the scores of pattern p in row p; index:
        (1 or R, n, m), the pattern of every patch."""
        R, U, C = by_pattern.shape
        B, _, m = index.shape
        bits = torch.zeros(B, m, U, dtype=torch.long, device=index.device)
        bits.scatter_(2, index.transpose(1, 2), 1)
        subsets = (bits << torch.arange(U, device=index.device)).sum(2)  # (1 or R, m): point's set
        rows = (subsets + torch.arange(0, R << U, 1 << U, device=index.device).view(R, 1)).view(-1)
        top = self._buffer("subset_max", (R, 1 << U, C), by_pattern.dtype)
        win = self._buffer("subset_winner", (R, 1 << U, C), torch.uint8)  # U <= 255
        top[:, 0], win[:, 0] = -torch.inf, 0
        tags = torch.arange(U, dtype=torch.uint8, device=index.device)
        for p in range(U):  # the subsets with highest pattern p: {p} joined to a subset below p
            low, score = 1 << p, by_pattern[:, p : p + 1]
            torch.where(score > top[:, :low], tags[p], win[:, :low], out=win[:, low : 2 * low])
            torch.maximum(top[:, :low], score, out=top[:, low : 2 * low])
        values = top.view(R << U, C).index_select(0, rows).view(R, m, C)
        best = win.view(R << U, C).index_select(0, rows).view(R, m, C)
        best_long = torch.empty((R, C, m), dtype=torch.long, device=best.device)
        return values.transpose(1, 2).contiguous(), best_long.copy_(best.transpose(1, 2))

    def _pool_rows(
        self, by_pattern: torch.Tensor, rows: torch.Tensor, tags: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """`pooled_patterns` on a chunk of points: the max over positions of by_pattern[rows] (R, n, m, k)
        and the pattern of its winner (int32), both (R, m, k)."""
        (R, n, m), C = rows.shape, by_pattern.shape[1]
        U = by_pattern.shape[0] // R
        buffered = self._may_use_buffers()
        if buffered:
            scores = self._buffer("pattern_scores", (R, n, m, C), by_pattern.dtype)
            torch.index_select(by_pattern, 0, rows.reshape(-1), out=scores.view(R * n * m, C))
        else:
            scores = torch.index_select(by_pattern, 0, rows.reshape(-1)).view(R, n, m, C)
        values = scores.amax(dim=1)
        best = (U - _largest_tag_at_max(scores, values, 1, tags, in_place=buffered)).clamp_(
            0, U - 1
        )
        return values, best

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """N(x) for every replica and point, shape (R, m) (on the pattern-table path when it applies)."""
        return self.forward_train(self.prepare(self._flat_inputs(X, self.d, "patch", finite=True)))[
            0
        ]

    def features(self, X: torch.Tensor) -> torch.Tensor:
        """The pooled features z_i(x) = max_j sigma(w_i . x[j]) of Part 3 of the proof, shape (R, m, k)."""
        inputs = self.prepare(self._flat_inputs(X, self.d, "patch", finite=True))
        with torch.no_grad():
            values = (
                self.pooled_patterns(inputs)[0]
                if isinstance(inputs, PatternTable)
                else self.pooled(inputs)[0]
            )
        return torch.relu(values).transpose(1, 2)

    def forward_train(
        self, X: torch.Tensor | PositionMajor | PatternTable
    ) -> tuple[torch.Tensor, tuple]:
        """Outputs (R, m) and the context `backward` needs, from X or from `prepare(X)`."""
        if isinstance(X, PatternTable):
            values, best = self.pooled_patterns(X)
            ctx: tuple = (values, best, X.patterns)
        else:
            ctx = self.pooled(X)
        z = torch.relu(ctx[0])
        return batched_mv(z.transpose(1, 2), self.a), (z, *ctx)

    def backward(self, ctx: tuple, grad_out: torch.Tensor) -> list[torch.Tensor]:
        """Gradients of a loss with dL/dN = grad_out (R, m), in `parameters()` order ([W, a] or [W]).

        dL/dw_i = sum_s grad_out[s] a_i 1[w_i . p_i(x_s) > 0] p_i(x_s) (Eq. 3: only the winning patch
        of channel i carries gradient, none when it is inactive), a weighted sum of m gathered patches
        per channel (`embedding_bag`); on the pattern-table path the winning patch is O[p], so the sum
        is a scatter-add into a (k, U) table, times O. dL/da_i = sum_s grad_out[s] z_i(x_s)."""
        z, values = ctx[0], ctx[1]
        R, C, m = values.shape
        # no gradient when inactive
        coef = (grad_out[:, None, :] * self.a[:, :, None]).masked_fill_(values <= 0, 0.0)
        if len(ctx) == 4:  # pattern-table path: ctx = (z, values, best pattern, patterns)
            best, patterns = ctx[2], ctx[3].to(coef)
            table = torch.zeros(R, C, patterns.shape[0], dtype=coef.dtype, device=coef.device)
            grad_W = torch.matmul(table.scatter_add_(2, best, coef), patterns)
        else:
            winners, patches, n = ctx[2], ctx[3], ctx[4]
            # row of x_{s, j*} in patches
            rows = winners * m + torch.arange(m, device=winners.device)
            # one training set per replica: patches of replica r start at r*m*n
            if patches.shape[0] > 1:
                rows = rows + torch.arange(0, R * m * n, m * n, device=winners.device).view(R, 1, 1)
            bags, weights = rows.reshape(R * C, m), coef.reshape(R * C, m)
            # as in `pooled`: one replica's bags are summed as two, so the result does not depend on R
            if R == 1:
                bags, weights = bags.repeat(2, 1), weights.repeat(2, 1)
            grad_W = nn.functional.embedding_bag(
                bags, patches.reshape(-1, self.d), per_sample_weights=weights, mode="sum"
            )[: R * C].view(R, C, self.d)
        if self.second_layer == "fixed":
            return [grad_W]
        return [grad_W, batched_mv(z, grad_out)]

    def tables(self, patterns: torch.Tensor) -> torch.Tensor:
        """The scores w_i . o_p of every channel with every pattern, (R, k, P), for patterns (P, d)."""
        if (
            not isinstance(patterns, torch.Tensor)
            or patterns.dim() != 2
            or patterns.shape[1] != self.d
        ):
            got = show(getattr(patterns, "shape", patterns))
            raise ValueError(f"patterns must be a tensor of shape (P, d={self.d}), got {got}")
        if patterns.is_complex():
            raise ValueError(f"patterns must be a real tensor, got dtype {patterns.dtype}")
        return self.W.detach() @ patterns.to(self.W).T


class FullyConnected(Replicated):
    """The fully connected baseline of the book's Part II (our choice): a ReLU network on the flattened input of
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
        dtype = _check_dtype(dtype)
        sizes = [self.input_dim] + [self.width] * (self.depth - 1) + [1]
        size = self.replicas * sum(
            (fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:])
        )
        check_memory(
            f"{type(self).__name__}(input_dim={self.input_dim}, width={self.width}, depth={self.depth}, "
            f"replicas={self.replicas}) (replicas x parameters x (8 + {dtype.itemsize}) bytes)",
            size * (8 + dtype.itemsize),
        )
        seeds = replica_seeds(seed, self.replicas)
        device = _check_device(device)
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            # distinct streams per layer and replica
            layer_seeds = [s * 1000 + layer for s in seeds]
            self.weights.append(
                nn.Parameter(_normal((fan_out, fan_in), fan_in**-0.5, layer_seeds, dtype, device))
            )
            self.biases.append(
                nn.Parameter(torch.zeros(self.replicas, fan_out, dtype=dtype, device=device))
            )

    def forward_train(self, X: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Outputs (R, m) and the layer inputs (post-activations) that `backward` needs."""
        X = self._flat_inputs(X, self.input_dim, "flat")
        h = X.reshape(X.shape[0], X.shape[1], self.input_dim)
        acts = []
        last = len(self.weights) - 1
        for layer, (W, b) in enumerate(zip(self.weights, self.biases)):
            acts.append(h)
            z = _bmm(h.expand(self.replicas, -1, -1), W.transpose(1, 2), bias=b[:, None, :])
            # in place: z is fresh, and one 20 MB tensor fewer per layer
            h = z if layer == last else z.relu_()
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


def batched_mv(A: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """A[r] @ x[r] for every replica r: (R, p, q) and (R, q) -> (R, p). One matrix-vector product per
    replica: torch.bmm with a vector operand takes a slow path (8x slower in float64 on our CPU), and
    a replica's result then never depends on R."""
    return torch.stack([torch.mv(A[r], x[r]) for r in range(A.shape[0])])


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


class MLP(FullyConnected):
    """The paper's §7 fully connected baseline: one hidden layer of `width` ReLU units on the whole
    flattened input x in R^{n d} (hidden biases, an output weight per unit and an output bias), the
    activation being our choice (the paper does not name it) and the initialisation that of
    `FullyConnected` (N(0, 1/fan_in) weights, zero biases). `MLP.matching(conv_pool, n)` picks the
    width whose parameter count is closest to ConvPool's, as the paper's §7 asks."""

    def __init__(
        self,
        input_dim: int,
        width: int,
        *,
        replicas: int = 1,
        seed: int | Sequence[int] = 0,
        dtype: torch.dtype = torch.float32,
        device: str | torch.device | None = None,
    ) -> None:
        super().__init__(
            input_dim, width, depth=2, replicas=replicas, seed=seed, dtype=dtype, device=device
        )

    @staticmethod
    def parameter_count(input_dim: int, width: int) -> int:
        """Parameters of one replica: width (input_dim + 1) in the hidden layer, width + 1 in the output."""
        return check_int("width", width, 1) * (check_int("input_dim", input_dim, 1) + 2) + 1

    @staticmethod
    def matching_width(parameters: int, input_dim: int) -> int:
        """The width (>= 1) whose parameter count is closest to `parameters` (the smaller on a tie)."""
        parameters = check_int("parameters", parameters, 1)
        input_dim = check_int("input_dim", input_dim, 1)
        low = max(1, (parameters - 1) // (input_dim + 2))
        return min(
            (low, low + 1), key=lambda w: (abs(MLP.parameter_count(input_dim, w) - parameters), w)
        )

    @classmethod
    def matching(cls, conv_pool: ConvPool, n: int, **kwargs) -> MLP:
        """An MLP on inputs of n patches of conv_pool's dimension d whose parameter count is closest to
        conv_pool's (k d + k with a trained second layer: 10,500 at d = 20, k = 500, hence width 52 at
        n = 10). Keyword arguments go to the constructor (replicas, seed, dtype, device)."""
        if not isinstance(conv_pool, ConvPool):
            raise ValueError(f"conv_pool must be a ConvPool, got {type(conv_pool).__name__}")
        n = check_int("n", n, 1)
        input_dim = n * conv_pool.d
        return cls(input_dim, cls.matching_width(conv_pool.num_parameters, input_dim), **kwargs)
