"""The submission template as a workbook: writing it, and reading a filled one exactly as the same CSV."""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from registry.submissions.staged import COLUMNS, DATA_QUALITY, FILLED
from registry.submissions.numbers import decimals_given, normalise_number
from registry.submissions.workbook import SHEET, _Refused, number_text
from registry.submissions.userfiles import MAX_BYTES

from .conftest import ROOT, run_cli

ALESUND = ROOT / "data" / "cities" / "alesund" / "2020-06.csv"
NEW_CITY = ("--city", "testby", "--round", "2024", "--name", "Testby", "--municipality", "9999")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("wb") / "store"
    run_cli("build", "--store", str(path))
    return path


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("template") / "template.xlsx"
    run_cli("template", "--out", str(out))
    return out


def alesund_rows() -> list[dict[str, str]]:
    with ALESUND.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def typed(text: str) -> tuple[object, str]:
    """A CSV cell as a city would type it into Excel: (value, number format). A number becomes a float or an
    int (Excel keeps no decimal text), with a format showing the decimals the CSV wrote; yes/no becomes YES/NO."""
    if text.lower() in ("yes", "no"):
        return text.upper(), "@"
    canonical = normalise_number(text)
    if canonical is None:
        return text, "@"
    decimals = decimals_given(text)
    if decimals:
        return float(canonical), "0." + "0" * decimals
    return (float(canonical), "General") if "." in canonical else (int(canonical), "General")


def fill(template: Path, out: Path, rows: list[dict[str, str]], edit=None) -> Path:
    """The template filled with `rows` through openpyxl, as a city would; `edit(sheet, row_of)` changes it."""
    book = openpyxl.load_workbook(template)
    sheet = book[SHEET]
    column = {c.value: c.column for c in sheet[1]}
    by_id = {r["data_point_id"]: r for r in rows}
    row_of = {}
    for number in range(2, sheet.max_row + 1):
        dp = sheet.cell(number, column["data_point_id"]).value
        row_of[dp] = number
        for name in FILLED:
            text = by_id[dp].get(name)
            if not text:
                continue
            cell = sheet.cell(number, column[name])
            if name == "value":
                cell.value, cell.number_format = typed(text)
            elif name == "reference_year":
                cell.value = int(text)  # typed as a whole number, as the cell's validation asks
            else:
                cell.value = text
    if edit:
        edit(sheet, row_of)
    book.save(out)
    return out


def store_copy(built: Path, tmp_path: Path, name: str) -> Path:
    copy = tmp_path / name
    shutil.copytree(built, copy)
    return copy


def exported_without_system(store: Path) -> list[str]:
    """The store as sorted N-Quads, without graph/system, whose validation records hold their run times."""
    quads = run_cli("export", "--store", str(store)).stdout.splitlines()
    return [q for q in quads if not q.rstrip(" .").endswith("/graph/system>")]


def test_template_has_a_locked_row_per_data_point_drop_downs_ranges_and_instructions(template):
    book = openpyxl.load_workbook(template)
    assert book.sheetnames == [SHEET, "Instructions", "Choices"] and book["Choices"].sheet_state == "hidden"
    sheet = book[SHEET]
    assert [c.value for c in sheet[1]] == list(COLUMNS)
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 112 and len({r[0] for r in rows}) == 112
    assert all(r[6:] == (None,) * 9 for r in rows)  # nothing filled in

    assert sheet.protection.sheet and not sheet.protection.password
    assert sheet["C2"].protection.locked and not any(sheet[f"{c}2"].protection.locked for c in "GHIJKLMNO")

    validations = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    assert validations["H2:H113"].formula1 == '"reported,not_reported"'
    assert validations["I2:I113"].formula1 == '"verified,not_verified"'
    # Data quality: the reporting template's six choices (Verification Manual 2022, p. 153), from the hidden sheet.
    assert validations["M2:M113"].formula1 == "Choices!$A$1:$A$6"
    assert [c.value for (c,) in book["Choices"].iter_rows()] == list(DATA_QUALITY)
    assert (validations["O2:O113"].type, validations["O2:O113"].formula1) == ("whole", "1000")  # the year
    assert "L2:L113" not in validations and "N2:N113" not in validations  # address and origin: free text
    row_of = {r[0]: n for n, r in enumerate(rows, start=2)}
    def rule_of(dp: str):
        return next(v for v in validations.values() if f"G{row_of[dp]}" in str(v.sqref).split())
    assert rule_of("EC-I-UP-2A-compact").formula1 == '"YES,NO"'
    household = rule_of("EC-ICT-ICT-1C")  # a percentage: 0 to 100 (OBS-8)
    assert (household.type, household.formula1, household.formula2) == ("decimal", "0", "100")
    assert "from 0 to 100 (%)" in household.prompt
    assert rule_of("EC-ICT-ICT-5A").type == "whole"  # a count of spots

    instructions = " ".join(str(c.value) for (c,) in book["Instructions"].iter_rows() if c.value)
    assert "formula" in instructions and "OBS-5" in instructions and "NUM-1" in instructions


def test_a_filled_workbook_validates_and_imports_exactly_as_the_same_values_in_csv(template, built, tmp_path):
    workbook = fill(template, tmp_path / "alesund.xlsx", alesund_rows())
    cell = openpyxl.load_workbook(workbook)[SHEET]["G2"]
    assert (cell.value, cell.number_format) == (96, "0.00")  # typed as a number, shown as 96.00
    proc = run_cli("validate", str(workbook), "--city", "alesund", "--round", "2020-06", "--store", str(built),
                   "--format", "json", check=False)
    assert proc.returncode == 0 and json.loads(proc.stdout)["conforms"] is True, proc.stdout

    from_csv, from_xlsx = store_copy(built, tmp_path, "csv"), store_copy(built, tmp_path, "xlsx")
    run_cli("import", str(ALESUND), *NEW_CITY, "--store", str(from_csv))
    run_cli("import", str(workbook), *NEW_CITY, "--store", str(from_xlsx))
    quads = exported_without_system(from_csv)
    assert sum(q.endswith("/graph/submission/testby/2024> .") for q in quads) > 112 * 5  # the round was stored
    assert exported_without_system(from_xlsx) == quads


def test_the_attributes_import_from_a_workbook_exactly_as_from_csv(template, built, tmp_path):
    """Data quality, origin, source (a document with its title) and reference year (issue 19): a workbook and
    a CSV file holding the same cells store the same N-Quads."""
    rows = alesund_rows()
    rows[0].update(data_quality="Based on accurate measurements", data_origin="Statistics Norway",
                   source="SSB table 11342", source_url="https://www.ssb.no/statbank/table/11342", reference_year="2019")
    rows[1].update(data_quality="Unknown methodology, not traceable", reference_year="2018")
    csv_file = tmp_path / "alesund.csv"
    with csv_file.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    workbook = fill(template, tmp_path / "alesund.xlsx", rows)
    from_csv, from_xlsx = store_copy(built, tmp_path, "csv"), store_copy(built, tmp_path, "xlsx")
    run_cli("import", str(csv_file), *NEW_CITY, "--store", str(from_csv))
    run_cli("import", str(workbook), *NEW_CITY, "--store", str(from_xlsx))
    quads = exported_without_system(from_csv)
    assert any("/def#AccurateMeasurements>" in q for q in quads)
    assert any('"2019"^^<http://www.w3.org/2001/XMLSchema#gYear>' in q for q in quads)
    assert any(q.startswith("<https://www.ssb.no/statbank/table/11342> <http://purl.org/dc/terms/title>") for q in quads)
    assert exported_without_system(from_xlsx) == quads


def test_findings_name_sheet_row_and_column(template, built, tmp_path):
    def edit(sheet, row_of):
        sheet[f"G{row_of['EC-ICT-ICT-2C']}"] = "12e3"  # NUM-1: exponent
        sheet[f"H{row_of['EC-ICT-ICT-3C']}"] = "done"  # CSV-2: no such status
        sheet[f"G{row_of['EC-ICT-ICT-1C']}"] = 120.5  # OBS-8 (SHACL): beyond 100 %
    workbook = fill(template, tmp_path / "bad.xlsx", alesund_rows(), edit)
    proc = run_cli("validate", str(workbook), "--city", "alesund", "--round", "2020-06", "--store", str(built),
                   check=False)
    assert proc.returncode == 1
    assert f"NUM-1   {workbook}:Submission!G3: value '12e3': exponent notation" in proc.stdout
    assert f"CSV-2   {workbook}:Submission!H4: status 'done'" in proc.stdout
    found = json.loads(run_cli("validate", str(workbook), "--city", "alesund", "--round", "2020-06", "--store",
                               str(built), "--format", "json", check=False).stdout)["results"]
    assert {(p["rule"], p["cell"], p["line"]) for p in found} >= {("NUM-1", "Submission!G3", 3),
                                                                   ("CSV-2", "Submission!H4", 4)}
    shacl = [p for p in json.loads(run_cli("validate", str(fill(template, tmp_path / "range.xlsx", alesund_rows(),
             lambda s, r: s.__setitem__(f"G{r['EC-ICT-ICT-1C']}", 120.5))), "--city", "alesund", "--round",
             "2020-06", "--store", str(built), "--format", "json", check=False).stdout)["results"]
             if p["rule"] == "OBS-8"]
    assert [(p["cell"], p["data_point"]) for p in shacl] == [("Submission!G2", "EC-ICT-ICT-1C")]


def test_a_formula_is_refused_naming_its_cell_and_never_evaluated(template, built, tmp_path):
    def edit(sheet, row_of):
        sheet[f"G{row_of['EC-ICT-ICT-2C']}"] = "=G2-10"
        sheet[f"J{row_of['EC-ICT-ICT-3C']}"] = '=CONCATENATE("a","b")'
    workbook = fill(template, tmp_path / "formula.xlsx", alesund_rows(), edit)
    proc = run_cli("validate", str(workbook), "--city", "alesund", "--round", "2020-06", "--store", str(built),
                   check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    message = " ".join(proc.stderr.split())  # the console wraps long lines
    assert f"{workbook}:Submission!G3: a formula, '=G2-10', is never evaluated" in message
    assert message.endswith("(and 1 more: J4)")


@pytest.mark.parametrize("name, content, message", [
    ("corrupt.xlsx", b"PK\x03\x04 this is not really a zip archive", "not an Excel workbook"),
    ("text.xlsx", "data_point_id,value\n".encode(), "not an Excel workbook"),
    ("macros.xlsm", b"PK\x03\x04", "macro-enabled workbook is refused"),
    ("old.xls", b"\xd0\xcf\x11\xe0", "only Excel Workbooks (.xlsx) are read"),
])
def test_a_file_that_is_no_workbook_to_read_exits_2_in_one_line(name, content, message, built, tmp_path):
    path = tmp_path / name
    path.write_bytes(content)
    proc = run_cli("validate", str(path), "--city", "alesund", "--round", "2020-06", "--store", str(built),
                   check=False)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_a_damaged_workbook_part_exits_2_in_one_line(template, built, tmp_path):
    damaged = repacked(template, tmp_path / "damaged.xlsx",
                       lambda name, data: data[: len(data) // 2] if name.endswith("sheet1.xml") else data)
    proc = run_cli("validate", str(damaged), "--city", "alesund", "--round", "2020-06", "--store", str(built),
                   check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "not a readable worksheet" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_a_zip_bomb_is_refused_before_it_is_unpacked(template, built, tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    shutil.copy(template, bomb)
    with zipfile.ZipFile(bomb, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/zeros.bin", bytes(MAX_BYTES))  # 16 MiB of zeros: about 16 KB packed
    assert bomb.stat().st_size < MAX_BYTES // 100
    proc = run_cli("validate", str(bomb), "--city", "alesund", "--round", "2020-06", "--store", str(built),
                   check=False)
    assert proc.returncode == 2 and "unpacks to" in proc.stderr and "Traceback" not in proc.stderr


def repacked(template: Path, out: Path, change) -> Path:
    """The template's zip archive with `change(name, data)` → data (or None to drop) applied to each member."""
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = change(member.filename, source.read(member))
            if data is not None:
                target.writestr(member.filename, data)
    return out


def test_macros_and_dtd_entities_are_refused_unread(template, built, tmp_path):
    with_macros = repacked(template, tmp_path / "macros.xlsx", lambda name, data: data)
    with zipfile.ZipFile(with_macros, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 a VBA project")
    laughs = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
    entities = repacked(template, tmp_path / "entities.xlsx",  # the sheet's XML with a DTD declaring entities
                        lambda name, data: laughs + data if name.endswith("sheet1.xml") else data)
    for path, message, env in ((with_macros, "holds macros (vbaProject.bin)", None),
                               (entities, "EntitiesForbidden", None),  # defusedxml refuses the declarations
                               (entities, "defusedxml is not in use", {"OPENPYXL_DEFUSEDXML": "False"})):
        proc = run_cli("validate", str(path), "--city", "alesund", "--round", "2020-06", "--store", str(built),
                       check=False, env=env)
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_the_blank_workbook_does_not_wipe_a_round(template, built, tmp_path):
    store = store_copy(built, tmp_path, "store")
    before = run_cli("export", "--store", str(store)).stdout
    proc = run_cli("import", str(template), "--city", "alesund", "--round", "2020-06", "--store", str(store),
                   check=False)
    assert proc.returncode == 2 and "holds no submission item" in proc.stderr
    assert run_cli("export", "--store", str(store)).stdout == before


def test_rows_beyond_the_limit_are_refused(template, built, tmp_path):
    def edit(sheet, row_of):
        sheet["J10002"] = "a note far below the template"
    workbook = fill(template, tmp_path / "long.xlsx", alesund_rows(), edit)
    proc = run_cli("validate", str(workbook), "--city", "alesund", "--round", "2020-06", "--store", str(built),
                   check=False)
    assert proc.returncode == 2 and "Submission!10002:10002: more than 10,000 rows" in proc.stderr


@pytest.mark.parametrize("value, number_format, text", [
    (96.0, "0.00", "96.00"),  # the decimals the cell shows
    (96, "0.00", "96.00"),  # a number without a decimal mark in the file is an int
    (96.0, "General", "96"),
    (0.1 + 0.2, "General", "0.3"),  # Excel's 15 digits, not the float's 17
    (0.96, "0.00%", "96.00"),  # a percentage shows the number times 100
    (96.125, "0.0", "96.125"),  # a format with fewer decimals rounds the display, not the number
    (1234.5, "#,##0.00", "1234.50"),
    (-0.5, '0.00;[Red]"minus "0.00', "-0.50"),
    (1e25, "General", "10000000000000000000000000"),  # then refused by NUM-1 (26 digits)
    (116673.00000000001, "0", "116673"),
    (123456789012345678901, "0", "123456789012345678901"),  # an int is exact; NUM-1 then refuses 21 digits
])
def test_a_number_cell_reads_as_the_number_it_shows(value, number_format, text):
    assert number_text(value, number_format) == text


def test_a_number_format_that_scales_the_number_is_refused():
    with pytest.raises(_Refused, match="divided by 1000"):
        number_text(67240.1, "#,##0.0,")
