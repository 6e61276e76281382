"""Record files that attack or confuse the reader (#20): each is one clear problem at its
file and line, in bounded time and memory, and the build goes on or refuses cleanly.

Deliberate choices (docs/data-format.md, "What the reader refuses"): numbers of more than
30 digits are unreadable; exponent notation is not a number; YAML aliases may not expand
past 100,000 values nor values nest past 32 levels; YAML tags other than the plain ones are
refused; a parameter count of '∞' is a text without a count (a Warning); symbolic links,
FIFOs and devices named *.yaml are skipped with a Warning.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow   # builds stores (pytest -m "not slow" leaves it out)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    d = tmp_path / "data"
    for folder in ("sources", "vocabularies", "organizations"):
        shutil.copytree(DATA / folder, d / folder)
    (d / "models").mkdir()
    (d / "papers").mkdir()
    return d


def llmkg(*args, timeout=120):
    """llmkg in a process of its own (a hang is a failure, not a stuck test run)."""
    return subprocess.run([sys.executable, "-m", "llmkg", *args], capture_output=True, text=True,
                          timeout=timeout)


def problems(out: str) -> list[str]:
    return [l for l in out.splitlines() if ": Violation: " in l or ": Warning: " in l]


def test_hostile_values(data):
    m = data / "models"
    (m / "big-int.yaml").write_text("id: big-int\nname: X\nsources:\n  awesome-llms:\n    context length: "
                                    + "9" * 5000 + "\n")
    bomb = 'id: bomb\nname: B\na0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for i in range(1, 12):
        bomb += f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n"
    (m / "bomb.yaml").write_text(bomb)
    (m / "deep.yaml").write_text("id: deep\nname: D\nnote:\n" + "".join("  " * i + "-\n" for i in range(1, 1001)))
    (m / "tag.yaml").write_text("id: tag\nname: !!python/object/apply:os.system ['echo hi']\n")
    (m / "odd.yaml").write_text("id: odd\nname: O\nsources:\n  awesome-llms:\n    number of parameters: ∞\n"
                                "    training compute (petaFLOPs): 1e400\n")
    out = llmkg("validate", "--data", "data", "--severity", "warning")
    assert out.returncode == 1, out.stderr
    got = problems(out.stdout)
    assert ("data/models/big-int.yaml:5: Violation: context length: context length must be a whole number of "
            "tokens such as 2048 or 84k (value: '" + "9" * 77 + "...')") in got
    assert ("data/models/bomb.yaml:3: Violation: the file holds more than 100,000 values (YAML aliases that "
            "expand, or more than a record needs)") in got
    assert ("data/models/deep.yaml:1002: Violation: YAML syntax error: while increasing block level, "
            "exceeded maximum nesting depth") in got
    assert ("data/models/tag.yaml:2: Violation: name: the YAML tag 'tag:yaml.org,2002:python/object/apply:"
            "os.system' is not allowed: a record holds text, lists and mappings") in got
    assert ("data/models/odd.yaml:5: Warning: number of parameters: no count that can be read (value: '∞')") in got
    assert ("data/models/odd.yaml:6: Violation: training compute (petaFLOPs): expected a number such as 18k "
            "or 3.4M, got '1e400' (exponent notation is not read)") in got
    # the build says the same and leaves nothing behind
    out = llmkg("build", "--data", "data", "--store", "store")
    assert out.returncode == 1 and "internal error" not in out.stderr
    assert out.stderr.splitlines()[-1].startswith("llmkg: error: ")
    assert not (Path("store").exists() and list(Path("store").glob("building-*")))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_links_fifos_and_devices_are_skipped_with_a_warning(data, tmp_path):
    shutil.copy(DATA / "models" / "gpt-3.yaml", data / "models" / "gpt-3.yaml")
    shutil.copy(DATA / "papers" / "language-models-are-few-shot-learners.yaml", data / "papers")
    outside = tmp_path / "outside.yaml"
    outside.write_text("id: outside\nname: Outside\n")
    os.symlink(outside, data / "models" / "outside.yaml")          # points out of data/
    os.symlink(tmp_path / "nowhere", data / "models" / "dangling.yaml")
    os.mkfifo(data / "models" / "fifo.yaml")                        # a read would wait forever
    os.mkfifo(data / "papers" / "pipe.yml")
    os.symlink("/dev/zero", data / "models" / "zero.yaml")
    for _ in range(2):   # a full build, then an incremental one
        out = llmkg("build", "--data", "data", "--store", "store", timeout=120)
        assert out.returncode == 0, out.stderr
    assert not list(Path("store").glob("building-*"))
    out = llmkg("validate", "--data", "data", "--severity", "warning")
    skipped = [l for l in problems(out.stdout) if "skipped" in l]
    link = "is a symbolic link: skipped (a record is a regular file inside the data directory)"
    fifo = "is not a regular file (a FIFO, a socket or a device): skipped"
    assert skipped == [f"data/models/dangling.yaml:1: Warning: dangling.yaml {link}",
                       f"data/models/fifo.yaml:1: Warning: fifo.yaml {fifo}",
                       f"data/models/outside.yaml:1: Warning: outside.yaml {link}",
                       f"data/models/zero.yaml:1: Warning: zero.yaml {link}",
                       f"data/papers/pipe.yml:1: Warning: pipe.yml {fifo}"]
    out = llmkg("query", "--store", "store", "-e", "SELECT ?m WHERE { ?m a llmkg:Model } ORDER BY ?m")
    assert out.stdout.splitlines()[1:] == ["https://w3id.org/llmkg/resource/model/gpt-3"]
