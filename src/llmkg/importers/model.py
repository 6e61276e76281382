"""What an import is made of: the entries parsed from a list (with their lines), the problems
found, and the records one source gives (:class:`ImportRecords`).
"""

from __future__ import annotations

from dataclasses import dataclass, field




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
