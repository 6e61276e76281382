"""The parameters of the fast ``llmkg query`` (:mod:`llmkg.fastcli`), compiled only for the
queries that have some: a header's ``param:`` line (:func:`llmkg.queries._parse_param`),
:func:`llmkg.queries.bind` and :func:`llmkg.queries.parse_param_value`. A parameter is
``(name, type, default, required)``; any error gives up (the click CLI reports it).
"""

from __future__ import annotations

import re

from pyoxigraph import Literal, NamedNode, Variable

from .fastcli import GiveUp, split, var_name

_XSD = "http://www.w3.org/2001/XMLSchema#"


def parse_param(value):
    tokens = split(value)
    if len(tokens) < 2:
        raise GiveUp
    name, ptype = tokens[0], tokens[1].lower()
    if not var_name(name) or ptype not in ("iri", "string", "integer", "decimal", "date", "year", "boolean"):
        raise GiveUp
    default, required, described = None, False, False
    for tok in tokens[2:]:
        if tok == "required" and default is None and not described:
            required = True
        elif tok == "optional" and default is None and not required and not described:
            pass
        elif tok.startswith("default=") and default is None and not required and not described:
            default = tok[len("default="):]
        else:
            described = True
    p = (name, ptype, default, required)
    if default is not None:
        param_value(p, default)
    return p


def bind(params, given):
    """The substitutions for ``given`` [(name, raw value)] (``-p NAME VALUE``, in order)."""
    raw = {}
    for name, value in given:
        if name in raw or name not in {p[0] for p in params}:
            raise GiveUp
        raw[name] = value
    out = {}
    for p in params:
        value = raw.get(p[0])
        if value is None or (value.strip() == "" and p[1] != "string") or value == "":
            value = p[2]
        if value is None:
            if p[3]:
                raise GiveUp
            continue
        out[Variable(p[0])] = param_value(p, value)
    return out


def param_value(param, raw):
    value = raw.strip()
    t = param[1]
    if t == "string":
        return Literal(raw)
    if t == "iri":
        from .vocab import iri_from_text

        iri = iri_from_text(value)
        if iri is None:
            raise GiveUp
        return NamedNode(iri)
    if t == "year":
        if not re.fullmatch(r"\d{4}", value):
            raise GiveUp
        return Literal(str(int(value)), datatype=NamedNode(_XSD + "integer"))
    if t == "integer":
        m = re.match(r"^([+-]?)(\d+(?:\.\d+)?)\s*([kKmMbBgGtT]?)$", value.replace("_", "").replace(",", ""))
        if not m:
            raise GiveUp
        sign, digits, suffix = m.groups()
        if len(digits) > 18:   # large or out of range: llmkg.queries says which
            raise GiveUp
        mult = {"k": 10**3, "m": 10**6, "b": 10**9, "g": 10**9, "t": 10**12}.get(suffix.lower(), 1)
        n = None
        if digits.isascii() and digits.isdigit():
            n = int(digits) * mult
            if len(str(n)) > 28:   # beyond Decimal's precision: its (rounded) answer
                n = None
        if n is None:
            from decimal import Decimal

            d = Decimal(digits) * mult if suffix else Decimal(digits)
            if d != d.to_integral_value():
                raise GiveUp
            n = int(d)
        if n > 2 ** 63 - 1:   # out of range: llmkg.queries says so
            raise GiveUp
        return Literal(f"{'-' if sign == '-' else ''}{n}", datatype=NamedNode(_XSD + "integer"))
    if t == "decimal":
        from decimal import Decimal

        d = Decimal(value)
        if not d.is_finite():
            raise GiveUp
        text = format(d, "f")
        if "." not in text:
            text += ".0"
        return Literal(text, datatype=NamedNode(_XSD + "decimal"))
    if t == "date":
        from datetime import date

        d = date.fromisoformat(value)
        if len(value) != 10:
            raise GiveUp
        return Literal(d.isoformat(), datatype=NamedNode(_XSD + "date"))
    if t == "boolean":
        v = value.lower()
        if v in ("true", "yes", "1", "on"):
            return Literal("true", datatype=NamedNode(_XSD + "boolean"))
        if v in ("false", "no", "0", "off"):
            return Literal("false", datatype=NamedNode(_XSD + "boolean"))
    raise GiveUp
