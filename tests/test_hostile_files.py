"""Hostile and mistaken submission files (tests/hostile/): refused in one line, no connection opened, store unchanged."""

from __future__ import annotations

import re
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import ROOT, run_cli

# tests/hostile/cases.tsv: each file with the city and round it is validated and imported as, and the
# reason its refusal must give (a rule id or the words of the message).
CASES = [dict(zip(("file", "city", "round", "expect"), line.split("\t")))
         for line in (ROOT / "tests" / "hostile" / "cases.tsv").read_text(encoding="utf-8").splitlines()[1:]]
IDS = [c["file"] for c in CASES]


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


def refused_in_one_line(proc, path: Path, expect: str = "") -> None:
    """Exit 1 or 2, no traceback, and one line that names the file (with its line) or the node, and why.

    A file that cannot be read (exit 2) gets that line on stderr; one that does not conform (exit 1) gets
    a report whose lines each name one rule, where and why."""
    assert proc.returncode in (1, 2), proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    if proc.returncode == 2:
        message = proc.stderr.strip().splitlines()
        assert len(message) == 1 and str(path) in message[0] and expect in message[0], proc.stderr
        return
    assert str(path) in proc.stdout.splitlines()[0], proc.stdout
    findings = [line for line in proc.stdout.splitlines() if line.lstrip().startswith("violation")]
    assert findings and all(expect in f for f in findings), proc.stdout
    assert all(re.search(rf"{re.escape(str(path))}:\d+: |https://\S+: ", f) for f in findings), proc.stdout


def check_case(case: dict[str, str], listener: Listener, store: str, directory: Path, verb: str):
    path = instance(case["file"], listener, directory)
    proc = run_cli(verb, str(path), "--city", case["city"], "--round", case["round"], "--store", store, check=False)
    return path, proc


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_validate_refuses_in_one_line_without_a_connection(case, listener, built, tmp_path):
    path, proc = check_case(case, listener, built, tmp_path, "validate")
    refused_in_one_line(proc, path, case["expect"])
    assert listener.connections == 0


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_import_refuses_and_the_store_is_byte_identical(case, listener, built, tmp_path):
    before = run_cli("export", "--store", built).stdout
    path, proc = check_case(case, listener, built, tmp_path, "import")
    assert proc.returncode in (1, 2) and "Traceback" not in proc.stderr, proc.stderr
    assert str(path) in proc.stderr and case["expect"] in proc.stdout + proc.stderr, proc.stdout + proc.stderr
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


def test_an_empty_round_replaces_a_full_one_only_when_asked(built, tmp_path):
    """--replace-with-empty is the explicit way; import then says what it replaced."""
    store = str(tmp_path / "store")
    shutil.copytree(built, store)
    blank = ROOT / "tests" / "hostile" / "all-blank.csv"
    proc = run_cli("import", str(blank), "--city", "alesund", "--round", "2020-06", "--replace-with-empty",
                   "--store", store)
    assert "replaced the round's 112 items by 0" in proc.stderr
    again = run_cli("import", str(ROOT / "data" / "cities" / "alesund" / "2020-06.csv"), "--city", "alesund",
                    "--round", "2020-06", "--store", store)
    assert "replaced the round's 0 items by 112" in again.stderr


def test_a_taxonomy_file_may_not_describe_the_catalogue(built, tmp_path):
    path = tmp_path / "Rogue.ttl"
    path.write_text('<https://w3id.org/u4ssc-registry/def/kpi/EC-ICT-ICT-1C> '
                    '<http://www.w3.org/2004/02/skos/core#prefLabel> "HACKED"@en .\n', encoding="utf-8")
    before = run_cli("export", "--store", built).stdout
    for verb in ("validate", "import"):
        proc = run_cli("taxonomy", verb, str(path), "--store", built, check=False)
        refused_in_one_line(proc, path, "MOD-1")
    assert run_cli("export", "--store", built).stdout == before


def test_a_benchmark_set_may_not_describe_the_catalogue(built, tmp_path):
    """A source_title lands on the source IRI: naming a catalogue KPI as the source would retitle it."""
    shipped = (ROOT / "data" / "benchmarks" / "international-targets.csv").read_text(encoding="utf-8").splitlines()
    row = shipped[1].replace("http://metadata.un.org/sdg/9.c", "https://w3id.org/u4ssc-registry/def/kpi/EC-ICT-ICT-1C")
    path = tmp_path / "rogue.csv"
    path.write_text("\n".join([shipped[0], row]) + "\n", encoding="utf-8")
    before = run_cli("export", "--store", built).stdout
    proc = run_cli("benchmarks", "import", str(path), "--set", "rogue", "--publisher", "Someone",
                   "--issued", "2026-01-01", "--store", built, check=False)
    assert proc.returncode == 1 and "MOD-1" in proc.stdout and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    assert run_cli("export", "--store", built).stdout == before


@pytest.mark.parametrize("name", ["remote-context.jsonld", "external-entity.rdf"])
def test_taxonomy_files_are_read_as_safely(name, listener, built, tmp_path):
    path = instance(name, listener, tmp_path)
    proc = run_cli("taxonomy", "validate", str(path), "--store", built, check=False)
    refused_in_one_line(proc, path)
    assert listener.connections == 0


def test_an_rdf_file_of_a_new_city_validates_with_its_municipality(built, tmp_path):
    """A new city's IRI is its municipality number: without it, validate cannot know the file's nodes are its own."""
    exported = tmp_path / "alesund.ttl"
    run_cli("export", "--city", "alesund", "--format", "ttl", "--out", str(exported), "--store", built)
    path = tmp_path / "2020-06.ttl"
    path.write_text(exported.read_text(encoding="utf-8").replace("/alesund/2020-06", "/bergen/2020-06")
                    .replace("/id/city/1507", "/id/city/4601"), encoding="utf-8")
    args = ("validate", str(path), "--city", "bergen", "--round", "2020-06", "--store", built)
    assert run_cli(*args, check=False).returncode == 1  # /id/city/4601 is not the city "bergen" as far as it knows
    assert run_cli(*args, "--municipality", "4601", check=False).returncode == 0
