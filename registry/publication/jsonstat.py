"""The observations as a JSON-stat 2.0 dataset (city × round × data point)."""

from __future__ import annotations

import json
from decimal import Decimal


from registry.submissions.staged import Catalogue
from registry.publication.datasets import JSONSTAT, TABLE


def jsonstat(rows: list[dict[str, str]], catalogue: Catalogue, download: str) -> bytes:
    """A dense city × round × data point cube; yes/no values as 1/0, item non-responses as null."""
    cities = _categories(rows, "city_key", "city_name")
    rounds = _categories(rows, "round_key", "round_label")
    points = {e.id: e for e in catalogue.entries.values()}
    size = [len(cities), len(rounds), len(points)]
    values: list[float | int | None] = [None] * (size[0] * size[1] * size[2])
    status: dict[str, str] = {}
    attributes: dict[str, dict[str, str]] = {name: {} for name in ATTRIBUTES}
    point_index = {key: n for n, key in enumerate(points)}
    for r in rows:
        at = (cities[r["city_key"]][0] * size[1] + rounds[r["round_key"]][0]) * size[2] + point_index[r["data_point_id"]]
        values[at] = _number(r)
        if r["status"] != "reported":
            status[str(at)] = r["status"]
        for name in ATTRIBUTES:
            if r.get(name):
                attributes[name][str(at)] = r[name]
    doc = {
        "version": "2.0",
        "class": "dataset",
        "href": download + JSONSTAT,
        "label": "U4SSC KPI observations of the registry's cities",
        "source": "U4SSC KPI registry; values from the cities' U4SSC verification reports",
        "note": ["Yes/no data points: 1 = yes, 0 = no.",
                 "null: not reported (status not_reported) or not part of the city's submission.",
                 "extension.attributes: source, data quality, data origin and reference year of a value, by "
                 "the value's index (as status); absent where the city's source does not say."],
        "id": ["city", "round", "data_point"],
        "size": size,
        "role": {"geo": ["city"], "metric": ["data_point"]},
        "dimension": {
            "city": _dimension("City", cities),
            "round": _dimension("Reporting round", rounds),
            "data_point": {
                "label": "Data point",
                "category": {
                    "index": point_index,
                    "label": {k: f"{e.kpi_code} {e.name}" for k, e in points.items()},
                    "unit": {k: {"label": e.unit_as_printed} for k, e in points.items()},
                },
            },
        },
        "value": values,
        "status": status,
        # JSON-stat 2.0 has one per-value attribute, status; the others a city states about a value (issue 19)
        # go in the dataset's extension, keyed by the value's index as status is (JSON-stat 2.0: "extension").
        "extension": {"attributes": {name: found for name, found in attributes.items() if found}},
        "link": {"alternate": [{"type": "text/csv", "href": download + TABLE}]},
    }
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


# Per-value attributes in the extension: the observations table's columns of the same names.
ATTRIBUTES = ("source", "source_url", "source_title", "data_quality", "data_origin", "reference_year")


def _categories(rows: list[dict[str, str]], key: str, label: str) -> dict[str, tuple[int, str]]:
    seen: dict[str, str] = {}
    for r in rows:
        seen.setdefault(r[key], r[label])
    return {k: (n, seen[k]) for n, k in enumerate(seen)}


def _dimension(label: str, categories: dict[str, tuple[int, str]]) -> dict:
    return {"label": label, "category": {"index": {k: n for k, (n, _) in categories.items()},
                                         "label": {k: text for k, (_, text) in categories.items()}}}


def _number(r: dict[str, str]) -> float | int | None:
    if r["value_boolean"]:
        return 1 if r["value_boolean"] == "true" else 0
    text = r["value_integer"] or r["value"]
    if not text:
        return None
    number = Decimal(text)
    return int(number) if number == number.to_integral_value() else float(number)
