"""`publish`: the registry as a static linked-data release a statistics bureau can mirror.

A release is a directory of files rendered from the store and nothing else: RDF dumps of each
dataset (Turtle, N-Triples, JSON-LD), the observations as CSV with CSVW metadata and as JSON-stat
2.0, a DCAT-AP-NO catalogue, a VoID description and SHA-256 checksums. Rendering is
deterministic, so publishing the same store twice gives byte-identical files:

* blank nodes get canonical labels (RGDA1, rdflib.compare) and N-Triples lines are sorted;
* Turtle and JSON-LD are serialised from a graph parsed from those sorted lines, so rdflib meets
  the triples in one fixed order;
* no timestamp comes from the clock: issued / modified are the data's own dates
  (queries/dataset_dates.rq), and are left out where the data has none.

Before anything is written, the published cube is checked against Data Cube IC-1 … IC-21.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import RDF

from registry.publication.cube import check_integrity
from registry.namespaces import QB, IRIs
from registry.store import Store
from registry.submissions.staged import Catalogue
from registry.publication.datasets import CHECKSUMS, JSONSTAT, Progress, Release, TABLE, TABLE_METADATA, datasets, submissions
from registry.publication.serialise import dataset_graph
from registry.publication.describe import Describer, Published
from registry.publication.jsonstat import jsonstat
from registry.publication.serialise import canonical, serialisations
from registry.publication.tables import csvw_metadata, item_rows, key_failures, observations_csv


def default_download_base(iris: IRIs) -> str:
    return iris.base + "release/"


def render_release(store: Store, iris: IRIs, download: str | None = None,
                   progress: Progress = lambda _: None) -> Release:
    """Every file of the release, in memory; `failures` lists the ICs the published cube violates and any
    repeated primary key of its table."""
    download = download or default_download_base(iris)
    release = Release()
    subs = submissions(store)
    published = []
    for d in datasets(store, iris, subs):
        progress(f"dumping {d.key}")
        graph = dataset_graph(store, d)
        files = {f"dumps/{d.key}.{suffix}": data for suffix, data in serialisations(graph).items()}
        published.append(Published(d, graph, files))
        release.files.update(files)
    progress("checking Data Cube integrity constraints")
    cube = Graph()
    for p in published:
        if p.dataset.key == "catalogue" or p.dataset.cube or p.dataset.structure is not None:
            cube += p.graph
    release.failures = check_integrity(cube)
    release.observations = len(set(cube.subjects(RDF.type, QB.Observation)))
    release.triples = sum(len(p.graph) for p in published)
    progress("tables")
    rows = item_rows(store)
    for r in rows:
        r["round_key"], r["round_label"] = f"{r['slug']}/{r['round_id']}", f"{r['city_name']} {r['round_id']}"
    release.failures += key_failures(rows)
    tables = {TABLE: observations_csv(rows), TABLE_METADATA: csvw_metadata(download),
              JSONSTAT: jsonstat(rows, Catalogue.from_store(store), download)}
    release.files.update(tables)
    progress("catalogue and VoID")
    describer = Describer(store, iris, download)
    release.files["catalog.ttl"] = serialisations(canonical(describer.dcat(published, tables, subs)))["ttl"]
    release.files["void.ttl"] = serialisations(canonical(describer.void(published)))["ttl"]
    release.files[CHECKSUMS] = checksums(release.files)
    return release


def checksums(files: dict[str, bytes]) -> bytes:
    """`sha256sum -c` format, paths sorted."""
    return "".join(f"{hashlib.sha256(data).hexdigest()}  {path}\n"
                   for path, data in sorted(files.items()) if path != CHECKSUMS).encode("ascii")


def write_release(release: Release, out: Path) -> None:
    """Write the release to `out`, replacing a previous release there in one rename.

    The files are written to a sibling temporary directory first, so a mirror never sees half a
    release; `out` may be missing, empty, or hold an earlier release (it has SHA256SUMS).
    """
    out = out.resolve()
    if out.exists() and any(out.iterdir()) and not (out / CHECKSUMS).is_file():
        raise FileExistsError(f"{out}: not empty and not a release (no {CHECKSUMS}); refusing to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for path, data in sorted(release.files.items()):
            target = staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        os.chmod(staging, 0o755)
        _swap(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap(staging: Path, out: Path) -> None:
    old = out.with_name(f".{out.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)
