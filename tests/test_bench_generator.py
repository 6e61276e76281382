"""bench/generate.py: synthetic records, deterministic from the seed, valid but for the
defects it is asked for, each of which the shapes report where it was written."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

from llmkg.build.pipeline import check
from llmkg.config import Paths
from llmkg.records.read import load_records

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bench/ is not installed
    sys.path.insert(0, str(ROOT))

from bench.generate import DEFECTS, generate  # noqa: E402


def files(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def test_the_same_seed_gives_the_same_bytes(tmp_path):
    generate(150, tmp_path / "a", seed=3)
    generate(150, tmp_path / "b", seed=3)
    generate(150, tmp_path / "c", seed=4)
    assert files(tmp_path / "a") == files(tmp_path / "b")
    assert files(tmp_path / "a") != files(tmp_path / "c")


def test_shape_of_the_records(tmp_path):
    m = generate(300, tmp_path / "d", seed=1, invalid=0.0)
    rs = load_records(tmp_path / "d")
    assert rs.problems == []
    kinds = Counter(r.kind for r in rs.records)
    assert kinds == {"model": 180, "paper": 90, "organization": 27, "reading-list": 3, "source": 5}
    assert m["counts"]["model"] == 180 and m["defects"] == []
    models = rs.by_kind("model")
    both = [r for r in models if len(r.data["sources"]) == 2]
    assert 0.15 < len(both) / len(models) < 0.5  # both lists describe some models
    orgs = Counter(b["organization"] for r in models for b in r.data["sources"].values()
                   if isinstance(b.get("organization"), str))
    top = orgs.most_common(1)[0][1]
    assert top > 5 * (sum(orgs.values()) / len(orgs))  # a few organizations make most models
    variants = [len(b["number of parameters"].split(",")) for r in models for b in r.data["sources"].values()
                if "number of parameters" in b]
    assert max(variants) > 1
    papers = {r.id for r in rs.by_kind("paper")}
    assert all(b["paper"] in papers for r in models for b in r.data["sources"].values() if "paper" in b)
    assert (tmp_path / "d" / "vocabularies" / "licenses.yaml").read_bytes() == \
        (ROOT / "data" / "vocabularies" / "licenses.yaml").read_bytes()


@pytest.mark.slow
def test_clean_records_conform(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    generate(200, tmp_path / "data", seed=2, invalid=0.0)
    report = check(Paths.resolve(data=tmp_path / "data")).report
    assert report.violations == 0, report.to_text()


@pytest.fixture(scope="module")
def defective(tmp_path_factory):
    d = tmp_path_factory.mktemp("defects") / "data"
    m = generate(1200, d, seed=5, invalid=0.05)
    return d, m


def test_every_kind_of_defect_is_written(defective):
    _d, m = defective
    assert {x["defect"] for x in m["defects"]} == {d.name for d in DEFECTS}
    assert 0.04 < len(m["defects"]) / sum(m["counts"].values()) <= 0.05


@pytest.mark.slow
def test_every_defect_is_reported_at_its_file(defective, monkeypatch):
    d, m = defective
    monkeypatch.chdir(d.parent)
    report = check(Paths.resolve(data=d)).report
    found = {(Path(p.file).relative_to("data").as_posix(), p.field) for p in report.problems
             if p.component != "llmkg:SourcesDisagree"}
    missing = [x for x in m["defects"] if (x["file"], x["field"]) not in found]
    assert missing == []
    assert report.violations > 0
