"""Syntax errors in words: an unknown prefix by name with the known ones, the place as a
line and column, the tokens expected without Oxigraph's Unicode ranges."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from pyoxigraph import Store

from llmkg import query as Q
from llmkg.cli import main
from llmkg.errors import QueryError
from llmkg.query.syntax import readable

CASES = [
    ("SELECT * WHERE { ?s foo:bar ?o }",
     "line 1, column 28: unknown prefix 'foo:' (known: arch:, corpus:, dcterms:, foaf:, graph:, license:, "
     "list:, llmkg:, model:, org:, orkgc:, orkgp:, ...; declare it with PREFIX foo: <...>)"),
    ("SELECT * WHERE { ?s ?p ?o",
     "line 1, column 26 (the end of the query): expected ',', '.', ';', '{', '{|', '}', '~', a number or a name"),
    ("SELECT * WHERE { ?s ?p ?o } LIMT 3",
     "line 1, column 35 (the end of the query): expected HAVING, OFFSET, OPTIONAL or VALUES"),
    ("SELECT * WHERE { ?s res:model/gpt-3 ?o }",
     "line 1, column 36: near 'res:model/gpt-3 ?o }'; expected '.', ':', a number or a name (a prefixed "
     "name cannot hold '/': res:model/gpt-3 is not SPARQL; write the full IRI or a prefix per kind, such as "
     "model:gpt-3)"),
    ("PREFIX ex: <http://x.example/>\nSELECT * WHERE {\n  ?s ex:p ?o .\n  ?s zz:q ?o\n}",
     "line 4, column 11: unknown prefix 'zz:' (known: arch:, corpus:, dcterms:, ex:, foaf:, graph:, license:, "
     "list:, llmkg:, model:, org:, orkgc:, ...; declare it with PREFIX zz: <...>)"),
]


@pytest.mark.parametrize("text, message", CASES)
def test_syntax_errors_in_words(text, message):
    with pytest.raises(QueryError) as err:
        Q.execute(Store(), text)
    assert str(err.value) == "the query is not valid SPARQL: " + message
    assert "\\u{" not in str(err.value) and "..=" not in str(err.value)


def test_the_cli_says_it_in_one_line_with_exit_code_2(tmp_path, mini_store_dir):
    r = CliRunner().invoke(main, ["query", "--store", str(mini_store_dir), "-e", CASES[0][0]])
    assert r.exit_code == 2
    assert r.output == "llmkg: error: the query is not valid SPARQL: " + CASES[0][1] + "\n"


def test_a_message_it_cannot_read_is_kept():
    assert readable("something else", "SELECT") == "something else"
