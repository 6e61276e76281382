"""The SPARQL scanner (SERVICE refusal, query form, dataset clauses) and content negotiation."""

from __future__ import annotations

import pytest

from llmkg.web.negotiate import choose, format_param, offers_for, parse_accept
from llmkg.query.scan import add_using, scan, strip_services


@pytest.mark.parametrize("query, targets", [
    ("SELECT * WHERE { SERVICE <http://x.example/sparql> { ?s ?p ?o } }", ["http://x.example/sparql"]),
    ("select * where { service silent <http://x.example/s> { ?s ?p ?o } }", ["http://x.example/s"]),
    ("SELECT * WHERE { SeRvIcE<http://x.example/s>{ ?s ?p ?o } }", ["http://x.example/s"]),
    ("PREFIX e: <http://evil.example/> SELECT * { SERVICE e:sparql { ?s ?p ?o } }", ["http://evil.example/sparql"]),
    ("BASE <http://me.example/> SELECT * { SERVICE <sparql> {} }", ["http://me.example/sparql"]),
    (r"SELECT * { SERVICE <http://\u0065vil.example/> {} }", ["http://evil.example/"]),
    ("SELECT * { SERVICE ?endpoint { ?s ?p ?o } }", [None]),
    ("SELECT * { SERVICE <a> {} }", [None]),                              # relative, no BASE
    ("SELECT * { ?s ?p 'SERVICE <http://x.example/>' }", []),            # in a string
    ('SELECT * { ?s ?p """\nSERVICE <http://x.example/>\n""" }', []),    # in a long string
    ("SELECT * { ?s ?p ?o } # SERVICE <http://x.example/>", []),         # in a comment
    ("SELECT * { ?s <http://x.example/SERVICE> ?o }", []),               # in an IRI
    ("PREFIX ex: <http://e/> SELECT * { ?s ex:SERVICE ?service }", []),  # a local name, a variable
    ("SELECT * { { SERVICE <http://a.example/> {} } UNION { SERVICE <http://b.example/> {} } }",
     ["http://a.example/", "http://b.example/"]),
])
def test_service_targets(query, targets):
    assert scan(query).services == targets


def test_strip_services_keeps_the_group():
    q = "SELECT * WHERE { SERVICE SILENT <http://me/sparql> { ?s ?p ?o } }"
    out = strip_services(q, scan(q).service_spans)
    assert "SERVICE" not in out and "{ ?s ?p ?o }" in out


@pytest.mark.parametrize("query, form, update", [
    ("PREFIX a: <http://a/> SELECT * {}", "SELECT", False),
    ("ask {}", "ASK", False),
    ("BASE <http://x/> CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT", False),
    ("DESCRIBE <http://x/>", "DESCRIBE", False),
    ("# SELECT in a comment\nINSERT DATA { <a:b> <a:c> <a:d> }", None, True),
    ("CLEAR ALL", None, True),
    ("WITH <http://g/> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", None, True),
])
def test_form_and_update(query, form, update):
    s = scan(query)
    assert (s.form, s.is_update) == (form, update)


def test_dataset_and_volatile():
    assert scan("SELECT * FROM <http://g/> { ?s ?p ?o }").has_dataset
    assert not scan("SELECT * { ?s ?p 'FROM' }").has_dataset
    assert scan("SELECT (NOW() AS ?t) {}").volatile
    assert scan("SELECT (rand () AS ?t) {}").volatile
    assert not scan("SELECT ?now { ?s ?p ?now }").volatile


def test_add_using():
    u = "INSERT { ?s a <c:d> } WHERE { ?s ?p ?o } ; DELETE WHERE { ?a ?b ?c }"
    s = scan(u)
    out = add_using(u, s.where_positions, ["http://g/1"], ["http://g/2"])
    assert out.count("USING <http://g/1> USING NAMED <http://g/2> WHERE") == 1
    assert "DELETE WHERE" in out


def test_accept_parsing_and_choice():
    assert parse_accept(None)[0][0] == "*/*"
    sel = offers_for("SELECT")
    assert choose(None, sel) == "json"
    assert choose("*/*", sel) == "json"
    assert choose("text/csv", sel) == "csv"
    assert choose("application/sparql-results+xml;q=0.9, text/tab-separated-values", sel) == "tsv"
    assert choose("text/*", sel) == "csv"
    assert choose("text/turtle", sel) is None
    graph = offers_for("CONSTRUCT")
    assert choose(None, graph) == "turtle"
    assert choose("application/rdf+xml, text/turtle;q=0.5", graph) == "rdfxml"
    assert choose("application/ld+json", graph) == "jsonld"
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert choose(browser, offers_for("SELECT", html=True)) == "html"
    assert choose("application/sparql-results+json;q=0, application/json;q=0, */*", sel) == "xml"


def test_format_param():
    assert format_param("csv") == "csv"
    assert format_param("application/sparql-results+json") == "json"
    assert format_param("TTL") == "turtle"
    assert format_param("nonsense") is None


def test_unquote_query_is_unquote_plus():
    """The endpoint's fast decoding of ?query= gives what urllib's unquote_plus gives (or
    None where that raises: not UTF-8), on every mix of escapes, bad escapes and backslashes."""
    import random
    from urllib.parse import quote_plus, unquote_plus

    from llmkg.web.http import unquote_query

    def ref(raw: bytes):
        try:
            return unquote_plus(raw.decode("ascii"), errors="strict")
        except UnicodeDecodeError:
            return None

    rnd = random.Random(7)
    for _ in range(20000):
        raw = bytes(rnd.choice(b"%+\\abcfAF09xzZ\"'<>{}") for _ in range(rnd.randrange(0, 12)))
        assert unquote_query(raw) == ref(raw), raw
    for text in ("SELECT ?p ?o WHERE { <https://w3id.org/llmkg/resource/model/m-1> ?p ?o }",
                 "é ü \\u00e9 % %% +", "日本語 \\\\ \\x41 \\"):
        assert unquote_query(quote_plus(text).encode()) == text
    assert unquote_query(b"%C3%28") is None and unquote_query(b"%zz%4") == "%zz%4"
