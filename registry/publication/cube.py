"""RDF Data Cube well-formedness: normalisation (Data Cube §10.2) and integrity constraints IC-1 … IC-21 (§11.1).

The constraints are the spec's own ASK queries (`queries/ic_*.rq`, true = violated), except IC-12,
which is the same test as a grouped key check. They hold only on a *normalised* cube, and
normalising adds triples, so the cube is copied into a scratch in-memory store first: checking
never writes to the store it checks.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, URIRef

from registry import sparql
from registry.store import OxigraphStore, Payload, Store

CUBE = URIRef("urn:kpi-registry:cube")  # the scratch store's one graph: a set, so no duplicates
NORMALISATION = ("normalise_phase1", "normalise_phase2")  # §10.2: phase 2 needs phase 1's triples
TEMPLATE = sparql.TEMPLATE


@dataclass(frozen=True)
class Failure:
    """A violated integrity constraint: its id (`IC-12`) and what it requires."""

    ic: str
    message: str


def constraints() -> list[sparql.QueryFile]:
    """IC-1 … IC-21 in order (one `.rq` file each)."""
    return sorted((q for q in sparql.available() if q.name.startswith("ic_")), key=lambda q: q.name)


def ic_id(query: sparql.QueryFile) -> str:
    return f"IC-{int(query.name.split('_')[1])}"


def check_integrity(source: Store | Graph) -> list[Failure]:
    """The integrity constraints that `source` violates after normalisation; [] when it is well-formed."""
    with OxigraphStore() as scratch:
        _copy(source, scratch)
        normalise(scratch)
        return [Failure(ic_id(q), q.title) for q in constraints() if _violated(scratch, q)]


def normalise(scratch: Store) -> None:
    """Add the §10.2 closure to the scratch graph, phase by phase (only ever on a scratch store)."""
    for name in NORMALISATION:
        added = scratch.construct(sparql.load(name))
        if len(added):
            scratch.load(added, CUBE)


def _copy(source: Store | Graph, scratch: Store) -> None:
    if isinstance(source, Graph):
        scratch.load(source, CUBE)
        return
    for graph in source.graphs():
        scratch.load(Payload(source.dump(graph, "application/n-triples")), CUBE)


def _violated(scratch: Store, query: sparql.QueryFile) -> bool:
    if TEMPLATE not in query.text:
        return scratch.ask(query)
    return any(scratch.ask(text) for text in _instances(scratch, query))


def _instances(scratch: Store, query: sparql.QueryFile) -> list[str]:
    """IC-20 / IC-21 once per qb:parentChildProperty (inverse ones for IC-21); none: nothing to check.

    The property is written in by `sparql.to_sparql`, the one escaping function, because a SPARQL 1.1
    property path cannot take a variable, so the spec's template cannot be a VALUES binding.
    """
    wants_inverse = query.name.startswith("ic_21")
    rows = scratch.select(sparql.load("list_parent_child_properties"))
    return [query.text.replace(TEMPLATE, sparql.to_sparql(r["property"])) for r in rows
            if (str(r["inverse"]) == "true") == wants_inverse]
