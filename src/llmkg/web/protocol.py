"""uvicorn's httptools protocol, with two changes for this server.

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
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

CONNECTIONS: "set[HttpProtocol]" = set()
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
    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.transport = _CoalescingTransport(transport)
        CONNECTIONS.add(self)
        if on_connections is not None:
            on_connections(len(CONNECTIONS))

    def connection_lost(self, exc) -> None:
        CONNECTIONS.discard(self)
        if on_connections is not None:
            on_connections(len(CONNECTIONS))
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        self.transport.flush()
        super().on_response_complete()

    def socket_fd(self) -> int | None:
        """The connection's file descriptor (for :mod:`.runner`'s last answers)."""
        t = self.transport
        t = getattr(t, "transport", t)
        try:
            sock = t.get_extra_info("socket")
            return sock.fileno() if sock is not None else None
        except Exception:  # pragma: no cover
            return None
