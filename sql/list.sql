-- Red and black lists: entries resolve to subjects and become credit records
BEGIN;
SELECT code, kind, item_code FROM credit.list ORDER BY code;
INSERT INTO credit.subject (kind, name, uscc) VALUES
    ('enterprise', '江阴市华达机械有限公司', '91320281142232229Q'),
    ('enterprise', '深圳示例科技有限公司', '9144030071526726XG');
INSERT INTO credit.subject (kind, name, person_id) VALUES ('individual', '张三', '11010519491231002X');

-- entries arrive dirty: Traditional characters, full-width, old organisation codes, 15-digit IDs
INSERT INTO credit.list_entry (list_code, name, code, listed_on, reason, document_no) VALUES
    ('serious_dishonesty', '江陰市華達機械有限責任公司', '14223222-9', current_date - 10, 'fraud', '(2026)苏0281执1号'),
    ('dishonest_debtor', '張三', '110105491231002', current_date - 5, 'judgment not performed', NULL),
    ('abnormal_operation', '江阴市宏远纺织有限公司', NULL, current_date - 5, 'unreachable at its address', NULL),
    ('red_tax_a', 'ＳＨＥＮＺＨＥＮ 深圳示例科技有限公司', ' 9144 0300 7152 6726 xg', current_date - 100, NULL, NULL),
    ('key_attention', '李四', 'not a code', current_date - 1, NULL, NULL);
SELECT e.list_code, e.name_key, e.code_kind, e.code_canonical, s.name AS subject, e.record_id IS NOT NULL AS has_record
  FROM credit.list_entry e LEFT JOIN credit.subject s ON s.id = e.subject_id ORDER BY e.list_code;

-- a resolved, active entry is a credit record of the list's catalogue item
SELECT s.name, r.item_code, r.department, r.decided_on = e.listed_on AS dated_listed_on, r.status,
       r.details ->> 'list_code' AS list_code, (r.details ->> 'list_entry')::bigint = e.id AS linked
  FROM credit.list_entry e JOIN credit.record r ON r.id = e.record_id JOIN credit.subject s ON s.id = r.subject_id
 ORDER BY r.item_code;

-- the parser behind code_kind
SELECT c, (credit.parse_code(c)).*
  FROM unnest(ARRAY['91320281142232229Q', '142232229', '14223222-9', '１４２２３２２２－９', '14223222-8',
                    '110105491231002', '11010519491231002x', repeat('Ab', 32), '\x' || repeat('0f', 32), 'nonsense', '']) c;

-- the index of the organisation-code look-up (a plain index scan: whether a
-- bitmap or sequential scan would cost less depends on the table's statistics
-- of the moment)
SET enable_bitmapscan = off;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM credit.subject WHERE credit.org_code(uscc) = '142232229';
RESET enable_bitmapscan;
RESET enable_seqscan;

-- removal: the record stops counting (revoked) and stays linked
UPDATE credit.list_entry SET removed_on = current_date WHERE list_code = 'serious_dishonesty';
SELECT e.list_code, r.status FROM credit.list_entry e JOIN credit.record r ON r.id = e.record_id
 WHERE e.list_code = 'serious_dishonesty';
-- put back: counts again, same record
UPDATE credit.list_entry SET removed_on = NULL WHERE list_code = 'serious_dishonesty';
SELECT e.list_code, r.status FROM credit.list_entry e JOIN credit.record r ON r.id = e.record_id
 WHERE e.list_code = 'serious_dishonesty';

-- expiry: by an update, or by the passing of time (credit.expire_list_entries)
UPDATE credit.list_entry SET expires_on = current_date - 1 WHERE list_code = 'dishonest_debtor';
SELECT e.list_code, r.status FROM credit.list_entry e JOIN credit.record r ON r.id = e.record_id
 WHERE e.list_code = 'dishonest_debtor';
INSERT INTO credit.list_entry (list_code, name, code, listed_on, expires_on)
    VALUES ('red_honour', '江阴市华达机械有限公司', '91320281142232229Q', current_date - 30, current_date);
SELECT credit.expire_list_entries(current_date);
SELECT credit.expire_list_entries(current_date + 1);
SELECT r.status FROM credit.list_entry e JOIN credit.record r ON r.id = e.record_id WHERE e.list_code = 'red_honour';

-- deletion: the record is revoked and kept
DELETE FROM credit.list_entry WHERE list_code = 'red_tax_a';
SELECT r.item_code, r.status FROM credit.record r WHERE r.item_code = 'list_red_tax_a';

-- an entry whose subject registers later is resolved by credit.resolve_list_entries
INSERT INTO credit.list_entry (list_code, name, code, listed_on)
    VALUES ('key_attention', '天津示例研究院', '121200004013590816', current_date - 3);
SELECT subject_id IS NULL AS unresolved FROM credit.list_entry WHERE code = '121200004013590816';
INSERT INTO credit.subject (kind, name, uscc) VALUES ('institution', '天津示例研究院', '121200004013590816');
SELECT credit.resolve_list_entries() >= 1 AS resolved;
SELECT e.subject_id IS NOT NULL AS resolved, r.item_code, r.status
  FROM credit.list_entry e JOIN credit.record r ON r.id = e.record_id WHERE e.code = '121200004013590816';

-- masked view of active entries
SELECT list_code, name, code FROM credit.list_entry_public ORDER BY list_code, name;
ROLLBACK;

-- refused: a future date, an unknown list, a bad kind
DO $$
BEGIN
    INSERT INTO credit.list_entry (list_code, name, listed_on) VALUES ('serious_dishonesty', 'x', current_date + 1);
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'SQLSTATE %: %', SQLSTATE, regexp_replace(SQLERRM, '\d{4}-\d\d-\d\d', 'DATE');
END
$$;
INSERT INTO credit.list_entry (list_code, name) VALUES ('no_such_list', 'x');
DO $$
BEGIN
    INSERT INTO credit.list (code, name, kind) VALUES ('grey', 'Grey list', 'grey');
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'SQLSTATE %: %', SQLSTATE, SQLERRM;
END
$$;

-- privileges: a unit the list names as a sender sends entries, resolved by
-- ID number, but cannot read ID numbers of subjects nor the codes it sent
-- (sql/security_lists.sql tries the rest)
BEGIN;
CREATE ROLE regress_credit_list_court NOLOGIN IN ROLE credit_department;
INSERT INTO credit.department (code, name, role) VALUES ('list_court', 'List test: court', 'regress_credit_list_court');
INSERT INTO credit.list_sender (list_code, department) VALUES ('dishonest_debtor', 'list_court');
INSERT INTO credit.subject (kind, name, person_id) VALUES ('individual', '王五', '34052419800101001X');
SET LOCAL ROLE regress_credit_list_court;
INSERT INTO credit.list_entry (list_code, name, code, listed_on)
    VALUES ('dishonest_debtor', '王五', '34052419800101001x', current_date - 2);
SELECT name, department, subject_id IS NOT NULL AS resolved, record_id IS NOT NULL AS has_record
  FROM credit.list_entry WHERE name = '王五';
SELECT code FROM credit.list_entry_public WHERE name = '王五';
SAVEPOINT own_codes;
SELECT code FROM credit.list_entry WHERE name = '王五';
ROLLBACK TO own_codes;
SELECT person_id FROM credit.subject WHERE name = '王五';
ROLLBACK;
BEGIN;
SET LOCAL ROLE credit_analyst;
SELECT code FROM credit.list_entry LIMIT 1;
ROLLBACK;
BEGIN;
SET LOCAL ROLE credit_public;
INSERT INTO credit.list_entry (list_code, name) VALUES ('dishonest_debtor', 'x');
ROLLBACK;
