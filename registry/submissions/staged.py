"""What a submission is made of before it is stored: the catalogue as a reader needs it, the city, the
round, each finding (Problem) and the staged graph with where each item came from."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from rdflib import Graph, URIRef

from registry import sparql
from registry.namespaces import CITY_SLUG, KPI, ROUND_ID
from registry.store import Store
from registry.tables import DataError


# The template's columns. REQUIRED ones must all be in a file's header; the others came with issue 19 and
# may be missing (a file written before them is read as if they were empty).
REQUIRED = ("data_point_id", "kpi_code", "kpi_name", "data_point", "unit", "core_advanced",
            "value", "status", "verification", "note", "source")
COLUMNS = (*REQUIRED, "source_url", "data_quality", "data_origin", "reference_year")
FILLED = COLUMNS[6:]  # the columns a city (or its verifier) fills; a row with all of them empty is blank
# The U4SSC reporting template's data-quality choices, in the manual's words and order (U4SSC KPIs
# Verification Manual, 2022, p. 153, flipbook page 163: "The city has six choices for the quality of the data
# submitted"); ontology/u4ssc-registry.ttl has them as the concepts of kpi:DataQualityScheme.
DATA_QUALITY = {"Based on accurate measurements": KPI.AccurateMeasurements,
                "Extrapolated based on survey of inhabitants": KPI.SurveyExtrapolation,
                "Extrapolated based on higher-level data": KPI.HigherLevelExtrapolation,
                "Estimation based on certain assumptions": KPI.AssumptionEstimation,
                "Personal estimation": KPI.PersonalEstimation,
                "Unknown methodology, not traceable": KPI.UnknownMethodology}
STATUS = {"reported": KPI.Reported, "not_reported": KPI.NotReported}
VERIFICATION = {"verified": KPI.Verified, "not_verified": KPI.NotVerified}
ASSURANCE = {"limited": KPI.LimitedAssurance, "reasonable": KPI.ReasonableAssurance}
MAX_ROWS = 10_000  # data rows of a CSV file or a workbook's sheet; the template has one per data point (112)
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm", ".xls")  # all read by registry/submissions/workbook.py, which refuses all but .xlsx


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


# An xsd:gYear's lexical form (XSD 1.1 Part 2 §3.3.11: gYearLexicalRep, a year of four digits or more and an
# optional time zone); shapes/observation.ttl (OBS-13) states the same pattern.
GYEAR = re.compile(r"-?([1-9][0-9]{3,}|0[0-9]{3})(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))?")

# Characters an IRI may not hold (RFC 3987 §2.2: no space, control character or any of <>"{}|\\^`).
_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f-\x9f]')
MAX_ADDRESS = 2000


def web_address_problem(text: str) -> str | None:
    """Why `text` is not an http(s) address a source may have (fail closed: anything else, `file:`,
    `urn:`, a relative path, is refused), or None. Nothing is fetched: the address is only stored."""
    if len(text) > MAX_ADDRESS:
        return f"longer than {MAX_ADDRESS} characters"
    if _NOT_IN_IRI.search(text):
        return "holds a space or a character an IRI may not (RFC 3987 §2.2)"
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError as exc:
        return f"not an address ({exc})"
    if parts.scheme.lower() not in ("http", "https") or not host:
        return "must be an http:// or https:// address with a host"
    return None


def check_ids(city: str, round_id: str) -> None:
    if not CITY_SLUG.match(city or ""):
        raise DataError(f"city {city!r}: must be a lower-case ASCII slug such as 'alesund'")
    if not ROUND_ID.match(round_id or ""):
        raise DataError(f"round {round_id!r}: must be an identifier such as '2024' or '2020-06'")
