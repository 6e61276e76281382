"""Content negotiation: the ``Accept`` header (or a ``format`` parameter) to a format name.

Format names are those of :mod:`llmkg.queries` (``json xml csv tsv`` for SELECT/ASK,
``turtle ntriples jsonld rdfxml`` for graphs), plus ``html`` for pages.
"""

from __future__ import annotations

from ..queries import MEDIA_TYPES

# media type -> format, per kind of result; the first format of each list is the default
RESULT_TYPES = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/xml": "xml",
    "text/xml": "xml",
}
GRAPH_TYPES = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/n-triples": "ntriples",
    "text/plain": "ntriples",
    "application/ld+json": "jsonld",
    "application/json": "jsonld",
    "application/rdf+xml": "rdfxml",
    "application/xml": "rdfxml",
    "text/xml": "rdfxml",
}
RESULT_DEFAULT = "json"
GRAPH_DEFAULT = "turtle"
FORMAT_ALIASES = {
    "json": "json", "srj": "json", "xml": "xml", "srx": "xml", "csv": "csv", "tsv": "tsv",
    "turtle": "turtle", "ttl": "turtle", "ntriples": "ntriples", "nt": "ntriples",
    "n-triples": "ntriples", "jsonld": "jsonld", "json-ld": "jsonld", "rdfxml": "rdfxml",
    "rdf": "rdfxml", "owl": "rdfxml", "rdf+xml": "rdfxml", "n3": "turtle", "html": "html",
}
# a result format asked for a graph, or the other way round: the nearest one
FOR_GRAPH = {"json": "jsonld", "xml": "rdfxml"}
FOR_RESULTS = {"jsonld": "json", "rdfxml": "xml"}
RESULT_FORMATS = ("json", "xml", "csv", "tsv")
GRAPH_FORMATS = ("turtle", "ntriples", "jsonld", "rdfxml")


def media_type(fmt: str) -> str:
    if fmt == "html":
        return "text/html; charset=utf-8"
    return MEDIA_TYPES[fmt]


def parse_accept(header: str | None) -> list[tuple[str, float, int]]:
    """``[(media range, q, order)]``, best first (q, then specificity, then order given)."""
    if not header:
        return [("*/*", 1.0, 0)]
    out = []
    for i, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        mr = fields[0].lower()
        if not mr:
            continue
        if "/" not in mr:
            mr = "*/*" if mr == "*" else mr + "/*"
        q = 1.0
        for f in fields[1:]:
            k, _, v = f.partition("=")
            if k.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(v)))
                except ValueError:
                    q = 0.0
        out.append((mr, q, i))

    def specificity(mr: str) -> int:
        return 0 if mr == "*/*" else 1 if mr.endswith("/*") else 2

    out.sort(key=lambda x: (-x[1], -specificity(x[0]), x[2]))
    return out


def _matches(mr: str, mt: str) -> bool:
    if mr == "*/*":
        return True
    if mr.endswith("/*"):
        return mt.split("/")[0] == mr[:-2]
    return mr == mt


def choose(accept: str | None, offers: list[tuple[str, str]]) -> str | None:
    """The format of the best ``(media type, format)`` offer for ``accept``; ``None``: 406.

    Among ranges of equal q, a more specific one wins; among offers matching the same range,
    the first offer (the server's preference) wins.
    """
    ranges = parse_accept(accept)
    best: tuple[float, int, int, str] | None = None
    for idx, (mt, fmt) in enumerate(offers):
        # the q of the most specific range that matches this offer
        q, spec = None, -1
        for mr, rq, _ in ranges:
            s = 0 if mr == "*/*" else 1 if mr.endswith("/*") else 2
            if _matches(mr, mt) and s > spec:
                q, spec = rq, s
        if q is None or q <= 0:
            continue
        key = (q, spec, -idx, fmt)
        if best is None or key[:3] > best[:3]:
            best = key
    return best[3] if best else None


def offers_for(form: str | None, html: bool = False) -> list[tuple[str, str]]:
    types = GRAPH_TYPES if form in ("CONSTRUCT", "DESCRIBE") else RESULT_TYPES
    offers = list(types.items())
    if html:
        offers.append(("text/html", "html"))
        offers.append(("application/xhtml+xml", "html"))
    return offers


def format_param(value: str | None) -> str | None:
    """A ``format=`` value (a name such as ``csv`` or a media type) to a format name."""
    if not value:
        return None
    v = value.strip().lower()
    if v in FORMAT_ALIASES:
        return FORMAT_ALIASES[v]
    v = v.split(";")[0].strip()
    return RESULT_TYPES.get(v) or GRAPH_TYPES.get(v) or ("html" if v == "text/html" else None)
