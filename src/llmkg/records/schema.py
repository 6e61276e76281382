"""The record schema: which keys a record of each kind may have, and what each key means.

This table is the single source of truth for ``records`` (known keys, "did you mean",
types), ``mapping`` (which RDF property a key becomes), the ontology and the ORKG exports
(which ORKG label a key carries). Keys are the labels a curator reads in ORKG where ORKG
has one (``model family``, ``date created``...), lower case otherwise.

Value kinds
-----------
``text``      one string
``texts``     a string or a list of strings, each one value
``url``       one URL (an IRI in the graph)
``urls``      a URL or a list of URLs
``date``      ``2023-03-14``, ``2023-03``, ``Mar. 2023``, ``2023`` (typed by precision)
``params``    a parameter-count text such as ``Base = 110M, Large = 340M`` or ``1.7T``
``millions``  a number of millions (``maximum number of parameters (in million)``)
``number``    a number written with optional k/M/B/T suffix (``18k``, ``3.4M``)
``integer``   a whole number, optional k suffix (``2048``, ``84k``)
``orkg-id``   an ORKG resource id, ``R`` followed by digits
``ref:KIND``  the id (slug) of a record of KIND (organization, paper, model)
``refs:KIND`` one id or a list of ids
``concept:SCHEME``  a label or alias from ``data/vocabularies/SCHEME.yaml``
``concepts:SCHEME`` one or a list of them
``problems``  research-problem labels; each becomes a Problem resource
``access``    ``open``, ``limited`` or ``closed``
``sections``  a reading list's sections (see docs/data-format.md)
"""

from __future__ import annotations

from dataclasses import dataclass

# Kinds of records, the folder under data/ that holds them, and their class local name.
KINDS: dict[str, tuple[str, str]] = {
    # kind: (folder under data/, class local name in the llmkg ontology)
    "model": ("models", "Model"),
    "paper": ("papers", "Paper"),
    "organization": ("organizations", "Organization"),
    "reading-list": ("reading-lists", "ReadingList"),
    "source": ("sources", "Source"),
}
FOLDER_KIND = {folder: kind for kind, (folder, _cls) in KINDS.items()}


@dataclass(frozen=True)
class Field:
    key: str            # the YAML key, as a curator writes it
    kind: str           # value kind, see module docstring
    prop: str           # local name of the llmkg property (or a prefixed name, e.g. dcterms:created)
    orkg_label: str | None = None   # ORKG comparison property label, where ORKG has one
    doc: str = ""


def F(key, kind, prop, orkg_label=None, doc=""):
    return Field(key, kind, prop, orkg_label, doc)


# --- top-level keys of every record (the curated graph) --------------------------------
COMMON_TOP = [
    F("id", "text", "-", doc="stable slug; becomes the IRI"),
    F("name", "text", "rdfs:label", doc="display name"),
    F("aliases", "texts", "skos:altLabel", doc="other names the sources use"),
    F("see also", "urls", "rdfs:seeAlso", doc="further links"),
    F("note", "text", "skos:note", doc="curator's note"),
    F("sources", "-", "-", doc="one statements block per source id"),
    F("curated", "-", "-", doc="curated resolutions: per statements key, the preferred value, "
                               "the reason and a link (see docs/data-format.md)"),
]

TOP_FIELDS: dict[str, list[Field]] = {
    "model": COMMON_TOP + [
        F("wikidata", "text", "llmkg:wikidata", doc="Wikidata item id, e.g. Q95726734"),
    ],
    "paper": COMMON_TOP + [
        F("title", "text", "dcterms:title", "Title", doc="canonical title (label)"),
        F("doi", "text", "orkgp:P26", "DOI"),
        F("arxiv", "text", "llmkg:arxivId", doc="arXiv identifier, e.g. 2005.14165"),
        F("orkg paper", "orkg-id", "llmkg:orkgId", doc="ORKG paper resource id"),
    ],
    "organization": COMMON_TOP + [
        F("homepage", "url", "foaf:homepage"),
        F("kind", "text", "llmkg:organizationKind", doc="company, university, research lab, community, person"),
        F("country", "text", "schema:addressCountry"),
    ],
    "reading-list": COMMON_TOP + [
        F("title", "text", "dcterms:title"),
        F("author", "texts", "dcterms:creator"),
        F("url", "url", "schema:url"),
        F("year", "integer", "llmkg:year"),
        F("source", "ref:source", "prov:wasDerivedFrom"),
        F("sections", "sections", "llmkg:section"),
    ],
    "source": COMMON_TOP + [
        F("title", "text", "dcterms:title"),
        F("author", "texts", "dcterms:creator"),
        F("url", "url", "schema:url"),
        F("license", "text", "dcterms:license", doc="SPDX id or license URL of the source document"),
        F("attribution", "text", "llmkg:attribution"),
        F("citation", "text", "dcterms:bibliographicCitation"),
        F("retrieved", "date", "llmkg:retrieved"),
        F("file", "text", "llmkg:sourceFile", doc="path of the copy the records were built from"),
        F("doi", "text", "orkgp:P26"),
    ],
}

# --- keys inside a model's per-source statements block ---------------------------------
MODEL_FIELDS: list[Field] = [
    # identity within the source
    F("name", "text", "llmkg:nameInSource", doc="the model's name as this source writes it"),
    F("section", "text", "llmkg:sourceSection", doc="section or heading of the source"),
    F("paper", "ref:paper", "llmkg:introducedIn", doc="the paper that introduced the model"),
    F("orkg contribution", "orkg-id", "llmkg:orkgId", doc="ORKG contribution id (on the Contribution)"),
    # the awesome-llms / ORKG comparison properties, in the order of the ORKG comparison
    F("model family", "texts", "llmkg:modelFamily", "model family"),
    F("date created", "date", "dcterms:created", "date created"),
    F("organization", "refs:organization", "llmkg:organization", "organization"),
    F("innovation", "text", "llmkg:innovation", "innovation"),
    F("pretraining architecture", "concepts:architectures", "llmkg:architecture", "pretraining architecture"),
    F("pretraining task", "texts", "llmkg:pretrainingTask", "pretraining task"),
    F("fine-tuning task", "texts", "llmkg:fineTuningTask", "fine-tuning task"),
    F("training corpus", "texts", "llmkg:trainingCorpus", "training corpus"),
    F("optimizer", "texts", "llmkg:optimizer", "optimizer"),
    F("tokenization", "texts", "llmkg:tokenization", "tokenization"),
    F("number of parameters", "params", "llmkg:parameterCountText", "number of parameters"),
    F("maximum number of parameters (in million)", "millions", "llmkg:declaredMaximumParameterCount",
      "maximum number of parameters (in million)"),
    F("hardware used", "texts", "llmkg:hardwareUsed", "hardware used"),
    F("hardware information", "texts", "llmkg:hardwareInformation", "hardware information"),
    F("extension", "texts", "llmkg:extension", "extension"),
    F("application", "texts", "llmkg:application", "application"),
    F("has source code", "urls", "llmkg:sourceCode", "has source code"),
    F("blog post", "urls", "llmkg:blogPost", "blog post"),
    F("license", "concepts:licenses", "llmkg:license", "license"),
    F("research problem", "problems", "orkgp:P32", "research problem"),
    # the awesome-huge-models keys
    F("field", "texts", "llmkg:field", doc="area: Language, Vision, Speech, ..."),
    F("access", "access", "llmkg:accessLevel", doc="open / limited / closed, as the source flags it"),
    F("release", "url", "llmkg:releaseLink", doc="where the open release (weights or code) is"),
    F("homepage", "url", "foaf:page", doc="the model's announcement or home page"),
    F("architecture", "concepts:architectures", "llmkg:architecture", doc="architecture codes (De, En-De, MoE...)"),
    F("objective", "texts", "llmkg:objective", doc="pretraining objective codes (MLM, LTR...)"),
    F("training data", "texts", "llmkg:trainingData", doc="training data size and corpus"),
    F("training compute (petaFLOPs)", "number", "llmkg:trainingPetaFLOPs"),
    F("training cost", "texts", "llmkg:trainingCost"),
    F("training time", "texts", "llmkg:trainingTime"),
    F("training power consumption", "texts", "llmkg:trainingPowerConsumption"),
    F("training framework", "texts", "llmkg:trainingFramework"),
    F("context length", "integer", "llmkg:contextLength"),
    F("instruction-tuned variants", "texts", "llmkg:instructionTunedVariant"),
    F("image encoder", "texts", "llmkg:imageEncoder"),
    F("text encoder", "texts", "llmkg:textEncoder"),
    F("image decoder", "texts", "llmkg:imageDecoder"),
    F("text encoder & image decoder", "texts", "llmkg:textEncoderAndImageDecoder"),
    F("fusion", "texts", "llmkg:fusion"),
    F("resolution", "texts", "llmkg:resolution"),
    F("programming language", "texts", "llmkg:programmingLanguage"),
    F("generation", "texts", "llmkg:generationModality"),
    F("core operator", "texts", "llmkg:coreOperator"),
    F("embeddings params", "params", "llmkg:embeddingParameterCountText"),
    F("note", "text", "skos:note", doc="curator's note about this source's statements"),
]

# --- keys inside a paper's per-source statements block ---------------------------------
PAPER_FIELDS: list[Field] = [
    F("title", "text", "dcterms:title", "Title"),
    F("authors", "texts", "llmkg:authorList", doc="author names as the source gives them"),
    F("organization", "refs:organization", "llmkg:organization"),
    F("year", "integer", "orkgp:P29", "publication year"),
    F("month", "integer", "orkgp:P28", "publication month"),
    F("venue", "text", "llmkg:venue", "venue"),
    F("url", "url", "schema:url", "url"),
    F("note", "text", "skos:note"),
]

ORGANIZATION_FIELDS: list[Field] = [
    F("name", "text", "llmkg:nameInSource"),
    F("url", "url", "foaf:page"),
    F("note", "text", "skos:note"),
]

SOURCE_BLOCK_FIELDS: dict[str, list[Field]] = {
    "model": MODEL_FIELDS,
    "paper": PAPER_FIELDS,
    "organization": ORGANIZATION_FIELDS,
    "reading-list": [],
    "source": [],
}

# keys of one entry in a reading list's sections
SECTION_FIELDS = [F("title", "text", "dcterms:title"), F("note", "text", "skos:note"),
                  F("papers", "-", "-")]
SECTION_ENTRY_FIELDS = [
    F("paper", "ref:paper", "llmkg:paper"),
    F("label", "text", "rdfs:label", doc="how the list names the entry, e.g. 'GPT-1 (Radford et al., 2018)'"),
    F("note", "text", "skos:note", doc="the list's one-line summary of the paper"),
]


# keys of one curated resolution (``curated: {KEY: {value: ..., reason: ..., see: ...}}``)
RESOLUTION_FIELDS = [
    F("value", "-", "rdf:value", doc="the preferred value, written as a source block writes that key"),
    F("reason", "text", "llmkg:reason", doc="what the evidence is (required)"),
    F("see", "urls", "rdfs:seeAlso", doc="where the evidence can be read"),
]


def field_map(fields: list[Field]) -> dict[str, Field]:
    return {f.key: f for f in fields}


TOP = {kind: field_map(fs) for kind, fs in TOP_FIELDS.items()}
BLOCK = {kind: field_map(fs) for kind, fs in SOURCE_BLOCK_FIELDS.items()}

# The columns of the ORKG comparison of LLMs (awesome-llms records), in their order.
ORKG_COMPARISON_COLUMNS = [
    "Title", "has model", "model family", "date created", "organization", "innovation",
    "pretraining architecture", "pretraining task", "fine-tuning task", "training corpus",
    "optimizer", "tokenization", "number of parameters",
    "maximum number of parameters (in million)", "hardware used", "hardware information",
    "extension", "application", "has source code", "blog post", "license", "research problem",
]
