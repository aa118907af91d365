"""Real SPARQL servers for the `remote` tests: installed and started by tests/servers/*.sh, on free loopback ports.

A server starts the first time a test asks for it and stops at the end of the session. When it cannot be
installed or started (apt-get needs root) its tests skip and say why; with CI=true they fail instead.
A session stopped before its end (SIGTERM, Ctrl-C, SIGKILL) cannot stop them itself: each server's watchdog
stops it when this process is gone (the pipe of `_watchdog_fd`, tests/servers/common.sh).
"""

from __future__ import annotations

import fcntl
import functools
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from rdflib import URIRef

from registry.store import Credentials, OxigraphStore, Policy, RemoteConfig, RemoteStore, Store

from .serving import free_port

SCRIPTS = Path(__file__).resolve().parent / "servers"
NAMES = ("oxigraph", "virtuoso")
# The `store` contract suite runs on each backend; the remote ones only where a server is up.
BACKENDS = [
    pytest.param("embedded"),
    *(pytest.param(f"remote-{name}", marks=pytest.mark.remote) for name in NAMES),
]


@dataclass
class Server:
    """One running server: its endpoints (the script's key=value lines) and what a test may do with it."""

    name: str
    directory: Path
    env: dict[str, str]
    ports: dict[str, str]
    system_graphs: set[URIRef] = field(default_factory=set)  # the engine's own, present before any test wrote

    def config(self, graph_prefix: str | None = None, **policy) -> RemoteConfig:
        scheme = self.env.get("auth")
        credentials = Credentials(scheme, self.env.get("user"), self.env.get("password")) if scheme != "none" else Credentials()
        return RemoteConfig(self.env["query"], self.env["update"], self.env["gsp"], credentials,
                            Policy(**{"timeout": 120.0, **policy}), graph_prefix=graph_prefix)

    def store(self, graph_prefix: str | None = None, **policy) -> RemoteStore:
        return RemoteStore(self.config(graph_prefix, **policy))

    def cli_args(self, gsp: bool = True) -> list[str]:
        args = ["--endpoint", self.env["query"], "--update-endpoint", self.env["update"]]
        return args + (["--gsp-endpoint", self.env["gsp"]] if gsp else [])

    def cli_env(self) -> dict[str, str]:
        """Credentials as a user passes them: in the environment."""
        if self.env.get("auth") in (None, "", "none"):
            return {}
        return {"KPI_REGISTRY_AUTH": self.env["auth"], "KPI_REGISTRY_USER": self.env["user"],
                "KPI_REGISTRY_PASSWORD": self.env["password"]}

    def reset(self) -> None:
        """Drop every graph a test wrote (the engine's own graphs stay), so the union holds nothing of ours."""
        with self.store() as store:
            for graph in set(store._all_graphs()) - self.system_graphs:
                store.clear(graph)

    def kill(self) -> None:
        """SIGKILL, as a crash or a pulled plug would stop it."""
        os.kill(int(self.env["pid"]), signal.SIGKILL)
        for _ in range(100):
            if not Path(f"/proc/{self.env['pid']}").exists() or _zombie(self.env["pid"]):
                return
            time.sleep(0.05)

    def restart(self) -> None:
        """Start it again on the same data (and ports)."""
        self.env.update(_run(self.name, "start", self.directory, self.ports))

    def stop(self) -> None:
        subprocess.run(["bash", str(SCRIPTS / f"{self.name}.sh"), "stop", str(self.directory)],
                       capture_output=True, timeout=120, check=False)


def _zombie(pid: str) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


def _ports(name: str) -> dict[str, str]:
    """Free ports, so parallel sessions (and a developer's own servers) do not collide."""
    if name == "virtuoso":
        return {"VIRTUOSO_HTTP_PORT": str(free_port()), "VIRTUOSO_SQL_PORT": str(free_port())}
    return {"OXIGRAPH_PORT": str(free_port()), "OXIGRAPH_UNION_DEFAULT_GRAPH": "1"}


@functools.cache
def _watchdog_fd() -> int:
    """The read end of a pipe whose write end only this process holds: it closes when the process dies, however.

    A forked child would hold a copy of the write end and keep the servers up after the session; it closes its
    copy at once. Exec'd children never get it (os.pipe's descriptors are not inheritable).
    """
    read_end, write_end = os.pipe()
    held = [write_end]

    def close_in_child() -> None:  # once: a grandchild must not close whatever reuses the number
        while held:
            os.close(held.pop())

    os.register_at_fork(after_in_child=close_in_child)
    return read_end


def _run(name: str, command: str, directory: Path | None = None, extra_env: dict[str, str] | None = None) -> dict[str, str]:
    watchdog = _watchdog_fd()
    env = {**os.environ, "VENV": sys.prefix, "WATCHDOG_FD": str(watchdog), **(extra_env or {})}
    args = ["bash", str(SCRIPTS / f"{name}.sh"), command, *([str(directory)] if directory else [])]
    proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=900, check=False,
                          pass_fds=(watchdog,))
    if proc.returncode != 0:
        last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit status {proc.returncode}"
        raise ServerUnavailable(f"tests/servers/{name}.sh {command} failed: {last}")
    return dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)


class ServerUnavailable(RuntimeError):
    pass


def _install(name: str) -> None:
    """One install at a time on the machine: the test workers (pytest-xdist), and other checkouts' test runs, each
    start their own servers, and two apt-get runs (Virtuoso: system-wide) or pip runs at once would fail on each
    other's locks or half-written files. The lock file lives in the shared temporary directory and is opened
    read-only (flock needs no more), so a user other than the one who created it can take it too."""
    descriptor = os.open(Path(tempfile.gettempdir()) / f"kpi-registry-{name}-install.lock", os.O_RDONLY | os.O_CREAT, 0o444)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        _run(name, "install")
    finally:
        os.close(descriptor)  # and with it the lock


def start(name: str, directory: Path) -> Server:
    """Install when missing (idempotent), then start a fresh instance in `directory`."""
    _install(name)
    ports = _ports(name)
    server = Server(name, directory, _run(name, "start", directory, ports), ports)
    with server.store() as store:
        server.system_graphs = set(store._all_graphs())
    return server


def unavailable(name: str, reason: str) -> None:
    message = f"{name} SPARQL server not available: {reason}"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: remote tests must run)", pytrace=False)
    pytest.skip(message)


def server_fixture(name: str):
    @pytest.fixture(scope="session", name=f"{name}_server")
    def fixture(tmp_path_factory) -> Server:
        try:
            server = start(name, tmp_path_factory.mktemp(name))
        except (ServerUnavailable, OSError, subprocess.TimeoutExpired) as exc:
            unavailable(name, str(exc))
        yield server
        server.stop()

    return fixture


oxigraph_server = server_fixture("oxigraph")
virtuoso_server = server_fixture("virtuoso")


@pytest.fixture(params=[pytest.param(n, marks=pytest.mark.remote) for n in NAMES])
def remote_server(request) -> Server:
    """Each real server in turn, emptied of what earlier tests wrote."""
    server = request.getfixturevalue(f"{request.param}_server")
    server.reset()
    return server


@pytest.fixture(params=BACKENDS)
def any_store(request) -> Store:
    """An empty store of each backend; a remote one sees only the graphs under this test's own prefix."""
    if request.param == "embedded":
        store = OxigraphStore()
        yield store
        store.close()
        return
    server = request.getfixturevalue(f"{request.param.removeprefix('remote-')}_server")
    server.reset()
    store = server.store(graph_prefix="https://example.org/graph/")
    yield store
    store.close()
