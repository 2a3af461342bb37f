"""Let nbval collect the Jupytext notebooks (`book/<part>/*.py`, `book/<part>/*.md`) as notebooks.

The kernel runs with cwd = the page's folder, as in the Jupyter Book build. The quick profile is forced so that
`pytest` stays fast; the build chooses its profile through BOOK_PROFILE.
"""

import os

import jupytext

os.environ.setdefault("BOOK_PROFILE", "quick")

try:
    import nbval.plugin as _nbval
except ImportError:  # nbval not installed: unit tests still run
    _nbval = None

if _nbval is not None:

    class JupytextNbFile(_nbval.IPyNbFile):
        def collect(self):
            orig = _nbval.nbformat.read
            _nbval.nbformat.read = lambda fp, as_version=4: jupytext.read(fp)
            try:
                yield from super().collect()
            finally:
                _nbval.nbformat.read = orig

    def pytest_collect_file(file_path, parent):
        opt = parent.config.option
        if (
            (opt.nbval or opt.nbval_lax)
            and "book" in file_path.parts
            and "_static" not in file_path.parts
            and file_path.suffix in (".py", ".md")
            and file_path.stem != "intro"
            and _is_notebook(file_path)
        ):
            return JupytextNbFile.from_parent(parent, path=file_path)


def _is_notebook(path) -> bool:
    """A .md page is a notebook only when it has code cells (intro/scorecard prose pages are not)."""
    if path.suffix == ".py":
        return True
    return "{code-cell}" in path.read_text()
