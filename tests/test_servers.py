"""The servers a test session starts die with it, however it is stopped (issue 17): `make test` stopped by
SIGTERM (which make passes to pytest), Ctrl-C (SIGINT to the terminal's process group) or SIGKILL leaves no
Virtuoso or Oxigraph server (their watchdog, tests/servers/common.sh) and no `kpi-registry serve` (PR_SET_PDEATHSIG,
tests/serving.py) behind. Each is tried with a session in one process and with one as `make test` runs it, where
the signal reaches pytest-xdist's controller and the server belongs to a worker process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT
from .remote import _zombie, unavailable
from .serving import processes_in_group, wait_for

PROBE = Path(__file__).with_name("server_session_probe.py")


def alive(pid: int) -> bool:
    return not _zombie(str(pid))


# How the probe session runs: in one process, or through a test worker with the Makefile's --dist.
RUNNERS = [pytest.param([], id="one-process"), pytest.param(["-n", "1", "--dist", "loadscope"], id="xdist")]


def stop_a_session_holding(probe: str, tmp_path: Path, how: signal.Signals, group: bool, runner: list[str]) -> int:
    """Run the probe test `probe` as a pytest session of its own, stop it once it holds its server; the server's pid."""
    pid_file, log = tmp_path / "server.pid", tmp_path / "session.log"
    with open(log, "wb") as out:
        session = subprocess.Popen(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "inner"),
             *runner, f"{PROBE}::{probe}"], cwd=ROOT, env={**os.environ, "SERVER_PROBE_PID_FILE": str(pid_file)},
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: pid_file.exists() or session.poll() is not None)
        if not pid_file.exists():
            unavailable("oxigraph" if "oxigraph" in probe else "kpi-registry serve",
                        f"the probe session ended first:\n{log.read_text()}")
        server = int(pid_file.read_text())
        assert alive(server)
        (os.killpg if group else os.kill)(session.pid, how)  # Ctrl-C: the terminal signals the whole group
        session.wait(timeout=300)
    finally:
        if session.poll() is None:
            os.killpg(session.pid, signal.SIGKILL)
            session.wait()
    return server


STOPS = [pytest.param(signal.SIGTERM, False, id="SIGTERM"), pytest.param(signal.SIGINT, True, id="Ctrl-C"),
         pytest.param(signal.SIGKILL, False, id="SIGKILL")]


@pytest.mark.remote
@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize(("how", "group"), STOPS)
def test_a_stopped_session_leaves_no_sparql_server_running(tmp_path, how, group, runner):
    server = stop_a_session_holding("test_holds_the_oxigraph_server", tmp_path, how, group, runner)
    wait_for(lambda: not alive(server))


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize(("how", "group"), STOPS)
def test_a_stopped_session_leaves_no_registry_server_running(tmp_path, how, group, runner):
    """gunicorn's master, its workers and their query processes: the whole session of `kpi-registry serve`."""
    master = stop_a_session_holding("test_holds_a_registry_server", tmp_path, how, group, runner)
    wait_for(lambda: not processes_in_group(master))
