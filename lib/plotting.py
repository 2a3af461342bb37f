"""One seaborn theme for every figure of the book, and the figure helpers the chapters share."""
from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

PALETTE = "colorblind"
MODEL_COLORS = {"CNN": "#0173b2", "FCN": "#de8f05"}


def set_theme() -> None:
    """The book's theme: seaborn whitegrid, colorblind palette, white figure background (readable in
    the HTML's light and dark modes alike)."""
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE)
    plt.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": 110,
            "figure.facecolor": "white",
            "savefig.facecolor": "white",
            "axes.titlesize": "medium",
            "figure.autolayout": False,
        }
    )


def pattern_heatmap(ax, idx: np.ndarray, y: np.ndarray, num_patterns: int) -> None:
    """Heatmap of pattern identities per patch: one row per example (label on the left), one column
    per position j; p_plus (index 0) and p_minus (index 1) are coloured, spurious patterns in greys."""
    idx = np.asarray(idx)
    colors = ["#0173b2", "#d55e00"] + [str(g) for g in np.linspace(0.55, 0.92, num_patterns - 2)]
    cmap = matplotlib.colors.ListedColormap(colors)
    ax.imshow(idx, cmap=cmap, vmin=-0.5, vmax=num_patterns - 0.5, aspect="auto", interpolation="nearest")
    ax.set_yticks(range(len(y)), [f"y={int(v):+d}" for v in y])
    ax.set_xticks(range(idx.shape[1]), [str(j + 1) for j in range(idx.shape[1])])
    ax.set_xlabel("patch position j")
    ax.grid(False)
    for (s, j), p in np.ndenumerate(idx):
        ax.text(j, s, str(p), ha="center", va="center", fontsize=7, color="white" if p < 2 else "black")


def ci_lines(ax, table: pd.DataFrame, x: str, hue: str | None = None, *, label: str | None = None, **kw) -> None:
    """Mean lines with shaded 95% CI bands from a `lib.stats.summarize` table (columns mean, ci95)."""
    groups = table.groupby(hue, sort=False) if hue else [(label, table)]
    for name, g in groups:
        g = g.sort_values(x)
        lines = ax.plot(g[x], g["mean"], marker="o", ms=4, label=str(name) if name is not None else None, **kw)
        half = g["ci95"].fillna(0.0)
        ax.fill_between(g[x], g["mean"] - half, g["mean"] + half, alpha=0.2, color=lines[0].get_color(), lw=0)


def accuracy_vs_m(table: pd.DataFrame, hue: str = "model", *, figsize=(7, 4)):
    """The book's "test accuracy against m" figure: mean lines with 95% bands per `hue` from a
    `summarize`-style table (columns m, mean, ci95), a log m axis and the 95% level dashed."""
    fig, ax = plt.subplots(figsize=figsize)
    ci_lines(ax, table, "m", hue=hue)
    ax.axhline(0.95, color="grey", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_xlabel("training points m")
    ax.set_ylabel("test accuracy")
    ax.legend(title=hue, fontsize=8)
    return fig, ax
