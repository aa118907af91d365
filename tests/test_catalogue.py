"""The catalogue as built matches the Ålesund report's "Total" columns and the reference tables."""

from __future__ import annotations

import csv
import re

from registry.namespaces import KPI
from registry.catalogue.stats import catalogue_stats

from .conftest import ROOT

PREFIX = "PREFIX kpi: <https://w3id.org/u4ssc-registry/def#>\nPREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
# Ålesund verification report, sections 2 and 3, "Total" columns.
REPORT_TOTALS = {
    "kpis": {
        "Economy": {"core": 23, "advanced": 22},
        "Environment": {"core": 12, "advanced": 5},
        "Society and Culture": {"core": 19, "advanced": 10},
    },
    "data_points": {
        "Economy": {"core": 24, "advanced": 31},
        "Environment": {"core": 23, "advanced": 5},
        "Society and Culture": {"core": 19, "advanced": 10},
    },
    "total_kpis": 91,
    "total_data_points": 112,
}


def test_counts_match_the_report_totals(store):
    assert catalogue_stats(store) == REPORT_TOTALS


def test_codes_unique_and_well_formed(store):
    rows = store.select(PREFIX + "SELECT ?k ?code ?key WHERE { ?k a kpi:KPI ; skos:notation ?code ; kpi:key ?key }")
    codes = [str(r["code"]) for r in rows]
    assert len(codes) == 91 == len(set(codes)) == len({str(r["key"]) for r in rows})
    pattern = re.compile(r"^(EC|EN|SC): [A-Z]+: [A-Z]+: \d+[CA]$")
    assert [c for c in codes if not pattern.match(c)] == []
    for r in rows:  # the URI-safe key is the code with ": " → "-", and the IRI ends with it
        assert str(r["key"]) == str(r["code"]).replace(": ", "-") and str(r["k"]).endswith("/def/kpi/" + str(r["key"]))


def test_every_kpi_has_category_unit_and_tier(store):
    missing = store.select(PREFIX + """
        SELECT ?k WHERE { ?k a kpi:KPI .
          FILTER (NOT EXISTS { ?k kpi:inCategory ?c }
               || NOT EXISTS { ?k kpi:tier ?t }
               || NOT EXISTS { ?k kpi:hasDataPoint ?dp }
               || EXISTS { ?k kpi:hasDataPoint ?dp2 FILTER NOT EXISTS { ?dp2 kpi:unit ?u } }) }""")
    assert missing == []


def test_recurring_category_names_are_distinct_concepts(store):
    rows = store.select(PREFIX + """
        SELECT ?label (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a kpi:Category ; skos:prefLabel ?label FILTER(lang(?label) = "en") }
        GROUP BY ?label""")
    counts = {str(r["label"]): int(r["n"]) for r in rows}
    assert len(counts) == 22 and sum(counts.values()) == 27
    assert counts["Water and Sanitation"] == 3 and counts["Transport"] == 2 and counts["Waste"] == 2


def test_every_sdg_iri_used_is_in_the_un_list(store):
    with (ROOT / "data" / "sdg" / "un_sdg_kos.tsv").open(encoding="utf-8") as f:
        un = {row["iri"] for row in csv.DictReader(f, delimiter="\t")}
    used = {str(r["c"]) for r in store.select(PREFIX + """
        SELECT DISTINCT ?c WHERE { { ?k kpi:sdgGoal|kpi:sdgTarget|kpi:sdgIndicator ?c } UNION { ?a kpi:sdgConcept ?c } }""")}
    assert used and used <= un


def test_alignments_name_their_source(store):
    unsourced = store.select(PREFIX + """
        SELECT ?a WHERE { ?a a kpi:SDGAlignment FILTER NOT EXISTS { ?a <http://purl.org/dc/terms/source> ?s } }""")
    assert unsourced == []
    # Wastewater treatment: KS aligns it to goal 6 only; ITU gives no reference.
    rows = store.select(PREFIX + """SELECT ?c WHERE { ?k kpi:key "EN-EN-WS-4C" ; kpi:sdgGoal|kpi:sdgTarget|kpi:sdgIndicator ?c }""")
    assert [str(r["c"]) for r in rows] == ["http://metadata.un.org/sdg/6"]


def test_every_data_point_joins_the_national_catalogue(store):
    rows = store.select(PREFIX + """
        SELECT ?dp ?ks ?exact WHERE { ?dp a kpi:DataPoint . OPTIONAL { ?dp skos:exactMatch|skos:broadMatch ?ks
          FILTER STRSTARTS(STR(?ks), "https://data.norge.no/vocabulary/indicator/U4SSC/")
          BIND (EXISTS { ?dp skos:exactMatch ?ks } AS ?exact) } }""")
    assert len(rows) == 112 and all("ks" in r for r in rows)
    # the two open-data points share KS's one concept: it is broader than each of them
    assert sorted(str(r["dp"]).rsplit("/", 1)[1] for r in rows if not r["exact"].toPython()) == [
        "EC-ICT-PS-1A-open-data-sets-availability", "EC-ICT-PS-1A-open-data-sets-published"]


def test_catalogue_matches_the_reference_table_row_by_row(store):
    """Each data point of the spec table is in the store with its code, tier and printed unit."""
    with (ROOT / "data" / "catalogue" / "datapoints.tsv").open(encoding="utf-8") as f:
        spec = {(r["kpi_code"], r["core_advanced"].lower(), r["unit_as_printed"]) for r in csv.DictReader(f, delimiter="\t")}
    rows = store.select(PREFIX + """
        SELECT ?code ?tier ?unit WHERE { ?dp a kpi:DataPoint ; kpi:ofKPI ?k ; kpi:unit/kpi:asPrinted ?unit .
          ?k skos:notation ?code ; kpi:tier/skos:notation ?tier }""")
    assert {(str(r["code"]), str(r["tier"]), str(r["unit"])) for r in rows} == spec


def test_owl_rl_infers_core_and_advanced_classes(store):
    rows = store.select(PREFIX + "SELECT (COUNT(DISTINCT ?k) AS ?n) WHERE { ?k a kpi:CoreKPI }")
    assert int(rows[0]["n"]) == 54
    assert KPI.CoreKPI  # the class the README names
