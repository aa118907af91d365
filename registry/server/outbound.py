"""No request can make the server open a connection: the worker processes have no network to open one on.

Oxigraph evaluates `SERVICE` (Federated Query §3) and `LOAD` (Update §3.1.4) by fetching the IRI over HTTP,
so an endpoint that passes a query text through is an open proxy unless something stops it. A check of the
text can always be outwitted by one more way of writing a keyword; a process without a network cannot be.
So each gunicorn worker, just after it is forked and before it opens the store or starts a thread, moves
into a network namespace of its own (Linux `unshare(CLONE_NEWNET)`, inside a new user namespace when not
root): it holds only a loopback interface that is down. The listening socket it inherited from the master
still accepts clients, since a socket keeps the namespace it was made in, while any new connection — from
SERVICE, LOAD, or anything else in the process and the query processes it starts — fails with "network is
unreachable".

The parser check in `reaches_out` is what gives a client a clear 403 instead of that failure. It uses a
real SPARQL parser (rdflib's grammar), so `SERVICE` in a string or as a local name is no refusal and any
spelling of the keyword is found; only when that parser cannot read the text does a conservative lexer
(registry/sparql/text.py) decide.
"""

from __future__ import annotations

import ctypes
import os
import re

from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from registry.sparql.text import uses_load, uses_service

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
_WORDS = re.compile(r"service|load", re.IGNORECASE)
_ESCAPE = re.compile(r"\\[uU][0-9A-Fa-f]{4}")


class IsolationError(OSError):
    """The kernel would not give this process a network namespace of its own."""


def isolate() -> None:
    """Leave the host's network for good: a namespace of our own with no interface up (see module docstring).

    As root a network namespace is enough; otherwise it must come with a user namespace, which requires a
    process with one thread (called right after fork, before any thread starts)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for flags in (CLONE_NEWNET, CLONE_NEWUSER | CLONE_NEWNET):
        if libc.unshare(flags) == 0:
            return
        errno = ctypes.get_errno()
    raise IsolationError(errno, f"cannot give the server's processes a network namespace: {os.strerror(errno)}")


def can_isolate() -> str | None:
    """None when a forked child can isolate itself (what every worker will do), else the reason it cannot."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: try, report, leave without running any Python cleanup
        os.close(read)
        try:
            isolate()
            os.write(write, b"")
        except OSError as exc:
            os.write(write, str(exc).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        reason = pipe.read().decode()
    os.waitpid(pid, 0)
    return reason or None


def reaches_out(text: str, update: bool) -> str | None:
    """"SERVICE" or "LOAD" when the query or update would fetch from the network, else None.

    Most texts never mention either word (SPARQL 1.1 §19.2 allows `\\u` escapes, so a text with any escape
    is parsed as well); the others are parsed, and the parse tree says whether the word is the keyword."""
    if not _WORDS.search(text) and not _ESCAPE.search(text):
        return None
    try:
        names = _names(parseUpdate(text) if update else parseQuery(text), set())
    except Exception:  # noqa: BLE001 - a text this parser cannot read (also too deep for it): the lexer decides
        return "SERVICE" if uses_service(text) else "LOAD" if update and uses_load(text) else None
    return "SERVICE" if "ServiceGraphPattern" in names else "LOAD" if "Load" in names else None


def _names(node: object, found: set[str]) -> set[str]:
    """Every grammar rule the parse tree holds (rdflib gives each a CompValue named after its rule)."""
    if isinstance(node, CompValue):
        found.add(node.name)
        children = node.values()
    elif isinstance(node, (list, tuple)) or hasattr(node, "as_list"):
        children = node
    else:
        return found
    for child in children:
        _names(child, found)
    return found
