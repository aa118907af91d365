"""`kpi-registry`: one console script, thin subcommands that each call one library function.

Exit codes: 0 ok, 1 does not conform / refused, 2 unreadable input or bad configuration.
Errors are one line each (naming file, line or node and the rule), never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from registry import __version__, sparql
from registry.build.seeds import build
from registry.cli.common import Fatal, RegistryGroup, progress, ready_store, store_options
from registry.config import Settings
from registry.sparql.text import query_form
from registry.cli.output import emit_rows, print_table, to_json
from registry.cli.publication import publish
from registry.cli.scoring import COMMANDS as SCORE_COMMANDS
from registry.cli.serve import serve
from registry.catalogue.stats import catalogue_stats
from registry.store import open_store
from registry.cli.submissions import export, import_cmd, template, validate
from registry.cli.taxonomy import taxonomy
from registry.cli.workflow import users

@click.group(cls=RegistryGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kpi-registry")
def main() -> None:
    """U4SSC KPI registry: the catalogue, city submissions, scores and the SDG taxonomy as linked data."""


@main.command("build")
@store_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def build_cmd(settings: Settings, fmt: str) -> None:
    """Rebuild the store's ontology, catalogue, SDG and inferred graphs from ontology/ and data/."""
    with open_store(settings.store) as store:
        step = progress("building")
        report = build(store, settings.iris, step)
        step("done")
        if fmt == "json":
            print(to_json({"graphs": report.graphs, "seconds": round(report.seconds, 3), "store": store.description}))
        else:
            print_table([{"graph": g, "triples": n} for g, n in report.graphs.items()], ["graph", "triples"],
                        title=f"Built {store.description} in {report.seconds:.1f} s")


@main.command("stats")
@store_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def stats_cmd(settings: Settings, fmt: str) -> None:
    """Count KPIs and data points per dimension and core/advanced."""
    with ready_store(settings) as store:
        stats = catalogue_stats(store)
    if fmt == "json":
        print(to_json(stats))
        return
    rows = [
        {"dimension": dim, "core KPIs": tiers["core"], "advanced KPIs": tiers["advanced"],
         "core data points": stats["data_points"][dim]["core"], "advanced data points": stats["data_points"][dim]["advanced"]}
        for dim, tiers in stats["kpis"].items()
    ]
    columns = list(rows[0])
    rows.append({"dimension": "Total", **{c: sum(r[c] for r in rows) for c in columns[1:]}})
    print_table(rows, columns, title=f"U4SSC catalogue: {stats['total_kpis']} KPIs, {stats['total_data_points']} data points")


# `query --format` for CONSTRUCT / DESCRIBE (a graph): "table", the default, prints Turtle as well.
GRAPH_FORMATS = {"table": "text/turtle", "ttl": "text/turtle", "nt": "application/n-triples",
                 "jsonld": "application/ld+json", "json": "application/ld+json"}
QUERY_FORMATS = click.Choice(["table", "json", "csv", "ttl", "nt", "jsonld"])


@main.command("query")
@store_options
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("-e", "--expression", metavar="SPARQL", help="Query text instead of a file.")
@click.option("--format", "fmt", type=QUERY_FORMATS, default="table", show_default=True,
              help="SELECT / ASK: table, json or csv; CONSTRUCT / DESCRIBE: ttl (also for table), nt or jsonld (also json).")
def query_cmd(settings: Settings, file: Path | None, expression: str | None, fmt: str) -> None:
    """Run a SPARQL query from FILE.rq, a query name from queries/, or -e 'SPARQL'."""
    if bool(file) == bool(expression):
        raise Fatal("give either FILE.rq or -e 'SPARQL'")
    if expression:
        text = expression
    elif file.is_file():
        text = file.read_text(encoding="utf-8")
    else:
        text = sparql.load(file.name).text
    form = query_form(text)
    graph_form = form in ("CONSTRUCT", "DESCRIBE")
    if graph_form and fmt not in GRAPH_FORMATS or not graph_form and fmt in ("ttl", "nt", "jsonld"):
        fits = ", ".join(GRAPH_FORMATS if graph_form else ("table", "json", "csv"))
        raise Fatal(f"--format {fmt} does not apply to {form or 'SELECT'} queries; use one of {fits}")
    with ready_store(settings) as store:
        if graph_form:  # serialised by the store itself (Oxigraph's writers keep every literal as it is)
            body = store.query_bytes(text, GRAPH_FORMATS[fmt])
            sys.stdout.buffer.write(body if not body or body.endswith(b"\n") else body + b"\n")
            sys.stdout.flush()
            return
        if form == "ASK":
            print(to_json(store.ask(text)) if fmt == "json" else str(store.ask(text)).lower())
            return
        rows = store.select(text)
    columns = list(dict.fromkeys(k for r in rows for k in r)) or ["(no results)"]
    emit_rows(rows, columns, fmt)


for command in (template, validate, import_cmd, export, *SCORE_COMMANDS):
    main.add_command(command)
main.add_command(serve)
main.add_command(publish)
main.add_command(taxonomy)
main.add_command(users)

