"""/validate through the Flask test client: the CLI's report for an uploaded file, and nothing stored."""

from __future__ import annotations

import io

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import RDF

from registry.config import Settings
from registry.namespaces import KPI, SH
from registry.server import create_app
from registry.store import StoreConfig
from registry.submissions.ingest import find_city
from registry.submissions.staged import MAX_ROWS, Catalogue
from registry.submissions.template import export_rows, write_csv
from registry.submissions.userfiles import MAX_BYTES
from registry.submissions.validate import SUBMISSION_SHAPES, shapes

from .conftest import run_cli
from .serving import store_on_disk
from .test_hostile_files import CASES, IDS, Listener, instance

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
JSON = {"Accept": "application/json"}


def app_over(store, **options):
    return create_app(Settings(StoreConfig(None)), store=store, **options)


@pytest.fixture
def client(store):
    return app_over(store).test_client()


def alesund_rows(store, iris) -> list[dict[str, str]]:
    """The stored Ålesund round as the filled template (`kpi-registry export`)."""
    return export_rows(store, iris, Catalogue.from_store(store), find_city(store, "alesund"), "2020-06")


def as_csv(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    write_csv(rows, buffer)
    return buffer.getvalue().encode("utf-8")


def with_faults(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Household Internet Access at 150 % (OBS-8) and a not_reported row that gives a value (OBS-5)."""
    rows = [dict(r) for r in rows]
    rows[0]["value"] = "150"
    rows[1]["status"] = "not_reported"
    return rows


def upload(client, data: bytes, name: str = "2020-06.csv", accept: str = "application/json", **fields):
    return client.post("/validate", data={"file": (io.BytesIO(data), name), **fields},
                       content_type="multipart/form-data", headers={"Accept": accept})


def rules_of(response) -> set[str]:
    return {r["rule"] for r in response.get_json()["results"]}


def test_faulty_csv_answers_200_with_conforms_false_and_the_rule_ids(client, store, iris):
    response = upload(client, as_csv(with_faults(alesund_rows(store, iris))), city="alesund")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json()["conforms"] is False
    assert {"OBS-8", "OBS-5"} <= rules_of(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_the_alesund_export_conforms(client, store, iris):
    response = upload(client, as_csv(alesund_rows(store, iris)), city="alesund")
    assert response.status_code == 200
    assert response.get_json()["conforms"] is True


def test_the_json_is_what_validate_format_json_prints(client, store, staged, iris, tmp_path):
    data = as_csv(with_faults(alesund_rows(store, iris)))
    (tmp_path / "2020-06.csv").write_bytes(data)
    on_disk = store_on_disk(tmp_path / "store", staged)
    cli = run_cli("validate", "2020-06.csv", "--city", "alesund", "--format", "json", "--store", str(on_disk),
                  cwd=tmp_path, check=False)
    assert cli.returncode == 1
    assert upload(client, data, city="alesund").get_data(as_text=True) == cli.stdout


def test_the_body_and_a_multipart_form_give_the_same_report(client, store, iris):
    data = as_csv(with_faults(alesund_rows(store, iris)))
    body = client.post("/validate?city=alesund&name=2020-06.csv", data=data, content_type="text/csv", headers=JSON)
    assert body.status_code == 200
    assert body.get_data() == upload(client, data, city="alesund").get_data()


def test_a_body_named_by_its_type_alone_is_checked_as_a_draft(client, store, iris):
    response = client.post("/validate?city=alesund", data=as_csv(alesund_rows(store, iris)), content_type="text/csv",
                           headers=JSON)
    assert response.get_json()["conforms"] is True
    assert {r["file"] for r in response.get_json()["results"]} == {"upload.csv"}


def test_turtle_is_one_sh_validation_report_holding_every_finding(client, store, iris):
    faulty = upload(client, as_csv(with_faults(alesund_rows(store, iris))), accept="text/turtle", city="alesund")
    assert faulty.mimetype == "text/turtle"
    report = Graph().parse(data=faulty.get_data(as_text=True), format="turtle")
    (node,) = report.subjects(RDF.type, SH.ValidationReport)
    assert report.value(node, SH.conforms) == Literal(False)
    assert {"OBS-8", "OBS-5"} <= {str(report.value(r, KPI.ruleId)) for r in report.objects(node, SH.result)}


def test_findings_made_before_shacl_are_in_the_turtle_report_too(client, store, iris):
    rows = alesund_rows(store, iris)
    rows[0]["status"] = "reportd"  # CSV-2: refused while reading, SHACL does not run
    response = upload(client, as_csv(rows), accept="text/turtle", city="alesund")
    report = Graph().parse(data=response.get_data(as_text=True), format="turtle")
    (node,) = report.subjects(RDF.type, SH.ValidationReport)
    assert report.value(node, SH.conforms) == Literal(False)
    assert [str(report.value(r, KPI.ruleId)) for r in report.objects(node, SH.result)] == ["CSV-2"]


def test_the_page_says_whether_the_file_would_be_accepted_and_links_each_rule(client, store, iris):
    faulty = upload(client, as_csv(with_faults(alesund_rows(store, iris))), accept=BROWSER, city="alesund")
    page = faulty.get_data(as_text=True)
    assert faulty.status_code == 200 and faulty.mimetype == "text/html"
    assert "would not be accepted for alesund, round 2020-06" in page
    assert 'href="/rules#OBS-8"' in page
    assert '<span class="notation">EC: ICT: ICT: 1C</span>' in page  # grouped by KPI
    accepted = upload(client, as_csv(alesund_rows(store, iris)), accept=BROWSER, city="alesund")
    assert "2020-06.csv would be accepted for alesund, round 2020-06" in accepted.get_data(as_text=True)


def test_every_rule_a_finding_can_name_has_its_row_on_the_rules_page(client):
    page = client.get("/rules").get_data(as_text=True)
    ids = {str(r) for r in shapes(*SUBMISSION_SHAPES).objects(None, KPI.ruleId)}
    ids |= {"CSV-1", "CSV-2", "CSV-3", "CSV-4", "CSV-5", "NUM-1", "MOD-1", "SHACL"}
    assert [rule for rule in sorted(ids) if f'<tr id="{rule}">' not in page] == []


def test_the_page_offers_both_templates(client, store):
    page = client.get("/validate", headers={"Accept": BROWSER}).get_data(as_text=True)
    assert 'href="/validate/template.xlsx"' in page and 'href="/validate/template.csv"' in page
    workbook = client.get("/validate/template.xlsx")
    assert workbook.data[:2] == b"PK" and "attachment" in workbook.headers["Content-Disposition"]
    rows = client.get("/validate/template.csv").get_data(as_text=True).splitlines()
    assert len(rows) == 1 + len(Catalogue.from_store(store).entries)


def test_an_upload_over_the_limit_is_413_saying_the_limit(client):
    response = upload(client, b"x" * (MAX_BYTES + 1))
    assert response.status_code == 413
    assert "16 MiB" in response.get_json()["error"]


@pytest.mark.parametrize("name, data, reason", [
    ("2020-06.xlsx", b"not a zip archive", "not an Excel workbook"),
    ("2020-06.csv", "value\n96,5".encode("utf-16"), "not UTF-8"),
    ("2020-06.ttl", b"<a> <b> ", "cannot parse as Turtle"),
    ("2020-06.jsonld", b'{"@context": "https://example.org/context.jsonld", "@id": "x"}', "no document is fetched"),
    ("2020-06.csv", b"", "wrong header"),  # the reader's reason, as the CLI gives it
])
def test_an_unreadable_file_is_400_naming_why(client, name, data, reason):
    response = upload(client, data, name)
    assert response.status_code == 400
    assert reason in response.get_json()["error"]
    assert response.get_json()["error"].startswith(name)


def test_a_csv_over_the_row_limit_is_400(client):
    header = b"data_point_id,kpi_code,kpi_name,data_point,unit,core_advanced,value,status,verification,note,source\n"
    response = upload(client, header + b"EC-ICT-ICT-1C,,,,,,96,,,,\n" * (MAX_ROWS + 1))
    assert response.status_code == 400
    assert f"more than {MAX_ROWS:,} rows" in response.get_json()["error"]


def test_a_body_of_no_known_type_is_400_naming_the_types(client):
    response = client.post("/validate", data=b"96", content_type="application/octet-stream", headers=JSON)
    assert response.status_code == 400
    assert "text/csv" in response.get_json()["error"]


def test_a_validation_past_its_deadline_is_503(store, iris):
    client = app_over(store, validate_timeout=0.001).test_client()
    response = upload(client, as_csv(alesund_rows(store, iris)), city="alesund")
    assert response.status_code == 503
    assert "validation did not finish within" in response.get_json()["error"]


def test_nothing_is_stored(client, store, iris):
    before = sorted(store.dump().splitlines())
    upload(client, as_csv(alesund_rows(store, iris)), city="alesund")
    upload(client, as_csv(with_faults(alesund_rows(store, iris))), city="bergen", round="2024")
    assert sorted(store.dump().splitlines()) == before


@pytest.fixture(scope="module")
def listener():
    server = Listener()
    yield server
    server.socket.close()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_hostile_file_is_refused_for_its_reason_without_a_connection(case, listener, client, tmp_path):
    """tests/hostile/: each file is unreadable (400) or does not conform, for the reason the CLI gives."""
    path = instance(case["file"], listener, tmp_path)
    response = upload(client, path.read_bytes(), path.name, city=case["city"], round=case["round"])
    if response.status_code == 400:
        assert case["expect"] in response.get_json()["error"]
    else:
        assert response.status_code == 200 and response.get_json()["conforms"] is False
        violations = [r for r in response.get_json()["results"] if r["severity"] == "Violation"]
        assert violations and all(case["expect"] in r["rule"] + r["message"] for r in violations)
    assert listener.connections == 0
