-- Evaluation: credit.evaluate_subject and credit.run_evaluation agree with an
-- independent SQL re-computation of the evaluation semantics (docs/evaluation.md) on every subject, at several
-- dates, with caps, vetoes, decays, statuses, per_value and dimension clamps.
SET datestyle = 'ISO, YMD';
-- the batch engine alone: incremental evaluation by the record triggers is off here
-- (tested in trigger.sql)
SET credit.auto_evaluation = off;

INSERT INTO credit.department (code, name) VALUES ('ev_dept', 'Evaluation test department');
INSERT INTO credit.industry (code, name) VALUES ('evaltest', 'Evaluation test industry');

-- A model exercising every rule feature; scope: the test industry only.
INSERT INTO credit.model (code, name, scope, subject_kinds, base, lo, hi)
    VALUES ('ev_model', 'Evaluation test model', 'evaltest', '{enterprise,individual}', 500, 380, 530);
INSERT INTO credit.model_grade (model, grade, min_score, rank) VALUES
    ('ev_model', 'A', 510, 1), ('ev_model', 'B', 495, 2), ('ev_model', 'C', 460, 3), ('ev_model', 'D', 0, 4);
INSERT INTO credit.model_dimension (model, dimension, weight, lo, hi) VALUES
    ('ev_model', 'd1', 2, -60, 15),
    ('ev_model', 'd2', 0.5, NULL, NULL);
INSERT INTO credit.model_rule (model, item_code, dimension, points, per_value, half_life_days, cap, veto_grade) VALUES
    ('ev_model', 'penalty_general', 'd1', -7, false, 200, 25, NULL),
    ('ev_model', 'penalty_serious', 'd1', -20, false, 400, NULL, 'C'),
    ('ev_model', 'charity_donation', 'd1', 3, false, 150, 10, NULL),
    ('ev_model', 'honour_city', 'd2', 11, true, NULL, 40, NULL),
    ('ev_model', 'loan_overdue', 'd2', -4.5, true, 90, 30, NULL),
    ('ev_model', 'contract_breach', 'd3', -9, false, NULL, NULL, NULL),
    ('ev_model', 'list_serious_dishonesty', 'd3', -1, false, NULL, NULL, 'D'),
    ('ev_model', 'commitment_kept', 'd3', 0.5, true, 30, NULL, NULL);

-- 400 subjects of the test industry (plus 20 outside its scope), deterministic records.
CREATE TEMP TABLE ev_subject AS
WITH ins AS (
    INSERT INTO credit.subject (kind, name, industries)
    SELECT CASE WHEN g % 3 = 0 THEN 'individual' ELSE 'enterprise' END::credit.subject_kind,
           'evaluation test subject ' || g,
           CASE WHEN g <= 400 THEN '{evaltest}'::text[] ELSE '{}'::text[] END
      FROM generate_series(1, 420) g
    RETURNING id, name)
SELECT id, split_part(name, ' ', 4)::int AS g FROM ins;

INSERT INTO credit.record (subject_id, item_code, department, decided_on, value, status)
SELECT s.id,
       (ARRAY['penalty_general', 'penalty_serious', 'charity_donation', 'honour_city', 'loan_overdue',
              'contract_breach', 'commitment_kept', 'license', 'penalty_general', 'loan_overdue',
              'honour_city', 'charity_donation'])[1 + (k * 7 + s.g) % 12],
       'ev_dept',
       date '2019-01-01' + ((k * 37 + s.g * 11) % 2000),
       ((k * 13 + s.g) % 7) - 1,
       (ARRAY['active', 'active', 'active', 'active', 'objected', 'active', 'repaired', 'active',
              'revoked', 'active', 'expired'])[1 + (k * 3 + s.g * 5) % 11]
  FROM ev_subject s, generate_series(1, 15 + s.g % 20) k;
-- subjects with many honours and donations (score and dimension upper bounds), or many breaches (lower bound)
INSERT INTO credit.record (subject_id, item_code, department, decided_on, value)
SELECT s.id, CASE WHEN k % 2 = 0 THEN 'honour_city' ELSE 'charity_donation' END, 'ev_dept',
       date '2023-01-01' + k * 40 + s.g, 5
  FROM ev_subject s, generate_series(1, 14) k WHERE s.g % 10 = 1;
INSERT INTO credit.record (subject_id, item_code, department, decided_on)
SELECT s.id, 'contract_breach', 'ev_dept', date '2020-01-01' + k * 50 + s.g
  FROM ev_subject s, generate_series(1, 15) k WHERE s.g % 10 = 2;
-- a few one-vote vetoes
INSERT INTO credit.record (subject_id, item_code, department, decided_on, status)
SELECT s.id, 'list_serious_dishonesty', 'ev_dept', date '2021-03-01' + s.g,
       CASE WHEN s.g % 2 = 0 THEN 'active' ELSE 'revoked' END
  FROM ev_subject s WHERE s.g % 37 = 0;

SELECT count(*) AS records, count(DISTINCT status) AS statuses, count(DISTINCT item_code) AS items,
       min(decided_on) AS first, max(decided_on) AS last
  FROM credit.record WHERE department = 'ev_dept';

-- The reference: the semantics written directly in SQL over the model tables.
CREATE FUNCTION pg_temp.ref_eval(p_model text, p_as_of date)
RETURNS TABLE (subject_id bigint, score double precision, grade text)
LANGUAGE sql STABLE AS $$
WITH m AS (SELECT * FROM credit.model WHERE code = p_model),
subj AS (
    SELECT s.id FROM credit.subject s, m
     WHERE s.kind = ANY (m.subject_kinds) AND (m.scope = 'comprehensive' OR m.scope = ANY (s.industries))),
item AS (   -- item totals S_i, clamped to ±cap
    SELECT r.subject_id, ru.item_code, ru.dimension,
           sum(ru.points::float8 * CASE WHEN ru.per_value THEN r.value ELSE 1 END
               * CASE WHEN ru.half_life_days IS NULL THEN 1
                      ELSE power(0.5::float8, (p_as_of - r.decided_on)::float8 / ru.half_life_days::float8) END) AS s,
           ru.cap::float8 AS cap
      FROM credit.record r
      JOIN credit.model_rule ru ON ru.model = p_model AND ru.item_code = r.item_code
     WHERE r.status = 'active' AND r.decided_on <= p_as_of AND r.subject_id IN (SELECT id FROM subj)
     GROUP BY r.subject_id, ru.item_code, ru.dimension, ru.cap),
dims AS (   -- every dimension of the model: declared or named by a rule
    SELECT dimension FROM credit.model_dimension WHERE model = p_model
    UNION SELECT dimension FROM credit.model_rule WHERE model = p_model),
dim AS (
    SELECT s.id AS subject_id, d.dimension,
           coalesce(md.weight, 1)::float8 * coalesce((SELECT sum(CASE WHEN i.cap IS NULL THEN i.s ELSE greatest(-i.cap, least(i.cap, i.s)) END)
                                                        FROM item i WHERE i.subject_id = s.id AND i.dimension = d.dimension), 0) AS raw,
           md.lo::float8 AS lo, md.hi::float8 AS hi
      FROM subj s CROSS JOIN dims d
      LEFT JOIN credit.model_dimension md ON md.model = p_model AND md.dimension = d.dimension),
sc AS (
    SELECT d.subject_id,
           (SELECT base FROM m)::float8 + sum(greatest(coalesce(d.lo, '-infinity'), least(coalesce(d.hi, 'infinity'), d.raw))) AS raw
      FROM dim d GROUP BY d.subject_id
    UNION ALL   -- a model without dimensions
    SELECT s.id, (SELECT base FROM m)::float8 FROM subj s WHERE NOT EXISTS (SELECT 1 FROM dims)),
clamped AS (
    SELECT sc.subject_id,
           greatest(coalesce((SELECT lo FROM m)::float8, '-infinity'), least(coalesce((SELECT hi FROM m)::float8, 'infinity'), sc.raw)) AS score
      FROM sc),
graded AS (
    SELECT c.subject_id, c.score,
           (SELECT g.rank FROM credit.model_grade g WHERE g.model = p_model AND g.min_score <= c.score ORDER BY g.rank LIMIT 1) AS by_score,
           (SELECT max(g.rank) FROM credit.record r
              JOIN credit.model_rule ru ON ru.model = p_model AND ru.item_code = r.item_code AND ru.veto_grade IS NOT NULL
              JOIN credit.model_grade g ON g.model = p_model AND g.grade = ru.veto_grade
             WHERE r.subject_id = c.subject_id AND r.status = 'active' AND r.decided_on <= p_as_of) AS veto
      FROM clamped c)
SELECT gr.subject_id, gr.score,
       (SELECT g.grade FROM credit.model_grade g WHERE g.model = p_model
           AND g.rank = CASE WHEN gr.veto IS NULL THEN gr.by_score
                             WHEN gr.by_score IS NULL THEN gr.veto
                             ELSE greatest(gr.by_score, gr.veto) END)
  FROM graded gr
$$;

-- Compare evaluate_subject with the reference on every subject in scope.
CREATE FUNCTION pg_temp.check_subjects(p_model text, p_as_of date)
RETURNS TABLE (subjects bigint, score_mismatch bigint, grade_mismatch bigint)
LANGUAGE sql AS $$
    SELECT count(*),
           count(*) FILTER (WHERE abs(e.score::float8 - r.score) > 1e-6),
           count(*) FILTER (WHERE e.grade IS DISTINCT FROM r.grade)
      FROM pg_temp.ref_eval(p_model, p_as_of) r,
           LATERAL credit.evaluate_subject(r.subject_id, p_model, p_as_of) e
$$;

SELECT d AS as_of, c.* FROM unnest(ARRAY[date '2020-06-30', '2022-01-01', '2023-07-15', '2025-09-01']) d,
       LATERAL pg_temp.check_subjects('ev_model', d) c;

-- The reference is not trivially satisfied: grades vary, caps, clamps and vetoes bite.
SELECT r.grade, count(*) FROM pg_temp.ref_eval('ev_model', date '2024-06-30') r GROUP BY 1 ORDER BY 1;
SELECT count(*) FILTER (WHERE score = 380) AS at_lo, count(*) FILTER (WHERE score = 530) AS at_hi
  FROM pg_temp.ref_eval('ev_model', date '2025-09-01');
SELECT count(*) FILTER (WHERE (e.dimensions ->> 'd1')::float8 = -60) AS d1_at_lo,
       count(*) FILTER (WHERE (e.dimensions ->> 'd1')::float8 = 15) AS d1_at_hi
  FROM ev_subject s, LATERAL credit.evaluate_subject(s.id, 'ev_model', date '2024-06-30') e WHERE s.g <= 400;

-- One subject by hand: records and result.
SELECT item_code, decided_on, value, status FROM credit.record
 WHERE subject_id = (SELECT id FROM ev_subject WHERE g = 74) ORDER BY decided_on, item_code;
SELECT * FROM credit.evaluate_subject((SELECT id FROM ev_subject WHERE g = 74), 'ev_model', date '2023-07-15');

-- run_evaluation at several dates agrees with the reference on every subject in scope.
CREATE FUNCTION pg_temp.check_run(p_model text, p_as_of date)
RETURNS TABLE (subjects bigint, missing bigint, score_mismatch bigint, grade_mismatch bigint)
LANGUAGE plpgsql AS $$
DECLARE
    run bigint := credit.run_evaluation(p_model, p_as_of);
BEGIN
    RETURN QUERY
    SELECT count(*), count(*) FILTER (WHERE e.subject_id IS NULL),
           count(*) FILTER (WHERE abs(e.score::float8 - r.score) > 1e-6),
           count(*) FILTER (WHERE e.grade IS DISTINCT FROM r.grade)
      FROM pg_temp.ref_eval(p_model, p_as_of) r
      LEFT JOIN credit.evaluation e ON e.run_id = run AND e.subject_id = r.subject_id;
END
$$;
SELECT d AS as_of, c.* FROM unnest(ARRAY[date '2020-06-30', '2023-07-15', '2025-09-01']) d,
       LATERAL pg_temp.check_run('ev_model', d) c;
SELECT count(*) AS evaluated, count(*) FILTER (WHERE e.subject_id IN (SELECT id FROM ev_subject WHERE g > 400)) AS out_of_scope
  FROM credit.evaluation e WHERE e.run_id = (SELECT max(id) FROM credit.evaluation_run WHERE model = 'ev_model');
SELECT subjects, finished_at IS NOT NULL AS finished FROM credit.evaluation_run WHERE model = 'ev_model' ORDER BY id;

-- subject_grade holds the latest run; its state re-anchored later equals the reference then.
CREATE TEMP TABLE ev_state AS
SELECT subject_id, state, anchor FROM credit.subject_grade WHERE model = 'ev_model';
SELECT count(*) AS grades, count(*) FILTER (WHERE anchor >= date '2025-09-01') AS anchored_at_last_run,
       count(*) FILTER (WHERE credit.evalstate_anchor(state) = anchor) AS state_anchored
  FROM ev_state;
SELECT count(*) AS subjects,
       count(*) FILTER (WHERE abs(credit.evalstate_score('ev_model', g.state, date '2026-01-01') - r.score) > 1e-6) AS score_mismatch,
       count(*) FILTER (WHERE credit.evalstate_grade('ev_model', g.state, date '2026-01-01') IS DISTINCT FROM r.grade) AS grade_mismatch
  FROM pg_temp.ref_eval('ev_model', date '2026-01-01') r
  JOIN ev_state g ON g.subject_id = r.subject_id;
-- a run at an earlier date does not overwrite a later current grade
SELECT credit.run_evaluation('ev_model', date '2021-01-01') > 0 AS ran;
SELECT count(*) FILTER (WHERE anchor >= date '2025-09-01') AS kept FROM credit.subject_grade WHERE model = 'ev_model';

-- Incremental: take revoked records out of the stored state, fold new ones in.
CREATE TEMP TABLE ev_changed AS
SELECT r.id, r.subject_id, r.item_code, r.decided_on, r.value, r.status
  FROM credit.record r JOIN ev_subject s ON s.id = r.subject_id
 WHERE r.status = 'active' AND s.g % 5 = 0 AND r.item_code IN ('penalty_general', 'honour_city', 'loan_overdue');
UPDATE credit.record r SET status = 'revoked' FROM ev_changed c WHERE c.id = r.id;
CREATE TEMP TABLE ev_added AS
WITH ins AS (
    INSERT INTO credit.record (subject_id, item_code, department, decided_on, value)
    SELECT s.id, 'loan_overdue', 'ev_dept', date '2025-10-01' + s.g % 30, 1 + s.g % 4
      FROM ev_subject s WHERE s.g % 4 = 0
    RETURNING subject_id, item_code, decided_on, value, status)
SELECT * FROM ins;
WITH removed AS (
    SELECT subject_id, credit.evaluate_agg('ev_model', date '2025-09-01', item_code, decided_on, value, status) AS st
      FROM ev_changed GROUP BY subject_id),
added AS (
    SELECT subject_id, credit.evaluate_agg('ev_model', date '2026-01-01', item_code, decided_on, value, status) AS st
      FROM ev_added GROUP BY subject_id),
incr AS (
    SELECT g.subject_id,
           credit.evalstate_merge('ev_model', credit.evalstate_merge('ev_model', g.state, rm.st, -1), ad.st, 1) AS st
      FROM ev_state g
      LEFT JOIN removed rm ON rm.subject_id = g.subject_id
      LEFT JOIN added ad ON ad.subject_id = g.subject_id)
SELECT count(*) AS subjects,
       count(*) FILTER (WHERE credit.evalstate_anchor(i.st) = date '2026-01-01') AS reanchored,
       count(*) FILTER (WHERE abs(credit.evalstate_score('ev_model', i.st, date '2026-03-01') - r.score) > 1e-6) AS score_mismatch,
       count(*) FILTER (WHERE credit.evalstate_grade('ev_model', i.st, date '2026-03-01') IS DISTINCT FROM r.grade) AS grade_mismatch
  FROM pg_temp.ref_eval('ev_model', date '2026-03-01') r JOIN incr i ON i.subject_id = r.subject_id;
SELECT (SELECT count(*) FROM ev_changed) > 100 AS removed_many, (SELECT count(*) FROM ev_added) AS added;

-- The default models against the same reference (on the test subjects only).
SELECT count(*) AS subjects,
       count(*) FILTER (WHERE abs(e.score::float8 - r.score) > 1e-6) AS score_mismatch,
       count(*) FILTER (WHERE e.grade IS DISTINCT FROM r.grade) AS grade_mismatch
  FROM pg_temp.ref_eval('comprehensive_enterprise', date '2024-12-31') r
  JOIN ev_subject s ON s.id = r.subject_id,
  LATERAL credit.evaluate_subject(r.subject_id, 'comprehensive_enterprise', date '2024-12-31') e;
SELECT count(*) AS subjects,
       count(*) FILTER (WHERE abs(e.score::float8 - r.score) > 1e-6) AS score_mismatch,
       count(*) FILTER (WHERE e.grade IS DISTINCT FROM r.grade) AS grade_mismatch
  FROM pg_temp.ref_eval('comprehensive_individual', date '2024-12-31') r
  JOIN ev_subject s ON s.id = r.subject_id,
  LATERAL credit.evaluate_subject(r.subject_id, 'comprehensive_individual', date '2024-12-31') e;

-- Industry grades become records the comprehensive model counts (the last
-- ev_model run wrote them; the previous ones expired).
SELECT item_code, status, count(*) FROM credit.record
 WHERE department = 'platform' AND details ->> 'model' = 'ev_model'
 GROUP BY 1, 2 ORDER BY 1, 2;
SELECT count(*) FILTER (WHERE r.decided_on = date '2021-01-01') AS latest_run_date
  FROM credit.record r WHERE r.details ->> 'model' = 'ev_model' AND r.status = 'active';
SELECT g.grade, e.dimensions -> 'supervision_risk' AS supervision_risk
  FROM (VALUES ('A', 'industry_grade_a'), ('C', 'industry_grade_c'), ('D', 'industry_grade_d')) g (grade, item),
  LATERAL (SELECT r.subject_id FROM credit.record r JOIN ev_subject s ON s.id = r.subject_id
            WHERE r.item_code = g.item AND r.status = 'active' AND s.g % 3 <> 0 AND s.g % 37 <> 0
              AND NOT EXISTS (SELECT 1 FROM credit.record o WHERE o.subject_id = r.subject_id
                                 AND o.status = 'active' AND o.item_code LIKE 'list%')
            ORDER BY r.subject_id LIMIT 1) x,
  LATERAL credit.evaluate_subject(x.subject_id, 'comprehensive_enterprise', date '2021-01-01') e
 ORDER BY 1;

-- The core query of run_evaluation runs as a parallel aggregate.
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
CREATE FUNCTION pg_temp.plan_has(q text, pattern text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    l text;
BEGIN
    FOR l IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
        IF l ~ pattern THEN
            RETURN true;
        END IF;
    END LOOP;
    RETURN false;
END
$$;
-- (the query of credit.run_evaluation: the aggregate itself skips inactive and later records)
SELECT pg_temp.plan_has($$SELECT r.subject_id, credit.evaluate_agg('ev_model', date '2025-09-01', r.item_code, r.decided_on, r.value, r.status)
                            FROM credit.record r
                           GROUP BY r.subject_id$$, 'Partial (Hash|Group)?Aggregate') AS partial_aggregate;
-- and the parallel result equals the serial one
CREATE TEMP TABLE ev_par AS
SELECT r.subject_id, credit.evaluate_agg('ev_model', date '2025-09-01', r.item_code, r.decided_on, r.value, r.status) AS st
  FROM credit.record r WHERE r.status = 'active' AND r.decided_on <= date '2025-09-01' GROUP BY r.subject_id;
SELECT count(*) AS subjects,
       count(*) FILTER (WHERE abs(credit.evalstate_score('ev_model', p.st, date '2025-09-01') - r.score) > 1e-6) AS score_mismatch
  FROM pg_temp.ref_eval('ev_model', date '2025-09-01') r JOIN ev_par p ON p.subject_id = r.subject_id;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- BI views.
SELECT grade, subjects, share, rank FROM credit.v_grade_distribution WHERE model = 'ev_model' ORDER BY rank;
SELECT sum(share) = 1 AS shares_add_up FROM credit.v_grade_distribution WHERE model = 'ev_model';
SELECT from_grade, to_grade, direction, subjects FROM credit.v_grade_movement
 WHERE model = 'ev_model' ORDER BY 1, 2;

-- Errors.
SELECT credit.run_evaluation('no_such_model');
SELECT credit.run_evaluation('ev_model', date '2999-01-01');
SELECT * FROM credit.evaluate_subject(-1, 'ev_model');
SELECT * FROM credit.evaluate_subject((SELECT id FROM ev_subject WHERE g = 1), 'no_such_model');

-- Clean up.
DELETE FROM credit.evaluation_run WHERE model = 'ev_model';
DELETE FROM credit.subject_grade WHERE subject_id IN (SELECT id FROM ev_subject);
DELETE FROM credit.record WHERE subject_id IN (SELECT id FROM ev_subject);
DELETE FROM credit.subject WHERE id IN (SELECT id FROM ev_subject);
DELETE FROM credit.model WHERE code = 'ev_model';
DELETE FROM credit.industry WHERE code = 'evaltest';
DELETE FROM credit.department WHERE code = 'ev_dept';
