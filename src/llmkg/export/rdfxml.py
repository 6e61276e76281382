"""RDF/XML: the triples of one graph, or the union of all graphs, one ``rdf:Description``
per subject in sorted order, every llmkg namespace declared. Serialized by pyoxigraph."""

from __future__ import annotations

from pyoxigraph import RdfFormat

from ._rdf import write_triples


def write(src, out) -> None:
    write_triples(src, out, RdfFormat.RDF_XML)
