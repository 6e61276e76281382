"""The store: the only module that knows how a built graph is laid out on disk.

Layout of a store directory::

    STORE/
      current -> versions/<version>     symlink, replaced atomically by a good build
      versions/<version>/db/            the Oxigraph database (RocksDB)
      versions/<version>/build.json     what was built: counts, time, warnings, inputs hash
      building-<pid>-<random>/          a build in progress (removed on failure; stale
                                        ones of dead processes are swept by the next build)
      lock                              held (flock) by the one build that may swap
      generation                        8 bytes, counts the swaps of ``current`` (see
                                        :func:`open_generation`)

A build writes aside and swaps the ``current`` link only when the new database is complete
and closed, so a failed, interrupted or killed build leaves the previous store exactly as
it was, and readers that opened the previous version keep reading it.
"""

from __future__ import annotations

import errno
import fcntl
import json
import mmap
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from pyoxigraph import Quad, RdfFormat, Store

from ..errors import StoreError

DEFAULT_STORE = Path(".llmkg") / "store"
KEEP_VERSIONS = 2


@dataclass(frozen=True)
class Version:
    id: str
    path: Path            # versions/<id>
    meta: dict

    @property
    def db(self) -> Path:
        return self.path / "db"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's process
        return True
    return True


def current_version(store_dir: str | os.PathLike) -> Version:
    """The version ``current`` points to; StoreError when there is none."""
    store_dir = Path(store_dir)
    link = store_dir / "current"
    if not link.exists():
        raise StoreError(f"no graph has been built in {store_dir} yet (run 'llmkg build')")
    target = link.resolve()
    try:
        meta = json.loads((target / "build.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"the store at {store_dir} is unreadable: {exc}") from None
    return Version(target.name, target, meta)


def open_read_only(store_dir: str | os.PathLike) -> tuple[Store, Version]:
    """Open the current version for reading. Safe while a build runs."""
    v = current_version(store_dir)
    try:
        return Store.read_only(str(v.db)), v
    except OSError as exc:
        raise StoreError(f"cannot open the store at {v.db}: {exc}") from None


def sweep(store_dir: Path) -> None:
    """Remove builds left behind by dead processes, and versions beyond the last few."""
    import shutil  # (here and below: not imported by a process that only reads a store)

    for p in store_dir.glob("building-*"):
        try:
            pid = int(p.name.split("-")[1])
        except (IndexError, ValueError):
            continue
        if not _pid_alive(pid) or pid == os.getpid():
            shutil.rmtree(p, ignore_errors=True)
    versions = store_dir / "versions"
    if not versions.is_dir():
        return
    keep = set()
    link = store_dir / "current"
    if link.exists():
        keep.add(link.resolve().name)
    olds = sorted((p for p in versions.iterdir() if p.is_dir()), key=lambda p: p.name, reverse=True)
    for p in olds[:KEEP_VERSIONS]:
        keep.add(p.name)
    for p in olds:
        if p.name not in keep:
            shutil.rmtree(p, ignore_errors=True)


@contextmanager
def build_lock(store_dir: Path) -> Iterator[None]:
    store_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(store_dir / "lock", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(f"another build is writing {store_dir}; try again when it ends") from None
        yield
    finally:
        os.close(fd)


def new_version_id(inputs_hash: str) -> str:
    """UTC time to the microsecond (so names sort in build order), then the inputs' hash."""
    now = time.time()
    return (time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f".{int(now % 1 * 1e6):06d}Z-"
            + inputs_hash[:12])


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_version(store_dir: str | os.PathLike, quads: Iterable[Quad], meta: dict,
                  extra: Iterable[tuple[bytes, RdfFormat, str]] = ()) -> Version:
    """Write a complete new version aside, then make it current.

    ``extra`` are serialized graphs to load too: (bytes, format, graph IRI).
    Any exception (KeyboardInterrupt, a full disk...) leaves ``current`` untouched.
    """
    from pyoxigraph import NamedNode

    with building(store_dir) as work:
        db = Store(str(work.db))
        db.bulk_extend(quads)
        for data, fmt, graph in extra:
            db.bulk_load(data, format=fmt, to_graph=NamedNode(graph))
        db.flush()
        named, triples = sizes(db)
        del db  # closes RocksDB before the directory moves
        return work.commit(dict(meta, counts=dict(meta.get("counts", {}), triples=triples)), named)


def sizes(db: Store) -> tuple[int, int]:
    """(quads in the named graphs, triples in the default graph) of a database."""
    triples = int(next(iter(db.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))[0].value)
    return len(db) - triples, triples


class Work:
    """A version being written aside (see :func:`building`)."""

    def __init__(self, store_dir: Path, path: Path):
        self.store_dir = store_dir
        self.path = path
        self.version: Version | None = None

    @property
    def db(self) -> Path:
        return self.path / "db"

    def commit(self, meta: dict, quads: int) -> Version:
        """Make the work directory a version and swap ``current`` to it (the database must be
        closed). ``quads``, the number of quads in the named graphs, is recorded in build.json
        (the triples of the default graph are ``meta["counts"]["triples"]``)."""
        import secrets

        store_dir, work = self.store_dir, self.path
        version_id = new_version_id(meta.get("inputs_hash", secrets.token_hex(8)))
        meta = dict(meta, version=version_id, quads=quads)
        (work / "build.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n",
                                         encoding="utf-8")
        versions = store_dir / "versions"
        versions.mkdir(exist_ok=True)
        final = versions / version_id
        if final.exists():  # two builds in the same second with the same inputs
            version_id = version_id + "-" + secrets.token_hex(2)
            final = versions / version_id
            meta["version"] = version_id
        os.rename(work, final)
        _fsync_dir(versions)
        tmp_link = store_dir / f"current.{os.getpid()}.tmp"
        if tmp_link.is_symlink() or tmp_link.exists():
            tmp_link.unlink()
        os.symlink(os.path.join("versions", version_id), tmp_link)
        os.replace(tmp_link, store_dir / "current")  # the atomic swap
        _bump_generation(store_dir)
        _fsync_dir(store_dir)
        self.version = Version(version_id, final, meta)
        return self.version


def _bump_generation(store_dir: Path) -> None:
    """Count a swap of ``current`` (under the build lock), after the swap."""
    fd = os.open(store_dir / "generation", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        old = os.pread(fd, 8, 0)
        n = int.from_bytes(old, "little") if len(old) == 8 else 0
        os.pwrite(fd, ((n + 1) % (1 << 64)).to_bytes(8, "little"), 0)
    finally:
        os.close(fd)


def open_generation(store_dir: str | os.PathLike):
    """``STORE/generation`` mapped in memory (8 bytes, read-only), or None when there is
    none yet (it is made by the first swap that counts) or it cannot be mapped.

    Every swap of ``current`` by llmkg changes these bytes after the swap, in the page
    cache that all processes share: a reader that saw the same bytes before may keep the
    version it opened, without a system call (a server checks on every request). A link
    changed by other means does not change them: readers look at the link itself from
    time to time too."""
    try:
        fd = os.open(Path(store_dir) / "generation", os.O_RDONLY)
    except OSError:
        return None
    try:
        if os.fstat(fd).st_size < 8:
            return None
        return mmap.mmap(fd, 8, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)


@contextmanager
def building(store_dir: str | os.PathLike, forget_new_store: bool = False) -> Iterator[Work]:
    """Hold the build lock and a fresh work directory ``building-<pid>-<random>/`` to write a
    version into; the caller fills ``work.db`` and calls ``work.commit(meta, quads)``.

    Leaving the block without a commit, or by an exception, removes the work directory and
    leaves ``current`` untouched. ``forget_new_store``: if the store directory did not exist
    before, remove it too when nothing was committed (a refused first build leaves no trace).
    """
    import secrets
    import shutil

    store_dir = Path(store_dir)
    existed = store_dir.exists()
    work = None
    try:
        with build_lock(store_dir):
            sweep(store_dir)
            work = Work(store_dir, store_dir / f"building-{os.getpid()}-{secrets.token_hex(4)}")
            try:
                work.path.mkdir(parents=True)
                yield work
            except OSError as exc:
                shutil.rmtree(work.path, ignore_errors=True)
                if exc.errno == errno.ENOSPC:
                    raise StoreError(f"the disk is full; the store at {store_dir} was left as it was") from None
                raise StoreError(f"cannot write the store at {store_dir}: {exc}; "
                                 "the previous version was left as it was") from None
            except BaseException:
                shutil.rmtree(work.path, ignore_errors=True)
                raise
            if work.version is None:
                shutil.rmtree(work.path, ignore_errors=True)
            else:
                sweep(store_dir)
    finally:
        if forget_new_store and not existed and (work is None or work.version is None):
            shutil.rmtree(store_dir, ignore_errors=True)
