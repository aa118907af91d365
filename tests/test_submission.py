"""Submissions: template, validation with rule ids, staged import, export, bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from registry.submissions.ingest import Context, import_submission
from registry.namespaces import KPI
from registry.submissions.staged import COLUMNS
from registry.tables import DataError

from .conftest import ROOT, run_cli

CITY_FILES = sorted((ROOT / "data" / "cities").glob("*/*.csv"))
ALESUND = ROOT / "data" / "cities" / "alesund" / "2020-06.csv"
TRONDHEIM = ROOT / "data" / "cities" / "trondheim" / "2020-09.csv"


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def ctx(store, iris):
    return Context.from_store(store, iris)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("sub") / "store")
    run_cli("build", "--store", path)
    return path


@pytest.mark.parametrize("path", CITY_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_city_file_conforms(path, built):
    proc = run_cli("validate", str(path), "--store", built, "--format", "json", check=False)
    assert proc.returncode == 0, proc.stdout
    assert json.loads(proc.stdout)["conforms"] is True


def test_unknown_code_share_over_100_and_duplicate_are_all_named(tmp_path, built):
    rows = read_rows(ALESUND)
    rows[0]["data_point_id"] = "EC-ICT-ICT-99C"
    next(r for r in rows if r["data_point_id"] == "EN-EN-WA-1C-landfill")["value"] = "104.10"
    rows.insert(5, dict(rows[5]))
    bad = write_rows(tmp_path / "2020-06.csv", rows)
    proc = run_cli("validate", str(bad), "--city", "alesund", "--store", built, "--format", "json", check=False)
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["conforms"] is False
    fired = {(r["rule"], r.get("data_point")) for r in report["results"] if r["severity"] == "Violation"}
    assert ("OBS-1", "EC-ICT-ICT-99C") in fired                      # unknown code
    assert ("OBS-8", "EN-EN-WA-1C-landfill") in fired                 # share over 100
    assert ("SUB-1", rows[5]["data_point_id"]) in fired               # duplicate row
    assert {"focus", "kpi", "rule", "severity", "message"} <= set(report["results"][0])
    text = run_cli("validate", str(bad), "--city", "alesund", "--store", built, check=False).stdout
    assert "EC-ICT-ICT-99C" in text and "OBS-8" in text and "SUB-1" in text and f"{bad}:2" in text


def test_truncated_turtle_exits_2_with_one_line(tmp_path, built):
    broken = tmp_path / "sub.ttl"
    broken.write_text('@prefix kpi: <https://w3id.org/u4ssc-registry/def#> .\n<http://a> kpi:value "1', encoding="utf-8")
    proc = run_cli("validate", str(broken), "--store", built, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and str(broken) in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_rejected_import_leaves_the_export_byte_identical(tmp_path, built):
    before = run_cli("export", "--store", built).stdout
    rows = read_rows(ALESUND)
    rows[3]["value"] = "-5"
    proc = run_cli("import", str(write_rows(tmp_path / "x.csv", rows)), "--city", "alesund", "--round", "2020-06",
                   "--store", built, check=False)
    assert proc.returncode == 1 and "OBS-8" in proc.stdout and "unchanged" in proc.stderr
    assert run_cli("export", "--store", built).stdout == before


def test_import_export_round_trip_and_atomic_reimport(tmp_path, built):
    run_cli("import", str(ALESUND), "--city", "testby", "--round", "2024", "--name", "Testby",
            "--municipality", "9999", "--store", built)
    exported = tmp_path / "out.csv"
    run_cli("export", "--city", "testby", "--store", built, "--out", str(exported))
    original, again = read_rows(ALESUND), read_rows(exported)
    assert len(original) == len(again) == 112
    assert original == again  # as submitted: numbers stored canonically, printed with the decimals given (96.00)
    # re-importing the exported file replaces the graph with the same content
    run_cli("import", str(exported), "--city", "9999", "--round", "2024", "--store", built)
    run_cli("export", "--city", "testby", "--store", built, "--out", str(tmp_path / "again.csv"))
    assert (tmp_path / "again.csv").read_bytes() == exported.read_bytes()


def test_reimport_replaces_the_round_and_records_provenance(store, ctx, iris, tmp_path):
    rows = read_rows(TRONDHEIM)
    import_submission(store, ctx, write_rows(tmp_path / "a.csv", rows), "trondheim", "2020-09")
    row = next(r for r in rows if r["data_point_id"] == "SC-SH-SA-5A")
    row["value"] = "13.5"
    report = import_submission(store, ctx, write_rows(tmp_path / "b.csv", rows), "trondheim", "2020-09")
    assert report.conforms
    values = store.select(
        "PREFIX kpi: <https://w3id.org/u4ssc-registry/def#> SELECT ?v WHERE { ?o kpi:dataPoint ?dp ; kpi:value ?v ;"
        " kpi:submission <%s> . ?dp kpi:key 'SC-SH-SA-5A' }" % iris.submission("trondheim", "2020-09"))
    assert [str(r["v"]) for r in values] == ["13.5"]
    runs = store.select(
        "PREFIX kpi: <https://w3id.org/u4ssc-registry/def#> PREFIX prov: <http://www.w3.org/ns/prov#>"
        " SELECT ?run WHERE { GRAPH <%s> { ?run a kpi:ValidationRun ; prov:used <%s> ; kpi:conforms true ;"
        " kpi:shapesVersion ?v ; kpi:resultCount ?n } }" % (iris.g_system, iris.submission("trondheim", "2020-09")))
    assert len(runs) == 2
    # the round's metadata (report date) survived the re-import
    assert store.ask("PREFIX kpi: <https://w3id.org/u4ssc-registry/def#> ASK { <%s> kpi:reportIssued ?d }"
                     % iris.round("trondheim", "2020-09"))


@pytest.mark.parametrize("edit, rule", [
    ({"value": "ninety"}, "OBS-6"),          # text in a numeric cell
    ({"value": "-3"}, "OBS-8"),              # negative value
    ({"status": "maybe"}, "CSV-2"),
    ({"verification": "yes"}, "CSV-3"),
    ({"status": "not_reported", "note": ""}, "OBS-5"),   # a value and not_reported: never both
])
def test_bad_cells_name_their_rule(edit, rule, store, ctx, tmp_path):
    rows = read_rows(TRONDHEIM)
    rows[0].update(edit)
    before = store.dump()
    report = import_submission(store, ctx, write_rows(tmp_path / "bad.csv", rows), "trondheim", "2020-09")
    assert not report.conforms
    assert rule in {p.rule for p in report.violations}
    assert next(p for p in report.violations if p.rule == rule).line in (2, None)
    assert store.dump() == before


def test_decimal_comma_is_accepted(store, ctx, tmp_path, iris):
    rows = read_rows(TRONDHEIM)
    rows[0]["value"] = "96,00 %"
    assert import_submission(store, ctx, write_rows(tmp_path / "c.csv", rows), "trondheim", "2020-09").conforms
    assert store.ask("PREFIX kpi: <https://w3id.org/u4ssc-registry/def#> ASK { <%s> kpi:value 96.0 }"
                     % iris.observation("trondheim", "2020-09", "EC-ICT-ICT-1C"))


@pytest.mark.parametrize("content, message", [
    ("data_point_id,value\nx,1\n".encode(), "wrong header"),
    (b"\xff\xfe\x00bad", "not UTF-8"),
])
def test_unreadable_files_raise_data_errors(content, message, store, ctx, tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        import_submission(store, ctx, path, "trondheim", "2020-09")


def test_missing_city_is_a_usage_error(tmp_path):
    proc = run_cli("import", str(TRONDHEIM), "--round", "2020-09", "--store", str(tmp_path / "s"), check=False)
    assert proc.returncode == 2 and "--city" in proc.stderr


def test_template_has_every_data_point(built, tmp_path):
    out = tmp_path / "t.csv"
    run_cli("template", "--store", built, "--out", str(out))
    rows = read_rows(out)
    assert len(rows) == 112 and list(rows[0]) == list(COLUMNS)
    assert [r["data_point_id"] for r in rows] == [r["data_point_id"] for r in read_rows(ALESUND)]
    assert all(r["value"] == r["status"] == "" for r in rows)


def test_import_accepts_turtle(store, ctx, tmp_path, iris):
    rows = read_rows(TRONDHEIM)
    import_submission(store, ctx, write_rows(tmp_path / "a.csv", rows), "trondheim", "2020-09")
    ttl = tmp_path / "sub.ttl"
    ttl.write_bytes(store.dump(iris.g_submission("trondheim", "2020-09"), "text/turtle"))
    store.clear(iris.g_submission("trondheim", "2020-09"))
    report = import_submission(store, ctx, ttl, "trondheim", "2020-09")
    assert report.conforms
    assert store.count(iris.g_submission("trondheim", "2020-09")) > 50
    assert KPI.Observation  # the class items carry


@pytest.mark.parametrize("column, cell", [
    ("kpi_code", "EC: ICT: ICT: 2C"),            # another KPI's code
    ("kpi_code", "XX: 9"),                       # no KPI's code at all
    ("kpi_name", "Fixed Broadband Subscriptions"),
    ("data_point", "4G"),
    ("unit", "per 100 000 inhabitants"),
    ("core_advanced", "Advanced"),
])
def test_a_descriptive_cell_that_disagrees_with_its_data_point_is_refused_naming_the_column(column, cell, store, ctx, tmp_path):
    rows = read_rows(TRONDHEIM)
    expected = rows[0][column]
    rows[0][column] = cell
    before = store.dump()
    report = import_submission(store, ctx, write_rows(tmp_path / "bad.csv", rows), "trondheim", "2020-09")
    found = [p for p in report.violations if p.rule == "CSV-4"]
    assert len(found) == 1 and found[0].line == 2 and found[0].data_point == rows[0]["data_point_id"]
    assert column in found[0].message and repr(cell) in found[0].message and repr(expected) in found[0].message
    assert store.dump() == before


def test_descriptive_cells_compare_without_case_spacing_or_colon_spaces_and_may_be_empty(store, ctx, tmp_path):
    rows = read_rows(TRONDHEIM)
    rows[0].update(kpi_code="ec:ict:ict:1C", kpi_name="  household  INTERNET access ", unit="%", core_advanced="core")
    rows[1].update(kpi_code="", kpi_name="", data_point="", unit="", core_advanced="")
    report = import_submission(store, ctx, write_rows(tmp_path / "ok.csv", rows), "trondheim", "2020-09")
    assert report.conforms and not [p for p in report.problems if p.rule == "CSV-4"]


def test_columns_in_any_order_and_an_unknown_column_is_a_warning_naming_it(store, ctx, tmp_path):
    rows = [{**r, "kommentar": "intern"} for r in read_rows(TRONDHEIM)]
    path = tmp_path / "reordered.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, ["value", "kommentar", *reversed([c for c in COLUMNS if c != "value"])], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    report = import_submission(store, ctx, path, "trondheim", "2020-09")
    assert report.conforms
    warned = [p for p in report.problems if p.rule == "CSV-5"]
    assert len(warned) == 1 and warned[0].severity == "Warning" and "'kommentar'" in warned[0].message and warned[0].line == 1


@pytest.mark.parametrize("header, message", [
    (",".join(c for c in COLUMNS if c != "unit"), "missing unit"),
    (",".join([*COLUMNS, "value"]), "repeated value"),
])
def test_a_missing_or_repeated_template_column_makes_the_file_unreadable(header, message, store, ctx, tmp_path):
    path = tmp_path / "f.csv"
    path.write_text(header + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=f"{path}:1: wrong header \\({message}"):
        import_submission(store, ctx, path, "trondheim", "2020-09")


def test_an_unterminated_quote_at_the_end_is_an_error_naming_file_and_line(tmp_path, built):
    lines = TRONDHEIM.read_text(encoding="utf-8").rstrip("\n").split("\n")
    lines[-1] = lines[-1].rsplit(",", 1)[0] + ',"Trondheim kommune'  # the last cell's closing quote is missing
    broken = tmp_path / "2020-09.csv"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = run_cli("validate", str(broken), "--city", "trondheim", "--store", built, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{broken}:{len(lines)}:" in proc.stderr and "never closed" in proc.stderr


def test_a_complete_submission_whose_not_reported_items_give_no_reason_imports_with_warnings(store, ctx, tmp_path):
    """OBS-10 is advice: the Ålesund report prints "Not reported" with no reason (issue 17, point 2)."""
    rows = read_rows(ROOT / "data" / "cities" / "alesund" / "2020-06.csv")
    blanked = [{**r, "note": ""} if r["status"] == "not_reported" else r for r in rows]
    assert any(r["status"] == "not_reported" for r in blanked)
    report = import_submission(store, ctx, write_rows(tmp_path / "2020-06.csv", blanked), "alesund", "2020-06")
    assert report.conforms, [p.message for p in report.violations]
    reasons = [p for p in report.problems if p.rule == "OBS-10"]
    assert reasons and all(p.severity == "Warning" for p in reasons)
    assert len(reasons) == sum(r["status"] == "not_reported" for r in blanked)


def test_shares_that_do_not_add_up_are_advice_not_refusal(tmp_path, built):
    """No cited source states a sum for shares of one whole (issue 17, point 2): SUB-2 and SUB-3 warn."""
    rows = read_rows(ALESUND)
    for row in rows:
        row["value"] = {"EN-EN-WA-1C-recycled": "16.37", "EC-I-T-4A-private-vehicles": "90"}.get(row["data_point_id"], row["value"])
    path = write_rows(tmp_path / "2020-06.csv", rows)
    proc = run_cli("validate", str(path), "--city", "alesund", "--store", built, "--format", "json", check=False)
    assert proc.returncode == 0, proc.stdout
    report = json.loads(proc.stdout)
    warned = {r["rule"]: r["severity"] for r in report["results"] if r["rule"] in ("SUB-2", "SUB-3")}
    assert report["conforms"] is True and warned == {"SUB-2": "Warning", "SUB-3": "Warning"}


def test_a_municipality_number_that_names_another_city_is_refused_naming_it(tmp_path, built):
    """One municipality, one city: 1507 is Ålesund's, so `--city alesund2 --municipality 1507` is refused
    (exit 1) and the store is unchanged (issue 17, point 3)."""
    before = run_cli("export", "--store", built).stdout
    proc = run_cli("import", str(ALESUND), "--city", "alesund2", "--round", "2024", "--name", "Ålesund 2",
                   "--municipality", "1507", "--store", built, check=False)
    assert proc.returncode == 1, proc.stderr
    assert "'alesund'" in proc.stderr and "1507" in proc.stderr and "Traceback" not in proc.stderr
    assert run_cli("export", "--store", built).stdout == before
