"""ORKG's CSV import format: one row per paper, for ORKG's backend importer.

The file follows the rules of ORKG's paper CSV import (orkg-backend's data-import module;
see :mod:`.orkg_rules`, which checks every file written, and docs/exports.md):

* the paper columns ``paper:title`` (the curated title), ``paper:authors`` (full author
  lists only, separated by ``;``), ``paper:publication_month``, ``paper:publication_year``,
  ``paper:research_field`` (an ORKG research-field id), ``paper:doi`` (a source's DOI, else
  ``10.48550/arXiv.<id>`` for an arXiv paper), ``paper:url``, ``paper:published_in``, then
  one ``contribution:research_problem`` (ORKG allows one such column; further problems go
  in ``orkg:P32`` columns, ORKG's predicate "has research problem", as resources);
* one column per comparison property, headed by its ORKG label (``model family``,
  ``date created``...) in the order of the ORKG comparison of LLMs: ORKG's importer looks a
  header label up among its predicates and uses the one it finds, so no predicate is
  invented for a label ORKG has;
* ``resource:`` before the label where the values are resources;
* a ``<type>`` suffix (ORKG's ``text decimal integer boolean date url``) where a literal's
  datatype matters: on the header when the whole column has one, else on the cells;
* a row's several models and values are repeated columns with the same header;
* ``license`` holds the license concept (its SPDX id, else its name; nothing for "not
  stated"), ``access level`` whether the license makes the model open, limited or closed;
* ``orkg:SAME_AS`` columns link a contribution to the ORKG contribution a source names.

Rows: the papers of one source graph (``awesome-llms`` by default) with their
contributions, sorted by paper IRI. Papers ORKG already has (a source names their ORKG id)
are left out unless ``include_existing``: ORKG's importer would add their contributions a
second time (it matches an existing paper by DOI or exact title and adds a contribution).
"""

from __future__ import annotations

import csv
import io
import re

from ..errors import LlmkgError
from ._rdf import license_facts
from ._orkg import (COLUMNS, RESEARCH_FIELD_ID, XSD, XSD_ANYURI, Contribution, Paper, Value,
                    view)

PAPER_COLUMNS = ["paper:title", "paper:authors", "paper:publication_month", "paper:publication_year",
                 "paper:research_field", "paper:doi", "paper:url", "paper:published_in"]
PROBLEM_COLUMN = "contribution:research_problem"
MORE_PROBLEMS_COLUMN = "orkg:P32"
SAME_AS_COLUMN = "orkg:SAME_AS"
ACCESS_LABEL = "access level"
NOT_STATED = "/license/not-stated"

#: ORKG's CSV data type names, for the XSD datatypes we write
ORKG_TYPE = {
    XSD + "integer": "integer",
    XSD + "decimal": "decimal",
    XSD + "double": "decimal",
    XSD + "date": "date",
    XSD_ANYURI: "url",
    XSD + "boolean": "boolean",
}

# what ORKG's importer would take a plain cell for (its type guess by value, the
# [namespace:]value[<type>] reading of every cell)
_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")
_BOOLEAN = re.compile(r"^(true|false)$", re.I)
_ISO_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?([T ].*)?$")
_TIME = re.compile(r"^\d{2}:\d{2}(:\d{2})?")
_DURATION = re.compile(r"^-?P(\d|T\d)")
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_TYPED = re.compile(r"^(.*?)<(.*?)>$", re.S)
_PREFIXED = re.compile(r"^(orkg|resource):", re.I)


def orkg_type(v: Value) -> str:
    """The ORKG type name of a literal (``text`` for strings and for what ORKG lacks)."""
    return ORKG_TYPE.get(v.datatype, "text")


def guessed_as_other(text: str) -> bool:
    """True when ORKG would read this plain text as something other than text."""
    return bool(_NUMBER.match(text) or _BOOLEAN.match(text) or _ISO_DATE.match(text) or _TIME.match(text)
                or _DURATION.match(text) or _IRI.match(text) or _TYPED.match(text) or _PREFIXED.match(text))


class Column:
    def __init__(self, label: str, values: list[list[Value]]):
        self.label = label
        flat = [v for vals in values for v in vals]
        self.width = max([len(vals) for vals in values] + [0])
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


def _license_values(src, c: Contribution, facts: dict) -> tuple[list[Value], list[Value]]:
    """The license concepts of a contribution as ORKG cells (the SPDX id, else the name;
    nothing for "not stated") and their access levels."""
    lic, acc = [], []
    for v in c.values.get("license", []):
        if not v.iri or v.iri.endswith(NOT_STATED):
            continue
        if v.iri not in facts:
            facts[v.iri] = license_facts(src.store, v.iri)
        spdx, level = facts[v.iri]
        lic.append(Value(spdx or v.text, resource=True, iri=v.iri))
        if level:
            acc.append(Value(level))
    return lic, acc


def _merged(values: list[list[Value]]) -> list[Value]:
    out: list[Value] = []
    for vals in values:
        for v in vals:
            if v not in out:
                out.append(v)
    return out


def _paper_values(src, p: Paper, access: dict) -> dict[str, list[Value]]:
    """The statements of one row: the paper's contributions merged, label -> values."""
    out: dict[str, list[Value]] = {}
    lic = [_license_values(src, c, access) for c in p.contributions]
    for label in COLUMNS:
        if label == "license":
            out[label] = _merged([a for a, _b in lic])
            out[ACCESS_LABEL] = sorted(set(_merged([b for _a, b in lic])), key=lambda v: v.text)
        else:
            out[label] = _merged([c.texts.get(label, []) for c in p.contributions])
    out[SAME_AS_COLUMN] = [Value(f"orkg:{c.orkg_id}") for c in p.contributions if c.orkg_id]
    return out


def rows(src) -> list[Paper]:
    """The papers written: those ORKG does not have, or all with ``include_existing``."""
    v = view(src)
    papers = v.papers
    if not src.include_existing:
        papers = [p for p in papers if not p.in_orkg]
        if len(papers) < len(v.papers):
            src.notes.append(f"{len(v.papers) - len(papers)} of the {len(v.papers)} papers of {v.source} are in "
                             f"ORKG already and were left out (--include-existing writes them too)")
    if v.orphans:
        src.notes.append(f"{len(v.orphans)} models of {v.source} have no paper and were left out (ORKG needs one)")
    return papers


def table(src) -> list[list[str]]:
    """The header row and one row per paper."""
    papers = rows(src)
    access: dict = {}
    statements = [_paper_values(src, p, access) for p in papers]
    labels = [label for label in COLUMNS if label != "research problem"]
    labels.insert(labels.index("license") + 1, ACCESS_LABEL)
    problems = [s["research problem"] for s in statements]
    extra_problems = max([len(ps) - 1 for ps in problems] + [0])
    columns = [Column(label, [s.get(label, []) for s in statements]) for label in labels]
    columns = [col for col in columns if col.width]
    same_as = max([len(s[SAME_AS_COLUMN]) for s in statements] + [0])
    header = list(PAPER_COLUMNS) + [PROBLEM_COLUMN] + [MORE_PROBLEMS_COLUMN] * extra_problems
    for col in columns:
        header += [col.header()] * col.width
    header += [SAME_AS_COLUMN] * same_as
    out = [header]
    for p, s in zip(papers, statements):
        row = [p.title, "; ".join(p.authors), str(p.month) if p.month else "", str(p.year) if p.year else "",
               RESEARCH_FIELD_ID, p.doi or "", p.url or "", p.venue or ""]
        ps = s["research problem"]
        row.append(ps[0].text if ps else "")
        more = ["resource:" + v.text for v in ps[1:]]
        row += more + [""] * (extra_problems - len(more))
        for col in columns:
            got = [col.cell(v) for v in s.get(col.label, [])]
            row += got + [""] * (col.width - len(got))
        ids = [v.text for v in s[SAME_AS_COLUMN]]
        row += ids + [""] * (same_as - len(ids))
        out.append(row)
    return out


def write(src, out) -> None:
    from .orkg_rules import check_paper_csv

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerows(table(src))
    text = buf.getvalue()
    problems = check_paper_csv(text)
    if problems:   # a bug of ours: never hand ORKG a file it rejects
        raise LlmkgError("the orkg-csv export breaks ORKG's import rules: " + "; ".join(problems[:5]))
    out.write(text.encode("utf-8"))
