"""The Flask app through its test client: SPARQL 1.1 Protocol and linked data over the in-memory store."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SKOS

from registry import sparql
from registry.config import Settings
from registry.namespaces import KPI
from registry.server import create_app
from registry.store import OxigraphStore, StoreConfig

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
KPI_PATH = "/def/kpi/EC-ICT-ICT-1C"
LABEL = "Household Internet Access"
TOKEN = "s3cret-token"


def lookup_query() -> str:
    return sparql.load("lookup_kpi_label").bind({"key": Literal("EC-ICT-ICT-1C")})


def app_over(store, **options):
    return create_app(Settings(StoreConfig(None)), store=store, **options)


@pytest.fixture
def client(store):
    return app_over(store).test_client()


# -- SPARQL 1.1 Protocol ------------------------------------------------------------------------

def labels(response) -> list[str]:
    return [b["label"]["value"] for b in response.get_json(force=True)["results"]["bindings"]]


def test_get_post_form_and_post_direct_give_the_same_results(client):
    json_type = {"Accept": "application/sparql-results+json"}
    via_get = client.get("/sparql", query_string={"query": lookup_query()}, headers=json_type)
    via_form = client.post("/sparql", data={"query": lookup_query()}, headers=json_type)
    via_body = client.post("/sparql", data=lookup_query().encode(), content_type="application/sparql-query", headers=json_type)
    for response in (via_get, via_form, via_body):
        assert response.status_code == 200
        assert response.mimetype == "application/sparql-results+json"
        assert labels(response) == [LABEL]


@pytest.mark.parametrize("accept, media_type, marker", [
    ("application/sparql-results+xml", "application/sparql-results+xml", b"<sparql"),
    ("text/csv", "text/csv", b"kpi,code,label\r\nhttps://w3id.org/u4ssc-registry/def/kpi/EC-ICT-ICT-1C,EC: ICT: ICT: 1C,Household Internet Access\r\n"),
    ("text/tab-separated-values", "text/tab-separated-values", b'"Household Internet Access"@en'),
    ("application/json", "application/sparql-results+json", b'"bindings"'),
    ("*/*", "application/sparql-results+json", b'"bindings"'),
])
def test_select_results_by_accept(client, accept, media_type, marker):
    response = client.get("/sparql", query_string={"query": lookup_query()}, headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == media_type
    assert marker in response.data


def test_construct_results_as_rdf(client, iris):
    query = f"CONSTRUCT {{ ?k ?p ?o }} WHERE {{ BIND(<{iris.kpi('EC-ICT-ICT-1C')}> AS ?k) ?k ?p ?o }}"
    for accept, fmt in (("text/turtle", "turtle"), ("application/ld+json", "json-ld"), ("application/n-triples", "nt"),
                        ("application/rdf+xml", "xml")):
        response = client.post("/sparql", data={"query": query}, headers={"Accept": accept})
        assert response.status_code == 200 and response.mimetype == accept
        graph = Graph().parse(data=response.data, format=fmt)
        assert (iris.kpi("EC-ICT-ICT-1C"), SKOS.prefLabel, Literal(LABEL, lang="en")) in graph


def test_dataset_parameters_select_graphs(client, store, iris):
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    response = client.get("/sparql", query_string={"query": query, "default-graph-uri": str(iris.g_ontology)},
                          headers={"Accept": "application/sparql-results+json"})
    assert int(response.get_json(force=True)["results"]["bindings"][0]["n"]["value"]) == store.count(iris.g_ontology)
    named = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    response = client.post("/sparql", data={"query": named, "named-graph-uri": [str(iris.g_sdg), str(iris.g_catalogue)]},
                           headers={"Accept": "text/csv"})
    assert sorted(response.data.decode().split()[1:]) == sorted([str(iris.g_catalogue), str(iris.g_sdg)])


@pytest.mark.parametrize("request_args, status", [
    ({"method": "GET", "query_string": [("query", "ASK {}"), ("query", "ASK {}")]}, 400),  # Protocol §2.1.4
    ({"method": "POST", "data": {"query": "ASK {}", "update": "CLEAR ALL"}}, 400),
    ({"method": "POST", "data": b"ASK {}", "content_type": "text/plain"}, 415),
    ({"method": "PUT", "data": b"ASK {}", "content_type": "application/sparql-query"}, 405),
    ({"method": "GET", "query_string": {"query": "SELECT WHERE {"}}, 400),
    ({"method": "GET", "query_string": {"update": "CLEAR ALL"}}, 400),
    ({"method": "GET", "query_string": {"query": "ASK {}"}, "headers": {"Accept": "image/png"}}, 406),
])
def test_protocol_errors(client, request_args, status):
    response = client.open("/sparql", **request_args)
    assert response.status_code == status
    assert response.data.strip()


def test_malformed_query_gets_the_parsers_message(client):
    response = client.get("/sparql", query_string={"query": "SELECT ?x WHERE { ?x ?y }"})
    assert response.status_code == 400 and response.mimetype == "text/plain"
    assert "syntax" in response.get_data(as_text=True).lower()


def test_federation_is_refused(client):
    response = client.get("/sparql", query_string={"query": "SELECT * { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }"})
    assert response.status_code == 403 and "SERVICE" in response.get_data(as_text=True)


def test_cors_on_queries_and_preflight(client):
    assert client.get("/sparql", query_string={"query": "ASK {}"}).headers["Access-Control-Allow-Origin"] == "*"
    preflight = client.options("/sparql", headers={"Origin": "https://yasgui.example", "Access-Control-Request-Method": "POST"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]


# -- updates --------------------------------------------------------------------------------------

INSERT = 'INSERT DATA { GRAPH <https://example.org/g> { <https://example.org/s> <https://example.org/p> "o" } }'


def test_update_is_refused_on_a_read_only_endpoint(client):
    response = client.post("/sparql", data={"update": INSERT}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 403


def test_update_needs_the_bearer_token(store):
    client = app_over(store, allow_update=True, update_token=TOKEN).test_client()
    assert client.post("/sparql", data={"update": INSERT}).status_code == 401
    wrong = client.post("/sparql", data={"update": INSERT}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "invalid_token" in wrong.headers["WWW-Authenticate"]
    assert not store.has_graph(URIRef("https://example.org/g"))
    done = client.post("/sparql", data=INSERT.encode(), content_type="application/sparql-update",
                       headers={"Authorization": f"Bearer {TOKEN}"})
    assert done.status_code == 204
    assert store.has_graph(URIRef("https://example.org/g"))


def test_load_is_refused_even_with_the_token(store):
    client = app_over(store, allow_update=True, update_token=TOKEN).test_client()
    response = client.post("/sparql", data={"update": "LOAD <http://127.0.0.1:1/data.ttl>"},
                           headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 403 and "LOAD" in response.get_data(as_text=True)


# -- limits -----------------------------------------------------------------------------------------

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def test_a_query_past_the_timeout_is_stopped_and_the_next_one_answered(store):
    client = app_over(store, query_timeout=0.5).test_client()
    slow = client.get("/sparql", query_string={"query": SLOW})
    assert slow.status_code == 503 and "did not finish within" in slow.get_data(as_text=True)
    fast = client.get("/sparql", query_string={"query": lookup_query()}, headers={"Accept": "application/json"})
    assert fast.status_code == 200 and labels(fast) == [LABEL]


def test_a_result_past_the_size_limit_is_an_error_not_truncated(store):
    client = app_over(store, max_result_bytes=10_000).test_client()
    response = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }"}, headers={"Accept": "text/csv"})
    assert response.status_code == 500 and "larger than" in response.get_data(as_text=True)


# -- service description and form -------------------------------------------------------------------

def test_service_description_is_rdf(client, iris):
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    graph = Graph().parse(data=response.data, format="turtle")
    service = graph.value(predicate=RDF.type, object=SD.Service)
    assert graph.value(service, SD.endpoint) == URIRef("http://localhost/sparql")
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Update) not in graph
    assert iris.g_catalogue in set(graph.objects(None, SD.name))


def test_browsers_get_the_query_form_with_examples(client):
    response = client.get("/sparql", headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<textarea id="query" name="query"' in page
    assert all(q.name in page for q in sparql.examples())
    assert "ic_20_codes_from_hierarchy" not in page and "ic_21_codes_from_hierarchy_inverse" not in page  # templates


@pytest.mark.parametrize("example", sparql.examples(), ids=lambda q: q.name)
def test_every_example_on_the_form_runs(client, example):
    """What the form's Run button sends (the page's own hidden fields) answers 200."""
    response = client.post("/sparql", data={"query": example.text, "format": "html"}, headers={"Accept": BROWSER})
    assert response.status_code == 200, response.get_data(as_text=True)[-300:]


def test_browsers_get_results_as_a_table(client):
    response = client.post("/sparql", data={"query": lookup_query()}, headers={"Accept": BROWSER})
    page = response.get_data(as_text=True)
    assert response.mimetype == "text/html" and 'class="results"' in page and LABEL in page
    assert f'href="{KPI_PATH}"' in page  # links stay on this server


# -- linked data --------------------------------------------------------------------------------------

@pytest.mark.parametrize("accept, media_type, fmt", [
    ("text/turtle", "text/turtle", "turtle"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("application/rdf+xml", "application/rdf+xml", "xml"),
    ("text/turtle;q=0.5, application/ld+json", "application/ld+json", "json-ld"),
    ("*/*", "text/turtle", "turtle"),
])
def test_kpi_iri_dereferences_as_rdf_by_accept(client, iris, accept, media_type, fmt):
    response = client.get(KPI_PATH, headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == media_type
    assert "Accept" in response.vary
    graph = Graph().parse(data=response.data, format=fmt)
    kpi = iris.kpi("EC-ICT-ICT-1C")
    assert (kpi, SKOS.prefLabel, Literal(LABEL, lang="en")) in graph
    assert (kpi, KPI.inCategory, iris.category("EC-ICT-ICT")) in graph


@pytest.mark.parametrize("suffix, media_type", [(".ttl", "text/turtle"), (".jsonld", "application/ld+json"),
                                                (".nt", "application/n-triples")])
def test_suffix_chooses_the_format_whatever_accept_says(client, suffix, media_type):
    response = client.get(KPI_PATH + suffix, headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.mimetype == media_type


def test_kpi_page_for_people(client):
    response = client.get(KPI_PATH, headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert f"<h1><span class=\"notation\">EC: ICT: ICT: 1C</span> {LABEL}</h1>" in page
    for link in ('href="/def/category/EC-ICT-ICT"', 'href="/def/datapoint/EC-ICT-ICT-1C"',
                 'href="http://metadata.un.org/sdg/17"', 'href="https://data.norge.no/vocabulary/indicator/U4SSC/2150"',
                 'href="/id/city/1507"'):
        assert link in page
    assert 'lang="nb"' in page  # Norwegian labels of linked resources
    assert '<link rel="alternate" type="text/turtle" href="/def/kpi/EC-ICT-ICT-1C.ttl">' in page
    assert response.headers["Content-Location"] == KPI_PATH + ".html"


def test_city_page_shows_what_the_store_holds(client):
    page = client.get("/id/city/1507", headers={"Accept": BROWSER}).get_data(as_text=True)
    assert "<h1>Ålesund</h1>" in page
    assert 'href="/data/submission/alesund/2020-06"' in page
    assert 'href="/data/observation/alesund/2020-06/EC-ICT-ICT-1C"' in page and LABEL in page
    assert ">96.00</span>" in page  # Household Internet Access with the decimals Ålesund gave


def test_named_graph_dereferences_to_its_content(client, store, iris):
    response = client.get("/graph/sdg.nt")
    assert response.status_code == 200 and len(Graph().parse(data=response.data, format="nt")) == store.count(iris.g_sdg)


def test_ontology_iri_gives_the_ontology(client):
    graph = Graph().parse(data=client.get("/def", headers={"Accept": "text/turtle"}).data, format="turtle")
    assert (KPI.KPI, RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class")) in graph
    assert "Nøkkelindikator" in client.get("/def", headers={"Accept": BROWSER}).get_data(as_text=True)


def test_unknown_iri_is_404_and_unacceptable_type_406(client):
    assert client.get("/def/kpi/NO-SUCH-KPI", headers={"Accept": "text/turtle"}).status_code == 404
    assert client.get("/def/kpi/NO-SUCH-KPI", headers={"Accept": BROWSER}).status_code == 404
    assert client.get("/def/kpi/a%20b", headers={"Accept": "text/turtle"}).status_code == 404
    response = client.get(KPI_PATH, headers={"Accept": "image/png"})
    assert response.status_code == 406 and "Accept" in response.vary


def test_another_base_iri_is_served_under_this_host():
    store = OxigraphStore()
    kpi = URIRef("https://stats.example.org/kpis/def/kpi/X-1C")
    graph = Graph()
    graph.add((kpi, SKOS.prefLabel, Literal("Example KPI", lang="en")))
    store.load(graph, URIRef("https://stats.example.org/kpis/graph/catalogue"))
    client = create_app(Settings(StoreConfig(None), "https://stats.example.org/kpis/"), store=store).test_client()
    response = client.get("/def/kpi/X-1C", headers={"Accept": "application/n-triples"})
    assert response.status_code == 200 and b"<https://stats.example.org/kpis/def/kpi/X-1C>" in response.data
    assert client.get("/def/kpi/EC-ICT-ICT-1C").status_code == 404


def test_home_page_links_the_catalogue_and_cities(client):
    page = client.get("/", headers={"Accept": BROWSER}).get_data(as_text=True)
    assert 'href="/def/dimension/EC"' in page and 'href="/id/city/1507"' in page and 'href="/sparql"' in page


def test_results_json_is_valid_sparql_json(client):
    body = json.loads(client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"}).data)
    assert body["boolean"] is True


@pytest.mark.parametrize("params", [{"query": "ASK {}"}, {}], ids=["query", "service-description"])
def test_head_on_sparql_answers_as_get_without_a_body(client, params):
    """`Allow` lists HEAD, so HEAD /sparql is the GET's status and headers (RFC 9110 §9.3.2), not 415."""
    accept = {"Accept": "text/turtle" if not params else "application/sparql-results+json"}
    head = client.head("/sparql", query_string=params, headers=accept)
    get = client.get("/sparql", query_string=params, headers=accept)
    assert head.status_code == get.status_code == 200
    assert head.mimetype == get.mimetype and head.data == b""


def test_from_names_the_default_graph_on_the_endpoint(client, store, iris):
    """FROM used to be ignored (the union overrode it): the count is the graph's, and 0 for an unknown one."""
    count = "SELECT (COUNT(*) AS ?n) FROM <{}> WHERE {{ ?s ?p ?o }}"
    def n(graph) -> int:
        response = client.get("/sparql", query_string={"query": count.format(graph)},
                              headers={"Accept": "application/sparql-results+json"})
        return int(response.json["results"]["bindings"][0]["n"]["value"])
    assert n(iris.g_cities) == store.count(iris.g_cities) < store.count()
    assert n(iris.graph("no-such-graph")) == 0


def test_format_names_fit_the_query_form_or_give_way_to_accept(client):
    construct = "CONSTRUCT WHERE { ?s a <https://w3id.org/u4ssc-registry/def#KPI> } LIMIT 1"
    as_xml = client.get("/sparql", query_string={"query": construct, "format": "xml"})
    assert as_xml.status_code == 200 and as_xml.mimetype == "application/rdf+xml"  # SPARQLWrapper's RDFXML
    typed = client.get("/sparql", query_string={"query": "ASK {}", "format": "application/sparql-results+json"})
    assert typed.status_code == 200 and typed.json["boolean"] is True
    other_form = client.get("/sparql", query_string={"query": construct, "format": "csv"},
                            headers={"Accept": "text/turtle"})
    assert other_form.status_code == 200 and other_form.mimetype == "text/turtle"
    unknown = client.get("/sparql", query_string={"query": "ASK {}", "format": "yaml"})
    assert unknown.status_code == 400 and "json" in unknown.get_data(as_text=True)
