"""The three curated reading lists (seeds 001-003) and the paper records they reference.

Counts were checked by hand against the seed documents:
  ai-practitioners-guide     15 entries in 5 sections (4 + 3 + 3 + 4 + 1)
  noteworthy-ai-papers-2023  10 numbered entries, one section
  llm-paper-club             51 entries, one section
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
sys.path.insert(0, str(ROOT / "src"))
from llmkg.records.values import paper_id  # noqa: E402

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

# list id -> [(section title, number of entries)], in order
EXPECTED = {
    "ai-practitioners-guide": [
        ("A Trajectory of Innovation: From Translation Research to Transformers", 4),
        ("The Rise of Pre-training and Fine-tuning", 3),
        ("Scaling Up: The Era of Massive Models", 3),
        ("Addressing Limitations: Grounding, Safety, and Efficiency", 4),
        ("GPT-4 and Beyond", 1),
    ],
    "noteworthy-ai-papers-2023": [("Papers", 10)],
    "llm-paper-club": [("Papers", 51)],
}
TOTALS = {"ai-practitioners-guide": 15, "noteworthy-ai-papers-2023": 10, "llm-paper-club": 51}

ENTRY_KEYS = {"paper", "label", "note"}
SECTION_KEYS = {"title", "note", "papers"}
SOURCE_KEYS = {"id", "name", "aliases", "see also", "note", "sources", "title", "author", "url",
               "license", "attribution", "citation", "retrieved", "file", "doi"}
PAPER_BLOCK_KEYS = {"title", "authors", "organization", "year", "month", "venue", "url", "note"}


def load(path: Path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def reading_list(list_id: str) -> dict:
    return load(DATA / "reading-lists" / f"{list_id}.yaml")


def entries(rl: dict) -> list[dict]:
    return [e for sec in rl["sections"] for e in sec["papers"]]


def paper(pid: str) -> dict:
    return load(DATA / "papers" / f"{pid}.yaml")


LISTS = sorted(EXPECTED)


@pytest.mark.parametrize("list_id", LISTS)
def test_list_and_source_files(list_id):
    rl = reading_list(list_id)
    assert rl["id"] == list_id
    src = load(DATA / "sources" / f"{rl['source']}.yaml")
    assert src["id"] == rl["source"]
    assert set(src) <= SOURCE_KEYS
    assert src["retrieved"] == "2026-11-23"
    assert src["file"].startswith("../shared/seeds/")
    assert "license" not in src  # none of the three texts states one
    assert "not stated" in src["attribution"]


@pytest.mark.parametrize("list_id", LISTS)
def test_sections_and_counts(list_id):
    rl = reading_list(list_id)
    got = [(sec["title"], len(sec["papers"])) for sec in rl["sections"]]
    assert got == EXPECTED[list_id]
    assert len(entries(rl)) == TOTALS[list_id]
    for sec in rl["sections"]:
        assert set(sec) <= SECTION_KEYS


@pytest.mark.parametrize("list_id", LISTS)
def test_entries_reference_papers_with_a_block_for_the_source(list_id):
    rl = reading_list(list_id)
    src = rl["source"]
    seen = set()
    for e in entries(rl):
        assert set(e) <= ENTRY_KEYS, e
        assert e["label"].strip()
        assert len(e.get("note") or "") <= 210, e
        pid = e["paper"]
        assert SLUG.match(pid), pid
        assert pid not in seen, f"{pid} twice in {list_id}"
        seen.add(pid)
        path = DATA / "papers" / f"{pid}.yaml"
        assert path.exists(), f"{list_id}: missing paper file {path.name}"
        p = load(path)
        assert p["id"] == pid
        assert p.get("title")
        block = (p.get("sources") or {}).get(src)
        assert isinstance(block, dict), f"{pid}: no sources.{src} block"
        assert block.get("title"), f"{pid}: sources.{src} has no title"
        assert set(block) <= PAPER_BLOCK_KEYS, (pid, block)
        for org in block.get("organization") or []:
            assert (DATA / "organizations" / f"{org}.yaml").exists(), org


def test_no_duplicate_papers_among_referenced():
    def norm(t):
        return re.sub(r"[^a-z0-9]", "", str(t).lower())

    titles = {}
    arxiv = {}
    for list_id in LISTS:
        for e in entries(reading_list(list_id)):
            p = paper(e["paper"])
            titles.setdefault(norm(p["title"]), set()).add(p["id"])
            if p.get("arxiv"):
                arxiv.setdefault(str(p["arxiv"]), set()).add(p["id"])
    assert not {t: ids for t, ids in titles.items() if len(ids) > 1}
    assert not {a: ids for a, ids in arxiv.items() if len(ids) > 1}


def test_paper_ids_are_title_slugs():
    assert paper_id("Attention Is All You Need") == "attention-is-all-you-need"
    assert paper_id("Improving Language Understanding by Generative Pre-Training") == \
        "improving-language-understanding-by-generative-pre-training"


# --- sample entries, exact -----------------------------------------------------------------
def test_first_entries():
    first = {lid: entries(reading_list(lid))[0] for lid in LISTS}
    assert first["ai-practitioners-guide"] == {
        "paper": paper_id("Neural Machine Translation by Jointly Learning to Align and Translate"),
        "label": "Early NMT and Attention (Bahdanau et al., 2015)",
        "note": "the attention mechanism was revolutionary. It allowed the model to dynamically "
                "focus on different parts of the input sentence when generating the output",
    }
    assert first["noteworthy-ai-papers-2023"]["paper"] == paper_id(
        "Pythia: A Suite for Analyzing Large Language Models Across Training and Scaling")
    assert first["noteworthy-ai-papers-2023"]["label"] == \
        "Pythia — Insights from Large-Scale Training Runs"
    assert first["llm-paper-club"]["paper"] == "attention-is-all-you-need"
    assert first["llm-paper-club"]["label"] == "Attention Is All You Need"
    assert first["llm-paper-club"]["note"].startswith("Query, Key, and Value are all you need")


def test_last_entries():
    last = {lid: entries(reading_list(lid))[-1] for lid in LISTS}
    assert last["ai-practitioners-guide"]["paper"] == "gpt-4-technical-report"
    assert last["ai-practitioners-guide"]["label"] == "GPT-4 (OpenAI, 2023)"
    assert last["noteworthy-ai-papers-2023"]["paper"] == paper_id(
        "Align your Latents: High-Resolution Video Synthesis with Latent Diffusion Models")
    assert last["llm-paper-club"]["paper"] == paper_id(
        "Robust Speech Recognition via Large-Scale Weak Supervision")
    assert last["llm-paper-club"]["label"] == \
        "Whisper: Robust Speech Recognition via Large-Scale Weak Supervision"


def test_statement_blocks():
    gpt1 = paper(paper_id("Improving Language Understanding by Generative Pre-Training"))
    assert gpt1["title"] == "Improving Language Understanding by Generative Pre-Training"
    assert gpt1["sources"]["ai-practitioners-guide"] == {
        "title": "GPT-1", "authors": ["Radford et al."], "year": 2018}
    assert gpt1["sources"]["llm-paper-club"]["title"] == \
        "GPT: Improving Language Understanding by Generative Pre-Training"

    gpt4 = paper("gpt-4-technical-report")
    assert gpt4["title"] == "GPT-4 Technical Report"
    assert gpt4["sources"]["ai-practitioners-guide"] == {
        "title": "GPT-4", "year": 2023, "organization": ["openai"]}

    # a paper named by all... two lists is one record with both blocks
    llama2 = paper(paper_id("Llama 2: Open Foundation and Fine-Tuned Chat Models"))
    assert {"noteworthy-ai-papers-2023", "llm-paper-club"} <= set(llama2["sources"])
    assert llama2["sources"]["noteworthy-ai-papers-2023"]["organization"] == ["meta"]

    mum = paper(entries(reading_list("ai-practitioners-guide"))[9]["paper"])
    assert mum["sources"]["ai-practitioners-guide"]["title"] == "MuM"
    assert mum["sources"]["ai-practitioners-guide"]["organization"] == ["google"]


def test_shared_papers_have_one_record():
    """Papers named by more than one of the three lists carry one block per list."""
    shared = {
        "attention-is-all-you-need": {"ai-practitioners-guide", "llm-paper-club"},
        paper_id("Language Models are Few-Shot Learners"): {"ai-practitioners-guide",
                                                            "llm-paper-club"},
        paper_id("Pythia: A Suite for Analyzing Large Language Models Across Training and "
                 "Scaling"): {"noteworthy-ai-papers-2023", "llm-paper-club"},
        paper_id("QLoRA: Efficient Finetuning of Quantized LLMs"): {
            "noteworthy-ai-papers-2023", "llm-paper-club"},
        paper_id("Direct Preference Optimization: Your Language Model is Secretly a Reward "
                 "Model"): {"noteworthy-ai-papers-2023", "llm-paper-club"},
    }
    referenced = {lid: {e["paper"] for e in entries(reading_list(lid))} for lid in LISTS}
    for pid, lists in shared.items():
        for lid in lists:
            assert pid in referenced[lid], (pid, lid)
            assert lid in paper(pid)["sources"]
