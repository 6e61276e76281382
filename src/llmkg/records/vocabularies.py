"""The curated concept schemes in ``data/vocabularies/``: licenses, architectures, corpora.

A vocabulary file is one SKOS-like concept scheme::

    scheme: licenses              # = the file name; licenses | architectures | corpora
    label: Licenses
    empty value: not-stated       # optional: the concept an empty text means
    shared aliases:               # optional: aliases that deliberately name several concepts
      - "Encoder or Decorder, depending on the base model"
    concepts:
      - id: apache-2.0            # lower case letters and digits, single '-' or '.' between
        label: Apache License 2.0
        aliases: [Apache 2.0, "Open, Apache 2.0"]   # every spelling the sources use, exactly
        spdx: Apache-2.0          # licenses only: the SPDX id -> http://spdx.org/licenses/Apache-2.0
        access: open              # licenses only, required: open | limited | closed | unknown
        broader: [transformer]    # ids of broader concepts in the same scheme
        url: https://...          # a page about the concept (corpora: where the list links it)
        definition: ...           # becomes skos:definition
        note: ...                 # curator's note (not part of the graph)

Values are looked up case-insensitively on label, aliases and SPDX id, after Unicode (NFKC),
quote (’ -> ') and whitespace normalization. A text that is an alias of several concepts
(``dVAE + De``) maps to all of them -- only if it is listed under ``shared aliases``; any
other label or alias that two concepts share is an error, as are duplicate ids, unknown
keys, a ``broader`` that names no concept of the scheme or makes a cycle, and a shared
alias that only one concept has. Errors are :class:`~llmkg.errors.DataError` with the
file and line.

Corpora are also found *inside* free text (``training corpus``, ``Training Data``) by
:meth:`Vocabularies.match_corpora`: labels and aliases as whole words, case-insensitive,
longest first; and a concept's ``url`` where the text contains it.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .read import display_path, is_regular_file, not_regular
from ..errors import DataError
from .values import is_absolute_http_url

DEFAULT_RESOURCE_BASE = "https://w3id.org/llmkg/resource/"
SPDX_BASE = "http://spdx.org/licenses/"

# scheme (file name) -> the kind in concept IRIs: res:license/<id>, res:architecture/<id>...
SCHEME_KINDS: dict[str, str] = {
    "licenses": "license",
    "architectures": "architecture",
    "corpora": "corpus",
}
ACCESS_LEVELS = ("open", "limited", "closed", "unknown")

_SCHEME_KEYS = ("scheme", "label", "description", "empty value", "shared aliases", "concepts")
_CONCEPT_KEYS = ("id", "label", "aliases", "broader", "url", "definition", "note")
_SCHEME_CONCEPT_KEYS = {"licenses": ("spdx", "access")}
_ID_RE = re.compile(r"^[a-z0-9]+(?:[-.][a-z0-9]+)*$")
_SPDX_RE = re.compile(r"^(?:LicenseRef-)?[A-Za-z0-9][A-Za-z0-9.+-]*$")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
                         "\u00a0": " "})
_SPACES = re.compile(r"\s+")
_URL_IN_TEXT = re.compile(r"https?://[^\s,;)\]>\"']+", re.IGNORECASE)


def normalize(text: str) -> str:
    """The lookup key of a label, alias or value: NFKC, straight quotes, single spaces,
    case-folded."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _SPACES.sub(" ", text).strip().casefold()


def _url_key(url: str) -> str:
    return url.strip().rstrip("/.").casefold()


@dataclass(frozen=True)
class Concept:
    """One concept of a scheme. ``broader`` holds ids of concepts in the same scheme."""

    scheme: str
    id: str
    label: str
    iri: str
    aliases: tuple[str, ...] = ()
    broader: tuple[str, ...] = ()
    spdx: str | None = None
    access: str | None = None
    url: str | None = None
    definition: str | None = None
    note: str | None = None
    line: int = 0   # where the concept starts in its file


@dataclass(frozen=True)
class Scheme:
    """A concept scheme: one file of ``data/vocabularies/``."""

    name: str                       # licenses | architectures | corpora
    kind: str                       # license | architecture | corpus (the IRI path segment)
    label: str
    iri: str                        # <base>scheme/<name>
    concepts: tuple[Concept, ...]
    file: str = ""
    base: str = DEFAULT_RESOURCE_BASE
    description: str | None = None
    empty_value: str | None = None
    shared_aliases: tuple[str, ...] = ()

    def concept(self, concept_id: str) -> Concept:
        for c in self.concepts:
            if c.id == concept_id:
                return c
        raise KeyError(f"{self.name}: no concept {concept_id!r}")

    def concept_iri(self, concept_id: str) -> str:
        """The IRI of the concept with this id (SPDX IRI for SPDX licenses)."""
        return self.concept(concept_id).iri


def concept_iri(kind: str, concept_id: str, spdx: str | None = None,
                base: str = DEFAULT_RESOURCE_BASE) -> str:
    """``http://spdx.org/licenses/<ID>`` for an SPDX license, else ``<base><kind>/<id>``."""
    if spdx:
        return SPDX_BASE + spdx
    if not base.endswith("/"):
        base += "/"
    return f"{base}{kind}/{concept_id}"


@dataclass
class Vocabularies:
    """All concept schemes, with the lookups the mapping needs."""

    by_name: dict[str, Scheme] = field(default_factory=dict)
    base: str = DEFAULT_RESOURCE_BASE

    def __post_init__(self) -> None:
        self._index: dict[str, dict[str, tuple[Concept, ...]]] = {}
        self._corpus_re: re.Pattern | None = None
        self._corpus_keys: dict[str, tuple[Concept, ...]] = {}
        self._corpus_urls: dict[str, tuple[Concept, ...]] = {}
        self._corpus_memo: dict[str, tuple[Concept, ...]] = {}   # text -> match_corpora(text)
        for name, scheme in self.by_name.items():
            index: dict[str, list[Concept]] = {}
            for c in scheme.concepts:
                # a license's SPDX id names it too (what the orkg-csv export writes)
                for text in (c.label, *c.aliases, *((c.spdx,) if c.spdx else ())):
                    bucket = index.setdefault(normalize(text), [])
                    if c not in bucket:
                        bucket.append(c)
            if scheme.empty_value:
                index.setdefault("", [scheme.concept(scheme.empty_value)])
            self._index[name] = {k: tuple(v) for k, v in index.items()}
        corpora = self.by_name.get("corpora")
        if corpora is not None:
            self._build_corpus_matcher(corpora)

    # --- access ---------------------------------------------------------------------------
    def schemes(self) -> tuple[Scheme, ...]:
        """The schemes, in a stable order (licenses, architectures, corpora)."""
        return tuple(self.by_name[n] for n in SCHEME_KINDS if n in self.by_name)

    def scheme(self, name: str) -> Scheme:
        return self.by_name[name]

    def concepts(self, scheme: str) -> tuple[Concept, ...]:
        self._check_scheme(scheme)
        s = self.by_name.get(scheme)
        return s.concepts if s else ()

    def concept(self, scheme: str, concept_id: str) -> Concept:
        return self.by_name[scheme].concept(concept_id)

    def broader(self, concept: Concept) -> tuple[Concept, ...]:
        s = self.by_name[concept.scheme]
        return tuple(s.concept(b) for b in concept.broader)

    def __iter__(self) -> Iterator[Concept]:
        for s in self.schemes():
            yield from s.concepts

    # --- lookups --------------------------------------------------------------------------
    @staticmethod
    def _check_scheme(scheme: str) -> None:
        if scheme not in SCHEME_KINDS:
            raise KeyError(f"unknown vocabulary {scheme!r} (known: {', '.join(SCHEME_KINDS)})")

    def lookup(self, scheme: str, text: str) -> tuple[Concept, ...]:
        """The concepts whose label or alias is ``text`` (case-insensitive, whitespace-
        normalized), in file order; ``()`` when none is. Several only for a shared alias."""
        self._check_scheme(scheme)
        index = self._index.get(scheme)
        if not index:
            return ()
        return index.get(normalize(text), ())

    def resolve(self, scheme: str, text: str) -> tuple[Concept, ...]:
        """Like :meth:`lookup`, but a text that is no label or alias as a whole and is a list
        written ``"a, b"`` resolves to the concepts of its items when every item has one:
        awesome-huge-models' ``Architecture: De, MoE`` and ``License: Apache 2.0, CC
        BY-SA-3.0`` (while ``Open, Apache 2.0`` is one alias). For importers; the mapping
        never splits a value (docs/data-format.md)."""
        found = self.lookup(scheme, text)
        if found or ", " not in text:
            return found
        out: list[Concept] = []
        for part in text.split(", "):
            got = self.lookup(scheme, part)
            if not got:
                return ()
            out.extend(c for c in got if c not in out)
        return tuple(out)

    def match_corpora(self, text: str) -> tuple[Concept, ...]:
        """The corpora a free text names, in the order they first appear: every label or
        alias found as a whole word (case-insensitive; the longest wins where names overlap,
        so ``English Wikipedia`` is not also ``Wikipedia``), and every concept whose ``url``
        the text contains. URLs are not searched for names (``github.com`` is not GitHub)."""
        if self._corpus_re is None or not text:
            return ()
        # the same texts come back record after record (a catalogue names the same corpora
        # again and again), and one search of the names' pattern costs tens of microseconds
        memo = self._corpus_memo
        found = memo.get(text)
        if found is None:
            if len(memo) >= 1 << 16:
                memo.clear()
            found = memo[text] = self._match_corpora(text)
        return found

    def _match_corpora(self, text: str) -> tuple[Concept, ...]:
        hits: list[tuple[int, Concept]] = []
        masked = text
        if "://" in text:
            chars = list(text)
            for m in _URL_IN_TEXT.finditer(text):
                for c in self._corpus_urls.get(_url_key(m.group(0)), ()):
                    hits.append((m.start(), c))
                chars[m.start():m.end()] = " " * (m.end() - m.start())
            masked = "".join(chars)
        for m in self._corpus_re.finditer(masked):
            for c in self._corpus_keys.get(normalize(m.group(0)), ()):
                hits.append((m.start(), c))
        out: list[Concept] = []
        for _, c in sorted(hits, key=lambda h: h[0]):
            if c not in out:
                out.append(c)
        return tuple(out)

    def _build_corpus_matcher(self, scheme: Scheme) -> None:
        keys: dict[str, list[Concept]] = {}
        spelled: dict[str, str] = {}
        urls: dict[str, list[Concept]] = {}
        for c in scheme.concepts:
            for text in (c.label, *c.aliases):
                k = normalize(text)
                if len(k) < 2:
                    continue
                bucket = keys.setdefault(k, [])
                if c not in bucket:
                    bucket.append(c)
                spelled.setdefault(k, unicodedata.normalize("NFKC", text).translate(_QUOTES).strip())
            if c.url:
                urls.setdefault(_url_key(c.url), []).append(c)
        self._corpus_keys = {k: tuple(v) for k, v in keys.items()}
        self._corpus_urls = {k: tuple(v) for k, v in urls.items()}
        if not keys:
            return
        alternatives = sorted(spelled.values(), key=lambda s: (-len(s), s))
        body = "|".join(r"\s+".join(re.escape(w) for w in a.split()) for a in alternatives)
        self._corpus_re = re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


# --- loading and validation ----------------------------------------------------------------

def load_vocabularies(data_dir: str | Path, base: str = DEFAULT_RESOURCE_BASE) -> Vocabularies:
    """Read and validate ``<data_dir>/vocabularies/*.yaml``.

    ``base`` is the resource base of the IRIs of concepts without a standard IRI
    (``<base>license/<id>``, ``<base>architecture/<id>``, ``<base>corpus/<id>``) and of the
    schemes (``<base>scheme/<name>``). A missing folder gives no schemes (every lookup is
    then empty). Raises :class:`DataError` (file, line) for a broken file.
    """
    if not base.endswith("/"):
        base += "/"
    folder = Path(data_dir) / "vocabularies"
    schemes: dict[str, Scheme] = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
            shown = display_path(path)
            if not is_regular_file(path):
                raise DataError(f"{path.name} {not_regular(path).replace(': skipped', '')}; a vocabulary "
                                "is a regular file", file=shown, line=1)
            scheme = load_scheme(path.read_text(encoding="utf-8"), shown, path.stem, base)
            if scheme.name in schemes:
                raise DataError(f"a second file for the vocabulary {scheme.name!r}", file=shown, line=1)
            schemes[scheme.name] = scheme
    return Vocabularies(schemes, base)


def load_scheme(text: str, file: str, name: str, base: str = DEFAULT_RESOURCE_BASE) -> Scheme:
    """Parse and validate one vocabulary file's text (``name`` = the file name's stem)."""
    if not base.endswith("/"):
        base += "/"
    return _SchemeReader(text, file, name, base).read()


class _SchemeReader:
    def __init__(self, text: str, file: str, name: str, base: str):
        self.text, self.file, self.name, self.base = text, file, name, base

    def error(self, message: str, node: Node | None = None, line: int | None = None,
              key: str | None = None) -> DataError:
        if node is not None:
            line = node.start_mark.line + 1
        return DataError(message, file=self.file, line=line or 1, field=key)

    # --- YAML nodes ------------------------------------------------------------------------
    def compose(self) -> Node | None:
        try:
            return yaml.compose(self.text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            line = mark.line + 1 if mark else 1
            raise DataError(f"YAML syntax: {e.problem or e}", file=self.file, line=line) from None
        except yaml.YAMLError as e:
            raise DataError(f"YAML: {e}", file=self.file, line=1) from None

    def mapping(self, node: Node, what: str, allowed: tuple[str, ...]) -> dict[str, tuple[Node, Node]]:
        if not isinstance(node, MappingNode):
            raise self.error(f"{what} must be a mapping of keys to values", node)
        out: dict[str, tuple[Node, Node]] = {}
        for k, v in node.value:
            if not isinstance(k, ScalarNode):
                raise self.error(f"{what}: a key must be a plain word", k)
            key = k.value
            if key in out:
                raise self.error(f"{what}: key {key!r} given twice", k, key=key)
            if key not in allowed:
                raise self.error(f"{what}: unknown key {key!r} (allowed: {', '.join(allowed)})", k, key=key)
            out[key] = (k, v)
        return out

    def string(self, node: Node, key: str, allow_empty: bool = False) -> str:
        if not isinstance(node, ScalarNode):
            raise self.error("must be a text, not a list or mapping", node, key=key)
        if node.tag == "tag:yaml.org,2002:null" and not (node.style in ("'", '"')):
            if allow_empty:
                return ""
            raise self.error("has no value", node, key=key)
        value = node.value          # the text as written, whatever YAML would make of it
        if not value.strip() and not allow_empty:
            raise self.error("is empty", node, key=key)
        return value

    def strings(self, node: Node, key: str, allow_empty: bool = False) -> list[tuple[str, Node]]:
        if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null" and not node.style:
            return []
        if not isinstance(node, SequenceNode):
            raise self.error("must be a list, e.g. [a, b]", node, key=key)
        return [(self.string(item, key, allow_empty), item) for item in node.value]

    # --- the file --------------------------------------------------------------------------
    def read(self) -> Scheme:
        root = self.compose()
        if root is None:
            raise self.error("the file is empty", line=1)
        if self.name not in SCHEME_KINDS:
            raise self.error(f"unknown vocabulary {self.name!r}: the files are "
                             + ", ".join(f"{n}.yaml" for n in SCHEME_KINDS), root)
        top = self.mapping(root, "vocabulary", _SCHEME_KEYS)
        for required in ("scheme", "label", "concepts"):
            if required not in top:
                raise self.error(f"missing key {required!r}", root, key=required)
        scheme_name = self.string(top["scheme"][1], "scheme")
        if scheme_name != self.name:
            raise self.error(f"scheme {scheme_name!r} does not match the file name {self.name}.yaml",
                             top["scheme"][1], key="scheme")
        label = self.string(top["label"][1], "label")
        description = self.string(top["description"][1], "description") if "description" in top else None
        kind = SCHEME_KINDS[self.name]
        concepts_node = top["concepts"][1]
        if not isinstance(concepts_node, SequenceNode) or not concepts_node.value:
            raise self.error("concepts must be a non-empty list", concepts_node, key="concepts")

        concepts: list[Concept] = []
        nodes: dict[str, Node] = {}
        broader_nodes: dict[str, Node] = {}
        for cnode in concepts_node.value:
            c, bnode = self.concept(cnode, kind)
            if c.id in nodes:
                raise self.error(f"duplicate concept id {c.id!r} (first at line "
                                 f"{nodes[c.id].start_mark.line + 1})", cnode, key="id")
            nodes[c.id] = cnode
            if bnode is not None:
                broader_nodes[c.id] = bnode
            concepts.append(c)
        self.check_broader(concepts, broader_nodes)
        self.check_spdx(concepts, nodes)

        shared: list[tuple[str, Node]] = []
        if "shared aliases" in top:
            shared = self.strings(top["shared aliases"][1], "shared aliases")
        self.check_names(concepts, nodes, shared)

        empty_value = None
        if "empty value" in top:
            knode = top["empty value"][1]
            empty_value = self.string(knode, "empty value")
            if empty_value not in nodes:
                raise self.error(f"empty value: no concept has the id {empty_value!r}", knode,
                                 key="empty value")
        return Scheme(self.name, kind, label, f"{self.base}scheme/{self.name}", tuple(concepts),
                      self.file, self.base, description, empty_value, tuple(s for s, _ in shared))

    def concept(self, node: Node, kind: str) -> tuple[Concept, Node | None]:
        allowed = _CONCEPT_KEYS + _SCHEME_CONCEPT_KEYS.get(self.name, ())
        m = self.mapping(node, "concept", allowed)
        for required in ("id", "label") + (("access",) if self.name == "licenses" else ()):
            if required not in m:
                raise self.error(f"concept: missing key {required!r}", node, key=required)
        cid = self.string(m["id"][1], "id")
        if not _ID_RE.match(cid):
            raise self.error(f"concept id {cid!r} must be lower case letters and digits with "
                             "single '-' or '.' between them", m["id"][1], key="id")
        label = self.string(m["label"][1], "label").strip()
        aliases = tuple(a for a, _ in self.strings(m["aliases"][1], "aliases")) if "aliases" in m else ()
        broader: tuple[str, ...] = ()
        bnode = None
        if "broader" in m:
            bnode = m["broader"][1]
            if isinstance(bnode, ScalarNode):
                broader = (self.string(bnode, "broader"),)
            else:
                broader = tuple(b for b, _ in self.strings(bnode, "broader"))
        spdx = access = None
        if "spdx" in m:
            spdx = self.string(m["spdx"][1], "spdx").strip()
            if not _SPDX_RE.match(spdx):
                raise self.error(f"spdx {spdx!r} is not an SPDX license id", m["spdx"][1], key="spdx")
        if "access" in m:
            access = self.string(m["access"][1], "access").strip()
            if access not in ACCESS_LEVELS:
                raise self.error(f"access {access!r} must be one of {', '.join(ACCESS_LEVELS)}",
                                 m["access"][1], key="access")
        url = None
        if "url" in m:
            url = self.string(m["url"][1], "url").strip()
            if not is_absolute_http_url(url):
                raise self.error(f"url {url!r} is not an absolute http(s) URL", m["url"][1], key="url")
        definition = self.string(m["definition"][1], "definition").strip() if "definition" in m else None
        note = self.string(m["note"][1], "note").strip() if "note" in m else None
        iri = concept_iri(kind, cid, spdx, self.base)
        return Concept(self.name, cid, label, iri, aliases, broader, spdx, access, url,
                       definition, note, node.start_mark.line + 1), bnode

    def check_broader(self, concepts: list[Concept], bnodes: dict[str, Node]) -> None:
        ids = {c.id for c in concepts}
        parents = {c.id: c.broader for c in concepts}
        for c in concepts:
            for b in c.broader:
                if b not in ids:
                    raise self.error(f"broader: no concept {b!r} in {self.name}", bnodes[c.id],
                                     key="broader")
                if b == c.id:
                    raise self.error(f"broader: {c.id!r} cannot be broader than itself",
                                     bnodes[c.id], key="broader")
        # no cycles: walk up from every concept
        for c in concepts:
            seen = {c.id}
            todo = list(parents[c.id])
            while todo:
                b = todo.pop()
                if b == c.id:
                    raise self.error(f"broader: {c.id!r} is (indirectly) broader than itself",
                                     bnodes[c.id], key="broader")
                if b not in seen:
                    seen.add(b)
                    todo.extend(parents[b])

    def check_spdx(self, concepts: list[Concept], nodes: dict[str, Node]) -> None:
        first: dict[str, str] = {}
        for c in concepts:
            if c.spdx:
                if c.spdx in first:
                    raise self.error(f"spdx {c.spdx!r} is also the id of concept {first[c.spdx]!r}",
                                     nodes[c.id], key="spdx")
                first[c.spdx] = c.id

    def check_names(self, concepts: list[Concept], nodes: dict[str, Node],
                    shared: list[tuple[str, Node]]) -> None:
        owners: dict[str, list[str]] = {}
        for c in concepts:
            for text in (c.label, *c.aliases):
                ids = owners.setdefault(normalize(text), [])
                if c.id not in ids:
                    ids.append(c.id)
        allowed = {}
        for text, node in shared:
            key = normalize(text)
            if len(owners.get(key, ())) < 2:
                raise self.error(f"shared aliases: {text!r} is not a label or alias of two "
                                 "concepts", node, key="shared aliases")
            allowed[key] = text
        for c in concepts:   # reported at the second concept that uses the name
            for text in (c.label, *c.aliases):
                key = normalize(text)
                ids = owners[key]
                if len(ids) > 1 and key not in allowed and c.id != ids[0]:
                    raise self.error(
                        f"{text!r} names both {ids[0]!r} and {c.id!r}; if it means both, list it "
                        "under 'shared aliases'", nodes[c.id], key="aliases")
