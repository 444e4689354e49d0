#!/usr/bin/env bash
# make demo: build with warnings as errors, install, load a synthetic county
# (demo/generate.sql) into the database credit_demo and print a short tour.
#   CREDIT_DEMO_PORT     port of the throwaway cluster (default 5498)
#   CREDIT_DEMO_SCALE    subjects in units of 20,000 (default 1: ~20,000 subjects, ~1,000,000 records)
#   CREDIT_DEMO_DENSITY  records per subject (default 50)
#   PGHOST, PGPORT, ...  when PGHOST, PGPORT or PGSERVICE is set, use that server instead of a
#                        throwaway cluster; its database credit_demo is dropped and re-created
set -uo pipefail
cd "$(dirname "$0")/.."
. tools/common.sh

use_server=
[ -n "${PGHOST:-}${PGPORT:-}${PGSERVICE:-}" ] && use_server=1

ensure_deps
pg_paths

port=${CREDIT_DEMO_PORT:-5498}
db=credit_demo
export CREDIT_DEMO_SCALE=${CREDIT_DEMO_SCALE:-1}
export CREDIT_DEMO_DENSITY=${CREDIT_DEMO_DENSITY:-50}
work=$(mktemp -d /tmp/credit-demo.XXXXXX)
chmod 755 "$work"
trap '[ -n "$use_server" ] || stop_cluster "$work"; rm -rf "$work"' EXIT

timings=()
now() { date +%s.%N; }
# step NAME COMMAND...: run a step, stop the demo if it fails, remember how long it took.
step() {
    local name=$1 t0 t1; shift
    t0=$(now)
    "$@" || die "$name failed"
    t1=$(now)
    timings+=("$(awk -v n="$name" -v a="$t0" -v b="$t1" 'BEGIN { printf "%-28s %8.1f s", n, b - a }')")
    echo "   ${timings[-1]}"   # progress: each step as it ends
}
psql_demo() { psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }

echo "== build (warnings as errors) and install into $("$PG_CONFIG" --pkglibdir)"
step build build_install "$work/build.log"

if [ -n "$use_server" ]; then
    echo "== server ${PGHOST:-local}:${PGPORT:-5432} (from PG* variables), database $db"
else
    echo "== throwaway cluster on port $port"
    step cluster start_cluster "$work" "$port" "shared_preload_libraries = 'pg_cron,credit'
cron.database_name = '$db'
cron.use_background_workers = on"
fi

step "create database" psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'"
step "create extension" psql_demo -c "CREATE EXTENSION credit CASCADE"

echo "== loading the synthetic county (scale $CREDIT_DEMO_SCALE, $CREDIT_DEMO_DENSITY records per subject)"
step "load county" psql_demo -v demo_progress=1 --single-transaction -f demo/generate.sql

echo "== tour"
step tour psql_demo -f demo/tour.sql

echo "== evaluation"
step evaluation psql_demo -f demo/evaluate.sql

echo "== joint rewards and punishments"
step measures psql_demo -f demo/measures.sql

echo
echo "== timings"
printf '%s\n' "${timings[@]}"
echo "demo done"
