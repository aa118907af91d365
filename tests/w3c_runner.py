"""The W3C's own SPARQL tests (tests/w3c/, from w3c/rdf-tests), read from their manifests and sent to a server.

Nothing here restates an expectation: each test's requests, headers, bodies, expected statuses, result formats
and results come from the manifest and the files it names. The runner adapts only what the manifests say a
runner must adapt: the endpoint's address (Protocol manifest: "must replace this value [`/sparql/`] with
whatever path prefix is appropriate") and, for update tests, the bearer token this server's updates need.
Tests the registry refuses on purpose are listed, with the clause that allows it, in docs/conformance.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import pyoxigraph as ox
import requests
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS
from rdflib.plugins.sparql.parser import parseQuery

from .conftest import ROOT

W3C = ROOT / "tests" / "w3c"
PROTOCOL = W3C / "sparql" / "sparql11" / "protocol" / "manifest.ttl"
DESCRIPTION = W3C / "sparql" / "sparql11" / "service-description" / "manifest.ttl"
DATASET = W3C / "sparql" / "sparql10" / "dataset" / "manifest.ttl"
CONFORMANCE = ROOT / "docs" / "conformance.md"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
RS = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/result-set#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

# Outcomes of this session's W3C tests by suite, for the summary line (conftest.pytest_terminal_summary).
OUTCOMES: dict[str, dict[str, str]] = {}


@dataclass
class HttpRequest:
    method: str
    path: str  # as in the manifest: /sparql/…
    headers: dict[str, str]
    body: bytes | None
    statuses: list[str]  # hts:StatusCode2xx … local names
    expected_format: str | None
    expected_boolean: bool | None


@dataclass
class ProtocolTest:
    iri: str
    name: str
    requests: list[HttpRequest]
    graph_data: dict[str, Path] = field(default_factory=dict)  # graph IRI → file

    @property
    def updates(self) -> bool:
        """Does the test send an update (so it needs a server that takes them)?"""
        return "update" in self.name.lower() or any(
            r.headers.get("content-type", "").startswith("application/sparql-update")
            or re.search(rb"(^|&)update=", r.body or b"") or re.search(r"[?&]update=", r.path)
            for r in self.requests)


@dataclass
class DatasetTest:
    iri: str
    name: str
    query: Path
    result: Path

    def graphs(self, base: str) -> dict[str, Path]:
        """The graphs the query's FROM / FROM NAMED clauses name, as IRIs resolved against `base` (the
        endpoint's URL, its base IRI), each with the file of that name beside the query."""
        clauses = parseQuery(self.query.read_text(encoding="utf-8"))[1].get("datasetClause") or []
        names = [str(c["default"] if "default" in c else c["named"]) for c in clauses]
        return {urljoin(base, name): self.query.parent / name for name in names}


def _manifest(path: Path) -> tuple[Graph, list[URIRef]]:
    graph = Graph().parse(path, format="turtle")
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    return graph, list(Collection(graph, graph.value(manifest, MF.entries)))


def _local(iri: URIRef) -> Path:
    return Path(str(iri).removeprefix("file://"))


def protocol_tests() -> list[ProtocolTest]:
    graph, entries = _manifest(PROTOCOL)
    tests = []
    for entry in entries:
        action = graph.value(entry, MF.action)
        requests_ = [_request(graph, r) for r in Collection(graph, graph.value(action, HT.requests))]
        data = {str(graph.value(d, RDFS.label)): _local(graph.value(d, UT.graph)) for d in graph.objects(entry, UT.graphData)}
        tests.append(ProtocolTest(str(entry), str(graph.value(entry, MF.name)), requests_, data))
    return tests


def _request(graph: Graph, node) -> HttpRequest:
    headers = {}
    if (listed := graph.value(node, HT.headers)) is not None:
        for header in Collection(graph, listed):
            headers[str(graph.value(header, HT.fieldName)).lower()] = str(graph.value(header, HT.fieldValue))
    body = None
    if (content := graph.value(node, HT.body)) is not None:
        encoding = str(graph.value(content, CNT.characterEncoding) or "UTF-8")
        body = str(graph.value(content, CNT.chars)).encode(encoding)
    response = graph.value(node, HT.resp)
    boolean = graph.value(response, MF.expectedBoolean)
    fmt = graph.value(response, MF.expectedFormat)
    return HttpRequest(str(graph.value(node, HT.methodName)), str(graph.value(node, HT.absolutePath)), headers, body,
                       sorted(str(s).removeprefix(str(HTS)) for s in graph.objects(response, MF.expectedStatus)),
                       str(fmt) if fmt is not None else None, boolean.toPython() if boolean is not None else None)


def dataset_tests() -> list[DatasetTest]:
    graph, entries = _manifest(DATASET)
    return [DatasetTest(str(e), str(graph.value(e, MF.name)), _local(graph.value(graph.value(e, MF.action), QT.query)),
                        _local(graph.value(e, MF.result))) for e in entries]


def description_tests() -> list[tuple[str, str]]:
    graph, entries = _manifest(DESCRIPTION)
    return [(str(e), str(graph.value(e, MF.name))) for e in entries]


def refusals() -> dict[str, str]:
    """Test IRI → the clause that lets the registry refuse it, from docs/conformance.md's table of refusals
    (rows `| <test IRI> | clause | why |`)."""
    return {m[1]: m[2].strip() for m in re.finditer(r"^\|\s*<([^>]+)>\s*\|([^|]+)\|", CONFORMANCE.read_text(encoding="utf-8"), re.M)}


# -- checking answers ----------------------------------------------------------------------------

def send(endpoint: str, request: HttpRequest, token: str | None = None) -> requests.Response:
    """The manifest's request to `endpoint` (its `/sparql/` prefix replaced), with exactly its headers and
    body (plus requests' own defaults: a client's), and the bearer token when the server takes updates."""
    headers = dict(request.headers)
    if token:
        headers["authorization"] = f"Bearer {token}"
    url = endpoint + request.path.removeprefix("/sparql/")
    return requests.request(request.method, url, headers=headers, data=request.body, timeout=60, allow_redirects=False)


def check_response(request: HttpRequest, response: requests.Response) -> list[str]:
    """What is wrong with the answer, by the manifest's expectations (empty: nothing)."""
    problems = []
    if f"StatusCode{response.status_code // 100}xx" not in request.statuses:
        problems.append(f"status {response.status_code}, expected {' or '.join(request.statuses)}: {response.text[:200]!r}")
        return problems
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    if request.expected_format in ("boolean", "tabular"):
        try:
            results = ox.parse_query_results(response.content, format=ox.QueryResultsFormat.from_media_type(media_type))
        except (ValueError, SyntaxError) as exc:
            return [f"not SPARQL results ({media_type}): {exc}"]
        if request.expected_format == "boolean" and not isinstance(results, ox.QueryBoolean):
            problems.append(f"expected a boolean result, got {type(results).__name__}")
        elif request.expected_format == "tabular" and not isinstance(results, ox.QuerySolutions):
            problems.append(f"expected a table of solutions, got {type(results).__name__}")
        elif request.expected_boolean is not None and bool(results) != request.expected_boolean:
            problems.append(f"answered {bool(results)}, expected {request.expected_boolean}")
    elif request.expected_format == "RDF":
        problems += rdf_problems(response)
    return problems


def rdf_problems(response: requests.Response) -> list[str]:
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    try:
        list(ox.parse(response.content, format=ox.RdfFormat.from_media_type(media_type)))
    except (ValueError, SyntaxError) as exc:
        return [f"not RDF ({media_type}): {exc}"]
    return []


def solutions_graph(variables: list[str], solutions: list[dict[str, object]]) -> Graph:
    """A result set in the DAWG result-set vocabulary, so two can be compared up to blank-node renaming
    (rdflib's graph isomorphism; blank nodes in values are mapped consistently across solutions)."""
    graph, result = Graph(), BNode()
    graph.add((result, RDF.type, RS.ResultSet))
    for name in variables:
        graph.add((result, RS.resultVariable, Literal(name)))
    for solution in solutions:
        node = BNode()
        graph.add((result, RS.solution, node))
        for name, value in solution.items():
            binding = BNode()
            graph.add((node, RS.binding, binding))
            graph.add((binding, RS.variable, Literal(name)))
            graph.add((binding, RS.value, value))
    return graph


def expected_results(path: Path, base: str) -> Graph:
    """The expected result set, its relative IRIs (graph names: `<data-g1.ttl>`) resolved as the query's
    are, against `base`: the suite's files stand where the endpoint is."""
    graph = Graph().parse(path, format="turtle", publicID=urljoin(base, path.name))
    result = next(graph.subjects(RDF.type, RS.ResultSet))
    solutions = [{str(graph.value(b, RS.variable)): graph.value(b, RS.value) for b in graph.objects(s, RS.binding)}
                 for s in graph.objects(result, RS.solution)]
    return solutions_graph([str(v) for v in graph.objects(result, RS.resultVariable)], solutions)


def actual_results(body: bytes) -> Graph:
    results = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
    names = [v.value for v in results.variables]
    rows = [{n: _rdflib(t) for n, t in zip(names, s) if t is not None} for s in results]
    return solutions_graph(names, rows)


def _rdflib(term):
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    return Literal(term.value, lang=term.language, datatype=None if term.language else URIRef(term.datatype.value))


def same_results(expected: Path, base: str, body: bytes) -> bool:
    return isomorphic(expected_results(expected, base), actual_results(body))


def description_problems(test: str, endpoint: str, response: requests.Response) -> list[str]:
    """Service Description §2 conformance criteria, one per test (returns-rdf, has-endpoint-triple,
    conforms-to-schema), checked on the answer to a GET of the endpoint without a query."""
    if response.status_code != 200:
        return [f"status {response.status_code}"]
    problems = rdf_problems(response)
    if problems or test.endswith("#returns-rdf"):
        return problems
    media_type = response.headers["Content-Type"].split(";")[0].strip()
    graph = Graph().parse(data=response.content, format={"text/turtle": "turtle", "application/ld+json": "json-ld",
                                                           "application/n-triples": "nt",
                                                           "application/rdf+xml": "xml"}[media_type])
    if test.endswith("#has-endpoint-triple"):
        return [] if (None, SD.endpoint, URIRef(endpoint)) in graph else [f"no ?service sd:endpoint <{endpoint}>"]
    return schema_problems(graph)


def schema_problems(graph: Graph) -> list[str]:
    """The description uses the vocabulary as SD §3.2 (classes) and §3.3 (properties) define it: each
    sd:NamedGraph has its name (sd:name, an IRI: the one check of the SPARQL WG's own validator), sd:endpoint
    is a property of an sd:Service with an IRI value, sd:defaultDataset has an sd:Dataset as its value and
    sd:namedGraph an sd:NamedGraph."""
    problems = []
    for named in graph.subjects(RDF.type, SD.NamedGraph):
        names = list(graph.objects(named, SD.name))
        if len(names) != 1 or not isinstance(names[0], URIRef):
            problems.append(f"an sd:NamedGraph with sd:name {names}")
    for service, endpoint in graph.subject_objects(SD.endpoint):
        if (service, RDF.type, SD.Service) not in graph or not isinstance(endpoint, URIRef):
            problems.append(f"sd:endpoint {endpoint} on {service}, not an sd:Service's IRI")
    for _, dataset in graph.subject_objects(SD.defaultDataset):
        if (dataset, RDF.type, SD.Dataset) not in graph:
            problems.append(f"sd:defaultDataset {dataset} is not an sd:Dataset")
    for dataset, named in graph.subject_objects(SD.namedGraph):
        if (named, RDF.type, SD.NamedGraph) not in graph:
            problems.append(f"sd:namedGraph {named} is not an sd:NamedGraph")
    return problems


def record(suite: str, test: str, outcome: str) -> None:
    OUTCOMES.setdefault(suite, {})[test] = outcome


def summary() -> Iterator[str]:
    """`N of M W3C tests pass` per suite and in all (documented refusals counted apart)."""
    if not OUTCOMES:
        return
    total = passed = refused = 0
    for suite, outcomes in OUTCOMES.items():
        n, r = sum(o == "pass" for o in outcomes.values()), sum(o == "refused" for o in outcomes.values())
        total, passed, refused = total + len(outcomes), passed + n, refused + r
        yield f"{suite}: {n} of {len(outcomes)} pass" + (f", {r} refused as documented" if r else "")
    yield f"{passed} of {total} W3C tests pass" + (f" ({refused} documented refusals)" if refused else "")
