"""The HTML of the server: plain strings, escaped here and only here. No templates engine, no
outside resources: the CSS and JS are ``static/app.css`` and ``static/app.js``, served by us.
"""

from __future__ import annotations

import hashlib
import re
import html
import json
from pathlib import Path
from urllib.parse import quote, urlencode

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from ..vocab import DEFAULT_BASE, GRAPH, KIND_PREFIXES, LLMKG, ONTOLOGY_IRI, PREFIXES, RDF_TYPE, XSD, shorten

STATIC = Path(__file__).parent / "static"


def _asset_version() -> str:
    h = hashlib.sha256()
    for p in sorted(STATIC.glob("*")):
        if p.is_file():
            h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()[:12]


ASSET_VERSION = _asset_version()


def esc(s) -> str:
    return html.escape("" if s is None else str(s), quote=True)


def prefixes_for(base: str | None) -> dict[str, str]:
    p = dict(PREFIXES)
    p["res"] = base or DEFAULT_BASE
    p.update({k: p["res"] + path for k, path in KIND_PREFIXES.items()})
    return p


_SAFE_PATH = "/:@!$&'()*+,;=-._~%"


def local_href(iri: str, base: str | None) -> str | None:
    """Where this server shows ``iri``, or None when it is not ours."""
    base = base or DEFAULT_BASE
    if iri.startswith(base) and len(iri) > len(base):
        return "/resource/" + quote(iri[len(base):], safe=_SAFE_PATH)
    if iri.startswith(GRAPH) and len(iri) > len(GRAPH):
        return "/graph/" + quote(iri[len(GRAPH):], safe=_SAFE_PATH)
    if iri == ONTOLOGY_IRI:
        return "/ontology"
    if iri.startswith(LLMKG):
        return "/ontology#" + quote(iri[len(LLMKG):], safe="-._~")
    return None


def href_for(iri: str, base: str | None) -> str | None:
    local = local_href(iri, base)
    if local:
        return local
    if iri.startswith(("http://", "https://")):
        return iri
    return None


def short(iri: str, base: str | None) -> str:
    s = shorten(iri, prefixes_for(base))
    return s[1:-1] if s.startswith("<") else s


def iri_html(iri: str, base: str | None, labels: dict | None = None, show_short: bool = False) -> str:
    text = (labels or {}).get(iri) or short(iri, base)
    href = href_for(iri, base)
    title = esc(iri)
    if labels and iri in labels and show_short:
        extra = f' <span class="muted">{esc(short(iri, base))}</span>'
    else:
        extra = ""
    if href is None:
        return f'<span class="iri" title="{title}">{esc(text)}</span>{extra}'
    ext = "" if local_href(iri, base) else ' class="ext" rel="noopener noreferrer"'
    return f'<a href="{esc(href)}" title="{title}"{ext}>{esc(text)}</a>{extra}'


QUIET_TYPES = {XSD + t for t in ("string", "integer", "decimal", "double", "date", "gYear", "gYearMonth", "boolean")}


def human_number(value: str) -> str | None:
    try:
        n = float(value)
    except ValueError:
        return None
    for size, unit in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if abs(n) >= size:
            v = n / size
            return (f"{v:.0f}" if abs(v) >= 100 else f"{v:.1f}".rstrip("0").rstrip(".") if abs(v) >= 10
                    else f"{v:.2f}".rstrip("0").rstrip(".")) + unit
    return None


def literal_html(lit: Literal, base: str | None, quiet: bool = False) -> str:
    out = esc(lit.value)
    if _is_number(lit):
        h = human_number(lit.value)
        if h:
            out = f'<span title="{esc(short(lit.datatype.value, base))}">{out}</span> <span class="muted">≈{esc(h)}</span>'
        return out
    if lit.language:
        out += f' <span class="muted">@{esc(lit.language)}</span>'
    elif quiet and lit.datatype.value in QUIET_TYPES:
        out = f'<span title="{esc(short(lit.datatype.value, base))}">{out}</span>'
    elif lit.datatype.value not in (XSD + "string",):
        dt = lit.datatype.value
        out += f' <span class="muted dt" title="{esc(dt)}">{esc(short(dt, base))}</span>'
    return out


def term_html(t, base: str | None, labels: dict | None = None, quiet: bool = False) -> str:
    if t is None:
        return ""
    if isinstance(t, NamedNode):
        return iri_html(t.value, base, labels)
    if isinstance(t, Literal):
        return literal_html(t, base, quiet)
    if isinstance(t, BlankNode):
        return f'<span class="bnode">_:{esc(t.value)}</span>'
    if isinstance(t, Triple):
        return "&lt;&lt; " + " ".join(term_html(x, base, labels) for x in (t.subject, t.predicate, t.object)) + " &gt;&gt;"
    return esc(t)


def _is_number(t) -> bool:
    return isinstance(t, Literal) and t.datatype.value in (
        XSD + "integer", XSD + "decimal", XSD + "double", XSD + "float", XSD + "long", XSD + "int")


# -- the frame ---------------------------------------------------------------------------

ON = ' class="on" aria-current="page"'
NAV = (("/", "Search & SPARQL", "home"), ("/queries", "Canned queries", "queries"),
       ("/ontology", "Ontology", "ontology"), ("/sparql", "Endpoint", "endpoint"))


def layout(title: str, body: str, *, active: str = "", version: str | None = None,
           head_extra: str = "", config: dict | None = None) -> str:
    nav = "".join(f'<a href="{h}"{ON if key == active else ""}>{esc(label)}</a>'
                  for h, label, key in NAV)
    cfg = ""
    if config is not None:
        cfg = ('<script type="application/json" id="llmkg-config">'
               + json_script(config) + "</script>")
    ver = f'<span class="ver" title="store version">{esc(version)}</span>' if version else ""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)} · llmkg</title>"
        f'<link rel="stylesheet" href="/static/app.css?v={ASSET_VERSION}">'
        f'<link rel="icon" href="/static/favicon.svg?v={ASSET_VERSION}" type="image/svg+xml">'
        f"{head_extra}</head><body>"
        f'<header class="top"><a class="brand" href="/">llmkg</a><nav>{nav}</nav>'
        '<form class="search" role="search" action="/search" method="get">'
        '<input id="search" name="q" type="search" placeholder="Search models, papers, organizations…" '
        'autocomplete="off" aria-label="Search the graph" aria-controls="search-hits" spellcheck="false">'
        '<ul id="search-hits" role="listbox" hidden></ul></form>'
        f'{ver}</header>'
        f'<main>{body}</main>'
        '<footer>llmkg · a knowledge graph of large language models, aligned with the ORKG · '
        '<a href="/sparql">SPARQL endpoint</a> · <a href="/queries.json">queries.json</a> · '
        '<a href="/health">health</a></footer>'
        f"{cfg}"
        f'<script src="/static/app.js?v={ASSET_VERSION}" defer></script>'
        "</body></html>\n")


GRAPH_TEXTS = {
    "curated": "The curated statements: every record's identity (its type, name, aliases and "
               "identifiers such as arXiv, DOI and ORKG ids), the vocabularies, and the sources' "
               "descriptions. What each source says is in that source's own graph.",
    "resolutions": "The curated resolutions: where the sources disagree or are wrong, the value a "
                   "curator chose, with the reason. The default graph uses them in place of what "
                   "they supersede.",
}


def graph_page(iri: str, base: str | None, version: str | None) -> str:
    """A page about a named graph that no statement describes."""
    name = iri[len(GRAPH):] if iri.startswith(GRAPH) else iri
    query = ("SELECT ?s ?p ?o WHERE {\n  GRAPH <" + iri + "> { ?s ?p ?o }\n}\nLIMIT 100")
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <" + iri + "> { ?s ?p ?o } }"
    text = GRAPH_TEXTS.get(name, "A named graph of the store.")
    body = (f'<article class="entity"><h1>graph:{esc(name)}</h1><p class="iri"><code>{esc(iri)}</code></p>'
            f'<p class="meta">a named graph</p><p>{esc(text)}</p>'
            f'<p><a href="/?{urlencode({"query": query})}">Browse its statements</a> · '
            f'<a href="/sparql?{urlencode({"query": construct, "format": "turtle"})}">download it as Turtle</a></p>'
            "</article>")
    return layout(f"graph:{name}", body, version=version)


def search_page(q: str, hits: list[dict], version: str | None) -> str:
    """The answer of ``/search`` for a browser (without script, the search box submits here)."""
    items = "".join(
        f'<li><a href="{esc(h["href"] or h["iri"])}">{esc(h["label"])}</a> <span class="muted">{esc(h["kind"])}'
        + (f' · also “{esc(h["matched"])}”' if h["matched"] != h["label"] else "") + "</span></li>"
        for h in hits)
    body = (f'<h1>Search</h1><p>{len(hits)} found for “{esc(q)}” '
            f'(<a href="/search?q={quote(q)}&amp;format=json">JSON</a>)</p>'
            + (f'<ol class="hits">{items}</ol>' if hits else "<p>Nothing has that name or alias.</p>"))
    return layout(f"Search: {q}", body, version=version)


def json_script(obj) -> str:
    """JSON safe inside <script>: no "</script>" or "<!--" can close it."""
    return (json.dumps(obj, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026"))


def error_page(status: int, title: str, message: str, version: str | None = None) -> str:
    body = (f'<section class="error"><h1>{status} {esc(title)}</h1>'
            f'<pre class="msg">{esc(message)}</pre><p><a href="/">Back to the start page</a></p></section>')
    return layout(f"{status} {title}", body, version=version)


# -- results -----------------------------------------------------------------------------

def truncation_note(n: int, max_rows: int | None) -> str:
    return (f'<p class="note trunc" role="status">Only the first {n} rows are shown: this server '
            f"returns at most {max_rows} rows per query. Add a LIMIT/OFFSET, or run the query "
            "locally with <code>llmkg query</code>.</p>")


def result_table(result, base: str | None, max_rows: int | None = None) -> str:
    """A QueryResult as an HTML table (short IRIs, linked to their pages)."""
    if result.form == "ASK":
        return f'<p class="boolean">{"true" if result.boolean else "false"}</p>'
    if result.is_graph:
        rows = "".join(f"<tr><td>{term_html(t.subject, base)}</td><td>{term_html(t.predicate, base)}</td>"
                       f"<td>{term_html(t.object, base)}</td></tr>" for t in result.triples)
        note = truncation_note(len(result.triples), max_rows) if result.truncated else ""
        return (f'{note}<table class="results"><thead><tr><th>subject</th><th>predicate</th>'
                f"<th>object</th></tr></thead><tbody>{rows}</tbody></table>")
    heads = "".join(f'<th title="?{esc(v)}">{esc(result.titles.get(v, v))}</th>' for v in result.variables)
    body = []
    for row in result.rows:
        cells = "".join(f'<td{" class=num" if _is_number(t) else ""}>{term_html(t, base, quiet=True)}</td>' for t in row)
        body.append(f"<tr>{cells}</tr>")
    note = truncation_note(len(result.rows), max_rows) if result.truncated else ""
    return (f'{note}<table class="results"><thead><tr>{heads}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


# -- the start page ----------------------------------------------------------------------

def canned_meta(q) -> dict:
    return {"name": q.name, "title": q.title, "description": q.description, "category": q.category,
            "form": q.form, "view": q.view, "chart": q.chart, "columns": dict(q.columns),
            "params": [{"name": p.name, "type": p.type, "default": p.default,
                        "description": p.description, "required": p.required} for p in q.params]}


def canned_groups(registry: dict) -> list[tuple[str, list]]:
    groups: dict[str, list] = {}
    for q in registry.values():
        groups.setdefault(q.category, []).append(q)
    return [(c, sorted(groups[c], key=lambda q: q.title.lower()))
            for c in sorted(groups, key=str.lower)]


def canned_list_html(registry: dict) -> str:
    if not registry:
        return '<p class="muted">No canned queries (the queries/ folder is empty).</p>'
    out = []
    for cat, qs in canned_groups(registry):
        items = "".join(
            f'<li data-name="{esc(q.name)}" data-search="{esc((q.title + " " + q.name + " " + q.description + " " + cat).lower())}">'
            f'<a href="/queries/{esc(q.name)}" data-canned="{esc(q.name)}">{esc(q.title)}</a>'
            f'{"<span class=badge>" + esc(q.view) + "</span>" if q.view != "table" else ""}'
            f'<p>{esc(_first_sentence(q.description))}</p></li>' for q in qs)
        out.append(f'<section class="cat"><h3>{esc(cat)}</h3><ul>{items}</ul></section>')
    return "".join(out)


def _first_sentence(text: str, limit: int = 160) -> str:
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    return cut[: cut.rfind(" ")] + "…"


DEFAULT_QUERY = """SELECT ?model ?name ?created ?parameters WHERE {
  ?model a llmkg:Model ; rdfs:label ?name .
  OPTIONAL { ?model dcterms:created ?created }
  OPTIONAL { ?model llmkg:maximumParameterCount ?parameters }
}
ORDER BY ?created
LIMIT 100"""


#: three starting points on the start page: (canned query, what it shows)
STARTING_POINTS = [
    ("largest-model-per-year", "the largest model of each year"),
    ("models-per-organization", "who builds the models"),
    ("source-disagreements", "where the sources disagree, and how it was resolved"),
]


def holdings_html(held: dict | None, registry: dict, base: str | None) -> str:
    """The start page's summary: what the graph holds, its sources and their licenses, and
    three suggested starting points."""
    if not held:
        return ""
    c = held.get("counts") or {}
    parts = [f"{c[k]:,} {label}" for k, label in (("model", "models"), ("paper", "papers"),
                                                   ("organization", "organizations"),
                                                   ("reading-list", "reading lists")) if c.get(k)]
    if c.get("triples"):
        parts.append(f"{c['triples']:,} statements")
    srcs = "".join(
        f'<li>{iri_html(s["graph"], base)}'
        + (f' <span class="muted">{esc(s["title"])}</span>' if s.get("title") else "")
        + (f' · {iri_html(s["license"], base)}' if s.get("license") else ' · <span class="muted">no license stated</span>')
        + "</li>" for s in held.get("sources") or [])
    picks = [(n, why) for n, why in STARTING_POINTS if n in registry]
    picks += [(n, _first_sentence(q.description, 80)) for n, q in registry.items()
              if n not in dict(picks)][:3 - len(picks)]   # a project's own queries: its first ones
    starts = "".join(f'<li><a href="/?canned={esc(name)}" data-canned="{esc(name)}">{esc(registry[name].title)}</a>'
                     f' <span class="muted">{esc(why)}</span></li>' for name, why in picks)
    return (f'<section class="panel holdings"><p><strong>The graph holds</strong> {", ".join(parts) or "nothing yet"}, '
            f'from {len(held.get("sources") or [])} sources.</p>'
            + (f'<details><summary>Sources and licenses</summary><ul class="sources">{srcs}</ul></details>' if srcs else "")
            + (f'<p><strong>Start with</strong></p><ul class="starts">{starts}</ul>' if starts else "")
            + "</section>")


def index_page(registry: dict, *, base: str | None, version: str | None, max_rows: int,
               timeout: float, holdings: dict | None = None) -> str:
    prefixes = prefixes_for(base)
    prologue = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in prefixes.items())
    config = {"prefixes": prefixes, "base": base or DEFAULT_BASE, "maxRows": max_rows,
              "queries": [canned_meta(q) for q in registry.values()],
              "prologue": prologue, "defaultQuery": DEFAULT_QUERY,
              "terms": (holdings or {}).get("terms", [])}
    body = f"""
<div class="layout">
  <aside class="sidebar">
    <h2>Canned queries</h2>
    <input type="search" id="q-filter" placeholder="Search the queries…" aria-label="Search the canned queries" autocomplete="off">
    <div id="canned-list">{canned_list_html(registry)}</div>
    <p id="no-match" class="muted" hidden>No query matches.</p>
    <section id="recent" hidden><h2>Recent</h2><ol></ol></section>
  </aside>
  <section class="work">
    {holdings_html(holdings, registry, base)}
    <div id="canned-panel" class="panel" hidden></div>
    <form id="sparql-form" class="panel editor" method="get" action="/sparql">
      <div class="row"><label for="sparql"><strong>SPARQL</strong></label>
        <span class="muted">the default graph is the union of all graphs · at most {max_rows} rows · {timeout:g} s</span></div>
      <textarea id="sparql" name="query" spellcheck="false" rows="12">{esc(DEFAULT_QUERY)}</textarea>
      <details class="prefixes"><summary class="muted">{len(prefixes)} prefixes are predeclared ({esc(", ".join(p + ":" for p in list(prefixes)[:6]))}…): a query may use them without PREFIX lines</summary><pre>{esc(prologue)}</pre></details>
      <input type="hidden" name="format" value="html">
      <div class="actions">
        <button type="submit" id="run">Run</button><span class="muted hint">Ctrl+Enter</span>
        <span class="spacer"></span>
        <a id="dl-csv" href="#" download="results.csv">CSV</a>
        <a id="dl-json" href="#" download="results.json">JSON</a>
        <button type="button" id="share" class="secondary">Copy link</button>
      </div>
    </form>
    <div id="status" class="status" role="status"></div>
    <div id="chart" class="chart"></div>
    <div id="results" class="results-wrap"></div>
  </section>
</div>"""
    editor = f'<script src="/static/editor.js?v={ASSET_VERSION}" defer></script>'
    return layout("Search & SPARQL", body, active="home", version=version, config=config, head_extra=editor)


def queries_page(registry: dict, version: str | None) -> str:
    rows = []
    for cat, qs in canned_groups(registry):
        items = []
        for q in qs:
            params = ", ".join(f"{esc(p.name)} <span class=muted>({esc(p.type)})</span>" for p in q.params)
            items.append(
                f'<tr><td><a href="/queries/{esc(q.name)}">{esc(q.title)}</a><br><code class="muted">{esc(q.name)}</code></td>'
                f"<td>{esc(q.description)}</td><td>{params or '<span class=muted>none</span>'}</td>"
                f'<td class="fmts"><a href="/queries/{esc(q.name)}.json">json</a> '
                f'<a href="/queries/{esc(q.name)}.csv">csv</a> <a href="/queries/{esc(q.name)}.tsv">tsv</a></td></tr>')
        rows.append(f'<h2>{esc(cat)}</h2><table class="list"><thead><tr><th>query</th><th>what it answers</th>'
                    f'<th>parameters</th><th>results</th></tr></thead><tbody>{"".join(items)}</tbody></table>')
    body = ('<h1>Canned queries</h1><p>Each result is a permalink; add parameters to the URL '
            '(<code>?name=value</code>). Machine-readable list: <a href="/queries.json">/queries.json</a>.</p>'
            + ("".join(rows) or '<p class="muted">No canned queries.</p>'))
    return layout("Canned queries", body, active="queries", version=version)


def _param_input(p, value: str | None) -> str:
    kinds = {"integer": "text", "decimal": "text", "date": "date", "year": "number", "boolean": "text"}
    hint = {"iri": "IRI or res:…", "integer": "e.g. 100B", "decimal": "e.g. 1.5", "date": "YYYY-MM-DD",
            "year": "YYYY", "boolean": "true / false", "string": "text"}.get(p.type, p.type)
    v = value if value is not None else ""
    ph = p.default if p.default is not None else hint
    req = " required" if p.required else ""
    return (f'<label class="param"><span>{esc(p.name)} <span class="muted">{esc(p.type)}</span></span>'
            f'<input name="{esc(p.name)}" type="{kinds.get(p.type, "text")}" value="{esc(v)}" '
            f'placeholder="{esc(ph)}"{req}><small class="muted">{esc(p.description)}</small></label>')


def canned_page(q, raw: dict, *, table_html: str | None, result_json: bytes | None, meta: dict | None,
                error: str | None, version: str | None, max_rows: int) -> str:
    qs = urlencode([(k, v) for k, v in raw.items() if v not in (None, "")])
    suffix = ("?" + qs) if qs else ""
    form = ""
    if q.params:
        form = ('<form method="get" class="params">' + "".join(_param_input(p, raw.get(p.name)) for p in q.params)
                + '<button type="submit">Run</button></form>')
    links = (f'<div class="links"><a href="/queries/{esc(q.name)}{esc(suffix)}">Permalink</a> · '
             f'<a href="/queries/{esc(q.name)}.json{esc(suffix)}">JSON</a> · '
             f'<a href="/queries/{esc(q.name)}.csv{esc(suffix)}" download="{esc(q.name)}.csv">CSV</a> · '
             f'<a href="/queries/{esc(q.name)}.tsv{esc(suffix)}">TSV</a> · '
             f'<a href="/?canned={esc(q.name)}{esc("&" + qs if qs else "")}">Open on the start page</a> · '
             f'<a href="/?{esc(urlencode({"query": q.text}))}">Edit the SPARQL</a></div>')
    status = ""
    if meta is not None:
        n = meta.get("rows", 0)
        status = (f'<p class="status">{n} row{"s" if n != 1 else ""} · {meta.get("elapsed", 0) * 1000:.0f} ms'
                  f'{" · <strong>truncated</strong>" if meta.get("truncated") else ""}</p>')
    err = f'<pre class="msg error">{esc(error)}</pre>' if error else ""
    data = ""
    if result_json is not None:
        data = ('<script type="application/json" id="llmkg-result">'
                + result_json.decode("utf-8").replace("<", "\\u003c").replace(">", "\\u003e") + "</script>")
    chart = '<div id="chart" class="chart"></div>' if q.view != "table" else ""
    body = (f'<article class="canned" data-name="{esc(q.name)}"><h1>{esc(q.title)}</h1>'
            f'<p class="meta"><span class="badge">{esc(q.category)}</span> <code>{esc(q.name)}</code>'
            f'{" · view: " + esc(q.view) if q.view != "table" else ""}</p>'
            f'<div class="desc">{"".join("<p>" + esc(par) + "</p>" for par in q.description.split(chr(10)) if par.strip())}</div>'
            f"{form}{links}{err}{status}{chart}<div class=\"results-wrap\">{table_html or ''}</div>"
            f'<details class="src"><summary>SPARQL</summary><pre>{esc(q.text)}</pre></details>'
            f"{data}</article>")
    return layout(q.title, body, active="queries", version=version,
                  config={"canned": canned_meta(q), "maxRows": max_rows})


def sparql_html_page(query: str, table_html: str | None, meta: dict | None, error: str | None,
                     version: str | None) -> str:
    status = ""
    if meta is not None:
        n = meta.get("rows", 0)
        status = f'<p class="status">{n} result{"s" if n != 1 else ""} · {meta.get("elapsed", 0) * 1000:.0f} ms</p>'
    err = f'<pre class="msg error">{esc(error)}</pre>' if error else ""
    body = (f'<form class="panel editor" method="get" action="/sparql"><textarea name="query" rows="14" '
            f'spellcheck="false">{esc(query)}</textarea><input type="hidden" name="format" value="html">'
            f'<div class="actions"><button type="submit">Run</button>'
            f'<a href="/sparql?{esc(urlencode({"query": query, "format": "csv"}))}" download="results.csv">CSV</a>'
            f'<a href="/sparql?{esc(urlencode({"query": query, "format": "json"}))}">JSON</a></div></form>'
            f'{err}{status}<div class="results-wrap">{table_html or ""}</div>')
    return layout("SPARQL results", body, active="endpoint", version=version)


# -- Linked Data ---------------------------------------------------------------------------

def _group_props(rows, labels, base):
    """[(property IRI, [objects])] in a stable, readable order (type first, labels next)."""
    by: dict[str, list] = {}
    for p, o in rows:
        by.setdefault(p, [])
        if o not in by[p]:
            by[p].append(o)
    first = [RDF_TYPE, PREFIXES["rdfs"] + "label", PREFIXES["skos"] + "prefLabel",
             PREFIXES["dcterms"] + "title", PREFIXES["skos"] + "altLabel"]

    def key(p):
        return (first.index(p) if p in first else len(first), (labels.get(p) or short(p, base)).lower())

    return [(p, sorted(by[p], key=_term_sort_key)) for p in sorted(by, key=key)]


def _term_sort_key(t):
    if isinstance(t, Literal):
        try:
            return (0, float(t.value), "") if _is_number(t) else (1, 0.0, t.value.lower())
        except ValueError:
            return (1, 0.0, t.value.lower())
    return (2, 0.0, getattr(t, "value", str(t)))


def _article(iri: str, base: str | None, labels: dict | None) -> str:
    """"a" or "an" before the name of a type (an organization, a model)."""
    name = (labels or {}).get(iri) or short(iri, base).split(":")[-1]
    return "an" if re.match(r"[aeiouAEIOU]", name or "") else "a"


def entity_page(facts: dict, job: dict) -> str:
    base = job.get("base")
    iri = facts["iri"]
    labels = facts["labels"]
    title = labels.get(iri) or short(iri, base)
    types = sorted({o.value for g, p, o in facts["out"] if p.value == RDF_TYPE and isinstance(o, NamedNode)})
    by_graph: dict[str | None, list] = {}
    for g, p, o in facts["out"]:
        by_graph.setdefault(g.value if g is not None else None, []).append((p.value, o))

    resolved = {(p, o) for p, o in by_graph.get(None, [])}

    def graph_title(g):
        if g is None:
            return ("The graph states <span class=muted>(the default graph: each value once, "
                    "curated resolutions in place of what they supersede)</span>")
        info = facts["graphs"].get(g, {})
        out = iri_html(g, base)
        if info.get("source"):
            src_label = info.get("title") or labels.get(info["source"]) or short(info["source"], base)
            out += f' <span class="muted">from</span> {iri_html(info["source"], base, {info["source"]: src_label})}'
        if info.get("license"):
            out += f' <span class="muted">license</span> {iri_html(info["license"], base, labels)}'
        return out

    order = sorted(by_graph, key=lambda g: (g is not None, g != GRAPH + "curated", g or ""))
    sections = []
    for g in order:
        rows = []
        for p, objs in _group_props(by_graph[g], labels, base):
            vals = "".join(
                f"<li>{term_html(o, base, labels)}</li>" if g is None or (p, o) in resolved else
                f'<li class="superseded" title="superseded by a curated resolution (not in the default graph)">'
                f'<del>{term_html(o, base, labels)}</del> <span class="muted">superseded</span></li>'
                for o in objs)
            rows.append(f'<tr><th>{iri_html(p, base, labels)}</th><td><ul class="vals">{vals}</ul></td></tr>')
        sections.append(f'<section class="graph"><h2>{graph_title(g)}</h2>'
                        f'<table class="facts"><tbody>{"".join(rows)}</tbody></table></section>')
    incoming = ""
    if facts["in"]:
        rows = "".join(f"<tr><td>{term_html(x, base, labels)}</td><td>{iri_html(p.value, base, labels)}</td>"
                       f'<td class="muted">{iri_html(g.value, base) if g is not None else "default graph"}</td></tr>'
                       for g, x, p in facts["in"])
        incoming = (f'<section class="incoming"><h2>Incoming links <span class="muted">({len(facts["in"])})</span></h2>'
                    f'<table class="facts"><thead><tr><th>from</th><th>property</th><th>graph</th></tr></thead>'
                    f"<tbody>{rows}</tbody></table></section>")
    note = ""
    if facts.get("truncated_out") or facts.get("truncated_in"):
        note = truncation_note(job.get("max_rows") or 0, job.get("max_rows"))
    path = local_href(iri, base) or ""
    fmts = " · ".join(f'<a href="{esc(path)}?format={f}" rel="alternate">{label}</a>'
                      for f, label in (("turtle", "Turtle"), ("jsonld", "JSON-LD"), ("ntriples", "N-Triples"),
                                       ("rdfxml", "RDF/XML")))
    type_html = ", ".join(iri_html(t, base, labels) for t in types)
    body = (f'<article class="entity"><h1>{esc(title)}</h1>'
            f'<p class="iri"><code>{esc(iri)}</code></p>'
            f'<p class="meta">{(_article(types[0], base, labels) + " " + type_html + " · ") if types else ""}{fmts}</p>'
            f'{note}{"".join(sections)}{incoming}</article>')
    alt = "".join(f'<link rel="alternate" type="{t}" href="{esc(path)}?format={f}">'
                  for f, t in (("turtle", "text/turtle"), ("jsonld", "application/ld+json")))
    return layout(title, body, version=job.get("version"), head_extra=alt)


def ontology_page(subjects: dict, labels: dict, job: dict) -> str:
    base = job.get("base")
    owl = PREFIXES["owl"]
    rdfs = PREFIXES["rdfs"]
    groups = [("Classes", {owl + "Class", rdfs + "Class"}),
              ("Object properties", {owl + "ObjectProperty"}),
              ("Datatype properties", {owl + "DatatypeProperty"}),
              ("Annotation properties", {owl + "AnnotationProperty"}),
              ("Other properties", {PREFIXES["rdf"] + "Property"})]
    placed: set[str] = set()
    sections = []
    onto_head = ""
    for s, props in subjects.items():
        if any(isinstance(o, NamedNode) and o.value == owl + "Ontology" for o in props.get(RDF_TYPE, [])):
            placed.add(s)
            desc = "".join(f"<p>{esc(o.value)}</p>" for k in (rdfs + "comment", PREFIXES["dcterms"] + "description")
                           for o in props.get(k, []) if isinstance(o, Literal))
            onto_head = f'<p class="iri"><code>{esc(s)}</code></p>{desc}'

    def item(s, props):
        local = s[len(LLMKG):] if s.startswith(LLMKG) else None
        anchor = f' id="{esc(local)}"' if local else ""
        rows = []
        for p, objs in sorted(props.items(), key=lambda kv: (kv[0] != RDF_TYPE, labels.get(kv[0]) or short(kv[0], base))):
            vals = ", ".join(term_html(o, base, labels) for o in sorted(objs, key=_term_sort_key))
            rows.append(f"<tr><th>{iri_html(p, base, labels)}</th><td>{vals}</td></tr>")
        return (f'<section class="term"{anchor}><h3>{esc(labels.get(s) or short(s, base))} '
                f'<code class="muted">{esc(short(s, base))}</code></h3>'
                f'<table class="facts"><tbody>{"".join(rows)}</tbody></table></section>')

    for title, kinds in groups:
        members = sorted((s for s, props in subjects.items() if s not in placed and any(
            isinstance(o, NamedNode) and o.value in kinds for o in props.get(RDF_TYPE, []))),
            key=lambda s: (labels.get(s) or s).lower())
        if not members:
            continue
        placed.update(members)
        sections.append(f'<h2>{esc(title)} <span class="muted">({len(members)})</span></h2>'
                        + "".join(item(s, subjects[s]) for s in members))
    rest = sorted((s for s in subjects if s not in placed), key=lambda s: (labels.get(s) or s).lower())
    if rest:
        sections.append(f'<h2>Individuals and other terms <span class="muted">({len(rest)})</span></h2>'
                        + "".join(item(s, subjects[s]) for s in rest))
    fmts = " · ".join(f'<a href="/ontology?format={f}">{label}</a>' for f, label in
                      (("turtle", "Turtle"), ("jsonld", "JSON-LD"), ("ntriples", "N-Triples"), ("rdfxml", "RDF/XML")))
    body = (f'<article class="ontology"><h1>The llmkg ontology</h1>{onto_head}<p class="meta">{fmts}</p>'
            + ("".join(sections) or '<p class="muted">The store has no ontology graph.</p>') + "</article>")
    return layout("Ontology", body, active="ontology", version=job.get("version"))

