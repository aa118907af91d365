"""The submission template as a spreadsheet (Office Open XML, ECMA-376), and reading a filled one back.

City staff work in spreadsheets: `template --out FILE.xlsx` writes the CSV template's columns on a sheet
named Submission, with the descriptive columns locked, drop-down lists and typed value cells, and an
Instructions sheet. A filled workbook is read into the same row dicts as a CSV file and goes through the
same row reading (`parse.parse_rows`); only the cells' text differs: Excel keeps numbers as binary
floating point, which are turned back into the decimals the cell shows.

A workbook is a user's file, read fail closed: at most MAX_BYTES on disk and unpacked (the sizes a zip
archive declares bound what Python's zipfile decompresses, so a zip bomb is refused before any of it
is unpacked), its XML parsed through defusedxml (no DTD entities), at most MAX_ROWS rows and MAX_COLUMNS
columns. Formulas are never evaluated and their cached results never trusted (they may be stale or come
from another file): a formula in a template column refuses the file, naming the cells. Macros are never
run: a macro-enabled workbook is refused. External links are not loaded (keep_links=False).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import warnings
import zipfile
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Context, Decimal
from pathlib import Path
from typing import BinaryIO

import openpyxl
from openpyxl.styles import Alignment, Font, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from rdflib import Graph
from rdflib.namespace import XSD

from registry.catalogue.rdf import new_graph
from registry.namespaces import IRIs, KPI
from registry.submissions.template import COLUMN_DOCS
from registry.submissions.staged import COLUMNS, DATA_QUALITY, FILLED, MAX_ROWS, Catalogue, City, Entry, RoundInfo, Staged, check_ids
from registry.submissions.numbers import MAX_DIGITS
from registry.submissions.parse import parse_rows, shown
from registry.tables import DataError
from registry.submissions.userfiles import MAX_BYTES, read_bytes

SHEET = "Submission"
INSTRUCTIONS = "Instructions"
CHOICES = "Choices"  # the data-quality choices, which hold a comma and so cannot be an inline list
MAX_COLUMNS = 256
# Excel keeps 15 significant digits of a number ("Excel specifications and limits": number precision), so
# a float's 16th and 17th digits (0.1 + 0.2 = 0.30000000000000004) are binary noise, not the city's data.
_EXCEL_DIGITS = Context(prec=15, rounding=ROUND_HALF_UP)
# Parts of a number format (ECMA-376 Part 1 §18.8.31) that are not digit placeholders: quoted text,
# escaped characters, [colour] / [condition] / [locale], padding `_x` and repetition `*x`.
_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')
_SCALING = re.compile(r"[0#?],+(?![0#?,])")  # `0,` shows thousands: the cell shows another number than it holds
_DECIMALS = re.compile(r"\.([0#?]*)")
_WIDTHS = {"data_point_id": 34, "kpi_code": 18, "kpi_name": 36, "data_point": 36, "unit": 22, "core_advanced": 13,
           "value": 14, "status": 15, "verification": 15, "note": 40, "source": 44, "source_url": 40,
           "data_quality": 40, "data_origin": 30, "reference_year": 15}

Range = tuple[Decimal | None, Decimal | None]


class _Refused(ValueError):
    """A cell the registry will not read (a formula, a scaled number format); the reader names the cell."""


# -- writing the template -------------------------------------------------------------------
def admissible_ranges(catalogue_graph: Graph, catalogue: Catalogue) -> dict[str, Range]:
    """Each data point's kpi:minValue / kpi:maxValue (rule OBS-8), as the catalogue graph states them."""
    def bound(entry: Entry, prop) -> Decimal | None:
        value = catalogue_graph.value(entry.iri, prop)
        return None if value is None else Decimal(str(value))
    return {e.id: (bound(e, KPI.minValue), bound(e, KPI.maxValue)) for e in catalogue.entries.values()}


def write_template(path: Path | BinaryIO, catalogue: Catalogue, ranges: Mapping[str, Range]) -> None:
    """The template workbook: the Submission sheet (one row per data point) and the Instructions sheet; to a
    file, or to a buffer (the server's /validate/template.xlsx)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(list(COLUMNS))
    for row in catalogue.template_rows():
        sheet.append([row.get(c) for c in COLUMNS])
    letter = {c: get_column_letter(i) for i, c in enumerate(COLUMNS, start=1)}
    last = len(catalogue.entries) + 1
    _lay_out(sheet, letter, last)
    _choices(sheet, letter["status"], last, "reported,not_reported",
             "reported, or not_reported (then no value; the note gives the reason)")
    _choices(sheet, letter["verification"], last, "verified,not_verified", "Set by the verifier")
    _year_rule(sheet, letter["reference_year"], last)
    _typed_values(sheet, letter["value"], list(catalogue.entries.values()), ranges)
    _instructions(book.create_sheet(INSTRUCTIONS))
    _quality_choices(book, sheet, letter["data_quality"], last)
    book.save(path)


def _lay_out(sheet, letter: dict[str, str], last: int) -> None:
    """Header, widths, frozen header; the descriptive cells locked, the ones a city fills (FILLED) unlocked."""
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column, width in _WIDTHS.items():
        sheet.column_dimensions[letter[column]].width = width
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = f"A1:{letter[COLUMNS[-1]]}{last}"
    for column in FILLED:
        for (cell,) in sheet[f"{letter[column]}2:{letter[column]}{last}"]:
            cell.protection = Protection(locked=False)
            if column not in ("value", "reference_year"):
                cell.number_format = "@"  # text: Excel keeps what is typed
            cell.alignment = Alignment(wrap_text=column in ("note", "source", "data_origin"))
    # Protected without a password: it guards against slips, not people, and anyone may lift it.
    protection = sheet.protection
    protection.sheet = True
    protection.formatColumns = protection.formatRows = protection.autoFilter = False


def _choices(sheet, column: str, last: int, options: str, prompt: str) -> None:
    rule = DataValidation(type="list", formula1=f'"{options}"', allow_blank=True, showErrorMessage=True,
                          error=f"Choose {options.replace(',', ' or ')}, or leave it empty", prompt=prompt,
                          showInputMessage=True)
    rule.add(f"{column}2:{column}{last}")
    sheet.add_data_validation(rule)


def _quality_choices(book, sheet, column: str, last: int) -> None:
    """The data-quality drop-down: the reporting template's six choices (Verification Manual 2022, p. 153),
    listed on a hidden sheet. The data origin has none: the manual's list of origins repeats three of the
    quality choices, so the cell takes the city's own words."""
    choices = book.create_sheet(CHOICES)
    for label in DATA_QUALITY:
        choices.append([label])
    choices.sheet_state = "hidden"
    choices.protection.sheet = True
    rule = DataValidation(type="list", formula1=f"{CHOICES}!$A$1:$A${len(DATA_QUALITY)}", allow_blank=True,
                          showErrorMessage=True, error="Choose one of the six data-quality choices, or leave it empty",
                          prompt="How the value was obtained (the U4SSC template's six choices)", showInputMessage=True)
    rule.add(f"{column}2:{column}{last}")
    sheet.add_data_validation(rule)


def _year_rule(sheet, column: str, last: int) -> None:
    rule = DataValidation(type="whole", operator="between", formula1="1000", formula2="9999", allow_blank=True,
                          showErrorMessage=True, error="A year of four digits, such as 2019",
                          prompt="The year the value refers to, such as 2019", showInputMessage=True)
    rule.add(f"{column}2:{column}{last}")
    sheet.add_data_validation(rule)
    for (cell,) in sheet[f"{column}2:{column}{last}"]:
        cell.number_format = "0"


def _typed_values(sheet, column: str, entries: list[Entry], ranges: Mapping[str, Range]) -> None:
    """The value cell of each row typed as its data point is: YES/NO, a whole number, or a number within
    the admissible range (OBS-8); selecting the cell shows which (the validation's input message)."""
    rules: dict[tuple, DataValidation] = {}
    for row, entry in enumerate(entries, start=2):
        key = (("boolean",) if entry.datatype == XSD.boolean
               else (entry.datatype, entry.unit_as_printed, *ranges.get(entry.id, (None, None))))
        if key not in rules:
            rules[key] = _value_rule(*key)
            sheet.add_data_validation(rules[key])
        rules[key].add(f"{column}{row}")
        if entry.datatype == XSD.boolean:
            sheet[f"{column}{row}"].number_format = "@"


def _value_rule(datatype, unit: str = "", low: Decimal | None = None, high: Decimal | None = None) -> DataValidation:
    if datatype == "boolean":
        return DataValidation(type="list", formula1='"YES,NO"', allow_blank=True, showErrorMessage=True,
                              error="Choose YES or NO", prompt="YES or NO", showInputMessage=True)
    kind, what = ("whole", "A whole number") if datatype == XSD.integer else ("decimal", "A number")
    limit = Decimal(10) ** MAX_DIGITS - 1  # NUM-1: at most 18 digits before the decimal mark
    low_text, high_text = _plain(low if low is not None else -limit), _plain(high if high is not None else limit)
    text = (f"{what} from {_plain(low)} to {_plain(high)}" if low is not None and high is not None
            else f"{what} of at least {_plain(low)}" if low is not None
            else f"{what} of at most {_plain(high)}" if high is not None else what)
    return DataValidation(type=kind, operator="between", formula1=low_text, formula2=high_text, allow_blank=True,
                          showErrorMessage=True, error=f"{text} ({unit})", promptTitle=f"Unit: {unit}"[:32],
                          prompt=f"{text} ({unit}), typed as a number, not a formula", showInputMessage=True)


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def _instructions(sheet) -> None:
    """What to fill and the rules in brief (docs/rules.md has them in full, with their sources)."""
    lines = [
        ("U4SSC KPI submission template", True),
        (f"Fill in the sheet {SHEET}: one row per U4SSC data point. Only the cells of {', '.join(FILLED)} can be "
         "changed; the other columns describe the data point and are locked (the sheet is protected without a "
         "password). Do not rename the sheet or its header row.", False),
        ("", False), ("Columns", True),
        *((f"{name} ({title}): {doc}", False) for name, (title, _, _, doc) in COLUMN_DOCS.items()),
        ("", False), ("Rules (docs/rules.md)", True),
        ("value: type the number itself, in the row's unit; selecting the cell shows its admissible range (OBS-8). "
         "Yes/no data points take YES or NO.", False),
        ("No formulas: a formula is never evaluated, and a workbook with one in these columns is refused, naming "
         "the cells. Macro-enabled workbooks (.xlsm) are refused.", False),
        (f"Numbers: at most {MAX_DIGITS} digits before and {MAX_DIGITS} after the decimal mark (NUM-1). The "
         "decimals the cell shows (its number format, e.g. 0.00) are the decimals stored; a percentage format "
         "(96.00 %) is read as it shows (96.00).", False),
        ("status: reported (the default when a value is given) or not_reported; a not_reported row has no value "
         "(OBS-5), and its note should give the reason (OBS-10, advice).", False),
        ("verification: set by the verifier, verified or not_verified; only reported values can be verified "
         "(OBS-9, OBS-11).", False),
        ("data_quality: one of the six choices of the U4SSC reporting template (the drop-down; CSV-6). source_url: "
         "an http:// or https:// address (CSV-7), with the source's title in source (OBS-15, advice). "
         "reference_year: the year the value refers to (OBS-13; OBS-14 warns of one before 1900 or after the "
         "report). Leave them empty where you do not know.", False),
        ("A row with all of these cells empty is not part of the submission; columns you add are ignored, with a "
         "warning (CSV-5).", False),
        ("", False), ("Checking and submitting", True),
        ("Upload it on the registry server's /validate page to see every finding (nothing is stored), or run:", False),
        ("kpi-registry validate FILE.xlsx --city CITY --round ROUND   (nothing is stored)", False),
        ("kpi-registry import FILE.xlsx --city CITY --round ROUND", False),
    ]
    sheet.column_dimensions["A"].width = 120
    for text, heading in lines:
        sheet.append([text or None])
        cell = sheet.cell(sheet.max_row, 1)
        cell.font = Font(bold=heading, size=14 if heading and sheet.max_row == 1 else 11)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.protection.sheet = True


# -- reading a filled workbook ------------------------------------------------------------------
def parse_workbook(path: Path, iris: IRIs, catalogue: Catalogue, city: City, round_id: str,
                   info: RoundInfo | None = None, data: bytes | None = None) -> Staged:
    """A filled workbook → the submission graph, exactly as the same rows in a CSV file would give
    (`data`: the workbook's bytes when they are not read from `path`, see userfiles.read_bytes)."""
    check_ids(city.slug, round_id)
    header, records = read_sheet(path, data)
    staged = Staged(city, round_id, new_graph(), str(path), sheet=SHEET)
    return parse_rows(staged, header, records, iris, catalogue, info)


def read_sheet(path: Path, data: bytes | None = None) -> tuple[list[str], list[tuple[int, dict]]]:
    """The Submission sheet's header and its rows as (row number, {column: text}), as csv.DictReader
    gives them (cells beyond the header under None); DataError when the file is no workbook to read."""
    data = _checked_archive(path, data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns of parts it drops (e.g. extensions): nothing we read
        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_vba=False,
                                          keep_links=False, rich_text=False)
        except Exception as exc:  # noqa: BLE001 - a damaged archive raises whatever the part it breaks in does
            raise DataError(f"{path}: not a readable Excel workbook ({_reason(exc)})") from None
        try:
            if SHEET not in book.sheetnames:
                raise DataError(f"{path}: no sheet named {SHEET!r} (the sheets are {', '.join(book.sheetnames)}): "
                                "the template's rows are read from it")
            return _rows(path, book[SHEET])
        except DataError:
            raise
        except Exception as exc:  # noqa: BLE001 - the sheet's XML is parsed while its rows are read
            raise DataError(f"{path}:{SHEET}: not a readable worksheet ({_reason(exc)})") from None
        finally:
            book.close()


def _checked_archive(path: Path, data: bytes | None = None) -> bytes:
    """The file's bytes, once its zip directory shows it unpacks to at most MAX_BYTES and holds no macros."""
    if path.suffix.lower() in (".xlsm", ".xltm"):
        raise DataError(f"{path}: a macro-enabled workbook is refused (macros are never run): save it as an "
                        "Excel Workbook (.xlsx)")
    if path.suffix.lower() != ".xlsx":
        raise DataError(f"{path}: only Excel Workbooks (.xlsx) are read: save it as .xlsx")
    data = read_bytes(path, data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise DataError(f"{path}: not an Excel workbook (an .xlsx file is a zip archive, this is none, or it is "
                        "encrypted): save it as .xlsx without a password") from None
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_BYTES:
        raise DataError(f"{path}: unpacks to {unpacked:,} bytes, more than the {MAX_BYTES:,} a workbook may")
    if any(m.filename.lower().endswith("vbaproject.bin") for m in members):
        raise DataError(f"{path}: holds macros (vbaProject.bin), which are never run: save it as an Excel "
                        "Workbook (.xlsx) without them")
    if not openpyxl.DEFUSEDXML:  # fail closed: without defusedxml, openpyxl would expand DTD entities
        raise DataError(f"{path}: not read: defusedxml is not in use (OPENPYXL_DEFUSEDXML is off)")
    return data


def _rows(path: Path, sheet) -> tuple[list[str], list[tuple[int, dict]]]:
    sheet.reset_dimensions()  # the sheet's stated dimension may be wrong: read every cell it has
    header: list[str] = []
    records, refused = [], []
    for number, cells in enumerate(sheet.iter_rows(), start=1):
        if number > MAX_ROWS + 1:
            raise DataError(f"{path}:{SHEET}!{number}:{number}: more than {MAX_ROWS:,} rows (the template has one "
                            f"per data point)")
        if len(cells) > MAX_COLUMNS:
            raise DataError(f"{path}:{SHEET}!{get_column_letter(len(cells))}{number}: a cell beyond column "
                            f"{get_column_letter(MAX_COLUMNS)}; the template has {len(COLUMNS)} columns")
        texts = []
        for index, cell in enumerate(cells):
            try:
                texts.append(cell_text(cell))
            except _Refused as exc:
                texts.append("")
                if number == 1 or (index < len(header) and header[index] in COLUMNS):
                    refused.append((f"{get_column_letter(index + 1)}{number}", str(exc)))
        while texts and not texts[-1]:
            texts.pop()
        if number == 1:
            header = texts
            continue
        record: dict = dict(zip(header, texts))
        if len(texts) > len(header):
            record[None] = texts[len(header):]
        records.append((number, record))
    if refused:
        (first, why), others = refused[0], [cell for cell, _ in refused[1:]]
        more = f" (and {len(others)} more: {', '.join(others[:5])}{'…' * (len(others) > 5)})" if others else ""
        raise DataError(f"{path}:{SHEET}!{first}: {why}{more}")
    return header, records


def cell_text(cell) -> str:
    """A cell as the text a CSV cell with what it shows would hold."""
    value = cell.value
    if cell.data_type == "f":
        formula = getattr(value, "text", value)  # an array formula is an object holding its text
        raise _Refused(f"a formula, {shown(str(formula))}, is never evaluated: type the value itself")
    if value is None:
        return ""
    if isinstance(value, bool):  # before int: a bool is an int
        return "true" if value else "false"
    if isinstance(value, (int, float)):  # a number cell: an int when its XML holds no decimal mark
        return number_text(value, cell.number_format or "General")
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()  # not a number: the value rules refuse it in a value cell
    return str(value)


def number_text(value: int | float, number_format: str) -> str:
    """A number cell as it shows: Excel's 15 significant digits, scaled by a percentage format, with at
    least the decimals its format shows (`96.0` in `0.00` → `96.00`), never fewer than it holds (a
    format with fewer decimals rounds the display, and the registry keeps the number, not the rounding)."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # no number the registry reads: refused by the value rules
    section = _LITERALS.sub("", number_format).split(";")[0]
    if _SCALING.search(section):
        raise _Refused(f"number format {number_format!r} shows the number divided by 1000: use one without "
                       "the trailing comma")
    number = Decimal(value) if isinstance(value, int) else _EXCEL_DIGITS.create_decimal(repr(value))
    if "%" in section:
        number = number.scaleb(2)
    text = format(number.normalize(), "f")
    decimals = _DECIMALS.search(section) if section.lower() != "general" and "e" not in section.lower() else None
    wanted = decimals[1].count("0") if decimals else 0
    held = len(text.partition(".")[2])
    return format(number, f".{max(wanted, held)}f")


def _reason(exc: BaseException) -> str:
    """The first error of the chain: openpyxl wraps a part's error in one that says only which part."""
    while exc.__cause__ or exc.__context__:
        exc = exc.__cause__ or exc.__context__
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {message[:200]}" if message else type(exc).__name__
