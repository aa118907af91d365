"""`publish`: the registry as a static linked-data release a statistics bureau can mirror.

A release is a directory of files rendered from the store and nothing else: RDF dumps of each
dataset (Turtle, N-Triples, JSON-LD), the observations as CSV with CSVW metadata and as JSON-stat
2.0, a DCAT-AP-NO catalogue, a VoID description and SHA-256 checksums. Rendering is
deterministic, so publishing the same store twice gives byte-identical files:

* blank nodes get canonical labels (RGDA1, rdflib.compare) and N-Triples lines are sorted;
* Turtle and JSON-LD are serialised from a graph parsed from those sorted lines, so rdflib meets
  the triples in one fixed order;
* no timestamp comes from the clock: issued / modified are the data's own dates
  (queries/dataset_dates.rq), and are left out where the data has none.

Before anything is written, the published cube is checked against Data Cube IC-1 … IC-21.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, VOID, XSD

from registry import sparql
from registry.cube import Failure, check_integrity
from registry.namespaces import KPI, KS, PREFIXES, QB, SDG, SDMX_ATTRIBUTE, IRIs
from registry.store import Store
from registry.submission import Catalogue

Progress = Callable[[str], None]

SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
STAT = Namespace("http://data.europa.eu/(xyz)/statdcat-ap/")  # StatDCAT-AP 1.0.1
EU = "http://publications.europa.eu/resource/authority/"
THEME = Namespace(EU + "data-theme/")
FILE_TYPE = Namespace(EU + "file-type/")
LANGUAGE = Namespace(EU + "language/")
IANA = "http://www.iana.org/assignments/media-types/"
NORWAY = URIRef(EU + "country/NOR")
# The registry's own data (catalogue, ontology, observations as the registry publishes them):
# CC BY 4.0. Copies of other bodies' data (UN SDG concepts, KS's taxonomy) keep their own terms.
CC_BY = URIRef(EU + "licence/CC_BY_4_0")
PUBLIC = URIRef(EU + "access-right/PUBLIC")
UN_SDG_KOS = URIRef("http://metadata.un.org/sdg/")
KS_VOCABULARY = URIRef(str(KS))

FORMATS = {  # dump suffix → (media type, EU file type, rdflib format)
    "ttl": ("text/turtle", FILE_TYPE.RDF_TURTLE, "turtle"),
    "nt": ("application/n-triples", FILE_TYPE.RDF_N_TRIPLES, "nt"),
    "jsonld": ("application/ld+json", FILE_TYPE.JSON_LD, "json-ld"),
}
TABLE = "tables/observations.csv"
TABLE_METADATA = "tables/observations.csv-metadata.json"
JSONSTAT = "tables/observations.jsonstat.json"
CHECKSUMS = "SHA256SUMS"


# ---------------------------------------------------------------------------------------------
# What is published
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Dataset:
    """One published dataset: the named graphs it is made of and how the catalogue describes it."""

    key: str  # dump path without suffix, e.g. "observations/alesund"
    graphs: tuple[URIRef, ...]
    title: dict[str, str]  # language → text (en, nb)
    description: dict[str, str]
    themes: tuple[URIRef, ...]
    spatial: tuple[URIRef, ...] = ()
    own_data: bool = True  # False: a copy of another body's data, published under its terms
    source: URIRef | None = None
    cube: bool = False


@dataclass
class Release:
    """Every file of a release as bytes, by path relative to the release directory."""

    files: dict[str, bytes] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    observations: int = 0
    triples: int = 0

    def sizes(self) -> dict[str, int]:
        return {path: len(data) for path, data in sorted(self.files.items())}


@dataclass(frozen=True)
class Submission:
    iri: URIRef
    city: URIRef
    slug: str
    city_name: str
    round_id: str
    report_issued: str | None


def submissions(store: Store) -> list[Submission]:
    return [Submission(r["submission"], r["city"], str(r["slug"]), str(r["cityName"]), str(r["roundId"]),
                       str(r["reportIssued"]) if "reportIssued" in r else None)
            for r in store.select(sparql.load("list_publication_submissions"))]


def datasets(store: Store, iris: IRIs, subs: list[Submission]) -> list[Dataset]:
    """The catalogue, the UN SDG concepts, each city's observations and each taxonomy graph present."""
    found = set(store.graphs())
    out = [
        Dataset("catalogue", (iris.g_ontology, iris.g_catalogue, iris.g_inferred, iris.g_cities),
                {"en": "U4SSC KPI catalogue and registry ontology",
                 "nb": "U4SSC-indikatorkatalog og registerets ontologi"},
                {"en": "The U4SSC key performance indicators for smart sustainable cities (ITU-T Y.4903): "
                       "dimensions, sub-dimensions, categories, 91 KPIs and 112 data points with units and SDG "
                       "alignments as SKOS; the registry's OWL ontology with the Data Cube structure of the "
                       "city observations; the reporting cities.",
                 "nb": "U4SSC-nøkkelindikatorene for smarte og bærekraftige byer (ITU-T Y.4903): dimensjoner, "
                       "underdimensjoner, kategorier, 91 indikatorer og 112 datapunkter med enheter og koblinger "
                       "til bærekraftsmålene som SKOS; registerets OWL-ontologi med datakubestrukturen for "
                       "byenes observasjoner; byene som rapporterer."},
                (THEME.REGI, THEME.GOVE)),
        Dataset("sdg", (iris.g_sdg,),
                {"en": "UN Sustainable Development Goals, targets and indicators (copy)",
                 "nb": "FNs bærekraftsmål, delmål og indikatorer (kopi)"},
                {"en": "The UN's SDG goals, targets and indicators with the UN's own IRIs, as the UN Statistics "
                       "Division's SDG knowledge organisation system publishes them; copied so that the "
                       "catalogue's SDG links resolve offline. Published under the UN's terms.",
                 "nb": "FNs bærekraftsmål, delmål og indikatorer med FNs egne IRI-er, slik FNs statistikkontor "
                       "publiserer dem; kopiert slik at katalogens koblinger kan slås opp uten nett. Publisert "
                       "på FNs vilkår."},
                (THEME.INTR,), own_data=False, source=UN_SDG_KOS),
    ]
    out += [_city_dataset(iris, [s for s in subs if s.slug == slug]) for slug in sorted({s.slug for s in subs})]
    taxonomy, repair = str(iris.graph("taxonomy")) + "/", iris.g_taxonomy("repair")
    out += [_taxonomy_dataset(g, str(g)[len(taxonomy):]) for g in sorted(found)
            if str(g).startswith(taxonomy) and g != repair]
    out.append(_repair_dataset(repair))
    return [d for d in out if any(g in found for g in d.graphs)]


def _city_dataset(iris: IRIs, subs: list[Submission]) -> Dataset:
    first = subs[0]
    rounds = ", ".join(s.round_id for s in subs)
    return Dataset(
        f"observations/{first.slug}", tuple(iris.g_submission(s.slug, s.round_id) for s in subs),
        {"en": f"U4SSC KPI observations: {first.city_name}", "nb": f"U4SSC-indikatorobservasjoner: {first.city_name}"},
        {"en": f"The values {first.city_name} reported for the U4SSC data points, with units, reporting and "
               f"verification status and the reasons for values not reported; an RDF Data Cube, one data set "
               f"per reporting round ({rounds}).",
         "nb": f"Verdiene {first.city_name} rapporterte for U4SSC-datapunktene, med enheter, rapporterings- og "
               f"verifiseringsstatus og begrunnelser for verdier som ikke er rapportert; en RDF-datakube med ett "
               f"datasett per rapporteringsrunde ({rounds})."},
        (THEME.REGI, THEME.ECON, THEME.ENVI, THEME.SOCI), (NORWAY, first.city), cube=True)


def _taxonomy_dataset(graph: URIRef, source: str) -> Dataset:
    return Dataset(
        f"taxonomy/{source}", (graph,),
        {"en": f"Norway's national SDG indicator taxonomy ({source})",
         "nb": f"Nasjonal indikatortaksonomi for bærekraftsmålene ({source})"},
        {"en": "KS's national SDG indicator taxonomy as published on data.norge.no, as loaded into the registry; "
               "published under KS's terms.",
         "nb": "KS' nasjonale indikatortaksonomi for bærekraftsmålene slik den er publisert på data.norge.no og "
               "lastet inn i registeret; publisert på KS' vilkår."},
        (THEME.REGI, THEME.GOVE), (NORWAY,), own_data=False, source=KS_VOCABULARY)


def _repair_dataset(graph: URIRef) -> Dataset:
    """The registry's own corrections of KS's data: ours to license, unlike the taxonomy itself."""
    return Dataset(
        "taxonomy/repair", (graph,),
        {"en": "Repairs of the national SDG indicator taxonomy",
         "nb": "Rettelser av den nasjonale indikatortaksonomien for bærekraftsmålene"},
        {"en": "The registry's corrections of defects in KS's published taxonomy (data/taxonomy/repairs.tsv), each "
               "with the rule that found the defect and the statement it supersedes; KS's data are unchanged.",
         "nb": "Registerets rettelser av feil i KS' publiserte taksonomi (data/taxonomy/repairs.tsv), hver med "
               "regelen som fant feilen og utsagnet den erstatter; KS' data er uendret."},
        (THEME.REGI, THEME.GOVE), (NORWAY,))


# ---------------------------------------------------------------------------------------------
# Deterministic RDF dumps
# ---------------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------------
# Observations as a table: CSV + CSVW metadata (W3C Metadata Vocabulary for Tabular Data)
# ---------------------------------------------------------------------------------------------
# (column, titles, datatype, property (None: for people only, suppressed in RDF), value is an IRI)
COLUMNS: tuple[tuple[str, str, str, URIRef | None, bool], ...] = (
    ("city_name", "City", "string", None, False),
    ("round_id", "Reporting round", "string", None, False),
    ("kpi_code", "KPI code", "string", None, False),
    ("data_point_id", "Data point id", "string", None, False),
    ("data_point_name", "Data point", "string", None, False),
    ("value", "Value (number)", "decimal", KPI.value, False),
    ("value_integer", "Value (count)", "integer", KPI.value, False),
    ("value_boolean", "Value (yes/no)", "boolean", KPI.value, False),
    ("decimals", "Decimals given", "integer", SDMX_ATTRIBUTE.decimals, False),
    ("unit_label", "Unit", "string", None, False),
    ("status", "Reporting status", "string", None, False),
    ("verification", "Verification status", "string", None, False),
    ("comment", "Note", "string", RDFS.comment, False),
    ("reason", "Reason not reported", "string", KPI.reason, False),
    ("source", "Source", "string", DCTERMS.source, False),
    ("item", "Item IRI", "anyURI", None, True),
    ("item_type", "Item type IRI", "anyURI", RDF.type, True),
    ("cube_type", "Data Cube type IRI", "anyURI", RDF.type, True),
    ("submission", "Submission IRI", "anyURI", KPI.submission, True),
    ("dataset", "Data set IRI", "anyURI", QB.dataSet, True),
    ("city", "City IRI", "anyURI", KPI.city, True),
    ("round", "Reporting round IRI", "anyURI", KPI.round, True),
    ("data_point", "Data point IRI", "anyURI", KPI.dataPoint, True),
    ("unit", "Unit IRI", "anyURI", KPI.unit, True),
    ("status_iri", "Reporting status IRI", "anyURI", KPI.reportingStatus, True),
    ("verification_iri", "Verification status IRI", "anyURI", KPI.verificationStatus, True),
)
_VALUE_COLUMN = {XSD.decimal: "value", XSD.integer: "value_integer", XSD.boolean: "value_boolean"}


def item_rows(store: Store) -> list[dict[str, str]]:
    """One row per submission item, cells as CSV text (empty = absent)."""
    return [_row(r) for r in store.select(sparql.load("list_submission_items"))]


def _row(r: dict) -> dict[str, str]:
    cell = {k: ("" if r.get(v) is None else str(r[v])) for k, v in (
        ("city_name", "cityName"), ("round_id", "roundId"), ("kpi_code", "kpiCode"), ("data_point_id", "dataPointId"),
        ("data_point_name", "dataPointName"), ("unit_label", "unitLabel"), ("status", "statusCode"),
        ("verification", "verificationCode"), ("comment", "comment"), ("reason", "reason"), ("source", "source"),
        ("item", "item"), ("item_type", "itemType"), ("cube_type", "cubeType"), ("submission", "submission"),
        ("dataset", "dataset"), ("city", "city"), ("round", "round"), ("data_point", "dataPoint"), ("unit", "unit"),
        ("status_iri", "status"), ("verification_iri", "verification"), ("city_key", "cityKey"), ("slug", "slug"),
        ("decimals", "decimals"))}
    for column in _VALUE_COLUMN.values():
        cell[column] = ""
    value = r.get("value")
    if value is not None:
        cell[_VALUE_COLUMN.get(value.datatype, "value")] = str(value)
    return cell


TABLE_KEY = "item"  # the CSVW primaryKey of tables/observations.csv


def key_failures(rows: list[dict[str, str]]) -> list[Failure]:
    """Rows sharing the table's primary key: CSVW (Tabular Data Model §4.4, primary keys) makes such a
    table invalid, and a consumer would count the observation twice."""
    counts = Counter(r[TABLE_KEY] for r in rows)
    return [Failure("CSVW-PK", f"{TABLE}: primary key {TABLE_KEY} {key} appears in {n} rows")
            for key, n in sorted(counts.items()) if n > 1]


def observations_csv(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, [c[0] for c in COLUMNS], lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def csvw_metadata(download: str) -> bytes:
    """CSVW metadata: csv2rdf (minimal mode) over the CSV gives back the submission items of the cube."""
    columns = []
    for name, title, datatype, prop, is_iri in COLUMNS:
        column: dict = {"name": name, "titles": title, "datatype": datatype}
        if prop is None:
            column["suppressOutput"] = True
        else:
            column["propertyUrl"] = str(prop)
        if is_iri and prop is not None:
            column["valueUrl"] = "{+" + name + "}"
        columns.append(column)
    metadata = {
        "@context": ["http://www.w3.org/ns/csvw", {"@language": "en"}],
        "@id": download + TABLE_METADATA,
        "url": "observations.csv",
        "dc:title": "U4SSC KPI observations of the registry's cities",
        "dc:description": "One row per submission item: a value a city reported (a qb:Observation of the "
                          "registry's RDF Data Cube) or a data point it did not report (kpi:ItemNonResponse, "
                          "with the reason). The value is in value, value_integer or value_boolean according "
                          "to the unit's datatype. Columns ending in IRI link back to the linked data.",
        "dc:license": {"@id": str(CC_BY)},
        "dialect": {"header": True, "encoding": "utf-8"},
        "tableSchema": {"columns": columns, "aboutUrl": "{+item}", "primaryKey": TABLE_KEY},
    }
    return (json.dumps(metadata, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# ---------------------------------------------------------------------------------------------
# Observations as JSON-stat 2.0 (the format Statistics Norway's API serves)
# ---------------------------------------------------------------------------------------------
def jsonstat(rows: list[dict[str, str]], catalogue: Catalogue, download: str) -> bytes:
    """A dense city × round × data point cube; yes/no values as 1/0, item non-responses as null."""
    cities = _categories(rows, "city_key", "city_name")
    rounds = _categories(rows, "round_key", "round_label")
    points = {e.id: e for e in catalogue.entries.values()}
    size = [len(cities), len(rounds), len(points)]
    values: list[float | int | None] = [None] * (size[0] * size[1] * size[2])
    status: dict[str, str] = {}
    point_index = {key: n for n, key in enumerate(points)}
    for r in rows:
        at = (cities[r["city_key"]][0] * size[1] + rounds[r["round_key"]][0]) * size[2] + point_index[r["data_point_id"]]
        values[at] = _number(r)
        if r["status"] != "reported":
            status[str(at)] = r["status"]
    doc = {
        "version": "2.0",
        "class": "dataset",
        "href": download + JSONSTAT,
        "label": "U4SSC KPI observations of the registry's cities",
        "source": "U4SSC KPI registry; values from the cities' U4SSC verification reports",
        "note": ["Yes/no data points: 1 = yes, 0 = no.",
                 "null: not reported (status not_reported) or not part of the city's submission."],
        "id": ["city", "round", "data_point"],
        "size": size,
        "role": {"geo": ["city"], "metric": ["data_point"]},
        "dimension": {
            "city": _dimension("City", cities),
            "round": _dimension("Reporting round", rounds),
            "data_point": {
                "label": "Data point",
                "category": {
                    "index": point_index,
                    "label": {k: f"{e.kpi_code} {e.name}" for k, e in points.items()},
                    "unit": {k: {"label": e.unit_as_printed} for k, e in points.items()},
                },
            },
        },
        "value": values,
        "status": status,
        "link": {"alternate": [{"type": "text/csv", "href": download + TABLE}]},
    }
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _categories(rows: list[dict[str, str]], key: str, label: str) -> dict[str, tuple[int, str]]:
    seen: dict[str, str] = {}
    for r in rows:
        seen.setdefault(r[key], r[label])
    return {k: (n, seen[k]) for n, k in enumerate(seen)}


def _dimension(label: str, categories: dict[str, tuple[int, str]]) -> dict:
    return {"label": label, "category": {"index": {k: n for k, (n, _) in categories.items()},
                                         "label": {k: text for k, (_, text) in categories.items()}}}


def _number(r: dict[str, str]) -> float | int | None:
    if r["value_boolean"]:
        return 1 if r["value_boolean"] == "true" else 0
    text = r["value_integer"] or r["value"]
    if not text:
        return None
    number = Decimal(text)
    return int(number) if number == number.to_integral_value() else float(number)


# ---------------------------------------------------------------------------------------------
# DCAT-AP-NO catalogue (with StatDCAT-AP on the cube datasets) and VoID
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Published:
    """A dataset as rendered: its graph and the bytes of each of its dump files."""

    dataset: Dataset
    graph: Graph
    files: dict[str, bytes]  # path → bytes


class Describer:
    """Builds catalog.ttl and void.ttl for one release; IRIs under the registry's base."""

    def __init__(self, store: Store, iris: IRIs, download: str) -> None:
        self.store, self.iris, self.download = store, iris, download
        self.catalog = iris._iri("data", "catalog")
        self.publisher = iris.agent("u4ssc-kpi-registry")
        self.contact = URIRef(f"{self.publisher}#contact")
        self.endpoint = iris._iri("sparql")

    def dataset_iri(self, key: str) -> URIRef:
        return self.iris._iri("data", "dataset", *key.split("/"))

    # -- DCAT --------------------------------------------------------------------------------
    def dcat(self, published: list[Published], table_files: dict[str, bytes], subs: list[Submission]) -> Graph:
        g = Graph()
        self._agents(g)
        self._catalog(g, [p.dataset.graphs for p in published])
        for p in published:
            node = self._dataset(g, p.dataset, [s for s in subs if s.slug in p.dataset.key.split("/")])
            for path, data in sorted(p.files.items()):
                self._distribution(g, node, path, data, p.dataset)
        self._observations(g, published, table_files, subs)
        self._service(g, [self.dataset_iri(p.dataset.key) for p in published])
        return g

    def _agents(self, g: Graph) -> None:
        g.add((self.publisher, RDF.type, FOAF.Agent))
        g.add((self.publisher, RDF.type, FOAF.Organization))
        g.add((self.publisher, FOAF.name, Literal("U4SSC KPI registry", lang="en")))
        g.add((self.publisher, FOAF.name, Literal("U4SSC-indikatorregisteret", lang="nb")))
        g.add((self.contact, RDF.type, VCARD.Organization))
        g.add((self.contact, VCARD.fn, Literal("U4SSC KPI registry")))
        g.add((self.contact, VCARD.hasURL, URIRef(self.iris.base)))

    def _catalog(self, g: Graph, graphs: list[tuple[URIRef, ...]]) -> None:
        c = self.catalog
        g.add((c, RDF.type, DCAT.Catalog))
        self._texts(g, c, DCTERMS.title, {"en": "U4SSC KPI registry", "nb": "U4SSC-indikatorregisteret"})
        self._texts(g, c, DCTERMS.description, {
            "en": "Linked-data release of the U4SSC key performance indicators for smart sustainable cities: the "
                  "KPI catalogue, the UN SDG concepts it links to, Norwegian cities' reported values as an RDF "
                  "Data Cube, and Norway's national SDG indicator taxonomy.",
            "nb": "Lenkede data fra U4SSC-indikatorene for smarte og bærekraftige byer: indikatorkatalogen, FNs "
                  "bærekraftsmål den kobles til, norske byers rapporterte verdier som RDF-datakube, og den "
                  "nasjonale indikatortaksonomien for bærekraftsmålene."})
        g.add((c, DCTERMS.publisher, self.publisher))
        g.add((c, DCAT.contactPoint, self.contact))
        g.add((c, FOAF.homepage, URIRef(self.iris.base)))
        g.add((c, DCTERMS.license, CC_BY))
        g.add((c, DCAT.themeTaxonomy, URIRef(EU + "data-theme")))
        g.add((c, DCTERMS.spatial, NORWAY))
        for lang in ("ENG", "NOB"):
            g.add((c, DCTERMS.language, LANGUAGE[lang]))
        self._dates(g, c, [graph for gs in graphs for graph in gs])

    def _dataset(self, g: Graph, d: Dataset, subs: list[Submission]) -> URIRef:
        node = self.dataset_iri(d.key)
        g.add((self.catalog, DCAT.dataset, node))
        g.add((node, RDF.type, DCAT.Dataset))
        g.add((node, DCTERMS.identifier, Literal(str(node))))
        self._texts(g, node, DCTERMS.title, d.title)
        self._texts(g, node, DCTERMS.description, d.description)
        g.add((node, DCTERMS.publisher, self.publisher))
        g.add((node, DCAT.contactPoint, self.contact))
        g.add((node, DCTERMS.accessRights, PUBLIC))
        for theme in d.themes:
            g.add((node, DCAT.theme, theme))
        for place in d.spatial:
            g.add((node, DCTERMS.spatial, place))
            g.add((place, RDF.type, DCTERMS.Location))
        if d.source is not None:
            g.add((node, DCTERMS.source, d.source))
        for lang in ("ENG", "NOB"):
            g.add((node, DCTERMS.language, LANGUAGE[lang]))
        self._dates(g, node, d.graphs)
        if d.cube:
            self._cube(g, node, subs)
        return node

    def _cube(self, g: Graph, node: URIRef, subs: list[Submission]) -> None:
        """StatDCAT-AP: the cube's structure, dimensions, attributes and measure; its data sets; its rounds."""
        for prop, component in ((STAT.dimension, (KPI.city, KPI.round, KPI.dataPoint)),
                                (STAT.attribute, (KPI.unit, KPI.reportingStatus, KPI.verificationStatus)),
                                (STAT.statMeasure, (KPI.value,))):
            for c in component:
                g.add((node, prop, c))
        g.add((node, DCTERMS.conformsTo, KPI.dsd))
        g.add((node, STAT.numSeries, Literal(len(subs))))
        for s in subs:
            g.add((node, DCTERMS.hasPart, s.iri))
        self._temporal(g, node, [s.report_issued for s in subs if s.report_issued])

    def _temporal(self, g: Graph, node: URIRef, months: list[str]) -> None:
        """The reporting rounds' months as a period of whole days (a month is exactly those days)."""
        if not months:
            return
        period = URIRef(f"{node}#period")
        g.add((node, DCTERMS.temporal, period))
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        g.add((period, DCAT.startDate, Literal(f"{min(months)}-01", datatype=XSD.date)))
        g.add((period, DCAT.endDate, Literal(_month_end(max(months)), datatype=XSD.date)))

    def _distribution(self, g: Graph, dataset: URIRef, path: str, data: bytes, d: Dataset | None) -> None:
        suffix = path.rsplit(".", 1)[-1]
        node = self.iris._iri("data", "distribution", *path.split("/"))
        media, file_type, label = file_kind(path, suffix)
        url = URIRef(self.download + path)
        g.add((dataset, DCAT.distribution, node))
        g.add((node, RDF.type, DCAT.Distribution))
        self._texts(g, node, DCTERMS.title, {"en": f"{path} ({label})", "nb": f"{path} ({label})"})
        g.add((node, DCAT.accessURL, url))
        g.add((node, DCAT.downloadURL, url))
        g.add((node, DCAT.mediaType, URIRef(IANA + media)))
        g.add((URIRef(IANA + media), RDF.type, DCTERMS.MediaType))
        g.add((node, DCTERMS.format, file_type))
        g.add((node, DCAT.byteSize, Literal(len(data), datatype=XSD.nonNegativeInteger)))
        if d is None or d.own_data:
            g.add((node, DCTERMS.license, CC_BY))
            g.add((CC_BY, RDF.type, DCTERMS.LicenseDocument))
        else:
            g.add((node, DCTERMS.rights, URIRef(f"{node}#rights")))
            g.add((URIRef(f"{node}#rights"), RDF.type, DCTERMS.RightsStatement))
            g.add((URIRef(f"{node}#rights"), RDFS.label, Literal(
                f"A copy of {d.source}: the publisher's own terms apply, not the registry's licence.", lang="en")))
        if d is not None and d.cube and suffix in FORMATS:
            g.add((node, DCTERMS.conformsTo, KPI.dsd))
        checksum = URIRef(f"{node}#sha256")
        g.add((node, SPDX.checksum, checksum))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((checksum, SPDX.checksumValue, Literal(hashlib.sha256(data).hexdigest(), datatype=XSD.hexBinary)))

    def _observations(self, g: Graph, published: list[Published], tables: dict[str, bytes],
                      subs: list[Submission]) -> None:
        """All cities' observations in one table (CSV + CSVW, JSON-stat): the dataset analysts open."""
        d = Dataset("observations", tuple(self.iris.g_submission(s.slug, s.round_id) for s in subs),
                    {"en": "U4SSC KPI observations of all cities (tables)",
                     "nb": "U4SSC-indikatorobservasjoner for alle byer (tabeller)"},
                    {"en": "Every value the registry's cities reported, in one table: CSV described by CSVW "
                           "metadata (csv2rdf gives back the Data Cube) and a JSON-stat 2.0 cube.",
                     "nb": "Alle verdier byene i registeret har rapportert, i én tabell: CSV beskrevet med "
                           "CSVW-metadata (csv2rdf gir tilbake datakuben) og en JSON-stat 2.0-kube."},
                    (THEME.REGI, THEME.ECON, THEME.ENVI, THEME.SOCI), (NORWAY, *sorted({s.city for s in subs})),
                    cube=True)
        node = self._dataset(g, d, subs)
        for p in published:
            if p.dataset.cube:
                g.add((node, DCTERMS.hasPart, self.dataset_iri(p.dataset.key)))
        for path, data in sorted(tables.items()):
            self._distribution(g, node, path, data, None)

    def _service(self, g: Graph, served: list[URIRef]) -> None:
        node = self.iris._iri("data", "service", "sparql")
        g.add((self.catalog, DCAT.service, node))
        g.add((node, RDF.type, DCAT.DataService))
        self._texts(g, node, DCTERMS.title, {"en": "U4SSC KPI registry SPARQL endpoint",
                                              "nb": "SPARQL-endepunkt for U4SSC-indikatorregisteret"})
        g.add((node, DCAT.endpointURL, self.endpoint))
        g.add((node, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/")))
        g.add((node, DCTERMS.publisher, self.publisher))
        g.add((node, DCAT.contactPoint, self.contact))
        for dataset in served:
            g.add((node, DCAT.servesDataset, dataset))

    def _dates(self, g: Graph, node: URIRef, graphs: Iterable[URIRef]) -> None:
        rows = self.store.select(sparql.load("dataset_dates"), {"graph": sorted(set(graphs))})
        if rows and "first" in rows[0]:
            g.add((node, DCTERMS.issued, rows[0]["first"]))
            g.add((node, DCTERMS.modified, rows[0]["last"]))

    @staticmethod
    def _texts(g: Graph, node: URIRef, prop: URIRef, texts: dict[str, str]) -> None:
        for lang, text in texts.items():
            g.add((node, prop, Literal(text, lang=lang)))

    # -- VoID ---------------------------------------------------------------------------------
    def void(self, published: list[Published]) -> Graph:
        g = Graph()
        root = self.iris._iri("data", "void")
        registry = self.dataset_iri("registry")
        g.add((root, RDF.type, VOID.DatasetDescription))
        g.add((root, DCTERMS.title, Literal("VoID description of the U4SSC KPI registry", lang="en")))
        g.add((root, FOAF.primaryTopic, registry))
        g.add((registry, RDF.type, VOID.Dataset))
        g.add((registry, DCTERMS.title, Literal("U4SSC KPI registry", lang="en")))
        self._access(g, registry)
        g.add((registry, VOID.triples, Literal(sum(len(p.graph) for p in published))))
        for vocabulary in (KPI, QB, SKOS, DCAT, DCTERMS, Namespace("http://www.w3.org/ns/prov#")):
            g.add((registry, VOID.vocabulary, URIRef(str(vocabulary))))
        for p in published:
            node = self.dataset_iri(p.dataset.key)
            g.add((registry, VOID.subset, node))
            self._void_dataset(g, node, p)
        self._linksets(g, published)
        return g

    def _access(self, g: Graph, node: URIRef) -> None:
        g.add((node, VOID.sparqlEndpoint, self.endpoint))
        g.add((node, VOID.uriSpace, Literal(self.iris.base)))

    def _void_dataset(self, g: Graph, node: URIRef, p: Published) -> None:
        data = p.graph
        g.add((node, RDF.type, VOID.Dataset))
        g.add((node, DCTERMS.title, Literal(p.dataset.title["en"], lang="en")))
        self._access(g, node)
        for path in sorted(p.files):
            g.add((node, VOID.dataDump, URIRef(self.download + path)))
        subjects = set(data.subjects())
        g.add((node, VOID.triples, Literal(len(data))))
        g.add((node, VOID.entities, Literal(sum(1 for s in subjects if str(s).startswith(self.iris.base)))))
        g.add((node, VOID.distinctSubjects, Literal(len(subjects))))
        g.add((node, VOID.distinctObjects, Literal(len(set(data.objects())))))
        classes = Counter(o for _, o in set(data.subject_objects(RDF.type)))
        properties = Counter(p for _, p, _ in data)
        g.add((node, VOID.classes, Literal(len(classes))))
        g.add((node, VOID.properties, Literal(len(properties))))
        for cls, n in sorted(classes.items()):
            part = URIRef(f"{node}#class-{_slug(cls)}")
            g.add((node, VOID.classPartition, part))
            g.add((part, VOID["class"], cls))
            g.add((part, VOID.entities, Literal(n)))
        for prop, n in sorted(properties.items()):
            part = URIRef(f"{node}#property-{_slug(prop)}")
            g.add((node, VOID.propertyPartition, part))
            g.add((part, VOID.property, prop))
            g.add((part, VOID.triples, Literal(n)))

    def _linksets(self, g: Graph, published: list[Published]) -> None:
        """Links from the registry's resources to the UN SDG KOS and to KS's concepts, one linkset per predicate."""
        targets = {"un-sdg": (UN_SDG_KOS, str(SDG), "UN SDG knowledge organisation system"),
                   "ks": (KS_VOCABULARY, str(KS), "KS national SDG indicator taxonomy (data.norge.no)")}
        for key, (target, space, title) in targets.items():
            g.add((target, RDF.type, VOID.Dataset))
            g.add((target, DCTERMS.title, Literal(title, lang="en")))
            g.add((target, VOID.uriSpace, Literal(space)))
        for p in published:
            source = self.dataset_iri(p.dataset.key)
            for key, (target, space, _) in targets.items():
                links = Counter(pred for s, pred, o in p.graph
                                if isinstance(o, URIRef) and str(o).startswith(space)
                                and str(s).startswith(self.iris.base) and pred != RDF.type)
                for pred, n in sorted(links.items()):
                    linkset = URIRef(f"{source}#links-{key}-{_slug(pred)}")
                    g.add((source, VOID.subset, linkset))
                    g.add((linkset, RDF.type, VOID.Linkset))
                    g.add((linkset, VOID.subjectsTarget, source))
                    g.add((linkset, VOID.objectsTarget, target))
                    g.add((linkset, VOID.linkPredicate, pred))
                    g.add((linkset, VOID.triples, Literal(n)))


def _slug(iri: URIRef) -> str:
    return "".join(c if c.isalnum() else "-" for c in str(iri).split("//", 1)[-1]).strip("-")


def _month_end(month: str) -> str:
    year, mon = (int(x) for x in month.split("-")[:2])
    days = [31, 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28,
            31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mon - 1]
    return f"{year:04d}-{mon:02d}-{days:02d}"


def file_kind(path: str, suffix: str) -> tuple[str, URIRef, str]:
    """Media type (IANA), EU file type and a label of a release file."""
    if suffix in FORMATS:
        media, file_type, _ = FORMATS[suffix]
        return media, file_type, {"ttl": "Turtle", "nt": "N-Triples", "jsonld": "JSON-LD"}[suffix]
    if path == TABLE:
        return "text/csv", FILE_TYPE.CSV, "CSV"
    if path == TABLE_METADATA:
        return "application/csvm+json", FILE_TYPE.JSON, "CSVW metadata"
    return "application/json", FILE_TYPE.JSON, "JSON-stat 2.0"


# ---------------------------------------------------------------------------------------------
# The release
# ---------------------------------------------------------------------------------------------
def default_download_base(iris: IRIs) -> str:
    return iris.base + "release/"


def render_release(store: Store, iris: IRIs, download: str | None = None,
                   progress: Progress = lambda _: None) -> Release:
    """Every file of the release, in memory; `failures` lists the ICs the published cube violates and any
    repeated primary key of its table."""
    download = download or default_download_base(iris)
    release = Release()
    subs = submissions(store)
    published = []
    for d in datasets(store, iris, subs):
        progress(f"dumping {d.key}")
        graph = dataset_graph(store, d)
        files = {f"dumps/{d.key}.{suffix}": data for suffix, data in serialisations(graph).items()}
        published.append(Published(d, graph, files))
        release.files.update(files)
    progress("checking Data Cube integrity constraints")
    cube = Graph()
    for p in published:
        if p.dataset.key == "catalogue" or p.dataset.cube:
            cube += p.graph
    release.failures = check_integrity(cube)
    release.observations = len(set(cube.subjects(RDF.type, QB.Observation)))
    release.triples = sum(len(p.graph) for p in published)
    progress("tables")
    rows = item_rows(store)
    for r in rows:
        r["round_key"], r["round_label"] = f"{r['slug']}/{r['round_id']}", f"{r['city_name']} {r['round_id']}"
    release.failures += key_failures(rows)
    tables = {TABLE: observations_csv(rows), TABLE_METADATA: csvw_metadata(download),
              JSONSTAT: jsonstat(rows, Catalogue.from_store(store), download)}
    release.files.update(tables)
    progress("catalogue and VoID")
    describer = Describer(store, iris, download)
    release.files["catalog.ttl"] = serialisations(canonical(describer.dcat(published, tables, subs)))["ttl"]
    release.files["void.ttl"] = serialisations(canonical(describer.void(published)))["ttl"]
    release.files[CHECKSUMS] = checksums(release.files)
    return release


def checksums(files: dict[str, bytes]) -> bytes:
    """`sha256sum -c` format, paths sorted."""
    return "".join(f"{hashlib.sha256(data).hexdigest()}  {path}\n"
                   for path, data in sorted(files.items()) if path != CHECKSUMS).encode("ascii")


def write_release(release: Release, out: Path) -> None:
    """Write the release to `out`, replacing a previous release there in one rename.

    The files are written to a sibling temporary directory first, so a mirror never sees half a
    release; `out` may be missing, empty, or hold an earlier release (it has SHA256SUMS).
    """
    out = out.resolve()
    if out.exists() and any(out.iterdir()) and not (out / CHECKSUMS).is_file():
        raise FileExistsError(f"{out}: not empty and not a release (no {CHECKSUMS}); refusing to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for path, data in sorted(release.files.items()):
            target = staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        os.chmod(staging, 0o755)
        _swap(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap(staging: Path, out: Path) -> None:
    old = out.with_name(f".{out.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)
