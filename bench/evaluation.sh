#!/usr/bin/env bash
# bench/evaluation: the evaluation engine against a bare grouped scan.
# Generates a county of SUBJECTS subjects and RECORDS records in SQL, then times
#   (a) SELECT subject_id, count(*) FROM credit.record GROUP BY 1    (the scan limit)
#   (a') the same forced to scan the heap, (a'') the same with a plain
#       (subject_id) index besides the covering one, for reference
#   (b) the C aggregate credit.evaluate_agg over all subjects, finalized to score and grade
#   (c) the same model written as one plain SQL query
#   (d1) (d2) (d3) three PL/pgSQL loops over subjects (bench/evaluation_loops.sql):
#        one query per subject with the rules applied in PL/pgSQL; one grouped
#        query per subject; one query per subject and rule
#   (e) the whole credit.run_evaluation
# and prints b/a, c/b, d1/b, d2/b, d3/b, d1/a, e/a.
# Targets: b/a <= 1.5, c/b >= 3, d/b >= 20.  Every loop's result is checked
# against the C aggregate over the same subjects.
# Runs against the server PGHOST/PGPORT/PGUSER name (bench/run sets them) in
# PGDATABASE (default bench).
#   SUBJECTS (200000)  RECORDS (10000000)  REPEAT (3: best of)
#   SAMPLE (0: the loops evaluate every subject; N: N subjects, extrapolated)
#   LOOP_REPEAT (1: best of, for the loops)
#   SKEW (1): 1 = half the records skewed towards few subjects and common items
#             (like a real county), 0 = records and items spread evenly
set -euo pipefail
SUBJECTS=${SUBJECTS:-200000}
RECORDS=${RECORDS:-10000000}
SAMPLE=${SAMPLE:-0}
REPEAT=${REPEAT:-3}
LOOP_REPEAT=${LOOP_REPEAT:-1}
SKEW=${SKEW:-1}
export PGDATABASE=${PGDATABASE:-bench}
MODEL=comprehensive_enterprise
AS_OF=$(psql -X -At -c "SELECT CURRENT_DATE")

q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# Best wall time in milliseconds of a query over REPEAT runs (its small result discarded).
timeit() {
    local sql=$1 best="" t
    for _ in $(seq "$REPEAT"); do
        t=$(q -At -c '\timing on' -c "$sql" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1)
        [ -n "$t" ] || { echo "query failed: $sql" >&2; exit 1; }
        if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
    done
    echo "$best"
}

q -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS credit CASCADE" >/dev/null

have=$(q -At -c "SELECT count(*) FROM credit.record WHERE department = 'bench' AND item_code <> 'list_serious_dishonesty'")
layout=$(q -At -c "SELECT name FROM credit.department WHERE code = 'bench'")
if [ "$have" != "$RECORDS" ] || [ "$layout" != "Benchmark department (skew $SKEW)" ]; then
    echo "generating $SUBJECTS subjects and $RECORDS records ..."
    q <<SQL
SET session_replication_role = replica;   -- bulk load: no per-row triggers
DELETE FROM credit.record WHERE department = 'bench';
DELETE FROM credit.evaluation;
DELETE FROM credit.subject_grade;
DELETE FROM credit.subject WHERE name LIKE 'bench subject %';
INSERT INTO credit.department (code, name) VALUES ('bench', 'Benchmark department (skew $SKEW)')
    ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name;
INSERT INTO credit.subject (kind, name, name_key, industries)
SELECT (CASE g % 20 WHEN 0 THEN 'social_org' WHEN 1 THEN 'institution' WHEN 2 THEN 'government' ELSE 'enterprise' END)::credit.subject_kind,
       'bench subject ' || g, 'bench subject ' || g,
       CASE g % 10 WHEN 3 THEN '{work_safety}'::text[] WHEN 4 THEN '{construction}'::text[] ELSE '{}'::text[] END
  FROM generate_series(1, $SUBJECTS) g;
CREATE TEMP TABLE bench_ids AS
SELECT row_number() OVER (ORDER BY id) - 1 AS k, id FROM credit.subject WHERE name LIKE 'bench subject %';
CREATE INDEX ON bench_ids (k);
ANALYZE bench_ids;
-- Records: half spread evenly over the subjects, half skewed towards a few
-- (large enterprises carry many records); items skewed too (licences and
-- routine inspections are common, serious penalties rare).
INSERT INTO credit.record (subject_id, item_code, department, decided_on, value, status, publicity_until)
SELECT b.id,
       (ARRAY['license','license','license','work_safety_daily_ok','loan_repaid','commitment_kept',
              'construction_random_pass','utility_arrears','penalty_warning','tax_grade_a','honour_county',
              'penalty_minor','loan_overdue','contract_breach','social_insurance_arrears','penalty_general',
              'charity_donation','honour_city','tax_arrears','work_safety_daily_issue','commitment_broken',
              'list_abnormal_operation','honour_provincial','penalty_serious','loan_repaid','license'])
           [1 + CASE WHEN $SKEW = 1 THEN floor(26 * power(((g * 2654435761 + x.k * 40503) % 1000003) / 1000003.0, 3))::int
                     ELSE ((g * 7 + g / 13) % 26)::int END],
       'bench',
       CURRENT_DATE - ((g * 31) % 3000)::int,
       1 + g % 3,
       CASE WHEN g % 29 = 0 THEN 'revoked' WHEN g % 31 = 0 THEN 'repaired' ELSE 'active' END,
       NULL
  FROM generate_series(0::bigint, $RECORDS - 1) g
  CROSS JOIN LATERAL (SELECT CASE WHEN $SKEW = 0 OR g % 2 = 0 THEN (g * 7919) % $SUBJECTS
                                  ELSE floor($SUBJECTS * power(((g * 104729) % 1000003) / 1000003.0, 2))::bigint END AS k) x
  JOIN bench_ids b ON b.k = x.k;
-- a few seriously dishonest subjects (one-vote veto)
INSERT INTO credit.record (subject_id, item_code, department, decided_on)
SELECT id, 'list_serious_dishonesty', 'bench', CURRENT_DATE - 100 FROM bench_ids WHERE k % 997 = 0;
SQL
    q -c "VACUUM (ANALYZE) credit.record" -c "VACUUM (ANALYZE) credit.subject" >/dev/null
fi
RECORDS_NOW=$(q -At -c "SELECT count(*) FROM credit.record")
SUBJECTS_NOW=$(q -At -c "SELECT count(*) FROM credit.subject")

# The same model as one plain SQL query (docs/evaluation.md), float arithmetic.
PLAIN_SQL="
WITH m AS (SELECT * FROM credit.model WHERE code = '$MODEL'),
item AS (
    SELECT r.subject_id, ru.item_code, ru.dimension,
           sum(ru.points::float8 * CASE WHEN ru.per_value THEN r.value ELSE 1 END
               * CASE WHEN ru.half_life_days IS NULL THEN 1
                      ELSE power(0.5::float8, (date '$AS_OF' - r.decided_on) / ru.half_life_days::float8) END) AS s,
           ru.cap::float8 AS cap, max(g.rank) AS veto
      FROM credit.record r
      JOIN credit.model_rule ru ON ru.model = '$MODEL' AND ru.item_code = r.item_code
      LEFT JOIN credit.model_grade g ON g.model = ru.model AND g.grade = ru.veto_grade
     WHERE r.status = 'active' AND r.decided_on <= date '$AS_OF'
     GROUP BY r.subject_id, ru.item_code, ru.dimension, ru.cap),
dim AS (
    SELECT i.subject_id, i.dimension,
           sum(CASE WHEN i.cap IS NULL THEN i.s ELSE greatest(-i.cap, least(i.cap, i.s)) END) AS v,
           max(i.veto) AS veto
      FROM item i GROUP BY 1, 2),
sc AS (
    SELECT d.subject_id,
           sum(greatest(coalesce(md.lo::float8, '-infinity'), least(coalesce(md.hi::float8, 'infinity'),
               coalesce(md.weight::float8, 1) * d.v))) AS total,
           max(d.veto) AS veto
      FROM dim d LEFT JOIN credit.model_dimension md ON md.model = '$MODEL' AND md.dimension = d.dimension
     GROUP BY 1),
scored AS (
    SELECT s.id, greatest(m.lo::float8, least(m.hi::float8, m.base::float8 + coalesce(sc.total, 0))) AS score, sc.veto
      FROM credit.subject s CROSS JOIN m LEFT JOIN sc ON sc.subject_id = s.id
     WHERE s.kind = ANY (m.subject_kinds))
SELECT count(*), sum(x.score), count(*) FILTER (WHERE x.grade = 'A')
  FROM (SELECT sd.score,
               (SELECT g.grade FROM credit.model_grade g WHERE g.model = '$MODEL'
                   AND g.rank = greatest(coalesce(sd.veto, 0),
                                         (SELECT min(g2.rank) FROM credit.model_grade g2
                                           WHERE g2.model = '$MODEL' AND g2.min_score <= sd.score))) AS grade
          FROM scored sd) x"

AGG_SQL="
SELECT count(*), sum(e.score), count(*) FILTER (WHERE e.grade = 'A')
  FROM credit.model m
  JOIN credit.subject s ON s.kind = ANY (m.subject_kinds)
  LEFT JOIN (SELECT r.subject_id,
                    credit.evaluate_agg('$MODEL', date '$AS_OF', r.item_code, r.decided_on, r.value, r.status) AS st
               FROM credit.record r
              GROUP BY r.subject_id) a ON a.subject_id = s.id
  CROSS JOIN LATERAL (SELECT credit.evalstate_score('$MODEL', a.st, date '$AS_OF') AS score,
                             credit.evalstate_grade('$MODEL', a.st, date '$AS_OF') AS grade) e
 WHERE m.code = '$MODEL'"

SCAN_SQL="SELECT count(*), sum(n) FROM (SELECT subject_id, count(*) AS n FROM credit.record GROUP BY 1) t"

# (d1), (d2), (d3): PL/pgSQL loops over subjects (bench/evaluation_loops.sql),
# over every subject in scope or, with SAMPLE=N, over N subjects drawn by a
# hash of their id (a sample by id arithmetic would follow the generator's
# own patterns), extrapolated per subject.
q -f "$(dirname "$0")/evaluation_loops.sql" >/dev/null
if [ "$SAMPLE" -gt 0 ]; then
    sample_sql="ORDER BY hashint8(s.id), s.id LIMIT $SAMPLE"
else
    sample_sql=""
fi
q >/dev/null <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS public.bench_sample;
CREATE TABLE public.bench_sample AS
SELECT s.id FROM credit.subject s, credit.model m
 WHERE m.code = '$MODEL' AND s.kind = ANY (m.subject_kinds) $sample_sql;
ANALYZE public.bench_sample;
SQL
IN_SCOPE=$(q -At -c "SELECT count(*) FROM credit.subject s, credit.model m WHERE m.code = '$MODEL' AND s.kind = ANY (m.subject_kinds)")
d_n=$(q -At -c "SELECT count(*) FROM public.bench_sample")
LOOPS="bench_loop_records bench_loop_subject_query bench_loop_rule_queries"

# The C aggregate over the subjects of the sample, for the loops' checks.
AGG_SAMPLE_SQL="
SELECT count(*), sum(e.score), count(*) FILTER (WHERE e.grade = 'A')
  FROM public.bench_sample b
  LEFT JOIN (SELECT r.subject_id,
                    credit.evaluate_agg('$MODEL', date '$AS_OF', r.item_code, r.decided_on, r.value, r.status) AS st
               FROM credit.record r
              WHERE r.subject_id IN (SELECT id FROM public.bench_sample)
              GROUP BY r.subject_id) a ON a.subject_id = b.id
  CROSS JOIN LATERAL (SELECT credit.evalstate_score('$MODEL', a.st, date '$AS_OF') AS score,
                             credit.evalstate_grade('$MODEL', a.st, date '$AS_OF') AS grade) e"

echo "records: $RECORDS_NOW, subjects: $SUBJECTS_NOW ($IN_SCOPE in the scope of $MODEL), as of $AS_OF, skew $SKEW"
# warm the cache
q -At -c "$SCAN_SQL" >/dev/null
a=$(timeit "$SCAN_SQL")
a_seq=$(timeit "SET enable_indexonlyscan = off; SET enable_indexscan = off; SET enable_bitmapscan = off; $SCAN_SQL")
# (a''): the same with a plain (subject_id) index as well, which the planner
# prefers for a bare count (built for this step, then dropped).
q -c "CREATE INDEX bench_record_subject_plain ON credit.record (subject_id)" >/dev/null
q -At -c "$SCAN_SQL" >/dev/null
a_plain=$(timeit "$SCAN_SQL")
q -c "DROP INDEX credit.bench_record_subject_plain" >/dev/null
b=$(timeit "$AGG_SQL")
c=$(timeit "$PLAIN_SQL")
# The loops: best time of LOOP_REPEAT runs, and the result of the last one.
declare -A d loop_result
for f in $LOOPS; do
    best=""
    for _ in $(seq "$LOOP_REPEAT"); do
        out=$(q -At -c '\timing on' -c "SELECT x::text FROM public.$f('$MODEL', date '$AS_OF') x")
        loop_result[$f]=$(printf '%s\n' "$out" | grep '^(' | tail -n 1)
        t=$(printf '%s\n' "$out" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1)
        [ -n "$t" ] && [ -n "${loop_result[$f]}" ] || { echo "loop $f failed" >&2; exit 1; }
        if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
    done
    d[$f]=$(awk "BEGIN{printf \"%.1f\", $best * $IN_SCOPE / $d_n}")
done
e=$(timeit "SELECT credit.run_evaluation('$MODEL', date '$AS_OF')")

# the three evaluations agree
q -At -c "SELECT 'check: aggregate  (subjects, sum of scores, grade A): ' || x::text FROM ($AGG_SQL) x"
q -At -c "SELECT 'check: plain SQL  (subjects, sum of scores, grade A): ' || x::text FROM ($PLAIN_SQL) x"
q -At -c "SELECT 'check: run        (subjects, sum of scores, grade A): ' || (count(*), sum(score::float8), count(*) FILTER (WHERE grade = 'A'))::text
          FROM credit.evaluation WHERE run_id = (SELECT max(id) FROM credit.evaluation_run)"

# each loop agrees with the C aggregate on the subjects it evaluated
agg_sample=$(q -At -c "SELECT x::text FROM ($AGG_SAMPLE_SQL) x")
echo "check: aggregate  over the $d_n loop subjects: $agg_sample"
for f in $LOOPS; do
    got=${loop_result[$f]}
    echo "check: $f: $got"
    awk -v want="$agg_sample" -v got="$got" 'BEGIN{
        gsub(/[()]/, "", want); gsub(/[()]/, "", got); split(want, w, ","); split(got, g, ",");
        tol = 1e-9 * (w[2] < 0 ? -w[2] : w[2]) + 1e-6;
        d = w[2] - g[2]; if (d < 0) d = -d;
        exit !(w[1] == g[1] && w[3] == g[3] && d <= tol) }' \
        || { echo "$f disagrees with the C aggregate" >&2; exit 1; }
done

if [ "$d_n" = "$IN_SCOPE" ]; then
    loop_note="all $d_n subjects"
else
    loop_note="$d_n-subject sample, extrapolated"
fi
printf '\n%-64s %12s\n' "step" "ms"
printf '%-64s %12.1f\n' "(a) SELECT subject_id, count(*) ... GROUP BY 1" "$a"
printf '%-64s %12.1f\n' "(a') the same, heap scan (index scans off), for reference" "$a_seq"
printf '%-64s %12.1f\n' "(a'') the same with a plain (subject_id) index as well" "$a_plain"
printf '%-64s %12.1f\n' "(b) C aggregate evaluate_agg, all subjects" "$b"
printf '%-64s %12.1f\n' "(c) same model as one plain SQL query" "$c"
printf '%-64s %12.1f\n' "(d1) PL/pgSQL loop: a query per subject, rules in PL/pgSQL" "${d[bench_loop_records]}"
printf '%-64s %12.1f\n' "(d2) PL/pgSQL loop: a grouped query per subject, jsonb" "${d[bench_loop_subject_query]}"
printf '%-64s %12.1f\n' "(d3) PL/pgSQL loop: a query per subject and rule" "${d[bench_loop_rule_queries]}"
printf '%-64s\n' "     (the three loops: $loop_note)"
printf '%-64s %12.1f\n' "(e) credit.run_evaluation('$MODEL')" "$e"
printf '\n%-10s %8s %10s\n' "ratio" "value" "target"
awk -v a="$a" -v as="$a_seq" -v ap="$a_plain" -v b="$b" -v c="$c" -v d1="${d[bench_loop_records]}" \
    -v d2="${d[bench_loop_subject_query]}" -v d3="${d[bench_loop_rule_queries]}" -v e="$e" 'BEGIN{
    printf "%-10s %8.2f %10s\n", "b/a", b / a, "<= 1.5";
    printf "%-10s %8.2f %10s\n", "b/a'"'"'", b / as, "";
    printf "%-10s %8.2f %10s\n", "b/a'"'"''"'"'", b / ap, "";
    printf "%-10s %8.2f %10s\n", "c/b", c / b, ">= 3";
    printf "%-10s %8.2f %10s\n", "d1/b", d1 / b, ">= 20";
    printf "%-10s %8.2f %10s\n", "d2/b", d2 / b, ">= 20";
    printf "%-10s %8.2f %10s\n", "d3/b", d3 / b, ">= 20";
    printf "%-10s %8.2f %10s   %s\n", "d1/a", d1 / a, "", "(what d1/b would be if (b) cost no more than (a))";
    printf "%-10s %8.2f %10s\n", "e/a", e / a, "";
}'
q >/dev/null <<SQL
DROP FUNCTION public.bench_loop_records(text, date), public.bench_loop_subject_query(text, date),
              public.bench_loop_rule_queries(text, date), public.bench_eval_subject(bigint, text, date),
              public.bench_finish(record, double precision[], integer), public.bench_model_arrays(text);
DROP TABLE public.bench_sample;
SQL
