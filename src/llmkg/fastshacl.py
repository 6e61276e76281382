"""Fast SHACL validation: the shapes compiled to SPARQL and run on the Oxigraph store.

pySHACL stays the reference (``llmkg validate --engine pyshacl``) and the engine for every
shape this module does not compile. The results are pySHACL's, result for result: the same
focus node, result path, value, constraint component, severity, message and source shape,
per source graph (``graph:curated`` plus one ``graph:<source>``, as
:func:`llmkg.validate.run_shacl` runs pySHACL), so that :mod:`llmkg.validate` turns both into
the same :class:`~llmkg.records.Problem` list. ``tests/test_fast_validation.py`` compares the
two engines on the shipped data and on generated data with every kind of violation.

How a shape is compiled
-----------------------
*Focus nodes* (targets) become one SPARQL group pattern binding ``?this``: ``sh:targetClass``
(``rdf:type/rdfs:subClassOf*`` when the data has ``rdfs:subClassOf`` triples, as inference is
off), ``sh:targetNode``, ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``, implicit class
targets, and ``sh:target [ a sh:SPARQLTarget ; sh:select ... ]`` embedded as a sub-select.
A property shape reached through ``sh:property`` gets the focus nodes of its parent.
*Paths*: IRI, inverse, sequence, alternative, zero-or-more, one-or-more, zero-or-one (SPARQL
property paths; values are deduplicated as pySHACL's sets are).

*Constraints*, by where they are decided:

* in SPARQL, returning only the offending rows: ``sh:minCount``, ``sh:maxCount``
  (``COUNT(DISTINCT)``), ``sh:class`` (``FILTER NOT EXISTS``), ``sh:nodeKind``, ``sh:in`` and
  ``sh:hasValue`` (``sameTerm``), ``sh:minLength``/``sh:maxLength`` (``STRLEN(STR())``);
* in Python, on the *distinct values* of the path (computed once for the whole store when the
  path's last step is an IRI or an inverse IRI, else per source graph), with pySHACL's own
  semantics: ``sh:pattern`` (+ ``sh:flags``; Python ``re``, not SPARQL REGEX), and through
  pySHACL's own constraint components ``sh:datatype`` (ill-typed literals do not match),
  ``sh:minInclusive``/``maxInclusive``/``minExclusive``/``maxExclusive`` (incomparable types
  fail, as in pySHACL), ``sh:languageIn``, and ``sh:not``/``sh:and``/``sh:or``/``sh:xone``/
  ``sh:node`` whose member shapes use only such value-only constraints. The values that fail
  are then joined back to their focus nodes in one SPARQL query per source graph;
* ``sh:sparql`` (SELECT) constraints run once per source graph with ``$this`` unbound and
  are joined with the focus nodes (``$PATH`` and ``$currentShape`` substituted).

How a shape runs: when it has few focus nodes (at most :data:`SMALL_FOCUS` IRIs: the
instances of a small class, what a SPARQL target selects), they are listed first and their
values looked up one by one; otherwise the path's values are scanned and joined with the
focus nodes by hash. The counts of ``sh:minCount``/``sh:maxCount`` (and the value filters
of the same path) are taken per focus node after that join, so that only the focus nodes'
values are grouped, not every value of the path in the graph.

Anything else (``sh:closed``, ``sh:equals`` and the other property pairs, qualified value
shapes, ``sh:uniqueLang``, logical constraints over data-dependent shapes, SPARQL target
types, JavaScript, SHACL-AF expressions, custom constraint components) makes the whole
top-level shape fall back to pySHACL, which then runs on the source graphs with only those
shapes targeted; each fallback is logged on the ``llmkg.fastshacl`` logger (DEBUG) with its
reason, and listed in :attr:`FastValidator.fallbacks`.

Known differences with pySHACL that cannot be observed through llmkg's mapping: SPARQL (targets
and ``sh:sparql``) is evaluated by Oxigraph, not rdflib (the shapes' queries are written to mean
the same in both, and the tests compare them); the store keeps typed literals of the XSD
types in canonical form (``"01"^^xsd:integer`` is stored as ``"1"``), so both engines are run
on the store's content.
"""

from __future__ import annotations

import copy
import logging
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

import rdflib
from pyoxigraph import BlankNode, Literal, NamedNode, QueryResultsFormat, Store, parse_query_results
from rdflib import BNode, URIRef
from rdflib import Literal as RLiteral
from rdflib.collection import Collection

log = logging.getLogger("llmkg.fastshacl")

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
    """A pyoxigraph term as pySHACL sees it (llmkg.validate.to_rdflib: xsd:string -> plain)."""
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


# --- locality: which triples of a source graph can change a shape's results -------------------
#
# A "touch" says what a source graph G must contain for the results of a unit over
# graph:curated + G to possibly differ from its results over graph:curated alone:
#   ("type", C)          a triple  ?x rdf:type C
#   ("out", p, C)        a triple  ?f p ?o   (p None: any predicate; C: ?f is an instance of C)
#   ("in", p, C)         a triple  ?o p ?f
#   ("vtype", p, dir)    a type triple of a node that is the object (dir "out") or subject
#                        (dir "in") of a p triple of graph:curated
# A unit is *local* when its result at a focus node depends only on triples incident to the
# focus node (and, for sh:class, on the type triples of its values): radius-0 targets, IRI or
# inverse paths, and SPARQL whose every triple pattern has ?this as subject or object.

def __sparql_touches_uncached(text: str, prologue: str) -> list | None:
    """The touches of a SPARQL SELECT (target or constraint), None when it is not local."""
    try:
        from rdflib.paths import AlternativePath, InvPath
        from rdflib.plugins.sparql.parserutils import CompValue
        from rdflib.term import Variable

        q = _prepare(prologue + text)
    except Exception:  # noqa: BLE001 - rdflib cannot parse it: no analysis
        return None
    this = Variable("this")
    out: list = []
    rdf_type = URIRef(str(RDF.type))

    def pred(p, direction):
        if isinstance(p, Variable):
            return [(direction, None, None)]
        if isinstance(p, URIRef):
            return [(direction, str(p), None)]
        if isinstance(p, InvPath) and isinstance(p.arg, URIRef):
            return [("in" if direction == "out" else "out", str(p.arg), None)]
        if isinstance(p, AlternativePath):
            res = []
            for a in p.args:
                r = pred(a, direction)
                if r is None:
                    return None
                res += r
            return res
        return None

    def walk(node, depth=0) -> bool:
        if depth > 200:
            return False
        if isinstance(node, CompValue):
            name = node.name
            if name == "BGP":
                for s, p, o in node.triples:
                    if s == this and p == rdf_type and isinstance(o, URIRef):
                        out.append(("type", str(o)))
                        continue
                    if s == this:
                        r = pred(p, "out")
                    elif o == this:
                        r = pred(p, "in")
                    else:
                        return False
                    if r is None:
                        return False
                    out.extend(r)
                return True
            if name == "SelectQuery" and depth > 0:
                return False
            if name == "Extend" and node.get("var") == this:
                return False
            if name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
                # a pattern that does not mention ?this is one condition for the whole graph:
                # the results are local as long as it keeps its truth value ("global" touches)
                found = _terms_in(node.get("graph"))
                if this in found:
                    return False
                out.extend(("global", str(t)) for t in found if isinstance(t, URIRef))
                return True
            if name not in _LOCAL_ALGEBRA and not name.startswith("Builtin_"):
                return False
            return all(walk(v, depth + 1) for k, v in node.items() if k not in ("PV", "_vars", "datasetClause"))
        if isinstance(node, (list, tuple)):
            return all(walk(x, depth + 1) for x in node)
        return True

    if not walk(q.algebra):
        return None
    return out


def _terms_in(node, depth: int = 0) -> set:
    """Every variable and IRI in a (parser-form) graph pattern."""
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import Variable

    out: set = set()
    if depth > 200:
        out.add(Variable("this"))  # too deep to tell: not local
    elif isinstance(node, (Variable, URIRef)):
        out.add(node)
    elif isinstance(node, CompValue) or isinstance(node, dict):
        for k, v in node.items():
            if not str(k).startswith("_"):
                out |= _terms_in(v, depth + 1)
    elif isinstance(node, (list, tuple, set)):
        for x in node:
            out |= _terms_in(x, depth + 1)
    elif hasattr(node, "args"):  # property paths
        for a in node.args:
            out |= _terms_in(a, depth + 1)
    elif hasattr(node, "arg"):
        out |= _terms_in(node.arg, depth + 1)
    elif hasattr(node, "path"):
        out |= _terms_in(node.path, depth + 1)
    return out


def _has_global(touches) -> bool:
    return touches is not None and any(t[0] == "global" for t in touches)


# --- where rdflib (pySHACL's SPARQL) and Oxigraph may disagree ------------------------------
#
# On well-formed literals the SPARQL of the shapes means the same in rdflib and in Oxigraph.
# They differ on odd literals: an ill-typed one ("x"^^xsd:integer: rdflib calls it numeric and
# compares it as a string, Oxigraph does neither), one rdflib normalizes (" 5", "+5"), and
# strings with line breaks or other separators (Python's and Rust's regular expressions treat
# `$` and `\s` differently there). Where a SPARQL target or constraint can meet one, the
# focus nodes concerned are decided by rdflib, as pySHACL decides them, on their own triples.

_SAFE_EXPR = {
    "Builtin_STR", "Builtin_LANG", "Builtin_DATATYPE", "Builtin_isIRI", "Builtin_isBLANK",
    "Builtin_isLITERAL", "Builtin_BOUND", "Builtin_sameTerm", "ConditionalAndExpression",
    "ConditionalOrExpression", "UnaryNot", "RelationalExpression", "Builtin_EXISTS", "Builtin_NOTEXISTS",
}
_ODD_STRING = re.compile("[\n\r\x0b\x0c\x1c-\x1f\x85\u2028\u2029]")


def __query_facts_uncached(text: str, prologue: str) -> tuple[set, bool] | None:
    """(predicate IRIs the query reads, whether its expressions can depend on literal types
    or odd strings), None when rdflib cannot parse it."""
    try:
        from rdflib.paths import Path as RPath
        from rdflib.plugins.sparql.parserutils import CompValue
        from rdflib.term import Variable

        q = _prepare(prologue + text)
    except Exception:  # noqa: BLE001
        return None
    preds: set = set()
    sensitive = [False]

    def path_iris(p):
        if isinstance(p, URIRef):
            preds.add(str(p))
        elif isinstance(p, RPath):
            for a in getattr(p, "args", []) or [getattr(p, "arg", None), getattr(p, "path", None)]:
                if a is not None:
                    path_iris(a)
        elif isinstance(p, Variable):
            preds.add(None)

    def expr(e, under_str=False):
        if isinstance(e, CompValue):
            name = e.name
            if name not in _SAFE_EXPR:
                if name.startswith("Builtin_") and name in ("Builtin_REGEX", "Builtin_CONTAINS",
                                                            "Builtin_STRSTARTS", "Builtin_STRENDS",
                                                            "Builtin_STRLEN"):
                    sensitive[0] = True  # only on odd strings, but mark it
                else:
                    sensitive[0] = True
            if name == "RelationalExpression":
                for side in (e.get("expr"), e.get("other")):
                    if isinstance(side, Variable):
                        sensitive[0] = True
            for k, v in e.items():
                if k in ("graph", "p"):
                    walk(v)
                elif not k.startswith("_"):
                    expr(v, under_str or name == "Builtin_STR")
        elif isinstance(e, (list, tuple)):
            for x in e:
                expr(x, under_str)

    def walk(node):
        if isinstance(node, CompValue):
            if node.name == "BGP":
                for _s, p, _o in node.triples:
                    path_iris(p)
            if node.name in ("TriplesBlock",):
                for t in node.get("triples", []):
                    if len(t) == 3:
                        path_iris(t[1])
                    else:
                        preds.add(None)
            for k, v in node.items():
                if k in ("expr",):
                    expr(v)
                elif k.startswith("_") or k in ("PV", "datasetClause"):
                    continue
                else:
                    walk(v)
        elif isinstance(node, (list, tuple)):
            for x in node:
                walk(x)

    walk(q.algebra)
    return preds, sensitive[0]


_ILL: dict = {}


def odd_literal(t) -> bool:
    """Whether rdflib and Oxigraph may see ``t`` (a pyoxigraph term) differently."""
    if not isinstance(t, Literal):
        return False
    lex = t.value
    if t.language:
        return bool(_ODD_STRING.search(lex))
    dt = t.datatype.value
    if dt == XSD_STRING:
        return bool(_ODD_STRING.search(lex))
    if not dt.startswith("http://www.w3.org/2001/XMLSchema#"):
        return False
    key = (lex, dt)
    hit = _ILL.get(key)
    if hit is None:
        hit = (lex != lex.strip() or lex.startswith("+") or bool(_ODD_STRING.search(lex))
               or bool(getattr(RLiteral(lex, datatype=URIRef(dt)), "ill_typed", False)))
        _ILL[key] = hit
    return hit


class RdflibSemantics:
    """A local SPARQL query (every triple pattern touches ?this) evaluated by rdflib, on the
    triples of one focus node, for the focus nodes that have an odd literal."""

    def __init__(self, text: str, prologue: str, touches: list):
        self.text = text
        self.prologue = prologue
        self.out_preds = sorted({t[1] for t in touches if t[0] == "out" and t[1] is not None})
        self.in_preds = sorted({t[1] for t in touches if t[0] == "in" and t[1] is not None})
        self.types = sorted({t[1] for t in touches if t[0] == "type"})
        self._odd: dict = {}

    def odd_values(self, ctx) -> list:
        key = ("odd", id(ctx.store), tuple(self.out_preds))
        hit = ctx.engine._candidates.get(key)
        if hit is None:
            odd = set()
            for p in self.out_preds:
                q = f"SELECT DISTINCT ?v WHERE {{ ?s <{p}> ?v FILTER (isLiteral(?v)) }}"
                ctx.n_queries += 1
                for r in ctx.store.query(q, use_default_graph_as_union=True):
                    if odd_literal(r[0]):
                        odd.add(str(r[0]))
            hit = ctx.engine._candidates[key] = sorted(odd)
        return hit

    def odd_nodes(self, ctx, dg) -> set:
        """The nodes (N-Triples) with an odd literal on the query's predicates, in ``dg``."""
        values = self.odd_values(ctx)
        if not values:
            return set()
        q = (f"SELECT DISTINCT ?this WHERE {{ VALUES ?o {{ {' '.join(values)} }} "
             f"VALUES ?p {{ {' '.join(f'<{p}>' for p in self.out_preds)} }} ?this ?p ?o }}")
        ctx.n_queries += 1
        return {str(r[0]) for r in ctx.store.query(q, default_graph=dg)}

    def graph(self, ctx, dg, node: str) -> rdflib.Graph:
        """The triples of ``node`` the query can read, as pySHACL's rdflib graph has them."""
        g = rdflib.Graph()
        n = NamedNode(node[1:-1]) if node.startswith("<") else None
        if n is None:
            return g
        seen = set()
        rdf_type = NamedNode(str(RDF.type))
        for graph in dg:
            pats = [(n, NamedNode(p), None) for p in self.out_preds] + \
                   [(None, NamedNode(p), n) for p in self.in_preds] + \
                   ([(n, rdf_type, None)] if self.types else [])
            for sp, pp, op in pats:
                for q in ctx.store.quads_for_pattern(sp, pp, op, graph):
                    t = (q.subject, q.predicate, q.object)
                    if t not in seen:
                        seen.add(t)
                        g.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
        return g


_LOCAL_ALGEBRA = {
    "SelectQuery", "Project", "Distinct", "Reduced", "Filter", "Join", "LeftJoin", "Union", "Minus",
    "Extend", "RelationalExpression", "ConditionalAndExpression", "ConditionalOrExpression", "UnaryNot",
    "UnaryMinus", "UnaryPlus", "AdditiveExpression", "MultiplicativeExpression", "Function", "literal",
}


def _hash_join_text_uncached(text: str, prologue: str) -> str | None:
    """The query with every triple pattern in a sub-select of its own, so that Oxigraph joins
    them by hash rather than by one index lookup per row (much faster on the disk store), and
    its uncorrelated FILTER EXISTS as joins (:func:`_hoist_exists`), or None when that gains
    nothing or cannot be done faithfully: the rewritten text is accepted only when it parses
    back to the same algebra (else the rewrite without the joins is tried)."""
    from rdflib.plugins.sparql.algebra import translateAlgebra

    try:
        if _count_triples(_prepare(prologue + text).algebra) < 2:
            return None
    except Exception:  # noqa: BLE001 - any failure: keep the query as written
        return None
    for rewrite in (lambda a: _split_bgps(_hoist_exists(a)), _split_bgps):
        try:
            q = _prepare(prologue + text)
            q.algebra = rewrite(q.algebra)
            new = translateAlgebra(q)  # (mutates q)
            ref = _prepare(prologue + text)
            ref.algebra = rewrite(ref.algebra)
            if _same_algebra(ref.algebra, _prepare(new).algebra):
                return new
        except Exception:  # noqa: BLE001 - any failure: the next way, or the query as written
            pass
    return None


GUARD = "_llmkg_guard"


def _variables(node, skip=None) -> set:
    """The variables anywhere in an algebra (or parse) tree, but under ``skip``."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import Variable

    if node is skip:
        return set()
    if isinstance(node, Variable):
        return {node}
    if isinstance(node, CompValue):
        return set().union(*(_variables(v, skip) for k, v in node.items() if not k.startswith("_")))
    if isinstance(node, (list, tuple, set, ParseResults)):
        return set().union(*(_variables(x, skip) for x in node))
    return set()


def _hoist_exists(root):
    """``FILTER EXISTS { P }`` where P shares no variable with the rest of the query (the
    same for every solution, "the source dates some paper") becomes a join with
    ``{ SELECT ?_llmkg_guard WHERE { P } LIMIT 1 }``: one solution without bindings when P
    matches, none when it does not, so the same solutions. Oxigraph evaluates such a filter
    again for every solution (2.4 s on 100k records where the guard itself takes 1 ms) and
    stops at once on an empty join."""
    from rdflib.plugins.sparql.algebra import simplify, translateGroupGraphPattern, traverse
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import Variable

    guard = Variable(GUARD)
    if guard in _variables(root):
        return root

    def walk(node):
        if isinstance(node, CompValue):
            if node.name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
                return node
            for k, v in list(node.items()):
                if not k.startswith("_"):
                    node[k] = walk(v)
            ex = node.get("expr") if node.name == "Filter" else None
            if not (isinstance(ex, CompValue) and ex.name == "Builtin_EXISTS"):
                return node
            pattern = traverse(translateGroupGraphPattern(ex.graph), visitPost=simplify)
            if not ((_variables(ex.graph) | _variables(pattern)) & _variables(root, skip=ex)):
                sub = CompValue("Project", p=pattern, PV=[guard])
                sub = CompValue("ToMultiSet", p=CompValue("Slice", p=sub, start=0, length=1))
                return CompValue("Join", p1=node.p, p2=sub, lazy=False)
            return node
        if isinstance(node, list):
            return [walk(x) for x in node]
        return node

    return walk(root)


def _count_triples(node) -> int:
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue):
        if node.name == "BGP":
            return len(node.triples)
        return sum(_count_triples(v) for k, v in node.items() if not k.startswith("_"))
    if isinstance(node, (list, tuple)):
        return sum(_count_triples(x) for x in node)
    return 0


def _split_bgps(node):
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import Variable

    if isinstance(node, CompValue):
        if node.name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
            return node
        if node.name == "BGP" and node.triples:
            parts = []
            for t in node.triples:
                vs = sorted({x for x in t if isinstance(x, Variable)})
                parts.append(CompValue("ToMultiSet", p=CompValue(
                    "Project", p=CompValue("BGP", triples=[t], _vars=set(vs)), PV=vs, _vars=set(vs))))
            out = parts[0]
            for p in parts[1:]:
                out = CompValue("Join", p1=out, p2=p, lazy=False, _vars=set())
            return out
        for k, v in list(node.items()):
            node[k] = _split_bgps(v)
        return node
    if isinstance(node, list):
        return [_split_bgps(x) for x in node]
    return node


def _same_algebra(a, b) -> bool:
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(a, CompValue) or isinstance(b, CompValue):
        if not (isinstance(a, CompValue) and isinstance(b, CompValue)) or a.name != b.name:
            return False
        ka = {k for k in a if not k.startswith("_") and k != "lazy"}
        kb = {k for k in b if not k.startswith("_") and k != "lazy"}
        return ka == kb and all(_same_algebra(a[k], b[k]) for k in ka)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same_algebra(x, y) for x, y in zip(a, b))
    return a == b


# The analyses above parse SPARQL with rdflib, which is slow (~40 ms a query): their results
# are kept here, and saved with a build (llmkg.build) for the next one.
ANALYSES: dict = {}


def _memo(name: str, fn, text: str, prologue: str):
    key = (name, text, prologue)
    try:
        return ANALYSES[key]
    except KeyError:
        value = ANALYSES[key] = fn(text, prologue)
        return value


def _sparql_touches(text: str, prologue: str) -> list | None:
    return _memo("touches", __sparql_touches_uncached, text, prologue)


def hash_join_text(text: str, prologue: str) -> str | None:
    return _memo("hash-join", _hash_join_text_uncached, text, prologue)


def _query_facts(text: str, prologue: str):
    return _memo("facts", __query_facts_uncached, text, prologue)


# --- compiled shapes ---------------------------------------------------------------------------

@dataclass
class Unit:
    """One shape as evaluated: its focus nodes (a SPARQL group binding ?this) and checks."""

    shape: object                 # rdflib node of the shape
    focus: str                    # group pattern binding ?this (distinct)
    path: object | None           # rdflib path node (None for a node shape)
    path_sparql: str | None
    implied: bool                 # every ?this with a value on the path is a focus node
    severity: str
    severity_node: object
    messages: list
    checks: list = field(default_factory=list)
    prologue: str = ""
    touches: list | None = None   # None: not local (evaluated on every source graph)
    selective: bool = False       # focus nodes worth listing once per run (SPARQL or many targets)
    sparql_targets: list = field(default_factory=list)   # RdflibSemantics of its SPARQL targets
    core_focus: str | None = None  # the focus of its other targets
    focus_parts: list | None = None  # its targets, with RESTRICT where a VALUES narrows each

    def focus_restricted(self, values: str) -> str:
        """The focus nodes among ``values`` (a VALUES clause), the VALUES inside each target
        so that Oxigraph starts from those few nodes."""
        if self.focus_parts is None:
            return "{ " + values + " " + self.focus + " }"
        return ("{ SELECT DISTINCT ?this WHERE { "
                + " UNION ".join(p.replace("RESTRICT", values) for p in self.focus_parts) + " } }")


@dataclass
class Result:
    focus: object       # rdflib terms, as validate._results yields them
    path: object        # rdflib node (IRI, blank node of a complex path) or None
    value: object
    component: URIRef
    severity: str
    message: str
    shape: object

    def as_dict(self) -> dict:
        return {"focus": self.focus, "path": str(self.path) if isinstance(self.path, URIRef) else None,
                "value": self.value, "component": self.component, "severity": self.severity,
                "message": self.message, "shape": self.shape}


class FastValidator:
    """SHACL core shapes compiled to SPARQL; pySHACL for the rest (see the module docstring)."""

    def __init__(self, shapes: rdflib.Graph):
        from pyshacl.shapes_graph import ShapesGraph

        self.g = shapes
        self.psg = ShapesGraph(shapes)
        self.psg.shapes  # builds pySHACL's shape cache (used for value-only components)  # noqa: B018
        self.default_prefixes = {str(p): str(ns) for p, ns in rdflib.Graph().namespaces()}
        self.units: list[Unit] = []
        self.fallbacks: list[tuple[object, str]] = []
        self._value_cache: dict = {}
        self._candidates: dict = {}
        self._components: dict = {}
        self._messages: dict = {}
        custom = set(self.g.subjects(RDF.type, SH.ConstraintComponent))
        self._custom_params = {self.g.value(p, SH.path) for c in custom for p in self.g.objects(c, SH.parameter)}
        for node in self._top_level_shapes():
            try:
                units = self._compile_top(node)
            except Unsupported as exc:
                self.fallbacks.append((node, str(exc)))
                log.debug("fastshacl: FALLBACK to pySHACL for shape %s: %s", node, exc)
                continue
            self.units.extend(units)
        log.debug("fastshacl: %d shapes compiled to SPARQL (%d local), %d left to pySHACL",
                  len(self.units), sum(1 for u in self.units if u.touches is not None), len(self.fallbacks))

    # --- reading the shapes --------------------------------------------------------------
    def _classes_of_class(self) -> set:
        return {RDFS.Class} | set(self.g.transitive_subjects(RDFS.subClassOf, RDFS.Class))

    def _top_level_shapes(self) -> list:
        g = self.g
        nodes = set()
        for p in TARGETS:
            nodes.update(g.subjects(p, None))
        classes = self._classes_of_class()
        for kind in (SH.NodeShape, SH.PropertyShape):
            for s in g.subjects(RDF.type, kind):
                if any((s, RDF.type, c) in g for c in classes):
                    nodes.add(s)
        return sorted(nodes, key=str)

    def _severity(self, node) -> tuple[str, object]:
        sev = next(iter(set(self.g.objects(node, SH.severity))), SH.Violation)
        return str(sev).rsplit("#", 1)[-1], sev

    def _prefixes(self, qnode) -> dict:
        """Prefixes of a SPARQL-based target or constraint, as pySHACL collects them."""
        from pyshacl.helper import get_query_helper_cls

        helper = get_query_helper_cls()

        class _Shape:  # the helper reads .sg (the shapes graph) only
            sg = self.psg
            node = qnode
        h = helper(_Shape(), qnode, "", deactivated=False)
        h.collect_prefixes()
        return {str(k): str(v) for k, v in h.prefixes.items()}

    def _prologue(self, extra: dict) -> str:
        p = dict(self.default_prefixes)
        p.update(extra)
        return "".join(f"PREFIX {k}: <{v}>\n" for k, v in sorted(p.items()))

    # --- compiling ----------------------------------------------------------------------------
    def _compile_top(self, node) -> list[Unit]:
        g = self.g
        parts = []
        prefixes: dict = {}
        touches: list | None = []
        rparts: list[str] = []   # the same, with RESTRICT where a VALUES can narrow them down
        classes = list(g.objects(node, SH.targetClass))
        if any((node, RDF.type, c) in g for c in self._classes_of_class()):
            classes.append(node)
        for c in classes:
            if not isinstance(c, URIRef):
                raise Unsupported("sh:targetClass is not an IRI")
            parts.append(f"{{ ?this TYPEPATH <{c}> }}")
            rparts.append(f"{{ RESTRICT ?this TYPEPATH <{c}> }}")
            touches.append(("type", str(c)))
        class_only = bool(classes)
        nodes = [sparql_term(n) for n in g.objects(node, SH.targetNode)]
        if nodes:
            parts.append("{ VALUES ?this { " + " ".join(nodes) + " } }")
            rparts.append("{ RESTRICT VALUES ?this { " + " ".join(nodes) + " } }")
            class_only = False
        core_parts = list(parts)
        sparql_targets: list = []
        subjects_of = []
        for p in g.objects(node, SH.targetSubjectsOf):
            if not isinstance(p, URIRef):
                raise Unsupported("sh:targetSubjectsOf is not an IRI")
            parts.append(f"{{ ?this <{p}> ?_t }}")
            rparts.append(f"{{ RESTRICT ?this <{p}> ?_t }}")
            core_parts.append(parts[-1])
            subjects_of.append(p)
            touches.append(("out", str(p), None))
            class_only = False
        for p in g.objects(node, SH.targetObjectsOf):
            if not isinstance(p, URIRef):
                raise Unsupported("sh:targetObjectsOf is not an IRI")
            parts.append(f"{{ ?_t <{p}> ?this }}")
            rparts.append(f"{{ RESTRICT ?_t <{p}> ?this }}")
            core_parts.append(parts[-1])
            touches.append(("in", str(p), None))
            class_only = False
        for t in g.objects(node, SH.target):
            types = set(g.objects(t, RDF.type))
            selects = list(g.objects(t, SH.select))
            if not selects or (types and SH.SPARQLTarget not in types):
                raise Unsupported("a sh:target that is not a sh:SPARQLTarget with sh:select")
            text = str(selects[0])
            if not re.match(r"\s*(#[^\n]*\n\s*)*SELECT\b", text, re.I) or re.search(r"\b(PREFIX|BASE)\s", text, re.I):
                raise Unsupported("a SPARQL target that is not a plain SELECT")
            tp = self._prefixes(t)
            prefixes.update(tp)
            fast = hash_join_text(text, self._prologue(tp))
            parts.append("{ SELECT DISTINCT ?this WHERE { " + (fast or text) + " } }")
            injected = re.sub(r"(\bWHERE\s*)?\{", lambda m: m.group(0) + " RESTRICT ", text, count=1)
            rparts.append("{ SELECT DISTINCT ?this WHERE { " + injected + " } }")
            class_only = False
            st = _sparql_touches(text, self._prologue(tp))
            if st is None or _has_global(st):
                facts = _query_facts(text, self._prologue(tp))
                if facts is None or facts[1]:
                    raise Unsupported("a SPARQL target that reads beyond its focus node with expressions "
                                      "that depend on literal types (rdflib and Oxigraph differ there)")
                if st is None:
                    touches = None
                elif touches is not None:
                    touches.extend(st)
            else:
                if touches is not None:
                    touches.extend(st)
                if any(x[0] in ("out", "in") and x[1] is None for x in st):
                    raise Unsupported("a SPARQL target with a variable predicate")
                sparql_targets.append(RdflibSemantics(text, self._prologue(tp), st))
        if not parts:
            return []
        implied = subjects_of[0] if (len(parts) == 1 and len(subjects_of) == 1) else None
        focus = "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(parts) + " } }"
        units: list[Unit] = []
        focus_classes = [str(c) for c in classes] if class_only else None
        self._compile_unit(node, focus, prefixes, units, implied, touches, focus_classes, set())
        for u in units:
            if u.focus == focus:
                u.focus_parts = rparts
        if sparql_targets:
            core = ("{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(core_parts) + " } }") if core_parts else None
            for u in units:
                if u.focus == focus:
                    u.sparql_targets = sparql_targets
                    u.core_focus = core
        return units

    def _compile_unit(self, node, focus: str, prefixes: dict, units: list, implied_by, touches,
                      focus_classes, seen):
        g = self.g
        if node in seen:
            raise Unsupported("recursive sh:property")
        seen = set(seen) | {node}
        deact = g.value(node, SH.deactivated)
        if isinstance(deact, RLiteral) and bool(deact.value):
            return
        path = g.value(node, SH.path)
        psparql = path_sparql(g, path) if path is not None else None
        sev, sev_node = self._severity(node)
        unit_touches = None if touches is None else list(touches)
        if unit_touches is not None and path is not None:
            steps = _direct_steps(g, path)
            if steps is None:
                unit_touches = None
            else:
                for iri, inverse in steps:
                    for c in (focus_classes or [None]):
                        unit_touches.append(("in" if inverse else "out", iri, c))
        unit = Unit(node, focus, path, psparql, implied=(implied_by is not None and path == implied_by),
                    severity=sev, severity_node=sev_node, messages=list(set(g.objects(node, SH.message))),
                    touches=unit_touches)
        local_prefixes = dict(prefixes)
        params = {p for p, _o in g.predicate_objects(node)}
        from pyshacl.constraints import ALL_CONSTRAINT_PARAMETERS

        for p in params:
            if p in self._custom_params:
                raise Unsupported(f"custom constraint component parameter {p}")
            if p in (SH.expression, SH.js, SH.rule):
                raise Unsupported(f"{p} (SHACL-AF / JavaScript)")
            if p in ALL_CONSTRAINT_PARAMETERS and p not in NATIVE and p not in VALUE_ONLY:
                raise Unsupported(f"constraint {p.n3(g.namespace_manager)} is not compiled")
        if path is None and (params & {SH.minCount, SH.maxCount}):
            raise Unsupported("sh:minCount/sh:maxCount on a node shape")
        for p in sorted(params & (NATIVE | VALUE_ONLY), key=str):
            if p == SH.property:
                continue
            for o in sorted(set(g.objects(node, p)), key=str):
                unit.checks.extend(self._checks(unit, p, o, local_prefixes, focus_classes))
        unit.checks = _merge_checks(unit, unit.checks)
        unit.prologue = self._prologue(local_prefixes)
        n_targets = sum(len(set(g.objects(node, t))) for t in TARGETS)
        unit.selective = ("sh:target" in focus or _has_sparql_target(g, node) or n_targets >= 3
                          or focus.count(" UNION ") >= 2)
        units.append(unit)
        # nested property shapes: their focus nodes are this shape's value nodes
        for child in sorted(set(g.objects(node, SH.property)), key=str):
            if g.value(child, SH.path) is None:
                raise Unsupported("sh:property pointing to a shape without sh:path")
            if path is None:
                self._compile_unit(child, focus, prefixes, units, None, touches, focus_classes, seen)
            else:
                child_focus = ("{ SELECT DISTINCT ?this WHERE { { SELECT (?this AS ?_p) WHERE { "
                               + focus + " } } ?_p " + psparql + " ?this } }")
                self._compile_unit(child, child_focus, prefixes, units, None, None, None, seen)

    def _checks(self, unit: Unit, p, o, prefixes: dict, focus_classes) -> list:
        g = self.g
        if p == SH.minCount:
            n = _int(o, p)
            if n == 0:
                return []
            if unit.implied and n == 1:
                return []  # every focus node has a value on the path
            return [FocusCheck(unit, SH.MinCountConstraintComponent, p, o, "min", n)]
        if p == SH.maxCount:
            return [FocusCheck(unit, SH.MaxCountConstraintComponent, p, o, "max", _int(o, p))]
        if p == SH.hasValue:
            return [FocusCheck(unit, SH.HasValueConstraintComponent, p, o, "has", sparql_term(o))]
        if p == SH["class"]:
            if not isinstance(o, URIRef):
                raise Unsupported("sh:class is not an IRI")
            if unit.touches is not None:
                if unit.path is None:
                    unit.touches.extend(("out", str(RDF.type), c) for c in (focus_classes or [None]))
                else:
                    steps = _direct_steps(g, unit.path)
                    unit.touches.extend(("vtype", iri, "in" if inv else "out") for iri, inv in steps)
            return [ClassCheck(unit, SH.ClassConstraintComponent, p, o)]
        if p == SH.nodeKind:
            if o not in NODE_KINDS:
                raise Unsupported(f"unknown sh:nodeKind {o}")
            return [FilterCheck(unit, SH.NodeKindConstraintComponent, p, o, f"!{NODE_KINDS[o]}")]
        if p == SH["in"]:
            members = list(Collection(g, o))
            terms = []
            for m in members:
                if isinstance(m, BNode):
                    continue  # never equal to a data node
                if isinstance(m, RLiteral) and m.datatype is not None and str(m.datatype) == XSD_STRING:
                    continue  # rdflib: "x"^^xsd:string != "x" (data strings are plain literals)
                terms.append(f"sameTerm(?value, {sparql_term(m)})")
            cond = " || ".join(terms) if terms else "false"
            return [FilterCheck(unit, SH.InConstraintComponent, p, o, f"!({cond})")]
        if p in (SH.minLength, SH.maxLength):
            n = _int(o, p)
            if n < 0:
                raise Unsupported("negative length")
            if p == SH.minLength:
                if n == 0:
                    return []
                cond = f"isBlank(?value) || STRLEN(STR(?value)) < {n}"
                comp = SH.MinLengthConstraintComponent
            else:
                cond = f"isBlank(?value) || STRLEN(STR(?value)) > {n}"
                comp = SH.MaxLengthConstraintComponent
            return [FilterCheck(unit, comp, p, o, cond)]
        if p == SH.pattern:
            return [PatternCheck(unit, self, o)]
        if p == SH.sparql:
            deact = g.value(o, SH.deactivated)
            if isinstance(deact, RLiteral) and bool(deact.value):
                return []
            check = SparqlCheck(unit, self, o, prefixes)
            if unit.touches is not None:
                st = _sparql_touches(check.select, self._prologue(prefixes))
                if st is None:
                    unit.touches = None
                else:
                    unit.touches.extend(st)
            return [check]
        if p in VALUE_ONLY:
            if p in (SH["not"], SH["and"], SH["or"], SH.xone, SH.node):
                members = [o] if p in (SH["not"], SH.node) else list(Collection(g, o))
                for m in members:
                    self._require_pure(m, set())
            return [ValueCheck(unit, self, p)]
        raise Unsupported(f"constraint {p}")  # pragma: no cover

    def _require_pure(self, node, seen: set) -> None:
        g = self.g
        if node in seen:
            raise Unsupported("recursive logical shapes")
        seen = seen | {node}
        if g.value(node, SH.path) is not None or (node, SH.property, None) in g:
            raise Unsupported("a logical constraint over a shape with paths (data-dependent)")
        from pyshacl.constraints import ALL_CONSTRAINT_PARAMETERS

        for p, o in g.predicate_objects(node):
            if p in (SH.sparql, SH.expression, SH.js) or p in self._custom_params:
                raise Unsupported(f"a logical constraint over {p}")
            if p in ALL_CONSTRAINT_PARAMETERS and p not in PURE:
                raise Unsupported(f"a logical constraint over {p} (data-dependent)")
            if p in (SH["not"], SH.node):
                self._require_pure(o, seen)
            elif p in (SH["and"], SH["or"], SH.xone):
                for m in Collection(g, o):
                    self._require_pure(m, seen)

    def _component(self, shape_node, param):
        """pySHACL's own constraint component object for ``param`` of a shape."""
        key = (shape_node, param)
        comp = self._components.get(key)
        if comp is None:
            from pyshacl.constraints import CONSTRAINT_PARAMETERS_MAP

            pshape = self.psg.lookup_shape_from_node(shape_node)
            comp = CONSTRAINT_PARAMETERS_MAP[param](pshape)
            self._components[key] = comp
        return comp

    # --- running ----------------------------------------------------------------------------
    def results(self, store: Store, graph_ids: list, curated: str, graph_base: str,
                restrict: Iterable | None = None, stats: dict | None = None,
                units: list | None = None, progress=None) -> dict:
        """{source id (or None): [Result]} for every source graph, compiled shapes only.

        ``restrict``: only these focus nodes (terms in N-Triples syntax: ``<iri>``, ``"lit"``),
        for incremental validation; ``units``: only these units (default: all);
        ``progress(done, total)``: called as units finish (from the threads that run them)."""
        quiet = logging.getLogger("rdflib.term")
        was, quiet.disabled = quiet.disabled, True  # ill-typed literals are expected values here
        try:
            return self._results(store, graph_ids, curated, graph_base, restrict, stats,
                                 self.units if units is None else units, progress)
        finally:
            quiet.disabled = was

    def relevant(self, unit: Unit, predicates: set, classes: set) -> bool:
        """Whether a change of quads with these predicates (and rdf:type quads with these
        classes) can change ``unit``'s results (always, for a unit that is not local)."""
        if unit.touches is None:
            return True
        for t in unit.touches:
            if t[0] == "type":
                if t[1] in classes:
                    return True
            elif t[0] in ("out", "in"):
                if t[1] is None or t[1] in predicates:
                    return True
            elif t[0] == "vtype":
                if classes or t[1] in predicates:
                    return True
            elif t[0] == "global":
                if t[1] in predicates or t[1] in classes:
                    return True
        return False

    @staticmethod
    def global_hit(unit: Unit, predicates: set, classes: set) -> bool:
        """Whether a change can flip a condition of ``unit`` on the whole graph."""
        return any(t[0] == "global" and (t[1] in predicates or t[1] in classes) for t in unit.touches or ())

    def _results(self, store, graph_ids, curated, graph_base, restrict, stats, units, progress=None):
        ctx = RunContext(self, store, restrict)
        cur = NamedNode(curated)
        dgs = {sid: [cur] + ([NamedNode(graph_base + sid)] if sid is not None else []) for sid in graph_ids}
        out: dict = {sid: [] for sid in graph_ids}
        # rdfs:subClassOf triples in the validated graphs make sh:class and sh:targetClass
        # reach further than one triple: then every shape runs on every source graph
        subclass = any(ctx.ask("ASK { ?a <http://www.w3.org/2000/01/rdf-schema#subClassOf> ?b }", dg)
                       for dg in dgs.values())
        if restrict is not None and not ctx.restrict:
            return out
        counts = {"runs": 0, "reused": 0}
        finished = [0]  # units done (for ``progress``)

        def one(unit):
            local = (unit.touches is not None and not _has_global(unit.touches) and not subclass
                     and len(graph_ids) > 1 and restrict is None)
            base = None
            res = {}
            for sid in graph_ids:
                if local and not ctx.touched(unit, graph_base + sid, cur):
                    if base is None:
                        base = ctx.run(unit, [cur], subclass)
                    res[sid] = base
                    counts["reused"] += 1
                else:
                    res[sid] = ctx.run(unit, dgs[sid], subclass)
                    counts["runs"] += 1
            if progress is not None:
                with ctx.lock:
                    finished[0] += 1
                    progress(finished[0], len(units))
            return res

        # Oxigraph evaluates a query without the GIL: a few threads use the cores
        threads = max(1, min(THREADS, len(units)))
        if threads > 1:
            with ThreadPoolExecutor(threads) as pool:
                per_unit = list(pool.map(one, units))
        else:
            per_unit = [one(u) for u in units]
        for res in per_unit:
            for sid in graph_ids:
                out[sid].extend(res[sid])
        if stats is not None:
            stats.update(counts, queries=ctx.n_queries)
        return out

    def message(self, unit: Unit, component_obj, focus, value, bound_vars=None, extra=None) -> str:
        """The sh:resultMessage pySHACL gives (the first, when a result has several)."""
        if bound_vars is None and not extra and unit.messages:
            hit = self._messages.get(unit.shape)
            if hit is None:
                hit = self._message(unit, component_obj, focus, value)
                self._messages[unit.shape] = hit
            return hit
        return self._message(unit, component_obj, focus, value, bound_vars, extra)

    def _message(self, unit: Unit, component_obj, focus, value, bound_vars=None, extra=None) -> str:
        msgs: list[str] = []
        shape_msgs = list(unit.messages)
        if extra:
            for m in extra:
                if m in shape_msgs:
                    continue
                msgs.append(_format(str(m.value) if isinstance(m, RLiteral) else str(m), bound_vars))
        elif not shape_msgs and component_obj is not None:
            shape_msgs = component_obj.make_generic_messages(rdflib.Graph(), focus, value) or []
        for m in sorted(shape_msgs, key=str):
            msgs.append(_format(str(m.value) if isinstance(m, RLiteral) else str(m), bound_vars))
        return msgs[0] if msgs else ""


def _has_sparql_target(g, node) -> bool:
    return (node, SH.target, None) in g


def _merge_checks(unit: Unit, checks: list) -> list:
    """Checks that scan the same values, merged into one query each."""
    counts = [c for c in checks if isinstance(c, FocusCheck) and c.kind in ("min", "max")]
    filters = [c for c in checks if type(c) is FilterCheck]
    rest = [c for c in checks if c not in counts and c not in filters]
    out = []
    if counts and unit.path is not None and (len(counts) > 1 or filters):
        out.append(CountCheck(unit, counts, filters))  # one scan of the values for all of them
    elif len(filters) > 1:
        out += counts
        out.append(MultiFilterCheck(unit, filters))
    else:
        out += counts + filters
    return out + rest


def _direct_steps(g, path) -> list | None:
    """[(IRI, inverse?)] when the path is an IRI, an inverse IRI or an alternative of those."""
    if isinstance(path, URIRef):
        return [(str(path), False)]
    if not isinstance(path, BNode):
        return None
    inv = g.value(path, SH.inversePath)
    if inv is not None:
        return [(str(inv), True)] if isinstance(inv, URIRef) else None
    alt = g.value(path, SH.alternativePath)
    if alt is not None:
        out = []
        for i in Collection(g, alt):
            s = _direct_steps(g, i)
            if s is None:
                return None
            out += s
        return out
    return None


def _format(msg: str, bound_vars) -> str:
    """pySHACL's ConstraintComponent._format_sparql_based_result_message."""
    if bound_vars is None:
        return msg
    fdict: dict = {}
    t, p, v, extra = bound_vars
    fdict.update(extra)
    if t is not None:
        fdict["this"] = t
    if p is not None:
        fdict["path"] = p
    if v is not None:
        fdict["value"] = v
    for var, val in fdict.items():
        msg = re.sub("{{[?$]{}}}".format(var), str(val), msg)
    return msg


def _int(o, p) -> int:
    if not isinstance(o, RLiteral) or not isinstance(o.value, int) or isinstance(o.value, bool):
        raise Unsupported(f"{p} is not an integer")
    return int(o.value)


THREADS = int(os.environ.get("LLMKG_VALIDATE_THREADS", "0")) or min(4, os.cpu_count() or 1)
SMALL_FOCUS = 2000   # focus nodes from a SPARQL target: up to this many, looked up one by one
MAX_VALUES = 150000  # and up to this many, passed to the checks as VALUES
RDF_TYPE_IRI = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
TYPE_SUB = RDF_TYPE_IRI + "/<http://www.w3.org/2000/01/rdf-schema#subClassOf>*"


class RunContext:
    """One validation run: the store, the data graphs of the current query, and caches."""

    def __init__(self, engine: FastValidator, store: Store, restrict=None):
        self.engine = engine
        self.store = store
        self.dg: list = []
        self.subclass = False
        self.restrict = None
        self.n_queries = 0
        self._ask: dict = {}
        self._pairs: dict = {}
        self._vtypes: dict = {}
        self.candidates: dict = {}
        self.focus_cache: dict = {}
        self.focus_locks: dict = {}
        self.lock = threading.Lock()
        self.focus_terms = None
        self.lateral = False
        if restrict is not None:
            self.restrict = sorted(set(restrict))
        self.focus_terms = None

    # relevance of a source graph for a unit ------------------------------------------------
    def ask(self, text: str, dg=None) -> bool:
        key = (text, tuple(str(g) for g in dg) if dg else None)
        hit = self._ask.get(key)
        if hit is None:
            self.n_queries += 1
            hit = bool(self.store.query(text, default_graph=dg) if dg else
                       self.store.query(text, use_default_graph_as_union=True))
            self._ask[key] = hit
        return hit

    def has_predicate(self, graph: str, p: str | None) -> bool:
        pat = "?s ?p ?o" if p is None else f"?s <{p}> ?o"
        return self.ask(f"ASK {{ GRAPH <{graph}> {{ {pat} }} }}")

    def class_pairs(self, graph: str, direction: str, cur: NamedNode) -> set:
        """{(predicate, class)}: the classes (in curated + graph) of the subjects (out) or
        objects (in) of the triples of ``graph`` with the predicates the units ask about."""
        key = (graph, direction)
        hit = self._pairs.get(key)
        if hit is None:
            preds = sorted({t[1] for u in self.engine.units if u.touches for t in u.touches
                            if t[0] == direction and t[1] is not None and t[2] is not None})
            classes = sorted({t[2] for u in self.engine.units if u.touches for t in u.touches
                              if t[0] == direction and t[2] is not None})
            preds = [p for p in preds if self.has_predicate(graph, p)]
            hit = set()
            if preds and classes:
                node = "?s" if direction == "out" else "?o"
                q = (f"SELECT DISTINCT ?p ?c WHERE {{ {{ SELECT DISTINCT {node} ?p WHERE {{ GRAPH <{graph}> "
                     f"{{ ?s ?p ?o }} VALUES ?p {{ {' '.join(f'<{p}>' for p in preds)} }} }} }} "
                     f"{{ SELECT {node} ?c WHERE {{ {node} {RDF_TYPE_IRI} ?c "
                     f"VALUES ?c {{ {' '.join(f'<{c}>' for c in classes)} }} }} }} }}")
                self.n_queries += 1
                for r in self.store.query(q, default_graph=[cur, NamedNode(graph)]):
                    hit.add((r[0].value, r[1].value))
            self._pairs[key] = hit
        return hit

    def value_typed(self, graph: str, direction: str, cur: NamedNode) -> set:
        """Predicates p of graph:curated whose objects (out) or subjects (in) ``graph`` types."""
        key = (graph, direction)
        hit = self._vtypes.get(key)
        if hit is None:
            preds = sorted({t[1] for u in self.engine.units if u.touches for t in u.touches
                            if t[0] == "vtype" and t[2] == direction})
            hit = set()
            if preds and self.has_predicate(graph, str(RDF.type)):
                node = "?o" if direction == "out" else "?s"
                q = (f"SELECT DISTINCT ?p WHERE {{ {{ SELECT DISTINCT {node} WHERE {{ GRAPH <{graph}> "
                     f"{{ {node} {RDF_TYPE_IRI} ?t }} }} }} {{ SELECT {node} ?p WHERE {{ GRAPH <{cur.value}> "
                     f"{{ ?s ?p ?o }} VALUES ?p {{ {' '.join(f'<{p}>' for p in preds)} }} }} }} }}")
                self.n_queries += 1
                hit = {r[0].value for r in self.store.query(q, use_default_graph_as_union=True)}
            self._vtypes[key] = hit
        return hit

    def touched(self, unit: Unit, graph: str, cur: NamedNode) -> bool:
        """Whether ``graph`` holds a triple that can change ``unit``'s results."""
        for t in unit.touches:
            kind = t[0]
            if kind == "type":
                if self.ask(f"ASK {{ GRAPH <{graph}> {{ ?s {RDF_TYPE_IRI} <{t[1]}> }} }}"):
                    return True
            elif kind in ("out", "in"):
                p, c = t[1], t[2]
                if not self.has_predicate(graph, p):
                    continue
                if p is None or c is None:
                    return True
                if (p, c) in self.class_pairs(graph, kind, cur):
                    return True
            elif kind == "vtype":
                if t[1] in self.value_typed(graph, t[2], cur):
                    return True
        return False

    # running a unit --------------------------------------------------------------------------
    def run(self, unit: Unit, dg: list, subclass: bool) -> list:
        """The results of ``unit`` on the data graphs ``dg`` (thread-safe: a view per run)."""
        view = copy.copy(self)
        return view._run(unit, dg, subclass)

    def _run(self, unit: Unit, dg: list, subclass: bool) -> list:
        self.dg = dg
        self.subclass = subclass
        self.focus_terms = None
        self.lateral = False
        if unit.selective or unit.sparql_targets:
            # a SPARQL target usually selects few nodes: list them once, then give them to every
            # check (looked up one by one when there are few, joined by hash otherwise)
            key = (unit.focus, unit.prologue, tuple(str(g) for g in dg), subclass, tuple(self.restrict or ()))
            terms = self._once(key, lambda: self._focus_nodes(unit))
            if not terms:
                return []
            if len(terms) <= MAX_VALUES or unit.sparql_targets:
                self.focus_terms = terms
                self.lateral = len(terms) <= SMALL_FOCUS
        elif self.restrict is None and not unit.implied:
            # a class with few instances (a handful of research problems, licences, reading
            # lists): list them, then look their values up, rather than scan every value of
            # the path (every label of the graph, say) and join by hash
            few = self._few_focus_nodes(unit)
            if few is not None:
                if not few:
                    return []  # no focus node (in graph:curated alone: types stated by the sources)
                self.focus_terms = few
                self.lateral = True
        res: list = []
        try:
            for check in unit.checks:
                res.extend(check.run(self))
        finally:
            self.focus_terms = None
        return res

    def _once(self, key, compute):
        """``compute()``, once per ``key`` in a validation run: units with the same focus
        nodes (in other threads) wait for the first to list them."""
        with self.lock:
            lock = self.focus_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self.focus_cache:
                self.focus_cache[key] = compute()
            return self.focus_cache[key]

    def _few_focus_nodes(self, unit: Unit) -> list[str] | None:
        """The focus nodes of ``unit`` in this run when they are at most SMALL_FOCUS IRIs
        (N-Triples, sorted), else None; once per focus pattern and data graphs."""
        def listed():
            terms = self.terms(unit, f"SELECT ?this WHERE {{ {unit.focus} }} LIMIT {SMALL_FOCUS + 1}")
            return sorted(terms) if len(terms) <= SMALL_FOCUS and all(t[:1] == "<" for t in terms) else None

        return self._once(("few", unit.focus, unit.prologue, tuple(str(g) for g in self.dg), self.subclass), listed)

    def _focus_nodes(self, unit: Unit) -> list[str]:
        """The focus nodes of ``unit`` in this run (N-Triples), the SPARQL targets deciding
        odd ones as rdflib does."""
        focus = unit.focus if self.restrict is None else \
            unit.focus_restricted("VALUES ?this { " + " ".join(self.restrict) + " }")
        terms = self.terms(unit, f"SELECT ?this WHERE {{ {focus} }}")
        odd: set = set()
        for st in unit.sparql_targets:
            odd |= st.odd_nodes(self, self.dg)
        if self.restrict is not None:
            odd &= set(self.restrict)
        if odd:
            terms -= odd
            if unit.core_focus:
                q = f"SELECT ?this WHERE {{ VALUES ?this {{ {' '.join(sorted(odd))} }} {unit.core_focus} }}"
                terms |= self.terms(unit, q)
            for node in sorted(odd - terms):
                for st in unit.sparql_targets:
                    g = st.graph(self, self.dg, node)
                    rn = to_rdflib(NamedNode(node[1:-1])) if node.startswith("<") else None
                    with RDFLIB_LOCK:
                        hit = rn is not None and any(r["this"] == rn for r in g.query(st.prologue + st.text))
                    if hit:
                        terms.add(node)
                        break
        return sorted(terms)

    @property
    def small(self) -> bool:
        """Few focus nodes, known up front: look their values up one by one (index lookups)
        rather than scan every value of the path and join by hash."""
        if self.focus_terms is not None:
            return self.lateral
        return self.restrict is not None and len(self.restrict) <= SMALL_FOCUS

    def focus(self, unit: Unit) -> str:
        if self.focus_terms is not None:
            return "{ VALUES ?this { " + " ".join(self.focus_terms) + " } }"
        if self.restrict is not None:
            return unit.focus_restricted("VALUES ?this { " + " ".join(self.restrict) + " }")
        return unit.focus

    def query(self, unit: Unit, body: str):
        """The solutions of the SELECT ``body``, evaluated whole with the GIL released.

        pyoxigraph evaluates a query lazily, as its rows are read, and holds the GIL while it
        does; its serializer evaluates the query without it. Serialized to TSV and read back
        (the same terms), the evaluation of one thread's query no longer stops the others."""
        return _read_back(self._serialized(unit, body))

    def terms(self, unit: Unit, body: str) -> set[str]:
        """The values of the one variable of the SELECT ``body``, in N-Triples syntax."""
        data = self._serialized(unit, body)
        lines = data.decode("utf-8").split("\n")[1:]
        if lines and not lines[-1]:
            lines.pop()
        if all(t[:1] == "<" for t in lines):   # IRIs are written as in N-Triples
            return set(lines)
        return {str(r[0]) for r in _read_back(data)}

    def _serialized(self, unit: Unit, body: str) -> bytes:
        text = unit.prologue + body.replace("TYPEPATH", TYPE_SUB if self.subclass else RDF_TYPE_IRI)
        self.n_queries += 1
        try:
            return self.store.query(text, default_graph=self.dg).serialize(format=QueryResultsFormat.TSV)
        except (SyntaxError, ValueError, OSError) as exc:  # pragma: no cover - a compile bug
            raise RuntimeError(f"fastshacl: query failed for {unit.shape}: {exc}\n{text}") from exc

    def values(self, unit: Unit, cond: str | None = None) -> str:
        """A sub-select of (?this, ?value) pairs of the path, optionally filtered on ?value
        (a sub-select, so that Oxigraph joins it with the focus nodes by hash)."""
        filt = f" FILTER ({cond})" if cond else ""
        return f"{{ SELECT ?this ?value WHERE {{ ?this {unit.path_sparql} ?value .{filt} }} }}"

    def focus_and_values(self, unit: Unit, cond: str | None = None) -> str:
        """Group pattern binding ?this and ?value (the focus node's value nodes)."""
        if unit.path is None:
            filt = f" FILTER ({cond})" if cond else ""
            return f"{self.focus(unit)} BIND (?this AS ?value){filt}"
        if unit.implied and self.restrict is None:
            return self.values(unit, cond)
        if self.small:  # few focus nodes: look up their values
            filt = f" FILTER ({cond})" if cond else ""
            return f"{self.focus(unit)} ?this {unit.path_sparql} ?value .{filt}"
        return self.focus(unit) + " " + self.values(unit, cond)


# --- checks ------------------------------------------------------------------------------------

class Check:
    def __init__(self, unit: Unit, component: URIRef, param=None, obj=None):
        self.unit = unit
        self.component = component
        self.param = param
        self.obj = obj

    def result(self, ctx: RunContext, focus, value, message: str | None = None, path=None) -> Result:
        u = self.unit
        if message is None:
            comp = None
            if not u.messages:
                comp = ctx.engine._component(u.shape, self.param)
            message = ctx.engine.message(u, comp, focus, value)
        return Result(focus, path if path is not None else u.path, value, self.component, u.severity,
                      message, u.shape)

    def run(self, ctx: RunContext) -> list[Result]:  # pragma: no cover - abstract
        raise NotImplementedError


class FocusCheck(Check):
    """minCount, maxCount, hasValue: one result per focus node, without a value."""

    def __init__(self, unit, component, param, obj, kind, arg):
        super().__init__(unit, component, param, obj)
        self.kind = kind
        self.arg = arg

    def run(self, ctx):
        u = self.unit
        if self.kind == "min":
            if self.arg == 1 and ctx.small:
                body = (f"SELECT ?this WHERE {{ {ctx.focus(u)} FILTER NOT EXISTS "
                        f"{{ ?this {u.path_sparql} ?v }} }}")
            elif self.arg == 1:
                body = (f"SELECT ?this WHERE {{ {ctx.focus(u)} MINUS {{ SELECT ?this WHERE "
                        f"{{ ?this {u.path_sparql} ?v }} }} }}")
            else:
                body = (f"SELECT ?this WHERE {{ {ctx.focus(u)} OPTIONAL {{ ?this {u.path_sparql} ?v }} }} "
                        f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {self.arg})")
        elif self.kind == "max" and ctx.small:
            body = (f"SELECT ?this WHERE {{ {ctx.focus(u)} ?this {u.path_sparql} ?value }} GROUP BY ?this "
                    f"HAVING (COUNT(DISTINCT ?value) > {self.arg})")
        elif self.kind == "max":
            many = (f"{{ SELECT ?this WHERE {{ ?this {u.path_sparql} ?value }} GROUP BY ?this "
                    f"HAVING (COUNT(DISTINCT ?value) > {self.arg}) }}")
            body = f"SELECT ?this WHERE {{ {many} {'' if u.implied and ctx.restrict is None else ctx.focus(u)} }}"
        else:
            if u.path is None:
                body = f"SELECT ?this WHERE {{ {ctx.focus(u)} FILTER (!sameTerm(?this, {self.arg})) }}"
            elif ctx.small:
                body = (f"SELECT ?this WHERE {{ {ctx.focus(u)} FILTER NOT EXISTS "
                        f"{{ ?this {u.path_sparql} ?v . FILTER (sameTerm(?v, {self.arg})) }} }}")
            else:
                body = (f"SELECT ?this WHERE {{ {ctx.focus(u)} MINUS {{ SELECT ?this WHERE "
                        f"{{ ?this {u.path_sparql} ?v . FILTER (sameTerm(?v, {self.arg})) }} }} }}")
        return [self.result(ctx, to_rdflib(row[0]), None) for row in ctx.query(u, body)]


class CountCheck(Check):
    """minCount, maxCount and the value filters (nodeKind, in, lengths) of one shape: one
    query counts the values of each focus node and flags those with an offending value,
    whose values are then looked up."""

    def __init__(self, unit, checks: list, filters: list = ()):
        super().__init__(unit, None)
        self.mins = [c for c in checks if c.kind == "min"]
        self.maxs = [c for c in checks if c.kind == "max"]
        self.filters = list(filters)

    def run(self, ctx):
        u = self.unit
        # the focus nodes joined with their values first, then grouped: only the values of
        # focus nodes are counted (not every value of the path in the graph, say every label)
        conds = [f"?n < {c.arg}" for c in self.mins] + [f"?n > {c.arg}" for c in self.maxs]
        conds += [f"?f{i} > 0" for i in range(len(self.filters))]
        sums = "".join(f" (SUM(IF(BOUND(?value) && ({c.cond}), 1, 0)) AS ?f{i})"
                       for i, c in enumerate(self.filters))
        # few focus nodes: look their values up; many: scan the path's values, join by hash
        values = f"{{ ?this {u.path_sparql} ?value }}" if ctx.small else ctx.values(u)
        join = "OPTIONAL " if self.mins else ""
        nodes = "" if u.implied and ctx.restrict is None and not self.mins else ctx.focus(u)
        proj = "?this ?n" + "".join(f" ?f{i}" for i in range(len(self.filters)))
        body = (f"SELECT {proj} WHERE {{ {{ SELECT ?this (COUNT(DISTINCT ?value) AS ?n){sums} WHERE {{ {nodes} "
                f"{join}{values} }} GROUP BY ?this }} FILTER ({' || '.join(conds)}) }}")
        out = []
        flagged: list[list[str]] = [[] for _ in self.filters]
        for row in ctx.query(u, body):
            focus = to_rdflib(row[0])
            n = int(row[1].value)
            for c in self.mins:
                if n < c.arg:
                    out.append(c.result(ctx, focus, None))
            for c in self.maxs:
                if n > c.arg:
                    out.append(c.result(ctx, focus, None))
            for i in range(len(self.filters)):
                f = row[2 + i]
                if f is not None and int(f.value) > 0:
                    flagged[i].append(str(row[0]))
        for c, nodes in zip(self.filters, flagged):
            if nodes:
                body = (f"SELECT DISTINCT ?this ?value WHERE {{ VALUES ?this {{ {' '.join(nodes)} }} "
                        f"?this {u.path_sparql} ?value FILTER ({c.cond}) }}")
                out += [c.result(ctx, to_rdflib(r[0]), to_rdflib(r[1])) for r in ctx.query(u, body)]
        return out


class MultiFilterCheck(Check):
    """Several FilterChecks of one shape, in one query."""

    def __init__(self, unit, checks: list):
        super().__init__(unit, None)
        self.checks = checks

    def run(self, ctx):
        u = self.unit
        any_cond = " || ".join(f"({c.cond})" for c in self.checks)
        flags = " ".join(f"(({c.cond}) AS ?c{i})" for i, c in enumerate(self.checks))
        body = f"SELECT DISTINCT ?this ?value {flags} WHERE {{ {ctx.focus_and_values(u, any_cond)} }}"
        out = []
        for r in ctx.query(u, body):
            focus, value = to_rdflib(r[0]), to_rdflib(r[1])
            for i, c in enumerate(self.checks):
                flag = r[2 + i]
                if flag is not None and flag.value == "true":
                    out.append(c.result(ctx, focus, value))
        return out


class FilterCheck(Check):
    """nodeKind, in, min/maxLength: the offending (focus, value) rows, in SPARQL."""

    def __init__(self, unit, component, param, obj, cond):
        super().__init__(unit, component, param, obj)
        self.cond = cond

    def run(self, ctx):
        u = self.unit
        body = f"SELECT DISTINCT ?this ?value WHERE {{ {ctx.focus_and_values(u, self.cond)} }}"
        return [self.result(ctx, to_rdflib(r[0]), to_rdflib(r[1])) for r in ctx.query(u, body)]


class ClassCheck(Check):
    """sh:class: values without an rdf:type (rdfs:subClassOf*) of the class, in SPARQL."""

    def run(self, ctx):
        u = self.unit
        if ctx.small:
            body = (f"SELECT DISTINCT ?this ?value WHERE {{ {ctx.focus_and_values(u)} "
                    f"FILTER NOT EXISTS {{ ?value TYPEPATH <{self.obj}> }} }}")
        else:
            typed = f"{{ SELECT ?value WHERE {{ ?value TYPEPATH <{self.obj}> }} }}"
            body = f"SELECT DISTINCT ?this ?value WHERE {{ {ctx.focus_and_values(u)} MINUS {typed} }}"
        return [self.result(ctx, to_rdflib(r[0]), to_rdflib(r[1])) for r in ctx.query(u, body)]


class _ValueBased(Check):
    """A test of the value node alone, decided in Python on the distinct values of the path."""

    def candidates(self, ctx: RunContext) -> list:
        """The distinct values of the focus nodes in this run (cached per run)."""
        u = self.unit
        key = (u.focus, u.path_sparql, tuple(str(g) for g in ctx.dg), ctx.restrict is not None)
        cached = ctx.candidates.get(key)
        if cached is None:
            body = f"SELECT DISTINCT ?value WHERE {{ {ctx.focus_and_values(u)} }}"
            cached = [r[0] for r in ctx.query(u, body)]
            ctx.candidates[key] = cached
        return cached

    def test(self, ctx, values: list) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def run(self, ctx):
        bad = self.test(ctx, self.candidates(ctx))
        if not bad:
            return []
        u = self.unit
        out = []
        terms = " ".join(str(t) for t in bad)
        if u.path is None:
            body = f"SELECT ?this ?value WHERE {{ VALUES ?this {{ {terms} }} {ctx.focus(u)} BIND (?this AS ?value) }}"
        elif u.implied and ctx.restrict is None:
            body = f"SELECT DISTINCT ?this ?value WHERE {{ VALUES ?value {{ {terms} }} ?this {u.path_sparql} ?value }}"
        else:
            body = (f"SELECT DISTINCT ?this ?value WHERE {{ {{ SELECT ?this ?value WHERE {{ VALUES ?value "
                    f"{{ {terms} }} ?this {u.path_sparql} ?value }} }} {ctx.focus(u)} }}")
        for r in ctx.query(u, body):
            focus, value = to_rdflib(r[0]), to_rdflib(r[1])
            msg = bad.get(r[1])
            if msg is not None and str(DUMMY_FOCUS) in msg:
                msg = None  # the generic message names the focus node: make it for this one
            out.append(self.result(ctx, focus, value, msg))
            for d in self.details(ctx, r[1]):
                sev = d.get(SH.resultSeverity)
                msg = d.get(SH.resultMessage)
                out.append(Result(d.get(SH.focusNode), d.get(SH.resultPath), d.get(SH.value),
                                  d.get(SH.sourceConstraintComponent), str(sev).rsplit("#", 1)[-1],
                                  "" if msg is None else str(msg), d.get(SH.sourceShape)))
        return out

    def details(self, ctx, term) -> list:
        return []


class PatternCheck(_ValueBased):
    """sh:pattern with sh:flags, exactly as pySHACL (Python ``re``, search)."""

    def __init__(self, unit, engine: FastValidator, pattern):
        super().__init__(unit, SH.PatternConstraintComponent, SH.pattern, pattern)
        if not isinstance(pattern, RLiteral):
            raise Unsupported("sh:pattern is not a literal")
        flags_node = next(iter(set(engine.g.objects(unit.shape, SH.flags))), None)
        re_flags = 0
        if flags_node is not None:
            f = str(flags_node.value).lower()
            if "i" in f:
                re_flags |= re.I
            if "m" in f:
                re_flags |= re.M
        text = str(pattern.value) if pattern.value is not None and len(pattern.value) > 1 else str(pattern)
        self.rx = re.compile(text, re_flags)
        # pySHACL checks only the first sh:pattern of a shape (allow_multi_rules is False)
        firsts = list(engine.g.objects(unit.shape, SH.pattern))
        self.active = len(firsts) <= 1 or pattern == firsts[0]

    def test(self, ctx, values):
        if not self.active:
            return {}
        key = ("pattern", self.rx.pattern, self.rx.flags)
        cache = ctx.engine._value_cache.setdefault(key, {})
        bad = {}
        search = self.rx.search
        for t in values:
            ok = cache.get(t)
            if ok is None:
                ok = False if isinstance(t, BlankNode) else search(t.value) is not None
                cache[t] = ok
            if not ok:
                bad[t] = None
        return bad


class ValueCheck(_ValueBased):
    """datatype, ranges, languageIn, and logical constraints over value-only shapes: pySHACL's
    own constraint component decides, on the distinct values."""

    def __init__(self, unit, engine: FastValidator, param):
        comp = engine._component(unit.shape, param)
        super().__init__(unit, comp.shacl_constraint_component, param, None)
        self.comp = comp

    def test(self, ctx, values):
        from pyshacl.pytypes import SHACLExecutor

        key = (self.unit.shape, self.param)
        cache = ctx.engine._value_cache.setdefault(key, {})
        todo = [t for t in values if t not in cache]
        if todo:
            conv = {to_rdflib(t): t for t in todo}
            for t in todo:
                cache[t] = None  # passes unless reported below
            with RDFLIB_LOCK:
                _ok, reports = self.comp.evaluate(SHACLExecutor(advanced_mode=True), rdflib.Graph(),
                                                  {DUMMY_FOCUS: list(conv)}, [])
            for _text, node, triples in reports:
                fields = _result_fields(triples)
                main = fields.pop(node, {})
                value = main.get(SH.value)
                if value in conv:
                    msg = main.get(SH.resultMessage)
                    # sh:node nests the results of the node shape (sh:detail): pySHACL's report
                    # lists them as results too, with the value as their focus node
                    cache[conv[value]] = ("", None if msg is None else str(msg), list(fields.values()))
        return {t: cache[t][1] for t in values if cache.get(t) is not None}

    def details(self, ctx, term) -> list:
        hit = ctx.engine._value_cache.get((self.unit.shape, self.param), {}).get(term)
        return hit[2] if hit else []

    def result(self, ctx, focus, value, message=None, path=None):
        if message is None:
            message = ctx.engine.message(self.unit, self.comp, focus, value)
        return super().result(ctx, focus, value, message, path)


class SparqlCheck(Check):
    """sh:sparql: the SELECT run once per source graph ($this unbound), joined with the focus."""

    def __init__(self, unit: Unit, engine: FastValidator, cnode, prefixes: dict):
        super().__init__(unit, SH.SPARQLConstraintComponent, SH.sparql, cnode)
        g = engine.g
        selects = list(g.objects(cnode, SH.select))
        if len(selects) != 1 or not isinstance(selects[0], RLiteral):
            raise Unsupported("sh:sparql without exactly one sh:select")
        if (cnode, SH.ask, None) in g:
            raise Unsupported("sh:ask")
        text = str(selects[0].value)
        if re.search(r"[$?]shapesGraph\b", text):
            raise Unsupported("$shapesGraph")
        if re.search(r"\b(MINUS|VALUES|SERVICE|GROUP\s+BY|PREFIX|BASE)\b", text, re.I):
            raise Unsupported("MINUS, VALUES, SERVICE, GROUP BY or a prologue in a SPARQL constraint")
        if len(re.findall(r"\bSELECT\b", text, re.I)) != 1:
            raise Unsupported("nested SELECT in a SPARQL constraint")
        if unit.path is not None:
            text = re.sub(r"([\s{}()])[$?]PATH\b", lambda m: m.group(1) + unit.path_sparql, text)
        elif re.search(r"[$?]PATH\b", text):
            raise Unsupported("$PATH without a path")
        if re.search(r"[$?]currentShape\b", text):
            if not isinstance(unit.shape, URIRef):
                raise Unsupported("$currentShape of a blank node shape")
            text = re.sub(r"[$?]currentShape\b", f"<{unit.shape}>", text)
        text = re.sub(r"\$this\b", "?this", text)
        text = re.sub(r"\$value\b", "?value", text)
        m = re.search(r"\bSELECT\s+((?:DISTINCT|REDUCED)\s+)?", text, re.I)
        rest = text[m.end():]
        if not rest.lstrip().startswith("*"):
            head = rest.split("{", 1)[0]
            if not re.search(r"\?this\b", head):
                text = text[:m.end()] + "?this " + rest
        prefixes.update(engine._prefixes(cnode))
        self.select = text
        self.fast_select = hash_join_text(text, engine._prologue(prefixes)) or text
        self.extra = list(set(g.objects(cnode, SH.message))) or None
        self.engine = engine
        self.cnode = cnode
        self.raw = str(selects[0].value)
        prologue = engine._prologue(prefixes)
        st = _sparql_touches(text, prologue)
        if st is None or _has_global(st):
            facts = _query_facts(text, prologue)
            if facts is None or facts[1]:
                raise Unsupported("a SPARQL constraint that reads beyond its focus node with expressions "
                                  "that depend on literal types (rdflib and Oxigraph differ there)")
            self.rdflib = None
        else:
            if any(x[0] in ("out", "in") and x[1] is None for x in st):
                raise Unsupported("a SPARQL constraint with a variable predicate")
            self.rdflib = RdflibSemantics(text, prologue, st)

    def run(self, ctx):
        u = self.unit
        body = f"SELECT * WHERE {{ {ctx.focus(u)} {{ {self.fast_select} }} }}"
        odd = self.rdflib.odd_nodes(ctx, ctx.dg) if self.rdflib is not None else set()
        if odd:
            if ctx.focus_terms is not None:
                odd &= set(ctx.focus_terms)
            else:
                q = f"SELECT ?this WHERE {{ VALUES ?this {{ {' '.join(sorted(odd))} }} {ctx.focus(u)} }}"
                odd = {str(r[0]) for r in ctx.query(u, q)}
        rows = [d for d in _row_dicts(ctx.query(u, body)) if str(d.get("this")) not in odd]
        for node in sorted(odd):
            rows += self._rdflib_rows(ctx, node)
        return self._results(ctx, rows)

    def _rdflib_rows(self, ctx, node: str) -> list[dict]:
        """The solutions pySHACL gets for focus ``node``: $this bound, on its triples."""
        from pyshacl.helper import get_query_helper_cls

        u = self.unit
        focus = to_rdflib(NamedNode(node[1:-1]))
        helper = get_query_helper_cls()(ctx.engine.psg.lookup_shape_from_node(u.shape), self.cnode, self.raw)
        helper.collect_prefixes()
        binds, text = helper.pre_bind_variables(focus)
        g = self.rdflib.graph(ctx, ctx.dg, node)
        out = []
        with RDFLIB_LOCK:
            rows = list(g.query(helper.apply_prefixes(text), initBindings=binds))
        for r in rows:
            d = {k: to_oxigraph(v) if not isinstance(v, BNode) else BlankNode(str(v))
                 for k, v in r.asdict().items() if v is not None}
            d.setdefault("this", NamedNode(node[1:-1]))
            out.append(d)
        return out

    def _results(self, ctx, rows):
        u = self.unit
        out = []
        seen_failure = set()
        seen = set()
        for d in rows:
            t = d.pop("this", None)
            failure = d.pop("failure", None)
            p = d.pop("path", None)
            v = d.pop("value", None)
            if t is None:
                continue
            focus = to_rdflib(t)
            result_val = focus if u.path is None else None
            extra = {k: to_rdflib(x) for k, x in d.items()}
            if failure is not None:
                if focus in seen_failure:
                    continue
                seen_failure.add(focus)
                msg = ctx.engine.message(u, None, focus, result_val, bound_vars=(None, None, None, extra),
                                         extra=self.extra)
                out.append(self.result(ctx, focus, result_val, msg))
                continue
            rp, rv = to_rdflib(p), to_rdflib(v)
            key = (focus, rp, rv, tuple(sorted((k, str(x)) for k, x in extra.items())))
            if key in seen:
                continue
            seen.add(key)
            if rv is None:
                rv = result_val
            msg = ctx.engine.message(u, None, focus, rv, bound_vars=(focus, rp, rv, extra), extra=self.extra)
            out.append(self.result(ctx, focus, rv, msg, path=rp))
        return out


def _result_fields(triples) -> dict:
    """{result node: {predicate: object}} of the triples of a pySHACL report (the first
    sh:resultMessage of each)."""
    out: dict = {}
    for s, p, o in triples:
        if isinstance(o, tuple):
            o = o[1]
        d = out.setdefault(s, {})
        if p not in d:
            d[p] = o
    return {n: d for n, d in out.items() if d.get(RDF.type) == SH.ValidationResult or SH.focusNode in d}


def _read_back(tsv: bytes):
    """The solutions of a SELECT from the TSV pyoxigraph wrote (see RunContext.query)."""
    return parse_query_results(tsv, format=QueryResultsFormat.TSV)


def _row_dicts(solutions) -> Iterator[dict]:
    """The bound variables of each solution, in projection order."""
    names = [v.value for v in solutions.variables]
    for row in solutions:
        yield {n: row[n] for n in names if row[n] is not None}
