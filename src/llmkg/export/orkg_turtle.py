"""Turtle in ORKG's own dump vocabulary.

The shape of ORKG's RDF dump (orkg-backend ``RDFService``: every resource
``a orkgc:Resource`` plus its classes, labels as ``xsd:string``, predicates
``a orkgc:Predicate``, classes ``a owl:Class``, literals typed), for the papers and
contributions of one source graph (``awesome-llms`` by default):

* papers ``a orkgc:Paper``, linked to their contributions by ``orkgp:P31``; DOI ``P26``,
  authors ``P27``, month ``P28``, year ``P29``, research field ``P30``, ``url``,
  venue ``HAS_VENUE``;
* contributions ``a orkgc:Contribution``, with ``orkgp:P32`` to their research problems
  (``a orkgc:Problem``), ``hasModel`` to the model and one statement per value of each
  comparison property (predicate ids: ORKG's where known, else minted ``LLMKG_<label>``);
* the ORKG ids the sources give (``R370535``...) are reused; every other resource gets a
  stable id of ours under ORKG's resource namespace, ``LLMKG_<kind>_<id>``
  (``orkgr:LLMKG_paper_attention-is-all-you-need``), so papers, contributions and problems
  are all in ORKG's namespaces; ``orkgp:SAME_AS`` gives each resource's llmkg IRI.
"""

from __future__ import annotations

from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, serialize

from ..vocab import PREFIXES
from ._orkg import (COLUMNS, ORKG_PREDICATE_LABELS, ORKGC, ORKGP, ORKGR, RESEARCH_FIELD_ID, RESEARCH_FIELD_LABEL,
                    XSD, XSD_ANYURI, XSD_STRING, Value, mint_resource_id, predicate_id, view)
from ._rdf import triple_key

RDF_TYPE = NamedNode(PREFIXES["rdf"] + "type")
RDFS_LABEL = NamedNode(PREFIXES["rdfs"] + "label")
OWL_CLASS = NamedNode(PREFIXES["owl"] + "Class")
PREFIX_DECL = {"orkgr": ORKGR, "orkgp": ORKGP, "orkgc": ORKGC, "rdf": PREFIXES["rdf"],
               "rdfs": PREFIXES["rdfs"], "xsd": XSD, "owl": PREFIXES["owl"]}


def _s(text: str) -> Literal:
    return Literal(text, datatype=NamedNode(XSD_STRING))


class _Builder:
    def __init__(self, base: str):
        self.base = base
        self.triples: set[Triple] = set()
        self.classes: set[str] = set()
        self.predicates: dict[str, str] = {}      # id -> label
        self.done: set[str] = set()

    def add(self, s, p, o) -> None:
        self.triples.add(Triple(s, p, o))

    def pred(self, label: str) -> NamedNode:
        pid = predicate_id(label)
        self.predicates.setdefault(pid, ORKG_PREDICATE_LABELS.get(pid, label))
        return NamedNode(ORKGP + pid)

    def resource(self, orkg_id: str | None, iri: str | None, label: str, classes=(),
                 local: str | None = None) -> NamedNode:
        """An ORKG resource: ``orkg_id`` where ORKG has one, else minted from our ``iri``
        (or from ``local``, a path like ``venue/naacl-hlt`` for what has no IRI of ours)."""
        if orkg_id:
            rid = orkg_id
        elif iri:
            rid = mint_resource_id(iri, self.base)
        else:
            rid = mint_resource_id(self.base + (local or "label/" + _slug(label)), self.base)
        node = NamedNode(ORKGR + rid)
        if rid not in self.done:
            self.done.add(rid)
            self.add(node, RDF_TYPE, NamedNode(ORKGC + "Resource"))
            self.add(node, RDFS_LABEL, _s(label))
            if iri:
                self.add(node, self.pred("same as"), Literal(iri, datatype=NamedNode(XSD_ANYURI)))
        for cls in classes:
            self.classes.add(cls)
            self.add(node, RDF_TYPE, NamedNode(ORKGC + cls))
        return node

    def value(self, v: Value):
        if v.resource:
            return self.resource(v.orkg_id, v.iri, v.text, v.classes)
        return Literal(v.text, datatype=NamedNode(v.datatype))

    def declarations(self) -> None:
        for cls in sorted(self.classes):
            self.add(NamedNode(ORKGC + cls), RDF_TYPE, OWL_CLASS)
            self.add(NamedNode(ORKGC + cls), RDFS_LABEL, _s(cls))
        for pid, label in sorted(self.predicates.items()):
            self.add(NamedNode(ORKGP + pid), RDF_TYPE, NamedNode(ORKGC + "Predicate"))
            self.add(NamedNode(ORKGP + pid), RDFS_LABEL, _s(label))


def triples(src) -> list[Triple]:
    v = view(src)
    b = _Builder(v.base)
    field_node = b.resource(RESEARCH_FIELD_ID, None, RESEARCH_FIELD_LABEL, ("ResearchField",))
    for p in v.papers:
        paper = b.resource(p.orkg_id, p.iri, p.title, ("Paper",))
        b.add(paper, b.pred("has research field"), field_node)
        if p.doi:
            b.add(paper, b.pred("has DOI"), _s(p.doi))
        for name in p.authors:
            b.add(paper, b.pred("has author"), _s(name))
        if p.month:
            b.add(paper, b.pred("has publication month"), Literal(str(p.month), datatype=NamedNode(XSD + "integer")))
        if p.year:
            b.add(paper, b.pred("has publication year"), Literal(str(p.year), datatype=NamedNode(XSD + "integer")))
        if p.url:
            b.add(paper, b.pred("url"), Literal(p.url, datatype=NamedNode(XSD_ANYURI)))
        if p.venue:
            venue = b.resource(None, None, p.venue, ("Venue",), local="venue/" + _slug(p.venue))
            b.add(paper, b.pred("has venue"), venue)
        for c in p.contributions:
            node = b.resource(c.orkg_id, c.iri, c.label, ("Contribution",))
            b.add(paper, b.pred("has contribution"), node)
            for label in COLUMNS:
                for val in c.values.get(label, []):
                    b.add(node, b.pred(label), b.value(val))
    b.declarations()
    return sorted(b.triples, key=triple_key)


def _slug(text: str) -> str:
    from ..records.values import slugify
    return slugify(text) or "venue"


def write(src, out) -> None:
    out.write(serialize(triples(src), format=RdfFormat.TURTLE, prefixes=PREFIX_DECL))
