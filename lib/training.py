"""Training every replica at once.

`train`: end to end, full-batch gradient descent, minibatch SGD or Adam (the paper's §7 trains ConvPool
and the MLP with Adam), on the logistic loss (the paper's Eq. 2) or the hinge loss (the authors'
earlier XOR paper). `train_layerwise`: the paper's
Algorithm 1, LW_CNN. Both use the models' analytic backward pass (no autograd graph) and update
parameters in place. With the hinge loss, a replica that has reached zero loss (every training margin
y N(x) >= 1: a global minimum) is frozen from then on, so a replica's trajectory never depends on the
others.
"""

from __future__ import annotations

import numbers
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from lib._checks import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_labels,
    check_seed,
    show,
)
from lib.models import Replicated

LOSSES = ("hinge", "logistic")
OPTIMIZERS = ("gd", "adam")
ADAM_BETAS = (0.9, 0.999)  # torch.optim.Adam's defaults, the usual ones
ADAM_EPS = 1e-8
# Steps between the loop's host-device syncs (stop and divergence checks) per device type: every step
# on the CPU, where a sync is free; on a GPU the loop runs ahead and trims the steps past the stop.
SYNC_EVERY = {"cpu": 1, "cuda": 32}


class TrainingDivergedError(RuntimeError):
    """The training loss became NaN or infinite (learning rate too large for the problem)."""


@dataclass
class TrainResult:
    """What `train` returns.

    loss : (len(loss_steps), R) full training loss after the updates listed in `loss_steps` ((0, R)
        when `train` was asked not to evaluate).
    steps_to_fit : (R,) first step at which the replica fitted its training set, -1 if never: zero hinge
        loss (all margins y N(x) >= 1) for the hinge loss, zero training error (all y N(x) > 0) for
        the logistic loss; None when `train` did not evaluate.
    fitted : (R,) whether the replica fitted its training set; None when `train` did not evaluate.
    steps_run : number of updates of the longest-running replica.
    snapshots : (step, {parameter name: tensor}) every `record_every` steps, when asked.
    seconds : wall time of the training loop.
    loss_steps : the steps at which the full loss was evaluated: 0, 1, ..., steps_run by default, every
        `eval_every` steps (and the last) when asked.
    """

    loss: torch.Tensor
    steps_to_fit: torch.Tensor | None
    fitted: torch.Tensor | None
    steps_run: int
    snapshots: list[tuple[int, dict[str, torch.Tensor]]] = field(default_factory=list)
    seconds: float = 0.0
    loss_steps: torch.Tensor | None = None


def loss_and_grad(
    out: torch.Tensor, y: torch.Tensor, loss: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean loss per replica (R,) and its gradient with respect to the outputs out (R, m).

    hinge: (1/m) sum_s max(0, 1 - y_s N(x_s)); logistic: (1/m) sum_s log(1 + exp(-y_s N(x_s)))."""
    margins = y * out
    m = out.shape[-1]
    if loss == "hinge":
        value = torch.clamp(1.0 - margins, min=0.0).mean(-1)
        grad = -y * (margins < 1.0).to(out.dtype) / m
    else:  # in float64, cast back: torch's vectorised and scalar sigmoid differ in the last float32 bit,
        # which would make a replica's curve depend on where it falls in the batch
        wide = margins.double()
        value = torch.nn.functional.softplus(-wide).mean(-1).to(out.dtype)
        grad = (-y.double() * torch.sigmoid(-wide) / m).to(out.dtype)
    return value, grad


def accuracy(
    model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor, *, batch: int = 4096
) -> torch.Tensor:
    """Fraction of points with sign(N(x)) == y, per replica (R,), with the paper's sign(0) = -1."""
    batch = check_int("batch", batch, 1)
    X, y = _check_data(model, X, y)
    m = X.shape[1]
    correct = []
    with torch.no_grad():
        for start in range(0, m, batch):
            sl = slice(start, start + batch)
            out = model(X[:, sl])
            predicted = torch.where(out > 0, 1.0, -1.0).to(out.dtype)
            correct.append((predicted == y[..., sl].to(out.device)).sum(-1))
    return (torch.stack(correct).sum(0).double() / m).cpu()


def train(
    model: torch.nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    lr: float | Sequence[float] | torch.Tensor,
    steps: int,
    loss: str = "logistic",
    batch_size: int | None = None,
    seed: int = 0,
    early_stop: bool = True,
    record_every: int | None = None,
    optimizer: str = "gd",
    eval_every: int | None = None,
    evaluate: bool = True,
) -> TrainResult:
    """Train all replicas of `model` on (X, y) at once.

    Parameters
    ----------
    X : (m, n, d) shared by all replicas, or (R, m, n, d) one training set per replica.
    y : (m,) or (R, m) labels in {-1, +1}.
    lr : step size eta, one for all replicas or one per replica (a learning-rate grid in one call).
    steps : maximal number of updates T.
    loss : "logistic" (the paper's Eq. 2) or "hinge".
    batch_size : None for full batches, else minibatches drawn uniformly without replacement at each
        step, from `seed`, shared by all replicas (the same point indices; each replica's own points
        when every replica has its own training set).
    optimizer : "gd" (plain gradient steps: GD, or SGD with `batch_size`) or "adam" (Adam with
        beta1 = 0.9, beta2 = 0.999, eps = 1e-8 and bias correction, the update of torch.optim.Adam
        without weight decay; its state is per replica, and `lr` is each replica's step size).
    early_stop : with the hinge loss, stop a replica (freeze it) once its loss is zero, and the loop
        once all are. The logistic loss is never zero: there it has no effect.
    record_every : keep a copy of the parameters every this many steps (and at the end).
    eval_every : evaluate the full training loss (and whether the training set is fitted, and the
        divergence and early-stop checks) every this many steps and at the last one; None: every step.
        With minibatches each evaluation is a forward pass over the whole training set, so this is
        what makes many small steps cheap.
    evaluate : False: no full-loss evaluation at all, for callers that measure the result themselves
        (the loss history is then empty and `fitted` None); a non-finite minibatch loss still raises
        `TrainingDivergedError`, at the end. Not with an early stop (hinge loss and early_stop=True).

    A `TrainingDivergedError` (a non-finite loss) leaves the model with the parameters of the last
    step whose loss was checked finite (the initial ones with evaluate=False), never non-finite ones.
    """
    steps = check_int("steps", steps, 0)
    loss = check_choice("loss", loss, LOSSES)
    seed = check_seed("seed", seed)
    early_stop = check_bool("early_stop", early_stop)
    optimizer = check_choice("optimizer", optimizer, OPTIMIZERS)
    eval_every = 1 if eval_every is None else check_int("eval_every", eval_every, 1)
    evaluate = check_bool("evaluate", evaluate)
    X, y = _check_data(model, X, y)
    m = X.shape[1]
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, 1, m)
    if not evaluate and early_stop and loss == "hinge":
        raise ValueError(
            "evaluate=False cannot stop early (early_stop=True with the hinge loss needs the full loss)"
        )
    inputs = model.prepare(X)  # X, or X in the layout of the model's fastest exact path
    if record_every is not None:
        record_every = check_int("record_every", record_every, 1)
    params = list(model.parameters())
    device, dtype = params[0].device, params[0].dtype
    R = model.replicas
    lr_t = _check_lr(lr, R).to(device=device, dtype=dtype)
    y = y.to(device=device, dtype=dtype)
    if y.dim() == 1:
        y = y.unsqueeze(0)
    gen = torch.Generator().manual_seed(seed)

    def margins_ok(out: torch.Tensor, yy: torch.Tensor) -> torch.Tensor:
        return (yy * out >= 1.0).all(-1) if loss == "hinge" else (yy * out > 0.0).all(-1)

    early_stop = early_stop and loss == "hinge"

    history: list[torch.Tensor] = []
    loss_steps: list[int] = []
    adam = (
        [(torch.zeros_like(p), torch.zeros_like(p)) for p in params]
        if optimizer == "adam"
        else None
    )
    snapshots: list[tuple[int, dict[str, torch.Tensor]]] = []
    done = torch.zeros(R, dtype=torch.bool, device=device)
    steps_to_fit = torch.full((R,), -1, dtype=torch.long, device=device)
    sync_every = SYNC_EVERY.get(device.type, 1)
    finite = torch.ones((), dtype=torch.bool, device=device)  # no non-finite loss so far
    good = [p.detach().clone() for p in params]  # the parameters at the last step checked finite
    good_step = 0

    def restore() -> str:
        """Put back the parameters of the last step whose loss was checked finite (before raising)."""
        for p, g in zip(params, good):
            p.copy_(g)
        return f"; the model's parameters are those of step {good_step}"

    start = time.perf_counter()
    t = 0
    with torch.no_grad():
        while True:
            if not evaluate and t >= steps:
                if not bool(finite):
                    raise TrainingDivergedError(
                        f"a training loss became non-finite within {steps} steps (lr="
                        f"{lr_t.tolist()}): lower the learning rate{restore()}"
                    )
                break
            now = evaluate and (t % eval_every == 0 or t >= steps)
            if batch_size is None:
                out, ctx = model.forward_train(inputs)
                value, grad_out = loss_and_grad(out, y, loss)
                fit_now = margins_ok(out, y) if now else None
                if not evaluate:
                    finite = finite & torch.isfinite(value).all()
            elif now:
                # X was checked above: no finiteness check per step
                full_out = model.forward_train(inputs)[0]
                value = loss_and_grad(full_out, y, loss)[0]
                fit_now = margins_ok(full_out, y)
            if now:
                history.append(value)
                loss_steps.append(t)
                finite = finite & torch.isfinite(value).all()
                newly = fit_now & ~done
                steps_to_fit = torch.where(newly, torch.full_like(steps_to_fit, t), steps_to_fit)
                if early_stop:
                    done = done | fit_now
            if record_every is not None and (t % record_every == 0):
                snapshots.append(
                    (t, {k: v.detach().clone().cpu() for k, v in model.named_parameters()})
                )
            # the only host-device syncs
            if now and (t >= steps or (t // eval_every) % sync_every == 0):
                all_finite, all_done = torch.stack([finite, done.all()]).tolist()
                if not all_finite:
                    _raise_diverged(history, loss_steps, lr_t, restore())
                if t > good_step:
                    for p, g in zip(params, good):
                        g.copy_(p)
                    good_step = t
                if t >= steps or (early_stop and all_done):
                    break
            if batch_size is not None:
                batch = torch.randperm(m, generator=gen)[:batch_size].to(device)
                out, ctx = model.forward_train(
                    inputs[:, batch] if isinstance(inputs, torch.Tensor) else inputs.points(batch)
                )
                batch_loss, grad_out = loss_and_grad(out, y[:, batch], loss)
                if not evaluate:
                    finite = finite & torch.isfinite(batch_loss).all()
            active = (~done).to(dtype)
            grads = model.backward(ctx, grad_out)
            if adam is None:
                for p, g in zip(params, grads):  # g is fresh: scaled in place
                    p.sub_(g.mul_((lr_t * active).view(R, *[1] * (g.dim() - 1))))
            else:
                _adam_step(params, grads, adam, t + 1, lr_t * active)
            t += 1
    if early_stop and t > 0 and bool(done.all()):
        # the loop noticed late that every replica was frozen: the extra steps changed nothing, drop them
        t = int(steps_to_fit.max())
        keep = sum(step <= t for step in loss_steps)
        history, loss_steps = history[:keep], loss_steps[:keep]
        snapshots = [snap for snap in snapshots if snap[0] <= t]
    if record_every is not None and snapshots[-1][0] != t:
        snapshots.append((t, {k: v.detach().clone().cpu() for k, v in model.named_parameters()}))
    return TrainResult(
        loss=torch.stack(history).cpu() if history else torch.zeros(0, R),
        steps_to_fit=steps_to_fit.cpu() if evaluate else None,
        fitted=(steps_to_fit >= 0).cpu() if evaluate else None,
        steps_run=t,
        snapshots=snapshots,
        seconds=time.perf_counter() - start,
        loss_steps=torch.tensor(loss_steps, dtype=torch.long),
    )


def _adam_step(params, grads, state, t: int, lr: torch.Tensor) -> None:
    """One Adam update of every parameter in place, with step size lr[r] for replica r: torch's fused
    Adam kernel (the update of torch.optim.Adam(fused=True) without weight decay) on each replica's
    slice, so that a replica's update never depends on the others. `state` holds (first moment, second
    moment) per parameter and `t` is the update's 1-based index (bias correction)."""
    beta1, beta2 = ADAM_BETAS
    step = torch.tensor(float(t), device=lr.device)
    for p, g, (m1, m2) in zip(params, grads, state):
        for r in range(lr.shape[0]):
            torch._fused_adam_(
                [p[r]],
                [g[r]],
                [m1[r]],
                [m2[r]],
                [],
                [step],
                lr=lr[r],
                beta1=beta1,
                beta2=beta2,
                weight_decay=0.0,
                eps=ADAM_EPS,
                amsgrad=False,
                maximize=False,
            )


def _raise_diverged(
    history: list[torch.Tensor], loss_steps: list[int], lr_t: torch.Tensor, note: str
) -> None:
    """Report the first step at which some replica's loss was non-finite, and those replicas (`note`
    added: which parameters the model holds now)."""
    bad_steps = (~torch.isfinite(torch.stack(history))).any(1).nonzero().flatten()
    i = int(bad_steps[0])
    t = loss_steps[i]
    bad = (~torch.isfinite(history[i])).nonzero().flatten().tolist()
    raise TrainingDivergedError(
        f"training loss became non-finite at step {t} for replicas {bad} "
        f"(lr={lr_t[bad].tolist()}): lower the learning rate{note}"
    )


def _feature_spec(model) -> tuple[int, str]:
    return (model.d, "patch") if hasattr(model, "k") else (model.input_dim, "flat")


def _check_data(
    model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Check the model and (X, y) against each other, for `train` and `accuracy`: returns X as
    (1 or R, m, n, feature) with the model's dtype and device (finite, m >= 1) and y unchanged."""
    if not isinstance(model, Replicated):
        raise ValueError(f"model must be a ConvPool or FullyConnected, got {type(model).__name__}")
    X = model._flat_inputs(X, *_feature_spec(model), finite=True)
    if X.shape[1] < 1:
        raise ValueError(f"X must hold at least one point (m >= 1), got shape {tuple(X.shape)}")
    return X, check_labels("y", y, X.shape[1], model.replicas)


def _check_lr(lr, replicas: int, name: str = "lr") -> torch.Tensor:
    """The step sizes (R,) in float64: one positive number for every replica, or one per replica. A
    list keeps its values exactly (no float32 rounding), so a replica's step size in a grid is the one
    it would get alone."""
    if isinstance(lr, numbers.Real) and not isinstance(lr, bool):
        values = [lr]
    else:
        if isinstance(lr, torch.Tensor):
            values = lr.detach().cpu().flatten().tolist()
        elif (
            isinstance(lr, (str, bytes))
            or not hasattr(lr, "__len__")
            and not hasattr(lr, "__array__")
        ):
            raise ValueError(f"{name} must be a positive number or one per replica, got {show(lr)}")
        else:
            values = np.asarray(lr, dtype=object).ravel().tolist()
    lrs = [check_float(name, v, 0.0, low_open=True) for v in values]
    if len(lrs) == 1:
        lrs = lrs * replicas
    if len(lrs) != replicas:
        raise ValueError(
            f"{name} must be one number or one per replica ({replicas}), got {len(lrs)} values"
        )
    return torch.tensor(lrs, dtype=torch.float64)


@dataclass
class LayerwiseResult:
    """What `train_layerwise` returns.

    loss1 : (T1 + 1, R) the first layer's loss L_1 = L[S_1](W^(t), a^(0)) for t = 0, ..., T1.
    loss2 : (T2 + 1, R) the second layer's loss L_2 = L[S_2](W^(T1), a^(t)) for t = 0, ..., T2.
    m1, m2 : the sizes of S_1 (the first ceil(m/2) points) and S_2 (the others).
    seconds : wall time of both phases.
    """

    loss1: torch.Tensor
    loss2: torch.Tensor
    m1: int
    m2: int
    seconds: float = 0.0


def split_sample(m: int) -> int:
    """m_1 = |S_1| = ceil(m/2): Algorithm 1 trains the first layer on the first m_1 points of S and the
    second layer on the other m - m_1."""
    return (check_int("m", m, 2) + 1) // 2


def train_layerwise(
    model: torch.nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    T1: int,
    T2: int,
    lr1: float | Sequence[float] | torch.Tensor,
    lr2: float | Sequence[float] | torch.Tensor,
    on_step=None,
) -> LayerwiseResult:
    """The paper's Algorithm 1 (LW_CNN) on every replica of a `ConvPool` at once, in the model's dtype.

    S = (X, y) is split into S_1, the first ceil(m/2) points, and S_2, the rest. Then
      1. for t = 1..T1: W <- W - eta_1 dL_1/dW (W, a^(0))   (second layer frozen at its initial value);
      2. for t = 1..T2: a <- a - eta_2 dL_2/da (W^(T1), a)  (first layer frozen: logistic regression
         on the pooled features z_i(x) = max_j sigma(w_i . x[j]) of S_2),
    full batch, on the logistic loss (Eq. 2); the model holds (W^(T1), a^(T2)) afterwards.

    Parameters
    ----------
    X, y : (m, n, d) and (m,) shared by all replicas, or (R, m, n, d) and (R, m), m >= 2.
    T1 : first-layer steps (>= 1). T2 : second-layer steps (>= 0).
    lr1, lr2 : eta_1 and eta_2, one for all replicas or one per replica.
    on_step : called as on_step(t, model, out, ctx) with W = W^(t) for t = 0, ..., T1, where out (R, m_1)
        holds N(x; W^(t), a^(0)) on S_1 and ctx the model's forward context (the pooled values and
        winners): the hook the book's checks of Lemmas 5.3-5.5 use.
    """
    from lib.models import ConvPool, batched_mv

    if not isinstance(model, ConvPool) or model.second_layer != "trained":
        raise ValueError(
            "model must be a ConvPool with second_layer='trained' (Algorithm 1 trains a)"
        )
    T1 = check_int("T1", T1, 1)
    T2 = check_int("T2", T2, 0)
    X, y = _check_data(model, X, y)
    m = X.shape[1]
    if m < 2:
        raise ValueError(f"X must hold m >= 2 points (S_1 and S_2 non-empty), got m={m}")
    m1 = split_sample(m)
    device, dtype, R = model.W.device, model.W.dtype, model.replicas
    lr1_t = _check_lr(lr1, R, "lr1").to(device=device, dtype=dtype).view(R, 1, 1)
    lr2_t = _check_lr(lr2, R, "lr2").to(device=device, dtype=dtype).view(R, 1)
    y = y.to(device=device, dtype=dtype)
    y = y if y.dim() == 2 else y.unsqueeze(0)
    y1, y2 = y[:, :m1], y[:, m1:]
    start = time.perf_counter()
    loss1 = []
    initial = [p.detach().clone() for p in (model.W, model.a)]
    with torch.no_grad():
        inputs1 = model.prepare(X[:, :m1])
        for t in range(T1 + 1):
            out, ctx = model.forward_train(inputs1)
            value, grad_out = loss_and_grad(out, y1, "logistic")
            loss1.append(value)
            if on_step is not None:
                on_step(t, model, out, ctx)
            if t < T1:
                model.W.sub_(model.backward(ctx, grad_out)[0].mul_(lr1_t))
        # phase 2 in the span of S_2's features: a^(t) = a^(0) + z^T beta^(t), so N = z a^(0) + K beta
        # with the Gram matrix K = z z^T (m2 x m2) instead of two products with z (m2 x k) per step;
        # the step is that of `loss_and_grad` (the sigmoid in float64), the losses are taken at the end
        z = model.features(X[:, m1:])  # (R, m2, k): S_2 through the frozen first layer
        start_out = batched_mv(z, model.a)
        gram = torch.stack([z[r] @ z[r].T for r in range(R)])
        beta = torch.zeros_like(start_out)
        outs = torch.empty((T2 + 1, *start_out.shape), dtype=dtype, device=device)
        minus_y = -y2.double()
        for t in range(T2 + 1):
            out = torch.add(start_out, (gram * beta.unsqueeze(1)).sum(-1), out=outs[t])
            if t < T2:
                step = minus_y * torch.sigmoid(minus_y * out.double()) / (m - m1)
                beta.sub_(step.to(dtype).mul_(lr2_t))
        model.a.add_(batched_mv(z.transpose(1, 2).contiguous(), beta))
        loss2 = torch.nn.functional.softplus(-(y2 * outs).double()).mean(-1).to(dtype)
        finite = torch.isfinite(torch.stack(loss1)).all() & torch.isfinite(loss2).all()
    if not bool(finite):
        with torch.no_grad():
            for p, g in zip((model.W, model.a), initial):
                p.copy_(g)
        raise TrainingDivergedError(
            "a loss of Algorithm 1 became non-finite: lower lr1 or lr2; the model's "
            "parameters are its initial ones"
        )
    return LayerwiseResult(
        loss1=torch.stack(loss1).cpu(),
        loss2=loss2.cpu(),
        m1=m1,
        m2=m - m1,
        seconds=time.perf_counter() - start,
    )
