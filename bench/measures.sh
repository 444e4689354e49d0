#!/usr/bin/env bash
# bench/measures: measure matching (credit.measures_for, C over a per-backend
# cache) against the same matching written as one plain SQL query (hash joins
# of current grades, active list entries, active records of list items and
# measures), on BENCH_SUBJECTS (200,000) generated subjects: 70% enterprises
# (each with a valid USCC), 5% social organisations, 25% individuals, graded
# by records (A / A+ for two sevenths, C or B for a seventh) and 2% on a
# black list (a fifth of those entries expired).  Both methods must
# return the same (subject, measure, reason) rows, which the run checks.
#   all       every subject, every scenario (LATERAL measures_for) vs the query;
#   scenario  every subject in government_procurement;
#   point     BENCH_POINTS (20,000) one-subject calls in a PL/pgSQL loop, as an
#             approval system asks, vs the query for one subject (prepared);
#   check     credit.check for the same subjects (the whole answer as jsonb,
#             individuals logged), per subject against measures_for;
#   clerk     throughput (pgbench, 2 clients, prepared, BENCH_SECONDS (10)
#             each) of credit.check(bigint, text) on enterprises by a unit's
#             clerk (row-level security applies) against the bare indexed
#             SELECT grade FROM credit.subject_grade WHERE subject_id = \$1 by
#             the same clerk; BENCH_REPEAT (3) rounds alternating, median
#             ratio (target >= 0.5).  The subject is passed as a bigint (a
#             parameter of unknown type would choose credit.check(text, text));
#             the check by code, as approval systems ask, by the enterprises'
#             USCCs (100 of them, pgbench making no strings), on a line of its
#             own; then the three statements' instructions per call (callgrind,
#             BENCH_CALLS calls in a single-user backend), which the machine's
#             load does not change.
# The listing flags are recomputed after the load (credit.refresh_listed, as
# the nightly job does), so the subjects on no list are checked without
# reading listings.
# Run by bench/run (PGHOST/PGPORT/PGDATABASE set, superuser), or by hand with
# those variables set.
set -euo pipefail
cd "$(dirname "$0")"
subjects=${BENCH_SUBJECTS:-200000}
points=${BENCH_POINTS:-20000}
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

echo "measures: generating $subjects subjects"
psql_q <<SQL
SET credit.auto_evaluation = off;   -- graded below by two runs
DROP SCHEMA IF EXISTS bench_measures CASCADE;
CREATE SCHEMA bench_measures;
CREATE TABLE bench_measures.subject (n int PRIMARY KEY, id bigint NOT NULL);
-- a valid USCC of its own for each enterprise (n in base 31 as the body of
-- the organisation code; both check characters, GB 32100)
CREATE FUNCTION pg_temp.bench_uscc(n bigint) RETURNS text LANGUAGE plpgsql IMMUTABLE AS \$\$
DECLARE
    a text := '0123456789ABCDEFGHJKLMNPQRTUWXY';
    w int[] := '{1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28}';
    ow int[] := '{3,7,9,10,5,8,4,2}';
    body text := '';
    c text;
    os int := 0;
    o int;
    t int := 0;
    x bigint := n;
BEGIN
    FOR k IN 1 .. 8 LOOP
        body := substr(a, (x % 31)::int + 1, 1) || body;
        x := x / 31;
    END LOOP;
    FOR k IN 1 .. 8 LOOP
        os := os + (strpos('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', substr(body, k, 1)) - 1) * ow[k];
    END LOOP;
    o := 11 - os % 11;
    c := '91320281' || body || CASE o WHEN 10 THEN 'X' WHEN 11 THEN '0' ELSE o::text END;
    FOR k IN 1 .. 17 LOOP
        t := t + (strpos(a, substr(c, k, 1)) - 1) * w[k];
    END LOOP;
    RETURN c || substr(a, (31 - t % 31) % 31 + 1, 1);
END
\$\$;
WITH s AS (
    INSERT INTO credit.subject (kind, name, uscc)
    SELECT CASE WHEN g % 20 < 14 THEN 'enterprise' WHEN g % 20 = 14 THEN 'social_org'
                ELSE 'individual' END::credit.subject_kind,
           'bench-measures ' || g,
           CASE WHEN g % 20 < 14 THEN pg_temp.bench_uscc(g)::credit.uscc END
      FROM generate_series(1, $subjects) g
    RETURNING id, kind, name)
INSERT INTO bench_measures.subject SELECT split_part(name, ' ', 2)::int, id FROM s;
-- honours (A), penalties (C); blood donations and volunteering (A+), penalties (B)
INSERT INTO credit.record (subject_id, item_code, department, decided_on, value)
SELECT b.id, r.item, 'platform', current_date - r.age - b.n % 50, r.value
  FROM bench_measures.subject b JOIN credit.subject s ON s.id = b.id,
       LATERAL (VALUES ('honour_national', 10, 1), ('honour_national', 20, 1), ('tax_grade_a', 5, 1)) r (item, age, value)
 WHERE s.kind <> 'individual' AND b.n % 7 IN (0, 1)
UNION ALL
SELECT b.id, 'penalty_general', 'platform', current_date - g - b.n % 50, 1
  FROM bench_measures.subject b JOIN credit.subject s ON s.id = b.id, generate_series(1, 4) g
 WHERE s.kind <> 'individual' AND b.n % 7 = 2
UNION ALL
SELECT b.id, r.item, 'platform', current_date - r.age - b.n % 50, r.value
  FROM bench_measures.subject b JOIN credit.subject s ON s.id = b.id,
       LATERAL (VALUES ('blood_donation', 30, 1), ('blood_donation', 60, 1), ('blood_donation', 90, 1),
                       ('volunteer_service', 7, 7)) r (item, age, value)
 WHERE s.kind = 'individual' AND b.n % 7 IN (0, 1)
UNION ALL
SELECT b.id, 'person_penalty_general', 'platform', current_date - g - b.n % 50, 1
  FROM bench_measures.subject b JOIN credit.subject s ON s.id = b.id, generate_series(1, 3) g
 WHERE s.kind = 'individual' AND b.n % 7 = 2;
-- black lists: 2% of the subjects, a fifth of the entries expired
INSERT INTO credit.list_entry (list_code, name, subject_id, listed_on, expires_on, document_no)
SELECT CASE WHEN s.kind = 'individual' THEN 'dishonest_debtor' ELSE 'serious_dishonesty' END,
       s.name, s.id, current_date - 400 + b.n % 300,
       CASE WHEN b.n % 250 = 7 THEN current_date - 1 END, 'bench-measures'
  FROM bench_measures.subject b JOIN credit.subject s ON s.id = b.id
 WHERE b.n % 50 = 7;
RESET credit.auto_evaluation;
SELECT credit.run_evaluation('comprehensive_enterprise') > 0 AND credit.run_evaluation('comprehensive_individual') > 0 AS graded;
VACUUM ANALYZE credit.subject;
VACUUM ANALYZE credit.subject_grade;
VACUUM ANALYZE credit.list_entry;
VACUUM ANALYZE bench_measures.subject;
SELECT credit.refresh_listed() >= 0 AS listing_flags;
SQL

echo "measures: running"
psql_q <<SQL
SET work_mem = '256MB';
SET max_parallel_workers_per_gather = 0;
-- CPU seconds of this backend (/proc/self/stat: utime + stime), robust to other load
CREATE FUNCTION pg_temp.cpu() RETURNS float8 LANGUAGE sql AS \$\$
    SELECT (split_part(s, ' ', 14)::float8 + split_part(s, ' ', 15)::float8) / 100
      FROM pg_read_file('/proc/self/stat') s
\$\$;
CREATE FUNCTION pg_temp.timed(q text, OUT seconds float8, OUT cpu float8) LANGUAGE plpgsql AS \$\$
DECLARE
    t0 timestamptz := clock_timestamp();
    c0 float8 := pg_temp.cpu();
BEGIN
    EXECUTE q;
    seconds := extract(epoch FROM clock_timestamp() - t0);
    cpu := pg_temp.cpu() - c0;
END
\$\$;
-- The matching of credit.measures_for as one SQL query over the subjects of
-- bench_measures.subject with n in [lo, hi], the same reasons included.
CREATE FUNCTION pg_temp.sql_match(lo int, hi int, scen text)
    RETURNS TABLE (subject_id bigint, measure_code text, reason text) LANGUAGE sql STABLE AS \$\$
WITH ms AS (
    SELECT m.code, m.model, m.best_grade, m.worst_grade, m.list_codes, m.subject_kinds,
           coalesce(b.rank, 0) AS best_rank, coalesce(w.rank, 2147483647) AS worst_rank,
           CASE WHEN m.best_grade IS NULL AND m.worst_grade IS NULL THEN ' (any grade)'
                WHEN m.best_grade IS NULL THEN ' (measure range: ' || m.worst_grade || ' or better)'
                WHEN m.worst_grade IS NULL THEN ' (measure range: ' || m.best_grade || ' or worse)'
                WHEN m.best_grade <> m.worst_grade THEN ' (measure range: ' || m.best_grade || ' to ' || m.worst_grade || ')'
                ELSE '' END AS range_text
      FROM credit.measure m
      LEFT JOIN credit.model_grade b ON b.model = m.model AND b.grade = m.best_grade
      LEFT JOIN credit.model_grade w ON w.model = m.model AND w.grade = m.worst_grade
     WHERE scen IS NULL OR m.scenario IS NULL OR m.scenario = scen
), subj AS (
    SELECT s.id, s.kind FROM bench_measures.subject b JOIN credit.subject s ON s.id = b.id
     WHERE b.n BETWEEN lo AND hi
), ls AS (
    -- on a list: an active entry, or an active record of the list's catalogue item
    SELECT x.subject_id, x.list_code, pg_catalog.to_char(min(x.since), 'YYYY-MM-DD') AS since
      FROM (SELECT e.subject_id, e.list_code, e.listed_on AS since
              FROM credit.list_entry e JOIN subj ON subj.id = e.subject_id
             WHERE e.listed_on <= CURRENT_DATE AND e.removed_on IS NULL
               AND (e.expires_on IS NULL OR e.expires_on >= CURRENT_DATE)
            UNION ALL
            SELECT r.subject_id, l.code, r.decided_on
              FROM credit.record r JOIN subj ON subj.id = r.subject_id
              JOIN credit.list l ON l.item_code = r.item_code
             WHERE r.status = 'active' AND r.decided_on <= CURRENT_DATE) x
     GROUP BY 1, 2
), by_list AS (
    SELECT ls.subject_id, m.code,
           string_agg(ls.list_code || ' since ' || ls.since, ', ' ORDER BY array_position(m.list_codes, ls.list_code)) AS lists
      FROM ls JOIN ms m ON ls.list_code = ANY (m.list_codes)
     GROUP BY 1, 2
)
-- grade only; grade and list; list only
SELECT subj.id, m.code, 'grade ' || g.grade || ' under ' || m.model || m.range_text
  FROM subj
  JOIN credit.subject_grade g ON g.subject_id = subj.id
  JOIN credit.model_grade mg ON mg.model = g.model AND mg.grade = g.grade
  JOIN ms m ON m.model = g.model AND mg.rank BETWEEN m.best_rank AND m.worst_rank
           AND subj.kind = ANY (m.subject_kinds) AND cardinality(m.list_codes) = 0
UNION ALL
SELECT subj.id, m.code, 'grade ' || g.grade || ' under ' || m.model || m.range_text || '; on list ' || bl.lists
  FROM by_list bl
  JOIN ms m ON m.code = bl.code AND m.model IS NOT NULL
  JOIN subj ON subj.id = bl.subject_id AND subj.kind = ANY (m.subject_kinds)
  JOIN credit.subject_grade g ON g.subject_id = subj.id AND g.model = m.model
  JOIN credit.model_grade mg ON mg.model = g.model AND mg.grade = g.grade
 WHERE mg.rank BETWEEN m.best_rank AND m.worst_rank
UNION ALL
SELECT subj.id, m.code, 'on list ' || bl.lists
  FROM by_list bl
  JOIN ms m ON m.code = bl.code AND m.model IS NULL
  JOIN subj ON subj.id = bl.subject_id AND subj.kind = ANY (m.subject_kinds)
\$\$;
CREATE TEMP TABLE timing (method text, scenario text, subjects int, seconds float8, cpu float8);
CREATE TEMP TABLE agree (method text, same boolean, rows bigint);
SELECT count(*) >= 0 AS warm FROM credit.measures_for((SELECT id FROM bench_measures.subject WHERE n = 1));

-- every subject, every scenario; then government procurement
INSERT INTO timing SELECT 'measures_for', 'all', $subjects, t.* FROM pg_temp.timed(\$q\$
    CREATE TEMP TABLE res_c AS
    SELECT b.id AS subject_id, f.measure_code, f.reason
      FROM bench_measures.subject b, LATERAL credit.measures_for(b.id) f\$q\$) t;
INSERT INTO timing SELECT 'sql', 'all', $subjects, t.* FROM pg_temp.timed(\$q\$
    CREATE TEMP TABLE res_sql AS SELECT * FROM pg_temp.sql_match(1, $subjects, NULL)\$q\$) t;
INSERT INTO timing SELECT 'measures_for', 'government_procurement', $subjects, t.* FROM pg_temp.timed(\$q\$
    CREATE TEMP TABLE res_c_gp AS
    SELECT b.id AS subject_id, f.measure_code, f.reason
      FROM bench_measures.subject b, LATERAL credit.measures_for(b.id, 'government_procurement') f\$q\$) t;
INSERT INTO timing SELECT 'sql', 'government_procurement', $subjects, t.* FROM pg_temp.timed(\$q\$
    CREATE TEMP TABLE res_sql_gp AS SELECT * FROM pg_temp.sql_match(1, $subjects, 'government_procurement')\$q\$) t;

-- one subject at a time, as approval systems ask
INSERT INTO timing SELECT 'measures_for point', 'all', $points, t.* FROM pg_temp.timed(\$q\$
    DO \$d\$
    DECLARE r record; total bigint := 0;
    BEGIN
        FOR r IN SELECT id FROM bench_measures.subject WHERE n <= $points ORDER BY n LOOP
            total := total + (SELECT count(*) FROM credit.measures_for(r.id));
        END LOOP;
    END \$d\$\$q\$) t;
INSERT INTO timing SELECT 'sql point', 'all', $points, t.* FROM pg_temp.timed(\$q\$
    DO \$d\$
    DECLARE i int; total bigint := 0;
    BEGIN
        FOR i IN 1 .. $points LOOP
            total := total + (SELECT count(*) FROM pg_temp.sql_match(i, i, NULL));
        END LOOP;
    END \$d\$\$q\$) t;
INSERT INTO timing SELECT 'check point', 'government_procurement', $points, t.* FROM pg_temp.timed(\$q\$
    DO \$d\$
    DECLARE r record; total bigint := 0;
    BEGIN
        FOR r IN SELECT id FROM bench_measures.subject WHERE n <= $points ORDER BY n LOOP
            total := total + length(credit.check(r.id, 'government_procurement')::text);
        END LOOP;
    END \$d\$\$q\$) t;

INSERT INTO agree
SELECT 'all', (SELECT md5(string_agg(subject_id || '|' || measure_code || '|' || reason, ',' ORDER BY subject_id, measure_code)) FROM res_c)
            = (SELECT md5(string_agg(subject_id || '|' || measure_code || '|' || reason, ',' ORDER BY subject_id, measure_code)) FROM res_sql),
       (SELECT count(*) FROM res_c)
UNION ALL
SELECT 'government_procurement',
       (SELECT md5(string_agg(subject_id || '|' || measure_code || '|' || reason, ',' ORDER BY subject_id, measure_code)) FROM res_c_gp)
     = (SELECT md5(string_agg(subject_id || '|' || measure_code || '|' || reason, ',' ORDER BY subject_id, measure_code)) FROM res_sql_gp),
       (SELECT count(*) FROM res_c_gp);

\pset footer off
\echo
\echo bench/measures: $subjects subjects, $points point calls; ratios of CPU time per subject to credit.measures_for in the same mode
SELECT t.method, t.scenario, t.subjects,
       round(t.seconds::numeric, 2) AS wall_s, round(t.cpu::numeric, 2) AS cpu_s,
       round((1e6 * t.cpu / t.subjects)::numeric, 1) AS cpu_us_per_subject,
       round(((t.cpu / t.subjects) / (b.cpu / b.subjects))::numeric, 2) AS cpu_ratio
  FROM timing t
  JOIN timing b ON b.method = CASE WHEN t.method LIKE '% point' THEN 'measures_for point' ELSE 'measures_for' END
               AND b.scenario = CASE WHEN t.method LIKE '% point' THEN 'all' ELSE t.scenario END;
SELECT method AS compared, rows, same AS same_rows_and_reasons FROM agree;
SELECT f.measure_code, count(*) AS subjects FROM res_c f GROUP BY 1 ORDER BY 1;
DO \$\$
BEGIN
    IF EXISTS (SELECT 1 FROM agree WHERE NOT same) THEN
        RAISE EXCEPTION 'credit.measures_for and the SQL query disagree';
    END IF;
END
\$\$;
SQL
# A unit's clerk asks: credit.check against a bare indexed read of a grade.
seconds=${BENCH_SECONDS:-10}
repeat=${BENCH_REPEAT:-3}
out=${BENCH_OUT:-/tmp}
psql_q <<SQL
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_measures_unit') THEN
        CREATE ROLE bench_measures_unit NOLOGIN IN ROLE credit_department;
        CREATE ROLE bench_measures_clerk LOGIN IN ROLE bench_measures_unit;
    END IF;
END
\$\$;
INSERT INTO credit.department (code, name, role) VALUES ('bench_measures', 'Bench unit', 'bench_measures_unit')
ON CONFLICT (code) DO UPDATE SET role = EXCLUDED.role;
SQL
# subject n (1..BENCH_SUBJECTS) has id id0 + n - 1 and is an enterprise when n % 20 < 14
id0=$(psql -X -A -t -c "SELECT min(id) - min(n) + 1 FROM bench_measures.subject")
bad=$(psql -X -A -t -c "SELECT count(*) FROM bench_measures.subject b JOIN credit.subject s ON s.id = b.id
                         WHERE b.id <> $id0 + b.n - 1 OR ((b.n % 20 BETWEEN 1 AND 13) <> (s.kind = 'enterprise' AND b.n % 20 <> 0))")
[ "$bad" = 0 ] || { echo "measures: subject ids are not where the clerk's script expects them" >&2; exit 1; }
quarters=$((subjects / 20 - 1))
for w in check bare; do
    {
        echo "\\set q random(0, $quarters)"
        echo "\\set r random(1, 13)"
        echo "\\set s $id0 - 1 + 20 * :q + :r"
        if [ $w = check ]; then
            echo "SELECT credit.check(:s::bigint, 'government_procurement');"
        else
            echo "SELECT grade FROM credit.subject_grade WHERE subject_id = :s;"
        fi
    } >"$out/measures_$w.sql"
done
# by code: pgbench makes no strings, so 100 scripts of one enterprise's USCC each, drawn evenly
code_files=()
i=0
for code in $(psql -X -A -t -c "SELECT s.uscc FROM bench_measures.subject b JOIN credit.subject s ON s.id = b.id
                                 WHERE s.kind = 'enterprise' AND b.n % (($subjects / 100) | 1) = 3 ORDER BY b.n LIMIT 100"); do
    echo "SELECT credit.check('$code', 'government_procurement');" >"$out/measures_code_$i.sql"
    code_files+=(-f "$out/measures_code_$i.sql@1")
    i=$((i + 1))
done
tps() { pgbench -n -M prepared -c 2 -j 2 -T "$seconds" -U bench_measures_clerk "$@" 2>&1 | sed -n 's/^tps = \([0-9.]*\) .*/\1/p'; }
c_tps=(); b_tps=(); k_tps=()
for r in $(seq 1 "$repeat"); do
    b_tps+=("$(tps -f "$out/measures_bare.sql")")
    c_tps+=("$(tps -f "$out/measures_check.sql")")
    k_tps+=("$(tps "${code_files[@]}")")
    echo "measures: clerk round $r: bare select ${b_tps[-1]} tps, credit.check ${c_tps[-1]} tps, by code ${k_tps[-1]} tps"
done
ratios=()
for i in "${!c_tps[@]}"; do ratios+=("$(awk -v a="${c_tps[$i]}" -v b="${b_tps[$i]}" 'BEGIN { printf "%.2f", a / b }')"); done
med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo
echo "bench/measures: a unit's clerk (row-level security applies), pgbench 2 clients, prepared, ${seconds} s x $repeat rounds, enterprises"
printf '  %-52s | %10s\n' "workload" "median tps"
printf '  %-52s | %10.0f\n' "SELECT grade FROM credit.subject_grade (bare, index)" "$(med "${b_tps[@]}")"
printf '  %-52s | %10.0f\n' "credit.check(subject, 'government_procurement')" "$(med "${c_tps[@]}")"
printf '  %-52s | %10.0f\n' "credit.check(USCC, 'government_procurement')" "$(med "${k_tps[@]}")"
printf '  %-52s | %10s   (target >= 0.5; rounds: %s)\n' "check / bare (median of the rounds' ratios)" "$(med "${ratios[@]}")" "${ratios[*]}"

# The same three statements counted in instructions (callgrind), which the
# machine's load does not change: a single-user backend (PGHOST names the
# cluster's directory, its data in $PGHOST/data) runs, as the clerk
# (SET SESSION AUTHORIZATION), a prepared statement BENCH_CALLS (2,000) + 200
# times on distinct enterprises, minus a backend that runs it 200 times.
if command -v valgrind >/dev/null && [ -d "$PGHOST/data" ]; then
    calls=${BENCH_CALLS:-2000}
    data=$PGHOST/data
    bindir=$(dirname "$(command -v postgres)")
    as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
    ids=$(psql -X -A -t -c "SELECT string_agg(b.id || ':' || s.uscc, ' ' ORDER BY b.n) FROM bench_measures.subject b
                             JOIN credit.subject s ON s.id = b.id WHERE s.kind = 'enterprise' AND b.n <= 20 * ($calls + 200) / 13 + 20")
    script() {  # script FILE PREPARE EXECUTE-with-ID-or-CODE N
        local i=0 pair line
        { echo "SET SESSION AUTHORIZATION bench_measures_clerk"; echo "$2"
          for pair in $ids; do
              [ $i -ge "$4" ] && break
              line=${3//ID/${pair%%:*}}
              echo "${line//CODE/${pair#*:}}"
              i=$((i + 1))
          done; } > "$1"
        [ $i -ge "$4" ] || { echo "measures: fewer than $4 enterprises for the instruction counts" >&2; exit 1; }
        chmod a+r "$1"
    }
    instructions() {
        local cg=$out/measures.callgrind
        rm -f "$cg"
        as_owner valgrind --tool=callgrind --callgrind-out-file="$cg" "$bindir/postgres" --single -D "$data" \
            -c shared_preload_libraries=credit "$PGDATABASE" < "$1" > "$out/measures_cg.log" 2>&1
        grep -q "ERROR" "$out/measures_cg.log" && { grep -m 3 ERROR "$out/measures_cg.log" >&2; return 1; }
        awk '/^summary:/ { print $2 }' "$cg"
    }
    declare -A per_call
    as_owner "$bindir/pg_ctl" -D "$data" -w stop -m fast >/dev/null
    for w in bare check code; do
        case $w in
            bare) p="PREPARE q(bigint) AS SELECT grade FROM credit.subject_grade WHERE subject_id = \$1"; e="EXECUTE q(ID)" ;;
            check) p="PREPARE q(bigint) AS SELECT credit.check(\$1, 'government_procurement')"; e="EXECUTE q(ID)" ;;
            code) p="PREPARE q(text) AS SELECT credit.check(\$1, 'government_procurement')"; e="EXECUTE q('CODE')" ;;
        esac
        script "$out/measures_cg_${w}_a.sql" "$p" "$e" 200
        script "$out/measures_cg_${w}_b.sql" "$p" "$e" $((calls + 200))
        a=$(instructions "$out/measures_cg_${w}_a.sql") && b=$(instructions "$out/measures_cg_${w}_b.sql") \
            || { as_owner "$bindir/pg_ctl" -D "$data" -l "$data/../server.log" -w start >/dev/null; exit 1; }
        per_call[$w]=$(( (b - a) / calls ))
    done
    as_owner "$bindir/pg_ctl" -D "$data" -l "$data/../server.log" -w start >/dev/null
    echo
    echo "bench/measures: instructions per call (callgrind), the clerk, $calls prepared calls on enterprises, single-user backend"
    printf '  %-52s | %12s | %s\n' "statement" "instructions" "bare / it"
    printf '  %-52s | %12s | %s\n' "SELECT grade FROM credit.subject_grade (bare, index)" "${per_call[bare]}" "1.00"
    printf '  %-52s | %12s | %.2f\n' "credit.check(subject, 'government_procurement')" "${per_call[check]}" \
        "$(awk -v a="${per_call[bare]}" -v b="${per_call[check]}" 'BEGIN { print a / b }')"
    printf '  %-52s | %12s | %.2f\n' "credit.check(USCC, 'government_procurement')" "${per_call[code]}" \
        "$(awk -v a="${per_call[bare]}" -v b="${per_call[code]}" 'BEGIN { print a / b }')"
fi
psql_q -c "DELETE FROM credit.department WHERE code = 'bench_measures'" \
       -c "DROP ROLE bench_measures_clerk" -c "DROP ROLE bench_measures_unit"

# BENCH_KEEP=1 keeps the data for a closer look
[ -n "${BENCH_KEEP:-}" ] || psql_q <<SQL
SET credit.auto_evaluation = off;
DELETE FROM credit.query_log WHERE subject_id IN (SELECT id FROM bench_measures.subject);
DELETE FROM credit.list_entry WHERE document_no = 'bench-measures';
DELETE FROM credit.record WHERE subject_id IN (SELECT id FROM bench_measures.subject);
DELETE FROM credit.subject_grade WHERE subject_id IN (SELECT id FROM bench_measures.subject);
DELETE FROM credit.evaluation WHERE subject_id IN (SELECT id FROM bench_measures.subject);
DELETE FROM credit.subject WHERE id IN (SELECT id FROM bench_measures.subject);
DROP SCHEMA bench_measures CASCADE;
SQL
