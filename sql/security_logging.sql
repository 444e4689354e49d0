-- Every look-up of a person leaves a row of credit.query_log that the
-- caller's ROLLBACK (or ROLLBACK TO SAVEPOINT) cannot undo (docs/security.md):
-- the audit worker commits it in a transaction of its own before the answer
-- is returned.  A unit's clerk and an analyst look a person up every way
-- there is, each time rolling back, and the log keeps every look-up; no
-- unlogged statement tells a unit whether an ID number is registered.
\i sql/include/require_preload.sql
\if :skip_test
\quit
\endif
SELECT coalesce(max(id), 0) AS log0 FROM credit.query_log \gset

CREATE ROLE regress_credit_dept_sl NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_credit_sl_clerk LOGIN IN ROLE regress_credit_dept_sl;
CREATE ROLE regress_credit_sl_analyst LOGIN IN ROLE credit_analyst;
INSERT INTO credit.department (code, name, role) VALUES ('sl_civil', 'Logging test bureau', 'regress_credit_dept_sl');
-- an agency whose key (Ed25519 seed 4c4c...4c) signed the report below
INSERT INTO credit.agency (code, name, public_key)
VALUES ('sl_agency', 'Logging test agency', '927308f53d6765503d2b64c103ab5aa47206ab39502cfe8f98442fdb543100b7');
-- keys for the session (superusers only), kept through SET SESSION AUTHORIZATION
SET credit.pseudonym_key = 'logging test pseudonym key';
SET credit.report_signing_key = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';

SET SESSION AUTHORIZATION regress_credit_sl_clerk;
-- registering a person: through the logged function only
\set VERBOSITY terse
INSERT INTO credit.subject (kind, name, person_id) VALUES ('individual', '顾日志', '320281198106060010');
\set VERBOSITY default
SELECT credit.register_person('320281198106060010', '顾日志', 'licence application') AS person \gset
-- again, in a transaction rolled back: the same subject, and a log row
BEGIN;
SELECT credit.register_person('320281198106060010', 'another name', 'second application') = :person AS same_person;
ROLLBACK;
-- a number never registered: registered, then rolled back; the look-up stays logged
BEGIN;
SELECT credit.register_person('320281198207070015', '钱日志', 'rolled back registration') IS NOT NULL AS registered;
ROLLBACK;
SELECT credit.find_person('320281198207070015', 'after the rollback') IS NULL AS not_registered;

-- each look-up in a transaction rolled back, or a savepoint rolled back to
BEGIN;
SELECT credit.find_person('320281198106060010', 'find, rolled back') = :person AS found;
ROLLBACK;
BEGIN;
SAVEPOINT s;
SELECT credit.profile(:person) IS NOT NULL AS profiled;
ROLLBACK TO SAVEPOINT s;
SELECT credit.check(:person, 'administrative_licensing') ->> 'decision' AS decision;
ROLLBACK;
-- by ID number (written dirty): the look-up by code and the check, each logged
BEGIN;
SELECT credit.check(' 320281 19810606 0010 ', 'administrative_licensing') ->> 'decision' AS decision_by_code;
SELECT count(*) >= 0 AS measures_by_code FROM credit.measures_for('320281198106060010');
ROLLBACK;
-- a number no subject has: refused, and the look-up still logged
BEGIN;
\set VERBOSITY sqlstate
SELECT credit.check('320281198207070015', 'administrative_licensing');
\set VERBOSITY default
ROLLBACK;
BEGIN;
SELECT count(*) >= 0 AS measures FROM credit.measures_for(:person);
SELECT credit.report(:person, 'report, rolled back') ? 'signature' AS signed;
SELECT octet_length(credit.pseudonym('320281198106060010')) AS pseudonym_bytes;
-- matching the lists by the number (written dirty), whether or not it is listed
SELECT count(*) AS listed FROM credit.match(NULL, ' 320281 19810606 0010 ');
ROLLBACK;
-- a pseudonym of an organisation's code is no look-up of a person
SELECT octet_length(credit.pseudonym('91320281142232229Q')) AS uscc_pseudonym_bytes;
-- a third-party report naming the person, validly signed (a report whose
-- signature fails is compared with nothing), filed and checked, rolled back
BEGIN;
INSERT INTO credit.third_party_report (agency, document, signature, purpose, department)
VALUES ('sl_agency', '{"report_no": "SL-1", "issued_at": "2026-01-15T10:00:00+08:00", "subject": {"person_id": "320281198106060010"}}',
        '\x71ca25e285b6d82efdbec97bf79e011b7dd6d1212faf019464d0a593a656a4b2be7f4179c9e0a121bc4bcd44b460cc0834991b206d2007c612a446e7f75b150b',
        'third-party report, rolled back', 'sl_civil')
RETURNING id AS tp, subject_id = :person AS resolved \gset
SELECT check_name, ok FROM credit.verify_third_party_report(:tp) WHERE check_name = 'subject';
ROLLBACK;
RESET SESSION AUTHORIZATION;

-- An analyst's look-ups, rolled back too.
SET SESSION AUTHORIZATION regress_credit_sl_analyst;
BEGIN;
SELECT credit.find_person('320281198106060010', 'analyst find') = :person AS found;
SELECT credit.check(:person, 'administrative_licensing') ->> 'decision' AS decision;
SELECT octet_length(credit.pseudonym('320281198106060010')) AS pseudonym_bytes;
-- a batch verification of applicants: each one given by ID number is a look-up
CREATE TEMP TABLE sl_applicants (name text, code text);
INSERT INTO sl_applicants VALUES ('顾日志', '320281198106060010'), ('无号码', NULL), ('某公司', '91320281142232229Q');
SELECT count(*) >= 0 AS summarised FROM credit.match_summary('sl_applicants');
ROLLBACK;
RESET SESSION AUTHORIZATION;

-- Every look-up is in the log, whoever asked and however it ended.
SELECT who, subject_id = :person AS this_person, purpose, detail ->> 'lookup' AS lookup,
       detail ->> 'id' AS id, detail -> 'registered_before' AS registered_before
  FROM credit.query_log WHERE id > :log0 ORDER BY at, id;
-- a pseudonym is logged with the number masked and the pseudonym itself
SELECT count(*) AS pseudonym_rows,
       bool_and(detail ->> 'pseudonym' = encode(credit.pseudonym('320281198106060010'), 'hex')) AS pseudonym_logged
  FROM credit.query_log WHERE id > :log0 AND detail ->> 'lookup' = 'pseudonym';
-- a superuser's (or an administrator's) pseudonym is not a look-up: it can read the numbers anyway
SELECT octet_length(credit.pseudonym('320281198106060010')) AS pseudonym_bytes;
SELECT count(*) AS listed FROM credit.match(NULL, '320281198106060010');
SELECT count(*) AS superuser_rows FROM credit.query_log WHERE id > :log0 AND who = current_user;
-- the person the clerk registered (as the owner) belongs to the clerk's unit
SELECT registered_by FROM credit.subject WHERE id = :person;

-- Clean up (the log keeps its rows).
RESET credit.pseudonym_key;
RESET credit.report_signing_key;
DELETE FROM credit.subject WHERE id = :person;
DELETE FROM credit.agency WHERE code = 'sl_agency';
DELETE FROM credit.department WHERE code = 'sl_civil';
DROP ROLE regress_credit_sl_clerk, regress_credit_dept_sl, regress_credit_sl_analyst;
