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
# # Explore it yourself: the three models of §7 over n, m and the noise
#
# The paper's §7 compares three models on the distribution $\mathcal D$ of orthogonal patterns: the
# max-pooling network ConvPool with $k = 500$ channels trained by Adam, a fully connected network (MLP)
# with as many parameters, and a linear SVM. Its figures fix all but one knob. The chart below lets you
# move three of them: the number of patches $n$, the size of the training set $m$ (the x axis, on a
# log scale) and the scale of the noise on every patch (0: none; 1: $\|v\| \le 1$, as in Fig. 3b and
# Fig. 5), at $d = 20$. Each line is a model's mean test error over the repetitions, the shaded band
# $\pm 1$ standard deviation over them. Where the paper has a figure at that setting, its points are
# drawn as open squares with its band: Fig. 3a at $n = 10$ without noise, Fig. 3b at $n = 10$ with
# noise 1, and Fig. 5 (at $m = 50$) for every $n$ with noise 1.
#
# The chart runs in your browser from numbers computed when the book was built (the `explore_grid`
# experiment of `lib.experiments.paper_figures`); it needs no kernel and no network.
#
# ```{admonition} Not evidence
# :class: note
# These are few repetitions per point and no confidence intervals; the page is for building
# intuition. Every point uses the step sizes and ConvPool's initial radius that Fig. 3b's selection
# chose (at $n = 10$, $m = 100$, noise 1), not a selection of its own: the candidate lists of each point
# are cut to the chosen values. The claims are checked in {doc}`../paper/experiments`, with a
# selection per figure and more repetitions.
# ```

# %% tags=["remove-cell"]
import pandas as pd
from IPython.display import HTML
from myst_nb import glue

import lib
from lib.paper_values import published
from lib.present import explore_data, explorer_html

# %%
profile = lib.current_profile()
grid = lib.run("explore_grid", profile)

# %% tags=["remove-cell"]
pick = grid.groupby("model")[["lr", "radius"]].first()
glue("explore_lr", float(pick.loc["ConvPool", "lr"]), display=False)
glue("explore_mlp_lr", float(pick.loc["MLP", "lr"]), display=False)
glue("explore_radius", float(pick.loc["ConvPool", "radius"]), display=False)
glue("explore_seeds", lib.settings_for("explore_grid", profile).seeds, display=False)
glue("explore_points", grid.attrs["points"], display=False)
glue("explore_seconds", grid.attrs["seconds"], display=False)

# the paper's points at the explorer's (n, noise scale):
# Figs. 3a and 3b against m at n = 10, Fig. 5 against n at m = 50
paper = (
    published("fig3a").assign(n=10, noise_scale=0.0),
    published("fig3b").assign(n=10, noise_scale=1.0),
    published("fig5")
    .query("n != 10")
    .assign(m=50, noise_scale=1.0),  # its n = 10 is Fig. 3b's m = 50
)

# %% tags=["remove-input"]
# Fig. 3b's setting first
HTML(explorer_html(explore_data(grid, pd.concat(paper, ignore_index=True)), start=(10, 1.0)))

# %% [markdown]
# Each point is the mean over {glue:text}`explore_seeds` repetitions (fresh training and test sets,
# 1,000 test points each), with Adam at step size {glue:text}`explore_lr` for ConvPool (initial radius
# {glue:text}`explore_radius`) and {glue:text}`explore_mlp_lr` for the MLP, 50 epochs of minibatches of 32. The SVM is the
# hard-margin SVM where the training set is separable, else the soft-margin one of `lib.baselines`.
# The {glue:text}`explore_points` points of this build took {glue:text}`explore_seconds:.0f` s of
# computation (or were read from the results cache). Things to try:
#
# - **Noise 0 against noise 1 at n = 10.** These are the settings of Figs. 3a and 3b: compare how fast
#   each model's error falls with m, and our lines with the paper's squares.
# - **n across the grid with noise 1.** Fig. 5 reports, at m = 50, that the MLP and the SVM approach chance
#   as n grows while ConvPool does not; the chart shows the same comparison at every m of the grid.
# - **The noise scale at a fixed n.** How much of each model's error is the noise's doing.
#
# (explore-run)=
# ## Other points, with a kernel
#
# Run this page as a notebook (below) and compute any other point of the §7 setting through
# `lib.run`, with any field of `lib.settings_for("fig3b")` overridden: for example d, k, the noise law
# or the budget. The selection then runs at the new setting, and the result is cached.
#
# ```python
# import lib
# df = lib.run("fig3b", n=20, noise_scale=0.5, grid=(10, 100), seeds=3)
# df.groupby(["model", "m"]).test_error.agg(["mean", "std"])
# ```
#
# - **Binder.** When the book was built with its repository's address (`BOOK_REPOSITORY_URL`, see
#   the README), the rocket button at the top of the page opens this page on
#   [mybinder.org](https://mybinder.org) in JupyterLab, as a notebook: `.binder/` installs the pinned
#   requirements with the CPU build of PyTorch and opens the book's `.py` files as notebooks.
#   A book built without that address has no rocket button.
# - **Download.** The download button at the top offers this page as a Jupyter notebook
#   (`.ipynb`) and as its source (`.py`, a Jupytext notebook). Either runs in Jupyter once the
#   repository is installed (`pip install -r requirements.txt` in a clone).
# - **Why there is no Colab button.** Colab opens only `.ipynb` files that are stored in a GitHub
#   repository. This book's sources are `.py` files, and `.ipynb` files are deliberately not
#   committed, because they would duplicate the sources and their outputs. You can upload the
#   downloaded `.ipynb` to Colab yourself. Its first cell then needs `!pip install` of a clone of
#   the repository.
