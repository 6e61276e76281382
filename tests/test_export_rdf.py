"""RDF exports: parsed by an independent parser (rapper from raptor2-utils; rdflib for
JSON-LD, which raptor cannot read) and isomorphic to the store's content, for the whole
graph and for one --graph; deterministic bytes; prefixes declared."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
import rdflib
from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode
from rdflib.compare import isomorphic

from llmkg.export import CONTEXT_FILE, CONTEXT_IRI, export_bytes, open_source

RAPPER = shutil.which("rapper")
needs_rapper = pytest.mark.skipif(RAPPER is None, reason="rapper (Debian raptor2-utils) is not installed: "
                                                        "apt-get install -y raptor2-utils")
GRAPH = "https://w3id.org/llmkg/graph/"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

TRIPLE_FORMATS = {"turtle": "turtle", "ntriples": "ntriples", "rdfxml": "rdfxml"}   # ours -> rapper's
QUAD_FORMATS = {"nquads": "nquads", "trig": "trig"}


# -- the store's content, straight from pyoxigraph (not through any export) ----------------

def _rdflib_term(t):
    if isinstance(t, NamedNode):
        return rdflib.URIRef(t.value)
    if isinstance(t, BlankNode):
        return rdflib.BNode(t.value)
    assert isinstance(t, Literal)
    if t.language:
        return rdflib.Literal(t.value, lang=t.language)
    if t.datatype.value == XSD_STRING:       # RDF 1.1: a simple literal is an xsd:string
        return rdflib.Literal(t.value)
    return rdflib.Literal(t.value, datatype=rdflib.URIRef(t.datatype.value))


def store_graphs(store_dir, graph=None) -> dict[str, rdflib.Graph]:
    """graph IRI -> rdflib Graph of the store's quads."""
    src = open_source(store_dir)
    out: dict[str, rdflib.Graph] = {}
    node = NamedNode(graph) if graph else None
    for q in src.store.quads_for_pattern(None, None, None, node):
        g = "" if isinstance(q.graph_name, DefaultGraph) else q.graph_name.value
        out.setdefault(g, rdflib.Graph()).add((_rdflib_term(q.subject), _rdflib_term(q.predicate),
                                               _rdflib_term(q.object)))
    return out


def triples_of(store_dir, graph=None) -> rdflib.Graph:
    """What a triple format exports: the graph, or without one the store's default graph."""
    if graph is None:
        return store_graphs(store_dir)[""]
    return union(store_graphs(store_dir, graph))


def union(graphs: dict[str, rdflib.Graph]) -> rdflib.Graph:
    u = rdflib.Graph()
    for g in graphs.values():
        for t in g:
            u.add(t)
    return u


# -- independent parsing -------------------------------------------------------------------

def rapper_parse(data: bytes, syntax: str, tmp_path, dataset: bool) -> str:
    path = tmp_path / f"export.{syntax}"
    path.write_bytes(data)
    out = subprocess.run([RAPPER, "-q", "-i", syntax, "-o", "nquads" if dataset else "ntriples", str(path)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def parsed_graphs_from_nquads(text: str) -> dict[str, rdflib.Graph]:
    ds = rdflib.Dataset()
    ds.parse(data=text, format="nquads")
    out = {}
    for g in ds.graphs():
        if len(g) == 0:
            continue
        name = "" if g.identifier == rdflib.graph.DATASET_DEFAULT_GRAPH_ID else str(g.identifier)
        out[name] = g
    return out


@pytest.fixture
def context_loader(monkeypatch):
    """Serve the published context from the shipped file (no network in tests)."""
    import rdflib.plugins.shared.jsonld.context as ctxmod

    real = ctxmod.source_to_json

    def loader(source, *args, **kwargs):
        if str(source) == CONTEXT_IRI:
            return json.loads(CONTEXT_FILE.read_text(encoding="utf-8")), None
        return real(source, *args, **kwargs)

    monkeypatch.setattr(ctxmod, "source_to_json", loader)


def jsonld_graphs(data: bytes) -> dict[str, rdflib.Graph]:
    ds = rdflib.Dataset()
    ds.parse(data=data.decode("utf-8"), format="json-ld")
    out = {}
    for g in ds.graphs():
        if len(g) == 0:
            continue
        name = "" if g.identifier == rdflib.graph.DATASET_DEFAULT_GRAPH_ID else str(g.identifier)
        out[name] = g
    return out


def assert_same_graphs(got: dict[str, rdflib.Graph], want: dict[str, rdflib.Graph]):
    assert sorted(got) == sorted(want)
    for name in want:
        assert len(got[name]) == len(want[name]), name
        assert isomorphic(got[name], want[name]), name


# -- the tests ------------------------------------------------------------------------------

@needs_rapper
@pytest.mark.parametrize("graph", [None, "awesome-llms", "ontology"])
@pytest.mark.parametrize("fmt", sorted(TRIPLE_FORMATS))
def test_triple_formats_parse_and_are_isomorphic(export_store_dir, tmp_path, fmt, graph):
    src = open_source(export_store_dir, graph)
    data = export_bytes(src, fmt)
    nt = rapper_parse(data, TRIPLE_FORMATS[fmt], tmp_path, dataset=False)
    got = rdflib.Graph()
    got.parse(data=nt, format="nt")
    want = triples_of(export_store_dir, src.graph)
    assert len(got) == len(want)
    assert isomorphic(got, want)


@needs_rapper
@pytest.mark.parametrize("graph", [None, "awesome-llms", "ontology"])
@pytest.mark.parametrize("fmt", sorted(QUAD_FORMATS))
def test_quad_formats_parse_and_are_isomorphic(export_store_dir, tmp_path, fmt, graph):
    src = open_source(export_store_dir, graph)
    data = export_bytes(src, fmt)
    got = parsed_graphs_from_nquads(rapper_parse(data, QUAD_FORMATS[fmt], tmp_path, dataset=True))
    assert_same_graphs(got, store_graphs(export_store_dir, src.graph))


@pytest.fixture
def no_network(monkeypatch):
    """Fail any attempt of rdflib's JSON-LD parser to fetch a context."""
    import rdflib.plugins.shared.jsonld.context as ctxmod

    def refuse(source, *args, **kwargs):
        raise AssertionError(f"the JSON-LD parser tried to fetch {source}")

    monkeypatch.setattr(ctxmod, "source_to_json", refuse)


@pytest.mark.parametrize("graph", [None, "awesome-llms", "ontology"])
def test_jsonld_is_isomorphic_offline(export_store_dir, no_network, graph):
    """The context is embedded: rdflib reads the document with no network."""
    src = open_source(export_store_dir, graph)
    data = export_bytes(src, "jsonld")
    doc = json.loads(data)
    assert doc["@context"] == json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]
    assert_same_graphs(jsonld_graphs(data), store_graphs(export_store_dir, src.graph))


def test_jsonld_may_reference_the_published_context(export_store_dir, context_loader):
    src = open_source(export_store_dir, reference_context=True)
    data = export_bytes(src, "jsonld")
    assert json.loads(data)["@context"] == CONTEXT_IRI
    assert_same_graphs(jsonld_graphs(data), store_graphs(export_store_dir, None))


def test_jsonld_reads_offline_with_pyld(export_store_dir):
    pyld = pytest.importorskip("pyld")
    doc = json.loads(export_bytes(open_source(export_store_dir, "awesome-llms"), "jsonld"))

    def refuse(url, options=None):
        raise AssertionError(f"pyld tried to fetch {url}")

    nquads = pyld.jsonld.to_rdf(doc, {"format": "application/n-quads", "documentLoader": refuse})
    assert '<https://w3id.org/llmkg/resource/model/gpt-1> <https://w3id.org/llmkg/ontology#modelFamily> "GPT"' in nquads


def test_jsonld_is_compact_against_the_published_context(export_store_dir):
    doc = json.loads(export_bytes(open_source(export_store_dir, "awesome-llms"), "jsonld"))
    assert doc["@id"] == "graph:awesome-llms"
    gpt1 = next(n for n in doc["@graph"] if n["@id"] == "res:model/gpt-1")
    assert gpt1["modelFamily"] == "GPT"
    assert gpt1["organization"] == "res:organization/openai"
    assert gpt1["created"] == {"@value": "2018-06-01", "@type": "xsd:date"}
    assert gpt1["maximumParameterCount"] == "117000000"
    context = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]
    assert context["modelFamily"] == "llmkg:modelFamily"
    assert context["organization"] == {"@id": "llmkg:organization", "@type": "@id"}


def test_jsonld_with_another_base_overrides_res(tmp_path, context_loader):
    from pyoxigraph import Quad

    from llmkg.graph.store import write_version

    base = "https://example.org/kg/"
    g = NamedNode(GRAPH + "awesome-llms")
    quads = [Quad(NamedNode(base + "model/x"), NamedNode("https://w3id.org/llmkg/ontology#modelFamily"),
                  Literal("X"), g)]
    write_version(tmp_path / "s", quads + [Quad(*quads[0].triple)], {"inputs_hash": "b", "base": base})
    data = export_bytes(open_source(tmp_path / "s", reference_context=True), "jsonld")
    doc = json.loads(data)
    assert doc["@context"] == [CONTEXT_IRI, {"res": base}]
    embedded = json.loads(export_bytes(open_source(tmp_path / "s"), "jsonld"))["@context"]
    assert embedded["res"] == base and embedded["modelFamily"] == "llmkg:modelFamily"
    got = jsonld_graphs(data)
    assert (rdflib.URIRef(base + "model/x"), None, None) in got[GRAPH + "awesome-llms"]


@pytest.mark.parametrize("fmt", ["turtle", "ntriples", "nquads", "trig", "jsonld", "rdfxml", "fair4ml"])
def test_exports_are_deterministic(export_store_dir, fmt):
    a = export_bytes(open_source(export_store_dir), fmt)
    b = export_bytes(open_source(export_store_dir), fmt)
    assert a == b


@pytest.mark.parametrize("fmt", ["turtle", "trig", "jsonld"])
def test_same_bytes_from_another_process(export_store_dir, tmp_path, fmt):
    """Hash randomization or map order must not leak into the output."""
    out = tmp_path / f"x.{fmt}"
    env = {"PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-m", "llmkg.cli", "export", "--format", fmt, "-o", str(out),
                    "--store", str(export_store_dir)], check=True, env=env)
    assert out.read_bytes() == export_bytes(open_source(export_store_dir), fmt)


def test_prefixes_are_declared(export_store_dir):
    ttl = export_bytes(open_source(export_store_dir), "turtle").decode()
    for prefix in ("llmkg", "res", "graph", "orkgp", "orkgc", "orkgr", "dcterms", "skos", "xsd"):
        assert f"@prefix {prefix}: <" in ttl
    assert "model:gpt-1 a llmkg:Model" in ttl      # compact names, rdf:type first
    xml = export_bytes(open_source(export_store_dir), "rdfxml").decode()
    assert 'xmlns:llmkg="https://w3id.org/llmkg/ontology#"' in xml


def test_blank_nodes_are_labelled_canonically(export_store_dir):
    trig = export_bytes(open_source(export_store_dir, "ontology"), "trig").decode()
    assert "_:c14n0" in trig


def test_unknown_graph_is_a_clear_error(export_store_dir):
    from llmkg.errors import LlmkgError

    with pytest.raises(LlmkgError, match="no graph 'nope'.*awesome-llms"):
        open_source(export_store_dir, "nope")


def test_cli_export_to_file_and_stdout(export_store_dir, tmp_path):
    from click.testing import CliRunner

    from llmkg.cli import main

    r = CliRunner().invoke(main, ["export", "--format", "ntriples", "--graph", "awesome-llms",
                                  "--store", str(export_store_dir)])
    assert r.exit_code == 0, r.output
    assert "<https://w3id.org/llmkg/resource/model/gpt-1>" in r.output
    out = tmp_path / "all.trig"
    r = CliRunner().invoke(main, ["export", "--format", "trig", "-o", str(out), "--store", str(export_store_dir)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes() == export_bytes(open_source(export_store_dir), "trig")
    r = CliRunner().invoke(main, ["export", "--format", "turtle", "--graph", "nope", "--store", str(export_store_dir)])
    assert r.exit_code == 2 and "no graph 'nope'" in r.output


# -- on the real data -----------------------------------------------------------------------

@needs_rapper
@pytest.mark.slow
@pytest.mark.parametrize("graph", [None, "awesome-llms"])
@pytest.mark.parametrize("fmt", ["turtle", "trig", "rdfxml"])
def test_real_data_exports_parse_and_are_isomorphic(real_store_dir, tmp_path, fmt, graph):
    src = open_source(real_store_dir, graph)
    data = export_bytes(src, fmt)
    if fmt == "trig":
        got = parsed_graphs_from_nquads(rapper_parse(data, "trig", tmp_path, dataset=True))
        assert_same_graphs(got, store_graphs(real_store_dir, src.graph))
    else:
        got = rdflib.Graph()
        got.parse(data=rapper_parse(data, TRIPLE_FORMATS[fmt], tmp_path, dataset=False), format="nt")
        want = triples_of(real_store_dir, src.graph)
        assert len(got) == len(want)
        assert isomorphic(got, want)
    assert data == export_bytes(open_source(real_store_dir, graph), fmt)


@pytest.mark.slow
@pytest.mark.parametrize("graph", [None, "awesome-llms"])
def test_real_data_jsonld_is_isomorphic(real_store_dir, context_loader, graph):
    src = open_source(real_store_dir, graph)
    assert_same_graphs(jsonld_graphs(export_bytes(src, "jsonld")), store_graphs(real_store_dir, src.graph))


# --- fair4ml -------------------------------------------------------------------------------

RDF = rdflib.RDF

def test_fair4ml_is_read_as_fair4ml_and_http_schema_org(export_store_dir, no_network):
    data = export_bytes(open_source(export_store_dir), "fair4ml")
    g = rdflib.Graph()
    g.parse(data=data.decode(), format="json-ld")
    S, F = "http://schema.org/", "https://w3id.org/fair4ml#"
    gpt1 = rdflib.URIRef("https://w3id.org/llmkg/resource/model/gpt-1")
    assert (gpt1, RDF.type, rdflib.URIRef(F + "MLModel")) in g
    assert (gpt1, rdflib.URIRef(S + "name"), rdflib.Literal("GPT-1")) in g
    assert (gpt1, rdflib.URIRef(S + "dateCreated"), rdflib.Literal("2018-06-01")) in g
    org = g.value(gpt1, rdflib.URIRef(S + "author"))
    assert str(org) == "https://w3id.org/llmkg/resource/organization/openai"
    assert (org, rdflib.URIRef(S + "name"), rdflib.Literal("OpenAI")) in g
    assert (gpt1, rdflib.URIRef(S + "conditionsOfAccess"), rdflib.Literal("closed")) in g
    paper = g.value(gpt1, rdflib.URIRef("https://w3id.org/codemeta/referencePublication"))
    assert (paper, RDF.type, rdflib.URIRef(S + "ScholarlyArticle")) in g
    assert (paper, rdflib.URIRef(S + "name"),
            rdflib.Literal("Improving Language Understanding by Generative Pre-Training")) in g
    bert = rdflib.URIRef("https://w3id.org/llmkg/resource/model/bert")
    assert (bert, rdflib.URIRef(S + "license"), rdflib.URIRef("http://spdx.org/licenses/Apache-2.0")) in g
    tasks = {str(o) for o in g.objects(bert, rdflib.URIRef(F + "mlTask"))}
    assert tasks == {"Masked Language Modeling", "Next Sentence Prediction"}
    # nothing in https://schema.org/ (FAIR4ML's schema.org is http:)
    assert not any(str(t).startswith("https://schema.org/") for tr in g for t in tr)
    models = set(g.subjects(RDF.type, rdflib.URIRef(F + "MLModel")))
    store_models = {sol["m"].value for sol in open_source(export_store_dir).store.query(
        "SELECT ?m WHERE { ?m a <https://w3id.org/llmkg/ontology#Model> }")}
    assert {str(m) for m in models} == store_models and len(models) == 7
