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
# # Beyond orthogonal patterns: noise
#
# This page adds a CNN-against-FCN experiment on noisy patterns for the authors' earlier XOR-paper
# network (a fixed $\pm1$ output layer, Gaussian initialisation, gradient descent on the hinge loss);
# it is the book's own material, not a claim of the published paper, whose network has a trained
# second layer, sphere initialisation, the logistic loss and the layer-wise algorithm.
#
# The paper's theory needs orthogonal patterns; its experiments leave them twice, with noise on every
# patch (Fig. 3b) and with real MNIST digits (Fig. 3c), both rerun with the paper's models in
# {doc}`../paper/experiments`. Here the noise is Gaussian rather than bounded,
# $\xi \sim \mathcal N(0, \text{noise}^2/d\, I_d)$ added to every patch of the orthogonal distribution
# (`lib.NoisyOrthogonalPatterns`, $n = 10$, $d = 30$), and the scale grows past the patterns' own norm.

# %% tags=["remove-cell"]
import lib
from lib import plotting
from lib.experiments.cnn_vs_fcn import selected_accuracy
from lib.tables import show

plotting.set_theme()

# %% [markdown]
# ## Test accuracy against the noise scale
#
# The orthogonal distribution with Gaussian noise of norm about `noise` on every patch (a noise of 1
# is as large as the pattern itself). The same two models, learning rates tuned as in the previous chapter, at $m = 50$ and
# $m = 200$ training points, 5 seeds per point.

# %%
noisy = lib.run("noisy_orthogonal")
noisy_acc = selected_accuracy(noisy, ["model", "m", "noise"])
show(noisy_acc.pivot_table(index="noise", columns=["model", "m"], values="mean").round(3))

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Test accuracy against the noise scale (noise norm relative to the unit pattern norm), for $m = 50$ (left) and $m = 200$ (right), mean and 95% bands over seeds. Noise scale 0 is the orthogonal distribution of the previous chapter; the table above gives the numbers.", "name": "fig-noise"}}
fig = plotting.accuracy_vs_noise(noisy_acc)

# %% [markdown]
# Noisy patterns are outside the paper's theorems; these results are observations only. The table
# above says how far the conclusion of the chapter {doc}`cnn_vs_fcn` (the weight-shared max-pooling
# detector needs far fewer samples than a fully connected network) carries over as the noise grows.
