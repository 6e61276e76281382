"""A SPARQL tokenizer, and the checks made on a query's text before it reaches Oxigraph.

It is not a parser: it splits the text into tokens the way the SPARQL grammar's terminals
do (strings, IRIs, comments, variables, prefixed names, keywords, punctuation), so that a
keyword inside a string, an IRI or a comment is never mistaken for one. That is enough for:

* the query form (``SELECT``/``ASK``/``CONSTRUCT``/``DESCRIBE``): :func:`query_form`, and
  the endpoint's negotiation of a format before anything runs;
* a dataset clause (``FROM``/``FROM NAMED``), which decides the default graph:
  :func:`has_dataset` (:func:`llmkg.query.local` uses the union of all graphs only
  when the query has none and the caller names no graphs);
* ``SERVICE`` clauses: the IRI each one calls, with ``PREFIX``/``BASE`` and ``\\u``
  escapes resolved, so that the endpoint refuses calls to other hosts (Oxigraph would
  make them);
* functions whose value changes on each call (``NOW()``, ``RAND()``...): such results are
  not cached;
* for updates, ``USING``/``WITH`` (a conflict with ``using-graph-uri``) and where to add
  ``USING`` clauses for the protocol's dataset parameters;
* the variables of a query and :func:`llmkg.query.render`'s rewriting of bound ones.

Oxigraph does not process ``\\u`` escapes outside strings and IRIs (a query that uses one
there is a syntax error), so a keyword cannot hide behind an escape.

Shared by :mod:`llmkg.query` (the CLI) and :mod:`llmkg.web` (the endpoint); it imports
only the standard library and :mod:`llmkg.vocab`.

Why a tokenizer of our own beside Oxigraph's parser: pyoxigraph does not expose its parsed
query, and these checks must be made before a query runs (a SERVICE to another host must
never be attempted, an update never run without the token). It is not there for speed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence
from urllib.parse import urljoin

from ..vocab import PREFIXES

# The name characters are written as negated classes: [A-Za-z0-9_\u00B7\u00C0-\U000EFFFF] (var),
# [A-Za-z0-9_\u00C0-\U000EFFFF] (a word's first character) and [A-Za-z0-9_\-.:%\u00B7
# \u00C0-\U000EFFFF] (the rest, besides PN_LOCAL_ESC's backslash escapes) as the complements
# of those sets. They match the same
# characters (tests/test_sparqlscan.py checks every code point), but Python compiles a class
# holding the range \u00C0-\U000EFFFF by walking its 65,000 BMP code points, which took
# ~25 ms of every `llmkg query`'s start; the complements compile in ~1 ms.
# Whitespace and comments are the grammar's exactly: WS is space, tab, CR and LF (nothing else
# separates tokens for Oxigraph), and a comment ends at CR or LF.
_TOKEN_RE = re.compile(r"""
    (?P<ws>[\ \t\r\n]+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
              |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)
  | (?P<var>[?$][^\x00-\x2F\x3A-\x40\x5B-\x5E\x60\x7B-\xB6\xB8-\xBF\U000F0000-\U0010FFFF]+)
  | (?P<word>[^\x00-\x2F\x3A-\x40\x5B-\x5E\x60\x7B-\xBF\U000F0000-\U0010FFFF]
             (?:[^\x00-\x24\x26-\x2C\x2F\x3B-\x40\x5B-\x5E\x60\x7B-\xB6\xB8-\xBF\U000F0000-\U0010FFFF]
               |\\[_~.\-!$&'()*+,;=/?\#@%])*
           |:(?:[^\x00-\x24\x26-\x2C\x2F\x3B-\x40\x5B-\x5E\x60\x7B-\xB6\xB8-\xBF\U000F0000-\U0010FFFF]
               |\\[_~.\-!$&'()*+,;=/?\#@%])*
           |\^\^|@[A-Za-z0-9-]+)
  | (?P<punct>.)
""", re.VERBOSE | re.DOTALL)

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def _raw_tokens(text: str, keep_blank: bool):
    """(kind, value, start) tuples; the fast path of :func:`tokens` (no objects)."""
    out = []
    append = out.append
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup
        if not keep_blank and (kind == "ws" or kind == "comment"):
            continue
        value = m.group()
        if kind == "word" and value[-1] == "." and not value.endswith("\\."):
            stripped = value.rstrip(".")   # a trailing dot ends a triple
            start = m.start()
            if stripped:
                append((kind, stripped, start))
            for i in range(len(stripped), len(value)):
                append(("punct", ".", start + i))
            continue
        append((kind, value, m.start()))
    return out


# A text that starts with its form (no prologue, no comment): the keyword, then a
# character that ends a word token (_TOKEN_RE) and may follow the keyword
_FORM_FIRST = re.compile(r"(SELECT|ASK|CONSTRUCT|DESCRIBE)(?=[\s{*?$(<])", re.IGNORECASE)


def query_form(text: str) -> str | None:
    """``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``: the first query keyword (None:
    none, e.g. an update).

    >>> query_form("PREFIX ex: <http://example.org/> ASK { ?s ex:p ?o }")
    'ASK'
    """
    m = _FORM_FIRST.match(text)
    if m is not None:
        return m.group(1).upper()
    return _query_form_tokens(text)


def _query_form_tokens(text: str) -> str | None:
    for m in _TOKEN_RE.finditer(text):   # lazily: the form comes after the prologue
        if m.lastgroup == "word":
            up = m.group().upper()
            if up in QUERY_FORMS:
                return up
    return None


def has_dataset(text: str) -> bool:
    """Whether the query has a dataset clause (``FROM <g>`` or ``FROM NAMED <g>``).

    ``FROM`` is a keyword only: in a string, an IRI, a comment, a variable (``?from``) or a
    prefixed name (``from:x``) it is not one. SPARQL allows dataset clauses only in the
    outer query, so any ``FROM`` keyword is one.
    """
    if "from" not in text.lower():   # the common case, without tokenizing
        return False
    for kind, value, _start in _raw_tokens(text, False):
        if kind == "word" and value.upper() == "FROM":
            return True
    return False


UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD")
VOLATILE = ("NOW", "RAND", "UUID", "STRUUID", "BNODE")


@dataclass(frozen=True)
class Tok:
    kind: str      # ws comment string iri var word punct
    value: str
    start: int


def tokens(text: str) -> list[Tok]:
    """All tokens of ``text``, whitespace and comments included (they join back to it)."""
    return [Tok(*t) for t in _raw_tokens(text, True)]


def significant(text: str) -> list[Tok]:
    """The tokens of ``text`` without whitespace and comments."""
    return [Tok(*t) for t in _raw_tokens(text, False)]


_UESC = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _unescape_iri(s: str) -> str:
    return _UESC.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), s)


@dataclass
class Scan:
    """What the endpoint needs to know about a request's SPARQL text."""

    form: str | None                 # SELECT ASK CONSTRUCT DESCRIBE, or None
    is_update: bool                  # the first keyword after the prologue is an update one
    has_dataset: bool                # FROM / FROM NAMED
    volatile: bool                   # NOW() RAND() UUID() STRUUID() BNODE()
    services: Sequence[str | None]   # the IRI of each SERVICE; None = a variable or unreadable
    service_spans: Sequence[tuple[int, int]]  # [start, end) of "SERVICE [SILENT] <iri>" in the text
    has_using: bool                  # USING / USING NAMED / WITH (updates)
    where_positions: Sequence[int]   # offsets of the WHERE of DELETE/INSERT operations
    hidden: Sequence[tuple[int, str]] = ()  # (offset, text) of tokens Oxigraph may read as SERVICE
    loads: bool = False              # a LOAD operation (updates)


_KEYWORDS = frozenset(("PREFIX", "BASE", "FROM", "USING", "WITH", "DELETE", "INSERT", "WHERE", "SERVICE")
                      + QUERY_FORMS + UPDATE_KEYWORDS + VOLATILE)


# Words whose absence (even as parts of other words) lets scan() skip the tokenizing
_RARE = ("SERVICE", "FROM", "USING", "WITH", "NOW", "RAND", "UUID", "BNODE") + UPDATE_KEYWORDS
_RARE_RE = re.compile("|".join(map(re.escape, _RARE)))   # all of them, in one search


# The scan of a text without any rare keyword, one per query form: shared (nothing changes
# a Scan), so their lists are empty tuples.
_PLAIN = {form: Scan(form=form, is_update=False, has_dataset=False, volatile=False, services=(),
                    service_spans=(), has_using=False, where_positions=())
         for form in QUERY_FORMS + (None,)}


_pname_re = None


def _strict_pname():
    """PNAME_LN and PNAME_NS of the SPARQL grammar, exactly (compiled on first use: the
    full name classes take ~25 ms to compile)."""
    global _pname_re
    if _pname_re is None:
        base = ("A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF"
                "\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD"
                "\U00010000-\U000EFFFF")
        chars = base + r"_\-0-9" + "\u00B7\u0300-\u036F\u203F-\u2040"
        plx = r"(?:%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"
        prefix = f"(?:[{base}](?:[{chars}.]*[{chars}])?)?"
        local = f"(?:(?:[{base}_:0-9]|{plx})(?:(?:[{chars}.:]|{plx})*(?:[{chars}:]|{plx}))?)?"
        _pname_re = re.compile(f"({prefix}):{local}")
    return _pname_re


_LANGTAG_RE = re.compile(r"@[A-Za-z]+(?:-[A-Za-z0-9]+)*")


def _hides_service(value: str) -> bool:
    """Whether a word token holds the letters SERVICE where Oxigraph's parser could read the
    keyword: anywhere but inside the local part of a well-formed prefixed name or a language
    tag. Oxigraph needs no break between tokens (``1SERVICE``, ``ex:.SERVICE``,
    ``SERVICEp:x`` are a number, a name or a keyword followed by ``SERVICE``), so a word that
    is more than the keyword, and holds it, is refused rather than guessed about."""
    up = value.upper()
    if "SERVICE" not in up or up == "SERVICE":
        return False
    if value.startswith("@"):
        return _LANGTAG_RE.fullmatch(value) is None
    m = _strict_pname().fullmatch(value)
    return m is None or "SERVICE" in m.group(1).upper()


# Tokens after which a "<" may be Oxigraph's less-than, not the start of an IRI
_OPERAND_END = frozenset(("var", "string", "iri"))
_RESCANS = 64   # readings of "<" as an operator tried per text (each a scan of its own)


def scan(text: str, _budget: list[int] | None = None) -> Scan:
    if _RARE_RE.search(text.upper()) is None:
        # no dataset, SERVICE, volatile function or update keyword anywhere: only the form
        return _PLAIN[query_form(text)]
    if _budget is None:
        _budget = [_RESCANS]
    toks = _raw_tokens(text, False)   # (kind, value, start)
    prefixes: dict[str, str] | None = None  # llmkg predefines its prefixes; the query's win
    base: str | None = None
    form = None
    first_kw = None
    has_dataset = has_using = volatile = False
    services: list[str | None] = []
    spans: list[tuple[int, int]] = []
    wheres: list[int] = []
    hidden: list[tuple[int, str]] = []
    loads = False
    depth = parens = 0
    op_has_template = False   # inside an update operation, after DELETE/INSERT {...}
    n = len(toks)
    i = 0
    while i < n:
        kind, value, start = toks[i]
        if kind == "punct":
            if value == "{":
                depth += 1
            elif value == "}":
                depth -= 1
            elif value == "(":
                parens += 1
            elif value == ")":
                parens -= 1
            elif value == ";" and depth == 0:
                op_has_template = False
        elif kind == "iri":
            # Inside parentheses, after an operand, "<" may be a comparison for Oxigraph
            # (?a<?b)...) while the tokenizer read an IRI up to the next ">". If that IRI holds
            # SERVICE, read the text again with this "<" as an operator.
            if parens > 0 and i and "SERVICE" in value.upper() and (
                    toks[i - 1][0] in _OPERAND_END or toks[i - 1][1] == ")"
                    or (toks[i - 1][0] == "word" and toks[i - 1][1].upper() not in _KEYWORDS)):
                if _budget[0] <= 0:
                    hidden.append((start, value))
                else:
                    _budget[0] -= 1
                    other = scan(text[:start] + " " + text[start + 1:], _budget)
                    if other.services or other.hidden:
                        hidden.append((start, value))
        elif kind == "word":
            up = value.upper()
            if up not in _KEYWORDS:
                if _hides_service(value):
                    hidden.append((start, value))
                i += 1
                continue
            if up == "PREFIX" and i + 2 < n and toks[i + 2][0] == "iri":
                name = toks[i + 1][1]
                if name.endswith(":"):
                    iri = _unescape_iri(toks[i + 2][1][1:-1])
                    if prefixes is None:
                        prefixes = dict(PREFIXES)
                    prefixes[name[:-1]] = urljoin(base, iri) if base else iri
                i += 3
                continue
            if up == "BASE" and i + 1 < n and toks[i + 1][0] == "iri":
                iri = _unescape_iri(toks[i + 1][1][1:-1])
                base = urljoin(base, iri) if base else iri
                i += 2
                continue
            if first_kw is None and (up in QUERY_FORMS or up in UPDATE_KEYWORDS or up == "WITH"):
                first_kw = up
            if form is None and up in QUERY_FORMS:
                form = up
            if up == "LOAD":
                loads = True
            elif up == "FROM":
                has_dataset = True
            elif up in ("USING", "WITH"):
                has_using = True
            elif up in VOLATILE and i + 1 < n and toks[i + 1][1] == "(":
                volatile = True
            elif up in ("DELETE", "INSERT") and depth == 0:
                op_has_template = True
            elif up == "WHERE" and depth == 0 and op_has_template:
                prev = toks[i - 1][1].upper() if i else ""
                if prev not in ("DELETE", "INSERT"):   # DELETE WHERE takes no USING
                    wheres.append(start)
            elif up == "SERVICE":
                j = i + 1
                if j < n and toks[j][0] == "word" and toks[j][1].upper() == "SILENT":
                    j += 1
                target: str | None = None
                if j < n:
                    nkind, nvalue, _ = toks[j]
                    if nkind == "iri":
                        iri = _unescape_iri(nvalue[1:-1])
                        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", iri):
                            target = iri
                        elif base:
                            target = urljoin(base, iri)
                    elif nkind == "word" and ":" in nvalue:
                        p, _, local = nvalue.partition(":")
                        known = prefixes if prefixes is not None else PREFIXES
                        if p in known:
                            target = known[p] + re.sub(r"\\(.)", r"\1", local)
                services.append(target)
                end = toks[j][2] + len(toks[j][1]) if j < n else len(text)
                spans.append((start, end))
                i = j + 1
                continue
        i += 1
    return Scan(form=form, is_update=first_kw is not None and first_kw not in QUERY_FORMS,
                has_dataset=has_dataset, volatile=volatile, services=services,
                service_spans=spans, has_using=has_using, where_positions=wheres,
                hidden=hidden, loads=loads)


def strip_services(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with each ``SERVICE [SILENT] <iri>`` removed: its group stays a plain group.

    Used for a ``SERVICE`` that names this endpoint itself: the group is evaluated here.
    """
    out, last = [], 0
    for a, b in spans:
        out.append(text[last:a])
        last = b
    out.append(text[last:])
    return "".join(out)


def add_using(text: str, where_positions: list[int], using: list[str], using_named: list[str]) -> str:
    """Insert ``USING <g>``/``USING NAMED <g>`` before each ``WHERE`` of DELETE/INSERT operations
    (the protocol's ``using-graph-uri``/``using-named-graph-uri``)."""
    if not where_positions or not (using or using_named):
        return text
    clause = "".join(f"USING <{g}> " for g in using) + "".join(f"USING NAMED <{g}> " for g in using_named)
    out, last = [], 0
    for pos in where_positions:
        out.append(text[last:pos])
        out.append(clause)
        last = pos
    out.append(text[last:])
    return "".join(out)
