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
# ENV_* variables are assigned dynamically by load_env (printf -v).
# shellcheck disable=SC2154
set -euo pipefail

PROG=$(basename "$0")
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=${VENV:-$REPO_ROOT/.venv}
case "$VENV" in /*) ;; *) VENV="$PWD/$VENV" ;; esac
SPEC=${OXIGRAPH_SPEC:-oxigraph>=0.5}
HOST=${OXIGRAPH_HOST:-127.0.0.1}
PORT=${OXIGRAPH_PORT:-27878}
START_TIMEOUT=${OXIGRAPH_START_TIMEOUT:-60}
QUERY_TIMEOUT=${OXIGRAPH_TIMEOUT:-120}
BIN="$VENV/bin/oxigraph"

die() { echo "$PROG: error: $*" >&2; exit 1; }
log() { echo "$PROG: $*" >&2; }
usage() { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

port_in_use() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

abs_dir() {
    [ -n "${1:-}" ] || die "missing DIR argument"
    case "$1" in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$PWD" "$1" ;; esac
}

pid_alive() { # pid -> 0 if it is a running oxigraph server
    local pid=$1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "oxigraph" || return 1
}

read_pid() { [ -f "$1/oxigraph.pid" ] && cat "$1/oxigraph.pid" || true; }

load_env() {
    local key val
    [ -f "$1/endpoints.env" ] || return 1
    while IFS='=' read -r key val; do
        [ -n "$key" ] || continue
        printf -v "ENV_${key}" '%s' "$val"
    done <"$1/endpoints.env"
}

http_ask() {
    curl -fsS --max-time 5 -G --data-urlencode 'query=ASK {}' \
        -H 'Accept: application/sparql-results+json' "$1" 2>/dev/null | grep -q true
}

installed() { [ -x "$BIN" ] && "$BIN" --version >/dev/null 2>&1; }

cmd_install() {
    if installed; then
        log "already installed: $("$BIN" --version) ($BIN)"
        return 0
    fi
    if [ ! -x "$VENV/bin/pip" ]; then
        log "creating virtualenv $VENV"
        python3 -m venv "$VENV" || die "python3 -m venv $VENV failed (apt-get install python3-venv?)"
    fi
    log "pip install '$SPEC' into $VENV"
    timeout 600 "$VENV/bin/pip" install --disable-pip-version-check -q "$SPEC" </dev/null >&2 \
        || die "pip install '$SPEC' failed"
    installed || die "$BIN not usable after install"
    log "installed: $("$BIN" --version)"
}

cmd_start() {
    local dir; dir=$(abs_dir "${1:-}")
    installed || die "oxigraph not installed in $VENV: run '$0 install' first"
    command -v curl >/dev/null 2>&1 || die "curl is required"
    [[ "$HOST" =~ ^127\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "OXIGRAPH_HOST must be a loopback address 127.x.y.z, got '$HOST'"
    [[ "$PORT" =~ ^[0-9]+$ ]] && [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || die "OXIGRAPH_PORT must be a port number, got '$PORT'"
    [[ "$START_TIMEOUT" =~ ^[0-9]+$ ]] || die "OXIGRAPH_START_TIMEOUT must be a number of seconds"
    mkdir -p "$dir"
    local pid; pid=$(read_pid "$dir")
    pid_alive "$pid" && die "already running in $dir (pid $pid); '$0 stop $dir' first"
    port_in_use "$HOST" "$PORT" && die "port $HOST:$PORT is already in use (set OXIGRAPH_PORT)"

    local args=(serve --location "$dir/store" --bind "$HOST:$PORT" --timeout-s "$QUERY_TIMEOUT")
    [ "${OXIGRAPH_UNION_DEFAULT_GRAPH:-0}" = 1 ] && args+=(--union-default-graph)
    local t0=$SECONDS
    setsid "$BIN" "${args[@]}" >"$dir/oxigraph.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$dir/oxigraph.pid"

    local base="http://$HOST:$PORT"
    local deadline=$((SECONDS + START_TIMEOUT))
    until http_ask "$base/query"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 25 "$dir/oxigraph.log" >&2 || true
            rm -f "$dir/oxigraph.pid"
            die "oxigraph exited during start-up (log: $dir/oxigraph.log)"
        fi
        if [ $SECONDS -ge $deadline ]; then
            tail -n 25 "$dir/oxigraph.log" >&2 || true
            kill -KILL "$pid" 2>/dev/null || true
            rm -f "$dir/oxigraph.pid"
            die "oxigraph did not answer on $base/query within ${START_TIMEOUT}s"
        fi
        sleep 0.2
    done
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

cmd_stop() {
    local dir; dir=$(abs_dir "${1:-}")
    local pid; pid=$(read_pid "$dir")
    if ! pid_alive "$pid"; then
        rm -f "$dir/oxigraph.pid"
        log "not running ($dir)"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do pid_alive "$pid" || break; sleep 0.1; done
    if pid_alive "$pid"; then
        log "pid $pid ignored SIGTERM for 10s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.5
    fi
    pid_alive "$pid" && die "could not stop pid $pid"
    rm -f "$dir/oxigraph.pid"
    log "stopped ($dir)"
}

cmd_status() {
    local dir; dir=$(abs_dir "${1:-}")
    local pid; pid=$(read_pid "$dir")
    if ! pid_alive "$pid"; then echo "status=stopped"; return 3; fi
    load_env "$dir" || { echo "status=starting"; echo "pid=$pid"; return 1; }
    if http_ask "$ENV_endpoint"; then
        echo "status=running"; cat "$dir/endpoints.env"; echo "pid=$pid"
    else
        echo "status=not-answering"; echo "pid=$pid"; return 1
    fi
}

case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start "${2:-}" ;;
    stop) cmd_stop "${2:-}" ;;
    status) cmd_status "${2:-}" ;;
    *) usage ;;
esac
