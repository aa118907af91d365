"""Every rule either cites the text it enforces or is a warning that says it is the registry's advice (issue 17).

A rule that refuses input must rest on the methodology, the report or a standard: its constraint carries
dcterms:source, a citation naming the document (dcterms:isPartOf), the place in it (dcterms:title) and its words
(dcterms:description). A rule without one may only warn, and its message says it is advice.
"""

from __future__ import annotations

import re

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from registry.namespaces import KPI, SH
from registry.submissions.validate import shapes

from .conftest import ROOT

FILES = ("observation.ttl", "submission.ttl", "benchmark.ttl", "taxonomy.ttl")


def constraints(graph: Graph):
    """(rule id, constraint node, its severity): a property shape's own, a SPARQL constraint's shape's (SHACL §2.1.4)."""
    for node, rule in graph.subject_objects(KPI.ruleId):
        owner = graph.value(predicate=SH.sparql, object=node) or node
        yield str(rule), node, graph.value(owner, SH.severity) or SH.Violation


@pytest.mark.parametrize("name", FILES)
def test_every_rule_cites_its_source_or_is_advice(name):
    graph = shapes(name)
    found = list(constraints(graph))
    assert found, name
    for rule, node, severity in found:
        sources = list(graph.objects(node, DCTERMS.source))
        for source in sources:
            assert isinstance(graph.value(source, DCTERMS.isPartOf), URIRef), (rule, source)
            for prop in (DCTERMS.title, DCTERMS.description):
                assert isinstance(graph.value(source, prop), Literal) and str(graph.value(source, prop)).strip(), (rule, prop)
        if not sources:
            assert severity == SH.Warning, f"{rule} refuses input but cites no source"
            assert "advice" in str(graph.value(node, SH.message)), f"{rule}: a warning without a source says it is advice"


def test_rules_page_names_every_rule_of_the_shapes():
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    ids = {rule for name in FILES for rule, _, _ in constraints(shapes(name))}
    assert {r for r in ids if not re.search(rf"\| {re.escape(r)}\b", text)} == set()
