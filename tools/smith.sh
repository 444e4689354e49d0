#!/usr/bin/env bash
# make smith: a bounded sqlsmith run against a small county (tools/smith.sql),
# the extension's functions steered in, once as a superuser and once as a
# unit's clerk.  Fails on a crash, on a statement running past the statement
# timeout, or on an internal error (SQLSTATE XX000).  docs/testing.md.
#   CREDIT_SMITH_PORT  port of the throwaway cluster (default 5498)
#   SMITH_QUERIES      queries per role (default 3000)
#   SMITH_SEED         seed of sqlsmith's generator (default 1)
set -uo pipefail
cd "$(dirname "$0")/.."
. tools/common.sh
ensure_deps
pg_paths
command -v sqlsmith >/dev/null || die "sqlsmith not found; run: sudo apt-get install -y sqlsmith"

port=${CREDIT_SMITH_PORT:-5498}
queries=${SMITH_QUERIES:-3000}
seed=${SMITH_SEED:-1}
hang_s=10           # sqlsmith sets statement_timeout to 1s: 10s is a hang
work=$(mktemp -d /tmp/credit-smith.XXXXXX)
chmod 755 "$work"
watchdog=
trap '[ -n "$watchdog" ] && kill "$watchdog" 2>/dev/null; stop_cluster "$work"; [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$work"' EXIT

echo "== build"
build_install "$work/build.log"
start_cluster "$work" "$port" "shared_preload_libraries = 'credit'
log_line_prefix = '%e %u '
log_min_error_statement = error"
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE county' >/dev/null || die "CREATE DATABASE failed"
psql -X -q -v ON_ERROR_STOP=1 -d county -f tools/smith.sql >"$work/load.log" 2>&1 || { cat "$work/load.log"; die "loading the county failed"; }

# the watchdog: any statement active for longer than hang_s is a hang
(
    while sleep 1; do
        psql -X -At -d county -c "SELECT pid || ' ' || round(extract(epoch FROM now() - query_start)) || 's: ' || left(query, 300)
                                    FROM pg_stat_activity
                                   WHERE state = 'active' AND pid <> pg_backend_pid() AND backend_type = 'client backend'
                                     AND now() - query_start > interval '$hang_s s'" >>"$work/hangs.log" 2>/dev/null
    done
) &
watchdog=$!

rc=0
for role in smith_super smith_clerk; do
    echo "== sqlsmith as $role: $queries queries, seed $seed"
    timeout $((queries / 2 + 600)) sqlsmith --target="host=$PGHOST port=$PGPORT dbname=county user=$role" \
        --exclude-catalog --max-queries="$queries" --seed="$seed" --verbose >"$work/$role.log" 2>&1
    code=$?
    tail -n 3 "$work/$role.log" | tr '\r' '\n' | tail -n 3
    if [ "$code" -ne 0 ]; then
        echo "sqlsmith as $role exited with $code (a lost connection is a crash; 124 is the run's time limit)"
        tail -n 20 "$work/$role.log"
        rc=1
    fi
done
kill "$watchdog" 2>/dev/null; watchdog=

if grep -qE 'terminated by signal|was terminated|PANIC' "$work/server.log"; then
    echo "== a backend crashed:"; grep -E -A3 'terminated by signal|was terminated|PANIC' "$work/server.log" | head -n 40; rc=1
fi
if grep -q '^XX000 ' "$work/server.log"; then
    echo "== internal errors (XX000):"; grep -A1 '^XX000 ' "$work/server.log" | head -n 40; rc=1
fi
if [ -s "$work/hangs.log" ]; then
    echo "== statements past ${hang_s}s (statement_timeout 1s):"; sort -u "$work/hangs.log" | head -n 20; rc=1
fi
echo "== SQLSTATEs of the errors, most frequent first:"
grep -oE '^[0-9A-Z]{5} smith_[a-z]+ ERROR' "$work/server.log" | sort | uniq -c | sort -rn | head -n 15
[ "$rc" -eq 0 ] && echo "smith: no crash, no hang, no internal error" || echo "smith: FAILED (cluster in $work with KEEP_TEST_DIR=1)"
exit "$rc"
