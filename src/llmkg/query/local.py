"""Running a query on a pyoxigraph store: the dataset (default and named graphs, base IRI,
prefixes), materialized results (``max_rows``, ``timeout``) and pyoxigraph's own
serializers where nothing needs Python.
"""

from __future__ import annotations

import re
import threading
import time
from typing import TYPE_CHECKING, Any, Mapping, NamedTuple, Sequence

from pyoxigraph import (BlankNode, DefaultGraph, NamedNode, QueryBoolean, QuerySolutions, QueryTriples,
                        Variable)

from ..errors import QueryError
from ..vocab import GRAPH, PREFIXES

from .binding import _SCHEME_RE, bind
from .formats import (MEDIA_TYPES, NATIVE_FORMATS, NATIVE_MAX_BYTES, _CappedBuffer, _count_rows, _header_line,
                      _header_variables, _TooBig, _with_header, _xml_lines, serialize)
from .registry import query_form
from .result import QueryResult, Term

if TYPE_CHECKING:
    from .registry import CannedQuery

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
    a bare source id (``awesome-llms`` -> ``graph:awesome-llms``), or ``default``.

    >>> graph_term("awesome-llms")
    <NamedNode value=https://w3id.org/llmkg/graph/awesome-llms>
    >>> graph_term("default")
    <DefaultGraph>
    """
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
    ``<`` that does not open an absolute IRI, and any ``IRI(`` or ``URI(``, say yes).

    >>> needs_base("SELECT * { <http://example.org/a> ?p ?o }")
    False
    >>> needs_base("SELECT * { <a> ?p ?o }")
    True
    """
    return (_RELATIVE_REF.search(sparql) is not None
            or ("(" in sparql and _IRI_CALL.search(sparql) is not None))


def _query_error(exc: Exception, sparql: str = "", prefixes: Mapping[str, str] | None = None) -> QueryError:
    if isinstance(exc, SyntaxError):
        from .syntax import readable

        return QueryError(f"the query is not valid SPARQL: {readable(str(exc), sparql, prefixes)}")
    msg = str(exc)
    if "SELECT projection" in msg:
        msg += " (a parameter must be a variable the query returns)"
    return QueryError(f"the query failed: {msg}")


class QueryOptions(NamedTuple):
    """How :func:`execute` and :func:`execute_serialized` run a query (every field optional).

    The dataset: ``default_graph`` (graph names, see :func:`graph_term`) is the default
    graph, whatever the query's ``FROM`` says; ``named_graphs`` alone restricts ``GRAPH``
    and leaves the default graph empty (the SPARQL protocol's rule). Without either, the
    query's own ``FROM``/``FROM NAMED`` decide; and when it has none either, the default
    graph is the store's: the merge of the named graphs, each triple once, with the
    curated resolutions in place of what they supersede (see docs/rdf-model.md).

    ``timeout`` in seconds raises :class:`QueryError`; ``max_rows`` caps the rows
    (``truncated`` is set). ``titles`` name the columns. The variables bound by
    substitutions are left out of the result unless ``keep_params``; so are the
    ``hidden`` ones (a canned query's unbound optional parameters). ``prefixes`` are
    predefined for the query (ours by default; a query's own PREFIX declarations win);
    ``base_iri`` resolves relative IRIs. ``form``, when the caller already knows it (the
    web endpoint scans every query), saves tokenizing the text again.

    >>> QueryOptions(timeout=5).max_rows is None
    True
    """

    default_graph: Any = None
    named_graphs: Any = None
    timeout: float | None = None
    max_rows: int | None = None
    titles: Mapping[str, str] | None = None
    keep_params: bool = False
    hidden: Sequence[str] = ()
    prefixes: Mapping[str, str] | None = PREFIXES
    base_iri: str | None = None
    form: str | None = None


_DEFAULT_OPTIONS = QueryOptions()


def _options(options: QueryOptions | None, fields: dict) -> QueryOptions:
    o = options if options is not None else _DEFAULT_OPTIONS
    if fields:
        try:
            o = o._replace(**fields)
        except ValueError as exc:  # an unknown field
            raise TypeError(f"not a query option: {exc}") from None
    return o


def execute(store, sparql: str, substitutions: Mapping[Variable, Term] | None = None,
            options: QueryOptions | None = None, **fields) -> QueryResult:
    """Run ``sparql`` on a pyoxigraph ``Store`` and materialize the result.

    ``substitutions`` (from :func:`bind`) bind variables to terms with Oxigraph's
    substitution API; the query must return those variables (Oxigraph's rule).
    ``options`` (:class:`QueryOptions`; its fields may also be given as keyword
    arguments) say the dataset, limits and prefixes. Syntax errors, unknown prefixes and
    substitution errors are :class:`QueryError`.
    """
    o = _options(options, fields)
    form = o.form or query_form(sparql) or "SELECT"
    subs = dict(substitutions or {})
    kwargs = query_kwargs(sparql, subs, o.default_graph, o.named_graphs, o.prefixes, o.base_iri)
    drop = () if o.keep_params else tuple(v.value for v in subs) + tuple(o.hidden)
    started = time.perf_counter()

    def work(deadline):
        try:
            res = store.query(sparql, **kwargs)
            return _materialize(res, form, o.max_rows, deadline, drop)
        except (SyntaxError, RuntimeError, ValueError) as exc:
            raise _query_error(exc, sparql, o.prefixes) from None

    result = _with_timeout(work, o.timeout)
    result.elapsed = time.perf_counter() - started
    if o.titles:
        result.titles = {k: v for k, v in o.titles.items() if k in result.variables}
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
                       substitutions: Mapping[Variable, Term] | None = None,
                       options: QueryOptions | None = None, **fields) -> Serialized:
    """``serialize(execute(...), fmt)`` in one step, with the same bytes, and faster.

    A SELECT result in ``json``, ``xml``, ``csv`` or ``tsv`` is written by pyoxigraph's own
    serializer while the query is evaluated (no Python object per row) whenever that gives
    the same bytes as :func:`serialize`: no parameter columns to leave out, at most
    ``max_rows`` rows and no ``timeout`` (column titles are put in the CSV/TSV header).
    Otherwise, and for the other forms and formats, the result is materialized by
    :func:`execute` and written by :func:`serialize`. The arguments are those of
    :func:`execute`.
    """
    o = _options(options, fields)
    form = o.form or query_form(sparql) or "SELECT"
    subs = dict(substitutions or {})
    drop = () if o.keep_params else tuple(v.value for v in subs) + tuple(o.hidden)
    if form == "SELECT" and o.timeout is None and not drop and fmt in NATIVE_FORMATS:
        kwargs = query_kwargs(sparql, subs, o.default_graph, o.named_graphs, o.prefixes, o.base_iri)
        out = native_select(store, sparql, fmt, kwargs, o.max_rows, o.titles)
        if out is not None:
            return out
    result = execute(store, sparql, subs, o._replace(form=form))
    body, media_type = serialize(result, fmt)
    return Serialized(body, media_type, result.form, len(result), result.truncated, result.elapsed)


def run(store, query: CannedQuery, raw: Mapping[str, str] | None = None,
        options: QueryOptions | None = None, **fields) -> QueryResult:
    """``execute(store, query.text, bind(query, raw), titles=query.titles, ...)``;
    the parameters' variables are left out of the result (``keep_params=True`` keeps them)."""
    subs = bind(query, raw)
    o = _options(options, fields)
    if o.titles is None:
        o = o._replace(titles=query.titles)
    if not o.keep_params and not o.hidden and "hidden" not in fields:
        o = o._replace(hidden=tuple(p.name for p in query.params))
    return execute(store, query.text, subs, o)



# =========================================================================================
# Caching helpers (the store version is the cache's generation)
# =========================================================================================

def cache_key(version_id: str, sparql: str, substitutions: Mapping[Variable, Term] | None = None,
              **options) -> str:
    """A stable key for a result: store version, query text, bound terms and options."""
    import hashlib

    parts = [version_id, sparql]
    if substitutions:
        parts += sorted(f"{k.value}={v}" for k, v in substitutions.items())
    parts += [f"{k}={v!r}" for k, v in sorted(options.items())]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()
