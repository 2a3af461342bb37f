"""Offer every notebook page as a downloadable `.ipynb`, not only the MyST-markdown ones.

sphinx-book-theme adds a ".ipynb" download button only for `.md` notebooks; for the book's Jupytext
`.py` pages it offers the source alone. This extension copies the notebook that MyST-NB wrote for
the page (`_build/jupyter_execute/<page>.ipynb`: the cells as read by Jupytext, with the outputs of
the build's execution) to `_sources/<page>.ipynb` and points the theme's download button at it.
It runs before the theme builds its header buttons (priority 500 < 501).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.application import Sphinx


def _add_ipynb(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if app.builder.format != "html" or doctree is None or context.get("ipynb_source"):
        return
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if Path(app.env.doc2path(pagename)).suffix != ".py" or not executed.exists():
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(executed, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", _add_ipynb, priority=500)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
