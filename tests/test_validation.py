"""Every public function refuses bad input clearly (issue 7, item 1).

A bad value raises ValueError whose message names the parameter, shows the value and states the
allowed range.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
import torch

from lib import sweep
from lib._checks import INT_MAX, SEED_MAX, check_float, check_int, check_seed
from lib.cache import ResultsCache
from lib.distributions import OrthogonalPatterns, pattern_statistics, stack_samples
from lib.fastpaths import PatternTable
from lib.models import ConvPool, FullyConnected
from lib.training import TrainingDivergedError, accuracy, train


@pytest.fixture(scope="module")
def data():
    return OrthogonalPatterns(4, 6).sample(12, seed=0)


def CNN(d, k, **kwargs):  # noqa: N802  the Part II network: a fixed +-1 second layer, Gaussian initialisation
    return ConvPool(d, k, second_layer="fixed", init="gaussian", **kwargs)


# ---- messages: parameter, value, allowed range ---------------------------------------------------

MESSAGES = [
    (lambda: OrthogonalPatterns(0, 5), "n must be an integer in [1, inf), got 0"),
    (lambda: OrthogonalPatterns(4, 2), "d must be an integer in [3, inf), got 2"),
    (lambda: OrthogonalPatterns(4, 5, copies=5), "copies must be an integer in [1, 4], got 5"),
    (
        lambda: OrthogonalPatterns(4, 5, p_positive=1.5),
        "p_positive must be a finite number in [0, 1], got 1.5",
    ),
    (
        lambda: OrthogonalPatterns(4, 5, p_positive=math.nan),
        "p_positive must be a finite number in [0, 1], got nan",
    ),
    (
        lambda: OrthogonalPatterns(4, 5, basis="random", seed=SEED_MAX + 1),
        f"seed must be an integer in [0, {SEED_MAX}]",
    ),
    (lambda: OrthogonalPatterns(4, 5, basis="rotated"), "basis must be one of"),
    (
        lambda: OrthogonalPatterns(4, 5).sample(-1, seed=0),
        "m must be an integer in [0, inf), got -1",
    ),
    (
        lambda: OrthogonalPatterns(4, 5).sample(3, seed=2**40),
        f"seed must be an integer in [0, {SEED_MAX}], got {2**40}",
    ),
    (
        lambda: OrthogonalPatterns(4, 5).sample(10**30, seed=0),
        "m must be an integer in [0, inf) below 2**63",
    ),
    (lambda: ConvPool(5, 0, second_layer="fixed"), "k must be an integer in [1, inf), got 0"),
    (
        lambda: ConvPool(5, 3, second_layer="fixed"),
        "k must be even for a fixed, balanced second layer",
    ),
    (
        lambda: ConvPool(5, 4, radius=-1.0, second_layer="fixed", init="gaussian"),
        "radius must be a finite number in (0, inf], got -1.0",
    ),
    (lambda: FullyConnected(4, 3, depth=1), "depth must be an integer in [2, inf), got 1"),
    (lambda: CNN(5, 4)(torch.zeros(3, 4, 6)), "d=5"),
    (lambda: CNN(5, 4, pattern_search="yes"), "pattern_search must be"),
    (lambda: CNN(5, 4).pooled_patterns(torch.eye(5)[None]), "inputs must be a PatternTable"),
    (
        lambda: CNN(5, 4).pooled_patterns(PatternTable.of(torch.eye(6)[None].repeat(1, 2, 1, 1))),
        "model has d=5",
    ),
]


@pytest.mark.parametrize("call, message", MESSAGES)
def test_messages_name_parameter_value_and_range(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=0.0, steps=1), "lr must be a finite number in (0, inf], got 0.0"),
        (dict(lr=math.inf, steps=1), "lr must be a finite number in (0, inf], got inf"),
        (dict(lr=0.1, steps=-1), "steps must be an integer in [0, inf), got -1"),
        (dict(lr=0.1, steps=1, loss="mse"), "loss must be one of 'hinge', 'logistic', got 'mse'"),
        (dict(lr=0.1, steps=1, batch_size=13), "batch_size must be an integer in [1, 12], got 13"),
        (dict(lr=0.1, steps=10**19), "steps must be an integer in [0, inf) below 2**63"),
    ],
)
def test_training_messages(data, kwargs, message):
    with pytest.raises(ValueError) as info:
        train(CNN(6, 4), *data, **kwargs)
    assert message in str(info.value)


def test_checks_never_leak_other_error_types():
    for value in (10**400, -(10**400), 1 + 2j, "1", None, [1], torch.tensor(1.0), object()):
        with pytest.raises(ValueError, match="x must be"):
            check_float("x", value)
    for value in (10**400, 2.0, "1", None, True):
        with pytest.raises(ValueError, match="x must be an integer"):
            check_int("x", value, 0)
    assert check_int("x", INT_MAX, 0) == INT_MAX and check_seed("s", SEED_MAX) == SEED_MAX
    with pytest.raises(
        ValueError, match="x must be an integer"
    ) as info:  # a huge value is not printed in full
        check_int("x", 10**5000, 0, 5)
    assert len(str(info.value)) < 200


def test_spurious_weights_whose_sum_overflows_are_refused():
    with pytest.raises(ValueError, match="spurious_probs"):
        OrthogonalPatterns(3, 5, spurious_probs=[1e308, 1e308, 1e308])


def test_cache_refuses_what_it_cannot_store_exactly(tmp_path):
    cache = ResultsCache(tmp_path)
    with pytest.raises(ValueError, match="df column 'when' has dtype datetime64"):
        cache.put({"k": 1}, pd.DataFrame({"when": pd.to_datetime(["2026-01-01"])}))
    with pytest.raises(ValueError, match="df column 'w' holds tensor"):
        cache.put({"k": 1}, pd.DataFrame({"w": [torch.zeros(2)]}))
    with pytest.raises(ValueError, match="unique string column names"):
        cache.put({"k": 1}, pd.DataFrame([[1, 2]], columns=["a", "a"]))
    with pytest.raises(ValueError, match="config must be JSON-serialisable"):
        cache.get({"lr": math.nan})
    with pytest.raises(ValueError, match="root must be a directory path"):
        ResultsCache(3)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_divergence_names_the_step_and_the_learning_rate(data):
    X, y = data
    net = FullyConnected(24, 64, depth=3, seed=0)
    with pytest.raises(
        TrainingDivergedError, match=r"at step \d+ .*lr=\[1.2676506002282294e\+30\]"
    ):
        train(net, X * 1e6, y, lr=2.0**100, steps=100, loss="logistic", early_stop=False)


# ---- checks first requested from the owners of other files (issue 7) --------------------------------


def _value_error_naming(name: str, call) -> None:
    with pytest.raises(ValueError) as info:
        call()
    assert name in str(info.value), str(info.value)


@pytest.mark.parametrize(
    "name, make_call",
    [
        pytest.param(
            "y",
            lambda X, y: train(CNN(6, 4), X, torch.tensor(1.0), lr=0.1, steps=1),
            id="train-y-0d",
        ),
        pytest.param(
            "y",
            lambda X, y: train(CNN(6, 4, replicas=2), X, torch.stack([y] * 3), lr=0.1, steps=1),
            id="train-y-rows",
        ),
        pytest.param(
            "y",
            lambda X, y: accuracy(CNN(6, 4, replicas=2), X, torch.stack([y] * 3)),
            id="accuracy-y-rows",
        ),
        pytest.param(
            "lr", lambda X, y: train(CNN(6, 4), X, y, lr=True, steps=1), id="train-lr-bool"
        ),
        pytest.param(
            "lr",
            lambda X, y: train(CNN(6, 4), X, y, lr=[[0.1], [0.1, 0.2]], steps=1),
            id="train-lr-ragged",
        ),
        pytest.param(
            "early_stop",
            lambda X, y: train(CNN(6, 4), X, y, lr=0.1, steps=1, early_stop="no"),
            id="train-early-stop",
        ),
        pytest.param(
            "seed",
            lambda X, y: train(CNN(6, 4), X, y, lr=0.1, steps=1, seed=SEED_MAX + 1),
            id="train-seed",
        ),
        pytest.param(
            "X",
            lambda X, y: train(CNN(6, 4), X.to(torch.complex64), y, lr=0.1, steps=1),
            id="train-X-complex",
        ),
        pytest.param(
            "batch", lambda X, y: accuracy(CNN(6, 4), X, y, batch=0), id="accuracy-batch-0"
        ),
        pytest.param(
            "batch", lambda X, y: accuracy(CNN(6, 4), X, y, batch=-1), id="accuracy-batch-neg"
        ),
        pytest.param("X", lambda X, y: accuracy(CNN(6, 4), X[:0], y[:0]), id="accuracy-empty"),
        pytest.param("model", lambda X, y: accuracy(None, X, y), id="accuracy-model"),
        pytest.param("device", lambda X, y: CNN(6, 4, device="tpu"), id="cnn-device"),
        pytest.param("seed", lambda X, y: FullyConnected(24, 2, seed=2**62), id="fcn-seed"),
        pytest.param("radius", lambda X, y: CNN(6, 4, radius=1e300), id="cnn-radius"),
        pytest.param("X", lambda X, y: CNN(6, 4)(torch.zeros(3, 0, 6)), id="cnn-n0"),
        pytest.param("X", lambda X, y: CNN(6, 4)(torch.full((2, 3, 6), math.nan)), id="cnn-nan"),
        pytest.param("patterns", lambda X, y: CNN(6, 4).tables(torch.zeros(3, 5)), id="cnn-tables"),
        pytest.param("name", lambda X, y: sweep.run(["first_run"]), id="run-name"),
        pytest.param(
            "cache", lambda X, y: sweep.run("first_run", "quick", cache="results"), id="run-cache"
        ),
        pytest.param(
            "idx",
            lambda X, y: pattern_statistics(torch.tensor([[0, 9]]), torch.tensor([1.0]), 3),
            id="pattern-statistics-idx",
        ),
        pytest.param(
            "y",
            lambda X, y: pattern_statistics(torch.tensor([[0, 1]]), torch.tensor([1.0, -1.0]), 3),
            id="pattern-statistics-y",
        ),
        pytest.param(
            "seeds",
            lambda X, y: stack_samples(OrthogonalPatterns(3, 5), 3, []),
            id="stack-samples-seeds",
        ),
    ],
)
def test_more_bad_inputs_name_the_parameter(data, name, make_call):
    _value_error_naming(name, lambda: make_call(*data))
