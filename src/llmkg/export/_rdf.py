"""What the RDF exports share: the quads of the chosen graph(s), blank nodes labelled
canonically (RDFC-1.0), a total order, and the prefixes to declare."""

from __future__ import annotations

from typing import BinaryIO, Iterable

from pyoxigraph import (BlankNode, CanonicalizationAlgorithm, Dataset, DefaultGraph, NamedNode, Quad,
                        RdfFormat, Triple, serialize)

from ..vocab import PREFIXES, RDF_TYPE

def license_facts(store, iri: str) -> tuple[str | None, str | None]:
    """A license concept's SPDX id and access level (``open``, ``limited``, ``closed``;
    None for "unknown"), as the licenses vocabulary states them."""
    def first(prop: str) -> str | None:
        vals = sorted(q.object.value for q in store.quads_for_pattern(NamedNode(iri), NamedNode(PREFIXES["llmkg"] + prop),
                                                                     None, None))
        return vals[0] if vals else None

    level = first("accessLevel")
    level = level.rsplit("#", 1)[-1].lower() if level else None
    return first("spdxId"), (None if level == "unknown" else level)


#: the prefixes every RDF export declares (``res:`` follows the store's base)
def prefixes(base: str) -> dict[str, str]:
    out = dict(PREFIXES)
    out["res"] = base
    return out


def term_key(term) -> tuple:
    """A total order of terms that is stable across runs: IRIs (by IRI), blank nodes, then
    literals (by their N-Triples text)."""
    if isinstance(term, NamedNode):
        return (0, term.value)
    if isinstance(term, BlankNode):
        return (1, term.value)
    if isinstance(term, DefaultGraph):
        return (-1, "")
    return (2, str(term))


def quad_key(q: Quad) -> tuple:
    # rdf:type first within a subject, so each subject starts with what it is
    return (term_key(q.graph_name), term_key(q.subject), q.predicate.value != RDF_TYPE,
            q.predicate.value, term_key(q.object))


def triple_key(t: Triple) -> tuple:
    return (term_key(t.subject), t.predicate.value != RDF_TYPE, t.predicate.value, term_key(t.object))


def _has_blank(q: Quad) -> bool:
    return (isinstance(q.subject, BlankNode) or isinstance(q.object, BlankNode)
            or isinstance(q.graph_name, BlankNode))


def canonical(quads: Iterable[Quad]) -> list[Quad]:
    """The quads with blank nodes relabelled by RDFC-1.0 (``c14n0``, ``c14n1``...), so that
    their labels depend on the data only; unchanged when there are none."""
    quads = list(quads)
    if not any(_has_blank(q) for q in quads):
        return quads
    ds = Dataset(quads)
    ds.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)
    return list(ds)


def select(src) -> list[Quad]:
    """The quads of ``src.graph`` (or of the whole store: the default graph and the named
    graphs), canonical and sorted."""
    store = src.store
    if src.graph is None:
        quads = store.quads_for_pattern(None, None, None, None)
    else:
        quads = store.quads_for_pattern(None, None, None, NamedNode(src.graph))
    return sorted(canonical(quads), key=quad_key)


def triples(src) -> list[Triple]:
    """The triples of ``src.graph``, or of the default graph (the merge of the named graphs
    with the curated resolutions in place of what they supersede), sorted."""
    if src.graph is None:
        quads = src.store.quads_for_pattern(None, None, None, DefaultGraph())
        return sorted((q.triple for q in canonical(quads)), key=triple_key)
    return sorted({q.triple for q in select(src)}, key=triple_key)


def write_triples(src, out: BinaryIO, fmt: RdfFormat) -> None:
    data = serialize(triples(src), format=fmt, prefixes=prefixes(src.base))
    out.write(data)


def write_quads(src, out: BinaryIO, fmt: RdfFormat) -> None:
    data = serialize(select(src), format=fmt, prefixes=prefixes(src.base))
    out.write(data)
