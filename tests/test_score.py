"""Scoring as section 5 of the U4SSC reports states it, tested on the queries themselves with tiny synthetic stores."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from registry import sparql
from registry.scoring.benchmarks import SetInfo, parse_set, validate_set
from registry.submissions import derived
from registry.submissions.ingest import Context
from registry.namespaces import KPI
from registry.sparql import plain
from registry.scoring.score import CatalogueTree, data_point_scores, rollups, target_text
from registry.store import OxigraphStore, Store

DECIMAL = URIRef("http://www.w3.org/2001/XMLSchema#decimal")
HEADER = "data_point_id,target,unit,direction,band_low,band_high,source,source_title,quote,note\n"
EDUCATION = ["SC-EH-ED-1C", "SC-EH-ED-2C", "SC-EH-ED-3C", "SC-EH-ED-4C"]
TARGETS = HEADER + "".join(f"{dp},100,{unit},higher,,,https://example.org/t,,,\n" for dp, unit in zip(
    EDUCATION, ["%", "%", "per 100 000 inhabitants", "%"])) + (
    "EN-EN-AQ-1C-no2,10,µg/m3,lower,,,https://example.org/t,,,\n"
    "SC-EH-H-2C,70,per 100 000 live births,lower,,,https://example.org/t,,,\n"
    "SC-SH-HO-1C,0,%,lower,,,https://example.org/t,,,\n"
    "SC-SH-SI-1C,,ratio female:male,band,0.9,1.1,https://example.org/t,,,\n"
    "EC-I-UP-2A-compact,yes,yes/no,higher,,,https://example.org/t,,,\n")


class Synthetic:
    """The real ontology and catalogue, one synthetic benchmark set, and submissions made up per test."""

    def __init__(self, store: Store, staged, iris, tmp_path: Path, targets: str = TARGETS) -> None:
        self.iris, self.store = iris, store
        self.store.replace_graphs({g: staged[g] for g in (iris.g_ontology, iris.g_catalogue, iris.g_inferred)})
        path = tmp_path / "synthetic.csv"
        path.write_text(targets, encoding="utf-8")
        context = Context.from_store(self.store, iris)
        targets = parse_set(path, iris, context.catalogue, SetInfo("synthetic", "Synthetic", "Tests", "2024-01-01"))
        assert validate_set(targets, context.reference).conforms
        self.store.replace_graphs({iris.g_benchmarks("synthetic"): targets.graph})
        self.set = iris.benchmark_set("synthetic")

    def submit(self, name: str, values: dict[str, object], round_id: str = "r1") -> URIRef:
        """A submission of city `name` for round `round_id` reporting `values` (data point id → Python value)."""
        iris, g = self.iris, Graph()
        sub = iris.submission(name, round_id)
        g.add((sub, RDF.type, KPI.Submission))
        g.add((sub, KPI.city, iris.city(name)))
        g.add((sub, KPI.round, iris.round(name, round_id)))
        g.add((iris.round(name, round_id), KPI.roundId, Literal(round_id)))
        for dp_id, value in values.items():
            item = iris.observation(name, round_id, dp_id)
            g.add((item, KPI.submission, sub))
            g.add((item, KPI.dataPoint, iris.datapoint(dp_id)))
            g.add((item, KPI.reportingStatus, KPI.Reported))
            g.add((item, KPI.value, Literal(value) if isinstance(value, bool) else Literal(str(value), datatype=DECIMAL)))
        # Written as an import writes it: the scores are derived in the same update.
        self.store.replace_graphs({iris.g_submission(name, round_id): g},
                                  then=derived.submission_updates(iris, name, round_id, ["synthetic"],
                                                                  using=not self.store.updates_read_union))
        return sub

    def points(self) -> dict[tuple[str, str], tuple[Decimal, int]]:
        """(city, data point id) → (% of target, points), for every submission at once."""
        return {(city, dp): score for (city, _, dp), score in self.rounds().items()}

    def rounds(self) -> dict[tuple[str, str, str], tuple[Decimal, int]]:
        """(city, round, data point id) → (% of target, points), for every submission at once."""
        rows = self.store.select(sparql.load("score_datapoints"), {"set": self.set})
        return {(*str(r["submission"]).split("/")[-2:], str(r["dataPoint"]).rsplit("/", 1)[-1]):
                (Decimal(str(r["percent"])), int(r["points"])) for r in rows}

    def met(self) -> dict[tuple[str, str], bool]:
        """(city, data point id) → whether the value meets its target (score_datapoints.rq's ?met)."""
        rows = self.store.select(sparql.load("score_datapoints"), {"set": self.set})
        return {(str(r["submission"]).split("/")[-2], str(r["dataPoint"]).rsplit("/", 1)[-1]):
                bool(plain(r["met"])) for r in rows}

    def category(self, name: str, code: str) -> tuple[int, int, Decimal, int]:
        """(points, scored, percent, band points) of one category of submission `name`, from score_categories.rq."""
        rows = self.store.select(sparql.load("score_categories"), {"submission": self.iris.submission(name, "r1"),
                                                                   "set": self.set})
        row = next(r for r in rows if r["node"] == self.iris.category(code))
        return int(row["points"]), int(row["scored"]), Decimal(str(row["percent"])), int(row["bandPoints"])


@pytest.fixture
def synthetic(staged, iris, tmp_path):
    with OxigraphStore() as store:
        yield Synthetic(store, staged, iris, tmp_path)


def test_report_example_four_kpis(synthetic):
    """Section 5: Education, 4 KPIs scored 1, 3, 4, 1 → 9 of 16 = 56.25 % → "33 – 66 % of target"."""
    synthetic.submit("four", dict(zip(EDUCATION, [10, 80, 100, 20])))
    assert [synthetic.points()[("four", dp)][1] for dp in EDUCATION] == [1, 3, 4, 1]
    assert synthetic.category("four", "SC-EH-ED") == (9, 4, Decimal("56.25"), 2)


def test_report_example_three_reported(synthetic):
    """Section 5: only 3 reported, scored 3, 4, 2 → 9 of 12 = 75 % → "66 – 95 % of target"."""
    synthetic.submit("three", dict(zip(EDUCATION[:3], [80, 100, 50])))
    assert synthetic.category("three", "SC-EH-ED") == (9, 3, Decimal("75"), 3)


@pytest.mark.parametrize(("value", "points"), [
    ("0", 1), ("32.99", 1), ("33", 2), ("33.01", 2), ("65.99", 2), ("66", 3), ("94.99", 3), ("95", 4), ("100", 4),
])
def test_band_boundaries_are_half_open(synthetic, value, points):
    """Exactly 33 % is band 2, exactly 66 % band 3, exactly 95 % band 4 ([lower, upper) of kpi:ScoreBand)."""
    synthetic.submit("edge", {"SC-EH-ED-1C": value})
    assert synthetic.points()[("edge", "SC-EH-ED-1C")] == (Decimal(value), points)


def test_every_submission_is_scored_by_one_query(synthetic):
    for n, value in enumerate(["10", "50", "90"]):
        synthetic.submit(f"city{n}", {"SC-EH-ED-1C": value})
    assert {city: p for (city, _), (_, p) in synthetic.points().items()} == {"city0": 1, "city1": 2, "city2": 3}


@pytest.mark.parametrize(("dp", "value", "percent", "points"), [
    ("EN-EN-AQ-1C-no2", "21", Decimal(1000) / 21, 2),       # lower is better: target ÷ value
    ("EN-EN-AQ-1C-no2", "5", 100, 4),                       # beating the target is meeting it (capped)
    ("SC-EH-H-2C", "0", 100, 4),                            # lower is better, value 0: best, no division by zero
    ("SC-SH-HO-1C", "0", 100, 4),                           # target 0 met
    ("SC-SH-HO-1C", "0.04", Decimal("99.96"), 4),           # target 0: complement, (100 − value) ÷ 100
    ("SC-SH-HO-1C", "50", 50, 2),
    ("SC-SH-SI-1C", "1.0", 100, 4),                         # inside the band
    ("SC-SH-SI-1C", "0.45", 50, 2),                         # below: value ÷ lower limit
    ("SC-SH-SI-1C", "2.2", 50, 2),                          # above: upper limit ÷ value
    ("SC-EH-ED-2C", "100.25", 100, 4),                      # above a higher-is-better target: capped
    ("EC-I-UP-2A-compact", True, 100, 4),                   # yes/no: the target value
    ("EC-I-UP-2A-compact", False, 0, 1),
])
def test_directions(synthetic, dp, value, percent, points):
    synthetic.submit("d", {dp: value})
    got_percent, got_points = synthetic.points()[("d", dp)]
    assert (round(got_percent, 6), got_points) == (round(Decimal(percent), 6), points)


STRICT_HEADER = HEADER.rstrip("\n") + ",strict\n"
BOUNDS = {"higher": "SC-EH-ED-1C,50,%,higher,,,https://example.org/t,,,,{strict}\n",
          "lower": "SC-EH-H-2C,70,per 100 000 live births,lower,,,https://example.org/t,,,,{strict}\n",
          "band": "SC-SH-SI-1C,,ratio female:male,band,0.9,1.1,https://example.org/t,,,,{strict}\n"}
AT_THE_BOUND = {"higher": ("SC-EH-ED-1C", ["50"]), "lower": ("SC-EH-H-2C", ["70"]),
                "band": ("SC-SH-SI-1C", ["0.9", "1.1"])}


@pytest.mark.parametrize("strict", ["yes", "no", ""])
@pytest.mark.parametrize("direction", ["higher", "lower", "band"])
def test_a_value_at_a_strict_bound_does_not_meet_it(staged, iris, tmp_path, direction, strict):
    """"Less than 70" (kpi:strictBound): 70 does not meet it; "at most 70" (no strict, or `no`): 70 does.

    The % of target stays the ratio, 100 %, and so 4 points: the bound is 100 % of itself, whether or not it meets.
    """
    dp, values = AT_THE_BOUND[direction]
    with OxigraphStore() as store:
        synthetic = Synthetic(store, staged, iris, tmp_path, STRICT_HEADER + BOUNDS[direction].format(strict=strict))
        for n, value in enumerate(values):
            synthetic.submit(f"at{n}", {dp: value})
        assert {synthetic.met()[(f"at{n}", dp)] for n in range(len(values))} == {strict != "yes"}
        assert {synthetic.points()[(f"at{n}", dp)] for n in range(len(values))} == {(Decimal(100), 4)}


def test_a_strict_bound_is_met_inside_it(staged, iris, tmp_path):
    with OxigraphStore() as store:
        synthetic = Synthetic(store, staged, iris, tmp_path, STRICT_HEADER + BOUNDS["lower"].format(strict="yes"))
        synthetic.submit("inside", {"SC-EH-H-2C": "69.9"})
        synthetic.submit("outside", {"SC-EH-H-2C": "140"})
        assert synthetic.met() == {("inside", "SC-EH-H-2C"): True, ("outside", "SC-EH-H-2C"): False}
        assert synthetic.points()[("outside", "SC-EH-H-2C")] == (Decimal(50), 2)


def test_unreported_and_untargeted_data_points_are_left_out(synthetic):
    synthetic.submit("gaps", {"SC-EH-ED-1C": "100", "SC-EH-H-1C": "82.2"})  # life expectancy has no target
    assert list(synthetic.points()) == [("gaps", "SC-EH-ED-1C")]
    assert synthetic.category("gaps", "SC-EH-ED") == (4, 1, Decimal("100"), 4)


# -- the real data ------------------------------------------------------------------------------
def test_alesund_under_international_targets(store, iris):
    tree = CatalogueTree(store)
    scored = {s["data_point"]: (s["percent"], s["points"])
              for s in data_point_scores(store, tree, iris.submission("alesund", "2020-06"),
                                         iris.benchmark_set("international-targets"))}
    assert len(scored) == 33  # 34 targets; PM2.5 was not reported
    assert scored["EN-EN-AQ-1C-no2"] == (47.62, 2)
    assert scored["SC-EH-H-2C"] == (100, 4) and scored["SC-SH-HO-1C"] == (99.96, 4)
    assert scored["SC-SH-SI-1C"] == (62, 2)


def test_the_shipped_maternal_mortality_target_is_strict(store, iris):
    """SDG 3.1 says "less than 70 per 100,000 live births": the shipped row says so (strict), and only that row."""
    rows = store.select(f"""PREFIX kpi: <https://w3id.org/u4ssc-registry/def#>
        SELECT ?dp WHERE {{ ?b kpi:inSet <{iris.benchmark_set("international-targets")}> ; kpi:strictBound true ;
                            kpi:benchmarkFor ?dp }}""")
    assert [str(r["dp"]).rsplit("/", 1)[-1] for r in rows] == ["SC-EH-H-2C"]


def test_rollup_agrees_with_the_data_point_query(store, iris):
    """score_categories.rq repeats score_datapoints.rq's scoring block: their points must agree per KPI."""
    tree = CatalogueTree(store)
    submission, targets = iris.submission("alesund", "2020-06"), iris.benchmark_set("international-targets")
    per_kpi: dict[str, list[int]] = {}
    for s in data_point_scores(store, tree, submission, targets):
        per_kpi.setdefault(s["kpi"], []).append(s["points"])
    kpis = rollups(store, tree, [submission], targets)[submission]["kpi"]
    assert {k["code"]: (k["points"], k["scored"]) for k in kpis} == {c: (sum(p), len(p)) for c, p in per_kpi.items()}


# -- each kind of target at the report's band boundaries (0–33 % → 1, 33–66 → 2, 66–95 → 3, 95+ → 4) ------------
KINDS_HEADER = STRICT_HEADER.rstrip("\n") + ",applies_from\n"
KINDS = {
    # higher is better: value ÷ target
    "higher": ("SC-EH-ED-1C,50,%,higher,,,https://example.org/t,,,,,\n", "SC-EH-ED-1C",
               [("16.49", 1), ("16.5", 2), ("32.99", 2), ("33", 3), ("47.49", 3), ("47.5", 4), ("50", 4)]),
    # lower is better, target not 0: target ÷ value (SC-SH-HO-2A, housing costs of at most 30 % of income)
    "lower": ("SC-SH-HO-2A,30,%,lower,,,https://example.org/t,,,,,\n", "SC-SH-HO-2A",
              [("91", 1), ("90", 2), ("46", 2), ("45", 3), ("31.6", 3), ("31.5", 4), ("30", 4), ("10", 4)]),
    # strict bound "less than 70": the ratio decides the band; 70 itself scores 4 but does not meet it
    "strict": ("SC-EH-H-2C,70,per 100 000 live births,lower,,,https://example.org/t,,,,yes,\n", "SC-EH-H-2C",
               [("213", 1), ("212", 2), ("106.1", 2), ("106", 3), ("73.7", 3), ("73.6", 4), ("70", 4)]),
    # a band: value ÷ lower limit below it, upper limit ÷ value above it
    "band": ("SC-SH-SI-1C,,ratio female:male,band,0.9,1.1,https://example.org/t,,,,,\n", "SC-SH-SI-1C",
             [("0.2969", 1), ("0.297", 2), ("0.594", 3), ("0.855", 4), ("1", 4), ("1.1578", 4), ("1.1579", 3),
              ("1.6666", 3), ("1.6667", 2), ("3.3333", 2), ("3.334", 1)]),
    # yes/no: the target value is 100 %, the other 0 %
    "yes/no": ("EC-I-UP-2A-compact,yes,yes/no,higher,,,https://example.org/t,,,,,\n", "EC-I-UP-2A-compact",
               [(True, 4), (False, 1)]),
    # a zero target, lower is better: the complement, (maximum − value) ÷ maximum
    "zero": ("EN-EN-WA-1C-open-dump,0,%,lower,,,https://example.org/t,,,,,\n", "EN-EN-WA-1C-open-dump",
             [("67.01", 1), ("67", 2), ("34.01", 2), ("34", 3), ("5.01", 3), ("5", 4), ("0", 4)]),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_of_target_at_the_band_boundaries(staged, iris, tmp_path, kind):
    row, dp, cases = KINDS[kind]
    with OxigraphStore() as store:
        synthetic = Synthetic(store, staged, iris, tmp_path, KINDS_HEADER + row)
        for n, (value, _) in enumerate(cases):
            synthetic.submit(f"c{n}", {dp: value})
        got = synthetic.points()
        assert [got[(f"c{n}", dp)][1] for n in range(len(cases))] == [points for _, points in cases]


def test_a_target_applies_from_its_year_on(staged, iris, tmp_path):
    """applies_from 2018: a round of 2017 has no target yet, 2018 and later are scored; a round id without a year
    (`r1`) cannot be shown to be late enough, so it is not scored either (fail closed)."""
    row = "EC-ICT-PS-3A,100,%,higher,,,https://example.org/t,,,,,2018\n"
    with OxigraphStore() as store:
        synthetic = Synthetic(store, staged, iris, tmp_path, KINDS_HEADER + row)
        for round_id, value in (("2017-06", "100"), ("2018-01", "32.99"), ("2018-12", "33"), ("2020-06", "95"),
                                ("r1", "100")):
            synthetic.submit("city", {"EC-ICT-PS-3A": value}, round_id)
        assert synthetic.rounds() == {("city", "2018-01", "EC-ICT-PS-3A"): (Decimal("32.99"), 1),
                                      ("city", "2018-12", "EC-ICT-PS-3A"): (Decimal(33), 2),
                                      ("city", "2020-06", "EC-ICT-PS-3A"): (Decimal(95), 4)}
        rows = store.select(sparql.load("score_categories"), {"set": synthetic.set})
        assert sorted(str(r["submission"]).rsplit("/", 1)[-1] for r in rows if r["level"].value == "kpi") == [
            "2018-01", "2018-12", "2020-06"]


def test_applies_from_is_recorded_as_a_year(staged, iris, tmp_path):
    with OxigraphStore() as store:
        synthetic = Synthetic(store, staged, iris, tmp_path, KINDS_HEADER + "EC-ICT-PS-3A,100,%,higher,,,"
                              "https://example.org/t,,,,,2018\n")
        synthetic.submit("city", {"EC-ICT-PS-3A": "100"}, "2019-06")
        tree = CatalogueTree(store)
        [score] = data_point_scores(store, tree, iris.submission("city", "2019-06"), synthetic.set)
        assert (score["applies_from"], score["points"], target_text(score)) == (2018, 4, "≥ 100, from 2018")
