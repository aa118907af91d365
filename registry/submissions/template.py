"""The reporting template and a stored round as the same CSV: what `template` and `export` write."""

from __future__ import annotations

import csv


from registry import sparql
from registry.namespaces import IRIs
from registry.store import Store
from registry.submissions.numbers import as_printed
from registry.submissions.staged import COLUMNS, DATA_QUALITY, Catalogue, City


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
                    **{column: str(r.get(var, "")) for column, var in _EXPORTED}})
    return out


# Template column ← export_submission.rq variable, for the cells written as stored.
_EXPORTED = (("note", "note"), ("source", "source"), ("source_url", "sourceUrl"), ("data_quality", "quality"),
             ("data_origin", "origin"), ("reference_year", "year"))


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
    "source": ("Source", "string", False, "Where the value comes from: the source's title (with source_url) or a "
                                          "citation"),
    # Issue 19: the reporting template's columns T-W (U4SSC KPIs Verification Manual, 2022, p. 153, flipbook
    # page 163: "Columns T – W are used by the city to provide more details on the quality and origin of the
    # data submitted, and the sources of the data"). Optional: a file without them reads as if they were empty.
    "source_url": ("Source URL", "anyURI", False, "The source's http:// or https:// address (CSV-7); source is "
                                                  "then its title"),
    "data_quality": ("Data quality", "string", False, "One of the template's six choices: "
                                                      + "; ".join(DATA_QUALITY) + " (CSV-6)"),
    "data_origin": ("Data origin", "string", False, "Where the data come from, in your words (the manual states no "
                                                    "list of origins)"),
    "reference_year": ("Reference year", "gYear", False, "The year the value refers to, e.g. 2019 (OBS-13)"),
}


def template_metadata(csv_name: str) -> dict:
    return {
        "@context": "http://www.w3.org/ns/csvw",
        "url": csv_name,
        "dc:title": "U4SSC KPI submission template",
        "dc:description": "One row per U4SSC data point; fill value, status, note, the source and what is known "
                          "of the data's quality, origin and year (docs/rules.md).",
        "tableSchema": {
            "primaryKey": "data_point_id",
            "columns": [
                {"name": name, "titles": title, "datatype": datatype, "required": required, "dc:description": doc}
                for name, (title, datatype, required, doc) in COLUMN_DOCS.items()
            ],
        },
    }
