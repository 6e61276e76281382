"""Hostile data and hostile paths (#20): labels, IRIs and query texts holding markup are
escaped on every page that shows them, and no route reads a file it was not meant to
serve, however the path is spelled."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

import pytest

from llmkg.web.testing import ServerProcess, http, load_trig_store

FIXTURE = Path(__file__).parent / "fixtures" / "web.trig"
RES = "https://w3id.org/llmkg/resource/"
HOSTILE_TRIG = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX llmkg: <https://w3id.org/llmkg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
GRAPH <https://w3id.org/llmkg/graph/curated> {
  <https://w3id.org/llmkg/resource/model/evil> a llmkg:Model ;
      rdfs:label "<script>alert(1)</script>" ;
      skos:altLabel "\\"><img src=x onerror=alert(2)>" ;
      rdfs:comment "'><svg onload=alert(3)>" , "</textarea><script>alert(4)</script>" ;
      rdfs:seeAlso <javascript:alert(5)> ;
      llmkg:developedBy <https://w3id.org/llmkg/resource/org/%3Cscript%3E> .
  <https://w3id.org/llmkg/resource/org/%3Cscript%3E> rdfs:label "<b>bold</b> & co" .
}
"""
QUERY = """# title: <script>alert(1)</script> models
# description: Lists "><img src=x onerror=alert(2)> things
# param: model iri default=res:model/evil "The <svg onload=alert(3)> model"
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?label WHERE { ?model rdfs:label ?label }
"""

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from pyoxigraph import RdfFormat, parse

    d = tmp_path_factory.mktemp("store")
    extra = list(parse(HOSTILE_TRIG.encode(), format=RdfFormat.TRIG))
    load_trig_store(d, FIXTURE, extra_quads=extra)
    q = tmp_path_factory.mktemp("queries")
    (q / "evil.rq").write_text(QUERY, encoding="utf-8")
    with ServerProcess(d, "--workers", "1", queries=q) as s:
        yield s


def html_pages(server) -> dict[str, bytes]:
    pages = {}
    for path in ["/", "/queries", "/queries/evil", "/queries/evil.html",
                 "/queries/evil.html?" + urlencode({"model": RES + "model/evil"}),
                 "/resource/model/evil", "/resource/org/%3Cscript%3E",
                 "/sparql?" + urlencode({"query": "SELECT ?l ?o WHERE { ?s ?p ?l OPTIONAL { ?s ?q ?o } }",
                                         "format": "html"}),
                 "/sparql?" + urlencode({"query": "CONSTRUCT WHERE { ?s ?p ?o }", "format": "html"}),
                 "/queries/evil?" + urlencode({"model": "<script>alert(6)</script>"}),
                 "/resource/%3Cscript%3Ealert(7)%3C/script%3E",
                 "/sparql?" + urlencode({"query": "SELECT <script>alert(8)</script>", "format": "html"})]:
        status, headers, body = http("GET", server.url + path, headers={"Accept": "text/html"})
        assert status in (200, 400, 404), (path, status)
        pages[path] = body
    return pages


def test_markup_in_the_data_is_escaped_on_every_page(server):
    pages = html_pages(server)
    for path, body in pages.items():
        text = body.decode("utf-8")
        # the only scripts are the page's own, from /static/
        for m in re.finditer(r"<script\b[^>]*>", text):
            if m.group(0) == '<script type="application/json" id="llmkg-config">':
                inside = text[m.end():text.index("</script>", m.end())]
                assert "<" not in inside and ">" not in inside, (path, inside)   # JSON, \u003c-escaped
                continue
            assert re.fullmatch(r'<script (type="module" )?src="/static/[^"<>]+"( defer)?>', m.group(0)), (path, m.group(0))
        for bad in ["<img src=x", "<svg onload", '"><img', "'><svg", "<b>bold</b>", 'href="javascript:',
                    "</textarea><script"]:
            assert bad not in text, (path, bad)
    # and the values are there, escaped, where they belong
    evil = pages["/resource/model/evil"].decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in evil
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in evil
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in evil
    listing = pages["/queries"].decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; models" in listing


TRAVERSALS = [
    "/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fapp.py", "/static/%2e%2e%2fapp.py",
    "/static/..%5capp.py", "/static/.%2e/.%2e/pyproject.toml", "/static//etc/passwd",
    "/static/%2fetc%2fpasswd", "/static/app.css%00.py", "/static/%252e%252e%252fapp.py",
    "/static/....//app.py", "/static/.htaccess", "/static/", "/static/.",
    "/queries/../../pyproject.toml", "/queries/..%2f..%2fpyproject.toml", "/queries/%2e%2e%2fevil.rq",
    "/queries/evil.rq%00", "/queries/../evil", "/queries//etc/passwd.json",
    "/resource/../../../etc/passwd", "/resource/%2e%2e/%2e%2e/etc/passwd", "/resource/..%2f..%2fetc%2fpasswd",
    "/graph/../../etc/passwd", "/graph/%2e%2e%2f", "/ontology/../pyproject.toml", "/ontology%2f..%2f..",
    "//etc/passwd", "/..", "/%2e%2e/%2e%2e/etc/passwd", "/favicon.ico/../../app.py",
    "/health/../static/../app.py", "/sparql/../../etc/passwd",
]
# what would show that a file was read: our source, the project file, the system's users
LEAKS = [b"import ", b"[project]", b"root:x:", b"def ", b"# title:"]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_is_refused_on_every_route(server, path):
    status, headers, body = http("GET", server.url + path)
    assert 400 <= status < 500, (path, status, body[:200])
    for leak in LEAKS:
        assert leak not in body, (path, leak)


def test_the_query_text_is_served_only_as_its_rq(server):
    """The one file a route serves by name: a canned query's text, at /queries/NAME.rq."""
    status, headers, body = http("GET", server.url + "/queries/evil.rq")
    assert status == 200 and body.decode() == QUERY
    assert headers["content-type"].startswith("application/sparql-query")
