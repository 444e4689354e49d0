#!/usr/bin/env bash
# bench/measures: measure matching (credit.measures_for, C over a per-backend
# cache) against the same matching written as one plain SQL query (hash joins
# of current grades, active list entries, active records of list items and
# measures), on BENCH_SUBJECTS
# (200,000) generated subjects: 70% enterprises, 5% social organisations, 25%
# individuals, graded by records (A / A+ for two sevenths, C or B for a seventh) and
# 2% on a black list (a fifth of those entries expired).  Both methods must
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
#             ratio (target >= 0.5).  The subject is passed as a bigint: a
#             parameter of unknown type chooses credit.check(text, text), the
#             look-up by code, shown on a line of its own.
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
WITH s AS (
    INSERT INTO credit.subject (kind, name)
    SELECT CASE WHEN g % 20 < 14 THEN 'enterprise' WHEN g % 20 = 14 THEN 'social_org'
                ELSE 'individual' END::credit.subject_kind,
           'bench-measures ' || g
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
for w in check code bare; do
    {
        echo "\\set q random(0, $quarters)"
        echo "\\set r random(1, 13)"
        echo "\\set s $id0 - 1 + 20 * :q + :r"
        if [ $w = check ]; then
            echo "SELECT credit.check(:s::bigint, 'government_procurement');"
        elif [ $w = code ]; then
            echo "SELECT credit.check(:s, 'government_procurement');"
        else
            echo "SELECT grade FROM credit.subject_grade WHERE subject_id = :s;"
        fi
    } >"$out/measures_$w.sql"
done
tps() { pgbench -n -M prepared -c 2 -j 2 -T "$seconds" -U bench_measures_clerk -f "$1" 2>&1 | sed -n 's/^tps = \([0-9.]*\) .*/\1/p'; }
c_tps=(); b_tps=(); k_tps=()
for r in $(seq 1 "$repeat"); do
    b_tps+=("$(tps "$out/measures_bare.sql")")
    c_tps+=("$(tps "$out/measures_check.sql")")
    k_tps+=("$(tps "$out/measures_code.sql")")
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
printf '  %-52s | %10.0f\n' "credit.check(text of the id, ...) (by code)" "$(med "${k_tps[@]}")"
printf '  %-52s | %10s   (target >= 0.5; rounds: %s)\n' "check / bare (median of the rounds' ratios)" "$(med "${ratios[@]}")" "${ratios[*]}"
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
