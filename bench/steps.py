"""The measured steps of the benchmarks, each run in a process of its own by bench/__main__.py.

    python -m bench.steps load DATA STORE            compile and load DATA into STORE (no SHACL)
    python -m bench.steps validate STORE DATA ENGINE OUT   time the SHACL step on STORE
    python -m bench.steps dump-nt STORE FILE [NQ]     every quad of STORE as an N-Triples line (and as N-Quads)
    python -m bench.steps bulk-load FILE DB           pyoxigraph Store(DB).bulk_load(FILE), .nt or .nq
    python -m bench.steps measure OUT -- CMD...       run CMD, write its wall time and peak RSS

Each step prints one JSON line with what it measured.
"""

from __future__ import annotations

import json
import os
import pickle
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path


def _tree_rss_kb(pid: int) -> int:
    """Memory of a process and all its descendants (from /proc), in KiB: the sum of their
    proportional set sizes (Pss: pages shared after a fork are counted once, not per process)."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                parts = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(parts[1]), []).append(int(d))
        except (OSError, ValueError, IndexError):
            continue
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except (OSError, ValueError):
            continue
    return total


SAMPLE = 0.5


def measure(out: Path, cmd: list[str]) -> dict:
    """Run ``cmd``; its wall time, the peak RSS of its largest process (getrusage of the
    children) and the peak memory of its whole process tree (sum of Pss, sampled every
    SAMPLE seconds: reading every process's smaps is not free, and the measured command
    shares the cores with the sampler)."""
    peak = [0]
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd)
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss_kb(p.pid))
            done.wait(SAMPLE)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    code = p.wait()
    wall = time.perf_counter() - t0
    done.set()
    th.join()
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = {"wall": wall, "code": code, "max_rss_mb": ru.ru_maxrss / 1024, "tree_rss_mb": peak[0] / 1024,
           "cpu": ru.ru_utime + ru.ru_stime}
    Path(out).write_text(json.dumps(res))
    return res


def load(data: str, store: str) -> dict:
    """Compile and load ``data`` into a new version of ``store`` without validating it."""
    from llmkg.build.pipeline import _Run
    from llmkg.config import Paths
    from llmkg.graph.store import building

    paths = Paths.resolve(data=data, store=store)
    t0 = time.perf_counter()
    with building(paths.store) as work:
        run = _Run(paths, work.path, lambda m: None, "fast", run_shacl=False)
        run.full()
        n = run.finish()
        work.commit({"inputs_hash": "bench", "counts": run.checked.counts}, n)
    return {"seconds": time.perf_counter() - t0, "quads": n}


def validate(store: str, data: str, engine: str, out: str) -> dict:
    """The SHACL step alone (pySHACL or the fast engine) on the quads of ``store``."""
    import logging

    from pyoxigraph import Store

    from llmkg.graph.store import current_version
    from llmkg.check.validate import engine_runs, load_shapes

    logging.disable(logging.WARNING)  # rdflib's warnings about ill-typed literals
    v = current_version(store)
    db = Store.read_only(str(v.db))
    shapes = load_shapes(Path(__file__).resolve().parents[1] / "shapes")
    t0 = time.perf_counter()
    runs = engine_runs(db, shapes, engine)
    seconds = time.perf_counter() - t0
    keys = {sid: sorted({(str(r["focus"]), r["path"] or "", str(r["value"]), str(r["component"]), r["severity"],
                          str(r["shape"]), r["message"]) for r in results}) for sid, results in runs}
    with open(out, "wb") as f:
        pickle.dump(keys, f)
    return {"seconds": seconds, "results": sum(len(k) for k in keys.values())}


def dump_nt(store: str, file: str, quads_file: str | None = None) -> dict:
    """One N-Triples line per quad of the store (the graph dropped): the triples a build
    loads; and, with ``quads_file``, the quads themselves as N-Quads."""
    from pyoxigraph import RdfFormat, Store, Triple, serialize

    from llmkg.graph.store import current_version

    db = Store.read_only(str(current_version(store).db))
    with open(file, "wb") as f:
        serialize((Triple(q.subject, q.predicate, q.object) for q in db), f, format=RdfFormat.N_TRIPLES)
    if quads_file:
        db.dump(quads_file, format=RdfFormat.N_QUADS)
    return {"bytes": os.path.getsize(file)}


def bulk_load(file: str, db: str) -> dict:
    """pyoxigraph ``Store(db).bulk_load`` of an N-Triples (``.nt``) or N-Quads (``.nq``) file."""
    from pyoxigraph import RdfFormat, Store

    t0 = time.perf_counter()
    st = Store(db)
    st.bulk_load(path=file, format=RdfFormat.N_QUADS if file.endswith(".nq") else RdfFormat.N_TRIPLES)
    st.flush()
    n = len(st)
    return {"seconds": time.perf_counter() - t0, "triples": n}


def main(argv: list[str]) -> int:
    step, args = argv[0], argv[1:]
    if step == "measure":
        out, cmd = args[0], args[args.index("--") + 1:]
        res = measure(Path(out), cmd)
        return res["code"]
    fn = {"load": load, "validate": validate, "dump-nt": dump_nt, "bulk-load": bulk_load}[step]
    print(json.dumps(fn(*args)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
