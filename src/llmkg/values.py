"""Parsers that turn the text of a record into typed values.

Every parser is a pure function of its input. They never raise for bad text: they return
what they could read, and the mapping keeps the original beside it so nothing is lost.
"""

from __future__ import annotations

import re
import unicodedata

_SLUG_RUN = re.compile(r"[^a-z0-9]+")
_GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "μ": "mu", "π": "pi"}


def slugify(text: str, max_length: int | None = None) -> str:
    """A stable id from free text: ``"DALL·E 2"`` -> ``"dall-e-2"``.

    NFKD-normalizes, drops non-ASCII, lower-cases and turns every run of other characters
    into one hyphen. With ``max_length`` the slug is cut at the last hyphen that keeps it
    within the limit (a single over-long word is cut hard).
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
    """The id of a paper record: its title's slug, cut to 60 characters at a hyphen."""
    return slugify(title, 60)
