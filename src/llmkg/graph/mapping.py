"""Records -> quads. One named graph per source; the curated identity in ``graph:curated``.

The triples produced are documented in docs/rdf-model.md. The mapping never fails on a bad
value: it emits what SHACL will report (an ill-typed literal, an untyped reference) and
keeps the original text beside every normalized value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any, Iterator

from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad

from ..records import schema, values
from ..records.read import SLUG_RE, Record, RecordSet
from ..vocab import CURATED_GRAPH, DEFAULT_BASE, GRAPH, LLMKG, PREFIXES, RESOLUTIONS_GRAPH, expand, graph_iri

RDF = PREFIXES["rdf"]
RDFS = PREFIXES["rdfs"]
XSD = PREFIXES["xsd"]
SKOS = PREFIXES["skos"]
DCT = PREFIXES["dcterms"]
PROV = PREFIXES["prov"]
ORKGC = PREFIXES["orkgc"]
ORKGP = PREFIXES["orkgp"]
ORKGR = PREFIXES["orkgr"]
SPDX = PREFIXES["spdx"]


@lru_cache(maxsize=None)
def N(iri: str) -> NamedNode:
    return NamedNode(iri)


@lru_cache(maxsize=None)
def P(name: str) -> NamedNode:
    """A property or class by prefixed name (cached)."""
    return NamedNode(expand(name))


@lru_cache(maxsize=None)
def DT(local: str) -> NamedNode:
    return NamedNode(XSD + local)


TYPE = P("rdf:type")
LABEL = P("rdfs:label")
ACCESS = {"open": "llmkg:Open", "limited": "llmkg:Limited", "closed": "llmkg:Closed",
          "unknown": "llmkg:Unknown"}
CLASS_OF_KIND = {"model": "llmkg:Model", "paper": "orkgc:Paper", "organization": "llmkg:Organization",
                 "reading-list": "llmkg:ReadingList", "source": "llmkg:Source"}
SCHEME_FOLDER = {"licenses": "license", "architectures": "architecture", "corpora": "corpus"}
SCHEME_CLASS = {"licenses": "llmkg:License", "architectures": "llmkg:Architecture",
                "corpora": "llmkg:Corpus"}
SPDX_ID_RE = re.compile(r"^[A-Za-z0-9.+-]+$")
# the keys of a model's statements block that Mapper.model_block does more with than emit
_BLOCK_KEYS_OF_NOTE = frozenset(("orkg contribution", "research problem", "license", "training corpus",
                                 "training data"))


def text_companion(prop: str) -> NamedNode:
    """``dcterms:created`` -> ``llmkg:createdText``: where the original text of a value goes."""
    local = expand(prop).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    return NamedNode(LLMKG + local + "Text")


@dataclass
class MappedGraph:
    """The quads of a build, with what the locator needs to point back to the YAML."""

    quads: list[Quad] = field(default_factory=list)
    base: str = DEFAULT_BASE
    source_graphs: list[str] = field(default_factory=list)   # source ids that have a graph

    def by_graph(self) -> dict[str, list[Quad]]:
        out: dict[str, list[Quad]] = {}
        for q in self.quads:
            g = q.graph_name
            key = "" if isinstance(g, DefaultGraph) else g.value
            out.setdefault(key, []).append(q)
        return out


class Mapper:
    def __init__(self, vocabularies, base: str = DEFAULT_BASE):
        self.vocab = vocabularies
        self.base = base if base.endswith("/") else base + "/"
        self.quads: list[Quad] = []
        self._typed_minted: set[tuple[str, str]] = set()

    # --- helpers ---------------------------------------------------------------------
    def iri(self, kind: str, rid: str) -> NamedNode:
        return self._N(f"{self.base}{kind}/{rid}")

    def ref(self, kind: str, value: str) -> NamedNode:
        rid = value.strip()
        if not SLUG_RE.match(rid):
            rid = values.slugify(rid) or "empty"
        return self.iri(kind, rid)

    def add(self, s, p, o, g) -> None:
        self.quads.append(Quad(s, p, o, g))

    _DEFAULT = DefaultGraph()

    @staticmethod
    def _triple(q) -> tuple:
        return (q.subject, q.predicate, q.object)

    @staticmethod
    def _nt(term) -> str:
        """A term as N-Triples text (to sort by)."""
        return str(term)

    def resolved_view(self, start: int, superseded=frozenset()) -> None:
        """The default graph's copy of the quads from ``start`` on: each triple once, but
        those that a curated resolution supersedes (see :meth:`resolutions`)."""
        seen = set(superseded)
        for q in self.quads[start:]:
            t = self._triple(q)
            if t not in seen:
                seen.add(t)
                self.add(*t, self._DEFAULT)

    # --- the terms: pyoxigraph objects here, N-Quads text in TextMapper --------------------
    _N = staticmethod(N)
    _P = staticmethod(P)
    _DT = staticmethod(DT)
    _Lit = staticmethod(Literal)
    _IRI = staticmethod(NamedNode)
    _companion = staticmethod(text_companion)
    _TYPE = TYPE
    _LABEL = LABEL

    @staticmethod
    def _v(node) -> str:
        """The IRI of a node."""
        return node.value

    @staticmethod
    def _predicate(q):
        return q.predicate

    def _int_or_illtyped(self, n, text: str):
        return _int_or_illtyped(n, text)

    # --- values of one key ------------------------------------------------------------
    def emit(self, s: NamedNode, f: schema.Field, value: Any, g: NamedNode, rec: Record,
             source: str | None) -> None:
        kind = f.kind
        if type(value) is str:  # (the common case: one text)
            v = value.strip()
            if not v:
                return
            items: Any = (v,)
        else:
            items = [t for t in (str(v).strip() for v in (value if isinstance(value, list) else [value])
                                 if v is not None) if t]
            if not items:
                return
        prop = self._P(f.prop)
        if kind == "text" or kind == "texts":
            for v in items:
                self.add(s, prop, self._Lit(v), g)
        elif kind in ("url", "urls"):
            for v in items:
                self.add(s, prop, self.url(v), g)
        elif kind == "date":
            for v in items:
                d = values.parse_date(v)
                self.add(s, prop, self._Lit(d.value, datatype=self._DT(d.datatype if d.ok else "date")), g)
                self.add(s, self._companion(f.prop), self._Lit(v), g)
        elif kind == "params":
            for v in items:
                self.add(s, prop, self._Lit(v), g)
                if f.key == "number of parameters":
                    self.params(s, v, g, rec, source)
        elif kind == "millions":
            for v in items:
                n = values.parse_millions(v)
                self.add(s, prop, self._int_or_illtyped(n, v), g)
        elif kind == "number":
            for v in items:
                n = values.parse_number(v)
                lit = self._Lit(str(n), datatype=self._DT("decimal")) if n is not None else \
                    self._Lit(v, datatype=self._DT("decimal"))
                self.add(s, prop, lit, g)
                self.add(s, self._companion(f.prop), self._Lit(v), g)
        elif kind == "integer":
            for v in items:
                n = values.parse_integer(v)
                self.add(s, prop, self._int_or_illtyped(n, v), g)
                if f.key not in ("year", "month"):
                    self.add(s, self._companion(f.prop), self._Lit(v), g)
        elif kind == "orkg-id":
            for v in items:
                self.add(s, prop, self._Lit(v), g)
                if re.fullmatch(r"R[0-9]+", v):
                    self.add(s, self._P("skos:exactMatch"), self._N(ORKGR + v), g)
        elif kind.startswith(("ref:", "refs:")):
            target = kind.split(":", 1)[1]
            for v in items:
                self.add(s, prop, self.ref(target, v), g)
        elif kind.startswith(("concept:", "concepts:")):
            scheme = kind.split(":", 1)[1]
            for v in items:
                concepts = self.vocab.lookup(scheme, v)
                if concepts:
                    for c in concepts:
                        self.add(s, prop, self._N(c.iri), g)
                        if scheme == "licenses" and getattr(c, "access", None):
                            self.add(s, self._P("llmkg:accessLevel"), self._P(ACCESS[c.access]), g)
                else:
                    self.add(s, prop, self.iri(SCHEME_FOLDER[scheme], values.slugify(v) or "empty"), g)
                self.add(s, self._companion(f.prop), self._Lit(v), g)
        elif kind == "access":
            for v in items:
                a = ACCESS.get(v.lower())
                self.add(s, prop, self._P(a) if a else self._Lit(v), g)
        elif kind == "problems":
            pass  # research problems hang on the contribution; see model_block
        else:  # pragma: no cover - schema.py and this function must agree
            raise AssertionError(f"unhandled value kind {kind!r} for {f.key!r}")

    def url(self, v: str):
        if values.is_absolute_http_url(v):
            try:
                return self._IRI(v)
            except ValueError:
                pass
        return self._Lit(v)

    def params(self, s: NamedNode, text: str, g: NamedNode, rec: Record, source: str | None) -> None:
        parsed = values.parse_params(text)
        for n, var in enumerate(parsed.variants, start=1):
            node = self._N(f"{self._v(s)}/parameters/{source}/{n}")
            self.add(s, self._P("llmkg:parameterVariant"), node, g)
            self.add(node, self._TYPE, self._P("llmkg:ParameterVariant"), g)
            self.add(node, self._LABEL, self._Lit(var.label), g)
            self.add(node, self._P("llmkg:parameterCount"), self._Lit(str(var.count), datatype=self._DT("integer")), g)
        if parsed.maximum is not None:
            self.add(s, self._P("llmkg:maximumParameterCount"),
                     self._Lit(str(parsed.maximum), datatype=self._DT("integer")), g)
        elif parsed.has_digits and not parsed.ok:
            self.add(s, self._P("llmkg:maximumParameterCount"), self._Lit(text, datatype=self._DT("integer")), g)

    # --- records ------------------------------------------------------------------------
    def top_level(self, rec: Record, s: NamedNode, g: NamedNode) -> None:
        fields = schema.TOP[rec.kind]
        for key, value in rec.data.items():
            f = fields.get(key)
            if f is None or f.prop == "-" or f.kind == "sections" or value is None:
                continue
            if rec.kind == "source" and key == "license":
                self.source_license(s, str(value), g)
                continue
            if key == "name" or (key == "title" and rec.kind in ("paper", "reading-list", "source")):
                self.add(s, self._LABEL, self._Lit(str(value).strip()), g)
                if key == "name":
                    continue
            self.emit(s, f, value, g, rec, None)

    def source_license(self, s: NamedNode, text: str, g: NamedNode) -> None:
        text = text.strip()
        lic = self._N(SPDX + text) if SPDX_ID_RE.match(text) else self.url(text)
        self.add(s, self._P("dcterms:license"), lic, g)

    def record(self, rec: Record) -> None:
        start = len(self.quads)
        self.named_graphs(rec)
        self.resolved_view(start, self.resolutions(rec))

    def named_graphs(self, rec: Record) -> None:
        """The quads of a record in its named graphs: graph:curated and one per source."""
        curated = self._N(CURATED_GRAPH)
        s = self.iri(rec.kind, rec.id)
        home = curated
        if rec.kind == "reading-list" and isinstance(rec.data.get("source"), str):
            home = self._N(graph_iri(rec.data["source"].strip()))
        self.add(s, self._TYPE, self._P(CLASS_OF_KIND[rec.kind]), home)
        self.top_level(rec, s, home)
        if rec.kind == "source":
            gnode = self._N(graph_iri(rec.id))
            self.add(gnode, self._TYPE, self._P("llmkg:SourceGraph"), curated)
            self.add(gnode, self._P("prov:wasDerivedFrom"), s, curated)
            lic = rec.data.get("license")
            if isinstance(lic, str) and lic.strip():
                self.source_license(gnode, lic, curated)
        if rec.kind == "reading-list":
            self.sections(rec, s, home)
        blocks = rec.data.get("sources")
        if isinstance(blocks, dict):
            fields = schema.BLOCK[rec.kind]
            for source, block in blocks.items():
                if not isinstance(block, dict):
                    continue
                g = self._N(graph_iri(source))
                if rec.kind == "model":
                    self.model_block(rec, s, source, block, g, fields)
                else:
                    self.block(rec, s, source, block, g, fields)

    # --- curated resolutions ------------------------------------------------------------
    def resolutions(self, rec: Record) -> set:
        """The record's ``curated`` resolutions, in graph:curated; returns the triples they
        supersede (left out of the default graph, kept in the sources' graphs).

        A resolution of KEY is mapped as a statements block ``{KEY: value}`` would be, into
        graph:resolutions (validated like a source's graph), and described in graph:curated by ``<record>/resolution/<key>`` (a ``llmkg:Resolution``:
        the record, the key, the value as written, the reason, links, PROV attribution,
        ``llmkg:PreferredRank``). The statements that the sources' blocks make of KEY and
        that the resolution does not repeat are superseded: each is described as an
        ``rdf:Statement`` (``llmkg:statedIn`` its source's graph) that the resolution
        ``llmkg:supersedes``, ranked ``llmkg:NormalRank`` when the source's value agrees
        with the resolution (only its own minted nodes or texts differ) and
        ``llmkg:DeprecatedRank`` when it does not. docs/rdf-model.md describes the model."""
        spec = rec.data.get("curated")
        if not isinstance(spec, dict) or not spec:
            return set()
        fields = schema.BLOCK[rec.kind]
        blocks = rec.data.get("sources") if isinstance(rec.data.get("sources"), dict) else {}
        s = self.iri(rec.kind, rec.id)
        cur = self._N(CURATED_GRAPH)
        resolved = self._N(RESOLUTIONS_GRAPH)
        superseded: set = set()
        for key in sorted(spec, key=str):
            res = spec[key]
            f = fields.get(key)
            if f is None or not isinstance(res, dict) or res.get("value") is None:
                continue  # reported by records.check_record
            before = len(self.quads)
            self._map_block(rec, s, "curated", {key: res["value"]}, resolved, fields)
            mine = {self._triple(q) for q in self.quads[before:]}
            node = self._N(f"{self._v(s)}/resolution/{values.slugify(key) or 'key'}")
            self.add(node, self._TYPE, self._P("llmkg:Resolution"), cur)
            self.add(node, self._P("llmkg:about"), s, cur)
            self.add(node, self._P("llmkg:resolvesKey"), self._Lit(key), cur)
            for v in (res["value"] if isinstance(res["value"], list) else [res["value"]]):
                if v is not None and str(v).strip():
                    self.add(node, self._P("rdf:value"), self._Lit(str(v).strip()), cur)
            for p in sorted({t[1] for t in mine if t[0] == s}, key=self._nt):
                self.add(node, self._P("llmkg:resolvesProperty"), p, cur)
            reason = res.get("reason")
            if isinstance(reason, str) and reason.strip():
                self.add(node, self._P("llmkg:reason"), self._Lit(reason.strip()), cur)
            see = res.get("see")
            for v in (see if isinstance(see, list) else [see] if see is not None else []):
                if v is not None and str(v).strip():
                    self.add(node, self._P("rdfs:seeAlso"), self.url(str(v).strip()), cur)
            self.add(node, self._P("prov:wasAttributedTo"), self._P("llmkg:Curators"), cur)
            self.add(node, self._P("llmkg:rank"), self._P("llmkg:PreferredRank"), cur)
            stated = []
            for source in sorted(blocks, key=str):
                block = blocks[source]
                if not isinstance(block, dict) or block.get(key) is None:
                    continue
                g = self._N(graph_iri(source))
                theirs = self._field_triples(rec, s, source, block, key, g, fields)
                agree = self._comparable(theirs, source) == self._comparable(mine, "curated")
                rank = self._P("llmkg:NormalRank" if agree else "llmkg:DeprecatedRank")
                for t in sorted(theirs - mine, key=lambda t: tuple(map(self._nt, t))):
                    stated.append((t, g, rank))
            for n, (t, g, rank) in enumerate(stated, start=1):
                st = self._N(f"{self._v(node)}/statement/{n}")
                self.add(node, self._P("llmkg:supersedes"), st, cur)
                self.add(st, self._TYPE, self._P("rdf:Statement"), cur)
                self.add(st, self._P("rdf:subject"), t[0], cur)
                self.add(st, self._P("rdf:predicate"), t[1], cur)
                self.add(st, self._P("rdf:object"), t[2], cur)
                self.add(st, self._P("llmkg:statedIn"), g, cur)
                self.add(st, self._P("llmkg:rank"), rank, cur)
                superseded.add(t)
        return superseded

    def _map_block(self, rec, s, source, block, g, fields) -> None:
        (self.model_block if rec.kind == "model" else self.block)(rec, s, source, block, g, fields)

    def _field_triples(self, rec, s, source, block, key, g, fields) -> set:
        """The triples that ``key`` of a source's block adds to what the rest of the block
        says, about the record or the nodes minted for it (not a shared research problem)."""
        def triples(b) -> set:
            m = type(self)(self.vocab, self.base)
            m._map_block(rec, s, source, b, g, fields)
            return {m._triple(q) for q in m.quads}

        rest = {k: v for k, v in block.items() if k != key}
        own = self._v(s)
        contribution = self._N(f"{self.base}contribution/{source}/{rec.id}")

        def is_own(t) -> bool:
            sub = self._v(t[0]) if not self._is_literal(t[0]) else ""
            return sub == own or sub.startswith(own + "/") or t[0] == contribution or t[2] == contribution

        return {t for t in triples(block) - triples(rest) if is_own(t)}

    @staticmethod
    def _is_literal(term) -> bool:
        return isinstance(term, Literal)

    def _comparable(self, triples: set, source: str) -> set:
        """Triples as they compare across sources: minted nodes named alike, texts left out."""
        out = set()
        for t in triples:
            p = self._nt(t[1])
            if p.endswith("Text>"):
                continue
            out.add(tuple(self._nt(x).replace(f"/parameters/{source}/", "/parameters/curated/")
                          .replace(f"/contribution/{source}/", "/contribution/curated/") for x in t))
        return out

    def block(self, rec, s, source, block, g, fields) -> None:
        for key, value in block.items():
            f = fields.get(key)
            if f is None or value is None:
                continue
            if rec.kind == "paper" and key == "authors":
                names = value if isinstance(value, list) else [value]
                names = [str(n).strip() for n in names if n is not None and str(n).strip()]
                for n in names:
                    self.add(s, self._P("dcterms:creator"), self._Lit(n), g)
                if names:
                    self.add(s, self._P("llmkg:authorList"), self._Lit("; ".join(names)), g)
                continue
            self.emit(s, f, value, g, rec, source)

    def model_block(self, rec, s, source, block, g, fields) -> None:
        contribution = None
        if any(k in block for k in ("paper", "research problem", "orkg contribution")):
            contribution = self._N(f"{self.base}contribution/{source}/{rec.id}")
            self.add(contribution, self._TYPE, self._P("orkgc:Contribution"), g)
            self.add(contribution, self._LABEL, self._Lit(f"{rec.name} ({source})"), g)
            self.add(contribution, self._P("llmkg:hasModel"), s, g)
            paper = block.get("paper")
            if isinstance(paper, str) and paper.strip():
                self.add(self.ref("paper", paper), self._P("orkgp:P31"), contribution, g)
        access_given = "access" in block
        for key, value in block.items():
            f = fields.get(key)
            if f is None or value is None:
                continue
            if key not in _BLOCK_KEYS_OF_NOTE:   # (most keys: one value of the model)
                self.emit(s, f, value, g, rec, source)
            elif key == "orkg contribution" and contribution is not None:
                self.emit(contribution, f, value, g, rec, source)
            elif key == "research problem" and contribution is not None:
                items = value if isinstance(value, list) else [value]
                for v in items:
                    if v is None or not str(v).strip():
                        continue
                    label = str(v).strip()
                    prob = self.iri("problem", values.slugify(label) or "empty")
                    self.add(contribution, self._P("orkgp:P32"), prob, g)
                    self.mint_problem(prob, label, g)
            elif key == "license" and access_given:
                # the source flags the access level itself; the license keeps its text and IRI
                before = len(self.quads)
                self.emit(s, f, value, g, rec, source)
                acc = self._P("llmkg:accessLevel")
                self.quads[before:] = [q for q in self.quads[before:] if self._predicate(q) != acc]
            else:
                self.emit(s, f, value, g, rec, source)
                if key in ("training corpus", "training data"):
                    self.corpora(s, value, g)

    def mint_problem(self, prob: NamedNode, label: str, g: NamedNode) -> None:
        """Type and label a research problem, once per graph: the first model (in the order
        records are mapped) that names it gives its label."""
        if (self._v(prob), self._v(g)) not in self._typed_minted:
            self._typed_minted.add((self._v(prob), self._v(g)))
            self.problem_quads(prob, label, g)

    def problem_quads(self, prob: NamedNode, label: str, g: NamedNode) -> None:
        self.add(prob, self._TYPE, self._P("orkgc:Problem"), g)
        self.add(prob, self._LABEL, self._Lit(label), g)

    def corpora(self, s, value, g) -> None:
        items = value if isinstance(value, list) else [value]
        seen = set()
        for v in items:
            if v is None:
                continue
            for c in self.vocab.match_corpora(str(v)):
                if c.iri not in seen:
                    seen.add(c.iri)
                    self.add(s, self._P("llmkg:trainedOn"), self._N(c.iri), g)

    def sections(self, rec: Record, s: NamedNode, g: NamedNode) -> None:
        sections = rec.data.get("sections")
        if not isinstance(sections, list):
            return
        for i, sec in enumerate(sections, start=1):
            if not isinstance(sec, dict):
                continue
            snode = self._N(f"{self._v(s)}/section/{i}")
            self.add(s, self._P("llmkg:section"), snode, g)
            self.add(snode, self._TYPE, self._P("llmkg:ReadingListSection"), g)
            self.add(snode, self._P("llmkg:position"), self._Lit(str(i), datatype=self._DT("integer")), g)
            if sec.get("title"):
                self.add(snode, self._P("dcterms:title"), self._Lit(str(sec["title"]).strip()), g)
            if sec.get("note"):
                self.add(snode, self._P("skos:note"), self._Lit(str(sec["note"]).strip()), g)
            papers = sec.get("papers")
            if not isinstance(papers, list):
                continue
            for j, entry in enumerate(papers, start=1):
                if not isinstance(entry, dict):
                    continue
                enode = self._N(f"{self._v(snode)}/entry/{j}")
                self.add(snode, self._P("llmkg:entry"), enode, g)
                self.add(enode, self._TYPE, self._P("llmkg:ReadingListEntry"), g)
                self.add(enode, self._P("llmkg:position"), self._Lit(str(j), datatype=self._DT("integer")), g)
                if isinstance(entry.get("paper"), str):
                    self.add(enode, self._P("llmkg:paper"), self.ref("paper", entry["paper"]), g)
                for key, prop in (("label", "rdfs:label"), ("note", "skos:note")):
                    if entry.get(key):
                        self.add(enode, self._P(prop), self._Lit(str(entry[key]).strip()), g)

    def vocabularies(self) -> None:
        start = len(self.quads)
        self._vocabulary_quads()
        self.resolved_view(start)

    def _vocabulary_quads(self) -> None:
        g = self._N(CURATED_GRAPH)
        for scheme in self.vocab.schemes():
            snode = self.iri("scheme", scheme.name)
            self.add(snode, self._TYPE, self._P("skos:ConceptScheme"), g)
            if scheme.label:
                self.add(snode, self._LABEL, self._Lit(scheme.label), g)
            cls = self._P(SCHEME_CLASS[scheme.name]) if scheme.name in SCHEME_CLASS else None
            for c in scheme.concepts:
                node = self._N(c.iri)
                self.add(node, self._TYPE, self._P("skos:Concept"), g)
                if cls is not None:
                    self.add(node, self._TYPE, cls, g)
                self.add(node, self._P("skos:inScheme"), snode, g)
                self.add(node, self._P("skos:prefLabel"), self._Lit(c.label), g)
                self.add(node, self._LABEL, self._Lit(c.label), g)
                for a in sorted(set(c.aliases)):
                    self.add(node, self._P("skos:altLabel"), self._Lit(a), g)
                if getattr(c, "access", None):
                    self.add(node, self._P("llmkg:accessLevel"), self._P(ACCESS[c.access]), g)
                if getattr(c, "spdx", None):
                    self.add(node, self._P("llmkg:spdxId"), self._Lit(c.spdx), g)
                for b in getattr(c, "broader", ()) or ():
                    self.add(node, self._P("skos:broader"), self._N(scheme.concept_iri(b)), g)
                if getattr(c, "url", None) and values.is_absolute_http_url(c.url):
                    self.add(node, self._P("foaf:page"), self._N(c.url), g)
                if getattr(c, "definition", None):
                    self.add(node, self._P("skos:definition"), self._Lit(c.definition), g)


def _int_or_illtyped(n, text: str) -> Literal:
    if n is None:
        return Literal(text, datatype=DT("integer"))
    if isinstance(n, Decimal) and n != n.to_integral_value():
        return Literal(str(n), datatype=DT("decimal"))
    return Literal(str(int(n)), datatype=DT("integer"))


# --- the same mapping as N-Quads text --------------------------------------------------------

_ESCAPES = str.maketrans({'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r"})
# IRIs that pyoxigraph would accept as they are: http(s), a host, plain path characters
_SAFE_IRI = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[A-Za-z0-9\-._~:@!$&'()*+,;=]*)*")


def _text_lit(value: str) -> str:
    if '"' in value or "\\" in value or "\n" in value or "\r" in value:
        value = value.translate(_ESCAPES)
    return '"' + value + '"'


@lru_cache(maxsize=None)
def _text_const(iri: str) -> str:
    NamedNode(iri)
    return "<" + iri + ">"


class TextMapper(Mapper):
    """The same mapping, written as N-Quads text rather than pyoxigraph objects (twice as
    fast): a quad is a tuple of term texts, :meth:`nquads` the document. An IRI is checked
    as pyoxigraph checks it (``NamedNode``) unless it is plainly valid, so that what the
    object mapping refuses is refused here too. tests/test_incremental.py compares both."""

    @staticmethod
    def _N(iri: str) -> str:
        if _SAFE_IRI.fullmatch(iri) is None:
            NamedNode(iri)  # raises ValueError as the object mapping does
        return "<" + iri + ">"

    @staticmethod
    def _IRI(iri: str) -> str:
        NamedNode(iri)
        return "<" + iri + ">"

    _P = staticmethod(lru_cache(maxsize=None)(lambda name: _text_const(expand(name))))
    _DT = staticmethod(lru_cache(maxsize=None)(lambda local: _text_const(XSD + local)))
    _companion = staticmethod(lru_cache(maxsize=None)(lambda prop: _text_const(text_companion(prop).value)))
    _TYPE = "<" + RDF + "type>"
    _LABEL = "<" + RDFS + "label>"

    @staticmethod
    def _Lit(value: str, datatype: str | None = None, language: str | None = None) -> str:
        text = _text_lit(value)
        if language:
            return text + "@" + language
        if datatype is None or datatype == "<http://www.w3.org/2001/XMLSchema#string>":
            return text
        return text + "^^" + datatype

    @staticmethod
    def _v(node: str) -> str:
        return node[1:-1]

    _DEFAULT = None

    @staticmethod
    def _triple(q) -> tuple:
        return q[:3]

    @staticmethod
    def _nt(term: str) -> str:
        return term

    @staticmethod
    def _is_literal(term: str) -> bool:
        return term[0] == '"'

    @staticmethod
    def _predicate(q):
        return q[1]

    def add(self, s, p, o, g) -> None:
        self.quads.append((s, p, o, g))

    def _int_or_illtyped(self, n, text: str):
        if n is None:
            return self._Lit(text, datatype=self._DT("integer"))
        if isinstance(n, Decimal) and n != n.to_integral_value():
            return self._Lit(str(n), datatype=self._DT("decimal"))
        return self._Lit(str(int(n)), datatype=self._DT("integer"))

    def nquads(self) -> bytes:
        return "".join([f"{s} {p} {o} {g} .\n" if g is not None else f"{s} {p} {o} .\n"
                        for s, p, o, g in self.quads]).encode()


def map_records(rs: RecordSet, vocabularies, base: str = DEFAULT_BASE) -> MappedGraph:
    """Map every record (and the vocabularies) to quads, in a deterministic order."""
    m = Mapper(vocabularies, base)
    m.vocabularies()
    for rec in sorted(rs.records, key=lambda r: (r.kind, r.id)):
        m.record(rec)
    sources = sorted(r.id for r in rs.by_kind("source"))
    return MappedGraph(m.quads, m.base, sources)


def iter_source_ids(rs: RecordSet) -> Iterator[str]:
    yield from sorted(r.id for r in rs.by_kind("source"))
