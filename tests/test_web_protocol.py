"""``llmkg serve``: the SPARQL 1.1 protocol, its errors, limits, updates, CORS and hot swap.

Every server runs on 127.0.0.1 on a free port, in a child process that is stopped at the
end of the module (llmkg.web.testing.ServerProcess).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from pyoxigraph import (NamedNode, QueryResultsFormat, RdfFormat, Store, parse,
                        parse_query_results)

from llmkg.graph.store import current_version, write_version
from llmkg.web.testing import ServerProcess, http, load_trig_store, write_test_queries

pytestmark = pytest.mark.slow

FIXTURE = Path(__file__).parent / "fixtures" / "web.trig"
G = "https://w3id.org/llmkg/graph/"
RES = "https://w3id.org/llmkg/resource/"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    d = tmp_path_factory.mktemp("store")
    load_trig_store(d, FIXTURE)
    return d


@pytest.fixture(scope="module")
def server(store, tmp_path_factory):
    q = write_test_queries(tmp_path_factory.mktemp("queries"))
    with ServerProcess(store, "--timeout", "2", "--max-rows", "50", "--workers", "2",
                       "--max-request-bytes", "32768", queries=q) as s:
        yield s


@pytest.fixture(scope="module")
def writable(tmp_path_factory):
    """A server with --cors and updates enabled (token from the environment), on its own store."""
    d = tmp_path_factory.mktemp("wstore")
    load_trig_store(d, FIXTURE)
    q = write_test_queries(tmp_path_factory.mktemp("wqueries"))
    with ServerProcess(d, "--cors", "--workers", "2", queries=q,
                       env={"LLMKG_UPDATE_TOKEN": "s3cret"}) as s:
        s.store_dir = d
        yield s


def expected(store_dir, query, **kw):
    st = Store.read_only(str(current_version(store_dir).db))
    return st.query(query, **kw)


def get(server, query, accept=None, **params):
    qs = urlencode({"query": query, **params})
    return http("GET", f"{server.url}/sparql?{qs}", headers={"Accept": accept} if accept else {})


def rows(body, fmt=QueryResultsFormat.JSON):
    return list(parse_query_results(body, format=fmt))


# -- the three ways to send a query -----------------------------------------------------------

def test_get_post_form_and_post_direct(server):
    q = "ASK { ?m a <https://w3id.org/llmkg/ontology#Model> }"
    s1, h1, b1 = http("GET", f"{server.url}/sparql?query={quote(q)}")
    s2, h2, b2 = http("POST", f"{server.url}/sparql", urlencode({"query": q}),
                      {"Content-Type": "application/x-www-form-urlencoded"})
    s3, h3, b3 = http("POST", f"{server.url}/sparql", q, {"Content-Type": "application/sparql-query"})
    for s, h, b in ((s1, h1, b1), (s2, h2, b2), (s3, h3, b3)):
        assert s == 200, b
        assert h["content-type"].startswith("application/sparql-results+json")
        assert json.loads(b)["boolean"] is True
    # HEAD: the headers of GET, no body
    s, h, b = http("HEAD", f"{server.url}/sparql?query={quote(q)}")
    assert s == 200 and b == b"" and int(h["content-length"]) > 0


def _raw_exchange(server, data: bytes, answers: int = 1) -> list[bytes]:
    """Send raw bytes on one connection; read ``answers`` responses (Content-Length framed)."""
    import socket
    from urllib.parse import urlsplit

    u = urlsplit(server.url)
    out, buf = [], b""
    with socket.create_connection((u.hostname, u.port), timeout=10) as sock:
        sock.sendall(data)
        while len(out) < answers:
            while b"\r\n\r\n" not in buf:
                chunk = sock.recv(65536)
                assert chunk, f"connection closed after {len(out)} answers"
                buf += chunk
            head, _, rest = buf.partition(b"\r\n\r\n")
            n = 0
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length":
                    n = int(v)
            head_only = head.split(b" ", 2)[1] in (b"304", b"204") or data.startswith(b"HEAD")
            n = 0 if head_only else n
            while len(rest) < n:
                chunk = sock.recv(65536)
                assert chunk
                rest += chunk
            out.append(head + b"\r\n\r\n" + rest[:n])
            buf = rest[n:]
    return out


def _comparable(answer: bytes) -> tuple[bytes, dict, bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(b": ")
        if k not in (b"date", b"x-llmkg-elapsed-ms"):
            headers[k] = v
    return lines[0], headers, body


def test_get_answered_in_the_protocol_callback_is_the_general_answer(server):
    """A plain GET /sparql?query= is answered by the protocol's fast path, a POST by the ASGI
    app: the same status line, headers (but Date and the elapsed time) and body, for a
    result, a syntax error, HEAD, HTTP/1.0 and pipelined requests."""
    host = server.url.split("//")[1].encode()
    cases = [(q, b"text/csv") for q in ("SELECT ?m WHERE { ?m a llmkg:Model } ORDER BY ?m", "ASK { ?s ?p ?o }",
                                        "ASK { oops")]
    # JSON, written by pyoxigraph as it evaluates; over the row cap (50), and relative IRIs
    cases += [(q, b"application/sparql-results+json") for q in (
        "SELECT ?m ?l WHERE { ?m a llmkg:Model ; rdfs:label ?l } ORDER BY ?l",
        "SELECT ?a ?b WHERE { ?a a llmkg:Model . ?b a llmkg:Model } ORDER BY ?a ?b",
        "SELECT ?x WHERE { BIND(<thing> AS ?x) }")]
    for q, accept in cases:
        enc = urlencode({"query": q}).encode()
        get_req = b"GET /sparql?" + enc + b" HTTP/1.1\r\nHost: " + host + b"\r\nAccept: " + accept + b"\r\n\r\n"
        post_req = (b"POST /sparql HTTP/1.1\r\nHost: " + host + b"\r\nAccept: " + accept + b"\r\n"
                    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: "
                    + str(len(enc)).encode() + b"\r\n\r\n" + enc)
        # pipelined on one connection: GET, POST, GET (the second GET waits for the POST)
        a1, a2, a3 = _raw_exchange(server, get_req + post_req + get_req, 3)
        assert _comparable(a1) == _comparable(a2) == _comparable(a3)
        status = _comparable(a1)[0]
        assert status == (b"HTTP/1.1 400 Bad Request" if "oops" in q else b"HTTP/1.1 200 OK")
        if "?b a llmkg:Model" in q:
            assert _comparable(a1)[1][b"x-llmkg-truncated"] == b"true"
        head_req = get_req.replace(b"GET ", b"HEAD ", 1)
        (h,) = _raw_exchange(server, head_req)
        assert _comparable(h)[:2] == _comparable(a1)[:2] and _comparable(h)[2] == b""
    # HTTP/1.0: the answer says the connection closes, and it does
    (a,) = _raw_exchange(server, b"GET /sparql?query=ASK%7B%7D HTTP/1.0\r\nHost: " + host + b"\r\n\r\n")
    assert b"\r\nconnection: close\r\n" in a.lower() and a.startswith(b"HTTP/1.1 200")


SELECT_MODELS = "SELECT ?m ?l WHERE { ?m a llmkg:Model ; rdfs:label ?l } ORDER BY ?l"


@pytest.mark.parametrize("accept, ctype, fmt", [
    ("application/sparql-results+json", "application/sparql-results+json", QueryResultsFormat.JSON),
    ("application/sparql-results+xml", "application/sparql-results+xml", QueryResultsFormat.XML),
    ("text/tab-separated-values", "text/tab-separated-values", QueryResultsFormat.TSV),
    ("text/csv", "text/csv", None),
    (None, "application/sparql-results+json", QueryResultsFormat.JSON),
])
def test_select_formats(server, store, accept, ctype, fmt):
    status, h, body = get(server, SELECT_MODELS, accept)
    assert status == 200, body
    assert h["content-type"].startswith(ctype)
    assert h["vary"] == "Accept"
    want = [s["l"].value for s in expected(store, "PREFIX llmkg: <https://w3id.org/llmkg/ontology#> "
                                                  "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
                                                  + SELECT_MODELS)]
    assert len(want) == 9
    if fmt is None:
        lines = body.decode().splitlines()
        assert lines[0] == "m,l"
        assert [ln.split(",", 1)[1] for ln in lines[1:]] == want
    else:
        assert [r["l"].value for r in rows(body, fmt)] == want
    assert h["x-llmkg-rows"] == "9" and "x-llmkg-truncated" not in h


@pytest.mark.parametrize("query", ["CONSTRUCT WHERE { ?m a llmkg:Model }",
                                   "DESCRIBE <https://w3id.org/llmkg/resource/model/gpt-3>"])
@pytest.mark.parametrize("accept, fmt", [
    ("text/turtle", RdfFormat.TURTLE), ("application/n-triples", RdfFormat.N_TRIPLES),
    ("application/ld+json", RdfFormat.JSON_LD), ("application/rdf+xml", RdfFormat.RDF_XML),
])
def test_graph_formats(server, query, accept, fmt):
    status, h, body = get(server, query, accept)
    assert status == 200, body
    assert h["content-type"].startswith(accept)
    triples = list(parse(body, format=fmt))
    assert len(triples) >= 9


def test_ask_formats(server):
    s, h, b = get(server, "ASK { ?s ?p 'nothing like this' }", "application/sparql-results+xml")
    assert s == 200 and h["content-type"].startswith("application/sparql-results+xml")
    assert bool(parse_query_results(b, format=QueryResultsFormat.XML)) is False


def test_unacceptable_falls_back_and_format_param(server):
    # nothing acceptable: the closest format instead of a 406 (roqet asks for SPARQL XML
    # results for every query, and reads RDF/XML for a CONSTRUCT)
    s, h, b = get(server, SELECT_MODELS, "text/turtle")
    assert s == 200 and h["content-type"].startswith("application/sparql-results+json")
    s, h, b = get(server, "CONSTRUCT WHERE { ?s a llmkg:Model }", "application/sparql-results+xml")
    assert s == 200 and h["content-type"].startswith("application/rdf+xml")
    s, h, b = get(server, SELECT_MODELS, None, format="csv")
    assert s == 200 and h["content-type"].startswith("text/csv")
    # SPARQLWrapper sends format=xml or format=rdf+xml whatever the query: the nearest fit
    s, h, b = get(server, "CONSTRUCT WHERE { ?s a llmkg:Model }", None, format="xml")
    assert s == 200 and h["content-type"].startswith("application/rdf+xml")
    s, h, b = get(server, SELECT_MODELS, "text/csv", format="turtle")
    assert s == 200 and h["content-type"].startswith("text/csv")


def test_html_results_for_browsers(server):
    s, h, b = get(server, SELECT_MODELS, "text/html,application/xhtml+xml,*/*;q=0.8")
    assert s == 200 and h["content-type"].startswith("text/html")
    assert b'<table class="results">' in b and b'href="/resource/model/gpt-3"' in b


# -- service description ------------------------------------------------------------------------

def test_service_description(server):
    s, h, b = http("GET", f"{server.url}/sparql")
    assert s == 200 and h["content-type"].startswith("text/turtle")
    g = list(parse(b, format=RdfFormat.TURTLE))
    sd = "http://www.w3.org/ns/sparql-service-description#"
    endpoints = [t.object.value for t in g if t.predicate.value == sd + "endpoint"]
    assert endpoints == [server.url + "/sparql"]
    names = {t.object.value for t in g if t.predicate.value == sd + "name"}
    assert {G + "curated", G + "awesome-llms", G + "ontology"} <= names
    langs = {t.object.value for t in g if t.predicate.value == sd + "supportedLanguage"}
    assert langs == {sd + "SPARQL11Query"}
    s, h, b = http("GET", f"{server.url}/sparql", headers={"Accept": "application/ld+json"})
    assert s == 200 and h["content-type"].startswith("application/ld+json")
    assert list(parse(b, format=RdfFormat.JSON_LD))
    s, h, b = http("GET", f"{server.url}/sparql", headers={"Accept": "text/html"})
    assert s == 200 and b"Service description" in b


# -- the dataset ----------------------------------------------------------------------------------

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def count(server, query=COUNT, **params):
    qs = urlencode([("query", query)] + [(k, v) for k, vs in params.items() for v in (vs if isinstance(vs, list) else [vs])])
    s, _, b = http("GET", f"{server.url}/sparql?{qs}")
    assert s == 200, b
    return int(rows(b)[0]["n"].value)


def test_default_graph_is_the_merge(server, store):
    union = int(next(iter(expected(store, COUNT)))["n"].value)
    stated = int(next(iter(expected(store, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")))["n"].value)
    distinct = int(next(iter(expected(store, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o "
                                             "WHERE { GRAPH ?g { ?s ?p ?o } } }")))["n"].value)
    assert union == distinct <= stated   # a set: each triple once, however many graphs state it
    curated = int(next(iter(expected(store, COUNT, default_graph=NamedNode(G + "curated"))))["n"].value)
    onto = int(next(iter(expected(store, COUNT, default_graph=NamedNode(G + "ontology"))))["n"].value)
    assert count(server) == union
    assert count(server, **{"default-graph-uri": G + "curated"}) == curated
    assert count(server, **{"default-graph-uri": [G + "curated", G + "ontology"]}) == curated + onto
    # the query's own FROM is honoured...
    assert count(server, f"SELECT (COUNT(*) AS ?n) FROM <{G}ontology> WHERE {{ ?s ?p ?o }}") == onto
    # ...and the protocol's dataset wins over it (W3C query-multiple-dataset)
    assert count(server, f"SELECT (COUNT(*) AS ?n) FROM <{G}ontology> WHERE {{ ?s ?p ?o }}",
                 **{"default-graph-uri": G + "curated"}) == curated


def test_bug_query_from_ignored_with_the_union_default_graph(server, store):
    """Regression: with the union default graph, Oxigraph ignores a query's own FROM / FROM
    NAMED; the endpoint used to work around it itself, llmkg.query.local now decides."""
    onto = int(next(iter(expected(store, COUNT, default_graph=NamedNode(G + "ontology"))))["n"].value)
    union = count(server)
    assert 0 < onto < union
    # FROM: that graph is the default graph (also in lower case, with other clauses)
    assert count(server, f"select (count(*) as ?n) from <{G}ontology> where {{ ?s ?p ?o }}") == onto
    assert count(server, f"PREFIX g: <{G}> SELECT (COUNT(*) AS ?n) FROM g:ontology {{ ?s ?p ?o }}") == onto
    # FROM NAMED alone: an empty default graph, GRAPH sees only the named graph
    assert count(server, f"SELECT (COUNT(*) AS ?n) FROM NAMED <{G}ontology> WHERE {{ ?s ?p ?o }}") == 0
    assert count(server, f"SELECT (COUNT(*) AS ?n) FROM NAMED <{G}ontology> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}") == onto
    # "FROM" in a string, an IRI, a comment or a variable is not a dataset clause
    for q in (f'SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o FILTER(STR(?p) != "FROM <{G}ontology>") }}',
              "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(?p != <http://example.org/from>) }",
              f"SELECT (COUNT(*) AS ?n) # FROM <{G}ontology>\nWHERE {{ ?s ?p ?o }}",
              "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?from }"):
        assert count(server, q) == union, q


def test_named_graph_uri(server):
    q = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
    s, _, b = get(server, q, None, **{"named-graph-uri": G + "awesome-llms"})
    assert [r["g"].value for r in rows(b)] == [G + "awesome-llms"]
    # only named graphs given: the default graph is empty
    s, _, b = get(server, "ASK { ?s ?p ?o }", None, **{"named-graph-uri": G + "awesome-llms"})
    assert json.loads(b)["boolean"] is False


@pytest.mark.parametrize("query", ["SELECT ?x WHERE { BIND(<thing> AS ?x) }",
                                   "SELECT ?x WHERE { BIND(IRI('thing') AS ?x) }",
                                   "SELECT ?x WHERE { BIND(uri(\"thing\") AS ?x) }"])
def test_relative_iris_resolve_against_the_endpoint(server, query):
    """By GET (the protocol's fast path) and by POST (the general one)."""
    s, _, b = get(server, query)
    assert s == 200, b
    assert rows(b)[0]["x"].value == server.url + "/thing"
    s, _, b = http("POST", server.url + "/sparql", query.encode(),
                   {"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})
    assert s == 200, b
    assert rows(b)[0]["x"].value == server.url + "/thing"


# -- errors a client can act on -----------------------------------------------------------------

def test_syntax_error_is_400_with_the_parsers_message(server):
    s, h, b = get(server, "SELECT * WHERE { ?s ?p }")
    assert s == 400 and h["content-type"].startswith("text/plain")
    msg = b.decode()
    assert "not valid SPARQL" in msg and "line 1, column " in msg and "..=" not in msg
    col = int(msg.split("line 1, column ")[1].split(" ")[0].rstrip(":"))
    assert col <= len("SELECT * WHERE { ?s ?p }") + 1   # positions are in the client's text
    # an unknown prefix is named, with the known ones (llmkg.query.syntax)
    s, _h, b = get(server, "SELECT * WHERE { ?s foo:bar ?o }")
    assert s == 400
    assert "line 1, column 28: unknown prefix 'foo:' (known: arch:, corpus:, dcterms:" in b.decode()


@pytest.mark.parametrize("method, path, body, headers, status", [
    ("PUT", "/sparql?query=ASK%20%7B%7D", None, {}, 405),                                   # bad_query_method
    ("DELETE", "/sparql", None, {}, 405),
    ("GET", "/sparql?query=ASK%20%7B%7D&query=SELECT%20%2A%20%7B%7D", None, {}, 400),        # bad_multiple_queries
    ("POST", "/sparql", "ASK {}", {"Content-Type": "text/plain"}, 415),                     # bad_query_wrong_media_type
    ("POST", "/sparql", "query=ASK%20%7B%7D", {}, 400),                                      # bad_query_missing_form_type
    ("POST", "/sparql", "ASK {}", {}, 400),                                                  # bad_query_missing_direct_type
    ("POST", "/sparql", "ASK {}".encode("utf-16"),
     {"Content-Type": "application/sparql-query; charset=UTF-16"}, 415),                   # bad_query_non_utf8
    ("POST", "/sparql", b"ASK {} \xff", {"Content-Type": "application/sparql-query"}, 400),
    ("GET", "/sparql?query=ASK%20%7B", None, {}, 400),                                       # bad_query_syntax
    ("GET", "/sparql?update=CLEAR%20ALL", None, {}, 400),                                    # bad_update_get
    ("POST", "/sparql", "update=CLEAR%20NAMED&update=CLEAR%20DEFAULT",
     {"Content-Type": "application/x-www-form-urlencoded"}, 400),                           # bad_multiple_updates
    ("POST", "/sparql", "CLEAR NAMED", {"Content-Type": "text/plain"}, 415),                # bad_update_wrong_media_type
    ("POST", "/sparql", "update=CLEAR%20NAMED", {}, 400),                                    # bad_update_missing_form_type
    ("POST", "/sparql", "query=ASK%20%7B%7D&update=CLEAR%20ALL",
     {"Content-Type": "application/x-www-form-urlencoded"}, 400),                           # query and update
    ("POST", "/sparql", "", {"Content-Type": "application/x-www-form-urlencoded"}, 400),     # nothing
    ("GET", "/sparql?query=CLEAR%20ALL", None, {}, 400),                                     # an update as a query
    ("POST", "/sparql", "update=CLEAR%20ALL", {"Content-Type": "application/x-www-form-urlencoded"}, 403),
    ("POST", "/sparql", "CLEAR ALL", {"Content-Type": "application/sparql-update"}, 403),  # read-only
])
def test_protocol_negative_cases(server, method, path, body, headers, status):
    s, _, b = http(method, server.url + path, body, headers)
    assert s == status, b
    assert b.strip(), "an error says why"


def test_request_size_limits(server):
    big = "ASK { " + "?s ?p ?o . " * 3500 + "}"   # 38 kB; 88 kB URL-encoded
    s, _, b = http("POST", f"{server.url}/sparql", big, {"Content-Type": "application/sparql-query"})
    assert s == 413 and b"limit" in b
    longer = "ASK { " + "?s ?p ?o . " * 2000 + "}"   # 50 kB URL-encoded
    s, _, b = http("GET", f"{server.url}/sparql?query={quote(longer)}")
    assert s == 414 and b"POST" in b


def test_row_cap_is_reported(server):
    s, h, b = get(server, "SELECT * WHERE { ?s ?p ?o }")
    assert s == 200
    assert len(rows(b)) == 50
    assert h["x-llmkg-truncated"] == "true" and h["x-llmkg-max-rows"] == "50"
    s, h, b = get(server, "CONSTRUCT WHERE { ?s ?p ?o }", "application/n-triples")
    assert len(list(parse(b, format=RdfFormat.N_TRIPLES))) == 50 and h["x-llmkg-truncated"] == "true"
    s, h, b = get(server, "SELECT * WHERE { ?s ?p ?o }", "text/html")
    assert b"Only the first 50 rows" in b


def test_service_to_other_hosts_is_refused(server):
    for q in ["SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
              "SELECT * WHERE { SERVICE SILENT <http://127.0.0.2:9/sparql> { ?s ?p ?o } }",
              "PREFIX e: <http://example.org/> SELECT * WHERE { SERVICE e:sparql { ?s ?p ?o } }",
              "SELECT * WHERE { VALUES ?e { <http://example.org/> } SERVICE ?e { ?s ?p ?o } }"]:
        s, _, b = get(server, q)
        assert s == 403, (q, b)
        assert b"SERVICE" in b and b"refused" in b
    # the endpoint itself is allowed (evaluated here)
    s, _, b = get(server, f"SELECT ?l WHERE {{ SERVICE <{server.url}/sparql> {{ <{RES}model/bert> <http://www.w3.org/2000/01/rdf-schema#label> ?l }} }}")
    assert s == 200, b
    assert [r["l"].value for r in rows(b)] == ["BERT"]


def test_no_cors_unless_asked(server):
    s, h, _ = get(server, "ASK {}", None)
    assert "access-control-allow-origin" not in h
    s, h, _ = http("OPTIONS", f"{server.url}/sparql", headers={"Origin": "http://elsewhere.example",
                                                               "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in h


def test_etag_and_304(server):
    s, h, b = get(server, SELECT_MODELS)
    etag = h["etag"]
    assert s == 200 and etag and h["cache-control"] == "no-cache"
    s2, h2, b2 = http("GET", f"{server.url}/sparql?{urlencode({'query': SELECT_MODELS})}",
                      headers={"If-None-Match": etag})
    assert s2 == 304 and b2 == b"" and h2["etag"] == etag
    s3, h3, _ = get(server, SELECT_MODELS, "text/csv")
    assert h3["etag"] != etag
    s4, h4, _ = get(server, "SELECT (NOW() AS ?t) WHERE {}")
    assert "etag" not in h4 and h4["cache-control"] == "no-store"


def test_timeout_is_an_error_not_a_cut_off_200(server):
    t0 = time.monotonic()
    s, h, b = get(server, SLOW)
    took = time.monotonic() - t0
    assert s == 503, b
    assert b"limit of 2 s" in b
    assert took < 2 + 3
    assert "etag" not in h
    # the worker was killed and replaced: the server answers at once
    s, _, b = get(server, "ASK {}")
    assert s == 200
    health = json.loads(http("GET", f"{server.url}/health")[2])
    assert health["workers"]["killed_on_timeout"] >= 1
    assert len(health["workers"]["pids"]) == 2


def _keep_alive_behind_a_slow_query(s1):
    """A keep-alive connection that sends a request while its worker runs a runaway query:
    (its answer, seconds it took, the runaway's answer)."""
    import threading
    from http.client import HTTPConnection
    from urllib.parse import urlsplit

    u = urlsplit(s1.url)
    keep = HTTPConnection(u.hostname, u.port, timeout=30)
    keep.request("GET", "/sparql?" + urlencode({"query": "ASK {}"}))
    first = keep.getresponse()
    assert first.status == 200 and first.read()
    slow = {}
    t = threading.Thread(target=lambda: slow.update(r=get(s1, SLOW)))
    t.start()
    time.sleep(0.7)    # the only worker is now busy with the slow query
    t0 = time.monotonic()
    keep.request("GET", "/sparql?" + urlencode({"query": "ASK { ?s ?p ?o }"}))
    r = keep.getresponse()
    body = r.read()
    took = time.monotonic() - t0
    t.join(30)
    keep.close()
    return r, body, took, slow["r"]


def test_a_request_behind_a_runaway_query_is_served_by_another_worker(store):
    """The only worker runs a query that will overrun; a request sent meanwhile on another
    of its keep-alive connections moves, with its connection, to an extra worker and is
    answered at once -- not after the time limit, and not with a 503."""
    with ServerProcess(store, "--timeout", "3", "--workers", "1") as s1:
        r, body, took, slow = _keep_alive_behind_a_slow_query(s1)
        assert slow[0] == 503 and b"limit of 3 s" in slow[2]
        assert (r.status, body) == (200, b'{"head":{},"boolean":true}')
        assert took < 1.5, took
        health = json.loads(http("GET", f"{s1.url}/health")[2])
        assert health["workers"]["killed_on_timeout"] == 1 and health["workers"]["crashed"] == 0
        assert health["workers"]["slots"] == 2


def test_with_no_worker_free_a_waiting_request_gets_503_retry(store):
    """With no extra worker allowed, a request that waits behind a runaway query is
    answered 503 with Retry-After by the supervisor (never a silent reset), and the
    replacement worker serves the next ones."""
    with ServerProcess(store, "--timeout", "2", "--workers", "1", "--extra-workers", "0") as s1:
        r, body, took, slow = _keep_alive_behind_a_slow_query(s1)
        assert slow[0] == 503 and b"limit of 2 s" in slow[2]
        assert r.status == 503 and body == (b"all 1 worker processes are busy with long queries; "
                                            b"send the request again in a moment\n")
        assert r.getheader("Retry-After") == "1" and r.getheader("Connection") == "close"
        assert took < 1.0, took
        s, _, b = get(s1, "ASK {}")
        assert s == 200, b
        health = json.loads(http("GET", f"{s1.url}/health")[2])
        assert health["workers"]["killed_on_timeout"] == 1 and health["workers"]["crashed"] == 0


def test_health(server, store):
    s, h, b = http("GET", f"{server.url}/health")
    doc = json.loads(b)
    assert s == 200 and doc["status"] == "ok"
    assert doc["store_version"] == current_version(store).id
    assert doc["triples"] == 234
    assert doc["uptime_s"] >= 0 and doc["updates_enabled"] is False


# -- CORS, updates and hot swap on a writable server ----------------------------------------------

def test_cors_on_request(writable):
    s, h, _ = http("GET", f"{writable.url}/sparql?query=ASK%7B%7D", headers={"Origin": "http://app.example"})
    assert h["access-control-allow-origin"] == "*"
    assert "X-LLMKG-Truncated" in h["access-control-expose-headers"]
    s, h, _ = http("OPTIONS", f"{writable.url}/sparql",
                   headers={"Origin": "http://app.example", "Access-Control-Request-Method": "POST",
                            "Access-Control-Request-Headers": "authorization, content-type"})
    assert s == 204
    assert "POST" in h["access-control-allow-methods"]
    assert "Authorization" in h["access-control-allow-headers"]


def update(server, text, token="s3cret", **params):
    headers = {"Content-Type": "application/sparql-update"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    qs = ("?" + urlencode(params)) if params else ""
    return http("POST", f"{server.url}/sparql{qs}", text, headers)


def version_of(server):
    return json.loads(http("GET", f"{server.url}/health")[2])["store_version"]


def test_updates_need_the_token(writable):
    v0 = version_of(writable)
    ins = f"INSERT DATA {{ GRAPH <{G}test> {{ <{RES}model/x> <http://www.w3.org/2000/01/rdf-schema#label> 'X' }} }}"
    s, h, _ = update(writable, ins, token=None)
    assert s == 401 and h["www-authenticate"].startswith("Bearer")
    s, _, _ = update(writable, ins, token="wrong")
    assert s == 403
    assert version_of(writable) == v0
    s, _, b = update(writable, "INSERT DATA { oops }")
    assert s == 400
    s, h, b = update(writable, ins)
    assert s == 200, b
    doc = json.loads(b)
    assert doc["from"] == v0 and doc["store_version"] != v0 and doc["quads_after"] == doc["quads_before"] + 2
    # (the quad in its graph, and its triple in the default graph, which follows the named graphs)
    # the update is a new version, swapped in like a build
    assert version_of(writable) == doc["store_version"]
    assert current_version(writable.store_dir).meta["updated"]["from"] == v0
    s, h, b = get(writable, f"ASK {{ <{RES}model/x> ?p 'X' }}")
    assert json.loads(b)["boolean"] is True
    assert h["x-llmkg-store-version"] == doc["store_version"]
    # form-encoded updates work too
    s, _, b = http("POST", f"{writable.url}/sparql",
                   urlencode({"update": f"DELETE DATA {{ GRAPH <{G}test> {{ <{RES}model/x> "
                                        "<http://www.w3.org/2000/01/rdf-schema#label> 'X' } }"}),
                   {"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Bearer s3cret"})
    assert s == 200, b


def test_update_dataset_parameters(writable):
    u = (f"INSERT {{ GRAPH <{G}copies> {{ ?m a <http://example.org/Copied> }} }} "
         "WHERE { ?m a <https://w3id.org/llmkg/ontology#Model> }")
    s, _, b = update(writable, u, **{"using-graph-uri": G + "curated"})
    assert s == 200, b
    s, _, b = get(writable, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{G}copies> {{ ?m ?p ?o }} }}")
    assert rows(b)[0]["n"].value == "9"
    conflict = f"WITH <{G}curated> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}"
    s, _, b = update(writable, conflict, **{"using-named-graph-uri": G + "curated"})
    assert s == 400 and b"conflict" in b


def test_hot_swap_after_a_rebuild(writable):
    v_before = version_of(writable)
    q = f"SELECT ?l WHERE {{ <{RES}model/new-model> <http://www.w3.org/2000/01/rdf-schema#label> ?l }}"
    s, h, b = get(writable, q)
    assert rows(b) == [] and h["x-llmkg-store-version"] == v_before
    extra = FIXTURE.read_bytes() + (
        f"\n<{G}curated> {{ <{RES}model/new-model> a <https://w3id.org/llmkg/ontology#Model> ; "
        "<http://www.w3.org/2000/01/rdf-schema#label> \"New Model\" . }\n").encode()
    v_new = load_trig_store(writable.store_dir, extra)
    s, h, b = get(writable, q)
    assert [r["l"].value for r in rows(b)] == ["New Model"]
    assert h["x-llmkg-store-version"] == v_new.id != v_before
    assert json.loads(http("GET", f"{writable.url}/health")[2])["swaps"] >= 1
    # a failed build changes nothing
    def broken():
        yield from parse(FIXTURE.read_bytes(), format=RdfFormat.TRIG)
        raise RuntimeError("the build broke")
    with pytest.raises(RuntimeError):
        write_version(writable.store_dir, broken(), {"inputs_hash": "broken"})
    s, h, b = get(writable, q)
    assert [r["l"].value for r in rows(b)] == ["New Model"]
    assert h["x-llmkg-store-version"] == v_new.id


def test_current_version_follows_the_generation_and_the_link(tmp_path):
    """App.current() reads the link again when llmkg swapped it (the store's generation
    changed), else at most every RELINK_SECONDS: a link changed by hand is seen then. A
    store without the generation file has its link read on every request."""
    from llmkg.web import app as A

    sd = tmp_path / "store"
    v1 = load_trig_store(sd, FIXTURE.read_bytes())
    app = A.App(A.ServerConfig(store=sd))
    assert app.current().id == v1.id
    v2 = load_trig_store(sd, FIXTURE.read_bytes())            # llmkg's swap: seen at once
    assert app.current().id == v2.id == app.current().id
    os.replace(sd / "current", sd / "current.saved")          # by hand, back to v1
    os.symlink(f"versions/{v1.id}", sd / "current")
    assert app.current().id == v2.id                          # not yet...
    app._relink_at = time.monotonic()                         # ...RELINK_SECONDS later
    assert app.current().id == v1.id
    os.unlink(sd / "generation")                              # a store made before the counter
    bare = A.App(A.ServerConfig(store=sd))
    assert bare._generation is None and bare.current().id == v1.id
    os.unlink(sd / "current")
    os.symlink(f"versions/{v2.id}", sd / "current")
    assert bare.current().id == v2.id


# -- the workers -----------------------------------------------------------------------------------

def test_crowded_worker_compares_with_the_least_busy():
    from llmkg.web.server import SharedStats

    st = SharedStats(3)
    for i, n in enumerate((4, 2, 3)):
        st.set_connections(i, n)
    assert [st.crowded(i, n) for i, n in enumerate((4, 2, 3))] == [True, False, False]
    assert SharedStats(1).crowded(0, 10) is False


def test_expect_100_continue_and_a_request_that_is_not_http(server):
    """A POST with "Expect: 100-continue" is told to go on, then answered; bytes that are
    not HTTP get uvicorn's 400 and the connection closed."""
    import socket

    host, port = server.url.split("//")[1].split(":")
    body = urlencode({"query": "ASK {}"}).encode()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: " + host.encode() + b"\r\nAccept: application/sparql-results+json"
                     b"\r\nContent-Type: application/x-www-form-urlencoded\r\nExpect: 100-continue\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body))
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        data = b""
        while not data.endswith(b"}"):
            chunk = sock.recv(65536)
            assert chunk
            data += chunk
        assert data.startswith(b"HTTP/1.1 200 OK\r\n") and data.endswith(b'"boolean":true}')
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        assert data.startswith(b"HTTP/1.1 400 Bad Request\r\n") and data.endswith(b"\r\n\r\nInvalid HTTP request received.")


def test_idle_keep_alive_connections_close_after_the_timeout(store):
    """--keep-alive 1: a connection that asks again within a second stays open however long
    it lives; one idle for a second is closed by the server."""
    import socket

    with ServerProcess(store, "--keep-alive", "1", "--workers", "1") as s:
        host, port = s.url.split("//")[1].split(":")
        req = (b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: " + host.encode() + b":" + port.encode()
               + b"\r\nAccept: application/sparql-results+json\r\n\r\n")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            for _ in range(4):          # 4 answers 0.6 s apart: 1.8 s after the first one
                sock.sendall(req)
                data = b""
                while not data.endswith(b"}"):
                    chunk = sock.recv(65536)
                    assert chunk, "closed while in use"
                    data += chunk
                assert data.startswith(b"HTTP/1.1 200 OK")
                time.sleep(0.6)
            t0 = time.monotonic()
            assert sock.recv(65536) == b""   # closed by the server
            assert 0.2 < time.monotonic() - t0 < 3


def test_a_failing_native_query_is_a_500_not_a_dropped_connection(tmp_path, monkeypatch):
    """Something unexpected failing in pyoxigraph's serializer is a 500 with the error
    (jobs.handle), and the connection is kept."""
    from llmkg.query import local as queries
    from llmkg.web import app as A

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    load_trig_store(tmp_path / "store", FIXTURE.read_bytes())
    app = A.App(A.ServerConfig(store=tmp_path / "store", cache_bytes=0))
    monkeypatch.setattr(queries, "native_select", boom)

    class Proto:
        client, server, scheme = ("127.0.0.1", 1), ("127.0.0.1", 2), "http"

    data, keep_alive = app.handle_sync(Proto(), "GET", "/sparql", b"/sparql",
                                       b"query=" + quote("SELECT * WHERE { ?s ?p ?o }").encode(),
                                       [(b"host", b"127.0.0.1:2"), (b"accept", b"application/sparql-results+json")],
                                       True, [(b"date", b"Mon, 23 Nov 2026 08:00:00 GMT")])
    assert data.startswith(b"HTTP/1.1 500 ") and keep_alive is True
    assert b"RuntimeError: disk on fire" in data


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "application/sparql-results+xml",
                                    "text/csv", "text/tab-separated-values", "text/html"])
def test_control_characters_come_back_as_computed(server, store, accept):
    """The endpoint returns the literal the query computed, byte for byte: U+001F (once a
    private list separator, split and re-joined) and every other control character."""
    codes = list(range(1, 32)) + [0x7f]
    escaped = "".join(f"\\u{c:04X}" for c in codes)
    text = (f'SELECT (CONCAT("a", "\\u001F", "b") AS ?s) (STR("{escaped}") AS ?c) '
            'WHERE {}')
    status, _h, body = get(server, text, accept)
    assert status == 200, body
    if accept == "text/html":
        assert "a\x1fb" in body.decode() or "a&#31;b" in body.decode() or "a&#x1f;b" in body.decode().lower()
        return
    fmt = {"application/sparql-results+json": QueryResultsFormat.JSON,
           "application/sparql-results+xml": QueryResultsFormat.XML, "text/csv": QueryResultsFormat.CSV,
           "text/tab-separated-values": QueryResultsFormat.TSV}[accept]
    native = expected(store, text).serialize(format=fmt)
    if fmt == QueryResultsFormat.XML:
        native = native.replace(b"?>", b"?>\n", 1) + b"\n"
    assert body == native
    if fmt == QueryResultsFormat.JSON:
        row = json.loads(body)["results"]["bindings"][0]
        assert row["s"]["value"] == "a\x1fb" and row["c"]["value"] == "".join(map(chr, codes))
