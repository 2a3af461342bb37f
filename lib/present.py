"""HTML for the static book: the scorecards' tables and the §7 explorer's chart.

Both are plain HTML strings (for `IPython.display.HTML`) that need no server, no kernel and no file
from elsewhere: the scorecard is a table with `<details>` for its rules and numbers, the explorer an SVG
chart drawn by a few lines of vanilla JavaScript from data embedded as JSON.
"""

from __future__ import annotations

import html
import json
import math
import posixpath
import re
import textwrap
from typing import Any

import pandas as pd

EXPLORE_MODELS = ("ConvPool", "MLP", "SVM")
EXPLORE_COLORS = {"ConvPool": "#0173b2", "MLP": "#de8f05", "SVM": "#029e73"}  # seaborn "colorblind"
# what the explorer's chart needs of explore_grid's table
EXPLORE_COLUMNS = ("n", "noise_scale", "m", "model", "test_error")


# one colour per verdict (colour-blind safe, white text readable on each); the badge also carries the word
VERDICT_COLORS = {"holds": "#1a7f37", "partly": "#9a6700", "fails": "#cf222e"}
# the words after the count in the summary line
VERDICT_WORDS = {"holds": "hold", "partly": "partly hold", "fails": "fail"}
MEASURED_CHARS = (
    110  # the short form of a measurement in the table; the full numbers are in <details>
)
_MATH = re.compile(r"\$([^$]+)\$")


def summary_line(card: pd.DataFrame, verbs: dict[str, str], noun: str) -> str:
    """One sentence from the verdicts of `card` (columns id and verdict): how many of its claims got the
    first verdict of `verbs`, then for every other verdict that occurs its count and the claims' ids,
    e.g. "12 of 15 published claims hold; 3 fail: FIG3A, FIG5, L5.2." `verbs` maps each allowed verdict,
    in that order, to the words after the count ("hold", "fail")."""
    unknown = sorted(set(card["verdict"]) - set(verbs))
    if unknown:
        raise ValueError(
            f"verdict must be one of {', '.join(map(repr, verbs))}, got {', '.join(map(repr, unknown))}"
        )
    first, *others = verbs
    parts = [f"{int((card.verdict == first).sum())} of {len(card)} {noun} {verbs[first]}"]
    for verdict in others:
        ids = card.loc[card.verdict == verdict, "id"].astype(str).tolist()
        if ids:
            parts.append(f"{len(ids)} {verbs[verdict]}: {', '.join(ids)}")
    return "; ".join(parts) + "."


def with_math(text: str) -> str:
    """`text` HTML-escaped, with each `$...$` turned into the inline math that Sphinx writes for MyST's
    `$...$` (`<span class="math notranslate nohighlight">\\(...\\)</span>`), which MathJax renders in the
    built page (it skips `$` in raw HTML)."""
    parts = _MATH.split(text)
    return "".join(
        html.escape(part)
        if i % 2 == 0
        else f'<span class="math notranslate nohighlight">\\({html.escape(part)}\\)</span>'
        for i, part in enumerate(parts)
    )


def scorecard_html(card: pd.DataFrame, colors: dict[str, str], summary: str) -> str:
    """A table that reads at a glance: `summary` on top, then one row per claim of `card` with its id
    (linked to `href`, with `where` under it when the card has that column) and `statement`, the
    `measured` value in short, the verdict as a coloured badge that also carries the word, and the
    `details` (a list of (label, text) pairs: the rule, the full numbers) in a `<details>` under the
    row's measurement. Every text is HTML-escaped; `$...$` in `where`, the statement and the details
    becomes math (`with_math`)."""
    missing = [
        c
        for c in ("id", "href", "statement", "measured", "verdict", "details")
        if c not in card.columns
    ]
    if missing:
        raise ValueError(
            f"card must have the columns id, href, statement, measured, verdict, details; missing {missing}"
        )
    unknown = sorted(set(card["verdict"]) - set(colors))
    if unknown:
        raise ValueError(
            f"verdict must be one of {', '.join(map(repr, colors))}, got {', '.join(map(repr, unknown))}"
        )
    esc = html.escape
    where = card["where"] if "where" in card.columns else pd.Series("", index=card.index)
    rows = []
    for r, place in zip(card.itertuples(index=False), where):
        details = "".join(
            f"<dt>{esc(label)}</dt><dd>{with_math(text)}</dd>" for label, text in r.details
        )
        place = f'<br><span class="scorecard-where">{with_math(place)}</span>' if place else ""
        rows.append(
            f'<tr data-verdict="{esc(r.verdict)}">'
            f'<td><a href="{esc(r.href)}"><b>{esc(r.id)}</b></a>{place}</td>'
            f"<td>{with_math(r.statement)}</td>"
            f"<td>{esc(r.measured)}<details><summary>rule and numbers</summary><dl>{details}</dl></details></td>"
            f'<td><span class="verdict-badge" style="background:{colors[r.verdict]}">{esc(r.verdict)}</span></td>'
            "</tr>"
        )
    style = (
        "<style>.scorecard-summary{font-size:1.1em;font-weight:600;margin:.5em 0 1em}"
        ".scorecard-glance td{vertical-align:top;text-align:left;white-space:normal}"
        ".scorecard-glance .scorecard-where{font-size:.8em;color:#555}"
        ".scorecard-glance details summary{cursor:pointer;font-size:.85em;color:#555}"
        ".scorecard-glance dt{font-size:.85em;font-weight:600;margin-top:.3em}.scorecard-glance dd{font-size:.85em;margin-left:1em}"
        ".verdict-badge{display:inline-block;padding:.1em .6em;border-radius:1em;color:#fff;font-weight:600;"
        "white-space:nowrap;-webkit-print-color-adjust:exact;print-color-adjust:exact}</style>"
    )
    head = "".join(f"<th>{h}</th>" for h in ("claim", "statement", "we measured", "verdict"))
    return (
        f'{style}<p class="scorecard-summary">{esc(summary)}</p>'
        f'<table class="table scorecard-glance"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def scorecard(card: pd.DataFrame, page: str, noun: str) -> str:
    """The scorecard of a `lib.claims` table (`lib.claims.published` or `lib.claims.beyond`) as
    `scorecard_html` shows it on the page `page` (its path relative to book/, e.g. "paper/scorecard"):
    each row links to its `section` (relative to that page), the measurement is shortened to
    MEASURED_CHARS characters, and the rule and our full numbers go in the row's details; the summary
    line on top counts the verdicts of the `noun` ("published claims")."""
    folder = posixpath.dirname(page)
    glance = card.assign(
        href=[
            f"{posixpath.relpath(path, folder)}.html#{anchor}"
            for path, _, anchor in card.section.str.partition("#").values
        ],
        measured=card.ours.map(
            lambda text: textwrap.shorten(text, MEASURED_CHARS, placeholder=" …")
        ),
        details=[[("rule", r.rule), ("our numbers", r.ours)] for r in card.itertuples()],
    )
    return scorecard_html(glance, VERDICT_COLORS, summary_line(card, VERDICT_WORDS, noun))


def explore_data(grid: pd.DataFrame, paper: pd.DataFrame) -> dict[str, Any]:
    """The explorer's data from explore_grid's table (one row per model and seed at each n, noise_scale,
    m) and the paper's points (columns n, noise_scale, m, model, test_error, band): per "n|noise" key
    and model, the mean test error over seeds and its standard deviation at each m of the grid (null
    where the model has no row), and the paper's (m, mean, band) triples at that setting within the
    grid's range of m."""
    missing = [c for c in EXPLORE_COLUMNS if c not in grid.columns]
    if missing:
        raise ValueError(
            f"grid must have the columns {', '.join(EXPLORE_COLUMNS)}; missing {missing}"
        )
    stats = grid.groupby(["n", "noise_scale", "model", "m"]).test_error.agg(["mean", "std"])
    ns, noises, ms = (sorted(grid[c].unique().tolist()) for c in ("n", "noise_scale", "m"))

    def num(value: float) -> float | None:
        return None if value is None or math.isnan(value) else round(float(value), 4)

    curves, published = {}, {}
    for n in ns:
        for noise in noises:
            key = f"{n}|{noise:g}"
            curves[key] = {
                model: {
                    "mean": [num(stats["mean"].get((n, noise, model, m))) for m in ms],
                    "sd": [num(stats["std"].get((n, noise, model, m), 0.0)) for m in ms],
                }
                for model in EXPLORE_MODELS
            }
            here = paper[
                (paper.n == n) & (paper.noise_scale == noise) & paper.m.between(ms[0], ms[-1])
            ]
            published[key] = {
                model: [[int(r.m), r.test_error, r.band] for r in g.sort_values("m").itertuples()]
                for model, g in here.groupby("model")
            }
    return {
        "n": ns,
        "noise": noises,
        "m": ms,
        "models": list(EXPLORE_MODELS),
        "colors": EXPLORE_COLORS,
        "curves": curves,
        "paper": published,
    }


def explorer_html(
    data: dict[str, Any], element_id: str = "explorer", start: tuple[int, float] | None = None
) -> str:
    """A self-contained chart of `explore_data`'s data: dropdowns for n and the noise scale (showing
    `start` = (n, noise scale) first; None: the first of each), m on a log x axis, one line per model
    with its band of ± 1 SD over seeds, the paper's points with their bands where they exist, and a
    table of the plotted numbers under the chart (which the browser test reads)."""
    if not element_id.replace("-", "").isalnum():
        raise ValueError(f"element_id must be letters, digits and '-', got {element_id!r}")
    start = (data["n"][0], data["noise"][0]) if start is None else start
    if start[0] not in data["n"] or start[1] not in data["noise"]:
        raise ValueError(
            f"start must be an (n, noise scale) of the grid {data['n']} x {data['noise']}, got {start}"
        )
    payload = json.dumps(
        {**data, "start": [data["n"].index(start[0]), data["noise"].index(start[1])]}
    )
    payload = payload.replace("</", "<\\/")
    return _EXPLORER.replace("__ID__", element_id).replace("__DATA__", payload)


_EXPLORER = r"""
<div id="__ID__" class="explorer">
<style>
#__ID__ .controls{display:flex;gap:1.5em;margin:.5em 0}
#__ID__ label{font-weight:600}
#__ID__ svg{max-width:100%;height:auto;font:12px sans-serif}
#__ID__ table{font-size:.85em}
#__ID__ td,#__ID__ th{padding:.1em .6em;text-align:right}
</style>
<div class="controls">
<label>n (patches) <select class="ctl-n"></select></label>
<label>noise scale <select class="ctl-noise"></select></label>
</div>
<svg viewBox="0 0 680 380" role="img" aria-label="mean test error against m for ConvPool, MLP and SVM"></svg>
<table class="values"><thead></thead><tbody></tbody></table>
<script type="application/json" class="explorer-data">__DATA__</script>
<script>
(function () {
  const root = document.getElementById("__ID__");
  const data = JSON.parse(root.querySelector(".explorer-data").textContent);
  const svg = root.querySelector("svg"), NS = "http://www.w3.org/2000/svg";
  const L = 60, R = 150, T = 20, B = 50, W = 680, H = 380;
  const lx0 = Math.log10(data.m[0]) - 0.1, lx1 = Math.log10(data.m[data.m.length - 1]) + 0.1;
  const X = m => L + (Math.log10(m) - lx0) / (lx1 - lx0) * (W - L - R);
  const Y = e => T + (1 - e / 0.6) * (H - T - B);
  const el = (tag, attrs, text) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    svg.appendChild(e);
    return e;
  };
  const fill = (select, values) => values.forEach(v => {
    const o = document.createElement("option"); o.value = String(v); o.textContent = String(v); select.appendChild(o);
  });
  const selN = root.querySelector(".ctl-n"), selNoise = root.querySelector(".ctl-noise");
  fill(selN, data.n); fill(selNoise, data.noise);
  selN.selectedIndex = data.start[0]; selNoise.selectedIndex = data.start[1];
  function draw() {
    const key = selN.value + "|" + selNoise.value;
    svg.textContent = "";
    for (let e = 0; e <= 0.6001; e += 0.1) {
      el("line", {x1: L, x2: W - R, y1: Y(e), y2: Y(e), stroke: "#ddd"});
      el("text", {x: L - 6, y: Y(e) + 4, "text-anchor": "end"}, e.toFixed(1));
    }
    data.m.forEach(m => el("text", {x: X(m), y: H - B + 16, "text-anchor": "middle"}, String(m)));
    el("text", {x: (L + W - R) / 2, y: H - 12, "text-anchor": "middle"}, "m (training points, log scale)");
    el("text", {x: 14, y: (T + H - B) / 2, transform: `rotate(-90 14 ${(T + H - B) / 2})`, "text-anchor": "middle"},
       "mean test error");
    const rows = [];
    data.models.forEach((model, i) => {
      const c = data.curves[key][model], color = data.colors[model];
      const pts = data.m.map((m, j) => [m, c.mean[j], c.sd[j]]).filter(p => p[1] !== null);
      if (pts.length) {
        const up = pts.map(p => `${X(p[0])},${Y(Math.min(0.6, p[1] + p[2]))}`);
        const down = pts.slice().reverse().map(p => `${X(p[0])},${Y(Math.max(0, p[1] - p[2]))}`);
        el("polygon", {points: up.concat(down).join(" "), fill: color, "fill-opacity": 0.18});
        el("polyline", {points: pts.map(p => `${X(p[0])},${Y(p[1])}`).join(" "), fill: "none", stroke: color,
                        "stroke-width": 2.5, class: "curve", "data-model": model,
                        "data-values": pts.map(p => p[1]).join(",")});
        pts.forEach(p => el("circle", {cx: X(p[0]), cy: Y(p[1]), r: 3, fill: color}));
      }
      (data.paper[key][model] || []).forEach(([m, mean, band]) => {
        el("line", {x1: X(m) + 4, x2: X(m) + 4, y1: Y(mean - band), y2: Y(mean + band), stroke: color});
        el("rect", {x: X(m) + 1, y: Y(mean) - 3, width: 6, height: 6, fill: "white", stroke: color, "stroke-width": 1.5,
                    class: "paper-point"});
      });
      el("line", {x1: W - R + 12, x2: W - R + 36, y1: T + 14 + 20 * i, y2: T + 14 + 20 * i, stroke: color, "stroke-width": 2.5});
      el("text", {x: W - R + 42, y: T + 18 + 20 * i}, model);
      rows.push([model].concat(data.m.map((m, j) => c.mean[j] === null ? "—" : `${c.mean[j].toFixed(3)} ± ${c.sd[j].toFixed(3)}`)));
    });
    el("rect", {x: W - R + 18, y: T + 74, width: 6, height: 6, fill: "white", stroke: "#333", "stroke-width": 1.5});
    el("text", {x: W - R + 42, y: T + 81}, "the paper (± SD)");
    root.querySelector(".values thead").innerHTML =
      "<tr><th>model</th>" + data.m.map(m => `<th>m = ${m}</th>`).join("") + "</tr>";
    root.querySelector(".values tbody").innerHTML =
      rows.map(r => "<tr>" + r.map(v => `<td>${v}</td>`).join("") + "</tr>").join("");
  }
  selN.addEventListener("change", draw);
  selNoise.addEventListener("change", draw);
  draw();
})();
</script>
</div>
"""
