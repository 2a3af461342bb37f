"""The extensions that reach readers: the quick-profile banner, one figure number per caption, and the
Colab notebooks (their first cell run on a faked Colab, offline but for pip's build of the package)."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from docutils import nodes

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))

import colab  # noqa: E402
import paper_figure_numbers  # noqa: E402
import profile_banner  # noqa: E402

URL = "https://github.com/some-owner/some-book"


def test_banner_only_in_the_quick_profile():
    options = {"logo": {}}
    quick = profile_banner.profile_theme_options(options, "quick")
    assert "Quick profile" in quick["announcement"]
    assert profile_banner.profile_theme_options(options, "full") == options
    assert "announcement" not in options  # the given options are not changed


def test_each_profile_has_its_own_execution_cache(monkeypatch, tmp_path):
    """A page's code is the same in both profiles, so their executed pages live in separate caches;
    a cache named in _config.yml is kept."""
    from types import SimpleNamespace

    app = SimpleNamespace(outdir=str(tmp_path / "_build" / "html"))
    paths = {}
    for profile in ("quick", "full"):
        monkeypatch.setenv("BOOK_PROFILE", profile)
        config = SimpleNamespace(html_theme_options={}, nb_execution_cache_path="")
        profile_banner._apply(app, config)
        paths[profile] = config.nb_execution_cache_path
    assert paths == {p: str(tmp_path / "_build" / ".jupyter_cache" / p) for p in ("quick", "full")}
    named = SimpleNamespace(html_theme_options={}, nb_execution_cache_path="/somewhere")
    profile_banner._apply(app, named)
    assert named.nb_execution_cache_path == "/somewhere"


def _figure(figid: str, caption: str) -> nodes.figure:
    figure = nodes.figure(ids=[figid])
    figure += nodes.caption(text=caption)
    return figure


def test_paper_numbered_captions_are_found():
    doc = nodes.section()
    doc += _figure("fig-paper-3a", "Fig. 3a, ours beside the paper's.")
    doc += _figure("fig-paper-lw", "Fig. 3a's setting: ConvPool against LW_CNN.")
    doc += _figure("fig-own", "Test error against m.")
    assert paper_figure_numbers.paper_figures(doc) == {"fig-paper-3a"}


def test_renumber_drops_paper_figures_and_closes_the_gaps():
    numbers = {
        "a": {"figure": {"f1": (1,), "f2": (2,)}, "table": {"t1": (1,)}},
        "b": {"figure": {"p3a": (3,), "f4": (4,), "p5": (5,), "f6": (6,)}},
        "c": {"table": {"t2": (2,)}},
    }
    result = paper_figure_numbers.renumber(numbers, {"b": {"p3a", "p5"}})
    assert result == {
        "a": {"figure": {"f1": (1,), "f2": (2,)}, "table": {"t1": (1,)}},
        "b": {"figure": {"f4": (3,), "f6": (4,)}},
        "c": {"table": {"t2": (2,)}},
    }
    assert paper_figure_numbers.renumber(numbers, {}) == numbers  # nothing to drop: unchanged
    sectioned = {"a": {"figure": {"x": (2, 1), "p": (2, 2), "y": (2, 3), "z": (3, 1)}}}
    assert paper_figure_numbers.renumber(sectioned, {"a": {"p"}}) == {
        "a": {"figure": {"x": (2, 1), "y": (2, 2), "z": (3, 1)}}
    }


def test_colab_pages_and_links():
    pages = colab.pages()
    assert "book/paper/experiments" in pages and "book/use/explore" in pages
    assert all((ROOT / f"{page}.py").is_file() for page in pages)
    assert "book/intro" not in pages  # a MyST page, not a notebook
    assert colab.colab_link(URL, "book/paper/setting") == (
        "https://colab.research.google.com/github/some-owner/some-book/blob/colab/book/paper/setting.ipynb"
    )


def test_colab_notebook_starts_with_the_setup_cell(tmp_path):
    written = colab.write_notebooks(tmp_path, URL, "main")
    assert len(written) == len(colab.pages())
    notebook = json.loads((tmp_path / "book" / "paper" / "setting.ipynb").read_text())
    first = "".join(notebook["cells"][0]["source"])
    ast.parse(first)
    assert '"--no-deps"' in first and URL in first and "'book/paper'" in first
    assert notebook["cells"][0]["metadata"]["tags"] == ["colab-setup"]
    assert all(not cell.get("outputs") for cell in notebook["cells"])
    # nothing installed besides the package
    assert "torch" not in first.split("--no-deps")[1].split("\n")[0]


def test_setup_cell_does_nothing_outside_colab(tmp_path):
    cell = colab.setup_cell(URL, "main", "book/paper/setting", root=str(tmp_path / "clone"))
    result = subprocess.run(
        [sys.executable, "-c", cell + "\nimport os; print(os.getcwd())"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "BOOK_PROFILE": "full"},
    )
    assert result.stdout.strip() == str(tmp_path)
    assert not (tmp_path / "clone").exists()


def test_setup_cell_on_a_faked_colab(tmp_path):
    """The cell in a fresh venv that sees this environment's packages (as Colab has its own), with a
    stand-in `google.colab` module, cloning a local copy of the repository: the package is installed
    into that venv alone, `lib` imports from the clone, the profile is quick, the folder the page's."""
    origin = tmp_path / "origin"
    origin.mkdir()
    for name in ("lib", "book", "data"):
        shutil.copytree(
            ROOT / name, origin / name, ignore=shutil.ignore_patterns("__pycache__", "*.ipynb")
        )
    for name in ("pyproject.toml", "LICENSE"):
        shutil.copy2(ROOT / name, origin / name)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q"], cwd=origin, check=True)
    subprocess.run([*git, "add", "-A"], cwd=origin, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "copy"], cwd=origin, check=True)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # Colab's own packages
    Path(site, "host.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    fake = tmp_path / "fake" / "google" / "colab"
    fake.mkdir(parents=True)
    (fake.parent / "__init__.py").write_text("")
    (fake / "__init__.py").write_text("")

    clone = tmp_path / "content" / "maxpool-repro"
    cell = colab.setup_cell(f"file://{origin}", "main", "book/paper/experiments", root=str(clone))
    probe = cell.replace(
        "import os, subprocess, sys", "import google.colab, os, subprocess, sys", 1
    ) + (
        "\nimport lib, torch\nprint(os.getcwd(), os.environ['BOOK_PROFILE'], lib.__file__, lib.current_profile())"
    )
    env = {
        key: value for key, value in os.environ.items() if key not in ("BOOK_PROFILE", "PYTHONPATH")
    }
    env["PYTHONPATH"] = str(tmp_path / "fake")
    result = subprocess.run(
        [python, "-c", probe], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    cwd, profile, lib_file, current = result.stdout.split()
    assert cwd == str(clone / "book" / "paper") and profile == current == "quick"
    assert Path(lib_file) == clone / "lib" / "__init__.py"
    installed = subprocess.run(
        [python, "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True, env=env
    )
    assert "maxpool-repro==" in installed.stdout
    # nothing but the package went into the venv (its own site-packages): torch stays the host's
    own = {
        p.name.split("-")[0].lower()
        for p in Path(site).iterdir()
        if p.name.endswith((".dist-info", ".egg-info"))
    }
    assert own <= {"pip", "setuptools", "maxpool_repro"}, own


def test_colab_button_joins_the_launch_menu_of_notebook_pages():
    class App:
        class config:
            html_theme_options = {"repository_url": URL}

        class env:
            @staticmethod
            def doc2path(page):
                return str(ROOT / f"{page}.{'md' if page == 'book/intro' else 'py'}")

    def context():
        return {"header_buttons": [{"label": "launch-buttons", "buttons": [{"text": "Binder"}]}]}

    page = context()
    colab._add_button(App, "book/paper/setting", "page.html", page, None)
    assert [b["text"] for b in page["header_buttons"][0]["buttons"]] == ["Binder", "Colab"]
    assert page["header_buttons"][0]["buttons"][1]["url"] == colab.colab_link(
        URL, "book/paper/setting"
    )
    intro = context()
    # a MyST page: no generated notebook
    colab._add_button(App, "book/intro", "page.html", intro, None)
    assert [b["text"] for b in intro["header_buttons"][0]["buttons"]] == ["Binder"]
    App.config.html_theme_options = {}  # no repository address: no button
    plain = context()
    colab._add_button(App, "book/paper/setting", "page.html", plain, None)
    assert [b["text"] for b in plain["header_buttons"][0]["buttons"]] == ["Binder"]
