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
        ax.plot(g["n"] + off, g["norm2"], ls="none", marker="o", ms=4, label=f"$l = {l}$, reduced QP")
        full = g.dropna(subset=["norm2_full"])
        ax.plot(full["n"] + off, full["norm2_full"], ls="none", marker="o", ms=9, mfc="none", mec="k", mew=0.7,
                label="_full" if l != ls[0] else "whole-support QP")
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
    ax1.plot(mean["m"], mean["ratio"], color="C0", marker="o", ms=4, lw=2, label="mean over samples")
    ax1.axhline(1.0, color="0.2", lw=1, ls="--", label=r"whole support: $\|\hat w\|^2 = 2n$")
    ax1.set_xscale("log")
    ax1.set_xlabel("training points $m$")
    ax1.set_ylabel(r"$\|w_m\|^2 \,/\, \|\hat w\|^2$")
    ax1.legend(fontsize=8, loc="upper left")
    ax2.plot(mean["m"], mean["dist"], color="C1", marker="o", ms=4, label=r"$\|w_m - \hat w\| / \|\hat w\|$")
    ax2.plot(mean["m"], mean["test_error"], color="C2", marker="s", ms=4, label="test error of $w_m$")
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
    ax1.plot(vs_n["n"], vs_n["fcn"], color=MODEL_COLORS["FCN"], lw=2, label=r"FCN / SVM: $\|\hat w\|^2 R^2$")
    ax1.plot(vs_n["n"], vs_n["cnn"], color=MODEL_COLORS["CNN"], lw=2, label=f"CNN (Thm 5.1): $d = {d}$")
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    ax1.set_xlabel("patches per input $n$")
    ax1.set_ylabel("bound (constants set to 1)")
    ax1.set_title(f"fixed $d = {d}$")
    ax1.legend(fontsize=8)
    vs_d = bounds["vs_d"]
    styles = [":", "-.", "-", (0, (5, 1)), (0, (1, 3))]
    for i, (r, g) in enumerate(vs_d.groupby("r", sort=True)):
        ax2.plot(g["d"], g["fcn"], color=MODEL_COLORS["FCN"], lw=1.8, ls=styles[i % len(styles)],
                 label=f"FCN / SVM, $n = d^{{{r:g}}}$")
        ax2.annotate(f"$r = {r:g}$", (g["d"].iloc[-1], g["fcn"].iloc[-1]), xytext=(4, 0),
                     textcoords="offset points", va="center", fontsize=8, color=MODEL_COLORS["FCN"])
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
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=figsize, gridspec_kw={"width_ratios": [n + 1.5, N]})
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
        ax1.text(j, s, f"$o_{{{p + 1}}}$", ha="center", va="center", fontsize=8, color="white" if p < 2 else "black")
    ax2.imshow(response, cmap="Blues", vmin=-0.3, vmax=1.3, aspect="auto", interpolation="nearest")
    ax2.set_xticks(range(N), bits, rotation=90, fontsize=8)
    ax2.set_yticks(range(N), bits, fontsize=8)
    ax2.set_xlabel(r"point $x_{I'}$")
    ax2.set_ylabel(r"channel of $I$ (filter $s_I$)")
    ax2.set_title(r"response of the channel of $I$ to $x_{I'}$")
    ax2.grid(False)
    for (i, j), v in np.ndenumerate(response):
        ax2.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=8, color="white" if v > 0.5 else "black")
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
    axes[0].legend(title="zero-training-error rule", fontsize=8, loc="center right", bbox_to_anchor=(1.0, 0.75))
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
        bins = np.linspace(min(lo, g[["lucky_plus", "lucky_minus"]].min().min()) - 1,
                           max(hi, g[["lucky_plus", "lucky_minus"]].max().max()) + 1, 25)
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
    ax1.plot(t, one.other_max, marker="o", ms=3, color="C2", label="max other score of a lucky filter")
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


def error_against_figure(df: pd.DataFrame, x: str, *, hue: str = "d", c: float | None = None, xlabel: str,
                         ax=None, figsize=(6.5, 3.8)):
    """Test error against `x` per `hue`: mean over seeds with a band of one standard deviation and
    95% CI error bars; with `c`, the curves c sqrt(d/m) dashed in the same colours. Draws on `ax`
    when given, else on a new figure."""
    fig, ax = plt.subplots(figsize=figsize) if ax is None else (ax.figure, ax)
    for i, (h, g) in enumerate(df.groupby(hue)):
        s = g.groupby(x).test_error.agg(["mean", "std"]).reset_index()
        half = g.groupby(x).test_error.apply(_ci_half).to_numpy()
        color = f"C{i}"
        below = np.minimum(half, s["mean"].to_numpy())  # an error rate is >= 0: bars and bands stop at 0
        ax.errorbar(s[x], s["mean"], yerr=[below, half], marker="o", ms=4, capsize=3, color=color, label=f"{hue} = {h}")
        ax.fill_between(s[x], (s["mean"] - s["std"]).clip(lower=0), s["mean"] + s["std"], color=color, alpha=0.15, lw=0)
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
        where = "inside the theorem's regime" if m >= 100 else "outside the theorem's regime (m < 100)"
        for ax, (df, x, label) in zip(row, ((widths, "k", "channels $k$"), (patches, "n", "patches $n$"))):
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
    draw_points([fig.add_subplot(spec[r, c]) for r in range(2) for c in range(4)],
                idx[shown].numpy(), y[shown].int().numpy(), dist.l, grid)
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
        raise ValueError(f"runs must be a DataFrame with columns {sorted(need)}, got {type(runs).__name__}")
    regimes = [r for r in ("theorem", "relaxed") if r in set(runs["regime"])]
    if not regimes:
        raise ValueError("runs must hold the regime 'theorem' or 'relaxed'")
    colors = sns.color_palette(PALETTE)
    fig, axes = plt.subplots(len(regimes), 2, figsize=figsize, squeeze=False, constrained_layout=True)
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

PAPER_MODEL_COLORS = {"ConvPool": "#0173b2", "MLP": "#de8f05", "SVM": "#029e73", "LW_CNN": "#cc78bc"}


def paper_figure(df: pd.DataFrame, figure: str, *, x: str = "m", xlabel: str | None = None, extra: pd.DataFrame | None = None,
                 ax=None, figsize=(6.8, 4.6)):
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
        ax.fill_between(s[x], (s["mean"] - s["std"]).clip(lower=0), s["mean"] + s["std"], color=color, alpha=0.18, lw=0)
        p = pub[pub.model == model]
        if len(p):
            ax.errorbar(p[x], p["test_error"], yerr=p["band"], ls="none", marker="D", ms=8, mfc="none", mew=1.6,
                        color=color, capsize=4, elinewidth=1.2, label=f"{model} (paper, ±1 SD)")
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
    ax.plot(theory["d"], theory["lucky-filter k"], color="0.45", lw=1.4, ls="--",
            label="a lucky filter of each sign w.p. 0.95")
    shifts = np.exp(np.linspace(-0.015, 0.015, len(labels)))  # side by side on the log d axis
    for shift, (choice, label) in zip(shifts, labels.items()):
        g = table[table["choice"] == choice].sort_values("d")
        below = g["k*"] - g["last failing k"]
        ax.errorbar(g["d"] * shift, g["k*"], yerr=[below, np.zeros(len(g))], marker="o", ms=5, capsize=3, lw=1.2,
                    label=label)
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
    ax.errorbar(mean.index, mean, yerr=[np.minimum(half, mean), half], marker="o", ms=4, capsize=3, color=color,
                ls=ls, label=label)


def fcn_sgd_figure(by_n: pd.DataFrame, by_m: pd.DataFrame, *, slope: float | None = None, figsize=(12, 3.7)):
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
    ax.plot(bound.index, bound, ls="--", color="grey", label=r"$\|\hat w\|^2 R^2/\alpha^2 = 2n^2/\alpha^2$")
    if slope is not None:
        grid = np.geomspace(mean.index.min(), mean.index.max(), 20)
        fit = np.exp(np.mean(np.log(by_n.updates)) - slope * np.mean(np.log(by_n.n)))
        ax.plot(grid, fit * grid**slope, ls=":", color="black", label=f"fit: $n^{{{slope:.2f}}}$")
    log_x_ticks(ax, mean.index)
    ax.set_yscale("log")
    ax.set_xlabel("patches per input $n$")
    ax.set_ylabel("SGD updates (non-zero loss)")
    ax.legend(fontsize=7)
    for ax, (df, x, label) in zip(axes[1:], ((by_n, "n", "patches per input $n$"), (by_m, "m", "training points $m$"))):
        _mean_band(ax, df, x, "fcn_test_error", color=MODEL_COLORS["FCN"], label="leaky-ReLU FCN (SGD)")
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
            ax1.plot(gap.index, gap, ls=ls, color=f"C{i}", label=f"$d = {d}$" if schedule == "J&T" else None)
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
        ax2.plot(mean.index, mean, marker="o", ms=4, color=f"C{i}", label=f"steps to {label} of $\\hat\\gamma$")
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
