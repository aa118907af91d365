"""The Store interface: what the rest of the registry may ask of a triple store.

Every backend returns the same types (rdflib terms and graphs, bytes), so no caller knows
which engine it talks to. Writes of named graphs are atomic: data is staged in temporary
graphs and moved into place by one SPARQL Update (SPARQL 1.1 Update §3.2.5 MOVE), which a
backend executes as one transaction, so a failed load never leaves a graph half-written.
"""

from __future__ import annotations

import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.term import Node

from registry.sparql import QueryFile, bind
from registry.sparql.text import construct_as_insert, update_request, with_using

Row = dict[str, Node]
Bindings = Mapping[str, Node | list[Node] | None] | None

# SPARQL 1.1 Query Results and RDF media types every backend can produce.
RESULT_TYPES = {
    "application/sparql-results+json", "application/sparql-results+xml",
    "text/csv", "text/tab-separated-values",
}
RDF_TYPES = {"text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml", "application/n-quads"}


class StoreError(RuntimeError):
    """The store could not do what was asked; the message names the store and the cause."""


class ResultTooLarge(StoreError):
    """A serialised result passed the size its caller allows; serialisation stopped there."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the result is larger than {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class Payload:
    """Serialised RDF on its way into a graph (a file, an upload, a generated dump)."""

    data: bytes
    media_type: str = "application/n-triples"


GraphData = Graph | Payload


@dataclass(frozen=True)
class Derived:
    """A named graph that is a function of the others (scores of the submissions, say): after a write, it
    becomes the triples its CONSTRUCT queries give, run in order, each seeing what the ones before it wrote."""

    graph: URIRef
    queries: tuple[str, ...]

    def as_updates(self, dataset: list[URIRef] | None = None) -> list[str]:
        """The same as SPARQL Update operations, for a write that runs in one request (Update §3.1.3). With
        `dataset`, each reads those graphs (USING and USING NAMED): for a store whose default graph in an
        update is not the union of its named graphs."""
        inserts = [construct_as_insert(q, self.graph) for q in self.queries]
        if dataset:
            inserts = [with_using(u, list(map(str, dataset)), list(map(str, dataset))) for u in inserts]
        return [f"DROP SILENT GRAPH <{self.graph}>", *inserts]


def as_payload(data: GraphData) -> Payload:
    if isinstance(data, Payload):
        return data
    return Payload(data.serialize(format="nt", encoding="utf-8"))


STAGING = "urn:kpi-registry:staging:"
# No load runs this long: an older staging graph was left behind by a writer that died (or lost its server).
STALE_STAGING = 24 * 3600


def staging_iri() -> URIRef:
    """A new staging graph; its name carries its creation time, so leftovers can be recognised later."""
    return URIRef(f"{STAGING}{int(time.time())}:{uuid.uuid4()}")


def is_stale_staging(graph: URIRef, now: float) -> bool:
    created = str(graph).removeprefix(STAGING).split(":", 1)[0] if str(graph).startswith(STAGING) else ""
    return created.isdigit() and now - int(created) > STALE_STAGING


def insert_data(graphs: Iterable[tuple[URIRef, GraphData]]) -> str:
    """One `INSERT DATA` of several graphs (N-Triples lines are valid SPARQL triples, Update §3.1.1). One
    operation, not one per graph: a blank node may not be shared by two operations of a request (§19.6),
    and the same blank node can stand in two graphs."""
    blocks = [f"GRAPH <{graph}> {{\n{as_ntriples(data).decode('utf-8')}}}" for graph, data in graphs]
    return "INSERT DATA {\n" + "\n".join(blocks) + "\n}"


def as_ntriples(data: GraphData) -> bytes:
    payload = as_payload(data)
    if payload.media_type == "application/n-triples":
        return payload.data
    triples = ox.parse(payload.data, format=ox.RdfFormat.from_media_type(payload.media_type))
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""


def split_nquads(path: Path, replace: Collection[URIRef]) -> tuple[dict[URIRef, Payload], dict[URIRef, Graph]]:
    """An N-Quads file as replace_graphs takes it: the graphs to replace (empty when the file has none of
    their quads) and, as rdflib graphs, the quads to add to other graphs."""
    triples: dict[URIRef, list[ox.Triple]] = {URIRef(g): [] for g in replace}
    for quad in ox.parse(path=path, format=ox.RdfFormat.N_QUADS):
        triples.setdefault(URIRef(quad.graph_name.value), []).append(quad.triple)
    data = {g: ox.serialize(t, format=ox.RdfFormat.N_TRIPLES) or b"" for g, t in triples.items()}
    return ({g: Payload(data[URIRef(g)]) for g in replace},
            {g: Graph().parse(data=d, format="nt") for g, d in data.items() if g not in replace})


def query_text(query: str | QueryFile, bindings: Bindings) -> str:
    if isinstance(query, QueryFile):
        return query.bind(dict(bindings or {}))
    return bind(query, dict(bindings or {})) if bindings else query


class Store(ABC):
    """A SPARQL 1.1 dataset whose default graph is the union of its named graphs."""

    description: str
    # Whether an update's WHERE reads the union of the named graphs, as the registry's queries do (true of the
    # remote servers it supports, docs/portability.md); where not, an update names the graphs it reads (USING).
    updates_read_union: bool = True

    # -- queries ---------------------------------------------------------------------
    def select(self, query: str | QueryFile, bindings: Bindings = None) -> list[Row]:
        return self._select(query_text(query, bindings))

    def ask(self, query: str | QueryFile, bindings: Bindings = None) -> bool:
        return self._ask(query_text(query, bindings))

    def construct(self, query: str | QueryFile, bindings: Bindings = None) -> Graph:
        return self._construct(query_text(query, bindings))

    def query_bytes(
        self, query: str | QueryFile, media_type: str, bindings: Bindings = None,
        default_graphs: list[str] | None = None, named_graphs: list[str] | None = None, base_iri: str | None = None,
        max_bytes: int | None = None,
    ) -> bytes:
        """Run a query and return its results serialised as `media_type` (for the endpoint); relative IRIs in
        it resolve against `base_iri` (Query §4.1.1.1), which the endpoint sets to its own URL. A backend may
        stop with ResultTooLarge as soon as the result passes `max_bytes`; the caller checks the size anyway."""
        return self._query_bytes(query_text(query, bindings), media_type, default_graphs, named_graphs, base_iri,
                                 max_bytes)

    @abstractmethod
    def _select(self, text: str) -> list[Row]: ...

    @abstractmethod
    def _ask(self, text: str) -> bool: ...

    @abstractmethod
    def _construct(self, text: str) -> Graph: ...

    @abstractmethod
    def _query_bytes(self, text: str, media_type: str, default_graphs, named_graphs, base_iri, max_bytes) -> bytes: ...

    # -- writes ----------------------------------------------------------------------
    @abstractmethod
    def update(self, text: str, base_iri: str | None = None) -> None:
        """Run a SPARQL 1.1 Update as one transaction; relative IRIs resolve against `base_iri`."""

    @abstractmethod
    def _load(self, payload: Payload, graph: URIRef, target: URIRef | None = None) -> None:
        """Add a payload's triples to `graph` (bulk, not transactional); `target` is the graph they are
        meant for when `graph` is a staging graph (messages name it)."""

    def load(self, data: GraphData, graph: URIRef) -> int:
        """Add triples to a named graph; returns the graph's size afterwards."""
        self._load(as_payload(data), graph)
        return self.count(graph)

    def replace_graphs(self, graphs: Mapping[URIRef, GraphData], append: Mapping[URIRef, Graph] | None = None,
                       then: Sequence[str] = ()) -> None:
        """Replace several named graphs at once: all of them change, or none does.

        `append` adds small graphs (provenance records) to existing graphs in the same transaction, and
        `then` runs SPARQL updates after the writes, in it too (the derived data of what was written).
        Staging graphs left behind by a writer that died more than a day ago are dropped first: they
        would otherwise stay in the union default graph.
        """
        self.drop_stale_staging()
        staged: dict[URIRef, URIRef] = {}
        try:
            for target, data in graphs.items():
                staged[target] = staging_iri()
                self._load(as_payload(data), staged[target], target)
            operations = [f"DROP SILENT GRAPH <{t}> ;\nMOVE SILENT GRAPH <{s}> TO <{t}>" for t, s in staged.items()]
            if any(len(data) for data in (append or {}).values()):
                operations.append(insert_data((g, data) for g, data in append.items() if len(data)))
            self.update(update_request([*operations, *then]))
        except BaseException:
            for s in staged.values():
                self.clear_quietly(s)
            raise

    def bulk_replace(self, nquads: Path, replace: Collection[URIRef], derive: Sequence[Derived] = ()) -> None:
        """Write a large N-Quads file in one step: each graph in `replace` becomes the file's quads for it, the
        file's quads for other graphs are added to those graphs, and each graph of `derive` is computed
        afterwards from the result; all of it is written, or none.

        This default reads the file into memory and calls replace_graphs, deriving with SPARQL Update in the
        same request; the embedded store on disk loads and derives in a copy of itself instead
        (OxigraphStore.bulk_replace).
        """
        graphs, append = split_nquads(nquads, {URIRef(g) for g in replace})
        self.replace_graphs(graphs, append, [u for d in derive for u in d.as_updates()])

    def replace_graph(self, graph: URIRef, data: GraphData) -> None:
        self.replace_graphs({graph: data})

    def clear(self, graph: URIRef) -> None:
        self.update(f"DROP SILENT GRAPH <{graph}>")

    def drop_stale_staging(self) -> None:
        now = time.time()
        for graph in self._all_graphs():
            if is_stale_staging(graph, now):
                self.clear_quietly(graph)

    def clear_quietly(self, graph: URIRef) -> None:
        """Best-effort clean-up of a staging graph while another error is on its way up."""
        try:
            self.clear(graph)
        except Exception:  # noqa: BLE001 - the original error matters more
            pass

    # -- inspection ------------------------------------------------------------------
    def graphs(self) -> list[URIRef]:
        """The registry's named graphs (not staging graphs, nor a remote engine's own graphs)."""
        return [g for g in self._all_graphs() if not str(g).startswith(STAGING)]

    def _all_graphs(self) -> list[URIRef]:
        rows = self._select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g")
        return [r["g"] for r in rows]

    def count(self, graph: URIRef | None = None) -> int:
        text = (f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}" if graph
                else "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        return int(self._select(text)[0]["n"])

    def has_graph(self, graph: URIRef) -> bool:
        return self._ask(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")

    @abstractmethod
    def dump(self, graph: URIRef | None = None, media_type: str = "application/n-quads") -> bytes:
        """Serialise one graph, or the whole dataset as N-Quads."""

    def close(self) -> None:
        """Release the store (file locks, connections)."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
