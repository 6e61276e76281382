"""The property-graph view the graph-tool exports share (graphml, neo4j, csv).

Nodes are the IRIs and blank nodes of the chosen triples (the union of all graphs, or one
graph with ``--graph``): every subject, and every object of a triple whose object is not a
literal, except the objects of ``rdf:type`` (classes become the node's types, not nodes of
their own unless they are subjects too). Triples with a literal object become node
attributes; the other triples (but ``rdf:type``) become edges labelled with their
predicate. A node's label is its ``rdfs:label`` (else ``skos:prefLabel``, ``dcterms:title``,
``foaf:name``), its types and label are also looked up in the other graphs when one graph
is exported, and the last segment of its IRI serves when it has none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pyoxigraph import BlankNode, Literal, NamedNode

from ..vocab import PREFIXES, RDF_TYPE, shorten
from ._rdf import prefixes, triples

LABEL_PROPS = [PREFIXES["rdfs"] + "label", PREFIXES["skos"] + "prefLabel", PREFIXES["dcterms"] + "title",
               PREFIXES["foaf"] + "name"]


def node_id(term) -> str:
    return "_:" + term.value if isinstance(term, BlankNode) else term.value


@dataclass
class Node:
    id: str
    types: list[str] = field(default_factory=list)                  # class IRIs, sorted
    literals: dict[str, list[Literal]] = field(default_factory=dict)  # predicate IRI -> values
    label: str = ""
    is_subject: bool = False


@dataclass
class Edge:
    source: str
    target: str
    predicate: str


@dataclass
class PropertyGraph:
    nodes: dict[str, Node]
    edges: list[Edge]
    prefixes: dict[str, str]

    def short(self, iri: str) -> str:
        s = shorten(iri, self.prefixes)
        return iri if s.startswith("<") else s


def build(src) -> PropertyGraph:
    nodes: dict[str, Node] = {}
    edges: list[Edge] = []

    def node(term) -> Node:
        key = node_id(term)
        n = nodes.get(key)
        if n is None:
            n = nodes[key] = Node(key)
        return n

    for t in triples(src):
        s = node(t.subject)
        s.is_subject = True
        p = t.predicate.value
        o = t.object
        if isinstance(o, Literal):
            s.literals.setdefault(p, []).append(o)
        elif p == RDF_TYPE:
            s.types.append(node_id(o))
        else:
            node(o)
            edges.append(Edge(s.id, node_id(o), p))
    store = src.store
    for n in nodes.values():
        if src.graph is not None and not n.id.startswith("_:"):
            subject = NamedNode(n.id)
            for q in store.quads_for_pattern(subject, NamedNode(RDF_TYPE), None, None):
                if isinstance(q.object, NamedNode) and q.object.value not in n.types:
                    n.types.append(q.object.value)
        n.types.sort()
        n.label = _label(n, store if src.graph is not None else None)
    order = sorted(nodes, key=lambda k: (k.startswith("_:"), k))
    return PropertyGraph({k: nodes[k] for k in order}, edges, prefixes(src.base))


def _label(n: Node, store) -> str:
    for prop in LABEL_PROPS:
        vals = sorted(v.value for v in n.literals.get(prop, []))
        if vals:
            return vals[0]
    if store is not None and not n.id.startswith("_:"):
        for prop in LABEL_PROPS:
            vals = sorted(q.object.value for q in store.quads_for_pattern(NamedNode(n.id), NamedNode(prop), None, None)
                          if isinstance(q.object, Literal))
            if vals:
                return vals[0]
    if n.id.startswith("_:"):
        return n.id
    tail = re.split(r"[/#]", n.id.rstrip("/#"))[-1]
    return tail or n.id


def values_text(values: list[Literal], sep: str = " | ") -> str:
    return sep.join(sorted((v.value for v in values), key=lambda x: (x.casefold(), x)))

