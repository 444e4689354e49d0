#!/usr/bin/env bash
# make test: build with warnings as errors, install, then run every suite
# (pg_regress, isolation, TAP) against a throwaway cluster, and print one
# closing line "N passed, M failed".
#   CREDIT_TEST_PORT  port of the throwaway cluster (default 5499)
#   SUITES            subset of "regress isolation tap" (default all)
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
. tools/common.sh
ensure_deps
pg_paths

port=${CREDIT_TEST_PORT:-5499}
suites=${SUITES:-regress isolation tap}
work=$(mktemp -d /tmp/credit-test.XXXXXX)
chmod 755 "$work"
trap 'stop_cluster "$work"; [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$work"' EXIT

echo "== build"
build_install "$work/build.log"

if [ -n "${SANITIZE:-}" ]; then  # make test-asan: everything below runs with gcc's ASan runtime preloaded
    gcc -shared -fPIC -O1 -o "$work/asan_preload.so" tools/asan_preload.c || die "asan_preload.so failed"
    export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $work/asan_preload.so" \
        ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi

conf="shared_preload_libraries = 'pg_cron,credit'
cron.database_name = 'contrib_regression'
cron.use_background_workers = on
max_prepared_transactions = 10
credit.ledger_key = 'test cluster ledger key: 0123456789abcdef0123456789abcdef'"
start_cluster "$work" "$port" "$conf"

passed=0; failed=0
tally() {  # count "... ok" / "... FAILED" lines of pg_regress-style output
    local out=$1 p f
    p=$(grep -cE '\.\.\. ok|^ok [0-9]+ ' "$out" || true)
    f=$(grep -cE '\.\.\. FAILED|\.\.\. failed|^not ok [0-9]+ ' "$out" || true)
    passed=$((passed + p)); failed=$((failed + f))
}

# run_regress LABEL OUTDIR DB [PG_REGRESS_OPTION] [TESTS]: the pg_regress
# suite (or the given tests) against the running cluster.
run_regress() {
    local label=$1 out=$2 db=$3 opt=${4:-} tests=${5:-} rc
    ls sql/*.sql >/dev/null 2>&1 || return 0
    echo "== pg_regress$label"
    [ -n "$tests" ] || tests=$(ls sql/*.sql | xargs -n1 basename | sed 's/\.sql$//' | sort)
    "$PGXS_DIR/test/regress/pg_regress" --inputdir=. --outputdir="$out" --bindir="$BINDIR" \
        --host="$PGHOST" --port="$PGPORT" --user=postgres --dbname="$db" $opt \
        --load-extension=credit $tests 2>&1 | tee "$work/regress.out"
    rc=${PIPESTATUS[0]}
    tally "$work/regress.out"
    [ "$rc" -ne 0 ] && ! grep -qE '\.\.\. FAILED' "$work/regress.out" && failed=$((failed + 1))
    [ -s "$out/regression.diffs" ] && { echo "== $out/regression.diffs"; cat "$out/regression.diffs"; }
    return 0
}

# run_isolation LABEL OUTDIR: the isolation suite against the running cluster.
run_isolation() {
    local label=$1 out=$2 tests rc
    ls specs/*.spec >/dev/null 2>&1 || return 0
    echo "== isolation$label"
    tests=$(ls specs/*.spec | xargs -n1 basename | sed 's/\.spec$//' | sort)
    "$PGXS_DIR/test/isolation/pg_isolation_regress" --inputdir=. --outputdir="$out" \
        --bindir="$BINDIR" --host="$PGHOST" --port="$PGPORT" --user=postgres \
        --dbname=isolation_regression --load-extension=credit $tests 2>&1 | tee "$work/iso.out"
    rc=${PIPESTATUS[0]}
    tally "$work/iso.out"
    [ "$rc" -ne 0 ] && ! grep -qE '\.\.\. FAILED' "$work/iso.out" && failed=$((failed + 1))
    [ -s "$out/regression.diffs" ] && { echo "== $out/regression.diffs"; cat "$out/regression.diffs"; }
    return 0
}

rm -rf results output_iso output_at output_partitioned regression.diffs regression.out
[[ " $suites " == *" regress "* ]] && run_regress "" . contrib_regression

# The pg_regress suite again on the partitioned layout: the same database
# name (pg_cron's cron.database_name, whose scheduler is connected to it
# and is disconnected by FORCE), created anew with the large tables
# hash-partitioned by credit.partition_tables before any test runs; the
# expected output is the same.  CREDIT_TEST_PARTITIONED=0 skips this run.
if [[ " $suites " == *" regress "* ]] && [ "${CREDIT_TEST_PARTITIONED:-1}" != 0 ]; then
    mkdir -p output_partitioned
    if psql -X -q -v ON_ERROR_STOP=1 -d postgres \
            -c "DROP DATABASE IF EXISTS contrib_regression WITH (FORCE)" -c "CREATE DATABASE contrib_regression" \
        && psql -X -q -v ON_ERROR_STOP=1 -d contrib_regression \
            -c "CREATE EXTENSION credit" -c "SELECT credit.partition_tables(4)" >/dev/null; then
        run_regress " (partitioned layout)" output_partitioned contrib_regression --use-existing
    else
        echo "the partitioned layout could not be set up"; failed=$((failed + 1))
    fi
fi
[[ " $suites " == *" isolation "* ]] && run_isolation "" output_iso

if [[ " $suites " == *" tap "* ]] && ls t/*.pl >/dev/null 2>&1; then
    echo "== TAP"
    # TAP tests run as the cluster owner, which may not read the checkout:
    # they get a copy of what they may read (t/, demo/, sql/, docs/, README.md,
    # the control file, the built and the released install scripts, the
    # catalog query) in CREDIT_SRC.
    tapdir="$work/tap"; mkdir -p "$tapdir/tools"; cp -r t demo sql docs README.md credit.control credit--*.sql versions "$tapdir/" 2>/dev/null
    cp tools/catalog.sql "$tapdir/tools/"
    [ "$(id -u)" = 0 ] && chown -R postgres: "$tapdir"
    (cd "$tapdir" && as_owner env PG_REGRESS="$PGXS_DIR/test/regress/pg_regress" \
        PERL5LIB="$PGXS_DIR/test/perl" CREDIT_SRC="$tapdir" TESTDIR="$tapdir" \
        PG_CONFIG="$PG_CONFIG" prove -v -I t --ext=.pl t/) 2>&1 | tee "$work/tap.out"
    tally "$work/tap.out"
    grep -q 'Result: PASS' "$work/tap.out" || { [ "$failed" -gt 0 ] || failed=$((failed + 1)); \
        ls "$tapdir"/tmp_check/log/* >/dev/null 2>&1 && tail -n 40 "$tapdir"/tmp_check/log/*; }
fi

# The pg_regress and isolation suites again on a cluster whose clock is moved
# with libfaketime, once per date of CREDIT_TEST_DATES (tests must not depend
# on today's date): a leap day, a Saturday that is a statutory holiday of the
# shipped calendar, a Monday holiday, and a year end.  CREDIT_TEST_DATES=""
# skips these runs.
dates=${CREDIT_TEST_DATES-2028-02-29 2027-05-01 2028-05-01 2030-12-31}
if [ -n "$dates" ] && [[ " $suites " == *" regress "* || " $suites " == *" isolation "* ]]; then
    [ -f "$FAKETIME_LIB" ] || die "libfaketime not found at $FAKETIME_LIB (Debian package faketime)"
    for day in $dates; do
        stop_cluster "$work"
        rm -rf "$work/data"
        out=output_at/$day; mkdir -p "$out/iso"
        LD_PRELOAD="${LD_PRELOAD:+$LD_PRELOAD }$FAKETIME_LIB" FAKETIME="@$day 10:00:00" \
            FAKETIME_DONT_RESET=1 start_cluster "$work" "$port" "$conf"
        now=$(psql -XAtc "SELECT pg_catalog.now()::date" postgres)
        [ "$now" = "$day" ] || { echo "clock not moved: the server says $now, not $day"; failed=$((failed + 1)); continue; }
        [[ " $suites " == *" regress "* ]] && run_regress " at $day" "$out" contrib_regression
        [[ " $suites " == *" isolation "* ]] && run_isolation " at $day" "$out/iso"
    done
fi

if [ -n "${SANITIZE:-}" ]; then  # a sanitizer report in any server log fails the run
    reports=$(cat "$work"/*.log "$work"/tap/tmp_check/log/* 2>/dev/null \
        | grep -E -A20 'ERROR: AddressSanitizer|runtime error:' | head -n 80)
    [ -z "$reports" ] || { echo "== sanitizer reports"; echo "$reports"; failed=$((failed + 1)); }
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
