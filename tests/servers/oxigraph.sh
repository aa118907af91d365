#!/usr/bin/env bash
# Private Oxigraph server (PyPI package "oxigraph") for tests (loopback only).
#
#   tests/servers/oxigraph.sh install      # VENV/bin/pip install 'oxigraph>=0.5' (idempotent)
#   tests/servers/oxigraph.sh start DIR    # fresh instance with its data under DIR; prints key=value lines
#   tests/servers/oxigraph.sh stop DIR     # stop it via the pid file
#   tests/servers/oxigraph.sh status DIR   # exit 0 and print key=value lines when running and answering
#
# Environment (all optional):
#   VENV=<repo>/.venv                 virtualenv holding the oxigraph binary (relative paths: from $PWD)
#   OXIGRAPH_SPEC='oxigraph>=0.5'     pip requirement used by install
#   OXIGRAPH_HOST=127.0.0.1
#   OXIGRAPH_PORT=27878
#   OXIGRAPH_UNION_DEFAULT_GRAPH=0    1: default graph = union of all graphs (Virtuoso-like); 0: standard
#   OXIGRAPH_TIMEOUT=120              query timeout, seconds (--timeout-s)
#   OXIGRAPH_START_TIMEOUT=60         seconds to wait for the server to answer
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
SERVER=oxigraph
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=${VENV:-$REPO_ROOT/.venv}
case "$VENV" in /*) ;; *) VENV="$PWD/$VENV" ;; esac
SPEC=${OXIGRAPH_SPEC:-oxigraph>=0.5}
HOST=${OXIGRAPH_HOST:-127.0.0.1}
PORT=${OXIGRAPH_PORT:-27878}
START_TIMEOUT=${OXIGRAPH_START_TIMEOUT:-60}
QUERY_TIMEOUT=${OXIGRAPH_TIMEOUT:-120}
SERVER_BIN="$VENV/bin/oxigraph"

installed() { [ -x "$SERVER_BIN" ] && "$SERVER_BIN" --version >/dev/null 2>&1; }

cmd_install() {
    if installed; then
        log "already installed: $("$SERVER_BIN" --version) ($SERVER_BIN)"
        return 0
    fi
    if [ ! -x "$VENV/bin/pip" ]; then
        log "creating virtualenv $VENV"
        python3 -m venv "$VENV" || die "python3 -m venv $VENV failed (apt-get install python3-venv?)"
    fi
    log "pip install '$SPEC' into $VENV"
    timeout 600 "$VENV/bin/pip" install --disable-pip-version-check -q "$SPEC" </dev/null >&2 \
        || die "pip install '$SPEC' failed"
    installed || die "$SERVER_BIN not usable after install"
    log "installed: $("$SERVER_BIN" --version)"
}

discard_start() { # pid dir -- a start that failed leaves no server and no pid file
    kill -KILL "$1" 2>/dev/null || true
    stop_watchdog "$2"
    rm -f "$2/oxigraph.pid"
}

cmd_start() {
    local dir; dir=$(abs_dir "${1:-}")
    installed || die "oxigraph not installed in $VENV: run '$0 install' first"
    command -v curl >/dev/null 2>&1 || die "curl is required"
    [[ "$HOST" =~ ^127\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "OXIGRAPH_HOST must be a loopback address 127.x.y.z, got '$HOST'"
    [[ "$PORT" =~ ^[0-9]+$ ]] && [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || die "OXIGRAPH_PORT must be a port number, got '$PORT'"
    [[ "$START_TIMEOUT" =~ ^[0-9]+$ ]] || die "OXIGRAPH_START_TIMEOUT must be a number of seconds"
    mkdir -p "$dir"
    die_if_running "$dir"
    port_in_use "$HOST" "$PORT" && die "port $HOST:$PORT is already in use (set OXIGRAPH_PORT)"

    local args=(serve --location "$dir/store" --bind "$HOST:$PORT" --timeout-s "$QUERY_TIMEOUT")
    [ "${OXIGRAPH_UNION_DEFAULT_GRAPH:-0}" = 1 ] && args+=(--union-default-graph)
    local pid t0=$SECONDS
    setsid "$SERVER_BIN" "${args[@]}" >"$dir/oxigraph.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$dir/oxigraph.pid"
    start_watchdog "$pid" "$dir"

    local base="http://$HOST:$PORT"
    await_ready "$pid" "$dir" "$base/query" discard_start
    cat >"$dir/endpoints.env" <<EOF
server=oxigraph
endpoint=$base/query
query=$base/query
update=$base/update
gsp=$base/store
gsp_read=$base/store
auth=none
user=
password=
union_default_graph=${OXIGRAPH_UNION_DEFAULT_GRAPH:-0}
dir=$dir
EOF
    log "oxigraph ready in $((SECONDS - t0))s (pid $pid, data in $dir/store)"
    cat "$dir/endpoints.env"
    echo "pid=$pid"
}

stop_server() { # pid dir
    term_then_kill "$1"
}

main "$@"
