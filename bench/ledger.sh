#!/usr/bin/env bash
# bench/ledger: the cost of the ledger (docs/ledger.md) on data arrival.
#   (1) COPY of BENCH_ROWS (1,000,000) records over BENCH_SUBJECTS (100,000)
#       subjects into credit.record, committed, with the ledger's capture
#       triggers enabled, against the same COPY with them disabled (ALTER
#       TABLE ... DISABLE TRIGGER ledger_*).  The auto-evaluation triggers
#       are disabled in both, so the baseline is the plain COPY (the row
#       trigger record_defaults and the foreign keys only) and the ratio is
#       the ledger's own cost; bench/ingest.sh measures the auto-evaluation's;
#   (2) BENCH_SINGLE (1,000) single-row INSERT transactions, enabled vs disabled;
#   (3) credit.verify_ledger() over the ledger and records the rounds left.
# The ledger appends at commit, so every COPY commits; between rounds the
# loaded records (and their ledger entries) are removed behind the triggers'
# back (session_replication_role = replica) and vacuumed.  Median of
# BENCH_REPEAT (3) rounds, targets alternating.  Run by bench/run.
set -euo pipefail
rows=${BENCH_ROWS:-1000000}
subjects=${BENCH_SUBJECTS:-100000}
single=${BENCH_SINGLE:-1000}
repeat=${BENCH_REPEAT:-3}
out=${BENCH_OUT:-/tmp}
file=$out/ledger_records.csv
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

echo "ledger: setting up $subjects subjects, generating $rows records"
psql_q <<SQL
INSERT INTO credit.department (code, name) VALUES
    ('bench_market', 'Bench market supervision'), ('bench_tax', 'Bench tax'),
    ('bench_safety', 'Bench work safety'), ('bench_bank', 'Bench bank')
ON CONFLICT DO NOTHING;
INSERT INTO credit.subject (kind, name)
SELECT 'enterprise', 'ledger bench subject ' || g FROM generate_series(1, $subjects) g;
VACUUM ANALYZE credit.subject;
VACUUM ANALYZE credit.subject_grade;
COPY (
    WITH s AS (SELECT min(id) AS s0 FROM credit.subject WHERE name LIKE 'ledger bench subject %')
    SELECT s.s0 + (g % $subjects) AS subject_id,
           (ARRAY['penalty_general', 'penalty_minor', 'license', 'contract_breach', 'honour_city',
                  'tax_arrears', 'loan_overdue', 'loan_repaid', 'commitment_kept', 'utility_arrears',
                  'social_insurance_arrears', 'honour_county', 'penalty_warning', 'license',
                  'penalty_serious', 'charity_donation'])[1 + (g / 3) % 16] AS item_code,
           (ARRAY['bench_market', 'bench_tax', 'bench_safety', 'bench_bank'])[1 + g % 4] AS department,
           CURRENT_DATE - ((g::bigint * 7919) % 1500)::int AS decided_on,
           1 + (g % 3) AS value,
           'bench-' || g AS document_no
      FROM generate_series(0, $rows - 1) g, s
) TO '$file' (FORMAT csv);
SQL

psql_q -c "ALTER TABLE credit.record DISABLE TRIGGER record_fold_insert" \
       -c "ALTER TABLE credit.record DISABLE TRIGGER record_fold_update" \
       -c "ALTER TABLE credit.record DISABLE TRIGGER record_fold_delete"
trap 'psql_q -c "ALTER TABLE credit.record ENABLE TRIGGER USER" >/dev/null 2>&1' EXIT

# the ledger as set up: the rounds' entries come after it
base=$(psql -X -A -t -c "SELECT coalesce(max(seq), 0) FROM credit.ledger")

ledger_triggers() {  # ENABLE or DISABLE the capture triggers of credit.record
    psql_q -c "ALTER TABLE credit.record $1 TRIGGER ledger_insert" \
           -c "ALTER TABLE credit.record $1 TRIGGER ledger_update" \
           -c "ALTER TABLE credit.record $1 TRIGGER ledger_delete"
}

# Remove the loaded records and their entries without firing any trigger
# (the chain up to the set-up stays whole).
cleanup() {
    psql_q <<SQL >/dev/null
SET session_replication_role = replica;
DELETE FROM credit.record WHERE department LIKE 'bench\_%';
DELETE FROM credit.ledger WHERE seq > $base;
RESET session_replication_role;
VACUUM credit.record;
VACUUM credit.ledger;
VACUUM credit.subject_grade;
SQL
}

# COPY and COMMIT (the ledger appends at commit); prints wall ms and the
# backend's CPU ms (Linux /proc/PID/schedstat; on a shared machine CPU time
# does not grow when other processes compete for the CPUs; wall time where
# it cannot be read).
copy_once() {
    psql -X -q -v ON_ERROR_STOP=1 -At <<SQL
SELECT extract(epoch FROM clock_timestamp()) * 1000 AS w0 \gset
SELECT coalesce((SELECT split_part(pg_read_file('/proc/' || pg_backend_pid() || '/schedstat'), ' ', 1)::float8 / 1e6), -1) AS c0 \gset
BEGIN;
COPY credit.record (subject_id, item_code, department, decided_on, value, document_no) FROM '$file' (FORMAT csv);
COMMIT;
SELECT round(extract(epoch FROM clock_timestamp()) * 1000 - :w0) || ' ' ||
       CASE WHEN :c0 < 0 THEN round(extract(epoch FROM clock_timestamp()) * 1000 - :w0)
            ELSE round(split_part(pg_read_file('/proc/' || pg_backend_pid() || '/schedstat'), ' ', 1)::float8 / 1e6 - :c0) END;
SQL
}

# BENCH_SINGLE single-row INSERT transactions; prints elapsed milliseconds
single_once() {
    local script=$out/ledger_single.sql s0
    s0=$(psql -X -A -t -c "SELECT min(id) FROM credit.subject WHERE name LIKE 'ledger bench subject %'")
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
ratios() { local -n x=$1 y=$2; local i; for i in "${!x[@]}"; do awk -v a="${x[$i]}" -v b="${y[$i]}" 'BEGIN { printf "%.2f\n", b / a }'; done; }

on=(); off=(); con=(); coff=()
for r in $(seq 1 "$repeat"); do
    cleanup; ledger_triggers DISABLE; read -r w c < <(copy_once); off+=("$w"); coff+=("$c")
    cleanup; ledger_triggers ENABLE;  read -r w c < <(copy_once); on+=("$w"); con+=("$c")
    echo "ledger: COPY round $r: without ${off[-1]} ms (CPU ${coff[-1]} ms), with ${on[-1]} ms (CPU ${con[-1]} ms)"
done
entries=$(psql -X -A -t -c "SELECT count(*) || ' entries, ' || pg_size_pretty(pg_total_relation_size('credit.ledger')) FROM credit.ledger")
t0=$(date +%s%N)
problems=$(psql -X -A -t -c "SELECT count(*) FROM credit.verify_ledger()")
t1=$(date +%s%N)
verify_ms=$(( (t1 - t0) / 1000000 ))
echo "ledger: ledger after the last round: $entries; verify_ledger: $problems problems in $verify_ms ms"
[ "$problems" = 0 ] || { echo "ledger: verify_ledger found problems" >&2; exit 1; }

s_on=(); s_off=()
for r in $(seq 1 "$repeat"); do
    ledger_triggers DISABLE; s_off+=("$(single_once)")
    ledger_triggers ENABLE;  s_on+=("$(single_once)")
    echo "ledger: single-row round $r: without ${s_off[-1]} ms, with ${s_on[-1]} ms"
done
ledger_triggers ENABLE

row() {  # label, without times array name, with times array name, target
    local -n d=$2 e=$3
    local md me nd ne rr
    md=$(median "${d[@]}"); me=$(median "${e[@]}")
    nd=$(minimum "${d[@]}"); ne=$(minimum "${e[@]}")
    rr=$(median $(ratios "$2" "$3"))
    awk -v l="$1" -v md="$md" -v me="$me" -v nd="$nd" -v ne="$ne" -v rr="$rr" -v t="$4" 'BEGIN {
        printf "  %-28s | %9.0f | %9.0f | %9.0f | %9.0f | %6.2fx | %6.2fx | %s\n", l, md, me, nd, ne, ne / nd, rr, t }'
}
echo
echo "ledger: $rows records over $subjects subjects; $repeat rounds, targets alternating"
printf '  %-28s | %9s | %9s | %9s | %9s | %7s | %7s | %s\n' "workload" "med. off" "med. on" "min off" "min on" "min" "median" "target"
printf '  %-28s | %9s | %9s | %9s | %9s | %7s | %7s |\n' "" "ms" "ms" "ms" "ms" "ratio" "ratio"
printf -- '-%.0s' {1..118}; echo
row "COPY $rows rows + COMMIT" off on "<= 1.3x"
row "  same, backend CPU time" coff con "<= 1.3x"
row "$single single-row INSERTs" s_off s_on "-"
echo "  verify_ledger over $entries: $verify_ms ms"
echo "  (off: ledger triggers disabled; auto-evaluation triggers disabled in both)"
echo "  (median ratio: median over the rounds of with / without in the same round)"
