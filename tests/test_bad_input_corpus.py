"""A corpus of broken record files (#20), one folder read at once: each gets its exact
problem at its file and line from `llmkg validate` (exit 1), and `llmkg build` refuses
with the same violations and leaves the store as it was. The cases are the kinds a curator
makes (dates, numbers, ids, references, YAML syntax, encodings, sizes) and the ones an
attacker would try (traversal ids, NUL bytes, huge files)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow   # builds stores (pytest -m "not slow" leaves it out)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
M = "id: {id}\nname: X\nsources:\n  awesome-llms:\n    name: X\n"


def model(id: str, extra: str = "") -> tuple[str, str, str]:
    return ("models", f"{id}.yaml", M.format(id=id) + extra)


# case -> (folder, file, content, the exact problems expected for that file)
CASES = {
    'impossible-date': (*model('d1', "    date created: '2023-02-30'\n"), [
        "models/d1.yaml:6: Violation: date created: date created must be a date such as 2023-03-14, 2023-03 or Mar. 2023 (value: '2023-02-30')",
    ]),
    'month-13': (*model('d2', "    date created: '2023-13'\n"), [
        "models/d2.yaml:6: Violation: date created: date created must be a date such as 2023-03-14, 2023-03 or Mar. 2023 (value: '2023-13')",
    ]),
    'year-zero': (*model('d3', "    date created: '0000-01-01'\n"), [
        "models/d3.yaml:6: Violation: date created: date created must be a date such as 2023-03-14, 2023-03 or Mar. 2023 (value: '0000-01-01')",
    ]),
    'word-date': (*model('d4', '    date created: yesterday\n'), [
        "models/d4.yaml:6: Violation: date created: date created must be a date such as 2023-03-14, 2023-03 or Mar. 2023 (value: 'yesterday')",
    ]),
    'arabic-indic-date': (*model('d5', "    date created: '٢٠٢٣-٠١-٠١'\n"), [
        "models/d5.yaml:6: Violation: date created: date created must be a date such as 2023-03-14, 2023-03 or Mar. 2023 (value: '٢٠٢٣-٠١-٠١')",
    ]),
    'future-date': (*model('d6', "    date created: '3024-01-01'\n"), [
        'models/d6.yaml:6: Violation: date created: date created 3024-01-01 is in the future',
    ]),
    'negative-params': (*model('p1', "    maximum number of parameters (in million): '-5'\n"), [
        "models/p1.yaml:6: Violation: maximum number of parameters (in million): maximum number of parameters (in million) must not be negative (value: '-5')",
    ]),
    'zero-params': (*model('p2', "    maximum number of parameters (in million): '0'\n"), [
    ]),
    'dotted-params': (*model('p3', "    maximum number of parameters (in million): '1.2.3'\n"), [
        "models/p3.yaml:6: Violation: maximum number of parameters (in million): maximum number of parameters (in million) must be a number of millions such as 1500 or 0.35 (a whole number of parameters) (value: '1.2.3')",
    ]),
    'word-params': (*model('p4', '    maximum number of parameters (in million): lots\n'), [
        "models/p4.yaml:6: Violation: maximum number of parameters (in million): maximum number of parameters (in million) must be a number of millions such as 1500 or 0.35 (a whole number of parameters) (value: 'lots')",
    ]),
    'inf-compute': (*model('c1', '    training compute (petaFLOPs): inf\n'), [
        "models/c1.yaml:6: Violation: training compute (petaFLOPs): expected a number such as 18k or 3.4M, got 'inf' (infinity and not-a-number are not numbers here)",
    ]),
    'nan-compute': (*model('c2', '    training compute (petaFLOPs): .nan\n'), [
        "models/c2.yaml:6: Violation: training compute (petaFLOPs): training compute (petaFLOPs) must be a number such as 18k or 3.4M (value: '.nan')",
    ]),
    'text-compute': (*model('c3', '    training compute (petaFLOPs): abc\n'), [
        "models/c3.yaml:6: Violation: training compute (petaFLOPs): training compute (petaFLOPs) must be a number such as 18k or 3.4M (value: 'abc')",
    ]),
    'bad-context': (*model('x1', '    context length: a lot\n'), [
        "models/x1.yaml:6: Violation: context length: context length must be a whole number of tokens such as 2048 or 84k (value: 'a lot')",
    ]),
    'unknown-license': (*model('l1', '    license: Frobnicate License 9\n'), [
        "models/l1.yaml:6: Violation: license: license is not a label or alias in data/vocabularies/licenses.yaml (value: 'Frobnicate License 9')",
    ]),
    'unknown-org': (*model('o1', '    organization: no-such-org\n'), [
        "models/o1.yaml:6: Violation: organization: no organization with this id in data/organizations/ (value: 'no-such-org')",
    ]),
    'unknown-paper': (*model('q1', '    paper: no-such-paper\n'), [
        "models/q1.yaml:6: Violation: paper: no paper with this id in data/papers/ (value: 'no-such-paper')",
    ]),
    'bad-url': (*model('u1', '    blog post: not a url\n'), [
        "models/u1.yaml:6: Violation: blog post: blog post must be a web address starting with https:// (or http://) (value: 'not a url')",
    ]),
    'bad-orkg-id': (*model('r1', '    orkg contribution: X12\n'), [
        "models/r1.yaml:6: Violation: orkg contribution: orkg contribution must be one ORKG id: R followed by digits, e.g. R370898 (value: 'X12')",
    ]),
    'unknown-source': ('models', 's1.yaml', 'id: s1\nname: S\nsources:\n  nowhere:\n    name: S\n', [
        "models/s1.yaml:4: Violation: sources: unknown source 'nowhere' (no data/sources/nowhere.yaml)",
    ]),
    'unknown-top-field': ('models', 'f1.yaml', 'id: f1\nname: F\nflavour: sweet\n', [
        'models/f1.yaml:3: Violation: flavour: unknown key',
    ]),
    'no-id': ('models', 'n1.yaml', 'name: Nameless\n', [
        "models/n1.yaml:1: Violation: id: missing id (expected 'id: n1')",
    ]),
    'no-name': ('models', 'n2.yaml', 'id: n2\n', [
        'models/n2.yaml:1: Violation: name: a model needs exactly one name (text)',
    ]),
    'empty-name': ('models', 'n3.yaml', "id: n3\nname: ''\n", [
        'models/n3.yaml:2: Violation: name: a model needs exactly one name (text)',
    ]),
    'number-name': ('models', 'n4.yaml', 'id: n4\nname: 123\n', [
    ]),
    'id-with-space': ('models', 'i1.yaml', 'id: has space\nname: I\n', [
        "models/i1.yaml:1: Violation: id: 'has space' is not a valid id (lower-case letters, digits and single hyphens)",
    ]),
    'id-traversal': ('models', 'i2.yaml', 'id: ../etc\nname: I\n', [
        "models/i2.yaml:1: Violation: id: '../etc' is not a valid id (lower-case letters, digits and single hyphens)",
    ]),
    'id-mismatch': ('models', 'i3.yaml', 'id: other-name\nname: I\n', [
        "models/i3.yaml:1: Violation: id: id 'other-name' does not match the file name 'i3.yaml'",
    ]),
    'duplicate-id-a': ('models', 'dup-a.yaml', 'id: dup\nname: A\n', [
        "models/dup-a.yaml:1: Violation: id: id 'dup' does not match the file name 'dup-a.yaml'",
    ]),
    'duplicate-id-b': ('models', 'dup.yaml', 'id: dup\nname: B\n', [
        "models/dup.yaml:1: Violation: id: duplicate id 'dup' (also in corpusdata/models/dup-a.yaml:1)",
    ]),
    'duplicate-key': ('models', 'k1.yaml', 'id: k1\nname: K\nname: L\n', [
        'models/k1.yaml:3: Violation: name: duplicate key (first on line 2)',
    ]),
    'empty-file': ('models', 'e1.yaml', '', [
        'models/e1.yaml:1: Violation: the file is empty',
    ]),
    'list-file': ('models', 'e2.yaml', '- id: e2\n- name: E\n', [
        'models/e2.yaml:1: Violation: a record must be a mapping of keys, got a list',
    ]),
    'scalar-file': ('models', 'e3.yaml', 'just text\n', [
        'models/e3.yaml:1: Violation: a record must be a mapping of keys, got text',
    ]),
    'two-documents': ('models', 'e4.yaml', 'id: e4\nname: E\n---\nid: e5\nname: F\n', [
        'models/e4.yaml:3: Violation: YAML syntax error: expected a single document in the stream, but found another document',
    ]),
    'unclosed-bracket': ('models', 'y1.yaml', 'id: y1\nname: [Y\n', [
        "models/y1.yaml:3: Violation: YAML syntax error: while parsing a flow sequence, did not find expected ',' or ']'",
    ]),
    'tab-indent': ('models', 'y2.yaml', 'id: y2\nname: Y\nsources:\n\tawesome-llms:\n\t\tname: Y\n', [
        'models/y2.yaml:4: Violation: YAML syntax error: while scanning for the next token, found character that cannot start any token',
    ]),
    'bad-utf8': ('models', 'y3.yaml', b'id: y3\nname: \xff\xfe bad\n', [
        'models/y3.yaml:1: Violation: not UTF-8 text (invalid start byte)',
    ]),
    'nul-byte': ('models', 'y4.yaml', 'id: y4\nname: a\x00b\n', [
        'models/y4.yaml:2: Violation: YAML syntax error: the character U+0000 is not allowed (control characters other than tab and newline)',
    ]),
    'sources-list': ('models', 't1.yaml', 'id: t1\nname: T\nsources: []\n', [
        'models/t1.yaml:3: Violation: sources: expected a mapping of source id to statements, got a list',
    ]),
    'source-scalar': ('models', 't2.yaml', 'id: t2\nname: T\nsources:\n  awesome-llms: text\n', [
        'models/t2.yaml:4: Violation: awesome-llms: expected a mapping of statements, got text',
    ]),
    'curated-unknown-key': (*model('cu1', 'curated:\n  flavour: {value: x, reason: y}\n'), [
        'models/cu1.yaml:7: Violation: flavour: unknown key in curated',
    ]),
    'curated-no-value': (*model('cu2', 'curated:\n  license: {reason: because}\n'), [
        "models/cu2.yaml:7: Violation: license: the resolution of 'license' gives no value",
    ]),
    'org-kind': ('organizations', 'spaceorg.yaml', 'id: spaceorg\nname: Space Org\nkind: spaceship\n', [
        "organizations/spaceorg.yaml:3: Warning: kind: kind should be company, university, research lab, community or person (value: 'spaceship')",
    ]),
    'paper-no-title': ('papers', 'pp1.yaml', 'id: pp1\n', [
        "papers/pp1.yaml:1: Violation: name: title: a paper needs exactly one name, taken from its title (drop a 'name' that differs from the title)",
        'papers/pp1.yaml:1: Violation: title: a paper needs a title',
    ]),
    'paper-bad-arxiv': ('papers', 'pp2.yaml', 'id: pp2\ntitle: P\narxiv: not-an-id\n', [
        "papers/pp2.yaml:3: Violation: arxiv: arxiv must be an arXiv identifier such as 2005.14165 (without https://arxiv.org/abs/) (value: 'not-an-id')",
    ]),
    'paper-bad-year': ('papers', 'pp3.yaml', 'id: pp3\ntitle: P\nyear: 19999\n', [
        'papers/pp3.yaml:3: Violation: year: unknown key',
    ]),
    'list-unknown-paper': ('reading-lists', 'rl1.yaml', 'id: rl1\ntitle: R\nsource: llm-paper-club\nsections:\n- title: S\n  papers:\n  - paper: no-such-paper\n', [
        "reading-lists/rl1.yaml:7: Violation: paper: no paper with this id in data/papers/ (value: 'no-such-paper')",
    ]),
    'huge-line': ('models', 'h1.yaml', "id: h1\nname: " + "x" * 2_000_000 + "\n", [
        'models/h1.yaml:1: Violation: the file is 2,000,014 bytes, more than a record needs (at most 1,048,576); it was not read',
    ]),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    d = root / "data"
    for folder in ("sources", "vocabularies", "organizations"):
        shutil.copytree(DATA / folder, d / folder)
    for folder in ("models", "papers", "reading-lists"):
        (d / folder).mkdir()
    for folder, file, content, _ in CASES.values():
        (d / folder / file).write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


def llmkg(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "llmkg", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_each_broken_file_gets_its_exact_problems(corpus):
    out = llmkg(corpus, "validate", "--data", "data", "--severity", "warning")
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr and "internal error" not in out.stderr
    got = [l for l in out.stdout.splitlines() if ": Violation: " in l or "spaceorg" in l]
    for name, (folder, file, _, expected) in CASES.items():
        mine = [l for l in got if l.startswith(f"data/{folder}/{file}:")]
        assert mine == ["data/" + e.replace("corpusdata/", "data/") for e in expected], name
    assert len(got) == sum(len(c[3]) for c in CASES.values())
    assert out.stdout.splitlines()[-1].startswith(f"does not conform: {len(got) - 1} violations, ")


def test_the_build_refuses_with_the_same_violations_and_keeps_the_store(corpus, tmp_path):
    good = tmp_path / "good"
    for folder in ("sources", "vocabularies", "organizations", "models", "papers"):
        shutil.copytree(DATA / folder, good / folder)
    store = tmp_path / "store"
    assert llmkg(corpus, "build", "--data", str(good), "--store", str(store), "-q").returncode == 0
    before = (store / "current").resolve()
    out = llmkg(corpus, "build", "--data", "data", "--store", str(store))
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr and "internal error" not in out.stderr
    validate = llmkg(corpus, "validate", "--data", "data")
    violations = [l for l in validate.stdout.splitlines() if ": Violation: " in l]
    shown = [l for l in out.stderr.splitlines() if ": Violation: " in l]
    assert shown == violations[:20]
    assert f"... and {len(violations) - 20} more" in out.stderr
    assert out.stderr.splitlines()[-1].startswith(f"llmkg: error: {len(violations)} violations in data; "
                                                  "the store was not changed")
    assert (store / "current").resolve() == before
    assert not list(store.glob("building-*"))

