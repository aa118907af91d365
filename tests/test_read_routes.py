"""Every read route as clients meet it: HEAD, CORS, XHTML browsers, errors in the client's type, the IRIs the
catalogue mints, and a walk over every registry IRI in the store, dereferenced on a real `kpi-registry serve`."""

from __future__ import annotations

import threading
from urllib.parse import urljoin

import pytest
import requests
from rdflib import Graph, URIRef

from registry.config import Settings
from registry.publication.release import render_release
from registry.server import create_app
from registry.server import catalog as catalog_module
from registry.store import OxigraphStore, StoreConfig

from .serving import running_server, store_on_disk, wait_for

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
# One concrete URL per route of the app; a new route fails test_every_route_has_an_example until it has one.
EXAMPLES = {
    "/": "/", "/sparql": "/sparql", "/taxonomy": "/taxonomy", "/catalog": "/catalog", "/catalog.<suffix>": "/catalog.ttl",
    "/.well-known/void": "/.well-known/void", "/.well-known/void.<suffix>": "/.well-known/void.ttl",
    "/release/<path:name>": "/release/catalog.ttl", "/static/<path:filename>": "/static/registry.css",
    "/validate": "/validate", "/validate/template.csv": "/validate/template.csv",
    "/validate/template.xlsx": "/validate/template.xlsx", "/rules": "/rules",
    "/<path:path>": "/def/kpi/EC-ICT-ICT-1C",
}
HTML_ROUTES = ["/", "/sparql", "/taxonomy", "/catalog", "/.well-known/void", "/def/kpi/EC-ICT-ICT-1C", "/validate", "/rules"]
MINTED_BY_CATALOG = ["/data/catalog", "/data/dataset/catalogue", "/id/agent/u4ssc-kpi-registry", "/data/service/sparql"]


@pytest.fixture(scope="module")
def server(tmp_path_factory, staged):
    store = store_on_disk(tmp_path_factory.mktemp("read-routes") / "store", staged)
    with running_server(store, "--workers", "1") as url:
        requests.get(url + "/catalog", timeout=300)  # the worker's first release: until then its IRIs are unknown
        yield url


def test_every_route_has_an_example(store):
    rules = {rule.rule for rule in create_app(Settings(StoreConfig(None)), store=store).url_map.iter_rules()}
    assert rules == set(EXAMPLES)


@pytest.mark.parametrize("path", sorted(EXAMPLES.values()))
def test_every_route_answers_head_as_its_get(server, path):
    """RFC 9110 §9.3.2: HEAD is GET without the content: same status and type, no body."""
    get, head = requests.get(server + path, timeout=60), requests.head(server + path, timeout=60)
    assert get.status_code == head.status_code == 200, (get.status_code, head.status_code)
    assert head.headers["Content-Type"] == get.headers["Content-Type"] and head.content == b""


@pytest.mark.parametrize("path", sorted(EXAMPLES.values()))
def test_every_read_route_sends_cors(server, path):
    response = requests.get(server + path, headers={"Origin": "https://app.example"}, timeout=60)
    assert response.status_code == 200 and response.headers.get("Access-Control-Allow-Origin") == "*"


@pytest.mark.parametrize("path", HTML_ROUTES)
def test_an_xhtml_browser_gets_the_html_page(server, path):
    response = requests.get(server + path, headers={"Accept": "application/xhtml+xml"}, timeout=60)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(("accept", "media_type"), [
    ("application/json", "application/json"), ("application/sparql-results+json", "application/json"),
    (BROWSER, "text/html"), ("*/*", "text/plain"), ("text/turtle", "text/plain"),
])
@pytest.mark.parametrize("path", ["/sparql", "/taxonomy", "/catalog", "/def/kpi/EC-ICT-ICT-1C"])
def test_a_405_comes_in_a_type_the_client_reads(server, path, accept, media_type):
    response = requests.delete(server + path, headers={"Accept": accept}, timeout=60)
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    assert response.headers["Content-Type"].split(";")[0] == media_type
    if media_type == "application/json":
        assert response.json()["status"] == 405


def test_a_406_comes_in_json_to_a_json_client(server):
    response = requests.get(server + "/catalog", headers={"Accept": "application/json"}, timeout=60)
    assert response.status_code == 406 and "text/turtle" in response.json()["error"]


@pytest.mark.parametrize("path", MINTED_BY_CATALOG)
def test_iris_the_catalogue_mints_dereference_to_the_document_describing_them(server, path):
    response = requests.get(server + path, headers={"Accept": "text/turtle"}, timeout=60)
    assert response.status_code == 200 and response.history[0].status_code == 303
    described = Graph().parse(data=response.content, format="turtle")
    assert (URIRef("https://w3id.org/u4ssc-registry" + path), None, None) in described


def test_the_release_files_are_served_at_their_download_urls(server):
    catalog = Graph().parse(data=requests.get(server + "/catalog.ttl", timeout=60).content, format="turtle")
    urls = sorted({str(o) for o in catalog.objects(None, URIRef("http://www.w3.org/ns/dcat#downloadURL"))})
    assert len(urls) > 30
    for url in urls:
        response = requests.get(server + "/" + url.removeprefix("https://w3id.org/u4ssc-registry/"), timeout=60)
        assert response.status_code == 200 and response.content, url


def test_every_registry_iri_dereferences(server, staged, iris, tmp_path):
    """Every IRI under the base IRI in the store (subject or object) and in the catalogue and VoID documents,
    its fragment aside (RFC 3986 §3.5), answers 200 after redirects: none is a 404."""
    store = OxigraphStore()
    store.replace_graphs(staged)
    rows = store.select(f"""SELECT DISTINCT ?x WHERE {{ {{ GRAPH ?g {{ ?x ?p ?o }} }} UNION {{ GRAPH ?g {{ ?s ?p ?x }} }}
                            FILTER(isIRI(?x) && STRSTARTS(STR(?x), "{iris.base}")) }}""")
    documents = Graph()
    for path in ("/catalog.ttl", "/.well-known/void.ttl"):
        documents.parse(data=requests.get(server + path, timeout=60).content, format="turtle")
    minted = {str(t) for triple in documents for t in triple if isinstance(t, URIRef) and str(t).startswith(iris.base)}
    paths = sorted({iri.split("#")[0][len(iris.base):] for iri in {str(r["x"]) for r in rows} | minted})
    assert len(paths) > 1500
    with requests.Session() as session:
        missing = [p for p in paths if session.get(f"{server}/{p}", timeout=60).status_code != 200]
    assert missing == []


def test_catalog_after_a_write_does_not_wait_for_the_new_release(tmp_path, staged, iris, monkeypatch):
    """A write starts the new release rendering in the background; a reader meanwhile gets the previous one
    at once, and the new one as soon as it is done. The rendering is held on an event, so a reader that
    waited for it would never be answered."""
    path = store_on_disk(tmp_path / "store", staged)
    store = OxigraphStore(path)
    gate, renders = threading.Event(), []

    def render(store, iris):  # as catalog._render_aside, in this process, held on `gate` after the first
        renders.append(store)
        if len(renders) > 1:
            gate.wait()
        return render_release(store, iris)

    monkeypatch.setattr(catalog_module, "_render_aside", render)
    app = create_app(Settings(StoreConfig(path)), store=store, recheck_interval=0, query_processes=1)
    client = app.test_client()
    before = client.get("/catalog.ttl").data  # the worker's first reader: nothing older, it waits
    store.update(f"INSERT DATA {{ GRAPH <{iris.g_catalogue}> {{ <urn:x:new> <urn:x:p> 1 }} }}")
    answered: list[bytes] = []
    reader = threading.Thread(target=lambda: answered.append(client.get("/catalog.ttl").data), daemon=True)
    reader.start()
    wait_for(lambda: bool(answered) or not reader.is_alive())
    assert answered == [before] and len(renders) == 2 and not gate.is_set()
    gate.set()
    after = render_release(store, iris, urljoin(iris.base, "release/")).files["catalog.ttl"]
    assert after != before
    wait_for(lambda: client.get("/catalog.ttl").data == after)
    store.close()
