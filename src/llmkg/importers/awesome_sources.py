"""What the importer knows of the two awesome lists (awesome-llms by J. D'Souza, CC BY-SA
4.0; awesome-huge-models): their parts and sections, and how their keys map to ours.
"""

from __future__ import annotations

import re
from typing import Any


from ..records.schema import MODEL_FIELDS, ORKG_COMPARISON_COLUMNS, PAPER_FIELDS


AWESOME_LLMS = "awesome-llms"
AWESOME_HUGE_MODELS = "awesome-huge-models"

# --- the sources this importer knows --------------------------------------------------
# Written to data/sources/<id>.yaml when that file does not exist yet (never overwritten).
KNOWN_SOURCES: dict[str, dict[str, Any]] = {
    AWESOME_LLMS: {
        "comment": (
            "awesome-LLMs: ORKG-style structured summaries of LLMs. The README states\n"
            "\"This work is licensed under a Creative Commons Attribution-ShareAlike 4.0\n"
            "International License\"; author, DOI and version from its CITATION.cff.\n"
            "Records derived from it (sources.awesome-llms blocks) are shared under CC BY-SA 4.0."
        ),
        "title": "awesome-LLMs",
        "author": "Jennifer D'Souza",
        "url": "https://github.com/jd-coderepos/llms",
        "license": "CC-BY-SA-4.0",
        "attribution": ("awesome-LLMs by Jennifer D'Souza (https://github.com/jd-coderepos/llms), "
                        "licensed under CC BY-SA 4.0"),
        "citation": ("D'Souza, Jennifer. awesome LLMs (version 1.0.0), 2023. "
                     "https://doi.org/10.5281/zenodo.8321802"),
        "doi": "10.5281/zenodo.8321802",
    },
    AWESOME_HUGE_MODELS: {
        "comment": (
            "awesome-huge-models: the copy states no license (its only license mark is an\n"
            "MIT badge inside an HTML comment, which grants nothing) and names no author or\n"
            "repository. The author below is the owner of the GitHub repository the list is\n"
            "published in (zhengzangw/awesome-huge-models), not a name given in the text.\n"
            "NOASSERTION is SPDX's value for \"no license information\"."
        ),
        "title": "awesome-huge-models",
        "author": "zhengzangw",
        "url": "https://github.com/zhengzangw/awesome-huge-models",
        "license": "NOASSERTION",
        "attribution": ("awesome-huge-models (https://github.com/zhengzangw/awesome-huge-models); "
                        "no license stated"),
        "citation": ("awesome-huge-models: A collection of AWESOME things about HUGE AI models. "
                     "https://github.com/zhengzangw/awesome-huge-models"),
    },
}

# The part (level-2 heading) and sections that hold models, per source, and the parts that
# are known not to (their entries are ignored without a problem).
LLMS_MODEL_PART = "Organizations"
LLMS_OTHER_PARTS = ("Table of Contents", "Contents", "How to Contribute",
                    "Exporting into a structured format", "License")
HUGE_MODEL_SECTIONS = ("Language Model", "Vision Models", "Reinforcement Learning", "Speech",
                       "Science")
HUGE_OTHER_PARTS = ("Contents", "Survey", "Open LLM Training Dataset",
                    "Distributed Training Framework", "Keys Explanations")

# --- keys -----------------------------------------------------------------------------
_MODEL_KEYS = [f.key for f in MODEL_FIELDS]
_PAPER_KEYS = [f.key for f in PAPER_FIELDS]

# awesome-LLMs keys are the ORKG comparison columns; ``Title`` goes to the paper and
# ``has model`` (older copies) names the model.
LLMS_KEYS: dict[str, str] = {k.lower(): k for k in ORKG_COMPARISON_COLUMNS}
LLMS_KEYS["title"] = "title"

# awesome-huge-models keys (lower case, "-" as space) -> our keys, typos included.
HUGE_KEYS: dict[str, str] = {
    "field": "field",
    "params": "number of parameters",
    "training data": "training data",
    "license": "license",
    "context": "context length",
    "context length": "context length",
    "architecture": "architecture",
    "achitecture": "architecture",
    "architecutre": "architecture",
    "objective": "objective",
    "obective": "objective",
    "training cost": "training cost",
    "training time": "training time",
    "training power consumption": "training power consumption",
    "training framework": "training framework",
    "training petaflops": "training compute (petaFLOPs)",
    "instruction tuned variants": "instruction-tuned variants",
    "programming language": "programming language",
    "core operator": "core operator",
    "text encoder": "text encoder",
    "image encoder": "image encoder",
    "image decoder": "image decoder",
    "text encoder & image decoder": "text encoder & image decoder",
    "fusion": "fusion",
    "resolution": "resolution",
    "generation": "generation",
    "generatioon": "generation",
    "embeddings params": "embeddings params",
}

# Values the source means as lists (split on ", " outside parentheses). Everything else is
# one string, whatever commas it contains (training corpus, innovation, ...).
URL_LIST_KEYS = {"has source code", "blog post"}
LIST_KEYS = {
    AWESOME_LLMS: URL_LIST_KEYS | {"research problem"},
    AWESOME_HUGE_MODELS: {"architecture", "objective", "field", "generation", "license"},
}

# Organization tags that name no organization; the model block gets a note instead.
NOT_ORGANIZATIONS = {"personal": "an individual's project"}


def _huge_key(key: str) -> str:
    return re.sub(r"\s+", " ", key.lower().replace("-", " ").replace("_", " ")).strip()


def _split_items(value: str) -> list[str]:
    """Split on commas followed by white space, but not inside parentheses or brackets."""
    items, depth, cur = [], 0, []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}" and depth:
            depth -= 1
        if ch == "," and depth == 0 and i + 1 < len(value) and value[i + 1].isspace():
            items.append("".join(cur).strip())
            cur = []
            i += 1
            continue
        cur.append(ch)
        i += 1
    items.append("".join(cur).strip())
    return [x for x in items if x]


def _split_orgs(text: str) -> list[str]:
    """``"Google, and CMU"`` -> ``["Google", "CMU"]``."""
    parts = re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", text.strip())
    return [p.strip() for p in parts if p.strip() and p.strip().lower() not in ("etc.", "etc")]
