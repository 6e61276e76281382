"""`llmkg queries` and `llmkg query`: canned, file and ad hoc queries, formats, errors, a remote
endpoint (a real `oxigraph serve-read-only`), and a start that imports neither rdflib nor
pySHACL."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from llmkg.cli import main
from llmkg.web.testing import free_port

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
OXIGRAPH = shutil.which("oxigraph", path=str(Path(PYTHON).parent)) or shutil.which("oxigraph")


@pytest.fixture
def cli(mini_store_dir):
    runner = CliRunner()

    def invoke(*args, store=mini_store_dir):
        return runner.invoke(main, [*args, "--store", str(store)] if args and args[0] == "query" else list(args),
                             catch_exceptions=False)
    return invoke


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# -- llmkg queries ---------------------------------------------------------------------------

def test_queries_lists_names_titles_and_parameters(cli):
    r = cli("queries")
    assert r.exit_code == 0
    lines = r.output.splitlines()
    assert len(lines) >= 15
    line = next(ln for ln in lines if ln.startswith("open-models-over "))
    assert "Open models over N parameters" in line and "[min_params:integer=10B]" in line
    assert any(ln.startswith("release-timeline ") and "from_year:year?" in ln for ln in lines)
    doc = json.loads(cli("queries", "--format", "json").stdout)
    q = next(q for q in doc if q["name"] == "models-trained-on")
    assert q["params"] == [{"name": "corpus", "type": "string", "default": "Common Crawl", "required": False,
                            "description": "A corpus: label, alias, id or IRI"}]


# -- llmkg query NAME / FILE / -e -------------------------------------------------------------

def test_canned_query_csv_when_piped(cli):
    r = cli("query", "largest-model-per-year")
    assert r.exit_code == 0, r.output
    rows = csv_rows(r.stdout)
    assert rows[0] == ["year", "model", "parameters", "according to"]
    assert rows[1] == ["2018", "BERT", "340000000", "awesome-llms"]
    assert len(rows) == 6


def test_parameters_and_formats(cli):
    r = cli("query", "open-models-over", "-p", "min_params", "20B", "--format", "markdown")
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[2].startswith("| LLaMA | 65000000000 | awesome-huge-models |")
    r = cli("query", "open-models-over", "-p", "min_params", "1M", "-f", "json")
    doc = json.loads(r.stdout)
    assert doc["head"]["vars"] == ["model", "parameters", "open_according_to", "licenses", "other_access"]
    assert [b["model"]["value"] for b in doc["results"]["bindings"]] == ["LLaMA", "T5", "XLNet", "BERT"]
    r = cli("query", "models-trained-on", "-p", "corpus", "wikipedia", "-f", "table")
    assert r.output.splitlines()[0].split()[:2] == ["corpus", "model"]
    assert "(3 rows)" in r.output
    r = cli("query", "orkg-comparison", "-f", "tsv")
    assert r.output.splitlines()[0].split("\t")[:3] == ["Title", "has model", "model family"]
    r = cli("query", "orkg-comparison", "-f", "xml")
    assert r.output.startswith('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">')


def test_construct_defaults_to_turtle(cli):
    r = cli("query", "orkg-contributions")
    assert r.exit_code == 0, r.output
    assert "@prefix orkgc: <http://orkg.org/orkg/class/> ." in r.output
    r = cli("query", "orkg-contributions", "-f", "ntriples")
    assert len(r.output.splitlines()) == 54
    r = cli("query", "orkg-contributions", "-f", "csv")
    assert r.exit_code == 2
    assert "a CONSTRUCT query gives a graph" in r.output


def test_file_and_expression(cli, tmp_path):
    f = tmp_path / "models-of.rq"
    f.write_text('# title: Models of an organization\n'
                 '# param: org iri required "the organization"\n'
                 'SELECT DISTINCT ?name ?org WHERE { ?m llmkg:organization ?org ; rdfs:label ?name } ORDER BY ?name\n',
                 encoding="utf-8")
    r = cli("query", str(f), "-p", "org", "res:organization/google")
    assert r.exit_code == 0, r.output
    assert csv_rows(r.stdout) == [["name"], ["BERT"], ["T5"], ["XLNet"]]
    r = cli("query", "-e", "SELECT (COUNT(*) AS ?models) WHERE { ?m a llmkg:Model }")
    assert csv_rows(r.stdout) == [["models"], ["7"]]
    r = cli("query", "-e", "ASK { res:model\\/gpt-3 a llmkg:Model }", "-f", "json")
    assert json.loads(r.stdout) == {"head": {}, "boolean": True}
    r = cli("query", "-e", "ASK { ?m a llmkg:Nothing }")
    assert r.output == "false\n"


def test_bug_query_from_ignored_with_the_union_default_graph(cli):
    """Regression: `llmkg query -e 'SELECT ... FROM <g> WHERE ...'` ignored the FROM (Oxigraph
    ignores a query's dataset when the union default graph is set)."""
    q = "SELECT (COUNT(DISTINCT ?m) AS ?n) {} WHERE {{ ?m llmkg:nameInSource ?x }}"
    assert csv_rows(cli("query", "-e", q.format("")).stdout) == [["n"], ["9"]]   # the union
    r = cli("query", "-e", q.format("FROM <https://w3id.org/llmkg/graph/awesome-huge-models>"))
    assert r.exit_code == 0, r.output
    assert csv_rows(r.stdout) == [["n"], ["6"]]
    assert csv_rows(cli("query", "-e", q.format("FROM graph:awesome-llms")).stdout) == [["n"], ["7"]]
    # FROM NAMED alone: the default graph is empty
    assert csv_rows(cli("query", "-e", q.format("FROM NAMED graph:awesome-llms")).stdout) == [["n"], ["0"]]
    # --graph names the dataset: it wins over FROM
    r = cli("query", "-e", q.format("FROM graph:awesome-llms"), "--graph", "awesome-huge-models")
    assert csv_rows(r.stdout) == [["n"], ["6"]]


def test_graph_limit_and_show_query(cli):
    r = cli("query", "-e", "SELECT DISTINCT ?m WHERE { ?m llmkg:nameInSource ?n } ORDER BY ?m",
            "--graph", "awesome-huge-models")
    assert len(csv_rows(r.stdout)) == 1 + 6
    r = cli("query", "release-timeline", "--limit", "2")
    assert len(csv_rows(r.stdout)) == 3
    assert r.stderr == "llmkg: only the first 2 rows were printed (--limit)\n"
    r = cli("query", "open-models-over", "-p", "min_params", "5k", "--show-query")
    assert '("5000"^^<http://www.w3.org/2001/XMLSchema#integer> AS ?min_params)' in r.output
    assert "FILTER(?parameters > \"5000\"^^<http://www.w3.org/2001/XMLSchema#integer>)" in r.output


@pytest.mark.parametrize("args,message", [
    (["query", "open-models-over", "-p", "min_params", "lots"],
     "llmkg: error: parameter 'min_params' must be an integer"),
    (["query", "open-models-over", "-p", "min", "1"], "llmkg: error: query 'open-models-over' has no parameter 'min'"),
    (["query", "open-model-over"], "llmkg: error: no canned query 'open-model-over'; did you mean open-models-over?"),
    (["query", "-e", "SELECT ?x WHERE { ?x a }"], "llmkg: error: the query is not valid SPARQL"),
    (["query"], "llmkg: error: give a query NAME, a FILE.rq, or -e 'SPARQL'"),
    (["query", "nothing.rq"], "llmkg: error: no query file nothing.rq"),
    (["query", "licenses", "-f", "turtle"], "llmkg: error: a SELECT query gives a table"),
    (["query", "licenses", "-p", "a", "1", "-p", "a", "2"], "llmkg: error: parameter 'a' given twice"),
])
def test_errors_are_one_line_exit_2(cli, args, message):
    r = cli(*args)
    assert r.exit_code == 2
    assert r.output.startswith(message), r.output
    assert len(r.output.strip().splitlines()) == 1


def test_missing_store_is_one_line(cli, tmp_path):
    r = cli("query", "licenses", store=tmp_path / "none")
    assert r.exit_code == 2
    assert "no graph has been built" in r.output


def test_bad_header_names_file_and_line(cli, tmp_path):
    f = tmp_path / "bad.rq"
    f.write_text("# title: x\n# param: n number\nSELECT ?n {}\n", encoding="utf-8")
    r = cli("query", str(f))
    assert r.exit_code == 2
    assert r.output.strip() == f"llmkg: error: {f}:2: parameter 'n': unknown type 'number' " \
                               "(types: iri, string, integer, decimal, date, year, boolean)"


# -- the start: no rdflib, no pyshacl ----------------------------------------------------------

def test_query_does_not_import_rdflib_or_pyshacl(mini_store_dir):
    code = (
        "import sys, runpy\n"
        f"sys.argv = ['llmkg', 'query', 'largest-model-per-year', '--store', {str(mini_store_dir)!r}]\n"
        "from llmkg.cli import main\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('rdflib', 'pyshacl', 'yaml', 'ruamel'))\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    out = subprocess.run([PYTHON, "-X", "importtime", "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "HEAVY []" in out.stderr
    imported = [ln.rsplit("|", 1)[-1].strip() for ln in out.stderr.splitlines() if ln.startswith("import time:")]
    assert "llmkg.query" in imported and "pyoxigraph" in imported
    assert not [m for m in imported if m.split(".")[0] in ("rdflib", "pyshacl")]
    assert out.stdout.startswith("year,model,parameters,according to")


# -- a remote endpoint: oxigraph serve-read-only ----------------------------------------------

@pytest.fixture(scope="module")
def endpoint(mini_store_dir):
    """A real SPARQL endpoint over the mini store, for at most 120 s."""
    if OXIGRAPH is None:
        pytest.skip("the oxigraph server (PyPI package oxigraph) is not installed")
    port = free_port()
    db = (mini_store_dir / "current").resolve() / "db"
    cmd = [OXIGRAPH, "serve-read-only", "--location", str(db), "--bind", f"127.0.0.1:{port}",
           "--union-default-graph"]
    if shutil.which("timeout"):
        cmd = ["timeout", "120"] + cmd
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/query"
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(f"{url}?query=ASK%7B%7D", timeout=1).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"oxigraph did not start: {proc.stderr.read().decode(errors='replace')}")
            time.sleep(0.1)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.mark.slow
@pytest.mark.parametrize("args", [
    ["largest-model-per-year"],
    ["orkg-comparison"],
    ["open-models-over", "-p", "min_params", "1B"],
    ["models-trained-on", "-p", "corpus", "res:corpus/wikipedia"],
    ["release-timeline", "-p", "from_year", "2020"],
    ["reading-list-papers", "-p", "list", "llm-paper-club"],
    ["model-facts", "-p", "model", "res:model/t5"],
    ["source-disagreements", "-f", "json"],
    ["orkg-contributions", "-f", "ntriples"],
    ["-e", "ASK { ?m a llmkg:Model }"],
])
def test_endpoint_gives_the_same_output(cli, endpoint, args):
    local = cli("query", *args)
    remote = cli("query", *args, "--endpoint", endpoint)
    assert local.exit_code == 0 and remote.exit_code == 0, remote.output
    assert remote.stdout == local.stdout


@pytest.mark.slow
def test_endpoint_errors(cli, endpoint):
    r = cli("query", "-e", "SELECT ?x WHERE { ?x a nope:X }", "--endpoint", endpoint, "--limit", "1")
    assert r.exit_code == 2
    assert r.output.startswith(f"llmkg: error: the endpoint {endpoint} answered 400")
    r = cli("query", "licenses", "--endpoint", f"http://127.0.0.1:{free_port()}/query")
    assert r.exit_code == 2
    assert "cannot reach the endpoint" in r.output
