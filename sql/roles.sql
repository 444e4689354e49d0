-- Roles and row-level security (docs/security.md): what credit_admin, a unit of
-- credit_department, credit_analyst and credit_public can and cannot do.
-- Everything, roles included, is rolled back at the end.
\i sql/include/require_preload.sql
\if :skip_test
\quit
\endif
BEGIN;
\set ON_ERROR_ROLLBACK on
\i sql/include/try.sql

-- Two units, each with its role (member of credit_department) and a clerk who logs in.
CREATE ROLE regress_credit_dept_rl_tax NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_credit_dept_rl_bank NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_credit_taxclerk LOGIN IN ROLE regress_credit_dept_rl_tax;
CREATE ROLE regress_credit_bankclerk LOGIN IN ROLE regress_credit_dept_rl_bank;
CREATE ROLE regress_credit_admin1 LOGIN IN ROLE credit_admin;
CREATE ROLE regress_credit_analyst1 LOGIN IN ROLE credit_analyst;
CREATE ROLE regress_credit_web LOGIN IN ROLE credit_public;
INSERT INTO credit.department (code, name, role) VALUES
    ('rl_tax', 'Roles test: taxation bureau', 'regress_credit_dept_rl_tax'),
    ('rl_bank', 'Roles test: rural bank', 'regress_credit_dept_rl_bank');
INSERT INTO credit.subject (kind, name, uscc) VALUES ('enterprise', '江阴角色测试机械有限公司', '91320281MA1RL0016W')
    RETURNING id AS firm \gset
INSERT INTO credit.subject (kind, name, person_id) VALUES ('individual', '顾角色', '320281198005170130')
    RETURNING id AS person \gset

-- Each unit reports a public-channel penalty and a market-channel datum.
INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on, amount) VALUES
    (:firm, 'penalty_general', 'rl_tax', 'RL-TAX-1', current_date - 10, 5000),
    (:firm, 'contract_breach', 'rl_tax', 'RL-TAX-2', current_date - 20, 80000),
    (:firm, 'loan_overdue', 'rl_bank', 'RL-BANK-1', current_date - 30, 250000),
    (:person, 'person_penalty_general', 'rl_bank', 'RL-BANK-2', current_date - 40, 200);

-- The tax clerk acts for rl_tax only.
SET SESSION AUTHORIZATION regress_credit_taxclerk;
SELECT session_user, credit.acting_departments();
-- Reads its own records (both channels) and public-channel records of other units, not their market data.
SELECT document_no, item_code, department FROM credit.record WHERE document_no LIKE 'RL-%' ORDER BY document_no;
-- Inserts for its own unit; not for another (42501, row-level security).
INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on)
    VALUES (:firm, 'utility_arrears', 'rl_tax', 'RL-TAX-3', current_date);
SELECT pg_temp.try(format($q$INSERT INTO credit.record (subject_id, item_code, department, decided_on)
                              VALUES (%s, 'loan_overdue', 'rl_bank', current_date)$q$, :firm)) AS insert_for_other_unit;
-- Updates and deletes reach its own records only.
UPDATE credit.record SET status = 'objected' WHERE document_no IN ('RL-TAX-1', 'RL-BANK-1', 'RL-BANK-2');
DELETE FROM credit.record WHERE document_no LIKE 'RL-BANK-%';
SELECT pg_temp.try($q$UPDATE credit.record SET department = 'rl_bank' WHERE document_no = 'RL-TAX-3'$q$) AS move_to_other_unit;
-- Personal ID numbers: not readable, except masked.
SELECT pg_temp.try('SELECT person_id FROM credit.subject') AS read_person_id;
SELECT name, person_id FROM credit.subject_masked WHERE id = :person;
-- A person is looked up through credit.find_person, which logs the look-up; the log is not for units.
SELECT credit.find_person('320281198005170130', 'administrative licensing review') = :person AS found;
SELECT pg_temp.try($q$SELECT credit.find_person('320281198005170130', ' ')$q$) AS without_purpose;
SELECT pg_temp.try('SELECT * FROM credit.query_log') AS read_query_log;
RESET SESSION AUTHORIZATION;

-- The bank clerk: its own market data, the public-channel penalty of the tax unit, not the tax unit's market data.
SET SESSION AUTHORIZATION regress_credit_bankclerk;
SELECT session_user, credit.acting_departments();
SELECT document_no, item_code, department, status FROM credit.record WHERE document_no LIKE 'RL-%' ORDER BY document_no;
SELECT pg_temp.try(format($q$INSERT INTO credit.record (subject_id, item_code, department, decided_on)
                      VALUES (%s, 'loan_overdue', 'rl_tax', current_date)$q$, :firm)) AS insert_for_other_unit;
RESET SESSION AUTHORIZATION;

-- The analyst reads every record, subjects without the ID column, IDs masked, and the query log.
SET SESSION AUTHORIZATION regress_credit_analyst1;
SELECT document_no, department, status FROM credit.record WHERE document_no LIKE 'RL-%' ORDER BY document_no;
SELECT pg_temp.try('SELECT person_id FROM credit.subject') AS read_person_id;
SELECT pg_temp.try('SELECT * FROM credit.subject') AS read_all_columns;
SELECT kind, name FROM credit.subject WHERE id IN (:firm, :person) ORDER BY id;
SELECT name, person_id FROM credit.subject_masked WHERE id = :person;
SELECT pg_temp.try(format($q$INSERT INTO credit.record (subject_id, item_code, department, decided_on)
                              VALUES (%s, 'loan_overdue', 'rl_bank', current_date)$q$, :firm)) AS insert_record;
SELECT credit.find_person('320281199202290240', 'statistics') AS not_found;
SELECT who, subject_id = :person AS is_person, purpose, detail FROM credit.query_log
 WHERE who IN ('regress_credit_taxclerk', 'regress_credit_analyst1') ORDER BY id;
RESET SESSION AUTHORIZATION;

-- The public reads the publicity views only.
SET SESSION AUTHORIZATION regress_credit_web;
SELECT pg_temp.try('SELECT * FROM credit.record') AS read_records;
SELECT pg_temp.try('SELECT name FROM credit.subject') AS read_subjects;
SELECT pg_temp.try('SELECT * FROM credit.subject_masked') AS read_masked_subjects;
SELECT pg_temp.try($q$SELECT credit.find_person('320281198005170130', 'curiosity')$q$) AS find_person;
SELECT decision_document_no, party_name, person_id, remarks FROM credit.publicity_penalty
 WHERE decision_document_no LIKE 'RL-%' ORDER BY 1;
RESET SESSION AUTHORIZATION;

-- The administrator: every record, whole ID numbers, any unit.
SET SESSION AUTHORIZATION regress_credit_admin1;
SELECT count(*) FROM credit.record WHERE document_no LIKE 'RL-%';
SELECT person_id FROM credit.subject WHERE id = :person;
SELECT pg_temp.try(format($q$INSERT INTO credit.record (subject_id, item_code, department, decided_on)
                              VALUES (%s, 'loan_repaid', 'rl_bank', current_date)$q$, :firm)) AS insert_for_any_unit;
RESET SESSION AUTHORIZATION;

-- SET ROLE to the group roles themselves: credit_department alone acts for no unit.
SET ROLE credit_department;
SELECT current_user, credit.acting_departments();
SELECT count(*) FILTER (WHERE department = 'rl_tax') AS tax_public_records,
       count(*) FILTER (WHERE department = 'rl_bank') AS bank_public_records
  FROM credit.record WHERE document_no LIKE 'RL-%';
SELECT pg_temp.try(format($q$INSERT INTO credit.record (subject_id, item_code, department, decided_on)
                              VALUES (%s, 'loan_overdue', 'rl_tax', current_date)$q$, :firm)) AS insert_record;
SET ROLE credit_analyst;
SELECT current_user, count(*) FROM credit.record WHERE document_no LIKE 'RL-%' GROUP BY 1;
SET ROLE credit_public;
SELECT current_user, pg_temp.try('SELECT count(*) FROM credit.record') AS read_records;
SET ROLE credit_admin;
SELECT current_user, count(*) FROM credit.record WHERE document_no LIKE 'RL-%' GROUP BY 1;
RESET ROLE;
ROLLBACK;
