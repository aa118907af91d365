"""`kpi-registry serve`: the Flask app under gunicorn, several workers over one read-only store.

Each worker builds its own app after the fork (no preload): a RocksDB store must be opened in the
process that uses it. Workers are gthread workers, so one slow request does not block a worker's
other connections, and keep-alive works; users' queries run in killable processes (executor.py).
With a remote store (--endpoint) each worker has its own HTTP connections instead, queries run in
its threads with the query timeout as the HTTP read timeout, and pages are cached for --cache-ttl.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import socket
from pathlib import Path
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from typing import Any

import click
from gunicorn.app.base import BaseApplication

from registry.cli.common import Fatal, ready_store, store_options
from registry.config import Settings
from registry.server import DEFAULTS, EXTENSION, create_app
from registry.server.outbound import can_isolate, isolate
from registry.server.workflow import WorkflowSetup
from registry.store import OxigraphStore
from registry.workflow.accounts import Accounts, accounts_location, secret_key
from registry.workflow.rounds import work_location

TOKEN_ENV = "KPI_REGISTRY_UPDATE_TOKEN"
PAGE_THREADS = 2  # threads of each worker that queries, running or waiting, can never take (executor.Gate)


def _ready(settings: Settings) -> None:
    with ready_store(settings):
        pass


def _check_address(host: str, port: int) -> None:
    """A busy port is one line and exit 2 before anything starts (gunicorn would retry, then print a
    screenful of errors). SO_REUSEADDR as gunicorn sets it, so a socket in TIME_WAIT is no obstacle."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise Fatal(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def _post_fork(server, worker) -> None:
    """Each worker leaves the host's network before it opens the store or starts a thread (outbound.py)."""
    isolate()


def _worker_exit(server, worker) -> None:
    """Stop the query processes and close the store while the worker is still whole, not during
    interpreter shutdown (also called in the master, for a worker that is gone: no app there)."""
    app = getattr(worker, "wsgi", None)
    if app is not None and EXTENSION in getattr(app, "extensions", {}):
        app.extensions[EXTENSION].close()


def _isolation(wanted: bool, required: bool) -> bool:
    """Whether the workers will run without a network: always when wanted and the kernel allows it."""
    if not wanted:
        return False
    reason = can_isolate()
    if reason is None:
        return True
    if required:
        raise Fatal(f"{reason} (--require-isolation)")
    click.echo(f"kpi-registry: warning: {reason}; SERVICE and LOAD are refused by the parser check alone "
               "(README, Serving)", err=True)
    return False


class _Gunicorn(BaseApplication):
    """gunicorn configured from code rather than from its own command line."""

    def __init__(self, settings: Settings, options: dict[str, Any], config: dict[str, Any],
                 workflow: dict[str, Any] | None = None) -> None:
        self.settings, self.options, self.config, self.workflow = settings, options, config, workflow
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.config.items():
            self.cfg.set(key, value)

    def load(self):
        options = self.options
        if self.workflow:  # opened here, in the worker: a RocksDB store belongs to the process that opens it
            w = self.workflow
            options = {**options, "workflow": WorkflowSetup(Accounts(w["accounts"]), OxigraphStore(w["work"]),
                                                            w["secret_key"], w["secure_cookies"], owns_work=True)}
        app = create_app(self.settings, **options)
        app.extensions[EXTENSION].queries.prewarm()  # the first query should not wait for a process to start
        return app


@click.command("serve")
@store_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes (use at least one per core).")
@click.option("--threads", default=32, show_default=True, type=click.IntRange(3, 256),
              help=f"Threads per worker; {PAGE_THREADS} of them are never given to SPARQL queries, so pages are answered under any query load.")
@click.option("--query-processes", default=DEFAULTS["query_processes"], show_default=True, type=click.IntRange(1, 64),
              help="Processes per worker that run users' SPARQL queries (concurrent queries per worker).")
@click.option("--query-timeout", default=DEFAULTS["query_timeout"], show_default=True, type=click.FloatRange(0.1),
              help="Seconds a SPARQL query may run before it is stopped with a 503.")
@click.option("--query-memory", default=DEFAULTS["query_memory"], show_default=True, type=click.IntRange(1024),
              help="MiB of memory a query process may use (about 500 are its own); a query that needs more is stopped with a 503.")
@click.option("--max-result-bytes", default=DEFAULTS["max_result_bytes"], show_default=True, type=click.IntRange(1),
              help="Largest query result returned; a larger one is an error, never truncated.")
@click.option("--validate-timeout", default=DEFAULTS["validate_timeout"], show_default=True, type=click.FloatRange(0.1),
              help="Seconds /validate may spend on an uploaded submission before it is stopped with a 503.")
@click.option("--allow-update", is_flag=True,
              help=f"Accept SPARQL Update with the bearer token in ${TOKEN_ENV} (one worker, store opened for writing).")
@click.option("--allow-service", is_flag=True, help="Let queries federate with SERVICE (the server then fetches other servers).")
@click.option("--allow-load", is_flag=True, help="Let updates LOAD <url> (the server then fetches documents).")
@click.option("--cache-ttl", default=DEFAULTS["cache_ttl"], show_default=True, type=click.FloatRange(0),
              help="With --endpoint: seconds a rendered page may be served from the cache (0: no cache).")
@click.option("--workflow", is_flag=True,
              help="Serve the verification workflow too (/workflow, /api/rounds): one worker, the working store and "
                   "the accounts opened for writing; the public store is written only when a round is published.")
@click.option("--accounts", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="With --workflow: the accounts database (default $KPI_REGISTRY_ACCOUNTS, else STORE.accounts.sqlite).")
@click.option("--work-store", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="With --workflow: the store of unpublished rounds (default STORE.work beside the store).")
@click.option("--secure-cookies", is_flag=True,
              help="With --workflow behind HTTPS: send the session cookie with Secure (browsers then never send it over HTTP).")
@click.option("--require-isolation", is_flag=True,
              help="Refuse to start where the workers cannot be cut off from the network (by default: one warning).")
def serve(settings: Settings, host: str, port: int, workers: int, threads: int, query_processes: int, query_timeout: float,
          query_memory: int, max_result_bytes: int, validate_timeout: float, allow_update: bool, allow_service: bool,
          allow_load: bool, cache_ttl: float, workflow: bool, accounts: Path | None, work_store: Path | None,
          secure_cookies: bool,
          require_isolation: bool) -> None:
    """Serve the SPARQL 1.1 endpoint (/sparql) and every registry IRI as linked data.

    Over the embedded store, and unless --allow-service or --allow-load asks for outbound requests, the
    workers run without a network of their own: no request can make the server connect anywhere.
    """
    remote = settings.store.remote
    if settings.store.path is None and remote is None:
        raise Fatal("serve needs a store on disk (--store DIR), which every worker opens, or a SPARQL server (--endpoint)")
    taken = query_processes + DEFAULTS["validate_processes"]  # threads running queries and validations at most
    queue = threads - taken - PAGE_THREADS
    if queue < 0:
        raise Fatal(f"--threads {threads} leaves no thread for pages beside --query-processes {query_processes} and "
                    f"/validate: use at least {taken + PAGE_THREADS} threads")
    _check_address(host, port)
    isolated = _isolation(remote is None and not (allow_service or allow_load), require_isolation)
    token = os.environ.get(TOKEN_ENV, "")
    if allow_update and not token:
        raise Fatal(f"--allow-update needs the bearer token in ${TOKEN_ENV}")
    if allow_update and workers > 1 and remote is None:
        click.echo("--allow-update: one worker, the only process that may open the store for writing", err=True)
        workers = 1
    workflow_setup = _workflow(settings, accounts, work_store, secure_cookies) if workflow else None
    if workflow and workers > 1:
        click.echo("--workflow: one worker, the only process that may open the working store for writing", err=True)
        workers = 1
    if remote is None:
        # Opening a RocksDB store starts a process-wide thread pool that outlives the store. Workers
        # forked from a master that has one inherit handles to threads that do not exist there, and
        # RocksDB joins them at exit (SIGSEGV). So the master never opens it: a spawned process does.
        with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as once:
            once.submit(_ready, settings).result()  # builds a new store once; its errors come back here
    else:
        _ready(settings)
    if remote is not None:  # the query timeout is the HTTP read timeout: the server keeps its own limit
        remote = replace(remote, policy=replace(remote.policy, timeout=query_timeout))
    settings = replace(settings, store=replace(settings.store, read_only=not allow_update, remote=remote))
    options = {"query_timeout": query_timeout, "max_result_bytes": max_result_bytes, "query_processes": query_processes,
               "query_memory": query_memory, "query_queue": queue, "validate_timeout": validate_timeout,
               "allow_update": allow_update, "update_token": token or None, "allow_service": allow_service,
               "allow_load": allow_load, "cache_ttl": cache_ttl}
    config = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers, "worker_class": "gthread", "threads": threads,
        "timeout": int(max(query_timeout, validate_timeout)) + 30,  # the arbiter's last resort, after the deadlines
        "graceful_timeout": int(max(query_timeout, validate_timeout)) + 5,  # a query under way at SIGTERM may finish
        "keepalive": 5, "limit_request_line": 8190,
        "preload_app": False, "proc_name": "kpi-registry", "accesslog": None, "errorlog": "-",
        "control_socket_disable": True,  # no management socket in the user's home directory
        "worker_exit": _worker_exit, **({"post_fork": _post_fork} if isolated else {}),
    }
    click.echo(f"kpi-registry: serving {settings.store.location} as {settings.base_iri} on http://{host}:{port}/ "
               f"({workers} worker{'s' if workers > 1 else ''})", err=True)
    _Gunicorn(settings, options, config, workflow_setup).run()


def _workflow(settings: Settings, accounts: Path | None, work_store: Path | None, secure_cookies: bool) -> dict[str, Any]:
    """Where the workflow's data lives, checked in the master (a bad path or key file: exit 2 before any worker)."""
    if settings.store.remote is not None:
        raise Fatal("--workflow needs an embedded store (--store DIR): publishing writes to it")
    path = accounts_location(settings.store.path, accounts)
    Accounts(path)  # creates the database (mode 600) when new
    return {"accounts": path, "work": work_location(settings.store.path, work_store),
            "secret_key": secret_key(path), "secure_cookies": secure_cookies}
