"""The small, live experiment behind the book's interactive page (book/use/explore.py).

`explore(n, d, k, m, lr)` trains a few replicas of the XOR-paper max-pooling CNN of Part II (k filters
of each sign, a fixed +-1 output layer) and of the fully connected baseline (the book's choice) on the
same training sets, by full-batch GD on the
hinge loss, and returns their accuracies and the CNN's filter-pattern table a_{i,p} = <w_i, o_p>,
b_{i,p} = <u_i, o_p>. It is sized to run in about a second on a laptop CPU, so a slider can call it.
It is not cached and not part of any claim: the chapters' experiments are the evidence.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lib._checks import check_int
from lib.distributions import OrthogonalPatterns
from lib.samples import test_set, training_sets
from lib.xor_network import split_tables, xor_cnn
from lib.models import FullyConnected
from lib.plotting import MODEL_COLORS
from lib.training import accuracy, train

DEFAULTS = dict(n=10, d=12, k=8, m=40, lr=0.1)
"""The settings of the page's static figure and the sliders' starting values."""


@dataclass
class ExploreResult:
    """What `explore` returns.

    settings : the arguments of the call.
    accuracy : one row per model, replica and split ("train"/"test"), column "accuracy".
    filters : (2k, d) table of <f_c, o_p> for replica 0: rows w_1..w_k then u_1..u_k, column p is
        pattern o_p (0 = p_plus, 1 = p_minus, the rest spurious).
    fitted : fraction of replicas of each model that reached zero training hinge loss.
    seconds : wall time of the whole call.
    """

    settings: dict
    accuracy: pd.DataFrame
    filters: np.ndarray
    fitted: dict[str, float]
    seconds: float


def explore(
    n: int = DEFAULTS["n"],
    d: int = DEFAULTS["d"],
    k: int = DEFAULTS["k"],
    m: int = DEFAULTS["m"],
    lr: float = DEFAULTS["lr"],
    *,
    width: int = 100,
    steps: int = 500,
    replicas: int = 3,
    seed: int = 0,
    test_size: int = 1000,
    device: str | None = None,
) -> ExploreResult:
    """Train `replicas` CNNs (k filters per sign) and `replicas` two-layer FCNs (`width` hidden units)
    on the same `replicas` training sets of m points from OrthogonalPatterns(n, d), with step size lr
    for at most `steps` GD steps, and test both on `test_size` fresh points."""
    m = check_int("m", m, 1)
    replicas = check_int("replicas", replicas, 1)
    width = check_int("width", width, 1)
    test_size = check_int("test_size", test_size, 1)
    start = time.perf_counter()
    dist = OrthogonalPatterns(n, d)
    X, y = training_sets(dist, m, seed, replicas)
    X_test, y_test = test_set(dist, seed, size=test_size)
    models = {
        "CNN": xor_cnn(d, k, replicas=replicas, seed=seed, device=device),
        "FCN": FullyConnected(n * d, width, replicas=replicas, seed=seed, device=device),
    }
    rows, fitted = [], {}
    for name, net in models.items():
        res = train(net, X, y, lr=lr, steps=steps, seed=seed, loss="hinge")
        fitted[name] = float(res.fitted.double().mean())
        for split, acc in (("train", accuracy(net, X, y)), ("test", accuracy(net, X_test, y_test))):
            rows += [{"model": name, "replica": r, "split": split, "accuracy": float(a)} for r, a in enumerate(acc)]
    a, b = split_tables(models["CNN"], dist.patterns)
    filters = np.concatenate([a[0].cpu().numpy(), b[0].cpu().numpy()])
    settings = dict(n=n, d=d, k=k, m=m, lr=lr, width=width, steps=steps, replicas=replicas, seed=seed)
    return ExploreResult(settings, pd.DataFrame(rows), filters, fitted, time.perf_counter() - start)


def plot_explore(result: ExploreResult) -> Figure:
    """Two panels: train and test accuracy of each model (bars: mean over replicas, dots: replicas),
    and the CNN's filter-pattern heatmap <f_c, o_p> (rows: filters w then u; columns: patterns)."""
    s = result.settings
    k = result.filters.shape[0] // 2
    fig, (ax_acc, ax_map) = plt.subplots(
        1, 2, figsize=(10, 3.8), gridspec_kw={"width_ratios": [1, 1.6]}, layout="constrained"
    )
    table = result.accuracy
    for i, split in enumerate(("train", "test")):
        for j, model in enumerate(("CNN", "FCN")):
            values = table.query("model == @model and split == @split")["accuracy"].to_numpy()
            x = i + (j - 0.5) * 0.38
            ax_acc.bar(x, values.mean(), width=0.36, color=MODEL_COLORS[model], alpha=0.85, label=model if i == 0 else None)
            ax_acc.plot(np.full(len(values), x), values, "o", ms=4, color="black")
    ax_acc.set_xticks([0, 1], ["train", "test"])
    ax_acc.set_ylim(0.0, 1.22)
    ax_acc.set_yticks(np.linspace(0, 1, 6))
    ax_acc.axhline(0.5, color="grey", lw=1, ls="--")
    ax_acc.set_ylabel("accuracy (fraction correct)")
    ax_acc.set_title(f"n={s['n']}, d={s['d']}, k={k}, m={s['m']}, lr={s['lr']:g}")
    ax_acc.legend(loc="upper center", ncol=2)

    scale = float(np.abs(result.filters).max()) or 1.0
    image = ax_map.imshow(result.filters, cmap="RdBu_r", vmin=-scale, vmax=scale, aspect="auto", interpolation="nearest")
    ax_map.axhline(k - 0.5, color="black", lw=1.5)
    ax_map.set_yticks([(k - 1) / 2, k + (k - 1) / 2], ["$w_i$ (+1)", "$u_i$ (−1)"])
    labels = ["$p_+$", "$p_-$"] + [str(p) for p in range(2, result.filters.shape[1])]
    ax_map.set_xticks(range(result.filters.shape[1]), labels, fontsize=7 if len(labels) > 20 else 9)
    ax_map.set_xlabel("pattern $o_p$")
    ax_map.set_title("CNN filters after training: $\\langle f_c, o_p \\rangle$ (replica 0)")
    ax_map.grid(False)
    fig.colorbar(image, ax=ax_map, label="dot product")
    return fig
