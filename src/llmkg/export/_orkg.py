"""The ORKG view of the store, shared by the three ORKG exports (orkg-csv, orkg-turtle,
orkg-json).

ORKG describes a paper by its metadata and its contributions; a contribution carries the
statements of the comparison (``model family``, ``date created``...). In llmkg those
statements sit on the *model* in a source's graph and the contribution
(``res:contribution/<source>/<model>``) links paper, model and research problems. This
module turns one source graph into :class:`Paper` objects whose :class:`Contribution` values
are keyed by ORKG label, in the column order of the ORKG comparison of LLMs
(``schema.ORKG_COMPARISON_COLUMNS``).

Which contributions: those of one source graph, ``awesome-llms`` unless ``--graph`` names
another (the ORKG comparison is built from awesome-LLMs; ``--graph awesome-huge-models``
gives that list's models with the properties that carry an ORKG label). Contributions
without a paper are kept apart (:attr:`OrkgView.orphans`): ORKG needs a paper. A statements
key that a curated resolution settles takes the resolution's value (graph:resolutions): an
export never passes on a known source error (GPT-4's 170T parameters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from pyoxigraph import BlankNode, Literal, NamedNode

from ..records import schema
from ..errors import LlmkgError
from ..vocab import CURATED_GRAPH, GRAPH, ONTOLOGY_GRAPH, PREFIXES, RESOLUTIONS_GRAPH, expand

XSD = PREFIXES["xsd"]
XSD_STRING = XSD + "string"
XSD_ANYURI = XSD + "anyURI"
ORKGR, ORKGP, ORKGC = PREFIXES["orkgr"], PREFIXES["orkgp"], PREFIXES["orkgc"]

DEFAULT_SOURCE = "awesome-llms"

#: The ORKG research field of every exported paper: "Artificial Intelligence/Robotics",
#: a subfield of "Computer Sciences" (R132) in ORKG's research-field taxonomy (see
#: docs/exports.md for where this was checked and the alternatives).
RESEARCH_FIELD_ID = "R133"
RESEARCH_FIELD_LABEL = "Artificial Intelligence/Robotics"

#: ORKG predicate ids we know for the labels we export (from ORKG's own constants:
#: orkg-frontend src/constants/graphSettings.ts, orkg-backend graph/domain/Constants.kt);
#: no other id is minted: see the orkg-* modules for what each does instead.
KNOWN_PREDICATES = {
    "has model": "hasModel",
    "research problem": "P32",
    "has contribution": "P31",
    "has DOI": "P26",
    "has author": "P27",
    "has publication month": "P28",
    "has publication year": "P29",
    "has research field": "P30",
    "url": "url",
    "has venue": "HAS_VENUE",
    "same as": "SAME_AS",
}
#: the labels ORKG gives those predicates (for declarations in orkg-turtle)
ORKG_PREDICATE_LABELS = {
    "hasModel": "has model", "P32": "has research problem", "P31": "has contribution",
    "P26": "has DOI", "P27": "has author", "P28": "has publication month",
    "P29": "has publication year", "P30": "has research field", "url": "url",
    "HAS_VENUE": "has venue", "SAME_AS": "same as",
}

#: the comparison columns after the paper title, in ORKG's order
COLUMNS = [c for c in schema.ORKG_COMPARISON_COLUMNS if c != "Title"]
FIELD_OF_LABEL = {f.orkg_label: f for f in schema.MODEL_FIELDS if f.orkg_label}

RDFS_LABEL = expand("rdfs:label")
SKOS_PREF = expand("skos:prefLabel")
DCT_TITLE = expand("dcterms:title")


@dataclass(frozen=True)
class Value:
    """One value of a statement: a literal (``text`` + ``datatype``) or a resource
    (``text`` is its label; ``iri`` ours, ``orkg_id`` ORKG's where known)."""

    text: str
    resource: bool = False
    datatype: str = XSD_STRING
    iri: str | None = None
    orkg_id: str | None = None
    classes: tuple[str, ...] = ()


@dataclass
class Contribution:
    iri: str
    label: str
    model_iri: str
    model_label: str
    orkg_id: str | None
    values: dict[str, list[Value]] = field(default_factory=dict)   # ORKG label -> values
    #: the same with the source's own texts where the graph keeps them (model name as the
    #: source writes it, ``createdText``, ``licenseText``, ``architectureText``, the
    #: organization's name in the source): what the ORKG comparison shows, used by orkg-csv
    texts: dict[str, list[Value]] = field(default_factory=dict)


@dataclass
class Paper:
    iri: str
    title: str
    source_title: str | None = None      # the title as the source writes it
    doi: str | None = None
    orkg_id: str | None = None
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    month: int | None = None
    venue: str | None = None
    url: str | None = None
    arxiv: str | None = None
    dated_by: str | None = None          # where the year and month come from (docs/exports.md)
    contributions: list[Contribution] = field(default_factory=list)

    @property
    def in_orkg(self) -> bool:
        """ORKG has this paper already (a source names its ORKG id)."""
        return self.orkg_id is not None


@dataclass
class OrkgView:
    source: str
    graph: str
    base: str
    papers: list[Paper]
    orphans: list[Contribution]

    def contributions(self) -> list[tuple[Paper, Contribution]]:
        return [(p, c) for p in self.papers for c in p.contributions]


class _Graphs:
    """The triples of the source graph and of the curated graph, grouped by subject."""

    def __init__(self, store, graph: str):
        self.store = store
        self.src = self._group(graph)
        self.cur = self._group(CURATED_GRAPH)
        self.res = self._group(RESOLUTIONS_GRAPH)
        # model IRI -> the statements keys that curated resolutions settle
        self.resolved: dict[str, set] = {}
        about, key = expand("llmkg:about"), expand("llmkg:resolvesKey")
        for props in self.cur.values():
            for m in props.get(about, []):
                for k in props.get(key, []):
                    self.resolved.setdefault(m.value, set()).add(k.value)
        self._labels: dict[str, str] = {}

    def _group(self, graph: str) -> dict[str, dict[str, list]]:
        out: dict[str, dict[str, list]] = {}
        for q in self.store.quads_for_pattern(None, None, None, NamedNode(graph)):
            s = q.subject
            key = s.value if isinstance(s, NamedNode) else "_:" + s.value
            out.setdefault(key, {}).setdefault(q.predicate.value, []).append(q.object)
        return out

    def values(self, table, subject: str, prop: str) -> list:
        return list(table.get(subject, {}).get(prop, []))

    def first_literal(self, table, subject: str, prop: str) -> str | None:
        vals = sorted(o.value for o in self.values(table, subject, prop) if isinstance(o, Literal))
        return vals[0] if vals else None

    def label(self, iri: str) -> str:
        """Curated rdfs:label, else skos:prefLabel, else any rdfs:label, else the IRI's
        last segment."""
        if iri in self._labels:
            return self._labels[iri]
        text = (self.first_literal(self.cur, iri, RDFS_LABEL) or self.first_literal(self.cur, iri, SKOS_PREF)
                or self.first_literal(self.src, iri, RDFS_LABEL))
        if text is None:
            for prop in (RDFS_LABEL, SKOS_PREF):
                vals = sorted(q.object.value for q in self.store.quads_for_pattern(NamedNode(iri), NamedNode(prop), None, None)
                              if isinstance(q.object, Literal))
                if vals:
                    text = vals[0]
                    break
        if text is None:
            text = re.split(r"[/#]", iri.rstrip("/#"))[-1]
        self._labels[iri] = text
        return text


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _millions(lit: Literal) -> Value:
    """``declaredMaximumParameterCount`` (a count) back to the number of millions."""
    try:
        n = Decimal(lit.value) / Decimal(10 ** 6)
    except InvalidOperation:
        return Value(lit.value)
    if n == n.to_integral_value():
        return Value(str(int(n)), datatype=XSD + "integer")
    return Value(format(n.normalize(), "f"), datatype=XSD + "decimal")


def _sort(values: list[Value]) -> list[Value]:
    return sorted(set(values), key=lambda v: (v.text.casefold(), v.text, v.datatype, v.iri or ""))


def source_graph(src) -> tuple[str, str]:
    """(source id, graph IRI) of the contributions to export."""
    graph = src.graph or GRAPH + DEFAULT_SOURCE
    if graph in (CURATED_GRAPH, ONTOLOGY_GRAPH):
        raise LlmkgError(f"the ORKG exports take a source's graph (e.g. --graph {DEFAULT_SOURCE}), "
                         f"not {graph}")
    sid = graph[len(GRAPH):] if graph.startswith(GRAPH) else graph
    return sid, graph


def view(src) -> OrkgView:
    sid, graph = source_graph(src)
    gs = _Graphs(src.store, graph)
    hasmodel = expand("llmkg:hasModel")
    rdf_type = expand("rdf:type")
    orkg_id_prop = expand("llmkg:orkgId")
    contributions: dict[str, Contribution] = {}
    for subject, props in gs.src.items():
        if NamedNode(ORKGC + "Contribution") not in props.get(rdf_type, []):
            continue
        models = sorted(o.value for o in props.get(hasmodel, []) if isinstance(o, NamedNode))
        if not models:
            continue
        model = models[0]
        c = Contribution(iri=subject, label=gs.first_literal(gs.src, subject, RDFS_LABEL) or subject,
                         model_iri=model, model_label=gs.label(model),
                         orkg_id=gs.first_literal(gs.src, subject, orkg_id_prop))
        c.values = _statements(gs, c, props)
        c.texts = _statements(gs, c, props, texts=True)
        contributions[subject] = c
    # papers
    p31 = ORKGP + "P31"
    paper_of: dict[str, str] = {}
    for subject, props in gs.src.items():
        for o in props.get(p31, []):
            if isinstance(o, NamedNode) and o.value in contributions:
                # a contribution has one paper; should a source give two, the first IRI wins
                paper_of[o.value] = min(paper_of.get(o.value, subject), subject)
    papers: dict[str, Paper] = {}
    orphans = []
    for ciri in sorted(contributions):
        c = contributions[ciri]
        piri = paper_of.get(ciri)
        if piri is None:
            orphans.append(c)
            continue
        if piri not in papers:
            papers[piri] = _paper(gs, piri)
        papers[piri].contributions.append(c)
    for p in papers.values():
        _date_from_models(p)
    return OrkgView(sid, graph, src.base, [papers[k] for k in sorted(papers)], orphans)


#: arXiv's DOI prefix: every arXiv paper has the DOI 10.48550/arXiv.<id> (DataCite, 2022)
ARXIV_DOI_PREFIX = "10.48550/arXiv."
_ARXIV_NEW = re.compile(r"^(\d{2})(\d{2})\.\d{4,5}(v\d+)?$")
_ARXIV_OLD = re.compile(r"^[a-z-]+(\.[A-Z]{2})?/(\d{2})(\d{2})\d{3}(v\d+)?$")
#: venue texts that name no venue
NOT_VENUES = {"preprint", "arxiv preprint", "n/a", "-"}


def arxiv_year_month(arxiv_id: str) -> tuple[int, int] | None:
    """The year and month an arXiv identifier was issued in (its ``YYMM``): the month the
    paper was first submitted.

    >>> arxiv_year_month("1810.04805")
    (2018, 10)
    >>> arxiv_year_month("hep-th/9901001")
    (1999, 1)
    """
    m = _ARXIV_NEW.match(arxiv_id)
    if m:
        yy, mm = int(m.group(1)), int(m.group(2))
    else:
        m = _ARXIV_OLD.match(arxiv_id)
        if not m:
            return None
        yy, mm = int(m.group(2)), int(m.group(3))
    if not 1 <= mm <= 12:
        return None
    return (1900 + yy if yy >= 91 else 2000 + yy), mm


def _anywhere(gs: _Graphs, iri: str, prop: str) -> list[str]:
    """The values (literals and IRIs) of ``prop`` for ``iri`` in any graph, sorted, each once."""
    return sorted({q.object.value for q in gs.store.quads_for_pattern(NamedNode(iri), NamedNode(expand(prop)), None, None)
                   if isinstance(q.object, (Literal, NamedNode))})


def _paper(gs: _Graphs, iri: str) -> Paper:
    """A paper's metadata from everything the store knows about it (the curated graph and
    every source's graph), not only the exported source: ORKG matches papers by DOI, and
    the sources that name a paper's venue and link are often not the one exported."""
    title = (gs.first_literal(gs.cur, iri, DCT_TITLE) or gs.first_literal(gs.cur, iri, RDFS_LABEL)
             or gs.first_literal(gs.src, iri, DCT_TITLE) or gs.label(iri))
    p = Paper(iri=iri, title=title, source_title=gs.first_literal(gs.src, iri, DCT_TITLE) or title)
    arxiv = (_anywhere(gs, iri, "llmkg:arxivId") or [None])[0]
    p.arxiv = arxiv
    dois = _anywhere(gs, iri, "orkgp:P26")
    p.doi = dois[0] if dois else (ARXIV_DOI_PREFIX + arxiv if arxiv else None)
    p.orkg_id = gs.first_literal(gs.cur, iri, expand("llmkg:orkgId"))
    # full author lists only: "Devlin et al." names no author
    lists = [a for a in _anywhere(gs, iri, "llmkg:authorList") if "et al" not in a]
    if lists:
        p.authors = [a.strip() for a in max(lists, key=lambda t: (t.count(";"), t)).split(";") if a.strip()]
    else:
        p.authors = [a for a in _anywhere(gs, iri, "dcterms:creator") if "et al" not in a]
    ym = arxiv_year_month(arxiv) if arxiv else None
    years = [int(y) for y in _anywhere(gs, iri, "orkgp:P29") if y.isdigit()]
    months = [int(m) for m in _anywhere(gs, iri, "orkgp:P28") if m.isdigit()]
    if years:
        p.year = min(years)
        p.month = min(months) if months else (ym[1] if ym and ym[0] == p.year else None)
        p.dated_by = "the sources"
    elif ym:
        p.year, p.month = ym
        p.dated_by = "its arXiv identifier"
    venues = [v for v in _anywhere(gs, iri, "llmkg:venue") if v.strip().casefold() not in NOT_VENUES]
    p.venue = venues[0] if venues else None
    urls = _anywhere(gs, iri, "schema:url")
    p.url = urls[0] if urls else (f"https://arxiv.org/abs/{arxiv}" if arxiv else None)
    return p


def _date_from_models(p: Paper) -> None:
    """A paper no source dates takes the earliest "date created" the exported source gives
    its models: the models a paper introduces are dated by the paper."""
    if p.year is not None:
        return
    best = None
    for c in p.contributions:
        for v in c.values.get("date created", []):
            m = re.match(r"^(\d{4})(?:-(\d{2}))?", v.text)
            if m:
                key = (int(m.group(1)), int(m.group(2)) if m.group(2) else None)
                if best is None or (key[0], key[1] or 13) < (best[0], best[1] or 13):
                    best = key
    if best is not None:
        p.year, p.month = best
        p.dated_by = "its models' date created"


def _text_companion(prop: str) -> str:
    local = re.split(r"[/#]", expand(prop))[-1]
    return expand("llmkg:" + local + "Text")


def _statements(gs: _Graphs, c: Contribution, cprops: dict, texts: bool = False) -> dict[str, list[Value]]:
    out: dict[str, list[Value]] = {}
    own = gs.src.get(c.model_iri, {})
    resolved = gs.resolved.get(c.model_iri, set())
    name_in_source = expand("llmkg:nameInSource")
    for label in COLUMNS:
        vals: list[Value] = []
        f = FIELD_OF_LABEL.get(label)
        # a key that a curated resolution settles takes the resolution's value
        mprops = gs.res.get(c.model_iri, {}) if f is not None and f.key in resolved else own
        if label == "has model":
            name = gs.first_literal(gs.src, c.model_iri, name_in_source) if texts else None
            vals = [Value(name or c.model_label, resource=True, iri=c.model_iri)]
        elif label == "research problem":
            for o in cprops.get(ORKGP + "P32", []):
                if isinstance(o, NamedNode):
                    vals.append(Value(gs.label(o.value), resource=True, iri=o.value, classes=("Problem",)))
        elif f is None:
            continue
        elif texts and (f.kind == "date" or f.kind.startswith("concept")) and mprops.get(_text_companion(f.prop)):
            typed = {o.value: o.datatype.value for o in mprops.get(expand(f.prop), [])
                     if isinstance(o, Literal) and o.datatype is not None}
            for o in mprops[_text_companion(f.prop)]:
                if not isinstance(o, Literal):
                    continue
                if f.kind == "date":
                    dt = typed.get(o.value)
                    vals.append(Value(o.value, datatype=dt if dt == XSD + "date" else XSD_STRING))
                else:
                    vals.append(Value(o.value, resource=True))
        else:
            for o in mprops.get(expand(f.prop), []):
                v = _value(gs, f, o)
                if texts and f.kind.startswith("ref") and v.iri:
                    name = gs.first_literal(gs.src, v.iri, name_in_source)
                    if name:
                        v = Value(name, resource=True, iri=v.iri, orkg_id=v.orkg_id, classes=v.classes)
                vals.append(v)
        out[label] = _sort(vals)
    return out


def _value(gs: _Graphs, f: schema.Field, o) -> Value:
    if f.kind == "millions" and isinstance(o, Literal):
        return _millions(o)
    if isinstance(o, Literal):
        if o.language:
            return Value(o.value)
        return Value(o.value, datatype=o.datatype.value)
    if isinstance(o, BlankNode):
        return Value("_:" + o.value)
    if f.kind in ("url", "urls"):
        return Value(o.value, datatype=XSD_ANYURI)
    return Value(gs.label(o.value), resource=True, iri=o.value)
