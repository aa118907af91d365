"""OWL-RL inference over the ontology and the catalogue, into its own named graph.

Only the small, slowly changing graphs are closed (owlrl needs minutes per 100k triples);
observations are never fed to it. The inferred graph holds closure − input, so a triple is
asserted in exactly one graph and union-graph queries see it once.
"""

from __future__ import annotations

import owlrl
from rdflib import Graph, Literal
from rdflib.namespace import OWL, RDF

from registry.catalogue.rdf import new_graph


def closure(*graphs: Graph) -> Graph:
    """The OWL 2 RL closure of the union of `graphs` (W3C OWL 2 Profiles §4.3 rules, via owlrl)."""
    union = Graph()
    for g in graphs:
        union += g
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(union)
    return union


def inferred(*graphs: Graph) -> Graph:
    """What OWL-RL adds to `graphs`, less what RDF cannot state or says nothing.

    owlrl types literals (`"5" rdf:type xsd:decimal`), which is not RDF, and makes every resource
    `owl:sameAs` itself; both are dropped.
    """
    closed = closure(*graphs)
    for g in graphs:
        closed -= g
    out = new_graph()
    for s, p, o in closed:
        if isinstance(s, Literal) or (p == OWL.sameAs and s == o):
            continue
        out.add((s, p, o))
    return out


def unsatisfiable(closed: Graph) -> list:
    """Individuals the closure puts into owl:Nothing: the ontology contradicts the data."""
    return sorted(closed.subjects(RDF.type, OWL.Nothing))
