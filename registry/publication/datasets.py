"""What is published: the datasets of a release (catalogue, ontology, SDG concepts, each city's
submissions, the taxonomy and its repair), the files and their formats."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from rdflib import Namespace, URIRef

from registry import sparql
from registry.publication.cube import Failure
from registry.namespaces import KPI, KS, IRIs
from registry.store import Store


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
    cube: bool = False  # a city's observations (kpi:dsd)
    structure: URIRef | None = None  # a cube the registry derives (scores, summaries): its structure


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
    scores = str(iris.graph("scores")) + "/"
    out += [_score_dataset(g, str(g)[len(scores):]) for g in sorted(found) if str(g).startswith(scores)]
    out.append(_summary_dataset(iris.g_summaries))
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


def _score_dataset(graph: URIRef, set_id: str) -> Dataset:
    """Every submission's scores against one benchmark set: derived by the registry, so its own data."""
    return Dataset(
        f"scores/{set_id}", (graph,),
        {"en": f"U4SSC KPI scores against the benchmark set {set_id}",
         "nb": f"U4SSC-indikatorpoeng mot referansemålene {set_id}"},
        {"en": "Each city's and round's score per data point, KPI, category, sub-dimension and dimension: % of "
               "target, points (1–4 per data point) and score band, computed as the U4SSC verification reports "
               "score (section 5); an RDF Data Cube (structure kpi:scoreDsd) recomputed whenever a submission, the "
               "set or the catalogue changes.",
         "nb": "Hver bys og rundes poeng per datapunkt, indikator, kategori, underdimensjon og dimensjon: % av "
               "målet, poeng (1–4 per datapunkt) og poengintervall, beregnet slik U4SSC-verifiseringsrapportene gjør "
               "(avsnitt 5); en RDF-datakube (struktur kpi:scoreDsd) som beregnes på nytt når en innsending, "
               "settet eller katalogen endres."},
        (THEME.REGI, THEME.GOVE), (NORWAY,), structure=KPI.scoreDsd)


def _summary_dataset(graph: URIRef) -> Dataset:
    return Dataset(
        "summaries", (graph,),
        {"en": "U4SSC reporting and verification summaries", "nb": "U4SSC-sammendrag av rapportering og verifisering"},
        {"en": "Per city and round, how many KPIs and data points there are, were reported and were verified, by "
               "dimension and tier, overall and in total, with % verified (U4SSC verification reports, sections 2 "
               "and 3); an RDF Data Cube (structure kpi:summaryDsd) recomputed with each submission.",
         "nb": "Per by og runde hvor mange indikatorer og datapunkter det finnes, hvor mange som er rapportert og "
               "verifisert, per dimensjon og nivå, samlet og totalt, med % verifisert (U4SSC-verifiseringsrapportene, "
               "avsnitt 2 og 3); en RDF-datakube (struktur kpi:summaryDsd) som beregnes på nytt med hver innsending."},
        (THEME.REGI, THEME.GOVE), (NORWAY,), structure=KPI.summaryDsd)


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
