"""The ASGI app of ``llmkg serve``: routes, the SPARQL 1.1 protocol, Linked Data, caching.

A plain ASGI callable (no framework): the routes are few, and a framework's request and
response objects cost more than they give here (docs/architecture-web.md has the numbers).
One instance runs in each worker process (:mod:`.server`). Every query runs there, under a
time limit that stops the process when it is overrun (:mod:`.runner`); the whole result is
computed and serialized before the first byte of the answer is sent, so a query that fails
or overruns its time limit is an error status, never a 200 with a cut-off body.
"""

from __future__ import annotations

import codecs
import contextvars
import hashlib
import hmac
import json
import logging
import os
import re
import time
from collections import OrderedDict
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, unquote_plus, urlsplit

from .. import query as Q
from ..errors import LlmkgError, QueryError, StoreError
from ..query.formats import FOR_GRAPH, FOR_RESULTS, GRAPH_FORMATS, WEB_RESULT_FORMATS
from ..store import Version, current_version, open_generation
from ..vocab import GRAPH, ONTOLOGY_IRI, PREFIXES
from . import negotiate as N
from . import pages
from .config import ServerConfig
from . import handoff, jobs
from .protocol import CONNECTIONS, HANDED, STATUS_LINE
from .runner import Runner, pending_input, write_all
from . import netguard
from ..sparqlscan import add_using, scan, strip_services

log = logging.getLogger("llmkg.web")

EXPOSE = "ETag, X-LLMKG-Store-Version, X-LLMKG-Rows, X-LLMKG-Truncated, X-LLMKG-Max-Rows, X-LLMKG-Elapsed-Ms"
STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
                ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon"}
SD = "http://www.w3.org/ns/sparql-service-description#"
# httptools refuses request lines longer than about 64 KiB before the app sees them (a bare
# 400): our own limit is just below, so that a long GET gets a 414 that says what to do.
MAX_URL = 60 * 1024
FORMATS_NS = "http://www.w3.org/ns/formats/"


# the request whose job is running, for the watchdog's 503: (request, its ASGI send or
# None, its protocol or None)
_REQUEST: contextvars.ContextVar = contextvars.ContextVar("llmkg_request", default=None)
# what uvicorn refuses in a header (a bug here, never the client's doing)
_BAD_NAME = re.compile(b'[\x00-\x1f\x7f()<>@,;:\\[\\]={} \t\\\\"]')
_BAD_VALUE = re.compile(b"[\x00-\x08\x0a-\x1f\x7f]")
# headers whose values differ from answer to answer: not worth remembering as bytes
_PER_ANSWER = frozenset(("ETag", "X-LLMKG-Rows", "X-LLMKG-Elapsed-Ms", "Link", "Content-Disposition"))


class HTTPError(Exception):
    def __init__(self, status: int, message: str, headers: list[tuple[str, str]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or []


class Response:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int = 200, body: bytes = b"", content_type: str | None = None,
                 headers: list[tuple[str, str]] | None = None):
        self.status = status
        self.body = body
        self.headers = list(headers or [])
        if content_type:
            self.headers.insert(0, ("Content-Type", content_type))


class Request:
    __slots__ = ("scope", "_receive", "method", "path", "raw_path", "query_string", "headers", "_params")

    def __init__(self, scope, receive):
        self.scope = scope
        self._receive = receive
        self.method = scope["method"]
        self.path = scope["path"]
        self.raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
        self.query_string = scope.get("query_string", b"")
        self.headers: dict[str, str] = {}
        for k, v in scope.get("headers", []):
            k = k.decode("latin-1").lower()
            v = v.decode("latin-1")
            self.headers[k] = f"{self.headers[k]}, {v}" if k in self.headers else v
        self._params = None

    @classmethod
    def from_parts(cls, scope: dict, method: str, path: str, raw_path: bytes, query_string: bytes,
                   headers: list[tuple[bytes, bytes]]) -> "Request":
        """A request parsed by :class:`.protocol.HttpProtocol` itself (no ASGI scope: ``scope``
        holds only ``server``, ``client`` and ``scheme``); header names are lower case."""
        self = cls.__new__(cls)
        self.scope = scope
        self._receive = None
        self.method = method
        self.path = path
        self.raw_path = raw_path
        self.query_string = query_string
        h: dict[str, str] = {}
        for k, v in headers:
            k = k.decode("latin-1")
            v = v.decode("latin-1")
            h[k] = f"{h[k]}, {v}" if k in h else v
        self.headers = h
        self._params = None
        return self

    @property
    def params(self) -> list[tuple[str, str]]:
        if self._params is None:
            self._params = parse_params(self.query_string)
        return self._params

    def param(self, name: str) -> str | None:
        vals = [v for k, v in self.params if k == name]
        return vals[-1] if vals else None

    async def body(self, limit: int) -> bytes:
        cl = self.headers.get("content-length")
        if cl is not None:
            try:
                if int(cl) > limit:
                    raise HTTPError(413, f"the request body is larger than the limit of {limit} bytes")
            except ValueError:
                raise HTTPError(400, "bad Content-Length") from None
        chunks, size = [], 0
        while True:
            msg = await self._receive()
            if msg["type"] == "http.disconnect":
                raise HTTPError(400, "the client went away")
            chunk = msg.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise HTTPError(413, f"the request body is larger than the limit of {limit} bytes")
            chunks.append(chunk)
            if not msg.get("more_body"):
                return b"".join(chunks)

    @property
    def origin(self) -> str:
        host = self.headers.get("host")
        if not host:
            server = self.scope.get("server") or ("127.0.0.1", 80)
            host = f"{server[0]}:{server[1]}"
        return f"{self.scope.get('scheme', 'http')}://{host}"


def parse_params(raw: bytes | str) -> list[tuple[str, str]]:
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("ascii")
        except UnicodeDecodeError:
            raise HTTPError(400, "the query string is not URL-encoded ASCII") from None
    try:
        if "&" not in raw and ";" not in raw and "=" in raw:   # one parameter: most requests
            k, _, v = raw.partition("=")
            return [(unquote_plus(k, errors="strict"), unquote_plus(v, errors="strict"))]
        return parse_qsl(raw, keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise HTTPError(400, "the parameters are not valid UTF-8 once URL-decoded") from None


_HEX = {(a + b).encode(): bytes([int(a + b, 16)]) for a in "0123456789abcdefABCDEF"
        for b in "0123456789abcdefABCDEF"}


_escape_decode = getattr(codecs, "escape_decode", None)   # CPython's, undocumented


def unquote_query(raw: bytes) -> str | None:
    """``unquote_plus(raw.decode("ascii"), errors="strict")`` for the value of a URL's one
    parameter (what :func:`parse_params` gives), or None when it is not UTF-8."""
    if b"+" in raw:
        raw = raw.replace(b"+", b" ")
    if b"%" in raw:
        if _escape_decode is None:  # pragma: no cover
            return _unquote_slow(raw)
        try:   # %HH as \xHH, the rest kept: decoded in C, 4x faster than the loop below
            raw = _escape_decode(raw.replace(b"\\", b"\\\\").replace(b"%", b"\\x"))[0]
        except ValueError:   # a "%" not followed by two hex digits: kept as it is
            return _unquote_slow(raw)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _unquote_slow(raw: bytes) -> str | None:
    if b"%" in raw:
        parts = raw.split(b"%")
        out = [parts[0]]
        hexes = _HEX
        for p in parts[1:]:
            c = hexes.get(p[:2])
            out.append(c + p[2:] if c is not None else b"%" + p)
        raw = b"".join(out)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def media_type_of(header: str) -> tuple[str, dict[str, str]]:
    parts = [p.strip() for p in header.split(";")]
    params = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        params[k.strip().lower()] = v.strip().strip('"').lower()
    return parts[0].lower(), params


_NON_ASCII_ESC = re.compile(r"(?:%[89A-Fa-f][0-9A-Fa-f])+")


def iri_path(raw: bytes) -> str:
    """A raw URL path to IRI text: percent-escapes of non-ASCII UTF-8 are decoded (the
    IRI-to-URI mapping of RFC 3987, reversed); ASCII escapes stay as they are."""
    s = raw.decode("latin-1")
    try:
        return _NON_ASCII_ESC.sub(lambda m: unquote(m.group(), encoding="utf-8", errors="strict"), s)
    except UnicodeDecodeError:
        raise HTTPError(400, f"the path {s[:200]!r} is not valid UTF-8 once percent-decoded") from None


class ResponseCache:
    """Serialized answers by key (store version + request), LRU, bounded in bytes."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.max_entry = max(1, max_bytes // 8)
        self._data: "OrderedDict[str, Response]" = OrderedDict()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> Response | None:
        r = self._data.get(key)
        if r is None:
            self.misses += 1
            return None
        self._data.move_to_end(key)
        self.hits += 1
        return r

    def put(self, key: str, resp: Response) -> None:
        size = len(resp.body)
        if self.max_bytes <= 0 or size > self.max_entry:
            return
        old = self._data.pop(key, None)
        if old is not None:
            self.bytes -= len(old.body)
        self._data[key] = resp
        self.bytes += size
        while self.bytes > self.max_bytes and self._data:
            _, r = self._data.popitem(last=False)
            self.bytes -= len(r.body)

    def clear(self) -> None:
        self._data.clear()
        self.bytes = 0

    def stats(self) -> dict:
        return {"entries": len(self._data), "bytes": self.bytes, "hits": self.hits, "misses": self.misses}


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    plain = etag[2:] if etag.startswith("W/") else etag
    for t in header.split(","):
        t = t.strip()
        if t.startswith("W/"):
            t = t[2:]
        if t == plain:
            return True
    return False


# A ``current`` link changed other than by llmkg (which counts its swaps in the store's
# generation) is seen after at most this long.
RELINK_SECONDS = 1.0


class App:
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
        self._query_heads: dict = {}    # (version, media type, volatile, truncated) -> head template
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
        (:func:`llmkg.store.open_generation`, a shared page read without a system call)
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
        if raw_path == b"/sparql" and query_string[:6] == b"query=":
            fast = self._sparql_fast(proto, method, path, raw_path, query_string, headers, keep_alive,
                                     default_headers)
            if fast is not None:
                data, keep_alive, resp = fast
                if self.cfg.log_requests:
                    self._log(proto.client, method, raw_path, query_string, resp, t0)
                return data, keep_alive
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

    def _sparql_fast(self, proto, method: str, path: str, raw_path: bytes, query_string: bytes,
                     headers: list[tuple[bytes, bytes]], keep_alive: bool, default_headers):
        """``GET /sparql?query=…`` with nothing else that needs a decision (no other
        parameter, no ``If-None-Match``, a plain query whose format is not HTML): the path of
        :meth:`sparql` and :meth:`query` for that case, without their generality (no request
        object, no parameter list, no coroutines) -- the same checks, key, job and headers,
        as the protocol tests check on both paths. Returns ``(bytes, keep_alive, response)``,
        or None before anything ran when the request needs the general path."""
        if (b"&" in query_string or b";" in query_string or not query_string.isascii()
                or len(raw_path) + len(query_string) > self._max_url):
            return None
        accept = host = None
        for k, val in headers:
            if k == b"accept":
                if accept is not None:
                    return None
                accept = val
            elif k == b"host":
                if host is not None:
                    return None
                host = val
            elif k == b"if-none-match":
                return None
        try:
            v = self.current()
        except HTTPError:
            return None
        cache = self.cache
        caching = cache.max_bytes > 0
        fast = None
        if caching:
            fast = (v.id, ("GET", query_string, accept, host))
            hit = cache.get(fast)
            if hit is not None:
                return self._encode(method, hit, keep_alive, default_headers) + (hit,)
        text = unquote_query(query_string[6:])
        if text is None:
            return None
        sc = scan(text)
        form = sc.form
        if sc.is_update or sc.services or sc.hidden or form is None:
            return None
        fmt = self._negotiate(accept, form, None)
        if fmt == "html":
            return None
        endpoint = self._public_endpoint
        if endpoint is None:
            if not host:
                return None
            endpoint = f"{proto.scheme}://{host.decode('latin-1')}/sparql"
        key = self._sparql_key(v.id, text, fmt, (), (), endpoint)
        volatile = sc.volatile
        if caching and not volatile:
            hit = cache.get(key)
            if hit is not None:
                return self._encode(method, hit, keep_alive, default_headers) + (hit,)
        # the request's parts, made a Request only when an error page or the watchdog needs one
        parts = (method, path, raw_path, query_string, headers)
        timeout = self.cfg.timeout
        context = ((parts, None, proto), timeout)
        ans = None
        if form == "SELECT" and fmt in Q.NATIVE_FORMATS:
            # the common case, without a job: pyoxigraph writes the answer as it evaluates
            # the query (Q.native_select); None when the job's way is needed after all
            kwargs = Q.plain_kwargs(text, endpoint)
            try:
                out = self.runner.run(Q.native_select, timeout, context, self._store(v), text, fmt, kwargs,
                                      self.cfg.max_rows)
            except Exception as exc:    # what jobs.handle makes of it
                ans = jobs.failed(exc)
            else:
                if out is not None:
                    data, keep_alive = self._encode_query(method, v, key, volatile, out.rows, False, out.elapsed,
                                                          out.body, out.media_type, keep_alive, default_headers)
                    return data, keep_alive, self._kept_answer(v, key, fast, volatile, out.rows, False,
                                                               out.elapsed, out.body, out.media_type)
        if ans is None:
            job = {"kind": "query", "db": self._db_path(v), "sparql": text, "formats": [fmt],
                   "default_graph": None, "named_graphs": None, "base_iri": endpoint, "form": form,
                   "max_rows": self.cfg.max_rows, "base": self.cfg.base}
            ans = self.runner.run(jobs.handle, timeout, context, job)
        if ans.get("ok"):
            val = ans["value"]
            body, ctype = val["bodies"][fmt]
            data, keep_alive = self._encode_query(method, v, key, volatile, val["rows"], val["truncated"],
                                                  val["elapsed"], body, ctype, keep_alive, default_headers)
            return data, keep_alive, self._kept_answer(v, key, fast, volatile, val["rows"], val["truncated"],
                                                       val["elapsed"], body, ctype)
        if ans.get("trace"):
            log.error("job error: %s\n%s", ans.get("error"), ans.get("trace"))
        resp = self.error(self._fast_request(proto, parts), int(ans.get("status", 500)),
                          ans.get("error") or "the query failed")
        return self._encode(method, resp, keep_alive, default_headers) + (resp,)

    @staticmethod
    def _fast_request(proto, parts: tuple) -> Request:
        """The Request of a GET answered by :meth:`_sparql_fast` (``parts``: method, path, raw
        path, query string, headers), made only for an error page or the watchdog."""
        return Request.from_parts({"server": proto.server, "client": proto.client, "scheme": proto.scheme},
                                  *parts)

    def _kept_answer(self, v: Version, key: str, fast, volatile: bool, rows: int, truncated: bool,
                     elapsed: float, body: bytes, ctype: str) -> Response | None:
        """A 200 of :meth:`_sparql_fast` as a Response, when one is kept: in the cache
        (under ``key`` and ``fast``) if it is on, or for the request log."""
        if self.cache.max_bytes > 0 and not volatile:
            val = {"rows": rows, "truncated": truncated, "elapsed": elapsed}
            resp = Response(200, body, ctype, self._query_headers(v, "W/\"" + key[:32] + "\"", volatile, val))
            self.cache.put(key, resp)
            self.cache.put(fast, resp)
            return resp
        if self.cfg.log_requests:
            return Response(200, body, ctype)
        return None

    def _store(self, v: Version):
        """The open database of version ``v`` (jobs.open_db, kept for the current version)."""
        if self._store_of is not v:
            self._store_db, self._store_of = jobs.open_db(self._db_path(v)), v
        return self._store_db

    def _encode_query(self, method: str, v: Version, key: str, volatile: bool, rows: int, truncated: bool,
                      elapsed: float, body: bytes, ctype: str, keep_alive: bool,
                      default_headers) -> tuple[bytes, bool]:
        """``_encode(method, Response(200, body, ctype, _query_headers(v, etag, volatile, val)),
        ...)`` with the ETag made of ``key`` -- the same bytes, from a template of the head
        made once per version, media type, volatility and truncation (:meth:`_query_template`)."""
        tpl = self._query_heads.get((v.id, ctype, volatile, truncated))
        if tpl is None:
            tpl = self._query_template(v, ctype, volatile, truncated)
        keep_alive = keep_alive and self._stays_open()
        date = self._default_lines(default_headers)
        if volatile:
            head = tpl % (date, rows, elapsed * 1000, b"" if keep_alive else b"connection: close\r\n", len(body))
        else:
            head = tpl % (date, key[:32].encode("ascii"), rows, elapsed * 1000,
                          b"" if keep_alive else b"connection: close\r\n", len(body))
        return (head if method == "HEAD" else head + body), keep_alive

    def _query_template(self, v: Version, ctype: str, volatile: bool, truncated: bool) -> bytes:
        """The head of a 200 query answer as a ``%`` template: the date lines, the ETag's
        32 hex digits (unless volatile), the rows, the milliseconds, the ``connection``
        line and the length -- in :meth:`_encode`'s order, with :meth:`_finish`'s ending."""
        # Content-Type and the version before the ETag; Cache-Control and Vary after it
        h = Response(200, b"", ctype, self._common_headers(v, None if volatile else "-", volatile)).headers
        h.append(("Vary", "Accept"))
        lines = [self._header_line(x).replace(b"%", b"%%") for x in h if x[0] != "ETag"]
        tpl = (STATUS_LINE[200] + b"%s" + b"".join(lines[:2]) + (b"" if volatile else b'etag: W/"%s"\r\n')
               + b"".join(lines[2:]) + b"x-llmkg-rows: %d\r\nx-llmkg-max-rows: "
               + self._max_rows_bytes.replace(b"%", b"%%") + b"\r\nx-llmkg-elapsed-ms: %.1f\r\n"
               + (b"x-llmkg-truncated: true\r\n" if truncated else b"")
               + (self._cors_lines.replace(b"%", b"%%") if self.cfg.cors else b"") + b"%scontent-length: %d\r\n\r\n")
        if len(self._query_heads) > 64:
            self._query_heads.clear()
        self._query_heads[(v.id, ctype, volatile, truncated)] = tpl
        return tpl

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
            name, value = h[0].lower().encode("latin-1"), h[1].encode("latin-1")
            if _BAD_NAME.search(name) or _BAD_VALUE.search(value):
                raise RuntimeError(f"invalid HTTP header {h[0]!r}")
            b = b"%s: %s\r\n" % (name, value)
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

    # -- jobs -----------------------------------------------------------------------------

    async def run_job(self, job: dict, timeout: float | None = None) -> dict:
        """Run a job of :mod:`.jobs` here, now (the event loop waits: one job at a time per
        worker process, and a busy worker accepts no connections). Over ``timeout`` the
        watchdog answers 503 and the process exits (:meth:`_on_timeout`)."""
        timeout = self.cfg.timeout if timeout is None else timeout
        ctx = _REQUEST.get()
        ans = self.runner.run(jobs.handle, timeout, (ctx, timeout), job)
        if not ans.get("ok"):
            if ans.get("trace"):
                log.error("job error: %s\n%s", ans.get("error"), ans.get("trace"))
            raise HTTPError(int(ans.get("status", 500)), ans.get("error") or "the query failed")
        return ans["value"]

    def _raw_response(self, req: Request | None, resp: Response) -> bytes:
        """A whole HTTP/1.1 response (``Connection: close``), for the watchdog's last words."""
        reason = {503: "Service Unavailable"}.get(resp.status, "Error")
        lines = [f"HTTP/1.1 {resp.status} {reason}"]
        lines += [f"{k}: {v}" for k, v in resp.headers]
        if self.cfg.cors:
            lines += ["Access-Control-Allow-Origin: *", f"Access-Control-Expose-Headers: {EXPOSE}"]
        body = b"" if req is not None and req.method == "HEAD" else resp.body
        lines += [f"Content-Length: {len(resp.body)}", "Connection: close", "", ""]
        return "\r\n".join(lines).encode("latin-1") + body

    def _on_busy(self, context) -> None:
        """The watchdog's thread, for a job that has run a moment: the connections of this
        worker that are between two requests go to workers that are free (:mod:`.handoff`).
        The event loop is stuck in the job: nothing else touches the connections."""
        own = None
        if context and context[0] is not None:
            own = context[0][2]
            if own is None:
                cycle = getattr(context[0][1], "__self__", None)
                own = next((c for c in CONNECTIONS if getattr(c, "cycle", None) is cycle), None)
        known = set()     # the sockets (inodes: a socket may have two descriptors) of known connections
        for conn in list(CONNECTIONS):
            fd = conn.socket_fd()
            if fd is not None:
                try:
                    known.add(os.fstat(fd).st_ino)
                except OSError:  # pragma: no cover
                    pass
            if conn is own or fd is None or not conn.between_requests():
                continue
            if handoff.send_fd(self.handoff, fd):
                self._handed.append(conn)
        # sockets accepted just before the job began, whose protocol is not made yet
        for fd in _accepted_sockets(known):
            if handoff.send_fd(self.handoff, fd):
                HANDED.add(fd)

    def _after_job(self) -> None:
        """The loop's thread, after a job for which connections were handed over: this
        worker stops serving them (the workers that took them serve them now)."""
        handed, self._handed = self._handed, []
        for conn in handed:
            conn.forget()

    def _on_timeout(self, context, reason: str = "time") -> None:
        """The watchdog's thread, for a job over its time or memory limit; the process exits
        right after.

        The event loop is stuck in the job, so nothing else writes to the connections."""
        ctx, timeout = context if context else (None, self.cfg.timeout)
        if self.stats is not None:
            self.stats.timed_out(self.slot)   # visible in /health before the client sees 503
            # not busy any more: new connections wait for the replacement, not a 503 "busy"
            self.stats.set_busy(self.slot, False)
        own_fd = None
        if ctx is not None:
            req, send, proto = ctx
            if isinstance(req, tuple):   # the fast path makes its request object only when needed
                req = self._fast_request(proto, req)
            if proto is None:   # an ASGI request: the connection whose cycle it is
                cycle = getattr(send, "__self__", None)
                proto = next((c for c in CONNECTIONS if getattr(c, "cycle", None) is cycle), None)
            own_fd = proto.socket_fd() if proto is not None else None
            if reason == "memory":
                msg = (f"the query needed more memory than this server allows a worker "
                       f"({self.cfg.worker_memory_mb} MB) and was stopped. Narrow the query (a LIMIT, "
                       "more specific patterns) or run it locally with 'llmkg query'.")
            else:
                msg = (f"the query ran longer than the limit of {timeout:g} s and was stopped. Narrow "
                       "the query (a LIMIT, more specific patterns) or run it locally with 'llmkg query'.")
            resp = self.error(req, 503, msg, [("Cache-Control", "no-store")])
            if own_fd is not None:
                write_all(own_fd, self._raw_response(req, resp))
        # the requests that arrived on the other connections meanwhile: ask them to retry
        retry = Response(503, b"this server process restarted (another query overran its time limit); "
                              b"send the request again\n", "text/plain; charset=utf-8",
                         [("Retry-After", "1"), ("Cache-Control", "no-store")])
        data = self._raw_response(None, retry)
        handed = set(map(id, self._handed))
        for conn in list(CONNECTIONS):
            fd = conn.socket_fd()
            if fd is None or fd == own_fd or id(conn) in handed:
                continue    # (a connection handed over is another worker's now)
            try:
                waiting = pending_input(fd) > 0 or (conn.cycle is not None and not conn.cycle.response_complete)
                if waiting and conn.transport.get_write_buffer_size() == 0:
                    write_all(fd, data, 0.5)
            except Exception:  # pragma: no cover - the process is about to exit anyway
                pass

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
        etag = f'W/"{key[:32]}"'
        if not sc.volatile:
            nm = self._not_modified(req, etag, v)
            if nm:
                return nm
            hit = self.cache.get(key)
            if hit is not None:
                return hit
        # The dataset: the protocol's default-graph-uri / named-graph-uri (either one: the
        # other is empty) win over the query's FROM / FROM NAMED, which win over the union
        # of all graphs (llmkg.query.execute applies the last two rules).
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

    # -- pages ----------------------------------------------------------------------------

    def index(self, req: Request) -> Response:
        try:
            v = self.current()
            vid = v.id
        except HTTPError:
            vid = None
        page = pages.index_page(self.registry(), base=self.cfg.base, version=vid,
                                max_rows=self.cfg.max_rows, timeout=self.cfg.timeout)
        return Response(200, page.encode("utf-8"), "text/html; charset=utf-8", [("Cache-Control", "no-cache")])

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
        etag = f'W/"{key[:32]}"'
        nm = self._not_modified(req, etag, v)
        if nm:
            return nm
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        val = await self.run_job({"kind": "entity", "db": str(v.db), "iri": iri, "fmt": fmt,
                                  "max_rows": self.cfg.max_rows, "base": self.cfg.base, "version": v.id})
        if not val.get("found"):
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
        etag = f'W/"{key[:32]}"'
        nm = self._not_modified(req, etag, v)
        if nm:
            return nm
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        of = self.cfg.ontology_file
        val = await self.run_job({"kind": "ontology", "db": str(v.db), "fmt": fmt, "base": self.cfg.base,
                                  "version": v.id, "ontology_file": str(of) if of and Path(of).is_file() else None})
        resp = Response(200, val["body"], val["ctype"], self._common_headers(v, etag) + [("Vary", "Accept")])
        self.cache.put(key, resp)
        return resp


def _accepted_sockets(known: set) -> list[int]:
    """The TCP connections of this process whose socket (inode) is not among ``known``
    (accepted by the event loop, their protocol not made yet), from ``/proc/self/fd``."""
    import socket as _socket
    import stat

    found = []
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:  # pragma: no cover - not Linux
        return found
    for name in names:
        fd = int(name)
        if fd in HANDED:
            continue
        try:
            st = os.fstat(fd)
            if not stat.S_ISSOCK(st.st_mode) or st.st_ino in known:
                continue
            s = _socket.socket(fileno=fd)
        except OSError:
            continue
        try:
            if (s.family in (_socket.AF_INET, _socket.AF_INET6) and s.type == _socket.SOCK_STREAM
                    and not s.getsockopt(_socket.SOL_SOCKET, _socket.SO_ACCEPTCONN)):
                s.getpeername()          # connected
                found.append(fd)
        except OSError:
            pass
        finally:
            s.detach()
    return found


def create_app(cfg: ServerConfig, **kw) -> App:
    return App(cfg, **kw)


__all__ = ["App", "create_app", "HTTPError", "Response", "Request"]
