"""CLI verbs for what a city wants to know: summary, score, compare, report, and benchmark sets (import, list)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from registry.scoring import benchmarks as sets
from registry import sparql
from registry.cli.common import Fatal, Refused, err, ready_store, store_options
from registry.config import Settings
from registry.submissions.ingest import Context, find_city
from registry.namespaces import IRIs
from registry.cli.output import print_table, to_json
from registry.scoring.score import CatalogueTree, city_scores, rollups, target_text
from registry.store import Store
from registry.submissions.staged import City
from registry.cli.submissions import latest_round
from registry.scoring.summary import summary
from registry.submissions.validate import format_text

CITY_HELP = "City: lower-case slug (alesund) or Norwegian municipality number (1507)."
ROUND_HELP = "Reporting round (default: the city's latest)."
SET_HELP = "Benchmark set to score against (kpi-registry benchmarks list)."
TABLE_JSON = click.Choice(["table", "json"])


# -- resolving what the user named ----------------------------------------------------------
def resolve(store: Store, settings: Settings, key: str, round_id: str | None) -> tuple[City, str]:
    """A city by slug or municipality number and one of its rounds (the latest when not given)."""
    city = find_city(store, key)
    if city is None:
        raise Fatal(f"unknown city {key!r}: give its slug (e.g. alesund) or municipality number (e.g. 1507)")
    round_id = round_id or latest_round(store, settings, city)
    if not store.has_graph(settings.iris.g_submission(city.slug, round_id)):
        raise Fatal(f"no submission of {city.slug} for round {round_id}")
    return city, round_id


def benchmark_set(store: Store, set_id: str) -> dict[str, Any]:
    """The stored set's metadata; every score names the set it used."""
    found = sets.find_set(store, set_id)
    if found is None:
        stored = ", ".join(s["set"] for s in sets.list_sets(store)) or "none"
        raise Fatal(f"no benchmark set {set_id!r} in the store (stored: {stored}; "
                    "run `kpi-registry build` or `kpi-registry benchmarks import`)")
    return found


def all_rounds(store: Store, settings: Settings, city: City) -> list[str]:
    """Every round of a city, oldest first (a trend reads left to right)."""
    rows = store.select(sparql.load("list_rounds"), {"city": settings.iris.city(city.key)})
    return sorted({str(r["roundId"]) for r in rows})


# -- summary ---------------------------------------------------------------------------------
@click.command("summary")
@store_options
@click.option("--city", required=True, help=CITY_HELP)
@click.option("--round", "round_id", help=ROUND_HELP)
@click.option("--format", "fmt", type=TABLE_JSON, default="table", show_default=True)
def summary_cmd(settings: Settings, city: str, round_id: str | None, fmt: str) -> None:
    """Reporting and verification summary of a submission, as sections 2, 3, 7 and 8 of a U4SSC report."""
    with ready_store(settings) as store:
        known, round_id = resolve(store, settings, city, round_id)
        data = summary(store, settings.iris, known, round_id)
    if fmt == "json":
        print(to_json(data))
    else:
        print_summary(data)


def print_summary(data: dict[str, Any]) -> None:
    where = f"{data['city_name']}, round {data['round']}"
    for kind, noun, title in (("kpis", "KPIs", "KPI"), ("data_points", "Data Points", "KPI Data Points")):
        print_table(summary_rows(data[kind], noun), ["row", "total", "reported", "verified", "percent"],
                    title=f"{title} Reporting and Verification Summary — {where}",
                    headers=["", "Total", "Reported", "Verified", f"% {noun} Verified"])
    print("KPIs not reported:" if data["not_reported"] else "KPIs not reported: none")
    for entry in data["not_reported"]:
        what = f"partial, not reported: {', '.join(entry['missing'])}" if entry["partial"] else "not reported"
        print(f"  {entry['kpi']:16} {entry['name']} — {what}" + (f"\n  {'':16} {entry['reason']}" if entry["reason"] else ""))
    if not data["not_verified"]:
        print("KPIs not verified: none (all reported KPIs were verified)")
        return
    print("KPIs not verified:")
    for entry in data["not_verified"]:
        print(f"  {entry['kpi']:16} {entry['name']} ({entry['status']}: {', '.join(entry['unverified'])})")


def summary_rows(table: dict[str, Any], noun: str) -> list[dict[str, Any]]:
    """The report's table layout: a heading per group, then its core and advanced rows; Total last."""
    rows: list[dict[str, Any]] = []
    for group, cells in table.items():
        if group == "Total":
            rows.append({"row": "Total", **_cells(cells)})
            continue
        rows.append({"row": group})
        rows += [{"row": f"  {tier.title()} {noun}", **_cells(cells[tier])} for tier in ("core", "advanced") if tier in cells]
    return rows


def _cells(cell: dict[str, int]) -> dict[str, Any]:
    return {"total": cell["total"], "reported": cell["reported"], "verified": cell["verified"],
            "percent": f"{cell['percent_verified']} %"}


# -- score -----------------------------------------------------------------------------------
@click.command("score")
@store_options
@click.option("--city", required=True, help=CITY_HELP)
@click.option("--round", "round_id", help=ROUND_HELP)
@click.option("--benchmarks", "set_id", default=sets.DEFAULT_SET, show_default=True, help=SET_HELP)
@click.option("--format", "fmt", type=TABLE_JSON, default="table", show_default=True)
def score_cmd(settings: Settings, city: str, round_id: str | None, set_id: str, fmt: str) -> None:
    """Score a submission against a benchmark set: data points, KPIs, categories, sub-dimensions, dimensions."""
    with ready_store(settings) as store:
        known, round_id = resolve(store, settings, city, round_id)
        data = city_scores(store, settings.iris, known, round_id, benchmark_set(store, set_id))
    if fmt == "json":
        print(to_json(data))
    else:
        print_scores(data)


def print_scores(data: dict[str, Any]) -> None:
    chosen = data["benchmarks"]
    where = f"{data['city_name']}, round {data['round']}, against {chosen['set']} ({chosen['status']})"
    rows = [{**s, "value": f"{s['value']} {s['unit']}", "target": target_text(s), "met": "yes" if s["met"] else "no",
             "percent": f"{s['percent']:g} %", "band": short_band(s["band"])} for s in data["data_points"]]
    print_table(rows, ["kpi", "name", "value", "target", "met", "percent", "points", "band"],
                title=f"Scored data points — {where}",
                headers=["KPI", "Data point", "Value", "Target", "Met", "% of target", "Points", "Band"])
    for level in ("dimensions", "subdimensions", "categories"):
        rows = [{**r, "points": f"{r['points']} / {r['max_points']}", "percent": f"{r['percent']:g} %",
                 "band": short_band(r["band"])} for r in data[level]]
        print_table(rows, ["code", "name", "points", "percent", "band"], title=f"{level.title()} — {where}",
                    headers=["Code", "Name", "Points", "Score", "Band"])
    print(f"Scored: data points with a reported value and a target in {chosen['set']}; "
          "the others are left out (\"no data\" or \"data reported – no targets yet available\").")


def short_band(label: str) -> str:
    """`66 – 95 % of target` → `66 – 95 %`: the column header already says "of target"."""
    return label.removesuffix(" of target")


# -- compare and trends ----------------------------------------------------------------------
@click.command("compare")
@store_options
@click.option("--cities", required=True, help="Comma-separated cities (slugs or municipality numbers).")
@click.option("--rounds", type=click.Choice(["latest", "all"]), default=None,
              help="Rounds per city; default: every round for one city (a trend), the latest for several.")
@click.option("--benchmarks", "set_id", default=sets.DEFAULT_SET, show_default=True, help=SET_HELP)
@click.option("--format", "fmt", type=TABLE_JSON, default="table", show_default=True)
def compare_cmd(settings: Settings, cities: str, rounds: str | None, set_id: str, fmt: str) -> None:
    """Scores side by side by dimension and category: several cities, or one city's rounds over time."""
    keys = [c.strip() for c in cities.split(",") if c.strip()]
    if not keys:
        raise Fatal("--cities: name at least one city")
    with ready_store(settings) as store:
        columns = compare_columns(store, settings, keys, rounds or ("all" if len(keys) == 1 else "latest"))
        data = comparison(store, settings.iris, columns, set_id)
    if fmt == "json":
        print(to_json(data))
        return
    headers = [f"{c['city']} {c['round']}" for c in data["columns"]]
    rows = [{"code": r["code"], "name": ("" if r["level"] == "dimension" else "  ") + r["name"],
             **{h: (f"{s['percent']:g} % ({s['band_points']})" if s else "–") for h, s in zip(headers, r["scores"])}}
            for r in data["rows"]]
    print_table(rows, ["code", "name", *headers], title=f"Scores against {set_id}: % of maximum points (band)",
                headers=["Code", "Dimension / category", *headers])


def compare_columns(store: Store, settings: Settings, keys: list[str], rounds: str) -> list[tuple[City, str]]:
    columns = []
    for key in keys:
        city, latest = resolve(store, settings, key, None)
        columns += [(city, r) for r in (all_rounds(store, settings, city) if rounds == "all" else [latest])]
    return columns


def comparison(store: Store, iris: IRIs, columns: list[tuple[City, str]], set_id: str) -> dict[str, Any]:
    """One score_categories query for every column; rows are the dimensions, each followed by its categories."""
    chosen = benchmark_set(store, set_id)
    tree = CatalogueTree(store)
    submissions = [iris.submission(city.slug, round_id) for city, round_id in columns]
    rolled = rollups(store, tree, submissions, iris.benchmark_set(set_id))
    by_code = [{r["code"]: r for level in ("dimension", "category") for r in rolled[s][level]} for s in submissions]
    rows = [{"level": n.level, "code": n.code, "name": n.name, "scores": [scores.get(n.code) for scores in by_code]}
            for dimension in tree.children() for n in [dimension, *tree.categories(dimension)]]
    return {"benchmarks": chosen, "columns": [{"city": c.slug, "round": r} for c, r in columns], "rows": rows}


# -- report ----------------------------------------------------------------------------------
@click.command("report")
@store_options
@click.option("--city", required=True, help=CITY_HELP)
@click.option("--round", "round_id", help=ROUND_HELP)
@click.option("--benchmarks", "set_ids", multiple=True, default=(sets.DEFAULT_SET,), show_default=True,
              help=SET_HELP + " Repeat it to show several sets side by side: a wheel each, a column each.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder to write into.")
def report_cmd(settings: Settings, city: str, round_id: str | None, set_ids: tuple[str, ...], out: Path) -> None:
    """Write a city report: HTML page with the summary tables, the KPI table and the benchmark wheel (SVG, PNG)."""
    from registry.scoring.report import write_report  # matplotlib loads only for this verb

    if len(set(set_ids)) < len(set_ids):
        raise Fatal(f"--benchmarks: a set is named twice ({', '.join(set_ids)})")
    with ready_store(settings) as store:
        known, round_id = resolve(store, settings, city, round_id)
        chosen = [benchmark_set(store, set_id) for set_id in set_ids]
        data = {"summary": summary(store, settings.iris, known, round_id),
                "scores": [city_scores(store, settings.iris, known, round_id, c) for c in chosen]}
        files = write_report(store, settings.iris, data, out)
    for path in files:
        print(path)


# -- benchmark sets --------------------------------------------------------------------------
@click.group("benchmarks")
def benchmarks_group() -> None:
    """Benchmark sets: targets with provenance that scores are computed against."""


@benchmarks_group.command("import")
@store_options
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--set", "set_id", required=True, help="Identifier of the set, lower case (e.g. oslo-2030).")
@click.option("--title", help="Title of the set (default: the identifier).")
@click.option("--publisher", required=True, help="Who sets these targets (a city, a statistics bureau).")
@click.option("--issued", default=lambda: dt.date.today().isoformat(), show_default="today", help="Issue date, YYYY-MM-DD.")
@click.option("--status", type=click.Choice(list(sets.STATUS)), default="draft", show_default=True)
@click.option("--description", help="What the set is and where its targets come from.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def import_set_cmd(settings: Settings, file: Path, set_id: str, title: str | None, publisher: str, issued: str,
                   status: str, description: str | None, fmt: str) -> None:
    """Validate a benchmark CSV (columns as data/benchmarks/international-targets.csv) and store it if it conforms.

    The set's graph is replaced atomically; a set that does not conform leaves the store unchanged (exit 1).
    """
    info = sets.SetInfo(set_id, title or set_id, publisher, issued, status, description)
    with ready_store(settings, writes=True) as store:
        report = sets.import_set(store, Context.from_store(store, settings.iris), file, info)
    if not report.conforms:
        print(to_json(report.as_dict()) if fmt == "json" else format_text([report]))
        raise Refused(f"{file}: benchmark set {set_id} not imported, the store is unchanged")
    if fmt == "json":
        print(to_json({"imported": str(file), "set": set_id, **report.as_dict()}))
    else:
        err.print(f"imported {file} as benchmark set {set_id}")


@benchmarks_group.command("list")
@store_options
@click.option("--format", "fmt", type=TABLE_JSON, default="table", show_default=True)
def list_sets_cmd(settings: Settings, fmt: str) -> None:
    """The stored benchmark sets: identifier, title, issue date, publisher, status and number of targets."""
    with ready_store(settings) as store:
        rows = sets.list_sets(store)
    if fmt == "json":
        print(to_json(rows))
    else:
        print_table(rows, ["set", "title", "issued", "publisher", "status", "benchmarks"], title="Benchmark sets")


COMMANDS = (summary_cmd, score_cmd, compare_cmd, report_cmd, benchmarks_group)
