"""What the build's profile changes in Sphinx: a banner on every page of a quick build, and an
execution cache per profile.

The published book is the full profile (the paper's scale). A build with `BOOK_PROFILE=quick` (CI, a
reader's quick look) computes its figures from few seeds and small grids, so each of its pages says
that at the top, through the theme's announcement bar; the print rules of book/_static/book.css keep
it in the PDF. A full build has no banner.

Jupyter Book's execution cache keys a page by its code alone, and a page's code is the same in both
profiles, so a full build would show the outputs of an earlier quick build. Each profile therefore
has its own cache, `_build/.jupyter_cache/<profile>` (`cache_path`; scripts/execute_pages.py fills the
same one), unless `_config.yml` names a cache.
"""

from __future__ import annotations

from pathlib import Path

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


def cache_path(build_dir: Path, profile: str) -> Path:
    """The execution cache of `profile`'s pages under the build folder `build_dir` (`_build`)."""
    return build_dir / ".jupyter_cache" / profile


def _apply(app: Sphinx, config) -> None:
    from lib.sweep import current_profile  # $BOOK_PROFILE, checked as the pages read it

    profile = current_profile()
    config.html_theme_options = profile_theme_options(config.html_theme_options, profile)
    if not config.nb_execution_cache_path:
        config.nb_execution_cache_path = str(cache_path(Path(app.outdir).parent, profile))


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _apply, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
