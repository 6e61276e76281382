"""``llmkg push``: the built graph into another SPARQL server, for when it outgrows one
machine or must join a shared store.

What is pushed: every named graph of the store (each source's, ``graph:curated``,
``graph:resolutions``, ``graph:ontology``) and the default graph, which in llmkg is the
resolved merge the canned queries read (docs/rdf-model.md): so the same queries give the
same rows on the server as on the embedded store, whatever the server's own notion of a
default graph is.

How: the SPARQL 1.1 Graph Store HTTP Protocol, one ``PUT`` per graph (``?graph=IRI``,
``?default``) with the graph as N-Triples. ``PUT`` replaces the graph, so pushing twice
leaves the server as pushing once. Without a Graph Store endpoint, SPARQL 1.1 Update at
the endpoint: ``DROP SILENT GRAPH`` then ``INSERT DATA`` in batches.

Resuming: each graph pushed is noted, with the digest of what was pushed, in
``STORE/push-<server>.json``; a run that stopped (a dropped connection) is run again and
skips the graphs the server already holds as they are. ``replace`` pushes all again.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from .errors import LlmkgError

BATCH = 20_000          # triples per INSERT DATA (SPARQL Update)
TIMEOUT = 300.0


@dataclass
class Target:
    """Where to push: a Graph Store endpoint and/or a SPARQL Update endpoint, and how to
    authenticate (HTTP basic or a bearer token)."""

    graph_store: str | None = None
    update: str | None = None
    user: str | None = None
    password: str | None = None
    token: str | None = None

    def headers(self) -> dict[str, str]:
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.user is not None:
            raw = f"{self.user}:{self.password or ''}".encode("utf-8")
            return {"Authorization": "Basic " + base64.b64encode(raw).decode("ascii")}
        return {}

    @property
    def key(self) -> str:
        return self.graph_store or self.update or ""


@dataclass
class PushReport:
    pushed: list[tuple[str, int]] = field(default_factory=list)     # (graph, triples)
    skipped: list[str] = field(default_factory=list)               # already on the server
    seconds: float = 0.0

    def summary(self) -> str:
        n = sum(t for _g, t in self.pushed)
        return (f"pushed {len(self.pushed)} graphs ({n:,} triples), {len(self.skipped)} already on the server; "
                f"{self.seconds:.1f} s")


def _graphs(store) -> Iterator[tuple[str | None, bytes]]:
    """(graph IRI or None for the default graph, its triples as sorted N-Triples), one graph
    at a time (only the one being pushed is held in memory)."""
    from pyoxigraph import DefaultGraph, NamedNode, RdfFormat, Triple, serialize

    def ntriples(g) -> bytes:
        triples = sorted((Triple(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, g)),
                         key=str)
        return serialize(triples, format=RdfFormat.N_TRIPLES) or b""

    yield None, ntriples(DefaultGraph())
    for g in sorted((g for g in store.named_graphs() if isinstance(g, NamedNode)), key=lambda g: g.value):
        yield g.value, ntriples(g)


def _request(method: str, url: str, target: Target, body: bytes, ctype: str) -> None:
    headers = {"Content-Type": ctype, "User-Agent": "llmkg", **target.headers()}
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    host = urllib.parse.urlsplit(url).netloc
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            resp.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read(500).decode("utf-8", "replace").strip().splitlines()
        if exc.code in (401, 403):
            raise LlmkgError(f"{host} refused the credentials ({exc.code} {exc.reason}); "
                             "check --user/--password or --token") from None
        raise LlmkgError(f"{url} answered {exc.code} {exc.reason}" + (f": {detail[0]}" if detail else "")) from None
    except urllib.error.URLError as exc:
        if not isinstance(exc.reason, (ConnectionResetError, BrokenPipeError)):
            raise LlmkgError(f"cannot reach {host}: {exc.reason}") from None
        dropped = exc.reason
    except (ConnectionResetError, BrokenPipeError, TimeoutError) as exc:
        dropped = exc
    else:
        return
    raise LlmkgError(f"the connection to {host} dropped ({dropped}); run the same command again to finish "
                     "(graphs already pushed are skipped)")


def _push_gsp(target: Target, graph: str | None, data: bytes) -> None:
    sep = "&" if "?" in target.graph_store else "?"
    query = "default" if graph is None else "graph=" + urllib.parse.quote(graph, safe="")
    _request("PUT", target.graph_store + sep + query, target, data, "application/n-triples")


def _push_update(target: Target, graph: str | None, data: bytes) -> None:
    lines = [ln for ln in data.decode("utf-8").splitlines() if ln.strip()]
    where = "DEFAULT" if graph is None else f"GRAPH <{graph}>"
    _request("POST", target.update, target, f"DROP SILENT {where}".encode("utf-8"), "application/sparql-update")
    for i in range(0, len(lines), BATCH):
        chunk = "\n".join(lines[i:i + BATCH])
        body = ("INSERT DATA { " + (f"GRAPH <{graph}> {{\n{chunk}\n}}" if graph else chunk) + " }").encode("utf-8")
        _request("POST", target.update, target, body, "application/sparql-update")


def _state_file(store_dir: Path, target: Target) -> Path:
    return Path(store_dir) / f"push-{hashlib.sha256(target.key.encode()).hexdigest()[:16]}.json"


def push(store_dir: str | os.PathLike, target: Target, replace: bool = False,
         step: Callable[[str], None] | None = None) -> PushReport:
    """Push the current store version to ``target`` (see the module docstring)."""
    from .graph.store import open_read_only

    if not (target.graph_store or target.update):
        raise LlmkgError("give the server's Graph Store endpoint (--graph-store) or its update endpoint (--endpoint)")
    store, version = open_read_only(store_dir)
    state_path = _state_file(Path(store_dir), target)
    state: dict = {}
    if not replace and state_path.exists():
        try:
            state = json.loads(state_path.read_text(encoding="utf-8"))
        except ValueError:
            state = {}
    done: dict = state.get("graphs", {}) if state.get("target") == target.key else {}
    report = PushReport()
    t0 = time.perf_counter()
    for graph, data in _graphs(store):
        name = graph or "(default graph)"
        digest = hashlib.sha256(data).hexdigest()
        if done.get(name) == digest:
            report.skipped.append(name)
            continue
        if target.graph_store:
            _push_gsp(target, graph, data)
        else:
            _push_update(target, graph, data)
        n = data.count(b"\n")
        report.pushed.append((name, n))
        done[name] = digest
        tmp = state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"target": target.key, "version": version.id, "graphs": done}, indent=1,
                                  sort_keys=True), encoding="utf-8")
        tmp.replace(state_path)
        if step:
            step(f"pushed {name}: {n:,} triples")
    report.seconds = time.perf_counter() - t0
    return report

