"""Publishing and reuse: repository links only from BOOK_REPOSITORY_URL, the Binder set-up, licence and
citation metadata kept consistent with the bibliography, the CI workflow, and the API reference page.

The built HTML is checked when `_build/html` exists (after `make book` or `.ci/run`), against the
environment the test runs in: CI sets BOOK_REPOSITORY_URL (or not) for the build and the tests alike.
"""

from __future__ import annotations

import ast
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
sys.path.insert(0, str(ROOT / "_ext"))

import plain_docstrings  # noqa: E402
import repository_links  # noqa: E402
from repository_links import repository_theme_options  # noqa: E402

URL = "https://github.com/some-owner/some-book"
BINDER_LINK = re.compile(r'href="(https://mybinder\.org/v2/[^"]*)"')


@pytest.fixture(scope="module")
def theme_options() -> dict:
    """html_theme_options as Jupyter Book makes them from _config.yml and its own defaults."""
    from jupyter_book.config import get_final_config

    config, _ = get_final_config(
        user_yaml=ROOT / "_config.yml",
        cli_config={"latex_individualpages": False},
        sourcedir=ROOT,
        use_external_toc=False,
    )
    return config["html_theme_options"]


def test_without_the_variable_no_repository_and_no_launch_button(theme_options):
    # Jupyter Book's defaults name a repository (its own) even when _config.yml names none
    assert "github.com" in theme_options["repository_url"]
    options = repository_theme_options(theme_options, {})
    assert options == repository_theme_options(theme_options, {repository_links.URL_VARIABLE: "  "})
    for key in repository_links.REPOSITORY_OPTIONS:
        assert key not in options
    assert not any(options[key] for key in repository_links.REPOSITORY_BUTTONS)
    assert "github" not in repr(options) and "binder" not in repr(options)
    assert "repository_url" in theme_options  # the input is not modified


@pytest.mark.parametrize("given", [URL, URL + "/", URL + ".git"])
def test_with_the_variable_links_point_at_the_repository(theme_options, given):
    options = repository_theme_options(theme_options, {repository_links.URL_VARIABLE: given})
    assert options["repository_url"] == URL
    assert options["repository_branch"] == "main"  # _config.yml
    assert options["path_to_docs"] == ""
    assert options["use_repository_button"] is True
    assert options["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert options["launch_buttons"]["notebook_interface"] == "jupyterlab"
    branch = repository_theme_options(
        theme_options,
        {repository_links.URL_VARIABLE: given, repository_links.BRANCH_VARIABLE: "dev"},
    )
    assert branch["repository_branch"] == "dev"


@pytest.mark.parametrize(
    "variable, value",
    [
        ("BOOK_REPOSITORY_URL", "https://gitlab.com/owner/repo"),
        ("BOOK_REPOSITORY_URL", "github.com/owner/repo"),
        ("BOOK_REPOSITORY_URL", "https://github.com/owner"),
        ("BOOK_REPOSITORY_URL", "https://github.com/owner/repo/tree/main"),
        ("BOOK_REPOSITORY_BRANCH", "a branch"),
    ],
)
def test_bad_repository_settings_raise(variable, value):
    environ = {repository_links.URL_VARIABLE: URL, variable: value}
    with pytest.raises(ValueError, match=variable):
        repository_theme_options({}, environ)


def _pages() -> list[Path]:
    return [
        p for p in HTML.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts
    ]


@pytest.mark.skipif(not (HTML / "index.html").exists(), reason="no built book in _build/html")
def test_built_html_links_match_the_environment():
    url = os.environ.get(repository_links.URL_VARIABLE, "").strip()
    pages = _pages()
    if not url:
        for page in pages:
            text = page.read_text(encoding="utf-8")
            # a launch link (the prose may name mybinder.org)
            assert "mybinder.org/v2/" not in text, page
            assert "source-repository-button" not in text, page
            assert "github.com/executablebooks/jupyter-book" not in text, page
            assert "github.com/maxpool-repro" not in text, page
        return
    repo = repository_theme_options({}, os.environ)["repository_url"].removeprefix(
        "https://github.com/"
    )
    branch = (
        os.environ.get(repository_links.BRANCH_VARIABLE)
        or yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["branch"]
    )
    launched = 0
    for page in pages:
        for link in BINDER_LINK.findall(page.read_text(encoding="utf-8")):
            prefix = f"https://mybinder.org/v2/gh/{repo}/{branch}?urlpath=lab/tree/"
            assert link.startswith(prefix), link
            source = Path(link.removeprefix(prefix))
            assert (ROOT / source).is_file(), link  # the page's own source, in the repository
            assert source.with_suffix(".html") == page.relative_to(HTML), link
            launched += 1
    assert launched > 0


def test_binder_environment():
    binder = ROOT / ".binder"
    assert (binder / "runtime.txt").read_text().strip() == "python-3.11"
    lines = [
        ln.strip()
        for ln in (binder / "requirements.txt").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in lines
    constraints = [ln.split(maxsplit=1)[1] for ln in lines if ln.startswith("-c ")]
    # the same versions
    assert [(binder / path).resolve() for path in constraints] == [ROOT / "requirements-lock.txt"]
    assert "-e .[book]" in lines  # the book's tools, no test tools and no Dask
    assert os.access(binder / "start", os.X_OK) and "BOOK_PROFILE" in (binder / "start").read_text()
    post_build = binder / "postBuild"
    assert post_build.stat().st_mode & stat.S_IXUSR
    assert "jupytext-config set-default-viewer python" in post_build.read_text()
    subprocess.run(["bash", "-n", str(post_build)], check=True)


def test_workflow_runs_the_ci_script_and_publishes_main():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    build = workflow["jobs"]["build"]
    runs = [step.get("run", "") for step in build["steps"]]
    assert "bash .ci/run" in runs
    python = [
        step for step in build["steps"] if step.get("uses", "").startswith("actions/setup-python")
    ]
    assert python and python[0]["with"]["python-version"] == "3.11"
    assert workflow["jobs"]["deploy"]["needs"] == "build"
    assert "refs/heads/main" in workflow["jobs"]["deploy"]["if"]
    for script in (ROOT / ".ci" / "run", ROOT / ".binder" / "postBuild"):
        subprocess.run(["bash", "-n", str(script)], check=True)


def _bib_entry(text: str, key: str) -> dict:
    from pybtex.database import parse_string

    entry = parse_string(text, "bibtex").entries[key]
    fields = {name.lower(): " ".join(value.split()) for name, value in entry.fields.items()}
    fields["authors"] = [
        (str(" ".join(p.last_names)), str(" ".join(p.first_names))) for p in entry.persons["author"]
    ]
    return fields


def test_citation_and_readme_agree_with_the_bibliography():
    bib = _bib_entry((ROOT / "book" / "use" / "references.bib").read_text(), "brutzkus2021maxpool")
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bibtex\n(.*?)```", readme, flags=re.S)
    assert len(blocks) == 1
    entry = _bib_entry(blocks[0], "brutzkus2021maxpool")
    assert entry == bib

    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0"
    assert (
        cff["title"]
        == cff["preferred-citation"]["title"]
        == "Max-pooling networks: a literate reproduction"
    )
    assert cff["preferred-citation"]["year"] == 2026
    (paper,) = cff["references"]
    assert paper["title"] == bib["title"]
    assert [(a["family-names"], a["given-names"]) for a in paper["authors"]] == bib["authors"]
    assert f"{paper['start']}--{paper['end']}" == bib["pages"]
    assert (str(paper["volume"]), str(paper["year"])) == (bib["volume"], bib["year"])


def test_licences_are_stated():
    licence = (ROOT / "LICENSE").read_text()
    assert licence.startswith("MIT License")
    assert "CC-BY-4.0" in licence and "creativecommons.org/licenses/by/4.0" in licence
    assert re.search(r'^license = "MIT"$', (ROOT / "pyproject.toml").read_text(), flags=re.M)
    assert yaml.safe_load((ROOT / "CITATION.cff").read_text())["license"] == "MIT"
    readme = (ROOT / "README.md").read_text()
    assert "MIT" in readme and "CC-BY-4.0" in readme


MODULES = (
    "distributions",
    "models",
    "training",
    "theory",
    "shattering",
    "baselines",
    "claims",
    "sweep",
    "cache",
    "mnist",
    "paper_values",
    "devices",
    "settings",
    "protocol",
    "compare",
    "linear_floor",
)


def _syntax(module: str) -> ast.Module:
    """lib/<module>.py parsed (read, not imported: no torch import, so the tests stay fast)."""
    return ast.parse((ROOT / "lib" / f"{module}.py").read_text())


def test_api_page_covers_the_package():
    init = _syntax("__init__")
    (exported,) = [
        ast.literal_eval(node.value)
        for node in init.body
        if isinstance(node, ast.Assign) and [t.id for t in node.targets] == ["__all__"]
    ]
    defined_in = {
        alias.name: node.module
        for node in init.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    page = (ROOT / "book" / "use" / "api.md").read_text()
    listed = re.findall(r"^   (lib\.\w+\.\w+)$", page, flags=re.M)
    # each where it is defined
    assert sorted(listed) == sorted(f"{defined_in[name]}.{name}" for name in exported)
    modules = re.findall(r"^\.\. automodule:: (\S+)$", page, flags=re.M)
    assert sorted(modules) == sorted(f"lib.{m}" for m in MODULES)
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    assert toc["parts"][-1]["chapters"][-1] == {"file": "book/use/api"}


def _docstrings():
    """(where, docstring) for every module, class, function and method of the documented modules."""
    for module in MODULES:
        for node in ast.walk(_syntax(module)):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and ast.get_docstring(
                node
            ):
                yield f"lib.{module}.{getattr(node, 'name', '')}", ast.get_docstring(node)


def test_docstring_prose_parses_as_plain_rest_and_keeps_its_text():
    """Every prose block of lib's docstrings, once escaped, parses without a docutils message and reads
    as the original words (backquotes and double asterisks dropped, word joiners invisible)."""
    from docutils import frontend, nodes, utils
    from docutils.parsers.rst import Parser

    parser = Parser()
    settings = frontend.get_default_settings(Parser)
    # collect every message
    settings.report_level, settings.halt_level, settings.warning_stream = (
        1,
        5,
        False,
    )
    checked = 0
    for where, doc in _docstrings():
        for block in plain_docstrings._blocks(doc.splitlines()):
            rst = plain_docstrings.to_rst(block)
            if rst[0].startswith(".."):
                continue  # a rubric or a verbatim block
            tree = utils.new_document(where, settings)
            parser.parse(rst[0], tree)
            assert not list(tree.findall(nodes.system_message)), (where, rst[0])
            expected = re.sub(
                r"`([^`]+)`|\*\*([^*]+)\*\*",
                lambda m: m[1] or m[2],
                " ".join(ln.strip() for ln in block),
            )
            assert tree.astext().replace(plain_docstrings.WORD_JOINER, "") == expected, where
            checked += 1
    assert checked > 100
