"""SHACL validation of the mapped graph, with every result traced back to a YAML file:line.

pySHACL is the reference engine. Validation runs once per source graph, on
``graph:curated`` plus that source's graph, so that two sources' statements about one model
are each checked on their own; results that come from the curated part are reported once.
Where sources disagree about a model, :func:`disagreements` adds a Warning naming both.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable

from ..records import schema, values
from ..graph.mapping import MappedGraph
from ..records.read import Problem, Record, RecordSet
from ..vocab import CURATED_GRAPH, GRAPH, PREFIXES, RESOLUTIONS_ID, expand, shorten

FUTURE_PLACEHOLDER = '"2999-12-31"^^xsd:date'
SH = PREFIXES["sh"]
SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)

    def _count(self, severity: str) -> int:
        return sum(1 for p in self.sorted() if p.severity == severity)

    @property
    def violations(self) -> int:
        return self._count("Violation")

    @property
    def warnings(self) -> int:
        return self._count("Warning")

    @property
    def infos(self) -> int:
        return self._count("Info")

    @property
    def conforms(self) -> bool:
        return self.violations == 0

    @property
    def exit_code(self) -> int:
        return 0 if self.conforms else 1

    def sorted(self) -> list[Problem]:
        """The problems in file and line order, each report line once (a negative count is one
        problem to a curator, though SHACL finds it on the variant and on the maximum)."""
        unique = {}
        for p in self.problems:
            unique.setdefault((p.file, p.line, p.severity, p.field, p.message), p)
        return sorted(unique.values(), key=lambda p: (p.file, p.line, SEVERITY_ORDER[p.severity],
                                                      p.field, p.message))

    def summary(self) -> str:
        def n(k, word):
            return f"{k} {word}{'' if k == 1 else 's'}"
        head = "conforms" if self.conforms else "does not conform"
        return f"{head}: {n(self.violations, 'violation')}, {n(self.warnings, 'warning')}, {n(self.infos, 'info')}"

    # --- formats ----------------------------------------------------------------------
    def to_text(self) -> str:
        lines = [str(p) for p in self.sorted()]
        lines.append(self.summary())
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        doc = {
            "conforms": self.conforms,
            "violations": self.violations,
            "warnings": self.warnings,
            "infos": self.infos,
            "results": [asdict(p) for p in self.sorted()],
        }
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"

    def to_turtle(self) -> str:
        """The standard SHACL validation report (sh:ValidationReport) in Turtle."""
        from rdflib import BNode, Graph, Literal, Namespace, URIRef
        from rdflib.namespace import RDF

        sh = Namespace(SH)
        g = Graph()
        g.bind("sh", sh)
        for p, ns in PREFIXES.items():
            if p in ("llmkg", "res", "orkgc", "orkgp", "dcterms", "schema", "rdfs", "foaf", "skos"):
                g.bind(p, ns)
        rep = BNode("report")
        g.add((rep, RDF.type, sh.ValidationReport))
        g.add((rep, sh.conforms, Literal(self.conforms)))
        for i, p in enumerate(self.sorted()):
            r = BNode(f"r{i}")
            g.add((rep, sh.result, r))
            g.add((r, RDF.type, sh.ValidationResult))
            g.add((r, sh.resultSeverity, sh[p.severity]))
            if p.focus:
                g.add((r, sh.focusNode, URIRef(p.focus)))
            comp = p.component
            if comp.startswith("sh:"):
                comp = SH + comp[3:]
            elif ":" in comp and "://" not in comp:
                comp = expand(comp)
            if comp:
                g.add((r, sh.sourceConstraintComponent, URIRef(comp)))
            g.add((r, sh.resultMessage, Literal(f"{p.file}:{p.line}: {p.field + ': ' if p.field else ''}{p.message}")))
        return g.serialize(format="turtle")

    def render(self, fmt: str) -> str:
        return {"text": self.to_text, "json": self.to_json, "turtle": self.to_turtle}[fmt]()


# --- shapes --------------------------------------------------------------------------------

def shapes_text(shapes_dir: Path, today: _dt.date | None = None) -> str:
    """All shapes files, with today's date in place of the future-date placeholder."""
    today = today or _dt.date.today()
    parts = []
    for f in sorted(Path(shapes_dir).glob("*.ttl")):
        parts.append(f.read_text(encoding="utf-8").replace(FUTURE_PLACEHOLDER,
                                                           f'"{today.isoformat()}"^^xsd:date'))
    return "\n".join(parts)


def load_shapes(shapes_dir: Path, today: _dt.date | None = None):
    from rdflib import Graph

    g = Graph()
    for f in sorted(Path(shapes_dir).glob("*.ttl")):
        text = f.read_text(encoding="utf-8")
        g.parse(data=text.replace(FUTURE_PLACEHOLDER,
                                  f'"{(today or _dt.date.today()).isoformat()}"^^xsd:date'),
                format="turtle", publicID=f.as_uri())
    return g


def to_rdflib(quads: Iterable, graph=None):
    """pyoxigraph quads -> an rdflib Graph (graph names dropped). xsd:string -> plain literals."""
    from rdflib import BNode, Graph, Literal, URIRef

    g = graph if graph is not None else Graph()
    xsd_string = PREFIXES["xsd"] + "string"
    cache: dict = {}

    def conv(t):
        key = (type(t).__name__, t.value, getattr(t, "datatype", None) and t.datatype.value,
               getattr(t, "language", None))
        r = cache.get(key)
        if r is not None:
            return r
        tn = type(t).__name__
        if tn == "NamedNode":
            r = URIRef(t.value)
        elif tn == "BlankNode":
            r = BNode(t.value)
        else:
            if t.language:
                r = Literal(t.value, lang=t.language)
            elif t.datatype.value == xsd_string:
                r = Literal(t.value)
            else:
                r = Literal(t.value, datatype=URIRef(t.datatype.value))
        cache[key] = r
        return r

    add = g.add
    for q in quads:
        add((conv(q.subject), conv(q.predicate), conv(q.object)))
    return g


# --- locating results in the YAML --------------------------------------------------------

class Locator:
    """Finds the file and line a SHACL result (focus node, path, value) came from."""

    def __init__(self, rs: RecordSet, base: str, data_dir: Path):
        self.index = rs.index()
        self.base = base
        self.data_dir = data_dir
        self.keys: dict[str, dict[str, list[str]]] = {}   # kind/"block:kind" -> prop IRI -> keys
        for kind, fields in schema.TOP.items():
            self.keys[kind] = self._reverse(fields.values())
        for kind, fields in schema.BLOCK.items():
            self.keys["block:" + kind] = self._reverse(fields.values())
        extra = {
            expand("llmkg:maximumParameterCount"): ["number of parameters"],
            expand("llmkg:parameterVariant"): ["number of parameters"],
            expand("llmkg:parameterCount"): ["number of parameters"],
            expand("llmkg:accessLevel"): ["access", "license"],
            expand("llmkg:trainedOn"): ["training corpus", "training data"],
            expand("rdfs:label"): ["name", "title"],
            expand("orkgp:P31"): ["paper"],
            expand("dcterms:creator"): ["authors", "author"],
            expand("llmkg:authorList"): ["authors"],
        }
        for k in self.keys.values():
            for iri, ks in extra.items():
                k.setdefault(iri, []).extend(ks)

    @staticmethod
    def _reverse(fields) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for f in fields:
            if f.prop in ("-",):
                continue
            iri = expand(f.prop)
            out.setdefault(iri, []).append(f.key)
            local = iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
            out.setdefault(PREFIXES["llmkg"] + local + "Text", []).append(f.key)
        return out

    def _vocab_file(self, folder: str) -> str:
        scheme = {"license": "licenses", "architecture": "architectures", "corpus": "corpora"}.get(folder)
        from ..records.read import display_path
        if scheme:
            return display_path(self.data_dir / "vocabularies" / f"{scheme}.yaml")
        return display_path(self.data_dir)

    def locate(self, focus: str, path: str | None, value, source: str | None) -> tuple[str, int, str, str | None]:
        """(file, line, key, original text of the value or None)."""
        from ..records.read import display_path

        if not focus.startswith(self.base):
            return display_path(self.data_dir), 1, "", None
        parts = focus[len(self.base):].split("/")
        kind = parts[0]
        rec: Record | None = None
        yaml_path: tuple = ()
        key_hint: str | None = None
        if kind == "contribution" and len(parts) >= 3:
            source = parts[1]
            rec = self.index.get(("model", parts[2]))
            key_hint = {expand("orkgp:P32"): "research problem",
                        expand("llmkg:orkgId"): "orkg contribution"}.get(path or "", "paper")
        elif kind in ("model", "paper", "organization", "reading-list", "source") and len(parts) >= 2:
            rec = self.index.get((kind, parts[1]))
            if kind == "model" and len(parts) >= 4 and parts[2] == "parameters":
                source = parts[3]
                key_hint = "number of parameters"
            if kind == "reading-list" and len(parts) >= 4 and parts[2] == "section":
                yaml_path = ("sections", int(parts[3]) - 1)
                if len(parts) >= 6 and parts[4] == "entry":
                    yaml_path += ("papers", int(parts[5]) - 1)
                    key_hint = "paper" if path == expand("llmkg:paper") else None
        else:
            return self._vocab_file(kind), 1, "", None
        if rec is None:
            return display_path(self.data_dir), 1, "", None
        if yaml_path:
            if key_hint and (*yaml_path, key_hint) in rec.lines:
                return rec.file, rec.line(*yaml_path, key_hint), key_hint, _item(rec, (*yaml_path, key_hint), value)
            return rec.file, rec.line(*yaml_path), key_hint or "", None
        if source in (RESOLUTIONS_ID, "curated") and isinstance(rec.data.get("curated"), dict):
            # a curated resolution's value (graph:resolutions; its minted nodes say "curated")
            cur = rec.data["curated"]
            for key in ([key_hint] if key_hint else []) + (self.keys["block:" + rec.kind].get(path, []) if path else []):
                if isinstance(cur.get(key), dict):
                    p = ("curated", key, "value")
                    return rec.file, rec.line(*p), key, _item(rec, p, value)
            return rec.file, rec.line("curated"), key_hint or "", None
        block = None
        if source and isinstance(rec.data.get("sources"), dict) and isinstance(rec.data["sources"].get(source), dict):
            block = rec.data["sources"][source]
        candidates = [key_hint] if key_hint else []
        if path:
            candidates += self.keys["block:" + rec.kind].get(path, []) if block is not None else []
            candidates += self.keys[rec.kind].get(path, [])
        for key in candidates:
            if block is not None and key in block:
                p = ("sources", source, key)
                return rec.file, rec.line(*p), key, _item(rec, p, value)
            if key in rec.data:
                return rec.file, rec.line(key), key, _item(rec, (key,), value)
        if block is not None:
            return rec.file, rec.line("sources", source), candidates[0] if candidates else "", None
        return rec.file, rec.line(), candidates[0] if candidates else "", None


def _matches(item: str, value) -> bool:
    if value is None:
        return False
    v = str(value)
    item = item.strip()
    return v == item or v.rsplit("/", 1)[-1] == values.slugify(item) or v.rsplit("/", 1)[-1] == item


def _item(rec: Record, path: tuple, value) -> str | None:
    """The original text of the list item (or scalar) at ``path`` that produced ``value``."""
    node = rec.data
    for k in path:
        try:
            node = node[k]
        except (KeyError, IndexError, TypeError):
            return None
    if isinstance(node, list):
        for i, item in enumerate(node):
            if isinstance(item, str) and _matches(item, value):
                rec.lines.setdefault(path + (i,), rec.line(*path))
                return item
        return None
    return node if isinstance(node, str) else None


# --- running pySHACL -------------------------------------------------------------------------

def _results(results_graph):
    from rdflib import URIRef
    from rdflib.namespace import RDF

    sh = lambda local: URIRef(SH + local)  # noqa: E731
    for r in results_graph.subjects(RDF.type, sh("ValidationResult")):
        def one(p):
            return results_graph.value(r, sh(p))
        path = one("resultPath")
        yield {
            "focus": one("focusNode"),
            "path": str(path) if isinstance(path, URIRef) else None,
            "value": one("value"),
            "component": one("sourceConstraintComponent"),
            "severity": str(one("resultSeverity")).rsplit("#", 1)[-1],
            "message": str(one("resultMessage") or ""),
            "shape": one("sourceShape"),
        }


def run_shacl(mapped: MappedGraph, rs: RecordSet, shapes_dir: Path, data_dir: Path,
              today: _dt.date | None = None) -> list[Problem]:
    """pySHACL on the mapped quads, once per source graph (graph:curated + graph:<source>)."""
    import pyshacl

    shapes = load_shapes(shapes_dir, today)
    by_graph = mapped.by_graph()
    curated = by_graph.get(CURATED_GRAPH, [])
    locator = Locator(rs, mapped.base, data_dir)
    graph_ids = source_graph_ids(by_graph)

    def runs():
        for sid in graph_ids:
            data = to_rdflib(curated)
            if sid is not None:
                to_rdflib(by_graph.get(GRAPH + sid, []), data)
            _conforms, results_graph, _text = pyshacl.validate(
                data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True,
                abort_on_first=False, meta_shacl=False)
            yield sid, _results(results_graph)

    return results_to_problems(
        runs(), locator,
        lambda sid, focus: sid is not None and _subject_in(by_graph.get(GRAPH + sid, []), focus))


def source_graph_ids(graph_names: Iterable[str]) -> list:
    """The source graphs validation runs on, sorted (``[None]``: graph:curated alone)."""
    ids = sorted(g[len(GRAPH):] for g in graph_names if g.startswith(GRAPH) and g != CURATED_GRAPH
                 and g[len(GRAPH):] != "ontology")
    return ids or [None]


def results_to_problems(runs, locator: "Locator", in_source, memo: dict | None = None) -> list[Problem]:
    """SHACL results of each run (source id, results in the form of :func:`_results`) as
    Problems at their file:line. A result found by several runs is reported once, by the
    first (source graphs in sorted order). In graph:resolutions, a missing value (sh:minCount)
    is no problem: a resolution sets some keys, the sources the others.

    ``memo``: (result key, source) -> Problem, filled and reused (incremental builds)."""
    problems: list[Problem] = []
    seen: set = set()
    runs = list(runs)
    prefetch = getattr(in_source, "prefetch", None)
    if prefetch is not None:  # ask the store once per source, not once per result
        for sid, results in runs:
            prefetch(sid, {str(r["focus"]) for r in results})
    for sid, results in runs:
        # in a stable order (engines list results in their own order), so that the report,
        # which shows each line once, shows the same one whichever engine ran
        for key, r in sorted(((result_key(r), r) for r in results), key=lambda kr: _sortable(kr[0])):
            if sid == RESOLUTIONS_ID and str(r["component"]).endswith("#MinCountConstraintComponent"):
                continue   # a resolution sets some keys; what it does not set, the sources give
            focus = str(r["focus"])
            if key in seen:
                continue
            seen.add(key)
            source = sid if in_source(sid, focus) else None
            if memo is not None:
                p = memo.get((key, source))
                if p is None:
                    p = memo[(key, source)] = locate_result(r, locator, source)
                problems.append(p)
            else:
                problems.append(locate_result(r, locator, source))
    return problems


def _sortable(key: tuple) -> tuple:
    return tuple("" if k is None else k for k in key)


def result_key(r: dict) -> tuple:
    """What makes two SHACL results the same one (across source graphs)."""
    return (str(r["focus"]), r["path"], str(r["value"]), str(r["component"]), r["severity"], str(r["shape"]))


def locate_result(r: dict, locator: "Locator", source: str | None) -> Problem:
    focus = str(r["focus"])
    file, line, fld, original = locator.locate(focus, r["path"], r["value"], source)
    msg = r["message"] or "constraint not met"
    shown = original if original is not None else _short_value(r["value"])
    if shown is not None and len(shown) > 80:   # (a 5,000-digit number: the report line stays a line)
        shown = shown[:77] + "..."
    if shown is not None and shown not in msg:
        msg = f"{msg} (value: '{shown}')"
    if fld and msg.startswith(fld + ": "):  # the report line names the field already
        msg = msg[len(fld) + 2:]
    return Problem(file, line, r["severity"], fld, msg, focus,
                   shorten(str(r["component"])) if r["component"] else "")


# --- running on a store (the build's, or a temporary one) -----------------------------------

ENGINES = ("fast", "pyshacl")


def store_graph_ids(store) -> list:
    return source_graph_ids(g.value for g in store.named_graphs())


def _store_rdflib(store, graphs: list[str]):
    """The union of ``graphs`` of a pyoxigraph store as one rdflib Graph (what pySHACL gets)."""
    from pyoxigraph import NamedNode

    g = None
    for name in graphs:
        g = to_rdflib(store.quads_for_pattern(None, None, None, NamedNode(name)), g)
    if g is None:
        from rdflib import Graph
        g = Graph()
    return g


def _pyshacl_runs(store, graph_ids: list, shapes):
    import pyshacl

    for sid in graph_ids:
        data = _store_rdflib(store, [CURATED_GRAPH] + ([GRAPH + sid] if sid is not None else []))
        _conforms, results_graph, _text = pyshacl.validate(
            data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True,
            abort_on_first=False, meta_shacl=False)
        yield sid, list(_results(results_graph))


def shapes_only(shapes, keep: set):
    """A copy of the shapes graph in which only the top-level shapes ``keep`` have targets."""
    from rdflib import Graph, URIRef
    from rdflib.namespace import RDF, RDFS

    sh = lambda local: URIRef(SH + local)  # noqa: E731
    out = Graph()
    for prefix, ns in shapes.namespaces():
        out.bind(prefix, ns, override=True)
    targets = {sh("targetClass"), sh("targetNode"), sh("targetSubjectsOf"), sh("targetObjectsOf"),
               sh("target")}
    for t in shapes:
        s, p, o = t
        if s not in keep and (p in targets or (p == RDF.type and o == RDFS.Class)):
            continue
        out.add(t)
    return out


def engine_runs(store, shapes, engine: str = "fast", graph_ids: list | None = None,
                restrict=None, validator=None, progress=None):
    """Per source graph, the SHACL results (dicts as :func:`_results` gives) of ``engine``.
    ``progress(done, total)``: called as the fast engine's units finish."""
    graph_ids = store_graph_ids(store) if graph_ids is None else graph_ids
    if engine == "pyshacl":
        return list(_pyshacl_runs(store, graph_ids, shapes))
    if engine != "fast":
        raise ValueError(f"unknown validation engine {engine!r} (fast or pyshacl)")
    from . import FastValidator

    fv = validator or FastValidator(shapes)
    fast = fv.results(store, graph_ids, CURATED_GRAPH, GRAPH, restrict=restrict, progress=progress)
    slow: dict = {}
    if fv.fallbacks:
        sub = shapes_only(shapes, {n for n, _why in fv.fallbacks})
        slow = dict(_pyshacl_runs(store, graph_ids, sub))
        if restrict is not None:
            keep = set(restrict)
            slow = {sid: [r for r in rs if str(r["focus"]) in keep] for sid, rs in slow.items()}
    return [(sid, [r.as_dict() for r in fast.get(sid, [])] + slow.get(sid, [])) for sid in graph_ids]


_PLAIN_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|^`\\]*")


def store_subject_in(store):
    """``in_source(sid, focus)`` for :func:`results_to_problems`, asking the store."""
    from pyoxigraph import NamedNode

    cache: dict = {}

    def in_source(sid, focus):
        if sid is None:
            return False
        key = (sid, focus)
        hit = cache.get(key)
        if hit is None:
            hit = next(iter(store.quads_for_pattern(NamedNode(focus), None, None, NamedNode(GRAPH + sid))),
                       None) is not None
            cache[key] = hit
        return hit

    def prefetch(sid, focuses) -> None:
        """Answer ``in_source`` for many focus nodes of one source in one query (a pattern
        lookup costs ~0.2 ms each: 47,000 results of a large build took seconds)."""
        todo = sorted(f for f in focuses if (sid, f) not in cache and _PLAIN_IRI.fullmatch(f))
        if sid is None or len(todo) < 64:
            return
        graph = NamedNode(GRAPH + sid)
        for i in range(0, len(todo), 20_000):
            part = todo[i:i + 20_000]
            try:
                found = {r[0].value for r in store.query(
                    "SELECT ?s WHERE { VALUES ?s { " + " ".join(f"<{f}>" for f in part) +
                    f" }} FILTER EXISTS {{ GRAPH <{graph.value}> {{ ?s ?p ?o }} }} }}")}
            except (SyntaxError, ValueError):  # left to the lookups one by one
                continue
            for f in part:
                cache[(sid, f)] = f in found

    in_source.prefetch = prefetch
    return in_source


def run_shacl_store(store, locator: "Locator", shapes_dir: Path, today: _dt.date | None = None,
                    engine: str = "fast") -> list[Problem]:
    """SHACL validation of the quads in a pyoxigraph store, per source graph, as Problems."""
    shapes = load_shapes(shapes_dir, today)
    runs = engine_runs(store, shapes, engine)
    return results_to_problems(runs, locator, store_subject_in(store))


_subject_cache: dict[int, set] = {}


def _subject_in(quads: list, iri: str) -> bool:
    key = id(quads)
    subjects = _subject_cache.get(key)
    if subjects is None:
        subjects = {q.subject.value for q in quads}
        _subject_cache.clear()
        _subject_cache[key] = subjects
    return iri in subjects


def _short_value(v) -> str | None:
    if v is None:
        return None
    from rdflib import URIRef
    s = str(v)
    if isinstance(v, URIRef):
        return shorten(s)
    return s if len(s) <= 80 else s[:77] + "..."


# --- sources that disagree -----------------------------------------------------------------

def _fmt_count(n: int) -> str:
    for unit, div in (("T", 10**12), ("B", 10**9), ("M", 10**6), ("k", 10**3)):
        if n >= div:
            v = n / div
            return f"{v:.3g}{unit}"
    return str(n)


def disagreements(rs: RecordSet, vocabularies) -> list[Problem]:
    """A Warning for every model fact on which two sources disagree (both sources, both values)."""
    out: list[Problem] = []
    for rec in rs.by_kind("model"):
        out += record_disagreements(rec, vocabularies)
    return out


_DESCRIBE = {
    "number of parameters": lambda f: f"'{f.text}'" + (
        "" if _fmt_count(f.value) == f.text else f" ({_fmt_count(f.value)})"),
    "date created": lambda f: f"'{f.text}'",
    "access level": lambda f: f"'{f.text}' ({f.value})",
}
# the statements keys a resolution of each fact may settle
RESOLVING_KEYS = {"number of parameters": ("number of parameters",), "date created": ("date created",),
                  "access level": ("access", "license"), "organization": ("organization",),
                  "license": ("license",), "architecture": ("architecture", "pretraining architecture"),
                  "paper": ("paper",)}
ROUNDING = 20   # two counts within 1/20 (5 %) of the larger are one count, rounded


def record_disagreements(rec: Record, vocabularies) -> list[Problem]:
    """The Warnings of :func:`disagreements` for one model record: every fact that two of
    its sources give differently (parameter counts, dates, access levels, organizations,
    licenses, architectures, papers) and that no curated resolution settles. Counts within
    5 % of each other, and sets of which one holds the other, are an Info, not a Warning."""
    out: list[Problem] = []
    if rec.kind != "model":
        return out
    blocks = rec.data.get("sources")
    if not isinstance(blocks, dict) or len(blocks) < 2:
        return out
    curated = rec.data.get("curated") if isinstance(rec.data.get("curated"), dict) else {}
    facts: dict[str, list[_Fact]] = {}
    for sid in sorted(blocks):
        b = blocks[sid]
        if not isinstance(b, dict):
            continue
        for what, fact in _facts(sid, b, vocabularies):
            facts.setdefault(what, []).append(fact)
    for what, found in facts.items():
        if any(k in curated for k in RESOLVING_KEYS[what]):
            continue   # settled by a resolution (graph:resolutions)
        first = found[0]
        for other in found[1:]:
            kind = _compare(what, first.value, other.value)
            if kind is None:
                continue
            if isinstance(first.value, frozenset):
                msg = (f"the sources disagree on the {what}: {first.source} says '{first.text}', "
                       f"{other.source} says '{other.text}'")
            else:
                msg = (f"the sources disagree on the {what}: {first.source} says {_DESCRIBE[what](first)}, "
                       f"{other.source} says {_DESCRIBE[what](other)}")
            if kind != "conflict":
                msg += f" ({kind}, not a conflict)"
            out.append(Problem(rec.file, rec.line("sources", first.source, first.key),
                               "Warning" if kind == "conflict" else "Info",
                               first.key, msg, f"{rs_base(rec)}", "llmkg:SourcesDisagree"))
            break
    return out


def _facts(sid: str, b: dict, vocabularies):
    """(fact, _Fact) of one source's block, as the facts compare across sources."""
    t = b.get("number of parameters")
    if isinstance(t, str):
        m = values.parse_params(t).maximum
        if m is not None:
            yield "number of parameters", _Fact(sid, "number of parameters", t, m)
    t = b.get("date created")
    if isinstance(t, str):
        d = values.parse_date(t)
        if d.ok:
            yield "date created", _Fact(sid, "date created", t, d.value)
    acc = _access_of(b, vocabularies)
    if acc:
        key = "access" if "access" in b else "license"
        yield "access level", _Fact(sid, key, str(b[key]), acc)
    for what, keys, scheme in (("organization", ("organization",), None), ("paper", ("paper",), None),
                               ("license", ("license",), "licenses"),
                               ("architecture", ("architecture", "pretraining architecture"), "architectures")):
        key = next((k for k in keys if b.get(k) is not None), None)
        if key is None:
            continue
        items = [str(v).strip() for v in (b[key] if isinstance(b[key], list) else [b[key]])
                 if v is not None and str(v).strip()]
        if scheme is None:
            ids = frozenset(items)
        else:
            found = [vocabularies.lookup(scheme, v) for v in items]
            if not all(found):
                continue   # a value the vocabulary does not know: SHACL reports it
            ids = frozenset(c.iri for cs in found for c in cs)
        if ids:
            yield what, _Fact(sid, key, ", ".join(items), ids)


def _compare(what: str, x, y) -> str | None:
    """None (the same), "rounding", "one names more" or "conflict"."""
    if what == "date created":  # compare at the coarser precision: 2023-03-14 agrees with 2023-03
        n = min(len(x), len(y))
        return None if x[:n] == y[:n] else "conflict"
    if what == "number of parameters":
        if x == y:
            return None
        return "rounding" if abs(x - y) * ROUNDING < max(x, y) else "conflict"
    if isinstance(x, frozenset):
        if x == y:
            return None
        return "one names more" if x < y or y < x else "conflict"
    return None if x == y else "conflict"


@dataclass(frozen=True)
class _Fact:
    source: str
    key: str
    text: str
    value: object


def rs_base(rec: Record) -> str:
    from ..vocab import DEFAULT_BASE
    return f"{DEFAULT_BASE}{rec.kind}/{rec.id}"


def _access_of(block: dict, vocabularies) -> str | None:
    acc = block.get("access")
    if isinstance(acc, str) and acc.strip():
        return acc.strip().lower()
    lic = block.get("license")
    items = lic if isinstance(lic, list) else [lic]
    levels = set()
    for item in items:
        if isinstance(item, str):
            for c in vocabularies.lookup("licenses", item):
                if getattr(c, "access", None) and c.access != "unknown":
                    levels.add(c.access)
    if len(levels) == 1:
        return levels.pop()
    return None


def validate(rs: RecordSet, mapped: MappedGraph, vocabularies, shapes_dir: Path, data_dir: Path,
             today: _dt.date | None = None) -> Report:
    problems = list(rs.problems)
    problems += run_shacl(mapped, rs, shapes_dir, data_dir, today)
    problems += disagreements(rs, vocabularies)
    return Report(problems)
