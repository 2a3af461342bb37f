"""The Part II figures of lib/plotting.py on small constructed tables: each draws the expected number
of lines, bands, markers or images, with labelled axes, and returns a Figure."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lib import OrthogonalPatterns, plotting  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _labelled(ax) -> bool:
    return bool(ax.get_xlabel()) and bool(ax.get_ylabel())


def _summary(**levels) -> pd.DataFrame:
    """A `summarize`-style table (mean, ci95) over the product of `levels`."""
    index = pd.MultiIndex.from_product(list(levels.values()), names=list(levels))
    rng = np.random.default_rng(0)
    return index.to_frame(index=False).assign(mean=rng.uniform(0.5, 1.0, len(index)), ci95=0.02)


def _errorbars(ax) -> int:
    return sum(isinstance(c, ErrorbarContainer) for c in ax.containers)


def test_pattern_samples_draws_one_row_per_input():
    fig = plotting.pattern_samples(OrthogonalPatterns(6, 10), per_class=3, seed=0)
    (ax,) = fig.axes
    assert isinstance(fig, Figure) and _labelled(ax)
    assert len(ax.images) == 1 and ax.images[0].get_array().shape == (6, 6)


def test_pattern_frequencies_one_panel_per_m():
    fig = plotting.pattern_frequencies(OrthogonalPatterns(5, 8), (20, 200), seed=1)
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert ax.get_xlabel() and len(ax.containers) == 2  # positive and negative bars
        dashed = [line for line in ax.lines if line.get_linestyle() == "--"]
        assert len(dashed) == 1  # the expected frequency of a spurious pattern
    assert fig.axes[0].get_ylabel()


def test_hinge_loss_curves_one_line_per_replica():
    runs = pd.DataFrame({"loss_curve": ["1.0,0.5,0.0", "1.0,0.2,0.1,0.0", "0.9,0.0"]})
    fig = plotting.hinge_loss_curves(runs)
    (ax,) = fig.axes
    assert _labelled(ax) and len(ax.lines) == 3 and ax.get_yscale() == "log"


def test_accuracy_vs_noise_one_panel_per_m():
    acc = _summary(model=["CNN", "FCN"], m=[10, 50], noise=[0.0, 0.5, 1.0])
    fig = plotting.accuracy_vs_noise(acc)
    assert len(fig.axes) == 2 and fig.axes[0].get_ylabel()
    for ax in fig.axes:
        assert ax.get_xlabel() and len(ax.lines) == 2 and len(ax.collections) == 2


def test_sample_gap_two_models_per_size():
    by_n = _summary(n=[5, 10], d=[30], model=["CNN k=50", "FCN-2 w=100"], m=[10, 100])
    by_d = _summary(n=[10], d=[15], model=["CNN k=50", "FCN-2 w=100"], m=[10, 100])
    fig = plotting.sample_gap(pd.concat([by_n, by_d]), n=10, d=30)
    left, right = fig.axes
    assert _labelled(left) and right.get_xlabel()
    assert len(left.lines) == 4 and len(right.lines) == 4  # (n=5, 10) and (d=15, 30) per model
    assert {line.get_linestyle() for line in left.lines} == {"-", "--"}


def test_accuracy_vs_width_labels_the_rules():
    fig = plotting.accuracy_vs_width(_summary(eta_rule=["0.1", "2/k"], k=[1, 10, 100]))
    (ax,) = fig.axes
    assert _labelled(ax) and len(ax.lines) == 2 and len(ax.collections) == 2
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["$\\eta = 2/k$", "$\\eta = 0.1$ (fixed)"]


def test_accuracy_vs_m_with_guarantee_adds_the_bound():
    fig = plotting.accuracy_vs_m_with_guarantee(_summary(k=[5, 20], m=[5, 50, 500]), n=10, d=30)
    (ax,) = fig.axes
    assert _labelled(ax) and len(ax.lines) == 4  # two widths, the guarantee, m_req
    assert len(ax.collections) == 2


def test_sample_complexity_vs_d_two_panels():
    acc = _summary(d=[10, 20], m=[10, 100])
    m_star = pd.Series([10, 100], index=pd.Index([10, 20], name="d"), name="m_star")
    fig = plotting.sample_complexity_vs_d(acc, m_star)
    left, right = fig.axes
    assert _labelled(left) and _labelled(right)
    assert len(left.lines) == 2 and len(right.lines) == 2  # per d; measured m* and T-SC


def test_psi_scores_three_panels():
    rng = np.random.default_rng(0)
    kinds = ["p_plus", "p_minus"] + ["spurious"] * 4
    psi = pd.DataFrame(
        {
            "m": np.repeat([20, 50], 6),
            "kind": kinds * 2,
            "delta": rng.normal(size=12),
            "score": rng.normal(size=12),
        }
    )
    fig = plotting.psi_scores(psi, _summary(m=[20, 50]), _summary(m=[20, 50]))
    scatter, corr, top = fig.axes
    assert all(_labelled(ax) for ax in fig.axes)
    assert len(scatter.collections) == 3  # spurious, p_plus, p_minus
    assert len(corr.lines) == 1 and len(top.lines) == 1


def test_two_point_scores_one_strip_per_location():
    two = pd.DataFrame(
        {"where": ["p_plus", "in both", "in both", "p_minus"], "score": [1.0, 0.0, 0.1, -1.0]}
    )
    fig = plotting.two_point_scores(two)
    (ax,) = fig.axes
    assert _labelled(ax) and len(ax.collections) == 3
    assert [t.get_text() for t in ax.get_xticklabels()] == ["p_plus", "in both", "p_minus"]


def _fit_runs() -> pd.DataFrame:
    k = np.array([1, 1, 50, 50, 200, 200] * 2)
    return pd.DataFrame(
        {
            "k": k,
            "m": np.repeat([20, 100], 6),
            "fitted": k > 1,
            "steps_to_fit": np.where(k > 1, 10, -1),
            "interference": k / 100,
            "bound": np.where(k >= 50, 1e4, np.inf),
            "min_width": 50,
        }
    )


def test_fit_rate_and_steps_two_panels():
    fit = _fit_runs()
    rate = fit.groupby(["k", "m"])["fitted"].mean().rename("fraction").reset_index()
    rate = rate.assign(low=rate["fraction"] * 0.9, high=rate["fraction"].clip(upper=0.95) + 0.05)
    fig = plotting.fit_rate_and_steps(rate, fit)
    left, right = fig.axes
    assert _labelled(left) and _labelled(right)
    assert _errorbars(left) == 2  # one per m
    assert len(right.collections) == 2 and len(right.lines) == 3  # runs, bounds per m, k_min


def test_interference_vs_width_dots_per_m():
    fig = plotting.interference_vs_width(_fit_runs())
    (ax,) = fig.axes
    assert _labelled(ax) and len(ax.collections) == 2 and len(ax.lines) == 1


def _dynamics(k: int = 2, d: int = 4, steps: int = 3) -> pd.DataFrame:
    index = pd.MultiIndex.from_product(
        [["w", "u"], range(steps), range(k), range(d)], names=["sign", "step", "filter", "pattern"]
    )
    dyn = index.to_frame(index=False)
    dyn["dot"] = np.random.default_rng(0).normal(size=len(dyn))
    own = dyn["sign"].map({"w": 0, "u": 1})
    dyn["kind"] = np.where(
        dyn["pattern"] == own,
        "discriminative",
        np.where(dyn["pattern"] >= 2, "spurious", "other discriminative"),
    )
    return dyn


def test_filter_pattern_heatmaps_one_image_per_sign_and_step():
    fig = plotting.filter_pattern_heatmaps(_dynamics(), [0, 2])
    panels = [ax for ax in fig.axes if ax.images]
    assert len(panels) == 4 and len(fig.axes) == 5  # 2 signs x 2 steps, and the colour bar
    assert all(ax.get_ylabel() for ax in panels[::2]) and all(ax.get_xlabel() for ax in panels[2:])
    assert panels[0].images[0].get_array().shape == (2, 4)


def test_detector_winners_lines_per_sign():
    share = pd.DataFrame(
        {"discriminative": 0.5, "spurious": 0.3, "no active patch": 0.2},
        index=pd.MultiIndex.from_product([range(3), ["u", "w"]], names=["step", "sign"]),
    )
    fig = plotting.detector_winners(_dynamics(), share)
    left, right = fig.axes
    assert _labelled(left) and _labelled(right)
    assert len(left.lines) == 6 and len(right.lines) == 4  # (3 shares, 2 dot products) x 2 signs


def test_outside_regime_two_sweeps_per_panel():
    out = pd.DataFrame(
        {
            "init_std": [1e-3, 1e-3, 1e-1, 1e-1, 1e-3, 1e-3],
            "lr": [0.01, 0.01, 0.01, 0.01, 1.0, 1.0],
            "interference": [0.5, 0.6, 5.0, 6.0, 9.0, 8.0],
            "steps_to_fit": [10, 12, 100, -1, 20, 30],
            "test_accuracy": [1.0, 0.99, 0.8, 0.7, 0.9, 0.95],
        }
    )
    fig = plotting.outside_regime(out)
    assert len(fig.axes) == 3
    for ax in fig.axes:
        assert _labelled(ax) and _errorbars(ax) == 2
