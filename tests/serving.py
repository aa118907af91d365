"""Running `kpi-registry serve` for tests: a real gunicorn on a free loopback port, over a store on disk."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from registry.store import OxigraphStore

from .conftest import ROOT

ASK = "ASK {}"
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_this_process() -> None:
    """preexec_fn of a server the tests start: SIGTERM (gunicorn's graceful stop) when pytest dies, however it
    dies, so a session stopped by SIGTERM, Ctrl-C or SIGKILL leaves no `kpi-registry serve` behind
    (PR_SET_PDEATHSIG, prctl(2); it survives exec). Linux only, as the suite is."""
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")


def store_on_disk(path: Path, staged) -> Path:
    """A built store in `path` (from the session's staged graphs, as `build` writes them), closed again."""
    store = OxigraphStore(path)
    store.replace_graphs(staged)
    store.close()
    return path


@contextmanager
def running_server(store: Path, *args: str, env: dict[str, str] | None = None, log: Path | None = None,
                   port: int | None = None) -> Iterator[str]:
    """Start `kpi-registry serve` on `port` (default a free one), wait until it answers, yield its URL, stop it."""
    proc, url = start_server(store, *args, env=env, log=log, port=port)
    try:
        yield url
    finally:
        stop_server(proc, group=True)


def start_server(store: Path, *args: str, env: dict[str, str] | None = None,
                 log: Path | None = None, port: int | None = None) -> tuple[subprocess.Popen, str]:
    """`kpi-registry serve` on `port` (default a free one), in a session of its own, once it answers; output to `log`."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    log = log or store.parent / f"serve-{port}.log"
    with open(log, "wb") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [sys.executable, "-m", "registry.cli", "serve", "--store", str(store), "--port", str(port), *args],
            cwd=ROOT, env={**os.environ, **(env or {})}, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=die_with_this_process,
        )
    try:
        _wait_until_answering(url, proc, str(log))
    except BaseException:
        stop_server(proc, group=True)
        raise
    return proc, url


def stop_server(proc: subprocess.Popen, group: bool = False, seconds: float = 20) -> int:
    """gunicorn's graceful stop (SIGTERM to the master, or the whole group), SIGKILL past `seconds`; the exit code."""
    if proc.poll() is None:
        (os.killpg if group else os.kill)(proc.pid, signal.SIGTERM)  # the group is ours (start_new_session)
    try:
        return proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        return proc.wait()


def processes_in_group(pgid: int) -> dict[int, str]:
    """Live processes of a process group with their command lines (Linux /proc; zombies left out)."""
    found = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            state, _, group = (proc / "stat").read_text().rsplit(")", 1)[1].split()[:3]
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError):
            continue
        if int(group) == pgid and state != "Z":
            found[int(proc.name)] = command
    return found


def wait_for(condition: Callable[[], bool], seconds: float = 300) -> None:
    """Until `condition` holds; `seconds` only stops a test that would otherwise hang (a loaded machine
    may take a minute to start a process), it is not what the test waits for."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {seconds} s")
        time.sleep(0.1)


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
