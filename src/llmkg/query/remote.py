"""The same queries over the SPARQL 1.1 protocol (stdlib urllib): bound parameters are
written into the text as SPARQL terms serialized by pyoxigraph.
"""

from __future__ import annotations

import time
from typing import Mapping

from pyoxigraph import (Literal, NamedNode, QueryResultsFormat, RdfFormat, Triple, Variable)

from . import scan as _scan
from ..errors import QueryError
from .local import QueryOptions, _graph_list, _materialize, _options
from .registry import query_form
from .result import QueryResult, Term

_tokens = _scan.tokens

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


def execute_remote(endpoint: str, sparql: str, substitutions: Mapping[Variable, Term] | None = None,
                   options: QueryOptions | None = None, *, user_agent: str = "llmkg", **fields) -> QueryResult:
    """Run ``sparql`` against a SPARQL 1.1 protocol endpoint (HTTP POST, urlencoded form),
    with the :class:`QueryOptions` of :func:`execute` (``timeout`` 60 s when none is given;
    ``base_iri`` is the endpoint's business).

    Bound parameters are written into the text by :func:`render`; ``prefixes`` that the
    text uses but does not declare are prepended. The endpoint decides what the default
    graph is (``default_graph`` becomes ``default-graph-uri``). Network and HTTP errors
    are :class:`QueryError`.
    """
    import urllib.error
    import urllib.parse
    import urllib.request

    from pyoxigraph import parse, parse_query_results

    o = _options(options, fields)
    default_graph, named_graphs, max_rows, prefixes = o.default_graph, o.named_graphs, o.max_rows, o.prefixes
    timeout = o.timeout if o.timeout is not None else 60.0
    form = o.form or query_form(sparql) or "SELECT"
    text = render(sparql, substitutions)
    if prefixes:
        text = _missing_prefixes(text, prefixes) + text
    form_fields = [("query", text)]
    for g in _graph_list(default_graph) or []:
        if isinstance(g, NamedNode):
            form_fields.append(("default-graph-uri", g.value))
    for g in _graph_list(named_graphs) or []:
        if isinstance(g, NamedNode):
            form_fields.append(("named-graph-uri", g.value))
    if form in ("CONSTRUCT", "DESCRIBE"):
        accept = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"
    else:
        accept = "application/sparql-results+json, application/sparql-results+xml;q=0.8"
    req = urllib.request.Request(
        endpoint, data=urllib.parse.urlencode(form_fields).encode("utf-8"), method="POST",
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
    drop = () if o.keep_params else tuple(v.value for v in subs) + tuple(o.hidden)
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
    if o.titles:
        result.titles = {k: v for k, v in o.titles.items() if k in result.variables}
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
