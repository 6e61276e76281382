"""Moving client connections away from a worker that is busy with a long query.

A worker runs its queries in its event-loop thread (:mod:`.runner`), so while one runs, the
other connections of that worker are not read. A keep-alive client that sends its next
request to a busy worker, or a connection the worker accepted just before the query began,
would wait for the query to end -- and get a 503 "retry" if the query then overran its
limit and the worker was stopped. Instead, soon after a query has begun
(:data:`BUSY_AFTER`), the watchdog thread hands every connection that is between two
requests to the supervisor (the socket itself, passed over a Unix socket with
``SCM_RIGHTS``); the request bytes the client sent meanwhile are still in the kernel's
buffer, unread, so they travel with it. The supervisor passes each one to a worker that
is not busy (starting an extra worker when none is free, :mod:`.server`), which serves it
as if it had accepted it. The busy worker forgets the connection without closing it for
the client (its copy of the socket is closed; the other copy lives on). When every worker
is busy and no extra one may start, the supervisor itself answers ``503`` with
``Retry-After``: a clear answer, never a reset.

Connections in the middle of a request (a head half read, an answer half written) stay
where they are.
"""

from __future__ import annotations

import array
import logging
import os
import socket
import time

log = logging.getLogger("llmkg.web")

BUSY_AFTER = 0.05      # seconds into a job after which its worker's other connections move
_MSG = b"c"


def pair() -> tuple[socket.socket, socket.socket]:
    """The supervisor's end and the worker's end of a worker's hand-off channel."""
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    for s in (a, b):
        s.setblocking(False)
    return a, b


def send_fd(chan: socket.socket, fd: int) -> bool:
    """Pass the socket ``fd`` over ``chan`` (a copy: the caller still owns ``fd``)."""
    try:
        socket.send_fds(chan, [_MSG], [fd])
        return True
    except OSError as exc:
        log.warning("could not hand a connection over: %s", exc)
        return False


def receive_fds(chan: socket.socket) -> list[int]:
    """The sockets waiting on ``chan`` (each now owned by the caller)."""
    fds: list[int] = []
    while True:
        try:
            _msg, got, _flags, _addr = socket.recv_fds(chan, 16, 16)
        except (BlockingIOError, InterruptedError):
            return fds
        except OSError:  # pragma: no cover
            return fds
        if not got and not _msg:
            return fds
        fds.extend(got)


def refuse(fd: int, workers: int) -> None:
    """The supervisor's answer on a connection no worker can take now: 503, retry. The
    request already sent is read first, so that closing does not reset the connection
    before the client has read the answer."""
    sock = socket.socket(fileno=fd)
    try:
        sock.settimeout(0.2)
        _drain(sock)
        body = (f"all {workers} worker processes are busy with long queries; "
                f"send the request again in a moment\n").encode()
        sock.sendall(b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n"
                     b"retry-after: 1\r\ncache-control: no-store\r\nconnection: close\r\n"
                     b"content-length: %d\r\n\r\n" % len(body) + body)
        sock.shutdown(socket.SHUT_WR)
        end = time.monotonic() + 0.5
        while time.monotonic() < end and sock.recv(65536):
            pass
    except OSError:
        pass
    finally:
        sock.close()


def _drain(sock: socket.socket) -> None:
    import fcntl
    import termios

    buf = array.array("i", [0])
    try:
        fcntl.ioctl(sock.fileno(), termios.FIONREAD, buf, True)
    except OSError:  # pragma: no cover
        return
    left = buf[0]
    while left > 0:
        data = sock.recv(min(left, 65536))
        if not data:
            return
        left -= len(data)


class Receiver:
    """The worker's side: sockets the supervisor passes in become connections of this
    worker, served by uvicorn's protocol like the ones it accepts itself."""

    def __init__(self, chan: socket.socket, server):
        self.chan = chan
        self.server = server     # the uvicorn.Server of this worker
        self.received = 0

    def install(self, loop) -> None:
        loop.add_reader(self.chan.fileno(), self._on_readable, loop)

    def _factory(self):
        from functools import partial

        srv = self.server
        return partial(srv.config.http_protocol_class, config=srv.config, server_state=srv.server_state,
                       app_state=srv.lifespan.state)

    def _on_readable(self, loop) -> None:
        for fd in receive_fds(self.chan):
            self.received += 1
            try:
                sock = socket.socket(fileno=fd)
                sock.setblocking(False)
            except OSError:  # pragma: no cover
                os.close(fd)
                continue
            loop.create_task(self._connect(loop, sock))

    async def _connect(self, loop, sock: socket.socket) -> None:
        try:
            await loop.connect_accepted_socket(self._factory(), sock)
        except OSError:  # the client left meanwhile
            sock.close()


__all__ = ["BUSY_AFTER", "pair", "send_fd", "receive_fds", "refuse", "Receiver"]
