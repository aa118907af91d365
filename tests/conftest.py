"""Shared fixtures: the catalogue is parsed once per session; every test gets a fresh store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rdflib import Graph

from registry.build.seeds import stage
from registry.scoring.benchmarks import shipped_sets
from registry.submissions import derived
from registry.submissions.bulk import replace_and_derive
from registry.namespaces import IRIs
from registry.store import OxigraphStore

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def iris() -> IRIs:
    return IRIs()


@pytest.fixture(scope="session")
def staged(iris):
    """Every graph `build` writes, parsed, inferred and scored once for the whole session."""
    graphs = stage(iris)
    derive = derived.everything(iris, sorted(shipped_sets()))
    with OxigraphStore() as scratch:
        replace_and_derive(scratch, graphs, derive)
        for d in derive:
            graphs[d.graph] = Graph().parse(data=scratch.dump(d.graph, "application/n-triples"), format="nt")
    return graphs


@pytest.fixture
def store(staged):
    """A fresh in-memory store holding the built registry."""
    s = OxigraphStore()
    s.replace_graphs(staged)
    yield s
    s.close()


def run_cli(*args: str, cwd: Path | None = None, check: bool = True, input: str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `kpi-registry` in its own process, as a user would (`env`: extra environment variables)."""
    env = {**os.environ, "COLUMNS": "200", **(env or {})}
    env.pop("KPI_REGISTRY_STORE", None)
    proc = subprocess.run(
        [sys.executable, "-m", "registry.cli", *args], cwd=cwd or ROOT, env=env,
        capture_output=True, text=True, input=input,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"kpi-registry {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
    return proc


# Real SPARQL servers (tests/servers/) and the store fixture over every backend.
from .remote import any_store, oxigraph_server, remote_server, virtuoso_server  # noqa: E402, F401


def pytest_sessionfinish(session) -> None:
    """A test worker (pytest-xdist) hands its W3C outcomes to the controller, which prints the summary."""
    from . import w3c_runner

    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["w3c"] = w3c_runner.OUTCOMES


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    from . import w3c_runner

    for suite, outcomes in getattr(node, "workeroutput", {}).get("w3c", {}).items():
        w3c_runner.OUTCOMES.setdefault(suite, {}).update(outcomes)


def pytest_terminal_summary(terminalreporter) -> None:
    """`N of M W3C tests pass` after a run that included the W3C suites (tests/test_w3c.py)."""
    from . import w3c_runner

    lines = list(w3c_runner.summary())
    if lines:
        terminalreporter.section("W3C SPARQL tests")
        for line in lines:
            terminalreporter.write_line(line)
