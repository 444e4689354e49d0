-- Ledger (docs/ledger.md): every change to records, list entries
-- and evaluations is chained by SHA-256 in credit.ledger;
-- credit.verify_ledger() is empty when nothing was tampered with, and
-- reports each kind of tampering with the entry it concerns.
-- Entries are appended at commit: this test commits.  Entry numbers are
-- shown relative to the ledger's head at the start (:base).
SELECT coalesce(max(seq), 0) AS base FROM credit.ledger \gset
-- whatever earlier tests did went through the ledger
SELECT count(*) AS problems_before FROM credit.verify_ledger();

\i sql/include/try.sql
-- the entries since :base
CREATE FUNCTION pg_temp.entries(base bigint)
RETURNS TABLE (entry bigint, relation text, op text, key1 bigint[], key2 bigint[], n_old int, n_new int, chained boolean)
LANGUAGE sql AS $$
    SELECT l.seq - base, l.relation, l.op, l.key1, l.key2,
           cardinality(l.old_hashes), cardinality(l.new_hashes),
           l.prev_hash = lag(l.hash) OVER (ORDER BY l.seq)
      FROM credit.ledger l WHERE l.seq > base ORDER BY l.seq
$$;

-- The example of docs/ledger.md.
INSERT INTO credit.department (code, name) VALUES ('ledger_docs', 'Ledger example bureau');
-- (an industry and a model of this test only, so that a run evaluates this subject alone)
INSERT INTO credit.industry (code, name) VALUES ('ledger_test', 'Ledger test industry');
INSERT INTO credit.model (code, name, scope, subject_kinds, base, lo, hi)
VALUES ('ledger_model', 'Ledger test model', 'ledger_test', '{enterprise}', 100, 0, 200);
INSERT INTO credit.model_grade (model, grade, min_score, rank) VALUES ('ledger_model', 'ok', 0, 1);
INSERT INTO credit.subject (id, kind, name, industries) VALUES (9860001, 'enterprise', '江阴示例账本有限公司', '{ledger_test}');
-- (subjects are ledgered too: entries are numbered from after the subject's)
SELECT max(seq) AS base FROM credit.ledger \gset
INSERT INTO credit.record (id, subject_id, item_code, department, decided_on, document_no)
VALUES (9860001, 9860001, 'penalty_general', 'ledger_docs', DATE '2025-03-01', '澄罚〔2025〕1号');
UPDATE credit.record SET status = 'objected' WHERE id = 9860001;
SELECT relation, op, key1, cardinality(new_hashes) AS rows
  FROM credit.ledger ORDER BY seq DESC LIMIT 2;
SELECT * FROM credit.verify_ledger();
-- a superuser changes the record behind the triggers' back
SET session_replication_role = replica;
UPDATE credit.record SET status = 'active' WHERE id = 9860001;
RESET session_replication_role;
SELECT seq - :base AS entry, problem FROM credit.verify_ledger();
-- (put back as logged: nothing to report)
SET session_replication_role = replica;
UPDATE credit.record SET status = 'objected' WHERE id = 9860001;
RESET session_replication_role;
SELECT * FROM credit.verify_ledger();

-- Inserts, updates and deletes: one entry per statement and table, in commit order.
INSERT INTO credit.record (id, subject_id, item_code, department, decided_on, amount, details)
SELECT 9860001 + g, 9860001, (ARRAY['license', 'penalty_minor', 'contract_breach'])[1 + g % 3],
       'ledger_docs', DATE '2025-01-01' + g, g * 100.5, jsonb_build_object('n', g, 'note', '第' || g || '号')
  FROM generate_series(1, 5) g;
UPDATE credit.record SET value = 2 WHERE id IN (9860002, 9860003);
DELETE FROM credit.record WHERE id = 9860004;
-- a key that changes: a delete of the old key and an insert of the new one
UPDATE credit.record SET id = 9860099 WHERE id = 9860005;
-- a transaction of two statements on two tables
BEGIN;
INSERT INTO credit.list_entry (id, list_code, name, code, listed_on, reason)
VALUES (9860001, 'abnormal_operation', '江阴示例账本有限公司', NULL, DATE '2025-04-01', 'unreachable');
UPDATE credit.list_entry SET removed_on = DATE '2025-05-01' WHERE id = 9860001;
COMMIT;
-- rolled back: nothing logged, neither a transaction nor a savepoint
BEGIN;
INSERT INTO credit.record (id, subject_id, item_code, department, decided_on)
VALUES (9860050, 9860001, 'license', 'ledger_docs', DATE '2025-02-01');
ROLLBACK;
BEGIN;
INSERT INTO credit.record (id, subject_id, item_code, department, decided_on)
VALUES (9860051, 9860001, 'license', 'ledger_docs', DATE '2025-02-01');
SAVEPOINT s;
DELETE FROM credit.record WHERE id = 9860051;
ROLLBACK TO SAVEPOINT s;
COMMIT;
SELECT * FROM pg_temp.entries(:base);
SELECT * FROM credit.verify_ledger();
-- Inside a transaction, verify counts its own changes (appended at its commit) as the chain's tail.
BEGIN;
INSERT INTO credit.record (id, subject_id, item_code, department, decided_on)
VALUES (9860052, 9860001, 'license', 'ledger_docs', DATE '2025-02-01');
UPDATE credit.record SET value = 3 WHERE id IN (9860002, 9860052);
UPDATE credit.record SET id = 9860053 WHERE id = 9860052;
DELETE FROM credit.record WHERE id = 9860051;
SELECT count(*) AS not_yet_appended FROM credit.ledger WHERE seq > :base + 10;
SELECT * FROM credit.verify_ledger();
SET session_replication_role = replica;
UPDATE credit.record SET value = 4 WHERE id = 9860053;
RESET session_replication_role;
SELECT seq, problem FROM credit.verify_ledger();
ROLLBACK;

-- An evaluation run: its results are one entry (keys run_id, subject_id).
SELECT credit.run_evaluation('ledger_model', DATE '2025-06-30') AS run \gset
SELECT relation, op, key1 = ARRAY[:run]::bigint[] AS run_key, key2, cardinality(new_hashes) AS rows
  FROM credit.ledger WHERE relation = 'evaluation' ORDER BY seq DESC LIMIT 1;
SELECT * FROM credit.verify_ledger();

-- The row hash is the one logged, and does not depend on the session's settings.
SELECT credit.ledger_hash_row(r) = (SELECT new_hashes[1] FROM credit.ledger
                                     WHERE relation = 'record' AND 9860001 = ANY (key1) ORDER BY seq DESC LIMIT 1) AS logged
  FROM credit.record r WHERE id = 9860001;
SELECT credit.ledger_hash_row(r) AS h FROM credit.record r WHERE id = 9860003 \gset
SET TimeZone = 'Asia/Shanghai';
SET DateStyle = 'SQL, DMY';
SET extra_float_digits = 0;
SELECT credit.ledger_hash_row(r) = :'h'::bytea AS same_hash FROM credit.record r WHERE id = 9860003;
SELECT count(*) AS problems FROM credit.verify_ledger();
RESET TimeZone;
RESET DateStyle;
RESET extra_float_digits;
SELECT pg_temp.try('SELECT credit.ledger_hash_row(42)') AS not_a_row;

-- Tampering, one kind at a time (as superuser), each undone afterwards:
-- the ledger as it is now is kept aside and put back.
CREATE TEMP TABLE kept AS SELECT * FROM credit.ledger WHERE seq > :base;
CREATE FUNCTION pg_temp.put_back(base bigint) RETURNS void LANGUAGE sql AS $$
    DELETE FROM credit.ledger WHERE seq > base;
    INSERT INTO credit.ledger SELECT * FROM kept;
$$;
-- (1) an entry edited
UPDATE credit.ledger SET who = 'mallory' WHERE seq = :base + 3;
SELECT seq - :base AS entry, problem FROM credit.verify_ledger();
SELECT pg_temp.put_back(:base);
-- ... and edited with its hash recomputed by hand: the next entry no longer follows
UPDATE credit.ledger SET key1 = '{9860002,9860003,9860004,9860005,9860007}' WHERE seq = :base + 3;
UPDATE credit.ledger SET hash = sha256(hash) WHERE seq = :base + 3;
SELECT seq - :base AS entry, problem FROM credit.verify_ledger();
SELECT pg_temp.put_back(:base);
-- (2) an entry deleted: the chain breaks, and the row versions it logged are missed
DELETE FROM credit.ledger WHERE seq = :base + 4;
SELECT seq - :base AS entry, problem FROM credit.verify_ledger();
SELECT pg_temp.put_back(:base);
-- ... the newest entry deleted: no gap behind it, but the row it logged is not in the ledger
DELETE FROM credit.ledger WHERE seq = (SELECT max(seq) FROM credit.ledger);
SELECT seq - :base AS entry, regexp_replace(problem, '=\(\d+, ', '=(<run>, ') AS problem FROM credit.verify_ledger();
SELECT pg_temp.put_back(:base);
-- (3) two entries swapped
UPDATE credit.ledger SET seq = -seq WHERE seq IN (:base + 3, :base + 4);
UPDATE credit.ledger SET seq = CASE seq WHEN -(:base + 3) THEN :base + 4 ELSE :base + 3 END WHERE seq < 0;
SELECT seq - :base AS entry, problem FROM credit.verify_ledger();
SELECT pg_temp.put_back(:base);
SELECT count(*) AS problems FROM credit.verify_ledger();
-- (4) a record changed behind the triggers (session_replication_role = replica)
SET session_replication_role = replica;
UPDATE credit.record SET amount = 1 WHERE id = 9860002;
RESET session_replication_role;
SELECT seq - :base AS entry, problem FROM credit.verify_ledger();
-- ... and changed again normally afterwards: the gap in its history is still seen
UPDATE credit.record SET document_no = 'later' WHERE id = 9860002;
SELECT seq - :base AS entry, problem FROM credit.verify_ledger();
-- (undone: the row put back as logged, the ledger as kept)
SET session_replication_role = replica;
UPDATE credit.record SET amount = 100.50, document_no = NULL WHERE id = 9860002;
RESET session_replication_role;
SELECT pg_temp.put_back(:base);
SELECT count(*) AS problems FROM credit.verify_ledger();
-- (5) a record deleted with the ledger's triggers disabled
CREATE TEMP TABLE kept_record AS SELECT * FROM credit.record WHERE id = 9860003;
ALTER TABLE credit.record DISABLE TRIGGER ledger_delete;
DELETE FROM credit.record WHERE id = 9860003;
SELECT seq - :base AS entry, problem FROM credit.verify_ledger();
ALTER TABLE credit.record ENABLE TRIGGER ledger_delete;
SELECT seq - :base AS entry, problem FROM credit.verify_ledger();
-- (6) records inserted behind the triggers: the deleted one put back as it was, and a new one
SET session_replication_role = replica;
INSERT INTO credit.record SELECT * FROM kept_record;
INSERT INTO credit.record (id, subject_id, item_code, department, decided_on)
VALUES (9860098, 9860001, 'license', 'ledger_docs', DATE '2025-02-01');
RESET session_replication_role;
SELECT seq - :base AS entry, problem FROM credit.verify_ledger();
SET session_replication_role = replica;
DELETE FROM credit.record WHERE id = 9860098;
RESET session_replication_role;
SELECT count(*) AS problems FROM credit.verify_ledger();

-- TRUNCATE is logged (an entry without rows): the rows it removed are gone as logged.
CREATE TEMP TABLE kept_eval AS SELECT * FROM credit.evaluation;
TRUNCATE credit.evaluation;
SELECT relation, op, cardinality(key1) AS rows FROM credit.ledger ORDER BY seq DESC LIMIT 1;
SELECT count(*) AS problems FROM credit.verify_ledger();
INSERT INTO credit.evaluation SELECT * FROM kept_eval;
SELECT count(*) AS problems FROM credit.verify_ledger();

-- Privileges: analysts read and verify; nobody but superusers writes the
-- ledger; units neither read it nor verify, but their changes are logged.
CREATE ROLE regress_ledger_analyst IN ROLE credit_analyst;
CREATE ROLE regress_ledger_admin IN ROLE credit_admin;
CREATE ROLE regress_ledger_unit IN ROLE credit_department;
INSERT INTO credit.department (code, name, role) VALUES ('ledger_unit', 'Ledger test unit', 'regress_ledger_unit');
SET ROLE regress_ledger_analyst;
SELECT count(*) > 0 AS reads FROM credit.ledger;
SELECT count(*) AS problems FROM credit.verify_ledger();
SELECT pg_temp.try('UPDATE credit.ledger SET who = ''x''') AS analyst_update;
SET ROLE regress_ledger_admin;
SELECT count(*) AS problems FROM credit.verify_ledger();
SELECT pg_temp.try('DELETE FROM credit.ledger') AS admin_delete;
SELECT pg_temp.try('UPDATE credit.ledger SET who = ''x''') AS admin_update;
SELECT pg_temp.try('INSERT INTO credit.ledger SELECT * FROM credit.ledger LIMIT 1') AS admin_insert;
SELECT pg_temp.try('TRUNCATE credit.ledger') AS admin_truncate;
SET ROLE regress_ledger_unit;
SELECT pg_temp.try('SELECT count(*) FROM credit.ledger') AS unit_read;
SELECT pg_temp.try('SELECT * FROM credit.verify_ledger()') AS unit_verify;
INSERT INTO credit.record (subject_id, item_code, department, decided_on)
VALUES (9860001, 'license', 'ledger_unit', DATE '2025-02-03') RETURNING id AS unit_record \gset
RESET ROLE;
SELECT relation, op, key1 = ARRAY[:unit_record]::bigint[] AS unit_record, who FROM credit.ledger ORDER BY seq DESC LIMIT 1;
SELECT count(*) AS problems FROM credit.verify_ledger();
SELECT pg_temp.try('SELECT credit.ledger_capture()') AS called_directly;
SELECT p.proname, p.provolatile, p.proparallel FROM pg_proc p
 WHERE p.pronamespace = 'credit'::regnamespace AND p.proname IN ('verify_ledger', 'ledger_hash_row') ORDER BY 1;

-- Clean up, through the triggers: the ledger logs the deletes and stays whole.
DELETE FROM credit.evaluation_run WHERE model = 'ledger_model';
DELETE FROM credit.record WHERE subject_id = 9860001;
DELETE FROM credit.list_entry WHERE id = 9860001;
DELETE FROM credit.grade_change WHERE subject_id = 9860001;
DELETE FROM credit.warning WHERE subject_id = 9860001;
DELETE FROM credit.subject_grade WHERE subject_id = 9860001;
DELETE FROM credit.subject WHERE id = 9860001;
DELETE FROM credit.model WHERE code = 'ledger_model';
DELETE FROM credit.industry WHERE code = 'ledger_test';
DELETE FROM credit.department WHERE code IN ('ledger_docs', 'ledger_unit');
DROP ROLE regress_ledger_analyst, regress_ledger_admin, regress_ledger_unit;
SELECT relation, op, cardinality(old_hashes) AS rows FROM credit.ledger WHERE seq > :base ORDER BY seq DESC LIMIT 3;
SELECT count(*) AS problems FROM credit.verify_ledger();
