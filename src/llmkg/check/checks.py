"""The checks a unit runs: counts, classes, filters, value tests in Python with pySHACL's
semantics, and ``sh:sparql`` constraints; and reading their rows back.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterator

import rdflib
from pyoxigraph import BlankNode, NamedNode, QueryResultsFormat, parse_query_results
from rdflib import BNode, URIRef
from rdflib import Literal as RLiteral

from .analysis import RdflibSemantics, _has_global
from .model import Result, Unit
from .terms import DUMMY_FOCUS, RDF, RDFLIB_LOCK, SH, Unsupported, to_oxigraph, to_rdflib

if TYPE_CHECKING:
    from .compiler import FastValidator
    from .run import RunContext

# --- checks ------------------------------------------------------------------------------------

class Check:
    def __init__(self, unit: Unit, component: URIRef, param=None, obj=None):
        self.unit = unit
        self.component = component
        self.param = param
        self.obj = obj

    def result(self, ctx: RunContext, focus, value, message: str | None = None, path=None) -> Result:
        u = self.unit
        if message is None:
            comp = None
            if not u.messages:
                comp = ctx.engine._component(u.shape, self.param)
            message = ctx.engine.message(u, comp, focus, value)
        return Result(focus, path if path is not None else u.path, value, self.component, u.severity,
                      message, u.shape)

    def run(self, ctx: RunContext) -> list[Result]:  # pragma: no cover - abstract
        raise NotImplementedError


class FocusCheck(Check):
    """minCount, maxCount, hasValue: one result per focus node, without a value."""

    def __init__(self, unit, component, param, obj, kind, arg):
        super().__init__(unit, component, param, obj)
        self.kind = kind
        self.arg = arg

    def run(self, ctx):
        u = self.unit
        if self.kind == "min":
            if self.arg == 1 and ctx.small:
                body = (f"SELECT ?this WHERE {{ {ctx.focus(u)} FILTER NOT EXISTS "
                        f"{{ ?this {u.path_sparql} ?v }} }}")
            elif self.arg == 1:
                body = (f"SELECT ?this WHERE {{ {ctx.focus(u)} MINUS {{ SELECT ?this WHERE "
                        f"{{ ?this {u.path_sparql} ?v }} }} }}")
            else:
                body = (f"SELECT ?this WHERE {{ {ctx.focus(u)} OPTIONAL {{ ?this {u.path_sparql} ?v }} }} "
                        f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {self.arg})")
        elif self.kind == "max" and ctx.small:
            body = (f"SELECT ?this WHERE {{ {ctx.focus(u)} ?this {u.path_sparql} ?value }} GROUP BY ?this "
                    f"HAVING (COUNT(DISTINCT ?value) > {self.arg})")
        elif self.kind == "max":
            many = (f"{{ SELECT ?this WHERE {{ ?this {u.path_sparql} ?value }} GROUP BY ?this "
                    f"HAVING (COUNT(DISTINCT ?value) > {self.arg}) }}")
            body = f"SELECT ?this WHERE {{ {many} {'' if u.implied and ctx.restrict is None else ctx.focus(u)} }}"
        else:
            if u.path is None:
                body = f"SELECT ?this WHERE {{ {ctx.focus(u)} FILTER (!sameTerm(?this, {self.arg})) }}"
            elif ctx.small:
                body = (f"SELECT ?this WHERE {{ {ctx.focus(u)} FILTER NOT EXISTS "
                        f"{{ ?this {u.path_sparql} ?v . FILTER (sameTerm(?v, {self.arg})) }} }}")
            else:
                body = (f"SELECT ?this WHERE {{ {ctx.focus(u)} MINUS {{ SELECT ?this WHERE "
                        f"{{ ?this {u.path_sparql} ?v . FILTER (sameTerm(?v, {self.arg})) }} }} }}")
        return [self.result(ctx, to_rdflib(row[0]), None) for row in ctx.query(u, body)]


class CountCheck(Check):
    """minCount, maxCount and the value filters (nodeKind, in, lengths) of one shape: one
    query counts the values of each focus node and flags those with an offending value,
    whose values are then looked up."""

    def __init__(self, unit, checks: list, filters: list = ()):
        super().__init__(unit, None)
        self.mins = [c for c in checks if c.kind == "min"]
        self.maxs = [c for c in checks if c.kind == "max"]
        self.filters = list(filters)

    def run(self, ctx):
        u = self.unit
        # the focus nodes joined with their values first, then grouped: only the values of
        # focus nodes are counted (not every value of the path in the graph, say every label)
        conds = [f"?n < {c.arg}" for c in self.mins] + [f"?n > {c.arg}" for c in self.maxs]
        conds += [f"?f{i} > 0" for i in range(len(self.filters))]
        sums = "".join(f" (SUM(IF(BOUND(?value) && ({c.cond}), 1, 0)) AS ?f{i})"
                       for i, c in enumerate(self.filters))
        # few focus nodes: look their values up; many: scan the path's values, join by hash
        values = f"{{ ?this {u.path_sparql} ?value }}" if ctx.small else ctx.values(u)
        join = "OPTIONAL " if self.mins else ""
        nodes = "" if u.implied and ctx.restrict is None and not self.mins else ctx.focus(u)
        proj = "?this ?n" + "".join(f" ?f{i}" for i in range(len(self.filters)))
        body = (f"SELECT {proj} WHERE {{ {{ SELECT ?this (COUNT(DISTINCT ?value) AS ?n){sums} WHERE {{ {nodes} "
                f"{join}{values} }} GROUP BY ?this }} FILTER ({' || '.join(conds)}) }}")
        out = []
        flagged: list[list[str]] = [[] for _ in self.filters]
        for row in ctx.query(u, body):
            focus = to_rdflib(row[0])
            n = int(row[1].value)
            for c in self.mins:
                if n < c.arg:
                    out.append(c.result(ctx, focus, None))
            for c in self.maxs:
                if n > c.arg:
                    out.append(c.result(ctx, focus, None))
            for i in range(len(self.filters)):
                f = row[2 + i]
                if f is not None and int(f.value) > 0:
                    flagged[i].append(str(row[0]))
        for c, nodes in zip(self.filters, flagged):
            if nodes:
                body = (f"SELECT DISTINCT ?this ?value WHERE {{ VALUES ?this {{ {' '.join(nodes)} }} "
                        f"?this {u.path_sparql} ?value FILTER ({c.cond}) }}")
                out += [c.result(ctx, to_rdflib(r[0]), to_rdflib(r[1])) for r in ctx.query(u, body)]
        return out


class MultiFilterCheck(Check):
    """Several FilterChecks of one shape, in one query."""

    def __init__(self, unit, checks: list):
        super().__init__(unit, None)
        self.checks = checks

    def run(self, ctx):
        u = self.unit
        any_cond = " || ".join(f"({c.cond})" for c in self.checks)
        flags = " ".join(f"(({c.cond}) AS ?c{i})" for i, c in enumerate(self.checks))
        body = f"SELECT DISTINCT ?this ?value {flags} WHERE {{ {ctx.focus_and_values(u, any_cond)} }}"
        out = []
        for r in ctx.query(u, body):
            focus, value = to_rdflib(r[0]), to_rdflib(r[1])
            for i, c in enumerate(self.checks):
                flag = r[2 + i]
                if flag is not None and flag.value == "true":
                    out.append(c.result(ctx, focus, value))
        return out


class FilterCheck(Check):
    """nodeKind, in, min/maxLength: the offending (focus, value) rows, in SPARQL."""

    def __init__(self, unit, component, param, obj, cond):
        super().__init__(unit, component, param, obj)
        self.cond = cond

    def run(self, ctx):
        u = self.unit
        body = f"SELECT DISTINCT ?this ?value WHERE {{ {ctx.focus_and_values(u, self.cond)} }}"
        return [self.result(ctx, to_rdflib(r[0]), to_rdflib(r[1])) for r in ctx.query(u, body)]


class ClassCheck(Check):
    """sh:class: values without an rdf:type (rdfs:subClassOf*) of the class, in SPARQL."""

    def run(self, ctx):
        u = self.unit
        if ctx.small:
            body = (f"SELECT DISTINCT ?this ?value WHERE {{ {ctx.focus_and_values(u)} "
                    f"FILTER NOT EXISTS {{ ?value TYPEPATH <{self.obj}> }} }}")
        else:
            typed = f"{{ SELECT ?value WHERE {{ ?value TYPEPATH <{self.obj}> }} }}"
            body = f"SELECT DISTINCT ?this ?value WHERE {{ {ctx.focus_and_values(u)} MINUS {typed} }}"
        return [self.result(ctx, to_rdflib(r[0]), to_rdflib(r[1])) for r in ctx.query(u, body)]


class _ValueBased(Check):
    """A test of the value node alone, decided in Python on the distinct values of the path."""

    def candidates(self, ctx: RunContext) -> list:
        """The distinct values of the focus nodes in this run (cached per run)."""
        u = self.unit
        key = (u.focus, u.path_sparql, tuple(str(g) for g in ctx.dg), ctx.restrict is not None)
        cached = ctx.candidates.get(key)
        if cached is None:
            body = f"SELECT DISTINCT ?value WHERE {{ {ctx.focus_and_values(u)} }}"
            cached = [r[0] for r in ctx.query(u, body)]
            ctx.candidates[key] = cached
        return cached

    def test(self, ctx, values: list) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def run(self, ctx):
        bad = self.test(ctx, self.candidates(ctx))
        if not bad:
            return []
        u = self.unit
        out = []
        # A blank node of the store cannot be written into a query (there, _:b is a new
        # node): the failing blank nodes are found by their pairs, filtered here.
        blanks = {str(t) for t in bad if isinstance(t, BlankNode)}
        terms = " ".join(str(t) for t in bad if not isinstance(t, BlankNode))
        rows: list = []
        if terms:
            if u.path is None:
                body = f"SELECT ?this ?value WHERE {{ VALUES ?this {{ {terms} }} {ctx.focus(u)} BIND (?this AS ?value) }}"
            elif u.implied and ctx.restrict is None:
                body = f"SELECT DISTINCT ?this ?value WHERE {{ VALUES ?value {{ {terms} }} ?this {u.path_sparql} ?value }}"
            else:
                body = (f"SELECT DISTINCT ?this ?value WHERE {{ {{ SELECT ?this ?value WHERE {{ VALUES ?value "
                        f"{{ {terms} }} ?this {u.path_sparql} ?value }} }} {ctx.focus(u)} }}")
            rows += ctx.query(u, body)
        if blanks:
            if u.path is None:
                body = f"SELECT ?this ?value WHERE {{ {ctx.focus(u)} FILTER (isBlank(?this)) BIND (?this AS ?value) }}"
            else:
                body = f"SELECT DISTINCT ?this ?value WHERE {{ {ctx.focus_and_values(u)} FILTER (isBlank(?value)) }}"
            rows += [r for r in ctx.query(u, body) if str(r[1]) in blanks]
        for r in rows:
            focus, value = to_rdflib(r[0]), to_rdflib(r[1])
            msg = bad.get(r[1])
            if msg is not None and str(DUMMY_FOCUS) in msg:
                msg = None  # the generic message names the focus node: make it for this one
            out.append(self.result(ctx, focus, value, msg))
            for d in self.details(ctx, r[1]):
                sev = d.get(SH.resultSeverity)
                msg = d.get(SH.resultMessage)
                out.append(Result(d.get(SH.focusNode), d.get(SH.resultPath), d.get(SH.value),
                                  d.get(SH.sourceConstraintComponent), str(sev).rsplit("#", 1)[-1],
                                  "" if msg is None else str(msg), d.get(SH.sourceShape)))
        return out

    def details(self, ctx, term) -> list:
        return []


class PatternCheck(_ValueBased):
    """sh:pattern with sh:flags, exactly as pySHACL (Python ``re``, search)."""

    def __init__(self, unit, engine: FastValidator, pattern):
        super().__init__(unit, SH.PatternConstraintComponent, SH.pattern, pattern)
        if not isinstance(pattern, RLiteral):
            raise Unsupported("sh:pattern is not a literal")
        flags_node = next(iter(set(engine.g.objects(unit.shape, SH.flags))), None)
        re_flags = 0
        if flags_node is not None:
            f = str(flags_node.value).lower()
            if "i" in f:
                re_flags |= re.I
            if "m" in f:
                re_flags |= re.M
        text = str(pattern.value) if pattern.value is not None and len(pattern.value) > 1 else str(pattern)
        self.rx = re.compile(text, re_flags)
        # pySHACL checks only the first sh:pattern of a shape (allow_multi_rules is False)
        firsts = list(engine.g.objects(unit.shape, SH.pattern))
        self.active = len(firsts) <= 1 or pattern == firsts[0]

    def test(self, ctx, values):
        if not self.active:
            return {}
        key = ("pattern", self.rx.pattern, self.rx.flags)
        cache = ctx.engine._value_cache.setdefault(key, {})
        bad = {}
        search = self.rx.search
        for t in values:
            ok = cache.get(t)
            if ok is None:
                ok = False if isinstance(t, BlankNode) else search(t.value) is not None
                cache[t] = ok
            if not ok:
                bad[t] = None
        return bad


class ValueCheck(_ValueBased):
    """datatype, ranges, languageIn, and logical constraints over value-only shapes: pySHACL's
    own constraint component decides, on the distinct values."""

    def __init__(self, unit, engine: FastValidator, param):
        comp = engine._component(unit.shape, param)
        super().__init__(unit, comp.shacl_constraint_component, param, None)
        self.comp = comp

    def test(self, ctx, values):
        from pyshacl.pytypes import SHACLExecutor

        key = (self.unit.shape, self.param)
        cache = ctx.engine._value_cache.setdefault(key, {})
        todo = [t for t in values if t not in cache]
        if todo:
            conv = {to_rdflib(t): t for t in todo}
            for t in todo:
                cache[t] = None  # passes unless reported below
            with RDFLIB_LOCK:
                _ok, reports = self.comp.evaluate(SHACLExecutor(advanced_mode=True), rdflib.Graph(),
                                                  {DUMMY_FOCUS: list(conv)}, [])
            for _text, node, triples in reports:
                fields = _result_fields(triples)
                main = fields.pop(node, {})
                value = main.get(SH.value)
                if value in conv:
                    msg = main.get(SH.resultMessage)
                    # sh:node nests the results of the node shape (sh:detail): pySHACL's report
                    # lists them as results too, with the value as their focus node
                    cache[conv[value]] = ("", None if msg is None else str(msg), list(fields.values()))
        return {t: cache[t][1] for t in values if cache.get(t) is not None}

    def details(self, ctx, term) -> list:
        hit = ctx.engine._value_cache.get((self.unit.shape, self.param), {}).get(term)
        return hit[2] if hit else []

    def result(self, ctx, focus, value, message=None, path=None):
        if message is None:
            message = ctx.engine.message(self.unit, self.comp, focus, value)
        return super().result(ctx, focus, value, message, path)


class SparqlCheck(Check):
    """sh:sparql: the SELECT run once per source graph ($this unbound), joined with the focus."""

    def __init__(self, unit: Unit, engine: FastValidator, cnode, prefixes: dict):
        super().__init__(unit, SH.SPARQLConstraintComponent, SH.sparql, cnode)
        g = engine.g
        selects = list(g.objects(cnode, SH.select))
        if len(selects) != 1 or not isinstance(selects[0], RLiteral):
            raise Unsupported("sh:sparql without exactly one sh:select")
        if (cnode, SH.ask, None) in g:
            raise Unsupported("sh:ask")
        text = str(selects[0].value)
        if re.search(r"[$?]shapesGraph\b", text):
            raise Unsupported("$shapesGraph")
        if re.search(r"\b(MINUS|VALUES|SERVICE|GROUP\s+BY|PREFIX|BASE)\b", text, re.I):
            raise Unsupported("MINUS, VALUES, SERVICE, GROUP BY or a prologue in a SPARQL constraint")
        if len(re.findall(r"\bSELECT\b", text, re.I)) != 1:
            raise Unsupported("nested SELECT in a SPARQL constraint")
        if unit.path is not None:
            text = re.sub(r"([\s{}()])[$?]PATH\b", lambda m: m.group(1) + unit.path_sparql, text)
        elif re.search(r"[$?]PATH\b", text):
            raise Unsupported("$PATH without a path")
        if re.search(r"[$?]currentShape\b", text):
            if not isinstance(unit.shape, URIRef):
                raise Unsupported("$currentShape of a blank node shape")
            text = re.sub(r"[$?]currentShape\b", f"<{unit.shape}>", text)
        text = re.sub(r"\$this\b", "?this", text)
        text = re.sub(r"\$value\b", "?value", text)
        m = re.search(r"\bSELECT\s+((?:DISTINCT|REDUCED)\s+)?", text, re.I)
        rest = text[m.end():]
        if not rest.lstrip().startswith("*"):
            head = rest.split("{", 1)[0]
            if not re.search(r"\?this\b", head):
                text = text[:m.end()] + "?this " + rest
        prefixes.update(engine._prefixes(cnode))
        self.select = text
        self.fast_select = engine.analyses.hash_join(text, engine._prologue(prefixes)) or text
        self.extra = list(set(g.objects(cnode, SH.message))) or None
        self.engine = engine
        self.cnode = cnode
        self.raw = str(selects[0].value)
        prologue = engine._prologue(prefixes)
        st = engine.analyses.touches(text, prologue)
        if st is None or _has_global(st):
            facts = engine.analyses.facts(text, prologue)
            if facts is None or facts[1]:
                raise Unsupported("a SPARQL constraint that reads beyond its focus node with expressions "
                                  "that depend on literal types (rdflib and Oxigraph differ there)")
            self.rdflib = None
        else:
            if any(x[0] in ("out", "in") and x[1] is None for x in st):
                raise Unsupported("a SPARQL constraint with a variable predicate")
            self.rdflib = RdflibSemantics(text, prologue, st)

    def run(self, ctx):
        u = self.unit
        body = f"SELECT * WHERE {{ {ctx.focus(u)} {{ {self.fast_select} }} }}"
        odd = self.rdflib.odd_nodes(ctx, ctx.dg) if self.rdflib is not None else set()
        if odd:
            if ctx.focus_terms is not None:
                odd &= set(ctx.focus_terms)
            else:
                q = f"SELECT ?this WHERE {{ VALUES ?this {{ {' '.join(sorted(odd))} }} {ctx.focus(u)} }}"
                odd = {str(r[0]) for r in ctx.query(u, q)}
        rows = [d for d in _row_dicts(ctx.query(u, body)) if str(d.get("this")) not in odd]
        for node in sorted(odd):
            rows += self._rdflib_rows(ctx, node)
        return self._results(ctx, rows)

    def _rdflib_rows(self, ctx, node: str) -> list[dict]:
        """The solutions pySHACL gets for focus ``node``: $this bound, on its triples."""
        from pyshacl.helper import get_query_helper_cls

        u = self.unit
        focus = to_rdflib(NamedNode(node[1:-1]))
        helper = get_query_helper_cls()(ctx.engine.psg.lookup_shape_from_node(u.shape), self.cnode, self.raw)
        helper.collect_prefixes()
        binds, text = helper.pre_bind_variables(focus)
        g = self.rdflib.graph(ctx, ctx.dg, node)
        out = []
        with RDFLIB_LOCK:
            rows = list(g.query(helper.apply_prefixes(text), initBindings=binds))
        for r in rows:
            d = {k: to_oxigraph(v) if not isinstance(v, BNode) else BlankNode(str(v))
                 for k, v in r.asdict().items() if v is not None}
            d.setdefault("this", NamedNode(node[1:-1]))
            out.append(d)
        return out

    def _results(self, ctx, rows):
        u = self.unit
        out = []
        seen_failure = set()
        seen = set()
        for d in rows:
            t = d.pop("this", None)
            failure = d.pop("failure", None)
            p = d.pop("path", None)
            v = d.pop("value", None)
            if t is None:
                continue
            focus = to_rdflib(t)
            result_val = focus if u.path is None else None
            extra = {k: to_rdflib(x) for k, x in d.items()}
            if failure is not None:
                if focus in seen_failure:
                    continue
                seen_failure.add(focus)
                msg = ctx.engine.message(u, None, focus, result_val, bound_vars=(None, None, None, extra),
                                         extra=self.extra)
                out.append(self.result(ctx, focus, result_val, msg))
                continue
            rp, rv = to_rdflib(p), to_rdflib(v)
            key = (focus, rp, rv, tuple(sorted((k, str(x)) for k, x in extra.items())))
            if key in seen:
                continue
            seen.add(key)
            if rv is None:
                rv = result_val
            msg = ctx.engine.message(u, None, focus, rv, bound_vars=(focus, rp, rv, extra), extra=self.extra)
            out.append(self.result(ctx, focus, rv, msg, path=rp))
        return out


def _result_fields(triples) -> dict:
    """{result node: {predicate: object}} of the triples of a pySHACL report (the first
    sh:resultMessage of each)."""
    out: dict = {}
    for s, p, o in triples:
        if isinstance(o, tuple):
            o = o[1]
        d = out.setdefault(s, {})
        if p not in d:
            d[p] = o
    return {n: d for n, d in out.items() if d.get(RDF.type) == SH.ValidationResult or SH.focusNode in d}


def _read_back(tsv: bytes):
    """The solutions of a SELECT from the TSV pyoxigraph wrote (see RunContext.query)."""
    return parse_query_results(tsv, format=QueryResultsFormat.TSV)


def _row_dicts(solutions) -> Iterator[dict]:
    """The bound variables of each solution, in projection order."""
    names = [v.value for v in solutions.variables]
    for row in solutions:
        yield {n: row[n] for n in names if row[n] is not None}
