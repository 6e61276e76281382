"""The SPARQL tokenizer of :mod:`llmkg.sparqlscan`, alone: the token regex, the query form and
the dataset clause. It imports nothing but :mod:`re`, so that the fast start of ``llmkg query``
(:mod:`llmkg.fastcli`) can use it; :mod:`llmkg.sparqlscan` re-exports everything here.
"""

from __future__ import annotations

import re

# The name characters are written as negated classes: [A-Za-z0-9_\u00B7\u00C0-\U000EFFFF] (var),
# [A-Za-z0-9_\u00C0-\U000EFFFF] (a word's first character) and [A-Za-z0-9_\-.:%\u00B7
# \u00C0-\U000EFFFF] (the rest, besides PN_LOCAL_ESC's backslash escapes) as the complements
# of those sets. They match the same
# characters (tests/test_cli_fast.py checks every code point), but Python compiles a class
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
    none, e.g. an update)."""
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
