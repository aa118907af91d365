"""The summary and scoring queries run unchanged on real servers (Virtuoso, Oxigraph server) and give the same figures."""

from __future__ import annotations

from decimal import Decimal

import pytest

from registry.scoring.score import CatalogueTree, data_point_scores
from registry.submissions import derived
from registry.submissions.bulk import replace_and_derive
from registry.submissions.staged import City
from registry.scoring.summary import summary

from .test_score import BOUNDS, EDUCATION, STRICT_HEADER, Synthetic
from .test_summary import EXPECTED

ALESUND = City("alesund", "Ålesund", "1507")


@pytest.fixture
def loaded(remote_server, staged, iris):
    """A real server holding the catalogue, the seed submissions and the shipped benchmark set."""
    wanted = {iris.g_ontology, iris.g_catalogue, iris.g_inferred, iris.g_cities,
              iris.g_submission("alesund", "2020-06"), iris.g_submission("trondheim", "2020-09"),
              iris.g_benchmarks("international-targets")}
    with remote_server.store() as store:
        # Written as `build` writes: the scores and summaries computed on the server, by its own SPARQL Update.
        replace_and_derive(store, {g: data for g, data in staged.items() if g in wanted},
                           derived.everything(iris, ["international-targets"]))
        yield store


def test_summary_reproduces_the_report(loaded, iris):
    result = summary(loaded, iris, ALESUND, "2020-06")
    assert (result["kpis"], result["data_points"]) == (EXPECTED["kpis"], EXPECTED["data_points"])
    found = {(e["kpi"], e["partial"], tuple(e["missing"])) for e in result["not_reported"]}
    assert found == {(e["kpi"], e["partial"], tuple(e["missing"])) for e in EXPECTED["not_reported"]}
    assert result["not_verified"] == []


def test_scores_equal_the_embedded_stores(loaded, store, iris):
    submission, targets = iris.submission("alesund", "2020-06"), iris.benchmark_set("international-targets")
    remote = data_point_scores(loaded, CatalogueTree(loaded), submission, targets)
    assert remote == data_point_scores(store, CatalogueTree(store), submission, targets)


def test_report_example_and_boundaries(remote_server, staged, iris, tmp_path):
    """Integer division and ROUND differ between engines; the queries must not depend on either."""
    with remote_server.store() as store:
        synthetic = Synthetic(store, staged, iris, tmp_path)
        synthetic.submit("four", dict(zip(EDUCATION, [10, 80, 100, 20])))
        synthetic.submit("three", dict(zip(EDUCATION[:3], [80, 100, 50])))
        synthetic.submit("edge", {"SC-EH-ED-1C": "33", "SC-EH-ED-2C": "32.99", "SC-EH-ED-4C": "95"})
        assert synthetic.category("four", "SC-EH-ED") == (9, 4, Decimal("56.25"), 2)
        assert synthetic.category("three", "SC-EH-ED") == (9, 3, Decimal("75"), 3)
        points = synthetic.points()
        assert [points[("edge", dp)][1] for dp in ("SC-EH-ED-1C", "SC-EH-ED-2C", "SC-EH-ED-4C")] == [2, 1, 4]


@pytest.mark.parametrize("strict", ["yes", "no"])
def test_a_strict_bound_on_the_server(remote_server, staged, iris, tmp_path, strict):
    """Booleans come back as 1 / 0 from Virtuoso: "less than 70" is still not met by 70, "at most 70" is."""
    with remote_server.store() as store:
        synthetic = Synthetic(store, staged, iris, tmp_path, STRICT_HEADER + BOUNDS["lower"].format(strict=strict))
        synthetic.submit("at", {"SC-EH-H-2C": "70"})
        synthetic.submit("inside", {"SC-EH-H-2C": "69.9"})
        assert synthetic.met() == {("at", "SC-EH-H-2C"): strict == "no", ("inside", "SC-EH-H-2C"): True}
        assert synthetic.points()[("at", "SC-EH-H-2C")] == (Decimal(100), 4)
