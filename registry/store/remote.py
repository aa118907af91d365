"""A remote SPARQL 1.1 server as the registry's store (Virtuoso, Fuseki, GraphDB, Oxigraph server, …).

Only the standard protocols are spoken: SPARQL 1.1 Protocol queries (§2.1.2, form-encoded POST)
and updates (§2.2.1), and the Graph Store HTTP Protocol (§5.5 POST, §5.2 GET) for bulk loads and
dumps where the server has one. What engines answer differently is smoothed out here, once:
literals come back in one canonical form (terms.py), so callers get the same rdflib terms as from
the embedded store. The server must treat the default graph as the union of the named graphs
(docs/portability.md).

Loads go in batches into a staging graph (Store.replace_graphs then moves it into place in one
update), never straight into a target graph. A batch holds every triple of the blank nodes it
mentions, because each request is its own document and a blank node cannot span two.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef

from registry.sparql.text import dataset_of, declares_base, iri_ref, query_form
from registry.sparql import to_sparql
from registry.store.base import RESULT_TYPES, Payload, Row, Store, StoreError
from registry.store.http import Credentials, Http, Policy, StoreTimeout, StoreUnavailable, raise_for_answer
from registry.store.oxigraph import rdf_format, to_rdflib
from registry.store.terms import canonical_json, canonical_ox, from_json

__all__ = ["RemoteConfig", "RemoteStore", "StoreTimeout", "StoreUnavailable"]

RESULTS_JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"
# Virtuoso cannot take more than ~1,400 triples in one INSERT DATA (tests/servers/README.md).
MAX_INSERT_TRIPLES = 1000
_RESULT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
# (graph, total triples) -> a context giving advance(triples sent); closed however the load ends.
LoadProgress = Callable[[str, int], AbstractContextManager[Callable[[int], None]]]


@dataclass(frozen=True)
class RemoteConfig:
    """Where the server is and how to talk to it; read from flags, environment or a file (config.py)."""

    endpoint: str
    update_endpoint: str | None = None  # default: the query endpoint
    gsp_endpoint: str | None = None  # Graph Store Protocol; without it, loads use INSERT DATA
    credentials: Credentials = field(default_factory=Credentials)
    policy: Policy = field(default_factory=Policy)
    batch_size: int = 50_000  # triples per Graph Store Protocol request
    graph_prefix: str | None = None  # the registry's graphs; others (the engine's own) are not listed


def with_base(text: str, base_iri: str | None) -> str:
    """The protocol gives a remote server no base IRI, so it goes into the text: a BASE declaration first in
    the prologue (Query §4.1.1.1, grammar [5]), on the same line, so the server's error positions still name the
    user's lines. A text with a BASE of its own keeps it alone (Virtuoso refuses a second BASE)."""
    return f"BASE {iri_ref(base_iri)} {text}" if base_iri and not declares_base(text) else text


@contextmanager
def _no_progress(graph: str, total: int) -> Iterator[Callable[[int], None]]:
    yield lambda n: None


class RemoteStore(Store):
    """A SPARQL 1.1 server over HTTP; `read_only` refuses every write before it is sent."""

    def __init__(self, config: RemoteConfig, read_only: bool = False, progress: LoadProgress | None = None) -> None:
        self.config, self.read_only, self.progress = config, read_only, progress or _no_progress
        self.update_endpoint = config.update_endpoint or config.endpoint
        self.description = f"SPARQL server at {config.endpoint}"
        self.http = Http(config.credentials, config.policy)

    # -- queries ---------------------------------------------------------------------
    def _post_query(self, text: str, accept: str, default_graphs=None, named_graphs=None):
        """Protocol §2.1.2 (form-encoded POST: Virtuoso 7 never answers a `application/sparql-query` body).

        A server whose default graph is the union (Oxigraph's --union-default-graph) may apply it over the
        query's FROM clauses, so they are sent as the protocol's dataset too: the same graphs, and the
        protocol's dataset takes precedence on every server (Protocol §2.1.4)."""
        if not (default_graphs or named_graphs) and (dataset := dataset_of(text)):
            default_graphs, named_graphs = dataset
        form = [("query", text)]
        form += [("default-graph-uri", g) for g in default_graphs or []]
        form += [("named-graph-uri", g) for g in named_graphs or []]
        response = self.http.request("POST", self.config.endpoint, repeatable=True, data=form,
                                     headers={"Accept": accept})
        raise_for_answer(response, "query")
        return response

    def _results(self, text: str, default_graphs=None, named_graphs=None) -> dict:
        response = self._post_query(text, RESULTS_JSON, default_graphs, named_graphs)
        try:
            return response.json()
        except ValueError:
            raise StoreError(f"{self.config.endpoint} answered a query with something other than SPARQL JSON "
                             f"({response.headers.get('Content-Type')})") from None

    def _select(self, text: str) -> list[Row]:
        bindings = self._results(text).get("results", {}).get("bindings", [])
        return [{name: from_json(term) for name, term in row.items()} for row in bindings]

    def _ask(self, text: str) -> bool:
        answer = self._results(text).get("boolean")
        if not isinstance(answer, bool):
            raise StoreError(f"{self.config.endpoint} gave no boolean answer to an ASK query")
        return answer

    def _construct(self, text: str) -> Graph:
        graph = Graph()
        for triple in self._triples(self._post_query(text, NTRIPLES)):
            graph.add(tuple(to_rdflib(t) for t in triple))
        return graph

    def _query_bytes(self, text, media_type, default_graphs=None, named_graphs=None, base_iri=None,
                     max_bytes=None) -> bytes:  # the whole answer is read anyway: the caller checks its size
        """Re-serialised here, so the endpoint's answers carry the same canonical terms as the embedded store's."""
        text = with_base(text, base_iri)
        if query_form(text) in ("CONSTRUCT", "DESCRIBE"):  # asked for by form: Virtuoso would send triples as JSON
            response = self._post_query(text, NTRIPLES, default_graphs, named_graphs)
            return ox.serialize(self._triples(response), format=rdf_format(media_type)) or b""
        if media_type not in RESULT_TYPES:
            raise StoreError(f"unsupported results media type {media_type}")
        results = canonical_results(self._results(text, default_graphs, named_graphs))
        return ox.parse_query_results(json.dumps(results).encode(), format=ox.QueryResultsFormat.JSON) \
            .serialize(format=_RESULT_FORMATS[media_type]) or b""

    def _triples(self, response) -> list[ox.Triple]:
        """An RDF answer (N-Triples, or whatever RDF type the server chose) as canonical pyoxigraph triples.

        Blank nodes are renamed: labels are only unique within one answer, and a dump merges several.
        """
        try:
            media_type = _media_type(response)
            quads = ox.parse(response.content, format=rdf_format(NTRIPLES if media_type == "text/plain" else media_type),
                             rename_blank_nodes=True)
            return [ox.Triple(q.subject, q.predicate, canonical_ox(q.object)) for q in quads]
        except SyntaxError as exc:
            raise StoreError(f"{response.url.split('?')[0]} sent RDF that cannot be read: {exc}") from None

    # -- writes ----------------------------------------------------------------------
    def update(self, text: str, base_iri: str | None = None) -> None:
        """Protocol §2.2.1. Not repeatable: sent again after a lost answer, a `MOVE` would be applied twice."""
        self._update(with_base(text, base_iri), repeatable=False)

    def _update(self, text: str, repeatable: bool) -> None:
        self._writable()
        response = self.http.request("POST", self.update_endpoint, repeatable=repeatable, data={"update": text})
        raise_for_answer(response, "update")

    def _writable(self) -> None:
        if self.read_only:
            raise StoreError(f"{self.description} was opened read-only")

    def _load(self, payload: Payload, graph: URIRef, target: URIRef | None = None) -> None:
        self._writable()
        triples = parse_payload(payload)
        size = self.config.batch_size if self.config.gsp_endpoint else min(self.config.batch_size, MAX_INSERT_TRIPLES)
        sent = 0
        with self.progress(str(target or graph), len(triples)) as advance:
            for batch in batches(triples, size):
                try:
                    self._send(batch, graph)
                except StoreError as exc:
                    kept = " (it was not changed)" if target else ""
                    raise type(exc)(f"loading <{target or graph}> failed after {sent} of {len(triples)} triples"
                                    f"{kept}: {exc}") from exc.__cause__
                sent += len(batch.triples)
                advance(len(batch.triples))

    def _send(self, batch: Batch, graph: URIRef) -> None:
        """One batch; repeated after a lost answer only when that changes nothing (no blank nodes: set semantics)."""
        body = ox.serialize(batch.triples, format=ox.RdfFormat.N_TRIPLES) or b""
        if not self.config.gsp_endpoint:
            # Update §3.1.1 INSERT DATA; blank nodes need §3.1.3 INSERT … WHERE {} (Virtuoso refuses them in DATA).
            triples = f"GRAPH {to_sparql(graph)} {{\n{body.decode('utf-8')}}}"
            text = f"INSERT DATA {{ {triples} }}" if batch.ground else f"INSERT {{ {triples} }} WHERE {{}}"
            self._update(text, repeatable=batch.ground)
            return
        # GSP §5.5: POST merges into the graph named by ?graph= (§4.2 indirect identification).
        response = self.http.request("POST", self.config.gsp_endpoint, repeatable=batch.ground,
                                     params={"graph": str(graph)}, data=body,
                                     headers={"Content-Type": NTRIPLES})
        raise_for_answer(response, "Graph Store Protocol POST")

    # -- inspection ------------------------------------------------------------------
    def graphs(self) -> list[URIRef]:
        """Only the graphs under the registry's prefix: not the engine's own (Virtuoso's virtrdf#, …)."""
        prefix = self.config.graph_prefix
        return [g for g in super().graphs() if not prefix or str(g).startswith(prefix)]

    def count(self, graph: URIRef | None = None) -> int:
        if graph is not None or not self.config.graph_prefix:
            return super().count(graph)
        prefix = to_sparql(Literal(self.config.graph_prefix))
        rows = self._select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER (STRSTARTS(STR(?g), {prefix})) }}")
        return int(rows[0]["n"])

    def dump(self, graph: URIRef | None = None, media_type: str = "application/n-quads") -> bytes:
        if graph is not None:
            return ox.serialize(self._graph_triples(graph), format=rdf_format(media_type)) or b""
        if media_type != "application/n-quads":
            raise StoreError("the whole store can only be dumped as N-Quads")
        quads = [ox.Quad(*t, ox.NamedNode(str(g))) for g in self.graphs() for t in self._graph_triples(g)]
        return ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""

    def _graph_triples(self, graph: URIRef) -> list[ox.Triple]:
        """GSP §5.2 GET where there is a Graph Store, else a CONSTRUCT of the graph."""
        if not self.config.gsp_endpoint:
            text = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {to_sparql(graph)} {{ ?s ?p ?o }} }}"
            return self._triples(self._post_query(text, NTRIPLES))
        response = self.http.request("GET", self.config.gsp_endpoint, repeatable=True, params={"graph": str(graph)},
                                     headers={"Accept": NTRIPLES})
        if response.status_code == 404:  # GSP §5.2: no such graph; the embedded store dumps it as empty
            return []
        raise_for_answer(response, "Graph Store Protocol GET")
        return self._triples(response)

    def close(self) -> None:
        self.http.close()


@dataclass(frozen=True)
class Batch:
    triples: list[ox.Triple]
    ground: bool  # no blank nodes: sending it twice changes nothing


def parse_payload(payload: Payload) -> list[ox.Triple]:
    """Every triple of a payload, parsed before anything is sent (a syntax error must not cost half a load)."""
    try:
        quads = ox.parse(payload.data, format=rdf_format(payload.media_type))
        return [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
    except (SyntaxError, ValueError) as exc:
        raise StoreError(f"cannot load {payload.media_type} data: {exc}") from exc


def batches(triples: Iterable[ox.Triple], size: int) -> Iterator[Batch]:
    """Ground triples in runs of `size`; triples with blank nodes grouped so that each blank node's
    triples travel together (a group larger than `size` is sent alone)."""
    ground: list[ox.Triple] = []
    groups = _BlankGroups()
    for triple in triples:
        if isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode):
            groups.add(triple)
            continue
        ground.append(triple)
        if len(ground) == size:
            yield Batch(ground, True)
            ground = []
    if ground:
        yield Batch(ground, True)
    pending: list[ox.Triple] = []
    for group in groups.groups():
        if pending and len(pending) + len(group) > size:
            yield Batch(pending, False)
            pending = []
        pending.extend(group)
    if pending:
        yield Batch(pending, False)


class _BlankGroups:
    """Union-find over blank nodes: triples that share a blank node, directly or through others, stay together."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.triples: list[tuple[str, ox.Triple]] = []

    def _find(self, node: str) -> str:
        self.parent.setdefault(node, node)
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def add(self, triple: ox.Triple) -> None:
        nodes = [t.value for t in (triple.subject, triple.object) if isinstance(t, ox.BlankNode)]
        roots = [self._find(n) for n in nodes]
        for root in roots[1:]:
            self.parent[root] = roots[0]
        self.triples.append((nodes[0], triple))

    def groups(self) -> list[list[ox.Triple]]:
        grouped: dict[str, list[ox.Triple]] = {}
        for node, triple in self.triples:
            grouped.setdefault(self._find(node), []).append(triple)
        return list(grouped.values())


def canonical_results(results: dict) -> dict:
    """SPARQL JSON results with every term in canonical form (terms.canonical_json)."""
    for row in results.get("results", {}).get("bindings", []):
        for name, term in row.items():
            row[name] = canonical_json(term)
    return results


def _media_type(response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()
