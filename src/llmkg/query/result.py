"""The materialized result of a query (:class:`QueryResult`) and how a term reads as text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from pyoxigraph import (BlankNode, Literal, NamedNode, Triple)

from ..vocab import shorten

Term = Any  # NamedNode | BlankNode | Literal | Triple


@dataclass
class QueryResult:
    """The materialized result of a query.

    SELECT: ``variables`` and ``rows`` (tuples of terms, ``None`` = unbound).
    ASK: ``boolean``. CONSTRUCT/DESCRIBE: ``triples``.
    ``titles`` maps variables to column titles (table, csv, tsv, markdown headers).
    ``truncated`` is true when ``max_rows`` cut the result.
    """

    form: str
    variables: tuple[str, ...] = ()
    rows: list[tuple[Term | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[Triple] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)
    truncated: bool = False
    elapsed: float = 0.0

    @property
    def is_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")

    def column_titles(self) -> list[str]:
        return [self.titles.get(v, v) for v in self.variables]

    def records(self) -> list[dict[str, Term | None]]:
        """The rows as ``{variable: term}`` dicts."""
        return [dict(zip(self.variables, r)) for r in self.rows]

    def values(self) -> list[tuple[str | None, ...]]:
        """The rows as plain strings (IRI or lexical form; None = unbound), for tests and UIs."""
        return [tuple(None if t is None else term_text(t, short=False) for t in r) for r in self.rows]

    def __len__(self) -> int:
        if self.form == "SELECT":
            return len(self.rows)
        if self.form == "ASK":
            return 1
        return len(self.triples)



def term_text(term, short: bool = True, prefixes: Mapping[str, str] | None = None) -> str:
    """How a cell shows a term: a short IRI (``res:model/gpt-3``) or the full IRI, the
    lexical form of a literal, ``_:id`` for a blank node, ``""`` for unbound."""
    if term is None:
        return ""
    if isinstance(term, NamedNode):
        if short:
            s = shorten(term.value, dict(prefixes) if prefixes else None)
            return s[1:-1] if s.startswith("<") else s
        return term.value
    if isinstance(term, Literal):
        return term.value
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    if isinstance(term, Triple):
        return "<< " + " ".join(term_text(x, short, prefixes) for x in
                                (term.subject, term.predicate, term.object)) + " >>"
    return str(term)

