"""Entity search: models, papers, organizations, reading lists and vocabulary concepts by
label or alias, for the page's search box and ``GET /search?q=``.

Names are compared by a *key*: case-folded (NFKC), with every run of characters other than
letters and digits removed, so "gpt 3", "GPT3" and "gpt-3" are one key. A hit's rank:

0. a label or alias has the query's key (``gpt 3`` -> GPT-3);
1. a label or alias starts with it (``llam`` -> LLaMA, Llama 2);
2. a word of a label or alias starts with the query's first word and the name holds all its
   words (``language models few`` -> "Language Models are Few-Shot Learners").

Hits are sorted by rank, then by kind (models first), then by label; each entity once, with
the name that matched. The index is built from the default graph in one query (a few
milliseconds for the shipped data) and kept per store version by the caller.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass

from ..vocab import PREFIXES

KINDS = {  # class -> kind, in the order hits of one rank are listed
    PREFIXES["llmkg"] + "Model": "model",
    PREFIXES["orkgc"] + "Paper": "paper",
    PREFIXES["llmkg"] + "Organization": "organization",
    PREFIXES["llmkg"] + "ReadingList": "reading list",
    PREFIXES["skos"] + "Concept": "concept",
}
_ORDER = {k: i for i, k in enumerate(KINDS.values())}
NAME_PROPERTIES = ("rdfs:label", "skos:prefLabel", "skos:altLabel", "dcterms:title", "llmkg:nameInSource")
_NOT_KEY = re.compile(r"[\W_]+", re.UNICODE)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
MAX_HITS = 50

INDEX_QUERY = (
    "SELECT ?s ?type ?p ?name WHERE { VALUES ?type { " + " ".join(f"<{c}>" for c in KINDS) + " } "
    "?s a ?type . VALUES ?p { " + " ".join(f"<{PREFIXES[n.split(':')[0]] + n.split(':')[1]}>" for n in NAME_PROPERTIES)
    + " } ?s ?p ?name . FILTER(isLITERAL(?name)) }")


def key(text: str) -> str:
    """The comparison key of a name.

    >>> key("GPT-3") == key("gpt 3") == "gpt3"
    True
    """
    return _NOT_KEY.sub("", unicodedata.normalize("NFKC", text).casefold())


def words(text: str) -> list[str]:
    return [w for w in (key(w) for w in _WORD.findall(unicodedata.normalize("NFKC", text))) if w]


@dataclass(frozen=True)
class Hit:
    iri: str
    label: str
    kind: str
    matched: str      # the name that matched (the label, or an alias)
    rank: int         # 0 exact, 1 prefix, 2 words

    def as_json(self) -> dict:
        return {"iri": self.iri, "label": self.label, "kind": self.kind, "matched": self.matched,
                "match": ("exact", "prefix", "words")[self.rank]}


class SearchIndex:
    """The names of the store's entities, searchable (see the module docstring)."""

    def __init__(self, rows: list[tuple[str, str, str, str]]):
        """``rows``: (entity IRI, class IRI, name property IRI, name)."""
        label_props = (PREFIXES["skos"] + "prefLabel", PREFIXES["rdfs"] + "label", PREFIXES["dcterms"] + "title")
        self.kind: dict[str, str] = {}
        self.label: dict[str, str] = {}
        names: dict[str, set[str]] = {}
        best: dict[str, tuple[int, str]] = {}
        for s, cls, prop, name in rows:
            kind = KINDS[cls]
            if s not in self.kind or _ORDER[kind] < _ORDER[self.kind[s]]:
                self.kind[s] = kind
            names.setdefault(s, set()).add(name)
            rank = label_props.index(prop) if prop in label_props else len(label_props)
            if s not in best or (rank, name) < best[s]:
                best[s] = (rank, name)
        self.label = {s: best[s][1] for s in best}
        # (key of the name, its words, the name, entity): every name of every entity, sorted
        # by key (a prefix is a range: bisect), and every word of every name, sorted
        self.entries = sorted((key(n), tuple(words(n)), n, s) for s, ns in names.items() for n in ns)
        self._keys = [e[0] for e in self.entries]
        self._words = sorted((w, i) for i, e in enumerate(self.entries) for w in set(e[1]))
        self._word_keys = [w for w, _i in self._words]

    @classmethod
    def from_store(cls, store) -> SearchIndex:
        rows = [(r["s"].value, r["type"].value, r["p"].value, r["name"].value) for r in store.query(INDEX_QUERY)
                if hasattr(r["s"], "value") and not r["s"].value.startswith("_:")]
        return cls(rows)

    def search(self, q: str, limit: int = 20) -> list[Hit]:
        qkey = key(q)
        qwords = words(q)
        if not qkey:
            return []
        found: dict[str, Hit] = {}

        def add(i: int, rank: int) -> None:
            _k, _ws, name, s = self.entries[i]
            hit = Hit(s, self.label.get(s, name), self.kind[s], name, rank)
            old = found.get(s)
            if old is None or (hit.rank, hit.matched != hit.label, hit.matched) < (
                    old.rank, old.matched != old.label, old.matched):
                found[s] = hit

        i = bisect_left(self._keys, qkey)
        while i < len(self._keys) and self._keys[i].startswith(qkey):
            add(i, 0 if self._keys[i] == qkey else 1)
            i += 1
        if qwords:
            j = bisect_left(self._word_keys, qwords[0])
            while j < len(self._word_keys) and self._word_keys[j].startswith(qwords[0]):
                e = self._words[j][1]
                ws = self.entries[e][1]
                if all(any(w.startswith(x) for w in ws) for x in qwords[1:]):
                    add(e, 2)
                j += 1
        hits = sorted(found.values(), key=lambda h: (h.rank, _ORDER[h.kind], h.label.casefold(), h.iri))
        return hits[:max(0, min(limit, MAX_HITS))]
