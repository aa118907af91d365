"""The ontology parses, documents every term, and is consistent with the catalogue under OWL-RL."""

from __future__ import annotations

from rdflib import Literal
from rdflib.namespace import OWL, RDF, RDFS

from registry.build.seeds import parse_ontology
from registry.catalogue.infer import closure, unsatisfiable
from registry.namespaces import KPI

TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)


def test_every_term_has_label_and_comment():
    g = parse_ontology()
    terms = {s for t in TERM_TYPES for s in g.subjects(RDF.type, t) if str(s).startswith(str(KPI))}
    assert len(terms) > 40
    undocumented = sorted(t for t in terms if not (g.value(t, RDFS.label) and g.value(t, RDFS.comment)))
    assert undocumented == []


def test_hierarchy_classes_have_norwegian_labels():
    g = parse_ontology()
    for cls in (KPI.Dimension, KPI.SubDimension, KPI.Category, KPI.KPI, KPI.DataPoint):
        assert any(isinstance(l, Literal) and l.language == "nb" for l in g.objects(cls, RDFS.label)), cls


def test_owl_rl_closure_has_no_member_of_nothing(staged, iris):
    closed = closure(staged[iris.g_ontology], staged[iris.g_catalogue])
    assert unsatisfiable(closed) == []
    assert (None, RDF.type, OWL.Nothing) not in closed
