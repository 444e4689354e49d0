-- make demo, last step: evaluate the synthetic county.  Industry models run
-- first (their grades become records the comprehensive models count), then
-- the two comprehensive models; then the grade distribution.
\pset footer off
\echo == industry evaluations (行业信用评价)
CREATE TEMP TABLE demo_run AS
SELECT m.code AS model, credit.run_evaluation(m.code) AS run
  FROM credit.model m WHERE m.scope <> 'comprehensive' ORDER BY m.code;
SELECT d.model, r.subjects, round(extract(epoch FROM r.finished_at - r.started_at)::numeric, 2) AS seconds
  FROM demo_run d JOIN credit.evaluation_run r ON r.id = d.run ORDER BY d.model;

\echo == comprehensive evaluation (公共信用综合评价)
INSERT INTO demo_run
SELECT m.code, credit.run_evaluation(m.code)
  FROM (VALUES (1, 'comprehensive_enterprise'), (2, 'comprehensive_individual')) AS m (ord, code) ORDER BY m.ord;
SELECT d.model, r.subjects, round(extract(epoch FROM r.finished_at - r.started_at)::numeric, 2) AS seconds
  FROM demo_run d JOIN credit.evaluation_run r ON r.id = d.run
 WHERE d.model LIKE 'comprehensive%' ORDER BY d.model;

\echo == grade distribution (credit.v_grade_distribution)
SELECT model, grade, subjects, round(100 * share, 1) AS percent, run
  FROM credit.v_grade_distribution
 WHERE model IN ('comprehensive_enterprise', 'comprehensive_individual')
 ORDER BY model, rank;

\echo == lowest-scored organisations and their dimensions
SELECT s.name, e.score::numeric(8, 1) AS score, e.grade,
       (SELECT string_agg(k || ' ' || round(v::numeric, 1), ', ' ORDER BY k)
          FROM jsonb_each_text(e.dimensions) AS d (k, v) WHERE v::float8 <> 0) AS dimensions
  FROM credit.evaluation e
  JOIN credit.subject s ON s.id = e.subject_id
 WHERE e.run_id = (SELECT max(id) FROM credit.evaluation_run WHERE model = 'comprehensive_enterprise')
 ORDER BY e.score, e.subject_id
 LIMIT 5;
