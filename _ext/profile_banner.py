"""A banner on every page of a book built in the quick profile, saying so.

The published book is the full profile (the paper's scale). A build with `BOOK_PROFILE=quick` (CI, a
reader's quick look) computes its figures from few seeds and small grids, so each of its pages says
that at the top, through the theme's announcement bar; the print rules of book/_static/book.css keep
it in the PDF. A full build has no banner.
"""

from __future__ import annotations

from sphinx.application import Sphinx

BANNER = (
    "Quick profile: this build ran every experiment with few seeds and small grids, so its numbers and "
    "verdicts are not the paper-scale ones. Build the full profile with <code>make book</code>."
)


def profile_theme_options(theme_options: dict, profile: str) -> dict:
    """`theme_options` with the quick-profile banner as the theme's announcement when `profile` is
    "quick", unchanged for "full"."""
    options = dict(theme_options)
    if profile == "quick":
        options["announcement"] = BANNER
    return options


def _apply(app: Sphinx, config) -> None:
    from lib.sweep import current_profile  # $BOOK_PROFILE, checked as the pages read it

    config.html_theme_options = profile_theme_options(config.html_theme_options, current_profile())


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _apply, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
