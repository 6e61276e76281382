"""Helpers for the web tests and the endpoint benchmark: a store from a TriG file (with the
real layout, through :func:`llmkg.graph.store.write_version`) and ``llmkg serve`` in a child
process on a free loopback port, always stopped at the end."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from pyoxigraph import Quad, RdfFormat, parse

from ..graph.store import Version, write_version


def load_trig_store(store_dir: str | os.PathLike, trig: str | os.PathLike | bytes,
                    meta: dict | None = None, extra_quads=()) -> Version:
    """Write a new version of ``store_dir`` from TriG (a path or bytes) and swap it in; its
    default graph is the merge of its named graphs, as a build makes it (llmkg.graph.resolved)."""
    from pyoxigraph import Store

    from ..graph.resolved import settle

    mem = Store()
    if isinstance(trig, (bytes, bytearray)):
        mem.extend(parse(bytes(trig), format=RdfFormat.TRIG))
    else:
        mem.extend(parse(path=str(trig), format=RdfFormat.TRIG))
    mem.extend([q for q in extra_quads if isinstance(q, Quad)])
    settle(mem)
    quads = list(mem)
    m = {"inputs_hash": os.urandom(8).hex(), "source": "test fixture"}
    m.update(meta or {})
    return write_version(store_dir, quads, m)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """``llmkg serve --port 0 ...`` as a child process; ``.url`` once it listens.

    Use as a context manager; the server (and its query workers) is stopped on exit.
    """

    def __init__(self, store: str | os.PathLike, *args: str, queries: str | os.PathLike | None = None,
                 env: dict | None = None, start_timeout: float = 60.0, cwd: str | None = None):
        self.store = Path(store)
        self.args = list(args)
        self.queries = queries
        self.env = env
        self.start_timeout = start_timeout
        self.cwd = cwd
        self.proc: subprocess.Popen | None = None
        self.url: str | None = None
        self.stderr_path: Path | None = None

    def start(self) -> "ServerProcess":
        import tempfile

        env = dict(os.environ)
        if self.queries is not None:
            env["LLMKG_QUERIES"] = str(self.queries)
        env.update(self.env or {})
        src = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        fd, name = tempfile.mkstemp(prefix="llmkg-serve-", suffix=".log")
        os.close(fd)
        self.stderr_path = Path(name)
        self._stderr = open(name, "wb")
        cmd = [sys.executable, "-m", "llmkg.cli", "serve", "--store", str(self.store), "--host", "127.0.0.1",
               "--port", "0"] + self.args
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._stderr, stdin=subprocess.DEVNULL,
                                     env=env, cwd=self.cwd, start_new_session=True)
        deadline = time.monotonic() + self.start_timeout
        line = b""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            r, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if r:
                line = self.proc.stdout.readline()
                if line.startswith(b"http://"):
                    break
        if not line.startswith(b"http://"):
            log = self.log()
            self.stop()
            raise RuntimeError(f"llmkg serve did not start: {log[-3000:]}")
        self.url = line.decode().strip()
        return self

    def log(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace") if self.stderr_path else ""
        except OSError:
            return ""

    def stop(self) -> None:
        p = self.proc
        if p is None:
            return
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)   # the server and its workers (own session)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(timeout=5)
        else:
            try:  # workers left behind by a server that died
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if p.stdout:
            p.stdout.close()
        self._stderr.close()
        self.proc = None

    def get(self, path: str, headers: dict | None = None, timeout: float = 30):
        req = urllib.request.Request(self.url + path, headers=headers or {})
        return urllib.request.urlopen(req, timeout=timeout)

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        if self.stderr_path:
            try:
                self.stderr_path.unlink()
            except OSError:
                pass


def http(method: str, url: str, body: bytes | str | None = None, headers: dict | None = None,
         timeout: float = 60) -> tuple[int, dict, bytes]:
    """One request, whatever its status: ``(status, headers with lower-case names, body)``."""
    import http.client
    from urllib.parse import urlsplit

    u = urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        path = u.path + ("?" + u.query if u.query else "")
        if isinstance(body, str):
            body = body.encode("utf-8")
        conn.request(method, path or "/", body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        conn.close()


# Canned queries for the tests (written to a folder the server is given with --queries).
TEST_QUERIES = {
    "params-over-time.rq": """# title: Parameter count over time
# description: The largest parameter count of each model against the date it was created.
# category: Scale
# view: scatter-log x=created y=parameters label=name
# columns: name="model" created="created" parameters="parameters"
PREFIX llmkg: <https://w3id.org/llmkg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?model ?name ?created ?parameters WHERE {
  ?model a llmkg:Model ; rdfs:label ?name ; llmkg:maximumParameterCount ?parameters .
  { SELECT ?model (MIN(?c) AS ?created) WHERE { ?model dcterms:created ?c } GROUP BY ?model }
}
ORDER BY ?created
""",
    "models-of.rq": """# title: Models of an organization
# description: The models an organization made, by name.
# category: Organizations
# param: org iri default=res:organization/openai "the organization"
PREFIX llmkg: <https://w3id.org/llmkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?model ?name ?org WHERE {
  ?model a llmkg:Model ; rdfs:label ?name ; llmkg:organization ?org .
}
ORDER BY ?name
""",
    "bigger-than.rq": """# title: Models bigger than N
# description: Models with more parameters than N.
# category: Scale
# param: n integer required "the smallest count (100B = 10^11)"
PREFIX llmkg: <https://w3id.org/llmkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?name ?parameters ?n WHERE {
  ?model a llmkg:Model ; rdfs:label ?name ; llmkg:maximumParameterCount ?parameters .
  FILTER(?parameters > ?n)
}
ORDER BY DESC(?parameters)
""",
}


def write_test_queries(folder: str | os.PathLike) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in TEST_QUERIES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
