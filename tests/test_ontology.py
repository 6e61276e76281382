"""The llmkg ontology (ontology/llmkg.ttl) declares every term the graph uses."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from llmkg.records import schema
from llmkg.vocab import LLMKG, ONTOLOGY_IRI, expand

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY_FILE = ROOT / "ontology" / "llmkg.ttl"
SHAPES_DIR = ROOT / "shapes"
RDF_MODEL = ROOT / "docs" / "rdf-model.md"

SH = Namespace("http://www.w3.org/ns/shacl#")
L = Namespace(LLMKG)
PROPERTY_TYPES = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)

# value kinds (schema.py) whose values are IRIs, and those whose values are literals
OBJECT_KINDS = ("url", "urls", "ref:", "refs:", "concept:", "concepts:", "problems", "access", "sections")
DATATYPE_KINDS = ("text", "texts", "date", "params", "millions", "number", "integer", "orkg-id")


@pytest.fixture(scope="module")
def onto() -> Graph:
    return Graph().parse(ONTOLOGY_FILE, format="turtle")


def all_fields():
    for fields in schema.TOP_FIELDS.values():
        yield from fields
    for fields in schema.SOURCE_BLOCK_FIELDS.values():
        yield from fields
    yield from schema.SECTION_FIELDS
    yield from schema.SECTION_ENTRY_FIELDS


def schema_properties() -> set[URIRef]:
    return {URIRef(expand(f.prop)) for f in all_fields() if f.prop != "-"}


def rdf_model_terms() -> set[URIRef]:
    text = RDF_MODEL.read_text(encoding="utf-8")
    return {URIRef(LLMKG + m) for m in re.findall(r"\bllmkg:([A-Za-z][A-Za-z0-9]*)", text)}


def code_terms() -> set[URIRef]:
    """llmkg: terms the Python code names (mapping, validate...)."""
    found = set()
    for f in (ROOT / "src" / "llmkg").rglob("*.py"):
        for m in re.findall(r"[\"']llmkg:([A-Za-z][A-Za-z0-9]*)[\"']", f.read_text(encoding="utf-8")):
            found.add(URIRef(LLMKG + m))
    return found


def shapes_graph() -> Graph:
    g = Graph()
    for f in sorted(SHAPES_DIR.glob("*.ttl")):
        g.parse(f, format="turtle")
    return g


def english(g: Graph, s, p) -> list[Literal]:
    return [o for o in g.objects(s, p) if isinstance(o, Literal) and o.language == "en"]


def assert_declared(g: Graph, term: URIRef):
    assert (term, RDF.type, None) in g, f"{term} has no rdf:type"
    assert len(english(g, term, RDFS.label)) == 1, f"{term} needs one English rdfs:label"
    assert english(g, term, RDFS.comment), f"{term} needs an English rdfs:comment"


# --- the ontology as a document ----------------------------------------------------------------

def test_header(onto):
    o = URIRef(ONTOLOGY_IRI)
    assert (o, RDF.type, OWL.Ontology) in onto
    assert onto.value(o, OWL.versionInfo) is not None
    assert english(onto, o, DCTERMS.title) and english(onto, o, DCTERMS.description)
    assert str(onto.value(o, DCTERMS.license)).endswith("/MIT")


def test_namespace_is_the_one_the_code_uses(onto):
    assert LLMKG == ONTOLOGY_IRI + "#"
    for s in set(onto.subjects()):
        if isinstance(s, URIRef) and s.startswith("https://w3id.org/llmkg/"):
            assert s == URIRef(ONTOLOGY_IRI) or s.startswith(LLMKG) or s.startswith(ONTOLOGY_IRI + "/"), s


@pytest.mark.skipif(shutil.which("rapper") is None, reason="rapper (raptor2-utils) is not installed")
def test_rapper_parses_it():
    r = subprocess.run(["rapper", "-i", "turtle", "-c", str(ONTOLOGY_FILE)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "returned" in r.stderr and "error" not in r.stderr.lower()


# --- every term is declared ----------------------------------------------------------------------

def test_every_schema_property_is_declared(onto):
    for p in sorted(schema_properties()):
        assert_declared(onto, p)
        assert any((p, RDF.type, t) in onto for t in PROPERTY_TYPES), p


def test_every_llmkg_term_of_the_rdf_model_is_declared(onto):
    terms = rdf_model_terms()
    assert len(terms) > 30
    for t in sorted(terms):
        assert_declared(onto, t)


def test_every_llmkg_term_the_code_names_is_declared(onto):
    for t in sorted(code_terms()):
        assert_declared(onto, t)


def test_every_llmkg_subject_is_declared(onto):
    for s in set(onto.subjects()):
        if isinstance(s, URIRef) and s.startswith(LLMKG):
            assert_declared(onto, s)


def test_text_companions_are_declared(onto):
    for local in ("createdText", "licenseText", "architectureText", "trainingPetaFLOPsText",
                  "contextLengthText", "retrievedText"):
        assert (L[local], RDF.type, OWL.DatatypeProperty) in onto, local


def test_classes(onto):
    for local in ("Model", "Organization", "ReadingList", "ReadingListSection", "ReadingListEntry",
                  "Source", "SourceGraph", "ParameterVariant", "License", "Architecture", "Corpus",
                  "AccessLevel"):
        assert (L[local], RDF.type, OWL.Class) in onto, local
        assert_declared(onto, L[local])
    orkgc = Namespace("http://orkg.org/orkg/class/")
    for local in ("Paper", "Contribution", "Problem", "ResearchField"):
        assert (orkgc[local], RDF.type, OWL.Class) in onto, local
        assert_declared(onto, orkgc[local])


def test_access_levels_are_skos_concepts_of_one_scheme(onto):
    scheme = L.AccessLevels
    assert (scheme, RDF.type, SKOS.ConceptScheme) in onto
    levels = {L.Open, L.Limited, L.Closed, L.Unknown}
    assert set(onto.objects(scheme, SKOS.hasTopConcept)) == levels
    for c in levels:
        assert (c, RDF.type, SKOS.Concept) in onto and (c, RDF.type, L.AccessLevel) in onto
        assert (c, SKOS.inScheme, scheme) in onto
        assert english(onto, c, SKOS.prefLabel)
        assert_declared(onto, c)


def test_orkg_terms(onto):
    orkgp = Namespace("http://orkg.org/orkg/predicate/")
    labels = {"P31": "has contribution", "P32": "research problem", "P26": "DOI",
              "P28": "publication month", "P29": "publication year", "P30": "research field"}
    for local, label in labels.items():
        assert [str(x) for x in english(onto, orkgp[local], RDFS.label)] == [label], local
        assert_declared(onto, orkgp[local])


# --- labels, kinds of properties, domains and ranges -------------------------------------------

def test_properties_with_an_orkg_comparison_label_carry_exactly_that_label(onto):
    seen = {}
    for f in all_fields():
        if f.orkg_label and f.prop != "-":
            p = URIRef(expand(f.prop))
            seen.setdefault(p, set()).add(f.orkg_label)
    assert len(seen) > 20
    for p, labels in seen.items():
        assert len(labels) == 1, (p, labels)
        assert [str(x) for x in english(onto, p, RDFS.label)] == list(labels), p


def test_object_and_datatype_properties_match_the_value_kinds(onto):
    for f in all_fields():
        if f.prop == "-" or not f.prop.startswith("llmkg:"):
            continue
        p = URIRef(expand(f.prop))
        if f.kind.startswith(OBJECT_KINDS):
            assert (p, RDF.type, OWL.ObjectProperty) in onto, (f.key, p)
        elif f.kind.startswith(DATATYPE_KINDS):
            assert (p, RDF.type, OWL.DatatypeProperty) in onto, (f.key, p)
        else:  # pragma: no cover - a new kind in schema.py
            raise AssertionError(f"unknown value kind {f.kind!r}")
    for p in set(onto.subjects(RDF.type, OWL.ObjectProperty)) | set(onto.subjects(RDF.type, OWL.DatatypeProperty)):
        kinds = [t for t in PROPERTY_TYPES if (p, RDF.type, t) in onto]
        assert len(kinds) == 1, (p, kinds)


def test_datatype_ranges_are_datatypes_and_object_ranges_are_classes(onto):
    xsd = "http://www.w3.org/2001/XMLSchema#"
    for p in onto.subjects(RDF.type, OWL.DatatypeProperty):
        for r in onto.objects(p, RDFS.range):
            assert str(r).startswith(xsd), (p, r)
    classes = set(onto.subjects(RDF.type, OWL.Class))
    for p in onto.subjects(RDF.type, OWL.ObjectProperty):
        for r in onto.objects(p, RDFS.range):
            assert r in classes, (p, r)
        for d in onto.objects(p, RDFS.domain):
            members = Collection(onto, onto.value(d, OWL.unionOf)) if onto.value(d, OWL.unionOf) else [d]
            assert all(m in classes for m in members), (p, d)


def test_counts_are_integers(onto):
    xsd = Namespace("http://www.w3.org/2001/XMLSchema#")
    for local in ("maximumParameterCount", "declaredMaximumParameterCount", "parameterCount",
                  "contextLength", "position", "year"):
        assert onto.value(L[local], RDFS.range) == xsd.integer, local
    assert onto.value(L.trainingPetaFLOPs, RDFS.range) == xsd.decimal


def test_alignments(onto):
    schema_ = Namespace("https://schema.org/")
    prov = Namespace("http://www.w3.org/ns/prov#")
    foaf = Namespace("http://xmlns.com/foaf/0.1/")
    assert {schema_.CreativeWork, prov.Entity} <= set(onto.objects(L.Model, RDFS.subClassOf))
    assert {foaf.Agent, prov.Agent} <= set(onto.objects(L.Organization, RDFS.subClassOf))
    assert {schema_.Organization, foaf.Organization} <= set(onto.objects(L.Organization, SKOS.closeMatch))
    assert prov.wasAttributedTo in set(onto.objects(L.organization, RDFS.subPropertyOf))
    assert schema_.codeRepository in set(onto.objects(L.sourceCode, SKOS.closeMatch))


# --- the shapes use declared terms only -------------------------------------------------------

def _path_properties(g: Graph, path) -> set:
    if isinstance(path, URIRef):
        return {path}
    out = set()
    for p in (SH.inversePath, SH.zeroOrMorePath, SH.oneOrMorePath, SH.zeroOrOnePath):
        inner = g.value(path, p)
        if inner is not None:
            out |= _path_properties(g, inner)
    alt = g.value(path, SH.alternativePath)
    if alt is not None:
        for item in Collection(g, alt):
            out |= _path_properties(g, item)
    if (path, RDF.first, None) in g:  # a sequence path
        for item in Collection(g, path):
            out |= _path_properties(g, item)
    assert out, f"unknown path {path!r}"
    return out


def test_every_shape_path_class_and_target_is_declared(onto):
    g = shapes_graph()
    used: set = set()
    for path in g.objects(None, SH.path):
        used |= _path_properties(g, path)
    for p in (SH["class"], SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf):
        used |= set(g.objects(None, p))
    for lst in g.objects(None, SH["in"]):
        used |= {x for x in Collection(g, lst) if isinstance(x, URIRef)}
    assert len(used) > 40
    for t in sorted(used):
        assert_declared(onto, t)
