"""Scores of submissions against a benchmark set, as the U4SSC verification reports compute them (section 5).

All arithmetic is in SPARQL (queries/score_datapoints.rq, score_categories.rq): a data point scores 1–4 points
by its % of target, and a KPI, category, sub-dimension or dimension scores the sum of its points over 4 × the
number of scored data points. This module only names the rows (catalogue labels) and orders them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rdflib import URIRef

from registry import sparql
from registry.namespaces import IRIs, KPI
from registry.sparql import plain
from registry.store import Store
from registry.submissions.staged import City

LEVELS = ("dimension", "subdimension", "category", "kpi")
PLURAL = {"kpi": "kpis", "category": "categories", "subdimension": "subdimensions", "dimension": "dimensions"}
DIRECTIONS = {KPI.HigherIsBetter: "higher", KPI.LowerIsBetter: "lower", KPI.TargetBand: "band"}


@dataclass(frozen=True)
class Node:
    """One concept of the catalogue tree (dimension … data point) with what tables and wheels show of it."""

    iri: URIRef
    level: str
    key: str
    code: str
    name: str
    parent: URIRef | None
    tier: str | None
    unit: str | None
    order: int


class CatalogueTree:
    """The catalogue tree in catalogue order, read once; groups are ordered by their first KPI."""

    def __init__(self, store: Store) -> None:
        rows = store.select(sparql.load("list_catalogue"))
        nodes = [Node(r["node"], str(r["level"]), str(r["key"]), str(r["code"]), str(r["name"]), r.get("parent"),
                      _text(r.get("tier")), _text(r.get("unit")), int(r["order"]) if "order" in r else 0)
                 for r in rows]
        self.nodes: dict[URIRef, Node] = {n.iri: n for n in nodes}
        self._children: dict[URIRef | None, list[Node]] = {}
        for node in nodes:
            self._children.setdefault(node.parent, []).append(node)
        for children in self._children.values():
            children.sort(key=self.order)

    def order(self, node: Node) -> int:
        """Catalogue position: a KPI's or data point's own, a group's first KPI's."""
        if node.level in ("kpi", "datapoint"):
            return node.order
        return min((self.order(c) for c in self._children.get(node.iri, [])), default=0)

    def children(self, node: Node | None = None) -> list[Node]:
        """The dimensions (no argument) or a node's children, in catalogue order."""
        return self._children.get(node.iri if node else None, [])

    def categories(self, dimension: Node) -> list[Node]:
        """A dimension's categories across its sub-dimensions, in catalogue order (the wheel's middle ring)."""
        return [c for sub in self.children(dimension) for c in self.children(sub)]


def score_bands(store: Store) -> dict[int, str]:
    """Points → the band's label ("95+ % of target" …), from the ontology's kpi:ScoreBand."""
    return {int(r["points"]): str(r["label"]) for r in store.select(sparql.load("list_score_bands"))}


def city_scores(store: Store, iris: IRIs, city: City, round_id: str, benchmark_set: dict[str, Any]) -> dict[str, Any]:
    """Everything scored for one submission against one set (`benchmark_set` as benchmarks.list_sets gives it)."""
    tree = CatalogueTree(store)
    submission, targets = iris.submission(city.slug, round_id), iris.benchmark_set(benchmark_set["set"])
    rolled = rollups(store, tree, [submission], targets)[submission]
    return {"city": city.slug, "city_name": city.name, "round": round_id,
            "benchmarks": {**benchmark_set, "iri": str(targets)},
            "data_points": data_point_scores(store, tree, submission, targets),
            **{PLURAL[level]: rolled[level] for level in LEVELS}}


def data_point_scores(store: Store, catalogue: CatalogueTree, submission: URIRef, benchmark_set: URIRef) -> list[dict[str, Any]]:
    """Every scored data point of one submission: value, target, direction, % of target, points."""
    rows = store.select(sparql.load("score_datapoints"), {"submission": submission, "set": benchmark_set})
    bands = score_bands(store)
    out = []
    for r in rows:
        node = catalogue.nodes[r["dataPoint"]]
        kpi = catalogue.nodes[node.parent]
        out.append({
            "data_point": node.key, "kpi": kpi.code, "name": _full_name(node, kpi), "value": plain(r["value"]),
            "unit": node.unit, "target": plain(r.get("target")), "direction": DIRECTIONS.get(r["direction"]),
            "band_lower": plain(r.get("bandLower")), "band_upper": plain(r.get("bandUpper")),
            "strict": _true(r.get("strict")), "applies_from": _year(r.get("appliesFrom")), "met": _true(r["met"]), "percent": _percent(r["percent"]), "points": int(r["points"]), "band": bands[int(r["points"])],
            "order": node.order,
        })
    return sorted(out, key=lambda s: s.pop("order"))


def rollups(store: Store, catalogue: CatalogueTree, submissions: list[URIRef], benchmark_set: URIRef) -> dict[URIRef, dict[str, list[dict]]]:
    """Per submission, the scores of its KPIs, categories, sub-dimensions and dimensions, by level, in catalogue order.

    One query answers every submission at once (compare and trends ask for several).
    """
    rows = store.select(sparql.load("score_categories"), {"submission": submissions, "set": benchmark_set})
    bands = score_bands(store)
    out: dict[URIRef, dict[str, list[dict]]] = {s: {level: [] for level in LEVELS} for s in submissions}
    for r in sorted(rows, key=lambda r: catalogue.order(catalogue.nodes[r["node"]])):
        node = catalogue.nodes[r["node"]]
        out[r["submission"]][node.level].append({
            "code": node.code, "name": node.name, "points": int(r["points"]), "max_points": 4 * int(r["scored"]),
            "scored": int(r["scored"]), "percent": _percent(r["percent"]), "band_points": int(r["bandPoints"]),
            "band": bands[int(r["bandPoints"])],
        })
    return out


def target_text(score: dict[str, Any]) -> str:
    """`≥ 100`, `≤ 15`, `< 70` (a strict bound), `1 – 1` (a band), `yes`, `≥ 100, from 2018` (kpi:appliesFrom): the
    target as a reader compares a value with it."""
    since = f", from {score['applies_from']}" if score.get("applies_from") else ""
    return _level_text(score) + since


def _level_text(score: dict[str, Any]) -> str:
    target = score["target"]
    if score["direction"] == "band":
        return f"{score['band_lower']:g} – {score['band_upper']:g}"
    if isinstance(target, bool):
        return "yes" if target else "no"
    signs = {"higher": ">", "lower": "<"} if score["strict"] else {"higher": "≥", "lower": "≤"}
    return f"{signs.get(score['direction'], '')} {target:g}".lstrip() if isinstance(target, (int, float)) else str(target)


def _year(term) -> int | None:
    """kpi:appliesFrom (xsd:gYear) as a number, or None when the target applies to every round."""
    return None if term is None else int(str(term))


def _true(term) -> bool:
    """A boolean the query computed; Virtuoso answers 1 / 0 where Oxigraph answers true / false."""
    return term is not None and bool(plain(term))


def _full_name(node: Node, kpi: Node) -> str:
    return node.name if node.name == kpi.name else f"{kpi.name}: {node.name}"


def _percent(term) -> float:
    """Display precision only: the band was decided on the exact value in SPARQL."""
    return round(float(plain(term)), 2)


def _text(term) -> str | None:
    return None if term is None else str(term)
