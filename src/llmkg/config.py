"""Where things are: the data, shapes, ontology and store a command works on.

Everything is found from the current folder, so that llmkg works the same from its own
checkout and from a regular install anywhere:

* the data folder: ``--data``, else ``$LLMKG_DATA``, else ``./data`` when there is one, else
  the current folder itself when it is a data folder (``llmkg init DIR`` makes one: it has
  ``vocabularies/`` or record folders), else ``./data`` (which a build reports missing);
* the store: ``--store``, else ``$LLMKG_STORE``, else ``./.llmkg/store``;
* the shapes, ontology and canned queries: the project's own ``shapes/``, ``ontology/`` and
  ``queries/`` in the current folder when it has them, else those llmkg ships
  (:data:`RESOURCES`, package data).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .graph.store import DEFAULT_STORE
from .vocab import DEFAULT_BASE

#: what the package ships: ontology/, shapes/, queries/ and the vocabularies (in the
#: checkout, links to the top-level folders; in a wheel, copies)
RESOURCES = Path(__file__).resolve().parent / "resources"
_DATA_FOLDERS = ("vocabularies", "models", "papers", "organizations", "reading-lists", "sources")


def default_data_dir(cwd: Path | None = None) -> Path:
    cwd = cwd or Path.cwd()
    if (cwd / "data").is_dir():
        return cwd / "data"
    if any((cwd / f).is_dir() for f in _DATA_FOLDERS):
        return cwd
    return cwd / "data"


def _own_or_packaged(root: Path, rel: str) -> Path:
    """A project's own shapes/, ontology/ or queries/, else the ones llmkg ships."""
    p = root / rel
    return p if p.exists() else RESOURCES / rel


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
        root = Path.cwd()
        env_data = os.environ.get("LLMKG_DATA")
        env_store = os.environ.get("LLMKG_STORE")
        return cls(
            data=Path(data) if data else (Path(env_data) if env_data else default_data_dir(root)),
            store=Path(store) if store else (Path(env_store) if env_store else root / DEFAULT_STORE),
            shapes=_own_or_packaged(root, "shapes"),
            ontology=_own_or_packaged(root, "ontology/llmkg.ttl"),
            queries=_own_or_packaged(root, "queries"),
            base=base or os.environ.get("LLMKG_BASE", DEFAULT_BASE),
        )
