"""The registry of canned queries: ``queries/*.rq`` files, their comment front matter
(title, description, typed parameters, view, column titles; docs/queries.md) and the query
form.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any


from . import scan as _scan
from ..errors import LlmkgError, QueryError
from .binding import parse_param_value

PARAM_TYPES = ("iri", "string", "integer", "decimal", "date", "year", "boolean")
VIEWS = ("table", "bar", "bar-log", "line", "timeline", "scatter", "scatter-log")
CHART_OPTIONS = ("x", "y", "label", "series")

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
# The SPARQL tokenizer (llmkg.query.scan, shared with the web endpoint): the query form,
# dataset clauses and the variables outside strings, IRIs and comments (for the header
# checks, execute() and render()).
# =========================================================================================

_tokens = _scan.tokens


def query_form(text: str) -> str | None:
    """``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``: the first query keyword."""
    return _scan.query_form(text)
