-- List entries are owned by the unit that sent them (docs/security.md,
-- "List entries"): tried as an attacker would, logged in as each role: two
-- units (a court that may send to the dishonest judgment debtors, a bank that
-- may send to the abnormal operations directory), an analyst, a
-- non-superuser administrator, the public site and a role with no credit
-- role.  Everything, roles included, is rolled back at the end.
\i sql/include/require_preload.sql
\if :skip_test
\quit
\endif
BEGIN;
\set ON_ERROR_ROLLBACK on
\i sql/include/try.sql

CREATE ROLE regress_credit_sl_court NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_credit_sl_bank NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_credit_sl_judge LOGIN IN ROLE regress_credit_sl_court;
CREATE ROLE regress_credit_sl_teller LOGIN IN ROLE regress_credit_sl_bank;
CREATE ROLE regress_credit_sl_admin LOGIN IN ROLE credit_admin;
CREATE ROLE regress_credit_sl_analyst LOGIN IN ROLE credit_analyst;
CREATE ROLE regress_credit_sl_web LOGIN IN ROLE credit_public;
CREATE ROLE regress_credit_sl_nobody LOGIN;
INSERT INTO credit.department (code, name, role) VALUES
    ('sl_court', 'Lists test: people''s court', 'regress_credit_sl_court'),
    ('sl_bank', 'Lists test: rural bank', 'regress_credit_sl_bank');
-- which unit sends to which list is data, kept by administrators
INSERT INTO credit.list_sender (list_code, department) VALUES
    ('dishonest_debtor', 'sl_court'), ('abnormal_operation', 'sl_bank');
INSERT INTO credit.subject (kind, name, uscc) VALUES ('enterprise', '江阴名单安全机械有限公司', '91320281MA1TL0157C')
    RETURNING id AS firm \gset
INSERT INTO credit.subject (kind, name, uscc) VALUES ('enterprise', '江阴名单安全纺织有限公司', '91320281MA1TL0261G')
    RETURNING id AS other_firm \gset
INSERT INTO credit.subject (kind, name, person_id) VALUES ('individual', '钱名单', '320281196612200443')
    RETURNING id AS person \gset
-- the bank's market-channel record, which the court cannot read
INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on)
    VALUES (:firm, 'loan_overdue', 'sl_bank', 'SL-BANK-1', current_date - 5) RETURNING id AS bank_record \gset

-- ==== the court's clerk ====
SET SESSION AUTHORIZATION regress_credit_sl_judge;
-- sends to its list: the entry is the court's, resolved by the platform
INSERT INTO credit.list_entry (list_code, name, code, listed_on, document_no)
    VALUES ('dishonest_debtor', '钱名单', '320281196612200443', current_date - 1, 'SL-COURT-1'),
           ('dishonest_debtor', '江阴名单安全机械有限公司', '91320281MA1TL0157C', current_date - 1, 'SL-COURT-2');
SELECT document_no, department, subject_id = :person AS person, subject_id = :firm AS firm,
       record_id IS NOT NULL AS has_record
  FROM credit.list_entry WHERE document_no LIKE 'SL-%' ORDER BY document_no;
-- not to a list it may not send to, nor for another unit (row-level security)
SELECT pg_temp.try($q$INSERT INTO credit.list_entry (list_code, name, code, listed_on)
                      VALUES ('serious_dishonesty', 'x', '91320281MA1TL0261G', current_date)$q$) AS other_list;
SELECT pg_temp.try($q$INSERT INTO credit.list_entry (list_code, name, code, listed_on, department)
                      VALUES ('abnormal_operation', 'x', '91320281MA1TL0261G', current_date, 'sl_bank')$q$) AS for_other_unit;
-- linking and derived columns are the platform's: a subject, a record
-- (another unit's, which it cannot see) or a canonical code given by the
-- sender is refused
SELECT pg_temp.try(format($q$INSERT INTO credit.list_entry (list_code, name, subject_id, listed_on)
                             VALUES ('dishonest_debtor', 'x', %s, current_date)$q$, :other_firm)) AS given_subject;
SELECT pg_temp.try(format($q$INSERT INTO credit.list_entry (list_code, name, code, listed_on, record_id)
                             VALUES ('dishonest_debtor', 'x', '91320281MA1TL0157C', current_date, %s)$q$, :bank_record))
       AS given_record;
SELECT pg_temp.try($q$INSERT INTO credit.list_entry (list_code, name, code, code_canonical, code_kind, listed_on)
                      VALUES ('dishonest_debtor', 'x', 'y', '91320281MA1TL0261G', 'uscc', current_date)$q$) AS given_keys;
SELECT pg_temp.try(format($q$UPDATE credit.list_entry SET record_id = %s WHERE document_no = 'SL-COURT-2'$q$, :bank_record))
       AS relink_record;
SELECT pg_temp.try($q$UPDATE credit.list_entry SET department = 'sl_bank' WHERE document_no = 'SL-COURT-2'$q$)
       AS hand_to_other_unit;
-- whole ID numbers: not the codes it sent, not in RETURNING; masked in the view
SELECT pg_temp.try('SELECT code FROM credit.list_entry') AS read_code;
SELECT pg_temp.try('SELECT code_canonical FROM credit.list_entry') AS read_canonical;
SELECT pg_temp.try($q$UPDATE credit.list_entry SET reason = 'x' WHERE document_no = 'SL-COURT-1' RETURNING code$q$)
       AS returning_code;
SELECT pg_temp.try($q$INSERT INTO credit.list_entry (list_code, name, code, listed_on)
                      VALUES ('dishonest_debtor', 'x', '320281197711050334', current_date) RETURNING *$q$) AS returning_all;
SELECT document_no, code FROM credit.list_entry_public WHERE document_no LIKE 'SL-%' ORDER BY document_no;
RESET SESSION AUTHORIZATION;
-- every resolution of an ID number it sent is a logged look-up (committed by
-- the audit worker, whatever the sender's transaction does later)
SELECT who, purpose, detail ->> 'id' AS masked_id, detail ->> 'found' AS found FROM credit.query_log
 WHERE detail ->> 'lookup' = 'list_entry' AND who = 'regress_credit_sl_judge' ORDER BY id;

-- ==== the bank's clerk ====
SET SESSION AUTHORIZATION regress_credit_sl_teller;
INSERT INTO credit.list_entry (list_code, name, code, listed_on, document_no)
    VALUES ('abnormal_operation', '江阴名单安全纺织有限公司', '91320281MA1TL0261G', current_date - 1, 'SL-BANK-2');
-- sees the court's entries, but cannot remove, end or change them
SELECT document_no, department FROM credit.list_entry WHERE document_no LIKE 'SL-%' ORDER BY document_no;
DELETE FROM credit.list_entry WHERE document_no LIKE 'SL-COURT-%';
UPDATE credit.list_entry SET removed_on = current_date WHERE document_no LIKE 'SL-COURT-%';
UPDATE credit.list_entry SET code = '91320281MA1TL0261G' WHERE document_no = 'SL-COURT-2';
-- nor move its own entry onto a list it may not send to, or to another subject's record
SELECT pg_temp.try($q$UPDATE credit.list_entry SET list_code = 'serious_dishonesty' WHERE document_no = 'SL-BANK-2'$q$)
       AS move_to_other_list;
SELECT pg_temp.try(format($q$UPDATE credit.list_entry SET subject_id = %s WHERE document_no = 'SL-BANK-2'$q$, :firm))
       AS move_to_other_subject;
-- removing its own entry revokes the entry's own record, nothing else
UPDATE credit.list_entry SET removed_on = current_date WHERE document_no = 'SL-BANK-2';
RESET SESSION AUTHORIZATION;
SELECT e.document_no, e.department, e.subject_id IN (:firm, :person) AS same_subject,
       e.removed_on IS NOT NULL AS removed, r.status, r.department AS record_department
  FROM credit.list_entry e JOIN credit.record r ON r.subject_id = e.subject_id AND r.id = e.record_id
 WHERE e.document_no LIKE 'SL-%' ORDER BY e.document_no;
SELECT status FROM credit.record WHERE id = :bank_record;

-- ==== the analyst ====
SET SESSION AUTHORIZATION regress_credit_sl_analyst;
SELECT document_no, department, code_kind FROM credit.list_entry WHERE document_no LIKE 'SL-%' ORDER BY document_no;
SELECT pg_temp.try('SELECT code FROM credit.list_entry') AS read_code;
SELECT pg_temp.try('SELECT code_canonical FROM credit.list_entry') AS read_canonical;
SELECT pg_temp.try($q$INSERT INTO credit.list_entry (list_code, name, listed_on) VALUES ('dishonest_debtor', 'x', current_date)$q$)
       AS send_entry;
SELECT pg_temp.try($q$INSERT INTO credit.list_sender VALUES ('serious_dishonesty', 'sl_bank')$q$) AS grant_itself;
SELECT document_no, code FROM credit.list_entry_public WHERE document_no LIKE 'SL-%' ORDER BY document_no;
RESET SESSION AUTHORIZATION;

-- ==== statistics: the planner's samples of the codes are not for units ====
ANALYZE credit.list_entry;
SET SESSION AUTHORIZATION regress_credit_sl_judge;
SELECT count(*) AS code_statistics FROM pg_stats
 WHERE schemaname = 'credit' AND tablename = 'list_entry' AND attname IN ('code', 'code_canonical');
RESET SESSION AUTHORIZATION;

-- ==== a non-superuser administrator ====
SET SESSION AUTHORIZATION regress_credit_sl_admin;
-- keeps which unit sends to which list
INSERT INTO credit.list_sender (list_code, department) VALUES ('serious_dishonesty', 'sl_court');
DELETE FROM credit.list_sender WHERE list_code = 'serious_dishonesty' AND department = 'sl_court';
-- sends for the platform; even an administrator's entry gets the record the
-- platform makes for it, not one it names
INSERT INTO credit.list_entry (list_code, name, code, listed_on, record_id, document_no)
    VALUES ('key_attention', '江阴名单安全纺织有限公司', '91320281MA1TL0261G', current_date - 1, :bank_record, 'SL-ADMIN-1');
SELECT department, record_id IS NOT NULL AS has_record, record_id <> :bank_record AS own_record
  FROM credit.list_entry WHERE document_no = 'SL-ADMIN-1';
RESET SESSION AUTHORIZATION;

-- ==== the public site: published lists only ====
SET SESSION AUTHORIZATION regress_credit_sl_web;
SELECT list_code, party_name, uscc_or_org_code, person_id FROM credit.publicity_list
 WHERE document_no LIKE 'SL-%' ORDER BY list_code, party_name;
SELECT pg_temp.try('SELECT 1 FROM credit.list_entry') AS read_entries;
SELECT pg_temp.try('SELECT 1 FROM credit.list_entry_public') AS read_masked_entries;
SELECT pg_temp.try('SELECT 1 FROM credit.list') AS read_lists;
SELECT pg_temp.try($q$INSERT INTO credit.list_entry (list_code, name) VALUES ('dishonest_debtor', 'x')$q$) AS send_entry;
RESET SESSION AUTHORIZATION;

-- ==== a role with no credit role ====
SET SESSION AUTHORIZATION regress_credit_sl_nobody;
SELECT pg_temp.try('SELECT 1 FROM credit.list_entry') AS read_entries;
SELECT pg_temp.try('SELECT 1 FROM credit.list_entry_public') AS read_masked_entries;
SELECT pg_temp.try('SELECT 1 FROM credit.publicity_list') AS read_publicity;
SELECT pg_temp.try($q$INSERT INTO credit.list_entry (list_code, name) VALUES ('dishonest_debtor', 'x')$q$) AS send_entry;
RESET SESSION AUTHORIZATION;
ROLLBACK;
