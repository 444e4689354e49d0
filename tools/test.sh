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

start_cluster "$work" "$port" "shared_preload_libraries = 'pg_cron'
cron.database_name = 'contrib_regression'
max_prepared_transactions = 10"

passed=0; failed=0
tally() {  # count "... ok" / "... FAILED" lines of pg_regress-style output
    local out=$1 p f
    p=$(grep -cE '\.\.\. ok|^ok [0-9]+ ' "$out" || true)
    f=$(grep -cE '\.\.\. FAILED|\.\.\. failed|^not ok [0-9]+ ' "$out" || true)
    passed=$((passed + p)); failed=$((failed + f))
}

rm -rf results output_iso regression.diffs regression.out
if [[ " $suites " == *" regress "* ]] && ls sql/*.sql >/dev/null 2>&1; then
    echo "== pg_regress"
    tests=$(ls sql/*.sql | xargs -n1 basename | sed 's/\.sql$//' | sort)
    "$PGXS_DIR/test/regress/pg_regress" --inputdir=. --bindir="$BINDIR" \
        --host="$PGHOST" --port="$PGPORT" --user=postgres --dbname=contrib_regression \
        --load-extension=credit $tests 2>&1 | tee "$work/regress.out"
    suite_rc=${PIPESTATUS[0]}
    tally "$work/regress.out"
    [ "$suite_rc" -ne 0 ] && ! grep -qE '\.\.\. FAILED' "$work/regress.out" && failed=$((failed + 1))
    [ -s regression.diffs ] && { echo "== regression.diffs"; cat regression.diffs; }
fi

if [[ " $suites " == *" isolation "* ]] && ls specs/*.spec >/dev/null 2>&1; then
    echo "== isolation"
    tests=$(ls specs/*.spec | xargs -n1 basename | sed 's/\.spec$//' | sort)
    "$PGXS_DIR/test/isolation/pg_isolation_regress" --inputdir=. --outputdir=output_iso \
        --bindir="$BINDIR" --host="$PGHOST" --port="$PGPORT" --user=postgres \
        --dbname=isolation_regression --load-extension=credit $tests 2>&1 | tee "$work/iso.out"
    suite_rc=${PIPESTATUS[0]}
    tally "$work/iso.out"
    [ "$suite_rc" -ne 0 ] && ! grep -qE '\.\.\. FAILED' "$work/iso.out" && failed=$((failed + 1))
    [ -s output_iso/regression.diffs ] && { echo "== output_iso/regression.diffs"; cat output_iso/regression.diffs; }
fi

if [[ " $suites " == *" tap "* ]] && ls t/*.pl >/dev/null 2>&1; then
    echo "== TAP"
    # TAP tests run as the cluster owner, which may not read the checkout:
    # they get a copy of what they may read (t/, demo/, sql/) in CREDIT_SRC.
    tapdir="$work/tap"; mkdir -p "$tapdir"; cp -r t demo sql "$tapdir/" 2>/dev/null
    [ "$(id -u)" = 0 ] && chown -R postgres: "$tapdir"
    (cd "$tapdir" && as_owner env PG_REGRESS="$PGXS_DIR/test/regress/pg_regress" \
        PERL5LIB="$PGXS_DIR/test/perl" CREDIT_SRC="$tapdir" TESTDIR="$tapdir" \
        PG_CONFIG="$PG_CONFIG" prove -v --ext=.pl t/) 2>&1 | tee "$work/tap.out"
    tally "$work/tap.out"
    grep -q 'Result: PASS' "$work/tap.out" || { [ "$failed" -gt 0 ] || failed=$((failed + 1)); \
        ls "$tapdir"/tmp_check/log/* >/dev/null 2>&1 && tail -n 40 "$tapdir"/tmp_check/log/*; }
fi

if [ -n "${SANITIZE:-}" ]; then  # a sanitizer report in any server log fails the run
    reports=$(cat "$work"/*.log "$work"/tap/tmp_check/log/* 2>/dev/null \
        | grep -E -A20 'ERROR: AddressSanitizer|runtime error:' | head -n 80)
    [ -z "$reports" ] || { echo "== sanitizer reports"; echo "$reports"; failed=$((failed + 1)); }
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
