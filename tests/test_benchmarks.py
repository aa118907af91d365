"""Benchmark sets: the shipped set as RDF with provenance, the BEN rules, and imports that are all or nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, XSD

from registry.scoring.benchmarks import SetInfo, import_set, list_sets, parse_set, validate_set
from registry.submissions.ingest import Context
from registry.namespaces import KPI
from registry.tables import DataError, read_table

from .conftest import ROOT

HEADER = "data_point_id,target,unit,direction,band_low,band_high,source,source_title,quote,note,strict,applies_from\n"
SOURCE = "http://metadata.un.org/sdg/9.c"


@pytest.fixture
def context(store, iris) -> Context:
    return Context.from_store(store, iris)


def write(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "targets.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def info(**changes) -> SetInfo:
    return SetInfo(**{"id": "test-set", "title": "Test targets", "publisher": "Test City", "issued": "2024-05-01",
                      "status": "draft", **changes})


def fired(report) -> set[tuple[str, int | None]]:
    return {(p.rule, p.line) for p in report.violations}


def test_shipped_set_is_built_into_its_own_graph(staged, iris):
    graph = staged[iris.g_benchmarks("international-targets")]
    benchmarks = set(graph.subjects(RDF.type, KPI.Benchmark))
    assert len(benchmarks) == 34
    assert iris.benchmark("international-targets", "SC-EH-H-2C") in benchmarks
    the_set = iris.benchmark_set("international-targets")
    assert graph.value(the_set, DCTERMS.identifier) == Literal("international-targets")
    assert str(graph.value(the_set, DCTERMS.issued)) == "2026-12-03"
    for b in benchmarks:
        assert graph.value(b, KPI.inSet) == the_set
        assert isinstance(graph.value(b, DCTERMS.source), URIRef)
        assert graph.value(b, PROV.wasDerivedFrom) == graph.value(b, DCTERMS.source)


def test_shipped_set_keeps_direction_band_and_zero_target(staged, iris):
    graph = staged[iris.g_benchmarks("international-targets")]
    parity = iris.benchmark("international-targets", "SC-SH-SI-1C")
    assert graph.value(parity, KPI.direction) == KPI.TargetBand
    assert (float(graph.value(parity, KPI.bandLower)), float(graph.value(parity, KPI.bandUpper))) == (1.0, 1.0)
    slums = iris.benchmark("international-targets", "SC-SH-HO-1C")
    assert graph.value(slums, KPI.direction) == KPI.LowerIsBetter
    assert float(graph.value(slums, KPI.targetValue)) == 0


def test_listed_with_metadata(store):
    assert list_sets(store) == [
        {"set": "international-targets",
         "title": "International targets (U4SSC, SDG, ITU, WHO, UN agencies, EU law and policy, CBD)",
         "issued": "2026-12-03", "publisher": "U4SSC KPI registry project", "status": "draft", "benchmarks": 34},
        {"set": "norway-national-targets",
         "title": "Norwegian national targets (national goals, laws and regulations, and EEA obligations)",
         "issued": "2026-12-03", "publisher": "U4SSC KPI registry project", "status": "draft", "benchmarks": 8}]


def test_a_target_that_applies_from_a_year_keeps_it(staged, iris):
    """EC-ICT-PS-3A: Directive 2014/24/EU makes electronic submission apply from 18 October 2018 (kpi:appliesFrom)."""
    graph = staged[iris.g_benchmarks("international-targets")]
    year = graph.value(iris.benchmark("international-targets", "EC-ICT-PS-3A"), KPI.appliesFrom)
    assert (str(year), year.datatype) == ("2018", XSD.gYear)
    assert [b for b in graph.subjects(KPI.appliesFrom, None)] == [iris.benchmark("international-targets", "EC-ICT-PS-3A")]


def test_a_conforming_csv_validates(tmp_path, context, iris):
    path = write(tmp_path, f"EC-ICT-ICT-1C,100,%,higher,,,{SOURCE},,universal access,\n"
                           "EC-I-UP-2A-compact,yes,yes/no,higher,,,https://example.org/plan,,,\n"
                           "SC-SH-SI-1C,,ratio female:male,band,0.95,1.05,https://example.org/policy,,,\n"
                           "SC-EH-H-2C,70,per 100 000 live births,lower,,,https://example.org/t,,less than 70,,yes\n")
    report = validate_set(parse_set(path, iris, context.catalogue, info()), context.reference)
    assert report.conforms, report.problems


@pytest.mark.parametrize(("row", "rule"), [
    ("NOPE-1C,100,%,higher,,,{s},,,", "BEN-8"),
    ("EC-ICT-ICT-2C,100,%,sideways,,,{s},,,", "BEN-9"),
    ("EC-ICT-ICT-3C,,per 100 000 inhabitants,higher,,,{s},,,", "BEN-10"),
    ("EC-ICT-T-1C,abc,%,higher,,,{s},,,", "BEN-10"),
    ("EC-ICT-WS-1C,0,%,higher,,,{s},,,", "BEN-11"),
    ("EC-ICT-WS-1C,-5,%,lower,,,{s},,,", "BEN-11"),
    ("EC-ICT-WS-2A,50,%,band,60,40,{s},,,", "BEN-12"),
    ("EC-ICT-T-2C,50,%,higher,10,20,{s},,,", "BEN-12"),
    ("EC-ICT-PS-2A,0,number of services,lower,,,{s},,,", "BEN-13"),
    ("EC-ICT-D-1A,150,%,higher,,,{s},,,", "BEN-14"),
    ("EC-ICT-ES-1C,100,percent,higher,,,{s},,,", "BEN-15"),
    ("EC-ICT-ES-2A,100,%,higher,,,,,,", "BEN-16"),
    ("EC-ICT-ES-3A,100,%,higher,,,city council decision,,,", "BEN-16"),
    ("EC-ICT-T-3A,100,%,higher,,,{s},,,,perhaps", "BEN-17"),
    ("EC-ICT-T-3A,100,%,higher,,,{s},,,,,from 2018", "BEN-18"),
    ("EC-ICT-T-3A,100,%,higher,,,{s},,,,,18", "BEN-18"),
])
def test_each_rule_fires_on_its_line(tmp_path, context, iris, row, rule):
    path = write(tmp_path, row.format(s=SOURCE) + "\n")
    report = validate_set(parse_set(path, iris, context.catalogue, info()), context.reference)
    assert (rule, 2) in fired(report)


def test_two_targets_for_one_data_point(tmp_path, context, iris):
    path = write(tmp_path, f"EC-ICT-ICT-1C,100,%,higher,,,{SOURCE},,,\nEC-ICT-ICT-1C,90,%,higher,,,{SOURCE},,,\n")
    report = validate_set(parse_set(path, iris, context.catalogue, info()), context.reference)
    assert "BEN-6" in {rule for rule, _ in fired(report)}


@pytest.mark.parametrize(("changes", "rule"), [
    ({"issued": "2024-13-01"}, "BEN-3"),
    ({"status": "bogus"}, "BEN-5"),
])
def test_set_metadata_rules(tmp_path, context, iris, changes, rule):
    path = write(tmp_path, f"EC-ICT-ICT-1C,100,%,higher,,,{SOURCE},,,\n")
    report = validate_set(parse_set(path, iris, context.catalogue, info(**changes)), context.reference)
    assert [p.rule for p in report.violations] == [rule]


def test_import_stores_the_set_and_scores_can_name_it(tmp_path, store, context, iris):
    path = write(tmp_path, f"EC-ICT-ICT-1C,100,%,higher,,,{SOURCE},,,\n")
    assert import_set(store, context, path, info()).conforms
    assert store.has_graph(iris.g_benchmarks("test-set"))
    assert {s["set"]: s["benchmarks"] for s in list_sets(store)} == {"international-targets": 34, "norway-national-targets": 8,
                                                                          "test-set": 1}


def test_import_that_does_not_conform_changes_nothing(tmp_path, store, context, iris):
    before = store.count()
    path = write(tmp_path, f"EC-ICT-ICT-1C,100,%,higher,,,{SOURCE},,,\nNOPE-1C,1,%,higher,,,{SOURCE},,,\n")
    assert not import_set(store, context, path, info()).conforms
    assert store.count() == before and not store.has_graph(iris.g_benchmarks("test-set"))


def test_import_refuses_the_id_of_a_shipped_set(tmp_path, store, context):
    path = write(tmp_path, f"EC-ICT-ICT-1C,100,%,higher,,,{SOURCE},,,\n")
    with pytest.raises(DataError, match="shipped"):
        import_set(store, context, path, info(id="international-targets"))


# -- docs/benchmark-coverage.md accounts for every data point ----------------------------------------------------------
COVERAGE_SETS = ("international-targets", "norway-national-targets")
CELL = re.compile(r"^`(?P<sign>[≥≤<>] )?(?P<target>\S+)(?: – (?P<high>\S+))? (?P<unit>[^`]+?)(?:, from (?P<year>\d{4}))?` "
                  r"\[[^\]]+\]\((?P<source>[^)\s]+)\)$")


def coverage_rows() -> dict[str, list[str]]:
    """Data point id → its set cells, from the table of docs/benchmark-coverage.md (every id counted, repeats too)."""
    text = (ROOT / "docs" / "benchmark-coverage.md").read_text(encoding="utf-8")
    rows = [[c.strip() for c in line.strip().strip("|").split(" | ")] for line in text.splitlines()
            if re.match(r"^\| \d+ \| `", line)]
    ids = [r[1].strip("`") for r in rows]
    assert len(ids) == len(set(ids)), "a data point is listed twice"
    return {r[1].strip("`"): r[3:] for r in rows}


def test_coverage_table_lists_every_data_point_once():
    catalogue = [row["datapoint_id"] for _, row in read_table(ROOT / "data" / "catalogue" / "datapoints.tsv")]
    assert list(coverage_rows()) == catalogue


@pytest.mark.parametrize("column", range(len(COVERAGE_SETS)))
def test_coverage_table_agrees_with_the_sets(column):
    """A cell with a target names the CSV's target, unit, year and source; a cell without one says why (`none:`)."""
    csv_rows = {row["data_point_id"]: row
                for _, row in read_table(ROOT / "data" / "benchmarks" / f"{COVERAGE_SETS[column]}.csv")}
    for dp, cells in coverage_rows().items():
        cell, row = cells[column], csv_rows.get(dp)
        if row is None:
            assert cell.startswith("none: ") and len(cell) > len("none: "), (dp, cell)
            continue
        found = CELL.match(cell)
        assert found, (dp, cell)
        target = (f"{row['band_low']} – {row['band_high']}" if row["direction"] == "band" else row["target"])
        shown = found["target"] + (f" – {found['high']}" if found["high"] else "")
        assert (shown, found["unit"], found["year"] or "", found["source"]) == (
            target, row["unit"], row.get("applies_from") or "", row["source"]), dp
