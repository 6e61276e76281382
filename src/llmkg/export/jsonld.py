"""JSON-LD with the llmkg context.

The context is embedded in the document (``"@context": {...}``), so that a JSON-LD processor
reads it offline; with ``reference_context`` the document names it by its stable IRI
instead (``https://w3id.org/llmkg/context.jsonld``, served by ``llmkg serve`` at
``/context.jsonld``; the file is ``llmkg/export/context.jsonld``,
``llmkg.export.CONTEXT_FILE``). The document is written compact against it: properties by their term (``modelFamily``, ``label``...) or a compact
IRI (``dcterms:license``), IRIs as compact IRIs (``res:model/gpt-3``), literals as plain
strings where the term's type coercion gives back the same literal, as value objects
otherwise. Every named graph is one ``{"@id": graph, "@graph": [...]}`` object; with
``--graph`` the document is that one named graph. Nodes, keys and values are sorted and
blank nodes labelled canonically, so the output is deterministic.

pyoxigraph's own JSON-LD writer gives expanded JSON-LD without a context, which is why
this module compacts by itself (a simple, exact compaction: each triple becomes one value,
nothing is lost or guessed).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode

from ..vocab import PREFIXES, RDF_TYPE, XSD
from . import CONTEXT_FILE, CONTEXT_IRI
from ._rdf import select

XSD_STRING = XSD + "string"
RDF_LANGSTRING = PREFIXES["rdf"] + "langString"


@lru_cache(maxsize=1)
def published_context() -> dict:
    """The ``@context`` object of the shipped context.jsonld."""
    return json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]


class Compactor:
    """IRIs and triples compacted against the published context (plus a ``res`` override)."""

    def __init__(self, context: dict, base: str | None = None):
        self.prefixes: dict[str, str] = {}
        self.terms: dict[str, tuple[str, str | None]] = {}   # property IRI -> (term, coercion)
        for key, value in context.items():
            if key.startswith("@"):
                continue
            if isinstance(value, str) and value.endswith(("/", "#")) and "://" in value:
                self.prefixes[key] = value
        if base is not None:
            self.prefixes["res"] = base
        for key, value in sorted(context.items()):
            if key.startswith("@") or key in self.prefixes:
                continue
            if isinstance(value, str):
                iri, coercion = self.expand(value), None
            elif isinstance(value, dict) and "@id" in value:
                iri = self.expand(value["@id"])
                coercion = value.get("@type")
                if coercion not in (None, "@id"):
                    coercion = self.expand(coercion)
            else:
                continue
            self.terms.setdefault(iri, (key, coercion))
        # longest namespace first, so the most specific prefix wins
        self._by_length = sorted(self.prefixes.items(), key=lambda kv: (-len(kv[1]), kv[0]))

    def expand(self, value: str) -> str:
        prefix, sep, local = value.partition(":")
        if sep and prefix in self.prefixes and not local.startswith("//"):
            return self.prefixes[prefix] + local
        return value

    def iri(self, iri: str) -> str:
        """A compact IRI where a prefix fits and expands back to exactly ``iri``."""
        for prefix, ns in self._by_length:
            if iri.startswith(ns) and len(iri) > len(ns):
                local = iri[len(ns):]
                if local.startswith("//"):
                    continue
                return f"{prefix}:{local}"
        return iri

    def key(self, predicate: str) -> tuple[str, str | None]:
        if predicate in self.terms:
            return self.terms[predicate]
        return self.iri(predicate), None

    def node_ref(self, term) -> str:
        if isinstance(term, BlankNode):
            return f"_:{term.value}"
        return self.iri(term.value)

    def value(self, obj, coercion: str | None) -> Any:
        if isinstance(obj, (NamedNode, BlankNode)):
            ref = self.node_ref(obj)
            return ref if coercion == "@id" and isinstance(obj, NamedNode) else {"@id": ref}
        assert isinstance(obj, Literal)
        if obj.language:
            return {"@value": obj.value, "@language": obj.language}
        dt = obj.datatype.value
        if dt == XSD_STRING:
            return obj.value if coercion is None else {"@value": obj.value}
        if coercion == dt:
            return obj.value
        return {"@value": obj.value, "@type": self.iri(dt)}


def _nodes(quads, c: Compactor) -> list[dict]:
    """Node objects of quads sorted by subject: ``@id``, ``@type``, then keys sorted."""
    nodes: list[dict] = []
    current = None
    props: dict[str, list] = {}
    types: list[str] = []

    def flush():
        if current is None:
            return
        node: dict[str, Any] = {"@id": c.node_ref(current)}
        if types:
            node["@type"] = types[0] if len(types) == 1 else sorted(types)
        for k in sorted(props):
            vals = props[k]
            node[k] = vals[0] if len(vals) == 1 else vals
        nodes.append(node)

    for q in quads:
        if q.subject != current:
            flush()
            current, props, types = q.subject, {}, []
        p = q.predicate.value
        if p == RDF_TYPE and isinstance(q.object, (NamedNode, BlankNode)):
            types.append(c.node_ref(q.object))
            continue
        key, coercion = c.key(p)
        props.setdefault(key, []).append(c.value(q.object, coercion))
    flush()
    return nodes


def document(src) -> dict:
    ctx = published_context()
    base = src.base
    override = None if ctx.get("res") == base else base
    c = Compactor(ctx, override)
    if src.reference_context:
        context: Any = CONTEXT_IRI if override is None else [CONTEXT_IRI, {"res": base}]
    else:
        context = dict(ctx) if override is None else {**ctx, "res": base}
    quads = select(src)
    by_graph: dict[str, list] = {}
    for q in quads:
        g = q.graph_name
        by_graph.setdefault("" if isinstance(g, DefaultGraph) else g.value, []).append(q)
    if src.graph is not None:
        return {"@context": context, "@id": c.iri(src.graph), "@graph": _nodes(by_graph.get(src.graph, []), c)}
    items: list[dict] = _nodes(by_graph.pop("", []), c)
    for g in sorted(by_graph):
        items.append({"@id": c.iri(g), "@graph": _nodes(by_graph[g], c)})
    return {"@context": context, "@graph": items}


def write(src, out) -> None:
    text = json.dumps(document(src), ensure_ascii=False, indent=1)
    out.write(text.encode("utf-8") + b"\n")
