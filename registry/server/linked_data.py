"""Dereferenceable IRIs: every IRI under the base IRI answers on this server.

The resource IRI is the base IRI plus the request path, whatever host the server runs on, so
GET http://127.0.0.1:8000/def/kpi/EC-ICT-ICT-1C describes https://w3id.org/u4ssc-registry/def/kpi/EC-ICT-ICT-1C.
RDF (Turtle, JSON-LD, N-Triples, RDF/XML) comes straight from Oxigraph's serialisers; HTML is
rendered from the queries in queries/. Representations are chosen by Accept or by a suffix, and
cached per store generation (freshness.py), so a page is rendered once per build or import.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from flask import Blueprint, Response, render_template, request
from rdflib import URIRef

from registry import sparql as queries
from registry.namespaces import ONTOLOGY_IRI
from registry.sparql import QueryError
from registry.server import RegistryContext, registry_context
from registry.server.catalog import describing_document, release_is_current
from registry.server.errors import error_response
from registry.server.negotiation import negotiate
from registry.server.pages import local_path, page_cache
from registry.server.views import resource_page

bp = Blueprint("linked_data", __name__)

# Preference order when the client accepts several equally (`*/*`): RDF first, browsers ask for HTML.
OFFERED = ["text/turtle", "text/html", "application/ld+json", "application/n-triples", "application/rdf+xml"]
SUFFIXES = {".ttl": "text/turtle", ".jsonld": "application/ld+json", ".nt": "application/n-triples",
            ".rdf": "application/rdf+xml", ".html": "text/html"}
LABELS = {"text/turtle": "Turtle", "application/ld+json": "JSON-LD", "application/n-triples": "N-Triples",
          "application/rdf+xml": "RDF/XML", "text/html": "HTML"}


@dataclass(frozen=True)
class Rendered:
    status: int
    body: bytes
    media_type: str
    location: str | None = None  # a 303's target
    cacheable: bool = True  # False: a 404 decided before this generation's release was rendered


# What a path may hold to be part of an IRI: no C0 or C1 control, space, DEL, nor <>"{}|^`\ (RFC 3987 §2.2).
_IRI_PATH = re.compile(r'[^\x00-\x20\x7f-\x9f<>"{}|^`\\]*')


@bp.get("/")
def home() -> Response:
    """The landing page: dimensions, cities and the endpoint (the base IRI itself names nothing)."""
    return _respond("", "text/html", negotiated=False, render=_home)


@bp.get("/<path:path>")
def resource(path: str) -> Response:
    context = registry_context()
    if not _IRI_PATH.fullmatch(path):  # a control character, space, `<`… (RFC 3987 ipchar): no registry IRI has one
        return error_response(404, "no registry IRI has this path: it holds a character no IRI may "
                                   "(a control character, a space, or one of <>\"{}|^`\\)")
    iri, media_type = _resolve(context, path)
    negotiated = media_type is None
    if negotiated:
        media_type = negotiate(request.headers.get("Accept"), OFFERED)
        if media_type is None:
            return error_response(406, f"{iri} is available as {', '.join(OFFERED)}")
    return _respond(iri, media_type, negotiated, lambda: _render(context, URIRef(iri), media_type))


def _resolve(context: RegistryContext, path: str) -> tuple[str, str | None]:
    """The IRI a path names and the media type its suffix asks for (None: negotiate). A suffix is part of
    the IRI when the store or the catalogue knows the IRI with it (the catalogue's distributions end in .ttl)."""
    base = context.iris.base
    for suffix, media_type in SUFFIXES.items():
        if path.endswith(suffix) and not _known(context, base + path):
            stripped = base + path.removesuffix(suffix)
            if _known(context, stripped) or not describing_document(base + path):
                return stripped, media_type
    return base + path, None


def _respond(iri: str, media_type: str, negotiated: bool, render) -> Response:
    """Serve from the cache when the store is unchanged; ETag and 304 for clients that revalidate."""
    context = registry_context()
    key = (request.path, media_type, request.script_root)
    rendered = page_cache(context).get(key) if context.generation else None
    if rendered is None:
        rendered = render()
        if context.generation and rendered.cacheable:
            page_cache(context).put(key, rendered)
    response = Response(rendered.body, rendered.status, mimetype=rendered.media_type)
    if rendered.location:
        response.headers["Location"] = rendered.location
    if negotiated:
        response.vary.add("Accept")
    if iri and rendered.status == 200:
        _link_alternates(response, iri, media_type)
    if context.generation:
        response.set_etag(hashlib.sha1(f"{context.generation}{key}".encode()).hexdigest()[:20])
        response.cache_control.public = True
        response.cache_control.no_cache = True  # revalidate: a rebuild changes the ETag
        response.make_conditional(request)
    return response


def _link_alternates(response: Response, iri: str, current: str) -> None:
    path = local_path(iri)
    links = [f'<{path}{suffix}>; rel="alternate"; type="{media_type}"' for suffix, media_type in SUFFIXES.items()
             if media_type != current]
    response.headers["Link"] = ", ".join(links)
    response.headers["Content-Location"] = path + next(s for s, t in SUFFIXES.items() if t == current)


def _known(context: RegistryContext, iri: str) -> bool:
    try:
        return context.store.ask(queries.load("ask_resource_known"), {"resource": URIRef(iri)})
    except QueryError:  # not a valid IRI (a space, `<`…): nothing can be known about it
        return False


def _graph_names(context: RegistryContext) -> set[URIRef]:
    if context.generation is None or "graphs" not in context.cache:
        context.cache["graphs"] = set(context.store.graphs())
    return context.cache["graphs"]


def _render(context: RegistryContext, iri: URIRef, media_type: str) -> Rendered:
    if not _known(context, iri) and (document := describing_document(str(iri))):
        return Rendered(303, f"{iri} is described in {document}\n".encode(), "text/plain", document)
    if not _known(context, iri):
        final = release_is_current()  # else the new release may yet mint it
        if media_type == "text/html":
            page = render_template("error.html", status=404, message=f"Nothing is known about {iri}.")
            return Rendered(404, page.encode(), "text/html", cacheable=final)
        return Rendered(404, f"nothing is known about {iri}\n".encode(), "text/plain", cacheable=final)
    if media_type == "text/html":
        page = resource_page(context, iri, iri in _graph_names(context))
        return Rendered(200, page.encode(), media_type)
    return Rendered(200, _rdf(context, iri, media_type), media_type)


def _rdf(context: RegistryContext, iri: URIRef, media_type: str) -> bytes:
    """A named graph (the ontology's IRI names the ontology graph) dereferences to its content,
    any other resource to its description."""
    if iri == ONTOLOGY_IRI:
        return context.store.dump(context.iris.g_ontology, media_type)
    if iri in _graph_names(context):
        return context.store.dump(iri, media_type)
    return context.store.query_bytes(queries.load("describe_resource"), media_type, {"resource": iri})


def _home() -> Rendered:
    context = registry_context()
    dimensions = context.store.select(queries.load("count_catalogue"))
    cities = context.store.select(queries.load("list_cities"))
    page = render_template("home.html", dimensions=dimensions, cities=cities, scheme=context.iris.scheme)
    return Rendered(200, page.encode(), "text/html")

