"""llmkg.query: the registry of queries/*.rq, binding, execution, formats; and every canned
query, on the hand-written graph tests/fixtures/mini.trig and on the shipped data."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest
from pyoxigraph import (Literal, NamedNode, Quad, QueryResultsFormat, RdfFormat, Store, Variable,
                        parse, parse_query_results)

from llmkg import query as Q
from llmkg.vocab import PREFIXES
from llmkg.errors import LlmkgError, QueryError
from llmkg.records.schema import ORKG_COMPARISON_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT / "queries"
XSD = "http://www.w3.org/2001/XMLSchema#"
RES = "https://w3id.org/llmkg/resource/"


@pytest.fixture(scope="module")
def registry():
    return Q.load_registry(QUERIES)


def rows(result, *columns):
    """The result's rows as tuples of plain strings ('' for unbound), optionally some columns."""
    out = []
    for rec in result.records():
        cols = columns or result.variables
        out.append(tuple("" if rec[c] is None else Q.term_text(rec[c], short=True) for c in cols))
    return out


def run(store, registry, name, **params):
    return Q.run(store, registry[name], {k: str(v) for k, v in params.items()})


# =========================================================================================
# The registry and the header syntax
# =========================================================================================

def test_registry_has_the_queries_the_issue_asks_for(registry):
    assert len(registry) >= 15
    for name in ("orkg-comparison", "largest-model-per-year", "models-per-organization",
                 "open-models-over", "models-by-architecture", "models-trained-on",
                 "reading-list-papers", "source-disagreements", "completeness",
                 "parameters-over-time"):
        assert name in registry, name
    assert list(registry) == sorted(registry)
    for q in registry.values():
        assert q.title and q.title != q.name, q.name
        assert q.description, q.name
        assert q.view in Q.VIEWS
        assert q.path == QUERIES / f"{q.name}.rq"
    assert registry["parameters-over-time"].view == "scatter-log"
    p = registry["open-models-over"].param("min_params")
    assert (p.type, p.default, p.required) == ("integer", "10B", False)


def test_load_query_reads_one_file(registry):
    assert Q.load_query(QUERIES, "licenses") == registry["licenses"]
    with pytest.raises(QueryError, match="no canned query 'licences'; did you mean licenses?"):
        Q.load_query(QUERIES, "licences")
    with pytest.raises(QueryError, match="'llmkg queries' lists them"):
        Q.load_query(QUERIES, "../data/x")


def test_header_fields(registry):
    q = registry["open-models-over"]
    assert q.category == "Scale"
    assert (q.view, q.x, q.y) == ("bar", "model", "parameters")
    assert q.chart == {"x": "model", "y": "parameters"}
    assert q.titles["open_according_to"] == "open according to"
    assert q.form == "SELECT"
    assert registry["orkg-contributions"].form == "CONSTRUCT"
    assert "\n" not in registry["orkg-comparison"].title


HEADER_ERRORS = [
    ("# title: x\n# titel: y\nSELECT * {}", 2, "unknown header key 'titel'"),
    ("# title: x\n# param: n number\nSELECT ?n {}", 2, "unknown type 'number'"),
    ("# title: x\n# param: n integer\nSELECT ?m {}", 2, "not a variable of the query"),
    ("# title: x\n# param: n integer default=abc\nSELECT ?n {}", 2, "must be an integer"),
    ("# title: x\n# param: n iri\nCONSTRUCT { ?n ?p ?o } WHERE { ?n ?p ?o }", 2, "need a SELECT query"),
    ("# title: x\n# param: n string\n# param: n string\nSELECT ?n {}", 3, "declared twice"),
    ("# title: x\n# title: y\nSELECT * {}", 2, "given twice"),
    ("# title: x\n# view: pie\nSELECT * {}", 2, "unknown view 'pie'"),
    ("# title: x\n# view: bar x=\nSELECT * {}", 2, "view option"),
    ("# title: x\n# columns: a b\nSELECT * {}", 2, "columns: expected"),
    ("# title: x\n# param: n 'integer\nSELECT ?n {}", 2, "cannot read"),
    ("# title: x\n", None, "no SELECT"),
]


@pytest.mark.parametrize("text,line,message", HEADER_ERRORS)
def test_header_errors_name_file_and_line(tmp_path, text, line, message):
    path = tmp_path / "bad-query.rq"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LlmkgError) as info:
        Q.load_registry(tmp_path)
    err = info.value
    assert message in err.message
    assert err.file == str(path)
    assert err.line == line
    assert str(err).startswith(f"{path}:{line}: " if line else f"{path}: ")


def test_header_continuations_and_plain_comments():
    q = Q.parse_query(
        "# title: Long\n#   title\n# description: one\n#   two\n#\n#   three\n"
        "# columns: a=\"A a\"\n#   b=\"B\"\n# view: bar\n#   x=a y=b\n"
        "# param: p string required \"the P\"\n# param: r string optional \"the R\"\n"
        "# a plain comment ends the header\n# title: not read\nSELECT ?a ?b ?p ?r {}", name="q")
    assert q.title == "Long title"
    assert q.description == "one two\nthree"
    assert q.titles == {"a": "A a", "b": "B"}
    assert (q.view, q.x, q.y) == ("bar", "a", "b")
    assert q.params[0] == Q.Param("p", "string", None, "the P", True)
    assert q.params[1] == Q.Param("r", "string", None, "the R", False)
    # a file that starts with an ordinary comment has no header
    q = Q.parse_query("# just a comment\nASK {}", name="ask")
    assert (q.title, q.form, q.params) == ("ask", "ASK", ())


def test_query_form_ignores_comments_strings_and_prefixes():
    assert Q.query_form('# SELECT\nPREFIX ask: <http://ask/>\nCONSTRUCT { ?s ?p "SELECT" } WHERE {}') == "CONSTRUCT"
    assert Q.query_form("base <http://x/> describe <x>") == "DESCRIBE"
    assert Q.query_form("PREFIX : <http://x/>") is None


@pytest.mark.parametrize("text", [
    "SELECT ?p WHERE {}", "select*{}", "Select?x{}", "SELECT$x{}", "SELECT(1 AS ?x){}", "ASK{}", "ask {}",
    "CONSTRUCT{}", "DESCRIBE<x>", "describe\t?x", "SELECT\n?x {}", "SELECTED ?x {}", "SELECT:x ?y {}",
    "SELECT.x", "ASKS {}", "SELECT", " SELECT ?x {}", "#c\nASK {}", "INSERT DATA {}", "", "SELECT-x {}",
    "selectéx {}", "ASK_ {}",
])
def test_query_form_from_the_start_is_the_tokenizers(text):
    """A text that starts with its form is told at once; the answer is the tokenizer's."""
    from llmkg.query import scan as sparqlscan

    assert Q.query_form(text) == sparqlscan._query_form_tokens(text), text


# =========================================================================================
# Binding parameters
# =========================================================================================

def P(type_, **kw):
    return Q.Param("p", type_, **kw)


@pytest.mark.parametrize("type_,raw,expected", [
    ("iri", "res:model/gpt-3", NamedNode(RES + "model/gpt-3")),
    ("iri", "<https://example.org/x>", NamedNode("https://example.org/x")),
    ("iri", "https://w3id.org/llmkg/graph/awesome-llms", NamedNode("https://w3id.org/llmkg/graph/awesome-llms")),
    ("iri", "urn:isbn:123", NamedNode("urn:isbn:123")),
    ("string", "Common Crawl", Literal("Common Crawl")),
    ("string", ' "} DROP ALL ', Literal(' "} DROP ALL ')),
    ("integer", "175B", Literal("175000000000", datatype=NamedNode(XSD + "integer"))),
    ("integer", "1.5k", Literal("1500", datatype=NamedNode(XSD + "integer"))),
    ("integer", "-42", Literal("-42", datatype=NamedNode(XSD + "integer"))),
    ("integer", "1_000", Literal("1000", datatype=NamedNode(XSD + "integer"))),
    ("decimal", "2.50", Literal("2.50", datatype=NamedNode(XSD + "decimal"))),
    ("decimal", "3", Literal("3.0", datatype=NamedNode(XSD + "decimal"))),
    ("date", "2023-03-14", Literal("2023-03-14", datatype=NamedNode(XSD + "date"))),
    ("year", "2020", Literal("2020", datatype=NamedNode(XSD + "integer"))),
    ("boolean", "yes", Literal("true", datatype=NamedNode(XSD + "boolean"))),
    ("boolean", "False", Literal("false", datatype=NamedNode(XSD + "boolean"))),
])
def test_parse_param_value(type_, raw, expected):
    assert Q.parse_param_value(P(type_), raw) == expected


@pytest.mark.parametrize("type_,raw,expected", [
    ("iri", "not an iri", "an IRI"),
    ("iri", "https://x/a b", "an IRI"),
    ("integer", "lots", "an integer"),
    ("integer", "1.5", "an integer"),
    ("decimal", "1e", "a decimal"),
    ("decimal", "NaN", "a decimal"),
    ("date", "2023-02-30", "a date YYYY-MM-DD"),
    ("date", "2023-03", "a date YYYY-MM-DD"),
    ("year", "23", "a year"),
    ("boolean", "maybe", "a boolean"),
])
def test_ill_typed_values_name_the_parameter_and_type(type_, raw, expected):
    with pytest.raises(QueryError) as info:
        Q.parse_param_value(P(type_), raw)
    assert f"parameter 'p' must be {expected}" in str(info.value)
    assert repr(raw) in str(info.value)


def test_bind_defaults_unknown_missing(registry):
    q = registry["open-models-over"]
    assert Q.bind(q, {}) == {Variable("min_params"): Literal("10000000000", datatype=NamedNode(XSD + "integer"))}
    assert Q.bind(q, {"min_params": ""}) == Q.bind(q, {})   # empty = not given
    assert Q.bind(q, {"min_params": "60B"})[Variable("min_params")].value == "60000000000"
    with pytest.raises(QueryError, match=r"has no parameter 'min'; its parameters: min_params \(integer\)"):
        Q.bind(q, {"min": "1"})
    with pytest.raises(QueryError, match="takes no parameters"):
        Q.bind(registry["licenses"], {"x": "1"})
    assert Q.bind(registry["reading-list-papers"], {}) == {}   # optional, no default: unbound
    req = Q.parse_query("# title: t\n# param: m iri required \"a model\"\nSELECT ?m {}", name="t")
    with pytest.raises(QueryError, match=r"needs the parameter 'm' \(iri\): a model"):
        Q.bind(req, {})


def test_values_are_never_pasted_into_the_text(mini_store):
    q = Q.parse_query('# title: t\n# param: name string required ""\n'
                      'PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n'
                      'PREFIX llmkg: <https://w3id.org/llmkg/ontology#>\n'
                      'SELECT ?m ?name WHERE { ?m a llmkg:Model ; rdfs:label ?name }', name="t")
    hostile = 'GPT-3" } UNION { ?m ?p ?name } #'
    r = Q.run(mini_store, q, {"name": hostile})
    assert r.rows == []
    assert Q.run(mini_store, q, {"name": "GPT-3"}).values() == [(RES + "model/gpt-3",)]
    # rendered for a remote endpoint, the value is one escaped literal
    text = Q.render(q.text, Q.bind(q, {"name": hostile}))
    assert '"GPT-3\\" } UNION { ?m ?p ?name } #"' in text
    assert Q.execute(mini_store, text).rows == []


# =========================================================================================
# execute(): substitutions, lists, graphs, limits, timeouts, errors
# =========================================================================================

def test_parameter_columns_are_left_out(mini_store, registry):
    r = run(mini_store, registry, "open-models-over")
    assert "min_params" not in r.variables
    r = Q.run(mini_store, registry["open-models-over"], {}, keep_params=True)
    assert r.variables[-1] == "min_params"
    r = run(mini_store, registry, "reading-list-papers")   # unbound optional parameter
    assert "list" not in r.variables


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json", "xml", "markdown"])
def test_control_characters_come_back_as_computed(mini_store, fmt):
    """No value is rewritten: a literal with U+001F (llmkg once split, sorted and re-joined
    such values) or any other control character is the literal the query computed."""
    codes = list(range(1, 32)) + [0x7f]
    controls = "".join(map(chr, codes))
    escaped = "".join(f"\\u{c:04X}" for c in codes)
    text = ('SELECT (CONCAT("a", "\\u001F", "b") AS ?s) (GROUP_CONCAT(?l; separator="\\u001F") AS ?all) '
            f'(STR("{escaped}") AS ?c) WHERE {{ VALUES ?l {{ "b" "A" }} }}')
    r = Q.execute(mini_store, text)
    assert r.values() == [("a\x1fb", "b\x1fA", controls)]
    if fmt in ("json", "xml", "csv", "tsv"):
        native = mini_store.query(text).serialize(format={"json": QueryResultsFormat.JSON,
                                                            "xml": QueryResultsFormat.XML,
                                                            "csv": QueryResultsFormat.CSV,
                                                            "tsv": QueryResultsFormat.TSV}[fmt])
        body = Q.execute_serialized(mini_store, text, fmt).body
        assert body == (native.replace(b"?>", b"?>\n", 1) + b"\n" if fmt == "xml" else native)


def test_default_graph_and_named_graphs(mini_store):
    text = "SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m llmkg:nameInSource ?x }"
    assert Q.execute(mini_store, text).values() == [("9",)]  # 7 models + 2 organizations
    assert Q.execute(mini_store, text, default_graph=["awesome-huge-models"]).values() == [("6",)]
    assert Q.execute(mini_store, text, default_graph="graph:awesome-llms").values() == [("7",)]
    g = Q.execute(mini_store, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                  named_graphs=["curated"])
    assert g.values() == [("https://w3id.org/llmkg/graph/curated",)]
    # the default graph is a set: each triple once, however many graphs state it
    n, d = Q.execute(mini_store, "SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT *) AS ?d) "
                                 "WHERE { SELECT ?s ?p ?o WHERE { ?s ?p ?o } }").values()[0]
    stated = Q.execute(mini_store, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").values()[0][0]
    assert n == d and int(n) < int(stated)


def test_bug_query_from_ignored_with_the_union_default_graph(mini_store):
    """Regression: execute() (union default graph by default) ignored the query's own FROM."""
    text = "SELECT (COUNT(DISTINCT ?m) AS ?n) {} WHERE {{ ?m llmkg:nameInSource ?x }}"
    assert Q.execute(mini_store, text.format("")).values() == [("9",)]
    assert Q.execute(mini_store, text.format("FROM graph:awesome-huge-models")).values() == [("6",)]
    assert Q.execute(mini_store, text.format("from graph:awesome-llms")).values() == [("7",)]
    assert Q.execute(mini_store, text.format("FROM NAMED graph:awesome-llms")).values() == [("0",)]
    assert Q.execute(mini_store, text.format("FROM graph:awesome-llms"),
                     default_graph="awesome-huge-models").values() == [("6",)]
    # the same through the serializing path, in every format
    for fmt in ("json", "xml", "csv", "tsv"):
        one = Q.execute_serialized(mini_store, text.format("FROM graph:awesome-huge-models"), fmt)
        assert one.body == Q.serialize(Q.execute(mini_store, text.format("FROM graph:awesome-huge-models")), fmt)[0]
        assert one.rows == 1
    # named graphs alone: an empty default graph
    assert Q.execute(mini_store, text.format(""), named_graphs=["curated"]).values() == [("0",)]


def test_max_rows_truncates(mini_store):
    r = Q.execute(mini_store, "SELECT ?s WHERE { ?s a llmkg:Model }", max_rows=3)
    assert len(r.rows) == 3 and r.truncated
    r = Q.execute(mini_store, "SELECT ?s WHERE { ?s a llmkg:Model }", max_rows=7)
    assert len(r.rows) == 7 and not r.truncated
    r = Q.execute(mini_store, "CONSTRUCT WHERE { ?s a llmkg:Model }", max_rows=2)
    assert len(r.triples) == 2 and r.truncated


def test_timeout_stops_a_long_query():
    store = Store()
    ex = "http://example.org/"
    store.bulk_extend(Quad(NamedNode(f"{ex}s{i}"), NamedNode(ex + "p"), Literal(str(i)))
                      for i in range(3000))
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?x . ?b ?p ?y . FILTER(?x < ?y) }"
    started = time.monotonic()
    with pytest.raises(QueryError, match="took longer than 0.2 s"):
        Q.execute(store, slow, timeout=0.2)
    assert time.monotonic() - started < 1.5
    assert Q.execute(store, "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1", timeout=5).rows


@pytest.mark.parametrize("text,message", [
    ("SELECT ?x WHERE { ?x a }", "not valid SPARQL"),
    ("SELECT ?x WHERE { ?x a nope:Thing }", "not valid SPARQL"),
])
def test_errors_are_query_errors(mini_store, text, message):
    with pytest.raises(QueryError, match=message):
        Q.execute(mini_store, text)


def test_substituting_a_variable_the_query_does_not_return_is_explained(mini_store):
    with pytest.raises(QueryError, match="a parameter must be a variable the query returns"):
        Q.execute(mini_store, "SELECT ?m WHERE { ?m a llmkg:Model FILTER(?m != ?x) }",
                  {Variable("x"): NamedNode(RES + "model/bert")})


def test_canned_queries_are_self_contained(mini_store, registry):
    """Every file declares its prefixes: it runs in any SPARQL tool."""
    for q in registry.values():
        subs = Q.bind(q, {})
        Q.execute(mini_store, q.text, subs, prefixes=None)


def test_views_and_columns_name_result_variables(mini_store, registry):
    for q in registry.values():
        r = Q.run(mini_store, q, {})
        if q.form != "SELECT":
            continue
        for option, var in q.chart.items():
            assert var in r.variables, f"{q.name}: view {option}={var}"
        for var in q.titles:
            assert var in r.variables, f"{q.name}: columns {var}"


# =========================================================================================
# Formats
# =========================================================================================

@pytest.fixture(scope="module")
def sample(mini_store):
    return Q.execute(mini_store, """
        SELECT ?m ?label ?n ?none WHERE {
          ?m a llmkg:Model ; rdfs:label ?label .
          OPTIONAL { GRAPH graph:awesome-llms { ?m llmkg:maximumParameterCount ?n } }
        } ORDER BY ?label LIMIT 3""", titles={"label": "model name"})


def test_table_and_markdown(sample):
    text, media = Q.serialize(sample, "table")
    assert media.startswith("text/plain")
    lines = text.decode().splitlines()
    assert lines[0].split() == ["m", "model", "name", "n", "none"]
    assert lines[2].split() == ["model:bert", "BERT", "340000000"]   # a short IRI that pastes back
    assert lines[-1] == "(3 rows)"
    md = Q.serialize(sample, "markdown")[0].decode().splitlines()
    assert md[0] == "| m | model name | n | none |"
    assert md[1] == "|---|---|---:|---|"
    assert md[3] == "| model:chinchilla | Chinchilla |  |  |"
    cut = Q.serialize(sample, "table", max_width=6)[0].decode()
    assert "model…" in cut


def test_csv_and_tsv(sample):
    data, media = Q.serialize(sample, "csv")
    assert media.startswith("text/csv")
    table = list(csv.reader(io.StringIO(data.decode())))
    assert table[0] == ["m", "model name", "n", "none"]
    assert table[1] == [RES + "model/bert", "BERT", "340000000", ""]
    assert data.endswith(b"\r\n")
    tsv = Q.serialize(sample, "tsv")[0].decode().splitlines()
    assert tsv[0] == "?m\tmodel name\t?n\t?none"
    assert tsv[1] == f'<{RES}model/bert>\t"BERT"\t340000000\t'


def test_w3c_json_and_xml_round_trip(sample):
    for fmt, rfmt in (("json", QueryResultsFormat.JSON), ("xml", QueryResultsFormat.XML)):
        data, media = Q.serialize(sample, fmt)
        assert media == f"application/sparql-results+{fmt}"
        back = parse_query_results(data, rfmt)
        assert [v.value for v in back.variables] == list(sample.variables)
        assert [tuple(s[v] for v in sample.variables) for s in back] == sample.rows
    doc = json.loads(Q.serialize(sample, "json")[0])
    assert doc["results"]["bindings"][0]["n"] == {
        "type": "literal", "value": "340000000", "datatype": XSD + "integer"}


@pytest.fixture(scope="module")
def odd_terms():
    """A store whose values exercise every escape of the result formats."""
    from pyoxigraph import BlankNode, Triple

    store = Store()
    vals = [Literal(v, datatype=NamedNode(XSD + t)) for t, v in [
        ("integer", "-5"), ("integer", "abc"), ("decimal", "1.50"), ("decimal", "x"), ("double", "1e3"),
        ("boolean", "1"), ("boolean", "yes"), ("float", "1.5"), ("dateTime", "2020-01-01T00:00:00Z")]]
    vals += [Literal(c) for c in ["\x08\x0c\x7f\u2028\x00", "a'b\"c<d>e&f", "a\r\nb", " lead", "trail ", "é",
                                  "", "  ", "\tx\n", "a,b", "]]>", "{},{", 'a,{"', "x{", "[{", '{"a":{}}', "\\u001f", "😀"]]
    vals += [Literal("x", language="en-GB"), NamedNode("http://x.example/a&b"), BlankNode("bn0"),
             Triple(NamedNode("http://x.example/s"), NamedNode("http://x.example/p"), Literal('o,"x"'))]
    for i, v in enumerate(vals):
        store.add(Quad(NamedNode(f"http://x.example/s{i:03d}"), NamedNode("http://x.example/p"), v))
    return store


@pytest.mark.parametrize("query", [
    "SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s",
    "SELECT ?s ?o ?none WHERE { ?s ?p ?o OPTIONAL { ?s <http://x.example/none> ?none } } ORDER BY ?s",
    "SELECT * WHERE {}",
    "SELECT ?x WHERE { FILTER(false) }",
    "SELECT ?x ?y WHERE { VALUES ?x { UNDEF UNDEF } }",
])
def test_formats_are_pyoxigraphs_own_bytes(odd_terms, query):
    """serialize() writes exactly what pyoxigraph's result serializers write (so a result
    written while it is evaluated, by execute_serialized, is the same as a materialized one),
    and execute_serialized counts the rows right."""
    n = len(Q.execute(odd_terms, query))
    for fmt, rfmt in (("json", QueryResultsFormat.JSON), ("xml", QueryResultsFormat.XML),
                      ("csv", QueryResultsFormat.CSV), ("tsv", QueryResultsFormat.TSV)):
        native = odd_terms.query(query).serialize(format=rfmt)
        if fmt == "xml":
            native = native.replace(b"?>", b"?>\n", 1) + b"\n"
        assert Q.serialize(Q.execute(odd_terms, query), fmt)[0] == native, fmt
        fast = Q.execute_serialized(odd_terms, query, fmt)
        assert (fast.body, fast.rows, fast.truncated) == (native, n, False), fmt
        cut = Q.execute_serialized(odd_terms, query, fmt, max_rows=3)
        assert cut.body == Q.serialize(Q.execute(odd_terms, query, max_rows=3), fmt)[0]
        assert (cut.rows, cut.truncated) == (min(n, 3), n > 3)


def test_json_row_count_with_and_without_ambiguous_strings(odd_terms):
    """The JSON rows are counted from the bytes: by the ',{"' between solutions when no
    string ends with '{' and no solution is empty, else by parsing. Each value of
    ``odd_terms`` alone, next to a plain one, and the whole lot: both ways, every count
    right."""
    subjects = [s["s"] for s in odd_terms.query("SELECT DISTINCT ?s WHERE { ?s ?p ?o } ORDER BY ?s")]
    plain = 0
    for s in subjects + [None]:
        values = "" if s is None else f"VALUES ?s {{ {s} <http://x.example/s000> }}"
        for query in (f"SELECT ?s ?o WHERE {{ {values} ?s ?p ?o }}",
                      f"SELECT ?s ?o ?t WHERE {{ {values} ?s ?p ?o OPTIONAL {{ ?o ?q ?t }} }}",
                      f"SELECT ?o WHERE {{ {values} ?s ?p ?o }} LIMIT 1"):
            body = odd_terms.query(query).serialize(
                format=QueryResultsFormat.JSON)
            plain += Q.formats._JSON_UNSURE.search(body) is None
            assert Q.formats._count_rows(body, "json") == len(json.loads(body)["results"]["bindings"]), (s, query)
    assert plain >= 2 * len(subjects)      # most take the counting way


def test_execute_serialized_titles_parameters_and_lists(mini_store, registry):
    for name, raw in (("open-models-over", {"min_params": "1B"}), ("orkg-comparison", {}),
                      ("largest-model-per-year", {})):
        q = registry[name]
        for fmt in ("json", "xml", "csv", "tsv"):
            one = Q.execute_serialized(mini_store, q.text, fmt, Q.bind(q, raw), titles=q.titles,
                                       hidden=tuple(p.name for p in q.params))
            assert one.body == Q.serialize(Q.run(mini_store, q, raw), fmt)[0], (name, fmt)


def test_ask_formats(mini_store):
    r = Q.execute(mini_store, "ASK { ?m a llmkg:Model }")
    assert r.form == "ASK" and r.boolean is True
    assert Q.serialize(r, "table")[0] == b"true\n"
    assert json.loads(Q.serialize(r, "json")[0]) == {"head": {}, "boolean": True}
    assert bool(parse_query_results(Q.serialize(r, "xml")[0], QueryResultsFormat.XML)) is True
    with pytest.raises(QueryError, match="is a table"):
        Q.serialize(r, "turtle")


@pytest.mark.parametrize("fmt,rdf_format", [("turtle", RdfFormat.TURTLE), ("ntriples", RdfFormat.N_TRIPLES),
                                            ("jsonld", RdfFormat.JSON_LD), ("rdfxml", RdfFormat.RDF_XML)])
def test_graph_formats_round_trip(mini_store, fmt, rdf_format):
    r = Q.execute(mini_store, "CONSTRUCT { ?s llmkg:createdText ?o } WHERE "
                              "{ GRAPH graph:awesome-huge-models { ?s llmkg:createdText ?o } }")
    assert r.form == "CONSTRUCT" and len(r.triples) == 5
    data, _media = Q.serialize(r, fmt)
    back = {(q.subject, q.predicate, q.object) for q in parse(data, format=rdf_format)}
    assert back == {(t.subject, t.predicate, t.object) for t in r.triples}
    assert Q.serialize(r, fmt)[0] == data   # deterministic
    with pytest.raises(QueryError, match="is a graph"):
        Q.serialize(r, "csv")


def test_describe(mini_store):
    r = Q.execute(mini_store, "DESCRIBE <https://w3id.org/llmkg/resource/model/chinchilla>")
    assert r.form == "DESCRIBE" and len(r.triples) >= 10


# =========================================================================================
# render(): bound terms written for a remote endpoint
# =========================================================================================

INT = '"5"^^<http://www.w3.org/2001/XMLSchema#integer>'


@pytest.mark.parametrize("text,expected", [
    ("SELECT ?a ?p WHERE { ?a ?b ?p }", f"SELECT ?a ({INT} AS ?p) WHERE {{ ?a ?b {INT} }}"),
    ("SELECT ?a (COUNT(*) AS ?n) ?p WHERE { ?a ?b ?c FILTER(?c > ?p) } GROUP BY ?a ?p ORDER BY ?p",
     f"SELECT ?a (COUNT(*) AS ?n) ({INT} AS ?p) WHERE {{ ?a ?b ?c FILTER(?c > {INT}) }} "
     f"GROUP BY ?a ({INT}) ORDER BY ({INT})"),
    ("SELECT ?p WHERE { FILTER(!BOUND(?p) || ?p > 1) }", f"SELECT ({INT} AS ?p) WHERE {{ FILTER(!true || {INT} > 1) }}"),
    ('SELECT ?a ?p WHERE { ?a ?b "?p" . ?a <http://x/?p> ?c } # ?p',
     f'SELECT ?a ({INT} AS ?p) WHERE {{ ?a ?b "?p" . ?a <http://x/?p> ?c }} # ?p'),
    ("SELECT ?a ?p WHERE { { SELECT ?a ?p WHERE { ?a ?b $p } } }",
     f"SELECT ?a ({INT} AS ?p) WHERE {{ {{ SELECT ?a ({INT} AS ?p) WHERE {{ ?a ?b {INT} }} }} }}"),
    ("SELECT ?a ?pp WHERE { ?a ?b ?pp }", "SELECT ?a ?pp WHERE { ?a ?b ?pp }"),
    ("SELECT ?a ?p WHERE { { SELECT ?a WHERE { ?a ?b ?c } GROUP BY ?a } FILTER(?a > ?p) }",
     f"SELECT ?a ({INT} AS ?p) WHERE {{ {{ SELECT ?a WHERE {{ ?a ?b ?c }} GROUP BY ?a }} FILTER(?a > {INT}) }}"),
])
def test_render(text, expected):
    assert Q.render(text, {Variable("p"): Literal("5", datatype=NamedNode(XSD + "integer"))}) == expected


@pytest.mark.parametrize("text", ["SELECT ?p WHERE { BIND(1 AS ?p) }", "SELECT ?p WHERE { VALUES ?p { 1 } }"])
def test_render_refuses_assigned_parameters(text):
    with pytest.raises(QueryError, match="parameter 'p'"):
        Q.render(text, {Variable("p"): Literal("5")})


def test_rendered_canned_queries_give_the_same_rows(mini_store, registry):
    cases = {"open-models-over": {"min_params": "1B"}, "models-trained-on": {"corpus": "wikipedia"},
             "reading-list-papers": {"list": "llm-paper-club"}, "completeness": {"source": "awesome-llms"},
             "release-timeline": {"from_year": "2019", "to_year": "2022"},
             "model-facts": {"model": "res:model/t5"}}
    for q in registry.values():
        for raw in ({}, cases.get(q.name, {})):
            subs = Q.bind(q, raw)
            hidden = [p.name for p in q.params]
            local = Q.execute(mini_store, q.text, subs, hidden=hidden)
            remote_text = Q.render(q.text, subs)
            rendered = Q.execute(mini_store, remote_text, hidden=hidden, prefixes=None)
            assert rendered.rows == local.rows, (q.name, raw)
            assert rendered.triples == local.triples or sorted(map(str, rendered.triples)) == \
                sorted(map(str, local.triples)), q.name


# =========================================================================================
# Caching helpers
# =========================================================================================

def test_cache_key():
    subs = {Variable("p"): Literal("1")}
    k = Q.cache_key("v1", "SELECT", subs, max_rows=10)
    assert k == Q.cache_key("v1", "SELECT", {Variable("p"): Literal("1")}, max_rows=10)
    assert k != Q.cache_key("v2", "SELECT", subs, max_rows=10)
    assert k != Q.cache_key("v1", "SELECT", {Variable("p"): Literal("2")}, max_rows=10)
    assert k != Q.cache_key("v1", "SELECT", subs, max_rows=11)


# =========================================================================================
# The canned queries on the hand-written graph: exact rows
# =========================================================================================

def test_mini_orkg_comparison(mini_store, registry):
    r = run(mini_store, registry, "orkg-comparison")
    assert r.column_titles() == ORKG_COMPARISON_COLUMNS
    got = rows(r)
    assert [row[1] for row in got] == ["BERT", "GPT-3", "GPT-4", "LLaMA", "T5", "XLNet"]
    gpt3 = dict(zip(ORKG_COMPARISON_COLUMNS, got[1]))
    assert gpt3 == {
        "Title": "Language Models are Few-Shot Learners", "has model": "GPT-3", "model family": "GPT",
        "date created": "2020-05-01", "organization": "OpenAI", "innovation": "Few-shot learning",
        "pretraining architecture": "Decoder", "pretraining task": "Causal language modeling",
        "fine-tuning task": "",
        "training corpus": "~ 500B tokens including CommonCrawl (410B), WebText2 (19B), Books1 (12B), "
                           "Books2 (55B), and Wikipedia (3B)",
        "optimizer": "", "tokenization": "", "number of parameters": "125M, 1.3B, 175B",
        "maximum number of parameters (in million)": "175000", "hardware used": "Nvidia V100 GPU",
        "hardware information": "", "extension": "", "application": "",
        "has source code": "https://github.com/openai/gpt-3, https://platform.openai.com/docs/models/gpt-3-5",
        "blog post": "", "license": "closed source",
        "research problem": "Large Language Models (LLMs), transformer model"}
    xlnet = dict(zip(ORKG_COMPARISON_COLUMNS, got[5]))
    assert xlnet["organization"] == "CMU, Google"      # CMU's name in the source, Google's label
    assert xlnet["maximum number of parameters (in million)"] == "360"
    bert = dict(zip(ORKG_COMPARISON_COLUMNS, got[0]))
    assert bert["pretraining task"] == "Masked Language Modeling, Next Sentence Prediction"
    assert bert["license"] == "Open, Apache 2.0"


def test_mini_largest_model_per_year(mini_store, registry):
    assert rows(run(mini_store, registry, "largest-model-per-year")) == [
        ("2018", "BERT", "340000000", "awesome-llms"),
        ("2019", "T5", "11000000000", "awesome-huge-models, awesome-llms"),
        ("2020", "GPT-3", "175000000000", "awesome-huge-models, awesome-llms"),
        ("2022", "Chinchilla", "70000000000", "awesome-huge-models"),
        ("2023", "GPT-4", "170000000000000", "awesome-llms"),   # (the fixture has no resolution)
    ]


def test_mini_source_disagreements(mini_store, registry):
    assert rows(run(mini_store, registry, "source-disagreements")) == [
        ("GPT-4", "number of parameters", "awesome-huge-models", "1700000000000 (1.7T)",
         "awesome-llms", "170000000000000 (170T)"),
        ("LLaMA", "access level", "awesome-huge-models", "open", "awesome-llms",
         "limited (noncommercial license)"),
        ("T5", "date created", "awesome-huge-models", "2020-01 (Jan. 2020)", "awesome-llms",
         "2019-10-01 (2019-10-01)"),
    ]


def test_mini_open_models_over(mini_store, registry):
    assert rows(run(mini_store, registry, "open-models-over"), "model", "parameters") == [
        ("LLaMA", "65000000000"), ("T5", "11000000000")]
    assert rows(run(mini_store, registry, "open-models-over", min_params="20B"), "model") == [("LLaMA",)]
    assert rows(run(mini_store, registry, "open-models-over", min_params="100M"), "model") == [
        ("LLaMA",), ("T5",), ("XLNet",), ("BERT",)]
    assert rows(run(mini_store, registry, "open-models-over", min_params="1T"), "model") == []


def test_mini_models_trained_on(mini_store, registry):
    expected = [("GPT-3",), ("LLaMA",), ("T5",)]
    for corpus in ("Common Crawl", "commoncrawl", "common-crawl", "res:corpus/common-crawl",
                   RES + "corpus/common-crawl"):
        assert rows(run(mini_store, registry, "models-trained-on", corpus=corpus), "model") == expected, corpus
    assert rows(run(mini_store, registry, "models-trained-on", corpus="BookCorpus"), "model") == [("BERT",)]
    assert rows(run(mini_store, registry, "models-trained-on", corpus="nothing"), "model") == []
    t5 = rows(run(mini_store, registry, "models-trained-on"))[2]
    assert t5[2] == "awesome-huge-models, awesome-llms"


def test_mini_per_organization_architecture_collaborations(mini_store, registry):
    assert rows(run(mini_store, registry, "models-per-organization")) == [
        ("Google", "3", "BERT, T5, XLNet"), ("OpenAI", "2", "GPT-3, GPT-4"),
        ("Carnegie Mellon University", "1", "XLNet"), ("DeepMind", "1", "Chinchilla"),
        ("Meta AI", "1", "LLaMA")]
    assert rows(run(mini_store, registry, "models-by-architecture")) == [
        ("Decoder-only transformer", "5", "Chinchilla, GPT-3, GPT-4, LLaMA, XLNet"),
        ("Encoder-decoder transformer", "1", "T5"), ("Encoder-only transformer", "1", "BERT"),
        ("Mixture of experts", "1", "GPT-4")]
    assert rows(run(mini_store, registry, "organization-collaborations")) == [
        ("Carnegie Mellon University", "Google", "1", "XLNet")]


def test_mini_reading_lists(mini_store, registry):
    r = rows(run(mini_store, registry, "reading-list-papers"), "position", "entry", "models")
    assert r == [("1", "Attention Is All You Need", ""), ("2", "BERT", "BERT"), ("3", "GPT-3", "GPT-3"),
                 ("4", "LLaMA", "LLaMA")]
    assert len(run(mini_store, registry, "reading-list-papers", list="llm-paper-club").rows) == 4
    assert run(mini_store, registry, "reading-list-papers", list="no-such-list").rows == []
    assert rows(run(mini_store, registry, "papers-in-reading-lists"), "paper", "lists", "models")[1] == (
        "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding", "1", "BERT")


def test_mini_completeness(mini_store, registry):
    got = {r[0]: r[2:5] for r in rows(run(mini_store, registry, "completeness"))}
    assert got["llmkg:contextLength"] == ("3", "4", "42.9")
    assert got["dcterms:created"] == ("7", "0", "100")
    got = {r[0]: r[2:4] for r in rows(run(mini_store, registry, "completeness", source="awesome-huge-models"))}
    assert got["llmkg:introducedIn"] == ("0", "5")
    assert got["llmkg:contextLength"] == ("3", "2")


def test_mini_timelines(mini_store, registry):
    r = rows(run(mini_store, registry, "parameters-over-time"), "date", "model", "parameters")
    assert r[0] == ("2018-10-01", "BERT", "340000000")
    assert ("2023-02-27", "LLaMA", "65000000000") in r      # the precise date wins over 2023-02
    assert run(mini_store, registry, "parameters-over-time").rows[0][0].datatype == NamedNode(XSD + "date")
    r = rows(run(mini_store, registry, "release-timeline"), "date", "model")
    assert r[4] == ("2022-03", "Chinchilla")
    r = rows(run(mini_store, registry, "release-timeline", from_year=2020, to_year=2022), "date", "model")
    assert r == [("2020-05-01", "GPT-3"), ("2022-03", "Chinchilla")]
    r = rows(run(mini_store, registry, "access-over-time"))
    assert ("2023", "limited", "1", "LLaMA") in r and ("2023", "open", "1", "LLaMA") in r


def test_mini_sources_licenses_orkg(mini_store, registry):
    assert rows(run(mini_store, registry, "source-coverage"), "source", "models", "only_here", "papers") == [
        ("awesome-huge-models", "5", "1", "0"), ("awesome-llms", "6", "2", "6"), ("llm-paper-club", "0", "0", "2")]
    assert rows(run(mini_store, registry, "licenses"), "license", "access", "models")[0] == (
        "Apache License 2.0", "open", "3")
    orkg = rows(run(mini_store, registry, "orkg-ids"), "model", "contribution_id", "orkg_page")
    assert orkg[1] == ("GPT-3", "R370898", "https://orkg.org/paper/R370897/R370898")
    assert orkg[4] == ("T5", "", "")
    g = run(mini_store, registry, "orkg-contributions")
    assert g.form == "CONSTRUCT" and len(g.triples) == 54


def test_mini_model_facts(mini_store, registry):
    r = rows(run(mini_store, registry, "model-facts", model="res:model/chinchilla"))
    assert r[0] == ("curated", "rdf:type", "llmkg:Model", "")
    assert ("awesome-huge-models", "llmkg:organization", "org:deepmind", "DeepMind") in r
    assert len(r) == 17
    assert run(mini_store, registry, "model-facts", model="res:model/none").rows == []


def test_mini_context_and_compute(mini_store, registry):
    assert rows(run(mini_store, registry, "context-length"), "model", "context_length", "texts") == [
        ("GPT-4", "32000", "32k"), ("GPT-3", "2048", "2048"), ("LLaMA", "2048", "2048")]
    assert rows(run(mini_store, registry, "training-compute")) == [
        ("Chinchilla", "70000000000", "5760000", "5.76M"), ("GPT-3", "175000000000", "3640000", "3.64M")]


# =========================================================================================
# The canned queries on the shipped data (data/, built once per session by conftest.py).
# Expected rows are derived from the YAML records where possible, so that they follow
# the data; a few answers are pinned.
# =========================================================================================

DATA = ROOT / "data"


def _load(path: Path):
    import yaml

    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


@pytest.fixture(scope="module")
def records():
    out = {}
    for kind in ("models", "papers", "organizations", "reading-lists"):
        out[kind] = {p.stem: _load(p) for p in sorted((DATA / kind).glob("*.yaml"))}
    return out


@pytest.fixture(scope="module")
def real(real_store):
    return real_store[0]


def _items(value) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [str(v).strip() for v in items if v is not None and str(v).strip() != ""]


def _joined(value) -> str:
    return ", ".join(sorted(set(_items(value)), key=lambda s: (s.casefold(), s)))


def _blocks(rec) -> dict:
    return rec.get("sources") or {}


def test_real_orkg_comparison_matches_the_awesome_llms_records(real, registry, records):
    """One row per awesome-llms model record, every cell as the record writes it."""
    from decimal import Decimal

    r = run(real, registry, "orkg-comparison")
    assert r.column_titles() == ORKG_COMPARISON_COLUMNS
    got = [dict(zip(ORKG_COMPARISON_COLUMNS, row)) for row in r.values()]
    papers, orgs = records["papers"], records["organizations"]
    expected = []
    for rec in records["models"].values():
        b = _blocks(rec).get("awesome-llms")
        if not b:
            continue
        paper = papers.get(b.get("paper"), {})
        row = {"Title": _blocks(paper).get("awesome-llms", {}).get("title") or paper.get("title"),
               "has model": b.get("name") or rec["name"]}
        for col in ORKG_COMPARISON_COLUMNS[2:]:
            v = b.get(col)
            if col == "organization":
                v = [_blocks(orgs.get(o, {})).get("awesome-llms", {}).get("name") or orgs.get(o, {}).get("name", o)
                     for o in _items(v)]
            row[col] = _joined(v) if v is not None else None
            if row[col] == "":
                row[col] = None
        expected.append(row)
    assert len(got) == len(expected) == 87
    million = "maximum number of parameters (in million)"
    for row in got + expected:
        if row[million] is not None:
            row[million] = Decimal(row[million])
    key = lambda row: row["has model"]  # noqa: E731
    for g, e in zip(sorted(got, key=key), sorted(expected, key=key)):
        assert g == e, g["has model"]
    names = [row["has model"] for row in got]
    assert names == sorted(names, key=str.lower)


def test_real_largest_model_per_year(real, registry):
    assert rows(run(real, registry, "largest-model-per-year")) == [
        ("2015", "DeepSpeech 2", "300000000", "awesome-huge-models"),
        ("2018", "BERT", "340000000", "awesome-llms, resolutions"),
        ("2019", "ERNIE", "260000000000", "awesome-llms"),
        ("2020", "GPT-3", "175000000000", "awesome-huge-models, awesome-llms"),
        ("2021", "M6", "10000000000000", "awesome-huge-models"),
        ("2022", "BaGuaLu", "174000000000000", "awesome-huge-models"),
        # the curated resolution, not awesome-llms' slip of 170T (data/models/gpt-4.yaml)
        ("2023", "GPT-4", "1700000000000", "awesome-huge-models, resolutions"),
    ]


def test_real_source_disagreements_match_the_validation_warnings(real, registry):
    """The query and `llmkg validate`'s "sources disagree" warnings find the same facts."""
    from llmkg.config import Paths
    from llmkg.records.read import load_records
    from llmkg.check.validate import disagreements
    from llmkg.records.vocabularies import load_vocabularies

    paths = Paths.resolve(data=DATA)
    rs = load_records(paths.data)
    warnings = disagreements(rs, load_vocabularies(paths.data, base=paths.base))
    names = {rec.id: rec.name for rec in rs.by_kind("model")}
    from_validate = set()
    for w in warnings:
        if w.severity != "Warning":   # rounding, or one source naming more: not a conflict
            continue
        what = w.message.split("disagree on the ", 1)[1].split(":", 1)[0]
        from_validate.add((names[w.focus.rsplit("/", 1)[-1]], what))
    got = rows(run(real, registry, "source-disagreements"))
    assert {(r[0], r[1]) for r in got} == from_validate
    assert len(got) == 13
    assert ("Galactica", "access level", "awesome-huge-models", "open", "awesome-llms",
            "limited (Limited, non-commerical CC BY-NC 4.0 license)") in got
    assert ("RoBERTa", "organization", "awesome-huge-models", "meta", "awesome-llms",
            "google, university-of-washington") in got
    # resolved (GPT-4's count, DeepSpeech 2's organization), rounding (65B and 65.2B: LLaMA's
    # count is resolved too) and subsets (BLOOM's organizations) are not listed
    assert not {r[0] for r in got} & {"GPT-4", "DeepSpeech 2", "Gato"}
    assert ("BLOOM", "organization") not in {(r[0], r[1]) for r in got}


def test_real_models_per_organization(real, registry, records):
    counts: dict[str, set] = {}
    for mid, rec in records["models"].items():
        resolved = (rec.get("curated") or {}).get("organization")
        for b in [{"organization": resolved["value"]}] if resolved else _blocks(rec).values():
            for o in _items(b.get("organization")):
                counts.setdefault(records["organizations"][o]["name"], set()).add(mid)
    got = {r[0]: int(r[1]) for r in rows(run(real, registry, "models-per-organization"))}
    assert got == {k: len(v) for k, v in counts.items()}
    assert "DeepSpeech 2" in next(r for r in rows(run(real, registry, "models-per-organization"), "organization", "names")
                                  if r[0] == "Baidu")[1]   # resolved: the paper is Baidu's
    assert rows(run(real, registry, "models-per-organization"))[0][:2] == ("Google", "33")


def test_real_organization_collaborations(real, registry, records):
    pairs: dict[tuple, set] = {}
    for mid, rec in records["models"].items():
        for b in _blocks(rec).values():
            names = sorted({records["organizations"][o]["name"] for o in _items(b.get("organization"))})
            for i, a in enumerate(names):
                for c in names[i + 1:]:
                    pairs.setdefault((a, c), set()).add(mid)
    got = {(r[0], r[1]): int(r[2]) for r in rows(run(real, registry, "organization-collaborations"))}
    assert got == {k: len(v) for k, v in pairs.items()}
    assert got[("Carnegie Mellon University", "Google")] == 2


def test_real_open_models_over(real, registry):
    got = rows(run(real, registry, "open-models-over", min_params="100B"), "model", "parameters")
    assert got[0] == ("Switch Transformer", "1600000000000")
    assert ("BLOOM", "176000000000") in got and ("OPT", "175000000000") in got
    assert all(int(p) > 100 * 10**9 for _m, p in got)
    assert [int(p) for _m, p in got] == sorted((int(p) for _m, p in got), reverse=True)
    everything = rows(run(real, registry, "open-models-over", min_params="0"), "model")
    assert len(everything) > len(got) >= 5
    assert ("GPT-3",) not in everything


def test_real_models_by_architecture_and_trained_on(real, registry):
    got = rows(run(real, registry, "models-by-architecture"), "architecture", "models")
    assert got[0] == ("Decoder-only transformer", "66")
    assert ("Mixture of experts", "6") in got
    pile = rows(run(real, registry, "models-trained-on", corpus="the pile"), "model")
    assert ("GPT-NeoX-20B",) in pile and ("OPT",) in pile and len(pile) >= 5
    cc = rows(run(real, registry, "models-trained-on"), "model")
    assert ("GPT-3",) in cc and ("LLaMA",) in cc


def test_real_reading_lists(real, registry, records):
    got = rows(run(real, registry, "reading-list-papers"))
    assert len(got) == 15 + 10 + 51
    for lid, rl in records["reading-lists"].items():
        n = sum(len(sec["papers"]) for sec in rl["sections"])
        assert len(run(real, registry, "reading-list-papers", list=lid).rows) == n, lid
    assert ("10 noteworthy AI research papers of 2023", "Papers", "2",
            "Llama 2: Open Foundation and Fine-Tuned Chat Models",
            "Llama 2: Open Foundation and Fine-Tuned Chat Models", "Llama 2") in got
    listed = {e["paper"] for rl in records["reading-lists"].values() for sec in rl["sections"] for e in sec["papers"]}
    papers = rows(run(real, registry, "papers-in-reading-lists"), "paper", "lists")
    assert len(papers) == len(listed)
    assert papers[0] == ("Attention Is All You Need", "2")


def test_real_completeness(real, registry, records):
    n = len(records["models"])
    got = rows(run(real, registry, "completeness"), "property", "with", "without")
    assert len(got) == 15
    assert all(int(w) + int(wo) == n for _p, w, wo in got)
    per_source = rows(run(real, registry, "completeness", source="awesome-llms"), "property", "with", "without")
    n_llms = sum(1 for rec in records["models"].values() if "awesome-llms" in _blocks(rec))
    assert all(int(w) + int(wo) == n_llms for _p, w, wo in per_source)
    created = next(r for r in per_source if r[0] == "dcterms:created")
    assert created == ("dcterms:created", str(n_llms), "0")


def test_real_timelines(real, registry, records):
    from llmkg.records.values import parse_date

    dated = {mid for mid, rec in records["models"].items()
             if any(parse_date(str(b["date created"])).ok for b in _blocks(rec).values() if b.get("date created"))}
    timeline = rows(run(real, registry, "release-timeline"), "date", "model")
    assert len(timeline) == len(dated)
    assert [d for d, _m in timeline] == sorted(d for d, _m in timeline)
    assert ("2020-05-28", "GPT-3") in timeline or ("2020-05-01", "GPT-3") in timeline
    window = rows(run(real, registry, "release-timeline", from_year=2021, to_year=2021), "date")
    assert window and all(d.startswith("2021") for (d,) in window)
    points = run(real, registry, "parameters-over-time")
    assert 100 < len(points.rows) <= len(dated)
    assert all(r[0].datatype.value == XSD + "date" and int(r[2].value) > 0 for r in points.rows)
    per_year = rows(run(real, registry, "access-over-time"), "year", "access", "models")
    assert ("2023", "open", "16") in per_year   # (with the MPT family, data/models/mpt.yaml)


def test_real_sources_and_orkg(real, registry, records):
    cov = {r[0]: r for r in rows(run(real, registry, "source-coverage"), "source", "models", "papers", "reading_lists")}
    for source in ("awesome-llms", "awesome-huge-models"):
        n = sum(1 for rec in records["models"].values() if source in _blocks(rec))
        assert cov[source][1] == str(n)
    assert cov["llm-paper-club"][1:] == ("0", "51", "1")
    ids = rows(run(real, registry, "orkg-ids"), "model", "source", "contribution_id")
    expected = set()
    for rec in records["models"].values():
        for source, b in _blocks(rec).items():
            if any(k in b for k in ("paper", "research problem", "orkg contribution")):
                expected.add((rec["name"], source, str(b.get("orkg contribution") or "")))
    assert set(ids) == expected
    g = run(real, registry, "orkg-contributions")
    contributions = {t.subject for t in g.triples if t.predicate.value.endswith("#hasModel")}
    assert len(contributions) == 87


def test_real_licenses_facts_scale(real, registry):
    lic = rows(run(real, registry, "licenses"), "license", "access", "spdx", "models")
    assert lic[0] == ("Apache License 2.0", "open", "Apache-2.0", "31")
    # GPT-1's and GPT-2's "closed source" is superseded by their curated MIT license
    closed = next(r for r in rows(run(real, registry, "licenses"), "license", "names") if r[0] == "Closed source")
    assert "GPT-1" not in closed[1] and "GPT-2" not in closed[1]
    facts = rows(run(real, registry, "model-facts"), "source", "property", "value")
    assert ("curated", "rdfs:label", "GPT-3") in facts
    assert ("awesome-llms", "llmkg:parameterCountText", "125M, 350M, 774M, 1.3B, 2.7B, 6.7B, 13B, 175B") in facts
    ctx = rows(run(real, registry, "context-length"), "model", "context_length", "texts")
    assert ctx[0] == ("MPT", "84000", "84k")   # the family's entry, no longer merged into MPT-7B
    compute = rows(run(real, registry, "training-compute"), "model", "petaflops")
    assert ("GPT-3", "310000000") in compute


def test_every_canned_query_answers_on_the_shipped_data(real, registry):
    for q in registry.values():
        started = time.perf_counter()
        r = Q.run(real, q, {})
        assert len(r) > 0, q.name
        assert time.perf_counter() - started < 5, q.name


@pytest.mark.parametrize("text, needs", [
    ("SELECT ?p ?o WHERE { <https://w3id.org/llmkg/resource/model/gpt-3> ?p ?o }", False),
    ("PREFIX ex: <urn:x:> SELECT * WHERE { ?s ex:p ?o }", False),
    ("SELECT * WHERE { ?s ?p <thing> }", True),
    ("PREFIX : <#> SELECT * WHERE { ?s :p ?o }", True),
    ("SELECT (IRI('x') AS ?i) WHERE {}", True),
    ("select (uri ('x') as ?i) where {}", True),
    ("SELECT * WHERE { ?s ?p ?o FILTER (?o < 3) }", True),      # less-than: base given, harmless
    ("SELECT * WHERE { ?s llmkg:empirical ?o }", False),
])
def test_needs_base(text, needs):
    """The base IRI is given to Oxigraph only when it may change the query's meaning."""
    assert Q.needs_base(text) is needs


@pytest.mark.parametrize("text, given", [
    ("SELECT ?p ?o WHERE { <https://w3id.org/llmkg/resource/model/gpt-3> ?p ?o }", None),
    ("SELECT * WHERE { ?s llmkg:architecture ?o }", {"llmkg"}),
    ("SELECT * WHERE { ?s res:/<http://x.example/p> ?o }", {"res"}),     # a namespace, then a path
    ("SELECT * WHERE { <http://x.example/s> rdfs:label ?o }", {"rdfs"}),
    ("PREFIX ex: <urn:x:> SELECT * WHERE { ?s ex:p ?o }", None),          # not one of ours
])
def test_predefined_prefixes_given_only_when_used(text, given):
    """Oxigraph gets only the predefined prefixes a query may use (it checks each IRI it is
    given, per query); a query whose IRIs are all written out gets none."""
    kwargs = Q.query_kwargs(text, None, None, None, PREFIXES, None)
    assert (set(kwargs["prefixes"]) if "prefixes" in kwargs else None) == given


def test_base_iri_resolves_relative_iris_and_iri_function(tmp_path):
    st = Store()
    for q in ("SELECT ?x WHERE { BIND(<thing> AS ?x) }", "SELECT ?x WHERE { BIND(IRI('thing') AS ?x) }"):
        r = Q.execute(st, q, base_iri="http://example.org/sparql")
        assert r.rows == [(NamedNode("http://example.org/thing"),)]
        s = Q.execute_serialized(st, q, "csv", base_iri="http://example.org/sparql")
        assert s.body == b"x\r\nhttp://example.org/thing\r\n"
