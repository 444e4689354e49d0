-- Credit reports (信用报告, docs/reports.md) signed with Ed25519 and verified with
-- the platform's public keys; third-party credit reports (第三方信用报告)
-- checked against their agency's key and platform data.  Everything, roles
-- included, is rolled back at the end.
\i sql/include/require_preload.sql
\if :skip_test
\quit
\endif
BEGIN;
\set ON_ERROR_ROLLBACK on
-- grades follow each statement (not only at commit)
SET LOCAL credit.fold_at = 'statement';
\i sql/include/try.sql
-- shown(report): a report without what changes from call to call and day to
-- day (report id, time of issue, signature, row ids; dates relative to today)
CREATE FUNCTION pg_temp.shown(r jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT r - '{report_id,issued_at,signature}'::text[] || jsonb_build_object(
        'subject', (r -> 'subject') - 'id',
        'grades', (SELECT jsonb_agg(g || jsonb_build_object('as_of', CASE WHEN (g ->> 'as_of')::date = current_date
                                                                          THEN 'today' ELSE g ->> 'as_of' END))
                     FROM jsonb_array_elements(r -> 'grades') g),
        'records', (SELECT coalesce(jsonb_agg(x - '{id,decided_on,publicity_until}'::text[] || jsonb_build_object(
                                        'decided_on', format('today - %s', current_date - (x ->> 'decided_on')::date),
                                        'publicity_until', CASE WHEN x ->> 'publicity_until' = 'infinity' THEN 'infinity'
                                                                ELSE 'decided_on + ' || age((x ->> 'publicity_until')::date,
                                                                                            (x ->> 'decided_on')::date) END)
                                        ORDER BY n), '[]')
                      FROM jsonb_array_elements(r -> 'records') WITH ORDINALITY e (x, n)),
        'lists', (SELECT coalesce(jsonb_agg(x || jsonb_build_object(
                                      'listed_on', format('today - %s', current_date - (x ->> 'listed_on')::date))
                                      ORDER BY n), '[]')
                    FROM jsonb_array_elements(r -> 'lists') WITH ORDINALITY e (x, n)))
$$;

-- Ed25519 as specified: the test vectors of RFC 8032 §7.1 (tests 1-3).
SELECT credit.ed25519_verify('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', '\x',
         '\xe5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b') AS test1,
       credit.ed25519_verify('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', '\x72',
         '\x92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00') AS test2,
       credit.ed25519_verify('fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025', '\xaf82',
         '\x6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a') AS test3;
-- the same signatures fail for another message, another key, or cut short
SELECT credit.ed25519_verify('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', '\x00',
         '\xe5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b') AS other_message,
       credit.ed25519_verify('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', '\x',
         '\xe5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b') AS other_key,
       credit.ed25519_verify('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', '\x',
         '\xe5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a') AS short_signature;
-- public keys: PEM, hexadecimal or base64 in, canonical PEM and key id out
SELECT credit.ed25519_public_key('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a') AS pem;
SELECT credit.ed25519_public_key(' D75A980182B10AB7D54BFED3C964073A0EE172F3DAA62325AF021A68F707511A ')
         = credit.ed25519_public_key('11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=') AS hex_equals_base64,
       credit.ed25519_public_key('\xd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')
         = credit.ed25519_public_key('11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo') AS bytea_hex_equals_unpadded,
       credit.ed25519_public_key(credit.ed25519_public_key('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'))
         = credit.ed25519_public_key('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a') AS pem_round_trip,
       credit.ed25519_key_id('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a') AS key_id,
       credit.ed25519_key_id('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')
         = left(encode(sha256('\xd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'), 'hex'), 16) AS key_id_is_sha256;
SELECT pg_temp.try($$SELECT credit.ed25519_public_key('not a key')$$) AS words,
       pg_temp.try($$SELECT credit.ed25519_public_key('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511')$$) AS hex_63,
       pg_temp.try($$SELECT credit.ed25519_public_key('g75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')$$) AS not_hex,
       pg_temp.try($$SELECT credit.ed25519_public_key('11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHUR==')$$) AS short_base64;
SELECT pg_temp.try($$SELECT credit.ed25519_public_key('-----BEGIN PUBLIC KEY-----
MCowBQYDK2VuAyEAoNdOeu2jIspbGaLMG0PLM0aH91LtVhJvu5GlGXInyH8=
-----END PUBLIC KEY-----')$$) AS x25519_pem,
       pg_temp.try($$SELECT credit.ed25519_public_key('-----BEGIN PUBLIC KEY-----
garbage
-----END PUBLIC KEY-----')$$) AS bad_pem;
SELECT credit.ed25519_public_key('not a key');
SELECT credit.ed25519_public_key('g75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');

-- A small county.  Records are dated relative to today.
INSERT INTO credit.department (code, name) VALUES ('rp_market', 'Reports test: market supervision');
INSERT INTO credit.subject (kind, name, uscc) VALUES ('enterprise', '江阴报告测试精工有限公司', '91320281RP81000118')
    RETURNING id AS firm \gset
INSERT INTO credit.subject (kind, name, uscc) VALUES ('enterprise', '江阴报告测试化工有限公司', '91320281RP810002X0')
    RETURNING id AS firm_black \gset
INSERT INTO credit.subject (kind, name, person_id) VALUES ('individual', '周报告', '320281198003158138')
    RETURNING id AS person \gset
INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on, amount) VALUES
    (:firm, 'license', 'rp_market', '澄市监许〔2026〕1号', current_date - 20, NULL),
    (:firm, 'penalty_general', 'rp_market', '澄市监罚〔2026〕7号', current_date - 40, 5000),
    (:firm, 'penalty_warning', 'rp_market', '澄市监罚〔2026〕8号', current_date - 10, NULL),  -- not published
    (:firm, 'penalty_general', 'rp_market', '澄市监罚〔2024〕3号', current_date - 500, 2000),  -- publicity over
    (:firm, 'contract_breach', 'rp_market', NULL, current_date - 30, NULL),                  -- market channel
    (:person, 'person_penalty_general', 'rp_market', '澄市监罚〔2026〕9号', current_date - 15, 200),
    (:firm_black, 'loan_default', 'rp_market', 'JY-LOAN-2025-0042', date '2025-12-01', 800000),  -- not published
    -- a unit's feed of its list, collected as a record: the subject is on the list
    (:firm_black, 'list_dishonest_debtor', 'rp_market', '(2025)苏0281执1234号', date '2025-09-01', NULL);
INSERT INTO credit.list_entry (list_code, name, code, listed_on, expires_on, reason, document_no) VALUES
    ('serious_dishonesty', '江阴报告测试化工有限公司', '91320281RP810002X0', date '2025-06-01', NULL,
     'false statements in a subsidy claim', '澄发改信〔2025〕12号'),
    ('abnormal_operation', '江阴报告测试精工有限公司', '91320281RP81000118', current_date - 5, NULL,
     'not reachable at the registered address', NULL);

-- No signing key yet: a clear error saying what to do.
SELECT credit.report(:firm, 'licence review');
SELECT pg_temp.try('SELECT credit.report_public_key()') AS public_key,
       pg_temp.try('SELECT credit.report_key_id()') AS key_id;
-- A malformed key is refused when set.
SET LOCAL credit.report_signing_key = 'not-hex';
SET LOCAL credit.report_signing_key = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f';

-- The platform's key (the seed of RFC 8032 test 1; set for this session only),
-- as PEM (openssl genpkey writes it so) or as the seed in hexadecimal.
SET LOCAL credit.report_signing_key = '-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g
-----END PRIVATE KEY-----';
SELECT credit.report_key_id();
SET LOCAL credit.report_signing_key = '-----BEGIN PRIVATE KEY-----
MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=
-----END PRIVATE KEY-----';
SET LOCAL credit.report_signing_key = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
SELECT credit.report_key_id(), credit.report_public_key();
SELECT count(*) AS keys_registered FROM credit.signing_key;

-- The report of the enterprise: published records only (not the warning-only
-- penalty, not the one past its publicity, not the market-channel breach).
SELECT credit.report(:firm, 'licence review') AS r \gset
SELECT jsonb_pretty(pg_temp.shown(:'r'));
SELECT length(:'r'::jsonb ->> 'signature') AS signature_hex_digits,
       (:'r'::jsonb ->> 'report_id')::uuid IS NOT NULL AS has_report_id,
       (:'r'::jsonb ->> 'issued_at')::timestamptz = now() AS issued_now;
SELECT key_id, public_key = credit.ed25519_public_key('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a') AS same_key,
       revoked_at FROM credit.signing_key;
-- What is signed: the UTF-8 text of the report without its signature member.
SELECT credit.ed25519_verify(k.public_key, convert_to((:'r'::jsonb - 'signature')::text, 'UTF8'),
                             decode(:'r'::jsonb ->> 'signature', 'hex')) AS by_hand
  FROM credit.signing_key k WHERE k.key_id = :'r'::jsonb ->> 'key_id';

-- Verification: the report as issued, and changed in any way.
SELECT credit.verify_report(:'r') AS as_issued,
       credit.verify_report(:'r'::jsonb::text::jsonb) AS reparsed,
       credit.verify_report(jsonb_set(:'r', '{subject,name}', '"江阴诚信精工有限公司"')) AS renamed,
       credit.verify_report(jsonb_set(:'r', '{records}', '[]')) AS records_dropped,
       credit.verify_report(jsonb_set(:'r', '{record_counts,penalty}', '0')) AS count_changed,
       credit.verify_report(:'r'::jsonb || '{"note": "verified"}') AS member_added,
       credit.verify_report(jsonb_set(:'r', '{issued_at}', to_jsonb(now() + interval '1 year'))) AS redated;
SELECT credit.verify_report(jsonb_set(:'r', '{key_id}', '"0000000000000000"')) AS unknown_key_id,
       credit.verify_report(:'r'::jsonb - 'key_id') AS no_key_id,
       credit.verify_report(:'r'::jsonb - 'signature') AS no_signature,
       credit.verify_report(jsonb_set(:'r', '{signature}', '"zz"')) AS malformed_signature,
       credit.verify_report(jsonb_set(:'r', '{signature}', '12')) AS numeric_signature,
       credit.verify_report('[]') AS not_an_object,
       credit.verify_report(NULL) AS null_report;

-- The report of a black-listed enterprise: its lists (an entry, and a record of
-- a list's item collected by a unit), no published record, the veto.
SELECT credit.report(:firm_black, 'government procurement review') AS rb \gset
SELECT :'rb'::jsonb -> 'records' AS records, :'rb'::jsonb -> 'record_counts' AS record_counts,
       jsonb_path_query_array(:'rb', '$.grades[*].grade') AS grades, credit.verify_report(:'rb') AS verifies;
SELECT jsonb_pretty(:'rb'::jsonb -> 'lists') AS lists;

-- Bad parameters (22023), logged nowhere.
SELECT count(*) AS log_before FROM credit.query_log \gset
SELECT pg_temp.try(format('SELECT credit.report(%s, NULL)', :firm)) AS no_purpose,
       pg_temp.try(format($q$SELECT credit.report(%s, '  ')$q$, :firm)) AS blank_purpose,
       pg_temp.try($q$SELECT credit.report(NULL, 'review')$q$) AS no_subject,
       pg_temp.try($q$SELECT credit.report(-1, 'review')$q$) AS unknown_subject;
SELECT count(*) - :log_before AS logged FROM credit.query_log;

-- Every report is logged: who, which subject, why.
SELECT who, subject_id = :firm AS firm, subject_id = :firm_black AS firm_black, purpose,
       detail ->> 'lookup' AS lookup, detail ->> 'role' AS role, detail ->> 'whole_id' AS whole_id,
       detail ->> 'key_id' AS key_id, (detail ->> 'report_id')::uuid IS NOT NULL AS has_report_id
  FROM credit.query_log WHERE detail ->> 'lookup' = 'report' ORDER BY id;
SELECT q.detail ->> 'report_id' = :'r'::jsonb ->> 'report_id' AS logged_with_its_id
  FROM credit.query_log q WHERE q.subject_id = :firm AND q.detail ->> 'lookup' = 'report';

-- Roles.  A unit's clerk, an analyst, an administrator, the public.
CREATE ROLE regress_credit_dept_rp_market NOLOGIN IN ROLE credit_department;
UPDATE credit.department SET role = 'regress_credit_dept_rp_market' WHERE code = 'rp_market';
CREATE ROLE regress_credit_rp_clerk LOGIN IN ROLE regress_credit_dept_rp_market;
CREATE ROLE regress_credit_rp_analyst LOGIN IN ROLE credit_analyst;
CREATE ROLE regress_credit_rp_admin LOGIN IN ROLE credit_admin;
CREATE ROLE regress_credit_rp_web LOGIN IN ROLE credit_public;
SELECT count(*) AS log_before FROM credit.query_log \gset
-- the person's report: the ID number masked unless the role may read it
SET SESSION AUTHORIZATION regress_credit_rp_analyst;
SELECT credit.report(:person, 'credit research') AS pa \gset
SELECT jsonb_pretty(pg_temp.shown(:'pa') - '{issuer,key_id,format}'::text[]);
SELECT credit.verify_report(:'pa') AS analyst_verifies;
SELECT pg_temp.try('SHOW credit.report_signing_key') AS show_key;
SELECT pg_temp.try($$SELECT current_setting('credit.report_signing_key')$$) AS read_key;
SELECT pg_temp.try('SELECT * FROM credit.generate_signing_key()') AS generate_key;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_credit_rp_clerk;
SELECT credit.report(:person, 'administrative licensing') #>> '{subject,person_id}' AS clerk_sees;
SELECT pg_temp.try('SELECT * FROM credit.query_log') AS clerk_reads_log;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_credit_rp_admin;
SELECT credit.report(:person, 'objection handling') #>> '{subject,person_id}' AS admin_sees;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_credit_rp_web;
SELECT pg_temp.try(format($q$SELECT credit.report(%s, 'curiosity')$q$, :person)) AS public_report;
SELECT credit.verify_report(:'pa') AS public_verifies;
RESET SESSION AUTHORIZATION;
SELECT who, purpose, detail ->> 'role' AS role, detail ->> 'whole_id' AS whole_id
  FROM credit.query_log ORDER BY id OFFSET :log_before;

-- Key rotation: a new key signs from now on; reports of the old key still verify.
SET LOCAL credit.report_signing_key = 'f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5';
SELECT credit.report_key_id(), credit.report_public_key();
SELECT credit.report(:firm, 'licence review, second') AS r2 \gset
SELECT :'r2'::jsonb ->> 'key_id' AS new_key_id, credit.verify_report(:'r2') AS new_verifies,
       credit.verify_report(:'r') AS old_verifies;
SELECT key_id, revoked_at FROM credit.signing_key ORDER BY registered_at, key_id;
-- a report of the new key that names the old key id does not verify
SELECT credit.verify_report(jsonb_set(:'r2', '{key_id}', to_jsonb(:'r'::jsonb ->> 'key_id'))) AS swapped_key_id;
-- a key's first report verifies in the statement that issues it
SET LOCAL credit.report_signing_key = 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7';
SELECT credit.verify_report(credit.report(:firm, 'licence review, same statement')) AS same_statement;
-- revoking a key: its reports no longer verify, and it signs no more
UPDATE credit.signing_key SET revoked_at = now(), note = 'seed published in RFC 8032'
 WHERE key_id = :'r'::jsonb ->> 'key_id';
SELECT credit.verify_report(:'r') AS revoked_verifies, credit.verify_report(:'r2') AS other_verifies;
SET LOCAL credit.report_signing_key = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
SELECT pg_temp.try(format($q$SELECT credit.report(%s, 'licence review, third')$q$, :firm)) AS sign_with_revoked;
-- a key generated for the superuser to install
SELECT length(seed) AS seed_digits, key_id = credit.ed25519_key_id(public_key) AS consistent,
       public_key LIKE '-----BEGIN PUBLIC KEY-----%' AS pem
  FROM credit.generate_signing_key();

-- Third-party reports.  Agencies and their keys (malformed keys: 22P02).
INSERT INTO credit.agency (code, name, public_key) VALUES
    ('xy_credit', 'Xinyi credit services (信义信用服务有限公司)', '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c');
SELECT code, key_id, public_key FROM credit.agency;
SELECT pg_temp.try($$INSERT INTO credit.agency (code, name, public_key) VALUES ('bad', 'Bad key', 'AAAA')$$) AS short_key,
       pg_temp.try($$INSERT INTO credit.agency (code, name, public_key) VALUES ('bad', 'Bad key', '-----BEGIN PUBLIC KEY-----
MCowBQYDK2VuAyEAoNdOeu2jIspbGaLMG0PLM0aH91LtVhJvu5GlGXInyH8=
-----END PUBLIC KEY-----')$$) AS x25519_key,
       pg_temp.try($$UPDATE credit.agency SET public_key = 'zz' WHERE code = 'xy_credit'$$) AS update_bad,
       pg_temp.try($$UPDATE credit.agency SET key_id = '0000000000000000' WHERE code = 'xy_credit'$$) AS forged_key_id;
SELECT key_id FROM credit.agency WHERE code = 'xy_credit';

-- The black-listed enterprise's grade history says D since its listing (the
-- entry was filed today, dated 2025-06-01).
INSERT INTO credit.grade_change (subject_id, model, old_grade, new_grade, changed_at, cause)
    VALUES (:firm_black, 'comprehensive_enterprise', 'B', 'D', '2025-06-01 12:00+08', 'evaluation');
SELECT credit.grade_at(:firm_black, 'comprehensive_enterprise', '2025-05-01') AS before_listing,
       credit.grade_at(:firm_black, 'comprehensive_enterprise', '2026-02-01') AS after_listing,
       credit.grade_at(:firm, 'comprehensive_enterprise', '2025-05-01') AS firm_then;

-- A unit files what bidders handed in: documents as signed by the agency
-- (signatures made with the seed of RFC 8032 test 2 by OpenSSL's command line).
SET SESSION AUTHORIZATION regress_credit_rp_clerk;
INSERT INTO credit.third_party_report (agency, report_no, document, signature, purpose, department) VALUES
    ('xy_credit', 'XY-2026-0101',
     '{"report_no": "XY-2026-0101", "issued_at": "2026-01-15T10:00:00+08:00", "subject": {"name": "江阴报告测试精工有限公司", "uscc": "91320281RP81000118"}, "claims": {"no_serious_dishonesty": true, "not_listed": ["dishonest_debtor"]}, "grades": [{"model": "xy_rating", "grade": "AA"}, {"model": "comprehensive_enterprise", "grade": "B"}]}',
     '\xf3dffcee38107d314219262ff7b9711023a82a7b8bb424c21b2127e60025a0aa8606c2ba104d8cdd296343b0a7623852389d8d5230243cdc49b1cec80d354e0a',
     'government procurement bid', 'rp_market')
RETURNING id AS tp_valid, subject_id = :firm AS resolved, issued_at \gset
INSERT INTO credit.third_party_report (agency, report_no, document, signature, purpose, department) VALUES
    ('xy_credit', 'XY-2026-0102',
     '{"report_no": "XY-2026-0102", "issued_at": "2026-02-01T09:30:00+08:00", "subject": {"name": "江阴报告测试化工有限公司", "uscc": "91320281RP810002X0"}, "claims": {"no_serious_dishonesty": true, "not_listed": ["dishonest_debtor", "serious_dishonesty"]}, "grades": [{"model": "comprehensive_enterprise", "grade": "A"}]}',
     '\x8125fe02995fa1986bd88345e3c0c033a95cefe5463ed5ef3ae387a65de1ca31c65c66ba27706fa074e7e14d9e0baf620b820846813b7f3dcf82fe2facdd960d',
     'government procurement bid', 'rp_market')
RETURNING id AS tp_conflict \gset
-- the second document with the first one's signature
INSERT INTO credit.third_party_report (agency, report_no, document, signature, purpose, department) VALUES
    ('xy_credit', 'XY-2026-0102',
     '{"report_no": "XY-2026-0102", "issued_at": "2026-02-01T09:30:00+08:00", "subject": {"name": "江阴报告测试化工有限公司", "uscc": "91320281RP810002X0"}, "claims": {"no_serious_dishonesty": true, "not_listed": ["dishonest_debtor", "serious_dishonesty"]}, "grades": [{"model": "comprehensive_enterprise", "grade": "A"}]}',
     '\xf3dffcee38107d314219262ff7b9711023a82a7b8bb424c21b2127e60025a0aa8606c2ba104d8cdd296343b0a7623852389d8d5230243cdc49b1cec80d354e0a',
     'government procurement bid', 'rp_market')
RETURNING id AS tp_bad_signature \gset
-- a subject the platform does not know
INSERT INTO credit.third_party_report (agency, report_no, document, signature, purpose, department) VALUES
    ('xy_credit', 'XY-2026-0103',
     '{"report_no": "XY-2026-0103", "issued_at": "2026-02-10T15:00:00+08:00", "subject": {"name": "江阴报告测试未登记有限公司", "uscc": "91320281RP81000380"}, "claims": {"no_serious_dishonesty": true}}',
     '\x9944cb4e594b34724caf1d616f0fcdad93649697cbd00e809ef85afb0f38b5dad2a63c9de6e6fce71d3e657684eb1adffdd59f0b4f4011eae39666d49c0c7b0e',
     'government procurement bid', 'rp_market')
RETURNING id AS tp_unknown, subject_id IS NULL AS unresolved \gset
-- a person's report signed over the canonical text of its content (no document)
INSERT INTO credit.third_party_report (agency, content, signature, purpose, department) VALUES
    ('xy_credit',
     '{"report_no": "XY-2026-0104", "issued_at": "2026-03-01T08:00:00+08:00", "subject": {"name": "周报告", "person_id": "320281198003158138"}, "claims": {"no_serious_dishonesty": true}}',
     '\xbe38cd6567c14bd703c5bd1f4781c6b98addae65cde032bfb0c4f97aad4462f033103cf66cf151ef802afb47b7177b98e5b0421b7b02b6980e611774ad690c0a',
     'civil-service recruitment', 'rp_market')
RETURNING id AS tp_person, subject_id = :person AS person_resolved \gset
-- a report filed for another subject than the one it names
INSERT INTO credit.third_party_report (agency, subject_id, report_no, document, signature, purpose, department) VALUES
    ('xy_credit', :firm, 'XY-2026-0102',
     '{"report_no": "XY-2026-0102", "issued_at": "2026-02-01T09:30:00+08:00", "subject": {"name": "江阴报告测试化工有限公司", "uscc": "91320281RP810002X0"}, "claims": {"no_serious_dishonesty": true, "not_listed": ["dishonest_debtor", "serious_dishonesty"]}, "grades": [{"model": "comprehensive_enterprise", "grade": "A"}]}',
     '\x8125fe02995fa1986bd88345e3c0c033a95cefe5463ed5ef3ae387a65de1ca31c65c66ba27706fa074e7e14d9e0baf620b820846813b7f3dcf82fe2facdd960d',
     'government procurement bid', 'rp_market')
RETURNING id AS tp_mismatch \gset
SELECT :'resolved' AS resolved, :'issued_at' AS issued_at, :'unresolved' AS unknown_unresolved,
       :'person_resolved' AS person_resolved;
-- filing for another unit is refused (row-level security)
SELECT pg_temp.try($$INSERT INTO credit.third_party_report (agency, content, signature, department)
                     VALUES ('xy_credit', '{"issued_at": "2026-03-01T08:00:00+08:00"}', '\x00', 'platform')$$) AS other_unit;
-- content and document must agree; content must be an object with an issue date
SELECT pg_temp.try($$INSERT INTO credit.third_party_report (agency, document, content, signature, department)
                     VALUES ('xy_credit', '{"issued_at": "2026-03-01T08:00:00+08:00"}', '{"issued_at": "2026-03-02T08:00:00+08:00"}', '\x00', 'rp_market')$$) AS differ,
       pg_temp.try($$INSERT INTO credit.third_party_report (agency, content, signature, department)
                     VALUES ('xy_credit', '[1, 2]', '\x00', 'rp_market')$$) AS not_object,
       pg_temp.try($$INSERT INTO credit.third_party_report (agency, content, signature, department)
                     VALUES ('xy_credit', '{"report_no": "1"}', '\x00', 'rp_market')$$) AS no_issue_date,
       pg_temp.try($$INSERT INTO credit.third_party_report (agency, document, signature, department)
                     VALUES ('xy_credit', '{"issued_at": ', '\x00', 'rp_market')$$) AS broken_json;

-- The checks.  A valid report: signature, subject, issue date; no conflict.
SELECT * FROM credit.verify_third_party_report(:tp_valid);
-- A validly signed report whose statements the platform contradicts.
SELECT * FROM credit.verify_third_party_report(:tp_conflict);
-- A signature that is not the agency's over this document: nothing is
-- compared with platform data (a forged report learns nothing), no warning.
SELECT * FROM credit.verify_third_party_report(:tp_bad_signature);
-- A subject the platform does not know.
SELECT * FROM credit.verify_third_party_report(:tp_unknown);
-- Signed over the canonical text of its content; the ID number is masked.
SELECT * FROM credit.verify_third_party_report(:tp_person);
-- Filed for another subject than the one it names: compared with the subject
-- filed for, but raises no warning.
SELECT * FROM credit.verify_third_party_report(:tp_mismatch);
SELECT pg_temp.try('SELECT * FROM credit.verify_third_party_report(-1)') AS unknown_report;
-- Resolving and checking the person's ID number are logged look-ups.
RESET SESSION AUTHORIZATION;
SELECT who, subject_id = :person AS person, purpose, detail ->> 'lookup' AS lookup, detail ->> 'id' AS id,
       detail ->> 'found' AS found
  FROM credit.query_log WHERE detail ->> 'lookup' LIKE 'third_party_report%' ORDER BY id;
SET SESSION AUTHORIZATION regress_credit_rp_clerk;
SELECT report_no, id = :tp_valid AS valid, id = :tp_conflict AS conflict, check_ok, checked_at IS NOT NULL AS checked
  FROM credit.third_party_report ORDER BY id;
RESET SESSION AUTHORIZATION;

-- The conflict raised one report_conflict warning (not the report with a bad
-- signature, not the one filed for another subject, not on a second check).
SELECT subject_id = :firm_black AS firm_black, kind, level, topic = 'third_party_report:' || :tp_conflict AS topic,
       jsonb_pretty(details - 'third_party_report') AS details
  FROM credit.warning WHERE kind = 'report_conflict';
SELECT count(*) AS checks FROM credit.verify_third_party_report(:tp_conflict);
SELECT count(*) AS warnings FROM credit.warning WHERE kind = 'report_conflict';

-- The platform's own report is a valid third-party document: its content is
-- the report without its signature, signed over its canonical text.
SET LOCAL credit.report_signing_key = 'f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5';
INSERT INTO credit.agency (code, name, public_key)
    VALUES ('jy_platform', 'Jiangyin public credit platform', credit.report_public_key());
SELECT credit.report(:firm_black, 'bid review') AS r3 \gset
INSERT INTO credit.third_party_report (agency, content, signature, purpose)
    VALUES ('jy_platform', :'r3'::jsonb - 'signature', decode(:'r3'::jsonb ->> 'signature', 'hex'), 'bid review')
RETURNING id AS tp_platform, subject_id = :firm_black AS resolved \gset
SELECT :'resolved' AS resolved, check_name, ok,
       CASE WHEN check_name = 'issued_at' THEN NULL ELSE detail END AS detail
  FROM credit.verify_third_party_report(:tp_platform);

-- Who sees and checks what: an analyst all, another unit nothing, the public nothing.
CREATE ROLE regress_credit_dept_rp_other NOLOGIN IN ROLE credit_department;
INSERT INTO credit.department (code, name, role) VALUES ('rp_other', 'Reports test: another unit', 'regress_credit_dept_rp_other');
CREATE ROLE regress_credit_rp_other_clerk LOGIN IN ROLE regress_credit_dept_rp_other;
SET SESSION AUTHORIZATION regress_credit_rp_analyst;
SELECT count(*) AS analyst_sees FROM credit.third_party_report;
SELECT check_name, ok FROM credit.verify_third_party_report(:tp_valid);
SELECT pg_temp.try($$INSERT INTO credit.agency (code, name, public_key) VALUES ('rogue', 'Rogue', '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c')$$) AS analyst_adds_agency;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_credit_rp_other_clerk;
SELECT count(*) AS other_unit_sees FROM credit.third_party_report;
SELECT replace(pg_temp.try(format('SELECT * FROM credit.verify_third_party_report(%s)', :tp_valid)), :'tp_valid', 'N') AS other_unit_checks;
SELECT pg_temp.try($$DELETE FROM credit.agency$$) AS unit_deletes_agency;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_credit_rp_web;
SELECT pg_temp.try('SELECT count(*) FROM credit.third_party_report') AS public_reads;
SELECT pg_temp.try(format('SELECT * FROM credit.verify_third_party_report(%s)', :tp_valid)) AS public_checks;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_credit_rp_admin;
INSERT INTO credit.agency (code, name, public_key) VALUES
    ('zx_credit', 'Zhengxin ratings (正信评级有限公司)', '-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEA/FHNjmIYoaONpH7QAjDwWAgW7RO6MwOsXeuRFUiQgCU=
-----END PUBLIC KEY-----');
SELECT code, key_id FROM credit.agency ORDER BY code;
RESET SESSION AUTHORIZATION;

ROLLBACK;
