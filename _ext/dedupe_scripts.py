"""Drop duplicate <script> and stylesheet entries from every page.

With Sphinx 7.4, scripts that sphinx-thebe and sphinx-togglebutton add once end up twice in each
page, and the second `const THEBE_JS_URL = ...` is a SyntaxError in the browser console (caught by
tests/test_browser.py). Keeping the first copy of each identical entry fixes it.
"""

from __future__ import annotations

from sphinx.application import Sphinx


def _key(asset) -> tuple:
    attributes = getattr(asset, "attributes", {}) or {}  # inline scripts: filename None or ""
    return (
        getattr(asset, "filename", str(asset)) or "",
        tuple(sorted((k, str(v)) for k, v in attributes.items())),
    )


def _dedupe(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    for name in ("script_files", "css_files"):
        assets = context.get(name)
        if not assets:
            continue
        seen, unique = set(), []
        for asset in assets:
            key = _key(asset)
            if key not in seen:
                seen.add(key)
                unique.append(asset)
        assets[:] = unique


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", _dedupe, priority=900)  # after every handler that adds scripts
    return {"parallel_read_safe": True, "parallel_write_safe": True}
