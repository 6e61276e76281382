"""Turtle: the triples of one graph, or the union of all graphs (each triple once).

Subjects and triples sorted (``rdf:type`` first), every llmkg prefix declared, blank nodes
labelled canonically. Serialized by pyoxigraph.
"""

from __future__ import annotations

from pyoxigraph import RdfFormat

from ._rdf import write_triples


def write(src, out) -> None:
    write_triples(src, out, RdfFormat.TURTLE)
