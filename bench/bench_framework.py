"""Benchmark: what would serving through Starlette cost the single-entity lookups?

    python -m bench.bench_framework [--models N] [--seconds S] [--rounds R]

Issue #18 asks for a well-kept framework (Starlette on uvicorn) for routing, requests and
responses unless it costs the lookups more than 20 %. This serves the same store, one
process each, on the same uvicorn (httptools, uvloop) and loads each with the same
single-entity lookups (``GET /sparql?query=SELECT ?p ?o WHERE { <entity> ?p ?o }``,
JSON results, llmkg's answer cache off):

* ``llmkg``: ``llmkg serve --workers 1 --cache-mb 0``, the whole endpoint (the query
  scanned for SERVICE and updates, the store version, ETag, caps, time limit);
* ``starlette``: a Starlette app whose one route does only part of that work: it reads
  the ``query`` parameter and answers ``query.execute_serialized(store, text, "json")``;
* ``asgi``: the same handler as a bare ASGI callable on uvicorn (no framework), which
  tells Starlette's own share from uvicorn's ASGI cycle;
* ``llmkg-asgi``: llmkg's app as a plain ASGI app on stock uvicorn (without
  ``web/protocol.py``, which answers a GET in the parser's callback);
* ``llmkg-starlette``: llmkg's app under Starlette: a Starlette route hands each request
  to the app's handlers (``App.dispatch``) and sends their answer as a Starlette
  ``Response`` -- what a port to Starlette would run.

The first Starlette app does less than llmkg's endpoint, so its figure is the best a
port could reach; ``llmkg-starlette`` is the realistic one. Printed: requests/s (median of ``--rounds`` alternating runs) and
the server's CPU time per request, with the ratios against ``llmkg``. Not a test.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bench.bench_endpoint import free_port, load, model_iris, sparql_paths, synthetic_quads  # noqa: E402
from llmkg.graph.store import current_version, write_version  # noqa: E402
from llmkg.web.testing import ServerProcess, http  # noqa: E402


def _handler(db_path: str):
    from pyoxigraph import Store

    from llmkg import query

    store = Store.read_only(db_path)

    def answer(text: str) -> tuple[int, bytes, str]:
        try:
            out = query.execute_serialized(store, text, "json")
        except query.QueryError as exc:
            return 400, str(exc).encode(), "text/plain; charset=utf-8"
        return 200, out.body, out.media_type

    return answer


def starlette_app(db_path: str):
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    answer = _handler(db_path)

    async def sparql(request):
        status, body, media_type = answer(request.query_params.get("query", ""))
        return Response(body, status_code=status, media_type=media_type)

    return Starlette(routes=[Route("/sparql", sparql)])


def asgi_app(db_path: str):
    from urllib.parse import parse_qs

    answer = _handler(db_path)

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        text = parse_qs(scope["query_string"].decode()).get("query", [""])[0]
        status, body, media_type = answer(text)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", media_type.encode()),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    return app


def llmkg_app(store: str):
    from llmkg.web.app import create_app
    from llmkg.web.config import ServerConfig

    return create_app(ServerConfig(store=Path(store), cache_bytes=0, workers=1))


def llmkg_starlette_app(store: str):
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    from llmkg.web.http import HTTPError
    from llmkg.web.http import Request as LlmkgRequest

    app = llmkg_app(store)

    async def endpoint(request):
        req = LlmkgRequest(request.scope, request.receive)
        try:
            resp = await app.dispatch(req)
        except HTTPError as exc:
            resp = app.error(req, exc.status, exc.message, exc.headers)
        return Response(resp.body, status_code=resp.status, headers=dict(resp.headers))

    async def lifespan(_app):
        app.current()
        app.registry()
        yield

    import contextlib

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "HEAD", "POST"])],
                     lifespan=contextlib.asynccontextmanager(lifespan))


class _Uvicorn:
    def __init__(self, kind: str, db: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.bench_framework", "--serve", kind,
                                      "--db", str(db), "--port", str(self.port)], cwd=ROOT,  # db: or the store
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            try:
                if http("GET", self.url + "/sparql?query=ASK%7B%7D", timeout=2)[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"the {kind} server did not start")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _serve(kind: str, db: str, port: int) -> None:
    import uvicorn

    make = {"starlette": starlette_app, "asgi": asgi_app, "llmkg-asgi": llmkg_app,
            "llmkg-starlette": llmkg_starlette_app}[kind]
    uvicorn.run(make(db), host="127.0.0.1", port=port, http="httptools", loop="uvloop", log_level="warning",
                access_log=False, lifespan="off" if kind in ("starlette", "asgi") else "on")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--serve", choices=["starlette", "asgi", "llmkg-asgi", "llmkg-starlette"], help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        _serve(args.serve, args.db, args.port)
        return

    import starlette

    with tempfile.TemporaryDirectory(prefix="llmkg-bench-") as tmp:
        from pyoxigraph import Quad

        store = Path(tmp) / "store"
        quads = list(synthetic_quads(args.models))
        quads += [Quad(*q.triple) for q in quads]
        write_version(store, quads, {"inputs_hash": "synthetic-bench"})
        v = current_version(store)
        paths = sparql_paths("/sparql", [f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}" for iri in model_iris(store, 5000)])
        print(f"{args.models} models, {v.meta['quads']} quads; wrk, {args.connections} connections, "
              f"{args.seconds:g} s runs, median of {args.rounds}; starlette {starlette.__version__}; "
              f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        with ServerProcess(store, "--cache-mb", "0", "--workers", "1", "--extra-workers", "0") as ours, \
                _Uvicorn("starlette", v.db) as star, _Uvicorn("asgi", v.db) as bare, \
                _Uvicorn("llmkg-asgi", store) as ours_asgi, _Uvicorn("llmkg-starlette", store) as ours_star:
            servers = [("llmkg", ours), ("starlette", star), ("asgi", bare), ("llmkg-asgi", ours_asgi),
                       ("llmkg-starlette", ours_star)]
            for _name, s in servers:
                load(s.url, paths, 1, args.connections)
            runs: dict[str, list[dict]] = {name: [] for name, _s in servers}
            for _ in range(args.rounds):
                for name, s in servers:
                    runs[name].append(load(s.url, paths, args.seconds, args.connections, pid=s.proc.pid))

        def med(rs, key):
            vals = sorted(r.get(key, 0.0) for r in rs)
            return vals[len(vals) // 2]

        base_rps, base_cpu = med(runs["llmkg"], "rps"), med(runs["llmkg"], "cpu_us")
        print(f"{'server':<16} {'req/s':>9} {'ratio':>6} {'CPU us/req':>11} {'ratio':>6}")
        for name, rs in runs.items():
            rps, cpu = med(rs, "rps"), med(rs, "cpu_us")
            print(f"{name:<16} {rps:>9.0f} {rps / base_rps:>6.2f} {cpu:>11.0f} {cpu / base_cpu:>6.2f}")


if __name__ == "__main__":
    main()
