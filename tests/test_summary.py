"""The verification summary reproduces the Ålesund report's sections 2, 3, 7 and 8 (figures typed from the report)."""

from __future__ import annotations

import json

import pytest

from registry import sparql
from registry.submissions.ingest import Context, find_city, import_submission
from registry.scoring.summary import summary

from .conftest import ROOT

EXPECTED = json.loads((ROOT / "tests" / "expected" / "alesund-2020-06-summary.json").read_text(encoding="utf-8"))


@pytest.fixture
def alesund(store, iris):
    return summary(store, iris, find_city(store, "alesund"), "2020-06")


@pytest.mark.parametrize("kind", ["kpis", "data_points"])
def test_alesund_tables_equal_sections_2_and_3(alesund, kind):
    assert alesund[kind] == EXPECTED[kind]


def test_alesund_totals_as_printed(alesund):
    assert alesund["kpis"]["Total"] == {"total": 91, "reported": 88, "verified": 88, "percent_verified": 97}
    assert alesund["data_points"]["Total"] == {"total": 112, "reported": 107, "verified": 107, "percent_verified": 96}


def test_alesund_not_reported_equals_section_7(alesund):
    found = {(e["kpi"], e["partial"], tuple(e["missing"])) for e in alesund["not_reported"]}
    assert found == {(e["kpi"], e["partial"], tuple(e["missing"])) for e in EXPECTED["not_reported"]}
    assert all(e["reason"] for e in alesund["not_reported"])


def test_alesund_not_verified_equals_section_8(alesund):
    assert alesund["not_verified"] == EXPECTED["not_verified"] == []


def test_a_multi_data_point_kpi_counts_only_when_complete(alesund):
    """Air Pollution has 2 of 5 data points: Environment core reads 11 of 12 KPIs but 20 of 23 data points."""
    env = alesund["kpis"]["Environment"]["core"], alesund["data_points"]["Environment"]["core"]
    assert (env[0]["reported"], env[0]["total"], env[1]["reported"], env[1]["total"]) == (11, 12, 20, 23)


def test_partial_source_counts_blank_rows_as_not_reported(store, iris):
    """Trondheim's article gives 9 values and no verification: blank rows are missing, nothing is verified."""
    trondheim = summary(store, iris, find_city(store, "5001"), "2020-09")
    assert trondheim["kpis"]["Total"] == {"total": 91, "reported": 9, "verified": 0, "percent_verified": 0}
    assert len(trondheim["not_verified"]) == 9
    assert {e["status"] for e in trondheim["not_verified"]} == {"not yet verified"}
    wireless = next(e for e in trondheim["not_reported"] if e["kpi"] == "EC: ICT: ICT: 4C")
    assert (wireless["partial"], wireless["missing"], wireless["reason"]) == (False, ["3G", "4G"], None)


def test_one_query_summarises_every_submission(store):
    rows = store.select(sparql.load("summary_verification"))
    assert {str(r["roundId"]) for r in rows} == {"2020-06", "2020-09"}
    assert len(rows) == 2 * 9  # 3 dimensions × 2 tiers + Overall × 2 tiers + Total, per submission


def test_a_value_refused_by_the_verifier(tmp_path, store, iris):
    """One core KPI not verified: 22 of 23 is 95.65 %, printed 96 % (half up), and section 8 lists it."""
    source = (ROOT / "data" / "cities" / "alesund" / "2020-06.csv").read_text(encoding="utf-8")
    changed = source.replace("Core,96.00,reported,verified", "Core,96.00,reported,not_verified", 1)
    assert changed != source
    path = tmp_path / "2021.csv"
    path.write_text(changed, encoding="utf-8")
    assert import_submission(store, Context.from_store(store, iris), path, "alesund", "2021").conforms
    result = summary(store, iris, find_city(store, "alesund"), "2021")
    assert result["kpis"]["Economy"]["core"] == {"total": 23, "reported": 23, "verified": 22, "percent_verified": 96}
    assert result["not_verified"] == [{"kpi": "EC: ICT: ICT: 1C", "name": "Household Internet Access",
                                       "unverified": ["Household Internet Access"], "status": "not verified"}]
