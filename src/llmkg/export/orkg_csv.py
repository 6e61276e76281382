"""ORKG's CSV import format: one row per paper/contribution.

The header follows the rules of ORKG's CSV import (orkg-frontend ``csv-import`` and its
help page; see docs/exports.md):

* the paper columns ``paper:title``, ``paper:authors`` (names separated by ``;``),
  ``paper:publication_month``, ``paper:publication_year``, ``paper:research_field`` (an
  ORKG research-field id), ``paper:doi``, ``paper:url``, ``paper:published_in``, then
  ``contribution:research_problem``;
* one column per comparison property, headed by its ORKG label (``model family``,
  ``date created``...), in the order of the ORKG comparison of LLMs;
* ``resource:`` before the label where the values are resources (a resource is looked
  up by its label in ORKG, or created);
* a ``<type>`` suffix where a literal's datatype matters: on the header when the whole
  column has one datatype (``has source code<url>``), else on the cells
  (``2019-02-01<date>``, ``2048<text>`` for a text ORKG would otherwise read as a number);
* a cell ``orkg:R…`` is an existing ORKG resource;
* several values of one property are repeated columns with the same header (ORKG's
  importer collects the cells of same-named columns);
* a last column ``orkg:SAME_AS`` links the new contribution to the ORKG contribution the
  source already names (``orkg:R370538``), where there is one.

Rows: the contributions of one source graph (``awesome-llms`` by default) that have a
paper, sorted by paper and contribution IRI.
"""

from __future__ import annotations

import csv
import io
import re

from ._orkg import (COLUMNS, RESEARCH_FIELD_ID, XSD, XSD_ANYURI, Contribution, Paper, Value,
                    view)

PAPER_COLUMNS = ["paper:title", "paper:authors", "paper:publication_month", "paper:publication_year",
                 "paper:research_field", "paper:doi", "paper:url", "paper:published_in"]
PROBLEM_COLUMN = "contribution:research_problem"
SAME_AS_COLUMN = "orkg:SAME_AS"

#: ORKG's CSV data type names (orkg-frontend constants/DataTypes), lower case as its
#: importer matches them, for the XSD datatypes we write
ORKG_TYPE = {
    XSD + "integer": "integer",
    XSD + "decimal": "decimal",
    XSD + "double": "decimal",
    XSD + "date": "date",
    XSD_ANYURI: "url",
    XSD + "boolean": "boolean",
}

# what ORKG's importer would take a plain cell for (its type guess by value)
_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")
_BOOLEAN = re.compile(r"^(true|false)$", re.I)
_ISO_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?([T ].*)?$")
_URL = re.compile(r"^(https?|ftp)://\S+$", re.I)
_TYPED = re.compile(r"^(.*?)<(.*?)>$", re.S)
_PREFIXED = re.compile(r"^(orkg|resource):", re.I)


def orkg_type(v: Value) -> str:
    """The ORKG type name of a literal (``text`` for strings and for what ORKG lacks)."""
    return ORKG_TYPE.get(v.datatype, "text")


def guessed_as_other(text: str) -> bool:
    """True when ORKG would read this plain text as something other than text."""
    return bool(_NUMBER.match(text) or _BOOLEAN.match(text) or _ISO_DATE.match(text) or _URL.match(text)
                or _TYPED.match(text) or _PREFIXED.match(text))


class Column:
    def __init__(self, label: str, values: list[list[Value]]):
        self.label = label
        flat = [v for vals in values for v in vals]
        self.width = max([len(vals) for vals in values] + [1])
        self.resource = any(v.resource for v in flat)
        types = {orkg_type(v) for v in flat if not v.resource}
        self.type = types.pop() if len(types) == 1 and not self.resource else None
        if self.type == "text":
            self.type = None
        if self.type == "date" and any(v.datatype != XSD + "date" for v in flat):
            self.type = None   # xsd:gYearMonth / gYear: ORKG has no such type; cells say so

    def header(self) -> str:
        h = ("resource:" if self.resource else "") + self.label
        return h + (f"<{self.type}>" if self.type else "")

    def cell(self, v: Value) -> str:
        if v.resource:
            return f"orkg:{v.orkg_id}" if v.orkg_id else v.text
        if self.type:
            return v.text
        t = orkg_type(v)
        if v.datatype in (XSD + "gYearMonth", XSD + "gYear"):
            t = "text"
        if t == "text":
            return v.text + "<text>" if guessed_as_other(v.text) else v.text
        return f"{v.text}<{t}>"


def table(src) -> list[list[str]]:
    """The header row and one row per contribution."""
    v = view(src)
    rows = v.contributions()
    problems = Column(PROBLEM_COLUMN, [c.texts.get("research problem", []) for _p, c in rows])
    columns = [Column(label, [c.texts.get(label, []) for _p, c in rows])
               for label in COLUMNS if label != "research problem"]
    same_as = any(c.orkg_id for _p, c in rows)
    header = list(PAPER_COLUMNS) + [PROBLEM_COLUMN] * problems.width
    for col in columns:
        header += [col.header()] * col.width
    if same_as:
        header.append(SAME_AS_COLUMN)
    out = [header]
    for paper, c in rows:
        out.append(_row(paper, c, problems, columns, same_as))
    return out


def _row(p: Paper, c: Contribution, problems: Column, columns: list[Column], same_as: bool) -> list[str]:
    row = [p.source_title or p.title, "; ".join(p.authors), str(p.month) if p.month else "", str(p.year) if p.year else "",
           RESEARCH_FIELD_ID, p.doi or "", p.url or "", p.venue or ""]

    def cells(col: Column, values: list[Value]) -> list[str]:
        got = [col.cell(v) for v in values]
        return got + [""] * (col.width - len(got))

    row += cells(problems, c.texts.get("research problem", []))
    for col in columns:
        row += cells(col, c.texts.get(col.label, []))
    if same_as:
        row.append(f"orkg:{c.orkg_id}" if c.orkg_id else "")
    return row


def write(src, out) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerows(table(src))
    out.write(buf.getvalue().encode("utf-8"))
