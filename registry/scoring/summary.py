"""The reporting and verification summary of a submission, shaped like the U4SSC verification reports.

Sections 2 and 3 (KPIs and data points: total, reported, verified, % verified per dimension and tier, with the
Overall and Total rows) come from queries/summary_verification.rq; sections 7 and 8 (KPIs not reported, KPIs not
verified) from list_not_reported.rq and list_not_verified.rq. Counting and rounding happen in SPARQL (% verified is
verified ÷ total, rounded half up to a whole per cent, as the reports print it); this module only arranges rows.
"""

from __future__ import annotations

from typing import Any

from rdflib import URIRef

from registry import sparql
from registry.namespaces import IRIs
from registry.store import Store
from registry.submissions.staged import City

COUNTS = {"kpis": ("kpis", "kpisReported", "kpisVerified", "kpisPercentVerified"),
          "data_points": ("dataPoints", "dataPointsReported", "dataPointsVerified", "dataPointsPercentVerified")}


def summary(store: Store, iris: IRIs, city: City, round_id: str) -> dict[str, Any]:
    """`{"city", "round", "kpis": {...}, "data_points": {...}, "not_reported": [...], "not_verified": [...]}`."""
    binding = {"submission": iris.submission(city.slug, round_id)}
    rows = store.select(sparql.load("summary_verification"), binding)
    return {
        "city": city.slug,
        "city_name": city.name,
        "round": round_id,
        **{kind: _table(rows, columns) for kind, columns in COUNTS.items()},
        "not_reported": not_reported(store, binding),
        "not_verified": not_verified(store, binding),
    }


def _table(rows: list[dict], columns: tuple[str, str, str, str]) -> dict[str, Any]:
    """Rows of one kind of count → {"Economy": {"core": {...}, "advanced": {...}}, …, "Overall": …, "Total": {...}}."""
    table: dict[str, Any] = {}
    for row in rows:
        cell = dict(zip(("total", "reported", "verified", "percent_verified"), (int(row[c]) for c in columns)))
        group, tier = str(row["group"]), str(row["tier"])
        if str(row["levelName"]) == "total":
            table[group] = cell
        else:
            table.setdefault(group, {})[tier] = cell
    return table


def not_reported(store: Store, binding: dict[str, URIRef]) -> list[dict[str, Any]]:
    """Section 7: each KPI not reported in full, its missing data points and the reasons given."""
    entries: dict[str, dict[str, Any]] = {}
    for row in store.select(sparql.load("list_not_reported"), binding):
        entry = entries.setdefault(str(row["code"]), {
            "kpi": str(row["code"]), "name": str(row["name"]), "partial": bool(row["partial"].toPython()),
            "missing": [], "reasons": []})
        entry["missing"].append(str(row["dataPointName"]))
        if "reason" in row and str(row["reason"]) not in entry["reasons"]:
            entry["reasons"].append(str(row["reason"]))
    return [_with_reason(e) for e in entries.values()]


def _with_reason(entry: dict[str, Any]) -> dict[str, Any]:
    """One reason string per KPI (data points of a KPI usually share theirs); None when the city gave none."""
    reasons = entry.pop("reasons")
    return {**entry, "reason": "; ".join(reasons) or None}


def not_verified(store: Store, binding: dict[str, URIRef]) -> list[dict[str, Any]]:
    """Section 8: each KPI with a reported data point that is not verified, and whether it was refused or is pending."""
    entries: dict[str, dict[str, Any]] = {}
    for row in store.select(sparql.load("list_not_verified"), binding):
        entry = entries.setdefault(str(row["code"]), {"kpi": str(row["code"]), "name": str(row["name"]),
                                                      "unverified": [], "status": "not yet verified"})
        entry["unverified"].append(str(row["dataPointName"]))
        if "verification" in row:
            entry["status"] = str(row["verification"]).replace("_", " ")
    return list(entries.values())
