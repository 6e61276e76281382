"""Running a job (a query, an entity page, an update) in the worker process, with a time
limit that cannot be ignored.

Oxigraph cannot cancel a query and pyoxigraph has no timeout. The job runs in the event
loop's thread (no hand-off to another thread or process on the way of a request); a
watchdog thread checks its deadline. When a job overruns, the watchdog:

1. writes the 503 answer (with ``Connection: close``) to the request's connection: the
   status and headers of a successful answer are only ever sent once its whole body is
   computed, so this connection has nothing of this request on it yet;
2. answers ``503 Service Unavailable`` (retry) to every other connection of the process
   on which a request is waiting (requests that arrived while the loop was blocked);
3. exits the process (code :data:`.server.EXIT_TIMEOUT`), which stops the query: the
   supervisor starts a replacement at once and the other workers serve meanwhile. Idle
   keep-alive connections of this process are closed, as a server may always do.

The watchdog and the loop thread agree through one lock, taken when a job ends: either the
job's result is used, or the watchdog's 503 is sent, never both.
"""

from __future__ import annotations

import os
import select
import threading
import time
from array import array


class Runner:
    def __init__(self, on_timeout=None):
        """``on_timeout(job_context)`` is called by the watchdog for a job that overran
        (then the process exits)."""
        self._lock = threading.Lock()
        self._job: tuple | None = None      # (deadline, context)
        self._thread: threading.Thread | None = None
        self._tick = 0.1
        self.on_timeout = on_timeout
        self.jobs = 0
        self._timeout: float | None = None   # the last time limit the watchdog was set for

    def _ensure_watchdog(self, timeout: float) -> None:
        self._timeout = timeout
        self._tick = min(self._tick, max(0.005, timeout / 40))
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="llmkg-watchdog", daemon=True)
            self._thread.start()

    def run(self, fn, timeout: float, context=None, *args):
        """``fn(*args)`` in this thread; if it runs longer than ``timeout`` seconds the
        process answers 503 and exits (the call never returns)."""
        if timeout != self._timeout:
            self._ensure_watchdog(timeout)
        self.jobs += 1
        self._job = (time.monotonic() + timeout, context)
        try:
            return fn(*args)
        finally:
            with self._lock:        # the watchdog may hold it while it answers 503
                self._job = None

    def _watch(self) -> None:
        while True:
            time.sleep(self._tick)
            job = self._job
            if job is None or time.monotonic() < job[0]:
                continue
            with self._lock:
                if self._job is not job:
                    continue        # it ended meanwhile
                try:
                    if self.on_timeout is not None:
                        self.on_timeout(job[1])
                finally:
                    from .server import EXIT_TIMEOUT

                    os._exit(EXIT_TIMEOUT)


def write_all(fd: int, data: bytes, seconds: float = 2.0) -> bool:
    """Write ``data`` to a (non-blocking) socket, waiting at most ``seconds``."""
    end = time.monotonic() + seconds
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
            view = view[n:]
        except BlockingIOError:
            left = end - time.monotonic()
            if left <= 0:
                return False
            select.select([], [fd], [], left)
        except OSError:
            return False
    return True


def pending_input(fd: int) -> int:
    """Bytes received on a socket and not read yet."""
    import fcntl
    import termios

    buf = array("i", [0])
    try:
        fcntl.ioctl(fd, termios.FIONREAD, buf, True)
    except OSError:
        return 0
    return buf[0]
