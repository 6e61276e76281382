"""The rarer parts of the fast ``llmkg query`` (:mod:`llmkg.fastcli`), in a module of their
own so that the common case (a SELECT in CSV) does not compile them: every other format,
and CSV headers that need quotes. Each follows its counterpart in :mod:`llmkg.queries`; any
error gives up and the click CLI runs the command.
"""

from __future__ import annotations

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from .fastcli import native
from .vocab import PREFIXES, shorten

_XSD = "http://www.w3.org/2001/XMLSchema#"


def serialize(result, fmt: str, columns, tty: bool) -> bytes:
    """Every result but a SELECT in csv (llmkg.queries.serialize): ``result`` is
    ("SELECT", variables, rows), ("ASK", bool) or (form, triples)."""
    if result[0] == "ASK":
        word = "true" if result[1] else "false"
        if fmt == "json":
            return f'{{"head":{{}},"boolean":{word}}}'.encode()
        if fmt == "xml":
            return ('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                    f'<head></head><boolean>{word}</boolean></sparql>\n').encode()
        return (word + "\n").encode()
    if result[0] != "SELECT":
        return graph(result[1], fmt)
    variables, rows = result[1], result[2]
    titles = {k: v for k, v in dict(columns).items() if k in variables}
    if fmt == "json":
        return w3c_json(variables, rows)
    if fmt in ("table", "markdown"):
        return text_table(variables, rows, titles, fmt, tty)
    body = native(variables, rows, fmt)
    if fmt == "xml":
        decl = b'<?xml version="1.0"?>'
        return decl + b"\n" + body[len(decl):] + b"\n" if body.startswith(decl) else body
    if not titles:
        return body
    if fmt == "tsv":
        head = "\t".join(titles.get(v, "?" + v).replace("\t", " ") for v in variables).encode("utf-8")
    else:
        head = csv_line([titles.get(v, v) for v in variables])
    end = body.find(b"\r\n" if fmt == "csv" else b"\n")
    return head + body[end:] if end >= 0 else head


def csv_line(cells) -> bytes:
    """The CSV header line (llmkg.queries._header_line)."""
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(cells)
    return buf.getvalue().encode("utf-8")


def _text(t) -> str:   # llmkg.queries.term_text(t, short=True, prefixes=PREFIXES)
    if t is None:
        return ""
    if isinstance(t, NamedNode):
        s = shorten(t.value, dict(PREFIXES))
        return s[1:-1] if s.startswith("<") else s
    if isinstance(t, Literal):
        return t.value
    if isinstance(t, BlankNode):
        return f"_:{t.value}"
    if isinstance(t, Triple):
        return "<< " + " ".join(_text(x) for x in (t.subject, t.predicate, t.object)) + " >>"
    return str(t)


def _cell(t, max_width=None) -> str:
    s = _text(t).replace("\r", " ").replace("\n", " ").replace("\t", " ")
    if max_width and len(s) > max_width:
        s = s[: max_width - 1] + "…"
    return s


_NUMERIC = tuple(_XSD + x for x in ("integer", "decimal", "double", "float", "long", "int"))


def _numeric(rows, i) -> bool:
    values = [r[i] for r in rows if r[i] is not None]
    return bool(values) and all(isinstance(t, Literal) and t.datatype.value in _NUMERIC for t in values)


def text_table(variables, rows, titles, fmt, tty) -> bytes:
    """``table`` and ``markdown`` (llmkg.queries._table and _markdown; the width of a cell
    on a terminal as llmkg.cli.query_cmd sets it)."""
    head = [titles.get(v, v) for v in variables]
    if fmt == "markdown":
        def esc(s):
            return s.replace("\\", "\\\\").replace("|", "\\|")

        lines = ["| " + " | ".join(esc(h) for h in head) + " |",
                 "|" + "|".join("---:" if _numeric(rows, i) else "---" for i in range(len(head))) + "|"]
        for row in rows:
            lines.append("| " + " | ".join(esc(_cell(t)) for t in row) + " |")
        return ("\n".join(lines) + "\n").encode("utf-8")
    width = None
    if tty:
        import shutil

        width = max(20, min(60, shutil.get_terminal_size((120, 24)).columns // 3))
    cells = [[_cell(t, width) for t in row] for row in rows]
    widths = [len(h) for h in head]
    for r in cells:
        for i, c in enumerate(r):
            widths[i] = max(widths[i], len(c))
    numeric = [_numeric(rows, i) for i in range(len(head))]

    def fmt_row(r):
        return "  ".join((c.rjust(w) if num else c.ljust(w)) for c, w, num in zip(r, widths, numeric)).rstrip()

    lines = [fmt_row(head), "  ".join("-" * w for w in widths)]
    lines += [fmt_row(r) for r in cells]
    n = len(rows)
    lines.append(f"({n} row{'s' if n != 1 else ''})")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _term_key(t) -> tuple:
    if isinstance(t, Triple):
        return (3, _triple_key(t))
    return (0 if isinstance(t, NamedNode) else 1 if isinstance(t, BlankNode) else 2, str(t))


def _triple_key(t) -> tuple:
    return (_term_key(t.subject), _term_key(t.predicate), _term_key(t.object))


def graph(triples, fmt: str) -> bytes:
    """A CONSTRUCT or DESCRIBE result (llmkg.queries._serialize_graph with our prefixes)."""
    from pyoxigraph import RdfFormat
    from pyoxigraph import serialize as ox_serialize

    rdf_format = {"turtle": RdfFormat.TURTLE, "ntriples": RdfFormat.N_TRIPLES,
                  "jsonld": RdfFormat.JSON_LD, "rdfxml": RdfFormat.RDF_XML}[fmt]
    triples = sorted(triples, key=_triple_key)
    kwargs = {}
    if fmt in ("turtle", "rdfxml", "jsonld"):
        usable = {p: ns for p, ns in PREFIXES.items() if p not in ("res", "graph")}
        if fmt != "rdfxml":
            usable = used_prefixes(triples, usable)
        kwargs["prefixes"] = usable
    try:
        return ox_serialize(triples, format=rdf_format, **kwargs) or b""
    except TypeError:  # pragma: no cover - a format without prefixes
        return ox_serialize(triples, format=rdf_format) or b""


def _w3c_term(t):
    from pyoxigraph import BlankNode, Literal, NamedNode, Triple

    if isinstance(t, NamedNode):
        return {"type": "uri", "value": t.value}
    if isinstance(t, Literal):
        d = {"type": "literal", "value": t.value}
        if t.language:
            d["xml:lang"] = t.language
        elif t.datatype.value != _XSD + "string":
            d["datatype"] = t.datatype.value
        return d
    if isinstance(t, BlankNode):
        return {"type": "bnode", "value": t.value}
    if isinstance(t, Triple):
        return {"type": "triple", "value": {"subject": _w3c_term(t.subject), "predicate": _w3c_term(t.predicate),
                                            "object": _w3c_term(t.object)}}
    raise TypeError(t)


def w3c_json(variables, rows) -> bytes:
    """llmkg.queries._w3c_json: W3C SPARQL JSON, the bytes of pyoxigraph's serializer."""
    import json

    bindings = [{v: _w3c_term(t) for v, t in zip(variables, row) if t is not None} for row in rows]
    doc = {"head": {"vars": list(variables)}, "results": {"bindings": bindings}}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def used_prefixes(triples, prefixes: dict) -> dict:
    """The prefixes of ``prefixes`` whose namespace starts an IRI or a datatype of ``triples``."""
    iris = set()
    for t in triples:
        for x in (t.subject, t.predicate, t.object):
            if isinstance(x, NamedNode):
                iris.add(x.value)
            elif isinstance(x, Literal):
                iris.add(x.datatype.value)
    return {p: ns for p, ns in prefixes.items() if any(i.startswith(ns) for i in iris)}
