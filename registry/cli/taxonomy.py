"""CLI verbs for KS's national SDG taxonomy: `taxonomy import` and `taxonomy validate`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from registry.cli.common import progress, ready_store, store_options
from registry.config import Settings
from registry.cli.output import print_table, to_json
from registry.taxonomy.defects import context_graph, format_text, validate_taxonomy
from registry.taxonomy.sources import default_sources, import_files, read_sources, stored_sources
from registry.taxonomy.repair import load_repairs

FILES = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group("taxonomy")
def taxonomy() -> None:
    """KS's national SDG taxonomy: import its files as published, report and repair their defects."""


@taxonomy.command("import")
@store_options
@click.argument("files", nargs=-1, required=True, type=FILES)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def import_cmd(settings: Settings, files: tuple[Path, ...], fmt: str) -> None:
    """Load FILE.ttl… unchanged, each into graph/taxonomy/{name}, and recompute the repair graph.

    One atomic write: the files' graphs, their provenance (graph/system/taxonomy/{name}) and the repair
    graph change together, or nothing does.
    """
    with ready_store(settings, writes=True) as store:
        step = progress("importing")
        graphs = import_files(store, settings.iris, list(files))
        step("done")
    if fmt == "json":
        print(to_json({"graphs": graphs}))
    else:
        print_table([{"graph": g, "triples": n} for g, n in graphs.items()], ["graph", "triples"],
                    title=f"Imported {len(files)} file{'s' * (len(files) != 1)}")


@taxonomy.command("validate")
@store_options
@click.argument("files", nargs=-1, type=FILES)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--examples", default=5, show_default=True, help="Findings listed per rule in text (0: all).")
def validate_cmd(settings: Settings, files: tuple[Path, ...], fmt: str, examples: int) -> None:
    """Report the defects of the taxonomy (rules TAX-*, docs/rules.md) and which the repair mapping resolves.

    Checks the taxonomy graphs in the store, with FILE.ttl… in place of the graphs of the same name (a new
    release, before importing it); the shipped data/taxonomy/ks/ files when the store holds none.
    Exit 0 without violations (warnings do not fail), 1 on violations, 2 when a file cannot be read.
    """
    with ready_store(settings) as store:
        published = stored_sources(store, settings.iris) or {s.name: s.graph for s in default_sources()}
        published.update({s.name: s.graph for s in read_sources(files, settings.iris.base)})
        context = context_graph(store, settings.iris)
    report = validate_taxonomy(settings.iris, published, context, load_repairs())
    print(to_json(report.as_dict()) if fmt == "json" else format_text(report, examples))
    if not report.conforms:
        sys.exit(1)
