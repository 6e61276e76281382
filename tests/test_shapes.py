"""The SHACL shapes (shapes/llmkg.shapes.ttl) on hand-written graphs.

Each graph is ``graph:curated`` plus one source graph, written in Turtle exactly as
docs/rdf-model.md (and llmkg.graph.mapping) produce them. A conforming sample gives no result at
all; every other case changes the sample so that it breaks exactly one constraint and checks
the exact set of (focus node, result path, constraint component, severity) pySHACL reports.

pySHACL runs as llmkg.check.validate runs it: ``inference='none'``, ``advanced=True`` (SPARQL
targets), and "today" put in place of the placeholder ``"2999-12-31"^^xsd:date`` by a
replacement in the text of the shapes file (plus ``inplace=True``, which only skips copying
the data graph). The Turtle uses ``@base <https://w3id.org/llmkg/resource/>`` and ``<model/gpt-3>``
where docs/rdf-model.md writes ``res:model/gpt-3``: a prefixed name cannot contain "/".
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pyshacl
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SKOS, XSD

ROOT = Path(__file__).resolve().parents[1]
SHAPES_FILE = ROOT / "shapes" / "llmkg.shapes.ttl"
ONTOLOGY_FILE = ROOT / "ontology" / "llmkg.ttl"

PLACEHOLDER = '"2999-12-31"^^xsd:date'
TODAY = dt.date.today()

SH = Namespace("http://www.w3.org/ns/shacl#")
LLMKG = Namespace("https://w3id.org/llmkg/ontology#")
RES = Namespace("https://w3id.org/llmkg/resource/")
ORKGC = Namespace("http://orkg.org/orkg/class/")
ORKGP = Namespace("http://orkg.org/orkg/predicate/")
DCT = Namespace("http://purl.org/dc/terms/")
SDO = Namespace("https://schema.org/")
PROV = Namespace("http://www.w3.org/ns/prov#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")

V, W, I = SH.Violation, SH.Warning, SH.Info

PREFIXES = """
@prefix llmkg:   <https://w3id.org/llmkg/ontology#> .
@prefix res:     <https://w3id.org/llmkg/resource/> .
@prefix graph:   <https://w3id.org/llmkg/graph/> .
@prefix orkgc:   <http://orkg.org/orkg/class/> .
@prefix orkgp:   <http://orkg.org/orkg/predicate/> .
@prefix orkgr:   <http://orkg.org/orkg/resource/> .
@prefix rdfs:    <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .
@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix schema:  <https://schema.org/> .
@prefix prov:    <http://www.w3.org/ns/prov#> .
@prefix foaf:    <http://xmlns.com/foaf/0.1/> .
@prefix spdx:    <http://spdx.org/licenses/> .
@base <https://w3id.org/llmkg/resource/> .
"""

# graph:curated: the top-level keys of the records and the vocabularies.
CURATED = """
<model/gpt-3> a llmkg:Model ; rdfs:label "GPT-3" ; skos:altLabel "GPT3" ;
    rdfs:seeAlso <https://en.wikipedia.org/wiki/GPT-3> ; llmkg:wikidata "Q95726734" .
<paper/language-models-are-few-shot-learners> a orkgc:Paper ;
    rdfs:label "Language Models are Few-Shot Learners" ;
    dcterms:title "Language Models are Few-Shot Learners" ;
    orkgp:P26 "10.48550/arXiv.2005.14165" ; llmkg:arxivId "2005.14165" ;
    llmkg:orkgId "R370897" ; skos:exactMatch orkgr:R370897 .
<paper/attention-is-all-you-need> a orkgc:Paper ;
    rdfs:label "Attention Is All You Need" ; dcterms:title "Attention Is All You Need" .
<organization/openai> a llmkg:Organization ; rdfs:label "OpenAI" ; skos:altLabel "Open AI" ;
    foaf:homepage <https://openai.com/> ; llmkg:organizationKind "company" ;
    schema:addressCountry "United States" .
<source/awesome-llms> a llmkg:Source ; rdfs:label "awesome-LLMs" ; dcterms:title "awesome-LLMs" ;
    dcterms:creator "Jennifer D'Souza" ; dcterms:license spdx:CC-BY-SA-4.0 ;
    schema:url <https://github.com/jd-coderepos/awesome-llms> ;
    llmkg:retrieved "2024-05-01"^^xsd:date ; llmkg:retrievedText "2024-05-01" ;
    llmkg:sourceFile "sources/awesome-llms.md" .
<source/llm-paper-club> a llmkg:Source ; rdfs:label "LLM paper club" ; dcterms:title "LLM paper club" ;
    dcterms:creator "Eugene Yan" ; dcterms:license spdx:CC-BY-4.0 ;
    schema:url <https://eugeneyan.com/writing/llm-reading-list/> .
graph:awesome-llms a llmkg:SourceGraph ; prov:wasDerivedFrom <source/awesome-llms> ;
    dcterms:license spdx:CC-BY-SA-4.0 .
<scheme/licenses> a skos:ConceptScheme ; rdfs:label "Licenses" .
<scheme/architectures> a skos:ConceptScheme ; rdfs:label "Architectures" .
<scheme/corpora> a skos:ConceptScheme ; rdfs:label "Corpora" .
<license/closed-source> a skos:Concept, llmkg:License ; skos:inScheme <scheme/licenses> ;
    skos:prefLabel "closed source" ; rdfs:label "closed source" ; llmkg:accessLevel llmkg:Closed .
spdx:Apache-2.0 a skos:Concept, llmkg:License ; skos:inScheme <scheme/licenses> ;
    skos:prefLabel "Apache License 2.0" ; rdfs:label "Apache License 2.0" ;
    skos:altLabel "Apache 2.0" ; llmkg:accessLevel llmkg:Open ; llmkg:spdxId "Apache-2.0" .
<architecture/decoder> a skos:Concept, llmkg:Architecture ; skos:inScheme <scheme/architectures> ;
    skos:prefLabel "Decoder" ; rdfs:label "Decoder" .
<corpus/common-crawl> a skos:Concept, llmkg:Corpus ; skos:inScheme <scheme/corpora> ;
    skos:prefLabel "Common Crawl" ; rdfs:label "Common Crawl" ; foaf:page <https://commoncrawl.org/> .
"""

# graph:awesome-llms (and, for brevity, the reading list of graph:llm-paper-club).
SOURCE = """
<model/gpt-3>
    llmkg:nameInSource "GPT-3" ; llmkg:sourceSection "OpenAI" ;
    llmkg:introducedIn <paper/language-models-are-few-shot-learners> ;
    llmkg:modelFamily "GPT" ;
    dcterms:created "2020-05-01"^^xsd:date ; llmkg:createdText "2020-05-01" ;
    llmkg:organization <organization/openai> ;
    llmkg:innovation "In-context learning at scale." ;
    llmkg:architecture <architecture/decoder> ; llmkg:architectureText "Decoder" ;
    llmkg:parameterCountText "3B, 30B and 175B" ;
    llmkg:parameterVariant <model/gpt-3/parameters/awesome-llms/1>,
        <model/gpt-3/parameters/awesome-llms/2>, <model/gpt-3/parameters/awesome-llms/3> ;
    llmkg:maximumParameterCount 175000000000 ;
    llmkg:declaredMaximumParameterCount 175000000000 ;
    llmkg:license <license/closed-source> ; llmkg:licenseText "closed source" ;
    llmkg:accessLevel llmkg:Closed ;
    llmkg:sourceCode <https://github.com/openai/gpt-3> ;
    llmkg:blogPost <https://openai.com/blog/gpt-3-apps> ;
    llmkg:releaseLink <https://github.com/openai/gpt-3> ;
    foaf:page <https://openai.com/research/gpt-3> ;
    llmkg:trainingCorpus "Common Crawl, WebText2, Books1, Books2 and Wikipedia" ;
    llmkg:trainedOn <corpus/common-crawl> ;
    llmkg:trainingPetaFLOPs 314000000.0 ; llmkg:trainingPetaFLOPsText "314M" ;
    llmkg:contextLength 2048 ; llmkg:contextLengthText "2048" ;
    llmkg:field "Language" .
<model/gpt-3/parameters/awesome-llms/1> a llmkg:ParameterVariant ;
    rdfs:label "3B" ; llmkg:parameterCount 3000000000 .
<model/gpt-3/parameters/awesome-llms/2> a llmkg:ParameterVariant ;
    rdfs:label "30B" ; llmkg:parameterCount 30000000000 .
<model/gpt-3/parameters/awesome-llms/3> a llmkg:ParameterVariant ;
    rdfs:label "175B" ; llmkg:parameterCount 175000000000 .
<paper/language-models-are-few-shot-learners> orkgp:P31 <contribution/awesome-llms/gpt-3> ;
    dcterms:creator "Tom B. Brown", "Benjamin Mann" ;
    llmkg:authorList "Tom B. Brown; Benjamin Mann" ;
    orkgp:P29 2020 ; orkgp:P28 5 ; llmkg:venue "NeurIPS" ;
    schema:url <https://arxiv.org/abs/2005.14165> ;
    llmkg:organization <organization/openai> .
<contribution/awesome-llms/gpt-3> a orkgc:Contribution ;
    rdfs:label "GPT-3 (awesome-llms)" ; llmkg:hasModel <model/gpt-3> ;
    llmkg:orkgId "R370898" ; skos:exactMatch orkgr:R370898 ;
    orkgp:P32 <problem/large-language-models-llms> .
<problem/large-language-models-llms> a orkgc:Problem ; rdfs:label "Large Language Models (LLMs)" .
<organization/openai> llmkg:nameInSource "OpenAI" ; foaf:page <https://openai.com/> .

<reading-list/llm-paper-club> a llmkg:ReadingList ;
    rdfs:label "Language Modeling Reading List" ; dcterms:title "Language Modeling Reading List" ;
    dcterms:creator "Eugene Yan" ; schema:url <https://eugeneyan.com/writing/llm-reading-list/> ;
    llmkg:year 2024 ; prov:wasDerivedFrom <source/llm-paper-club> ;
    llmkg:section <reading-list/llm-paper-club/section/1> .
<reading-list/llm-paper-club/section/1> a llmkg:ReadingListSection ;
    dcterms:title "Papers" ; llmkg:position 1 ;
    llmkg:entry <reading-list/llm-paper-club/section/1/entry/1> .
<reading-list/llm-paper-club/section/1/entry/1> a llmkg:ReadingListEntry ; llmkg:position 1 ;
    llmkg:paper <paper/attention-is-all-you-need> ;
    rdfs:label "Attention Is All You Need" ; skos:note "Query, Key, and Value are all you need" .
<paper/attention-is-all-you-need> orkgp:P29 2017 .
"""

# IRIs used in the expectations
GPT3 = RES["model/gpt-3"]
PAPER = RES["paper/language-models-are-few-shot-learners"]
ATTENTION = RES["paper/attention-is-all-you-need"]
OPENAI = RES["organization/openai"]
CONTRIB = RES["contribution/awesome-llms/gpt-3"]
PROBLEM = RES["problem/large-language-models-llms"]
VARIANT3 = RES["model/gpt-3/parameters/awesome-llms/3"]
SOURCE_AL = RES["source/awesome-llms"]
SOURCE_GRAPH = URIRef("https://w3id.org/llmkg/graph/awesome-llms")
LIST = RES["reading-list/llm-paper-club"]
SECTION = RES["reading-list/llm-paper-club/section/1"]
ENTRY = RES["reading-list/llm-paper-club/section/1/entry/1"]
CLOSED_SOURCE = RES["license/closed-source"]
DECODER = RES["architecture/decoder"]

C = SH  # constraint components: C.DatatypeConstraintComponent ...


# --- running pySHACL -------------------------------------------------------------------------

def shapes_text(today: dt.date = TODAY) -> str:
    """The shapes with today's date in place of the placeholder, as llmkg.check.validate does it."""
    text = SHAPES_FILE.read_text(encoding="utf-8")
    return text.replace(PLACEHOLDER, f'"{today.isoformat()}"^^xsd:date')


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(data=shapes_text(), format="turtle")


def data_graph(add: str = "", remove: str = "") -> Graph:
    g = Graph().parse(data=PREFIXES + CURATED + SOURCE, format="turtle")
    if remove:
        for t in Graph().parse(data=PREFIXES + remove, format="turtle"):
            assert t in g, f"not in the sample: {t}"
            g.remove(t)
    if add:
        g.parse(data=PREFIXES + add, format="turtle")
    return g


def path_key(g: Graph, path):
    """A comparable form of a SHACL path: the IRI, or ('alternative', (...)) / ('inverse', p)."""
    if path is None or isinstance(path, URIRef):
        return path
    alt = g.value(path, SH.alternativePath)
    if alt is not None:
        return ("alternative", tuple(Collection(g, alt)))
    inv = g.value(path, SH.inversePath)
    if inv is not None:
        return ("inverse", inv)
    raise AssertionError(f"unexpected path {path!r}")


def run(shapes: Graph, data: Graph):
    conforms, report, _text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True,
        abort_on_first=False, meta_shacl=False, inplace=True)
    results = []
    for r in report.subjects(RDF.type, SH.ValidationResult):
        results.append({
            "focus": report.value(r, SH.focusNode),
            "path": path_key(report, report.value(r, SH.resultPath)),
            "component": report.value(r, SH.sourceConstraintComponent),
            "severity": report.value(r, SH.resultSeverity),
            "value": report.value(r, SH.value),
            "messages": [str(m) for m in report.objects(r, SH.resultMessage)],
            "shape": report.value(r, SH.sourceShape),
        })
    return conforms, results


def keys(results) -> set:
    return {(r["focus"], r["path"], r["component"], r["severity"]) for r in results}


# --- the conforming sample ----------------------------------------------------------------

def test_sample_conforms_without_any_result(shapes):
    conforms, results = run(shapes, data_graph())
    assert results == [], results
    assert conforms


def test_placeholder_is_in_the_shapes_file():
    text = SHAPES_FILE.read_text(encoding="utf-8")
    # in the SPARQL target and constraint of the two not-in-the-future shapes
    assert text.count(PLACEHOLDER) == 4
    assert PLACEHOLDER not in shapes_text()


# --- one case per constraint ----------------------------------------------------------------

NEXT_YEAR = TODAY.year + 1
ALT_LICENSE_ACCESS = ("alternative", (LLMKG.license, LLMKG.accessLevel))

CASES = {
    # dates ------------------------------------------------------------------------------
    "date created unreadable (ill-typed xsd:date)": (
        '<model/gpt-3> dcterms:created "Mar. 2O23"^^xsd:date .',
        '<model/gpt-3> dcterms:created "2020-05-01"^^xsd:date .',
        {(GPT3, DCT.created, C.DatatypeConstraintComponent, V)}),
    "date created impossible day (ill-typed xsd:date)": (
        '<model/gpt-3> dcterms:created "2023-02-30"^^xsd:date .',
        '<model/gpt-3> dcterms:created "2020-05-01"^^xsd:date .',
        {(GPT3, DCT.created, C.DatatypeConstraintComponent, V)}),
    "date created of the wrong datatype (plain text)": (
        '<model/gpt-3> dcterms:created "2020-05-01" .',
        '<model/gpt-3> dcterms:created "2020-05-01"^^xsd:date .',
        {(GPT3, DCT.created, C.DatatypeConstraintComponent, V)}),
    "date created tomorrow": (
        f'<model/gpt-3> dcterms:created "{TODAY + dt.timedelta(days=1)}"^^xsd:date .',
        '<model/gpt-3> dcterms:created "2020-05-01"^^xsd:date .',
        {(GPT3, DCT.created, C.SPARQLConstraintComponent, V)}),
    "date created next month (gYearMonth)": (
        '<model/gpt-3> dcterms:created "{}"^^xsd:gYearMonth .'.format(
            (TODAY.replace(day=1) + dt.timedelta(days=32)).strftime("%Y-%m")),
        '<model/gpt-3> dcterms:created "2020-05-01"^^xsd:date .',
        {(GPT3, DCT.created, C.SPARQLConstraintComponent, V)}),
    "date created next year (gYear)": (
        f'<model/gpt-3> dcterms:created "{NEXT_YEAR}"^^xsd:gYear .',
        '<model/gpt-3> dcterms:created "2020-05-01"^^xsd:date .',
        {(GPT3, DCT.created, C.SPARQLConstraintComponent, V)}),
    "retrieved unreadable": (
        '<source/awesome-llms> llmkg:retrieved "May 2O24"^^xsd:date .',
        '<source/awesome-llms> llmkg:retrieved "2024-05-01"^^xsd:date .',
        {(SOURCE_AL, LLMKG.retrieved, C.DatatypeConstraintComponent, V)}),
    "retrieved in the future": (
        f'<source/awesome-llms> llmkg:retrieved "{NEXT_YEAR}-01-01"^^xsd:date .',
        '<source/awesome-llms> llmkg:retrieved "2024-05-01"^^xsd:date .',
        {(SOURCE_AL, LLMKG.retrieved, C.SPARQLConstraintComponent, V)}),
    # parameter counts -----------------------------------------------------------------------
    "number of parameters with digits but no count (ill-typed xsd:integer)": (
        '<model/gpt-3> llmkg:maximumParameterCount "170T?"^^xsd:integer .',
        '<model/gpt-3> llmkg:maximumParameterCount 175000000000 .',
        {(GPT3, LLMKG.maximumParameterCount, C.DatatypeConstraintComponent, V)}),
    "largest parameter count negative": (
        '<model/gpt-3> llmkg:maximumParameterCount -1 ; llmkg:declaredMaximumParameterCount -1 .',
        '<model/gpt-3> llmkg:maximumParameterCount 175000000000 ;'
        ' llmkg:declaredMaximumParameterCount 175000000000 .',
        {(GPT3, LLMKG.maximumParameterCount, C.PatternConstraintComponent, V),
         (GPT3, LLMKG.declaredMaximumParameterCount, C.PatternConstraintComponent, V)}),
    "largest parameter count a decimal": (
        '<model/gpt-3> llmkg:maximumParameterCount 175000000000.0 .',
        '<model/gpt-3> llmkg:maximumParameterCount 175000000000 .',
        {(GPT3, LLMKG.maximumParameterCount, C.DatatypeConstraintComponent, V)}),
    "declared maximum a fraction of a parameter (xsd:decimal)": (
        '<model/gpt-3> llmkg:declaredMaximumParameterCount 175000000000.5 .',
        '<model/gpt-3> llmkg:declaredMaximumParameterCount 175000000000 .',
        # 175000000000.5 != 175000000000 too, and both are numeric
        {(GPT3, LLMKG.declaredMaximumParameterCount, C.DatatypeConstraintComponent, V),
         (GPT3, LLMKG.declaredMaximumParameterCount, C.SPARQLConstraintComponent, V)}),
    "declared maximum unreadable (ill-typed)": (
        '<model/gpt-3> llmkg:declaredMaximumParameterCount "175 000"^^xsd:integer .',
        '<model/gpt-3> llmkg:declaredMaximumParameterCount 175000000000 .',
        {(GPT3, LLMKG.declaredMaximumParameterCount, C.DatatypeConstraintComponent, V)}),
    "declared maximum differs from the largest count": (
        '<model/gpt-3> llmkg:declaredMaximumParameterCount 170000000000 .',
        '<model/gpt-3> llmkg:declaredMaximumParameterCount 175000000000 .',
        {(GPT3, LLMKG.declaredMaximumParameterCount, C.SPARQLConstraintComponent, V)}),
    "variant count ill-typed": (
        '<model/gpt-3/parameters/awesome-llms/3> llmkg:parameterCount "175B"^^xsd:integer .',
        '<model/gpt-3/parameters/awesome-llms/3> llmkg:parameterCount 175000000000 .',
        {(VARIANT3, LLMKG.parameterCount, C.DatatypeConstraintComponent, V)}),
    "variant count negative": (
        '<model/gpt-3/parameters/awesome-llms/3> llmkg:parameterCount -175 .',
        '<model/gpt-3/parameters/awesome-llms/3> llmkg:parameterCount 175000000000 .',
        {(VARIANT3, LLMKG.parameterCount, C.PatternConstraintComponent, V)}),
    "variant without a count": (
        '',
        '<model/gpt-3/parameters/awesome-llms/3> llmkg:parameterCount 175000000000 .',
        {(VARIANT3, LLMKG.parameterCount, C.MinCountConstraintComponent, V)}),
    "variant with two counts": (
        '<model/gpt-3/parameters/awesome-llms/3> llmkg:parameterCount 174000000000 .',
        '',
        {(VARIANT3, LLMKG.parameterCount, C.MaxCountConstraintComponent, V)}),
    "variant without a label": (
        '',
        '<model/gpt-3/parameters/awesome-llms/3> rdfs:label "175B" .',
        {(VARIANT3, RDFS.label, C.MinCountConstraintComponent, V)}),
    "variant untyped": (
        '',
        '<model/gpt-3/parameters/awesome-llms/3> a llmkg:ParameterVariant .',
        {(GPT3, LLMKG.parameterVariant, C.ClassConstraintComponent, V)}),
    "variant of no model": (
        '<model/gpt-3/parameters/awesome-llms/4> a llmkg:ParameterVariant ;'
        ' rdfs:label "1B" ; llmkg:parameterCount 1000000000 .',
        '',
        {(RES["model/gpt-3/parameters/awesome-llms/4"], ("inverse", LLMKG.parameterVariant),
          C.MinCountConstraintComponent, V)}),
    # other numbers ------------------------------------------------------------------------------
    "context length unreadable": (
        '<model/gpt-3> llmkg:contextLength "2k tokens"^^xsd:integer .',
        '<model/gpt-3> llmkg:contextLength 2048 .',
        {(GPT3, LLMKG.contextLength, C.DatatypeConstraintComponent, V)}),
    "context length zero": (
        '<model/gpt-3> llmkg:contextLength 0 .',
        '<model/gpt-3> llmkg:contextLength 2048 .',
        {(GPT3, LLMKG.contextLength, C.MinInclusiveConstraintComponent, V)}),
    "training compute unreadable": (
        '<model/gpt-3> llmkg:trainingPetaFLOPs "lots"^^xsd:decimal .',
        '<model/gpt-3> llmkg:trainingPetaFLOPs 314000000.0 .',
        {(GPT3, LLMKG.trainingPetaFLOPs, C.DatatypeConstraintComponent, V)}),
    "training compute negative": (
        '<model/gpt-3> llmkg:trainingPetaFLOPs -3.5 .',
        '<model/gpt-3> llmkg:trainingPetaFLOPs 314000000.0 .',
        {(GPT3, LLMKG.trainingPetaFLOPs, C.PatternConstraintComponent, V)}),
    "publication year unreadable": (
        '<paper/language-models-are-few-shot-learners> orkgp:P29 "MMXX"^^xsd:integer .',
        '<paper/language-models-are-few-shot-learners> orkgp:P29 2020 .',
        {(PAPER, ORKGP.P29, C.DatatypeConstraintComponent, V)}),
    "publication year out of range": (
        '<paper/language-models-are-few-shot-learners> orkgp:P29 20 .',
        '<paper/language-models-are-few-shot-learners> orkgp:P29 2020 .',
        {(PAPER, ORKGP.P29, C.MinInclusiveConstraintComponent, V)}),
    "publication month ill-typed": (
        '<paper/language-models-are-few-shot-learners> orkgp:P28 "May"^^xsd:integer .',
        '<paper/language-models-are-few-shot-learners> orkgp:P28 5 .',
        {(PAPER, ORKGP.P28, C.DatatypeConstraintComponent, V)}),
    "publication month 13": (
        '<paper/language-models-are-few-shot-learners> orkgp:P28 13 .',
        '<paper/language-models-are-few-shot-learners> orkgp:P28 5 .',
        {(PAPER, ORKGP.P28, C.MaxInclusiveConstraintComponent, V)}),
    "reading list year ill-typed": (
        '<reading-list/llm-paper-club> llmkg:year "2024"^^xsd:gYear .',
        '<reading-list/llm-paper-club> llmkg:year 2024 .',
        {(LIST, LLMKG.year, C.DatatypeConstraintComponent, V)}),
    "reading list year out of range": (
        '<reading-list/llm-paper-club> llmkg:year 3024 .',
        '<reading-list/llm-paper-club> llmkg:year 2024 .',
        {(LIST, LLMKG.year, C.MaxInclusiveConstraintComponent, V)}),
    # references and vocabularies --------------------------------------------------------------
    "organization dangling": (
        '<model/gpt-3> llmkg:organization <organization/open-ai> .',
        '<model/gpt-3> llmkg:organization <organization/openai> .',
        {(GPT3, LLMKG.organization, C.ClassConstraintComponent, V)}),
    "paper's organization dangling": (
        '<paper/language-models-are-few-shot-learners> llmkg:organization <organization/nobody> .',
        '',
        {(PAPER, LLMKG.organization, C.ClassConstraintComponent, V)}),
    "paper dangling": (
        '<model/gpt-3> llmkg:introducedIn <paper/no-such-paper> .',
        '<model/gpt-3> llmkg:introducedIn <paper/language-models-are-few-shot-learners> .',
        {(GPT3, LLMKG.introducedIn, C.ClassConstraintComponent, V)}),
    "license not in the vocabulary": (
        '<model/gpt-3> llmkg:license <licenses/foo> .',
        '<model/gpt-3> llmkg:license <license/closed-source> .',
        {(GPT3, LLMKG.license, C.ClassConstraintComponent, V)}),
    "architecture not in the vocabulary": (
        '<model/gpt-3> llmkg:architecture <architectures/recurrent-thing> .',
        '<model/gpt-3> llmkg:architecture <architecture/decoder> .',
        {(GPT3, LLMKG.architecture, C.ClassConstraintComponent, V)}),
    "corpus untyped": (
        '<model/gpt-3> llmkg:trainedOn <corpus/unknown> .',
        '',
        {(GPT3, LLMKG.trainedOn, C.ClassConstraintComponent, V)}),
    "access level unknown word (a literal)": (
        '<model/gpt-3> llmkg:accessLevel "semi-open" .',
        '<model/gpt-3> llmkg:accessLevel llmkg:Closed .',
        {(GPT3, LLMKG.accessLevel, C.InConstraintComponent, V)}),
    "access level of a license concept wrong": (
        '<license/closed-source> llmkg:accessLevel llmkg:Shut .',
        '<license/closed-source> llmkg:accessLevel llmkg:Closed .',
        {(CLOSED_SOURCE, LLMKG.accessLevel, C.InConstraintComponent, V)}),
    "research problem untyped": (
        '<contribution/awesome-llms/gpt-3> orkgp:P32 <problem/untyped> .',
        '',
        {(CONTRIB, ORKGP.P32, C.ClassConstraintComponent, V)}),
    "has contribution untyped": (
        '<paper/language-models-are-few-shot-learners> orkgp:P31 <contribution/x/y> .',
        '',
        {(PAPER, ORKGP.P31, C.ClassConstraintComponent, V)}),
    "reading list source dangling": (
        '<reading-list/llm-paper-club> prov:wasDerivedFrom <source/nowhere> .',
        '<reading-list/llm-paper-club> prov:wasDerivedFrom <source/llm-paper-club> .',
        {(LIST, PROV.wasDerivedFrom, C.ClassConstraintComponent, V)}),
    "entry paper dangling": (
        '<reading-list/llm-paper-club/section/1/entry/1> llmkg:paper <paper/missing> .',
        '<reading-list/llm-paper-club/section/1/entry/1> llmkg:paper <paper/attention-is-all-you-need> .',
        {(ENTRY, LLMKG.paper, C.ClassConstraintComponent, V)}),
    # identifiers -----------------------------------------------------------------------------------
    "orkg contribution id malformed": (
        '<contribution/awesome-llms/gpt-3> llmkg:orkgId "370898" .',
        '<contribution/awesome-llms/gpt-3> llmkg:orkgId "R370898" .',
        {(CONTRIB, LLMKG.orkgId, C.PatternConstraintComponent, V)}),
    "orkg paper id malformed": (
        '<paper/language-models-are-few-shot-learners> llmkg:orkgId "https://orkg.org/paper/R370897" .',
        '<paper/language-models-are-few-shot-learners> llmkg:orkgId "R370897" .',
        {(PAPER, LLMKG.orkgId, C.PatternConstraintComponent, V)}),
    "two orkg paper ids": (
        '<paper/language-models-are-few-shot-learners> llmkg:orkgId "R1" .',
        '',
        {(PAPER, LLMKG.orkgId, C.MaxCountConstraintComponent, V)}),
    "doi with resolver prefix": (
        '<paper/language-models-are-few-shot-learners> orkgp:P26 "https://doi.org/10.48550/arXiv.2005.14165" .',
        '<paper/language-models-are-few-shot-learners> orkgp:P26 "10.48550/arXiv.2005.14165" .',
        {(PAPER, ORKGP.P26, C.PatternConstraintComponent, V)}),
    "arxiv id as URL": (
        '<paper/language-models-are-few-shot-learners> llmkg:arxivId "arxiv.org/abs/2005.14165" .',
        '<paper/language-models-are-few-shot-learners> llmkg:arxivId "2005.14165" .',
        {(PAPER, LLMKG.arxivId, C.PatternConstraintComponent, V)}),
    "wikidata id malformed": (
        '<model/gpt-3> llmkg:wikidata "95726734" .',
        '<model/gpt-3> llmkg:wikidata "Q95726734" .',
        {(GPT3, LLMKG.wikidata, C.PatternConstraintComponent, V)}),
    # URLs ---------------------------------------------------------------------------------------------
    "source code not a URL (a literal)": (
        '<model/gpt-3> llmkg:sourceCode "github.com/openai/gpt-3" .',
        '<model/gpt-3> llmkg:sourceCode <https://github.com/openai/gpt-3> .',
        {(GPT3, LLMKG.sourceCode, C.NodeKindConstraintComponent, V)}),
    "source code an IRI of another scheme": (
        '<model/gpt-3> llmkg:sourceCode <ftp://example.org/gpt-3.tar> .',
        '<model/gpt-3> llmkg:sourceCode <https://github.com/openai/gpt-3> .',
        {(GPT3, LLMKG.sourceCode, C.PatternConstraintComponent, V)}),
    "source code over http": (
        '<model/gpt-3> llmkg:sourceCode <http://github.com/openai/gpt-3> .',
        '<model/gpt-3> llmkg:sourceCode <https://github.com/openai/gpt-3> .',
        {(GPT3, LLMKG.sourceCode, C.PatternConstraintComponent, I)}),
    "blog post not a URL": (
        '<model/gpt-3> llmkg:blogPost "see the OpenAI blog" .',
        '<model/gpt-3> llmkg:blogPost <https://openai.com/blog/gpt-3-apps> .',
        {(GPT3, LLMKG.blogPost, C.NodeKindConstraintComponent, V)}),
    "blog post an IRI of another scheme": (
        '<model/gpt-3> llmkg:blogPost <ftp://openai.com/blog.txt> .',
        '<model/gpt-3> llmkg:blogPost <https://openai.com/blog/gpt-3-apps> .',
        {(GPT3, LLMKG.blogPost, C.PatternConstraintComponent, V)}),
    "release over http": (
        '<model/gpt-3> llmkg:releaseLink <http://github.com/openai/gpt-3> .',
        '<model/gpt-3> llmkg:releaseLink <https://github.com/openai/gpt-3> .',
        {(GPT3, LLMKG.releaseLink, C.PatternConstraintComponent, I)}),
    "model homepage an IRI of another scheme": (
        '<model/gpt-3> foaf:page <urn:x-page:gpt-3> .',
        '<model/gpt-3> foaf:page <https://openai.com/research/gpt-3> .',
        {(GPT3, FOAF.page, C.PatternConstraintComponent, V)}),
    "blog post over http": (
        '<model/gpt-3> llmkg:blogPost <http://openai.com/blog/gpt-3-apps> .',
        '<model/gpt-3> llmkg:blogPost <https://openai.com/blog/gpt-3-apps> .',
        {(GPT3, LLMKG.blogPost, C.PatternConstraintComponent, I)}),
    "release not a URL": (
        '<model/gpt-3> llmkg:releaseLink "on request" .',
        '<model/gpt-3> llmkg:releaseLink <https://github.com/openai/gpt-3> .',
        {(GPT3, LLMKG.releaseLink, C.NodeKindConstraintComponent, V)}),
    "release an IRI of another scheme": (
        '<model/gpt-3> llmkg:releaseLink <urn:x-weights:gpt-3> .',
        '<model/gpt-3> llmkg:releaseLink <https://github.com/openai/gpt-3> .',
        {(GPT3, LLMKG.releaseLink, C.PatternConstraintComponent, V)}),
    "model homepage not a URL": (
        '<model/gpt-3> foaf:page "openai.com/research/gpt-3" .',
        '<model/gpt-3> foaf:page <https://openai.com/research/gpt-3> .',
        {(GPT3, FOAF.page, C.NodeKindConstraintComponent, V)}),
    "organization url over http": (
        '<organization/openai> foaf:page <http://openai.com/> .',
        '<organization/openai> foaf:page <https://openai.com/> .',
        {(OPENAI, FOAF.page, C.PatternConstraintComponent, I)}),
    "paper url not a URL": (
        '<paper/language-models-are-few-shot-learners> schema:url "arXiv 2005.14165" .',
        '<paper/language-models-are-few-shot-learners> schema:url <https://arxiv.org/abs/2005.14165> .',
        {(PAPER, SDO.url, C.NodeKindConstraintComponent, V)}),
    "paper url an IRI of another scheme": (
        '<paper/language-models-are-few-shot-learners> schema:url <doi:10.48550/arXiv.2005.14165> .',
        '<paper/language-models-are-few-shot-learners> schema:url <https://arxiv.org/abs/2005.14165> .',
        {(PAPER, SDO.url, C.PatternConstraintComponent, V)}),
    "reading list url over http": (
        '<reading-list/llm-paper-club> schema:url <http://eugeneyan.com/writing/llm-reading-list/> .',
        '<reading-list/llm-paper-club> schema:url <https://eugeneyan.com/writing/llm-reading-list/> .',
        {(LIST, SDO.url, C.PatternConstraintComponent, I)}),
    "organization homepage not a URL": (
        '<organization/openai> foaf:homepage "openai.com" .',
        '<organization/openai> foaf:homepage <https://openai.com/> .',
        {(OPENAI, FOAF.homepage, C.NodeKindConstraintComponent, V)}),
    "organization homepage another scheme": (
        '<organization/openai> foaf:homepage <mailto:info@openai.com> .',
        '<organization/openai> foaf:homepage <https://openai.com/> .',
        {(OPENAI, FOAF.homepage, C.PatternConstraintComponent, V)}),
    "organization homepage over http": (
        '<organization/openai> foaf:homepage <http://openai.com/> .',
        '<organization/openai> foaf:homepage <https://openai.com/> .',
        {(OPENAI, FOAF.homepage, C.PatternConstraintComponent, I)}),
    "see also not a URL": (
        '<model/gpt-3> rdfs:seeAlso "Wikipedia" .',
        '<model/gpt-3> rdfs:seeAlso <https://en.wikipedia.org/wiki/GPT-3> .',
        {(GPT3, RDFS.seeAlso, C.NodeKindConstraintComponent, V)}),
    "see also an IRI of another scheme": (
        '<model/gpt-3> rdfs:seeAlso <urn:isbn:0451450523> .',
        '<model/gpt-3> rdfs:seeAlso <https://en.wikipedia.org/wiki/GPT-3> .',
        {(GPT3, RDFS.seeAlso, C.PatternConstraintComponent, V)}),
    "see also over http": (
        '<model/gpt-3> rdfs:seeAlso <http://en.wikipedia.org/wiki/GPT-3> .',
        '<model/gpt-3> rdfs:seeAlso <https://en.wikipedia.org/wiki/GPT-3> .',
        {(GPT3, RDFS.seeAlso, C.PatternConstraintComponent, I)}),
    "source license not an IRI": (
        '<source/awesome-llms> dcterms:license "CC BY-SA 4.0" .',
        '<source/awesome-llms> dcterms:license spdx:CC-BY-SA-4.0 .',
        {(SOURCE_AL, DCT.license, C.NodeKindConstraintComponent, V)}),
    # names and labels ------------------------------------------------------------------------------
    "model with two names": (
        '<model/gpt-3> rdfs:label "GPT 3" .',
        '',
        {(GPT3, RDFS.label, C.MaxCountConstraintComponent, V)}),
    "model without a name": (
        '',
        '<model/gpt-3> rdfs:label "GPT-3" .',
        {(GPT3, RDFS.label, C.MinCountConstraintComponent, V)}),
    "organization without a name": (
        '',
        '<organization/openai> rdfs:label "OpenAI" .',
        {(OPENAI, RDFS.label, C.MinCountConstraintComponent, V)}),
    "paper with two names": (
        '<paper/language-models-are-few-shot-learners> rdfs:label "GPT-3 paper" .',
        '',
        {(PAPER, RDFS.label, C.MaxCountConstraintComponent, V)}),
    "paper without a title": (
        '',
        '<paper/attention-is-all-you-need> dcterms:title "Attention Is All You Need" .',
        {(ATTENTION, DCT.title, C.MinCountConstraintComponent, V)}),
    "problem without a label": (
        '',
        '<problem/large-language-models-llms> rdfs:label "Large Language Models (LLMs)" .',
        {(PROBLEM, RDFS.label, C.MinCountConstraintComponent, V)}),
    "model name with a double space": (
        '<model/gpt-3> rdfs:label "GPT  3" .',
        '<model/gpt-3> rdfs:label "GPT-3" .',
        {(GPT3, RDFS.label, C.PatternConstraintComponent, I)}),
    "organization name with a trailing space": (
        '<organization/openai> rdfs:label "OpenAI " .',
        '<organization/openai> rdfs:label "OpenAI" .',
        {(OPENAI, RDFS.label, C.PatternConstraintComponent, I)}),
    "paper name with a leading space": (
        '<paper/attention-is-all-you-need> rdfs:label " Attention Is All You Need" .',
        '<paper/attention-is-all-you-need> rdfs:label "Attention Is All You Need" .',
        {(ATTENTION, RDFS.label, C.PatternConstraintComponent, I)}),
    "name in source with a double space": (
        '<model/gpt-3> llmkg:nameInSource "GPT-3  (175B)" .',
        '<model/gpt-3> llmkg:nameInSource "GPT-3" .',
        {(GPT3, LLMKG.nameInSource, C.PatternConstraintComponent, I)}),
    "title with a line break": (
        '<reading-list/llm-paper-club/section/1> dcterms:title "Pa\\npers" .',
        '<reading-list/llm-paper-club/section/1> dcterms:title "Papers" .',
        {(SECTION, DCT.title, C.PatternConstraintComponent, I)}),
    "innovation over 1000 characters": (
        '<model/gpt-3> llmkg:innovation "{}" .'.format("x" * 1001),
        '<model/gpt-3> llmkg:innovation "In-context learning at scale." .',
        {(GPT3, LLMKG.innovation, C.MaxLengthConstraintComponent, I)}),
    "organization kind unknown": (
        '<organization/openai> llmkg:organizationKind "Company" .',
        '<organization/openai> llmkg:organizationKind "company" .',
        {(OPENAI, LLMKG.organizationKind, C.PatternConstraintComponent, W)}),
    # contributions -------------------------------------------------------------------------------
    "contribution without a model": (
        '',
        '<contribution/awesome-llms/gpt-3> llmkg:hasModel <model/gpt-3> .',
        {(CONTRIB, LLMKG.hasModel, C.MinCountConstraintComponent, V)}),
    "contribution with two models": (
        '<contribution/awesome-llms/gpt-3> llmkg:hasModel <model/gpt-3-175b> .',
        '',
        {(CONTRIB, LLMKG.hasModel, C.MaxCountConstraintComponent, V),
         (CONTRIB, LLMKG.hasModel, C.ClassConstraintComponent, V)}),
    "contribution without a label": (
        '',
        '<contribution/awesome-llms/gpt-3> rdfs:label "GPT-3 (awesome-llms)" .',
        {(CONTRIB, RDFS.label, C.MinCountConstraintComponent, V)}),
    # reading lists -----------------------------------------------------------------------------------
    "reading list without a title": (
        '',
        '<reading-list/llm-paper-club> dcterms:title "Language Modeling Reading List" .',
        {(LIST, DCT.title, C.MinCountConstraintComponent, V)}),
    "reading list without sections": (
        # the section moves to another list, so that it still belongs to one
        '<reading-list/other> a llmkg:ReadingList ; dcterms:title "Other" ;'
        ' llmkg:section <reading-list/llm-paper-club/section/1> .',
        '<reading-list/llm-paper-club> llmkg:section <reading-list/llm-paper-club/section/1> .',
        {(LIST, LLMKG.section, C.MinCountConstraintComponent, W)}),
    "section of two lists": (
        '<reading-list/other> a llmkg:ReadingList ; dcterms:title "Other" ;'
        ' llmkg:section <reading-list/llm-paper-club/section/1> .',
        '',
        {(SECTION, ("inverse", LLMKG.section), C.MaxCountConstraintComponent, V)}),
    "section without a position": (
        '',
        '<reading-list/llm-paper-club/section/1> llmkg:position 1 .',
        {(SECTION, LLMKG.position, C.MinCountConstraintComponent, V)}),
    "section position zero": (
        '<reading-list/llm-paper-club/section/1> llmkg:position 0 .',
        '<reading-list/llm-paper-club/section/1> llmkg:position 1 .',
        {(SECTION, LLMKG.position, C.MinInclusiveConstraintComponent, V)}),
    "entry position not an integer": (
        '<reading-list/llm-paper-club/section/1/entry/1> llmkg:position "1" .',
        '<reading-list/llm-paper-club/section/1/entry/1> llmkg:position 1 .',
        {(ENTRY, LLMKG.position, C.DatatypeConstraintComponent, V)}),
    "entry with two positions": (
        '<reading-list/llm-paper-club/section/1/entry/1> llmkg:position 2 .',
        '',
        {(ENTRY, LLMKG.position, C.MaxCountConstraintComponent, V)}),
    "reading list from two sources": (
        '<reading-list/llm-paper-club> prov:wasDerivedFrom <source/awesome-llms> .',
        '',
        {(LIST, PROV.wasDerivedFrom, C.MaxCountConstraintComponent, V)}),
    "section untyped": (
        '',
        '<reading-list/llm-paper-club/section/1> a llmkg:ReadingListSection .',
        {(LIST, LLMKG.section, C.ClassConstraintComponent, V)}),
    "section with two titles": (
        '<reading-list/llm-paper-club/section/1> dcterms:title "Papers to read" .',
        '',
        {(SECTION, DCT.title, C.MaxCountConstraintComponent, V)}),
    "entry without a paper": (
        '',
        '<reading-list/llm-paper-club/section/1/entry/1> llmkg:paper <paper/attention-is-all-you-need> .',
        {(ENTRY, LLMKG.paper, C.MinCountConstraintComponent, V)}),
    "entry in no section": (
        '',
        '<reading-list/llm-paper-club/section/1> llmkg:entry <reading-list/llm-paper-club/section/1/entry/1> .',
        {(ENTRY, ("inverse", LLMKG.entry), C.MinCountConstraintComponent, V)}),
    "entry untyped": (
        '',
        '<reading-list/llm-paper-club/section/1/entry/1> a llmkg:ReadingListEntry .',
        {(SECTION, LLMKG.entry, C.ClassConstraintComponent, V)}),
    "entry with two labels": (
        '<reading-list/llm-paper-club/section/1/entry/1> rdfs:label "Vaswani et al., 2017" .',
        '',
        {(ENTRY, RDFS.label, C.MaxCountConstraintComponent, V)}),
    # sources and vocabularies ------------------------------------------------------------------------
    "source without a title": (
        '',
        '<source/awesome-llms> dcterms:title "awesome-LLMs" .',
        {(SOURCE_AL, DCT.title, C.MinCountConstraintComponent, V)}),
    "source without a license": (
        '',
        '<source/awesome-llms> dcterms:license spdx:CC-BY-SA-4.0 .',
        {(SOURCE_AL, DCT.license, C.MinCountConstraintComponent, W)}),
    "source graph of no source": (
        '',
        'graph:awesome-llms prov:wasDerivedFrom <source/awesome-llms> .',
        {(SOURCE_GRAPH, PROV.wasDerivedFrom, C.MinCountConstraintComponent, V)}),
    "concept without a preferred label": (
        '',
        '<architecture/decoder> skos:prefLabel "Decoder" .',
        {(DECODER, SKOS.prefLabel, C.MinCountConstraintComponent, V)}),
    "concept in no scheme": (
        '',
        '<license/closed-source> skos:inScheme <scheme/licenses> .',
        {(CLOSED_SOURCE, SKOS.inScheme, C.MinCountConstraintComponent, V)}),
    "an unknown access level typed as one": (
        'llmkg:Shut a llmkg:AccessLevel .',
        '',
        {(LLMKG.Shut, None, C.InConstraintComponent, V)}),
    # warnings: recommended facts missing in a source that describes the model or paper -----------
    "model without date created in this source": (
        '',
        '<model/gpt-3> dcterms:created "2020-05-01"^^xsd:date ; llmkg:createdText "2020-05-01" .',
        {(GPT3, DCT.created, C.MinCountConstraintComponent, W)}),
    "model without organization in this source": (
        '',
        '<model/gpt-3> llmkg:organization <organization/openai> .',
        {(GPT3, LLMKG.organization, C.MinCountConstraintComponent, W)}),
    "model with a qualitative number of parameters": (
        '<model/gpt-3> llmkg:parameterCountText "Same as GPT3" .',
        """<model/gpt-3> llmkg:parameterCountText "3B, 30B and 175B" ;
               llmkg:parameterVariant <model/gpt-3/parameters/awesome-llms/1>,
                   <model/gpt-3/parameters/awesome-llms/2>, <model/gpt-3/parameters/awesome-llms/3> ;
               llmkg:maximumParameterCount 175000000000 .
           <model/gpt-3/parameters/awesome-llms/1> a llmkg:ParameterVariant ;
               rdfs:label "3B" ; llmkg:parameterCount 3000000000 .
           <model/gpt-3/parameters/awesome-llms/2> a llmkg:ParameterVariant ;
               rdfs:label "30B" ; llmkg:parameterCount 30000000000 .
           <model/gpt-3/parameters/awesome-llms/3> a llmkg:ParameterVariant ;
               rdfs:label "175B" ; llmkg:parameterCount 175000000000 .""",
        {(GPT3, LLMKG.maximumParameterCount, C.MinCountConstraintComponent, W)}),
    "model without license or access level": (
        '',
        '<model/gpt-3> llmkg:license <license/closed-source> ; llmkg:licenseText "closed source" ;'
        ' llmkg:accessLevel llmkg:Closed .',
        {(GPT3, ALT_LICENSE_ACCESS, C.MinCountConstraintComponent, W)}),
    "paper described by the source without a year": (
        '',
        '<paper/language-models-are-few-shot-learners> orkgp:P29 2020 .',
        {(PAPER, ORKGP.P29, C.MinCountConstraintComponent, W)}),
    "paper listed in a reading list without a year": (
        '',
        '<paper/attention-is-all-you-need> orkgp:P29 2017 .',
        {(ATTENTION, ORKGP.P29, C.MinCountConstraintComponent, W)}),
}


def _yaml_keys() -> set[str]:
    from llmkg.records import schema

    keys_ = {f.key for fields in schema.TOP_FIELDS.values() for f in fields}
    keys_ |= {f.key for fields in schema.SOURCE_BLOCK_FIELDS.values() for f in fields}
    keys_ |= {f.key for f in schema.SECTION_FIELDS + schema.SECTION_ENTRY_FIELDS}
    keys_ |= {"label", "scheme"}  # keys of data/vocabularies/*.yaml
    return keys_


YAML_KEYS = _yaml_keys()
_SHAPES_HIT: dict[str, set] = {}   # case name -> shapes that reported (filled as cases run)


@pytest.mark.parametrize("name", list(CASES))
def test_one_broken_constraint(shapes, name):
    add, remove, expected = CASES[name]
    _conforms, results = run(shapes, data_graph(add, remove))
    assert keys(results) == expected
    assert len(results) == len(expected), results   # no duplicate results either
    _SHAPES_HIT[name] = {r["shape"] for r in results}
    for r in results:
        (msg,) = r["messages"]                       # one message, written for the curator,
        assert any(msg.startswith(k + " ") or msg.startswith(k + ":") for k in YAML_KEYS), msg


def test_every_shape_is_exercised_by_a_case(shapes):
    """Each shape of the file is broken by at least one case (or one of the tests below)."""
    g = _shape_graph()
    shapes_in_file = set(g.subjects(RDF.type, SH.PropertyShape)) | set(g.subjects(RDF.type, SH.NodeShape))
    hit = set()
    for name, (add, remove, _expected) in CASES.items():
        if name not in _SHAPES_HIT:                  # not run yet (e.g. this test alone)
            _c, results = run(shapes, data_graph(add, remove))
            _SHAPES_HIT[name] = {r["shape"] for r in results}
        hit |= _SHAPES_HIT[name]
    assert shapes_in_file - hit == set()


# --- what the messages say -------------------------------------------------------------------

def test_declared_maximum_message_names_both_values(shapes):
    data = data_graph('<model/gpt-3> llmkg:declaredMaximumParameterCount 170000000000 .',
                      '<model/gpt-3> llmkg:declaredMaximumParameterCount 175000000000 .')
    _c, (r,) = run(shapes, data)
    assert r["messages"] == ["maximum number of parameters (in million) gives 170000000000 parameters, "
                             "but the largest count in number of parameters is 175000000000"]
    assert r["value"] == Literal(170000000000)
    assert r["path"] == LLMKG.declaredMaximumParameterCount


def test_future_month_message_names_the_value(shapes):
    data = data_graph(f'<model/gpt-3> dcterms:created "{NEXT_YEAR}-01"^^xsd:gYearMonth .',
                      '<model/gpt-3> dcterms:created "2020-05-01"^^xsd:date .')
    _c, (r,) = run(shapes, data)
    assert r["messages"] == [f"date created {NEXT_YEAR}-01 is in the future"]
    assert r["value"] == Literal(f"{NEXT_YEAR}-01", datatype=XSD.gYearMonth)


def test_core_messages_are_not_templates(shapes):
    """pySHACL fills {?var}/{$this} only in messages of SPARQL-based constraints."""
    text = SHAPES_FILE.read_text(encoding="utf-8")
    g = Graph().parse(data=text, format="turtle")
    sparql_shapes = set(g.subjects(SH.sparql, None))
    for shape, msg in g.subject_objects(SH.message):
        if shape not in sparql_shapes:
            assert "{" not in str(msg), (shape, msg)


# --- the future-date check at each precision ---------------------------------------------------

@pytest.mark.parametrize("literal, future", [
    (f'"{TODAY.isoformat()}"^^xsd:date', False),
    (f'"{(TODAY + dt.timedelta(days=1)).isoformat()}"^^xsd:date', True),
    (f'"{TODAY.strftime("%Y-%m")}"^^xsd:gYearMonth', False),          # this month
    (f'"{TODAY.year}"^^xsd:gYear', False),                             # this year
    (f'"{NEXT_YEAR}-01"^^xsd:gYearMonth', True),                       # 2030-01 style
    (f'"{NEXT_YEAR}"^^xsd:gYear', True),                               # 2030 style
    ('"1999-12"^^xsd:gYearMonth', False),
    ('"1999"^^xsd:gYear', False),
])
def test_future_dates_at_every_precision(shapes, literal, future):
    data = data_graph(f"<model/gpt-3> dcterms:created {literal} .",
                      '<model/gpt-3> dcterms:created "2020-05-01"^^xsd:date .')
    _c, results = run(shapes, data)
    assert bool(results) == future, results
    for r in results:
        assert r["severity"] == V and r["path"] == DCT.created


def test_the_placeholder_date_is_today_not_a_fixed_day():
    """With the shapes loaded as of 2020-01-01, a 2021 date is in the future."""
    shapes_2020 = Graph().parse(data=shapes_text(dt.date(2020, 1, 1)), format="turtle")
    for lit in ('"2021-03-04"^^xsd:date', '"2021-03"^^xsd:gYearMonth', '"2021"^^xsd:gYear'):
        data = data_graph(f"<model/gpt-3> dcterms:created {lit} .",
                          '<model/gpt-3> dcterms:created "2020-05-01"^^xsd:date .'
                          ' <source/awesome-llms> llmkg:retrieved "2024-05-01"^^xsd:date .')
        _c, results = run(shapes_2020, data)
        assert {(r["focus"], r["path"], r["severity"]) for r in results} == {(GPT3, DCT.created, V)}


# --- targets ---------------------------------------------------------------------------------------

def test_models_a_source_does_not_describe_get_no_warnings(shapes):
    """graph:curated types every model; only those the source names are checked for facts."""
    data = data_graph('<model/bert> a llmkg:Model ; rdfs:label "BERT" .')
    _c, results = run(shapes, data)
    assert results == []


def test_organizations_named_in_a_source_are_not_models(shapes):
    data = data_graph('<organization/google> a llmkg:Organization ; rdfs:label "Google" ;'
                      ' llmkg:nameInSource "Google" .')
    _c, results = run(shapes, data)
    assert results == []


def test_a_model_with_any_model_only_statement_is_described(shapes):
    data = data_graph('<model/bert> a llmkg:Model ; rdfs:label "BERT" ; llmkg:field "Language" .')
    _c, results = run(shapes, data)
    bert = RES["model/bert"]
    assert keys(results) == {
        (bert, DCT.created, C.MinCountConstraintComponent, W),
        (bert, LLMKG.organization, C.MinCountConstraintComponent, W),
        (bert, LLMKG.maximumParameterCount, C.MinCountConstraintComponent, W),
        (bert, ALT_LICENSE_ACCESS, C.MinCountConstraintComponent, W),
    }


def test_a_model_with_a_contribution_only_is_not_checked_for_facts(shapes):
    data = data_graph(
        '<model/bert> a llmkg:Model ; rdfs:label "BERT" .'
        ' <contribution/awesome-llms/bert> a orkgc:Contribution ; rdfs:label "BERT (awesome-llms)" ;'
        ' llmkg:hasModel <model/bert> ; orkgp:P32 <problem/large-language-models-llms> .')
    _c, results = run(shapes, data)
    assert results == []


def test_a_source_that_dates_no_paper_gets_no_year_warnings(shapes):
    data = data_graph('', '<paper/language-models-are-few-shot-learners> orkgp:P29 2020 .'
                          ' <paper/attention-is-all-you-need> orkgp:P29 2017 .')
    _c, results = run(shapes, data)
    assert results == []


def test_papers_a_source_only_cites_get_no_year_warning(shapes):
    data = data_graph(
        '<paper/bert-paper> a orkgc:Paper ; rdfs:label "BERT" ; dcterms:title "BERT" ;'
        ' orkgp:P31 <contribution/awesome-llms/gpt-3> .')
    _c, results = run(shapes, data)
    assert results == []


def test_a_paper_title_as_the_source_writes_it_makes_the_paper_described(shapes):
    data = data_graph(
        '<paper/bert-paper> a orkgc:Paper ; rdfs:label "BERT" ; dcterms:title "BERT", "BERT:  pre-training" .')
    _c, results = run(shapes, data)
    paper = RES["paper/bert-paper"]
    assert keys(results) == {
        (paper, ORKGP.P29, C.MinCountConstraintComponent, W),
        (paper, DCT.title, C.PatternConstraintComponent, I),
    }


# --- shape hygiene -----------------------------------------------------------------------------------

def _shape_graph() -> Graph:
    return Graph().parse(data=SHAPES_FILE.read_text(encoding="utf-8"), format="turtle")


def test_every_shape_has_a_name_label_severity_and_message():
    g = _shape_graph()
    shapes = set(g.subjects(RDF.type, SH.NodeShape)) | set(g.subjects(RDF.type, SH.PropertyShape))
    assert len(shapes) > 50
    for s in shapes:
        assert isinstance(s, URIRef), s
        assert g.value(s, SH.name) is not None, s
        assert g.value(s, RDFS.label) is not None, s
        assert g.value(s, SH.severity) in (V, W, I), s
        assert len(list(g.objects(s, SH.message))) == 1, s


def test_shapes_are_top_level_with_targets_and_use_no_or_not():
    """The cost rules of the shapes file (see its header)."""
    g = _shape_graph()
    for s in g.subjects(SH.path, None):
        assert (s, RDF.type, SH.PropertyShape) in g, s
    assert not list(g.subjects(SH.property, None))           # no nested property shapes
    for p in (SH["or"], SH["not"], SH["and"], SH.xone, SH.node, SH.qualifiedValueShape):
        assert not list(g.subjects(p, None)), p
    target_preds = (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode, SH.target)
    for s in set(g.subjects(RDF.type, SH.PropertyShape)) | set(g.subjects(RDF.type, SH.NodeShape)):
        assert any(g.value(s, p) is not None for p in target_preds), s


def test_sparql_constraints_are_few_and_behind_sparql_targets():
    g = _shape_graph()
    sparql_shapes = set(g.subjects(SH.sparql, None))
    assert len(sparql_shapes) <= 3
    for s in sparql_shapes:
        targets = list(g.objects(s, SH.target))
        assert targets and all((t, RDF.type, SH.SPARQLTarget) in g for t in targets), s
        for p in (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode):
            assert g.value(s, p) is None, s


def test_model_warnings_target_the_model_only_statement_properties():
    """The warnings about a model target the subjects of the keys only a model's statements
    block has (schema.py)."""
    from llmkg.records import schema
    from llmkg.vocab import expand

    other = set()
    for fields in schema.TOP_FIELDS.values():
        other |= {f.prop for f in fields}
    for kind, fields in schema.SOURCE_BLOCK_FIELDS.items():
        if kind != "model":
            other |= {f.prop for f in fields}
    other |= {f.prop for f in schema.SECTION_FIELDS + schema.SECTION_ENTRY_FIELDS}
    # on the contribution, or also on vocabulary concepts
    other |= {"llmkg:orkgId", "orkgp:P32", "llmkg:accessLevel", "foaf:page", "skos:note"}
    model_only = {URIRef(expand(f.prop)) for f in schema.MODEL_FIELDS if f.prop not in other}
    g = _shape_graph()
    warnings = [s for s in g.subjects(SH.severity, W) if str(s).split("#")[-1].startswith("ModelInSource")]
    assert len(warnings) == 4
    for s in warnings:
        assert set(g.objects(s, SH.targetSubjectsOf)) == model_only, s
        assert g.value(s, SH.targetObjectsOf) is None and g.value(s, SH.target) is None, s


def test_regex_patterns_compile_and_avoid_lookaround():
    """Patterns must mean the same in Python (pySHACL) and XPath/SPARQL REGEX (the fast path)."""
    g = _shape_graph()
    for p in g.objects(None, SH.pattern):
        re.compile(str(p))
        assert "(?" not in str(p), p


@pytest.mark.parametrize("text, passes", [
    ("https://example.org/", True), ("ftp://x", True), ("www.example.org", True), ("h", True),
    ("http", True), ("http:/", True), ("hdl:1/2", True),
    ("http://example.org/", False), ("http://x", False),
])
def test_the_https_pattern_is_does_not_start_with_http(text, passes):
    g = _shape_graph()
    (pattern,) = set(g.objects(URIRef("https://w3id.org/llmkg/shapes#SourceCode-https"), SH.pattern))
    assert bool(re.search(str(pattern), text)) == passes


def test_every_shape_path_is_declared_in_the_ontology():
    """Also checked, with classes and targets, in tests/test_ontology.py."""
    onto = Graph().parse(ONTOLOGY_FILE, format="turtle")
    g = _shape_graph()
    props = set()
    for path in g.objects(None, SH.path):
        if isinstance(path, URIRef):
            props.add(path)
        elif g.value(path, SH.inversePath) is not None:
            props.add(g.value(path, SH.inversePath))
        else:
            props |= set(Collection(g, g.value(path, SH.alternativePath)))
    assert len(props) > 30
    for p in props:
        assert onto.value(p, RDFS.label) is not None and onto.value(p, RDFS.comment) is not None, p
