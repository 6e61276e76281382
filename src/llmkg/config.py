"""Where things are: the data, shapes, ontology and store a command works on."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .graph.store import DEFAULT_STORE
from .vocab import DEFAULT_BASE

PACKAGE_ROOT = Path(__file__).resolve().parent.parent.parent  # the checkout, for editable installs


def project_root() -> Path:
    """The working directory when it holds a project (data/ or shapes/), else the checkout
    llmkg runs from."""
    cwd = Path.cwd()
    if (cwd / "data").is_dir() or (cwd / "shapes").is_dir():
        return cwd
    return PACKAGE_ROOT


def _own_or_packaged(root: Path, rel: str) -> Path:
    """A project's own shapes/, ontology/ or queries/, else the ones llmkg ships."""
    p = root / rel
    return p if p.exists() else PACKAGE_ROOT / rel


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
            shapes=_own_or_packaged(root, "shapes"),
            ontology=_own_or_packaged(root, "ontology/llmkg.ttl"),
            queries=_own_or_packaged(root, "queries"),
            base=base or os.environ.get("LLMKG_BASE", DEFAULT_BASE),
        )
