"""Take the book's repository address from one place: the environment variable BOOK_REPOSITORY_URL.

A copy of the book lives wherever its publisher pushed it, so the address cannot be written in
`_config.yml`. When the build runs with `BOOK_REPOSITORY_URL=https://github.com/OWNER/REPO`, every
notebook page gets a Binder launch button (the `launch_buttons:` settings of `_config.yml`, opening
the page's own `.py` source in JupyterLab) and the header gets a link to the repository. Without the variable the HTML holds no launch button and no link to
any repository: sphinx-book-theme would otherwise fill in Jupyter Book's default address
(github.com/executablebooks/jupyter-book), and Binder would be asked to start a repository that is
not this book.

The branch the buttons point at is `repository: branch:` of `_config.yml` (BOOK_REPOSITORY_BRANCH
overrides it, e.g. for a fork).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from sphinx.application import Sphinx

URL_VARIABLE = "BOOK_REPOSITORY_URL"
BRANCH_VARIABLE = "BOOK_REPOSITORY_BRANCH"

# the theme options that name the repository or need it (sphinx-book-theme 1.3.0)
REPOSITORY_OPTIONS = (
    "repository_url",
    "repository_branch",
    "repository_provider",
    "path_to_docs",
    "launch_buttons",
)
REPOSITORY_BUTTONS = (
    "use_repository_button",
    "use_issues_button",
    "use_edit_page_button",
    "use_source_button",
)

_GITHUB = re.compile(
    r"https://github\.com/(?P<owner>[A-Za-z0-9][A-Za-z0-9-]*)/(?P<repo>[A-Za-z0-9._-]+?)(?:\.git)?/?"
)
_BRANCH = re.compile(r"[A-Za-z0-9._/-]+")


def repository_theme_options(theme_options: Mapping, environ: Mapping[str, str]) -> dict:
    """The theme options with the repository settings taken from `environ`.

    Without `BOOK_REPOSITORY_URL` (or with it empty): a copy of `theme_options` without
    `repository_url`, `repository_branch`, `repository_provider`, `path_to_docs` and
    `launch_buttons`, and with every repository button switched off.
    With it: `repository_url` set to `https://github.com/OWNER/REPO` (a trailing `/` or `.git` is
    dropped), `repository_branch` to `BOOK_REPOSITORY_BRANCH` when given, `path_to_docs` to `""`
    (the book's sources sit at the repository root) and `use_repository_button` to True; the launch
    buttons and the other repository buttons stay as configured.

    Raises ValueError when `BOOK_REPOSITORY_URL` is not a GitHub repository address (Binder's
    launch links are built for GitHub only) or `BOOK_REPOSITORY_BRANCH` is not a branch name.
    """
    options = dict(theme_options)
    url = environ.get(URL_VARIABLE, "").strip()
    if not url:
        for key in REPOSITORY_OPTIONS:
            options.pop(key, None)
        options.update({key: False for key in REPOSITORY_BUTTONS})
        return options
    match = _GITHUB.fullmatch(url)
    if match is None:
        raise ValueError(
            f"{URL_VARIABLE} must be a GitHub repository address https://github.com/OWNER/REPO, got {url!r}"
        )
    options["repository_url"] = f"https://github.com/{match['owner']}/{match['repo']}"
    options["path_to_docs"] = ""
    options["use_repository_button"] = True
    branch = environ.get(BRANCH_VARIABLE, "").strip()
    if branch:
        if not _BRANCH.fullmatch(branch):
            raise ValueError(
                f"{BRANCH_VARIABLE} must be a branch name (letters, digits, '.', '_', '-', '/'), got {branch!r}"
            )
        options["repository_branch"] = branch
    return options


def _apply(app: Sphinx, config) -> None:
    config.html_theme_options = repository_theme_options(config.html_theme_options, os.environ)


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _apply, priority=400)  # before the theme reads its options
    return {"parallel_read_safe": True, "parallel_write_safe": True}
