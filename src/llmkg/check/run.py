"""One validation run: the units on a store, per source graph, on threads
(:class:`RunContext`), with the focus nodes looked up or scanned as their number says.
"""

from __future__ import annotations

import copy
import os
import threading
from typing import TYPE_CHECKING

from pyoxigraph import NamedNode, QueryResultsFormat, Store

from .checks import _read_back
from .model import Unit
from .terms import RDF, RDFLIB_LOCK, to_rdflib

if TYPE_CHECKING:
    from .compiler import FastValidator

SMALL_FOCUS = 2000   # focus nodes from a SPARQL target: up to this many, looked up one by one
MAX_VALUES = 150000  # and up to this many, passed to the checks as VALUES
RDF_TYPE_IRI = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
TYPE_SUB = RDF_TYPE_IRI + "/<http://www.w3.org/2000/01/rdf-schema#subClassOf>*"


def default_threads() -> int:
    """Threads for a validation run: Oxigraph evaluates a query without the GIL, so one a
    core, up to 4 (more gave nothing on the 100k benchmark)."""
    return min(4, os.cpu_count() or 1)


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
            # a blank node of the store cannot be listed in a query (there, _:b is a new node)
            blank = any(t[:2] == "_:" for t in terms)
            if blank and unit.sparql_targets:
                raise RuntimeError(f"llmkg.check: blank nodes selected by the SPARQL target of {unit.shape} "
                                   "cannot be checked by this engine (use --engine pyshacl)")
            if not blank and (len(terms) <= MAX_VALUES or unit.sparql_targets):
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
            raise RuntimeError(f"llmkg.check: query failed for {unit.shape}: {exc}\n{text}") from exc

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
