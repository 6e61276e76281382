"""GraphML for networkx, Gephi, Cytoscape and yEd.

A directed graph (see ``_graph`` for what becomes a node and an edge). Each node has the
attributes ``label``, ``iri`` and ``type`` (its classes as compact IRIs, ``" | "``
between several) and one attribute per literal property, named by the property's compact
IRI (``llmkg:modelFamily``), several values joined by ``" | "`` in sorted order. Each edge
has ``label`` (the compact predicate, ``llmkg:organization``) and ``predicate`` (its IRI).
All attributes are strings; node ids are the IRIs (``_:c14n0`` for blank nodes); edge ids
are ``e0``, ``e1``... in the sorted order of the edges.
"""

from __future__ import annotations

import re

from ._graph import build, values_text

_INVALID_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def esc(text: str, attr: bool = False) -> str:
    text = _INVALID_XML.sub("\ufffd", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if attr:
        text = text.replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    return text


def write(src, out) -> None:
    g = build(src)
    node_attrs = ["label", "iri", "type"]
    lit_props = sorted({p for n in g.nodes.values() for p in n.literals}, key=lambda p: (g.short(p), p))
    names = {p: g.short(p) for p in lit_props}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
             'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
             'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
             'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">']
    key_of: dict[str, str] = {}
    for i, name in enumerate(node_attrs + [names[p] for p in lit_props]):
        kid = f"n{i}"
        key_of[name] = kid
        lines.append(f'  <key id="{kid}" for="node" attr.name="{esc(name, True)}" attr.type="string"/>')
    lines.append('  <key id="e0" for="edge" attr.name="label" attr.type="string"/>')
    lines.append('  <key id="e1" for="edge" attr.name="predicate" attr.type="string"/>')
    lines.append('  <graph id="llmkg" edgedefault="directed">')
    for n in g.nodes.values():
        lines.append(f'    <node id="{esc(n.id, True)}">')
        data = [("label", n.label), ("iri", n.id),
                ("type", " | ".join(g.short(t) for t in n.types))]
        data += [(names[p], values_text(n.literals[p])) for p in lit_props if p in n.literals]
        for name, value in data:
            if value:
                lines.append(f'      <data key="{key_of[name]}">{esc(value)}</data>')
        lines.append("    </node>")
    edges = sorted(g.edges, key=lambda e: (e.source, e.predicate, e.target))
    for i, e in enumerate(edges):
        lines.append(f'    <edge id="e{i}" source="{esc(e.source, True)}" target="{esc(e.target, True)}">')
        lines.append(f'      <data key="e0">{esc(g.short(e.predicate))}</data>')
        lines.append(f'      <data key="e1">{esc(e.predicate)}</data>')
        lines.append("    </edge>")
    lines.append("  </graph>")
    lines.append("</graphml>")
    out.write(("\n".join(lines) + "\n").encode("utf-8"))
