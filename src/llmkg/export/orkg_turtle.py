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
  comparison property;
* **no id is minted in ORKG's namespaces**, which only ORKG assigns: the ORKG ids the
  sources give (``R370535``...) are reused, with ``orkgp:SAME_AS`` to the llmkg IRI; every
  other resource keeps its llmkg IRI (``res:paper/attention-is-all-you-need``; venues get
  ``res:venue/<slug>``) and is marked ``a llmkg:NewToOrkg``;
* predicates: ORKG's ids where ORKG has the predicate (``P26``-``P32``, ``url``,
  ``HAS_VENUE``, ``SAME_AS``, ``hasModel``); each other comparison property is llmkg's
  property (``llmkg:modelFamily``: one predicate per property), declared
  ``a orkgc:Predicate, llmkg:NewToOrkg`` with its ORKG label.
"""

from __future__ import annotations

from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, serialize

from ..vocab import PREFIXES, expand
from ._orkg import (COLUMNS, FIELD_OF_LABEL, KNOWN_PREDICATES, ORKG_PREDICATE_LABELS, ORKGC, ORKGP, ORKGR,
                    RESEARCH_FIELD_ID, RESEARCH_FIELD_LABEL, XSD, XSD_ANYURI, XSD_STRING, Value, view)
from ._rdf import triple_key

RDF_TYPE = NamedNode(PREFIXES["rdf"] + "type")
RDFS_LABEL = NamedNode(PREFIXES["rdfs"] + "label")
OWL_CLASS = NamedNode(PREFIXES["owl"] + "Class")
NEW = NamedNode(PREFIXES["llmkg"] + "NewToOrkg")
PREFIX_DECL = {"orkgr": ORKGR, "orkgp": ORKGP, "orkgc": ORKGC, "rdf": PREFIXES["rdf"],
               "rdfs": PREFIXES["rdfs"], "xsd": XSD, "owl": PREFIXES["owl"], "llmkg": PREFIXES["llmkg"]}


def _s(text: str) -> Literal:
    return Literal(text, datatype=NamedNode(XSD_STRING))


class _Builder:
    def __init__(self, base: str):
        self.base = base
        self.triples: set[Triple] = set()
        self.classes: set[str] = set()
        self.predicates: dict[str, tuple[str, bool]] = {}   # IRI -> (label, new to ORKG)
        self.done: set[str] = set()

    def add(self, s, p, o) -> None:
        self.triples.add(Triple(s, p, o))

    def pred(self, label: str) -> NamedNode:
        """ORKG's predicate where ORKG has one, else llmkg's property for the label."""
        if label in KNOWN_PREDICATES:
            pid = KNOWN_PREDICATES[label]
            iri, new = ORKGP + pid, False
            label = ORKG_PREDICATE_LABELS.get(pid, label)
        else:
            iri, new = expand(FIELD_OF_LABEL[label].prop), True
        self.predicates.setdefault(iri, (label, new))
        return NamedNode(iri)

    def resource(self, orkg_id: str | None, iri: str | None, label: str, classes=(),
                 local: str | None = None) -> NamedNode:
        """ORKG's resource ``orkg_id`` where ORKG has one; else ours, by our ``iri`` (or
        ``local``, a path like ``venue/naacl-hlt`` under the base), marked new to ORKG."""
        if orkg_id:
            node = NamedNode(ORKGR + orkg_id)
        else:
            node = NamedNode(iri or self.base + (local or "label/" + _slug(label)))
        key = node.value
        if key not in self.done:
            self.done.add(key)
            self.add(node, RDF_TYPE, NamedNode(ORKGC + "Resource"))
            self.add(node, RDFS_LABEL, _s(label))
            if orkg_id and iri:
                self.add(node, self.pred("same as"), Literal(iri, datatype=NamedNode(XSD_ANYURI)))
            elif not orkg_id:
                self.add(node, RDF_TYPE, NEW)
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
        for iri, (label, new) in sorted(self.predicates.items()):
            self.add(NamedNode(iri), RDF_TYPE, NamedNode(ORKGC + "Predicate"))
            self.add(NamedNode(iri), RDFS_LABEL, _s(label))
            if new:
                self.add(NamedNode(iri), RDF_TYPE, NEW)


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
