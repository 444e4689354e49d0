-- The tolerant intake (credit.intake): units COPY or INSERT feeds, every row
-- ends accepted, updated, waiting or rejected in the same statement.

CREATE ROLE regress_intake_unit_mkt NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_intake_unit_tax NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_intake_clerk_mkt LOGIN IN ROLE regress_intake_unit_mkt;
CREATE ROLE regress_intake_clerk_tax LOGIN IN ROLE regress_intake_unit_tax;
CREATE ROLE regress_intake_analyst LOGIN IN ROLE credit_analyst;
INSERT INTO credit.department (code, name, uscc, role) VALUES
    ('in_mkt', 'Intake test: market supervision', NULL, 'regress_intake_unit_mkt'),
    ('in_tax', 'Intake test: taxation', NULL, 'regress_intake_unit_tax');
INSERT INTO credit.subject (kind, name, uscc) VALUES
    ('enterprise', '江阴归集测试一号有限公司', '91320281MA1K70013F'),
    ('enterprise', '江阴归集测试二号有限公司', '91320281MA1K70021A');
INSERT INTO credit.subject (kind, name, person_id) VALUES ('individual', '归集测试', '320281199001010011');
SELECT id AS firm_a FROM credit.subject WHERE uscc = '91320281MA1K70013F' \gset
SELECT id AS firm_b FROM credit.subject WHERE uscc = '91320281MA1K70021A' \gset
SELECT id AS person FROM credit.subject WHERE person_id = '320281199001010011' \gset

-- A market supervision clerk's daily feed: good rows and bad rows of every kind, by COPY (CSV).
SET SESSION AUTHORIZATION regress_intake_clerk_mkt;
COPY credit.intake (subject_code, subject_name, item_code, document_no, decided_on, value, amount, details) FROM stdin WITH (FORMAT csv, HEADER);
subject_code,subject_name,item_code,document_no,decided_on,value,amount,details
91320281MA1K70013F,江阴归集测试一号有限公司,penalty_general,澄市监罚〔2026〕1号,2026-03-02,,5000,"{""content"": ""罚款5000元"", ""facts"": ""无照经营""}"
 9132 0281-ma1k 7002 1a ,江阴归集测试二号有限公司,penalty_general,澄市监罚〔2026〕2号,2026/03/02,,,
91320281MA1K70013X,,penalty_general,澄市监罚〔2026〕3号,2026-03-02,,,
91320281MA1K70013F,,no_such_item,澄市监罚〔2026〕4号,2026-03-02,,,
91320281MA1K70013F,,penalty_general,澄市监罚〔2026〕5号,2999-01-01,,,
91320281MA1K70013F,,penalty_general,澄市监罚〔2026〕6号,2026-02-30,,,
91320281MA1K70013F,,penalty_general,,2026-03-02,,,
91320281MA1K70013F,,penalty_general,澄市监罚〔2026〕8号,2026-03-02,1.2.3,,
91320281MA1K70013F,,penalty_general,澄市监罚〔2026〕9号,2026-03-02,,12abc,
91320281MA1K70013F,,penalty_general,澄市监罚〔2026〕10号,2026-03-02,,,{not json
91320281MA1K70013F,,penalty_general,澄市监罚〔2026〕11号,2026-03-02,,,"{""valid_until"": ""2027-13-01""}"
,,penalty_general,澄市监罚〔2026〕12号,2026-03-02,,,
91320281MA1K7003X2,江阴归集测试三号有限公司,penalty_general,澄市监罚〔2026〕13号,20260302,,,
MA1K70048,江阴归集测试四号有限公司,honour_county,澄荣〔2026〕14号,2026-03-02,,,
320281199001010011,归集测试,volunteer_service,,2026-03-02,2,,
320281850315002,归集测试二,volunteer_service,,2026-03-02,,,
91320281MA1K70013F,江阴归集测试一号有限公司,penalty_general,澄市监罚〔2026〕1号,2026-03-02,,6000,"{""content"": ""罚款6000元""}"
\.
SELECT line, status, problem, message, record_id IS NOT NULL AS has_record, subject_id IS NOT NULL AS linked
  FROM credit.intake ORDER BY line;
-- one record per decision: the re-sent one (line 17) updated the record of line 1 in place
SELECT i.line, r.document_no, r.amount, r.details ->> 'content' AS content
  FROM credit.intake i JOIN credit.record r ON r.id = i.record_id
 WHERE i.line IN (1, 17) ORDER BY i.line;
SELECT count(*) AS records_of_decision_1 FROM credit.record WHERE document_no = '澄市监罚〔2026〕1号';

-- Sent again the next day: nothing is recorded twice.
INSERT INTO credit.intake (subject_code, item_code, document_no, decided_on, amount)
    VALUES ('91320281MA1K70013F', 'penalty_general', '澄市监罚〔2026〕1号', '2026-03-02', '7000');
SELECT status, line FROM credit.intake WHERE id = (SELECT max(id) FROM credit.intake);
SELECT count(*) AS records_of_decision_1, max(amount) AS amount FROM credit.record WHERE document_no = '澄市监罚〔2026〕1号';

-- Correcting a rejected row: UPDATE re-sends it (a new row; the rejected one stays as history).
UPDATE credit.intake SET subject_code = '91320281MA1K70013F' WHERE problem = 'invalid_code';
SELECT status, corrects IS NOT NULL AS corrects_a_row, record_id IS NOT NULL AS has_record
  FROM credit.intake WHERE corrects IS NOT NULL;
SELECT count(*) AS rejected_rows_kept FROM credit.intake WHERE problem = 'invalid_code';

-- Another unit's code is refused (nothing of the statement is kept); the other unit sees none of these rows.
INSERT INTO credit.intake (department, subject_code, item_code, decided_on)
    VALUES ('in_tax', '91320281MA1K70013F', 'tax_arrears', '2026-03-01');
INSERT INTO credit.intake (department, subject_code, item_code, decided_on)
    VALUES ('no_such_unit', '91320281MA1K70013F', 'tax_arrears', '2026-03-01');
SELECT status, problem, message FROM credit.intake WHERE department = 'no_such_unit';
-- the table behind the view is the owner's
SELECT count(*) FROM credit.intake_row;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_intake_clerk_tax;
SELECT count(*) AS other_units_rows FROM credit.intake;
SELECT count(*) AS other_units_quality FROM credit.v_intake_quality;
UPDATE credit.intake SET subject_code = 'x';
RESET SESSION AUTHORIZATION;

-- Waiting rows become records when their subjects are registered (by USCC, organisation code, 15-digit ID).
SELECT count(*) AS waiting FROM credit.intake_row WHERE department = 'in_mkt' AND status = 'waiting';
INSERT INTO credit.subject (kind, name, uscc) VALUES
    ('enterprise', '江阴归集测试三号有限公司', '91320281MA1K7003X2'),
    ('enterprise', '江阴归集测试四号有限公司', '91320281MA1K700482');
INSERT INTO credit.subject (kind, name, person_id) VALUES ('individual', '归集测试二', '320281850315002');
SELECT line, status, record_id IS NOT NULL AS has_record
  FROM credit.intake_row WHERE department = 'in_mkt' AND line IN (13, 14, 16) AND corrects IS NULL ORDER BY line;
SELECT count(*) AS waiting FROM credit.intake_row WHERE department = 'in_mkt' AND status = 'waiting';

-- The national layout: the penalty file as the unit makes it (v2 names), and a licence.
SET SESSION AUTHORIZATION regress_intake_clerk_mkt;
COPY credit.intake_penalty (cf_xdr_mc, cf_xdr_lb, cf_xdr_shxym, cf_wsh, cf_wfxw, cf_sy, cf_yj, cf_cflb, cf_nr, cf_nr_fk,
                            cf_jdrq, cf_yxq, cf_cfjg, cf_cfjgdm, cf_sjly, cf_sjlydm)
    FROM stdin WITH (FORMAT csv, HEADER);
CF_XDR_MC,CF_XDR_LB,CF_XDR_SHXYM,CF_WSH,CF_WFXW,CF_SY,CF_YJ,CF_CFLB,CF_NR,CF_NR_FK,CF_JDRQ,CF_YXQ,CF_CFJG,CF_CFJGDM,CF_SJLY,CF_SJLYDM
江阴归集测试二号有限公司,法人及非法人组织,91320281MA1K70021A,澄市监罚〔2026〕21号,无照经营,未取得营业执照从事经营,无证无照经营查处办法第十三条,罚款,罚款0.5万元,0.5,2026/03/03,2027/03/03,江阴市市场监督管理局,11320281014186372Y,江阴市市场监督管理局,11320281014186372Y
江阴归集测试二号有限公司,法人及非法人组织,91320281MA1K70021A,澄市监罚〔2026〕22号,超范围经营,facts,basis,警告,警告,,2026/03/04,2026/13/04,江阴市市场监督管理局,11320281014186372Y,江阴市市场监督管理局,11320281014186372Y
江阴归集测试二号有限公司,法人及非法人组织,91320281MA1K70021A,,超范围经营,facts,basis,警告,警告,,2026/03/04,,,,,
\.
SELECT cf_wsh, cf_nr_fk, item_code, status, problem, message FROM credit.intake_penalty ORDER BY id;
INSERT INTO credit.intake_license (xk_xdr_mc, xk_xdr_lb, xk_xdr_shxym, xk_wsh, xk_xklb, xk_nr, xk_jdrq, xk_yxqz, xk_yxqzi, xk_xkjg, xk_xkjgdm, xk_zt)
    VALUES ('江阴归集测试二号有限公司', '法人及非法人组织', '91320281MA1K70021A', '澄市监许〔2026〕1号', '普通', '食品经营许可',
            '2026-03-05', '2026-03-05', '2099/12/31', '江阴市市场监督管理局', '11320281014186372Y', '有效');
SELECT xk_wsh, xk_yxqzi, status FROM credit.intake_license;
RESET SESSION AUTHORIZATION;
SELECT r.item_code, r.amount, r.details ->> 'violation_type' AS violation_type, r.details ->> 'valid_until' AS valid_until
  FROM credit.record r WHERE r.document_no = '澄市监罚〔2026〕21号';
SELECT r.item_code, r.details ->> 'license_category' AS license_category, r.details ->> 'valid_to' AS valid_to
  FROM credit.record r WHERE r.document_no = '澄市监许〔2026〕1号';

-- Quality figures: the platform's own count agrees with the view.
SELECT item_code, received, accepted, updated, waiting, rejected, acceptance_rate, linkage
  FROM credit.v_intake_quality WHERE department = 'in_mkt' ORDER BY item_code NULLS LAST;
SELECT q.received = c.n AS received_agrees, q.completeness = c.completeness AS completeness_agrees
  FROM credit.v_intake_quality q,
       (SELECT count(*) AS n, round(sum(fields_present)::numeric / sum(fields_required), 4) AS completeness
          FROM credit.intake_row WHERE department = 'in_mkt') c
 WHERE q.department = 'in_mkt' AND q.item_code IS NULL;
-- completeness counts the mandatory fields of the national layout for penalties
SELECT line, fields_required, fields_present FROM credit.intake_row
 WHERE department = 'in_mkt' AND layout = 'penalty' ORDER BY id;
-- timeliness: within 7 working days of the decision (credit.add_working_days), relative to the day of receipt
BEGIN;
SET LOCAL credit.fold_at = 'statement';
INSERT INTO credit.intake (department, subject_code, item_code, document_no, decided_on)
SELECT 'in_tax', '91320281MA1K70013F', 'penalty_general', 'TL-' || n,
       credit.iso_date(CASE n WHEN 1 THEN current_date ELSE current_date - 40 END)
  FROM generate_series(1, 2) n;
SELECT timeliness FROM credit.v_intake_quality WHERE department = 'in_tax' AND item_code IS NULL;
ROLLBACK;
SET SESSION AUTHORIZATION regress_intake_analyst;
SELECT count(*) > 0 AS analyst_reads_quality FROM credit.v_intake_quality;
SELECT count(*) FROM credit.intake;
RESET SESSION AUTHORIZATION;

-- Records keep the uniqueness too: a direct INSERT of a decision recorded already is refused
-- (23505, the message names the decision and both record ids).
\set VERBOSITY sqlstate
INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on)
    VALUES (:firm_a, 'penalty_general', 'in_mkt', ' 澄市监罚〔2026〕1号 ', '2026-03-02');
\set VERBOSITY default
INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on)
    VALUES (:firm_a, 'penalty_general', 'in_mkt', 'DUP-1', '2026-03-02'), (:firm_b, 'penalty_general', 'in_mkt', 'DUP-1', '2026-03-02');
-- a deleted record frees its decision
BEGIN;
DELETE FROM credit.record WHERE document_no = '澄市监罚〔2026〕2号';
INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on)
    VALUES (:firm_b, 'penalty_general', 'in_mkt', '澄市监罚〔2026〕2号', '2026-03-02');
ROLLBACK;
SELECT count(*) AS decisions_without_record FROM credit.decision d
 WHERE NOT EXISTS (SELECT FROM credit.record r WHERE r.id = d.record_id);

-- Grades after intake equal a fresh evaluation.
SELECT count(*) FILTER (WHERE abs(g.score - e.score) > 1e-6 OR g.grade IS DISTINCT FROM e.grade) AS stale_grades
  FROM credit.subject_grade g
  CROSS JOIN LATERAL credit.evaluate_subject(g.subject_id, g.model) e
 WHERE g.subject_id IN (SELECT subject_id FROM credit.intake_row WHERE department = 'in_mkt');

-- Asking by code: the text overloads, and literals of unknown type.
SELECT credit.check('91320281MA1K70013F', 'government_procurement') ->> 'decision' =
       credit.check(:firm_a, 'government_procurement') ->> 'decision' AS same_check;
SELECT (credit.check(' 9132 0281 ma1k 7001 3f ', 'government_procurement') -> 'subject' ->> 'id')::bigint = :firm_a AS dirty_code;
SELECT (credit.check('MA1K70013', 'government_procurement') -> 'subject' ->> 'id')::bigint = :firm_a AS org_code;
SELECT (credit.check(format('%s', :firm_a), 'government_procurement') -> 'subject' ->> 'id')::bigint = :firm_a AS digits_are_an_id;
SELECT (credit.check(:firm_a::int, 'government_procurement') -> 'subject' ->> 'id')::bigint = :firm_a AS integer_is_an_id;
SELECT count(*) = (SELECT count(*) FROM credit.measures_for(:firm_a)) AS same_measures
  FROM credit.measures_for('91320281MA1K70013F');
SELECT (credit.profile('91320281MA1K70013F') -> 'subject' ->> 'id')::bigint = :firm_a AS profile_by_code;
\set VERBOSITY sqlstate
SELECT credit.check('91320281MA1K70013X', 'government_procurement');
SELECT credit.check('91320281MA1K7009XX', 'government_procurement');
SELECT credit.check('91110000600037341L', 'government_procurement');
\set VERBOSITY default
SELECT credit.check('91320281MA1K70013X', 'government_procurement');
-- an individual looked up by ID number is logged (masked)
SELECT count(*) AS before_lookups FROM credit.query_log WHERE detail ->> 'lookup' = 'by_code' \gset
SET SESSION AUTHORIZATION regress_intake_clerk_mkt;
SELECT credit.check('320281199001010011', 'administrative_licensing') -> 'subject' ->> 'person_id' AS masked;
RESET SESSION AUTHORIZATION;
SELECT count(*) - :before_lookups AS lookups_logged, max(detail ->> 'id') AS logged_id
  FROM credit.query_log WHERE detail ->> 'lookup' = 'by_code';

-- The helpers read feeds' values without errors.
SELECT t, credit.intake_date(t) FROM unnest(ARRAY['2026-03-02', '2026/3/2', '20260302', '2026.03.02 08:30', '2026-02-29',
                                                  '2028-02-29', '1899-12-31', '2026-3-02', '02/03/2026', '']) t;
SELECT t, credit.intake_number(t, 'value') AS value, credit.intake_number(t, 'amount') AS amount
  FROM unnest(ARRAY['1', ' -2.5 ', '1e3', '1e400', '.5', '12345678901234567', 'NaN', '1,000']) t;
SELECT t, credit.json_object_problem(t) FROM unnest(ARRAY['{"a": 1}', '[1]', '{"a": "\u0000"}', '{"a":']) t;

-- The record trigger claims no key again for the records the intake numbered
-- and claimed the keys of (credit.intake_claimed), and only for them: each is
-- answered for once, a direct record of the same decision is still refused.
BEGIN;
SET SESSION AUTHORIZATION regress_intake_clerk_mkt;
INSERT INTO credit.intake (subject_code, item_code, document_no, decided_on)
    VALUES ('91320281MA1K70013F', 'penalty_general', '澄市监罚〔2026〕91号', '2026-03-05');
RESET SESSION AUTHORIZATION;
SELECT credit.intake_claims_pending() AS claims_left,
       (SELECT count(*) FROM credit.decision WHERE document_no = '澄市监罚〔2026〕91号') AS decisions;
\set VERBOSITY sqlstate
INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on)
    VALUES (:firm_a, 'penalty_general', 'in_mkt', '澄市监罚〔2026〕91号', '2026-03-05');
\set VERBOSITY default
ROLLBACK;
SELECT credit.intake_claims_pending() AS claims_pending,
       credit.intake_claimed(ARRAY[1]::bigint[], ARRAY['in_mkt'], ARRAY['penalty_general'], ARRAY['x'], ARRAY[1]::bigint[]) AS unclaimed_record;

-- A statement with a decision sent before and a new one: the keys are claimed
-- by a plain INSERT first, then, a key being held, by INSERT ... ON CONFLICT.
BEGIN;
SET SESSION AUTHORIZATION regress_intake_clerk_mkt;
INSERT INTO credit.intake (subject_code, item_code, document_no, decided_on) VALUES
    ('91320281MA1K70013F', 'penalty_general', '澄市监罚〔2026〕1号', '2026-03-02'),
    ('91320281MA1K70013F', 'penalty_general', '澄市监罚〔2026〕92号', '2026-03-05');
RESET SESSION AUTHORIZATION;
SELECT i.document_no, i.status, (SELECT count(*) FROM credit.record r WHERE r.document_no = i.document_no) AS records
  FROM credit.intake_row i WHERE i.id > (SELECT max(id) - 2 FROM credit.intake_row) ORDER BY i.id;
ROLLBACK;

-- Clean up: the test's units, subjects and roles (the suite shares one database).
DELETE FROM credit.record WHERE department IN ('in_mkt', 'in_tax');
DELETE FROM credit.intake_row WHERE department IN ('in_mkt', 'in_tax', 'no_such_unit');
DELETE FROM credit.subject WHERE name LIKE '%归集测试%';
DELETE FROM credit.department WHERE code IN ('in_mkt', 'in_tax');
DROP ROLE regress_intake_clerk_mkt, regress_intake_clerk_tax, regress_intake_analyst,
          regress_intake_unit_mkt, regress_intake_unit_tax;
