"""City submissions: the CSV template, parsing CSV / Turtle / JSON-LD into observations.

Parsing is deliberately lenient about *content* (a wrong code or a word in a number cell becomes
RDF that the SHACL shapes then reject with a rule id), and strict about *form* (encoding,
header): form errors mean the file cannot be read (exit 2), content errors mean it does not
conform (exit 1), and both name file and line.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import quote

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV, RDF, RDFS, SKOS, XSD

from registry.catalogue.rdf import new_graph
from registry.namespaces import IRIs, KPI, QB, SDMX_ATTRIBUTE, kpi_key, slug
from registry.tables import DataError
from registry.submissions.userfiles import read_bytes, read_rdf
from registry.submissions.numbers import SPACES, decimals_given, number_problem, value_literal
from registry.submissions.staged import (ASSURANCE, COLUMNS, DATA_QUALITY, FILLED, MAX_ROWS, REQUIRED, Catalogue, City,
                                         Entry, Problem, RoundInfo, STATUS, Staged, VERIFICATION, WORKBOOK_SUFFIXES, GYEAR,
                                         check_ids, web_address_problem)


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


def read_csv_text(path: Path, data: bytes | None = None) -> str:
    try:
        return read_bytes(path, data).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason}); save the CSV as UTF-8") from None


def parse_csv(path: Path, iris: IRIs, catalogue: Catalogue, city: City, round_id: str,
              info: RoundInfo | None = None, data: bytes | None = None) -> Staged:
    """A filled template → the submission graph, one item per non-blank row (`data`: see read_bytes)."""
    check_ids(city.slug, round_id)
    text = read_csv_text(path, data)
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
    """The template's required columns must all be there, in any order (the newer optional ones may be
    missing: their cells read as empty); a column the template lacks is ignored, with a warning (CSV-5),
    since a city may keep its own working columns beside the template's."""
    missing = [c for c in REQUIRED if c not in header]
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
    for count in itertools.count(1):
        start = reader.line_num + 1
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            problem = ("a quoted cell that starts here is never closed" if "unexpected end of data" in str(exc)
                       else str(exc))
            raise DataError(f"{path}:{start}: not valid CSV ({problem})") from None
        if count > MAX_ROWS:
            raise DataError(f"{path}:{start}: more than {MAX_ROWS:,} rows (the template has one per data point)")
        yield start, row


# The descriptive columns repeat the catalogue, so city staff can read the template; a row that says
# something else about its data point is ambiguous (which did the city mean?) and is refused (CSV-4).
_DESCRIBED = (("kpi_code", lambda e: e.kpi_code), ("kpi_name", lambda e: e.kpi_name),
              ("data_point", lambda e: e.name), ("unit", lambda e: e.unit_as_printed),
              ("core_advanced", lambda e: e.tier))


def _comparable(column: str, text: str) -> str:
    """Case and spacing do not make a difference; in a KPI code neither does the space after a colon."""
    text = SPACES.sub(" ", text).strip().casefold()
    return kpi_key(text) if column == "kpi_code" else text


def _described_as(entry: Entry, row: dict[str, str]) -> list[tuple[str, str, str]]:
    """(column, cell, catalogue's text) for each non-empty descriptive cell that disagrees with the catalogue."""
    return [(column, row[column], expected(entry)) for column, expected in _DESCRIBED
            if row[column] and _comparable(column, row[column]) != _comparable(column, expected(entry))]


def _row(staged: Staged, iris: IRIs, catalogue: Catalogue, row: dict[str, str], line: int, seen: dict[str, int]) -> None:
    def where(column: str) -> dict:
        return staged.where(line, column, row["data_point_id"] or None)

    status = row["status"].lower()
    if not any(row[c] for c in FILLED):
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
    if problem := _attribute_problem(row, where):
        staged.problems.append(problem)
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


_QUALITY = {_comparable("data_quality", label): iri for label, iri in DATA_QUALITY.items()}


def _attribute_problem(row: dict[str, str], where) -> Problem | None:
    """CSV-6 / CSV-7: a data-quality cell that is none of the template's six choices, or a source address that
    is no http(s) address, cannot become the concept or IRI the item needs."""
    if row["data_quality"] and _comparable("data_quality", row["data_quality"]) not in _QUALITY:
        return Problem("CSV-6", f"data_quality {shown(row['data_quality'])}: must be one of the reporting template's "
                                f"choices ({'; '.join(DATA_QUALITY)}) or empty", **where("data_quality"))
    if row["source_url"] and (why := web_address_problem(row["source_url"])):
        return Problem("CSV-7", f"source_url {shown(row['source_url'])}: {why}", **where("source_url"))
    return None


def shown(cell: str, limit: int = 40) -> str:
    """A cell quoted for a message, cut short: the message stays one line however long the cell is."""
    return repr(cell if len(cell) <= limit else cell[:limit] + "…")


# The template column each property of an item is read from (`_item`): a finding about the property names
# that column's cell in a workbook.
COLUMN_OF = {KPI.dataPoint: "data_point_id", KPI.unit: "unit", KPI.value: "value", SDMX_ATTRIBUTE.decimals: "value",
             KPI.reportingStatus: "status", KPI.verificationStatus: "verification", KPI.reason: "note",
             RDFS.comment: "note", DCTERMS.source: "source", DCTERMS.title: "source", KPI.dataQuality: "data_quality",
             KPI.dataOrigin: "data_origin", KPI.referencePeriod: "reference_year"}


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
    _attributes(g, item, row)


def _attributes(g: Graph, item: URIRef, row: dict[str, str]) -> None:
    """What the city says about the value (the reporting template's columns T-W, Verification Manual 2022,
    p. 153): a source with an address is that resource, titled by the source cell; one without is the text."""
    if row["source_url"]:
        source = URIRef(row["source_url"])
        g.add((item, DCTERMS.source, source))
        if row["source"]:
            g.add((source, DCTERMS.title, Literal(row["source"])))
    elif row["source"]:
        g.add((item, DCTERMS.source, Literal(row["source"])))
    if row["data_quality"]:
        g.add((item, KPI.dataQuality, _QUALITY[_comparable("data_quality", row["data_quality"])]))
    if row["data_origin"]:
        g.add((item, KPI.dataOrigin, Literal(row["data_origin"])))
    if year := row["reference_year"]:  # lenient: text that is no year stays text, which rule OBS-13 refuses
        g.add((item, KPI.referencePeriod, Literal(year, datatype=XSD.gYear) if GYEAR.fullmatch(year) else Literal(year)))


def parse_rdf(path: Path, iris: IRIs, city: City, round_id: str, data: bytes | None = None) -> Staged:
    """A submission already in RDF (Turtle, JSON-LD, N-Triples, RDF/XML), read safely (registry/submissions/userfiles.py)."""
    check_ids(city.slug, round_id)
    g = read_rdf(path, data)
    if any(isinstance(s, BNode) for s in g.subjects(KPI.dataPoint, None)):
        raise DataError(f"{path}: submission items must be IRIs, not blank nodes")
    return Staged(city, round_id, g, str(path))


def parse_submission(path: Path, iris: IRIs, catalogue: Catalogue, city: City, round_id: str,
                     info: RoundInfo | None = None, data: bytes | None = None) -> Staged:
    """The file at `path`, or `data` named `path` (an upload, read from memory), by its suffix."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return parse_csv(path, iris, catalogue, city, round_id, info, data)
    if suffix in WORKBOOK_SUFFIXES:
        from registry.submissions.workbook import parse_workbook  # openpyxl is loaded only for a workbook
        return parse_workbook(path, iris, catalogue, city, round_id, info, data)
    return parse_rdf(path, iris, city, round_id, data)


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
