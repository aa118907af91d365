"""The embedded store: persistence, idempotent builds, atomic graph replacement."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph, Literal, URIRef

from registry.store import OxigraphStore, Payload, StoreError
from registry.store.base import ResultTooLarge

from .conftest import run_cli

G = URIRef("https://example.org/graph/a")


def test_store_survives_restart_and_rebuild_is_idempotent(tmp_path):
    store_dir = str(tmp_path / "store")
    first = json.loads(run_cli("build", "--store", store_dir, "--format", "json").stdout)
    stats = json.loads(run_cli("stats", "--store", store_dir, "--format", "json").stdout)  # a new process
    assert stats["total_kpis"] == 91
    second = json.loads(run_cli("build", "--store", store_dir, "--format", "json").stdout)
    assert first["graphs"] == second["graphs"]
    with OxigraphStore(store_dir) as s:
        assert sum(first["graphs"].values()) == s.count()


def test_replace_graph_is_all_or_nothing():
    s = OxigraphStore()
    good = Graph()
    good.add((URIRef("https://example.org/s"), URIRef("https://example.org/p"), Literal(1)))
    s.replace_graph(G, good)
    before = s.dump()
    with pytest.raises(StoreError):
        s.replace_graphs({URIRef("https://example.org/graph/b"): good, G: Payload(b"<broken", "application/n-triples")})
    assert s.dump() == before  # neither graph changed, no staging graph left behind
    assert s.graphs() == [G]


def test_replace_graph_replaces(staged, iris):
    s = OxigraphStore()
    s.replace_graph(G, staged[iris.g_ontology])
    s.replace_graph(G, staged[iris.g_sdg])
    assert s.count(G) == len(staged[iris.g_sdg])


def test_a_result_is_stopped_as_soon_as_it_passes_the_size_limit():
    """Ten million solutions (about 2 GB of SPARQL JSON) are never written: the buffer refuses byte 100,001."""
    values = " ".join(f"VALUES ?{v} {{ 0 1 2 3 4 5 6 7 8 9 }}" for v in "abcdefg")
    store = OxigraphStore()
    with pytest.raises(ResultTooLarge):
        store.query_bytes(f"SELECT * WHERE {{ {values} }}", "application/sparql-results+json", max_bytes=100_000)
    assert store.query_bytes("SELECT * WHERE { VALUES ?a { 1 } }", "text/csv", max_bytes=100_000) == b"a\r\n1\r\n"
