"""`build`: the whole registry from `ontology/` and `data/`, written in one atomic step.

Flow (docs/ARCHITECTURE): parse every source into staging graphs, check them, then replace
all named graphs at once, so a failed build leaves the previous store untouched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef

from registry import sparql
from registry.scoring.benchmarks import shipped_sets, stage_shipped
from registry.catalogue.rdf import build_catalogue, build_sdg, new_graph
from registry.submissions import derived
from registry.submissions.bulk import replace_and_derive
from registry.submissions.ingest import Context, stage_seeds
from registry.submissions.staged import Catalogue
from registry.catalogue.infer import inferred
from registry.taxonomy.sources import stage_taxonomy
from registry.namespaces import IRIs
from registry.tables import asset_dir
from registry.store import Store
from registry.tables import DataError

Progress = Callable[[str], None]


@dataclass
class BuildReport:
    graphs: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def parse_ontology(directory: Path | None = None) -> Graph:
    g = new_graph()
    for path in sorted((directory or asset_dir("ontology")).glob("*.ttl")):
        try:
            g.parse(path, format="turtle")
        except Exception as exc:  # rdflib raises several parser error types
            raise DataError(f"{path}: not valid Turtle: {exc}") from exc
    return g


def shipped_catalogue_graph(iris: IRIs) -> tuple[Catalogue, Graph]:
    """The data points as `ontology/` and `data/` define them, without a store: what the submission
    template needs, so writing one never waits for (or creates) a store; and the catalogue graph they
    come from, which states more of each (its admissible range, for the workbook template)."""
    ontology, (_, index) = parse_ontology(), build_sdg(iris)
    catalogue = build_catalogue(iris, index)
    return Context.from_graphs(iris, ontology, catalogue).catalogue, catalogue


def stage(iris: IRIs, progress: Progress = lambda _: None) -> dict[URIRef, Graph]:
    """Every graph `build` writes, parsed and derived in memory."""
    progress("ontology")
    ontology = parse_ontology()
    progress("SDG concepts")
    sdg, index = build_sdg(iris)
    progress("catalogue")
    catalogue = build_catalogue(iris, index)
    progress("OWL-RL inference")
    graphs = {
        iris.g_ontology: ontology,
        iris.g_sdg: sdg,
        iris.g_catalogue: catalogue,
        iris.g_inferred: inferred(ontology, catalogue),
    }
    context = Context.from_graphs(iris, ontology, catalogue)
    progress("seed cities (validating)")
    graphs.update(stage_seeds(context))
    progress("benchmark sets (validating)")
    graphs.update(stage_shipped(context))
    progress("KS taxonomy")
    graphs.update(stage_taxonomy(iris))
    return graphs


def build(store: Store, iris: IRIs, progress: Progress = lambda _: None) -> BuildReport:
    """Rebuild the registry's own graphs idempotently; other graphs (submissions) are kept, and every
    submission's scores and summary are recomputed against the new catalogue and sets in the same write."""
    started = time.perf_counter()
    graphs = stage(iris, progress)
    graphs[iris.g_cities] = _keep_imported_cities(store, iris, graphs[iris.g_cities])
    progress("writing, scoring every submission")
    sets = sorted({*derived.stored_sets(store, iris), *shipped_sets()})
    derive = derived.everything(iris, sets)
    replace_and_derive(store, graphs, derive)
    report = BuildReport({**{str(g): len(data) for g, data in graphs.items()},
                          **{str(d.graph): store.count(d.graph) for d in derive}})
    report.seconds = time.perf_counter() - started
    return report


def _keep_imported_cities(store: Store, iris: IRIs, seeds: Graph) -> Graph:
    """Seed cities from data/ plus the cities that imports registered since (never dropped by a rebuild)."""
    current = store.construct(sparql.load("construct_graph"), {"graph": iris.g_cities})
    merged = seeds + Graph()
    for city in set(current.subjects()) - set(seeds.subjects()):
        for triple in current.triples((city, None, None)):
            merged.add(triple)
    return merged


def is_built(store: Store, iris: IRIs) -> bool:
    return store.has_graph(iris.g_catalogue)
