-- The monthly double-publicity return (双公示月报): what a unit files (the
-- decisions it made, those it withholds with the legal basis) beside what the
-- platform counts (received within 7 working days of the decision or later,
-- waiting for the subject, not published by rule), per kind and month.
-- Every date is fixed: the times of receipt are set as the superuser.

CREATE ROLE regress_dp_unit_a NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_dp_unit_b NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_dp_clerk_a LOGIN IN ROLE regress_dp_unit_a;
CREATE ROLE regress_dp_clerk_b LOGIN IN ROLE regress_dp_unit_b;
CREATE ROLE regress_dp_analyst LOGIN IN ROLE credit_analyst;
CREATE ROLE regress_dp_public LOGIN IN ROLE credit_public;
INSERT INTO credit.department (code, name, role) VALUES
    ('dp_a', 'Double publicity test: unit A', 'regress_dp_unit_a'),
    ('dp_b', 'Double publicity test: unit B', 'regress_dp_unit_b');
INSERT INTO credit.subject (kind, name, uscc) VALUES
    ('enterprise', '江阴月报测试一号有限公司', '91320281MA1DP00152'),
    ('enterprise', '江阴月报测试二号有限公司', '91320281MA1DP0023W');
SELECT id AS firm FROM credit.subject WHERE uscc = '91320281MA1DP00152' \gset

-- The deadline of a decision of Wednesday 30 September 2026: the National Day
-- holidays (1-7 October) are no working days, Saturday 10 October is one.
SELECT credit.add_working_days('2026-09-30', 7) AS deadline_of_30_september;

-- September 2026 of unit A, as its systems sent it (times of receipt fixed):
INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on, amount, details, created_at) VALUES
    -- received on the last day of the deadline, and the day after it
    (:firm, 'penalty_general', 'dp_a', 'DP-P1', '2026-09-30', 1000, '{}', '2026-10-15 12:00'),
    (:firm, 'penalty_general', 'dp_a', 'DP-P2', '2026-09-30', 1000, '{}', '2026-10-16 12:00'),
    -- not published by rule: a warning only, a minor penalty
    (:firm, 'penalty_general', 'dp_a', 'DP-P3', '2026-09-01', NULL, '{"penalty_kind": "warning"}', '2026-09-02 12:00'),
    (:firm, 'penalty_minor', 'dp_a', 'DP-P4', '2026-09-10', 100, '{}', '2026-09-11 12:00'),
    -- a licence on time; a penalty of 1 October belongs to October
    (:firm, 'license', 'dp_a', 'DP-L1', '2026-09-10', NULL, '{}', '2026-09-11 12:00'),
    (:firm, 'penalty_general', 'dp_a', 'DP-P5', '2026-10-01', 1000, '{}', '2026-10-09 12:00'),
    -- unit B's penalty of the same month, and an item that is no double publicity
    (:firm, 'penalty_general', 'dp_b', 'DP-B1', '2026-09-15', 1000, '{}', '2026-09-16 12:00'),
    (:firm, 'volunteer_service', 'dp_a', NULL, '2026-09-15', 1, '{}', '2026-09-16 12:00');

-- Through the intake: a penalty sent twice (one record), a row for a subject
-- not registered yet (waiting) and a rejected row (counts nowhere).
SET SESSION AUTHORIZATION regress_dp_clerk_a;
COPY credit.intake (subject_code, item_code, document_no, decided_on, amount) FROM stdin WITH (FORMAT csv);
91320281MA1DP0023W,penalty_general,DP-P6,2026-09-21,500
91320281MA1DP0023W,penalty_general,DP-P6,2026-09-21,600
91320281MA1DP0031P,penalty_general,DP-P7,2026-09-22,700
91320281MA1DP0023X,penalty_general,DP-P8,2026-09-22,800
\.
SELECT line, status, problem FROM credit.intake WHERE department = 'dp_a' ORDER BY line;
RESET SESSION AUTHORIZATION;
-- the first row was received on 25 September, the re-sent one in December
UPDATE credit.intake_row SET received_at = '2026-09-25 12:00' WHERE document_no = 'DP-P6' AND line = 1;
UPDATE credit.intake_row SET received_at = '2026-12-01 12:00' WHERE document_no = 'DP-P6' AND line = 2;
UPDATE credit.intake_row SET received_at = '2026-09-28 12:00' WHERE document_no IN ('DP-P7', 'DP-P8');

-- Nothing filed yet: the decisions made and the missing ones are unknown.
SET SESSION AUTHORIZATION regress_dp_clerk_a;
SELECT kind, produced, published_on_time, published_late, waiting, withheld, missing, due_on, filed_at IS NULL AS not_filed, closed
  FROM credit.double_publicity_return('dp_a', '2026-09-17');

-- Unit A files: the decisions it made, one penalty withheld with its legal basis.
INSERT INTO credit.double_publicity_filing (department, month, kind, produced) VALUES
    ('dp_a', '2026-09-01', 'penalty', 9), ('dp_a', '2026-09-01', 'license', 1);
INSERT INTO credit.double_publicity_withheld (department, kind, document_no, decided_on, legal_basis, reason) VALUES
    ('dp_a', 'penalty', 'DP-W1', '2026-09-03', '《中华人民共和国政府信息公开条例》第十四条', 'state secret'),
    -- a decision the platform holds a record of is not withheld: counted once, as received
    ('dp_a', 'penalty', 'DP-P1', '2026-09-30', '《中华人民共和国政府信息公开条例》第十五条', NULL);
-- the unit's only unit by default (NULL)
SELECT department, month, kind, produced, published_on_time, published_late, waiting, withheld, missing,
       due_on, filed_at IS NOT NULL AS filed, closed
  FROM credit.double_publicity_return(NULL, '2026-09-01');
SELECT r.kind, b.key AS legal_basis, b.value AS withheld
  FROM credit.double_publicity_return(NULL, '2026-09-01') r, jsonb_each(r.withheld_bases) b ORDER BY 1, 2;
-- filing again updates the figure; who filed it and when is the platform's to say
INSERT INTO credit.double_publicity_filing AS f (department, month, kind, produced) VALUES ('dp_a', '2026-09-01', 'penalty', 10)
    ON CONFLICT (department, month, kind) DO UPDATE SET produced = excluded.produced;
SELECT kind, produced, filed_by FROM credit.double_publicity_filing ORDER BY kind;
\set VERBOSITY sqlstate
INSERT INTO credit.double_publicity_filing (department, month, kind, produced, filed_by) VALUES ('dp_a', '2026-08-01', 'penalty', 1, 'someone');
\set VERBOSITY default
-- bad filings are refused with the rule they break
INSERT INTO credit.double_publicity_filing (department, month, kind, produced) VALUES ('dp_a', '2026-08-15', 'penalty', 1);
INSERT INTO credit.double_publicity_filing (department, month, kind, produced) VALUES ('dp_a', '2026-08-01', 'penalty', -1);
INSERT INTO credit.double_publicity_filing (department, month, kind, produced) VALUES ('dp_a', '2026-08-01', 'honour', 1);
INSERT INTO credit.double_publicity_withheld (department, kind, document_no, decided_on, legal_basis) VALUES ('dp_a', 'penalty', 'DP-W2', '2026-09-03', ' ');
INSERT INTO credit.double_publicity_withheld (department, kind, document_no, decided_on) VALUES ('dp_a', 'penalty', 'DP-W2', '2026-09-03');
-- the subject of the waiting row registers: the row becomes a record, received when it was sent
RESET SESSION AUTHORIZATION;
INSERT INTO credit.subject (kind, name, uscc) VALUES ('enterprise', '江阴月报测试三号有限公司', '91320281MA1DP0031P');
SELECT kind, published_on_time, published_late, waiting, withheld, missing
  FROM credit.double_publicity_return('dp_a', '2026-09-30') WHERE kind = 'penalty';

-- Unit B as an attacker: it neither reads nor writes unit A's return.
SET SESSION AUTHORIZATION regress_dp_clerk_b;
SELECT * FROM credit.double_publicity_return('dp_a', '2026-09-01');
SELECT count(*) AS a_filings_seen FROM credit.double_publicity_filing;
SELECT count(*) AS a_withheld_seen FROM credit.double_publicity_withheld;
SELECT department, month, kind FROM credit.v_double_publicity_return ORDER BY 1, 2, 3;
INSERT INTO credit.double_publicity_filing (department, month, kind, produced) VALUES ('dp_a', '2026-09-01', 'license', 0);
UPDATE credit.double_publicity_filing SET produced = 0 WHERE department = 'dp_a';
DELETE FROM credit.double_publicity_withheld WHERE department = 'dp_a';
SELECT * FROM credit.double_publicity_return('no_such_unit', '2026-09-01');
RESET SESSION AUTHORIZATION;
SELECT count(*) AS a_filings_kept FROM credit.double_publicity_filing WHERE department = 'dp_a' AND produced > 0;

-- Analysts read every unit's returns; the public none.
SET SESSION AUTHORIZATION regress_dp_analyst;
SELECT department, month, kind, produced, published_on_time, published_late, waiting, withheld, missing, due_on, closed
  FROM credit.v_double_publicity_return WHERE department LIKE 'dp\_%' ORDER BY 1, 2, 3;
SELECT * FROM credit.double_publicity_return('no_such_unit', '2026-09-01');
SELECT * FROM credit.double_publicity_return('dp_b', NULL);
SELECT * FROM credit.double_publicity_return('dp_b', 'infinity');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_dp_public;
SELECT * FROM credit.double_publicity_return('dp_a', '2026-09-01');
SELECT * FROM credit.v_double_publicity_return;
RESET SESSION AUTHORIZATION;

-- The due date is the 10th of the next month (across a year end); the month
-- now running is not closed, a month past is.
SELECT month, due_on FROM credit.double_publicity_return('dp_b', '2026-12-31');
SELECT closed AS running_month_closed, due_on = (date_trunc('month', current_date) + interval '1 month 9 days')::date AS due_10th
  FROM credit.double_publicity_return('dp_b', current_date) WHERE kind = 'penalty';
SELECT p.proname, p.provolatile, p.prosecdef, p.proconfig
  FROM pg_proc p WHERE p.oid IN ('credit.double_publicity_return(text, date)'::regprocedure,
                                 'credit.double_publicity_unit(text, date)'::regprocedure) ORDER BY 1;

-- Clean up: the test's units, subjects and roles (the suite shares one database).
DELETE FROM credit.record WHERE department IN ('dp_a', 'dp_b');
DELETE FROM credit.intake_row WHERE department IN ('dp_a', 'dp_b');
DELETE FROM credit.double_publicity_filing WHERE department IN ('dp_a', 'dp_b');
DELETE FROM credit.double_publicity_withheld WHERE department IN ('dp_a', 'dp_b');
DELETE FROM credit.subject WHERE name LIKE '江阴月报测试%';
DELETE FROM credit.department WHERE code IN ('dp_a', 'dp_b');
DROP ROLE regress_dp_clerk_a, regress_dp_clerk_b, regress_dp_analyst, regress_dp_public,
          regress_dp_unit_a, regress_dp_unit_b;
