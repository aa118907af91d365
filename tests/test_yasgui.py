"""YASGUI, the SPARQL client analysts use, against a real `kpi-registry serve`, in headless Chromium.

The real package from the npm registry (`@zazuko/yasgui`, pinned by tests/yasgui/package-lock.json and
installed by `make test`), served with tests/yasgui/index.html from a local server on another origin than
the endpoint's, so the browser's CORS checks apply as they do for analysts: no CDN. The test runs a SELECT and
a CONSTRUCT through YASGUI's own query call, with its defaults, and reads the table YASGUI renders.
"""

from __future__ import annotations

import http.server
import os
import threading
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from rdflib import URIRef

from registry.store import OxigraphStore

from .conftest import ROOT
from .serving import running_server, store_on_disk
from .test_browser import ARGS, CHROMIUM, _require_chromium

pytestmark = pytest.mark.browser

PAGE = ROOT / "tests" / "yasgui"
BUILD = PAGE / "node_modules" / "@zazuko" / "yasgui" / "build"
KPI = "https://w3id.org/u4ssc-registry/def/kpi/EC-ICT-ICT-1C"
SELECT = ("SELECT ?kpi ?notation WHERE { ?kpi a <https://w3id.org/u4ssc-registry/def#KPI> ; "
          "<http://www.w3.org/2004/02/skos/core#notation> ?notation } ORDER BY ?notation LIMIT 10")
CONSTRUCT = f"CONSTRUCT {{ <{KPI}> ?p ?o }} WHERE {{ <{KPI}> ?p ?o FILTER isIRI(?o) }}"


def _require_yasgui() -> None:
    if (BUILD / "yasgui.min.js").exists():
        return
    message = f"{BUILD} is missing (make test installs it: npm ci --prefix tests/yasgui)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


class _Files(http.server.SimpleHTTPRequestHandler):
    """The test page and YASGUI's build files, nothing else."""

    def translate_path(self, path: str) -> str:
        name = path.split("?", 1)[0].rsplit("/", 1)[-1]
        return str(BUILD / name) if name in ("yasgui.min.js", "yasgui.min.css") else str(PAGE / "index.html")

    def log_message(self, *args) -> None:
        """Quiet: pytest shows failures, not every request."""


@pytest.fixture(scope="module")
def page_url() -> Iterator[str]:
    _require_yasgui()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def built(tmp_path_factory, staged):
    return store_on_disk(tmp_path_factory.mktemp("yasgui") / "store", staged)


@pytest.fixture(scope="module")
def yasgui(built, page_url):
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with running_server(built, "--workers", "1") as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        page = browser.new_page()
        page.goto(f"{page_url}?endpoint={quote(url + '/sparql', safe='')}")
        page.wait_for_function("window.yasgui && window.yasgui.getTab()")
        yield page
        browser.close()


def run(page, query: str, header: str) -> list[list[str]]:
    """The query through YASGUI's own call, then the rows of the table it renders (the row number dropped),
    once the table shows `header` among its columns."""
    page.evaluate("q => { const tab = window.yasgui.getTab(); tab.setQuery(q); return tab.query(); }", query)
    page.wait_for_function("h => [...document.querySelectorAll('.yasr table thead th')].some(th => th.innerText.trim() == h)",
                           arg=header)
    return [[cell.strip() for cell in row.locator("td").all_inner_texts()[1:]]
            for row in page.locator(".yasr table tbody tr").all()]


def _shown(term) -> str:
    """A term as YASGUI's table shows it: an IRI in angle brackets, a literal as its text."""
    return f"<{term}>" if isinstance(term, URIRef) else str(term)


def test_yasgui_runs_a_select_and_renders_the_stores_answer(yasgui, built):
    store = OxigraphStore(built, read_only=True)
    try:
        expected = [[_shown(r["kpi"]), _shown(r["notation"])] for r in store.select(SELECT)]
    finally:
        store.close()
    assert len(expected) == 10
    assert run(yasgui, SELECT, "notation") == expected


def test_yasgui_runs_a_construct_and_renders_its_triples(yasgui, built):
    store = OxigraphStore(built, read_only=True)
    try:
        expected = {tuple(_shown(t) for t in triple) for triple in store.construct(CONSTRUCT)}
    finally:
        store.close()
    assert len(expected) > 5
    assert {tuple(row) for row in run(yasgui, CONSTRUCT, "predicate")} == expected
