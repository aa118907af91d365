"""The city report: HTML page, and the benchmark wheel as SVG and PNG, for Ålesund."""

from __future__ import annotations

import pytest

from registry.scoring.benchmarks import find_set
from registry.submissions.ingest import find_city
from registry.scoring.report import NO_DATA, NO_TARGET, node_states, segments, write_report
from registry.scoring.score import CatalogueTree, city_scores
from registry.scoring.summary import summary


@pytest.fixture
def alesund_data(store, iris):
    city = find_city(store, "alesund")
    return {"summary": summary(store, iris, city, "2020-06"),
            "scores": [city_scores(store, iris, city, "2020-06", find_set(store, "international-targets"))]}


@pytest.fixture
def written(store, iris, alesund_data, tmp_path):
    return write_report(store, iris, alesund_data, tmp_path)


def test_writes_page_svg_and_png(written):
    assert [p.name for p in written] == ["alesund-2020-06-wheel.svg", "alesund-2020-06-wheel.png", "alesund-2020-06.html"]
    svg, png, html = written
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "Data reported – no targets yet available" in svg.read_text(encoding="utf-8")
    assert 'src="alesund-2020-06-wheel.svg"' in html.read_text(encoding="utf-8")


def test_page_holds_the_summary_tables_and_the_kpi_table(written):
    html = written[2].read_text(encoding="utf-8")
    assert "<th>Total</th><td>91</td><td>88</td><td>88</td><td>97 %</td>" in html
    assert "<th>Total</th><td>112</td><td>107</td><td>107</td><td>96 %</td>" in html
    assert "Air Pollution: NO2" in html and "47.6 %" in html and "≤ 10" in html
    assert "&lt; 70" in html  # maternal mortality: SDG 3.1's "less than 70", a strict bound
    assert "Partial – not reported: PM2.5, SO2, O3" in html
    assert "All reported KPIs were verified." in html
    assert "<td>96.00</td>" in html or ">96.00<" in html  # Household Internet Access, as the report prints it
    assert "status <strong>draft</strong>" in html


def test_the_same_data_gives_the_same_files(store, iris, alesund_data, written, tmp_path):
    again = write_report(store, iris, alesund_data, tmp_path / "again")
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in written]


def test_segment_colours(store, alesund_data):
    tree = CatalogueTree(store)
    states = node_states(tree, alesund_data["scores"][0], {"EC-ICT-T-1C": {"status": "reported"}})
    assert states["SC-EH-ED"] == 3               # Education: School Enrolment 4, Adult Literacy 3 → 7 of 8
    assert states["SC-SH-SI"] == 3               # Social Inclusion: Gender Income Equity 2, Childcare 4 → 6 of 8
    assert states["EC-ICT-T-1C"] == NO_TARGET    # reported, no target in the set
    assert states["SC-SH-FS"] == NO_DATA         # nothing reported in Food Security


def test_rings_cover_the_circle(store):
    tree = CatalogueTree(store)
    states = {n.key: NO_DATA for n in tree.nodes.values()}
    parts = segments(tree, states)
    for level, count in (("dimension", 3), ("kpi", 91)):
        ring = [s for s in parts if s.node.level == level]
        assert len(ring) == count and sum(s.width for s in ring) == pytest.approx(360)
    assert len({s.node.key for s in parts if s.node.level == "category"}) == 27  # 22 names; some recur in several sub-dimensions


def test_two_sets_side_by_side(store, iris, alesund_data, tmp_path):
    """`report --benchmarks international-targets --benchmarks norway-national-targets`: a wheel per set, and the
    page's tables give each set its own columns, so the two sets' expectations can be compared."""
    city = find_city(store, "alesund")
    national = city_scores(store, iris, city, "2020-06", find_set(store, "norway-national-targets"))
    written = write_report(store, iris, {**alesund_data, "scores": [*alesund_data["scores"], national]}, tmp_path)
    assert [p.name for p in written] == [
        "alesund-2020-06-wheel.svg", "alesund-2020-06-wheel.png", "alesund-2020-06-wheel-norway-national-targets.svg",
        "alesund-2020-06-wheel-norway-national-targets.png", "alesund-2020-06.html"]
    html = written[-1].read_text(encoding="utf-8")
    assert 'src="alesund-2020-06-wheel-norway-national-targets.svg"' in html
    assert html.count('<th colspan="3">norway-national-targets</th>') == 4  # the roll-up table and three dimensions
    no2 = html[html.index("Air Pollution: NO2"):]
    assert no2.index("≤ 10") < no2.index("≤ 30") < no2.index("</tr>")  # WHO 2021, then the national target


def test_the_page_names_the_shared_source_once_and_what_a_city_said_about_a_value(store, iris, tmp_path):
    """Ålesund's values all cite the report: the page says so once. A value with a year, a quality and a source of
    its own (issue 19) shows them in its row, the source linked to its address."""
    from rdflib import Literal, URIRef
    from rdflib.namespace import DCTERMS, XSD
    from registry.namespaces import KPI
    city = find_city(store, "alesund")
    data = {"summary": summary(store, iris, city, "2020-06"),
            "scores": [city_scores(store, iris, city, "2020-06", find_set(store, "international-targets"))]}
    html = write_report(store, iris, data, tmp_path / "before")[-1].read_text(encoding="utf-8")
    assert "Source of every value: Ålesund Verification Report 2020, section 6." in html
    assert "Verification Report 2020, section 6</td>" not in html  # not repeated in every row
    item, ssb = iris.observation("alesund", "2020-06", "EC-ICT-ICT-1C"), URIRef("https://www.ssb.no/statbank/table/11342")
    store.update(f"""DELETE {{ GRAPH ?g {{ <{item}> <{DCTERMS.source}> ?s }} }}
                     INSERT {{ GRAPH ?g {{ <{item}> <{DCTERMS.source}> <{ssb}> ; <{KPI.dataQuality}> <{KPI.AccurateMeasurements}> ;
                                              <{KPI.referencePeriod}> {Literal("2019", datatype=XSD.gYear).n3()} .
                                        <{ssb}> <{DCTERMS.title}> "SSB table 11342" }} }}
                     WHERE {{ GRAPH ?g {{ <{item}> <{DCTERMS.source}> ?s }} }}""")
    html = write_report(store, iris, data, tmp_path / "after")[-1].read_text(encoding="utf-8")
    assert "Source of every value" not in html  # no longer one source for all
    assert ('2019 · Based on accurate measurements · <a href="https://www.ssb.no/statbank/table/11342">SSB table 11342</a>'
            in html)
    assert "Ålesund Verification Report 2020, section 6</td>" in html  # the others name theirs in their rows
