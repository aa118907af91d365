"""Deterministic RDF files: canonical blank-node labels (RGDA1), sorted N-Triples, and Turtle and JSON-LD
serialised from those sorted lines, so rdflib meets the triples in one fixed order."""

from __future__ import annotations

import json

import pyoxigraph as ox
from rdflib import BNode, Graph, Namespace
from rdflib.compare import to_canonical_graph
from rdflib.namespace import VOID

from registry.namespaces import PREFIXES
from registry.store import Store
from registry.publication.datasets import SPDX, STAT, VCARD, Dataset


def dataset_graph(store: Store, dataset: Dataset) -> Graph:
    """The union of the dataset's graphs with canonical blank-node labels."""
    g = Graph()
    for graph in dataset.graphs:
        g.parse(data=store.dump(graph, "application/n-triples"), format="nt")
    return canonical(g)


def canonical(g: Graph) -> Graph:
    """Blank nodes relabelled by content (RGDA1), so the same triples always get the same labels."""
    if not any(isinstance(t, BNode) for triple in g for t in triple):
        return g
    out = Graph()
    for triple in to_canonical_graph(g):
        out.add(triple)
    return out


def sorted_ntriples(g: Graph) -> bytes:
    lines = sorted(set(g.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines()) - {""})
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def serialisations(g: Graph) -> dict[str, bytes]:
    """Turtle, N-Triples and JSON-LD of one (canonical) graph, each byte-identical for the same triples.

    Turtle is written by Oxigraph from the sorted triples: rdflib's Turtle writer rewrites literal
    forms ("100"^^xsd:decimal becomes 100.0), which is the same value but not the same RDF term.
    """
    nt = sorted_ntriples(g)
    prefixes = {prefix: str(ns) for prefix, ns in sorted(_prefixes().items())}
    turtle = ox.serialize(ox.parse(nt, format=ox.RdfFormat.N_TRIPLES), format=ox.RdfFormat.TURTLE,
                          prefixes=prefixes)
    ordered = Graph(bind_namespaces="none")
    for triple in sorted(g, key=lambda t: " ".join(term.n3() for term in t)):
        ordered.add(triple)  # not parsed from `nt`: a parser would give blank nodes random labels
    return {
        "ttl": turtle or b"",
        "nt": nt,
        "jsonld": _stable_jsonld(ordered.serialize(format="json-ld", context=prefixes)),
    }


def _stable_jsonld(text: str) -> bytes:
    """rdflib orders JSON-LD nodes by hash (varies per process): sort every array but `@list`s."""
    return (json.dumps(_sorted_json(json.loads(text)), ensure_ascii=False, indent=1, sort_keys=True)
            + "\n").encode("utf-8")


def _sorted_json(node, key: str = ""):
    if isinstance(node, dict):
        return {k: _sorted_json(v, k) for k, v in node.items()}
    if isinstance(node, list):
        items = [_sorted_json(v) for v in node]
        return items if key == "@list" else sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return node


def _prefixes() -> dict[str, Namespace]:
    return {**PREFIXES, "void": Namespace(str(VOID)), "spdx": SPDX, "vcard": VCARD, "stat": STAT}
