"""One flat CSV table per class, for spreadsheets (the ``csv`` format; ``-o DIR``).

Every subject goes to the table of its primary class (an llmkg class first, then an ORKG
class, then any other, as in the Neo4j bundle: ``Model.csv``, ``Paper.csv``, ``Contribution.csv``...; ``Resource.csv``
for subjects without a class). Columns: ``iri``, ``label``, ``type`` (all its classes),
then one column per property its class's subjects have, headed by the compact IRI
(``llmkg:modelFamily``, ``llmkg:organization``); a cell lists the values (literal text,
or the IRI of the object) sorted and joined by ``" | "``. Rows are sorted by IRI.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from pyoxigraph import Literal, NamedNode

from ..vocab import RDF_TYPE
from ._graph import build, node_id
from ._rdf import triples
from .neo4j import labels_of, primary_label

SEP = " | "


def files(src) -> dict[str, bytes]:
    g = build(src)
    labels = labels_of(g)
    # every property of each subject, literal or not (but rdf:type, given by ``type``)
    props: dict[str, dict[str, list[str]]] = {}
    for t in triples(src):
        if t.predicate.value == RDF_TYPE:
            continue
        o = t.object
        text = o.value if isinstance(o, (Literal, NamedNode)) else node_id(o)
        props.setdefault(node_id(t.subject), {}).setdefault(t.predicate.value, []).append(text)
    tables: dict[str, list] = {}
    for n in g.nodes.values():
        if not n.is_subject:
            continue
        primary = primary_label(n.types, labels)
        tables.setdefault(primary, []).append(n)
    out = {}
    for name in sorted(tables):
        members = tables[name]
        cols = sorted({p for n in members for p in props.get(n.id, {})}, key=lambda p: (g.short(p), p))
        rows = [["iri", "label", "type"] + [g.short(p) for p in cols]]
        for n in members:
            mine = props.get(n.id, {})
            row = [n.id, n.label, SEP.join(g.short(t) for t in n.types)]
            for p in cols:
                vals = sorted(mine.get(p, []), key=lambda x: (x.casefold(), x))
                row.append(SEP.join(vals))
            rows.append(row)
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerows(rows)
        out[f"{name}.csv"] = buf.getvalue().encode("utf-8")
    return out
