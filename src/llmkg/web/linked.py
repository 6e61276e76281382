"""Linked Data: what the server says about one IRI (an entity page, or its RDF) and the
ontology. Runs in a query worker; every query goes through :func:`llmkg.query.local`.
"""

from __future__ import annotations

from collections import defaultdict

from pyoxigraph import Literal, NamedNode

from .. import query as queries
from ..vocab import ONTOLOGY_GRAPH, PREFIXES

RDFS = PREFIXES["rdfs"]
LABEL_PROPS = [RDFS + "label", PREFIXES["skos"] + "prefLabel", PREFIXES["dcterms"] + "title",
               PREFIXES["foaf"] + "name", PREFIXES["schema"] + "name"]
PROV_DERIVED = PREFIXES["prov"] + "wasDerivedFrom"
DCT_LICENSE = PREFIXES["dcterms"] + "license"
RDF_TYPE = PREFIXES["rdf"] + "type"


def _nt(iri: str) -> str:
    return str(NamedNode(iri))  # pyoxigraph writes (and escapes) the IRI


def labels(store, iris, max_rows=None) -> dict[str, str]:
    """The best label of each IRI: rdfs:label, then skos:prefLabel, dcterms:title...;
    English or no language first."""
    iris = sorted({i for i in iris if i})
    out: dict[str, tuple] = {}
    for k in range(0, len(iris), 400):
        chunk = iris[k:k + 400]
        q = ("SELECT ?x ?lp ?l WHERE { VALUES ?x { " + " ".join(_nt(i) for i in chunk) + " } "
             "VALUES ?lp { " + " ".join(_nt(p) for p in LABEL_PROPS) + " } ?x ?lp ?l }")
        res = queries.execute(store, q, max_rows=None)
        for x, lp, lab in res.rows:
            if not isinstance(lab, Literal):
                continue
            lang = lab.language or ""
            rank = (LABEL_PROPS.index(lp.value), 0 if lang in ("", "en") or lang.startswith("en-") else 1,
                    lab.value)
            if x.value not in out or rank < out[x.value][0]:
                out[x.value] = (rank, lab.value)
    return {k: v[1] for k, v in out.items()}


def _graph_info(store, graphs) -> dict[str, dict]:
    graphs = sorted(g for g in graphs if g)
    if not graphs:
        return {}
    q = ("SELECT ?g ?src ?title ?lic WHERE { VALUES ?g { " + " ".join(_nt(g) for g in graphs) + " } "
         f"?g {_nt(PROV_DERIVED)} ?src . "
         f"OPTIONAL {{ ?src {_nt(PREFIXES['dcterms'] + 'title')} ?title }} "
         f"OPTIONAL {{ ?src {_nt(DCT_LICENSE)} ?lic }} }}")
    info: dict[str, dict] = {}
    for g, src, title, lic in queries.execute(store, q).rows:
        d = info.setdefault(g.value, {})
        d["source"] = src.value if isinstance(src, NamedNode) else None
        if title is not None:
            d["title"] = title.value
        if isinstance(lic, NamedNode):
            d["license"] = lic.value
    return info


def entity_facts(store, iri: str, max_rows: int | None) -> dict:
    s = _nt(iri)
    out = queries.execute(
        store, f"SELECT ?g ?p ?o WHERE {{ {{ GRAPH ?g {{ {s} ?p ?o }} }} UNION {{ {s} ?p ?o }} }}", max_rows=max_rows)
    inc = queries.execute(
        store, f"SELECT ?g ?x ?p WHERE {{ GRAPH ?g {{ ?x ?p {s} }} }} ORDER BY ?p ?x", max_rows=max_rows)
    iris = {iri}
    graphs = set()
    for g, p, o in out.rows:
        iris.add(p.value)
        if isinstance(o, NamedNode):
            iris.add(o.value)
        if g is not None:
            graphs.add(g.value)
    for g, x, p in inc.rows:
        iris.add(p.value)
        if isinstance(x, NamedNode):
            iris.add(x.value)
        if g is not None:
            graphs.add(g.value)
    ginfo = _graph_info(store, graphs)
    for d in ginfo.values():
        iris.update(v for k, v in d.items() if k in ("source", "license") and v)
    iris.update(graphs)
    return {"iri": iri, "out": out.rows, "in": inc.rows, "labels": labels(store, iris),
            "graphs": ginfo, "truncated_out": out.truncated, "truncated_in": inc.truncated}


def entity(store, job) -> dict:
    iri, fmt, max_rows = job["iri"], job["fmt"], job.get("max_rows")
    if fmt == "html":
        facts = entity_facts(store, iri, max_rows)
        if not facts["out"] and not facts["in"]:
            return {"found": False}
        from . import pages

        html = pages.entity_page(facts, job)
        return {"found": True, "body": html.encode("utf-8"), "ctype": "text/html; charset=utf-8",
                "truncated": facts["truncated_out"] or facts["truncated_in"]}
    s = _nt(iri)
    res = queries.execute(store, f"CONSTRUCT {{ {s} ?p ?o }} WHERE {{ {s} ?p ?o }}", max_rows=max_rows)
    if not res.triples:
        found = queries.execute(store, f"ASK {{ ?x ?p {s} }}").boolean
        if not found:
            return {"found": False}
    body, ctype = queries.serialize(res, fmt)
    return {"found": True, "body": body, "ctype": ctype, "truncated": res.truncated}


def ontology(store, job) -> dict:
    fmt = job["fmt"]
    g = _nt(ONTOLOGY_GRAPH)
    res = queries.execute(store, f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {g} {{ ?s ?p ?o }} }}")
    if not res.triples and job.get("ontology_file"):
        from pyoxigraph import RdfFormat, Triple, parse

        try:
            res = queries.QueryResult("CONSTRUCT", triples=[
                Triple(q.subject, q.predicate, q.object)
                for q in parse(path=job["ontology_file"], format=RdfFormat.TURTLE)])
        except (OSError, SyntaxError):
            pass
    if fmt != "html":
        body, ctype = queries.serialize(res, fmt)
        return {"found": bool(res.triples), "body": body, "ctype": ctype}
    subjects: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    iris = set()
    for t in res.triples:
        if isinstance(t.subject, NamedNode):
            subjects[t.subject.value][t.predicate.value].append(t.object)
            iris.add(t.subject.value)
            iris.add(t.predicate.value)
            if isinstance(t.object, NamedNode):
                iris.add(t.object.value)
    from . import pages

    html = pages.ontology_page(subjects, labels(store, iris), job)
    return {"found": bool(res.triples), "body": html.encode("utf-8"), "ctype": "text/html; charset=utf-8"}
