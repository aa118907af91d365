"""summary, score, compare, report and benchmarks as users call them."""

from __future__ import annotations

import json
import shutil

import pytest

from .conftest import ROOT, run_cli
from .test_summary import EXPECTED

TARGETS = ("data_point_id,target,unit,direction,band_low,band_high,source,source_title,quote,note\n"
           "SC-EH-H-3C,300,per 100 000 inhabitants,higher,,,https://example.org/health-plan,,,\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    store = str(tmp_path_factory.mktemp("score-cli") / "store")
    run_cli("build", "--store", store)
    return store


@pytest.fixture
def own(built, tmp_path):
    """A copy of the built store for a test that writes, so no test sees another's imports."""
    return str(shutil.copytree(built, tmp_path / "store"))


def test_summary_json_reproduces_the_report(built):
    data = json.loads(run_cli("summary", "--store", built, "--city", "alesund", "--round", "2020-06",
                              "--format", "json").stdout)
    assert (data["city"], data["round"]) == ("alesund", "2020-06")
    assert data["kpis"] == EXPECTED["kpis"] and data["data_points"] == EXPECTED["data_points"]
    assert [e["kpi"] for e in data["not_reported"]] == ["EC: I: T: 4A", "EN: EN: AQ: 1C", "SC: SH: FS: 1A"]
    assert data["not_verified"] == []


def test_summary_by_municipality_number_defaults_to_the_latest_round(built):
    data = json.loads(run_cli("summary", "--store", built, "--city", "1507", "--format", "json").stdout)
    assert data["round"] == "2020-06" and data["kpis"]["Total"]["reported"] == 88


def test_summary_table_reads_like_the_report(built):
    out = run_cli("summary", "--store", built, "--city", "alesund").stdout
    assert "KPI Reporting and Verification Summary" in out
    total = [line for line in out.splitlines() if line.strip("│ ").startswith("Total")]
    assert [line.replace("│", " ").split() for line in total] == [["Total", "91", "88", "88", "97", "%"],
                                                                  ["Total", "112", "107", "107", "96", "%"]]
    assert "EN: EN: AQ: 1C" in out and "all reported KPIs were verified" in out


def test_score_json_names_its_set(built):
    data = json.loads(run_cli("score", "--store", built, "--city", "alesund", "--format", "json").stdout)
    assert data["benchmarks"]["set"] == "international-targets" and data["benchmarks"]["status"] == "draft"
    assert len(data["data_points"]) == 33  # 34 targets; PM2.5 was not reported
    assert {d["name"]: d["band"] for d in data["dimensions"]} == {
        "Economy": "66 – 95 % of target", "Environment": "66 – 95 % of target",
        "Society and Culture": "66 – 95 % of target"}


def test_score_against_the_national_set(built):
    data = json.loads(run_cli("score", "--store", built, "--city", "alesund", "--benchmarks", "norway-national-targets",
                              "--format", "json").stdout)
    assert data["benchmarks"]["set"] == "norway-national-targets" and len(data["data_points"]) == 7
    recycled = next(d for d in data["data_points"] if d["data_point"] == "EN-EN-WA-1C-recycled")
    assert (recycled["target"], recycled["percent"], recycled["points"]) == (65, 55.95, 2)


@pytest.mark.parametrize(("args", "message"), [
    (("score", "--city", "oslo"), "unknown city 'oslo'"),
    (("score", "--city", "alesund", "--round", "1999"), "no submission of alesund for round 1999"),
    (("score", "--city", "alesund", "--benchmarks", "nope"), "no benchmark set 'nope'"),
    (("report", "--city", "alesund", "--benchmarks", "international-targets", "--benchmarks", "international-targets",
      "--out", "unused"), "a set is named twice"),
    (("report", "--city", "alesund", "--benchmarks", "international-targets", "--benchmarks", "nope",
      "--out", "unused"), "no benchmark set 'nope'"),
])
def test_errors_are_one_line_exit_2(built, args, message):
    proc = run_cli(args[0], "--store", built, *args[1:], check=False)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_compare_cities_side_by_side(built):
    data = json.loads(run_cli("compare", "--store", built, "--cities", "alesund,trondheim", "--format", "json").stdout)
    assert data["columns"] == [{"city": "alesund", "round": "2020-06"}, {"city": "trondheim", "round": "2020-09"}]
    education = next(r for r in data["rows"] if r["name"] == "Education")
    assert [s["percent"] for s in education["scores"]] == [87.5, 100]  # Ålesund: Adult Literacy 94.8 % of 100 → 3 pts
    housing = next(r for r in data["rows"] if r["name"] == "Housing")
    assert housing["scores"][1] is None  # Trondheim reported nothing with a target there
    assert [r["level"] for r in data["rows"]].count("dimension") == 3


def test_benchmark_import_then_score_and_trend(own, tmp_path):
    targets = tmp_path / "health.csv"
    targets.write_text(TARGETS, encoding="utf-8")
    run_cli("benchmarks", "import", str(targets), "--store", own, "--set", "health-plan",
            "--publisher", "Ålesund kommune", "--title", "Health plan targets")
    sets = json.loads(run_cli("benchmarks", "list", "--store", own, "--format", "json").stdout)
    assert {s["set"]: s["benchmarks"] for s in sets} == {"health-plan": 1, "international-targets": 34,
                                                            "norway-national-targets": 8}
    data = json.loads(run_cli("score", "--store", own, "--city", "alesund", "--benchmarks", "health-plan",
                              "--format", "json").stdout)
    assert [(d["data_point"], d["points"]) for d in data["data_points"]] == [("SC-EH-H-3C", 4)]
    # A second round makes a trend: compare with one city shows its rounds oldest first.
    run_cli("import", str(ROOT / "data" / "cities" / "alesund" / "2020-06.csv"), "--store", own,
            "--city", "alesund", "--round", "2022")
    trend = json.loads(run_cli("compare", "--store", own, "--cities", "alesund", "--benchmarks", "health-plan",
                               "--format", "json").stdout)
    assert [c["round"] for c in trend["columns"]] == ["2020-06", "2022"]


def test_benchmark_import_that_does_not_conform_is_refused(own, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(TARGETS.replace("https://example.org/health-plan", ""), encoding="utf-8")
    proc = run_cli("benchmarks", "import", str(bad), "--store", own, "--set", "bad", "--publisher", "X", check=False)
    assert proc.returncode == 1 and "BEN-16" in proc.stdout and "store is unchanged" in proc.stderr
    sets = json.loads(run_cli("benchmarks", "list", "--store", own, "--format", "json").stdout)
    assert "bad" not in {s["set"] for s in sets}


def test_help_of_every_verb():
    for verb in (("summary",), ("score",), ("compare",), ("report",), ("benchmarks", "import"), ("benchmarks", "list")):
        assert "--store" in run_cli(*verb, "--help").stdout


def test_report_writes_html_and_png(built, tmp_path):
    out = run_cli("report", "--store", built, "--city", "alesund", "--round", "2020-06", "--out", str(tmp_path)).stdout
    written = [line for line in out.splitlines() if line]
    assert [p.rsplit("/", 1)[-1] for p in written] == ["alesund-2020-06-wheel.svg", "alesund-2020-06-wheel.png",
                                                       "alesund-2020-06.html"]
    assert (tmp_path / "alesund-2020-06-wheel.png").stat().st_size > 50_000
    assert "City performance benchmark" in (tmp_path / "alesund-2020-06.html").read_text(encoding="utf-8")
