"""§7 chapter (book/paper/experiments): the paper's Figs. 3a, 3b, 5 and 3c, and layer-wise against end to end.

Three models, as the paper's §7 describes them:
- ConvPool (Eq. 1) with k = 500 channels and a trained second layer, trained end to end with Adam on
  the logistic loss;
- MLP: one hidden layer of ReLU units on the whole flattened x (`lib.models.MLP.matching`), its width
  chosen so that its parameter count is closest to ConvPool's, trained the same way;
- SVM: a linear SVM without bias on x (`lib.baselines.linear_svm`: the hard margin where the training
  set is separable, else a squared-hinge soft margin with C = 1e4).

One point of a figure = one m (or n) with `seeds` repetitions. Repetition r of base seed s: model
seed s + r, training set from seed TRAIN_SEED_OFFSET + s + r, and its own test set of `test_size`
(1,000, as in the paper) fresh points from seed TEST_SEED_OFFSET + s + r. The patterns are the rows of
one random orthogonal 20 x 20 matrix per figure (seed `basis_seed`), l = d. Fig. 3c's task is
`lib.MnistPatterns` (n = 4 real MNIST digits, d = 784): training sets from the training pool of
images, test sets from the disjoint test pool. The ConvPool and MLP repetitions are the replicas of one
batched model each.

The paper leaves Adam's step size, the epochs, the batch size, ConvPool's initial radius (and the
MLP's activation) unspecified [U]. Our rule, the same for every figure: the same budget for ConvPool
and MLP (`EPOCHS` epochs of minibatches of `BATCH_SIZE` points, full batches when m <= BATCH_SIZE);
the step size (and ConvPool's radius) chosen once per figure from a small grid, at one reference
setting, by the mean error on a validation split (the last 20% of each training set) over
`selection seeds` repetitions whose training sets are disjoint from every test set; ties go to the
lower mean validation logistic loss. Test errors never enter the choice. `selection(figure, profile)`
returns that table; every point of the figure records the values it used.

Fig. 3c (MNIST, d = 784, m up to 10,000) costs about 40 times more per Adam step than the synthetic
figures, so on a 2-core laptop its budget is capped [U]: at most `MNIST_MAX_STEPS` Adam steps (the 50
epochs up to m = 640), `MNIST_SEEDS` repetitions, and the exact linear SVM only up to m = `SVM_MAX_M`
(above it one exact hard-margin fit takes minutes).
"""
from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pandas as pd
import torch

from lib._checks import check_choice, check_float, check_int, check_seed
from lib.baselines import linear_svm
from lib.cache import ResultsCache, code_version
from lib.distributions import NoisyOrthogonalPatterns, OrthogonalPatterns, stack_samples
from lib.experiments.common import TEST_SEED_OFFSET, TRAIN_SEED_OFFSET, single_thread_on_cpu
from lib.mnist import MnistPatterns
from lib.models import MLP, ConvPool
from lib.sweep import experiment
from lib.training import accuracy, loss_and_grad, train, train_layerwise

K = 500  # ConvPool's channels in every §7 figure (the paper's)
D = 20
EPOCHS = 50  # our budget [U], the same for ConvPool and the MLP
BATCH_SIZE = 32  # [U]
TEST_SIZE = 1_000  # the paper's test sets
LRS = (1e-3, 3e-3, 1e-2)  # Adam step sizes tried [U]
RADII = (1e-3, 1.0)  # ConvPool's initial filter radius tried [U]: small (as in Theorem 5.1) or the patterns' scale
VAL_FRACTION = 0.2
SELECTION_SEED = 500  # base seed of the selection runs: their training sets are none of the figures'
BASIS_SEED = 0
NOISE = 1.0  # ||v|| <= 1 in Figs. 3b and 5
NOISE_LAW = "ball"  # v uniform in the unit ball of R^d: our choice [U]
FIG5_M = 50  # the paper does not state Fig. 5's m [U]
TASKS = ("patterns", "mnist")  # Figs. 3a, 3b, 5: D with d = 20; Fig. 3c: MNIST digits
MNIST_MAX_STEPS = 1_000  # Fig. 3c's cap on Adam steps, the same for ConvPool and the MLP [U]
MNIST_SEEDS = 5  # Fig. 3c's repetitions in the full profile (the paper's 5)
SVM_MAX_M = 1_000  # Fig. 3c: the largest m at which the exact linear SVM is fitted (at 5,000 the hard margin exists but is ill-conditioned: only NNLS solves it, in minutes)
# Algorithm 1 with relaxed steps for the layer-wise comparison (our choice; the theorem's steps would
# need k > 8 d^3 = 64,000 channels at d = 20): those of the setting chapter's "relaxed" run
LW = dict(T1=200, lr1=1e-3, radius=1e-3, T2=2000, lr2=2000.0)
MODELS = ("ConvPool", "MLP", "SVM")


def distribution(*, n: int, noise: float, d: int = D, basis_seed: int = BASIS_SEED, dtype=torch.float32,
                 task: str = "patterns", pool: str = "train"):
    """The §7 distribution. task "patterns": n patches of dimension d, l = d patterns that are the rows of
    one random orthogonal matrix (from basis_seed), plus noise v uniform in the ball of radius `noise`
    (none at 0). task "mnist": Fig. 3c's n = 4 MNIST digits, images from `pool` ("train" or "test")."""
    n = check_int("n", n, 1)
    noise = check_float("noise", noise, 0.0)
    if check_choice("task", task, TASKS) == "mnist":
        if noise != 0:
            raise ValueError(f"noise must be 0 for task='mnist', got {noise}")
        return MnistPatterns(n, pool=pool, dtype=dtype)
    if noise == 0:
        return OrthogonalPatterns(n, d, basis="random", seed=basis_seed, dtype=dtype)
    return NoisyOrthogonalPatterns(n, d, noise=noise, noise_law=NOISE_LAW, basis="random", seed=basis_seed, dtype=dtype)


def steps_for(m: int, epochs: int, batch_size: int, max_steps: int | None = None) -> tuple[int, int | None]:
    """(steps, batch size or None for full batches) of `epochs` epochs over m points, at most
    `max_steps` steps (no cap for None)."""
    if max_steps is not None:
        max_steps = check_int("max_steps", max_steps, 1)
    steps, batch = (epochs, None) if m <= batch_size else (epochs * math.ceil(m / batch_size), batch_size)
    return (steps if max_steps is None else min(steps, max_steps)), batch


def fit_adam(model, X, y, *, lr, epochs: int, batch_size: int, seed: int, max_steps: int | None = None) -> float:
    """Train `model` (every replica on its own set X (R, m, n, d)) with Adam on the logistic loss for
    `epochs` epochs (at most `max_steps` steps); returns the seconds spent. The caller measures the
    errors: `train` evaluates no full loss."""
    steps, batch = steps_for(X.shape[1], epochs, batch_size, max_steps)
    res = train(model, X, y, lr=lr, steps=steps, batch_size=batch, seed=seed, optimizer="adam", evaluate=False)
    return res.seconds


def _errors(model, X, y) -> np.ndarray:
    return (1.0 - accuracy(model, X, y)).numpy()


def _sets(dist, m: int, seeds: list[int], offset: int):
    return stack_samples(dist, m, [offset + s for s in seeds])


# --- hyperparameter selection -------------------------------------------------------------------------


def select(
    *, n: int, noise: float, m: int, seeds: int, epochs: int = EPOCHS, batch_size: int = BATCH_SIZE,
    lrs=LRS, radii=RADII, k: int = K, val_fraction: float = VAL_FRACTION, seed: int = SELECTION_SEED,
    task: str = "patterns", max_steps: int | None = None, device: str = "cpu",
) -> pd.DataFrame:
    """Validation errors of every (model, lr, radius) of the grid at one reference setting: `seeds`
    training sets of m points, the first (1 - val_fraction) m points to train on, the rest to
    validate. One row per (model, lr, radius, seed) with val_error and val_loss (and the seconds the
    whole selection took)."""
    seeds = check_int("seeds", seeds, 1)
    m = check_int("m", m, 2)
    val_fraction = check_float("val_fraction", val_fraction, 0.0, 1.0, low_open=True)
    m_val = max(1, int(round(m * val_fraction)))
    if m_val >= m:
        raise ValueError(f"val_fraction={val_fraction} leaves no training points out of m={m}")
    start = time.perf_counter()
    dist = distribution(n=n, noise=noise, task=task)
    base = [seed + r for r in range(seeds)]
    rows = []
    for model in ("ConvPool", "MLP"):
        grid = [(lr, radius) for lr in lrs for radius in (radii if model == "ConvPool" else (math.nan,))]
        reps = [(lr, radius, s) for lr, radius in grid for s in base]
        X, y = _sets(dist, m, [s for *_, s in reps], TRAIN_SEED_OFFSET)
        Xtr, ytr, Xv, yv = X[:, : m - m_val], y[:, : m - m_val], X[:, m - m_val :], y[:, m - m_val :]
        model_seeds = [s for *_, s in reps]
        if model == "ConvPool":
            net = ConvPool(dist.d, k, replicas=len(reps), radius=1.0, seed=model_seeds, device=device)
            with torch.no_grad():  # each replica's own radius (the sphere init scales linearly with r)
                net.W.mul_(torch.tensor([r for _, r, _ in reps], dtype=net.W.dtype, device=net.W.device).view(-1, 1, 1))
        else:
            net = MLP.matching(ConvPool(dist.d, k), n, replicas=len(reps), seed=model_seeds, device=device)
        fit_adam(net, Xtr, ytr, lr=[lr for lr, *_ in reps], epochs=epochs, batch_size=batch_size, seed=seed,
                 max_steps=max_steps)
        with torch.no_grad():
            out = net(Xv)
            val_loss = loss_and_grad(out, yv.to(out), "logistic")[0].double().cpu().numpy()
        val_err = _errors(net, Xv, yv)
        for (lr, radius, s), e, l in zip(reps, val_err, val_loss):
            rows.append({"model": model, "lr": lr, "radius": radius, "seed": s, "val_error": float(e),
                         "val_loss": float(l)})
    return pd.DataFrame(rows).assign(seconds=time.perf_counter() - start)


def chosen(selection_table: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per model, the (lr, radius) with the lowest mean validation error, ties broken by the lower mean
    validation loss (then the smaller lr and radius)."""
    out = {}
    for model, g in selection_table.groupby("model"):
        means = g.fillna({"radius": -1.0}).groupby(["lr", "radius"])[["val_error", "val_loss"]].mean().reset_index()
        best = means.sort_values(["val_error", "val_loss", "lr", "radius"]).iloc[0]
        out[model] = {"lr": float(best.lr), "radius": float(best.radius) if best.radius >= 0 else math.nan}
    return out


def _cached_selection(select_cfg: dict[str, Any], device: str) -> pd.DataFrame:
    """`select(**select_cfg)` through the results cache (one entry per configuration and device)."""
    cache = ResultsCache()
    config = {"experiment": "paper_selection", "point": select_cfg, "device": device, "code": code_version(__name__)}
    hit = cache.get(config)
    if hit is not None:
        return hit[0]
    with cache.lock(config):
        hit = cache.get(config)
        if hit is not None:
            return hit[0]
        start = time.perf_counter()
        with single_thread_on_cpu(device):
            df = select(**select_cfg, device=device)
        cache.put(config, df, {"seconds": time.perf_counter() - start, "device": device})
        return df


# --- one point of a figure ---------------------------------------------------------------------------


def run_point(
    *, n: int, m: int, noise: float, seeds: int, select_cfg: dict[str, Any], seed: int = 0, k: int = K,
    epochs: int = EPOCHS, batch_size: int = BATCH_SIZE, test_size: int = TEST_SIZE, task: str = "patterns",
    max_steps: int | None = None, svm_max_m: int | None = None, device: str = "cpu",
) -> pd.DataFrame:
    """ConvPool, MLP and SVM on `seeds` repetitions at (n, m), with the step sizes (and radius) that the
    selection `select_cfg` chose, Adam for at most `max_steps` steps, and the SVM only when m <=
    `svm_max_m` (no limit for None). One row per (model, seed).

    Each repetition is cached on its own (`_replica_config`): its result depends on its own seed and on
    the base seed `seed` (which draws the minibatch indices), not on how many repetitions run beside it,
    so asking for more seeds trains only the new ones."""
    seeds = check_int("seeds", seeds, 1)
    m = check_int("m", m, 1)
    seed = check_seed("seed", seed)
    setting = dict(n=n, m=m, noise=noise, select_cfg=select_cfg, seed=seed, k=k, epochs=epochs, batch_size=batch_size,
                   test_size=test_size, task=task, max_steps=max_steps, svm_max_m=svm_max_m)
    cache = ResultsCache()
    reps = [seed + r for r in range(seeds)]
    found = {rep: cache.get(_replica_config(setting, rep, device)) for rep in reps}
    missing = [rep for rep in reps if found[rep] is None]
    if missing:
        fresh = _train_replicas(setting, missing, device)
        for rep in missing:
            rows = fresh[fresh.seed == rep].reset_index(drop=True)
            cache.put(_replica_config(setting, rep, device), rows, {"device": device})
            found[rep] = (rows, {})
    rows = pd.concat([found[rep][0] for rep in reps], ignore_index=True)
    order = {name: i for i, name in enumerate(MODELS)}  # models first, then seeds, as one batched run gives them
    return rows.sort_values("model", key=lambda col: col.map(order), kind="stable").reset_index(drop=True)


def _replica_config(setting: dict[str, Any], rep: int, device: str) -> dict[str, Any]:
    """The cache entry of repetition `rep` of a point (its setting without the number of seeds)."""
    return {"experiment": "paper_point_replica", "point": setting, "replica": rep, "device": device,
            "code": code_version(__name__)}


def _train_replicas(setting: dict[str, Any], reps: list[int], device: str) -> pd.DataFrame:
    """ConvPool and MLP (one batched model each, replica seeds `reps`, minibatches from the base seed)
    and the SVM, for the repetitions `reps` of one point; one row per (model, seed)."""
    n, m, noise, task, seed = setting["n"], setting["m"], setting["noise"], setting["task"], setting["seed"]
    epochs, batch_size, max_steps, k = setting["epochs"], setting["batch_size"], setting["max_steps"], setting["k"]
    svm_max_m = setting["svm_max_m"]
    with single_thread_on_cpu(device):
        pick = chosen(_cached_selection(setting["select_cfg"], device))
        dist = distribution(n=n, noise=noise, task=task)
        X, y = _sets(dist, m, reps, TRAIN_SEED_OFFSET)
        Xt, yt = _sets(distribution(n=n, noise=noise, task=task, pool="test"), setting["test_size"], reps, TEST_SEED_OFFSET)
        rows = []
        conv = ConvPool(dist.d, k, replicas=len(reps), radius=pick["ConvPool"]["radius"], seed=reps, device=device)
        mlp = MLP.matching(conv, n, replicas=len(reps), seed=reps, device=device)
        for name, net in (("ConvPool", conv), ("MLP", mlp)):
            lr, radius = pick[name]["lr"], pick[name]["radius"]
            sec = fit_adam(net, X, y, lr=lr, epochs=epochs, batch_size=batch_size, seed=seed, max_steps=max_steps)
            for r, (tr, te) in enumerate(zip(_errors(net, X, y), _errors(net, Xt, yt))):
                rows.append({"model": name, "seed": reps[r], "train_error": float(tr), "test_error": float(te),
                             "params": net.num_parameters, "width": getattr(net, "width", k), "lr": lr,
                             "radius": radius, "epochs": epochs, "batch_size": min(batch_size, m),
                             "steps": steps_for(m, epochs, batch_size, max_steps)[0], "svm": "",
                             "svm_kkt": math.nan, "seconds": sec / len(reps)})
        for r in range(len(reps) if svm_max_m is None or m <= svm_max_m else 0):
            fit = linear_svm(X[r], y[r])
            rows.append({"model": "SVM", "seed": reps[r], "train_error": fit.train_error,
                         "test_error": fit.error(Xt[r], yt[r]), "params": n * dist.d, "width": 0, "lr": math.nan,
                         "radius": math.nan, "epochs": 0, "batch_size": 0, "steps": 0,
                         "svm": fit.kind if fit.kind == "hard" else f"soft (C = {fit.C:g})", "svm_kkt": fit.kkt_residual,
                         "seconds": fit.seconds})
    return pd.DataFrame(rows)


# --- the figures' grids -------------------------------------------------------------------------------

FIGURES = ("fig3a", "fig3b", "fig5", "fig3c")


def figure_grid(figure: str, profile: str) -> list[dict[str, Any]]:
    """The points of `figure` in `profile`. Quick: fewer x values and 5 seeds (the selection on 3
    seeds); full: every x value and 10 seeds (the selection on 5), Fig. 3c 5 seeds (its selection on 3).
    Training budget and rule: the same, with Fig. 3c's caps."""
    figure = check_choice("figure", figure, FIGURES)
    full = profile == "full"
    seeds, sel_seeds = (10, 5) if full else (5, 3)
    if figure == "fig5":
        xs = (2, 5, 10, 20, 50) if full else (2, 10, 50)
        sel = dict(n=10, noise=NOISE, m=FIG5_M, seeds=sel_seeds)
        return [dict(n=n, m=FIG5_M, noise=NOISE, seeds=seeds, select_cfg=sel) for n in xs]
    if figure == "fig3c":
        xs = (10, 100, 500, 1000, 5000, 10000) if full else (10, 100, 500)
        caps = dict(task="mnist", max_steps=MNIST_MAX_STEPS)
        sel = dict(n=4, noise=0.0, m=100, seeds=3, **caps)
        return [dict(n=4, m=m, noise=0.0, seeds=MNIST_SEEDS if full else 5, select_cfg=sel, svm_max_m=SVM_MAX_M, **caps)
                for m in xs]
    noise = 0.0 if figure == "fig3a" else NOISE
    if figure == "fig3a":
        xs = (10, 20, 50, 100, 200, 500) if full else (10, 50, 200)
    else:
        xs = (10, 20, 50, 100, 200, 500, 1000) if full else (10, 100, 500)
    sel = dict(n=10, noise=noise, m=100, seeds=sel_seeds)
    return [dict(n=10, m=m, noise=noise, seeds=seeds, select_cfg=sel) for m in xs]


def selection(figure: str, profile: str, device: str = "cpu") -> pd.DataFrame:
    """The validation table behind `figure`'s hyperparameters in `profile` (computed or cached)."""
    return _cached_selection(figure_grid(figure, profile)[0]["select_cfg"], device)


@experiment("fig3a", "§7 Fig. 3a: ConvPool (Adam), MLP and SVM against m, d = 20, n = 10, no noise",
            lambda profile: figure_grid("fig3a", profile))
def fig3a(*, device, **point) -> pd.DataFrame:
    """One m: every model's test and training error per seed."""
    return run_point(**point, device=device)


@experiment("fig3b", "§7 Fig. 3b: as Fig. 3a with noise ||v|| <= 1 on every patch",
            lambda profile: figure_grid("fig3b", profile))
def fig3b(*, device, **point) -> pd.DataFrame:
    """One m: every model's test and training error per seed."""
    return run_point(**point, device=device)


@experiment("fig5", "§7 Fig. 5: the three models against n (noise ||v|| <= 1, m = 50)",
            lambda profile: figure_grid("fig5", profile))
def fig5(*, device, **point) -> pd.DataFrame:
    """One n: every model's test and training error per seed."""
    return run_point(**point, device=device)


@experiment("fig3c", "§7 Fig. 3c: the three models against m on MNIST (a 5 or a 3 among n = 4 digits)",
            lambda profile: figure_grid("fig3c", profile))
def fig3c(*, device, **point) -> pd.DataFrame:
    """One m: every model's test and training error per seed."""
    return run_point(**point, device=device)


# --- layer-wise (Algorithm 1) against end to end --------------------------------------------------------


def _lw_grid(profile: str) -> list[dict[str, Any]]:
    full = profile == "full"
    ms = (10, 50, 100, 200) if full else (10, 50)
    return [dict(n=10, m=m, noise=0.0, seeds=10 if full else 5, **LW) for m in ms]


@experiment("lw_vs_e2e", "§7: LW_CNN (Algorithm 1, relaxed steps) on Fig. 3a's setting, k = 500", _lw_grid)
def lw_vs_e2e(*, n, m, noise, seeds, T1, lr1, radius, T2, lr2, seed=0, k=K, test_size=TEST_SIZE, device) -> pd.DataFrame:
    """LW_CNN on the same training sets, initial seeds and test sets as the Fig. 3a point of the same m
    (so each row pairs with that figure's ConvPool row of the same seed). One row per seed."""
    seeds = check_int("seeds", seeds, 1)
    with single_thread_on_cpu(device):
        dist = distribution(n=n, noise=noise)
        reps = [seed + r for r in range(seeds)]
        X, y = _sets(dist, m, reps, TRAIN_SEED_OFFSET)
        Xt, yt = _sets(dist, test_size, reps, TEST_SEED_OFFSET)
        net = ConvPool(D, k, replicas=seeds, radius=radius, seed=seed, device=device)
        res = train_layerwise(net, X, y, T1=T1, T2=T2, lr1=lr1, lr2=lr2)
        train_err, test_err = _errors(net, X, y), _errors(net, Xt, yt)
    return pd.DataFrame({"model": "LW_CNN", "seed": reps, "train_error": train_err, "test_error": test_err,
                         "seconds": res.seconds / seeds})


# --- the side-by-side tables --------------------------------------------------------------------------


def side_by_side(df: pd.DataFrame, figure: str) -> pd.DataFrame:
    """At each published point of `figure` that our grid has: the paper's value (read off its figure,
    ±0.01), ours (mean over seeds with the 95% Student-t interval) and ours - paper, per model."""
    from lib.paper_values import published
    from lib.stats import mean_ci

    pub = published(figure)
    x = pub.x.iloc[0]
    rows = []
    for _, p in pub.iterrows():
        ours = df[(df[x] == p[x]) & (df.model == p.model)].test_error
        if ours.empty:
            continue
        mean, half = mean_ci(ours)
        rows.append({x: int(p[x]), "model": p.model, "paper": p.test_error, "ours": mean,
                     "ci95": half, "ours - paper": mean - p.test_error, "seeds": len(ours)})
    return pd.DataFrame(rows)


DIFFERENCE = 0.05  # what the page calls a difference from the paper


def differences(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a `side_by_side` table where ours differ from the paper: |ours - paper| above
    DIFFERENCE and above our 95% interval plus the read-off uncertainty (0.01)."""
    from lib.paper_values import READ_OFF_UNCERTAINTY

    gap = table["ours - paper"].abs()
    return table[(gap > DIFFERENCE) & (gap > table["ci95"].fillna(0.0) + READ_OFF_UNCERTAINTY)]


def describe_differences(table: pd.DataFrame) -> str:
    """`differences(table)` in words, e.g. "MLP at m = 100 (ours 0.369, paper 0.280)", or "none"."""
    diff = differences(table)
    if diff.empty:
        return "none"
    x = [c for c in ("m", "n") if c in diff.columns][0]
    return "; ".join(f"{r.model} at {x} = {int(getattr(r, x))} (ours {r.ours:.3f}, paper {r.paper:.3f})"
                     for r in diff.itertuples())


def figure_facts(df: pd.DataFrame, figure: str, profile: str) -> tuple[pd.DataFrame, Any, dict[str, Any]]:
    """What the §7 chapter says of one figure: the side-by-side table, the figure's `Claim`, and the
    values it glues as
    `<figure>_<key>`: the claim's verdict and measurement, where ours differ from the paper, the
    seconds spent on the figure's points and on its selection runs, which SVM each fit was
    (`svm_kinds`), the fraction of network runs that fit their training sets (`net_train_zero`) and
    where ConvPool did not (`fit`)."""
    from lib.claims import paper_figure

    side = side_by_side(df, figure)
    claim = paper_figure(df, figure)
    svm = df[df.model == "SVM"]
    return side, claim, {
        "verdict": claim.verdict,
        "ours": claim.ours,
        "diff": describe_differences(side),
        "seconds": df.attrs["seconds"],
        "sel_seconds": float(selection(figure, profile).seconds.iloc[0]),
        "svm_kinds": ", ".join(f"{kind} margin in {count} of {len(svm)}" for kind, count in svm.svm.value_counts().items()),
        "net_train_zero": float((df[df.model != "SVM"].train_error == 0).mean()),
        "fit": describe_fit(df),
    }


def describe_fit(df: pd.DataFrame) -> str:
    """Where ConvPool leaves training points misclassified, in words: the m (or n) values, and at the
    largest of them the epochs its step budget allowed and its mean training error."""
    conv = df[df.model == "ConvPool"]
    x = "n" if "m" not in conv.columns or conv.m.nunique() == 1 else "m"
    unfit = conv[conv.train_error > 0]
    if unfit.empty:
        return "ConvPool fits every training set within its budget"
    worst = conv[conv[x] == unfit[x].max()]
    epochs = worst.steps.iloc[0] * min(worst.batch_size.iloc[0], worst.m.iloc[0]) / worst.m.iloc[0]
    return (f"ConvPool leaves training points misclassified at {x} = {', '.join(f'{v:,}' for v in sorted(unfit[x].unique()))}; "
            f"at {x} = {worst[x].iloc[0]:,} its budget allows {epochs:.1f} epochs and its mean training error is "
            f"{worst.train_error.mean():.3f}, so a longer budget would likely lower its test error there")
