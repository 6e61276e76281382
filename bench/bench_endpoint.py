"""Benchmark: ``llmkg serve`` against ``oxigraph serve-read-only`` on the same store and queries.

    python bench/bench_endpoint.py [--store DIR] [--models N] [--seconds S] [--connections C]

Both servers read the same Oxigraph database (its default graph the merge of its named
graphs, as a build writes it, so that both answer the same queries the same way) and are loaded from loopback, one after
the other, by the same bounded load generator: ``wrk`` when it is installed (Debian
package ``wrk``), else Python threads with keep-alive ``http.client`` connections. It prints
requests/s for both and the ratio llmkg/Oxigraph for

* single-entity lookups (``SELECT ?p ?o WHERE { <entity> ?p ?o }``): round-robin over all
  the models with llmkg's answer cache off (every request evaluated), and round-robin over
  200 popular ones with the cache on (they come back: the cache answers);
* aggregate queries (GROUP BY over all models, three of them in turn), cache off;
* one canned query asked again and again (``/queries/NAME.json`` against the same SPARQL
  text on Oxigraph): llmkg's cache answers.

and how a query over the time limit ends (status, seconds) and how fast the next one is.
Without ``--store`` it builds a synthetic store in the shape of docs/rdf-model.md
(``--models`` models, about 22 quads each). Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from llmkg.graph.store import current_version, write_version  # noqa: E402
from llmkg.vocab import DEFAULT_BASE, GRAPH, PREFIXES  # noqa: E402
from llmkg.web.testing import ServerProcess, free_port, http  # noqa: E402

P = "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in ("llmkg", "rdfs", "dcterms", "xsd"))

AGGREGATES = [
    P + "SELECT ?a (COUNT(?m) AS ?n) (AVG(?c) AS ?avg) WHERE { ?m llmkg:architecture ?a ; "
        "llmkg:maximumParameterCount ?c } GROUP BY ?a ORDER BY ?a",
    P + "SELECT ?y (COUNT(DISTINCT ?m) AS ?n) (MAX(?c) AS ?largest) WHERE { ?m a llmkg:Model ; "
        "dcterms:created ?d ; llmkg:maximumParameterCount ?c . BIND(YEAR(?d) AS ?y) } GROUP BY ?y ORDER BY ?y",
    P + "SELECT ?org (COUNT(?m) AS ?n) (SUM(?c) AS ?total) WHERE { ?m llmkg:organization ?org ; "
        "llmkg:maximumParameterCount ?c } GROUP BY ?org ORDER BY DESC(?n) LIMIT 20",
]

CANNED_NAME = "parameters-over-time"
CANNED = f"""# title: Parameter count over time
# description: Each model's largest parameter count against the earliest date it was created.
# category: Scale
# view: scatter-log x=created y=parameters label=name
{P}SELECT ?model ?name ?created ?parameters WHERE {{
  ?model a llmkg:Model ; rdfs:label ?name .
  {{ SELECT ?model (MIN(?d) AS ?created) (MAX(?c) AS ?parameters) WHERE {{
       ?model dcterms:created ?d ; llmkg:maximumParameterCount ?c }} GROUP BY ?model }}
}}
ORDER BY ?created ?name
"""


# -- the store ---------------------------------------------------------------------------------

def synthetic_quads(n_models: int, seed: int = 1):
    from pyoxigraph import Literal, NamedNode, Quad

    rnd = random.Random(seed)
    R, L, XSD = DEFAULT_BASE, PREFIXES["llmkg"], PREFIXES["xsd"]
    cur, src = NamedNode(GRAPH + "curated"), NamedNode(GRAPH + "awesome-llms")
    rdf_type, label = NamedNode(PREFIXES["rdf"] + "type"), NamedNode(PREFIXES["rdfs"] + "label")
    orgs = [f"org-{i}" for i in range(max(10, n_models // 20))]
    for o in orgs:
        yield Quad(NamedNode(R + "organization/" + o), rdf_type, NamedNode(L + "Organization"), cur)
        yield Quad(NamedNode(R + "organization/" + o), label, Literal(o.upper()), cur)
    for i in range(n_models):
        m = NamedNode(R + f"model/m-{i}")
        yield Quad(m, rdf_type, NamedNode(L + "Model"), cur)
        yield Quad(m, label, Literal(f"Model {i}"), cur)
        yield Quad(m, NamedNode(L + "nameInSource"), Literal(f"Model {i}"), src)
        y, mo = 2017 + rnd.randrange(8), 1 + rnd.randrange(12)
        yield Quad(m, NamedNode(PREFIXES["dcterms"] + "created"),
                   Literal(f"{y}-{mo:02d}-01", datatype=NamedNode(XSD + "date")), src)
        yield Quad(m, NamedNode(L + "organization"), NamedNode(R + "organization/" + rnd.choice(orgs)), src)
        yield Quad(m, NamedNode(L + "architecture"),
                   NamedNode(R + "architecture/" + rnd.choice(["decoder", "encoder", "encoder-decoder"])), src)
        yield Quad(m, NamedNode(L + "accessLevel"), NamedNode(L + rnd.choice(["Open", "Closed", "Limited"])), src)
        yield Quad(m, NamedNode(L + "modelFamily"), Literal(f"family-{i % 50}"), src)
        mx = 0
        for v in range(1, 1 + rnd.randrange(1, 4)):
            c = int(10 ** rnd.uniform(7, 12))
            mx = max(mx, c)
            pv = NamedNode(R + f"model/m-{i}/parameters/awesome-llms/{v}")
            yield Quad(m, NamedNode(L + "parameterVariant"), pv, src)
            yield Quad(pv, rdf_type, NamedNode(L + "ParameterVariant"), src)
            yield Quad(pv, NamedNode(L + "parameterCount"), Literal(c), src)
            yield Quad(pv, label, Literal(f"{c / 1e9:.1f}B"), src)
        yield Quad(m, NamedNode(L + "maximumParameterCount"), Literal(mx), src)
        for k in range(5):
            yield Quad(m, NamedNode(L + f"note{k}"), Literal(f"some text {k} about model {i} " * 3), src)


def model_iris(store_dir: Path, limit: int) -> list[str]:
    from pyoxigraph import Store

    st = Store.read_only(str(current_version(store_dir).db))
    q = P + f"SELECT ?m WHERE {{ ?m a llmkg:Model }} LIMIT {limit}"
    out = [s["m"].value for s in st.query(q)]
    del st
    return out


# -- load generators ----------------------------------------------------------------------------

def run_wrk(base: str, paths: list[str], seconds: float, connections: int, accept: str) -> dict:
    script = "paths = {\n" + ",\n".join('"' + p.replace("\\", "\\\\").replace('"', '\\"') + '"' for p in paths) + "\n}\n"
    script += f"""
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[((i - 1) % #paths) + 1], {{["Accept"] = "{accept}"}})
end
non2xx = 0
response = function(status, headers, body)
  if status ~= 200 then non2xx = non2xx + 1 end
end
"""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
        lua = f.name
    try:
        out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s",
                              "-s", lua, base], capture_output=True, text=True, timeout=seconds + 60).stdout
    finally:
        os.unlink(lua)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    done = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    lat = re.search(r"Latency\s+([\d.]+\w+)", out)
    return {"rps": rps, "errors": int(errors.group(1)) if errors else 0, "latency": lat.group(1) if lat else "?",
            "requests": done}


def run_threads(base: str, paths: list[str], seconds: float, connections: int, accept: str) -> dict:
    import http.client

    u = urlsplit(base)
    stop = time.monotonic() + seconds
    counts = [0] * connections
    errors = [0] * connections

    def worker(k):
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        i = k
        while time.monotonic() < stop:
            conn.request("GET", paths[i % len(paths)], headers={"Accept": accept})
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                errors[k] += 1
            counts[k] += 1
            i += connections
        conn.close()

    t0 = time.monotonic()
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(connections)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return {"rps": sum(counts) / (time.monotonic() - t0), "errors": sum(errors), "latency": "?",
            "requests": sum(counts)}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and all its descendants (Linux /proc; 0 elsewhere)."""
    try:
        kids: dict[int, list[int]] = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    stat = Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                kids.setdefault(int(stat[1]), []).append(int(d))
        total, todo = 0, [pid]
        while todo:
            p = todo.pop()
            todo += kids.get(p, [])
            try:
                stat = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(stat[11]) + int(stat[12])
            except OSError:
                pass
        return total / os.sysconf("SC_CLK_TCK")
    except OSError:  # pragma: no cover - no /proc
        return 0.0


def load(base, paths, seconds, connections, accept="application/sparql-results+json", pid=None):
    """One measured run; with ``pid``, also the server's CPU time per request (its whole
    process tree), which depends less on what else the machine runs than requests/s do."""
    before = cpu_seconds(pid) if pid else 0.0
    if shutil.which("wrk"):
        r = run_wrk(base, paths, seconds, connections, accept)
    else:
        r = run_threads(base, paths, seconds, connections, accept)
    if pid and r.get("requests"):
        r["cpu_us"] = (cpu_seconds(pid) - before) / r["requests"] * 1e6
    return r


# -- servers -------------------------------------------------------------------------------------

class Oxigraph:
    def __init__(self, db: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        exe = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
        self.proc = subprocess.Popen([exe, "serve-read-only", "--location", str(db), "--bind",
                                      f"127.0.0.1:{self.port}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                if http("GET", self.url + "/query?query=" + quote("ASK {}"), timeout=2)[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("oxigraph serve-read-only did not start")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def sparql_paths(prefix: str, queries: list[str]) -> list[str]:
    return [prefix + "?" + urlencode({"query": q}) for q in queries]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, help="an existing store (default: build a synthetic one)")
    ap.add_argument("--models", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=5.0, help="length of each measured run")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3, help="alternating runs per workload (median kept)")
    ap.add_argument("--workers", type=int, help="llmkg serve --workers")
    ap.add_argument("--only", default="lookups,popular,aggregates,canned,timeout",
                    help="comma-separated workloads to run (default: all)")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="llmkg-bench-"))
    try:
        store = args.store
        if store is None:
            store = tmp / "store"
            t0 = time.perf_counter()
            from pyoxigraph import Quad

            quads = list(synthetic_quads(args.models))
            quads += [Quad(*q.triple) for q in quads]   # the default graph: their merge, as a build writes it
            v = write_version(store, quads, {"inputs_hash": "synthetic-bench"})
            print(f"synthetic store: {args.models} models, {v.meta['quads']} quads ({time.perf_counter() - t0:.1f} s)")
        v = current_version(store)
        qdir = tmp / "queries"
        qdir.mkdir()
        (qdir / f"{CANNED_NAME}.rq").write_text(CANNED, encoding="utf-8")
        entities = model_iris(store, 5000)
        lookups = [f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}" for iri in entities]
        gen = "wrk" if shutil.which("wrk") else "python threads"
        print(f"store version {v.id}, {v.meta.get('quads')} quads; load: {gen}, {args.connections} "
              f"connections, {args.seconds:g} s per run, median of {args.rounds} alternating runs, "
              f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")

        extra = ["--workers", str(args.workers)] if args.workers else []
        ox = Oxigraph(v.db)
        results = []
        try:
            with ServerProcess(store, "--cache-mb", "0", "--max-rows", "100000", *extra, queries=qdir) as cold, \
                    ServerProcess(store, "--max-rows", "100000", *extra, queries=qdir) as warm:
                popular = lookups[:200]
                runs = [
                    ("lookups", "single-entity lookups (llmkg cache off)", cold.url, sparql_paths("/sparql", lookups),
                     ox.url, sparql_paths("/query", lookups), 0.5),   # #18: >= 0.5x
                    ("popular", "single-entity lookups, 200 popular (cache on)", warm.url, sparql_paths("/sparql", popular),
                     ox.url, sparql_paths("/query", popular), 0.6),
                    ("aggregates", "aggregate queries (llmkg cache off)", cold.url, sparql_paths("/sparql", AGGREGATES),
                     ox.url, sparql_paths("/query", AGGREGATES), 0.9),
                    ("canned", "repeated canned query (llmkg cache on)", warm.url, [f"/queries/{CANNED_NAME}.json"],
                     ox.url, sparql_paths("/query", [CANNED]), 1.5),
                ]
                only = set(args.only.split(","))
                for key, name, lurl, lpaths, ourl, opaths, target in runs:
                    if key not in only:
                        continue
                    # warm up both (the first request of a worker opens the store), then
                    # alternate the two servers --rounds times and keep the medians: the
                    # machine may be shared, so a single run can be off by a lot
                    load(ourl, opaths, 1, args.connections)
                    load(lurl, lpaths, 1, args.connections)
                    os_, ms_ = [], []
                    lpid = cold.proc.pid if lurl == cold.url else warm.proc.pid
                    for _ in range(args.rounds):
                        os_.append(load(ourl, opaths, args.seconds, args.connections, pid=ox.proc.pid))
                        ms_.append(load(lurl, lpaths, args.seconds, args.connections, pid=lpid))
                    med = lambda rs: sorted(rs, key=lambda r: r["rps"])[len(rs) // 2]  # noqa: E731
                    pairs = sorted(m["rps"] / o["rps"] for m, o in zip(ms_, os_) if o["rps"])
                    cpu = lambda rs: sorted(r.get("cpu_us", 0.0) for r in rs)[len(rs) // 2]  # noqa: E731
                    results.append((name, med(ms_), med(os_), target, pairs, cpu(ms_), cpu(os_)))

                # a query over the time limit
                timed = None
                if "timeout" in only:
                    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
                    with ServerProcess(store, "--timeout", "2", *extra, queries=qdir) as t2:
                        t0 = time.perf_counter()
                        st, _, body = http("GET", t2.url + "/sparql?" + urlencode({"query": slow}), timeout=120)
                        took = time.perf_counter() - t0
                        t0 = time.perf_counter()
                        st2, _, _ = http("GET", t2.url + "/sparql?" + urlencode({"query": lookups[0]}))
                        timed = (st, took, body, st2, time.perf_counter() - t0)
        finally:
            ox.stop()

        print()
        print(f"load average after: {os.getloadavg()[0]:.1f}; ratio = median llmkg / median oxigraph; "
              f"rounds = the ratio of each alternating pair, lowest to highest")
        print(f"{'workload':46} {'llmkg req/s':>11} {'oxigraph req/s':>14} {'ratio':>7} {'target':>7}        rounds")
        for name, m, o, target, pairs, _, _ in results:
            ratio = m["rps"] / o["rps"] if o["rps"] else float("nan")
            flag = "ok" if ratio >= target else "below"
            err = f"  (errors: llmkg {m['errors']}, oxigraph {o['errors']})" if m["errors"] or o["errors"] else ""
            spread = " ".join(f"{r:.2f}" for r in pairs)
            print(f"{name:46} {m['rps']:11.0f} {o['rps']:14.0f} {ratio:6.2f}x {target:6.1f}x {flag:5}  {spread}{err}")
        print()
        print("server CPU per request (median; all of llmkg's processes, Oxigraph's one):")
        for name, _, _, _, _, mc, oc in results:
            print(f"  {name:46} llmkg {mc:9.0f} us   oxigraph {oc:9.0f} us")
        if timed:
            st, took, body, st2, after = timed
            print()
            print(f"query over a 2 s limit: HTTP {st} after {took:.2f} s ({body.decode(errors='replace').strip()[:70]}...)")
            print(f"next query on the same server: HTTP {st2} in {after * 1000:.0f} ms")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
