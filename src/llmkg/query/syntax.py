"""Oxigraph's SPARQL syntax errors, said in words.

Oxigraph reports where its parser stopped and every token it would have taken there,
character classes included: ``error at 1:28: expected one of Prefix not found, ['%'],
['-' | '0' ..= '9' | '\\u{00B7}' ...``. :func:`readable` turns that into one line a person
reads: ``line 1, column 28: unknown prefix 'foo:' (known: llmkg:, model:, ...)`` or
``line 1, column 26 (the end of the query): expected '}' or a name``.
"""

from __future__ import annotations

import re
from typing import Mapping

_AT = re.compile(r"error at (\d+):(\d+): (.*)", re.S)
_DECLARED = re.compile(r"(?i)\bPREFIX\s+([A-Za-z][\w.-]*)?:")
_PNAME_BEFORE = re.compile(r"([A-Za-z][\w.-]*)?:[\w.\-%\\]*$")
_WORDS = (("'A' ..= 'Z'", "a name"), ("'0' ..= '9'", "a number"), ("'\"'", "a string"),
          ("'?'", "a variable"), ("'<'", "an IRI"))


def readable(message: str, sparql: str, prefixes: Mapping[str, str] | None = None) -> str:
    """Oxigraph's syntax error ``message`` about ``sparql`` as one line in words
    (``prefixes``: those predeclared for the query). A message it cannot read comes back
    as it was."""
    m = _AT.match(message.strip())
    if m is None:
        return message
    line, col, rest = int(m.group(1)), int(m.group(2)), m.group(3)
    where = f"line {line}, column {col}"
    lines = sparql.split("\n")
    text_line = lines[line - 1] if 0 < line <= len(lines) else ""
    known_names = set(prefixes or {}) | {p or "" for p in _DECLARED.findall(sparql)}
    bare = re.sub(r'<[^>\s]*>|"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|#.*', " ", text_line)
    unknown = [n for n in re.findall(r"(?<![\w?$:.-])([A-Za-z][\w.-]*)?:(?=[\w%\\]|\s|$)", bare)
               if n not in known_names and not (n or "").upper() == "PREFIX"]
    if "Prefix not found" in rest or unknown:
        name = unknown[0] if unknown else _name_at(text_line, col)
        known = sorted(known_names)
        shown = ", ".join(f"{p}:" for p in known[:12]) + (", ..." if len(known) > 12 else "")
        return (f"{where}: unknown prefix '{name}:' (known: {shown or 'none'}; "
                f"declare it with PREFIX {name}: <...>)")
    expected = _expected(rest)
    start = _offset(lines, line, col)
    if not sparql[start:].strip():
        where += " (the end of the query)"
        head = ""
    else:
        head = f"near '{text_line[max(col - 16, 0):col + 8].strip()}'"
    out = where + ": " + "; ".join(x for x in (head, f"expected {expected}" if expected else "") if x)
    slash = re.search(r"(?<![\w<])([A-Za-z][\w.-]*):([\w.-]+/[^\s>]*)", text_line)
    if slash and (slash.group(1) in (prefixes or {}) or slash.group(1) in _DECLARED.findall(sparql)):
        out += (f" (a prefixed name cannot hold '/': {slash.group(0)} is not SPARQL; write "
                f"the full IRI or a prefix per kind, such as model:gpt-3)")
    return out


def _name_at(text_line: str, col: int) -> str:
    """The prefix of the prefixed name that ends at (or, the parser having stopped after it,
    starts at) column ``col``."""
    pm = _PNAME_BEFORE.search(text_line[:max(col - 1, 0)]) or \
        re.search(r"([A-Za-z][\w.-]*)?:[\w.\-%\\]*", text_line[max(col - 1, 0):])
    return (pm.group(1) or "") if pm else ""


def _offset(lines: list[str], line: int, col: int) -> int:
    return sum(len(l) + 1 for l in lines[:line - 1]) + max(col - 1, 0)


def _expected(rest: str) -> str:
    """"expected one of ..." as a short list: the tokens (quoted), the keywords, and words
    for the character classes ("a name", "a number")."""
    m = re.match(r"expected (?:one of )?(.*)", rest, re.S)
    if m is None:
        return ""
    items: list[str] = []
    depth, cur = 0, ""
    parts = []
    quoted = False
    for ch in m.group(1):   # split at the commas outside [...] and "..."
        if ch == '"' and depth == 0:
            quoted = not quoted
        depth += ch == "[" and not quoted
        depth -= ch == "]" and not quoted
        if ch == "," and depth == 0 and not quoted:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    parts.append(cur.strip())
    for part in parts:
        if part.startswith('"') and part.endswith('"') and len(part) > 2:
            word = f"'{part[1:-1]}'"
        elif part.startswith("["):
            word = next((w for pat, w in _WORDS if pat in part), None)
        elif part and part != "Prefix not found":
            word = part
        else:
            word = None
        if word and word not in items:
            items.append(word)
    if not items:
        return ""
    if len(items) > 10:
        items = items[:9] + ["..."]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
