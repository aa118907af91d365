"""City submissions: the CSV template, parsing CSV / Turtle / JSON-LD into observations, export.

Parsing is deliberately lenient about *content* (a wrong code or a word in a number cell becomes
RDF that the SHACL shapes then reject with a rule id), and strict about *form* (encoding,
header): form errors mean the file cannot be read (exit 2), content errors mean it does not
conform (exit 1), and both name file and line.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import quote

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node
from rdflib.namespace import DCTERMS, FOAF, PROV, RDF, RDFS, SKOS, XSD

from registry import sparql
from registry.catalogue import new_graph
from registry.namespaces import CITY_SLUG, IRIs, KPI, QB, ROUND_ID, SDMX_ATTRIBUTE, kpi_key, slug
from registry.store import Store
from registry.tables import DataError
from registry.userfiles import read_rdf

COLUMNS = ("data_point_id", "kpi_code", "kpi_name", "data_point", "unit", "core_advanced",
           "value", "status", "verification", "note", "source")
STATUS = {"reported": KPI.Reported, "not_reported": KPI.NotReported}
VERIFICATION = {"verified": KPI.Verified, "not_verified": KPI.NotVerified}
ASSURANCE = {"limited": KPI.LimitedAssurance, "reasonable": KPI.ReasonableAssurance}
BOOLEANS = {"yes": "true", "no": "false", "ja": "true", "nei": "false", "true": "true", "false": "false"}
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm", ".xls")  # all read by registry/workbook.py, which refuses all but .xlsx
_SPACES = re.compile(r"[\s\u00a0\u2009\u202f]+")


@dataclass(frozen=True)
class Entry:
    """One data point of the catalogue, as a submission needs it."""

    iri: URIRef
    id: str
    kpi_code: str
    kpi_name: str
    name: str
    unit: URIRef
    unit_as_printed: str
    datatype: URIRef
    tier: str


@dataclass(frozen=True)
class Catalogue:
    """The data points in catalogue order, read once from the store."""

    entries: dict[str, Entry]

    @classmethod
    def from_store(cls, store: Store) -> Catalogue:
        rows = store.select(sparql.load("list_datapoints"))
        return cls({str(r["id"]): Entry(r["dataPoint"], str(r["id"]), str(r["kpiCode"]), str(r["kpiName"]),
                                         str(r["dataPointName"]), r["unit"], str(r["unitAsPrinted"]),
                                         r["datatype"], str(r["tier"])) for r in rows})

    def template_rows(self) -> list[dict[str, str]]:
        return [{"data_point_id": e.id, "kpi_code": e.kpi_code, "kpi_name": e.kpi_name, "data_point": e.name,
                 "unit": e.unit_as_printed, "core_advanced": e.tier} for e in self.entries.values()]


@dataclass(frozen=True)
class City:
    slug: str
    name: str
    municipality: str | None = None

    @property
    def key(self) -> str:
        """The city IRI's last segment: the municipality number where known (docs/conventions.md)."""
        return self.municipality or self.slug


@dataclass(frozen=True)
class RoundInfo:
    """What the documents say about a reporting round; every field may be unknown."""

    title: str | None = None
    verification_completed: str | None = None
    report_issued: str | None = None
    verifier: str | None = None
    assurance: str | None = None
    source: str | None = None
    note: str | None = None


@dataclass
class Problem:
    """One finding about a submission: where, which rule, how bad, and what to do."""

    rule: str
    message: str
    severity: str = "Violation"
    file: str | None = None
    line: int | None = None
    focus: str | None = None
    kpi: str | None = None
    data_point: str | None = None
    cell: str | None = None  # in a workbook, the cell the finding is about: `Submission!G12`

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class Staged:
    """A parsed submission, not yet stored: its graph, where each item came from, early problems."""

    city: City
    round_id: str
    graph: Graph
    source: str
    lines: dict[URIRef, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    sheet: str | None = None  # the worksheet a workbook's rows come from; None for CSV and RDF
    header: tuple[str, ...] = ()  # the sheet's header, which places each column

    def cell(self, line: int | None, column: str | int | None = None) -> str | None:
        """A workbook cell (`Submission!G12`) by template column name or 1-based index; None outside a
        workbook, where the line alone names the place. A finding about a whole row names its key cell."""
        if self.sheet is None or line is None:
            return None
        from openpyxl.utils import get_column_letter  # a workbook was read, so openpyxl is loaded already
        index = column if isinstance(column, int) else (
            self.header.index(column) + 1 if column in self.header else self.header.index("data_point_id") + 1)
        return f"{self.sheet}!{get_column_letter(index)}{line}"

    def at(self, line: int) -> str:
        """`file:line` for a CSV; `file:Sheet!1:1` (the row) in a workbook."""
        return f"{self.source}:{self.sheet}!{line}:{line}" if self.sheet else f"{self.source}:{line}"

    def where(self, line: int | None, column: str | int, data_point: str | None = None) -> dict:
        """The Problem fields that locate a finding about `column` of the row at `line`."""
        return {"file": self.source, "line": line, "cell": self.cell(line, column), "data_point": data_point}


def check_ids(city: str, round_id: str) -> None:
    if not CITY_SLUG.match(city or ""):
        raise DataError(f"city {city!r}: must be a lower-case ASCII slug such as 'alesund'")
    if not ROUND_ID.match(round_id or ""):
        raise DataError(f"round {round_id!r}: must be an identifier such as '2024' or '2020-06'")


# XSD 1.1 Part 2 §3.3.3.1: the decimal lexical space, ASCII digits only and no exponent. The registry
# holds at most 18 digits on either side of the decimal mark: Oxigraph keeps xsd:decimal exactly with
# 18 fractional digits (±1.7 × 10^20) and xsd:integer as a 64-bit integer (±9.2 × 10^18), and beyond
# that a comparison in a rule is an error instead of an answer (docs/rules.md, NUM-1).
_DECIMAL = re.compile(r"[+-]?(?P<whole>[0-9]*)(?:\.(?P<fraction>[0-9]*))?")
_EXPONENT = re.compile(r"[+-]?[0-9]*\.?[0-9]+[eE][+-]?[0-9]+")
MAX_DIGITS = 18
RANGE = f"at most {MAX_DIGITS} digits before the decimal mark and {MAX_DIGITS} after it"


def _plain(text: str) -> str | None:
    """The cell without spacing and `%`, with `.` as its decimal mark; None when the marks are ambiguous.

    Decimal commas and thin-space thousands separators are how Norwegians write numbers; a cell with
    both `,` and `.` could mean either and is refused rather than guessed."""
    cell = _SPACES.sub("", text).removesuffix("%")
    if "," in cell:
        if "." in cell or cell.count(",") > 1:
            return None
        cell = cell.replace(",", ".")
    return cell


def _read_number(cell: str) -> tuple[Decimal | None, str | None]:
    """(the number, None), (None, why it is refused), or (None, None) when the text is no number at all.

    Every check runs on the text before `Decimal` sees it, so no cell costs more than its length to
    read (Decimal would expand `1e999999` digit by digit)."""
    if _EXPONENT.fullmatch(cell):
        return None, f"exponent notation is not accepted: write the number in full ({RANGE})"
    if any(c.isdecimal() and not c.isascii() for c in cell):
        return None, "digits other than 0-9 are not accepted: write the number with 0-9"
    match = _DECIMAL.fullmatch(cell)
    if not match or not (match["whole"] or match["fraction"]):
        return None, None
    whole, fraction = match["whole"].lstrip("0"), (match["fraction"] or "").rstrip("0")
    if len(whole) > MAX_DIGITS or len(fraction) > MAX_DIGITS:
        return None, (f"{len(whole)} digits before the decimal mark and {len(fraction)} after it: the registry "
                      f"holds numbers of {RANGE}")
    return Decimal(cell), None


def number_problem(text: str) -> str | None:
    """Why a cell that is written as a number is still refused (rule NUM-1), or None."""
    cell = _plain(text)
    return None if cell is None else _read_number(cell)[1]


def normalise_number(text: str) -> str | None:
    """`96,00 %` / `67 240.10` / `1.05` → canonical decimal text (`-0` is `0`); None when it is not a
    number the registry accepts (docs/rules.md)."""
    cell = _plain(text)
    number = None if cell is None else _read_number(cell)[0]
    if number is None:
        return None
    return format(number.normalize(), "f") if number != number.to_integral_value() else str(int(number))


def decimals_given(text: str) -> int | None:
    """How many decimals the city wrote (`96,00 %` → 2): the value is stored canonically for computing,
    and this precision with it (sdmx-attribute:decimals), so that what is printed is what was submitted."""
    cell = _plain(text)
    match = _DECIMAL.fullmatch(cell) if cell is not None and _read_number(cell)[0] is not None else None
    return len(match["fraction"]) if match and match["fraction"] else None


def as_printed(value: Literal, decimals: Node | None = None) -> str:
    """A value as the city gave it: yes/no, or the number with the decimals it was submitted with."""
    if value.datatype == XSD.boolean:
        return "yes" if str(value) == "true" else "no"
    if decimals is not None and value.datatype in (XSD.decimal, XSD.integer):
        return format(Decimal(str(value)), f".{int(decimals)}f")
    return str(value)


def value_literal(text: str, datatype: URIRef) -> Literal:
    """The cell as a literal of the unit's datatype, or a plain string that rule OBS-6 will reject."""
    if datatype == XSD.boolean:
        canonical = BOOLEANS.get(text.strip().lower())
    else:
        canonical = normalise_number(text)
        if canonical is not None and datatype == XSD.integer and "." in canonical:
            canonical = None
    return Literal(text) if canonical is None else Literal(canonical, datatype=datatype)


def round_graph(g: Graph, iris: IRIs, city: City, round_id: str, info: RoundInfo | None) -> None:
    """The submission as a qb:DataSet and its reporting round with whatever the documents state."""
    sub, rnd, city_iri = iris.submission(city.slug, round_id), iris.round(city.slug, round_id), iris.city(city.key)
    g.add((sub, RDF.type, KPI.Submission))
    g.add((sub, RDF.type, QB.DataSet))
    g.add((sub, QB.structure, KPI.dsd))
    g.add((sub, KPI.city, city_iri))
    g.add((sub, KPI.round, rnd))
    g.add((sub, DCTERMS.title, Literal(f"U4SSC KPI submission of {city.name}, round {round_id}", lang="en")))
    g.add((rnd, RDF.type, KPI.ReportingRound))
    g.add((rnd, KPI.city, city_iri))
    g.add((rnd, KPI.roundId, Literal(round_id)))
    g.add((rnd, RDFS.label, Literal(f"{city.name} {round_id}")))
    if info is None:
        return
    for prop, value in ((DCTERMS.title, info.title), (DCTERMS.source, info.source), (RDFS.comment, info.note)):
        if value:
            g.add((rnd, prop, Literal(value)))
    if info.report_issued:
        g.add((rnd, KPI.reportIssued, Literal(info.report_issued, datatype=XSD.gYearMonth)))
    if info.verifier or info.verification_completed or info.assurance:
        ver = iris.verification(city.slug, round_id)
        g.add((rnd, KPI.verification, ver))
        g.add((ver, RDF.type, KPI.Verification))
        if info.verification_completed:
            g.add((ver, KPI.completed, Literal(info.verification_completed, datatype=XSD.gYearMonth)))
        if info.assurance:
            g.add((ver, KPI.assuranceLevel, ASSURANCE[info.assurance]))
        if info.verifier:
            agent = iris.agent(slug(info.verifier))
            g.add((ver, PROV.wasAssociatedWith, agent))
            g.add((agent, RDF.type, PROV.Agent))
            g.add((agent, RDF.type, FOAF.Person))
            g.add((agent, FOAF.name, Literal(info.verifier)))


def read_csv_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason}); save the CSV as UTF-8") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror})") from None


def parse_csv(path: Path, iris: IRIs, catalogue: Catalogue, city: City, round_id: str,
              info: RoundInfo | None = None) -> Staged:
    """A filled template → the submission graph, one item per non-blank row."""
    check_ids(city.slug, round_id)
    text = read_csv_text(path)
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise DataError(f"{path}:{reader.line_num}: not valid CSV ({exc})") from None
    return parse_rows(Staged(city, round_id, new_graph(), str(path)), header, _records(reader, path),
                      iris, catalogue, info)


def parse_rows(staged: Staged, header: list[str], records: Iterable[tuple[int, dict]], iris: IRIs,
               catalogue: Catalogue, info: RoundInfo | None) -> Staged:
    """The template's rows, from a CSV file or a workbook's sheet, into `staged`: one reading of the rows
    for both forms. A record maps the header's names to cells, and None to the cells beyond the header
    (as csv.DictReader does)."""
    _check_header(header, staged)
    round_graph(staged.graph, iris, staged.city, staged.round_id, info)
    seen: dict[str, int] = {}
    for line, row in records:
        if None in row:
            staged.problems.append(Problem("CSV-1", f"row has {len(header) + len(row[None])} cells, the header "
                                                    f"{len(header)}", **staged.where(line, len(header) + 1)))
            continue
        _row(staged, iris, catalogue, {k: (row.get(k) or "").strip() for k in COLUMNS}, line, seen)
    return staged


def _check_header(header: list[str], staged: Staged) -> None:
    """The template's columns must all be there, in any order; a column the template lacks is ignored,
    with a warning (CSV-5), since a city may keep its own working columns beside the template's."""
    missing = [c for c in COLUMNS if c not in header]
    doubled = sorted({c for c in header if header.count(c) > 1})
    if missing or doubled:
        detail = "; ".join(filter(None, [missing and f"missing {', '.join(missing)}",
                                         doubled and f"repeated {', '.join(doubled)}"]))
        raise DataError(f"{staged.at(1)}: wrong header ({detail}); the template's columns are {','.join(COLUMNS)}")
    staged.header = tuple(header)
    for number, name in enumerate(header, start=1):
        if name not in COLUMNS:
            label = f"unknown column {name!r}" if name.strip() else f"column {number} has no name"
            staged.problems.append(Problem("CSV-5", f"{label}: ignored (the template's columns are "
                                                    f"{', '.join(COLUMNS)})", "Warning",
                                           **staged.where(1, number)))


def _records(reader: csv.DictReader, path: Path) -> Iterator[tuple[int, dict]]:
    """(first line, row) for each record; a malformed record names the line it starts on.

    The reader must be strict: a lenient csv reader takes an unterminated quote at the end of the
    file as a cell running to the end, and the rows after it vanish silently."""
    rows = iter(reader)
    while True:
        start = reader.line_num + 1
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            problem = ("a quoted cell that starts here is never closed" if "unexpected end of data" in str(exc)
                       else str(exc))
            raise DataError(f"{path}:{start}: not valid CSV ({problem})") from None
        yield start, row


# The descriptive columns repeat the catalogue, so city staff can read the template; a row that says
# something else about its data point is ambiguous (which did the city mean?) and is refused (CSV-4).
_DESCRIBED = (("kpi_code", lambda e: e.kpi_code), ("kpi_name", lambda e: e.kpi_name),
              ("data_point", lambda e: e.name), ("unit", lambda e: e.unit_as_printed),
              ("core_advanced", lambda e: e.tier))


def _comparable(column: str, text: str) -> str:
    """Case and spacing do not make a difference; in a KPI code neither does the space after a colon."""
    text = _SPACES.sub(" ", text).strip().casefold()
    return kpi_key(text) if column == "kpi_code" else text


def _described_as(entry: Entry, row: dict[str, str]) -> list[tuple[str, str, str]]:
    """(column, cell, catalogue's text) for each non-empty descriptive cell that disagrees with the catalogue."""
    return [(column, row[column], expected(entry)) for column, expected in _DESCRIBED
            if row[column] and _comparable(column, row[column]) != _comparable(column, expected(entry))]


def _row(staged: Staged, iris: IRIs, catalogue: Catalogue, row: dict[str, str], line: int, seen: dict[str, int]) -> None:
    def where(column: str) -> dict:
        return staged.where(line, column, row["data_point_id"] or None)

    status = row["status"].lower()
    if not any(row[c] for c in ("value", "status", "verification", "note", "source")):
        return  # a blank row: not part of this submission
    if not status and row["value"]:
        status = "reported"
    if status not in STATUS:
        staged.problems.append(Problem("CSV-2", f"status {row['status']!r}: must be reported or not_reported", **where("status")))
        return
    if row["verification"] and row["verification"].lower() not in VERIFICATION:
        staged.problems.append(Problem("CSV-3", f"verification {row['verification']!r}: must be verified, not_verified or empty",
                                       **where("verification")))
        return
    dp_id = row["data_point_id"]
    entry = catalogue.entries.get(dp_id)
    refused = row["value"] and (entry is None or entry.datatype != XSD.boolean) and number_problem(row["value"])
    if refused:
        staged.problems.append(Problem("NUM-1", f"value {shown(row['value'])}: {refused}", **where("value")))
        return
    for column, cell, expected in _described_as(entry, row) if entry else ():
        staged.problems.append(Problem("CSV-4", f"{column} {cell!r} is not that of data point {dp_id}: "
                                                f"the catalogue has {expected!r} (correct it or leave it empty)",
                                       **where(column)))
    item = iris.observation(staged.city.slug, staged.round_id, quote(dp_id, safe="-._~") or "missing-id")
    if dp_id in seen:  # RDF would merge the two rows into one node: keep them apart for rule SUB-1
        item = URIRef(f"{item}-duplicate-line-{line}")
    seen.setdefault(dp_id, line)
    staged.lines[item] = line
    _item(staged.graph, iris, staged, item, entry, dp_id, row, status)


def shown(cell: str, limit: int = 40) -> str:
    """A cell quoted for a message, cut short: the message stays one line however long the cell is."""
    return repr(cell if len(cell) <= limit else cell[:limit] + "…")


# The template column each property of an item is read from (`_item`): a finding about the property names
# that column's cell in a workbook.
COLUMN_OF = {KPI.dataPoint: "data_point_id", KPI.unit: "unit", KPI.value: "value", SDMX_ATTRIBUTE.decimals: "value",
             KPI.reportingStatus: "status", KPI.verificationStatus: "verification", KPI.reason: "note",
             RDFS.comment: "note", DCTERMS.source: "source"}


def _item(g: Graph, iris: IRIs, staged: Staged, item: URIRef, entry: Entry | None, dp_id: str,
          row: dict[str, str], status: str) -> None:
    sub = iris.submission(staged.city.slug, staged.round_id)
    dp = entry.iri if entry else iris.datapoint(quote(dp_id, safe="-._~") or "missing-id")
    g.add((item, RDF.type, KPI.Observation if status == "reported" else KPI.ItemNonResponse))
    g.add((item, KPI.submission, sub))
    g.add((item, KPI.city, iris.city(staged.city.key)))
    g.add((item, KPI.round, iris.round(staged.city.slug, staged.round_id)))
    g.add((item, KPI.dataPoint, dp))
    g.add((item, KPI.reportingStatus, STATUS[status]))
    if status == "reported":
        g.add((item, RDF.type, QB.Observation))
        g.add((item, QB.dataSet, sub))
        if entry:
            g.add((item, KPI.unit, entry.unit))
    if row["value"]:
        value = value_literal(row["value"], entry.datatype if entry else XSD.decimal)
        g.add((item, KPI.value, value))
        if value.datatype == XSD.decimal and (decimals := decimals_given(row["value"])):
            g.add((item, SDMX_ATTRIBUTE.decimals, Literal(decimals)))
    if row["verification"]:
        g.add((item, KPI.verificationStatus, VERIFICATION[row["verification"].lower()]))
    if row["note"]:
        g.add((item, KPI.reason if status == "not_reported" else RDFS.comment, Literal(row["note"])))
    if row["source"]:
        g.add((item, DCTERMS.source, Literal(row["source"])))


def parse_rdf(path: Path, iris: IRIs, city: City, round_id: str) -> Staged:
    """A submission already in RDF (Turtle, JSON-LD, N-Triples, RDF/XML), read safely (registry/userfiles.py)."""
    check_ids(city.slug, round_id)
    g = read_rdf(path)
    if any(isinstance(s, BNode) for s in g.subjects(KPI.dataPoint, None)):
        raise DataError(f"{path}: submission items must be IRIs, not blank nodes")
    return Staged(city, round_id, g, str(path))


def parse_submission(path: Path, iris: IRIs, catalogue: Catalogue, city: City, round_id: str,
                     info: RoundInfo | None = None) -> Staged:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return parse_csv(path, iris, catalogue, city, round_id, info)
    if suffix in WORKBOOK_SUFFIXES:
        from registry.workbook import parse_workbook  # openpyxl is loaded only for a workbook
        return parse_workbook(path, iris, catalogue, city, round_id, info)
    return parse_rdf(path, iris, city, round_id)


def city_graph(iris: IRIs, cities: list[City], source: str | None = None) -> Graph:
    g = new_graph()
    for city in cities:
        node = iris.city(city.key)
        g.add((node, RDF.type, KPI.City))
        g.add((node, SKOS.prefLabel, Literal(city.name)))
        g.add((node, KPI.slug, Literal(city.slug)))
        if city.municipality:
            g.add((node, KPI.municipalityNumber, Literal(city.municipality)))
        if source:
            g.add((node, DCTERMS.source, Literal(source)))
    return g


def export_rows(store: Store, iris: IRIs, catalogue: Catalogue, city: City, round_id: str) -> list[dict[str, str]]:
    """The submission as template rows (round trip: import → export gives the same rows)."""
    rows = store.select(sparql.load("export_submission"), {"submission": iris.submission(city.slug, round_id)})
    found = {str(r["id"]): r for r in rows}
    out = []
    for base in catalogue.template_rows():
        r = found.get(base["data_point_id"], {})
        value = r.get("value")
        out.append({**base,
                    "value": "" if value is None else as_printed(value, r.get("decimals")),
                    "status": str(r.get("status", "")), "verification": str(r.get("verification", "")),
                    "note": str(r.get("note", "")), "source": str(r.get("source", ""))})
    return out


def write_csv(rows: list[dict[str, str]], handle) -> None:
    writer = csv.DictWriter(handle, COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)


# CSVW (W3C Metadata Vocabulary for Tabular Data) description of the template, so the format
# documents itself: column names, titles, datatypes and what each column means.
COLUMN_DOCS = {
    "data_point_id": ("Data point id", "string", True, "Key of the U4SSC data point (docs/conventions.md); do not change"),
    "kpi_code": ("KPI code", "string", True, "U4SSC code as printed, e.g. EC: ICT: ICT: 1C"),
    "kpi_name": ("KPI", "string", True, "Name of the KPI"),
    "data_point": ("Data point", "string", True, "Name of the data point"),
    "unit": ("Unit", "string", True, "Unit the value is expressed in, as the verification reports print it"),
    "core_advanced": ("Core/advanced", "string", True, "Core or Advanced"),
    "value": ("Value", "string", False, "The value: a number ('.' or ',' as decimal mark, optional %), or yes/no"),
    "status": ("Status", "string", False, "reported | not_reported; empty with a value means reported"),
    "verification": ("Verification", "string", False, "verified | not_verified, set by the verifier"),
    "note": ("Note", "string", False, "Footnotes; for not_reported, the reason"),
    "source": ("Source", "string", False, "Where the value comes from"),
}


def template_metadata(csv_name: str) -> dict:
    return {
        "@context": "http://www.w3.org/ns/csvw",
        "url": csv_name,
        "dc:title": "U4SSC KPI submission template",
        "dc:description": "One row per U4SSC data point; fill value, status, note and source (docs/rules.md).",
        "tableSchema": {
            "primaryKey": "data_point_id",
            "columns": [
                {"name": name, "titles": title, "datatype": datatype, "required": required, "dc:description": doc}
                for name, (title, datatype, required, doc) in COLUMN_DOCS.items()
            ],
        },
    }
