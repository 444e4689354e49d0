-- Tiered supervision (分级分类监管): grades map to tiers A (low risk) to D
-- (high risk) through credit.tier_rule; double-random inspection draws
-- (双随机抽查) follow the tiers' inspection ratios.  Edits of the shipped
-- rows are rolled back; the test's own objects (sv_*) are removed at the end.
SET client_min_messages = warning;
\i sql/include/try.sql

-- The tiers and their (default) inspection ratios, and the shipped tier rules.
SELECT tier, name, inspection_ratio, is_default FROM credit.tier ORDER BY tier;
SELECT model, string_agg(grade || '→' || tier, ' ' ORDER BY grade) AS rules
  FROM credit.tier_rule GROUP BY model ORDER BY model;

-- Subjects: a firm with nothing (1000: B), a listed firm (vetoed to D), an
-- honoured firm (A), a person (A+ → tier A), a work-safety firm under key
-- supervision (industry grade C, comprehensive B).
INSERT INTO credit.department (code, name) VALUES ('sv_dept', 'Supervision test: work safety bureau');
CREATE TEMP TABLE sv_subject (n int PRIMARY KEY, id bigint);
WITH s AS (
    INSERT INTO credit.subject (kind, name, industries) VALUES
        ('enterprise', 'Supervision test Co. 1', '{}'),
        ('enterprise', 'Supervision test Co. 2', '{}'),
        ('enterprise', 'Supervision test Co. 3', '{}'),
        ('individual', 'Supervision test person 4', '{}'),
        ('enterprise', 'Supervision test Co. 5', '{work_safety}')
    RETURNING id, name)
INSERT INTO sv_subject SELECT substring(name FROM '[0-9]+$')::int, id FROM s;
INSERT INTO credit.record (subject_id, item_code, department, decided_on, value)
SELECT id, item, 'sv_dept', current_date - 1, v
  FROM sv_subject JOIN (VALUES (2, 'list_serious_dishonesty', 1), (3, 'honour_national', 1), (3, 'honour_provincial', 1),
                               (3, 'honour_city', 1), (4, 'volunteer_service', 8),
                               (5, 'work_safety_key_supervision', 1)) v (k, item, v) ON k = n;
SELECT v.n, g.model, g.grade, credit.supervision_tier(v.id) AS tier,
       credit.supervision_tier(v.id, 'work_safety') AS work_safety_tier
  FROM sv_subject v JOIN credit.subject_grade g ON g.subject_id = v.id
 ORDER BY v.n, g.model;

-- Tier rules and the default are data: edits take effect at once.
BEGIN;
UPDATE credit.tier_rule SET tier = 'C' WHERE model = 'comprehensive_enterprise' AND grade = 'B';
SELECT credit.supervision_tier(id) AS b_firm_now FROM sv_subject WHERE n = 1;
-- an unmapped grade falls back: to the comprehensive grade within an industry ...
DELETE FROM credit.tier_rule WHERE model = 'industry_work_safety';
SELECT credit.supervision_tier(id, 'work_safety') AS unmapped_industry_grade FROM sv_subject WHERE n = 5;
-- ... and to the default tier without one; the default can move (checked at commit)
DELETE FROM credit.tier_rule WHERE model = 'comprehensive_enterprise';
SELECT credit.supervision_tier(id) AS no_mapped_grade FROM sv_subject WHERE n = 1;
UPDATE credit.tier SET is_default = (tier = 'D');
SELECT credit.supervision_tier(id) AS new_default FROM sv_subject WHERE n = 1;
UPDATE credit.tier SET is_default = false;
SELECT credit.supervision_tier(id) AS no_default FROM sv_subject WHERE n = 1;
-- (two defaults are refused: 23P01 at commit, here forced by SET CONSTRAINTS)
SELECT pg_temp.try($q$UPDATE credit.tier SET is_default = true WHERE tier IN ('A', 'B');
                      SET CONSTRAINTS ALL IMMEDIATE$q$) AS two_defaults;
ROLLBACK;
SELECT credit.supervision_tier(id) AS after_rollback FROM sv_subject WHERE n = 1;

-- Bad input (22023); ratios out of range, unknown tiers and grades (23514, 23503).
SELECT pg_temp.try('SELECT credit.supervision_tier(-1)') AS unknown_subject;
SELECT pg_temp.try(format($q$SELECT credit.supervision_tier(%s, 'no_such_industry')$q$, id)) AS unknown_industry
  FROM sv_subject WHERE n = 1;
SELECT pg_temp.try($q$SELECT * FROM credit.draw_inspection('no_such_industry', 10, 1)$q$) AS draw_unknown_industry;
SELECT pg_temp.try($q$SELECT * FROM credit.draw_inspection('work_safety', -1, 1)$q$) AS draw_negative_n;
SELECT count(*) AS null_arguments FROM credit.draw_inspection(NULL, 10, 1);
SELECT pg_temp.try($q$UPDATE credit.tier SET inspection_ratio = 0 WHERE tier = 'A'$q$) AS ratio_0;
SELECT pg_temp.try($q$UPDATE credit.tier SET inspection_ratio = 1.5 WHERE tier = 'D'$q$) AS ratio_above_1;
SELECT pg_temp.try($q$INSERT INTO credit.tier (tier, name, inspection_ratio) VALUES ('E', 'Unknown', 0.5)$q$) AS tier_e;
SELECT pg_temp.try($q$UPDATE credit.tier_rule SET tier = 'E' WHERE model = 'comprehensive_enterprise' AND grade = 'A'$q$)
       AS rule_to_unknown_tier;
SELECT pg_temp.try($q$INSERT INTO credit.tier_rule VALUES ('comprehensive_enterprise', 'E', 'A')$q$) AS rule_of_unknown_grade;

-- A county industry with its own model (base 100; one point per unit of
-- violation; A >= 90, B >= 70, C >= 40, else D) and tier rules for it:
-- 2,000 firms, a quarter in each tier.  Draws depend on subject ids: the
-- firms get fixed ones (960001-962000).
INSERT INTO credit.industry (code, name) VALUES ('sv_test', 'Supervision test industry');
INSERT INTO credit.catalog_item (code, name, category, channel, library, polarity, severity, industry)
VALUES ('sv_violation', 'Supervision test violation', 'supervision', 'public', 'legal_person', 'negative', 'minor', 'sv_test');
INSERT INTO credit.model (code, name, scope, subject_kinds, base, lo, hi)
VALUES ('sv_model', 'Supervision test model', 'sv_test', '{enterprise}', 100, 0, 100);
INSERT INTO credit.model_grade (model, grade, min_score, rank) VALUES
    ('sv_model', 'A', 90, 1), ('sv_model', 'B', 70, 2), ('sv_model', 'C', 40, 3), ('sv_model', 'D', 0, 4);
INSERT INTO credit.model_rule (model, item_code, dimension, points, per_value)
VALUES ('sv_model', 'sv_violation', 'compliance', -1, true);
INSERT INTO credit.tier_rule (model, grade, tier) VALUES
    ('sv_model', 'A', 'A'), ('sv_model', 'B', 'B'), ('sv_model', 'C', 'C'), ('sv_model', 'D', 'D');
INSERT INTO credit.subject (id, kind, name, industries)
SELECT 960000 + g, 'enterprise', 'Supervision test firm ' || g, '{sv_test}' FROM generate_series(1, 2000) g;
CREATE TEMP TABLE sv_firm AS
SELECT id - 960000 AS n, id FROM credit.subject WHERE id BETWEEN 960001 AND 962000;
INSERT INTO credit.record (subject_id, item_code, department, decided_on, value)
SELECT id, 'sv_violation', 'sv_dept', current_date - 1, (ARRAY[20, 50, 80])[n % 4]
  FROM sv_firm WHERE n % 4 <> 0;
SELECT credit.supervision_tier(id, 'sv_test') AS tier, count(*) FROM sv_firm GROUP BY 1 ORDER BY 1;
SELECT industry, tier, inspection_ratio, subjects, planned_inspections
  FROM credit.v_supervision_tier WHERE industry = 'sv_test' ORDER BY tier;

-- The same seed gives the same draw; another seed another; every subject drawn once.
CREATE TEMP TABLE sv_draw AS
SELECT s.seed, d.ord, d.subject_id, d.tier
  FROM generate_series(1, 40) s (seed)
 CROSS JOIN LATERAL credit.draw_inspection('sv_test', 100, s.seed) WITH ORDINALITY d (subject_id, tier, ord);
SELECT count(*) AS drawn, count(DISTINCT subject_id) AS distinct_subjects,
       bool_and(subject_id IN (SELECT id FROM sv_firm)) AS all_of_the_industry
  FROM sv_draw WHERE seed = 1;
SELECT (SELECT array_agg(subject_id ORDER BY ord) FROM sv_draw WHERE seed = 1)
     = (SELECT array_agg(subject_id ORDER BY ord) FROM credit.draw_inspection('sv_test', 100, 1) WITH ORDINALITY d (subject_id, tier, ord))
       AS same_seed_same_draw,
       (SELECT array_agg(subject_id ORDER BY ord) FROM sv_draw WHERE seed = 1)
     = (SELECT array_agg(subject_id ORDER BY ord) FROM sv_draw WHERE seed = 2) AS seeds_1_2_same,
       (SELECT count(*) FROM sv_draw a JOIN sv_draw b ON a.subject_id = b.subject_id AND a.seed = 1 AND b.seed = 2)
       AS in_both_1_2;
-- each subject's tier is its supervision tier in the industry
SELECT count(*) FILTER (WHERE d.tier <> credit.supervision_tier(d.subject_id, 'sv_test')) AS wrong_tier FROM sv_draw d WHERE seed <= 3;
-- a smaller draw with the same seed is the start of the larger one
SELECT (SELECT array_agg(subject_id ORDER BY ord) FROM credit.draw_inspection('sv_test', 20, 7) WITH ORDINALITY d (subject_id, tier, ord))
     = (SELECT array_agg(subject_id ORDER BY ord) FROM sv_draw WHERE seed = 7 AND ord <= 20) AS prefix;

-- The same draw in a parallel worker (the function is PARALLEL SAFE) and for a unit's role.
SELECT string_agg(subject_id::text, ',' ORDER BY ord) AS draw_1 FROM sv_draw WHERE seed = 1 \gset
SET force_parallel_mode = on;
EXPLAIN (COSTS OFF) SELECT * FROM credit.draw_inspection('sv_test', 100, 1);
SELECT string_agg(subject_id::text, ',' ORDER BY ord) = :'draw_1' AS same_in_worker
  FROM credit.draw_inspection('sv_test', 100, 1) WITH ORDINALITY d (subject_id, tier, ord);
RESET force_parallel_mode;
SET ROLE credit_department;
SELECT string_agg(subject_id::text, ',' ORDER BY ord) = :'draw_1' AS same_for_unit
  FROM credit.draw_inspection('sv_test', 100, 1) WITH ORDINALITY d (subject_id, tier, ord);
RESET ROLE;

-- Realized shares follow the ratios: per tier, the draws of seed 1 and the
-- mean over 40 seeds against n × (subjects × ratio) / Σ (subjects × ratio).
WITH expected AS (
    SELECT t.tier, 100 * c.n * t.inspection_ratio / sum(c.n * t.inspection_ratio) OVER () AS expected
      FROM credit.tier t
      JOIN (SELECT credit.supervision_tier(id, 'sv_test') AS tier, count(*) AS n FROM sv_firm GROUP BY 1) c ON c.tier = t.tier
)
SELECT e.tier, round(e.expected, 1) AS expected,
       (SELECT count(*) FROM sv_draw d WHERE d.seed = 1 AND d.tier = e.tier) AS seed_1,
       round((SELECT count(*) FROM sv_draw d WHERE d.tier = e.tier) / 40.0, 1) AS mean_of_40
  FROM expected e ORDER BY e.tier;

-- n = 0, n above the population (everyone, once), inactive subjects never drawn.
SELECT count(*) AS none FROM credit.draw_inspection('sv_test', 0, 1);
SELECT count(*) AS everyone, count(DISTINCT subject_id) AS distinct_subjects
  FROM credit.draw_inspection('sv_test', 1000000, 1);
BEGIN;
UPDATE credit.subject SET status = 'deregistered' WHERE id IN (SELECT id FROM sv_firm WHERE n <= 50);
SELECT count(*) AS active_drawn,
       count(*) FILTER (WHERE subject_id IN (SELECT id FROM sv_firm WHERE n <= 50)) AS deregistered_drawn
  FROM credit.draw_inspection('sv_test', 1000000, 1);
ROLLBACK;

-- The ratios are data: with equal ratios every tier is drawn alike.
BEGIN;
UPDATE credit.tier SET inspection_ratio = 0.1;
SELECT tier, count(*) FROM generate_series(1, 40) s (seed),
       LATERAL credit.draw_inspection('sv_test', 100, s.seed) GROUP BY tier ORDER BY tier;
ROLLBACK;

-- The session's random() sequence is untouched by a draw.
SELECT setseed(0.25);
SELECT random() AS r1 \gset
SELECT setseed(0.25);
SELECT count(*) FROM credit.draw_inspection('sv_test', 10, 99);
SELECT random() = :r1 AS random_untouched;

-- Who may call what; volatility and parallel safety.
SELECT r.rolname, has_function_privilege(r.rolname, 'credit.draw_inspection(text, integer, bigint)', 'EXECUTE') AS draw,
       has_function_privilege(r.rolname, 'credit.supervision_tier(bigint, text)', 'EXECUTE') AS tier,
       has_table_privilege(r.rolname, 'credit.tier_rule', 'SELECT') AS read_rules,
       has_table_privilege(r.rolname, 'credit.tier_rule', 'UPDATE') AS edit_rules
  FROM pg_roles r WHERE r.rolname IN ('credit_admin', 'credit_department', 'credit_analyst', 'credit_public')
 ORDER BY 1;
SELECT p.proname, p.provolatile, p.proparallel, p.proisstrict
  FROM pg_proc p
 WHERE p.pronamespace = 'credit'::regnamespace
   AND p.proname IN ('draw_inspection', 'supervision_tier', 'tier_of', 'resolve_commitment', 'acting_departments')
 ORDER BY 1;

-- Clean up: the test's records, subjects, model, catalogue item, industry and unit
-- (without evaluation: a deletion would otherwise write new industry grade records).
SET credit.auto_evaluation = off;
DELETE FROM credit.record WHERE subject_id IN (SELECT id FROM sv_subject UNION ALL SELECT id FROM sv_firm);
DELETE FROM credit.subject WHERE id IN (SELECT id FROM sv_subject UNION ALL SELECT id FROM sv_firm);
DELETE FROM credit.model WHERE code = 'sv_model';
DELETE FROM credit.catalog_item WHERE code = 'sv_violation';
DELETE FROM credit.industry WHERE code = 'sv_test';
DELETE FROM credit.department WHERE code = 'sv_dept';
SELECT (SELECT count(*) FROM credit.tier_rule WHERE model = 'sv_model') AS tier_rules_left,
       (SELECT count(*) FROM credit.subject WHERE name LIKE 'Supervision test %') AS subjects_left;
RESET credit.auto_evaluation;
