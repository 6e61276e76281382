"""The result formats (one table: names, media types, pyoxigraph formats) and the
serializers of results: table, CSV, TSV, JSON, XML, Markdown for SELECT and ASK; Turtle,
N-Triples, JSON-LD, RDF/XML for CONSTRUCT and DESCRIBE.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any, Mapping, Sequence

from pyoxigraph import (BlankNode, Literal, NamedNode, QueryResultsFormat, RdfFormat, Triple)

from ..errors import QueryError
from ..vocab import PREFIXES, XSD
from .result import QueryResult, term_text

RESULT_FORMATS = ("table", "csv", "tsv", "json", "xml", "markdown")   # SELECT and ASK
GRAPH_FORMATS = ("turtle", "ntriples", "jsonld", "rdfxml")            # CONSTRUCT and DESCRIBE

MEDIA_TYPES = {
    "table": "text/plain; charset=utf-8",
    "markdown": "text/markdown; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "turtle": "text/turtle; charset=utf-8",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}
# media type -> format, per kind of result; the first format of each list is the default
RESULT_TYPES = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/xml": "xml",
    "text/xml": "xml",
}
GRAPH_TYPES = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/n-triples": "ntriples",
    "text/plain": "ntriples",
    "application/ld+json": "jsonld",
    "application/json": "jsonld",
    "application/rdf+xml": "rdfxml",
    "application/xml": "rdfxml",
    "text/xml": "rdfxml",
}
FORMAT_ALIASES = {
    "json": "json", "srj": "json", "xml": "xml", "srx": "xml", "csv": "csv", "tsv": "tsv",
    "turtle": "turtle", "ttl": "turtle", "ntriples": "ntriples", "nt": "ntriples",
    "n-triples": "ntriples", "jsonld": "jsonld", "json-ld": "jsonld", "rdfxml": "rdfxml",
    "rdf": "rdfxml", "owl": "rdfxml", "rdf+xml": "rdfxml", "n3": "turtle", "html": "html",
}
# a result format asked for a graph, or the other way round: the nearest one
FOR_GRAPH = {"json": "jsonld", "xml": "rdfxml"}
FOR_RESULTS = {"jsonld": "json", "rdfxml": "xml"}
WEB_RESULT_FORMATS = ("json", "xml", "csv", "tsv")   # the result formats served over HTTP
_RDF_FORMATS = {"turtle": RdfFormat.TURTLE, "ntriples": RdfFormat.N_TRIPLES,
                "jsonld": RdfFormat.JSON_LD, "rdfxml": RdfFormat.RDF_XML}


# =========================================================================================
# Serialization
# =========================================================================================

def serialize(result: QueryResult, fmt: str, *, prefixes: Mapping[str, str] | None = None,
              max_width: int | None = None) -> tuple[bytes, str]:
    """``(bytes, media type)`` of ``result`` in ``fmt``.

    SELECT/ASK: ``table`` (aligned text, short IRIs; ``max_width`` cuts long cells),
    ``markdown`` (a pipe table, short IRIs), ``csv`` (header = column titles, values =
    full IRIs and lexical forms, RFC 4180), ``tsv`` (W3C SPARQL TSV: terms in SPARQL
    syntax; header = column titles, ``?var`` where a column has none), ``json`` and ``xml``
    (the W3C SPARQL 1.1 result formats; variable names, not titles).
    CONSTRUCT/DESCRIBE: ``turtle`` (with our prefixes), ``ntriples``, ``jsonld``, ``rdfxml``.
    """
    prefixes = dict(prefixes or PREFIXES)
    if result.is_graph:
        if fmt not in GRAPH_FORMATS:
            raise QueryError(f"a {result.form} result is a graph: use --format "
                             f"{'|'.join(GRAPH_FORMATS)}, not {fmt!r}")
        return _serialize_graph(result.triples, fmt, prefixes), MEDIA_TYPES[fmt]
    if fmt not in RESULT_FORMATS:
        raise QueryError(f"a {result.form} result is a table: use --format "
                         f"{'|'.join(RESULT_FORMATS)}, not {fmt!r}")
    if result.form == "ASK":
        return _serialize_boolean(bool(result.boolean), fmt), MEDIA_TYPES[fmt]
    if fmt == "json":
        return _w3c_json(result), MEDIA_TYPES[fmt]
    if fmt in ("xml", "csv", "tsv"):
        return _via_native(result, fmt), MEDIA_TYPES[fmt]
    if fmt == "markdown":
        return _markdown(result, prefixes), MEDIA_TYPES[fmt]
    return _table(result, prefixes, max_width), MEDIA_TYPES[fmt]


def _serialize_boolean(b: bool, fmt: str) -> bytes:
    word = "true" if b else "false"
    if fmt == "json":   # the bytes of pyoxigraph's own serializers
        return f'{{"head":{{}},"boolean":{word}}}'.encode()
    if fmt == "xml":
        return ('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                f'<head></head><boolean>{word}</boolean></sparql>\n').encode()
    return (word + "\n").encode()   # table, csv, tsv, markdown: a line


def _serialize_graph(triples: list[Triple], fmt: str, prefixes: dict) -> bytes:
    from pyoxigraph import serialize as ox_serialize

    rdf_format = _RDF_FORMATS[fmt]
    triples = sorted(triples, key=_triple_key)  # deterministic output, subjects grouped
    kwargs = {}
    if fmt in ("turtle", "rdfxml", "jsonld"):
        # res: names hold slashes (res:model/gpt-3), which Turtle would have to escape
        usable = {p: ns for p, ns in prefixes.items() if p not in ("res", "graph")}
        kwargs["prefixes"] = _used_prefixes(triples, usable) if fmt != "rdfxml" else usable
    try:
        return ox_serialize(triples, format=rdf_format, **kwargs) or b""
    except TypeError:  # pragma: no cover - a format without prefixes
        return ox_serialize(triples, format=rdf_format) or b""


def _term_key(t) -> tuple:
    if isinstance(t, Triple):
        return (3, _triple_key(t))
    order = 0 if isinstance(t, NamedNode) else 1 if isinstance(t, BlankNode) else 2
    return (order, str(t))


def _triple_key(t) -> tuple:
    return (_term_key(t.subject), _term_key(t.predicate), _term_key(t.object))


def _used_prefixes(triples, prefixes: dict) -> dict:
    """The prefixes of ``prefixes`` whose namespace starts an IRI or a datatype of ``triples``."""
    from pyoxigraph import Literal, NamedNode

    iris = set()
    for t in triples:
        for x in (t.subject, t.predicate, t.object):
            if isinstance(x, NamedNode):
                iris.add(x.value)
            elif isinstance(x, Literal):
                iris.add(x.datatype.value)
    return {p: ns for p, ns in prefixes.items() if any(i.startswith(ns) for i in iris)}


def _w3c_term(t) -> dict:
    if isinstance(t, NamedNode):
        return {"type": "uri", "value": t.value}
    if isinstance(t, BlankNode):
        return {"type": "bnode", "value": t.value}
    if isinstance(t, Literal):
        d: dict[str, Any] = {"type": "literal", "value": t.value}
        if t.language:
            d["xml:lang"] = t.language
        elif t.datatype.value != XSD + "string":
            d["datatype"] = t.datatype.value
        return d
    if isinstance(t, Triple):
        return {"type": "triple", "value": {"subject": _w3c_term(t.subject),
                                            "predicate": _w3c_term(t.predicate),
                                            "object": _w3c_term(t.object)}}
    raise TypeError(t)  # pragma: no cover


def _w3c_json(result: QueryResult) -> bytes:
    """W3C SPARQL JSON, byte for byte what pyoxigraph's serializer writes (compact)."""
    bindings = [{v: _w3c_term(t) for v, t in zip(result.variables, row) if t is not None}
                for row in result.rows]
    doc = {"head": {"vars": list(result.variables)}, "results": {"bindings": bindings}}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _via_native(result: QueryResult, fmt: str) -> bytes:
    """XML, CSV or TSV of a materialized result, written by pyoxigraph's own serializer
    (from our JSON): the same bytes as a result serialized while it is evaluated
    (:func:`execute_serialized`), with the column titles in the CSV/TSV header."""
    from pyoxigraph import parse_query_results

    body = parse_query_results(_w3c_json(result), format=QueryResultsFormat.JSON) \
        .serialize(format=NATIVE_FORMATS[fmt])
    if fmt == "xml":
        return _xml_lines(body)
    if result.titles:
        body = _with_header(body, fmt, _header_line(result.variables, result.titles, fmt))
    return body


def _header_variables(body: bytes, fmt: str) -> list[str]:
    line = body.split(b"\r\n" if fmt == "csv" else b"\n", 1)[0].decode("utf-8")
    if not line:
        return []
    return line.split(",") if fmt == "csv" else [v[1:] for v in line.split("\t")]


def _header_line(variables: Sequence[str], titles: Mapping[str, str], fmt: str) -> bytes:
    """The CSV header (column titles, RFC 4180 quoting) or the TSV header (titles, ``?var``
    where a column has none), without the line break."""
    if fmt == "tsv":
        return "\t".join(titles.get(v, "?" + v).replace("\t", " ") for v in variables).encode("utf-8")
    import csv

    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([titles.get(v, v) for v in variables])
    return buf.getvalue().encode("utf-8")


def _cell(t, prefixes, max_width=None) -> str:
    s = term_text(t, short=True, prefixes=prefixes).replace("\r", " ").replace("\n", " ").replace("\t", " ")
    if max_width and len(s) > max_width:
        s = s[: max_width - 1] + "…"
    return s


def _is_numeric(t) -> bool:
    return isinstance(t, Literal) and t.datatype.value in (
        XSD + "integer", XSD + "decimal", XSD + "double", XSD + "float", XSD + "long", XSD + "int")


def _numeric_column(rows, i) -> bool:
    values = [r[i] for r in rows if r[i] is not None]
    return bool(values) and all(_is_numeric(t) for t in values)


def _table(result: QueryResult, prefixes, max_width) -> bytes:
    head = result.column_titles()
    cells = [[_cell(t, prefixes, max_width) for t in row] for row in result.rows]
    widths = [len(h) for h in head]
    for r in cells:
        for i, c in enumerate(r):
            widths[i] = max(widths[i], len(c))
    numeric = [_numeric_column(result.rows, i) for i in range(len(head))]

    def fmt_row(r):
        return "  ".join((c.rjust(w) if num else c.ljust(w)) for c, w, num in zip(r, widths, numeric)).rstrip()

    lines = [fmt_row(head), "  ".join("-" * w for w in widths)]
    lines += [fmt_row(r) for r in cells]
    n = len(result.rows)
    lines.append(f"({n} row{'s' if n != 1 else ''}{', truncated' if result.truncated else ''})")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _md_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("|", "\\|")


def _markdown(result: QueryResult, prefixes) -> bytes:
    head = result.column_titles()
    lines = ["| " + " | ".join(_md_escape(h) for h in head) + " |",
             "|" + "|".join("---:" if _numeric_column(result.rows, i) else "---"
                            for i in range(len(head))) + "|"]
    for row in result.rows:
        lines.append("| " + " | ".join(_md_escape(_cell(t, prefixes)) for t in row) + " |")
    return ("\n".join(lines) + "\n").encode("utf-8")


# --- pyoxigraph's own serializers (SELECT results in JSON, XML, CSV, TSV) -----------------

NATIVE_FORMATS = {"json": QueryResultsFormat.JSON, "xml": QueryResultsFormat.XML,
                   "csv": QueryResultsFormat.CSV, "tsv": QueryResultsFormat.TSV}
# A native serialization bigger than this is abandoned for the materializing path, which
# stops at max_rows: a huge result never sits whole in memory.
NATIVE_MAX_BYTES = 32 << 20
# an empty solution (or "{}" in a string), or a string that ends with "{"
_JSON_UNSURE = re.compile(rb'\{(?:\}|"[,}\]:])')
_BINDINGS = b'"bindings":['    # its first occurrence is the key (no string holds an unescaped '"')


class _TooBig(Exception):
    pass


class _CappedBuffer:
    __slots__ = ("parts", "size", "limit")

    def __init__(self, limit: int):
        self.parts: list[bytes] = []
        self.size = 0
        self.limit = limit

    def write(self, data) -> int:
        self.size += len(data)
        if self.size > self.limit:
            raise _TooBig
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


def _count_rows(body: bytes, fmt: str) -> int:
    """The solutions in a native serialization (exact: every format escapes what would
    make the count ambiguous)."""
    if fmt == "json":
        # Every solution object but the first follows "," and starts with '{"' (a variable
        # name), and '{"' is an object's start unless a string ends with "{" (in a string,
        # '"' is always escaped): its closing quote then follows, and then ',', '}', ']' or
        # ':', which no variable name starts with. So, unless there is an empty solution
        # or such a string, the solutions are the ',{"' and the first one.
        start = body.find(_BINDINGS)
        if start < 0 or _JSON_UNSURE.search(body) is not None:
            return len(json.loads(body)["results"]["bindings"])
        start += len(_BINDINGS)
        return body.count(b',{"') + (body[start:start + 2] == b'{"')
    if fmt == "xml":
        return body.count(b"<result>")   # "<" is always escaped in text and attributes
    if fmt == "tsv":
        return body.count(b"\n") - 1     # TSV terms escape line breaks
    if b'"' not in body:
        return body.count(b"\r\n") - 1
    import csv

    return sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8"), newline=""))) - 1


_XML_DECL = b'<?xml version="1.0"?>'


def _xml_lines(body: bytes) -> bytes:
    """pyoxigraph's XML with a line break after the declaration and at the end (as llmkg
    has always written it: a terminal prompt does not start on the last line)."""
    if body.startswith(_XML_DECL):
        return _XML_DECL + b"\n" + body[len(_XML_DECL):] + b"\n"
    return body  # pragma: no cover


def _with_header(body: bytes, fmt: str, head: bytes) -> bytes:
    end = body.find(b"\r\n" if fmt == "csv" else b"\n")
    return head + body[end:] if end >= 0 else head
