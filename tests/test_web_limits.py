"""Clients that hold connections or send huge heads (#20): slowloris, silent connections,
500 idle connections and a 100 KiB head do not starve real clients (llmkg.web.protocol)."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from llmkg.web.testing import ServerProcess, http, load_trig_store

FIXTURE = Path(__file__).parent / "fixtures" / "web.trig"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    d = tmp_path_factory.mktemp("store")
    load_trig_store(d, FIXTURE)
    with ServerProcess(d, "--workers", "1", "--keep-alive", "1") as s:
        yield s


def connect(server) -> socket.socket:
    u = urlsplit(server.url)
    s = socket.create_connection((u.hostname, u.port), timeout=10)
    return s


def closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """Whether the server closes ``sock`` within ``seconds``; what it sent before."""
    sock.settimeout(seconds)
    got = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return True, got
            got += chunk
    except socket.timeout:
        return False, got
    except ConnectionResetError:
        return True, got


def test_a_silent_connection_is_closed(server):
    s = connect(server)
    closed, got = closed_within(s, 5)
    assert closed and got == b""


def test_slowloris_is_closed_before_its_head_is_complete(server):
    s = connect(server)
    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
    started = time.monotonic()
    closed = False
    for i in range(40):        # a header byte every 0.2 s: never a complete head
        try:
            s.sendall(b"X-a: b\r\n"[i % 8:i % 8 + 1])
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
        time.sleep(0.2)
        s.settimeout(0.01)
        try:
            if s.recv(1) == b"":
                closed = True
                break
        except socket.timeout:
            pass
    assert closed and time.monotonic() - started < 8


def test_a_head_over_64_kib_is_431(server):
    s = connect(server)
    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"a" * 100_000 + b"\r\n\r\n")
    closed, got = closed_within(s, 5)
    assert closed
    assert got.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    assert got.endswith(b"\r\n\r\nthe request line and headers are over 64 KiB; send less\r\n")
    s = connect(server)
    s.sendall(b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    closed, got = closed_within(s, 5)
    assert closed and got[:12] in (b"HTTP/1.1 431", b"HTTP/1.1 414")


def test_500_idle_connections_do_not_starve_a_real_client(server):
    idle = [connect(server) for _ in range(500)]
    try:
        for _ in range(20):
            status, _h, body = http("GET", f"{server.url}/health", timeout=10)
            assert status == 200, body
        time.sleep(2.5)            # the idle ones are closed by then (keep-alive 1 s)
        still = sum(1 for s in idle if not closed_within(s, 0.01)[0])
        assert still == 0
    finally:
        for s in idle:
            s.close()
    status, _h, _b = http("GET", f"{server.url}/sparql?query=ASK%7B%7D")
    assert status == 200
