"""Reading the YAML records in ``data/`` with the line of every key.

``load_records`` never stops at the first problem: it reads every file it can and returns
the records together with a list of :class:`Problem` (YAML syntax, unknown key with a
"did you mean", wrong type, bad or duplicate id, unknown source). Checking the *values*
(dates, counts, references) is the job of the SHACL shapes, after mapping.
"""

from __future__ import annotations

import difflib
import os
import stat
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from . import schema
from ..errors import DataError, LlmkgError

try:  # the C loader is ~5x faster; fall back to pure Python where libyaml is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NULL_TAG = "tag:yaml.org,2002:null"

SEVERITIES = ("Violation", "Warning", "Info")


@dataclass(frozen=True, order=True)
class Problem:
    """One finding, reported as ``file:line: Severity: field: message``."""

    file: str
    line: int
    severity: str
    field: str
    message: str
    focus: str = ""        # the IRI of the node concerned, for SHACL-derived problems
    component: str = ""    # SHACL constraint component, or an llmkg check name

    def __str__(self) -> str:
        fld = f"{self.field}: " if self.field else ""
        return f"{self.file}:{self.line}: {self.severity}: {fld}{self.message}"


@dataclass
class Record:
    kind: str                      # model, paper, organization, reading-list, source
    id: str
    file: str                      # path as shown to users
    data: dict[str, Any]           # plain values: str | None | list | dict
    lines: dict[tuple, int] = field(default_factory=dict)   # key path -> line (1-based)

    def line(self, *path: Any) -> int:
        """The line of the deepest known prefix of ``path`` (the record's first line at worst)."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.lines.get((), 1)

    @property
    def name(self) -> str:
        d = self.data
        return str(d.get("name") or d.get("title") or self.id)


@dataclass
class RecordSet:
    data_dir: Path
    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def by_kind(self, kind: str) -> list[Record]:
        return [r for r in self.records if r.kind == kind]

    def index(self) -> dict[tuple[str, str], Record]:
        return {(r.kind, r.id): r for r in self.records}


def display_path(path: Path) -> str:
    """A path as a compiler would print it: relative to the working directory when inside it."""
    p = os.fspath(path)
    if p.startswith("/") and "//" not in p and "/." not in p:  # absolute, normal: no relpath needed
        cwd = os.getcwd()
        if p.startswith(cwd) and p[len(cwd):len(cwd) + 1] == "/" and cwd != "/":
            rel = p[len(cwd) + 1:]
            if rel and not rel.startswith(".."):
                return rel
    try:
        rel = os.path.relpath(path)
    except ValueError:  # different drive (Windows)
        return str(path)
    return str(path) if rel.startswith("..") else rel


def is_regular_file(path) -> bool:
    """A regular file itself: not a symbolic link (which may point out of data/ or nowhere),
    not a FIFO or a device (which a read would wait on forever)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def not_regular(path) -> str:
    """Why a record file name is not read: a symbolic link, or not a regular file."""
    try:
        mode = os.lstat(path).st_mode
    except OSError as exc:
        return f"cannot be read ({exc.strerror}); skipped"
    if stat.S_ISLNK(mode):
        return "is a symbolic link: skipped (a record is a regular file inside the data directory)"
    return "is not a regular file (a FIFO, a socket or a device): skipped"


def record_files(data_dir: Path) -> list[Path]:
    """Every record file under data_dir, in a stable order (vocabularies are not records):
    the names ``*.yaml``/``*.yml`` that are not directories (a symbolic link or a FIFO is
    listed, and reported as skipped when read)."""
    files = []
    for kind, (folder, _cls) in schema.KINDS.items():
        d = data_dir / folder
        if d.is_dir():
            files.extend(sorted(p for p in d.iterdir() if p.suffix in (".yaml", ".yml")
                                and not (p.is_dir() and not p.is_symlink())))
    return files


# --- YAML nodes -> plain values with lines ------------------------------------------------


MAX_FILE_BYTES = 1 << 20   # a record file; the largest shipped one is under 10 KiB
MAX_VALUES = 100_000   # keys, items and texts of one record file (aliases counted as expanded)
MAX_DEPTH = 32         # mappings and lists inside each other
_PLAIN_TAGS = frozenset("tag:yaml.org,2002:" + t for t in
                        ("str", "int", "float", "bool", "null", "timestamp", "seq", "map", "binary"))


class _TooBig(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def _plain(node: yaml.Node, path: tuple, lines: dict, problems: list, file: str,
           budget: list | None = None) -> Any:
    """The value of a YAML node as text, lists and mappings, bounded: at most
    :data:`MAX_VALUES` values (a YAML alias bomb expands to billions) and :data:`MAX_DEPTH`
    levels; a tag other than YAML's plain ones (``!!python/object/apply:...``) is refused."""
    if budget is None:
        budget = [MAX_VALUES]
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooBig(node.start_mark.line + 1, f"the file holds more than {MAX_VALUES:,} values "
                      "(YAML aliases that expand, or more than a record needs)")
    if len(path) > MAX_DEPTH:
        raise _TooBig(node.start_mark.line + 1, f"values nested more than {MAX_DEPTH} levels deep")
    lines[path] = node.start_mark.line + 1
    if node.tag not in _PLAIN_TAGS and not (isinstance(node, yaml.ScalarNode) and node.tag == "!"):
        problems.append(Problem(file, node.start_mark.line + 1, "Violation", path[-1] if path and
                                isinstance(path[-1], str) else "",
                                f"the YAML tag '{node.tag}' is not allowed: a record holds text, "
                                "lists and mappings"))
        return None
    if isinstance(node, yaml.ScalarNode):
        if node.tag == NULL_TAG and node.style is None:
            return None
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [_plain(n, path + (i,), lines, problems, file, budget) for i, n in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for knode, vnode in node.value:
            if not isinstance(knode, yaml.ScalarNode):
                problems.append(Problem(file, knode.start_mark.line + 1, "Violation", "",
                                        "a key must be plain text"))
                continue
            key = knode.value
            if key in out:
                problems.append(Problem(file, knode.start_mark.line + 1, "Violation", key,
                                        f"duplicate key (first on line {lines[path + (key,)]})"))
                continue
            lines[path + (key,)] = knode.start_mark.line + 1
            out[key] = _plain(vnode, path + (key,), lines, problems, file, budget)
            lines[path + (key,)] = knode.start_mark.line + 1  # the key's line, not the value's
        return out
    raise DataError(f"unsupported YAML node {node!r}", file=file)  # pragma: no cover


def parse_yaml(text: str, file: str) -> tuple[Any, dict[tuple, int], list[Problem]]:
    """Parse one YAML document, keeping the line of every key. Syntax errors become problems.

    Read with :mod:`llmkg.records.fastyaml` when the text keeps to the plain subset it reads (1.6x
    faster than PyYAML's C loader on the generated records), else with PyYAML
    (:func:`parse_yaml_pyyaml`): the same result either way."""
    from . import fastyaml

    return fastyaml.parse_yaml(text, file, fallback=parse_yaml_pyyaml)


def parse_yaml_pyyaml(text: str, file: str) -> tuple[Any, dict[tuple, int], list[Problem]]:
    """:func:`parse_yaml` by PyYAML alone (the reference :mod:`llmkg.records.fastyaml` is held to)."""
    lines: dict[tuple, int] = {}
    problems: list[Problem] = []
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark and "end of stream" in (exc.problem or ""):
            mark = exc.context_mark  # an unterminated quote or bracket: point where it opened
        line = mark.line + 1 if mark else 1
        what = exc.problem or "invalid YAML"
        if exc.context:
            what = f"{exc.context}, {what}"
        return None, lines, [Problem(file, line, "Violation", "", f"YAML syntax error: {what}")]
    except yaml.reader.ReaderError as exc:   # a character YAML does not allow (NUL, other controls)
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character or "\0")
        return None, lines, [Problem(file, line, "Violation", "",
                                     f"YAML syntax error: the character U+{code:04X} is not allowed "
                                     "(control characters other than tab and newline)")]
    except yaml.YAMLError as exc:  # pragma: no cover - non-marked errors are rare
        return None, lines, [Problem(file, 1, "Violation", "",
                                     "YAML syntax error: " + " ".join(str(exc).split()))]
    if node is None:
        return None, lines, [Problem(file, 1, "Violation", "", "the file is empty")]
    try:
        return _plain(node, (), lines, problems, file), lines, problems
    except _TooBig as exc:
        return None, {}, [Problem(file, exc.line, "Violation", "", exc.message)]


# --- shape checks ---------------------------------------------------------------------------

_SCALAR_KINDS = {"text", "url", "date", "params", "millions", "number", "integer", "orkg-id",
                 "access"}


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "text"


_EXPONENT_RE = re.compile(r"\s*[-+]?[0-9.]+\s*[eE]\s*[-+]?[0-9]+\s*")
_NOT_A_NUMBER_RE = re.compile(r"[-+]?(?:inf(?:inity)?|nan)", re.IGNORECASE)


def _check_value(kind: str, value: Any, key: str, path: tuple, rec: Record,
                 problems: list[Problem]) -> None:
    if value is None:
        return
    # a value is text, a list or a mapping (parse_yaml); of texts only a whole number can be wrong
    if type(value) is str:
        # (a text that is no whole number is reported by the shapes: "must be a whole number")
        if kind == "number" and _NOT_A_NUMBER_RE.fullmatch(value.strip()):
            # (rdflib, and so pySHACL, would take "inf"^^xsd:decimal for a number)
            problems.append(Problem(rec.file, rec.line(*path), "Violation", key,
                                    f"expected a number such as 18k or 3.4M, got '{value}' "
                                    "(infinity and not-a-number are not numbers here)"))
        elif kind == "number" and _EXPONENT_RE.fullmatch(value):
            # (rdflib, and so pySHACL, would take "1e400"^^xsd:decimal for a number)
            problems.append(Problem(rec.file, rec.line(*path), "Violation", key,
                                    f"expected a number such as 18k or 3.4M, got '{value}' "
                                    "(exponent notation is not read)"))
        return
    line = rec.line(*path)
    if kind in _SCALAR_KINDS or kind.startswith("ref:") or kind.startswith("concept:"):
        if isinstance(value, (list, dict)):
            what = {"integer": "a whole number", "url": "a URL", "date": "a date"}.get(kind, "text")
            problems.append(Problem(rec.file, line, "Violation", key,
                                    f"expected {what}, got {_describe(value)}"))
        return
    if kind in ("texts", "urls", "problems") or kind.startswith(("refs:", "concepts:")):
        if isinstance(value, dict):
            problems.append(Problem(rec.file, line, "Violation", key,
                                    f"expected text or a list of texts, got {_describe(value)}"))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, (list, dict)):
                    problems.append(Problem(rec.file, rec.line(*path, i), "Violation", key,
                                            f"expected text in the list, got {_describe(item)}"))
        return


def _unknown_key(key: str, known: Iterable[str], where: str, rec: Record, line: int,
                 problems: list[Problem]) -> None:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    problems.append(Problem(rec.file, line, "Violation", key, f"unknown key{where}{hint}"))


def _check_fields(data: dict, fields: dict[str, schema.Field], prefix: tuple, where: str,
                  rec: Record, problems: list[Problem], source_ids: set[str]) -> None:
    for key, value in data.items():
        path = prefix + (key,)
        f = fields.get(key)
        if f is None:
            _unknown_key(key, fields, where, rec, rec.line(*path), problems)
            continue
        if key == "id" and prefix == ():
            continue
        if key == "sources" and prefix == ():
            _check_sources(value, rec, problems, source_ids)
        elif key == "curated" and prefix == ():
            _check_curated(value, rec, problems)
        elif f.kind == "sections":
            _check_sections(value, rec, problems)
        elif f.kind != "-":
            _check_value(f.kind, value, key, path, rec, problems)


def _is_mapping(value: Any, key: str, what: str, rec: Record, problems: list[Problem]) -> bool:
    """Whether the top-level ``key`` holds a mapping (None: nothing to check); a Violation if not."""
    if value is None:
        return False
    if not isinstance(value, dict):
        problems.append(Problem(rec.file, rec.line(key), "Violation", key,
                                f"expected a mapping of {what}, got {_describe(value)}"))
        return False
    return True


def _check_sources(value: Any, rec: Record, problems: list[Problem], source_ids: set[str]) -> None:
    if not _is_mapping(value, "sources", "source id to statements", rec, problems):
        return
    block_fields = schema.BLOCK[rec.kind]
    for sid, block in value.items():
        line = rec.line("sources", sid)
        if sid not in source_ids:
            close = difflib.get_close_matches(sid, sorted(source_ids), n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            problems.append(Problem(rec.file, line, "Violation", "sources",
                                    f"unknown source '{sid}' (no data/sources/{sid}.yaml){hint}"))
        if block is None:
            continue
        if not isinstance(block, dict):
            problems.append(Problem(rec.file, line, "Violation", sid,
                                    f"expected a mapping of statements, got {_describe(block)}"))
            continue
        _check_fields(block, block_fields, ("sources", sid), f" in the {sid} statements",
                      rec, problems, source_ids)


def _check_curated(value: Any, rec: Record, problems: list[Problem]) -> None:
    """``curated: {KEY: {value: ..., reason: ..., see: ...}}``: KEY a statements key of the
    record's kind, a value (of that key's kind) and a reason for each (an empty one: a Warning)."""
    if not _is_mapping(value, "curated", "statements key to resolution", rec, problems):
        return
    block_fields = schema.BLOCK[rec.kind]
    res_fields = schema.field_map(schema.RESOLUTION_FIELDS)
    for key, res in value.items():
        line = rec.line("curated", key)
        f = block_fields.get(key)
        if f is None:
            _unknown_key(key, block_fields, " in curated", rec, line, problems)
            continue
        if not isinstance(res, dict):
            problems.append(Problem(rec.file, line, "Violation", key,
                                    f"expected a resolution (value, reason, see), got {_describe(res)}"))
            continue
        for k in res:
            if k not in res_fields:
                _unknown_key(k, res_fields, f" in the resolution of '{key}'", rec,
                             rec.line("curated", key, k), problems)
        if res.get("value") is None or (isinstance(res.get("value"), str) and not res["value"].strip()):
            problems.append(Problem(rec.file, line, "Violation", key,
                                    f"the resolution of '{key}' gives no value"))
        else:
            _check_value(f.kind, res["value"], key, ("curated", key, "value"), rec, problems)
        reason = res.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            problems.append(Problem(rec.file, rec.line("curated", key, "reason") if "reason" in res else line,
                                    "Warning", key, f"the resolution of '{key}' gives no reason: "
                                    "say what the evidence is"))
        if res.get("see") is not None:
            _check_value("urls", res["see"], "see", ("curated", key, "see"), rec, problems)


def _check_sections(value: Any, rec: Record, problems: list[Problem]) -> None:
    if not isinstance(value, list):
        problems.append(Problem(rec.file, rec.line("sections"), "Violation", "sections",
                                f"expected a list of sections, got {_describe(value)}"))
        return
    sec_fields = schema.field_map(schema.SECTION_FIELDS)
    entry_fields = schema.field_map(schema.SECTION_ENTRY_FIELDS)
    for i, sec in enumerate(value):
        if not isinstance(sec, dict):
            problems.append(Problem(rec.file, rec.line("sections", i), "Violation", "sections",
                                    f"expected a section (title, papers), got {_describe(sec)}"))
            continue
        for key in sec:
            if key not in sec_fields:
                _unknown_key(key, sec_fields, " in a section", rec, rec.line("sections", i, key), problems)
        papers = sec.get("papers") or []
        if not isinstance(papers, list):
            problems.append(Problem(rec.file, rec.line("sections", i, "papers"), "Violation", "papers",
                                    f"expected a list of entries, got {_describe(papers)}"))
            continue
        for j, entry in enumerate(papers):
            path = ("sections", i, "papers", j)
            if not isinstance(entry, dict):
                problems.append(Problem(rec.file, rec.line(*path), "Violation", "papers",
                                        f"expected an entry (paper, label, note), got {_describe(entry)}"))
                continue
            for key, v in entry.items():
                f = entry_fields.get(key)
                if f is None:
                    _unknown_key(key, entry_fields, " in a reading-list entry", rec,
                                 rec.line(*path, key), problems)
                else:
                    _check_value(f.kind, v, key, path + (key,), rec, problems)
            if not entry.get("paper"):
                problems.append(Problem(rec.file, rec.line(*path), "Violation", "paper",
                                        "a reading-list entry needs a paper id"))


def check_record(rec: Record, problems: list[Problem], source_ids: set[str]) -> None:
    _check_fields(rec.data, schema.TOP[rec.kind], (), "", rec, problems, source_ids)


def too_big(file: str, size: int) -> Problem:
    return Problem(file, 1, "Violation", "", f"the file is {size:,} bytes, more than a record needs "
                                             f"(at most {MAX_FILE_BYTES:,}); it was not read")


def _read_one(path: Path, kind: str) -> tuple[Record | None, list[Problem]]:
    """The record in the file ``path`` and the problems of reading it."""
    file = display_path(path)
    if not is_regular_file(path):
        return None, [Problem(file, 1, "Warning", "", f"{path.name} {not_regular(path)}")]
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return None, [too_big(file, size)]
    return record_from_bytes(path.read_bytes(), file, path.name, kind)


def record_from_bytes(data: bytes, file: str, name: str, kind: str) -> tuple[Record | None, list[Problem]]:
    """The record that the bytes of the file ``name`` (shown as ``file``) hold, and the
    problems of reading it; line ends are read as Python reads text files."""
    try:
        if b"\r" in data:
            import io

            text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8").read()
        else:
            text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(file, 1, "Violation", "", f"not UTF-8 text ({exc.reason})")]
    data, lines, problems = parse_yaml(text, file)
    if data is None:
        return None, problems
    if not isinstance(data, dict):
        return None, problems + [Problem(file, 1, "Violation", "",
                                         f"a record must be a mapping of keys, got {_describe(data)}")]
    rid = data.get("id")
    stem = name.rsplit(".", 1)[0]
    lines.setdefault((), 1)
    if rid is None:
        problems.append(Problem(file, 1, "Violation", "id", f"missing id (expected 'id: {stem}')"))
        rid = stem
    elif not isinstance(rid, str) or not SLUG_RE.match(rid):
        problems.append(Problem(file, lines.get(("id",), 1), "Violation", "id",
                                f"'{rid}' is not a valid id (lower-case letters, digits and single hyphens)"))
        rid = stem
    elif rid != stem:
        problems.append(Problem(file, lines.get(("id",), 1), "Violation", "id",
                                f"id '{rid}' does not match the file name '{name}'"))
    return Record(kind, rid, file, data, lines), problems


def load_records(data_dir: str | os.PathLike, files: Iterable[Path] | None = None) -> RecordSet:
    """Read the records of ``data_dir`` (or just ``files`` inside it) and check their form.

    The sources of ``data_dir/sources`` are always read, since every statements block
    names one.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise LlmkgError(f"no data directory at {display_path(data_dir)}")
    all_files = record_files(data_dir)
    wanted = all_files if files is None else [Path(f) for f in files]
    rs = RecordSet(data_dir)
    folder_of = {}
    for f in all_files:
        folder_of[f.resolve()] = schema.FOLDER_KIND[f.parent.name]
    for f in wanted:
        kind = folder_of.get(Path(f).resolve()) or schema.FOLDER_KIND.get(Path(f).parent.name)
        if kind is None:
            rs.problems.append(Problem(display_path(Path(f)), 1, "Violation", "",
                                       "not a record file: records live in data/{"
                                       + ",".join(folder for folder, _ in schema.KINDS.values()) + "}/"))
            continue
        rec, problems = _read_one(Path(f), kind)
        rs.files.append(Path(f))
        rs.problems.extend(problems)
        if rec is not None:
            rs.records.append(rec)
    # sources are needed to check every statements block, even when validating one file
    source_ids = {p.stem for p in all_files if p.parent.name == "sources"}
    seen: dict[tuple[str, str], Record] = {}
    for rec in rs.records:
        first = seen.get((rec.kind, rec.id))
        if first is not None:
            rs.problems.append(Problem(rec.file, rec.line("id"), "Violation", "id",
                                       f"duplicate id '{rec.id}' (also in {first.file}:{first.line('id')})"))
            continue
        seen[(rec.kind, rec.id)] = rec
        check_record(rec, rs.problems, source_ids)
    rs.records = list(seen.values())
    return rs
