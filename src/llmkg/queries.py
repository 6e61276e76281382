"""Canned and ad hoc SPARQL: the registry of ``queries/*.rq``, parameter binding, execution
(local store or remote endpoint) and result serialization.

This is the one module the CLI (``llmkg queries``, ``llmkg query``) and the web app call.
It imports nothing heavy: the standard library, pyoxigraph and llmkg's small modules
(never rdflib or pyshacl), so that ``llmkg query`` starts fast.

API
---
``load_registry(queries_dir) -> dict[str, CannedQuery]``
    Parse every ``*.rq`` file's comment front matter (docs/queries.md). A bad header is an
    :class:`LlmkgError` naming ``file:line``.
``load_query(queries_dir, name) -> CannedQuery``
    One canned query by name (reads only its file; QueryError with "did you mean").
``parse_query(text, path=None, name=None) -> CannedQuery``
    The same for one text (an ad hoc query may carry a header too; it needs none).
``bind(query, raw) -> dict[Variable, Term]``
    Turn raw strings (``{"min_params": "100B"}``) into typed RDF terms, filling defaults.
    :class:`QueryError` names the parameter and the expected type.
``execute(store, sparql, substitutions=None, ...) -> QueryResult``
    Run on a pyoxigraph Store with ``substitutions`` (parameters are never pasted into
    the query text). Materializes the results (``max_rows``), enforces ``timeout``. The
    default graph is the union of all graphs unless the query has ``FROM``/``FROM NAMED``
    or the caller names graphs.
``run(store, query, raw=None, **kw) -> QueryResult``
    ``bind`` + ``execute`` for a :class:`CannedQuery`, with its column titles.
``execute_serialized(store, sparql, fmt, substitutions=None, ...) -> Serialized``
    ``serialize(execute(...), fmt)`` in one step, with the same bytes: SELECT results in
    JSON/XML/CSV/TSV are written by pyoxigraph's own serializer when nothing needs Python.
``execute_remote(endpoint, sparql, substitutions=None, ...) -> QueryResult``
    The same over the SPARQL 1.1 protocol (stdlib urllib); bound parameters are written
    into the text by :func:`render` as SPARQL terms serialized by pyoxigraph.
``serialize(result, fmt) -> (bytes, media_type)``
    ``table csv tsv json xml markdown`` for SELECT/ASK, ``turtle ntriples jsonld rdfxml``
    for CONSTRUCT/DESCRIBE.
``render(sparql, substitutions) -> str``
    The query text with the bound terms written in (for a remote endpoint, or to show).
``cache_key(version_id, sparql, substitutions, **options) -> str``
    For callers that cache results per store version (``store.Version.id``).

Results are what Oxigraph computed, byte for byte: no value is rewritten (a canned query
that lists several values in a cell orders them itself, docs/queries.md).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shlex
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Mapping, NamedTuple, Sequence

from pyoxigraph import (BlankNode, DefaultGraph, Literal, NamedNode, QueryBoolean, QueryResultsFormat,
                        QuerySolutions, QueryTriples, RdfFormat, Triple, Variable)

from . import sparqlscan as _scan
from .errors import LlmkgError, QueryError
from .vocab import GRAPH, PREFIXES, XSD, iri_from_text, shorten

__all__ = [
    "Param", "CannedQuery", "QueryResult",
    "PARAM_TYPES", "VIEWS", "RESULT_FORMATS", "GRAPH_FORMATS",
    "load_registry", "load_query", "parse_query", "query_form", "bind", "parse_param_value",
    "execute", "run", "execute_serialized", "Serialized", "execute_remote", "serialize", "render",
    "term_text", "cache_key",
    "graph_term",
]

PARAM_TYPES = ("iri", "string", "integer", "decimal", "date", "year", "boolean")
VIEWS = ("table", "bar", "line", "timeline", "scatter", "scatter-log")
CHART_OPTIONS = ("x", "y", "label", "series")
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
_RDF_FORMATS = {"turtle": RdfFormat.TURTLE, "ntriples": RdfFormat.N_TRIPLES,
                "jsonld": RdfFormat.JSON_LD, "rdfxml": RdfFormat.RDF_XML}

_XSD_INTEGER = NamedNode(XSD + "integer")
_XSD_DECIMAL = NamedNode(XSD + "decimal")
_XSD_DATE = NamedNode(XSD + "date")
_XSD_BOOLEAN = NamedNode(XSD + "boolean")

Term = Any  # NamedNode | BlankNode | Literal | Triple


# =========================================================================================
# The registry
# =========================================================================================

@dataclass(frozen=True)
class Param:
    """A parameter of a canned query: ``# param: NAME TYPE [required|default=VALUE] "DESCRIPTION"``.

    ``name`` is the SPARQL variable the value is bound to (``?name``); ``type`` one of
    :data:`PARAM_TYPES`; ``default`` the raw default text (``None``: none); ``required``
    means the caller must give it. An optional parameter without a default leaves its
    variable unbound (the query tests ``BOUND(?name)``).
    """

    name: str
    type: str
    default: str | None = None
    description: str = ""
    required: bool = False


@dataclass(frozen=True)
class CannedQuery:
    """A query of ``queries/``: its front matter and its text.

    ``view`` is how a UI should show the results (:data:`VIEWS`); ``x``, ``y``, ``label``
    and ``series`` name result variables for charts. ``columns`` maps result variables to
    column titles (``(("has_model", "has model"), ...)``; see :attr:`titles`). ``form`` is
    ``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``. ``text`` is the whole file,
    front matter included (comments are valid SPARQL).
    """

    name: str
    title: str
    text: str
    form: str
    description: str = ""
    category: str = "general"
    params: tuple[Param, ...] = ()
    view: str = "table"
    x: str | None = None
    y: str | None = None
    label: str | None = None
    series: str | None = None
    columns: tuple[tuple[str, str], ...] = ()
    path: Path | None = None

    @property
    def titles(self) -> dict[str, str]:
        """Result variable -> column title, for the variables the header names."""
        return dict(self.columns)

    def param(self, name: str) -> Param | None:
        for p in self.params:
            if p.name == name:
                return p
        return None

    @property
    def chart(self) -> dict[str, str]:
        """The chart options that are set: ``{"x": "year", "y": "parameters"}``."""
        return {k: getattr(self, k) for k in CHART_OPTIONS if getattr(self, k)}


_HEADER_KEYS = ("title", "description", "category", "param", "view", "columns")
_KEY_LINE = re.compile(r"^#\s?([A-Za-z][A-Za-z0-9_-]*)\s*:(.*)$")
_CONTINUATION = re.compile(r"^#\s{2,}(\S.*)$")
_NAME_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def load_registry(queries_dir: str | Path) -> dict[str, CannedQuery]:
    """Every ``*.rq`` of ``queries_dir`` by name (the file stem), sorted by name.

    Raises :class:`LlmkgError` (``file:line: message``) for a bad front matter and
    :class:`QueryError` when the folder does not exist.
    """
    d = Path(queries_dir)
    if not d.is_dir():
        raise QueryError(f"no queries folder at {d}")
    out: dict[str, CannedQuery] = {}
    for path in sorted(d.glob("*.rq")):
        q = parse_query(path.read_text(encoding="utf-8"), path=path)
        out[q.name] = q
    return out


def load_query(queries_dir: str | Path, name: str) -> CannedQuery:
    """The canned query ``name`` (reads only its file); :class:`QueryError` with the
    closest names when there is none."""
    d = Path(queries_dir)
    path = d / f"{name}.rq"
    if _NAME_RE.match(name) and path.is_file():
        return parse_query(path.read_text(encoding="utf-8"), path=path)
    import difflib

    names = sorted(p.stem for p in d.glob("*.rq")) if d.is_dir() else []
    close = difflib.get_close_matches(name, names, n=3)
    hint = f"; did you mean {' or '.join(close)}?" if close else "; 'llmkg queries' lists them"
    raise QueryError(f"no canned query {name!r}{hint}")


def parse_query(text: str, path: str | Path | None = None, name: str | None = None) -> CannedQuery:
    """Parse the front matter of one query text (see docs/queries.md).

    Without a header the query still parses (title = name); errors carry ``file:line``.
    """
    where = str(path) if path is not None else "<query>"
    if name is None:
        name = Path(path).stem if path is not None else "query"
    if path is not None and not _NAME_RE.match(name):
        raise LlmkgError(f"query name {name!r} must be lower case letters, digits, '-' or '_'",
                         file=where)

    def err(msg: str, line: int) -> LlmkgError:
        return LlmkgError(msg, file=where, line=line)

    values: dict[str, Any] = {"params": [], "columns": []}
    chart: dict[str, str] = {}
    last_key: str | None = None
    seen: set[str] = set()
    lines = text.splitlines()
    for lineno, line in enumerate(lines, start=1):
        s = line.rstrip()
        if not s.startswith("#"):
            break  # the header is in the leading run of comment lines
        if s.strip("#").strip() == "":
            if last_key == "description":
                values["description"] += "\n"
            continue
        cont = _CONTINUATION.match(s)
        if cont and last_key is not None:
            _continue(values, chart, last_key, cont.group(1), err, lineno)
            continue
        m = _KEY_LINE.match(s)
        if not m:
            break  # an ordinary comment ends the header
        key, value = m.group(1).lower(), m.group(2).strip()
        if key not in _HEADER_KEYS:
            raise err(f"unknown header key {key!r} (keys: {', '.join(_HEADER_KEYS)})", lineno)
        if key in seen and key not in ("param", "columns"):
            raise err(f"header key {key!r} given twice", lineno)
        seen.add(key)
        last_key = key
        if key in ("title", "description", "category"):
            values[key] = value
        elif key == "param":
            values["params"].append((_parse_param(value, err, lineno), lineno))
            last_key = None  # a param is one line
        elif key == "view":
            _parse_view(value, chart, err, lineno)
            last_key = "view"
        elif key == "columns":
            values["columns"].extend(_parse_columns(value, err, lineno))

    form = query_form(text)
    if form is None:
        raise LlmkgError("no SELECT, ASK, CONSTRUCT or DESCRIBE in the query", file=where)
    variables = {t.value[1:] for t in _tokens(text) if t.kind == "var"}
    params: list[Param] = []
    for p, lineno in values["params"]:
        if any(q.name == p.name for q in params):
            raise err(f"parameter {p.name!r} declared twice", lineno)
        if p.name not in variables:
            raise err(f"parameter {p.name!r} is not a variable of the query (?{p.name})", lineno)
        params.append(p)
    if params and form != "SELECT":
        # Oxigraph substitutes only variables the query returns; keep canned ones simple.
        raise err(f"parameters need a SELECT query (this one is {form})", values["params"][0][1])
    desc = values.get("description", "")
    desc = re.sub(r"[ \t]*\n[ \t]*", "\n", desc).strip()
    return CannedQuery(
        name=name, title=values.get("title") or name, text=text, form=form,
        description=desc, category=values.get("category") or "general",
        params=tuple(params), view=chart.pop("view", "table"),
        x=chart.get("x"), y=chart.get("y"), label=chart.get("label"), series=chart.get("series"),
        columns=tuple(values["columns"]), path=Path(path) if path is not None else None,
    )


def _continue(values, chart, key, text, err, lineno) -> None:
    if key == "description":
        values["description"] = values.get("description", "") + " " + text
    elif key == "title":
        values["title"] = values["title"] + " " + text
    elif key == "columns":
        values["columns"].extend(_parse_columns(text, err, lineno))
    elif key == "view":
        _parse_view(text, chart, err, lineno, continuation=True)
    else:
        raise err(f"{key!r} takes one line", lineno)


def _split(value: str, err, lineno) -> list[str]:
    try:
        return shlex.split(value, comments=False, posix=True)
    except ValueError as exc:
        raise err(f"cannot read {value!r}: {exc}", lineno) from None


def _parse_param(value: str, err, lineno) -> Param:
    tokens = _split(value, err, lineno)
    usage = 'expected: param: NAME TYPE [required | optional | default=VALUE] "DESCRIPTION"'
    if len(tokens) < 2:
        raise err(usage, lineno)
    name, ptype, rest = tokens[0], tokens[1].lower(), tokens[2:]
    if not _VAR_NAME.match(name):
        raise err(f"parameter name {name!r} is not a SPARQL variable name", lineno)
    if ptype not in PARAM_TYPES:
        raise err(f"parameter {name!r}: unknown type {ptype!r} (types: {', '.join(PARAM_TYPES)})", lineno)
    default, required, description = None, False, []
    for tok in rest:
        if tok == "required" and default is None and not description:
            required = True
        elif tok == "optional" and default is None and not required and not description:
            pass
        elif tok.startswith("default=") and default is None and not required and not description:
            default = tok[len("default="):]
        else:
            description.append(tok)
    p = Param(name, ptype, default, " ".join(description), required)
    if default is not None:
        try:
            parse_param_value(p, default)
        except QueryError as exc:
            raise err(f"default of {exc.message}", lineno) from None
    return p


def _parse_view(value: str, chart: dict, err, lineno, continuation=False) -> None:
    tokens = _split(value, err, lineno)
    if not continuation:
        if not tokens:
            raise err(f"view: expected one of {', '.join(VIEWS)}", lineno)
        if tokens[0] not in VIEWS:
            raise err(f"unknown view {tokens[0]!r} (views: {', '.join(VIEWS)})", lineno)
        chart["view"] = tokens[0]
        tokens = tokens[1:]
    for tok in tokens:
        k, eq, v = tok.partition("=")
        if not eq or k not in CHART_OPTIONS or not _VAR_NAME.match(v):
            raise err(f"view option {tok!r}: expected {'|'.join(CHART_OPTIONS)}=VARIABLE", lineno)
        chart[k] = v


def _parse_columns(value: str, err, lineno) -> list[tuple[str, str]]:
    out = []
    for tok in _split(value, err, lineno):
        var, eq, title = tok.partition("=")
        var = var.lstrip("?$")
        if not eq or not _VAR_NAME.match(var) or not title:
            raise err(f'columns: expected VARIABLE="Column title", got {tok!r}', lineno)
        out.append((var, title))
    return out


# =========================================================================================
# The SPARQL tokenizer (llmkg.sparqlscan, shared with the web endpoint): the query form,
# dataset clauses and the variables outside strings, IRIs and comments (for the header
# checks, execute() and render()).
# =========================================================================================

_tokens = _scan.tokens


def query_form(text: str) -> str | None:
    """``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``: the first query keyword."""
    return _scan.query_form(text)


# =========================================================================================
# Parameters
# =========================================================================================

_SUFFIX = {"k": 10**3, "m": 10**6, "b": 10**9, "g": 10**9, "t": 10**12}
_INT_RE = re.compile(r"^([+-]?)(\d+(?:\.\d+)?)\s*([kKmMbBgGtT]?)$")
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


# Oxigraph's xsd:integer is a signed 64-bit integer
_INT_LIMIT = 2 ** 63 - 1


def parse_param_value(param: Param, raw: str) -> Term:
    """The typed RDF term for ``raw`` (a string from the command line or a web form).

    * ``iri``: an absolute IRI, ``<IRI>``, or a prefixed name of ours (``res:model/gpt-3``)
    * ``string``: any text (a plain ``xsd:string`` literal)
    * ``integer``: digits, optionally with a k/M/B/T suffix (``175B`` = 175000000000)
    * ``decimal``: a decimal number
    * ``date``: ``YYYY-MM-DD`` (``xsd:date``)
    * ``year``: four digits (an ``xsd:integer``, to compare with ``YEAR(?date)``)
    * ``boolean``: ``true``/``false`` (also ``yes``/``no``, ``1``/``0``)
    """
    if not isinstance(raw, str):
        raw = str(raw)
    value = raw.strip()
    t = param.type

    def bad(expected: str) -> QueryError:
        shown = raw if len(raw) <= 80 else raw[:60] + f"... ({len(raw)} characters)"
        return QueryError(f"parameter {param.name!r} must be {expected}, not {shown!r}")

    if t == "string":
        return Literal(raw)
    if t == "iri":
        iri = iri_from_text(value)
        if iri is None:
            raise bad("an IRI (https://..., or a prefixed name such as res:model/gpt-3)")
        try:
            return NamedNode(iri)
        except ValueError:
            raise bad("an IRI (https://..., or a prefixed name such as res:model/gpt-3)") from None
    if t == "integer":
        m = _INT_RE.match(value.replace("_", "").replace(",", ""))
        if not m:
            raise bad("an integer (digits, optionally with a k/M/B/T suffix: 100B)")
        sign, digits, suffix = m.groups()
        if len(digits) > 24:   # far beyond what the store's integers hold (64 bits)
            raise bad(f"an integer of at most {_INT_LIMIT} in magnitude")
        n = Decimal(digits) * _SUFFIX.get(suffix.lower(), 1) if suffix else Decimal(digits)
        if n != n.to_integral_value():
            raise bad("an integer (digits, optionally with a k/M/B/T suffix: 100B)")
        if abs(n) > _INT_LIMIT:
            raise bad(f"an integer of at most {_INT_LIMIT} in magnitude")
        return Literal(f"{'-' if sign == '-' else ''}{int(n)}", datatype=_XSD_INTEGER)
    if t == "decimal":
        try:
            d = Decimal(value)
        except InvalidOperation:
            raise bad("a decimal number") from None
        if not d.is_finite():
            raise bad("a decimal number")
        text = format(d, "f")
        if "." not in text:
            text += ".0"
        return Literal(text, datatype=_XSD_DECIMAL)
    if t == "date":
        try:
            d = date.fromisoformat(value)
            if len(value) != 10:
                raise ValueError
        except ValueError:
            raise bad("a date YYYY-MM-DD") from None
        return Literal(d.isoformat(), datatype=_XSD_DATE)
    if t == "year":
        if not re.fullmatch(r"\d{4}", value):
            raise bad("a year (four digits)")
        return Literal(str(int(value)), datatype=_XSD_INTEGER)
    if t == "boolean":
        v = value.lower()
        if v in ("true", "yes", "1", "on"):
            return Literal("true", datatype=_XSD_BOOLEAN)
        if v in ("false", "no", "0", "off"):
            return Literal("false", datatype=_XSD_BOOLEAN)
        raise bad("a boolean (true or false)")
    raise QueryError(f"parameter {param.name!r} has an unknown type {t!r}")  # pragma: no cover


def bind(query: CannedQuery, raw: Mapping[str, str] | None = None) -> dict[Variable, Term]:
    """Typed terms for ``raw`` parameter strings, defaults filled in.

    Unknown names, missing required parameters and ill-typed values raise
    :class:`QueryError` naming the parameter. Empty strings count as not given.
    The result goes to :func:`execute` as ``substitutions``.
    """
    raw = dict(raw or {})
    known = {p.name for p in query.params}
    unknown = sorted(k for k in raw if k not in known)
    if unknown:
        if known:
            hint = "its parameters: " + ", ".join(f"{p.name} ({p.type})" for p in query.params)
        else:
            hint = "it takes no parameters"
        raise QueryError(f"query {query.name!r} has no parameter {unknown[0]!r}; {hint}")
    out: dict[Variable, Term] = {}
    for p in query.params:
        value = raw.get(p.name)
        if value is None or (isinstance(value, str) and value.strip() == "" and p.type != "string") \
                or value == "":
            value = p.default
        if value is None:
            if p.required:
                raise QueryError(f"query {query.name!r} needs the parameter {p.name!r} ({p.type}): "
                                 f"{p.description or 'no description'}")
            continue
        out[Variable(p.name)] = parse_param_value(p, value)
    return out


# =========================================================================================
# Results
# =========================================================================================

@dataclass
class QueryResult:
    """The materialized result of a query.

    SELECT: ``variables`` and ``rows`` (tuples of terms, ``None`` = unbound).
    ASK: ``boolean``. CONSTRUCT/DESCRIBE: ``triples``.
    ``titles`` maps variables to column titles (table, csv, tsv, markdown headers).
    ``truncated`` is true when ``max_rows`` cut the result.
    """

    form: str
    variables: tuple[str, ...] = ()
    rows: list[tuple[Term | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[Triple] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)
    truncated: bool = False
    elapsed: float = 0.0

    @property
    def is_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")

    def column_titles(self) -> list[str]:
        return [self.titles.get(v, v) for v in self.variables]

    def records(self) -> list[dict[str, Term | None]]:
        """The rows as ``{variable: term}`` dicts."""
        return [dict(zip(self.variables, r)) for r in self.rows]

    def values(self) -> list[tuple[str | None, ...]]:
        """The rows as plain strings (IRI or lexical form; None = unbound), for tests and UIs."""
        return [tuple(None if t is None else term_text(t, short=False) for t in r) for r in self.rows]

    def __len__(self) -> int:
        if self.form == "SELECT":
            return len(self.rows)
        if self.form == "ASK":
            return 1
        return len(self.triples)


class _Deadline(Exception):
    pass


def _materialize(res, form: str, max_rows: int | None, deadline: float | None,
                 drop: Sequence[str] = ()) -> QueryResult:
    if isinstance(res, QueryBoolean):
        return QueryResult("ASK", boolean=bool(res))
    if isinstance(res, QueryTriples):
        triples = []
        for i, t in enumerate(res):
            if max_rows is not None and len(triples) >= max_rows:
                return QueryResult(form if form in ("CONSTRUCT", "DESCRIBE") else "CONSTRUCT",
                                   triples=triples, truncated=True)
            triples.append(t)
            if deadline is not None and i % 256 == 255 and time.monotonic() > deadline:
                raise _Deadline
        return QueryResult(form if form in ("CONSTRUCT", "DESCRIBE") else "CONSTRUCT", triples=triples)
    assert isinstance(res, QuerySolutions)
    all_vars = [v.value for v in res.variables]
    keep = [i for i, v in enumerate(all_vars) if v not in drop]
    variables = tuple(all_vars[i] for i in keep)
    rows = []
    truncated = False
    for i, sol in enumerate(res):
        if max_rows is not None and len(rows) >= max_rows:
            truncated = True
            break
        rows.append(tuple(sol[all_vars[j]] for j in keep))
        if deadline is not None and i % 256 == 255 and time.monotonic() > deadline:
            raise _Deadline
    return QueryResult("SELECT", variables, rows, truncated=truncated)


def _with_timeout(fn, timeout: float | None):
    """Run ``fn(deadline)``; QueryError when it takes longer than ``timeout`` seconds.

    Oxigraph cannot cancel a query: on a timeout the evaluation goes on in a daemon thread
    until it yields its next solution (the row loop then stops it) or finishes.
    """
    if timeout is None:
        try:
            return fn(None)
        except _Deadline:  # pragma: no cover
            raise QueryError("the query was stopped") from None
    deadline = time.monotonic() + timeout
    box: dict[str, Any] = {}

    def work():
        try:
            box["value"] = fn(deadline)
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    t = threading.Thread(target=work, name="llmkg-query", daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive() or isinstance(box.get("error"), _Deadline):
        raise QueryError(f"the query took longer than {timeout:g} s and was stopped")
    if "error" in box:
        raise box["error"]
    return box["value"]


def _graph_list(graphs) -> list | None:
    if graphs is None:
        return None
    if isinstance(graphs, (str, NamedNode, DefaultGraph, BlankNode)):
        graphs = [graphs]
    return [graph_term(g) for g in graphs]


def graph_term(g):
    """A graph name for ``default_graph``/``named_graphs``: a term, an IRI, ``graph:x``,
    a bare source id (``awesome-llms`` -> ``graph:awesome-llms``), or ``default``."""
    if isinstance(g, (NamedNode, BlankNode, DefaultGraph)):
        return g
    s = str(g).strip()
    if s in ("default", "DEFAULT"):
        return DefaultGraph()
    if s.startswith("<") and s.endswith(">"):
        s = s[1:-1]
    prefix, colon, local = s.partition(":")
    if colon and prefix in PREFIXES and not local.startswith("//"):
        s = PREFIXES[prefix] + local
    elif not _SCHEME_RE.match(s):
        s = GRAPH + s
    try:
        return NamedNode(s)
    except ValueError:
        raise QueryError(f"not a graph name: {g!r}") from None


# "p:" anywhere in the text, for each predefined prefix p (the longest name first, so that
# one that ends another is found too): one search instead of one per prefix
_OUR_PREFIX_RE = re.compile("(" + "|".join(re.escape(p) for p in sorted(PREFIXES, key=lambda p: (-len(p), p))) + "):")


def _prefixes_in_text(sparql: str) -> dict[str, str]:
    """The predefined prefixes ``sparql`` may use: only those are given to Oxigraph, which
    checks every IRI it is given, per query. (No prefixed name is followed by "//": when
    every colon is, as in a query whose IRIs are all written out, there is none to look
    for.)"""
    if sparql.count(":") > sparql.count("://"):
        return {p: PREFIXES[p] for p in _OUR_PREFIX_RE.findall(sparql)}
    return {}


def plain_kwargs(sparql: str, base_iri: str | None) -> dict:
    """:func:`query_kwargs` for the common case: no dataset given, no substitutions,
    llmkg's predefined prefixes."""
    kwargs: dict[str, Any] = {}
    used = _prefixes_in_text(sparql)
    if used:
        kwargs["prefixes"] = used
    if base_iri and needs_base(sparql):
        kwargs["base_iri"] = base_iri
    return kwargs


def query_kwargs(sparql: str, substitutions, default_graph, named_graphs, prefixes, base_iri) -> dict:
    """The keyword arguments of ``Store.query`` for :func:`execute`: the dataset rule, the
    substitutions, the predefined prefixes and the base IRI."""
    if default_graph is None and named_graphs is None and not substitutions and prefixes is PREFIXES:
        return plain_kwargs(sparql, base_iri)
    kwargs: dict[str, Any] = {}
    dg = None if default_graph is None else _graph_list(default_graph)
    ng = None if named_graphs is None else _graph_list(named_graphs)
    if dg is not None:
        kwargs["default_graph"] = dg          # the caller's dataset wins over FROM
        if ng is not None:
            kwargs["named_graphs"] = ng
    elif ng is not None:
        # named graphs alone: an empty default graph (the SPARQL protocol's rule, and what
        # FROM NAMED without FROM means)
        kwargs["default_graph"] = []
        kwargs["named_graphs"] = ng
    if substitutions:
        kwargs["substitutions"] = dict(substitutions)
    if prefixes:
        # only those the text may use (Oxigraph checks every IRI it is given, per query)
        if prefixes is PREFIXES:
            used = _prefixes_in_text(sparql)
        else:
            used = {p: ns for p, ns in prefixes.items() if p + ":" in sparql}
        if used:
            kwargs["prefixes"] = used
    if base_iri and needs_base(sparql):
        kwargs["base_iri"] = base_iri
    return kwargs


# A relative IRI reference (a "<" not followed by a scheme: "<" as less-than matches too),
# or IRI()/URI(), which resolve a relative string against the base: only then does the
# base IRI change what a query means. Oxigraph parses the base IRI on every query it is
# given with (~5 us of an entity lookup's ~120), so it is left out otherwise.
# (Two searches, each found fast from its first character, rather than one alternation.)
_RELATIVE_REF = re.compile(r"<(?![A-Za-z][A-Za-z0-9+.\-]*:)")
_IRI_CALL = re.compile(r"\b[IU]RI\s*\(", re.IGNORECASE)


def needs_base(sparql: str) -> bool:
    """Whether the base IRI may change the meaning of ``sparql`` (conservative: any
    ``<`` that does not open an absolute IRI, and any ``IRI(`` or ``URI(``, say yes)."""
    return (_RELATIVE_REF.search(sparql) is not None
            or ("(" in sparql and _IRI_CALL.search(sparql) is not None))


def _query_error(exc: Exception, sparql: str = "", prefixes: Mapping[str, str] | None = None) -> QueryError:
    if isinstance(exc, SyntaxError):
        from .sparqlerrors import readable

        return QueryError(f"the query is not valid SPARQL: {readable(str(exc), sparql, prefixes)}")
    msg = str(exc)
    if "SELECT projection" in msg:
        msg += " (a parameter must be a variable the query returns)"
    return QueryError(f"the query failed: {msg}")


def execute(store, sparql: str, substitutions: Mapping[Variable, Term] | None = None, *,
            default_graph=None, named_graphs=None,
            timeout: float | None = None, max_rows: int | None = None,
            titles: Mapping[str, str] | None = None, keep_params: bool = False,
            hidden: Sequence[str] = (),
            prefixes: Mapping[str, str] | None = PREFIXES, base_iri: str | None = None,
            form: str | None = None) -> QueryResult:
    """Run ``sparql`` on a pyoxigraph ``Store`` and materialize the result.

    ``substitutions`` (from :func:`bind`) bind variables to terms with Oxigraph's
    substitution API; the query must return those variables (Oxigraph's rule), and they
    are left out of the result unless ``keep_params`` (so are the ``hidden`` variables,
    e.g. a canned query's unbound optional parameters).

    The dataset: ``default_graph`` (graph names, see :func:`graph_term`) is the default
    graph, whatever the query's ``FROM`` says; ``named_graphs`` alone restricts ``GRAPH``
    and leaves the default graph empty (the SPARQL protocol's rule). Without either, the
    query's own ``FROM``/``FROM NAMED`` decide; and when it has none either, the default
    graph is the store's: the merge of the named graphs, each triple once, with the
    curated resolutions in place of what they supersede (see docs/rdf-model.md).

    ``prefixes`` are predefined for the query (ours by default; a query's own PREFIX
    declarations win); ``base_iri`` resolves relative IRIs. ``max_rows`` caps the rows
    (``truncated`` is set); ``timeout`` in seconds raises :class:`QueryError`. ``form``,
    when the caller already knows it (the web endpoint scans every query), saves
    tokenizing the text again. Syntax errors, unknown prefixes and
    substitution errors are :class:`QueryError`.
    """
    form = form or query_form(sparql) or "SELECT"
    subs = dict(substitutions or {})
    kwargs = query_kwargs(sparql, subs, default_graph, named_graphs, prefixes, base_iri)
    drop = () if keep_params else tuple(v.value for v in subs) + tuple(hidden)
    started = time.perf_counter()

    def work(deadline):
        try:
            res = store.query(sparql, **kwargs)
            return _materialize(res, form, max_rows, deadline, drop)
        except (SyntaxError, RuntimeError, ValueError) as exc:
            raise _query_error(exc, sparql, prefixes) from None

    result = _with_timeout(work, timeout)
    result.elapsed = time.perf_counter() - started
    if titles:
        result.titles = {k: v for k, v in titles.items() if k in result.variables}
    return result


class Serialized(NamedTuple):
    """A result already serialized (:func:`execute_serialized`): the body and what a caller
    reports about it (rows or triples, truncation, time)."""

    body: bytes
    media_type: str
    form: str
    rows: int
    truncated: bool = False
    elapsed: float = 0.0


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


def native_select(store, sparql: str, fmt: str, kwargs: dict, max_rows: int | None = None,
                  titles: Mapping[str, str] | None = None) -> Serialized | None:
    """A SELECT query's result in ``fmt`` (``json``, ``xml``, ``csv`` or ``tsv``) as
    pyoxigraph writes it while it evaluates the query, with ``store.query(sparql,
    **kwargs)`` (see :func:`query_kwargs`). None when that is not what :func:`serialize`
    would give: more than ``max_rows`` rows, or a body over
    :data:`NATIVE_MAX_BYTES` (then the caller materializes the result, which stops at
    ``max_rows``). A syntax or evaluation error is a :class:`QueryError`."""
    started = time.perf_counter()
    out = _CappedBuffer(NATIVE_MAX_BYTES)
    try:
        store.query(sparql, **kwargs).serialize(out, format=NATIVE_FORMATS[fmt])
    except _TooBig:
        return None
    except (SyntaxError, RuntimeError, ValueError) as exc:
        raise _query_error(exc, sparql, PREFIXES) from None
    body = b"".join(out.parts)
    n = _count_rows(body, fmt)
    if max_rows is not None and n > max_rows:
        return None
    if fmt == "xml":
        body = _xml_lines(body)
    elif titles and fmt in ("csv", "tsv"):
        variables = _header_variables(body, fmt)
        shown = {k: v for k, v in titles.items() if k in variables}
        if shown:
            body = _with_header(body, fmt, _header_line(variables, shown, fmt))
    return Serialized(body, MEDIA_TYPES[fmt], "SELECT", n, False, time.perf_counter() - started)


def execute_serialized(store, sparql: str, fmt: str,
                       substitutions: Mapping[Variable, Term] | None = None, *,
                       default_graph=None, named_graphs=None,
                       timeout: float | None = None, max_rows: int | None = None,
                       titles: Mapping[str, str] | None = None, keep_params: bool = False,
                       hidden: Sequence[str] = (),
                       prefixes: Mapping[str, str] | None = PREFIXES, base_iri: str | None = None,
                       form: str | None = None) -> Serialized:
    """``serialize(execute(...), fmt)`` in one step, with the same bytes, and faster.

    A SELECT result in ``json``, ``xml``, ``csv`` or ``tsv`` is written by pyoxigraph's own
    serializer while the query is evaluated (no Python object per row) whenever that gives
    the same bytes as :func:`serialize`: no parameter columns to leave out, at most
    ``max_rows`` rows and no ``timeout`` (column titles are put in the CSV/TSV header). Otherwise, and for the other forms and formats, the result is
    materialized by :func:`execute` and written by :func:`serialize`. The arguments are
    those of :func:`execute`.
    """
    form = form or query_form(sparql) or "SELECT"
    subs = dict(substitutions or {})
    drop = () if keep_params else tuple(v.value for v in subs) + tuple(hidden)
    if form == "SELECT" and timeout is None and not drop and fmt in NATIVE_FORMATS:
        kwargs = query_kwargs(sparql, subs, default_graph, named_graphs, prefixes, base_iri)
        out = native_select(store, sparql, fmt, kwargs, max_rows, titles)
        if out is not None:
            return out
    result = execute(store, sparql, subs, default_graph=default_graph, named_graphs=named_graphs,
                     timeout=timeout,
                     max_rows=max_rows, titles=titles, keep_params=keep_params, hidden=hidden,
                     prefixes=prefixes, base_iri=base_iri, form=form)
    body, media_type = serialize(result, fmt)
    return Serialized(body, media_type, result.form, len(result), result.truncated, result.elapsed)


def run(store, query: CannedQuery, raw: Mapping[str, str] | None = None, **kwargs) -> QueryResult:
    """``execute(store, query.text, bind(query, raw), titles=query.titles, **kwargs)``;
    the parameters' variables are left out of the result (``keep_params=True`` keeps them)."""
    subs = bind(query, raw)
    kwargs.setdefault("titles", query.titles)
    if not kwargs.get("keep_params"):
        kwargs.setdefault("hidden", tuple(p.name for p in query.params))
    return execute(store, query.text, subs, **kwargs)


# =========================================================================================
# Remote endpoints (SPARQL 1.1 protocol over stdlib urllib)
# =========================================================================================

def render(sparql: str, substitutions: Mapping[Variable, Term] | None) -> str:
    """The query with each bound variable written as a SPARQL term (pyoxigraph's own
    N-Triples serialization of the term, never the user's raw text).

    ``?v`` in a SELECT clause becomes ``(TERM AS ?v)`` (the result keeps the column);
    a bare ``?v`` in GROUP BY or ORDER BY becomes ``(TERM)``; ``BOUND(?v)`` becomes
    ``true``; elsewhere ``?v`` becomes ``TERM``. A parameter that the query assigns
    (``AS ?v``, ``VALUES ?v``) is a :class:`QueryError`.
    """
    if not substitutions:
        return sparql
    terms = {(k.value if isinstance(k, Variable) else str(k).lstrip("?$")): _term_sparql(v)
             for k, v in substitutions.items()}
    toks = _tokens(sparql)
    out = [t.value for t in toks]
    sig = [i for i, t in enumerate(toks) if t.kind not in ("ws", "comment")]

    def sig_at(n):
        return toks[sig[n]] if 0 <= n < len(sig) else None

    clause = None          # "select", "group", "order" or None
    clause_depth = 0
    depth = 0
    in_values = False
    for n, i in enumerate(sig):
        t = toks[i]
        kind, val, up = t.kind, t.value, t.value.upper()
        prev = sig_at(n - 1)
        if kind == "word":
            if up == "SELECT":
                clause, clause_depth = "select", depth
            elif up == "BY" and prev is not None and prev.value.upper() in ("GROUP", "ORDER"):
                clause, clause_depth = prev.value.lower(), depth
            elif up in ("WHERE", "FROM", "HAVING", "LIMIT", "OFFSET", "VALUES", "ORDER", "GROUP"):
                clause = None
            if up == "VALUES":
                in_values = True
        elif kind == "punct":
            if val in "({[":
                if val == "{":
                    if clause is not None and (clause != "select" or depth == clause_depth):
                        clause = None
                    in_values = False
                depth += 1
            elif val in ")}]":
                depth -= 1
                if clause is not None and depth < clause_depth:
                    clause = None  # the end of a subquery ends its clauses
        if kind != "var" or val[1:] not in terms:
            continue
        name = val[1:]
        if prev is not None and prev.kind == "word" and prev.value.upper() == "AS":
            raise QueryError(f"parameter {name!r} is assigned by the query (AS {val}); "
                             "it cannot be bound for a remote endpoint")
        if in_values:
            raise QueryError(f"parameter {name!r} is listed in a VALUES clause; "
                             "it cannot be bound for a remote endpoint")
        term = terms[name]
        p1, p2, nx = sig_at(n - 1), sig_at(n - 2), sig_at(n + 1)
        if (p1 is not None and p1.value == "(" and p2 is not None and p2.kind == "word"
                and p2.value.upper() == "BOUND" and nx is not None and nx.value == ")"):
            out[sig[n - 2]] = "true"
            out[sig[n - 1]] = ""
            out[i] = ""
            out[sig[n + 1]] = ""
            continue
        if clause == "select" and depth == clause_depth:
            out[i] = f"({term} AS ?{name})"
        elif clause in ("group", "order") and depth == clause_depth:
            out[i] = f"({term})"
        else:
            out[i] = term
    return "".join(out)


def _term_sparql(term) -> str:
    if isinstance(term, (NamedNode, Literal)):
        return str(term)  # N-Triples syntax, escaped by pyoxigraph
    raise QueryError(f"cannot bind {term!r} for a remote endpoint")


def execute_remote(endpoint: str, sparql: str, substitutions: Mapping[Variable, Term] | None = None, *,
                   default_graph=None, named_graphs=None, timeout: float | None = 60.0,
                   max_rows: int | None = None, titles: Mapping[str, str] | None = None,
                   keep_params: bool = False, hidden: Sequence[str] = (),
                   prefixes: Mapping[str, str] | None = PREFIXES,
                   user_agent: str = "llmkg") -> QueryResult:
    """Run ``sparql`` against a SPARQL 1.1 protocol endpoint (HTTP POST, urlencoded form).

    Bound parameters are written into the text by :func:`render`; ``prefixes`` that the
    text uses but does not declare are prepended. The endpoint decides what the default
    graph is (``default_graph`` becomes ``default-graph-uri``). Network and HTTP errors
    are :class:`QueryError`.
    """
    import urllib.error
    import urllib.parse
    import urllib.request

    from pyoxigraph import parse, parse_query_results

    form = query_form(sparql) or "SELECT"
    text = render(sparql, substitutions)
    if prefixes:
        text = _missing_prefixes(text, prefixes) + text
    fields = [("query", text)]
    for g in _graph_list(default_graph) or []:
        if isinstance(g, NamedNode):
            fields.append(("default-graph-uri", g.value))
    for g in _graph_list(named_graphs) or []:
        if isinstance(g, NamedNode):
            fields.append(("named-graph-uri", g.value))
    if form in ("CONSTRUCT", "DESCRIBE"):
        accept = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"
    else:
        accept = "application/sparql-results+json, application/sparql-results+xml;q=0.8"
    req = urllib.request.Request(
        endpoint, data=urllib.parse.urlencode(fields).encode("utf-8"), method="POST",
        headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded",
                 "User-Agent": user_agent})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
            ctype = (resp.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    except urllib.error.HTTPError as exc:
        detail = exc.read(2000).decode("utf-8", "replace").strip().splitlines()
        raise QueryError(f"the endpoint {endpoint} answered {exc.code} {exc.reason}"
                         + (f": {detail[0]}" if detail else "")) from None
    except urllib.error.URLError as exc:
        raise QueryError(f"cannot reach the endpoint {endpoint}: {exc.reason}") from None
    except TimeoutError:
        raise QueryError(f"the endpoint {endpoint} did not answer within {timeout:g} s") from None
    except OSError as exc:
        raise QueryError(f"cannot reach the endpoint {endpoint}: {exc}") from None
    subs = dict(substitutions or {})
    drop = () if keep_params else tuple(v.value for v in subs) + tuple(hidden)
    try:
        if form in ("CONSTRUCT", "DESCRIBE"):
            fmt = RdfFormat.from_media_type(ctype) or RdfFormat.N_TRIPLES
            triples = []
            truncated = False
            for q in parse(body, format=fmt):
                if max_rows is not None and len(triples) >= max_rows:
                    truncated = True
                    break
                triples.append(Triple(q.subject, q.predicate, q.object))
            result = QueryResult(form, triples=triples, truncated=truncated)
        else:
            rfmt = QueryResultsFormat.from_media_type(ctype) or QueryResultsFormat.JSON
            res = parse_query_results(body, format=rfmt)
            result = _materialize(res, form, max_rows, None, drop)
    except (SyntaxError, ValueError) as exc:
        raise QueryError(f"the endpoint {endpoint} sent a result llmkg cannot read ({ctype}): {exc}") from None
    result.elapsed = time.perf_counter() - started
    if titles:
        result.titles = {k: v for k, v in titles.items() if k in result.variables}
    return result


def _missing_prefixes(text: str, prefixes: Mapping[str, str]) -> str:
    declared = set()
    used = set()
    toks = [t for t in _tokens(text) if t.kind not in ("ws", "comment")]
    for i, t in enumerate(toks):
        if t.kind == "word" and t.value.upper() == "PREFIX" and i + 1 < len(toks):
            declared.add(toks[i + 1].value.split(":", 1)[0])
        elif t.kind == "word" and ":" in t.value:
            used.add(t.value.split(":", 1)[0])
    return "".join(f"PREFIX {p}: <{prefixes[p]}>\n" for p in sorted(used - declared) if p in prefixes)


# =========================================================================================
# Serialization
# =========================================================================================

def term_text(term, short: bool = True, prefixes: Mapping[str, str] | None = None) -> str:
    """How a cell shows a term: a short IRI (``res:model/gpt-3``) or the full IRI, the
    lexical form of a literal, ``_:id`` for a blank node, ``""`` for unbound."""
    if term is None:
        return ""
    if isinstance(term, NamedNode):
        if short:
            s = shorten(term.value, dict(prefixes) if prefixes else None)
            return s[1:-1] if s.startswith("<") else s
        return term.value
    if isinstance(term, Literal):
        return term.value
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    if isinstance(term, Triple):
        return "<< " + " ".join(term_text(x, short, prefixes) for x in
                                (term.subject, term.predicate, term.object)) + " >>"
    return str(term)


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


# =========================================================================================
# Caching helpers (the store version is the cache's generation)
# =========================================================================================

def cache_key(version_id: str, sparql: str, substitutions: Mapping[Variable, Term] | None = None,
              **options) -> str:
    """A stable key for a result: store version, query text, bound terms and options."""
    parts = [version_id, sparql]
    if substitutions:
        parts += sorted(f"{k.value}={v}" for k, v in substitutions.items())
    parts += [f"{k}={v!r}" for k, v in sorted(options.items())]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()
