"""The YAML layer: every problem with its file, line, field and exact message."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from llmkg.records.read import load_records


def write(root: Path, rel: str, text: str) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return p


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "data"
    write(root, "sources/awesome-llms.yaml", """
        id: awesome-llms
        title: awesome-LLMs
    """)
    write(root, "organizations/openai.yaml", """
        id: openai
        name: OpenAI
    """)
    return root


def messages(rs):
    return [str(p) for p in sorted(rs.problems)]


def test_a_good_record_has_no_problems_and_keeps_key_lines(data):
    write(data, "models/gpt-3.yaml", """
        # a comment
        id: gpt-3
        name: GPT-3
        sources:
          awesome-llms:
            date created: 2020-05-01
            organization: openai
            research problem:
              - Large Language Models (LLMs)
              - transformer model
    """)
    rs = load_records(data)
    assert messages(rs) == []
    rec = rs.index()[("model", "gpt-3")]
    assert rec.data["sources"]["awesome-llms"]["date created"] == "2020-05-01"  # text, not a date
    assert rec.line("sources", "awesome-llms", "date created") == 6
    assert rec.line("sources", "awesome-llms", "research problem", 1) == 10
    assert rec.file == "data/models/gpt-3.yaml"


def test_broken_yaml_is_reported_with_its_line(data):
    write(data, "models/bad.yaml", """
        id: bad
        name: "unterminated
        sources: {}
    """)
    assert messages(load_records(data)) == [
        "data/models/bad.yaml:2: Violation: YAML syntax error: while scanning a quoted scalar, "
        "found unexpected end of stream"]


def test_unknown_key_suggests_the_close_one(data):
    write(data, "models/gpt-3.yaml", """
        id: gpt-3
        name: GPT-3
        sources:
          awesome-llms:
            modle family: GPT
            colour: blue
    """)
    assert messages(load_records(data)) == [
        "data/models/gpt-3.yaml:5: Violation: modle family: unknown key in the awesome-llms "
        "statements; did you mean 'model family'?",
        "data/models/gpt-3.yaml:6: Violation: colour: unknown key in the awesome-llms statements",
    ]


def test_unknown_top_level_key_and_unknown_source(data):
    write(data, "models/gpt-3.yaml", """
        id: gpt-3
        nme: GPT-3
        sources:
          awesome-llm:
            model family: GPT
    """)
    assert messages(load_records(data)) == [
        "data/models/gpt-3.yaml:2: Violation: nme: unknown key; did you mean 'name'?",
        "data/models/gpt-3.yaml:4: Violation: sources: unknown source 'awesome-llm' "
        "(no data/sources/awesome-llm.yaml); did you mean 'awesome-llms'?",
    ]


def test_wrong_types(data):
    write(data, "models/gpt-3.yaml", """
        id: gpt-3
        name: [GPT, 3]
        sources:
          awesome-llms:
            date created: [2020, 2021]
            organization: {name: OpenAI}
            has source code:
              - [a, b]
            context length: lots
    """)
    assert messages(load_records(data)) == [
        "data/models/gpt-3.yaml:2: Violation: name: expected text, got a list",
        "data/models/gpt-3.yaml:5: Violation: date created: expected a date, got a list",
        "data/models/gpt-3.yaml:6: Violation: organization: expected text or a list of texts, got a mapping",
        "data/models/gpt-3.yaml:8: Violation: has source code: expected text in the list, got a list",
    ]   # ('lots' is no whole number: the shapes say so, once, see test_hostile_files)


def test_duplicate_id_names_both_files(data):
    write(data, "models/gpt-3.yaml", "id: gpt-3\nname: GPT-3\n")
    write(data, "models/gpt-3.yml", "id: gpt-3\nname: GPT 3\n")
    assert messages(load_records(data)) == [
        "data/models/gpt-3.yml:1: Violation: id: duplicate id 'gpt-3' (also in data/models/gpt-3.yaml:1)"]


def test_id_must_be_a_slug_matching_the_file_name(data):
    write(data, "models/gpt-3.yaml", "id: GPT 3\nname: GPT-3\n")
    write(data, "models/gpt-4.yaml", "id: gpt-5\nname: GPT-4\n")
    write(data, "models/gpt-2.yaml", "name: GPT-2\n")
    assert messages(load_records(data)) == [
        "data/models/gpt-2.yaml:1: Violation: id: missing id (expected 'id: gpt-2')",
        "data/models/gpt-3.yaml:1: Violation: id: 'GPT 3' is not a valid id "
        "(lower-case letters, digits and single hyphens)",
        "data/models/gpt-4.yaml:1: Violation: id: id 'gpt-5' does not match the file name 'gpt-4.yaml'",
    ]


def test_duplicate_key_and_non_mapping_file(data):
    write(data, "models/gpt-3.yaml", "id: gpt-3\nname: GPT-3\nname: GPT3\n")
    write(data, "models/list.yaml", "- a\n- b\n")
    write(data, "models/empty.yaml", "")
    assert messages(load_records(data)) == [
        "data/models/empty.yaml:1: Violation: the file is empty",
        "data/models/gpt-3.yaml:3: Violation: name: duplicate key (first on line 2)",
        "data/models/list.yaml:1: Violation: a record must be a mapping of keys, got a list",
    ]


def test_reading_list_sections_are_checked(data):
    write(data, "reading-lists/club.yaml", """
        id: club
        title: Club
        sections:
          - title: Papers
            papers:
              - paper: attention-is-all-you-need
                lable: Attention
              - label: no paper here
    """)
    assert messages(load_records(data)) == [
        "data/reading-lists/club.yaml:7: Violation: lable: unknown key in a reading-list entry; "
        "did you mean 'label'?",
        "data/reading-lists/club.yaml:8: Violation: paper: a reading-list entry needs a paper id",
    ]


def test_missing_data_dir_is_an_error(tmp_path):
    from llmkg.errors import DataError, LlmkgError

    with pytest.raises(LlmkgError, match="no data directory at") as exc:
        load_records(tmp_path / "nope")
    assert not isinstance(exc.value, DataError) and exc.value.exit_code == 2


def test_curated_resolutions_are_checked(data):
    write(data, "models/gpt-4.yaml", """
        id: gpt-4
        name: GPT-4
        sources:
          awesome-llms:
            number of parameters: 170T
        curated:
          number of parameters:
            value: 1.7T
            reason: the other list, and every estimate
            see: https://example.org/evidence
          date created:
            value: 2023-03-14
            reason: "  "
          organisation:
            value: openai
            reason: typo in the key
          license:
            reason: no value
            note: not a field
          context length:
            value: [8k, 32k]
            reason: a list where one number goes
          paper: a text, not a resolution
    """)
    assert messages(load_records(data)) == [
        "data/models/gpt-4.yaml:13: Warning: date created: the resolution of 'date created' gives no reason: "
        "say what the evidence is",
        "data/models/gpt-4.yaml:14: Violation: organisation: unknown key in curated; did you mean 'organization'?",
        "data/models/gpt-4.yaml:17: Violation: license: the resolution of 'license' gives no value",
        "data/models/gpt-4.yaml:19: Violation: note: unknown key in the resolution of 'license'",
        "data/models/gpt-4.yaml:21: Violation: context length: expected a whole number, got a list",
        "data/models/gpt-4.yaml:23: Violation: paper: expected a resolution (value, reason, see), got text",
    ]
