#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: a fresh cluster under target/postgres, on a free
# loopback port, trusting local connections. `cargo xtask test` uses it; it can be run by hand:
#
#   bash scripts/postgres.sh start    # prints CRYPTOPOCKET_TEST_POSTGRES_URL=postgres://…
#   bash scripts/postgres.sh url      # prints the URL of the running cluster
#   bash scripts/postgres.sh stop     # stops the server and deletes the cluster
#
# If no server binaries are found (initdb and pg_ctl under /usr/lib/postgresql/*/bin, or on
# PATH), Debian's `postgresql` package is installed with apt-get (as root). initdb refuses to
# run as root, so as root the cluster is created and run as the `postgres` user the package
# creates, in a directory of its own under /tmp (the checkout may sit where that user cannot
# reach, such as /root). target/postgres (POSTGRES_DIR overrides it) keeps the URL and where
# the cluster is.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${POSTGRES_DIR:-$root/target/postgres}"
url_file="$dir/url"
where_file="$dir/cluster"

say() { echo "postgres.sh: $*" >&2; }

find_bin() {
    local candidate
    # The newest installed major version first.
    for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -V -r); do
        if [[ -x "$candidate/initdb" && -x "$candidate/pg_ctl" ]]; then
            echo "$candidate"
            return 0
        fi
    done
    if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
        dirname "$(readlink -f "$(command -v initdb)")"
        return 0
    fi
    return 1
}

install_server() {
    if [[ $(id -u) -ne 0 ]]; then
        say "no PostgreSQL server found and not root: install Debian's postgresql package"
        exit 1
    fi
    say "no PostgreSQL server found; installing Debian's postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
}

# Runs a server binary as a user initdb accepts.
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    local port tries=0
    while ((tries < 200)); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
        tries=$((tries + 1))
    done
    say "no free loopback port found"
    return 1
}

stop() {
    local bin cluster
    if [[ -f "$where_file" ]]; then
        cluster="$(cat "$where_file")"
        if [[ -f "$cluster/data/postmaster.pid" ]] && bin="$(find_bin)"; then
            as_owner "$bin/pg_ctl" -D "$cluster/data" -m fast -w -t 30 stop >&2 || true
        fi
        [[ -n "$cluster" && "$cluster" != "/" ]] && rm -rf "$cluster"
    fi
    rm -rf "$dir"
}

start() {
    local bin port user url cluster
    bin="$(find_bin)" || { install_server; bin="$(find_bin)"; }
    # A cluster left over by an interrupted run is stopped and replaced.
    stop
    mkdir -p "$dir"
    if [[ $(id -u) -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
        cluster="$(mktemp -d /tmp/cryptopocket-postgres.XXXXXX)"
        chown postgres "$cluster"
        user=postgres
    else
        cluster="$dir/cluster.d"
        mkdir -p "$cluster"
        user="$(id -un)"
    fi
    echo "$cluster" >"$where_file"
    as_owner "$bin/initdb" -D "$cluster/data" -U "$user" --auth=trust --encoding=UTF8 --no-sync \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    port="$(free_port)"
    # A throwaway cluster: no durability needed, so no fsync; the socket lives beside the data.
    as_owner "$bin/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -t 60 \
        -o "-p $port -k $cluster -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >&2 || { cat "$cluster/server.log" >&2; exit 1; }
    url="postgres://$user@127.0.0.1:$port/postgres"
    echo "$url" >"$url_file"
    say "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') listening at $url ($cluster)"
    echo "CRYPTOPOCKET_TEST_POSTGRES_URL=$url"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
url) cat "$url_file" ;;
*)
    echo "usage: $0 start | url | stop" >&2
    exit 2
    ;;
esac
