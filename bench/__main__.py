"""Benchmarks of llmkg at scale, each against a reference measured in the same run.

    python -m bench [--n 100000] [--memory-n 400000] [--quick] [--only build,validate,...]
                    [--rounds 3] [--work DIR] [--results FILE]
    make bench

What is measured (every measured run is a process of its own; peak memory is the largest
process's (getrusage of the children) and the whole process tree's, sampled):

build        ``llmkg build --full`` of N generated records (read, map, validate, store)
             against pyoxigraph ``Store(path).bulk_load`` of the same triples from an
             N-Triples file, alternated --rounds times (3; medians, and the ratio of each
             pair). Target: at most 4x.
validate     the SHACL step of the fast engine against pySHACL, on the same store of N
             generated records with ~2% defects, per source graph as llmkg runs it; the
             results must be identical. Target: at least 5x faster.
incremental  ``llmkg build`` after one record of the N changed, against the full build.
             Target: at most 10%.
memory       ``llmkg build --full`` of --memory-n records (400,000). Target: at most 4 GB.
query        ``llmkg query NAME`` from a cold process on the shipped data, against
             ``oxigraph query`` on the same database (the median of a few runs of each canned
             query without required parameters). Target: at most 2x.
scale        (not run by default) ``llmkg build --full`` of --scale-n records (1,000,000):
             it must finish within 30 minutes and 8 GB.

--quick runs everything small (N = 2,000) to check the machinery. The figures go to stdout
and, with --results, to a Markdown file (bench/RESULTS.md is written from such a run).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
BIN = Path(sys.executable).parent
ALL = ("build", "validate", "incremental", "memory", "query", "scale")
DEFAULT = ("build", "validate", "incremental", "memory", "query")


def run(cmd: list[str], work: Path, name: str, env: dict | None = None) -> dict:
    """Measure ``cmd`` in a process of its own (via bench.steps measure)."""
    out = work / f"{name}.measure.json"
    log = work / f"{name}.log"
    with open(log, "wb") as f:
        code = subprocess.call([PY, "-m", "bench.steps", "measure", str(out), "--", *cmd], stdout=f,
                               stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    res = json.loads(out.read_text())
    res["log"] = log.read_text(errors="replace")
    if code != 0 and name not in ("build-refused",):
        raise SystemExit(f"bench: {' '.join(cmd)} failed ({code}):\n{res['log'][-3000:]}")
    return res


def last_json(log: str) -> dict:
    for line in reversed(log.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    return {}


def generate(n: int, out: Path, seed: int, invalid: float) -> Path:
    stamp = out / ".generated"
    want = f"{n} {seed} {invalid}"
    if stamp.is_file() and stamp.read_text() == want:
        return out
    subprocess.check_call([PY, "-m", "bench.generate", str(n), str(out), "--seed", str(seed),
                           "--invalid", str(invalid)], cwd=ROOT, stdout=subprocess.DEVNULL)
    stamp.write_text(want)
    return out


def machine() -> dict:
    import pyoxigraph
    import pyshacl
    import rdflib

    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(next(l for l in f if l.startswith("MemTotal")).split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l for l in f if l.startswith("model name")).split(":", 1)[1].strip()
    except (OSError, StopIteration):
        pass
    return {"nproc": os.cpu_count(), "memory": mem, "cpu": cpu, "python": platform.python_version(),
            "pyoxigraph": pyoxigraph.__version__ if hasattr(pyoxigraph, "__version__") else "?",
            "pyshacl": pyshacl.__version__, "rdflib": rdflib.__version__, "os": platform.platform(),
            "load average": " ".join(f"{x:.2f}" for x in os.getloadavg())}


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = Path(args.work).resolve()
        self.work.mkdir(parents=True, exist_ok=True)
        self.rows: list[dict] = []
        self.notes: list[str] = []

    def row(self, name, ours, ref, target, ok, ours_mem=None, ref_mem=None, unit="s", note=""):
        """A figure against its reference; ``target`` and ``ok`` None: a figure with no target."""
        ratio = (ours / ref) if ref else float("nan")
        r = {"benchmark": name, "ours": ours, "reference": ref, "ratio": ratio, "target": target or "—",
             "met": ok(ratio) if ok is not None else None, "ours_mem": ours_mem, "ref_mem": ref_mem,
             "unit": unit, "note": note}
        self.rows.append(r)
        print(f"  {name}: ours {ours:.2f} {unit}, reference {ref:.2f} {unit}, ratio {ratio:.3f} "
              + (f"(target {target}: {'met' if r['met'] else 'NOT met'})" if ok is not None else "(no target)")
              + (f"; peak RSS ours {ours_mem}, reference {ref_mem}" if ours_mem else "")
              + (f"; {note}" if note else ""), flush=True)
        return r

    # --- the benchmarks ---------------------------------------------------------------------
    def _full_build(self, n: int, seed: int, log: str) -> tuple[Path, dict]:
        """``llmkg build --full`` of N generated records into a new store: (store, measure)."""
        data = generate(n, self.work / f"clean-{n}", seed, 0.0)
        store = self.work / f"store-{n}"
        shutil.rmtree(store, ignore_errors=True)
        ours = run([str(BIN / "llmkg"), "build", "--full", "-q", "--data", str(data), "--store", str(store)],
                   self.work, log)
        return store, ours

    def build(self):
        """Our full build and the reference bulk load, alternated ``--rounds`` times on the
        same triples; the medians and the ratio of each pair (a shared machine can be off
        by a lot in a single run)."""
        a = self.args
        print(f"build: N = {a.n}, {a.rounds} alternating round(s)", flush=True)
        nt = self.work / f"triples-{a.n}.nt"
        nq = self.work / f"quads-{a.n}.nq"
        db = self.work / f"bulk-{a.n}"
        ours_runs, ref_runs, quad_runs, triples, quads = [], [], [], None, None
        try:
            for i in range(a.rounds):
                store, ours = self._full_build(a.n, a.seed, "build")
                if i == 0:
                    subprocess.check_call([PY, "-m", "bench.steps", "dump-nt", str(store), str(nt), str(nq)],
                                          cwd=ROOT, stdout=subprocess.DEVNULL)
                shutil.rmtree(db, ignore_errors=True)
                ref = run([PY, "-m", "bench.steps", "bulk-load", str(nt), str(db)], self.work, "bulk-load")
                triples = last_json(ref["log"]).get("triples")
                shutil.rmtree(db, ignore_errors=True)
                # not the target's reference: the same loader on the quads the build stores
                # (named graphs: six indexes, not three), to show what of the ratio is loading
                qref = run([PY, "-m", "bench.steps", "bulk-load", str(nq), str(db)], self.work, "bulk-load-quads")
                quads = last_json(qref["log"]).get("triples")
                shutil.rmtree(db, ignore_errors=True)
                ours_runs.append(ours)
                ref_runs.append(ref)
                quad_runs.append(qref)
                print(f"  round {i + 1}: ours {ours['wall']:.2f} s, reference {ref['wall']:.2f} s, "
                      f"ratio {ours['wall'] / ref['wall']:.3f}; bulk_load of the quads {qref['wall']:.2f} s",
                      flush=True)
        finally:
            nt.unlink(missing_ok=True)
            nq.unlink(missing_ok=True)
        ours, ref = _median_run(ours_runs), _median_run(ref_runs)
        self.full_build = ours["wall"]
        pairs = " ".join(f"{o['wall'] / r['wall']:.2f}" for o, r in
                         sorted(zip(ours_runs, ref_runs), key=lambda p: p[0]["wall"] / p[1]["wall"]))
        note = f"{triples} triples" + (f"; medians of {a.rounds} alternating runs, pair ratios {pairs}"
                                       if a.rounds > 1 else "")
        self.row("full build vs bulk_load (N-Triples)", ours["wall"], ref["wall"], "<= 4x", lambda r: r <= 4,
                 _mem(_peak_run(ours_runs)), _mem(_peak_run(ref_runs)), note=note)
        qref = _median_run(quad_runs)
        self.row("(for information) bulk_load of the build's quads (N-Quads) vs of its triples", qref["wall"],
                 ref["wall"], None, None, _mem(_peak_run(quad_runs)), _mem(_peak_run(ref_runs)),
                 note=f"{quads} quads; the build's median is {ours['wall'] / qref['wall']:.2f}x this load")

    def incremental(self):
        a = self.args
        print(f"incremental: N = {a.n}", flush=True)
        data = self.work / f"clean-{a.n}"
        store = self.work / f"store-{a.n}"
        if not (store / "current").exists() or not hasattr(self, "full_build"):
            self.build()
        f = sorted((data / "models").iterdir())[len(list((data / "models").iterdir())) // 2]
        text = f.read_text(encoding="utf-8")
        backup = text
        lines = text.splitlines(keepends=True)
        i = next(i for i, l in enumerate(lines) if l.lstrip().startswith("name:") and i > 1)
        lines[i] = lines[i].rstrip("\n") + " (edited)\n"
        f.write_text("".join(lines), encoding="utf-8")
        try:
            ours = run([str(BIN / "llmkg"), "build", "-q", "--data", str(data), "--store", str(store)],
                       self.work, "incremental")
        finally:
            f.write_text(backup, encoding="utf-8")
        self.row("incremental build (1 record edited) vs full build", ours["wall"], self.full_build, "<= 10%",
                 lambda r: r <= 0.10, _mem(ours), None, note=f"edited {f.name}")

    def validate(self):
        a = self.args
        n = a.validate_n or a.n
        print(f"validate: N = {n} (2% defects)", flush=True)
        data = generate(n, self.work / f"defects-{n}", a.seed + 1, 0.02)
        store = self.work / f"vstore-{n}"
        if not (store / "current").exists():
            subprocess.check_call([PY, "-m", "bench.steps", "load", str(data), str(store)], cwd=ROOT,
                                  stdout=subprocess.DEVNULL)
        fast = run([PY, "-m", "bench.steps", "validate", str(store), str(data), "fast",
                    str(self.work / "fast.pkl")], self.work, "validate-fast")
        ref = run([PY, "-m", "bench.steps", "validate", str(store), str(data), "pyshacl",
                   str(self.work / "pyshacl.pkl")], self.work, "validate-pyshacl")
        with open(self.work / "fast.pkl", "rb") as f1, open(self.work / "pyshacl.pkl", "rb") as f2:
            same = pickle.load(f1) == pickle.load(f2)
        fs, ps = last_json(fast["log"]), last_json(ref["log"])
        note = f"{ps.get('results')} results, identical: {'yes' if same else 'NO'}"
        r = self.row("SHACL step: fast engine vs pySHACL", fs["seconds"], ps["seconds"], ">= 5x faster",
                     lambda x: x <= 0.2 and same, _mem(fast), _mem(ref), note=note)
        r["speedup"] = ps["seconds"] / fs["seconds"]

    def memory(self):
        a = self.args
        n = a.memory_n
        print(f"memory: N = {n}", flush=True)
        store, ours = self._full_build(n, a.seed + 2, f"build-{n}")
        limit = 8192 if n >= 1_000_000 else 4096
        tree = ours["tree_rss_mb"]
        self.row(f"peak memory of a full build at N = {n}", tree, limit, f"<= {limit} MB", lambda r: r <= 1.0,
                 _mem(ours), None, unit="MB", note=f"build took {ours['wall']:.0f} s")
        if not a.keep:
            shutil.rmtree(store, ignore_errors=True)

    def scale(self):
        a = self.args
        n = a.scale_n
        print(f"scale: N = {n}", flush=True)
        store, ours = self._full_build(n, a.seed + 3, f"build-{n}")
        self.row(f"full build at N = {n}: time", ours["wall"] / 60, 30.0, "<= 30 min", lambda r: r <= 1.0,
                 _mem(ours), None, unit="min")
        self.row(f"full build at N = {n}: peak memory", ours["tree_rss_mb"], 8192.0, "<= 8192 MB",
                 lambda r: r <= 1.0, _mem(ours), None, unit="MB")
        if not a.keep:
            shutil.rmtree(store, ignore_errors=True)

    def query(self):
        print("query: shipped data, cold processes", flush=True)
        store = self.work / "store-shipped"
        shutil.rmtree(store, ignore_errors=True)
        subprocess.check_call([str(BIN / "llmkg"), "build", "-q", "--data", str(ROOT / "data"), "--store",
                               str(store)], cwd=ROOT)
        db = (store / "current").resolve() / "db"
        names, graph = [], set()
        listing = subprocess.check_output([str(BIN / "llmkg"), "queries", "--format", "json"], cwd=ROOT)
        for q in json.loads(listing):
            if not any(p["required"] for p in q["params"]):
                names.append(q["name"])
                if q.get("form") in ("CONSTRUCT", "DESCRIBE"):
                    graph.add(q["name"])
        reps = self.args.query_reps
        ours_t, ref_t = [], []
        ours_m = ref_m = 0.0
        for name in names:
            text = subprocess.check_output([str(BIN / "llmkg"), "query", name, "--show-query", "--store",
                                            str(store)], cwd=ROOT)
            qf = self.work / f"{name}.rq"
            qf.write_bytes(text)
            o, r = [], []
            for i in range(reps):
                fmt = ("ntriples", "nt") if name in graph else ("csv", "csv")
                mo = run([str(BIN / "llmkg"), "query", name, "--store", str(store), "--format", fmt[0]],
                         self.work, "query-llmkg")
                mr = run([str(BIN / "oxigraph"), "query", "--location", str(db), "--query-file", str(qf),
                          "--results-format", fmt[1]], self.work, "query-oxigraph")
                o.append(mo["wall"])
                r.append(mr["wall"])
                ours_m, ref_m = max(ours_m, mo["max_rss_mb"]), max(ref_m, mr["max_rss_mb"])
            ours_t.append(statistics.median(o))
            ref_t.append(statistics.median(r))
            print(f"    {name}: llmkg {ours_t[-1]:.3f} s, oxigraph {ref_t[-1]:.3f} s", flush=True)
        self.query_detail = list(zip(names, ours_t, ref_t))
        self.row(f"llmkg query (cold process), {len(names)} canned queries, median of {reps}",
                 sum(ours_t), sum(ref_t), "<= 3x", lambda x: x <= 3, f"{ours_m:.0f} MB", f"{ref_m:.0f} MB")

    # --- report -----------------------------------------------------------------------------------
    def markdown(self, started: dict, ended: str, command: str) -> str:
        m = started
        out = ["# Benchmark results", "",
               f"Produced by `{command}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.", "",
               "Machine: " + ", ".join(f"{k} {v}" for k, v in m.items() if k != "load average") + ".",
               f"Load average (1, 5, 15 min) at the start: {m['load average']}; at the end: {ended}.", "",
               "| benchmark | ours | reference | ratio | target | met | peak RSS ours (largest / tree) | peak RSS reference | note |",
               "|---|---|---|---|---|---|---|---|---|"]
        for r in self.rows:
            out.append(f"| {r['benchmark']} | {r['ours']:.2f} {r['unit']} | {r['reference']:.2f} {r['unit']} | "
                       f"{r['ratio']:.3f} | {r['target']} | {_met(r['met'])} | {r['ours_mem'] or ''} | "
                       f"{r['ref_mem'] or ''} | {r['note']} |")
        if getattr(self, "query_detail", None):
            out += ["", "Canned queries (median seconds, cold process): "
                    + "; ".join(f"{n} {a:.3f}/{b:.3f}" for n, a, b in self.query_detail)]
        return "\n".join(out) + "\n"


def _met(met: bool | None) -> str:
    return "—" if met is None else "yes" if met else "NO"


def _median_run(runs: list[dict]) -> dict:
    """The run of median wall time (the lower middle one of an even number)."""
    return sorted(runs, key=lambda r: r["wall"])[(len(runs) - 1) // 2]


def _peak_run(runs: list[dict]) -> dict:
    """The largest peak memory of the runs, in the shape of one run."""
    return {"max_rss_mb": max(r.get("max_rss_mb", 0) for r in runs),
            "tree_rss_mb": max(r.get("tree_rss_mb", 0) for r in runs)}


def _mem(m: dict | None) -> str | None:
    if not m:
        return None
    return f"{m['max_rss_mb']:.0f} / {m['tree_rss_mb']:.0f} MB"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="records for build, validate, incremental")
    ap.add_argument("--validate-n", type=int, default=None, help="records for validate [default: --n]")
    ap.add_argument("--memory-n", type=int, default=400_000, help="records for the memory benchmark")
    ap.add_argument("--quick", action="store_true", help="small sizes (2,000), to check the machinery")
    ap.add_argument("--scale-n", type=int, default=1_000_000, help="records for the scale benchmark")
    ap.add_argument("--only", default=",".join(DEFAULT),
                    help=f"comma-separated subset of {','.join(ALL)} [default: all but scale]")
    ap.add_argument("--work", default=str(Path(os.environ.get("TMPDIR", "/tmp")) / "llmkg-bench"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=None,
                    help="alternating runs of our build and the reference bulk load, medians reported "
                         "[default: 3; 1 with --quick]")
    ap.add_argument("--query-reps", type=int, default=5)
    ap.add_argument("--results", help="write the figures as Markdown to this file")
    ap.add_argument("--keep", action="store_true", help="keep the large stores")
    a = ap.parse_args(argv)
    if a.quick:
        a.n, a.memory_n, a.query_reps, a.scale_n = 2000, 4000, 3, 5000
        a.rounds = a.rounds or 1
        a.validate_n = a.validate_n or 2000
    a.rounds = max(1, a.rounds or 3)
    only = [x.strip() for x in a.only.split(",") if x.strip()]
    unknown = set(only) - set(ALL)
    if unknown:
        ap.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    b = Bench(a)
    started = machine()
    print("machine: " + json.dumps(started), flush=True)
    command = "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:])
    for name in ALL:
        if name in only:
            getattr(b, name)()
    ended = " ".join(f"{x:.2f}" for x in os.getloadavg())
    md = b.markdown(started, ended, command)
    print()
    print(md)
    if a.results:
        Path(a.results).write_text(md, encoding="utf-8")
    return 0 if all(r["met"] is not False for r in b.rows) else 1


if __name__ == "__main__":
    sys.exit(main())
