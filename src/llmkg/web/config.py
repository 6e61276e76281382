"""The settings of one ``llmkg serve``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..vocab import DEFAULT_BASE

TOKEN_ENV = "LLMKG_UPDATE_TOKEN"


def default_workers() -> int:
    """HTTP worker processes (each runs its queries itself): one per core, at least 2 (so
    that one busy with a long query leaves another to answer), at most 8. A worker more
    than the cores only shares them: measured on 2 cores, an uncached lookup costs 5 %
    more CPU with 3 workers than with 2 (docs/architecture-web.md)."""
    return max(2, min(8, os.cpu_count() or 1))


@dataclass
class ServerConfig:
    store: Path
    queries: Path | None = None
    ontology_file: Path | None = None
    base: str = DEFAULT_BASE
    host: str = "127.0.0.1"
    port: int = 8000
    cors: bool = False
    timeout: float = 30.0              # seconds a query may run before its worker is killed
    max_rows: int = 10_000             # rows (or triples) of a result; more are cut and reported
    update_token: str | None = None    # None: read-only (SPARQL Update answered 403)
    allow_load: bool = False           # LOAD <url> in updates (the workers may then open sockets)
    workers: int = field(default_factory=default_workers)   # HTTP worker processes
    max_request_bytes: int = 1 << 20   # body of a POST, and the URL of a GET (413 / 414)
    cache_bytes: int = 64 << 20        # responses kept per store version (LRU)
    public_url: str | None = None      # how clients reach us, for SERVICE <self> (None: from Host)
    keep_alive: float = 5.0            # seconds an idle keep-alive connection stays open
    worker_memory_mb: int = 2048       # a worker past this (resident) while a query runs stops it
    extra_workers: int | None = None   # workers started while all are busy (None: as many as workers)
    log_requests: bool = False

    @property
    def worker_memory_bytes(self) -> int | None:
        return self.worker_memory_mb << 20 if self.worker_memory_mb else None

    @property
    def max_extra_workers(self) -> int:
        return self.workers if self.extra_workers is None else self.extra_workers

    @property
    def updates_enabled(self) -> bool:
        return bool(self.update_token)
