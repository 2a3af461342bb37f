"""The environment: pyproject.toml's ranges, the lock that `make` installs, and what installs it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[0-9][A-Za-z0-9.!+-]*)$")


def locked() -> dict[str, Version]:
    """name -> version of every line of requirements-lock.txt (comments skipped)."""
    pins = {}
    for line in (ROOT / "requirements-lock.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            match = PIN.match(line)
            assert match, f"not an exact pin: {line!r}"
            pins[canonicalize_name(match["name"])] = Version(match["version"])
    return pins


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert set(extras) == {"book", "test", "dask"}
    return [
        Requirement(text)
        for text in project["dependencies"] + [r for group in extras.values() for r in group]
    ]


def test_the_lock_pins_every_declared_package_within_its_range():
    pins = locked()
    assert len(pins) > 100  # the whole environment, not only the direct dependencies
    outside = {
        str(req): str(pins.get(canonicalize_name(req.name)))
        for req in declared()
        if canonicalize_name(req.name) not in pins
        or pins[canonicalize_name(req.name)] not in req.specifier
    }
    assert not outside, outside


def test_runtime_dependencies_are_what_lib_imports():
    runtime = {
        canonicalize_name(Requirement(text).name)
        for text in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    }
    assert runtime == {
        "torch",
        "numpy",
        "scipy",
        "pandas",
        "matplotlib",
        "seaborn",
        "scikit-learn",
        "tqdm",
    }
    jupyter_book = [req for req in declared() if req.name == "jupyter-book"]
    assert jupyter_book and Version("2") not in jupyter_book[0].specifier  # Jupyter Book stays 1.x


def test_torch_is_locked_without_a_build_label():
    # the same line must admit the CPU, CUDA and macOS builds of one version
    assert locked()["torch"].local is None


def test_make_installs_the_lock():
    lines = [
        ln
        for ln in (ROOT / "requirements.txt").read_text().splitlines()
        if ln and not ln.startswith("#")
    ]
    assert lines == ["-c requirements-lock.txt", "-e .[book,test,dask]"]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(
        r"^\$\(BIN\)/\.installed: requirements\.txt requirements-lock\.txt pyproject\.toml$",
        makefile,
        re.M,
    )
    assert "pip install --quiet -r requirements.txt" in makefile
