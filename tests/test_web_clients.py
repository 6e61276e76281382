"""Real SPARQL clients against ``llmkg serve``: SPARQLWrapper, rdflib's SPARQLStore, roqet."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from pathlib import Path

import pytest

from llmkg.web.testing import ServerProcess, load_trig_store

pytestmark = pytest.mark.slow

FIXTURE = Path(__file__).parent / "fixtures" / "web.trig"
RES = "https://w3id.org/llmkg/resource/"
PREFIXES = ("PREFIX llmkg: <https://w3id.org/llmkg/ontology#>\n"
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n")
SELECT = PREFIXES + "SELECT ?m ?l WHERE { ?m a llmkg:Model ; rdfs:label ?l } ORDER BY ?l"
CONSTRUCT = PREFIXES + "CONSTRUCT { ?m rdfs:label ?l } WHERE { ?m a llmkg:Model ; rdfs:label ?l }"
LABELS = ["BERT", "Chinchilla", "GPT-2", "GPT-3", "GPT-4", "LLaMA", "Llama 2", "PaLM", "T5"]


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    d = tmp_path_factory.mktemp("store")
    load_trig_store(d, FIXTURE)
    with ServerProcess(d, "--workers", "2") as s:
        yield s.url + "/sparql"


# -- SPARQLWrapper ------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "POST", "POSTDIRECTLY"])
def test_sparqlwrapper_json(endpoint, method):
    from SPARQLWrapper import GET, JSON, POST, POSTDIRECTLY, SPARQLWrapper

    sw = SPARQLWrapper(endpoint)
    sw.setQuery(SELECT)
    sw.setReturnFormat(JSON)
    sw.setMethod({"GET": GET, "POST": POST, "POSTDIRECTLY": POST}[method])
    if method == "POSTDIRECTLY":
        sw.setRequestMethod(POSTDIRECTLY)
    res = sw.query().convert()
    assert [b["l"]["value"] for b in res["results"]["bindings"]] == LABELS


def test_sparqlwrapper_xml_csv_tsv(endpoint):
    from SPARQLWrapper import CSV, TSV, XML, SPARQLWrapper

    sw = SPARQLWrapper(endpoint)
    sw.setQuery(SELECT)
    sw.setReturnFormat(XML)
    doc = sw.query().convert()
    labels = [b.getElementsByTagName("literal")[0].firstChild.data
              for b in doc.getElementsByTagName("binding") if b.getAttribute("name") == "l"]
    assert labels == LABELS
    sw.setReturnFormat(CSV)
    rows = list(csv.reader(io.StringIO(sw.query().convert().decode())))
    assert rows[0] == ["m", "l"] and [r[1] for r in rows[1:]] == LABELS
    sw.setReturnFormat(TSV)
    lines = sw.query().convert().decode().strip().splitlines()
    assert lines[0].split("\t") == ["?m", "?l"] and len(lines) == 10


def test_sparqlwrapper_ask_and_construct(endpoint):
    from SPARQLWrapper import JSON, JSONLD, N3, RDFXML, TURTLE, SPARQLWrapper

    sw = SPARQLWrapper(endpoint)
    sw.setQuery(PREFIXES + "ASK { ?m a llmkg:Model }")
    sw.setReturnFormat(JSON)
    assert sw.query().convert()["boolean"] is True
    for fmt in (RDFXML, TURTLE, N3, JSONLD):
        sw = SPARQLWrapper(endpoint)
        sw.setQuery(CONSTRUCT)
        sw.setReturnFormat(fmt)
        g = sw.query().convert()
        if isinstance(g, (bytes, str)):
            import rdflib

            g = rdflib.Graph().parse(data=g, format={TURTLE: "turtle", N3: "n3", JSONLD: "json-ld"}.get(fmt, "xml"))
        assert sorted(str(o) for o in g.objects()) == LABELS, fmt


# -- rdflib ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "POST"])
def test_rdflib_sparqlstore(endpoint, method):
    from rdflib import Graph
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    store = SPARQLStore(endpoint, method=method)
    g = Graph(store=store)
    rows = list(g.query(SELECT))
    assert [str(r.l) for r in rows] == LABELS
    assert str(rows[0].m) == RES + "model/bert"
    assert g.query(PREFIXES + "ASK { ?m a llmkg:Model }").askAnswer is True
    triples = g.query(CONSTRUCT).graph
    assert len(triples) == 9
    store.close()


def test_rdflib_reads_linked_data(endpoint):
    import rdflib

    base = endpoint.rsplit("/", 1)[0]
    g = rdflib.Graph()
    g.parse(base + "/resource/model/gpt-3")       # rdflib's own Accept header, content negotiation
    assert (rdflib.URIRef(RES + "model/gpt-3"), rdflib.RDFS.label, rdflib.Literal("GPT-3")) in g


# -- roqet (Debian rasqal-utils) ------------------------------------------------------------------

ROQET = shutil.which("roqet")
need_roqet = pytest.mark.skipif(ROQET is None, reason="roqet is not installed (apt-get install rasqal-utils)")


def roqet(endpoint, query, *args):
    out = subprocess.run([ROQET, "-i", "sparql11-query", "-p", endpoint, "-e", query, *args],
                         capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr.decode()
    return out.stdout.decode()


@need_roqet
def test_roqet_select_formats(endpoint):
    rows = list(csv.reader(io.StringIO(roqet(endpoint, SELECT, "-r", "csv"))))
    assert rows[0] == ["m", "l"] and [r[1] for r in rows[1:]] == LABELS
    tsv = roqet(endpoint, SELECT, "-r", "tsv").strip().splitlines()
    assert len(tsv) == 10 and '"GPT-3"' in tsv[4]
    xml = roqet(endpoint, SELECT, "-r", "xml")
    assert xml.count("<result>") == 9 and "<literal>Llama 2</literal>" in xml
    simple = roqet(endpoint, SELECT)
    assert simple.count("row: [") == 9 and 'l=string("Llama 2")' in simple
    # (rasqal 0.9.33 reads only SPARQL XML results from a protocol service: CONSTRUCT and
    # ASK results it cannot read whatever the server sends, so they are not tested here)
