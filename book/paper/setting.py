# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # §3 The setting: patterns, a max-pooling network and layer-wise training
#
# This chapter sets up everything that {cite:t}`brutzkus2021maxpool` analyse in their §3: the data
# distribution $\mathcal D$, the network ConvPool (Eq. 1), the logistic loss (Eq. 2) and the
# layer-wise gradient descent of their Algorithm 1, LW_CNN. Each piece is built in `lib/` and checked
# on this page: the claims the paper makes about its own definitions are assertions in code cells, so
# the page stops building if one of them ever fails. The chapter ends with a first run of Algorithm 1,
# once with the step sizes of the paper's main theorem and once with larger steps of our choosing.

# %% tags=["remove-cell"]
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from myst_nb import glue
from scipy.stats import chi2_contingency

import lib
from lib import ConvPool, OrthogonalPatterns
from lib.diagrams import draw_convpool
from lib.plotting import set_theme, setting_first_run_figure, setting_points_figure

set_theme()

# %% [markdown]
# ## The distribution $\mathcal D$
#
# The task is to find one of two patterns hidden among distractors. Every input is a sequence of $n$
# patches, and every patch is one of a small set of orthonormal vectors. Two of these vectors decide
# the label; all the others are noise that occurs equally often in both classes.
#
# ```{prf:definition} of the distribution $\mathcal D$ (§3)
# :nonumber:
# :label: def-distribution-D
#
# Fix $l$ orthonormal vectors $o_1, \dots, o_l \in \R^d$ with $3 \le l \le d$. The vector $o_1$ is the
# *positive pattern*, $o_2$ the *negative pattern*, and $o_3, \dots, o_l$ are the *spurious patterns*.
# An input $x = (x[1], \dots, x[n]) \in \R^{nd}$ consists of $n$ patches $x[j] \in \R^d$. A pair
# $(x, y) \sim \mathcal D$ is drawn as follows:
#
# 1. draw the label $y \in \{-1, +1\}$, each with probability $1/2$;
# 2. draw one position $j^\star$ uniformly from $\{1, \dots, n\}$ and set $x[j^\star] = o_1$ if $y = +1$
#    and $x[j^\star] = o_2$ if $y = -1$;
# 3. fill every other position $j \neq j^\star$ with $o_{i_j}$, where the indices $i_j$ are drawn
#    independently and uniformly from $\{3, \dots, l\}$ (with replacement), whatever the label.
# ```
#
# So each input holds its class's pattern exactly once and never the other class's pattern, and the
# spurious patches carry no information about $y$. In `lib`, `OrthogonalPatterns(n, d, l=...)` is this
# distribution. Its patterns are the rows of `.patterns`, 0-based: row 0 is $o_1$, row 1 is $o_2$. The
# basis is either the standard one ($o_i = e_i$) or, as in the paper's experiments, the first $l$ rows
# of a uniformly random orthogonal matrix (`basis="random"`).
#
# The paper draws inputs as small images (its Fig. 1a): a grid of patches, each patch a little picture
# of its pattern. {numref}`fig-setting-points` does the same with our own pictures.

# %% tags=["hide-input"]
fig_n, fig_l, fig_grid = 16, 8, (4, 4)  # a 4 x 4 image of n = 16 patches, l = d = 8 patterns
fig = setting_points_figure(OrthogonalPatterns(fig_n, fig_l), fig_grid, seed=7)
glue("fig_n", fig_n, display=False)
glue("fig_l", fig_l, display=False)
glue("fig_rows", fig_grid[0], display=False)
glue("fig_cols", fig_grid[1], display=False)
glue("fig-setting-points", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig-setting-points
# :name: fig-setting-points
#
# Eight points of $\mathcal D$ drawn as images in the style of the paper's Fig. 1a: $n =$
# {glue:text}`fig_n` patches on a {glue:text}`fig_rows` $\times$ {glue:text}`fig_cols` grid, with
# $l = d =$ {glue:text}`fig_l` patterns (key at the bottom). Look for the blue plus ($o_1$) in each
# positive point (top row) and the orange ring ($o_2$) in each negative point (bottom row): each point
# has exactly one of them. The grey spurious pictures fill the rest in both rows alike.
# ```
#
# ### What the definition promises, checked
#
# We draw a large sample in the experiments' dimensions ($d =$ {glue:text}`check_d`, $n =$
# {glue:text}`check_n`, random basis, $l = d$) and check three properties. First, every point holds
# exactly one discriminative pattern, the one of its label.

# %%
dist = OrthogonalPatterns(n=10, d=20, basis="random", seed=0, dtype=torch.float64)
idx, y = dist.sample_indices(20_000, seed=1)
X = dist.to_inputs(idx)  # (m, n, d): patch j of point s is patterns[idx[s, j]]
count_o1, count_o2 = (idx == 0).sum(1), (idx == 1).sum(1)
# exactly one discriminative patch
assert torch.equal(count_o1 + count_o2, torch.ones_like(count_o1))
assert torch.equal(torch.where(count_o1 == 1, 1.0, -1.0).double(), y)  # ... and it is the label's

# %% tags=["remove-cell"]
glue("check_m", len(y), display=False)
glue("check_d", dist.d, display=False)
glue("check_n", dist.n, display=False)
glue("check_frac_pos", float((y > 0).double().mean()), display=False)

# %% [markdown]
# All {glue:text}`check_m:,` points pass, and a fraction {glue:text}`check_frac_pos:.3f` of them are
# positive. Second, the spurious patches follow the same law in both classes. The table counts how
# often each spurious pattern occurs among the spurious patches of the positive and of the negative
# points; a $\chi^2$ test of independence between label and pattern gives the $p$-value
# {glue:text}`chi2_p:.3f` (the page fails if it drops below {glue:text}`chi2_alpha`).

# %%
spurious = idx >= 2
table = np.stack(
    [
        np.bincount(idx[spurious & (y[:, None] > 0)] - 2, minlength=dist.l - 2),
        np.bincount(idx[spurious & (y[:, None] < 0)] - 2, minlength=dist.l - 2),
    ]
)
chi2_p = float(chi2_contingency(table).pvalue)
chi2_alpha = 0.001
assert chi2_p > chi2_alpha, chi2_p
freq = pd.DataFrame(
    table / table.sum(1, keepdims=True),
    index=["y = +1", "y = -1"],
    columns=[f"o_{p + 3}" for p in range(dist.l - 2)],
)
freq.iloc[:, :8].style.format("{:.4f}").set_caption(
    "frequency among spurious patches (first 8 patterns)"
)

# %% tags=["remove-cell"]
glue("chi2_p", chi2_p, display=False)
glue("chi2_alpha", chi2_alpha, display=False)

# %% [markdown]
# Third, $\mathcal D$ is linearly separable in $x$ itself. The vector
# $w^\star = (o_1 - o_2, \dots, o_1 - o_2) \in \R^{nd}$, $n$ copies of $o_1 - o_2$, gives
# $w^\star \cdot x = \sum_j (o_1 - o_2) \cdot x[j]$. Orthogonality kills every spurious patch, the
# discriminative patch contributes $+1$ or $-1$, so $y\, w^\star \cdot x = 1$ for every point: margin
# exactly one. We check this in the random basis used above and in the standard basis.


# %%
def separator_margins(dist, m=5_000, seed=2):
    """y <w*, x> for m fresh points, w* = n copies of (o_1 - o_2)."""
    X, y = dist.sample(m, seed=seed)
    w_star = (dist.patterns[0] - dist.patterns[1]).repeat(dist.n)
    return y * (X.reshape(m, -1) @ w_star)


margins = {
    basis: separator_margins(
        OrthogonalPatterns(n=10, d=20, basis=basis, seed=0, dtype=torch.float64)
    )
    for basis in ("random", "standard")
}
for basis, mg in margins.items():
    assert torch.allclose(mg, torch.ones_like(mg), atol=1e-12), basis
gap = max(float((mg - 1).abs().max()) for mg in margins.values())

# %% tags=["remove-cell"]
glue("sep_gap", gap, display=False)
glue("sep_norm2", float(2 * dist.n), display=False)
glue("sep_n", dist.n, display=False)

# %% [markdown]
# Every margin equals one up to {glue:text}`sep_gap:.1e` (float64 rounding in the random basis). The
# separator has $\|w^\star\|^2 = 2n =$ {glue:text}`sep_norm2:.0f` for $n =$ {glue:text}`sep_n`; the
# paper's §6 returns to this norm when it compares with fully connected networks.
#
# ## The network ConvPool (Eq. 1)
#
# The network has $k$ channels. Channel $i$ has a filter $w_i \in \R^d$ that is applied to every patch
# (filter size and stride both $d$, so the patches do not overlap, and no bias). A ReLU
# $\sigma(z) = \max\{0, z\}$ follows, then a global max-pool over the $n$ positions, and a trained
# linear second layer $a \in \R^k$ adds the channels up:
#
# $$
# N(x; W, a) = \sum_{i=1}^{k} a_i \max_{1 \le j \le n} \sigma\bigl(w_i \cdot x[j]\bigr),
# \qquad W = (w_1, \dots, w_k) \in \R^{k \times d}.
# $$ (eq-setting-convpool)
#
# We write $z_i(x) = \max_j \sigma(w_i \cdot x[j])$ for the pooled feature of channel $i$, so that
# $N(x) = a \cdot z(x)$. The classifier is $\operatorname{sign} N(x)$, with the paper's convention
# $\operatorname{sign}(0) = -1$. {numref}`fig-setting-network` draws the network.

# %% tags=["hide-input"]
fig, ax = plt.subplots(figsize=(8.6, 4.6))
draw_convpool(ax, n=6, k=4, winner=2)
glue("fig-setting-network", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig-setting-network
# :name: fig-setting-network
#
# ConvPool ({eq}`eq-setting-convpool`), drawn with a few patches and channels. Every channel applies
# the same filter to every patch (the grey lines), keeps only its largest ReLU response over the
# positions, and the second layer $a$ weighs the channels. The thick orange line marks the patch that
# wins channel 1's max-pool: only that patch carries the channel's gradient
# ({eq}`eq-setting-gradient`).
# ```
#
# `lib.ConvPool(d, k)` implements Eq. 1, with a leading axis of $R$ independent replicas (`replicas=R`)
# so that several seeds train in one call. It has $kd + k$ parameters: with the experiments' $d =$
# {glue:text}`count_d` and $k =$ {glue:text}`count_k` channels that is {glue:text}`count_params:,`.
#
# **Initialisation (§5).** Each filter $w_i^{(0)}$ is uniform on the sphere of radius $r$ in $\R^d$, each
# $a_i^{(0)}$ is uniform on $\{-1, +1\}$, all independent. The radius is tiny in the theory
# ($r \le \eta_1/200$), so the network starts with outputs close to zero.

# %%
net = ConvPool(d=20, k=500, radius=1e-3, seed=0, dtype=torch.float64)
n_params = sum(p.numel() for p in net.parameters())
assert n_params == net.k * net.d + net.k
assert torch.allclose(net.W.norm(dim=-1), torch.full((1, net.k), 1e-3, dtype=torch.float64))
assert set(net.a.unique().tolist()) == {-1.0, 1.0}

# %% tags=["remove-cell"]
glue("count_d", net.d, display=False)
glue("count_k", net.k, display=False)
glue("count_params", n_params, display=False)
glue("init_frac_plus", float((net.a > 0).double().mean()), display=False)

# %% [markdown]
# (In this draw a fraction {glue:text}`init_frac_plus:.3f` of the $a_i^{(0)}$ are $+1$.)
#
# ## The loss and the sample split (Eq. 2)
#
# Training uses the logistic loss $\ell(z) = \log(1 + e^{-z})$ averaged over a set $A$ of labelled
# points,
#
# $$
# L[A](W, a) = \frac{1}{|A|} \sum_{(x, y) \in A} \ell\bigl(y\, N(x; W, a)\bigr).
# $$ (eq-setting-loss)
#
# The training sample $S$ of $m$ points is split in two: $S_1$, the first $\lceil m/2 \rceil$ points,
# trains the filters and $S_2$, the other $\lfloor m/2 \rfloor$, trains the second layer. We write
# $L_1 = L[S_1]$ and $L_2 = L[S_2]$. The second layer thus sees points that the filters never saw, which
# the generalization proof of §5 relies on.
#
# ## The gradient convention (Eq. 3)
#
# The max-pool is not differentiable where two positions tie, and the ReLU is not differentiable at
# zero, so the paper fixes a convention. Let $j_i(x) = \arg\max_j w_i \cdot x[j]$ be the winning
# position of channel $i$ and
#
# $$
# \begin{gathered}
# p_i(x) = \begin{cases} x[j_i(x)] & \text{if } w_i \cdot x[j_i(x)] > 0, \\ 0 & \text{otherwise,} \end{cases}
# \\[4pt]
# \text{so that} \quad z_i(x) = w_i \cdot p_i(x) \quad\text{and}\quad \frac{\partial N(x)}{\partial w_i} = a_i\, p_i(x).
# \end{gathered}
# $$ (eq-setting-gradient)
#
# Only the winning patch carries gradient, and a channel whose best response is not positive gets
# none. `ConvPool` computes this gradient by hand (no autograd graph); the unit tests check its forward
# pass against a plain double loop over $i$ and $j$ that spells out Eq. 1, and this gradient of the
# logistic loss against what autograd makes of that loop (`tests/test_convpool.py`), to $10^{-12}$.
#
# ## Algorithm 1: layer-wise gradient descent
#
# ```{prf:algorithm} 1 (LW_CNN, Brutzkus & Globerson)
# :nonumber:
# :label: alg-lw-cnn
#
# **Inputs** a training sample $S = S_1 \cup S_2$, iteration counts $T_1, T_2$, step sizes
# $\eta_1, \eta_2$, and an initialisation $(W^{(0)}, a^{(0)})$ as above.
#
# **Output** the network $N(\cdot\,; W^{(T_1)}, a^{(T_2)})$.
#
# 1. For $t = 1, \dots, T_1$: $\;W^{(t)} = W^{(t-1)} - \eta_1 \dfrac{\partial L_1}{\partial W}\bigl(W^{(t-1)}, a^{(0)}\bigr)$
#    (the second layer stays at its initial value).
# 2. For $t = 1, \dots, T_2$: $\;a^{(t)} = a^{(t-1)} - \eta_2 \dfrac{\partial L_2}{\partial a}\bigl(W^{(T_1)}, a^{(t-1)}\bigr)$
#    (the filters stay fixed).
# 3. Return $(W^{(T_1)}, a^{(T_2)})$.
# ```
#
# Both phases are full-batch gradient descent. The second phase is logistic regression on the
# features $z(x)$ that the first phase produced: a convex problem, even though $L_2$ as a function of
# all parameters is not. `lib.train_layerwise(net, X, y, T1=..., T2=..., lr1=..., lr2=...)` runs
# {prf:ref}`Algorithm 1 <alg-lw-cnn>` on every replica of `net`, and returns the curves of $L_1$ and $L_2$.
#
# ## A first run
#
# The paper's main result, Theorem 5.1 (§5), makes Algorithm 1 provably reach zero loss and a test
# error of order $\sqrt{d/m}$ when the network is wide, $k > 8d^3$, and the steps are small:
# $\eta_1 \le 1/(4k(T_1 + 1))$, $\eta_2 < 8k$ and $r \le \eta_1/200$. At the experiments' $d =$
# {glue:text}`relaxed_d` the width condition asks for more than {glue:text}`relaxed_bound_k:,` channels,
# but at $d =$ {glue:text}`theorem_d` it asks only for more than {glue:text}`thm_bound_k`. So we run
# Algorithm 1 twice (`lib.run("setting_first_run")`, defined in
# `lib/experiments/setting.py`): once at $d =$ {glue:text}`theorem_d`, within the theorem's
# conditions, and once at the experiments' $d =$ {glue:text}`relaxed_d` with
# {glue:text}`relaxed_k` channels and larger steps that the theorem does not cover.

# %%
runs = lib.run("setting_first_run")
params = runs.groupby("regime", sort=False).first()[
    ["d", "n", "l", "basis", "k", "m", "T1", "T2", "lr1", "radius", "lr2", "replicas", "test_size"]
]
thm = params.loc["theorem"]
# Theorem 5.1's conditions
assert thm.k > 8 * thm.d**3 and thm.lr1 <= 1 / (4 * thm.k * (thm.T1 + 1))
assert thm.radius <= thm.lr1 / 200 and thm.lr2 < 8 * thm.k
params.T.rename_axis("parameter").map(lambda v: f"{v:.4g}" if isinstance(v, float) else v)

# %% tags=["remove-cell"]
for regime, p in params.iterrows():
    for key in ("d", "k", "T1", "T2", "replicas", "test_size"):
        glue(f"{regime}_{key}", int(p[key]), display=False)
    for key in ("lr1", "radius", "lr2"):
        glue(f"{regime}_{key}", float(p[key]), display=False)
glue("run_m", int(thm.m), display=False)
glue("run_m1", int(np.ceil(thm.m / 2)), display=False)
glue("run_n", int(thm.n), display=False)
glue("thm_bound_k", int(8 * thm.d**3), display=False)
glue("relaxed_bound_k", int(8 * params.loc["relaxed", "d"] ** 3), display=False)

# %% [markdown]
# ```{admonition} Our choices
# :class: note
# The paper fixes the algorithm, the conditions of Theorem 5.1 and, for its experiments, $d$, $n$, a
# random orthogonal basis and {glue:text}`relaxed_k` channels. Everything else in this run is **our choice**, and each
# is a keyword of the experiment's grid in `lib/experiments/setting.py`:
#
# - the theorem run's size: $d =$ {glue:text}`theorem_d`, $n =$ {glue:text}`run_n`, $l = d$, the
#   standard basis, and $k =$ {glue:text}`theorem_k`, the smallest width above
#   $8d^3 =$ {glue:text}`thm_bound_k`; $T_1 =$ {glue:text}`theorem_T1`;
# - its step sizes at the largest values the theorem allows, $\eta_1 = 1/(4k(T_1+1)) =$
#   {glue:text}`theorem_lr1:.3e` and $r = \eta_1/200 =$ {glue:text}`theorem_radius:.3e`, and
#   $\eta_2 = 4k =$ {glue:text}`theorem_lr2:.0f`, half the bound $8k$;
# - the relaxed run's steps: $T_1 =$ {glue:text}`relaxed_T1`, $\eta_1 =$ {glue:text}`relaxed_lr1:.0e`,
#   $r =$ {glue:text}`relaxed_radius:.0e` and $\eta_2 =$ {glue:text}`relaxed_lr2:.0f` (also $4k$), with
#   $l = d =$ {glue:text}`relaxed_d` and $k =$ {glue:text}`relaxed_k`;
# - for both: $m =$ {glue:text}`run_m` training points ($|S_1| =$ {glue:text}`run_m1`),
#   $T_2 =$ {glue:text}`theorem_T2:,` second-layer steps (more in the full build than in the quick
#   one), {glue:text}`theorem_replicas` seeds with one training set each, a test set of
#   {glue:text}`theorem_test_size:,` fresh points, and float64 arithmetic (the theorem's step
#   $\eta_1$ and radius $r$ above are tiny);
# - for {numref}`fig-setting-points`: $n =$ {glue:text}`fig_n` on a {glue:text}`fig_rows`
#   $\times$ {glue:text}`fig_cols` grid and $l = d =$ {glue:text}`fig_l`.
# ```

# %% tags=["hide-input"]
fig = setting_first_run_figure(runs)
glue("fig-setting-first-run", fig, display=False)
plt.close(fig)

# %% tags=["remove-cell"]
final = runs.groupby(["regime", "phase", "replica"]).last()["loss"].unstack("phase")
first = runs.groupby(["regime", "phase", "replica"]).first()["loss"].unstack("phase")
acc = runs.groupby(["regime", "replica"])[["test_accuracy", "s2_accuracy"]].first()
for regime in ("theorem", "relaxed"):
    glue(f"{regime}_L1_start", float(first.loc[regime, "L1"].mean()), display=False)
    glue(f"{regime}_L1_end", float(final.loc[regime, "L1"].mean()), display=False)
    glue(f"{regime}_L2_start", float(first.loc[regime, "L2"].mean()), display=False)
    glue(f"{regime}_L2_end", float(final.loc[regime, "L2"].mean()), display=False)
    glue(f"{regime}_L2_end_max", float(final.loc[regime, "L2"].max()), display=False)
    glue(f"{regime}_acc_mean", float(acc.loc[regime, "test_accuracy"].mean()), display=False)
    glue(f"{regime}_acc_min", float(acc.loc[regime, "test_accuracy"].min()), display=False)
    glue(f"{regime}_s2_min", float(acc.loc[regime, "s2_accuracy"].min()), display=False)
glue("L1_floor", float(np.log1p(np.exp(-0.5))), display=False)

# %% [markdown]
# ```{glue:figure} fig-setting-first-run
# :name: fig-setting-first-run
#
# Algorithm 1 in the theorem's regime (top, $d =$ {glue:text}`theorem_d`, $k =$
# {glue:text}`theorem_k`) and with our relaxed steps (bottom, $d =$ {glue:text}`relaxed_d`,
# $k =$ {glue:text}`relaxed_k`), one line per seed. Left: the first-layer loss $L_1$ on $S_1$ during
# phase 1; the dotted line is $\log(1 + e^{-1/2})$, below which $L_1$ cannot go while
# $|N| \le 1/2$ on $S_1$, as the theorem's small steps guarantee (Lemma C.2). Right: the second-layer
# loss $L_2$ on $S_2$ during phase 2, on log-log axes; look at the slope, which shows whether $L_2$
# keeps falling towards zero.
# ```
#
# In the theorem's regime the first phase moves $L_1$ only from {glue:text}`theorem_L1_start:.4f` to
# {glue:text}`theorem_L1_end:.4f` (mean over seeds): the steps are so small that the network's outputs
# stay tiny, and this is by design, since the proof needs the filters to grow slowly and in the right
# direction, not the loss to fall. The second phase then does the fitting: $L_2$ falls from
# {glue:text}`theorem_L2_start:.4f` to {glue:text}`theorem_L2_end:.4f` after
# $T_2 =$ {glue:text}`theorem_T2:,` steps (the worst seed ends at {glue:text}`theorem_L2_end_max:.4f`).
# Theorem 5.1 promises zero loss only in the limit $T_2 \to \infty$, and logistic regression on
# separable data approaches it slowly. On {glue:text}`theorem_test_size:,` fresh test points the
# mean accuracy over seeds is {glue:text}`theorem_acc_mean:.4f` and the worst seed's
# {glue:text}`theorem_acc_min:.4f`.
#
# With the relaxed steps at $d =$ {glue:text}`relaxed_d`, the first phase already fits: $L_1$ falls
# from {glue:text}`relaxed_L1_start:.4f` to {glue:text}`relaxed_L1_end:.4f`, and $L_2$ ends at
# {glue:text}`relaxed_L2_end:.1e`. The test accuracy is {glue:text}`relaxed_acc_mean:.4f` on average
# and {glue:text}`relaxed_acc_min:.4f` for the worst seed. These steps are far outside the theorem's
# conditions, as are the paper's own experiments (Adam, and {glue:text}`relaxed_k` channels at
# $d =$ {glue:text}`relaxed_d`).

# %% tags=["hide-input"]
summary = pd.DataFrame(
    {
        "final L1": final["L1"].groupby("regime").mean(),
        "final L2": final["L2"].groupby("regime").mean(),
        "accuracy on S2 (worst seed)": acc["s2_accuracy"].groupby("regime").min(),
        "test accuracy (mean)": acc["test_accuracy"].groupby("regime").mean(),
        "test accuracy (worst seed)": acc["test_accuracy"].groupby("regime").min(),
    }
).loc[["theorem", "relaxed"]]
accuracy_columns = [c for c in summary if "accuracy" in c]
summary.style.format("{:.4g}").format("{:.4f}", subset=accuracy_columns).set_caption(
    "The first run, per regime (losses: mean over seeds)"
)
