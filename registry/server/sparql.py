"""`/sparql`: the SPARQL 1.1 Protocol endpoint, its service description and a query form.

Users' queries run in killable child processes (executor.py) and come back already serialised
by Oxigraph (Store.query_bytes), so nothing is converted to rdflib on the way out. Updates are
refused unless the server was started with updates enabled and a bearer token.
"""

from __future__ import annotations

import hmac
import json
import re
from dataclasses import dataclass, field

from flask import Blueprint, Request, Response, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from registry import sparql as queries
from registry.store import StoreError
from registry.server import registry_context
from registry.server.description import named_graphs, service_description
from registry.server.errors import error_response, error_type
from registry.server.executor import QueryRefused, Request as QueryRequest
from registry.server.negotiation import negotiate
from registry.server.outbound import reaches_out
from registry.server.pages import page_cache
from registry.sparql.text import iri_ref, nesting_depth, query_form, with_using

bp = Blueprint("sparql", __name__)

RESULTS = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv",
           "text/tab-separated-values", "text/html"]
GRAPHS = ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml", "text/html"]
# Generic types some clients ask for, answered with the SPARQL-specific format they stand for.
ALIASES = {"application/json": "application/sparql-results+json", "application/xml": "application/sparql-results+xml"}
# The `format` parameter, as SPARQLWrapper, Virtuoso and Fuseki users send it: a short name or a media type,
# read by query form. SPARQLWrapper sends format=xml for a CONSTRUCT (RDF/XML), json for SELECT, turtle, n3
# or json-ld for graphs. N3 is answered with Turtle, which is N3.
RESULT_NAMES = {
    "json": "application/sparql-results+json", "xml": "application/sparql-results+xml", "csv": "text/csv",
    "tsv": "text/tab-separated-values", "html": "text/html", "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml", "text/xml": "application/sparql-results+xml",
    **{t: t for t in RESULTS},
}
GRAPH_NAMES = {
    "ttl": "text/turtle", "turtle": "text/turtle", "n3": "text/turtle", "text/n3": "text/turtle",
    "nt": "application/n-triples", "ntriples": "application/n-triples", "n-triples": "application/n-triples",
    "jsonld": "application/ld+json", "json-ld": "application/ld+json", "json": "application/ld+json",
    "application/json": "application/ld+json", "rdfxml": "application/rdf+xml", "rdf": "application/rdf+xml",
    "xml": "application/rdf+xml", "rdf+xml": "application/rdf+xml", "application/xml": "application/rdf+xml",
    "text/xml": "application/rdf+xml", "html": "text/html", **{t: t for t in GRAPHS},
}
# The names the query form offers for downloads.
FORMAT_NAMES = {
    "json": "application/sparql-results+json", "xml": "application/sparql-results+xml", "csv": "text/csv",
    "tsv": "text/tab-separated-values", "html": "text/html", "ttl": "text/turtle",
    "nt": "application/n-triples", "jsonld": "application/ld+json", "rdfxml": "application/rdf+xml",
}
DESCRIPTION = ["text/turtle", "text/html", "application/ld+json", "application/n-triples", "application/rdf+xml"]
RDFLIB_FORMATS = {"text/turtle": "turtle", "application/ld+json": "json-ld", "application/n-triples": "nt",
                  "application/rdf+xml": "xml"}
HTML_ROWS = 1000  # rows a results page shows; the page says so when there are more
MAX_TEXT = 256 * 1024  # characters in a query or update; the registry's longest query has 5,400
MAX_NESTING = 64  # levels of ( { [ in a query or update; the registry's deepest has 12
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")  # RFC 3986 §3.1


class ProtocolError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.headers = status, headers or {}


@dataclass
class Operation:
    """One protocol request: a query or an update, with its dataset parameters."""

    kind: str  # "query" | "update"
    text: str
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    using_graphs: list[str] = field(default_factory=list)
    using_named_graphs: list[str] = field(default_factory=list)


def _one(params, name: str) -> str | None:
    values = params.getlist(name)
    if len(values) > 1:  # Protocol §2.1.4: exactly one query (or update) string
        raise ProtocolError(400, f"more than one '{name}' parameter")
    return values[0] if values else None


def _check_charset(req: Request) -> None:
    """A query or update is always UTF-8 (the registrations of application/sparql-query, SPARQL 1.1 Query
    appendix C, and of application/sparql-update in SPARQL 1.1 Update: "The encoding is always UTF-8"; a form
    is UTF-8 too, URL Standard §5), so a body declared in another charset is refused (415, RFC 9110
    §15.5.16) rather than decoded in it and run, as the W3C's bad_update_non_utf8 (a UTF-16 CLEAR NAMED) was."""
    charset = req.mimetype_params.get("charset")
    if charset is not None and charset.strip().lower() not in ("utf-8", "utf8"):
        raise ProtocolError(415, f"the request body must be UTF-8, not {charset}")


def _body_text(req: Request) -> str:
    try:
        return req.get_data().decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(400, "the request body is not UTF-8 text") from None


def _graphs(params, name: str) -> list[str]:
    """A dataset parameter's IRIs (Protocol §2.1.4, §2.2.3), each an absolute IRI (RFC 3987), or 400 before
    anything runs: the engine would fail on one, and a failure must not cost a query process."""
    values = params.getlist(name)
    for value in values:
        try:
            iri_ref(value)
        except ValueError:
            raise ProtocolError(400, f"{name} {value[:100]!r} is not an IRI") from None
        if not _SCHEME.match(value):
            raise ProtocolError(400, f"{name} {value[:100]!r} is not an absolute IRI (it has no scheme)")
    return values


def _query(text: str, params) -> Operation:
    return Operation("query", text, _graphs(params, "default-graph-uri"), _graphs(params, "named-graph-uri"))


def _update(text: str, params) -> Operation:
    return Operation("update", text, using_graphs=_graphs(params, "using-graph-uri"),
                     using_named_graphs=_graphs(params, "using-named-graph-uri"))


def parse_operation(req: Request) -> Operation | None:
    """The operation a request carries (Protocol §2.1 query, §2.2 update), or None for none (§3 description)."""
    if req.method in ("GET", "HEAD"):  # HEAD: the GET without its body (RFC 9110 §9.3.2)
        if "update" in req.args:
            raise ProtocolError(400, "SPARQL Update must be sent with POST (SPARQL 1.1 Protocol §2.2)")
        text = _one(req.args, "query")
        if text is None:
            return None
        return _query(text, req.args)
    _check_charset(req)
    if req.mimetype == "application/x-www-form-urlencoded":  # §2.1.2, §2.2.1: everything in the body
        form = req.form
        query, update = _one(form, "query"), _one(form, "update")
        if query is not None and update is not None:
            raise ProtocolError(400, "a request carries either 'query' or 'update', not both")
        if query is not None:
            return _query(query, form)
        if update is not None:
            return _update(update, form)
        raise ProtocolError(400, "the form has neither a 'query' nor an 'update' parameter")
    if req.mimetype == "application/sparql-query":  # §2.1.3: dataset parameters in the URL
        return _query(_body_text(req), req.args)
    if req.mimetype == "application/sparql-update":  # §2.2.2: dataset parameters in the URL
        return _update(_body_text(req), req.args)
    raise ProtocolError(415, "POST a query as application/x-www-form-urlencoded or application/sparql-query, "
                             "an update as application/x-www-form-urlencoded or application/sparql-update")


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    try:
        operation = parse_operation(request)
        if operation is None:
            return describe_service()
        _check_size(operation.text)
        if operation.kind == "update":
            return run_update(operation)
        return run_query(operation)
    except ProtocolError as exc:
        return error(exc.status, str(exc), exc.headers)


def _check_size(text: str) -> None:
    """Cheap to send, costly to parse: a very long text, or one nested deeper than any real query (the
    engine's parser recurses per level, and 100,000 levels overflow its stack), is refused before it runs."""
    if len(text) > MAX_TEXT:
        raise ProtocolError(413, f"the query or update is {len(text):,} characters long; this endpoint takes at most {MAX_TEXT:,}")
    depth = nesting_depth(text)
    if depth > MAX_NESTING:
        raise ProtocolError(400, f"the query or update nests {depth} levels of brackets; this endpoint takes at most {MAX_NESTING}")


def _param(name: str) -> str | None:
    """A request parameter, or None when the body cannot be read (too large: Flask answers that with 413)."""
    try:
        return request.values.get(name)
    except RequestEntityTooLarge:
        return None


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """An error in the client's type (errors.py), for browsers the form again with the message; never a traceback."""
    if error_type(request.headers.get("Accept")) == "text/html":
        page = render_template("sparql.html", error=message, status=status, **_form_context(_param("query") or ""))
        return Response(page, status, headers, mimetype="text/html")
    return error_response(status, message, headers)


# -- queries ---------------------------------------------------------------------------------

def _result_type(form: str | None) -> str:
    """The representation to send: the `format` parameter if given, else by Accept (406 when none fits)."""
    offered = GRAPHS if form in ("CONSTRUCT", "DESCRIBE") else RESULTS
    names = GRAPH_NAMES if form in ("CONSTRUCT", "DESCRIBE") else RESULT_NAMES
    if request.values.get("format"):
        name = request.values["format"].strip().lower().split(";")[0].strip()
        if name in names:
            return names[name]
        if name not in RESULT_NAMES and name not in GRAPH_NAMES:
            raise ProtocolError(400, f"unknown format {request.values['format']!r}; for a {form or 'SELECT'} query "
                                     f"use one of {', '.join(sorted(names))}")
        # a format of the other query forms (csv for a CONSTRUCT): Accept decides, as if none were given
    media_type = negotiate(request.headers.get("Accept"), offered + [a for a, t in ALIASES.items() if t in offered])
    if media_type is None:
        raise ProtocolError(406, f"none of the requested media types is available for this query; offered: {', '.join(offered)}")
    return ALIASES.get(media_type, media_type)


SERVICE_REFUSED = "SERVICE (federated query) is disabled on this endpoint (it would make the server fetch a URL)"


def run_query(operation: Operation) -> Response:
    options = registry_context().options
    if not options["allow_service"] and reaches_out(operation.text, update=False):
        raise ProtocolError(403, SERVICE_REFUSED)
    form = query_form(operation.text)
    media_type = _result_type(form)
    graph_form = form in ("CONSTRUCT", "DESCRIBE")
    produce = media_type if media_type != "text/html" else ("text/turtle" if graph_form else RESULTS[0])
    # The base IRI of relative IRIs in the query: the endpoint's own URL, the retrieval URI (Query §4.1.1.1,
    # RFC 3986 §5.1.3), as the Protocol tests expect ("which MAY be the service endpoint").
    try:
        body = registry_context().queries.run(QueryRequest(
            operation.text, produce, tuple(operation.default_graphs), tuple(operation.named_graphs), request.base_url))
    except QueryRefused as exc:
        raise ProtocolError(exc.status, str(exc), getattr(exc, "headers", None)) from None
    if media_type == "text/html":
        return Response(_results_page(operation.text, body, graph_form), mimetype="text/html")
    return Response(body, mimetype=media_type)


def _results_page(text: str, body: bytes, graph_form: bool) -> str:
    if graph_form:
        return render_template("sparql.html", turtle=body.decode("utf-8"), **_form_context(text))
    results = json.loads(body)
    rows = results.get("results", {}).get("bindings", [])
    return render_template("sparql.html", results=results, rows=rows[:HTML_ROWS], total=len(rows), **_form_context(text))


# -- updates ---------------------------------------------------------------------------------

def _check_token(token: str) -> None:
    """RFC 6750 §3: a missing or wrong bearer token gets 401 with a WWW-Authenticate challenge."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise ProtocolError(401, "SPARQL Update needs the bearer token (Authorization: Bearer …)",
                            {"WWW-Authenticate": 'Bearer realm="kpi-registry"'})
    if not hmac.compare_digest(credentials.strip().encode(), token.encode()):
        raise ProtocolError(401, "the bearer token is not valid",
                            {"WWW-Authenticate": 'Bearer realm="kpi-registry", error="invalid_token"'})


def run_update(operation: Operation) -> Response:
    context = registry_context()
    options = context.options
    if not (options["allow_update"] and options["update_token"]):
        raise ProtocolError(403, "SPARQL Update is disabled: this endpoint is read-only")
    _check_token(options["update_token"])
    outbound = reaches_out(operation.text, update=True)
    if outbound == "LOAD" and not options["allow_load"]:
        raise ProtocolError(403, "LOAD is disabled on this endpoint (it would make the server fetch a URL)")
    if outbound == "SERVICE" and not options["allow_service"]:
        raise ProtocolError(403, SERVICE_REFUSED)
    try:
        text = with_using(operation.text, operation.using_graphs, operation.using_named_graphs)
    except ValueError as exc:
        raise ProtocolError(400, str(exc)) from None
    try:
        context.store.update(text, base_iri=request.base_url)
    except StoreError as exc:
        raise ProtocolError(400 if isinstance(exc.__cause__, SyntaxError) else 500, str(exc)) from None
    context.watch.touch()
    return Response(status=204)


# -- service description and form --------------------------------------------------------------

def describe_service() -> Response:
    """SD §3: a GET without a query returns the service description (as a form page for browsers)."""
    context = registry_context()
    if "format" in request.args:
        media_type = FORMAT_NAMES.get(request.args["format"])
        media_type = media_type if media_type in DESCRIPTION else None
    else:
        media_type = negotiate(request.headers.get("Accept"), DESCRIPTION)
    if media_type is None:
        raise ProtocolError(406, f"the service description is available as {', '.join(DESCRIPTION)}")
    key = ("sparql:description", request.base_url, media_type)
    body = page_cache(context).get(key) if context.generation else None
    if body is None:
        graphs = named_graphs(context.store)
        if media_type == "text/html":
            body = render_template("sparql.html", graphs=graphs, **_form_context(""))
        else:
            description = service_description(request.base_url, graphs, context.options)
            body = description.serialize(format=RDFLIB_FORMATS[media_type], encoding="utf-8")
        page_cache(context).put(key, body)
    response = Response(body, mimetype=media_type)
    response.vary.add("Accept")
    return response


def _form_context(text: str) -> dict:
    options = registry_context().options
    return {"query": text, "examples": queries.examples(), "options": options, "format_names": FORMAT_NAMES}


@bp.after_app_request
def cors(response: Response) -> Response:
    """CORS on every route (Fetch Standard §3.2), so browser tools such as YASGUI, and apps on other origins,
    can read queries, the description, the taxonomy, the catalogue and the linked data; updates excepted."""
    if _param("update") is not None or request.mimetype == "application/sparql-update":
        return response  # updates stay same-origin
    response.headers["Access-Control-Allow-Origin"] = "*"
    if request.method == "OPTIONS":  # preflight: the methods the route takes (Flask's Allow)
        response.headers["Access-Control-Allow-Methods"] = response.headers.get("Allow", "GET, HEAD, POST")
        response.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type"
        response.headers["Access-Control-Max-Age"] = "86400"
    return response
