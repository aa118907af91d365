"""A killed import leaves the store as it was or as the import would have left it, and nothing else; readers
work beside a writer (issue 14, point 5).

The kill points are spread over the duration of a complete import measured in the same run, so they
fall in parsing, validation and the write whatever the machine's speed; only the outcome is asserted.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from registry.cli.submissions import canonical_nquads
from registry.store import OxigraphStore

from .conftest import ROOT, run_cli
from .serving import running_server, store_on_disk

ALESUND = ROOT / "data" / "cities" / "alesund" / "2020-06.csv"
KILL_POINTS = 8
READERS = [("stats",), ("export",), ("summary", "--city", "alesund"),
           ("validate", str(ALESUND), "--city", "alesund", "--round", "2020-06")]


@pytest.fixture(scope="module")
def base(tmp_path_factory, staged) -> Path:
    return store_on_disk(tmp_path_factory.mktemp("crash") / "store", staged)


SYSTEM = "<https://w3id.org/u4ssc-registry/graph/system> .\n"
RUN = "<https://w3id.org/u4ssc-registry/def#ValidationRun>"


def export(store: Path) -> str:
    """The whole store as `export` writes it, read in this process: a CLI run per look cost 16 kill points
    about 80 s of the suite, and the verb itself is tested beside a writer below."""
    reader = OxigraphStore(store, read_only=True)
    try:
        return canonical_nquads(reader.dump()).decode("utf-8")
    finally:
        reader.close()


def state(store: Path) -> tuple[str, int]:
    """The store's export, with each import's validation record (its own times and id) counted, not compared."""
    lines = export(store).splitlines(keepends=True)
    return ("".join(line for line in lines if not line.endswith(SYSTEM)),
            sum(1 for line in lines if line.endswith(SYSTEM) and RUN in line))


def leftovers(store: Path) -> list[str]:
    """Store copies beside the store, and staging graphs in it."""
    copies = [p.name for p in store.parent.glob(f".{store.name}.bulk-*")]
    return copies + [line for line in export(store).splitlines() if "urn:kpi-registry:staging:" in line][:3]


def corrected(tmp_path: Path) -> Path:
    """Ålesund's submission with one value changed: importing it gives a state distinct from before."""
    path = tmp_path / "2020-06.csv"
    path.write_text(ALESUND.read_text(encoding="utf-8").replace(",96.00,", ",95.00,", 1), encoding="utf-8")
    return path


def started(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "registry.cli", *args], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def complete_run(store: Path, args: tuple[str, ...]) -> tuple[tuple[str, int], float]:
    """The state after a complete import, and how long the import took."""
    begin = time.monotonic()
    assert started(*args, "--store", str(store)).wait() == 0
    return state(store), time.monotonic() - begin


def kill_at_many_points(base: Path, tmp_path: Path, args: tuple[str, ...]) -> set[str]:
    """SIGKILL the import (its whole process group: validation workers too) at KILL_POINTS moments."""
    before = state(base)
    done = tmp_path / "done"
    shutil.copytree(base, done)
    after, seconds = complete_run(done, args)
    assert after != before
    outcomes = set()
    for n in range(KILL_POINTS):
        store = tmp_path / f"kill-{n}" / "store"
        shutil.copytree(base, store)
        proc = started(*args, "--store", str(store))
        try:
            proc.wait(timeout=seconds * (n + 1) / (KILL_POINTS + 1))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        found = state(store)
        assert found in (before, after), f"kill point {n}: the store is neither as before nor as after"
        outcomes.add("before" if found == before else "after")
        OxigraphStore(store).close()  # the next writer: it removes what a killed one left
        assert leftovers(store) == [], f"kill point {n}: {leftovers(store)}"
    return outcomes


def test_a_killed_import_leaves_the_old_state_or_the_new(base, tmp_path):
    path = corrected(tmp_path)
    kill_at_many_points(base, tmp_path, ("import", str(path), "--city", "alesund", "--round", "2020-06"))


def test_a_killed_directory_import_leaves_the_old_state_or_the_new(base, tmp_path):
    """`import DIR` writes through a copy of the store swapped in by one rename (Store.bulk_replace)."""
    directory = tmp_path / "cities"
    shutil.copytree(ROOT / "data" / "cities", directory, ignore=shutil.ignore_patterns("*.tsv", "*.md"))
    corrected(directory / "alesund")
    kill_at_many_points(base, tmp_path, ("import", str(directory), "--workers", "2"))


def test_readers_work_while_a_writer_holds_the_store(base, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(base, store)
    writer = OxigraphStore(store)  # holds the store's lock, as a running import does
    try:
        for args in READERS:
            proc = run_cli(*args, "--store", str(store), check=False)
            assert proc.returncode == 0, f"{args[0]}: {proc.stderr}"
    finally:
        writer.close()


def test_readers_work_while_serve_allows_updates(base, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(base, store)
    with running_server(store, "--allow-update", env={"KPI_REGISTRY_UPDATE_TOKEN": "t" * 32}):
        for args in READERS:
            proc = run_cli(*args, "--store", str(store), check=False)
            assert proc.returncode == 0, f"{args[0]}: {proc.stderr}"
