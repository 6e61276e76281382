"""llmkg build / validate end to end: bad inputs with exact messages and exit codes, the store
left intact by failed builds, and the counts of the shipped data."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from llmkg.cli import main
from llmkg.store import open_read_only

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
GPT1_PAPER = "improving-language-understanding-by-generative-pre-training"


@pytest.fixture
def small(tmp_path, monkeypatch):
    """A small, valid data dir: the vocabularies, one source, OpenAI, GPT-1 and its paper."""
    monkeypatch.chdir(tmp_path)
    d = tmp_path / "data"
    shutil.copytree(DATA / "vocabularies", d / "vocabularies")
    for rel in ("sources/awesome-llms.yaml", "organizations/openai.yaml",
                f"papers/{GPT1_PAPER}.yaml"):
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DATA / rel, d / rel)
    (d / "models").mkdir()
    (d / "models" / "gpt-1.yaml").write_text(textwrap.dedent(f"""\
        id: gpt-1
        name: GPT-1
        sources:
          awesome-llms:
            name: GPT-1
            paper: {GPT1_PAPER}
            orkg contribution: R370538
            model family: GPT
            date created: '2018-06-01'
            organization: openai
            pretraining architecture: Decoder
            number of parameters: 117M
            maximum number of parameters (in million): '117'
            license: closed source
            research problem: Large Language Models (LLMs)
        """), encoding="utf-8")
    # the paper file carries blocks of sources this small dir does not have: keep only ours
    paper = d / "papers" / f"{GPT1_PAPER}.yaml"
    paper.write_text(textwrap.dedent(f"""\
        id: {GPT1_PAPER}
        title: Improving Language Understanding by Generative Pre-Training
        orkg paper: R370535
        sources:
          awesome-llms:
            title: Improving Language Understanding by Generative Pre-Training
            year: '2018'
        """), encoding="utf-8")
    return d


def run(*args):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_small_data_conforms_and_builds(small):
    code, out = run("validate", "--data", "data")
    assert (code, out) == (0, "conforms: 0 violations, 0 warnings, 0 infos\n")
    code, out = run("build", "--data", "data", "--store", "store")
    assert code == 0, out
    assert out.startswith("built ")
    assert "1 models, 1 papers, 1 organizations, 0 reading lists, 1 sources;" in out


BAD_INPUTS = [
    # (file under data/, old text, new text, the one report line expected)
    ("models/gpt-1.yaml", "name: GPT-1\nsources:", 'name: "GPT-1\nsources:',
     "data/models/gpt-1.yaml:15: Violation: YAML syntax error: while scanning a quoted scalar, "
     "found unexpected end of stream"),
    ("models/gpt-1.yaml", "date created: '2018-06-01'", "date created: '2018-02-30'",
     "data/models/gpt-1.yaml:10: Violation: date created: DATE_MESSAGE (value: '2018-02-30')"),
    ("models/gpt-1.yaml", "    model family: GPT", "    model famly: GPT",
     "data/models/gpt-1.yaml:9: Violation: model famly: unknown key in the awesome-llms "
     "statements; did you mean 'model family'?"),
    ("models/gpt-1.yaml", "number of parameters: 117M", "number of parameters: -117M",
     "data/models/gpt-1.yaml:13: Violation: number of parameters: NEGATIVE_MESSAGE"),
    ("models/gpt-1.yaml", "organization: openai", "organization: open-ai",
     "data/models/gpt-1.yaml:11: Violation: organization: DANGLING_MESSAGE (value: 'open-ai')"),
]
