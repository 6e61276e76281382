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
                           help="Folder of the YAML records [default: ./data, or the current folder if it is a data folder].")
store_option = click.option("--store", "store", type=click.Path(file_okay=False, path_type=Path),
                            help="Store directory [default: ./.llmkg/store].")
base_option = click.option("--base", "base", metavar="IRI",
                           help="Base IRI for minted resources [default: https://w3id.org/llmkg/resource/].")


SHOWN_VIOLATIONS = 20   # a refused build lists this many of its violations


class LlmkgGroup(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except LlmkgError as exc:
            shown = getattr(exc, "problems", [])[:SHOWN_VIOLATIONS]
            for problem in shown:   # a refused build says where, like a compiler
                click.echo(str(problem), err=True)
            rest = len(getattr(exc, "problems", [])) - len(shown)
            if rest > 0:
                click.echo(f"... and {rest} more", err=True)
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
    """The steps of a build on stderr, with a progress bar for the long ones (a terminal only)."""
    if quiet or not sys.stderr.isatty():
        return None
    from .build.progress import StepPrinter

    return StepPrinter(sys.stderr)


# -- build & validate -----------------------------------------------------------------------

@main.command()
@data_option
@store_option
@base_option
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--engine", type=click.Choice(["fast", "pyshacl"]), default="fast", show_default=True,
              help="SHACL engine: the shapes compiled to SPARQL, or pySHACL (the reference).")
@click.option("--full", is_flag=True, help="Rebuild everything (not from the current version).")
def build(data, store, base, quiet, engine, full):
    """Map the records to RDF, validate them and write the store (write aside, then swap)."""
    from .build.pipeline import build as run_build

    paths = _paths(data, store, base)
    step = _step_printer(quiet)
    try:
        result = run_build(paths, step=step, engine=engine, incremental=not full)
    finally:
        if step is not None:
            step.close()
    if not quiet:
        c = result.counts
        click.echo(
            f"built {result.version.id}: {c['model']} models, {c['paper']} papers, "
            f"{c['organization']} organizations, {c['reading-list']} reading lists, "
            f"{c['source']} sources; {c['triples']} triples in the default graph, "
            f"{result.version.meta['quads']} quads in the named graphs; "
            f"{result.checked.report.warnings} warnings; {result.seconds:.1f} s")
        click.echo(f"store: {paths.store}")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@data_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "turtle"]), default="text",
              show_default=True, help="Report format (turtle = the SHACL validation report).")
@click.option("--severity", type=click.Choice(["info", "warning", "violation"]), default="info",
              show_default=True, help="Lowest severity to list.")
@click.option("--engine", type=click.Choice(["fast", "pyshacl"]), default="fast", show_default=True,
              help="SHACL engine: the shapes compiled to SPARQL, or pySHACL (the reference).")
def validate(paths, data, fmt, severity, engine):
    """Check the records: YAML form, then the SHACL shapes. Exit 0 conforms, 1 violations, 2 error.

    With PATHS (record files or folders of data/), only the problems in them are listed;
    the whole of data/ is still read, since records refer to each other.
    """
    from .build.pipeline import check
    from .check.validate import Report

    if data is None and paths:
        data = _data_dir_of(paths)
    resolved = _paths(data)
    if len(paths) == 1 and paths[0].resolve() == resolved.data.resolve():
        paths = ()
    checked = check(resolved, engine=engine)
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


def _data_dir_of(paths) -> Path:
    """The data directory the PATHS of 'llmkg validate' lie in (they must share one)."""
    from .records.schema import FOLDER_KIND

    found = set()
    for p in paths:
        p = p.resolve()
        if p.is_dir() and ((p / "sources").is_dir() or (p / "models").is_dir()):
            found.add(p)
        elif p.is_dir() and p.name in FOLDER_KIND:
            found.add(p.parent)
        elif p.is_file() and p.parent.name in FOLDER_KIND:
            found.add(p.parent.parent)
        else:
            raise click.UsageError(f"{p} is not a data directory, a folder of one, or a record file")
    if len(found) > 1:
        raise click.UsageError("the paths lie in different data directories: "
                               + ", ".join(sorted(str(f) for f in found)))
    return found.pop()


@main.command()
@store_option
def info(store):
    """Show what the current store holds."""
    import json

    from .graph.store import current_version

    v = current_version(_paths(store=store).store)
    click.echo(json.dumps(v.meta, indent=2, sort_keys=True))


# -- queries (canned and ad hoc SPARQL; see docs/queries.md) ---------------------------------
# Imports stay inside the commands: `llmkg query` must not load rdflib or pyshacl.

queries_dir_option = click.option(
    "--queries", "queries_dir", type=click.Path(file_okay=False, path_type=Path),
    envvar="LLMKG_QUERIES", help="Folder of canned queries [default: queries/ of the project].")


def _queries_dir(queries_dir):
    return Path(queries_dir) if queries_dir else _paths().queries


@main.command("queries")
@queries_dir_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="table, or json (every field of every query).")
def queries_cmd(queries_dir, fmt):
    """List the canned queries: name, title and parameters."""
    from .query import load_registry

    registry = load_registry(_queries_dir(queries_dir))
    if fmt == "json":
        import json

        out = [{"name": q.name, "title": q.title, "description": q.description,
                "category": q.category, "form": q.form, "view": q.view, "chart": q.chart,
                "columns": q.titles,
                "params": [{"name": p.name, "type": p.type, "default": p.default,
                            "required": p.required, "description": p.description}
                           for p in q.params]}
               for q in registry.values()]
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))
        return
    width = max((len(n) for n in registry), default=4)
    for q in registry.values():
        params = " ".join(
            f"{p.name}:{p.type}" + ("!" if p.required else f"={p.default}" if p.default is not None else "?")
            for p in q.params)
        click.echo(f"{q.name.ljust(width)}  {q.title}" + (f"  [{params}]" if params else ""))


@main.command("query")
@click.argument("query", required=False)
@click.option("-e", "--expression", "expression", metavar="SPARQL", help="Run this SPARQL text.")
@click.option("-p", "--param", "params", nargs=2, multiple=True, metavar="NAME VALUE",
              help="Bind a parameter of the query (repeatable).")
@click.option("-f", "--format", "fmt",
              type=click.Choice(["table", "csv", "tsv", "json", "xml", "markdown",
                                 "turtle", "ntriples", "jsonld", "rdfxml"]),
              help="Result format [default: table on a terminal, csv when piped; turtle for graphs].")
@store_option
@queries_dir_option
@click.option("--endpoint", metavar="URL", help="Run the query on this SPARQL endpoint instead of the store.")
@click.option("--graph", "graphs", multiple=True, metavar="GRAPH",
              help="Use this graph as the default graph instead of the union of all "
                   "(a source id such as awesome-llms, graph:NAME or an IRI; repeatable).")
@click.option("--limit", "max_rows", type=click.IntRange(min=0), metavar="N",
              help="Print at most N rows (a note on stderr says when rows were cut).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Stop the query after SECONDS.")
@click.option("--show-query", is_flag=True, help="Print the query with its parameters bound, do not run it.")
def query_cmd(query, expression, params, fmt, store, queries_dir, endpoint, graphs, max_rows,
              timeout, show_query):
    """Run a canned query by NAME, a FILE.rq, or -e 'SPARQL'.

    \b
    llmkg query largest-model-per-year
    llmkg query open-models-over -p min_params 60B --format markdown
    llmkg query my-query.rq
    llmkg query -e 'SELECT ?m ?label WHERE { ?m a llmkg:Model ; rdfs:label ?label }'
    llmkg query orkg-comparison --endpoint http://localhost:7878/query
    """
    from .errors import QueryError
    from . import query as Q

    if (query is None) == (expression is None):
        raise QueryError("give a query NAME, a FILE.rq, or -e 'SPARQL' (one of them)")
    if expression is not None:
        canned = Q.parse_query(expression, name="expression")
    elif query.endswith(".rq") or "/" in query or Path(query).is_file():
        path = Path(query)
        if not path.is_file():
            raise QueryError(f"no query file {query}")
        canned = Q.parse_query(path.read_text(encoding="utf-8"), path=path,
                               name=path.stem)
    else:
        canned = Q.load_query(_queries_dir(queries_dir), query)
    raw = {}
    for name, value in params:
        if name in raw:
            raise QueryError(f"parameter {name!r} given twice")
        raw[name] = value
    substitutions = Q.bind(canned, raw)
    graph_kw = {"default_graph": list(graphs)} if graphs else {}

    is_graph = canned.form in ("CONSTRUCT", "DESCRIBE")
    tty = sys.stdout.isatty()
    if fmt is None:
        fmt = "turtle" if is_graph else ("table" if tty else "csv")
    if is_graph and fmt not in Q.GRAPH_FORMATS:
        raise QueryError(f"a {canned.form} query gives a graph: --format {'|'.join(Q.GRAPH_FORMATS)}")
    if not is_graph and fmt not in Q.RESULT_FORMATS:
        raise QueryError(f"a {canned.form} query gives a table: --format {'|'.join(Q.RESULT_FORMATS)}")

    if show_query:
        click.echo(Q.render(canned.text, substitutions), nl=False)
        return
    options = Q.QueryOptions(timeout=timeout, max_rows=max_rows, titles=canned.titles,
                             hidden=tuple(p.name for p in canned.params), **graph_kw)
    if endpoint:
        result = Q.execute_remote(endpoint, canned.text, substitutions, options)
    else:
        from .graph.store import open_read_only

        db, _version = open_read_only(_paths(store=store).store)
        result = Q.execute(db, canned.text, substitutions, options)
    width = None
    if fmt == "table" and tty:
        import shutil

        width = max(20, min(60, shutil.get_terminal_size((120, 24)).columns // 3))
    data, _media_type = Q.serialize(result, fmt, max_width=width)
    click.echo(data, nl=False)
    if result.truncated:
        click.echo(f"llmkg: only the first {max_rows} rows were printed (--limit)", err=True)


# -- export, and import orkg-csv (see docs/exports.md) ---------------------------------------

@main.command("export")
@click.option("-f", "--format", "fmt", required=True, metavar="FORMAT",
              type=click.Choice(["turtle", "ntriples", "nquads", "trig", "jsonld", "rdfxml", "orkg-csv",
                                 "orkg-turtle", "orkg-json", "fair4ml", "graphml", "neo4j", "csv"]),
              help="turtle, ntriples, nquads, trig, jsonld, rdfxml; orkg-csv, orkg-turtle, orkg-json; "
                   "fair4ml; graphml; neo4j, csv (these two write a directory).")
@click.option("-o", "--output", "output", metavar="FILE|DIR",
              help="Where to write [default: stdout; '-' is stdout]. A directory for neo4j and csv.")
@click.option("--graph", "graph", metavar="SOURCE",
              help="Only this named graph (a source id such as awesome-llms, graph:NAME or an IRI). "
                   "For the ORKG formats: whose contributions [default: awesome-llms].")
@click.option("--include-existing", is_flag=True,
              help="ORKG formats: also the papers ORKG already has (by default only what is new to ORKG).")
@click.option("--reference-context", is_flag=True,
              help="jsonld: name the published context by its IRI instead of embedding it.")
@click.option("--orkg-predicates", "orkg_predicates", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              metavar="FILE", help="orkg-json: a JSON object of ORKG predicate ids by ORKG label "
                                   "({\"model family\": \"P…\"}), used instead of declaring new predicates.")
@store_option
def export_cmd(fmt, output, graph, include_existing, reference_context, orkg_predicates, store):
    """Write the built graph in FORMAT (deterministic: the same store gives the same bytes)."""
    from .export import export, read_predicate_ids

    ids = read_predicate_ids(orkg_predicates) if orkg_predicates else None
    src = export(_paths(store=store).store, fmt, output, graph, include_existing, reference_context, ids)
    for note in src.notes:
        click.echo(f"llmkg: {note}", err=True)


@main.command("push")
@click.option("--endpoint", metavar="URL", help="The server's SPARQL Update endpoint (used when it has no Graph Store).")
@click.option("--graph-store", "graph_store", metavar="URL",
              help="The server's SPARQL 1.1 Graph Store endpoint (one PUT per graph; preferred).")
@click.option("--user", metavar="USER", help="HTTP basic authentication.")
@click.option("--password", metavar="PASSWORD", envvar="LLMKG_PUSH_PASSWORD",
              help="With --user [env LLMKG_PUSH_PASSWORD].")
@click.option("--token", metavar="TOKEN", envvar="LLMKG_PUSH_TOKEN", help="A bearer token [env LLMKG_PUSH_TOKEN].")
@click.option("--replace", is_flag=True, help="Push every graph again, also those the last push left on the server.")
@store_option
def push_cmd(endpoint, graph_store, user, password, token, replace, store):
    """Push the built graph into a SPARQL server: every named graph and the default graph
    (the resolved merge), each replaced as a whole; run again after a dropped connection."""
    from .publish import Target, push

    target = Target(graph_store=graph_store, update=endpoint, user=user, password=password, token=token)
    report = push(_paths(store=store).store, target, replace=replace,
                  step=lambda msg: click.echo(f"llmkg: {msg}", err=True))
    click.echo(report.summary())


def _import_target(data, dry_run: bool) -> Path:
    """The data folder an import writes to; a new one is made a data folder first."""
    target = _paths(data).data
    if not target.exists() and not dry_run:
        from .init import init_data_dir

        report = init_data_dir(target)
        click.echo(f"llmkg: made a new data folder at {target} ({', '.join(report.created)})", err=True)
    return target


def _import_done(report, dry_run: bool) -> None:
    """The summary of an import; with --dry-run, the unified diff of every update."""
    click.echo(report.summary())
    if dry_run:
        for rel in sorted(report.diffs):
            click.echo(report.diffs[rel], nl=False)
    if report.errors:
        sys.exit(1)


@main.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init_cmd(directory):
    """Make DIRECTORY a data folder: the vocabularies llmkg ships and a README (nothing is
    overwritten). Then: llmkg import ... -o DIRECTORY; llmkg build --data DIRECTORY."""
    from .init import init_data_dir

    click.echo(init_data_dir(directory).summary())


@main.group("import")
def import_group():
    """Turn external documents into records in data/ (nothing is overwritten without --update)."""


@import_group.command("awesome-md")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", "data", type=click.Path(file_okay=False, path_type=Path),
              help="Data folder to write the records to (made with llmkg init if new) [default: ./data, "
                   "or the current folder if it is a data folder].")
@click.option("--source", "source_id", metavar="SOURCE",
              help="Source id of the statements blocks [default: detected from the list's title].")
@click.option("--update", is_flag=True, help="Replace a record's block for this source when it differs.")
@click.option("--dry-run", is_flag=True, help="Report what would change, with a unified diff per file; write nothing.")
def import_awesome_md_cmd(file, data, source_id, update, dry_run):
    """Import an awesome-list README (ORKG-style YAML blocks or Field/Params blocks) into records."""
    from .importers.awesome_md import import_awesome_md

    report = import_awesome_md(file, _import_target(data, dry_run), source_id=source_id, update=update,
                               dry_run=dry_run)
    _import_done(report, dry_run)


@import_group.command("orkg-csv")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", "data", type=click.Path(file_okay=False, path_type=Path),
              help="Data folder to write the records to (made with llmkg init if new) [default: ./data, "
                   "or the current folder if it is a data folder].")
@click.option("--source", "source_id", default="awesome-llms", show_default=True, metavar="SOURCE",
              help="Source id of the statements blocks to write.")
@click.option("--update", is_flag=True, help="Replace a record's block for this source when it differs.")
@click.option("--dry-run", is_flag=True, help="Report what would change, with a unified diff per file; write nothing.")
def import_orkg_csv_cmd(file, data, source_id, update, dry_run):
    """Import an ORKG CSV (our orkg-csv export, an ORKG comparison as CSV) into records."""
    from .importers.orkg_csv import import_orkg_csv

    report = import_orkg_csv(file, _import_target(data, dry_run), source_id=source_id, update=update,
                             dry_run=dry_run)
    _import_done(report, dry_run)


# -- serve (the SPARQL endpoint, Linked Data and the web page; see docs/architecture-web.md) --

@main.command("serve")
@store_option
@base_option
@queries_dir_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 for every interface).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port; the address is printed).")
@click.option("--cors", is_flag=True, help="Allow cross-origin requests (Access-Control-Allow-Origin: *).")
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              metavar="S", help="Seconds a query may run; it is then stopped and answered 503.")
@click.option("--max-rows", default=10000, show_default=True, type=click.IntRange(min=1), metavar="N",
              help="Rows (or triples) per result; longer results are cut and say so.")
@click.option("--allow-updates-with-token", "token", metavar="TOKEN", envvar="LLMKG_UPDATE_TOKEN",
              help="Accept SPARQL Update from clients sending 'Authorization: Bearer TOKEN' "
                   "[env LLMKG_UPDATE_TOKEN; default: read-only].")
@click.option("--allow-load", is_flag=True,
              help="Let token holders LOAD <url> from the network (the workers then run without "
                   "their network barrier; SERVICE to other hosts stays refused).")
@click.option("--workers", type=click.IntRange(min=1), metavar="N",
              help="Worker processes, each serving HTTP and running its queries [default: one per core, at least 2].")
@click.option("--public-url", metavar="URL",
              help="The URL clients use to reach this server (for SERVICE <URL/sparql> to itself).")
@click.option("--max-request-bytes", default=1 << 20, show_default=True, type=click.IntRange(min=1024),
              metavar="N", help="Largest request body (413) and URL (414).")
@click.option("--cache-mb", default=64, show_default=True, type=click.IntRange(min=0), metavar="MB",
              help="Memory for cached answers (per store version; 0: no cache).")
@click.option("--keep-alive", default=5.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              metavar="S", help="Seconds an idle keep-alive connection stays open.")
@click.option("--worker-memory", default=2048, show_default=True, type=click.IntRange(min=0), metavar="MB",
              help="A query that takes its worker's memory past this is stopped and answered 503 (0: no limit).")
@click.option("--extra-workers", type=click.IntRange(min=0), metavar="N",
              help="Workers started while every worker is busy with a long query, stopped when idle "
                   "[default: as many as --workers]; beyond them, requests are answered 503 (retry).")
@click.option("--log-requests", is_flag=True, help="Log one line per request on stderr.")
def serve_cmd(store, base, queries_dir, host, port, cors, timeout, max_rows, token, allow_load, workers,
              public_url, max_request_bytes, cache_mb, keep_alive, worker_memory, extra_workers, log_requests):
    """Serve the store: SPARQL 1.1 endpoint (/sparql), canned queries (/queries), entity
    pages (/resource/...), the ontology (/ontology) and a web page for researchers (/)."""
    from .graph.store import current_version
    from .web import ServerConfig, serve
    from .web.config import default_workers

    if allow_load and not token:
        raise click.UsageError("--allow-load needs --allow-updates-with-token (LOAD is an update)")
    paths = _paths(store=store, base=base)
    try:
        v = current_version(paths.store)
        click.echo(f"llmkg serve: store {paths.store}, version {v.id}", err=True)
    except LlmkgError as exc:  # serve anyway: a build may come; /health says 503 until then
        click.echo(f"llmkg serve: warning: {exc}", err=True)
    cfg = ServerConfig(store=paths.store, queries=_queries_dir(queries_dir), ontology_file=paths.ontology,
                       base=paths.base, host=host, port=port, cors=cors, timeout=timeout,
                       max_rows=max_rows, update_token=token or None, allow_load=allow_load,
                       workers=workers or default_workers(), max_request_bytes=max_request_bytes,
                       public_url=public_url, cache_bytes=cache_mb << 20, keep_alive=keep_alive,
                       worker_memory_mb=worker_memory, extra_workers=extra_workers,
                       log_requests=log_requests)
    if token:
        click.echo("llmkg serve: SPARQL Update enabled for Bearer-token holders", err=True)

    def ready(url):
        click.echo(f"llmkg serve: listening on {url}", err=True)
        click.echo(url)  # stdout: the address alone, for scripts and tests
        sys.stdout.flush()

    serve(cfg, ready=ready)


if __name__ == "__main__":  # pragma: no cover
    main()
