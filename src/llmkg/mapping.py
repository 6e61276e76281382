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

from . import schema, values
from .records import SLUG_RE, Record, RecordSet
from .vocab import CURATED_GRAPH, DEFAULT_BASE, GRAPH, LLMKG, PREFIXES, expand, graph_iri

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
        return N(f"{self.base}{kind}/{rid}")

    def ref(self, kind: str, value: str) -> NamedNode:
        rid = value.strip()
        if not SLUG_RE.match(rid):
            rid = values.slugify(rid) or "empty"
        return self.iri(kind, rid)

    def add(self, s, p, o, g) -> None:
        self.quads.append(Quad(s, p, o, g))

    # --- values of one key ------------------------------------------------------------
    def emit(self, s: NamedNode, f: schema.Field, value: Any, g: NamedNode, rec: Record,
             source: str | None) -> None:
        kind = f.kind
        items = value if isinstance(value, list) else [value]
        items = [str(v).strip() for v in items if v is not None and str(v).strip() != ""]
        if not items:
            return
        prop = P(f.prop)
        if kind in ("text", "texts"):
            for v in items:
                self.add(s, prop, Literal(v), g)
        elif kind in ("url", "urls"):
            for v in items:
                self.add(s, prop, self.url(v), g)
        elif kind == "date":
            for v in items:
                d = values.parse_date(v)
                self.add(s, prop, Literal(d.value, datatype=DT(d.datatype if d.ok else "date")), g)
                self.add(s, text_companion(f.prop), Literal(v), g)
        elif kind == "params":
            for v in items:
                self.add(s, prop, Literal(v), g)
                if f.key == "number of parameters":
                    self.params(s, v, g, rec, source)
        elif kind == "millions":
            for v in items:
                n = values.parse_millions(v)
                self.add(s, prop, _int_or_illtyped(n, v), g)
        elif kind == "number":
            for v in items:
                n = values.parse_number(v)
                lit = Literal(str(n), datatype=DT("decimal")) if n is not None else \
                    Literal(v, datatype=DT("decimal"))
                self.add(s, prop, lit, g)
                self.add(s, text_companion(f.prop), Literal(v), g)
        elif kind == "integer":
            for v in items:
                n = values.parse_integer(v)
                self.add(s, prop, _int_or_illtyped(n, v), g)
                if f.key not in ("year", "month"):
                    self.add(s, text_companion(f.prop), Literal(v), g)
        elif kind == "orkg-id":
            for v in items:
                self.add(s, prop, Literal(v), g)
                if re.fullmatch(r"R[0-9]+", v):
                    self.add(s, P("skos:exactMatch"), N(ORKGR + v), g)
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
                        self.add(s, prop, N(c.iri), g)
                        if scheme == "licenses" and getattr(c, "access", None):
                            self.add(s, P("llmkg:accessLevel"), P(ACCESS[c.access]), g)
                else:
                    self.add(s, prop, self.iri(SCHEME_FOLDER[scheme], values.slugify(v) or "empty"), g)
                self.add(s, text_companion(f.prop), Literal(v), g)
        elif kind == "access":
            for v in items:
                a = ACCESS.get(v.lower())
                self.add(s, prop, P(a) if a else Literal(v), g)
        elif kind == "problems":
            pass  # research problems hang on the contribution; see model_block
        else:  # pragma: no cover - schema.py and this function must agree
            raise AssertionError(f"unhandled value kind {kind!r} for {f.key!r}")

    @staticmethod
    def url(v: str):
        if values.is_absolute_http_url(v):
            try:
                return NamedNode(v)
            except ValueError:
                pass
        return Literal(v)

    def params(self, s: NamedNode, text: str, g: NamedNode, rec: Record, source: str | None) -> None:
        parsed = values.parse_params(text)
        for n, var in enumerate(parsed.variants, start=1):
            node = N(f"{s.value}/parameters/{source}/{n}")
            self.add(s, P("llmkg:parameterVariant"), node, g)
            self.add(node, TYPE, P("llmkg:ParameterVariant"), g)
            self.add(node, LABEL, Literal(var.label), g)
            self.add(node, P("llmkg:parameterCount"), Literal(str(var.count), datatype=DT("integer")), g)
        if parsed.maximum is not None:
            self.add(s, P("llmkg:maximumParameterCount"),
                     Literal(str(parsed.maximum), datatype=DT("integer")), g)
        elif parsed.has_digits and not parsed.ok:
            self.add(s, P("llmkg:maximumParameterCount"), Literal(text, datatype=DT("integer")), g)

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
                self.add(s, LABEL, Literal(str(value).strip()), g)
                if key == "name":
                    continue
            self.emit(s, f, value, g, rec, None)

    def source_license(self, s: NamedNode, text: str, g: NamedNode) -> None:
        text = text.strip()
        lic = N(SPDX + text) if SPDX_ID_RE.match(text) else self.url(text)
        self.add(s, P("dcterms:license"), lic, g)

    def record(self, rec: Record) -> None:
        curated = N(CURATED_GRAPH)
        s = self.iri(rec.kind, rec.id)
        home = curated
        if rec.kind == "reading-list" and isinstance(rec.data.get("source"), str):
            home = N(graph_iri(rec.data["source"].strip()))
        self.add(s, TYPE, P(CLASS_OF_KIND[rec.kind]), home)
        self.top_level(rec, s, home)
        if rec.kind == "source":
            gnode = N(graph_iri(rec.id))
            self.add(gnode, TYPE, P("llmkg:SourceGraph"), curated)
            self.add(gnode, P("prov:wasDerivedFrom"), s, curated)
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
                g = N(graph_iri(source))
                if rec.kind == "model":
                    self.model_block(rec, s, source, block, g, fields)
                else:
                    self.block(rec, s, source, block, g, fields)

    def block(self, rec, s, source, block, g, fields) -> None:
        for key, value in block.items():
            f = fields.get(key)
            if f is None or value is None:
                continue
            if rec.kind == "paper" and key == "authors":
                names = value if isinstance(value, list) else [value]
                names = [str(n).strip() for n in names if n is not None and str(n).strip()]
                for n in names:
                    self.add(s, P("dcterms:creator"), Literal(n), g)
                if names:
                    self.add(s, P("llmkg:authorList"), Literal("; ".join(names)), g)
                continue
            self.emit(s, f, value, g, rec, source)

    def model_block(self, rec, s, source, block, g, fields) -> None:
        contribution = None
        if any(k in block for k in ("paper", "research problem", "orkg contribution")):
            contribution = N(f"{self.base}contribution/{source}/{rec.id}")
            self.add(contribution, TYPE, P("orkgc:Contribution"), g)
            self.add(contribution, LABEL, Literal(f"{rec.name} ({source})"), g)
            self.add(contribution, P("llmkg:hasModel"), s, g)
            paper = block.get("paper")
            if isinstance(paper, str) and paper.strip():
                self.add(self.ref("paper", paper), P("orkgp:P31"), contribution, g)
        access_given = "access" in block
        for key, value in block.items():
            f = fields.get(key)
            if f is None or value is None:
                continue
            if key == "orkg contribution" and contribution is not None:
                self.emit(contribution, f, value, g, rec, source)
            elif key == "research problem" and contribution is not None:
                items = value if isinstance(value, list) else [value]
                for v in items:
                    if v is None or not str(v).strip():
                        continue
                    label = str(v).strip()
                    prob = self.iri("problem", values.slugify(label) or "empty")
                    self.add(contribution, P("orkgp:P32"), prob, g)
                    self.mint_problem(prob, label, g)
            elif key == "license" and access_given:
                # the source flags the access level itself; the license keeps its text and IRI
                before = len(self.quads)
                self.emit(s, f, value, g, rec, source)
                acc = P("llmkg:accessLevel")
                self.quads[before:] = [q for q in self.quads[before:] if q.predicate != acc]
            else:
                self.emit(s, f, value, g, rec, source)
                if key in ("training corpus", "training data"):
                    self.corpora(s, value, g)

    def mint_problem(self, prob: NamedNode, label: str, g: NamedNode) -> None:
        """Type and label a research problem, once per graph: the first model (in the order
        records are mapped) that names it gives its label."""
        if (prob.value, g.value) not in self._typed_minted:
            self._typed_minted.add((prob.value, g.value))
            self.problem_quads(prob, label, g)

    def problem_quads(self, prob: NamedNode, label: str, g: NamedNode) -> None:
        self.add(prob, TYPE, P("orkgc:Problem"), g)
        self.add(prob, LABEL, Literal(label), g)

    def corpora(self, s, value, g) -> None:
        items = value if isinstance(value, list) else [value]
        seen = set()
        for v in items:
            if v is None:
                continue
            for c in self.vocab.match_corpora(str(v)):
                if c.iri not in seen:
                    seen.add(c.iri)
                    self.add(s, P("llmkg:trainedOn"), N(c.iri), g)

    def sections(self, rec: Record, s: NamedNode, g: NamedNode) -> None:
        sections = rec.data.get("sections")
        if not isinstance(sections, list):
            return
        for i, sec in enumerate(sections, start=1):
            if not isinstance(sec, dict):
                continue
            snode = N(f"{s.value}/section/{i}")
            self.add(s, P("llmkg:section"), snode, g)
            self.add(snode, TYPE, P("llmkg:ReadingListSection"), g)
            self.add(snode, P("llmkg:position"), Literal(str(i), datatype=DT("integer")), g)
            if sec.get("title"):
                self.add(snode, P("dcterms:title"), Literal(str(sec["title"]).strip()), g)
            if sec.get("note"):
                self.add(snode, P("skos:note"), Literal(str(sec["note"]).strip()), g)
            papers = sec.get("papers")
            if not isinstance(papers, list):
                continue
            for j, entry in enumerate(papers, start=1):
                if not isinstance(entry, dict):
                    continue
                enode = N(f"{snode.value}/entry/{j}")
                self.add(snode, P("llmkg:entry"), enode, g)
                self.add(enode, TYPE, P("llmkg:ReadingListEntry"), g)
                self.add(enode, P("llmkg:position"), Literal(str(j), datatype=DT("integer")), g)
                if isinstance(entry.get("paper"), str):
                    self.add(enode, P("llmkg:paper"), self.ref("paper", entry["paper"]), g)
                for key, prop in (("label", "rdfs:label"), ("note", "skos:note")):
                    if entry.get(key):
                        self.add(enode, P(prop), Literal(str(entry[key]).strip()), g)

    def vocabularies(self) -> None:
        g = N(CURATED_GRAPH)
        for scheme in self.vocab.schemes():
            snode = self.iri("scheme", scheme.name)
            self.add(snode, TYPE, P("skos:ConceptScheme"), g)
            if scheme.label:
                self.add(snode, LABEL, Literal(scheme.label), g)
            cls = P(SCHEME_CLASS[scheme.name]) if scheme.name in SCHEME_CLASS else None
            for c in scheme.concepts:
                node = N(c.iri)
                self.add(node, TYPE, P("skos:Concept"), g)
                if cls is not None:
                    self.add(node, TYPE, cls, g)
                self.add(node, P("skos:inScheme"), snode, g)
                self.add(node, P("skos:prefLabel"), Literal(c.label), g)
                self.add(node, LABEL, Literal(c.label), g)
                for a in sorted(set(c.aliases)):
                    self.add(node, P("skos:altLabel"), Literal(a), g)
                if getattr(c, "access", None):
                    self.add(node, P("llmkg:accessLevel"), P(ACCESS[c.access]), g)
                if getattr(c, "spdx", None):
                    self.add(node, P("llmkg:spdxId"), Literal(c.spdx), g)
                for b in getattr(c, "broader", ()) or ():
                    self.add(node, P("skos:broader"), N(scheme.concept_iri(b)), g)
                if getattr(c, "url", None) and values.is_absolute_http_url(c.url):
                    self.add(node, P("foaf:page"), N(c.url), g)
                if getattr(c, "definition", None):
                    self.add(node, P("skos:definition"), Literal(c.definition), g)


def _int_or_illtyped(n, text: str) -> Literal:
    if n is None:
        return Literal(text, datatype=DT("integer"))
    if isinstance(n, Decimal) and n != n.to_integral_value():
        return Literal(str(n), datatype=DT("decimal"))
    return Literal(str(int(n)), datatype=DT("integer"))


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
