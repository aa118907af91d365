"""Filtering the national SDG taxonomy by its facets: the library behind `/taxonomy`.

URL parameters are checked against the values the store holds (list_taxonomy_values.rq) and only the
matching RDF terms are bound into taxonomy_filter.rq, so user input never becomes SPARQL text. Repeated
values of one filter are alternatives (OR), different filters all apply (AND): bound as the rows of one
VALUES block, whose product is exactly that.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef

from registry import sparql
from registry.catalogue.rdf import new_graph
from registry.namespaces import KPI, KS
from registry.store import Store

SCHEMES = {  # the `scheme` filter's values, in display order
    "un": ("UN SDG indicators", "FNs bærekraftsindikatorer"),
    "u4ssc": ("U4SSC KPIs", "U4SSC-indikatorer"),
    "national": ("National indicators (De norske målepunktene)", "De norske målepunktene"),
}
LANGUAGES = ("en", "nb")
CORE = {"true": KPI.Core, "false": KPI.Advanced}
CORE_LABELS = {"true": ("core KPIs", "kjerneindikatorer"), "false": ("advanced KPIs", "avanserte indikatorer")}
MAX_COMBINATIONS = 256  # rows of the bound VALUES block; more is a request to refuse, not to run
EXTRA_PREFIXES = {"ks": KS, "my": "https://metadata.ks.no/sdg-taxonomi/#", "dqv": "http://www.w3.org/ns/dqv#"}


@dataclass(frozen=True)
class Filter:
    name: str  # URL parameter
    variable: str  # in taxonomy_filter.rq
    repeatable: bool = True


FILTERS = (
    Filter("goal", "goal"), Filter("target", "target"), Filter("scheme", "kind"),
    Filter("dimension", "dimension"), Filter("category", "category"), Filter("core", "tier", repeatable=False),
    Filter("sector", "sector"), Filter("level", "level"), Filter("evaluation", "evaluation"),
    Filter("impact", "impact"), Filter("quality", "quality"),
)
BY_NAME = {f.name: f for f in FILTERS}
OPTIONS = ("lang", "format")  # parameters that choose the view, not the items


class FilterError(ValueError):
    """A request the endpoint refuses (400): names the parameter and what it accepts."""

    def __init__(self, message: str, parameter: str, allowed: Sequence[str]) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.allowed = list(allowed)

    def as_dict(self) -> dict:
        return {"error": str(self), "parameter": self.parameter, "allowed": self.allowed}


@dataclass(frozen=True)
class Value:
    """One value a filter accepts: its IRI, URL key and labels."""

    iri: URIRef
    key: str
    label_en: str | None = None
    label_nb: str | None = None

    def label(self, lang: str) -> str:
        first, second = (self.label_nb, self.label_en) if lang == "nb" else (self.label_en, self.label_nb)
        return first or second or self.key


@dataclass
class Vocabulary:
    """Every filter's values, from the store (so a new KS release brings its own)."""

    values: dict[str, dict[str, Value]]

    @classmethod
    def from_store(cls, store: Store) -> Vocabulary:
        values: dict[str, dict[str, Value]] = {"scheme": {k: Value(URIRef(""), k, *labels) for k, labels in SCHEMES.items()},
                                               "core": {k: Value(v, k, *CORE_LABELS[k]) for k, v in CORE.items()}}
        for row in store.select(sparql.load("list_taxonomy_values")):
            value = Value(row["value"], str(row["key"]), _text(row.get("labelEn")), _text(row.get("labelNb")))
            values.setdefault(str(row["facet"]), {})[value.key] = value
        for facet in set(values) - {"scheme"}:
            values[facet] = dict(sorted(values[facet].items(), key=lambda kv: natural_key(kv[0])))
        return cls(values)

    def by_iri(self, facet: str) -> dict[URIRef, Value]:
        return {v.iri: v for v in self.values.get(facet, {}).values()}


def _text(term) -> str | None:
    return str(term) if term is not None else None


def natural_key(text: str) -> tuple:
    """`11.10` after `11.9`, `EN: EN: WS: 4C` after `EN: EN: WS: 3C`."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part)


@dataclass
class Selection:
    """A checked request: the filters as given (keys) and as RDF terms to bind."""

    filters: dict[str, list[str]]
    bindings: dict[str, list]
    lang: str = "en"


def parse_request(args: Mapping[str, Sequence[str]], vocabulary: Vocabulary) -> Selection:
    """Check every parameter and value against what exists; refuse the first that does not."""
    unknown = sorted(set(args) - set(BY_NAME) - set(OPTIONS))
    if unknown:
        raise FilterError(f"unknown parameter {unknown[0]!r}", unknown[0], [*BY_NAME, *OPTIONS])
    lang = _single(args, "lang", LANGUAGES) or "en"
    filters: dict[str, list[str]] = {}
    bindings: dict[str, list] = {}
    for f in FILTERS:
        given = list(dict.fromkeys(v for v in args.get(f.name, []) if v != ""))
        if not given:
            continue
        if len(given) > 1 and not f.repeatable:
            raise FilterError(f"{f.name} takes one value, got {len(given)}", f.name, list(vocabulary.values[f.name]))
        allowed = vocabulary.values.get(f.name, {})
        for key in given:
            if key not in allowed:
                raise FilterError(f"unknown {f.name} {key!r}", f.name, list(allowed))
        filters[f.name] = given
        bindings[f.variable] = [Literal(k) if f.name == "scheme" else allowed[k].iri for k in given]
    combinations = math.prod(len(v) for v in bindings.values())
    if combinations > MAX_COMBINATIONS:
        raise FilterError(f"{combinations} combinations of filter values; at most {MAX_COMBINATIONS}",
                          max(filters, key=lambda n: len(filters[n])), [])
    return Selection(filters, bindings, lang)


def _single(args: Mapping[str, Sequence[str]], name: str, allowed: Sequence[str]) -> str | None:
    given = [v for v in args.get(name, []) if v != ""]
    if len(given) > 1 or (given and given[0] not in allowed):
        raise FilterError(f"{name} takes one of {', '.join(allowed)}", name, allowed)
    return given[0] if given else None


@dataclass
class Result:
    selection: Selection
    items: list[dict]
    counts: dict[str, Counter] = field(default_factory=dict)  # facet → key → items


FACETS = ("goal", "target", "sector", "level", "evaluation", "impact", "quality", "dimension", "category", "core")
LISTS = {"goal": "goals", "target": "targets", "sector": "sectors", "level": "levels",
         "evaluation": "evaluations", "impact": "impacts", "quality": "qualities"}  # item fields
U4SSC_ONLY = ("dimension", "category")  # one each per KPI


def search(store: Store, selection: Selection, vocabulary: Vocabulary) -> Result:
    """Run the filter, then describe the items found: their facets, and counts per facet value."""
    rows = store.select(sparql.load("taxonomy_filter"), selection.bindings)
    found = {row["item"]: _item(row, selection.lang) for row in rows}
    values: dict[URIRef, dict[str, set[str]]] = {iri: {facet: set() for facet in FACETS} for iri in found}
    keys = {facet: vocabulary.by_iri(facet) for facet in FACETS}
    for row in store.select(sparql.load("taxonomy_facets"), {"item": list(found)}) if found else []:
        facet = str(row["facet"])
        known = keys[facet].get(row["value"])
        values[row["item"]][facet].add(known.key if known else str(row["value"]))
    counts: dict[str, Counter] = {facet: Counter() for facet in ("scheme", *FACETS)}
    for iri, item in found.items():
        counts["scheme"][item["scheme"]] += 1
        for facet, keys_found in values[iri].items():
            counts[facet].update(keys_found)
        item.update(_fields(item["scheme"], values[iri]))
    return Result(selection, sorted(found.values(), key=_order), counts)


def _fields(scheme: str, values: dict[str, set[str]]) -> dict:
    fields = {LISTS[facet]: sorted(values[facet], key=natural_key) for facet in LISTS}
    if scheme == "u4ssc":
        fields.update({facet: min(values[facet], default=None) for facet in U4SSC_ONLY})
        fields["core"] = values["core"] == {"true"}
    return fields


def _item(row: dict, lang: str) -> dict:
    en, nb = _text(row.get("labelEn")), _text(row.get("labelNb"))
    label, label_lang = (nb, "nb") if (lang == "nb" and nb) or not en else (en, "en")
    return {"iri": str(row["item"]), "notation": _text(row.get("notation")), "label": label,
            "label_lang": label_lang if label else None, "scheme": str(row["kind"]),
            "order": int(row["order"]) if row.get("order") is not None else None}


def _order(item: dict) -> tuple:
    return (list(SCHEMES).index(item["scheme"]), item["order"] or 0, natural_key(item["notation"] or ""),
            natural_key(item["iri"]))


def describe(store: Store, result: Result) -> Graph:
    """The items found, as RDF (Turtle / JSON-LD)."""
    graph = new_graph()
    for prefix, namespace in EXTRA_PREFIXES.items():
        graph.bind(prefix, namespace)
    if result.items:
        graph += store.construct(sparql.load("construct_taxonomy_items"),
                                 {"item": [URIRef(i["iri"]) for i in result.items]})
    return graph


def as_json(result: Result, vocabulary: Vocabulary) -> dict:
    """`{"filters", "count", "items", "facets"}`: facets give every value's count among the items."""
    lang = result.selection.lang
    return {
        "filters": result.selection.filters,
        "lang": lang,
        "count": len(result.items),
        "items": [{k: v for k, v in item.items() if k != "order"} for item in result.items],
        "facets": {facet: [{"key": key, "label": value.label(lang), "count": result.counts[facet][key]}
                           for key, value in vocabulary.values.get(facet, {}).items() if result.counts[facet][key]]
                   for facet in ("scheme", *FACETS)},
    }
