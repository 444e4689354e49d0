-- Evaluation models are data: the shipped models, their checks, the model
-- cache and the evaluation state functions (scheduling: sql/scheduling.sql).
SET datestyle = 'ISO, YMD';

-- The shipped models.
SELECT m.code, m.scope, m.subject_kinds, m.base, m.lo, m.hi,
       (SELECT string_agg(g.grade || '>=' || g.min_score, ' ' ORDER BY g.rank) FROM credit.model_grade g WHERE g.model = m.code) AS grades,
       (SELECT count(*) FROM credit.model_rule r WHERE r.model = m.code) AS rules
  FROM credit.model m ORDER BY m.code;
SELECT dimension, name, weight, lo, hi FROM credit.model_dimension
 WHERE model = 'comprehensive_enterprise' ORDER BY dimension;
SELECT model, item_code, points, veto_grade FROM credit.model_rule
 WHERE veto_grade IS NOT NULL ORDER BY model, item_code;
-- every industry has a model over its five supervision indicators
SELECT i.code, count(r.item_code) AS indicators
  FROM credit.industry i LEFT JOIN credit.model_rule r ON r.model = 'industry_' || i.code AND r.item_code LIKE i.code || '\_%'
 GROUP BY i.code ORDER BY i.code;
-- the comprehensive model counts industry grades
SELECT item_code, dimension, points FROM credit.model_rule
 WHERE model = 'comprehensive_enterprise' AND item_code LIKE 'industry_grade_%' ORDER BY item_code;

-- Checks.
INSERT INTO credit.model (code, name, scope, subject_kinds) VALUES ('m_bad', 'bad', 'fishing', '{enterprise}');
INSERT INTO credit.model (code, name, subject_kinds, lo, hi) VALUES ('m_bad', 'bad', '{enterprise}', 10, 0);
INSERT INTO credit.model_rule (model, item_code, dimension, points, veto_grade)
    VALUES ('comprehensive_enterprise', 'license', 'honours', 1, 'Z');
INSERT INTO credit.model_rule (model, item_code, dimension, points, half_life_days)
    VALUES ('comprehensive_enterprise', 'license', 'honours', 1, 0);

-- A small model and one subject.
INSERT INTO credit.department (code, name) VALUES ('m_dept', 'Model test department');
INSERT INTO credit.model (code, name, subject_kinds, base, lo, hi)
    VALUES ('m_test', 'Model test', '{enterprise}', 100, 0, 150);
INSERT INTO credit.model_grade (model, grade, min_score, rank)
    VALUES ('m_test', 'A', 95, 1), ('m_test', 'B', 80, 2), ('m_test', 'C', 0, 3);
INSERT INTO credit.model_rule (model, item_code, dimension, points, per_value, half_life_days, cap)
    VALUES ('m_test', 'penalty_general', 'law_abiding', -4, false, 100, NULL),
           ('m_test', 'honour_county', 'honours', 5, true, NULL, 12);
CREATE TEMP TABLE m_subject AS
WITH ins AS (INSERT INTO credit.subject (kind, name) VALUES ('enterprise', 'Model test subject') RETURNING id)
SELECT id FROM ins;
INSERT INTO credit.record (subject_id, item_code, department, decided_on, value)
SELECT id, 'penalty_general', 'm_dept', date '2024-01-01', 1 FROM m_subject UNION ALL
SELECT id, 'penalty_general', 'm_dept', date '2024-04-10', 1 FROM m_subject UNION ALL
SELECT id, 'honour_county', 'm_dept', date '2023-05-01', 2 FROM m_subject;

-- 100 + 5×2 − 4×(0.5^(182/100) + 0.5^(82/100)) at 2024-07-01
SELECT * FROM credit.evaluate_subject((SELECT id FROM m_subject), 'm_test', date '2024-07-01');
SELECT round(100 + 10 - 4 * (power(0.5, 182 / 100.0) + power(0.5, 82 / 100.0)), 9) AS by_hand;
-- before the second penalty; before any record
SELECT score, grade FROM credit.evaluate_subject((SELECT id FROM m_subject), 'm_test', date '2024-02-01');
SELECT score, grade FROM credit.evaluate_subject((SELECT id FROM m_subject), 'm_test', date '2020-01-01');
-- a record under objection does not count
UPDATE credit.record SET status = 'objected' WHERE department = 'm_dept' AND decided_on = date '2024-04-10';
SELECT score, grade FROM credit.evaluate_subject((SELECT id FROM m_subject), 'm_test', date '2024-07-01');
UPDATE credit.record SET status = 'active' WHERE department = 'm_dept' AND decided_on = date '2024-04-10';

-- Changing the model changes the next evaluation (the cache follows the tables).
UPDATE credit.model_rule SET cap = 6 WHERE model = 'm_test' AND item_code = 'honour_county';
SELECT score, grade FROM credit.evaluate_subject((SELECT id FROM m_subject), 'm_test', date '2024-07-01');
UPDATE credit.model_dimension SET weight = 1 WHERE false;  -- no row: nothing changes
INSERT INTO credit.model_dimension (model, dimension, weight, lo) VALUES ('m_test', 'law_abiding', 3, -5);
SELECT score, grade, dimensions FROM credit.evaluate_subject((SELECT id FROM m_subject), 'm_test', date '2024-07-01');
-- a one-vote veto added to a rule caps the grade
UPDATE credit.model_rule SET veto_grade = 'B' WHERE model = 'm_test' AND item_code = 'penalty_general';
SELECT score, grade FROM credit.evaluate_subject((SELECT id FROM m_subject), 'm_test', date '2024-07-01');
-- ... but never improves a worse grade
UPDATE credit.model SET base = 60 WHERE code = 'm_test';
SELECT score, grade FROM credit.evaluate_subject((SELECT id FROM m_subject), 'm_test', date '2024-07-01');
-- inside a transaction, the transaction's own change is seen; after rollback it is gone
BEGIN;
UPDATE credit.model SET base = 200 WHERE code = 'm_test';
SELECT score, grade FROM credit.evaluate_subject((SELECT id FROM m_subject), 'm_test', date '2024-07-01');
ROLLBACK;
SELECT score, grade FROM credit.evaluate_subject((SELECT id FROM m_subject), 'm_test', date '2024-07-01');
UPDATE credit.model SET base = 100 WHERE code = 'm_test';
UPDATE credit.model_rule SET veto_grade = NULL WHERE model = 'm_test';
-- a grade threshold
UPDATE credit.model_grade SET min_score = 105 WHERE model = 'm_test' AND grade = 'A';
SELECT score, grade FROM credit.evaluate_subject((SELECT id FROM m_subject), 'm_test', date '2024-07-01');
-- a score reaching a min_score exactly in decimals gets that grade, although
-- the sum in binary floating point falls short by one unit in the last place:
-- scores are rounded to 9 decimal places before grading
SELECT 0.7::float8 + 0.1::float8 < 0.8::float8 AS binary_sum_falls_short;
INSERT INTO credit.model (code, name, subject_kinds, base) VALUES ('m_edge', 'Decimal boundary', '{enterprise}', 0.7);
INSERT INTO credit.model_grade (model, grade, min_score, rank) VALUES ('m_edge', 'A', 0.8, 1), ('m_edge', 'B', 0, 2);
INSERT INTO credit.model_rule (model, item_code, dimension, points) VALUES ('m_edge', 'honour_county', 'honours', 0.1);
SELECT score, grade FROM credit.evaluate_subject((SELECT id FROM m_subject), 'm_edge', date '2024-07-01');
SELECT credit.run_evaluation('m_edge', date '2024-07-01') > 0 AS ran;
SELECT score, grade FROM credit.subject_grade WHERE subject_id = (SELECT id FROM m_subject) AND model = 'm_edge';
DELETE FROM credit.model WHERE code = 'm_edge';

-- Evaluation states: stored form, anchor, re-anchoring, merging.
CREATE TEMP TABLE m_state AS
SELECT credit.evaluate_agg('m_test', date '2024-07-01', item_code, decided_on, value, status) AS st
  FROM credit.record WHERE department = 'm_dept';
SELECT length(st) AS bytes, credit.evalstate_anchor(st) AS anchor, credit.evalstate_valid('m_test', st) AS valid FROM m_state;
-- a state re-anchored forward equals a state computed there
SELECT credit.evalstate_reanchor('m_test', st, date '2024-12-01')
       = (SELECT credit.evaluate_agg('m_test', date '2024-12-01', item_code, decided_on, value, status)
            FROM credit.record WHERE department = 'm_dept') AS same_bytes,
       abs(credit.evalstate_score('m_test', credit.evalstate_reanchor('m_test', st, date '2024-12-01'), date '2024-12-01')
           - (SELECT score FROM credit.evaluate_subject((SELECT id FROM m_subject), 'm_test', date '2024-12-01'))::float8) < 1e-9 AS same_score
  FROM m_state;
-- finalizing later re-anchors by itself; earlier is refused
SELECT (credit.evalstate_result('m_test', st, date '2024-12-01')).score
       = (SELECT score FROM credit.evaluate_subject((SELECT id FROM m_subject), 'm_test', date '2024-12-01')) AS later_ok
  FROM m_state;
SELECT credit.evalstate_result('m_test', st, date '2024-06-30') FROM m_state;
-- removing every record gives the empty state (base score)
SELECT (credit.evalstate_result('m_test', credit.evalstate_merge('m_test', st, st, -1), date '2024-07-01')).*
  FROM m_state;
SELECT credit.evalstate_merge('m_test', st, st, 2) FROM m_state;
SELECT credit.evalstate_result('m_test', NULL, date '2024-07-01');
SELECT credit.evalstate_result('m_test', '\x0102'::bytea, date '2024-07-01');
SELECT credit.evalstate_result('m_test', credit.evalstate_empty('m_test', date '2024-01-01'), date '2024-07-01');
-- points or caps changing keep stored states valid; a half-life changing does not
UPDATE credit.model_rule SET points = -5 WHERE model = 'm_test' AND item_code = 'penalty_general';
SELECT credit.evalstate_valid('m_test', st) AS valid_after_points FROM m_state;
UPDATE credit.model_rule SET half_life_days = 50 WHERE model = 'm_test' AND item_code = 'penalty_general';
SELECT credit.evalstate_valid('m_test', st) AS valid_after_half_life FROM m_state;
SELECT credit.evalstate_result('m_test', st, date '2024-07-01') FROM m_state;
-- an aggregate over no rows is NULL: a subject without records
SELECT credit.evaluate_agg('m_test', date '2024-07-01', item_code, decided_on, value, status) IS NULL AS no_rows
  FROM credit.record WHERE false;

-- Clean up.
DELETE FROM credit.subject_grade WHERE subject_id IN (SELECT id FROM m_subject);
DELETE FROM credit.record WHERE department = 'm_dept';
DELETE FROM credit.subject WHERE id IN (SELECT id FROM m_subject);
DELETE FROM credit.model WHERE code = 'm_test';
DELETE FROM credit.department WHERE code = 'm_dept';
