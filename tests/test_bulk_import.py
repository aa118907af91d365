"""`import DIR`: every submission validated, all stored in one step or none, on disk through a swapped copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS

from benchmarks.generate import generate
from registry import sparql
from registry.submissions.bulk import import_directory, nquads
from registry.submissions.ingest import Context, find_city
from registry.namespaces import KPI
from registry.store import OxigraphStore
from registry.tables import Refusal
from registry.scoring.summary import summary

from .conftest import run_cli


@pytest.fixture(scope="module")
def submissions(tmp_path_factory) -> Path:
    """Three generated cities × two rounds, in the layout of data/cities/."""
    out = tmp_path_factory.mktemp("bulk") / "data"
    generate(out, cities=3, rounds=2)
    return out


@pytest.fixture
def disk_store(staged, tmp_path):
    """A built registry in an on-disk store (bulk_replace swaps directories only there)."""
    store = OxigraphStore(tmp_path / "store")
    store.replace_graphs(staged)
    yield store
    store.close()


def broken_copy(submissions: Path, tmp_path: Path) -> Path:
    """The same submissions, one of them with a value outside its range (rule OBS-8)."""
    copy = tmp_path / "broken"
    shutil.copytree(submissions, copy)
    path = copy / "city-0001" / "2016.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    cells = lines[1].split(",")
    cells[6] = "150"  # Household Internet Access, a percentage
    lines[1] = ",".join(cells)
    path.write_text("".join(lines), encoding="utf-8")
    return copy


def graph(store, name: URIRef) -> Graph:
    return store.construct(sparql.load("construct_graph"), {"graph": name})


def submission_graphs(store, iris) -> set[URIRef]:
    prefix = str(iris.g_submission("x", "y")).rsplit("/", 2)[0]
    return {g for g in store.graphs() if str(g).startswith(prefix)}


def test_every_submission_is_stored_with_its_city_and_validation_record(disk_store, iris, submissions):
    before = submission_graphs(disk_store, iris)
    result = import_directory(disk_store, Context.from_store(disk_store, iris), submissions, workers=1)
    assert result.conforms and len(result.reports) == 6
    added = submission_graphs(disk_store, iris) - before
    assert added == {iris.g_submission(f"city-000{c}", str(r)) for c in range(3) for r in (2015, 2016)}
    assert disk_store.count() > 0 and result.quads > 6 * 1000
    assert graph(disk_store, iris.g_cities).value(iris.city("city-0002"), SKOS.prefLabel) == Literal("Benchmark city 2")
    assert len(set(graph(disk_store, iris.g_system).subjects(RDF.type, KPI.ValidationRun))) >= 6


def test_imported_submissions_are_summarised(disk_store, iris, submissions):
    import_directory(disk_store, Context.from_store(disk_store, iris), submissions, workers=1)
    table = summary(disk_store, iris, find_city(disk_store, "city-0001"), "2016")
    assert table["kpis"]["Total"]["total"] == 91


def test_one_failing_submission_stores_nothing(disk_store, iris, submissions, tmp_path):
    before = disk_store.dump()
    result = import_directory(disk_store, Context.from_store(disk_store, iris), broken_copy(submissions, tmp_path), workers=1)
    assert not result.conforms
    assert [(Path(r.source).parts[-2:], r.violations[0].rule) for r in result.failed] == [(("city-0001", "2016.csv"), "OBS-8")]
    assert disk_store.dump() == before


def test_importing_again_replaces_each_submission(disk_store, iris, submissions, tmp_path):
    ctx = Context.from_store(disk_store, iris)
    import_directory(disk_store, ctx, submissions, workers=1)
    items = disk_store.count(iris.g_submission("city-0000", "2015"))
    import_directory(disk_store, ctx, submissions, workers=2)
    assert disk_store.count(iris.g_submission("city-0000", "2015")) == items
    assert not list(tmp_path.glob(".store.bulk-*")), "the old store is removed after the swap"


def test_bulk_replace_in_memory_replaces_and_appends(store, iris, tmp_path):
    target, extra = iris.g_submission("somewhere", "2024"), URIRef("https://example.org/graph/extra")
    old = Graph()
    old.add((URIRef("https://example.org/old"), RDF.type, KPI.Submission))
    store.replace_graphs({target: old})
    new = Graph()
    new.add((URIRef("https://example.org/new"), RDF.type, KPI.Submission))
    path = tmp_path / "data.nq"
    path.write_bytes(nquads(new, target) + nquads(new, extra))
    store.bulk_replace(path, [target])
    assert set(graph(store, target).subjects()) == {URIRef("https://example.org/new")}
    assert store.has_graph(extra)


def test_cli_imports_a_directory_and_refuses_a_failing_one(tmp_path, submissions):
    store = str(tmp_path / "cli-store")
    refused = run_cli("import", "--store", store, str(broken_copy(submissions, tmp_path)), check=False)
    assert refused.returncode == 1 and "OBS-8" in refused.stdout and "unchanged" in refused.stderr
    done = run_cli("import", "--store", store, str(submissions), "--workers", "1", "--format", "json")
    assert '"submissions": 6' in done.stdout
    bad_flags = run_cli("import", "--store", store, str(submissions), "--city", "x", check=False)
    assert bad_flags.returncode == 2


def test_a_new_city_with_a_registered_municipality_number_stores_nothing(disk_store, iris, submissions, tmp_path):
    copy = tmp_path / "taken"
    shutil.copytree(submissions, copy)
    (copy / "cities.tsv").write_text("slug\tname\tmunicipality\ncity-0001\tCity One\t1507\n", encoding="utf-8")
    before = submission_graphs(disk_store, iris)
    with pytest.raises(Refusal, match="'alesund'"):
        import_directory(disk_store, Context.from_store(disk_store, iris), copy)
    assert submission_graphs(disk_store, iris) == before
