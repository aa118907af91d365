"""The benchmark harness still works: `benchmarks/run.py --scale small` as `make bench` runs it.

Correctness only, never times: the registry, the plain-Python floor and the naive rdflib path must
give identical scores and summaries, and every figure the issue names must be present.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("bench")
    out = work / "small.json"
    done = subprocess.run([sys.executable, "benchmarks/run.py", "--scale", "small", "--work", str(work),
                           "--json", str(out), "--repeat", "1", "--duration", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "kpi-registry benchmarks, small scale" in done.stdout  # the table
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("step", ["scoring", "summary"])
def test_three_paths_agree(report, step):
    figures = report[step]
    assert figures["identical"] is True
    assert "differences" not in figures
    for key in ("ours_s", "floor_s", "naive_s", "ours_over_floor", "naive_over_ours"):
        assert figures[key] is not None and figures[key] > 0, key
    assert figures["naive_finished"] is True


def test_every_submission_scored(report):
    # The 10 generated submissions and the seed cities' (Ålesund, Trondheim), each on several scored data points.
    assert report["data"]["submissions"] == 10
    assert report["scoring"]["score_datapoints_rows"] > 3 * 12
    assert report["summary"]["summary_verification_rows"] > 12


def test_load_and_validation_figures(report):
    load, validation = report["load"], report["validation"]
    assert load["submissions"] == 10
    assert load["triples"] > 10 * 1000  # about 1,300 quads per generated submission
    assert load["store_bytes"] > 0 and load["triples_per_s"] > 0
    for key in ("one_submission_s", "hundred_submissions_s", "growth_ratio"):
        assert validation[key] > 0, key
    assert report["peak_rss_mb"] > 0


def test_endpoint_load_test_ran(report):
    endpoint = report["endpoint"]
    assert "skipped" not in endpoint, endpoint.get("skipped")
    for query in ("kpi_lookup", "taxonomy_filter", "category_scores"):
        assert set(endpoint[query]) >= {"rps", "p50_ms", "p99_ms"}, query
        assert endpoint[query]["errors"] == 0, endpoint[query]
    assert endpoint["native_lookup_rps"] > 0
