"""The verification workflow walked in a real browser (issue 20): Debian's headless Chromium, driven by
Playwright, against `kpi-registry serve --workflow`. The editor uploads a faulty file, fixes it and
submits; the verifier asks about one data point, the editor answers, the verifier resolves, decides,
verifies and publishes; the value is in /sparql and on the city page only then. No JavaScript runs: the
server's CSP forbids it, so every step is a plain form."""

from __future__ import annotations

import pytest
import requests

from registry.workflow.accounts import Accounts

from .serving import running_server, store_on_disk
from .test_browser import ARGS, CHROMIUM, _require_chromium, shoot
from .test_workflow import BAD, GOOD, PASSWORD, VALUE

pytestmark = pytest.mark.browser

CITY, ROUND, POINT = "alesund", "2031", "EC-ICT-ICT-1C"
ASK = f'ASK {{ ?item <https://w3id.org/u4ssc-registry/def#value> ?v FILTER (STR(?v) = "{VALUE}") }}'


@pytest.fixture(scope="module")
def server(tmp_path_factory, staged):
    store = store_on_disk(tmp_path_factory.mktemp("workflow-browser") / "store", staged)
    accounts = Accounts(store.with_name("store.accounts.sqlite"))
    accounts.add("eve", "editor", PASSWORD, [CITY], "Eve Editor")
    accounts.add("vic", "verifier", PASSWORD, [CITY], "Vic Verifier")
    with running_server(store, "--workflow") as url:
        yield url


@pytest.fixture(scope="module")
def chromium():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield browser
        browser.close()


def person(chromium, server: str, user: str):
    """A browser context of its own (its own cookies), signed in as `user`."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server}/workflow/")
    assert page.url.startswith(f"{server}/workflow/login?")  # redirected: not signed in yet
    page.get_by_label("User").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server}/workflow/")
    return page


def csv_file(text: str) -> dict:
    return {"name": "alesund-2031.csv", "mimeType": "text/csv", "buffer": text.encode("utf-8")}


def published(server: str) -> bool:
    answer = requests.get(f"{server}/sparql", params={"query": ASK}, headers={"Accept": "application/sparql-results+json"},
                          timeout=30)
    return answer.json()["boolean"]


def on_city_page(server: str) -> bool:
    return VALUE in requests.get(f"{server}/id/city/1507", headers={"Accept": "text/html"}, timeout=30).text


def test_a_round_from_a_faulty_upload_to_publication(server, chromium):
    round_url = f"{server}/workflow/{CITY}/{ROUND}"
    point_url = f"{round_url}/point/{POINT}"
    editor = person(chromium, server, "eve")
    editor.get_by_label("Round").fill(ROUND)
    editor.get_by_label("File").set_input_files(csv_file(BAD))
    editor.get_by_role("button", name="Upload the draft").click()
    assert "does not conform" in editor.locator("h1").inner_text()
    assert editor.locator(".findings tr", has_text="OBS-6").count() == 1
    shoot(editor, "workflow-refused-upload.png")
    editor.get_by_label("Corrected file").set_input_files(csv_file(GOOD))
    editor.get_by_role("button", name="Upload").click()
    editor.wait_for_url(round_url)
    assert "draft" in editor.locator("h1 .tag").inner_text()
    editor.get_by_role("button", name="Submit for verification").click()
    editor.wait_for_url(round_url)
    assert "submitted" in editor.locator("h1 .tag").inner_text()

    verifier = person(chromium, server, "vic")
    verifier.get_by_role("link", name=ROUND).click()
    verifier.get_by_role("link", name=POINT).click()
    verifier.wait_for_url(point_url)
    verifier.get_by_label("Ask the city").fill("Which survey gives 91.37 %?")
    verifier.get_by_role("button", name="Ask").click()
    verifier.wait_for_url(point_url)

    editor.goto(point_url)
    editor.get_by_label("Answer").fill("Statistics Norway's ICT survey 2030, table 4")
    editor.get_by_role("button", name="Answer").click()
    editor.wait_for_url(point_url)
    assert "Statistics Norway" in editor.locator(".answer").inner_text()

    verifier.goto(point_url)
    shoot(verifier, "workflow-conversation.png")
    verifier.get_by_label("Resolve").fill("Accepted: the survey is the methodology's source")
    verifier.get_by_role("button", name="Resolve").click()
    verifier.wait_for_url(point_url)
    verifier.goto(round_url)
    row = verifier.locator(f"#dp-{POINT}")
    row.get_by_label(f"Verified {POINT}").select_option("yes")
    row.get_by_label(f"Comment {POINT}").fill("matches the survey")
    row.get_by_role("button", name="Decide").click()
    verifier.wait_for_url(f"{round_url}#dp-{POINT}")
    assert "yes" in verifier.locator(f"#dp-{POINT}").inner_text()
    shoot(verifier, "workflow-review.png")
    verifier.get_by_role("button", name="Verification complete").click()
    verifier.wait_for_url(round_url)
    assert not published(server) and not on_city_page(server)
    verifier.get_by_role("button", name="Publish").click()
    verifier.wait_for_url(round_url)
    assert "published" in verifier.locator("h1 .tag").inner_text()
    assert published(server) and on_city_page(server)
