"""The data-driven repair: rows of `data/taxonomy/repairs.tsv` applied into `graph/taxonomy/repair`, each
corrected statement with the published one it supersedes (reified, `prov:wasInvalidatedBy` the row)."""

from __future__ import annotations

import base64
import csv
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD
from rdflib.term import Node

from registry.catalogue.rdf import new_graph
from registry.namespaces import IRIs, KPI, slug
from registry.tables import project_root
from registry.tables import DataError, read_table
from registry.tables import asset_dir


REPAIR = "repair"  # the repair graph's source name; no file may take it
WILDCARD = "*"
Triple = tuple[Node, Node, Node]


def repairs_path() -> Path:
    return asset_dir("data") / "taxonomy" / "repairs.tsv"


def hash_iri(digest: bytes) -> URIRef:
    """Exact bytes named by their SHA-256 (RFC 6920 `ni:`), so a changed file is a new PROV entity."""
    return URIRef("ni:///sha-256;" + base64.urlsafe_b64encode(digest).decode().rstrip("="))


class LanguageTag(str):
    """`@en` in a repair row: the language tag of a literal object, not a whole term."""


RepairTerm = URIRef | Literal | LanguageTag
_TERM = re.compile(
    r'^(?:<(?P<iri>[^<>"\s]+)>'
    r'|"(?P<lexical>(?:[^"\\]|\\.)*)"(?:@(?P<lang>[A-Za-z]+(?:-[A-Za-z0-9]+)*)|\^\^<(?P<datatype>[^<>"\s]+)>)?'
    r'|@(?P<tag>[A-Za-z]+(?:-[A-Za-z0-9]+)*))$'
)


def parse_term(text: str) -> RepairTerm:
    """One N-Triples term (`<iri>`, `"literal"@lang`, `"literal"^^<dt>`) or a bare language tag `@nb`."""
    match = _TERM.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not an N-Triples term or @language tag")
    if match["iri"]:
        return URIRef(match["iri"])
    if match["tag"]:
        return LanguageTag(match["tag"].lower())
    lexical = re.sub(r"\\(.)", r"\1", match["lexical"])
    datatype = URIRef(match["datatype"]) if match["datatype"] else None
    return Literal(lexical, lang=match["lang"], datatype=datatype)


def namespace_of(iri: str) -> str:
    """The IRI up to its last `/` or `#` (`http://purl.org/dc/title` → `http://purl.org/dc/`)."""
    return iri[: max(iri.rfind("/"), iri.rfind("#")) + 1]


def _is_namespace(term: RepairTerm) -> bool:
    return isinstance(term, URIRef) and str(term).endswith(("/", "#"))


def _kind(term: RepairTerm) -> str:
    if isinstance(term, LanguageTag):
        return "language tag"
    if isinstance(term, Literal):
        return "literal"
    return "namespace" if _is_namespace(term) else "IRI"


@dataclass(frozen=True)
class Repair:
    """One row of the mapping: in `source`'s triples with `subject` and `predicate`, `wrong` should read `right`.

    An IRI is replaced wherever it stands in the triple; an IRI ending in `/` or `#` renames every IRI in
    that namespace; a literal is an object; `@xx` retags literal objects. Rows match the published triple,
    so several rows (a namespace and a language tag) compose on one statement.
    """

    origin: str
    rule: str
    source: str
    subject: URIRef | None
    predicate: URIRef | None
    wrong: RepairTerm
    right: RepairTerm
    note: str

    def matches(self, source: str, triple: Triple) -> bool:
        s, p, _ = triple
        return (self.source in (WILDCARD, source) and self.subject in (None, s) and self.predicate in (None, p))

    def swap(self, term: Node) -> Node:
        """`term` with this row's wrong part replaced by the right one (unchanged if it is not there)."""
        wrong, right = self.wrong, self.right
        if isinstance(wrong, LanguageTag):
            if isinstance(term, Literal) and (term.language or "").lower() == wrong:
                return Literal(str(term), lang=right)
            return term
        if _is_namespace(wrong):
            if isinstance(term, URIRef) and namespace_of(term) == str(wrong):
                return URIRef(right + term[len(wrong):])
            return term
        return right if term == wrong else term


def load_repairs(path: Path | None = None) -> list[Repair]:
    """The mapping file's rows, each checked: known columns, parseable terms, like replaced by like."""
    path = path or repairs_path()
    where_from = _display(path)
    rows = []
    columns = ("rule", "source", "subject", "predicate", "wrong", "right", "note")
    for line, row in read_table(path, columns, quoting=csv.QUOTE_NONE):
        where = f"{where_from}:{line}"
        try:
            subject, predicate = (None if row[c] == WILDCARD else parse_term(row[c]) for c in ("subject", "predicate"))
            wrong, right = parse_term(row["wrong"]), parse_term(row["right"])
        except ValueError as exc:
            raise DataError(f"{where}: {exc}") from None
        if not isinstance(subject, (URIRef, type(None))) or not isinstance(predicate, (URIRef, type(None))):
            raise DataError(f"{where}: subject and predicate are IRIs or {WILDCARD}")
        if _kind(wrong) != _kind(right):
            raise DataError(f"{where}: a {_kind(wrong)} can only be replaced by a {_kind(wrong)}, not a {_kind(right)}")
        if not row["rule"] or not row["note"]:
            raise DataError(f"{where}: every repair names its rule and says why (note)")
        rows.append(Repair(where, row["rule"], row["source"] or WILDCARD, subject, predicate, wrong, right, row["note"]))
    return rows


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(project_root().resolve()))
    except ValueError:
        return str(path)


def repair_graph(iris: IRIs, published: Mapping[str, Graph], repairs: Sequence[Repair]) -> Graph:
    """What the published graphs should have said, and which of their statements that supersedes."""
    out = new_graph()
    used: dict[str, Repair] = {}
    for source, graph in published.items():
        for triple in graph:
            fixed, applied = triple, []
            for row in repairs:
                if row.matches(source, triple):
                    swapped = tuple(row.swap(term) for term in fixed)
                    if swapped != fixed:
                        fixed, applied = swapped, [*applied, row]
            if applied:
                out.add(fixed)
                _invalidate(out, iris, triple, [_row_activity(iris, row) for row in applied])
                used.update((row.origin, row) for row in applied)
    for row in used.values():
        _describe_row(out, iris, row)
    return out


def _row_activity(iris: IRIs, row: Repair) -> URIRef:
    return iris.activity("taxonomy-repair", slug(row.origin.rsplit("/", 1)[-1]))


def _invalidate(g: Graph, iris: IRIs, triple: Triple, activities: list[URIRef]) -> None:
    """Reify a published statement as superseded; KS's own graph keeps it unchanged.

    The statement gets an IRI derived from the triple, not a blank node: the same repair then gives
    the same graph, and publishing needs no costly blank-node canonicalisation.
    """
    digest = hashlib.sha256(" ".join(t.n3() for t in triple).encode("utf-8")).hexdigest()[:24]
    statement = iris.statement(digest)
    g.add((statement, RDF.type, RDF.Statement))
    for prop, term in zip((RDF.subject, RDF.predicate, RDF.object), triple):
        g.add((statement, prop, term))
    for activity in activities:
        g.add((statement, PROV.wasInvalidatedBy, activity))


def _describe_row(g: Graph, iris: IRIs, row: Repair) -> None:
    activity = _row_activity(iris, row)
    g.add((activity, RDF.type, PROV.Activity))
    g.add((activity, KPI.ruleId, Literal(row.rule)))
    g.add((activity, RDFS.comment, Literal(row.note, lang="en")))
    g.add((activity, DCTERMS.source, Literal(row.origin)))


# -- staging and importing ----------------------------------------------------------------------

def now() -> datetime:
    return datetime.now(timezone.utc)


def xsd_time(moment: datetime) -> Literal:
    return Literal(moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"), datatype=XSD.dateTime)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S%fZ")


def repair_provenance(iris: IRIs, repairs_file: Path, sources: Iterable[str], started: datetime, ended: datetime) -> Graph:
    g = new_graph()
    graph = iris.g_taxonomy(REPAIR)
    activity = iris.activity("taxonomy-repair", f"run-{stamp(started)}")
    mapping = hash_iri(hashlib.sha256(repairs_file.read_bytes()).digest())
    g.add((activity, RDF.type, PROV.Activity))
    g.add((activity, RDFS.label, Literal("repair of the published taxonomy graphs by the mapping in " + _display(repairs_file), lang="en")))
    g.add((activity, PROV.startedAtTime, xsd_time(started)))
    g.add((activity, PROV.endedAtTime, xsd_time(ended)))
    g.add((activity, PROV.used, mapping))
    g.add((mapping, RDF.type, PROV.Entity))
    g.add((mapping, DCTERMS.title, Literal(_display(repairs_file))))
    for name in sorted(sources):
        g.add((activity, PROV.used, iris.g_taxonomy(name)))
    g.add((graph, RDF.type, PROV.Entity))
    g.add((graph, PROV.wasGeneratedBy, activity))
    g.add((graph, PROV.generatedAtTime, xsd_time(ended)))
    return g
