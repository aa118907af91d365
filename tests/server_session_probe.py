"""Run only by tests/test_servers.py, as its own pytest session: holds a server until the session is stopped.

Not named test_*: the suite does not collect it; test_servers.py names one test of it on a pytest command line.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from .serving import start_server, store_on_disk


def hold(pid: int) -> None:
    """Tell the outer test which process to watch, then wait until this session is stopped."""
    target = Path(os.environ["SERVER_PROBE_PID_FILE"])
    partial = target.with_suffix(".partial")
    partial.write_text(str(pid))
    partial.rename(target)  # whole or absent: the outer test polls for it
    signal.pause()


@pytest.mark.remote
def test_holds_the_oxigraph_server(oxigraph_server):
    hold(int(oxigraph_server.env["pid"]))


def test_holds_a_registry_server(staged, tmp_path):
    proc, _ = start_server(store_on_disk(tmp_path / "store", staged), "--workers", "1", "--query-processes", "1")
    hold(proc.pid)  # gunicorn's master: its session holds the workers and query processes too
