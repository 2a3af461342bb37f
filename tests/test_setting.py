"""Tests of the setting chapter's helpers: the Fig. 1a-style pictures and the ConvPool diagram
(lib/diagrams.py), the first-run figure (lib/plotting.py) and the first-run experiment
(lib/experiments/setting.py)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from lib import OrthogonalPatterns  # noqa: E402
from lib.diagrams import (  # noqa: E402
    GLYPH_SIZE,
    NEGATIVE_COLOR,
    POSITIVE_COLOR,
    draw_convpool,
    draw_glyph_key,
    draw_network,
    draw_points,
    pattern_color,
    pattern_glyphs,
    point_image,
)
from lib.experiments.setting import first_run, log_steps  # noqa: E402
from lib.sweep import get  # noqa: E402
from lib.theory import regime  # noqa: E402
from lib.plotting import setting_first_run_figure  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------- glyphs and pictures of points


@pytest.mark.parametrize("l", [1, 3, 8, 12, 13, 40])
def test_glyphs_are_distinct_and_deterministic(l):
    g = pattern_glyphs(l)
    assert g.shape == (l, GLYPH_SIZE, GLYPH_SIZE) and g.dtype == bool
    assert len({x.tobytes() for x in g}) == l
    assert g.any(axis=(1, 2)).all()  # no blank glyph
    assert np.array_equal(g, pattern_glyphs(l))
    # prefix-stable
    assert np.array_equal(pattern_glyphs(l)[: min(l, 3)], pattern_glyphs(3)[: min(l, 3)])


def test_o1_is_a_plus_and_o2_a_ring():
    g = pattern_glyphs(2)
    mid = GLYPH_SIZE // 2
    assert g[0][mid].all() and g[0][:, mid].all() and g[0].sum() == 2 * GLYPH_SIZE - 1
    assert not g[1][mid, mid]  # a ring is empty in the middle


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3", True])
def test_glyphs_validate_l(bad):
    with pytest.raises(ValueError, match="l must"):
        pattern_glyphs(bad)


def test_pattern_colors():
    assert pattern_color(0) == POSITIVE_COLOR and pattern_color(1) == NEGATIVE_COLOR
    assert pattern_color(2) == pattern_color(7) not in (POSITIVE_COLOR, NEGATIVE_COLOR)


def test_point_image_places_each_glyph_in_its_tile():
    rows, cols, l = 2, 3, 6
    indices = np.array([5, 0, 2, 1, 4, 3])
    img = point_image(indices, l, (rows, cols))
    tile = GLYPH_SIZE + 2
    assert img.shape == (rows * tile + 1, cols * tile + 1, 3)
    assert img.min() >= 0 and img.max() <= 1
    glyphs = pattern_glyphs(l)
    for j, p in enumerate(indices):
        r, c = divmod(j, cols)
        block = img[
            r * tile + 2 : r * tile + 2 + GLYPH_SIZE, c * tile + 2 : c * tile + 2 + GLYPH_SIZE
        ]
        drawn = (block < 0.999).any(-1)
        assert np.array_equal(drawn, glyphs[p]), (j, p)
    # o_1's tile (position 1) is blue, o_2's (position 3) orange
    blue = np.array(matplotlib.colors.to_rgb(POSITIVE_COLOR))
    orange = np.array(matplotlib.colors.to_rgb(NEGATIVE_COLOR))
    assert np.allclose(img[2 + GLYPH_SIZE // 2, tile + 2 + GLYPH_SIZE // 2], blue)
    assert any(
        np.allclose(px, orange)
        for px in img[tile + 2 : tile + 2 + GLYPH_SIZE, 2 : 2 + GLYPH_SIZE].reshape(-1, 3)
    )


@pytest.mark.parametrize(
    "indices, l, grid, match",
    [
        (np.arange(4), 4, (2, 3), "indices must be 6 integers"),
        (np.arange(4.0), 4, (2, 2), "indices must be 4 integers"),
        (np.array([0, 1, 2, 4]), 4, (2, 2), r"indices must lie in \[0, l=4\)"),
        (np.array([0, 1, 2, -1]), 4, (2, 2), r"indices must lie in \[0, l=4\)"),
        (np.arange(4), 4, [2, 2], "grid must be a tuple"),
        (np.arange(4), 4, (0, 4), r"grid\[0\] must"),
        (np.arange(4), 0, (2, 2), "l must"),
    ],
)
def test_point_image_validates(indices, l, grid, match):
    with pytest.raises(ValueError, match=match):
        point_image(indices, l, grid)


def test_draw_points_on_samples_of_D():
    dist = OrthogonalPatterns(16, 8)
    idx, y = dist.sample_indices(6, seed=0)
    fig, axes = plt.subplots(2, 3)
    draw_points(axes, idx.numpy(), y.int().numpy(), 8, (4, 4))
    for ax, label in zip(axes.ravel(), y.tolist()):
        assert ax.get_title() == f"$y = {int(label):+d}$"
        assert len(ax.images) == 1


def test_draw_points_validates():
    idx = np.zeros((2, 4), dtype=int)
    fig, axes = plt.subplots(1, 2)
    with pytest.raises(ValueError, match="axes must hold one axis per point"):
        draw_points(axes[:1], idx, np.array([1, -1]), 3, (2, 2))
    with pytest.raises(ValueError, match="y must hold 2 labels"):
        draw_points(axes, idx, np.array([1, 0]), 3, (2, 2))
    with pytest.raises(ValueError, match="idx must be a 2-d array"):
        draw_points(axes, np.zeros(4, dtype=int), np.array([1, -1]), 3, (2, 2))


def test_glyph_key_names_every_pattern():
    fig, ax = plt.subplots()
    draw_glyph_key(ax, 5)
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"$o_{{{p}}}$" for p in range(1, 6)]
    with pytest.raises(ValueError, match="l must"):
        draw_glyph_key(ax, 0)


# ---------------------------------------------------------------- network diagrams


@pytest.mark.parametrize("winner", [None, 0, 5])
def test_draw_convpool(winner):
    fig, ax = plt.subplots()
    draw_convpool(ax, n=6, k=4, winner=winner)
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "w_{4}" in texts and "x[6]" in texts and "a_{1}" in texts
    assert ("winner of channel 1" in texts) == (winner is not None)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n=0), "n must"),
        (dict(k=0), "k must"),
        (dict(n=3, winner=3), "winner must"),
        (dict(winner=1.5), "winner must"),
    ],
)
def test_draw_convpool_validates(kwargs, match):
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=match):
        draw_convpool(ax, **kwargs)


def test_old_draw_network_still_works():
    fig, ax = plt.subplots()
    draw_network(ax, n=6, k=3)
    assert any("N_W" in t.get_text() for t in ax.texts)


# ---------------------------------------------------------------- the first run


def test_log_steps():
    s = log_steps(2000)
    assert s[0] == 0 and s[1] == 1 and s[-1] == 2000 and np.all(np.diff(s) > 0)
    assert len(s) <= 301
    assert list(log_steps(0)) == [0] and list(log_steps(3)) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="T must"):
        log_steps(-1)
    with pytest.raises(ValueError, match="num must"):
        log_steps(10, num=1)


@pytest.mark.parametrize("profile", ["quick", "full"])
def test_grid_theorem_point_meets_theorem_5_1(profile):
    theorem, relaxed = get("setting_first_run").points(profile)
    assert theorem["regime"] == "theorem" and relaxed["regime"] == "relaxed"
    d, k, T1 = theorem["d"], theorem["k"], theorem["T1"]
    assert k > 8 * d**3
    assert theorem["lr1"] <= 1 / (4 * k * (T1 + 1))
    assert theorem["radius"] <= theorem["lr1"] / 200
    assert theorem["lr2"] < 8 * k
    assert relaxed["d"] == 20 and relaxed["n"] == 10 and relaxed["basis"] == "random"


def _tiny_run():
    return first_run(
        regime="theorem",
        d=3,
        l=3,
        basis="standard",
        k=217,
        n=4,
        m=10,
        T1=3,
        T2=20,
        lr1=regime(3, 217, 3).lr1,
        radius=regime(3, 217, 3).radius,
        lr2=4 * 217,
        replicas=2,
        seed=0,
        test_size=50,
        device="cpu",
    )


def test_first_run_table():
    threads = torch.get_num_threads()
    df = _tiny_run()
    assert torch.get_num_threads() == threads  # the single-thread block restores the setting
    assert set(df["phase"]) == {"L1", "L2"}
    assert sorted(df.loc[df["phase"] == "L1", "step"].unique()) == [0, 1, 2, 3]
    assert df.loc[df["phase"] == "L2", "step"].max() == 20
    assert set(df["replica"]) == {0, 1}
    start = df[(df["step"] == 0) & (df["phase"] == "L1")]
    assert np.allclose(start["loss"], np.log(2), atol=1e-3)  # tiny radius: N ~ 0 at the start
    assert df["test_accuracy"].between(0, 1).all() and df["s2_accuracy"].between(0, 1).all()


def test_first_run_figure():
    df = _tiny_run()
    df["regime"] = "theorem"
    df["d"], df["k"] = 3, 217
    relaxed = df.copy()
    relaxed["regime"] = "relaxed"
    fig = setting_first_run_figure(pd.concat([df, relaxed]))
    axes = fig.axes
    assert len(axes) == 4
    assert axes[1].get_xscale() == "log" and axes[1].get_yscale() == "log"
    assert len(axes[0].lines) == 2 + 1  # one line per replica and the floor
    with pytest.raises(ValueError, match="runs must be a DataFrame with columns"):
        setting_first_run_figure(df.drop(columns="loss"))
    with pytest.raises(ValueError, match="runs must hold the regime"):
        setting_first_run_figure(df.assign(regime="other"))
