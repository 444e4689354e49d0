-- Credit commitments (信用承诺): a department registers the commitments it
-- accepts and resolves each once, as kept or broken; the resolution is a
-- credit record of that department, folded into the grades at commit like
-- any record (a broken one also raises a warning).  Dates are relative to the
-- current date.  Everything the test creates is removed at the end.
SET client_min_messages = warning;
-- try(sql): runs sql as the current user; 'ok' or the SQLSTATE and message
-- (with numbers, ids that depend on the database, shown as N).
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN others THEN
    RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, ' -?[0-9]+', ' N', 'g');
END
$$;

-- Two units, each with its role and a clerk who logs in; an analyst.
CREATE ROLE regress_credit_cm_market NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_credit_cm_housing NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_credit_cm_mclerk LOGIN IN ROLE regress_credit_cm_market;
CREATE ROLE regress_credit_cm_hclerk LOGIN IN ROLE regress_credit_cm_housing;
CREATE ROLE regress_credit_cm_analyst LOGIN IN ROLE credit_analyst;
INSERT INTO credit.department (code, name, role) VALUES
    ('cm_market', 'Commitment test: market supervision bureau', 'regress_credit_cm_market'),
    ('cm_housing', 'Commitment test: housing bureau', 'regress_credit_cm_housing');
-- Firm 1 has a general penalty of today (970, grade B); firm 2 honours worth
-- 48 points (1048, B); firm 3 nothing (1000, B).
INSERT INTO credit.subject (kind, name) VALUES ('enterprise', 'Commitment test Co. 1') RETURNING id AS firm1 \gset
INSERT INTO credit.subject (kind, name) VALUES ('enterprise', 'Commitment test Co. 2') RETURNING id AS firm2 \gset
INSERT INTO credit.subject (kind, name) VALUES ('enterprise', 'Commitment test Co. 3') RETURNING id AS firm3 \gset
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no) VALUES
    (:firm1, 'penalty_general', 'cm_market', current_date, 'CM-P-1'),
    (:firm2, 'honour_national', 'cm_housing', current_date, 'CM-H-1'),
    (:firm2, 'honour_city', 'cm_housing', current_date, 'CM-H-2'),
    (:firm2, 'honour_county', 'cm_housing', current_date, 'CM-H-3'),
    (:firm2, 'honour_township', 'cm_housing', current_date, 'CM-H-4');
CREATE TEMP VIEW cm_grade AS
SELECT s.name, g.score, g.grade
  FROM credit.subject_grade g JOIN credit.subject s ON s.id = g.subject_id
 WHERE s.name LIKE 'Commitment test Co. %' AND g.model = 'comprehensive_enterprise';
SELECT * FROM cm_grade ORDER BY name;

-- The market clerk registers what its bureau accepted: a plain INSERT, like records.
SET SESSION AUTHORIZATION regress_credit_cm_mclerk;
INSERT INTO credit.commitment (subject_id, department, matter, content, document_no, made_on, due_on)
VALUES (:firm1, 'cm_market', 'administrative_licensing', 'Submit the fire safety certificate within 30 days (告知承诺)',
        'CM-C-1', current_date - 40, current_date - 10)
RETURNING id AS c1 \gset
INSERT INTO credit.commitment (subject_id, department, matter, content, document_no, made_on, due_on)
VALUES (:firm3, 'cm_market', 'administrative_licensing', 'Keep the premises as declared', 'CM-C-3',
        current_date - 5, current_date + 60)
RETURNING id AS c3 \gset
SELECT status, resolved_at IS NULL AS not_resolved, record_id IS NULL AS no_record
  FROM credit.commitment WHERE id IN (:c1, :c3);
-- not for another unit (42501, row-level security), not dated in the future, not already resolved
SELECT pg_temp.try(format($q$INSERT INTO credit.commitment (subject_id, department, matter, content)
                              VALUES (%s, 'cm_housing', 'bidding', 'x')$q$, :firm1)) AS for_other_unit;
SELECT pg_temp.try(format($q$INSERT INTO credit.commitment (subject_id, department, matter, content, made_on)
                              VALUES (%s, 'cm_market', 'bidding', 'x', current_date + 1)$q$, :firm1)) AS future;
SELECT pg_temp.try(format($q$INSERT INTO credit.commitment (subject_id, department, matter, content, made_on, due_on)
                              VALUES (%s, 'cm_market', 'bidding', 'x', current_date, current_date - 1)$q$, :firm1)) AS due_before_made;
SELECT pg_temp.try(format($q$INSERT INTO credit.commitment (subject_id, department, matter, content, status)
                              VALUES (%s, 'cm_market', 'bidding', 'x', 'kept')$q$, :firm1)) AS insert_resolved;
RESET SESSION AUTHORIZATION;
-- (nor by an administrator, who may name the status: a commitment is registered open)
SELECT pg_temp.try(format($q$INSERT INTO credit.commitment (subject_id, department, matter, content, status, resolved_at)
                              VALUES (%s, 'cm_market', 'bidding', 'x', 'kept', now())$q$, :firm1)) AS admin_inserts_resolved;

-- The housing clerk registers one for firm 2.
SET SESSION AUTHORIZATION regress_credit_cm_hclerk;
INSERT INTO credit.commitment (subject_id, department, matter, content, made_on, due_on)
VALUES (:firm2, 'cm_housing', 'government_procurement', 'Perform the contract on schedule',
        current_date - 100, current_date - 1)
RETURNING id AS c2 \gset
-- Each unit sees only the commitments it accepted ...
SELECT subject_id = :firm2 AS firm2, department, matter, status FROM credit.commitment
 WHERE subject_id IN (:firm1, :firm2, :firm3);
-- ... and cannot resolve, change or withdraw another unit's (it does not exist for it).
SELECT pg_temp.try(format('SELECT credit.resolve_commitment(%s, true)', :c1)) AS resolve_other;
WITH u AS (UPDATE credit.commitment SET content = 'changed' WHERE id = :c1 RETURNING id),
     d AS (DELETE FROM credit.commitment WHERE id = :c1 RETURNING id)
SELECT (SELECT count(*) FROM u) AS updated, (SELECT count(*) FROM d) AS deleted;
RESET SESSION AUTHORIZATION;
SELECT content, status FROM credit.commitment WHERE id = :c1;

-- Broken: a negative record of the accepting unit, dated today; firm 1 goes
-- from B (970) to C (940) once the transaction commits.
SET SESSION AUTHORIZATION regress_credit_cm_mclerk;
SELECT subject_id = :firm1 AS firm1, matter, status FROM credit.commitment
 WHERE subject_id IN (:firm1, :firm2, :firm3) ORDER BY id;
SELECT credit.resolve_commitment(:c1, false) AS broken_record \gset
SELECT status, resolved_at IS NOT NULL AS resolved, record_id = :broken_record AS linked
  FROM credit.commitment WHERE id = :c1;
SELECT item_code, department, decided_on = current_date AS today, document_no, status,
       details - 'made_on' - 'due_on' - 'commitment' AS details,
       (details ->> 'commitment')::bigint = :c1 AS names_commitment,
       (details ->> 'due_on')::date = current_date - 10 AS due_on
  FROM credit.record WHERE id = :broken_record;
-- Resolving twice is an error (55000), whichever way; so is reopening or editing it.
SELECT pg_temp.try(format('SELECT credit.resolve_commitment(%s, false)', :c1)) AS again;
SELECT pg_temp.try(format('SELECT credit.resolve_commitment(%s, true)', :c1)) AS other_way;
SELECT pg_temp.try(format($q$UPDATE credit.commitment SET status = 'open' WHERE id = %s$q$, :c1)) AS reopen;
SELECT pg_temp.try(format($q$UPDATE credit.commitment SET content = 'reworded' WHERE id = %s$q$, :c1)) AS edit;
-- A resolved commitment cannot be withdrawn (the unit's delete policy covers open ones only).
WITH d AS (DELETE FROM credit.commitment WHERE id = :c1 RETURNING id) SELECT count(*) AS deleted FROM d;
-- Unknown ids and missing arguments.
SELECT pg_temp.try('SELECT credit.resolve_commitment(-1, true)') AS unknown;
SELECT pg_temp.try(format('SELECT credit.resolve_commitment(%s, NULL)', :c3)) AS kept_null;
RESET SESSION AUTHORIZATION;

-- The records flow through auto-evaluation: the grade, the change log and the
-- commitment_broken warning (raised by the record trigger, with the grade drop).
SELECT * FROM cm_grade ORDER BY name;
SELECT c.old_grade, c.new_grade, c.cause, c.record_id = :broken_record AS caused_by_commitment
  FROM credit.grade_change c WHERE c.subject_id = :firm1 AND c.model = 'comprehensive_enterprise';
SELECT w.kind, w.level, w.topic, w.details ->> 'item_code' AS item,
       (w.details ->> 'record_id')::bigint = :broken_record AS names_record
  FROM credit.warning w WHERE w.subject_id = :firm1 ORDER BY w.kind;

-- Kept: a positive record; firm 2 goes from B (1048) to A (1053).
SET SESSION AUTHORIZATION regress_credit_cm_hclerk;
SELECT credit.resolve_commitment(:c2, true) AS kept_record \gset
SELECT item_code, department, decided_on = current_date AS today FROM credit.record WHERE id = :kept_record;
RESET SESSION AUTHORIZATION;
SELECT * FROM cm_grade ORDER BY name;
SELECT count(*) AS warnings_firm2 FROM credit.warning WHERE subject_id = :firm2;

-- The accepting unit may also resolve by setting the status: the same record follows.
SET SESSION AUTHORIZATION regress_credit_cm_mclerk;
UPDATE credit.commitment SET status = 'kept' WHERE id = :c3 RETURNING status, record_id IS NOT NULL AS has_record;
SELECT r.item_code, r.subject_id = :firm3 AS firm3 FROM credit.commitment c JOIN credit.record r ON r.id = c.record_id
 WHERE c.id = :c3;
-- A commitment registered by mistake is withdrawn while open.
INSERT INTO credit.commitment (subject_id, department, matter, content)
VALUES (:firm3, 'cm_market', 'bidding', 'Registered by mistake') RETURNING id AS c4 \gset
WITH d AS (DELETE FROM credit.commitment WHERE id = :c4 RETURNING id) SELECT count(*) AS withdrawn FROM d;
RESET SESSION AUTHORIZATION;

-- The analyst reads every commitment and the summary, resolves nothing.
SET SESSION AUTHORIZATION regress_credit_cm_analyst;
SELECT department, matter, status, record_id IS NOT NULL AS has_record FROM credit.commitment
 WHERE subject_id IN (:firm1, :firm2, :firm3) ORDER BY id;
SELECT * FROM credit.v_commitment_summary WHERE department LIKE 'cm\_%' ORDER BY department, matter;
SELECT pg_temp.try(format('SELECT credit.resolve_commitment(%s, true)', :c1)) AS analyst_resolves;
RESET SESSION AUTHORIZATION;
-- A unit's summary shows its own commitments only.
SET SESSION AUTHORIZATION regress_credit_cm_hclerk;
SELECT department, matter, open, overdue, kept, broken, kept_share FROM credit.v_commitment_summary;
RESET SESSION AUTHORIZATION;
-- the public has no access
SET ROLE credit_public;
SELECT pg_temp.try('SELECT * FROM credit.commitment') AS public_reads;
RESET ROLE;

-- Overdue open commitments count in the summary.
INSERT INTO credit.commitment (subject_id, department, matter, content, made_on, due_on)
VALUES (:firm3, 'cm_housing', 'government_procurement', 'Deliver by the deadline', current_date - 20, current_date - 2);
SELECT department, matter, open, overdue, kept, broken, kept_share FROM credit.v_commitment_summary
 WHERE department LIKE 'cm\_%' ORDER BY department, matter;

-- A unit's code may be renamed: its commitments, resolved or not, and records follow.
UPDATE credit.department SET code = 'cm_housing_bureau' WHERE code = 'cm_housing';
SELECT c.department, c.status, r.department AS record_department
  FROM credit.commitment c LEFT JOIN credit.record r ON r.id = c.record_id
 WHERE c.subject_id IN (:firm1, :firm2, :firm3) ORDER BY c.id;

-- Clean up: the test's commitments, records, subjects, units and roles
-- (without evaluation: the grades go with the subjects).
SET credit.auto_evaluation = off;
DELETE FROM credit.commitment WHERE department LIKE 'cm\_%';
DELETE FROM credit.record WHERE subject_id IN (:firm1, :firm2, :firm3);
DELETE FROM credit.subject WHERE id IN (:firm1, :firm2, :firm3);
DELETE FROM credit.department WHERE code LIKE 'cm\_%';
DROP ROLE regress_credit_cm_mclerk, regress_credit_cm_hclerk, regress_credit_cm_analyst,
    regress_credit_cm_market, regress_credit_cm_housing;
RESET credit.auto_evaluation;
