"""Property-based tests (hypothesis) of the value parsers, the record reader and the canned
queries' parameter binding: whatever the text, a value or a clear problem, never a
traceback. The examples hypothesis found once are kept as @example seeds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from llmkg import query as Q  # noqa: E402
from llmkg.records import values  # noqa: E402
from llmkg.errors import QueryError  # noqa: E402
from llmkg.records.read import Record, check_record, parse_yaml  # noqa: E402
from llmkg.records.vocabularies import load_vocabularies  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
VOCAB = load_vocabularies(ROOT / "data")
REGISTRY = Q.load_registry(ROOT / "queries")
SETTINGS = settings(max_examples=400, deadline=None, derandomize=True)

# text that looks like what curators write: digits, units, separators, month names, noise
_PIECES = st.sampled_from(["1", "17", "0", "2023", "-", ".", ",", " ", "M", "B", "T", "k", "K", "e", "9" * 40,
                           "Mar.", "June", "2023-02-30", "Base = ", "Large", "and", "(", ")", "/", "∞", "١٢٣",
                           "billion", ":", "~", "x", "\u00a0", "\t"])
TEXT = st.one_of(st.text(max_size=60), st.lists(_PIECES, max_size=12).map("".join))
DATE_FORMS = re.compile(r"-?[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?")


@SETTINGS
@given(TEXT)
@example("9" * 5000)
@example("2023-02-30")
@example("٢٠٢٣-٠١-٠١")
def test_dates(text):
    d = values.parse_date(text)
    assert not (d.ok and re.search(r"(?![0-9])\d", text))   # other digits than ASCII's: unreadable
    if d.ok:
        assert DATE_FORMS.fullmatch(d.value), d
        assert d.datatype in ("date", "gYearMonth", "gYear")


@SETTINGS
@given(TEXT)
@example("9" * 5000)
@example("1e400")
@example("∞")
def test_counts_and_numbers(text):
    p = values.parse_params(text)
    if p.maximum is not None:
        assert p.maximum == max(v.count for v in p.variants)
        assert all(isinstance(v.count, int) for v in p.variants)
    for parse in (values.parse_integer, values.parse_millions):
        n = parse(text)
        assert n is None or (isinstance(n, int) and len(str(abs(n))) < 60)
    n = values.parse_number(text)
    assert n is None or len(str(n)) < 80
    if re.search(r"(?![0-9])\d", text):   # digits other than ASCII's are no number
        assert p.maximum is None and values.parse_integer(text) is None and n is None


@SETTINGS
@given(st.integers(min_value=0, max_value=10**20))
def test_whole_numbers_read_back(n):
    assert values.parse_integer(str(n)) == n
    assert values.parse_integer(f"{n:,}") == n
    assert values.parse_number(str(n)) == n
    assert values.parse_params(f"{n}").maximum in (n, None)


@SETTINGS
@given(TEXT)
@example("Open, MIT license")
@example("")
def test_vocabulary_lookups(text):
    for scheme in ("licenses", "architectures", "corpora"):
        for c in VOCAB.lookup(scheme, text):
            assert c.iri.startswith("http")


YAML_TEXT = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(["id: x\n", "name: X\n", "sources:\n", "  awesome-llms:\n", "    name: a\n",
                              "- ", "  ", ": ", "&a ", "*a ", "!!python/name:os.system ", "[", "]", "{", "}",
                              "'", '"', "#", "\n", "\t", "? ", "--- ", "...", "curated:\n",
                              "  number of parameters: {value: 1.7T, reason: r}\n", "|\n", ">\n"]),
             max_size=30).map("".join))


@SETTINGS
@given(YAML_TEXT)
@example("a: &a [*a]")
@example("id: x\nname: !!python/object/apply:os.system ['x']\n")
def test_the_record_reader(text):
    data, lines, problems = parse_yaml(text, "data/models/x.yaml")
    assert all(p.file == "data/models/x.yaml" and p.line >= 1 for p in problems)
    if isinstance(data, dict):
        for kind in ("model", "paper", "organization", "reading-list", "source"):
            out = []
            check_record(Record(kind, "x", "data/models/x.yaml", data, lines), out, {"awesome-llms"})
            assert all(p.severity in ("Violation", "Warning", "Info") and p.line >= 1 for p in out)


PARAM_VALUES = st.one_of(TEXT, st.sampled_from(["10B", "-1", "9" * 400, "2023", "true", "maybe",
                                                "<http://x>", "res:model/gpt-3", "model:gpt-3", "1e3",
                                                "https://w3id.org/llmkg/resource/model/gpt-3", "'", '"']))


@SETTINGS
@given(st.sampled_from(sorted(n for n, q in REGISTRY.items() if q.params)), st.data())
def test_parameter_binding(name, data):
    """Every canned query's parameters, bound from any text: terms, or a QueryError that
    names the parameter."""
    q = REGISTRY[name]
    raw = {p.name: data.draw(PARAM_VALUES, label=p.name) for p in q.params}
    try:
        subs = Q.bind(q, raw)
    except QueryError as exc:
        assert any(p.name in str(exc) for p in q.params), str(exc)
    else:
        assert {v.value for v in subs} <= {p.name for p in q.params}


# --- the awesome-list importer, fuzzed from the fixtures in the repository ----------------------

SEEDS = sorted((ROOT / "tests" / "fixtures" / "import").glob("*.md"))
_NOISE = st.sampled_from(["", "- ", "  ", "**", "[", "](", ")", "|", "`", "```", "#", "## ", "Params: ",
                          "Field: ", "yaml", "number of parameters: ", "9" * 50, "\t", "&", "<", ">", ":",
                          "  - Field: Language\n", "\u0000", "\r"])


@st.composite
def mutated(draw):
    lines = SEEDS[draw(st.integers(0, len(SEEDS) - 1))].read_text(encoding="utf-8").splitlines()
    for _ in range(draw(st.integers(0, 8))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["drop", "dup", "noise", "cut", "swap"]))
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "noise":
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + draw(_NOISE) + lines[i][at:]
        elif op == "cut":
            lines[i] = lines[i][:draw(st.integers(0, len(lines[i])))]
        else:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines) + "\n"


@settings(max_examples=150, deadline=None, derandomize=True)
@given(mutated())
def test_the_awesome_list_importer(tmp_path_factory, text):
    from llmkg.errors import LlmkgError
    from llmkg.importers.awesome_md import import_awesome_md, parse_awesome_md

    parsed = parse_awesome_md(text)
    assert all(getattr(p, "line", 1) >= 1 for p in getattr(parsed, "problems", []))
    d = tmp_path_factory.mktemp("fuzz")
    (d / "list.md").write_text(text, encoding="utf-8")
    try:
        report = import_awesome_md(d / "list.md", d / "data", source_id="awesome-llms", dry_run=True)
    except LlmkgError as exc:
        assert str(exc)
    else:
        assert report is not None
