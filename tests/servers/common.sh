# Shared by virtuoso.sh and oxigraph.sh, which source it; not a command itself.
# The sourcing script sets, before it calls any of these functions:
#   SERVER       name of the server's files under DIR ($SERVER.pid, $SERVER.log) and in messages
#   SERVER_BIN   the server program (a name or a path)
# and defines cmd_install, cmd_start and stop_server PID DIR (stop a running
# server its own way); its last line is `main "$@"`.
# ENV_* variables are assigned dynamically by load_env (printf -v).
# shellcheck shell=bash disable=SC2154

PROG=$(basename "$0")

die() { echo "$PROG: error: $*" >&2; exit 1; }
log() { echo "$PROG: $*" >&2; }
usage() { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

port_in_use() { # host port -> 0 if something accepts connections there
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

abs_dir() { # DIR -> absolute path (need not exist)
    [ -n "${1:-}" ] || die "missing DIR argument"
    case "$1" in
        /*) printf '%s' "$1" ;;
        *) printf '%s/%s' "$PWD" "$1" ;;
    esac
}

pid_alive() { # pid -> 0 if that pid is our server
    local pid=$1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    # guard against a recycled pid: the process must be running SERVER_BIN
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "${SERVER_BIN##*/}" || return 1
}

read_pid() { # DIR -> pid or empty
    [ -f "$1/$SERVER.pid" ] && cat "$1/$SERVER.pid" || true
}

die_if_running() { # DIR
    local pid; pid=$(read_pid "$1")
    if pid_alive "$pid"; then
        die "already running in $1 (pid $pid); '$0 stop $1' first"
    fi
}

load_env() { # DIR -> sources DIR/endpoints.env into ENV_* variables
    local key val
    [ -f "$1/endpoints.env" ] || return 1
    while IFS='=' read -r key val; do
        [ -n "$key" ] || continue
        printf -v "ENV_${key}" '%s' "$val"
    done <"$1/endpoints.env"
}

http_ask() { # query endpoint URL -> 0 if ASK {} answers true
    curl -fsS --max-time 5 -G --data-urlencode 'query=ASK {}' \
        -H 'Accept: application/sparql-results+json' "$1" 2>/dev/null | grep -q true
}

await_ready() { # pid DIR URL [CLEANUP] -- wait (START_TIMEOUT) until the launched server answers at URL
    # On failure: show the end of its log, run CLEANUP pid DIR (if given), die.
    local deadline=$((SECONDS + START_TIMEOUT)) failure
    while ! http_ask "$3"; do
        if ! kill -0 "$1" 2>/dev/null; then
            failure="${SERVER_BIN##*/} exited during start-up (log: $2/$SERVER.log)"
        elif [ $SECONDS -ge $deadline ]; then
            failure="$SERVER did not answer on $3 within ${START_TIMEOUT}s"
        else
            sleep 0.2
            continue
        fi
        tail -n 25 "$2/$SERVER.log" >&2 2>/dev/null || true
        if [ -n "${4:-}" ]; then "$4" "$1" "$2"; fi
        die "$failure"
    done
}

gone_within_10s() { # pid -> 0 once the process is gone, 1 if it is still there after 10 s
    local _
    for _ in $(seq 1 100); do pid_alive "$1" || return 0; sleep 0.1; done
    ! pid_alive "$1"
}

term_then_kill() { # pid
    kill -TERM "$1" 2>/dev/null || true
    gone_within_10s "$1" && return 0
    log "pid $1 ignored SIGTERM for 10s; sending SIGKILL"
    kill -KILL "$1" 2>/dev/null || true
    sleep 0.5
}

# With WATCHDOG_FD set (the read end of a pipe whose write end only the caller holds), `start` leaves a
# watchdog beside the server that stops it once that write end closes: when the caller exits, however it
# exits (SIGTERM, SIGINT, SIGKILL). The server runs in a session of its own, so no terminal or process-group
# signal reaches it, and the watchdog ignores them: only the pipe counts. `stop` ends the watchdog first.
start_watchdog() { # pid dir
    [ -n "${WATCHDOG_FD:-}" ] || return 0
    [[ "$WATCHDOG_FD" =~ ^[0-9]+$ ]] || die "WATCHDOG_FD must be a file descriptor number, got '$WATCHDOG_FD'"
    stop_watchdog "$2"
    (
        trap '' INT TERM HUP QUIT
        while read -r -u "$WATCHDOG_FD" _; do :; done  # a builtin: returns at end of file, no child to leave
        if pid_alive "$1"; then
            log "the process that started pid $1 is gone; stopping it"
            term_then_kill "$1"
            rm -f "$2/$SERVER.pid"
        fi
        rm -f "$2/$SERVER.watchdog.pid"
    ) </dev/null >>"$2/$SERVER.watchdog.log" 2>&1 &
    echo $! >"$2/$SERVER.watchdog.pid"
}

stop_watchdog() { # dir
    local pid; pid=$(cat "$1/$SERVER.watchdog.pid" 2>/dev/null || true)
    # guard against a recycled pid: the watchdog is a copy of this script's shell
    if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$SERVER.sh"; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$1/$SERVER.watchdog.pid"
}

cmd_stop() {
    local dir; dir=$(abs_dir "${1:-}")
    stop_watchdog "$dir"
    local pid; pid=$(read_pid "$dir")
    if ! pid_alive "$pid"; then
        rm -f "$dir/$SERVER.pid"
        log "not running ($dir)"
        return 0
    fi
    stop_server "$pid" "$dir"
    pid_alive "$pid" && die "could not stop pid $pid"
    rm -f "$dir/$SERVER.pid"
    log "stopped ($dir)"
}

cmd_status() {
    local dir; dir=$(abs_dir "${1:-}")
    local pid; pid=$(read_pid "$dir")
    if ! pid_alive "$pid"; then
        echo "status=stopped"
        return 3
    fi
    load_env "$dir" || { echo "status=starting"; echo "pid=$pid"; return 1; }
    if http_ask "$ENV_endpoint"; then
        echo "status=running"
        cat "$dir/endpoints.env"
        echo "pid=$pid"
    else
        echo "status=not-answering"
        echo "pid=$pid"
        return 1
    fi
}

main() {
    case "${1:-}" in
        install) cmd_install ;;
        start) cmd_start "${2:-}" ;;
        stop) cmd_stop "${2:-}" ;;
        status) cmd_status "${2:-}" ;;
        *) usage ;;
    esac
}
