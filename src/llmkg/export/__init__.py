"""Exports: the built store written out for other tools. One module per format.

Every format reads the store (pyoxigraph) through :class:`Source` and writes deterministic
output: the same store gives the same bytes. ``--graph SOURCE`` narrows an export to one
named graph (``awesome-llms`` = ``https://w3id.org/llmkg/graph/awesome-llms``); what that
means per format is in docs/exports.md.

:data:`FORMATS` is the registry: name -> :class:`Format` (module, media type, extension,
whether the output is a directory). :func:`export` runs one.
"""

from __future__ import annotations

import importlib
import io
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from ..errors import LlmkgError
from ..vocab import DEFAULT_BASE, GRAPH


@dataclass(frozen=True)
class Format:
    name: str
    module: str          # module under llmkg.export
    media_type: str
    extension: str       # of the file, or "" for a directory bundle
    directory: bool = False
    description: str = ""

    def load(self):
        return importlib.import_module(f"{__name__}.{self.module}")


FORMATS: dict[str, Format] = {f.name: f for f in [
    Format("turtle", "turtle", "text/turtle", ".ttl", description="RDF 1.1 Turtle (the default graph: the resolved merge)"),
    Format("ntriples", "ntriples", "application/n-triples", ".nt",
           description="N-Triples (the default graph: the resolved merge)"),
    Format("nquads", "nquads", "application/n-quads", ".nq", description="N-Quads (the default graph and the named graphs)"),
    Format("trig", "trig", "application/trig", ".trig", description="TriG (the default graph and the named graphs)"),
    Format("jsonld", "jsonld", "application/ld+json", ".jsonld",
           description="JSON-LD 1.1 with the llmkg context embedded (with the named graphs)"),
    Format("rdfxml", "rdfxml", "application/rdf+xml", ".rdf", description="RDF/XML (the default graph: the resolved merge)"),
    Format("orkg-csv", "orkg_csv", "text/csv", ".csv",
           description="ORKG's paper CSV import: one row per paper new to ORKG"),
    Format("orkg-turtle", "orkg_turtle", "text/turtle", ".ttl",
           description="Turtle in ORKG's dump vocabulary (orkgr:/orkgp:/orkgc:)"),
    Format("orkg-json", "orkg_json", "application/vnd.orkg.paper.v2+json", ".json",
           description="ORKG REST paper payloads (papers v2), a JSON array"),
    Format("fair4ml", "fair4ml", "application/ld+json", ".jsonld",
           description="the models as FAIR4ML MLModel descriptions (JSON-LD, schema.org)"),
    Format("graphml", "graphml", "application/graphml+xml", ".graphml",
           description="GraphML for networkx, Gephi, Cytoscape, yEd"),
    Format("neo4j", "neo4j", "text/csv", "", directory=True,
           description="CSV bundle for neo4j-admin database import, with import.sh"),
    Format("csv", "csv_tables", "text/csv", "", directory=True,
           description="one flat CSV table per class, for spreadsheets"),
]}

CONTEXT_IRI = "https://w3id.org/llmkg/context.jsonld"
CONTEXT_FILE = Path(__file__).with_name("context.jsonld")


def get_format(name: str) -> Format:
    try:
        return FORMATS[name]
    except KeyError:
        raise LlmkgError(f"unknown export format {name!r}; one of: {', '.join(FORMATS)}") from None


@dataclass
class Source:
    """What an export reads: the open store, its build metadata and the chosen graph."""

    store: object                  # pyoxigraph.Store
    meta: dict = field(default_factory=dict)
    graph: str | None = None       # full IRI of the named graph, or None for everything
    #: the ORKG exports: also the papers ORKG already has (else only what is new to ORKG)
    include_existing: bool = False
    #: jsonld: name the published context by its IRI instead of embedding it
    reference_context: bool = False
    #: orkg-json: ORKG's predicate ids by ORKG label, used instead of declaring new predicates
    orkg_predicates: dict = field(default_factory=dict)
    #: what an export has to say about what it wrote (the CLI prints it on stderr)
    notes: list = field(default_factory=list)

    @property
    def base(self) -> str:
        base = self.meta.get("base") or DEFAULT_BASE
        return base if base.endswith("/") else base + "/"

    @property
    def graph_id(self) -> str | None:
        """``awesome-llms`` for ``graph:awesome-llms``; the IRI for another graph."""
        if self.graph is None:
            return None
        return self.graph[len(GRAPH):] if self.graph.startswith(GRAPH) else self.graph

    def graph_names(self) -> list[str]:
        return sorted(g.value for g in self.store.named_graphs() if hasattr(g, "value"))


def graph_iri(graph: str) -> str:
    """``awesome-llms`` -> ``https://w3id.org/llmkg/graph/awesome-llms``; IRIs pass through."""
    graph = graph.strip()
    if "://" in graph:
        return graph
    if graph.startswith("graph:"):
        graph = graph[len("graph:"):]
    return GRAPH + graph


def open_source(store_dir: str | os.PathLike, graph: str | None = None, include_existing: bool = False,
                reference_context: bool = False) -> Source:
    from ..graph.store import open_read_only

    store, version = open_read_only(store_dir)
    src = Source(store, dict(version.meta), graph_iri(graph) if graph else None, include_existing,
                 reference_context)
    if src.graph is not None and src.graph not in src.graph_names():
        known = ", ".join(g[len(GRAPH):] if g.startswith(GRAPH) else g for g in src.graph_names())
        raise LlmkgError(f"no graph {graph!r} in the store; the graphs are: {known}")
    return src


def write(src: Source, fmt: str, output: str | os.PathLike | BinaryIO | None) -> None:
    """Write ``src`` in format ``fmt`` to ``output``.

    For a file format, ``output`` is a path, a binary stream, ``"-"`` or None (stdout);
    the file is written aside and renamed, so a failed export leaves no half file. For a
    directory format (``neo4j``, ``csv``) it is the directory to create or fill.
    """
    f = get_format(fmt)
    mod = f.load()
    if f.directory:
        if output is None or output == "-" or not isinstance(output, (str, os.PathLike)):
            raise LlmkgError(f"the {f.name} export writes a directory of files; give it with -o DIR")
        directory = Path(output)
        if directory.exists() and not directory.is_dir():
            raise LlmkgError(f"{directory} exists and is not a directory")
        directory.mkdir(parents=True, exist_ok=True)
        for name, data in mod.files(src).items():
            path = directory / name
            tmp = path.with_name(f".{name}.tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
            if name.endswith(".sh"):
                path.chmod(0o755)
        return
    if output is None or output == "-":
        buf = io.BytesIO()
        mod.write(src, buf)
        sys.stdout.buffer.write(buf.getvalue())
        sys.stdout.buffer.flush()
        return
    if not isinstance(output, (str, os.PathLike)):
        mod.write(src, output)
        return
    path = Path(output)
    if path.is_dir():
        raise LlmkgError(f"{path} is a directory; the {f.name} export writes one file")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            mod.write(src, fh)
        os.replace(tmp, path)
    except OSError as exc:
        raise LlmkgError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if tmp.exists():
            tmp.unlink()


def export(store_dir: str | os.PathLike, fmt: str, output=None, graph: str | None = None,
           include_existing: bool = False, reference_context: bool = False,
           orkg_predicates: dict | None = None) -> Source:
    """Open the store at ``store_dir`` and export it (see :func:`write`)."""
    get_format(fmt)
    src = open_source(store_dir, graph, include_existing, reference_context)
    src.orkg_predicates = dict(orkg_predicates or {})
    write(src, fmt, output)
    return src


def read_predicate_ids(path: str | os.PathLike) -> dict[str, str]:
    """``{"model family": "P12345", ...}`` from a JSON file: ORKG's predicate ids by label."""
    import json
    import re

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LlmkgError(f"{path}: not a readable JSON file ({exc})") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise LlmkgError(f"{path}: give a JSON object of ORKG predicate ids by label, "
                         '{"model family": "P12345"}')
    bad = sorted(v for v in data.values() if not re.fullmatch(r"[A-Za-z0-9:_-]+", v))
    if bad:
        raise LlmkgError(f"{path}: not ORKG predicate ids: {', '.join(bad)}")
    return data


def export_bytes(src: Source, fmt: str) -> bytes:
    """The output of a single-file format as bytes (for the web app and tests)."""
    f = get_format(fmt)
    if f.directory:
        raise LlmkgError(f"the {f.name} export writes a directory of files")
    buf = io.BytesIO()
    f.load().write(src, buf)
    return buf.getvalue()
