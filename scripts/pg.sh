#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks, from Debian's server binaries.
#
#   bash scripts/pg.sh start DIR   # initdb in DIR, start on 127.0.0.1 and a free port (and a
#                                  # socket in DIR), create database `socplan`; prints its URL
#   bash scripts/pg.sh url DIR     # prints the URL again
#   bash scripts/pg.sh stop DIR    # stop the server and delete DIR
#
# DIR must not exist yet or be empty, and (when run as root) its parent must be traversable by
# the `postgres` user: initdb refuses to run as root, so the cluster belongs to `postgres`. The
# cluster trusts local connections and does not fsync: it is for throwaway data only.
# Install the server with `bash scripts/setup.sh` (Debian package `postgresql`).
set -euo pipefail

usage() {
    echo "usage: $0 start|url|stop DIR" >&2
    exit 2
}
[ $# -eq 2 ] || usage
action=$1
dir=$2

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    echo "pg.sh: no PostgreSQL server under /usr/lib/postgresql; run bash scripts/setup.sh" >&2
    exit 1
fi

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    "${PYTHON:-python3}" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

case "$action" in
start)
    mkdir -p "$dir"
    if [ -n "$(ls -A "$dir")" ]; then
        echo "pg.sh: $dir is not empty" >&2
        exit 1
    fi
    chmod 700 "$dir"
    [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$dir"
    as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale \
        >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        exit 1
    }
    started=""
    for _ in 1 2 3 4 5; do # a port found free can be taken before the server binds it
        port=$(free_port)
        if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=400 \
                -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            start >/dev/null; then
            started=1
            break
        fi
    done
    if [ -z "$started" ]; then
        cat "$dir/server.log" >&2
        echo "pg.sh: the server did not start" >&2
        exit 1
    fi
    as_owner "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres socplan
    url="postgresql+psycopg://postgres@127.0.0.1:$port/socplan"
    echo "$url" >"$dir/url"
    echo "$url"
    ;;
url)
    cat "$dir/url"
    ;;
stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
    fi
    rm -rf "$dir"
    ;;
*)
    usage
    ;;
esac
