"""The endpoint's lexical checks and content negotiation, without a server."""

from __future__ import annotations

import pytest

from registry.server.negotiation import negotiate
import pyoxigraph as ox

from registry.sparql.text import is_update, query_form, uses_load, uses_service, with_using

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
    ("application/xhtml+xml", "text/html"),  # XHTML clients get the HTML page, not 406
    ("application/xhtml+xml;q=0.4, application/ld+json;q=0.5", "application/ld+json"),
    ("text/html;q=0, application/xhtml+xml", None),  # text/html refused by name stays refused
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


@pytest.mark.parametrize("text, update", [
    ("SELECT * WHERE { ?s ?p ?o }", False),
    ("# DELETE nothing\nPREFIX insert: <http://example.org/>\nASK { ?s insert:p \"CLEAR\" }", False),
    ("DELETE { ?s ?p ?o } WHERE { { SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 1 } }", True),  # a sub-select inside
    ("PREFIX ex: <http://example.org/>\nWITH ex:g DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", True),
    ("clear all", True),
    ("not sparql", False),
])
def test_an_update_is_known_by_its_first_operation_word(text, update):
    assert is_update(text) is update


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


# -- using-graph-uri / using-named-graph-uri (Protocol §2.2.3), written into the update as USING ----------

USING_DATA = """INSERT DATA { GRAPH <urn:a> { <urn:s> <urn:p> "a" } GRAPH <urn:b> { <urn:s> <urn:p> "b" } } ;"""


def _run_with_using(update: str, default: list[str], named: list[str]) -> set[tuple[str, str]]:
    """Run the data, then `update` with the protocol dataset, on a fresh Oxigraph store (its real default
    graph, not the registry's union); what <urn:out> holds."""
    store = ox.Store()
    store.update(USING_DATA)
    store.update(with_using(update, default, named))
    return {(s["g"].value, s["o"].value) for s in store.query("SELECT ?g ?o WHERE { GRAPH <urn:out> { ?g <urn:o> ?o } }")}


def test_using_graph_uri_is_the_where_clause_default_graph_and_only_it():
    update = 'INSERT { GRAPH <urn:out> { <urn:default> <urn:o> ?o } } WHERE { ?s <urn:p> ?o { SELECT * WHERE { ?x ?y ?z } LIMIT 1 } }'
    assert _run_with_using(update, ["urn:a"], []) == {("urn:default", "a")}


def test_using_named_graph_uri_names_the_graphs_and_leaves_the_default_empty():
    update = "INSERT { GRAPH <urn:out> { ?g <urn:o> ?o } } WHERE { { GRAPH ?g { ?s <urn:p> ?o } } UNION { ?s <urn:p> ?o BIND(<urn:d> AS ?g) } }"
    assert _run_with_using(update, [], ["urn:b"]) == {("urn:b", "b")}


def test_delete_where_takes_the_protocol_dataset_as_its_pattern_and_template():
    """DELETE WHERE {P} matches P in the protocol's dataset and deletes from the default graph (Update §3.1.3.3)."""
    for using, deleted in (["urn:b"], False), (["urn:a"], True):
        store = ox.Store()
        store.update(USING_DATA + ' INSERT DATA { <urn:s> <urn:p> "a" }')
        store.update(with_using('DELETE WHERE { ?s <urn:p> "a" }', using, []))
        assert bool(store.query('ASK { <urn:s> <urn:p> "a" }')) is not deleted, using
        assert store.query('ASK { GRAPH <urn:a> { <urn:s> <urn:p> "a" } }')  # USING reads graphs, writes none


@pytest.mark.parametrize("update", [
    "WITH <urn:a> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "DELETE { ?s ?p ?o } USING <urn:a> WHERE { ?s ?p ?o }",
    "DELETE { ?s ?p ?o } \\u0055SING <urn:a> WHERE { ?s ?p ?o }",  # USING in codepoint escapes (§19.2)
    "DELETE { ?s ?p ?o } WH\\u0045RE { ?s ?p ?o }",
])
def test_an_update_naming_its_own_dataset_or_hiding_keywords_is_refused(update):
    with pytest.raises(ValueError):
        with_using(update, ["urn:a"], [])


@pytest.mark.parametrize("iri", ["urn:a> } WHERE {} ; DROP ALL ; INSERT { <x:y", "urn:a b", ""])
def test_a_using_graph_uri_that_is_no_iri_cannot_inject_syntax(iri):
    with pytest.raises(ValueError, match="not an IRI"):
        with_using("INSERT { <urn:s> <urn:p> 1 } WHERE {}", [iri], [])


def test_an_update_with_no_protocol_dataset_is_left_as_written():
    assert with_using("WITH <urn:a> DELETE WHERE { ?s ?p ?o }", [], []) == "WITH <urn:a> DELETE WHERE { ?s ?p ?o }"
