"""Tests of llmkg.importers.awesome_md: parsing both list formats, records, merging writer,
and the committed data/ generated from the two lists in ../shared/sources."""

from __future__ import annotations

import glob
import shutil
from pathlib import Path

import pytest
import yaml

from llmkg.importers.awesome_md import detect_source, import_awesome_md, parse_awesome_md
from llmkg.importers.awesome_sources import (AWESOME_HUGE_MODELS, AWESOME_LLMS, HUGE_MODEL_SECTIONS, _split_items,
                                             _split_orgs)
from llmkg.importers.index import RecordIndex
from llmkg.importers.model import BlockField, ImportRecords, Problem
from llmkg.importers.to_records import build_records
from llmkg.importers.writing import dump_record, write_records
from llmkg.records.schema import BLOCK, FOLDER_KIND, TOP

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"
SHARED = REPO.parent / "shared"
LLMS_MD = SHARED / "sources" / "awesome-llms.README.md"
HUGE_MD = SHARED / "sources" / "awesome-huge-models.README.md"
SEED_004 = sorted(glob.glob(str(SHARED / "seeds" / "004_*.txt")))

needs_sources = pytest.mark.skipif(
    not (LLMS_MD.exists() and HUGE_MD.exists()),
    reason=f"the copies of the lists are not in {SHARED / 'sources'} (the repository's sibling 'shared/')")
needs_seed = pytest.mark.skipif(not SEED_004, reason=f"seed 004 is not in {SHARED / 'seeds'}")

OUR_SOURCES = (AWESOME_LLMS, AWESOME_HUGE_MODELS)
RECORD_FOLDERS = ("models", "papers", "organizations")


def parse_file(path: Path):
    return parse_awesome_md(path.read_text(encoding="utf-8"))


def entry(parsed, name):
    found = [e for e in parsed.entries if e.name == name]
    assert found, f"no entry {name!r}"
    return found[0]


def load(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- small helpers ---------------------------------------------------------------------

def test_split_items_respects_parentheses():
    assert _split_items("De, MoE") == ["De", "MoE"]
    assert _split_items("1T tokens (English, Chinese), more") == ["1T tokens (English, Chinese)", "more"]
    assert _split_items("Apache 2.0, CC BY-SA-3.0") == ["Apache 2.0", "CC BY-SA-3.0"]
    assert _split_items("a,b") == ["a,b"]          # only ", " separates


def test_split_orgs():
    assert _split_orgs("Google, and CMU") == ["Google", "CMU"]
    assert _split_orgs("Facebook, Google, and UC Berkeley") == ["Facebook", "Google", "UC Berkeley"]
    assert _split_orgs("Microsoft, Nvidia") == ["Microsoft", "Nvidia"]
    assert _split_orgs("Large Model Systems Organization") == ["Large Model Systems Organization"]


def test_detect_source():
    assert detect_source("<!-- x -->\n\n# awesome-LLMs [![A](b)](c)\n") == AWESOME_LLMS
    assert detect_source("# awesome-huge-models [![A](b)](c)\n") == AWESOME_HUGE_MODELS
    assert detect_source("# Something else\n") is None


# --- parsing the real lists ------------------------------------------------------------

@needs_sources
def test_parse_gpt1_from_awesome_llms():
    e = entry(parse_file(LLMS_MD), "GPT-1")
    assert (e.line, e.block_line, e.format) == (51, 53, AWESOME_LLMS)
    assert (e.section, e.part) == ("OpenAI", "Organizations")
    assert e.link == "https://orkg.org/paper/R370535/R370538"
    assert (e.orkg_paper, e.orkg_contribution) == ("R370535", "R370538")
    assert e.problems == [] and not e.skipped
    assert e.fields[0] == BlockField(
        "Title", "Improving Language Understanding by Generative Pre-Training", 54, "title")
    assert e.values == {
        "title": "Improving Language Understanding by Generative Pre-Training",
        "model family": "GPT",
        "date created": "2018-06-01",
        "organization": "OpenAI",
        "innovation": (
            "The paper introduces a framework for natural language understanding by first using "
            "generative pre-training on a diverse corpus and then fine-tuning for specific tasks. "
            "This approach improved state-of-the-art results on 9 out of 12 datasets, highlighting "
            "the potential of unsupervised learning combined with discriminative tasks."),
        "pretraining architecture": "Decoder",
        "pretraining task": "Causal language modeling",
        "fine-tuning task": "Supervized discriminative finetuning",
        "training corpus": (
            "BookCorpus, Supervised Finetuning on several task-specific datasets for Natural "
            "Language Inference, Question Answering, Sentence similarity, and Classification."),
        "optimizer": "Adam optimizer",
        "tokenization": "byte pair encoding",
        "number of parameters": "117M",
        "maximum number of parameters (in million)": "117",
        "application": "Text generation, but adaptable to many other NLP tasks when fine tuned.",
        "has source code": ("https://github.com/openai/finetune-transformer-lm, "
                            "https://huggingface.co/docs/transformers/model_doc/openai-gpt"),
        "blog post": (
            "https://medium.com/@hyponymous/paper-summary-improving-language-understanding-by-"
            "generative-pre-training-7b77babd7086, https://www.reddit.com/r/MachineLearning/"
            "comments/n36htr/p_gpt1_annotated_paper_paper_summary/"),
        "license": "closed source",
        "research problem": "Large Language Models (LLMs), transformer model",
    }
    assert list(e.key_lines.values()) == list(range(54, 72))


@needs_sources
def test_parse_gpt4_from_huge_models():
    e = entry(parse_file(HUGE_MD), "GPT-4")
    assert (e.line, e.format, e.section, e.part) == (164, AWESOME_HUGE_MODELS, "Language Model", "Models")
    assert e.organizations == ["OpenAI"]
    assert e.homepage == "https://openai.com/product/gpt-4"
    assert (e.date, e.access, e.release, e.code) == ("Mar. 2023", "closed", None, None)
    assert (e.paper_title, e.paper_venue, e.paper_url, e.paper_line) == (
        "GPT-4 Technical Report", "Preprint", "https://cdn.openai.com/papers/gpt-4.pdf", 165)
    assert e.block_line == 167
    assert e.fields == [
        BlockField("Field", "Language-Vision", 168, "field"),
        BlockField("Params", "1.7T", 169, "number of parameters"),
        BlockField("Architecture", "De, MoE", 170, "architecture"),
    ]
    assert e.problems == []


@needs_sources
def test_parse_vision_entries_from_huge_models():
    parsed = parse_file(HUGE_MD)
    e = entry(parsed, "CogView")              # two org tags, a [</>] code link, no flag
    assert (e.line, e.section) == (901, "Vision Models")
    assert e.organizations == ["BAAI", "Alibaba"]
    assert e.homepage == "https://wudao.aminer.cn/CogView/index.html"
    assert (e.date, e.access, e.release, e.code) == ("May 2021", None, None, "https://github.com/THUDM/CogView")
    assert (e.paper_title, e.paper_venue, e.paper_url) == (
        "CogView: Mastering Text-to-Image Generation via Transformers", "NeurIPS'21",
        "https://arxiv.org/abs/2105.13290")
    assert [(f.key, f.value, f.line, f.norm) for f in e.fields] == [
        ("Field", "Vision-Language", 905, "field"),
        ("Params", "4B", 906, "number of parameters"),
        ("Training Data", "30M text-image pairs", 907, "training data"),
        ("Training petaFLOPs", "27M", 908, "training compute (petaFLOPs)"),
        ("Image Encoder", "VAE", 909, "image encoder"),
        ("Text Encoder & Image Decoder", "GPT2", 910, "text encoder & image decoder"),
    ]
    sd = entry(parsed, "Stable Diffusion")    # [[open]]() without a link
    assert (sd.access, sd.release, sd.homepage, sd.paper_title) == ("open", None, None, None)
    ds = entry(parsed, "DeepSpeech 2")        # title over two lines, block indented 6 spaces
    assert ds.paper_title == "Deep Speech 2: End-to-End Speech Recognition in English and Mandarin"
    assert ds.values == {"field": "Speech", "number of parameters": "300M", "training data": "21,340 hours"}
    gpt = entry(parsed, "GPT")                # single-bracket [open]
    assert (gpt.access, gpt.release, gpt.date) == ("open", None, "June 2018")
    whisper = entry(parsed, "Whisper")        # [[close]](url)
    assert (whisper.access, whisper.release) == ("closed", "https://github.com/openai/whisper")


@needs_sources
def test_key_typos_are_normalized():
    parsed = parse_file(HUGE_MD)
    seen = {(f.key, f.norm) for e in parsed.entries for f in e.fields}
    for typo, ours in [("Obective", "objective"), ("Achitecture", "architecture"),
                       ("Architecutre", "architecture"), ("Generatioon", "generation"),
                       ("Context-Length", "context length"), ("Context", "context length"),
                       ("Training petaFLOPs", "training compute (petaFLOPs)"),
                       ("Instruction-tuned Variants", "instruction-tuned variants")]:
        assert (typo, ours) in seen


@needs_sources
def test_counts():
    llms = parse_file(LLMS_MD)
    models = [e for e in llms.entries if e.part == "Organizations"]
    assert len(models) == 87 and all(e.name and not e.problems for e in models)
    assert sum(1 for e in models if e.orkg_contribution) == 39
    huge = parse_file(HUGE_MD)
    per_section = {s: sum(1 for e in huge.entries if e.section == s) for s in HUGE_MODEL_SECTIONS}
    assert per_section == {"Language Model": 60, "Vision Models": 26, "Reinforcement Learning": 2,
                           "Speech": 5, "Science": 1}
    records = build_records(huge, AWESOME_HUGE_MODELS)
    assert len(records.models) == 93                   # ERNIE-ViLG is listed twice
    assert records.entry_lines["ernie-vilg"] == [752, 828]
    assert [str(p) for p in records.problems] == [
        "line 828: 'ERNIE-ViLG' is listed again (first at line 752); merged into one model with a note"]
    records = build_records(llms, AWESOME_LLMS)
    assert (len(records.models), len(records.papers), records.problems) == (87, 85, [])


# --- the malformed corpus --------------------------------------------------------------

def test_malformed_awesome_llms_corpus():
    parsed = parse_file(FIXTURES / "malformed-llms.md")
    assert [(p.line, p.severity, p.message) for p in parsed.problems] == [
        (18, "error", "not a 'key: value' line in a yaml block: 'This is prose, not YAML.'; entry skipped"),
        (21, "error", "bullet without a model name; entry skipped"),
        (29, "error", "yaml block without a model name (no bullet before it and no 'has model' key; "
                      "truncated section?); skipped"),
        (37, "warning", "unknown key 'foo bar'; ignored"),
        (39, "warning", "duplicate key 'model family' in the yaml block; the first value is kept"),
        (44, "error", "yaml block is not closed before the end of the file (truncated?); entry skipped"),
    ]
    good = entry(parsed, "Good")
    assert good.get("title") == "A Good Paper: With a Colon"     # colons after the key are text
    older = entry(parsed, "Named In Block")                      # no bullet: 'has model' names it
    assert (older.line, older.orkg_paper, older.get("model family")) == (34, None, "T5")
    records = build_records(parsed, AWESOME_LLMS)
    assert sorted(records.models) == ["good", "named-in-block"]
    assert records.models["good"]["sources"][AWESOME_LLMS] == {
        "name": "Good", "section": "OpenAI", "paper": "a-good-paper-with-a-colon",
        "orkg contribution": "R2", "organization": "openai", "number of parameters": "1B"}


def test_malformed_huge_models_corpus():
    parsed = parse_file(FIXTURES / "malformed-huge.md")
    assert [str(p) for p in parsed.problems] == [
        "line 15: unknown key 'Colour'; ignored",
        "line 18: bullet without a model name; entry skipped",
        "line 24: bullet without a model name; entry skipped",
        "line 28: yaml block is not closed before line 31 (truncated?); entry skipped",
        "line 33: unrecognized text on the bullet line: 'extra words'",
        "line 36: not a 'key: value' line in a yaml block: '- Field: Vision'; entry skipped",
    ]
    records = build_records(parsed, AWESOME_HUGE_MODELS)
    assert sorted(records.models) == ["fine", "good"]            # NotAModel: a framework section
    assert records.models["good"]["sources"][AWESOME_HUGE_MODELS] == {
        "name": "Good", "section": "Language Model", "paper": "a-good-paper",
        "date created": "Mar. 2023", "organization": ["meta", "nvidia"],
        "number of parameters": "7B", "field": "Language", "access": "open",
        "release": "https://example.org/weights", "homepage": "https://example.org/good",
        "objective": ["MLM", "NSP"], "context length": "2048"}
    assert records.papers["a-good-paper"]["arxiv"] == "2301.00001"
    fine = records.models["fine"]["sources"][AWESOME_HUGE_MODELS]
    assert fine["field"] == ["Image", "Video", "Language", "Speech"]
    assert fine["generation"] == ["Image", "Video"]
    assert fine["license"] == ["Apache 2.0", "CC BY-SA-3.0"]
    assert fine["architecture"] == ["Transformer", "dVAE + De"]
    assert fine["training data"] == "1T tokens (English, Chinese)"   # never split
    assert fine["has source code"] == "https://example.org/code"
    assert records.papers["split-title-over-two-lines"]["sources"][AWESOME_HUGE_MODELS] == {
        "title": "Split Title Over Two Lines", "venue": "NeurIPS'21", "url": "https://example.org/paper"}


def test_parser_never_raises_on_garbage():
    for text in ["", "```yaml", "- ", "- **", "- [[", "#", "```yaml\n: :\n```", "\t- x\n```\n",
                 "- **A** [[B]](", "- [x](https://orkg.org/paper/R1/R2)\n  ```yaml\n  a: b\n"]:
        parsed = parse_awesome_md(text)
        build_records(parsed, AWESOME_LLMS)
        build_records(parsed, AWESOME_HUGE_MODELS)


@needs_seed
def test_seed_004_spliced_and_truncated():
    parsed = parse_file(Path(SEED_004[0]))
    assert parsed.source_id == AWESOME_LLMS
    gpt1 = entry(parsed, "GPT-1")               # ORKG block without a link: named by 'has model'
    assert (gpt1.line, gpt1.block_line, gpt1.orkg_paper, gpt1.section) == (51, 51, None, "OpenAI")
    assert gpt1.get("title") == "Improving Language Understanding by Generative Pre-Training"
    nameless = [e for e in parsed.entries if e.name is None]   # blocks without 'has model'
    assert [(e.line, e.section, e.format, e.get("number of parameters")) for e in nameless] == [
        (258, "Google", AWESOME_HUGE_MODELS, "40B"), (268, "Google, and CMU", AWESOME_HUGE_MODELS, "13B, 7B, 3B")]
    records = build_records(parsed, AWESOME_LLMS)
    assert list(records.models) == ["gpt-1", "gpt-2", "gpt-3", "dall-e", "clip", "glide",
                                    "instructgpt", "dall-e-2", "chatgpt", "gpt-4"]
    assert "orkg contribution" not in records.models["gpt-1"]["sources"][AWESOME_LLMS]
    assert [str(p) for p in records.problems] == [
        "line 258: yaml block without a model name (no bullet before it and no 'has model' key; "
        "truncated section?); skipped",
        "line 268: yaml block without a model name (no bullet before it and no 'has model' key; "
        "truncated section?); skipped",
        "line 276: 90 entries in the awesome-huge-models format, not awesome-llms (lines 276-1225, "
        "'Redpajama-INCITE' to 'DeepSpeech 2') (spliced file?); skipped",
    ]
    # read as an awesome-huge-models list: the Language Model heading is missing
    records = build_records(parsed, AWESOME_HUGE_MODELS)
    assert len(records.models) == 32
    assert [str(p) for p in records.problems] == [
        "line 51: 10 entries in the awesome-llms format, not awesome-huge-models (lines 51-237, "
        "'GPT-1' to 'GPT-4') (spliced file?); skipped",
        "line 258: yaml block without a model name (no bullet before it and no 'has model' key; "
        "truncated section?); skipped",
        "line 268: yaml block without a model name (no bullet before it and no 'has model' key; "
        "truncated section?); skipped",
        "line 276: 57 entries under heading 'Google, and CMU' (lines 276-875, 'Redpajama-INCITE' to "
        "'GPT') are outside the model sections of an awesome-huge-models list; skipped",
        "line 1006: 'ERNIE-ViLG' is listed again (first at line 930); merged into one model with a note",
    ]


@needs_seed
def test_seed_004_import_reports_problems(tmp_path):
    report = import_awesome_md(SEED_004[0], tmp_path / "data")
    assert report.source_id == AWESOME_LLMS
    assert len(report.errors) == 3 and report.counts["model"] == 10
    assert "models/gpt-4.yaml" in report.created


# --- records, writer, merging ------------------------------------------------------------

def _fixture_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    (data / "models").mkdir(parents=True)
    # the alias table: huge-models calls GPT-1 "GPT"
    (data / "models" / "gpt-1.yaml").write_text(
        "# curated\nid: gpt-1\nname: GPT-1\naliases: [GPT]\n", encoding="utf-8")
    return data


def _import_fixtures(data: Path, **kw):
    return (import_awesome_md(FIXTURES / "small-llms.md", data, **kw),
            import_awesome_md(FIXTURES / "small-huge.md", data, **kw))


def test_fixture_import_records(tmp_path):
    data = _fixture_data(tmp_path)
    r1, r2 = _import_fixtures(data)
    assert r1.problems == [] and r1.updated == ["models/gpt-1.yaml"]
    assert sorted(r1.created) == [
        "models/flan-palm.yaml", "models/flan-t5.yaml", "models/xlnet.yaml",
        "organizations/cmu.yaml",   # no curated organizations here: a new record per name
        "organizations/google.yaml", "organizations/openai.yaml",
        "papers/improving-language-understanding-by-generative-pre-training.yaml",
        "papers/scaling-instruction-finetuned-language-models.yaml",
        "papers/xlnet-generalized-autoregressive-pretraining-for-language.yaml",
        "sources/awesome-llms.yaml"]
    assert [str(p) for p in r2.problems] == [
        "line 50: 'ERNIE-ViLG' is listed again (first at line 36); merged into one model with a note"]
    gpt1 = load(data / "models" / "gpt-1.yaml")
    assert gpt1["aliases"] == ["GPT"] and list(gpt1["sources"]) == [AWESOME_LLMS, AWESOME_HUGE_MODELS]
    assert gpt1["sources"][AWESOME_LLMS] == {
        "name": "GPT-1", "section": "OpenAI",
        "paper": "improving-language-understanding-by-generative-pre-training",
        "orkg contribution": "R370538", "model family": "GPT", "date created": "2018-06-01",
        "organization": "openai", "number of parameters": "117M",
        "maximum number of parameters (in million)": "117",
        "has source code": ["https://github.com/openai/finetune-transformer-lm",
                            "https://huggingface.co/docs/transformers/model_doc/openai-gpt"],
        "license": "Open, MIT license",
        "research problem": ["Large Language Models (LLMs)", "transformer model"]}
    assert gpt1["sources"][AWESOME_HUGE_MODELS] == {
        "name": "GPT", "section": "Language Model",
        "paper": "improving-language-understanding-by-generative-pre-training",
        "date created": "June 2018", "organization": "openai", "number of parameters": "117M",
        "field": "Language", "access": "open",
        "homepage": "https://openai.com/blog/language-unsupervised/", "objective": "LTR"}
    xlnet = load(data / "models" / "xlnet.yaml")
    assert xlnet["sources"][AWESOME_LLMS]["organization"] == ["google", "cmu"]
    assert xlnet["sources"][AWESOME_HUGE_MODELS]["license"] == ["Apache 2.0", "CC BY-SA-3.0"]
    paper = load(data / "papers" / "xlnet-generalized-autoregressive-pretraining-for-language.yaml")
    assert paper == {
        "id": "xlnet-generalized-autoregressive-pretraining-for-language",
        "title": "XLNet: Generalized Autoregressive Pretraining for Language Understanding",
        "arxiv": "1906.08237", "orkg paper": "R130126",
        "sources": {AWESOME_LLMS: {"title": "XLNet: Generalized Autoregressive Pretraining for "
                                            "Language Understanding"},
                    AWESOME_HUGE_MODELS: {"title": "XLNet: Generalized Autoregressive Pretraining "
                                                   "for Language Understanding",
                                          "venue": "NeurIPS'19", "url": "https://arxiv.org/abs/1906.08237"}}}
    flan = load(data / "papers" / "scaling-instruction-finetuned-language-models.yaml")
    assert flan["orkg paper"] == "R375926"
    assert load(data / "models" / "flan-t5.yaml")["sources"][AWESOME_LLMS]["orkg contribution"] == "R375931"
    assert load(data / "models" / "flan-palm.yaml")["sources"][AWESOME_LLMS]["paper"] == flan["id"]
    rwkv = load(data / "models" / "rwkv-4.yaml")["sources"][AWESOME_HUGE_MODELS]
    assert "organization" not in rwkv and "Personal" in rwkv["note"]
    assert rwkv["architecture"] == ["De", "RNN"]
    ernie = load(data / "models" / "ernie-vilg.yaml")["sources"][AWESOME_HUGE_MODELS]
    assert ernie["date created"] == "Dec. 2022" and ernie["access"] == "closed"
    assert ernie["note"] == ("awesome-huge-models lists ERNIE-ViLG twice; this block has the entry at "
                             "line 36, the entry at line 50 is merged into it; it differs in: "
                             "date created 'Dec. 2021', no access")
    whisper = load(data / "models" / "whisper.yaml")["sources"][AWESOME_HUGE_MODELS]
    assert (whisper["access"], whisper["release"]) == ("closed", "https://github.com/openai/whisper")
    assert not (data / "models" / "accelerate.yaml").exists()       # framework section
    source = load(data / "sources" / "awesome-llms.yaml")
    assert source["license"] == "CC-BY-SA-4.0" and source["doi"] == "10.5281/zenodo.8321802"
    assert source["file"].endswith("tests/fixtures/import/small-llms.md")


def test_written_files_are_plain_yaml_strings_in_schema_order(tmp_path):
    data = _fixture_data(tmp_path)
    _import_fixtures(data)
    for path in sorted(data.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert "&id0" not in text and "*id0" not in text          # no anchors / aliases
        rec = yaml.safe_load(text)
        kind = FOLDER_KIND[path.parent.name]
        assert set(rec) <= set(TOP[kind])
        for sid, block in (rec.get("sources") or {}).items():
            assert list(block) == [k for k in BLOCK[kind] if k in block], path   # schema order
            for value in block.values():
                for v in value if isinstance(value, list) else [value]:
                    assert isinstance(v, str), (path, value)
    assert "date created: '2018-06-01'" in (data / "models" / "gpt-1.yaml").read_text()


def test_reimport_is_idempotent(tmp_path):
    data = _fixture_data(tmp_path)
    _import_fixtures(data)
    before = snapshot(data)
    for report in _import_fixtures(data):
        assert report.created == report.updated == report.skipped == []
        assert not report.changed
    for report in _import_fixtures(data, update=True):
        assert not report.changed
    assert snapshot(data) == before


def test_same_input_same_bytes(tmp_path):
    a, b = _fixture_data(tmp_path / "a"), _fixture_data(tmp_path / "b")
    _import_fixtures(a)
    _import_fixtures(b)
    strip = {k: v for k, v in snapshot(a).items() if not k.startswith("sources/")}
    assert strip == {k: v for k, v in snapshot(b).items() if not k.startswith("sources/")}


def test_changed_field_updates_only_with_update(tmp_path):
    data = _fixture_data(tmp_path)
    _import_fixtures(data)
    before = snapshot(data)
    changed = tmp_path / "small-llms.md"
    text = (FIXTURES / "small-llms.md").read_text(encoding="utf-8")
    assert text.count("number of parameters: 540B") == 1
    changed.write_text(text.replace("number of parameters: 540B", "number of parameters: 62B, 540B"),
                       encoding="utf-8")
    report = import_awesome_md(changed, data, source_id=AWESOME_LLMS)
    assert report.created == report.updated == []
    assert report.skipped == [("models/flan-palm.yaml", "its awesome-llms block differs from the "
                                                        "list; not replaced without update")]
    assert snapshot(data) == before
    report = import_awesome_md(changed, data, source_id=AWESOME_LLMS, update=True)
    assert (report.created, report.updated, report.skipped) == ([], ["models/flan-palm.yaml"], [])
    after = snapshot(data)
    assert [k for k in after if after[k] != before.get(k)] == ["models/flan-palm.yaml"]
    assert load(data / "models" / "flan-palm.yaml")["sources"][AWESOME_LLMS][
        "number of parameters"] == "62B, 540B"


def test_merge_keeps_comments_top_level_keys_and_other_blocks(tmp_path):
    data = tmp_path / "data"
    (data / "papers").mkdir(parents=True)
    existing = (
        "# A paper also on a reading list.\n"
        "id: xlnet-generalized-autoregressive-pretraining-for-language\n"
        "title: 'XLNet: Generalized Autoregressive Pretraining for Language Understanding'\n"
        "aliases: [XLNet]   # how the club calls it\n"
        "note: kept\n"
        "sources:\n"
        "  llm-paper-club:\n"
        "    title: 'XLNet: Generalized Autoregressive Pretraining for Language Understanding'\n"
        "    authors:\n"
        "    - Zhilin Yang\n"
        "    - Zihang Dai\n"
        "    year: '2019'\n")
    path = data / "papers" / "xlnet-generalized-autoregressive-pretraining-for-language.yaml"
    path.write_text(existing, encoding="utf-8")
    report = import_awesome_md(FIXTURES / "small-llms.md", data)
    assert "papers/xlnet-generalized-autoregressive-pretraining-for-language.yaml" in report.updated
    text = path.read_text(encoding="utf-8")
    assert text.startswith(existing.split("sources:")[0].replace(
        "note: kept\n", "note: kept\norkg paper: R130126\n"))     # identity key filled in place
    assert ("  llm-paper-club:\n    title: 'XLNet: Generalized Autoregressive Pretraining for "
            "Language Understanding'\n    authors:\n    - Zhilin Yang\n") in text   # style kept
    rec = yaml.safe_load(text)
    assert list(rec["sources"]) == ["llm-paper-club", AWESOME_LLMS]
    assert rec["sources"]["llm-paper-club"]["year"] == "2019"
    # the other source's block is never touched, even with update
    path.write_text(text.replace("year: '2019'", "year: '2020'"), encoding="utf-8")
    report = import_awesome_md(FIXTURES / "small-llms.md", data, update=True)
    assert "papers/xlnet-generalized-autoregressive-pretraining-for-language.yaml" in report.unchanged
    assert "year: '2020'" in path.read_text(encoding="utf-8")


def test_unreadable_existing_file_is_left_alone(tmp_path):
    data = tmp_path / "data"
    (data / "models").mkdir(parents=True)
    broken = data / "models" / "xlnet.yaml"
    broken.write_text("id: xlnet\nsources: [unclosed\n", encoding="utf-8")
    report = import_awesome_md(FIXTURES / "small-llms.md", data)
    assert ("models/xlnet.yaml", "not readable YAML (ParserError); left alone") in report.skipped
    assert broken.read_text(encoding="utf-8") == "id: xlnet\nsources: [unclosed\n"
    assert any("models/xlnet.yaml" in p.message for p in report.problems)


def test_dry_run_writes_nothing(tmp_path):
    data = _fixture_data(tmp_path)
    before = snapshot(data)
    report = import_awesome_md(FIXTURES / "small-llms.md", data, dry_run=True)
    assert report.created and snapshot(data) == before


def test_dump_record_does_not_fold_long_strings():
    long = "word " * 200
    text = dump_record({"id": "x", "sources": {"s": {"innovation": long.strip(), "date created": "2018-06-01",
                                                      "maximum number of parameters (in million)": "117"}}})
    assert len(text.splitlines()) == 6
    assert yaml.safe_load(text)["sources"]["s"] == {
        "innovation": long.strip(), "date created": "2018-06-01",
        "maximum number of parameters (in million)": "117"}


def test_record_index_resolves_aliases_and_titles(tmp_path):
    data = _fixture_data(tmp_path)
    _import_fixtures(data)
    index = RecordIndex.load(data)
    assert index.model("GPT") == index.model("gpt-1") == index.model("GPT 1") == "gpt-1"
    assert index.organization("Google") == "google"
    assert index.paper("improving language understanding by generative pre-training!") == \
        "improving-language-understanding-by-generative-pre-training"
    assert index.paper(None, orkg="R375926") == "scaling-instruction-finetuned-language-models"
    assert index.paper("Another title", arxiv="1906.08237") == \
        "xlnet-generalized-autoregressive-pretraining-for-language"


# --- the committed data/ ------------------------------------------------------------------

MERGED = {   # model id -> the awesome-huge-models name it carries
    "gpt-1": "GPT", "gpt-2": "GPT-2", "gpt-3": "GPT-3", "gpt-4": "GPT-4", "instructgpt": "InstructGPT",
    "dall-e": "DALL·E", "dall-e-2": "DALL·E 2", "clip": "CLIP", "bert": "BERT", "t5": "T5",
    "switch": "Switch Transformer", "glam": "GLaM", "lamda": "LaMDA", "palm": "PaLM", "ul2": "UL2",
    "imagen": "Imagen", "xlnet": "XLNet", "roberta": "RoBERTa", "alphafold": "AlphaFold 2",
    "gopher": "Gopher", "chinchilla": "Chinchilla", "flamingo": "Flamingo", "gato": "Gato",
    "opt": "OPT", "dialogpt": "DialoGPT", "megatron": "Megatron-LM",
    "megatron-turing-nlg": "MT-NLG", "gpt-j": "GPT-J", "gpt-neox-20b": "GPT-NeoX", "pythia": "Pythia",
    "jurassic-1": "Jurassic-1", "stablediffusion": "Stable Diffusion", "glm": "GLM", "bloom": "BLOOM",
    "galactica": "Galactica", "llama": "LLaMa", "falcon": "Falcon",
    "openllama-v1": "OpenLLaMA", "vit": "ViT-H/14",
}


def _records(folder: str) -> dict[str, dict]:
    return {p.stem: load(p) for p in sorted((DATA / folder).glob("*.yaml"))}


def test_data_models_merged_across_lists():
    models = _records("models")
    both = {mid for mid, rec in models.items() if set(OUR_SOURCES) <= set(rec.get("sources") or {})}
    assert both == set(MERGED)
    for mid, huge_name in MERGED.items():
        blocks = models[mid]["sources"]
        assert blocks[AWESOME_HUGE_MODELS]["name"] == huge_name
        assert huge_name == models[mid]["name"] or huge_name in (models[mid].get("aliases") or []) \
            or huge_name == blocks[AWESOME_LLMS]["name"]
    gpt4 = models["gpt-4"]["sources"]
    assert gpt4[AWESOME_LLMS]["number of parameters"] == "170T"
    assert gpt4[AWESOME_HUGE_MODELS]["number of parameters"] == "1.7T"
    assert gpt4[AWESOME_HUGE_MODELS]["architecture"] == ["De", "MoE"]
    assert gpt4[AWESOME_LLMS]["paper"] == gpt4[AWESOME_HUGE_MODELS]["paper"] == "gpt-4-technical-report"
    for separate in ("glm-130b", "megatron-bert", "mpt-30b", "openllama-v2", "vit-g-14", "vit-22b",
                     "swin-transformer", "swinv2-g", "llama-2"):
        assert list(models[separate]["sources"]) != list(OUR_SOURCES), separate


def test_data_counts():
    models = _records("models")
    per_source = {sid: sum(1 for r in models.values() if sid in (r.get("sources") or {}))
                  for sid in OUR_SOURCES}
    assert per_source == {AWESOME_LLMS: 87, AWESOME_HUGE_MODELS: 93}
    papers = _records("papers")
    ours = {pid: r for pid, r in papers.items() if set(r.get("sources") or {}) & set(OUR_SOURCES)}
    assert sum(1 for r in ours.values() if AWESOME_LLMS in r["sources"]) == 85
    assert sum(1 for r in ours.values() if AWESOME_HUGE_MODELS in r["sources"]) == 74
    # every paper, organization a model block names exists
    orgs = _records("organizations")
    for rec in models.values():
        for sid in OUR_SOURCES:
            block = (rec.get("sources") or {}).get(sid)
            if not block:
                continue
            assert block.get("paper") is None or block["paper"] in papers
            org = block.get("organization")
            for oid in org if isinstance(org, list) else [org] if org else []:
                assert oid in orgs, (rec["id"], oid)
    assert orgs["meta"]["aliases"] == ["Facebook", "Meta AI", "FAIR"]
    assert models["xlnet"]["sources"][AWESOME_LLMS]["organization"] == ["google", "carnegie-mellon-university"]
    assert models["megatron-turing-nlg"]["sources"][AWESOME_HUGE_MODELS]["organization"] == [
        "microsoft", "nvidia"]


def test_data_sources_and_readme():
    for sid in OUR_SOURCES:
        rec = load(DATA / "sources" / f"{sid}.yaml")
        for key in ("id", "title", "author", "url", "license", "attribution", "citation", "retrieved", "file"):
            assert rec.get(key), (sid, key)
        assert rec["retrieved"] == "2026-11-23"
        assert rec["file"] == f"../shared/sources/{sid}.README.md"
    assert load(DATA / "sources" / "awesome-llms.yaml")["license"] == "CC-BY-SA-4.0"
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert "CC BY-SA 4.0" in readme and "10.5281/zenodo.8321802" in readme and "D'Souza" in readme


def _copy_data(tmp_path: Path) -> Path:
    copy = tmp_path / "repo" / "data"
    shutil.copytree(DATA, copy)
    return copy


def _regenerate(copy: Path, **kw):
    return [import_awesome_md(LLMS_MD, copy, **kw), import_awesome_md(HUGE_MD, copy, **kw)]


@needs_sources
@pytest.mark.slow
def test_regenerating_data_reproduces_it(tmp_path):
    copy = _copy_data(tmp_path)
    before = snapshot(copy)
    for report in _regenerate(copy):
        assert report.created == report.updated == report.skipped == [], report.summary()
        assert report.errors == []
    assert snapshot(copy) == before == snapshot(DATA)


@needs_sources
@pytest.mark.slow
def test_regenerating_scrambled_blocks_reproduces_data(tmp_path):
    """Every block of the two lists is rebuilt: scramble them, delete the records only the
    importer wrote, re-import with update, and compare byte for byte."""
    from llmkg.importers.writing import _guess_indent, _yaml

    copy = _copy_data(tmp_path)
    deleted = 0
    for folder in ("models", "papers"):
        for path in sorted((copy / folder).glob("*.yaml")):
            text = path.read_text(encoding="utf-8")
            y = _yaml(*_guess_indent(text))          # the file's own style
            rec = y.load(text)
            blocks = rec.get("sources") or {}
            plain_keys = {"id", "name", "title", "arxiv", "orkg paper", "sources"}
            if set(blocks) <= set(OUR_SOURCES) and "#" not in text and set(rec) <= plain_keys:
                path.unlink()
                deleted += 1
                continue
            for sid in OUR_SOURCES:
                if sid in blocks:
                    for key in list(blocks[sid]):
                        blocks[sid][key] = "scrambled"
            with open(path, "w", encoding="utf-8") as fh:
                y.dump(rec, fh)
    assert deleted > 100
    reports = _regenerate(copy, update=True)
    assert all(r.errors == [] and r.skipped == [] for r in reports)
    assert snapshot(copy) == snapshot(DATA)


def test_problem_str_and_empty_write(tmp_path):
    assert str(Problem(3, "x")) == "line 3: x"
    report = write_records(ImportRecords(AWESOME_LLMS), tmp_path / "data")
    assert report.counts == {"organization": 0, "paper": 0, "model": 0} and not report.changed


def test_block_content_indented_deeper_than_its_fence():
    text = ("# awesome-huge-models\n\n## Models\n\n### Speech\n\n- **Deep** [[Meta]]() Dec. 2015\n\n"
            "  ```yaml\n      Field: Speech\n      Params: 300M\n        continued\n  ```\n")
    e = entry(parse_awesome_md(text), "Deep")
    assert e.problems == []
    assert e.values == {"field": "Speech", "number of parameters": "300M continued"}
