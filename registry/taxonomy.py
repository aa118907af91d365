"""KS's national SDG taxonomy: imported as published, checked, and repaired by data, never edited.

Each published file goes unchanged into its own named graph (`graph/taxonomy/{source}`), with its import
recorded as PROV in `graph/system/taxonomy/{source}`: a graph per source rather than an INSERT into
`graph/system`, so an import is one atomic `replace_graphs` and never touches other writers' records.
Defects are found by `shapes/taxonomy.ttl` and repaired by the rows of `data/taxonomy/repairs.tsv`,
applied by the generic code below into `graph/taxonomy/repair`: the corrected statements, plus each
published statement they supersede (reified, `prov:wasInvalidatedBy` the row), so queries and shapes can
tell a repaired defect from an open one. A release without the defects makes the repair graph empty.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from functools import cache
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from registry.catalogue import new_graph
from registry.namespaces import DEFAULT_BASE, IRIs, KPI, SH, owned_by_registry, slug
from registry.resources import asset_dir, project_root
from registry.store import Store
from registry.tables import DataError, read_table
from registry.userfiles import parse_rdf_bytes, read_bytes
from registry.validate import rule_of, scratch_store, severity_of, shacl_results

REPAIR = "repair"  # the repair graph's source name; no file may take it
WILDCARD = "*"
Triple = tuple[Node, Node, Node]


def ks_directory() -> Path:
    return asset_dir("data") / "taxonomy" / "ks"


def repairs_path() -> Path:
    return asset_dir("data") / "taxonomy" / "repairs.tsv"


# -- published files ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    """One published file, parsed, with what its provenance records."""

    name: str
    path: Path
    graph: Graph
    digest: bytes

    @property
    def file_iri(self) -> URIRef:
        return hash_iri(self.digest)


def hash_iri(digest: bytes) -> URIRef:
    """Exact bytes named by their SHA-256 (RFC 6920 `ni:`), so a changed file is a new PROV entity."""
    return URIRef("ni:///sha-256;" + base64.urlsafe_b64encode(digest).decode().rstrip("="))


_FOLD = str.maketrans({"æ": "ae", "Æ": "Ae", "ø": "o", "Ø": "O"})


def source_name(path: Path) -> str:
    """`De-norske-målepunktene.ttl` → `de-norske-malepunktene`: the file name's slug names the graph."""
    ascii_stem = unicodedata.normalize("NFKD", path.stem.translate(_FOLD)).encode("ascii", "ignore").decode()
    return slug(ascii_stem)


def read_sources(paths: Iterable[Path], base: str = DEFAULT_BASE) -> list[Source]:
    """Parse each file as published; refuse unreadable RDF, a file that describes what is not its own
    (outside_model) and two files that would share a graph."""
    sources: dict[str, Source] = {}
    for path in paths:
        name = source_name(path)
        if name in (REPAIR, ""):
            raise DataError(f"{path}: the file name gives the source name {name!r}, which is reserved; rename the file")
        if name in sources:
            raise DataError(f"{path}: same source name {name!r} as {sources[name].path}; they would share one graph")
        data = read_bytes(path)
        graph = parse_rdf_bytes(path, data)  # a file a user names may not fetch anything (userfiles.py)
        outside_model(path, graph, base)
        sources[name] = Source(name, path, graph, hashlib.sha256(data).digest())
    return list(sources.values())


def outside_model(path: Path, graph: Graph, base: str) -> None:
    """MOD-1 for taxonomy files: a taxonomy describes its own schemes and concepts. One that states
    something about a registry IRI or a term of a vocabulary the registry builds on (a KPI's label, a
    UN SDG goal, a SKOS property) would change what every query reads, and is refused."""
    foreign = sorted((s, p, o) for s, p, o in graph if owned_by_registry(s, base))
    if foreign:
        s, p, o = foreign[0]
        more = f" (and {len(foreign) - 1} more such triples)" if len(foreign) > 1 else ""
        raise DataError(f"{path}: MOD-1: {s.n3()} {p.n3()} {o.n3()}{more}: a taxonomy file may describe its own "
                        f"schemes and concepts, not an IRI of the registry or of a vocabulary it uses")


def default_sources() -> list[Source]:
    """KS's files as shipped in data/taxonomy/ks/."""
    return read_sources(sorted(ks_directory().glob("*.ttl")))


def stored_sources(store: Store, iris: IRIs) -> dict[str, Graph]:
    """The published taxonomy graphs already in the store, by source name (not the repair graph)."""
    prefix = str(iris.g_taxonomy(""))
    found = {}
    for graph in store.graphs():
        name = str(graph)[len(prefix):]
        if str(graph).startswith(prefix) and name != REPAIR:
            found[name] = Graph().parse(data=store.dump(graph, "application/n-triples"), format="nt")
    return found


# -- the repair mapping -------------------------------------------------------------------------

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

def _now() -> datetime:
    return datetime.now(timezone.utc)


def _time(moment: datetime) -> Literal:
    return Literal(moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"), datatype=XSD.dateTime)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S%fZ")


def provenance(iris: IRIs, source: Source, started: datetime, ended: datetime) -> Graph:
    """The import of one file (PROV-O): which bytes, when, into which graph, from which published schemes."""
    g = new_graph()
    graph, file = iris.g_taxonomy(source.name), source.file_iri
    activity = iris.activity("taxonomy-import", f"{source.name}-{_stamp(started)}")
    g.add((activity, RDF.type, PROV.Activity))
    g.add((activity, RDFS.label, Literal(f"import of {source.path.name} into the taxonomy graph {source.name}", lang="en")))
    g.add((activity, PROV.startedAtTime, _time(started)))
    g.add((activity, PROV.endedAtTime, _time(ended)))
    g.add((activity, PROV.used, file))
    g.add((activity, PROV.generated, graph))
    g.add((graph, RDF.type, PROV.Entity))
    g.add((graph, PROV.wasGeneratedBy, activity))
    g.add((graph, PROV.wasDerivedFrom, file))
    g.add((graph, PROV.generatedAtTime, _time(ended)))
    g.add((file, RDF.type, PROV.Entity))
    g.add((file, DCTERMS.title, Literal(source.path.name)))
    for scheme in sorted(source.graph.subjects(RDF.type, SKOS.ConceptScheme)):
        g.add((file, DCTERMS.source, scheme))  # the published vocabulary the file serialises
    return g


def repair_provenance(iris: IRIs, repairs_file: Path, sources: Iterable[str], started: datetime, ended: datetime) -> Graph:
    g = new_graph()
    graph = iris.g_taxonomy(REPAIR)
    activity = iris.activity("taxonomy-repair", f"run-{_stamp(started)}")
    mapping = hash_iri(hashlib.sha256(repairs_file.read_bytes()).digest())
    g.add((activity, RDF.type, PROV.Activity))
    g.add((activity, RDFS.label, Literal("repair of the published taxonomy graphs by the mapping in " + _display(repairs_file), lang="en")))
    g.add((activity, PROV.startedAtTime, _time(started)))
    g.add((activity, PROV.endedAtTime, _time(ended)))
    g.add((activity, PROV.used, mapping))
    g.add((mapping, RDF.type, PROV.Entity))
    g.add((mapping, DCTERMS.title, Literal(_display(repairs_file))))
    for name in sorted(sources):
        g.add((activity, PROV.used, iris.g_taxonomy(name)))
    g.add((graph, RDF.type, PROV.Entity))
    g.add((graph, PROV.wasGeneratedBy, activity))
    g.add((graph, PROV.generatedAtTime, _time(ended)))
    return g


def stage_sources(iris: IRIs, sources: Sequence[Source], repairs_file: Path | None = None,
                  kept: Mapping[str, Graph] | None = None) -> dict[URIRef, Graph]:
    """Graphs to write for `sources`: each file's graph and provenance, and the repair graph recomputed
    over `sources` and the `kept` graphs already stored (a repair row may span files)."""
    repairs_file = repairs_file or repairs_path()
    repairs = load_repairs(repairs_file)
    graphs: dict[URIRef, Graph] = {}
    for source in sources:
        started = _now()
        graphs[iris.g_taxonomy(source.name)] = source.graph
        graphs[iris.g_taxonomy_provenance(source.name)] = provenance(iris, source, started, _now())
    published = {**(kept or {}), **{s.name: s.graph for s in sources}}
    started = _now()
    graphs[iris.g_taxonomy(REPAIR)] = repair_graph(iris, published, repairs)
    graphs[iris.g_taxonomy_provenance(REPAIR)] = repair_provenance(iris, repairs_file, published, started, _now())
    return graphs


def stage_taxonomy(iris: IRIs) -> dict[URIRef, Graph]:
    """KS's files from data/taxonomy/ks/, the repair graph and their provenance: what `build` writes."""
    return stage_sources(iris, default_sources())


def import_files(store: Store, iris: IRIs, paths: Sequence[Path]) -> dict[str, int]:
    """Load files unchanged into their graphs and recompute the repair graph, in one atomic write."""
    sources = read_sources(paths, iris.base)
    names = {s.name for s in sources}
    kept = {name: g for name, g in stored_sources(store, iris).items() if name not in names}
    graphs = stage_sources(iris, sources, kept=kept)
    store.replace_graphs(graphs)
    return {str(g): len(data) for g, data in graphs.items()}


# -- validation ---------------------------------------------------------------------------------

@cache
def taxonomy_shapes() -> Graph:
    return Graph().parse(asset_dir("shapes") / "taxonomy.ttl", format="turtle")


@dataclass(frozen=True)
class Finding:
    """One SHACL result; `status` says whether the repair mapping resolves it."""

    rule: str
    severity: str
    focus: str
    message: str
    path: str | None = None
    value: str | None = None
    status: str = "open"  # open | repaired | introduced by repair

    @property
    def key(self) -> tuple:
        """Findings count statements, so a partly repaired defect keeps its key but not its message."""
        return (self.rule, self.focus, self.path)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class DefectReport:
    sources: list[str]
    triples: int
    repair_triples: int
    findings: list[Finding]

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "Violation"]

    @property
    def conforms(self) -> bool:
        return not self.violations

    def by_rule(self) -> dict[str, list[Finding]]:
        groups: dict[str, list[Finding]] = {}
        for finding in self.findings:
            groups.setdefault(finding.rule, []).append(finding)
        return dict(sorted(groups.items(), key=lambda kv: _rule_order(kv[0])))

    def as_dict(self) -> dict:
        return {
            "sources": self.sources, "triples": self.triples, "conforms": self.conforms,
            "repair_triples": self.repair_triples,
            "rules": {rule: {"severity": fs[0].severity, "found": len(fs),
                             "repaired": sum(f.status == "repaired" for f in fs)} for rule, fs in self.by_rule().items()},
            "findings": [f.as_dict() for f in self.findings],
        }


def _rule_order(rule: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", rule))


def context_graph(store: Store, iris: IRIs) -> Graph:
    """The catalogue and UN SDG concepts: what the cross-checks compare KS's concepts with."""
    g = Graph()
    for graph in (iris.g_catalogue, iris.g_sdg):
        g.parse(data=store.dump(graph, "application/n-triples"), format="nt")
    return g


def validate_taxonomy(iris: IRIs, published: Mapping[str, Graph], context: Graph,
                      repairs: Sequence[Repair]) -> DefectReport:
    """Check the published graphs as they are, then with the repair graph, and say which defects it resolves."""
    data = scratch_store(context, *published.values())
    found = check(data)
    repair = repair_graph(iris, published, repairs)
    data.bulk_load(repair.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    after = check(data)
    remaining = {f.key for f in after}
    before = {f.key for f in found}
    findings = [replace(f, status="open" if f.key in remaining else "repaired") for f in found]
    findings += [replace(f, status="introduced by repair") for f in after if f.key not in before]
    return DefectReport(sorted(published), sum(len(g) for g in published.values()), len(repair), findings)


def check(data: ox.Store) -> list[Finding]:
    """Run shapes/taxonomy.ttl over `data`, sorted by rule and focus node."""
    try:
        results = shacl_results(taxonomy_shapes(), data)
    except Exception as exc:  # noqa: BLE001 - a rule that could not run has not passed (fail closed)
        raise DataError(f"taxonomy validation could not be completed: {str(exc).strip()[:200]}") from None
    findings = [_finding(results, r) for r in results.subjects(RDF.type, SH.ValidationResult)]
    return sorted(findings, key=lambda f: (_rule_order(f.rule), f.focus, f.path or "", f.value or ""))


def _finding(results: Graph, result: Node) -> Finding:
    message = str(results.value(result, SH.resultMessage) or "")
    path, value = results.value(result, SH.resultPath), results.value(result, SH.value)
    return Finding(
        rule=rule_of(results, result, taxonomy_shapes()) or message.split(":", 1)[0],
        severity=severity_of(results, result),
        focus=str(results.value(result, SH.focusNode)), message=message,
        path=str(path) if path is not None else None, value=str(value) if value is not None else None,
    )


def format_text(report: DefectReport, examples: int = 5) -> str:
    """Per rule: how many findings, how many the repair resolves, and a few of them."""
    v = len(report.violations)
    w = len(report.findings) - v
    repaired = sum(f.status == "repaired" for f in report.findings)
    lines = [
        f"{len(report.sources)} taxonomy graphs, {report.triples} triples: "
        f"{v} violation{'s' * (v != 1)}, {w} other finding{'s' * (w != 1)}; "
        f"{repaired} repaired by the mapping ({report.repair_triples} triples in the repair graph)",
    ]
    for rule, findings in report.by_rule().items():
        fixed = sum(f.status == "repaired" for f in findings)
        lines.append(f"{rule:6} {findings[0].severity.lower():9} {len(findings):5} found, {fixed:5} repaired")
        shown = findings if examples <= 0 else findings[:examples]
        for f in shown:
            lines.append(f"    [{f.status}] {f.focus}: {f.message}")
        if len(shown) < len(findings):
            lines.append(f"    … and {len(findings) - len(shown)} more (--examples 0 or --format json lists all)")
    return "\n".join(lines)
