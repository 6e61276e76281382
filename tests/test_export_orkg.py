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
from llmkg.export.orkg_rules import check_paper_csv

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
        for c in r.statements["has model"]:
            out[c.value] = r
    return out


def values(row: OrkgRow, label: str) -> list[str]:
    return [c.value for c in row.statements.get(label, [])]


def _csv(store_dir, graph=None, include_existing=True) -> bytes:
    data = export_bytes(open_source(store_dir, graph, include_existing=include_existing), "orkg-csv")
    assert check_paper_csv(data.decode()) == []
    return data


# --- orkg-csv -------------------------------------------------------------------------------

def test_orkg_csv_follows_the_header_rules(export_store_dir):
    data = _csv(export_store_dir)
    header = next(csv.reader(io.StringIO(data.decode())))
    assert header[:8] == ["paper:title", "paper:authors", "paper:publication_month", "paper:publication_year",
                          "paper:research_field", "paper:doi", "paper:url", "paper:published_in"]
    # one research-problem column (ORKG rejects a repeated one); the second problem by
    # ORKG's predicate id P32, "has research problem"
    assert header.count("contribution:research_problem") == 1
    assert header[8:10] == ["contribution:research_problem", "orkg:P32"]
    assert "resource:has model" in header and "resource:organization" in header
    assert "has source code<url>" in header
    assert "maximum number of parameters (in million)<integer>" in header
    assert header[-1] == "orkg:SAME_AS"
    assert not any(h.endswith("<resource>") for h in header)
    rows = by_model(read_orkg_csv(data))
    gpt1 = rows["GPT-1"]
    assert gpt1.paper["paper:title"] == "Improving Language Understanding by Generative Pre-Training"
    assert gpt1.paper["paper:research_field"] == "R133"
    assert gpt1.problems == ["Large Language Models (LLMs)"]
    assert [(c.value, c.kind) for c in gpt1.statements["P32"]] == [("transformer model", "resource")]
    assert values(gpt1, "model family") == ["GPT"]
    assert [(c.value, c.type) for c in gpt1.statements["date created"]] == [("2018-06-01", "date")]
    assert [(c.value, c.kind) for c in gpt1.statements["organization"]] == [("OpenAI", "resource")]
    assert [(c.value, c.kind) for c in gpt1.statements["SAME_AS"]] == [("R370538", "existing")]
    assert [(c.value, c.type) for c in gpt1.statements["maximum number of parameters (in million)"]] == [("117", "integer")]
    assert sorted(values(gpt1, "has source code")) == [
        "https://github.com/openai/finetune-transformer-lm",
        "https://huggingface.co/docs/transformers/model_doc/openai-gpt"]
    # the license concept and its access level, not the source's free text
    assert values(gpt1, "license") == ["closed source"]      # the concept's label (no SPDX id)
    assert values(gpt1, "access level") == ["closed"]
    bert = rows["BERT"]
    assert bert.authors == ["Jacob Devlin", "Ming-Wei Chang", "Kenton Lee", "Kristina Toutanova"]
    assert bert.paper["paper:doi"] == "10.18653/v1/N19-1423"
    assert bert.paper["paper:publication_year"] == "2019" and bert.paper["paper:publication_month"] == "6"
    assert bert.paper["paper:published_in"] == "NAACL-HLT"
    assert values(bert, "license") == ["Apache-2.0"]          # the SPDX id
    assert values(bert, "access level") == ["open"]
    assert sorted(values(bert, "pretraining task")) == ["Masked Language Modeling", "Next Sentence Prediction"]
    gpt2 = rows["GPT-2"]
    assert [(c.value, c.type) for c in gpt2.statements["date created"]] == [("Feb. 2019", "text")]
    assert "\n" in values(gpt2, "extension")[0] and '"more than 10X"' in values(gpt2, "extension")[0]
    # one row per paper with a contribution; ERNIE 3.0 has no paper
    assert sorted(rows) == ["BERT", "GPT-1", "GPT-2"]


def test_orkg_csv_leaves_out_what_orkg_has(export_store_dir):
    """By default only papers ORKG does not have: ORKG's importer would add the contributions
    of the others a second time."""
    src = open_source(export_store_dir)
    data = export_bytes(src, "orkg-csv")
    titles = sorted(r.paper["paper:title"] for r in read_orkg_csv(data))
    every = sorted(r.paper["paper:title"] for r in read_orkg_csv(_csv(export_store_dir)))
    # GPT-1 (R370535) and GPT-2 have ORKG ids
    assert titles == ["BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"]
    assert len(every) == 3
    assert src.notes == ["2 of the 3 papers of awesome-llms are in ORKG already and were left out "
                         "(--include-existing writes them too)",
                         "1 models of awesome-llms have no paper and were left out (ORKG needs one)"]


def test_orkg_csv_of_another_source(export_store_dir):
    rows = by_model(read_orkg_csv(_csv(export_store_dir, "awesome-huge-models")))
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


LLMKG = "https://w3id.org/llmkg/ontology#"
RES = "https://w3id.org/llmkg/resource/"
NEW = rdflib.URIRef(LLMKG + "NewToOrkg")


def test_orkg_turtle_mints_nothing_in_orkgs_namespaces(export_store_dir):
    g = _orkg_graph(export_store_dir)
    for cls in ("Paper", "Contribution", "Problem"):
        members = set(g.subjects(RDF.type, rdflib.URIRef(ORKGC + cls)))
        assert members, cls
        for s in members:
            assert (s, RDF.type, rdflib.URIRef(ORKGC + "Resource")) in g
            (label,) = list(g.objects(s, RDFS.label))
            assert label.datatype in (None, XSD.string) and label.language is None
    known = {"R370535", "R370538", "R370861", "R370862", "R133"}     # the ids the sources give
    for s, p, o in g:
        for t in (s, p, o):
            if isinstance(t, rdflib.URIRef) and str(t).startswith(ORKGR):
                assert str(t)[len(ORKGR):] in known, t
            if isinstance(t, rdflib.URIRef) and str(t).startswith(ORKGP):
                assert str(t)[len(ORKGP):] in {"P26", "P27", "P28", "P29", "P30", "P31", "P32", "url",
                                               "HAS_VENUE", "SAME_AS", "hasModel"}, t
        # what is ours is marked new to ORKG
        if isinstance(s, rdflib.URIRef) and str(s).startswith((RES, LLMKG)) and p == RDFS.label:
            assert (s, RDF.type, NEW) in g, s


def test_orkg_turtle_reuses_known_ids(export_store_dir):
    g = _orkg_graph(export_store_dir)
    paper, contrib = rdflib.URIRef(ORKGR + "R370535"), rdflib.URIRef(ORKGR + "R370538")
    assert (paper, RDF.type, rdflib.URIRef(ORKGC + "Paper")) in g
    assert (paper, rdflib.URIRef(ORKGP + "P31"), contrib) in g
    assert (paper, rdflib.URIRef(ORKGP + "P30"), rdflib.URIRef(ORKGR + "R133")) in g
    assert (paper, rdflib.URIRef(ORKGP + "SAME_AS"),
            rdflib.Literal(RES + "paper/improving-language-understanding-by-generative-pre-training",
                           datatype=XSD.anyURI)) in g
    problems = {str(g.value(o, RDFS.label)) for o in g.objects(contrib, rdflib.URIRef(ORKGP + "P32"))}
    assert problems == {"Large Language Models (LLMs)", "transformer model"}
    # one predicate per property, llmkg's, declared with its ORKG label and marked new
    family = rdflib.URIRef(LLMKG + "modelFamily")
    assert (contrib, family, rdflib.Literal("GPT")) in g
    assert (family, RDF.type, rdflib.URIRef(ORKGC + "Predicate")) in g and (family, RDF.type, NEW) in g
    assert str(g.value(family, RDFS.label)) == "model family"
    assert (contrib, rdflib.URIRef("http://purl.org/dc/terms/created"), rdflib.Literal("2018-06-01", datatype=XSD.date)) in g
    model = g.value(contrib, rdflib.URIRef(ORKGP + "hasModel"))
    assert str(model) == RES + "model/gpt-1" and (model, RDF.type, NEW) in g
    # a paper without an ORKG id keeps its llmkg IRI
    bert = rdflib.URIRef(RES + "paper/bert-pre-training-of-deep-bidirectional-transformers-for")
    assert (bert, RDF.type, rdflib.URIRef(ORKGC + "Paper")) in g and (bert, RDF.type, NEW) in g
    for pid in ("P31", "hasModel"):
        assert (rdflib.URIRef(ORKGP + pid), RDF.type, rdflib.URIRef(ORKGC + "Predicate")) in g
        assert (rdflib.URIRef(ORKGP + pid), RDF.type, NEW) not in g


# --- orkg-json ------------------------------------------------------------------------------

ADD_V2_KEYS = ["title", "research_fields", "identifiers", "publication_info", "authors", "contents",
               "organizations", "observatories", "extraction_method", "sdgs"]
REQUIRED = ["authors", "contents", "extraction_method", "identifiers", "observatories", "organizations",
            "publication_info", "research_fields", "title"]   # orkg client PapersClient.add


def test_orkg_json_has_the_papers_add_v2_shape(export_store_dir):
    payloads = json.loads(export_bytes(open_source(export_store_dir, include_existing=True), "orkg-json"))
    assert len(payloads) == 3
    new = json.loads(export_bytes(open_source(export_store_dir), "orkg-json"))
    assert [p["title"] for p in new] == ["BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"]
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

def _papers_with_contributions(store, source: str) -> int:
    q = f"""PREFIX orkgc: <{ORKGC}> PREFIX orkgp: <{ORKGP}> PREFIX llmkg: <https://w3id.org/llmkg/ontology#>
    SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{ GRAPH <https://w3id.org/llmkg/graph/{source}> {{
      ?c a orkgc:Contribution ; llmkg:hasModel ?m . ?p orkgp:P31 ?c }} }}"""
    return int(next(iter(store.query(q)))["n"].value)


def _fill(rows: list[OrkgRow], column: str) -> float:
    return sum(1 for r in rows if r.paper.get(column)) / len(rows)


def test_real_orkg_csv(real_store_dir):
    src = open_source(real_store_dir, include_existing=True)
    data = export_bytes(src, "orkg-csv")
    assert check_paper_csv(data.decode()) == []
    rows = read_orkg_csv(data)
    # one row per paper, each paper once
    assert len(rows) == _papers_with_contributions(src.store, "awesome-llms") == 85
    titles = [r.paper["paper:title"] for r in rows]
    assert len(set(titles)) == len(titles)
    models = by_model(rows)
    assert sorted(values(models["OpenLLaMA v1"], "has model")) == ["OpenLLaMA v1", "OpenLLaMA v2"]
    gpt1 = models["GPT-1"]
    assert gpt1.paper["paper:title"] == "Improving Language Understanding by Generative Pre-Training"
    assert [(c.value, c.kind) for c in gpt1.statements["SAME_AS"]] == [("R370538", "existing")]
    assert values(gpt1, "model family") == ["GPT"]
    assert [(c.value, c.type) for c in gpt1.statements["date created"]] == [("2018-06-01", "date")]
    gopher = models["Gopher"]
    assert gopher.paper["paper:title"] == "Scaling Language Models: Methods, Analysis & Insights from Training Gopher"
    assert "&amp;" not in data.decode()
    # the DOI of an arXiv paper, its year and month from the identifier
    bert = models["BERT"]
    assert bert.paper["paper:doi"] == "10.48550/arXiv.1810.04805"
    assert bert.paper["paper:url"] == "https://arxiv.org/abs/1810.04805"
    assert (bert.paper["paper:publication_year"], bert.paper["paper:publication_month"]) == ("2018", "10")
    # what the records know, on every row that knows it
    assert _fill(rows, "paper:publication_year") == 1.0
    assert _fill(rows, "paper:publication_month") >= 0.85
    with_arxiv = set()
    for r in rows:
        if r.paper.get("paper:url", "").startswith("https://arxiv.org/abs/"):
            with_arxiv.add(r.paper["paper:title"])
            assert r.paper["paper:doi"] == "10.48550/arXiv." + r.paper["paper:url"].rsplit("/", 1)[1]
    assert len(with_arxiv) >= 20
    # licenses: concepts (SPDX ids or names), never the sources' free text
    licenses = {c.value for r in rows for c in r.statements.get("license", [])}
    assert {"Apache-2.0", "MIT", "Closed source"} <= licenses
    assert not licenses & {"N/A", "closed source", "Open, MIT license", "Open, Apache 2.0", "License not stated"}
    assert {c.value for r in rows for c in r.statements.get("access level", [])} == {"open", "limited", "closed"}


def test_real_orkg_csv_default_is_what_orkg_lacks(real_store_dir):
    src = open_source(real_store_dir)
    assert read_orkg_csv(export_bytes(src, "orkg-csv")) == []      # every awesome-llms paper is in ORKG
    src = open_source(real_store_dir, "awesome-huge-models")
    rows = read_orkg_csv(export_bytes(src, "orkg-csv"))
    assert len(rows) == 40 and src.notes[0].startswith("34 of the 74 papers of awesome-huge-models are in ORKG")
    assert _fill(rows, "paper:url") >= 0.95 and _fill(rows, "paper:publication_year") == 1.0


def test_real_orkg_turtle_and_json(real_store_dir):
    g = _orkg_graph(real_store_dir)
    paper = rdflib.URIRef(ORKGR + "R370535")
    assert (paper, rdflib.URIRef(ORKGP + "P31"), rdflib.URIRef(ORKGR + "R370538")) in g
    text = export_bytes(open_source(real_store_dir), "orkg-turtle").decode()
    assert "LLMKG_" not in text      # before #19: 188 resource and 19 predicate ids minted in ORKG's namespaces
    for cls in ("Paper", "Contribution", "Problem"):
        for s in g.subjects(RDF.type, rdflib.URIRef(ORKGC + cls)):
            assert str(s).startswith(ORKGR) or (s, RDF.type, NEW) in g
    payloads = json.loads(export_bytes(open_source(real_store_dir, include_existing=True), "orkg-json"))
    assert all(list(p) == ADD_V2_KEYS for p in payloads)
    assert json.loads(export_bytes(open_source(real_store_dir), "orkg-json")) == []   # all 85 are in ORKG
    titles = [p["title"] for p in payloads]
    assert "Improving Language Understanding by Generative Pre-Training" in titles


# --- ORKG's import rules (export/orkg_rules.py, from orkg-backend's Schemes.paperCSV) --------

GOOD = ("paper:title,paper:research_field,paper:doi,contribution:research_problem,resource:has model,"
        "has source code<url>,orkg:SAME_AS\n"
        "A paper,R133,10.48550/arXiv.1810.04805,Large Language Models (LLMs),BERT,https://example.org/x,orkg:R1\n")


@pytest.mark.parametrize("text, problem", [
    (GOOD, None),
    # what the export wrote before #19: a repeated research-problem column
    ("paper:title,paper:research_field,contribution:research_problem,contribution:research_problem\nT,R133,a,b\n",
     "row 1, column 4 ('contribution:research_problem'): contribution:research_problem repeats column 3 "
     "(ORKG rejects a repeated contribution: column)"),
    ("paper:title,paper:research_field,has model<resource>\nT,R133,BERT\n",
     "row 1, column 3 ('has model<resource>'): unknown type 'resource' (ORKG's are text, decimal, integer, "
     "boolean, date, url)"),
    ("paper:title,paper:research_field,paper:doi\nT,R133,arXiv:1810.04805\n",
     "row 2, column 3 ('arXiv:1810.04805'): 'arXiv:1810.04805' is not a DOI".replace("('arXiv:1810.04805')", "('paper:doi')")),
    ("paper:title,paper:doi\nT,10.1/x\n",
     "row 1: no paper:research_field column (ORKG requires a research field on every paper)"),
    ("paper:title,paper:research_field\nT,\n", "row 2: no research field (ORKG requires one)"),
    ("paper:title,paper:research_field\nT,R133,extra\n", "row 2: 3 cells, the header has 2"),
    ("paper:title,paper:research_field,model:family\nT,R133,x\n",
     "row 1, column 3 ('model:family'): unknown namespace 'model'"),
    ("paper:title,paper:research_field,paper:venue\nT,R133,x\n",
     "row 1, column 3 ('paper:venue'): paper:venue is not one of ORKG's paper columns"),
    ("paper:title,paper:research_field,paper:publication_year\nT,R133,2019a\n",
     "row 2, column 3 ('paper:publication_year'): '2019a' is not a valid integer"),
    ("paper:title,paper:research_field,date created<date>\nT,R133,Feb. 2019\n",
     "row 2, column 3 ('date created<date>'): 'Feb. 2019' is not a valid date"),
    ("paper:title,paper:research_field,organization\nT,R133,orkg:not an id\n",
     "row 2, column 3 ('organization'): 'not an id' is not an ORKG id"),
])
def test_orkg_rules(text, problem):
    assert check_paper_csv(text) == ([] if problem is None else [problem])


def test_the_export_refuses_to_write_what_orkg_rejects(export_store_dir, monkeypatch):
    from llmkg.export import orkg_csv

    monkeypatch.setattr(orkg_csv, "PROBLEM_COLUMN", "contribution:problem")
    with pytest.raises(LlmkgError, match=r"breaks ORKG's import rules: row 1, column 9 \('contribution:problem'\): "
                                         r"contribution:problem is not one of ORKG's contribution columns"):
        export_bytes(open_source(export_store_dir, include_existing=True), "orkg-csv")


def test_orkg_json_uses_the_predicate_ids_it_is_given(export_store_dir, tmp_path):
    from llmkg.export import read_predicate_ids

    src = open_source(export_store_dir, include_existing=True)
    before = json.loads(export_bytes(src, "orkg-json"))
    declared = {d["label"] for p in before for d in p["contents"]["predicates"].values()}
    assert {"model family", "date created"} <= declared
    assert src.notes[-1].startswith("3 payloads each declare ")
    f = tmp_path / "ids.json"
    f.write_text(json.dumps({label: f"P9{i:04d}" for i, label in enumerate(sorted(declared))}))
    src = open_source(export_store_dir, include_existing=True)
    src.orkg_predicates = read_predicate_ids(f)
    after = json.loads(export_bytes(src, "orkg-json"))
    assert all(p["contents"]["predicates"] == {} for p in after)      # nothing to create
    gpt1 = next(p for p in after if p["title"].startswith("Improving Language Understanding"))
    (contrib,) = gpt1["contents"]["contributions"]
    family = contrib["statements"][f"P9{sorted(declared).index('model family'):04d}"]
    assert [gpt1["contents"]["literals"][o["id"]]["label"] for o in family] == ["GPT"]
    assert not [n for n in src.notes if "declare" in n]
    bad = tmp_path / "bad.json"
    bad.write_text('{"model family": "not an id"}')
    with pytest.raises(LlmkgError, match=r"bad.json: not ORKG predicate ids: not an id$"):
        read_predicate_ids(bad)
