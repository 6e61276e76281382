"""The default graph: the merge of the named graphs, each triple once, less what the curated
resolutions supersede (docs/rdf-model.md, "The default graph").

A build writes it as it maps: each record's quads carry its share of the default graph
(:meth:`llmkg.graph.mapping.Mapper.resolved_view`). :func:`settle` makes any store's default graph
follow the rule again, for some triples (what an incremental build changed) or all of them
(a dataset loaded from TriG by hand, in tests and tools).
"""

from __future__ import annotations

from typing import Iterable

from pyoxigraph import DefaultGraph, NamedNode, Quad

from ..vocab import CURATED_GRAPH

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_SUBJECT, _PREDICATE, _OBJECT = NamedNode(RDF + "subject"), NamedNode(RDF + "predicate"), NamedNode(RDF + "object")
_PARTS = {RDF + "subject": "s", RDF + "predicate": "p", RDF + "object": "o"}  # of an rdf:Statement


def superseded(db, s, p, o) -> bool:
    """Whether a resolution (in graph:curated) supersedes the triple."""
    cur = NamedNode(CURATED_GRAPH)
    for q in db.quads_for_pattern(None, _SUBJECT, s, cur):
        st = q.subject
        if Quad(st, _PREDICATE, p, cur) in db and Quad(st, _OBJECT, o, cur) in db:
            return True
    return False


def _statements(quads: list) -> set:
    """The triples described by the rdf:Statement resources (subject, predicate and object)
    among ``quads``: the statements of resolutions that changed."""
    parts: dict = {}
    for q in quads:
        part = _PARTS.get(q.predicate.value)
        if part is not None and not isinstance(q.graph_name, DefaultGraph):
            parts.setdefault(q.subject, {})[part] = q.object
    return {(p["s"], p["p"], p["o"]) for p in parts.values() if len(p) == 3}


def changed_triples(removes: Iterable[Quad], adds: Iterable[Quad], named: bool = False) -> set:
    """The triples whose place in the default graph a change of quads may have changed and
    that the change itself does not settle: those whose superseding statements it took out
    or put in, and

    * after records' quads changed (an incremental build: each record's quads carry its
      share of the default graph), those it took out of the default graph (another record,
      or a research problem of another graph, may still state them);
    * ``named``, after a SPARQL update: those of the named-graph quads it took out or put in
      (what it did to the default graph itself stays as it did it)."""
    removes, adds = list(removes), list(adds)
    if named:
        own = {(q.subject, q.predicate, q.object) for q in removes + adds
               if not isinstance(q.graph_name, DefaultGraph)}
    else:
        own = {(q.subject, q.predicate, q.object) for q in removes if isinstance(q.graph_name, DefaultGraph)}
    return own | _statements(removes + adds)


def settle(db, triples: Iterable[tuple] | None = None) -> tuple[int, int]:
    """Make the default graph hold ``triples`` (or every triple) exactly when a named graph
    states it and no resolution supersedes it. Returns (triples taken out, put in)."""
    dg = DefaultGraph()
    if triples is None:
        named = {(q.subject, q.predicate, q.object) for q in db.quads_for_pattern(None, None, None)
                 if not isinstance(q.graph_name, DefaultGraph)}
        have = {(q.subject, q.predicate, q.object) for q in db.quads_for_pattern(None, None, None, dg)}
        want = {t for t in named if not superseded(db, *t)}
        for t in have - want:
            db.remove(Quad(*t, dg))
        db.extend([Quad(*t, dg) for t in want - have])
        return len(have - want), len(want - have)
    taken = put = 0
    for s, p, o in triples:
        named = any(not isinstance(q.graph_name, DefaultGraph) for q in db.quads_for_pattern(s, p, o))
        want = named and not superseded(db, s, p, o)
        q = Quad(s, p, o, dg)
        have = q in db
        if want and not have:
            db.add(q)
            put += 1
        elif have and not want:
            db.remove(q)
            taken += 1
    return taken, put
