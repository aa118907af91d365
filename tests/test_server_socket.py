"""`kpi-registry serve` over a real socket: gunicorn workers, SPARQLWrapper, raw HTTP, timeouts, freshness."""

from __future__ import annotations

import csv
import io
import os
import signal
import socket
import threading
import time

import pytest
import requests
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SKOS
from SPARQLWrapper import CSV, JSON, XML, SPARQLWrapper

from registry import sparql
from registry.store import OxigraphStore

from .conftest import run_cli
from .serving import processes_in_group, running_server, start_server, stop_server, store_on_disk, wait_for

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
LABEL = "Household Internet Access"
KPI_PATH = "/def/kpi/EC-ICT-ICT-1C"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
TOKEN = "test-token-1234"


@pytest.fixture(scope="module")
def built(tmp_path_factory, staged):
    return store_on_disk(tmp_path_factory.mktemp("served") / "store", staged)


@pytest.fixture(scope="module")
def server(built):
    with running_server(built, "--workers", "2", "--query-timeout", "2") as url:
        yield url


def lookup_query() -> str:
    return sparql.load("lookup_kpi_label").bind({"key": Literal("EC-ICT-ICT-1C")})


def wrapper(url: str, fmt: str) -> SPARQLWrapper:
    client = SPARQLWrapper(f"{url}/sparql")
    client.setQuery(lookup_query())
    client.setReturnFormat(fmt)
    return client


def test_sparqlwrapper_gets_json_xml_and_csv_for_the_same_select(server):
    as_json = wrapper(server, JSON).queryAndConvert()
    assert [b["label"]["value"] for b in as_json["results"]["bindings"]] == [LABEL]
    as_xml = wrapper(server, XML).queryAndConvert()
    assert [n.firstChild.data for n in as_xml.getElementsByTagName("literal")] == ["EC: ICT: ICT: 1C", LABEL]
    as_csv = list(csv.DictReader(io.StringIO(wrapper(server, CSV).queryAndConvert().decode())))
    assert [row["label"] for row in as_csv] == [LABEL]


@pytest.mark.parametrize("accept, media_type, fmt", [
    ("text/turtle", "text/turtle", "turtle"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("application/n-triples;q=0.9, text/turtle;q=0.8", "application/n-triples", "nt"),
])
def test_kpi_iri_by_accept(server, iris, accept, media_type, fmt):
    response = requests.get(server + KPI_PATH, headers={"Accept": accept}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == media_type
    assert response.headers["Vary"] == "Accept"
    graph = Graph().parse(data=response.content, format=fmt)
    assert (iris.kpi("EC-ICT-ICT-1C"), SKOS.prefLabel, Literal(LABEL, lang="en")) in graph


def test_kpi_iri_as_html_with_revalidation(server):
    response = requests.get(server + KPI_PATH, headers={"Accept": "text/html"}, timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert LABEL in response.text and 'href="/def/category/EC-ICT-ICT"' in response.text
    again = requests.get(server + KPI_PATH, headers={"Accept": "text/html", "If-None-Match": response.headers["ETag"]}, timeout=10)
    assert again.status_code == 304


def test_unknown_iri_404_and_unacceptable_406(server):
    assert requests.get(server + "/def/kpi/NOPE", timeout=10).status_code == 404
    assert requests.get(server + KPI_PATH, headers={"Accept": "application/pdf"}, timeout=10).status_code == 406


def test_service_description_parses_as_rdf(server):
    response = requests.get(server + "/sparql", headers={"Accept": "text/turtle"}, timeout=10)
    graph = Graph().parse(data=response.content, format="turtle")
    service = graph.value(predicate=RDF.type, object=SD.Service)
    assert graph.value(service, SD.endpoint) == URIRef(server + "/sparql")
    assert len(list(graph.objects(None, SD.resultFormat))) == 8


def test_protocol_negative_cases(server):
    url = server + "/sparql"
    assert requests.get(url, params=[("query", "ASK {}"), ("query", "ASK {}")], timeout=10).status_code == 400
    assert requests.post(url, data=b"ASK {}", headers={"Content-Type": "text/plain"}, timeout=10).status_code == 415
    assert requests.put(url, data=b"ASK {}", headers={"Content-Type": "application/sparql-query"}, timeout=10).status_code == 405
    malformed = requests.get(url, params={"query": "SELECT ?x WHERE {"}, timeout=10)
    assert malformed.status_code == 400 and "syntax" in malformed.text.lower()
    update = requests.post(url, data={"update": "CLEAR ALL"}, timeout=10)
    assert update.status_code == 403


def test_timeout_is_a_clear_error_while_other_requests_are_answered(server):
    slow: dict = {}

    def run_slow() -> None:
        started = time.monotonic()
        slow["response"] = requests.get(server + "/sparql", params={"query": SLOW}, timeout=30)
        slow["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=run_slow)
    thread.start()
    time.sleep(0.3)
    for _ in range(10):  # answered meanwhile, by the other worker and the other query processes
        fast = requests.get(server + "/sparql", params={"query": lookup_query()},
                            headers={"Accept": "application/sparql-results+json"}, timeout=5)
        assert fast.status_code == 200
        assert requests.get(server + KPI_PATH, headers={"Accept": "text/turtle"}, timeout=5).status_code == 200
    thread.join()
    assert slow["response"].status_code == 503
    assert "did not finish within" in slow["response"].text
    assert slow["seconds"] < 6
    after = requests.get(server + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=10)
    assert after.status_code == 200 and after.json()["boolean"] is True


def test_pages_follow_a_write_to_the_store(tmp_path, staged, iris):
    """Every worker sees a writer's commit through the store's generation and drops its caches."""
    store_dir = store_on_disk(tmp_path / "store", staged)
    with running_server(store_dir, "--workers", "2") as url:
        before = requests.get(url + KPI_PATH + ".nt", timeout=10)
        writer = OxigraphStore(store_dir)  # readers hold no lock: a writer may commit while they serve
        graph = Graph()
        graph.add((iris.kpi("EC-ICT-ICT-1C"), SKOS.altLabel, Literal("Internet at home", lang="en")))
        writer.load(graph, iris.graph("test"))
        writer.close()
        time.sleep(1.5)  # the generation is re-read once a second
        for _ in range(4):  # both workers
            after = requests.get(url + KPI_PATH + ".nt", headers={"If-None-Match": before.headers["ETag"]}, timeout=10)
            assert after.status_code == 200 and b"Internet at home" in after.content


def test_updates_with_the_bearer_token(tmp_path, staged):
    store_dir = store_on_disk(tmp_path / "store", staged)
    insert = 'INSERT DATA { GRAPH <https://example.org/g> { <https://example.org/s> <https://example.org/p> "o" } }'
    ask = "ASK { GRAPH <https://example.org/g> { ?s ?p ?o } }"
    with running_server(store_dir, "--allow-update", env={"KPI_REGISTRY_UPDATE_TOKEN": TOKEN}) as url:
        assert requests.post(url + "/sparql", data={"update": insert}, timeout=10).status_code == 401
        done = requests.post(url + "/sparql", data={"update": insert}, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        assert done.status_code == 204
        time.sleep(1.2)  # query processes reopen the store at the next generation
        assert requests.get(url + "/sparql", params={"query": ask}, timeout=10).json()["boolean"] is True


def test_sigterm_stops_every_worker_without_a_crash_and_leaves_no_process(built, tmp_path):
    """Workers used to inherit RocksDB's thread pool from a master that had opened the store, and died
    of SIGSEGV at exit, after `Worker exiting`; the query processes must not outlive them either."""
    log = tmp_path / "serve.log"
    proc, url = start_server(built, "--workers", "2", "--query-processes", "1", log=log)
    try:
        # Both workers have loaded the app (their signal handlers come first) once each has a query process; a
        # query that arrives while a pool is still starting its processes may start one more, hence "at least".
        wait_for(lambda: sum("spawn_main" in c for c in processes_in_group(proc.pid).values()) >= 2)
        assert requests.get(url + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=10).json()["boolean"] is True
    finally:
        code = stop_server(proc, seconds=300)  # SIGTERM to the master only, as a service manager sends it
    text = log.read_text()
    assert "was sent" not in text, text  # gunicorn's "Worker (pid:N) was sent SIGSEGV!"
    assert text.count("Worker exiting") == 2, text
    assert code == 0, text
    wait_for(lambda: not processes_in_group(proc.pid))


def test_ctrl_c_stops_the_server_without_a_traceback(built, tmp_path):
    """Ctrl-C sends SIGINT to the terminal's whole process group: query processes included (issue 17)."""
    log = tmp_path / "serve.log"
    proc, url = start_server(built, "--workers", "1", "--query-processes", "2", log=log)
    try:
        wait_for(lambda: sum("spawn_main" in c for c in processes_in_group(proc.pid).values()) >= 2)
        assert requests.get(url + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=60).status_code == 200
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=300)
    finally:
        stop_server(proc, group=True)
    text = log.read_text()
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
    wait_for(lambda: not processes_in_group(proc.pid))


def test_a_busy_port_is_one_line_and_exit_2_before_anything_starts(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = run_cli("serve", "--store", str(tmp_path / "store"), "--port", str(port), check=False)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and f"127.0.0.1:{port}" in proc.stderr, proc.stderr
    assert not (tmp_path / "store").exists()  # refused before the store was built


def test_threads_that_leave_none_for_pages_are_refused_before_anything_starts(tmp_path):
    proc = run_cli("serve", "--store", str(tmp_path / "store"), "--threads", "4", "--query-processes", "2",
                   "--port", "0", check=False)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "use at least 5 threads" in proc.stderr, proc.stderr
    assert not (tmp_path / "store").exists()
