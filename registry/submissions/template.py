"""The reporting template and a stored round as the same CSV: what `template` and `export` write."""

from __future__ import annotations

import csv


from registry import sparql
from registry.namespaces import IRIs
from registry.store import Store
from registry.submissions.numbers import as_printed
from registry.submissions.staged import COLUMNS, Catalogue, City


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
