"""uvicorn's httptools protocol, with these changes for this server. It extends a class that
is not uvicorn's public API and uses its attributes (parser, cycle, flow, pipeline,
server_state...): pyproject.toml pins the uvicorn and httptools it was written and tested
against.

* The status line and headers of a response leave in the same ``send()`` as its body.
  uvicorn writes them as soon as the app starts the response, and the body in a second
  write: two system calls and two TCP segments per answer (the peer is woken twice), about
  a third of the cost of a small answer on loopback. Since this app always sends a whole
  body right after the headers, the headers are held until then (or until the response
  is complete without a body: HEAD, 304).
* The open connections of the process are known (:data:`CONNECTIONS`), so that a worker
  that must stop because a query overran its time limit can answer the requests waiting
  on its other connections instead of dropping them (:mod:`.runner`), and so that the
  workers can even out their connections (:meth:`.server.SharedStats.crowded`).
* A request's head is bounded: at most :data:`MAX_HEAD_BYTES` (else 431, and the
  connection closed) and due within the keep-alive timeout of its first byte or of the
  connection (else the connection is closed): slow or silent clients do not pile up.
* A GET or HEAD without a body (the SPARQL protocol's usual request, the pages, the
  Linked Data) is answered right in the parser's callback: the app's synchronous entry
  (:meth:`.app.App.handle_sync`) gets the parsed request and returns the whole answer as
  bytes, written at once. No ASGI scope, no task, no ``send`` messages: every handler of
  a GET runs in the event-loop thread anyway (the queries too, :mod:`.runner`), so the
  ASGI machinery only added its cost (~40 µs a request). Other requests (POST, OPTIONS…)
  go through uvicorn's ASGI cycle as before, and a GET that arrives pipelined behind one
  of those waits for its turn in uvicorn's queue.
"""

from __future__ import annotations

import urllib.parse

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

CONNECTIONS: "set[HttpProtocol]" = set()
HANDED: "set[int]" = set()   # sockets handed to another worker while a job ran (see .handoff)
MAX_HEAD_BYTES = 64 * 1024   # request line and headers; more is answered 431 and closed
_431 = (b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
        b"connection: close\r\ncontent-length: 58\r\n\r\nthe request line and headers are over 64 KiB; send less\r\n")


class _Refused(Exception):
    """The request's head is too big: answered 431, the connection closed."""
on_connections = None   # called with the number of open connections when it changes


class _CoalescingTransport:
    """A transport whose ``write`` of a response head waits for the body."""

    __slots__ = ("transport", "_held")

    def __init__(self, transport):
        self.transport = transport
        self._held: bytes | None = None

    def write(self, data) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self.transport.write(held + data)
        elif data[:5] == b"HTTP/" and data[-4:] == b"\r\n\r\n" and data[9:10] != b"1":
            self._held = bytes(data)        # a final response's head: its body follows
        else:
            self.transport.write(data)

    def flush(self) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self.transport.write(held)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def is_closing(self) -> bool:
        return self.transport.is_closing()

    def __getattr__(self, name):
        return getattr(self.transport, name)


class HttpProtocol(HttpToolsProtocol):
    _sync: tuple | None = None     # (method, HTTP version, keep-alive) of a GET/HEAD answered here
    _idle_since: float | None = None   # when the last answer written here left the connection idle
    _idle_timer = None                 # the keep-alive timer of answers written here
    _head_timer = None                 # a request's head must arrive within the keep-alive timeout
    _head_since = None                 # when the head being read began (None: none is)
    _head_bytes = 0
    _refused = False
    _in_message = False                # a request begun whose answer is not written yet

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if HANDED:
            fd = self.socket_fd()
            if fd in HANDED:   # accepted just before a job began, and handed over meanwhile
                HANDED.discard(fd)
                self.forget()
                return
        self._handle_sync = getattr(self.app, "handle_sync", None)
        self.transport = _CoalescingTransport(transport)
        CONNECTIONS.add(self)
        if on_connections is not None:
            on_connections(len(CONNECTIONS))
        self._arm_head_timer()   # a connection that sends nothing is closed too (slowloris)

    def _arm_head_timer(self) -> None:
        """Slow or silent clients (slowloris) do not hold a connection: the request line
        and headers must all arrive within the keep-alive timeout of the first byte (or of
        the connection), else the connection is closed. One timer per connection, not one
        per request: when it fires it closes the connection only if a head is still being
        read and has been for the whole timeout, and otherwise waits for the rest
        (:meth:`_timer_fired`, as for the idle timer)."""
        self._head_since = self.loop.time()
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.timeout_keep_alive, self._timer_fired, "head")

    def _timer_fired(self, kind: str) -> None:
        """The ``head`` or ``idle`` timer (one per connection each): the connection is closed
        if its spell (``_head_since``/``_idle_since``) has lasted the whole keep-alive
        timeout; a spell begun since gets a timer for the rest; none, no timer."""
        setattr(self, f"_{kind}_timer", None)
        since = getattr(self, f"_{kind}_since")
        if since is None:
            return      # the spell ended: the next one arms the timer again
        left = since + self.timeout_keep_alive - self.loop.time()
        if left > 0:
            setattr(self, f"_{kind}_timer", self.loop.call_later(left, self._timer_fired, kind))
        elif kind == "idle":
            self.timeout_keep_alive_handler()
        elif not self.transport.is_closing():
            self.transport.transport.close()

    def _head_done(self) -> None:
        self._head_since = None

    def _count_head(self, n: int) -> None:
        self._head_bytes += n
        if self._head_bytes > MAX_HEAD_BYTES:
            raise _Refused

    def on_url(self, url: bytes) -> None:
        self._count_head(len(url))
        super().on_url(url)

    def connection_lost(self, exc) -> None:
        CONNECTIONS.discard(self)
        self._head_done()
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        if on_connections is not None:
            on_connections(len(CONNECTIONS))
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        self.transport.flush()
        self._in_message = False
        super().on_response_complete()

    def between_requests(self) -> bool:
        """Whether nothing of a request is here: none begun, no answer left to write (such a
        connection can move to another worker, :mod:`.handoff`)."""
        if self._in_message or self._sync is not None or self.pipeline:
            return False
        if self.cycle is not None and not self.cycle.response_complete:
            return False
        t = self.transport
        t = getattr(t, "transport", t)
        try:
            return not t.is_closing() and t.get_write_buffer_size() == 0
        except Exception:  # pragma: no cover
            return False

    def forget(self) -> None:
        """Stop serving this connection here without ending it for the client: another
        worker holds a copy of its socket and serves it now. Reading stops at once; this
        process's copy is closed (no FIN: the other copy keeps the connection open)."""
        t = self.transport
        t = getattr(t, "transport", t)
        try:
            t.pause_reading()
        except Exception:  # pragma: no cover
            pass
        self._refused = True   # nothing read here any more is served
        t.close()

    def data_received(self, data) -> None:
        if self._refused:
            return
        self._idle_since = None
        if self.timeout_keep_alive_task is not None:   # (an earlier ASGI answer's timer)
            self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except _Refused:
            self._refuse()
        except httptools.HttpParserCallbackError as exc:
            if isinstance(exc.__context__, _Refused) or isinstance(exc.__cause__, _Refused):
                self._refuse()
            else:
                self._parser_error(exc)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade) as exc:
            self._parser_error(exc)

    def _refuse(self) -> None:
        self._refused = True
        self._head_done()
        transport = self.transport.transport
        if not transport.is_closing():
            transport.write(_431)
            transport.close()

    def _parser_error(self, exc: Exception) -> None:
        """What uvicorn's ``data_received`` does when the parser stops: a 400, or an upgrade
        (WebSocket, which this app does not serve: a warning)."""
        if isinstance(exc, httptools.HttpParserUpgrade):
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        msg = "Invalid HTTP request received."
        self.logger.warning(msg)
        self.send_400_response(msg)

    def on_header(self, name: bytes, value: bytes) -> None:
        # uvicorn's, without its Expect check: made in _make_scope, for the ASGI path only
        self._count_head(len(name) + len(value) + 4)
        self.headers.append((name.lower(), value))

    def _sync_complete(self) -> None:
        """uvicorn's ``on_response_complete`` for an answer written in the callback on a
        connection that stays open, with its keep-alive timeout kept by one timer per idle
        spell rather than one per answer: the timer, when it fires, closes the connection
        only if it has been idle for the whole timeout since the last answer, and otherwise
        waits for the rest."""
        # (the keep-alive timer of an earlier ASGI answer was cancelled when this request came)
        if self.flow.read_paused:
            self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
            return
        self._idle_since = self.loop.time()
        if self._idle_timer is None:
            self._idle_timer = self.loop.call_later(self.timeout_keep_alive, self._timer_fired, "idle")

    # -- GET and HEAD, answered in the parser's callback ------------------------------------

    def on_message_begin(self) -> None:
        # uvicorn's makes the ASGI scope here; most requests never need one (see below)
        self.url = b""
        self.headers = []
        self._head_bytes = 0
        self._in_message = True
        self._arm_head_timer()

    def _make_scope(self) -> None:
        url, headers = self.url, self.headers
        HttpToolsProtocol.on_message_begin(self)
        self.url, self.headers = url, headers
        self.expect_100_continue = any(n == b"expect" and v.lower() == b"100-continue" for n, v in headers)
        self.scope["headers"] = headers

    def on_headers_complete(self) -> None:
        self._head_done()
        parser = self.parser
        method = parser.get_method()
        if (self._handle_sync is not None and (method == b"GET" or method == b"HEAD")
                and (self.cycle is None or self.cycle.response_complete) and not parser.should_upgrade()):
            for name, value in self.headers:
                if (name == b"content-length" and value.strip() != b"0") or name == b"transfer-encoding":
                    break       # a GET with a body: the ordinary way
            else:
                version = parser.get_http_version()
                self._sync = (method.decode("ascii"), version, version != "1.0" and parser.should_keep_alive())
                return
        self._make_scope()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        sync = self._sync
        if sync is None:
            return super().on_message_complete()
        self._sync = None
        method, version, keep_alive = sync
        parsed = httptools.parse_url(self.url)
        raw_path = parsed.path
        path = raw_path.decode("ascii")
        if "%" in path:
            path = urllib.parse.unquote(path)
        data, keep_alive = self._handle_sync(self, method, path, raw_path, parsed.query or b"", self.headers,
                                             keep_alive, self.server_state.default_headers)
        transport = self.transport.transport     # the answer is whole: no need to hold it
        self.server_state.total_requests += 1
        self._in_message = False
        if transport.is_closing():                # the client left while its query ran
            return
        transport.write(data)
        if keep_alive:
            self._sync_complete()
        else:
            transport.close()

    def socket_fd(self) -> int | None:
        """The connection's file descriptor (for :mod:`.runner`'s last answers)."""
        t = self.transport
        t = getattr(t, "transport", t)
        try:
            sock = t.get_extra_info("socket")
            return sock.fileno() if sock is not None else None
        except Exception:  # pragma: no cover
            return None
