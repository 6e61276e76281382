"""Run the app: a supervisor process and N HTTP worker processes (prefork).

The supervisor binds the socket (so ``--port 0`` works and the address is printed before
the first request), forks ``cfg.workers`` processes that each run the ASGI app under
uvicorn on that shared socket, and replaces any that exits: a worker whose query overran
``--timeout`` answers 503 and exits (Oxigraph cannot cancel a query; :mod:`.runner`), one
that crashed is replaced too. Workers die with the supervisor (``PR_SET_PDEATHSIG``).

Each worker runs its queries itself, in the event-loop thread: no hand-off between
processes or threads on the way of a request. A worker busy with a query does not accept
connections, so new ones go to the idle workers.
"""

from __future__ import annotations

import errno
import gc
import logging
import mmap
import os
import signal
import socket
import struct
import sys
import tempfile
import time

from ..errors import LlmkgError
from .config import ServerConfig
from .runner import EXIT_TIMEOUT

log = logging.getLogger("llmkg.web")

MAX_SLOTS = 256


def _loop_and_http() -> tuple[str, object]:
    try:
        import uvloop  # noqa: F401
        loop = "uvloop"
    except ImportError:  # pragma: no cover - Windows, or not installed
        loop = "asyncio"
    try:
        import httptools  # noqa: F401

        from .protocol import HttpProtocol
        http: object = HttpProtocol
    except ImportError:  # pragma: no cover
        http = "h11"
    return loop, http


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        shown = f"[{host}]" if ":" in host else host
        if exc.errno == errno.EADDRINUSE:
            raise LlmkgError(f"port {port} on {shown} is in use; try --port (0 picks a free one)") from None
        if exc.errno == errno.EACCES:
            raise LlmkgError(f"no permission to listen on port {port}; try a port above 1023 with --port") from None
        raise LlmkgError(f"cannot listen on {shown}:{port}: {exc.strerror}") from None
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


class SharedStats:
    """Counters shared by the supervisor and its workers (an anonymous shared mapping made
    before the fork): per worker slot its pid, the queries it stopped on a timeout (written
    by the worker itself, before it answers 503), the crashes (written by the supervisor),
    its open connections and since when it has been busy with a job (written by the worker;
    0: idle). Every field has one writer, so no lock is needed. A slot without a worker
    counts :data:`NO_WORKER` connections, so that it is never the least busy one."""

    _SLOT = struct.Struct("=qqqq")   # pid, timeouts, crashes, started
    NO_WORKER = 1 << 40

    def __init__(self, slots: int):
        self.slots = max(1, min(slots, MAX_SLOTS))
        self._mem = mmap.mmap(-1, (self._SLOT.size + 16) * self.slots)
        # the open connections of each slot, after the slots: read at once by crowded()
        base = self._SLOT.size * self.slots
        self._conns = memoryview(self._mem)[base:base + 8 * self.slots].cast("q")
        self._busy = memoryview(self._mem)[base + 8 * self.slots:].cast("q")
        for i in range(self.slots):
            self._conns[i] = self.NO_WORKER

    def _get(self, i: int) -> list[int]:
        return list(self._SLOT.unpack_from(self._mem, i * self._SLOT.size))

    def _set(self, i: int, rec: list[int]) -> None:
        self._SLOT.pack_into(self._mem, i * self._SLOT.size, *rec)

    def started(self, i: int, pid: int) -> None:
        rec = self._get(i)
        rec[0], rec[3] = pid, rec[3] + 1
        self._set(i, rec)
        self._conns[i] = 0
        self._busy[i] = 0

    def stopped(self, i: int) -> None:
        """Slot ``i`` has no worker now (an extra one that was not replaced)."""
        rec = self._get(i)
        rec[0] = 0
        self._set(i, rec)
        self._conns[i] = self.NO_WORKER
        self._busy[i] = 0

    def timed_out(self, i: int) -> None:
        rec = self._get(i)
        rec[1] += 1
        self._set(i, rec)

    def crashed(self, i: int) -> None:
        rec = self._get(i)
        rec[2] += 1
        self._set(i, rec)

    def set_connections(self, i: int, n: int) -> None:
        self._conns[i] = n

    def set_busy(self, i: int, busy: bool) -> None:
        self._busy[i] = time.monotonic_ns() if busy else 0

    def busy_since(self, i: int) -> int:
        """``time.monotonic_ns()`` when the job of slot ``i`` began (0: idle)."""
        return self._busy[i]

    def connections(self, i: int) -> int:
        return self._conns[i]

    def crowded(self, i: int, n: int) -> bool:
        """Whether worker ``i``, with ``n`` connections, has more than one more than the
        least busy worker (then it closes keep-alive connections after their answer, and
        the clients reconnect to whichever worker is free)."""
        if self.slots == 1:
            return False
        return n > 1 + min(self._conns)

    def summary(self) -> dict:
        recs = [self._get(i) for i in range(self.slots)]
        return {"workers": sum(1 for r in recs if r[0]), "slots": self.slots,
                "pids": sorted(r[0] for r in recs if r[0]),
                "connections": [c for c in self._conns.tolist() if c != self.NO_WORKER],
                "busy": sum(1 for i in range(self.slots) if self._busy[i]),
                "killed_on_timeout": sum(r[1] for r in recs), "crashed": sum(r[2] for r in recs),
                "started": sum(r[3] for r in recs)}


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
        except OSError:  # pragma: no cover
            pass


def _run_worker(cfg: ServerConfig, sock: socket.socket, slot: int, stats: SharedStats,
                ready_fd: int | None, update_lock: str, chan: socket.socket | None = None) -> None:
    """One HTTP worker process: the app under uvicorn on the shared socket. ``chan`` is its
    end of the hand-off channel with the supervisor (:mod:`.handoff`)."""
    import uvicorn

    from .app import create_app

    # libuv accepts one connection per wake-up, so that the connections of a burst are
    # spread over the workers instead of all going to the first one awake
    os.environ["UV_TCP_SINGLE_ACCEPT"] = "1"
    app = create_app(cfg, slot=slot, stats=stats, update_lock=update_lock, handoff=chan)
    from . import protocol

    protocol.on_connections = lambda n: stats.set_connections(slot, n)
    if ready_fd is not None:
        def on_ready():
            try:
                os.write(ready_fd, b"r")
            except OSError:  # pragma: no cover
                pass
        app.on_ready = on_ready
    loop, http = _loop_and_http()
    config = uvicorn.Config(app, loop=loop, http=http, lifespan="on", log_level="warning",
                            access_log=False, server_header=False, proxy_headers=False,
                            timeout_keep_alive=cfg.keep_alive, timeout_graceful_shutdown=5,
                            h11_max_incomplete_event_size=cfg.max_request_bytes)
    # What was imported before the fork stays for the worker's life: keep the garbage
    # collector from scanning it again and again, and let it run less often (a request
    # makes a few hundred short-lived objects, freed by reference counting anyway).
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)
    server = uvicorn.Server(config)
    if chan is not None:
        from .handoff import Receiver

        app.receiver = Receiver(chan, server)
    server.run(sockets=[sock])


EXTRA_AFTER = 0.2       # seconds every worker has been busy before an extra one starts
EXTRA_IDLE = 10.0       # seconds an extra worker stays without work before it is stopped
TICK = 0.05             # the supervisor's loop


class Supervisor:
    """Starts the workers and replaces those that exit; passes the connections a busy
    worker hands over to one that is free (:mod:`.handoff`); starts up to
    ``cfg.max_extra_workers`` extra workers while every worker is busy with a long job
    (and stops them once idle), and answers 503 itself when none can start."""

    def __init__(self, cfg: ServerConfig, sock: socket.socket):
        from . import handoff

        self.cfg = cfg
        self.sock = sock
        self.n = max(1, min(cfg.workers, MAX_SLOTS))
        self.slots = max(self.n, min(self.n + max(0, cfg.max_extra_workers), MAX_SLOTS))
        self.stats = SharedStats(self.slots)
        fd, self.update_lock = tempfile.mkstemp(prefix="llmkg-serve-update-", suffix=".lock")
        os.close(fd)
        self.ready_r, self.ready_w = os.pipe()
        os.set_blocking(self.ready_r, False)
        # both ends stay open here: what is sent to a worker that dies waits for the next one
        self.chans = [handoff.pair() for _ in range(self.slots)]
        self.pids: dict[int, int] = {}          # pid -> slot
        self.slot_pid: dict[int, int] = {}      # slot -> pid
        self.born: dict[int, float] = {}        # slot -> when its worker started
        self.active: dict[int, float] = {}      # extra slot -> when it last had work
        self.retiring: set[int] = set()
        self.quick_deaths = 0
        self.stopping = False
        self.handed = self.refused = self.extras_started = 0
        self._last_extra = 0.0

    def spawn(self, slot: int) -> None:
        pid = os.fork()
        if pid == 0:   # the worker
            code = 0
            try:
                os.close(self.ready_r)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                _die_with_parent()
                if os.getppid() == 1:   # the supervisor died between fork and prctl
                    os._exit(1)
                chan = self.chans[slot][1]
                for i, (mine, theirs) in enumerate(self.chans):
                    mine.close()
                    if i != slot:
                        theirs.close()
                if not self.cfg.allow_load:
                    # the second barrier: no socket but AF_UNIX from here on (netguard.py)
                    from . import netguard

                    netguard.install()
                _run_worker(self.cfg, self.sock, slot, self.stats, self.ready_w, self.update_lock, chan)
            except BaseException:  # pragma: no cover - reported, then the worker is replaced
                logging.getLogger("llmkg.web").exception("worker %d failed", slot)
                code = 1
            finally:
                os._exit(code)
        self.pids[pid] = slot
        self.slot_pid[slot] = pid
        self.born[slot] = self.active[slot] = time.monotonic()
        self.stats.started(slot, pid)

    def _drain_ready(self) -> int:
        n = 0
        while True:
            try:
                data = os.read(self.ready_r, 4096)
            except BlockingIOError:
                return n
            if not data:  # pragma: no cover
                return n
            n += len(data)

    def start(self, timeout: float = 120.0) -> None:
        for slot in range(self.n):
            self.spawn(slot)
        ready, deadline = 0, time.monotonic() + timeout
        while ready < self.n:
            ready += self._drain_ready()
            if ready >= self.n:
                break
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:  # pragma: no cover
                pid = 0
            if pid:
                raise RuntimeError(f"a worker exited while starting "
                                   f"(status {os.waitstatus_to_exitcode(status)})")
            if time.monotonic() > deadline:
                raise RuntimeError("the workers did not start in time")
            time.sleep(0.01)

    def supervise(self) -> None:
        """Until SIGTERM/SIGINT: replace workers that exit, pass handed-over connections on,
        start and stop extra workers."""
        import select

        watched = [mine for mine, _ in self.chans] + [self.ready_r]
        self.sock.setblocking(False)
        while not self.stopping:
            # when every worker is busy and no extra one may start, new connections are
            # answered here (503, retry) rather than left waiting for the time limit
            saturated = self._saturated()
            try:
                ready, _, _ = select.select(watched + [self.sock] if saturated else watched, [], [], TICK)
            except InterruptedError:  # pragma: no cover
                ready = []
            self._drain_ready()
            self._reap()
            self._pass_on()
            self._scale()
            if saturated and self.sock in ready and self._saturated():
                self._refuse_new()

    def _saturated(self) -> bool:
        return self._busy_for() >= EXTRA_AFTER and self._extra_slot() is None

    def _refuse_new(self) -> None:
        from . import handoff

        for _ in range(64):
            try:
                conn, _addr = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # pragma: no cover - e.g. out of descriptors
                return
            self.refused += 1
            handoff.refuse(conn.detach(), len(self.slot_pid))

    def _busy_for(self) -> float:
        """How long every worker has been busy with a job (0: one is free)."""
        now = time.monotonic()
        busy_for = None
        for slot in self.slot_pid:
            if slot in self.retiring:
                continue
            since = self.stats.busy_since(slot)
            if not since:
                return 0.0
            age = now - since / 1e9
            busy_for = age if busy_for is None else min(busy_for, age)
        return busy_for or 0.0

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:  # pragma: no cover
                return
            if not pid:
                return
            slot = self.pids.pop(pid, None)
            if slot is None or self.stopping:
                continue
            self.slot_pid.pop(slot, None)
            code = os.waitstatus_to_exitcode(status)
            if code == EXIT_TIMEOUT:
                log.warning("worker %d stopped a query over its time or memory limit; %s", pid,
                            "replacing it" if slot < self.n else "not replacing it (an extra one)")
            elif slot in self.retiring:
                pass
            else:
                self.stats.crashed(slot)
                log.error("worker %d exited (status %s); replacing it", pid, code)
            self.retiring.discard(slot)
            if slot >= self.n:             # an extra worker: started again only when needed
                self.stats.stopped(slot)
                continue
            # a worker that cannot even start would be restarted in a tight loop: slow down
            if time.monotonic() - self.born.get(slot, 0) < 1.0:
                self.quick_deaths += 1
                time.sleep(min(5.0, 0.1 * self.quick_deaths))
            else:
                self.quick_deaths = 0
            self.spawn(slot)

    def _free_worker(self) -> int | None:
        """A slot whose worker is idle or only just began a job (it serves the connection
        as soon as that ends; a longer job hands it on again): the one with the fewest
        connections. None when every worker is in a job longer than that."""
        from .handoff import BUSY_AFTER

        now = time.monotonic_ns()
        best = best_key = None
        for slot in self.slot_pid:
            if slot in self.retiring:
                continue
            since = self.stats.busy_since(slot)
            if since and now - since >= BUSY_AFTER * 1e9:
                continue
            key = (bool(since), self.stats.connections(slot))
            if best is None or key < best_key:
                best, best_key = slot, key
        return best

    def _extra_slot(self) -> int | None:
        for slot in range(self.n, self.slots):
            if slot not in self.slot_pid:
                return slot
        return None

    def _start_extra(self) -> int | None:
        slot = self._extra_slot()
        if slot is None:
            return None
        self.spawn(slot)
        self.extras_started += 1
        self._last_extra = time.monotonic()
        log.info("every worker is busy: started an extra one (%d of at most %d)",
                 len(self.slot_pid) - self.n, self.slots - self.n)
        return slot

    def _pass_on(self) -> None:
        from . import handoff

        for mine, _ in self.chans:
            for fd in handoff.receive_fds(mine):
                slot = self._free_worker()
                if slot is None:
                    slot = self._start_extra()
                if slot is None:
                    self.refused += 1
                    handoff.refuse(fd, len(self.slot_pid))
                    continue
                self.handed += 1
                self.active[slot] = time.monotonic()
                if not handoff.send_fd(self.chans[slot][0], fd):  # pragma: no cover
                    handoff.refuse(fd, len(self.slot_pid))
                os.close(fd)

    def _scale(self) -> None:
        now = time.monotonic()
        for slot in self.slot_pid:
            if slot >= self.n and (self.stats.busy_since(slot) or self.stats.connections(slot)):
                self.active[slot] = now
        if self._busy_for() >= EXTRA_AFTER and now - self._last_extra >= EXTRA_AFTER:
            self._start_extra()
        for slot in list(self.slot_pid):
            if (slot >= self.n and slot not in self.retiring and now - self.active.get(slot, now) > EXTRA_IDLE):
                self.retiring.add(slot)
                try:
                    os.kill(self.slot_pid[slot], signal.SIGTERM)   # uvicorn's graceful shutdown
                except ProcessLookupError:  # pragma: no cover
                    pass

    def stop(self) -> None:
        self.stopping = True
        for pid in list(self.pids):
            try:
                os.kill(pid, signal.SIGTERM)   # uvicorn's graceful shutdown
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 8
        while self.pids and time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid:
                self.pids.pop(pid, None)
            else:
                time.sleep(0.02)
        for pid in list(self.pids):
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        self.pids.clear()
        for pair in self.chans:
            for s in pair:
                s.close()
        try:
            os.unlink(self.update_lock)
        except OSError:  # pragma: no cover
            pass


class _Stop(Exception):
    pass


def serve(cfg: ServerConfig, ready=None) -> None:
    """Serve until SIGINT/SIGTERM. ``ready(url)`` is called once the socket listens and
    every worker has started."""
    logging.basicConfig(level=logging.INFO, format="llmkg serve: %(message)s", stream=sys.stderr)
    sock = bind(cfg.host, cfg.port)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}"
    if not hasattr(os, "fork"):  # pragma: no cover - Windows: one process, no replacement
        stats = SharedStats(1)
        fd, lock = tempfile.mkstemp(prefix="llmkg-serve-update-", suffix=".lock")
        os.close(fd)
        _run_worker(cfg, sock, 0, stats, None, lock)
        return
    # import in the supervisor what every worker needs, so that a worker starts at once
    import uvicorn  # noqa: F401

    from . import app, jobs  # noqa: F401

    sup = Supervisor(cfg, sock)

    def on_signal(signum, frame):
        if not sup.stopping:
            sup.stopping = True
            raise _Stop

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        sup.start()
        if ready is not None:
            ready(url)
        sup.supervise()
    except _Stop:
        pass
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        sup.stop()
        sock.close()


__all__ = ["serve", "bind", "Supervisor", "SharedStats", "EXIT_TIMEOUT"]
