"""The release described: a DCAT-AP-NO catalogue (datasets, distributions, checksums) and a VoID
description, from the store's own dates and counts, never the clock."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, VOID, XSD

from registry import sparql
from registry.namespaces import KPI, KS, QB, SDG, IRIs
from registry.store import Store
from registry.publication.datasets import CC_BY, Dataset, EU, FILE_TYPE, FORMATS, IANA, KS_VOCABULARY, LANGUAGE, NORWAY, PUBLIC, SPDX, STAT, Submission, TABLE, TABLE_METADATA, THEME, UN_SDG_KOS, VCARD


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
        if d.structure is not None:
            g.add((node, DCTERMS.conformsTo, d.structure))
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
        if d is not None and (d.cube or d.structure is not None) and suffix in FORMATS:
            g.add((node, DCTERMS.conformsTo, d.structure or KPI.dsd))
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
