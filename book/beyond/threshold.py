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
# # How many channels does the analysis need?
#
# This chapter is the book's own measurement, not a claim of the paper. Theorem 5.1 of
# {cite:p}`brutzkus2021maxpool` (its §5, checked in {doc}`../paper/lw_cnn_theory`) proves that the
# layer-wise algorithm LW_CNN (Algorithm 1) reaches zero loss and generalizes when the network has
# $k > 8d^3$ channels: 64,000 at $d = 20$, where the paper's own experiments (§7) train 500. The
# theorem says nothing about smaller $k$. Here we measure, for each $d$, the smallest $k$ at which
# the algorithm actually works, and which step of the proof breaks below it.
#
# The bound $8d^3$ comes from Lemma 5.2: with that many channels, each sign has between $k/(4d)$ and
# $k/d$ *lucky* filters (filters that detect their class's pattern at initialisation and carry the
# matching second-layer sign) with probability $1 - 4e^{-d}$. The rest of the proof needs far less:
# one lucky filter of each sign. A channel is lucky positive with probability
# $p = (1 - 2^{1-d})/(2(d-1))$, lucky negative with the same $p$, never both, so among $k$ channels
#
# $$
# P(\text{a lucky filter of each sign}) = 1 - 2(1-p)^k + (1-2p)^k
# $$
#
# by inclusion-exclusion. The smallest $k$ that makes this at least $0.95$ is what the lucky-filter
# argument alone asks for (`lib.theory.lucky_channels`).

# %% tags=["remove-cell"]
import pandas as pd
from myst_nb import glue

import lib
import lib.experiments.threshold as threshold
from lib import plotting
from lib.protocol import LW
from lib.tables import show

plotting.set_theme()
profile = lib.current_profile()
LABELS = {
    "theorem": "LW_CNN, Theorem 5.1's steps",
    "relaxed": "LW_CNN, §7's relaxed steps",
    "adam": "ConvPool end to end, Adam",
}

# %% [markdown]
# ```{admonition} The measurement and our choices
# :class: note
# **k\*(d)** is the smallest $k$ at which at least 95% of the seeds reach a test accuracy of at least
# 99% (test error at most 1%, on 2,000 fresh points, computed exactly). Each $k$ tried (a *probe*)
# trains every seed at once, as the replicas of one batched model, each on its own training set.
# The search doubles $k$ from 2 (one channel never works: its output $a_1 z_1(x)$ has the same sign
# for every input) until a probe passes, then bisects between the last failing and the first passing
# $k$ until they are within 10% of each other (25% in the quick profile); every probe is a cached point of the experiment
# `k_probe`, so the search is a function of the profile and the cache.
#
# Data: the §7 distribution ($l = d$ patterns, the rows of a random orthogonal matrix), $n = 10$
# patches and $m = 200$ training points at every $d$: the §5 chapter's $m$, the same at every $d$ so
# that only the channels change. Three ways to train ConvPool, on the same training sets:
# - **Theorem 5.1's steps**: Algorithm 1 with $\eta_1 = 1/(4k(T_1+1))$, $r = \eta_1/200$ (as
#   `lib.theory.regime` gives them), $T_1 = 50$, $\eta_2 = 4k$, $T_2 = 500$, in float64;
# - **§7's relaxed steps**: Algorithm 1 with the fixed values that §7's layer-wise comparison uses,
#   chosen there before this chapter existed (`lib.protocol.LW`, printed below), in float32;
# - **Adam end to end**: ConvPool trained as in §7's Fig. 3a (its epochs, batch size, and the step
#   size and radius its validation rule selected).
#
# Both profiles use 10 seeds per probe, so that "95% of the seeds" means all of them; the quick
# profile (what CI runs) searches fewer $d$.
# ```

# %%
df = lib.run("k_threshold")
table, modes = threshold.thresholds(df), threshold.failure_modes(df)
print(
    f"profile {profile}: d in {sorted(table.d.unique().tolist())}, {int(df.seeds.iloc[0])} seeds per probe, "
    f"{int(table.probes.sum())} probes; relaxed steps {LW}"
)

# %% tags=["remove-cell"]
for name, value in threshold.chapter_facts(df).items():
    glue(name, value, display=False)

# %% [markdown]
# ## The threshold against d
#
# One row per $d$: k\* for each way of training, next to the theorem's $8d^3$ and the lucky-filter
# count.

# %%
wide = table.pivot(index="d", columns="choice", values="k*")[list(LABELS)].rename(columns=LABELS)
wide["Theorem 5.1: 8d^3"] = table.groupby("d")["8d^3"].first()
wide["lucky filters of each sign w.p. 0.95"] = table.groupby("d")["lucky-filter k"].first()
assert table["k*"].notna().all(), "some search found no k <= 8d^3 that works"
assert (table["k*"] <= table["8d^3"] / 10).all(), "k* above a tenth of 8d^3"
show(wide.astype(int).rename_axis(columns=None))

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The smallest number of channels $k^*$ at which at least 95% of the seeds reach 99% test accuracy, against $d$ on log-log axes, for LW_CNN with the theorem's steps and with relaxed steps, and for Adam end to end. Each marker is the first passing $k$ of the search, its bar reaches down to the last failing $k$ below it. The solid line is Theorem 5.1's $8d^3$, the dashed line the $k$ at which a lucky filter of each sign exists with probability 0.95. Look at the distance between the markers and the two lines, and at how flat the markers are.", "name": "fig-k-threshold"}}
fig = plotting.channel_threshold_figure(table, LABELS)

# %%
fits = pd.DataFrame(
    {LABELS[c]: threshold.exponent(table, c) for c in LABELS},
    index=["exponent", "95% low", "95% high"],
)
show(fits.T.round(2))

# %% [markdown]
# At every $d$ measured, LW_CNN works with at most {glue:text}`largest_fraction:.4f` of the channels
# the theorem asks for (the largest k\* of the two layer-wise choices is {glue:text}`largest_k_star`).
# It even works below the lucky-filter count in {glue:text}`below_lucky` (choice, $d$) pairs: at
# $d =$ {glue:text}`d_max` the argument asks for {glue:text}`lucky_d_max` channels. The fitted
# exponents of $k^*(d) \propto d^{\alpha}$ (least squares on log-log axes, 95% interval from the
# regression's $t$ distribution with $n_d - 2$ degrees of freedom; each k\* is itself known only to the
# search's resolution, {glue:text}`resolution:.0%`) are $\alpha =$ {glue:text}`slope_theorem:.2f` {glue:text}`slope_theorem_ci` with the
# theorem's steps, {glue:text}`slope_relaxed:.2f` {glue:text}`slope_relaxed_ci` with the relaxed steps
# and {glue:text}`slope_adam:.2f` {glue:text}`slope_adam_ci` for Adam, against
# {glue:text}`slope_lucky:.2f` for the lucky-filter count and 3 for the theorem.
#
# ## What fails below the threshold
#
# Each seed of a probe below k\*(d) is classified by the first step of the proof that it breaks, in
# the proof's order: (a) at initialisation there is no lucky filter of one sign (Lemma 5.2's sets);
# (b) a lucky filter leaves the set of detectors of its pattern during the first phase (Lemma 5.3 and
# Corollary 5.4; not defined for Adam, which has no first phase); (c) the second layer misclassifies a
# point of its own training set ($S_2$; $S$ for Adam), the separation of Part 3; (d) it fits that set
# but the test error is above 1%. The table sums the probes below k\*; the one below it lists every
# probe.

# %%
assert (modes["seeds"] == modes[["works", *threshold.MODES]].sum(axis=1)).all()  # one mode per seed
theorem_steps = df[df.choice == "theorem"]
assert (theorem_steps.lucky_stopped == 0).all(), (
    "a lucky filter stopped detecting with the theorem's steps (Lemma 5.3)"
)
show(
    modes.groupby(level="choice", sort=False).sum().rename(index=LABELS).T.rename_axis(columns=None)
)

# %% tags=["hide-output"]
show(modes)

# %% [markdown]
# Below the threshold, {glue:text}`n_failing` seeds fail, and {glue:text}`n_failing_mode_a` of them
# break the first step, (a). A lucky filter stopped detecting in {glue:text}`n_stopped` of all
# {glue:text}`n_layerwise_seeds` layer-wise seeds (none with the theorem's steps, as Lemma 5.3 says:
# checked above), and of the {glue:text}`n_both_lucky` seeds below the threshold that had a lucky
# filter of each sign, {glue:text}`n_failing_both_lucky` failed. Yet (a) does not decide:
# {glue:text}`n_working_unlucky` of the {glue:text}`n_working` seeds that work below the threshold
# also lack a lucky filter of one sign. The second layer is trained on the pooled features and may
# give any channel any sign, so channels other than the lucky ones can carry the classes; the lucky
# filters are one way to get such features, not the only one.
#
# What do the failing seeds lack, whatever the first step they break? Of the failing seeds,
# {glue:text}`n_unfittable` end the first phase (or Adam's training) with pooled features that no
# second layer can fit on its training set, {glue:text}`n_slow` have features that some second layer
# could fit but whose second layer did not ({glue:text}`n_slow_theorem` of them with the theorem's
# $\eta_2 = 4k$ and $T_2 = 500$, whose second phase is slow), and {glue:text}`n_fit_fail` fit their
# training set and still have a test error above 1%: only these last failures are ones that more
# data ($m > 200$) could cure.
#
# ## What it cost
#
# Every probe's seconds are recorded in the results cache when it is computed.

# %%
show(table.groupby("choice", sort=False)[["probes", "seconds"]].sum().rename(index=LABELS).round(1))

# %% [markdown]
# The {glue:text}`probes_total` probes took {glue:text}`seconds_total:.0f` s of computation in this
# profile, on one CPU thread each.
#
# ## Summary
#
# - LW_CNN works with at most {glue:text}`largest_k_star` channels at every $d$ measured: at most
#   {glue:text}`largest_fraction:.4f` of Theorem 5.1's $8d^3$, with the theorem's own step sizes as
#   with relaxed ones.
# - The fitted exponent of k\*(d) is {glue:text}`slope_theorem:.2f` {glue:text}`slope_theorem_ci`
#   (theorem's steps), against {glue:text}`slope_lucky:.2f` for the lucky-filter count and 3 for the
#   theorem.
# - Below the threshold, {glue:text}`n_unfittable` of the {glue:text}`n_failing` failing seeds end
#   with pooled features that no second layer can fit. {glue:text}`n_failing_mode_a` of them lacked a
#   lucky filter of one sign (the first step of the proof), but so did
#   {glue:text}`n_working_unlucky` of the {glue:text}`n_working` seeds that worked: the proof's
#   mechanism is sufficient, far from necessary.
# - Adam end to end needs fewer channels than both layer-wise choices at {glue:text}`adam_fewer` of
#   the $d$ measured.
