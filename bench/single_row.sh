#!/usr/bin/env bash
# bench/single_row: the cost of auto-evaluation for single-row transactions,
# counted in instructions (valgrind's callgrind), so that the figure does not
# depend on what else the machine is doing.  On a county of BENCH_SUBJECTS
# (100,000) enterprises evaluated once, BENCH_SINGLE (1,000) single-row INSERT
# transactions of a negative record for a subject drawn at random (the same
# statements for every target, each decision its own document number) run in
# a single-user backend under callgrind,
# with the three record_fold_* statement triggers enabled and disabled (the
# reference checks, the row trigger and the ledger stay in both).  The
# instructions of a backend that runs only the warm-up query are subtracted.
# Two rounds, targets alternating; the second round's figures are the ones
# the verdict uses (in the first, each subject's first fold after the
# evaluation run costs more).  Target: enabled at most 1.5 x disabled.
# Run by bench/run (PGHOST names the cluster's directory, its data in
# $PGHOST/data).
set -euo pipefail
subjects=${BENCH_SUBJECTS:-100000}
single=${BENCH_SINGLE:-1000}
out=${BENCH_OUT:-/tmp}
data=$PGHOST/data
bindir=$(dirname "$(command -v postgres)")
command -v valgrind >/dev/null || { echo "single_row: valgrind is needed (apt-get install valgrind)"; exit 1; }
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

echo "single_row: setting up $subjects subjects and evaluating them"
psql_q <<SQL
INSERT INTO credit.department (code, name) VALUES ('bench_market', 'Bench market supervision') ON CONFLICT DO NOTHING;
INSERT INTO credit.subject (kind, name) SELECT 'enterprise', 'bench subject ' || g FROM generate_series(1, $subjects) g;
SELECT credit.run_evaluation('comprehensive_enterprise') IS NOT NULL AS evaluated;
VACUUM ANALYZE;
SQL
s0=$(psql -X -A -t -c "SELECT min(id) FROM credit.subject WHERE name LIKE 'bench subject %'")
awk -v n="$single" -v s0="$s0" -v m="$subjects" 'BEGIN {
    srand(1);
    print "SELECT count(*) FROM credit.subject_grade WHERE subject_id = " s0;
    for (i = 0; i < n; i++)
        printf "INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no) VALUES (%d, %s, %s, CURRENT_DATE - %d, %s%d%s);\n",
            s0 + int(rand() * m), "'"'"'penalty_general'"'"'", "'"'"'bench_market'"'"'", int(rand() * 700), "'"'"'bench single ", i, "'"'"'" }' \
    > "$out/single_row.sql"
head -n 1 "$out/single_row.sql" > "$out/single_row_warmup.sql"
chmod a+r "$out"/single_row*.sql

# instructions of one single-user backend running FILE (millions)
instructions() {
    local file=$1 cg=$out/single_row.callgrind
    psql_q -c "DELETE FROM credit.record WHERE document_no LIKE 'bench single %'" -c "VACUUM ANALYZE" -c "CHECKPOINT" >/dev/null
    as_owner "$bindir/pg_ctl" -D "$data" -w stop -m fast >/dev/null
    rm -f "$cg"
    as_owner valgrind --tool=callgrind --callgrind-out-file="$cg" "$bindir/postgres" --single -D "$data" \
        -c shared_preload_libraries=credit bench < "$file" > "$out/single_row.log" 2>&1
    as_owner "$bindir/pg_ctl" -D "$data" -l "$data/../server.log" -w start >/dev/null
    grep -q "ERROR" "$out/single_row.log" && { grep -m 3 ERROR "$out/single_row.log" >&2; return 1; }
    awk '/^summary:/ { printf "%.1f\n", $2 / 1e6 }' "$cg"
}
fold_triggers() {
    local t
    for t in record_fold_insert record_fold_update record_fold_delete; do
        psql_q -c "ALTER TABLE credit.record $1 TRIGGER $t"
    done
}

base=$(instructions "$out/single_row_warmup.sql")
declare -A on off
for r in 1 2; do
    fold_triggers ENABLE;  on[$r]=$(instructions "$out/single_row.sql")
    fold_triggers DISABLE; off[$r]=$(instructions "$out/single_row.sql")
    echo "single_row: round $r: enabled ${on[$r]} M, disabled ${off[$r]} M instructions (warm-up backend $base M)"
done
fold_triggers ENABLE
psql_q -c "DELETE FROM credit.record WHERE document_no LIKE 'bench single %'" >/dev/null

echo
echo "single_row: $single single-row INSERT transactions over $subjects subjects, instructions (callgrind), round 2"
awk -v on="${on[2]}" -v off="${off[2]}" -v b="$base" -v n="$single" 'BEGIN {
    printf "  %-34s | %14s | %14s | %s\n", "target", "instructions M", "per txn (K)", "ratio"
    printf "  %-34s-+-%14s-+-%14s-+-%s\n", "----------------------------------", "--------------", "--------------", "-------------------"
    printf "  %-34s | %14.1f | %14.1f | %s\n", "auto-evaluation off (baseline)", off - b, (off - b) * 1000 / n, "1.00"
    r = (on - b) / (off - b)
    printf "  %-34s | %14.1f | %14.1f | %.2fx %s\n", "auto-evaluation on", on - b, (on - b) * 1000 / n, r, (r <= 1.5 ? "ok (<= 1.5x)" : "above 1.5x") }'
