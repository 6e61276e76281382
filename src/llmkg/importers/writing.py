"""Writing records into ``data/`` (:func:`write_records`): new files created, existing ones
merged with their comments and order kept (ruamel.yaml), each written atomically; and the
report of what changed.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..records.schema import KINDS

from .model import ImportRecords, Problem
from .to_records import _ordered, _top_order


# --- writing ---------------------------------------------------------------------------

def _yaml(mapping: int = 2, sequence: int = 4, offset: int = 2) -> YAML:
    y = YAML()                      # round-trip
    y.preserve_quotes = True
    y.indent(mapping=mapping, sequence=sequence, offset=offset)
    y.width = 2 ** 31               # never fold long strings
    y.allow_unicode = True
    y.representer.ignore_aliases = lambda *args: True   # no anchors
    return y


def _to_yaml(value: Any) -> Any:
    """Plain data -> ruamel objects; every scalar a string; lists of URLs block style,
    other lists flow style."""
    if isinstance(value, dict):
        m = CommentedMap()
        for k, v in value.items():
            if not str(k).startswith("_"):
                m[str(k)] = _to_yaml(v)
        return m
    if isinstance(value, (list, tuple)):
        s = CommentedSeq([_to_yaml(v) for v in value])
        if not any("://" in str(v) for v in value):
            s.fa.set_flow_style()
        else:
            s.fa.set_block_style()
        return s
    return value if isinstance(value, str) else str(value)


def dump_record(record: dict, comment: str | None = None) -> str:
    """The YAML text of a new record file (keys in the order given)."""
    data = _to_yaml(record)
    if comment:
        data.yaml_set_start_comment(comment)
    buf = io.StringIO()
    _yaml().dump(data, buf)
    return buf.getvalue()


def _plain(value: Any) -> Any:
    """ruamel / PyYAML data -> comparable plain data (scalars as strings)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    return str(value)


def _write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file and rename, so that a reader never sees half a file.
    The file keeps its permissions (a new one gets the umask's)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        mode = path.stat().st_mode & 0o7777
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@dataclass
class ImportReport:
    """What an import did, by record file (``models/gpt-4.yaml``)."""

    source_id: str
    path: str = ""
    data_dir: str = ""
    update: bool = False
    dry_run: bool = False
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)   # (file, reason)
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)           # records built per kind
    diffs: dict[str, str] = field(default_factory=dict)            # file -> unified diff of an update

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def problem_lines(self) -> list[str]:
        where = self.path or self.source_id
        return [f"{where}:{p.line}: {p.severity}: {p.message}" for p in self.problems]

    def summary(self) -> str:
        n = self.counts
        head = (f"{self.source_id}: {n.get('model', 0)} models, {n.get('paper', 0)} papers, "
                f"{n.get('organization', 0)} organizations; {len(self.created)} created, "
                f"{len(self.updated)} updated, {len(self.unchanged)} unchanged, "
                f"{len(self.skipped)} skipped, {len(self.errors)} errors, "
                f"{len(self.problems) - len(self.errors)} warnings"
                + (" (dry run)" if self.dry_run else ""))
        lines = [head]
        lines += [f"  created   {p}" for p in self.created]
        lines += [f"  updated   {p}" for p in self.updated]
        lines += [f"  skipped   {p}: {why}" for p, why in self.skipped]
        lines += ["  " + s for s in self.problem_lines()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


_KEY_ONLY_RE = re.compile(r"^( *)(?:[^\s#'\"-][^:]*|\"[^\"]*\"|'[^']*'):\s*(?:#.*)?$")


def _guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping indent, sequence indent, dash offset) a file is written with, so that an
    edited file keeps its style; our own style (2, 4, 2) where the file does not show it."""
    mapping = seq = offset = None
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for a, b in zip(lines, lines[1:]):
        m = _KEY_ONLY_RE.match(a)
        if not m:
            continue
        ka, ib, sb = len(m.group(1)), len(b) - len(b.lstrip(" ")), b.lstrip(" ")
        if sb == "-" or sb.startswith("- "):
            if offset is None and ib >= ka:
                offset = ib - ka
                rest = sb[1:]
                seq = offset + 1 + (len(rest) - len(rest.lstrip(" ")))
        elif mapping is None and ib > ka:
            mapping = ib - ka
    mapping = mapping or 2
    if offset is None:
        offset, seq = 2, 4
    return mapping, max(seq or offset + 2, offset + 2), offset


def _insert_in_order(data: CommentedMap, key: str, value: Any, order: list[str]) -> None:
    pos = 0
    rank = {k: i for i, k in enumerate(order)}
    for i, k in enumerate(data.keys()):
        if rank.get(k, len(order)) < rank.get(key, len(order)):
            pos = i + 1
    data.insert(pos, key, value)


# top-level keys an import may add to an existing record that lacks them (never changes them)
_FILL_KEYS = {"model": ["name"], "paper": ["title", "arxiv", "orkg paper"],
              "organization": ["name"], "source": []}


#: ``merge(kind, record on disk, old block, new block) -> block``: what an update writes in
#: place of a source's block (the default replaces it)
BlockMerge = Callable[[str, Any, Any, dict], Any]


def _replace(kind: str, data: Any, old: Any, new: dict) -> Any:
    return _to_yaml(new)


def _merge_file(path: Path, kind: str, record: dict, source_id: str, update: bool,
                report: ImportReport, rel: str, dry_run: bool, merge: BlockMerge = _replace) -> None:
    text = path.read_text(encoding="utf-8")
    y = _yaml(*_guess_indent(text))
    try:
        data = y.load(text)
    except Exception as exc:
        report.skipped.append((rel, f"not readable YAML ({exc.__class__.__name__}); left alone"))
        return
    if data is None:
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        report.skipped.append((rel, "not a mapping; left alone"))
        return
    changed = False
    order = _top_order(kind)
    for key in _FILL_KEYS.get(kind, []):
        if key in record and record[key] is not None:
            if key not in data or data[key] in (None, ""):
                if key in data:
                    data[key] = record[key]
                else:
                    _insert_in_order(data, key, _to_yaml(record[key]), order)
                changed = True
            elif _plain(data[key]) != _plain(record[key]) and key in ("orkg paper", "arxiv"):
                report.problems.append(Problem(0, f"{rel}: {key} is {data[key]!r} but "
                                               f"{source_id} gives {record[key]!r}; kept", "warning"))
    new_block = (record.get("sources") or {}).get(source_id)
    if new_block is not None:
        sources = data.get("sources")
        if not isinstance(sources, dict):
            sources = CommentedMap()
            if "sources" in data:
                data["sources"] = sources
            else:
                _insert_in_order(data, "sources", sources, order)
        old = sources.get(source_id)
        if old is None:
            sources[source_id] = _to_yaml(new_block)
            changed = True
        elif _plain(old) != _plain(new_block):
            if update:
                merged = merge(kind, data, old, new_block)
                if _plain(merged) != _plain(old):
                    sources[source_id] = merged
                    changed = True
            else:
                report.skipped.append((rel, f"its {source_id} block differs from the list; "
                                            "not replaced without update"))
    if changed:
        buf = io.StringIO()
        y.dump(data, buf)
        if buf.getvalue() != text:
            if not dry_run:
                _write_atomic(path, buf.getvalue())
            report.updated.append(rel)
            report.diffs[rel] = "".join(difflib.unified_diff(
                text.splitlines(keepends=True), buf.getvalue().splitlines(keepends=True),
                fromfile=f"a/{rel}", tofile=f"b/{rel}"))
            return
    report.unchanged.append(rel)


def write_records(records: ImportRecords, data_dir: str | os.PathLike, *, update: bool = False,
                  dry_run: bool = False, report: ImportReport | None = None,
                  merge: BlockMerge = _replace) -> ImportReport:
    """Write records under ``data_dir``, merging into existing files.

    A new record is written as a new file. An existing file keeps all it has (comments,
    top-level keys, other sources' blocks); its ``sources.<source id>`` block is added if
    missing, and only with ``update=True`` when it differs, by ``merge`` (default: the new
    block replaces the old; each update's unified diff is in ``report.diffs``). Missing identity keys
    (a paper's ``orkg paper`` / ``arxiv``, a model's ``name``) are added, never changed.
    Files whose content would not change are not written.
    """
    data_dir = Path(data_dir)
    sid = records.source_id
    report = report or ImportReport(source_id=sid, data_dir=str(data_dir))
    report.update, report.dry_run = update, dry_run
    for kind, recs in records.by_kind():
        report.counts[kind] = len(records.organization_ids) if kind == "organization" else len(recs)
        folder = KINDS[kind][0]
        for rid in sorted(recs):
            record = _ordered({k: v for k, v in recs[rid].items() if not k.startswith("_")},
                              _top_order(kind))
            rel = f"{folder}/{rid}.yaml"
            path = data_dir / folder / f"{rid}.yaml"
            if path.exists():
                _merge_file(path, kind, record, sid, update, report, rel, dry_run, merge)
            else:
                if not dry_run:
                    _write_atomic(path, dump_record(record))
                report.created.append(rel)
    return report
