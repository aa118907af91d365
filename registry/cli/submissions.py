"""CLI verbs for submissions: template, import, export, validate."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from registry.build.seeds import shipped_catalogue_graph
from registry.submissions.bulk import import_directory
from registry.cli.common import Fatal, Refused, err, ready_store, store_options, validation_bar
from registry.config import Settings
from registry import sparql
from registry.submissions.ingest import Context, default_ids, find_city, import_submission, new_city, validate_file
from registry.cli.output import to_json
from registry.submissions.staged import WORKBOOK_SUFFIXES, Catalogue, City
from registry.submissions.template import export_rows, template_metadata, write_csv
from registry.submissions.validate import Report, format_text, json_text, turtle_report

EXPORT_TYPES = {"ttl": "text/turtle", "jsonld": "application/ld+json", "nq": "application/n-quads", "nt": "application/n-triples"}


@click.command("template")
@store_options
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of standard output.")
def template(settings: Settings, out: Path | None) -> None:
    """Write the submission template: one CSV row per data point, value columns empty.

    With --out FILE.csv, its CSVW metadata (FILE.csv-metadata.json) is written beside it; with --out
    FILE.xlsx, the template is an Excel workbook (descriptive columns locked, drop-down lists, typed value
    cells, an Instructions sheet). The template comes from the catalogue shipped with the registry; no
    store is opened.
    """
    catalogue, graph = shipped_catalogue_graph(settings.iris)
    if out and out.suffix.lower() in WORKBOOK_SUFFIXES:
        if out.suffix.lower() != ".xlsx":
            raise Fatal(f"{out}: the workbook template is written as an Excel Workbook (.xlsx)")
        from registry.submissions.workbook import admissible_ranges, write_template  # openpyxl is loaded only for a workbook
        write_template(out, catalogue, admissible_ranges(graph, catalogue))
        return
    _write_rows(catalogue.template_rows(), out)
    if out:
        meta = out.with_name(out.name + "-metadata.json")
        meta.write_text(to_json(template_metadata(out.name)) + "\n", encoding="utf-8")


@click.command("validate")
@store_options
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--city", help="City slug the items belong to (default: the file's folder name).")
@click.option("--round", "round_id", help="Round identifier (default: the file name without extension).")
@click.option("--municipality", help="The municipality number of a city new to the registry (its IRI is /id/city/NNNN).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "turtle"]), default="text", show_default=True)
def validate(settings: Settings, files: tuple[Path, ...], city: str | None, round_id: str | None,
             municipality: str | None, fmt: str) -> None:
    """Check submissions against the Collection Methodology (SHACL) without storing them.

    Exit 0 when every file conforms, 1 on violations (warnings do not fail), 2 when a file cannot be read.
    """
    with ready_store(settings) as store:
        ctx = Context.from_store(store, settings.iris)
        reports = []
        for path in files:
            slug, rnd = default_ids(path, city, round_id)
            known = find_city(store, slug) or new_city(slug, municipality=municipality)
            reports.append(validate_file(path, ctx, known, rnd)[1])
    _print_reports(reports, fmt)
    if not all(r.conforms for r in reports):
        sys.exit(1)


def _print_reports(reports: list[Report], fmt: str) -> None:
    if fmt == "json":
        print(json_text(reports))
    elif fmt == "turtle":
        print(turtle_report(reports))
    else:
        print(format_text(reports))


@click.command("import")
@store_options
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--city", help="City slug, lower-case ASCII (e.g. alesund); for a FILE.")
@click.option("--round", "round_id", help="Reporting round identifier (e.g. 2024 or 2020-06); for a FILE.")
@click.option("--name", help="City name, when the city is new to the registry.")
@click.option("--municipality", help="Norwegian municipality number, when the city is new to the registry.")
@click.option("--workers", type=click.IntRange(min=1), help="Processes validating a DIR (default: one per core).")
@click.option("--replace-with-empty", is_flag=True,
              help="Let a FILE that reports no item (an empty template) replace the round: without it, refused.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def import_cmd(settings: Settings, file: Path, city: str | None, round_id: str | None, name: str | None,
               municipality: str | None, workers: int | None, replace_with_empty: bool, fmt: str) -> None:
    """Validate a submission (CSV or workbook template, Turtle or JSON-LD) and store it if it conforms.

    The city's graph for that round is replaced atomically; a submission that does not conform
    leaves the store exactly as it was (exit 1).

    FILE may be a directory laid out as data/cities/: DIR/{city}/{round}.csv, with DIR/cities.tsv
    (slug, name, municipality) naming new cities. Every submission is validated, in parallel, and
    all are stored in one step only when all conform.
    """
    if file.is_dir():
        if city or round_id or name or municipality or replace_with_empty:
            raise Fatal("a directory names its cities and rounds itself: drop --city, --round, --name, "
                        "--municipality, --replace-with-empty")
        _import_directory(settings, file, workers, fmt)
        return
    if not (city and round_id):
        raise Fatal("importing a FILE needs --city and --round")
    with ready_store(settings, writes=True) as store:
        report = import_submission(store, Context.from_store(store, settings.iris), file, city, round_id, name,
                                   municipality, replace_with_empty)
    if not report.conforms:
        _print_reports([report], "json" if fmt == "json" else "text")
        raise Refused(f"{file}: not imported, the store is unchanged")
    before, after = report.replaced or (None, 0)
    if fmt == "json":
        print(to_json({"imported": str(file), "city": city, "round": round_id, "items_before": before,
                       "items_after": after, **report.as_dict()}))
    else:
        warnings = len(report.problems)
        what = f"new round, {after} items" if before is None else f"replaced the round's {before} items by {after}"
        err.print(f"imported {file} as {city} / {round_id}: {what}"
                  + (f" ({warnings} warning{'s' * (warnings != 1)})" if warnings else ""))


def _import_directory(settings: Settings, directory: Path, workers: int | None, fmt: str) -> None:
    with ready_store(settings, writes=True) as store, validation_bar() as progress:
        result = import_directory(store, Context.from_store(store, settings.iris), directory, workers, progress)
    if not result.conforms:
        _print_reports(result.failed, fmt)
        raise Refused(f"{directory}: {len(result.failed)} of {len(result.reports)} submissions do not conform; "
                      "nothing was imported, the store is unchanged")
    summary = {"imported": str(directory), "submissions": len(result.reports), "quads": result.quads,
               "validate_seconds": round(result.validate_seconds, 1), "load_seconds": round(result.load_seconds, 1)}
    if fmt == "json":
        print(to_json({**summary, "warnings": sum(len(r.problems) for r in result.reports)}))
    else:
        err.print(f"imported {summary['submissions']} submissions ({result.quads:,} quads) from {directory}: "
                  f"validated in {summary['validate_seconds']} s, stored in {summary['load_seconds']} s")


@click.command("export")
@store_options
@click.option("--city", help="City slug or municipality number; without it, the whole store as sorted N-Quads.")
@click.option("--round", "round_id", help="Round (default: the city's latest).")
@click.option("--format", "fmt", type=click.Choice(["csv", *EXPORT_TYPES]), default=None,
              help="csv (default for one submission), ttl, jsonld, nt, or nq (default for the whole store).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path))
def export(settings: Settings, city: str | None, round_id: str | None, fmt: str | None, out: Path | None) -> None:
    """Write one submission (as the filled template or RDF), or the whole store in canonical order."""
    with ready_store(settings) as store:
        if city is None:
            if round_id or fmt not in (None, "nq"):
                raise Fatal("without --city, export writes the whole store as N-Quads (--format nq)")
            _write_bytes(canonical_nquads(store.dump()), out)
            return
        known = find_city(store, city)
        if known is None:
            raise Fatal(f"unknown city {city!r}")
        round_id = round_id or latest_round(store, settings, known)
        if fmt in (None, "csv"):
            _write_rows(export_rows(store, settings.iris, Catalogue.from_store(store), known, round_id), out)
        else:
            graph = settings.iris.g_submission(known.slug, round_id)
            if not store.has_graph(graph):
                raise Fatal(f"no submission of {known.slug} for round {round_id}")
            _write_bytes(store.dump(graph, EXPORT_TYPES[fmt]), out)


def latest_round(store, settings: Settings, city: City) -> str:
    rows = store.select(sparql.load("list_rounds"), {"city": settings.iris.city(city.key)})
    if not rows:
        raise Fatal(f"{city.slug} has no submission in the store")
    return str(rows[0]["roundId"])


def canonical_nquads(data: bytes) -> bytes:
    """N-Quads sorted line by line: the same store always exports the same bytes."""
    lines = sorted(line for line in data.decode("utf-8").splitlines() if line.strip())
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def _write_rows(rows, out: Path | None) -> None:
    if out:
        with out.open("w", encoding="utf-8", newline="") as handle:
            write_csv(rows, handle)
    else:
        write_csv(rows, sys.stdout)


def _write_bytes(data: bytes, out: Path | None) -> None:
    if out:
        out.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)

