"""The SPARQL clients analysts use, with their defaults, against a real `kpi-registry serve`.

SPARQLWrapper sends `format=` beside its Accept header (json, xml, csv, tsv, turtle, n3, rdf+xml, json-ld …);
every query form × return format × GET / POST × with and without `setOnlyConneg` must give an answer that
parses and equals the store's own.
"""

from __future__ import annotations

import csv
import io
import json
from xml.dom import minidom

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, GET, JSON, JSONLD, N3, POST, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

from registry.store import OxigraphStore

from .serving import running_server, store_on_disk

KPI = "https://w3id.org/u4ssc-registry/def/kpi/EC-ICT-ICT-1C"
QUERIES = {
    "SELECT": f"SELECT ?p ?o WHERE {{ <{KPI}> ?p ?o }}",
    "ASK": f"ASK {{ <{KPI}> ?p ?o }}",
    "CONSTRUCT": f"CONSTRUCT {{ <{KPI}> ?p ?o }} WHERE {{ <{KPI}> ?p ?o }}",
    "DESCRIBE": f"DESCRIBE <{KPI}>",
}
FORMATS = [JSON, XML, CSV, TSV, TURTLE, N3, RDFXML, JSONLD]
RDFLIB = {"text/turtle": "turtle", "application/n-triples": "nt", "application/ld+json": "json-ld",
          "application/rdf+xml": "xml"}


@pytest.fixture(scope="module")
def built(tmp_path_factory, staged):
    return store_on_disk(tmp_path_factory.mktemp("clients") / "store", staged)


@pytest.fixture(scope="module")
def server(built):
    with running_server(built, "--workers", "1") as url:
        yield url


@pytest.fixture(scope="module")
def expected(built):
    """The store's own answers, for comparison."""
    store = OxigraphStore(built, read_only=True)
    try:
        rows = {(r["p"], r["o"]) for r in store.select(QUERIES["SELECT"])}
        return {"SELECT": rows, "ASK": store.ask(QUERIES["ASK"]),
                "CONSTRUCT": store.construct(QUERIES["CONSTRUCT"]), "DESCRIBE": store.construct(QUERIES["DESCRIBE"])}
    finally:
        store.close()


def answer(body: bytes, media_type: str, form: str):
    """The response as rows, a boolean or a graph, by its media type."""
    if form in ("CONSTRUCT", "DESCRIBE"):
        return Graph().parse(data=body, format=RDFLIB[media_type])
    if media_type == "application/sparql-results+json":
        data = json.loads(body)
        if form == "ASK":
            return data["boolean"]
        return {(b["p"]["value"], b["o"]["value"]) for b in data["results"]["bindings"]}
    if media_type == "application/sparql-results+xml":
        dom = minidom.parseString(body)
        if form == "ASK":
            return dom.getElementsByTagName("boolean")[0].firstChild.data == "true"
        return {(_xml_value(r, "p"), _xml_value(r, "o")) for r in dom.getElementsByTagName("result")}
    delimiter = "\t" if media_type == "text/tab-separated-values" else ","
    lines = list(csv.reader(io.StringIO(body.decode("utf-8")), delimiter=delimiter))
    if form == "ASK":
        return lines[-1][-1].strip().lower() == "true"
    return len(lines) - 1


def _xml_value(result, name: str) -> str:
    binding = next(b for b in result.getElementsByTagName("binding") if b.getAttribute("name") == name)
    return next(n for n in binding.childNodes if n.nodeType == n.ELEMENT_NODE).firstChild.data


@pytest.mark.parametrize("only_conneg", [False, True], ids=["format", "conneg"])
@pytest.mark.parametrize("method", [GET, POST])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("form", list(QUERIES))
def test_sparqlwrapper_every_form_and_format(server, expected, form, fmt, method, only_conneg):
    client = SPARQLWrapper(f"{server}/sparql")
    client.setQuery(QUERIES[form])
    client.setReturnFormat(fmt)
    client.setMethod(method)
    client.setOnlyConneg(only_conneg)
    response = client.query().response
    media_type = response.headers.get_content_type()
    got = answer(response.read(), media_type, form)
    want = expected[form]
    if form in ("CONSTRUCT", "DESCRIBE"):
        assert isomorphic(got, want)
    elif form == "ASK":
        assert got is want
    elif isinstance(got, int):  # CSV / TSV: one row per solution
        assert got == len(want)
    else:
        assert got == {(str(p), str(o)) for p, o in want}


@pytest.mark.parametrize("form", list(QUERIES))
def test_rdflib_sparqlstore_every_form(server, expected, form):
    result = SPARQLStore(f"{server}/sparql").query(QUERIES[form])  # its defaults: XML, GET
    if form in ("CONSTRUCT", "DESCRIBE"):
        assert isomorphic(result.graph, expected[form])
    elif form == "ASK":
        assert result.askAnswer is expected[form]
    else:
        assert {(p, o) for p, o in result} == expected[form]
