"""The Flask application: SPARQL 1.1 endpoint and linked data over one Store.

`create_app` is the only way in (application factory); each area is a blueprint that reaches
the store through `registry_context()`, never through globals.
May import: `publication`, `taxonomy`, `workflow`, `submissions`, `catalogue` and the foundations; not `build` or
`cli` (the `serve` verb, which runs this app under gunicorn, is `registry.cli.serve`).
"""

from __future__ import annotations

import functools
import io
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, Request, current_app
from werkzeug.exceptions import HTTPException

from registry.config import Settings
from registry.namespaces import IRIs
from registry.store import RemoteStore, Store, open_store
from registry.server.errors import http_error
from registry.server.executor import DirectQueries, Gate, Limits, QueryPool, query_runner
from registry.server.freshness import StoreWatch, TtlWatch
from registry.server.headers import check_host, secure
from registry.server.pages import template_helpers

EXTENSION = "kpi_registry"

# `create_app(**options)` and their defaults; `kpi-registry serve` sets them from its flags.
DEFAULTS: dict[str, Any] = {
    "query_timeout": 15.0,  # seconds a user's SPARQL query may run
    "max_result_bytes": 20 * 1024 * 1024,  # largest serialised result the endpoint returns
    "query_processes": 2,  # query processes per worker (each one a concurrent query)
    "query_memory": 2048,  # MiB of address space per query process: a runaway query ends there (503)
    "query_wait": 1.0,  # seconds a query may wait for a busy query process; then 503 + Retry-After
    "query_queue": 27,  # queries that may wait per worker; more are turned away at once (serve: threads − processes − 2)
    "allow_update": False,  # SPARQL Update, and then only with the bearer token below
    "update_token": None,
    "allow_service": False,  # SERVICE federation: makes the server fetch other servers
    "allow_load": False,  # LOAD <url> in an update: makes the server fetch documents
    "recheck_interval": 1.0,  # seconds between looks at the store for a new generation
    "cache_ttl": 60.0,  # remote store: seconds a cached page may be served (it cannot be watched); 0: no cache
    "page_cache_size": 4096,  # rendered pages kept per worker
    "validate_timeout": 20.0,  # seconds an uploaded submission's validation may run (/validate); then 503
    "validate_processes": 1,  # validation processes per worker (each one a concurrent /validate)
    "workflow": None,  # a WorkflowSetup (registry/server/workflow.py): the verification workflow's pages and API
}


@dataclass
class RegistryContext:
    """What every blueprint needs: the store, the IRI minter, the settings and a cache.

    `cache` holds whatever is derived from the store; it is emptied whenever the store's
    generation changes (see freshness.py), so blueprints may cache freely in it.
    """

    store: Store
    iris: IRIs
    settings: Settings
    options: dict[str, Any] = field(default_factory=dict)
    cache: dict[Any, Any] = field(default_factory=dict)
    watch: StoreWatch | TtlWatch = field(default_factory=lambda: StoreWatch(None))
    queries: QueryPool | DirectQueries | None = None
    validations: QueryPool | None = None  # /validate's processes (registry/server/validation.py)
    owns_store: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def generation(self) -> str | None:
        """Identifies the store's current state (None: unknown, so nothing may be cached)."""
        return self.watch.generation

    def refresh(self) -> None:
        """Follow the store to its newest state when a writer has changed it."""
        if not self.watch.poll():
            return
        with self._lock:
            if self.owns_store and self.settings.store.read_only and self.settings.store.remote is None:
                self.store = open_store(self.settings.store)  # a read-only store is a snapshot
            self.cache.clear()
            for pool in (self.queries, self.validations):
                if pool:
                    pool.restart(self.store)

    def written(self) -> None:
        """This worker wrote to the store (a publish): follow it now. A store on disk is re-read on the next
        poll; one in memory has no generation to watch, so its caches and query processes start afresh."""
        self.watch.touch()
        if getattr(self.store, "path", None) is None:
            with self._lock:
                self.cache.clear()
                if self.queries:
                    self.queries.restart(self.store)

    def close(self) -> None:
        """Stop the query processes, then close the store if this app opened it (worker exit, app collected)."""
        with self._lock:
            for pool in (self.queries, self.validations):
                if pool:
                    pool.close()
            if self.owns_store:
                self.store.close()
                self.owns_store = False  # closed once, whoever calls first


class InMemoryUploads(Request):
    """Multipart file parts are kept in memory (at most MAX_CONTENT_LENGTH), never spooled to a temporary
    file as werkzeug does past 500 kB: an uploaded submission never touches the disk (validation.py)."""

    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None, content_length: int | None = None) -> io.BytesIO:
        return io.BytesIO()


def registry_context() -> RegistryContext:
    return current_app.extensions[EXTENSION]


def create_app(settings: Settings, store: Store | None = None, **options: Any) -> Flask:
    """Build the app over `store` (or the store `settings` names); `options` tune the endpoint (DEFAULTS)."""
    app = Flask(__name__)
    app.request_class = InMemoryUploads
    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024
    options = {**DEFAULTS, **options}
    context = RegistryContext(store or open_store(settings.store), settings.iris, settings, options,
                              owns_store=store is None)
    if isinstance(context.store, RemoteStore):
        context.watch = TtlWatch(options["cache_ttl"])
    else:
        context.watch = StoreWatch(getattr(context.store, "path", None), options["recheck_interval"])
    context.queries = query_runner(context.store, Limits(options["query_timeout"], options["max_result_bytes"],
                                                          options["query_memory"] * 2**20),
                                   options["query_processes"], options["query_wait"], options["query_queue"])
    context.validations = _validation_pool(context)
    weakref.finalize(app, context.close)  # a test's app, collected; serve closes it at worker exit
    app.extensions[EXTENSION] = context
    app.before_request(check_host)
    app.before_request(lambda: registry_context().refresh())
    app.context_processor(template_helpers)
    app.after_request(secure)
    app.register_error_handler(HTTPException, http_error)
    if options["workflow"] is not None:  # before the linked data, which answers every other path
        from registry.server.workflow import install

        install(app, options["workflow"])
    for blueprint in _blueprints():
        app.register_blueprint(blueprint)
    return app


def _validation_pool(context: RegistryContext) -> QueryPool:
    """Killable processes for /validate, over the same store as the queries (executor.py)."""
    from registry.server.validation import check_upload

    options = context.options
    # No queue: an upload that finds every validation process busy is a 503 at once, so uploads hold at most
    # `validate_processes` of the worker's threads (serve leaves the rest to queries and pages).
    gate = Gate(options["validate_processes"], min(options["query_wait"], options["validate_timeout"]), 0, "validation")
    return QueryPool(context.store, Limits(options["validate_timeout"], 0, options["query_memory"] * 2**20), gate,
                     answer=functools.partial(check_upload, iris=context.iris))


def _blueprints() -> list[Blueprint]:
    """Blueprints, registered in this order (linked data last: it answers every other path)."""
    from registry.server.catalog import bp as catalog
    from registry.server.linked_data import bp as linked_data
    from registry.server.sparql import bp as sparql
    from registry.server.taxonomy import bp as taxonomy
    from registry.server.validation import bp as validation

    return [
        sparql,
        catalog,
        taxonomy,
        validation,
        linked_data,
    ]
