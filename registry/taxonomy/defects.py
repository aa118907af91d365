"""The taxonomy's defects, found by `shapes/taxonomy.ttl` over the published graphs, the repair and the
catalogue, and reported by rule: a repaired defect is told apart from an open one."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache

import pyoxigraph as ox
from rdflib import Graph
from rdflib.namespace import RDF
from rdflib.term import Node

from registry.namespaces import IRIs, SH
from registry.tables import asset_dir
from registry.store import Store
from registry.tables import DataError
from registry.submissions.validate import rule_of, scratch_store, severity_of, shacl_results
from registry.taxonomy.repair import Repair, repair_graph


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
