"""ORKG REST paper payloads (``application/vnd.orkg.paper.v2+json``), a JSON array.

One object per paper, in the shape the official ``orkg`` Python client's ``papers.add``
sends to ``POST /api/papers`` (``PapersClient.add_v2``: the keys ``title``,
``research_fields``, ``identifiers``, ``publication_info``, ``authors``, ``contents``,
``organizations``, ``observatories``, ``extraction_method``, ``sdgs``, in that order), so
each element can be passed as is::

    for payload in json.load(open("papers.json")):
        orkg.papers.add(params=payload)

``contents`` declares what the paper's contributions need: new resources, literals and
predicates under temporary ids (``#temp1``...), and ``contributions`` with their
``statements`` (predicate id -> objects ``{"id": ...}``). ORKG's own ids are used where
known (``P32`` research problem, ``hasModel``, ``SAME_AS``; an existing ORKG contribution
named by the source is linked with ``SAME_AS``); the other comparison properties are
declared as new predicates labelled with their ORKG label (see docs/exports.md). Only
papers ORKG does not have, unless ``include_existing``.
"""

from __future__ import annotations

import json

from ._orkg import (COLUMNS, KNOWN_PREDICATES, RESEARCH_FIELD_ID, XSD, Contribution, Paper, Value, view)

EXTRACTION_METHOD = "MANUAL"


def _xsd(datatype: str) -> str:
    return "xsd:" + datatype[len(XSD):] if datatype.startswith(XSD) else datatype


class _Contents:
    """The ``contents`` of one payload, with temporary ids numbered in order of use;
    ``predicates`` maps ORKG labels to ORKG's predicate ids (the user's, see
    ``--orkg-predicates``), which are used instead of declaring a new predicate."""

    def __init__(self, predicates: dict[str, str] | None = None):
        self.known = {**(predicates or {}), **KNOWN_PREDICATES}
        self.resources: dict[str, dict] = {}
        self.literals: dict[str, dict] = {}
        self.predicates: dict[str, dict] = {}
        self._ids: dict[tuple, str] = {}
        self._n = 0

    def _temp(self, key: tuple) -> tuple[str, bool]:
        if key in self._ids:
            return self._ids[key], False
        self._n += 1
        tid = f"#temp{self._n}"
        self._ids[key] = tid
        return tid, True

    def predicate(self, label: str) -> str:
        if label in self.known:
            return self.known[label]
        tid, new = self._temp(("predicate", label))
        if new:
            self.predicates[tid] = {"label": label,
                                    "description": f"{label} (a property of the ORKG comparison of large "
                                                   f"language models, exported by llmkg)"}
        return tid

    def value(self, v: Value) -> str:
        if v.resource:
            if v.orkg_id:
                return v.orkg_id
            tid, new = self._temp(("resource", v.text, v.classes, v.iri))
            if new:
                self.resources[tid] = {"label": v.text, "classes": list(v.classes)}
            return tid
        tid, new = self._temp(("literal", v.text, v.datatype))
        if new:
            self.literals[tid] = {"label": v.text, "data_type": _xsd(v.datatype)}
        return tid

    def contribution(self, c: Contribution) -> dict:
        statements: dict[str, list] = {}
        for label in COLUMNS:
            values = c.values.get(label, [])
            if not values:
                continue
            pid = self.predicate(label)
            statements.setdefault(pid, []).extend({"id": self.value(v)} for v in values)
        if c.orkg_id:
            statements.setdefault(KNOWN_PREDICATES["same as"], []).append({"id": c.orkg_id})
        return {"label": c.label, "classes": [], "statements": statements}


def payload(p: Paper, predicates: dict[str, str] | None = None) -> dict:
    contents = _Contents(predicates)
    contributions = [contents.contribution(c) for c in p.contributions]
    return {
        "title": p.title,
        "research_fields": [RESEARCH_FIELD_ID],
        "identifiers": {"doi": [p.doi]} if p.doi else {},
        "publication_info": {
            "published_month": p.month,
            "published_year": p.year,
            "published_in": p.venue,
            "url": p.url,
        },
        "authors": [{"name": name} for name in p.authors],
        "contents": {
            "resources": contents.resources,
            "literals": contents.literals,
            "predicates": contents.predicates,
            "lists": {},
            "contributions": contributions,
        },
        "organizations": [],
        "observatories": [],
        "extraction_method": EXTRACTION_METHOD,
        "sdgs": [],
    }


def payloads(src) -> list[dict]:
    """One payload per paper ORKG does not have (``POST /api/papers`` refuses a paper whose
    title exists: HTTP 400), or per paper with ``include_existing``."""
    v = view(src)
    papers = v.papers if src.include_existing else [p for p in v.papers if not p.in_orkg]
    if len(papers) < len(v.papers):
        src.notes.append(f"{len(v.papers) - len(papers)} of the {len(v.papers)} papers of {v.source} are in "
                         f"ORKG already and were left out (--include-existing writes them too)")
    out = [payload(p, src.orkg_predicates) for p in papers]
    declared = sorted({d["label"] for o in out for d in o["contents"]["predicates"].values()})
    if len(out) > 1 and declared:
        src.notes.append(f"{len(out)} payloads each declare {len(declared)} predicates ORKG would create anew "
                         f"for every paper ({', '.join(declared[:3])}...): give their ORKG ids with "
                         f"--orkg-predicates FILE, or use orkg-csv, whose importer finds predicates by label")
    return out


def write(src, out) -> None:
    text = json.dumps(payloads(src), ensure_ascii=False, indent=2)
    out.write(text.encode("utf-8") + b"\n")
