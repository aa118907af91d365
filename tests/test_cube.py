"""Data Cube integrity constraints (§11.1) on the registry's cube, and on cubes broken on purpose."""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from registry.publication.cube import check_integrity, constraints
from registry.namespaces import KPI, QB

ALESUND = "https://w3id.org/u4ssc-registry/data/observation/alesund/2020-06/"
BROKEN = URIRef("https://w3id.org/u4ssc-registry/graph/test/broken")


def failed(store) -> set[str]:
    return {f.ic for f in check_integrity(store)}


def test_every_ic_has_one_query_file():
    assert [int(q.name.split("_")[1]) for q in constraints()] == list(range(1, 22))


def test_the_registry_cube_is_well_formed(store):
    assert check_integrity(store) == []


def test_checking_never_writes_to_the_checked_store(store):
    before = store.count()
    check_integrity(store)
    assert store.count() == before


def _copy_of(store, obs: str, new: str) -> Graph:
    """Another observation with every triple of `obs` (so the same dimension values)."""
    rows = store.select(f"SELECT ?p ?o WHERE {{ <{ALESUND}{obs}> ?p ?o }}")
    g = Graph()
    for r in rows:
        g.add((URIRef(ALESUND + new), r["p"], r["o"]))
    return g


def test_an_observation_in_two_data_sets_fails_ic_1(store):
    g = Graph()
    g.add((URIRef(ALESUND + "EC-ICT-ICT-1C"), QB.dataSet, URIRef("https://example.org/another-data-set")))
    store.load(g, BROKEN)
    assert "IC-1" in failed(store)


def test_an_observation_without_a_data_set_fails_ic_1(store):
    g = Graph()
    g.add((URIRef("https://example.org/obs/orphan"), RDF.type, QB.Observation))
    store.load(g, BROKEN)
    assert "IC-1" in failed(store)


def test_two_observations_with_the_same_key_fail_ic_12_only(store):
    store.load(_copy_of(store, "EC-ICT-ICT-1C", "EC-ICT-ICT-1C-again"), BROKEN)
    assert failed(store) == {"IC-12"}


def test_different_keys_do_not_fail_ic_12(store):
    g = _copy_of(store, "EC-ICT-ICT-1C", "EC-ICT-ICT-1C-other")
    g.remove((None, KPI.dataPoint, None))
    g.add((URIRef(ALESUND + "EC-ICT-ICT-1C-other"), KPI.dataPoint,
           URIRef("https://w3id.org/u4ssc-registry/def/datapoint/EC-ICT-ICT-2C")))
    store.update(f"DELETE WHERE {{ GRAPH ?g {{ <{ALESUND}EC-ICT-ICT-2C> ?p ?o }} }}")
    store.load(g, BROKEN)
    assert "IC-12" not in failed(store)


def test_an_observation_without_its_measure_fails_ic_14(store):
    store.update(f"DELETE WHERE {{ GRAPH ?g {{ <{ALESUND}EC-ICT-ICT-1C> <{KPI.value}> ?v }} }}")
    assert "IC-14" in failed(store)


def test_a_dimension_without_a_range_fails_ic_4(store):
    g = Graph()
    g.add((URIRef("https://example.org/dim"), RDF.type, QB.DimensionProperty))
    store.load(g, BROKEN)
    assert failed(store) == {"IC-4"}


def test_a_code_outside_the_code_list_fails_ic_19(store):
    store.update(f"""DELETE {{ GRAPH ?g {{ <{ALESUND}EC-ICT-ICT-1C> <{KPI.dataPoint}> ?dp }} }}
                     INSERT {{ GRAPH ?g {{ <{ALESUND}EC-ICT-ICT-1C> <{KPI.dataPoint}> <https://example.org/not-a-code> }} }}
                     WHERE {{ GRAPH ?g {{ <{ALESUND}EC-ICT-ICT-1C> <{KPI.dataPoint}> ?dp }} }}""")
    assert "IC-19" in failed(store)


def test_normalisation_makes_qb_dimension_count_for_ic_11(store):
    """A DSD written with qb:dimension only (no qb:componentProperty) is still checked (§10.2 phase 1)."""
    g = Graph()
    spec, dim = URIRef("https://example.org/spec-extra"), URIRef("https://example.org/dim-extra")
    g.add((KPI.dsd, QB.component, spec))
    g.add((spec, QB.dimension, dim))
    g.add((dim, URIRef("http://www.w3.org/2000/01/rdf-schema#range"), XSD.string))
    store.load(g, BROKEN)
    assert failed(store) == {"IC-11"}


def test_a_graph_can_be_checked_as_well_as_a_store(store):
    g = Graph()
    g.add((URIRef("https://example.org/obs/1"), RDF.type, QB.Observation))
    g.add((URIRef("https://example.org/obs/1"), KPI.value, Literal(1)))
    assert {f.ic for f in check_integrity(g)} == {"IC-1"}
