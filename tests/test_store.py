"""The store: write aside, swap atomically; failed or killed builds leave the old one intact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Quad

from llmkg.errors import StoreError
from llmkg.graph.store import current_version, open_generation, open_read_only, write_version

G = NamedNode("https://w3id.org/llmkg/graph/test")


def quads(label: str, n: int = 3):
    for i in range(n):
        yield Quad(NamedNode(f"https://example.org/s{i}"), NamedNode("https://example.org/p"),
                   Literal(f"{label}-{i}"), G)


def labels(store_dir: Path) -> list[str]:
    store, _v = open_read_only(store_dir)
    rows = store.query("SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?o")
    out = [r["o"].value for r in rows]
    del store
    return out


def test_no_store_yet_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match=r"no graph has been built in .* yet \(run 'llmkg build'\)"):
        open_read_only(tmp_path / "store")


def test_write_then_read_and_swap(tmp_path):
    sd = tmp_path / "store"
    v1 = write_version(sd, quads("one"), {"inputs_hash": "a" * 64})
    assert labels(sd) == ["one-0", "one-1", "one-2"]
    assert v1.meta["quads"] == 3
    assert current_version(sd).id == v1.id
    v2 = write_version(sd, quads("two", 2), {"inputs_hash": "b" * 64})
    assert v2.id != v1.id
    assert labels(sd) == ["two-0", "two-1"]
    assert (sd / "current").is_symlink()
    assert os.readlink(sd / "current") == f"versions/{v2.id}"


def test_each_swap_changes_the_generation_that_readers_map(tmp_path):
    sd = tmp_path / "store"
    assert open_generation(sd) is None                  # no store, no counter
    write_version(sd, quads("one"), {"inputs_hash": "a" * 64})
    gen = open_generation(sd)
    assert gen[:8] == (1).to_bytes(8, "little")
    write_version(sd, quads("two"), {"inputs_hash": "b" * 64})
    assert gen[:8] == (2).to_bytes(8, "little")         # seen through the mapping made before

    def failing():
        yield from quads("bad", 2)
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        write_version(sd, failing(), {"inputs_hash": "c" * 64})
    assert gen[:8] == (2).to_bytes(8, "little")         # no swap, no change


def test_an_error_while_writing_leaves_the_previous_store(tmp_path):
    sd = tmp_path / "store"
    write_version(sd, quads("good"), {"inputs_hash": "a" * 64})

    def failing():
        yield from quads("bad", 2)
        raise KeyboardInterrupt  # Ctrl-C in the middle of a build

    with pytest.raises(KeyboardInterrupt):
        write_version(sd, failing(), {"inputs_hash": "c" * 64})
    assert labels(sd) == ["good-0", "good-1", "good-2"]
    assert not list(sd.glob("building-*"))


def test_a_full_disk_leaves_the_previous_store(tmp_path, monkeypatch):
    import errno

    sd = tmp_path / "store"
    write_version(sd, quads("good"), {"inputs_hash": "a" * 64})

    def no_space():
        yield from quads("bad", 1)
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(StoreError) as exc:
        write_version(sd, no_space(), {"inputs_hash": "d" * 64})
    assert str(exc.value) == f"the disk is full; the store at {sd} was left as it was"
    assert labels(sd) == ["good-0", "good-1", "good-2"]
    assert not list(sd.glob("building-*"))


def test_a_killed_build_leaves_the_previous_store_readable(tmp_path):
    sd = tmp_path / "store"
    write_version(sd, quads("good"), {"inputs_hash": "a" * 64})
    ready = tmp_path / "ready"
    script = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from pyoxigraph import Literal, NamedNode, Quad
        from llmkg.graph.store import write_version
        def slow():
            for i in range(100000):
                yield Quad(NamedNode("https://example.org/s%d" % i), NamedNode("https://example.org/p"),
                           Literal("killed"), NamedNode("https://w3id.org/llmkg/graph/test"))
                if i == 1000:
                    Path({str(ready)!r}).write_text("x")
                    time.sleep(60)
        write_version({str(sd)!r}, slow(), {{"inputs_hash": "e" * 64}})
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.time() + 30
        while not ready.exists():
            assert time.time() < deadline, "the build did not start"
            assert proc.poll() is None, "the build process died early"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert list(sd.glob("building-*")), "the killed build left its work directory"
    assert labels(sd) == ["good-0", "good-1", "good-2"]
    # the next build sweeps what the killed one left behind
    write_version(sd, quads("next", 1), {"inputs_hash": "f" * 64})
    assert labels(sd) == ["next-0"]
    assert not list(sd.glob("building-*"))


def test_old_versions_are_swept_but_the_last_two_kept(tmp_path):
    sd = tmp_path / "store"
    ids = [write_version(sd, quads(f"v{i}", 1), {"inputs_hash": f"{i}" * 64}).id for i in range(4)]
    kept = sorted(p.name for p in (sd / "versions").iterdir())
    assert kept == sorted(ids[-2:])


def test_a_reader_keeps_its_version_while_a_build_swaps(tmp_path):
    sd = tmp_path / "store"
    write_version(sd, quads("old"), {"inputs_hash": "a" * 64})
    reader, v = open_read_only(sd)
    write_version(sd, quads("new", 1), {"inputs_hash": "b" * 64})
    rows = [r["o"].value for r in reader.query("SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?o")]
    assert rows == ["old-0", "old-1", "old-2"]
    assert labels(sd) == ["new-0"]
