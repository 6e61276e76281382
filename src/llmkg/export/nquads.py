"""N-Quads: one quad a line with its named graph, sorted by graph, subject, predicate, object."""

from __future__ import annotations

from pyoxigraph import RdfFormat

from ._rdf import write_quads


def write(src, out) -> None:
    write_quads(src, out, RdfFormat.N_QUADS)
