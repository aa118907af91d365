"""The CLI as users call it: stats, query, version, help, errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from registry.store import OxigraphStore

from .conftest import run_cli
from .test_catalogue import REPORT_TOTALS


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    store = str(tmp_path_factory.mktemp("cli") / "store")
    run_cli("build", "--store", store)
    return store


def test_stats_json_is_the_documented_shape(built):
    assert json.loads(run_cli("stats", "--store", built, "--format", "json").stdout) == REPORT_TOTALS


def test_query_expression_as_csv(built):
    out = run_cli("query", "--store", built, "--format", "csv", "-e",
                  "SELECT (COUNT(?k) AS ?n) WHERE { ?k a <https://w3id.org/u4ssc-registry/def#KPI> }").stdout
    assert out == "n\n91\n"


def test_query_by_name_from_queries_dir(built):
    rows = json.loads(run_cli("query", "count_catalogue", "--store", built, "--format", "json").stdout)
    assert sum(r["kpis"] for r in rows) == 91


def test_first_use_builds_the_store(tmp_path):
    proc = run_cli("stats", "--store", str(tmp_path / "new"), "--format", "json")
    assert json.loads(proc.stdout)["total_data_points"] == 112
    assert "building it from data/" in proc.stderr


def test_malformed_query_is_one_line_exit_2(built):
    proc = run_cli("query", "--store", built, "-e", "SELECT WHERE {", check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "syntax" in proc.stderr.lower()


def test_version_and_help():
    assert run_cli("--version").stdout.startswith("kpi-registry, version")
    for verb in ("build", "stats", "query"):
        assert "--store" in run_cli(verb, "--help").stdout


def test_output_cut_short_by_the_reader_is_not_an_error(built):
    proc = subprocess.run(f"set -o pipefail; {sys.executable} -m registry.cli export --store {built} | head -n 1",
                          shell=True, executable="/bin/bash", capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.count("\n") == 1 and proc.stderr == ""


KPI_IRI = "https://w3id.org/u4ssc-registry/def/kpi/EC-ICT-ICT-1C"


@pytest.mark.parametrize("fmt, parse_as", [(None, "turtle"), ("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")])
@pytest.mark.parametrize("form", ["CONSTRUCT", "DESCRIBE"])
def test_query_prints_construct_and_describe_as_rdf(built, form, fmt, parse_as):
    """CONSTRUCT / DESCRIBE used to end in a traceback ('QueryTriples' object has no attribute 'variables')."""
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import SKOS

    text = {"CONSTRUCT": f"CONSTRUCT {{ <{KPI_IRI}> ?p ?o }} WHERE {{ <{KPI_IRI}> ?p ?o }}",
            "DESCRIBE": f"DESCRIBE <{KPI_IRI}>"}[form]
    proc = run_cli("query", "--store", built, "-e", text, *(("--format", fmt) if fmt else ()), check=False)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    graph = Graph().parse(data=proc.stdout, format=parse_as)
    assert (URIRef(KPI_IRI), SKOS.prefLabel, Literal("Household Internet Access", lang="en")) in graph


@pytest.mark.parametrize("text, fmt", [(f"DESCRIBE <{KPI_IRI}>", "csv"), ("ASK {}", "nt")])
def test_query_format_that_does_not_fit_the_form_is_one_line_exit_2(built, text, fmt):
    proc = run_cli("query", "--store", built, "-e", text, "--format", fmt, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "use one of" in proc.stderr


def test_template_needs_no_store_neither_a_locked_one_nor_a_new_one(tmp_path):
    """`template` reads only the shipped catalogue: it works while a writer holds the store, and run
    outside the project it leaves no `.store` behind (issue 17, point 6)."""
    locked = OxigraphStore(tmp_path / "held")  # this process holds RocksDB's lock for writing
    try:
        run_cli("template", "--store", str(tmp_path / "held"), "--out", str(tmp_path / "a.csv"))
    finally:
        locked.close()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run_cli("template", "--out", "b.csv", cwd=elsewhere)
    assert sorted(p.name for p in elsewhere.iterdir()) == ["b.csv", "b.csv-metadata.json"]
    assert (tmp_path / "a.csv").read_bytes() == (elsewhere / "b.csv").read_bytes()
    assert len((elsewhere / "b.csv").read_text(encoding="utf-8").splitlines()) == 113


def test_query_honours_from(built):
    """`kpi-registry query` with FROM counts that graph only (it used to count the whole union)."""
    text = "SELECT (COUNT(*) AS ?n) FROM <https://w3id.org/u4ssc-registry/graph/cities> WHERE { ?s ?p ?o }"
    from_cities = int(run_cli("query", "--store", built, "--format", "csv", "-e", text).stdout.split()[1])
    everything = int(run_cli("query", "--store", built, "--format", "csv", "-e",
                             "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").stdout.split()[1])
    assert 0 < from_cities < everything
