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


def test_canned_query_rows_chart_csv_and_entity(page, server, tmp_path):
    page.goto(server.url + "/")
    assert page.locator("#sparql").input_value().startswith("PREFIX llmkg: <https://w3id.org/llmkg/ontology#>")
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
    page.screenshot(path=str(tmp_path / "canned.png"), full_page=True)
    if os.environ.get("LLMKG_SCREENSHOTS"):
        shutil.copy(tmp_path / "canned.png", Path(os.environ["LLMKG_SCREENSHOTS"]) / "canned.png")
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
    page.screenshot(path=str(tmp_path / "entity.png"), full_page=True)
    if os.environ.get("LLMKG_SCREENSHOTS"):
        shutil.copy(tmp_path / "entity.png", Path(os.environ["LLMKG_SCREENSHOTS"]) / "entity.png")
    assert page.errors == []


def test_editor_share_url_and_errors(page, server):
    page.goto(server.url + "/")
    q = ("PREFIX llmkg: <https://w3id.org/llmkg/ontology#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
         "SELECT ?m ?l WHERE { ?m a llmkg:Model ; rdfs:label ?l } ORDER BY ?l")
    page.fill("#sparql", q)
    page.press("#sparql", "Control+Enter")
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
    page.fill("#sparql", "SELECT * WHERE { ?s ?p }")
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
