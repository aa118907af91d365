"""Benchmarks at small, national or international scale, with ratios against a plain-Python floor.

    python benchmarks/run.py --scale national [--json FILE]        (`make bench`)

In one run on one machine: generate the submissions (benchmarks/generate.py, kept for the next run),
import them into a fresh store (`kpi-registry import DIR`: parallel validation, one bulk load that also
computes every score and summary), read every city × round's scores and summary on the registry's path, the
plain-Python floor (which computes them) and the naive path (the same SPARQL on rdflib, in its own process)
and check the three agree, time recomputing them all against the floor, validate one and 100
submissions against the full store and against 10 cities, and load-test the endpoint with wrk.
Exit 0 when every path gives identical answers, 1 when one differs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rdflib import Literal  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from registry import sparql  # noqa: E402
from registry.namespaces import IRIs  # noqa: E402
from registry.store import OxigraphStore  # noqa: E402
from registry.taxonomy.search import Vocabulary, parse_request  # noqa: E402

from benchmarks import endpoint, measure  # noqa: E402
from benchmarks.generate import FIRST_ROUND, SCALES, generate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# Seconds of wrk per query, and the time the naive path may take (the query texts are the registry's).
DEFAULTS = {"small": {"duration": 3, "naive_timeout": 600, "repeat": 3},
            "national": {"duration": 10, "naive_timeout": 3600, "repeat": 3},
            "international": {"duration": 10, "naive_timeout": 0, "repeat": 1}}
CONNECTIONS = 16


def machine() -> dict[str, Any]:
    """Where the figures come from: they only mean something next to this."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))) / 2**20
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(memory, 1), "os": platform.platform(),
            "python": platform.python_version(),
            **{name: version(name) for name in ("pyoxigraph", "rdflib", "pyshacl")},
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")}


def prepare(scale: str, work: Path) -> Path:
    """The generated submissions of `scale`, generated once and kept (deterministic, so reusable)."""
    data = work / "data"
    if not (data / "cities.tsv").is_file():
        generate(data, *SCALES[scale])
    return data


def three_way(ours: measure.Step, floor: measure.Step, naive: dict[str, dict] | None,
              names: tuple[str, ...]) -> dict[str, Any]:
    """One comparison: seconds of each path, their ratios, and whether all give identical answers.

    A naive query stopped at its time limit gives a lower bound: `naive_s` is then how long it had run,
    `naive_finished` is false, and its answers are not compared (`identical` covers ours and the floor).
    """
    figures = {**ours.figures, "floor_s": floor.figures["floor_s"]}
    differences = [d for n in names for d in measure.compare(n, floor.answers[n], ours.answers[n])]
    ran = [naive[n] for n in names if n in naive] if naive else []
    figures["naive_s"] = round(sum(r["seconds"] for r in ran), 2) if ran else None
    figures["naive_finished"] = len(ran) == len(names) and not any(r.get("unfinished") for r in ran)
    if figures["naive_finished"]:
        figures["naive_peak_rss_mb"] = round(max(r["peak_rss_mb"] for r in ran), 1)
        differences += [d for n in names for d in measure.compare(f"naive {n}", floor.answers[n], naive[n]["answers"])]
    figures["identical"] = not differences
    figures["ours_over_floor"] = round(figures["ours_s"] / figures["floor_s"], 2)
    figures["naive_over_ours"] = round(figures["naive_s"] / figures["ours_s"], 1) if ran else None
    if differences:
        figures["differences"] = differences[:6]
    return figures


def recompute_figures(ours: measure.Step, floor_scoring: measure.Step, floor_summary: measure.Step) -> dict[str, Any]:
    """Recomputing every score and summary against the floor computing the same numbers."""
    figures = dict(ours.figures)
    for name, floor_step in (("scores", floor_scoring), ("summaries", floor_summary)):
        figures[f"{name}_floor_s"] = floor_step.figures["floor_s"]
        figures[f"{name}_over_floor"] = round(figures[f"{name}_s"] / floor_step.figures["floor_s"], 2)
    return figures


def endpoint_queries(store: OxigraphStore, iris: IRIs, data: Path) -> dict[str, str]:
    """The three requests of the load test, as the registry's own bound query texts."""
    first = sorted(p for p in data.iterdir() if p.is_dir())[0]
    submission = iris.submission(first.name, sorted(first.glob("*.csv"))[-1].stem)
    taxonomy = parse_request({"target": ["11.6"], "core": ["true"]}, Vocabulary.from_store(store))
    return {"kpi_lookup": sparql.load("lookup_kpi_label").bind({"key": Literal("EC-ICT-ICT-1C")}),
            "taxonomy_filter": sparql.load("taxonomy_filter").bind(taxonomy.bindings),
            "category_scores": sparql.load("score_categories").bind(
                {"submission": submission, "set": iris.benchmark_set(measure.SET_ID)})}


def load_test(store_dir: Path, queries: dict[str, str], duration: float, work: Path) -> dict[str, Any]:
    wrk, oxigraph = endpoint.ensure_wrk(), endpoint.ensure_oxigraph()
    if not wrk:
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    figures = endpoint.registry_figures(wrk, store_dir, queries, duration, CONNECTIONS, work / "serve.log")
    if oxigraph:
        native = endpoint.native_figures(wrk, oxigraph, store_dir, queries, duration, CONNECTIONS,
                                         work / "oxigraph.log")
        figures["native"] = native
        figures["native_lookup_rps"] = native["kpi_lookup"]["rps"]
    figures.update(duration_s=duration, connections=CONNECTIONS)
    return figures


def run(args: argparse.Namespace) -> dict[str, Any]:
    iris, settings = IRIs(), {**DEFAULTS[args.scale], **{k: v for k, v in vars(args).items() if v is not None}}
    work = (args.work or ROOT / "build" / "bench" / args.scale).resolve()
    data = prepare(args.scale, work)
    cities, rounds = SCALES[args.scale]
    report: dict[str, Any] = {"scale": args.scale, "machine": machine(),
                              "data": {"cities": cities, "rounds": rounds, "submissions": cities * rounds,
                                       "first_round": FIRST_ROUND}}
    big, small = work / "store", work / "store-10-cities"
    for path in (big, small, small.with_name(small.name + "-data")):
        shutil.rmtree(path, ignore_errors=True)
    measure.built_store(big, iris)
    report["load"] = measure.load(big, data, iris, args.workers).figures
    with OxigraphStore(big) as store:
        inputs = measure.floor_inputs(store, iris, data)
        report["data"]["observations"] = sum(len(items) for items in inputs.submissions.values())
        scoring = measure.ours(store, iris, measure.SCORING, settings["repeat"])
        summary = measure.ours(store, iris, measure.SUMMARY, settings["repeat"])
        naive = (measure.naive(store, iris, work / "naive", settings["naive_timeout"])
                 if settings["naive_timeout"] else None)
        floor_scoring = measure.floor_scoring(inputs, settings["repeat"])
        floor_summary = measure.floor_summary(inputs, settings["repeat"])
        report["scoring"] = three_way(scoring, floor_scoring, naive, measure.SCORING)
        report["summary"] = three_way(summary, floor_summary, naive, measure.SUMMARY)
        report["read"] = {"scores_over_floor": report["scoring"]["ours_over_floor"],
                          "summaries_over_floor": report["summary"]["ours_over_floor"]}
        report["recompute"] = recompute_figures(measure.recompute(store, iris, settings["repeat"]),
                                                floor_scoring, floor_summary)
        if naive and "load" in naive:
            report["naive_load"] = {k: round(v, 1) for k, v in naive["load"].items()}
            report["naive_peak_rss_mb"] = round(max(r["peak_rss_mb"] for r in naive.values() if "peak_rss_mb" in r), 1)
        del inputs
        measure.small_store(small, data, iris)
        with OxigraphStore(small) as ten:
            report["validation"] = measure.validation(store, ten, iris, data, args.workers).figures
        queries = endpoint_queries(store, iris, data)
    report["endpoint"] = (load_test(big, queries, settings["duration"], work) if not args.skip_endpoint
                          else {"skipped": "--skip-endpoint"})
    steps = ("load", "scoring", "summary", "recompute", "validation")
    report["peak_rss_mb"] = max(report[s]["peak_rss_mb"] for s in steps)
    return report


# -- the table ------------------------------------------------------------------------------------

def _ratio(value: float | None, unit: str = "×") -> str:
    return "—" if value is None else f"{value:,}{unit}"


def table(report: dict[str, Any]) -> Table:
    load, validation, endpoint_ = report["load"], report["validation"], report["endpoint"]
    grid = Table(title=f"kpi-registry benchmarks, {report['scale']} scale: {report['data']['submissions']:,} "
                       f"submissions, {report['data'].get('observations', 0):,} observations")
    for column in ("step", "measure", "value"):
        grid.add_column(column)
    grid.add_row("load", "triples (bulk load rate)", f"{load['triples']:,} ({load['triples_per_s']:,}/s)")
    grid.add_row("", "validation in import", f"{load['submissions_per_s']} submissions/s")
    grid.add_row("", "store on disk", f"{load['store_bytes'] / 2**20:,.0f} MiB")
    for name in ("scoring", "summary"):
        step = report[name]
        more = "" if step["naive_finished"] else "> "  # stopped at its time limit: a lower bound
        naive = "—" if step["naive_s"] is None else f"{more}{step['naive_s']}"
        grid.add_row(f"{name} (read)", "ours / floor / naive (s)", f"{step['ours_s']} / {step['floor_s']} / {naive}")
        grid.add_row("", "ours ÷ floor, naive ÷ ours",
                     f"{_ratio(step['ours_over_floor'])}, {more if step['naive_s'] is not None else ''}"
                     f"{_ratio(step['naive_over_ours'])}")
        grid.add_row("", "identical answers", "yes" if step["identical"] else "NO: " + "; ".join(step["differences"]))
    recompute = report["recompute"]
    grid.add_row("recompute", "scores / floor (s)", f"{recompute['scores_s']} / {recompute['scores_floor_s']} "
                 f"({_ratio(recompute['scores_over_floor'])}, {recompute['scores_triples']:,} triples)")
    grid.add_row("", "summaries / floor (s)", f"{recompute['summaries_s']} / {recompute['summaries_floor_s']} "
                 f"({_ratio(recompute['summaries_over_floor'])}, {recompute['summaries_triples']:,} triples)")
    grid.add_row("validation", "one submission (full / 10 cities)",
                 f"{validation['one_submission_s']} s / {validation['one_submission_10_cities_s']} s "
                 f"(growth {validation['growth_ratio']}×)")
    grid.add_row("", "100 submissions", f"{validation['hundred_submissions_s']} s")
    grid.add_row("", "import one (full / 10 cities)",
                 f"{validation['import_one_s']} s / {validation['import_one_10_cities_s']} s "
                 f"(growth {validation['import_growth_ratio']}×)")
    grid.add_row("", "import one with / without its scores",
                 f"{validation['import_one_s']} s / {validation['import_one_without_scores_s']} s "
                 f"({validation['import_with_scores_ratio']}×)")
    for name in ("kpi_lookup", "taxonomy_filter", "category_scores"):
        if name in endpoint_:
            f = endpoint_[name]
            grid.add_row("endpoint" if name == "kpi_lookup" else "", name,
                         f"{f['rps']:,} req/s, p50 {f['p50_ms']} ms, p99 {f['p99_ms']} ms")
    if "native_lookup_rps" in endpoint_:
        grid.add_row("", "oxigraph serve-read-only, kpi_lookup", f"{endpoint_['native_lookup_rps']:,} req/s")
    if "skipped" in endpoint_:
        grid.add_row("endpoint", "skipped", endpoint_["skipped"])
    grid.add_row("memory", "peak RSS (ours; naive)",
                 f"{report['peak_rss_mb']:,} MB; {report.get('naive_peak_rss_mb', '—')} MB")
    return grid


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=SCALES, default="national")
    parser.add_argument("--json", type=Path, help="Also write every figure here.")
    parser.add_argument("--work", type=Path, help="Data and stores (default build/bench/SCALE).")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="Validating processes.")
    parser.add_argument("--repeat", type=int, help="Runs per in-process figure (the median is kept).")
    parser.add_argument("--duration", type=float, help="Seconds of load per endpoint query.")
    parser.add_argument("--naive-timeout", type=float, help="Seconds the naive path may take; 0 skips it.")
    parser.add_argument("--skip-endpoint", action="store_true", help="No load test (no wrk, no servers).")
    args = parser.parse_args(argv)
    report = run(args)
    Console(width=160).print(table(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if report["scoring"]["identical"] and report["summary"]["identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
