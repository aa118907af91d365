"""The embedded default store: Oxigraph (RocksDB on disk, or in memory for tests).

Chosen over rdflib's in-memory store because it answers the registry's aggregate queries
tens of times faster (see README, Performance) and persists with zero setup.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from registry.sparql.text import has_dataset_clause, update_request
from registry.store.base import (STAGING, Derived, GraphData, Payload, ResultTooLarge, Row, Store, StoreError,
                                 insert_data, split_nquads)
from registry.store.files import exchange_directories

_RDF_FORMATS = {
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/trig": ox.RdfFormat.TRIG,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}
_RESULT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
_XSD_STRING = str(XSD.string)
# Quads a bulk write may remove from a copy of the store; above this, it rebuilds the copy without them.
REBUILD_ABOVE = 200_000


def rdf_format(media_type: str) -> ox.RdfFormat:
    try:
        return _RDF_FORMATS[media_type]
    except KeyError:
        raise StoreError(f"unsupported RDF media type {media_type}") from None


def to_rdflib(term: ox.NamedNode | ox.Literal | ox.BlankNode | None):
    """Oxigraph term → rdflib term (xsd:string literals become plain, as SPARQL JSON gives them)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        return Literal(term.value) if dt == _XSD_STRING else Literal(term.value, datatype=URIRef(dt))
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    return None


def memo_to_rdflib() -> Callable[[ox.NamedNode | ox.Literal | ox.BlankNode], object]:
    """to_rdflib remembering its answers for one result: a result repeats few distinct terms (IRIs, small
    numbers), and building an rdflib Literal costs microseconds (3 s of 3.4 s for 112,000 score rows)."""
    seen: dict = {}

    def convert(term):
        found = seen.get(term)
        if found is None:
            found = seen[term] = to_rdflib(term)
        return found

    return convert


class _BoundedBuffer:
    """A write-only buffer that raises ResultTooLarge instead of growing past `limit` bytes (None: no limit)."""

    def __init__(self, limit: int | None) -> None:
        self.limit, self.size, self._parts = limit, 0, []

    def write(self, data) -> int:
        self.size += len(data)
        if self.limit is not None and self.size > self.limit:
            raise ResultTooLarge(self.limit)
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: the bytes are kept."""

    def getvalue(self) -> bytes:
        return b"".join(self._parts)


class OxigraphStore(Store):
    """Oxigraph through pyoxigraph; `path=None` keeps the dataset in memory."""

    updates_read_union = False  # pyoxigraph's update has no union option: its WHERE reads the default graph

    def __init__(self, path: Path | str | None = None, read_only: bool = False) -> None:
        self.path = Path(path) if path else None
        self.read_only = read_only
        self.description = f"embedded Oxigraph store at {self.path}" if self.path else "in-memory Oxigraph store"
        try:
            if self.path is None:
                self._ox = ox.Store()
            elif read_only:
                self._ox = ox.Store.read_only(str(self.path))
            else:
                self.path.mkdir(parents=True, exist_ok=True)
                self._ox = ox.Store(str(self.path))
                self._remove_copies()
        except OSError as exc:
            raise StoreError(f"cannot open {self.description}: {exc}") from exc

    def _remove_copies(self) -> None:
        """Copies bulk_replace left when its process was killed (each as large as the store). Only the
        writer holding the store's lock makes copies, and that lock is now ours: every copy is a leftover."""
        for copy in self.path.parent.glob(f".{self.path.name}.bulk-*"):
            if copy.is_dir():
                shutil.rmtree(copy, ignore_errors=True)
            else:  # a dump a rebuild was reading (_rebuild_without)
                copy.unlink(missing_ok=True)

    def _run(self, text: str, **kwargs):
        """The store's default graph is the union of its named graphs unless the request (`default_graph`,
        `named_graphs`) or the query (FROM, FROM NAMED) names a dataset, which then replaces it: SPARQL 1.1
        Query §13.2, Protocol §2.1.4. Oxigraph's union option would override FROM, so it is set only then."""
        union = not (kwargs.get("default_graph") or kwargs.get("named_graphs") or has_dataset_clause(text))
        try:
            return self._ox.query(text, use_default_graph_as_union=union, **kwargs)
        except SyntaxError as exc:
            raise StoreError(f"SPARQL syntax error: {exc}") from exc
        except (OSError, RuntimeError, ValueError) as exc:
            raise StoreError(f"query failed on {self.description}: {exc}") from exc

    def _select(self, text: str) -> list[Row]:
        solutions = self._run(text)
        names = [v.value for v in solutions.variables]
        convert = memo_to_rdflib()
        return [{n: convert(t) for n, t in zip(names, s) if t is not None} for s in solutions]

    def _ask(self, text: str) -> bool:
        return bool(self._run(text))

    def _construct(self, text: str) -> Graph:
        data = self._run(text).serialize(format=ox.RdfFormat.N_TRIPLES)
        return Graph().parse(data=data or b"", format="nt")

    def _query_bytes(self, text, media_type, default_graphs=None, named_graphs=None, base_iri=None,
                     max_bytes: int | None = None) -> bytes:
        """Oxigraph writes into a buffer that refuses to grow past `max_bytes`; evaluation is lazy, so it
        stops there too, and an oversized result costs no more memory than the limit."""
        kwargs = {"base_iri": base_iri} if base_iri else {}
        if default_graphs:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
        if named_graphs:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        result = self._run(text, **kwargs)
        graph_result = isinstance(result, ox.QueryTriples)
        if not graph_result and media_type not in _RESULT_FORMATS:
            raise StoreError(f"unsupported results media type {media_type}")
        buffer = _BoundedBuffer(max_bytes)
        try:  # solutions are computed while they are written: evaluation errors surface here
            result.serialize(buffer, format=rdf_format(media_type) if graph_result else _RESULT_FORMATS[media_type])
        except ResultTooLarge:
            raise
        except (OSError, RuntimeError, ValueError) as exc:
            raise StoreError(f"query failed on {self.description}: {exc}") from exc
        return buffer.getvalue()

    def update(self, text: str, base_iri: str | None = None) -> None:
        try:
            self._ox.update(text, base_iri=base_iri)
        except SyntaxError as exc:
            raise StoreError(f"SPARQL Update syntax error: {exc}") from exc
        except (OSError, RuntimeError, ValueError) as exc:
            raise StoreError(f"update failed on {self.description}: {exc}") from exc

    def replace_graphs(self, graphs: Mapping[URIRef, GraphData], append: Mapping[URIRef, Graph] | None = None,
                       then: Sequence[str] = ()) -> None:
        """All of it in one SPARQL Update request, which Oxigraph applies as one transaction: readers, and a
        writer killed at any moment, see the old graphs or the new ones. No staging graph is made (while it
        lived it would be part of the union default graph); one left by an older version goes in the same
        transaction. It costs more than a bulk load (250,000 triples: 3.7 s against 2.0 s here), which is
        nothing for a submission or a build; a whole directory of submissions goes through bulk_replace."""
        leftovers = [g for g in self._all_graphs() if str(g).startswith(STAGING)]
        operations = [f"DROP SILENT GRAPH <{g}>" for g in [*leftovers, *graphs]]
        inserts = [*graphs.items(), *((g, data) for g, data in (append or {}).items() if len(data))]
        self.update(update_request([*operations, insert_data(inserts), *then]))

    def _load(self, payload: Payload, graph: URIRef, target: URIRef | None = None) -> None:
        try:
            self._ox.bulk_load(payload.data, format=rdf_format(payload.media_type), to_graph=ox.NamedNode(str(graph)))
        except (SyntaxError, ValueError, OSError) as exc:
            raise StoreError(f"cannot load into <{target or graph}>: {exc}") from exc

    def _all_graphs(self) -> list[URIRef]:
        """From Oxigraph's graph index: no scan of the quads."""
        return sorted(URIRef(g.value) for g in self._ox.named_graphs() if isinstance(g, ox.NamedNode))

    def bulk_replace(self, nquads: Path, replace: Collection[URIRef], derive: Sequence[Derived] = ()) -> None:
        """On disk: bulk-load into a copy of the store, derive there, then swap the copy in.

        One SPARQL MOVE per graph would rewrite every quad in a single transaction held in memory (20 s and
        1.8 GB for 476,000 quads), so the new state is built beside the store instead: a RocksDB checkpoint
        (hard links), the replaced graphs removed and the file bulk-loaded there, then both directories
        exchanged in one rename. Readers, and a crash at any point, see the old store or the new one. Derived
        graphs are computed in the copy too, by their CONSTRUCT queries, and bulk-loaded: an INSERT of a
        million derived quads would be one transaction held in memory, like the MOVE.
        """
        if self.path is None or self.read_only:
            # An Oxigraph update reads its own default graph, not the union: the derivations name their dataset.
            graphs, append = split_nquads(nquads, {URIRef(g) for g in replace})
            dataset = sorted({*self.graphs(), *graphs, *append, *(d.graph for d in derive)})
            return self.replace_graphs(graphs, append, [u for d in derive for u in d.as_updates(dataset)])
        copy = self.path.with_name(f".{self.path.name}.bulk-{uuid.uuid4().hex[:12]}")
        dropped = [*replace, *(d.graph for d in derive)]
        try:
            if self._size(dropped) > REBUILD_ABOVE:
                self._rebuild_without(copy, dropped)
            else:
                self._ox.backup(str(copy))
            _load_copy(copy, nquads, dropped, derive)
            self._ox.flush()
            del self._ox
            try:
                exchange_directories(copy, self.path)
            finally:
                self._ox = ox.Store(str(self.path))
        except (SyntaxError, ValueError, OSError) as exc:
            raise StoreError(f"cannot bulk-load {nquads} into {self.description}: {exc}") from exc
        finally:
            shutil.rmtree(copy, ignore_errors=True)  # the unused copy, or after the swap the old store

    def _size(self, graphs: Sequence[URIRef]) -> int:
        """How many quads these graphs hold (counted in the engine, not fetched)."""
        present = [g for g in graphs if self._ox.contains_named_graph(ox.NamedNode(str(g)))]
        return sum(int(next(iter(self._ox.query(f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{g}> {{ ?s ?p ?o }} }}")))[0].value)
                   for g in present)

    def _rebuild_without(self, copy: Path, dropped: Sequence[URIRef]) -> None:
        """A new store at `copy` holding everything but `dropped`, by dump and bulk load: Oxigraph removes a quad
        in a transaction (about 90 µs a quad for a 4-million-quad graph: six minutes), and reloads one in about
        6 µs, so a write that replaces a large graph (every score of a set) rebuilds instead of removing."""
        drop = {f"<{g}>".encode() for g in dropped}
        whole, kept = copy.with_name(copy.name + ".all.nq"), copy.with_name(copy.name + ".kept.nq")
        try:
            self._ox.dump(str(whole), format=ox.RdfFormat.N_QUADS)
            with whole.open("rb") as source, kept.open("wb") as target:
                for line in source:  # the last IRI of an N-Quads line is its graph's
                    if line[line.rfind(b"<"):line.rfind(b">") + 1] not in drop:
                        target.write(line)
            whole.unlink()
            fresh = ox.Store(str(copy))
            try:
                fresh.bulk_load(path=kept, format=ox.RdfFormat.N_QUADS)
                fresh.flush()
            finally:
                del fresh
        finally:
            whole.unlink(missing_ok=True)
            kept.unlink(missing_ok=True)

    def dump(self, graph: URIRef | None = None, media_type: str = "application/n-quads") -> bytes:
        fmt = rdf_format(media_type)
        if graph is None:
            return self._ox.dump(format=fmt) or b""
        return self._ox.dump(format=fmt, from_graph=ox.NamedNode(str(graph))) or b""

    def construct_to_file(self, query: str, path: Path) -> None:
        """A CONSTRUCT over the union of the graphs, written as N-Triples while it is evaluated: what the bulk
        write does with each derivation (a file, not a few hundred MB of bytes in memory)."""
        _construct_to_file(self._ox, query, path)

    def close(self) -> None:
        if self.path is not None and not self.read_only:  # a read-only store refuses flush()
            self._ox.flush()
        del self._ox


def _construct_to_file(store: ox.Store, query: str, path: Path) -> None:
    """The derivations name no dataset (FROM): their default graph is the union of the graphs."""
    try:
        store.query(query, use_default_graph_as_union=True).serialize(path, ox.RdfFormat.N_TRIPLES)
    except SyntaxError as exc:
        raise StoreError(f"SPARQL syntax error: {exc}") from exc
    except (OSError, RuntimeError, ValueError) as exc:  # evaluation errors surface while it is written
        raise StoreError(f"cannot derive into {path}: {exc}") from exc


def _load_copy(directory: Path, nquads: Path, dropped: Collection[URIRef], derive: Sequence[Derived]) -> None:
    """Replace the graphs in the copy, derive, then compact it: the bulk loader leaves many overlapping files,
    and a query's index look-ups cost about four times as much until they are merged (20 µs against 5 µs)."""
    copy = ox.Store(str(directory))
    try:
        for graph in dropped:
            if copy.contains_named_graph(ox.NamedNode(str(graph))):
                copy.remove_graph(ox.NamedNode(str(graph)))
        copy.bulk_load(path=nquads, format=ox.RdfFormat.N_QUADS)
        triples = directory.with_name(directory.name + ".derived.nt")  # a file, not a few hundred MB of bytes
        try:
            for derived in derive:
                for query in derived.queries:
                    _construct_to_file(copy, query, triples)
                    copy.bulk_load(path=triples, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(str(derived.graph)))
        finally:
            triples.unlink(missing_ok=True)
        copy.optimize()
        copy.flush()
    finally:
        del copy
