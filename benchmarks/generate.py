"""Deterministic generator of realistic U4SSC submissions for N cities × R rounds.

Writes the same CSV template city staff fill in (one file per city and round, plus a cities
table in the layout of data/cities/cities.tsv), so the benchmark loads data through the
registry's normal import path (`kpi-registry import DIR`). Each city draws its own level for every
data point once, within the plausible range of benchmarks/ranges.tsv; its rounds drift slowly from
that level with some noise, clamped to the catalogue's admissible range. About 3 % of data points
are not reported, and shares obey the sum rules of data/catalogue/share_rules.tsv.

    python benchmarks/generate.py --scale national --out build/bench/national
"""

from __future__ import annotations

import argparse
import csv
import random
from dataclasses import dataclass
from pathlib import Path

from registry.tables import asset_dir
from registry.submissions.staged import COLUMNS
from registry.tables import read_table

SCALES = {"small": (10, 1), "national": (357, 10), "international": (5000, 10)}
FIRST_ROUND = 2015
NOT_REPORTED = 0.03
VERIFIED = 0.9
DRIFT = 0.01  # per round, relative to the city's level: slow improvement or decline
NOISE = 0.03  # relative round-to-round noise
RANGES = Path(__file__).with_name("ranges.tsv")


@dataclass(frozen=True)
class Point:
    """A data point of the catalogue with its admissible range and a plausible range for a city."""

    id: str
    kpi: str
    kpi_name: str
    name: str
    unit: str
    tier: str
    low: float | None
    high: float | None
    typical_low: float
    typical_high: float

    @property
    def is_count(self) -> bool:
        return self.unit.startswith("number of")


def catalogue() -> list[Point]:
    typical = {r["data_point_id"]: (float(r["low"]), float(r["high"])) for _, r in read_table(RANGES)}
    path = asset_dir("data") / "catalogue" / "datapoints.tsv"
    return [Point(r["datapoint_id"], r["kpi_code"], r["kpi_name"], r["data_point"], r["unit_as_printed"],
                  r["core_advanced"], float(r["min_value"]) if r["min_value"] else None,
                  float(r["max_value"]) if r["max_value"] else None, *typical[r["datapoint_id"]])
            for _, r in read_table(path)]


def share_rules() -> dict[str, dict[str, str]]:
    return {r["kpi_code"]: r for _, r in read_table(asset_dir("data") / "catalogue" / "share_rules.tsv")}


def profile(rng: random.Random, points: list[Point]) -> dict[str, float]:
    """A city's own level of every data point (for yes/no: its probability of yes), fixed across rounds."""
    return {p.id: rng.uniform(p.typical_low, p.typical_high) for p in points}


def shares(rng: random.Random, levels: list[float], total: float) -> list[float]:
    """Parts around the city's levels that sum to `total` exactly at two decimals, none negative."""
    weights = [max(level, 0.01) * rng.uniform(1 - NOISE, 1 + NOISE) for level in levels]
    parts = [round(w * total / sum(weights), 2) for w in weights]
    largest = parts.index(max(parts))
    parts[largest] = round(total - (sum(parts) - parts[largest]), 2)  # rounding goes to the largest part
    return parts


def value(rng: random.Random, point: Point, level: float, round_index: int) -> str:
    if point.unit == "yes/no":
        return "yes" if rng.random() < level else "no"
    v = level * (1 + DRIFT * round_index) * rng.gauss(1, NOISE)
    v = max(point.low if point.low is not None else v, v)
    v = min(point.high if point.high is not None else v, v)
    return str(round(v)) if point.is_count else f"{v:.2f}"


def city_values(rng: random.Random, points: list[Point], levels: dict[str, float], rules: dict,
                round_index: int) -> dict[str, str]:
    """One submission's values; shares of a KPI with a sum rule are drawn together."""
    values: dict[str, str] = {}
    by_kpi: dict[str, list[Point]] = {}
    for p in points:
        by_kpi.setdefault(p.kpi, []).append(p)
    for code, group in by_kpi.items():
        rule = rules.get(code)
        if rule and len(group) > 1:
            total = float(rule["shares_sum_to"] or 0) or rng.uniform(97.0, 100.0)
            for p, v in zip(group, shares(rng, [levels[p.id] for p in group], total)):
                values[p.id] = f"{v:.2f}"
            continue
        for p in group:
            values[p.id] = value(rng, p, levels[p.id], round_index)
    return values


def rows(rng: random.Random, points: list[Point], levels: dict[str, float], rules: dict,
         round_index: int) -> list[dict[str, str]]:
    values = city_values(rng, points, levels, rules, round_index)
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


def slug(index: int) -> str:
    return f"city-{index:04d}"


def generate(out: Path, cities: int, rounds: int, seed: int = 4903) -> int:
    """Write cities.tsv and {city}/{round}.csv under `out`; returns the number of files."""
    points, rules = catalogue(), share_rules()
    out.mkdir(parents=True, exist_ok=True)
    with (out / "cities.tsv").open("w", encoding="utf-8", newline="") as handle:
        handle.write("slug\tname\tmunicipality\n")
        handle.writelines(f"{slug(c)}\tBenchmark city {c}\t\n" for c in range(cities))
    for c in range(cities):
        folder = out / slug(c)
        folder.mkdir(exist_ok=True)
        levels = profile(random.Random(f"{seed}:{c}"), points)
        for r in range(rounds):
            rng = random.Random(f"{seed}:{c}:{r}")
            with (folder / f"{FIRST_ROUND + r}.csv").open("w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, COLUMNS, lineterminator="\n")
                writer.writeheader()
                writer.writerows(rows(rng, points, levels, rules, r))
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
