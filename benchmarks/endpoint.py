"""Loopback load test of the SPARQL endpoint with wrk: `kpi-registry serve`, and `oxigraph serve-read-only`
on the same store as the yardstick.

Bounded on purpose: 127.0.0.1 only, a fixed duration, a fixed number of connections. Queries are sent as
form-encoded POST (SPARQL 1.1 Protocol §2.1.2): the category-score query is too long for a GET line.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

from benchmarks.memory import group_rss_mb

ACCEPT = "application/sparql-results+json"
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}  # wrk prints durations so


def ensure_wrk() -> str | None:
    """wrk's path, installed from Debian when missing and running as root; None when it cannot be had."""
    if not shutil.which("wrk") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, check=False, capture_output=True)
    return shutil.which("wrk")


def ensure_oxigraph() -> str | None:
    """The `oxigraph` server binary beside this interpreter, pip-installed at pyoxigraph's version (same
    store format) when missing; None when it cannot be had."""
    binary = Path(sys.executable).with_name("oxigraph")
    if not binary.exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", f"oxigraph=={version('pyoxigraph')}"],
                       check=False, capture_output=True)
    return str(binary) if binary.exists() else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str, query: str) -> bool:
    request = urllib.request.Request(url, urllib.parse.urlencode({"query": query}).encode(),
                                     {"Accept": ACCEPT, "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def serving(command: list[str], url: str, probe: str, log: Path, boot_seconds: float = 120) -> Iterator[int]:
    """Run a server in its own process group until it answers `probe` at `url`; yields the group id."""
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + boot_seconds
        while not _answers(url, probe):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command[0]} did not start (see {log})")
            time.sleep(0.3)
        yield process.pid
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
            process.wait(wait)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def _milliseconds(text: str) -> float:
    if text == "inf":
        return float("inf")
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text).groups()
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> dict[str, float]:
    """Requests/s, p50 and p99 latency (ms) and failed responses from `wrk --latency` output."""
    percentile = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", output, re.MULTILINE))
    for missing in {"50", "99"} - set(percentile):  # too few requests finished within wrk's timeout
        percentile[missing] = "inf"
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    done = re.search(r"(\d+) requests in (\S+),", output)
    seconds = _milliseconds(done[2]) / 1000
    return {"rps": round(float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]), 1),
            "answered_rps": round((int(done[1]) - (int(errors[1]) if errors else 0)) / seconds, 1),
            "p50_ms": round(_milliseconds(percentile["50"]), 2), "p99_ms": round(_milliseconds(percentile["99"]), 2),
            "errors": int(errors[1]) if errors else 0,
            "socket_errors": sum(map(int, socket_errors.groups())) if socket_errors else 0}


def load(wrk: str, url: str, query: str, seconds: float, connections: int) -> dict[str, float]:
    """One fixed-duration wrk run POSTing `query` to `url` (2 threads: the machine's cores)."""
    body = urllib.parse.urlencode({"query": query})
    script = ('wrk.method = "POST"\n'
              f'wrk.body = "{body}"\n'
              'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
              f'wrk.headers["Accept"] = "{ACCEPT}"\n')
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        run = subprocess.run([wrk, "-t2", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-s", lua.name, url],
                             capture_output=True, text=True, check=True)
    return parse_wrk(run.stdout)


def _figures(command: list[str], url: str, wrk: str, queries: dict[str, str], seconds: float,
             connections: int, log: Path) -> dict[str, dict]:
    """Each query in turn against the server `command` starts, and the server's RSS after the load."""
    figures: dict[str, dict] = {}
    with serving(command, url, next(iter(queries.values())), log) as group:
        for name, query in queries.items():
            figures[name] = load(wrk, url, query, seconds, connections)
        figures["server_rss_mb"] = round(group_rss_mb(group), 1)
    return figures


def registry_figures(wrk: str, store: Path, queries: dict[str, str], seconds: float, connections: int,
                     log: Path) -> dict[str, dict]:
    """Each query against `kpi-registry serve` (its defaults: 2 workers × 2 query processes)."""
    port = free_port()
    command = [str(Path(sys.executable).with_name("kpi-registry")), "serve", "--store", str(store),
               "--host", "127.0.0.1", "--port", str(port)]
    return _figures(command, f"http://127.0.0.1:{port}/sparql", wrk, queries, seconds, connections, log)


def native_figures(wrk: str, oxigraph: str, store: Path, queries: dict[str, str], seconds: float,
                   connections: int, log: Path) -> dict[str, dict]:
    """The same queries against `oxigraph serve-read-only --union-default-graph` on the same store."""
    port = free_port()
    command = [oxigraph, "serve-read-only", "--location", str(store), "--bind", f"127.0.0.1:{port}",
               "--union-default-graph"]
    return _figures(command, f"http://127.0.0.1:{port}/query", wrk, queries, seconds, connections, log)
