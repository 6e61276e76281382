"""FAIR4ML: the models as ``fair4ml:MLModel`` descriptions, JSON-LD that ML catalogues read.

FAIR4ML (RDA FAIR4ML interest group, vocabulary 0.1.0, ``https://w3id.org/fair4ml#``)
extends schema.org for machine-learning models, and uses schema.org as ``http://schema.org/``
(Croissant uses ``https://schema.org/``; llmkg's own graph uses ``https://schema.org/``, as
the ontology's alignments say). The document has an embedded context with ``@vocab``
``http://schema.org/``, so a FAIR4ML consumer (or any JSON-LD processor) reads it offline.

Each model of the graph (its default graph: the resolved merge of the sources) is one node:

* ``@type`` ``fair4ml:MLModel``; ``name``, ``alternateName``; ``identifier`` its llmkg IRI;
* ``dateCreated``; ``author`` its organizations (``Organization`` with ``name``);
* ``license`` the license concept (``http://spdx.org/licenses/<ID>`` for an SPDX license),
  ``conditionsOfAccess`` ``open`` / ``limited`` / ``closed``;
* ``codeRepository`` the source-code links; ``codemeta:referencePublication`` the paper
  (``ScholarlyArticle`` with ``name`` and, where known, its DOI as ``identifier``);
* ``fair4ml:trainedOn`` the corpora of the vocabulary (``Dataset`` with ``name``);
* ``fair4ml:mlTask`` the pretraining and fine-tuning tasks; ``fair4ml:intendedUse`` the
  application; ``keywords`` the model family.

llmkg records no base model a model was fine-tuned from, so ``fair4ml:fineTunedFrom`` is not
written. Nodes, keys and values are sorted: the output is deterministic.
"""

from __future__ import annotations

import json
from typing import Any

from pyoxigraph import DefaultGraph, Literal, NamedNode

from ..records.vocabularies import SPDX_BASE
from ..vocab import expand
from ._rdf import license_facts

FAIR4ML = "https://w3id.org/fair4ml#"
CONTEXT = {
    "@vocab": "http://schema.org/",
    "schema": "http://schema.org/",
    "fair4ml": FAIR4ML,
    "codemeta": "https://w3id.org/codemeta/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "license": {"@id": "schema:license", "@type": "@id"},
    "codeRepository": {"@id": "schema:codeRepository", "@type": "@id"},
    "identifier": {"@id": "schema:identifier", "@type": "@id"},
    "referencePublication": {"@id": "codemeta:referencePublication"},
}
DOI_URL = "https://doi.org/"


class _Graph:
    def __init__(self, store):
        self.store = store
        self._dg = DefaultGraph()

    def values(self, s: str, p: str) -> list:
        return list(o.object for o in self.store.quads_for_pattern(NamedNode(s), NamedNode(expand(p)), None, self._dg))

    def texts(self, s: str, p: str) -> list[str]:
        return sorted({o.value for o in self.values(s, p) if isinstance(o, Literal)})

    def iris(self, s: str, p: str) -> list[str]:
        return sorted({o.value for o in self.values(s, p) if isinstance(o, NamedNode)})

    def curated_title(self, s: str) -> str | None:
        from ..vocab import CURATED_GRAPH

        t = sorted(q.object.value for q in self.store.quads_for_pattern(
            NamedNode(s), NamedNode(expand("dcterms:title")), None, NamedNode(CURATED_GRAPH)))
        return t[0] if t else None

    def label(self, s: str) -> str | None:
        for p in ("skos:prefLabel", "rdfs:label", "dcterms:title"):
            t = self.texts(s, p)
            if t:
                return t[0]
        return None


def _one(values: list) -> Any:
    return values[0] if len(values) == 1 else values


def model_node(g: _Graph, iri: str) -> dict:
    node: dict[str, Any] = {"@id": iri, "@type": "fair4ml:MLModel", "identifier": iri}
    name = g.label(iri)
    if name:
        node["name"] = name
    alt = [a for a in g.texts(iri, "skos:altLabel") if a != name]
    if alt:
        node["alternateName"] = _one(alt)
    dates = g.texts(iri, "dcterms:created")
    if dates:
        node["dateCreated"] = _one(dates)
    orgs = [{"@id": o, "@type": "Organization", "name": g.label(o) or o} for o in g.iris(iri, "llmkg:organization")]
    if orgs:
        node["author"] = _one(orgs)
    licenses, access = [], set()
    for lic in g.iris(iri, "llmkg:license"):
        if lic.endswith("/license/not-stated"):
            continue
        spdx, level = license_facts(g.store, lic)
        licenses.append(SPDX_BASE + spdx if spdx else lic)
        if level:
            access.add(level)
    if licenses:
        node["license"] = _one(licenses)
    if access:
        node["conditionsOfAccess"] = _one(sorted(access))
    code = g.iris(iri, "llmkg:sourceCode") + g.texts(iri, "llmkg:sourceCode")
    if code:
        node["codeRepository"] = _one(sorted(set(code)))
    papers = []
    for p in g.iris(iri, "llmkg:introducedIn"):
        paper: dict[str, Any] = {"@id": p, "@type": "ScholarlyArticle"}
        title = g.curated_title(p) or (g.texts(p, "dcterms:title") or [g.label(p)])[0]
        if title:
            paper["name"] = title
        dois = g.texts(p, "orkgp:P26")
        arxiv = g.texts(p, "llmkg:arxivId")
        if dois:
            paper["identifier"] = DOI_URL + dois[0]
        elif arxiv:
            paper["identifier"] = DOI_URL + "10.48550/arXiv." + arxiv[0]
        papers.append(paper)
    if papers:
        node["referencePublication"] = _one(papers)
    corpora = [{"@id": c, "@type": "Dataset", "name": g.label(c) or c} for c in g.iris(iri, "llmkg:trainedOn")]
    if corpora:
        node["fair4ml:trainedOn"] = _one(corpora)
    tasks = sorted(set(g.texts(iri, "llmkg:pretrainingTask") + g.texts(iri, "llmkg:fineTuningTask")))
    if tasks:
        node["fair4ml:mlTask"] = _one(tasks)
    use = g.texts(iri, "llmkg:application")
    if use:
        node["fair4ml:intendedUse"] = _one(use)
    family = g.texts(iri, "llmkg:modelFamily")
    if family:
        node["keywords"] = _one(family)
    return node


def document(src) -> dict:
    g = _Graph(src.store)
    models = sorted({q.subject.value for q in src.store.quads_for_pattern(
        None, NamedNode(expand("rdf:type")), NamedNode(expand("llmkg:Model")), DefaultGraph())
        if isinstance(q.subject, NamedNode)})
    return {"@context": CONTEXT, "@graph": [model_node(g, m) for m in models]}


def write(src, out) -> None:
    out.write(json.dumps(document(src), ensure_ascii=False, indent=1).encode("utf-8") + b"\n")
