"""Every registered experiment has a settings object (issue 21, item 1): its fields are what `lib.run`
and `--set` may replace, a field at its own value changes no point, an unknown field or a bad value is
a ValueError before any point is computed, and the command line refuses a bad value in one line."""

from __future__ import annotations

import dataclasses

import pytest

import lib.experiments  # noqa: F401  (registers every experiment)
from lib import sweep
from lib.__main__ import main
from lib.cache import ResultsCache
from lib.settings import Settings

NAMES = sorted(sweep.catalogue())
PROFILES = ("quick", "full")
# grids that compute while listing their points: Fig. 3b's selection (explore_grid); not in the full profile
COMPUTES_ITS_GRID = {"explore_grid"}


def _int_field(settings: Settings) -> str:
    """The first field of `settings` that holds an integer (not a bool)."""
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if isinstance(value, int) and not isinstance(value, bool):
            return f.name
    raise AssertionError(f"{type(settings).__name__} has no integer field")


def test_every_experiment_of_the_catalogue_is_registered_with_settings():
    assert set(NAMES) == set(sweep.REGISTRY) and len(NAMES) >= 30
    for name in NAMES:
        exp = sweep.get(name)
        assert callable(exp.settings), name
        for profile in PROFILES:
            s = exp.settings(profile)
            assert isinstance(s, Settings) and dataclasses.is_dataclass(s), (name, profile)
            assert all(s.describe().values()), f"{name}: a field without its one-line doc"


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("name", NAMES)
def test_every_field_at_its_own_value_gives_the_same_points(name, profile):
    exp = sweep.get(name)
    s = exp.settings(profile)
    same = s.replace(**s.as_dict())  # tuples arrive as lists, as from JSON on the command line
    assert same == s
    if name in COMPUTES_ITS_GRID and profile == "full":
        return
    assert exp.points(profile, s.as_dict()) == exp.points(profile) == exp.grid(s)


@pytest.mark.parametrize("name", NAMES)
def test_an_unknown_field_is_a_value_error_listing_the_fields(name):
    s = sweep.get(name).settings("quick")
    with pytest.raises(ValueError, match="'no_such_knob' is no setting of") as exc:
        sweep.settings_for(name, "quick", no_such_knob=1)
    assert all(field in str(exc.value) for field in s.field_names())


@pytest.mark.parametrize("name", NAMES)
def test_a_negative_integer_is_refused_before_any_point_is_computed(name, monkeypatch, tmp_path):
    exp = sweep.get(name)
    field = _int_field(exp.settings("quick"))

    def never(*args, **kwargs):
        raise AssertionError("a point was computed")

    # nor listed
    monkeypatch.setitem(sweep.REGISTRY, name, dataclasses.replace(exp, grid=never, compute=never))
    with pytest.raises(ValueError, match=field):
        sweep.run(name, "quick", device="cpu", cache=ResultsCache(tmp_path), **{field: -1})
    assert not any(tmp_path.rglob("*"))


@pytest.mark.parametrize(
    "name, setting",
    [
        ("fcn_sgd_n", "alpha=2"),
        ("jt_second_phase", "ds=[2]"),
        ("lw_samples", "ms=[16]"),  # one m for five d: the per-point tuples must have one length
        ("k_threshold", 'choices=["sgd"]'),
        ("vc_memorisation", "ms=[200]"),  # more than the 128 shattered points of n = 8
    ],
)
def test_a_bad_set_value_of_a_part_ii_experiment_exits_2_with_one_line(
    name, setting, monkeypatch, tmp_path, capsys
):
    monkeypatch.setenv("MAXPOOL_CACHE_DIR", str(tmp_path))
    with pytest.raises(SystemExit) as exc:
        main(["run", name, "--profile", "quick", "--device", "cpu", "--set", setting])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "error:" in line]
    assert (
        exc.value.code == 2
        and len(lines) == 1
        and setting.split("=")[0] in lines[0]
        and "Traceback" not in err
    )
    assert not any(tmp_path.rglob("*"))


def test_the_book_pages_overrides_are_the_default_settings():
    """The calls of book/paper/fcn_comparison.py and lw_cnn_theory.py name fields at the book's values:
    the same settings, so the same points and cache entries."""
    for profile in PROFILES:
        assert sweep.settings_for(
            "fcn_sgd_n", profile, k=50, alpha=0.5, v=1.0, lr=0.01
        ) == sweep.settings_for("fcn_sgd_n", profile)
        assert sweep.settings_for(
            "fcn_sgd_m", profile, k=50, alpha=0.5, v=1.0, lr=0.01
        ) == sweep.settings_for("fcn_sgd_m", profile)
        assert sweep.settings_for(
            "jt_second_phase", profile, n=4, m=200, eta=1.0, lr2_factor=4.0
        ) == sweep.settings_for("jt_second_phase", profile)


def test_an_override_reaches_the_points():
    """One field per kind of grid: a scalar reaches every point, a tuple becomes the points."""
    assert {p["seeds"] for p in sweep.get("cnn_vs_fcn").points("quick", {"seeds": 7})} == {7}
    assert [p["m"] for p in sweep.get("gen_psi").points("quick", {"ms": [30, 60]})] == [30, 60]
    assert [
        (p["d"], p["k"])
        for p in sweep.get("lw_samples").points("quick", {"ds": [5], "ms": [64], "seeds": [2]})
    ] == [(5, 8 * 5**3 + 1)]
    assert {p["eta_rule"] for p in sweep.get("gen_width").points("quick", {"fixed_eta": 0.3})} == {
        "2/k",
        "0.3",
    }
    probe = sweep.get("k_probe").points("quick", {"d": 6, "k": 40, "choice": "adam"})
    assert probe == [
        {
            "d": 6,
            "k": 40,
            "choice": "adam",
            "n": 10,
            "m": 200,
            "seeds": 10,
            "test_size": 2000,
            "selection_profile": "quick",
        }
    ]
