"""The HTML page of a resource: its statements for everyone, plus sections for KPIs, cities and
the ontology, each filled by one query from queries/.

A city page shows whatever the store holds about the city (submissions, values, and anything else
that points at it, such as scores), so new kinds of data appear on it without a code change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import render_template
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from registry import sparql as queries
from registry.namespaces import KPI, KS
from registry.store import Row, Store
from registry.submissions.numbers import as_printed

TITLE_PROPERTIES = (SKOS.prefLabel, RDFS.label, DCTERMS.title)
INBOUND_SHOWN = 50  # links per property shown before "and N more"
INBOUND_LIMIT = 2000  # the LIMIT of list_resource_inlinks.rq


@dataclass(frozen=True)
class Value:
    """An RDF term as a page shows it: with its English and Norwegian labels and notation."""

    term: Node | None
    label: str | None = None
    label_nb: str | None = None
    notation: str | None = None


@dataclass
class Section:
    """A heading (English, Norwegian) over a list of links or a table."""

    heading: str
    heading_nb: str
    links: list[Value] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[Value]] = field(default_factory=list)


@dataclass
class PropertyGroup:
    property: URIRef
    label: str | None
    values: list[Value] = field(default_factory=list)


def _text(term: Node | None) -> str | None:
    return None if term is None else str(term)


def _value(row: Row, term: str, label: str = "labelEn", label_nb: str = "labelNb", notation: str = "notation") -> Value:
    return Value(row.get(term), _text(row.get(label)), _text(row.get(label_nb)), _text(row.get(notation)))


def group(rows: Iterable[Row], term: str) -> dict[URIRef, PropertyGroup]:
    """Rows of (property, term, labels) grouped by property, in query order."""
    groups: dict[URIRef, PropertyGroup] = {}
    for row in rows:
        prop = row["property"]
        groups.setdefault(prop, PropertyGroup(prop, _text(row.get("propertyLabel")))).values.append(_value(row, term))
    return groups


def titles(statements: list[Row]) -> tuple[str | None, str | None, str | None]:
    """English title, Norwegian title and notation of a resource, from its own statements."""
    def first(predicate) -> str | None:
        return next((str(r["value"]) for p in TITLE_PROPERTIES for r in statements
                     if r["property"] == p and isinstance(r["value"], Literal) and predicate(r["value"])), None)

    en = first(lambda lit: lit.language in (None, "en") or lit.language.startswith("en-"))
    nb = first(lambda lit: lit.language == "nb")
    notation = next((str(r["value"]) for r in statements if r["property"] == SKOS.notation), None)
    return en, nb, notation


def _links(groups: dict[URIRef, PropertyGroup], *properties: URIRef, namespace: str = "") -> list[Value]:
    return [v for p in properties if p in groups for v in groups[p].values if str(v.term).startswith(namespace)]


def kpi_sections(store: Store, kpi: URIRef, own: dict[URIRef, PropertyGroup]) -> list[Section]:
    """A KPI's category, data points, SDG goals and targets, KS concept and the cities that report it."""
    sections = [Section("Category", "Kategori", links=_links(own, KPI.inCategory))]
    datapoints = store.select(queries.load("list_kpi_datapoints"), {"kpi": kpi})
    sections.append(Section("Data points", "Datapunkter", columns=["Data point", "Name", "Navn", "Unit"], rows=[
        [Value(r["dataPoint"], _text(r["key"])), Value(r.get("labelEn")), Value(r.get("labelNb")),
         Value(r.get("unit"), _text(r.get("unitLabel")))] for r in datapoints]))
    for prop, heading, heading_nb in ((KPI.sdgGoal, "SDG goals", "Bærekraftsmål"),
                                      (KPI.sdgTarget, "SDG targets", "Delmål"),
                                      (KPI.sdgIndicator, "SDG indicators", "Indikatorer for bærekraftsmålene")):
        if prop in own:
            sections.append(Section(heading, heading_nb, links=own[prop].values))
    sections.append(Section("KS concept", "KS-begrep", links=_links(own, SKOS.exactMatch, SKOS.narrowMatch, namespace=str(KS))))
    reports = store.select(queries.load("list_kpi_reports"), {"kpi": kpi})
    sections.append(Section("Cities reporting it", "Byer som rapporterer den",
                            columns=["City", "Round", "Data point", "Value", "Status"], rows=[
        [Value(r["city"], _text(r.get("cityName"))), Value(r.get("round"), _text(r.get("roundId"))),
         Value(r["dataPoint"], _text(r["dataPointKey"])), Value(_as_printed(r)), Value(r.get("statusLabel"))]
        for r in reports]))
    return sections


def _as_printed(row: Row) -> Literal | None:
    """The row's value with the decimals the city gave (`96.00`), still typed as stored."""
    value, decimals = row.get("value"), row.get("decimals")
    return value if value is None or decimals is None else Literal(as_printed(value, decimals), datatype=value.datatype)


def city_sections(store: Store, city: URIRef) -> tuple[list[Section], set[Node]]:
    """A city's submissions and everything it submitted; also returns the resources shown, so the
    generic "referenced by" list does not repeat them."""
    submissions = store.select(queries.load("list_city_submissions"), {"city": city})
    items = store.select(queries.load("list_city_items"), {"city": city})
    sections = [
        Section("Submissions", "Innsendinger", columns=["Submission", "Round", "Observations"], rows=[
            [Value(r["submission"], _text(r.get("title"))), Value(r.get("round"), _text(r.get("roundId"))),
             Value(r.get("observations"))] for r in submissions]),
        Section("Values reported", "Rapporterte verdier",
                columns=["Round", "Data point", "Name", "Value", "Unit", "Status", "Verification", "Reason",
                         "Year", "Data quality", "Source"], rows=[
            [Value(r.get("round"), _text(r.get("roundId"))), Value(r["item"], _text(r.get("dataPointKey"))),
             Value(r["dataPoint"], _text(r.get("dataPointLabel"))), Value(_as_printed(r)), Value(r.get("unitLabel")),
             Value(r.get("statusLabel")), Value(r.get("verificationLabel")), Value(r.get("reason")),
             Value(r.get("year")), Value(r.get("qualityLabel")), Value(r.get("source"), _text(r.get("sourceTitle")))]
            for r in items]),
    ]
    shown = {r["submission"] for r in submissions} | {r["item"] for r in items}
    return sections, shown


def ontology_sections(store: Store, ontology: URIRef) -> list[Section]:
    terms = store.select(queries.load("list_ontology_terms"), {"ontology": ontology})
    return [Section("Terms", "Begreper", columns=["Term", "Kind", "Label", "Etikett", "Definition"], rows=[
        [Value(r["term"], _text(r.get("labelEn"))), Value(r.get("kind")), Value(r.get("labelEn")),
         Value(r.get("labelNb")), Value(r.get("comment"))] for r in terms])]


def resource_page(context, iri: URIRef, is_graph: bool) -> str:
    store = context.store
    statements = store.select(queries.load("list_resource_statements"), {"resource": iri})
    inlinks = store.select(queries.load("list_resource_inlinks"), {"resource": iri})
    own = group(statements, "value")
    types = {v.term for v in own[RDF.type].values} if RDF.type in own else set()
    sections: list[Section] = []
    shown: set[Node] = set()
    if KPI.KPI in types:
        sections += kpi_sections(store, iri, own)
    if KPI.City in types:
        city, shown = city_sections(store, iri)
        sections += city
    if OWL.Ontology in types:
        sections += ontology_sections(store, iri)
    inbound = group((r for r in inlinks if r["subject"] not in shown), "subject")
    title, title_nb, notation = titles(statements)
    graph_size = store.count(iri) if is_graph else None
    return render_template("resource.html", iri=iri, title=title, title_nb=title_nb, notation=notation,
                           types=own.get(RDF.type), sections=sections, statements=own.values(),
                           inbound=inbound.values(), inbound_shown=INBOUND_SHOWN, graph_size=graph_size,
                           inbound_limited=len(inlinks) >= INBOUND_LIMIT)
