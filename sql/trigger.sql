-- Auto-evaluation when data arrives: the statement triggers on credit.record
-- keep credit.subject_grade equal to a fresh evaluation, log grade changes
-- and raise warnings.  Dates are relative to the current date.
SET client_min_messages = warning;
INSERT INTO credit.department (code, name) VALUES
    ('tr_market', 'Trigger test market bureau'), ('tr_bank', 'Trigger test bank');
INSERT INTO credit.subject (id, kind, name, industries)
SELECT 930000 + g, 'enterprise', 'Trigger test Co. ' || g,
       CASE WHEN g % 3 = 0 THEN '{work_safety}'::text[] ELSE '{}' END
  FROM generate_series(1, 12) g;
INSERT INTO credit.subject (id, kind, name) VALUES
    (930013, 'individual', 'Trigger test person'), (930014, 'enterprise', 'Trigger test Co. 14'),
    (930015, 'enterprise', 'Trigger test Co. 15'), (930016, 'enterprise', 'Trigger test Co. 16');
CREATE TEMP TABLE tr_subject AS
SELECT id - 930000 AS n, id FROM credit.subject WHERE id BETWEEN 930001 AND 930016;

-- Every stored grade of the test subjects against a fresh evaluation, and
-- pairs that have a rated record but no stored grade.
CREATE TEMP VIEW tr_check AS
SELECT count(g.subject_id) AS stored,
       count(*) FILTER (WHERE g.subject_id IS NULL) AS missing,
       count(*) FILTER (WHERE abs(g.score - e.score) > 1e-6) AS score_diff,
       count(*) FILTER (WHERE g.grade IS DISTINCT FROM e.grade) AS grade_diff
  FROM credit.model_subject ms
  JOIN tr_subject t ON t.id = ms.subject_id
  LEFT JOIN credit.subject_grade g ON g.subject_id = ms.subject_id AND g.model = ms.model
  CROSS JOIN LATERAL credit.evaluate_subject(ms.subject_id, ms.model) e
 WHERE g.subject_id IS NOT NULL
    OR EXISTS (SELECT 1 FROM credit.record r JOIN credit.model_rule mr
                 ON mr.model = ms.model AND mr.item_code = r.item_code
                WHERE r.subject_id = ms.subject_id AND r.status = 'active');

-- A multi-row insert: one statement, folded per (subject, model).
INSERT INTO credit.record (subject_id, item_code, department, decided_on, value, document_no)
SELECT t.id,
       (ARRAY['penalty_general', 'honour_city', 'contract_breach', 'loan_overdue', 'tax_arrears',
              'license', 'work_safety_random_fail', 'work_safety_daily_ok'])[1 + (g % 8)],
       CASE WHEN g % 2 = 0 THEN 'tr_market' ELSE 'tr_bank' END,
       CURRENT_DATE - (g * 37) % 900, 1 + g % 3, 'tr-' || g
  FROM generate_series(1, 60) g JOIN tr_subject t ON t.n = 1 + g % 12;
SELECT * FROM tr_check;
SELECT t.n, g.model, round(g.score, 3) AS score, g.grade, g.anchor = CURRENT_DATE AS anchored_today
  FROM credit.subject_grade g JOIN tr_subject t ON t.id = g.subject_id
 WHERE t.n IN (1, 2, 3) ORDER BY t.n, g.model;

-- Status changes (objection, repair, back to active), value changes, deletes,
-- a record moved to another subject: the state follows.
UPDATE credit.record SET status = 'objected' WHERE document_no IN ('tr-1', 'tr-2', 'tr-3', 'tr-13');
SELECT * FROM tr_check;
UPDATE credit.record SET status = 'repaired' WHERE document_no IN ('tr-4', 'tr-16');
UPDATE credit.record SET status = 'active' WHERE document_no IN ('tr-1', 'tr-13');
UPDATE credit.record SET value = value + 2 WHERE document_no LIKE 'tr-_5';
UPDATE credit.record SET details = '{"note": "no effect on the grade"}' WHERE document_no = 'tr-7';
SELECT * FROM tr_check;
DELETE FROM credit.record WHERE document_no IN ('tr-8', 'tr-20', 'tr-33');
UPDATE credit.record SET subject_id = (SELECT id FROM tr_subject WHERE n = 11) WHERE document_no = 'tr-10';
SELECT * FROM tr_check;

-- A statement that touches nothing rated writes nothing.
SELECT count(*) AS changes_before FROM credit.grade_change c JOIN tr_subject t ON t.id = c.subject_id \gset
UPDATE credit.record SET document_no = document_no WHERE document_no LIKE 'tr-%';
SELECT count(*) - :changes_before AS new_changes FROM credit.grade_change c JOIN tr_subject t ON t.id = c.subject_id;

-- Grade changes are logged with their cause and the record that caused them.
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
SELECT id, 'penalty_general', 'tr_market', CURRENT_DATE - 1, 'tr-drop-' || k
  FROM tr_subject, generate_series(1, 3) k WHERE n = 2;
SELECT t.n, c.model, c.old_grade, c.new_grade, c.cause,
       r.document_no LIKE 'tr-drop-%' AS caused_by_new_record
  FROM credit.grade_change c JOIN tr_subject t ON t.id = c.subject_id
  LEFT JOIN credit.record r ON r.id = c.record_id
 WHERE t.n = 2 ORDER BY c.id DESC LIMIT 1;
SELECT * FROM tr_check;

-- A department user with no right on credit.subject_grade still has its
-- records evaluated (the trigger acts as the table owner).
CREATE ROLE tr_unit_user;
GRANT credit_department TO tr_unit_user;
-- (row-level security of credit.record calls credit.acting_departments)
GRANT EXECUTE ON FUNCTION credit.acting_departments() TO tr_unit_user;
UPDATE credit.department SET role = 'tr_unit_user' WHERE code = 'tr_market';
SET ROLE tr_unit_user;
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
VALUES (930004, 'honour_county', 'tr_market', CURRENT_DATE - 2, 'tr-unit');
UPDATE credit.record SET status = 'objected' WHERE document_no = 'tr-unit';
UPDATE credit.record SET status = 'active' WHERE document_no = 'tr-unit';
SELECT count(*) AS unit_sees_grades FROM credit.subject_grade WHERE subject_id = 930004;
RESET ROLE;
SELECT * FROM tr_check;

-- Warnings: a serious record, a listing (one-vote veto to D), a broken
-- commitment, repeated offences; an open warning is not raised twice.
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
SELECT id, item, 'tr_market', CURRENT_DATE - k, 'tr-w-' || k
  FROM tr_subject,
       (VALUES (1, 'penalty_serious'), (2, 'list_serious_dishonesty'), (3, 'commitment_broken'),
               (4, 'penalty_serious')) v(k, item)
 WHERE n = 5;
SELECT w.kind, w.level, w.topic, w.details ->> 'item_code' AS item
  FROM credit.warning w JOIN tr_subject t ON t.id = w.subject_id
 WHERE t.n = 5 ORDER BY w.kind, w.topic;
SELECT g.model, g.grade FROM credit.subject_grade g JOIN tr_subject t ON t.id = g.subject_id
 WHERE t.n = 5 ORDER BY g.model;
-- the rule says 3 negative records within 365 days: two are not enough, three are
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
VALUES (930015, 'tax_arrears', 'tr_bank', CURRENT_DATE - 10, 'tr-r-1'),
       (930015, 'tax_arrears', 'tr_bank', CURRENT_DATE - 400, 'tr-r-old'),
       (930015, 'utility_arrears', 'tr_bank', CURRENT_DATE - 20, 'tr-r-2');
SELECT count(*) AS repeat_warnings FROM credit.warning WHERE subject_id = 930015 AND kind = 'repeat_offence';
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
VALUES (930015, 'contract_breach', 'tr_bank', CURRENT_DATE - 30, 'tr-r-3');
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
VALUES (930015, 'contract_breach', 'tr_bank', CURRENT_DATE - 31, 'tr-r-4');
SELECT kind, level, details FROM credit.warning WHERE subject_id = 930015 AND kind = 'repeat_offence';
-- a second serious record does not raise a second open warning
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
SELECT id, 'penalty_serious', 'tr_market', CURRENT_DATE, 'tr-w-again' FROM tr_subject WHERE n = 5;
SELECT count(*) AS open_serious FROM credit.warning w JOIN tr_subject t ON t.id = w.subject_id
 WHERE t.n = 5 AND w.kind = 'serious_record' AND w.resolved_at IS NULL;
-- once resolved, the next one is raised again
SELECT credit.resolve_warning(w.id, 'handled') FROM credit.warning w JOIN tr_subject t ON t.id = w.subject_id
 WHERE t.n = 5 AND w.kind = 'serious_record';
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
SELECT id, 'penalty_serious', 'tr_market', CURRENT_DATE, 'tr-w-third' FROM tr_subject WHERE n = 5;
SELECT count(*) FILTER (WHERE resolved_at IS NULL) AS open, count(*) FILTER (WHERE resolved_at IS NOT NULL) AS resolved,
       max(details ->> 'resolution') AS note
  FROM credit.warning w JOIN tr_subject t ON t.id = w.subject_id
 WHERE t.n = 5 AND w.kind = 'serious_record';
-- the rules are configurable: with repeat offences at 10 records, none is raised
UPDATE credit.warning_rule SET threshold = 10 WHERE kind = 'repeat_offence';
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
SELECT 930016, 'contract_breach', 'tr_bank', CURRENT_DATE - k, 'tr-c-' || k
  FROM generate_series(1, 4) k;
SELECT count(*) AS repeat_warnings_16 FROM credit.warning WHERE subject_id = 930016 AND kind = 'repeat_offence';
UPDATE credit.warning_rule SET threshold = 3 WHERE kind = 'repeat_offence';
SELECT credit.raise_warning(id, 'report_conflict', '{"report": "third party"}', 'r1') IS NOT NULL AS raised,
       credit.raise_warning(id, 'report_conflict', '{"report": "third party"}', 'r1') IS NULL AS not_again
  FROM tr_subject WHERE n = 7;
SELECT * FROM tr_check;
-- BI: the summary counts them (other tests may have raised warnings too: only the kinds here)
SELECT kind, level, open_warnings >= 1 AS some_open, enabled
  FROM credit.v_warning_summary
 WHERE (kind, level) IN (('serious_record', 'high'), ('repeat_offence', 'high'), ('report_conflict', 'low'))
 ORDER BY kind;

SELECT max(id) AS last_change FROM credit.grade_change \gset
-- An industry grade is a record of the comprehensive model: key supervision
-- (veto to C) moves subject 9's work-safety grade, which writes a new
-- industry_grade record that the comprehensive model counts, all in one statement.
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
SELECT id, 'work_safety_key_supervision', 'tr_market', CURRENT_DATE - 1, 'tr-ws' FROM tr_subject WHERE n = 9;
SELECT r.item_code, r.status, r.details ->> 'model' AS model, r.details ->> 'grade' AS grade
  FROM credit.record r JOIN tr_subject t ON t.id = r.subject_id
 WHERE t.n = 9 AND r.item_code LIKE 'industry_grade_%' ORDER BY r.id;
SELECT c.model, c.old_grade, c.new_grade, c.cause
  FROM credit.grade_change c JOIN tr_subject t ON t.id = c.subject_id
 WHERE t.n = 9 AND c.id > :last_change ORDER BY c.id;
SELECT * FROM tr_check;

-- COPY of a department's feed is folded in the same way.  The feed's dates
-- are days before today (a test must not depend on the day it runs), so the
-- file is written by the server first and then COPYed in.
CREATE TEMP TABLE tr_feed (subject_id bigint, item_code text, department text, days_ago int, value float8, document_no text);
INSERT INTO tr_feed
VALUES (930001, 'loan_overdue', 'tr_bank', 544, 2, 'tr-copy-1'),
       (930001, 'loan_repaid', 'tr_bank', 514, 1, 'tr-copy-2'),
       (930002, 'utility_arrears', 'tr_bank', 681, 1, 'tr-copy-3'),
       (930003, 'work_safety_daily_issue', 'tr_bank', 696, 1, 'tr-copy-4'),
       (930003, 'work_safety_daily_issue', 'tr_bank', 637, 1, 'tr-copy-5'),
       (930004, 'loan_overdue', 'tr_bank', 634, 5, 'tr-copy-6'),
       (930006, 'work_safety_daily_ok', 'tr_bank', 602, 1, 'tr-copy-7'),
       (930006, 'work_safety_random_fail', 'tr_bank', 571, 1, 'tr-copy-8'),
       (930007, 'loan_repaid', 'tr_bank', 539, 1, 'tr-copy-9'),
       (930009, 'work_safety_random_pass', 'tr_bank', 508, 1, 'tr-copy-10'),
       (930010, 'honour_provincial', 'tr_bank', 476, 1, 'tr-copy-11'),
       (930011, 'loan_default', 'tr_bank', 444, 1, 'tr-copy-12'),
       (930012, 'loan_overdue', 'tr_bank', 413, 3, 'tr-copy-13'),
       (930013, 'blood_donation', 'tr_bank', 381, 1, 'tr-copy-14'),
       (930013, 'lawsuit_breach_lost', 'tr_bank', 695, 1, 'tr-copy-15');
DO $$
DECLARE
    f text := current_setting('data_directory') || '/tr_feed.csv';
BEGIN
    EXECUTE format('COPY (SELECT subject_id, item_code, department, CURRENT_DATE - days_ago, value, document_no
                            FROM tr_feed) TO %L (FORMAT csv)', f);
    EXECUTE format('COPY credit.record (subject_id, item_code, department, decided_on, value, document_no)
                    FROM %L (FORMAT csv)', f);
END
$$;
SELECT * FROM tr_check;

-- Daily re-anchoring: decay alone moves a score.  Subject 14 gets two general
-- penalties dated 200 days ago; its grade as computed then (C: 940) is stored
-- as if evaluated that day; re-anchoring to today gives B (959) and logs it.
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
SELECT id, 'penalty_general', 'tr_market', CURRENT_DATE - 200, 'tr-decay-' || k
  FROM tr_subject, generate_series(1, 2) k WHERE n = 14;
UPDATE credit.subject_grade g
   SET state = x.state, anchor = CURRENT_DATE - 200, score = x.score, grade = x.grade
  FROM (SELECT g2.subject_id, g2.model, s.state, r.score, r.grade
          FROM credit.subject_grade g2,
               LATERAL (SELECT credit.evalstate_reanchor(g2.model, g2.state, CURRENT_DATE - 200) AS state) s,
               LATERAL credit.evalstate_result(g2.model, s.state, CURRENT_DATE - 200) r
         WHERE g2.subject_id = 930014 AND g2.model = 'comprehensive_enterprise') x
 WHERE g.subject_id = x.subject_id AND g.model = x.model;
SELECT round(score, 3) AS score_200_days_ago, grade FROM credit.subject_grade g JOIN tr_subject t ON t.id = g.subject_id
 WHERE t.n = 14 AND g.model = 'comprehensive_enterprise';
SELECT credit.reanchor_grades() >= 1 AS changed;
SELECT round(score, 3) AS score_today, grade, anchor = CURRENT_DATE AS anchored_today
  FROM credit.subject_grade g JOIN tr_subject t ON t.id = g.subject_id
 WHERE t.n = 14 AND g.model = 'comprehensive_enterprise';
SELECT c.old_grade, c.new_grade, c.cause, c.record_id FROM credit.grade_change c JOIN tr_subject t ON t.id = c.subject_id
 WHERE t.n = 14 AND c.cause = 'decay';
SELECT * FROM tr_check;
SELECT credit.reanchor_grades(CURRENT_DATE + 1);

-- A stored state of an older rule set is recomputed from the records.
UPDATE credit.model_rule SET half_life_days = 300 WHERE model = 'comprehensive_enterprise' AND item_code = 'honour_city';
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
SELECT id, 'honour_city', 'tr_market', CURRENT_DATE - 3, 'tr-rules' FROM tr_subject WHERE n IN (1, 2);
SELECT count(*) FILTER (WHERE abs(g.score - e.score) <= 1e-6 AND g.grade IS NOT DISTINCT FROM e.grade) AS fresh_after_rule_change
  FROM credit.subject_grade g JOIN tr_subject t ON t.id = g.subject_id
  CROSS JOIN LATERAL credit.evaluate_subject(g.subject_id, g.model) e
 WHERE t.n IN (1, 2) AND g.model = 'comprehensive_enterprise';
UPDATE credit.model_rule SET half_life_days = 1095 WHERE model = 'comprehensive_enterprise' AND item_code = 'honour_city';

-- With credit.auto_evaluation off (superusers: bulk loads), records are not
-- folded; the next evaluation run brings the grade up to date, and the grade
-- changes runs make are logged and notified too (cause evaluation).
SET credit.auto_evaluation = off;
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
VALUES (930010, 'list_serious_dishonesty', 'tr_market', CURRENT_DATE - 1, 'tr-run');
RESET credit.auto_evaluation;
SELECT grade AS stale_grade FROM credit.subject_grade WHERE subject_id = 930010 AND model = 'comprehensive_enterprise';
SELECT credit.run_evaluation('comprehensive_enterprise') > 0 AS ran;
SELECT grade FROM credit.subject_grade WHERE subject_id = 930010 AND model = 'comprehensive_enterprise';
SELECT model, old_grade, new_grade, cause, record_id FROM credit.grade_change
 WHERE subject_id = 930010 AND cause = 'evaluation';
SELECT kind, topic, details ->> 'cause' AS cause FROM credit.warning
 WHERE subject_id = 930010 AND kind = 'grade_drop' AND details ->> 'cause' = 'evaluation';
SELECT * FROM tr_check;

-- Folding at commit (credit.fold_at = 'commit', the default): inside a
-- transaction the statements only queue their changes (credit.pending_fold);
-- the grades move at COMMIT, all at once.  A statement rolled back to a
-- savepoint counts for nothing: neither its records nor its warnings.
SELECT max(id) AS last_change FROM credit.grade_change \gset
SELECT grade AS grade8_before FROM credit.subject_grade
 WHERE subject_id = 930008 AND model = 'comprehensive_enterprise' \gset
BEGIN;
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
VALUES (930008, 'penalty_serious', 'tr_market', CURRENT_DATE - 1, 'tr-tx-1');
SAVEPOINT sp;
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
VALUES (930008, 'list_serious_dishonesty', 'tr_market', CURRENT_DATE - 1, 'tr-tx-2'),
       (930007, 'list_serious_dishonesty', 'tr_market', CURRENT_DATE - 1, 'tr-tx-2');
ROLLBACK TO SAVEPOINT sp;
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
VALUES (930007, 'contract_breach', 'tr_bank', CURRENT_DATE - 2, 'tr-tx-3');
SELECT count(*) AS pending_statements FROM credit.pending_fold;
SELECT grade = :'grade8_before' AS grade8_unchanged_inside FROM credit.subject_grade
 WHERE subject_id = 930008 AND model = 'comprehensive_enterprise';
COMMIT;
SELECT count(*) AS pending_after_commit FROM credit.pending_fold;
SELECT t.n, c.model, c.old_grade, c.new_grade, c.cause, r.document_no
  FROM credit.grade_change c JOIN tr_subject t ON t.id = c.subject_id
  LEFT JOIN credit.record r ON r.id = c.record_id
 WHERE c.id > :last_change ORDER BY c.id;
SELECT t.n, w.kind, w.topic FROM credit.warning w JOIN tr_subject t ON t.id = w.subject_id
 WHERE t.n IN (7, 8) AND w.resolved_at IS NULL AND w.kind IN ('serious_record', 'listed')
 ORDER BY t.n, w.kind;
SELECT * FROM tr_check;

-- Grades visible inside the transaction: SET CONSTRAINTS ... IMMEDIATE folds
-- the queued changes at once and every later statement at its end;
-- credit.fold_at = 'statement' folds at the end of each statement without
-- queueing.
BEGIN;
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
VALUES (930007, 'penalty_serious', 'tr_market', CURRENT_DATE - 1, 'tr-tx-4');
SELECT grade AS grade7_queued FROM credit.subject_grade WHERE subject_id = 930007 AND model = 'comprehensive_enterprise';
SET CONSTRAINTS credit.pending_fold_apply IMMEDIATE;
SELECT grade AS grade7_immediate FROM credit.subject_grade WHERE subject_id = 930007 AND model = 'comprehensive_enterprise';
UPDATE credit.record SET status = 'objected' WHERE document_no = 'tr-tx-4';
SELECT grade AS grade7_after_objection, (SELECT count(*) FROM credit.pending_fold) AS pending
  FROM credit.subject_grade WHERE subject_id = 930007 AND model = 'comprehensive_enterprise';
COMMIT;
BEGIN;
SET LOCAL credit.fold_at = 'statement';
UPDATE credit.record SET status = 'active' WHERE document_no = 'tr-tx-4';
SELECT grade AS grade7_statement_mode, (SELECT count(*) FROM credit.pending_fold) AS pending
  FROM credit.subject_grade WHERE subject_id = 930007 AND model = 'comprehensive_enterprise';
COMMIT;
SELECT * FROM tr_check;

-- A transaction of several statements that moves an industry grade: the
-- industry grade record written at commit is counted by the comprehensive
-- model in the same commit.
SELECT max(id) AS last_change FROM credit.grade_change \gset
BEGIN;
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
VALUES (930012, 'work_safety_key_supervision', 'tr_market', CURRENT_DATE - 1, 'tr-tx-ws');
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
VALUES (930012, 'honour_city', 'tr_market', CURRENT_DATE - 1, 'tr-tx-ws');
COMMIT;
SELECT r.item_code, r.status, r.details ->> 'model' AS model, r.details ->> 'grade' AS grade
  FROM credit.record r WHERE r.subject_id = 930012 AND r.item_code LIKE 'industry_grade_%' ORDER BY r.id;
SELECT c.model, c.old_grade, c.new_grade, c.cause
  FROM credit.grade_change c WHERE c.subject_id = 930012 AND c.id > :last_change ORDER BY c.id;
SELECT * FROM tr_check;

-- The example of docs/auto-evaluation.md.
INSERT INTO credit.department (code, name) VALUES ('example_bureau', 'Market Supervision Bureau (市场监管局)');
INSERT INTO credit.subject (id, kind, name) VALUES (930100, 'enterprise', '江阴示例科技有限公司');
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
VALUES (930100, 'penalty_serious', 'example_bureau', CURRENT_DATE - 3, '澄市监罚〔2026〕1号');
SELECT model, round(score, 2) AS score, grade FROM credit.subject_grade WHERE subject_id = 930100;
SELECT model, old_grade, new_grade, cause FROM credit.grade_change WHERE subject_id = 930100;
SELECT kind, level, topic FROM credit.warning WHERE subject_id = 930100 AND resolved_at IS NULL ORDER BY kind;
UPDATE credit.record SET status = 'objected' WHERE document_no = '澄市监罚〔2026〕1号';
SELECT grade FROM credit.subject_grade WHERE subject_id = 930100;
DELETE FROM credit.record WHERE subject_id = 930100;
DELETE FROM credit.subject WHERE id = 930100;
DELETE FROM credit.department WHERE code = 'example_bureau';

-- A subject has a current grade under every model in its scope from the
-- moment it is registered (the base score without records); when its
-- industries change it is evaluated afresh under the models it enters and
-- leaves the ones it no longer belongs to.
INSERT INTO credit.subject (id, kind, name, industries)
     VALUES (930200, 'enterprise', 'Trigger test scope Co.', '{water}');
SELECT model, round(score, 3) AS score, grade FROM credit.subject_grade WHERE subject_id = 930200 ORDER BY model;
INSERT INTO credit.record (subject_id, item_code, department, decided_on)
     VALUES (930200, 'transport_random_fail', 'tr_market', CURRENT_DATE - 3);
UPDATE credit.subject SET industries = '{transport}' WHERE id = 930200;
SELECT g.model, round(g.score, 3) AS score, g.grade, abs(g.score - e.score) < 1e-6 AS exact
  FROM credit.subject_grade g CROSS JOIN LATERAL credit.evaluate_subject(g.subject_id, g.model) e
 WHERE g.subject_id = 930200 ORDER BY g.model;
DELETE FROM credit.record WHERE subject_id = 930200;
DELETE FROM credit.subject WHERE id = 930200;

-- clean up (removing the work-safety records moves subject 9's industry
-- grade back, which writes one more industry grade record: delete twice)
DELETE FROM credit.record r USING tr_subject t WHERE r.subject_id = t.id;
SELECT item_code, details ->> 'grade' AS grade FROM credit.record WHERE subject_id = 930009;
DELETE FROM credit.record r USING tr_subject t WHERE r.subject_id = t.id;
SELECT count(*) AS base_again FROM credit.subject_grade g JOIN tr_subject t ON t.id = g.subject_id
 WHERE g.model = 'comprehensive_enterprise' AND g.score = 1000;
DELETE FROM credit.subject s USING tr_subject t WHERE s.id = t.id;
DELETE FROM credit.department WHERE code IN ('tr_market', 'tr_bank');
REVOKE EXECUTE ON FUNCTION credit.acting_departments() FROM tr_unit_user;
DROP ROLE tr_unit_user;
