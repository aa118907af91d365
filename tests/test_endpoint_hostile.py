"""The endpoint cannot be turned against anyone (issue 15): hostile requests to a real `serve`, and a loopback
listener that counts the connections they cause. It must count none."""

from __future__ import annotations

import os
import socket
import threading

import pytest
import requests
from rdflib import URIRef

from registry.config import Settings
from registry.submissions.ingest import Context, import_submission
from registry.server import create_app
from registry.server.executor import QUERY_NICENESS, Gate, QueryBusy
from registry.server.outbound import isolate, reaches_out
from registry.store import StoreConfig

from .serving import processes_in_group, start_server, stop_server, store_on_disk, wait_for
from .test_hostile_files import Listener

TOKEN = "hostile-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

# Ways of writing SERVICE that a keyword search on the text got wrong, or might: {URL} is the listener.
SERVICE_QUERIES = [
    "SELECT ?x WHERE { SERVICE <{URL}> { ?x ?p ?y } }",
    "SELECT ?x WHERE { BIND(1 AS ?a) .SERVICE <{URL}> { ?x ?p ?y } }",
    "SELECT ?x WHERE { ?a ?b ?c .SERVICE SILENT <{URL}> { ?x ?p ?y } }",
    "SELECT ?x WHERE {SERVICE<{URL}>{?x ?p ?y}}",
    "SELECT ?x WHERE { sErViCe <{URL}> { ?x ?p ?y } }",
    "SELECT ?x WHERE { \\u0053ERVICE <{URL}> { ?x ?p ?y } }",
    "SELECT ?x WHERE { SERVIC\\u0045 <{URL}> { ?x ?p ?y } }",
    "SELECT ?x WHERE { #comment\nSERVICE <{URL}> { ?x ?p ?y } }",
    "SELECT ?x WHERE { {} UNION { SERVICE <{URL}> { ?x ?p ?y } } }",
    "SELECT ?x WHERE { OPTIONAL { SERVICE <{URL}> { ?x ?p ?y } } }",
    "SELECT ?x WHERE { FILTER EXISTS { SERVICE <{URL}> { ?x ?p ?y } } }",
    "SELECT ?x WHERE { { SELECT ?x WHERE { SERVICE <{URL}> { ?x ?p ?y } } } }",
    "PREFIX e: <{URL}> SELECT ?x WHERE { SERVICE e: { ?x ?p ?y } }",
    "BASE <{URL}> SELECT ?x WHERE { SERVICE <> { ?x ?p ?y } }",
    "SELECT ?x WHERE { BIND(<{URL}> AS ?s) SERVICE ?s { ?x ?p ?y } }",
    "ASK { SERVICE <{URL}> { ?x ?p ?y } }",
    "CONSTRUCT { ?x ?p ?y } WHERE { SERVICE <{URL}> { ?x ?p ?y } }",
    "DESCRIBE ?x WHERE { SERVICE <{URL}> { ?x ?p ?y } }",
]
LOAD_UPDATES = [
    "LOAD <{URL}>",
    "LOAD SILENT <{URL}> INTO GRAPH <urn:x:g>",
    "load <{URL}>",
    "INSERT DATA { <urn:x:a> <urn:x:b> 1 } ;LOAD <{URL}>",
    "CLEAR SILENT GRAPH <urn:x:g> ;\n# comment\nLOAD <{URL}>",
    "\\u004cOAD <{URL}>",
    "INSERT { ?x ?p ?y } WHERE { SERVICE <{URL}> { ?x ?p ?y } }",
]
# Not federation: the words as data, which must not be refused.
HARMLESS = ['SELECT * WHERE { ?s ?p "SERVICE" } LIMIT 1', "PREFIX e: <urn:x:> SELECT * WHERE { ?s e:SERVICE ?o }",
            "SELECT (STR('LOAD') AS ?x) WHERE {}"]


@pytest.fixture(scope="module")
def listener():
    server = Listener()
    yield server
    server.socket.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory, staged):
    """A real serve that accepts updates with a token: the most a client could be given."""
    store = store_on_disk(tmp_path_factory.mktemp("hostile-endpoint") / "store", staged)
    proc, url = start_server(store, "--allow-update", "--query-memory", "1024", "--query-timeout", "60",
                             env={"KPI_REGISTRY_UPDATE_TOKEN": TOKEN})
    yield proc, url
    stop_server(proc, group=True)


def one_line_4xx(response: requests.Response, status: int) -> None:
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert "Traceback" not in response.text


@pytest.mark.parametrize("query", SERVICE_QUERIES)
def test_service_is_refused_however_it_is_written(query, server, listener):
    _, url = server
    text = query.replace("{URL}", f"http://127.0.0.1:{listener.port}/sparql")
    for response in (requests.get(url + "/sparql", params={"query": text}, timeout=30),
                     requests.post(url + "/sparql", data=text.encode(), timeout=30,
                                   headers={"Content-Type": "application/sparql-query"})):
        one_line_4xx(response, 403)
    assert listener.connections == 0


@pytest.mark.parametrize("update", LOAD_UPDATES)
@pytest.mark.parametrize("token", [True, False], ids=["token", "no-token"])
def test_load_is_refused_with_or_without_the_token(update, token, server, listener):
    _, url = server
    text = update.replace("{URL}", f"http://127.0.0.1:{listener.port}/doc.ttl")
    response = requests.post(url + "/sparql", data={"update": text}, headers=AUTH if token else {}, timeout=30)
    assert response.status_code in ((403,) if token else (401, 403)), (response.status_code, response.text[:300])
    assert listener.connections == 0


@pytest.mark.parametrize("query", HARMLESS)
def test_the_words_as_data_are_no_refusal(query, server):
    _, url = server
    assert requests.get(url + "/sparql", params={"query": query}, timeout=30).status_code == 200


def test_every_worker_and_query_process_runs_without_the_hosts_network(server):
    """Isolation by construction: whatever got past the parser check would find no network to use."""
    proc, _ = server
    ours = os.readlink("/proc/self/ns/net")
    group = processes_in_group(proc.pid)
    workers = [pid for pid, command in group.items() if "registry.cli serve" in command and pid != proc.pid]
    queries = [pid for pid, command in group.items() if "spawn_main" in command]
    assert workers and queries, group
    assert all(os.readlink(f"/proc/{pid}/ns/net") != ours for pid in workers + queries), group


def test_query_processes_yield_the_cpu_to_the_workers_that_answer_pages(server):
    """Four runaway queries on two cores took the workers' CPU with them: pages kept 43 % of their rate."""
    proc, _ = server
    group = processes_in_group(proc.pid)
    workers = [pid for pid, command in group.items() if "registry.cli serve" in command and pid != proc.pid]
    queries = [pid for pid, command in group.items() if "spawn_main" in command]
    assert workers and queries, group
    worker_nice = {os.getpriority(os.PRIO_PROCESS, pid) for pid in workers}
    assert {os.getpriority(os.PRIO_PROCESS, pid) for pid in queries} == {n + QUERY_NICENESS for n in worker_nice}


def test_an_isolated_process_cannot_connect(listener):
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            isolate()
            socket.create_connection(("127.0.0.1", listener.port), timeout=5).close()
        except OSError:
            code = 0  # refused by the kernel: the network is unreachable
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert listener.connections == 0


@pytest.mark.parametrize("text, update, found", [
    *[(q, False, "SERVICE") for q in SERVICE_QUERIES], *[(u, True, "SERVICE" if "SERVICE" in u else "LOAD") for u in LOAD_UPDATES],
    *[(q, False, None) for q in HARMLESS],
])
def test_the_parser_check_names_what_would_reach_out(text, update, found):
    assert reaches_out(text.replace("{URL}", "http://127.0.0.1:1/"), update) == found


def test_a_query_that_takes_memory_is_stopped_at_the_limit_and_the_server_answers_on(server):
    """A 1 KB query doubling a string 26 times needs gigabytes; the query process may have 1024 MiB."""
    _, url = server
    doublings = " ".join(f"BIND(CONCAT(?s{i}, ?s{i}) AS ?s{i + 1})" for i in range(26))
    query = f'SELECT (STRLEN(?s26) AS ?n) WHERE {{ BIND("xxxxxxxxxxxxxxxx" AS ?s0) {doublings} }}'
    response = requests.get(url + "/sparql", params={"query": query}, timeout=120)
    one_line_4xx(response, 503)
    assert "memory" in response.text and "1024 MiB" in response.text
    after = requests.get(url + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=60)
    assert after.status_code == 200, after.text


# -- pages that could run a script ---------------------------------------------------------

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_javascript_iri_in_results_is_text_not_a_link(server):
    _, url = server
    query = 'SELECT ?x WHERE { BIND(IRI("javascript:alert(3)") AS ?x) }'
    page = requests.get(url + "/sparql", params={"query": query}, headers={"Accept": BROWSER}, timeout=30)
    assert page.status_code == 200 and "javascript:alert(3)" in page.text
    assert 'href="javascript:' not in page.text.lower()
    assert "script-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff" and page.headers["X-Frame-Options"] == "DENY"


def test_a_javascript_source_is_refused_at_import_and_never_a_link_on_a_page(store, iris, tmp_path):
    """A submission citing a javascript: IRI as its source is refused (a source document is an http(s) IRI, issue 19);
    and an item that has one anyway (a store written by other means) shows it on its page as text."""
    ctx = Context.from_store(store, iris)
    path = tmp_path / "2020-06.ttl"
    item, source = iris.observation("alesund", "2020-06", "EC-ICT-ICT-1C"), URIRef("http://purl.org/dc/terms/source")
    graph = iris.g_submission("alesund", "2020-06")
    text = store.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    text.remove((item, source, None))
    text.add((item, source, URIRef("javascript:alert(document.cookie)")))
    text.serialize(path, format="turtle")
    refused = import_submission(store, ctx, path, "alesund", "2020-06")
    assert not refused.conforms and any("javascript:" in p.message for p in refused.problems), refused.problems
    store.update(f"DELETE {{ GRAPH <{graph}> {{ <{item}> <{source}> ?s }} }} "
                 f"INSERT {{ GRAPH <{graph}> {{ <{item}> <{source}> <javascript:alert(document.cookie)> }} }} "
                 f"WHERE {{ GRAPH <{graph}> {{ <{item}> <{source}> ?s }} }}")
    client = create_app(Settings(StoreConfig(None)), store=store).test_client()
    page = client.get("/data/observation/alesund/2020-06/EC-ICT-ICT-1C", headers={"Accept": BROWSER})
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "javascript:alert(document.cookie)" in body
    assert 'href="javascript:' not in body.lower() and "Content-Security-Policy" in page.headers


# -- cheap requests that used to cost a 500 or a query process ---------------------------------

CONTROL_PATHS = ["/def/kpi/x%01", "/def/kpi/x%00.ttl", "/id/city/%7f", "/data/observation/a%0a", "/def/%09",
                 "/id/city/1507%00", "/def/kpi/%1b[31m", "/graph/%0d%0a", "/def/kpi/x%c2%85", "/id/%20", "/data/%3c%3e"]


def query_processes(proc) -> set[int]:
    return {pid for pid, command in processes_in_group(proc.pid).items() if "spawn_main" in command}


@pytest.mark.parametrize("path", CONTROL_PATHS)
def test_a_path_no_iri_can_have_is_a_404(path, server):
    _, url = server
    response = requests.get(url + path, timeout=30)
    one_line_4xx(response, 404)


def test_cheap_malformed_requests_are_refused_before_any_query_process(server):
    proc, url = server
    before = query_processes(proc)
    nested = "ASK { FILTER(" + "(" * 100_000 + "1" + ")" * 100_000 + ") }"
    for response, status in [
        (requests.get(url + "/sparql", params={"query": "ASK {}", "default-graph-uri": "not an iri"}, timeout=30), 400),
        (requests.get(url + "/sparql", params={"query": "ASK {}", "named-graph-uri": "not an iri"}, timeout=30), 400),
        (requests.get(url + "/sparql", params={"query": "ASK {}", "named-graph-uri": "relative"}, timeout=30), 400),
        (requests.post(url + "/sparql", data=nested, headers={"Content-Type": "application/sparql-query"}, timeout=30), 400),
        (requests.post(url + "/sparql", data="a" * (17 * 2**20), headers={"Content-Type": "application/sparql-query"},
                       timeout=60), 413),
        (requests.post(url + "/sparql", data={"query": "a" * (17 * 2**20)}, timeout=60), 413),
    ]:
        one_line_4xx(response, status)
    assert query_processes(proc) == before  # none died, none was started again


def test_a_host_header_that_names_no_host_is_refused(server):
    _, url = server
    response = requests.get(url + "/sparql", headers={"Host": "bad host", "Accept": "text/turtle"}, timeout=30)
    one_line_4xx(response, 400)
    described = requests.get(url + "/sparql", headers={"Accept": "text/turtle"}, timeout=30).text
    assert "sd:endpoint <http://127.0.0.1:" in described or "endpoint> <http://127.0.0.1:" in described


@pytest.fixture(scope="module")
def narrow(tmp_path_factory, staged):
    """One worker with one query process: two slow queries fill it, one running and one queued."""
    store = store_on_disk(tmp_path_factory.mktemp("narrow") / "store", staged)
    proc, url = start_server(store, "--workers", "1", "--query-processes", "1", "--query-timeout", "20")
    yield url
    stop_server(proc, group=True)


def _ask_quietly(url: str, query: str) -> None:
    try:
        requests.get(url + "/sparql", params={"query": query}, timeout=60)
    except requests.RequestException:
        pass  # its answer does not matter: it only holds a query process


def test_a_query_that_finds_the_queue_full_is_turned_away_at_once_leaving_threads_for_pages():
    """Waiting queries used to hold every worker thread while runaway queries kept the processes busy, and
    pages waited for a thread (under attack they kept 43 % of their rate): past `queue` waiting, no wait."""
    gate = Gate(size=1, wait=60, queue=1)
    running, release, waited = threading.Event(), threading.Event(), []

    def hold() -> None:
        with gate.entered():
            running.set()
            release.wait()

    def queue_up() -> None:
        with gate.entered():
            waited.append(True)

    threading.Thread(target=hold, daemon=True).start()
    running.wait()
    second = threading.Thread(target=queue_up, daemon=True)
    second.start()
    wait_for(lambda: gate._waiting == 1)
    with pytest.raises(QueryBusy, match="1 more are waiting") as refused:
        with gate.entered():
            pass
    assert refused.value.headers["Retry-After"]
    release.set()
    second.join()
    assert waited == [True]  # the one in the queue got its turn


def test_a_full_queue_is_a_503_with_retry_after_and_pages_answer_meanwhile(narrow):
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    for _ in range(2):  # one runs, one waits
        threading.Thread(target=_ask_quietly, args=(narrow, slow), daemon=True).start()
    answers = []
    wait_for(lambda: answers.append(requests.get(narrow + "/sparql", params={"query": "ASK {}"}, timeout=60))
             or answers[-1].status_code == 503)  # until both are in: then a third is turned away at once
    one_line_4xx(answers[-1], 503)
    assert int(answers[-1].headers["Retry-After"]) >= 1
    page = requests.get(narrow + "/", headers={"Accept": BROWSER}, timeout=60)
    assert page.status_code == 200  # pages need no query process, and a thread is kept for them
