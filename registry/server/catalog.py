"""/catalog (DCAT-AP-NO) and /.well-known/void (VoID, RFC 5785 as the VoID note §7.2 asks).

Both are the very documents `kpi-registry publish` writes, rendered from the store once per store
generation and cached, so a harvester sees what a mirror of the release holds. Turtle, JSON-LD
or HTML by Accept (RFC 9110 §12.5.1), or by a .ttl / .jsonld / .html suffix.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

from flask import Blueprint, Response, abort, render_template_string, request
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from ..publish import Release, default_download_base, render_release, serialisations
from . import registry_context
from .negotiation import negotiate

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


def _release() -> Release:
    """The release of the current store generation (rendered once, then cached)."""
    context = registry_context()
    key = ("catalog", context.generation)
    if context.generation is None or key not in context.cache:
        release = render_release(context.store, context.iris, default_download_base(context.iris))
        if context.generation is None:
            return release
        context.cache[key] = release
    return context.cache[key]


def _document(name: str, suffix: str | None) -> Response:
    if suffix is not None and suffix not in SUFFIXES:
        abort(404)
    media_type = SUFFIXES[suffix] if suffix else negotiate(request.headers.get("Accept"), OFFERED)
    if media_type is None:
        return Response(f"406 Not Acceptable: {name} is available as {', '.join(OFFERED)}\n", 406,
                        mimetype="text/plain", headers={"Vary": "Accept"})
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
