#!/usr/bin/env bash
# bench/ingest: the cost of data arrival against the physical limit.
#   (1) COPY of BENCH_ROWS (1,000,000) records over BENCH_SUBJECTS (100,000)
#       subjects, backend CPU time (/proc/PID/schedstat), into:
#         plain    a table with credit.record's columns and indexes and no
#                  constraints or triggers (the baseline);
#         no fold  credit.record with the three record_fold_* triggers
#                  disabled (the row trigger, the reference checks, the
#                  decision keys and the ledger stay);
#         all on   credit.record with everything on, the fold at commit
#                  included (SET CONSTRAINTS ... IMMEDIATE before the rollback);
#         all on, document numbers   the same rows, each with its decision's
#                  document number (so the decision keys are claimed), as
#                  units' feeds carry them;
#       ratios to plain within each round;
#   (2) BENCH_SINGLE (1,000) single-row INSERT transactions, fold triggers
#       enabled vs disabled (wall time; bench/single_row counts instructions).
# Every COPY runs in a transaction that is rolled back (then VACUUM), so each
# starts from the same evaluated county; median of BENCH_REPEAT (3) rounds,
# targets in turn.  Run by bench/run (PGHOST/PGPORT/PGDATABASE set), or by
# hand with those variables and BENCH_OUT naming a directory the server can write.
set -euo pipefail
rows=${BENCH_ROWS:-1000000}
subjects=${BENCH_SUBJECTS:-100000}
single=${BENCH_SINGLE:-1000}
repeat=${BENCH_REPEAT:-3}
out=${BENCH_OUT:-/tmp}
file=$out/ingest_records.csv
docs=$out/ingest_records_docs.csv
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
DROP TABLE IF EXISTS public.ingest_plain;
CREATE TABLE public.ingest_plain (LIKE credit.record INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES);
VACUUM ANALYZE public.ingest_plain;
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
           'bench doc ' || g AS document_no,
           CURRENT_DATE - ((g::bigint * 7919) % 1500)::int AS decided_on,
           1 + (g % 3) AS value
      FROM generate_series(0, $rows - 1) g, s
) TO '$docs' (FORMAT csv);
SQL
# the same rows without document numbers
awk -F, 'BEGIN { OFS = "," } { $4 = ""; print }' "$docs" > "$file"

fold_triggers() {  # ENABLE or DISABLE the statement triggers
    psql_q -c "ALTER TABLE credit.record $1 TRIGGER record_fold_insert" \
           -c "ALTER TABLE credit.record $1 TRIGGER record_fold_update" \
           -c "ALTER TABLE credit.record $1 TRIGGER record_fold_delete"
}

# COPY in a rolled-back transaction; prints the backend's CPU milliseconds
# (/proc/PID/schedstat: unlike wall time it does not grow when other
# processes compete for the CPUs).  The grades are folded at commit
# (credit.fold_at = 'commit'): SET CONSTRAINTS ... IMMEDIATE runs that fold
# before the rollback, and its time is counted.
copy_once() {  # table, file
    psql -X -q -At -v ON_ERROR_STOP=1 <<SQL
BEGIN;
SELECT split_part(pg_read_file('/proc/' || pg_backend_pid() || '/schedstat'), ' ', 1)::float8 / 1e6 AS cpu0 \gset
COPY $1 (subject_id, item_code, department, document_no, decided_on, value) FROM '$2' (FORMAT csv);
SET CONSTRAINTS ALL IMMEDIATE;
SELECT round((split_part(pg_read_file('/proc/' || pg_backend_pid() || '/schedstat'), ' ', 1)::float8 / 1e6 - :cpu0)::numeric, 1);
ROLLBACK;
SQL
    psql_q -c "VACUUM $1" -c "VACUUM credit.subject_grade" -c "VACUUM credit.decision" -c "VACUUM credit.warning" >/dev/null
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

plain=(); nofold=(); allon=(); alldocs=()
for r in $(seq 1 "$repeat"); do
    plain+=("$(copy_once public.ingest_plain "$file")")
    fold_triggers DISABLE; nofold+=("$(copy_once credit.record "$file")")
    fold_triggers ENABLE;  allon+=("$(copy_once credit.record "$file")")
    alldocs+=("$(copy_once credit.record "$docs")")
    echo "ingest: COPY round $r (CPU ms): plain ${plain[-1]}, no fold ${nofold[-1]}, all on ${allon[-1]}, all on with document numbers ${alldocs[-1]}"
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
        printf "  %-47s | %9.0f | %9.0f | %9.0f | %9.0f | %6.2fx | %6.2fx | %s\n", l, md, me, nd, ne, ne / nd, rr, t }'
}
verdict() { awk -v r="$(median $(ratios plain "$1"))" 'BEGIN { print (r <= 1.5 ? "ok (<= 1.5x)" : "above 1.5x") }'; }
echo
echo "ingest: $rows records over $subjects subjects; $repeat rounds, targets in turn"
printf '  %-47s | %9s | %9s | %9s | %9s | %7s | %7s | %s\n' "workload (baseline -> measured)" "med. base" "med." "min base" "min" "min" "median" "target"
printf '  %-47s | %9s | %9s | %9s | %9s | %7s | %7s |\n' "" "CPU ms" "CPU ms" "CPU ms" "CPU ms" "ratio" "ratio"
printf -- '-%.0s' {1..137}; echo
row "COPY $rows: plain -> no fold" plain nofold "-"
row "COPY $rows: plain -> all on" plain allon "<= 1.5x: $(verdict allon)"
row "COPY $rows: plain -> all on, document numbers" plain alldocs "<= 1.5x: $(verdict alldocs)"
row "$single single-row INSERTs (wall ms): off -> on" s_off s_on "-"
echo "  (median ratio: median over the rounds of measured / baseline in the same round)"
