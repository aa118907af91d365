"""CLI verb `publish OUTDIR`: write a static linked-data release (registry.publish)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from registry.cli.common import Fatal, Refused, err, progress, ready_store, store_options
from registry.config import Settings
from registry.cli.output import print_table, to_json
from registry.publication.release import default_download_base, render_release, write_release


@click.command("publish")
@store_options
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--download-base", metavar="URL",
              help="Where OUTDIR will be served; download URLs in catalog.ttl and void.ttl start with it "
                   "(default: BASE-IRI + release/).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def publish(settings: Settings, outdir: Path, download_base: str | None, fmt: str) -> None:
    """Write the release to OUTDIR: RDF dumps, CSV + CSVW, JSON-stat, catalog.ttl (DCAT-AP-NO), void.ttl, SHA256SUMS.

    The published cube must pass the Data Cube integrity constraints IC-1 … IC-21; otherwise nothing
    is written (exit 1). Publishing the same store twice writes byte-identical files.
    """
    if download_base and not download_base.endswith("/"):
        raise Fatal(f"--download-base {download_base!r}: must end with '/'")
    started = time.perf_counter()
    with ready_store(settings) as store:
        step = progress("publishing")
        release = render_release(store, settings.iris, download_base or default_download_base(settings.iris), step)
        step("done")
    if release.failures:
        for failure in release.failures:
            err.print(f"{failure.ic}: violated: {failure.message}")
        raise Refused(f"the release breaks {len(release.failures)} integrity check(s) (Data Cube IC-n, CSVW-PK); {outdir} not written")
    try:
        write_release(release, outdir)
    except FileExistsError as exc:
        raise Fatal(str(exc)) from None
    seconds = time.perf_counter() - started
    summary = {"outdir": str(outdir), "observations": release.observations, "triples": release.triples,
               "integrity_constraints": "IC-1 … IC-21 hold", "seconds": round(seconds, 2), "files": release.sizes()}
    if fmt == "json":
        print(to_json(summary))
        return
    print_table([{"file": path, "bytes": size} for path, size in release.sizes().items()], ["file", "bytes"],
                title=f"Published {release.observations} observations, {release.triples} triples to {outdir} "
                      f"in {seconds:.1f} s; IC-1 … IC-21 hold")
