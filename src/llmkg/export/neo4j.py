"""A CSV bundle for ``neo4j-admin database import`` (Neo4j 5), with the command to run.

``-o DIR`` receives:

* ``nodes_<Label>.csv`` — one file per primary label (see :func:`primary_label`;
  ``Resource`` for nodes without a class), header ``iri:ID,:LABEL,label,<properties>``:
  ``:LABEL`` holds all the node's labels, ``iri`` is the node id (and kept as a property);
  each literal property is a column named by its compact IRI with ``_`` for ``:``
  (``llmkg_modelFamily``), typed ``:long`` / ``:double`` where every value is one
  integer / decimal, ``:string[]`` where a node has several values, else ``:string``;
* ``relationships.csv`` — ``:START_ID,:END_ID,:TYPE,predicate``; the type is the
  predicate's local name in upper snake case (``llmkg:introducedIn`` -> ``INTRODUCED_IN``,
  ``orkgp:P31`` -> ``HAS_CONTRIBUTION``), the predicate IRI a property;
* ``import.sh`` — the ``neo4j-admin database import full`` command for these files, and
  ``README.md``.

Arrays use the unit separator (U+001F) as delimiter, which no value contains; texts may
span lines (``--multiline-fields=true``).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from pyoxigraph import Literal

from ..vocab import PREFIXES
from ._graph import PropertyGraph, build

ARRAY_DELIMITER = "\u001f"
ARRAY_DELIMITER_ARG = "U+001F"
XSD = PREFIXES["xsd"]
INTEGER_TYPES = {XSD + t for t in ("integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger")}
DECIMAL_TYPES = {XSD + t for t in ("decimal", "double", "float")}
RELATIONSHIP_NAMES = {
    PREFIXES["orkgp"] + "P31": "HAS_CONTRIBUTION",
    PREFIXES["orkgp"] + "P32": "HAS_RESEARCH_PROBLEM",
    PREFIXES["orkgp"] + "P30": "HAS_RESEARCH_FIELD",
}
_INT64 = (-(2 ** 63), 2 ** 63 - 1)


def _local(iri: str) -> str:
    return re.split(r"[/#]", iri.rstrip("/#"))[-1] or iri


def _ident(text: str) -> str:
    text = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")
    return text if text and not text[0].isdigit() else "_" + text


def _upper_snake(name: str) -> str:
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return _ident(name).upper()


def _unique(names: dict[str, str], g: PropertyGraph) -> dict[str, str]:
    """Make names unique: where two IRIs share one, prefix it with the prefix name."""
    seen: dict[str, list[str]] = {}
    for iri, name in names.items():
        seen.setdefault(name, []).append(iri)
    out = {}
    for name, iris in seen.items():
        for iri in iris:
            if len(iris) == 1:
                out[iri] = name
            else:
                prefix = g.short(iri).split(":")[0] if ":" in g.short(iri) and "://" not in g.short(iri) else "x"
                out[iri] = _ident(f"{prefix}_{name}")
    return out


def labels_of(g: PropertyGraph) -> dict[str, str]:
    classes = sorted({t for n in g.nodes.values() for t in n.types})
    return _unique({c: _ident(_local(c)) for c in classes}, g)


def primary_label(types: list[str], labels: dict[str, str]) -> str:
    """The label whose file a node goes to: an llmkg class first, then an ORKG class, then
    any other (``llmkg:License`` before ``skos:Concept``), by name within each; ``Resource``
    for a node without a class."""
    if not types:
        return "Resource"
    rank = {PREFIXES["llmkg"]: 0, PREFIXES["orkgc"]: 1}
    best = min(types, key=lambda t: (next((r for ns, r in rank.items() if t.startswith(ns)), 2), labels[t]))
    return labels[best]


def relationship_types(g: PropertyGraph) -> dict[str, str]:
    preds = sorted({e.predicate for e in g.edges})
    names = {p: RELATIONSHIP_NAMES.get(p) or _upper_snake(_local(p)) for p in preds}
    return {p: name.upper() for p, name in _unique(names, g).items()}


def _column_type(values: list[list[Literal]]) -> str:
    if any(len(v) > 1 for v in values):
        return "string[]"
    flat = [v[0] for v in values if v]
    if flat and all(v.datatype is not None and v.datatype.value in INTEGER_TYPES for v in flat):
        try:
            if all(_INT64[0] <= int(v.value) <= _INT64[1] for v in flat):
                return "long"
        except ValueError:
            pass
    if flat and all(v.datatype is not None and v.datatype.value in DECIMAL_TYPES for v in flat):
        try:
            [float(v.value) for v in flat]
            return "double"
        except ValueError:
            pass
    return "string"


def _csv(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerows(rows)
    return buf.getvalue().encode("utf-8")


def files(src) -> dict[str, bytes]:
    """File name -> content of the bundle."""
    g = build(src)
    labels = labels_of(g)
    groups: dict[str, list] = {}
    for n in g.nodes.values():
        node_labels = sorted({labels[t] for t in n.types}) or ["Resource"]
        groups.setdefault(primary_label(n.types, labels), []).append((n, node_labels))
    out: dict[str, bytes] = {}
    node_files = []
    for primary in sorted(groups):
        members = groups[primary]
        props = sorted({p for n, _ in members for p in n.literals}, key=lambda p: (g.short(p), p))
        names = _unique({p: _ident(g.short(p).replace(":", "_")) for p in props}, g)
        types = {p: _column_type([n.literals.get(p, []) for n, _ in members]) for p in props}
        header = ["iri:ID", ":LABEL", "label"] + [f"{names[p]}:{types[p]}" for p in props]
        rows = [header]
        for n, node_labels in members:
            row = [n.id, ARRAY_DELIMITER.join(node_labels), n.label]
            for p in props:
                vals = sorted((v.value for v in n.literals.get(p, [])), key=lambda x: (x.casefold(), x))
                row.append(ARRAY_DELIMITER.join(vals) if types[p] == "string[]" else (vals[0] if vals else ""))
            rows.append(row)
        name = f"nodes_{primary}.csv"
        node_files.append(name)
        out[name] = _csv(rows)
    rel_types = relationship_types(g)
    rel_rows = [[":START_ID", ":END_ID", ":TYPE", "predicate"]]
    for e in sorted(g.edges, key=lambda e: (e.source, e.predicate, e.target)):
        rel_rows.append([e.source, e.target, rel_types[e.predicate], e.predicate])
    out["relationships.csv"] = _csv(rel_rows)
    out["import.sh"] = _script(node_files).encode("utf-8")
    out["README.md"] = _readme(node_files, len(g.nodes), len(g.edges)).encode("utf-8")
    return out


def command(node_files: list[str], database: str = '"$DB"', directory: str = '"$DIR"') -> list[str]:
    args = [f"database import full {database}", "--overwrite-destination=true",
            f"--array-delimiter={ARRAY_DELIMITER_ARG}", "--multiline-fields=true"]
    args += [f"--nodes={directory}/{f}" for f in node_files]
    args.append(f"--relationships={directory}/relationships.csv")
    return args


def _script(node_files: list[str]) -> str:
    args = " \\\n  ".join(command(node_files))
    return (
        "#!/bin/sh\n"
        "# Import this llmkg export into a Neo4j 5 database (the DBMS stopped or the database absent).\n"
        "# Usage: NEO4J_HOME=/path/to/neo4j sh import.sh [database]   (default database: neo4j)\n"
        "# Then, for a database other than the default: CREATE DATABASE name (Cypher, in system).\n"
        "set -eu\n"
        'DIR="$(cd "$(dirname "$0")" && pwd)"\n'
        'DB="${1:-neo4j}"\n'
        'ADMIN="${NEO4J_HOME:+$NEO4J_HOME/bin/}neo4j-admin"\n'
        f'"$ADMIN" {args}\n')


def _readme(node_files: list[str], n_nodes: int, n_edges: int) -> str:
    listed = "\n".join(f"* `{f}`" for f in node_files)
    return (
        "# llmkg graph for Neo4j\n\n"
        f"{n_nodes} nodes and {n_edges} relationships, exported by `llmkg export --format neo4j`.\n\n"
        "Import into an empty database with Neo4j 5's bulk importer:\n\n"
        "```sh\nNEO4J_HOME=/path/to/neo4j sh import.sh            # database \"neo4j\"\n```\n\n"
        "which runs\n\n```sh\nneo4j-admin " + " \\\n  ".join(command(node_files, "neo4j", "$PWD")) + "\n```\n\n"
        "Node files (header `iri:ID,:LABEL,label,...`; `:LABEL` lists every label of a node):\n\n"
        f"{listed}\n\n"
        "Relationships: `relationships.csv` (`:START_ID,:END_ID,:TYPE,predicate`).\n\n"
        "Node ids are the IRIs. Arrays (`:string[]` columns and several labels) are separated by\n"
        "U+001F (`--array-delimiter=U+001F`); texts may span lines (`--multiline-fields=true`).\n")
