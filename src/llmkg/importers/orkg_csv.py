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

import copy
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
        if _KIND.get(key) == "urls":
            # an ORKG comparison exported as CSV joins a cell's values with ", " (a URL
            # holds no ", ": splitting there is safe)
            kept = list(dict.fromkeys(u.strip() for v in kept for u in v.split(", ") if u.strip()))
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


class LosslessMerge:
    """How ``--update`` writes a source's block from an ORKG CSV: it changes only what the
    file states *differently*, so that importing our own export changes nothing.

    * the block on disk is kept, with its order, comments and every key the file does not
      carry (``section``, ``note``...): nothing is removed;
    * a value that means the same is kept as written: lists compared as sets, texts by
      their lookup key, vocabulary values by the concepts they name (the export writes
      ``Apache-2.0`` for "Open, Apache 2.0"), organizations by id;
    * a key a curated resolution settles keeps the source's value (the export carries the
      resolution's: writing it back would make it the source's word);
    * a paper's year, month, URL, venue, DOI or authors are added only where the record
      does not state them already (in another block, or as its arXiv id: the export derives
      a DOI, URL, year and month from it; or as the date its models were created, from
      which the export dates a paper no source dates).
    """

    def __init__(self, data_dir: Path, records: ImportRecords | None = None):
        from ..records.vocabularies import load_vocabularies

        try:
            self.vocab = load_vocabularies(data_dir)
        except LlmkgError:
            self.vocab = None
        self.data_dir = data_dir
        # paper id -> the (year, month) its models were created (in the file, and on disk
        # when a paper needs them: read once)
        self.model_dates: dict[str, set] = {}
        self._disk_read = False
        for m in (records.models.values() if records is not None else ()):
            self._add_model_dates(m)

    def _add_model_dates(self, model: Any) -> None:
        if not isinstance(model, dict):
            return
        blocks = [b for b in (model.get("sources") or {}).values() if isinstance(b, dict)]
        dates = [str(b.get("date created") or "") for b in blocks]
        resolved = (model.get("curated") or {}).get("date created") if isinstance(model.get("curated"), dict) else None
        if isinstance(resolved, dict):   # a curated resolution's value (what the export writes)
            dates.append(str(resolved.get("value") or ""))
        for paper in {str(b["paper"]) for b in blocks if b.get("paper")}:
            for date in dates:
                hit = re.match(r"^(\d{4})(?:-(\d{2}))?", date)
                if hit:
                    self.model_dates.setdefault(paper, set()).add(
                        (hit.group(1), str(int(hit.group(2))) if hit.group(2) else None))

    def _dates_of(self, paper: str) -> set:
        if paper not in self.model_dates and not self._disk_read:
            import yaml

            self._disk_read = True
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            for f in sorted((self.data_dir / "models").glob("*.yaml")):
                try:
                    self._add_model_dates(yaml.load(f.read_text(encoding="utf-8"), Loader=loader))
                except (OSError, yaml.YAMLError):
                    continue
        return self.model_dates.get(paper, set())

    def _key(self, key: str, value: Any) -> frozenset:
        from ..records.vocabularies import normalize

        items = value if isinstance(value, list) else [value]
        kind = _KIND.get(key, "")
        out = set()
        for v in items:
            text = str(v)
            if kind.startswith("concept") and self.vocab is not None:
                concepts = self.vocab.lookup(kind.split(":", 1)[1], text)
                if concepts:
                    out.update(("concept", c.id) for c in concepts)
                    continue
            out.add(normalize(text))
        return frozenset(out)

    def __call__(self, kind: str, data: Any, old: Any, new: dict) -> Any:
        from .writing import _to_yaml

        merged = copy.deepcopy(old)
        settled = set((data.get("curated") or {}).keys()) if isinstance(data.get("curated"), dict) else set()
        known = self._paper_facts(data) if kind == "paper" else {}
        order = [f.key for f in (MODEL_FIELDS if kind == "model" else [])]
        for key, value in new.items():
            if key in settled and key in merged:
                continue
            if key in merged and self._key(key, merged[key]) == self._key(key, value):
                continue
            if kind == "paper" and key in known and self._key(key, value) <= known[key]:
                continue
            if key in merged:
                merged[key] = _to_yaml(value)
            else:
                _insert_after(merged, key, _to_yaml(value), order)
        return merged

    def _paper_facts(self, data: Any) -> dict[str, frozenset]:
        from ..export._orkg import ARXIV_DOI_PREFIX, arxiv_year_month

        facts: dict[str, set] = {}
        for block in (data.get("sources") or {}).values():
            if isinstance(block, dict):
                for k, v in block.items():
                    facts.setdefault(k, set()).update(self._key(k, v))
        arxiv = data.get("arxiv")
        if arxiv:
            arxiv = str(arxiv)
            facts.setdefault("url", set()).update(self._key("url", f"https://arxiv.org/abs/{arxiv}"))
            ym = arxiv_year_month(arxiv)
            if ym:
                facts.setdefault("year", set()).update(self._key("year", str(ym[0])))
                facts.setdefault("month", set()).update(self._key("month", str(ym[1])))
            facts.setdefault("doi", set()).update(self._key("doi", ARXIV_DOI_PREFIX + arxiv))
        if data.get("doi"):
            facts.setdefault("doi", set()).update(self._key("doi", data["doi"]))
        for year, month in self._dates_of(str(data.get("id"))):
            facts.setdefault("year", set()).update(self._key("year", year))
            if month:
                facts.setdefault("month", set()).update(self._key("month", month))
        return {k: frozenset(v) for k, v in facts.items()}


def _insert_after(block: Any, key: str, value: Any, order: list[str]) -> None:
    """Put ``key`` where the schema orders it among the block's keys (at the end when the
    schema does not know it)."""
    if key in order and hasattr(block, "insert"):
        rank = order.index(key)
        pos = sum(1 for k in block if k in order and order.index(k) < rank)
        block.insert(pos, key, value)
    else:
        block[key] = value


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
    write_records(records, data_dir, update=update, dry_run=dry_run, report=report, merge=LosslessMerge(data_dir, records))
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
