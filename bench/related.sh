#!/usr/bin/env bash
# bench/related.sh: credit.related (C, breadth first, one query per level)
# against the same walk as a recursive CTE, on a county-sized relation graph.
#   BENCH_ROWS    enterprises (default 90000; as many individuals, about 3 relations per enterprise)
#   BENCH_REPEAT  rounds (default 3; the table shows medians)
# The graph is generated with a fixed seed: every enterprise has a legal
# representative (people chosen with a skew, so a few represent many
# companies), one to three shareholders (by id) (people or other enterprises), and one
# in twenty is a branch of another.  300 start subjects (half enterprises, half
# people) are walked to depth 2 and 3 by both; the results (subject, depth)
# are compared before anything is timed.
set -euo pipefail
rows=${BENCH_ROWS:-90000}
repeat=${BENCH_REPEAT:-3}
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }

psql -v rows="$rows" -v repeat="$repeat" <<'SQL'
SET credit.auto_evaluation = off;
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_related_start;
SELECT setseed(0.42) \g /dev/null
INSERT INTO credit.subject (id, kind, name)
SELECT g, 'enterprise', 'bench enterprise ' || g FROM generate_series(1, :rows) g;
INSERT INTO credit.subject (id, kind, name)
SELECT :rows + g, 'individual', 'bench person ' || g FROM generate_series(1, :rows) g;
-- legal representatives: person index skewed towards small numbers (hubs)
INSERT INTO credit.relation (from_subject, to_subject, kind)
SELECT :rows + 1 + floor(:rows * random() ^ 3)::bigint, g, 'legal_representative' FROM generate_series(1, :rows) g;
-- shareholders: one to three per enterprise, people or other enterprises
INSERT INTO credit.relation (from_subject, to_subject, kind, share)
SELECT DISTINCT ON (h, g) h, g, 'shareholder', 0.3
  FROM (SELECT g, CASE WHEN random() < 0.6 THEN :rows + 1 + floor(:rows * random() ^ 2)::bigint
                       ELSE 1 + floor(:rows * random())::bigint END AS h
          FROM generate_series(1, :rows) g, generate_series(1, 1 + g % 3) k) x
 WHERE h <> g;
-- branches
INSERT INTO credit.relation (from_subject, to_subject, kind)
SELECT g, 1 + floor(:rows * random())::bigint, 'branch' FROM generate_series(1, :rows) g
 WHERE random() < 0.05 AND g > 1;
DELETE FROM credit.relation WHERE from_subject = to_subject;
ANALYZE credit.subject;
ANALYZE credit.relation;
CREATE TABLE bench_related_start AS
SELECT s AS id FROM generate_series(1, :rows, (:rows / 150)::int) s
UNION ALL SELECT :rows + s FROM generate_series(1, :rows, (:rows / 150)::int) s;

-- The same walk as a recursive CTE: every path without repeated subjects, then
-- each subject at its smallest depth.
CREATE FUNCTION pg_temp.related_cte(start bigint, max_depth int)
RETURNS TABLE (subject_id bigint, depth int) LANGUAGE sql STABLE AS $$
    WITH RECURSIVE walk (subject_id, depth, path) AS (
        SELECT start, 0, ARRAY[start]
        UNION ALL
        SELECT e.other, w.depth + 1, w.path || e.other
          FROM walk w
          CROSS JOIN LATERAL (SELECT r.to_subject AS other FROM credit.relation r
                               WHERE r.from_subject = w.subject_id
                                 AND (r.valid_from IS NULL OR r.valid_from <= CURRENT_DATE)
                                 AND (r.valid_to IS NULL OR r.valid_to >= CURRENT_DATE)
                              UNION ALL
                              SELECT r.from_subject FROM credit.relation r
                               WHERE r.to_subject = w.subject_id
                                 AND (r.valid_from IS NULL OR r.valid_from <= CURRENT_DATE)
                                 AND (r.valid_to IS NULL OR r.valid_to >= CURRENT_DATE)) e
         WHERE w.depth < max_depth AND e.other <> ALL (w.path))
    SELECT w.subject_id, min(w.depth) FROM walk w WHERE w.depth > 0 GROUP BY w.subject_id
$$;

SELECT count(*) AS subjects FROM credit.subject \gset
SELECT count(*) AS relations FROM credit.relation \gset
\echo graph: :subjects subjects, :relations relations; 300 start subjects
-- both give the same subjects at the same depths
DO $$
DECLARE
    s bigint;
    d int;
    bad bigint;
BEGIN
    FOR d IN 2..3 LOOP
        FOR s IN SELECT id FROM bench_related_start LOOP
            SELECT count(*) INTO bad FROM (
                (SELECT r.subject_id, r.depth FROM credit.related(s, d) r
                 EXCEPT SELECT * FROM pg_temp.related_cte(s, d))
                UNION ALL
                (SELECT * FROM pg_temp.related_cte(s, d)
                 EXCEPT SELECT r.subject_id, r.depth FROM credit.related(s, d) r)) x;
            IF bad > 0 THEN
                RAISE EXCEPTION 'credit.related(%, %) and the recursive CTE differ in % rows', s, d, bad;
            END IF;
        END LOOP;
    END LOOP;
END
$$;

CREATE TEMP TABLE timing (round int, depth int, method text, ms double precision, reached bigint);
CREATE FUNCTION pg_temp.time_walks(rnd int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    d int;
    t0 timestamptz;
    n bigint;
BEGIN
    FOR d IN 2..3 LOOP
        t0 := clock_timestamp();
        SELECT sum(c) INTO n FROM bench_related_start b,
               LATERAL (SELECT count(*) AS c FROM credit.related(b.id, d)) x;
        INSERT INTO timing VALUES (rnd, d, 'credit.related (C)',
                                   extract(epoch FROM clock_timestamp() - t0) * 1000, n);
        t0 := clock_timestamp();
        SELECT sum(c) INTO n FROM bench_related_start b,
               LATERAL (SELECT count(*) AS c FROM pg_temp.related_cte(b.id, d)) x;
        INSERT INTO timing VALUES (rnd, d, 'recursive CTE',
                                   extract(epoch FROM clock_timestamp() - t0) * 1000, n);
    END LOOP;
END
$$;
SELECT count(*) AS rounds FROM (SELECT pg_temp.time_walks(g) FROM generate_series(1, :repeat) g) x \gset
SELECT t.depth, t.method, max(t.reached) / 300 AS mean_reached,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY t.ms)::numeric, 0) AS median_ms,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY t.ms)
              / (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY b.ms) FROM timing b
                  WHERE b.depth = t.depth AND b.method = 'recursive CTE'))::numeric, 3) AS ratio_to_cte
  FROM timing t GROUP BY t.depth, t.method ORDER BY t.depth, t.method;

DROP TABLE bench_related_start;
TRUNCATE credit.relation;
DELETE FROM credit.subject WHERE name LIKE 'bench %';
SQL
