"""``llmkg build``: read, map, validate, write aside, swap. And ``llmkg validate``.

The pipeline streams: record files are compiled (read, form-checked, mapped to N-Quads) in
worker processes (:mod:`llmkg.build.compiled`), in file order, and their N-Quads loaded into the new
version's database by ``Store.bulk_load`` in pieces, while the compile goes on
(:class:`_ParallelLoad`); no list of all quads is ever held. Validation then runs on that
database (:mod:`llmkg.check`, or pySHACL with ``engine="pyshacl"``), before the version is
made current, so a refused build leaves the store as it was.

A build reuses the previous version when it can (``incremental``): the files whose size and
stamp (modification and change times, inode: :func:`llmkg.build.compiled.file_stamp`) did not
change are not read again; the
new database is a copy of the previous one (a RocksDB checkpoint: hard links) from which the
quads of the changed records are removed and to which their new quads are added; and only
the focus nodes those quads touch are validated again, the other results being those of the
previous build (see :func:`_incremental`). The result is the same store and the same report
as a full build (tests/test_incremental.py).
"""

from __future__ import annotations

import gc
import hashlib
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .. import __version__
from ..config import Paths
from ..errors import LlmkgError, ValidationFailed
from ..graph.mapping import MappedGraph
from ..records.read import Problem, RecordSet, display_path, is_regular_file
from ..graph.store import Version, building, current_version, sizes as _sizes
from ..check.validate import ENGINES, Report
from ..vocab import CURATED_GRAPH, GRAPH, ONTOLOGY_GRAPH

KINDS = ("model", "paper", "organization", "reading-list", "source")
IN_MEMORY_FILES = 20_000  # `llmkg validate` keeps a store this small in memory


@dataclass
class Checked:
    records: RecordSet          # the data directory, form problems and files (records: see below)
    mapped: MappedGraph         # base and source graphs; quads stay in the store (quads == [])
    report: Report
    vocabularies: object
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict = field(default_factory=dict)


def _inputs_hash(paths: Paths, digests: dict[str, str]) -> str:
    """A hash of everything a build reads -- the data, the shapes, the ontology, llmkg's
    version -- from the digests of the record files computed while compiling them (the
    other files are read here: vocabularies, shapes, ontology)."""
    h = hashlib.sha256(__version__.encode())
    data = Path(paths.data)
    h.update(str(data.resolve()).encode())
    rels = []
    for top, dirs, files in os.walk(data):
        dirs.sort()
        rel_top = os.path.relpath(top, data)
        for name in files:
            rels.append(name if rel_top == "." else f"{rel_top}/{name}".replace(os.sep, "/"))
    for rel in sorted(rels):
        h.update(rel.encode())
        d = digests.get(rel)
        if d is None and not is_regular_file(data / rel):
            h.update(b"not a regular file")   # (never read: a FIFO would block)
            continue
        h.update(bytes.fromhex(d) if d else hashlib.sha256((data / rel).read_bytes()).digest())
    for f in sorted(Path(paths.shapes).glob("*.ttl")) + [Path(paths.ontology)]:
        h.update(str(f.relative_to(f.anchor)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


@contextmanager
def _young_collections_only():
    """Python's collector of reference cycles without its full collections, for a build.

    A build keeps hundreds of thousands of objects alive (an entry per record file, the
    validation results, ...), and a full collection walks every one of them; as they grow,
    Python runs one each time the survivors grow by a quarter: at 100k records, 15 of them,
    3.4 s of the main process holding the GIL that the validation threads and the feeder of
    the bulk loader need. The young generations are still collected (almost all the cycles
    a build makes die young: 135k of the 146k objects collected at 100k records)."""
    t0, t1, t2 = gc.get_threshold()
    gc.set_threshold(t0, t1, 1 << 30)
    try:
        yield
    finally:
        gc.set_threshold(t0, t1, t2)


def check(paths: Paths, run_shacl: bool = True, step: Callable[[str], None] | None = None,
          engine: str = "fast") -> Checked:
    """Load, map and validate the records of ``paths.data`` (in a temporary store)."""
    import tempfile

    _check_engine(engine)
    data = _data_dir(paths)
    from .compiled import list_files

    in_memory = len(list_files(data)) <= IN_MEMORY_FILES
    with _young_collections_only(), tempfile.TemporaryDirectory(prefix="llmkg-validate-") as tmp:
        run = _Run(paths, Path(tmp), step or (lambda _msg: None), engine, run_shacl,
                   in_memory=in_memory)
        run.full()
        run.close()
        return run.checked


@dataclass
class BuildResult:
    version: Version
    checked: Checked
    seconds: float

    @property
    def counts(self) -> dict:
        return self.version.meta["counts"]


def build(paths: Paths, step: Callable[[str], None] | None = None, engine: str = "fast",
          incremental: bool = True) -> BuildResult:
    """Build the store from ``paths.data``. Raises ValidationFailed (store untouched) on violations.

    ``incremental``: start from the current version and redo only what changed."""
    started = time.perf_counter()
    step = step or (lambda _msg: None)
    _check_engine(engine)
    _data_dir(paths)
    with _young_collections_only(), building(paths.store, forget_new_store=True) as work:
        last = _previous(paths)
        run = _Run(paths, work.path, step, engine, True,
                   analyses=_analyses(last.path if last is not None else None))
        previous = last if incremental else None
        if previous is None or not run.incremental(previous):
            run.full()
        checked = run.checked
        report = checked.report
        if not report.conforms:
            run.close()
            raise ValidationFailed(
                f"{report.violations} violation{'s' if report.violations != 1 else ''} in "
                f"{display_path(Path(paths.data))}; the store was not changed (all problems: "
                f"llmkg validate --data {display_path(Path(paths.data))})",
                [p for p in report.sorted() if p.severity == "Violation"])
        step("writing the store")
        t0 = time.perf_counter()
        meta = {
            "llmkg": __version__,
            "inputs_hash": _inputs_hash(paths, run.digests),
            "data": str(paths.data),
            "base": paths.base,
            "counts": checked.counts,
            "warnings": report.warnings,
            "infos": report.infos,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        quads, triples = run.finish()
        meta["counts"] = dict(meta["counts"], triples=triples)
        version = work.commit(meta, quads)
        checked.timings["store"] = checked.timings.get("store", 0.0) + time.perf_counter() - t0
    return BuildResult(version, checked, time.perf_counter() - started)


def _data_dir(paths: Paths) -> Path:
    data = Path(paths.data)
    if not data.is_dir():  # as records.load_records says it
        raise LlmkgError(f"no data directory at {display_path(data)}")
    return data


def _check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise ValueError(f"unknown validation engine {engine!r} ({' or '.join(ENGINES)})")


def _previous(paths: Paths) -> Version | None:
    try:
        return current_version(paths.store)
    except Exception:  # noqa: BLE001 - no usable previous version: full build
        return None


# --- one run of the pipeline ------------------------------------------------------------------

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
MAX_CHANGED = 0.2        # an incremental build redoes at most this share of the files...
MAX_RESTRICT = 5000      # ...and revalidates at most this many focus nodes, else it is a full one

def _entry(c, at: int, length: int):
    from .compiled import Entry

    return Entry(c.rel, c.size, c.stamp, c.digest, c.kind, c.rid, c.n_quads, c.file, c.id_line,
                 at, length, c.read_problems, c.check_problems, c.disagreements, c.minted)


@dataclass
class _Summary:
    """What the record files add up to, replayed in file order as ``load_records`` reads them:
    the first record of a (kind, id) wins, later ones are duplicates."""

    where: dict          # (kind, id) -> (offset, length, rel) of its file's bytes in the pack
    form: list           # read problems, duplicate ids, check problems
    disagreements: list
    minted: list         # (kind, id, problem, graph, label)
    counts: dict
    n_quads: int         # quads of the records (not the vocabularies, not the problems)
    duplicates: set      # rel of the files that repeat a (kind, id)


def _replay(entries: list) -> _Summary:
    seen: dict = {}
    where: dict = {}
    read, dups, check, dis, minted = [], [], [], [], []
    counts = {k: 0 for k in KINDS}
    n = 0
    dup_rels = set()
    for e in entries:
        read += e.read_problems
        if e.rid is None:
            continue
        key = (e.kind, e.rid)
        first = seen.get(key)
        if first is not None:
            dups.append(Problem(e.file, e.id_line, "Violation", "id",
                                f"duplicate id '{e.rid}' (also in {first[0]}:{first[1]})"))
            dup_rels.add(e.rel)
            continue
        seen[key] = (e.file, e.id_line)
        where[key] = (e.at, e.length, e.rel)
        check += e.check_problems
        dis += e.disagreements
        counts[e.kind] += 1
        n += e.n_quads
        minted += [(e.kind, e.rid, prob, g, label) for prob, g, label in e.minted]
    return _Summary(where, read + dups + check, dis, minted, counts, n, dup_rels)


def _winners(minted: list) -> dict:
    """(problem, graph) -> label of the first model, in (kind, id) order, that names it."""
    out: dict = {}
    for _kind, _rid, prob, graph, label in sorted(minted, key=lambda m: (m[0], m[1])):
        out.setdefault((prob, graph), label)
    return out


def _shapes_key(paths: Paths, engine: str) -> str:
    from ..check.validate import shapes_text

    return hashlib.sha256(f"{engine}|{shapes_text(paths.shapes)}".encode()).hexdigest()


class _Run:
    """Compile, load, validate into ``workdir``: ``db/``, ``records.pack``, ``records.idx``."""

    def __init__(self, paths: Paths, workdir: Path, step, engine: str, run_shacl: bool,
                 in_memory: bool = False, analyses=None):
        from .compiled import list_files, make_context

        self.paths = paths
        self.analyses = analyses if analyses is not None else _analyses(None)  # check.Analyses
        self.workdir = workdir
        self.step = step
        self.engine = engine
        self.run_shacl = run_shacl
        self.in_memory = in_memory
        self.t: dict[str, float] = {}
        t0 = time.perf_counter()
        self.files = list_files(Path(paths.data))
        self.ctx = make_context(Path(paths.data), paths.base, self.files)
        self.t["list"] = time.perf_counter() - t0
        self.db = None
        self.pack = None
        self.entries: list = []   # compiled.Entry
        self.summary: _Summary | None = None
        self.vocab_quads = 0
        self.winners: dict = {}
        self.runs: list = []
        self.memo: dict = {}
        self.sizes: tuple[int, int] | None = None   # (quads in named graphs, default-graph triples)
        self.checked: Checked | None = None
        self._count = None              # the thread counting the loaded quads
        self._validator_thread = None   # the thread compiling the shapes meanwhile
        self._validator = None

    @property
    def digests(self) -> dict:
        return {e.rel: e.digest for e in self.entries}

    # the full build ----------------------------------------------------------------------------
    def full(self) -> None:
        from pyoxigraph import NamedNode, Quad, RdfFormat, Store

        from .compiled import Pack, compile_files, minted_quads

        import shutil

        paths, ctx = self.paths, self.ctx
        self.close()
        shutil.rmtree(self.workdir / "db", ignore_errors=True)  # what a refused incremental left
        (self.workdir / "records.pack").unlink(missing_ok=True)
        self.entries = []
        self.sizes = None
        self._count = None
        self.step("reading records")
        t0 = time.perf_counter()
        self._prepare_validator()
        self.db = Store() if self.in_memory else Store(str(self.workdir / "db"))
        self.pack = Pack(self.workdir, "a")
        vocab, self.vocab_quads = _vocabulary_quads(ctx)
        said_mapping = []
        seen = set()

        tick = getattr(self.step, "progress", None)
        total = len(self.files)

        loader = _ParallelLoad(self.db)
        try:
            loader.add(vocab)
            for done, c in enumerate(compile_files(self.files, ctx), 1):
                if not said_mapping:
                    said_mapping.append(True)
                    self.step("mapping")
                if tick is not None and done % 512 == 0:
                    tick(done, total)
                at, length = self.pack.append(c.blob)
                self.entries.append(_entry(c, at, length))
                if c.rid is not None and c.nquads and (c.kind, c.rid) not in seen:
                    seen.add((c.kind, c.rid))
                    loader.add(c.nquads)
            loader.finish()
        except BaseException:
            loader.close()
            self.close()   # RocksDB ends its background work before the work directory goes
            raise
        loader.close()
        if not said_mapping:
            self.step("mapping")
        if tick is not None:
            tick(total, total)
        self.t["read+map+load"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        self.summary = _replay(self.entries)
        self.winners = _winners(self.summary.minted)
        extra = minted_quads(self.winners, ctx.base)
        if extra:
            self.db.bulk_extend(extra)
        ontology = Path(paths.ontology).read_bytes()
        self.db.bulk_load(ontology, format=RdfFormat.TURTLE, to_graph=NamedNode(ONTOLOGY_GRAPH))
        self.db.bulk_extend([Quad(q.subject, q.predicate, q.object)   # (the same blank nodes)
                             for q in self.db.quads_for_pattern(None, None, None, NamedNode(ONTOLOGY_GRAPH))])
        self.db.flush()
        self.t["load"] = time.perf_counter() - t0
        if not self.in_memory:  # counted while validation runs (it takes a while on disk)
            import threading

            db = self.db
            self._count = threading.Thread(target=lambda: setattr(self, "sizes", _sizes(db)), daemon=True)
            self._count.start()
        self._validate(None)

    # the incremental build --------------------------------------------------------------------
    def incremental(self, previous: Version) -> bool:
        """Build from ``previous``; False (nothing done) when a full build is needed."""
        import shutil

        from pyoxigraph import DefaultGraph, Store

        from .compiled import Pack, compile_file, compile_files, file_stamp, load_index, minted_quads

        t0 = time.perf_counter()
        idx = load_index(previous.path)
        if (idx is None or idx.get("context") != self.ctx.key() or idx.get("ontology") != _digest(self.paths.ontology)
                or not (previous.db).is_dir() or not (previous.path / "records.pack").is_file()):
            return False
        old = {e.rel: e for e in idx["entries"]}
        now = {rel for _p, _k, rel in self.files}
        todo, kept = [], {}
        for path, kind, rel in self.files:
            e = old.get(rel)
            if e is not None and e.kind == kind:
                try:
                    st = os.lstat(path)
                except OSError:
                    todo.append((path, kind, rel))
                    continue
                if st.st_size == e.size and file_stamp(st) == e.stamp:
                    kept[rel] = e
                    continue
            todo.append((path, kind, rel))
        removed = [old[rel] for rel in old if rel not in now]
        if len(todo) + len(removed) > max(20, MAX_CHANGED * len(self.files)):
            return False
        self.step("reading records")
        compiled = list(compile_files(todo, self.ctx)) if len(todo) > 2 * 200 else \
            [compile_file(p, k, r, self.ctx) for p, k, r in todo]
        self.step("mapping")
        # the database and the pack of the previous version, then the changes
        shutil.copyfile(previous.path / "records.pack", self.workdir / "records.pack")
        self.pack = Pack(self.workdir, "a")
        changed = {}
        for c in compiled:
            e = old.get(c.rel)
            if e is not None and e.digest == c.digest:  # touched, not changed
                kept[c.rel] = e._replace(size=c.size, stamp=c.stamp)
            else:
                at, length = self.pack.append(c.blob)
                changed[c.rel] = (c, _entry(c, at, length))
        self.entries = [kept[rel] if rel in kept else changed[rel][1] for _p, _k, rel in self.files]
        prev_summary = _Summary({}, [], [], [], {}, 0, set(idx.get("duplicates", ())))
        self.summary = _replay(self.entries)
        gone = [old[rel] for rel in changed if rel in old] + removed
        keys = {(e.kind, e.rid) for e in gone if e.rid} | {(c.kind, c.rid) for c, _e in changed.values() if c.rid}
        dup_keys = {(e.kind, e.rid) for e in idx["entries"] if e.rel in prev_summary.duplicates} | \
                   {(e.kind, e.rid) for e in self.entries if e.rel in self.summary.duplicates}
        if keys & dup_keys or any(e.rel in prev_summary.duplicates for e in gone):
            self.pack.close()
            return False  # duplicate ids in play: which record wins is a whole-data question
        # quads to take out and to put in (a record's quads name its own IRIs: no record
        # shares one with another, so a record's old quads are its own to remove)
        old_pack = Pack(previous.path, "r")
        from .compiled import record_from_blob, remap

        out_q, in_q = set(), set()
        for e in gone:
            if e.rid is None or e.rel in prev_summary.duplicates:
                continue
            rec = record_from_blob(old_pack.read(e.at, e.length), Path(self.paths.data) / e.rel, e.kind)
            if rec is not None:
                out_q.update(_parse(remap(rec, self.ctx)[0]))
        old_pack.close()
        for c, e in changed.values():
            if c.rid is not None and c.rel not in self.summary.duplicates:
                in_q.update(_parse(c.nquads))
        self.vocab_quads = idx["vocab_quads"]
        self.winners = _winners(self.summary.minted)
        old_winners = idx["winners"]
        for key in set(old_winners) | set(self.winners):
            if old_winners.get(key) != self.winners.get(key):
                if key in old_winners:
                    out_q.update(minted_quads({key: old_winners[key]}, self.ctx.base))
                if key in self.winners:
                    in_q.update(minted_quads({key: self.winners[key]}, self.ctx.base))
        removes, adds = out_q - in_q, in_q - out_q
        Store.read_only(str(previous.db)).backup(str(self.workdir / "db"))
        self.db = Store(str(self.workdir / "db"))
        named, triples = previous.meta.get("quads", 0), previous.meta.get("counts", {}).get("triples", 0)
        for q in removes:
            if q in self.db:
                self.db.remove(q)
                if isinstance(q.graph_name, DefaultGraph):
                    triples -= 1
                else:
                    named -= 1
        for q in adds:
            if q not in self.db:
                self.db.add(q)
                if isinstance(q.graph_name, DefaultGraph):
                    triples += 1
                else:
                    named += 1
        from ..graph.resolved import changed_triples, settle

        taken, put = settle(self.db, changed_triples(removes, adds))
        self.db.flush()
        self.sizes = (named, triples - taken + put)
        self.t["read+map+load"] = time.perf_counter() - t0
        self.t["changed files"] = len(changed) + len(removed)
        # validation: only the focus nodes the changes can reach (or all, when it cannot tell)
        prev_shacl = idx.get("shacl")
        if prev_shacl is None or prev_shacl.get("key") != _shapes_key(self.paths, self.engine):
            self._validate(None)
        else:
            changed_files = {e.file for e in gone} | {c.file for c, _e in changed.values()}
            delta = [q for q in removes | adds if not isinstance(q.graph_name, DefaultGraph)]
            self._validate((prev_shacl, sorted(delta, key=str), changed_files))
        return True

    # validation ----------------------------------------------------------------------------------
    def _validate(self, previous) -> None:
        from .compiled import LazyRecords, LazyRecordSet, Pack
        from ..check.validate import Locator, load_shapes, results_to_problems, store_subject_in

        paths = self.paths
        t0 = time.perf_counter()
        shacl: list[Problem] = []
        if self.run_shacl:
            self.step("validating")
            self.pack.close()
            self.pack = Pack(self.workdir, "a")
            reader = Pack(self.workdir, "r")
            locator = Locator(LazyRecordSet(LazyRecords(reader, self.summary.where, Path(paths.data))),
                              paths.base, Path(paths.data))
            shapes = load_shapes(paths.shapes)
            self.runs, self.memo = self._shacl_runs(shapes, previous)
            self.t["shacl"] = time.perf_counter() - t0
            shacl = results_to_problems(self.runs, locator, store_subject_in(self.db), self.memo)
            self.t["locate"] = time.perf_counter() - t0 - self.t["shacl"]
            reader.close()
        self.t["validate"] = time.perf_counter() - t0
        sm = self.summary
        counts = dict(sm.counts)
        rs = RecordSet(Path(paths.data), records=[], problems=list(sm.form),
                       files=_Paths([p for p, _k, _r in self.files]))
        mapped = MappedGraph([], self.ctx.base, sorted(self.ctx.source_ids))
        self.checked = Checked(rs, mapped, Report(sm.form + shacl + sm.disagreements),
                               self.ctx.vocabularies, self.t, counts)

    def _prepare_validator(self) -> None:
        """Compile the shapes (llmkg.check) in a thread, meanwhile."""
        import threading

        from ..check.validate import load_shapes

        self._validator = None
        if not self.run_shacl or self.engine != "fast":
            return

        def make():
            from ..check import FastValidator

            try:
                self._validator = FastValidator(load_shapes(self.paths.shapes), self.analyses)
            except Exception:  # noqa: BLE001 - compiled again (and raised) when needed
                self._validator = None

        self._validator_thread = threading.Thread(target=make, daemon=True)
        self._validator_thread.start()

    def _shacl_runs(self, shapes, previous) -> tuple[list, dict]:
        from ..check.validate import engine_runs

        if previous is not None:
            done = self._incremental_shacl(shapes, *previous)
            if done is not None:
                return done
        validator = None
        if self._validator_thread is not None:
            self._validator_thread.join()
            validator = self._validator
        return engine_runs(self.db, shapes, self.engine, validator=validator,
                           progress=getattr(self.step, "progress", None)), {}

    def _incremental_shacl(self, shapes, prev: dict, delta: list, changed_files: set):
        """The runs and locator memo after a change of ``delta`` quads, from the previous
        ones: units whose results cannot change keep them, local units are run again on the
        focus nodes the change reaches, the others on everything. None: do it all again."""
        from pyoxigraph import BlankNode, Literal

        from ..check import FastValidator, to_oxigraph
        from ..check.validate import store_graph_ids

        if self.engine != "fast":
            return None
        graph_ids = store_graph_ids(self.db)
        if graph_ids != [sid for sid, _r in prev["runs"]]:
            return None
        memo = prev["memo"]
        if not delta:
            return prev["runs"], {k: v for k, v in memo.items() if v.file not in changed_files}
        fv = FastValidator(shapes, self.analyses)
        if fv.fallbacks:
            return None
        preds = {q.predicate.value for q in delta}
        classes = {q.object.value for q in delta if q.predicate.value == RDF_TYPE}
        in_preds = {t[1] for u in fv.units if u.touches for t in u.touches if t[0] == "in"}
        restrict: set[str] = set()
        typed = set()
        for q in delta:
            for t in (q.subject, q.object):
                if isinstance(t, BlankNode):
                    return None
                if isinstance(t, Literal) and q.predicate.value not in in_preds:
                    continue
                restrict.add(str(t))
            if q.predicate.value == RDF_TYPE:
                typed.add(str(q.subject))
        if typed:  # nodes linked to a node whose types changed: their sh:class may change
            text = ("SELECT DISTINCT ?n WHERE { VALUES ?v { " + " ".join(sorted(typed)) +
                    " } { ?n ?p ?v } UNION { ?v ?p ?n FILTER (!isLiteral(?n)) } }")
            for r in self.db.query(text, use_default_graph_as_union=True):
                restrict.add(str(r[0]))
        if len(restrict) > MAX_RESTRICT:
            return None
        by_shape: dict = {}
        for u in fv.units:
            by_shape.setdefault(u.shape, []).append(u)
        full = {sh for sh, us in by_shape.items()
                if any(u.touches is None or fv.global_hit(u, preds, classes) for u in us)}
        part = {sh for sh, us in by_shape.items() if sh not in full
                and any(fv.relevant(u, preds, classes) for u in us)}
        units_full = [u for u in fv.units if u.shape in full]
        units_part = [u for u in fv.units if u.shape in part]
        new_full = fv.results(self.db, graph_ids, CURATED_GRAPH, GRAPH, units=units_full)
        new_part = fv.results(self.db, graph_ids, CURATED_GRAPH, GRAPH, restrict=restrict, units=units_part)

        def nt(term) -> str:
            o = to_oxigraph(term)
            return str(o) if o is not None else ""

        runs = []
        for sid, old_results in prev["runs"]:
            keep = [r for r in old_results if r["shape"] not in full
                    and not (r["shape"] in part and nt(r["focus"]) in restrict)]
            runs.append((sid, keep + [r.as_dict() for r in new_full.get(sid, [])]
                         + [r.as_dict() for r in new_part.get(sid, [])]))
        iris = {t[1:-1] for t in restrict if t.startswith("<")}
        memo = {k: v for k, v in memo.items() if v.file not in changed_files and k[0][0] not in iris
                and k[0][5] not in {str(x) for x in full}}
        self.t["revalidated"] = len(restrict)
        return runs, memo

    # the end ---------------------------------------------------------------------------------------
    def finish(self) -> tuple[int, int]:
        """Save the index next to the database and close it; the number of quads in the
        named graphs and of triples in the default graph."""
        from .compiled import CACHE_FORMAT, save_index

        index = {"format": CACHE_FORMAT, "context": self.ctx.key(), "ontology": _digest(self.paths.ontology),
                 "entries": self.entries, "vocab_quads": self.vocab_quads, "winners": self.winners,
                 "duplicates": sorted(self.summary.duplicates),
                 "shacl": ({"key": _shapes_key(self.paths, self.engine), "runs": self.runs, "memo": self.memo}
                           if self.run_shacl else None)}
        t0 = time.perf_counter()
        save_index(self.workdir, index)
        self.analyses.save(self.workdir, __version__)
        self.t["save index"] = time.perf_counter() - t0
        if self._count is not None:
            self._count.join()
        sizes = self.sizes if self.sizes is not None else _sizes(self.db)
        self.close()
        return sizes

    def close(self) -> None:
        if self.pack is not None:
            self.pack.close()
            self.pack = None
        self.db = None  # closes RocksDB


# The SPARQL analyses of the shapes (check.Analyses, ~1 s for the shipped shapes): the
# builds of one process share them, and each build saves them with its store version for
# the next process. (A pure function's memo: the check engine itself keeps no state.)
_ANALYSES: list = []


def _analyses(directory: Path | None):
    """The analyses this process has made, with those the build in ``directory`` saved."""
    from ..check.analysis import Analyses

    if not _ANALYSES:
        _ANALYSES.append(Analyses())
    if directory is not None:
        _ANALYSES[0].update(Analyses.load(directory, __version__))
    return _ANALYSES[0]


class _Paths(list):
    """The record files as Paths, made when read (a build lists many)."""

    def __getitem__(self, i):
        item = super().__getitem__(i)
        return [Path(x) for x in item] if isinstance(i, slice) else Path(item)

    def __iter__(self):
        return (Path(x) for x in super().__iter__())


def _digest(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _parse(nquads: bytes) -> list:
    from pyoxigraph import RdfFormat, parse

    return list(parse(nquads, format=RdfFormat.N_QUADS)) if nquads else []


def _vocabulary_quads(ctx) -> tuple[bytes, int]:
    from pyoxigraph import RdfFormat, serialize

    from ..graph.mapping import Mapper

    m = Mapper(ctx.vocabularies, ctx.base)
    m.vocabularies()
    return serialize(m.quads, format=RdfFormat.N_QUADS), len(m.quads)


# N-Quads per piece of the load (see _ParallelLoad): about 850k quads of generated records
LOAD_PIECE_BYTES = 128 << 20


class _ParallelLoad:
    """N-Quads given record by record, loaded into ``db`` by ``Store.bulk_load`` in pieces of
    about ``size`` bytes, ``threads`` pieces at a time on threads of their own.

    One call of ``bulk_load`` on a stream parses it in the calling thread and hands batches
    of a million quads to a second thread; the last batch, a third of a 100k-record build,
    was then encoded, sorted and written by one thread while the other core waited (10 s of
    a 65 s build). Pieces loaded whole from bytes run while the caller goes on compiling
    (pyoxigraph leaves the GIL while it loads them), so both cores stay busy to the end, and
    the memory held is bounded by a few pieces. Each piece is one more set of files for
    RocksDB to merge (Oxigraph compacts as soon as two overlap), hence pieces of the size
    of Oxigraph's own batches rather than small ones. The store gets the same quads: a quad
    given in two pieces is stored once, as with one call."""

    def __init__(self, db, size: int | None = None, threads: int = 2):
        from concurrent.futures import ThreadPoolExecutor

        self.db, self.size, self.threads = db, size or LOAD_PIECE_BYTES, threads
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="llmkg-load")
        self.pending: list = []
        self.parts: list[bytes] = []
        self.n = 0

    def add(self, nquads: bytes) -> None:
        self.parts.append(nquads)
        self.n += len(nquads)
        if self.n >= self.size:
            self._submit()

    def _submit(self) -> None:
        if not self.parts:
            return
        piece = b"".join(self.parts)
        self.parts, self.n = [], 0
        while len(self.pending) >= self.threads:   # (a failed piece raises here)
            self.pending.pop(0).result()
        self.pending.append(self.pool.submit(self._load, piece))

    def _load(self, piece: bytes) -> None:
        from pyoxigraph import RdfFormat

        self.db.bulk_load(piece, format=RdfFormat.N_QUADS, lenient=True)

    def finish(self) -> None:
        """Load what is left and wait for every piece (raising a failed piece's error)."""
        self._submit()
        while self.pending:
            self.pending.pop(0).result()

    def close(self) -> None:
        """Wait for the pieces under way, and let go of the store."""
        self.parts = []
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.db = None
