"""``llmkg push`` into a real SPARQL server (``oxigraph serve`` from PyPI, on 127.0.0.1):
every canned query gives the same rows there as on the embedded store; pushing twice leaves
the same server state; wrong credentials, an unreachable server and a connection dropped
mid-push give one-line errors, and a second run completes the push (#15)."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from llmkg import query as Q
from llmkg.errors import LlmkgError
from llmkg.graph.store import open_read_only
from llmkg.publish import Target, push
from llmkg.web.testing import free_port, http

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow
OXIGRAPH = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")

if not Path(OXIGRAPH).exists():  # pragma: no cover
    pytest.skip("the oxigraph CLI (PyPI oxigraph, in the test extras) is not installed", allow_module_level=True)


@pytest.fixture()
def oxigraph_server(tmp_path):
    port = free_port()
    proc = subprocess.Popen([OXIGRAPH, "serve", "--location", str(tmp_path / "db"), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if http("GET", url + "/query?query=ASK%7B%7D", timeout=2)[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()


def _rows(result) -> list:
    return [tuple(str(t) if t is not None else None for t in row) for row in result.rows]


def _quads(url: str) -> int:
    st, _h, body = http("GET", url + "/query?query=" + "SELECT%20(COUNT(*)%20AS%20%3Fn)%20WHERE%20%7B%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20UNION%20%7B%20GRAPH%20%3Fg%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20%7D%20%7D",
                        headers={"Accept": "text/csv"})
    assert st == 200
    return int(body.decode().split()[1])


def test_push_then_every_canned_query_gives_the_same_rows(real_store_dir, oxigraph_server):
    target = Target(graph_store=oxigraph_server + "/store")
    report = push(real_store_dir, target)
    assert len(report.pushed) == 9 and report.skipped == []
    local, _v = open_read_only(real_store_dir)
    assert _quads(oxigraph_server) == len(local) - 0   # the default graph and every named graph, as here
    reg = Q.load_registry(ROOT / "queries")
    compared = 0
    for name, q in sorted(reg.items()):
        if any(p.required for p in q.params):
            continue
        here = Q.run(local, q)
        there = Q.execute_remote(oxigraph_server + "/query", q.text, Q.bind(q, {}), titles=q.titles,
                                 hidden=tuple(p.name for p in q.params))
        ordered = re.search(r"\bORDER\s+BY\b", q.text, re.I) is not None
        a, b = _rows(here), _rows(there)
        assert (a == b) if ordered else (sorted(a) == sorted(b)), name
        assert here.variables == there.variables, name
        compared += 1
    assert compared == len(reg) == 21
    # pushing twice leaves the server as it was; --replace pushes all again, same state
    n = _quads(oxigraph_server)
    again = push(real_store_dir, target)
    assert again.pushed == [] and len(again.skipped) == 9
    forced = push(real_store_dir, target, replace=True)
    assert len(forced.pushed) == 9 and _quads(oxigraph_server) == n


def test_push_by_sparql_update(real_store_dir, oxigraph_server):
    report = push(real_store_dir, Target(update=oxigraph_server + "/update"))
    assert len(report.pushed) == 9
    local, _v = open_read_only(real_store_dir)
    q = Q.load_query(ROOT / "queries", "largest-model-per-year")
    assert _rows(Q.execute_remote(oxigraph_server + "/query", q.text, hidden=())) == _rows(Q.run(local, q, keep_params=True))


def _read_request(conn) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    need = int(m.group(1)) if m else 0
    while len(body) < need:
        chunk = conn.recv(65536)
        if not chunk:
            return
        body += chunk


class _Fake(threading.Thread):
    """A server that answers every request with ``status`` or, with ``drop``, closes the
    connection after reading part of the request."""

    def __init__(self, status: int = 401, drop: bool = False):
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.status, self.drop = status, drop
        self.start()

    def run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                if self.drop:
                    conn.recv(4096)
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    continue
                _read_request(conn)     # all of it: closing on unread data would reset the connection
                conn.sendall(b"HTTP/1.1 %d Unauthorized\r\ncontent-length: 6\r\nconnection: close\r\n\r\nno way" % self.status)


def test_wrong_credentials_unreachable_and_dropped(real_store_dir, oxigraph_server):
    fake = _Fake(401)
    with pytest.raises(LlmkgError) as e:
        push(real_store_dir, Target(graph_store=fake.url + "/store", user="me", password="wrong"))
    assert str(e.value) == (f"{fake.url[7:]} refused the credentials (401 Unauthorized); "
                            "check --user/--password or --token")
    port = free_port()
    with pytest.raises(LlmkgError, match=rf"^cannot reach 127.0.0.1:{port}: \[Errno 111\] Connection refused$"):
        push(real_store_dir, Target(graph_store=f"http://127.0.0.1:{port}/store"))
    dropper = _Fake(drop=True)
    with pytest.raises(LlmkgError, match=r"dropped .*run the same command again to finish"):
        push(real_store_dir, Target(graph_store=dropper.url + "/store"))
    # a push cut short after some graphs: the next run pushes only the rest
    target = Target(graph_store=oxigraph_server + "/store")
    import llmkg.publish as P

    real_push, calls = P._push_gsp, []

    def flaky(t, graph, data):
        calls.append(graph)
        if len(calls) == 4:
            raise LlmkgError("the connection to the server dropped (test); run the same command again")
        real_push(t, graph, data)

    P._push_gsp = flaky
    try:
        with pytest.raises(LlmkgError, match="dropped"):
            push(real_store_dir, target)
    finally:
        P._push_gsp = real_push
    rest = push(real_store_dir, target)
    assert len(rest.skipped) == 3 and len(rest.pushed) == 6
