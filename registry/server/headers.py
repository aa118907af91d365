"""Headers that keep the server from being turned against its readers: the Host a request names, and the
security headers of every response.

The server writes the Host header into what it answers (the service description's `sd:endpoint`, the base
IRI of a query), so a Host that is no `host[:port]` (RFC 9110 §7.2, RFC 3986 §3.2.2) is refused with 400.

Pages show data that others wrote (a submission's sources, a query's results), so a page must not be
able to run a script even if some value slipped through as markup: the Content Security Policy
(CSP Level 3) allows no script at all, styles only from this server, and no framing; `nosniff` stops a
browser from reading a Turtle or JSON answer as HTML (Fetch §3.5).
"""

from __future__ import annotations

import re

from flask import Response, request

from registry.server.errors import error_response

POLICY = ("default-src 'self'; script-src 'none'; object-src 'none'; style-src 'self'; base-uri 'none'; "
          "form-action 'self'; frame-ancestors 'none'")


_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
                   r"|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def check_host() -> Response | None:
    """Before every request: None to go on, or the 400 of a Host header that names no host."""
    if not _HOST.fullmatch(request.host):
        return error_response(400, "the Host header names no host (RFC 9110 §7.2): expected host[:port]")
    return None


def secure(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors for browsers without CSP 2
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
