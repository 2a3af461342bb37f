"""Property-based tests of the public API with hypothesis (issue 7, item 2).

Random valid parameters never raise and always satisfy the distribution's label rule, the models'
output shape and the trainer's result shapes; random invalid parameters always raise ValueError whose
message names the parameter (TrainingDivergedError where training diverges), never another error and
never a hang (each example runs under a 20 s alarm). Every example that runs is counted, and the last
test checks and prints the total (the issue asks for at least 2,000): run the whole file with
`pytest tests/test_properties.py -rP` and read the output of test_fuzz_example_count (it is also
recorded as the junit property "hypothesis_examples").
"""

from __future__ import annotations

import collections
import contextlib
import fractions
import functools
import json
import math
import signal
import tempfile

import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib import sweep
from lib._checks import SEED_MAX, check_choice, check_float, check_int, check_seed
from lib.cache import ResultsCache
from lib.distributions import OrthogonalPatterns
from lib.models import ConvPool, FullyConnected
from lib.training import LOSSES, TrainingDivergedError, accuracy, train

EXAMPLES: collections.Counter[str] = collections.Counter()
MIN_EXAMPLES = 2_000


def fuzz(max_examples: int, *strategies, **kw_strategies):
    """`given(*strategies, **kw_strategies)` with this file's settings: no deadline (CI machines are
    slow), no example database written into the repository, and every example counted and guarded
    against hangs."""

    def decorate(test):
        @functools.wraps(test)
        def counted(*args, **kwargs):
            EXAMPLES[test.__name__] += 1
            with no_hang(20):
                return test(*args, **kwargs)

        return settings(
            max_examples=max_examples,
            deadline=None,
            database=None,
            suppress_health_check=[
                HealthCheck.too_slow,
                HealthCheck.filter_too_much,
                HealthCheck.data_too_large,
            ],
        )(given(*strategies, **kw_strategies)(counted))

    return decorate


@contextlib.contextmanager
def no_hang(seconds: float):
    """Turn a hang into a failure (TimeoutError is not a ValueError, so it is never 'expected')."""

    def alarm(signum, frame):
        raise TimeoutError(f"example ran for more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def raises_value_error_naming(name: str, call) -> None:
    with pytest.raises(ValueError) as info:
        call()
    assert name in str(info.value), f"message {str(info.value)!r} does not name {name!r}"


# ---- strategies of bad values ------------------------------------------------------------------

NOT_NUMBERS = st.one_of(
    st.none(),
    st.text(max_size=3),
    st.lists(st.integers(), max_size=2),
    st.just(object()),
    st.complex_numbers(),
    st.just(torch.tensor([1.0, 2.0])),
)
HUGE = st.sampled_from([10**400, -(10**400), fractions.Fraction(10**400, 3)])


def bad_ints(low: int, high: int | None = None) -> st.SearchStrategy:
    """Anything that is not an integer in [low, high]."""
    out = [
        st.integers(max_value=low - 1),
        st.floats(allow_nan=True),
        st.booleans(),
        NOT_NUMBERS,
        HUGE,
    ]
    if high is not None:
        out.append(st.integers(min_value=high + 1))
    return st.one_of(*out)


def bad_floats(low: float, high: float, *, low_open: bool = False) -> st.SearchStrategy:
    """Anything that is not a finite real number in [low, high] ((low, high] when low_open)."""
    below = st.floats(max_value=low, exclude_max=not low_open, allow_nan=False)
    above = (
        st.floats(min_value=high, exclude_min=True, allow_nan=False)
        if math.isfinite(high)
        else st.nothing()
    )
    return st.one_of(
        below,
        above,
        st.sampled_from([math.nan, math.inf, -math.inf]),
        st.booleans(),
        NOT_NUMBERS,
        HUGE,
    )


SEEDS = st.integers(0, SEED_MAX)
BAD_SEEDS = bad_ints(0, SEED_MAX)


# ---- the argument checks -----------------------------------------------------------------------

ANYTHING = st.one_of(
    st.integers(),
    st.floats(),
    st.booleans(),
    st.fractions(),
    st.decimals(),
    NOT_NUMBERS,
    HUGE,
    st.text(alphabet="hinglostcpuda", max_size=8),
)


@fuzz(150, ANYTHING, st.integers(-5, 5), st.none() | st.integers(-5, 50))
def test_check_int_returns_an_int_in_range_or_raises_value_error(value, low, high):
    try:
        got = check_int("x", value, low, high)
    except ValueError as exc:
        assert "x must be an integer in" in str(exc)
        return
    assert type(got) is int and got == value and low <= got and (high is None or got <= high)


@fuzz(150, ANYTHING, st.floats(-10, 10), st.floats(-10, 10) | st.just(math.inf), st.booleans())
def test_check_float_returns_a_finite_float_in_range_or_raises_value_error(
    value, low, high, low_open
):
    try:
        got = check_float("x", value, low, high, low_open=low_open)
    except ValueError as exc:
        assert "x must be a" in str(exc)
        return
    assert (
        type(got) is float
        and math.isfinite(got)
        and got <= high
        and (got > low if low_open else got >= low)
    )


@fuzz(100, ANYTHING)
def test_check_choice_and_check_seed(value):
    try:
        assert check_choice("loss", value, LOSSES) in LOSSES and value in LOSSES
    except ValueError as exc:
        assert "loss must be one of" in str(exc)
    try:
        assert 0 <= check_seed("seed", value) <= SEED_MAX
    except ValueError as exc:
        assert "seed must be an integer in [0, 4294967295]" in str(exc)


# ---- the distribution --------------------------------------------------------------------------


def weights(k: int) -> st.SearchStrategy:
    return st.lists(st.floats(0, 1e6), min_size=k, max_size=k).filter(lambda w: sum(w) > 0)


@st.composite
def distributions(draw) -> OrthogonalPatterns:
    n, d = draw(st.integers(1, 8)), draw(st.integers(3, 10))
    l = draw(st.integers(3, d))
    kwargs = dict(
        l=draw(st.none() | st.just(l)),
        copies=draw(st.integers(1, n)),
        p_positive=draw(st.floats(0, 1)),
        basis=draw(st.sampled_from(["standard", "random"])),
        seed=draw(SEEDS),
        dtype=draw(st.sampled_from([torch.float32, torch.float64])),
    )
    patterns = d if kwargs["l"] is None else l
    for name in ("spurious_probs", "spurious_probs_negative"):
        if draw(st.booleans()):
            kwargs[name] = draw(weights(patterns - 2))
    return OrthogonalPatterns(n, d, **kwargs)


@fuzz(250, distributions(), st.integers(0, 40), SEEDS)
def test_samples_satisfy_the_label_rule(dist, m, seed):
    idx, y = dist.sample_indices(m, seed)
    X, y2 = dist.sample(m, seed=seed)
    assert X.shape == (m, dist.n, dist.d) and X.dtype == dist.dtype and torch.equal(y, y2)
    assert ((y == 1) | (y == -1)).all()
    has_plus, has_minus = (idx == 0).any(1), (idx == 1).any(1)
    # y = +1 iff p_plus occurs
    assert torch.equal(has_plus, y > 0) and torch.equal(has_minus, y < 0)
    assert torch.equal((idx <= 1).sum(1), torch.full((m,), dist.copies))
    assert torch.equal(X, dist.patterns[idx])  # every patch is a pattern


BAD_WEIGHTS = st.one_of(
    st.lists(st.floats(0, 1), max_size=12),  # usually the wrong length
    st.lists(st.floats(-1e6, -1e-9), min_size=1, max_size=8),
    st.lists(st.sampled_from([math.nan, math.inf, 1e308]), min_size=8, max_size=8),
    st.lists(st.just(0.0), min_size=1, max_size=8),
    st.text(max_size=4),
    st.just([[1.0], [1.0, 2.0]]),
    st.just([None, 1.0]),
    st.just({1, 2}),
)


@st.composite
def bad_distribution_kwargs(draw) -> tuple[str, dict]:
    n, d = draw(st.integers(1, 6)), draw(st.integers(3, 8))
    kwargs = dict(n=n, d=d)
    name = draw(
        st.sampled_from(
            [
                "n",
                "d",
                "l",
                "copies",
                "p_positive",
                "spurious_probs",
                "spurious_probs_negative",
                "basis",
                "seed",
                "dtype",
            ]
        )
    )
    if name == "seed":
        kwargs["basis"] = draw(st.sampled_from(["standard", "random"]))
    kwargs[name] = draw(
        {
            "n": bad_ints(1),
            "d": bad_ints(3),
            "l": bad_ints(3, d).filter(lambda v: v is not None),  # None: l = d
            "copies": bad_ints(1, n),
            "p_positive": bad_floats(0, 1),
            "spurious_probs": BAD_WEIGHTS,
            "spurious_probs_negative": BAD_WEIGHTS,
            "basis": st.one_of(
                st.text(max_size=8).filter(lambda s: s not in ("standard", "random")),
                st.none(),
                st.integers(),
            ),
            "seed": BAD_SEEDS,
            "dtype": st.sampled_from(
                [torch.int64, torch.bool, torch.complex64, "float32", float, None]
            ),
        }[name]
    )
    if (
        name.startswith("spurious")
        and isinstance(kwargs[name], list)
        and len(kwargs[name]) == d - 2
    ):
        vals = [v for v in kwargs[name] if isinstance(v, float)]
        if (
            len(vals) == d - 2
            and all(v >= 0 and math.isfinite(v) for v in vals)
            and 0 < sum(vals) < math.inf
        ):
            kwargs[name] = kwargs[name] + [1.0]  # a valid draw: make it the wrong length
    return name, kwargs


@fuzz(250, bad_distribution_kwargs())
def test_invalid_distribution_parameters_raise_value_error(case):
    name, kwargs = case
    raises_value_error_naming(name, lambda: OrthogonalPatterns(**kwargs))


@fuzz(100, st.sampled_from(["m", "seed"]), st.data())
def test_invalid_sample_arguments_raise_value_error(name, data):
    args = {"m": 3, "seed": 0, name: data.draw(bad_ints(0) if name == "m" else BAD_SEEDS)}
    raises_value_error_naming(name, lambda: OrthogonalPatterns(4, 5).sample(**args))


# ---- the models --------------------------------------------------------------------------------


@st.composite
def models(draw):
    R = draw(st.integers(1, 4))
    seed = draw(st.integers(0, SEED_MAX) | st.lists(SEEDS, min_size=R, max_size=R))
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    n, d = draw(st.integers(1, 5)), draw(st.integers(1, 8))
    if draw(st.booleans()):
        net = ConvPool(
            d,
            2 * draw(st.integers(1, 5)),
            replicas=R,
            radius=draw(st.floats(0, 10, exclude_min=True)) * math.sqrt(d),
            second_layer=draw(st.sampled_from(["fixed", "trained"])),
            init=draw(st.sampled_from(["gaussian", "sphere"])),
            seed=seed,
            dtype=dtype,
        )
    else:
        net = FullyConnected(
            n * d,
            draw(st.integers(1, 8)),
            depth=draw(st.integers(2, 4)),
            replicas=R,
            seed=seed,
            dtype=dtype,
        )
    return net, n, d


@fuzz(200, models(), st.integers(0, 6), st.booleans(), st.integers(0, 2**31))
def test_models_output_one_finite_value_per_replica_and_point(model, m, per_replica, data_seed):
    net, n, d = model
    R = net.replicas
    shape = (R, m, n, d) if per_replica else (m, n, d)
    X = torch.randn(shape, generator=torch.Generator().manual_seed(data_seed)) * 3
    out = net(X)
    assert (
        out.shape == (R, m)
        and out.dtype == next(net.parameters()).dtype
        and torch.isfinite(out).all()
    )
    assert len(next(net.parameters())) == R


@st.composite
def bad_model_kwargs(draw) -> tuple[str, object]:
    kind = draw(st.sampled_from(["cnn", "fcn"]))
    names = (
        ["d", "k", "replicas", "radius", "second_layer", "init", "seed", "dtype"]
        if kind == "cnn"
        else ["input_dim", "width", "depth", "replicas", "seed", "dtype"]
    )
    name = draw(st.sampled_from(names))
    bad = draw(
        {
            "d": bad_ints(1),
            "k": bad_ints(1),
            "input_dim": bad_ints(1),
            "width": bad_ints(1),
            "depth": bad_ints(2),
            "replicas": bad_ints(1),
            "radius": bad_floats(0, math.inf, low_open=True),
            "second_layer": st.one_of(
                st.text(max_size=8).filter(lambda s: s not in ("trained", "fixed")),
                st.none(),
                st.booleans(),
            ),
            "init": st.one_of(
                st.text(max_size=8).filter(lambda s: s not in ("sphere", "gaussian")),
                st.none(),
                st.integers(),
            ),
            "seed": st.one_of(
                st.integers(max_value=-1),
                st.floats(),
                st.text(max_size=2),
                st.none(),
                st.lists(SEEDS, min_size=3, max_size=4),
                st.lists(st.integers(max_value=-1), min_size=2, max_size=2),
            ),
            "dtype": st.sampled_from([torch.int64, torch.bool, "float32", None]),
        }[name]
    )
    args = (
        dict(d=4, k=2, second_layer="fixed", init="gaussian")
        if kind == "cnn"
        else dict(input_dim=8, width=3)
    )
    args["replicas"] = 2
    args[name] = bad
    return name, (ConvPool if kind == "cnn" else FullyConnected), args


@fuzz(200, bad_model_kwargs())
def test_invalid_model_parameters_raise_value_error(case):
    name, cls, args = case
    raises_value_error_naming(name, lambda: cls(**args))


@st.composite
def bad_inputs(draw):
    """Inputs that a CNN with d=4 and R=2 cannot take: not a tensor, wrong ndim, wrong d or wrong R."""
    ndim = draw(st.integers(0, 6))
    shape = draw(st.lists(st.integers(1, 5), min_size=ndim, max_size=ndim))
    if ndim in (3, 4):
        shape[-1] = draw(st.sampled_from([1, 2, 5]))  # never the CNN's d=4
        if ndim == 4 and draw(st.booleans()):
            shape[0] = 3  # R=3 for a model with R=2
    return (
        torch.zeros(shape)
        if draw(st.booleans())
        else draw(st.sampled_from([None, [[0.0]], "X", 1.0]))
    )


@fuzz(100, bad_inputs())
def test_models_refuse_inputs_of_the_wrong_shape(X):
    cnn = ConvPool(4, 4, replicas=2, second_layer="fixed", init="gaussian")
    with pytest.raises(ValueError, match="X"):
        cnn(X)
    fcn = FullyConnected(10, 3, replicas=2)  # n*d = 10 with d in {1, 2, 5} needs n in {10, 5, 2}
    if (
        isinstance(X, torch.Tensor)
        and X.dim() in (3, 4)
        and X.shape[-2] * X.shape[-1] == 10
        and (X.dim() == 3 or X.shape[0] in (1, 2))
    ):
        return
    with pytest.raises(ValueError, match="X"):
        fcn(X)


# ---- training ----------------------------------------------------------------------------------


@st.composite
def problems(draw):
    """A tiny model and training set (shared or one per replica)."""
    n, d, R, m = (
        draw(st.integers(1, 4)),
        draw(st.integers(3, 6)),
        draw(st.integers(1, 3)),
        draw(st.integers(1, 12)),
    )
    dist = OrthogonalPatterns(n, d)
    seed = draw(st.integers(0, 1000))
    if draw(st.booleans()):
        X, y = dist.sample(m, seed=seed)
    else:
        sets = [dist.sample(m, seed=seed + r) for r in range(R)]
        X, y = torch.stack([s[0] for s in sets]), torch.stack([s[1] for s in sets])
    if draw(st.booleans()):
        net = ConvPool(
            d,
            2 * draw(st.integers(1, 4)),
            replicas=R,
            radius=draw(st.floats(0, 1, exclude_min=True)) * math.sqrt(d),
            second_layer="fixed",
            init="gaussian",
            seed=seed,
        )
    else:
        net = FullyConnected(n * d, draw(st.integers(1, 6)), replicas=R, seed=seed)
    return net, X, y


@fuzz(120, problems(), st.data())
def test_training_returns_consistent_results(problem, data):
    net, X, y = problem
    R, m = net.replicas, X.shape[-3]
    lr = data.draw(st.floats(1e-4, 1.0) | st.lists(st.floats(1e-4, 1.0), min_size=R, max_size=R))
    steps = data.draw(st.integers(0, 6))
    kwargs = dict(
        loss=data.draw(st.sampled_from(LOSSES)),
        batch_size=data.draw(st.none() | st.integers(1, m)),
        seed=data.draw(SEEDS),
        early_stop=data.draw(st.booleans()),
        record_every=data.draw(st.none() | st.integers(1, 3)),
    )
    res = train(net, X, y, lr=lr, steps=steps, **kwargs)
    assert 0 <= res.steps_run <= steps and res.loss.shape == (res.steps_run + 1, R)
    assert torch.isfinite(res.loss).all() and (res.loss >= 0).all()
    assert (
        torch.equal(res.fitted, res.steps_to_fit >= 0) and (res.steps_to_fit <= res.steps_run).all()
    )
    if kwargs["record_every"] is not None:
        assert res.snapshots[0][0] == 0 and res.snapshots[-1][0] == res.steps_run
    acc = accuracy(net, X, y)
    assert acc.shape == (R,) and ((acc >= 0) & (acc <= 1)).all()
    assert torch.equal(torch.round(acc * m), acc * m)  # a fraction of the m points


@fuzz(30, problems(), st.floats(1e3, 1e38), st.sampled_from(LOSSES))
def test_huge_learning_rates_fit_or_stop_with_a_clear_error(problem, lr, loss):
    net, X, y = problem
    try:
        res = train(net, X * 1e3, y, lr=lr, steps=10, loss=loss)
    except TrainingDivergedError as exc:
        assert "step" in str(exc) and "lr" in str(exc)
    else:
        assert torch.isfinite(res.loss).all()


def _bad_labels(y: torch.Tensor) -> st.SearchStrategy:
    m = y.shape[-1]
    return st.one_of(
        # one label not in {-1, +1}
        st.sampled_from([0.0, 2.0, -2.0, 0.5, math.nan, math.inf]).map(
            lambda v: torch.cat([y[..., :-1], torch.full_like(y[..., -1:], v)], -1)
        ),
        st.just(y[..., :-1]) if m > 1 else st.just(torch.ones(2)),
        st.just(torch.ones(m + 1)),
        st.just(y.tolist()),
        st.just(torch.ones(1, 1, m)),
    )


@st.composite
def bad_training_calls(draw):
    net, X, y = draw(problems())
    m = X.shape[-3]
    args = dict(lr=0.1, steps=2)
    name = draw(
        st.sampled_from(["lr", "steps", "loss", "batch_size", "seed", "record_every", "y", "X"])
    )
    if name == "lr":
        args["lr"] = draw(
            st.one_of(
                st.floats(max_value=0.0),
                st.sampled_from([math.nan, math.inf, -math.inf]),
                HUGE,
                st.lists(st.floats(0.01, 1), min_size=net.replicas + 1, max_size=net.replicas + 3),
                st.lists(st.floats(max_value=0.0), min_size=net.replicas, max_size=net.replicas),
            )
        )
    elif name == "steps":
        args["steps"] = draw(bad_ints(0))
    elif name == "loss":
        args["loss"] = draw(
            st.one_of(
                st.text(max_size=8).filter(lambda s: s not in LOSSES), st.none(), st.integers()
            )
        )
    elif name == "batch_size":
        args["batch_size"] = draw(bad_ints(1, m).filter(lambda v: v is not None))
    elif name == "seed":
        args["seed"] = draw(st.one_of(st.integers(max_value=-1), st.floats(), st.text(max_size=2)))
    elif name == "record_every":
        args["record_every"] = draw(bad_ints(1).filter(lambda v: v is not None))
    elif name == "y":
        y = draw(_bad_labels(y))
    else:
        X = X.clone()
        kind = draw(st.sampled_from(["nan", "inf", "dim"]))
        if kind == "dim":
            X = torch.cat([X, X[..., :1]], -1)  # patches of dimension d + 1
        else:
            X.view(-1)[draw(st.integers(0, X.numel() - 1))] = (
                math.nan if kind == "nan" else -math.inf
            )
    return name, net, X, y, args


@fuzz(200, bad_training_calls())
def test_invalid_training_calls_raise_value_error(case):
    name, net, X, y, args = case
    raises_value_error_naming(name, lambda: train(net, X, y, **args))


# ---- the cache ---------------------------------------------------------------------------------

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
)
CONFIGS = st.dictionaries(
    st.text(max_size=5),
    st.recursive(
        JSON_SCALARS,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
        ),
        max_leaves=8,
    ),
    max_size=5,
)
COLUMNS = {
    "int64": st.integers(-(2**63), 2**63 - 1),
    "float64": st.floats(),
    "float32": st.floats(width=32),
    "bool": st.booleans(),
    "object": st.text(),
}


@st.composite
def tables(draw) -> pd.DataFrame:
    names = draw(st.lists(st.text(max_size=5), unique=True, max_size=4))
    rows = draw(st.integers(0, 5))
    cols = {}
    for name in names:
        dtype = draw(st.sampled_from(sorted(COLUMNS)))
        cols[name] = pd.Series(
            draw(st.lists(COLUMNS[dtype], min_size=rows, max_size=rows)), dtype=dtype
        )
    return pd.DataFrame(cols, index=pd.RangeIndex(rows), columns=names)


@pytest.fixture(scope="module")
def cache():
    with tempfile.TemporaryDirectory() as root:
        yield ResultsCache(root)


@fuzz(150, config=CONFIGS, df=tables())
def test_cache_round_trip_is_exact(cache, config, df):
    cache.put(config, df, {"seconds": 1.5})
    got, meta = cache.get(config)
    pd.testing.assert_frame_equal(got, df, check_exact=True)
    for a, b in zip(
        got.select_dtypes("number").to_numpy().ravel(),
        df.select_dtypes("number").to_numpy().ravel(),
    ):
        assert (a == b and math.copysign(1, a) == math.copysign(1, b)) or (
            math.isnan(a) and math.isnan(b)
        )
    assert meta["seconds"] == 1.5
    assert cache.get({**config, "another key": 0}) is None


@fuzz(150, tables(), st.data())
def test_damaged_cache_files_read_as_missing_or_intact(cache, df, data):
    config = {"damage": data.draw(st.integers(0, 10**6))}
    path = cache.put(config, df)
    raw = path.read_bytes()
    if data.draw(st.booleans()):
        damaged = raw[: data.draw(st.integers(0, len(raw) - 1))]  # truncated
    else:
        at = data.draw(st.integers(0, len(raw) - 1))
        damaged = raw[:at] + bytes([raw[at] ^ data.draw(st.integers(1, 255))]) + raw[at + 1 :]
    path.write_bytes(damaged)
    got = cache.get(config)
    assert got is None or got[0].equals(df)  # a flipped byte may only hit insignificant whitespace


@fuzz(150, st.data())
def test_invalid_cache_arguments_raise_value_error(cache, data):
    what = data.draw(st.sampled_from(["root", "config", "df", "meta"]))
    if what == "root":
        raises_value_error_naming(
            "root",
            lambda: ResultsCache(
                data.draw(st.one_of(st.integers(), st.floats(), st.lists(st.text())))
            ),
        )
        return
    if what == "config":
        bad = data.draw(
            st.one_of(
                st.lists(st.integers()),
                st.text(),
                st.none(),
                st.integers(),
                st.just({"x": math.nan}),
                st.just({"x": object()}),
                st.just({1: 1, "a": 2}),
                st.just({"x": b"bytes"}),
                st.just({"x": {1, 2}}),
            )
        )
        raises_value_error_naming("config", lambda: cache.put(bad, pd.DataFrame({"a": [1]})))
        raises_value_error_naming("config", lambda: cache.get(bad))
        return
    if what == "meta":
        bad = data.draw(
            st.one_of(
                st.lists(st.integers()),
                st.text(),
                st.just({"x": object()}),
                st.just({"x": math.inf}),
            )
        )
        raises_value_error_naming(
            "meta", lambda: cache.put({"k": 1}, pd.DataFrame({"a": [1]}), bad)
        )
        return
    bad = data.draw(
        st.one_of(
            st.none(),
            st.text(),
            st.just([[1, 2]]),
            st.just(pd.DataFrame({"a": [[1, 2]]})),
            st.just(pd.DataFrame({"a": [{"x": 1}]})),
            st.just(pd.DataFrame({"a": [b"x"]})),
            st.just(pd.DataFrame({"a": [torch.zeros(2)]})),
            st.just(pd.DataFrame({"a": pd.to_datetime(["2020-01-01"])})),
            st.just(pd.DataFrame({"a": [1 + 2j]})),
            st.just(pd.DataFrame({"a": pd.Categorical(["x"])})),
            st.just(pd.DataFrame({0: [1]})),
            st.just(pd.DataFrame([[1, 2]], columns=["a", "a"])),
        )
    )
    raises_value_error_naming("df", lambda: cache.put({"k": 1}, bad))


# ---- experiments -------------------------------------------------------------------------------


@fuzz(60, st.sampled_from(["name", "profile", "jobs", "device"]), st.data())
def test_invalid_sweep_arguments_raise_value_error(what, data):
    kwargs = dict(name="first_run", profile="quick", jobs=1, device="cpu")
    kwargs[what] = data.draw(
        {
            "name": st.text(max_size=8).filter(lambda s: s not in sweep.REGISTRY),
            "profile": st.one_of(
                st.text(max_size=6).filter(lambda s: s not in sweep.PROFILES), st.just(3)
            ),
            "jobs": bad_ints(1, 64),
            "device": st.one_of(
                st.text(max_size=5).filter(lambda s: s not in ("cpu", "cuda")),
                st.integers(),
                st.just(1.5),
            ),
        }[what]
    )
    name = "experiment" if what == "name" else what
    with pytest.raises(ValueError, match=name):
        sweep.run(**kwargs, cache=ResultsCache(tempfile.gettempdir()))


# ---- the count ---------------------------------------------------------------------------------


def test_fuzz_example_count(record_property):
    """Total number of hypothesis examples run above (only meaningful when the whole file runs)."""
    fuzz_tests = {
        name
        for name, obj in globals().items()
        if name.startswith("test_") and hasattr(obj, "hypothesis")
    }
    if set(EXAMPLES) != fuzz_tests:
        pytest.skip("run the whole file to count the fuzz examples")
    total = sum(EXAMPLES.values())
    record_property("hypothesis_examples", total)
    print(f"hypothesis examples run: {total} in {len(EXAMPLES)} property tests")
    print(json.dumps(dict(sorted(EXAMPLES.items())), indent=1))
    assert total >= MIN_EXAMPLES
