"""Helpers every HTML template gets: links that stay on this server, short names for IRIs.

The registry's IRIs live under its base IRI (e.g. https://w3id.org/u4ssc-registry/), but a page
served from http://127.0.0.1:8000 must link to http://127.0.0.1:8000/def/kpi/…, so `href` maps
an IRI under the base to this server's path for it; other IRIs (UN SDG, KS, W3C) stay as they are.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from typing import Any

from flask import current_app, request
from rdflib import Literal, URIRef
from rdflib.term import Node

from registry.namespaces import PREFIXES


class PageCache:
    """Least-recently-used rendered responses of one worker, for one store generation (bounded, so
    requests for endless distinct IRIs or Host headers cannot grow it)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
            return self._items.get(key)

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            if len(self._items) > self.size:
                self._items.popitem(last=False)


def page_cache(context) -> PageCache:
    """The worker's page cache; it lives in `context.cache`, so a new store generation empties it."""
    return context.cache.setdefault("pages", PageCache(context.options["page_cache_size"]))


def local_path(iri: str) -> str | None:
    """The path on this server for an IRI under the base IRI, else None."""
    base = current_app.extensions["kpi_registry"].iris.base
    if not iri.startswith(base):
        return None
    return request.script_root + "/" + iri[len(base):]


LINK_SCHEMES = ("http://", "https://")


def href(term: Node | str) -> str | None:
    """Where a link to `term` should point: this server for the registry's IRIs, the IRI itself when it is
    http or https, else None. Any other scheme (`javascript:`, `data:`, …) could run a script from a page
    a query or a submission made, so it is shown, never linked (templates: the `link` macro)."""
    iri = str(term)
    return local_path(iri) or (iri if iri.lower().startswith(LINK_SCHEMES) else None)


def curie(iri: Node | str) -> str:
    """`https://w3id.org/u4ssc-registry/def#KPI` → `kpi:KPI`, for readable property names."""
    text = str(iri)
    for prefix, namespace in PREFIXES.items():
        if text.startswith(str(namespace)) and len(text) > len(str(namespace)):
            return f"{prefix}:{text[len(str(namespace)):]}"
    return text


def is_iri(term: Any) -> bool:
    return isinstance(term, URIRef)


def datatype_name(term: Any) -> str:
    """The short datatype of a typed literal (`xsd:decimal`), or '' for plain and language strings."""
    if isinstance(term, Literal) and term.datatype:
        return curie(term.datatype)
    return ""


def template_helpers() -> dict[str, Any]:
    return {"href": href, "curie": curie, "is_iri": is_iri, "datatype_name": datatype_name,
            "registry": current_app.extensions["kpi_registry"]}
