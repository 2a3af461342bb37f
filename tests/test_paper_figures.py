"""The §7 experiments (lib/experiments/paper_figures.py), the published values, their claims and CLI."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from _toy_settings import toy as toy_experiment

import lib
from lib import compare, paper_values
from lib.__main__ import main
from lib.experiments import paper_figures as pf
from lib.protocol import chosen, figure_settings, selection, steps_for
from lib.sweep import get

TINY = dict(
    k=8, epochs=2, test_size=50, seeds=2, selection_seeds=2, lrs=(1e-3, 1e-2), radii=(1e-3,)
)
COLUMNS = {"model", "seed", "test_error", "train_error", "n", "m"}


@pytest.fixture(autouse=True)
def _cache(monkeypatch, tmp_path):
    monkeypatch.setenv("MAXPOOL_CACHE_DIR", str(tmp_path))


@pytest.mark.parametrize("name", ["fig3a", "fig3b", "fig5", "fig3c"])
def test_tiny_run_of_each_figure(name):
    over = dict(TINY, m=40, grid=(40,)) if name != "fig5" else dict(TINY, m=40, grid=(10,))
    if name == "fig3c":
        over.update(max_steps=3)
    df = lib.run(name, "quick", device="cpu", **over)
    assert COLUMNS <= set(df.columns)
    assert sorted(df.model.unique()) == ["ConvPool", "MLP", "SVM"] and len(df) == 6
    assert df.test_error.between(0, 1).all() and df.train_error.between(0, 1).all()
    conv = df[df.model == "ConvPool"].iloc[0]
    d = 784 if name == "fig3c" else 20
    assert conv.lr in (1e-3, 1e-2) and conv.radius == 1e-3 and conv.params == 8 * d + 8
    # 2 epochs of 2 minibatches (capped at 3 steps for MNIST)
    assert conv.steps == (3 if name == "fig3c" else 4)


def test_every_override_reaches_the_points_and_the_selection():
    """lib.run("fig3a", n=6, k=64, d=12, epochs=...): every row of the figure's table and of its
    selection table shows the new setting (the selection runs at the same n, d, k, not at a copy)."""
    df = lib.run(
        "fig3a",
        "quick",
        device="cpu",
        n=6,
        k=16,
        d=12,
        epochs=1,
        grid=(20,),
        seeds=1,
        selection_seeds=1,
        lrs=(1e-2,),
        radii=(1.0,),
        test_size=20,
        m=20,
    )
    assert (
        (df.n == 6).all() and (df.d == 12).all() and (df.k == 16).all() and (df.epochs == 1).all()
    )
    assert (df[df.model == "ConvPool"].params == 16 * 12 + 16).all() and (
        df[df.model == "SVM"].params == 6 * 12
    ).all()
    s = df.attrs["settings"]
    sel = selection(s, "cpu")
    assert (
        (sel.n == 6).all() and (sel.d == 12).all() and (sel.k == 16).all() and (sel.m == 20).all()
    )
    fig5 = lib.settings_for("fig5", "quick", n=7, m=30)
    assert selection_reference(fig5) == (7, 30) and [
        p["x"] for p in get("fig5").points("quick", {"n": 7})
    ] == [2, 10, 50]


def selection_reference(s):
    config = s.selection_config()
    return config["n"], config["m"]


def test_unknown_or_bad_settings_are_refused_before_any_work():
    with pytest.raises(
        ValueError, match="'kk' is no setting.*the settings are: task, x_axis, grid, n, m, d"
    ):
        lib.run("fig3a", "quick", kk=1)
    for bad, match in (
        (dict(seeds="abc"), "seeds must be an integer"),
        (dict(seeds=-1), "seeds must be"),
        (dict(n=0), "n must be"),
        (dict(m=0), "m must be"),
        (dict(grid=[]), "grid must hold"),
        (dict(lrs=[0.0]), r"lrs\[0\] must be"),
        (dict(noise_law="cauchy"), "noise_law must be one of"),
        (dict(d=30), "d must be 784 for task='mnist'"),
        (dict(val_fraction=0.99), "val_fraction"),
    ):
        with pytest.raises(ValueError, match=match):
            lib.run("fig3c" if "d" in bad else "fig3a", "quick", **bad)


def test_more_seeds_train_only_the_new_ones(monkeypatch):
    """Each repetition is cached alone: 3 seeds after 2 train one more (the others are read), and the
    rows are those of 3 seeds from scratch, bit for bit, as a batch of one or of three gives them."""
    s = figure_settings("fig3a", "quick").replace(grid=(40,), **{**TINY, "seeds": 2})
    two = pf.run_point(s)
    trained = []
    real = pf._train_replicas
    monkeypatch.setattr(
        pf, "_train_replicas", lambda s, reps, device: trained.append(reps) or real(s, reps, device)
    )
    three = pf.run_point(s.replace(seeds=3))
    assert trained == [[2]]
    pd.testing.assert_frame_equal(three[three.seed < 2].reset_index(drop=True), two)
    fresh = real(s.replace(seeds=3), [0, 1, 2], "cpu")
    pd.testing.assert_frame_equal(three.drop(columns="seconds"), fresh.drop(columns="seconds"))


def test_mnist_caps_steps_and_the_svm():
    s = figure_settings("fig3c", "full")
    assert steps_for(10_000, 50, 32, s.max_steps) == (s.max_steps, 32)
    assert steps_for(640, 50, 32, s.max_steps) == (1_000, 32)
    assert steps_for(20, 50, 32, 10) == (10, None)
    with pytest.raises(ValueError, match="max_steps"):
        steps_for(20, 50, 32, 0)
    df = lib.run(
        "fig3c",
        "quick",
        device="cpu",
        **{
            **TINY,
            "seeds": 1,
            "k": 4,
            "max_steps": 2,
            "grid": (30,),
            "svm_max_m": 20,
            "test_size": 20,
        },
    )
    assert "SVM" not in set(df.model)  # m = 30 > svm_max_m


def test_tiny_run_of_lw_vs_e2e():
    df = lib.run(
        "lw_vs_e2e", "quick", device="cpu", grid=(12,), seeds=2, k=8, T1=5, T2=5, test_size=50
    )
    assert (
        COLUMNS <= set(df.columns) and (df.model == "LW_CNN").all() and df.seed.tolist() == [0, 1]
    )


def test_grids_profiles_and_seeds():
    for name in ("fig3a", "fig3b", "fig5", "fig3c", "lw_vs_e2e"):
        quick, full = get(name).points("quick"), get(name).points("full")
        assert min(p["seeds"] for p in quick) >= 5
        assert min(p["seeds"] for p in full) >= (5 if name == "fig3c" else 10)
        assert len(quick) < len(full)
    assert [p["x"] for p in get("fig3c").points("full")] == [10, 100, 500, 1000, 5000, 10000]
    assert [p["x"] for p in get("fig3b").points("full")][-1] == 1000
    assert [p["x"] for p in get("fig5").points("full")] == [2, 5, 10, 20, 50]


def test_selection_picks_lowest_validation_error_then_loss():
    table = pd.DataFrame(
        {
            "model": ["MLP"] * 4 + ["ConvPool"] * 2,
            "lr": [1e-3, 1e-3, 1e-2, 1e-2, 1e-3, 3e-3],
            "radius": [math.nan] * 4 + [1.0, 1e-3],
            "seed": [0, 1, 0, 1, 0, 0],
            "val_error": [0.1, 0.1, 0.1, 0.1, 0.0, 0.0],
            "val_loss": [0.5, 0.5, 0.2, 0.2, 0.3, 0.1],
        }
    )
    pick = chosen(table)
    assert pick["MLP"]["lr"] == 1e-2 and math.isnan(pick["MLP"]["radius"])
    assert pick["ConvPool"] == {"lr": 3e-3, "radius": 1e-3}


def test_figure_settings_validate_their_arguments():
    with pytest.raises(ValueError, match="figure must be one of"):
        figure_settings("fig4", "quick")
    with pytest.raises(ValueError, match="l must be at most d"):
        figure_settings("fig3a", "quick").replace(l=21)


def test_published_values_are_data():
    pub = paper_values.published("fig3b")
    assert set(pub.model) == set(paper_values.MODELS) and sorted(pub.m.unique()) == [
        10,
        100,
        200,
        500,
        1000,
    ]
    assert paper_values.READ_OFF_UNCERTAINTY == 0.01
    assert paper_values.published("fig5").x.iloc[0] == "n"
    with pytest.raises(ValueError, match="figure must be one of"):
        paper_values.published("fig9")


def test_cli_figure_rejects_other_names(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["figure", "lw_vs_e2e"])
    assert (
        exc.value.code == 2
        and "figure must be one of fig3a, fig3b, fig5, fig3c" in capsys.readouterr().err
    )


def test_cli_show_csv(monkeypatch, capsys):
    from lib import sweep

    def grid(profile):
        return [{"i": 1}]

    monkeypatch.setitem(
        sweep.REGISTRY,
        "toy",
        toy_experiment(
            "toy",
            "toy",
            grid,
            lambda *, i, device: pd.DataFrame({"model": ["A"], "test_error": [0.5]}),
        ),
    )
    assert main(["run", "toy", "--profile", "quick", "--device", "cpu"]) == 0
    capsys.readouterr()
    assert main(["show", "toy", "--profile", "quick", "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "model,test_error,i" and out[1] == "A,0.5,1"


def test_describe_fit_names_where_convpool_does_not_fit():
    rows = [
        {
            "model": "ConvPool",
            "m": m,
            "seed": s,
            "train_error": err,
            "steps": 1_000,
            "batch_size": 32,
        }
        for m, err in ((100, 0.0), (10_000, 0.02))
        for s in range(2)
    ]
    text = compare.describe_fit(pd.DataFrame(rows), "m")
    assert "m = 10,000" in text and "3.2 epochs" in text and "0.020" in text
    assert compare.describe_fit(pd.DataFrame(rows).assign(train_error=0.0), "m").startswith(
        "ConvPool fits every"
    )
    assert "at chance" not in text
    rows[-1]["train_error"] = 0.499  # seed 1 at m = 10,000 never left chance
    text = compare.describe_fit(pd.DataFrame(rows), "m")
    assert text.endswith("; run at chance: seed 1 at m = 10,000 (training error 0.499)")
