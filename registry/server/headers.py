"""Headers on every response that keep a page from being turned against its reader.

Pages show data that others wrote (a submission's sources, a query's results), so a page must not be
able to run a script even if some value slipped through as markup: the Content Security Policy
(CSP Level 3) allows no script at all, styles only from this server, and no framing; `nosniff` stops a
browser from reading a Turtle or JSON answer as HTML (Fetch §3.5).
"""

from __future__ import annotations

from flask import Response

POLICY = ("default-src 'self'; script-src 'none'; object-src 'none'; style-src 'self'; base-uri 'none'; "
          "form-action 'self'; frame-ancestors 'none'")


def secure(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors for browsers without CSP 2
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
