-- make smith: the small county sqlsmith runs against (tools/smith.sh), and
-- the schema that steers its choice of functions to the extension's.
CREATE EXTENSION credit;

-- A unit, its clerk, a superuser for the fuzzer.
CREATE ROLE smith_unit NOLOGIN IN ROLE credit_department;
CREATE ROLE smith_clerk LOGIN IN ROLE smith_unit;
CREATE ROLE smith_super LOGIN SUPERUSER;
INSERT INTO credit.department (code, name, role) VALUES ('smith_market', 'Smith market supervision', 'smith_unit');

-- Subjects with real codes, records of several items, lists, an evaluation.
INSERT INTO credit.subject (kind, name, uscc) VALUES
    ('enterprise', '江阴市华达机械有限公司', '91320281142232229Q'),
    ('enterprise', '华为技术有限公司', '914403001922038216'),
    ('institution', '天津示例研究院', '121200004013590816');
INSERT INTO credit.subject (kind, name, person_id) VALUES
    ('individual', '张三', '11010519491231002X'), ('individual', '李四', '34052419800101001X');
INSERT INTO credit.subject (kind, name)
SELECT (ARRAY['enterprise', 'social_org', 'government']::credit.subject_kind[])[1 + g % 3], 'Smith subject ' || g
  FROM generate_series(1, 30) g;
INSERT INTO credit.record (subject_id, item_code, department, decided_on, value, document_no)
SELECT s.id, (ARRAY['penalty_general', 'penalty_serious', 'honour_city', 'license'])[1 + (s.id + g) % 4],
       'smith_market', current_date - ((s.id * 13 + g * 7) % 700)::int, 1 + g % 3, 'smith-' || s.id || '-' || g
  FROM credit.subject s, generate_series(1, 4) g WHERE s.kind <> 'individual';
INSERT INTO credit.record (subject_id, item_code, department, decided_on)
SELECT id, 'person_penalty_general', 'smith_market', current_date - 40 FROM credit.subject WHERE kind = 'individual';
INSERT INTO credit.list_entry (list_code, name, code, listed_on, reason) VALUES
    ('serious_dishonesty', '江陰市華達機械有限責任公司', '14223222-9', current_date - 10, 'fraud'),
    ('dishonest_debtor', '張三', '110105491231002', current_date - 5, 'judgment not performed'),
    ('abnormal_operation', '江阴市宏远纺织有限公司', NULL, current_date - 5, 'unreachable');
SELECT credit.run_evaluation('comprehensive_enterprise');
GRANT SELECT ON credit.subject, credit.record TO smith_clerk;

-- sqlsmith reads the functions it may call from pg_proc, unqualified: for
-- its roles, search_path puts this view first, listing the extension's
-- functions (but those that change the layout) and a few of PostgreSQL's.
CREATE SCHEMA smith;
CREATE VIEW smith.pg_proc AS
    SELECT p.* FROM pg_catalog.pg_proc p
     WHERE (p.pronamespace = 'credit'::regnamespace
            AND p.proname NOT IN ('partition_tables', 'detach_partition', 'distribute')
            AND NOT 'internal'::regtype = ANY (p.proargtypes::oid[]))
        OR (p.pronamespace = 'pg_catalog'::regnamespace
            AND p.proname IN ('count', 'max', 'min', 'sum', 'repeat', 'concat', 'left', 'length', 'lpad',
                              'chr', 'upper', 'make_date', 'now', 'nullif', 'jsonb_build_object', 'to_jsonb'));
GRANT USAGE ON SCHEMA smith TO PUBLIC;
GRANT SELECT ON smith.pg_proc TO PUBLIC;
ALTER ROLE smith_clerk SET search_path = smith, pg_catalog, credit;
ALTER ROLE smith_super SET search_path = smith, pg_catalog, credit;
