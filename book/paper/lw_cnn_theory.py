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
# # §5 Theorem 5.1: layer-wise training reaches zero loss and generalizes
#
# The paper's main result {cite:p}`brutzkus2021maxpool` is about the layer-wise algorithm
# LW_CNN ({prf:ref}`Algorithm 1 <alg-lw-cnn>` in {doc}`setting`): full-batch gradient descent on the filters $W$
# with the second layer frozen at $a^{(0)}$, then gradient descent on $a$ with the filters frozen.
# This chapter states the theorem and each step of its proof, then measures every quantity the proof
# bounds on runs **inside** the theorem's regime, which a CPU can afford at small $d$, and on runs
# outside it, to see which step breaks first.
#
# ```{prf:theorem} 5.1 (Brutzkus & Globerson)
# :nonumber:
# :label: thm-5-1
#
# Let $S$ be $m$ i.i.d. points of $\mathcal D$ ({prf:ref}`the definition of D <def-distribution-D>`). Run LW_CNN with
# $T_1 > 0$, $\eta_1 \le \frac{1}{4k(T_1+1)}$, $\eta_2 < 8k$, filters initialised uniformly on the
# sphere of radius $r \le \eta_1/200$, and $k > 8d^3$ channels. Then, with probability at least
# $(1-\delta)(1 - 4e^{-d} - 4e^{-m/36})$,
# 1. $\lim_{T_2\to\infty} L_2(W^{(T_1)}, a^{(T_2)}) = 0$: the second phase reaches a global minimum of
#    the non-convex loss $L_2$;
# 2. $\lim_{T_2\to\infty} \mathbb P_{(x,y)\sim\mathcal D}\left[\operatorname{sign} N(x) \ne y\right]
#    = O\!\left(\sqrt{d/m}\right)$,
#
# where the $O$ hides an additive term that depends on $\delta$.
# ```
#
# ```{prf:remark} How this book reads Theorem 5.1(2)
# :nonumber:
#
# Our reading, not the paper's words: the statement names no $k$ beyond $k > 8d^3$ and no $n$, so the
# constant in $O(\sqrt{d/m})$ involves neither, which is what the paper's §6 relies on when it compares
# the CNN's $O(d)$ sample complexity with the $O(n^2)$ of fully connected networks. The theorem puts no
# condition on $m$, but $m$ enters its probability: $4e^{-m/36}$ is above 1 for $m < 50$ (the statement
# is then vacuous) and below $0.25$ only from $m = 100$. We therefore judge part (2) at $m \ge 100$ and
# show smaller samples as **outside the theorem's regime**.
# ```
#
# The regime is demanding: $k > 8d^3$ is 64,000 channels at the experiments' $d = 20$, while the
# paper's experiments (§7) use 500. At $d = 4, 5, 6$ it needs 513, 1,001 and 1,729 channels, which
# the batched engine trains in seconds, so that is where we check it. All runs are in float64: with
# $k = 513$ and $T_1 = 50$, $\eta_1 \approx 10^{-5}$ and $r \approx 5\cdot 10^{-8}$.

# %% tags=["remove-cell"]
import numpy as np
import pandas as pd
from myst_nb import glue

import lib
from lib import claims, plotting, theory
from lib.experiments import lw_theory

plotting.set_theme()

# %%
profile = lib.current_profile()
regimes = pd.DataFrame([vars(theory.regime(d, 8 * d**3 + 1, T1=50)) for d in (4, 5, 6, 20)])
regimes[["d", "k_min", "k", "T1", "lr1", "radius", "lr2_max"]]

# %% [markdown]
# ```{admonition} Our choices
# :class: note
# The theorem fixes the regime above; it leaves the rest to us. In every run of this chapter, unless a
# figure says otherwise: $n = 10$ patches, $l = d$ patterns in the standard basis (the sphere
# initialisation is rotation-invariant, so every measured quantity has the same law in any orthonormal
# basis), $T_1 = 50$, the largest allowed $\eta_1 = 1/(4k(T_1+1))$ and $r = \eta_1/200$,
# $\eta_2 = 4k$, $T_2 = 2{,}000$ (500 in the sweeps over $m$, $k$ and $n$), $m = 200$, and test errors
# on 10,000 fresh points (2,000 in the quick profile). These are the keyword arguments of `lib.experiments.lw_theory.run_layerwise`.
# ```
#
# ## The proof in three parts
#
# Write $A^{\pm} = \{i : a_i^{(0)} = \pm 1\}$ for the channels whose frozen second-layer weight is
# $\pm1$, and $W_t^+$ for the channels whose filter, at step $t$, has its largest score among the
# patterns other than $o_2$ at $o_1$, and a positive one ($W_t^-$: the same with $o_2$ and $o_1$
# exchanged). The **lucky filters** are $W_0^+ \cap A^+$ and $W_0^- \cap A^-$: detectors of the right
# pattern from the start, with the right sign in the second layer.
#
# ```{prf:lemma} 5.2 (Brutzkus & Globerson)
# :nonumber:
# :label: lem-5-2
#
# With probability at least $1 - 4e^{-d}$,
# $\frac{k}{4d} \le |W_0^+ \cap A^+|,\ |W_0^- \cap A^-| \le \frac{k}{d}$.
# ```
#
# ```{admonition} The book's remark: the lemma needs $l = d$
# :class: note
# The paper's setting allows $3 \le l \le d$ patterns, and the lemma states no condition on $l$, but its
# proof counts the $d - 1$ patterns other than $o_2$, so it holds for $l = d$. With $l$ patterns the same
# argument gives $P(i \in W_0^+ \cap A^+) = \frac{1 - 2^{1-l}}{2(l-1)}$, which for $l = 3$ is $3/16$, above the
# lemma's upper bound $1/d$ once $d \ge 6$. Every run of this chapter has $l = d$; the proof also uses
# the theorem's $k > 8d^3$ (Hoeffding's inequality with deviation $\frac{1}{4d}$ needs $k \ge 8d^3$ for
# the probability $2e^{-d}$).
# ```
#
# ```{prf:proof}
# A filter uniform on the sphere has i.i.d.-symmetric scores with orthonormal patterns, so its arg-max
# over the $d-1$ patterns other than $o_2$ is uniform, and that maximum is negative only if all $d-1$
# scores are. With $a_i$ independent, $P(i \in W_0^+ \cap A^+) = \frac{1 - 2^{1-d}}{2(d-1)}$, which
# lies between $\frac1{2d}$ and $\frac{3}{4d}$ for $d \ge 3$; Hoeffding's inequality over the $k$
# independent channels with $k \ge 8d^3$ gives the interval.
# ```
#
# ```{prf:lemma} C.1 and Lemma C.2 (Brutzkus & Globerson)
# :nonumber:
# :label: lem-c-1-2
#
# For $t \le T_1$: every filter has $\|w_i^{(t)}\| \le r + \eta_1 t \le \eta_1(t+1)$, and on $S_1$ the
# network's output is small, $|N(x; W^{(t)}, a^{(0)})| \le k\eta_1(t+1) \le \frac12$.
# ```
#
# ```{prf:proof}
# The gradient of $L_1$ with respect to one filter is an average of winning patches weighted by
# $|\ell'| \le 1$, so its norm is at most 1: each step moves a filter by at most $\eta_1$. A pooled
# feature is at most the filter's norm, and there are $k$ of them; the step-size condition
# $\eta_1 \le 1/(4k(T_1+1))$ is exactly what makes the sum at most $\frac12$.
# ```
#
# ```{prf:lemma} 5.3 and Corollary 5.4 (Brutzkus & Globerson)
# :nonumber:
# :label: lem-5-3
#
# With probability at least $1 - 4e^{-d} - 4e^{-m/36}$, for every $t \le T_1$ and every lucky positive
# filter $i$: (1) $o_1 \cdot w_i^{(t)} \ge t\eta_1/9$; (2) $o_j \cdot w_i^{(t)} \le r$ for every
# $j \ne 1$; (3) the winning patch of channel $i$ is $o_1$ on every positive point of $S_1$. The same
# holds for the lucky negative filters with $o_2$ and the negative points.
# ```
#
# ```{prf:proof}
# By induction on $t$. While (3) holds, a lucky positive filter receives, from each positive point,
# the gradient $-\ell'(N)\,o_1/m_1$ with $|\ell'(N)| \ge 1/(1+\sqrt e) \ge \frac13$ (since
# $|N| \le \frac12$ by {prf:ref}`Lemma C.2 <lem-c-1-2>`), and at least a third of $S_1$ is positive with high
# probability; negative points never contain $o_1$ and, with $a_i = +1$, only push the filter away from
# the patterns they activate, so no other score grows above its initial value $\le r$. Then $o_1$ keeps
# winning, which closes the induction.
# ```
#
# ```{prf:lemma} 5.5 (Brutzkus & Globerson)
# :nonumber:
# :label: lem-5-5
#
# For every $t \ge 1$, channel $i$, position $j$ and $x$ in the support of $\mathcal D$,
# $x[j] \cdot w_i^{(t)} \le 2\eta_1 t$.
# ```
#
# ```{prf:proof}
# Each step adds at most $\eta_1$ to any score (the gradient has norm at most one and the patterns are
# unit vectors), and the initial score is at most $r \le \eta_1$.
# ```
#
# **Part 3.** Let $z(x) = \big(\max_j \sigma(w_i^{(T_1)} \cdot x[j])\big)_{i}$ be the pooled features after
# the first phase. The second layer $v^*$ that puts $+\frac{80d}{k\eta_1T_1}$ on the lucky positive
# filters and $-\frac{80d}{k\eta_1T_1}$ on the lucky negative ones separates $z(\mathcal D)$ with margin
# at least 1, by Lemmas 5.2, 5.3 and 5.5; and $\|v^*\|^2 \max\|z\|^2 = O(d)$. The second phase is
# logistic regression on linearly separable features, so gradient descent with $\eta_2 < 8k$ drives
# $L_2$ to zero and its direction to the maximum-margin separator $\hat a$ of $z(S_2)$
# {cite:p}`soudry2018implicit`; a margin bound with $\|\hat a\|^2\max\|z\|^2 \le \|v^*\|^2 \max\|z\|^2 =
# O(d)$ on the fresh sample $S_2$ gives the $O(\sqrt{d/m})$ test error.
#
# ## Inside the regime: every lemma, measured
#
# One call runs Algorithm 1 on every setting of the grid, seeds on the replica axis; the "inside"
# rows use $k = 8d^3 + 1$ and the theorem's $\eta_1$ and $r$.

# %%
lemmas = lib.run("lw_lemmas")
inside = lemmas[lemmas.setting == "inside"]
l52 = claims.lucky_filters(lemmas)
inside.groupby(["d", "k"])[["lucky_plus", "lucky_minus"]].agg(["min", "mean", "max"])

# %% tags=["remove-cell"]
glue("l52_ours", l52.ours, display=False)
glue("l52_verdict", l52.verdict, display=False)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Lemma 5.2. Lucky-filter counts over seeds for each $d$, with the lemma's interval $[k/(4d), k/d]$ shaded and the expected count $(1-2^{1-d})k/(2(d-1))$ dashed: look at whether the histograms sit inside the shaded band and around the dashed line.", "name": "fig-lucky-counts"}}
fig = plotting.lucky_count_figure(inside)
# %% [markdown]
# Lemma 5.2, measured: {glue:text}`l52_ours`. Verdict by the rule "the runs with *both* counts inside
# the interval (the lemma's event is joint) are not significantly fewer than $1-4e^{-d}$ (one-sided
# binomial test at 5%), and the mean count is within 3 standard errors of $kP$ with
# $P = \frac{1-2^{1-d}}{2(d-1)}$, the probability the proof computes" (the second part is the sharp
# prediction: a $P$ off by 20% fails it): **{glue:text}`l52_verdict`**.
#
# Along the first phase, a monitor (`lib.theory.LemmaMonitor`) checks at every step $t \le T_1$ and for
# every seed each inequality of Lemmas 5.3, 5.5, C.1, C.2 and Corollary 5.4, and counts the steps at
# which one fails.

# %%
checks = [f"viol {c}" for c in theory.LemmaMonitor.CHECKS]
violations_inside = inside.groupby("d")[checks].sum()
assert (violations_inside.to_numpy() == 0).all(), "a lemma failed inside the theorem's regime"
l53, l55 = claims.lemma_5_3(lemmas), claims.lemma_5_5(lemmas)
violations_inside

# %% tags=["remove-cell"]
glue("l53_ours", l53.ours, display=False)
glue("l55_ours", l55.ours, display=False)

# %% [markdown]
# Lemma 5.3 and Corollary 5.4: {glue:text}`l53_ours`; Lemmas 5.5, C.1 and C.2:
# {glue:text}`l55_ours`. The figure follows one setting ($d = 4$, $k = 513$) step by step.

# %%
trajectory = lib.run("lw_trajectory")
rg = theory.regime(4, 513, 50)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Left: the first phase at $d = 4$, $k = 513$, over all seeds: the smallest own-pattern score of any lucky filter against its lower bound $t\\eta_1/9$, the largest score of any channel against $2\\eta_1 t$, and the largest other score of a lucky filter against $r$ (symmetric-log axis). Right: the second-layer loss $L_2$ against the step $T_2$ on log axes. Look at the gaps between each solid line and its dashed bound, and at the slope of $L_2$.", "name": "fig-lemma-trajectory"}}
fig = plotting.lemma_trajectory_figure(trajectory, rg.lr1, rg.radius)
# %% [markdown]
# ## Part 3: the certificate, zero loss, and the second phase
#
# For every run inside the regime we build $v^*$ from the lucky filters found at $t = 0$ and measure its
# smallest margin on $z(S)$ and on the whole support of $\mathcal D_z$ (as Part 3 states; computed
# exactly, since $z(x)$ depends only on the set of patterns $x$ holds), and $\|v^*\|^2\max_{x\in S}\|z(x)\|^2/d$ (the proof's $O(d)$ quantity,
# divided by $d$). We also fit the maximum-margin separator $\hat a$ of $z(S_2)$ (a hard-margin SVM
# without bias, from the {doc}`fcn_comparison` chapter's solver) and measure
# $\|\hat a\|^2\max\|z\|^2/d$, which the proof bounds by the same quantity for $v^*$, and the cosine
# between the second layer $a^{(T_2)}$ that gradient descent found and $\hat a$: gradient descent
# converges to $\hat a$'s direction as $T_2 \to \infty$, slowly (like $1/\log T_2$).

# %%
margin = claims.margin(lemmas)
opt = claims.optimization(trajectory, lemmas)
assert margin.holds, margin.ours
inside.groupby("d")[
    [
        "cert_margin",
        "cert_norm_ratio",
        "svm_norm_ratio",
        "svm_cos",
        "L2_final",
        "train_error_S2",
        "test_error",
    ]
].agg(["min", "max"]).T

# %% tags=["remove-cell"]
glue("margin_ours", margin.ours, display=False)
glue("opt_ours", opt.ours, display=False)
glue("opt_verdict", opt.verdict, display=False)

# %% [markdown]
# The certificate: {glue:text}`margin_ours`. Zero loss (Theorem 5.1(1)): {glue:text}`opt_ours`;
# verdict by the rule "$L_2$ decreasing, its log-log slope over the last decade of $T_2$ at most
# $-0.5$, and zero training error on $S_2$ in every run": **{glue:text}`opt_verdict`**. A slope
# near $-1$ is what gradient descent on a separable logistic problem gives: the loss goes to zero like
# $1/T_2$ while the weights grow like $\log T_2$.
#
# ## Theorem 5.1(2): test error against $m$, $k$ and $n$
#
# The theorem's error bound is $O(\sqrt{d/m})$, for any $k > 8d^3$ and any $n$. We sweep each in turn,
# each point over many seeds (each seed its own sample and initialisation).

# %%
samples = lib.run("lw_samples")
gen, c = claims.generalization(samples)
samples.groupby(["d", "m"]).test_error.agg(["mean", "std", "max"]).unstack("d").round(4)

# %% tags=["remove-cell"]
bad = samples[samples.test_error > 0.01]
glue("gen_c", c, display=False)
glue("gen_ours", gen.ours, display=False)
glue("gen_verdict", gen.verdict, display=False)
glue("gen_c_all", claims.bound_constant(claims.in_theorem(samples)), display=False)
glue("gen_one_class", float(bad.one_class.mean()) if len(bad) else float("nan"), display=False)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Test error of LW_CNN against the sample size $m$ for each $d$ at $k = 8d^3+1$: mean over seeds (points, 95% CI bars) with a band of one standard deviation, and $c\\sqrt{d/m}$ dashed, with $c$ fitted at the smallest $m \\ge 100$ and the smallest $d$. Only $m \\ge 100$ is inside the theorem's regime of $m$. Look at whether the measured errors there stay under the dashed curves.", "name": "fig-gen-m"}}
fig = plotting.error_against_figure(samples, "m", c=c, xlabel="training points $m$")
# %% [markdown]
# Measured: {glue:text}`gen_ours`; verdict by the rule "at $m \ge 100$, where the theorem's probability
# is not vacuous, $c$ fitted at the smallest such $m$ and the smallest $d$ bounds the mean error at every
# other $(d, m)$ with $d = 4, \dots, 8$: no 95% interval lies entirely above $c\sqrt{d/m}$" (an error
# that stays flat as $m$ grows, or grows faster than $\sqrt d$, fails it): **{glue:text}`gen_verdict`**. The points at
# $m < 100$ are outside the theorem's regime of $m$ and are shown, not judged.
# The smallest $c$ with $c\sqrt{d/m}$ above the upper end of the 95% interval of the mean error at
# every point of the grid with $m \ge 100$ is {glue:text}`gen_c_all:.3f`.
# Of the runs with a test error above 1%, {glue:text}`gen_one_class:.0%` had a half-sample $S_1$ or
# $S_2$ with a single class (the event behind the theorem's $4e^{-m/36}$ failure probability).

# %%
widths = lib.run("lw_widths")
patches = lib.run("lw_patches")
kfree, nfree = claims.k_free(widths), claims.n_free(patches)
pd.concat(
    [
        widths.groupby(["d", "k"]).test_error.agg(["mean", "std"]),
        patches.groupby(["d", "n"]).test_error.agg(["mean", "std"]),
    ],
    keys=["width k", "patches n"],
)

# %% tags=["remove-cell"]
for name, cl in (("kfree", kfree), ("nfree", nfree)):
    glue(f"{name}_ours", cl.ours, display=False)
    glue(f"{name}_verdict", cl.verdict, display=False)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Test error of LW_CNN against the number of channels $k$ (from $8d^3+1$ to $8\\cdot 8d^3+1$, left) and against the number of patches $n$ (right), at $m = 8$ (top, outside the theorem's regime of $m$: a quarter of the runs get a one-class half-sample) and at $m = 128$ (bottom, inside). Look at whether either curve rises in the bottom row.", "name": "fig-k-n-free"}}
fig = plotting.k_n_free_figure(widths, patches)
# %% [markdown]
# Against $k$: {glue:text}`kfree_ours` — verdict **{glue:text}`kfree_verdict`**. Against $n$:
# {glue:text}`nfree_ours` — verdict **{glue:text}`nfree_verdict`**. The rule, for both and only at
# $m \ge 100$: the constant $c$ fitted at the smallest $k$ (or $n$) bounds the mean error at every
# larger one (no 95% interval entirely above $c\sqrt{d/m}$). The theorem bounds the error by a quantity
# free of $k$ and $n$; it does not say that the error at one small $m$ is the same for every $k$ or $n$.
# At $m = 8$ (top row) the theorem says nothing, and the seeds fix each run's sample whatever $k$ or
# $n$: a run whose $S_1$ or $S_2$ holds a single class fails at every $k$, so most of the error there is
# that of such samples.
#
# ## Where the guarantee stops
#
# The same monitor on runs at $d = 4$ that leave the regime in one respect each: far fewer channels
# than $8d^3$, a first-layer step $\eta_1$ larger than the theorem's bound, or an initial radius $r$
# larger than its bound (the row names give the factors). For each setting the table counts the runs
# in which each step of the proof fails (Lemma 5.2's interval; each inequality of the monitor at some
# step $t \le T_1$; Part 3's certificate
# margin $\ge 1$), names the first step, in the proof's order, that fails in some run, and gives the
# mean test error.

# %%
broken = lw_theory.breakdown(lemmas)
assert (broken.xs("inside")["first to fail"] == "none").all(), (
    "a step of the proof failed inside the regime"
)
broken

# %% [markdown]
# A failed lemma breaks the proof, not necessarily the network: compare the column "first to fail"
# with the test error to see which of the theorem's conditions matter in practice, and which are
# there for the proof.

# %% [markdown]
# ## Supplement A: the second phase in $O(d)$ steps
#
# The second phase above uses a constant step from $a^{(0)} \in \{-1, +1\}^k$. In that setting $a^{(t)}$
# turns towards the maximum-margin direction $\hat a$ only slowly, like $1/\log t$. The paper's
# supplement A gives a faster variant. Start the second layer at $a^{(0)} = 0$ and use the step
# schedule of {cite:t}`ji2019primaldual`: gradient descent on the exponential loss
# $L(a) = \frac{1}{m_2}\sum_{S_2} e^{-y\, a\cdot z(x)}$ with the step $\eta_t = \eta / L(a^{(t)})$.
# With the features scaled to $\max\|z\| = 1$, each step is
# $a^{(t+1)} = a^{(t)} + \eta \sum_i q_i\, y_i z(x_i)$, where $q$ is the softmax of the margins
# $-y_i\, a^{(t)}\cdot z(x_i)$. Every step therefore has length at most $\eta$. Write
# $\gamma(a) = \min_{S_2} y\, a\cdot z / (\|a\| \max\|z\|)$ for the normalised margin and
# $\hat\gamma = \gamma(\hat a)$ for its maximum. Ji and Telgarsky's analysis bounds the gap
# $\hat\gamma - \gamma(a^{(t)})$ by $O(\ln m_2 / (\hat\gamma t))$. Part 3 of the proof bounds
# $1/\hat\gamma^2 = \|\hat a\|^2 \max\|z\|^2$ by $O(d)$. Together they give the supplement's rate.
#
# ```{admonition} Claim checked here (J&T-RATE, supplement A)
# :class: important
# With a zero-initialised second layer and Ji and Telgarsky's schedule, $O(d)$ second-layer steps, up
# to a factor $\log m$, reach a normalised margin within a factor 2 of the maximum: $t_{1/2} = O(d \ln m_2)$,
# where $t_{1/2}$ is the first step with $\gamma(a^{(t)}) \ge \hat\gamma/2$.
# ```
#
# The cell below runs the first phase of Algorithm 1 inside the theorem's regime ($k = 8d^3 + 1$) at
# several $d$. On the features of $S_2$ it then runs two second phases from $a^{(0)} = 0$: Ji and
# Telgarsky's schedule, and Algorithm 1's constant step $\eta_2 = 4k$ on the logistic loss for
# contrast. It records $\gamma(a^{(t)})/\hat\gamma$ along the way, with $\hat a$ from the hard-margin
# SVM solver of the {doc}`fcn_comparison` chapter.

# %%
phase2 = lib.run("jt_second_phase", n=4, m=200, eta=1.0, lr2_factor=4.0)
jt = claims.jt_rate(phase2)
runs = phase2[phase2.schedule == "J&T"].groupby(["d", "replica"]).first()
runs.groupby("d")[["inv_gamma2", "t_0.5", "t_0.9", "t_0.99"]].agg(["mean", "max"]).round(2)

# %% tags=["remove-cell"]
from lib.stats import loglog_slope

runs = runs.reset_index()
b_half, h_half = loglog_slope(runs["d"], runs["t_0.5"])
b_99, h_99 = loglog_slope(runs["d"], runs["t_0.99"])
b_g, h_g = loglog_slope(runs["d"], runs["inv_gamma2"])
first = phase2[(phase2.schedule == "J&T") & (phase2.t == 1)].margin_ratio
last_t = int(phase2.t.max())
last = phase2[phase2.t == last_t].groupby("schedule").margin_ratio.min()
glue("jt_runs", len(runs), display=False)
glue("jt_d_lo", int(runs["d"].min()), display=False)
glue("jt_d_hi", int(runs["d"].max()), display=False)
glue("jt_half_max", float(runs["t_0.5"].max()), display=False)
glue("jt_first_min", float(first.min()), display=False)
glue("jt_b_half", b_half, display=False)
glue("jt_h_half", h_half, display=False)
glue("jt_b99", b_99, display=False)
glue("jt_h99", h_99, display=False)
glue("jt_bg", b_g, display=False)
glue("jt_hg", h_g, display=False)
glue("jt_T2", last_t, display=False)
glue("jt_last_jt", float(last["J&T"]), display=False)
glue("jt_last_const", float(last["constant"]), display=False)
glue("jt_ours", jt.ours, display=False)
glue("jt_verdict", jt.verdict, display=False)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The second phase of LW_CNN from $a^{(0)} = 0$, inside Theorem 5.1's regime. Left: the margin gap $1 - \\gamma(a^{(t)})/\\hat\\gamma$ against the step $t$ on log–log axes, mean over runs per $d$. Solid lines use Ji and Telgarsky's schedule, dashed lines Algorithm 1's constant step, and the dotted line is $1/t$. Right: the steps the schedule needs to reach 50%, 90% and 99% of $\\hat\\gamma$ against $d$ (one dot per run, means joined), with $d \\ln m_2$ dashed. Compare the solid lines' slope with the dotted one, and the 50% steps with the dashed line.", "name": "fig-jt-second-phase"}}
fig, axes = plotting.jt_margin_figure(phase2)

# %% [markdown]
# Over {glue:text}`jt_runs` runs at $d =$ {glue:text}`jt_d_lo` to {glue:text}`jt_d_hi`, the schedule
# reached half the maximum margin within {glue:text}`jt_half_max:.0f` step(s). A single step from
# $a^{(0)} = 0$ already points along the mean of the $y\,z(x)$, and that direction has at least
# {glue:text}`jt_first_min:.2f` of the maximum margin here. The fitted exponent of $t_{1/2}$ in $d$ is
# {glue:text}`jt_b_half:.2f` ± {glue:text}`jt_h_half:.2f`. The steps to 99% of the maximum grow like
# $d^{b}$ with $b =$ {glue:text}`jt_b99:.2f` ± {glue:text}`jt_h99:.2f`, and $1/\hat\gamma^2$ like
# $d^{b}$ with $b =$ {glue:text}`jt_bg:.2f` ± {glue:text}`jt_hg:.2f`, where Part 3 allows at most 1.
# After {glue:text}`jt_T2` steps every run of the schedule is at least {glue:text}`jt_last_jt:.3f` of
# the maximum margin. The constant step, from the same start, is only at {glue:text}`jt_last_const:.3f`.
# In full: {glue:text}`jt_ours`. The verdict, by the rule "every run reaches $\hat\gamma/2$ within
# $d \ln m_2$ steps, and the 95% interval of the exponent of those steps in $d$ is not above 1", is
# **{glue:text}`jt_verdict`**.
#
# On $D$ the supplement's bound is far from tight: the factor 2 takes one step at every $d$. The rate
# shows only closer to $\hat\gamma$. On the left, the schedule's gap falls by orders of magnitude,
# in most runs like $1/t$, the rate of Ji and Telgarsky's analysis (the per-run slopes are in the
# measurement above), while the constant step barely moves it.
#
# ```{admonition} Our choices for this section
# :class: note
# The supplement names the schedule but not its loss or constant. We use the exponential loss and
# $\eta = 1$, with the features scaled to $\max\|z\| = 1$. The contrast run uses Algorithm 1's
# logistic loss and constant $\eta_2 = 4k$ on the raw features, from the same $a^{(0)} = 0$. We also
# chose $n = 4$ patches (fewer than elsewhere in this chapter, to keep the first phase cheap at $d = 6$), $m = 200$,
# $T_2 = 2{,}000$ (500 in the quick profile), and the grid of $d$ with its
# seeds. The measured levels 90% and 99% go beyond the supplement's factor 2, which alone is judged.
# These are the settings of `lib.run("jt_second_phase")`.
# ```
