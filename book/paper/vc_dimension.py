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
# # §4 The VC dimension of max-pooling networks
#
# Before analysing gradient descent, {cite:t}`brutzkus2021maxpool` ask whether the classical theory
# of uniform convergence could explain why their max-pooling network learns the distribution $D$
# from few samples. Their §4 answers no: on the support of $D$ alone, the network class has a VC
# dimension exponential in $d$. This chapter states the result, sketches its proof, builds the proof's
# shattered set and its networks, and checks **every** labelling numerically. It then shows what the
# bound means in practice: two networks of the same class, both with zero training error on the same
# points, of which one is right everywhere and the other wrong on every unseen point.
#
# ## Growth function and VC dimension
#
# ```{prf:definition} 4.1 (Brutzkus & Globerson): growth function and VC dimension
# :nonumber:
# :label: def-growth-vc
#
# Let $\mathcal H$ be a set of functions $h: \mathcal X \to \{-1, +1\}$. For a finite
# $C = \{c_1, \dots, c_m\} \subseteq \mathcal X$, let
# $\mathcal H_C = \{(h(c_1), \dots, h(c_m)) : h \in \mathcal H\}$ be the set of labellings of $C$
# that $\mathcal H$ realises. The **growth function** of $\mathcal H$ is
#
# $$
# \Pi_{\mathcal H}(m) = \max_{C \subseteq \mathcal X,\ |C| = m} |\mathcal H_C| \;\le\; 2^m .
# $$
#
# $\mathcal H$ **shatters** $C$ when $|\mathcal H_C| = 2^{|C|}$, that is, when it realises every
# labelling of $C$. The **VC dimension** of $\mathcal H$ is the largest $m$ with
# $\Pi_{\mathcal H}(m) = 2^m$, the size of the largest shattered set (infinite if there is no largest).
# ```
#
# The class of §4 is that of the network of Eq. 1,
# $N(x; W, a) = \sum_{i=1}^{k} a_i \max_{1 \le j \le n} \relu(w_i \cdot x[j])$, with **any** number of
# channels $k$, restricted to the support $\mathcal X$ of $D$:
# $\mathcal H_{CNN}(\mathcal X) = \{x \mapsto \operatorname{sign} N(x; W, a)\}$, with the paper's
# convention $\operatorname{sign}(0) = -1$.
#
# ```{prf:theorem} 4.2 (Brutzkus & Globerson)
# :nonumber:
# :label: thm-vc-lower-bound
#
# Let $d = 2n$ with $n \ge 2$, let $\mathcal X$ be the support of $D$, and let the number of channels
# be unbounded. Then $\operatorname{VCdim}(\mathcal H_{CNN}(\mathcal X)) \ge 2^{d/2 - 1}$.
# ```
#
# ```{prf:proof}
# *(A sketch in our words.)* Take the standard basis $o_1, \dots, o_{2n}$ of $\R^{2n}$. Pair the
# spurious patterns by position: position $j \in \{1, \dots, n-1\}$ gets the pair
# $\{o_{2j+1}, o_{2j+2}\}$. For every $I \in \{0, 1\}^{n-1}$ let $x_I$ hold $o_{2j+1}$ at position $j$
# when $I_j = 1$ and $o_{2j+2}$ when $I_j = 0$, and $o_1$ or $o_2$ (either) at position $n$. These
# $N = 2^{n-1}$ points are in the support of $D$. Let $s_I = \sum_{j<n} x_I[j]$.
#
# *One channel.* A filter $s_I$ scores $1$ on a patch of $x_{I'}$ that it shares with $x_I$ and $0$ on
# every other patch. Two points share a patch exactly when $I$ and $I'$ agree in some coordinate,
# i.e. unless $I'$ is the complement $I^c$ of $I$. So
# $\max_j \relu(s_I \cdot x_{I'}[j]) = \mathbb 1[I \ne I'^c]$.
#
# *The network.* Given $\alpha \in \R^N$, put a channel $w^{(I)} = \max(\alpha_I, 0)\, s_I$ with output
# weight $+1$ and a channel $u^{(I)} = \max(-\alpha_I, 0)\, s_I$ with output weight $-1$ for every $I$
# ($2^n$ channels). The ReLU is positively homogeneous, so the two channels of $I$ contribute
# $\alpha_I\, \mathbb 1[I \ne I'^c]$, and
#
# $$
# N(x_{I'}) = \sum_{I \ne I'^c} \alpha_I .
# $$
#
# *The labels.* To get $N(x_{I'}) = y_{I'}$ for every $I'$, write $J = I'^c$: the conditions read
# $\sum_{I \ne J} \alpha_I = y_{J^c}$ for every $J$, the linear system $(\mathbf 1 \mathbf 1^\top - \mathrm{Id})\,\alpha = b$
# with $b_J = y_{J^c}$. Its matrix has eigenvalues $N - 1$ (on $\mathbf 1$) and $-1$ (on
# $\mathbf 1^\perp$), so it is invertible for $N \ge 2$, and the Sherman–Morrison formula gives its
# inverse, $\mathbf 1 \mathbf 1^\top/(N-1) - \mathrm{Id}$. The network of $\alpha$ then outputs exactly
# $y_{I'}$ on every $x_{I'}$, whatever the labels: the $2^{n-1} = 2^{d/2-1}$ points are shattered.
# ```
#
# The paper's conclusion: a learner that only promises *some* hypothesis of this class with zero
# training error may need a number of samples exponential in $d$, so a VC argument cannot explain the
# $O(\sqrt{d/m})$ test error that §5 proves for layer-wise gradient descent (chapter {doc}`lw_cnn_theory`).

# %% tags=["remove-cell"]
import numpy as np
import pandas as pd
from myst_nb import glue

import lib
from lib import claims, plotting, shattering
from lib.experiments import vc
from lib.stats import summarize

plotting.set_theme()

# %% [markdown]
# ## The construction, one labelling
#
# `lib.shattering` builds the proof for a given $n$, in float64. The points are rows of
# `OrthogonalPatterns(n, 2n).patterns` (0-based: row $p$ is $o_{p+1}$), and $I$ is stored as the
# integer whose binary digits are $I_1 \dots I_{n-1}$, so that $I^c$ is $N - 1 - I$. It solves the
# system in the closed form $\alpha_J = \frac{1}{N-1}\sum_I y_I - y_{J^c}$ (Sherman–Morrison, no
# matrix is inverted), and loads the $2^n$ channels into a `ConvPool` as its `W` and `a`. For $n = 3$,
# four points and one labelling of them:

# %%
y = np.array([1.0, -1.0, -1.0, 1.0])
alpha = shattering.solve_alpha(3, y)
net = shattering.network(3, y)
X, _ = shattering.points(3)
print("alpha   :", alpha.numpy())
print("N(x_I)  :", net(X)[0].numpy())
print("channels:", tuple(net.W.shape[1:]), "(k, d)")

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The shattered set for $n = 4$ ($d = 8$, $2^{n-1} = 8$ points). Left: each row is a point $x_I$, each column a patch position; position $j < n$ holds one pattern of its own pair (one hue, the two patterns in two shades), and the last position holds $o_1$ (blue) or $o_2$ (vermilion), whichever label the point should have under $D$. Right: the response of the unit-weight channel $s_I$ to the point $x_{I'}$. Look at the anti-diagonal: a channel responds to every point except the complement of its own, which is what makes the linear system of the proof solvable.", "name": "fig-shattered-set"}}
fig, axes = plotting.shattered_set(
    shattering.pattern_indices(4, last=[1, -1, 1, 1, -1, -1, 1, -1]).numpy(),
    shattering.response_matrix(4),
)

# %% [markdown]
# ## Every labelling, checked
#
# The check of a batch of labellings builds one `ConvPool` replica per labelling (the replica axis of
# the network), evaluates all of them on the $2^{n-1}$ points with the network's own forward pass, and
# compares $\operatorname{sign} N(x_I)$, with $\operatorname{sign}(0) = -1$, to $y_I$. For
# $n = 2, \dots, 5$ it goes through **every** labelling; for $n = 6, 7, 8$, where there are
# $2^{32}$ or more, through seeded uniformly random ones. Each row below is one `vc_shattering` point
# of the results cache: `cond` is the condition number of the system matrix, computed by
# `numpy.linalg.cond`, and the last two columns measure how far $N(x_I)$ is from the proof's exact
# value $y_I$.

# %%
checks = lib.run("vc_shattering")

# %% tags=["hide-input"]
shown = pd.DataFrame(
    {
        "n": checks["n"],
        "d": checks["d"],
        "points": checks["points"],
        "labellings tried": [
            f"{w} {t:,}" for w, t in zip(checks["labellings"], checks["labellings tried"])
        ],
        "realised": checks["realised"].map("{:,}".format),
        "cond": checks["cond"].map("{:.4g}".format),
        "channels": checks["channels"],
        "max |N - y|": checks["max |N - y|"].map("{:.1e}".format),
        "1 - min |N|": (1 - checks["min |N|"]).map("{:.1e}".format),
    }
)
shown.style.hide(axis="index")

# %% [markdown]
# The next cell is the check of Theorem 4.2's construction: the page fails to build if one labelling
# is not realised, if one output is further than $10^{-9}$ from its label, or if the table disagrees
# with the proof (condition number $2^{n-1} - 1$, $2^n$ channels, $2^{2^{n-1}}$ labellings where all
# are tried).

# %%
vc_claim = claims.shattering(checks)
assert vc_claim.holds, vc_claim.ours
assert (checks["realised"] == checks["labellings tried"]).all(), "a labelling is not realised"
assert (checks["max |N - y|"] < 1e-9).all() and (checks["min |N|"] > 1 - 1e-9).all()
assert np.allclose(checks["cond"], 2.0 ** (checks["n"] - 1) - 1, rtol=1e-9)
assert (checks["channels"] == 2 ** checks["n"]).all() and (
    checks["points"] == 2 ** (checks["n"] - 1)
).all()
exhaustive = checks[checks["labellings"] == "all"]
assert list(exhaustive["n"]) == [2, 3, 4, 5]
assert (exhaustive["labellings tried"] == 2 ** exhaustive["points"]).all()
assert (checks.loc[checks["labellings"] == "random", "labellings tried"] >= 1_000).all()

# %% tags=["remove-cell"]
by_n = checks.set_index("n")
glue("vc_total_labellings", int(checks["labellings tried"].sum()), display=False)
glue("vc_n5_labellings", int(by_n.loc[5, "labellings tried"]), display=False)
glue("vc_n5_points", int(by_n.loc[5, "points"]), display=False)
glue("vc_random_count", int(by_n.loc[8, "labellings tried"]), display=False)
glue("vc_n8_points", int(by_n.loc[8, "points"]), display=False)
glue("vc_n8_channels", int(by_n.loc[8, "channels"]), display=False)
glue("vc_n8_cond", float(by_n.loc[8, "cond"]), display=False)
glue("vc_max_error", float(checks["max |N - y|"].max()), display=False)
glue("vc_min_margin_gap", float(1 - checks["min |N|"].min()), display=False)
glue("vc_orders", int(np.floor(-np.log10(checks["max |N - y|"].max()))), display=False)

# %% [markdown]
# All {glue:text}`vc_total_labellings:,` labellings in the table are realised, among them all
# {glue:text}`vc_n5_labellings:,` labellings of the {glue:text}`vc_n5_points` points for $n = 5$, and
# {glue:text}`vc_random_count:,` random labellings of the {glue:text}`vc_n8_points` points for $n = 8$
# (a network of {glue:text}`vc_n8_channels` channels each). The outputs are not merely of the right
# sign: they equal the labels up to {glue:text}`vc_max_error:.1e`, and the smallest $|N(x_I)|$ is
# $1 - ${glue:text}`vc_min_margin_gap:.1e`, as the proof says. The rounding error grows with $n$, as
# the condition number $2^{n-1} - 1$ does ({glue:text}`vc_n8_cond:.0f` at $n = 8$), but it stays
# at least {glue:text}`vc_orders` orders of magnitude below the unit margin: the construction is exact
# in floating point, not only on paper.
#
# ## What the bound means
#
# A shattered set makes zero training error worthless as evidence by itself. Take the shattered set
# for $n = 8$ and give each point its **true** label under $D$: draw a fair sign, and put $o_1$ in the
# last position of the positive points and $o_2$ in that of the negative ones. Draw $m$ of the
# $2^{n-1}$ points as a training set. Two rules of the class $\mathcal H_{CNN}$ fit it perfectly:
#
# - **the construction**, fitted to the labelling that is true on the training points and *flipped* on
#   every other point of the shattered set. It has zero training error and, by design, errs on every
#   unseen point of the shattered set;
# - **LW_CNN**, the paper's Algorithm 1 (layer-wise gradient descent, `lib.train_layerwise`), trained
#   on the same $m$ points.
#
# Both are then evaluated on the unseen points of the shattered set and on fresh points of $D$.
#
# ```{admonition} Our choices in this section
# :class: note
# The paper runs no experiment for §4. The settings of this demonstration are ours, and are the
# arguments of `vc_memorisation` in `lib/experiments/vc.py`: $n$ = {glue:text}`demo_n`
# ($d$ = {glue:text}`demo_d`, {glue:text}`demo_points` shattered points), true labels and training
# points drawn uniformly from a seed, {glue:text}`demo_seeds` seeds per $m$. LW_CNN has
# $k$ = {glue:text}`demo_k` channels, far below the $8d^3$ = {glue:text}`demo_k_theorem:,` that
# Theorem 5.1 asks for, but otherwise follows its step rules: $T_1$ = {glue:text}`demo_T1`,
# $\eta_1 = 1/(4k(T_1+1))$, initial radius $r = \eta_1/200$, $\eta_2 = 4k < 8k$, and
# $T_2$ = {glue:text}`demo_T2` second-layer steps, all in float64. The test set is
# {glue:text}`demo_test:,` fresh points of $D$ (standard basis, $l = d$).
# ```

# %%
demo = lib.run("vc_memorisation")

# %% tags=["remove-cell"]
long = demo.melt(
    id_vars=["model", "seed", "m"],
    value_vars=["train_error", "unseen_error", "test_error"],
    var_name="where",
    value_name="error",
)
long["where"] = long["where"].str.replace("_error", "")
errors = summarize(long, ["model", "where", "m"], "error")
point = demo.iloc[0]  # the setting of the run (every row carries its point's parameters)
glue("demo_n", int(point["n"]), display=False)
glue("demo_d", 2 * int(point["n"]), display=False)
glue("demo_points", 2 ** (int(point["n"]) - 1), display=False)
glue("demo_seeds", int(demo.seed.nunique()), display=False)
glue("demo_k", int(point["k"]), display=False)
glue("demo_k_theorem", 8 * (2 * int(point["n"])) ** 3, display=False)
glue("demo_T1", int(point["T1"]), display=False)
glue("demo_T2", int(point["T2"]), display=False)
glue("demo_test", int(lib.samples.THEORY_TEST_SIZE), display=False)
M = 32  # the headline training-set size (in both profiles' grids)
at = errors[errors["m"] == M].set_index(["model", "where"])["mean"]
glue("demo_m", M, display=False)
for model in ("construction", "LW_CNN"):
    for where in ("train", "unseen", "test"):
        glue(f"demo_{model}_{where}", float(at[(model, where)]), display=False)
small = errors[(errors["m"] == errors["m"].min()) & (errors["model"] == "LW_CNN")].set_index(
    "where"
)["mean"]
glue("demo_m_min", int(errors["m"].min()), display=False)
glue("demo_m_min_half", int(errors["m"].min()) // 2, display=False)
glue("demo_cnn_small_train", float(small["train"]), display=False)
glue("demo_cnn_small_test", float(small["test"]), display=False)
lw_big = errors[(errors["model"] == "LW_CNN") & (errors["m"] >= M)]
glue("demo_cnn_big_max", float(lw_big["mean"].max()), display=False)

# %%
mem = demo[demo["model"] == "construction"]
assert (mem["train_error"] == 0).all() and (mem["unseen_error"] == 1).all()
assert mem["test_error"].between(0.4, 0.6).all()  # chance on D
lw = demo[(demo["model"] == "LW_CNN") & (demo["m"] >= M)]
assert (lw["train_error"] == 0).all() and lw["test_error"].mean() < 0.05

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Error of two zero-training-error rules of the same network class against the number $m$ of training points taken from the shattered set ($n = 8$, $d = 16$), mean and 95% interval over seeds. Left: the shattered points not in the training set. Right: fresh points of $D$. The dashed line is chance. Look at the gap between the two rules at equal (zero) training error: the construction is wrong on every unseen shattered point and at chance on $D$, while LW_CNN is right on both once it has a handful of points.", "name": "fig-memorisation"}}
fig, axes = plotting.memorisation_errors(errors[errors["where"] != "train"])

# %% [markdown]
# With $m$ = {glue:text}`demo_m` training points, both rules have zero training error (measured:
# {glue:text}`demo_construction_train:.2f` for the construction, {glue:text}`demo_LW_CNN_train:.2f`
# for LW_CNN). The construction errs on a fraction {glue:text}`demo_construction_unseen:.2f` of the
# unseen shattered points, worse than a coin, and on a fraction
# {glue:text}`demo_construction_test:.3f` of fresh points of $D$: chance. The latter is no accident.
# Its filters are combinations of $o_3, \dots, o_d$, so its output does not depend on which of $o_1$,
# $o_2$ a point holds, and the spurious patterns of $D$ are independent of the label. LW_CNN, trained on
# the same points, errs on {glue:text}`demo_LW_CNN_unseen:.2f` of the unseen shattered points and on
# {glue:text}`demo_LW_CNN_test:.3f` of fresh points of $D$ (at most
# {glue:text}`demo_cnn_big_max:.3f` for every $m \ge$ {glue:text}`demo_m`). With only
# $m$ = {glue:text}`demo_m_min` points, split into two halves of {glue:text}`demo_m_min_half` for its two stages, it does not
# always fit its training set (training error {glue:text}`demo_cnn_small_train:.2f`, test error
# {glue:text}`demo_cnn_small_test:.2f`).
#
# So the class is rich enough to contain, for the same training set, a perfect classifier and a
# maximally wrong one, and {prf:ref}`Theorem 4.2 <thm-vc-lower-bound>` says that this remains true for
# every training set taken from a shattered set of $2^{d/2-1}$ points, as long as some of its points
# are left unseen. What separates the two rules is not the class but the algorithm:
# started from small weights, the first layer of LW_CNN grows its lucky filters towards $o_1$ and
# $o_2$ and leaves the spurious patterns alone (Lemma 5.3). That is the inductive bias that §5 turns
# into the $O(\sqrt{d/m})$ bound of Theorem 5.1, which depends on $d$ and not on the VC dimension.
