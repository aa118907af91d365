"""The whole registry on a real SPARQL server: the CLI, the web application, and a server lost mid-load."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import pytest
import requests
from rdflib import Graph, Literal, URIRef

from registry.config import Settings
from registry.server import create_app
from registry.store import RemoteStore, StoreError

from .conftest import ROOT, run_cli
from .remote import Server, ServerUnavailable, start, unavailable
from .serving import _wait_until_answering, die_with_this_process, free_port

ALESUND = str(ROOT / "data" / "cities" / "alesund" / "2020-06.csv")
# What a statistics bureau runs: build, check and import a submission, then ask for its summary and its scores.
STEPS = [
    ("build", "--format", "json"),
    ("validate", ALESUND, "--city", "alesund", "--format", "json"),
    ("import", ALESUND, "--city", "alesund", "--round", "2024", "--format", "json"),
    ("summary", "--city", "alesund", "--round", "2024", "--format", "json"),
    ("score", "--city", "alesund", "--round", "2024", "--format", "json"),
    ("query", "count_catalogue", "--format", "json"),
]
TAXONOMY = ["/taxonomy?goal=11&format=json", "/taxonomy?scheme=u4ssc&dimension=EN&format=json"]


def results(outputs: list[str]) -> list:
    """The JSON each step printed, without what names the store or says how long it took."""
    parsed = [json.loads(out) for out in outputs]
    for data in parsed:
        if isinstance(data, dict):
            data.pop("store", None)
            data.pop("seconds", None)
    return parsed


@pytest.fixture(scope="module")
def embedded_answers(tmp_path_factory) -> tuple[list, list]:
    """The same steps on an embedded store: what the remote one must print."""
    store = str(tmp_path_factory.mktemp("embedded") / "store")
    outputs = [run_cli(*step, "--store", store).stdout for step in STEPS]
    client = create_app(Settings.from_env(store)).test_client()
    return results(outputs), [client.get(url).get_json() for url in TAXONOMY]


@pytest.mark.remote
def test_registry_on_a_remote_store_answers_as_the_embedded_one(remote_server: Server, embedded_answers):
    outputs = [run_cli(*step, *remote_server.cli_args(), env=remote_server.cli_env()).stdout for step in STEPS]
    assert results(outputs) == embedded_answers[0]
    settings = Settings.from_env(endpoints={"endpoint": remote_server.env["query"]}, environ=remote_server.cli_env())
    client = create_app(settings).test_client()
    assert [client.get(url).get_json() for url in TAXONOMY] == embedded_answers[1]
    seed = (ROOT / "data" / "cities" / "alesund" / "2020-06.csv").read_bytes()
    checked = client.post("/validate?city=alesund&name=2020-06.csv", data=seed, content_type="text/csv",
                          headers={"Accept": "application/json"})  # its validation process connects on its own
    assert checked.status_code == 200 and checked.get_json()["conforms"] is True


@pytest.mark.remote
def test_loads_without_a_graph_store_use_insert_data_in_batches(remote_server: Server):
    """Without --gsp-endpoint the build goes through SPARQL Update (≤ 1000 triples per INSERT DATA)."""
    built = json.loads(run_cli("build", "--format", "json", *remote_server.cli_args(gsp=False),
                               env=remote_server.cli_env()).stdout)
    with remote_server.store(graph_prefix="https://w3id.org/u4ssc-registry/graph/") as store:
        assert {str(g): store.count(g) for g in store.graphs()} == built["graphs"]


@pytest.mark.remote
def test_serve_answers_from_the_remote_store(remote_server: Server, tmp_path):
    with serving(remote_server, tmp_path) as url:
        ask = requests.get(f"{url}/sparql", params={"query": "ASK { ?k a <https://w3id.org/u4ssc-registry/def#KPI> }"},
                           headers={"Accept": "application/sparql-results+json"}, timeout=30)
        assert ask.json()["boolean"] is True
        page = requests.get(f"{url}/def/kpi/EC-ICT-ICT-1C", headers={"Accept": "text/turtle"}, timeout=30)
        kpi = Graph().parse(data=page.text, format="turtle")
        assert (URIRef("https://w3id.org/u4ssc-registry/def/kpi/EC-ICT-ICT-1C"), None, None) in kpi
        description = requests.get(f"{url}/sparql", headers={"Accept": "text/turtle"}, timeout=30).text
        assert "u4ssc-registry/graph/catalogue" in description and "openlinksw" not in description
        bad = requests.get(f"{url}/sparql", params={"query": "SELECT WHERE {"}, timeout=30)
        assert bad.status_code == 400


@contextmanager
def serving(server: Server, tmp_path) -> Iterator[str]:
    """`kpi-registry serve --endpoint …` under gunicorn, two workers, on a free port."""
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "registry.cli", "serve", *server.cli_args(), "--port", str(port), "--workers", "2"],
            cwd=ROOT, env={**os.environ, **server.cli_env()}, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=die_with_this_process)
        try:
            _wait_until_answering(f"http://127.0.0.1:{port}", proc, str(log))
            yield f"http://127.0.0.1:{port}"
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


# -- a server lost in the middle of a bulk load ------------------------------------------------------------
OLD, NEW = URIRef("https://example.org/graph/old"), URIRef("https://example.org/graph/new")


def numbered(n: int, tag: str) -> Graph:
    g = Graph()
    for i in range(n):
        g.add((URIRef(f"https://example.org/{tag}/{i}"), URIRef("https://example.org/p"), Literal(i)))
    return g


@contextmanager
def killing_after(server: Server, batches: int, seen: list[int]):
    """A LoadProgress that kills the server once `batches` batches have been sent."""
    @contextmanager
    def progress(graph: str, total: int):
        def advance(n: int) -> None:
            seen.append(n)
            if len(seen) == batches:
                server.kill()
        yield advance
    yield progress


@pytest.mark.remote
@pytest.mark.parametrize(("name", "gsp"), [("oxigraph", True), ("virtuoso", True), ("virtuoso", False)],
                         ids=["oxigraph-gsp", "virtuoso-gsp", "virtuoso-insert-data"])
def test_server_killed_during_a_bulk_load_leaves_every_target_graph_as_it_was(name, gsp, tmp_path):
    try:
        server = start(name, tmp_path / name)
    except ServerUnavailable as exc:
        unavailable(name, str(exc))
    try:
        config = server.config(graph_prefix="https://example.org/graph/", retries=1, backoff=0.05)
        config = replace(config, batch_size=2000, gsp_endpoint=config.gsp_endpoint if gsp else None)
        old = numbered(500, "old")
        RemoteStore(config).replace_graph(OLD, old)
        seen: list[int] = []
        with killing_after(server, 3, seen) as progress, pytest.raises(StoreError) as failure:
            RemoteStore(config, progress=progress).replace_graphs({OLD: numbered(20_000, "big"), NEW: numbered(10, "new")})
        assert f"loading <{OLD}> failed after {sum(seen)} of 20000 triples (it was not changed)" in str(failure.value)
        assert 0 < sum(seen) < 20_000
        server.restart()
        with RemoteStore(config) as store:
            assert store.graphs() == [OLD]  # NEW absent, OLD complete: its old content, nothing of the new
            assert set(store.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{OLD}> {{ ?s ?p ?o }} }}")) == set(old)
    finally:
        server.stop()
