"""Every query in queries/ gives the same answer on the embedded store and on each real SPARQL server.

The same text runs everywhere (docs/portability.md): both backends hold the seed registry (every graph
`build` writes), and rows are compared as sets. Numbers are compared by value to 12 decimal places,
because Virtuoso computes decimals to 15 digits and Oxigraph to 18; blank nodes only by position.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import to_isomorphic

from registry import sparql
from registry.namespaces import IRIs
from registry.scoring.benchmarks import shipped_sets
from registry.sparql.text import query_form
from registry.store import OxigraphStore

from .remote import NAMES

IRI = IRIs()
KPI, CITY = IRI.kpi("EC-ICT-ICT-1C"), IRI.city("1507")
DERIVED = [*map(IRI.g_scores, sorted(shipped_sets())), IRI.g_summaries]
# Values for the parameters a query requires, and extra runs with optional ones bound.
REQUIRED = {
    "ask_resource_known": {"resource": KPI},
    "construct_graph": {"graph": IRI.g_catalogue},
    "dataset_dates": {"graph": [IRI.g_catalogue, IRI.g_sdg]},
    "delete_derived_rows": {"round": IRI.round("alesund", "2020-06"), "graph": DERIVED},
    "describe_ks_facets": {"concept": KPI},
    "describe_resource": {"resource": KPI},
    "describe_round": {"round": IRI.round("alesund", "2020-06")},
    "count_submission_items": {"submission": IRI.submission("alesund", "2020-06")},
    "export_submission": {"submission": IRI.submission("alesund", "2020-06")},
    "find_city": {"key": Literal("alesund")},
    "list_city_items": {"city": CITY},
    "list_city_submissions": {"city": CITY},
    "list_kpi_datapoints": {"kpi": KPI},
    "list_kpi_reports": {"kpi": KPI},
    "list_ontology_terms": {"ontology": URIRef("https://w3id.org/u4ssc-registry/def")},
    "list_resource_inlinks": {"resource": KPI},
    "list_resource_statements": {"resource": KPI},
    "list_rounds": {"city": CITY},
    "lookup_kpi_label": {"key": Literal("EC-ICT-ICT-1C")},
}
OPTIONAL = {
    "list_not_reported": {"city": IRI.city("5001")},
    "summary_verification": {"city": CITY, "round": IRI.round("alesund", "2020-06")},
    "score_categories": {"submission": IRI.submission("alesund", "2020-06")},
    "score_datapoints": {"city": CITY},
    "taxonomy_facets": {"item": [KPI, URIRef("http://metadata.un.org/sdg/C110601")]},
    "list_submission_items": {"submission": IRI.submission("trondheim", "2020-09")},
}
# IC-20 / IC-21 are the spec's templates (cube.py instantiates them once per hierarchy property).
TEMPLATE_PROPERTY = "<http://www.w3.org/2004/02/skos/core#broader>"
RUNS = [(q.name, REQUIRED.get(q.name, {})) for q in sparql.available() if not q.is_update] + list(OPTIONAL.items())
UPDATES = [q.name for q in sparql.available() if q.is_update]


@pytest.fixture(scope="module")
def embedded(staged):
    store = OxigraphStore()
    store.replace_graphs(staged)
    yield store
    store.close()


@pytest.fixture(scope="module", params=[pytest.param(n, marks=pytest.mark.remote) for n in NAMES])
def seeded(request, staged):
    """A real server holding the seed registry, as `build` writes it."""
    server = request.getfixturevalue(f"{request.param}_server")
    server.reset()
    store = server.store(graph_prefix=IRI.base + "graph/")
    store.replace_graphs(staged)
    yield store
    store.close()


def answer(store, name: str, bindings: dict):
    query = sparql.load(name)
    text = sparql.bind(query.text.replace("<$p>", TEMPLATE_PROPERTY), bindings, query.params, name)
    form = query_form(text)
    if form == "ASK":
        return store.ask(text)
    if form in ("CONSTRUCT", "DESCRIBE"):
        return comparable_graph(store.construct(text))
    rows = store.select(text)
    if name == "list_graphs":  # a server's own graphs (Virtuoso's virtrdf#, …) are not the registry's
        registry = set(store.graphs())
        rows = [r for r in rows if r["graph"] in registry]
    return sorted((tuple(sorted((k, comparable(v)) for k, v in row.items())) for row in rows), key=repr)


def comparable(term):
    if isinstance(term, Literal) and isinstance(term.toPython(), (Decimal, float)):
        return ("number", round(Decimal(str(term.toPython())), 12))
    if isinstance(term, BNode):
        return "_:b"
    return term


def comparable_graph(graph: Graph):
    """A constructed graph with its numbers as decimals to 12 places, so that graphs compare as rows do."""
    rounded = Graph()
    for triple in graph:
        rounded.add(tuple(Literal(c[1]) if isinstance(c := comparable(t), tuple) else t for t in triple))
    return to_isomorphic(rounded)


@pytest.mark.parametrize(("name", "bindings"), RUNS, ids=[f"{n}{'+' if b and n in OPTIONAL and b == OPTIONAL[n] else ''}"
                                                          for n, b in RUNS])
def test_query_gives_the_same_answer_on_the_server(seeded, embedded, name, bindings):
    expected = answer(embedded, name, bindings)
    assert expected or name.startswith(("ic_", "list_parent_child", "normalise_phase2")), "the seed should answer it"
    assert answer(seeded, name, bindings) == expected


@pytest.mark.parametrize("name", UPDATES)
def test_update_has_the_same_effect_on_the_server(seeded, embedded, staged, name):
    """An update's answer is what it leaves: the graphs it writes, compared after it ran on both stores
    (and put back, for the other tests)."""
    text = sparql.load(name).bind(REQUIRED[name])
    graphs = REQUIRED[name]["graph"]
    left = []
    for store in (embedded, seeded):
        before = sum(map(store.count, graphs))
        store.update(text)
        left.append({g: comparable_graph(Graph().parse(data=store.dump(g, "application/n-triples"), format="nt"))
                     for g in graphs})
        assert sum(map(store.count, graphs)) < before, f"{name} should change the seed"
        store.replace_graphs({g: staged[g] for g in graphs})
    assert left[1] == left[0]
