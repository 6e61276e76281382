"""``llmkg build``: read, map, validate, write aside, swap. And ``llmkg validate``."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import __version__
from .config import Paths
from .errors import ValidationFailed
from .mapping import MappedGraph, map_records
from .records import RecordSet, load_records
from .store import Version, write_version
from .validate import Report, validate
from .vocab import ONTOLOGY_GRAPH
from .vocabularies import load_vocabularies


@dataclass
class Checked:
    records: RecordSet
    mapped: MappedGraph
    report: Report
    vocabularies: object
    timings: dict[str, float] = field(default_factory=dict)


def inputs_hash(paths: Paths) -> str:
    """A hash of everything a build reads: the data, the shapes, the ontology, llmkg's version."""
    h = hashlib.sha256(__version__.encode())
    files = sorted(p for p in paths.data.rglob("*") if p.is_file())
    files += sorted(paths.shapes.glob("*.ttl")) + [paths.ontology]
    for f in files:
        h.update(str(f.relative_to(f.anchor)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def check(paths: Paths, run_shacl: bool = True, step: Callable[[str], None] | None = None) -> Checked:
    """Load, map and validate the records of ``paths.data``."""
    step = step or (lambda _msg: None)
    t = {}
    t0 = time.perf_counter()
    step("reading records")
    rs = load_records(paths.data)
    vocabularies = load_vocabularies(paths.data, base=paths.base)
    t["read"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    step("mapping")
    mapped = map_records(rs, vocabularies, paths.base)
    t["map"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    if run_shacl:
        step("validating")
        report = validate(rs, mapped, vocabularies, paths.shapes, paths.data)
    else:
        report = Report(list(rs.problems))
    t["validate"] = time.perf_counter() - t0
    return Checked(rs, mapped, report, vocabularies, t)


@dataclass
class BuildResult:
    version: Version
    checked: Checked
    seconds: float

    @property
    def counts(self) -> dict:
        return self.version.meta["counts"]


def build(paths: Paths, step: Callable[[str], None] | None = None) -> BuildResult:
    """Build the store from ``paths.data``. Raises ValidationFailed (store untouched) on violations."""
    started = time.perf_counter()
    step = step or (lambda _msg: None)
    checked = check(paths, step=step)
    report = checked.report
    if not report.conforms:
        raise ValidationFailed(
            f"{report.violations} violation{'s' if report.violations != 1 else ''} in "
            f"{paths.data}; the store was not changed (run 'llmkg validate' for the list)")
    step("writing the store")
    t0 = time.perf_counter()
    rs = checked.records
    counts = {kind: len(rs.by_kind(kind)) for kind in ("model", "paper", "organization",
                                                         "reading-list", "source")}
    counts["triples"] = len(checked.mapped.quads)
    meta = {
        "llmkg": __version__,
        "inputs_hash": inputs_hash(paths),
        "data": str(paths.data),
        "base": paths.base,
        "counts": counts,
        "warnings": report.warnings,
        "infos": report.infos,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    from pyoxigraph import RdfFormat

    extra = [(Path(paths.ontology).read_bytes(), RdfFormat.TURTLE, ONTOLOGY_GRAPH)]
    version = write_version(paths.store, checked.mapped.quads, meta, extra)
    checked.timings["store"] = time.perf_counter() - t0
    seconds = time.perf_counter() - started
    return BuildResult(version, checked, seconds)
