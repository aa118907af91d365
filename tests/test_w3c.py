"""The W3C's SPARQL 1.1 Protocol, Service Description and SPARQL 1.0 dataset tests, from their manifests
(tests/w3c/, see tests/w3c_runner.py), against a real `kpi-registry serve` over the registry's store.

Queries go to a read-only server, as the registry is served; the update tests (each starts with CLEAR ALL or
DROP ALL) to a second one with `--allow-update` and a token, over a store of their own. Every graph a test
declares (the Protocol tests' `ut:graphData`, the dataset queries' FROM / FROM NAMED files) is loaded under the
IRI the test names: a relative one resolved against the endpoint's URL, which is the endpoint's base IRI.
The session ends with `N of M W3C tests pass` (conftest.py).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import requests

from registry.store import OxigraphStore
from registry.store.base import Payload

from . import w3c_runner as w3c
from .serving import free_port, running_server, store_on_disk

TOKEN = "w3c-protocol-tests"
PROTOCOL = w3c.protocol_tests()
DATASET = w3c.dataset_tests()
DESCRIPTION = w3c.description_tests()
MEDIA_TYPES = {".nt": "application/n-triples", ".ttl": "text/turtle"}


def _load(store_path: Path, graphs: dict[str, Path]) -> None:
    store = OxigraphStore(store_path)
    try:
        for iri, path in graphs.items():
            store.load(Payload(path.read_bytes(), MEDIA_TYPES[path.suffix]), iri)
    finally:
        store.close()


@pytest.fixture(scope="module")
def reader(tmp_path_factory, staged):
    """The read-only endpoint over the registry's store plus every graph the query tests name."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}/sparql"
    graphs = {iri: path for test in PROTOCOL if not test.updates for iri, path in test.graph_data.items()}
    for test in DATASET:
        graphs.update(test.graphs(endpoint))
    store = store_on_disk(tmp_path_factory.mktemp("w3c-read") / "store", staged)
    _load(store, graphs)
    with running_server(store, "--workers", "1", port=port) as url:
        assert f"{url}/sparql" == endpoint
        yield endpoint


@pytest.fixture(scope="module")
def updater(tmp_path_factory, staged):
    """An endpoint that takes updates with the bearer token (its store is the tests' to wipe)."""
    store = store_on_disk(tmp_path_factory.mktemp("w3c-update") / "store", staged)
    with running_server(store, "--allow-update", env={"KPI_REGISTRY_UPDATE_TOKEN": TOKEN}) as url:
        yield f"{url}/sparql"


def test_copies_are_the_w3c_files_byte_for_byte():
    """tests/w3c/SHA256SUMS, written when the files were copied from w3c/rdf-tests, names each with its digest."""
    sums = dict(reversed(line.split("  ", 1)) for line in (w3c.W3C / "SHA256SUMS").read_text().splitlines() if line)
    ours = {w3c.W3C / "SHA256SUMS", w3c.W3C / "README.md"}
    files = sorted(str(p.relative_to(w3c.W3C)) for p in w3c.W3C.rglob("*") if p.is_file() and p not in ours)
    assert files == sorted(sums)
    for name, digest in sums.items():
        assert hashlib.sha256((w3c.W3C / name).read_bytes()).hexdigest() == digest, name


def test_manifests_hold_what_the_suites_promise():
    """34 protocol tests, 3 service-description tests, 12 dataset tests: a parsing slip cannot skip any."""
    assert (len(PROTOCOL), len(DESCRIPTION), len(DATASET)) == (34, 3, 12)
    assert all(t.requests and all(r.statuses for r in t.requests) for t in PROTOCOL)


def test_every_documented_refusal_names_a_test_and_a_clause():
    known = {t.iri for t in PROTOCOL} | {t.iri for t in DATASET} | {iri for iri, _ in DESCRIPTION}
    for iri, clause in w3c.refusals().items():
        assert iri in known, iri
        assert "§" in clause, iri


def _outcome(suite: str, iri: str, problems: list[str]) -> None:
    """Pass, or a documented refusal (which must then really be refused), else fail with the problems."""
    refused = iri in w3c.refusals()
    w3c.record(suite, iri, "refused" if refused and problems else "pass" if not problems else "fail")
    if refused:
        assert problems, f"{iri} passes: take it off docs/conformance.md's refusals"
    else:
        assert not problems, "; ".join(problems)


@pytest.mark.parametrize("test", PROTOCOL, ids=lambda t: t.iri.rsplit("#", 1)[1])
def test_protocol(test, request):
    endpoint = request.getfixturevalue("updater" if test.updates else "reader")
    problems = []
    for step in test.requests:
        problems += w3c.check_response(step, w3c.send(endpoint, step, TOKEN if test.updates else None))
        if problems:
            break
    _outcome("SPARQL 1.1 Protocol", test.iri, problems)


@pytest.mark.parametrize("test", DATASET, ids=lambda t: t.name)
def test_dataset(test, reader):
    response = requests.post(reader, data={"query": test.query.read_text(encoding="utf-8")},
                             headers={"Accept": "application/sparql-results+json"}, timeout=60)
    if response.status_code != 200:
        problems = [f"status {response.status_code}: {response.text[:200]!r}"]
    else:
        problems = [] if w3c.same_results(test.result, reader, response.content) else [f"results differ: {response.text[:500]}"]
    _outcome("SPARQL 1.0 dataset", test.iri, problems)


@pytest.mark.parametrize("test", DESCRIPTION, ids=lambda t: t[0].rsplit("#", 1)[1])
def test_service_description(test, reader):
    iri, _ = test
    _outcome("SPARQL 1.1 Service Description", iri, w3c.description_problems(iri, reader, requests.get(reader, timeout=60)))
