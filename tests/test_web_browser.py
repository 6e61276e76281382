"""The start page in a real browser (headless Chromium driven by Playwright): a researcher
opens a canned query, sees the rows and the chart, downloads the CSV, opens an entity page,
and runs their own SPARQL from a shareable URL. No request may leave the server.

Needs Debian's ``chromium`` (``apt-get install chromium``) and the ``playwright`` package;
the browser Playwright would download is never used.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from llmkg.web.testing import ServerProcess, http, load_trig_store

pytestmark = pytest.mark.slow

FIXTURE = Path(__file__).parent / "fixtures" / "web.trig"
EDITOR = "#sparql-form .cm-content"   # the CodeMirror editor (static/editor.js) over the textarea


def set_query(page, text):
    """The editor's text, exactly (typing into it would add what a user's typing adds)."""
    page.wait_for_selector(EDITOR)
    page.evaluate("t => window.llmkg.setQuery(t)", text)
CHROMIUM = os.environ.get("LLMKG_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover
    sync_playwright = None

if sync_playwright is None:
    pytest.skip("playwright is not installed (pip install playwright)", allow_module_level=True)
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from llmkg.web.testing import write_test_queries

    d = tmp_path_factory.mktemp("store")
    load_trig_store(d, FIXTURE)
    q = write_test_queries(tmp_path_factory.mktemp("queries"))
    with ServerProcess(d, "--workers", "2", queries=q) as s:
        yield s


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=60_000)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(20_000)
    pg.outside = []
    pg.errors = []
    host = urlsplit(server.url).netloc

    def guard(route):
        if urlsplit(route.request.url).netloc != host:
            pg.outside.append(route.request.url)
            return route.abort()
        return route.continue_()

    pg.route("**/*", guard)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    yield pg
    ctx.close()
    assert pg.outside == [], "the page called other hosts"


def _shot(page, tmp_path, name):
    """A screenshot for review, in $LLMKG_SCREENSHOTS or .llmkg/screenshots/ of the checkout."""
    page.screenshot(path=str(tmp_path / name), full_page=True)
    folder = Path(os.environ.get("LLMKG_SCREENSHOTS") or Path(__file__).resolve().parents[1] / ".llmkg" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(tmp_path / name, folder / name)


def test_canned_query_rows_chart_csv_and_entity(page, server, tmp_path):
    page.goto(server.url + "/")
    # the editor shows the query, not the predeclared PREFIX lines
    assert page.locator("#sparql").input_value().startswith("SELECT ?model ?name ?created ?parameters WHERE {")
    # what the graph holds, and where to start
    assert page.locator("section.holdings").inner_text().startswith("The graph holds ")
    assert page.locator("section.holdings ul.starts li").count() == 3
    _shot(page, tmp_path, "start.png")
    # search the canned queries
    page.fill("#q-filter", "organization")
    assert page.locator("#canned-list li:visible").count() == 1
    page.fill("#q-filter", "")
    assert page.locator("#canned-list li:visible").count() == 3
    # open one: its rows, its chart
    page.click("a[data-canned='params-over-time']")
    page.wait_for_selector("#results table.results tbody tr")
    rows = page.locator("#results table.results tbody tr")
    assert rows.count() == 8
    assert page.locator("#results thead th").all_inner_texts() == ["model", "model", "created", "parameters"]
    assert page.locator("#chart svg circle").count() == 8
    assert "log scale" in page.locator("#chart svg").text_content()
    assert "canned=params-over-time" in page.url
    _shot(page, tmp_path, "canned.png")
    # download the CSV
    with page.expect_download() as dl:
        page.click("#canned-panel a.dl-csv")
    data = Path(dl.value.path()).read_text(encoding="utf-8")
    table = list(csv.reader(io.StringIO(data)))
    assert len(table) == 9 and "BERT" in data
    # open an entity page from the table
    page.click("#results tbody tr:first-child a[href='/resource/model/bert']")
    page.wait_for_selector("article.entity h1")
    assert page.locator("article.entity h1").inner_text() == "BERT"
    assert page.locator("section.graph").count() >= 2
    _shot(page, tmp_path, "entity.png")
    assert page.errors == []


def test_back_button_and_recent_queries(page, server, tmp_path):
    page.goto(server.url + "/")
    page.evaluate("localStorage.clear()")
    q1 = "SELECT ?m WHERE { ?m a llmkg:Model } ORDER BY ?m LIMIT 3"
    q2 = "SELECT ?o WHERE { ?o a llmkg:Organization } ORDER BY ?o"
    for q in (q1, q2):
        set_query(page, q)
        page.click("#run")
        page.wait_for_function("document.getElementById('status').textContent.indexOf('rows') >= 0")
    assert page.locator("#recent ol li").count() == 2
    assert page.locator("#recent ol li:first-child a").get_attribute("title") == q2
    rows_q2 = page.locator("#results tbody tr").count()
    page.go_back()
    page.wait_for_function("document.getElementById('sparql').value.indexOf('llmkg:Model') >= 0")
    page.wait_for_selector("#results table.results tbody tr")
    assert page.locator("#sparql").input_value() == q1
    page.wait_for_function("document.querySelectorAll('#results tbody tr').length === 3")
    assert rows_q2 != 3
    _shot(page, tmp_path, "history.png")
    assert page.errors == []


def test_editor_share_url_and_errors(page, server):
    page.goto(server.url + "/")
    q = ("PREFIX llmkg: <https://w3id.org/llmkg/ontology#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
         "SELECT ?m ?l WHERE { ?m a llmkg:Model ; rdfs:label ?l } ORDER BY ?l")
    set_query(page, q)
    page.click(EDITOR)
    page.press(EDITOR, "Control+Enter")
    page.wait_for_selector("#results table.results tbody tr")
    assert page.locator("#results tbody tr").count() == 9
    short = page.locator("#results tbody tr:first-child td:first-child a").inner_text()
    assert short == "model:bert"   # a short IRI that pastes back into a query:
    st, _h, body = http("GET", server.url + "/sparql?" + urlencode({"query": f"ASK {{ {short} a llmkg:Model }}"}),
                        headers={"Accept": "application/sparql-results+json"})
    assert st == 200 and json.loads(body)["boolean"] is True
    assert "9 rows" in page.locator("#status").inner_text()
    shared = page.url
    assert "?query=" in shared
    # the shared URL runs the query for the next person
    page.goto(shared)
    page.wait_for_selector("#results table.results tbody tr")
    assert page.locator("#results tbody tr").count() == 9
    assert page.locator("#sparql").input_value() == q
    # download links follow the editor
    href = page.get_attribute("#dl-csv", "href")
    assert href.startswith("/sparql?") and "format=csv" in href
    # a syntax error is shown, not swallowed
    set_query(page, "SELECT * WHERE { ?s ?p }")
    page.click("#run")
    page.wait_for_selector("#results pre.error")
    assert "not valid SPARQL" in page.locator("#results pre.error").inner_text()
    assert page.errors == [] or all("400" in e for e in page.errors)


def test_canned_page_draws_its_chart(page, server):
    page.goto(server.url + "/queries/params-over-time")
    page.wait_for_selector("#chart svg")
    assert page.locator("#chart svg circle").count() == 8
    assert page.locator("table.results tbody tr").count() == 8
    page.goto(server.url + "/queries/bigger-than?n=60B")
    assert page.locator("table.results tbody tr").count() == 5
    assert page.errors == []


def test_entity_search_as_you_type(page, server, tmp_path):
    page.goto(server.url + "/")
    page.fill("#search", "gpt 3")
    page.wait_for_selector("#search-hits li[role=option]")
    first = page.locator("#search-hits li[role=option] a").first
    assert first.get_attribute("href") == "/resource/model/gpt-3"
    assert "GPT-3" in first.inner_text() and "model" in first.inner_text()
    _shot(page, tmp_path, "search.png")
    page.press("#search", "Enter")
    page.wait_for_selector("article.entity h1")
    assert page.locator("article.entity h1").inner_text() == "GPT-3"
    assert page.errors == []


BIG = ("SELECT ?a ?b ?n WHERE { VALUES ?a { " + " ".join(str(i) for i in range(100)) + " } "
       "VALUES ?b { " + " ".join(str(i) for i in range(100)) + " } BIND(?a * 100 + ?b AS ?i) "
       "BIND((?i + 100) * 1750000000 AS ?n) }")


def test_big_results_page_sort_and_filter(page, server, tmp_path):
    page.goto(server.url + "/?" + urlencode({"query": BIG}))
    page.wait_for_selector("#results table.results tbody tr")
    status = page.locator("#status").inner_text()
    assert status.startswith("10000 rows · ") and status.endswith(" ms, table included")
    assert int(status.split(" · ")[1].split(" ")[0]) < 1000        # 10,000 rows in well under a second
    rows = page.locator("#results table.results tbody tr")
    assert rows.count() == 100                                       # a page of 100
    assert page.locator(".grid-where").inner_text() == "1–100 of 10000"
    page.click(".grid-next")
    assert page.locator(".grid-where").inner_text() == "101–200 of 10000"
    # sort by a column (numerically): numbers people read, the exact value on hover
    page.click("#results thead th[data-var='n']")
    assert page.locator(".grid-where").inner_text() == "1–100 of 10000"
    cell = page.locator("#results tbody tr:first-child td:nth-child(3)")
    assert cell.inner_text() == "175B" and cell.get_attribute("title") == "175000000000"
    assert page.locator("#results tbody tr:nth-child(2) td:nth-child(3)").inner_text() == "177B"
    page.click("#results thead th[data-var='n']")      # and the other way
    assert page.locator("#results tbody tr:first-child td:nth-child(3)").get_attribute("title") == "17673250000000"
    assert page.locator("#results thead th[data-var='n']").get_attribute("class") == "sorted desc"
    # filter
    page.fill(".grid-filter", "9999")
    page.wait_for_function("document.querySelector('.grid-where').textContent.indexOf('of 10000)') > 0")
    assert page.locator("#results tbody tr").count() == 1
    page.fill(".grid-filter", "")
    page.wait_for_function("document.querySelector('.grid-where').textContent === '1–100 of 10000'")
    _shot(page, tmp_path, "big-results.png")
    page.select_option(".grid-size", "0")
    assert page.locator("#results tbody tr").count() == 10000
    assert page.errors == []


def test_narrow_window_has_no_sideways_scroll(browser, server, tmp_path):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    pg = ctx.new_page()
    try:
        pg.goto(server.url + "/")
        pg.wait_for_selector("#search")
        assert pg.evaluate("document.documentElement.scrollWidth") <= 390
        box = pg.locator("#search").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        # the sidebar is not sticky: scrolled down, it does not cover the results
        assert pg.locator("aside.sidebar").evaluate("e => getComputedStyle(e).position") == "static"
        pg.goto(server.url + "/?" + urlencode({"query": BIG}))
        pg.wait_for_selector("#results table.results tbody tr")
        assert pg.evaluate("document.documentElement.scrollWidth") <= 390     # the table scrolls in its box
        wrap = pg.locator("#results .results-wrap").first
        assert wrap.evaluate("e => getComputedStyle(e).overflowX") == "auto"
        pg.locator("#results tbody tr").nth(20).scroll_into_view_if_needed()
        side = pg.locator("aside.sidebar").bounding_box()
        row = pg.locator("#results tbody tr").nth(20).bounding_box()
        assert side["y"] + side["height"] <= row["y"] or side["y"] >= row["y"] + row["height"]
        _shot(pg, tmp_path, "narrow-390.png")
    finally:
        ctx.close()


def _completions(page, text: str) -> str:
    """The completion list the editor offers at the end of ``text`` (Ctrl+Space)."""
    set_query(page, text)
    page.click(EDITOR)
    page.press(EDITOR, "Control+End")
    page.press(EDITOR, "Control+Space")
    page.wait_for_selector(".cm-tooltip-autocomplete li")
    return page.locator(".cm-tooltip-autocomplete").inner_text()


def test_the_editor_highlights_completes_and_marks_errors(page, server, tmp_path):
    page.goto(server.url + "/")
    page.wait_for_selector(EDITOR)
    assert page.locator("#sparql").is_hidden()             # the editor stands in for the textarea
    # highlighting: keywords and variables get their own styled spans
    set_query(page, "SELECT ?m WHERE { ?m a llmkg:Model }")
    styled = page.locator(f"{EDITOR} .cm-line span")
    assert styled.count() >= 4
    kw = page.locator(f"{EDITOR} .cm-line span", has_text="SELECT").first
    assert kw.evaluate("e => getComputedStyle(e).color") != page.locator(EDITOR).evaluate("e => getComputedStyle(e).color")
    # completion of the ontology's terms, after the predeclared prefix
    assert "llmkg:Model" in _completions(page, "SELECT ?m WHERE { ?m a llmkg:Mod")
    page.wait_for_timeout(150)      # CodeMirror takes no key for a new list for 75 ms (interactionDelay)
    page.press(EDITOR, "Enter")
    assert page.locator("#sparql").input_value() == "SELECT ?m WHERE { ?m a llmkg:Model"
    # entities by label (GET /search) after a prefix: model:gpt -> model:gpt-3
    assert "model:gpt-3" in _completions(page, "SELECT * WHERE { model:gpt")
    page.press(EDITOR, "Escape")
    _shot(page, tmp_path, "editor-completion.png")
    # a syntax error is marked at its line and column; predeclared prefixes are not errors
    set_query(page, "SELECT * WHERE {\n  ?s llmkg:organization ?o\n  ?s ?p\n}")
    page.click("#run")
    page.wait_for_selector("#results pre.error")
    page.wait_for_selector(".cm-lintRange-error")
    assert page.locator(".cm-lint-marker-error").count() == 1
    assert "line 4" in page.locator("#results pre.error").inner_text()
    _shot(page, tmp_path, "editor-error.png")
    assert page.errors == [] or all("400" in e for e in page.errors)


def _no_overlap(page, selector):
    """The labels do not overlap: level ones by their boxes; slanted ones (rotated by the
    same angle) by the distance between their parallel baselines, at least a line high."""
    import math

    info = page.eval_on_selector_all(selector, """els => els.map(e => { const r = e.getBoundingClientRect();
        const t = e.getAttribute('transform') || ''; const m = /rotate\\((-?[\\d.]+)/.exec(t);
        return [r.left, r.top, r.right, r.bottom, +e.getAttribute('x'), m ? +m[1] : 0,
                parseFloat(getComputedStyle(e).fontSize)]; })""")
    boxes = [i[:4] for i in info]
    slanted = [i for i in info if i[5]]
    if slanted:
        xs = sorted(i[4] for i in slanted)
        angle = abs(slanted[0][5])
        gap = min(b - a for a, b in zip(xs, xs[1:]))
        assert gap * math.sin(math.radians(angle)) >= slanted[0][6], (gap, angle)
    else:
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert a[2] <= b[0] + 0.5 or b[2] <= a[0] + 0.5 or a[3] <= b[1] + 0.5 or b[3] <= a[1] + 0.5, (a, b)
    return boxes


def test_a_chart_for_any_query(page, server, tmp_path):
    """The view switcher draws the user's own query as a bar, scatter or timeline chart,
    with columns picked from their values; many bar labels neither overlap nor get cut."""
    q = ("SELECT ?model ?created ?parameters WHERE { ?model a llmkg:Model ; dcterms:created ?created ; "
         "llmkg:maximumParameterCount ?parameters } ORDER BY ?created")
    page.goto(server.url + "/?" + urlencode({"query": q}))
    page.wait_for_selector("#results table.results tbody tr")
    assert page.locator(".view-switch button").all_inner_texts() == ["Table", "Bar", "Scatter", "Timeline"]
    assert page.locator("#chart svg").count() == 0                     # a table first
    page.click(".view-switch button[data-view='scatter']")
    page.wait_for_selector("#chart svg circle")
    n = page.locator("#results tbody tr").count()
    assert page.locator("#chart svg circle").count() == n
    assert "log scale" in page.locator("#chart svg").text_content()   # 125M ... 1.7T: orders of magnitude
    _shot(page, tmp_path, "chart-scatter.png")
    page.click(".view-switch button[data-view='bar']")
    page.wait_for_selector("#chart svg rect")
    assert page.locator("#chart svg rect").count() == n
    labels = _no_overlap(page, "#chart svg text.x-tick")
    svg_box = page.locator("#chart svg").bounding_box()
    assert all(b[0] >= svg_box["x"] - 0.5 and b[3] <= svg_box["y"] + svg_box["height"] + 0.5 for b in labels)
    _shot(page, tmp_path, "chart-bar.png")
    page.click(".view-switch button[data-view='timeline']")
    page.wait_for_selector("#chart svg")
    assert page.locator(".view-switch button[aria-pressed='true']").inner_text() == "Timeline"
    _shot(page, tmp_path, "chart-timeline.png")
    page.click(".view-switch button[data-view='table']")
    assert page.locator("#chart svg").count() == 0
    assert page.errors == []


def test_many_bars_have_readable_labels(page, server, tmp_path):
    values = " ".join(f'("a rather long category name {i:02d}" {i * 10 + 5})' for i in range(40))
    page.goto(server.url + "/?" + urlencode({"query": f"SELECT ?name ?n WHERE {{ VALUES (?name ?n) {{ {values} }} }}"}))
    page.wait_for_selector("#results table.results tbody tr")
    page.click(".view-switch button[data-view='bar']")
    page.wait_for_selector("#chart svg rect")
    assert page.locator("#chart svg rect").count() == 40
    labels = _no_overlap(page, "#chart svg text.x-tick")
    assert 10 <= len(labels) <= 40
    _shot(page, tmp_path, "chart-many-bars.png")
    assert page.errors == []


def test_the_largest_models_on_a_log_axis(browser, real_store_dir, tmp_path):
    """On the shipped data: the largest model of each year, 117M to 1.7T, on a log axis."""
    root = Path(__file__).resolve().parents[1]
    with ServerProcess(real_store_dir, queries=root / "queries") as s:
        ctx = browser.new_context(viewport={"width": 1366, "height": 900})
        pg = ctx.new_page()
        try:
            pg.goto(s.url + "/queries/largest-model-per-year")
            pg.wait_for_selector("#chart svg rect")
            text = pg.locator("#chart svg").text_content()
            assert "(log scale)" in text
            ticks = [t.strip() for t in pg.locator("#chart svg text.tick").all_text_contents()]
            assert "1B" in ticks and "1T" in ticks
            _shot(pg, tmp_path, "largest-models-log.png")
        finally:
            ctx.close()
