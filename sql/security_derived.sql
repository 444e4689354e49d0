-- What units derive is what they may see (docs/security.md, "Derived
-- data"): evaluation states, dimension totals and third-party checks shown
-- to a unit count only the records it may read.  A bank's market-channel
-- loan default on an enterprise is hidden from the tax unit; tried as each
-- role.  Everything is rolled back at the end.
BEGIN;
\set ON_ERROR_ROLLBACK on
\i sql/include/try.sql
CREATE ROLE regress_credit_sd_tax NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_credit_sd_bank NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_credit_sd_taxclerk LOGIN IN ROLE regress_credit_sd_tax;
CREATE ROLE regress_credit_sd_bankclerk LOGIN IN ROLE regress_credit_sd_bank;
CREATE ROLE regress_credit_sd_analyst LOGIN IN ROLE credit_analyst;
CREATE ROLE regress_credit_sd_web LOGIN IN ROLE credit_public;
CREATE ROLE regress_credit_sd_nobody LOGIN;
INSERT INTO credit.department (code, name, role) VALUES
    ('sd_tax', 'Derived test: taxation bureau', 'regress_credit_sd_tax'),
    ('sd_bank', 'Derived test: rural bank', 'regress_credit_sd_bank');
INSERT INTO credit.subject (kind, name, uscc) VALUES ('enterprise', '江阴派生安全化工有限公司', '91320281MA1TL0480T')
    RETURNING id AS firm \gset
INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on, amount) VALUES
    (:firm, 'penalty_general', 'sd_tax', 'SD-TAX-1', DATE '2025-11-01', 5000),       -- public channel
    (:firm, 'loan_default', 'sd_bank', 'SD-BANK-1', DATE '2025-12-01', 900000);     -- market channel, serious
-- an agency whose key signed the report below (Ed25519 seed 5d5d...5d)
INSERT INTO credit.agency (code, name, public_key)
    VALUES ('sd_agency', 'Derived test agency', '5e449ad6fa4b2d65746e8cd4f968e38c5a9679f8495db114ee06317f72f717db');

-- ==== evaluation states: not for units ====
SET SESSION AUTHORIZATION regress_credit_sd_taxclerk;
SELECT pg_temp.try(format('SELECT state FROM credit.subject_grade WHERE subject_id = %s', :firm)) AS read_state;
SELECT pg_temp.try(format('SELECT dimensions FROM credit.evaluation WHERE subject_id = %s', :firm)) AS read_evaluations;
-- the grade itself is the platform's published result
SELECT count(*) AS grades FROM credit.subject_grade WHERE subject_id = :firm AND grade IS NOT NULL;
RESET SESSION AUTHORIZATION;

-- ==== dimension totals count the records the caller may read ====
-- (as of a fixed date; the profile's as of each grade's date)
SELECT (credit.evaluate_subject(:firm, 'comprehensive_enterprise', DATE '2026-01-31')).dimensions AS all_records \gset
SELECT (credit.profile(:firm) -> 'grades') AS all_grades \gset
-- what the current user derives, against what every record gives
CREATE FUNCTION pg_temp.derived(firm bigint, all_records jsonb, all_grades jsonb)
RETURNS TABLE (who name, evaluation_sees_all boolean, profile_sees_all boolean, records_counted jsonb)
LANGUAGE sql AS $$
    SELECT current_user,
           (credit.evaluate_subject(firm, 'comprehensive_enterprise', DATE '2026-01-31')).dimensions = all_records,
           credit.profile(firm) -> 'grades' = all_grades, credit.profile(firm) #> '{records,total}'
$$;
GRANT EXECUTE ON FUNCTION pg_temp.derived(bigint, jsonb, jsonb) TO PUBLIC;
SET SESSION AUTHORIZATION regress_credit_sd_taxclerk;
SELECT * FROM pg_temp.derived(:firm, :'all_records', :'all_grades');
SET SESSION AUTHORIZATION regress_credit_sd_bankclerk;
SELECT * FROM pg_temp.derived(:firm, :'all_records', :'all_grades');
SET SESSION AUTHORIZATION regress_credit_sd_analyst;
SELECT * FROM pg_temp.derived(:firm, :'all_records', :'all_grades');
RESET SESSION AUTHORIZATION;

-- ==== third-party checks: only what the caller may read ====
-- The tax unit files a report, validly signed, that states no serious
-- dishonesty; the bank's hidden loan default contradicts it.
SET SESSION AUTHORIZATION regress_credit_sd_taxclerk;
INSERT INTO credit.third_party_report (agency, department, document, signature, purpose) VALUES ('sd_agency', 'sd_tax',
    '{"report_no": "SD-2026-1", "issued_at": "2026-01-15T10:00:00+08:00", "subject": {"name": "江阴派生安全化工有限公司", "uscc": "91320281MA1TL0480T"}, "claims": {"no_serious_dishonesty": true}}',
    '\x7acb3a3e72e1ba6232116d23819e5479d2fd00ed2632f06ebcb59280bca42e1c3ac18e6d42b508b78eeb26622b0619d49f4375ec61ab48ddaf6574f744da040f',
    'procurement bid') RETURNING id AS signed \gset
-- the same document with a signature that is not the agency's
INSERT INTO credit.third_party_report (agency, department, document, signature, purpose) VALUES ('sd_agency', 'sd_tax',
    '{"report_no": "SD-2026-1", "issued_at": "2026-01-15T10:00:00+08:00", "subject": {"name": "江阴派生安全化工有限公司", "uscc": "91320281MA1TL0480T"}, "claims": {"no_serious_dishonesty": true}}',
    decode(repeat('00', 64), 'hex'), 'procurement bid') RETURNING id AS forged \gset
-- the unit's check: no trace of the bank's record
SELECT check_name, ok, detail FROM credit.verify_third_party_report(:signed) WHERE check_name <> 'issued_at';
-- a forged report is compared with nothing
SELECT check_name, ok, detail FROM credit.verify_third_party_report(:forged) WHERE check_name <> 'issued_at';
RESET SESSION AUTHORIZATION;
-- another unit cannot check the tax unit's report (as if it did not exist)
SET SESSION AUTHORIZATION regress_credit_sd_bankclerk;
SELECT regexp_replace(pg_temp.try(format('SELECT * FROM credit.verify_third_party_report(%s)', :signed)),
                      'report \d+', 'report N') AS other_unit_checks;
RESET SESSION AUTHORIZATION;
-- the analyst reads every record: the conflict shows
SET SESSION AUTHORIZATION regress_credit_sd_analyst;
SELECT check_name, ok, detail FROM credit.verify_third_party_report(:signed) WHERE check_name = 'conflicts';
RESET SESSION AUTHORIZATION;

-- ==== grade-change notifications: any role may LISTEN; ids only ====
SET SESSION AUTHORIZATION regress_credit_sd_nobody;
SELECT pg_temp.try('LISTEN credit_grade_change') AS nobody_listens;
UNLISTEN *;
RESET SESSION AUTHORIZATION;
SELECT pg_get_functiondef('credit.log_grade_changes'::regproc) ~ $re$'id', [^,]+, 'model', [^,]+, 'cause'$re$
       AS payload_names_id_model_cause;

-- ==== the public site and a role with no credit role derive nothing ====
SET SESSION AUTHORIZATION regress_credit_sd_web;
SELECT pg_temp.try(format('SELECT credit.profile(%s)', :firm)) AS profile;
SELECT pg_temp.try(format('SELECT grade FROM credit.subject_grade WHERE subject_id = %s', :firm)) AS read_grade;
SELECT pg_temp.try(format('SELECT * FROM credit.verify_third_party_report(%s)', :signed)) AS verify;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_credit_sd_nobody;
SELECT pg_temp.try(format('SELECT credit.profile(%s)', :firm)) AS profile;
SELECT pg_temp.try(format('SELECT * FROM credit.verify_third_party_report(%s)', :signed)) AS verify;
RESET SESSION AUTHORIZATION;

-- ==== a credit check counts the listings the caller may read ====
-- The bank keeps its own black list of defaulters as records of its
-- market-channel loan default item, and a measure bars them from fiscal
-- funds: the tax unit may not read the bank's record, so neither its check
-- nor its measures_for may show or count the listing.
SET SESSION AUTHORIZATION regress_credit_sd_taxclerk;
SELECT credit.check(:firm, 'fiscal_funding') - 'checked_on' AS tax_before \gset
RESET SESSION AUTHORIZATION;
INSERT INTO credit.list (code, name, kind, item_code)
    VALUES ('sd_bank_defaulters', 'Derived test: the bank''s defaulters', 'black', 'loan_default');
INSERT INTO credit.measure (code, name, kind, effect, scenario, list_codes)
    VALUES ('sd_defaulter_fiscal_bar', 'Derived test: no fiscal funds for defaulters', 'punishment', 'bar',
            'fiscal_funding', '{sd_bank_defaulters}');
-- the check's decision, lists and measures, and whether measures_for names
-- the same measures with the same reasons for the same caller
CREATE FUNCTION pg_temp.check_agrees(firm bigint)
RETURNS TABLE (who name, decision text, lists jsonb, measures text[], same_as_measures_for boolean)
LANGUAGE sql AS $$
    WITH c AS (SELECT credit.check(firm, 'fiscal_funding') AS j),
         m AS (SELECT x ->> 'measure' AS code, x ->> 'reason' AS reason
                 FROM c, jsonb_array_elements((c.j -> 'incentives') || (c.j -> 'punishments')) x)
    SELECT current_user, c.j ->> 'decision', jsonb_path_query_array(c.j, '$.lists[*].list'),
           (SELECT array_agg(m.code ORDER BY m.code) FROM m),
           (SELECT array_agg(m.code || ': ' || m.reason ORDER BY m.code) FROM m)
           IS NOT DISTINCT FROM
           (SELECT array_agg(f.measure_code || ': ' || f.reason ORDER BY f.measure_code)
              FROM credit.measures_for(firm, 'fiscal_funding') f)
      FROM c
$$;
GRANT EXECUTE ON FUNCTION pg_temp.check_agrees(bigint) TO PUBLIC;
SET SESSION AUTHORIZATION regress_credit_sd_taxclerk;
SELECT * FROM pg_temp.check_agrees(:firm);
-- the bank's record changed nothing in the tax unit's check, by id or by
-- code (the USCC as a clerk may type it)
SELECT credit.check(:firm, 'fiscal_funding') - 'checked_on' = :'tax_before'::jsonb AS tax_check_unchanged;
SELECT credit.check(' 91320281-ma1tl0480t ', 'fiscal_funding') - 'checked_on' = :'tax_before'::jsonb
       AS tax_check_by_code_unchanged;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_credit_sd_bankclerk;
SELECT * FROM pg_temp.check_agrees(:firm);
-- by code, the bank's check is its check by id
SELECT credit.check('91320281MA1TL0480T', 'fiscal_funding') - 'checked_on'
       = credit.check(:firm, 'fiscal_funding') - 'checked_on' AS bank_check_by_code_same;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_credit_sd_analyst;
SELECT * FROM pg_temp.check_agrees(:firm);
RESET SESSION AUTHORIZATION;

-- ==== a credit report lists the listings the requester may read ====
-- The same bank list: the tax unit's report of the firm does not name it,
-- the bank's and the analyst's do (the platform's key: the seed of RFC 8032
-- test 1, set for this transaction only).
SET LOCAL credit.report_signing_key = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
CREATE FUNCTION pg_temp.report_lists(firm bigint) RETURNS TABLE (who name, lists jsonb)
LANGUAGE sql AS $$
    SELECT current_user, jsonb_path_query_array(credit.report(firm, 'derived test') -> 'lists', '$[*].list')
$$;
GRANT EXECUTE ON FUNCTION pg_temp.report_lists(bigint) TO PUBLIC;
SET SESSION AUTHORIZATION regress_credit_sd_taxclerk;
SELECT * FROM pg_temp.report_lists(:firm);
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_credit_sd_bankclerk;
SELECT * FROM pg_temp.report_lists(:firm);
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_credit_sd_analyst;
SELECT * FROM pg_temp.report_lists(:firm);
RESET SESSION AUTHORIZATION;
ROLLBACK;
