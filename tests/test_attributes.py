"""What a city says about each value (issue 19): data quality, data origin, source and reference year, from
the template's columns through the closed model and the rules to the cube, the table and the export."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDFS, SKOS, XSD

from registry.namespaces import KPI
from registry.publication.cube import check_integrity
from registry.publication.tables import COLUMNS as TABLE_COLUMNS, item_rows
from registry.store import OxigraphStore
from registry.submissions.ingest import Context, import_submission, validate_file
from registry.submissions.model import model_problems
from registry.submissions.parse import parse_csv
from registry.submissions.staged import COLUMNS, DATA_QUALITY, REQUIRED, City
from registry.submissions.template import export_rows

from .conftest import ROOT

ALESUND = ROOT / "data" / "cities" / "alesund" / "2020-06.csv"
CITY = City("alesund", "Ålesund", "1507")
SSB = "https://www.ssb.no/statbank/table/11342"
ATTRIBUTES = {  # row index → what the city says about that value
    0: {"data_quality": "Based on accurate measurements", "data_origin": "Statistics Norway", "source": "SSB table 11342",
        "source_url": SSB, "reference_year": "2019"},
    1: {"data_quality": "unknown methodology,  NOT traceable", "reference_year": "2018"},  # case and spacing aside
    2: {"data_origin": "Municipal register"},
}


@pytest.fixture(scope="module")
def ctx(staged, iris):
    with OxigraphStore() as store:
        store.replace_graphs(staged)
        return Context.from_store(store, iris)


def rows(edits: dict[int, dict[str, str]] | None = None) -> list[dict[str, str]]:
    with ALESUND.open(encoding="utf-8", newline="") as f:
        found = list(csv.DictReader(f))
    for index, cells in (ATTRIBUTES if edits is None else edits).items():
        found[index].update(cells)
    return found


def write(path: Path, table: list[dict[str, str]], columns=COLUMNS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, columns, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(table)
    return path


def checked(ctx, path: Path):
    return validate_file(path, ctx, CITY, "2020-06")


def item(iris, dp: str) -> URIRef:
    return iris.observation("alesund", "2020-06", dp)


# -- the ontology ---------------------------------------------------------------------------------
def test_the_six_quality_choices_are_the_concepts_of_the_code_list(staged, iris):
    """The parser's choices and the ontology's concepts are one list, in the manual's words and order."""
    onto = staged[iris.g_ontology]
    members = set(onto.subjects(SKOS.inScheme, KPI.DataQualityScheme))
    assert members == set(DATA_QUALITY.values()) and len(members) == 6
    for label, concept in DATA_QUALITY.items():
        assert Literal(label, lang="en") in set(onto.objects(concept, SKOS.prefLabel)), label
        assert onto.value(concept, DCTERMS.source) is not None
    dsd = {onto.value(c, URIRef("http://purl.org/linked-data/cube#componentProperty"))
           for c in onto.objects(KPI.dsd, URIRef("http://purl.org/linked-data/cube#component"))}
    assert {KPI.dataQuality, KPI.dataOrigin, KPI.referencePeriod, DCTERMS.source} <= dsd


# -- reading ----------------------------------------------------------------------------------------
def test_the_attributes_become_the_items_statements(ctx, iris, tmp_path):
    staged, report = checked(ctx, write(tmp_path / "a.csv", rows()))
    assert report.conforms, report.violations
    g, first, second, third = staged.graph, item(iris, "EC-ICT-ICT-1C"), item(iris, "EC-ICT-ICT-2C"), item(iris, "EC-ICT-ICT-3C")
    assert g.value(first, KPI.dataQuality) == KPI.AccurateMeasurements
    assert g.value(first, KPI.dataOrigin) == Literal("Statistics Norway")
    assert g.value(first, DCTERMS.source) == URIRef(SSB)  # a source with an address is that resource …
    assert g.value(URIRef(SSB), DCTERMS.title) == Literal("SSB table 11342")  # … with its title
    assert g.value(first, KPI.referencePeriod) == Literal("2019", datatype=XSD.gYear)
    assert g.value(second, KPI.dataQuality) == KPI.UnknownMethodology
    assert g.value(second, DCTERMS.source) == Literal("Ålesund Verification Report 2020, section 6")  # text
    assert g.value(third, KPI.dataOrigin) == Literal("Municipal register")
    assert g.value(third, KPI.dataQuality) is None and g.value(third, KPI.referencePeriod) is None
    assert model_problems(iris, staged) == []


def test_a_file_without_the_new_columns_still_reads_as_before(ctx, iris, tmp_path):
    old = write(tmp_path / "old.csv", rows({}), REQUIRED)
    assert old.read_text(encoding="utf-8").splitlines()[0] == ",".join(REQUIRED)
    staged, report = checked(ctx, old)
    new, _ = checked(ctx, write(tmp_path / "new.csv", rows({})))
    assert report.conforms and not [p for p in report.problems if p.rule == "CSV-5"]
    assert set(staged.graph) == set(new.graph)
    assert not set(staged.graph.triples((None, KPI.dataQuality, None)))


def test_a_missing_required_column_still_makes_the_file_unreadable(ctx, tmp_path):
    from registry.tables import DataError
    with pytest.raises(DataError, match="missing source"):
        checked(ctx, write(tmp_path / "x.csv", rows({}), [c for c in COLUMNS if c != "source"]))


# -- the rules ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("cells, rule, column", [
    ({"data_quality": "Very good"}, "CSV-6", "data_quality"),
    ({"data_quality": "Extrapolated from a survey of inhabitants"}, "CSV-6", "data_quality"),  # not the manual's words
    ({"source_url": "file:///etc/passwd"}, "CSV-7", "source_url"),
    ({"source_url": "ssb.no/table"}, "CSV-7", "source_url"),
    ({"source_url": "https://ssb.no/a table"}, "CSV-7", "source_url"),
    ({"source_url": "urn:isbn:978-92-61-32071-3"}, "CSV-7", "source_url"),
])
def test_a_cell_the_item_cannot_be_made_from_is_refused_naming_it(ctx, tmp_path, cells, rule, column):
    _, report = checked(ctx, write(tmp_path / "x.csv", rows({4: cells})))
    found = [p for p in report.violations if p.rule == rule]
    assert len(found) == 1 and found[0].line == 6 and found[0].data_point == "EC-ICT-ICT-4C-4g", report.violations
    assert column in found[0].message


@pytest.mark.parametrize("year", ["20x9", "19", "2019-06", "two thousand"])
def test_a_reference_year_that_is_no_year_is_obs_13(ctx, iris, tmp_path, year):
    _, report = checked(ctx, write(tmp_path / "x.csv", rows({4: {"reference_year": year}})))
    found = [p for p in report.violations if p.rule == "OBS-13"]
    assert [p.focus for p in found] == [str(item(iris, "EC-ICT-ICT-4C-4g"))], report.problems


@pytest.mark.parametrize("year, warned", [("1850", True), ("2021", True), ("1900", False), ("2020", False)])
def test_a_year_before_1900_or_after_the_report_is_only_a_warning(ctx, iris, tmp_path, year, warned):
    from registry.submissions.staged import RoundInfo
    staged, report = validate_file(write(tmp_path / "x.csv", rows({4: {"reference_year": year}})), ctx, CITY,
                                   "2020-06", RoundInfo(report_issued="2020-06"))
    assert report.conforms
    found = [p for p in report.problems if p.rule == "OBS-14"]
    assert [p.focus for p in found] == ([str(item(iris, "EC-ICT-ICT-4C-4g"))] if warned else [])
    assert all(p.severity == "Warning" and "2020-06" in p.message for p in found)


def test_a_source_address_without_a_title_is_a_warning(ctx, iris, tmp_path):
    _, report = checked(ctx, write(tmp_path / "x.csv", rows({4: {"source_url": SSB, "source": ""}})))
    found = [p for p in report.problems if p.rule == "OBS-15"]
    assert report.conforms and [(p.severity, p.focus) for p in found] == [("Warning", str(item(iris, "EC-ICT-ICT-4C-4g")))]


def turtle(ctx, iris, tmp_path, *triples) -> tuple[list[str], list]:
    """Ålesund's submission as Turtle with `triples` added; (violated rule ids, violations)."""
    staged = parse_csv(ALESUND, iris, ctx.catalogue, CITY, "2020-06")
    for t in triples:
        staged.graph.add(t)
    path = tmp_path / "2020-06.ttl"
    staged.graph.serialize(path, format="turtle")
    _, report = checked(ctx, path)
    return [p.rule for p in report.violations], report.violations


def test_a_quality_outside_the_code_list_is_obs_12(ctx, iris, tmp_path):
    first = item(iris, "EC-ICT-ICT-1C")
    rules, found = turtle(ctx, iris, tmp_path, (first, KPI.dataQuality, KPI.Verified))
    assert rules == ["OBS-12"] and found[0].focus == str(first)
    rules, _ = turtle(ctx, iris, tmp_path, (first, KPI.dataQuality, KPI.PersonalEstimation),
                      (first, KPI.dataQuality, KPI.AccurateMeasurements))
    assert rules == ["OBS-12"]  # one quality per value


def test_two_sources_or_a_typed_origin_is_obs_16(ctx, iris, tmp_path):
    first = item(iris, "EC-ICT-ICT-1C")
    rules, found = turtle(ctx, iris, tmp_path, (first, DCTERMS.source, URIRef(SSB)),
                          (URIRef(SSB), DCTERMS.title, Literal("SSB")))
    assert rules == ["OBS-16"] and found[0].focus == str(first)  # the report's text is its source already
    rules, _ = turtle(ctx, iris, tmp_path, (first, KPI.dataOrigin, Literal("7", datatype=XSD.integer)))
    assert rules == ["OBS-16"]


@pytest.mark.parametrize("source", [
    URIRef("file:///etc/passwd"), URIRef("urn:isbn:978-92-61-32071-3"), URIRef("ftp://example.org/x"),
    URIRef("https://w3id.org/u4ssc-registry/id/city/5001"),  # a registry node is no source document
    URIRef("http://purl.org/dc/terms/title"),  # nor a vocabulary's term
])
def test_a_source_iri_must_be_a_web_document_outside_the_registry(ctx, iris, tmp_path, source):
    first = item(iris, "EC-ICT-ICT-1C")
    staged = parse_csv(ALESUND, iris, ctx.catalogue, CITY, "2020-06")
    staged.graph.set((first, DCTERMS.source, source))
    staged.graph.add((source, DCTERMS.title, Literal("a title")))
    problems = model_problems(iris, staged)
    assert problems and {p.rule for p in problems} == {"MOD-1"}
    assert any(p.focus == str(first) and "source" in p.message for p in problems), problems


def test_only_a_cited_document_may_be_titled(ctx, iris):
    """The title of an address no item cites is a triple about a foreign node (MOD-1)."""
    staged = parse_csv(ALESUND, iris, ctx.catalogue, CITY, "2020-06")
    staged.graph.add((URIRef(SSB), DCTERMS.title, Literal("SSB")))
    problems = model_problems(iris, staged)
    assert [(p.rule, p.focus) for p in problems] == [("MOD-1", SSB)]
    staged.graph.set((item(iris, "EC-ICT-ICT-1C"), DCTERMS.source, URIRef(SSB)))
    assert model_problems(iris, staged) == []
    staged.graph.add((URIRef(SSB), RDFS.label, Literal("SSB")))  # a title, nothing else
    assert [p.rule for p in model_problems(iris, staged)] == ["MOD-1"]


def test_sources_citing_each_other_are_foreign_nodes(ctx, iris):
    """Only an item's source is part of the submission: two documents citing each other are not, and
    deciding so ends (it does not follow the cycle)."""
    staged = parse_csv(ALESUND, iris, ctx.catalogue, CITY, "2020-06")
    a, b = URIRef("https://example.org/a"), URIRef("https://example.org/b")
    staged.graph.add((a, DCTERMS.source, b))
    staged.graph.add((b, DCTERMS.source, a))
    assert sorted(p.focus for p in model_problems(iris, staged)) == [str(a), str(b)]


# -- stored: export, the cube and the table ----------------------------------------------------------
@pytest.fixture(scope="module")
def imported(staged, iris, tmp_path_factory):
    """The registry with Ålesund's round re-imported with the attributes."""
    path = write(tmp_path_factory.mktemp("attr") / "2020-06.csv", rows())
    store = OxigraphStore()
    store.replace_graphs(staged)
    import_submission(store, Context.from_store(store, iris), path, "alesund", "2020-06")
    yield store
    store.close()


def test_export_gives_back_the_cells(imported, iris, ctx):
    out = {r["data_point_id"]: r for r in export_rows(imported, iris, ctx.catalogue, CITY, "2020-06")}
    given = rows()
    for index in ATTRIBUTES:
        dp = given[index]["data_point_id"]
        for column in COLUMNS[COLUMNS.index("source"):]:
            expected = given[index].get(column, "")
            if column == "data_quality" and expected:
                expected = next(label for label in DATA_QUALITY if label.casefold() == " ".join(expected.split()).casefold())
            assert out[dp][column] == expected, (dp, column)


def test_the_cube_with_the_attributes_passes_ic_1_to_ic_21(imported):
    assert check_integrity(imported) == []


def test_the_table_carries_the_attributes(imported, iris):
    by_item = {r["item"]: r for r in item_rows(imported)}
    first = by_item[str(item(iris, "EC-ICT-ICT-1C"))]
    assert (first["source"], first["source_url"], first["source_title"]) == ("", SSB, "SSB table 11342")
    assert (first["data_quality"], first["data_quality_iri"]) == ("Based on accurate measurements", str(KPI.AccurateMeasurements))
    assert (first["data_origin"], first["reference_year"]) == ("Statistics Norway", "2019")
    assert {"source_url", "source_title", "data_quality", "data_origin", "reference_year"} <= {c[0] for c in TABLE_COLUMNS}


def test_publish_passes_ic_1_to_ic_21_and_its_tables_carry_them(imported, iris):
    from registry.publication.datasets import JSONSTAT, TABLE, TABLE_METADATA
    from registry.publication.release import render_release
    release = render_release(imported, iris)
    assert release.failures == []  # IC-1 … IC-21 on the published cube, and the table's primary key
    table = {r["item"]: r for r in csv.DictReader(release.files[TABLE].decode("utf-8").splitlines())}
    assert table[str(item(iris, "EC-ICT-ICT-1C"))]["source_url"] == SSB
    columns = {c["name"]: c for c in json.loads(release.files[TABLE_METADATA])["tableSchema"]["columns"]}
    assert columns["source_title"]["aboutUrl"] == "{+source_url}"  # the title is stated about the document
    assert columns["reference_year"]["datatype"] == "gYear" and columns["data_quality_iri"]["propertyUrl"] == str(KPI.dataQuality)
    attributes = json.loads(release.files[JSONSTAT])["extension"]["attributes"]
    at = next(k for k, v in attributes["source_url"].items() if v == SSB)
    assert attributes["data_quality"][at] == "Based on accurate measurements"
    assert attributes["reference_year"][at] == "2019" and attributes["source_title"][at] == "SSB table 11342"
    assert at not in attributes["source"] and len(attributes["source"]) >= 111  # the others cite the report as text


def test_the_item_page_and_the_city_page_show_them(imported, iris):
    from registry.config import Settings
    from registry.server import create_app
    app = create_app(Settings.from_env(":memory:"), store=imported, query_processes=1)
    client = app.test_client()
    page = client.get(str(item(iris, "EC-ICT-ICT-1C")).removeprefix(iris.base.rstrip("/")), headers={"Accept": "text/html"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Based on accurate measurements" in text and "SSB table 11342" in text
    assert SSB in text and "Statistics Norway" in text and "2019" in text
    city = client.get("/id/city/1507", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "Data quality" in city and "Based on accurate measurements" in city and "SSB table 11342" in city
