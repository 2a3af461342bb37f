"""Training every replica at once: full-batch gradient descent (the paper's algorithm, paper.md §2) or
minibatch SGD, on the hinge loss (the paper's) or the logistic loss.

The trainer uses the models' analytic backward pass (no autograd graph) and updates parameters in
place. A replica that has reached zero hinge loss (every training margin y N(x) >= 1: a global
minimum) is frozen from then on, so a replica's trajectory never depends on the others.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from lib._checks import check_bool, check_choice, check_float, check_int, check_labels, check_seed, show
from lib.models import _Replicated

LOSSES = ("hinge", "logistic")
# Steps between the loop's host-device syncs (stop and divergence checks) per device type: every step
# on the CPU, where a sync is free; on a GPU the loop runs ahead and trims the steps past the stop.
SYNC_EVERY = {"cpu": 1, "cuda": 32}


def default_device() -> str:
    """'cuda' when a GPU is visible to torch, else 'cpu'."""
    return "cuda" if torch.cuda.is_available() else "cpu"


class TrainingDivergedError(RuntimeError):
    """The training loss became NaN or infinite (learning rate too large for the problem)."""


@dataclass
class TrainResult:
    """What `train` returns.

    loss : (steps_run + 1, R) full training loss after 0, 1, ..., steps_run updates.
    steps_to_fit : (R,) first step at which the replica had zero hinge loss (all margins >= 1), -1 if never.
    fitted : (R,) whether the replica reached zero hinge loss.
    steps_run : number of updates of the longest-running replica.
    snapshots : (step, {parameter name: tensor}) every `record_every` steps, when asked.
    seconds : wall time of the training loop.
    """

    loss: torch.Tensor
    steps_to_fit: torch.Tensor
    fitted: torch.Tensor
    steps_run: int
    snapshots: list[tuple[int, dict[str, torch.Tensor]]] = field(default_factory=list)
    seconds: float = 0.0


def loss_and_grad(out: torch.Tensor, y: torch.Tensor, loss: str) -> tuple[torch.Tensor, torch.Tensor]:
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


def accuracy(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor, *, batch: int = 4096) -> torch.Tensor:
    """Fraction of points with sign(N(x)) == y, per replica (R,). An output of exactly 0 is an error."""
    batch = check_int("batch", batch, 1)
    X, y = _check_data(model, X, y)
    m = X.shape[1]
    correct = []
    with torch.no_grad():
        for start in range(0, m, batch):
            sl = slice(start, start + batch)
            out = model(X[:, sl])
            correct.append((torch.sign(out) == y[..., sl].to(out.device)).sum(-1))
    return (torch.stack(correct).sum(0).double() / m).cpu()


def train(
    model: torch.nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    lr: float | Sequence[float] | torch.Tensor,
    steps: int,
    loss: str = "hinge",
    batch_size: int | None = None,
    seed: int = 0,
    early_stop: bool = True,
    record_every: int | None = None,
) -> TrainResult:
    """Train all replicas of `model` on (X, y) at once.

    Parameters
    ----------
    X : (m, n, d) shared by all replicas, or (R, m, n, d) one training set per replica.
    y : (m,) or (R, m) labels in {-1, +1}.
    lr : step size eta, one for all replicas or one per replica (a learning-rate grid in one call).
    steps : maximal number of updates T.
    loss : "hinge" (the paper's) or "logistic".
    batch_size : None for full-batch GD (the paper's algorithm), else minibatch SGD with batches drawn
        uniformly without replacement at each step, from `seed`, shared by all replicas.
    early_stop : stop a replica (freeze it) once it has zero hinge loss, and the loop once all have.
    record_every : keep a copy of the parameters every this many steps (and at the end).
    """
    steps = check_int("steps", steps, 0)
    loss = check_choice("loss", loss, LOSSES)
    seed = check_seed("seed", seed)
    early_stop = check_bool("early_stop", early_stop)
    X, y = _check_data(model, X, y)
    m = X.shape[1]
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, 1, m)
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
        return (yy * out >= 1.0).all(-1)

    history: list[torch.Tensor] = []
    snapshots: list[tuple[int, dict[str, torch.Tensor]]] = []
    done = torch.zeros(R, dtype=torch.bool, device=device)
    steps_to_fit = torch.full((R,), -1, dtype=torch.long, device=device)
    sync_every = SYNC_EVERY.get(device.type, 1)
    finite = torch.ones((), dtype=torch.bool, device=device)  # no non-finite loss so far
    start = time.perf_counter()
    t = 0
    with torch.no_grad():
        while True:
            if batch_size is None:
                out, ctx = model.forward_train(inputs)
                value, grad_out = loss_and_grad(out, y, loss)
                fit_now = margins_ok(out, y)
            else:
                full_out = model.forward_train(inputs)[0]  # X was checked above: no finiteness check per step
                value = loss_and_grad(full_out, y, loss)[0]
                fit_now = margins_ok(full_out, y)
            history.append(value)
            finite = finite & torch.isfinite(value).all()
            newly = fit_now & ~done
            steps_to_fit = torch.where(newly, torch.full_like(steps_to_fit, t), steps_to_fit)
            if early_stop:
                done = done | fit_now
            if record_every is not None and (t % record_every == 0):
                snapshots.append((t, {k: v.detach().clone().cpu() for k, v in model.named_parameters()}))
            if t >= steps or t % sync_every == 0:  # the only host-device syncs of the loop
                all_finite, all_done = torch.stack([finite, done.all()]).tolist()
                if not all_finite:
                    _raise_diverged(history, lr_t)
                if t >= steps or (early_stop and all_done):
                    break
            if batch_size is not None:
                batch = torch.randperm(m, generator=gen)[:batch_size].to(device)
                out, ctx = model.forward_train(inputs[:, batch] if isinstance(inputs, torch.Tensor) else inputs.points(batch))
                _, grad_out = loss_and_grad(out, y[:, batch], loss)
            active = (~done).to(dtype)
            for p, g in zip(params, model.backward(ctx, grad_out)):  # g is fresh: scaled in place
                p.sub_(g.mul_((lr_t * active).view(R, *[1] * (g.dim() - 1))))
            t += 1
    if early_stop and t > 0 and bool(done.all()):
        # the loop noticed late that every replica was frozen: the extra steps changed nothing, drop them
        t = int(steps_to_fit.max())
        history = history[: t + 1]
        snapshots = [snap for snap in snapshots if snap[0] <= t]
    if record_every is not None and snapshots[-1][0] != t:
        snapshots.append((t, {k: v.detach().clone().cpu() for k, v in model.named_parameters()}))
    return TrainResult(
        loss=torch.stack(history).cpu(),
        steps_to_fit=steps_to_fit.cpu(),
        fitted=(steps_to_fit >= 0).cpu(),
        steps_run=t,
        snapshots=snapshots,
        seconds=time.perf_counter() - start,
    )


def _raise_diverged(history: list[torch.Tensor], lr_t: torch.Tensor) -> None:
    """Report the first step at which some replica's loss was non-finite, and those replicas."""
    bad_steps = (~torch.isfinite(torch.stack(history))).any(1).nonzero().flatten()
    t = int(bad_steps[0])
    bad = (~torch.isfinite(history[t])).nonzero().flatten().tolist()
    raise TrainingDivergedError(
        f"training loss became non-finite at step {t} for replicas {bad} "
        f"(lr={lr_t[bad].tolist()}): lower the learning rate"
    )


def _feature_spec(model) -> tuple[int, str]:
    return (model.d, "patch") if hasattr(model, "k") else (model.input_dim, "flat")


def _check_data(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Check the model and (X, y) against each other, for `train` and `accuracy`: returns X as
    (1 or R, m, n, feature) with the model's dtype and device (finite, m >= 1) and y unchanged."""
    if not isinstance(model, _Replicated):
        raise ValueError(f"model must be a MaxPoolCNN or FullyConnected, got {type(model).__name__}")
    X = model._flat_inputs(X, *_feature_spec(model), finite=True)
    if X.shape[1] < 1:
        raise ValueError(f"X must hold at least one point (m >= 1), got shape {tuple(X.shape)}")
    return X, check_labels("y", y, X.shape[1], model.replicas)


def _check_lr(lr, replicas: int) -> torch.Tensor:
    if isinstance(lr, (int, float, bool)):
        lrs = [check_float("lr", lr, 0.0, low_open=True)]
    else:
        try:
            values = torch.as_tensor(lr)
        except (TypeError, ValueError, RuntimeError) as exc:
            raise ValueError(f"lr must be a positive number or one per replica, got {show(lr)}") from exc
        if values.dtype == torch.bool or values.is_complex():
            raise ValueError(f"lr must be a positive real number or one per replica, got {show(lr)}")
        lrs = [check_float("lr", float(v), 0.0, low_open=True) for v in values.flatten()]
    if len(lrs) == 1:
        lrs = lrs * replicas
    if len(lrs) != replicas:
        raise ValueError(f"lr must be one number or one per replica ({replicas}), got {len(lrs)} values")
    return torch.tensor(lrs, dtype=torch.float64)
