"""Terms and paths between rdflib (the shapes graph, pySHACL) and pyoxigraph (the data):
conversions, SPARQL text for a term and for a SHACL path, and the lock that serializes
rdflib's SPARQL parser (pyparsing is not thread-safe).
"""

from __future__ import annotations

import logging
import threading

import rdflib
from pyoxigraph import BlankNode, Literal, NamedNode
from rdflib import BNode, URIRef
from rdflib import Literal as RLiteral
from rdflib.collection import Collection

log = logging.getLogger("llmkg.check")

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
RDF = rdflib.RDF
RDFS = rdflib.RDFS
# rdflib parses SPARQL with pyparsing, which is not thread-safe: two validation threads that
# fall back to rdflib at once (an ill-typed value such as "2023-02-30"^^xsd:date) broke each
# other's parse ("Param.postParse2() missing 1 required positional argument"). Every use of
# rdflib's SPARQL and of pySHACL's evaluation from the validation threads holds this lock.
RDFLIB_LOCK = threading.RLock()


def _prepare(text: str):
    from rdflib.plugins.sparql import prepareQuery

    with RDFLIB_LOCK:
        return prepareQuery(text)
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
DUMMY_FOCUS = URIRef("urn:x-llmkg-fastshacl:focus")

TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
NATIVE = {SH.minCount, SH.maxCount, SH["class"], SH.nodeKind, SH["in"], SH.hasValue, SH.minLength,
          SH.maxLength, SH.pattern, SH.sparql, SH.property}
# value-only components evaluated by pySHACL's own code on the distinct values
VALUE_ONLY = {SH.datatype, SH.minInclusive, SH.maxInclusive, SH.minExclusive, SH.maxExclusive,
              SH.languageIn, SH["not"], SH["and"], SH["or"], SH.xone, SH.node}
# components whose result depends on the value node alone (usable inside sh:or & co.)
PURE = VALUE_ONLY | {SH.nodeKind, SH.pattern, SH["in"], SH.hasValue, SH.minLength, SH.maxLength}
NODE_KINDS = {
    SH.IRI: "isIRI(?value)", SH.BlankNode: "isBlank(?value)", SH.Literal: "isLiteral(?value)",
    SH.BlankNodeOrIRI: "(isBlank(?value) || isIRI(?value))",
    SH.BlankNodeOrLiteral: "(isBlank(?value) || isLiteral(?value))",
    SH.IRIOrLiteral: "(isIRI(?value) || isLiteral(?value))",
}


class Unsupported(Exception):
    """A construct this engine does not compile: the shape falls back to pySHACL."""


# --- terms ---------------------------------------------------------------------------------

def to_rdflib(t):
    """A pyoxigraph term as pySHACL sees it (llmkg.check.validate.to_rdflib: xsd:string -> plain)."""
    if t is None:
        return None
    if isinstance(t, NamedNode):
        return URIRef(t.value)
    if isinstance(t, BlankNode):
        return BNode(t.value)
    if t.language:
        return RLiteral(t.value, lang=t.language)
    dt = t.datatype.value
    if dt == XSD_STRING:
        return RLiteral(t.value)
    return RLiteral(t.value, datatype=URIRef(dt))


def to_oxigraph(t):
    """An rdflib term of the shapes graph as a pyoxigraph term (None for blank nodes)."""
    if isinstance(t, URIRef):
        return NamedNode(str(t))
    if isinstance(t, RLiteral):
        if t.language:
            return Literal(str(t), language=t.language)
        if t.datatype is not None:
            return Literal(str(t), datatype=NamedNode(str(t.datatype)))
        return Literal(str(t))
    return None


def sparql_term(t) -> str:
    """An rdflib IRI or literal in SPARQL syntax."""
    o = to_oxigraph(t)
    if o is None:
        raise Unsupported(f"blank node {t} used as a constant")
    return str(o)


# --- paths -----------------------------------------------------------------------------------

def path_sparql(g: rdflib.Graph, p, depth: int = 0) -> str:
    if depth > 20:
        raise Unsupported("path too deep")
    if isinstance(p, URIRef):
        return f"<{p}>"
    if isinstance(p, BNode):
        if (p, RDF.first, None) in g:
            items = list(Collection(g, p))
            if len(items) < 2:
                raise Unsupported("sequence path with fewer than two members")
            return "(" + "/".join(path_sparql(g, i, depth + 1) for i in items) + ")"
        for pred, fmt in ((SH.inversePath, "^({})"), (SH.zeroOrMorePath, "({})*"),
                          (SH.oneOrMorePath, "({})+"), (SH.zeroOrOnePath, "({})?")):
            o = g.value(p, pred)
            if o is not None:
                return fmt.format(path_sparql(g, o, depth + 1))
        o = g.value(p, SH.alternativePath)
        if o is not None:
            items = list(Collection(g, o))
            if not items:
                raise Unsupported("empty alternative path")
            return "(" + "|".join(path_sparql(g, i, depth + 1) for i in items) + ")"
    raise Unsupported(f"unknown path {p!r}")


def last_steps(g: rdflib.Graph, p) -> list[tuple[str, bool]] | None:
    """The (IRI, inverse?) steps a value of path ``p`` is reached by last, or None when a value
    can also be the focus node itself (``*``, ``?``) or the path is not analysed."""
    if isinstance(p, URIRef):
        return [(str(p), False)]
    if not isinstance(p, BNode):
        return None
    if (p, RDF.first, None) in g:
        items = list(Collection(g, p))
        return last_steps(g, items[-1]) if items else None
    inv = g.value(p, SH.inversePath)
    if inv is not None:
        return [(str(inv), True)] if isinstance(inv, URIRef) else None
    one = g.value(p, SH.oneOrMorePath)
    if one is not None:
        return last_steps(g, one)
    alt = g.value(p, SH.alternativePath)
    if alt is not None:
        out: list = []
        for i in Collection(g, alt):
            s = last_steps(g, i)
            if s is None:
                return None
            out += s
        return out
    return None
