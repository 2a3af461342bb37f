"""Ours beside the paper's: the §7 figures' tables against the values read off the published figures.

This module sits above the experiments and below the claims: it reads experiment tables and
`lib.paper_values`, and no experiment imports it, so editing a digitised value or a sentence here
recomputes nothing.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from lib.paper_values import READ_OFF_UNCERTAINTY, published
from lib.stats import mean_ci


def x_axis(figure: str) -> str:
    """The x column of a figure's table: "n" for Fig. 5, "m" otherwise."""
    return published(figure).x.iloc[0]


def side_by_side(df: pd.DataFrame, figure: str) -> pd.DataFrame:
    """At each published point of `figure` that our grid has: the paper's value (read off its figure,
    ±0.01), ours (mean over seeds with the 95% Student-t interval) and ours - paper, per model."""
    pub = published(figure)
    x = pub.x.iloc[0]
    rows = []
    for _, p in pub.iterrows():
        ours = df[(df[x] == p[x]) & (df.model == p.model)].test_error
        if ours.empty:
            continue
        mean, half = mean_ci(ours)
        row = {x: int(p[x]), "model": p.model, "paper": p.test_error}
        if "band" in pub.columns:
            row["paper band"] = p.band
        rows.append(
            {
                **row,
                "ours": mean,
                "ci95": half,
                "ours - paper": mean - p.test_error,
                "seeds": len(ours),
            }
        )
    return pd.DataFrame(rows)


def agrees(table: pd.DataFrame) -> pd.Series:
    """Per row of a `side_by_side` table: whether our 95% interval overlaps the paper's mean +- its band
    of one standard deviation, widened by the read-off uncertainty (0.01)."""
    reach = table["ci95"].fillna(0.0) + table["paper band"] + READ_OFF_UNCERTAINTY
    return table["ours - paper"].abs() <= reach + 1e-12


def differences(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a `side_by_side` table where ours differ from the paper (`agrees` is false)."""
    return table[~agrees(table)]


def describe_differences(table: pd.DataFrame) -> str:
    """`differences(table)` in words, e.g. "MLP at m = 100 (ours 0.369, paper 0.280)", or "none"."""
    diff = differences(table)
    if diff.empty:
        return "none"
    x = [c for c in ("m", "n") if c in diff.columns][0]
    return "; ".join(
        f"{r.model} at {x} = {int(r[x])} (ours {r.ours:.3f} +- {r.ci95:.3f}, paper {r.paper:.3f} "
        f"+- {r['paper band']:.3f})"
        for _, r in diff.iterrows()
    )


# a run whose training error ends at least this high never learned (labels are balanced)
CHANCE_TRAIN_ERROR = 0.4


def describe_fit(df: pd.DataFrame, x: str) -> str:
    """Where ConvPool leaves training points misclassified, in words: the values of the x axis `x`, and
    at the largest of them the epochs its step budget allowed and its mean training error; then the
    runs that never left chance (training error >= CHANCE_TRAIN_ERROR), by seed, x and training error,
    since one such run moves a mean of five far more than a slow fit does."""
    conv = df[df.model == "ConvPool"]
    unfit = conv[conv.train_error > 0]
    if unfit.empty:
        return "ConvPool fits every training set within its budget"
    worst = conv[conv[x] == unfit[x].max()]
    epochs = worst.steps.iloc[0] * min(worst.batch_size.iloc[0], worst.m.iloc[0]) / worst.m.iloc[0]
    return (
        f"ConvPool leaves training points misclassified at {x} = {', '.join(f'{v:,}' for v in sorted(unfit[x].unique()))}; "
        f"at {x} = {worst[x].iloc[0]:,} its budget allows {epochs:.1f} epochs and its mean training error is "
        f"{worst.train_error.mean():.3f}"
    ) + "".join(
        f"; run at chance: seed {r.seed} at {x} = {getattr(r, x):,} (training error {r.train_error:.3f})"
        for r in unfit[unfit.train_error >= CHANCE_TRAIN_ERROR].itertuples()
    )


def fit_distance(df: pd.DataFrame, figure: str) -> float:
    """How far a figure's table is from the paper's, all three models together: the mean over the
    published points our table has of ((ours - paper) / (paper's band + 0.01))^2 (a point off by one
    band counts about 1)."""
    side = side_by_side(df, figure)
    return float(
        (((side["ours"] - side["paper"]) / (side["paper band"] + READ_OFF_UNCERTAINTY)) ** 2).mean()
    )


def variants_table(sens: pd.DataFrame) -> pd.DataFrame:
    """The `sensitivity` table beside the paper: per variant, x and model, our mean test error and the
    paper's value +- band where it has one."""
    rows = []
    for (variant, figure), g in sens.groupby(["variant", "figure"], sort=False):
        x = x_axis(figure)
        side = side_by_side(g, figure).set_index([x, "model"])
        for (value, model), e in g.groupby([x, "model"]).test_error.mean().items():
            paper = side.loc[(value, model)] if (value, model) in side.index else None
            rows.append(
                {
                    "variant": variant,
                    "x": f"{x} = {value}",
                    "model": model,
                    "ours": e,
                    "paper": None
                    if paper is None
                    else f"{paper['paper']:.3f} ± {paper['paper band']:.3f}",
                }
            )
    return pd.DataFrame(rows)


def figure_facts(df: pd.DataFrame, figure: str, selection_table: pd.DataFrame) -> dict[str, Any]:
    """What the §7 chapter says of one figure beside its claim: where ours differ from the paper, the
    seconds spent on the figure's points and on its selection runs, which SVM each fit was
    (`svm_kinds`) and the longest fit's seconds (`svm_seconds`), the fraction of network runs that
    fit their training sets (`net_train_zero`) and where ConvPool did not (`fit`)."""
    side = side_by_side(df, figure)
    svm = df[df.model == "SVM"]
    return {
        "diff": describe_differences(side),
        "seconds": df.attrs.get("seconds", float("nan")),
        "sel_seconds": float(selection_table.seconds.iloc[0]),
        "svm_kinds": ", ".join(
            f"{kind} margin in {count} of {len(svm)}"
            for kind, count in svm.svm.value_counts().items()
        ),
        "svm_kkt": float(svm.svm_kkt.max()) if "svm_kkt" in svm and len(svm) else float("nan"),
        "svm_seconds": float(svm.seconds.max()) if len(svm) else float("nan"),
        "net_train_zero": float((df[df.model != "SVM"].train_error == 0).mean()),
        "fit": describe_fit(df, x_axis(figure)),
    }
