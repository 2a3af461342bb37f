"""The scorecards' shared machinery in lib.claims: Part II's interval rule (holds / partly / fails), the
one Claim type, and the link of every claim to a section of the book that exists."""

import math
import re
import unicodedata
from pathlib import Path

import pytest

from lib.claims import SECTIONS, VERDICTS, Claim, Measurement, decided, judged

BOOK = Path(__file__).resolve().parents[1] / "book"


def m(value, low, high, threshold=0.5, side=">="):
    return Measurement(value, low, high, threshold, side, "what")


@pytest.mark.parametrize(
    "meas, expected",
    [
        (m(0.9, 0.8, 1.0), "holds"),
        (m(0.6, 0.4, 0.8), "partly"),
        (m(0.4, 0.2, 0.6), "fails"),
        (m(0.5, 0.5, 0.5), "holds"),
        (m(0.2, 0.1, 0.3, threshold=0.25, side="<="), "partly"),
        (m(0.1, 0.0, 0.2, threshold=0.25, side="<="), "holds"),
        (m(0.3, 0.2, 0.4, threshold=0.25, side="<="), "fails"),
        (m(math.nan, math.nan, math.nan), "fails"),
        (m(0.9, math.nan, math.nan), "fails"),  # no interval (one run): never "holds"
    ],
)
def test_interval_rule(meas, expected):
    assert meas.verdict == expected


def test_measurement_refuses_an_unknown_side():
    with pytest.raises(ValueError, match="side"):
        m(1, 1, 1, side=">")


def test_measurement_text_shows_the_interval():
    assert m(0.9, 0.8, 1.0).text() == "0.9 [0.8, 1]"
    assert m(2.0, 2.0, 2.0).text() == "2"


def test_one_claim_type_one_vocabulary():
    assert VERDICTS == ("holds", "partly", "fails")
    assert decided(True) == "holds" and decided(False) == "fails"
    with pytest.raises(ValueError, match="verdict must be one of"):
        Claim("X", "s", "o", "reproduced", "r")
    claim = judged("X", "$a$", m(0.6, 0.4, 0.8), "the number")
    assert claim.verdict == "partly" and not claim.holds
    assert claim.ours == "0.6 [0.4, 0.8]: what" and claim.rule.startswith("the number: holds when")


def _anchor(heading: str) -> str:
    """The id Sphinx gives a section: the heading's text (math without its $), ASCII, lower case,
    every run of other characters one hyphen."""
    text = (
        unicodedata.normalize("NFKD", heading.replace("$", "")).encode("ascii", "ignore").decode()
    )
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def test_every_claim_links_to_a_section_that_exists():
    assert _anchor(r"Fig. 3b: the same with noise $\|v\| \le 1$ on every patch") == (
        "fig-3b-the-same-with-noise-v-le-1-on-every-patch"
    )
    for cid, section in SECTIONS.items():
        page, _, anchor = section.partition("#")
        source = BOOK / f"{page}.py"
        assert source.is_file(), (cid, page)
        headings = re.findall(r"^# #{2,} (.+)$", source.read_text(), flags=re.M)
        assert anchor in {_anchor(h) for h in headings}, (cid, section)
