"""Give every figure's image an alt text: the first sentence of its caption, unless the page set one.

MyST-NB figures from cell metadata (`mystnb: figure: {caption, name}`) get no alt text, and the HTML
writer then falls back to the image's file name. An explicit `mystnb: image: {alt: ...}` wins.
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.application import Sphinx


def first_sentence(text: str) -> str:
    """The caption's first sentence (up to the first '. ' followed by a capital letter or a digit)."""
    text = " ".join(text.split())
    match = re.search(r"\.\s+(?=[A-Z0-9(])", text)
    return text[: match.start() + 1] if match else text


def _add_alt(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    for figure in doctree.findall(nodes.figure):
        captions = list(figure.findall(nodes.caption))
        if not captions:
            continue
        alt = first_sentence(captions[0].astext())
        for image in figure.findall(nodes.image):
            if not image.get("alt"):
                image["alt"] = alt


def setup(app: Sphinx) -> dict:
    app.connect("doctree-resolved", _add_alt)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
