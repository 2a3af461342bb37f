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
# # §6 Fully connected networks: the minimum-norm separator
#
# Theorem 5.1 of {cite:t}`brutzkus2021maxpool` (chapter {doc}`lw_cnn_theory`) says that the
# layer-wise trained max-pooling network needs $O(d)$ samples on the distribution $D$, whatever the
# number $n$ of patches. The paper's §6 asks what the best known guarantee says about a learner that
# does not pool: a fully connected network, or a linear SVM, that sees the whole input
# $x \in \R^{nd}$ at once. Uniform bounds over the hypothesis class are no help here:
# chapter {doc}`vc_dimension` shows that even the CNN's VC dimension on $D$'s support grows
# exponentially in $d$. The comparison therefore goes through margins.
# This chapter states the result of §6, Proposition 6.1, sketches its proof, computes the
# minimum-norm separator of $D$ **exactly**, and then draws the two bounds that the paper compares.
#
# ## The bound for a fully connected network
#
# {cite:t}`brutzkus2021maxpool` build on {cite:t}`brutzkus2018sgd`, which studies a one-hidden-layer network with leaky-ReLU activations,
#
# $$
# N_{FC}(x) = \sum_{i} a_i\, \psi(w_i \cdot x), \qquad \psi(z) = \max\{\alpha z, z\},\ 0 < \alpha < 1,
# $$
#
# trained by SGD on linearly separable data. If some $w^*$ separates the data with margin 1
# ($y\, w^* \cdot x \ge 1$ on the whole support) and every input has $\|x\| \le R$, then SGD reaches
# zero training error, and its sample complexity is of order $\|w^*\|^2 R^2$ (constants depending on
# $\alpha$ and log factors aside). The same quantity controls the classical margin bound of a
# **hard-margin linear SVM**. On $D$ every input is $n$ unit-norm patches, so $R^2 = n$, and the best
# instance of the bound takes the smallest admissible $\|w^*\|$: the minimum-norm separator
#
# $$
# \hat w = \arg\min_{w \in \R^{nd}} \|w\|^2 \quad \text{subject to } y\, w \cdot x \ge 1
# \text{ for every } (x, y) \text{ in the support of } D .
# $$
#
# Like every separator in §6, $\hat w$ has **no bias** term, and neither has our SVM.
#
# ```{prf:proposition} 6.1 (Brutzkus & Globerson)
# :nonumber:
# :label: prop-min-norm-separator
#
# Let $\hat w = \arg\min_{w \in \mathbb R^{nd}} \|w\|^2$ subject to $y\, w \cdot x \ge 1$ for every
# $(x, y)$ in the support of $\mathcal D$. Then $\|\hat w\|^2 \ge n$.
# ```
#
# The paper draws the consequence in words: the best bound of {cite:t}`brutzkus2018sgd` for fully
# connected networks, or the margin bound of a linear SVM, is then $O(n^2)$ in this setting
# ($R^2 = n$), hence $O(d^{2r})$ when $n = \Theta(d^r)$, while Theorem 5.1 gives the CNN $O(d)$ for
# every $n$.
#
# ```{prf:proof}
# Fix a position $i$ and any spurious patterns for the other positions. Let $x_+$
# hold $o_1$ at $i$ and $x_-$ be the same point with $o_2$ at $i$. Both are in the support, with
# labels $+1$ and $-1$. Then $\hat w \cdot x_+ \ge 1$ and $\hat w \cdot x_- \le -1$. The two inputs
# differ only in block $i$, so subtracting gives $\hat w[i] \cdot (o_1 - o_2) \ge 2$. By
# Cauchy–Schwarz every block has $\|\hat w[i]\| \ge 2/\|o_1 - o_2\| = \sqrt 2 \ge 1$, and summing over
# the $n$ blocks gives $\|\hat w\|^2 \ge n$.
# ```
#
# ```{admonition} The book's addition: $\|\hat w\|^2 = 2n$ exactly
# :class: note
# *Upper bound* (ours). Put $o_1 - o_2$ at every position: $w^\circ = (o_1 - o_2, \dots, o_1 - o_2)$. A
# positive point holds $o_1$ once and spurious patterns elsewhere, and the spurious patterns are
# orthogonal to both $o_1$ and $o_2$, so $w^\circ \cdot x = \|o_1\|^2 - o_2 \cdot o_1 = 1$. In the same
# way $w^\circ \cdot x = -1$ on every negative point. So $w^\circ$ has margin exactly 1, and
# $\|\hat w\|^2 \le \|w^\circ\|^2 = n\,\|o_1 - o_2\|^2 = 2n$.
#
# The proposition states only $\|\hat w[i]\| \ge 1$ per block. Keeping the constant
# $\|o_1 - o_2\| = \sqrt 2$ in the last step of the proof gives $\|\hat w\|^2 \ge 2n$, which meets the
# upper bound. The minimum-norm separator is therefore exactly $w^\circ$, with $\|\hat w\|^2 = 2n$
# (it is unique, because the objective is strictly convex). The computation below confirms this
# without using the proof. None of this changes the paper's conclusion, which only needs
# $\|\hat w\|^2 = \Theta(n)$.
# ```

# %% tags=["remove-cell"]
import numpy as np
from myst_nb import glue

import lib
from lib import baselines, claims, plotting

plotting.set_theme()

# %% [markdown]
# ## Computing $\hat w$ exactly
#
# The support of $D$ has $2n(l-2)^{n-1}$ points: a label, the position of its discriminative
# pattern, and one of the $l-2$ spurious patterns at each other position. For small $n$ and $l$ the
# quadratic program above can be solved on the whole support. `baselines.hard_margin_svm` solves it as
# a least-distance program, which reduces to one non-negative least-squares problem
# ({cite:t}`lawson1974solving`, ch. 23). It then checks the optimality conditions
# to $10^{-9}$. The unit tests compare it with a general-purpose QP solver (SLSQP).
#
# The support grows exponentially in $n$, so for larger $n$ we use symmetry instead. Permuting the
# positions, or the spurious patterns among themselves, maps the support onto itself. The minimiser
# is unique, so it must be unchanged by these maps. That means $\hat w[j] = a\, o_1 + c\, o_2 + b
# \sum_{s \ge 3} o_s$ at every position $j$. For such a $w$, every positive point scores
# $a + (n-1)b$ and every negative point $c + (n-1)b$. The $2n(l-2)^{n-1}$ constraints collapse to two,
# and the objective becomes $n\,(a^2 + c^2 + (l-2)\, b^2)$. `baselines.min_norm_separator` solves this
# three-variable problem with the same SVM solver, and the tests check that the whole-support QP gives
# the same answer. We do not impose the sign symmetry ($o_1 \leftrightarrow o_2$, $w \to -w$) that
# would force $b = 0$ directly. Whether $b = 0$ comes out is part of the check.
#
# The cell below computes $\|\hat w\|^2$ for every $n$ and $l$ of the grid with the reduced QP, and
# also on the whole support wherever that support is small enough. The table shows $\|\hat w\|^2 / n$.

# %%
norms = lib.run("separator_norms")
p61 = claims.min_norm_separator(norms)
norms.pivot(index="n", columns="l", values="ratio")

# %% [markdown]
# The next cell is the check of Proposition 6.1, and the page fails to build if it does not hold.
# It also checks the closed form $\|\hat w\|^2 = 2n$ and the agreement of the two computations.

# %%
full = norms.dropna(subset=["norm2_full"])  # solved on the whole support
tol = 1e-9
for w2 in (norms["norm2"], full["norm2_full"]):
    n = norms["n"][w2.index]
    assert (n * (1 - tol) <= w2).all() and (w2 <= 2 * n * (1 + tol)).all()
assert np.allclose(norms["norm2"], 2 * norms["n"], rtol=tol)  # closed form
assert np.allclose(full["norm2_full"], full["norm2"], rtol=tol)  # QPs agree
# in the largest setting, ŵ is the n copies of o_1 - o_2
sep = baselines.min_norm_separator(norms["n"].max(), norms["l"].max())
w_diff = baselines.difference_separator(*sep.coef.shape)
assert np.allclose(sep.coef, w_diff, atol=1e-7)
assert p61.holds, p61.ours

# %% tags=["remove-cell"]
glue("settings", len(norms), display=False)
glue("full_settings", len(full), display=False)
glue("n_max", int(norms["n"].max()), display=False)
glue("full_points_max", int(full["support_points"].max()), display=False)
glue("ratio_min", float(norms["ratio"].min()), display=False)
glue("ratio_max", float(norms["ratio"].max()), display=False)
gap = (full["norm2_full"] - full["norm2"]).abs().max()
glue("full_gap", float(gap), display=False)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "$\\|\\hat w\\|^2$ of the minimum-norm separator of $D$ against the number of patches $n$. Filled markers: the symmetry-reduced QP, one colour per number of patterns $l$ (shifted sideways a little so that they do not hide each other). Open circles: the QP on the whole support, where it was solved. The grey band is the range from the paper's lower bound $n$ (Proposition 6.1) to our upper bound $2n$. Look at where the points fall inside the band, and whether this depends on $l$.", "name": "fig-min-norm-separator"}}
fig, ax = plotting.separator_norm_figure(norms)

# %% [markdown]
# In all {glue:text}`settings` settings ($n$ up to {glue:text}`n_max`), $\|\hat w\|^2/n$ lies between
# {glue:text}`ratio_min:.12f` and {glue:text}`ratio_max:.12f`: above Proposition 6.1's lower bound $n$,
# and in fact on our upper bound, $\|\hat w\|^2 = 2n$, for every $l$, as the note above predicts.
# In the {glue:text}`full_settings` settings solved on the whole support (up to
# {glue:text}`full_points_max` points), the two computations differ by at most
# {glue:text}`full_gap:.1e` in $\|\hat w\|^2$.
#
# ## An SVM on a finite sample
#
# A hard-margin SVM trained on $m$ points of $D$ solves the same program with only $m$ of the
# constraints. Its $\|w_m\|^2$ is therefore at most $\|\hat w\|^2$, and it grows towards
# $\|\hat w\|^2$ as $m$ grows. Once $\|w_m\|^2 = \|\hat w\|^2$, the sample's separator *is* $\hat w$:
# $\hat w$ separates the sample too, and the minimiser is unique. At that point the SVM classifies
# all of $D$ correctly. The cell below fits SVMs in the setting of the paper's Figure 3a: $n = 10$,
# $d = 20$, patterns the rows of a random orthogonal matrix.

# %%
svm = lib.run("svm_norms")
columns = ["ratio", "dist", "test_error", "support_vectors", "seconds"]
svm.groupby("m")[columns].mean().round(3)

# %%
assert (svm["ratio"] <= 1 + 1e-9).all(), "an SVM beats the support's norm"

# %% tags=["remove-cell"]
by_m = svm.groupby("m")
exact = by_m["dist"].max() < 1e-6
glue("svm_seeds", int(svm["seed"].nunique()), display=False)
glue("svm_m_exact", int(exact[exact].index.min()), display=False)
glue("svm_ratio_100", float(by_m["ratio"].mean()[100]), display=False)
glue("svm_err_100", float(by_m["test_error"].mean()[100]), display=False)
glue("svm_seconds_1000", float(by_m["seconds"].mean()[1000]), display=False)
glue("svm_sv_max", int(svm["support_vectors"].max()), display=False)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Hard-margin SVMs (no bias) on $m$ points of $D$ ($n = 10$, $d = l = 20$, random orthogonal patterns). Left: $\\|w_m\\|^2$ relative to the whole support's $\\|\\hat w\\|^2 = 2n$, one thin line per sample and their mean in bold. Right: the mean relative distance from $w_m$ to $\\hat w$ and the mean test error on 1,000 fresh points. Look at how $\\|w_m\\|^2$ approaches its ceiling from below, and at the test error once $w_m = \\hat w$.", "name": "fig-svm-norm-vs-m"}}
fig, axes = plotting.svm_norm_vs_m_figure(svm)

# %% [markdown]
# With {glue:text}`svm_seeds` samples per $m$, the mean $\|w_m\|^2 / \|\hat w\|^2$ is
# {glue:text}`svm_ratio_100:.2f` at $m = 100$, with a test error of {glue:text}`svm_err_100:.3f`.
# From $m =$ {glue:text}`svm_m_exact` on, every sample gives back $\hat w$ itself, with no test error.
# That happens when the sample contains enough points to pin down the weight on every spurious
# pattern at every position. The solver takes {glue:text}`svm_seconds_1000:.2f` s at $m = 1000$
# ($nd = 200$, at most {glue:text}`svm_sv_max` support vectors).
#
# ## The two bounds as functions of $n$ and $d$
#
# §6 compares two **upper bounds** on the sample complexity. For the FCN or SVM the bound is
# $\|\hat w\|^2 R^2 = 2n \cdot n$, with the measured $\|\hat w\|^2$ and $R^2 = n$. For the CNN,
# Theorem 5.1 gives $d$. Both hide constants that the papers do not give, and in the CNN's case also
# the regime of the theorem ($k > 8d^3$ channels, small steps). The figure below therefore sets both
# constants to 1, and only the **slopes** on its log–log axes carry meaning. Where the curves cross,
# and how far apart they are at any one point, depend on the unknown constants and mean nothing.
# The paper also proves **no lower bound** for fully connected networks. An FCN might in fact learn
# $D$ with fewer samples than its bound says. The evidence that it does not is the experiments of §7.

# %%
bounds = baselines.bound_growth(range(1, 101), d=20, rs=(0.5, 1.0, 1.5))

# %% tags=["remove-cell"]
vs_n = bounds["vs_n"]
slope_n = np.polyfit(np.log(vs_n["n"]), np.log(vs_n["fcn"]), 1)[0]
glue("slope_n", float(slope_n), display=False)
slopes = {
    r: float(np.polyfit(np.log(g["d"]), np.log(g["fcn"]), 1)[0])
    for r, g in bounds["vs_d"].groupby("r")
}
glue("slope_r05", slopes[0.5], display=False)
glue("slope_r1", slopes[1.0], display=False)
glue("slope_r15", slopes[1.5], display=False)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The sample-complexity upper bounds of §6 with their unknown constants set to 1 (log–log axes). Left: against $n$ at fixed $d = 20$, the FCN/SVM bound $\\|\\hat w\\|^2 R^2$ (measured $\\|\\hat w\\|^2$, $R^2 = n$) and the CNN bound $d$ of Theorem 5.1. Right: against $d$ when $n = d^r$ for three exponents $r$, the CNN's $d$ dashed. Compare the slopes only: the heights and crossing points depend on the unknown constants.", "name": "fig-bound-growth"}}
fig, axes = plotting.bound_growth_figure(bounds)

# %% [markdown]
# At fixed $d$, the fitted log–log slope of the FCN/SVM bound in $n$ is {glue:text}`slope_n:.2f`,
# while the CNN's bound does not move with $n$. When $n = d^r$, the FCN/SVM slope in $d$ is
# {glue:text}`slope_r05:.2f`, {glue:text}`slope_r1:.2f` and {glue:text}`slope_r15:.2f` for
# $r = 1/2, 1, 3/2$, that is $2r$ up to the rounding of $n$ to an integer, against 1 for the CNN.
# At $r = 1/2$ the two bounds grow at the same rate, and below it the FCN's
# bound even grows more slowly. With more patches than about $\sqrt d$, the FCN's guarantee is the
# weaker one, and the gap widens as $r$ grows. The
# setting of the VC construction, $d = 2n$, is $r = 1$: there the guarantee is quadratic in $d$ for
# the FCN and linear for the CNN.
#
# ```{admonition} Our choices
# :class: note
# The paper states the comparison asymptotically; everything numerical on this page is ours. We chose
# the grid of $n$ and $l$, the supports small enough to solve in full, the SVM setting ($n = 10$,
# $d = l = 20$, random orthogonal basis, the $m$ grid, {glue:text}`svm_seeds` samples, test sets of
# 1,000 points), the exponents $r$, and constants of 1 in the last figure. They are the arguments of
# `baselines.separator_norms`, `baselines.sample_svm_norms` and `baselines.bound_growth`. Our SVM,
# like the separators of §6, has no bias.
# ```

# %% [markdown]
# ## The leaky-ReLU network of §6, trained by SGD
#
# The bound above is a statement about an algorithm, so here we run that algorithm on $D$. The network of
# {cite:t}`brutzkus2018sgd` has $2k$ hidden units. The second layer is fixed: $a_i = +v$ on $k$ units
# and $a_i = -v$ on the other $k$. Only $W$ is trained, by SGD on the hinge loss
# $\max\{0, 1 - y N_{FC}(x)\}$, one point at a time, with a constant step $\eta$. A step changes $W$
# only when $y N_{FC}(x) < 1$. Brutzkus et al. count these **non-zero updates**. If some $w^*$ has
# margin 1 and every input has $\|x\| \le R$, SGD reaches zero training loss after at most about
# $\|w^*\|^2 R^2/\alpha^2$ of them. That is the leading term; the remaining terms vanish as $k$ grows.
# The trained network is determined by the points it was updated on, so a compression bound turns the
# count into a sample complexity of the same order. On $D$ we have $\|\hat w\|^2 = 2n$ (above) and
# $R^2 = n$, so the leading term is $2n^2/\alpha^2$.
#
# ```{admonition} Claim checked here (FCN-SGD)
# :class: important
# SGD on the leaky-ReLU network reaches zero training loss on $D$, and the number of updates it needs
# grows with $n$ no faster than the bound $\|\hat w\|^2 R^2 = O(n^2)$ allows. LW_CNN's test error, on
# the same samples, does not grow with $n$ (Theorem 5.1: $O(d)$ for any $n$).
# ```
#
# For each $n$, the cell below draws several training sets of $m = 200$ points, which is inside
# Theorem 5.1's $m \gtrsim 100$. It trains the network by SGD on each set until a whole epoch passes
# without an update. It also trains LW_CNN on the same sets, inside Theorem 5.1's regime
# ($k = 8d^3 + 1$ channels, with $\eta_1$ and $r$ at the theorem's bounds). Both networks are tested on
# the same fresh points. A second sweep fixes $n$ and varies $m$.

# %%
import pandas as pd

by_n = lib.run("fcn_sgd_n", k=50, alpha=0.5, v=1.0, lr=0.01)
by_m = lib.run("fcn_sgd_m", k=50, alpha=0.5, v=1.0, lr=0.01)
fcn_sgd = claims.fcn_sgd(by_n)
columns = ["updates", "epochs", "bound", "fcn_test_error", "cnn_test_error"]
pd.concat(
    [by_n.groupby("n")[columns].mean(), by_m.groupby("m")[columns].mean()],
    keys=["against n", "against m"],
).round(3)

# %% tags=["remove-cell"]
from lib.stats import loglog_slope

slope_upd, half_upd = loglog_slope(by_n["n"], by_n["updates"])
upd = by_n.groupby("n")["updates"].mean()
err_n = by_n.groupby("n")[["fcn_test_error", "cnn_test_error"]].mean()
glue("sgd_d", int(by_n["d"].iloc[0]), display=False)
glue("sgd_seeds", int(by_n["replica"].nunique()), display=False)
glue("sgd_n_lo", int(upd.index.min()), display=False)
glue("sgd_n_hi", int(upd.index.max()), display=False)
glue("sgd_upd_lo", float(upd.iloc[0]), display=False)
glue("sgd_upd_hi", float(upd.iloc[-1]), display=False)
glue("sgd_slope", slope_upd, display=False)
glue("sgd_half", half_upd, display=False)
glue("sgd_ratio", float((by_n["updates"] / by_n["bound"]).max()), display=False)
glue("sgd_fcn_err_hi", float(err_n["fcn_test_error"].iloc[-1]), display=False)
glue("sgd_cnn_err_hi", float(err_n["cnn_test_error"].iloc[-1]), display=False)
glue("sgd_converged", f"{int(by_n['converged'].sum())}/{len(by_n)}", display=False)
glue("sgd_ours", fcn_sgd.ours, display=False)
glue("sgd_verdict", fcn_sgd.verdict, display=False)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The leaky-ReLU network of Brutzkus et al. (2018) trained by SGD on $D$, with LW_CNN on the same samples. Left: the number of non-zero SGD updates against $n$ ($m = 200$) on log–log axes, one dot per run, with the bound's leading term $2n^2/\\alpha^2$ dashed and the fitted power law dotted. Middle and right: the test errors of both networks against $n$ and against $m$ (means, 95% CI bars). Compare the slope of the updates with the dashed line's slope of 2, and see where the two networks' errors part.", "name": "fig-fcn-sgd"}}
fig, axes = plotting.fcn_sgd_figure(by_n, by_m, slope=slope_upd)

# %% [markdown]
# At $d =$ {glue:text}`sgd_d`, with {glue:text}`sgd_seeds` samples per point, SGD needed a mean of
# {glue:text}`sgd_upd_lo:.0f` updates at $n =$ {glue:text}`sgd_n_lo` and {glue:text}`sgd_upd_hi:.0f`
# at $n =$ {glue:text}`sgd_n_hi`. The fitted exponent is {glue:text}`sgd_slope:.2f` ±
# {glue:text}`sgd_half:.2f` (95% interval), against 2 for the bound. No run used more than
# {glue:text}`sgd_ratio:.2f` times the bound's leading term $2n^2/\alpha^2$, and
# {glue:text}`sgd_converged` runs reached zero training loss. At the largest $n$ the network's test
# error is {glue:text}`sgd_fcn_err_hi:.3f`, and LW_CNN's is {glue:text}`sgd_cnn_err_hi:.3f`.
# In full: {glue:text}`sgd_ours`. The verdict, by the rule "every SGD run reaches zero training
# loss; the 95% interval of the updates' exponent in $n$ has its lower end in $(0, 2]$; the 95% Welch
# interval of LW_CNN's error at the largest $n$ minus its error at the smallest $n$ is not above 0",
# is **{glue:text}`sgd_verdict`**.
#
# The update count measures the guarantee, not the error: the bound says SGD needs *at most* this many
# updates, and the paper proves no lower bound for fully connected networks. The test errors beside it
# are what the §7 experiments compare.
#
# ```{admonition} Our choices for this section
# :class: note
# {cite:t}`brutzkus2018sgd` state their result for any $0 < \alpha < 1$, $v > 0$, step $\eta$, width
# and small initialisation. We chose $k = 50$ units of each sign, $\alpha = 0.5$, $v = 1$,
# $\eta = 0.01 = 1/(2k)$, Gaussian initial rows with $\mathbb E\|w_i\|^2 = 10^{-6}$, and a fresh random
# order of the training set in each epoch. We stop after the first epoch without an update, and
# after 2,000 epochs at most. We also chose $d = l = 4$, the standard basis
# (both networks' initialisations are rotation-invariant), $m$, the grids of $n$ and $m$, and, for
# LW_CNN, $T_1 = 50$, $\eta_2 = 4k$, $T_2 = 500$. They are the settings of `lib.run("fcn_sgd_n")`,
# which a reader can override.
# ```
