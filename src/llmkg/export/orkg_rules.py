"""The rules ORKG's backend applies to a paper CSV before it imports it: a checker that the
``orkg-csv`` export runs on every file it writes, and that tests run on known-bad files.

Written from orkg-backend's data-import module (``Schemes.paperCSV``,
``SchemaBasedCSVRecordParser``, ``PaperCSVRecordParser``; ORKG imports a CSV through
``POST /api/csvs``, then a validation job, then an import job):

* every header and cell is read as ``[namespace:]value[<type>]``;
* header namespaces: ``paper`` and ``contribution`` are closed (only the columns below,
  each at most once: a repeated ``contribution:research_problem`` rejects the file),
  ``orkg`` names an existing predicate by id (``orkg:P32``), ``resource`` makes the column's
  cells resources; any other namespace is an error;
* types are ``text decimal integer boolean date url`` only (``<resource>`` is not one);
* cell namespaces: ``orkg:R…`` is an existing thing (an id), ``resource:`` a resource;
* ``paper:doi`` must be a DOI (``10.<registrant>/<suffix>``), ``paper:research_field`` an
  id and present on every row, ``paper:title`` present (ORKG takes it from the DOI's
  metadata when it finds any, but we do not rely on that), months and years integers;
* every row has as many cells as the header.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

_VALUE = re.compile(r"^(?:([\w-]+):)?([\s\S]*?)(?:<([^\n]+)>)?$")
TYPES = ("text", "decimal", "integer", "boolean", "date", "url")
CLOSED = {
    "paper": {"title": "text", "doi": "text", "authors": "text", "publication_month": "integer",
              "publication_year": "integer", "research_field": "research field", "url": "url",
              "published_in": "venue"},
    "contribution": {"research_problem": "problem", "extraction_method": "text"},
}
HEADER_NAMESPACES = ("paper", "contribution", "orkg", "resource")
VALUE_NAMESPACES = ("orkg", "resource")
EXTRACTION_METHODS = ("AUTOMATIC", "MANUAL", "UNKNOWN")
THING_ID = re.compile(r"^[a-zA-Z0-9:_-]+$")
DOI = re.compile(r"^10(?:\.[1-9]\d*)+/\S+$")
_INTEGER = re.compile(r"^[-+]?\d+$")
_DECIMAL = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")


def parse(text: str) -> tuple[str | None, str | None, str | None]:
    """``(namespace, value, type)`` as ORKG reads a header or a cell.

    >>> parse("resource:has model")
    ('resource', 'has model', None)
    >>> parse("has source code<url>")
    (None, 'has source code', 'url')
    >>> parse("orkg:R370538")
    ('orkg', 'R370538', None)
    """
    m = _VALUE.match(text)
    assert m is not None   # the pattern matches every string
    return m.group(1), m.group(2) or None, m.group(3)


def _valid(value: str, type_: str) -> bool:
    if type_ == "integer":
        return bool(_INTEGER.match(value))
    if type_ == "decimal":
        return bool(_DECIMAL.match(value))
    if type_ == "boolean":
        return value.lower() in ("true", "false")
    if type_ == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            return False
        return bool(re.match(r"^\d{4}-\d{2}-\d{2}$", value))
    if type_ == "url":
        return bool(_IRI.match(value))
    return True


def check_paper_csv(text: str) -> list[str]:
    """Every rule of ORKG's paper CSV import that ``text`` breaks, as messages naming the
    row (1 is the header) and column (from 1); empty when ORKG would accept the file."""
    problems: list[str] = []
    table = list(csv.reader(io.StringIO(text)))
    if not table or not table[0]:
        return ["the file has no header"]
    header = table[0]
    heads: list[tuple[str | None, str | None]] = []
    head_types: list[str | None] = []
    seen: dict[str, int] = {}
    for col, h in enumerate(header, start=1):
        ns, value, type_ = parse(h)
        where = f"row 1, column {col} ({h!r})"
        heads.append((ns, value))
        head_types.append(type_)
        if value is None:
            problems.append(f"{where}: a blank header")
            continue
        value = value.strip()
        if ns is not None and ns not in HEADER_NAMESPACES:
            problems.append(f"{where}: unknown namespace {ns!r}")
        if type_ is not None and type_ not in TYPES:
            problems.append(f"{where}: unknown type {type_!r} (ORKG's are {', '.join(TYPES)})")
        if ns in CLOSED:
            if value not in CLOSED[ns]:
                problems.append(f"{where}: {ns}:{value} is not one of ORKG's {ns} columns")
            elif f"{ns}:{value}" in seen:
                problems.append(f"{where}: {ns}:{value} repeats column {seen[f'{ns}:{value}']} "
                                f"(ORKG rejects a repeated {ns}: column)")
            else:
                seen[f"{ns}:{value}"] = col
        if ns == "orkg" and not THING_ID.match(value):
            problems.append(f"{where}: {value!r} is not an ORKG predicate id")
    if "paper:research_field" not in seen:
        problems.append("row 1: no paper:research_field column (ORKG requires a research field on every paper)")
    if "paper:title" not in seen and "paper:doi" not in seen:
        problems.append("row 1: no paper:title column")
    for line, row in enumerate(table[1:], start=2):
        if len(row) != len(header):
            problems.append(f"row {line}: {len(row)} cells, the header has {len(header)}")
            continue
        cells = {}
        for col, (cell, (hns, hvalue)) in enumerate(zip(row, heads), start=1):
            ns, value, type_ = parse(cell)
            where = f"row {line}, column {col} ({header[col - 1]!r})"
            if hvalue is not None:
                cells[f"{hns}:{hvalue.strip()}" if hns in CLOSED else None] = value
            if value is None:
                continue
            value = value.strip()
            if type_ is not None and type_ not in TYPES:
                problems.append(f"{where}: unknown type {type_!r} (ORKG's are {', '.join(TYPES)})")
                continue
            if ns == "orkg" and not THING_ID.match(value):
                problems.append(f"{where}: {value!r} is not an ORKG id")
                continue
            if ns == "orkg" or ns == "resource":
                continue
            if ns is not None:       # not a namespace ORKG knows: the text is kept whole
                value = f"{ns}:{value}"
            expected = CLOSED.get(hns or "", {}).get((hvalue or "").strip()) or head_types[col - 1]
            if expected in TYPES and type_ is None:
                type_ = expected
            if type_ is not None and not _valid(value, type_):
                problems.append(f"{where}: {value!r} is not a valid {type_}")
            if hns == "paper" and hvalue == "doi" and not DOI.match(value):
                problems.append(f"{where}: {value!r} is not a DOI")
            if hns == "paper" and hvalue == "research_field" and not THING_ID.match(value):
                problems.append(f"{where}: {value!r} is not a research field id")
            if hns == "contribution" and hvalue == "extraction_method" and value.upper() not in EXTRACTION_METHODS:
                problems.append(f"{where}: {value!r} is not an extraction method")
        if "paper:research_field" in seen and not cells.get("paper:research_field"):
            problems.append(f"row {line}: no research field (ORKG requires one)")
        if ("paper:title" in seen or "paper:doi" in seen) and not cells.get("paper:title") and not cells.get("paper:doi"):
            problems.append(f"row {line}: no title")
    return problems
