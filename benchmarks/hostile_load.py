"""Cheap requests under attack: wrk on the KPI look-up (SPARQL) and on a KPI page, once alone and once while
an attacker sends a runaway query every 3 s and a malformed request 4 times a second (README, Serving).

    .venv/bin/python -m benchmarks.hostile_load [--store DIR] [--seconds 60] [--connections 50] [-- SERVE ARGS]

Prints, for each of the two loads, req/s (all answers, and the 2xx ones alone: a 503 is an answer too, but not
the one the client wanted) and p99 without and with the attack, and the ratio of answered req/s. Arguments
after `--` go to `serve` (for example `-- --threads 16`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import urllib.parse
import urllib.request
from pathlib import Path

from rdflib import Literal

from benchmarks.endpoint import ACCEPT, ensure_wrk, free_port, load, parse_wrk, serving
from registry import sparql

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # runs until the query timeout
MALFORMED = [{"query": "ASK {}", "default-graph-uri": "not an iri"},
             {"query": "ASK { FILTER(" + "(" * 100_000 + "1" + ")" * 100_000 + ") }"}]


def page_load(wrk: str, url: str, seconds: float, connections: int) -> dict[str, float]:
    run = subprocess.run([wrk, "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-H", "Accept: text/html",
                          url], capture_output=True, text=True, check=True)
    return parse_wrk(run.stdout)


def _send(url: str, params: dict[str, str], timeout: float) -> None:
    request = urllib.request.Request(url, urllib.parse.urlencode(params).encode(),
                                     {"Content-Type": "application/x-www-form-urlencoded", "Accept": ACCEPT})
    try:
        urllib.request.urlopen(request, timeout=timeout).close()
    except OSError:
        pass  # a 4xx or 503 is what the attacker gets; only its cost to others is measured


def attack(url: str, stop: threading.Event) -> None:
    """A runaway query every 3 s (each in its own thread: it waits for its 503), 4 malformed requests a second."""
    tick = 0
    while not stop.wait(0.25):
        _send(url, MALFORMED[tick % 2], 10)
        if tick % 12 == 0:
            threading.Thread(target=_send, args=(url, {"query": RUNAWAY}, 60), daemon=True).start()
        tick += 1


def both_loads(wrk: str, base: str, query: str, seconds: float, connections: int) -> dict[str, dict]:
    """The SPARQL load and the page load at the same time, half the connections each."""
    figures: dict[str, dict] = {}
    pages = threading.Thread(target=lambda: figures.__setitem__(
        "page", page_load(wrk, f"{base}/def/kpi/EC-ICT-ICT-1C", seconds, connections // 2)))
    pages.start()
    figures["sparql"] = load(wrk, f"{base}/sparql", query, seconds, connections - connections // 2)
    pages.join()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=Path(".store"))
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("serve_args", nargs="*", help="more arguments for `kpi-registry serve`")
    args = parser.parse_args()
    wrk = ensure_wrk()
    if wrk is None:
        sys.exit("wrk is needed (apt-get install wrk)")
    query = sparql.load("lookup_kpi_label").bind({"key": Literal("EC-ICT-ICT-1C")})
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [str(Path(sys.executable).with_name("kpi-registry")), "serve", "--store", str(args.store),
               "--port", str(port), *args.serve_args]
    with tempfile.TemporaryDirectory() as tmp, serving(command, f"{base}/sparql", query, Path(tmp) / "serve.log"):
        quiet = both_loads(wrk, base, query, args.seconds, args.connections)
        stop = threading.Event()
        attacker = threading.Thread(target=attack, args=(f"{base}/sparql", stop), daemon=True)
        attacker.start()
        try:
            attacked = both_loads(wrk, base, query, args.seconds, args.connections)
        finally:
            stop.set()
    result = {name: {"quiet": quiet[name], "attacked": attacked[name],
                     "answered_ratio": round(attacked[name]["answered_rps"] / quiet[name]["answered_rps"], 2)} for name in quiet}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
