"""What a submission file may state: its own submission, round, verification and items, nothing else.

A Turtle or JSON-LD file could hold any triple, and whatever import stores is part of the union default
graph: a line about a catalogue KPI would give it a second label, a node of another city's would change
that city's scores. So before SHACL looks at a file, every triple is checked against this closed model
(rule MOD-1, docs/rules.md): its subject is one of the nodes the submission of *this* city and round
consists of (with the http(s) documents its items cite as sources, which may have a title and nothing
else), its predicate one that kind of node has, and the properties that say whose it is name this
city, round and submission. The CSV parser builds only such triples; the check runs on its graphs too,
so the model and the parser cannot drift apart.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV, RDF, RDFS, XSD
from rdflib.term import Node

from registry.namespaces import IRIs, KPI, QB, SDMX_ATTRIBUTE, owned_by_registry, slug
from registry.submissions.staged import ASSURANCE, GYEAR, Problem, Staged, web_address_problem
from registry.submissions.numbers import MAX_DIGITS
from registry.submissions.parse import COLUMN_OF
from registry.submissions.numbers import number_problem

Check = Callable[[Node], str | None]


def literal(o: Node) -> str | None:
    return None if isinstance(o, Literal) else "must be a literal"


def iri(o: Node) -> str | None:
    return None if isinstance(o, URIRef) else "must be an IRI"


def term(o: Node) -> str | None:
    return None if isinstance(o, (URIRef, Literal)) else "must be an IRI or a literal"


def one_of(*allowed: Node) -> Check:
    return lambda o: None if o in allowed else f"must be {' or '.join(a.n3() for a in allowed)}"


def number(o: Node) -> str | None:
    """A value of a numeric datatype must be one the store holds exactly (rule NUM-1, as for CSV cells);
    its lexical form must be XSD's own, without the decimal comma a CSV cell may use."""
    if not isinstance(o, Literal):
        return "must be a literal"
    if o.datatype not in (XSD.decimal, XSD.integer):
        return None  # another datatype is rule OBS-6's to refuse, with the data point's expected type
    lexical = str(o)
    if "," in lexical or number_problem(lexical) or o.ill_typed:
        why = number_problem(lexical) or "not a valid literal of its datatype (XSD 1.1 Part 2 §3.3.3)"
        return why
    return None


def year(o: Node) -> str | None:
    """A reference year's literal; one typed xsd:gYear must be well-formed, as a value must be (NUM-1): rdflib
    cannot read an ill-formed one, and another datatype is rule OBS-13's to refuse."""
    if not isinstance(o, Literal):
        return "must be a literal"
    return None if o.datatype != XSD.gYear or GYEAR.fullmatch(str(o)) else \
        "not a valid xsd:gYear (XSD 1.1 Part 2 §3.3.11), such as 2019"


def decimals(o: Node) -> str | None:
    ok = isinstance(o, Literal) and o.datatype == XSD.integer and not o.ill_typed and 0 < int(o) <= MAX_DIGITS
    return None if ok else f"must be a whole number of decimals from 1 to {MAX_DIGITS}"


@dataclass(frozen=True)
class Own:
    """The nodes the submission of one city and round consists of."""

    city: URIRef
    submission: URIRef
    round: URIRef
    verification: URIRef
    round_id: str
    items: str  # the namespace of its items
    agents: str  # the namespace of agents; a verifier's IRI is minted from the name (round_graph)
    base: str  # the registry's IRI base: a source is a document outside it


def own_nodes(iris: IRIs, staged: Staged) -> Own:
    city, round_id = staged.city, staged.round_id
    return Own(iris.city(city.key), iris.submission(city.slug, round_id), iris.round(city.slug, round_id),
               iris.verification(city.slug, round_id), round_id, str(iris.observation(city.slug, round_id, "")),
               str(iris.agent("")), iris.base)


def source_of(own: Own) -> Check:
    """An item's source: its text, or the document at an http(s) address outside the registry and the
    vocabularies it uses (a source's title is stated about that IRI, which must never be a registry node)."""
    def check(o: Node) -> str | None:
        if isinstance(o, Literal):
            return None
        if not isinstance(o, URIRef):
            return "must be a literal or an http(s) IRI"
        if why := web_address_problem(str(o)):
            return f"a source IRI {why}"
        return "a source is a document outside the registry, not a registry IRI" if owned_by_registry(o, own.base) else None
    return check


def model(own: Own) -> dict[str, dict[URIRef, Check]]:
    """Each kind of node and the predicates it may have, each with the check of its object."""
    identity = {KPI.city: one_of(own.city), KPI.round: one_of(own.round)}
    return {
        "submission": {RDF.type: one_of(KPI.Submission, QB.DataSet), QB.structure: one_of(KPI.dsd),
                       KPI.city: identity[KPI.city], KPI.round: identity[KPI.round], DCTERMS.title: literal},
        "round": {RDF.type: one_of(KPI.ReportingRound), KPI.city: identity[KPI.city],
                  KPI.roundId: one_of(Literal(own.round_id)), RDFS.label: literal, DCTERMS.title: literal,
                  DCTERMS.source: term, RDFS.comment: literal, KPI.reportIssued: literal,
                  KPI.verification: one_of(own.verification)},
        "verification": {RDF.type: one_of(KPI.Verification), KPI.completed: literal,
                         KPI.assuranceLevel: one_of(*ASSURANCE.values()), PROV.wasAssociatedWith: iri},
        "agent": {RDF.type: one_of(PROV.Agent, FOAF.Person), FOAF.name: literal},
        "item": {RDF.type: one_of(KPI.Observation, KPI.ItemNonResponse, QB.Observation),
                 KPI.submission: one_of(own.submission), QB.dataSet: one_of(own.submission), **identity,
                 KPI.dataPoint: iri, KPI.reportingStatus: iri, KPI.unit: iri, KPI.value: number,
                 KPI.verificationStatus: iri, KPI.reason: literal, RDFS.comment: literal,
                 DCTERMS.source: source_of(own), SDMX_ATTRIBUTE.decimals: decimals, KPI.dataQuality: iri,
                 KPI.dataOrigin: literal, KPI.referencePeriod: year},
        "source": {DCTERMS.title: literal},
    }


def kind_of(node: Node, own: Own, g: Graph) -> str | None:
    """Which of the submission's nodes `node` is, or None when it is none of them."""
    fixed = {own.submission: "submission", own.round: "round", own.verification: "verification"}
    if node in fixed:
        return fixed[node]
    if not isinstance(node, URIRef):
        return None
    if is_item(node, own):
        return "item"
    if str(node).startswith(own.agents) and (own.verification, PROV.wasAssociatedWith, node) in g:
        return "agent"
    # A document one of the items cites (not one a source cites: sources citing sources are no part of it).
    if source_of(own)(node) is None and any(is_item(s, own) for s in g.subjects(DCTERMS.source, node)):
        return "source"
    return None


def is_item(node: Node, own: Own) -> bool:
    local = str(node).removeprefix(own.items)
    return isinstance(node, URIRef) and local != str(node) and bool(local) and "/" not in local


def model_problems(iris: IRIs, staged: Staged) -> list[Problem]:
    """MOD-1 violations naming the triples outside the model (one per foreign subject, which may bring
    hundreds), NUM-1 for a value beyond range."""
    own = own_nodes(iris, staged)
    kinds = model(own)
    found, foreign = [], {}
    for s, p, o in sorted(staged.graph):
        kind = kind_of(s, own, staged.graph)
        if kind is None:
            foreign.setdefault(s, []).append((s, p, o))
            continue
        reason = f"a {kind} has no property {p.n3()}" if p not in kinds[kind] else kinds[kind][p](o)
        if kind == "agent" and reason is None and p == FOAF.name and s != iris.agent(slug(str(o))):
            reason = f"the verifier named {str(o)!r} is <{iris.agent(slug(str(o)))}>"
        if reason:
            rule = "NUM-1" if kind == "item" and p == KPI.value and isinstance(o, Literal) else "MOD-1"
            found.append(_problem(rule, [(s, p, o)], reason, staged))
    found += [_problem("MOD-1", triples, _outside(s, staged, own), staged) for s, triples in foreign.items()]
    return found


def _problem(rule: str, triples: list[tuple[Node, Node, Node]], reason: str, staged: Staged) -> Problem:
    s, p = triples[0][0], triples[0][1]
    line = staged.lines.get(s)
    more = f" (and {len(triples) - 1} more triple{'s' * (len(triples) > 2)} about it)" if len(triples) > 1 else ""
    return Problem(rule, f"{_triple(*triples[0])}{more}: {reason}", file=staged.source, line=line,
                   focus=str(s), cell=staged.cell(line, COLUMN_OF.get(p, "data_point_id")))


def _outside(s: Node, staged: Staged, own: Own) -> str:
    whose = f"city {staged.city.slug}, round {staged.round_id}"
    return (f"not part of this submission ({whose}): a file may state only its own submission, round, "
            f"verification and items <{own.items}…>" if isinstance(s, URIRef)
            else f"a blank node is not part of this submission ({whose}): its items and round are IRIs")


def _triple(s: Node, p: Node, o: Node) -> str:
    with warnings.catch_warnings():  # rdflib warns when it writes an ill-typed literal, which is what we name
        warnings.simplefilter("ignore")
        text = " ".join(t.n3() for t in (s, p, o))
    return text if len(text) <= 200 else text[:200] + "…"
