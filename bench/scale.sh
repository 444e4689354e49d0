#!/usr/bin/env bash
# bench/scale: the scaling curve of a county, plain and partitioned layouts.
# For each layout (BENCH_LAYOUTS: "plain partitioned") and each size
# (BENCH_SIZES, millions of records: "1 10"), a fresh database (CREATE
# EXTENSION, then credit.partition_tables(BENCH_PARTITIONS, 16) for the
# partitioned one) is loaded with a synthetic county of BENCH_SUBJECTS_PER_M
# (20,000) enterprises per million records (50 records each on average, the
# demo county's density):
#   load         COPY of the records, one million per COPY and transaction,
#                with every trigger on (auto-evaluation folded at commit, the
#                ledger), seconds per million of wall time and of the
#                backend's CPU time; beside it (plain layout) the backend CPU
#                of the same COPYs into a table with credit.record's columns
#                and indexes and no constraints or triggers, loaded first in
#                the same database and dropped: what PostgreSQL's own heap
#                and B-trees cost at that size;
#   evaluation   credit.run_evaluation('comprehensive_enterprise'), seconds
#                per million records;
#   check        credit.check(subject, 'administrative_licensing') of
#                BENCH_PROBES (500) subjects, milliseconds per call, after
#                credit.refresh_listed() (its time printed with the load's);
#   match        credit.match(name, code) of BENCH_PROBES names against 2,000
#                list entries, milliseconds per call;
#   disk         credit.record's heap and indexes and credit.ledger, MB per
#                million records.
# Each cost per million is printed with its ratio to the same cost at the
# first size of the plain layout, measured in this run: flat within +-25 %
# is the target.  Run by bench/run (PGHOST/PGPORT set), or by hand with those
# variables and BENCH_OUT naming a directory the server can write.
set -euo pipefail
sizes=${BENCH_SIZES:-1 10}
layouts=${BENCH_LAYOUTS:-plain partitioned}
partitions=${BENCH_PARTITIONS:-16}
probes=${BENCH_PROBES:-500}
per_m=${BENCH_SUBJECTS_PER_M:-20000}
out=${BENCH_OUT:-/tmp}
results=$out/scale_results.csv
: > "$results"
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
# elapsed milliseconds of the statements between \timing on and off in stdin
timed() { psql -X -v ON_ERROR_STOP=1 "$@" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | awk '{ s += $1 } END { printf "%.1f\n", s }'; }

# load TABLE: COPY the size's files into TABLE, one million rows per COPY
# and transaction; sets load_ms and load_cpu, the wall and backend CPU
# milliseconds (/proc/PID/schedstat: unlike wall time it does not grow when
# other processes compete for the CPUs) of the COPYs and their commits (for
# credit.record: the fold and the ledger)
load() {
    load_ms=0 load_cpu=0
    for m in $(seq 0 $((size - 1))); do
        t=$(psql -X -q -At -F, -v ON_ERROR_STOP=1 -d $db <<SQL
SELECT split_part(pg_read_file('/proc/' || pg_backend_pid() || '/schedstat'), ' ', 1)::float8 / 1e6 AS cpu0,
       extract(epoch FROM clock_timestamp()) * 1000 AS wall0 \gset
COPY $1 (subject_id, item_code, department, document_no, decided_on, value) FROM '$file.$m' (FORMAT csv);
SELECT round((extract(epoch FROM clock_timestamp()) * 1000 - :wall0)::numeric, 1),
       round((split_part(pg_read_file('/proc/' || pg_backend_pid() || '/schedstat'), ' ', 1)::float8 / 1e6 - :cpu0)::numeric, 1);
SQL
)
        load_ms=$(awk -v a="$load_ms" -v b="${t%,*}" 'BEGIN { printf "%.1f", a + b }')
        load_cpu=$(awk -v a="$load_cpu" -v b="${t#*,}" 'BEGIN { printf "%.1f", a + b }')
    done
}

for size in $sizes; do
    file=$out/scale_records_$size.csv
    subjects=$((size * per_m))
    rows=$((size * 1000000))
    echo "scale: generating $rows records over $subjects subjects"
    # one file per million: subject ids 1..subjects, records spread evenly
    for m in $(seq 0 $((size - 1))); do
        psql_q -d postgres -c "COPY (
            SELECT 1 + (g::bigint * 7919) % $subjects AS subject_id,
                   (ARRAY['penalty_general', 'penalty_minor', 'license', 'contract_breach', 'honour_city',
                          'tax_arrears', 'loan_overdue', 'loan_repaid', 'commitment_kept', 'utility_arrears',
                          'social_insurance_arrears', 'honour_county', 'penalty_warning', 'license',
                          'penalty_serious', 'charity_donation'])[1 + (g / 3) % 16] AS item_code,
                   (ARRAY['scale_market', 'scale_tax', 'scale_safety', 'scale_bank'])[1 + g % 4] AS department,
                   'sc-' || g AS document_no,
                   CURRENT_DATE - 1 - ((g::bigint * 104729) % 1500)::int AS decided_on,
                   1 + (g % 3) AS value
              FROM generate_series($m * 1000000::bigint, ($m + 1) * 1000000::bigint - 1) g
        ) TO '$file.$m' (FORMAT csv)"
    done
    for layout in $layouts; do
        db=bench_scale
        psql_q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
        psql_q -d $db -c "SET client_min_messages = warning" -c "CREATE EXTENSION credit CASCADE" >/dev/null
        [ "$layout" = partitioned ] && psql_q -d $db -c "SELECT credit.partition_tables($partitions)" >/dev/null
        psql_q -d $db <<SQL
SET client_min_messages = warning;
INSERT INTO credit.department (code, name) VALUES
    ('scale_market', 'Scale market supervision'), ('scale_tax', 'Scale tax'),
    ('scale_safety', 'Scale work safety'), ('scale_bank', 'Scale bank');
INSERT INTO credit.subject (id, kind, name, uscc)
SELECT g, 'enterprise', '江阴规模测试' || g || '有限公司', NULL
  FROM generate_series(1, $subjects) g;
SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence('credit.subject', 'id'), $subjects);
INSERT INTO credit.list_entry (list_code, name, subject_id, listed_on, reason)
SELECT 'serious_dishonesty', '江阴规模测试' || (g * 97) || '有限公司', g * 97, CURRENT_DATE - 1, 'scale'
  FROM generate_series(1, 2000) g WHERE g * 97 <= $subjects;
VACUUM ANALYZE;
SQL
        # the baseline: the same COPYs into a table with credit.record's
        # columns and indexes and no constraints or triggers, loaded and
        # dropped before the records (the plain layout only)
        plain_cpu=0
        if [ "$layout" = plain ]; then
            psql_q -d $db -c "CREATE TABLE public.scale_plain (LIKE credit.record INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES)"
            load public.scale_plain
            plain_cpu=$load_cpu
            psql_q -d $db -c "DROP TABLE public.scale_plain" -c "CHECKPOINT"
        fi
        load credit.record
        psql_q -d $db -c "VACUUM ANALYZE" >/dev/null
        # after a load, the listing flags recomputed (as credit.refresh_listed's
        # comment says): checks of subjects on no list then read no listings
        refresh_ms=$(timed -d $db <<SQL
\timing on
SELECT credit.refresh_listed() >= 0 AS refreshed;
\timing off
SQL
)
        eval_ms=$(timed -d $db <<SQL
\timing on
SELECT credit.run_evaluation('comprehensive_enterprise') IS NOT NULL AS evaluated;
\timing off
SQL
)
        check_ms=$(timed -d $db <<SQL
SET client_min_messages = warning;
\timing on
SELECT count(credit.check(1 + (k * 7907) % $subjects, 'administrative_licensing')) FROM generate_series(1, $probes) k;
\timing off
SQL
)
        match_ms=$(timed -d $db <<SQL
SELECT count(*) FROM credit.match('warm up');
\timing on
SELECT count(m.*) FROM generate_series(1, $probes) k,
       credit.match('江阴规模测试' || (1 + (k * 7907) % $subjects) || '有限公司') m;
\timing off
SQL
)
        disk=$(psql -X -At -F, -d $db -c "
            SELECT sum(pg_table_size(c.oid)), sum(pg_indexes_size(c.oid)), pg_total_relation_size('credit.ledger')
              FROM pg_class c
             WHERE c.oid = 'credit.record'::regclass OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'credit.record'::regclass)")
        grades=$(psql -X -At -d $db -c "SELECT count(*) FROM credit.subject_grade WHERE model = 'comprehensive_enterprise'")
        echo "$layout,$size,$load_ms,$eval_ms,$check_ms,$match_ms,$disk,$grades,$load_cpu,$plain_cpu" >> "$results"
        echo "scale: $layout $size M: load ${load_ms} ms (backend CPU ${load_cpu} ms; plain table ${plain_cpu} ms), evaluation ${eval_ms} ms, listing flags ${refresh_ms} ms, $grades grades"
        psql_q -d postgres -c "DROP DATABASE $db"
    done
    rm -f "$file".*
done

# The table: costs per million records (per call for check and match), with
# ratios to the first row of the plain layout; the plain table's load CPU at
# the same size, and the load CPU over it.
awk -F, -v probes="$probes" '
    { n++; lay[n] = $1; sz[n] = $2
      v[n, 1] = $3 / 1000 / $2; v[n, 2] = $11 / 1000 / $2; v[n, 3] = $4 / 1000 / $2
      v[n, 4] = $5 / probes; v[n, 5] = $6 / probes
      v[n, 6] = $7 / 1048576 / $2; v[n, 7] = $8 / 1048576 / $2; v[n, 8] = $9 / 1048576 / $2
      if ($12 > 0) plain[$2] = $12 / 1000 / $2
      if (!base && $1 == "plain") { base = n } }
    END {
      if (!base) base = 1
      printf "scale: cost per million records (check, match: per call); ratio to %s %s M in brackets\n", lay[base], sz[base]
      printf "%-11s | %5s | %-16s | %-16s | %-16s | %-9s | %-16s | %-14s | %-14s | %-14s | %-14s | %-14s\n", "layout", "M rec", "load s/M", "load CPU s/M", "plain table CPU", "over it", "evaluation s/M", "check ms", "match ms", "heap MB/M", "index MB/M", "ledger MB/M"
      for (i = 1; i <= n; i++) {
        printf "%-11s | %5d", lay[i], sz[i]
        for (j = 1; j <= 8; j++) {
          r = v[base, j] > 0 ? v[i, j] / v[base, j] : 0
          w = (j <= 3) ? 16 : 14
          printf " | %*s", -w, sprintf(j == 4 || j == 5 ? "%.3f (%.2f)" : "%.2f (%.2f)", v[i, j], r)
          if (j == 2) {
            p = plain[sz[i]]; pb = plain[sz[base]]
            ps = "-"; over = "-"
            if (p > 0) { ps = sprintf("%.2f (%.2f)", p, (pb > 0) ? p / pb : 0); over = sprintf("%.2fx", v[i, 2] / p) }
            printf " | %-16s | %-9s", ps, over
          }
        }
        printf "\n"
      }
    }' "$results"
