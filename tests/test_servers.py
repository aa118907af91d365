"""The servers a test session starts die with it, however it is stopped (issue 17): `make test` stopped by
SIGTERM (which make passes to pytest) or Ctrl-C (SIGINT to the terminal's process group) leaves none behind.
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
from .serving import wait_for

PROBE = Path(__file__).with_name("server_session_probe.py")


def alive(pid: int) -> bool:
    return not _zombie(str(pid))


@pytest.mark.remote
@pytest.mark.parametrize(("how", "group"), [(signal.SIGTERM, False), (signal.SIGINT, True), (signal.SIGKILL, False)],
                         ids=["SIGTERM", "Ctrl-C", "SIGKILL"])
def test_a_stopped_session_leaves_no_server_running(tmp_path, how, group):
    pid_file, log = tmp_path / "server.pid", tmp_path / "session.log"
    with open(log, "wb") as out:
        session = subprocess.Popen(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "inner"),
             str(PROBE)], cwd=ROOT, env={**os.environ, "SERVER_PROBE_PID_FILE": str(pid_file)},
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: pid_file.exists() or session.poll() is not None)
        if not pid_file.exists():
            unavailable("oxigraph", f"the probe session ended first:\n{log.read_text()}")
        server = int(pid_file.read_text())
        assert alive(server)
        (os.killpg if group else os.kill)(session.pid, how)
        session.wait(timeout=300)
    finally:
        if session.poll() is None:
            os.killpg(session.pid, signal.SIGKILL)
            session.wait()
    wait_for(lambda: not alive(server))
