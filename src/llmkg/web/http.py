"""HTTP for the app: requests (parameters, paths, media types), responses, errors, and the
cache of answers by store version. Plain classes: the protocol layer (:mod:`.protocol`)
answers GETs in its callback, the rest goes through ASGI (:mod:`.app`)."""

from __future__ import annotations

import codecs
import contextvars
import logging
import re
from collections import OrderedDict
from urllib.parse import parse_qsl, unquote


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
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if not raw.isascii():
        raise HTTPError(400, "the query string is not URL-encoded ASCII")
    if b"&" not in raw and b";" not in raw and b"=" in raw:
        # one parameter, most requests (?query=...): decoded by unquote_query, in C
        k, _, v = raw.partition(b"=")
        key, value = unquote_query(k), unquote_query(v)
        if key is None or value is None:
            raise HTTPError(400, "the parameters are not valid UTF-8 once URL-decoded")
        return [(key, value)]
    try:
        return parse_qsl(raw.decode("ascii"), keep_blank_values=True, encoding="utf-8", errors="strict")
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
