"""The ASGI app of ``llmkg serve``: routes, the SPARQL 1.1 protocol, Linked Data, caching.

A plain ASGI callable (no framework): the routes are few, and a framework's request and
response objects cost more than they give here (docs/architecture-web.md has the numbers).
One instance runs in each worker process (:mod:`.server`). Every query runs there, under a
time limit that stops the process when it is overrun (:mod:`.runner`); the whole result is
computed and serialized before the first byte of the answer is sent, so a query that fails
or overruns its time limit is an error status, never a 200 with a cut-off body.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

from .. import query as Q
from ..errors import LlmkgError, StoreError
from ..graph.store import Version, current_version, open_generation
from ..vocab import GRAPH, ONTOLOGY_IRI
from . import negotiate as N
from . import pages
from .config import ServerConfig
from . import jobs
from .protocol import CONNECTIONS, STATUS_LINE
from .runner import Runner
from .http import (_BAD_NAME, _BAD_VALUE, _PER_ANSWER, _REQUEST, EXPOSE, MAX_URL, HTTPError, Request, Response, ResponseCache,
                   _etag_matches, iri_path, log)
from .page_routes import PageRoutes
from .sparql_endpoint import SparqlEndpoint
from .watchdog import Watchdog

# A ``current`` link changed other than by llmkg (which counts its swaps in the store's
# generation) is seen after at most this long.
RELINK_SECONDS = 1.0


class App(SparqlEndpoint, PageRoutes, Watchdog):
    def __init__(self, cfg: ServerConfig, slot: int = 0, stats=None, update_lock: str | None = None,
                 handoff=None):
        self.cfg = cfg
        self.slot = slot
        self.stats = stats                    # server.SharedStats (None: a lone process)
        self.update_lock_file = update_lock   # flock()ed by updates, across the workers
        self.handoff = handoff                # this worker's end of its hand-off channel
        self._handed: list = []               # connections handed over during the current job
        on_state = (lambda busy: stats.set_busy(slot, busy)) if stats is not None else None
        self.runner = Runner(on_timeout=self._on_timeout, memory_limit=cfg.worker_memory_bytes,
                             on_busy=self._on_busy if handoff is not None else None,
                             after_job=self._after_job, on_state=on_state)
        # each worker process caches what it answered: the budget is split between them
        self.cache = ResponseCache(cfg.cache_bytes // max(1, cfg.workers))
        self.started = time.time()
        self.version: Version | None = None
        self._link: str | None = None
        self._link_path = str(cfg.store / "current")
        self._generation = open_generation(cfg.store)    # see current()
        self._gen_seen: bytes | None = None
        self._search_index = None                        # (store version id, query.search.SearchIndex)
        self._relink_at = 0.0
        self._version_error: str | None = None
        self.swaps = 0
        self._registry: dict = {}
        self._registry_sig = None
        self._registry_gen = 0
        self._registry_checked = 0.0
        self._registry_error: str | None = None
        self._info: dict[str, dict] = {}
        self.on_ready = None
        self.receiver = None            # handoff.Receiver: connections other workers hand over
        base = cfg.base
        self.mounts: list[tuple[str, str]] = [("/resource/", base), ("/graph/", GRAPH)]
        for ns in (base, GRAPH):
            p = urlsplit(ns).path
            if p and p != "/" and p not in (m for m, _ in self.mounts):
                self.mounts.append((p, ns))
        self._negotiated: dict = {}     # (Accept, as str or as sent, query form) -> format
        self._store_of: Version | None = None     # the version whose database _store_db is
        self._store_db = None
        self._encoded: dict = {}        # (name, value) -> the header as bytes
        self._wire: dict = {}           # (name, value) -> b"name: value\r\n"
        self._names: dict = {}          # name -> its lower-case bytes, checked
        self._cors_lines = (b"access-control-allow-origin: *\r\n"
                            b"access-control-expose-headers: " + EXPOSE.encode() + b"\r\n")
        self._max_rows_text = str(cfg.max_rows)
        self._max_rows_bytes = self._max_rows_text.encode()
        self._default_src: list | None = None     # uvicorn's default headers (_default_lines)
        self._default_bytes = b""
        self._max_url = min(cfg.max_request_bytes, MAX_URL)
        self._public_endpoint = None
        if cfg.public_url:
            u = cfg.public_url.rstrip("/")
            self._public_endpoint = u if u.endswith("/sparql") else u + "/sparql"
        self._db_paths: dict = {}
        self.ontology_paths = {"/ontology", "/ontology/"}
        op = urlsplit(ONTOLOGY_IRI).path
        if op and op != "/":
            self.ontology_paths.add(op)

    # -- store versions (hot swap) ----------------------------------------------------------

    def current(self) -> Version:
        """The version to answer from: ``current``'s target, looked at on every request; a
        version that cannot be read leaves the previous one serving.

        The link is read again (one readlink) when the store's generation counter
        (:func:`llmkg.graph.store.open_generation`, a shared page read without a system call)
        has changed since, and at least every :data:`RELINK_SECONDS` (a link changed by
        hand); a store without the counter has its link read on every request."""
        gen = self._generation
        seen = None
        if gen is not None:
            seen = gen[:8]
            if seen == self._gen_seen and time.monotonic() < self._relink_at:
                return self.version      # (a version is set whenever _gen_seen is)
        elif time.monotonic() >= self._relink_at:      # made by a build since?
            self._generation = open_generation(self.cfg.store)
            self._relink_at = time.monotonic() + RELINK_SECONDS
        try:
            target = os.readlink(self._link_path)
        except OSError:
            target = None
        if target is not None and target != self._link:
            try:
                v = current_version(self.cfg.store)
                if not v.db.is_dir():
                    raise StoreError(f"the version {v.id} has no database")
            except LlmkgError as exc:
                self._version_error = str(exc)
                log.warning("store: %s; still serving %s", exc, self.version.id if self.version else "nothing")
                return self._serving()
            old = self.version
            self.version, self._link, self._version_error = v, target, None
            self.cache.clear()
            if old is not None:
                self.swaps += 1
                log.warning("store swapped: now serving %s (was %s)", v.id, old.id)
                # the counter's file may be another by now (a new store): seen anew next time
                self._generation, seen = open_generation(self.cfg.store), None
        if target is not None and seen is not None:
            self._gen_seen, self._relink_at = seen, time.monotonic() + RELINK_SECONDS
        return self._serving()

    def _serving(self) -> Version:
        """The version being served; 503 when there is none."""
        if self.version is None:
            raise HTTPError(503, self._version_error or
                            f"no graph has been built in {self.cfg.store} yet (run 'llmkg build')")
        return self.version

    def _db_path(self, v: Version) -> str:
        p = self._db_paths.get(v.id)
        if p is None:
            self._db_paths = {v.id: str(v.db)}
            p = self._db_paths[v.id]
        return p

    # -- canned queries -------------------------------------------------------------------

    def registry(self) -> dict:
        now = time.monotonic()
        if now - self._registry_checked < 2.0 and self._registry_sig is not None:
            return self._registry
        self._registry_checked = now
        d = self.cfg.queries
        if d is None or not Path(d).is_dir():
            self._registry, self._registry_sig = {}, ()
            return self._registry
        sig = tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in Path(d).glob("*.rq")))
        if sig != self._registry_sig:
            try:
                self._registry = Q.load_registry(d)
                self._registry_gen += 1
                self._registry_error = None
            except LlmkgError as exc:
                self._registry_error = str(exc)
                log.error("canned queries: %s (keeping the previous ones)", exc)
            self._registry_sig = sig
        return self._registry

    # -- ASGI -----------------------------------------------------------------------------

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self._lifespan(receive, send)
        if scope["type"] != "http":
            return
        req = Request(scope, receive)
        t0 = time.perf_counter()
        _REQUEST.set((req, send, None))
        try:
            resp = await self.dispatch(req)
        except HTTPError as exc:
            resp = self.error(req, exc.status, exc.message, exc.headers)
        except Exception as exc:  # a bug: answer 500, keep serving
            log.exception("internal error on %s %s", req.method, req.path)
            resp = self.error(req, 500, f"internal error: {type(exc).__name__}: {exc}")
        await self._send(req, resp, send)
        if self.cfg.log_requests:
            log.info('%s "%s %s" %d %d %.1fms', (scope.get("client") or ("-",))[0], req.method,
                     req.raw_path.decode("latin-1") + ("?" + req.query_string.decode("latin-1") if req.query_string else ""),
                     resp.status, len(resp.body), (time.perf_counter() - t0) * 1000)

    def handle_sync(self, proto, method: str, path: str, raw_path: bytes, query_string: bytes,
                    headers: list[tuple[bytes, bytes]], keep_alive: bool,
                    default_headers: list[tuple[bytes, bytes]]) -> tuple[bytes, bool]:
        """A GET or HEAD, answered in the protocol's callback (:class:`.protocol.HttpProtocol`):
        the same routing and handlers as :meth:`__call__`, whose coroutines never wait for
        anything on a GET (the jobs run in this thread), driven to their end here. Returns
        the whole HTTP answer and whether the connection stays open."""
        t0 = time.perf_counter() if self.cfg.log_requests else 0.0
        req = Request.from_parts({"server": proto.server, "client": proto.client, "scheme": proto.scheme},
                                 method, path, raw_path, query_string, headers)
        token = _REQUEST.set((req, None, proto))
        try:
            coro = self.dispatch(req)
            try:
                coro.send(None)
            except StopIteration as stop:
                resp = stop.value
            else:  # pragma: no cover - a handler of a GET waited for something: a bug
                coro.close()
                raise RuntimeError("a GET handler awaited I/O")
        except HTTPError as exc:
            resp = self.error(req, exc.status, exc.message, exc.headers)
        except Exception as exc:  # a bug: answer 500, keep serving
            log.exception("internal error on %s %s", req.method, req.path)
            resp = self.error(req, 500, f"internal error: {type(exc).__name__}: {exc}")
        finally:
            _REQUEST.reset(token)
        try:
            data, keep_alive = self._encode(method, resp, keep_alive, default_headers)
        except Exception as exc:  # pragma: no cover - a header that cannot be sent
            log.exception("internal error on %s %s", req.method, req.path)
            resp = self.error(req, 500, f"internal error: {type(exc).__name__}: {exc}")
            data, keep_alive = self._encode(method, resp, False, default_headers)
        if self.cfg.log_requests:
            self._log(proto.client, method, raw_path, query_string, resp, t0)
        return data, keep_alive

    @staticmethod
    def _log(client, method: str, raw_path: bytes, query_string: bytes, resp: Response, t0: float) -> None:
        log.info('%s "%s %s" %d %d %.1fms', (client or ("-",))[0], method,
                 raw_path.decode("latin-1") + ("?" + query_string.decode("latin-1") if query_string else ""),
                 resp.status, len(resp.body), (time.perf_counter() - t0) * 1000)

    def _store(self, v: Version):
        """The open database of version ``v`` (jobs.open_db, kept for the current version)."""
        if self._store_of is not v:
            self._store_db, self._store_of = jobs.open_db(self._db_path(v)), v
        return self._store_db

    def _default_lines(self, default_headers) -> bytes:
        """uvicorn's default header lines (``date``), as sent; uvicorn makes a new list
        when the date changes, so the lines are written once per list."""
        if default_headers is not self._default_src:
            self._default_src = default_headers
            self._default_bytes = b"".join(b"%s: %s\r\n" % nv for nv in default_headers)
        return self._default_bytes

    def _header_line(self, h: tuple[str, str]) -> bytes:
        """``name: value`` and the line break, as sent (the name in lower case); checked."""
        b = self._wire.get(h)
        if b is None:
            name = self._names.get(h[0])
            if name is None:
                name = h[0].lower().encode("latin-1")
                if _BAD_NAME.search(name):
                    raise RuntimeError(f"invalid HTTP header {h[0]!r}")
                if len(self._names) < 256:
                    self._names[h[0]] = name
            value = h[1]
            # printable ASCII is always fine (two C calls); anything else is checked byte by byte
            if not (value.isascii() and value.isprintable()) and _BAD_VALUE.search(value.encode("latin-1")):
                raise RuntimeError(f"invalid HTTP header {h[0]!r}")
            b = b"%s: %s\r\n" % (name, value.encode("latin-1"))
            if len(self._wire) < 4096 and h[0] not in _PER_ANSWER:   # types, versions, Vary...
                self._wire[h] = b
        return b

    def _stays_open(self) -> bool:
        """Whether a keep-alive connection stays open after its answer: not when this worker
        holds more connections than the least busy one plus one (see _send; one connection
        is never one too many)."""
        n = len(CONNECTIONS)
        return n <= 1 or self.stats is None or not self.stats.crowded(self.slot, n)

    def _finish(self, out: list, method: str, status: int, body: bytes,
                keep_alive: bool) -> tuple[bytes, bool]:
        """The end of an answer whose status line and headers are in ``out``: CORS, whether
        the connection stays open, the length and the body."""
        if self.cfg.cors:
            out.append(self._cors_lines)
        keep_alive = keep_alive and self._stays_open()
        if not keep_alive:
            out.append(b"connection: close\r\n")
        if status not in (204, 304):
            out.append(b"content-length: %d\r\n" % len(body))
        out.append(b"\r\n")
        if method != "HEAD" and status not in (204, 304):
            out.append(body)
        return b"".join(out), keep_alive

    def _encode(self, method: str, resp: Response, keep_alive: bool,
                default_headers: list[tuple[bytes, bytes]]) -> tuple[bytes, bool]:
        """The bytes uvicorn would write for ``resp`` (see :meth:`_send`), in one piece."""
        out = [STATUS_LINE[resp.status], self._default_lines(default_headers)]
        out += [self._header_line(h) for h in resp.headers]
        return self._finish(out, method, resp.status, resp.body, keep_alive)

    async def _lifespan(self, receive, send):
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                try:
                    try:
                        self.current()
                    except HTTPError as exc:
                        log.warning("%s", exc.message)
                    self.registry()
                except Exception as exc:  # pragma: no cover
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
                if self.receiver is not None:
                    import asyncio

                    self.receiver.install(asyncio.get_running_loop())
                if self.on_ready is not None:
                    self.on_ready()
            elif msg["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _send(self, req: Request, resp: Response, send) -> None:
        enc = self._encoded
        headers = []
        for h in resp.headers:
            b = enc.get(h)
            if b is None:
                b = (h[0].encode("latin-1"), h[1].encode("latin-1"))
                if len(enc) < 4096:   # the values that repeat: types, versions, Vary...
                    enc[h] = b
            headers.append(b)
        if self.cfg.cors:
            headers.append((b"access-control-allow-origin", b"*"))
            headers.append((b"access-control-expose-headers", EXPOSE.encode()))
        if self.stats is not None and self.stats.crowded(self.slot, len(CONNECTIONS)):
            # This worker holds more keep-alive connections than another one: close this
            # one after the answer; the client reconnects, to a worker that is free.
            headers.append((b"connection", b"close"))
        body = resp.body
        if resp.status not in (204, 304):
            headers.append((b"content-length", str(len(body)).encode()))
        if req.method == "HEAD" or resp.status in (204, 304):
            body = b""
        await send({"type": "http.response.start", "status": resp.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def error(self, req: Request, status: int, message: str, headers=None) -> Response:
        headers = list(headers or [])
        accept = req.headers.get("accept", "")
        wants_html = ("text/html" in accept and req.path != "/sparql"
                      and N.choose(accept, [("text/html", "html"), ("text/plain", "text")]) == "html")
        if req.path == "/sparql":
            try:
                wants_html = req.param("format") == "html"
            except HTTPError:   # the parameters themselves are the error being reported
                pass
        if wants_html:
            title = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
                     405: "Method not allowed", 406: "Not acceptable", 413: "Request too large",
                     414: "URL too long", 415: "Unsupported media type", 500: "Internal error",
                     503: "Unavailable"}.get(status, "Error")
            body = pages.error_page(status, title, message, self.version.id if self.version else None)
            return Response(status, body.encode("utf-8"), "text/html; charset=utf-8", headers)
        return Response(status, (message.rstrip() + "\n").encode("utf-8"), "text/plain; charset=utf-8",
                        headers + [("Cache-Control", "no-store")])

    # -- routing --------------------------------------------------------------------------

    async def dispatch(self, req: Request) -> Response:
        limit = min(self.cfg.max_request_bytes, MAX_URL)
        if len(req.raw_path) + len(req.query_string) > limit:
            raise HTTPError(414, f"the URL is longer than the limit of {limit} bytes; "
                                 "send the query by POST")
        path = req.path
        if req.method == "OPTIONS":
            return self.options(req)
        if path == "/sparql" or path == "/sparql/":
            return await self.sparql(req)
        if req.method not in ("GET", "HEAD"):
            raise HTTPError(405, f"{req.method} is not allowed here", [("Allow", "GET, HEAD, OPTIONS")])
        if path == "/":
            return self.index(req)
        if path.startswith("/static/"):
            return self.static(req, path[len("/static/"):])
        if path == "/favicon.ico":
            return self.static(req, "favicon.svg")
        if path == "/health":
            return self.health(req)
        if path == "/context.jsonld":
            return self.jsonld_context(req)
        if path == "/search":
            return self.search(req)
        if path.startswith(("/queries/", "/resource/", "/graph/", "/ontology")) or \
                any(path.startswith(m) for m, _ in self.mounts):
            v = self.current()
            self.registry()   # a changed canned query is a new entry
            fast = (v.id, self._registry_gen, "GET", req.raw_path, req.query_string, req.headers.get("accept"))
            hit = self.cache.get(fast)
            if hit is not None:
                return self._revalidate(req, hit) or hit
            resp = await self._route_get(req, path)
            if resp.status == 200 and any(k == "ETag" for k, _ in resp.headers) and self.current().id == v.id:
                self.cache.put(fast, resp)
            return resp
        return await self._route_get(req, path)

    async def _route_get(self, req: Request, path: str) -> Response:
        if path in ("/queries", "/queries/"):
            return self.queries_list(req, "html")
        if path == "/queries.json":
            return self.queries_list(req, "json")
        if path.startswith("/queries/"):
            name = path[len("/queries/"):]
            ext = None
            m = re.fullmatch(r"([a-z0-9_-]+)\.(json|csv|tsv|xml|html|ttl|nt|jsonld|rq)", name)
            if m:
                name, ext = m.group(1), m.group(2)
            return await self.canned(req, name, ext)
        if path in self.ontology_paths:
            return await self.ontology(req)
        raw = iri_path(req.raw_path)
        for mount, ns in self.mounts:
            if raw.startswith(mount) and len(raw) > len(mount):
                return await self.resource(req, ns + raw[len(mount):])
        raise HTTPError(404, f"nothing at {path}")

    def options(self, req: Request) -> Response:
        allow = "GET, HEAD, POST, OPTIONS" if req.path.rstrip("/") == "/sparql" else "GET, HEAD, OPTIONS"
        headers = [("Allow", allow)]
        if self.cfg.cors:
            headers += [("Access-Control-Allow-Methods", allow),
                        ("Access-Control-Allow-Headers",
                         "Accept, Content-Type, Authorization, If-None-Match, Cache-Control"),
                        ("Access-Control-Max-Age", "600")]
        return Response(204, b"", None, headers)

    def _common_headers(self, v: Version, etag: str | None, volatile: bool = False) -> list[tuple[str, str]]:
        h = [("X-LLMKG-Store-Version", v.id)]
        if etag and not volatile:
            h += [("ETag", etag), ("Cache-Control", "no-cache")]
        else:
            h.append(("Cache-Control", "no-store"))
        return h

    def _not_modified(self, req: Request, etag: str, v: Version, vary: str | None = "Accept") -> Response | None:
        if req.method in ("GET", "HEAD") and _etag_matches(req.headers.get("if-none-match"), etag):
            h = [("ETag", etag), ("Cache-Control", "no-cache"), ("X-LLMKG-Store-Version", v.id)]
            if vary:
                h.append(("Vary", vary))
            return Response(304, b"", None, h)
        return None

    def _known_answer(self, req: Request, key: str, v: Version) -> tuple[str, Response | None]:
        """The ETag of an answer by its cache key, and the answer when it is known already:
        a 304 when the client holds it, else the cached one (None: compute it)."""
        etag = f'W/"{key[:32]}"'
        return etag, self._not_modified(req, etag, v) or self.cache.get(key)


def create_app(cfg: ServerConfig, **kw) -> App:
    return App(cfg, **kw)


__all__ = ["App", "create_app", "HTTPError", "Response", "Request"]
