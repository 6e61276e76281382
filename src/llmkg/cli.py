"""The command line: a thin click layer over the modules that do the work.

Every command turns :class:`llmkg.errors.LlmkgError` into one line on stderr and its exit
code (0 ok, 1 violations in the data, 2 usage or internal error).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .errors import LlmkgError

# -- shared options -------------------------------------------------------------------------

data_option = click.option("--data", "data", type=click.Path(file_okay=False, path_type=Path),
                           help="Directory of the YAML records [default: data/ of the project].")
store_option = click.option("--store", "store", type=click.Path(file_okay=False, path_type=Path),
                            help="Store directory [default: .llmkg/store of the project].")
base_option = click.option("--base", "base", metavar="IRI",
                           help="Base IRI for minted resources [default: https://w3id.org/llmkg/resource/].")


class LlmkgGroup(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except LlmkgError as exc:
            click.echo(f"llmkg: error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("llmkg: interrupted", err=True)
            sys.exit(130)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:  # a bug or an environment problem: exit 2, never 1 (= violations)
            click.echo(f"llmkg: internal error: {type(exc).__name__}: {exc}", err=True)
            sys.exit(2)


@click.group(cls=LlmkgGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="llmkg")
def main():
    """llmkg: curated records about large language models as a scholarly knowledge graph."""


def _paths(data=None, store=None, base=None):
    from .config import Paths
    return Paths.resolve(data=data, store=store, base=base)


def _step_printer(quiet: bool):
    if quiet or not sys.stderr.isatty():
        return None
    return lambda msg: click.echo(f"  {msg}...", err=True)


# -- build & validate -----------------------------------------------------------------------

@main.command()
@data_option
@store_option
@base_option
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def build(data, store, base, quiet):
    """Map the records to RDF, validate them and write the store (write aside, then swap)."""
    from .build import build as run_build

    paths = _paths(data, store, base)
    result = run_build(paths, step=_step_printer(quiet))
    if not quiet:
        c = result.counts
        click.echo(
            f"built {result.version.id}: {c['model']} models, {c['paper']} papers, "
            f"{c['organization']} organizations, {c['reading-list']} reading lists, "
            f"{c['source']} sources; {c['triples']} triples; "
            f"{result.checked.report.warnings} warnings; {result.seconds:.1f} s")
        click.echo(f"store: {paths.store}")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@data_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "turtle"]), default="text",
              show_default=True, help="Report format (turtle = the SHACL validation report).")
@click.option("--severity", type=click.Choice(["info", "warning", "violation"]), default="info",
              show_default=True, help="Lowest severity to list.")
def validate(paths, data, fmt, severity):
    """Check the records: YAML form, then the SHACL shapes. Exit 0 conforms, 1 violations, 2 error.

    With PATHS (record files or folders of data/), only the problems in them are listed;
    the whole of data/ is still read, since records refer to each other.
    """
    from .build import check
    from .validate import Report

    resolved = _paths(data)
    if len(paths) == 1 and paths[0].is_dir() and (paths[0] / "sources").is_dir():
        resolved = _paths(paths[0])
        paths = ()
    checked = check(resolved)
    report = checked.report
    keep = {"info": 2, "warning": 1, "violation": 0}[severity]
    order = {"Violation": 0, "Warning": 1, "Info": 2}
    problems = [p for p in report.problems if order[p.severity] <= keep]
    if paths:
        wanted = [p.resolve() for p in paths]
        problems = [p for p in problems
                    if any(Path(p.file).resolve() == w or w in Path(p.file).resolve().parents for w in wanted)]
    shown = Report(problems)
    click.echo(shown.render(fmt), nl=False)
    sys.exit(0 if shown.conforms else 1)


@main.command()
@store_option
def info(store):
    """Show what the current store holds."""
    import json

    from .store import current_version

    v = current_version(_paths(store=store).store)
    click.echo(json.dumps(v.meta, indent=2, sort_keys=True))


if __name__ == "__main__":  # pragma: no cover
    main()
