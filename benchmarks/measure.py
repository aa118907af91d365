"""The in-process measurements: bulk import, scoring and summary on the registry's path and the floor,
and validation against a large and a small store.

Every figure is a median of repeated runs in one process, so ratios between paths measured here share
the machine's state; the naive path runs apart (benchmarks/naive.py) and once.
"""

from __future__ import annotations

import os
import pickle
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry import sparql
from registry.build.seeds import build
from registry.submissions import derived
from registry.submissions.bulk import find_jobs, import_directory, validate_jobs
from registry.submissions.ingest import Context, find_city, import_submission, validate_file
from registry.namespaces import IRIs
from registry.tables import asset_dir
from registry.store import OxigraphStore, Store
from registry.submissions.staged import City

from benchmarks import floor, results
from benchmarks.memory import children_peak_mb, peak_mb, reset_peak
from benchmarks.naive import ANSWERS, bindings

SET_ID = "international-targets"
SCORING = ("score_datapoints", "score_categories")  # reads of the score cube
SUMMARY = ("summary_verification",)  # a read of the summary cube


@dataclass
class Step:
    """A step's figures and its peak memory; `answers` are kept for the three-way comparison, not reported."""

    figures: dict[str, Any] = field(default_factory=dict)
    answers: dict[str, results.Answers] = field(default_factory=dict)


def median_seconds(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The median wall time of `repeat` runs, and the last run's result."""
    times, value = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        value = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), value


def directory_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


# -- load ---------------------------------------------------------------------------------------

def built_store(path: Path, iris: IRIs) -> None:
    """A fresh store holding what `kpi-registry build` writes (the seed registry), not timed."""
    with OxigraphStore(path) as store:
        build(store, iris)


def load(store_dir: Path, data: Path, iris: IRIs, workers: int) -> Step:
    """`kpi-registry import DIR` into a freshly built store: parallel validation, then one bulk write."""
    reset_peak()
    with OxigraphStore(store_dir) as store:
        result = import_directory(store, Context.from_store(store, iris), data, workers)
    if not result.conforms:
        first = result.failed[0]
        raise RuntimeError(f"generated data does not conform: {first.source}: {first.violations[0].message}")
    return Step({"submissions": len(result.reports), "triples": result.quads,
                 "validate_s": round(result.validate_seconds, 2),
                 "submissions_per_s": round(len(result.reports) / result.validate_seconds, 1),
                 "load_s": round(result.load_seconds, 2),
                 "triples_per_s": round(result.quads / result.load_seconds),
                 "store_bytes": directory_bytes(store_dir),
                 "peak_rss_mb": round(peak_mb(), 1), "workers_peak_rss_mb": round(children_peak_mb(), 1)})


# -- scoring and summary: ours and the floor --------------------------------------------------------

def ours(store: Store, iris: IRIs, names: tuple[str, ...], repeat: int) -> Step:
    """The registry's own queries through Store.select, for every submission at once."""
    reset_peak()
    step = Step()
    total = 0.0
    for name in names:
        query, binding = sparql.load(name), bindings(name, iris.benchmark_set(SET_ID))
        seconds, rows = median_seconds(lambda: store.select(query, binding), repeat)
        step.answers[name] = ANSWERS[name](rows)
        step.figures[f"{name}_s"] = round(seconds, 3)
        step.figures[f"{name}_rows"] = len(rows)
        total += seconds
    step.figures["ours_s"] = round(total, 3)
    step.figures["peak_rss_mb"] = round(peak_mb(), 1)
    return step


def recompute(store: OxigraphStore, iris: IRIs, repeat: int) -> Step:
    """Computing every score against the set and every summary as the bulk write does: the CONSTRUCT queries of
    registry.submissions.derived, evaluated and written as N-Triples to a file (what is then bulk-loaded)."""
    reset_peak()
    step = Step()
    for derivation in derived.everything(iris, [SET_ID]):
        name = "summaries" if derivation.graph == iris.g_summaries else "scores"
        files = [store.path.with_name(f"{store.path.name}.recompute-{i}.nt") for i in range(len(derivation.queries))]
        try:
            seconds, _ = median_seconds(lambda: [store.construct_to_file(q, f) for q, f in zip(derivation.queries, files)],
                                        repeat)
            step.figures[f"{name}_s"] = round(seconds, 3)
            step.figures[f"{name}_triples"] = sum(_lines(f) for f in files)  # counted after the timing
        finally:
            for f in files:
                f.unlink(missing_ok=True)
    step.figures["peak_rss_mb"] = round(peak_mb(), 1)
    return step


def _lines(path: Path) -> int:
    with path.open("rb") as lines:
        return sum(1 for _ in lines)


def floor_inputs(store: Store, iris: IRIs, data: Path) -> floor.Inputs:
    """The floor's numbers in memory: the generated CSVs and the seed cities', the catalogue, the set."""
    bands = [floor.Band(int(r["points"]), results.number(r["lower"]), results.number(r.get("upper")))
             for r in store.select(sparql.load("list_score_bands"))]
    return floor.read_inputs(iris, asset_dir("data"), [asset_dir("data") / "cities", data], SET_ID, bands)


def floor_scoring(inputs: floor.Inputs, repeat: int) -> Step:
    seconds, (points, rollups) = median_seconds(lambda: floor.score(inputs), repeat)
    return Step({"floor_s": round(seconds, 4)}, {"score_datapoints": points, "score_categories": rollups})


def floor_summary(inputs: floor.Inputs, repeat: int) -> Step:
    seconds, answers = median_seconds(lambda: floor.summarise(inputs), repeat)
    return Step({"floor_s": round(seconds, 4)}, {"summary_verification": answers})


# -- the naive path, in its own process -------------------------------------------------------------

def naive(store: Store, iris: IRIs, work: Path, timeout: float) -> dict[str, dict]:
    """Dump the store, run benchmarks/naive.py on it; what finished within `timeout` seconds, by query."""
    shutil.rmtree(work, ignore_errors=True)  # no answers left from an earlier run
    work.mkdir(parents=True)
    dump = work / "store.nq"
    dump.write_bytes(store.dump())
    command = [sys.executable, "-m", "benchmarks.naive", str(dump), str(work), "--set",
               str(iris.benchmark_set(SET_ID)), *SCORING, *SUMMARY]
    root = Path(__file__).resolve().parent.parent
    try:
        subprocess.run(command, cwd=root, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        pass  # the queries that finished have written their results
    finally:
        dump.unlink()
    done = {p.stem: _read_pickle(p) for p in work.glob("*.pickle")}
    for started in work.glob("*.started"):
        if started.stem not in done:  # stopped at the time limit: it ran at least this long
            done[started.stem] = {"seconds": time.time() - float(started.read_text()), "unfinished": True}
    return done


def _read_pickle(path: Path) -> dict:
    with path.open("rb") as handle:
        return pickle.load(handle)


# -- validation and growth with the store's size ----------------------------------------------------

def validate_one(store: Store, iris: IRIs, path: Path) -> float:
    """What `kpi-registry validate FILE` costs once the store is open: context, city look-up, SHACL."""
    def run() -> None:
        ctx = Context.from_store(store, iris)
        city = find_city(store, path.parent.name) or City(path.parent.name, path.parent.name)
        validate_file(path, ctx, city, path.stem)
    return median_seconds(run, 5)[0]


def import_one(store: Store, iris: IRIs, path: Path, derive: bool = True) -> float:
    """What `kpi-registry import FILE` costs once the store is open (the submission replaces itself); with
    `derive` false, the same import with its scores and summary left out (the import before issue 22)."""
    def run() -> None:
        report = import_submission(store, Context.from_store(store, iris), path, path.parent.name, path.stem)
        assert report.conforms
    if derive:
        return median_seconds(run, 3)[0]
    updates, derived.submission_updates = derived.submission_updates, lambda *_args, **_kwargs: []
    try:
        return median_seconds(run, 3)[0]
    finally:
        derived.submission_updates = updates
        run()  # the store as it was: the submission with its scores


def validate_hundred(store: Store, iris: IRIs, data: Path, workers: int) -> float:
    """Validating 100 submissions as `import DIR` does (worker processes), without storing them."""
    jobs, _ = find_jobs(store, iris, data)
    ctx = Context.from_store(store, iris)
    started = time.perf_counter()
    for _report, _quads in validate_jobs(ctx, jobs[:100], workers):
        pass
    return time.perf_counter() - started


def small_store(store_dir: Path, data: Path, iris: IRIs, cities: int = 10) -> None:
    """A store holding the first `cities` cities of `data` (all their rounds), imported the same way."""
    subset = store_dir.with_name(store_dir.name + "-data")
    subset.mkdir(parents=True, exist_ok=True)
    for folder in sorted(p for p in data.iterdir() if p.is_dir())[:cities]:
        link = subset / folder.name
        if not link.exists():
            link.symlink_to(folder.resolve(), target_is_directory=True)
    built_store(store_dir, iris)
    load(store_dir, subset, iris, os.cpu_count() or 1)


def sample(data: Path) -> Path:
    """The submission whose validation is timed: the first city's last round."""
    return sorted(sorted(p for p in data.iterdir() if p.is_dir())[0].glob("*.csv"))[-1]


def validation(big: Store, small: Store, iris: IRIs, data: Path, workers: int) -> Step:
    reset_peak()
    path = sample(data)
    one_big, one_small = validate_one(big, iris, path), validate_one(small, iris, path)
    import_big, import_small = import_one(big, iris, path), import_one(small, iris, path)
    import_without = import_one(big, iris, path, derive=False)
    return Step({"one_submission_s": round(one_big, 3), "one_submission_10_cities_s": round(one_small, 3),
                 "growth_ratio": round(one_big / one_small, 2),
                 "hundred_submissions_s": round(validate_hundred(big, iris, data, workers), 2),
                 "import_one_s": round(import_big, 3), "import_one_10_cities_s": round(import_small, 3),
                 "import_growth_ratio": round(import_big / import_small, 2),
                 "import_one_without_scores_s": round(import_without, 3),
                 "import_with_scores_ratio": round(import_big / import_without, 2),
                 "peak_rss_mb": round(peak_mb(), 1)})


def compare(name: str, expected: results.Answers, found: results.Answers | None) -> list[str]:
    """Differences of one path's answers from the floor's, named by query ([] when identical)."""
    if found is None:
        return [f"{name}: no answer"]
    return [f"{name}: {d}" for d in results.differences(expected, found)]
