"""Graph-tool exports: GraphML read by networkx with the node and edge counts SPARQL gives;
the Neo4j bundle's headers and ids; the per-class CSV tables."""

from __future__ import annotations

import csv
import os
import re

import networkx as nx
import pytest

from llmkg.export import export_bytes, open_source, write

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def _where(graph: str | None) -> str:
    return f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "?s ?p ?o"   # (the default graph)


def sparql_counts(store, graph: str | None) -> tuple[int, int]:
    """(nodes, edges) counted independently of the export: nodes are subjects and the
    non-literal objects of non-rdf:type triples; edges the distinct such triples."""
    w = _where(graph)
    nodes = f"""SELECT (COUNT(DISTINCT ?n) AS ?c) WHERE {{
      {{ {w} BIND(?s AS ?n) }} UNION
      {{ {w} FILTER(!isLiteral(?o) && ?p != <{RDF_TYPE}>) BIND(?o AS ?n) }} }}"""
    edges = f"""SELECT (COUNT(*) AS ?c) WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{
      {w} FILTER(!isLiteral(?o) && ?p != <{RDF_TYPE}>) }} }}"""
    return (int(next(iter(store.query(nodes)))["c"].value), int(next(iter(store.query(edges)))["c"].value))


@pytest.mark.parametrize("graph", [None, "awesome-llms", "ontology"])
def test_graphml_counts(export_store_dir, tmp_path, graph):
    src = open_source(export_store_dir, graph)
    path = tmp_path / "g.graphml"
    path.write_bytes(export_bytes(src, "graphml"))
    g = nx.read_graphml(path)
    assert g.is_directed()
    assert (g.number_of_nodes(), g.number_of_edges()) == sparql_counts(src.store, src.graph)


def test_graphml_attributes(export_store_dir, tmp_path):
    path = tmp_path / "g.graphml"
    path.write_bytes(export_bytes(open_source(export_store_dir, "awesome-llms"), "graphml"))
    g = nx.read_graphml(path)
    gpt1 = g.nodes["https://w3id.org/llmkg/resource/model/gpt-1"]
    assert gpt1["label"] == "GPT-1"            # from graph:curated, since only awesome-llms is exported
    assert gpt1["type"] == "llmkg:Model"
    assert gpt1["llmkg:modelFamily"] == "GPT"
    edges = g.get_edge_data("https://w3id.org/llmkg/resource/model/gpt-1",
                            "https://w3id.org/llmkg/resource/organization/openai")
    assert any(d["label"] == "llmkg:organization" for d in edges.values()) if g.is_multigraph() \
        else edges["label"] == "llmkg:organization"


def test_graphml_deterministic(export_store_dir):
    assert export_bytes(open_source(export_store_dir), "graphml") == export_bytes(open_source(export_store_dir), "graphml")


def test_graphml_real_data(real_store_dir, tmp_path):
    for graph in (None, "awesome-llms"):
        src = open_source(real_store_dir, graph)
        path = tmp_path / "g.graphml"
        path.write_bytes(export_bytes(src, "graphml"))
        g = nx.read_graphml(path)
        assert (g.number_of_nodes(), g.number_of_edges()) == sparql_counts(src.store, src.graph)


# -- neo4j ----------------------------------------------------------------------------------

NEO4J_TYPES = {"string", "long", "double", "int", "float", "boolean", "date", "string[]", "long[]", "double[]"}
ARRAY = "\u001f"


def check_neo4j_bundle(directory) -> tuple[int, int]:
    """Check the bundle as neo4j-admin import would read it; (nodes, relationships)."""
    files = sorted(os.listdir(directory))
    assert "relationships.csv" in files and "import.sh" in files and "README.md" in files
    ids: set[str] = set()
    node_files = [f for f in files if f.startswith("nodes_") and f.endswith(".csv")]
    assert node_files
    for name in node_files:
        with open(directory / name, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        header = rows[0]
        assert header[0].endswith(":ID") and header.count(":LABEL") == 1
        id_fields = [h for h in header if h.endswith(":ID") or ":ID(" in h]
        assert len(id_fields) == 1
        names = set()
        for h in header[1:]:
            if h == ":LABEL":
                continue
            prop, _, typ = h.partition(":")
            assert prop and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", prop), h
            assert prop not in names, f"{name}: {prop} twice"
            names.add(prop)
            assert typ == "" or typ in NEO4J_TYPES, h
        for row in rows[1:]:
            assert len(row) == len(header), name
            assert row[0] not in ids, f"node id {row[0]} twice"
            ids.add(row[0])
            labels = row[header.index(":LABEL")].split(ARRAY)
            assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", lab) for lab in labels), labels
            for h, v in zip(header, row):
                if h.endswith(":long") and v:
                    int(v)
                if h.endswith(":double") and v:
                    float(v)
    with open(directory / "relationships.csv", encoding="utf-8", newline="") as fh:
        rels = list(csv.reader(fh))
    assert rels[0][:3] == [":START_ID", ":END_ID", ":TYPE"]
    for row in rels[1:]:
        assert row[0] in ids and row[1] in ids, row
        assert re.fullmatch(r"[A-Z_][A-Z0-9_]*", row[2]), row[2]
    script = (directory / "import.sh").read_text()
    assert "neo4j-admin" in script and "database import full" in script
    for name in node_files:
        assert f"--nodes=\"$DIR\"/{name}" in script
    assert "--relationships=\"$DIR\"/relationships.csv" in script
    assert os.access(directory / "import.sh", os.X_OK)
    return len(ids), len(rels) - 1


@pytest.mark.parametrize("graph", [None, "awesome-llms"])
def test_neo4j_bundle(export_store_dir, tmp_path, graph):
    src = open_source(export_store_dir, graph)
    write(src, "neo4j", tmp_path / "n")
    assert check_neo4j_bundle(tmp_path / "n") == sparql_counts(src.store, src.graph)
    with open(tmp_path / "n" / "nodes_Model.csv", encoding="utf-8", newline="") as fh:
        rows = {r["iri:ID"]: r for r in csv.DictReader(fh)}
    gpt2 = rows["https://w3id.org/llmkg/resource/model/gpt-2"]
    assert gpt2["label"] == "GPT-2" and gpt2[":LABEL"] == "Model"
    assert gpt2["llmkg_maximumParameterCount:long"] == "1500000000"
    rels = (tmp_path / "n" / "relationships.csv").read_text()
    assert "HAS_CONTRIBUTION" in rels and "INTRODUCED_IN" in rels


def test_neo4j_deterministic(export_store_dir, tmp_path):
    write(open_source(export_store_dir), "neo4j", tmp_path / "a")
    write(open_source(export_store_dir), "neo4j", tmp_path / "b")
    for name in os.listdir(tmp_path / "a"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_neo4j_real_data(real_store_dir, tmp_path):
    src = open_source(real_store_dir)
    write(src, "neo4j", tmp_path / "n")
    assert check_neo4j_bundle(tmp_path / "n") == sparql_counts(src.store, None)


def test_neo4j_needs_a_directory(export_store_dir):
    from llmkg.errors import LlmkgError

    with pytest.raises(LlmkgError, match="directory"):
        write(open_source(export_store_dir), "neo4j", None)


# -- csv tables -----------------------------------------------------------------------------

def test_csv_tables(export_store_dir, tmp_path):
    write(open_source(export_store_dir), "csv", tmp_path / "t")
    names = sorted(os.listdir(tmp_path / "t"))
    assert "Model.csv" in names and "Paper.csv" in names and "Contribution.csv" in names
    with open(tmp_path / "t" / "Model.csv", encoding="utf-8", newline="") as fh:
        rows = {r["iri"]: r for r in csv.DictReader(fh)}
    gpt1 = rows["https://w3id.org/llmkg/resource/model/gpt-1"]
    assert gpt1["label"] == "GPT-1" and gpt1["type"] == "llmkg:Model"
    assert gpt1["llmkg:modelFamily"] == "GPT"
    assert gpt1["llmkg:organization"] == "https://w3id.org/llmkg/resource/organization/openai"
    assert gpt1["llmkg:sourceCode"] == ("https://github.com/openai/finetune-transformer-lm | "
                                        "https://huggingface.co/docs/transformers/model_doc/openai-gpt")
    # every subject is in exactly one table
    src = open_source(export_store_dir)
    subjects = {r["s"].value for r in src.store.query("SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s ?p ?o } }")}
    seen = []
    for name in names:
        with open(tmp_path / "t" / name, encoding="utf-8", newline="") as fh:
            seen += [r["iri"] for r in csv.DictReader(fh)]
    assert len(seen) == len(set(seen))
    assert {s for s in seen if not s.startswith("_:")} == {s for s in subjects if "://" in s}
