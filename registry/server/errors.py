"""Error answers in a type the client accepts: JSON for API clients, an HTML page for browsers, one line of
plain text otherwise (RFC 9110 §12.5.1 lets an error be sent in a type Accept does not list, but a client
that reads JSON should not have to parse a page). Used for every HTTP error Flask raises (404 of an
unknown route, 405, 413 …) and by the blueprints' own refusals."""

from __future__ import annotations

import json

from flask import Response, render_template, request
from werkzeug.exceptions import HTTPException

from registry.server.negotiation import negotiate, parse_accept

TYPES = ["text/plain", "application/json", "text/html"]  # preference for `*/*`: curl gets a line of text


def error_type(accept: str | None) -> str:
    """The type of an error body for this Accept: the client's choice of TYPES, else JSON for a client
    that asks for some JSON (application/sparql-results+json, application/ld+json …), else plain text."""
    chosen = negotiate(accept, TYPES)
    if chosen is not None:
        return chosen
    wants_json = any(r.q > 0 and (r.subtype == "json" or r.subtype.endswith("+json")) for r in parse_accept(accept))
    return "application/json" if wants_json else "text/plain"


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    media_type = error_type(request.headers.get("Accept"))
    if media_type == "application/json":
        body = json.dumps({"status": status, "error": message})
    elif media_type == "text/html":
        body = render_template("error.html", status=status, message=message)
    else:
        body = message + "\n"
    response = Response(body, status, headers, mimetype=media_type)
    response.vary.add("Accept")
    return response


def http_error(exc: HTTPException) -> Response:
    """Flask's own errors (405 with its Allow header, 404 of no route, 413 …) in the client's type."""
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    return error_response(exc.code or 500, f"{exc.code} {exc.name}: {exc.description}", headers)
