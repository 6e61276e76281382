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
3. exits the process (code :data:`EXIT_TIMEOUT`), which stops the query: the
   supervisor starts a replacement at once and the other workers serve meanwhile. Idle
   keep-alive connections of this process are closed, as a server may always do.

The same watchdog stops a job whose process grows past the memory limit (``--worker-memory``),
in the same way: one query cannot take the machine's memory.

Soon after a job has begun (:data:`.handoff.BUSY_AFTER`), the watchdog calls ``on_busy`` once:
the app then hands its other connections to workers that are free (:mod:`.handoff`), so that
no client waits behind this job. ``after_job`` is called in the loop's thread when a job
ends, before anything else of the loop runs (the app forgets the connections it handed over).

The watchdog and the loop thread agree through one lock, taken when a job ends: either the
job's result is used, or the watchdog's 503 is sent, never both.
"""

from __future__ import annotations

import os
import select
import threading
import time
from array import array


EXIT_TIMEOUT = 75          # a worker that stopped itself after a query overran its limit
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_bytes() -> int:
    """This process's resident memory (Linux: ``/proc/self/statm``; 0 where unknown)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        return 0


class Runner:
    def __init__(self, on_timeout=None, on_busy=None, after_job=None, memory_limit: int | None = None,
                 busy_after: float = 0.05, on_state=None):
        """``on_timeout(job_context, reason)`` is called by the watchdog for a job that overran
        its time (``reason`` "time") or the memory limit ("memory"); then the process exits.
        ``on_busy(job_context)`` is called by the watchdog once per job that runs longer than
        ``busy_after`` seconds, ``after_job()`` in the caller's thread after a job for which
        ``on_busy`` was called; ``on_state(busy)`` when a job begins and ends."""
        self.on_busy = on_busy
        self.after_job = after_job
        self.on_state = on_state
        self.memory_limit = memory_limit
        self.busy_after = busy_after
        self._busy_done: tuple | None = None   # the job on_busy was called for
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
        start = time.monotonic()
        job = self._job = (start + timeout, context, start)
        if self.on_state is not None:
            self.on_state(True)
        try:
            return fn(*args)
        finally:
            with self._lock:        # the watchdog may hold it while it answers 503
                self._job = None
                busy = self._busy_done is job
                self._busy_done = None
            if self.on_state is not None:
                self.on_state(False)
            if busy and self.after_job is not None:
                self.after_job()

    def _watch(self) -> None:
        while True:
            time.sleep(min(self._tick, self.busy_after))
            job = self._job
            if job is None:
                continue
            now = time.monotonic()
            reason = "time" if now >= job[0] else None
            if reason is None and self.memory_limit and resident_bytes() > self.memory_limit:
                reason = "memory"
            if reason is None:
                if (self.on_busy is not None and self._busy_done is not job
                        and now - job[2] >= self.busy_after):
                    with self._lock:
                        if self._job is job:
                            self._busy_done = job
                            try:
                                self.on_busy(job[1])
                            except Exception:  # pragma: no cover - never stop the watchdog
                                import logging

                                logging.getLogger("llmkg.web").exception("handing connections over failed")
                continue
            with self._lock:
                if self._job is not job:
                    continue        # it ended meanwhile
                try:
                    if self.on_timeout is not None:
                        self.on_timeout(job[1], reason)
                finally:
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
