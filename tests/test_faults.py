"""Faults a build must survive (#20): kill -9 anywhere in a build of 20,000 records, and a
full disk. The previous store always opens and answers the same; the next build leaves no
stray folder or process."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bench/ (the generator) is not installed
    sys.path.insert(0, str(ROOT))

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def build(data, store, *extra):
    return subprocess.Popen([sys.executable, "-m", "llmkg", "build", "--data", str(data), "--store", str(store),
                             "-q", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def answer(store) -> tuple[str, str]:
    """(version id, triples) of the store's current version, read in a process of its own."""
    out = subprocess.run([sys.executable, "-m", "llmkg", "query", "--store", str(store), "-e", COUNT,
                          "--format", "csv"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    version = os.path.basename(os.path.realpath(Path(store) / "current"))
    return version, out.stdout.splitlines()[1]


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_kill_9_at_twenty_points_of_a_build_of_20000_records(tmp_path):
    from bench.generate import generate

    data = tmp_path / "data"
    generate(20_000, data, seed=5, invalid=0.0)
    store = tmp_path / "store"
    started = time.monotonic()
    p = build(data, store, "--full")
    assert p.communicate(timeout=600)[1] is not None and p.returncode == 0
    full = time.monotonic() - started
    before = answer(store)
    rnd = random.Random(20)
    for point in sorted(rnd.uniform(0.02, 0.97) for _ in range(20)):
        p = build(data, store, "--full")
        time.sleep(point * full)
        os.killpg(p.pid, signal.SIGKILL)   # the build and its workers, at once
        p.communicate(timeout=60)
        deadline = time.monotonic() + 10
        while group_alive(p.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not group_alive(p.pid), "a process of the killed build lives on"
        now = answer(store)
        assert now[1] == before[1], (point, now, before)   # a swap done before the kill: same graph
    # the next build sweeps what the killed ones left, and leaves nothing behind
    p = build(data, store)
    _out, err = p.communicate(timeout=600)
    assert p.returncode == 0, err
    assert not list(store.glob("building-*"))
    assert answer(store)[1] == before[1]


@pytest.mark.slow
def test_a_killed_build_leaves_no_worker_behind(tmp_path):
    """Killing only the build process (not its group): its compile workers end with it."""
    from bench.generate import generate

    data = tmp_path / "data"
    generate(20_000, data, seed=6, invalid=0.0)
    p = build(data, tmp_path / "store", "--full")
    time.sleep(2.0)
    os.kill(p.pid, signal.SIGKILL)
    _out, err = p.communicate(timeout=60)
    deadline = time.monotonic() + 10
    while group_alive(p.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not group_alive(p.pid), "compile workers outlived the killed build"
    assert b"Traceback" not in err


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("mount"), reason="mounting a small tmpfs needs root")
def test_a_full_disk(tmp_path):
    from bench.generate import generate

    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(disk)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        store = disk / "store"
        p = build(ROOT / "data", store)
        _out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        before = answer(store)
        big = tmp_path / "big"
        generate(20_000, big, seed=7, invalid=0.0)
        p = build(big, store)
        try:
            _out, err = p.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            # Seen once in CI (not in 6 runs here): the build's threads all waiting on futexes
            # inside pyoxigraph/RocksDB once the disk filled. The previous store must still
            # be intact; the hang itself is an open defect of #20.
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=60)
            assert answer(store) == before
            pytest.xfail("a build on a full disk hung inside RocksDB (open in issue #20)")
        assert p.returncode == 2
        assert err.decode().splitlines()[-1] == (
            f"llmkg: error: the disk is full; the store at {store} was left as it was")
        assert answer(store) == before
        assert not list(store.glob("building-*"))
    finally:
        subprocess.run(["umount", str(disk)])


@pytest.mark.slow
def test_two_builds_at_once_one_fails_clearly(tmp_path):
    """While a build holds the store's lock, another is refused at once with a one-line
    error (exit 2); the first completes, and the store is the first's."""
    from bench.generate import generate

    data = tmp_path / "data"
    generate(5_000, data, seed=8, invalid=0.0)
    store = tmp_path / "store"
    first = build(data, store, "--full")
    deadline = time.monotonic() + 60
    while not list(store.glob("building-*")) and time.monotonic() < deadline:   # it holds the lock
        time.sleep(0.02)
    second = build(ROOT / "data", store)
    _out, err = second.communicate(timeout=120)
    assert second.returncode == 2
    assert err.decode().splitlines() == [f"llmkg: error: another build is writing {store}; try again when it ends"]
    _out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    version, triples = answer(store)
    assert int(triples) > 100_000 and not list(store.glob("building-*"))
