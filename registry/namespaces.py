"""Every IRI base and named-graph IRI, defined once.

The ontology namespace is fixed; instance IRIs hang off a configurable base so that a
statistics bureau can publish the same data under its own domain (docs/conventions.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD

KPI = Namespace("https://w3id.org/u4ssc-registry/def#")
ONTOLOGY_IRI = URIRef("https://w3id.org/u4ssc-registry/def")
DEFAULT_BASE = "https://w3id.org/u4ssc-registry/"

QB = Namespace("http://purl.org/linked-data/cube#")
QUDT = Namespace("http://qudt.org/schema/qudt/")
SDG = Namespace("http://metadata.un.org/sdg/")
SDGO = Namespace("http://metadata.un.org/sdg/ontology#")
KS = Namespace("https://data.norge.no/vocabulary/indicator/")
SH = Namespace("http://www.w3.org/ns/shacl#")
SDMX_ATTRIBUTE = Namespace("http://purl.org/linked-data/sdmx/2009/attribute#")

PREFIXES: dict[str, Namespace] = {
    "kpi": KPI, "qb": QB, "qudt": QUDT, "sdg": SDG, "sdgo": SDGO, "skos": SKOS,
    "dcterms": DCTERMS, "dcat": DCAT, "prov": PROV, "foaf": FOAF, "owl": OWL,
    "rdf": RDF, "rdfs": RDFS, "xsd": XSD, "sh": SH, "sdmx-attribute": SDMX_ATTRIBUTE,
}

def owned_by_registry(node: object, base: str = DEFAULT_BASE, cited: tuple[Namespace, ...] = ()) -> bool:
    """An IRI that the registry's own graphs define (its namespace) or that a vocabulary it builds on
    defines (PREFIXES), except the namespaces `cited`: a user's file may use such IRIs but never state
    anything about them."""
    text = str(node)
    return text.startswith(base) or any(text.startswith(str(ns)) for ns in PREFIXES.values() if ns not in cited)


_SLUG = re.compile(r"[^a-z0-9]+")
ROUND_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
CITY_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def kpi_key(code: str) -> str:
    """`EC: ICT: ICT: 1C` (or `SC: EH: ED:1C`) → `EC-ICT-ICT-1C`: the URI-safe form of a code."""
    return re.sub(r"\s*:\s*", "-", code.strip())


def slug(text: str) -> str:
    """Lower-case ASCII slug of a display name, used in data point ids."""
    return _SLUG.sub("-", text.lower()).strip("-")


@dataclass(frozen=True)
class IRIs:
    """Mints the registry's instance IRIs under one base (paths are documented in docs/conventions.md)."""

    base: str = DEFAULT_BASE

    def __post_init__(self) -> None:
        if not self.base.endswith(("/", "#")):
            object.__setattr__(self, "base", self.base + "/")

    def _iri(self, *parts: str) -> URIRef:
        return URIRef(self.base + "/".join(parts))

    # definitions
    @property
    def scheme(self) -> URIRef:
        return self._iri("def", "scheme", "u4ssc")

    def dimension(self, code: str) -> URIRef:
        return self._iri("def", "dimension", code)

    def subdimension(self, code: str) -> URIRef:
        return self._iri("def", "subdimension", code)

    def category(self, code: str) -> URIRef:
        return self._iri("def", "category", code)

    def kpi(self, key: str) -> URIRef:
        return self._iri("def", "kpi", key)

    def datapoint(self, dp_id: str) -> URIRef:
        return self._iri("def", "datapoint", dp_id)

    def unit(self, key: str) -> URIRef:
        return self._iri("def", "unit", key)

    def alignment(self, key: str, n: int) -> URIRef:
        return self._iri("def", "alignment", f"{key}-{n}")

    # identities and data
    def city(self, key: str) -> URIRef:
        return self._iri("id", "city", key)

    def round(self, city: str, round_id: str) -> URIRef:
        return self._iri("id", "round", city, round_id)

    def verification(self, city: str, round_id: str) -> URIRef:
        return self._iri("id", "verification", city, round_id)

    def agent(self, key: str) -> URIRef:
        return self._iri("id", "agent", key)

    def user_agent(self, name: str) -> URIRef:
        """An account of the verification workflow as a PROV agent (its name only: accounts live outside RDF)."""
        return self._iri("id", "agent", "user", name)

    def submission(self, city: str, round_id: str) -> URIRef:
        return self._iri("data", "submission", city, round_id)

    def observation(self, city: str, round_id: str, dp_id: str) -> URIRef:
        return self._iri("data", "observation", city, round_id, dp_id)

    def benchmark_set(self, set_id: str) -> URIRef:
        return self._iri("data", "benchmarks", set_id)

    def benchmark(self, set_id: str, dp_id: str) -> URIRef:
        return self._iri("data", "benchmarks", set_id, dp_id)

    def score_dataset(self, set_id: str) -> URIRef:
        """The qb:DataSet of the scores against one benchmark set (the score cube, kpi:scoreDsd)."""
        return self._iri("data", "scores", set_id)

    @property
    def summary_dataset(self) -> URIRef:
        """The qb:DataSet of every submission's verification summary (kpi:summaryDsd)."""
        return self._iri("data", "summaries")

    def statement(self, digest: str) -> URIRef:
        """A reified statement the registry says something about (e.g. a superseded KS statement)."""
        return self._iri("id", "statement", digest)

    def activity(self, kind: str, stamp: str) -> URIRef:
        return self._iri("id", "activity", kind, stamp)

    # named graphs
    def graph(self, *parts: str) -> URIRef:
        return self._iri("graph", *parts)

    def g_workflow(self, city: str, round_id: str) -> URIRef:
        """The PROV record of a round's verification workflow: every transition, decision and question."""
        return self.graph("workflow", city, round_id)

    @property
    def g_ontology(self) -> URIRef:
        return self.graph("ontology")

    @property
    def g_catalogue(self) -> URIRef:
        return self.graph("catalogue")

    @property
    def g_sdg(self) -> URIRef:
        return self.graph("sdg")

    @property
    def g_cities(self) -> URIRef:
        return self.graph("cities")

    @property
    def g_inferred(self) -> URIRef:
        return self.graph("inferred")

    @property
    def g_system(self) -> URIRef:
        return self.graph("system")

    def g_submission(self, city: str, round_id: str) -> URIRef:
        return self.graph("submission", city, round_id)

    def g_benchmarks(self, set_id: str) -> URIRef:
        return self.graph("benchmarks", set_id)

    def g_scores(self, set_id: str) -> URIRef:
        """Every submission's scores against one set: derived data, recomputed whenever its inputs change."""
        return self.graph("scores", set_id)

    @property
    def g_summaries(self) -> URIRef:
        """Every submission's verification summary: derived data, recomputed with the submission."""
        return self.graph("summaries")

    def g_taxonomy(self, source: str) -> URIRef:
        return self.graph("taxonomy", source)

    def g_taxonomy_provenance(self, source: str) -> URIRef:
        """Where the import of `g_taxonomy(source)` is recorded; replaced together with that graph."""
        return self.graph("system", "taxonomy", source)
