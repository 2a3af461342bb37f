import shutil
from pathlib import Path

import pandas as pd
import pytest
from _toy_settings import toy as toy_experiment

import lib.cache
from lib import sweep
from lib.cache import ResultsCache, cache_key, code_version


def test_round_trip_exact(tmp_path):
    cache = ResultsCache(tmp_path)
    df = pd.DataFrame({"a": [1, 2], "b": [0.1 + 0.2, 1 / 3], "c": ["x", "y"], "d": [True, False]})
    cache.put({"x": 1}, df, {"seconds": 1.5})
    got, meta = cache.get({"x": 1})
    pd.testing.assert_frame_equal(got, df)
    assert meta["seconds"] == 1.5 and "torch" in meta["versions"]
    assert cache.get({"x": 2}) is None


def test_key_changes_with_every_parameter():
    base = {"experiment": "e", "profile": "quick", "point": {"n": 3, "lr": 0.1, "seed": 0}}
    keys = {cache_key(base)}
    for field, value in [("n", 4), ("lr", 0.2), ("seed", 1)]:
        keys.add(cache_key({**base, "point": {**base["point"], field: value}}))
    keys.add(cache_key({**base, "profile": "full"}))
    assert len(keys) == 5


def test_corrupt_or_truncated_entry_reads_as_missing(tmp_path):
    cache = ResultsCache(tmp_path)
    path = cache.put({"x": 1}, pd.DataFrame({"a": [1.0]}))
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    assert cache.get({"x": 1}) is None
    path.write_text(text.replace("1.0", "2.0"))
    assert cache.get({"x": 1}) is None


def test_sweep_resumes_after_a_failure(tmp_path, monkeypatch):
    calls = []

    def grid(profile):
        return [{"i": i} for i in range(4)]

    def compute(*, i, device):
        calls.append(i)
        if i == 2 and len(calls) == 3:
            raise RuntimeError("boom")
        return pd.DataFrame({"value": [i * 10]})

    monkeypatch.setitem(sweep.REGISTRY, "toy", toy_experiment("toy", "toy", grid, compute))
    cache = ResultsCache(tmp_path)
    with pytest.raises(RuntimeError):
        sweep.run("toy", "quick", cache=cache, device="cpu")
    assert calls == [0, 1, 2]
    df = sweep.run("toy", "quick", cache=cache, device="cpu")
    assert calls == [0, 1, 2, 2, 3]
    assert df["value"].tolist() == [0, 10, 20, 30] and df["i"].tolist() == [0, 1, 2, 3]
    assert df.attrs["cached_points"] == 2
    again = sweep.run("toy", "quick", cache=cache, device="cpu")
    assert again.attrs["cached_points"] == 4 and calls == [0, 1, 2, 2, 3]


def test_unknown_experiment_and_profile():
    with pytest.raises(ValueError, match="unknown experiment"):
        sweep.run("nope")
    with pytest.raises(ValueError, match="profile"):
        sweep.run("first_run", "huge")


def test_code_version_covers_only_the_code_an_experiment_imports(tmp_path, monkeypatch):
    """Editing (a copy of) a module that paper_figures never imports keeps its code hash; editing one
    it imports, directly, transitively or inside a function, changes it."""
    copy = tmp_path / "lib"
    shutil.copytree(
        Path(lib.cache.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__")
    )
    monkeypatch.setattr(lib.cache, "LIB_DIR", copy)
    name = "lib.experiments.paper_figures"
    before = code_version(name)
    assert before == code_version(name) and len(before) == 16
    # verdicts and the paper's values: above
    for untouched in (
        "plotting.py",
        "experiments/lw_theory.py",
        "experiments/__init__.py",
        "pages.py",
        "claims.py",
        "paper_values.py",
        "compare.py",
        "present.py",
    ):
        _edit(copy / untouched)
        assert code_version(name) == before, untouched
    assert code_version("lib.experiments.lw_theory") != code_version("lib.experiments.setting")
    for imported in ("models.py", "baselines.py", "samples.py", "protocol.py"):
        _edit(copy / imported)
        after = code_version(name)
        assert after != before, imported
        before = after


def _edit(path):
    path.write_text(path.read_text() + "\n# edited\n")


def test_a_point_config_is_keyed_by_its_own_code_hash_not_all_of_lib(monkeypatch):
    own = {"experiment": "e", "point": {"n": 3}, "code": "abc"}
    plain = {"experiment": "e", "point": {"n": 3}}
    keys = []
    for version in ("one", "two"):
        monkeypatch.setattr(lib.cache, "_CODE_VERSION", version)  # as if some lib file had changed
        keys.append((cache_key(own), cache_key(plain)))
    assert keys[0][0] == keys[1][0] and keys[0][1] != keys[1][1]
    assert cache_key({**own, "code": "abd"}) != keys[0][0]


def test_code_version_of_a_module_outside_lib_and_bad_names():
    assert code_version("_toy_sweep") == code_version("_toy_sweep")  # tests/ is on the path
    assert code_version("no_such_module_anywhere") == code_version()  # no source: all of lib
    with pytest.raises(ValueError, match="module must be a module name"):
        code_version("")
