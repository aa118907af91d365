"""Benchmark sets: targets as data with provenance, staged from `data/benchmarks/` or imported from CSV.

The official U4SSC targets are not published, so the registry never holds a target in code: a set
says who published it, when and how final it is, and each target cites the document it was read
from. A set is checked with SHACL (shapes/benchmark.ttl, rules BEN-n) against the catalogue and
stored as its own named graph in one atomic write; a set that does not conform is never stored.

CSV columns (as `data/benchmarks/international-targets.csv`): data_point_id, target, unit,
direction (higher | lower | band), band_low, band_high, source (an IRI), and optionally
source_title, quote, note, strict, applies_from. The quote (the source's words that give the number) is kept as the
benchmark's dcterms:description, the note as skos:note. `strict` is `yes` where the source states a
strict bound ("less than 70"): a value equal to the target or a band limit then does not meet it
(kpi:strictBound); empty or `no`, it does. `applies_from` is the year (YYYY) from which the source makes the target
apply (kpi:appliesFrom, xsd:gYear): a round of an earlier year is not scored against it (docs/rules.md, BEN-18).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, SKOS, XSD

from registry import sparql
from registry.catalogue.rdf import new_graph
from registry.submissions import derived
from registry.submissions.bulk import replace_and_derive
from registry.submissions.ingest import Context
from registry.namespaces import IRIs, KPI, SDG, SH, owned_by_registry, slug
from registry.tables import asset_dir
from registry.store import Store
from registry.submissions.staged import Catalogue, Problem
from registry.submissions.numbers import normalise_number, value_literal
from registry.tables import DataError, read_table
from registry.submissions.validate import Report, checked, rule_of, severity_of, shapes

ADMS = Namespace("http://www.w3.org/ns/adms#")
ADMS_STATUS = Namespace("http://purl.org/adms/status/")
STATUS = {"draft": ADMS_STATUS.UnderDevelopment, "final": ADMS_STATUS.Completed,
          "deprecated": ADMS_STATUS.Deprecated, "withdrawn": ADMS_STATUS.Withdrawn}
DIRECTION = {"higher": KPI.HigherIsBetter, "lower": KPI.LowerIsBetter, "band": KPI.TargetBand}
REQUIRED = ("data_point_id", "target", "unit", "direction", "band_low", "band_high", "source")
SHAPES = "benchmark.ttl"
DEFAULT_SET = "international-targets"
SET_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|^`\\]+$")


@dataclass(frozen=True)
class SetInfo:
    """What a benchmark set states about itself (data/benchmarks/sets.tsv, or the import options)."""

    id: str
    title: str
    publisher: str
    issued: str
    status: str = "draft"
    description: str | None = None
    note: str | None = None


@dataclass
class StagedSet:
    """A parsed benchmark set, not yet stored, with the CSV line of each benchmark for error messages."""

    info: SetInfo
    graph: Graph
    source: str
    lines: dict[URIRef, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def parse_set(path: Path, iris: IRIs, catalogue: Catalogue, info: SetInfo) -> StagedSet:
    """A benchmark CSV → the set's graph. Lenient on content: SHACL names what is wrong."""
    if not SET_ID.match(info.id):
        raise DataError(f"set {info.id!r}: must be lower-case letters, digits, '.', '_' or '-' (e.g. oslo-2030)")
    staged = StagedSet(info, new_graph(), str(path))
    _set_metadata(staged.graph, iris, info)
    seen: set[str] = set()
    for line, row in read_table(path, REQUIRED):
        if any(row.values()):
            _benchmark(staged, iris, catalogue, row, line, seen)
    staged.problems = _outside_model(staged, iris)
    return staged


def _set_metadata(g: Graph, iris: IRIs, info: SetInfo) -> None:
    node, agent = iris.benchmark_set(info.id), iris.agent(slug(info.publisher) or "unknown")
    g.bind("adms", ADMS)
    g.add((node, RDF.type, KPI.BenchmarkSet))
    g.add((node, RDF.type, DCAT.Dataset))
    g.add((node, DCTERMS.identifier, Literal(info.id)))
    g.add((node, DCTERMS.title, Literal(info.title, lang="en")))
    g.add((node, DCTERMS.issued, _date(info.issued)))
    g.add((node, DCTERMS.publisher, agent))
    g.add((agent, RDF.type, FOAF.Agent))
    g.add((agent, FOAF.name, Literal(info.publisher)))
    g.add((node, ADMS.status, STATUS.get(info.status, Literal(info.status))))
    if info.description:
        g.add((node, DCTERMS.description, Literal(info.description, lang="en")))
    if info.note:
        g.add((node, SKOS.note, Literal(info.note, lang="en")))


def _date(text: str) -> Literal:
    """An ISO date as xsd:date; anything else as a plain string that rule BEN-3 rejects."""
    try:
        return Literal(dt.date.fromisoformat(text).isoformat(), datatype=XSD.date)
    except ValueError:
        return Literal(text)


def _benchmark(staged: StagedSet, iris: IRIs, catalogue: Catalogue, row: dict[str, str], line: int,
               seen: set[str]) -> None:
    dp_id, set_id = row["data_point_id"], staged.info.id
    entry = catalogue.entries.get(dp_id)
    node = iris.benchmark(set_id, quote(dp_id, safe="-._~") or "missing-id")
    if dp_id in seen:  # two rows would merge into one node: keep them apart for rule BEN-6
        node = URIRef(f"{node}-duplicate-line-{line}")
    seen.add(dp_id)
    staged.lines[node] = line
    g = staged.graph
    g.add((node, RDF.type, KPI.Benchmark))
    g.add((node, KPI.inSet, iris.benchmark_set(set_id)))
    g.add((node, KPI.benchmarkFor, entry.iri if entry else iris.datapoint(quote(dp_id, safe="-._~") or "missing-id")))
    g.add((node, KPI.direction, DIRECTION.get(row["direction"].lower(), Literal(row["direction"]))))
    g.add((node, KPI.unit, entry.unit if entry and row["unit"] == entry.unit_as_printed else Literal(row["unit"])))
    if row["target"]:
        g.add((node, KPI.targetValue, value_literal(row["target"], entry.datatype if entry else XSD.decimal)))
    for column, prop in (("band_low", KPI.bandLower), ("band_high", KPI.bandUpper)):
        if row[column]:
            number = normalise_number(row[column])
            g.add((node, prop, Literal(number, datatype=XSD.decimal) if number is not None else Literal(row[column])))
    if row["source"]:
        source = URIRef(row["source"]) if _IRI.match(row["source"]) else Literal(row["source"])
        g.add((node, DCTERMS.source, source))
        if isinstance(source, URIRef):
            g.add((node, PROV.wasDerivedFrom, source))
            if row.get("source_title"):
                g.add((source, DCTERMS.title, Literal(row["source_title"], lang="en")))
    if (row.get("strict") or "").strip():
        g.add((node, KPI.strictBound, value_literal(row["strict"], XSD.boolean)))  # not yes/no: BEN-17 names it
    if (row.get("applies_from") or "").strip():
        g.add((node, KPI.appliesFrom, _year(row["applies_from"].strip())))
    if row.get("quote"):
        g.add((node, DCTERMS.description, Literal(row["quote"], lang="en")))
    if row.get("note"):
        g.add((node, SKOS.note, Literal(row["note"], lang="en")))


def _year(text: str) -> Literal:
    """A year as xsd:gYear; anything else as a plain string that rule BEN-18 rejects."""
    return Literal(text, datatype=XSD.gYear) if re.fullmatch(r"[0-9]{4}", text) else Literal(text)


def validate_set(staged: StagedSet, reference: Graph) -> Report:
    """SHACL over the set plus the ontology and catalogue; each finding names its rule and CSV line."""
    results, failed = checked(shapes(SHAPES), staged.source, reference, staged.graph)
    problems = staged.problems + failed + [_problem(results, r, staged) for r in results.subjects(SH.resultSeverity, None)]
    problems.sort(key=lambda p: (p.line or 0, p.rule, p.message))
    return Report(staged.source, problems, results)


def _outside_model(staged: StagedSet, iris: IRIs) -> list[Problem]:
    """MOD-1: a set states things about itself, its benchmarks, its publisher and the documents it cites,
    never about an IRI of the registry's (a `source` naming a catalogue KPI would give the KPI a title). A
    UN SDG target is a document a target may cite (data/benchmarks/), and gets the title of its text."""
    set_node = iris.benchmark_set(staged.info.id)
    own = {set_node, staged.graph.value(set_node, DCTERMS.publisher)}
    return [Problem("MOD-1", f"<{s}> is the registry's own: a benchmark set may cite it, not describe it "
                             f"(a source is the document a target comes from)", file=staged.source,
                    line=next((staged.lines[b] for b in staged.graph.subjects(DCTERMS.source, s) if b in staged.lines), None),
                    focus=str(s))
            for s in sorted(set(staged.graph.subjects()))
            if s not in own and not str(s).startswith(f"{set_node}/") and owned_by_registry(s, iris.base, cited=(SDG,))]


def _problem(results: Graph, result, staged: StagedSet) -> Problem:
    focus, value = results.value(result, SH.focusNode), results.value(result, SH.value)
    if value in staged.lines:  # a set-level rule that names the offending benchmark
        focus = value
    rule = rule_of(results, result, shapes(SHAPES))
    message = str(results.value(result, SH.resultMessage) or "")
    dp = staged.graph.value(focus, KPI.benchmarkFor)
    return Problem(rule=str(rule or message.split(":", 1)[0]), message=message,
                   severity=severity_of(results, result),
                   file=staged.source, line=staged.lines.get(focus), focus=str(focus),
                   data_point=str(dp).rsplit("/", 1)[-1] if dp is not None else f"(set {staged.info.id})")


def shipped_sets(data: Path | None = None) -> dict[str, tuple[SetInfo, Path]]:
    """The sets in data/benchmarks/: sets.tsv gives each set's metadata, `{set}.csv` its targets."""
    folder = (data or asset_dir("data")) / "benchmarks"
    columns = ("set", "title", "description", "issued", "publisher", "status", "note")
    return {r["set"]: (SetInfo(r["set"], r["title"], r["publisher"], r["issued"], r["status"],
                               r["description"] or None, r["note"] or None), folder / f"{r['set']}.csv")
            for _, r in read_table(folder / "sets.tsv", columns)}


def stage_shipped(ctx: Context, data: Path | None = None) -> dict[URIRef, Graph]:
    """Every shipped set, validated: a shipped set that does not conform stops the build."""
    graphs = {}
    for info, path in shipped_sets(data).values():
        staged = parse_set(path, ctx.iris, ctx.catalogue, info)
        report = validate_set(staged, ctx.reference)
        if not report.conforms:
            first = report.violations[0]
            raise DataError(f"{path}:{first.line or ''}: benchmark set does not conform: {first.message}")
        graphs[ctx.iris.g_benchmarks(info.id)] = staged.graph
    return graphs


def import_set(store: Store, ctx: Context, path: Path, info: SetInfo) -> Report:
    """Validate a set and, when it conforms, replace its graph and every submission's scores against it in
    one write; otherwise change nothing."""
    if info.id in shipped_sets():
        raise DataError(f"set {info.id!r} is shipped in data/benchmarks/ and rebuilt from there; import under another id")
    staged = parse_set(path, ctx.iris, ctx.catalogue, info)
    report = validate_set(staged, ctx.reference)
    if report.conforms:
        replace_and_derive(store, {ctx.iris.g_benchmarks(info.id): staged.graph}, [derived.for_set(ctx.iris, info.id)])
    return report


def list_sets(store: Store) -> list[dict]:
    """The stored sets with their metadata and number of targets."""
    rows = store.select(sparql.load("list_benchmark_sets"))
    names = {v: k for k, v in STATUS.items()}
    return [{"set": str(r["id"]), "title": str(r["title"]), "issued": str(r["issued"]),
             "publisher": str(r["publisher"]), "status": names.get(r["status"], str(r["status"])),
             "benchmarks": int(r["benchmarks"])} for r in rows]


def find_set(store: Store, set_id: str) -> dict | None:
    """One stored set's metadata (as list_sets gives it), or None."""
    return next((s for s in list_sets(store) if s["set"] == set_id), None)
