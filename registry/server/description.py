"""The SPARQL 1.1 Service Description (SD §3) of this endpoint, built from what the server can do.

Every statement is derived from the running configuration and the store (named graphs and their
sizes), so the description cannot drift from the behaviour: update and federation appear only
when they are enabled.
"""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, VOID, XSD

from registry import sparql
from registry.store import Store

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")

# Media type → its W3C format IRI (http://www.w3.org/ns/formats/), for sd:resultFormat.
FORMAT_IRIS = {
    "application/sparql-results+json": FORMATS.SPARQL_Results_JSON,
    "application/sparql-results+xml": FORMATS.SPARQL_Results_XML,
    "text/csv": FORMATS.SPARQL_Results_CSV,
    "text/tab-separated-values": FORMATS.SPARQL_Results_TSV,
    "text/turtle": FORMATS.Turtle,
    "application/n-triples": FORMATS["N-Triples"],
    "application/ld+json": FORMATS["JSON-LD"],
    "application/rdf+xml": FORMATS.RDF_XML,
}


def named_graphs(store: Store) -> list[tuple[URIRef, int]]:
    """Each of the registry's named graphs with its number of triples (a remote server's own graphs,
    such as Virtuoso's system graphs, are not the registry's: Store.graphs() leaves them out)."""
    registry = set(store.graphs())
    rows = store.select(sparql.load("list_graphs"))
    return [(row["graph"], int(row["triples"])) for row in rows if row["graph"] in registry]


def service_description(endpoint: str, graphs: list[tuple[URIRef, int]], options: dict) -> Graph:
    g = Graph()
    g.bind("sd", SD)
    g.bind("void", VOID)
    g.bind("dcterms", DCTERMS)
    service = URIRef(endpoint + "#service")
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, URIRef(endpoint)))
    g.add((service, DCTERMS.title, Literal("U4SSC KPI registry SPARQL endpoint", lang="en")))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    if options["allow_update"] and options["update_token"]:
        g.add((service, SD.supportedLanguage, SD.SPARQL11Update))
    # The default graph is the union of the named graphs (SD §3.4 sd:UnionDefaultGraph).
    g.add((service, SD.feature, SD.UnionDefaultGraph))
    if options["allow_service"]:
        g.add((service, SD.feature, SD.BasicFederatedQuery))
    for media_type, iri in FORMAT_IRIS.items():
        g.add((service, SD.resultFormat, iri))
    dataset, default = BNode(), BNode()
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    g.add((dataset, SD.defaultGraph, default))
    g.add((default, RDF.type, SD.Graph))
    for name, triples in graphs:
        named, graph = BNode(), BNode()
        g.add((dataset, SD.namedGraph, named))
        g.add((named, RDF.type, SD.NamedGraph))
        g.add((named, SD.name, name))
        g.add((named, SD.graph, graph))
        g.add((graph, RDF.type, SD.Graph))
        g.add((graph, VOID.triples, Literal(triples, datatype=XSD.integer)))
    return g
