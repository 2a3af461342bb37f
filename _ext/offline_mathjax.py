"""Serve MathJax 3 from the book itself instead of a CDN.

The pinned PyPI package `django-static-mathjax` ships MathJax 3.2.2. This extension copies the one
component the book needs (es5/tex-chtml.js, with the TeX extensions such as amsmath built in) and its
web fonts into `_static/mathjax/`, and points Sphinx at it. The built HTML then renders its math with no
network access: offline readers and the headless-browser tests see the same page as everyone else.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from sphinx.application import Sphinx

COMPONENT = "tex-chtml.js"


def _mathjax_es5() -> Path:
    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("django-static-mathjax is not installed (pinned in requirements.txt)")
    return Path(list(spec.submodule_search_locations)[0]) / "static" / "mathjax" / "es5"


def _set_path(app: Sphinx, config) -> None:
    config.mathjax_path = f"mathjax/{COMPONENT}"


def _copy(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    src = _mathjax_es5()
    dest = Path(app.outdir) / "_static" / "mathjax"
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src / COMPONENT, dest / COMPONENT)
    shutil.copytree(
        src / "output" / "chtml" / "fonts" / "woff-v2",
        dest / "output" / "chtml" / "fonts" / "woff-v2",
        dirs_exist_ok=True,
    )


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _set_path)
    app.connect("build-finished", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
