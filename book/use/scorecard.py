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
# # Scorecard of Part II: the book's own claims
#
# One row per claim that Part II ("Beyond the paper") tests: the book's own statements about the
# authors' earlier XOR-paper network (a fixed $\pm1$ output layer, gradient descent on the hinge loss),
# not the published paper's theorems; the published paper's analogue, where there is one, is named
# under each claim (its optimization and generalization result is Theorem 5.1, checked in
# {doc}`../paper/lw_cnn_theory`). For each: the statement, what this book measured, with its 95% interval,
# and a verdict; the claim's name links to the Part II section with the figure, and "rule and numbers"
# holds the test and the settings. The table is **generated** by `lib.claims.beyond` from the cached
# experiment results that the chapters show, and drawn by the same code as the
# {doc}`../paper/scorecard`; no number on this page is typed by hand.
#
# **The verdict rule.** Each claim is turned into a test of one measured number against a threshold.
# The verdict, in the vocabulary of both scorecards, is
# - **holds** when the whole 95% interval lies on the claim's side of the threshold,
# - **partly** when the point estimate does but the interval crosses the threshold (too few runs to
#   be sure, or a borderline effect),
# - **fails** when the point estimate is on the wrong side.
#
# Intervals are Wilson intervals for fractions of runs, Student-t intervals over seeds for means, and
# the two half-widths added in quadrature for a difference of means. A number without an interval is
# an extreme over all runs (a minimum or maximum), which is already the worst case.
#
# ```{admonition} The book's claims, not the paper's
# :class: warning
# Every row below is **the book's own statement** about the XOR-paper network of Part II (a fixed
# $\pm1$ output layer, GD on the hinge loss), with a threshold we fixed in `lib/claims.py` before
# looking at the full-profile results. The published paper's claims and their verdicts are in
# {doc}`../paper/scorecard`.
# ```

# %% tags=["remove-input"]
import pandas as pd
from IPython.display import HTML

import lib
from lib import claims, present
from lib.sweep import REGISTRY
from lib.tables import show

profile = lib.current_profile()
card = claims.beyond(profile)
HTML(present.scorecard(card, "use/scorecard", "claims of Part II"))

# %% [markdown]
# The counts of verdicts, for the profile this page was built with:

# %% tags=["remove-input"]
counts = card["verdict"].value_counts().reindex(list(claims.VERDICTS), fill_value=0)
print(f"profile: {profile}")
show(counts.rename("claims").to_frame())

# %% [markdown]
# ## How long it took
#
# Wall time of every experiment of the book: the seconds spent computing its points, as recorded in
# the results cache when each point was computed. A rebuild reads them from the cache in a fraction
# of a second. The machine and library versions are on the {doc}`status` page.

# %% tags=["remove-input"]
times = []
for name, exp in sorted(REGISTRY.items()):
    df = lib.run(name, profile)
    times.append(
        {
            "experiment": name,
            "what it computes": exp.summary,
            "points": df.attrs["points"],
            "seconds": round(df.attrs["seconds"], 1),
        }
    )
times = pd.DataFrame(times).set_index("experiment")
print(f"total: {times['seconds'].sum():.0f} s of computation over {times['points'].sum()} points")
show(times)
