"""Namespaces and terms: ours, ORKG's and the standard vocabularies.

Only plain strings here (no rdflib, no pyoxigraph), so that any module can import it at no
cost. ``expand("dcterms:created")`` gives the full IRI.
"""

from __future__ import annotations

import re

LLMKG = "https://w3id.org/llmkg/ontology#"
DEFAULT_BASE = "https://w3id.org/llmkg/resource/"
GRAPH = "https://w3id.org/llmkg/graph/"
ONTOLOGY_IRI = "https://w3id.org/llmkg/ontology"

PREFIXES: dict[str, str] = {
    "llmkg": LLMKG,
    "res": DEFAULT_BASE,
    "graph": GRAPH,
    "orkgc": "http://orkg.org/orkg/class/",
    "orkgp": "http://orkg.org/orkg/predicate/",
    "orkgr": "http://orkg.org/orkg/resource/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "schema": "https://schema.org/",
    "prov": "http://www.w3.org/ns/prov#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "sh": "http://www.w3.org/ns/shacl#",
    "spdx": "http://spdx.org/licenses/",
}
# one prefix per kind of record, so that what llmkg prints (model:gpt-3) pastes back into a
# query: a prefixed name cannot hold "/" (res:model/gpt-3 is not SPARQL)
KIND_PREFIXES: dict[str, str] = {"model": "model/", "paper": "paper/", "org": "organization/",
                                 "list": "reading-list/", "source": "source/", "problem": "problem/",
                                 "arch": "architecture/", "corpus": "corpus/", "license": "license/"}
PREFIXES.update({p: DEFAULT_BASE + path for p, path in KIND_PREFIXES.items()})

RDF_TYPE = PREFIXES["rdf"] + "type"
RDFS_LABEL = PREFIXES["rdfs"] + "label"
XSD = PREFIXES["xsd"]

CURATED_GRAPH = GRAPH + "curated"
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
ONTOLOGY_GRAPH = GRAPH + "ontology"
RESOLUTIONS_ID = "resolutions"        # the values of the curated resolutions (not a source id)
RESOLUTIONS_GRAPH = GRAPH + RESOLUTIONS_ID


def expand(name: str) -> str:
    """``"dcterms:created"`` -> ``"http://purl.org/dc/terms/created"``; full IRIs pass through.

    >>> expand("schema:name")
    'https://schema.org/name'
    """
    if "://" in name:
        return name
    prefix, _, local = name.partition(":")
    try:
        return PREFIXES[prefix] + local
    except KeyError:
        raise ValueError(f"unknown prefix in {name!r}") from None


# a SPARQL/Turtle PN_LOCAL without escapes (letters, digits, "_", "-", ".", ":"; no "/")
# (written as the characters it excludes: the same set, compiled in 1 ms instead of 12, which
# every command paid at start)
_PN_LOCAL = re.compile(r"[^\x00-\x2F\x3B-\x40\x5B-\x5E\x60\x7B-\xBF\U00010000-\U0010FFFF]"
                       r"(?:[^\x00-\x2C\x2F\x3B-\x40\x5B-\x5E\x60\x7B-\xB6\xB8-\xBF\U00010000-\U0010FFFF]*"
                       r"[^\x00-\x2C\x2E\x2F\x3B-\x40\x5B-\x5E\x60\x7B-\xB6\xB8-\xBF\U00010000-\U0010FFFF])?")


def shorten(iri: str, prefixes: dict[str, str] | None = None) -> str:
    """The shortest prefixed name for ``iri`` that is valid SPARQL and Turtle (it pastes
    back into a query: ``model:gpt-3``), or the IRI in angle brackets.

    >>> shorten("https://schema.org/name")
    'schema:name'
    >>> shorten("http://schema.org/name")  # FAIR4ML's http: schema.org is another namespace
    '<http://schema.org/name>'
    """
    best = None
    for prefix, ns in (prefixes or PREFIXES).items():
        if iri.startswith(ns) and _PN_LOCAL.fullmatch(iri[len(ns):]) and (best is None or len(ns) > len(best[1])):
            best = (prefix, ns)
    if best is None:
        return f"<{iri}>"
    return f"{best[0]}:{iri[len(best[1]):]}"


def iri_from_text(value: str) -> str | None:
    """The IRI a user typed (``<...>``, an absolute IRI, or a prefixed name of ours such as
    ``res:model/gpt-3``), or None when it is not one (no scheme, or a character an IRI
    cannot hold)."""
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    prefix, colon, local = value.partition(":")
    if colon and prefix in PREFIXES and not local.startswith("//"):
        value = PREFIXES[prefix] + local
    if _SCHEME.match(value) is None or any(c in value for c in ' <>"{}|^`\\'):
        return None
    return value


def graph_iri(source_id: str) -> str:
    return GRAPH + source_id


def sparql_prefixes(names: list[str] | None = None) -> str:
    """PREFIX declarations for queries (all of ours by default)."""
    items = PREFIXES.items() if names is None else ((n, PREFIXES[n]) for n in names)
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in items)
