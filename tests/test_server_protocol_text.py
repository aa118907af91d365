"""The endpoint's lexical checks and content negotiation, without a server."""

from __future__ import annotations

import pytest

from registry.server.negotiation import negotiate
from registry.querytext import query_form, uses_load, uses_service

OFFERED = ["text/turtle", "text/html", "application/ld+json"]


@pytest.mark.parametrize("accept, expected", [
    (None, "text/turtle"),  # no Accept: anything, the server's first choice (RFC 9110 §12.5.1)
    ("*/*", "text/turtle"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),  # a browser
    ("text/turtle;q=0.5, application/ld+json", "application/ld+json"),
    ("text/html;q=0, */*", "text/turtle"),
    ("text/turtle;q=0, text/html;q=0, */*;q=0.1", "application/ld+json"),  # the most specific range decides
    ("text/*;q=0.3, application/ld+json;q=0.2", "text/turtle"),
    ("image/png", None),
    ("text/turtle;q=0", None),
])
def test_negotiation_honours_q_values_and_wildcards(accept, expected):
    assert negotiate(accept, OFFERED) == expected


@pytest.mark.parametrize("text, form", [
    ("SELECT * WHERE { ?s ?p ?o }", "SELECT"),
    ("PREFIX select: <http://example.org/>\n# ASK me\nconstruct { ?s ?p ?o } WHERE { ?s ?p ?o }", "CONSTRUCT"),
    ('BASE <http://x/> ASK { ?s ?p "SELECT" }', "ASK"),
    ("DESCRIBE <http://example.org/a>", "DESCRIBE"),
    ("not sparql", None),
])
def test_query_form_ignores_prefixes_comments_and_strings(text, form):
    assert query_form(text) == form


@pytest.mark.parametrize("text", [
    "SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "select * { service silent <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * {SERVICE?endpoint{?s ?p ?o}}",
    "SELECT * { \\u0053ERVICE <http://example.org/sparql> { ?s ?p ?o } }",  # codepoint escape (SPARQL §19.2)
    'SELECT * { ?s ?p "a\\" SERVICE" . SERVICE <http://e/> {} }',  # a real one after an escaped quote
])
def test_federation_is_found(text):
    assert uses_service(text)


@pytest.mark.parametrize("text", [
    'SELECT * { ?s ?p "SERVICE <http://example.org/>" }',
    "SELECT * { ?s ?p ?o } # SERVICE <http://example.org/>",
    "PREFIX ex: <http://example.org/> SELECT * { ?s ex:SERVICE ?service }",
    "SELECT * { <http://example.org/SERVICE> ?p ?o }",
])
def test_federation_is_not_imagined(text):
    assert not uses_service(text)


def test_load_is_found_in_updates():
    assert uses_load("LOAD <http://example.org/data.ttl> INTO GRAPH <http://example.org/g>")
    assert uses_load("INSERT DATA { <a:b> <a:c> 1 } ; load silent <http://example.org/x>")
    assert not uses_load('INSERT DATA { <a:b> <a:c> "LOAD <http://example.org/x>" }')
