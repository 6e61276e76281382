"""N-Triples: one triple a line, sorted; the union of the graphs, or one graph."""

from __future__ import annotations

from pyoxigraph import RdfFormat

from ._rdf import write_triples


def write(src, out) -> None:
    write_triples(src, out, RdfFormat.N_TRIPLES)
