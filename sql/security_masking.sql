-- No whole ID number reaches a unit, an analyst or the public site by any
-- route (docs/security.md, "Whole ID numbers"): columns, jsonb content,
-- views, statistics, RETURNING, the results of functions.  A person is
-- registered, listed, reported on by a third party and looked up; then,
-- logged in as each role, everything that role may read is searched for the
-- whole number.  Everything is rolled back at the end.
\i sql/include/require_preload.sql
\if :skip_test
\quit
\endif
BEGIN;
\set ON_ERROR_ROLLBACK on
\i sql/include/try.sql
-- every credit table and view the current user may read, each row as text
-- (the columns it may read), searched for a string: where it was found
CREATE FUNCTION pg_temp.found_in(needle text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    rel  record;
    cols text;
    n    bigint;
BEGIN
    FOR rel IN SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
                WHERE s.nspname = 'credit' AND c.relkind IN ('r', 'v', 'p') AND NOT c.relispartition
                ORDER BY c.relname
    LOOP
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
          FROM pg_attribute a
         WHERE a.attrelid = rel.oid AND a.attnum > 0 AND NOT a.attisdropped
           AND has_column_privilege(rel.oid, a.attnum, 'SELECT');
        CONTINUE WHEN cols IS NULL;
        EXECUTE format('SELECT count(*) FROM (SELECT %s FROM credit.%I) t WHERE t::text LIKE %L',
                       cols, rel.relname, '%' || needle || '%') INTO n;
        IF n > 0 THEN
            RETURN NEXT rel.relname;
        END IF;
    END LOOP;
    -- the planner's statistics of every column it may read
    RETURN QUERY SELECT 'pg_stats: ' || s.tablename || '.' || s.attname FROM pg_stats s
                  WHERE s.schemaname = 'credit' AND s::text LIKE '%' || needle || '%';
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.found_in(text) TO PUBLIC;

CREATE ROLE regress_credit_sm_tax NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_credit_sm_taxclerk LOGIN IN ROLE regress_credit_sm_tax;
CREATE ROLE regress_credit_sm_court NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_credit_sm_judge LOGIN IN ROLE regress_credit_sm_court;
CREATE ROLE regress_credit_sm_analyst LOGIN IN ROLE credit_analyst;
CREATE ROLE regress_credit_sm_web LOGIN IN ROLE credit_public;
INSERT INTO credit.department (code, name, role) VALUES
    ('sm_tax', 'Masking test: taxation bureau', 'regress_credit_sm_tax'),
    ('sm_court', 'Masking test: court', 'regress_credit_sm_court');
INSERT INTO credit.list_sender (list_code, department) VALUES ('dishonest_debtor', 'sm_court');
INSERT INTO credit.subject (kind, name, person_id) VALUES ('individual', '孙遮蔽', '320281197711050334')
    RETURNING id AS person \gset
INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on)
    VALUES (:person, 'person_penalty_general', 'sm_tax', 'SM-TAX-1', current_date - 3);
-- the court lists the person by ID number (15-digit form), an agency's report names it
SET SESSION AUTHORIZATION regress_credit_sm_judge;
INSERT INTO credit.list_entry (list_code, name, code, listed_on, document_no)
    VALUES ('dishonest_debtor', '孙遮蔽', '320281771105033', current_date - 1, 'SM-COURT-1');
RESET SESSION AUTHORIZATION;
INSERT INTO credit.agency (code, name, public_key)
    VALUES ('sm_agency', 'Masking test agency', '5e449ad6fa4b2d65746e8cd4f968e38c5a9679f8495db114ee06317f72f717db');
INSERT INTO credit.third_party_report (agency, content, signature, purpose)
    VALUES ('sm_agency', '{"issued_at": "2026-01-15T10:00:00+08:00", "subject": {"name": "孙遮蔽", "person_id": "320281197711050334"}}',
            decode(repeat('00', 64), 'hex'), 'recruitment');
SELECT credit.find_person('320281197711050334', 'masking test') = :person AS found;
ANALYZE credit.subject, credit.list_entry, credit.third_party_report;
-- the whole number is there, for those who may read it
SELECT pg_temp.found_in('320281197711050334') AS superuser_finds;

-- ==== a unit's clerks: the tax unit, the court that sent the entry ====
SET SESSION AUTHORIZATION regress_credit_sm_taxclerk;
SELECT count(*) AS whole_numbers_found FROM pg_temp.found_in('320281197711050334');
SELECT count(*) AS old_form_found FROM pg_temp.found_in('320281771105033');
-- masked where shown
SELECT person_id FROM credit.subject_masked WHERE id = :person;
SELECT credit.profile(:person) #>> '{subject,person_id}' AS profile_person_id;
SELECT credit.check(:person, 'government_procurement') #>> '{subject,person_id}' AS check_person_id;
-- refused where whole: columns, RETURNING
SELECT pg_temp.try('SELECT person_id FROM credit.subject') AS read_person_id;
SELECT pg_temp.try(format($q$UPDATE credit.subject SET legal_rep = legal_rep WHERE id = %s RETURNING *$q$, :person))
       AS returning_all;
SELECT pg_temp.try($q$INSERT INTO credit.subject (kind, name, person_id)
                      VALUES ('individual', '孙新', '320281196612200443') RETURNING person_id$q$) AS returning_person_id;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_credit_sm_judge;
SELECT count(*) AS whole_numbers_found FROM pg_temp.found_in('320281197711050334');
SELECT count(*) AS old_form_found FROM pg_temp.found_in('320281771105033');
SELECT code FROM credit.list_entry_public WHERE document_no = 'SM-COURT-1';
SELECT pg_temp.try($q$SELECT code FROM credit.list_entry WHERE document_no = 'SM-COURT-1'$q$) AS read_own_code;
SELECT pg_temp.try($q$UPDATE credit.list_entry SET reason = 'x' WHERE document_no = 'SM-COURT-1' RETURNING code_canonical$q$)
       AS returning_canonical;
RESET SESSION AUTHORIZATION;

-- ==== the analyst ====
SET SESSION AUTHORIZATION regress_credit_sm_analyst;
SELECT count(*) AS whole_numbers_found FROM pg_temp.found_in('320281197711050334');
SELECT count(*) AS old_form_found FROM pg_temp.found_in('320281771105033');
SELECT pg_temp.try('SELECT content FROM credit.third_party_report') AS read_report_content;
SELECT pg_temp.try('SELECT document FROM credit.third_party_report') AS read_report_document;
SELECT report_no IS NULL AS no_number, subject_id = :person AS resolved FROM credit.third_party_report
 WHERE agency = 'sm_agency';
SELECT credit.profile(:person) #>> '{subject,person_id}' AS profile_person_id;
SELECT detail ->> 'id' AS logged_id FROM credit.query_log
 WHERE subject_id = :person AND detail ->> 'lookup' = 'find_person';
RESET SESSION AUTHORIZATION;

-- ==== the public site ====
SET SESSION AUTHORIZATION regress_credit_sm_web;
SELECT count(*) AS whole_numbers_found FROM pg_temp.found_in('320281197711050334');
SELECT count(*) AS old_form_found FROM pg_temp.found_in('320281771105033');
SELECT party_name, person_id FROM credit.publicity_list WHERE document_no = 'SM-COURT-1';
RESET SESSION AUTHORIZATION;
ROLLBACK;
