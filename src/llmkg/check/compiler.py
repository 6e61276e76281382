"""The shapes compiled into units of SPARQL and Python checks (:class:`FastValidator`), and
the results they give (:class:`Result`, pySHACL's fields).
"""

from __future__ import annotations

import logging
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable

import rdflib
from pyoxigraph import NamedNode, Store
from rdflib import BNode, URIRef
from rdflib import Literal as RLiteral
from rdflib.collection import Collection

from .analysis import Analyses, RdflibSemantics, _has_global
from .checks import (ClassCheck, CountCheck, FilterCheck, FocusCheck, MultiFilterCheck, PatternCheck, SparqlCheck,
                     ValueCheck)
from .model import Unit
from .run import RunContext, default_threads
from .terms import (NATIVE, NODE_KINDS, PURE, RDF, RDFS, SH, TARGETS, VALUE_ONLY, XSD_STRING, Unsupported, log,
                    path_sparql, sparql_term)

# --- compiled shapes ---------------------------------------------------------------------------

class FastValidator:
    """SHACL core shapes compiled to SPARQL; pySHACL for the rest (see the module docstring)."""

    def __init__(self, shapes: rdflib.Graph, analyses: Analyses | None = None, threads: int | None = None):
        """``analyses``: the memo of the shapes' SPARQL analyses (a build passes the previous
        build's); ``threads``: how many units run at once (default: the cores, at most 4)."""
        from pyshacl.shapes_graph import ShapesGraph

        self.analyses = analyses if analyses is not None else Analyses()
        self.threads = threads or default_threads()
        self.g = shapes
        self.psg = ShapesGraph(shapes)
        self.psg.shapes  # builds pySHACL's shape cache (used for value-only components)  # noqa: B018
        self.default_prefixes = {str(p): str(ns) for p, ns in rdflib.Graph().namespaces()}
        self.units: list[Unit] = []
        self.fallbacks: list[tuple[object, str]] = []
        self._value_cache: dict = {}
        self._candidates: dict = {}
        self._components: dict = {}
        self._messages: dict = {}
        custom = set(self.g.subjects(RDF.type, SH.ConstraintComponent))
        self._custom_params = {self.g.value(p, SH.path) for c in custom for p in self.g.objects(c, SH.parameter)}
        for node in self._top_level_shapes():
            try:
                units = self._compile_top(node)
            except Unsupported as exc:
                self.fallbacks.append((node, str(exc)))
                log.debug("FALLBACK to pySHACL for shape %s: %s", node, exc)
                continue
            self.units.extend(units)
        log.debug("%d shapes compiled to SPARQL (%d local), %d left to pySHACL",
                  len(self.units), sum(1 for u in self.units if u.touches is not None), len(self.fallbacks))

    # --- reading the shapes --------------------------------------------------------------
    def _classes_of_class(self) -> set:
        return {RDFS.Class} | set(self.g.transitive_subjects(RDFS.subClassOf, RDFS.Class))

    def _top_level_shapes(self) -> list:
        g = self.g
        nodes = set()
        for p in TARGETS:
            nodes.update(g.subjects(p, None))
        classes = self._classes_of_class()
        for kind in (SH.NodeShape, SH.PropertyShape):
            for s in g.subjects(RDF.type, kind):
                if any((s, RDF.type, c) in g for c in classes):
                    nodes.add(s)
        return sorted(nodes, key=str)

    def _severity(self, node) -> tuple[str, object]:
        sev = next(iter(set(self.g.objects(node, SH.severity))), SH.Violation)
        return str(sev).rsplit("#", 1)[-1], sev

    def _prefixes(self, qnode) -> dict:
        """Prefixes of a SPARQL-based target or constraint, as pySHACL collects them."""
        from pyshacl.helper import get_query_helper_cls

        helper = get_query_helper_cls()

        class _Shape:  # the helper reads .sg (the shapes graph) only
            sg = self.psg
            node = qnode
        h = helper(_Shape(), qnode, "", deactivated=False)
        h.collect_prefixes()
        return {str(k): str(v) for k, v in h.prefixes.items()}

    def _prologue(self, extra: dict) -> str:
        p = dict(self.default_prefixes)
        p.update(extra)
        return "".join(f"PREFIX {k}: <{v}>\n" for k, v in sorted(p.items()))

    # --- compiling ----------------------------------------------------------------------------
    def _compile_top(self, node) -> list[Unit]:
        g = self.g
        parts = []
        prefixes: dict = {}
        touches: list | None = []
        rparts: list[str] = []   # the same, with RESTRICT where a VALUES can narrow them down
        classes = list(g.objects(node, SH.targetClass))
        if any((node, RDF.type, c) in g for c in self._classes_of_class()):
            classes.append(node)
        for c in classes:
            if not isinstance(c, URIRef):
                raise Unsupported("sh:targetClass is not an IRI")
            parts.append(f"{{ ?this TYPEPATH <{c}> }}")
            rparts.append(f"{{ RESTRICT ?this TYPEPATH <{c}> }}")
            touches.append(("type", str(c)))
        class_only = bool(classes)
        nodes = list(g.objects(node, SH.targetNode))
        if any(isinstance(n, BNode) for n in nodes):
            # a blank node of the shapes graph names nothing in the data (SPARQL cannot say it)
            raise Unsupported("a blank node as sh:targetNode")
        nodes = [sparql_term(n) for n in nodes]
        if nodes:
            parts.append("{ VALUES ?this { " + " ".join(nodes) + " } }")
            rparts.append("{ RESTRICT VALUES ?this { " + " ".join(nodes) + " } }")
            class_only = False
        core_parts = list(parts)
        sparql_targets: list = []
        subjects_of = []
        for p in g.objects(node, SH.targetSubjectsOf):
            if not isinstance(p, URIRef):
                raise Unsupported("sh:targetSubjectsOf is not an IRI")
            parts.append(f"{{ ?this <{p}> ?_t }}")
            rparts.append(f"{{ RESTRICT ?this <{p}> ?_t }}")
            core_parts.append(parts[-1])
            subjects_of.append(p)
            touches.append(("out", str(p), None))
            class_only = False
        for p in g.objects(node, SH.targetObjectsOf):
            if not isinstance(p, URIRef):
                raise Unsupported("sh:targetObjectsOf is not an IRI")
            parts.append(f"{{ ?_t <{p}> ?this }}")
            rparts.append(f"{{ RESTRICT ?_t <{p}> ?this }}")
            core_parts.append(parts[-1])
            touches.append(("in", str(p), None))
            class_only = False
        for t in g.objects(node, SH.target):
            types = set(g.objects(t, RDF.type))
            selects = list(g.objects(t, SH.select))
            if not selects or (types and SH.SPARQLTarget not in types):
                raise Unsupported("a sh:target that is not a sh:SPARQLTarget with sh:select")
            text = str(selects[0])
            if not re.match(r"\s*(#[^\n]*\n\s*)*SELECT\b", text, re.I) or re.search(r"\b(PREFIX|BASE)\s", text, re.I):
                raise Unsupported("a SPARQL target that is not a plain SELECT")
            tp = self._prefixes(t)
            prefixes.update(tp)
            fast = self.analyses.hash_join(text, self._prologue(tp))
            parts.append("{ SELECT DISTINCT ?this WHERE { " + (fast or text) + " } }")
            injected = re.sub(r"(\bWHERE\s*)?\{", lambda m: m.group(0) + " RESTRICT ", text, count=1)
            rparts.append("{ SELECT DISTINCT ?this WHERE { " + injected + " } }")
            class_only = False
            st = self.analyses.touches(text, self._prologue(tp))
            if st is None or _has_global(st):
                facts = self.analyses.facts(text, self._prologue(tp))
                if facts is None or facts[1]:
                    raise Unsupported("a SPARQL target that reads beyond its focus node with expressions "
                                      "that depend on literal types (rdflib and Oxigraph differ there)")
                if st is None:
                    touches = None
                elif touches is not None:
                    touches.extend(st)
            else:
                if touches is not None:
                    touches.extend(st)
                if any(x[0] in ("out", "in") and x[1] is None for x in st):
                    raise Unsupported("a SPARQL target with a variable predicate")
                sparql_targets.append(RdflibSemantics(text, self._prologue(tp), st))
        if not parts:
            return []
        implied = subjects_of[0] if (len(parts) == 1 and len(subjects_of) == 1) else None
        focus = "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(parts) + " } }"
        units: list[Unit] = []
        focus_classes = [str(c) for c in classes] if class_only else None
        self._compile_unit(node, focus, prefixes, units, implied, touches, focus_classes, set())
        for u in units:
            if u.focus == focus:
                u.focus_parts = rparts
        if sparql_targets:
            core = ("{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(core_parts) + " } }") if core_parts else None
            for u in units:
                if u.focus == focus:
                    u.sparql_targets = sparql_targets
                    u.core_focus = core
        return units

    def _compile_unit(self, node, focus: str, prefixes: dict, units: list, implied_by, touches,
                      focus_classes, seen):
        g = self.g
        if node in seen:
            raise Unsupported("recursive sh:property")
        seen = set(seen) | {node}
        deact = g.value(node, SH.deactivated)
        if isinstance(deact, RLiteral) and bool(deact.value):
            return
        path = g.value(node, SH.path)
        psparql = path_sparql(g, path) if path is not None else None
        sev, sev_node = self._severity(node)
        unit_touches = None if touches is None else list(touches)
        if unit_touches is not None and path is not None:
            steps = _direct_steps(g, path)
            if steps is None:
                unit_touches = None
            else:
                for iri, inverse in steps:
                    for c in (focus_classes or [None]):
                        unit_touches.append(("in" if inverse else "out", iri, c))
        unit = Unit(node, focus, path, psparql, implied=(implied_by is not None and path == implied_by),
                    severity=sev, severity_node=sev_node, messages=list(set(g.objects(node, SH.message))),
                    touches=unit_touches)
        local_prefixes = dict(prefixes)
        params = {p for p, _o in g.predicate_objects(node)}
        from pyshacl.constraints import ALL_CONSTRAINT_PARAMETERS

        for p in params:
            if p in self._custom_params:
                raise Unsupported(f"custom constraint component parameter {p}")
            if p in (SH.expression, SH.js, SH.rule):
                raise Unsupported(f"{p} (SHACL-AF / JavaScript)")
            if p in ALL_CONSTRAINT_PARAMETERS and p not in NATIVE and p not in VALUE_ONLY:
                raise Unsupported(f"constraint {p.n3(g.namespace_manager)} is not compiled")
        if path is None and (params & {SH.minCount, SH.maxCount}):
            raise Unsupported("sh:minCount/sh:maxCount on a node shape")
        for p in sorted(params & (NATIVE | VALUE_ONLY), key=str):
            if p == SH.property:
                continue
            for o in sorted(set(g.objects(node, p)), key=str):
                unit.checks.extend(self._checks(unit, p, o, local_prefixes, focus_classes))
        unit.checks = _merge_checks(unit, unit.checks)
        unit.prologue = self._prologue(local_prefixes)
        n_targets = sum(len(set(g.objects(node, t))) for t in TARGETS)
        unit.selective = ("sh:target" in focus or _has_sparql_target(g, node) or n_targets >= 3
                          or focus.count(" UNION ") >= 2)
        units.append(unit)
        # nested property shapes: their focus nodes are this shape's value nodes
        for child in sorted(set(g.objects(node, SH.property)), key=str):
            if g.value(child, SH.path) is None:
                raise Unsupported("sh:property pointing to a shape without sh:path")
            if path is None:
                self._compile_unit(child, focus, prefixes, units, None, touches, focus_classes, seen)
            else:
                child_focus = ("{ SELECT DISTINCT ?this WHERE { { SELECT (?this AS ?_p) WHERE { "
                               + focus + " } } ?_p " + psparql + " ?this } }")
                self._compile_unit(child, child_focus, prefixes, units, None, None, None, seen)

    def _checks(self, unit: Unit, p, o, prefixes: dict, focus_classes) -> list:
        g = self.g
        if p == SH.minCount:
            n = _int(o, p)
            if n == 0:
                return []
            if unit.implied and n == 1:
                return []  # every focus node has a value on the path
            return [FocusCheck(unit, SH.MinCountConstraintComponent, p, o, "min", n)]
        if p == SH.maxCount:
            return [FocusCheck(unit, SH.MaxCountConstraintComponent, p, o, "max", _int(o, p))]
        if p == SH.hasValue:
            return [FocusCheck(unit, SH.HasValueConstraintComponent, p, o, "has", sparql_term(o))]
        if p == SH["class"]:
            if not isinstance(o, URIRef):
                raise Unsupported("sh:class is not an IRI")
            if unit.touches is not None:
                if unit.path is None:
                    unit.touches.extend(("out", str(RDF.type), c) for c in (focus_classes or [None]))
                else:
                    steps = _direct_steps(g, unit.path)
                    unit.touches.extend(("vtype", iri, "in" if inv else "out") for iri, inv in steps)
            return [ClassCheck(unit, SH.ClassConstraintComponent, p, o)]
        if p == SH.nodeKind:
            if o not in NODE_KINDS:
                raise Unsupported(f"unknown sh:nodeKind {o}")
            return [FilterCheck(unit, SH.NodeKindConstraintComponent, p, o, f"!{NODE_KINDS[o]}")]
        if p == SH["in"]:
            members = list(Collection(g, o))
            terms = []
            for m in members:
                if isinstance(m, BNode):
                    continue  # never equal to a data node
                if isinstance(m, RLiteral) and m.datatype is not None and str(m.datatype) == XSD_STRING:
                    continue  # rdflib: "x"^^xsd:string != "x" (data strings are plain literals)
                terms.append(f"sameTerm(?value, {sparql_term(m)})")
            cond = " || ".join(terms) if terms else "false"
            return [FilterCheck(unit, SH.InConstraintComponent, p, o, f"!({cond})")]
        if p in (SH.minLength, SH.maxLength):
            n = _int(o, p)
            if n < 0:
                raise Unsupported("negative length")
            if p == SH.minLength:
                if n == 0:
                    return []
                cond = f"isBlank(?value) || STRLEN(STR(?value)) < {n}"
                comp = SH.MinLengthConstraintComponent
            else:
                cond = f"isBlank(?value) || STRLEN(STR(?value)) > {n}"
                comp = SH.MaxLengthConstraintComponent
            return [FilterCheck(unit, comp, p, o, cond)]
        if p == SH.pattern:
            return [PatternCheck(unit, self, o)]
        if p == SH.sparql:
            deact = g.value(o, SH.deactivated)
            if isinstance(deact, RLiteral) and bool(deact.value):
                return []
            check = SparqlCheck(unit, self, o, prefixes)
            if unit.touches is not None:
                st = self.analyses.touches(check.select, self._prologue(prefixes))
                if st is None:
                    unit.touches = None
                else:
                    unit.touches.extend(st)
            return [check]
        if p in VALUE_ONLY:
            if p in (SH["not"], SH["and"], SH["or"], SH.xone, SH.node):
                members = [o] if p in (SH["not"], SH.node) else list(Collection(g, o))
                for m in members:
                    self._require_pure(m, set())
            return [ValueCheck(unit, self, p)]
        raise Unsupported(f"constraint {p}")  # pragma: no cover

    def _require_pure(self, node, seen: set) -> None:
        g = self.g
        if node in seen:
            raise Unsupported("recursive logical shapes")
        seen = seen | {node}
        if g.value(node, SH.path) is not None or (node, SH.property, None) in g:
            raise Unsupported("a logical constraint over a shape with paths (data-dependent)")
        from pyshacl.constraints import ALL_CONSTRAINT_PARAMETERS

        for p, o in g.predicate_objects(node):
            if p in (SH.sparql, SH.expression, SH.js) or p in self._custom_params:
                raise Unsupported(f"a logical constraint over {p}")
            if p in ALL_CONSTRAINT_PARAMETERS and p not in PURE:
                raise Unsupported(f"a logical constraint over {p} (data-dependent)")
            if p in (SH["not"], SH.node):
                self._require_pure(o, seen)
            elif p in (SH["and"], SH["or"], SH.xone):
                for m in Collection(g, o):
                    self._require_pure(m, seen)

    def _component(self, shape_node, param):
        """pySHACL's own constraint component object for ``param`` of a shape."""
        key = (shape_node, param)
        comp = self._components.get(key)
        if comp is None:
            from pyshacl.constraints import CONSTRAINT_PARAMETERS_MAP

            pshape = self.psg.lookup_shape_from_node(shape_node)
            comp = CONSTRAINT_PARAMETERS_MAP[param](pshape)
            self._components[key] = comp
        return comp

    # --- running ----------------------------------------------------------------------------
    def results(self, store: Store, graph_ids: list, curated: str, graph_base: str,
                restrict: Iterable | None = None, stats: dict | None = None,
                units: list | None = None, progress=None) -> dict:
        """{source id (or None): [Result]} for every source graph, compiled shapes only.

        ``restrict``: only these focus nodes (terms in N-Triples syntax: ``<iri>``, ``"lit"``),
        for incremental validation; ``units``: only these units (default: all);
        ``progress(done, total)``: called as units finish (from the threads that run them)."""
        quiet = logging.getLogger("rdflib.term")
        was, quiet.disabled = quiet.disabled, True  # ill-typed literals are expected values here
        try:
            return self._results(store, graph_ids, curated, graph_base, restrict, stats,
                                 self.units if units is None else units, progress)
        finally:
            quiet.disabled = was

    def relevant(self, unit: Unit, predicates: set, classes: set) -> bool:
        """Whether a change of quads with these predicates (and rdf:type quads with these
        classes) can change ``unit``'s results (always, for a unit that is not local)."""
        if unit.touches is None:
            return True
        for t in unit.touches:
            if t[0] == "type":
                if t[1] in classes:
                    return True
            elif t[0] in ("out", "in"):
                if t[1] is None or t[1] in predicates:
                    return True
            elif t[0] == "vtype":
                if classes or t[1] in predicates:
                    return True
            elif t[0] == "global":
                if t[1] in predicates or t[1] in classes:
                    return True
        return False

    @staticmethod
    def global_hit(unit: Unit, predicates: set, classes: set) -> bool:
        """Whether a change can flip a condition of ``unit`` on the whole graph."""
        return any(t[0] == "global" and (t[1] in predicates or t[1] in classes) for t in unit.touches or ())

    def _results(self, store, graph_ids, curated, graph_base, restrict, stats, units, progress=None):
        ctx = RunContext(self, store, restrict)
        cur = NamedNode(curated)
        dgs = {sid: [cur] + ([NamedNode(graph_base + sid)] if sid is not None else []) for sid in graph_ids}
        out: dict = {sid: [] for sid in graph_ids}
        # rdfs:subClassOf triples in the validated graphs make sh:class and sh:targetClass
        # reach further than one triple: then every shape runs on every source graph
        subclass = any(ctx.ask("ASK { ?a <http://www.w3.org/2000/01/rdf-schema#subClassOf> ?b }", dg)
                       for dg in dgs.values())
        if restrict is not None and not ctx.restrict:
            return out
        counts = {"runs": 0, "reused": 0}
        finished = [0]  # units done (for ``progress``)

        def one(unit):
            local = (unit.touches is not None and not _has_global(unit.touches) and not subclass
                     and len(graph_ids) > 1 and restrict is None)
            base = None
            res = {}
            for sid in graph_ids:
                if local and not ctx.touched(unit, graph_base + sid, cur):
                    if base is None:
                        base = ctx.run(unit, [cur], subclass)
                    res[sid] = base
                    counts["reused"] += 1
                else:
                    res[sid] = ctx.run(unit, dgs[sid], subclass)
                    counts["runs"] += 1
            if progress is not None:
                with ctx.lock:
                    finished[0] += 1
                    progress(finished[0], len(units))
            return res

        # Oxigraph evaluates a query without the GIL: a few threads use the cores
        threads = max(1, min(self.threads, len(units)))
        if threads > 1:
            with ThreadPoolExecutor(threads) as pool:
                per_unit = list(pool.map(one, units))
        else:
            per_unit = [one(u) for u in units]
        for res in per_unit:
            for sid in graph_ids:
                out[sid].extend(res[sid])
        if stats is not None:
            stats.update(counts, queries=ctx.n_queries)
        return out

    def message(self, unit: Unit, component_obj, focus, value, bound_vars=None, extra=None) -> str:
        """The sh:resultMessage pySHACL gives (the first, when a result has several)."""
        if bound_vars is None and not extra and unit.messages:
            hit = self._messages.get(unit.shape)
            if hit is None:
                hit = self._message(unit, component_obj, focus, value)
                self._messages[unit.shape] = hit
            return hit
        return self._message(unit, component_obj, focus, value, bound_vars, extra)

    def _message(self, unit: Unit, component_obj, focus, value, bound_vars=None, extra=None) -> str:
        msgs: list[str] = []
        shape_msgs = list(unit.messages)
        if extra:
            for m in extra:
                if m in shape_msgs:
                    continue
                msgs.append(_format(str(m.value) if isinstance(m, RLiteral) else str(m), bound_vars))
        elif not shape_msgs and component_obj is not None:
            shape_msgs = component_obj.make_generic_messages(rdflib.Graph(), focus, value) or []
        for m in sorted(shape_msgs, key=str):
            msgs.append(_format(str(m.value) if isinstance(m, RLiteral) else str(m), bound_vars))
        return msgs[0] if msgs else ""


def _has_sparql_target(g, node) -> bool:
    return (node, SH.target, None) in g


def _merge_checks(unit: Unit, checks: list) -> list:
    """Checks that scan the same values, merged into one query each."""
    counts = [c for c in checks if isinstance(c, FocusCheck) and c.kind in ("min", "max")]
    filters = [c for c in checks if type(c) is FilterCheck]
    rest = [c for c in checks if c not in counts and c not in filters]
    out = []
    if counts and unit.path is not None and (len(counts) > 1 or filters):
        out.append(CountCheck(unit, counts, filters))  # one scan of the values for all of them
    elif len(filters) > 1:
        out += counts
        out.append(MultiFilterCheck(unit, filters))
    else:
        out += counts + filters
    return out + rest


def _direct_steps(g, path) -> list | None:
    """[(IRI, inverse?)] when the path is an IRI, an inverse IRI or an alternative of those."""
    if isinstance(path, URIRef):
        return [(str(path), False)]
    if not isinstance(path, BNode):
        return None
    inv = g.value(path, SH.inversePath)
    if inv is not None:
        return [(str(inv), True)] if isinstance(inv, URIRef) else None
    alt = g.value(path, SH.alternativePath)
    if alt is not None:
        out = []
        for i in Collection(g, alt):
            s = _direct_steps(g, i)
            if s is None:
                return None
            out += s
        return out
    return None


def _format(msg: str, bound_vars) -> str:
    """pySHACL's ConstraintComponent._format_sparql_based_result_message."""
    if bound_vars is None:
        return msg
    fdict: dict = {}
    t, p, v, extra = bound_vars
    fdict.update(extra)
    if t is not None:
        fdict["this"] = t
    if p is not None:
        fdict["path"] = p
    if v is not None:
        fdict["value"] = v
    for var, val in fdict.items():
        msg = re.sub("{{[?$]{}}}".format(var), str(val), msg)
    return msg


def _int(o, p) -> int:
    if not isinstance(o, RLiteral) or not isinstance(o.value, int) or isinstance(o.value, bool):
        raise Unsupported(f"{p} is not an integer")
    return int(o.value)
