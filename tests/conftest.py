"""Shared fixtures. Add new fixtures in their own section; keep the existing ones stable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


# -- stores for the query tests (tests/test_queries.py, tests/test_cli_query.py) ------------

@pytest.fixture(scope="session")
def mini_store():
    """An in-memory pyoxigraph Store holding tests/fixtures/mini.trig (a hand-written graph)."""
    from pyoxigraph import RdfFormat, Store

    from llmkg.graph.resolved import settle

    store = Store()
    store.load(path=str(FIXTURES / "mini.trig"), format=RdfFormat.TRIG)
    settle(store)   # its default graph: the merge of its named graphs, as a build makes it
    return store


@pytest.fixture(scope="session")
def mini_store_dir(tmp_path_factory) -> Path:
    """A store directory (the layout of llmkg.graph.store) holding tests/fixtures/mini.trig."""
    from llmkg.web.testing import load_trig_store

    d = tmp_path_factory.mktemp("mini-store")
    load_trig_store(d, FIXTURES / "mini.trig", {"inputs_hash": "mini", "counts": {}})
    return d


@pytest.fixture(scope="session")
def real_store_dir(tmp_path_factory) -> Path:
    """The shipped data/ built once (llmkg build) into a temporary store directory.

    Set LLMKG_TEST_STORE to a store directory to use it instead of building.
    """
    given = os.environ.get("LLMKG_TEST_STORE")
    if given:
        return Path(given)
    from llmkg.build.pipeline import build
    from llmkg.config import Paths

    d = tmp_path_factory.mktemp("real-store")
    build(Paths.resolve(data=ROOT / "data", store=d))
    return d


@pytest.fixture(scope="session")
def real_store(real_store_dir):
    """The built shipped data, opened read-only: (pyoxigraph Store, store.Version)."""
    from llmkg.graph.store import open_read_only

    return open_read_only(real_store_dir)


# -- stores for the export tests (tests/test_export_*.py, tests/test_import_orkg_csv.py) ----

@pytest.fixture(scope="session")
def export_store_dir(tmp_path_factory) -> Path:
    """A store directory (the layout of llmkg.graph.store) holding tests/fixtures/export.trig."""
    from llmkg.web.testing import load_trig_store

    d = tmp_path_factory.mktemp("export-store")
    load_trig_store(d, FIXTURES / "export.trig", {"inputs_hash": "export", "counts": {},
                                                  "base": "https://w3id.org/llmkg/resource/"})
    return d
