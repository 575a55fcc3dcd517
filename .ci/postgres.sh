#!/usr/bin/env bash
# A throw-away PostgreSQL for the store tests that run against PostgreSQL.
#
#   eval "$(.ci/postgres.sh)"     start it (or find it running) and export STATION_TEST_PG_URL
#   . .ci/postgres.sh             the same, sourced
#   .ci/postgres.sh --stop        stop it and delete its folder
#
# stdout carries only the export line, so `eval` is safe; everything else goes to stderr. It
# prints nothing, and those tests skip, when STATION_TEST_PG_URL is already set or when no
# PostgreSQL can be had (not root and none installed). Once the server runs, a new call takes a
# fraction of a second.
#
# Settings: STATION_PG_DIR (default /tmp/station-test-pg), STATION_PG_PORT (first port tried,
# default 54329), STATION_PG_NO_INSTALL=1 (never apt-get install).

if [[ ${BASH_SOURCE[0]} != "$0" ]]; then
    # Sourced: run in a child so its `set -e` and `exit` stay out of the caller's shell.
    eval "$(bash "${BASH_SOURCE[0]}" "$@")"
    return
fi

set -euo pipefail
exec 3>&1 1>&2 # fd 3 is the real stdout: only the export line goes there

readonly DB=station_test
readonly MARKER=.station-test-pg
state=${STATION_PG_DIR:-/tmp/station-test-pg}
first_port=${STATION_PG_PORT:-54329}
data=$state/data

log() { printf 'postgres.sh: %s\n' "$*"; }

[[ $first_port =~ ^[0-9]+$ ]] || { log "STATION_PG_PORT=$first_port is not a port number"; exit 2; }

is_root() { [[ $(id -u) -eq 0 ]]; }

# PostgreSQL refuses to run as root: as root, run its tools as the postgres system user.
as_pg() {
    if is_root; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

find_bindir() {
    local found dir
    if found=$(command -v initdb 2>/dev/null); then
        dir=$(dirname -- "$(readlink -f -- "$found")")
        [[ -x $dir/pg_ctl ]] && { printf '%s\n' "$dir"; return 0; }
    fi
    # Debian keeps the server tools off PATH, one folder per major version: take the newest.
    found=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null |
        sort -V | tail -n 1)
    [[ -n $found ]] && { dirname -- "$found"; return 0; }
    return 1
}

stop_server() {
    if [[ ! -e $state ]]; then
        log "nothing to stop: $state does not exist"
        return 0
    fi
    if [[ ! -e $state/$MARKER ]]; then
        log "$state was not made by this script: not touching it"
        return 1
    fi
    local bindir
    if [[ -f $data/postmaster.pid ]] && bindir=$(find_bindir); then
        as_pg "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf -- "$state"
    log "stopped and removed $state"
}

if [[ ${1:-} == --stop ]]; then
    stop_server
    exit
elif [[ $# -gt 0 ]]; then
    log "unknown argument '$1' (use --stop, or no argument)"
    exit 2
fi

if [[ -n ${STATION_TEST_PG_URL:-} ]]; then
    log "STATION_TEST_PG_URL is already set: nothing to do"
    exit 0
fi

if ! bindir=$(find_bindir); then
    if [[ ${STATION_PG_NO_INSTALL:-0} == 1 ]] || ! is_root || ! command -v apt-get >/dev/null; then
        log "PostgreSQL is not installed and cannot be installed here (needs root and apt-get):" \
            "the PostgreSQL tests will be skipped"
        exit 0
    fi
    log "installing Debian's postgresql"
    export DEBIAN_FRONTEND=noninteractive
    # The package lists may be missing or stale on a fresh machine: update once and retry. A
    # failing post-install step (starting the package's own cluster) still leaves the binaries.
    if ! apt-get install -y --no-install-recommends postgresql >/dev/null 2>&1; then
        apt-get update >/dev/null 2>&1 || true
        apt-get install -y --no-install-recommends postgresql >/dev/null || true
    fi
    if ! bindir=$(find_bindir); then
        log "apt-get install postgresql failed: the PostgreSQL tests will be skipped"
        exit 0
    fi
fi

if is_root && ! id -u postgres >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir "$state" --shell /usr/sbin/nologin postgres
fi

major=$("$bindir/pg_ctl" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/')

port_in_use() { (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running_port() {
    # Line 4 of postmaster.pid is the port; the server must also answer on it.
    local port
    as_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1 || return 1
    port=$(sed -n 4p "$data/postmaster.pid")
    "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -t 5 || return 1
    printf '%s\n' "$port"
}

init_cluster() {
    if [[ -e $state && ! -e $state/$MARKER ]] && [[ -n $(ls -A -- "$state") ]]; then
        log "$state exists and was not made by this script: set STATION_PG_DIR to a new folder"
        exit 1
    fi
    if [[ -f $data/postmaster.pid ]]; then
        as_pg "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf -- "$data"
    mkdir -p -- "$state"
    touch -- "$state/$MARKER"
    chmod 0700 -- "$state"
    is_root && chown -R postgres: -- "$state"
    as_pg "$bindir/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
    # Loopback only, sockets in our own folder, and no durability: the data is thrown away.
    as_pg tee -a "$data/postgresql.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$state'
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    log "created a PostgreSQL $major cluster in $data"
}

start_server() {
    local port=$first_port
    while port_in_use "$port"; do
        port=$((port + 1))
        [[ $port -lt $((first_port + 50)) ]] || { log "no free port from $first_port"; exit 1; }
    done
    # fd 3 closed: a server holding the caller's stdout open would hang `eval "$(...)"`.
    as_pg "$bindir/pg_ctl" -D "$data" -l "$state/server.log" -w -t 60 -o "-p $port" start \
        >/dev/null 3>&-
}

if ! port=$(running_port); then
    if [[ ! -f $data/PG_VERSION || $(cat "$data/PG_VERSION" 2>/dev/null) != "$major" ]]; then
        init_cluster
    fi
    if ! start_server; then
        # A folder left by a killed server of an earlier run: start afresh once.
        log "the server did not start (see $state/server.log): re-creating the cluster"
        init_cluster
        start_server
    fi
    port=$(running_port) || { log "the server is not running (see $state/server.log)"; exit 1; }
    log "PostgreSQL $major listening on 127.0.0.1:$port"
fi

psql=$bindir/psql
[[ -x $psql ]] || psql=$(command -v psql)
export PGCONNECT_TIMEOUT=10
exists=$("$psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$DB'")
if [[ $exists != 1 ]]; then
    "$psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE DATABASE $DB" >/dev/null
    log "created database $DB"
fi

printf 'export STATION_TEST_PG_URL=postgresql+psycopg://postgres@127.0.0.1:%s/%s\n' "$port" "$DB" >&3
