"""Record files compiled one at a time: the unit of the streaming and the incremental build.

Compiling a file reads it, checks its form (:mod:`llmkg.records.read`), maps it to quads
(:mod:`llmkg.graph.mapping`) and finds the sources that disagree about it (:mod:`llmkg.check.validate`),
exactly as ``load_records`` + ``map_records`` + ``disagreements`` do for the whole data
directory, but for one file, in a worker process, with the quads as N-Quads bytes ready for
``Store.bulk_load``. What crosses files is decided by the caller in file order:

* a duplicate ``(kind, id)`` keeps the first record (its form problems and quads), as
  ``load_records`` does;
* a research problem is typed and labelled once per graph, with the label of the first model
  in ``(kind, id)`` order that names it, as ``map_records`` does (:class:`StreamMapper`
  returns these "minted" facts instead of emitting them).

The bytes of each compiled file are kept in a pack file next to the build's database
(``records.pack``; ``records.idx`` says where, and holds what compiling found: problems,
minted facts, quad counts, digests): the locator reads a record back from it to point a
SHACL result at its line, and the next build reuses what did not change and undoes what did
(:mod:`llmkg.build.pipeline`, incremental builds).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import pickle
import stat
from collections import OrderedDict, namedtuple
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .. import __version__
from ..records import schema
from ..graph.mapping import Mapper, TextMapper
from ..records.read import (MAX_FILE_BYTES, Problem, Record, check_record, display_path, is_regular_file,
                            record_from_bytes, too_big)

CACHE_FORMAT = 6
# a record file in the index of a store version (what the next build reuses)
Entry = namedtuple("Entry", "rel size stamp digest kind rid n_quads file id_line at length "
                            "read_problems check_problems disagreements minted")
_FILE = 7                    # Entry fields: file, and the lists of problems
_LIST_FIELDS = (11, 12, 13, 14)
CHUNK = 200  # files per task sent to a worker


@dataclass
class Compiled:
    """One record file, compiled."""

    rel: str                    # path relative to the data directory (the cache key)
    size: int
    stamp: tuple                # file_stamp(): what tells an unchanged file without reading it
    digest: str                 # sha256 of the file's bytes
    kind: str
    rid: str | None             # the record's id (None: the file could not be read as a record)
    file: str                   # the path as shown in reports
    id_line: int = 1            # the line of its id (for duplicate ids)
    read_problems: list = field(default_factory=list)    # YAML syntax, id
    check_problems: list = field(default_factory=list)   # unknown keys, types (not for duplicates)
    disagreements: list = field(default_factory=list)
    minted: list = field(default_factory=list)           # (problem IRI, graph IRI, label)
    n_quads: int = 0
    nquads: bytes = b""
    blob: bytes = b""           # the file's bytes, kept in the pack (see record_from_blob)

    def meta(self) -> tuple:
        """What the index keeps of a compiled file (the rest is in its blob)."""
        return (self.rel, self.size, self.stamp, self.digest, self.kind, self.rid, self.n_quads)


class StreamMapper(TextMapper):
    """The mapping of one record, as N-Quads: the research problems it mints are returned,
    not emitted (see :func:`minted_quads`)."""

    def __init__(self, vocabularies, base):
        super().__init__(vocabularies, base)
        self.minted: list[tuple[str, str, str]] = []

    def problem_quads(self, prob, label, g) -> None:
        self.minted.append((self._v(prob), self._v(g), label))


def minted_quads(winners: dict, base: str) -> list:
    """The quads of the research problems: ``winners`` maps (problem, graph) to its label."""
    from pyoxigraph import NamedNode

    m = Mapper(None, base)
    for (prob, graph), label in sorted(winners.items()):
        Mapper.problem_quads(m, NamedNode(prob), label, NamedNode(graph))
    m.resolved_view(0)
    return m.quads


# --- the context every file is compiled in ------------------------------------------------

@dataclass
class Context:
    data_dir: Path
    base: str
    vocabularies: object
    source_ids: set

    def key(self) -> str:
        """What a compiled file depends on besides its own bytes: llmkg's version, the
        vocabularies, the base IRI, the set of sources, and where the data is (report paths)."""
        h = hashlib.sha256(f"{__version__}|{CACHE_FORMAT}|{self.base}|{os.getcwd()}|"
                           f"{self.data_dir.resolve()}|{sorted(self.source_ids)}".encode())
        voc = self.data_dir / "vocabularies"
        if voc.is_dir():
            for f in sorted(voc.iterdir()):
                if is_regular_file(f):
                    h.update(f.name.encode())
                    h.update(f.read_bytes())
        return h.hexdigest()


def make_context(data_dir: Path, base: str, files: list | None = None) -> Context:
    from ..records.vocabularies import load_vocabularies

    data_dir = Path(data_dir)
    files = list_files(data_dir) if files is None else files
    source_ids = {os.path.splitext(os.path.basename(p))[0] for p, kind, _rel in files if kind == "source"}
    return Context(data_dir, base, load_vocabularies(data_dir, base=base), source_ids)


def list_files(data_dir: Path) -> list[tuple[str, str, str]]:
    """(path, kind, path relative to data_dir) of every record file, in the order of
    ``records.record_files`` (which this lists faster: one directory read, no stat per file,
    paths as strings)."""
    out = []
    for kind, (folder, _cls) in schema.KINDS.items():
        d = os.path.join(str(data_dir), folder)
        if not os.path.isdir(d):
            continue
        names = []
        with os.scandir(d) as it:
            for e in it:   # (a symbolic link or a FIFO is listed: compile_file skips it, saying so)
                if e.name.endswith((".yaml", ".yml")) and not e.is_dir(follow_symlinks=False):
                    names.append(e.name)
        for name in sorted(names):
            out.append((os.path.join(d, name), kind, f"{folder}/{name}"))
    return out


def compile_file(path: Path | str, kind: str, rel: str, ctx: Context) -> Compiled:
    from ..check.validate import record_disagreements

    try:   # (os-level: a third of pathlib's cost) a regular file only: no link, no FIFO
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return _skipped(path, kind, rel)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            fd = None
            return _skipped(path, kind, rel)
        chunks = [os.read(fd, min(st.st_size, MAX_FILE_BYTES) + 1)]
        got = len(chunks[0])
        while chunks[-1] and got <= MAX_FILE_BYTES:   # (a file that grows while it is read)
            chunks.append(os.read(fd, 1 << 16))
            got += len(chunks[-1])
    finally:
        if fd is not None:
            os.close(fd)
    if got > MAX_FILE_BYTES:
        file = display_path(path)
        return Compiled(rel, st.st_size, file_stamp(st), hashlib.sha256(b"too big %d" % got).hexdigest(), kind,
                        None, file, read_problems=[too_big(file, max(got, st.st_size))])
    data = b"".join(chunks)
    digest = hashlib.sha256(data).hexdigest()
    rec, problems = record_from_bytes(data, display_path(path), os.path.basename(path), kind)

    c = Compiled(rel, st.st_size, file_stamp(st), digest, kind, rec.id if rec else None,
                 rec.file if rec else display_path(path), read_problems=problems, blob=data)
    if rec is None:
        return c
    c.id_line = rec.line("id")
    check_record(rec, c.check_problems, ctx.source_ids)
    m = StreamMapper(ctx.vocabularies, ctx.base)
    m.record(rec)
    c.minted = m.minted
    c.n_quads = len(m.quads)
    c.nquads = m.nquads()
    c.disagreements = record_disagreements(rec, ctx.vocabularies)
    return c


def file_stamp(st: os.stat_result) -> tuple:
    """(mtime, ctime, inode) of a file: an incremental build reads again a file whose size or
    stamp changed. The ctime and the inode catch an edit that put the mtime back (touch -d,
    a copy with its times kept), which only the content's hash would otherwise tell."""
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _skipped(path, kind: str, rel: str) -> Compiled:
    """A record file name that is not a regular file: a Warning, nothing read."""
    from ..records.read import not_regular

    try:
        st = os.lstat(path)
        size, mtime = st.st_size, file_stamp(st)
    except OSError:
        size, mtime = -1, ()
    why = not_regular(path)
    return Compiled(rel, size, mtime, hashlib.sha256(why.encode()).hexdigest(), kind, None, display_path(path),
                    read_problems=[Problem(display_path(path), 1, "Warning", "", f"{os.path.basename(path)} {why}")])


def record_from_blob(blob: bytes, path: Path | str, kind: str) -> Record | None:
    """The record a file's bytes held (read as when it was compiled: same lines, same path)."""
    return record_from_bytes(blob, display_path(path), os.path.basename(path), kind)[0]


def remap(rec: Record, ctx: Context) -> tuple[bytes, int, list]:
    """The N-Quads, quad count and minted facts of a record (to undo it in a later build)."""
    m = StreamMapper(ctx.vocabularies, ctx.base)
    m.record(rec)
    return m.nquads(), len(m.quads), m.minted


# --- compiling many files in worker processes ----------------------------------------------

_CTX: Context | None = None


def _die_with_parent() -> None:
    """A compile worker ends when the build process does, even by SIGKILL (Linux:
    PR_SET_PDEATHSIG), instead of living on until it writes to a closed pipe."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):   # pragma: no cover - not Linux
        return
    if os.getppid() == 1:   # the parent died before the call
        os._exit(1)


def _init(ctx: Context) -> None:
    global _CTX
    import gc

    _die_with_parent()
    _CTX = ctx
    gc.freeze()  # the context is long-lived: keep the collector from scanning it


def _work(chunk: list) -> list[Compiled]:
    from ..graph.mapping import N

    out = [compile_file(Path(p), kind, rel, _CTX) for p, kind, rel in chunk]
    N.cache_clear()  # record IRIs are not reused across files: keep the cache small
    return out


def compile_files(files: list[tuple[Path, str, str]], ctx: Context, workers: int | None = None
                  ) -> Iterator[Compiled]:
    """Compile ``files`` in worker processes; yields in the order of ``files``."""
    # one more worker than cores: the main process, which feeds the bulk loader, often waits,
    # and its core is then the extra worker's (100k records on 2 cores: 40 s rather than 47 s)
    workers = workers or int(os.environ.get("LLMKG_BUILD_WORKERS", "0")) or min((os.cpu_count() or 1) + 1, 8)
    chunks = [[(str(p), k, r) for p, k, r in files[i:i + CHUNK]] for i in range(0, len(files), CHUNK)]
    if workers <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            for p, k, r in chunk:
                yield compile_file(Path(p), k, r, ctx)
        return
    import multiprocessing as mp

    from collections import deque

    mpctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    with mpctx.Pool(workers, initializer=_init, initargs=(ctx,)) as pool:
        # a few chunks in flight, not all: compiled files wait in the workers, not in memory,
        # when the consumer (the bulk loader) is slower than the workers
        todo = iter(chunks)
        pending = deque(pool.apply_async(_work, (c,)) for c in itertools.islice(todo, 4 * workers + 2))
        while pending:
            batch = pending.popleft().get()
            nxt = next(todo, None)
            if nxt is not None:
                pending.append(pool.apply_async(_work, (nxt,)))
            yield from batch


# --- the pack of blobs ----------------------------------------------------------------------

class Pack:
    """Blobs appended to ``records.pack``; the index (``records.idx``) says where each is."""

    def __init__(self, directory: Path, mode: str = "r"):
        self.path = Path(directory) / "records.pack"
        self.mode = mode
        self._f = open(self.path, "ab" if mode == "a" else "rb")
        self.offset = self._f.seek(0, os.SEEK_END) if mode == "a" else 0

    def append(self, blob: bytes) -> tuple[int, int]:
        at = self.offset
        self._f.write(blob)
        self.offset += len(blob)
        return at, len(blob)

    def read(self, at: int, length: int) -> bytes:
        if self.mode == "a":
            self._f.flush()
            with open(self.path, "rb") as f:
                f.seek(at)
                return f.read(length)
        self._f.seek(at)
        return self._f.read(length)

    def close(self) -> None:
        self._f.close()


def save_index(directory: Path, index: dict) -> None:
    """Write the index, its entries by column (a list per field; the lists of problems, mostly
    empty, as {position: list}; the file paths as the data directory's prefix when they are
    that and the relative path): a hundred thousand entries as tuples of small objects took
    a second or more to pickle and to read back, columns a tenth of that."""
    entries = list(index.get("entries", ()))
    cols = [list(c) for c in zip(*entries)] if entries else []
    packed: dict = {"n": len(entries), "cols": cols, "sparse": {}, "prefix": None}
    if cols:
        for i in _LIST_FIELDS:
            packed["sparse"][i] = {j: v for j, v in enumerate(cols[i]) if v}
            cols[i] = None
        rels, files = cols[0], cols[_FILE]
        first = files[0]
        prefix = first[: len(first) - len(rels[0])] if first.endswith(rels[0]) else None
        if prefix is not None and all(f == prefix + r for f, r in zip(files, rels)):
            packed["prefix"] = prefix
            cols[_FILE] = None
    index = dict(index, entries=packed)
    tmp = Path(directory) / "records.idx.tmp"
    with open(tmp, "wb") as f:
        pickle.dump(index, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, Path(directory) / "records.idx")


def load_index(directory: Path) -> dict | None:
    try:
        with open(Path(directory) / "records.idx", "rb") as f:
            index = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, AttributeError, ImportError):   # (a class renamed since)
        return None
    if not isinstance(index, dict) or index.get("format") != CACHE_FORMAT:
        return None
    packed = index.get("entries") or {"n": 0}
    n, cols = packed["n"], packed.get("cols") or []
    if n:
        for i, sparse in packed["sparse"].items():
            col = [[]] * n  # (shared empty lists: entries are read, never changed in place)
            for j, v in sparse.items():
                col[j] = v
            cols[i] = col
        if cols[_FILE] is None:
            prefix = packed["prefix"]
            cols[_FILE] = [prefix + r for r in cols[0]]
    index["entries"] = list(map(Entry._make, zip(*cols))) if n else []
    return index


class LazyRecords:
    """``(kind, id) -> Record``, read back from the pack when asked (an LRU keeps a few)."""

    def __init__(self, pack: Pack, where: dict, data_dir: Path, size: int = 4096):
        self.pack = pack
        self.where = where          # (kind, id) -> (offset, length, path relative to data_dir)
        self.data_dir = Path(data_dir)
        self.size = size
        self._cache: OrderedDict = OrderedDict()

    def get(self, key, default=None):
        rec = self._cache.get(key)
        if rec is not None:
            self._cache.move_to_end(key)
            return rec
        loc = self.where.get(key)
        if loc is None:
            return default
        at, length, rel = loc
        rec = record_from_blob(self.pack.read(at, length), self.data_dir / rel, key[0])
        self._cache[key] = rec
        if len(self._cache) > self.size:
            self._cache.popitem(last=False)
        return rec

    def __getitem__(self, key):
        rec = self.get(key)
        if rec is None:
            raise KeyError(key)
        return rec

    def __contains__(self, key) -> bool:
        return key in self.where

    def __len__(self) -> int:
        return len(self.where)


class LazyRecordSet:
    """What :class:`llmkg.check.validate.Locator` needs of a RecordSet: ``index()``."""

    def __init__(self, records: LazyRecords):
        self._records = records

    def index(self) -> LazyRecords:
        return self._records
