"""Incremental builds give the store and the report of a full build.

Each case builds, changes the data (edit one record, add one, remove one, touch one, change
what a research problem is called, break a value), builds again from the previous version
(llmkg.build.pipeline's incremental path) and compares with a full build of the same data: the quads
of the store (the ontology graph's blank nodes up to renaming), build.json's counts, and
the report, line for line.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from pyoxigraph import BlankNode, DefaultGraph, NamedNode, Store

from llmkg.build.pipeline import build
from llmkg.config import Paths
from llmkg.errors import ValidationFailed
from llmkg.vocab import ONTOLOGY_GRAPH

pytestmark = pytest.mark.slow   # builds stores (pytest -m "not slow" leaves it out)

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bench/ (the generator) is not installed
    sys.path.insert(0, str(ROOT))


def quads(version) -> tuple[set, int]:
    """The quads of a version (blank nodes of the ontology, in its graph and in the default
    graph, counted, not named)."""
    st = Store.read_only(str(version.db))
    named, anonymous = set(), 0
    for q in st:
        if isinstance(q.subject, BlankNode) or isinstance(q.object, BlankNode):
            assert isinstance(q.graph_name, DefaultGraph) or q.graph_name.value == ONTOLOGY_GRAPH
            anonymous += 1
        else:
            named.add(str(q))
    return named, anonymous


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    from bench.generate import generate

    d = tmp_path_factory.mktemp("gen") / "data"
    generate(400, d, seed=11, invalid=0.0)
    return d


@pytest.fixture(params=["shipped", "generated"])
def work(request, tmp_path, generated, monkeypatch):
    monkeypatch.chdir(tmp_path)
    src = ROOT / "data" if request.param == "shipped" else generated
    shutil.copytree(src, tmp_path / "data")
    return tmp_path


def models(d: Path) -> list[Path]:
    return sorted((d / "data" / "models").glob("*.yaml"))


def rebuild_and_compare(d: Path, expect_incremental: bool = True):
    """Build incrementally (from the store built before) and fully; both must agree."""
    inc = build(Paths.resolve(data=d / "data", store=d / "store"))
    full = build(Paths.resolve(data=d / "data", store=d / "full"), incremental=False)
    assert ("changed files" in inc.checked.timings) == expect_incremental
    assert quads(inc.version) == quads(full.version)
    assert inc.counts == full.counts
    assert inc.version.meta["quads"] == full.version.meta["quads"]
    assert inc.checked.report.to_text() == full.checked.report.to_text()
    shutil.rmtree(d / "full")
    return inc


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def first_with(d: Path, needle: str) -> Path:
    return next(p for p in models(d) if needle in p.read_text(encoding="utf-8"))


def test_edit_one_value(work):
    build(Paths.resolve(data=work / "data", store=work / "store"))
    f = first_with(work, "date created:")
    text = f.read_text(encoding="utf-8")
    m = re.search(r"date created: '?(?:[A-Z][a-z]+\.? )?(\d{4})", text)
    edit(f, m.group(0), m.group(0).replace(m.group(1), str(int(m.group(1)) - 1)))
    inc = rebuild_and_compare(work)
    assert inc.checked.timings["changed files"] == 1


def test_change_the_parameters(work):
    build(Paths.resolve(data=work / "data", store=work / "store"))
    f = next(p for p in models(work) if "number of parameters:" in p.read_text(encoding="utf-8")
             and "maximum number of parameters" not in p.read_text(encoding="utf-8"))
    text = f.read_text(encoding="utf-8")
    line = next(l for l in text.splitlines() if "number of parameters:" in l)
    edit(f, line, line.split(":")[0] + ": 1B, 2B, 3B")
    rebuild_and_compare(work)


def test_add_and_remove_records(work):
    build(Paths.resolve(data=work / "data", store=work / "store"))
    victim = models(work)[3]
    victim.unlink()
    shutil.copy(models(work)[0], work / "data" / "models" / "zz-new-model.yaml")
    edit(work / "data" / "models" / "zz-new-model.yaml", "id: ", "id: zz-new-model\nold-id: ")
    text = (work / "data" / "models" / "zz-new-model.yaml").read_text(encoding="utf-8")
    (work / "data" / "models" / "zz-new-model.yaml").write_text(
        "\n".join(l for l in text.splitlines() if not l.startswith("old-id: ")) + "\n", encoding="utf-8")
    rebuild_and_compare(work)


def test_touch_without_change_and_nothing_changed(work):
    build(Paths.resolve(data=work / "data", store=work / "store"))
    f = models(work)[1]
    os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 10**9))
    inc = rebuild_and_compare(work)
    assert inc.checked.timings["changed files"] == 0
    rebuild_and_compare(work)


def test_research_problem_label_moves_to_another_model(work):
    """The label of a research problem is the first model's (in id order) that names it."""
    build(Paths.resolve(data=work / "data", store=work / "store"))
    f = first_with(work, "Large Language Models (LLMs)")
    edit(f, "Large Language Models (LLMs)", "large language models (LLMs)")
    rebuild_and_compare(work)
    f2 = sorted(p for p in models(work) if "Large Language Models (LLMs)" in p.read_text(encoding="utf-8"))[0]
    edit(f2, "Large Language Models (LLMs)", "Large language models (LLMs)", count=5)
    rebuild_and_compare(work)


def test_a_broken_value_is_refused_with_the_full_report(work):
    store = build(Paths.resolve(data=work / "data", store=work / "store")).version
    f = first_with(work, "organization:")
    text = f.read_text(encoding="utf-8")
    line = next(l for l in text.splitlines() if l.strip().startswith("organization:"))
    edit(f, line, line.split(":")[0] + ": no-such-organization")
    with pytest.raises(ValidationFailed) as inc:
        build(Paths.resolve(data=work / "data", store=work / "store"))
    with pytest.raises(ValidationFailed) as full:
        build(Paths.resolve(data=work / "data", store=work / "full"), incremental=False)
    assert str(inc.value) == str(full.value)
    from llmkg.graph.store import current_version

    assert current_version(work / "store").id == store.id
    assert not (work / "full").exists()  # a refused first build leaves no store behind
    edit(f, line.split(":")[0] + ": no-such-organization", line)  # and fixed again
    rebuild_and_compare(work)


def test_shapes_or_vocabularies_changed_means_a_full_build(work):
    build(Paths.resolve(data=work / "data", store=work / "store"))
    voc = work / "data" / "vocabularies" / "licenses.yaml"
    voc.write_text(voc.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    rebuild_and_compare(work, expect_incremental=False)


# --- the streaming build is the pipeline it replaces -------------------------------------------

@pytest.mark.parametrize("which", ["shipped", "generated"])
def test_streaming_build_equals_the_whole_data_pipeline(which, generated, tmp_path, monkeypatch):
    """Compiling file by file in worker processes gives the quads of records.load_records +
    mapping.map_records, and the report of validate.validate (pySHACL on those quads)."""
    from pyoxigraph import RdfFormat, parse

    from llmkg.graph.mapping import map_records
    from llmkg.records.read import load_records
    from llmkg.check.validate import validate
    from llmkg.records.vocabularies import load_vocabularies

    monkeypatch.chdir(ROOT if which == "shipped" else generated.parent)
    data = ROOT / "data" if which == "shipped" else generated
    paths = Paths.resolve(data=data, store=tmp_path / "store")
    result = build(paths)
    rs = load_records(data)
    voc = load_vocabularies(data, base=paths.base)
    mapped = map_records(rs, voc, paths.base)
    st = Store.read_only(str(result.version.db))
    onto = NamedNode(ONTOLOGY_GRAPH)
    named = {str(q) for q in st if not isinstance(q.graph_name, DefaultGraph) and q.graph_name != onto}
    assert {str(q) for q in mapped.quads if not isinstance(q.graph_name, DefaultGraph)} == named
    # the default graph: what the mapping gives it, and the ontology
    default = {str(q.triple) for q in st.quads_for_pattern(None, None, None, DefaultGraph())
               if not isinstance(q.subject, BlankNode) and not isinstance(q.object, BlankNode)}
    ontology = {str(q.triple) for q in st.quads_for_pattern(None, None, None, onto)
                if not isinstance(q.subject, BlankNode) and not isinstance(q.object, BlankNode)}
    assert {str(q.triple) for q in mapped.quads if isinstance(q.graph_name, DefaultGraph)} | ontology == default
    assert result.counts["triples"] == sum(1 for _ in st.quads_for_pattern(None, None, None, DefaultGraph()))
    assert result.version.meta["quads"] == len(st) - result.counts["triples"]
    old = validate(rs, mapped, voc, paths.shapes, data)
    assert result.checked.report.to_text() == old.to_text()


# --- the load runs in pieces, two at a time ----------------------------------------------------

def test_a_load_in_many_pieces_stores_what_a_load_in_one_stores(generated, tmp_path, monkeypatch):
    """The build hands its N-Quads to Store.bulk_load in pieces loaded on two threads
    (build._ParallelLoad): with pieces of 64 KiB the store, its counts and the report are
    those of a build whose quads fit in one piece."""
    import llmkg.build.pipeline as B

    pieces: list[int] = []
    load = B._ParallelLoad._load

    def counted(self, piece):
        pieces.append(len(piece))
        return load(self, piece)

    monkeypatch.setattr(B._ParallelLoad, "_load", counted)
    monkeypatch.chdir(generated.parent)
    one = build(Paths.resolve(data=generated, store=tmp_path / "one"), incremental=False)
    assert len(pieces) == 1
    total = pieces.pop()
    monkeypatch.setattr(B, "LOAD_PIECE_BYTES", 64 << 10)
    many = build(Paths.resolve(data=generated, store=tmp_path / "many"), incremental=False)
    assert len(pieces) >= 10 and all(n >= 64 << 10 for n in sorted(pieces)[1:])
    assert sum(pieces) == total
    assert quads(many.version) == quads(one.version)
    assert many.counts == one.counts
    assert many.checked.report.to_text() == one.checked.report.to_text()


def test_the_pieces_of_a_load_run_two_at_a_time_and_each_byte_once():
    import threading

    from llmkg.build.pipeline import _ParallelLoad

    class Db:
        def __init__(self):
            self.lock = threading.Lock()
            self.both = threading.Event()
            self.active = self.most = 0
            self.got: list[bytes] = []

        def bulk_load(self, data, format, lenient):
            with self.lock:
                self.active += 1
                self.most = max(self.most, self.active)
                if self.active == 2:
                    self.both.set()
            self.both.wait(10)   # the first piece waits for the second: they overlap
            with self.lock:
                self.active -= 1
                self.got.append(data)

    db = Db()
    lines = [b"<urn:x:s%d> <urn:x:p> <urn:x:o> <urn:x:g> .\n" % i for i in range(2000)]
    loader = _ParallelLoad(db, size=4096)
    for line in lines:
        loader.add(line)
    loader.finish()
    loader.close()
    assert db.both.is_set() and db.most == 2
    assert sorted(line for piece in db.got for line in piece.splitlines(keepends=True)) == sorted(lines)
    assert all(len(piece) >= 4096 for piece in sorted(db.got, key=len)[1:])


def test_a_failed_piece_of_the_load_leaves_the_store_as_it_was(generated, tmp_path, monkeypatch):
    import errno

    import llmkg.build.pipeline as B
    from llmkg.errors import StoreError
    from llmkg.graph.store import current_version

    monkeypatch.chdir(generated.parent)
    paths = Paths.resolve(data=generated, store=tmp_path / "store")
    first = build(paths)
    before = sorted(str(p.relative_to(paths.store)) for p in Path(paths.store).rglob("*"))
    monkeypatch.setattr(B, "LOAD_PIECE_BYTES", 64 << 10)
    load, calls = B._ParallelLoad._load, []

    def failing(self, piece):
        calls.append(len(piece))
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return load(self, piece)

    monkeypatch.setattr(B._ParallelLoad, "_load", failing)
    with pytest.raises(StoreError) as exc:
        build(paths, incremental=False)
    assert str(exc.value) == f"the disk is full; the store at {paths.store} was left as it was"
    assert len(calls) >= 3
    assert sorted(str(p.relative_to(paths.store)) for p in Path(paths.store).rglob("*")) == before
    assert current_version(paths.store).id == first.version.id


@pytest.mark.parametrize("which", ["shipped", "generated"])
def test_text_mapping_equals_the_object_mapping(which, generated):
    """The build writes N-Quads text (mapping.TextMapper): the same quads, record by record,
    as the pyoxigraph objects of mapping.Mapper."""
    from pyoxigraph import RdfFormat, parse

    from llmkg.graph.mapping import Mapper, TextMapper
    from llmkg.records.read import load_records
    from llmkg.records.vocabularies import load_vocabularies

    data = ROOT / "data" if which == "shipped" else generated
    rs = load_records(data)
    voc = load_vocabularies(data)
    for rec in rs.records:
        a, b = Mapper(voc), TextMapper(voc)
        a.record(rec)
        b.record(rec)
        assert len(a.quads) == len(b.quads)
        assert sorted(map(str, a.quads)) == sorted(map(str, parse(b.nquads(), format=RdfFormat.N_QUADS))), rec.file


# --- the build's YAML reader is records.parse_yaml, faster ---------------------------------------

TRICKY_YAML = [
    "id: x\nname: plain value\n",
    "id: x\nnote: a long plain value\n  continued here\n\n  after a blank line\nname: y\n",
    "id: x\nnote: 'single, with '' quote'\nname: \"double\"  # comment\n",
    "id: x\nnote: 'quoted over\n  two lines, it''s folded'\n",
    "id: x\nlist: [a, 'b, c', \"d\", ~, '']\nempty:\nnull: null\n",
    "id: x\nsources:\n  a:\n    k: v\n    seq:\n    - one\n    - two\n  b: {}\n",
    "# comment\nid: x\nsources:\n  a:\n    k: v  # trailing\n    # own line\n    j: w\n",
    "id: x\nsections:\n- title: T\n  papers:\n  - paper: p\n    label: L\n  - paper: q\n",
    "id: x\nbad: a: b\n", "id: x\nid: y\n", "id: x\n\tname: tab\n", "id: &a x\n", "id: x\nb: |\n  block\n",
    "---\nid: x\n", "id: x\nk: v\n  : odd\n", "id: x\nk: 'open\n", "id: x\nk: [a, [b]]\n", "- a\n- b\n",
    "id: x\nk: v\n# end\n", "id: x\nk: -5\nj: - 5\n", "id: x\nk: #not a value\n", "id: x\nk: a#b\n",
    "id: x\nk:\n  - a\n  -\n", "id: x\nk: 2023-01-01\nj: yes\nm: 0x1F\n", "id: x\nk: caf\u00e9 \u2014 ok\n",
    # keys as the key pattern reads them, and characters PyYAML refuses or reads otherwise
    "id: x\na:b: c\n", "id: x\na::\n", "id: x\n-k: v\n", "id: x\n- k: v\n", "id: x\n-#k: v\n",
    "id: x\nk  : v\n", "id: x\nk:   spaced\n", "id: x\nk#: v\n", "id: x\n?k: v\n", "id: x\nk: v\r\n",
    "id: x\nk: a\x7fb\n", "id: x\nk: a\x00b\n", "id: x\nk: a\x1bb\n", "id: x\nk: a\x85b\n",
    "id: x\nk: a\u2028b\n", "\ufeffid: x\n", "id: x\nk: a\x0cb\n",
]


@pytest.mark.parametrize("text", TRICKY_YAML)
def test_fastyaml_is_pyyaml_or_gives_up(text):
    from llmkg.records.fastyaml import parse
    from llmkg.records.read import parse_yaml_pyyaml as parse_yaml

    nulls = parse_yaml("k: ~\n", "probe")[0] == {"k": None}
    fast = parse(text, nulls)
    if fast is not None:
        data, lines, problems = parse_yaml(text, "f")
        assert problems == [] and fast == (data, lines)


def test_fastyaml_key_is_the_key_pattern():
    """fastyaml._key reads a key as fastyaml.KEY_PATTERN does, on every string of up to
    four characters from an alphabet of the characters that matter, and on longer ones."""
    import itertools
    import random

    from llmkg.records.fastyaml import KEY_PATTERN, _key

    def pattern(s):
        m = KEY_PATTERN.match(s)
        return None if m is None else (m.group(1), m.end())

    alphabet = "a-: #'\t?\u00a0"
    cases = ["".join(t) for n in range(1, 5) for t in itertools.product(alphabet, repeat=n)]
    rnd = random.Random(7)
    cases += ["".join(rnd.choice(alphabet + "bc:/.") for _ in range(rnd.randrange(5, 30))) for _ in range(20000)]
    cases += ["name: GPT-3", "number of parameters: 175B", "url: https://x.org/a: b", "k:", "- k: v",
              "-k: v", "--: x", "k: #c", "a b c:  d"]
    for s in cases:
        assert _key(s) == pattern(s), repr(s)


def test_fastyaml_on_every_record_file(generated):
    from llmkg.records.fastyaml import parse
    from llmkg.records.read import parse_yaml_pyyaml as parse_yaml

    files = sorted((ROOT / "data").glob("*/*.yaml")) + sorted(generated.glob("*/*.yaml"))
    nulls = parse_yaml("k: ~\n", "probe")[0] == {"k": None}
    read = 0
    for f in files:
        text = f.read_text(encoding="utf-8")
        fast = parse(text, nulls)
        if fast is not None:
            read += 1
            data, lines, problems = parse_yaml(text, str(f))
            assert fast == (data, lines), f
    assert read > 0.9 * len(files)


def test_a_resolution_added_changed_and_removed(work):
    """A curated resolution takes the statements it supersedes out of the default graph, and
    putting it back or changing it puts them back: each step equals a full build."""
    from pyoxigraph import Literal

    build(Paths.resolve(data=work / "data", store=work / "store"))
    f = next(p for p in models(work) if re.search(r"^    number of parameters: \S", p.read_text(encoding="utf-8"), re.M)
             and "curated:" not in p.read_text(encoding="utf-8")
             and "maximum number of parameters" not in p.read_text(encoding="utf-8"))
    original = f.read_text(encoding="utf-8")
    f.write_text(original + "curated:\n  number of parameters: {value: 123B, reason: a test}\n",
                 encoding="utf-8")
    inc = rebuild_and_compare(work)
    st = Store.read_only(str(inc.version.db))
    rid = f.stem
    model = NamedNode(f"https://w3id.org/llmkg/resource/model/{rid}")
    counts = [q.object for q in st.quads_for_pattern(
        model, NamedNode("https://w3id.org/llmkg/ontology#maximumParameterCount"), None, DefaultGraph())]
    assert counts == [Literal("123000000000", datatype=NamedNode("http://www.w3.org/2001/XMLSchema#integer"))]
    del st
    f.write_text(original + "curated:\n  number of parameters: {value: 7B, reason: another test}\n",
                 encoding="utf-8")
    rebuild_and_compare(work)
    f.write_text(original, encoding="utf-8")
    rebuild_and_compare(work)


def test_an_edit_that_keeps_the_size_and_the_mtime_is_seen(work):
    """An edit of the same length whose mtime is put back (touch -d, a copy keeping times)
    is read again: the stamp holds the change time and the inode too."""
    build(Paths.resolve(data=work / "data", store=work / "store"))
    f = first_with(work, "date created:")
    st = f.stat()
    text = f.read_text(encoding="utf-8")
    m = re.search(r"date created: '?(?:[A-Z][a-z]+\.? )?(\d{4})", text)
    year = m.group(1)
    f.write_text(text.replace(m.group(0), m.group(0).replace(year, str(int(year) - 1)), 1), encoding="utf-8")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert f.stat().st_size == st.st_size and f.stat().st_mtime_ns == st.st_mtime_ns
    inc = rebuild_and_compare(work)
    assert inc.checked.timings["changed files"] == 1
