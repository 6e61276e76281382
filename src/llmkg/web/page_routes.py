"""The app's other routes (a mixin of :class:`.app.App`): the start page, static files,
``/health``, the canned queries (``/queries/NAME`` and its formats), the entity pages and
the ontology (Linked Data, negotiated)."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from urllib.parse import quote

from .. import query as Q
from ..errors import QueryError
from ..vocab import CURATED_GRAPH, ONTOLOGY_GRAPH, PREFIXES, shorten
from ..query.formats import GRAPH_FORMATS, WEB_RESULT_FORMATS
from . import negotiate as N
from . import pages
from . import netguard
from ..query.scan import scan
from .http import (STATIC_TYPES, HTTPError, Request, Response, _etag_matches)


class PageRoutes:

    # -- pages ----------------------------------------------------------------------------

    def index(self, req: Request) -> Response:
        try:
            v = self.current()
            vid = v.id
        except HTTPError:
            v = vid = None
        page = pages.index_page(self.registry(), base=self.cfg.base, version=vid,
                                max_rows=self.cfg.max_rows, timeout=self.cfg.timeout,
                                holdings=self._holdings(v) if v is not None else None)
        return Response(200, page.encode("utf-8"), "text/html; charset=utf-8", [("Cache-Control", "no-cache")])

    def _holdings(self, v) -> dict:
        """What the store holds, for the start page: the build's counts and the sources with
        their licenses (kept per store version)."""
        cached = getattr(self, "_holdings_of", None)
        if cached is not None and cached[0] == v.id:
            return cached[1]
        from .jobs import open_db

        q = ("SELECT ?g ?title ?lic WHERE { GRAPH <" + CURATED_GRAPH + "> { ?g a <" + PREFIXES["llmkg"]
             + "SourceGraph> OPTIONAL { ?g <" + PREFIXES["prov"] + "wasDerivedFrom> ?src . OPTIONAL { ?src <"
             + PREFIXES["dcterms"] + "title> ?title } } OPTIONAL { ?g <" + PREFIXES["dcterms"] + "license> ?lic } } }"
             " ORDER BY ?g")
        sources = []
        for row in open_db(str(v.db)).query(q):
            sources.append({"graph": row["g"].value, "title": row["title"].value if row["title"] else None,
                            "license": row["lic"].value if row["lic"] else None})
        # the ontology's classes and properties, for the editor's completion
        terms = []
        tq = ("SELECT ?t ?kind (SAMPLE(?l) AS ?label) WHERE { GRAPH <" + ONTOLOGY_GRAPH + "> { ?t a ?type "
              "VALUES (?type ?kind) { (<" + PREFIXES["owl"] + "Class> 'class') (<" + PREFIXES["owl"] + "ObjectProperty> "
              "'property') (<" + PREFIXES["owl"] + "DatatypeProperty> 'property') } OPTIONAL { ?t <" + PREFIXES["rdfs"]
              + "label> ?l } } FILTER(isIRI(?t)) } GROUP BY ?t ?kind ORDER BY ?t")
        for row in open_db(str(v.db)).query(tq):
            name = shorten(row["t"].value)
            if not name.startswith("<"):
                terms.append({"name": name, "kind": row["kind"].value,
                              "label": row["label"].value if row["label"] else ""})
        held = {"counts": dict(v.meta.get("counts") or {}), "sources": sources, "terms": terms}
        self._holdings_of = (v.id, held)
        return held

    def static(self, req: Request, name: str) -> Response:
        if not re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*", name):
            raise HTTPError(404, "no such file")
        p = pages.STATIC / name
        if not p.is_file():
            raise HTTPError(404, "no such file")
        data = p.read_bytes()
        etag = '"' + pages.hashlib.sha256(data).hexdigest()[:20] + '"'
        if _etag_matches(req.headers.get("if-none-match"), etag):
            return Response(304, b"", None, [("ETag", etag)])
        cc = "public, max-age=31536000, immutable" if req.param("v") == pages.ASSET_VERSION else "no-cache"
        return Response(200, data, STATIC_TYPES.get(p.suffix, "application/octet-stream"),
                        [("ETag", etag), ("Cache-Control", cc)])

    def search(self, req: Request) -> Response:
        """``GET /search?q=gpt 3[&limit=20]``: models, papers, organizations, reading lists
        and concepts by label or alias, ranked (exact, prefix, words; query.search), as
        JSON, each hit with the path of its page."""
        from ..query.search import MAX_HITS, SearchIndex

        q = (req.param("q") or "").strip()
        try:
            limit = int(req.param("limit") or 20)
        except ValueError:
            raise HTTPError(400, "limit must be a whole number") from None
        if not 1 <= limit <= MAX_HITS:
            raise HTTPError(400, f"limit must be between 1 and {MAX_HITS}")
        if len(q) > 200:
            raise HTTPError(400, "the search text is longer than 200 characters")
        fmt = req.param("format") or N.choose(req.headers.get("accept"), [("application/json", "json"),
                                                                          ("text/html", "html")])
        if fmt not in ("json", "html"):
            raise HTTPError(406, "/search answers application/json or text/html")
        v = self.current()
        key = Q.cache_key(v.id, "search", None, q=q, limit=limit, fmt=fmt)
        etag, known = self._known_answer(req, key, v)
        if known is not None:
            return known
        index = self._search_index
        if index is None or index[0] != v.id:
            from .jobs import open_db

            index = self._search_index = (v.id, SearchIndex.from_store(open_db(str(v.db))))
        hits = [dict(h.as_json(), href=pages.local_href(h.iri, self.cfg.base)) for h in index[1].search(q, limit)]
        if fmt == "html":
            resp = Response(200, pages.search_page(q, hits, v.id).encode("utf-8"), "text/html; charset=utf-8",
                            self._common_headers(v, etag) + [("Vary", "Accept")])
        else:
            body = json.dumps({"q": q, "hits": hits}, ensure_ascii=False, indent=1).encode("utf-8")
            resp = Response(200, body, "application/json", self._common_headers(v, etag) + [("Vary", "Accept")])
        self.cache.put(key, resp)
        return resp

    def jsonld_context(self, req: Request) -> Response:
        """The JSON-LD context the jsonld export names (``https://w3id.org/llmkg/context.jsonld``
        resolves to this path of a server that serves the graph)."""
        from ..export import CONTEXT_FILE

        data = CONTEXT_FILE.read_bytes()
        etag = '"' + pages.hashlib.sha256(data).hexdigest()[:20] + '"'
        if _etag_matches(req.headers.get("if-none-match"), etag):
            return Response(304, b"", None, [("ETag", etag)])
        # JSON-LD processors fetch contexts from other origins (JSON-LD 1.1 API, 9.4.1)
        return Response(200, data, "application/ld+json", [("ETag", etag), ("Cache-Control", "public, max-age=3600"),
                                                           ("Access-Control-Allow-Origin", "*")])

    def health(self, req: Request) -> Response:
        status = 200
        try:
            v = self.current()   # first: a swap seen by another worker is counted here too
            head = {"status": "ok", "store_version": v.id, "triples": v.meta.get("counts", {}).get("triples"),
                    "quads_in_named_graphs": v.meta.get("quads"),
                    "built": v.meta.get("built_at")}
            if self._version_error:
                head["warning"] = self._version_error
        except HTTPError as exc:
            status = 503
            head = {"status": "unavailable", "error": exc.message}
        workers = self.stats.summary() if self.stats is not None else {"workers": 1, "pids": [os.getpid()]}
        workers.update({"this_pid": os.getpid(), "this_jobs": self.runner.jobs})
        doc = {**head, "uptime_s": round(time.time() - self.started, 1),
               "updates_enabled": self.cfg.updates_enabled, "load_allowed": self.cfg.allow_load,
               "network_barrier": netguard.installed, "workers": workers,
               "cache": self.cache.stats(), "swaps": self.swaps, "canned_queries": len(self.registry())}
        if self._registry_error:
            doc["queries_error"] = self._registry_error
        return Response(status, json.dumps(doc, indent=1).encode(), "application/json",
                        [("Cache-Control", "no-store")])

    def queries_list(self, req: Request, fmt: str) -> Response:
        reg = self.registry()
        try:
            vid = self.current().id
        except HTTPError:
            vid = None
        if fmt == "json":
            doc = {"queries": [dict(pages.canned_meta(q), url=f"/queries/{q.name}") for q in reg.values()]}
            return Response(200, json.dumps(doc, indent=1, ensure_ascii=False).encode("utf-8"),
                            "application/json", [("Cache-Control", "no-cache")])
        return Response(200, pages.queries_page(reg, vid).encode("utf-8"), "text/html; charset=utf-8",
                        [("Cache-Control", "no-cache")])

    async def canned(self, req: Request, name: str, ext: str | None) -> Response:
        reg = self.registry()
        q = reg.get(name)
        if q is None:
            raise HTTPError(404, f"no canned query {name!r} (see /queries)")
        if ext == "rq":
            return Response(200, q.text.encode("utf-8"), "application/sparql-query; charset=utf-8",
                            [("Cache-Control", "no-cache")])
        v = self.current()
        raw: dict[str, str] = {}
        for k, val in req.params:
            if k in ("format", "_"):
                continue
            raw[k] = val
        is_graph = q.form in ("CONSTRUCT", "DESCRIBE")
        ext_fmt = {"json": "jsonld" if is_graph else "json", "csv": "csv", "tsv": "tsv", "xml": "xml",
                   "html": "html", "ttl": "turtle", "nt": "ntriples", "jsonld": "jsonld"}
        if ext:
            fmt = ext_fmt[ext]
        elif req.param("format"):
            fmt = N.format_param(req.param("format"))
        else:
            fmt = N.choose(req.headers.get("accept"), [("text/html", "html"), ("application/xhtml+xml", "html")]
                           + N.offers_for(q.form))
        allowed = (GRAPH_FORMATS if is_graph else WEB_RESULT_FORMATS) + ("html",)
        if fmt not in allowed:
            raise HTTPError(406 if not ext else 404, f"the canned query {name!r} has no {fmt or 'such'} format; "
                                                     f"use one of {', '.join(allowed)}")
        try:
            subs = Q.bind(q, raw)
            bind_error = None
        except QueryError as exc:
            if fmt != "html":
                raise HTTPError(400, str(exc)) from None
            subs, bind_error = None, str(exc)
        if bind_error is not None:
            page = pages.canned_page(q, raw, table_html=None, result_json=None, meta=None,
                                     error=bind_error if raw else None, version=v.id, max_rows=self.cfg.max_rows)
            return Response(400 if raw else 200, page.encode("utf-8"), "text/html; charset=utf-8",
                            [("Cache-Control", "no-cache")])
        volatile = scan(q.text).volatile
        key = Q.cache_key(v.id, q.text, subs, fmt=fmt, max_rows=self.cfg.max_rows, kind="canned",
                          name=name, title=q.title, description=q.description)
        etag = f'W/"{key[:32]}"'
        if not volatile:
            nm = self._not_modified(req, etag, v, None if ext else "Accept")
            if nm:
                return nm
            hit = self.cache.get(key)
            if hit is not None:
                return hit
        formats = ["html", "json"] if fmt == "html" else [fmt]
        if fmt == "html" and is_graph:
            formats = ["html"]
        job = {"kind": "canned", "db": str(v.db), "query": q, "params": raw, "formats": formats,
               "max_rows": self.cfg.max_rows, "base": self.cfg.base}
        try:
            val = await self.run_job(job)
        except HTTPError as exc:
            if fmt != "html":
                raise
            page = pages.canned_page(q, raw, table_html=None, result_json=None, meta=None, error=exc.message,
                                     version=v.id, max_rows=self.cfg.max_rows)
            return Response(exc.status, page.encode("utf-8"), "text/html; charset=utf-8", [("Cache-Control", "no-store")])
        if fmt == "html":
            table = val["bodies"]["html"][0].decode("utf-8")
            rj = val["bodies"].get("json", (None,))[0]
            body = pages.canned_page(q, raw, table_html=table, result_json=rj, meta=val, error=None,
                                     version=v.id, max_rows=self.cfg.max_rows).encode("utf-8")
            ctype = "text/html; charset=utf-8"
        else:
            body, ctype = val["bodies"][fmt]
        headers = self._common_headers(v, etag, volatile) + self._row_headers(val)
        if not ext:
            headers.append(("Vary", "Accept"))
        if fmt in ("csv", "tsv"):
            headers.append(("Content-Disposition", f'inline; filename="{name}.{fmt}"'))
        resp = Response(200, body, ctype, headers)
        if not volatile:
            self.cache.put(key, resp)
        return resp

    # -- Linked Data ----------------------------------------------------------------------

    def _ld_format(self, req: Request) -> str:
        fparam = req.param("format")
        fmt = N.format_param(fparam) if fparam else N.choose(req.headers.get("accept"), N.LD_OFFERS)
        if fmt not in ("turtle", "html", "jsonld", "ntriples", "rdfxml"):
            raise HTTPError(406, "available as text/html, text/turtle, application/ld+json, "
                                 "application/n-triples or application/rdf+xml")
        return fmt

    def _graph_page(self, req: Request, iri: str, v, fmt: str) -> Response | None:
        """A named graph that no statement describes (graph:curated, graph:resolutions):
        a page about it, in HTML; graph:ontology is the ontology's page."""
        from pyoxigraph import NamedNode

        from ..vocab import ONTOLOGY_GRAPH
        from .jobs import open_db

        if iri == ONTOLOGY_GRAPH:
            return Response(303, b"", None, [("Location", "/ontology"), ("Vary", "Accept")])
        if fmt != "html" or not open_db(str(v.db)).contains_named_graph(NamedNode(iri)):
            return None
        return Response(200, pages.graph_page(iri, self.cfg.base, v.id).encode("utf-8"),
                        "text/html; charset=utf-8", self._common_headers(v, None) + [("Vary", "Accept")])

    async def resource(self, req: Request, iri: str) -> Response:
        from pyoxigraph import NamedNode

        try:
            NamedNode(iri)
        except ValueError:
            raise HTTPError(400, f"not a valid IRI: {iri}") from None
        if any(c in iri for c in ' <>"{}|^`\\'):
            raise HTTPError(400, f"not a valid IRI: {iri}")
        v = self.current()
        fmt = self._ld_format(req)
        key = Q.cache_key(v.id, iri, None, fmt=fmt, kind="entity", max_rows=self.cfg.max_rows)
        etag, known = self._known_answer(req, key, v)
        if known is not None:
            return known
        val = await self.run_job({"kind": "entity", "db": str(v.db), "iri": iri, "fmt": fmt,
                                  "max_rows": self.cfg.max_rows, "base": self.cfg.base, "version": v.id})
        if not val.get("found"):
            graph_page = self._graph_page(req, iri, v, fmt)
            if graph_page is not None:
                return graph_page
            raise HTTPError(404, f"the graph (version {v.id}) says nothing about <{iri}>",
                            [("Vary", "Accept"), ("X-LLMKG-Store-Version", v.id)])
        headers = self._common_headers(v, etag) + [("Vary", "Accept")]
        if fmt != "html":
            page = pages.local_href(iri, self.cfg.base)
            if page:
                headers.append(("Link", f'<{quote(page, safe="/:%#")}>; rel="alternate"; type="text/html"'))
        if val.get("truncated"):
            headers.append(("X-LLMKG-Truncated", "true"))
        resp = Response(200, val["body"], val["ctype"], headers)
        self.cache.put(key, resp)
        return resp

    async def ontology(self, req: Request) -> Response:
        v = self.current()
        fmt = self._ld_format(req)
        key = Q.cache_key(v.id, "ontology", None, fmt=fmt, kind="ontology")
        etag, known = self._known_answer(req, key, v)
        if known is not None:
            return known
        of = self.cfg.ontology_file
        val = await self.run_job({"kind": "ontology", "db": str(v.db), "fmt": fmt, "base": self.cfg.base,
                                  "version": v.id, "ontology_file": str(of) if of and Path(of).is_file() else None})
        resp = Response(200, val["body"], val["ctype"], self._common_headers(v, etag) + [("Vary", "Accept")])
        self.cache.put(key, resp)
        return resp
