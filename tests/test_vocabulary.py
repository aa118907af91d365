"""Every term of the registry's namespace that data, shapes or queries use is defined in the ontology."""

from __future__ import annotations

import re

from rdflib import Graph, URIRef

from registry.build.seeds import parse_ontology
from registry.namespaces import KPI

from .conftest import ROOT

_TERM = re.compile(r"\bkpi:([A-Za-z][\w]*)")


def defined() -> set[URIRef]:
    """Terms the ontology describes (classes and properties carry rdfs:label; code lists skos:prefLabel)."""
    return {s for s in parse_ontology().subjects() if isinstance(s, URIRef) and str(s).startswith(str(KPI))}


def test_terms_in_the_built_store_are_defined(staged):
    used = {t for g in staged.values() for triple in g for t in triple
            if isinstance(t, URIRef) and str(t).startswith(str(KPI))}
    assert sorted(used - defined()) == []


def test_terms_in_shapes_and_queries_are_defined():
    known = {str(t)[len(str(KPI)):] for t in defined()}
    used: dict[str, set[str]] = {}
    for path in [*(ROOT / "queries").glob("*.rq"), *(ROOT / "shapes").glob("*.ttl")]:
        for name in _TERM.findall(path.read_text(encoding="utf-8")):
            used.setdefault(name, set()).add(path.name)
    shapes = Graph()
    for path in (ROOT / "shapes").glob("*.ttl"):
        shapes.parse(path)
    local = {str(s)[len(str(KPI)):] for s in shapes.subjects() if str(s).startswith(str(KPI))}  # shapes' own names
    assert {name: sorted(files) for name, files in used.items() if name not in known | local} == {}
