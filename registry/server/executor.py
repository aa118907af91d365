"""Users' SPARQL queries run in child processes that are killed at the deadline.

pyoxigraph has no query timeout and cannot cancel a running query; a thread left running after
its deadline would keep burning a core. A child process can be killed (SIGKILL frees the CPU at
once), and the worker that sent the query stays healthy and answers the next request. Each child
opens the store read-only itself (a spawned interpreter, because forking a process that has
RocksDB's background threads is unsafe); an in-memory store, which only tests use, is inherited
by forking instead. Children are reused while they finish in time, so the steady-state cost of a
query is one pipe round trip.

The same processes validate uploaded submissions (registry/server/validation.py), whose SHACL rules can
take minutes on a crafted file: a pool is given the function its children answer with (`answer`).

A remote store needs none of this: the SPARQL server runs the query and stops it at its own limit,
and the HTTP read timeout bounds the wait, so queries run in the worker's threads (DirectQueries).
"""

from __future__ import annotations

import functools
import math
import multiprocessing as mp
import os
import resource
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from registry.store.base import ResultTooLarge as OversizeResult
from registry.store import OxigraphStore, RemoteStore, Store, StoreError, StoreTimeout


QUERY_NICENESS = 10  # added to a query process's nice value (setpriority(2)): a weight about a tenth of the worker's


@dataclass(frozen=True)
class Limits:
    timeout: float = 15.0  # seconds a query may run
    max_bytes: int = 20 * 1024 * 1024  # largest serialised result handed back
    memory: int = 2048 * 1024 * 1024  # address space of a query process (RLIMIT_AS), store and result included


@dataclass(frozen=True)
class Request:
    text: str
    media_type: str
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    base_iri: str | None = None


class QueryRefused(Exception):
    """The query could not be answered; `status` is the HTTP status that says why."""

    status = 500


class QuerySyntaxError(QueryRefused):
    status = 400


class InputRefused(QueryRefused):
    """The request's input (an uploaded file) cannot be read: the message says why."""

    status = 400


class QueryTimeout(QueryRefused):
    status = 503


class ResultTooLarge(QueryRefused):
    status = 500


class QueryBusy(QueryRefused):
    """No query process became free in time: come back later (RFC 9110 §15.6.4, Retry-After §10.2.3)."""

    status = 503

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.headers = {"Retry-After": str(max(1, math.ceil(retry_after)))}


class Gate:
    """At most `size` queries run per worker and at most `queue` wait for them; a waiting one gets a query
    process within `wait` seconds or is turned away with 503 and Retry-After, as is one that finds the queue
    full (RFC 9110 §15.6.4).

    A query that runs or waits holds one of the worker's threads, and a page, which needs no query process,
    needs a thread too: an unbounded wait behind slow queries left pages waiting 13–17 s, and a bounded wait
    alone still let waiting queries hold every thread while runaway queries kept the processes busy. With
    `size + queue` below the worker's threads (`serve` keeps PAGE_THREADS free), pages always find one,
    while a burst of quick queries still just queues."""

    def __init__(self, size: int, wait: float, queue: int, noun: str = "query") -> None:
        self.size, self.wait, self.queue, self.noun = size, wait, queue, noun
        self._slots = threading.BoundedSemaphore(size)
        self._waiting = 0
        self._lock = threading.Lock()

    @contextmanager
    def entered(self) -> Iterator[None]:
        if not self._slots.acquire(blocking=False):
            self._wait_for_a_slot()
        try:
            yield
        finally:
            self._slots.release()

    def _wait_for_a_slot(self) -> None:
        with self._lock:
            full = self._waiting >= self.queue
            self._waiting += 0 if full else 1
        if full:
            raise QueryBusy(f"the server is busy: every {self.noun} process is taken and {self.queue} more are waiting",
                            2 * self.wait)
        try:
            acquired = self._slots.acquire(timeout=self.wait)
        finally:
            with self._lock:
                self._waiting -= 1
        if not acquired:
            raise QueryBusy(f"the server is busy: no {self.noun} process became free within {self.wait:g} s",
                            2 * self.wait)


class QueryTooLarge(QueryRefused):
    """The query needed more memory than a query process may have: a limit of the endpoint, like the timeout."""

    status = 503


def _answer(store: Store, request: Request, max_bytes: int) -> tuple[str, Any]:
    try:
        body = store.query_bytes(request.text, request.media_type, default_graphs=list(request.default_graphs),
                                 named_graphs=list(request.named_graphs), base_iri=request.base_iri, max_bytes=max_bytes)
    except OversizeResult:
        return "too_large", f"more than {max_bytes}"
    except StoreTimeout as exc:
        return "timeout", str(exc)
    except StoreError as exc:
        return ("syntax" if isinstance(exc.__cause__, SyntaxError) else "error", str(exc))
    if len(body) > max_bytes:
        return "too_large", len(body)
    return "ok", body


def _outcome(kind: str, payload: Any, limits: Limits) -> bytes:
    """A child's or a direct answer as bytes, or the QueryRefused that says why there are none."""
    if kind == "ok":
        return payload
    if kind == "syntax":
        raise QuerySyntaxError(payload)
    if kind == "refused":
        raise InputRefused(payload)
    if kind == "timeout":
        raise QueryTimeout(f"the query did not finish within this endpoint's limit of {limits.timeout:g} s")
    if kind == "too_large":
        raise ResultTooLarge(f"the result ({payload} bytes) is larger than this endpoint's limit of "
                             f"{limits.max_bytes} bytes; add a LIMIT or select fewer variables")
    raise QueryRefused(payload)


Answer = Callable[[Store, Any], tuple[str, Any]]  # (kind, payload) for `_outcome`; picklable for a spawned child


def _child(conn: Connection, opener: Callable[[], Store], answer: Answer, memory: int) -> None:
    """A child's whole life: bound its memory, open the store, answer requests until the parent hangs up.

    A query cannot be stopped half-way, but its process can be bounded: past `memory` bytes of address
    space an allocation fails and the process ends, which the worker reports as QueryTooLarge. Ctrl-C
    reaches the terminal's whole process group; the worker stops its children itself, so a child ignores
    SIGINT rather than print a KeyboardInterrupt traceback. A child runs at a lower CPU priority than the
    worker (QUERY_NICENESS): a runaway query may use every idle cycle until its deadline, but pages, which
    the worker answers without a query process, get the CPU first; under attack they kept only 43 % of
    their rate while four runaway queries shared two cores with the workers as equals."""
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    os.nice(QUERY_NICENESS)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, daemon=True, name="kpi-registry-orphan-watch").start()
    store = opener()
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(answer(store, request))


def _exit_with_parent() -> None:
    """A worker killed outright (gunicorn's SIGKILL after the graceful timeout) cannot stop its children,
    and a child deep in a query would not notice the closed pipe: it would run on as an orphan."""
    wait([mp.parent_process().sentinel])
    os._exit(1)


class _Child:
    def __init__(self, context: mp.context.BaseContext, opener: Callable[[], Store], answer: Answer, limits: Limits,
                 epoch: int, noun: str) -> None:
        self.conn, child_end = context.Pipe()
        self.process = context.Process(target=_child, args=(child_end, opener, answer, limits.memory),
                                       daemon=True, name=f"kpi-registry-{noun}")
        self.process.start()
        child_end.close()
        self.epoch = epoch

    def kill(self) -> int | None:
        """Stop it (if it has not ended by itself); its exit code, negative for the signal that ended it."""
        self.process.kill()
        self.process.join()
        self.conn.close()
        return self.process.exitcode


def opener_for(store: Store) -> tuple[mp.context.BaseContext, Callable[[], Store]]:
    """How a child gets at the same data: reopen an on-disk store read-only, connect to a remote one afresh (a
    forked child would share the worker's pooled connections), or inherit an in-memory one."""
    path = getattr(store, "path", None)
    if path is not None:
        return mp.get_context("spawn"), functools.partial(OxigraphStore, path, read_only=True)
    if isinstance(store, RemoteStore):  # only /validate's processes: queries to a remote store run in the worker
        return mp.get_context("spawn"), functools.partial(RemoteStore, store.config, read_only=True)
    return mp.get_context("fork"), lambda: store


class QueryPool:
    """Up to `size` query processes; a query waits for a free one, then for its answer, each within the timeout.

    `answer` is what a child does with a request (default: run a SPARQL query); the gate's `noun` names the
    work in the refusals ("the validation did not finish within …")."""

    def __init__(self, store: Store, limits: Limits, gate: Gate, answer: Answer | None = None) -> None:
        self.limits, self.size, self.noun, self._gate = limits, gate.size, gate.noun, gate
        self._work = answer or functools.partial(_answer, max_bytes=limits.max_bytes)
        self._context, self._opener = opener_for(store)
        self._idle: list[_Child] = []
        self._live: set[_Child] = set()  # idle and busy, so close() can stop them all
        self._lock = threading.Lock()
        self._epoch = 0
        self._closed = False

    def prewarm(self) -> None:
        """Start every query process in the background, so no query waits for one to start."""
        def start() -> None:
            try:
                children = [self._take() for _ in range(self.size)]
            except QueryRefused:  # closed meanwhile; close() stopped those already started
                return
            for child in children:
                self._give_back(child)

        threading.Thread(target=start, daemon=True, name="kpi-registry-prewarm").start()

    def run(self, request: Request) -> bytes:
        with self._gate.entered():
            child = self._take()
            kind, payload = self._ask(child, request)
            self._give_back(child)
        return _outcome(kind, payload, self.limits)

    def _ask(self, child: _Child, request: Request) -> tuple[str, Any]:
        try:
            child.conn.send(request)
            if child.conn.poll(self.limits.timeout):
                return child.conn.recv()
        except (EOFError, OSError):
            if self._retire(child) == -signal.SIGABRT:  # an allocation past RLIMIT_AS aborts the process
                raise QueryTooLarge(f"the {self.noun} needed more memory than this endpoint's limit of "
                                    f"{self.limits.memory // 2**20} MiB per {self.noun}") from None
            raise QueryRefused(f"the {self.noun} process ended unexpectedly") from None
        self._retire(child)  # the only way to stop a running Oxigraph query and free its core
        raise QueryTimeout(f"the {self.noun} did not finish within this endpoint's limit of {self.limits.timeout:g} s")

    def _take(self) -> _Child:
        with self._lock:
            if self._closed:
                raise QueryRefused("the server is shutting down")
            if self._idle:
                return self._idle.pop()
            epoch = self._epoch
        child = _Child(self._context, self._opener, self._work, self.limits, epoch, self.noun)
        with self._lock:
            self._live.add(child)
            closed = self._closed
        if closed:  # closed while it started
            self._retire(child)
            raise QueryRefused("the server is shutting down")
        return child

    def _give_back(self, child: _Child) -> None:
        if child.process.is_alive():
            with self._lock:
                if child.epoch == self._epoch and not self._closed:
                    self._idle.append(child)
                    return
        self._retire(child)  # dead, or it holds a snapshot of data that has changed since

    def _retire(self, child: _Child) -> int | None:
        code = child.kill()
        with self._lock:
            self._live.discard(child)
        return code

    def restart(self, store: Store | None = None) -> None:
        """The data changed: new children open the new state (of `store`, when it was reopened); busy
        ones are retired when they finish."""
        with self._lock:
            self._epoch += 1
            if store is not None:
                self._context, self._opener = opener_for(store)
            idle, self._idle = self._idle, []
        for child in idle:
            self._retire(child)

    def close(self) -> None:
        """The worker is exiting: stop every query process, busy ones too, and start no more."""
        with self._lock:
            self._closed = True
            children, self._idle = list(self._live), []
        for child in children:
            self._retire(child)


class DirectQueries:
    """Users' queries to a remote store, run in the calling thread; at most `size` at once per worker."""

    def __init__(self, store: Store, limits: Limits, gate: Gate) -> None:
        self.store, self.limits, self._gate = store, limits, gate

    def run(self, request: Request) -> bytes:
        with self._gate.entered():
            kind, payload = _answer(self.store, request, self.limits.max_bytes)
        return _outcome(kind, payload, self.limits)

    def prewarm(self) -> None:
        """Nothing to start: the server is already running."""

    def restart(self, store: Store | None = None) -> None:
        if store is not None:
            self.store = store

    def close(self) -> None:
        """Nothing to stop: the store's connections close with it."""


def query_runner(store: Store, limits: Limits, size: int, wait: float = 1.0, queue: int = 4) -> QueryPool | DirectQueries:
    """Killable child processes for an embedded store, direct calls for a remote one; `size` queries at once,
    `queue` more waiting at most `wait` seconds (Gate)."""
    gate = Gate(size, min(wait, limits.timeout), queue)
    if isinstance(store, RemoteStore):
        return DirectQueries(store, limits, gate)
    return QueryPool(store, limits, gate)
