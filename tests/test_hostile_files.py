"""Hostile and mistaken submission files (tests/hostile/): refused in one line, no connection opened, store unchanged."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import ROOT, run_cli

CASES = sorted(p.name for p in (ROOT / "tests" / "hostile").iterdir() if p.name != "README.md")


class Listener:
    """A loopback TCP listener that counts the connections it accepts (a file must make none)."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.socket.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("hostile") / "store")
    run_cli("build", "--store", path)
    return path


def instance(name: str, listener: Listener, directory: Path) -> Path:
    """The case file with the listener's port in place of {PORT}."""
    text = (ROOT / "tests" / "hostile" / name).read_text(encoding="utf-8")
    path = directory / name
    path.write_text(text.replace("{PORT}", str(listener.port)), encoding="utf-8")
    return path


def refused_in_one_line(proc, path: Path) -> None:
    assert proc.returncode in (1, 2), proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    message = proc.stderr.strip().splitlines()
    assert len(message) == 1 and str(path) in message[0], proc.stderr


@pytest.mark.parametrize("name", CASES)
def test_validate_refuses_in_one_line_without_a_connection(name, listener, built, tmp_path):
    path = instance(name, listener, tmp_path)
    proc = run_cli("validate", str(path), "--city", "alesund", "--round", "2020-06", "--store", built, check=False)
    refused_in_one_line(proc, path)
    assert listener.connections == 0


@pytest.mark.parametrize("name", CASES)
def test_import_refuses_and_the_store_is_byte_identical(name, listener, built, tmp_path):
    before = run_cli("export", "--store", built).stdout
    path = instance(name, listener, tmp_path)
    proc = run_cli("import", str(path), "--city", "alesund", "--round", "2020-06", "--store", built, check=False)
    refused_in_one_line(proc, path)
    assert listener.connections == 0
    assert run_cli("export", "--store", built).stdout == before


def test_the_blank_template_does_not_wipe_a_round(built, tmp_path):
    """Importing the template with nothing filled in used to replace Ålesund's round by an empty one."""
    before = run_cli("export", "--store", built).stdout
    blank = tmp_path / "blank.csv"
    run_cli("template", "--out", str(blank))
    proc = run_cli("import", str(blank), "--city", "alesund", "--round", "2020-06", "--store", built, check=False)
    refused_in_one_line(proc, blank)
    assert "no submission item" in proc.stderr
    assert run_cli("export", "--store", built).stdout == before


@pytest.mark.parametrize("name", ["remote-context.jsonld", "external-entity.rdf"])
def test_taxonomy_files_are_read_as_safely(name, listener, built, tmp_path):
    path = instance(name, listener, tmp_path)
    proc = run_cli("taxonomy", "validate", str(path), "--store", built, check=False)
    refused_in_one_line(proc, path)
    assert listener.connections == 0
