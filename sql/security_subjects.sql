-- Master data has an owner (docs/security.md, "Subjects"): a unit changes
-- only the subjects it registered, and every change of a subject is in the
-- ledger.  Tried as an attacker would, logged in as each role: two units,
-- an analyst, a non-superuser administrator, the public site and a role
-- with no credit role.  The test commits (ledger entries are appended at
-- commit) and removes what it made at the end.
\i sql/include/try.sql
-- (pg_temp.try lives as long as the session: the roles' sessions below are
-- the same session, switched with SET SESSION AUTHORIZATION)
CREATE ROLE regress_credit_ss_tax NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_credit_ss_bank NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_credit_ss_taxclerk LOGIN IN ROLE regress_credit_ss_tax;
CREATE ROLE regress_credit_ss_bankclerk LOGIN IN ROLE regress_credit_ss_bank;
CREATE ROLE regress_credit_ss_admin LOGIN IN ROLE credit_admin;
CREATE ROLE regress_credit_ss_analyst LOGIN IN ROLE credit_analyst;
CREATE ROLE regress_credit_ss_web LOGIN IN ROLE credit_public;
CREATE ROLE regress_credit_ss_nobody LOGIN;
CREATE ROLE regress_credit_ss_bothclerk LOGIN IN ROLE regress_credit_ss_tax, regress_credit_ss_bank;
INSERT INTO credit.department (code, name, role) VALUES
    ('ss_tax', 'Subjects test: taxation bureau', 'regress_credit_ss_tax'),
    ('ss_bank', 'Subjects test: rural bank', 'regress_credit_ss_bank');
SELECT coalesce(max(seq), 0) AS base FROM credit.ledger \gset

-- ==== the tax clerk registers a subject: it is the tax unit's ====
SET SESSION AUTHORIZATION regress_credit_ss_taxclerk;
INSERT INTO credit.subject (kind, name, uscc) VALUES ('enterprise', '江阴主体安全机械有限公司', '91320281MA1TL0376N')
    RETURNING id AS firm, registered_by \gset
SELECT :'registered_by' AS registered_by;
-- not for another unit
SELECT pg_temp.try($q$INSERT INTO credit.subject (kind, name, registered_by)
                      VALUES ('enterprise', '江阴主体安全纺织有限公司', 'ss_bank')$q$) AS register_for_other_unit;
-- it keeps its subject's master data
UPDATE credit.subject SET name = '江阴主体安全机械股份有限公司', industries = '{construction}' WHERE id = :firm;
RESET SESSION AUTHORIZATION;

-- ==== the bank clerk: reads the subject, cannot change it ====
SET SESSION AUTHORIZATION regress_credit_ss_bankclerk;
SELECT name, registered_by FROM credit.subject WHERE id = :firm;
-- renaming or deregistering another unit's subject reaches no row
UPDATE credit.subject SET name = '冒名顶替有限公司' WHERE id = :firm;
UPDATE credit.subject SET status = 'revoked' WHERE id = :firm;
SELECT name, status FROM credit.subject WHERE id = :firm;
-- nor can it take the subject over or delete it
SELECT pg_temp.try(format($q$UPDATE credit.subject SET registered_by = 'ss_bank' WHERE id = %s$q$, :firm))
       AS take_over;
SELECT pg_temp.try(format($q$DELETE FROM credit.subject WHERE id = %s$q$, :firm)) AS delete_subject;
RESET SESSION AUTHORIZATION;

-- ==== the analyst reads, and changes nothing ====
SET SESSION AUTHORIZATION regress_credit_ss_analyst;
SELECT name, registered_by FROM credit.subject WHERE id = :firm;
SELECT pg_temp.try(format($q$UPDATE credit.subject SET name = 'x' WHERE id = %s$q$, :firm)) AS rename;
SELECT pg_temp.try($q$INSERT INTO credit.subject (kind, name) VALUES ('enterprise', 'x')$q$) AS register;
RESET SESSION AUTHORIZATION;

-- ==== a non-superuser administrator changes any subject ====
SET SESSION AUTHORIZATION regress_credit_ss_admin;
UPDATE credit.subject SET status = 'deregistered' WHERE id = :firm;
INSERT INTO credit.subject (kind, name) VALUES ('enterprise', '江阴主体安全平台登记有限公司')
    RETURNING id AS platform_firm, registered_by AS platform_registered_by \gset
SELECT :'platform_registered_by' AS admin_registered_by;
RESET SESSION AUTHORIZATION;

-- ==== people: registered for one of the caller's units, named when it has several ====
SET SESSION AUTHORIZATION regress_credit_ss_bothclerk;
SELECT pg_temp.try($q$SELECT credit.register_person('320281198503030018', '两单位', 'subjects test')$q$)
       AS unit_not_named;
SELECT credit.register_person('320281198503030018', '两单位', 'subjects test', department => 'ss_bank') AS person \gset
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_credit_ss_taxclerk;
-- not for a unit the clerk does not act for, whether or not the number is registered
SELECT pg_temp.try($q$SELECT credit.register_person('320281198503030018', '两单位', 'subjects test', department => 'ss_bank')$q$)
       AS registered_for_other_unit;
SELECT pg_temp.try($q$SELECT credit.register_person('320281198504040015', '无此人', 'subjects test', department => 'ss_bank')$q$)
       AS new_for_other_unit;
RESET SESSION AUTHORIZATION;
SELECT registered_by FROM credit.subject WHERE id = :person;
SELECT count(*) AS unregistered FROM credit.subject WHERE person_id = '320281198504040015';

-- ==== the public site and a role with no credit role: nothing ====
SET SESSION AUTHORIZATION regress_credit_ss_web;
SELECT pg_temp.try('SELECT name FROM credit.subject') AS read_subjects;
SELECT pg_temp.try(format($q$UPDATE credit.subject SET name = 'x' WHERE id = %s$q$, :firm)) AS rename;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_credit_ss_nobody;
SELECT pg_temp.try('SELECT name FROM credit.subject') AS read_subjects;
SELECT pg_temp.try(format($q$UPDATE credit.subject SET name = 'x' WHERE id = %s$q$, :firm)) AS rename;
RESET SESSION AUTHORIZATION;

-- The subject as it stands, and its changes in the ledger, by whom: the
-- registration, the owner's rename, the administrator's status change (the
-- bank's statements changed nothing, so logged nothing).
SELECT name, status, industries, registered_by FROM credit.subject WHERE id = :firm;
SELECT l.seq - :base AS entry, l.relation, l.op, l.who, cardinality(coalesce(l.new_hashes, l.old_hashes)) AS rows
  FROM credit.ledger l
 WHERE l.seq > :base AND l.relation = 'subject' AND :firm = ANY (l.key1)
 ORDER BY l.seq;
SELECT count(*) AS problems FROM credit.verify_ledger();

-- Clean up.
DELETE FROM credit.subject WHERE id IN (:firm, :platform_firm, :person);
DELETE FROM credit.department WHERE code IN ('ss_tax', 'ss_bank');
DROP ROLE regress_credit_ss_taxclerk, regress_credit_ss_bankclerk, regress_credit_ss_tax, regress_credit_ss_bank,
    regress_credit_ss_admin, regress_credit_ss_analyst, regress_credit_ss_web, regress_credit_ss_nobody,
    regress_credit_ss_bothclerk;
