"""``llmkg init DIR``: a new data folder, with what a build needs besides records.

A build resolves licenses, architectures and training corpora against the vocabularies in
``DIR/vocabularies/`` (docs/data-format.md); without them every such value is a violation.
:func:`init_data_dir` copies the vocabularies llmkg ships and writes a README; it never
overwrites a file, so running it on an existing folder only adds what is missing. The
importers call it when they write into a folder that does not exist yet.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .errors import LlmkgError

README = """\
# A data folder of llmkg

Records of large language models, papers, organizations and reading lists, one YAML file
each (their format is described in docs/data-format.md of llmkg's sources):

    models/          one file per model, its facts in a sources.<source> block per source
    papers/          papers, by title; arXiv id, DOI, ORKG id where known
    organizations/   organizations, with their aliases
    reading-lists/   ordered lists of papers
    sources/         one file per source document: title, author, URL, license
    vocabularies/    licenses, architectures and training corpora (copied by llmkg init)

Fill it by hand or with an importer, then build, query and serve it:

    llmkg import awesome-md LIST.md -o .      # an awesome-list of models
    llmkg import orkg-csv COMPARISON.csv -o . # an ORKG comparison as CSV
    llmkg build                               # from this folder: the store in .llmkg/store
    llmkg query largest-model-per-year
    llmkg serve

The vocabularies come from llmkg (MIT license). Say in sources/ under which license each
source document is shared, and keep its attribution with the data derived from it.
"""


@dataclass
class InitReport:
    directory: Path
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"{self.directory}: {len(self.created)} created, {len(self.kept)} already there"]
        lines += [f"  created   {p}" for p in self.created]
        return "\n".join(lines)


def shipped_vocabularies() -> list[Path]:
    from .config import RESOURCES

    files = sorted((RESOURCES / "vocabularies").glob("*.yaml"))
    if not files:  # pragma: no cover - a broken install
        raise LlmkgError(f"llmkg's vocabularies are missing from {RESOURCES / 'vocabularies'}")
    return files


def init_data_dir(directory: str | Path) -> InitReport:
    """Make ``directory`` a data folder: the shipped vocabularies and a README, where
    missing (nothing is overwritten)."""
    d = Path(directory)
    if d.exists() and not d.is_dir():
        raise LlmkgError(f"{d} exists and is not a folder")
    report = InitReport(d)
    try:
        (d / "vocabularies").mkdir(parents=True, exist_ok=True)
        for src in shipped_vocabularies():
            target = d / "vocabularies" / src.name
            rel = f"vocabularies/{src.name}"
            if target.exists():
                report.kept.append(rel)
                continue
            shutil.copyfile(src, target)
            report.created.append(rel)
        readme = d / "README.md"
        if readme.exists():
            report.kept.append("README.md")
        else:
            readme.write_text(README, encoding="utf-8")
            report.created.append("README.md")
    except OSError as exc:
        raise LlmkgError(f"cannot make a data folder at {d}: {exc.strerror or exc}") from None
    return report
