"""What a long build shows on a terminal: its steps, and how far the long ones have got.

A build calls ``step(message)`` when it starts a step and ``step.progress(done, total)``
while a counted step runs (records mapped, shape units validated). :class:`StepPrinter`
writes the steps one per line to a stream; on a terminal it also redraws the current line
with a bar, the count and an estimate of the time left, at most ten times a second, so
that a million-record build does not look hung. Off a terminal (logs, CI) it writes the
steps only: no carriage returns in files.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 24  # characters of the bar


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def render(message: str, done: int, total: int, elapsed: float) -> str:
    """One progress line, e.g. ``  mapping [######------] 50,000/100,000 (50%), 40 s left``."""
    total = max(total, 1)
    done = min(max(done, 0), total)
    filled = WIDTH * done // total
    bar = "#" * filled + "-" * (WIDTH - filled)
    line = f"  {message} [{bar}] {done:,}/{total:,} ({100 * done // total}%)"
    if 0 < done < total and elapsed >= 1.0:
        line += f", {_duration(elapsed * (total - done) / done)} left"
    return line


class StepPrinter:
    """``step(message)`` and ``step.progress(done, total)`` for :func:`llmkg.build.pipeline.build`."""

    def __init__(self, stream: TextIO | None = None, tty: bool | None = None, interval: float = 0.1,
                 clock=time.monotonic):
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.interval = interval
        self.clock = clock
        self.message = ""
        self.started = 0.0
        self._drawn = 0.0
        self._width = 0  # of the progress line on screen, 0 when there is none

    def __call__(self, message: str) -> None:
        self._clear()
        self.message = message
        self.started = self.clock()
        self._drawn = 0.0
        self.stream.write(f"  {message}...\n")
        self.stream.flush()

    def progress(self, done: int, total: int) -> None:
        if not self.tty or total <= 0:
            return
        now = self.clock()
        if done < total and now - self._drawn < self.interval:
            return
        self._drawn = now
        line = render(self.message, done, total, now - self.started)
        pad = max(0, self._width - len(line))
        self.stream.write("\r" + line + " " * pad)
        self.stream.flush()
        self._width = len(line)

    def close(self) -> None:
        """Take the progress line off the screen (before the build's summary is printed)."""
        self._clear()

    def _clear(self) -> None:
        if self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0
