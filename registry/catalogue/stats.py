"""Catalogue counts per dimension and tier, counted by SPARQL over the store."""

from __future__ import annotations

from typing import Any

from registry import sparql
from registry.store import Store


def catalogue_stats(store: Store) -> dict[str, Any]:
    """`{"kpis": {dimension: {"core": n, "advanced": n}}, "data_points": {...}, "total_kpis": n, ...}`."""
    rows = store.select(sparql.load("count_catalogue"))
    kpis: dict[str, dict[str, int]] = {}
    points: dict[str, dict[str, int]] = {}
    for row in rows:
        dim, tier = str(row["dimensionLabel"]), str(row["tier"])
        kpis.setdefault(dim, {"core": 0, "advanced": 0})[tier] = int(row["kpis"])
        points.setdefault(dim, {"core": 0, "advanced": 0})[tier] = int(row["dataPoints"])
    return {
        "kpis": kpis,
        "data_points": points,
        "total_kpis": sum(sum(v.values()) for v in kpis.values()),
        "total_data_points": sum(sum(v.values()) for v in points.values()),
    }
