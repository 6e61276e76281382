"""Where things are: the data, shapes, ontology and store a command works on."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .store import DEFAULT_STORE
from .vocab import DEFAULT_BASE

PACKAGE_ROOT = Path(__file__).resolve().parent.parent.parent  # the checkout, for editable installs


def project_root() -> Path:
    """The working directory when it holds a project (shapes/), else the checkout llmkg runs from."""
    cwd = Path.cwd()
    if (cwd / "shapes").is_dir() and (cwd / "ontology").is_dir():
        return cwd
    return PACKAGE_ROOT


@dataclass(frozen=True)
class Paths:
    data: Path
    store: Path
    shapes: Path
    ontology: Path
    queries: Path
    base: str = DEFAULT_BASE

    @classmethod
    def resolve(cls, data=None, store=None, base=None) -> "Paths":
        root = project_root()
        return cls(
            data=Path(data) if data else Path(os.environ.get("LLMKG_DATA", root / "data")),
            store=Path(store) if store else Path(os.environ.get("LLMKG_STORE", root / DEFAULT_STORE)),
            shapes=root / "shapes",
            ontology=root / "ontology" / "llmkg.ttl",
            queries=root / "queries",
            base=base or os.environ.get("LLMKG_BASE", DEFAULT_BASE),
        )
