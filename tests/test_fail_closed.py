"""Rules fail closed: numbers the store cannot hold are refused as written, a comparison that errors is a
violation, a validator that breaks refuses the file, and the submission model is closed (issue 14)."""

from __future__ import annotations

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from registry.submissions import validate
from registry.submissions.ingest import Context, validate_file
from registry.namespaces import KPI
from registry.submissions.staged import City
from registry.submissions.numbers import normalise_number, number_problem
from registry.submissions.parse import parse_csv
from registry.store import OxigraphStore
from registry.submissions.model import model_problems
from registry.submissions.validate import validate_staged

from .conftest import ROOT

ALESUND = ROOT / "data" / "cities" / "alesund" / "2020-06.csv"
CITY = City("alesund", "Ålesund", "1507")


@pytest.mark.parametrize("cell, canonical", [
    ("96,00 %", "96"), ("-0", "0"), ("-0,0", "0"), ("+5", "5"), (".5", "0.5"), ("5.", "5"),
    ("123456789012345678", "123456789012345678"),                  # 18 digits: the most the store holds
    ("0.000000000000000001", "0.000000000000000001"),              # 18 decimals: likewise
    ("0.100000000000000000000000", "0.1"),                         # trailing zeros are not precision lost
    ("1 000 000", "1000000"), ("67\u202f240,10", "67240.1"), ("0.04", "0.04"),
])
def test_numbers_the_registry_holds(cell, canonical):
    assert normalise_number(cell) == canonical and number_problem(cell) is None


@pytest.mark.parametrize("cell, reason", [
    ("1e400", "exponent"), ("-1e400", "exponent"), ("1e-400", "exponent"), ("9.6E1", "exponent"),
    ("9,6e1", "exponent"),                                         # a decimal comma with an exponent
    ("1e999999", "exponent"),                                      # refused before Decimal expands it
    ("1" + "0" * 59, "60 digits before"), ("1234567890123456789", "19 digits before"),
    ("0.0000000000000000001", "19 after"),
    ("９６", "digits other than 0-9"), ("٩٦", "digits other than 0-9"),
])
def test_numbers_beyond_what_the_store_holds_are_refused_saying_the_range(cell, reason):
    assert normalise_number(cell) is None and reason in number_problem(cell)
    assert "digits other than" in reason or "at most 18 digits before the decimal mark and 18 after it" in number_problem(cell)


@pytest.mark.parametrize("cell", ["abc", "nan", "Infinity", "1_000", "1,000.5", "1.000,5", "1,5,0", ""])
def test_text_that_is_no_number_is_left_to_obs_6(cell):
    assert normalise_number(cell) is None and number_problem(cell) is None


@pytest.fixture(scope="module")
def ctx(staged, iris):
    with OxigraphStore() as store:
        store.replace_graphs(staged)
        return Context.from_store(store, iris)


def alesund_with(ctx, iris, value: Literal):
    """Ålesund's submission with Household Internet Access set to `value`, past the parser's checks."""
    staged = parse_csv(ALESUND, iris, ctx.catalogue, CITY, "2020-06")
    item = iris.observation("alesund", "2020-06", "EC-ICT-ICT-1C")
    staged.graph.set((item, KPI.value, value))
    return staged


@pytest.mark.parametrize("value, rule", [
    (Literal("ninety-six", datatype=XSD.decimal), "OBS-6"),  # ill-typed: every comparison with it errors
    (Literal("1" + "0" * 30, datatype=XSD.decimal), "OBS-8"),  # beyond the engine's decimals: the same
    (URIRef("https://example.org/96"), "OBS-6"),
])
def test_a_value_the_rules_cannot_compare_is_a_violation(ctx, iris, value, rule):
    """SHACL-SPARQL reads an error in a FILTER as no result, so each numeric rule tests that the value is
    *shown* valid; here the model check (which would refuse these first) is bypassed on purpose."""
    report = validate_staged(alesund_with(ctx, iris, value), ctx.reference)
    assert rule in {p.rule for p in report.violations}, [p.rule for p in report.problems]


def test_the_same_value_within_range_conforms(ctx, iris):
    report = validate_staged(alesund_with(ctx, iris, Literal("96", datatype=XSD.decimal)), ctx.reference)
    assert report.conforms, report.violations


def test_a_validator_that_breaks_refuses_the_file(ctx, iris, monkeypatch):
    def broken(*_):
        raise RuntimeError("SPARQL engine failed on a constraint")
    monkeypatch.setattr(validate, "shacl_results", broken)
    report = validate_staged(parse_csv(ALESUND, iris, ctx.catalogue, CITY, "2020-06"), ctx.reference)
    assert not report.conforms and report.violations[0].rule == "SHACL"
    assert "could not be completed" in report.violations[0].message


def test_the_parser_builds_only_what_the_model_allows(ctx, iris):
    """Every graph the CSV parser makes passes the closed model: the two cannot drift apart."""
    for path in sorted((ROOT / "data" / "cities").glob("*/*.csv")):
        staged = parse_csv(path, iris, ctx.catalogue, City(path.parent.name, path.parent.name), path.stem)
        assert model_problems(iris, staged) == [], path


def test_a_verifier_cannot_take_another_agents_name(ctx, iris, tmp_path):
    """A verifier's IRI is minted from the name: a file may not give an existing agent a second name."""
    path = tmp_path / "2020-06.ttl"
    ver, agent = iris.verification("alesund", "2020-06"), iris.agent("john-smiciklas")
    staged = parse_csv(ALESUND, iris, ctx.catalogue, CITY, "2020-06")
    staged.graph.add((iris.round("alesund", "2020-06"), KPI.verification, ver))
    staged.graph.add((ver, URIRef("http://www.w3.org/ns/prov#wasAssociatedWith"), agent))
    staged.graph.add((agent, URIRef("http://xmlns.com/foaf/0.1/name"), Literal("Someone Else")))
    staged.graph.serialize(path, format="turtle")
    _, report = validate_file(path, ctx, CITY, "2020-06")
    assert [p.rule for p in report.violations] == ["MOD-1"] and "Someone Else" in report.violations[0].message
