"""KS's national SDG taxonomy: imported unchanged, defects found and repaired by data, joined, served."""

from __future__ import annotations

import hashlib
import json
import re
import shutil

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SKOS

from registry import sparql
from registry.config import Settings
from registry.namespaces import KPI, KS, SDGO
from registry.server import create_app
from registry.store import OxigraphStore, StoreConfig
from registry.taxonomy.repair import REPAIR, load_repairs, repair_graph
from registry.taxonomy.sources import default_sources, import_files, ks_directory, read_sources, source_name, stage_taxonomy, stored_sources
from registry.taxonomy.defects import validate_taxonomy

from .conftest import run_cli

NATIONAL = URIRef("https://data.norge.no/vocabulary/indicator/De-norske-målepunktene")
DC = "http://purl.org/dc/"
CORE_KPIS_ON_11_6 = {"Solid Waste Collection", "Air Pollution", "GHG Emissions"}


@pytest.fixture(scope="module")
def taxonomy_graphs(iris):
    return stage_taxonomy(iris)


@pytest.fixture(scope="module")
def loaded(staged, taxonomy_graphs):
    """The built registry with the KS taxonomy, as build writes it once stage_taxonomy is wired in."""
    s = OxigraphStore()
    s.replace_graphs({**staged, **taxonomy_graphs})
    yield s
    s.close()


@pytest.fixture(scope="module")
def client(loaded):
    return create_app(Settings(StoreConfig(None)), store=loaded).test_client()


@pytest.fixture(scope="module")
def context(staged, iris):
    return staged[iris.g_catalogue] + staged[iris.g_sdg]


@pytest.fixture(scope="module")
def report(iris, context):
    published = {s.name: s.graph for s in default_sources()}
    return validate_taxonomy(iris, published, context, load_repairs())


def get_json(client, query: str):
    response = client.get(f"/taxonomy?{query}", headers={"Accept": "application/json"})
    return response.status_code, response.get_json()


# -- import as published --------------------------------------------------------------------------

def test_shipped_files_are_ks_files_byte_for_byte():
    """Each file is KS's as published: data/taxonomy/ks/SHA256SUMS, recorded when it was copied, names
    every file with its digest, so a fresh clone checks itself without the reference folder beside it."""
    sums = dict(reversed(line.split("  ", 1)) for line in
                (ks_directory() / "SHA256SUMS").read_text(encoding="utf-8").splitlines() if line)
    assert sorted(p.name for p in ks_directory().glob("*.ttl")) == sorted(sums)
    for name, digest in sums.items():
        assert hashlib.sha256((ks_directory() / name).read_bytes()).hexdigest() == digest, name


def test_each_file_has_its_own_graph_holding_exactly_its_triples(iris, taxonomy_graphs):
    for source in default_sources():
        assert taxonomy_graphs[iris.g_taxonomy(source.name)].isomorphic(Graph().parse(source.path))
    names = {s.name for s in default_sources()}
    assert names == {"u4ssc", "de-norske-malepunktene", "developmentsector", "levelofgeography", "evaluation",
                     "triplebottomline", "quality"}


def test_source_names_are_ascii_slugs_of_file_names(tmp_path):
    assert source_name(tmp_path / "De-norske-målepunktene.ttl") == "de-norske-malepunktene"
    assert source_name(tmp_path / "Levelofgeography.ttl") == "levelofgeography"


def test_every_import_records_file_hash_time_and_graph_in_prov(iris, taxonomy_graphs):
    for source in default_sources():
        prov = taxonomy_graphs[iris.g_taxonomy_provenance(source.name)]
        graph = iris.g_taxonomy(source.name)
        activity = prov.value(graph, PROV.wasGeneratedBy)
        assert (activity, RDF.type, PROV.Activity) in prov
        assert prov.value(activity, PROV.endedAtTime) is not None
        assert prov.value(activity, PROV.used) == source.file_iri == prov.value(graph, PROV.wasDerivedFrom)
        assert str(prov.value(source.file_iri, DCTERMS.title)) == source.path.name
    assert (None, PROV.generated, iris.g_taxonomy("u4ssc")) in taxonomy_graphs[iris.g_taxonomy_provenance("u4ssc")]


def test_cli_import_is_atomic_and_keeps_other_sources(iris, staged, tmp_path):
    with OxigraphStore() as store:
        store.replace_graphs(staged)
        import_files(store, iris, sorted(ks_directory().glob("*.ttl")))
        before = store.count(iris.g_taxonomy(REPAIR))
        bad = tmp_path / "U4SSC.ttl"
        bad.write_text("<a> <b> .")
        with pytest.raises(ValueError, match="cannot parse as Turtle"):
            import_files(store, iris, [bad])
        assert store.count(iris.g_taxonomy("u4ssc")) == len(Graph().parse(ks_directory() / "U4SSC.ttl"))
        # re-importing one file recomputes the repair graph over all stored sources
        import_files(store, iris, [ks_directory() / "quality.ttl"])
        assert store.count(iris.g_taxonomy(REPAIR)) == before
        assert set(stored_sources(store, iris)) == {s.name for s in default_sources()}


def test_a_file_named_like_the_repair_graph_is_refused(tmp_path):
    path = tmp_path / "repair.ttl"
    shutil.copy(ks_directory() / "quality.ttl", path)
    with pytest.raises(ValueError, match="reserved"):
        read_sources([path])


# -- defects: reported with rule ids, repaired by data ----------------------------------------------

def findings(report, rule):
    return [f for f in report.findings if f.rule == rule]


def test_defect_report_names_each_known_defect(report):
    """README 'Known defects in the KS files', one by one."""
    # dct: bound to http://purl.org/dc/: titles and identifiers on non-terms, in every file
    wrong_terms = {f.path for f in findings(report, "TAX-1")}
    assert {DC + "title", DC + "identifier"} <= wrong_terms
    assert str(NATIONAL) in {f.focus for f in findings(report, "TAX-1")}
    # developmentsector used by the indicators, developmetsector defined by the scheme file
    undefined = {f.focus for f in findings(report, "TAX-2")}
    assert str(KS["developmentsector/Water_and_waste"]) in undefined
    assert all("/developmentsector/" in focus for focus in undefined) and len(undefined) == 14
    # Norwegian titles tagged @en
    [language] = findings(report, "TAX-3")
    assert language.focus == str(NATIONAL) and "459 national indicators" in language.message
    # notations lacking a space
    spacing = {f.focus: f.message for f in findings(report, "TAX-4")}
    assert 'code "SC: EH: ED:1C"' in spacing[str(KS["U4SSC/2232"])] and len(spacing) == 4
    # wastewater treatment carries freshwater consumption's code
    codes = {f.focus for f in findings(report, "TAX-5")}
    assert codes == {str(KS[f"U4SSC/{n}"]) for n in (2213, 2214, 2215)}
    assert all('"EN: EN: WS: 3C" is not "EN: EN: WS: 4C"' in f.message for f in findings(report, "TAX-5"))
    # open data: one concept for two data points (a warning: not wrong in KS's own model)
    [open_data] = findings(report, "TAX-6")
    assert open_data.focus == str(KS["U4SSC/2165"]) and open_data.severity == "Warning"
    assert not report.conforms


def test_the_repair_mapping_resolves_every_violation(report):
    assert {f.status for f in report.violations} == {"repaired"}
    assert [f.rule for f in report.findings if f.status != "repaired"] == ["TAX-6"]


def test_every_rule_has_an_id_a_message_and_documentation():
    shapes = Graph().parse("shapes/taxonomy.ttl")
    ids = sorted({str(o) for o in shapes.objects(None, KPI.ruleId)}, key=lambda r: int(r.split("-")[1]))
    assert ids == [f"TAX-{n}" for n in range(1, 10)]
    for node in shapes.subjects(KPI.ruleId, None):
        assert str(shapes.value(node, URIRef("http://www.w3.org/ns/shacl#message"))).startswith(str(shapes.value(node, KPI.ruleId)) + ":")
    rules = open("docs/rules.md", encoding="utf-8").read()
    section = rules[rules.index("## Taxonomy rules"):]
    assert all(f"| {rule} |" in section for rule in ids)


def test_repair_graph_supersedes_published_statements_without_touching_them(iris, taxonomy_graphs):
    repair = taxonomy_graphs[iris.g_taxonomy(REPAIR)]
    u4ssc = taxonomy_graphs[iris.g_taxonomy("u4ssc")]
    wastewater = KS["U4SSC/2213"]
    assert (wastewater, SKOS.notation, Literal("EN: EN: WS: 3C")) in u4ssc  # KS's data unchanged
    assert (wastewater, SKOS.notation, Literal("EN: EN: WS: 4C")) in repair
    [marker] = set(repair.subjects(RDF.object, Literal("EN: EN: WS: 3C"))) & set(repair.subjects(RDF.subject, wastewater))
    assert repair.value(repair.value(marker, PROV.wasInvalidatedBy), KPI.ruleId) == Literal("TAX-5")
    sector = KS["developmentsector/Water_and_waste"]
    assert (sector, SKOS.inScheme, KS["developmentsector"]) in repair
    assert (sector, DCTERMS.title, Literal("Water and waste", lang="en")) in repair
    assert (KS["De-norske-målepunktene/2261"], DCTERMS.title, Literal("Antall bostedsløse", lang="nb")) in repair


def fixed_release(directory, tmp_path):
    """KS's files as a release with the named defects fixed, written independently of the repair code."""
    out = tmp_path / "fixed"
    out.mkdir()
    for path in directory.glob("*.ttl"):
        text = path.read_text(encoding="utf-8")
        text = text.replace("@prefix dct: <http://purl.org/dc/> .", "@prefix dct: <http://purl.org/dc/terms/> .")
        text = text.replace("/developmetsector", "/developmentsector")
        if path.name == "De-norske-malepunktene.ttl":
            text = re.sub(r'(dct:title "(?:[^"\\]|\\.)*")@en', r"\1@nb", text)
        text = re.sub(r'skos:notation "([A-Z]+: [A-Z]+: [A-Z]+:)(\w+)"', r'skos:notation "\1 \2"', text)
        for n in (2213, 2214, 2215):
            text = re.sub(rf'(U4SSC/{n}> a .*?skos:notation )"EN: EN: WS: 3C"', r'\1"EN: EN: WS: 4C"', text, flags=re.S)
        (out / path.name).write_text(text, encoding="utf-8")
    return out


def test_a_release_without_the_defects_needs_no_repair(iris, context, tmp_path):
    fixed = fixed_release(ks_directory(), tmp_path)
    sources = read_sources(sorted(fixed.glob("*.ttl")))
    published = {s.name: s.graph for s in sources}
    # KS splitting open data into one concept per data point; the catalogue would then link the second
    u4ssc = published["u4ssc"]
    second = KS["U4SSC/2165-2"]
    for p, o in list(u4ssc.predicate_objects(KS["U4SSC/2165"])):
        u4ssc.add((second, p, o))
    split_context = context + Graph()
    availability = URIRef(str(iris.datapoint("EC-ICT-PS-1A-open-data-sets-availability")))
    split_context.remove((availability, SKOS.broadMatch, KS["U4SSC/2165"]))
    split_context.add((availability, SKOS.exactMatch, second))

    assert len(repair_graph(iris, published, load_repairs())) == 0
    report = validate_taxonomy(iris, published, split_context, load_repairs())
    assert report.findings == [] and report.repair_triples == 0


def test_validate_cli_prints_the_report_and_exits_1(tmp_path):
    store = str(tmp_path / "store")
    proc = run_cli("taxonomy", "validate", "--store", store, check=False)
    assert proc.returncode == 1, proc.stderr
    for rule in ("TAX-1", "TAX-2", "TAX-3", "TAX-4", "TAX-5", "TAX-6"):
        assert rule in proc.stdout
    data = json.loads(run_cli("taxonomy", "validate", "--store", store, "--format", "json", check=False).stdout)
    assert data["conforms"] is False and data["rules"]["TAX-5"] == {"severity": "Violation", "found": 3, "repaired": 3}


def test_validate_cli_exits_0_on_a_fixed_release(tmp_path):
    fixed = fixed_release(ks_directory(), tmp_path)
    store = str(tmp_path / "store")
    proc = run_cli("taxonomy", "validate", "--store", store, *map(str, sorted(fixed.glob("*.ttl"))), check=False)
    # only the granularity warning remains (the catalogue still links both open-data points to one concept)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 violations" in proc.stdout and "TAX-6" in proc.stdout


def test_import_cli_loads_files_into_their_graphs(tmp_path):
    store = str(tmp_path / "store")
    run_cli("build", "--store", store)
    proc = run_cli("taxonomy", "import", "--store", store, "--format", "json", str(ks_directory() / "quality.ttl"))
    graphs = json.loads(proc.stdout)["graphs"]
    assert any(g.endswith("/graph/taxonomy/quality") for g in graphs)
    assert any(g.endswith("/graph/taxonomy/repair") for g in graphs)


# -- the join ---------------------------------------------------------------------------------------

def test_every_data_point_and_kpi_links_to_its_ks_concept(loaded, iris):
    concepts = {r["ks"] for r in loaded.select(
        "SELECT DISTINCT ?ks WHERE { ?ks <http://www.w3.org/2004/02/skos/core#inScheme> <https://data.norge.no/vocabulary/indicator/U4SSC> }")}
    assert len(concepts) == 111
    rows = loaded.select(
        "PREFIX kpi: <https://w3id.org/u4ssc-registry/def#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>"
        " SELECT ?dp ?ks WHERE { ?dp a kpi:DataPoint . OPTIONAL { ?dp skos:exactMatch|skos:broadMatch ?ks } }")
    assert len(rows) == 112 and all(r.get("ks") in concepts for r in rows)
    assert {r["ks"] for r in rows} == concepts  # every KS U4SSC concept is matched
    kpis = loaded.select(
        "PREFIX kpi: <https://w3id.org/u4ssc-registry/def#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>"
        " SELECT ?kpi WHERE { ?kpi a kpi:KPI FILTER NOT EXISTS { ?kpi skos:exactMatch|skos:narrowMatch ?ks } }")
    assert kpis == []


def test_describe_ks_facets_gives_a_kpi_page_its_facets(loaded, iris):
    rows = loaded.select(sparql.load("describe_ks_facets"), {"concept": iris.kpi("EC-I-WA-1C")})
    facets = {(str(r["facet"]), str(r["key"])) for r in rows}
    assert {("goal", "11"), ("target", "11.6"), ("sector", "Water_and_waste"), ("level", "City-level"),
            ("quality", "Class_1")} <= facets
    sector = next(r for r in rows if str(r["key"]) == "Water_and_waste")
    assert str(sector["labelEn"]) == "Water and waste"


def test_describe_ks_facets_requires_its_concept():
    with pytest.raises(sparql.QueryError, match="concept"):
        sparql.load("describe_ks_facets").bind({})


# -- the endpoint -----------------------------------------------------------------------------------

def test_target_11_6_core_gives_the_core_kpis_ks_aligns_to_it(client):
    status, data = get_json(client, "target=11.6&core=true")
    assert status == 200
    assert {i["label"] for i in data["items"]} == CORE_KPIS_ON_11_6
    assert all(i["scheme"] == "u4ssc" and i["core"] and "11.6" in i["targets"] for i in data["items"])
    assert data["filters"] == {"target": ["11.6"], "core": ["true"]} and data["count"] == 3


def test_sector_mixes_schemes_and_city_level_leaves_only_u4ssc(client):
    _, water = get_json(client, "sector=Water_and_waste")
    assert {i["scheme"] for i in water["items"]} == {"u4ssc", "national"}
    _, city = get_json(client, "sector=Water_and_waste&level=City-level")
    assert city["count"] > 0 and {i["scheme"] for i in city["items"]} == {"u4ssc"}
    assert {i["iri"] for i in city["items"]} < {i["iri"] for i in water["items"]}


def test_unknown_value_is_400_with_the_allowed_values(client):
    status, data = get_json(client, "sector=Water")
    assert status == 400 and data["parameter"] == "sector"
    assert "Water_and_waste" in data["allowed"] and len(data["allowed"]) == 14
    status, data = get_json(client, "colour=blue")
    assert status == 400 and "goal" in data["allowed"]
    status, data = get_json(client, "core=maybe")
    assert status == 400 and data["allowed"] == ["false", "true"]


def test_repeated_values_are_alternatives_and_filters_combine(client):
    _, six = get_json(client, "goal=6")
    _, eleven = get_json(client, "goal=11")
    _, either = get_json(client, "goal=6&goal=11")
    assert {i["iri"] for i in either["items"]} == {i["iri"] for i in six["items"]} | {i["iri"] for i in eleven["items"]}
    _, national = get_json(client, "goal=6&goal=11&scheme=national")
    assert national["count"] > 0 and {i["scheme"] for i in national["items"]} == {"national"}


def test_every_filter_narrows(client):
    _, everything = get_json(client, "")
    assert everything["count"] == 232 + 91 + 459
    for query in ("goal=11", "target=11.6", "scheme=un", "dimension=EN", "category=EN-EN-WS", "core=false",
                  "sector=Energy", "level=Regional/county-level", "evaluation=3-Output", "impact=Planet",
                  "quality=Class_2"):
        _, data = get_json(client, query)
        assert 0 < data["count"] < everything["count"], query


def test_user_input_never_reaches_sparql_text(client):
    status, _ = get_json(client, "goal=11%22%20%7D%20DROP%20ALL%20%23")
    assert status == 400


def test_norwegian_labels_and_facet_counts(client):
    _, data = get_json(client, "scheme=national&goal=11&lang=nb")
    item = data["items"][0]
    assert item["label_lang"] == "nb" and item["label"]
    levels = {f["key"]: f["count"] for f in data["facets"]["level"]}
    assert sum(levels.values()) >= 1 and data["facets"]["scheme"] == [
        {"key": "national", "label": "De norske målepunktene", "count": data["count"]}]


def test_html_shows_facets_as_links_with_counts(client):
    page = client.get("/taxonomy?sector=Water_and_waste", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "Development sector" in page and "Water and waste ×" in page
    assert 'href="/taxonomy?sector=Water_and_waste&amp;level=City-level"' in page
    assert "Wastewater Treatment" in page


def test_turtle_and_json_ld(client):
    turtle = client.get("/taxonomy?target=11.6&core=true", headers={"Accept": "text/turtle"})
    g = Graph().parse(data=turtle.get_data(), format="turtle")
    assert {str(o) for o in g.objects(None, SKOS.prefLabel)} >= CORE_KPIS_ON_11_6
    assert (None, SDGO.isIndicatorOf, URIRef("http://metadata.un.org/sdg/11.6")) in g
    jsonld = client.get("/taxonomy?target=11.6&core=true&format=jsonld")
    assert jsonld.mimetype == "application/ld+json"
    assert len(Graph().parse(data=jsonld.get_data(), format="json-ld")) == len(g)


def test_every_filter_is_documented_in_the_readme_with_a_working_example(client):
    readme = open("README.md", encoding="utf-8").read()
    table = readme[readme.index("### `/taxonomy`"):]
    examples = dict(re.findall(r"^\| `(\w+)` \|.*\| `(/taxonomy\?[^`]+)` \|$", table, flags=re.M))
    assert set(examples) == {"goal", "target", "scheme", "dimension", "category", "core", "sector", "level",
                             "evaluation", "impact", "quality", "lang", "format"}
    for name, url in examples.items():
        response = client.get(url, headers={"Accept": "application/json"})
        assert response.status_code == 200, url
        if response.mimetype == "application/json":
            assert response.get_json()["count"] > 0, url
