"""Tests of the channel-threshold chapter's pieces (lib/experiments/threshold.py and the lucky-filter
functions of lib/theory.py): the lucky-filter prediction against a Monte Carlo of the library's own
initialisation, the search on synthetic pass/fail functions, the failure-mode classifier and the
second-layer fit test on constructed cases, one tiny probe, and bad input."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

from lib.experiments import threshold as th
from lib.models import ConvPool
from lib.theory import (
    LuckyWatch,
    both_signs_lucky_probability,
    detector_sets,
    lucky_channels,
    lucky_probability,
)


# --- the lucky-filter prediction ---------------------------------------------------------------------


@pytest.mark.parametrize("d", [3, 5, 8])
def test_both_signs_probability_matches_a_monte_carlo_of_the_initialisation(d):
    """ConvPool's sphere initialisation and a_i^(0), through detector_sets: the share of replicas with
    a lucky filter of each sign is within 4 standard errors of the inclusion-exclusion formula."""
    k, R = lucky_channels(d, 0.6), 3000
    net = ConvPool(d, k, replicas=R, radius=1.0, seed=7, dtype=torch.float64)
    plus, minus = detector_sets(net.tables(torch.eye(d, dtype=torch.float64)), net.a.detach())
    observed = float((plus.any(-1) & minus.any(-1)).double().mean())
    expected = both_signs_lucky_probability(d, k)
    assert abs(observed - expected) <= 4 * math.sqrt(expected * (1 - expected) / R)
    # and each channel's lucky-positive share matches Lemma 5.2's probability
    p = float(plus.double().mean())
    assert abs(p - lucky_probability(d)) <= 4 * math.sqrt(lucky_probability(d) / (R * k))


def test_both_signs_probability_by_enumerating_channel_kinds():
    """Each channel is lucky positive (p), lucky negative (p) or neither (1 - 2p), independently:
    summing the multinomial over the outcomes with both kinds present gives the same number."""
    d, k = 6, 9
    p = lucky_probability(d)
    total = sum(
        math.comb(k, i) * math.comb(k - i, j) * p**i * p**j * (1 - 2 * p) ** (k - i - j)
        for i in range(1, k + 1)
        for j in range(1, k - i + 1)
    )
    assert both_signs_lucky_probability(d, k) == pytest.approx(total, rel=1e-12)
    assert both_signs_lucky_probability(d, 0) == 0.0 and both_signs_lucky_probability(
        d, 1
    ) == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize("d, confidence", [(3, 0.5), (4, 0.95), (20, 0.95), (50, 0.99)])
def test_lucky_channels_is_the_smallest_k_reaching_the_confidence(d, confidence):
    k = lucky_channels(d, confidence)
    assert both_signs_lucky_probability(d, k) >= confidence > both_signs_lucky_probability(d, k - 1)


# --- the search -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("resolution", [0.0, 0.1, 0.25])
def test_search_brackets_the_threshold_of_a_monotone_function(resolution):
    for k0 in range(2, 400):
        calls = []
        k_star, probes = th.search_threshold(
            lambda k: calls.append(k) or k >= k0, k_max=512, resolution=resolution
        )
        assert k0 <= k_star <= k0 + max(1.0, resolution * k0)
        # each k probed once
        assert [k for k, _ in probes] == calls and len(set(calls)) == len(calls)
        assert all(ok == (k >= k0) for k, ok in probes)
        j = math.ceil(math.log2(k0))  # k doubles from 2 up to the first power of 2 >= k0
        assert calls[:j] == [2**i for i in range(1, j + 1)]
        if resolution == 0:
            assert k_star == k0


def test_search_stops_at_k_max_and_starts_at_two():
    assert th.search_threshold(lambda k: False, k_max=100) == (
        None,
        [(2, False), (4, False), (8, False), (16, False), (32, False), (64, False), (100, False)],
    )
    assert th.search_threshold(lambda k: True, k_max=100) == (2, [(2, True)])
    assert th.search_threshold(lambda k: k >= 100, k_max=100, resolution=0)[0] == 100


def test_search_on_a_non_monotone_function_returns_a_passing_k_above_a_failing_one():
    pattern = {k: (k >= 10 and k != 12) for k in range(1, 65)}
    k_star, probes = th.search_threshold(pattern.__getitem__, k_max=64, resolution=0)
    assert pattern[k_star] and not pattern[k_star - 1]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(k_max=1), "k_max"),
        (dict(k_max=2.5), "k_max"),
        (dict(k_max=8, resolution=-0.1), "resolution"),
        (dict(k_max=8, resolution=math.nan), "resolution"),
    ],
)
def test_search_refuses_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        th.search_threshold(lambda k: True, **kwargs)


def test_search_refuses_a_passes_that_is_not_a_function():
    with pytest.raises(ValueError, match="passes"):
        th.search_threshold(3, k_max=8)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: lucky_channels(2), "d"),
        (lambda: lucky_channels(5, 1.0), "confidence"),
        (lambda: lucky_channels(5, 0.0), "confidence"),
        (lambda: lucky_channels(5, 1.5), "confidence"),
        (lambda: both_signs_lucky_probability(5, -1), "k"),
        (lambda: both_signs_lucky_probability(2.0, 4), "d"),
        (
            lambda: th.probe(
                d=4, k=4, choice="sgd", n=3, m=8, seeds=1, test_size=10, selection_profile="quick"
            ),
            "choice",
        ),
        (
            lambda: th.probe(
                d=2,
                k=4,
                choice="theorem",
                n=3,
                m=8,
                seeds=1,
                test_size=10,
                selection_profile="quick",
            ),
            "d",
        ),
        (
            lambda: th.probe(
                d=4,
                k=0,
                choice="theorem",
                n=3,
                m=8,
                seeds=1,
                test_size=10,
                selection_profile="quick",
            ),
            "k",
        ),
        (
            lambda: th.probe(
                d=4,
                k=4,
                choice="theorem",
                n=3,
                m=8,
                seeds=1,
                test_size=10,
                selection_profile="paper",
            ),
            "selection_profile",
        ),
        (
            lambda: th.probe(
                d=4,
                k=4,
                choice="theorem",
                n=3,
                m=8,
                seeds=1,
                test_size=0,
                selection_profile="quick",
            ),
            "test_size",
        ),
        (lambda: th.second_layer_can_fit(torch.ones(3, 2), torch.ones(4)), "z must be"),
    ],
)
def test_bad_input_raises_value_error_naming_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_pass_rule_counts_seeds_at_one_percent():
    rows = pd.DataFrame({"test_error": [0.0] * 18 + [0.01, 0.0101]})
    assert th.passed(rows)  # 19 of 20 at <= 1%
    assert not th.passed(rows.assign(test_error=[0.0] * 18 + [0.02, 0.5]))  # 18 of 20
    assert not th.passed(pd.DataFrame({"test_error": [0.0] * 9 + [0.02]}))  # 9 of 10 < 95%


# --- the failure modes --------------------------------------------------------------------------------


def _row(**over):
    base = dict(test_error=0.2, lucky_plus=2, lucky_minus=1, lucky_stopped=0.0, train_error=0.0)
    return pd.Series({**base, **over})


@pytest.mark.parametrize(
    "row, mode",
    [
        (_row(test_error=0.01), "works"),
        (_row(test_error=0.0, lucky_plus=0), "works"),  # works without lucky filters: not a failure
        # the first step to break wins
        (
            _row(lucky_plus=0, lucky_stopped=1.0, train_error=0.5),
            th.MODES[0],
        ),
        (_row(lucky_minus=0), th.MODES[0]),
        (_row(lucky_stopped=1.0, train_error=0.5), th.MODES[1]),
        (_row(train_error=0.01), th.MODES[2]),
        (_row(lucky_stopped=math.nan, train_error=0.01), th.MODES[2]),  # Adam: no first phase
        (_row(), th.MODES[3]),
        (_row(lucky_stopped=math.nan), th.MODES[3]),
    ],
)
def test_failure_mode_follows_the_proof_order(row, mode):
    assert th.failure_mode(row) == mode


def test_failure_table_counts_every_seed_below_k_star_once():
    rows = []
    for k, modes in ((2, ["a", "a", "w"]), (4, ["w", "c", "w"]), (8, ["w", "w", "w"])):
        for r, m in enumerate(modes):
            rows.append(
                dict(
                    choice="theorem",
                    d=5,
                    k=k,
                    replica=r,
                    k_star=8.0,
                    test_error=0.0 if m == "w" else 0.3,
                    lucky_plus=0 if m in "aw" else 1,
                    lucky_minus=1,
                    lucky_stopped=0.0,
                    train_error=0.1 if m in "ac" else 0.0,
                    fittable=m != "c",
                )
            )
    table = th.failure_modes(pd.DataFrame(rows))
    assert table.index.get_level_values("k").tolist() == [2, 4]  # k = 8 is k*: not below it
    assert table.loc[("theorem", 5, 2)].to_dict() == {
        "seeds": 3,
        "works": 1,
        "works without a lucky filter of each sign": 1,
        th.MODES[0]: 2,
        th.MODES[1]: 0,
        th.MODES[2]: 0,
        th.MODES[3]: 0,
        "fails: features not separable": 0,
        "fails: fits its training set": 0,
    }
    four = table.loc[("theorem", 5, 4)]
    assert (four[th.MODES[2]], four["works"], four["fails: features not separable"]) == (1, 2, 1)


def test_second_layer_fit_on_constructed_features():
    y = torch.tensor([1.0, 1.0, -1.0, -1.0])
    detectors = torch.tensor([[1.0, 0.1], [0.9, 0.2], [0.1, 1.0], [0.2, 0.8]])  # a = (1, -1) fits
    assert th.second_layer_can_fit(detectors, y)
    # a positive and a negative share z
    same = torch.tensor([[1.0, 1.0], [0.5, 0.5], [1.0, 1.0], [2.0, 2.0]])
    assert not th.second_layer_can_fit(same, y)
    # N = 0 -> sign -1: correct
    zero_negatives = torch.tensor([[1.0, 0.0], [2.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    assert th.second_layer_can_fit(zero_negatives, y)
    # every output 0: the positives are wrong
    assert not th.second_layer_can_fit(torch.zeros(4, 3), y)
    assert th.second_layer_can_fit(torch.zeros(2, 3), -torch.ones(2))


# --- LuckyWatch and one tiny probe -----------------------------------------------------------------------


class _Frozen:
    """A stand-in model whose score tables are set by hand, step by step."""

    def __init__(self, a):
        self.a, self.table = a, None

    def tables(self, patterns):
        return self.table


def test_lucky_watch_sees_a_lucky_filter_stop_detecting():
    model = _Frozen(torch.tensor([[1.0, -1.0, 1.0]]))
    watch = LuckyWatch(torch.eye(3))
    # channels 0, 1 lucky
    model.table = torch.tensor([[[0.5, 0.0, 0.1], [0.0, 0.4, 0.1], [0.1, 0.0, 0.3]]])
    watch(0, model, None, None)
    assert watch.lucky[0].tolist() == [[True, False, False]] and watch.lucky[1].tolist() == [
        [False, True, False]
    ]
    assert not watch.stopped().any()
    # channel 1 now prefers o_3
    model.table = torch.tensor([[[0.5, 0.0, 0.1], [0.0, 0.4, 0.9], [0.1, 0.0, 0.3]]])
    watch(1, model, None, None)
    # and back: it did stop once
    model.table = torch.tensor([[[0.5, 0.0, 0.1], [0.0, 0.4, 0.1], [0.1, 0.0, 0.3]]])
    watch(2, model, None, None)
    assert watch.stopped().tolist() == [True]
    with pytest.raises(ValueError, match="no step"):
        LuckyWatch(torch.eye(3)).stopped()


@pytest.mark.parametrize("choice", ["theorem", "relaxed"])
def test_a_tiny_probe_has_one_row_per_seed_and_counts_the_initial_lucky_filters(choice):
    rows = th.probe(
        d=4, k=6, choice=choice, n=3, m=12, seeds=3, test_size=50, selection_profile="quick"
    )
    assert rows["replica"].tolist() == [0, 1, 2]
    net = ConvPool(4, 6, replicas=3, radius=1.0, seed=0, dtype=torch.float64)
    from lib.protocol import FigureSettings, distribution

    patterns = distribution(FigureSettings(n=3, d=4), dtype=torch.float64).patterns
    plus, minus = detector_sets(net.tables(patterns), net.a)
    assert (
        rows["lucky_plus"].tolist() == plus.sum(-1).tolist()
        and rows["lucky_minus"].tolist() == minus.sum(-1).tolist()
    )
    assert rows["test_error"].between(0, 1).all() and rows["train_error"].between(0, 1).all()
    assert (rows["fittable"] | (rows["train_error"] > 0)).all()  # a fitted set is fittable
    assert set(rows["lucky_stopped"].unique()) <= {0.0, 1.0}


def test_exponent_of_an_exact_power_law_and_its_interval():
    d = np.array([4, 6, 8, 12, 16])
    table = pd.DataFrame({"choice": "theorem", "d": d, "k*": 3.0 * d**1.5})
    slope, low, high = th.exponent(table, "theorem")
    assert slope == pytest.approx(1.5) and high - low == pytest.approx(0.0, abs=1e-6)
    noisy = table.assign(**{"k*": table["k*"] * np.array([1.1, 0.9, 1.05, 0.95, 1.0])})
    slope, low, high = th.exponent(noisy, "theorem")
    assert low < 1.5 < high and low < slope < high
    with pytest.raises(ValueError, match="3 or more"):
        th.exponent(table.head(2), "theorem")
