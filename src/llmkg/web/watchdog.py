"""What the app does for the watchdog of :mod:`.runner` (a mixin of :class:`.app.App`):
running a job under its limits, handing the other connections over when a job runs long
(:mod:`.handoff`), and the last answers before a worker stops itself."""

from __future__ import annotations

import os

from . import handoff, jobs
from .protocol import CONNECTIONS, HANDED
from .runner import pending_input, write_all
from .http import (_REQUEST, EXPOSE, HTTPError, Request, Response, log)


class Watchdog:

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
