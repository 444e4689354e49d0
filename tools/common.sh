# Shared helpers for tools/*.sh: locate PostgreSQL, install what is missing,
# start and stop a throwaway cluster.  Sourced, not run.

PG_CONFIG=${PG_CONFIG:-pg_config}
DEB_PACKAGES="postgresql-15 postgresql-server-dev-15 postgresql-15-cron libssl-dev libicu-dev libipc-run-perl faketime make gcc"
FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1

die() { echo "error: $*" >&2; exit 1; }

# Install Debian packages the build and the suites need, when run as root;
# otherwise say the one command to run.
ensure_deps() {
    local missing=""
    command -v make >/dev/null || missing="$missing make"
    command -v gcc >/dev/null || missing="$missing gcc"
    if ! command -v "$PG_CONFIG" >/dev/null || [ ! -f "$("$PG_CONFIG" --includedir-server 2>/dev/null)/postgres.h" ]; then
        missing="$missing postgresql-15 postgresql-server-dev-15"
    fi
    if command -v "$PG_CONFIG" >/dev/null; then
        [ -f "$("$PG_CONFIG" --pkglibdir)/pg_cron.so" ] || missing="$missing postgresql-15-cron"
    fi
    [ -f /usr/include/openssl/evp.h ] || missing="$missing libssl-dev"
    [ -f /usr/include/unicode/utrans.h ] || missing="$missing libicu-dev"
    perl -MIPC::Run -e 1 2>/dev/null || missing="$missing libipc-run-perl"
    [ -f "$FAKETIME_LIB" ] || missing="$missing faketime"
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" = 0 ]; then
        echo "== installing:$missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >/dev/null || die "apt-get update failed"
        apt-get install -y -q $DEB_PACKAGES >/dev/null || die "apt-get install failed"
    else
        die "missing packages; run: sudo apt-get install -y $DEB_PACKAGES"
    fi
}

# build_install LOG: build with warnings as errors and install into
# $PG_CONFIG's tree, the output in LOG (printed on failure).
build_install() {
    local log=$1
    make -s PG_CONFIG="$PG_CONFIG" WERROR=1 >"$log" 2>&1 || { cat "$log"; die "build failed"; }
    make -s PG_CONFIG="$PG_CONFIG" WERROR=1 install >>"$log" 2>&1 || { cat "$log"; die "install failed"; }
}

pg_paths() {
    BINDIR=$("$PG_CONFIG" --bindir)
    PGXS_DIR=$(dirname "$(dirname "$("$PG_CONFIG" --pgxs)")")
    export PATH="$BINDIR:$PATH"
}

# Run a command as the cluster owner: postgres when we are root.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- env PATH="$PATH" "$@"
    else
        "$@"
    fi
}

# start_cluster DIR PORT [extra postgresql.conf lines]
start_cluster() {
    local dir=$1 port=$2 extra=${3:-}
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_owner initdb -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log"; die "initdb failed"; }
    cat >>"$dir/data/postgresql.conf" <<CONF
port = $port
listen_addresses = ''
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 40
max_worker_processes = 16
max_parallel_workers_per_gather = 2
shared_buffers = 512MB
work_mem = 64MB
maintenance_work_mem = 512MB
max_wal_size = 4GB
log_min_messages = warning
lc_messages = 'C'
datestyle = 'iso, ymd'
timezone = 'UTC'
$extra
CONF
    as_owner pg_ctl -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null \
        || { tail -n 30 "$dir/server.log"; die "server did not start"; }
    export PGHOST=$dir PGPORT=$port PGUSER=postgres
}

stop_cluster() {
    local dir=$1
    [ -f "$dir/data/postmaster.pid" ] && as_owner pg_ctl -D "$dir/data" -m fast -w stop >/dev/null 2>&1
    return 0
}
