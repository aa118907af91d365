"""/catalog (DCAT-AP-NO) and /.well-known/void (VoID, RFC 5785 as the VoID note §7.2 asks).

Both are the very documents `kpi-registry publish` writes, rendered from the store once per store
generation and cached, so a harvester sees what a mirror of the release holds. Turtle, JSON-LD
or HTML by Accept (RFC 9110 §12.5.1), or by a .ttl / .jsonld / .html suffix. The release's files are
served at their download URLs (/release/…), and the IRIs the catalogue mints (the catalogue, its datasets,
distributions, the agent, the service) dereference to the document that describes them.

Rendering a release takes seconds of CPU (every dump is serialised to know its size and checksum), so a
worker renders one only once it is asked for (a document, a file, an unknown IRI that the catalogue may
mint), and then again in the background as soon as it sees a new store generation; until that is done,
readers get the previous generation's release rather than wait (stale-while-revalidate, RFC 5861 §3). Only
a worker's very first reader of a document, with nothing older to give, waits for it.
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from collections import defaultdict

from flask import Blueprint, Response, abort, current_app, render_template_string, request, url_for
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from registry.publication.datasets import CHECKSUMS, Release
from registry.publication.release import default_download_base, render_release
from registry.publication.describe import file_kind
from registry.publication.serialise import serialisations
from registry.store import OxigraphStore
from registry.server import RegistryContext, registry_context
from registry.server.errors import error_response
from registry.server.negotiation import negotiate

bp = Blueprint("catalog", __name__)

OFFERED = ["text/turtle", "text/html", "application/ld+json"]
SUFFIXES = {"ttl": "text/turtle", "jsonld": "application/ld+json", "html": "text/html"}
DOCUMENTS = {"catalog": "catalog.ttl", "void": "void.ttl"}


@bp.get("/catalog")
@bp.get("/catalog.<suffix>")
def catalog(suffix: str | None = None) -> Response:
    return _document("catalog", suffix)


@bp.get("/.well-known/void")
@bp.get("/.well-known/void.<suffix>")
def void(suffix: str | None = None) -> Response:
    return _document("void", suffix)


@bp.get("/release/<path:name>")
def release_file(name: str) -> Response:
    """A file of the release at its dcat:downloadURL (publish's default download base is {base}release/)."""
    data = _release().files.get(name)
    if data is None:
        abort(404)
    media_type = "text/plain" if name == CHECKSUMS else file_kind(name, name.rsplit(".", 1)[-1])[0]
    response = Response(data, mimetype=media_type)
    response.set_etag(hashlib.sha256(data).hexdigest()[:32])
    return response.make_conditional(request)


class Releases:
    """A worker's rendered release: the newest one done, and the rendering under way for a newer generation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.done: tuple[str, Release] | None = None
        self.error: Exception | None = None
        self._failed: str | None = None  # a generation whose rendering failed is not retried on every request
        self._rendering: str | None = None
        self._finished = threading.Event()

    def get(self, context: RegistryContext) -> Release:
        """The current generation's release, else the previous one while the current one renders."""
        if context.generation is None:  # a store that cannot be watched: nothing may be kept
            return render_release(context.store, context.iris, default_download_base(context.iris))
        with self._lock:
            done = self.done
            if done is not None and done[0] == context.generation:
                return done[1]
            finished = self._start(context)
        if done is not None:
            return done[1]
        finished.wait()  # nothing older to give
        if self.done is None or self._failed == context.generation:
            raise self.error or RuntimeError("the release could not be rendered")
        return self.done[1]

    def refresh(self, context: RegistryContext, first: bool = False) -> None:
        """Start rendering a new generation's release, if one was rendered before (or `first`); called on every
        request, so cheap when nothing changed. A worker nobody asked for a release renders none."""
        if context.generation is None:
            return
        with self._lock:
            if (self.done is not None or first) and (self.done is None or self.done[0] != context.generation):
                self._start(context)

    def _start(self, context: RegistryContext) -> threading.Event:
        """Under the lock: a rendering of the current generation, started unless one is under way."""
        generation = context.generation
        if self._rendering != generation and self._failed != generation:
            self._rendering, self._finished = generation, threading.Event()
            threading.Thread(target=self._render, args=(context.store, context.iris, generation, self._finished),
                             daemon=True, name="kpi-registry-release").start()
        return self._finished

    def _render(self, store, iris, generation: str, finished: threading.Event) -> None:
        try:
            release = _render_aside(store, iris)
            with self._lock:
                self.done, self.error = (generation, release), None
        except Exception as exc:  # a reader waiting for it reports it; the next generation tries again
            with self._lock:
                self.error, self._failed = exc, generation
        finally:
            with self._lock:
                if self._rendering == generation:
                    self._rendering = None
            finished.set()


def _render_aside(store, iris) -> Release:
    """The release, rendered by a spawned process at a lower priority (nice 10, read-only over the store's
    directory) so that its seconds of CPU neither hold this worker's GIL nor slow the users' queries. A
    remote store's release is rendered here: the server does the querying."""
    path = getattr(store, "path", None)
    if path is None:
        return render_release(store, iris, default_download_base(iris))
    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn"), initializer=os.nice, initargs=(10,)) as pool:
        return pool.submit(_render_at, path, iris).result()


def _render_at(path, iris) -> Release:
    store = OxigraphStore(path, read_only=True)
    try:
        return render_release(store, iris, default_download_base(iris))
    finally:
        store.close()


def releases() -> Releases:
    """The app's (a worker's) releases."""
    return current_app.extensions.setdefault("kpi_registry_releases", Releases())


@bp.before_app_request
def _render_new_release() -> None:
    """A write shows on the next request: start the new release then, not when /catalog is asked for."""
    releases().refresh(registry_context())


def _release() -> Release:
    return releases().get(registry_context())


def release_is_current() -> bool:
    """Is the newest release rendered that of the store's current generation?"""
    done, generation = releases().done, registry_context().generation
    return done is not None and generation is not None and done[0] == generation


def describing_document(iri: str) -> str | None:
    """The path of the document (/catalog or /.well-known/void) in which the release mints `iri` (a subject
    there, its fragment aside: RFC 3986 §3.5), for a 303 to it (Cool URIs for the Semantic Web §4.3). It
    looks in the newest release rendered and never waits for one: an unknown IRI must not take seconds to
    answer 404. So until a worker's first release is done (the first such lookup starts it), and on a store
    with no generation (in memory, remote without a cache), where none is kept, the answer is None (and
    the 404 is not cached: linked_data.py asks release_is_current)."""
    context = registry_context()
    releases().refresh(context, first=True)
    done = releases().done if context.generation is not None else None
    if done is None:
        return None
    release = done[1]
    key = ("catalog:subjects", id(release))
    if key not in context.cache:
        index = {}
        for name in ("void", "catalog"):  # the catalogue's own description wins
            graph = Graph().parse(data=release.files[DOCUMENTS[name]], format="turtle")
            index.update({str(s).split("#")[0]: name for s in graph.subjects() if isinstance(s, URIRef)})
        context.cache[key] = index
    name = context.cache[key].get(iri.split("#")[0])
    return url_for(f"catalog.{name}") if name else None


def _document(name: str, suffix: str | None) -> Response:
    if suffix is not None and suffix not in SUFFIXES:
        abort(404)
    media_type = SUFFIXES[suffix] if suffix else negotiate(request.headers.get("Accept"), OFFERED)
    if media_type is None:
        return error_response(406, f"406 Not Acceptable: {name} is available as {', '.join(OFFERED)}")
    turtle = _release().files[DOCUMENTS[name]]
    body = _render(name, turtle, media_type)
    response = Response(body, mimetype=media_type)
    response.headers["Vary"] = "Accept"
    response.headers["ETag"] = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return response.make_conditional(request)


def _render(name: str, turtle: bytes, media_type: str) -> bytes:
    if media_type == "text/turtle":
        return turtle
    graph = Graph().parse(data=turtle, format="turtle")
    if media_type == "application/ld+json":
        return serialisations(graph)["jsonld"]
    return _html(name, graph).encode("utf-8")


def _html(name: str, graph: Graph) -> str:
    """A readable page: the catalogue's datasets with their distributions, or the VoID statistics."""
    datasets = []
    for ds in sorted(graph.subjects(RDF.type, DCAT.Dataset)):
        titles = {lit.language: str(lit) for lit in graph.objects(ds, DCTERMS.title)}
        distributions = sorted((str(graph.value(d, DCAT.downloadURL)), str(graph.value(d, DCAT.mediaType)).rsplit("/", 2)[-2:],
                                int(graph.value(d, DCAT.byteSize) or 0)) for d in graph.objects(ds, DCAT.distribution))
        datasets.append({"iri": str(ds), "en": titles.get("en", str(ds)), "nb": titles.get("nb", ""),
                         "distributions": distributions})
    counts: dict[str, dict[str, str]] = defaultdict(dict)
    for s, p, o in graph:
        if str(p).startswith("http://rdfs.org/ns/void#") and not isinstance(o, URIRef):
            counts[str(s)][str(p).rsplit("#", 1)[-1]] = str(o)
    return render_template_string(PAGE, name=name, datasets=datasets, counts=dict(sorted(counts.items())))


PAGE = """{% extends "base.html" %}
{% block title %}{{ 'Data catalogue' if name == 'catalog' else 'VoID description' }}{% endblock %}
{% block main %}
{% if name == 'catalog' %}
<h1>Data catalogue <span lang="nb">Datakatalog</span></h1>
<p>DCAT-AP-NO catalogue of the registry's published release, also as
<a href="{{ url_for('catalog.catalog', suffix='ttl') }}">Turtle</a> and
<a href="{{ url_for('catalog.catalog', suffix='jsonld') }}">JSON-LD</a>.</p>
{% for d in datasets %}
<section>
  <h2>{{ d.en }}{% if d.nb %} <small lang="nb">{{ d.nb }}</small>{% endif %}</h2>
  <p><a href="{{ href(d.iri) }}">{{ d.iri }}</a></p>
  <ul>
  {% for url, media, size in d.distributions %}
    <li><a href="{{ url }}">{{ url.rsplit('/', 1)[-1] }}</a> ({{ media | join('/') }}, {{ size }} bytes)</li>
  {% endfor %}
  </ul>
</section>
{% endfor %}
{% else %}
<h1>VoID description</h1>
<p>Also as <a href="{{ url_for('catalog.void', suffix='ttl') }}">Turtle</a> and
<a href="{{ url_for('catalog.void', suffix='jsonld') }}">JSON-LD</a>.</p>
<table>
<thead><tr><th>dataset, partition or linkset</th><th>triples</th><th>entities</th><th>distinct subjects</th></tr></thead>
<tbody>
{% for iri, c in counts.items() %}
<tr><td><a href="{{ href(iri) }}">{{ iri }}</a></td><td>{{ c.get('triples', '') }}</td>
<td>{{ c.get('entities', '') }}</td><td>{{ c.get('distinctSubjects', '') }}</td></tr>
{% endfor %}
</tbody>
</table>
{% endif %}
{% endblock %}
"""
