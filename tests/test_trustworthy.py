"""Trustworthy answers on the shipped data: the default graph is a set, every client sees the
curated resolutions in place of the known source errors, and the graph has one size.

(tests/test_queries.py checks the canned queries' rows; tests/test_web_protocol.py and
tests/test_queries.py that no value comes back rewritten.)
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner

from llmkg import query as Q
from llmkg.cli import main
from llmkg.vocab import PREFIXES, expand
from llmkg.web.testing import ServerProcess, http

ROOT = Path(__file__).resolve().parents[1]
MODEL = "https://w3id.org/llmkg/resource/model/"
L = PREFIXES["llmkg"]

_NAME = re.compile(r"(?<![\w:<?$])([a-z][\w-]*):([A-Za-z_][\w-]*)")
_IRI = re.compile(r"<(https?://[^>\s]+)>")


def canned_predicates() -> list[str]:
    """The IRIs that the canned queries use as terms (their predicates among them)."""
    found = set()
    for path in sorted((ROOT / "queries").glob("*.rq")):
        text = "\n".join(l for l in path.read_text(encoding="utf-8").splitlines()
                         if not l.lstrip().startswith(("#", "PREFIX")))
        text = re.sub(r'"[^"\n]*"', '""', text)
        for prefix, local in _NAME.findall(text):
            if prefix in PREFIXES:
                found.add(expand(f"{prefix}:{local}"))
        found.update(_IRI.findall(text))
    return sorted(found)


def count_queries(preds: list[str]) -> tuple[str, str]:
    values = " ".join(f"<{p}>" for p in preds)
    bag = f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ VALUES ?p {{ {values} }} ?s ?p ?o }} GROUP BY ?p ORDER BY ?p"
    st = (f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{ VALUES ?p {{ {values} }} "
          "?s ?p ?o } } GROUP BY ?p ORDER BY ?p")
    return bag, st


@pytest.fixture(scope="module")
def server(real_store_dir):
    with ServerProcess(real_store_dir, "--workers", "1", queries=ROOT / "queries") as s:
        yield s


def endpoint_rows(server, query: str) -> list[tuple]:
    st, _h, body = http("GET", f"{server.url}/sparql?{urlencode({'query': query})}",
                        headers={"Accept": "application/sparql-results+json"})
    assert st == 200, body[:300]
    doc = json.loads(body)
    return [tuple(b[v]["value"] for v in doc["head"]["vars"]) for b in doc["results"]["bindings"]]


def test_the_canned_queries_use_terms_the_graph_has(real_store):
    preds = canned_predicates()
    assert len(preds) > 40 and expand("llmkg:accessLevel") in preds
    store, _v = real_store
    used = Q.execute(store, count_queries(preds)[0]).values()
    assert len(used) > 30   # (the others are classes, graphs and concepts)


def test_count_equals_count_distinct_for_every_canned_pattern_in_execute_and_cli(real_store, real_store_dir):
    """Each predicate the canned queries use: COUNT(*) over the default graph equals the
    number of distinct triples, through llmkg.query (the CLI's and the server's path) and
    through `llmkg query` itself; a named-graph count shows what a bag would have given."""
    store, _v = real_store
    bag, st = count_queries(canned_predicates())
    got, distinct = Q.execute(store, bag).values(), Q.execute(store, st).values()
    assert got == distinct and len(got) > 30
    access = dict(got)[expand("llmkg:accessLevel")]
    stated = Q.execute(store, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?m llmkg:accessLevel ?a } }").values()
    assert int(stated[0][0]) > int(access)   # (stated by two sources: once in the default graph)
    r = CliRunner().invoke(main, ["query", "--store", str(real_store_dir), "-e", bag, "--format", "csv"],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert [tuple(l.split(",")) for l in lines[1:]] == got
    # the issue's own example, and the whole default graph
    n, d = Q.execute(store, "SELECT (COUNT(?m) AS ?n) (COUNT(DISTINCT ?m) AS ?d) "
                            "WHERE { ?m llmkg:accessLevel ?a . FILTER(?a = llmkg:Open) }").values()[0]
    assert n == d
    n, d = Q.execute(store, "SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT *) AS ?d) "
                            "WHERE { SELECT ?s ?p ?o WHERE { ?s ?p ?o } }").values()[0]
    assert n == d


@pytest.mark.slow
def test_count_equals_count_distinct_through_the_endpoint(server):
    bag, st = count_queries(canned_predicates())
    assert endpoint_rows(server, bag) == endpoint_rows(server, st)


@pytest.mark.slow
def test_rdflib_sparqlstore_sees_a_set(server):
    """rdflib's SPARQLStore (a client researchers use) counts what the graph holds."""
    from rdflib import Graph
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    g = Graph(store=SPARQLStore(f"{server.url}/sparql", returnFormat="json"))
    bag = list(g.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?m <{L}accessLevel> ?a }}"))
    distinct = list(g.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?m ?a WHERE {{ ?m <{L}accessLevel> ?a }} }}"))
    assert int(bag[0][0]) == int(distinct[0][0]) > 100
    counts = [int(r[0]) for r in g.query(f"SELECT ?n WHERE {{ <{MODEL}gpt-4> <{L}maximumParameterCount> ?n }}")]
    assert counts == [1_700_000_000_000]


# --- the resolved values, everywhere --------------------------------------------------------

def test_resolved_values_in_the_default_graph_and_all_values_in_the_named_graphs(real_store):
    store, _v = real_store
    q = Q.execute(store, f"SELECT ?n WHERE {{ <{MODEL}gpt-4> llmkg:maximumParameterCount ?n }}")
    assert q.values() == [("1700000000000",)]
    q = Q.execute(store, f"SELECT ?o WHERE {{ <{MODEL}deepspeech-2> llmkg:organization ?o }}")
    assert q.values() == [("https://w3id.org/llmkg/resource/organization/baidu",)]
    every = Q.execute(store, f"SELECT ?g ?n WHERE {{ GRAPH ?g {{ <{MODEL}gpt-4> llmkg:maximumParameterCount ?n }} }} "
                             "ORDER BY ?g").values()
    assert every == [("https://w3id.org/llmkg/graph/awesome-huge-models", "1700000000000"),
                     ("https://w3id.org/llmkg/graph/awesome-llms", "170000000000000"),
                     ("https://w3id.org/llmkg/graph/resolutions", "1700000000000")]


def test_the_resolution_and_its_ranks(real_store):
    """The resolution is described in graph:curated with PROV, and the statements it
    supersedes with their rank: deprecated where the source disagrees, normal where only
    the source's own minted node differs."""
    store, _v = real_store
    res = "https://w3id.org/llmkg/resource/model/gpt-4/resolution/number-of-parameters"
    facts = dict(Q.execute(store, f"SELECT ?p ?o WHERE {{ GRAPH graph:curated {{ <{res}> ?p ?o }} "
                                  "FILTER(?p NOT IN (llmkg:supersedes, llmkg:resolvesProperty)) }").values())
    assert facts[expand("rdf:type")] == expand("llmkg:Resolution")
    assert facts[expand("llmkg:about")] == MODEL + "gpt-4"
    assert facts[expand("llmkg:resolvesKey")] == "number of parameters"
    assert facts[expand("rdf:value")] == "1.7T"
    assert facts[expand("prov:wasAttributedTo")] == expand("llmkg:Curators")
    assert facts[expand("llmkg:rank")] == expand("llmkg:PreferredRank")
    assert facts[expand("llmkg:reason")].startswith("OpenAI has not published GPT-4's size.")
    ranks = Q.execute(store, f"""SELECT ?g ?p ?o ?rank ?s WHERE {{ GRAPH graph:curated {{
        <{res}> llmkg:supersedes ?st . ?st a rdf:Statement ; rdf:subject ?s ; rdf:predicate ?p ;
        rdf:object ?o ; llmkg:statedIn ?g ; llmkg:rank ?rank }} }} ORDER BY ?g ?p ?o""").values()
    g = "https://w3id.org/llmkg/graph/"
    gpt4 = MODEL + "gpt-4"
    assert (g + "awesome-llms", L + "maximumParameterCount", "170000000000000", L + "DeprecatedRank", gpt4) in ranks
    assert (g + "awesome-llms", L + "parameterCountText", "170T", L + "DeprecatedRank", gpt4) in ranks
    assert (g + "awesome-huge-models", L + "parameterVariant",
            MODEL + "gpt-4/parameters/awesome-huge-models/1", L + "NormalRank", gpt4) in ranks
    # every superseded statement is in its source's graph and not in the default graph
    checked = 0
    for gname, p, o, _rank, subject in ranks:
        if not o.startswith("http"):
            continue
        checked += 1
        assert Q.execute(store, f"ASK {{ GRAPH <{gname}> {{ <{subject}> <{p}> <{o}> }} }}").boolean
        assert not Q.execute(store, f"ASK {{ <{subject}> <{p}> <{o}> }}").boolean
    assert checked >= 4


def test_orkg_csv_carries_the_resolved_values(real_store_dir):
    from llmkg.export import export_bytes, open_source

    text = export_bytes(open_source(real_store_dir, include_existing=True), "orkg-csv").decode("utf-8")
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    head = rows[0]
    gpt4 = next(r for r in rows[1:] if "GPT-4" in r and r[0] == "GPT-4 Technical Report")
    col = next(i for i, h in enumerate(head) if h.endswith("number of parameters"))
    assert gpt4[col] == "1.7T"
    assert "170T" not in text.split("\n", 1)[1].replace("170T ", "")   # not as a cell anywhere


@pytest.mark.slow
def test_entity_pages_show_the_resolved_value_and_mark_the_superseded(server):
    st, _h, body = http("GET", f"{server.url}/resource/model/gpt-4", headers={"Accept": "text/html"})
    assert st == 200, body[:300]
    page = body.decode("utf-8")
    first = page.index("The graph states")
    assert page.index("1.7T", first) < page.index("awesome-llms")
    assert re.search(r'<li class="superseded"[^>]*><del>[^<]*(<[^>]+>[^<]*)*170T', page)
    st, _h, body = http("GET", f"{server.url}/resource/model/deepspeech-2", headers={"Accept": "text/html"})
    page = body.decode("utf-8")
    resolved = page[page.index("The graph states"):page.index('<section class="graph"', page.index("The graph states"))]
    assert "Baidu" in resolved and "Meta" not in resolved
    assert re.search(r'class="superseded".*Meta', page, re.S)


# --- one size ------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_size_is_one_number(real_store, real_store_dir, server):
    from llmkg.export import export_bytes, open_source
    from pyoxigraph import RdfFormat, parse

    store, v = real_store
    triples = v.meta["counts"]["triples"]
    assert triples == int(Q.execute(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").values()[0][0])
    nt = export_bytes(open_source(real_store_dir), "ntriples")
    assert len(list(parse(nt, format=RdfFormat.N_TRIPLES))) == triples
    st, _h, body = http("GET", f"{server.url}/health")
    health = json.loads(body)
    assert health["triples"] == triples and health["quads_in_named_graphs"] == v.meta["quads"]
    assert v.meta["quads"] + triples == len(store)
    st, _h, body = http("GET", f"{server.url}/sparql", headers={"Accept": "application/n-triples"})
    assert f'<http://rdfs.org/ns/void#triples> "{triples}"' in body.decode()
    r = CliRunner().invoke(main, ["info", "--store", str(real_store_dir)], catch_exceptions=False)
    assert json.loads(r.output)["counts"]["triples"] == triples


# --- short IRIs that paste back ---------------------------------------------------------------

@pytest.mark.slow
def test_every_short_iri_the_cli_prints_pastes_back(real_store, real_store_dir):
    """The CLI's table writes IRIs as prefixed names (model:gpt-3) where it can: each one,
    put back into a query, is the IRI it stands for."""
    store, _v = real_store
    query = ("SELECT DISTINCT ?s WHERE { { ?s ?p ?o } UNION { ?x ?p ?s } UNION { ?x ?s ?o } "
             "FILTER(isIRI(?s)) } ORDER BY ?s")
    iris = [r[0].value for r in Q.execute(store, query).rows]
    r = CliRunner().invoke(main, ["query", "--store", str(real_store_dir), "-e", query, "--format", "table",
                                  "--limit", "100000"], catch_exceptions=False)
    printed = [line.strip() for line in r.output.splitlines()[2:] if line.strip() and not line.startswith("(")]
    assert len(printed) == len(iris) > 1500
    short = [(p, i) for p, i in zip(printed, iris) if "://" not in p and not p.endswith("…")]
    assert len(short) > 0.3 * len(iris)
    assert ("model:gpt-3", MODEL + "gpt-3") in short and ("org:openai", "https://w3id.org/llmkg/resource/organization/openai") in short
    for k in range(0, len(short), 500):      # each printed name, back in a query, is its IRI
        chunk = short[k:k + 500]
        text = "SELECT ?i ?s WHERE { VALUES (?i ?s) { " + " ".join(f"({i} {n})" for i, (n, _iri) in enumerate(chunk)) + " } }"
        got = {int(a.value): b.value for a, b in Q.execute(store, text).rows}
        assert got == {i: iri for i, (_n, iri) in enumerate(chunk)}
