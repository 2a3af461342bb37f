"""Show lib's plain-text docstrings in the API reference (book/use/api) as their authors wrote them.

The package's docstrings are plain text, not reStructuredText: parameter lists with indented
continuation lines, formulas such as |N(x)| or ||w||, names in single backquotes. Parsed as reST they
give errors (unexpected indentation, undefined substitutions) and a strict build fails. This
extension rewrites each docstring before autodoc parses it:

- a block of prose (no indented line, no list item, no "name : description" line) becomes one reST
  paragraph with every markup character escaped, `name` in single backquotes becomes inline code and
  **words** in double asterisks bold;
- a heading underlined with dashes ("Parameters" over "----------") becomes a rubric;
- any other block (parameter lists, indented formulas, item lists) is shown verbatim as preformatted
  text, so its line breaks and alignment survive (static/plain_docstrings.css wraps its long lines).

The first paragraph stays prose, so autosummary's one-line summaries read normally. Autosummary ends
a summary at the first period followed by a space, which would cut "ConvPool (Eq. 1)" after "Eq.";
an invisible word joiner (U+2060) after the period of such abbreviations keeps the sentence whole.
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.application import Sphinx

STATIC = Path(__file__).parent / "static"

_UNDERLINE = re.compile(r"-{3,}")
# indented, a list item, or "name : description"
_STRUCTURED_LINE = re.compile(r"(\s|[-*] |\w[\w, ]* : )")
_MARKED = re.compile(r"`(?P<code>[^`]+)`|\*\*(?P<bold>[^*]+)\*\*")
_ENUMERATOR = re.compile(r"(\d+|[A-Za-z#])[.)]\s|\(\w+\)\s")  # would open a reST enumerated list
_RST_SPECIAL = re.compile(r"([\\*`|_\[\]<>:])")
_ABBREVIATION = re.compile(r"\b(Eqs?|Figs?|Thm|Sec|Ch|e\.g|i\.e|cf|vs)\.(?= )")
WORD_JOINER = "\u2060"


def _escape(text: str) -> str:
    return _RST_SPECIAL.sub(r"\\\1", text)


def prose(lines: list[str]) -> str:
    """One reST paragraph from plain-text lines: joined, markup escaped, `name` as inline code and
    **words** bold."""
    text = _ABBREVIATION.sub(lambda m: m[0] + WORD_JOINER, " ".join(line.strip() for line in lines))
    out, end = ["\\" if _ENUMERATOR.match(text) else ""], 0
    for match in _MARKED.finditer(text):
        out.append(_escape(text[end : match.start()]))
        before = text[match.start() - 1] if match.start() else " "
        after = text[match.end()] if match.end() < len(text) else " "
        marked = f"``{match['code']}``" if match["code"] else f"**{_escape(match['bold'])}**"
        # inline markup must stand apart from letters and digits; an escaped space joins it invisibly
        out.append(
            ("\\ " if before.isalnum() else "") + marked + ("\\ " if after.isalnum() else "")
        )
        end = match.end()
    out.append(_escape(text[end:]))
    return "".join(out)


def _blocks(lines: list[str]) -> list[list[str]]:
    blocks, current = [], []
    for line in lines:
        if line.strip():
            current.append(line.rstrip())
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def to_rst(lines: list[str]) -> list[str]:
    """The reST lines for a plain-text docstring (given as lines, already dedented by autodoc)."""
    out: list[str] = []
    for block in _blocks(lines):
        if (
            len(block) >= 2
            and _UNDERLINE.fullmatch(block[1].strip())
            and not block[0].startswith(" ")
        ):
            out += [f".. rubric:: {_escape(block[0].strip())}", ""]
            block = block[2:]
            if not block:
                continue
        if any(_STRUCTURED_LINE.match(line) for line in block):
            out += (
                [".. code-block:: text", "   :class: docstring-text", ""]
                + ["   " + line for line in block]
                + [""]
            )
        else:
            out += [prose(block), ""]
    return out


def _process(app: Sphinx, what: str, name: str, obj, options, lines: list[str]) -> None:
    if name == "lib" or name.startswith("lib."):
        lines[:] = to_rst(lines)


def _add_static(app: Sphinx, config) -> None:
    config.html_static_path.append(str(STATIC))


def setup(app: Sphinx) -> dict:
    app.setup_extension("sphinx.ext.autodoc")
    app.connect("config-inited", _add_static)
    app.add_css_file("plain_docstrings.css")
    app.connect("autodoc-process-docstring", _process)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
