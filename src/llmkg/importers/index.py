"""The records already in ``data/`` (:class:`RecordIndex`): found by id, name, title or arXiv
id, so that an import adds to them instead of duplicating them.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any

import yaml as _pyyaml

from ..records.schema import KINDS
from ..records.values import slugify


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
