"""The answers of the scoring and summary queries in one comparable form, whoever computed them.

Each answer is a dict from the row's key (submission, set, node …) to its numbers, so the registry
on Oxigraph, the same SPARQL on rdflib and the plain-Python floor can be compared exactly. Numbers are
compared by value to 9 decimal places: Oxigraph computes decimals to 18 places, Python's decimal module
(rdflib and the floor) to 28 significant digits; points, counts and bands must be equal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from rdflib.term import Literal, Node

Key = tuple
Answers = dict[Key, tuple]
TOLERANCE = Decimal("1e-9")
SUMMARY_COUNTS = ("kpis", "kpisReported", "kpisVerified", "kpisPercentVerified",
                  "dataPoints", "dataPointsReported", "dataPointsVerified", "dataPointsPercentVerified")


def number(term: Node | None) -> Decimal | bool | None:
    """A literal's value as the floor computes it: Decimal for every number, bool for yes/no."""
    if term is None:
        return None
    value = term.toPython() if isinstance(term, Literal) else term
    return value if isinstance(value, bool) else Decimal(str(value))


def datapoint_scores(rows: Iterable[Mapping[str, Node]]) -> Answers:
    """score_datapoints.rq: (submission, set, data point) → value, target, band, direction, % of target, points."""
    return {(str(r["submission"]), str(r["set"]), str(r["dataPoint"])):
            (number(r["value"]), number(r.get("target")), number(r.get("bandLower")), number(r.get("bandUpper")),
             str(r["direction"]), number(r["percent"]), int(r["points"]))
            for r in rows}


def category_scores(rows: Iterable[Mapping[str, Node]]) -> Answers:
    """score_categories.rq: (submission, set, level, node) → points, scored data points, % of target, band."""
    return {(str(r["submission"]), str(r["set"]), str(r["level"]), str(r["node"])):
            (int(r["points"]), int(r["scored"]), number(r["percent"]), int(r["bandPoints"]))
            for r in rows}


def summaries(rows: Iterable[Mapping[str, Node]]) -> Answers:
    """summary_verification.rq: (submission, level, group, tier) → its eight counts and percentages."""
    return {(str(r["submission"]), int(r["level"]), str(r["group"]), str(r["tier"])):
            tuple(int(r[c]) for c in SUMMARY_COUNTS)
            for r in rows}


def _same(a, b) -> bool:
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return abs(a - b) <= TOLERANCE
    return a == b


def differences(expected: Answers, found: Answers, limit: int = 3) -> list[str]:
    """What differs between two answers (at most `limit` examples); empty when they are identical."""
    out = [f"missing {k}" for k in sorted(expected.keys() - found.keys())[:limit]]
    out += [f"unexpected {k}" for k in sorted(found.keys() - expected.keys())[:limit]]
    for key in sorted(expected.keys() & found.keys()):
        if len(out) >= limit:
            break
        if not all(_same(a, b) for a, b in zip(expected[key], found[key], strict=True)):
            out.append(f"{key}: {expected[key]} != {found[key]}")
    return out
