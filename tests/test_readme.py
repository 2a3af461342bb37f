"""The README's computed headline (scripts/readme_headline.py) and the README's size."""

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location(
    "readme_headline", ROOT / "scripts" / "readme_headline.py"
)
readme_headline = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(readme_headline)


def test_headline_counts_the_claims_that_hold():
    line = readme_headline.headline(pd.Series(["holds", "fails", "holds"]), "full")
    assert line.startswith("**2 of 3 claims of the published paper hold**")
    assert "(full profile; 1 fails," in line
    assert "(quick profile; 2 fail," in readme_headline.headline(
        pd.Series(["fails", "fails", "holds"]), "quick"
    )


@pytest.mark.parametrize("verdicts", [[], ["holds", "reproduced"]])
def test_headline_refuses_other_verdicts(verdicts):
    with pytest.raises(ValueError, match="verdicts must be"):
        readme_headline.headline(pd.Series(verdicts, dtype=object), "full")


def test_replace_detects_a_stale_line_and_keeps_a_current_one():
    start, end = readme_headline.START, readme_headline.END
    current = f"intro\n{start}\nnew line\n{end}\nrest\n"
    assert readme_headline.replace(current, "new line") == current
    stale = current.replace("new line", "old line")
    assert readme_headline.replace(stale, "new line") == current
    with pytest.raises(ValueError, match="markers"):
        readme_headline.replace("no markers here", "x")


def test_readme_has_the_markers_and_stays_short():
    text = (ROOT / "README.md").read_text()
    assert readme_headline.START in text and readme_headline.END in text
    assert len(text.splitlines()) <= 80
