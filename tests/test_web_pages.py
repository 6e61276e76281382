"""``llmkg serve``: canned queries over HTTP, Linked Data pages, the ontology, the start page."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from pyoxigraph import QueryResultsFormat, RdfFormat, parse, parse_query_results

from llmkg.web.testing import ServerProcess, http, load_trig_store, write_test_queries

pytestmark = pytest.mark.slow

FIXTURE = Path(__file__).parent / "fixtures" / "web.trig"
RES = "https://w3id.org/llmkg/resource/"
PROJECT_QUERIES = Path(__file__).resolve().parents[1] / "queries"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    d = tmp_path_factory.mktemp("store")
    load_trig_store(d, FIXTURE)
    q = write_test_queries(tmp_path_factory.mktemp("queries"))
    with ServerProcess(d, "--workers", "2", queries=q) as s:
        yield s


def get(server, path, accept=None, **headers):
    h = dict(headers)
    if accept:
        h["Accept"] = accept
    return http("GET", server.url + path, headers=h)


# -- canned queries ----------------------------------------------------------------------------

def test_queries_list(server):
    s, h, b = get(server, "/queries.json")
    assert s == 200 and h["content-type"] == "application/json"
    doc = json.loads(b)
    names = {q["name"]: q for q in doc["queries"]}
    assert set(names) == {"params-over-time", "models-of", "bigger-than"}
    p = names["params-over-time"]
    assert p["view"] == "scatter-log" and p["chart"] == {"x": "created", "y": "parameters", "label": "name"}
    assert names["bigger-than"]["params"][0] == {"name": "n", "type": "integer", "default": None,
                                                 "description": "the smallest count (100B = 10^11)",
                                                 "required": True}
    s, h, b = get(server, "/queries")
    assert s == 200 and b"Models of an organization" in b and b"/queries/models-of.csv" in b


def test_canned_formats_are_permalinks(server):
    s, h, b = get(server, "/queries/params-over-time.json")
    assert s == 200 and h["content-type"].startswith("application/sparql-results+json")
    sols = list(parse_query_results(b, format=QueryResultsFormat.JSON))
    assert [x["name"].value for x in sols][:3] == ["BERT", "GPT-2", "T5"]
    s, h, b = get(server, "/queries/params-over-time.csv")
    assert s == 200 and h["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(b.decode())))
    assert table[0] == ["model", "model", "created", "parameters"] or table[0][1:] == ["model", "created", "parameters"]
    assert len(table) == 1 + len(sols)
    s, h, b = get(server, "/queries/params-over-time.tsv")
    assert s == 200 and h["content-type"].startswith("text/tab-separated-values")
    assert len(b.decode().strip().splitlines()) == 1 + len(sols)
    s, h, b = get(server, "/queries/params-over-time", "text/html")
    assert s == 200 and b'<table class="results">' in b and b'id="llmkg-result"' in b
    assert b'id="chart"' in b


def test_canned_parameters(server):
    s, _, b = get(server, "/queries/models-of.json")
    openai = [x["name"].value for x in parse_query_results(b, format=QueryResultsFormat.JSON)]
    assert openai == ["GPT-2", "GPT-3", "GPT-4"]
    s, _, b = get(server, "/queries/models-of.json?org=res:organization/meta")
    assert [x["name"].value for x in parse_query_results(b, format=QueryResultsFormat.JSON)] == ["LLaMA", "Llama 2"]
    s, _, b = get(server, "/queries/bigger-than.json?n=100B")
    assert [x["name"].value for x in parse_query_results(b, format=QueryResultsFormat.JSON)] == ["PaLM", "GPT-3"]
    # errors name the parameter
    s, _, b = get(server, "/queries/bigger-than.json?n=lots")
    assert s == 400 and b"'n'" in b
    s, _, b = get(server, "/queries/bigger-than.json")
    assert s == 400 and b"needs the parameter" in b
    s, _, b = get(server, "/queries/models-of.json?colour=red")
    assert s == 400 and b"colour" in b
    # the HTML page shows the form, without results, when a required parameter is missing
    s, _, b = get(server, "/queries/bigger-than", "text/html")
    assert s == 200 and b'name="n"' in b and b"results" not in b.split(b"<main>")[1].split(b"</main>")[0].replace(b"results-wrap", b"")
    s, _, b = get(server, "/queries/nope.json")
    assert s == 404
    s, h, b = get(server, "/queries/models-of.rq")
    assert s == 200 and b"SELECT ?model" in b


def test_canned_etag_304(server):
    s, h, b = get(server, "/queries/params-over-time.json")
    etag = h["etag"]
    s, h2, b2 = get(server, "/queries/params-over-time.json", **{"If-None-Match": etag})
    assert s == 304 and b2 == b""
    s, h3, _ = get(server, "/queries/models-of.json?org=res:organization/meta")
    s, h4, _ = get(server, "/queries/models-of.json?org=res:organization/google")
    assert h3["etag"] != h4["etag"]


@pytest.mark.skipif(not PROJECT_QUERIES.is_dir() or not list(PROJECT_QUERIES.glob("*.rq")),
                    reason="the project has no queries/ yet")
def test_every_project_query_runs(tmp_path):
    """The project's own canned queries all answer on the fixture graph, in every format."""
    d = tmp_path / "store"
    load_trig_store(d, FIXTURE)
    from llmkg.query import load_registry

    reg = load_registry(PROJECT_QUERIES)
    with ServerProcess(d, "--workers", "2", queries=PROJECT_QUERIES) as s:
        for name, q in reg.items():
            if any(p.required and p.default is None for p in q.params):
                continue
            exts = ["json", "csv", "tsv"] if q.form in ("SELECT", "ASK") else ["ttl"]
            for ext in exts:
                st, _, b = http("GET", f"{s.url}/queries/{name}.{ext}")
                assert st == 200, (name, ext, b[:300])
            st, _, b = http("GET", f"{s.url}/queries/{name}", headers={"Accept": "text/html"})
            assert st == 200, (name, b[:300])


# -- Linked Data ---------------------------------------------------------------------------------

def test_search_finds_entities_by_label_or_alias(server):
    import json
    from urllib.parse import quote

    st, h, body = get(server, "/search?q=" + quote("gpt 3"))
    assert st == 200 and h["content-type"] == "application/json"
    doc = json.loads(body)
    assert doc["q"] == "gpt 3"
    assert doc["hits"][0] == {"iri": "https://w3id.org/llmkg/resource/model/gpt-3", "label": "GPT-3",
                              "kind": "model", "matched": "GPT-3", "match": "exact",
                              "href": "/resource/model/gpt-3"}
    # ranked: exact label, then prefix, then word match
    doc = json.loads(get(server, "/search?q=llama")[2])
    assert [(x["label"], x["match"]) for x in doc["hits"]] == [
        ("LLaMA", "exact"), ("Llama 2", "prefix"),
        ("LLaMA: Open and Efficient Foundation Language Models", "prefix")]
    doc = json.loads(get(server, "/search?q=" + quote("few shot"))[2])
    assert [(x["label"], x["kind"], x["match"]) for x in doc["hits"]] == [
        ("Language Models are Few-Shot Learners", "paper", "words")]
    doc = json.loads(get(server, "/search?q=" + quote("open ai"))[2])   # an alias
    assert [(x["label"], x["matched"]) for x in doc["hits"]] == [("OpenAI", "OpenAI")]
    assert json.loads(get(server, "/search?q=zzzz")[2])["hits"] == []
    assert json.loads(get(server, "/search?q=gpt&limit=2")[2])["hits"][1]["label"] == "GPT-3"
    st, _h, body = get(server, "/search?q=gpt&limit=0")
    assert st == 400 and b"limit must be between 1 and 50" in body
    # a browser (the search box without script) gets a page of links
    st, h, body = get(server, "/search?q=" + quote("gpt 3"), accept="text/html,application/xhtml+xml,*/*;q=0.8")
    assert st == 200 and h["content-type"] == "text/html; charset=utf-8"
    assert '<li><a href="/resource/model/gpt-3">GPT-3</a> <span class="muted">model</span></li>' in body.decode()
    assert 'found for “&lt;b&gt;”' in get(server, "/search?q=%3Cb%3E", accept="text/html")[2].decode()


def test_entity_pages_name_their_type_and_graphs_resolve(server):
    st, _h, body = get(server, "/resource/organization/openai", accept="text/html")
    assert st == 200
    assert re.search(r'<p class="meta">an <a href="[^"]*" title="https://w3id.org/llmkg/ontology#Organization">'
                     r'organization</a>', body.decode())
    st, _h, body = get(server, "/resource/model/gpt-3", accept="text/html")
    assert re.search(r'<p class="meta">a <a [^>]*>model</a>', body.decode())
    # every graph link leads to a page: graph:curated is described, graph:ontology is the ontology
    st, _h, body = get(server, "/graph/curated", accept="text/html")
    assert st == 200 and "<h1>graph:curated</h1>" in body.decode() and "Browse its statements" in body.decode()
    st, h, _b = get(server, "/graph/ontology", accept="text/html")
    assert st == 303 and h["location"] == "/ontology"
    assert get(server, "/graph/no-such-graph", accept="text/html")[0] == 404


def test_the_jsonld_context_is_served_where_its_iri_points(server):
    """https://w3id.org/llmkg/context.jsonld names /context.jsonld of the server."""
    import json

    from llmkg.export import CONTEXT_FILE, CONTEXT_IRI

    assert CONTEXT_IRI.endswith("/context.jsonld")
    st, h, body = get(server, "/context.jsonld")
    assert st == 200
    assert h["content-type"] == "application/ld+json"
    assert h["access-control-allow-origin"] == "*"
    assert json.loads(body) == json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))
    st, _h, _b = get(server, "/context.jsonld", **{"If-None-Match": h["etag"]})
    assert st == 304


def test_entity_page_html(server):
    s, h, b = get(server, "/resource/model/gpt-3", "text/html,application/xhtml+xml")
    assert s == 200 and h["content-type"].startswith("text/html") and h["vary"] == "Accept"
    page = b.decode()
    assert "<h1>GPT-3</h1>" in page
    # facts grouped by graph, with the source of each graph
    assert page.index("graph:curated") < page.index("graph:awesome-llms") < page.index("graph:llm-paper-club")
    assert "awesome-LLMs" in page                                       # the source's title
    assert 'href="/resource/organization/openai"' in page and ">OpenAI<" in page   # label of an object
    assert ">maximum parameter count<" in page                          # label of a property
    assert "≈175B" in page
    # incoming links
    assert "Incoming links" in page and 'href="/resource/contribution/awesome-llms/gpt-3"' in page
    assert 'href="/resource/model/gpt-3?format=turtle"' in page


@pytest.mark.parametrize("accept, fmt", [
    ("text/turtle", RdfFormat.TURTLE), ("application/ld+json", RdfFormat.JSON_LD),
    ("application/n-triples", RdfFormat.N_TRIPLES), ("application/rdf+xml", RdfFormat.RDF_XML),
])
def test_entity_rdf_by_accept(server, accept, fmt):
    s, h, b = get(server, "/resource/model/gpt-3", accept)
    assert s == 200 and h["content-type"].startswith(accept)
    triples = list(parse(b, format=fmt))
    assert all(t.subject.value == RES + "model/gpt-3" for t in triples)
    assert any(t.predicate.value.endswith("maximumParameterCount") for t in triples)
    assert h["link"].startswith("</resource/model/gpt-3>")


def test_entity_misc(server):
    s, h, b = get(server, "/resource/model/gpt-3", None)                       # curl: */*
    assert s == 200 and h["content-type"].startswith("text/turtle")
    s, h, b = get(server, "/resource/model/gpt-3?format=jsonld")
    assert h["content-type"].startswith("application/ld+json")
    s, h, b = get(server, "/resource/model/no-such-model", "text/html")
    assert s == 404 and b"says nothing about" in b
    s, h, b = get(server, "/resource/model/no-such-model", "text/turtle")
    assert s == 404
    # the full path of the base IRI resolves too (w3id.org/llmkg/resource/...)
    s, h, b = get(server, "/llmkg/resource/model/bert", "text/turtle")
    assert s == 200 and b"BERT" in b
    # an entity that is only an object (no outgoing triples) still has a page
    s, h, b = get(server, "/resource/problem/large-language-models-llms", "text/html")
    assert s == 200
    # graphs resolve under /graph/
    s, h, b = get(server, "/graph/awesome-llms", "text/html")
    assert s == 200 and b"SourceGraph" in b or b"source graph" in b.lower()
    s, h, b = get(server, "/resource/model/gpt-3", "text/html", **{"If-None-Match": get(server, "/resource/model/gpt-3", "text/html")[1]["etag"]})
    assert s == 304


def test_ontology(server):
    s, h, b = get(server, "/ontology", "text/html")
    assert s == 200 and b'id="Model"' in b and b"Object properties" in b
    s, h, b = get(server, "/ontology", "text/turtle")
    assert s == 200
    assert any(t.subject.value.endswith("#Model") for t in parse(b, format=RdfFormat.TURTLE))
    # hash IRIs of the ontology link to its page
    s, _, b = get(server, "/resource/model/gpt-3", "text/html")
    assert b'href="/ontology#Model"' in b


# -- the start page ------------------------------------------------------------------------------

def test_index_is_self_contained(server):
    s, h, b = get(server, "/", "text/html")
    assert s == 200
    page = b.decode()
    assert 'id="sparql"' in page and "PREFIX llmkg: &lt;https://w3id.org/llmkg/ontology#&gt;" in page
    assert "Parameter count over time" in page and 'id="q-filter"' in page
    # nothing is loaded from another host: scripts, styles, images, fonts are ours
    for m in re.finditer(r'<(script|link|img|iframe)\b[^>]*?(src|href)="([^"]*)"', page):
        assert m.group(3).startswith("/"), m.group(0)
    for name in ("app.js", "app.css"):
        s, h, body = get(server, f"/static/{name}")
        assert s == 200
        # absolute IRIs in the code are namespaces (w3.org, w3id.org), never places to fetch from
        hosts = set(re.findall(rb"https?://([a-z0-9.-]+)", body))
        assert hosts <= {b"www.w3.org", b"w3id.org"}, (name, hosts)
    s, h, b = get(server, "/static/../app.py")
    assert s == 404


def test_unknown_paths_and_methods(server):
    assert get(server, "/nope")[0] == 404
    assert http("POST", server.url + "/queries.json", b"x", {"Content-Type": "text/plain"})[0] == 405
    s, h, _ = get(server, "/health")
    assert s == 200 and h["content-type"] == "application/json"
