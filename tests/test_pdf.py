"""The PDF of the book (`make pdf`, then `pytest -m browser tests/test_pdf.py`): bookmarks from the
headings, a page number on every page, and no code line cut off at the page's edge.

A code line is "whole" when pypdf's text extraction of the PDF holds all its characters in order
(whitespace ignored, since a wrapped line is extracted as two lines): a line clipped by a scrolling
code box (the HTML's overflow, printed) loses its end, which is not drawn on the page. The lines
checked are the longest ones of the code blocks that the printed page shows (cells whose source is
hidden behind a toggle are not printed, and are left out).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
PDF = ROOT / "_build" / "pdf" / "book.pdf"
PRINTED_HTML = ROOT / "_build" / "singlehtml" / "book.html"
LONGEST = 8  # code lines checked, the longest first


@pytest.fixture(scope="module")
def reader():
    from pypdf import PdfReader

    if not PDF.is_file():
        pytest.fail(f"{PDF} is missing: run `make pdf` first")
    return PdfReader(PDF)


def outline_titles(outline) -> list[str]:
    """Every bookmark title of a pypdf outline (nested lists for the levels), depth first."""
    titles = []
    for item in outline:
        if isinstance(item, list):
            titles.extend(outline_titles(item))
        else:
            titles.append(item.title)
    return titles


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def printed_code_lines(html: str) -> list[str]:
    """The lines of every <pre> block of the printed page, except those inside a hidden-input cell,
    longest first (ASCII lines only, so that the comparison does not depend on a font's glyph map)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    lines = set()
    for pre in soup.find_all("pre"):
        if pre.find_parent(class_=re.compile(r"tag_(hide|remove)-input")) or pre.find_parent(
            "details"
        ):
            continue
        if pre.find_parent(class_=re.compile(r"cell_output|output")):
            continue
        for line in pre.get_text().splitlines():
            if line.strip() and line.isascii():
                lines.add(line.rstrip())
    return sorted(lines, key=len, reverse=True)


def test_the_pdf_has_bookmarks_from_the_headings(reader):
    # Chromium may drop a space
    titles = [squeeze(title) for title in outline_titles(reader.outline)]
    assert len(titles) >= 10, titles
    for heading in (
        "Max-pooling networks: a literate reproduction",
        "Running the book",
        "Scorecard: the published paper's claims",
    ):
        assert squeeze(heading) in titles, (heading, titles[:20])


def test_every_page_has_its_number(reader):
    pages = len(reader.pages)
    assert pages > 10
    for index in sorted({0, 1, pages // 2, pages - 1}):
        text = reader.pages[index].extract_text()
        assert re.search(rf"\b{index + 1}\s*/\s*{pages}\b", text), (index, text[-200:])


def test_long_code_lines_are_printed_whole(reader):
    lines = printed_code_lines(PRINTED_HTML.read_text(encoding="utf-8"))[:LONGEST]
    # at least one line wider than the printed code box
    assert lines and len(lines[0]) > 95, lines[:1]
    text = squeeze("".join(page.extract_text() for page in reader.pages))
    missing = [line for line in lines if squeeze(line) not in text]
    assert not missing, missing
