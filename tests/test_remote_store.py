"""The remote store without a real server: configuration, canonical terms, batching, retries, failures.

A scripted HTTP server on loopback stands in for the SPARQL server where a test needs to see or
choose exactly what goes over the wire; the real servers are in test_store_contract.py and
test_remote_registry.py.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef

from registry.config import ConfigError, Settings
from registry.store import Credentials, Payload, Policy, RemoteConfig, RemoteStore, StoreError, StoreTimeout, StoreUnavailable
from registry.store.remote import batches
from registry.store.terms import canonical_json, canonical_lexical

from .conftest import run_cli
from .serving import free_port

XSD = "http://www.w3.org/2001/XMLSchema#"
ASK_TRUE = (200, "application/sparql-results+json", b'{"head": {}, "boolean": true}')


@dataclass
class Scripted:
    """Answers requests with the scripted (status, content type, body) in turn (status 0: hang up without
    an answer, as a reset connection); records what came."""

    answers: list[tuple[int, str, bytes]]
    requests: list[dict] = field(default_factory=list)


@contextmanager
def scripted(*answers: tuple[int, str, bytes]) -> Iterator[tuple[str, Scripted]]:
    script = Scripted(list(answers))

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            script.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                    "body": self.rfile.read(length)})
            status, media_type, body = script.answers.pop(0) if script.answers else ASK_TRUE
            if status == 0:
                self.close_connection = True
                return
            self.send_response(status)
            self.send_header("Content-Type", media_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/sparql", script
    finally:
        server.shutdown()
        server.server_close()


def store_at(url: str, **changes) -> RemoteStore:
    policy = Policy(connect_timeout=2, timeout=5, retries=2, backoff=0.01)
    return RemoteStore(RemoteConfig(url, gsp_endpoint=url + "-graph", policy=policy, **changes))


# -- canonical terms ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("lexical", "datatype", "canonical"), [
    ("1", "boolean", "true"), ("0", "boolean", "false"), ("true", "boolean", "true"),
    ("96.00", "decimal", "96"), ("96.50", "decimal", "96.5"), ("-0.0", "decimal", "0"), ("1E+2", "decimal", "100"),
    ("007", "integer", "7"), ("+5", "int", "5"),
    ("100.0", "double", "100"), ("1.0E2", "double", "100"), ("1e-7", "double", "0.0000001"), ("INF", "double", "INF"),
    ("not a number", "decimal", "not a number"), ("2020-06", "gYearMonth", "2020-06"),
])
def test_numbers_and_booleans_take_the_embedded_stores_lexical_form(lexical, datatype, canonical):
    assert canonical_lexical(lexical, XSD + datatype) == canonical


def test_virtuoso_json_terms_become_standard_json_terms():
    assert canonical_json({"type": "typed-literal", "datatype": XSD + "boolean", "value": "1"}) == \
        {"type": "literal", "datatype": XSD + "boolean", "value": "true"}
    assert canonical_json({"type": "typed-literal", "datatype": XSD + "string", "value": "ø"}) == {"type": "literal", "value": "ø"}
    assert canonical_json({"type": "literal", "xml:lang": "EN-GB", "value": "x"}) == {"type": "literal", "xml:lang": "en-gb", "value": "x"}
    assert canonical_json({"type": "bnode", "value": "nodeID://b10001"}) == {"type": "bnode", "value": "b10001"}


# -- batches -----------------------------------------------------------------------------------------------
def test_batches_keep_each_blank_node_with_all_its_triples():
    data = ox.parse(b"""
        <urn:s> <urn:p> _:a . _:a <urn:p> _:b . _:b <urn:p> "1" . _:c <urn:p> "2" . _:c <urn:q> "3" .
        <urn:s> <urn:p> "4" . <urn:s> <urn:p> "5" . <urn:s> <urn:p> "6" .
        """, format=ox.RdfFormat.TURTLE)
    sent = list(batches([ox.Triple(q.subject, q.predicate, q.object) for q in data], 2))
    assert [(len(b.triples), b.ground) for b in sent] == [(2, True), (1, True), (3, False), (2, False)]


# -- configuration ---------------------------------------------------------------------------------------
ENDPOINT = {"endpoint": "http://127.0.0.1:8890/sparql"}


def test_credentials_come_from_the_environment_and_a_private_config_file(tmp_path):
    toml = tmp_path / "store.toml"
    toml.write_text('[store]\nendpoint = "http://db:8890/sparql"\ngsp_endpoint = "http://db:8890/gsp"\n'
                    'auth = "digest"\nuser = "registry"\npassword = "from-file"\ntimeout = 30\nbatch_size = 1000\n')
    toml.chmod(0o600)
    settings = Settings.from_env(store_config=toml, environ={"KPI_REGISTRY_PASSWORD": "from-env"})
    remote = settings.store.remote
    assert (remote.endpoint, remote.gsp_endpoint, remote.batch_size, remote.policy.timeout) == \
        ("http://db:8890/sparql", "http://db:8890/gsp", 1000, 30.0)
    assert remote.credentials == Credentials("digest", "registry", "from-env")  # the environment wins over the file
    assert "from-env" not in repr(settings)
    assert remote.graph_prefix == "https://w3id.org/u4ssc-registry/graph/"
    ini = tmp_path / "store.ini"
    ini.write_text("[store]\nendpoint = http://db:8890/sparql\ntoken = secret\n")
    ini.chmod(0o600)
    assert Settings.from_env(store_config=ini, environ={}).store.remote.credentials.scheme == "bearer"


@pytest.mark.parametrize(("file", "environ", "endpoints", "store", "error"), [
    ("[store]\nendpoint = x\npassword = p\n", {}, {}, None, "others may read it"),
    ("[store]\nendpont = http://x/\n", {}, {}, None, "unknown key(s) in [store]: endpont"),
    (None, {"KPI_REGISTRY_AUTH": "kerberos"}, ENDPOINT, None, "not one of basic, digest, bearer"),
    (None, {"KPI_REGISTRY_AUTH": "digest", "KPI_REGISTRY_USER": "u"}, ENDPOINT, None, "needs a user and a password"),
    (None, {"KPI_REGISTRY_TIMEOUT": "soon"}, ENDPOINT, None, "timeout: not a number"),
    (None, {}, {"endpoint": "ftp://x"}, None, "not an http(s) URL"),
    (None, {}, ENDPOINT, "dir", "either --store DIR or --endpoint URL"),
    (None, {"KPI_REGISTRY_STORE": "dir"}, ENDPOINT, None, "KPI_REGISTRY_STORE and a SPARQL endpoint"),
    (None, {}, {"gsp_endpoint": "http://x/"}, None, "need --endpoint"),
])
def test_bad_configuration_is_refused_before_any_request(tmp_path, file, environ, endpoints, store, error):
    path = None
    if file:
        path = tmp_path / "store.ini"
        path.write_text(file)
        path.chmod(0o644)
    with pytest.raises(ConfigError, match=re.escape(error)):
        Settings.from_env(store, endpoints=endpoints, store_config=path, environ=environ)


def test_a_store_flag_wins_over_an_endpoint_in_the_environment():
    settings = Settings.from_env("dir", environ={"KPI_REGISTRY_ENDPOINT": "http://x/sparql"})
    assert settings.store.remote is None and str(settings.store.path) == "dir"


# -- retries and failures ------------------------------------------------------------------------------
def test_a_query_is_retried_after_503_and_a_reset():
    with scripted((503, "text/plain", b"busy"), (0, "", b""), ASK_TRUE) as (url, script):
        assert store_at(url).ask("ASK {}") is True
    assert len(script.requests) == 3


def test_an_update_is_not_sent_twice():
    """A lost answer to `DROP …; MOVE …` may mean it was applied: sending it again could drop the graph."""
    with scripted((503, "text/plain", b"busy")) as (url, script), pytest.raises(StoreUnavailable, match="HTTP 503"):
        store_at(url).update("CLEAR SILENT GRAPH <urn:g>")
    assert len(script.requests) == 1


def test_a_ground_batch_is_retried_but_one_with_blank_nodes_is_not():
    ground, blank = Graph(), Graph()
    ground.add((URIRef("urn:s"), URIRef("urn:p"), Literal(1)))
    blank.parse(data="<urn:s> <urn:p> [ <urn:p> 1 ] .", format="turtle")
    with scripted((503, "text/plain", b""), (204, "text/plain", b""), ASK_TRUE) as (url, script):
        store_at(url)._load(payload_of(ground), URIRef("urn:g"))
    assert [r["method"] for r in script.requests] == ["POST", "POST"]
    assert script.requests[1]["path"] == "/sparql-graph?graph=urn%3Ag"
    assert script.requests[1]["headers"]["Content-Type"] == "application/n-triples"
    with scripted((503, "text/plain", b"")) as (url, script), pytest.raises(StoreError, match="failed after 0 of 2"):
        store_at(url)._load(payload_of(blank), URIRef("urn:g"))
    assert len(script.requests) == 1


def payload_of(graph: Graph) -> Payload:
    return Payload(graph.serialize(format="nt", encoding="utf-8"))


def test_bearer_and_basic_credentials_are_sent():
    for credentials, expected in ((Credentials("bearer", token="t0ken"), "Bearer t0ken"),
                                  (Credentials("basic", "u", "p"), "Basic dTpw")):
        with scripted(ASK_TRUE) as (url, script):
            store_at(url, credentials=credentials).ask("ASK {}")
        assert script.requests[0]["headers"]["Authorization"] == expected


def test_a_read_only_store_refuses_writes_without_sending_them():
    with scripted() as (url, script):
        store = RemoteStore(RemoteConfig(url), read_only=True)
        with pytest.raises(StoreError, match="read-only"):
            store.replace_graph(URIRef("urn:g"), Graph())
    assert all(b"update=" not in r["body"] for r in script.requests)


def test_error_answers_are_one_line_store_errors():
    with scripted((400, "text/plain", b"Virtuoso 37000 Error SP030: syntax error\n\nat line 1")) as (url, _):
        with pytest.raises(StoreError, match="HTTP 400.*SP030: syntax error at line 1") as caught:
            store_at(url).select("SELEKT")
    assert isinstance(caught.value.__cause__, SyntaxError)
    with scripted((500, "text/plain", b"Virtuoso S1T00 Error SR171: Transaction timed out")) as (url, _):
        with pytest.raises(StoreTimeout, match="SR171"):
            store_at(url).select("SELECT * { ?s ?p ?o }")
    with scripted((401, "text/html", b"<h1>401</h1>")) as (url, _), pytest.raises(StoreError, match="credentials"):
        store_at(url).update("CLEAR SILENT GRAPH <urn:g>")


# -- the CLI when the server is down or silent -------------------------------------------------------------
def test_server_down_at_start_is_one_line_naming_the_url_exit_2():
    url = f"http://127.0.0.1:{free_port()}/sparql"
    proc = run_cli("stats", "--endpoint", url, check=False, env={"KPI_REGISTRY_RETRIES": "1"})
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    message = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(message) == 1 and url in message[0] and "cannot reach" in message[0], proc.stderr


def test_a_read_timeout_is_a_clear_error_without_traceback():
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/sparql"
        proc = run_cli("query", "-e", "ASK {}", "--endpoint", url, check=False, env={"KPI_REGISTRY_TIMEOUT": "1"})
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "did not answer within 1 s" in proc.stderr, proc.stderr


def test_unreadable_store_config_is_exit_2(tmp_path: Path):
    bad = tmp_path / "store.toml"
    bad.write_text("[store\n")
    proc = run_cli("stats", "--store-config", str(bad), check=False)
    assert proc.returncode == 2 and "cannot read the store configuration" in proc.stderr
