-- The partitioned layout: credit.partition_tables right after CREATE
-- EXTENSION hash-partitions the large per-subject tables by subject_id,
-- keeping everything that hangs on them; truncating or detaching a
-- partition is logged in the ledger.  In databases of its own, a plain one
-- to compare with.
SET client_min_messages = warning;
CREATE DATABASE credit_plain_layout;
CREATE DATABASE credit_partitioned_layout;

-- What hangs on the tables of the extension: columns, keys, indexes,
-- triggers, policies, privileges, comments, views and their columns, the
-- extension's members; compared between the two layouts.
\set fingerprint 'SELECT md5(string_agg(x, E''\\n'' ORDER BY x)) FROM (SELECT format(''%s|%s|%s|%s'', c.relname, CASE c.relkind WHEN ''p'' THEN ''r'' ELSE c.relkind END, c.relacl, obj_description(c.oid, ''pg_class'')) FROM pg_class c WHERE c.relnamespace = ''credit''::regnamespace AND c.relkind IN (''r'', ''p'', ''v'', ''S'') AND NOT c.relispartition UNION ALL SELECT format(''%s.%s|%s|%s|%s|%s'', a.attrelid::regclass, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attacl, col_description(a.attrelid, a.attnum)) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE c.relnamespace = ''credit''::regnamespace AND c.relkind IN (''r'', ''p'', ''v'') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped UNION ALL SELECT format(''%s|%s|%s'', k.conrelid::regclass, k.conname, pg_get_constraintdef(k.oid)) FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid WHERE c.relnamespace = ''credit''::regnamespace AND NOT c.relispartition AND k.conparentid = 0 UNION ALL SELECT format(''%s|%s'', i.indexrelid::regclass, replace(pg_get_indexdef(i.indexrelid), '' ON ONLY '', '' ON '')) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = ''credit''::regnamespace AND NOT c.relispartition UNION ALL SELECT format(''%s|%s|%s'', t.tgrelid::regclass, t.tgenabled, pg_get_triggerdef(t.oid)) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = ''credit''::regnamespace AND NOT c.relispartition AND NOT t.tgisinternal UNION ALL SELECT format(''%s|%s|%s|%s|%s|%s|%s'', p.tablename, p.policyname, p.permissive, p.roles, p.cmd, p.qual, p.with_check) FROM pg_policies p WHERE p.schemaname = ''credit'' UNION ALL SELECT format(''%s|%s'', v.oid::regclass, pg_get_viewdef(v.oid)) FROM pg_class v WHERE v.relnamespace = ''credit''::regnamespace AND v.relkind = ''v'' UNION ALL SELECT format(''%s|%s|%s'', p.oid::regprocedure, p.proacl, obj_description(p.oid, ''pg_proc'')) FROM pg_proc p WHERE p.pronamespace = ''credit''::regnamespace UNION ALL SELECT pg_describe_object(d.classid, d.objid, d.objsubid) FROM pg_depend d WHERE d.refclassid = ''pg_extension''::regclass AND d.refobjid = (SELECT e.oid FROM pg_extension e WHERE e.extname = ''credit'')) f (x)'

\c credit_plain_layout
SET client_min_messages = warning;
CREATE EXTENSION credit;
:fingerprint \gset plain_

-- Every table that grows with the subjects has a unique key that carries the
-- subject (what hash partitioning and distribution by subject need), but for
-- those keyed by something else on purpose: a code (subject_code), a
-- decision (decision: unit, item, document and party) and a unit's feed rows
-- (intake_row).  Lists the tables that have none.
SELECT c.relname AS no_key_with_subject
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
 WHERE c.relnamespace = 'credit'::regnamespace AND c.relkind IN ('r', 'p')
   AND a.attname IN ('subject_id', 'from_subject') AND NOT a.attisdropped
   AND c.relname NOT IN ('subject_code', 'decision', 'intake_row')
   AND NOT EXISTS (SELECT FROM pg_index i
                    WHERE i.indrelid = c.oid AND i.indisunique AND i.indpred IS NULL
                      AND a.attnum = ANY (i.indkey))
 ORDER BY 1;

\c credit_partitioned_layout
SET client_min_messages = warning;
CREATE EXTENSION credit;

-- Refused: a bad number, a caller that does not own the extension, data.
SELECT credit.partition_tables(1);
SELECT credit.partition_tables(NULL);
SET ROLE credit_admin;
SELECT credit.partition_tables(4);
RESET ROLE;
BEGIN;
INSERT INTO credit.department (code, name) VALUES ('pt_market', 'Partition test market bureau');
INSERT INTO credit.subject (id, kind, name) VALUES (1, 'enterprise', 'Partition test Co.');
INSERT INTO credit.record (subject_id, item_code, department, decided_on) VALUES (1, 'license', 'pt_market', CURRENT_DATE);
SELECT credit.partition_tables(4);
ROLLBACK;

SELECT credit.partition_tables(4) AS tables_partitioned;
SELECT credit.partition_tables(4);

-- The layout: each table partitioned by hash of subject_id into 4.
SELECT t::text AS tbl, c.relkind, pg_get_partkeydef(t) AS partition_key,
       (SELECT count(*) FROM pg_inherits i WHERE i.inhparent = t) AS partitions
  FROM unnest(credit.partitioned_tables()) t JOIN pg_class c ON c.oid = t;
-- Everything else as in the plain layout.
:fingerprint \gset partitioned_
SELECT :'plain_md5' = :'partitioned_md5' AS same_as_plain;

-- The platform at work: a unit's records fold into grades; a full run
-- agrees; lists, matching and the ledger work.
INSERT INTO credit.department (code, name) VALUES ('pt_market', 'Partition test market bureau');
INSERT INTO credit.subject (id, kind, name, uscc)
SELECT g, 'enterprise', 'Partition test Co. ' || g,
       (CASE g WHEN 1 THEN '91320281142232229Q' WHEN 2 THEN '91110000600037341L' END)::credit.uscc
  FROM generate_series(1, 40) g;
INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on, amount)
SELECT 1 + g % 40, (ARRAY['license', 'penalty_general', 'penalty_serious', 'honour_city'])[1 + g % 4],
       'pt_market', 'pt-' || g, CURRENT_DATE - (g * 17) % 700, 1000 * g
  FROM generate_series(1, 400) g;
SELECT count(DISTINCT tableoid) AS partitions_used, count(*) AS records FROM credit.record;
SELECT count(*) AS grades FROM credit.subject_grade WHERE model = 'comprehensive_enterprise';
CREATE TEMP TABLE folded AS SELECT subject_id, model, score, grade FROM credit.subject_grade;
SELECT credit.run_evaluation('comprehensive_enterprise') > 0 AS evaluated;
SELECT count(*) AS differ
  FROM folded f JOIN credit.subject_grade g USING (subject_id, model)
 WHERE abs(f.score - g.score) > 1e-6 OR f.grade IS DISTINCT FROM g.grade;
SELECT count(*) AS evaluations, count(DISTINCT tableoid) AS partitions_used FROM credit.evaluation;
INSERT INTO credit.list_entry (list_code, name, code, listed_on, reason)
VALUES ('serious_dishonesty', '江阴示例机械有限公司', '91320281142232229Q', CURRENT_DATE - 1, 'fraud');
SELECT e.subject_id, r.subject_id AS record_subject, g.grade
  FROM credit.list_entry e JOIN credit.record r ON r.subject_id = e.subject_id AND r.id = e.record_id
  JOIN credit.subject_grade g ON g.subject_id = e.subject_id AND g.model = 'comprehensive_enterprise';
SELECT list_code, level FROM credit.match('江阴示例机械有限公司', '91320281142232229Q');
SELECT count(*) > 0 AS warned FROM credit.warning WHERE subject_id = 1;
SELECT count(*) > 0 AS grade_changes FROM credit.grade_change WHERE subject_id = 1;
SELECT count(*) AS published FROM credit.publicity_penalty;
SELECT * FROM credit.verify_ledger();

-- A unit's clerk: row-level security on the partitioned table.
CREATE ROLE pt_clerk LOGIN;
GRANT credit_department TO pt_clerk;
UPDATE credit.department SET role = 'pt_clerk' WHERE code = 'pt_market';
SET ROLE pt_clerk;
SELECT count(*) AS own_records FROM credit.record WHERE department = 'pt_market';
INSERT INTO credit.record (subject_id, item_code, department, decided_on) VALUES (3, 'license', 'platform', CURRENT_DATE);
RESET ROLE;

-- Truncating a partition of a ledgered table is logged: the ledger entry
-- names the partition by modulus (key1) and remainder (key2), and
-- verify_ledger counts its rows as removed, not tampered with.
TRUNCATE credit.evaluation_p1;
SELECT relation, op, key1, key2 FROM credit.ledger ORDER BY seq DESC LIMIT 1;
SELECT * FROM credit.verify_ledger();
-- inside the truncating transaction too
BEGIN;
TRUNCATE credit.evaluation_p2;
SELECT * FROM credit.verify_ledger();
ROLLBACK;
-- A partition of credit.record is referenced by list entries, commitments,
-- repair requests and objections: TRUNCATE refuses it; it is detached
-- instead (its rows kept as a table of their own), once none of them
-- points into it.
TRUNCATE credit.record_p0;
DELETE FROM credit.list_entry;
SELECT credit.detach_partition('credit.record_p0');
SELECT relation, op, key1, key2 FROM credit.ledger ORDER BY seq DESC LIMIT 1;
SELECT count(*) > 0 AS archived_rows FROM credit.record_p0;
SELECT * FROM credit.verify_ledger();
SELECT credit.detach_partition('credit.subject');
-- a row deleted behind the ledger's back still shows
SET session_replication_role = replica;
DELETE FROM credit.record_p3 WHERE id = (SELECT min(id) FROM credit.record_p3);
RESET session_replication_role;
SELECT count(*) AS problems FROM credit.verify_ledger();

\c contrib_regression
SET client_min_messages = warning;
DROP DATABASE credit_plain_layout;
DROP DATABASE credit_partitioned_layout;
DROP ROLE pt_clerk;
