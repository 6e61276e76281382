"""The SPARQL 1.1 protocol of the app (a mixin of :class:`.app.App`): query and update
requests, negotiation, the cached answers and their headers, the service description and
the endpoint's page."""

from __future__ import annotations

import hashlib
import hmac
import json
import re

from .. import query as Q
from ..query.formats import FOR_GRAPH, FOR_RESULTS, GRAPH_FORMATS, WEB_RESULT_FORMATS
from ..graph.store import Version
from ..vocab import GRAPH, PREFIXES
from . import negotiate as N
from . import pages
from ..query.scan import add_using, scan, strip_services
from .http import (FORMATS_NS, SD, HTTPError, Request, Response, _etag_matches, media_type_of, parse_params)


class SparqlEndpoint:

    # -- the SPARQL protocol ----------------------------------------------------------------

    def endpoint_urls(self, req: Request) -> set[str]:
        urls = {req.origin + "/sparql"}
        if self.cfg.public_url:
            urls.add(self.cfg.public_url.rstrip("/") + "/sparql")
            urls.add(self.cfg.public_url)
        return urls

    def endpoint_url(self, req: Request) -> str:
        if self.cfg.public_url:
            u = self.cfg.public_url.rstrip("/")
            return u if u.endswith("/sparql") else u + "/sparql"
        return req.origin + "/sparql"

    async def sparql(self, req: Request) -> Response:
        if req.method not in ("GET", "HEAD", "POST"):
            raise HTTPError(405, f"the SPARQL protocol uses GET or POST, not {req.method}",
                            [("Allow", "GET, HEAD, POST, OPTIONS")])
        # The fast path: the same request bytes for the same store version have the same
        # answer, found without parsing anything (hits cost a dict lookup).
        hdr = req.headers
        if req.method == "POST":
            ctype = hdr.get("content-type")
            if not ctype:
                raise HTTPError(400, "a POST needs a Content-Type: application/x-www-form-urlencoded, "
                                     "application/sparql-query or application/sparql-update")
            body = await req.body(self.cfg.max_request_bytes)
            fast = ("POST", ctype, body, req.query_string, hdr.get("accept"), hdr.get("host"))
        else:
            body = b""
            fast = ("GET", req.query_string, hdr.get("accept"), hdr.get("host"))
        v = self.current()
        hit = self.cache.get((v.id, fast))
        if hit is not None:
            return self._revalidate(req, hit) or hit
        params = list(req.params)
        direct_query = direct_update = None
        if req.method == "POST":
            mt, ctparams = media_type_of(ctype)
            if mt == "application/x-www-form-urlencoded":
                params += parse_params(body)
            elif mt in ("application/sparql-query", "application/sparql-update"):
                cs = ctparams.get("charset")
                if cs and cs.replace("_", "-") not in ("utf-8", "utf8", "us-ascii", "ascii"):
                    raise HTTPError(415, f"the body must be UTF-8, not {cs}")
                try:
                    text = body.decode("utf-8")
                except UnicodeDecodeError:
                    raise HTTPError(400, "the body is not valid UTF-8") from None
                if mt == "application/sparql-query":
                    direct_query = text
                else:
                    direct_update = text
            else:
                raise HTTPError(415, f"unsupported Content-Type {mt!r}: use application/x-www-form-urlencoded, "
                                     "application/sparql-query or application/sparql-update")
        qs = [v for k, v in params if k == "query"] + ([direct_query] if direct_query is not None else [])
        us = [v for k, v in params if k == "update"] + ([direct_update] if direct_update is not None else [])
        if len(qs) > 1:
            raise HTTPError(400, "more than one query in the request (one 'query' parameter or body, please)")
        if len(us) > 1:
            raise HTTPError(400, "more than one update in the request")
        if qs and us:
            raise HTTPError(400, "a request is either a query or an update, not both")
        if us:
            if req.method != "POST":
                raise HTTPError(400, "an update must be sent by POST (form-encoded 'update=' or "
                                     "application/sparql-update), never by GET")
            return await self.update(req, us[0], params)
        if not qs:
            if req.method == "POST":
                raise HTTPError(400, "no query in the request ('query' parameter or an "
                                     "application/sparql-query body)")
            return await self.service_description(req)
        return await self.query(req, qs[0], params, fast=(v.id, fast), v=v)

    def _revalidate(self, req: Request, resp: Response) -> Response | None:
        inm = req.headers.get("if-none-match")
        if not inm or req.method not in ("GET", "HEAD"):
            return None
        for k, val in resp.headers:
            if k == "ETag" and _etag_matches(inm, val):
                return Response(304, b"", None, [h for h in resp.headers if h[0] in
                                                 ("ETag", "Cache-Control", "Vary", "X-LLMKG-Store-Version")])
        return None

    def _check_services(self, req: Request, sc, text: str) -> None:
        if sc.hidden:
            at, tok = sc.hidden[0]
            line = text.count("\n", 0, at) + 1
            col = at - (text.rfind("\n", 0, at) + 1) + 1
            raise HTTPError(403, f"SERVICE is refused: line {line}, column {col}: {tok[:60]!r} may be read "
                                 f"as a SERVICE keyword; this endpoint does not call other endpoints "
                                 f"(separate the keyword from its neighbours if you meant one)")
        selfs = self.endpoint_urls(req)
        for target in sc.services:
            if target not in selfs:
                what = f"<{target}>" if target else "a variable or unreadable IRI"
                raise HTTPError(403, f"SERVICE {what} is refused: this endpoint does not call other "
                                     f"endpoints (only SERVICE <{self.endpoint_url(req)}>, itself)")

    async def query(self, req: Request, text: str, params: list[tuple[str, str]], fast=None,
                    v: Version | None = None) -> Response:
        v = v or self.current()
        sc = scan(text)
        if sc.is_update:
            raise HTTPError(400, "this is a SPARQL Update, not a query: send it by POST as "
                                 "'update=' or with Content-Type application/sparql-update")
        self._check_services(req, sc, text)
        if sc.services:
            text = strip_services(text, sc.service_spans)
        fparam = ([v for k, v in params if k == "format"] or [None])[-1]
        form = sc.form
        fmt = self._negotiate(req.headers.get("accept"), form, fparam)
        dg = [v_ for k, v_ in params if k == "default-graph-uri"]
        ng = [v_ for k, v_ in params if k == "named-graph-uri"]
        endpoint = self.endpoint_url(req)
        key = self._sparql_key(v.id, text, fmt, dg, ng, endpoint)
        if sc.volatile:
            etag = f'W/"{key[:32]}"'
        else:
            etag, known = self._known_answer(req, key, v)
            if known is not None:
                return known
        # The dataset: the protocol's default-graph-uri / named-graph-uri (either one: the
        # other is empty) win over the query's FROM / FROM NAMED, which win over the union
        # of all graphs (llmkg.query.local applies the last two rules).
        given = bool(dg or ng)
        job = {"kind": "query", "db": self._db_path(v), "sparql": text, "formats": [fmt],
               "default_graph": dg if given else None, "named_graphs": ng if given else None,
               "base_iri": endpoint,
               "form": form, "max_rows": self.cfg.max_rows,
               "base": self.cfg.base}
        try:
            val = await self.run_job(job)
        except HTTPError as exc:
            if fmt == "html" and exc.status == 400:
                page = pages.sparql_html_page(text, None, None, exc.message, v.id)
                return Response(400, page.encode(), "text/html; charset=utf-8", [("Cache-Control", "no-store")])
            raise
        body, ctype = val["bodies"][fmt]
        if fmt == "html":
            body = pages.sparql_html_page(text, body.decode("utf-8"), val, None, v.id).encode("utf-8")
        resp = Response(200, body, ctype, self._query_headers(v, etag, sc.volatile, val))
        if not sc.volatile:
            self.cache.put(key, resp)
            if fast is not None and fast[0] == v.id:
                self.cache.put(fast, resp)
        return resp

    def _negotiate(self, accept: str | bytes | None, form: str | None, fparam: str | None) -> str:
        """The format of a protocol query's answer: ``format=``, else ``Accept`` (a header's
        value, or its bytes as sent)."""
        is_graph = form in ("CONSTRUCT", "DESCRIBE")
        fmt = N.format_param(fparam) if fparam else None
        if fmt is not None and fmt not in (GRAPH_FORMATS if is_graph else WEB_RESULT_FORMATS) + ("html",):
            fmt = (FOR_GRAPH if is_graph else FOR_RESULTS).get(fmt)
        if fmt is None:   # no format= (or one that does not fit, as SPARQLWrapper may send): Accept
            fmt = self._negotiated.get((accept, form), False)
            if fmt is False:
                text = accept.decode("latin-1") if isinstance(accept, bytes) else accept
                html_ok = text is not None and "text/html" in text
                fmt = N.choose(text, N.offers_for(form, html=html_ok))
                if fmt is None:
                    # Nothing acceptable: send the closest format rather than a 406 (RFC 9110
                    # allows either). Clients such as roqet ask for SPARQL XML results whatever
                    # the query form, and read RDF/XML for a CONSTRUCT.
                    xml = "xml" in (text or "")
                    fmt = ("rdfxml" if xml else "turtle") if is_graph else ("xml" if xml else "json")
                if len(self._negotiated) < 512:
                    self._negotiated[(accept, form)] = fmt
        return fmt

    def _sparql_key(self, vid: str, text: str, fmt: str, dg, ng, endpoint: str) -> str:
        """The meaning of a protocol query's answer (its ETag and cache key): store version,
        format, dataset, base IRI, row cap and text."""
        parts = "\0".join((vid, fmt, endpoint, self._max_rows_text, repr(list(dg)) if dg else "[]",
                           repr(list(ng)) if ng else "[]", text))
        return hashlib.sha256(parts.encode("utf-8", "surrogatepass")).hexdigest()

    def _query_headers(self, v: Version, etag: str, volatile: bool, val: dict) -> list[tuple[str, str]]:
        headers = self._common_headers(v, etag, volatile)
        headers.append(("Vary", "Accept"))
        headers += self._row_headers(val)
        return headers

    def _row_headers(self, val: dict) -> list[tuple[str, str]]:
        h = [("X-LLMKG-Rows", str(val.get("rows", 0))), ("X-LLMKG-Max-Rows", self._max_rows_text),
             ("X-LLMKG-Elapsed-Ms", "%.1f" % (val.get("elapsed", 0) * 1000))]
        if val.get("truncated"):
            h.append(("X-LLMKG-Truncated", "true"))
        return h

    async def update(self, req: Request, text: str, params: list[tuple[str, str]]) -> Response:
        if not self.cfg.updates_enabled:
            raise HTTPError(403, "this endpoint is read-only: SPARQL Update is refused (the operator "
                                 "can enable it with --allow-updates-with-token)")
        auth = req.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HTTPError(401, "an update needs 'Authorization: Bearer <token>'",
                            [("WWW-Authenticate", 'Bearer realm="llmkg"')])
        if not hmac.compare_digest(token.strip().encode(), self.cfg.update_token.encode()):
            raise HTTPError(403, "wrong update token",
                            [("WWW-Authenticate", 'Bearer realm="llmkg", error="invalid_token"')])
        sc = scan(text)
        self._check_services(req, sc, text)
        if sc.loads and not self.cfg.allow_load:
            raise HTTPError(403, "LOAD is refused: this endpoint does not fetch from the network (the "
                                 "operator can enable it with --allow-load)")
        if sc.services:
            text = strip_services(text, sc.service_spans)
        using = [v for k, v in params if k == "using-graph-uri"]
        using_named = [v for k, v in params if k == "using-named-graph-uri"]
        if (using or using_named) and sc.has_using:
            raise HTTPError(400, "using-graph-uri/using-named-graph-uri conflict with the update's own "
                                 "USING or WITH clause")
        for g in using + using_named:
            if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:[^<>\"{}|^`\\\s]*$", g):
                raise HTTPError(400, f"not an IRI: {g!r}")
        text = add_using(text, sc.where_positions, using, using_named)
        self.current()
        val = await self.run_job({"kind": "update", "store_dir": str(self.cfg.store), "update": text,
                                  "base": self.endpoint_url(req), "update_lock": self.update_lock_file},
                                 timeout=max(self.cfg.timeout, 120.0))
        v = self.current()
        body = json.dumps({"status": "updated", "store_version": v.id, **val}, indent=1).encode()
        return Response(200, body, "application/json", [("Cache-Control", "no-store")])

    async def info(self, v: Version) -> dict:
        if v.id not in self._info:
            self._info = {v.id: await self.run_job({"kind": "info", "db": str(v.db)})}
        return self._info[v.id]

    async def service_description(self, req: Request) -> Response:
        from pyoxigraph import BlankNode, Literal, NamedNode, Triple

        v = self.current()
        fparam = req.param("format")
        fmt = N.format_param(fparam) if fparam else N.choose(req.headers.get("accept"), N.LD_OFFERS)
        if fmt is None or fmt not in ("turtle", "ntriples", "jsonld", "rdfxml", "html"):
            raise HTTPError(406, "the service description is available as Turtle, N-Triples, JSON-LD, "
                                 "RDF/XML or HTML")
        endpoint = self.endpoint_url(req)
        info = await self.info(v)
        sd = lambda x: NamedNode(SD + x)  # noqa: E731
        rdf_type = NamedNode(PREFIXES["rdf"] + "type")
        svc, ds, dg = BlankNode("service"), BlankNode("dataset"), BlankNode("defaultGraph")
        t = [Triple(svc, rdf_type, sd("Service")),
             Triple(svc, sd("endpoint"), NamedNode(endpoint)),
             Triple(svc, sd("supportedLanguage"), sd("SPARQL11Query")),
             Triple(svc, sd("defaultEntailmentRegime"), NamedNode("http://www.w3.org/ns/entailment/Simple")),
             Triple(svc, NamedNode(PREFIXES["dcterms"] + "title"), Literal("llmkg SPARQL endpoint")),
             Triple(svc, sd("defaultDataset"), ds),
             Triple(ds, rdf_type, sd("Dataset")),
             Triple(ds, sd("defaultGraph"), dg),
             Triple(dg, rdf_type, sd("Graph"))]
        if self.cfg.updates_enabled:
            t.append(Triple(svc, sd("supportedLanguage"), sd("SPARQL11Update")))
        for f in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                  "Turtle", "N-Triples", "JSON-LD", "RDF_XML"):
            t.append(Triple(svc, sd("resultFormat"), NamedNode(FORMATS_NS + f)))
        if v.meta.get("counts", {}).get("triples") is not None:
            t.append(Triple(dg, NamedNode("http://rdfs.org/ns/void#triples"), Literal(int(v.meta["counts"]["triples"]))))
        for i, g in enumerate(info.get("named_graphs", [])):
            b = BlankNode(f"g{i}")
            t += [Triple(ds, sd("namedGraph"), b), Triple(b, rdf_type, sd("NamedGraph")),
                  Triple(b, sd("name"), NamedNode(g))]
        result = Q.QueryResult("CONSTRUCT", triples=t)
        prefixes = {"sd": SD, "dcterms": PREFIXES["dcterms"], "void": "http://rdfs.org/ns/void#",
                    "formats": FORMATS_NS, "graph": GRAPH}
        if fmt == "html":
            ttl, _ = Q.serialize(result, "turtle", prefixes=prefixes)
            page = self._endpoint_page(req, endpoint, v, ttl.decode("utf-8"))
            return Response(200, page.encode("utf-8"), "text/html; charset=utf-8",
                            [("Vary", "Accept"), ("Cache-Control", "no-cache")])
        body, ctype = Q.serialize(result, fmt, prefixes=prefixes)
        return Response(200, body, ctype, [("Vary", "Accept"), ("Cache-Control", "no-cache"),
                                           ("X-LLMKG-Store-Version", v.id)])

    def _endpoint_page(self, req, endpoint: str, v: Version, ttl: str) -> str:
        e = pages.esc
        ex = "SELECT ?model ?name WHERE { ?model a llmkg:Model ; rdfs:label ?name } LIMIT 5"
        body = (
            "<h1>SPARQL endpoint</h1>"
            f"<p>Send SPARQL 1.1 queries to <code>{e(endpoint)}</code> (GET <code>?query=</code>, POST "
            "form-encoded, or POST <code>application/sparql-query</code>). The default graph is the union "
            "of all graphs unless the query names its dataset (<code>FROM</code>, or "
            "<code>default-graph-uri</code>/<code>named-graph-uri</code>). The prefixes of llmkg are "
            "predefined.</p>"
            f"<ul><li>Results: JSON, XML, CSV, TSV; graphs: Turtle, N-Triples, JSON-LD, RDF/XML (by "
            f"<code>Accept</code>, or <code>format=</code>).</li>"
            f"<li>At most {self.cfg.max_rows} rows per result (the header <code>X-LLMKG-Truncated</code> "
            f"says when a result was cut); queries stop after {self.cfg.timeout:g} s (503).</li>"
            f"<li>{'SPARQL Update is enabled for holders of the token.' if self.cfg.updates_enabled else 'Read-only: SPARQL Update is refused.'} "
            "<code>SERVICE</code> calls to other endpoints are refused.</li></ul>"
            f"<pre>curl -H 'Accept: text/csv' --data-urlencode 'query={e(ex)}' {e(endpoint)}</pre>"
            f'<p><a href="/">Open the query editor</a></p>'
            f"<h2>Service description</h2><pre>{e(ttl)}</pre>")
        return pages.layout("SPARQL endpoint", body, active="endpoint", version=v.id)
