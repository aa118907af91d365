"""Scores and summaries as stored data (issue 22): written with what they derive from, never stale.

The check that matters: whatever wrote the store (one import, a benchmark set, a build, `import DIR`), the
derived graphs hold exactly what computing them afresh from the whole store gives.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from registry import sparql
from registry.build.seeds import build
from registry.namespaces import KPI
from registry.scoring.benchmarks import SetInfo, import_set
from registry.sparql.text import construct_as_insert, update_request
from registry.store import OxigraphStore, Store, oxigraph
from registry.submissions import derived
from registry.submissions.bulk import import_directory
from registry.submissions.ingest import Context, import_submission

from .conftest import ROOT

ALESUND = ROOT / "data" / "cities" / "alesund" / "2020-06.csv"
SET_CSV = ("data_point_id,target,unit,direction,band_low,band_high,source\n"
           "EC-ICT-ICT-1C,100,%,higher,,,http://metadata.un.org/sdg/9.c\n"
           "SC-EH-ED-1C,50,%,higher,,,http://metadata.un.org/sdg/4.1\n")


def fresh(store: Store, iris) -> dict[URIRef, Graph]:
    """Every derived graph as computing it now from the store gives."""
    return {d.graph: sum((store.construct(q) for q in d.queries), Graph())
            for d in derived.everything(iris, derived.stored_sets(store, iris))}


def assert_current(store: Store, iris) -> None:
    for graph, expected in fresh(store, iris).items():
        stored = Graph().parse(data=store.dump(graph, "application/n-triples"), format="nt")
        assert len(expected) > 0
        assert isomorphic(stored, expected), f"{graph}: stored {len(stored)} triples, computed {len(expected)}"


def corrected(tmp_path: Path) -> Path:
    """Ålesund's submission with one value changed (EC-ICT-ICT-1C, household internet access, 96 → 10 %)."""
    lines = ALESUND.read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / "alesund" / "2020-06.csv"
    path.parent.mkdir()
    changed = [line.replace(",96.00,", ",10,", 1) if line.startswith("EC-ICT-ICT-1C,") else line for line in lines]
    assert changed != lines
    path.write_text("".join(changed), encoding="utf-8")
    return path


def points(store: Store, iris, data_point: str, round_id: str = "2020-06") -> int:
    rows = store.select(sparql.load("score_datapoints"), {"submission": iris.submission("alesund", round_id),
                                                          "set": iris.benchmark_set("international-targets")})
    return next(int(r["points"]) for r in rows if str(r["dataPoint"]).endswith("/" + data_point))


def test_the_built_registry_holds_its_scores_and_summaries(store, iris):
    assert_current(store, iris)
    assert store.has_graph(iris.g_scores("international-targets")) and store.has_graph(iris.g_summaries)


def test_an_import_rewrites_its_own_scores_in_the_same_write(store, iris, tmp_path):
    before = points(store, iris, "EC-ICT-ICT-1C")
    report = import_submission(store, Context.from_store(store, iris), corrected(tmp_path), "alesund", "2020-06")
    assert report.conforms
    assert (before, points(store, iris, "EC-ICT-ICT-1C")) == (4, 1)  # 96 % of 100 % → 10 %: band 4 → band 1
    assert_current(store, iris)  # no row of the old value is left, and the roll-ups moved with it


def test_an_import_that_is_refused_leaves_the_scores_as_they_were(store, iris, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(ALESUND.read_text(encoding="utf-8").replace(",96.00,", ",abc,", 1), encoding="utf-8")
    graph = iris.g_scores("international-targets")
    before = store.dump(graph)
    assert not import_submission(store, Context.from_store(store, iris), path, "alesund", "2020-06").conforms
    assert store.dump(graph) == before


def test_an_import_that_fails_inside_the_write_leaves_everything(store, iris, tmp_path, monkeypatch):
    """The scores are part of the submission's one update: if computing them fails, nothing is written."""
    broken = ["INSERT { GRAPH <urn:x> { ?s ?p ?o } } WHERE { BIND (1 AS"]
    monkeypatch.setattr(derived, "submission_updates", lambda *args, **kwargs: broken)
    before = store.dump()
    with pytest.raises(Exception):
        import_submission(store, Context.from_store(store, iris), corrected(tmp_path), "alesund", "2020-06")
    assert store.dump() == before


def test_a_benchmark_set_scores_every_submission_in_one_write(store, iris, tmp_path):
    path = tmp_path / "targets.csv"
    path.write_text(SET_CSV, encoding="utf-8")
    info = SetInfo("test-set", "Test targets", "Test City", "2024-05-01")
    assert import_set(store, Context.from_store(store, iris), path, info).conforms
    rows = store.select(sparql.load("score_datapoints"), {"set": iris.benchmark_set("test-set")})
    assert {str(r["submission"]).split("/")[-2] for r in rows} == {"alesund", "trondheim"}
    assert_current(store, iris)


def test_a_build_on_disk_recomputes_what_an_earlier_import_derived(iris, tmp_path):
    with OxigraphStore(tmp_path / "store") as store:
        build(store, iris)
        assert import_submission(store, Context.from_store(store, iris), corrected(tmp_path), "alesund",
                                 "2021").conforms
        build(store, iris)  # every derived graph is recomputed, the imported round's too
        assert (points(store, iris, "EC-ICT-ICT-1C"), points(store, iris, "EC-ICT-ICT-1C", "2021")) == (4, 1)
        assert_current(store, iris)


def test_a_bulk_write_that_removes_large_graphs_rebuilds_the_copy_with_the_same_result(iris, tmp_path, monkeypatch):
    """Above REBUILD_ABOVE quads to remove, the copy is rebuilt from a dump instead (Oxigraph removes slowly)."""
    directory = tmp_path / "import"
    shutil.copytree(corrected(tmp_path).parent, directory / "alesund")
    results = []
    for threshold in (10**9, 0):
        monkeypatch.setattr(oxigraph, "REBUILD_ABOVE", threshold)
        path = tmp_path / f"store-{threshold}"
        with OxigraphStore(path) as store:
            build(store, iris)
            assert import_directory(store, Context.from_store(store, iris), directory, workers=1).conforms
            assert_current(store, iris)
            written = [iris.g_submission("alesund", "2020-06"),
                       *(d.graph for d in derived.everything(iris, ["international-targets"]))]
            results.append({g: sorted(store.dump(g, "application/n-triples").splitlines()) for g in written})
        assert not list(tmp_path.glob(f".{path.name}.bulk-*"))  # no copy or dump left beside it
    assert results[0] == results[1]


def test_the_score_cube_names_its_structure_and_set(store, iris):
    data_set = URIRef(str(iris.base) + "data/scores/international-targets")
    assert store.ask(f"ASK {{ <{data_set}> <http://purl.org/linked-data/cube#structure> <{KPI.scoreDsd}> ; "
                     f"<{KPI.benchmarkSet}> <{iris.benchmark_set('international-targets')}> }}")


def test_a_construct_becomes_an_insert_of_the_same_template_and_pattern():
    text = '# c { }\nPREFIX a: <urn:a#>\nCONSTRUCT { ?s a:p "}" } WHERE { ?s a:q ?o }\n'
    assert construct_as_insert(text, "urn:g") == ('# c { }\nPREFIX a: <urn:a#>\n'
                                                  'INSERT { GRAPH <urn:g> { ?s a:p "}" } } WHERE { ?s a:q ?o }\n')
    with pytest.raises(ValueError):
        construct_as_insert("SELECT * WHERE { ?s ?p ?o }", "urn:g")


def test_one_request_of_several_operations_has_its_prefixes_first():
    request = update_request(["PREFIX a: <urn:a#>\nINSERT DATA { a:s a:p a:o }",
                              "# note\nPREFIX a: <urn:a#>\nCLEAR ALL"])
    assert request == "PREFIX a: <urn:a#>\nINSERT DATA { a:s a:p a:o } ;\nCLEAR ALL"
    OxigraphStore().update(request)  # Oxigraph takes a prologue only at the start
    with pytest.raises(ValueError):
        update_request(["PREFIX a: <urn:a#>\nCLEAR ALL", "PREFIX a: <urn:b#>\nCLEAR ALL"])
