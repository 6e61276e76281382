"""Records -> quads: exact triples for sample records, and what bad values become."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from llmkg.graph.mapping import map_records
from llmkg.records.read import load_records
from llmkg.vocab import KIND_PREFIXES, PREFIXES

_NS = sorted(((p, ns) for p, ns in PREFIXES.items() if p not in KIND_PREFIXES), key=lambda x: -len(x[1]))


def shorten(iri: str) -> str:
    """The tables below write IRIs as prefix:rest (res:model/gpt-1/parameters/...)."""
    for p, ns in _NS:
        if iri.startswith(ns):
            return f"{p}:{iri[len(ns):]}"
    return f"<{iri}>"
from llmkg.records.vocabularies import load_vocabularies

ROOT = Path(__file__).resolve().parents[1]


def term(o) -> str:
    if type(o).__name__ == "NamedNode":
        return shorten(o.value)
    dt = shorten(o.datatype.value)
    return f'"{o.value}"' + ("" if dt == "xsd:string" else "^^" + dt)


def rows(mapped, keep) -> set[tuple[str, str, str, str]]:
    """The quads in the named graphs that ``keep`` keeps; the default graph is "default"."""
    return {(shorten(q.graph_name.value) if hasattr(q.graph_name, "value") else "default",
             shorten(q.subject.value), shorten(q.predicate.value), term(q.object))
            for q in mapped.quads if keep(q)}


@pytest.fixture(scope="module")
def real_mapped():
    rs = load_records(ROOT / "data")
    return map_records(rs, load_vocabularies(ROOT / "data"))


def test_gpt1_exact_triples_from_both_sources(real_mapped):
    def keep(q):
        s = q.subject.value
        return (s.endswith("/gpt-1") or "/model/gpt-1/" in s
                or (q.object.value.endswith("/gpt-1") and "contribution" in q.object.value))

    got = rows(real_mapped, keep)
    assert {r for r in got if r[0] != "default"} == GPT1 | GPT1_RESOLUTION
    # the default graph: every triple once, but the three that the resolution supersedes
    named = {r[1:] for r in got if r[0] != "default"}
    default = {r[1:] for r in got if r[0] == "default"}
    assert default <= named
    assert named - default == {("res:model/gpt-1", "llmkg:accessLevel", "llmkg:Closed"),
                               ("res:model/gpt-1", "llmkg:license", "res:license/closed-source"),
                               ("res:model/gpt-1", "llmkg:licenseText", '"closed source"')}


# GPT-1's curated license (data/models/gpt-1.yaml): its value in graph:resolutions, the
# resolution and the three awesome-llms statements it supersedes in graph:curated
GPT1_RESOLUTION = {
    ('graph:curated', 'res:model/gpt-1/resolution/license', 'llmkg:about', 'res:model/gpt-1'),
    ('graph:curated', 'res:model/gpt-1/resolution/license', 'llmkg:rank', 'llmkg:PreferredRank'),
    ('graph:curated', 'res:model/gpt-1/resolution/license', 'llmkg:reason', '"OpenAI released GPT-1\'s code and weights (github.com/openai/finetune-transformer-lm) under the MIT license; awesome-LLMs\' \'closed source\' is wrong, awesome-huge-models says open."'),
    ('graph:curated', 'res:model/gpt-1/resolution/license', 'llmkg:resolvesKey', '"license"'),
    ('graph:curated', 'res:model/gpt-1/resolution/license', 'llmkg:resolvesProperty', 'llmkg:accessLevel'),
    ('graph:curated', 'res:model/gpt-1/resolution/license', 'llmkg:resolvesProperty', 'llmkg:license'),
    ('graph:curated', 'res:model/gpt-1/resolution/license', 'llmkg:resolvesProperty', 'llmkg:licenseText'),
    ('graph:curated', 'res:model/gpt-1/resolution/license', 'llmkg:supersedes', 'res:model/gpt-1/resolution/license/statement/1'),
    ('graph:curated', 'res:model/gpt-1/resolution/license', 'llmkg:supersedes', 'res:model/gpt-1/resolution/license/statement/2'),
    ('graph:curated', 'res:model/gpt-1/resolution/license', 'llmkg:supersedes', 'res:model/gpt-1/resolution/license/statement/3'),
    ('graph:curated', 'res:model/gpt-1/resolution/license', 'prov:wasAttributedTo', 'llmkg:Curators'),
    ('graph:curated', 'res:model/gpt-1/resolution/license', 'rdf:type', 'llmkg:Resolution'),
    ('graph:curated', 'res:model/gpt-1/resolution/license', 'rdf:value', '"MIT License"'),
    ('graph:curated', 'res:model/gpt-1/resolution/license', 'rdfs:seeAlso', '<https://github.com/openai/finetune-transformer-lm>'),
    ('graph:curated', 'res:model/gpt-1/resolution/license/statement/1', 'llmkg:rank', 'llmkg:DeprecatedRank'),
    ('graph:curated', 'res:model/gpt-1/resolution/license/statement/1', 'llmkg:statedIn', 'graph:awesome-llms'),
    ('graph:curated', 'res:model/gpt-1/resolution/license/statement/1', 'rdf:object', 'llmkg:Closed'),
    ('graph:curated', 'res:model/gpt-1/resolution/license/statement/1', 'rdf:predicate', 'llmkg:accessLevel'),
    ('graph:curated', 'res:model/gpt-1/resolution/license/statement/1', 'rdf:subject', 'res:model/gpt-1'),
    ('graph:curated', 'res:model/gpt-1/resolution/license/statement/1', 'rdf:type', 'rdf:Statement'),
    ('graph:curated', 'res:model/gpt-1/resolution/license/statement/2', 'llmkg:rank', 'llmkg:DeprecatedRank'),
    ('graph:curated', 'res:model/gpt-1/resolution/license/statement/2', 'llmkg:statedIn', 'graph:awesome-llms'),
    ('graph:curated', 'res:model/gpt-1/resolution/license/statement/2', 'rdf:object', 'res:license/closed-source'),
    ('graph:curated', 'res:model/gpt-1/resolution/license/statement/2', 'rdf:predicate', 'llmkg:license'),
    ('graph:curated', 'res:model/gpt-1/resolution/license/statement/2', 'rdf:subject', 'res:model/gpt-1'),
    ('graph:curated', 'res:model/gpt-1/resolution/license/statement/2', 'rdf:type', 'rdf:Statement'),
    ('graph:curated', 'res:model/gpt-1/resolution/license/statement/3', 'llmkg:rank', 'llmkg:DeprecatedRank'),
    ('graph:curated', 'res:model/gpt-1/resolution/license/statement/3', 'llmkg:statedIn', 'graph:awesome-llms'),
    ('graph:curated', 'res:model/gpt-1/resolution/license/statement/3', 'rdf:object', '"closed source"'),
    ('graph:curated', 'res:model/gpt-1/resolution/license/statement/3', 'rdf:predicate', 'llmkg:licenseText'),
    ('graph:curated', 'res:model/gpt-1/resolution/license/statement/3', 'rdf:subject', 'res:model/gpt-1'),
    ('graph:curated', 'res:model/gpt-1/resolution/license/statement/3', 'rdf:type', 'rdf:Statement'),
    ('graph:resolutions', 'res:model/gpt-1', 'llmkg:accessLevel', 'llmkg:Open'),
    ('graph:resolutions', 'res:model/gpt-1', 'llmkg:license', 'spdx:MIT'),
    ('graph:resolutions', 'res:model/gpt-1', 'llmkg:licenseText', '"MIT License"'),
}


GPT1 = {
    ('graph:awesome-huge-models', 'res:contribution/awesome-huge-models/gpt-1', 'llmkg:hasModel', 'res:model/gpt-1'),
    ('graph:awesome-huge-models', 'res:contribution/awesome-huge-models/gpt-1', 'rdf:type', 'orkgc:Contribution'),
    ('graph:awesome-huge-models', 'res:contribution/awesome-huge-models/gpt-1', 'rdfs:label', '"GPT-1 (awesome-huge-models)"'),
    ('graph:awesome-huge-models', 'res:model/gpt-1', 'dcterms:created', '"2018-06"^^xsd:gYearMonth'),
    ('graph:awesome-huge-models', 'res:model/gpt-1', 'foaf:page', '<https://openai.com/blog/language-unsupervised/>'),
    ('graph:awesome-huge-models', 'res:model/gpt-1', 'llmkg:accessLevel', 'llmkg:Open'),
    ('graph:awesome-huge-models', 'res:model/gpt-1', 'llmkg:architecture', 'res:architecture/decoder'),
    ('graph:awesome-huge-models', 'res:model/gpt-1', 'llmkg:architectureText', '"De"'),
    ('graph:awesome-huge-models', 'res:model/gpt-1', 'llmkg:createdText', '"June 2018"'),
    ('graph:awesome-huge-models', 'res:model/gpt-1', 'llmkg:field', '"Language"'),
    ('graph:awesome-huge-models', 'res:model/gpt-1', 'llmkg:introducedIn', 'res:paper/improving-language-understanding-by-generative-pre-training'),
    ('graph:awesome-huge-models', 'res:model/gpt-1', 'llmkg:maximumParameterCount', '"117000000"^^xsd:integer'),
    ('graph:awesome-huge-models', 'res:model/gpt-1', 'llmkg:nameInSource', '"GPT"'),
    ('graph:awesome-huge-models', 'res:model/gpt-1', 'llmkg:objective', '"LTR"'),
    ('graph:awesome-huge-models', 'res:model/gpt-1', 'llmkg:organization', 'res:organization/openai'),
    ('graph:awesome-huge-models', 'res:model/gpt-1', 'llmkg:parameterCountText', '"117M"'),
    ('graph:awesome-huge-models', 'res:model/gpt-1', 'llmkg:parameterVariant', 'res:model/gpt-1/parameters/awesome-huge-models/1'),
    ('graph:awesome-huge-models', 'res:model/gpt-1', 'llmkg:sourceSection', '"Language Model"'),
    ('graph:awesome-huge-models', 'res:model/gpt-1', 'llmkg:trainingData', '"1GB (7k books)"'),
    ('graph:awesome-huge-models', 'res:model/gpt-1', 'llmkg:trainingPetaFLOPs', '"18000"^^xsd:decimal'),
    ('graph:awesome-huge-models', 'res:model/gpt-1', 'llmkg:trainingPetaFLOPsText', '"18k"'),
    ('graph:awesome-huge-models', 'res:model/gpt-1/parameters/awesome-huge-models/1', 'llmkg:parameterCount', '"117000000"^^xsd:integer'),
    ('graph:awesome-huge-models', 'res:model/gpt-1/parameters/awesome-huge-models/1', 'rdf:type', 'llmkg:ParameterVariant'),
    ('graph:awesome-huge-models', 'res:model/gpt-1/parameters/awesome-huge-models/1', 'rdfs:label', '"117M"'),
    ('graph:awesome-huge-models', 'res:paper/improving-language-understanding-by-generative-pre-training', 'orkgp:P31', 'res:contribution/awesome-huge-models/gpt-1'),
    ('graph:awesome-llms', 'res:contribution/awesome-llms/gpt-1', 'llmkg:hasModel', 'res:model/gpt-1'),
    ('graph:awesome-llms', 'res:contribution/awesome-llms/gpt-1', 'llmkg:orkgId', '"R370538"'),
    ('graph:awesome-llms', 'res:contribution/awesome-llms/gpt-1', 'orkgp:P32', 'res:problem/large-language-models-llms'),
    ('graph:awesome-llms', 'res:contribution/awesome-llms/gpt-1', 'orkgp:P32', 'res:problem/transformer-model'),
    ('graph:awesome-llms', 'res:contribution/awesome-llms/gpt-1', 'rdf:type', 'orkgc:Contribution'),
    ('graph:awesome-llms', 'res:contribution/awesome-llms/gpt-1', 'rdfs:label', '"GPT-1 (awesome-llms)"'),
    ('graph:awesome-llms', 'res:contribution/awesome-llms/gpt-1', 'skos:exactMatch', 'orkgr:R370538'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'dcterms:created', '"2018-06-01"^^xsd:date'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'llmkg:accessLevel', 'llmkg:Closed'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'llmkg:application', '"Text generation, but adaptable to many other NLP tasks when fine tuned."'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'llmkg:architecture', 'res:architecture/decoder'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'llmkg:architectureText', '"Decoder"'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'llmkg:blogPost', '<https://medium.com/@hyponymous/paper-summary-improving-language-understanding-by-generative-pre-training-7b77babd7086>'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'llmkg:blogPost', '<https://www.reddit.com/r/MachineLearning/comments/n36htr/p_gpt1_annotated_paper_paper_summary/>'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'llmkg:createdText', '"2018-06-01"'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'llmkg:declaredMaximumParameterCount', '"117000000"^^xsd:integer'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'llmkg:fineTuningTask', '"Supervized discriminative finetuning"'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'llmkg:innovation', '"The paper introduces a framework for natural language understanding by first using generative pre-training on a diverse corpus and then fine-tuning for specific tasks. This approach improved state-of-the-art results on 9 out of 12 datasets, highlighting the potential of unsupervised learning combined with discriminative tasks."'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'llmkg:introducedIn', 'res:paper/improving-language-understanding-by-generative-pre-training'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'llmkg:license', 'res:license/closed-source'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'llmkg:licenseText', '"closed source"'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'llmkg:maximumParameterCount', '"117000000"^^xsd:integer'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'llmkg:modelFamily', '"GPT"'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'llmkg:nameInSource', '"GPT-1"'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'llmkg:optimizer', '"Adam optimizer"'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'llmkg:organization', 'res:organization/openai'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'llmkg:parameterCountText', '"117M"'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'llmkg:parameterVariant', 'res:model/gpt-1/parameters/awesome-llms/1'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'llmkg:pretrainingTask', '"Causal language modeling"'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'llmkg:sourceCode', '<https://github.com/openai/finetune-transformer-lm>'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'llmkg:sourceCode', '<https://huggingface.co/docs/transformers/model_doc/openai-gpt>'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'llmkg:sourceSection', '"OpenAI"'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'llmkg:tokenization', '"byte pair encoding"'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'llmkg:trainedOn', 'res:corpus/bookcorpus'),
    ('graph:awesome-llms', 'res:model/gpt-1', 'llmkg:trainingCorpus', '"BookCorpus, Supervised Finetuning on several task-specific datasets for Natural Language Inference, Question Answering, Sentence similarity, and Classification."'),
    ('graph:awesome-llms', 'res:model/gpt-1/parameters/awesome-llms/1', 'llmkg:parameterCount', '"117000000"^^xsd:integer'),
    ('graph:awesome-llms', 'res:model/gpt-1/parameters/awesome-llms/1', 'rdf:type', 'llmkg:ParameterVariant'),
    ('graph:awesome-llms', 'res:model/gpt-1/parameters/awesome-llms/1', 'rdfs:label', '"117M"'),
    ('graph:awesome-llms', 'res:paper/improving-language-understanding-by-generative-pre-training', 'orkgp:P31', 'res:contribution/awesome-llms/gpt-1'),
    ('graph:curated', 'res:model/gpt-1', 'rdf:type', 'llmkg:Model'),
    ('graph:curated', 'res:model/gpt-1', 'rdfs:label', '"GPT-1"'),
    ('graph:curated', 'res:model/gpt-1', 'skos:altLabel', '"GPT"'),
}
