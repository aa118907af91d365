"""The floor: the scoring and summary arithmetic in plain Python, over numbers already in memory.

No store, no SPARQL, no RDF terms: dicts and Decimals. It reads the same CSV files the import loaded
(before any timing) and computes what score_datapoints.rq, score_categories.rq and
summary_verification.rq answer, with the same rules (docs/rules.md), so the three paths can be
checked against each other and the registry's cost stated as a multiple of this one.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from registry.scoring.benchmarks import DIRECTION
from registry.namespaces import KPI, IRIs, kpi_key
from registry.submissions.numbers import BOOLEANS
from registry.submissions.numbers import normalise_number
from registry.tables import read_table

from benchmarks.results import Answers

LEVELS = ("kpi", "category", "subdimension", "dimension")
HUNDRED = Decimal("100.0")


@dataclass(frozen=True)
class Item:
    data_point: str
    reported: bool
    verified: bool
    value: Decimal | bool | None


@dataclass(frozen=True)
class Target:
    direction: str
    target: Decimal | bool | None
    lower: Decimal | None
    upper: Decimal | None
    max: Decimal | None
    applies_from: int | None = None  # kpi:appliesFrom: rounds of earlier years are not scored against it


@dataclass(frozen=True)
class Band:
    points: int
    lower: Decimal
    upper: Decimal | None


@dataclass(frozen=True)
class Kpi:
    data_points: tuple[str, ...]
    tier: str
    dimension: str  # its English label, as the summary's rows name it


@dataclass
class Inputs:
    """Everything the floor needs, keyed by IRI strings, as the queries key their rows."""

    submissions: dict[str, list[Item]]
    rounds: dict[str, str]  # submission → its round id, whose first four digits are its year
    benchmark_set: str
    targets: dict[str, Target]
    bands: list[Band]
    paths: dict[str, tuple[str, ...]]  # data point → its KPI, category, sub-dimension, dimension
    kpis: dict[str, Kpi]


# -- reading the inputs (not timed) ---------------------------------------------------------------

def read_inputs(iris: IRIs, data: Path, directories: Iterable[Path], set_id: str,
                bands: list[Band]) -> Inputs:
    """The catalogue and a benchmark set from `data/`, and every submission CSV under `directories`."""
    catalogue = list(read_table(data / "catalogue" / "datapoints.tsv"))
    datatypes = {r["as_printed"]: r["datatype"] for _, r in read_table(data / "catalogue" / "units.tsv")}
    kinds = {r["datapoint_id"]: datatypes.get(r["unit_as_printed"], "decimal") for _, r in catalogue}
    submissions, rounds = {}, {}
    for directory in directories:
        for path in sorted(directory.glob("*/*.csv")):
            submissions[str(iris.submission(path.parent.name, path.stem))] = read_items(iris, path, kinds)
            rounds[str(iris.submission(path.parent.name, path.stem))] = path.stem
    return Inputs(submissions, rounds, str(iris.benchmark_set(set_id)),
                  read_targets(iris, data / "benchmarks" / f"{set_id}.csv", catalogue, kinds), bands,
                  {str(iris.datapoint(r["datapoint_id"])): _path(iris, r["kpi_code"]) for _, r in catalogue},
                  _kpis(iris, catalogue))


def _path(iris: IRIs, code: str) -> tuple[str, ...]:
    key = kpi_key(code)
    category = key.rsplit("-", 1)[0]
    subdimension = category.rsplit("-", 1)[0]
    return (str(iris.kpi(key)), str(iris.category(category)), str(iris.subdimension(subdimension)),
            str(iris.dimension(subdimension.rsplit("-", 1)[0])))


def _kpis(iris: IRIs, catalogue: list[tuple[int, dict[str, str]]]) -> dict[str, Kpi]:
    grouped: dict[str, list[dict[str, str]]] = defaultdict(list)
    for _, r in catalogue:
        grouped[str(iris.kpi(kpi_key(r["kpi_code"])))].append(r)
    return {kpi: Kpi(tuple(str(iris.datapoint(r["datapoint_id"])) for r in rows), rows[0]["core_advanced"].lower(),
                     rows[0]["dimension"]) for kpi, rows in grouped.items()}


def read_targets(iris: IRIs, path: Path, catalogue: list[tuple[int, dict[str, str]]],
                 kinds: dict[str, str]) -> dict[str, Target]:
    maxima = {r["datapoint_id"]: _decimal(r["max_value"]) for _, r in catalogue}
    return {str(iris.datapoint(r["data_point_id"])):
            Target(str(DIRECTION[r["direction"].lower()]), _value(r["target"], kinds[r["data_point_id"]] == "boolean"),
                   _decimal(normalise_number(r["band_low"])), _decimal(normalise_number(r["band_high"])),
                   maxima[r["data_point_id"]], int(r["applies_from"]) if r.get("applies_from") else None)
            for _, r in read_table(path)}


def applies(target: Target, round_id: str) -> bool:
    """As score_datapoints.rq: a target from a year on scores only rounds whose id starts with that year or later."""
    if target.applies_from is None:
        return True
    year = re.match(r"[0-9]{4}", round_id)  # ASCII digits, as the query's ^[0-9]{4} (str.isdigit takes any script's)
    return year is not None and int(year[0]) >= target.applies_from


def read_items(iris: IRIs, path: Path, kinds: dict[str, str]) -> list[Item]:
    """One filled template as the import reads it: blank rows skipped, a value without status is reported."""
    items = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if not any(row[c] for c in ("value", "status", "verification", "note", "source")):
                continue
            status = row["status"].lower() or ("reported" if row["value"] else "")
            items.append(Item(str(iris.datapoint(row["data_point_id"])), status == "reported",
                              row["verification"].lower() == "verified",
                              _value(row["value"], kinds[row["data_point_id"]] == "boolean")))
    return items


def _value(text: str, boolean: bool) -> Decimal | bool | None:
    if not text:
        return None
    if boolean:
        return BOOLEANS[text.strip().lower()] == "true"
    return _decimal(normalise_number(text))


def _decimal(text: str | None) -> Decimal | None:
    return Decimal(text) if text else None


# -- the arithmetic (timed) -----------------------------------------------------------------------

def percent_of_target(value: Decimal | bool, t: Target) -> Decimal | int | None:
    """% of target, capped to [0, 100]; None where SPARQL's expression errs (the row is then dropped)."""
    try:
        if isinstance(value, bool):
            share = 100 if value == t.target else 0
        elif t.direction == str(KPI.HigherIsBetter):
            share = HUNDRED * value / t.target
        elif t.direction == str(KPI.LowerIsBetter):
            share = (100 if value <= t.target else
                     HUNDRED * (t.max - value) / t.max if t.target == 0 else HUNDRED * t.target / value)
        else:
            share = (HUNDRED * value / t.lower if value < t.lower else
                     HUNDRED * t.upper / value if value > t.upper else 100)
    except (ArithmeticError, InvalidOperation, TypeError):
        return None
    return 100 if share > 100 else 0 if share < 0 else share


def band(percent: Decimal | int, bands: list[Band]) -> int:
    return next(b.points for b in bands if percent >= b.lower and (b.upper is None or percent < b.upper))


def score(inputs: Inputs) -> tuple[Answers, Answers]:
    """Every data point score (score_datapoints.rq) and every roll-up (score_categories.rq)."""
    scores: Answers = {}
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for submission, items in inputs.submissions.items():
        for item in items:
            target = inputs.targets.get(item.data_point)
            if target is None or not item.reported or item.value is None or not applies(target, inputs.rounds[submission]):
                continue
            percent = percent_of_target(item.value, target)
            if percent is None:
                continue
            points = band(percent, inputs.bands)
            scores[(submission, inputs.benchmark_set, item.data_point)] = (
                item.value, target.target, target.lower, target.upper, target.direction, Decimal(percent), points)
            for level, node in zip(LEVELS, inputs.paths[item.data_point]):
                total = totals[(submission, inputs.benchmark_set, level, node)]
                total[0] += points
                total[1] += 1
    return scores, {key: _rollup(points, scored, inputs.bands) for key, (points, scored) in totals.items()}


def _rollup(points: int, scored: int, bands: list[Band]) -> tuple:
    percent = HUNDRED * points / (4 * scored)
    return points, scored, percent, band(percent, bands)


def summarise(inputs: Inputs) -> Answers:
    """summary_verification.rq: per submission, dimension × tier, overall × tier and total."""
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0] * 6)
    for submission, items in inputs.submissions.items():
        reported = {i.data_point for i in items if i.reported}
        verified = {i.data_point for i in items if i.reported and i.verified}
        for kpi in inputs.kpis.values():
            size = len(kpi.data_points)
            rep = sum(dp in reported for dp in kpi.data_points)
            ver = sum(dp in verified for dp in kpi.data_points)
            counts = (1, rep == size, ver == size, size, rep, ver)
            for key in ((1, kpi.dimension, kpi.tier), (2, "Overall", kpi.tier), (3, "Total", "all")):
                row = sums[(submission, *key)]
                for i, n in enumerate(counts):
                    row[i] += n
    return {key: (kpis, rep, ver, _percent(ver, kpis), dps, dps_rep, dps_ver, _percent(dps_ver, dps))
            for key, (kpis, rep, ver, dps, dps_rep, dps_ver) in sums.items()}


def _percent(part: int, whole: int) -> int:
    """SPARQL ROUND (half up) of 100.0 × part ÷ whole."""
    return int((HUNDRED * part / whole).quantize(Decimal(1), ROUND_HALF_UP))
