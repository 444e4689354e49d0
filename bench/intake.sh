#!/usr/bin/env bash
# bench/intake: the tolerant intake against the strict door.
#   A feed of BENCH_INTAKE_ROWS (100,000) rows over BENCH_INTAKE_SUBJECTS
#   (20,000) subjects, as a unit sends it: 1 % bad rows (malformed codes,
#   unknown items, future and impossible dates, bad amounts), 5 % re-sent
#   decisions, 2 % rows of subjects not yet registered, codes written dirty
#   (lower case, spaces).  (1) COPY of it into credit.intake, as the unit's
#   clerk; (2) COPY of the same rows, pre-cleaned (subject ids, the bad, the
#   re-sent and the waiting rows left out), straight into credit.record.  Both
#   with auto-evaluation on, its fold run before the clock stops, each in a
#   transaction that is rolled back; median of BENCH_REPEAT (3) rounds, targets
#   alternating, in wall time and in the backend's CPU time (the verdict: on a
#   shared machine wall time mostly measures the other processes).  Run by
#   bench/run, or by hand with PGHOST/PGPORT/PGDATABASE set and BENCH_OUT
#   naming a directory the server can write.
set -euo pipefail
rows=${BENCH_INTAKE_ROWS:-100000}
subjects=${BENCH_INTAKE_SUBJECTS:-20000}
repeat=${BENCH_REPEAT:-3}
out=${BENCH_OUT:-/tmp}
feed=$out/intake_feed.csv
clean=$out/intake_clean.csv
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

echo "intake: setting up $subjects subjects, evaluating them, generating a feed of $rows rows"
psql_q <<SQL
DO \$\$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_intake_unit') THEN
        CREATE ROLE bench_intake_unit NOLOGIN IN ROLE credit_department;
        CREATE ROLE bench_intake_clerk LOGIN IN ROLE bench_intake_unit;
    END IF;
END \$\$;
INSERT INTO credit.department (code, name, role) VALUES ('bench_intake', 'Bench intake unit', 'bench_intake_unit')
ON CONFLICT DO NOTHING;
-- subject n has a USCC built from n: 9132028100 + 7 digits of n, both check characters computed
CREATE TEMP TABLE bench_codes AS
SELECT n, code FROM (
    SELECT n, body || (SELECT substr('0123456789ABCDEFGHJKLMNPQRTUWXY',
                         ((31 - sum((strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(body, i, 1)) - 1)
                                    * (power(3, i - 1)::bigint % 31)) % 31) % 31 + 1)::int, 1)
                         FROM generate_series(1, 17) i) AS code
      FROM (SELECT n, org || CASE c WHEN 10 THEN 'X' WHEN 11 THEN '0' ELSE c::text END AS body
              FROM (SELECT n, '91320281' || lpad((10000000 + n)::text, 8, '0') AS org8 FROM generate_series(1, $subjects + $subjects / 10) n) a,
                   LATERAL (SELECT a.org8 AS org,
                                   11 - (SELECT sum(substr(substr(a.org8, 9), i, 1)::int * (ARRAY[3,7,9,10,5,8,4,2])[i])
                                           FROM generate_series(1, 8) i)::int % 11 AS c) b) x) y;
SELECT count(*) = count(*) FILTER (WHERE credit.uscc_check(code) IS NULL) AS codes_valid FROM bench_codes;
INSERT INTO credit.subject (kind, name, uscc)
SELECT 'enterprise', 'intake bench subject ' || n, code::credit.uscc FROM bench_codes WHERE n <= $subjects;
SELECT credit.run_evaluation('comprehensive_enterprise') IS NOT NULL AS evaluated;
VACUUM ANALYZE credit.subject;
VACUUM ANALYZE credit.subject_grade;
VACUUM ANALYZE credit.record;
CREATE TEMP TABLE bench_feed AS
-- (a re-sent row repeats the decision of the row 4 lines before, a good one)
SELECT g,
       CASE WHEN g % 100 = 7 THEN 'bad'
            WHEN g % 100 IN (15, 35, 55, 75, 95) THEN 'resent'
            WHEN g % 100 IN (13, 63) THEN 'waiting'
            ELSE 'good' END AS kind,
       CASE WHEN g % 100 IN (13, 63) THEN $subjects + 1 + g % ($subjects / 10)
            ELSE 1 + (g::bigint * 7919) % $subjects END AS n,
       (ARRAY['penalty_general', 'license', 'honour_county', 'contract_breach', 'tax_arrears'])[1 + g % 5] AS item_code,
       CURRENT_DATE - ((g::bigint * 31) % 700)::int AS decided_on,
       (1000 + g % 5000)::text AS amount
  FROM generate_series(1, $rows) g;
CREATE INDEX ON bench_feed (g);
-- a re-sent row takes the subject, item and date of the row it repeats
UPDATE bench_feed f SET n = p.n, item_code = p.item_code, decided_on = p.decided_on
  FROM bench_feed p WHERE f.kind = 'resent' AND p.g = f.g - 4;
CREATE INDEX ON bench_codes (n);
ANALYZE bench_feed;
ANALYZE bench_codes;
COPY (
    SELECT CASE WHEN f.kind = 'bad' AND f.g % 500 = 7 THEN substr(c.code, 1, 17) || 'Z'
                WHEN f.g % 3 = 0 THEN ' ' || lower(c.code) ELSE c.code END,
           CASE WHEN f.kind = 'bad' AND f.g % 500 = 107 THEN 'no_such_item' ELSE f.item_code END,
           -- a re-sent row repeats the document number of the row 4 lines before
           'BENCH-' || CASE WHEN f.kind = 'resent' THEN f.g - 4 ELSE f.g END,
           CASE WHEN f.kind = 'bad' AND f.g % 500 = 207 THEN '2999-01-01'
                WHEN f.kind = 'bad' AND f.g % 500 = 307 THEN '2026-02-30'
                ELSE credit.iso_date(f.decided_on) END,
           CASE WHEN f.kind = 'bad' AND f.g % 500 = 407 THEN '12,5' ELSE f.amount END
      FROM bench_feed f JOIN bench_codes c ON c.n = f.n
     ORDER BY f.g
) TO '$feed' (FORMAT csv);
COPY (
    SELECT s.id, f.item_code, 'bench_intake', 'BENCH-' || f.g, f.decided_on, f.amount
      FROM bench_feed f JOIN bench_codes c ON c.n = f.n JOIN credit.subject s ON s.uscc = c.code::credit.uscc
     WHERE f.kind = 'good' ORDER BY f.g
) TO '$clean' (FORMAT csv);
SQL

# COPY in a rolled-back transaction; prints elapsed milliseconds of wall
# time and of the backend's CPU time (Linux /proc/PID/schedstat; unlike wall
# time it does not grow when other processes compete for the CPUs), the fold
# at commit included.
copy_once() {  # target: intake | record
    local cmd
    if [ "$1" = intake ]; then
        cmd="SET ROLE bench_intake_clerk;
COPY credit.intake (subject_code, item_code, document_no, decided_on, amount) FROM '$feed' (FORMAT csv);
RESET ROLE;"
    else
        cmd="COPY credit.record (subject_id, item_code, department, document_no, decided_on, amount) FROM '$clean' (FORMAT csv);"
    fi
    psql -X -q -At -v ON_ERROR_STOP=1 <<SQL
BEGIN;
GRANT pg_read_server_files TO bench_intake_clerk;
SELECT split_part(pg_read_file('/proc/' || pg_backend_pid() || '/schedstat'), ' ', 1)::float8 / 1e6 AS cpu0,
       extract(epoch FROM clock_timestamp()) * 1000 AS wall0 \gset
$cmd
SET CONSTRAINTS credit.pending_fold_apply IMMEDIATE;
SELECT round((extract(epoch FROM clock_timestamp()) * 1000 - :wall0)::numeric, 1),
       round((split_part(pg_read_file('/proc/' || pg_backend_pid() || '/schedstat'), ' ', 1)::float8 / 1e6 - :cpu0)::numeric, 1);
ROLLBACK;
SQL
}
# after each sending, its dead rows vacuumed (not inside copy_once: its output
# is read by a process substitution, which would vacuum beside the next round)
vacuum_tables() {
    psql_q -c "VACUUM credit.record" -c "VACUUM credit.subject_grade" -c "VACUUM credit.intake_row" -c "VACUUM credit.decision" >/dev/null
}

# the outcome of one sending, kept (then removed) to be reported
psql_q <<SQL
GRANT pg_read_server_files TO bench_intake_clerk;
SET ROLE bench_intake_clerk;
COPY credit.intake (subject_code, item_code, document_no, decided_on, amount) FROM '$feed' (FORMAT csv);
RESET ROLE;
REVOKE pg_read_server_files FROM bench_intake_clerk;
\echo intake: outcome of the feed
SELECT status, problem, count(*) FROM credit.intake_row WHERE department = 'bench_intake' GROUP BY 1, 2 ORDER BY 1, 2;
SELECT count(*) AS records FROM credit.record WHERE department = 'bench_intake';
DELETE FROM credit.record WHERE department = 'bench_intake';
DELETE FROM credit.intake_row WHERE department = 'bench_intake';
VACUUM credit.record;
SQL

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
rw=(); rc=(); iw=(); ic=()
for n in $(seq 1 "$repeat"); do
    IFS='|' read -r w c < <(copy_once record); rw+=("$w"); rc+=("$c"); vacuum_tables
    IFS='|' read -r w2 c2 < <(copy_once intake); iw+=("$w2"); ic+=("$c2"); vacuum_tables
    echo "intake: round $n: record $w ms (CPU $c ms), intake $w2 ms (CPU $c2 ms)"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }
echo
printf '%-44s %12s %12s %8s %8s\n' "intake: $rows rows, $subjects subjects" "record (ms)" "intake (ms)" "ratio" "target"
printf '%-44s %12s %12s %8s %8s\n' "COPY, auto-evaluation and fold: wall" "$(median "${rw[@]}")" "$(median "${iw[@]}")" \
    "$(ratio "$(median "${rw[@]}")" "$(median "${iw[@]}")")" ""
printf '%-44s %12s %12s %8s %8s\n' "COPY, auto-evaluation and fold: backend CPU" "$(median "${rc[@]}")" "$(median "${ic[@]}")" \
    "$(ratio "$(median "${rc[@]}")" "$(median "${ic[@]}")")" "<= 1.5"
