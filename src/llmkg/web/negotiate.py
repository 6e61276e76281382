"""Content negotiation: the ``Accept`` header (or a ``format`` parameter) to a format name.

Format names are those of :mod:`llmkg.query.formats` (``json xml csv tsv`` for SELECT/ASK,
``turtle ntriples jsonld rdfxml`` for graphs), plus ``html`` for pages; the media types
that ask for each are defined there, once.
"""

from __future__ import annotations

from ..query import MEDIA_TYPES

from ..query.formats import FORMAT_ALIASES, GRAPH_TYPES, RESULT_TYPES


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


# an entity, the ontology, the service description: a graph, or its page
LD_OFFERS = offers_for("CONSTRUCT", html=True)
