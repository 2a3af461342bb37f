import math
from pathlib import Path

import pytest

from lib.scorecard import Measurement, claims, verdict


def m(value, low, high, threshold=0.5, side=">="):
    return Measurement(value, low, high, threshold, side, "settings")


@pytest.mark.parametrize(
    "meas, expected",
    [
        (m(0.9, 0.8, 1.0), "reproduced"),
        (m(0.6, 0.4, 0.8), "partly"),
        (m(0.4, 0.2, 0.6), "not reproduced"),
        (m(0.5, 0.5, 0.5), "reproduced"),
        (m(0.2, 0.1, 0.3, threshold=0.25, side="<="), "partly"),
        (m(0.1, 0.0, 0.2, threshold=0.25, side="<="), "reproduced"),
        (m(0.3, 0.2, 0.4, threshold=0.25, side="<="), "not reproduced"),
        (m(math.nan, math.nan, math.nan), "not reproduced"),
    ],
)
def test_verdict_rule(meas, expected):
    assert verdict(meas) == expected


def test_verdict_refuses_an_unknown_side():
    with pytest.raises(ValueError, match="side"):
        verdict(m(1, 1, 1, side=">"))


def test_claims_are_unique_and_link_to_chapters():
    names = [c.name for c in claims()]
    assert len(names) == len(set(names)) >= 10
    use = Path(__file__).resolve().parents[1] / "book" / "use"  # the scorecard page's folder: links are relative to it
    assert all(c.chapter.startswith("../beyond/") and c.section for c in claims())
    assert all((use / f"{c.chapter}.py").resolve().is_file() for c in claims())


def test_measurement_text_shows_the_interval():
    assert m(0.9, 0.8, 1.0).text() == "0.9 [0.8, 1]"
    assert m(2.0, 2.0, 2.0).text() == "2"
