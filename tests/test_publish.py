"""`kpi-registry publish`: the release's files, its cube, catalogue, VoID, tables and determinism."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import csvw
import pyshacl
import pytest
from pyjstat import pyjstat
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, RDF, VOID, XSD
from uritemplate import URITemplate

from registry.publication.cube import check_integrity
from registry.namespaces import KPI, QB, IRIs
from registry.publication.datasets import CHECKSUMS, SPDX
from registry.publication.release import render_release, write_release
from registry.tables import asset_dir
from registry.config import Settings
from registry.server import create_app
from registry.store import OxigraphStore

from .conftest import run_cli

KS_SOURCES = ("de-norske-malepunktene", "developmentsector", "evaluation", "levelofgeography", "quality",
              "triplebottomline", "u4ssc")
DATASETS = ("catalogue", "sdg", "observations/alesund", "observations/trondheim",
            "scores/international-targets", "scores/norway-national-targets", "summaries",
            *(f"taxonomy/{s}" for s in KS_SOURCES), "taxonomy/repair")
CATALOG = URIRef("https://w3id.org/u4ssc-registry/data/catalog")


@pytest.fixture(scope="module")
def published(staged, tmp_path_factory):
    """One release, rendered and written once for the module (rendering takes seconds)."""
    with OxigraphStore() as store:
        store.replace_graphs(staged)
        release = render_release(store, IRIs())
    out = tmp_path_factory.mktemp("release") / "out"
    write_release(release, out)
    return release, out


def rdf(out: Path, key: str, suffix: str = "nt") -> Graph:
    return Graph().parse(out / "dumps" / f"{key}.{suffix}", format={"nt": "nt", "ttl": "turtle", "jsonld": "json-ld"}[suffix])


def test_the_release_holds_dumps_tables_catalogue_void_and_checksums(published):
    _, out = published
    expected = {f"dumps/{d}.{s}" for d in DATASETS for s in ("ttl", "nt", "jsonld")}
    expected |= {"tables/observations.csv", "tables/observations.csv-metadata.json",
                 "tables/observations.jsonstat.json", "catalog.ttl", "void.ttl", CHECKSUMS}
    assert {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()} == expected


def test_checksums_are_sha256_of_every_other_file(published):
    _, out = published
    lines = (out / CHECKSUMS).read_text().splitlines()
    assert len(lines) == len([p for p in out.rglob("*") if p.is_file()]) - 1
    for line in lines:
        digest, path = line.split("  ", 1)
        assert hashlib.sha256((out / path).read_bytes()).hexdigest() == digest, path


@pytest.mark.parametrize("key", DATASETS)
def test_each_dump_says_the_same_in_turtle_ntriples_and_jsonld(published, key):
    _, out = published
    nt = rdf(out, key)
    assert len(nt) > 0
    assert isomorphic(nt, rdf(out, key, "ttl"))
    assert isomorphic(nt, rdf(out, key, "jsonld"))


def test_the_published_cube_passes_ic_1_to_ic_21(published):
    release, out = published
    assert release.failures == []
    cube = rdf(out, "catalogue") + rdf(out, "observations/alesund") + rdf(out, "observations/trondheim")
    assert check_integrity(cube) == []
    assert release.observations == len(set(cube.subjects(RDF.type, QB.Observation))) == 116


def test_the_score_and_summary_cubes_are_published_with_their_structures(published):
    """Issue 22: the bureau gets the scores as a Data Cube of their own, checked with the rest (IC-1 … IC-21)."""
    _, out = published
    cube = rdf(out, "catalogue") + rdf(out, "scores/international-targets") + rdf(out, "summaries")
    assert check_integrity(cube) == []
    data_set = URIRef("https://w3id.org/u4ssc-registry/data/scores/international-targets")
    assert cube.value(data_set, QB.structure) == KPI.scoreDsd
    assert len(set(cube.subjects(QB.dataSet, data_set))) > 33  # Ålesund's 33 data points and their roll-ups
    summaries = URIRef("https://w3id.org/u4ssc-registry/data/summaries")
    assert len(set(cube.subjects(QB.dataSet, summaries))) == 2 * 9  # per round: 3 dimensions × 2 tiers, 2 overall, 1 total
    g = catalog(out)
    assert g.value(URIRef("https://w3id.org/u4ssc-registry/data/dataset/scores/international-targets"),
                   DCTERMS.conformsTo) == KPI.scoreDsd


def test_a_broken_store_is_reported_not_published(store, iris):
    obs = URIRef("https://w3id.org/u4ssc-registry/data/observation/alesund/2020-06/EC-ICT-ICT-1C")
    g = Graph()
    g.add((obs, QB.dataSet, URIRef("https://example.org/second-data-set")))
    store.load(g, iris.graph("submission", "alesund", "2020-06"))
    # the second data set also repeats the item in the table (one row per data set)
    assert {f.ic for f in render_release(store, iris).failures} == {"IC-1", "CSVW-PK"}


def test_publishing_twice_gives_byte_identical_files(published, tmp_path):
    """A second publish, by the command line in another process (other hash seed, other store)."""
    release, _ = published
    run_cli("publish", "--store", ":memory:", str(tmp_path / "again"))
    again = {str(p.relative_to(tmp_path / "again")): p.read_bytes() for p in (tmp_path / "again").rglob("*") if p.is_file()}
    assert again.keys() == release.files.keys()
    assert [k for k in again if again[k] != release.files[k]] == []


def test_publish_refuses_to_replace_a_directory_that_is_not_a_release(published, tmp_path):
    release, _ = published
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        write_release(release, tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


# -- DCAT ----------------------------------------------------------------------------------------
def catalog(out: Path) -> Graph:
    return Graph().parse(out / "catalog.ttl", format="turtle")


def test_the_catalogue_conforms_to_the_dcat_ap_no_shapes(published):
    _, out = published
    shapes = Graph().parse(asset_dir("shapes") / "dcat-ap-no" / "dcatapno3-core-shapes.ttl", format="turtle")
    conforms, report, text = pyshacl.validate(catalog(out), shacl_graph=shapes, inference="none", allow_warnings=True)
    assert conforms, text
    assert not list(report.subjects(URIRef("http://www.w3.org/ns/shacl#resultSeverity"), None)), text


def test_the_dcat_ap_no_shapes_do_catch_a_dataset_without_title(published):
    _, out = published
    shapes = Graph().parse(asset_dir("shapes") / "dcat-ap-no" / "dcatapno3-core-shapes.ttl", format="turtle")
    g = catalog(out)
    dataset = URIRef("https://w3id.org/u4ssc-registry/data/dataset/sdg")
    g.remove((dataset, DCTERMS.title, None))
    conforms, report, _ = pyshacl.validate(g, shacl_graph=shapes, inference="none")
    assert not conforms
    sh = "http://www.w3.org/ns/shacl#"
    assert {(report.value(r, URIRef(sh + "focusNode")), report.value(r, URIRef(sh + "resultPath")))
            for r in report.subjects(URIRef(sh + "focusNode"), None)} == {(dataset, DCTERMS.title)}


def test_every_dataset_is_described_in_english_and_norwegian(published):
    g = catalog(published[1])
    datasets = set(g.objects(CATALOG, DCAT.dataset))
    assert len(datasets) == len(DATASETS) + 1  # + all observations as tables
    for d in datasets:
        for prop in (DCTERMS.title, DCTERMS.description):
            assert {lit.language for lit in g.objects(d, prop)} == {"en", "nb"}, (d, prop)
        assert g.value(d, DCTERMS.publisher) is not None and g.value(d, DCAT.contactPoint) is not None
        assert set(g.objects(d, DCAT.theme)) <= {URIRef(f"http://publications.europa.eu/resource/authority/data-theme/{t}")
                                                for t in ("REGI", "GOVE", "ECON", "ENVI", "SOCI", "INTR")}


def test_distributions_give_size_checksum_media_type_and_licence_of_their_file(published):
    release, out = published
    g = catalog(out)
    distributions = set(g.subjects(RDF.type, DCAT.Distribution))
    assert len(distributions) == len(release.files) - 3  # all but catalog.ttl, void.ttl, SHA256SUMS
    for d in distributions:
        path = str(g.value(d, DCAT.downloadURL)).removeprefix("https://w3id.org/u4ssc-registry/release/")
        data = (out / path).read_bytes()
        assert int(g.value(d, DCAT.byteSize)) == len(data)
        assert str(g.value(g.value(d, SPDX.checksum), SPDX.checksumValue)) == hashlib.sha256(data).hexdigest()
        assert str(g.value(d, DCAT.mediaType)).startswith("http://www.iana.org/assignments/media-types/")
        own = not path.startswith(("dumps/sdg", *(f"dumps/taxonomy/{s}." for s in KS_SOURCES)))
        assert (g.value(d, DCTERMS.license) == URIRef("http://publications.europa.eu/resource/authority/licence/CC_BY_4_0")) == own


def test_cube_datasets_carry_statdcat_ap_structure(published):
    g = catalog(published[1])
    stat = "http://data.europa.eu/(xyz)/statdcat-ap/"
    alesund = URIRef("https://w3id.org/u4ssc-registry/data/dataset/observations/alesund")
    assert set(g.objects(alesund, URIRef(stat + "dimension"))) == {KPI.city, KPI.round, KPI.dataPoint}
    assert set(g.objects(alesund, URIRef(stat + "statMeasure"))) == {KPI.value}
    assert set(g.objects(alesund, URIRef(stat + "attribute"))) == {KPI.unit, KPI.reportingStatus, KPI.verificationStatus}
    assert g.value(alesund, DCTERMS.conformsTo) == KPI.dsd
    assert URIRef("http://publications.europa.eu/resource/authority/country/NOR") in set(g.objects(alesund, DCTERMS.spatial))
    period = g.value(alesund, DCTERMS.temporal)
    assert (g.value(period, DCAT.startDate), g.value(period, DCAT.endDate)) == (
        Literal("2020-06-01", datatype=XSD.date), Literal("2020-06-30", datatype=XSD.date))


# -- VoID ----------------------------------------------------------------------------------------
def test_void_counts_match_the_dumps_and_links_are_linksets(published):
    _, out = published
    g = Graph().parse(out / "void.ttl", format="turtle")
    for key in DATASETS:
        node = URIRef(f"https://w3id.org/u4ssc-registry/data/dataset/{key}")
        dump = rdf(out, key)
        assert int(g.value(node, VOID.triples)) == len(dump)
        assert int(g.value(node, VOID.distinctSubjects)) == len(set(dump.subjects()))
        assert URIRef(f"https://w3id.org/u4ssc-registry/release/dumps/{key}.nt") in set(g.objects(node, VOID.dataDump))
        assert g.value(node, VOID.sparqlEndpoint) == URIRef("https://w3id.org/u4ssc-registry/sparql")
    targets = {g.value(ls, VOID.objectsTarget) for ls in g.subjects(RDF.type, VOID.Linkset)}
    assert targets == {URIRef("http://metadata.un.org/sdg/"), URIRef("https://data.norge.no/vocabulary/indicator/")}
    sdg_goal = [ls for ls in g.subjects(VOID.linkPredicate, KPI.sdgGoal)]
    assert sdg_goal and int(g.value(sdg_goal[0], VOID.triples)) > 0


# -- tables ---------------------------------------------------------------------------------------
def csv2rdf(metadata_path: Path) -> Graph:
    """Minimal-mode csv2rdf (W3C "Generating RDF from Tabular Data on the Web" §6) for this table.

    Enough of the spec for the release's metadata: one table, aboutUrl (the table's or a column's) /
    propertyUrl / valueUrl templates, suppressed columns, null = empty cell, literals typed by the column's datatype.
    """
    meta = json.loads(metadata_path.read_text(encoding="utf-8"))
    schema = meta["tableSchema"]
    g = Graph()
    with (metadata_path.parent / meta["url"]).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            for column in schema["columns"]:
                cell = row[column["name"]]
                if column.get("suppressOutput") or cell == "":
                    continue
                subject = URIRef(URITemplate(column.get("aboutUrl", schema["aboutUrl"])).expand(row))
                if "valueUrl" in column:
                    value = URIRef(URITemplate(column["valueUrl"]).expand(row))
                elif column["datatype"] == "string":
                    value = Literal(cell)
                else:
                    value = Literal(cell, datatype=XSD[column["datatype"]])
                g.add((subject, URIRef(column["propertyUrl"]), value))
    return g


def submission_items(out: Path) -> Graph:
    """Every triple about a submission item in the published RDF dumps."""
    dumps = rdf(out, "observations/alesund") + rdf(out, "observations/trondheim")
    items = set(dumps.subjects(KPI.submission, None))
    g = Graph()
    for item in items:
        for triple in dumps.triples((item, None, None)):
            g.add(triple)
    return g


def test_the_csv_is_valid_against_its_csvw_metadata(published):
    _, out = published
    table = csvw.Table.from_file(out / "tables" / "observations.csv-metadata.json")
    rows = list(table.iterdicts())  # raises on a cell that does not fit its column's datatype
    assert len(rows) == 107 + 5 + 9  # Ålesund reported + not reported, Trondheim reported


def test_the_csv_round_trips_through_its_csvw_metadata_to_the_same_items(published):
    _, out = published
    from_csv = csv2rdf(out / "tables" / "observations.csv-metadata.json")
    expected = submission_items(out)
    assert set(from_csv) - set(expected) == set()
    assert set(expected) - set(from_csv) == set()


def test_the_jsonstat_opens_with_pyjstat_and_gives_the_stored_values(published):
    _, out = published
    frame = pyjstat.Dataset.read((out / "tables" / "observations.jsonstat.json").read_text(encoding="utf-8")).write(
        "dataframe", naming="id")
    values = {(r.city, r.round, r.data_point): r.value for r in frame.itertuples() if r.value == r.value}  # NaN != NaN
    expected = {}
    dumps = rdf(out, "observations/alesund") + rdf(out, "observations/trondheim")
    for obs in dumps.subjects(RDF.type, QB.Observation):
        city = str(dumps.value(obs, KPI.city)).rsplit("/", 1)[-1]  # the municipality number
        round_key = "/".join(str(dumps.value(obs, KPI.round)).rsplit("/", 2)[-2:])
        value = dumps.value(obs, KPI.value)
        expected[(city, round_key, str(dumps.value(obs, KPI.dataPoint)).rsplit("/", 1)[-1])] = (
            (1 if value.toPython() else 0) if value.datatype == XSD.boolean else float(value))
    assert len(values) == len(expected) == 116
    assert {k: pytest.approx(v) for k, v in values.items()} == expected


# -- /catalog and /.well-known/void ------------------------------------------------------------
@pytest.fixture
def client(store):
    app = create_app(Settings.from_env(":memory:"), store=store, query_processes=1)
    return app.test_client()


@pytest.mark.parametrize(("accept", "media_type"), [
    ("text/turtle", "text/turtle"), ("application/ld+json", "application/ld+json"), ("text/html", "text/html"),
    ("text/html;q=0.5, text/turtle", "text/turtle"),
])
def test_catalog_answers_by_accept(client, accept, media_type):
    response = client.get("/catalog", headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == media_type
    if media_type != "text/html":
        g = Graph().parse(data=response.data, format="turtle" if media_type == "text/turtle" else "json-ld")
        assert (CATALOG, RDF.type, DCAT.Catalog) in g


def test_catalog_refuses_what_it_cannot_give(client):
    assert client.get("/catalog", headers={"Accept": "image/png"}).status_code == 406


def test_catalog_served_is_the_published_one(client, published):
    assert client.get("/catalog.ttl").data == (published[1] / "catalog.ttl").read_bytes()


def test_void_is_served_at_the_well_known_path(client):
    response = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert (URIRef("https://w3id.org/u4ssc-registry/data/dataset/registry"), RDF.type, VOID.Dataset) in Graph().parse(
        data=response.data, format="turtle")


def test_every_taxonomy_graph_is_published_under_its_publishers_terms(store, iris):
    g = Graph()
    concept = URIRef("https://data.norge.no/vocabulary/indicator/U4SSC/2150")
    g.add((concept, RDF.type, URIRef("http://www.w3.org/2004/02/skos/core#Concept")))
    g.add((concept, DCTERMS.modified, Literal("2025-07-15", datatype=XSD.date)))
    store.load(g, iris.g_taxonomy("ks-u4ssc"))
    release = render_release(store, iris)
    assert {f"dumps/taxonomy/ks-u4ssc.{s}" for s in ("ttl", "nt", "jsonld")} <= release.files.keys()
    cat = Graph().parse(data=release.files["catalog.ttl"], format="turtle")
    dataset = URIRef("https://w3id.org/u4ssc-registry/data/dataset/taxonomy/ks-u4ssc")
    assert cat.value(dataset, DCTERMS.modified) == Literal("2025-07-15", datatype=XSD.date)  # the data's own date
    for d in cat.objects(dataset, DCAT.distribution):
        assert cat.value(d, DCTERMS.license) is None and cat.value(d, DCTERMS.rights) is not None
    # the repairs are the registry's own data, under its own licence
    repair = URIRef("https://w3id.org/u4ssc-registry/data/dataset/taxonomy/repair")
    for d in cat.objects(repair, DCAT.distribution):
        assert cat.value(d, DCTERMS.license) is not None


def test_a_table_whose_primary_key_repeats_is_refused_naming_the_key(store, iris):
    """A city with two names (once possible with two slugs for one municipality) repeated every row of
    tables/observations.csv; publish checks the table against its own CSVW primaryKey (issue 17)."""
    city = iris.city("1507")
    g = Graph()
    g.add((city, URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"), Literal("Aalesund")))
    store.load(g, iris.g_cities)
    failures = [f for f in render_release(store, iris).failures if f.ic == "CSVW-PK"]
    assert failures and all("primary key item https://w3id.org/u4ssc-registry/data/observation/alesund/" in f.message
                            for f in failures)
