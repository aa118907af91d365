"""Deterministic generator of realistic U4SSC submissions for N cities × R rounds.

Writes the same CSV template city staff fill in (one file per city and round, plus a cities
table), so the benchmark loads data through the registry's normal import path. Values follow
each data point's unit and admissible range (data/catalogue), drift slowly from round to
round, about 3 % are not reported, and shares obey the sum rules of share_rules.tsv.

    python benchmarks/generate.py --scale national --out build/bench/national
"""

from __future__ import annotations

import argparse
import csv
import random
from dataclasses import dataclass
from pathlib import Path

from registry.resources import asset_dir
from registry.submission import COLUMNS
from registry.tables import read_table

SCALES = {"small": (10, 1), "national": (357, 10), "international": (5000, 10)}
FIRST_ROUND = 2015
NOT_REPORTED = 0.03
VERIFIED = 0.9


@dataclass(frozen=True)
class Point:
    id: str
    kpi: str
    kpi_name: str
    name: str
    unit: str
    tier: str
    low: float
    high: float | None


def catalogue() -> list[Point]:
    path = asset_dir("data") / "catalogue" / "datapoints.tsv"
    return [Point(r["datapoint_id"], r["kpi_code"], r["kpi_name"], r["data_point"], r["unit_as_printed"],
                  r["core_advanced"], float(r["min_value"] or 0), float(r["max_value"]) if r["max_value"] else None)
            for _, r in read_table(path)]


def share_rules() -> dict[str, dict[str, str]]:
    return {r["kpi_code"]: r for _, r in read_table(asset_dir("data") / "catalogue" / "share_rules.tsv")}


def typical(point: Point) -> tuple[float, float]:
    """A plausible centre and spread for a data point, from its unit (no real data is implied)."""
    if point.unit == "yes/no":
        return 0.7, 0.0
    if point.high is not None and point.high <= 100:
        return (point.high - point.low) * 0.6, (point.high - point.low) * 0.25
    if point.kpi_name == "School Enrolment":
        return 98.0, 4.0
    if "per 100 000" in point.unit:
        return 500.0, 300.0
    return 50.0, 30.0


def shares(rng: random.Random, n: int, total: float) -> list[float]:
    weights = [rng.random() ** 2 for _ in range(n)]
    scale = total / sum(weights)
    parts = [round(w * scale, 2) for w in weights]
    parts[0] = round(total - sum(parts[1:]), 2)
    return parts


def city_values(rng: random.Random, points: list[Point], rules: dict, round_index: int) -> dict[str, str]:
    """One submission's values; the city's own seed keeps its profile stable across rounds."""
    values: dict[str, str] = {}
    by_kpi: dict[str, list[Point]] = {}
    for p in points:
        by_kpi.setdefault(p.kpi, []).append(p)
    for code, group in by_kpi.items():
        rule = rules.get(code)
        if rule and len(group) > 1:
            total = float(rule["shares_sum_to"] or 0) or rng.uniform(97.0, 100.0)
            for p, v in zip(group, shares(rng, len(group), total)):
                values[p.id] = f"{v:.2f}"
            continue
        for p in group:
            centre, spread = typical(p)
            if p.unit == "yes/no":
                values[p.id] = "yes" if rng.random() < centre else "no"
                continue
            v = rng.gauss(centre, spread) * (1 + 0.01 * round_index)
            v = max(p.low, v if p.high is None else min(p.high, v))
            values[p.id] = str(round(v)) if p.unit.startswith("number of") else f"{v:.2f}"
    return values


def rows(rng: random.Random, points: list[Point], rules: dict, round_index: int) -> list[dict[str, str]]:
    values = city_values(rng, points, rules, round_index)
    out = []
    for p in points:
        row = {"data_point_id": p.id, "kpi_code": p.kpi, "kpi_name": p.kpi_name, "data_point": p.name,
               "unit": p.unit, "core_advanced": p.tier, "value": "", "status": "", "verification": "",
               "note": "", "source": "generated for benchmarks"}
        shared = rules.get(p.kpi)
        if rng.random() < NOT_REPORTED and not (shared and shared["shares_sum_to"]):
            row.update(status="not_reported", note="data not available (generated)")
        else:
            row.update(value=values[p.id], status="reported",
                       verification="verified" if rng.random() < VERIFIED else "")
            if shared and shared["gap_needs_note"]:
                row["note"] = "other modes not defined in the KPI (generated)"
        out.append(row)
    return out


def generate(out: Path, cities: int, rounds: int, seed: int = 4903) -> int:
    """Write cities.tsv and {city}/{round}.csv under `out`; returns the number of files."""
    points, rules = catalogue(), share_rules()
    out.mkdir(parents=True, exist_ok=True)
    with (out / "cities.tsv").open("w", encoding="utf-8", newline="") as handle:
        handle.write("slug\tname\n")
        for c in range(cities):
            handle.write(f"city-{c:04d}\tBenchmark city {c}\n")
    for c in range(cities):
        folder = out / f"city-{c:04d}"
        folder.mkdir(exist_ok=True)
        for r in range(rounds):
            rng = random.Random(f"{seed}:{c}:{r}")
            with (folder / f"{FIRST_ROUND + r}.csv").open("w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, COLUMNS, lineterminator="\n")
                writer.writeheader()
                writer.writerows(rows(rng, points, rules, r))
    return cities * rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=SCALES, default="small")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=4903)
    args = parser.parse_args()
    cities, rounds = SCALES[args.scale]
    print(f"{generate(args.out, cities, rounds, args.seed)} submissions written to {args.out}")


if __name__ == "__main__":
    main()
