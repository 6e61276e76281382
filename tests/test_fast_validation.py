"""The fast SHACL engine (llmkg.check) gives exactly pySHACL's results.

Compared per source graph, result for result: focus node, result path, value, constraint
component, severity, message and source shape; then as the report llmkg prints. On the
shipped data, on generated data with every kind of violation the shapes catch (bench/generate.py),
and on small hand-written shapes for the SHACL constructs the shipped shapes do not use (yet):
logical constraints, other targets and paths, ill-typed literals, ranges across types, ... and
the fallback to pySHACL of a construct the engine does not compile.
"""

from __future__ import annotations

import logging
import shutil
import sys
import textwrap
from pathlib import Path

import pytest
from pyoxigraph import RdfFormat, Store

from llmkg import check as FS
from llmkg.check import validate as V
from llmkg.build.pipeline import check
from llmkg.build.compiled import list_files, make_context
from llmkg.config import Paths
from llmkg.check import FastValidator

pytestmark = pytest.mark.slow   # builds stores (pytest -m "not slow" leaves it out)

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bench/ (the generator) is not installed
    sys.path.insert(0, str(ROOT))
SHAPES = ROOT / "shapes"
CURATED = V.CURATED_GRAPH
G = V.GRAPH


def keys(runs) -> dict:
    """{source: {(focus, path, value, component, severity, shape, message)}}"""
    return {sid: {(str(r["focus"]), r["path"], None if r["value"] is None else str(r["value"]),
                   str(r["component"]), r["severity"], str(r["shape"]), r["message"]) for r in results}
            for sid, results in runs}


def both(store, shapes):
    fast = V.engine_runs(store, shapes, "fast")
    ref = V.engine_runs(store, shapes, "pyshacl")
    return keys(fast), keys(ref)


def store_of(data_dir: Path) -> Store:
    """The quads a build of ``data_dir`` stores (records, vocabularies, problems)."""
    from llmkg.build.pipeline import _entry, _replay, _vocabulary_quads, _winners
    from llmkg.build.compiled import compile_file, minted_quads

    files = list_files(data_dir)
    ctx = make_context(data_dir, Paths.resolve(data=data_dir).base, files)
    st = Store()
    vocab, _n = _vocabulary_quads(ctx)
    st.bulk_load(vocab, format=RdfFormat.N_QUADS)
    entries = []
    seen = set()
    for p, k, r in files:
        c = compile_file(p, k, r, ctx)
        if c.rid and (c.kind, c.rid) not in seen and c.nquads:
            seen.add((c.kind, c.rid))
            st.bulk_load(c.nquads, format=RdfFormat.N_QUADS)
        entries.append(_entry(c, 0, 0))
    st.extend(minted_quads(_winners(_replay(entries).minted), ctx.base))
    return st


@pytest.fixture(scope="module")
def shapes():
    return V.load_shapes(SHAPES)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """Generated records with every kind of defect the shapes catch."""
    from bench.generate import DEFECTS, generate

    d = tmp_path_factory.mktemp("generated") / "data"
    m = generate(1200, d, seed=7, invalid=0.05)
    assert {x["defect"] for x in m["defects"]} == {x.name for x in DEFECTS}
    return d


def test_the_shapes_compile(shapes):
    fv = FastValidator(shapes)
    assert fv.units and not fv.fallbacks, fv.fallbacks


def test_same_results_on_the_shipped_data(shapes):
    fast, ref = both(store_of(ROOT / "data"), shapes)
    assert fast == ref


@pytest.fixture(scope="module")
def generated_store(generated, shapes):
    """The generated store and pySHACL's results on it (computed once)."""
    st = store_of(generated)
    return st, keys(V.engine_runs(st, shapes, "pyshacl"))


# The engine lists the focus nodes of a shape first when there are at most SMALL_FOCUS of them
# and looks their values up; otherwise it scans the path's values and joins them by hash. The
# test data is small: with SMALL_FOCUS = 0 the second way is taken for every shape.
FOCUS_WAYS = pytest.mark.parametrize("small_focus", [FS.SMALL_FOCUS, 0], ids=["focus-listed", "focus-scanned"])


@FOCUS_WAYS
def test_same_results_on_generated_data_with_every_violation(shapes, generated_store, small_focus, monkeypatch):
    monkeypatch.setattr(FS, "SMALL_FOCUS", small_focus)
    st, ref = generated_store
    fast = keys(V.engine_runs(st, shapes, "fast"))
    assert fast == ref
    assert any(k[4] == "Violation" for ks in ref.values() for k in ks)
    # a missing value and a value of the wrong kind are among them (too many values: the
    # constructs below)
    components = {k[3].rsplit("#", 1)[1] for ks in ref.values() for k in ks}
    assert {"MinCountConstraintComponent", "NodeKindConstraintComponent"} <= components, components


@pytest.mark.parametrize("data", ["shipped", "generated"])
def test_same_report(data, generated, monkeypatch):
    monkeypatch.chdir(ROOT)
    d = ROOT / "data" if data == "shipped" else generated
    paths = Paths.resolve(data=d)
    fast = check(paths, engine="fast").report
    ref = check(paths, engine="pyshacl").report
    assert fast.to_text() == ref.to_text()
    assert fast.to_json() == ref.to_json()


# --- hand-written shapes: the SHACL core constructs and their edge cases --------------------

PREFIXES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <http://example.org/> .
"""

DATA = """
ex:a a ex:Thing ; ex:name "A", "A2" ; ex:n -5, 20, "7"^^xsd:decimal, "x"^^xsd:integer, "2.5"^^xsd:integer ;
     ex:d "2020-02-30"^^xsd:date, "2020-02-01"^^xsd:date, "2020"^^xsd:gYear, "soon" ;
     ex:u <http://example.org/page>, <https://example.org/page>, "not a url" ;
     ex:tag "Alpha", "beta", "Alpha\\n" ; ex:lang "hello"@en, "hallo"@de, "plain" ;
     ex:knows ex:b, ex:ghost ; ex:s "x"^^xsd:string .
ex:b a ex:Thing, ex:Other ; ex:name "  B" ; ex:knows ex:a ; ex:part ex:c .
ex:c ex:label "C" ; ex:part ex:d .
ex:d ex:label "a very long label that is longer than twenty" .
ex:e a ex:Other .
"""

CASES = {
    "counts": "ex:S a sh:NodeShape ; sh:targetClass ex:Thing ; sh:property [ sh:path ex:name ; sh:minCount 2 ; sh:maxCount 1 ] .",
    "or-datatypes": "ex:S a sh:PropertyShape ; sh:targetSubjectsOf ex:d ; sh:path ex:d ; "
                    "sh:or ( [ sh:datatype xsd:date ] [ sh:datatype xsd:gYear ] ) .",
    "guarded-range": "ex:S a sh:PropertyShape ; sh:targetSubjectsOf ex:n ; sh:path ex:n ; "
                     "sh:or ( [ sh:not [ sh:datatype xsd:integer ] ] [ sh:minInclusive 0 ; sh:maxInclusive 10 ] ) .",
    "ranges-across-types": "ex:S a sh:PropertyShape ; sh:targetSubjectsOf ex:n ; sh:path ex:n ; "
                           "sh:minExclusive 0 ; sh:maxExclusive \"2020-01-01\"^^xsd:date .",
    "date-bound": "ex:S a sh:PropertyShape ; sh:targetSubjectsOf ex:d ; sh:path ex:d ; "
                  "sh:maxInclusive \"2020-01-01\"^^xsd:date ; sh:message \"too late\" .",
    "datatype-ill-typed": "ex:S a sh:PropertyShape ; sh:targetSubjectsOf ex:n ; sh:path ex:n ; sh:datatype xsd:integer .",
    "not-pattern": "ex:S a sh:PropertyShape ; sh:targetSubjectsOf ex:u ; sh:path ex:u ; sh:not [ sh:pattern \"^http://\" ] .",
    "pattern-flags": "ex:S a sh:PropertyShape ; sh:targetSubjectsOf ex:tag ; sh:path ex:tag ; "
                     "sh:pattern \"^alpha$\" ; sh:flags \"i\" .",
    "node-kind-and": "ex:S a sh:PropertyShape ; sh:targetSubjectsOf ex:u ; sh:path ex:u ; "
                     "sh:and ( [ sh:nodeKind sh:IRI ] [ sh:pattern \"^https\" ] ) .",
    "xone": "ex:S a sh:PropertyShape ; sh:targetSubjectsOf ex:n ; sh:path ex:n ; "
            "sh:xone ( [ sh:datatype xsd:integer ] [ sh:minInclusive 0 ] ) .",
    "in-with-string-types": "ex:S a sh:PropertyShape ; sh:targetSubjectsOf ex:tag ; sh:path ex:tag ; "
                            "sh:in ( \"Alpha\" \"beta\"^^xsd:string ) .",
    "has-value": "ex:S a sh:NodeShape ; sh:targetClass ex:Thing ; sh:property [ sh:path ex:knows ; sh:hasValue ex:a ] .",
    "class-and-dangling": "ex:S a sh:PropertyShape ; sh:targetSubjectsOf ex:knows ; sh:path ex:knows ; sh:class ex:Thing .",
    "node-shape-class": "ex:S a sh:NodeShape ; sh:targetNode ex:a, ex:c, ex:zzz ; sh:class ex:Thing ; sh:message \"no\" .",
    "node-shape-in": "ex:S a sh:NodeShape ; sh:targetClass ex:Other ; sh:in ( ex:b ) .",
    "target-objects-of-inverse": "ex:S a sh:PropertyShape ; sh:targetObjectsOf ex:knows ; "
                                 "sh:path [ sh:inversePath ex:knows ] ; sh:maxCount 0 .",
    "sequence-path": "ex:S a sh:PropertyShape ; sh:targetNode ex:b ; sh:path ( ex:part ex:part ex:label ) ; "
                     "sh:maxLength 20 .",
    "alternative-path": "ex:S a sh:PropertyShape ; sh:targetClass ex:Thing ; "
                        "sh:path [ sh:alternativePath ( ex:name ex:label ) ] ; sh:minCount 3 .",
    "zero-or-more-path": "ex:S a sh:PropertyShape ; sh:targetNode ex:b ; sh:path [ sh:zeroOrMorePath ex:part ] ; "
                         "sh:maxCount 2 .",
    "lengths": "ex:S a sh:PropertyShape ; sh:targetSubjectsOf ex:name ; sh:path ex:name ; sh:minLength 2 ; sh:maxLength 3 .",
    "language-in": "ex:S a sh:PropertyShape ; sh:targetSubjectsOf ex:lang ; sh:path ex:lang ; sh:languageIn ( \"en\" ) .",
    "node-constraint": "ex:N a sh:NodeShape ; sh:datatype xsd:integer . "
                       "ex:S a sh:PropertyShape ; sh:targetSubjectsOf ex:n ; sh:path ex:n ; sh:node ex:N .",
    "nested-property": "ex:S a sh:NodeShape ; sh:targetClass ex:Thing ; sh:property ex:P . "
                       "ex:P a sh:PropertyShape ; sh:path ex:knows ; sh:property ex:Q . "
                       "ex:Q a sh:PropertyShape ; sh:path ex:name ; sh:minCount 1 ; sh:severity sh:Warning .",
    "deactivated": "ex:S a sh:PropertyShape ; sh:targetSubjectsOf ex:n ; sh:path ex:n ; sh:datatype xsd:integer ; "
                   "sh:deactivated true .",
    "sparql-target-and-constraint": """
        ex:S a sh:NodeShape ;
          sh:target [ a sh:SPARQLTarget ; sh:select "SELECT ?this WHERE { ?this a <http://example.org/Thing> }" ] ;
          sh:sparql [ a sh:SPARQLConstraint ;
            sh:select "SELECT $this ?value ?n WHERE { $this <http://example.org/n> ?n . FILTER (isNumeric(?n) && ?n > 10) BIND (?n AS ?value) }" ] ;
          sh:message "{$this} has {?n}" .""",
    # a target guarded by a condition on the whole graph (FILTER EXISTS sharing no variable
    # with the rest, as llmkgsh:PaperInSource-year's): joined rather than filtered, met or not
    "sparql-target-guard-met": """
        ex:S a sh:PropertyShape ;
          sh:target [ a sh:SPARQLTarget ; sh:select "SELECT ?this WHERE { { ?this <http://example.org/name> ?x } UNION { ?this <http://example.org/n> ?y } FILTER EXISTS { ?any <http://example.org/d> ?date } }" ] ;
          sh:path ex:missing ; sh:minCount 1 .""",
    "sparql-target-guard-unmet": """
        ex:S a sh:PropertyShape ;
          sh:target [ a sh:SPARQLTarget ; sh:select "SELECT ?this WHERE { { ?this <http://example.org/name> ?x } UNION { ?this <http://example.org/n> ?y } FILTER EXISTS { ?any <http://example.org/nowhere> ?date } }" ] ;
          sh:path ex:missing ; sh:minCount 1 .""",
    "sparql-property": """
        ex:S a sh:PropertyShape ; sh:targetSubjectsOf ex:name ; sh:path ex:name ;
          sh:sparql [ a sh:SPARQLConstraint ; sh:message "name {?value} starts with spaces" ;
            sh:select "SELECT $this ?value WHERE { $this $PATH ?value . FILTER (STRSTARTS(STR(?value), ' ')) }" ] .""",
    "implicit-class-target": "ex:Thing a rdfs:Class, sh:NodeShape ; sh:property [ sh:path ex:knows ; sh:minCount 2 ] .",
    # focus nodes that are literals (read back from the store's TSV, where 5 is written bare)
    "literal-target-nodes": "ex:S a sh:NodeShape ; sh:targetNode \"A\", 5, \"x\"@en, ex:a ; sh:datatype xsd:string .",
    "generic-messages": "ex:S a sh:PropertyShape ; sh:targetSubjectsOf ex:knows ; sh:path ex:knows ; "
                        "sh:class ex:Other ; sh:nodeKind sh:Literal .",
}


def small_store(data: str) -> Store:
    st = Store()
    st.bulk_load((PREFIXES + data).encode(), format=RdfFormat.TURTLE, to_graph=_nn(CURATED))
    return st


def _nn(iri):
    from pyoxigraph import NamedNode
    return NamedNode(iri)


def shapes_graph(text: str):
    from rdflib import Graph
    return Graph().parse(data=PREFIXES + text, format="turtle")


@FOCUS_WAYS
@pytest.mark.parametrize("name", sorted(CASES))
def test_constructs(name, small_focus, monkeypatch):
    monkeypatch.setattr(FS, "SMALL_FOCUS", small_focus)
    shapes = shapes_graph(CASES[name])
    fast, ref = both(small_store(DATA), shapes)
    assert fast == ref
    fv = FastValidator(shapes)
    assert not fv.fallbacks, fv.fallbacks


def test_per_source_graph_semantics():
    """graph:curated + each source graph on its own: a fact of one source does not satisfy
    another's minCount, a type in curated serves every source, and a result found in several
    source graphs is reported once, by the first."""
    st = small_store("ex:m a ex:Model ; ex:name \"M\" . ex:org a ex:Org .")
    for sid, ttl in (("one", "ex:m ex:inSource \"M1\" ; ex:org ex:org ."),
                     ("two", "ex:m ex:inSource \"M2\" ; ex:org ex:nobody ."),
                     ("three", "ex:x ex:unrelated 1 .")):
        st.bulk_load((PREFIXES + ttl).encode(), format=RdfFormat.TURTLE, to_graph=_nn(G + sid))
    shapes = shapes_graph("""
        ex:S a sh:PropertyShape ; sh:targetSubjectsOf ex:inSource ; sh:path ex:org ; sh:minCount 1 ; sh:class ex:Org .
        ex:T a sh:PropertyShape ; sh:targetClass ex:Model ; sh:path ex:inSource ; sh:maxCount 1 .
        ex:U a sh:PropertyShape ; sh:targetClass ex:Model ; sh:path ex:other ; sh:minCount 1 .""")
    fast, ref = both(st, shapes)
    assert fast == ref
    assert set(fast) == {"one", "three", "two"}


def test_a_construct_it_does_not_compile_falls_back_to_pyshacl(caplog):
    shapes = shapes_graph(CASES["counts"] + """
        ex:C a sh:NodeShape ; sh:targetClass ex:Thing ; sh:closed true ; sh:ignoredProperties ( rdf:type ) ;
          sh:property [ sh:path ex:name ] .""")
    with caplog.at_level(logging.DEBUG, logger="llmkg.check"):
        fv = FastValidator(shapes)
    assert [str(n) for n, _why in fv.fallbacks] == ["http://example.org/C"]
    assert "FALLBACK to pySHACL for shape http://example.org/C" in caplog.text
    fast, ref = both(small_store(DATA), shapes)
    assert fast == ref
    assert any("ClosedConstraintComponent" in k[3] for ks in ref.values() for k in ks)


def test_edited_shapes_are_compiled_as_they_are(tmp_path, shapes):
    """The engine reads whatever shapes it is given: a shape added to the shipped ones is
    checked, and gives pySHACL's results."""
    d = tmp_path / "shapes"
    shutil.copytree(SHAPES, d)
    (d / "extra.ttl").write_text(PREFIXES + textwrap.dedent("""
        @prefix llmkg: <https://w3id.org/llmkg/ontology#> .
        ex:ShortNames a sh:PropertyShape ; sh:targetClass llmkg:Model ; sh:path rdfs:label ;
            sh:maxLength 4 ; sh:severity sh:Info ; sh:message "a long name" .
        """), encoding="utf-8")
    extended = V.load_shapes(d)
    st = store_of(ROOT / "data")
    fast, ref = both(st, extended)
    assert fast == ref
    assert any(k[5] == "http://example.org/ShortNames" for ks in fast.values() for k in ks)


def test_an_uncorrelated_filter_exists_becomes_a_join():
    """FILTER EXISTS { P }, P sharing no variable with the rest of the query, is the same for
    every solution: the query Oxigraph runs joins { SELECT ?_llmkg_guard WHERE { P } LIMIT 1 }
    instead (one solution without bindings, or none). A correlated one stays a filter."""
    from llmkg.check.analysis import _hash_join_text_uncached

    p = "PREFIX ex: <http://example.org/>\n"
    text = ("SELECT DISTINCT ?this WHERE { { ?this ex:a ?x } UNION { ?this ex:b ?y } ?this a ex:C . "
            "FILTER EXISTS { ?d ex:year ?yr } }")
    assert _hash_join_text_uncached(text, p) == (
        "SELECT DISTINCT ?this{{{SELECT ?this ?x{?this <http://example.org/a> ?x.}}}UNION"
        "{{SELECT ?this ?y{?this <http://example.org/b> ?y.}}}"
        "{SELECT ?this{?this <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://example.org/C>.}}"
        "{SELECT ?_llmkg_guard{{SELECT ?d ?yr{?d <http://example.org/year> ?yr.}}}OFFSET 0 LIMIT 1}}")
    correlated = "SELECT DISTINCT ?this WHERE { ?this ex:a ?x . ?this a ex:C . FILTER EXISTS { ?this ex:year ?yr } }"
    assert "FILTER(EXISTS {?this <http://example.org/year> ?yr.})" in _hash_join_text_uncached(correlated, p)
