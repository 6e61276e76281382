"""ORKG exports: orkg-csv read by a reader that follows ORKG's published CSV-import rules,
orkg-turtle in ORKG's namespaces only for papers / contributions / problems, orkg-json in
the shape of the orkg client's papers.add (v2)."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field

import pytest
import rdflib
from rdflib import RDF, RDFS, XSD

from llmkg.errors import LlmkgError
from llmkg.export import export_bytes, open_source

ORKGR = "http://orkg.org/orkg/resource/"
ORKGP = "http://orkg.org/orkg/predicate/"
ORKGC = "http://orkg.org/orkg/class/"

# --- a reader of ORKG's CSV import format, written from its rules --------------------------
# (orkg-frontend: csv-import HelpModal "Formatting rules" / "Header labels", the importer
# useImportBulkData: PREDEFINED_COLUMNS, `resource:` header prefix, `orkg:` ids, `<type>`
# suffixes of DataTypes names, same-named columns collected into one property)

PREDEFINED = ["paper:title", "paper:authors", "paper:publication_month", "paper:publication_year",
              "paper:doi", "paper:url", "paper:research_field", "paper:published_in"]
ORKG_TYPES = {"resource", "text", "decimal", "integer", "boolean", "date", "url", "empty"}


@dataclass
class Cell:
    value: str
    kind: str                 # "literal" | "resource" | "existing"
    type: str | None = None   # ORKG data type name for a literal


@dataclass
class OrkgRow:
    paper: dict[str, str]
    authors: list[str]
    problems: list[str]
    statements: dict[str, list[Cell]] = field(default_factory=dict)


def _type_suffix(text: str) -> tuple[str, str | None]:
    for t in sorted(ORKG_TYPES):
        if text.endswith(f"<{t}>"):
            return text[: -len(t) - 2], t
    return text, None


def read_orkg_csv(data: bytes) -> list[OrkgRow]:
    table = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    header = table[0]
    assert "paper:title" in header or "paper:doi" in header, "ORKG needs paper:title or paper:doi"
    for name in PREDEFINED:
        assert header.count(name) <= 1, f"duplicate {name}"
    rows = []
    for line, row in enumerate(table[1:], start=2):
        assert len(row) == len(header), f"row {line} has {len(row)} fields, the header {len(header)}"
        cells: dict[str, list[str]] = {}
        for h, c in zip(header, row):
            cells.setdefault(h, []).append(c)
        first = {k: v[0] for k, v in cells.items() if k in PREDEFINED}
        assert first.get("paper:title") or first.get("paper:doi"), f"row {line}: no title or DOI"
        rf = first.get("paper:research_field", "")
        assert re.fullmatch(r"(orkg:)?R\d+", rf), f"row {line}: research field {rf!r} is not an id"
        for key in ("paper:publication_month", "paper:publication_year"):
            assert first.get(key, "") == "" or first[key].isdigit()
        if first.get("paper:publication_month"):
            assert 1 <= int(first["paper:publication_month"]) <= 12
        out = OrkgRow(paper=first, authors=[a.strip() for a in first.get("paper:authors", "").split(";") if a.strip()],
                      problems=[c for c in cells.get("contribution:research_problem", []) if c])
        for h, values in cells.items():
            if h in PREDEFINED or h == "contribution:research_problem":
                continue
            label, htype = _type_suffix(h)
            resource_col = label.startswith("resource:")
            label = label[len("resource:"):] if resource_col else label
            if label.startswith("orkg:"):          # an existing ORKG predicate, by id
                label = label[len("orkg:"):]
                assert re.fullmatch(r"[A-Za-z0-9:_-]+", label), label
            for v in values:
                if not v:
                    continue
                if v.startswith("orkg:"):
                    assert re.fullmatch(r"orkg:R\d+", v), v
                    cell = Cell(v[len("orkg:"):], "existing")
                elif resource_col or v.startswith("resource:"):
                    cell = Cell(v[len("resource:"):] if v.startswith("resource:") else v, "resource")
                else:
                    text, ctype = _type_suffix(v)
                    cell = Cell(text, "literal", ctype or htype or "text")
                    _check_type(cell)
                out.statements.setdefault(label, []).append(cell)
        rows.append(out)
    return rows


def _check_type(cell: Cell) -> None:
    v = cell.value
    if cell.type == "integer":
        int(v)
    elif cell.type == "decimal":
        float(v)
    elif cell.type == "date":
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", v), v
    elif cell.type == "url":
        assert re.fullmatch(r"https?://\S+", v), v
    elif cell.type == "boolean":
        assert v.lower() in ("true", "false")


def by_model(rows: list[OrkgRow]) -> dict[str, OrkgRow]:
    out = {}
    for r in rows:
        (model,) = [c.value for c in r.statements["has model"]]
        out[model] = r
    return out


def values(row: OrkgRow, label: str) -> list[str]:
    return [c.value for c in row.statements.get(label, [])]


# --- orkg-csv -------------------------------------------------------------------------------

def test_orkg_csv_follows_the_header_rules(export_store_dir):
    data = export_bytes(open_source(export_store_dir), "orkg-csv")
    header = next(csv.reader(io.StringIO(data.decode())))
    assert header[:8] == ["paper:title", "paper:authors", "paper:publication_month", "paper:publication_year",
                          "paper:research_field", "paper:doi", "paper:url", "paper:published_in"]
    assert header[8] == "contribution:research_problem"
    assert "resource:has model" in header and "resource:organization" in header
    assert "has source code<url>" in header
    assert "maximum number of parameters (in million)<integer>" in header
    assert header[-1] == "orkg:SAME_AS"
    rows = by_model(read_orkg_csv(data))
    gpt1 = rows["GPT-1"]
    assert gpt1.paper["paper:title"] == "Improving Language Understanding by Generative Pre-Training"
    assert gpt1.paper["paper:research_field"] == "R133"
    assert sorted(gpt1.problems) == ["Large Language Models (LLMs)", "transformer model"]
    assert values(gpt1, "model family") == ["GPT"]
    assert [(c.value, c.type) for c in gpt1.statements["date created"]] == [("2018-06-01", "date")]
    assert [(c.value, c.kind) for c in gpt1.statements["organization"]] == [("OpenAI", "resource")]
    assert [(c.value, c.kind) for c in gpt1.statements["SAME_AS"]] == [("R370538", "existing")]
    assert [(c.value, c.type) for c in gpt1.statements["maximum number of parameters (in million)"]] == [("117", "integer")]
    assert sorted(values(gpt1, "has source code")) == [
        "https://github.com/openai/finetune-transformer-lm",
        "https://huggingface.co/docs/transformers/model_doc/openai-gpt"]
    assert values(gpt1, "license") == ["closed source"]
    bert = rows["BERT"]
    assert bert.authors == ["Jacob Devlin", "Ming-Wei Chang", "Kenton Lee", "Kristina Toutanova"]
    assert bert.paper["paper:doi"] == "10.18653/v1/N19-1423"
    assert bert.paper["paper:publication_year"] == "2019" and bert.paper["paper:publication_month"] == "6"
    assert bert.paper["paper:published_in"] == "NAACL-HLT"
    assert values(bert, "license") == ["Open, Apache 2.0"]          # the source's text
    assert sorted(values(bert, "pretraining task")) == ["Masked Language Modeling", "Next Sentence Prediction"]
    gpt2 = rows["GPT-2"]
    assert [(c.value, c.type) for c in gpt2.statements["date created"]] == [("Feb. 2019", "text")]
    assert "\n" in values(gpt2, "extension")[0] and '"more than 10X"' in values(gpt2, "extension")[0]
    # one row per contribution with a paper; ERNIE 3.0 has none
    assert sorted(rows) == ["BERT", "GPT-1", "GPT-2"]


def test_orkg_csv_of_another_source(export_store_dir):
    rows = by_model(read_orkg_csv(export_bytes(open_source(export_store_dir, "awesome-huge-models"), "orkg-csv")))
    assert sorted(rows) == ["GPT-3", "GPT-4"]
    assert sorted(values(rows["GPT-4"], "pretraining architecture")) == ["De", "MoE"]
    assert rows["GPT-4"].paper["paper:url"] == "https://cdn.openai.com/papers/gpt-4.pdf"


def test_orkg_exports_refuse_curated_graph(export_store_dir):
    with pytest.raises(LlmkgError, match="source's graph"):
        export_bytes(open_source(export_store_dir, "curated"), "orkg-csv")


def test_text_cells_orkg_would_misread_get_a_text_type():
    from llmkg.export._orkg import Value
    from llmkg.export.orkg_csv import Column

    col = Column("optimizer", [[Value("2048")], [Value("Adam")]])
    assert col.header() == "optimizer"
    assert col.cell(Value("2048")) == "2048<text>"
    assert col.cell(Value("https://x.org/a")) == "https://x.org/a<text>"
    assert col.cell(Value("Adam")) == "Adam"


@pytest.mark.parametrize("fmt", ["orkg-csv", "orkg-turtle", "orkg-json"])
def test_orkg_exports_are_deterministic(export_store_dir, fmt):
    assert export_bytes(open_source(export_store_dir), fmt) == export_bytes(open_source(export_store_dir), fmt)


# --- orkg-turtle ----------------------------------------------------------------------------

def _orkg_graph(store_dir, graph=None) -> rdflib.Graph:
    g = rdflib.Graph()
    g.parse(data=export_bytes(open_source(store_dir, graph), "orkg-turtle").decode(), format="turtle")
    return g


def test_orkg_turtle_uses_orkg_namespaces(export_store_dir):
    g = _orkg_graph(export_store_dir)
    for cls in ("Paper", "Contribution", "Problem"):
        members = set(g.subjects(RDF.type, rdflib.URIRef(ORKGC + cls)))
        assert members, cls
        for s in members:
            assert str(s).startswith(ORKGR), s
            assert (s, RDF.type, rdflib.URIRef(ORKGC + "Resource")) in g
            (label,) = list(g.objects(s, RDFS.label))
            assert label.datatype in (None, XSD.string) and label.language is None
    for s, p, o in g:
        assert str(p).startswith(ORKGP) or p in (RDF.type, RDFS.label), p
        assert isinstance(s, rdflib.URIRef) and str(s).startswith((ORKGR, ORKGP, ORKGC)), s
        if isinstance(o, rdflib.URIRef) and p != RDF.type:
            assert str(o).startswith(ORKGR), (p, o)


def test_orkg_turtle_reuses_known_ids(export_store_dir):
    g = _orkg_graph(export_store_dir)
    paper, contrib = rdflib.URIRef(ORKGR + "R370535"), rdflib.URIRef(ORKGR + "R370538")
    assert (paper, RDF.type, rdflib.URIRef(ORKGC + "Paper")) in g
    assert (paper, rdflib.URIRef(ORKGP + "P31"), contrib) in g
    assert (paper, rdflib.URIRef(ORKGP + "P30"), rdflib.URIRef(ORKGR + "R133")) in g
    problems = {str(g.value(o, RDFS.label)) for o in g.objects(contrib, rdflib.URIRef(ORKGP + "P32"))}
    assert problems == {"Large Language Models (LLMs)", "transformer model"}
    assert (contrib, rdflib.URIRef(ORKGP + "LLMKG_model_family"), rdflib.Literal("GPT")) in g
    assert (contrib, rdflib.URIRef(ORKGP + "LLMKG_date_created"),
            rdflib.Literal("2018-06-01", datatype=XSD.date)) in g
    model = g.value(contrib, rdflib.URIRef(ORKGP + "hasModel"))
    assert str(model) == ORKGR + "LLMKG_model_gpt-1"
    # a paper without an ORKG id gets a minted id under ORKG's resource namespace
    bert = ORKGR + "LLMKG_paper_bert-pre-training-of-deep-bidirectional-transformers-for"
    assert (rdflib.URIRef(bert), RDF.type, rdflib.URIRef(ORKGC + "Paper")) in g
    for pid in ("P31", "LLMKG_model_family", "hasModel"):
        assert (rdflib.URIRef(ORKGP + pid), RDF.type, rdflib.URIRef(ORKGC + "Predicate")) in g


# --- orkg-json ------------------------------------------------------------------------------

ADD_V2_KEYS = ["title", "research_fields", "identifiers", "publication_info", "authors", "contents",
               "organizations", "observatories", "extraction_method", "sdgs"]
REQUIRED = ["authors", "contents", "extraction_method", "identifiers", "observatories", "organizations",
            "publication_info", "research_fields", "title"]   # orkg client PapersClient.add


def test_orkg_json_has_the_papers_add_v2_shape(export_store_dir):
    payloads = json.loads(export_bytes(open_source(export_store_dir), "orkg-json"))
    assert len(payloads) == 3
    for p in payloads:
        assert list(p) == ADD_V2_KEYS
        assert all(k in p for k in REQUIRED) and "paper" not in p   # -> add_v2, not the legacy add_v1
        assert p["research_fields"] == ["R133"]
        assert set(p["publication_info"]) == {"published_month", "published_year", "published_in", "url"}
        assert p["extraction_method"] in ("UNKNOWN", "MANUAL", "AUTOMATIC")
        contents = p["contents"]
        assert list(contents) == ["resources", "literals", "predicates", "lists", "contributions"]
        declared = set(contents["resources"]) | set(contents["literals"]) | set(contents["predicates"])
        assert all(t.startswith("#") for t in declared)
        for lit in contents["literals"].values():
            assert set(lit) == {"label", "data_type"} and lit["data_type"].startswith("xsd:")
        for res in contents["resources"].values():
            assert set(res) == {"label", "classes"}
        for pred in contents["predicates"].values():
            assert pred["label"] and pred["description"]
        for c in contents["contributions"]:
            assert c["label"] and c["statements"]
            for pid, objs in c["statements"].items():
                assert pid in declared or re.fullmatch(r"P\d+|hasModel|SAME_AS", pid)
                for o in objs:
                    assert set(o) == {"id"}
                    assert o["id"] in declared or re.fullmatch(r"R\d+", o["id"])
    gpt1 = next(p for p in payloads if p["title"].startswith("Improving Language"))
    (c,) = gpt1["contents"]["contributions"]
    assert c["statements"]["SAME_AS"] == [{"id": "R370538"}]
    problems = {gpt1["contents"]["resources"][o["id"]]["label"] for o in c["statements"]["P32"]}
    assert problems == {"Large Language Models (LLMs)", "transformer model"}
    bert = next(p for p in payloads if p["title"].startswith("BERT"))
    assert bert["identifiers"] == {"doi": ["10.18653/v1/N19-1423"]}
    assert bert["authors"][0] == {"name": "Jacob Devlin"}
    assert bert["publication_info"] == {"published_month": 6, "published_year": 2019, "published_in": "NAACL-HLT",
                                        "url": "https://aclanthology.org/N19-1423/"}


# --- on the real data ----------------------------------------------------------------------

def _count_contributions_with_paper(store, source: str) -> int:
    q = f"""PREFIX orkgc: <{ORKGC}> PREFIX orkgp: <{ORKGP}> PREFIX llmkg: <https://w3id.org/llmkg/ontology#>
    SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ GRAPH <https://w3id.org/llmkg/graph/{source}> {{
      ?c a orkgc:Contribution ; llmkg:hasModel ?m . ?p orkgp:P31 ?c }} }}"""
    return int(next(iter(store.query(q)))["n"].value)


def test_real_orkg_csv(real_store_dir):
    src = open_source(real_store_dir)
    rows = read_orkg_csv(export_bytes(src, "orkg-csv"))
    assert len(rows) == _count_contributions_with_paper(src.store, "awesome-llms")
    models = by_model(rows)
    gpt1 = models["GPT-1"]
    assert gpt1.paper["paper:title"] == "Improving Language Understanding by Generative Pre-Training"
    assert [(c.value, c.kind) for c in gpt1.statements["SAME_AS"]] == [("R370538", "existing")]
    assert values(gpt1, "model family") == ["GPT"]
    assert [(c.value, c.type) for c in gpt1.statements["date created"]] == [("2018-06-01", "date")]


def test_real_orkg_turtle_and_json(real_store_dir):
    g = _orkg_graph(real_store_dir)
    paper = rdflib.URIRef(ORKGR + "R370535")
    assert (paper, rdflib.URIRef(ORKGP + "P31"), rdflib.URIRef(ORKGR + "R370538")) in g
    for cls in ("Paper", "Contribution", "Problem"):
        for s in g.subjects(RDF.type, rdflib.URIRef(ORKGC + cls)):
            assert str(s).startswith(ORKGR)
    payloads = json.loads(export_bytes(open_source(real_store_dir), "orkg-json"))
    assert all(list(p) == ADD_V2_KEYS for p in payloads)
    titles = [p["title"] for p in payloads]
    assert "Improving Language Understanding by Generative Pre-Training" in titles
