"""TriG: every named graph in its own block (or the one chosen with ``--graph``), sorted."""

from __future__ import annotations

from pyoxigraph import RdfFormat

from ._rdf import write_quads


def write(src, out) -> None:
    write_quads(src, out, RdfFormat.TRIG)
