"""Running `kpi-registry serve` for tests: a real gunicorn on a free loopback port, over a store on disk."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from registry.store import OxigraphStore

from .conftest import ROOT

ASK = "ASK {}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def store_on_disk(path: Path, staged) -> Path:
    """A built store in `path` (from the session's staged graphs, as `build` writes them), closed again."""
    store = OxigraphStore(path)
    store.replace_graphs(staged)
    store.close()
    return path


@contextmanager
def running_server(store: Path, *args: str, env: dict[str, str] | None = None, log: Path | None = None) -> Iterator[str]:
    """Start `kpi-registry serve` on a free port, wait until it answers, yield its URL, stop it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    out = open(log or store.parent / f"serve-{port}.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "registry.cli", "serve", "--store", str(store), "--port", str(port), *args],
        cwd=ROOT, env={**os.environ, **(env or {})}, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        _wait_until_answering(url, proc, out.name)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # gunicorn's graceful stop; the group is ours (start_new_session)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        out.close()


def _wait_until_answering(url: str, proc: subprocess.Popen, log: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"kpi-registry serve exited with {proc.returncode}:\n{Path(log).read_text()}")
        try:
            if requests.get(f"{url}/sparql", params={"query": ASK}, timeout=10).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"kpi-registry serve did not answer within {seconds} s:\n{Path(log).read_text()}")
