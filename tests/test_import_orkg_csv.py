"""``llmkg import orkg-csv``: ORKG CSV -> records, and the round trip
data/ -> orkg-csv -> import -> build -> the same ``orkg-comparison`` rows."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
import yaml

from llmkg.export import export_bytes, open_source
from llmkg.importers.orkg_csv import build_records, import_orkg_csv, parse_cell, parse_header

ROOT = Path(__file__).resolve().parents[1]
SEP = "\u001f"


def test_header_rules():
    assert parse_header("paper:title") == ("title", True)
    assert parse_header("paper:authors") == ("authors", True)
    assert parse_header("paper:research_field") == ("research field", True)
    assert parse_header("contribution:research_problem") == ("research problem", False)
    assert parse_header("resource:organization") == ("organization", False)
    assert parse_header("resource:has model") == ("has model", False)
    assert parse_header("has source code<url>") == ("has source code", False)
    assert parse_header("maximum number of parameters (in million)<integer>") == (
        "maximum number of parameters (in million)", False)
    assert parse_header("Model Family") == ("model family", False)
    assert parse_header("model family.1") == ("model family", False)        # pandas' duplicate names
    assert parse_header("orkg:SAME_AS") == ("orkg contribution", False)
    assert parse_header("orkg:P32") == ("research problem", False)
    assert parse_header("orkg:P12345") == (None, False)
    assert parse_header("something else") == (None, False)


def test_cell_rules():
    assert parse_cell("2018-06-01<date>") == "2018-06-01"
    assert parse_cell("2048<text>") == "2048"
    assert parse_cell("resource:OpenAI") == "OpenAI"
    assert parse_cell("orkg:R370538") == "orkg:R370538"
    assert parse_cell("  Adam ") == "Adam"


def _seed(data: Path) -> Path:
    """A data directory with what an import needs to resolve names and build."""
    data.mkdir(parents=True)
    for folder in ("sources", "organizations", "vocabularies"):
        if (ROOT / "data" / folder).is_dir():
            shutil.copytree(ROOT / "data" / folder, data / folder)
    for extra in ("README.md",):
        if (ROOT / "data" / extra).exists():
            shutil.copy(ROOT / "data" / extra, data / extra)
    return data


def test_import_the_fixture_export(export_store_dir, tmp_path):
    csv_path = tmp_path / "llms.csv"
    csv_path.write_bytes(export_bytes(open_source(export_store_dir, include_existing=True), "orkg-csv"))
    data = _seed(tmp_path / "data")
    report = import_orkg_csv(csv_path, data)
    assert not report.errors, report.summary()
    assert "models/gpt-1.yaml" in report.created
    gpt1 = yaml.safe_load((data / "models" / "gpt-1.yaml").read_text())
    block = gpt1["sources"]["awesome-llms"]
    assert gpt1["name"] == "GPT-1"
    assert block["paper"] == "improving-language-understanding-by-generative-pre-training"
    assert block["orkg contribution"] == "R370538"
    assert block["model family"] == "GPT"
    assert str(block["date created"]) == "2018-06-01"
    assert block["organization"] == "openai"
    assert block["maximum number of parameters (in million)"] == "117"
    assert sorted(block["research problem"]) == ["Large Language Models (LLMs)", "transformer model"]
    assert sorted(block["has source code"]) == ["https://github.com/openai/finetune-transformer-lm",
                                                "https://huggingface.co/docs/transformers/model_doc/openai-gpt"]
    assert block["license"] == "closed source"
    bert_paper = yaml.safe_load((data / "papers" / "bert-pre-training-of-deep-bidirectional-transformers-for.yaml")
                                .read_text())
    assert bert_paper["doi"] == "10.18653/v1/N19-1423"
    pblock = bert_paper["sources"]["awesome-llms"]
    assert pblock["authors"] == ["Jacob Devlin", "Ming-Wei Chang", "Kenton Lee", "Kristina Toutanova"]
    assert (str(pblock["year"]), str(pblock["month"]), pblock["venue"]) == ("2019", "6", "NAACL-HLT")
    # again: nothing changes
    again = import_orkg_csv(csv_path, data)
    assert not again.created and not again.updated
    # a changed value is not replaced without --update, and is with it
    text = csv_path.read_text().replace("Adam optimizer", "AdamW")
    csv_path.write_text(text)
    skipped = import_orkg_csv(csv_path, data)
    assert any(f == "models/gpt-1.yaml" for f, _why in skipped.skipped)
    updated = import_orkg_csv(csv_path, data, update=True)
    assert "models/gpt-1.yaml" in updated.updated
    assert yaml.safe_load((data / "models" / "gpt-1.yaml").read_text())["sources"]["awesome-llms"]["optimizer"] == "AdamW"


def test_problems_are_reported_not_raised(tmp_path):
    table = [["paper:title", "model family"], ["A paper", "GPT"]]
    recs = build_records(table, "awesome-llms")
    assert any("has model" in p.message for p in recs.problems)
    table = [["paper:title", "resource:has model", "bogus column", "optimizer"],
             ["A paper", "M1", "x", "Adam"], ["Another", "", "", ""], ["Third", "M1", "", "SGD"]]
    recs = build_records(table, "awesome-llms")
    msgs = " / ".join(p.message for p in recs.problems)
    assert "'bogus column'" in msgs and "empty 'has model'" in msgs and "listed again" in msgs
    assert recs.models["m1"]["sources"]["awesome-llms"]["optimizer"] == "Adam"


def test_cli_import(export_store_dir, tmp_path):
    from click.testing import CliRunner

    from llmkg.cli import main

    csv_path = tmp_path / "llms.csv"
    r = CliRunner().invoke(main, ["export", "--format", "orkg-csv", "-o", str(csv_path), "--include-existing",
                                  "--store", str(export_store_dir)])
    assert r.exit_code == 0, r.output
    data = _seed(tmp_path / "data")
    r = CliRunner().invoke(main, ["import", "orkg-csv", str(csv_path), "-o", str(data)])
    assert r.exit_code == 0, r.output
    assert "created   models/gpt-2.yaml" in r.output
    assert (data / "models" / "bert.yaml").exists()


# -- round trip on the real data ------------------------------------------------------------

def comparison_rows(store_dir) -> list[tuple]:
    """The rows of queries/orkg-comparison.rq, list cells split and sorted, rows sorted."""
    query = (ROOT / "queries" / "orkg-comparison.rq").read_text(encoding="utf-8")
    store = open_source(store_dir).store
    result = store.query(query)
    names = [v.value for v in result.variables]
    rows = []
    for sol in result:
        row = []
        for n in names:
            term = sol[n]
            row.append(None if term is None else tuple(sorted(term.value.split(SEP))))
        rows.append(tuple(row))
    return sorted(rows, key=repr)


@pytest.mark.slow
@pytest.mark.skipif(not (ROOT / "queries" / "orkg-comparison.rq").exists(), reason="no orkg-comparison query")
def _licenses(store_dir) -> dict[str, set[str]]:
    q = """PREFIX llmkg: <https://w3id.org/llmkg/ontology#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    SELECT ?name ?l WHERE { GRAPH <https://w3id.org/llmkg/graph/awesome-llms> { ?m llmkg:license ?l ; rdfs:label ?name } }"""
    out: dict[str, set[str]] = {}
    for sol in open_source(store_dir).store.query(q):
        out.setdefault(sol["name"].value, set()).add(sol["l"].value)
    return out


def test_round_trip_gives_the_same_comparison(real_store_dir, tmp_path):
    """data/ -> orkg-csv -> import into an empty data folder -> build gives the ORKG
    comparison again: what ORKG carries comes back."""
    import html

    from llmkg.build.pipeline import build
    from llmkg.config import Paths

    csv_path = tmp_path / "awesome-llms.csv"
    csv_path.write_bytes(export_bytes(open_source(real_store_dir, include_existing=True), "orkg-csv"))
    data = _seed(tmp_path / "data")
    report = import_orkg_csv(csv_path, data)
    assert not report.errors, report.summary()
    # the two papers with two models each: one contribution in ORKG, whose statements
    # cannot be shared out between the models again
    shared = {"OpenLLaMA v1", "OpenLLaMA v2", "Flan-T5", "Flan-PaLM"}
    assert sorted(p.message for p in report.problems if "models (" in p.message) == [
        "the row names 2 models (Flan-PaLM, Flan-T5): only their names and paper are imported, "
        "not the statements they share",
        "the row names 2 models (OpenLLaMA v1, OpenLLaMA v2): only their names and paper are imported, "
        "not the statements they share"]
    store = tmp_path / "store"
    build(Paths.resolve(data=data, store=store))
    license_col = 20

    def rows(store_dir):
        out = []
        for r in comparison_rows(store_dir):
            if not r[0] or set(r[1]) & shared:
                continue
            r = list(r)
            r[0] = tuple(html.unescape(t) for t in r[0])     # Gopher's "&amp;" as the source wrote it
            r[license_col] = None                           # compared as concepts below
            out.append(tuple(r))
        return sorted(out, key=repr)

    before, after = rows(real_store_dir), rows(store)
    assert len(after) == len(before) == 83
    # the export carries the curated resolutions' values (GPT-4's 1.7T), which the
    # re-imported records state as awesome-llms' own; all else is the same comparison
    changed = [(a, b) for a, b in zip(after, before) if a != b]
    import yaml

    resolved = set()
    for f in sorted((ROOT / "data" / "models").glob("*.yaml")):
        rec = yaml.safe_load(f.read_text(encoding="utf-8"))
        if rec.get("curated") and "awesome-llms" in (rec.get("sources") or {}):
            resolved.add(rec["sources"]["awesome-llms"].get("name") or rec["name"])
    assert changed and {a[1][0] for a, _b in changed} <= resolved
    gpt4 = next(a for a in after if a[1] == ("GPT-4",))
    assert ("1.7T",) in gpt4 and ("170T",) not in gpt4
    # the licenses: the same concepts (the export writes the concept, not the source's text)
    lb, la = _licenses(real_store_dir), _licenses(store)
    assert {k: v for k, v in la.items() if k not in shared} == {k: v for k, v in lb.items() if k not in shared}
    # and the export of the rebuilt store is the same file but for the two shared rows
    again = export_bytes(open_source(store, include_existing=True), "orkg-csv")
    from tests.test_export_orkg import read_orkg_csv

    def by_title(data):
        return {r.paper["paper:title"]: r for r in read_orkg_csv(data)
                if not {c.value for c in r.statements.get("has model", [])} & shared}

    first, second = by_title(csv_path.read_bytes()), by_title(again)
    assert len(first) == 83 and first == second


def test_update_with_our_own_export_changes_nothing(real_store_dir, tmp_path):
    """export orkg-csv -> import orkg-csv --update over the same data/: no file changes
    (section:, note:, list order, the sources' license texts and the curated resolutions'
    keys are kept; a paper gets no year, DOI or URL the export derived)."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    csv_path = tmp_path / "all.csv"
    csv_path.write_bytes(export_bytes(open_source(real_store_dir, include_existing=True), "orkg-csv"))
    report = import_orkg_csv(csv_path, data, update=True)
    assert not report.errors, report.summary()
    assert report.updated == [] and report.diffs == {}
    assert len(report.unchanged) == 173
    for f in sorted((ROOT / "data").rglob("*.yaml")):
        assert (data / f.relative_to(ROOT / "data")).read_bytes() == f.read_bytes(), f


def test_dry_run_shows_a_unified_diff(real_store_dir, tmp_path):
    from click.testing import CliRunner

    from llmkg.cli import main

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    rows = list(csv.reader(io.StringIO(export_bytes(open_source(real_store_dir, include_existing=True),
                                                    "orkg-csv").decode())))
    header = rows[0]
    gpt1 = next(r for r in rows if r[header.index("resource:has model")] == "GPT-1")
    gpt1[header.index("model family")] = "GPT (OpenAI)"
    csv_path = tmp_path / "edited.csv"
    with open(csv_path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    r = CliRunner().invoke(main, ["import", "orkg-csv", str(csv_path), "-o", str(data), "--update", "--dry-run"])
    assert r.exit_code == 0, r.output
    assert "0 created, 1 updated, 172 unchanged" in r.output
    diff = r.output[r.output.index("--- a/models/gpt-1.yaml"):]
    assert diff.splitlines()[:2] == ["--- a/models/gpt-1.yaml", "+++ b/models/gpt-1.yaml"]
    assert "-    model family: GPT\n+    model family: GPT (OpenAI)\n" in diff
    assert (data / "models" / "gpt-1.yaml").read_bytes() == (ROOT / "data" / "models" / "gpt-1.yaml").read_bytes()
