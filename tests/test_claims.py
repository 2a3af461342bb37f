"""Every claim function of lib/claims.py on constructed tables: one that violates the claim (the verdict
must be "fails") and one that satisfies it ("holds"), so that no rule is one that cannot fail."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lib import claims, compare, paper_values
from lib.theory import lucky_probability

RNG = np.random.default_rng(0)


def _lemma_rows(d=4, k=513, runs=40, P=None, **extra):
    """lw_lemmas-like rows inside the regime: lucky counts drawn as a multinomial with probability P of
    each sign (default the lemma's), no violation, margins 2."""
    P = lucky_probability(d) if P is None else P
    counts = RNG.multinomial(k, [P, P, 1 - 2 * P], size=runs)
    rows = pd.DataFrame(
        {
            "setting": "inside",
            "d": d,
            "k": k,
            "lucky_plus": counts[:, 0],
            "lucky_minus": counts[:, 1],
            "cert_margin": 2.0,
            "cert_margin_support": 2.0,
            "cert_norm_ratio": 30.0,
            "svm_norm_ratio": 1.0,
            "svm_cos": 0.9,
            "train_error_S2": 0.0,
            **{f"viol {c}": 0 for c in ("L5.3(1)", "L5.3(2)", "L5.3(3)", "L5.5", "C.1", "C.2")},
        }
    )
    return rows.assign(**extra)


def test_lucky_filters_fails_on_a_wrong_probability_and_holds_on_the_lemmas():
    assert claims.lucky_filters(_lemma_rows()).holds
    # the mean count 20% low
    wrong = claims.lucky_filters(_lemma_rows(P=0.8 * lucky_probability(4)))
    assert not wrong.holds and "s.e." in wrong.ours
    outside = _lemma_rows(k=40, P=0.5 * lucky_probability(4))  # counts mostly below k/(4d) = 2.5
    outside["lucky_plus"] = 0
    assert not claims.lucky_filters(outside).holds


def test_lemma_violations_fail_on_one_violation():
    rows = _lemma_rows()
    assert claims.lemma_5_3(rows).holds and claims.lemma_5_5(rows).holds
    rows.loc[0, "viol L5.3(2)"] = 1
    rows.loc[1, "viol C.1"] = 3
    assert not claims.lemma_5_3(rows).holds and not claims.lemma_5_5(rows).holds


def test_margin_needs_every_point_of_the_support():
    assert claims.margin(_lemma_rows()).holds
    assert not claims.margin(
        _lemma_rows(cert_margin_support=0.7)
    ).holds  # fine on z(S), not on all of D_z
    assert not claims.margin(_lemma_rows(cert_margin=0.9)).holds


def _trajectory(loss):
    t = np.unique(np.geomspace(1, 5001, 40).astype(int) - 1)
    return pd.DataFrame({"phase": 2, "t": t, "loss": loss(t.astype(float))})


def test_optimization_fails_on_a_loss_with_a_floor():
    rows = _lemma_rows()
    assert claims.optimization(_trajectory(lambda t: 1.0 / (t + 2)), rows).holds
    assert not claims.optimization(
        _trajectory(lambda t: 0.1 + 1.0 / (t + 2)), rows
    ).holds  # a positive floor
    assert not claims.optimization(
        _trajectory(lambda t: 1.0 / (t + 2)), rows.assign(train_error_S2=0.1)
    ).holds


def _errors(cells, seeds=10, noise=0.002):
    """Rows (d, m, k, n, seed, test_error) with error(cell) + small noise, clipped at 0 (the noise from a
    generator of its own, so the table does not depend on which tests ran before)."""
    rng = np.random.default_rng(1)
    rows = []
    for cell, err in cells:
        for s in range(seeds):
            rows.append(
                {**cell, "seed": s, "test_error": max(0.0, err + noise * rng.standard_normal())}
            )
    return pd.DataFrame(rows)


def test_generalization_holds_at_the_rate_and_fails_on_a_flat_error():
    ds, ms = (4, 6, 8), (128, 256, 512)
    rate = _errors(
        [({"d": d, "m": m, "k": 1, "n": 10}, 0.3 * math.sqrt(d / m)) for d in ds for m in ms]
    )
    assert claims.generalization(rate)[0].holds
    flat = _errors([({"d": d, "m": m, "k": 1, "n": 10}, 0.05) for d in ds for m in ms])
    assert not claims.generalization(flat)[0].holds
    linear_in_d = _errors(
        [({"d": d, "m": m, "k": 1, "n": 10}, 0.05 * d * math.sqrt(1 / m)) for d in ds for m in ms]
    )
    assert not claims.generalization(linear_in_d)[
        0
    ].holds  # faster than sqrt(d): c fitted at the smallest d fails
    # outside the theorem (m < 100) nothing is judged: a huge error at m = 8 does not fail it
    small = _errors([({"d": 4, "m": 8, "k": 1, "n": 10}, 0.5)])
    assert claims.generalization(pd.concat([rate, small]))[0].holds


@pytest.mark.parametrize("by, fn", [("n", claims.n_free), ("k", claims.k_free)])
def test_k_and_n_free_fail_on_growth_like_sqrt(by, fn):
    values = (2, 5, 10, 20, 50)
    other = "k" if by == "n" else "n"

    def table(growth):
        return _errors([({"d": 5, "m": 200, other: 1, by: v}, 0.02 * growth(v)) for v in values])

    assert fn(table(lambda v: 1.0)).holds
    assert not fn(table(lambda v: math.sqrt(v))).holds  # errors growing like sqrt(n) at m = 200
    # the same growth outside the theorem: not judged
    outside = table(lambda v: math.sqrt(v)).assign(m=8)
    assert fn(pd.concat([table(lambda v: 1.0), outside])).holds


def test_shattering_fails_when_one_labelling_is_missed():
    checks = pd.DataFrame(
        {
            "n": [2, 3],
            "realised": [4, 16],
            "labellings tried": [4, 16],
            "labellings": "all",
            "max |N - y|": [0.0, 1e-12],
        }
    )
    assert claims.shattering(checks).holds
    assert not claims.shattering(checks.assign(realised=[4, 15])).holds
    assert not claims.shattering(checks.assign(**{"max |N - y|": [0.0, 1e-3]})).holds


def test_min_norm_separator_fails_below_n():
    norms = pd.DataFrame({"n": [2, 5, 10], "l": 4, "norm2": [4.0, 10.0, 20.0]})
    assert claims.min_norm_separator(norms).holds
    assert not claims.min_norm_separator(norms.assign(norm2=[4.0, 4.9, 20.0])).holds


def _fake(figure, shift, base, seeds=5):
    """A fake figure table at the paper's x values: ConvPool at the paper's value + `shift` (+-0.001
    between seeds), MLP and SVM at `base`."""
    pub = paper_values.published(figure)
    x = pub.x.iloc[0]
    rows = []
    for value in pub[x].unique():
        conv = float(pub[(pub[x] == value) & (pub.model == "ConvPool")].test_error.iloc[0]) + shift
        for model, err in (("ConvPool", conv), ("MLP", base), ("SVM", base)):
            rows += [
                {
                    x: value,
                    "model": model,
                    "seed": s,
                    "test_error": max(0.0, err + 0.001 * (s - 2)),
                    "train_error": 0.0,
                }
                for s in range(seeds)
            ]
    return pd.DataFrame(rows)


def test_paper_figure_fails_three_bands_away_and_holds_inside_the_band():
    assert claims.paper_figure(_fake("fig3b", 0.0, 0.4), "fig3b").holds
    pub = paper_values.published("fig3b")
    band = float(pub[(pub.m == 10) & (pub.model == "ConvPool")].band.iloc[0])
    inside = _fake("fig3b", 0.0, 0.4)
    inside.loc[(inside.m == 10) & (inside.model == "ConvPool"), "test_error"] += 0.9 * band
    assert claims.paper_figure(inside, "fig3b").holds  # within the paper's own 1 SD band
    far = _fake("fig3b", 0.0, 0.4)
    far.loc[(far.m == 10) & (far.model == "ConvPool"), "test_error"] += 3 * band
    assert not claims.paper_figure(far, "fig3b").holds
    assert not claims.paper_figure(
        _fake("fig5", 0.0, 0.004), "fig5"
    ).holds  # baselines below ConvPool


def test_figure_claims_follow_their_rule():
    good = claims.paper_figure(_fake("fig3a", 0.0, 0.3), "fig3a")
    assert good.holds and good.id == "FIG3A" and "4/4" in good.ours
    # ordered, but ConvPool 0.06 above bands of 0
    far = claims.paper_figure(_fake("fig3a", 0.06, 0.3), "fig3a")
    assert not far.holds and "m = 50: ours 0.060" in far.ours
    tied = _fake("fig3a", 0.0, 0.3)
    tied.loc[tied.m == 200, "test_error"] = (
        0.0  # nobody errs at m = 200: a tie at zero is not worse
    )
    assert claims.paper_figure(tied, "fig3a").holds
    tied.loc[(tied.m == 200) & (tied.model == "ConvPool"), "test_error"] = 0.01
    assert not claims.paper_figure(tied, "fig3a").holds
    no_svm = _fake("fig3c", 0.0, 0.3)
    no_svm = no_svm[~((no_svm.model == "SVM") & (no_svm.m > 1_000))]  # no SVM above m = 1,000
    assert claims.paper_figure(no_svm, "fig3c").holds
    no_svm.loc[(no_svm.m == 10_000) & (no_svm.model == "MLP"), "test_error"] = (
        0.0  # the MLP below ConvPool
    )
    assert not claims.paper_figure(no_svm, "fig3c").holds
    table = compare.side_by_side(_fake("fig3b", 0.0, 0.3), "fig3b")
    assert (
        set(table.columns) >= {"paper", "paper band", "ours", "ci95", "ours - paper"}
        and len(table) == 15
    )


def test_layerwise_is_one_sided_and_paired():
    adam = pd.DataFrame(
        {
            "m": 10,
            "seed": range(10),
            "model": "ConvPool",
            "test_error": 0.08 + 0.01 * RNG.random(10),
        }
    )
    better = adam.assign(model="LW_CNN", test_error=0.0)
    claim = claims.layerwise_vs_end_to_end(adam, better)
    assert claim.holds and "LW better" in claim.ours
    worse = adam.assign(model="LW_CNN", test_error=adam.test_error + 0.05)
    assert not claims.layerwise_vs_end_to_end(adam, worse).holds
    same = adam.assign(model="LW_CNN", test_error=adam.test_error + 0.001 * RNG.standard_normal(10))
    assert claims.layerwise_vs_end_to_end(adam, same).holds


# --- Part II: every claim on a table where it holds, one where it fails, one where it is partly -----


def _opt(fitted, steps=10, bound=100.0):
    """opt_fit-like rows at k >= k_min = 3 (one row per run), plus a run below k_min that never fits."""
    runs = pd.DataFrame(
        {"k": 5, "min_width": 3, "m": 20, "fitted": fitted, "steps_to_fit": steps, "bound": bound}
    )
    below = pd.DataFrame(
        {
            "k": [1],
            "min_width": 3,
            "m": 20,
            "fitted": [False],
            "steps_to_fit": [2000],
            "bound": [math.inf],
        }
    )
    return pd.concat([runs, below], ignore_index=True)


def test_gd_fits_is_a_fraction_with_a_wilson_interval():
    # 40/40: the interval's lower end 0.91
    assert claims.gd_fits(_opt([True] * 40)).verdict == "holds"
    # 0.95, but the interval reaches 0.76
    assert claims.gd_fits(_opt([True] * 19 + [False])).verdict == "partly"
    assert claims.gd_fits(_opt([True] * 15 + [False] * 5)).verdict == "fails"


def test_gd_within_bound_fails_when_one_run_needs_more_steps():
    assert claims.gd_within_bound(_opt([True] * 10, steps=list(range(10, 20)))).verdict == "holds"
    assert claims.gd_within_bound(_opt([True] * 10, steps=[10] * 9 + [150])).verdict == "fails"


def _width(acc, sd=0.001, seeds=5):
    """gen_width-like rows: test accuracy acc[k] + noise of `sd` over seeds, for eta = 2/k and a fixed eta
    that degrades (it must not count)."""
    rng = np.random.default_rng(2)
    rows = [
        {
            "eta_rule": rule,
            "k": k,
            "m": 20,
            "seed": s,
            "test_accuracy": (a if rule == "2/k" else 0.5) + sd * rng.standard_normal(),
        }
        for k, a in acc.items()
        for s in range(seeds)
        for rule in ("2/k", "0.1")
    ]
    return pd.DataFrame(rows)


def test_width_free_holds_flat_and_fails_on_a_drop_at_the_largest_k():
    assert claims.width_free(_width({1: 0.8, 5: 0.99, 100: 0.99})).verdict == "holds"
    assert claims.width_free(_width({1: 0.8, 5: 0.99, 100: 0.95})).verdict == "fails"
    assert claims.width_free(_width({1: 0.8, 5: 0.99, 100: 0.985}, sd=0.02)).verdict == "partly"


def _sc(reach, m_sc=100):
    """gen_sample_complexity-like rows for d = 4, 6: accuracy 0.999 from m = reach[d] on, 0.9 below."""
    return pd.DataFrame(
        [
            {"d": d, "m": m, "m_sc": m_sc, "seed": s, "test_accuracy": 0.999 if m >= r else 0.9}
            for d, r in reach.items()
            for m in (10, 50, 200, 1000)
            for s in range(3)
        ]
    )


def test_sample_complexity_fails_when_m_star_exceeds_the_requirement():
    assert claims.sample_complexity(_sc({4: 10, 6: 50})).verdict == "holds"
    assert claims.sample_complexity(_sc({4: 10, 6: 200})).verdict == "fails"
    never = claims.sample_complexity(_sc({4: 10, 6: 5000}))  # never reached: m* infinite
    assert never.verdict == "fails" and "m*=inf" in never.ours


def _psi(signs):
    """gen_psi-like rows: per run, spurious scores s_p = sign * Delta_p (correlation +-1)."""
    delta = np.linspace(-0.5, 0.5, 8)
    return pd.DataFrame(
        [
            {
                "kind": "spurious",
                "m": 20,
                "replica": r,
                "delta": x,
                "score": sign * x + 0.01 * (i % 2),
            }
            for r, sign in enumerate(signs)
            for i, x in enumerate(delta)
        ]
    )


def test_pattern_statistics_needs_correlated_scores():
    assert claims.pattern_statistics(_psi([1] * 6)).verdict == "holds"
    # mean 0.6, interval wide
    assert claims.pattern_statistics(_psi([1, 1, 1, 1, -1])).verdict == "partly"
    assert claims.pattern_statistics(_psi([1, -1] * 4)).verdict == "fails"


def test_psi_two_points_counts_runs_with_every_prediction():
    def checks(ok):
        return pd.DataFrame({"all": ok})

    assert claims.psi_two_points(checks([True] * 40)).verdict == "holds"
    assert claims.psi_two_points(checks([True] * 19 + [False])).verdict == "partly"
    assert claims.psi_two_points(checks([True, False] * 10)).verdict == "fails"


def test_vc_construction_needs_every_labelling():
    assert claims.vc_construction(256, 256, 8).verdict == "holds"
    assert claims.vc_construction(255, 256, 8).verdict == "fails"


def _accuracy(cnn, fcn, ci=0.01):
    """A selected_accuracy-like table: the CNN and two FCNs at m = 10, 50, 200."""
    rows = [
        {"model": "CNN (k=50)", "m": m, "mean": a, "ci95": ci, "runs": 10} for m, a in cnn.items()
    ]
    rows += [
        {"model": name, "m": m, "mean": a - drop, "ci95": ci, "runs": 10}
        for m, a in fcn.items()
        for name, drop in (("FCN depth 2", 0.0), ("FCN depth 3", 0.05))
    ]
    return pd.DataFrame(rows)


def test_cnn_beats_fcn_at_the_first_m_where_the_cnn_is_accurate():
    cnn = {10: 0.8, 50: 0.98, 200: 1.0}
    assert claims.cnn_beats_fcn(_accuracy(cnn, {10: 0.6, 50: 0.7, 200: 0.9})).verdict == "holds"
    assert claims.cnn_beats_fcn(_accuracy(cnn, {10: 0.6, 50: 0.9, 200: 0.99})).verdict == "fails"
    assert (
        claims.cnn_beats_fcn(_accuracy(cnn, {10: 0.6, 50: 0.8, 200: 0.9}, ci=0.05)).verdict
        == "partly"
    )


def _stars(fcn):
    """A smallest_m-like table: the CNN at m* = 20 for every n, the FCN at fcn[n] (NaN: not reached)."""
    rows = [{"n": n, "model": "CNN", "m_star": 20.0, "m_max": 1000} for n in fcn]
    rows += [{"n": n, "model": "FCN (w=100)", "m_star": m, "m_max": 1000} for n, m in fcn.items()]
    return pd.DataFrame(rows)


def test_gap_grows_fails_on_a_constant_ratio():
    assert claims.gap_grows(_stars({5: 100.0, 20: 1000.0}), 10).verdict == "holds"
    # not reached: at least m_max
    assert claims.gap_grows(_stars({5: 100.0, 20: math.nan}), 10).verdict == "holds"
    assert claims.gap_grows(_stars({5: 100.0, 20: 120.0}), 10).verdict == "fails"


def _thresholds(k_star):
    """A thresholds-like table for the theorem's steps: k*(d) = k_star(d) at d = 3..7."""
    ds = [3, 4, 5, 6, 7]
    return pd.DataFrame(
        {
            "choice": "theorem",
            "d": ds,
            "k*": [k_star(d) for d in ds],
            "8d^3": [8 * d**3 for d in ds],
        }
    )


def test_k_star_size_fails_above_a_tenth_of_8d3_or_where_no_k_passed():
    assert claims.k_star_size(_thresholds(lambda d: 0.05 * 8 * d**3), 5).verdict == "holds"
    assert claims.k_star_size(_thresholds(lambda d: 0.5 * 8 * d**3), 5).verdict == "fails"
    assert (
        claims.k_star_size(_thresholds(lambda d: math.nan if d == 7 else 10.0), 5).verdict
        == "fails"
    )


def test_k_star_growth_against_the_lucky_filter_count():
    assert claims.k_star_growth(_thresholds(lambda d: 5 * d**0.5), 5).verdict == "holds"
    assert claims.k_star_growth(_thresholds(lambda d: d**2), 5).verdict == "fails"
    wobbly = {3: 1.3, 4: 0.7, 5: 1.3, 6: 0.7, 7: 1.3}  # slope near 1, a wide interval
    assert claims.k_star_growth(_thresholds(lambda d: 10 * d * wobbly[d]), 5).verdict == "partly"
