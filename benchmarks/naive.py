"""The naive path: the registry's own query texts on rdflib's default in-memory store, in its own process.

    python -m benchmarks.naive DUMP.nq OUTDIR --set IRI QUERY...

rdflib keeps every triple as Python objects (9.4 GB for the 4.8 million of the national scale), so this
runs apart from the registry's process. It writes OUTDIR/load.pickle after parsing and
OUTDIR/{query}.pickle after each query (seconds, answers, peak RSS), so a caller that stops it at a
time limit still has what finished, and OUTDIR/{query}.started when a query starts, so it knows for how
long an unfinished one had run.
"""

from __future__ import annotations

import argparse
import pickle
import time
from pathlib import Path

from rdflib import Dataset, URIRef

from registry import sparql

from benchmarks import results
from benchmarks.memory import peak_mb

ANSWERS = {"score_datapoints": results.datapoint_scores, "score_categories": results.category_scores,
           "summary_verification": results.summaries}


def bindings(name: str, benchmark_set: URIRef) -> dict:
    """The parameters the benchmark binds: every submission, one benchmark set (as the registry's path)."""
    return {"set": benchmark_set} if name.startswith("score_") else {}


def _write(path: Path, data: dict) -> None:
    with path.open("wb") as handle:
        pickle.dump(data, handle)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dump", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--set", required=True)
    parser.add_argument("queries", nargs="+", choices=sorted(ANSWERS))
    args = parser.parse_args()
    started = time.perf_counter()
    dataset = Dataset(default_union=True)
    dataset.parse(args.dump, format="nquads")
    _write(args.out / "load.pickle", {"seconds": time.perf_counter() - started, "triples": len(dataset),
                                      "peak_rss_mb": peak_mb()})
    for name in args.queries:
        text = sparql.load(name).bind(bindings(name, URIRef(args.set)))
        (args.out / f"{name}.started").write_text(repr(time.time()))  # a lower bound if it never finishes
        started = time.perf_counter()
        rows = [row.asdict() for row in dataset.query(text)]
        seconds = time.perf_counter() - started
        _write(args.out / f"{name}.pickle", {"seconds": seconds, "answers": ANSWERS[name](rows), "peak_rss_mb": peak_mb()})


if __name__ == "__main__":
    main()
