"""llmkg.records.vocabularies and data/vocabularies/: loading, validation, lookups.

LICENSES and ARCHITECTURES hold every distinct license and architecture text of the two
lists with the concepts it must map to, written out by hand; the coverage tests fail when a
list has a value that is not in them or that a vocabulary does not resolve.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from llmkg.errors import DataError
from llmkg.records.vocabularies import (DEFAULT_RESOURCE_BASE, Vocabularies, concept_iri, load_scheme,
                                        load_vocabularies, normalize)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SOURCES = ROOT.parent / "shared" / "sources"
LLMS = SOURCES / "awesome-llms.README.md"
HUGE = SOURCES / "awesome-huge-models.README.md"
needs_sources = pytest.mark.skipif(not (LLMS.exists() and HUGE.exists()),
                                   reason="shared/sources/ is not beside the repository")


def yaml_values(path: Path, keys: set[str]) -> list[str]:
    """The values of ``keys`` in the ```yaml blocks of a list, in order, repeats dropped."""
    out: list[str] = []
    inside = False
    for line in path.read_text(encoding="utf-8").splitlines():
        s = line.strip()
        if s.startswith("```yaml"):
            inside = True
        elif s.startswith("```"):
            inside = False
        elif inside:
            m = re.match(r"^([^:]+?):\s?(.*)$", s)
            if m and m.group(1).strip() in keys and m.group(2).strip() not in out:
                out.append(m.group(2).strip())
    return out


@pytest.fixture(scope="module")
def vocab() -> Vocabularies:
    return load_vocabularies(DATA)


def ids(concepts) -> tuple[str, ...]:
    return tuple(c.id for c in concepts)


# --- every license and architecture text of the lists ---------------------------------------------

# awesome-llms `license` (each value whole) and awesome-huge-models `License` (a list "a, b")
LICENSES = {
    "closed source": ("closed-source",),
    "N/A": ("not-stated",),
    "Open, MIT license": ("mit",),
    "Closed source, accessible through API": ("api-only",),
    "Open, Apache 2.0": ("apache-2.0",),
    "Apache 2.0": ("apache-2.0",),
    "Open, BSD-3-Clause license": ("bsd-3-clause",),
    "the code is open sourced": ("open-source-unnamed",),
    "MIT license": ("mit",),
    "Limited, non-commercial, research only": ("non-commercial",),
    "MIT License": ("mit",),
    "Non-commercial license": ("non-commercial",),
    "Limited, Non-commercial usage": ("non-commercial",),
    "Limited, non-commercial license CC-BY-NC-SA-4.0": ("cc-by-nc-sa-4.0",),
    "open, CreativeML Open RAIL++-M License": ("creativeml-openrail-plus-plus-m",),
    "Limited, non-commercial": ("non-commercial",),
    "Open, but need to follow restrictions in Attachment A, BigScience RAIL License v1.0":
        ("bigscience-bloom-rail-1.0",),
    "Limited, non-commerical CC BY-NC 4.0 license": ("cc-by-nc-4.0",),
    "Limited, Non-commercial bespoke license": ("non-commercial",),
    "Llama 2 Community License Agreement": ("llama-2-community-license",),
    "OpenRAIL-M license": ("openrail-m",),
    "": ("not-stated",),        # the list's contribution template
    "Apache 2.0, CC BY-SA-3.0": ("apache-2.0", "cc-by-sa-3.0"),
    "CC BY-SA-4.0": ("cc-by-sa-4.0",),
    "GPL": ("gpl-3.0-only",),
    "OpenRAIL-M v1": ("openrail-m",),
}
LICENSE_ACCESS = {
    "apache-2.0": "open", "mit": "open", "bsd-3-clause": "open", "gpl-3.0-only": "open",
    "cc-by-sa-3.0": "open", "cc-by-sa-4.0": "open", "cc-by-nc-4.0": "limited",
    "cc-by-nc-sa-4.0": "limited", "bigscience-bloom-rail-1.0": "open", "openrail-m": "open",
    "creativeml-openrail-plus-plus-m": "open", "llama-2-community-license": "limited",
    "non-commercial": "limited", "open-source-unnamed": "open", "closed-source": "closed",
    "api-only": "closed", "not-stated": "unknown",
}
# SPDX ids, each checked by hand against the SPDX License List
LICENSE_SPDX = {
    "apache-2.0": "Apache-2.0", "mit": "MIT", "bsd-3-clause": "BSD-3-Clause",
    "gpl-3.0-only": "GPL-3.0-only", "cc-by-sa-3.0": "CC-BY-SA-3.0", "cc-by-sa-4.0": "CC-BY-SA-4.0",
    "cc-by-nc-4.0": "CC-BY-NC-4.0", "cc-by-nc-sa-4.0": "CC-BY-NC-SA-4.0",
}

# awesome-llms `pretraining architecture` and awesome-huge-models `Architecture` (codes "a, b")
ARCHITECTURES = {
    "Decoder": ("decoder",),
    "Encoder": ("encoder",),
    "Encoder/Decoder": ("encoder-decoder",),
    "T5 (or CLIP or BERT) for frozen text encoder + U-net architecture for cascaded diffusion "
    "models for text to image": ("encoder", "u-net", "diffusion"),
    "Encoder/decoder or decoder only, depending on the base model it’s extending":
        ("decoder", "encoder-decoder"),
    "Encoder or Decorder, depending on the base model": ("encoder", "decoder"),
    "": ("not-stated",),        # the list's contribution template
    "De, MoE": ("decoder", "mixture-of-experts"),
    "De, RNN": ("decoder", "rnn"),
    "En-De": ("encoder-decoder",),
    "De": ("decoder",),
    "En-De, MoE": ("encoder-decoder", "mixture-of-experts"),
    "En": ("encoder",),
    "Transformer": ("transformer",),
    "Transformer, dVAE + De": ("transformer", "decoder", "dvae"),
    "CNN": ("convolutional-network",),
    "Transformer, Diffusion": ("transformer", "diffusion"),
    "M6": ("m6",),
    "Convolution": ("convolutional-network",),
    "Transformer, Convolution": ("transformer", "convolutional-network"),
    "Transformer, MoE": ("transformer", "mixture-of-experts"),
    "Transformer, De": ("transformer", "decoder"),
    "Convolution, GAN": ("convolutional-network", "gan"),
}


@pytest.mark.parametrize("text", list(LICENSES))
def test_license_texts(vocab, text):
    assert ids(vocab.resolve("licenses", text)) == LICENSES[text]


@pytest.mark.parametrize("text", list(ARCHITECTURES))
def test_architecture_texts(vocab, text):
    assert ids(vocab.resolve("architectures", text)) == ARCHITECTURES[text]


@needs_sources
def test_every_license_of_the_lists_resolves(vocab):
    llms = yaml_values(LLMS, {"license"})
    huge = yaml_values(HUGE, {"License"})
    assert not [t for t in llms + huge if t not in LICENSES]
    for t in llms:                      # awesome-llms: a value is one license, never split
        assert vocab.lookup("licenses", t), t
    for t in huge:                      # awesome-huge-models: "a, b" is a list
        for part in t.split(", "):
            assert vocab.lookup("licenses", part), part


@needs_sources
def test_every_architecture_of_the_lists_resolves(vocab):
    llms = yaml_values(LLMS, {"pretraining architecture"})
    huge = yaml_values(HUGE, {"Architecture", "Achitecture", "Architecutre"})
    assert not [t for t in llms + huge if t not in ARCHITECTURES]
    for t in llms:
        assert vocab.lookup("architectures", t), t
    for t in huge:
        for part in t.split(", "):
            assert vocab.lookup("architectures", part), part


def test_license_access_and_spdx(vocab):
    concepts = vocab.concepts("licenses")
    assert {c.id: c.access for c in concepts} == LICENSE_ACCESS
    assert {c.id: c.spdx for c in concepts if c.spdx} == LICENSE_SPDX
    assert vocab.concept("licenses", "mit").iri == "http://spdx.org/licenses/MIT"
    assert vocab.concept("licenses", "openrail-m").iri == DEFAULT_RESOURCE_BASE + "license/openrail-m"


def test_architecture_hierarchy(vocab):
    broader = {c.id: c.broader for c in vocab.concepts("architectures")}
    for c in ("encoder", "decoder", "encoder-decoder", "m6"):
        assert broader[c] == ("transformer",)
    assert broader["dvae"] == ("vae",)
    assert broader["u-net"] == ("convolutional-network",)
    assert broader["transformer"] == () and broader["mixture-of-experts"] == ()
    assert ids(vocab.broader(vocab.concept("architectures", "decoder"))) == ("transformer",)


# --- lookups ---------------------------------------------------------------------------------------

def test_lookup_ignores_case_and_spacing(vocab):
    assert ids(vocab.lookup("licenses", "  apache   2.0 ")) == ("apache-2.0",)
    assert ids(vocab.lookup("licenses", "OPEN, MIT LICENSE")) == ("mit",)
    assert ids(vocab.lookup("licenses", "Apache License 2.0")) == ("apache-2.0",)   # the label
    assert ids(vocab.lookup("architectures", "de")) == ("decoder",)
    # a straight apostrophe finds the alias written with ’
    assert ids(vocab.lookup("architectures",
                            "Encoder/decoder or decoder only, depending on the base model it's extending")) \
        == ("decoder", "encoder-decoder")


def test_lookup_of_unknown_values(vocab):
    assert vocab.lookup("licenses", "Foo") == ()
    assert vocab.lookup("licenses", "Apache 2.0, CC BY-SA-3.0") == ()    # lookup never splits
    assert vocab.resolve("licenses", "Apache 2.0, Foo") == ()             # all parts or nothing
    assert vocab.lookup("architectures", "Decoder-only") == ()
    with pytest.raises(KeyError):
        vocab.lookup("license", "MIT")                                     # a misspelt scheme


def test_empty_value_means_not_stated(vocab):
    assert ids(vocab.lookup("licenses", "")) == ("not-stated",)
    assert ids(vocab.lookup("licenses", "   ")) == ("not-stated",)
    assert ids(vocab.lookup("architectures", "")) == ("not-stated",)
    assert vocab.lookup("corpora", "") == ()


def test_no_vocabularies_folder_gives_empty_lookups(tmp_path):
    v = load_vocabularies(tmp_path)
    assert v.schemes() == ()
    assert v.lookup("licenses", "MIT") == ()
    assert v.match_corpora("C4") == ()


def test_resource_base_is_a_parameter():
    v = load_vocabularies(DATA, base="https://example.org/kg")
    assert v.concept("architectures", "decoder").iri == "https://example.org/kg/architecture/decoder"
    assert v.concept("corpora", "c4").iri == "https://example.org/kg/corpus/c4"
    assert v.concept("licenses", "non-commercial").iri == "https://example.org/kg/license/non-commercial"
    assert v.concept("licenses", "apache-2.0").iri == "http://spdx.org/licenses/Apache-2.0"
    assert v.scheme("licenses").iri == "https://example.org/kg/scheme/licenses"
    assert v.scheme("corpora").concept_iri("the-pile") == "https://example.org/kg/corpus/the-pile"
    assert concept_iri("corpus", "c4") == "https://w3id.org/llmkg/resource/corpus/c4"
    assert concept_iri("license", "mit", "MIT") == "http://spdx.org/licenses/MIT"


def test_schemes_in_a_stable_order(vocab):
    assert [s.name for s in vocab.schemes()] == ["licenses", "architectures", "corpora"]
    assert [s.kind for s in vocab.schemes()] == ["license", "architecture", "corpus"]
    assert all(c.scheme == s.name for s in vocab.schemes() for c in s.concepts)


def test_normalize():
    assert normalize("  Open,\tMIT   License ") == "open, mit license"
    assert normalize("it’s") == "it's"
    assert normalize("ＭＩＴ") == "mit"       # NFKC


# --- corpora in free text ----------------------------------------------------------------------------

CORPUS_TEXTS = {
    "BookCorpus, Supervised Finetuning on several task-specific datasets": ("bookcorpus",),
    "~ 500B tokens including CommonCrawl (410B), WebText2 (19B), Books1 (12B), Books2 (55B), and Wikipedia (3B)":
        ("common-crawl", "webtext2", "wikipedia"),
    "Books, CC-News, Stories and Wikipedia": ("cc-news", "stories", "wikipedia"),
    "CC-News, English Wikipedia": ("cc-news", "english-wikipedia"),
    "Semantic Scholar ORC, The Stack Dedup, RedPajama, C4, mC4": ("s2orc", "the-stack", "redpajama", "c4", "mc4"),
    "1T tokens (RefinedWeb)": ("refinedweb",),
    "1.2T tokens (Redpajama)": ("redpajama",),
    "The Pile (800GB dataset) + 2 Common Crawl snapshots": ("the-pile", "common-crawl"),
    "Pile corpus, a large-scale curated dataset created by EleutherAI": ("the-pile",),
    "LAION-5B, a publicly available dataset derived from Common Crawl": ("laion-5b", "common-crawl"),
    "Massive Text (2.35 billion documents, or about 10.5 TB of text including Massive Web, Books, Github, News, C4, and Wikipedia.":
        ("massivetext", "massiveweb", "github", "c4", "wikipedia"),
    "MultiModal MassiveWeb (M3W): 185 million images": ("m3w",),
    "Same as RoBERTa (160Gb of news, books, stories, and web text)": ("stories",),
    "Imagenet and Imagenet-22k": ("imagenet", "imagenet-22k"),
    # URLs: the ROOTS paper is linked, github.com is no corpus
    "https://openreview.net/forum?id=UoEw6KigkUn, 366B tokens (1.5 TB of text data)": ("roots",),
    "https://github.com/openai/gpt-2-output-dataset, 8 million web pages (40 GB). WebText dataset is created by crawling":
        ("webtext",),
    # whole words only
    "BookCorpus2, OpenWebText2 and mC4": ("openwebtext2", "mc4"),
    "C4-like data from the Pile-CC": ("c4", "the-pile"),
    "1.5T tokens": (),
    "": (),
}


@pytest.mark.parametrize("text", list(CORPUS_TEXTS))
def test_match_corpora(vocab, text):
    assert ids(vocab.match_corpora(text)) == CORPUS_TEXTS[text]
    # asked again: the remembered answer, the same as a fresh search
    assert ids(vocab.match_corpora(text)) == ids(vocab._match_corpora(text)) == CORPUS_TEXTS[text]


def test_match_corpora_remembers_a_bounded_number_of_texts(vocab, monkeypatch):
    calls = []
    real = type(vocab)._match_corpora
    monkeypatch.setattr(type(vocab), "_match_corpora", lambda self, t: calls.append(t) or real(self, t))
    vocab._corpus_memo.clear()
    for _ in range(3):
        assert ids(vocab.match_corpora("BookCorpus2, OpenWebText2 and mC4")) == ("openwebtext2", "mc4")
    assert calls == ["BookCorpus2, OpenWebText2 and mC4"]
    vocab._corpus_memo.update((str(i), ()) for i in range((1 << 16) - len(vocab._corpus_memo)))
    assert ids(vocab.match_corpora("C4-like data from the Pile-CC")) == ("c4", "the-pile")
    assert len(vocab._corpus_memo) == 1     # full: emptied, then the new answer kept


@needs_sources
def test_the_corpora_the_lists_name_are_found(vocab):
    texts = yaml_values(LLMS, {"training corpus"}) + yaml_values(HUGE, {"Training Data"})
    found = {c.id for t in texts for c in vocab.match_corpora(t)}
    for expected in ("bookcorpus", "wikipedia", "english-wikipedia", "common-crawl", "c4", "webtext",
                     "the-pile", "redpajama", "refinedweb", "roots", "massivetext", "openwebtext",
                     "cc-news", "stories", "github", "the-stack", "arxiv", "laion-5b"):
        assert expected in found, expected


def test_corpus_urls_from_the_list(vocab):
    urls = {c.id: c.url for c in vocab.concepts("corpora") if c.url}
    assert urls == {
        "refinedweb": "https://huggingface.co/datasets/tiiuae/falcon-refinedweb",
        "roots": "https://openreview.net/forum?id=UoEw6KigkUn",
        "the-pile": "https://pile.eleuther.ai/",
        "redpajama": "https://huggingface.co/datasets/togethercomputer/RedPajama-Data-1T",
        "slimpajama": "https://huggingface.co/datasets/cerebras/SlimPajama-627B",
        "mnbvc": "https://github.com/esbatmop/MNBVC",
    }


# --- the files themselves ------------------------------------------------------------------------------

def test_the_three_files_load(vocab):
    assert {s.name: len(s.concepts) for s in vocab.schemes()} == {
        "licenses": 17, "architectures": 14, "corpora": 48}
    for s in vocab.schemes():
        assert s.file.endswith(f"vocabularies/{s.name}.yaml")
        assert len({c.id for c in s.concepts}) == len(s.concepts)


def test_only_the_declared_aliases_are_shared(vocab):
    for s in vocab.schemes():
        owners: dict[str, set[str]] = {}
        for c in s.concepts:
            for name in (c.label, *c.aliases):
                owners.setdefault(normalize(name), set()).add(c.id)
        shared = {k for k, v in owners.items() if len(v) > 1}
        assert shared == {normalize(a) for a in s.shared_aliases}
    assert len(vocab.scheme("architectures").shared_aliases) == 4
    assert vocab.scheme("licenses").shared_aliases == ()


# --- validation of broken files --------------------------------------------------------------------------

GOOD = """\
scheme: architectures
label: Architectures
concepts:
  - id: transformer
    label: Transformer
  - id: decoder
    label: Decoder-only transformer
    broader: [transformer]
    aliases: [Decoder, De]
"""


def broken(text: str, name: str = "architectures") -> DataError:
    with pytest.raises(DataError) as e:
        load_scheme(text, f"data/vocabularies/{name}.yaml", name)
    assert e.value.file == f"data/vocabularies/{name}.yaml"
    return e.value


def test_good_file_loads():
    s = load_scheme(GOOD, "data/vocabularies/architectures.yaml", "architectures")
    assert [c.id for c in s.concepts] == ["transformer", "decoder"]
    assert s.concepts[1].line == 6


@pytest.mark.parametrize("text,line,message", [
    (GOOD + "    colour: red\n", 10, "unknown key 'colour'"),
    (GOOD.replace("label: Architectures", "label: Architectures\nversion: 2"), 3, "unknown key 'version'"),
    (GOOD + "  - id: decoder\n    label: Another\n", 10, "duplicate concept id 'decoder'"),
    (GOOD + "  - id: dec\n    label: Dec\n    aliases: [de]\n", 10, "'de' names both 'decoder' and 'dec'"),
    (GOOD + "  - id: dec\n    label: decoder-only  Transformer\n", 10, "names both"),
    (GOOD.replace("concepts:", "shared aliases: [Decoder]\nconcepts:"), 3, "not a label or alias of two"),
    (GOOD.replace("[transformer]", "[encoder]"), 8, "no concept 'encoder'"),
    (GOOD.replace("    label: Transformer\n", "    label: Transformer\n    broader: decoder\n"), 6,
     "broader than itself"),
    (GOOD.replace("[transformer]", "[decoder]"), 8, "broader than itself"),
    (GOOD.replace("id: decoder", "id: Decoder"), 6, "lower case"),
    (GOOD.replace("id: decoder", "id: decoder--only"), 6, "lower case"),
    (GOOD.replace("scheme: architectures", "scheme: licences"), 1, "does not match the file name"),
    (GOOD.replace("aliases: [Decoder, De]", "aliases: Decoder"), 9, "must be a list"),
    (GOOD.replace("aliases: [Decoder, De]", "aliases: [Decoder, [De]]"), 9, "must be a text"),
    (GOOD.replace("    label: Transformer\n", "    label:\n"), 5, "has no value"),
    (GOOD.replace("    label: Transformer\n", ""), 4, "missing key 'label'"),
    (GOOD.replace("concepts:\n", "concepts: []\nx:\n"), 4, "unknown key 'x'"),
    (GOOD.replace("label: Architectures\n", "label: Architectures\nlabel: Again\n"), 3, "given twice"),
    (GOOD + "  - id: x\n    label: [a\n", 12, "YAML syntax"),
    (GOOD + "    url: github.com/x\n", 10, "not an absolute http(s) URL"),
    (GOOD.replace("concepts:", "empty value: unknown\nconcepts:"), 3, "no concept has the id 'unknown'"),
    ("", 1, "empty"),
    ("- a\n- b\n", 1, "must be a mapping"),
])
def test_broken_architectures(text, line, message):
    e = broken(text)
    assert e.line == line, str(e)
    assert message in str(e)


LICENSE = """\
scheme: licenses
label: Licenses
concepts:
  - id: mit
    label: MIT License
    spdx: MIT
    access: open
"""


@pytest.mark.parametrize("text,line,message", [
    (LICENSE.replace("access: open", "access: free"), 7, "must be one of open, limited, closed, unknown"),
    (LICENSE.replace("    access: open\n", ""), 4, "missing key 'access'"),
    (LICENSE.replace("spdx: MIT", "spdx: MIT License"), 6, "not an SPDX license id"),
    (LICENSE + "  - id: mit-2\n    label: MIT 2\n    spdx: MIT\n    access: open\n", 8, "spdx 'MIT' is also"),
])
def test_broken_licenses(text, line, message):
    e = broken(text, "licenses")
    assert e.line == line, str(e)
    assert message in str(e)


def test_spdx_and_access_are_for_licenses_only():
    e = broken(GOOD + "    access: open\n")
    assert e.line == 10 and "unknown key 'access'" in str(e)


def test_unknown_vocabulary_file(tmp_path):
    (tmp_path / "vocabularies").mkdir()
    (tmp_path / "vocabularies" / "colours.yaml").write_text("scheme: colours\nlabel: C\nconcepts: []\n")
    with pytest.raises(DataError) as e:
        load_vocabularies(tmp_path)
    assert "unknown vocabulary 'colours'" in str(e.value)
    assert e.value.file.endswith("colours.yaml") and e.value.line == 1


def test_error_message_names_file_and_line(tmp_path):
    folder = tmp_path / "vocabularies"
    folder.mkdir()
    (folder / "architectures.yaml").write_text(GOOD + "    colour: red\n")
    with pytest.raises(DataError) as e:
        load_vocabularies(tmp_path)
    assert re.match(r".*architectures\.yaml:10: colour: concept: unknown key 'colour'", str(e.value))


def test_shared_alias_maps_to_every_concept():
    text = GOOD.replace("concepts:", "shared aliases: [Either]\nconcepts:") + \
        "    definition: d\n  - id: encoder\n    label: Encoder\n    aliases: [Either]\n"
    text = text.replace("aliases: [Decoder, De]", "aliases: [Decoder, De, either]")
    s = load_scheme(text, "data/vocabularies/architectures.yaml", "architectures")
    v = Vocabularies({"architectures": s})
    assert ids(v.lookup("architectures", "EITHER")) == ("decoder", "encoder")
