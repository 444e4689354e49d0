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

\echo == enterprises by grade, against the calibration target
\echo    The records of the demo are calibrated to the grades that the 2018 public credit
\echo    evaluation of Zhejiang province gave enterprises (four grades, best first:
\echo    2.3 % / 76.4 % / 20.0 % / 1.3 %; docs/demo.md). The model also grades social
\echo    organisations, public institutions and government organs, which that figure does not
\echo    cover: they are left out here.
SELECT t.grade, count(e.subject_id) AS enterprises,
       round(100.0 * count(e.subject_id) / sum(count(e.subject_id)) OVER (), 1) AS percent,
       t.percent AS target
  FROM (VALUES ('A', 2.3), ('B', 76.4), ('C', 20.0), ('D', 1.3)) AS t (grade, percent)
  LEFT JOIN (credit.evaluation e JOIN credit.subject s ON s.id = e.subject_id AND s.kind = 'enterprise')
    ON e.grade = t.grade
   AND e.run_id = (SELECT run FROM demo_run WHERE model = 'comprehensive_enterprise')
 GROUP BY t.grade, t.percent ORDER BY t.grade;

\echo == the five lowest-scored enterprises
\echo    score = base 1000 + the total of each dimension: 遵纪守法 law_abiding, 履约践诺 contract,
\echo    资质荣誉 honours, 社会责任 social_responsibility, 监管风险 supervision_risk. A total is the
\echo    sum of the points of the records of that dimension, each decayed by its age (half-lives
\echo    of half a year to three years; list entries do not decay), clamped to the floor of the dimension
\echo    (law_abiding -300, contract -200, supervision_risk -400: marked floor). Grades by score:
\echo    A >= 1050, B >= 950, C >= 800, else D; then the vetoes: a serious-dishonesty listing
\echo    forces D; a serious penalty, a loan default or a dishonest-debtor listing caps the grade
\echo    at C. records: the negative records that count, by item.
SELECT s.name, e.score::numeric(8, 1) AS score, e.grade,
       (SELECT string_agg(d.dimension || ' ' || round((e.dimensions ->> d.dimension)::numeric, 1)
                          || CASE WHEN (e.dimensions ->> d.dimension)::float8 <= d.lo THEN ' floor' ELSE '' END,
                          ', ' ORDER BY d.dimension)
          FROM credit.model_dimension d
         WHERE d.model = e.model AND (e.dimensions ->> d.dimension)::float8 <> 0) AS dimensions,
       (SELECT string_agg(x.item_code || ' ' || x.n, ', ' ORDER BY x.n DESC, x.item_code)
          FROM (SELECT r.item_code, count(*) AS n
                  FROM credit.record r
                  JOIN credit.model_rule mr ON mr.model = e.model AND mr.item_code = r.item_code AND mr.points < 0
                 WHERE r.subject_id = e.subject_id AND r.status = 'active'
                 GROUP BY r.item_code) x) AS records
  FROM credit.evaluation e
  JOIN credit.subject s ON s.id = e.subject_id AND s.kind = 'enterprise'
 WHERE e.run_id = (SELECT run FROM demo_run WHERE model = 'comprehensive_enterprise')
 ORDER BY e.score, e.subject_id
 LIMIT 5;
