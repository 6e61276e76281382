"""Canned and ad hoc SPARQL: the registry of ``queries/*.rq``, parameter binding, execution
(local store or remote endpoint) and result serialization.

This is the one package the CLI (``llmkg queries``, ``llmkg query``) and the web app call;
its modules: :mod:`.registry` (the ``.rq`` files and their headers), :mod:`.binding`
(parameters), :mod:`.local` (a local store), :mod:`.remote` (an endpoint), :mod:`.formats`
(the result formats and serializers), :mod:`.result` (the result object).
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
``execute(store, sparql, substitutions=None, options=None, **fields) -> QueryResult``
    (``options``: a :class:`QueryOptions`; its fields may be keyword arguments)
    Run on a pyoxigraph Store with ``substitutions`` (parameters are never pasted into
    the query text). Materializes the results (``max_rows``), enforces ``timeout``. The
    default graph is the union of all graphs unless the query has ``FROM``/``FROM NAMED``
    or the caller names graphs.
``run(store, query, raw=None, options=None, **fields) -> QueryResult``
    ``bind`` + ``execute`` for a :class:`CannedQuery`, with its column titles.
``execute_serialized(store, sparql, fmt, substitutions=None, options=None, **fields) -> Serialized``
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

from .binding import bind, parse_param_value
from .local import (QueryOptions, Serialized, cache_key, execute, execute_serialized, graph_term, native_select,
                      needs_base, plain_kwargs, query_kwargs, run)
from .formats import GRAPH_FORMATS, MEDIA_TYPES, NATIVE_FORMATS, RESULT_FORMATS, serialize
from .registry import PARAM_TYPES, VIEWS, CannedQuery, Param, load_query, load_registry, parse_query, query_form
from .remote import execute_remote, render
from .result import QueryResult, term_text

__all__ = [
    "Param", "CannedQuery", "QueryResult",
    "PARAM_TYPES", "VIEWS", "RESULT_FORMATS", "GRAPH_FORMATS", "MEDIA_TYPES", "NATIVE_FORMATS",
    "load_registry", "load_query", "parse_query", "query_form", "bind", "parse_param_value",
    "execute", "run", "execute_serialized", "QueryOptions", "Serialized", "native_select", "execute_remote", "serialize",
    "render", "term_text", "cache_key", "graph_term", "plain_kwargs", "query_kwargs", "needs_base",
]
