"""A fast reader for the plain YAML record files are written in, giving PyYAML's result.

``parse(text)`` returns what :func:`llmkg.records.read.parse_yaml` returns for the same text (the
data: strings, None, lists, dicts; and the line of every key and item) or None when the text
uses anything beyond a plain subset, and then the caller uses PyYAML. The subset: block
mappings and sequences indented with spaces, plain scalars (also over several lines),
single-quoted scalars and double-quoted ones without escapes on one line, flow sequences of
such scalars on one line, comments and blank lines. Anything else (anchors, tags, block
scalars, flow mappings, multi-line quoted scalars, duplicate keys, tabs, document markers,
quoted keys, a comment inside a plain scalar, ...) gives None.

Every record is read with it first (:func:`llmkg.records.read.parse_yaml`). Measured on the 20,008
files of ``python -m bench.generate 20000 --seed 1``: 1.27 s against 2.00 s for PyYAML's C
loader with the same line tracking (1.58x; 241 files fall back to PyYAML), which builds a
Python node object per scalar; at 100,000 records that is about 3.6 s of compile time saved.
tests/test_incremental.py checks it against PyYAML on every record file of the shipped and
the generated data.
"""

from __future__ import annotations

import re

# what PyYAML reads otherwise: tabs, other line breaks, characters it refuses, a BOM
_UNSAFE = re.compile("[\t\r\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")
# a key and the spaces after its colon, as this pattern reads them; _key does it faster
KEY_PATTERN = re.compile(r"([^\s'\"#\[\]{}&*!|>%@`,?:-][^#]*?|-[^\s#][^#]*?):(?: +|$)")
_KEY_BAD_START = frozenset("'\"#[]{}&*!|>%@`,?:-")
_NULLS = frozenset(("~", "null", "Null", "NULL", ""))
_BAD_START = frozenset("[]{}#&*!|>'\"%@`,?:")
_BAD_CONTINUATION = frozenset("[]{}&*!|>'\"%@`,#")


class _Bail(Exception):
    pass


def _key(content: str):
    """``(key, end)`` for ``m = KEY_PATTERN.match(content)``: ``(m.group(1), m.end())``, or
    None when it does not match. The pattern's key ends at the first colon followed by a
    space or the end of the line (the second for a key that would be ``-`` alone), holds no
    ``#``, and does not start with a space or an indicator (but ``-`` followed by something
    else than a space or ``#``); tests/test_incremental.py compares the two."""
    i = content.find(": ")
    if i < 0:
        if content[-1:] != ":":
            return None
        i = len(content) - 1
    key = content[:i]
    if key == "-":   # too short for the pattern: its key goes on to the next colon
        j = content.find(": ", i + 1)
        if j < 0:
            if content[-1:] != ":" or len(content) - 1 <= i:
                return None
            j = len(content) - 1
        i, key = j, content[:j]
    if not key or "#" in key:
        return None
    c = key[0]
    if (c in _KEY_BAD_START or c.isspace()) and \
            (c != "-" or len(key) < 2 or key[1] == "#" or key[1].isspace()):
        return None
    j, n = i + 1, len(content)
    while j < n and content[j] == " ":
        j += 1
    return key, j


def parse(text: str, nulls: bool = False):
    """(data, lines) for ``text``, or None when it is not in the plain subset. ``nulls``:
    whether a plain ``~``, ``null`` or empty value is None (PyYAML's pure-Python loader) or
    stays text (its C loader, whose plain scalars have style '' and so never read as null)."""
    # (for ASCII text, the unsafe characters are the unprintable ones but the line break:
    # a line at a time, that test is much faster than the pattern's search)
    ascii = text.isascii()
    if not ascii and _UNSAFE.search(text):
        return None
    items = []  # (line number, indent, content); blank lines get indent -1, comments -2
    n = 0
    for raw in text.split("\n"):
        n += 1
        if ascii and not raw.isprintable():
            return None
        stripped = raw.lstrip(" ")
        if not stripped:
            items.append((n, -1, ""))
        elif stripped[0] == "#":
            items.append((n, -2, ""))
        else:
            if raw.startswith(("---", "...")):
                return None
            items.append((n, len(raw) - len(stripped), stripped.rstrip(" ")))
    p = _Parser(items, nulls)
    try:
        first = p.peek()
        if first is None or first[1] != 0:
            return None
        lines: dict = {(): first[0]}
        data = p.mapping(0, (), lines)
        if p.peek() is not None:
            return None
    except _Bail:
        return None
    return data, lines


class _Parser:
    __slots__ = ("items", "i", "n", "nulls")

    def __init__(self, items, nulls):
        self.items = items
        self.i = 0
        self.n = len(items)
        self.nulls = nulls

    def peek(self):
        items, i, n = self.items, self.i, self.n
        while i < n and items[i][1] < 0:
            i += 1
        self.i = i
        return items[i] if i < n else None

    def mapping(self, indent, path, lines, first=None):
        """A block mapping whose keys are at ``indent`` (``first``: its first line, read)."""
        out: dict = {}
        while True:
            if first is not None:
                line, content = first
                first = None
            else:
                it = self.peek()
                if it is None or it[1] < indent:
                    return out
                if it[1] > indent:
                    raise _Bail
                line, _ind, content = it
                self.i += 1
            m = _key(content)
            if m is None or content.startswith("- "):
                raise _Bail
            key, end = m
            if key in out or ": " in key or " #" in key or key[-1] == " ":
                raise _Bail
            kpath = path + (key,)
            out[key] = self.value(content[end:], indent, line, kpath, lines)
            lines[kpath] = line

    def value(self, rest, indent, line, path, lines):
        """The value after ``key:`` (``rest``: what follows it on the key's line)."""
        if rest == "" or rest[0] == "#":
            it = self.peek()
            if it is not None:
                nl, nind, nc = it
                if nind > indent:
                    if nc[0] == "-" and (len(nc) == 1 or nc[1] == " "):
                        return self.sequence(nind, path, lines)
                    self.i += 1
                    return self.mapping(nind, path, lines, first=(nl, nc))
                if nind == indent and nc[0] == "-" and (len(nc) == 1 or nc[1] == " "):
                    return self.sequence(indent, path, lines)  # a sequence may sit at its key's indent
            return None if self.nulls else ""  # an empty value
        return self.scalar(rest, indent, path, lines, line)

    def scalar(self, rest, indent, path, lines, line):
        c = rest[0]
        if c == "[":
            return self.flow(rest, path, lines, line)
        if c == "'":
            return self.single(rest, indent)
        if c == '"':
            return _double(rest)
        if c in _BAD_START or (c == "-" and (len(rest) == 1 or rest[1] == " ")):
            raise _Bail
        return self.plain(rest, indent)

    def sequence(self, indent, path, lines):
        """A block sequence whose ``-`` are at ``indent``."""
        out: list = []
        while True:
            it = self.peek()
            if it is None or it[1] < indent:
                return out
            line, ind, content = it
            if content[0] != "-" or (len(content) > 1 and content[1] != " "):
                if ind == indent:
                    return out  # the next key of the mapping the sequence sits in
                raise _Bail
            if ind > indent:
                raise _Bail
            self.i += 1
            rest = content[1:].lstrip(" ")
            if rest == "" or rest[0] == "#":
                raise _Bail
            ipath = path + (len(out),)
            lines[ipath] = line
            if rest[0] not in "'\"[" and _key(rest) is not None:
                # "- key: value": a mapping whose keys are at the column of "key"
                out.append(self.mapping(ind + len(content) - len(rest), ipath, lines, first=(line, rest)))
            else:
                out.append(self.scalar(rest, ind, ipath, lines, line))

    def plain(self, rest, indent):
        j = rest.find(" #")
        if j >= 0:
            rest = rest[:j].rstrip(" ")
        if ": " in rest or rest[-1] == ":":
            raise _Bail
        parts = None
        blanks = 0
        items, i, n = self.items, self.i, self.n
        while i < n:
            _line, ind, content = items[i]
            if ind == -1:
                blanks += 1
                i += 1
                continue
            if ind <= indent:  # the next key, item, or a comment (-2): the scalar ends
                break
            if content[0] in _BAD_CONTINUATION or ": " in content or content[-1] == ":" \
                    or " #" in content or content.startswith("- "):
                raise _Bail
            if parts is None:
                parts = [rest]
            parts.append("\n" * blanks if blanks else " ")
            parts.append(content)
            blanks = 0
            i += 1
        if i < n and items[i][1] == -2 and parts is not None:
            raise _Bail  # a comment right after a multi-line scalar: not copied
        self.i = i
        value = rest if parts is None else "".join(parts)
        return None if self.nulls and value in _NULLS else value

    def single(self, rest, indent):
        """A single-quoted scalar, folded over its lines as PyYAML folds them."""
        done = _close_single(rest[1:])
        if done is not None:
            text, after = done
            after = after.lstrip(" ")
            if after and after[0] != "#":
                raise _Bail
            return text
        if rest.endswith("''") or rest.endswith("'") and len(rest) > 1:
            raise _Bail
        parts = [rest[1:].rstrip(" ").replace("''", "'")]
        blanks = 0
        items, i, n = self.items, self.i, self.n
        while i < n:
            _line, ind, content = items[i]
            i += 1
            if ind == -1:
                blanks += 1
                continue
            if ind <= indent:  # (a comment line, -2, is text inside quotes: not copied)
                raise _Bail
            done = _close_single(content)
            parts.append("\n" * blanks if blanks else " ")
            blanks = 0
            if done is None:
                parts.append(content.replace("''", "'"))
                continue
            text, after = done
            after = after.lstrip(" ")
            if after and after[0] != "#":
                raise _Bail
            parts.append(text)
            self.i = i
            return "".join(parts)
        raise _Bail

    def flow(self, rest, path, lines, line):
        end = rest.rfind("]")
        if end < 0:
            raise _Bail
        after = rest[end + 1:].lstrip(" ")
        if after and after[0] != "#":
            raise _Bail
        inner = rest[1:end]
        if any(ch in inner for ch in "[]{}#&*!|>%@`\\"):
            raise _Bail
        out: list = []
        if inner.strip(" ") == "":
            return out
        for raw in _split_flow(inner):
            item = raw.strip(" ")
            if item == "":
                raise _Bail
            c = item[0]
            if c == "'":
                if len(item) < 2 or item[-1] != "'" or "'" in item[1:-1].replace("''", ""):
                    raise _Bail
                val = item[1:-1].replace("''", "'")
            elif c == '"':
                if len(item) < 2 or item[-1] != '"' or '"' in item[1:-1]:
                    raise _Bail
                val = item[1:-1]
            else:
                if ": " in item or item[-1] == ":" or c in _BAD_START or (c == "-" and (len(item) == 1 or item[1] == " ")):
                    raise _Bail
                val = None if self.nulls and item in _NULLS else item
            lines[path + (len(out),)] = line
            out.append(val)
        return out


def _close_single(body: str):
    """(text, rest after the closing quote) of a single-quoted scalar's line, or None when
    the quote does not close on it (``''`` is a quote)."""
    out = []
    while True:
        j = body.find("'")
        if j < 0:
            return None
        out.append(body[:j])
        if body[j + 1:j + 2] == "'":
            out.append("'")
            body = body[j + 2:]
            continue
        return "".join(out), body[j + 1:]


def _double(rest: str) -> str:
    body = rest[1:]
    j = body.find('"')
    if j < 0 or "\\" in body[:j]:
        raise _Bail
    after = body[j + 1:].lstrip(" ")
    if after and after[0] != "#":
        raise _Bail
    return body[:j]


def _split_flow(inner: str) -> list[str]:
    """The items of a flow sequence's content: split on commas outside quotes."""
    if "'" not in inner and '"' not in inner:
        out = inner.split(",")
    else:
        out, cur, quote, i = [], [], None, 0
        while i < len(inner):
            ch = inner[i]
            if quote:
                cur.append(ch)
                if ch == quote:
                    if quote == "'" and inner[i + 1:i + 2] == "'":
                        cur.append("'")
                        i += 1
                    else:
                        quote = None
            elif ch in "'\"" and "".join(cur).strip(" ") == "":
                quote = ch
                cur.append(ch)
            elif ch == ",":
                out.append("".join(cur))
                cur = []
            else:
                cur.append(ch)
            i += 1
        if quote:
            raise _Bail
        out.append("".join(cur))
    if len(out) > 1 and out[-1].strip(" ") == "":
        out.pop()  # a trailing comma
    return out


_NULLS_READ: dict = {}


def parse_yaml(text: str, file: str, fallback):
    """``fallback``'s result (``records.parse_yaml``): from :func:`parse` when it can."""
    nulls = _NULLS_READ.get(fallback)
    if nulls is None:  # how does this PyYAML read a plain null? (C and Python loaders differ)
        nulls = _NULLS_READ[fallback] = fallback("k: ~\n", "probe")[0] == {"k": None}
    done = parse(text, nulls)
    if done is None:
        return fallback(text, file)
    data, lines = done
    return data, lines, []
