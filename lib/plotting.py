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
    ax.imshow(
        idx, cmap=cmap, vmin=-0.5, vmax=num_patterns - 0.5, aspect="auto", interpolation="nearest"
    )
    ax.set_yticks(range(len(y)), [f"y={int(v):+d}" for v in y])
    ax.set_xticks(range(idx.shape[1]), [str(j + 1) for j in range(idx.shape[1])])
    ax.set_xlabel("patch position j")
    ax.grid(False)
    for (s, j), p in np.ndenumerate(idx):
        ax.text(
            j, s, str(p), ha="center", va="center", fontsize=7, color="white" if p < 2 else "black"
        )


def ci_lines(
    ax, table: pd.DataFrame, x: str, hue: str | None = None, *, label: str | None = None, **kw
) -> None:
    """Mean lines with shaded 95% CI bands from a `lib.stats.summarize` table (columns mean, ci95)."""
    groups = table.groupby(hue, sort=False) if hue else [(label, table)]
    for name, g in groups:
        g = g.sort_values(x)
        lines = ax.plot(
            g[x], g["mean"], marker="o", ms=4, label=str(name) if name is not None else None, **kw
        )
        half = g["ci95"].fillna(0.0)
        ax.fill_between(
            g[x], g["mean"] - half, g["mean"] + half, alpha=0.2, color=lines[0].get_color(), lw=0
        )


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


# --- book/paper/fcn_comparison (§6): the minimum-norm separator and the two bounds -------------------


def separator_norm_figure(norms: pd.DataFrame, *, figsize=(7, 4)):
    """‖ŵ‖² of D's minimum-norm separator against n, one marker per l, from
    `lib.baselines.separator_norms` (columns n, l, norm2, norm2_full), with Proposition 6.1's lower
    line n and upper line 2n. Filled markers: the symmetry-reduced QP; open circles: the generic QP on
    the whole support, where it was solved."""
    fig, ax = plt.subplots(figsize=figsize)
    ns = np.sort(norms["n"].unique())
    ax.fill_between(ns, ns, 2 * ns, color="0.85", lw=0, label="allowed by Prop. 6.1")
    ax.plot(ns, ns, color="0.4", ls="--", lw=1, label="$n$ (lower bound)")
    ax.plot(ns, 2 * ns, color="0.2", ls="-", lw=1, label="$2n$ (upper bound)")
    ls = sorted(norms["l"].unique())
    offsets = np.linspace(-0.18, 0.18, len(ls)) if len(ls) > 1 else [0.0]
    for off, (l, g) in zip(offsets, norms.groupby("l", sort=True)):
        ax.plot(
            g["n"] + off, g["norm2"], ls="none", marker="o", ms=4, label=f"$l = {l}$, reduced QP"
        )
        full = g.dropna(subset=["norm2_full"])
        ax.plot(
            full["n"] + off,
            full["norm2_full"],
            ls="none",
            marker="o",
            ms=9,
            mfc="none",
            mec="k",
            mew=0.7,
            label="_full" if l != ls[0] else "whole-support QP",
        )
    ax.set_xlabel("patches per input $n$")
    ax.set_ylabel(r"$\|\hat w\|^2$")
    ax.legend(fontsize=8, ncol=2, loc="lower right")
    return fig, ax


def svm_norm_vs_m_figure(table: pd.DataFrame, *, figsize=(10, 3.8)):
    """Hard-margin SVMs on samples of D, from `lib.baselines.sample_svm_norms`: left, ‖w_m‖² / ‖ŵ‖²
    against m (one thin line per seed, the mean bold; 1 = the whole support's value); right, the
    relative distance ‖w_m - ŵ‖/‖ŵ‖ and the test error against m."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=figsize)
    for _, g in table.groupby("seed"):
        ax1.plot(g["m"], g["ratio"], color="C0", lw=0.6, alpha=0.4)
    mean = table.groupby("m", as_index=False)[["ratio", "dist", "test_error"]].mean()
    ax1.plot(
        mean["m"], mean["ratio"], color="C0", marker="o", ms=4, lw=2, label="mean over samples"
    )
    ax1.axhline(1.0, color="0.2", lw=1, ls="--", label=r"whole support: $\|\hat w\|^2 = 2n$")
    ax1.set_xscale("log")
    ax1.set_xlabel("training points $m$")
    ax1.set_ylabel(r"$\|w_m\|^2 \,/\, \|\hat w\|^2$")
    ax1.legend(fontsize=8, loc="upper left")
    ax2.plot(
        mean["m"],
        mean["dist"],
        color="C1",
        marker="o",
        ms=4,
        label=r"$\|w_m - \hat w\| / \|\hat w\|$",
    )
    ax2.plot(
        mean["m"], mean["test_error"], color="C2", marker="s", ms=4, label="test error of $w_m$"
    )
    ax2.set_xscale("log")
    ax2.set_xlabel("training points $m$")
    ax2.set_ylabel("mean over samples")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return fig, (ax1, ax2)


def bound_growth_figure(bounds: dict, *, figsize=(10, 3.8)):
    """The two sample-complexity bounds of §6 with their unknown constants set to 1, from
    `lib.baselines.bound_growth`, on log-log axes: left, against n at fixed d (FCN/SVM ‖ŵ‖² R², CNN d);
    right, against d with n = d^r for each r (dashed: the CNN's d)."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=figsize)
    vs_n = bounds["vs_n"]
    d = int(vs_n["cnn"].iloc[0])
    ax1.plot(
        vs_n["n"],
        vs_n["fcn"],
        color=MODEL_COLORS["FCN"],
        lw=2,
        label=r"FCN / SVM: $\|\hat w\|^2 R^2$",
    )
    ax1.plot(
        vs_n["n"], vs_n["cnn"], color=MODEL_COLORS["CNN"], lw=2, label=f"CNN (Thm 5.1): $d = {d}$"
    )
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    ax1.set_xlabel("patches per input $n$")
    ax1.set_ylabel("bound (constants set to 1)")
    ax1.set_title(f"fixed $d = {d}$")
    ax1.legend(fontsize=8)
    vs_d = bounds["vs_d"]
    styles = [":", "-.", "-", (0, (5, 1)), (0, (1, 3))]
    for i, (r, g) in enumerate(vs_d.groupby("r", sort=True)):
        ax2.plot(
            g["d"],
            g["fcn"],
            color=MODEL_COLORS["FCN"],
            lw=1.8,
            ls=styles[i % len(styles)],
            label=f"FCN / SVM, $n = d^{{{r:g}}}$",
        )
        ax2.annotate(
            f"$r = {r:g}$",
            (g["d"].iloc[-1], g["fcn"].iloc[-1]),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
            color=MODEL_COLORS["FCN"],
        )
    g = vs_d.drop_duplicates("d")
    ax2.plot(g["d"], g["cnn"], color=MODEL_COLORS["CNN"], lw=2, ls="--", label="CNN: $d$ (any $n$)")
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlim(vs_d["d"].min() / 1.2, vs_d["d"].max() * 2.2)  # room for the r labels
    ax2.set_xlabel("pattern dimension $d$")
    ax2.set_ylabel("bound (constants set to 1)")
    ax2.set_title(r"$n = \Theta(d^r)$")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return fig, (ax1, ax2)


def shattered_set(idx: np.ndarray, response: np.ndarray, *, figsize=(10, 3.8)):
    """The shattered set of Theorem 4.2 (chapter vc_dimension). Left: the points x_I, one a row
    (labelled by I), each patch coloured and marked by its pattern o_p (idx: 0-based pattern indices,
    (N, n)). Right: the response of the unit-weight channel of I to the point x_I' (0/1 matrix
    `response`, (N, N)), zero exactly when I' is the complement of I."""
    idx = np.asarray(idx)
    N, n = idx.shape
    fig, (ax1, ax2) = plt.subplots(
        1, 2, figsize=figsize, gridspec_kw={"width_ratios": [n + 1.5, N]}
    )
    pair_colors = sns.color_palette("muted", max(n - 1, 1))
    colors = np.zeros((N, n, 3))
    for (s, j), p in np.ndenumerate(idx):
        if p < 2:  # o_1 (positive) blue, o_2 (negative) vermilion
            colors[s, j] = matplotlib.colors.to_rgb("#0173b2" if p == 0 else "#d55e00")
        else:  # the pair {o_2j+1, o_2j+2} of a position: one hue, the second pattern lighter
            c = np.array(pair_colors[(p - 2) // 2])
            colors[s, j] = c if p % 2 == 0 else 1 - 0.45 * (1 - c)
    ax1.imshow(colors, aspect="auto", interpolation="nearest")
    bits = ["".join(map(str, (i >> np.arange(n - 2, -1, -1)) & 1)) for i in range(N)]
    ax1.set_yticks(range(N), [f"I = {b}" for b in bits], fontsize=8)
    ax1.set_xticks(range(n), [f"{j + 1}" for j in range(n)])
    ax1.set_xlabel("patch position j")
    ax1.set_title(r"points $x_I$ (patch = pattern $o_p$)")
    ax1.grid(False)
    for (s, j), p in np.ndenumerate(idx):
        ax1.text(
            j,
            s,
            f"$o_{{{p + 1}}}$",
            ha="center",
            va="center",
            fontsize=8,
            color="white" if p < 2 else "black",
        )
    ax2.imshow(response, cmap="Blues", vmin=-0.3, vmax=1.3, aspect="auto", interpolation="nearest")
    ax2.set_xticks(range(N), bits, rotation=90, fontsize=8)
    ax2.set_yticks(range(N), bits, fontsize=8)
    ax2.set_xlabel(r"point $x_{I'}$")
    ax2.set_ylabel(r"channel of $I$ (filter $s_I$)")
    ax2.set_title(r"response of the channel of $I$ to $x_{I'}$")
    ax2.grid(False)
    for (i, j), v in np.ndenumerate(response):
        ax2.text(
            j,
            i,
            f"{v:.0f}",
            ha="center",
            va="center",
            fontsize=8,
            color="white" if v > 0.5 else "black",
        )
    fig.tight_layout()
    return fig, (ax1, ax2)


def memorisation_errors(table: pd.DataFrame, *, figsize=(10, 3.6)):
    """Chapter vc_dimension: error against the number of training points m, per model, from a
    `summarize`-style table with columns model, where ("unseen" or "test"), m, mean, ci95. Left: the
    unseen points of the shattered set; right: fresh points of D."""
    fig, axes = plt.subplots(1, 2, figsize=figsize, sharey=True)
    colors = {"construction": MODEL_COLORS["FCN"], "LW_CNN": MODEL_COLORS["CNN"]}
    titles = {"unseen": "unseen points of the shattered set", "test": "fresh points of $D$"}
    for ax, (where, title) in zip(axes, titles.items()):
        part = table[table["where"] == where]
        for model, g in part.groupby("model", sort=False):
            ci_lines(ax, g, "m", label=model, color=colors.get(model))
        ax.axhline(0.5, color="grey", lw=0.8, ls="--")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("training points m (from the shattered set)")
        ax.set_title(title)
        ax.set_ylim(-0.04, 1.04)
    axes[0].set_ylabel("error")
    axes[0].legend(
        title="zero-training-error rule", fontsize=8, loc="center right", bbox_to_anchor=(1.0, 0.75)
    )
    fig.tight_layout()
    return fig, axes


# --- book/paper/lw_cnn_theory (§5): Theorem 5.1 and its lemmas --------------------------------------


def lucky_count_figure(rows: pd.DataFrame, *, figsize=(10, 3.4)):
    """Lemma 5.2: per (d, k), a histogram over seeds of the two lucky-filter counts, with the lemma's
    interval [k/(4d), k/d] shaded and the expected count (1 - 2^{1-d}) k / (2(d-1)) dashed."""
    from lib.theory import lemma_5_2_bounds, lucky_probability

    groups = list(rows.groupby(["d", "k"]))
    fig, axes = plt.subplots(1, len(groups), figsize=figsize, squeeze=False)
    for ax, ((d, k), g) in zip(axes[0], groups):
        lo, hi = lemma_5_2_bounds(int(d), int(k))
        ax.axvspan(lo, hi, color="0.9", label="Lemma 5.2 interval")
        bins = np.linspace(
            min(lo, g[["lucky_plus", "lucky_minus"]].min().min()) - 1,
            max(hi, g[["lucky_plus", "lucky_minus"]].max().max()) + 1,
            25,
        )
        ax.hist(g.lucky_plus, bins=bins, alpha=0.7, label="$|W_0^+ \\cap A^+|$")
        ax.hist(g.lucky_minus, bins=bins, alpha=0.7, label="$|W_0^- \\cap A^-|$")
        ax.axvline(lucky_probability(int(d)) * k, color="k", ls="--", lw=1, label="expected count")
        ax.set_title(f"d = {d}, k = {k}")
        ax.set_xlabel("lucky filters")
    axes[0][0].set_ylabel("seeds")
    axes[0][-1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def lemma_trajectory_figure(traj: pd.DataFrame, lr1: float, radius: float, *, figsize=(11, 3.6)):
    """Left: the first phase, with the smallest own-pattern score of a lucky filter against t eta_1/9
    (Lemma 5.3), the largest other score of a lucky filter against r, and the largest score of any
    channel against 2 eta_1 t (Lemma 5.5). Right: L_2 against T_2 on log axes."""
    one, two = traj[traj.phase == 1], traj[traj.phase == 2]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=figsize)
    t = one.t.to_numpy()
    ax1.plot(t, one.own_min, marker="o", ms=3, label="min own score of a lucky filter")
    ax1.plot(t, t * lr1 / 9, ls="--", color="C0", label="$t\\eta_1/9$ (Lemma 5.3 lower bound)")
    ax1.plot(t, one.score_max, marker="o", ms=3, color="C1", label="max score of any channel")
    ax1.plot(t, 2 * lr1 * t, ls="--", color="C1", label="$2\\eta_1 t$ (Lemma 5.5 upper bound)")
    ax1.plot(
        t, one.other_max, marker="o", ms=3, color="C2", label="max other score of a lucky filter"
    )
    ax1.axhline(radius, ls="--", color="C2", label="$r$ (Lemma 5.3 upper bound)")
    ax1.set_yscale("symlog", linthresh=radius / 10)
    ax1.set_xlabel("first-layer step $t$")
    ax1.set_ylabel("score $w_i^{(t)} \\cdot o_j$")
    ax1.legend(fontsize=7)
    ax2.loglog(two.t + 1, two.loss, marker="o", ms=3, label="mean over seeds")
    ax2.loglog(two.t + 1, two.loss_max, ls=":", color="C0", label="largest over seeds")
    ax2.set_xlabel("second-layer step $T_2 + 1$")
    ax2.set_ylabel("$L_2$")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return fig


def error_against_figure(
    df: pd.DataFrame,
    x: str,
    *,
    hue: str = "d",
    c: float | None = None,
    xlabel: str,
    ax=None,
    figsize=(6.5, 3.8),
):
    """Test error against `x` per `hue`: mean over seeds with a band of one standard deviation and
    95% CI error bars; with `c`, the curves c sqrt(d/m) dashed in the same colours. Draws on `ax`
    when given, else on a new figure."""
    fig, ax = plt.subplots(figsize=figsize) if ax is None else (ax.figure, ax)
    for i, (h, g) in enumerate(df.groupby(hue)):
        s = g.groupby(x).test_error.agg(["mean", "std"]).reset_index()
        half = g.groupby(x).test_error.apply(_ci_half).to_numpy()
        color = f"C{i}"
        # an error rate is >= 0: bars and bands stop at 0
        below = np.minimum(half, s["mean"].to_numpy())
        ax.errorbar(
            s[x],
            s["mean"],
            yerr=[below, half],
            marker="o",
            ms=4,
            capsize=3,
            color=color,
            label=f"{hue} = {h}",
        )
        ax.fill_between(
            s[x],
            (s["mean"] - s["std"]).clip(lower=0),
            s["mean"] + s["std"],
            color=color,
            alpha=0.15,
            lw=0,
        )
        if c is not None:
            grid = np.geomspace(s[x].min(), s[x].max(), 50)
            ax.plot(grid, c * np.sqrt(h / grid), ls="--", color=color, lw=1)
    log_x_ticks(ax, df[x])
    ax.set_xlabel(xlabel)
    ax.set_ylabel("test error")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def k_n_free_figure(widths: pd.DataFrame, patches: pd.DataFrame, *, figsize=(11, 6.4)):
    """Test error of LW_CNN against k (left, `lw_widths`) and against n (right, `lw_patches`), one row
    per sample size m (each row titled inside or outside Theorem 5.1's regime of m, m >= 100)."""
    ms = sorted(set(widths.m) | set(patches.m))
    fig, axes = plt.subplots(len(ms), 2, figsize=figsize, squeeze=False)
    for row, m in zip(axes, ms):
        where = (
            "inside the theorem's regime" if m >= 100 else "outside the theorem's regime (m < 100)"
        )
        for ax, (df, x, label) in zip(
            row, ((widths, "k", "channels $k$"), (patches, "n", "patches $n$"))
        ):
            error_against_figure(df[df.m == m], x, xlabel=label, ax=ax)
            ax.set_title(f"m = {m}: {where}", fontsize=9)
    fig.tight_layout()
    return fig


def log_x_ticks(ax, values) -> None:
    """A log x axis with one labelled tick at each distinct value of `values` and no minor ticks."""
    ticks = np.sort(pd.unique(np.asarray(values)))
    ax.set_xscale("log")
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()


def _ci_half(values) -> float:
    from lib.stats import mean_ci

    half = mean_ci(values)[1]
    return 0.0 if half != half else half


def setting_points_figure(dist, grid: tuple[int, int], *, seed: int, figsize=(8.4, 5.6)):
    """Four positive and four negative points of `dist` drawn as images of `grid` patches (one glyph per
    pattern, lib.diagrams), above the key of the glyphs."""
    import torch

    from lib.diagrams import draw_glyph_key, draw_points

    idx, y = dist.sample_indices(40, seed=seed)
    shown = torch.cat([torch.nonzero(y > 0).flatten()[:4], torch.nonzero(y < 0).flatten()[:4]])
    fig = plt.figure(figsize=figsize)
    spec = fig.add_gridspec(3, 4, height_ratios=[1, 1, 0.42], hspace=0.35, wspace=0.12)
    draw_points(
        [fig.add_subplot(spec[r, c]) for r in range(2) for c in range(4)],
        idx[shown].numpy(),
        y[shown].int().numpy(),
        dist.l,
        grid,
    )
    draw_glyph_key(fig.add_subplot(spec[2, :]), dist.l)
    return fig


def setting_first_run_figure(runs: pd.DataFrame, *, figsize=(9.5, 6.2)):
    """The setting chapter's first run of Algorithm 1: one row per regime ("theorem", "relaxed"), the
    loss L_1 over phase 1 (left, linear axes, with the floor log(1 + e^{-1/2}) that |N| <= 1/2 on S_1
    imposes, dotted) and L_2 over phase 2 (right, log-log, steps t >= 1), one line per replica.

    runs : the table of `lib.run("setting_first_run")` (columns regime, phase, replica, step, loss, d, k).
    """
    need = {"regime", "phase", "replica", "step", "loss", "d", "k"}
    if not isinstance(runs, pd.DataFrame) or not need <= set(runs.columns):
        raise ValueError(
            f"runs must be a DataFrame with columns {sorted(need)}, got {type(runs).__name__}"
        )
    regimes = [r for r in ("theorem", "relaxed") if r in set(runs["regime"])]
    if not regimes:
        raise ValueError("runs must hold the regime 'theorem' or 'relaxed'")
    colors = sns.color_palette(PALETTE)
    fig, axes = plt.subplots(
        len(regimes), 2, figsize=figsize, squeeze=False, constrained_layout=True
    )
    for row, regime in enumerate(regimes):
        part = runs[runs["regime"] == regime]
        color = colors[0] if regime == "theorem" else colors[2]
        name = f"{regime} (d={int(part['d'].iloc[0])}, k={int(part['k'].iloc[0])})"
        for phase, ax in zip(("L1", "L2"), axes[row]):
            curves = part[part["phase"] == phase]
            if phase == "L2":
                curves = curves[curves["step"] >= 1]
            for _, c in curves.groupby("replica"):
                ax.plot(c["step"], c["loss"], color=color, lw=1.0, alpha=0.8)
            if phase == "L1":
                ax.axhline(np.log1p(np.exp(-0.5)), color="0.3", ls=":", lw=1.2)
                ax.set_xlabel("first-layer step t")
                ax.set_ylabel("$L_1$ (loss on $S_1$)")
                ax.set_ylim(0, np.log(2) * 1.05)
            else:
                ax.set_xscale("log")
                ax.set_yscale("log")
                ax.set_xlabel("second-layer step t")
                ax.set_ylabel("$L_2$ (loss on $S_2$)")
            ax.set_title(f"{name}, phase {1 if phase == 'L1' else 2}")
    return fig


# --- book/paper/experiments (§7): our curves beside the paper's read-off values ------------------------

PAPER_MODEL_COLORS = {
    "ConvPool": "#0173b2",
    "MLP": "#de8f05",
    "SVM": "#029e73",
    "LW_CNN": "#cc78bc",
}


def paper_figure(
    df: pd.DataFrame,
    figure: str,
    *,
    x: str = "m",
    xlabel: str | None = None,
    extra: pd.DataFrame | None = None,
    ax=None,
    figsize=(6.8, 4.6),
):
    """One §7 figure: per model, our mean test error over seeds (line and dots) with a band of one
    standard deviation (as the paper draws its curves), and the paper's values read off its figure
    (`lib.paper_values`, ±0.01) as large open diamonds in the same colour, with bars of the paper's
    band of one standard deviation. `extra`: more rows to draw
    the same way (e.g. LW_CNN), without published values."""
    from lib.paper_values import published

    fig, ax = plt.subplots(figsize=figsize) if ax is None else (ax.figure, ax)
    rows = df if extra is None else pd.concat([df, extra], ignore_index=True)
    pub = published(figure)
    for model, g in rows.groupby("model", sort=False):
        color = PAPER_MODEL_COLORS.get(model, "0.3")
        s = g.groupby(x).test_error.agg(["mean", "std"]).reset_index().fillna({"std": 0.0})
        ax.plot(s[x], s["mean"], marker="o", ms=4, color=color, label=f"{model} (ours)")
        ax.fill_between(
            s[x],
            (s["mean"] - s["std"]).clip(lower=0),
            s["mean"] + s["std"],
            color=color,
            alpha=0.18,
            lw=0,
        )
        p = pub[pub.model == model]
        if len(p):
            ax.errorbar(
                p[x],
                p["test_error"],
                yerr=p["band"],
                ls="none",
                marker="D",
                ms=8,
                mfc="none",
                mew=1.6,
                color=color,
                capsize=4,
                elinewidth=1.2,
                label=f"{model} (paper, ±1 SD)",
            )
    ticks = np.sort(rows[x].unique())
    ax.set_xscale("log")
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.set_ylim(-0.02, 0.55)
    ax.set_xlabel(xlabel or ("training points $m$" if x == "m" else "patches $n$"))
    ax.set_ylabel("test error")
    ax.legend(fontsize=7.5, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.17), frameon=False)
    fig.tight_layout()
    return fig


def mnist_inputs(dist, X, y, *, count: int = 4, figsize=(7.2, 2.2)):
    """The first `count` inputs of Fig. 3c's task (`lib.MnistPatterns`) as images, each 2 x 2 grid of
    digits titled with its label (y = +1: it holds a 5; y = -1: a 3)."""
    fig, axes = plt.subplots(1, count, figsize=figsize)
    for s, ax in enumerate(np.atleast_1d(axes)):
        ax.imshow(dist.image(X, s), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"y = {int(y[s]):+d}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


# --- book/beyond/threshold: the channels each training needs, against the theory's counts ------------


def channel_threshold_figure(table: pd.DataFrame, labels: dict[str, str], *, figsize=(7.2, 4.6)):
    """k*(d) against d on log-log axes, from `lib.experiments.threshold.thresholds` (columns choice, d,
    k*, last failing k, 8d^3, lucky-filter k): per training choice (named by `labels`), the smallest
    passing k as markers, with a bar down to the largest failing k probed below it (the search's
    bracket); Theorem 5.1's 8 d^3 (solid) and the lucky-filter prediction (dashed) as lines."""
    fig, ax = plt.subplots(figsize=figsize)
    theory = table.drop_duplicates("d").sort_values("d")
    ax.plot(theory["d"], theory["8d^3"], color="0.15", lw=1.4, label="Theorem 5.1: $k = 8d^3$")
    ax.plot(
        theory["d"],
        theory["lucky-filter k"],
        color="0.45",
        lw=1.4,
        ls="--",
        label="a lucky filter of each sign w.p. 0.95",
    )
    shifts = np.exp(np.linspace(-0.015, 0.015, len(labels)))  # side by side on the log d axis
    for shift, (choice, label) in zip(shifts, labels.items()):
        g = table[table["choice"] == choice].sort_values("d")
        below = g["k*"] - g["last failing k"]
        ax.errorbar(
            g["d"] * shift,
            g["k*"],
            yerr=[below, np.zeros(len(g))],
            marker="o",
            ms=5,
            capsize=3,
            lw=1.2,
            label=label,
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ticks = theory["d"].to_numpy()
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.set_xlabel("patch dimension $d$ (log scale)")
    ax.set_ylabel("channels $k$ (log scale)")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


# --- §6 and supplement A: the leaky-ReLU FCN by SGD, and the second phase with Ji & Telgarsky's schedule ---


def _mean_band(ax, df: pd.DataFrame, x: str, value: str, *, color, label: str, ls="-") -> None:
    """Mean of `value` against `x` with 95% CI error bars (stopping at 0 for an error rate)."""
    g = df.groupby(x)[value]
    mean, half = g.mean(), g.apply(_ci_half)
    ax.errorbar(
        mean.index,
        mean,
        yerr=[np.minimum(half, mean), half],
        marker="o",
        ms=4,
        capsize=3,
        color=color,
        ls=ls,
        label=label,
    )


def fcn_sgd_figure(
    by_n: pd.DataFrame, by_m: pd.DataFrame, *, slope: float | None = None, figsize=(12, 3.7)
):
    """The leaky-ReLU FCN trained by SGD (`fcn_sgd_n`, `fcn_sgd_m` rows) beside LW_CNN. Left: the FCN's
    non-zero updates against n, one dot per run, their mean, the bound's leading term 2n^2/alpha^2
    dashed and (with `slope`) the fitted power law; middle and right: the test errors of both
    networks against n and against m (means with 95% CI bars)."""
    fig, axes = plt.subplots(1, 3, figsize=figsize)
    ax = axes[0]
    ax.scatter(by_n.n, by_n.updates, s=10, alpha=0.4, color=MODEL_COLORS["FCN"], label="one run")
    mean = by_n.groupby("n").updates.mean()
    ax.plot(mean.index, mean, marker="o", ms=4, color=MODEL_COLORS["FCN"], label="mean")
    bound = by_n.groupby("n").bound.first()
    ax.plot(
        bound.index,
        bound,
        ls="--",
        color="grey",
        label=r"$\|\hat w\|^2 R^2/\alpha^2 = 2n^2/\alpha^2$",
    )
    if slope is not None:
        grid = np.geomspace(mean.index.min(), mean.index.max(), 20)
        fit = np.exp(np.mean(np.log(by_n.updates)) - slope * np.mean(np.log(by_n.n)))
        ax.plot(grid, fit * grid**slope, ls=":", color="black", label=f"fit: $n^{{{slope:.2f}}}$")
    log_x_ticks(ax, mean.index)
    ax.set_yscale("log")
    ax.set_xlabel("patches per input $n$")
    ax.set_ylabel("SGD updates (non-zero loss)")
    ax.legend(fontsize=7)
    for ax, (df, x, label) in zip(
        axes[1:], ((by_n, "n", "patches per input $n$"), (by_m, "m", "training points $m$"))
    ):
        _mean_band(
            ax, df, x, "fcn_test_error", color=MODEL_COLORS["FCN"], label="leaky-ReLU FCN (SGD)"
        )
        _mean_band(ax, df, x, "cnn_test_error", color=MODEL_COLORS["CNN"], label="LW_CNN", ls="--")
        log_x_ticks(ax, df[x])
        ax.set_xlabel(label)
        ax.set_ylabel("test error")
        ax.legend(fontsize=7)
    axes[1].set_title(f"$m = {int(by_n.m.iloc[0])}$")
    axes[2].set_title(f"$n = {int(by_m.n.iloc[0])}$")
    fig.tight_layout()
    return fig, axes


def jt_margin_figure(df: pd.DataFrame, *, figsize=(11, 3.8)):
    """The second phase from a = 0 (`jt_second_phase` rows). Left: the margin gap 1 - gamma(a^(t)) /
    gamma-hat against t on log-log axes, mean over runs per d, Ji & Telgarsky's schedule solid and the
    constant step dashed, with 1/t dotted. Right: the steps to 50%, 90% and 99% of the maximum margin
    against d (J&T schedule; one dot per run, the mean joined) and d ln m_2 dashed."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=figsize)
    for i, (d, g) in enumerate(df.groupby("d")):
        for schedule, ls in (("J&T", "-"), ("constant", "--")):
            gap = (1 - g[g.schedule == schedule].groupby("t").margin_ratio.mean()).clip(lower=1e-12)
            ax1.plot(
                gap.index,
                gap,
                ls=ls,
                color=f"C{i}",
                label=f"$d = {d}$" if schedule == "J&T" else None,
            )
    t = np.sort(df.t.unique())
    ax1.plot(t, 1 / t, ls=":", color="black", label="$1/t$")
    ax1.plot([], [], ls="--", color="grey", label="constant step")
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    ax1.set_xlabel("second-layer step $t$")
    ax1.set_ylabel(r"$1 - \gamma(a^{(t)})/\hat\gamma$")
    ax1.legend(fontsize=7)
    runs = df[df.schedule == "J&T"].groupby(["d", "replica"]).first().reset_index()
    for i, (col, label) in enumerate((("t_0.5", "50%"), ("t_0.9", "90%"), ("t_0.99", "99%"))):
        ax2.scatter(runs.d, runs[col], s=12, alpha=0.5, color=f"C{i}")
        mean = runs.groupby("d")[col].mean()
        ax2.plot(
            mean.index,
            mean,
            marker="o",
            ms=4,
            color=f"C{i}",
            label=f"steps to {label} of $\\hat\\gamma$",
        )
    ceiling = runs.groupby("d").m2.first()
    ceiling = ceiling.index * np.log(ceiling)
    ax2.plot(ceiling.index, ceiling, ls="--", color="grey", label=r"$d \ln m_2$")
    ax2.set_yscale("log")
    ax2.set_xticks(sorted(runs.d.unique()))
    ax2.set_xlabel("pattern dimension $d$")
    ax2.set_ylabel("steps (J&T schedule)")
    ax2.legend(fontsize=7)
    fig.tight_layout()
    return fig, (ax1, ax2)


# --- Part II (book/beyond): the XOR-paper network, one function per figure ------------------------


def pattern_samples(dist, *, per_class: int = 8, seed: int = 0, figsize=(7, 5.2)):
    """`per_class` positive then `per_class` negative draws of `dist` (an `OrthogonalPatterns`), one
    row per input x and one column per patch position j, each cell the index p of the pattern o_p of
    x_j (0 = p_plus, 1 = p_minus, 2 .. d-1 spurious; `pattern_heatmap`)."""
    import torch

    idx, y = dist.sample_indices(25 * per_class, seed=seed)
    order = torch.cat(
        [torch.nonzero(y > 0).flatten()[:per_class], torch.nonzero(y < 0).flatten()[:per_class]]
    )
    fig, ax = plt.subplots(figsize=figsize)
    pattern_heatmap(ax, idx[order].numpy(), y[order].numpy(), dist.d)
    ax.set_ylabel("input x (label y)")
    ax.set_title(f"pattern index of each patch (0 = $p_+$, 1 = $p_-$, 2..{dist.d - 1} spurious)")
    return fig


def pattern_frequencies(dist, ms=(50, 5000), *, seed: int = 2, figsize=(10, 3.4)):
    """One panel per training-set size m of `ms`: for every pattern p of `dist`, the fraction of
    positive points that contain p (p-hat^+_p) and of negative points (p-hat^-_p), on a sample of m
    points drawn with `seed`; dashed, the probability 1 - (1 - 1/(d-2))^(n-1) that a point holds a
    given spurious pattern."""
    from lib.distributions import pattern_statistics

    d = dist.d
    expected = 1 - (1 - 1 / (d - 2)) ** (dist.n - 1)
    fig, axes = plt.subplots(1, len(ms), figsize=figsize, sharey=True, squeeze=False)
    for ax, m in zip(axes[0], ms):
        idx, y = dist.sample_indices(m, seed=seed)
        pos, neg = pattern_statistics(idx, y, d)
        table = pd.DataFrame(
            {
                "pattern": np.arange(d),
                "positive points": pos.numpy(),
                "negative points": neg.numpy(),
            }
        )
        long = table.melt("pattern", var_name="class", value_name="fraction containing the pattern")
        sns.barplot(
            long, x="pattern", y="fraction containing the pattern", hue="class", ax=ax, width=0.9
        )
        ax.axhline(expected, ls="--", color="0.3", lw=1)
        ax.set_title(f"training set of m = {m:,} points")
        ax.set_xticks(range(0, d, 5))
        ax.set_xlabel("pattern index p")
    for ax in axes[0][1:]:
        ax.get_legend().remove()
    fig.tight_layout()
    return fig


def hinge_loss_curves(runs: pd.DataFrame, *, figsize=(6.5, 3.6)):
    """Training hinge loss L_S(W_t) against the GD step t, one line per replica, from the
    comma-separated `loss_curve` column of `lib.run("first_run")`; log y axis, so each curve ends at
    its last positive value (zero loss cannot be drawn)."""
    fig, ax = plt.subplots(figsize=figsize)
    for curve in runs["loss_curve"]:
        values = np.array([float(v) for v in curve.split(",")])
        positive = np.where(values > 0, values, np.nan)
        ax.plot(np.arange(len(values)), positive, marker="o", ms=3, lw=1)
    ax.set_yscale("log")
    ax.set_xlabel("GD step t")
    ax.set_ylabel("training hinge loss $L_S(W_t)$")
    ax.set_title("every replica reaches zero training loss")
    return fig


def accuracy_vs_noise(acc: pd.DataFrame, *, figsize_per_panel=(4.5, 3.6)):
    """Test accuracy against the noise scale (norm of the noise per patch, relative to the unit
    pattern norm), one panel per training-set size m, one line with 95% band per model, from a
    `summarize`-style table with columns model, m, noise, mean, ci95."""
    ms = sorted(acc["m"].unique())
    width, height = figsize_per_panel
    fig, axes = plt.subplots(
        1, len(ms), figsize=(width * len(ms), height), sharey=True, squeeze=False
    )
    for ax, m in zip(axes[0], ms):
        ci_lines(ax, acc[acc["m"] == m], "noise", hue="model")
        ax.set_xlabel("noise scale (norm of the noise per patch)")
        ax.set_title(f"m = {m}")
        ax.legend(title="model", fontsize=8)
    axes[0, 0].set_ylabel("test accuracy")
    fig.tight_layout()
    return fig


def sample_gap(acc: pd.DataFrame, *, n: int, d: int, figsize=(10, 3.8)):
    """Test accuracy against m for each model (first model solid, second dashed) and each problem
    size, from a `summarize`-style table with columns n, d, model, m, mean, ci95. Left: the rows at
    pattern dimension `d`, one colour per number of patches n; right: the rows at `n` patches, one
    colour per d."""
    models = sorted(acc["model"].unique())
    styles = dict(zip(models, ("-", "--", ":", "-.")))
    fig, axes = plt.subplots(1, 2, figsize=figsize, sharey=True)
    for ax, (fixed, value, vary) in zip(axes, (("d", d, "n"), ("n", n, "d"))):
        part = acc[acc[fixed] == value]
        for i, (v, g) in enumerate(part.groupby(vary)):
            for model in models:
                ci_lines(
                    ax,
                    g[g["model"] == model],
                    "m",
                    label=f"{model}, {vary}={v}",
                    color=f"C{i}",
                    ls=styles[model],
                )
        ax.set_xscale("log")
        ax.set_xlabel("training points m")
        ax.set_title(f"{fixed} = {value}, varying {vary}")
        ax.legend(fontsize=7)
    axes[0].set_ylabel("test accuracy")
    fig.tight_layout()
    return fig


def _eta_label(rule: str) -> str:
    return f"$\\eta = {rule}$" + ("" if "k" in rule else " (fixed)")


def accuracy_vs_width(acc: pd.DataFrame, *, figsize=(7, 3.8)):
    """Test accuracy against the number of filters per sign k, one line with 95% band per step-size
    rule (`eta_rule`: "2/k" scales with k, a number is a fixed eta; the rules that scale first),
    from a `summarize`-style table with columns eta_rule, k, mean, ci95."""
    fig, ax = plt.subplots(figsize=figsize)
    rules = sorted(acc["eta_rule"].astype(str).unique(), key=lambda rule: "k" not in rule)
    for rule in rules:
        ci_lines(ax, acc[acc["eta_rule"].astype(str) == rule], "k", label=_eta_label(rule))
    ax.set_xscale("log")
    ax.set_ylim(top=1.01)
    ax.set_xlabel("filters per sign k")
    ax.set_ylabel("test accuracy")
    ax.legend()
    return fig


def accuracy_vs_m_with_guarantee(acc: pd.DataFrame, *, n: int, d: int, figsize=(7, 3.8)):
    """Test accuracy against m, one line with 95% band per width k (`summarize`-style table with
    columns k, m, mean, ci95), with the reconstructed T-GEN guarantee for n patches and dimension d:
    the accuracy lower bound 1 - (test-error bound) (black) and the requirement m_req at
    delta = 0.05 (dotted), both with c_s = 1 (`lib.xor_theory`)."""
    from lib import xor_theory

    fig, ax = plt.subplots(figsize=figsize)
    ci_lines(ax, acc.assign(k=acc["k"].map(lambda k: f"k = {k}")), "m", hue="k")
    ms = np.unique(np.geomspace(acc["m"].min(), acc["m"].max(), 200).astype(int))
    ax.plot(
        ms,
        [1 - xor_theory.test_error_bound(int(m), n, d) for m in ms],
        color="black",
        lw=1.5,
        label="T-GEN guarantee",
    )
    ax.axvline(
        xor_theory.sample_size_requirement(n, d),
        ls=":",
        color="black",
        label="$m_{req}$ ($\\delta = 0.05$)",
    )
    ax.set_xscale("log")
    ax.set_xlabel("training points m")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=8)
    return fig


def sample_complexity_vs_d(acc: pd.DataFrame, m_star: pd.Series, *, figsize=(11.5, 3.8)):
    """Left: test accuracy against m, one line with 95% band per pattern dimension d
    (`summarize`-style table with columns d, m, mean, ci95). Right: the measured m*(d) (`m_star`,
    indexed by d) against the reconstructed T-SC requirement m_req(d, d, 0.05) with c_s = 1, on
    log-log axes."""
    from lib import xor_theory

    fig, axes = plt.subplots(1, 2, figsize=figsize)
    ci_lines(axes[0], acc.assign(d=acc["d"].map(lambda d: f"d = {d}")), "m", hue="d")
    axes[0].set_xscale("log")
    axes[0].set_ylim(top=1.01)
    axes[0].set_xlabel("training points m")
    axes[0].set_ylabel("test accuracy")
    axes[0].legend(fontsize=8)
    dims = np.array(sorted(acc["d"].unique()))
    axes[1].plot(m_star.index, m_star.to_numpy(), "o-", label="measured $m^*$ (99% accuracy)")
    axes[1].plot(
        dims,
        [xor_theory.sample_complexity(int(d)) for d in dims],
        "k-",
        label="T-SC requirement, $c_s = 1$",
    )
    axes[1].set_xscale("log")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("pattern dimension d")
    axes[1].set_ylabel("training points")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def psi_scores(
    psi: pd.DataFrame, corr: pd.DataFrame, max_abs: pd.DataFrame, *, figsize=(14.5, 4.2)
):
    """PSI. Left: the detector score s_p of every pattern against its training statistic
    Delta_p = p-hat^+_p - p-hat^-_p at the smallest m of `psi` (columns m, kind, delta, score;
    kind "spurious", "p_plus" or "p_minus"). Middle: the correlation of s_p with Delta_p over the
    spurious patterns against m (`corr`, a `summarize` table). Right: the largest spurious |s_p|
    against m (`max_abs`, likewise)."""
    fig, axes = plt.subplots(1, 3, figsize=figsize)
    m0 = int(psi["m"].min())
    sub = psi[psi["m"] == m0]
    for kind, style in (
        ("spurious", dict(s=8, color="grey", alpha=0.5, label="spurious")),
        ("p_plus", dict(s=20, color="C0", label="$p_+$")),
        ("p_minus", dict(s=20, color="C3", label="$p_-$")),
    ):
        part = sub[sub["kind"] == kind]
        axes[0].scatter(part["delta"], part["score"], **style)
    axes[0].set_xlabel("$\\Delta_p = \\hat p^+_p - \\hat p^-_p$")
    axes[0].set_ylabel("detector score $s_p$")
    axes[0].set_title(f"m = {m0}")
    axes[0].legend(fontsize=8)
    for ax, table, label, ylabel in (
        (axes[1], corr, "corr($s_p$, $\\Delta_p$)", "correlation over spurious patterns"),
        (axes[2], max_abs, "max spurious $|s_p|$", "max over spurious p of $|s_p|$"),
    ):
        ci_lines(ax, table, "m", label=label)
        ax.set_xscale("log")
        ax.set_xlabel("training points m")
        ax.set_ylabel(ylabel)
    fig.tight_layout()
    return fig


PSI_LOCATIONS = ("p_plus", "only in x+", "in both", "in neither", "only in x-", "p_minus")


def two_point_scores(two: pd.DataFrame, *, figsize=(8, 3.6)):
    """Detector scores s_p after training on one positive point x+ and one negative point x-, one
    dot per (run, pattern), grouped by where p occurs (column `where`, in the order of
    `PSI_LOCATIONS`)."""
    fig, ax = plt.subplots(figsize=figsize)
    order = [o for o in PSI_LOCATIONS if o in set(two["where"])]
    sns.stripplot(data=two, x="where", y="score", order=order, size=3, alpha=0.5, ax=ax)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel("where pattern p occurs")
    ax.set_ylabel("detector score $s_p$")
    return fig


def _jitter(k: pd.Series, rng) -> np.ndarray:
    """k times a random factor in [e^-0.08, e^0.08]: dots side by side on a log k axis."""
    return k.to_numpy() * np.exp(rng.uniform(-0.08, 0.08, len(k)))


def fit_rate_and_steps(rate: pd.DataFrame, fit: pd.DataFrame, *, seed: int = 0, figsize=(11, 3.8)):
    """T-OPT. Left: the fraction of runs with zero training loss against k, one line per m, with
    95% Wilson bars (`rate`: columns k, m, fraction, low, high). Right: GD steps to zero loss of the
    runs that fit (dots, jittered by `seed`) and the T-OPT bound (lines, where finite) against k,
    with k_min dotted (`fit`: one row per run, columns k, m, fitted, steps_to_fit, bound,
    min_width)."""
    fig, axes = plt.subplots(1, 2, figsize=figsize)
    for m, g in rate.groupby("m"):
        axes[0].errorbar(
            g["k"],
            g["fraction"],
            yerr=[g["fraction"] - g["low"], g["high"] - g["fraction"]],
            marker="o",
            capsize=3,
            label=f"m = {m}",
        )
    axes[0].set_xscale("log")
    axes[0].set_xlabel("filters per sign k")
    axes[0].set_ylabel("fraction of runs with zero training loss")
    axes[0].set_ylim(0, 1.05)
    axes[0].legend()
    rng = np.random.default_rng(seed)
    for i, (m, g) in enumerate(fit.groupby("m")):
        done = g[g["fitted"]]
        axes[1].scatter(
            _jitter(done["k"], rng),
            done["steps_to_fit"],
            s=10,
            alpha=0.6,
            color=f"C{i}",
            label=f"runs, m = {m}",
        )
        b = g.groupby("k")["bound"].first()
        b = b[np.isfinite(b)]
        axes[1].plot(b.index, b.values, "s-", color=f"C{i}", label=f"T-OPT bound, m = {m}")
    axes[1].axvline(fit["min_width"].iloc[0], ls=":", color="grey")
    axes[1].set_xscale("log")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("filters per sign k")
    axes[1].set_ylabel("GD steps to zero loss")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def interference_vs_width(fit: pd.DataFrame, *, seed: int = 1, figsize=(6.5, 3.6)):
    """The largest interference max_t I(t) of each run against k, one colour per m (dots jittered by
    `seed`), with the value c_I = 1 that the T-OPT bound assumes dashed (`fit`: columns k, m,
    interference)."""
    fig, ax = plt.subplots(figsize=figsize)
    rng = np.random.default_rng(seed)
    for i, (m, g) in enumerate(fit.groupby("m")):
        ax.scatter(
            _jitter(g["k"], rng),
            g["interference"],
            s=10,
            alpha=0.6,
            color=f"C{i}",
            label=f"m = {m}",
        )
    ax.axhline(1.0, ls="--", color="black", lw=1, label="$c_I = 1$")
    ax.set_xscale("log")
    ax.set_xlabel("filters per sign k")
    ax.set_ylabel("max interference $I(t)$")
    ax.legend()
    return fig


def filter_pattern_heatmaps(dyn: pd.DataFrame, steps, *, figsize=(12, 5.2)):
    """The dot products w_i . o_p (top row) and u_i . o_p (bottom row) of every filter i (rows) with
    every pattern p (columns) after each GD step of `steps` (columns of panels), on one symmetric
    linear colour scale (`dyn`: columns sign "w"/"u", step, filter, pattern, dot)."""
    fig, axes = plt.subplots(
        2, len(steps), figsize=figsize, sharex=True, sharey=True, squeeze=False
    )
    vmax = float(dyn["dot"].abs().max())
    k = int(dyn["filter"].max()) + 1
    for row, sign in enumerate(("w", "u")):
        for col, step in enumerate(steps):
            part = dyn[(dyn["sign"] == sign) & (dyn["step"] == step)]
            table = part.pivot(index="filter", columns="pattern", values="dot")
            ax = axes[row, col]
            im = ax.imshow(
                table.values,
                cmap="RdBu_r",
                vmin=-vmax,
                vmax=vmax,
                aspect="auto",
                interpolation="nearest",
            )
            ax.set_title(f"{sign}-filters, step {step}")
            ax.grid(False)
            ax.set_yticks(range(k))
        axes[row, 0].set_ylabel("filter i")
    for ax in axes[1]:
        ax.set_xlabel("pattern p (0 = $p_+$, 1 = $p_-$)")
    fig.colorbar(im, ax=axes, label="dot product $w_i \\cdot o_p$ / $u_i \\cdot o_p$", shrink=0.8)
    return fig


def detector_winners(dyn: pd.DataFrame, share: pd.DataFrame, *, figsize=(11, 3.6)):
    """Left: the share of (filter, own-class point) pairs whose max-pooling winner is the filter's
    discriminative pattern, a spurious pattern or no active patch, against the GD step t (`share`:
    index (step, sign), those three columns). Right: the largest dot product with the discriminative
    pattern and the largest |dot product| with a spurious pattern over the filters of each sign
    (`dyn`: columns sign, step, kind, dot). w-filters solid, u-filters dashed."""
    fig, axes = plt.subplots(1, 2, figsize=figsize)
    kinds = (
        ("discriminative", "C0", "discriminative pattern"),
        ("spurious", "C1", "spurious pattern"),
        ("no active patch", "C7", "no active patch"),
    )
    for sign, style in (("w", "-"), ("u", "--")):
        s = share.xs(sign, level="sign")
        for kind, color, label in kinds:
            axes[0].plot(
                s.index, s[kind], style, marker="o", ms=3, color=color, label=f"{sign}: {label}"
            )
        g = dyn[dyn["sign"] == sign]
        disc = g[g["kind"] == "discriminative"].groupby("step")["dot"].max()
        spur = g[g["kind"] == "spurious"].groupby("step")["dot"].apply(lambda v: v.abs().max())
        axes[1].plot(
            disc.index,
            disc.values,
            style,
            marker="o",
            ms=3,
            color="C0",
            label=f"{sign}: max discriminative",
        )
        axes[1].plot(
            spur.index,
            spur.values,
            style,
            marker="o",
            ms=3,
            color="C1",
            label=f"{sign}: max |spurious|",
        )
    axes[0].set_ylabel("share of (filter, own-class point) pairs")
    axes[1].set_ylabel("dot product")
    for ax in axes:
        ax.set_xlabel("GD step t")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def outside_regime(out: pd.DataFrame, *, figsize=(12.5, 3.6)):
    """T-OPT outside its assumptions: the largest interference (left, c_I = 1 dashed), the GD steps
    to zero loss of the runs that fit (middle) and the test accuracy (right), mean with 95% CI bars
    over seeds, against sigma_g at the smallest eta and against eta at the smallest sigma_g (`out`:
    one row per run, columns init_std, lr, interference, steps_to_fit (< 0: not fitted),
    test_accuracy)."""
    from lib.stats import summarize

    fig, axes = plt.subplots(1, 3, figsize=figsize)
    sweeps = (
        ("vary $\\sigma_g$ ($\\eta = 2/k$)", out[out["lr"] == out["lr"].min()], "init_std"),
        (
            "vary $\\eta$ ($\\sigma_g = 10^{-3}$)",
            out[out["init_std"] == out["init_std"].min()],
            "lr",
        ),
    )
    for label, sub, x in sweeps:
        for ax, col in zip(axes, ("interference", "steps_to_fit", "test_accuracy")):
            data = sub[sub["steps_to_fit"] >= 0] if col == "steps_to_fit" else sub
            t = summarize(data, [x], col)
            ax.errorbar(
                t[x], t["mean"], yerr=t["ci95"].fillna(0), marker="o", capsize=3, label=label
            )
    ylabels = ("max interference $I(t)$", "GD steps to zero loss", "test accuracy")
    for ax, ylabel in zip(axes, ylabels):
        ax.set_xscale("log")
        ax.set_xlabel("$\\sigma_g$ or $\\eta$ (log scale)")
        ax.set_ylabel(ylabel)
    axes[0].set_yscale("log")
    axes[0].axhline(1.0, ls="--", color="black", lw=1)
    axes[1].set_yscale("log")
    axes[2].legend(fontsize=8)
    fig.tight_layout()
    return fig
