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
import html
import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml as _pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from llmkg.errors import LlmkgError
from llmkg.schema import KINDS, MODEL_FIELDS, ORKG_COMPARISON_COLUMNS, PAPER_FIELDS, TOP_FIELDS
from llmkg.values import is_absolute_http_url, paper_id, slugify

__all__ = [
    "AWESOME_LLMS", "AWESOME_HUGE_MODELS", "KNOWN_SOURCES", "HUGE_KEYS",
    "Problem", "BlockField", "Entry", "ParseResult", "RecordIndex", "ImportRecords",
    "ImportReport", "parse_awesome_md", "detect_source", "build_records", "write_records",
    "import_awesome_md", "dump_record",
]

AWESOME_LLMS = "awesome-llms"
AWESOME_HUGE_MODELS = "awesome-huge-models"

# --- the sources this importer knows --------------------------------------------------
# Written to data/sources/<id>.yaml when that file does not exist yet (never overwritten).
KNOWN_SOURCES: dict[str, dict[str, Any]] = {
    AWESOME_LLMS: {
        "comment": (
            "awesome-LLMs: ORKG-style structured summaries of LLMs. The README states\n"
            "\"This work is licensed under a Creative Commons Attribution-ShareAlike 4.0\n"
            "International License\"; author, DOI and version from its CITATION.cff.\n"
            "Records derived from it (sources.awesome-llms blocks) are shared under CC BY-SA 4.0."
        ),
        "title": "awesome-LLMs",
        "author": "Jennifer D'Souza",
        "url": "https://github.com/jd-coderepos/llms",
        "license": "CC-BY-SA-4.0",
        "attribution": ("awesome-LLMs by Jennifer D'Souza (https://github.com/jd-coderepos/llms), "
                        "licensed under CC BY-SA 4.0"),
        "citation": ("D'Souza, Jennifer. awesome LLMs (version 1.0.0), 2023. "
                     "https://doi.org/10.5281/zenodo.8321802"),
        "doi": "10.5281/zenodo.8321802",
    },
    AWESOME_HUGE_MODELS: {
        "comment": (
            "awesome-huge-models: the copy states no license (its only license mark is an\n"
            "MIT badge inside an HTML comment, which grants nothing) and names no author or\n"
            "repository. The author below is the owner of the GitHub repository the list is\n"
            "published in (zhengzangw/awesome-huge-models), not a name given in the text.\n"
            "NOASSERTION is SPDX's value for \"no license information\"."
        ),
        "title": "awesome-huge-models",
        "author": "zhengzangw",
        "url": "https://github.com/zhengzangw/awesome-huge-models",
        "license": "NOASSERTION",
        "attribution": ("awesome-huge-models (https://github.com/zhengzangw/awesome-huge-models); "
                        "no license stated"),
        "citation": ("awesome-huge-models: A collection of AWESOME things about HUGE AI models. "
                     "https://github.com/zhengzangw/awesome-huge-models"),
    },
}

# The part (level-2 heading) and sections that hold models, per source, and the parts that
# are known not to (their entries are ignored without a problem).
LLMS_MODEL_PART = "Organizations"
LLMS_OTHER_PARTS = ("Table of Contents", "Contents", "How to Contribute",
                    "Exporting into a structured format", "License")
HUGE_MODEL_SECTIONS = ("Language Model", "Vision Models", "Reinforcement Learning", "Speech",
                       "Science")
HUGE_OTHER_PARTS = ("Contents", "Survey", "Open LLM Training Dataset",
                    "Distributed Training Framework", "Keys Explanations")

# --- keys -----------------------------------------------------------------------------
_MODEL_KEYS = [f.key for f in MODEL_FIELDS]
_PAPER_KEYS = [f.key for f in PAPER_FIELDS]

# awesome-LLMs keys are the ORKG comparison columns; ``Title`` goes to the paper and
# ``has model`` (older copies) names the model.
LLMS_KEYS: dict[str, str] = {k.lower(): k for k in ORKG_COMPARISON_COLUMNS}
LLMS_KEYS["title"] = "title"

# awesome-huge-models keys (lower case, "-" as space) -> our keys, typos included.
HUGE_KEYS: dict[str, str] = {
    "field": "field",
    "params": "number of parameters",
    "training data": "training data",
    "license": "license",
    "context": "context length",
    "context length": "context length",
    "architecture": "architecture",
    "achitecture": "architecture",
    "architecutre": "architecture",
    "objective": "objective",
    "obective": "objective",
    "training cost": "training cost",
    "training time": "training time",
    "training power consumption": "training power consumption",
    "training framework": "training framework",
    "training petaflops": "training compute (petaFLOPs)",
    "instruction tuned variants": "instruction-tuned variants",
    "programming language": "programming language",
    "core operator": "core operator",
    "text encoder": "text encoder",
    "image encoder": "image encoder",
    "image decoder": "image decoder",
    "text encoder & image decoder": "text encoder & image decoder",
    "fusion": "fusion",
    "resolution": "resolution",
    "generation": "generation",
    "generatioon": "generation",
    "embeddings params": "embeddings params",
}

# Values the source means as lists (split on ", " outside parentheses). Everything else is
# one string, whatever commas it contains (training corpus, innovation, ...).
URL_LIST_KEYS = {"has source code", "blog post"}
LIST_KEYS = {
    AWESOME_LLMS: URL_LIST_KEYS | {"research problem"},
    AWESOME_HUGE_MODELS: {"architecture", "objective", "field", "generation", "license"},
}

# Organization tags that name no organization; the model block gets a note instead.
NOT_ORGANIZATIONS = {"personal": "an individual's project"}


def _huge_key(key: str) -> str:
    return re.sub(r"\s+", " ", key.lower().replace("-", " ").replace("_", " ")).strip()


# --- parse results ----------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """Something in the input that was skipped (``error``) or read with a caveat (``warning``)."""

    line: int
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class BlockField:
    """One ``key: value`` line of an entry's yaml block."""

    key: str            # as written
    value: str          # as written, without surrounding white space
    line: int
    norm: str | None    # our key (schema.py), "title" / "has model" for awesome-LLMs, None if unknown


@dataclass
class Entry:
    """One model entry of a list: a bullet and/or a yaml block."""

    line: int                               # the bullet's line, or the block's if there is no bullet
    format: str | None = None               # AWESOME_LLMS, AWESOME_HUGE_MODELS or None (unknown)
    name: str | None = None                 # the model's name (bullet, else ``has model``)
    bullet_name: str | None = None          # the name on the bullet line, if any
    section: str | None = None              # the nearest heading
    part: str | None = None                 # the level-2 heading
    headings: tuple[str, ...] = ()          # all enclosing headings, outermost first
    link: str | None = None                 # the bullet's link (awesome-LLMs)
    orkg_paper: str | None = None           # first R-id of an orkg.org/paper link
    orkg_contribution: str | None = None    # second R-id of it
    organizations: list[str] = field(default_factory=list)  # org tags as written
    homepage: str | None = None             # the [[Org]](url) link
    date: str | None = None                 # release month as written (``Jun. 2023``)
    access: str | None = None               # open / closed from the [open]/[close] flag
    release: str | None = None              # the flag's link
    code: str | None = None                 # the [</>](url) link
    paper_title: str | None = None
    paper_venue: str | None = None
    paper_url: str | None = None
    paper_line: int | None = None
    block_line: int | None = None           # line of the ```yaml fence
    fields: list[BlockField] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: bool = False                   # an error made this entry unusable

    def get(self, key: str) -> str | None:
        """The first value of a (normalized) key, or None."""
        for f in self.fields:
            if f.norm == key:
                return f.value
        return None

    @property
    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for f in self.fields:
            if f.norm and f.norm not in out:
                out[f.norm] = f.value
        return out

    @property
    def key_lines(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.fields:
            if f.norm and f.norm not in out:
                out[f.norm] = f.line
        return out

    def _problem(self, line: int, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(line, message, severity))
        if severity == "error":
            self.skipped = True


@dataclass
class ParseResult:
    entries: list[Entry]
    title: str | None          # the first level-1 heading
    source_id: str | None      # detected from the title

    @property
    def problems(self) -> list[Problem]:
        out = [p for e in self.entries for p in e.problems]
        return sorted(out, key=lambda p: (p.line, p.message))


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


def _split_items(value: str) -> list[str]:
    """Split on commas followed by white space, but not inside parentheses or brackets."""
    items, depth, cur = [], 0, []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}" and depth:
            depth -= 1
        if ch == "," and depth == 0 and i + 1 < len(value) and value[i + 1].isspace():
            items.append("".join(cur).strip())
            cur = []
            i += 1
            continue
        cur.append(ch)
        i += 1
    items.append("".join(cur).strip())
    return [x for x in items if x]


def _split_orgs(text: str) -> list[str]:
    """``"Google, and CMU"`` -> ``["Google", "CMU"]``."""
    parts = re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", text.strip())
    return [p.strip() for p in parts if p.strip() and p.strip().lower() not in ("etc.", "etc")]


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


# --- the records already in data/ ------------------------------------------------------

def _name_key(name: str) -> str:
    return slugify(html.unescape(str(name)))


def _title_key(title: str) -> str:
    return slugify(html.unescape(str(title))).replace("-", "")


_ARXIV_RE = re.compile(r"arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5})(?:v\d+)?", re.I)


def _arxiv_id(url: str | None) -> str | None:
    m = _ARXIV_RE.search(url or "")
    return m.group(1) if m else None


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


class RecordIndex:
    """Name -> id resolution built from the records in a data directory.

    Models and organizations are found by their id, ``name``, ``aliases`` and the names
    their source blocks use, compared as slugs (``LLaMa`` = ``LLaMA``, ``DALL·E 2`` =
    ``DALL-E 2``); papers by ORKG paper id, title (case- and punctuation-insensitive,
    including ``aliases`` and the titles of source blocks) and arXiv id.
    """

    def __init__(self) -> None:
        self.models: dict[str, str] = {}
        self.orgs: dict[str, str] = {}
        self.paper_titles: dict[str, str] = {}
        self.paper_orkg: dict[str, str] = {}
        self.paper_arxiv: dict[str, str] = {}
        self.ids: dict[str, set[str]] = {"model": set(), "paper": set(), "organization": set()}
        self.problems: list[str] = []

    @classmethod
    def load(cls, data_dir: str | os.PathLike) -> "RecordIndex":
        index = cls()
        data_dir = Path(data_dir)
        for kind in ("organization", "paper", "model"):
            folder = data_dir / KINDS[kind][0]
            if not folder.is_dir():
                continue
            records = []
            for path in sorted(folder.glob("*.yaml")):
                try:
                    with open(path, encoding="utf-8") as fh:
                        rec = _pyyaml.safe_load(fh)
                except Exception as exc:  # another person's broken file must not stop us
                    index.problems.append(f"{path}: not readable YAML ({exc.__class__.__name__}); ignored")
                    continue
                if not isinstance(rec, dict):
                    continue
                rec.setdefault("id", path.stem)
                records.append(rec)
            for strong in (True, False):
                for rec in records:
                    index._register_record(kind, rec, strong)
        return index

    def _register_record(self, kind: str, rec: dict, strong: bool) -> None:
        rid = str(rec["id"])
        blocks = rec.get("sources") if isinstance(rec.get("sources"), dict) else {}
        blocks = {k: v for k, v in blocks.items() if isinstance(v, dict)}
        if kind == "paper":
            if strong:
                self.ids["paper"].add(rid)
                titles = [rec.get("title")] + _as_list(rec.get("aliases"))
                if rec.get("orkg paper"):
                    self._put(self.paper_orkg, str(rec["orkg paper"]), rid, "ORKG paper")
                if rec.get("arxiv"):
                    self._put(self.paper_arxiv, str(rec["arxiv"]), rid, "arXiv id")
            else:
                titles = [b.get("title") for b in blocks.values()]
            for t in titles:
                if t:
                    self._put(self.paper_titles, _title_key(t), rid, "title", weak=not strong)
            return
        table = self.models if kind == "model" else self.orgs
        if strong:
            self.ids[kind].add(rid)
            names = [rid, rec.get("name")] + _as_list(rec.get("aliases"))
        else:
            names = [b.get("name") for b in blocks.values()]
        for n in names:
            if n:
                self._put(table, _name_key(n), rid, "name", weak=not strong)

    def _put(self, table: dict[str, str], key: str, rid: str, what: str, weak: bool = False) -> None:
        if not key:
            return
        old = table.get(key)
        if old is None:
            table[key] = rid
        elif old != rid and not weak:
            self.problems.append(f"{what} {key!r} names both {old!r} and {rid!r}; {old!r} is used")

    # lookups -----------------------------------------------------------------------
    def model(self, name: str) -> str | None:
        return self.models.get(_name_key(name))

    def organization(self, name: str) -> str | None:
        return self.orgs.get(_name_key(name))

    def paper(self, title: str | None, orkg: str | None = None, arxiv: str | None = None) -> str | None:
        if orkg and orkg in self.paper_orkg:
            return self.paper_orkg[orkg]
        if title and _title_key(title) in self.paper_titles:
            return self.paper_titles[_title_key(title)]
        if arxiv and arxiv in self.paper_arxiv:
            return self.paper_arxiv[arxiv]
        return None

    # registrations of records made during an import -------------------------------
    def add_model(self, rid: str, name: str) -> None:
        self.ids["model"].add(rid)
        self._put(self.models, rid, rid, "name")
        self._put(self.models, _name_key(name), rid, "name")

    def add_organization(self, rid: str, name: str) -> None:
        self.ids["organization"].add(rid)
        self._put(self.orgs, rid, rid, "name")
        self._put(self.orgs, _name_key(name), rid, "name")

    def add_paper(self, rid: str, title: str, orkg: str | None, arxiv: str | None) -> None:
        self.ids["paper"].add(rid)
        self._put(self.paper_titles, _title_key(title), rid, "title")
        if orkg:
            self._put(self.paper_orkg, orkg, rid, "ORKG paper")
        if arxiv:
            self._put(self.paper_arxiv, arxiv, rid, "arXiv id")


# --- records ---------------------------------------------------------------------------

@dataclass
class ImportRecords:
    """The records one source gives: per kind, id -> record (top-level keys and the
    ``sources.<source id>`` block; organizations have no block)."""

    source_id: str
    models: dict[str, dict] = field(default_factory=dict)
    papers: dict[str, dict] = field(default_factory=dict)
    organizations: dict[str, dict] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    entry_lines: dict[str, list[int]] = field(default_factory=dict)   # model id -> entry lines
    organization_ids: set[str] = field(default_factory=set)          # all organizations named

    def by_kind(self) -> list[tuple[str, dict[str, dict]]]:
        return [("organization", self.organizations), ("paper", self.papers), ("model", self.models)]


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


def _merge_file(path: Path, kind: str, record: dict, source_id: str, update: bool,
                report: ImportReport, rel: str, dry_run: bool) -> None:
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
                sources[source_id] = _to_yaml(new_block)
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
            return
    report.unchanged.append(rel)


def write_records(records: ImportRecords, data_dir: str | os.PathLike, *, update: bool = False,
                  dry_run: bool = False, report: ImportReport | None = None) -> ImportReport:
    """Write records under ``data_dir``, merging into existing files.

    A new record is written as a new file. An existing file keeps all it has (comments,
    top-level keys, other sources' blocks); its ``sources.<source id>`` block is added if
    missing, and replaced only with ``update=True`` when it differs. Missing identity keys
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
                _merge_file(path, kind, record, sid, update, report, rel, dry_run)
            else:
                if not dry_run:
                    _write_atomic(path, dump_record(record))
                report.created.append(rel)
    return report


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
