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
# # Explore it yourself: sliders for n, d, k, m and the learning rate
#
# The chapters test the paper's claims with many seeds and confidence intervals. This page is for
# play. Choose the number of patches $n$, the patch dimension and number of patterns $d$, the
# filters per sign $k$, the training-set size $m$ and the step size $\eta$. Three CNNs of the form
# that Part II studies (the XOR-paper network with a fixed $\pm1$ output layer,
# {doc}`../beyond/architecture`) and three two-layer fully connected networks with 100
# hidden units are then trained on the same three training sets, by full-batch gradient descent on
# the hinge loss. Training stops at zero training loss or after 500 steps. You see:
#
# - the **train and test accuracy** of both models: bars show the mean over the three replicas,
#   dots show each replica, and the test set has 1,000 fresh points;
# - the **filter-pattern table** of the first CNN, $\langle w_i, o_p\rangle$ and
#   $\langle u_i, o_p\rangle$, for every filter (rows) and every pattern (columns). These are the dot
#   products $a_{i,p}$ and $b_{i,p}$ that the paper's analysis tracks.
#
# In the HTML book the sliders cannot run, because training needs a Python kernel. The page shows
# the figure for the default settings instead. To move the sliders, run this page as a notebook
# (see {ref}`explore-run`). Each change of a slider retrains all six networks in about a second on
# a laptop CPU.
#
# ```{admonition} Not evidence
# :class: note
# These runs use three seeds, a fixed budget of 500 steps and no confidence intervals. They are for
# building intuition. The claims are checked in the chapters, with the settings the paper states
# or, where it does not state them, our reconstruction. The fully connected network here is a
# small instance of our reconstructed baseline, not a tuned one.
# ```

# %% tags=["remove-output"]
import ipywidgets as widgets
import matplotlib.pyplot as plt
from myst_nb import glue

from lib.explore import DEFAULTS, explore, plot_explore
from lib.plotting import set_theme

set_theme()

# %% [markdown]
# ## The default settings
#
# With $n=10$ patches, $d=12$ patterns, $k=8$ filters per sign, $m=40$ training points and
# $\eta=0.1$:

# %% tags=["hide-input"] mystnb={"image": {"alt": "Left: bar chart of train and test accuracy of the CNN and the fully connected network. Right: heatmap of the dot products between the trained CNN filters and the patterns, with strong positive entries in the p-plus column for w filters and in the p-minus column for u filters."}, "figure": {"caption": "Left: train and test accuracy of three CNNs (blue) and three fully connected networks (orange), each pair trained on the same $m=40$ points ($n=10$, $d=12$, $k=8$, $\\eta=0.1$); bars are means, dots are replicas, the dashed line is chance. Both models fit their training sets, and the CNN also classifies fresh points correctly, while the fully connected network does much worse on them. Right: the trained filters of the first CNN against the patterns. The $w$ filters (top rows, output weight $+1$) that moved have grown along $p_+$, the $u$ filters (bottom rows) along $p_-$, and the spurious columns stay near zero, as the paper's analysis of the dot products $a_{i,p}$, $b_{i,p}$ describes.", "name": "fig-explore-default"}}
result = explore(**DEFAULTS)
test = result.accuracy.query("split == 'test'").groupby("model")["accuracy"].mean()
glue("explore_cnn_test", float(test["CNN"]), display=False)
glue("explore_fcn_test", float(test["FCN"]), display=False)
glue("explore_seconds", result.seconds, display=False)
plot_explore(result)
plt.show()

# %% [markdown]
# Here the CNNs reach a mean test accuracy of {glue:text}`explore_cnn_test:.3f` and the fully
# connected networks {glue:text}`explore_fcn_test:.3f`. Training and testing all six took
# {glue:text}`explore_seconds:.1f` s in this build. Things to try with the sliders:
#
# - Lower $m$ to a handful of points. The CNN still tends to generalize, and the fully connected
#   network falls toward chance, which is the gap of chapter {doc}`../beyond/cnn_vs_fcn`.
# - Raise $k$. More filters do not hurt the CNN's test accuracy (chapter {doc}`../beyond/generalization`),
#   and in the heatmap most of the extra filters stay near their small initialisation.
# - Raise $\eta$ to 1 or lower it to 0.001. Gradient descent still reaches zero training loss
#   (chapter {doc}`../beyond/optimization`), only faster or slower. With a very small step, 500 steps may
#   not be enough, and the train accuracy then stays below 1.
#
# ## The sliders
#
# The next cell builds the sliders. In a running notebook, releasing a slider retrains the networks
# and redraws the figure. The HTML book shows the code only.

# %% tags=["remove-output"]
def show(n, d, k, m, lr):
    """Retrain three CNNs and three FCNs with these settings and draw the figure above."""
    plot_explore(explore(n=n, d=d, k=k, m=m, lr=lr))
    plt.show()


sliders = dict(
    n=widgets.IntSlider(value=DEFAULTS["n"], min=2, max=40, description="n (patches)"),
    d=widgets.IntSlider(value=DEFAULTS["d"], min=3, max=60, description="d (patterns)"),
    k=widgets.IntSlider(value=DEFAULTS["k"], min=1, max=100, description="k (filters)"),
    m=widgets.IntSlider(value=DEFAULTS["m"], min=2, max=200, description="m (train)"),
    lr=widgets.FloatLogSlider(value=DEFAULTS["lr"], base=10, min=-3, max=0, description="η (step)"),
)
for slider in sliders.values():
    slider.continuous_update = False
    slider.style.description_width = "initial"
widgets.interactive(show, **sliders)

# %% [markdown]
# (explore-run)=
# ## Running this page as a notebook
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
