#!/usr/bin/env bash
# Private Virtuoso Open Source 7 instance for tests (loopback only).
#
#   tests/servers/virtuoso.sh install      # apt-get install (idempotent, no prompts, no system service)
#   tests/servers/virtuoso.sh start DIR    # fresh instance with its data under DIR; prints key=value lines
#   tests/servers/virtuoso.sh stop DIR     # clean shutdown via the pid file
#   tests/servers/virtuoso.sh status DIR   # exit 0 and print key=value lines when running and answering
#
# Environment (all optional):
#   VIRTUOSO_HOST=127.0.0.1        address both listeners bind to (keep it on loopback)
#   VIRTUOSO_HTTP_PORT=28890       HTTP: /sparql, /sparql-auth, /sparql-graph-crud[-auth]
#   VIRTUOSO_SQL_PORT=21111        ODBC/isql port
#   VIRTUOSO_USER=registry         SPARQL user that gets SPARQL_UPDATE (digest auth on the -auth endpoints)
#   VIRTUOSO_PASSWORD=<random>     its password        ([A-Za-z0-9._-] only)
#   VIRTUOSO_DBA_PASSWORD=<random> new password of dba ([A-Za-z0-9._-] only)
#   VIRTUOSO_OPEN_UPDATE=0         1: also let anonymous /sparql and /sparql-graph-crud write (SPARQL_UPDATE to "SPARQL")
#   VIRTUOSO_DEFAULT_GRAPH=        an IRI: make it the default graph of every request (see README: merges with FROM!)
#   VIRTUOSO_START_TIMEOUT=60      seconds to wait for the server to answer
#   VIRTUOSO_QUERY_TIMEOUT=120     [SPARQL] MaxQueryExecutionTime, seconds
#   VIRTUOSO_MAX_ROWS=1000000      [SPARQL] ResultSetMaxRows
#   VIRTUOSO_BUFFERS=40000         NumberOfBuffers (8 KiB pages; 40000 = ~330 MB)
# ENV_* variables are assigned dynamically by load_env (printf -v).
# shellcheck disable=SC2154
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
SERVER=virtuoso
HOST=${VIRTUOSO_HOST:-127.0.0.1}
HTTP_PORT=${VIRTUOSO_HTTP_PORT:-28890}
SQL_PORT=${VIRTUOSO_SQL_PORT:-21111}
START_TIMEOUT=${VIRTUOSO_START_TIMEOUT:-60}
QUERY_TIMEOUT=${VIRTUOSO_QUERY_TIMEOUT:-120}
MAX_ROWS=${VIRTUOSO_MAX_ROWS:-1000000}
BUFFERS=${VIRTUOSO_BUFFERS:-40000}
PKG=virtuoso-opensource
SERVER_BIN=virtuoso-t
ISQL_BIN=isql-vt

check_port() { # name value
    [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -ge 1 ] && [ "$2" -le 65535 ] || die "$1 must be a port number (1-65535), got '$2'"
}

# ---------------------------------------------------------------- helpers
gen_password() {
    local p
    p=$(head -c 512 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 20) || true
    [ -n "$p" ] || p="t$(date +%s%N)"
    printf '%s' "$p"
}

check_password() { # name value
    [[ "$2" =~ ^[A-Za-z0-9._-]+$ ]] || die "$1 may contain only [A-Za-z0-9._-]"
}

isql() { # sqlport password SQL... ; fails on any SQL error
    local out rc=0
    out=$(timeout 120 "$ISQL_BIN" "$HOST:$1" dba "$2" "EXEC=$3" 2>&1) || rc=$?
    if [ $rc -ne 0 ] || grep -q '\*\*\* Error' <<<"$out"; then
        echo "$out" >&2
        return 1
    fi
}

LAUNCHED_PID="" LAUNCHED_DIR=""
kill_launched() { # EXIT trap of a failed start: stop the server it launched
    [ -n "$LAUNCHED_PID" ] || return 0
    if kill -0 "$LAUNCHED_PID" 2>/dev/null; then
        log "stopping the half-started server (pid $LAUNCHED_PID)"
        kill -TERM "$LAUNCHED_PID" 2>/dev/null || true
        gone_within_10s "$LAUNCHED_PID" || kill -KILL "$LAUNCHED_PID" 2>/dev/null || true
    fi
    stop_watchdog "$LAUNCHED_DIR"
    rm -f "$LAUNCHED_DIR/virtuoso.pid"
}

# ---------------------------------------------------------------- install
cmd_install() {
    if command -v "$SERVER_BIN" >/dev/null 2>&1 && command -v "$ISQL_BIN" >/dev/null 2>&1; then
        log "already installed: $("$SERVER_BIN" --help 2>&1 | sed -n 2p)"
        return 0
    fi
    local SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null \
            || die "install needs root (or password-less sudo) for apt-get"
        SUDO="sudo -n"
    fi
    export DEBIAN_FRONTEND=noninteractive
    # Empty dba password: the package's own database stays on the default
    # password and its init script is disabled (RUN=no) -- we never use it.
    printf '%s\n' \
        "virtuoso-opensource-7 virtuoso-opensource-7/dba-password password" \
        "virtuoso-opensource-7 virtuoso-opensource-7/dba-password-again password" \
        | $SUDO debconf-set-selections
    # Keep postinst from starting the system service (ports 1111/8890):
    # a temporary policy-rc.d that denies every start, unless one exists.
    local made_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
        $SUDO chmod 755 /usr/sbin/policy-rc.d
        made_policy=1
        # shellcheck disable=SC2064  # expand $SUDO now, on purpose
        trap "$SUDO rm -f /usr/sbin/policy-rc.d" EXIT
    fi
    log "apt-get update"
    timeout 600 $SUDO apt-get -q update -o DPkg::Lock::Timeout=120 </dev/null >&2 \
        || die "apt-get update failed"
    log "apt-get install $PKG"
    timeout 900 $SUDO apt-get -q -y install --no-install-recommends \
        -o DPkg::Lock::Timeout=120 \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "$PKG" </dev/null >&2 || die "apt-get install $PKG failed"
    if [ -n "$made_policy" ]; then
        $SUDO rm -f /usr/sbin/policy-rc.d
        trap - EXIT
    fi
    # If a policy allowed the system service to start, postinst stops it
    # again (default password => RUN=no); make sure it is not left running.
    if [ -x /etc/init.d/virtuoso-opensource-7 ] && port_in_use 127.0.0.1 8890; then
        log "stopping the system service started by the package"
        $SUDO /etc/init.d/virtuoso-opensource-7 stop >&2 || true
    fi
    command -v "$SERVER_BIN" >/dev/null 2>&1 || die "$SERVER_BIN not found after install"
    log "installed: $("$SERVER_BIN" --help 2>&1 | sed -n 2p)"
}

# ---------------------------------------------------------------- start
write_ini() { # DIR
    local d=$1
    cat >"$d/virtuoso.ini" <<EOF
; generated by tests/servers/virtuoso.sh -- private test instance, loopback only
[Database]
DatabaseFile       = $d/db/virtuoso.db
ErrorLogFile       = $d/virtuoso.log
LockFile           = $d/db/virtuoso.lck
TransactionFile    = $d/db/virtuoso.trx
xa_persistent_file = $d/db/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = $d/db/virtuoso-temp.db
TransactionFile    = $d/db/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort               = $HOST:$SQL_PORT
LiteMode                 = 0
DisableUnixSocket        = 1
DisableTcpSocket         = 0
MaxClientConnections     = 20
CheckpointInterval       = 60
O_DIRECT                 = 0
CaseMode                 = 2
MaxStaticCursorRows      = 5000
CheckpointAuditTrail     = 0
AllowOSCalls             = 0
SchedulerInterval        = 10
DirsAllowed              = ., $d, $d/load
ThreadCleanupInterval    = 0
ThreadThreshold          = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize        = 100000
SingleCPU                = 0
PrefixResultNames        = 0
RdfFreeTextRulesSize     = 100
IndexTreeMaps            = 64
MaxMemPoolSize           = 200000000
MaxQueryMem              = 1G
VectorSize               = 1000
MaxVectorSize            = 1000000
AdjustVectorSize         = 0
ThreadsPerQuery          = 2
AsyncQueueMaxThreads     = 10
NumberOfBuffers          = $BUFFERS
MaxDirtyBuffers          = $((BUFFERS * 3 / 4))

[HTTPServer]
ServerPort                  = $HOST:$HTTP_PORT
ServerRoot                  = $d/vsp
MaxClientConnections        = 20
DavRoot                     = DAV
EnabledDavVSP               = 0
HTTPProxyEnabled            = 0
TempASPXDir                 = 0
DefaultMailServer           = localhost:25
ServerThreads               = 20
MaxKeepAlives               = 10
KeepAliveTimeout            = 10
MaxCachedProxyConnections   = 10
ProxyConnectionCacheTimeout = 15
HTTPThreadSize              = 280000
HttpPrintWarningsInOutput   = 0
Charset                     = UTF-8
MaintenancePage             = atomic.html
EnabledGzipContent          = 1

[AutoRepair]
BadParentLinks = 0

[Client]
SQL_PREFETCH_ROWS  = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT  = 0
SQL_TXN_TIMEOUT    = 0

[VDB]
ArrayOptimization           = 0
NumArrayParameters          = 10
VDBDisconnectTimeout        = 1000
KeepConnectionOnFixedThread = 0

[Replication]
ServerName   = db-test
ServerEnable = 1
QueueMax     = 50000

[URIQA]
DynamicLocal = 0
DefaultHost  = $HOST:$HTTP_PORT

[SPARQL]
ResultSetMaxRows           = $MAX_ROWS
MaxQueryCostEstimationTime = 3600
MaxQueryExecutionTime      = $QUERY_TIMEOUT
DefaultQuery               = SELECT * WHERE { ?s ?p ?o } LIMIT 10
DeferInferenceRulesInit    = 0
EOF
}

cmd_start() {
    local dir; dir=$(abs_dir "${1:-}")
    command -v "$SERVER_BIN" >/dev/null 2>&1 || die "$SERVER_BIN not installed: run '$0 install' first"
    command -v curl >/dev/null 2>&1 || die "curl is required"
    [[ "$HOST" =~ ^127\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "VIRTUOSO_HOST must be a loopback address 127.x.y.z, got '$HOST'"
    check_port VIRTUOSO_HTTP_PORT "$HTTP_PORT"
    check_port VIRTUOSO_SQL_PORT "$SQL_PORT"
    [[ "$START_TIMEOUT" =~ ^[0-9]+$ ]] || die "VIRTUOSO_START_TIMEOUT must be a number of seconds"
    [[ "$BUFFERS" =~ ^[0-9]+$ ]] && [ "$BUFFERS" -ge 1000 ] || die "VIRTUOSO_BUFFERS must be a number >= 1000"
    mkdir -p "$dir"
    die_if_running "$dir"
    port_in_use "$HOST" "$HTTP_PORT" && die "port $HOST:$HTTP_PORT is already in use (set VIRTUOSO_HTTP_PORT)"
    port_in_use "$HOST" "$SQL_PORT" && die "port $HOST:$SQL_PORT is already in use (set VIRTUOSO_SQL_PORT)"

    local fresh=1 dba_pw user user_pw
    local open_update=${VIRTUOSO_OPEN_UPDATE:-0} default_graph=${VIRTUOSO_DEFAULT_GRAPH:-}
    if [ -f "$dir/db/virtuoso.db" ] && load_env "$dir"; then
        fresh=0   # restart of a stopped instance: keep its data, credentials and grants
        dba_pw=$ENV_dba_password; user=$ENV_user; user_pw=$ENV_password
        open_update=${ENV_open_update:-0}; default_graph=${ENV_default_graph:-}
    elif [ -e "$dir/db" ]; then
        die "$dir/db exists but is not a database made by this script; use an empty DIR"
    else
        dba_pw=${VIRTUOSO_DBA_PASSWORD:-$(gen_password)}
        user=${VIRTUOSO_USER:-registry}
        user_pw=${VIRTUOSO_PASSWORD:-$(gen_password)}
        check_password VIRTUOSO_DBA_PASSWORD "$dba_pw"
        check_password VIRTUOSO_PASSWORD "$user_pw"
        [[ "$user" =~ ^[A-Za-z][A-Za-z0-9_]*$ ]] || die "VIRTUOSO_USER must match [A-Za-z][A-Za-z0-9_]*"
        [ "$user" != dba ] && [ "$user" != SPARQL ] && [ "$user" != dav ] || die "VIRTUOSO_USER must not be dba, dav or SPARQL"
        [[ "$default_graph" =~ ^[^\'\<\>\ ]*$ ]] || die "bad VIRTUOSO_DEFAULT_GRAPH"
    fi
    mkdir -p "$dir/db" "$dir/vsp" "$dir/load"
    write_ini "$dir"

    local pid t0=$SECONDS
    # +foreground: no daemonising, so $! is the server's pid; setsid keeps it
    # out of the caller's process group (no SIGINT/SIGHUP from the terminal/CI).
    setsid "$SERVER_BIN" +foreground +configfile "$dir/virtuoso.ini" \
        >"$dir/virtuoso.out" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$dir/virtuoso.pid"
    start_watchdog "$pid" "$dir"
    # Any failure from here on must not leave a half-set-up server behind.
    LAUNCHED_PID=$pid LAUNCHED_DIR=$dir
    trap kill_launched EXIT
    trap "exit 130" INT TERM HUP

    local base="http://$HOST:$HTTP_PORT"
    await_ready "$pid" "$dir" "$base/sparql"

    if [ $fresh = 1 ]; then
        # One-time set-up of a new database (it starts with dba/dba).
        local sql="DB.DBA.USER_CREATE('$user', '$user_pw');
GRANT SPARQL_UPDATE TO \"$user\";"
        if [ "$open_update" = 1 ]; then
            sql="$sql
GRANT SPARQL_UPDATE TO \"SPARQL\";"
        fi
        if [ -n "$default_graph" ]; then
            sql="$sql
INSERT INTO DB.DBA.SYS_SPARQL_HOST (SH_HOST, SH_GRAPH_URI) VALUES ('%', '$default_graph');"
        fi
        sql="$sql
DB.DBA.USER_PASSWORD_SET('dav', '$(gen_password)');
DB.DBA.USER_PASSWORD_SET('dba', '$dba_pw');"
        isql "$SQL_PORT" dba "$sql" || die "initial SQL set-up failed (see above)"
        isql "$SQL_PORT" "$dba_pw" "checkpoint;" || die "checkpoint with the new dba password failed"
    fi
    # (Re)written on every start: ports may differ from the previous run.
    cat >"$dir/endpoints.env" <<EOF
server=virtuoso
endpoint=$base/sparql
query=$base/sparql
update=$base/sparql-auth
gsp=$base/sparql-graph-crud-auth
gsp_read=$base/sparql-graph-crud
auth=digest
user=$user
password=$user_pw
dba_password=$dba_pw
open_update=$open_update
default_graph=$default_graph
sql=$HOST:$SQL_PORT
dir=$dir
EOF
    chmod 600 "$dir/endpoints.env"
    # The update account must really be able to write (digest auth).
    if ! curl -fsS --max-time 10 --digest -u "$user:$user_pw" \
            --data-urlencode 'update=CLEAR SILENT GRAPH <urn:x-test:startup-probe>' \
            "$base/sparql-auth" >/dev/null; then
        die "server is up but update as '$user' on $base/sparql-auth failed"
    fi
    trap - EXIT INT TERM HUP
    log "virtuoso ready in $((SECONDS - t0))s (pid $pid, data in $dir)"
    cat "$dir/endpoints.env"
    echo "pid=$pid"
}

# ---------------------------------------------------------------- stop
stop_server() { # pid dir
    # Clean shutdown: checkpoint + exit via SQL; then SIGTERM; then SIGKILL.
    if load_env "$2" && [ -n "${ENV_dba_password:-}" ] && [ -n "${ENV_sql:-}" ]; then
        timeout 15 "$ISQL_BIN" "$ENV_sql" dba "$ENV_dba_password" "EXEC=shutdown;" >/dev/null 2>&1 || true
    fi
    gone_within_10s "$1" && return 0
    log "SQL shutdown did not stop pid $1; sending SIGTERM"
    term_then_kill "$1"
}

main "$@"
