"""`import DIR`: many submissions at once, each validated exactly as `import FILE` validates it.

Validation (pyshacl) is what a submission costs, so submissions are validated in parallel worker
processes; each sends back its report and, when it conforms, its graph and the PROV record of its
validation as N-Quads, which go to one temporary file. Only when every submission conforms is that
file written, in one step (Store.bulk_replace), with every score and summary recomputed in it
(registry.submissions.derived): a directory with one failing file changes nothing.

Layout, as in data/cities/: DIR/cities.tsv (optional; columns slug, name, municipality) and
DIR/{city}/{round}.csv (or .ttl, .jsonld, .nt, .rdf).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef

from registry import sparql
from registry.submissions import derived
from registry.submissions.ingest import Context, check_municipality, existing_round, new_city, run_record, validate_file
from registry.namespaces import CITY_SLUG, IRIs, ROUND_ID
from registry.store import Derived, Store
from registry.submissions.staged import Catalogue, City, RoundInfo
from registry.submissions.parse import city_graph
from registry.submissions.userfiles import FORMATS as RDF_FORMATS
from registry.tables import DataError, read_table
from registry.submissions.validate import Report

SUFFIXES = (".csv", ".xlsx", *RDF_FORMATS)
Progress = Callable[[int, int], None]  # (submissions validated, total)


@dataclass(frozen=True)
class Job:
    """One submission to validate: what a worker process needs, and nothing that cannot be pickled."""

    path: Path
    city: City
    round_id: str
    info: RoundInfo | None = None


@dataclass
class BulkReport:
    """What an import of a directory did: every report, and where the time went."""

    reports: list[Report] = field(default_factory=list)
    quads: int = 0
    validate_seconds: float = 0.0
    load_seconds: float = 0.0

    @property
    def conforms(self) -> bool:
        return all(r.conforms for r in self.reports)

    @property
    def failed(self) -> list[Report]:
        return [r for r in self.reports if not r.conforms]


def find_jobs(store: Store, iris: IRIs, directory: Path) -> tuple[list[Job], list[City]]:
    """The submissions under `directory` in a stable order, and the cities they register."""
    names = _city_table(directory / "cities.tsv")
    known = {str(r["slug"]): City(str(r["slug"]), str(r["name"]), _text(r.get("municipality")))
             for r in store.select(sparql.load("list_city_keys"))}
    existing = set(store.graphs())
    jobs, new = [], {}
    for folder in sorted(p for p in directory.iterdir() if p.is_dir()):
        if not CITY_SLUG.match(folder.name):
            raise DataError(f"{folder}: a city folder must be named by its slug (lower-case ASCII, e.g. 'alesund')")
        city = known.get(folder.name) or new.get(folder.name)
        if city is None:
            city = new[folder.name] = names.get(folder.name) or new_city(folder.name)
            owners = {c.municipality: c for c in (*known.values(), *new.values()) if c.municipality and c is not city}
            check_municipality(city, owners.get(city.municipality), f"{directory / 'cities.tsv'}: {city.slug}: municipality")
        for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES):
            if not ROUND_ID.match(path.stem):
                raise DataError(f"{path}: the file name must be the round, e.g. 2024.csv")
            graph = iris.g_submission(city.slug, path.stem)
            info = existing_round(store, iris, city, path.stem) if graph in existing else None
            jobs.append(Job(path, city, path.stem, info))
    return jobs, list(new.values())


def _city_table(path: Path) -> dict[str, City]:
    """Names and municipality numbers of new cities, from the directory's cities.tsv when it has one."""
    if not path.is_file():
        return {}
    return {r["slug"]: new_city(r["slug"], r["name"], r.get("municipality") or None, f"{path}:{line}: municipality")
            for line, r in read_table(path, ("slug", "name"))}


def _text(term) -> str | None:
    return None if term is None else str(term)


# -- validation in worker processes -----------------------------------------------------------

_WORKER: Context | None = None  # the validation context, built once in each worker


def _use(ctx: Context) -> None:
    global _WORKER
    _WORKER = ctx


def _start_worker(iris: IRIs, catalogue: Catalogue, reference: bytes) -> None:
    _use(Context(iris, catalogue, Graph().parse(data=reference, format="nt")))


def _validate(job: Job) -> tuple[Report, bytes]:
    """Validate one submission; when it conforms, its graph and PROV record as N-Quads."""
    started = dt.datetime.now(dt.UTC)
    staged, report = validate_file(job.path, _WORKER, job.city, job.round_id, job.info)
    report.graph = Graph()  # the SHACL report graph is not needed here, and costs pickling
    if not report.conforms:
        return report, b""
    iris = _WORKER.iris
    record = run_record(iris, staged, report, started)
    return report, nquads(staged.graph, iris.g_submission(job.city.slug, job.round_id)) + nquads(record, iris.g_system)


def replace_and_derive(store: Store, graphs: dict[URIRef, Graph], derive: list[Derived]) -> None:
    """Replace `graphs` and recompute `derive` from the result in one bulk write (a benchmark set, `build`):
    what changes every submission's scores is written the way `import DIR` writes, not as one update."""
    with tempfile.TemporaryDirectory(prefix="kpi-write-") as scratch:
        quads = Path(scratch) / "graphs.nq"
        with quads.open("wb") as handle:
            for name, graph in graphs.items():
                handle.write(nquads(graph, name))
        store.bulk_replace(quads, list(graphs), derive)


def nquads(graph: Graph, name: URIRef) -> bytes:
    """A graph's triples as N-Quads in the named graph `name` (N-Triples lines with the graph added)."""
    suffix = f"<{name}> .\n".encode()
    lines = graph.serialize(format="nt", encoding="utf-8").splitlines()
    return b"".join(line[:-1] + suffix for line in lines if line)


def validate_jobs(ctx: Context, jobs: list[Job], workers: int) -> Iterator[tuple[Report, bytes]]:
    """Each job's report and N-Quads, in job order, validated by `workers` spawned processes."""
    if workers <= 1 or len(jobs) <= 1:
        _use(ctx)
        yield from map(_validate, jobs)
        return
    reference = ctx.reference.serialize(format="nt", encoding="utf-8")
    # Spawned, not forked: the parent holds the store open, and RocksDB's threads do not survive a fork.
    with ProcessPoolExecutor(workers, multiprocessing.get_context("spawn"), _start_worker,
                             (ctx.iris, ctx.catalogue, reference)) as pool:
        yield from pool.map(_validate, jobs, chunksize=max(1, min(16, len(jobs) // (4 * workers))))


# -- the import ----------------------------------------------------------------------------

def import_directory(store: Store, ctx: Context, directory: Path, workers: int | None = None,
                     progress: Progress = lambda done, total: None) -> BulkReport:
    """Validate every submission under `directory`; store all of them in one step when all conform."""
    if not directory.is_dir():
        raise DataError(f"{directory}: not a directory")
    jobs, new_cities = find_jobs(store, ctx.iris, directory)
    if not jobs:
        raise DataError(f"{directory}: no submissions found (expected {{city}}/{{round}}.csv)")
    result = BulkReport()
    with tempfile.TemporaryDirectory(prefix="kpi-import-") as scratch:
        quads = Path(scratch) / "submissions.nq"
        started = time.perf_counter()
        result.quads = _validate_into(ctx, jobs, workers or os.cpu_count() or 1, quads, result, progress)
        result.validate_seconds = time.perf_counter() - started
        if not result.conforms:
            return result
        with quads.open("ab") as handle:
            cities = nquads(city_graph(ctx.iris, new_cities), ctx.iris.g_cities)
            handle.write(cities)
            result.quads += cities.count(b"\n")
        started = time.perf_counter()
        store.bulk_replace(quads, [ctx.iris.g_submission(j.city.slug, j.round_id) for j in jobs],
                           derived.everything(ctx.iris, derived.stored_sets(store, ctx.iris)))
        result.load_seconds = time.perf_counter() - started
    return result


def _validate_into(ctx: Context, jobs: list[Job], workers: int, target: Path, result: BulkReport,
                   progress: Progress) -> int:
    """Collect every report; write the N-Quads of conforming submissions to `target` while all conform."""
    written, conforms = 0, True
    with target.open("wb") as handle:
        for done, (report, data) in enumerate(validate_jobs(ctx, jobs, workers), start=1):
            result.reports.append(report)
            conforms = conforms and report.conforms
            if conforms:
                handle.write(data)
                written += data.count(b"\n")
            progress(done, len(jobs))
    return written
