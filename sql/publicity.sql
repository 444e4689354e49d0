-- Double publicity (双公示): what is published, for how long, and what is not.
INSERT INTO credit.department (code, name) VALUES ('pub_market', 'Market Supervision Bureau (市场监管局)');
INSERT INTO credit.subject (id, kind, name, uscc)
     VALUES (900001, 'enterprise', '江阴公示示例有限公司', '91320281142232229Q');
INSERT INTO credit.subject (id, kind, name, person_id)
     VALUES (900002, 'individual', '张三', '11010519491231002X');

-- Periods follow the catalogue's severity (docs/publicity.md).
SELECT code, severity, published, min_publicity, max_publicity
  FROM credit.catalog_item
 WHERE code IN ('license', 'penalty_warning', 'penalty_minor', 'penalty_general', 'penalty_serious')
 ORDER BY code;

INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on, amount, status, details) VALUES
  (900001, 'penalty_general', 'pub_market', 'P-1', current_date - 30,  20000, 'active', '{"violation_type": "false advertising"}'),
  (900001, 'penalty_general', 'pub_market', 'P-2', current_date - 400, 5000,  'active', '{}'),
  (900001, 'penalty_serious', 'pub_market', 'P-3', current_date - 400, 90000, 'active', '{}'),
  (900001, 'penalty_minor',   'pub_market', 'P-4', current_date - 5,   100,   'active', '{}'),
  (900001, 'penalty_warning', 'pub_market', 'P-5', current_date - 5,   NULL,  'active', '{}'),
  (900001, 'penalty_general', 'pub_market', 'P-6', current_date - 5,   NULL,  'active', '{"penalty_kind": "warning"}'),
  (900001, 'penalty_general', 'pub_market', 'P-7', current_date - 5,   3000,  'revoked', '{}'),
  (900001, 'penalty_general', 'pub_market', 'P-8', current_date - 5,   3000,  'objected', '{}'),
  (900001, 'license',         'pub_market', 'L-1', current_date - 5,   NULL,  'active', '{"license_category": "food business"}'),
  (900002, 'person_penalty_general', 'pub_market', 'P-9', current_date - 1, 200, 'active', '{}');

-- publicity_until: decision date + maximum period; NULL when never published; infinity while active.
SELECT document_no, status,
       CASE WHEN publicity_until IS NULL THEN 'not published'
            WHEN publicity_until = 'infinity' THEN 'while active'
            WHEN publicity_until = (decided_on + interval '1 year')::date THEN '1 year'
            WHEN publicity_until = (decided_on + interval '3 years')::date THEN '3 years'
            WHEN publicity_until = (decided_on + interval '3 months')::date THEN '3 months'
       END AS publicity
  FROM credit.record WHERE department = 'pub_market' ORDER BY document_no;

-- Currently published penalties: P-2 ran out, P-4..P-7 are not published, P-8 is marked.
SELECT decision_document_no, party_name, party_category, uscc, org_code, person_id, fine_10k_cny, severity, remarks
  FROM credit.publicity_penalty WHERE deciding_authority LIKE 'Market Supervision%'
 ORDER BY decision_document_no;
SELECT decision_document_no, party_name, license_category, current_status
  FROM credit.publicity_license WHERE licensing_authority LIKE 'Market Supervision%';

-- Published red and black lists (红黑名单公示): active entries of published
-- lists (resolved or not) and listings received as records of a list's item;
-- the key attention list is not published, a removed entry no longer.
INSERT INTO credit.list_entry (list_code, name, code, listed_on, reason, document_no) VALUES
    ('serious_dishonesty', '江阴公示示例有限公司', '91320281142232229Q', current_date - 10, 'subsidy fraud', 'LE-1'),
    ('dishonest_debtor', '李四', '110105194912310038', current_date - 20, 'judgment not performed', 'LE-2'),
    ('key_attention', '江阴公示示例有限公司', '91320281142232229Q', current_date - 5, 'repeated penalties', 'LE-3'),
    ('abnormal_operation', '江阴公示示例有限公司', '91320281142232229Q', current_date - 40, 'annual report missing', 'LE-4');
UPDATE credit.list_entry SET removed_on = current_date WHERE document_no = 'LE-4';
INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on, status) VALUES
    (900002, 'list_dishonest_debtor', 'pub_market', 'LR-1', current_date - 3, 'active'),
    (900002, 'list_red_honour', 'pub_market', 'LR-2', current_date - 3, 'revoked');
SET ROLE credit_public;
SELECT list_code, list_kind, party_name, party_category, uscc_or_org_code, person_id,
       current_date - listed_on AS days_listed, reason, document_no, data_source_unit
  FROM credit.publicity_list WHERE document_no LIKE 'L%-%' ORDER BY document_no;
RESET ROLE;

-- A record dated in the future is refused (23514).
\set VERBOSITY sqlstate
INSERT INTO credit.record (subject_id, item_code, department, decided_on)
     VALUES (900001, 'penalty_general', 'pub_market', current_date + 1);
\set VERBOSITY terse
INSERT INTO credit.record (subject_id, item_code, department, decided_on)
     VALUES (900001, 'penalty_general', 'pub_market', current_date + 1);
\set VERBOSITY default

-- The public role reads the publicity views, never the records themselves.
SET ROLE credit_public;
SELECT count(*) FROM credit.publicity_penalty WHERE deciding_authority LIKE 'Market Supervision%';
\set VERBOSITY sqlstate
SELECT count(*) FROM credit.record;
SELECT count(*) FROM credit.subject;
\set VERBOSITY default
RESET ROLE;

DELETE FROM credit.list_entry WHERE document_no LIKE 'LE-%';
DELETE FROM credit.record WHERE department = 'pub_market' OR subject_id IN (900001, 900002);
DELETE FROM credit.subject WHERE id IN (900001, 900002);
DELETE FROM credit.department WHERE code = 'pub_market';
