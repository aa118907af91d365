#!/usr/bin/env bash
# Load test: `kpi-registry serve` against `oxigraph serve-read-only` on the same store, with wrk.
#
#   benchmarks/serve_wrk.sh [STORE_DIR] [SECONDS] [CONNECTIONS]
#
# The request is the KPI look-up of queries/lookup_kpi_label.rq bound to EC-ICT-ICT-1C, sent as
# GET /sparql?query=… with Accept: application/sparql-results+json. Needs wrk (apt-get install wrk)
# and the oxigraph binary (pip install oxigraph); ports 18000 and 18001 on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
STORE=${1:-.store}
SECONDS_=${2:-10}
CONNECTIONS=${3:-16}
PY=.venv/bin/python
[ -d "$STORE" ] || .venv/bin/kpi-registry build --store "$STORE" >/dev/null

QUERY=$($PY -c 'import urllib.parse; from rdflib import Literal; from registry import sparql
print(urllib.parse.quote(sparql.load("lookup_kpi_label").bind({"key": Literal("EC-ICT-ICT-1C")})))')
ACCEPT='Accept: application/sparql-results+json'

wait_for() { for _ in $(seq 100); do curl -fsS -o /dev/null -H "$ACCEPT" "$1" 2>/dev/null && return 0; sleep 0.2; done; return 1; }
rss_kib() { ps -o rss= --pid "$(pgrep -d, -g "$1")" | awk '{s+=$1} END {print s}'; }

setsid .venv/bin/kpi-registry serve --store "$STORE" --port 18000 --workers 2 >/tmp/kpi-serve-bench.log 2>&1 &
REG=$!
setsid .venv/bin/oxigraph serve-read-only --location "$STORE" --bind 127.0.0.1:18001 --union-default-graph >/tmp/oxigraph-bench.log 2>&1 &
OXI=$!
trap 'kill -TERM -- -$REG -$OXI 2>/dev/null || true' EXIT
wait_for "http://127.0.0.1:18000/sparql?query=$QUERY"
wait_for "http://127.0.0.1:18001/query?query=$QUERY"

echo "== kpi-registry serve (2 gunicorn workers) =="
wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_}s" --latency -H "$ACCEPT" "http://127.0.0.1:18000/sparql?query=$QUERY"
echo "RSS of the server's processes: $(rss_kib $REG) KiB"
echo "== oxigraph serve-read-only =="
wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_}s" --latency -H "$ACCEPT" "http://127.0.0.1:18001/query?query=$QUERY"
echo "RSS of oxigraph: $(rss_kib $OXI) KiB"
echo "== kpi-registry serve: the KPI's HTML page (cached) =="
wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_}s" --latency -H 'Accept: text/html' "http://127.0.0.1:18000/def/kpi/EC-ICT-ICT-1C"
