"""No query reaches another host: ``SERVICE`` and ``LOAD`` hidden every way we know, refused
by the endpoint's reading of the text and, behind it, by the workers' network barrier
(:mod:`llmkg.web.netguard`); malformed escapes on every route are 4xx, never 500.

Every "other host" here is a listener of this test on 127.0.0.1 that counts the connections
it receives; the servers run on 127.0.0.1 too and are stopped at the end of the module.
"""

from __future__ import annotations

import http.server as httpserver
import itertools
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from pyoxigraph import RdfFormat, Store, parse

from llmkg.query.scan import scan
from llmkg.web.testing import ServerProcess, http, load_trig_store, write_test_queries

# The data every text can match, so that Oxigraph gets as far as the SERVICE in it
DATA = b"""
@prefix ex: <http://e/> .
<http://a> <http://b> 1, 1.5, 1e3, true, false, ex:, <http://e/a#>, "x", "x"@en .
"""


class Listener:
    """A TCP listener on 127.0.0.1 that accepts, counts and closes every connection."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(512)
        self.port = self.sock.getsockname()[1]
        self.count = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                self.count += 1
            c.close()

    def close(self):
        self.sock.close()


@pytest.fixture(scope="module")
def listener():
    lst = Listener()
    yield lst
    lst.close()


# -- the texts --------------------------------------------------------------------------

def inner_patterns(port: int) -> list[str]:
    """Group contents that call SERVICE on 127.0.0.1:port, the keyword hidden or glued in
    every way we know of."""
    url = f"http://127.0.0.1:{port}/sparql"
    escaped_path = url.replace("/sparql", "/spar\\u0071l")     # \u in an IRI
    escaped_colon = url.replace(":", "\\u003A", 1)
    targets = [f"<{url}>", f"<{escaped_path}>", f"<{escaped_colon}>", "p:sparql", "p:spar\\-ql", "<sparql>"]
    keywords = ["SERVICE", "service", "SeRvIcE"]
    silent = ["", "SILENT "]
    # what stands between the group's "{" and the keyword
    separators = [" ", "\t", "\n", "\r", "\r\n", "#x\r", "#x\n", "#}\r", "# SERVICE <x> {}\r\n", ""]
    # an object glued to the keyword (Oxigraph needs no break between tokens)
    glued = ["1", "1.5", "1e3", "true", "false", "ex:", "ex:.", "ex:a\\#", "'x'", '"x"', "'x'@en",
             "<http://e/>", "?o", "?o."]
    out = []
    for kw, sil, target in itertools.product(keywords, silent, targets):
        call = f"{kw} {sil}{target} {{ ?x ?y ?z }}"
        out += [f"{sep}{call}" for sep in separators]
        out += [f" ?s ?p {obj}{call}" for obj in glued]
        out += [f" ?s ?p ?o FILTER(?o<=?o){kw}#>\n{sil}{target}{{ ?x ?y ?z }}",
                f" ?s ?p ?o FILTER(1<2){kw}#>\n{sil}{target}{{ ?x ?y ?z }}",
                f" ?s ?p ?o OPTIONAL{{?s ?p ?o}}{kw} {sil}{target}{{}}"]
    return out


WRAPPERS = ["{}", "?s ?p ?o FILTER EXISTS {{{}}}", "?s ?p ?o FILTER NOT EXISTS {{{}}}",
            "?s ?p ?o OPTIONAL {{{}}}", "?s ?p ?o MINUS {{{}}}", "{{{}}} UNION {{ ?s ?p ?o }}",
            "{{ SELECT * WHERE {{{}}} }}", "?s ?p ?o BIND(EXISTS {{{}}} AS ?e)"]
FORMS = ["SELECT * WHERE {{{}}}", "ASK {{{}}}", "CONSTRUCT {{ ?s ?p ?o }} WHERE {{{}}}",
         "DESCRIBE ?s WHERE {{{}}}"]


def query_texts(port: int) -> list[str]:
    prologue = f"BASE <http://127.0.0.1:{port}/> PREFIX p: <http://127.0.0.1:{port}/> PREFIX ex: <http://e/>\n"
    out = []
    for i, (inner, wrapper) in enumerate(itertools.product(inner_patterns(port), WRAPPERS)):
        out.append(prologue + FORMS[i % len(FORMS)].format(wrapper.format(inner)))
    return out


def update_texts(port: int) -> list[str]:
    prologue = f"BASE <http://127.0.0.1:{port}/> PREFIX p: <http://127.0.0.1:{port}/> PREFIX ex: <http://e/>\n"
    out = [prologue + f"INSERT {{ <http://n> <http://m> 1 }} WHERE {{{inner}}}"
           for inner in inner_patterns(port)[::3]]
    out += [f"{sep}LOAD <http://127.0.0.1:{port}/data.ttl>" for sep in ("", "#x\r", "#x\n", "\r\n", "\t")]
    out += [f"INSERT DATA {{ <http://n> <http://m> 1 }} ;{sep}LOAD SILENT <http://127.0.0.1:{port}/x>"
            for sep in ("", "#\r", " ")]
    return out


# -- the first barrier: the text check sees what Oxigraph would call ---------------------

def oxigraph_calls(store: Store, listener: Listener, text: str) -> int:
    """How many connections Oxigraph opens evaluating the query ``text`` (no barrier in this
    process)."""
    before = listener.count
    try:
        r = store.query(text)
        if hasattr(r, "__iter__"):
            for _ in r:
                pass
    except (SyntaxError, OSError, ValueError, RuntimeError):
        pass
    return listener.count - before


@pytest.mark.slow
def test_the_text_check_refuses_every_service_oxigraph_would_call(listener):
    """The differential check: each generated text is evaluated by Oxigraph itself (in this
    process, against the listener) and read by llmkg.query.scan; whenever Oxigraph opened a
    connection, the scan found the SERVICE (as a call or as a hidden keyword)."""
    store = Store()
    store.bulk_extend(parse(DATA, format=RdfFormat.TURTLE))
    texts = query_texts(listener.port)
    assert len(texts) > 5000
    called, missed = 0, []
    for text in texts:
        n = oxigraph_calls(store, listener, text)
        sc = scan(text)
        if n:
            called += 1
            if not (sc.services or sc.hidden):
                missed.append(text)
    assert missed == []
    # the generator is not vacuous: most texts really make Oxigraph connect
    assert called > len(texts) // 2, called


def test_named_bypasses_of_the_old_tokenizer():
    """Each of these made Oxigraph connect while llmkg's earlier tokenizer saw no SERVICE."""
    u = "http://127.0.0.1:1/sparql"
    cases = {
        "SELECT * WHERE { #\rSERVICE <%s> { ?s ?p ?o } }" % u: "<%s>" % u,
        "SELECT * WHERE { ?s ?p ?a FILTER(?a<=?a)SERVICE#>\n<%s>{ ?x ?y ?z } }" % u: "<=?a)SERVICE#>",
        "SELECT * WHERE { ?s ?p 1SERVICE <%s> { ?x ?y ?z } }" % u: "1SERVICE",
        "SELECT * WHERE { ?s ?p trueSERVICE <%s> { ?x ?y ?z } }" % u: "trueSERVICE",
        "PREFIX ex: <http://e/> SELECT * WHERE { ?s ?p ex:.SERVICE <%s> { ?x ?y ?z } }" % u: "ex:.SERVICE",
        "PREFIX p: <http://127.0.0.1:1/> SELECT * WHERE { SERVICEp:x { ?x ?y ?z } }": "SERVICEp:x",
        "PREFIX ex: <http://e/> SELECT * WHERE { ?s ?p ex:a\\# SERVICE <%s> { ?x ?y ?z } \n}" % u: "<%s>" % u,
    }
    for text, what in cases.items():
        sc = scan(text)
        found = [f"<{t}>" for t in sc.services] + [tok for _, tok in sc.hidden]
        assert found == [what], text


def test_names_that_only_contain_service_are_not_refused():
    """The ontology of service descriptions and names like ex:myService stay usable."""
    for text in ["PREFIX sd: <http://www.w3.org/ns/sparql-service-description#> SELECT * { ?s a sd:Service }",
                 "SELECT * { ?s a <http://www.w3.org/ns/sparql-service-description#Service> }",
                 "SELECT * { ?s <http://schema.org/serviceType> ?o FILTER(?o = <http://x/Service>) }",
                 "SELECT ?service { ?service ?p 'SERVICE <http://x/> {}' } # SERVICE <http://y/>",
                 "PREFIX ex: <http://e/> SELECT * { ?s ex:hasService ?o ; ex:a\\.SERVICE ?x }",
                 "SELECT * { ?s ?p 'x'@en-service }"]:
        sc = scan(text)
        assert (list(sc.services), list(sc.hidden)) == ([], []), text


# -- the second barrier: a worker cannot open a network socket ------------------------------

GUARDED = textwrap.dedent("""
    import socket, sys
    from pyoxigraph import Store
    from llmkg.web import netguard
    assert netguard.install() and netguard.installed
    port = int(sys.argv[1])
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2)
        print("connected")
    except PermissionError:
        print("socket refused")
    a, b = socket.socketpair()          # AF_UNIX stays allowed
    a.sendall(b"x"); assert b.recv(1) == b"x"
    st = Store()
    for q in ["SELECT * WHERE { SERVICE <http://127.0.0.1:%d/sparql> { ?s ?p ?o } }" % port,
              "SELECT * WHERE { SERVICE <http://localhost:%d/sparql> { ?s ?p ?o } }" % port]:
        try:
            list(st.query(q))
            print("ran")
        except PermissionError as e:
            print("service refused")
    try:
        st.update("LOAD <http://127.0.0.1:%d/data.ttl>" % port)
        print("loaded")
    except PermissionError:
        print("load refused")
    print(open("/proc/self/status").read().split("Seccomp:")[1].split()[0])
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the barrier is a Linux seccomp filter")
def test_the_network_barrier_refuses_sockets_to_oxigraph(listener):
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = dict(os.environ, PYTHONPATH=src)
    before = listener.count
    out = subprocess.run([sys.executable, "-c", GUARDED, str(listener.port)], capture_output=True, text=True,
                         timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n") == ["socket refused", "service refused", "service refused", "load refused",
                                      "2", ""]
    assert listener.count == before


# -- through the endpoint ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def store_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("store")
    load_trig_store(d, DATA)
    return d


@pytest.fixture(scope="module")
def server(store_dir, tmp_path_factory):
    q = write_test_queries(tmp_path_factory.mktemp("queries"))
    with ServerProcess(store_dir, "--workers", "2", "--timeout", "10", queries=q,
                       env={"LLMKG_UPDATE_TOKEN": "s3cret"}) as s:
        yield s


def _worker_pids(server) -> list[int]:
    status, _, body = http("GET", server.url + "/health")
    assert status == 200
    return json.loads(body)["workers"]["pids"]


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the barrier is a Linux seccomp filter")
def test_every_worker_runs_behind_the_barrier(server):
    pids = _worker_pids(server)
    assert len(pids) == 2
    doc = json.loads(http("GET", server.url + "/health")[2])
    assert (doc["network_barrier"], doc["load_allowed"]) == (True, False)
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        assert status.split("Seccomp:")[1].split()[0] == "2", pid   # SECCOMP_MODE_FILTER


@pytest.mark.slow
def test_fuzz_the_endpoint_makes_no_connection(server, listener, store_dir):
    """Thousands of generated texts by GET, POST form and POST body, queries and updates
    (with the update token): every one is refused (403, or 400 when not SPARQL), and the
    listener never hears from the server."""
    store = Store()
    store.bulk_extend(parse(DATA, format=RdfFormat.TURTLE))
    texts = query_texts(listener.port)
    calls = {t: oxigraph_calls(store, listener, t) > 0 for t in texts}
    before = listener.count
    statuses: dict[int, int] = {}
    wrong = []
    for i, text in enumerate(texts):
        how = i % 3
        if how == 0:
            status, _, body = http("GET", server.url + "/sparql?" + urlencode({"query": text}))
        elif how == 1:
            status, _, body = http("POST", server.url + "/sparql", urlencode({"query": text}),
                                   {"Content-Type": "application/x-www-form-urlencoded"})
        else:
            status, _, body = http("POST", server.url + "/sparql", text,
                                   {"Content-Type": "application/sparql-query"})
        statuses[status] = statuses.get(status, 0) + 1
        if status not in (400, 403) or (calls[text] and status != 403):
            wrong.append((status, body[:200], text))
    auth = {"Authorization": "Bearer s3cret"}
    updates = update_texts(listener.port)
    for i, text in enumerate(updates):
        if i % 2:
            status, _, body = http("POST", server.url + "/sparql", urlencode({"update": text}),
                                   dict(auth, **{"Content-Type": "application/x-www-form-urlencoded"}))
        else:
            status, _, body = http("POST", server.url + "/sparql", text,
                                   dict(auth, **{"Content-Type": "application/sparql-update"}))
        statuses[status] = statuses.get(status, 0) + 1
        if status not in (400, 403):
            wrong.append((status, body[:200], text))
    time.sleep(0.2)
    assert listener.count == before
    assert wrong == []
    assert len(texts) + len(updates) > 5000
    assert statuses.get(403, 0) > len(texts) // 2, statuses
    print(f"{len(texts)} queries and {len(updates)} updates sent: {statuses}; 0 connections")


@pytest.mark.slow
def test_load_and_refusal_messages(server, listener):
    before = listener.count
    auth = {"Authorization": "Bearer s3cret", "Content-Type": "application/sparql-update"}
    status, _, body = http("POST", server.url + "/sparql", f"LOAD <http://127.0.0.1:{listener.port}/d.ttl>", auth)
    assert (status, body) == (403, b"LOAD is refused: this endpoint does not fetch from the network "
                                   b"(the operator can enable it with --allow-load)\n")
    text = f"SELECT * WHERE {{ ?s ?p 1SERVICE <http://127.0.0.1:{listener.port}/> {{}} }}"
    status, _, body = http("GET", server.url + "/sparql?" + urlencode({"query": text}))
    assert (status, body) == (403, b"SERVICE is refused: line 1, column 24: '1SERVICE' may be read as a "
                                   b"SERVICE keyword; this endpoint does not call other endpoints (separate "
                                   b"the keyword from its neighbours if you meant one)\n")
    assert listener.count == before


class _Quiet(httpserver.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


@pytest.mark.slow
def test_allow_load_fetches_what_the_operator_allowed(tmp_path):
    """--allow-load is the operator's explicit choice: LOAD then fetches (here from a local
    file server) and the graph has the loaded triple."""
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "d.ttl").write_text("<http://l/s> <http://l/p> <http://l/o> .\n")
    handler = lambda *a, **k: _Quiet(*a, directory=str(tmp_path / "www"), **k)  # noqa: E731
    files = httpserver.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=files.serve_forever, daemon=True).start()
    d = tmp_path / "store"
    load_trig_store(d, DATA)
    try:
        with ServerProcess(d, "--workers", "2", "--allow-load", env={"LLMKG_UPDATE_TOKEN": "t"}) as s:
            auth = {"Authorization": "Bearer t", "Content-Type": "application/sparql-update"}
            status, _, body = http("POST", s.url + "/sparql",
                                   f"LOAD <http://127.0.0.1:{files.server_address[1]}/d.ttl>", auth)
            assert status == 200, body
            status, _, body = http("GET", s.url + "/sparql?" + urlencode(
                {"query": "ASK { <http://l/s> <http://l/p> <http://l/o> }"}), headers={"Accept": "text/csv"})
            assert (status, body) == (200, b"true\n")
    finally:
        files.shutdown()


def test_allow_load_needs_the_token(tmp_path):
    from click.testing import CliRunner

    from llmkg.cli import main

    r = CliRunner().invoke(main, ["serve", "--store", str(tmp_path), "--allow-load"], env={"LLMKG_UPDATE_TOKEN": ""})
    assert r.exit_code == 2
    assert "--allow-load needs --allow-updates-with-token (LOAD is an update)" in r.output


# -- malformed escapes and oversized parameters ---------------------------------------------

ROUTES = ["/", "/sparql", "/queries", "/queries.json", "/queries/bigger-than", "/queries/bigger-than.json",
          "/resource/model/x", "/llmkg/resource/model/x", "/graph/curated", "/ontology", "/health", "/static/app.js",
          "/search"]
BAD = ["%FF", "%E2%82", "%C3", "%", "%zz", "%C0%AF", "%ED%A0%80", "%F4%90%80%80", "%00"]


@pytest.mark.slow
def test_malformed_escapes_on_every_route_are_4xx(server):
    seen = []
    for route, bad in itertools.product(ROUTES, BAD):
        for path in (route.rstrip("/") + "/" + bad, route + "?q=" + bad + "&query=" + bad, route + "?" + bad):
            status, _, body = http("GET", server.url + path)
            seen.append(status)
            assert status < 500, (path, status, body[:300])
    status, _, body = http("GET", server.url + "/resource/%FF")
    assert (status, body) == (400, b"the path '/resource/%FF' is not valid UTF-8 once percent-decoded\n")
    status, _, body = http("GET", server.url + "/sparql?query=%FF")
    assert (status, body) == (400, b"the parameters are not valid UTF-8 once URL-decoded\n")
    assert len(seen) == len(ROUTES) * len(BAD) * 3


@pytest.mark.slow
def test_a_parameter_of_5000_digits_is_a_clear_400(server):
    status, _, body = http("GET", server.url + "/queries/bigger-than.json?n=" + "9" * 5000)
    assert status == 400
    assert body == (b"parameter 'n' must be an integer of at most 9223372036854775807 in magnitude, not '"
                    + b"9" * 60 + b"... (5000 characters)'\n")
