"""Scores against benchmark sets: the sets themselves (targets with their sources), each data point's % of
target and points, the roll-ups to categories, sub-dimensions and dimensions, the verification summary,
and the city report with its wheel.

Owns: `benchmarks`, `score`, `summary`, `report` (and its HTML template).
May import: `submissions`, `catalogue` and the foundations; not `taxonomy` or `publication`, its peers.
"""
