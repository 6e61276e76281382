"""Parameters: raw strings (``{"min_params": "100B"}``) to typed RDF terms, checked against
the declared types of a canned query (never pasted into the query text: they are bound).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Mapping

from pyoxigraph import (Literal, NamedNode, Variable)

from ..errors import QueryError
from ..vocab import XSD, iri_from_text

from .result import Term

if TYPE_CHECKING:
    from .registry import CannedQuery, Param

_XSD_INTEGER = NamedNode(XSD + "integer")
_XSD_DECIMAL = NamedNode(XSD + "decimal")
_XSD_DATE = NamedNode(XSD + "date")
_XSD_BOOLEAN = NamedNode(XSD + "boolean")



# =========================================================================================
# Parameters
# =========================================================================================

_SUFFIX = {"k": 10**3, "m": 10**6, "b": 10**9, "g": 10**9, "t": 10**12}
_INT_RE = re.compile(r"^([+-]?)(\d+(?:\.\d+)?)\s*([kKmMbBgGtT]?)$")
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


# Oxigraph's xsd:integer is a signed 64-bit integer
_INT_LIMIT = 2 ** 63 - 1


def parse_param_value(param: Param, raw: str) -> Term:
    """The typed RDF term for ``raw`` (a string from the command line or a web form).

    * ``iri``: an absolute IRI, ``<IRI>``, or a prefixed name of ours (``res:model/gpt-3``)
    * ``string``: any text (a plain ``xsd:string`` literal)
    * ``integer``: digits, optionally with a k/M/B/T suffix (``175B`` = 175000000000)
    * ``decimal``: a decimal number
    * ``date``: ``YYYY-MM-DD`` (``xsd:date``)
    * ``year``: four digits (an ``xsd:integer``, to compare with ``YEAR(?date)``)
    * ``boolean``: ``true``/``false`` (also ``yes``/``no``, ``1``/``0``)
    """
    if not isinstance(raw, str):
        raw = str(raw)
    value = raw.strip()
    t = param.type

    def bad(expected: str) -> QueryError:
        shown = raw if len(raw) <= 80 else raw[:60] + f"... ({len(raw)} characters)"
        return QueryError(f"parameter {param.name!r} must be {expected}, not {shown!r}")

    if t == "string":
        return Literal(raw)
    if t == "iri":
        iri = iri_from_text(value)
        if iri is None:
            raise bad("an IRI (https://..., or a prefixed name such as res:model/gpt-3)")
        try:
            return NamedNode(iri)
        except ValueError:
            raise bad("an IRI (https://..., or a prefixed name such as res:model/gpt-3)") from None
    if t == "integer":
        m = _INT_RE.match(value.replace("_", "").replace(",", ""))
        if not m:
            raise bad("an integer (digits, optionally with a k/M/B/T suffix: 100B)")
        sign, digits, suffix = m.groups()
        if len(digits) > 24:   # far beyond what the store's integers hold (64 bits)
            raise bad(f"an integer of at most {_INT_LIMIT} in magnitude")
        n = Decimal(digits) * _SUFFIX.get(suffix.lower(), 1) if suffix else Decimal(digits)
        if n != n.to_integral_value():
            raise bad("an integer (digits, optionally with a k/M/B/T suffix: 100B)")
        if abs(n) > _INT_LIMIT:
            raise bad(f"an integer of at most {_INT_LIMIT} in magnitude")
        return Literal(f"{'-' if sign == '-' else ''}{int(n)}", datatype=_XSD_INTEGER)
    if t == "decimal":
        try:
            d = Decimal(value)
        except InvalidOperation:
            raise bad("a decimal number") from None
        if not d.is_finite():
            raise bad("a decimal number")
        text = format(d, "f")
        if "." not in text:
            text += ".0"
        return Literal(text, datatype=_XSD_DECIMAL)
    if t == "date":
        try:
            d = date.fromisoformat(value)
            if len(value) != 10:
                raise ValueError
        except ValueError:
            raise bad("a date YYYY-MM-DD") from None
        return Literal(d.isoformat(), datatype=_XSD_DATE)
    if t == "year":
        if not re.fullmatch(r"\d{4}", value):
            raise bad("a year (four digits)")
        return Literal(str(int(value)), datatype=_XSD_INTEGER)
    if t == "boolean":
        v = value.lower()
        if v in ("true", "yes", "1", "on"):
            return Literal("true", datatype=_XSD_BOOLEAN)
        if v in ("false", "no", "0", "off"):
            return Literal("false", datatype=_XSD_BOOLEAN)
        raise bad("a boolean (true or false)")
    raise QueryError(f"parameter {param.name!r} has an unknown type {t!r}")  # pragma: no cover


def bind(query: CannedQuery, raw: Mapping[str, str] | None = None) -> dict[Variable, Term]:
    """Typed terms for ``raw`` parameter strings, defaults filled in.

    Unknown names, missing required parameters and ill-typed values raise
    :class:`QueryError` naming the parameter. Empty strings count as not given.
    The result goes to :func:`execute` as ``substitutions``.
    """
    raw = dict(raw or {})
    known = {p.name for p in query.params}
    unknown = sorted(k for k in raw if k not in known)
    if unknown:
        if known:
            hint = "its parameters: " + ", ".join(f"{p.name} ({p.type})" for p in query.params)
        else:
            hint = "it takes no parameters"
        raise QueryError(f"query {query.name!r} has no parameter {unknown[0]!r}; {hint}")
    out: dict[Variable, Term] = {}
    for p in query.params:
        value = raw.get(p.name)
        if value is None or (isinstance(value, str) and value.strip() == "" and p.type != "string") \
                or value == "":
            value = p.default
        if value is None:
            if p.required:
                raise QueryError(f"query {query.name!r} needs the parameter {p.name!r} ({p.type}): "
                                 f"{p.description or 'no description'}")
            continue
        out[Variable(p.name)] = parse_param_value(p, value)
    return out
