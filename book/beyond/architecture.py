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
# # The max-pooling network and the fully connected baseline
#
# This page adds the network that Part II studies, the authors' earlier XOR-paper network with a
# fixed $\pm1$ output layer, Gaussian initialisation and gradient descent on the hinge loss; it is the
# book's own material, not a claim of the published paper, whose network has a trained second layer,
# sphere initialisation, the logistic loss and the layer-wise algorithm (Part I).
# The page also builds the fully connected network it is compared with, counts their parameters on
# the same input and trains the CNN once: full-batch gradient descent on the hinge loss.
#
# ## The network
#
# The convolutional layer has $2k$ filters in $\R^d$. Each filter is as wide as a patch and moves by
# one patch, so patches do not overlap, and there is no bias. A ReLU $\relu(z) = \max\{0, z\}$
# follows, then a global max-pool over the $n$ positions of each channel. The output layer is
# **fixed**: weight $+1$ for the $k$ filters $w_1,\dots,w_k$ and $-1$ for the $k$ filters
# $u_1,\dots,u_k$. With $W = (w_1,\dots,w_k,u_1,\dots,u_k)$,
#
# $$
# N_W(x) = \sum_{i=1}^{k} \max_{j \in [n]} \relu(w_i \cdot x_j) \;-\; \sum_{i=1}^{k} \max_{j \in [n]} \relu(u_i \cdot x_j).
# $$
#
# Over-parameterization means a large $k$. The filters start i.i.d. $\mathcal N(0, \sigma_g^2 I_d)$
# with a small $\sigma_g$. Training minimises the hinge loss
#
# $$
# L_S(W) = \frac1m \sum_{s=1}^{m} \max\{0,\; 1 - y_s N_W(x_s)\}
# $$
#
# with gradient descent, $W_{t+1} = W_t - \eta \nabla L_S(W_t)$, until $L_S = 0$. Zero is a **global
# minimum** of this non-negative loss. The gradient of a channel flows only through the patch that
# wins its max-pool, and only when that winner is active ($\relu'(0) = 0$).
#
# ```{admonition} Our choices
# :class: warning
# The architecture (conv with $2k$ channels, ReLU, global max-pool, fixed $\pm1$ output) is the one
# of the authors' XOR paper {cite:p}`brutzkus2019xor`, with $d$-dimensional patches, not the published
# paper's ConvPool (a trained second layer, Part I). **Our choices** supply the initialisation scale $\sigma_g = 10^{-3}$, the step size
# $\eta$, the hinge loss and the stopping rule "zero training loss". In the library this network is
# `ConvPool(d, 2k, second_layer="fixed", init="gaussian", radius=σ_g √d)`, built by
# `lib.xor_network.xor_cnn(d, k, init_std=σ_g)`, trained by `train(lr=..., loss="hinge")`. The fully connected baseline (two or
# three ReLU layers, all trained, biases, $\mathcal N(0, 1/\text{fan-in})$ initialisation) is **our
# choice**: the paper's FCN widths, depths and tuning are unknown.
# ```

# %% tags=["remove-cell"]
import matplotlib.pyplot as plt
import pandas as pd
from myst_nb import glue

import lib
from lib import FullyConnected, OrthogonalPatterns, plotting
from lib.diagrams import draw_network
from lib.xor_network import xor_cnn
from lib.fastpaths import PatternTable
from lib.stats import mean_ci
from lib.tables import show

plotting.set_theme()

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The XOR-paper network, drawn with $n=6$ patches and $k=3$ filters per sign. Every filter sees every patch with the same weights (weight sharing). Each channel keeps only its largest ReLU activation over the positions, and the fixed output layer adds the $w$-channels (blue, $+1$) and subtracts the $u$-channels (orange, $-1$). Only the filters are trained.", "name": "fig-network"}}
fig, ax = plt.subplots(figsize=(8.5, 4.2))
draw_network(ax, n=6, k=3)
plt.show()

# %% [markdown]
# ## One forward call, many models
#
# `ConvPool` holds $R$ independent replicas of the network, with filters `W` of shape $(R, 2k, d)$
# (the $w_i$ are `W[:, :k]`, the $u_i$ are `W[:, k:]`) and the fixed output weights $\pm1$ in the
# buffer `a` of shape $(R, 2k)$. One forward call evaluates all of them: in general as a single batched matrix product,
# the scores $w_c \cdot x_{s,j}$ for every replica, filter, point and position, followed by a max
# over positions (the next section shows the shortcut taken for orthogonal patterns).
# The unit tests check this forward pass against a literal double loop over $i$ and $j$ of the
# formula above and against `conv1d` plus max-pooling. They also check the hand-written gradient,
# which touches only the winning patches, against autograd.

# %%
dist = OrthogonalPatterns(n=20, d=30)
X, y = dist.sample(5, seed=0)
net = xor_cnn(d=30, k=50, replicas=3, init_std=1e-3, seed=0)
print("X:", tuple(X.shape), " W:", tuple(net.W.shape), " a:", tuple(net.a.shape))
print("N_W(X):", tuple(net(X).shape))

# %% [markdown]
# ## Orthogonal patterns: the network is a table of dot products
#
# With the paper's patterns $o_p = e_p$, the score $w_i \cdot x_j$ is the coordinate of $w_i$ at the
# pattern in position $j$, so $N_W$ depends only on the tables $a_{i,p} = w_i \cdot o_p$ and
# $b_{i,p} = u_i \cdot o_p$ (`ConvPool.tables`). The proofs track these tables, and the
# trainer uses them too: for such inputs `train` computes the $2k \times d$ table of each replica
# once per step and copies each patch's column of it (`ConvPool.pooled_patterns`), instead of
# multiplying every filter with every patch, a product of depth $d$. The result is exact: the cell below checks it against the
# general path (a batched matrix product and a max over positions), and the unit tests check that
# whole training runs are bit-identical on both paths. Noisy patches and MNIST digits take the general
# path. The timings are of this machine, when the page was built.

# %%
X, y = dist.sample(500, seed=1)
for search in (True, False):
    net = xor_cnn(30, 50, replicas=10, seed=0, pattern_search=search)
    res = lib.train(net, X, y, lr=0.01, steps=50, early_stop=False, loss="hinge")
    ms = 1e3 * res.seconds / 50
    loss = res.loss[-1].mean()
    print(f"pattern_search={search}: {ms:.1f} ms per GD step, loss {loss:.4f}")
# max-pooled values on the pattern-table path and on the general path
fast = net.pooled_patterns(PatternTable.of(X[None]))[0]
print("same values on both paths:", bool((fast == net.pooled(X)[0]).all()))

# %% [markdown]
# ## Parameter counts on the same input
#
# The CNN has $2kd$ parameters whatever the number of patches $n$, because its filters are shared
# across positions. A fully connected network sees the flattened input of dimension $nd$, so its
# first layer alone has $nd \times \text{width}$ weights, and a detector of $\pplus$ has to be
# learned separately at each of the $n$ positions.

# %% tags=["hide-input"]
n, d = 20, 30
rows = [
    {"model": f"CNN, k = {k}", "parameters": xor_cnn(d, k).num_parameters} for k in (5, 50, 500)
]
rows += [
    {
        "model": f"FCN, depth {depth}, width {w}",
        "parameters": FullyConnected(n * d, w, depth=depth).num_parameters,
    }
    for depth, w in ((2, 100), (2, 1000), (3, 1000))
]
counts = pd.DataFrame(rows).set_index("model")
counts["parameters"] = counts["parameters"].map("{:,}".format)
show(counts)

# %% [markdown]
# ## A first training run
#
# Ten CNNs with $k = 50$, each trained on its own sample of $m = 50$ points ($n = 20$, $d = 30$) by
# full-batch GD on the hinge loss with $\eta = 0.1$ and $\sigma_g = 10^{-3}$, until the training loss
# is exactly zero. Each is then tested on 2,000 fresh points. The experiment is
# `lib.run("first_run")`, and its results are cached. The quick profile used by the tests trains 5
# replicas instead of 10.

# %%
runs = lib.run("first_run")

# %% tags=["remove-input"]
acc_mean, acc_ci = mean_ci(runs["test_accuracy"])
summary = pd.Series(
    {
        "replicas": len(runs),
        "reached zero training loss": f"{int(runs['fitted'].sum())} / {len(runs)}",
        "GD steps to zero loss (min, median, max)": "{:.0f}, {:.0f}, {:.0f}".format(
            *runs["steps_to_fit"].quantile([0, 0.5, 1]).tolist()
        ),
        "test accuracy, mean ± 95% CI": f"{acc_mean:.4f} ± {acc_ci:.4f}",
        "test accuracy, worst replica": f"{runs['test_accuracy'].min():.4f}",
    },
    name="first run",
)
glue("first_fitted", f"{int(runs['fitted'].sum())} / {len(runs)}", display=False)
glue("first_acc", acc_mean, display=False)
glue("first_steps", float(runs["steps_to_fit"].max()), display=False)
show(summary.to_frame())

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Training hinge loss against the GD step, one line per replica ($n=20$, $d=30$, $k=50$, $m=50$, $\\eta=0.1$). The loss starts near 1, because the small initialisation gives $N_W(x) \\approx 0$, and falls to exactly zero within a few steps for every replica. Zero is a global minimum (the log axis cannot show it, so each curve ends at its last positive value).", "name": "fig-first-loss"}}
fig = plotting.hinge_loss_curves(runs)

# %% [markdown]
# {glue:text}`first_fitted` replicas reached zero training loss, the slowest after
# {glue:text}`first_steps:.0f` GD steps, and the mean test accuracy on fresh points is
# {glue:text}`first_acc:.4f`. That is with only 50 training points, for a network with
# 3,000 parameters. Whether this always happens, and why, is the subject of the optimization and
# generalization chapters.
