"""What the SPARQL of a shape touches and means: which triples can change its results (an
incremental build revalidates only what an edit can reach), where rdflib (pySHACL) and
Oxigraph could disagree, and rewrites of its algebra (hash joins, hoisted EXISTS). The
analyses are memoized and saved with a store version (a build reuses them).
"""

from __future__ import annotations

import re

import rdflib
from pyoxigraph import Literal, NamedNode
from rdflib import URIRef
from rdflib import Literal as RLiteral

from .terms import RDF, XSD_STRING, _prepare, to_rdflib

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

def _touches_uncached(text: str, prologue: str) -> list | None:
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


def _facts_uncached(text: str, prologue: str) -> tuple[set, bool] | None:
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


class Analyses:
    """The analyses above of each shape query, kept: they parse SPARQL with rdflib, which is
    slow (~40 ms a query). One object per validator (:class:`~llmkg.check.FastValidator`);
    a build saves it with the store version (:meth:`save`) and the next build starts from
    it (:meth:`load`).

    A query that reads only the focus node's own triples is local; one that follows a value
    further is not (None: any triple may change its results):

    >>> a = Analyses()
    >>> a.touches("SELECT ?this WHERE { ?this <http://schema.org/name> ?v }", "")
    [('out', 'http://schema.org/name', None)]
    >>> a.touches("SELECT ?this WHERE { ?this <http://schema.org/author> ?v . ?v ?p ?w }", "") is None
    True
    >>> len(a)
    2
    """

    FILE = "analyses.pkl"

    def __init__(self, saved: dict | None = None):
        self._memo: dict = dict(saved or {})

    def __len__(self) -> int:
        return len(self._memo)

    def update(self, other: Analyses) -> None:
        """Add the analyses ``other`` holds."""
        self._memo.update(other._memo)

    def _get(self, name: str, fn, text: str, prologue: str):
        key = (name, text, prologue)
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = fn(text, prologue)
            return value

    def touches(self, text: str, prologue: str) -> list | None:
        """What the query's results depend on (see "locality" above); None: anything."""
        return self._get("touches", _touches_uncached, text, prologue)

    def hash_join(self, text: str, prologue: str) -> str | None:
        """The query rewritten with hash joins, or None when the rewrite does not apply."""
        return self._get("hash-join", _hash_join_text_uncached, text, prologue)

    def facts(self, text: str, prologue: str):
        return self._get("facts", _facts_uncached, text, prologue)

    @classmethod
    def load(cls, directory, version: str) -> Analyses:
        """The analyses saved in ``directory`` by llmkg ``version``; none when there are
        none, or they are unreadable or from another version."""
        import pickle
        from pathlib import Path

        try:
            with open(Path(directory) / cls.FILE, "rb") as f:
                saved = pickle.load(f)
            if isinstance(saved, dict) and saved.get("llmkg") == version and isinstance(saved["analyses"], dict):
                return cls(saved["analyses"])
        except (OSError, pickle.UnpicklingError, EOFError, KeyError, ValueError, TypeError, AttributeError,
                ImportError):
            pass
        return cls()

    def save(self, directory, version: str) -> None:
        import pickle
        from pathlib import Path

        with open(Path(directory) / self.FILE, "wb") as f:
            pickle.dump({"llmkg": version, "analyses": dict(self._memo)}, f)
