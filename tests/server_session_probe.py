"""Run only by tests/test_servers.py, as its own pytest session: holds the Oxigraph server until stopped.

Not named test_*: the suite does not collect it; test_servers.py names it on a pytest command line.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest


@pytest.mark.remote
def test_holds_a_server_until_stopped(oxigraph_server):
    target = Path(os.environ["SERVER_PROBE_PID_FILE"])
    partial = target.with_suffix(".partial")
    partial.write_text(oxigraph_server.env["pid"])
    partial.rename(target)  # whole or absent: the outer test polls for it
    signal.pause()  # until the outer test stops this session
