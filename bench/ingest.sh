#!/usr/bin/env bash
# bench/ingest: the cost of auto-evaluation on data arrival.
#   (1) COPY of BENCH_ROWS (1,000,000) records over BENCH_SUBJECTS (100,000)
#       subjects into credit.record with the credit statement triggers enabled,
#       against the same COPY with them disabled (ALTER TABLE ... DISABLE
#       TRIGGER of the three record_fold_* triggers only: the row trigger
#       record_defaults and the foreign keys stay in both);
#   (2) BENCH_SINGLE (1,000) single-row INSERT transactions, enabled vs disabled.
# Every COPY runs in a transaction that is rolled back (then VACUUM), so each
# starts from the same evaluated county; median of BENCH_REPEAT (3) runs,
# targets alternating.  Run by bench/run (PGHOST/PGPORT/PGDATABASE set), or by
# hand with those variables and BENCH_OUT naming a directory the server can write.
set -euo pipefail
rows=${BENCH_ROWS:-1000000}
subjects=${BENCH_SUBJECTS:-100000}
single=${BENCH_SINGLE:-1000}
repeat=${BENCH_REPEAT:-3}
out=${BENCH_OUT:-/tmp}
file=$out/ingest_records.csv
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

echo "ingest: setting up $subjects subjects, evaluating them, generating $rows records"
psql_q <<SQL
INSERT INTO credit.department (code, name) VALUES
    ('bench_market', 'Bench market supervision'), ('bench_tax', 'Bench tax'),
    ('bench_safety', 'Bench work safety'), ('bench_bank', 'Bench bank')
ON CONFLICT DO NOTHING;
INSERT INTO credit.subject (kind, name, industries)
SELECT 'enterprise', 'bench subject ' || g,
       CASE WHEN g % 10 = 0 THEN '{work_safety}'::text[] ELSE '{}' END
  FROM generate_series(1, $subjects) g;
SELECT credit.run_evaluation('comprehensive_enterprise') IS NOT NULL AS evaluated;
SELECT credit.run_evaluation('industry_work_safety') IS NOT NULL AS evaluated;
VACUUM ANALYZE credit.subject;
VACUUM ANALYZE credit.subject_grade;
VACUUM ANALYZE credit.record;
COPY (
    WITH s AS (SELECT min(id) AS s0 FROM credit.subject WHERE name LIKE 'bench subject %')
    SELECT s.s0 + (g % $subjects) AS subject_id,
           CASE WHEN (g % $subjects) % 10 = 9 AND g % 2 = 0
                THEN (ARRAY['work_safety_daily_ok', 'work_safety_daily_issue', 'work_safety_random_pass',
                            'work_safety_random_fail', 'work_safety_key_supervision'])[1 + (g / 7) % 5]
                ELSE (ARRAY['penalty_general', 'penalty_minor', 'license', 'contract_breach', 'honour_city',
                            'tax_arrears', 'loan_overdue', 'loan_repaid', 'commitment_kept', 'utility_arrears',
                            'social_insurance_arrears', 'honour_county', 'penalty_warning', 'license',
                            'penalty_serious', 'charity_donation'])[1 + (g / 3) % 16]
           END AS item_code,
           (ARRAY['bench_market', 'bench_tax', 'bench_safety', 'bench_bank'])[1 + g % 4] AS department,
           CURRENT_DATE - ((g::bigint * 7919) % 1500)::int AS decided_on,
           1 + (g % 3) AS value
      FROM generate_series(0, $rows - 1) g, s
) TO '$file' (FORMAT csv);
SQL

fold_triggers() {  # ENABLE or DISABLE the statement triggers
    psql_q -c "ALTER TABLE credit.record $1 TRIGGER record_fold_insert" \
           -c "ALTER TABLE credit.record $1 TRIGGER record_fold_update" \
           -c "ALTER TABLE credit.record $1 TRIGGER record_fold_delete"
}

# COPY in a rolled-back transaction; prints elapsed milliseconds.  The
# grades are folded at commit (credit.fold_at = 'commit'): SET CONSTRAINTS
# ... IMMEDIATE runs that fold before the rollback, and its time is counted.
copy_once() {
    local t
    t=$(psql -X -v ON_ERROR_STOP=1 <<SQL | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | awk '{ s += $1 } END { printf "%.3f\n", s }'
BEGIN;
\timing on
COPY credit.record (subject_id, item_code, department, decided_on, value) FROM '$file' (FORMAT csv);
SET CONSTRAINTS credit.pending_fold_apply IMMEDIATE;
\timing off
ROLLBACK;
SQL
)
    psql_q -c "VACUUM credit.record" -c "VACUUM credit.subject_grade" >/dev/null
    echo "$t"
}

# BENCH_SINGLE single-row INSERT transactions; prints elapsed milliseconds
single_once() {
    local script=$out/ingest_single.sql s0
    s0=$(psql -X -A -t -c "SELECT min(id) FROM credit.subject WHERE name LIKE 'bench subject %'")
    cat >"$script" <<SQL
\set s random($s0, $s0 + $subjects - 1)
\set d random(0, 700)
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
VALUES (:s, 'penalty_general', 'bench_market', CURRENT_DATE - :d, 'bench single ' || pg_catalog.gen_random_uuid());
SQL
    local t0 t1
    t0=$(date +%s%N)
    pgbench -n -c 1 -t "$single" -f "$script" >/dev/null 2>&1 || { echo "pgbench failed" >&2; return 1; }
    t1=$(date +%s%N)
    echo $(( (t1 - t0) / 1000000 ))
}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
minimum() { printf '%s\n' "$@" | sort -n | head -n 1; }
# per-round ratios enabled / disabled
ratios() { local -n x=$1 y=$2; local i; for i in "${!x[@]}"; do awk -v a="${x[$i]}" -v b="${y[$i]}" 'BEGIN { printf "%.2f\n", b / a }'; done; }

on=(); off=()
for r in $(seq 1 "$repeat"); do
    fold_triggers DISABLE; off+=("$(copy_once)")
    fold_triggers ENABLE;  on+=("$(copy_once)")
    echo "ingest: COPY round $r: disabled ${off[-1]} ms, enabled ${on[-1]} ms"
done
s_on=(); s_off=()
for r in $(seq 1 "$repeat"); do
    fold_triggers DISABLE; s_off+=("$(single_once)")
    fold_triggers ENABLE;  s_on+=("$(single_once)")
    echo "ingest: single-row round $r: disabled ${s_off[-1]} ms, enabled ${s_on[-1]} ms"
done
fold_triggers ENABLE

row() {  # label, disabled times array name, enabled times array name, target
    local -n d=$2 e=$3
    local md me nd ne rr
    md=$(median "${d[@]}"); me=$(median "${e[@]}")
    nd=$(minimum "${d[@]}"); ne=$(minimum "${e[@]}")
    rr=$(median $(ratios "$2" "$3"))
    awk -v l="$1" -v md="$md" -v me="$me" -v nd="$nd" -v ne="$ne" -v rr="$rr" -v t="$4" 'BEGIN {
        printf "  %-28s | %9.0f | %9.0f | %9.0f | %9.0f | %6.2fx | %6.2fx | %s\n", l, md, me, nd, ne, ne / nd, rr, t }'
}
echo
echo "ingest: $rows records over $subjects subjects; $repeat rounds, targets alternating"
printf '  %-28s | %9s | %9s | %9s | %9s | %7s | %7s | %s\n' "workload" "med. off" "med. on" "min off" "min on" "min" "median" "target"
printf '  %-28s | %9s | %9s | %9s | %9s | %7s | %7s |\n' "" "ms" "ms" "ms" "ms" "ratio" "ratio"
printf -- '-%.0s' {1..118}; echo
row "COPY $rows rows" off on "<= 2x (goal 1.5x)"
row "$single single-row INSERTs" s_off s_on "-"
echo "  (median ratio: median over the rounds of enabled / disabled in the same round)"
