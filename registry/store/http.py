"""HTTP for the remote store: credentials, timeouts, and retries that never repeat a write twice.

A request is retried with exponential back-off when it certainly did not reach the server (the
connection could not be made), and — only when repeating it is harmless — after a connection reset,
a 502/503/504 or a 429. A 500 is not retried: engines answer query errors with it (Virtuoso's own
timeout is a 500 "SR171"), and running a failed query again only costs the server more time.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from dataclasses import dataclass, field

import requests
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from registry.store.base import StoreError

RETRY_STATUS = {429, 502, 503, 504}
_TIMEOUT_TEXT = re.compile(r"\btimed? ?out\b|\bSR171\b", re.IGNORECASE)


class StoreTimeout(StoreError):
    """The server did not answer in time (our read timeout, or the server's own query limit)."""


class StoreUnavailable(StoreError):
    """The server could not be reached, or broke the connection, even after the retries."""


class BearerAuth(AuthBase):
    """RFC 6750 §2.1: the token in the Authorization header."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


@dataclass(frozen=True)
class Credentials:
    """HTTP authentication for the update (and query) endpoints; never printed."""

    scheme: str | None = None  # basic | digest | bearer
    user: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)

    def auth(self) -> AuthBase | None:
        """A new auth object (digest auth keeps per-connection state, so one per thread)."""
        if self.scheme == "basic":
            return HTTPBasicAuth(self.user or "", self.password or "")
        if self.scheme == "digest":
            return HTTPDigestAuth(self.user or "", self.password or "")
        if self.scheme == "bearer":
            return BearerAuth(self.token or "")
        return None


@dataclass(frozen=True)
class Policy:
    connect_timeout: float = 10.0  # seconds to open a connection
    timeout: float = 300.0  # seconds to wait for an answer (a query's deadline, as the client sees it)
    retries: int = 3
    backoff: float = 0.5  # seconds before the first retry; doubled each time


def never_sent(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached the server (no connection was made)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


def first_line(text: str, limit: int = 300) -> str:
    """The gist of an error body (engines send pages of HTML or stack traces)."""
    text = re.sub(r"<[^>]+>", " ", text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " ".join(lines[:3])[:limit] if lines else "(no message)"


class Http:
    """One `requests.Session` per thread (sessions and digest state are not thread-safe)."""

    def __init__(self, credentials: Credentials, policy: Policy) -> None:
        self.credentials, self.policy = credentials, policy
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.auth = self.credentials.auth()
            session.headers["User-Agent"] = "kpi-registry"
        return session

    def request(self, method: str, url: str, *, repeatable: bool, **kwargs) -> requests.Response:
        """Send, retrying as the module says; the answer is returned as it is (raise_for_answer judges it)."""
        deadline = (self.policy.connect_timeout, self.policy.timeout)
        for attempt in itertools.count():
            last = attempt >= self.policy.retries
            try:
                response = self.session.request(method, url, timeout=deadline, **kwargs)
            except requests.ReadTimeout:
                raise StoreTimeout(f"{url} did not answer within {deadline[1]:g} s") from None
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:  # refused, reset
                if last or not (repeatable or never_sent(exc)):
                    raise StoreUnavailable(_unreachable(url, exc)) from None
            except requests.RequestException as exc:
                raise StoreError(f"request to {url} failed: {exc}") from None
            else:
                if response.status_code not in RETRY_STATUS or not repeatable or last:
                    return response
            time.sleep(self.policy.backoff * 2 ** attempt)

    def close(self) -> None:
        """Close this thread's connections (other threads' close with their sessions)."""
        session = getattr(self._local, "session", None)
        if session is not None:
            session.close()


def _unreachable(url: str, exc: requests.RequestException) -> str:
    if never_sent(exc):
        reason = str(getattr(exc.args[0], "reason", exc))
        return f"cannot reach the SPARQL server at {url}: {reason.rsplit('] ', 1)[-1].rsplit(': ', 1)[-1]}"
    return f"lost the connection to the SPARQL server at {url}: {exc}"


def raise_for_answer(response: requests.Response, what: str) -> None:
    """Turn an error answer into a one-line StoreError (a syntax error keeps a SyntaxError as its cause)."""
    status = response.status_code
    if status < 400:
        return
    message = first_line(response.text)
    where = response.request.url.split("?")[0] if response.request else "the server"
    if status == 400:
        raise StoreError(f"{what} refused by {where} (HTTP 400): {message}") from SyntaxError(message)
    if status in (401, 403):
        raise StoreError(f"{what} refused by {where} (HTTP {status}): check the credentials "
                         "(KPI_REGISTRY_AUTH / KPI_REGISTRY_USER / KPI_REGISTRY_PASSWORD / KPI_REGISTRY_TOKEN)")
    if status == 504 or _TIMEOUT_TEXT.search(message):
        raise StoreTimeout(f"{what} timed out on {where} (HTTP {status}): {message}")
    if status in (502, 503):
        raise StoreUnavailable(f"{what}: {where} is unavailable (HTTP {status}): {message}")
    raise StoreError(f"{what} failed on {where} (HTTP {status}): {message}")
