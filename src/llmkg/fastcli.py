"""The ``llmkg`` command's entry point: ``llmkg query NAME`` answered with few imports, all
else handed to the click CLI (:mod:`llmkg.cli`).

A cold ``llmkg query`` spent most of its time starting: click, pathlib, dataclasses and
the rest of :mod:`llmkg.queries` cost more than opening the store and running the query
(issue #5: at most twice ``oxigraph query``). This module answers the common invocations
itself, importing only :mod:`pyoxigraph`, :mod:`llmkg.sparqltok`, :mod:`llmkg.vocab` and
small standard modules (:mod:`llmkg.fastparams` for parameters, :mod:`llmkg.fastfmt` for
the formats but CSV)::

    llmkg query NAME [-f|--format FORMAT] [--store DIR] [--queries DIR] [-p NAME VALUE]...

for a canned query NAME (not a file, not ``-e``), in every format. Anything else -- other
commands, other options (``--limit``, ``--graph``, ``--endpoint``, ``--timeout``,
``--show-query``, ``-h``), an option given twice, a value that looks like an option -- goes
to click.

It follows :func:`llmkg.cli.query_cmd` step by step: the same paths, the header rules of
:func:`llmkg.queries.parse_query`, the parameter binding of :func:`llmkg.queries.bind`,
the evaluation of :func:`llmkg.queries.execute` and the serializers of
:func:`llmkg.queries.serialize`. It never reports an error itself: whatever fails here (a
bad header or parameter, a missing store, a query error, even a bug) makes it give up
before anything is written, and the click CLI runs the command from the start, so errors
have click's messages and exit codes. tests/test_cli_fast.py checks that both give the same
bytes. Keep this module small: it is compiled on every start when bytecode is not cached.
"""

from __future__ import annotations

import os
import sys

_RESULT_FORMATS = ("table", "csv", "tsv", "json", "xml", "markdown")
_GRAPH_FORMATS = ("turtle", "ntriples", "jsonld", "rdfxml")
_OPTIONS = {"--store": "store", "--format": "fmt", "-f": "fmt", "--queries": "queries",
            "-p": "param", "--param": "param"}
_XSD = "http://www.w3.org/2001/XMLSchema#"
_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))


class GiveUp(Exception):
    """The fast path cannot answer: the click CLI runs the command."""


def main(argv=None):
    """The ``llmkg`` console script: the fast ``llmkg query``, else the click CLI."""
    args = sys.argv[1:] if argv is None else list(argv)
    code = query(args)
    if code is not None:
        if argv is None:   # the command: all is written and flushed, the store only read
            sys.stderr.flush()
            os._exit(code)   # no interpreter teardown (closing the store, freeing modules)
        return code
    from .cli import main as click_main

    return click_main() if argv is None else click_main(args=args)


def query(args) -> int | None:
    """Answer ``llmkg query ...`` (``args`` without the program name) and return the exit
    code, or None (nothing written) when the click CLI must run it."""
    try:
        plan = _plan(args)
        if plan is None:
            return None
        body = _answer(*plan)
    except KeyboardInterrupt:
        sys.stderr.write("llmkg: interrupted\n")
        return 130
    except Exception:   # noqa: BLE001 - whatever it is, click runs the command and reports it
        return None
    try:   # click.echo(body, nl=False)
        sys.stdout.flush()
        if body:
            sys.stdout.buffer.write(body)
            sys.stdout.buffer.flush()
    except KeyboardInterrupt:
        sys.stderr.write("llmkg: interrupted\n")
        return 130
    except Exception as exc:  # noqa: BLE001 - llmkg.cli.LlmkgGroup's message
        sys.stderr.write(f"llmkg: internal error: {type(exc).__name__}: {exc}\n")
        return 2
    return 0


def _plan(args):
    """(name, format, store, queries, params) for the invocations answered here, else None."""
    if not args or args[0] != "query":
        return None
    name, opts, params = None, {}, []
    i, n = 1, len(args)
    while i < n:
        a = args[i]
        if not a.startswith("-"):
            if name is not None:
                return None
            name = a
            i += 1
            continue
        key, eq, value = a.partition("=") if a.startswith("--") else (a, "", "")
        opt = _OPTIONS.get(key)
        if opt is None:
            return None
        if opt == "param":
            if eq or i + 2 >= n or args[i + 1].startswith("-") or args[i + 2].startswith("-"):
                return None
            params.append((args[i + 1], args[i + 2]))
            i += 3
            continue
        if not eq:
            if i + 1 >= n:
                return None
            i += 1
            value = args[i]
        i += 1
        if not value or value.startswith("-") or opt in opts:
            return None
        opts[opt] = value
    # a canned query's name (llmkg.queries._NAME_RE), not a file
    if (name is None or not name.replace("-", "_").replace("_", "").isalnum() or not name.isascii()
            or name.lower() != name or "__" in name.replace("-", "_") or name[0] in "-_"
            or name[-1] in "-_" or os.path.isfile(name)):
        return None
    fmt = opts.get("fmt")
    if fmt is not None and fmt not in _RESULT_FORMATS and fmt not in _GRAPH_FORMATS:
        return None
    return name, fmt, opts.get("store"), opts.get("queries") or os.environ.get("LLMKG_QUERIES") or None, params


def _answer(name, fmt, store, queries, params) -> bytes:
    import stat

    for given in (store, queries):   # what click.Path(file_okay=False) refuses
        try:
            st = os.stat(given) if given is not None else None
        except OSError:
            st = None
        if st is not None and (stat.S_ISREG(st.st_mode) or not os.access(given, os.R_OK)):
            raise GiveUp
    # llmkg.config.Paths.resolve
    root = os.getcwd()
    if not (os.path.isdir(os.path.join(root, "data")) or os.path.isdir(os.path.join(root, "shapes"))):
        root = _PACKAGE_ROOT
    if store is None:
        store = os.environ.get("LLMKG_STORE", os.path.join(root, ".llmkg", "store"))
    if queries is None:
        queries = os.path.join(root, "queries")
        if not os.path.exists(queries):
            queries = os.path.join(_PACKAGE_ROOT, "queries")
    path = os.path.join(queries, name + ".rq")
    if not os.path.isfile(path):
        raise GiveUp
    with open(path, encoding="utf-8") as f:
        text = f.read()
    form, qparams, columns = _parse_header(text)

    substitutions = {}
    if params or qparams:
        from .fastparams import bind

        substitutions = bind(qparams, params)

    is_graph = form in ("CONSTRUCT", "DESCRIBE")
    tty = sys.stdout.isatty()
    if fmt is None:
        fmt = "turtle" if is_graph else ("table" if tty else "csv")
    if fmt not in (_GRAPH_FORMATS if is_graph else _RESULT_FORMATS):
        raise GiveUp

    # llmkg.store.open_read_only
    link = os.path.join(store, "current")
    if not os.path.exists(link):
        raise GiveUp
    target = os.path.realpath(link)
    with open(os.path.join(target, "build.json"), encoding="utf-8") as f:
        _json_loads(f.read())
    from pyoxigraph import Store

    result = _execute(Store.read_only(os.path.join(target, "db")), text, form, substitutions,
                      tuple(p[0] for p in qparams))
    if result[0] != "SELECT" or fmt != "csv":
        from .fastfmt import serialize

        return serialize(result, fmt, columns, tty)
    variables, rows = result[1], result[2]
    body = native(variables, rows, "csv")
    titles = {k: v for k, v in dict(columns).items() if k in variables}
    if not titles:
        return body
    cells = [titles.get(v, v) for v in variables]
    if any(x in c for c in cells for x in ',"\r\n'):
        from .fastfmt import csv_line

        head = csv_line(cells)
    else:   # what csv.writer writes when no cell needs quotes (none is empty)
        head = ",".join(cells).encode("utf-8")
    end = body.find(b"\r\n")
    return head + body[end:] if end >= 0 else head


def native(variables, rows, fmt) -> bytes:
    """The rows in xml, csv or tsv, by pyoxigraph's serializer (llmkg.queries._via_native),
    read from W3C SPARQL JSON written here (the json module costs more to import)."""
    from pyoxigraph import QueryResultsFormat, parse_query_results

    try:
        from _json import encode_basestring as q
    except ImportError:  # pragma: no cover - not CPython
        from .fastfmt import w3c_json

        doc = w3c_json(variables, rows)
    else:
        from pyoxigraph import BlankNode, Literal, NamedNode, Triple

        def term(t):
            if isinstance(t, NamedNode):
                return '{"type":"uri","value":' + q(t.value) + "}"
            if isinstance(t, Literal):
                if t.language:
                    return '{"type":"literal","value":' + q(t.value) + ',"xml:lang":' + q(t.language) + "}"
                if t.datatype.value != _XSD + "string":
                    return '{"type":"literal","value":' + q(t.value) + ',"datatype":' + q(t.datatype.value) + "}"
                return '{"type":"literal","value":' + q(t.value) + "}"
            if isinstance(t, BlankNode):
                return '{"type":"bnode","value":' + q(t.value) + "}"
            if isinstance(t, Triple):
                return ('{"type":"triple","value":{"subject":' + term(t.subject) + ',"predicate":'
                        + term(t.predicate) + ',"object":' + term(t.object) + "}}")
            raise TypeError(t)

        doc = ('{"head":{"vars":[' + ",".join(map(q, variables)) + ']},"results":{"bindings":['
               + ",".join("{" + ",".join(q(v) + ":" + term(t) for v, t in zip(variables, row) if t is not None) + "}"
                          for row in rows)
               + "]}}").encode("utf-8")
    return parse_query_results(doc, format=QueryResultsFormat.JSON).serialize(
        format={"xml": QueryResultsFormat.XML, "csv": QueryResultsFormat.CSV, "tsv": QueryResultsFormat.TSV}[fmt])


def _json_loads(text) -> None:
    """Raise where json.loads(text) raises (json.decoder's rules, with its C scanner)."""
    try:
        from _json import make_scanner
    except ImportError:  # pragma: no cover - not CPython
        import json

        json.loads(text)
        return

    class Decoder:   # json.JSONDecoder() as the scanner sees it
        strict, object_hook, object_pairs_hook = True, None, None
        parse_float, parse_int, parse_constant = float, int, float

    if text.startswith("\ufeff"):
        raise GiveUp
    start = len(text) - len(text.lstrip(" \t\n\r"))
    _obj, end = make_scanner(Decoder)(text, start)   # StopIteration, ValueError
    if text[end:].strip(" \t\n\r"):
        raise GiveUp


def split(value):
    import shlex

    return shlex.split(value, comments=False, posix=True)


def var_name(s) -> bool:   # llmkg.queries._VAR_NAME
    return s.isascii() and s.replace("_", "a").isalnum() and not s[0].isdigit()


def _parse_header(text):
    """(form, params, columns) of a canned query; params as (name, type, default, required)."""
    import re

    key_line = re.compile(r"^#\s?([A-Za-z][A-Za-z0-9_-]*)\s*:(.*)$")
    continuation = re.compile(r"^#\s{2,}(\S.*)$")
    params, columns = [], []
    last_key = None
    seen = set()
    for line in text.splitlines():
        s = line.rstrip()
        if not s.startswith("#"):
            break
        if s.strip("#").strip() == "":
            continue
        m = continuation.match(s)
        if m and last_key is not None:
            if last_key == "columns":
                columns += _columns(m.group(1))
            elif last_key == "view":
                _view_options(split(m.group(1)))
            elif last_key not in ("description", "title"):
                raise GiveUp
            continue
        m = key_line.match(s)
        if not m:
            break
        key, value = m.group(1).lower(), m.group(2).strip()
        if key not in ("title", "description", "category", "param", "view", "columns") \
                or (key in seen and key not in ("param", "columns")):
            raise GiveUp
        seen.add(key)
        last_key = key
        if key == "param":
            from .fastparams import parse_param

            params.append(parse_param(value))
            last_key = None
        elif key == "view":
            tokens = split(value)
            if not tokens or tokens[0] not in ("table", "bar", "line", "timeline", "scatter", "scatter-log"):
                raise GiveUp
            _view_options(tokens[1:])
        elif key == "columns":
            columns += _columns(value)

    from .sparqltok import _TOKEN_RE, query_form

    form = query_form(text)
    if form is None:
        raise GiveUp
    if params:
        variables = {m.group()[1:] for m in _TOKEN_RE.finditer(text) if m.lastgroup == "var"}
        names = [p[0] for p in params]
        if len(set(names)) != len(names) or not set(names) <= variables or form != "SELECT":
            raise GiveUp
    return form, params, columns


def _view_options(tokens):
    for tok in tokens:
        k, eq, v = tok.partition("=")
        if not eq or k not in ("x", "y", "label", "series") or not var_name(v):
            raise GiveUp


def _columns(value):
    out = []
    for tok in split(value):
        var, eq, title = tok.partition("=")
        var = var.lstrip("?$")
        if not eq or not var_name(var) or not title:
            raise GiveUp
        out.append((var, title))
    return out


# -- evaluation (llmkg.queries.execute) -------------------------------------------------------

def _execute(store, text, form, substitutions, hidden):
    """("SELECT", variables, rows) | ("ASK", bool) | (form, triples)."""
    from pyoxigraph import QueryBoolean, QueryTriples

    from .vocab import PREFIXES

    kwargs = {}
    if substitutions:
        kwargs["substitutions"] = dict(substitutions)
    used = {p: ns for p, ns in PREFIXES.items() if p + ":" in text}
    if used:
        kwargs["prefixes"] = used
    drop = tuple(v.value for v in substitutions) + hidden
    res = store.query(text, **kwargs)
    if isinstance(res, QueryBoolean):
        return ("ASK", bool(res))
    if isinstance(res, QueryTriples):
        return (form if form in ("CONSTRUCT", "DESCRIBE") else "CONSTRUCT", list(res))
    keep = [v.value for v in res.variables if v.value not in drop]
    rows = [tuple(sol[v] for v in keep) for sol in res]
    return ("SELECT", tuple(keep), rows)
