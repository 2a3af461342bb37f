"""Colab: one `.ipynb` per page, whose first cell sets the book up on Colab, and a Colab button.

Colab opens only `.ipynb` files stored in a GitHub repository, and the book's pages are Jupytext `.py`
files. So the publishing workflow writes a notebook per page with this module's command line,

    python _ext/colab.py OUTDIR     # OUTDIR/book/<part>/<page>.ipynb for every .py page of _toc.yml

and pushes OUTDIR as the branch `colab` (NOTEBOOK_BRANCH). The first cell of each notebook, on Colab
only, clones the repository (the package `lib`, its data and the pages), installs `lib` without its
dependencies (`pip install --no-deps`), so that Colab's own torch, numpy and pandas stay as they are,
changes into the page's folder (as a build runs it) and chooses the quick profile, so that a first run
takes seconds. Anywhere else the cell does nothing.

As a Sphinx extension it adds a Colab entry to each notebook page's launch menu (next to Binder), when
the build has the repository address (`BOOK_REPOSITORY_URL`, see repository_links.py).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sphinx.application import Sphinx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from repository_links import repository_theme_options  # noqa: E402

COLAB = "https://colab.research.google.com/github"
NOTEBOOK_BRANCH = "colab"
COLAB_ROOT = "/content/maxpool-repro"
ROOT = Path(__file__).resolve().parent.parent

SETUP = """\
# On Colab only: fetch the book and install its package `lib` without dependencies (Colab's own torch,
# numpy and pandas stay as they are), run from the page's folder, in the quick profile (seconds, not
# the paper-scale minutes: set BOOK_PROFILE=full before this cell for the paper's scale).
import os, subprocess, sys
if "google.colab" in sys.modules:
    ROOT = {root!r}
    if not os.path.isdir(ROOT):
        subprocess.run(["git", "clone", "--quiet", "--depth", "1", "--branch", {branch!r}, {url!r}, ROOT], check=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "-e", ROOT], check=True)
    sys.path.insert(0, ROOT)  # the running kernel sees the package before any restart
    os.chdir(os.path.join(ROOT, {folder!r}))
    os.environ.setdefault("BOOK_PROFILE", "quick")
"""


def setup_cell(url: str, branch: str, page: str, root: str = COLAB_ROOT) -> str:
    """The first cell's source for the page `page` (e.g. "book/paper/setting") of the repository at
    `url` (cloned from `branch` into `root`)."""
    return SETUP.format(root=root, branch=branch, url=url, folder=str(Path(page).parent))


def pages(root: Path = ROOT) -> list[str]:
    """Every page of `root`/_toc.yml whose source is a `.py` file, in the book's order."""
    # the parser Jupyter Book reads _toc.yml with
    from sphinx_external_toc.parsing import (
        parse_toc_yaml,
    )

    return [doc for doc in parse_toc_yaml(root / "_toc.yml") if (root / f"{doc}.py").is_file()]


def colab_notebook(
    page: str, url: str, branch: str, root: Path = ROOT, colab_root: str = COLAB_ROOT
):
    """The page's notebook (its `.py` source read by Jupytext, no outputs) with the set-up cell first."""
    import jupytext
    from nbformat.v4 import new_code_cell

    notebook = jupytext.read(root / f"{page}.py")
    cell = new_code_cell(
        setup_cell(url, branch, page, colab_root), metadata={"tags": ["colab-setup"]}
    )
    notebook.cells.insert(0, cell)
    return notebook


def write_notebooks(outdir: Path, url: str, branch: str, root: Path = ROOT) -> list[Path]:
    """Write `outdir`/<page>.ipynb for every `.py` page; return the paths written."""
    import jupytext

    written = []
    for page in pages(root):
        path = Path(outdir) / f"{page}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        jupytext.write(colab_notebook(page, url, branch, root), path, fmt="ipynb")
        written.append(path)
    return written


def colab_link(url: str, page: str) -> str:
    """The Colab address of the page's notebook on the branch NOTEBOOK_BRANCH of the repository `url`."""
    return f"{COLAB}/{url.removeprefix('https://github.com/')}/blob/{NOTEBOOK_BRANCH}/{page}.ipynb"


def _add_button(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    url = app.config.html_theme_options.get("repository_url")
    if not url or Path(app.env.doc2path(pagename)).suffix != ".py":
        return
    for group in context.get("header_buttons", []):
        if group.get("label") == "launch-buttons":
            group["buttons"].append(
                {
                    "type": "link",
                    "text": "Colab",
                    "tooltip": "Launch on Colab",
                    "icon": "_static/images/logo_colab.png",
                    "url": colab_link(url, pagename),
                }
            )


def setup(app: Sphinx) -> dict:
    # after the theme's launch buttons (501)
    app.connect("html-page-context", _add_button, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(
            "usage: python _ext/colab.py OUTDIR   (with BOOK_REPOSITORY_URL set)", file=sys.stderr
        )
        return 2
    options = repository_theme_options({}, os.environ)
    if "repository_url" not in options:
        print(
            "BOOK_REPOSITORY_URL is not set: the notebooks would not know which repository to clone",
            file=sys.stderr,
        )
        return 2
    import yaml

    branch = (
        os.environ.get("BOOK_REPOSITORY_BRANCH")
        or yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["branch"]
    )
    written = write_notebooks(Path(argv[0]), options["repository_url"], branch)
    print(f"{len(written)} notebooks written to {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
