"""A build while ``llmkg serve`` serves the same store (#20): no request fails, every answer
comes whole from one version (never a half graph), and the new version is served once its
build is complete."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
import time
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from llmkg.web.testing import ServerProcess

ROOT = Path(__file__).resolve().parents[1]
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
MODELS = "SELECT (COUNT(?m) AS ?n) WHERE { ?m a <https://w3id.org/llmkg/ontology#Model> }"

pytestmark = pytest.mark.slow


def build(data: Path, store: Path) -> tuple[str, int]:
    """``llmkg build``: (the version it made, the triples of its default graph)."""
    r = subprocess.run([sys.executable, "-m", "llmkg", "build", "--data", str(data), "--store", str(store)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    m = re.search(r"built (\S+): .*?; (\d+) triples in the default graph", r.stdout)
    assert m, r.stdout
    return m.group(1), int(m.group(2))


def add_model(data: Path, i: int) -> None:
    (data / "models" / f"during-build-{i}.yaml").write_text(
        f"id: during-build-{i}\nname: During Build {i}\nsources:\n  awesome-huge-models:\n    name: During Build {i}\n",
        encoding="utf-8")


def test_a_build_while_serving_fails_no_request(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    store = tmp_path / "store"
    versions = dict([build(data, store)])
    with ServerProcess(store, "--workers", "2") as s:
        u = urlsplit(s.url)
        seen: list[tuple[str, int, int]] = []     # (version, triples, models)
        failures: list = []
        stop = threading.Event()

        def client() -> None:
            conn = HTTPConnection(u.hostname, u.port, timeout=30)
            while not stop.is_set():
                got = []
                for q in (COUNT, MODELS):
                    try:
                        # one version per answer: the request names no version, the answer says which
                        conn.request("GET", "/sparql?" + urlencode({"query": q}),
                                     headers={"Accept": "application/sparql-results+json"})
                        r = conn.getresponse()
                        body = r.read()
                    except OSError as exc:
                        failures.append(repr(exc))
                        conn.close()
                        break
                    if r.status != 200:
                        failures.append((r.status, body[:200]))
                        break
                    n = int(json.loads(body)["results"]["bindings"][0]["n"]["value"])
                    got.append((r.getheader("X-LLMKG-Store-Version"), n))
                if len(got) == 2 and got[0][0] == got[1][0]:
                    seen.append((got[0][0], got[0][1], got[1][1]))
            conn.close()

        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            for i in range(3):
                time.sleep(0.5)
                add_model(data, i)
                v, n = build(data, store)
                versions[v] = n
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline and not any(x[0] == v for x in seen[-20:]):
                    time.sleep(0.05)
                assert any(x[0] == v for x in seen[-20:]), f"version {v} not served 5 s after its build"
        finally:
            stop.set()
            for t in threads:
                t.join(30)
    assert not failures, failures[:5]
    assert len(seen) > 100
    # every answer is whole: the triples of the version that answered, as its build said
    by_version: dict[str, set] = {}
    for v, n, m in seen:
        by_version.setdefault(v, set()).add((n, m))
    assert set(by_version) <= set(versions)
    for v, counts in by_version.items():
        assert {n for n, _ in counts} == {versions[v]}, (v, counts)
        assert len(counts) == 1, (v, counts)
    # each build adds one model, and the models counted grow with the versions
    models = [next(iter(by_version[v]))[1] for v in sorted(by_version)]
    assert models == sorted(models) and len(set(models)) == len(models)
