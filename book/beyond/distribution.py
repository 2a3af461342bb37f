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
# # The pattern-detection distribution
#
# This page adds the book's own close look at the pattern-detection distribution as Part II uses it
# (the sampler's knobs, its label rule checked on many samples, and the pattern statistics that the
# later Part II pages build on); it is the book's own material, not a claim of the published paper,
# whose definition of the distribution is in {doc}`../paper/setting`. Part II pairs it with the
# authors' earlier XOR-paper network (a fixed $\pm1$ output layer, gradient descent on the hinge
# loss), not with the published paper's network (a trained second layer, sphere initialisation, the
# logistic loss and the layer-wise algorithm).
#
# The paper studies a simplified image-classification task {cite:p}`brutzkus2021maxpool`. An image is
# a row of patches, each patch is one of a few *orthogonal patterns*, and the label tells which of two
# *discriminative* patterns the image contains. This chapter builds that distribution
# (`lib.OrthogonalPatterns`), draws from it and checks its label rule on many samples.
#
# ## Definition
#
# Let $O = \{o_0, \dots, o_{d-1}\} \subset \R^d$ be an orthonormal set of patterns. By default it is
# the standard basis $o_p = e_p$. Two patterns are discriminative, $\pplus = o_0$ and $\pminus = o_1$,
# and the other $d-2$ are *spurious*. An input is $x = (x_1, \dots, x_n)$ with every patch
# $x_j \in O$, so $x \in \R^{n \times d}$. The label rule is
#
# $$
# y(x) = \begin{cases} +1 & \text{if } \pplus \in \{x_1,\dots,x_n\} \text{ (and then } \pminus \notin x),\\
#                      -1 & \text{if } \pminus \in \{x_1,\dots,x_n\} \text{ (and then } \pplus \notin x). \end{cases}
# $$
#
# Every point therefore holds exactly one kind of discriminative pattern. The sampler is:
#
# 1. draw $y$ uniform on $\{-1, +1\}$ (knob `p_positive`);
# 2. put $p_y$ at one uniformly random position (knob `copies`: how many positions);
# 3. fill the other $n - 1$ positions i.i.d. from a law over the spurious patterns (knobs
#    `spurious_probs` and `spurious_probs_negative`; default uniform and the same for both labels).
#
# ```{admonition} Our choices
# :class: warning
# The paper's text fixes orthogonal patterns, one discriminative pattern per class and spurious
# patterns elsewhere, as the published paper's $\mathcal D$ ({doc}`../paper/setting`): unit-norm
# patterns, a single copy of $p_y$, and uniform spurious patterns independent of the label. Varying
# those choices (several copies, a label-dependent spurious law) is **the book's own** extension. Each
# of these choices is a keyword argument of `OrthogonalPatterns`, so the later chapters can vary them.
# ```

# %% tags=["remove-cell"]
import pandas as pd
import torch
from myst_nb import glue

from lib import OrthogonalPatterns, plotting
from lib.tables import show

plotting.set_theme()

# %%
n, d = 10, 30
dist = OrthogonalPatterns(n, d)
dist

# %% [markdown]
# ## What a sample looks like
#
# Orthogonal patterns make an image easy to draw. We show each patch by the index $p$ of its pattern
# $o_p$. Index 0 is $\pplus$ (blue), index 1 is $\pminus$ (orange), and the spurious patterns are
# shades of grey. {numref}`fig-samples` shows eight positive and eight negative draws with $n=10$,
# $d=30$.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Sixteen draws from the distribution ($n=10$, $d=30$), one row per image and one column per patch position. The number in each cell is the index of the patch's pattern. Each positive image (top) holds $p_+$ (0, blue) exactly once and never $p_-$. Each negative image (bottom) holds $p_-$ (1, orange) exactly once and never $p_+$. The spurious patterns (grey) look alike in both classes.", "name": "fig-samples"}}
fig = plotting.pattern_samples(dist, per_class=8, seed=0)
# %% [markdown]
# ## The label rule, checked on many samples
#
# The tests in `tests/test_distributions.py` check the rule on thousands of points for several
# settings. Here it is checked again on a fresh draw of 20,000 points. The checks are: $y=+1$ exactly
# when $\pplus$ occurs, $y=-1$ exactly when $\pminus$ occurs, never both, and every patch is one of
# the $d$ patterns.

# %%
X, y = dist.sample(20_000, seed=1)
idx, _ = dist.sample_indices(20_000, seed=1)
has_plus, has_minus = (idx == 0).any(1), (idx == 1).any(1)
checks = {
    "y=+1 exactly when p_plus occurs": bool(torch.equal(has_plus, y > 0)),
    "y=-1 exactly when p_minus occurs": bool(torch.equal(has_minus, y < 0)),
    "no image holds both": bool(not (has_plus & has_minus).any()),
    "every patch is a pattern": bool(torch.equal(X, dist.patterns[idx])),
    "patterns are orthonormal": bool(torch.allclose(dist.patterns @ dist.patterns.T, torch.eye(d))),
}
assert all(checks.values()), checks
show(pd.Series(checks, name="holds on 20,000 draws").to_frame())

# %% [markdown]
# ## Pattern frequencies
#
# What the network can learn from the data is in the *pattern statistics* of the training set. For
# every pattern $p$ these are the fraction $\hat p^+_p$ of positive points that contain $p$ and the
# fraction $\hat p^-_p$ of negative points that contain $p$. The discriminative
# patterns sit at $\hat p^+ = 1, \hat p^- = 0$ and at $\hat p^+ = 0, \hat p^- = 1$. A spurious pattern
# appears in a point with probability $1 - (1 - \tfrac{1}{d-2})^{n-1}$, which is
# {glue:text}`p_spurious:.3f` here, whatever the label. In a finite training set its two frequencies
# differ only by sampling noise, and that gap, $\Delta_p = \hat p^+_p - \hat p^-_p$, is what the
# generalization analysis has to control.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Fraction of positive (blue) and negative (orange) points that contain each pattern, in a training set of $m=50$ (left) and of $m=5{,}000$ (right) points. The discriminative patterns 0 and 1 are perfectly separated. The spurious patterns 2 to 29 occur equally often in both classes on average (dashed line: the exact probability). With $m=50$ their empirical frequencies differ between the classes by chance, and with $m=5{,}000$ the difference is small.", "name": "fig-frequencies"}}
fig = plotting.pattern_frequencies(dist, (50, 5000), seed=2)
# %% tags=["remove-cell"]
glue("p_spurious", 1 - (1 - 1 / (d - 2)) ** (n - 1), display=False)

# %% [markdown]
# ## Variations the later chapters use
#
# The same class covers the paper's open assumptions: several copies of $p_y$, a skewed or
# label-dependent spurious law, and a random rotation of the patterns, which are orthonormal but no
# longer axis-aligned. The last one leaves every result unchanged for the CNN, because the network
# only sees dot products between filters and patterns, and those are rotation invariant. Invalid
# values are refused with a message that names the parameter:

# %%
for bad in (
    dict(n=0, d=30),
    dict(n=10, d=2),
    dict(n=10, d=30, p_positive=1.5),
    dict(n=10, d=30, copies=11),
):
    try:
        OrthogonalPatterns(**bad)
    except ValueError as err:
        print(f"{bad}: ValueError: {err}")
