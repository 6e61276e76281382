"""The worker pool: N processes (:mod:`.worker`), one job each at a time, killed on overrun.

A job waits for a free worker (at most ``queue_timeout`` seconds: then :class:`Busy`),
is sent over the worker's socket, and its answer awaited for at most ``timeout`` seconds.
A worker that overruns is killed with SIGKILL and replaced at once (a new process is ready
in about 0.2 s; the others go on serving meanwhile): there is no other way to stop an
Oxigraph query, and a thread that cannot be stopped would keep a core busy for as long as
the query runs.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys

from . import ipc


class QueryTimeout(Exception):
    def __init__(self, seconds: float):
        super().__init__(f"the query ran longer than the limit of {seconds:g} s and was stopped")
        self.seconds = seconds


class Busy(Exception):
    pass


class WorkerCrashed(Exception):
    pass


class _Worker:
    def __init__(self, proc: subprocess.Popen, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.proc = proc
        self.reader = reader
        self.writer = writer
        self.jobs = 0

    @classmethod
    async def spawn(cls) -> "_Worker":
        parent, child = socket.socketpair()
        env = dict(os.environ)
        src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        proc = subprocess.Popen([sys.executable, "-m", "llmkg.web.worker", str(child.fileno())],
                                pass_fds=[child.fileno()], env=env, stdin=subprocess.DEVNULL,
                                close_fds=True)
        child.close()
        reader, writer = await asyncio.open_connection(sock=parent, limit=1 << 20)
        return cls(proc, reader, writer)

    async def call(self, job) -> dict:
        self.writer.write(ipc.encode(job))
        await self.writer.drain()
        head = await self.reader.readexactly(ipc.HEADER.size)
        (n,) = ipc.HEADER.unpack(head)
        data = await self.reader.readexactly(n)
        import pickle

        self.jobs += 1
        return pickle.loads(data)

    def kill(self) -> None:
        try:
            self.proc.kill()
        except ProcessLookupError:  # pragma: no cover
            pass
        try:
            self.writer.close()
        except Exception:  # pragma: no cover
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover
            pass


class WorkerPool:
    def __init__(self, size: int):
        self.size = max(1, size)
        self._idle: asyncio.Queue[_Worker] | None = None
        self._all: set[_Worker] = set()
        self.killed = 0
        self.crashed = 0
        self.started = 0
        self.jobs = 0
        self._pending: set[asyncio.Task] = set()

    async def start(self) -> None:
        self._idle = asyncio.Queue()
        for _ in range(self.size):
            await self._add()

    async def _add(self) -> None:
        w = await _Worker.spawn()
        self.started += 1
        self._all.add(w)
        self._idle.put_nowait(w)

    def _drop(self, w: _Worker) -> None:
        self._all.discard(w)
        w.kill()

    @property
    def idle(self) -> int:
        return self._idle.qsize() if self._idle else 0

    async def run(self, job: dict, timeout: float | None, queue_timeout: float | None = None) -> dict:
        """The worker's answer ``{"ok": True, "value": ...}`` or ``{"ok": False, "status", "error"}``.

        Raises :class:`QueryTimeout`, :class:`Busy` or :class:`WorkerCrashed`.
        """
        assert self._idle is not None, "the pool is not started"
        try:
            w = await asyncio.wait_for(self._idle.get(), queue_timeout)
        except asyncio.TimeoutError:
            raise Busy(f"all {self.size} query workers are busy; try again in a moment") from None
        self.jobs += 1
        ok = False
        try:
            answer = await asyncio.wait_for(w.call(job), timeout)
            ok = True
            return answer
        except asyncio.TimeoutError:
            self.killed += 1
            raise QueryTimeout(timeout) from None
        except (asyncio.IncompleteReadError, ConnectionError, EOFError, OSError):
            self.crashed += 1
            raise WorkerCrashed("the query worker died while running the query "
                                "(out of memory?); it was replaced") from None
        except asyncio.CancelledError:
            # the request was abandoned mid-job: the worker's answer would be read by the
            # next job, so the worker cannot be reused
            raise
        finally:
            if ok:
                self._idle.put_nowait(w)
            else:
                self._drop(w)
                task = asyncio.get_running_loop().create_task(self._add())
                self._pending.add(task)
                task.add_done_callback(self._pending.discard)

    async def close(self) -> None:
        for task in list(self._pending):
            task.cancel()
        for w in list(self._all):
            self._drop(w)
        self._all.clear()

    def stats(self) -> dict:
        return {"workers": self.size, "idle": self.idle, "jobs": self.jobs,
                "killed_on_timeout": self.killed, "crashed": self.crashed,
                "pids": sorted(w.proc.pid for w in self._all)}

