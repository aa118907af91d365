"""The HTML pages in a real browser: Debian's headless Chromium driven by Playwright.

Playwright's own browser download is never used (it cannot be fetched here): the test launches
/usr/bin/chromium. Without it the tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .conftest import ROOT
from .serving import running_server, store_on_disk

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
# `make screenshots` refreshes the committed copies in docs/screenshots; plain runs keep the tree clean.
SCREENSHOTS = Path(os.environ.get("KPI_REGISTRY_SCREENSHOTS", ROOT / "build" / "screenshots"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LABEL = "Household Internet Access"


def _require_chromium() -> None:
    if CHROMIUM.exists() and shutil.which(str(CHROMIUM)):
        return
    message = f"{CHROMIUM} is missing (apt-get install -y chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def server(tmp_path_factory, staged):
    store = store_on_disk(tmp_path_factory.mktemp("browser") / "store", staged)
    with running_server(store, "--workers", "2") as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM), headless=True,
            args=ARGS, viewport={"width": 1280, "height": 900},
        )
        yield context
        context.close()


@pytest.fixture
def page(browser):
    page = browser.new_page()
    yield page
    page.close()


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


def test_kpi_page_links_to_its_category(server, page):
    page.goto(f"{server}/def/kpi/EC-ICT-ICT-1C")
    assert LABEL in page.locator("h1").inner_text()
    assert page.locator("section", has_text="Cities reporting it").locator("a", has_text="Ålesund").count() >= 1
    shoot(page, "kpi-page.png")
    page.locator("section", has_text="Category").get_by_role("link").first.click()
    page.wait_for_url(f"{server}/def/category/EC-ICT-ICT")
    assert "ICT" in page.locator("h1").inner_text()


def test_city_page_shows_its_submission(server, page):
    page.goto(f"{server}/id/city/1507")
    assert page.locator("h1").inner_text() == "Ålesund"
    values = page.locator("section", has_text="Values reported").locator("table")
    assert values.locator("tr", has_text=LABEL).count() == 1
    shoot(page, "city-page.png")


def test_query_form_runs_a_query_and_shows_the_table(server, page):
    page.goto(f"{server}/sparql")
    page.fill("#query", "PREFIX kpi: <https://w3id.org/u4ssc-registry/def#>\n"
                        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
                        "SELECT ?kpi ?label WHERE { ?kpi a kpi:KPI ; kpi:key \"EC-ICT-ICT-1C\" ; skos:prefLabel ?label }")
    page.click("#run")
    table = page.locator("table.results")
    table.wait_for()
    assert LABEL in table.inner_text()
    shoot(page, "query-results.png")


def fill_workbook(path: Path, rows: dict[str, dict[str, str]]) -> None:
    """Type the Ålesund round into the downloaded workbook, as city staff would in Excel: each row's cells."""
    import openpyxl

    book = openpyxl.load_workbook(path)
    sheet = book["Submission"]
    header = [cell.value for cell in sheet[1]]
    for cells in sheet.iter_rows(min_row=2):
        row = rows.get(cells[header.index("data_point_id")].value, {})
        for column in ("value", "status", "verification", "note", "source"):
            cells[header.index(column)].value = row.get(column) or None
    book.save(path)


def check(page, server: str, path: Path) -> str:
    """Upload `path` on the /validate page, as Ålesund's round 2020-06, and return the verdict shown."""
    page.goto(f"{server}/validate")
    page.set_input_files("#file", str(path))
    page.fill("#city", "alesund")
    page.click("#check")
    return page.locator("#verdict").inner_text()


def test_a_workbook_downloaded_filled_with_faults_and_corrected_on_the_validate_page(server, page, tmp_path):
    import csv

    page.goto(f"{server}/validate")
    with page.expect_download() as download:
        page.click("#template-xlsx")
    workbook = tmp_path / "2020-06.xlsx"
    download.value.save_as(str(workbook))
    with (ROOT / "data" / "cities" / "alesund" / "2020-06.csv").open(encoding="utf-8", newline="") as handle:
        alesund = {row["data_point_id"]: row for row in csv.DictReader(handle)}
    faulty = {**alesund, "EC-ICT-ICT-1C": {**alesund["EC-ICT-ICT-1C"], "value": "150"},  # OBS-8: over 100 %
              "EC-ICT-ICT-2C": {**alesund["EC-ICT-ICT-2C"], "status": "not_reported"}}  # OBS-5 (a value), OBS-11 (verified)
    fill_workbook(workbook, faulty)

    verdict = check(page, server, workbook)
    assert "2020-06.xlsx would not be accepted for alesund, round 2020-06: 3 violations" in verdict
    findings = page.locator("table.findings")
    assert findings.locator("tr", has_text="Submission!G2").locator("a", has_text="OBS-8").count() == 1
    assert findings.locator("tr", has_text="Submission!G3").locator("a", has_text="OBS-5").count() == 1
    assert findings.locator("tr", has_text="Submission!I3").locator("a", has_text="OBS-11").count() == 1
    shoot(page, "validate-findings.png")
    page.locator("table.findings a", has_text="OBS-8").first.click()
    page.wait_for_url(f"{server}/rules#OBS-8")
    assert "admissible range" in page.locator("tr#OBS-8").inner_text()

    fill_workbook(workbook, alesund)
    assert "2020-06.xlsx would be accepted for alesund, round 2020-06" in check(page, server, workbook)
    shoot(page, "validate-accepted.png")
