"""The SPARQL tokenizer and checks of the endpoint: they live in :mod:`llmkg.sparqlscan`
(shared with :mod:`llmkg.queries`); this name is kept for the web modules and their tests.
"""

from ..sparqlscan import (QUERY_FORMS, UPDATE_KEYWORDS, VOLATILE, Scan, Tok, add_using, has_dataset,
                          query_form, scan, significant, strip_services, tokens)

__all__ = ["QUERY_FORMS", "UPDATE_KEYWORDS", "VOLATILE", "Scan", "Tok", "add_using", "has_dataset",
           "query_form", "scan", "significant", "strip_services", "tokens"]
