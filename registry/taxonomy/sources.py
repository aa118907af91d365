"""KS's published files, each unchanged into its own named graph with its import recorded as PROV in
`graph/system/taxonomy/{source}`: a graph per source, so an import is one atomic `replace_graphs` and
never touches other writers' records."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS

from registry.catalogue.rdf import new_graph
from registry.namespaces import DEFAULT_BASE, IRIs, owned_by_registry, slug
from registry.tables import asset_dir
from registry.store import Store
from registry.tables import DataError
from registry.submissions.userfiles import parse_rdf_bytes, read_bytes
from registry.taxonomy.repair import REPAIR, hash_iri, load_repairs, now, repair_graph, repair_provenance, repairs_path, stamp, xsd_time


def ks_directory() -> Path:
    return asset_dir("data") / "taxonomy" / "ks"


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


def provenance(iris: IRIs, source: Source, started: datetime, ended: datetime) -> Graph:
    """The import of one file (PROV-O): which bytes, when, into which graph, from which published schemes."""
    g = new_graph()
    graph, file = iris.g_taxonomy(source.name), source.file_iri
    activity = iris.activity("taxonomy-import", f"{source.name}-{stamp(started)}")
    g.add((activity, RDF.type, PROV.Activity))
    g.add((activity, RDFS.label, Literal(f"import of {source.path.name} into the taxonomy graph {source.name}", lang="en")))
    g.add((activity, PROV.startedAtTime, xsd_time(started)))
    g.add((activity, PROV.endedAtTime, xsd_time(ended)))
    g.add((activity, PROV.used, file))
    g.add((activity, PROV.generated, graph))
    g.add((graph, RDF.type, PROV.Entity))
    g.add((graph, PROV.wasGeneratedBy, activity))
    g.add((graph, PROV.wasDerivedFrom, file))
    g.add((graph, PROV.generatedAtTime, xsd_time(ended)))
    g.add((file, RDF.type, PROV.Entity))
    g.add((file, DCTERMS.title, Literal(source.path.name)))
    for scheme in sorted(source.graph.subjects(RDF.type, SKOS.ConceptScheme)):
        g.add((file, DCTERMS.source, scheme))  # the published vocabulary the file serialises
    return g


def stage_sources(iris: IRIs, sources: Sequence[Source], repairs_file: Path | None = None,
                  kept: Mapping[str, Graph] | None = None) -> dict[URIRef, Graph]:
    """Graphs to write for `sources`: each file's graph and provenance, and the repair graph recomputed
    over `sources` and the `kept` graphs already stored (a repair row may span files)."""
    repairs_file = repairs_file or repairs_path()
    repairs = load_repairs(repairs_file)
    graphs: dict[URIRef, Graph] = {}
    for source in sources:
        started = now()
        graphs[iris.g_taxonomy(source.name)] = source.graph
        graphs[iris.g_taxonomy_provenance(source.name)] = provenance(iris, source, started, now())
    published = {**(kept or {}), **{s.name: s.graph for s in sources}}
    started = now()
    graphs[iris.g_taxonomy(REPAIR)] = repair_graph(iris, published, repairs)
    graphs[iris.g_taxonomy_provenance(REPAIR)] = repair_provenance(iris, repairs_file, published, started, now())
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
