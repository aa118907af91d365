"""The observations as one CSV table with its CSVW metadata (W3C Model for Tabular Data), checked
against its own primary key before it is written."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

from rdflib import URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, XSD

from registry import sparql
from registry.publication.cube import Failure
from registry.namespaces import KPI, QB, SDMX_ATTRIBUTE
from registry.store import Store
from registry.publication.datasets import CC_BY, TABLE, TABLE_METADATA


# (column, titles, datatype, property (None: for people only, suppressed in RDF), value is an IRI)
COLUMNS: tuple[tuple[str, str, str, URIRef | None, bool], ...] = (
    ("city_name", "City", "string", None, False),
    ("round_id", "Reporting round", "string", None, False),
    ("kpi_code", "KPI code", "string", None, False),
    ("data_point_id", "Data point id", "string", None, False),
    ("data_point_name", "Data point", "string", None, False),
    ("value", "Value (number)", "decimal", KPI.value, False),
    ("value_integer", "Value (count)", "integer", KPI.value, False),
    ("value_boolean", "Value (yes/no)", "boolean", KPI.value, False),
    ("decimals", "Decimals given", "integer", SDMX_ATTRIBUTE.decimals, False),
    ("unit_label", "Unit", "string", None, False),
    ("status", "Reporting status", "string", None, False),
    ("verification", "Verification status", "string", None, False),
    ("comment", "Note", "string", RDFS.comment, False),
    ("reason", "Reason not reported", "string", KPI.reason, False),
    ("source", "Source", "string", DCTERMS.source, False),  # a source given as text
    ("source_url", "Source address", "anyURI", DCTERMS.source, True),  # a source document (issue 19) …
    ("source_title", "Source title", "string", DCTERMS.title, False),  # … and its title, stated about it
    ("data_quality", "Data quality", "string", None, False),
    ("data_origin", "Data origin", "string", KPI.dataOrigin, False),
    ("reference_year", "Reference year", "gYear", KPI.referencePeriod, False),
    ("item", "Item IRI", "anyURI", None, True),
    ("item_type", "Item type IRI", "anyURI", RDF.type, True),
    ("cube_type", "Data Cube type IRI", "anyURI", RDF.type, True),
    ("submission", "Submission IRI", "anyURI", KPI.submission, True),
    ("dataset", "Data set IRI", "anyURI", QB.dataSet, True),
    ("city", "City IRI", "anyURI", KPI.city, True),
    ("round", "Reporting round IRI", "anyURI", KPI.round, True),
    ("data_point", "Data point IRI", "anyURI", KPI.dataPoint, True),
    ("unit", "Unit IRI", "anyURI", KPI.unit, True),
    ("status_iri", "Reporting status IRI", "anyURI", KPI.reportingStatus, True),
    ("verification_iri", "Verification status IRI", "anyURI", KPI.verificationStatus, True),
    ("data_quality_iri", "Data quality IRI", "anyURI", KPI.dataQuality, True),
)
ABOUT = {"source_title": "source_url"}  # a column whose triple is about another column's IRI, not the item
_VALUE_COLUMN = {XSD.decimal: "value", XSD.integer: "value_integer", XSD.boolean: "value_boolean"}


def item_rows(store: Store) -> list[dict[str, str]]:
    """One row per submission item, cells as CSV text (empty = absent)."""
    return [_row(r) for r in store.select(sparql.load("list_submission_items"))]


def _row(r: dict) -> dict[str, str]:
    cell = {k: ("" if r.get(v) is None else str(r[v])) for k, v in (
        ("city_name", "cityName"), ("round_id", "roundId"), ("kpi_code", "kpiCode"), ("data_point_id", "dataPointId"),
        ("data_point_name", "dataPointName"), ("unit_label", "unitLabel"), ("status", "statusCode"),
        ("verification", "verificationCode"), ("comment", "comment"), ("reason", "reason"), ("source", "source"),
        ("item", "item"), ("item_type", "itemType"), ("cube_type", "cubeType"), ("submission", "submission"),
        ("dataset", "dataset"), ("city", "city"), ("round", "round"), ("data_point", "dataPoint"), ("unit", "unit"),
        ("status_iri", "status"), ("verification_iri", "verification"), ("city_key", "cityKey"), ("slug", "slug"),
        ("decimals", "decimals"), ("source_url", "sourceUrl"), ("source_title", "sourceTitle"),
        ("data_quality", "qualityLabel"), ("data_quality_iri", "quality"), ("data_origin", "origin"),
        ("reference_year", "year"))}
    for column in _VALUE_COLUMN.values():
        cell[column] = ""
    value = r.get("value")
    if value is not None:
        cell[_VALUE_COLUMN.get(value.datatype, "value")] = str(value)
    return cell


TABLE_KEY = "item"  # the CSVW primaryKey of tables/observations.csv


def key_failures(rows: list[dict[str, str]]) -> list[Failure]:
    """Rows sharing the table's primary key: CSVW (Tabular Data Model §4.4, primary keys) makes such a
    table invalid, and a consumer would count the observation twice."""
    counts = Counter(r[TABLE_KEY] for r in rows)
    return [Failure("CSVW-PK", f"{TABLE}: primary key {TABLE_KEY} {key} appears in {n} rows")
            for key, n in sorted(counts.items()) if n > 1]


def observations_csv(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, [c[0] for c in COLUMNS], lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def csvw_metadata(download: str) -> bytes:
    """CSVW metadata: csv2rdf (minimal mode) over the CSV gives back the submission items of the cube."""
    columns = []
    for name, title, datatype, prop, is_iri in COLUMNS:
        column: dict = {"name": name, "titles": title, "datatype": datatype}
        if prop is None:
            column["suppressOutput"] = True
        else:
            column["propertyUrl"] = str(prop)
        if is_iri and prop is not None:
            column["valueUrl"] = "{+" + name + "}"
        if name in ABOUT:
            column["aboutUrl"] = "{+" + ABOUT[name] + "}"
        columns.append(column)
    metadata = {
        "@context": ["http://www.w3.org/ns/csvw", {"@language": "en"}],
        "@id": download + TABLE_METADATA,
        "url": "observations.csv",
        "dc:title": "U4SSC KPI observations of the registry's cities",
        "dc:description": "One row per submission item: a value a city reported (a qb:Observation of the "
                          "registry's RDF Data Cube) or a data point it did not report (kpi:ItemNonResponse, "
                          "with the reason). The value is in value, value_integer or value_boolean according "
                          "to the unit's datatype. Columns ending in IRI link back to the linked data. "
                          "Source, data quality, data origin and reference year are what the city said about the "
                          "value, empty where its source does not say.",
        "dc:license": {"@id": str(CC_BY)},
        "dialect": {"header": True, "encoding": "utf-8"},
        "tableSchema": {"columns": columns, "aboutUrl": "{+item}", "primaryKey": TABLE_KEY},
    }
    return (json.dumps(metadata, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
