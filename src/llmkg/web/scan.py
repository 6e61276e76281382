"""The SPARQL tokenizer and checks of the endpoint: they live in :mod:`llmkg.sparqlscan`
(shared with :mod:`llmkg.queries`); this name is kept for the web modules and their tests.

:func:`scan` is :func:`llmkg.sparqlscan.scan` with its common case (no rare keyword in the
text: only the query form is needed) found by one regex search instead of a loop over
the keywords: the endpoint scans every query it receives.
"""

import re

from ..sparqlscan import (PLAIN, QUERY_FORMS, UPDATE_KEYWORDS, VOLATILE, Scan, Tok, add_using,
                          has_dataset, query_form, significant, strip_services, tokens)
from ..sparqlscan import scan as _scan

try:
    from ..sparqlscan import _RARE   # the words whose absence lets sparqlscan.scan skip tokenizing
    _RARE_RE: "re.Pattern | None" = re.compile("|".join(map(re.escape, _RARE)))
except ImportError:  # pragma: no cover - sparqlscan changed: no shortcut
    _RARE_RE = None


def scan(text: str) -> Scan:
    """What the endpoint needs to know about a query or update (see :class:`Scan`)."""
    if _RARE_RE is not None and _RARE_RE.search(text.upper()) is None:   # the test of sparqlscan.scan, in one search
        return PLAIN[query_form(text)]
    return _scan(text)


__all__ = ["QUERY_FORMS", "UPDATE_KEYWORDS", "VOLATILE", "Scan", "Tok", "add_using", "has_dataset",
           "query_form", "scan", "significant", "strip_services", "tokens"]
