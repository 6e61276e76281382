"""Parsed entries to records (:func:`build_records`): one model, paper and organization
record per entry, with the source's statements in its ``sources.<id>`` block.
"""

from __future__ import annotations

import html
import re
from typing import Any


from ..errors import LlmkgError
from ..records.schema import TOP_FIELDS
from ..records.values import is_absolute_http_url, paper_id, slugify

from .awesome_sources import (AWESOME_HUGE_MODELS, AWESOME_LLMS, HUGE_MODEL_SECTIONS, HUGE_OTHER_PARTS, LIST_KEYS,
                              LLMS_MODEL_PART, LLMS_OTHER_PARTS, NOT_ORGANIZATIONS, URL_LIST_KEYS, _MODEL_KEYS,
                              _PAPER_KEYS, _split_items, _split_orgs)
from .index import RecordIndex, _arxiv_id
from .model import Entry, ImportRecords, ParseResult, Problem


# --- records ---------------------------------------------------------------------------

def _in_scope(entry: Entry, fmt: str) -> bool | None:
    """True: a model entry of a list in format ``fmt``; False: in a known non-model part
    (ignored); None: outside every known part (reported)."""
    if fmt == AWESOME_LLMS:
        if entry.part == LLMS_MODEL_PART:
            return True
        return False if entry.part in LLMS_OTHER_PARTS else None
    if entry.section in HUGE_MODEL_SECTIONS:
        return True
    return False if entry.part in HUGE_OTHER_PARTS else None


def _ordered(d: dict, keys: list[str]) -> dict:
    out = {k: d[k] for k in keys if k in d}
    out.update({k: v for k, v in d.items() if k not in out})
    return out


def _top_order(kind: str) -> list[str]:
    keys = [f.key for f in TOP_FIELDS[kind] if f.key != "sources"]
    return keys + ["sources"]


def _convert(key: str, value: str, fmt: str) -> Any:
    if key in LIST_KEYS.get(fmt, ()):
        items = _split_items(value)
        return items[0] if len(items) == 1 else items
    return value


def _one_or_list(items: list[str]) -> Any:
    return items[0] if len(items) == 1 else list(items)


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]"
    return repr(value)


def _duplicate_note(source_id: str, name: str, first: dict, first_line: int,
                    other: dict, other_line: int) -> str:
    diffs = []
    for k in _MODEL_KEYS:
        if k in ("name", "note") or first.get(k) == other.get(k):
            continue
        diffs.append(f"{k} {_describe(other[k])}" if k in other else f"no {k}")
    what = "; it differs in: " + ", ".join(diffs) if diffs else " with the same facts"
    return (f"{source_id} lists {name} twice; this block has the entry at line {first_line}, "
            f"the entry at line {other_line} is merged into it{what}")


def build_records(parsed: ParseResult, source_id: str, index: RecordIndex | None = None,
                  fmt: str | None = None) -> ImportRecords:
    """Turn the entries of one source into records.

    ``fmt`` is the list's format (``awesome-llms`` or ``awesome-huge-models``); it defaults
    to ``source_id`` when that is one of them, else to the format detected from the title.
    Entries in the other format (a spliced file) are reported and skipped. Names are
    resolved with ``index`` (see :class:`RecordIndex`); unknown models, papers and
    organizations get new records, registered in ``index`` as they are made.
    """
    fmt = fmt or (source_id if source_id in (AWESOME_LLMS, AWESOME_HUGE_MODELS) else parsed.source_id)
    if fmt not in (AWESOME_LLMS, AWESOME_HUGE_MODELS):
        raise LlmkgError(f"cannot tell the format of the list for source {source_id!r}")
    index = index or RecordIndex()
    out = ImportRecords(source_id=source_id)
    foreign: list[Entry] = []
    outside: list[Entry] = []

    def flush_outside() -> None:
        if not outside:
            return
        first, last = outside[0], outside[-1]
        where = f"under heading {first.section!r}" if first.section else "before any heading"
        if len(outside) == 1:
            msg = f"entry {first.name!r} is {where}, outside"
        else:
            msg = (f"{len(outside)} entries {where} (lines {first.line}-{last.line}, "
                   f"{first.name!r} to {last.name!r}) are outside")
        out.problems.append(Problem(first.line, f"{msg} the model sections of an {fmt} list; "
                                    "skipped"))
        outside.clear()

    def flush_foreign() -> None:
        if not foreign:
            return
        first, last = foreign[0], foreign[-1]
        other = first.format
        if len(foreign) == 1:
            msg = f"entry {first.name!r} is in the {other} format, not {fmt}"
        else:
            msg = (f"{len(foreign)} entries in the {other} format, not {fmt} (lines "
                   f"{first.line}-{last.line}, {first.name!r} to {last.name!r})")
        out.problems.append(Problem(first.line, msg + " (spliced file?); skipped"))
        foreign.clear()

    first_block_line: dict[str, int] = {}
    for entry in parsed.entries:
        scope = _in_scope(entry, fmt)
        if scope is False:
            continue
        if entry.format is not None and entry.format != fmt and entry.name:
            flush_outside()
            foreign.append(entry)
            continue
        if scope is None and entry.name and not entry.skipped:
            flush_foreign()
            if outside and outside[-1].section != entry.section:
                flush_outside()
            outside.append(entry)
            continue
        flush_foreign()
        flush_outside()
        out.problems.extend(entry.problems)
        if entry.skipped or not entry.name:
            continue
        block, notes = _model_block(entry, source_id, fmt, index, out)
        if block is None:
            continue
        mid = index.model(entry.name)
        if mid is None:
            mid = slugify(entry.name)
            if not mid:
                out.problems.append(Problem(entry.line, f"model name {entry.name!r} gives an empty id; skipped"))
                continue
            index.add_model(mid, entry.name)
        if notes:
            block["note"] = "; ".join(notes)
        if mid in out.models:
            first = out.models[mid]["sources"][source_id]
            name = (entry.name if first["name"] == entry.name
                    else f"{first['name']!r} and {entry.name!r}")
            note = _duplicate_note(source_id, name, first, first_block_line[mid], block, entry.line)
            first["note"] = f"{first['note']}; {note}" if first.get("note") else note
            out.models[mid]["sources"][source_id] = _ordered(first, _MODEL_KEYS)
            out.entry_lines[mid].append(entry.line)
            out.problems.append(Problem(entry.line, f"{entry.name!r} is listed again (first at line "
                                        f"{first_block_line[mid]}); merged into one model with a note",
                                        "warning"))
            continue
        first_block_line[mid] = entry.line
        out.entry_lines[mid] = [entry.line]
        out.models[mid] = {"id": mid, "name": entry.name,
                           "sources": {source_id: _ordered(block, _MODEL_KEYS)}}
    flush_foreign()
    flush_outside()
    out.problems.sort(key=lambda p: (p.line, p.message))
    return out


def _org_ids(names: list[str], index: RecordIndex, out: ImportRecords) -> list[str]:
    ids = []
    for name in names:
        oid = index.organization(name)
        if oid is None:
            oid = slugify(name)
            if not oid:
                continue
            index.add_organization(oid, name)
            out.organizations[oid] = {"id": oid, "name": name}
        if oid not in ids:
            ids.append(oid)
        out.organization_ids.add(oid)
    return ids


def _paper(entry: Entry, source_id: str, fmt: str, index: RecordIndex,
           out: ImportRecords) -> str | None:
    if fmt == AWESOME_LLMS:
        title, orkg, arxiv = entry.get("title"), entry.orkg_paper, None
        block = {"title": title} if title else {}
    else:
        title, orkg, arxiv = entry.paper_title, None, _arxiv_id(entry.paper_url)
        block = {"title": title, "venue": entry.paper_venue, "url": entry.paper_url}
        block = {k: v for k, v in block.items() if v}
    if not title:
        return None
    canonical = re.sub(r"\s+", " ", html.unescape(title)).strip()
    pid = index.paper(title, orkg, arxiv)
    if pid is None:
        pid = paper_id(canonical)
        if not pid:
            return None
        index.add_paper(pid, canonical, orkg, arxiv)
    line = entry.block_line if fmt == AWESOME_LLMS else entry.paper_line
    block = _ordered(block, _PAPER_KEYS)
    rec = out.papers.get(pid)
    if rec is None:
        rec = {"id": pid, "title": canonical}
        if arxiv:
            rec["arxiv"] = arxiv
        if orkg:
            rec["orkg paper"] = orkg
        rec["sources"] = {source_id: block}
        rec["_line"] = line
        out.papers[pid] = rec
        return pid
    # a paper shared by several entries of this source (Flan-T5 / Flan-PaLM, ...)
    if orkg and rec.get("orkg paper") and rec["orkg paper"] != orkg:
        out.problems.append(Problem(entry.line, f"paper {title!r} has ORKG id {orkg} here but "
                                    f"{rec['orkg paper']} at line {rec['_line']}; the first is kept",
                                    "warning"))
    elif orkg and not rec.get("orkg paper"):
        rec["orkg paper"] = orkg
    if arxiv and not rec.get("arxiv"):
        rec["arxiv"] = arxiv
    first = rec["sources"][source_id]
    diffs = [f"{k} {v!r}" for k, v in block.items() if first.get(k) != v]
    if diffs:
        note = f"line {line} gives " + ", ".join(diffs)
        first["note"] = f"{first['note']}; {note}" if first.get("note") else note
        rec["sources"][source_id] = _ordered(first, _PAPER_KEYS)
    return pid


def _model_block(entry: Entry, source_id: str, fmt: str, index: RecordIndex,
                 out: ImportRecords) -> tuple[dict | None, list[str]]:
    block: dict[str, Any] = {"name": entry.name}
    notes: list[str] = []
    if entry.section:
        block["section"] = entry.section
    pid = _paper(entry, source_id, fmt, index, out)
    if pid:
        block["paper"] = pid
    if entry.orkg_contribution:
        block["orkg contribution"] = entry.orkg_contribution
    if fmt == AWESOME_HUGE_MODELS:
        if entry.date:
            block["date created"] = entry.date
        if entry.access:
            block["access"] = entry.access
        if entry.release:
            block["release"] = entry.release
        if entry.homepage:
            block["homepage"] = entry.homepage
        if entry.code:
            block["has source code"] = entry.code
        org_names = entry.organizations
    else:
        org_names = _split_orgs(entry.get("organization") or "") or (
            _split_orgs(entry.section) if entry.section else [])
    real = []
    for name in org_names:
        why = NOT_ORGANIZATIONS.get(name.strip().lower())
        if why:
            notes.append(f"the list's organization tag is {name!r} ({why}), not an organization")
        else:
            real.append(name)
    ids = _org_ids(real, index, out)
    if ids:
        block["organization"] = _one_or_list(ids)
    for f in entry.fields:
        if f.norm in (None, "title", "has model", "organization"):
            continue
        if f.norm not in block:
            value = _convert(f.norm, f.value, fmt)
            if f.norm in URL_LIST_KEYS:
                value, others = _urls_and_others(value)
                if others:
                    notes.append(f"{f.norm} also names: " + ", ".join(others))
                if value is None:
                    continue
            block[f.norm] = value
    return block, notes


def _urls_and_others(value: Any) -> tuple[Any, list[str]]:
    """Split a URL-list value into its URLs (kept in place) and the items that are not URLs
    (the list's "pythia-deduped, pythia"), which go to the block's note, so nothing is lost."""
    items = value if isinstance(value, list) else [value]
    urls = [v for v in items if is_absolute_http_url(v)]
    others = [v for v in items if not is_absolute_http_url(v)]
    return (_one_or_list(urls) if urls else None), others
