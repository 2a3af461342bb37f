"""Open every page of the built book in headless Chromium and check what a reader would see.

Run after a build (`.ci/run` does): `pytest -m browser tests/test_browser.py`. The book's HTML is
read from $BOOK_HTML_DIR (default `_build/html`); one full-page screenshot per page goes to
$BOOK_SCREENSHOT_DIR (default `_build/screenshots`). Chromium is the Debian package (`chromium`,
or $CHROMIUM), driven through the DevTools protocol over a pipe, so the test needs no Playwright and
no network: it sees console errors, failed loads and what MathJax rendered.

Checks, for every page of _toc.yml: no console error, uncaught exception or failed resource load;
MathJax rendered every formula (no raw TeX left in the prose, no TeX error); every <img> has loaded
and every content image is a captioned figure with alt text, drawn by a cell whose code is hidden
("hide-input"); no warning or traceback text in a cell output; one H1; the sidebar lists every
chapter. And the scorecard page of Part II, when the book has one, holds one table row per claim of
`lib.claims.beyond` (one per section of `lib.claims.SECTIONS` in Part II); on the explorer page (book/use/explore), opened from file://, choosing another
n and another noise scale changes the plotted values (read back from the chart's SVG and its table).
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
HTML = Path(os.environ.get("BOOK_HTML_DIR", ROOT / "_build" / "html")).resolve()
SHOTS = Path(os.environ.get("BOOK_SCREENSHOT_DIR", ROOT / "_build" / "screenshots")).resolve()
WIDTH, HEIGHT, MAX_SHOT_HEIGHT = 1280, 900, 30_000
TIMEOUT = 60.0  # seconds for one page to load and render


def toc_pages(toc: Path = ROOT / "_toc.yml") -> list[str]:
    """Every document of the table of contents, in reading order (root first)."""
    data = yaml.safe_load(toc.read_text())
    pages = [data["root"]]

    def walk(node) -> None:
        if isinstance(node, dict):
            if "file" in node:
                pages.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({key: value for key, value in data.items() if key != "root"})
    return pages


PAGES = toc_pages()
CHAPTERS = PAGES[1:]


class Chromium:
    """A headless Chromium with one tab, driven by the DevTools protocol over --remote-debugging-pipe
    (JSON messages separated by NUL bytes: commands on fd 3, replies and events on fd 4)."""

    def __init__(self, executable: str) -> None:
        self.profile = tempfile.mkdtemp(prefix="book-browser-")
        cmd_read, self._cmd = os.pipe()
        self._out, out_write = os.pipe()

        def attach_pipes() -> None:  # in the child, before exec
            os.dup2(cmd_read, 3)
            os.dup2(out_write, 4)
            for fd in (3, 4):  # dup2 onto itself (when os.pipe gave fd 3) keeps close-on-exec
                os.set_inheritable(fd, True)

        args = [
            executable,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--remote-debugging-pipe",
            f"--user-data-dir={self.profile}",
            f"--window-size={WIDTH},{HEIGHT}",
            "about:blank",
        ]
        self.proc = subprocess.Popen(
            args,
            preexec_fn=attach_pipes,
            close_fds=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(cmd_read)
        os.close(out_write)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []
        target = next(
            t for t in self.call("Target.getTargets")["targetInfos"] if t["type"] == "page"
        )
        self.session = self.call(
            "Target.attachToTarget", targetId=target["targetId"], flatten=True
        )["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=True)

    def call(
        self, method: str, *, session: bool = False, timeout: float = TIMEOUT, **params
    ) -> dict:
        """Send one command and return its result; events that arrive meanwhile go to `events`."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._cmd, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._receive(deadline, method)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, event: str, timeout: float = TIMEOUT) -> dict:
        """Block until `event` arrives (or return it if it already has)."""
        deadline = time.monotonic() + timeout
        while True:
            for message in self.events:
                if message.get("method") == event:
                    return message
            self.events.append(self._receive(deadline, event))

    def _receive(self, deadline: float, waiting_for: str) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._out], [], [], left)[0]:
                raise TimeoutError(f"Chromium did not answer {waiting_for} within {TIMEOUT:.0f} s")
            chunk = os.read(self._out, 1 << 20)
            if not chunk:
                raise RuntimeError(
                    f"Chromium exited (code {self.proc.poll()}) while waiting for {waiting_for}"
                )
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=10)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._cmd)
        os.close(self._out)
        shutil.rmtree(self.profile, ignore_errors=True)


# Runs in the page once it has loaded: waits for MathJax, fonts and images, then reports what a
# reader sees. Returns a JSON string (one object).
INSPECT = r"""
(async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  await document.fonts.ready;
  const images = Array.from(document.images);
  await Promise.all(images.map(img => { img.loading = "eager"; return img.decode().catch(() => null); }));
  const main = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;
  const prose = main.cloneNode(true);
  prose.querySelectorAll("pre, code, script, style, textarea, mjx-container, .highlight").forEach(e => e.remove());
  const text = prose.textContent;
  const rawTex = text.match(/\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\$[^$\s][^$\n]{0,80}?\$/g) || [];
  const contentImages = Array.from(main.querySelectorAll("img")).filter(img => !img.closest(".bd-header-article"));
  const outputs = Array.from(main.querySelectorAll(".cell_output")).map(o => o.textContent);
  const tables = Array.from(main.querySelectorAll("table")).map(t => ({
    header: Array.from(t.querySelectorAll("thead th")).map(th => th.textContent.trim().toLowerCase()),
    rows: t.querySelectorAll("tbody tr").length,
  }));
  const sidebar = Array.from(document.querySelectorAll(".bd-sidebar-primary nav.bd-docs-nav a[href]")).map(a => a.href.split("#")[0]);
  return JSON.stringify({
    height: Math.max(document.documentElement.scrollHeight, document.body.scrollHeight),
    brokenImages: images.filter(img => !img.complete || img.naturalWidth === 0).map(img => img.getAttribute("src")),
    uncaptioned: contentImages.filter(img => !(img.closest("figure") && img.closest("figure").querySelector("figcaption")))
      .map(img => img.getAttribute("src")),
    missingAlt: contentImages.filter(img => {
      const alt = (img.getAttribute("alt") || "").trim();
      return !alt || /\.(png|jpe?g|svg|gif)$/i.test(alt);
    }).map(img => img.getAttribute("src")),
    plotCode: Array.from(main.querySelectorAll("div.cell")).filter(c => c.querySelector(".cell_output img")
      && !c.matches(".tag_hide-input, .tag_remove-input")).map(c => c.textContent.trim().slice(0, 80)),
    unrenderedMath: Array.from(main.querySelectorAll(".math")).filter(m => !m.querySelector("mjx-container"))
      .map(m => m.textContent.slice(0, 80)),
    mathErrors: Array.from(document.querySelectorAll("mjx-merror")).map(e => (e.getAttribute("data-mjx-error") || e.textContent).slice(0, 80)),
    rawTex: rawTex.slice(0, 10),
    stderr: main.querySelectorAll(".output.stderr, .stderr").length,
    badOutputs: outputs.filter(t => /\b\w*Warning:|Traceback \(most recent call last\)|<Figure size/.test(t)).map(t => t.slice(0, 200)),
    h1: main.querySelectorAll("h1").length,
    sidebar: sidebar,
    tables: tables,
  });
})()
"""


def _console_errors(events: list[dict]) -> list[str]:
    """Console errors, uncaught exceptions and failed loads among DevTools events."""
    errors = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            errors.append(
                "exception: "
                + details.get("exception", {}).get("description", details.get("text", ""))
            )
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append(
                "console.error: "
                + " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            )
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            errors.append(f"{entry['source']}: {entry['text']} {entry.get('url', '')}".strip())
    return errors


def page_url(page: str) -> str:
    return (HTML / f"{page}.html").as_uri()


def visit(browser: Chromium, page: str) -> dict:
    """Load one page, inspect it, save its full-length screenshot, and return the report."""
    browser.events.clear()
    browser.call("Page.navigate", session=True, url=page_url(page))
    browser.wait_for("Page.loadEventFired")
    found = json.loads(
        browser.call(
            "Runtime.evaluate",
            session=True,
            expression=INSPECT,
            awaitPromise=True,
            returnByValue=True,
        )["result"]["value"]
    )
    height = min(int(found["height"]), MAX_SHOT_HEIGHT)
    shot = browser.call(
        "Page.captureScreenshot",
        session=True,
        format="png",
        captureBeyondViewport=True,
        clip={"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1},
    )
    path = SHOTS / f"{page.replace('/', '__')}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    found["screenshot"] = path
    found["console"] = _console_errors(browser.events)
    return found


def chromium_executable() -> str:
    """$CHROMIUM, else the `chromium` (or `chromium-browser`) on the PATH; the test fails without one."""
    executable = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if executable is None:
        pytest.fail("Chromium not found: `apt-get install -y chromium` (Debian) or set $CHROMIUM")
    return executable


@pytest.fixture(scope="module")
def reports() -> dict[str, dict]:
    """Open every page of the book once; the tests below read these reports."""
    missing = [page for page in PAGES if not (HTML / f"{page}.html").exists()]
    if missing:
        pytest.fail(f"build the book first: no HTML for {missing} under {HTML} (set BOOK_HTML_DIR)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser = Chromium(chromium_executable())
    try:
        return {page: visit(browser, page) for page in PAGES}
    finally:
        browser.close()


@pytest.mark.parametrize("page", PAGES)
def test_no_console_errors(reports, page):
    assert reports[page]["console"] == []


@pytest.mark.parametrize("page", PAGES)
def test_math_rendered(reports, page):
    report = reports[page]
    assert report["unrenderedMath"] == [], "formulas that MathJax did not typeset"
    assert report["mathErrors"] == [], "TeX errors"
    assert report["rawTex"] == [], "raw TeX delimiters left in the prose"


@pytest.mark.parametrize("page", PAGES)
def test_images_loaded_captioned_with_alt_text(reports, page):
    report = reports[page]
    assert report["brokenImages"] == [], "images that did not load"
    assert report["uncaptioned"] == [], "content images outside a captioned figure"
    assert report["missingAlt"] == [], "images without a real alt text"


@pytest.mark.parametrize("page", PAGES)
def test_plot_cells_hide_their_code(reports, page):
    assert reports[page]["plotCode"] == [], "cells that draw a figure without a hide-input tag"


@pytest.mark.parametrize("page", PAGES)
def test_clean_outputs_and_one_title(reports, page):
    report = reports[page]
    assert report["stderr"] == 0, "stderr output on the page"
    assert report["badOutputs"] == [], "warning, traceback or figure repr in a cell output"
    assert report["h1"] == 1, f"{report['h1']} H1 titles"


@pytest.mark.parametrize("page", PAGES)
def test_sidebar_lists_every_chapter(reports, page):
    listed = set(reports[page]["sidebar"])
    assert [c for c in CHAPTERS if page_url(c) not in listed] == []


@pytest.mark.parametrize("page", PAGES)
def test_screenshot_saved(reports, page):
    shot = reports[page]["screenshot"]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 10_000, "a near-empty screenshot"


def test_scorecard_has_one_row_per_claim(reports):
    if "book/use/scorecard" not in PAGES:
        pytest.skip("no book/use/scorecard page in _toc.yml yet")
    from lib.claims import SECTIONS

    # Part II's claims
    expected = sum(section.startswith("beyond/") for section in SECTIONS.values())
    verdict_tables = [
        t
        for t in reports["book/use/scorecard"]["tables"]
        if any("verdict" in h for h in t["header"])
    ]
    assert verdict_tables, "the scorecard page has no table with a 'verdict' column"
    assert verdict_tables[0]["rows"] == expected


EXPLORER_PAGE = "book/use/explore"
# the explorer's plotted numbers: each line's model and values (from the SVG), and the table under the chart
READ_EXPLORER = r"""JSON.stringify({
  curves: Array.from(document.querySelectorAll(".explorer svg polyline.curve")).map(p => [p.dataset.model, p.dataset.values]),
  table: Array.from(document.querySelectorAll(".explorer table.values tbody td")).map(td => td.textContent),
  options: Array.from(document.querySelectorAll(".explorer select")).map(s => s.options.length),
})"""


def choose_next_option(browser: Chromium, control: str) -> None:
    """Select the next option (after the last: the first) of the explorer's dropdown `control` as a
    reader would (a change event)."""
    script = (
        f'(() => {{ const s = document.querySelector(".explorer select.{control}"); '
        's.selectedIndex = (s.selectedIndex + 1) % s.options.length; s.dispatchEvent(new Event("change")); })()'
    )
    browser.call("Runtime.evaluate", session=True, expression=script)


def read_explorer(browser: Chromium) -> dict:
    return json.loads(
        browser.call(
            "Runtime.evaluate", session=True, expression=READ_EXPLORER, returnByValue=True
        )["result"]["value"]
    )


def test_explorer_controls_change_the_plotted_values_from_file_url():
    if EXPLORER_PAGE not in PAGES:
        pytest.skip("no book/use/explore page in _toc.yml")
    url = page_url(EXPLORER_PAGE)
    assert url.startswith("file://")
    if not (HTML / f"{EXPLORER_PAGE}.html").exists():
        pytest.fail(
            f"build the book first: no HTML for {EXPLORER_PAGE} under {HTML} (set BOOK_HTML_DIR)"
        )
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser = Chromium(chromium_executable())
    try:
        browser.call("Page.navigate", session=True, url=url)
        browser.wait_for("Page.loadEventFired")
        first = read_explorer(browser)
        choose_next_option(browser, "ctl-n")
        second = read_explorer(browser)
        choose_next_option(browser, "ctl-noise")
        third = read_explorer(browser)
        shot = browser.call("Page.captureScreenshot", session=True, format="png")
        (SHOTS / "explorer-other-n-other-noise.png").write_bytes(base64.b64decode(shot["data"]))
        console = _console_errors(browser.events)
    finally:
        browser.close()
    assert all(count >= 2 for count in first["options"]) and len(first["options"]) == 2, (
        "two dropdowns with choices"
    )
    assert len(first["curves"]) == 3 and all(values for _, values in first["curves"]), (
        "one line per model"
    )
    assert first["table"] and len(first["table"]) == len(second["table"])
    assert second["curves"] != first["curves"] and second["table"] != first["table"], (
        "changing n changed nothing"
    )
    assert third["curves"] != second["curves"], "changing the noise scale changed nothing"
    assert console == []
