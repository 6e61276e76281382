"""Import an ORKG CSV (our ``orkg-csv`` export, ORKG's CSV import format, or an ORKG
comparison exported as CSV: one column per property label, one row per contribution) into
records under ``data/``.

Header cells are read by ORKG's rules: ``paper:title`` (or ``title``), ``paper:authors``
(``;`` between names), ``paper:publication_month``, ``paper:publication_year``,
``paper:doi``, ``paper:url``, ``paper:published_in``, ``paper:research_field`` (not kept:
llmkg has no research field), ``contribution:research_problem``; any other header is a
property label, with an optional ``resource:`` prefix and ``<type>`` suffix, or
``orkg:<predicate id>`` (``orkg:SAME_AS`` names the ORKG contribution, ``orkg:P32``
research problems, ``orkg:hasModel`` the model). Labels are the keys of a model's
statements block (``model family``, ``date created``...: the ORKG comparison columns of
``schema.py``); ``has model`` names the model. Same-named columns (also pandas' ``name.1``)
give several values. Cells lose their ``<type>`` suffix and ``resource:`` prefix; a cell
``orkg:R…`` is kept only where llmkg has a place for an ORKG id (the contribution).

Each row becomes a model (found by name among the records already in the data directory,
else new), its paper (found by title, else new) and organizations (found by name or
alias, else new), with a ``sources.<source id>`` block. A row that names several models
(one contribution holding them) gives each its name and paper only: which statement is
whose cannot be told. The ``access level`` column is derived (from the license) and not
kept (``awesome-llms`` unless told
otherwise). The records are written by the awesome-md importer's writer
(:func:`llmkg.importers.writing.write_records`): new files are created, an existing
file gets its block for this source added, or replaced with ``update=True``.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import LlmkgError
from ..records.schema import MODEL_FIELDS, TOP_FIELDS
from ..records.values import paper_id, slugify
from .awesome_sources import KNOWN_SOURCES
from .index import RecordIndex
from .model import ImportRecords, Problem
from .to_records import _org_ids
from .writing import ImportReport, dump_record, write_records

DEFAULT_SOURCE = "awesome-llms"

PAPER_HEADERS = {
    "paper:title": "title", "title": "title",
    "paper:authors": "authors", "authors": "authors",
    "paper:publication_month": "month", "publication month": "month", "publication_month": "month",
    "paper:publication_year": "year", "publication year": "year", "publication_year": "year",
    "paper:doi": "doi", "doi": "doi",
    "paper:url": "url", "url": "url",
    "paper:published_in": "venue", "published in": "venue", "published_in": "venue", "venue": "venue",
    "paper:research_field": "research field", "research field": "research field",
    "research_field": "research field",
    "extraction_method": "extraction method", "paper:extraction_method": "extraction method",
    "contribution:extraction_method": "extraction method",
}
PREDICATE_IDS = {"P32": "research problem", "hasModel": "has model", "SAME_AS": "orkg contribution",
                 "P26": "doi", "P29": "year", "P28": "month", "P30": "research field", "url": "url",
                 "HAS_VENUE": "venue", "P27": "authors"}
LABELS = {f.orkg_label.lower(): f.key for f in MODEL_FIELDS if f.orkg_label}
LABELS.update({"has model": "has model", "model": "has model", "research problem": "research problem",
               "contribution:research_problem": "research problem", "same as": "orkg contribution",
               "orkg contribution": "orkg contribution"})
#: columns our orkg-csv export derives from others: read without a warning, not kept
DERIVED = {"access level"}    # from the license concept
_MODEL_KEYS = [f.key for f in MODEL_FIELDS]
_KIND = {f.key: f.kind for f in MODEL_FIELDS}
_TYPE_SUFFIX = re.compile(r"^(.*?)\s*<([^<>]*)>$", re.S)
_PANDAS_DUP = re.compile(r"^(.*)\.\d+$")
_ORKG_ID = re.compile(r"^R\d+$")


@dataclass(frozen=True)
class ColumnSpec:
    index: int
    header: str
    key: str | None       # a paper key ("title"...), a model block key, "has model", or None
    paper: bool = False


def _strip_type(text: str) -> str:
    m = _TYPE_SUFFIX.match(text)
    return m.group(1) if m else text


def parse_header(header: str) -> tuple[str | None, bool]:
    """(key, is_paper_column) of a header cell; key None for a column llmkg does not keep."""
    h = _strip_type(header.strip())
    candidates = [h]
    m = _PANDAS_DUP.match(h)
    if m:
        candidates.append(m.group(1))
    for cand in candidates:
        low = cand.lower()
        if low in PAPER_HEADERS:
            return PAPER_HEADERS[low], True
        if low.startswith("resource:"):
            low = low[len("resource:"):]
            cand = cand[len("resource:"):]
        if low.startswith("orkg:"):
            pid = cand[len("orkg:"):]
            key = PREDICATE_IDS.get(pid)
            if key in ("doi", "year", "month", "url", "venue", "authors", "research field"):
                return key, True
            if key:
                return key, False
            continue
        if low in LABELS:
            return LABELS[low], False
        if low in DERIVED:
            return "", False
    return None, False


def parse_cell(cell: str) -> str:
    """A cell's value: without ``<type>`` suffix and ``resource:`` prefix (``orkg:`` kept)."""
    text = cell.strip()
    if text.startswith("resource:"):
        text = text[len("resource:"):]
    return _strip_type(text).strip()


def read_table(path: str | os.PathLike) -> list[list[str]]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return [row for row in csv.reader(fh)]
    except OSError as exc:
        raise LlmkgError(f"cannot read {path}: {exc.strerror or exc}") from None
    except csv.Error as exc:
        raise LlmkgError(f"{path}: not a readable CSV file ({exc})") from None


def _one_or_list(items: list[str]) -> Any:
    return items[0] if len(items) == 1 else list(items)


def build_records(table: list[list[str]], source_id: str, index: RecordIndex | None = None) -> ImportRecords:
    """Records from the rows of an ORKG CSV (header first)."""
    index = index or RecordIndex()
    out = ImportRecords(source_id=source_id)
    if not table or not any(c.strip() for c in table[0]):
        out.problems.append(Problem(1, "the file has no header row"))
        return out
    specs = []
    for i, h in enumerate(table[0]):
        key, paper = parse_header(h)
        if key == "":
            continue
        if key is None:
            if h.strip():
                out.problems.append(Problem(1, f"column {i + 1} {h!r} is not a property llmkg knows; ignored",
                                            "warning"))
            continue
        specs.append(ColumnSpec(i, h, key, paper))
    if not any(s.key == "title" for s in specs):
        out.problems.append(Problem(1, "no paper:title column"))
    if not any(s.key == "has model" for s in specs):
        out.problems.append(Problem(1, "no 'has model' column: the rows cannot name their models"))
        return out
    first_line: dict[str, int] = {}
    for line, row in enumerate(table[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(table[0]):
            out.problems.append(Problem(line, f"the row has {len(row)} fields, the header {len(table[0])}"))
        paper: dict[str, list[str]] = {}
        block: dict[str, list[str]] = {}
        for s in specs:
            cell = row[s.index] if s.index < len(row) else ""
            value = parse_cell(cell)
            if not value:
                continue
            target = paper if s.paper else block
            target.setdefault(s.key, [])
            if value not in target[s.key]:
                target[s.key].append(value)
        names = block.pop("has model", [])
        if not names:
            out.problems.append(Problem(line, "no model named (empty 'has model'); row skipped"))
            continue
        if any(n.startswith("orkg:") for n in names):
            out.problems.append(Problem(line, f"a model is given by its ORKG id ({', '.join(names)}), not by name; "
                                        "row skipped"))
            continue
        if len(names) > 1:
            # one contribution holding several models (how our export writes a paper's
            # models): which statement is whose cannot be told, so only the models' names
            # and their paper are taken
            out.problems.append(Problem(line, f"the row names {len(names)} models ({', '.join(names)}): only their "
                                        "names and paper are imported, not the statements they share", "warning"))
            block = {}
        for name in names:
            mid = _model_id(name, line, index, out)
            if mid is None:
                continue
            if mid in out.models:
                out.problems.append(Problem(line, f"{name!r} is listed again (first at line {first_line[mid]}); "
                                            "this row is skipped", "warning"))
                continue
            first_line[mid] = line
            model_block = _model_block(name, paper, block, line, index, out)
            out.models[mid] = {"id": mid, "name": name, "sources": {source_id: model_block}}
    return out


def _model_id(name: str, line: int, index: RecordIndex, out: ImportRecords) -> str | None:
    mid = index.model(name)
    if mid is None:
        mid = slugify(name)
        if not mid:
            out.problems.append(Problem(line, f"model name {name!r} gives an empty id; row skipped"))
            return None
        index.add_model(mid, name)
    return mid


def _model_block(name: str, paper: dict, block: dict, line: int, index: RecordIndex,
                 out: ImportRecords) -> dict:
    result: dict[str, Any] = {"name": name}
    pid = _paper(paper, line, index, out)
    if pid:
        result["paper"] = pid
    for key in _MODEL_KEYS:
        if key in ("name", "paper") or key not in block:
            continue
        values = block[key]
        if key == "orkg contribution":
            ids = [v[len("orkg:"):] if v.startswith("orkg:") else v for v in values]
            ids = [i for i in ids if _ORKG_ID.match(i)]
            if ids:
                result[key] = ids[0]
            continue
        kept = []
        for v in values:
            if v.startswith("orkg:"):
                out.problems.append(Problem(line, f"{key}: ORKG resource {v} cannot be resolved offline; "
                                            "give its label instead; ignored", "warning"))
                continue
            kept.append(v)
        if not kept:
            continue
        if key == "organization":
            ids = _org_ids(kept, index, out)
            if ids:
                result[key] = _one_or_list(ids)
            continue
        if _KIND.get(key) in ("text", "date", "params", "millions", "number", "integer", "url") and len(kept) > 1:
            out.problems.append(Problem(line, f"{key} takes one value; {len(kept)} given, the first is kept",
                                        "warning"))
            kept = kept[:1]
        result[key] = _one_or_list(kept)
    return result


def _paper(paper: dict, line: int, index: RecordIndex, out: ImportRecords) -> str | None:
    titles = paper.get("title", [])
    if not titles:
        return None
    title = re.sub(r"\s+", " ", titles[0]).strip()
    pid = index.paper(title)
    if pid is None:
        pid = paper_id(title)
        if not pid:
            return None
        index.add_paper(pid, title, None, None)
    if pid in out.papers:
        return pid
    block: dict[str, Any] = {"title": title}
    authors = [a.strip() for a in (paper.get("authors") or [""])[0].split(";") if a.strip()]
    if authors:
        block["authors"] = authors
    for key in ("year", "month", "venue", "url"):
        if paper.get(key):
            block[key] = paper[key][0]
    rec: dict[str, Any] = {"id": pid, "title": title}
    if paper.get("doi"):
        rec["doi"] = paper["doi"][0]
    rec["sources"] = {out.source_id: block}
    out.papers[pid] = rec
    return pid


def import_orkg_csv(path: str | os.PathLike, data_dir: str | os.PathLike, source_id: str = DEFAULT_SOURCE,
                    update: bool = False, dry_run: bool = False) -> ImportReport:
    """Import one ORKG CSV file into ``data_dir``; returns what was created / updated."""
    path, data_dir = Path(path), Path(data_dir)
    if slugify(source_id) != source_id:
        raise LlmkgError(f"source id {source_id!r} is not a slug")
    table = read_table(path)
    index = RecordIndex.load(data_dir)
    records = build_records(table, source_id, index)
    report = ImportReport(source_id=source_id, path=str(path), data_dir=str(data_dir))
    report.problems.extend(records.problems)
    report.problems.extend(Problem(0, msg, "warning") for msg in index.problems)
    if report.errors and not records.models:
        return report
    write_records(records, data_dir, update=update, dry_run=dry_run, report=report)
    rel = f"sources/{source_id}.yaml"
    spath = data_dir / rel
    if spath.exists():
        report.unchanged.append(rel)
    else:
        meta = dict(KNOWN_SOURCES.get(source_id, {"title": source_id}))
        comment = meta.pop("comment", None)
        meta = {"id": source_id, **meta, "file": os.path.relpath(path.resolve(), data_dir.resolve().parent)}
        order = [f.key for f in TOP_FIELDS["source"]]
        meta = {k: meta[k] for k in order if k in meta}
        if not dry_run:
            spath.parent.mkdir(parents=True, exist_ok=True)
            spath.write_text(dump_record(meta, comment), encoding="utf-8")
        report.created.append(rel)
    return report


__all__ = ["import_orkg_csv", "build_records", "read_table", "parse_header", "parse_cell"]
