"""The jobs of the server: a query, a canned query, an entity page, the ontology, the list
of named graphs, an update. Each runs in the worker process that received the request,
under a time limit (:mod:`.runner`), and returns a dict that the app turns into a response.

A job opens the store version it names (read-only; RocksDB allows any number of read-only
openers) and keeps the last few open, so a hot swap needs no restart.
"""

from __future__ import annotations

import hashlib
import time
import traceback
from collections import OrderedDict

from pyoxigraph import NamedNode, Store

from .. import query as queries
from ..errors import LlmkgError, QueryError, StoreError
from . import netguard

REFUSED = ("the query tried to reach another host (SERVICE or LOAD), which this endpoint refuses: "
           "it does not call other endpoints")

_stores: "OrderedDict[str, object]" = OrderedDict()
KEEP_OPEN = 2


def open_db(path: str):
    st = _stores.get(path)
    if st is None:
        try:
            st = Store.read_only(path)
        except OSError as exc:
            raise StoreError(f"cannot open the store at {path}: {exc}") from None
        _stores[path] = st
        while len(_stores) > KEEP_OPEN:
            _stores.popitem(last=False)
    else:
        _stores.move_to_end(path)
    return st


def _terms(graphs):
    if graphs is None:
        return None
    out = []
    for g in graphs:
        try:
            out.append(NamedNode(g))
        except ValueError:
            raise QueryError(f"not an IRI: {g!r}") from None
    return out


def _render(result, formats, job) -> dict:
    bodies = {}
    for fmt in formats:
        if fmt == "html":
            from . import pages

            bodies[fmt] = (pages.result_table(result, job.get("base"), job.get("max_rows")).encode(),
                           "text/html; charset=utf-8")
        else:
            bodies[fmt] = queries.serialize(result, fmt)
    return {"form": result.form, "rows": len(result), "truncated": result.truncated,
            "elapsed": result.elapsed, "bodies": bodies}


def job_query(job) -> dict:
    store = open_db(job["db"])
    options = queries.QueryOptions(default_graph=_terms(job.get("default_graph")),
                                   named_graphs=_terms(job.get("named_graphs")), max_rows=job.get("max_rows"),
                                   base_iri=job.get("base_iri"), form=job.get("form"))
    formats = job["formats"]
    if len(formats) == 1 and formats[0] != "html":
        return _serialized(queries.execute_serialized(store, job["sparql"], formats[0], None, options), formats[0])
    return _render(queries.execute(store, job["sparql"], None, options), formats, job)


def _serialized(out: queries.Serialized, fmt: str) -> dict:
    """A job's value for an answer serialized in one format."""
    return {"form": out.form, "rows": out.rows, "truncated": out.truncated, "elapsed": out.elapsed,
            "bodies": {fmt: (out.body, out.media_type)}}


def job_canned(job) -> dict:
    store = open_db(job["db"])
    result = queries.run(store, job["query"], job.get("params") or {}, max_rows=job.get("max_rows"))
    return _render(result, job["formats"], job)


def job_entity(job) -> dict:
    from . import linked

    store = open_db(job["db"])
    return linked.entity(store, job)


def job_ontology(job) -> dict:
    from . import linked

    store = open_db(job["db"])
    return linked.ontology(store, job)


def job_info(job) -> dict:
    store = open_db(job["db"])
    return {"named_graphs": sorted(g.value for g in store.named_graphs() if hasattr(g, "value"))}


def job_update(job) -> dict:
    """Apply a SPARQL Update as a new store version: copy the current version, update the
    copy, write it aside and swap ``current`` (llmkg.graph.store.write_version), like a build."""
    store_dir = job["store_dir"]
    lock = None
    if job.get("update_lock"):   # one update at a time, across the worker processes
        import fcntl

        lock = open(job["update_lock"], "a")
        fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        return _update(job, store_dir)
    finally:
        if lock is not None:
            lock.close()


def _update(job, store_dir) -> dict:
    from ..graph.resolved import changed_triples, settle
    from ..graph.store import current_version, write_version

    v = current_version(store_dir)
    src = open_db(str(v.db))
    mem = Store()
    mem.bulk_extend(src)
    before = len(mem)
    started = time.perf_counter()
    old = set(mem)
    try:
        mem.update(job["update"], base_iri=job.get("base"))
    except SyntaxError as exc:
        from ..query.syntax import readable

        raise QueryError(f"the update is not valid SPARQL: {readable(str(exc), job['update'])}") from None
    except PermissionError:   # the network barrier refused a socket: failed() answers 403
        raise
    except (OSError, RuntimeError, ValueError) as exc:
        raise QueryError(f"the update failed: {exc}") from None
    # the default graph follows what the update did to the named graphs (what it wrote
    # into the default graph itself stays as written)
    new_quads = set(mem)
    settle(mem, changed_triples(old - new_quads, new_quads - old, named=True))
    after = len(mem)
    if current_version(store_dir).id != v.id:
        raise LlmkgError("the store changed while the update ran (a build swapped in a new "
                         "version); send the update again")
    digest = hashlib.sha256(job["update"].encode("utf-8")).hexdigest()
    meta = {k: val for k, val in v.meta.items() if k not in ("version", "quads")}
    meta["inputs_hash"] = hashlib.sha256((str(v.meta.get("inputs_hash", v.id)) + digest).encode()).hexdigest()
    meta["updated"] = {"from": v.id, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                       "update_sha256": digest}
    meta["updates"] = list(v.meta.get("updates", [])) + [meta["updated"]]
    new = write_version(store_dir, iter(mem), meta)
    return {"version": new.id, "from": v.id, "quads_before": before, "quads_after": after,
            "elapsed": time.perf_counter() - started}


JOBS = {"query": job_query, "canned": job_canned, "entity": job_entity, "ontology": job_ontology,
        "info": job_info, "update": job_update}


def handle(job) -> dict:
    try:
        return {"ok": True, "value": JOBS[job["kind"]](job)}
    except Exception as exc:
        return failed(exc)


def failed(exc: Exception) -> dict:
    """The answer of a job that raised ``exc`` (called in its ``except`` block): our errors
    keep their status; anything else, a bug or Oxigraph failing, is a 500 with its trace."""
    if isinstance(exc, LlmkgError):
        return {"ok": False, "status": exc.http_status, "error": str(exc)}
    if isinstance(exc, PermissionError) and netguard.installed:
        # Oxigraph tried to open a socket (a SERVICE or LOAD the text check did not see) and
        # the worker's seccomp filter refused it: nothing left this machine
        return {"ok": False, "status": 403, "error": REFUSED}
    return {"ok": False, "status": 500, "error": f"{type(exc).__name__}: {exc}",
            "trace": traceback.format_exc(limit=8)}
