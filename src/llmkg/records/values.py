"""Parsers that turn the text of a record into typed values.

Every parser is a pure function of its input. They never raise for bad text: they return
what they could read, and the mapping keeps the original beside it so nothing is lost.
They import nothing heavier than ``re`` and ``decimal`` (no rdflib, no pyoxigraph) and
cache their results, since a build calls them for every value of every record.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

_SLUG_RUN = re.compile(r"[^a-z0-9]+")
_GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "μ": "mu", "π": "pi"}


@lru_cache(maxsize=1 << 16)
def slugify(text: str, max_length: int | None = None) -> str:
    """A stable id from free text: ``"DALL·E 2"`` -> ``"dall-e-2"``.

    NFKD-normalizes, drops non-ASCII, lower-cases and turns every run of other characters
    into one hyphen. With ``max_length`` the slug is cut at the last hyphen that keeps it
    within the limit (a single over-long word is cut hard).

    >>> slugify("GPT-3 (175B)")
    'gpt-3-175b'
    """
    text = unicodedata.normalize("NFKD", text).replace("·", " ")
    text = "".join(_GREEK.get(ch, ch) for ch in text)
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    slug = _SLUG_RUN.sub("-", text).strip("-")
    if max_length and len(slug) > max_length:
        cut = slug[: max_length + 1]
        slug = cut[: cut.rfind("-")] if "-" in cut else slug[:max_length]
        slug = slug.strip("-")
    return slug


def paper_id(title: str) -> str:
    """The id of a paper record: its title's slug, cut to 60 characters at a hyphen.

    >>> paper_id("Attention Is All You Need")
    'attention-is-all-you-need'
    """
    return slugify(title, 60)


# --- dates -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ParsedDate:
    """A date as the graph types it.

    ``value`` is the canonical lexical form of ``datatype`` (``xsd:date``, ``xsd:gYearMonth``
    or ``xsd:gYear``, by the precision written: ``2023-03-14``, ``2023-03``, ``2023``). When
    the text cannot be read, ``ok`` is False, ``datatype`` is ``"date"`` and ``value`` is the
    text itself, so the mapping emits an ill-typed ``xsd:date`` literal that SHACL reports.
    """

    value: str
    datatype: str  # "date" | "gYearMonth" | "gYear"
    ok: bool


_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4,
    "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11,
    "dec": 12, "december": 12,
}
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_ISO_MONTH = re.compile(r"(\d{4})[-.](\d{1,2})")        # 2023-03; 2023.06 as in "[2023.06]"
_YEAR = re.compile(r"\d{4}")
_MONTH_YEAR = re.compile(r"([A-Za-z]+)\.?\s+(\d{4})")    # Mar. 2023, March 2023, Sept. 2021, Jun 2019
_MONTH_DAY_YEAR = re.compile(r"([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})")   # March 14, 2023
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})")   # 14 March 2023


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _ymd(year: int, month: int | None, day: int) -> ParsedDate | None:
    if month is not None and 1 <= month <= 12 and 1 <= day <= _days_in_month(year, month):
        return ParsedDate(f"{year:04d}-{month:02d}-{day:02d}", "date", True)
    return None


@lru_cache(maxsize=4096)
def parse_date(text: str) -> ParsedDate:
    """``"2023-03-14"`` -> date; ``"2023-03"``, ``"Mar. 2023"``, ``"March 2023"``,
    ``"Sept. 2021"``, ``"Jun 2019"`` -> gYearMonth ``2023-03``; ``"2023"`` -> gYear.
    Month names may be abbreviated, with or without a dot, in any case; ``2023-3-7`` is
    zero padded. An impossible date (``2023-02-30``) or unreadable text -> ``ok=False``
    with ``value`` = the text.

    >>> parse_date("2020-05")
    ParsedDate(value='2020-05', datatype='gYearMonth', ok=True)
    """
    s = text.strip()
    bad = ParsedDate(text, "date", False)
    if _too_long(s):
        return bad
    m = _ISO_DATE.fullmatch(s)
    if m:
        return _ymd(int(m[1]), int(m[2]), int(m[3])) or bad
    m = _ISO_MONTH.fullmatch(s)
    if m:
        month = int(m[2])
        return ParsedDate(f"{m[1]}-{month:02d}", "gYearMonth", True) if 1 <= month <= 12 else bad
    if _YEAR.fullmatch(s):
        return ParsedDate(s, "gYear", True)
    m = _MONTH_YEAR.fullmatch(s)
    if m:
        month = _MONTHS.get(m[1].lower())
        return ParsedDate(f"{m[2]}-{month:02d}", "gYearMonth", True) if month else bad
    m = _MONTH_DAY_YEAR.fullmatch(s)
    if m:
        return _ymd(int(m[3]), _MONTHS.get(m[1].lower()), int(m[2])) or bad
    m = _DAY_MONTH_YEAR.fullmatch(s)
    if m:
        return _ymd(int(m[3]), _MONTHS.get(m[2].lower()), int(m[1])) or bad
    return bad


# --- numbers -------------------------------------------------------------------------------

_SUFFIX = {"k": 10**3, "K": 10**3, "M": 10**6, "m": 10**6, "B": 10**9, "b": 10**9, "T": 10**12}
_WORD = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_NUMBER = re.compile(r"(-?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?")
_NUMBER_WITH_UNIT = re.compile(
    r"(-?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?"
    r"(?:([kKmMbBT])|\s*((?i:thousand|million|billion|trillion)))?")


def _decimal(sign: str | None, whole: str, frac: str | None) -> Decimal:
    d = Decimal(whole.replace(",", "") + ("." + frac if frac else ""))
    return -d if sign else d


def _to_int(d: Decimal) -> int:
    """A count is whole; a fraction of one (``0.0000001M``) is rounded half up."""
    return int(d.to_integral_value(rounding=ROUND_HALF_UP))


# More digits than any count, date or size a source gives (parameters, tokens and FLOPs stay
# below 10^30): such a text is unreadable, not a number (Python refuses to write an int of
# 4,300 digits, and no one means one).
MAX_DIGITS = 30
_TOO_LONG = re.compile(r"[0-9](?:[0-9,._ ]?[0-9]){%d,}" % MAX_DIGITS)


# Digits other than ASCII's (Arabic-Indic, Devanagari...), which Python's int() and \d
# accept: the sources write ASCII digits, and a value in other digits is refused as
# unreadable rather than read as a number no other tool would see in the text.
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")


def _too_long(text: str) -> bool:
    """An unreadable number: more than MAX_DIGITS digits, or digits that are not ASCII."""
    return (len(text) > MAX_DIGITS and _TOO_LONG.search(text) is not None) or _OTHER_DIGIT.search(text) is not None


def _number_with_unit(text: str) -> Decimal | None:
    if _too_long(text):
        return None
    m = _NUMBER_WITH_UNIT.fullmatch(text.strip())
    if not m:
        return None
    sign, whole, frac, suffix, word = m.groups()
    d = _decimal(sign, whole, frac)
    if suffix:
        d *= _SUFFIX[suffix]
    elif word:
        d *= _WORD[word.lower()]
    return d


@lru_cache(maxsize=4096)
def parse_millions(text: str) -> int | None:
    """``maximum number of parameters (in million)`` as a count of parameters:
    ``"117"`` -> 117000000, ``"0.35"`` -> 350000, ``"1,500"`` -> 1500000000.
    Empty or unreadable text -> None."""
    m = None if _too_long(text) else _NUMBER.fullmatch(text.strip())
    return None if m is None else _to_int(_decimal(*m.groups()) * 10**6)


@lru_cache(maxsize=4096)
def parse_number(text: str) -> Decimal | None:
    """A number with an optional k/K, M/m, B/b or T suffix (or a thousand/million/billion/
    trillion word): ``"18k"`` -> 18000, ``"3.4M"`` -> 3400000, ``"33.9M"`` -> 33900000.
    Exact: a whole result has no fraction digits (``Decimal("3400000")``), a fraction keeps
    its digits (``"0.5"`` -> ``Decimal("0.5")``). Unreadable text -> None."""
    d = _number_with_unit(text)
    if d is None:
        return None
    if d == d.to_integral_value():
        return Decimal(int(d))
    return d.normalize()


@lru_cache(maxsize=4096)
def parse_integer(text: str) -> int | None:
    """A whole number, optionally with thousands commas or a k/K (M, B, T) suffix:
    ``"2048"``, ``"84k"`` -> 84000, ``"1,024"``. Unreadable text, or a number that is not
    whole (``"1.5"``), -> None."""
    d = _number_with_unit(text)
    if d is None or d != d.to_integral_value():
        return None
    return int(d)


# --- parameter counts ------------------------------------------------------------------------

@dataclass(frozen=True)
class Variant:
    """One parameter count a text gives.

    ``label`` is the name the text gives the variant (``Base``, ``Flan-T5-Small``, ``Jumbo``,
    ``T0, T0p, T0pp``; inside a ``Name: a, b`` group ``"Name a"``), or else the count as
    written; ``text`` is the count as written (``1.5B``, ``3 billion``, ``560m``);
    ``count`` the exact number of parameters.
    """

    label: str
    count: int
    text: str


@dataclass(frozen=True)
class ParsedParams:
    """What a ``number of parameters`` text says.

    ``variants``    the counts, in source order. Counts in a parenthesis that add up to the
                    count before it are its parts, not variants (``562B (540B LLM + 22B Vi)``
                    is one variant). Counts of something else are skipped: ``20B (1T tokens)``,
                    ``1.2T ..., but only 96B get activated``. Bare numbers (``64 experts``,
                    ``30x``, ``10%``) are never counts.
    ``maximum``     the largest count, or None without variants.
    ``has_digits``  the text has a digit.
    ``ok``          False only when the text has digits but gives no count and is not a
                    statement relative to another model (``12X``, ``12 zillion``); the mapping
                    then keeps it as an ill-typed ``xsd:integer`` that SHACL reports. Texts that
                    are ``ok`` without variants: no digits (``Depends on the overall
                    architecture``) or a comparison (``Same as GPT3``, ``Up to 30x reduction in
                    parameters compared to standard BART``): they say nothing countable, and
                    are not errors. A negative count (``-5B``) is read, hence ``ok``; SHACL's
                    ``minInclusive 0`` on ``parameterCount`` reports it.
    """

    variants: tuple[Variant, ...]
    maximum: int | None
    has_digits: bool
    ok: bool


# A count: digits (``1,000`` with thousands commas), a fraction, and a unit -- a k/K, M/m,
# B/b or T suffix glued to the number, or a thousand/million/billion/trillion word. It may
# not continue a word, a number or a hyphenated name (``T0-3B``, ``R2C2``, ``GPT3``), except
# for one glued letter, kept in the text (``b12M``, AlphaFold's typo for ``Base = 12M``).
# A minus sign at the start of a word makes it negative (``-5B``). ``10,5M`` is no count.
_COUNT = re.compile(
    r"(?<![\w.\-])(?<!\d,)(?:[A-Za-z]|-)?"
    r"(?P<whole>\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.(?P<frac>\d+))?"
    r"(?:(?P<suffix>[kKmMbBT])(?!\w|\.\d)|\s*(?P<word>(?i:thousand|million|billion|trillion))\b)")
# what follows a count that does not count parameters: "1T tokens", "96B get activated"
_NOT_PARAMS = re.compile(
    r"\s*(?:tokens?|words?|images?|(?:(?:image|text)[- ])*pairs?|documents?|samples?|hours?|"
    r"conversations?|GPUs?|FLOPs?|"
    r"(?:(?:parameters?|params?)\s+)?(?:(?:get|are|is|were|being)\s+)?(?:activated|active))\b",
    re.IGNORECASE)
_PAREN = re.compile(r"\(([^()]*)\)")
_ONE = r"-?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?(?:[kKmMbBT]|\s*(?i:thousand|million|billion|trillion))"
_PLAIN_LIST = re.compile(rf"\s*{_ONE}(?:(?:\s*,\s*(?:and\s+)?|\s+and\s+){_ONE})*\s*")
_POST_PAREN = re.compile(r"\s*\(([^()]*)\)")
_CLOSE_PAREN = re.compile(r"\s*\)")
# a one-word name right after a count: "125M Base, and 356M Large"
_POST_WORD = re.compile(r"\s+([A-Za-z][A-Za-z0-9-]*)(?=\s*(?:$|[,;(]|\.(?:\s|$)|and\b|to\b))")
_NOT_NAMES = frozenset({
    "parameters", "parameter", "params", "param", "total", "largest", "smallest", "biggest",
    "approx", "approximately", "roughly", "about", "estimated", "each", "only", "and", "to",
    "or", "for", "in", "of", "the", "model", "models", "overall",
})
# a statement relative to another model: no count, and not unreadable either
_RELATIVE = re.compile(
    r"\b(?:same\s+as|than|compared\s+(?:to|with)|relative\s+to|reduction|fewer|smaller|larger|"
    r"bigger|less|more)\b", re.IGNORECASE)
_LEAD = re.compile(r"^(?:[\s,;&+]|and\b|also\b|or\b|to\b|then\b)+", re.IGNORECASE)
_CONTINUE = re.compile(r"\s*[,&]?\s*(?:and\s+)?(?:also\s+)?", re.IGNORECASE)
_DIGIT = re.compile(r"\d")


def _count_value(m: re.Match) -> int:
    """The exact count of a ``_COUNT`` match, in integers (``1.55B`` -> 1550000000); a
    fraction of one parameter is rounded half up, as :func:`_to_int` does."""
    whole, frac, suffix, word = m.group("whole", "frac", "suffix", "word")
    unit = _SUFFIX[suffix] if suffix else _WORD[word.lower()]
    if "," in whole:
        whole = whole.replace(",", "")
    if frac:
        scale = 10 ** len(frac)
        value, rest = divmod(int(whole + frac) * unit, scale)
        if 2 * rest >= scale:
            value += 1
    else:
        value = int(whole) * unit
    return -value if m.group(0).startswith("-") else value


class _Count:
    __slots__ = ("start", "end", "text", "value", "label", "group")

    def __init__(self, m: re.Match):
        self.start, self.end = m.span()
        self.text = m.group(0)
        self.value = _count_value(m)
        self.label: str | None = None
        self.group: list | None = None   # the "Name: a, b" group: [name, count, count...]


def _name_before(head: str, cuts: str) -> str:
    """The name at the end of ``head`` (the text before ``=``, ``:`` or ``(``): after the
    last of the ``cuts`` characters and the last sentence end, without a leading "and"."""
    start = max(head.rfind(ch) for ch in cuts) + 1
    sentence = head.rfind(". ")
    if sentence >= 0:
        start = max(start, sentence + 2)
    name = _LEAD.sub("", head[start:]).strip().rstrip(",;.").strip()
    return name if any(ch.isalpha() for ch in name) else ""


def _name_like(inner: str) -> bool:
    """Whether a parenthesis after a count names it: ``Base``, ``Flan-T5-XL``, ``GPT-like``
    -- not a remark (``although there are ...``) or a count of something (``1T tokens``)."""
    inner = inner.strip()
    if not inner or "," in inner or ";" in inner or _DIGIT.search(inner) and _COUNT.search(inner):
        return False
    words = inner.split()
    return len(words) <= 3 and not (len(words) == 1 and words[0].lower() in _NOT_NAMES)


def _drop_parts(text: str, counts: list[_Count]) -> list[_Count]:
    """Two or more counts in a parenthesis that add up to the count before it are its parts:
    ``562B (540B LLM + 22B Vi)``, ``3.5B diffusion model (2.3B ..., 1.2B ...) + 1.5B ...``."""
    dropped: set[int] = set()
    for p in _PAREN.finditer(text):
        inside = [c for c in counts if p.start() < c.start and c.end <= p.end()]
        if len(inside) < 2:
            continue
        before = [c for c in counts if c.end <= p.start() and id(c) not in dropped]
        if before and sum(c.value for c in inside) == before[-1].value:
            dropped.update(id(c) for c in inside)
    return [c for c in counts if id(c) not in dropped] if dropped else counts


def _name_counts(text: str, counts: list[_Count]) -> None:
    """Give each count the name the text gives it (see :class:`Variant`)."""
    cursor = 0                        # where the text between this count and the last begins
    group: list | None = None         # the open "Name: a, b" group: [name, count, ...]
    for c in counts:
        pre = text[cursor:c.start]
        head = pre.rstrip()
        if head.endswith("="):                    # "Base = 110M", "Ernie 3.0 Titan = 260B"
            c.label = _name_before(head[:-1], ",;()") or None
            group = None
        elif head.endswith(":"):                  # "mini: 125M", "SeeKeR LM: 365M, 762M"
            name = _name_before(head[:-1], ";()")
            group = None
            if name:
                group = [name, c]
                c.group = group
        elif head.endswith("(") and _CLOSE_PAREN.match(text, c.end):   # "Swin-Tiny (29M)"
            c.label = _name_before(head[:-1], ",;()") or None
            group = None
        elif group is not None and _CONTINUE.fullmatch(pre):
            group.append(c)                       # "SeeKeR Dialogue: 400M, 3B"
            c.group = group
        else:
            group = None
        cursor = c.end
        if c.label is None and c.group is None:
            m = _POST_PAREN.match(text, c.end)
            if m and _name_like(m.group(1)):          # "178B (Jumbo)", "86M(Base)"
                c.label, cursor = m.group(1).strip(), m.end()
            else:
                m = _POST_WORD.match(text, c.end)     # "125M Base"
                if m and m.group(1).lower() not in _NOT_NAMES:
                    c.label, cursor = m.group(1), m.end()
        m = _CLOSE_PAREN.match(text, cursor)
        if m:
            cursor = m.end()
    for c in counts:
        if c.group is not None:   # one count: the group's name; several: name and count
            c.label = c.group[0] if len(c.group) == 2 else f"{c.group[0]} {c.text}"
        elif c.label is None:
            c.label = c.text


@lru_cache(maxsize=8192)
def parse_params(text: str) -> ParsedParams:
    """The parameter counts of a ``number of parameters`` text, e.g. ``"117M"``,
    ``"124M, 355M, 774M, 1.5B"``, ``"Base = 110M, Large = 340M"``, ``"1.7T"``,
    ``"T0-3B: 3 billion, T0, T0p, T0pp: 11 billion"``, ``"178B (Jumbo), 17B (Grande)"``,
    ``"Swin-Tiny (29M), ..."``, ``"560m, 1.1B"``, ``"1,000M"``. See :class:`ParsedParams`.

    >>> [v.count for v in parse_params("7B, 13B, 65B").variants]
    [7000000000, 13000000000, 65000000000]
    >>> parse_params("1.5T").maximum
    1500000000000
    """
    has_digits = _DIGIT.search(text) is not None
    if not has_digits:
        return ParsedParams((), None, False, True)
    if _too_long(text):
        return ParsedParams((), None, True, False)
    if _PLAIN_LIST.fullmatch(text):               # "124M, 355M, 774M, and 1.5B": no names
        variants = tuple(Variant(m.group(0), _count_value(m), m.group(0))
                         for m in _COUNT.finditer(text))
        return ParsedParams(variants, max(v.count for v in variants), True, True)
    counts = [_Count(m) for m in _COUNT.finditer(text) if not _NOT_PARAMS.match(text, m.end())]
    if not counts:
        plain = _NUMBER.fullmatch(text.strip())       # a bare whole number is a count
        if plain and not plain.group(3):
            n = int(_decimal(*plain.groups()))
            t = text.strip()
            return ParsedParams((Variant(t, n, t),), n, True, True)
        return ParsedParams((), None, True, _RELATIVE.search(text) is not None)
    counts = _drop_parts(text, counts)
    _name_counts(text, counts)
    variants = tuple(Variant(c.label, c.value, c.text) for c in counts)
    return ParsedParams(variants, max(v.count for v in variants), True, True)


# --- organizations and URLs ---------------------------------------------------------------------

_ORG_SPLIT = re.compile(r"\s*(?:[,;]|\s&\s|\band\b)\s*", re.IGNORECASE)
_ETC = frozenset({"etc", "etc.", "et al", "et al.", "others"})


@lru_cache(maxsize=4096)
def split_organizations(text: str) -> tuple[str, ...]:
    """The organizations a heading or tag names: ``"Google, and CMU"`` -> ``("Google",
    "CMU")``, ``"Facebook, Google, and UC Berkeley"``, ``"BAAI, Alibaba"``; a trailing
    ``etc.`` is dropped (``"Stanford, Berkerley, CMU, etc."``). Splits on commas,
    semicolons, `` & `` and the word ``and``; keeps the order and drops repeats.

    >>> split_organizations("Google, DeepMind")
    ('Google', 'DeepMind')
    """
    out: list[str] = []
    for part in _ORG_SPLIT.split(text):
        part = part.strip()
        if part and part.lower() not in _ETC and part not in out:
            out.append(part)
    return tuple(out)


_HTTP_URL = re.compile(
    r"(?i:https?)://"
    r"[A-Za-z0-9\-._~%!$&'()*+,;=]*[A-Za-z0-9]"        # host (no user info)
    r"(?::\d*)?"                                       # port
    r"(?:[/?#][^\s<>\"{}|\\^`]*)?")


@lru_cache(maxsize=4096)
def is_absolute_http_url(text: str) -> bool:
    """Whether ``text`` is one absolute http(s) URL with a host and nothing around it (no
    spaces; none of ``<>"{}|\\^```): ``https://github.com/openai/CLIP`` is, ``github.com/x``,
    ``ftp://x``, ``https://`` and ``see https://x`` are not."""
    return _HTTP_URL.fullmatch(text) is not None


def split_urls(text: str) -> tuple[str, ...]:
    """The items of a source's list of links, in order: ``"https://a, https://b"`` ->
    ``("https://a", "https://b")``. Splits at commas or semicolons followed by a space, and
    before every ``http(s)://``; text that is not a URL is kept as an item of its own
    (``"pythia-deduped, pythia, https://github.com/EleutherAI/pythia"`` has three items), so
    that nothing is lost -- the mapping keeps it as a literal, which SHACL reports."""
    out: list[str] = []
    for part in _split_url_items(text.strip()):
        part = part.strip().rstrip(",;").strip()
        if part:
            out.append(part)
    return tuple(out)


def _split_url_items(text: str) -> list[str]:
    items: list[str] = []
    for chunk in re.split(r"\s*[,;]\s+", text):
        # several URLs run together without a comma ("https://a https://b", "https://a,https://b")
        pieces = re.split(r"\s+(?=(?i:https?)://)|[,;](?=(?i:https?)://)", chunk)
        items.extend(pieces)
    return items
