-- Settings and units as an attacker would try them (docs/security.md).
--
-- credit.restoring and credit.auto_evaluation switch triggers off: only
-- superusers set them, and the triggers read them through C accessors
-- (credit.restoring(), credit.auto_evaluation()) that load the library, so a
-- placeholder set before the library loads counts for nothing
-- (t/018_settings_unloaded.pl tries that on a server without preloading).
-- A unit naming a role that does not exist acts for nobody and blocks no
-- other unit.

CREATE ROLE regress_credit_dept_ss NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_credit_ss_clerk LOGIN IN ROLE regress_credit_dept_ss;
INSERT INTO credit.department (code, name, role) VALUES
    ('ss_tax', 'Settings test bureau', 'regress_credit_dept_ss'),
    ('ss_gone', 'A bureau whose role was dropped', 'regress_credit_ss_no_such_role'),
    ('ss_typo', 'A bureau whose role is misspelt', 'Regress_Credit_Dept_SS');
INSERT INTO credit.subject (kind, name) VALUES ('enterprise', '江阴示例设置有限公司') RETURNING id AS firm \gset

SET SESSION AUTHORIZATION regress_credit_ss_clerk;
-- the units this clerk acts for: its own only, whatever other rows name
SELECT credit.acting_departments();
-- and it works as usual: writes and reads its own records
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
VALUES (:firm, 'penalty_general', 'ss_tax', DATE '2025-03-01', '澄罚〔2025〕81号') RETURNING department;
SELECT count(*) AS own_records FROM credit.record WHERE subject_id = :firm;
-- a unit without a role is no one's to act for
\set VERBOSITY terse
INSERT INTO credit.record (subject_id, item_code, department, decided_on)
VALUES (:firm, 'penalty_general', 'ss_gone', DATE '2025-03-01');

-- the settings that switch triggers off: superusers only
SET credit.restoring = on;
SET credit.auto_evaluation = off;
BEGIN;
SET LOCAL credit.restoring = on;
ROLLBACK;
SELECT set_config('credit.restoring', 'on', false);
\set VERBOSITY default
SELECT credit.restoring() AS restoring, credit.auto_evaluation() AS auto_evaluation;
-- so the triggers still check: a record of a subject that does not exist
\set VERBOSITY terse
INSERT INTO credit.record (subject_id, item_code, department, decided_on)
VALUES (-1, 'penalty_general', 'ss_tax', DATE '2025-03-01');
\set VERBOSITY default
RESET SESSION AUTHORIZATION;

-- A superuser may: the accessors follow the setting.
BEGIN;
SET LOCAL credit.restoring = on;
SET LOCAL credit.auto_evaluation = off;
SELECT credit.restoring() AS restoring, credit.auto_evaluation() AS auto_evaluation;
ROLLBACK;
SELECT credit.restoring() AS restoring, credit.auto_evaluation() AS auto_evaluation;

-- Clean up.
SET SESSION AUTHORIZATION regress_credit_ss_clerk;
DELETE FROM credit.record WHERE subject_id = :firm;
RESET SESSION AUTHORIZATION;
DELETE FROM credit.subject WHERE id = :firm;
DELETE FROM credit.department WHERE code IN ('ss_tax', 'ss_gone', 'ss_typo');
DROP ROLE regress_credit_ss_clerk, regress_credit_dept_ss;
