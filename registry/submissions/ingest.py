"""Stage → validate → commit: the only way a submission enters the store.

A submission that does not conform is never written; one that does replaces exactly its own
named graph (and registers its city if new) in one atomic step, together with the PROV record
of the validation run that admitted it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, XSD

from registry import sparql
from registry.catalogue.rdf import new_graph
from registry.namespaces import CITY_SLUG, IRIs, KPI, ROUND_ID
from registry.tables import asset_dir
from registry.store import OxigraphStore, Store
from registry.submissions import derived
from registry.submissions.staged import ASSURANCE, Catalogue, City, RoundInfo, Staged, check_ids
from registry.submissions.parse import city_graph, parse_submission
from registry.submissions.model import model_problems
from registry.tables import DataError, Refusal, read_table
from registry.submissions.validate import (SUBMISSION_SHAPES, Report, record_findings, reference_graph, shapes_version,
                                           validate_staged)

SEED_SOURCE = "Statistics Norway, Classification of municipalities (KLASS 131)"


@dataclass
class Context:
    """What validating a submission needs, read from the store once per process."""

    iris: IRIs
    catalogue: Catalogue
    reference: Graph

    @classmethod
    def from_store(cls, store: Store, iris: IRIs) -> Context:
        return cls(iris, Catalogue.from_store(store), reference_graph(store, iris))

    @classmethod
    def from_graphs(cls, iris: IRIs, ontology: Graph, catalogue: Graph) -> Context:
        """For `build`, before anything is stored: query the staged graphs in a scratch store."""
        with OxigraphStore() as scratch:
            scratch.replace_graphs({iris.g_ontology: ontology, iris.g_catalogue: catalogue})
            return cls.from_store(scratch, iris)


def find_city(store: Store, key: str) -> City | None:
    """A registered city by slug or municipality number."""
    rows = store.select(sparql.load("find_city"), {"key": Literal(key)})
    if not rows:
        return None
    r = rows[0]
    return City(str(r["slug"]), str(r["name"]), str(r["municipality"]) if "municipality" in r else None)


def resolve_city(store: Store, slug: str, name: str | None, municipality: str | None) -> tuple[City, bool]:
    """The registered city, or a new one (registered by its first import)."""
    known = find_city(store, slug)
    if known:
        if municipality and known.municipality and municipality != known.municipality:
            raise DataError(f"city {slug!r} is registered with municipality {known.municipality}, not {municipality}")
        return known, False
    city = new_city(slug, name, municipality, "--municipality")
    owner = find_city(store, municipality) if municipality else None
    check_municipality(city, owner, "--municipality")
    return city, True


def check_municipality(city: City, owner: City | None, where: str) -> None:
    """One municipality, one city: its number names the city's IRI (`/id/city/NNNN`, docs/conventions.md),
    so a second slug for it would give one city two names, and every table keyed by city would repeat."""
    if owner is not None and owner.slug != city.slug and owner.municipality == city.municipality:
        raise Refusal(f"{where} {city.municipality}: municipality {city.municipality} is already the city "
                      f"{owner.slug!r} ({owner.name}); import its submissions with --city {owner.slug}")


def new_city(slug: str, name: str | None = None, municipality: str | None = None,
             where: str = "municipality") -> City:
    """A city new to the registry; without a name it is named after its slug. `where` names the input."""
    if municipality and not (municipality.isdigit() and len(municipality) == 4):
        raise DataError(f"{where} {municipality!r}: a Norwegian municipality number has four digits")
    return City(slug, name or slug.replace("-", " ").title(), municipality)


def default_ids(path: Path, city: str | None, round_id: str | None) -> tuple[str, str]:
    """The city and round a file is validated as when they are not given: its folder's name when that is a
    city slug (data/cities/{city}/{round}.csv), else "city"; its name without extension when that is a round
    identifier, else "draft". `validate` and the server's /validate use the same defaults."""
    slug = city or (path.parent.name if CITY_SLUG.match(path.parent.name) else "city")
    return slug, round_id or (path.stem if ROUND_ID.match(path.stem) else "draft")


def validate_file(path: Path, ctx: Context, city: City, round_id: str, info: RoundInfo | None = None,
                  allow_empty: bool = False, data: bytes | None = None) -> tuple[Staged, Report]:
    """Parse and check one file (or `data`, an upload named `path`, read from memory); a file that holds no
    submission item is refused unless `allow_empty` (fail closed: nothing in it could be checked, and stored
    it would replace a round by an empty one)."""
    staged = parse_submission(path, ctx.iris, ctx.catalogue, city, round_id, info, data)
    return staged, check_staged(ctx, staged, allow_empty)


def check_staged(ctx: Context, staged: Staged, allow_empty: bool = False) -> Report:
    """The checks after parsing: the closed model, then the shapes. Also for a submission staged some
    other way (the workflow's publish), so it is checked exactly as an imported file is."""
    staged.problems += model_problems(ctx.iris, staged)
    focus = ctx.iris.submission(staged.city.slug, staged.round_id)
    if any(p.severity == "Violation" for p in staged.problems):
        report = Report(staged.source, staged.problems)  # refused already; SHACL would add nothing to fix
        record_findings(report, staged.problems, focus)
        return report
    if not allow_empty and next(staged.graph.subjects(KPI.dataPoint, None), None) is None:
        raise DataError(f"{staged.source}: holds no submission item (no row with a value, status or note; "
                        "no node with kpi:dataPoint): nothing to check or store (import --replace-with-empty "
                        "replaces a stored round by an empty one)")
    report = validate_staged(staged, ctx.reference)
    record_findings(report, staged.problems + [p for p in report.problems if p.rule == "SHACL"], focus)
    return report


def run_record(iris: IRIs, staged: Staged, report: Report, started: dt.datetime) -> Graph:
    """The validation run as a PROV activity, so validation history can be queried with SPARQL."""
    g = new_graph()
    run = iris.activity("validation", f"{started:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}")
    g.add((run, RDF.type, KPI.ValidationRun))
    g.add((run, RDF.type, PROV.Activity))
    g.add((run, RDFS.label, Literal(f"Validation of {Path(staged.source).name}")))
    g.add((run, PROV.startedAtTime, Literal(started.isoformat(), datatype=XSD.dateTime)))
    g.add((run, PROV.endedAtTime, Literal(dt.datetime.now(dt.UTC).isoformat(), datatype=XSD.dateTime)))
    g.add((run, PROV.used, iris.submission(staged.city.slug, staged.round_id)))
    g.add((run, KPI.shapesVersion, Literal(shapes_version(*SUBMISSION_SHAPES))))
    g.add((run, KPI.conforms, Literal(report.conforms)))
    g.add((run, KPI.resultCount, Literal(len(report.problems))))
    return g


def import_submission(store: Store, ctx: Context, path: Path, slug: str, round_id: str,
                      name: str | None = None, municipality: str | None = None,
                      replace_with_empty: bool = False) -> Report:
    """Import one file; returns the report, with the round's items before → after when it conforms.
    The store changes only when the submission conforms; a file without items replaces a stored
    round only when `replace_with_empty` asks for it."""
    check_ids(slug, round_id)
    started = dt.datetime.now(dt.UTC)
    city, new = resolve_city(store, slug, name, municipality)
    stored = existing_round(store, ctx.iris, city, round_id)
    staged, report = validate_file(path, ctx, city, round_id, stored, allow_empty=replace_with_empty)
    if report.conforms:
        commit(store, ctx, staged, report, started, new, stored is not None)
    return report


def commit(store: Store, ctx: Context, staged: Staged, report: Report, started: dt.datetime, new_city: bool,
           replaces: bool, also: dict[URIRef, Graph] | None = None) -> None:
    """Write a conforming submission: its graph, the city if new, and `also` (graphs kept with the round,
    such as its workflow record) in one atomic step, with the PROV record of the validation run and the
    submission's scores and summary recomputed (registry.submissions.derived)."""
    city, round_id = staged.city, staged.round_id
    report.replaced = (item_count(store, ctx.iris.submission(city.slug, round_id)) if replaces else None,
                       len(set(staged.graph.subjects(KPI.dataPoint, None))))
    graphs: dict[URIRef, Graph] = {ctx.iris.g_submission(city.slug, round_id): staged.graph, **(also or {})}
    if new_city:
        cities = store.construct(sparql.load("construct_graph"), {"graph": ctx.iris.g_cities})
        graphs[ctx.iris.g_cities] = cities + city_graph(ctx.iris, [city])
    rewrite = derived.submission_updates(ctx.iris, city.slug, round_id, derived.stored_sets(store, ctx.iris),
                                         using=not store.updates_read_union)
    store.replace_graphs(graphs, append={ctx.iris.g_system: run_record(ctx.iris, staged, report, started)},
                         then=rewrite)


def item_count(store: Store, submission: URIRef) -> int:
    rows = store.select(sparql.load("count_submission_items"), {"submission": submission})
    return int(rows[0]["items"]) if rows else 0


def existing_round(store: Store, iris: IRIs, city: City, round_id: str) -> RoundInfo | None:
    """Re-importing corrected values keeps what was recorded about the round (verifier, dates)."""
    rows = store.select(sparql.load("describe_round"), {"round": iris.round(city.slug, round_id)})
    if not rows:
        return None
    r = {k: str(v) for k, v in rows[0].items()}
    assurance = next((k for k, v in ASSURANCE.items() if str(v) == r.get("assurance")), None)
    return RoundInfo(r.get("title"), r.get("completed"), r.get("issued"), r.get("verifier"), assurance,
                     r.get("source"), r.get("note"))


# -- the seed cities in data/cities/ -------------------------------------------------------
def seed_cities(data: Path) -> list[City]:
    return [City(r["slug"], r["name"], r["municipality"] or None)
            for _, r in read_table(data / "cities" / "cities.tsv", ("slug", "name", "municipality"))]


def seed_rounds(data: Path) -> dict[tuple[str, str], RoundInfo]:
    path = data / "cities" / "rounds.tsv"
    rounds = {}
    for line, r in read_table(path, ("city", "round", "title", "verification_completed", "report_issued",
                                      "verifier", "assurance", "source", "note")):
        if r["assurance"] and r["assurance"] not in ASSURANCE:
            raise DataError(f"{path}:{line}: assurance must be one of {', '.join(ASSURANCE)}")
        rounds[(r["city"], r["round"])] = RoundInfo(r["title"] or None, r["verification_completed"] or None,
                                                    r["report_issued"] or None, r["verifier"] or None,
                                                    r["assurance"] or None, r["source"] or None, r["note"] or None)
    return rounds


def stage_seeds(ctx: Context, data: Path | None = None) -> dict[URIRef, Graph]:
    """The cities graph and every seed submission, each validated: a seed that fails stops the build."""
    data = data or asset_dir("data")
    cities = seed_cities(data)
    rounds = seed_rounds(data)
    graphs: dict[URIRef, Graph] = {ctx.iris.g_cities: city_graph(ctx.iris, cities, SEED_SOURCE)}
    for city in cities:
        for path in sorted((data / "cities" / city.slug).glob("*.csv")):
            staged, report = validate_file(path, ctx, city, path.stem, rounds.get((city.slug, path.stem)))
            if not report.conforms:
                first = report.violations[0]
                raise DataError(f"{path}:{first.line or ''}: seed submission does not conform: {first.message}")
            graphs[ctx.iris.g_submission(city.slug, path.stem)] = staged.graph
    return graphs
