"""The U4SSC catalogue and the UN SDG concepts as RDF, built from the tables in `data/`.

The tables are the facts (one row per data point, as `u4ssc_kpis.tsv` specifies them);
this module only shapes them into the ontology's terms. Nothing here adds a fact: a cell
left empty in the table stays absent in the graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from registry.namespaces import IRIs, KPI, PREFIXES, QUDT, SDGO, kpi_key
from registry.tables import asset_dir
from registry.tables import DataError, read_table, split_list

CATALOGUE_SOURCE = Literal(
    "U4SSC catalogue table (u4ssc_kpis.tsv): codes and names as printed in the U4SSC Verification "
    "Report Ålesund, Norway (June 2020); SDG alignment from KS's national SDG taxonomy on "
    "data.norge.no; SDG references from ITU's U4SSC KPI pages"
)
SDG_SOURCE = Literal(
    "UN SDG knowledge organisation system (metadata.un.org/sdg), sdg-kos-goals-targets-indicators.ttl, "
    "UN Statistics Division LOD4Stats repository"
)
TIERS = {"Core": KPI.Core, "Advanced": KPI.Advanced}
DATATYPES = {"decimal": XSD.decimal, "integer": XSD.integer, "boolean": XSD.boolean}


@dataclass
class SdgIndex:
    """UN SDG numbers (`11`, `11.6`, `17.8.1`) → the UN's IRIs and kinds."""

    iri: dict[str, URIRef] = field(default_factory=dict)
    kind: dict[str, str] = field(default_factory=dict)

    def lookup(self, number: str, where: str) -> URIRef:
        try:
            return self.iri[number]
        except KeyError:
            raise DataError(f"{where}: SDG {number!r} is not in the UN SDG list (data/sdg/un_sdg_kos.tsv)") from None


def new_graph() -> Graph:
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    return g


def build_sdg(iris: IRIs, data: Path | None = None) -> tuple[Graph, SdgIndex]:
    """UN goals, targets and indicators as SKOS concepts with the UN's own IRIs."""
    data = data or asset_dir("data")
    g, index = new_graph(), SdgIndex()
    path = data / "sdg" / "un_sdg_kos.tsv"
    rows = list(read_table(path, ("kind", "number", "iri", "broader", "label_en")))
    for _, row in rows:
        index.iri[row["number"]] = URIRef(row["iri"])
        index.kind[row["number"]] = row["kind"]
    scheme = iris.graph("sdg").replace("/graph/", "/def/scheme/")
    g.add((URIRef(scheme), RDF.type, SKOS.ConceptScheme))
    g.add((URIRef(scheme), SKOS.prefLabel, Literal("UN Sustainable Development Goals, targets and indicators", lang="en")))
    g.add((URIRef(scheme), DCTERMS.source, SDG_SOURCE))
    classes = {"goal": SDGO.Goal, "target": SDGO.Target, "indicator": SDGO.Indicator}
    for line, row in rows:
        concept = index.iri[row["number"]]
        g.add((concept, RDF.type, SKOS.Concept))
        g.add((concept, RDF.type, classes[row["kind"]]))
        g.add((concept, SKOS.notation, Literal(row["number"])))
        g.add((concept, SKOS.prefLabel, Literal(row["label_en"], lang="en")))
        g.add((concept, SKOS.inScheme, URIRef(scheme)))
        if row["kind"] == "goal":
            g.add((URIRef(scheme), SKOS.hasTopConcept, concept))
        for broader in split_list(row["broader"]):
            g.add((concept, SKOS.broader, index.lookup(broader, f"{path}:{line}")))
    for line, row in read_table(data / "sdg" / "goals_nb.tsv", ("goal", "label_nb")):
        g.add((index.lookup(row["goal"], f"{data / 'sdg' / 'goals_nb.tsv'}:{line}"), SKOS.prefLabel, Literal(row["label_nb"], lang="nb")))
    return g, index


def _labelled(g: Graph, node: URIRef, row: dict[str, str]) -> None:
    g.add((node, SKOS.prefLabel, Literal(row["label_en"], lang="en")))
    g.add((node, SKOS.prefLabel, Literal(row["label_nb"], lang="nb")))


def _hierarchy(g: Graph, iris: IRIs, data: Path) -> dict[tuple[str, str, str], URIRef]:
    """Dimensions → sub-dimensions → categories; returns (dimension, sub-dimension, category) names → category IRI."""
    scheme = iris.scheme
    dims: dict[str, tuple[URIRef, str]] = {}
    for _, row in read_table(data / "catalogue" / "dimensions.tsv", ("code", "label_en", "label_nb")):
        node = iris.dimension(row["code"])
        dims[row["code"]] = (node, row["label_en"])
        g.add((node, RDF.type, KPI.Dimension))
        g.add((scheme, SKOS.hasTopConcept, node))
        g.add((node, SKOS.topConceptOf, scheme))
        _concept(g, node, scheme, row["code"], row["code"])
        _labelled(g, node, row)
    subs: dict[str, tuple[URIRef, str, str]] = {}
    path = data / "catalogue" / "subdimensions.tsv"
    for line, row in read_table(path, ("code", "dimension", "label_en", "label_nb")):
        if row["dimension"] not in dims:
            raise DataError(f"{path}:{line}: unknown dimension {row['dimension']!r}")
        node, (parent, dim_name) = iris.subdimension(row["code"]), dims[row["dimension"]]
        subs[row["code"]] = (node, dim_name, row["label_en"])
        g.add((node, RDF.type, KPI.SubDimension))
        g.add((node, KPI.inDimension, parent))
        g.add((node, SKOS.broader, parent))
        _concept(g, node, scheme, row["code"], row["code"].replace("-", ": "))
        _labelled(g, node, row)
    cats: dict[tuple[str, str, str], URIRef] = {}
    path = data / "catalogue" / "categories.tsv"
    for line, row in read_table(path, ("code", "subdimension", "label_en", "label_nb")):
        if row["subdimension"] not in subs:
            raise DataError(f"{path}:{line}: unknown sub-dimension {row['subdimension']!r}")
        node, (parent, dim_name, sub_name) = iris.category(row["code"]), subs[row["subdimension"]]
        cats[(dim_name, sub_name, row["label_en"])] = node
        g.add((node, RDF.type, KPI.Category))
        g.add((node, KPI.inSubDimension, parent))
        g.add((node, SKOS.broader, parent))
        _concept(g, node, scheme, row["code"], row["code"].replace("-", ": "))
        _labelled(g, node, row)
    return cats


def _concept(g: Graph, node: URIRef, scheme: URIRef, key: str, notation: str) -> None:
    g.add((node, RDF.type, SKOS.Concept))
    g.add((node, SKOS.inScheme, scheme))
    g.add((node, KPI.key, Literal(key)))
    g.add((node, SKOS.notation, Literal(notation)))


def _units(g: Graph, iris: IRIs, data: Path) -> dict[str, URIRef]:
    """Units as printed in the report → unit individuals with UCUM codes (and QUDT where exact)."""
    units: dict[str, URIRef] = {}
    path = data / "catalogue" / "units.tsv"
    for line, row in read_table(path, ("as_printed", "key", "label_en", "label_nb", "ucum", "qudt", "datatype")):
        if row["datatype"] not in DATATYPES:
            raise DataError(f"{path}:{line}: datatype must be one of {', '.join(DATATYPES)}")
        node = iris.unit(row["key"])
        units[row["as_printed"]] = node
        g.add((node, RDF.type, KPI.Unit))
        g.add((node, RDFS.label, Literal(row["label_en"], lang="en")))
        g.add((node, RDFS.label, Literal(row["label_nb"], lang="nb")))
        g.add((node, KPI.asPrinted, Literal(row["as_printed"])))
        g.add((node, KPI.key, Literal(row["key"])))
        g.add((node, KPI.valueDatatype, DATATYPES[row["datatype"]]))
        if row["ucum"]:
            g.add((node, QUDT.ucumCode, Literal(row["ucum"], datatype=URIRef("http://qudt.org/schema/qudt/UCUMcs"))))
        if row["qudt"]:
            g.add((node, SKOS.exactMatch, URIRef(row["qudt"])))
    return units


def build_catalogue(iris: IRIs, sdg: SdgIndex, data: Path | None = None) -> Graph:
    """All KPIs and data points of `data/catalogue/datapoints.tsv` in the ontology's terms."""
    data = data or asset_dir("data")
    g = new_graph()
    scheme = iris.scheme
    g.add((scheme, RDF.type, SKOS.ConceptScheme))
    g.add((scheme, SKOS.prefLabel, Literal("U4SSC key performance indicators for smart sustainable cities", lang="en")))
    g.add((scheme, SKOS.prefLabel, Literal("U4SSC nøkkelindikatorer for smarte og bærekraftige byer", lang="nb")))
    g.add((scheme, DCTERMS.source, CATALOGUE_SOURCE))
    g.add((scheme, RDFS.seeAlso, URIRef("https://www.itu.int/rec/T-REC-Y.4903")))
    cats = _hierarchy(g, iris, data)
    units = _units(g, iris, data)
    path = data / "catalogue" / "datapoints.tsv"
    columns = ("datapoint_id", "kpi_code", "kpi_name", "data_point", "dimension", "sub_dimension", "category",
               "core_advanced", "unit_as_printed", "min_value", "max_value", "sdg_goals", "sdg_targets",
               "itu_sdg_refs", "itu_source_page", "ks_concept", "note")
    rows = list(read_table(path, columns))
    per_kpi: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for line, row in rows:
        per_kpi.setdefault(row["kpi_code"], []).append((line, row))
    for order, (line, row) in enumerate(rows, start=1):
        where = f"{path}:{line}"
        try:
            category = cats[(row["dimension"], row["sub_dimension"], row["category"])]
            unit = units[row["unit_as_printed"]]
            tier = TIERS[row["core_advanced"]]
        except KeyError as exc:
            raise DataError(f"{where}: unknown {exc.args[0]!r} (not in the dimension/category/unit tables)") from None
        kpi = iris.kpi(kpi_key(row["kpi_code"]))
        dp = iris.datapoint(row["datapoint_id"])
        siblings = per_kpi[row["kpi_code"]]
        g.add((dp, RDF.type, KPI.DataPoint))
        _concept(g, dp, scheme, row["datapoint_id"], row["kpi_code"])
        label = row["data_point"] if len(siblings) == 1 else f"{row['kpi_name']}: {row['data_point']}"
        g.add((dp, SKOS.prefLabel, Literal(label, lang="en")))
        if label != row["data_point"]:
            g.add((dp, SKOS.altLabel, Literal(row["data_point"], lang="en")))
        g.add((dp, KPI.ofKPI, kpi))
        g.add((dp, SKOS.broader, kpi))
        g.add((dp, KPI.unit, unit))
        g.add((dp, KPI.order, Literal(order)))
        for prop, cell in ((KPI.minValue, "min_value"), (KPI.maxValue, "max_value")):
            if row[cell]:
                g.add((dp, prop, Literal(row[cell], datatype=XSD.decimal)))
        if row["ks_concept"]:
            # KS's concept is broader when it stands for several data points (open data): exactMatch
            # would make those data points the same thing.
            shared = sum(r["ks_concept"] == row["ks_concept"] for _, r in siblings) > 1
            g.add((dp, SKOS.broadMatch if shared else SKOS.exactMatch, URIRef(row["ks_concept"])))
        if row["note"]:
            g.add((dp, SKOS.editorialNote, Literal(row["note"], lang="en")))
        if siblings[0][0] == line:  # first row of its KPI describes the KPI
            _kpi(g, iris, kpi, row, siblings, category, tier, order, sdg, where)
        g.add((kpi, KPI.hasDataPoint, dp))
    _share_rules(g, iris, data)
    return g


def _share_rules(g: Graph, iris: IRIs, data: Path) -> None:
    """Sum rules of KPIs whose data points are shares of one whole (SHACL rule SUB-2)."""
    path = data / "catalogue" / "share_rules.tsv"
    columns = {"shares_sum_to": KPI.sharesSumTo, "shares_at_most": KPI.sharesAtMost,
               "tolerance": KPI.shareTolerance, "gap_needs_note": KPI.gapNeedsNote}
    for line, row in read_table(path, ("kpi_code", "source", *columns)):
        kpi = iris.kpi(kpi_key(row["kpi_code"]))
        if (kpi, RDF.type, KPI.KPI) not in g:
            raise DataError(f"{path}:{line}: unknown KPI {row['kpi_code']!r}")
        for column, prop in columns.items():
            if row[column]:
                g.add((kpi, prop, Literal(row[column], datatype=XSD.decimal)))


def _kpi(g: Graph, iris: IRIs, kpi: URIRef, row: dict[str, str], siblings, category: URIRef,
         tier: URIRef, order: int, sdg: SdgIndex, where: str) -> None:
    key = kpi_key(row["kpi_code"])
    g.add((kpi, RDF.type, KPI.KPI))
    _concept(g, kpi, iris.scheme, key, row["kpi_code"])
    g.add((kpi, SKOS.prefLabel, Literal(row["kpi_name"], lang="en")))
    g.add((kpi, KPI.inCategory, category))
    g.add((kpi, SKOS.broader, category))
    g.add((kpi, KPI.tier, tier))
    g.add((kpi, KPI.order, Literal(order)))
    ks_concepts = sorted({r["ks_concept"] for _, r in siblings if r["ks_concept"]})
    # One KS concept for the whole KPI is the same concept; one per data point makes the KPI broader.
    for concept in ks_concepts:
        g.add((kpi, SKOS.exactMatch if len(ks_concepts) == 1 else SKOS.narrowMatch, URIRef(concept)))
    _alignments(g, iris, kpi, key, siblings, sdg, where)


def _alignments(g: Graph, iris: IRIs, kpi: URIRef, key: str, siblings, sdg: SdgIndex, where: str) -> None:
    """SDG links, each statement with its source: KS's taxonomy concept or ITU's KPI page."""
    shortcut = {"goal": KPI.sdgGoal, "target": KPI.sdgTarget, "indicator": KPI.sdgIndicator}
    sources: dict[str, set[str]] = {}
    for _, row in siblings:
        if row["ks_concept"]:
            sources.setdefault(row["ks_concept"], set()).update(split_list(row["sdg_goals"]) + split_list(row["sdg_targets"]))
        if row["itu_source_page"]:
            sources.setdefault(row["itu_source_page"], set()).update(split_list(row["itu_sdg_refs"]))
    for n, (source, numbers) in enumerate(sorted(sources.items()), start=1):
        if not numbers:
            continue
        node = iris.alignment(key, n)
        g.add((kpi, KPI.hasAlignment, node))
        g.add((node, RDF.type, KPI.SDGAlignment))
        g.add((node, DCTERMS.source, URIRef(source)))
        for number in sorted(numbers):
            concept = sdg.lookup(number, where)
            g.add((node, KPI.sdgConcept, concept))
            g.add((kpi, shortcut[sdg.kind[number]], concept))
