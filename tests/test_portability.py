"""Every query in queries/ gives the same answer on the embedded store and on each real SPARQL server.

The same text runs everywhere (docs/portability.md): both backends hold the seed registry (every graph
`build` writes), and rows are compared as sets. Numbers are compared by value to 12 decimal places,
because Virtuoso computes decimals to 15 digits and Oxigraph to 18; blank nodes only by position.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.compare import to_isomorphic

from registry import sparql
from registry.namespaces import IRIs
from registry.sparql.text import query_form
from registry.store import OxigraphStore

from .remote import NAMES

IRI = IRIs()
KPI, CITY = IRI.kpi("EC-ICT-ICT-1C"), IRI.city("1507")
# Values for the parameters a query requires, and extra runs with optional ones bound.
REQUIRED = {
    "ask_resource_known": {"resource": KPI},
    "construct_graph": {"graph": IRI.g_catalogue},
    "dataset_dates": {"graph": [IRI.g_catalogue, IRI.g_sdg]},
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
RUNS = [(q.name, REQUIRED.get(q.name, {})) for q in sparql.available()] + list(OPTIONAL.items())


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
        return to_isomorphic(store.construct(text))
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


@pytest.mark.parametrize(("name", "bindings"), RUNS, ids=[f"{n}{'+' if b and n in OPTIONAL and b == OPTIONAL[n] else ''}"
                                                          for n, b in RUNS])
def test_query_gives_the_same_answer_on_the_server(seeded, embedded, name, bindings):
    expected = answer(embedded, name, bindings)
    assert expected or name.startswith(("ic_", "list_parent_child", "normalise_phase2")), "the seed should answer it"
    assert answer(seeded, name, bindings) == expected
