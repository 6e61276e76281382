"""Import awesome-list markdown (awesome-LLMs, awesome-huge-models) into records in ``data/``.

Two list formats are understood, also mixed in one file:

* **awesome-LLMs** (ORKG structured summaries)::

      #### OpenAI
      - [GPT-1](https://orkg.org/paper/R370535/R370538)
        ```yaml
        Title: Improving Language Understanding by Generative Pre-Training
        model family: GPT
        ...
        ```

  The link gives the ORKG paper id and, when present, the contribution id. Older copies
  have no bullet and name the model in a ``has model:`` key instead.

* **awesome-huge-models** ("Field/Params" format)::

      ### Language Model
      - **GPT-4** [[OpenAI]](https://openai.com/product/gpt-4) Mar. 2023 [close]
         GPT-4 Technical Report [[Preprint]](https://cdn.openai.com/papers/gpt-4.pdf)
        ```yaml
        Field: Language-Vision
        Params: 1.7T
        Architecture: De, MoE
        ```

Three steps, each usable alone:

1. :func:`parse_awesome_md` reads the markdown into :class:`Entry` objects with line numbers
   and reports :class:`Problem` objects for malformed input (never raises for bad text).
2. :func:`build_records` turns the entries of one source into records (dicts per kind),
   resolving names to ids with a :class:`RecordIndex` built from the records already in
   ``data/`` (names, aliases, ORKG and arXiv ids).
3. :func:`write_records` writes them under ``data/``: new files are created; an existing
   file keeps everything it has and only its ``sources.<source id>`` block is added (or
   replaced with ``update=True``).

:func:`import_awesome_md` runs the three steps and is what ``llmkg import awesome-md`` calls.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from pathlib import Path


from ..errors import LlmkgError
from ..records.schema import KINDS
from ..records.values import slugify

from .awesome_sources import (AWESOME_HUGE_MODELS, AWESOME_LLMS, HUGE_KEYS, KNOWN_SOURCES, LLMS_KEYS, _huge_key,
                              _split_orgs)
from .index import RecordIndex
from .model import BlockField, Entry, ParseResult, Problem
from .to_records import _ordered, _top_order, build_records
from .writing import ImportReport, _write_atomic, dump_record, write_records


# --- markdown parsing -------------------------------------------------------------------

_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET_RE = re.compile(r"^ {0,3}[-*+]\s+(?P<rest>.*?)\s*$")
_FENCE_RE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<lang>[^`\s]*)")
_ORKG_RE = re.compile(r"orkg\.org/(?:orkg/)?paper/(R\d+)(?:/(R\d+))?", re.I)
_KEY_RE = re.compile(r"^(?P<key>[^\s:#\-][^:]*?)\s*:(?:\s+(?P<value>.*?))?\s*$")
_MONTHS = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
           r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
_BULLET_TOKEN_RE = re.compile(
    r"\[\[(?P<dtext>[^\[\]]*)\]\]\((?P<durl>[^()\s]*)\)"      # [[text]](url)
    r"|\[(?P<stext>[^\[\]]*)\]\((?P<surl>[^()\s]*)\)"          # [text](url)
    r"|\[(?P<btext>[^\[\]]*)\]"                                 # [text]
    r"|(?P<date>\b" + _MONTHS + r"\.?\s+\d{4}\b)"
)
_PAPER_LINE_RE = re.compile(r"^(?P<title>.*?)\s*\[\[(?P<venue>[^\[\]]*)\]\]\((?P<url>[^()\s]*)\)\s*$")
_PAPER_LINK_RE = re.compile(r"^\[(?P<title>[^\[\]]+)\]\((?P<url>[^()\s]*)\)\s*$")


def _indent_of(line: str) -> int:
    return len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip(" "))


def _heading_text(text: str) -> str:
    text = re.sub(r"\[!\[[^\]]*\]\([^)]*\)\]\([^)]*\)", "", text)   # linked badges
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)                 # images
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)             # links -> text
    return text.strip()


def detect_source(text: str) -> str | None:
    """The source id of a list from its first level-1 heading, or None."""
    for line in text.splitlines():
        m = _HEADING_RE.match(line)
        if m and len(m.group(1)) == 1:
            title = _heading_text(m.group(2)).lower()
            if title.startswith("awesome-llms") or title.startswith("awesome llms"):
                return AWESOME_LLMS
            if title.startswith("awesome-huge-models") or title.startswith("awesome huge models"):
                return AWESOME_HUGE_MODELS
            return None
    return None


def _parse_bullet(rest: str, line: int, entry: Entry) -> bool:
    """Fill ``entry`` from a bullet's text. Returns True if the bullet is a model entry by
    itself (ORKG paper link, bold name or an [[Org]] tag); other bullets are entries only
    when a yaml block follows them."""
    # awesome-LLMs: - [Name](https://orkg.org/paper/R1/R2)
    m = re.match(r"^\[(?P<name>[^\[\]]*)\]\((?P<url>[^()\s]*)\)(?P<tail>.*)$", rest)
    if m:
        entry.link = m.group("url")
        entry.bullet_name = m.group("name").strip() or None
        om = _ORKG_RE.search(entry.link)
        if om:
            entry.format = AWESOME_LLMS
            entry.orkg_paper, entry.orkg_contribution = om.group(1), om.group(2)
            tail = m.group("tail").strip()
            if tail:
                entry._problem(line, f"unrecognized text on the bullet line: {tail!r}", "warning")
            return True
        return False
    # awesome-huge-models: - **Name** [[Org]](url) Mon. YYYY [[open]](url)
    m = re.match(r"^\*\*(?P<name>(?:\\.|[^*\\])*)\*\*(?P<tail>.*)$", rest)
    if m:
        name = re.sub(r"\\(.)", r"\1", m.group("name")).strip()
        tail = m.group("tail")
    elif "[[" in rest or re.search(r"\[[^\[\]]*\]\(\)", rest):
        cut = rest.find("[")
        name, tail = rest[:cut].strip(), rest[cut:]
    else:
        entry.bullet_name = rest.strip() or None
        return False
    entry.format = AWESOME_HUGE_MODELS
    entry.bullet_name = name or None
    leftover = []
    pos = 0
    for tm in _BULLET_TOKEN_RE.finditer(tail):
        if tail[pos:tm.start()].strip():
            leftover.append(tail[pos:tm.start()].strip())
        pos = tm.end()
        if tm.group("date"):
            if entry.date is None:
                entry.date = re.sub(r"\s+", " ", tm.group("date"))
            else:
                leftover.append(tm.group("date"))
            continue
        if tm.group("dtext") is not None:
            text, url = tm.group("dtext").strip(), tm.group("durl")
        elif tm.group("stext") is not None:
            text, url = tm.group("stext").strip(), tm.group("surl")
        else:
            text, url = tm.group("btext").strip(), None
        low = text.lower()
        if low == "open" or low in ("close", "closed"):
            entry.access = "open" if low == "open" else "closed"
            entry.release = url or None
        elif low == "</>":
            entry.code = url or None
        elif not entry.organizations and text and url is not None:
            entry.organizations = _split_orgs(text)
            entry.homepage = url or None
        else:
            leftover.append(tm.group(0))
    if tail[pos:].strip():
        leftover.append(tail[pos:].strip())
    if leftover:
        entry._problem(line, "unrecognized text on the bullet line: "
                       + repr(" ".join(leftover)), "warning")
    return True


def _parse_paper_line(entry: Entry, lines: list[tuple[int, str]]) -> None:
    text = " ".join(t.strip() for _ln, t in lines).strip()
    entry.paper_line = lines[0][0]
    m = _PAPER_LINE_RE.match(text)
    if m:
        entry.paper_title = m.group("title").strip() or None
        entry.paper_venue = m.group("venue").strip() or None
        entry.paper_url = m.group("url") or None
    elif (m := _PAPER_LINK_RE.match(text)):
        entry.paper_title = m.group("title").strip()
        entry.paper_url = m.group("url") or None
    else:
        entry.paper_title = text
    if not entry.paper_title:
        entry._problem(entry.paper_line, f"paper line without a title: {text!r}", "warning")


def _block_format(fields: list[tuple[int, str, str]]) -> str | None:
    llms = sum(1 for _l, k, _v in fields if k.lower() in LLMS_KEYS)
    huge = sum(1 for _l, k, _v in fields if _huge_key(k) in HUGE_KEYS)
    if llms == huge == 0:
        return None
    return AWESOME_LLMS if llms >= huge else AWESOME_HUGE_MODELS


def _read_block(lines: list[str], start: int, indent: int) -> tuple[list[tuple[int, str]], int, int | None]:
    """The body of the fenced block opened at index ``start``: (body lines as (line number,
    text without the fence's indentation), index of the closing fence or of the last body
    line, index of the line that cut an unclosed block or None)."""
    body: list[tuple[int, str]] = []
    j = start + 1
    while j < len(lines):
        raw = lines[j]
        stripped = raw.strip()
        if re.match(r"^(`{3,}|~{3,})\s*$", stripped):
            return body, j, None
        if stripped and (_indent_of(raw) < indent or _FENCE_RE.match(raw) and stripped[3:].strip()
                         or (indent == 0 and _HEADING_RE.match(raw) and re.match(r"#+ \S", raw))):
            return body, j - 1, j
        expanded = raw.expandtabs(4)
        body.append((j + 1, expanded[indent:] if expanded[:indent].strip() == "" else expanded))
        j += 1
    return body, len(lines) - 1, len(lines)


def _parse_block(entry: Entry, body: list[tuple[int, str]], fmt_hint: str | None) -> None:
    raw_fields: list[tuple[int, str, str]] = []
    margin = min((_indent_of(t) for _ln, t in body if t.strip()), default=0)
    body = [(ln, t[margin:]) for ln, t in body]
    for ln, text in body:
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        m = _KEY_RE.match(text)
        if m and not text.startswith((" ", "\t")):
            raw_fields.append((ln, m.group("key").strip(), (m.group("value") or "").strip()))
        elif raw_fields and text.startswith((" ", "\t")):
            # an indented line continues the previous value (a multi-line plain scalar)
            ln0, k0, v0 = raw_fields[-1]
            raw_fields[-1] = (ln0, k0, (v0 + " " + text.strip()).strip())
        else:
            entry._problem(ln, f"not a 'key: value' line in a yaml block: {text.strip()!r}; entry skipped")
            return
    fmt = fmt_hint or _block_format(raw_fields)
    if entry.format is None:
        entry.format = fmt
    seen: set[str] = set()
    for ln, key, value in raw_fields:
        if fmt == AWESOME_LLMS:
            norm = LLMS_KEYS.get(key.lower())
        elif fmt == AWESOME_HUGE_MODELS:
            norm = HUGE_KEYS.get(_huge_key(key))
        else:
            norm = None
        if norm is None:
            entry._problem(ln, f"unknown key {key!r}; ignored", "warning")
        elif norm in seen:
            entry._problem(ln, f"duplicate key {key!r} in the yaml block; the first value is kept",
                           "warning")
            norm = None
        if norm:
            seen.add(norm)
        if value == "":
            continue        # "key:" without a value states nothing
        entry.fields.append(BlockField(key, value, ln, norm))


def parse_awesome_md(text: str) -> ParseResult:
    """Read an awesome-list markdown text into entries with line numbers.

    Never raises for bad input: malformed parts are reported as problems on the entries
    (``ParseResult.problems``) and the affected entries are marked ``skipped``.
    """
    lines = text.splitlines()
    entries: list[Entry] = []
    headings: dict[int, str] = {}
    title: str | None = None
    pending: Entry | None = None          # a bullet waiting for its paper line / block
    pending_is_entry = False
    paper_lines: list[tuple[int, str]] = []
    continuing = False

    def context(e: Entry) -> None:
        e.headings = tuple(headings[k] for k in sorted(headings))
        e.section = e.headings[-1] if e.headings else None
        e.part = headings.get(2)

    def close_pending() -> None:
        nonlocal pending, pending_is_entry, paper_lines
        if pending is not None:
            if paper_lines and pending.format == AWESOME_HUGE_MODELS:
                _parse_paper_line(pending, paper_lines)
            elif paper_lines and pending_is_entry:
                pending._problem(paper_lines[0][0], "unexpected text after the bullet line: "
                                 + repr(" ".join(t.strip() for _l, t in paper_lines)), "warning")
            if pending_is_entry or pending.block_line is not None:
                finish(pending)
        pending, pending_is_entry, paper_lines = None, False, []

    def finish(e: Entry) -> None:
        has_model = e.get("has model")
        if e.bullet_name and has_model and has_model != e.bullet_name:
            e._problem(e.key_lines["has model"],
                       f"'has model: {has_model}' differs from the bullet's name "
                       f"{e.bullet_name!r}; the bullet's name is used", "warning")
        e.name = e.bullet_name or has_model
        orphan = e.block_line is not None and e.line == e.block_line
        if not e.name and not e.skipped:
            if orphan and not e.fields:
                e._problem(e.line, "yaml block without a model name and without values; skipped")
            elif orphan:
                e._problem(e.line, "yaml block without a model name (no bullet before it and "
                           "no 'has model' key; truncated section?); skipped")
            else:
                e._problem(e.line, "bullet without a model name; entry skipped")
        elif e.block_line is not None and not e.fields and not e.skipped:
            e._problem(e.block_line, "yaml block without any value", "warning")
        entries.append(e)

    i = 0
    while i < len(lines):
        raw = lines[i]
        ln = i + 1
        stripped = raw.strip()
        hm = _HEADING_RE.match(raw)
        fm = _FENCE_RE.match(raw)
        bm = _BULLET_RE.match(raw)
        if hm:
            close_pending()
            level, text_ = len(hm.group(1)), _heading_text(hm.group(2))
            for k in [k for k in headings if k >= level]:
                del headings[k]
            headings[level] = text_
            if level == 1 and title is None:
                title = text_
            continuing = False
        elif fm:
            indent = _indent_of(raw)
            lang = fm.group("lang").lower()
            body, end, cut = _read_block(lines, i, indent)
            if lang not in ("yaml", "yml"):
                i = end + 1 if cut is None else end + 1
                continuing = False
                continue
            if pending is not None and pending.block_line is None and (
                    pending_is_entry or pending.format is None):
                owner = pending
                if paper_lines and owner.format == AWESOME_HUGE_MODELS:
                    _parse_paper_line(owner, paper_lines)
                    paper_lines = []
                pending, pending_is_entry = None, False
            else:
                close_pending()
                owner = Entry(line=ln)
                context(owner)
            owner.block_line = ln
            if cut is not None:
                where = (f"before line {cut + 1}" if cut < len(lines) else
                         "before the end of the file")
                owner._problem(ln, f"yaml block is not closed {where} (truncated?); entry skipped")
            else:
                _parse_block(owner, body, owner.format)
            finish(owner)
            i = end + 1
            continuing = False
            continue
        elif bm and _indent_of(raw) <= 3:
            close_pending()
            pending = Entry(line=ln)
            context(pending)
            pending_is_entry = _parse_bullet(bm.group("rest"), ln, pending)
            continuing = True
        elif not stripped:
            continuing = False
        elif pending is not None and continuing and pending.block_line is None:
            paper_lines.append((ln, raw))
        i += 1
    close_pending()
    entries.sort(key=lambda e: e.line)
    return ParseResult(entries=entries, title=title, source_id=detect_source(text))


def _source_record(source_id: str, path: Path, data_dir: Path) -> tuple[dict, str | None]:
    meta = dict(KNOWN_SOURCES.get(source_id, {"title": source_id}))
    comment = meta.pop("comment", None)
    retrieved = _dt.datetime.fromtimestamp(path.stat().st_mtime, _dt.timezone.utc).date()
    root = data_dir.resolve().parent
    meta.update(id=source_id, retrieved=retrieved.isoformat(),
                file=os.path.relpath(path.resolve(), root).replace(os.sep, "/"))
    return _ordered(meta, _top_order("source")), comment


def import_awesome_md(path: str | os.PathLike, data_dir: str | os.PathLike,
                      source_id: str | None = None, update: bool = False,
                      dry_run: bool = False) -> ImportReport:
    """Import one awesome-list markdown file into ``data_dir``.

    ``source_id`` defaults to the one detected from the file's title (``awesome-llms`` or
    ``awesome-huge-models``). Returns what was created / updated / unchanged / skipped and
    the problems found in the file. ``data/sources/<source id>.yaml`` is created when missing.
    """
    path, data_dir = Path(path), Path(data_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LlmkgError(f"cannot read {path}: {exc.strerror or exc}") from exc
    parsed = parse_awesome_md(text)
    sid = source_id or parsed.source_id
    if not sid:
        raise LlmkgError(f"{path}: cannot tell which list this is (its title is "
                         f"{parsed.title!r}); give the source id")
    if slugify(sid) != sid:
        raise LlmkgError(f"source id {sid!r} is not a slug")
    index = RecordIndex.load(data_dir)
    records = build_records(parsed, sid, index, fmt=parsed.source_id or None)
    report = ImportReport(source_id=sid, path=str(path), data_dir=str(data_dir))
    report.problems.extend(records.problems)
    report.problems.extend(Problem(0, msg, "warning") for msg in index.problems)
    write_records(records, data_dir, update=update, dry_run=dry_run, report=report)
    # the source record
    rel = f"{KINDS['source'][0]}/{sid}.yaml"
    spath = data_dir / rel
    if spath.exists():
        report.unchanged.append(rel)
    else:
        rec, comment = _source_record(sid, path, data_dir)
        if not dry_run:
            _write_atomic(spath, dump_record(rec, comment))
        report.created.append(rel)
    return report


__all__ = ["parse_awesome_md", "detect_source", "import_awesome_md"]
