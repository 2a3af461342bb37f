"""lib.present: the scorecards' summary line and table, and the explorer's data and chart."""

import json

import pandas as pd
import pytest

from lib.present import (
    explore_data,
    explorer_html,
    scorecard,
    scorecard_html,
    summary_line,
    with_math,
)

VERBS = {"holds": "hold", "fails": "fail"}
COLORS = {"holds": "#1a7f37", "fails": "#cf222e"}


def _card(verdicts):
    return pd.DataFrame({"id": [f"C{i}" for i in range(len(verdicts))], "verdict": verdicts})


def test_summary_line_counts_and_names_the_failures():
    assert summary_line(_card(["holds", "fails", "holds", "fails"]), VERBS, "published claims") == (
        "2 of 4 published claims hold; 2 fail: C1, C3."
    )
    assert (
        summary_line(_card(["holds", "holds"]), VERBS, "published claims")
        == "2 of 2 published claims hold."
    )


def test_summary_line_rejects_an_unknown_verdict():
    with pytest.raises(ValueError, match="verdict must be one of"):
        summary_line(_card(["holds", "maybe"]), VERBS, "claims")


def _glance(verdicts):
    card = _card(verdicts)
    return card.assign(
        href="chapter.html",
        statement="a < b & c",
        measured="0.1",
        details=[[("rule", "x <= 1"), ("our numbers", "<script>")]] * len(card),
    )


def test_scorecard_html_has_a_badge_with_colour_and_word_per_row_and_escapes_text():
    page = scorecard_html(_glance(["holds", "fails"]), COLORS, "1 of 2 hold; 1 fails: C1.")
    assert page.count("<tr data-verdict=") == 2
    assert 'style="background:#cf222e">fails</span>' in page
    assert 'style="background:#1a7f37">holds</span>' in page
    assert "a &lt; b &amp; c" in page and "&lt;script&gt;" in page and "<script>" not in page
    assert page.count("<details>") == 2 and '<a href="chapter.html">' in page
    assert '<p class="scorecard-summary">1 of 2 hold; 1 fails: C1.</p>' in page


def test_scorecard_html_rejects_missing_columns_and_unknown_verdicts():
    with pytest.raises(ValueError, match="missing \\['details'\\]"):
        scorecard_html(_glance(["holds"]).drop(columns="details"), COLORS, "")
    with pytest.raises(ValueError, match="verdict must be one of"):
        scorecard_html(_glance(["unclear"]), COLORS, "")


def test_with_math_turns_dollars_into_mathjax_spans_and_escapes_the_rest():
    assert with_math(r"a < b, $k \le 8d^3$ & $x<y$") == (
        r'a &lt; b, <span class="math notranslate nohighlight">\(k \le 8d^3\)</span> &amp; '
        r'<span class="math notranslate nohighlight">\(x&lt;y\)</span>'
    )
    assert with_math("no math") == "no math"


def test_scorecard_links_each_row_to_its_section_from_the_page_and_counts_partly():
    card = pd.DataFrame(
        {
            "id": ["A", "B", "C"],
            "where": ["§5", "the book's", "§7"],
            "statement": ["$k > 8d^3$", "s", "t"],
            "ours": ["x " * 100, "y", "z"],
            "verdict": ["holds", "partly", "fails"],
            "rule": ["r1", "r2", "r3"],
            "section": [
                "paper/lw_cnn_theory#inside",
                "beyond/optimization#does",
                "paper/experiments#fig",
            ],
        }
    )
    part1 = scorecard(card, "paper/scorecard", "claims")
    assert (
        '<a href="lw_cnn_theory.html#inside">' in part1
        and '<a href="../beyond/optimization.html#does">' in part1
    )
    assert "1 of 3 claims hold; 1 partly hold: B; 1 fail: C." in part1
    assert 'style="background:#9a6700">partly</span>' in part1 and "\\(k &gt; 8d^3\\)" in part1
    # the measurement shortened, the full numbers in details
    assert "x x" in part1 and " …<details>" in part1
    assert '<a href="../paper/lw_cnn_theory.html#inside">' in scorecard(
        card, "use/scorecard", "claims"
    )


def _grid():
    rows = []
    for n in (2, 10):
        for m in (10, 100):
            for model in ("ConvPool", "MLP"):  # no SVM rows: its curve is null
                for seed, err in enumerate((0.1, 0.3)):
                    rows.append(
                        {
                            "n": n,
                            "noise_scale": 1.0,
                            "m": m,
                            "model": model,
                            "seed": seed,
                            "test_error": err + (n == 10) * 0.2 + (model == "MLP") * 0.1,
                        }
                    )
    return pd.DataFrame(rows)


def _paper():
    return pd.DataFrame(
        {
            "n": [10, 10, 10],
            "noise_scale": [1.0] * 3,
            "m": [10, 50, 1000],
            "model": "MLP",
            "test_error": [0.4, 0.3, 0.1],
            "band": [0.02, 0.01, 0.01],
        }
    )


def test_explore_data_means_sds_and_the_papers_points_within_the_grid():
    data = explore_data(_grid(), _paper())
    assert data["n"] == [2, 10] and data["noise"] == [1.0] and data["m"] == [10, 100]
    assert data["curves"]["10|1"]["MLP"]["mean"] == [0.5, 0.5]
    assert data["curves"]["2|1"]["ConvPool"]["mean"] == [0.2, 0.2]
    assert data["curves"]["2|1"]["ConvPool"]["sd"] == [pytest.approx(0.1414, abs=1e-4)] * 2
    assert data["curves"]["2|1"]["SVM"]["mean"] == [None, None]
    # m = 1000 is off the grid
    assert data["paper"]["10|1"] == {"MLP": [[10, 0.4, 0.02], [50, 0.3, 0.01]]}
    assert data["paper"]["2|1"] == {}


def test_explore_data_rejects_a_table_without_the_columns():
    with pytest.raises(ValueError, match="missing \\['noise_scale'\\]"):
        explore_data(_grid().drop(columns="noise_scale"), _paper())


def test_explorer_html_embeds_the_data_as_json_and_fetches_nothing():
    data = explore_data(_grid(), _paper())
    page = explorer_html(data, "ex-1")
    start = page.index('class="explorer-data">') + len('class="explorer-data">')
    assert json.loads(page[start : page.index("</script>", start)]) == {**data, "start": [0, 0]}
    assert '"start": [1, 0]' in explorer_html(data, "ex-1", start=(10, 1.0))
    assert 'id="ex-1"' in page and "__" not in page.replace("__proto__", "")
    assert (
        "http://" not in page.replace("http://www.w3.org/2000/svg", "") and "https://" not in page
    )
    with pytest.raises(ValueError, match="element_id"):
        explorer_html(data, "a b")
    with pytest.raises(ValueError, match="start must be"):
        explorer_html(data, start=(5, 1.0))


def test_explore_points_cut_the_candidates_to_fig3b_choice(monkeypatch):
    from lib.experiments import paper_figures
    from lib.sweep import settings_for

    # no training: the choice below is given
    monkeypatch.setattr(paper_figures, "selection", lambda s: s)
    monkeypatch.setattr(
        paper_figures,
        "chosen",
        lambda _: {
            "ConvPool": {"lr": 0.01, "radius": 1e-3},
            "MLP": {"lr": 0.003, "radius": float("nan")},
        },
    )
    grid = settings_for("explore_grid", "quick")
    points = paper_figures.explore_points(grid)
    assert len(points) == len(grid.ns) * len(grid.ms) * len(grid.noise_scales)
    assert {(p["n"], p["noise_scale"], p["x"]) for p in points} == {
        (n, noise, m) for n in grid.ns for noise in grid.noise_scales for m in grid.ms
    }
    assert all(
        tuple(p["lrs"]) == (0.003, 0.01)
        and tuple(p["radii"]) == (1e-3,)
        and p["seeds"] == grid.seeds
        for p in points
    )
    assert all(p["d"] == 20 and p["k"] == 500 for p in points)
    with pytest.raises(ValueError, match="profile"):
        settings_for("explore_grid", "medium")
