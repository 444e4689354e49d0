-- Owner-rights code resolves nothing through the caller's search_path.
--
-- A unit's clerk (and an analyst, and a non-superuser administrator) plants
-- a pg_temp domain for every base type name of pg_catalog, each checking
-- its values with a function that records who runs it and tries to make the
-- clerk a superuser, and a public operator for every operator name the
-- extension uses on pairs of types pg_catalog has no operator for (in a
-- database where PUBLIC may create in public, as clusters upgraded from
-- before PostgreSQL 15 allow).  Then every entry point that runs with more
-- rights than its caller is driven.  Nothing planted may run as anyone but
-- the role that planted it.
\i sql/include/require_preload.sql
\if :skip_test
\quit
\endif

\i sql/include/try.sql

GRANT CREATE ON SCHEMA public TO PUBLIC;
CREATE TABLE public.planted_hits (who name, runs_as name, what text);
GRANT INSERT, SELECT ON public.planted_hits TO PUBLIC;

CREATE ROLE regress_credit_dept_sp_tax NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_credit_sp_clerk LOGIN IN ROLE regress_credit_dept_sp_tax;
CREATE ROLE regress_credit_sp_analyst LOGIN IN ROLE credit_analyst;
CREATE ROLE regress_credit_sp_admin LOGIN IN ROLE credit_admin;
INSERT INTO credit.department (code, name, role)
    VALUES ('sp_tax', 'Search path test: taxation bureau', 'regress_credit_dept_sp_tax');
INSERT INTO credit.subject (id, kind, name, uscc, industries)
    VALUES (987001, 'enterprise', '江阴路径测试机械有限公司', '91320281MA1P00191B', '{work_safety}');
INSERT INTO credit.subject (id, kind, name, person_id)
    VALUES (987002, 'individual', '路径测试', '320281198107220135');
\set firm 987001
\set person 987002
INSERT INTO credit.agency (code, name, public_key)
    VALUES ('sp_agency', 'Search path test agency', '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c');
-- keys for the session (superusers only), kept through SET SESSION AUTHORIZATION
SET credit.pseudonym_key = 'search path test pseudonym key';
SET credit.report_signing_key = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on)
    VALUES (:firm, 'penalty_general', 'sp_tax', 'SP-0', current_date - 30);

-- The planting, as the role about to attack: a hit records session and
-- current user; as a superuser it would also have made the attacker one.
CREATE FUNCTION public.plant() RETURNS text LANGUAGE plpgsql AS $plant$
DECLARE
    t record;
    o record;
    n int := 0;
    m int := 0;
BEGIN
    IF pg_catalog.to_regprocedure('pg_temp.planted(text)') IS NULL THEN
    EXECUTE format($f$
        CREATE FUNCTION pg_temp.planted(what text) RETURNS boolean LANGUAGE plpgsql AS $b$
        BEGIN
            INSERT INTO public.planted_hits VALUES (session_user, current_user, what);
            IF current_user <> session_user THEN
                BEGIN
                    EXECUTE 'ALTER ROLE %I SUPERUSER';
                EXCEPTION WHEN others THEN NULL;
                END;
            END IF;
            RETURN true;
        END $b$$f$, session_user);
    END IF;
    FOR t IN SELECT typname FROM pg_catalog.pg_type
              WHERE typnamespace = 'pg_catalog'::regnamespace AND typtype = 'b' AND typname !~ '^_'
                AND typelem = 0 AND typname NOT IN ('unknown', 'cstring')
    LOOP
        BEGIN
            EXECUTE format('CREATE DOMAIN pg_temp.%I AS pg_catalog.%I CHECK (pg_temp.planted(%L))',
                           t.typname, t.typname, 'domain ' || t.typname);
            n := n + 1;
        EXCEPTION WHEN others THEN NULL;    -- a type that cannot carry a domain
        END;
    END LOOP;
    FOR o IN SELECT op, l, r
               FROM unnest(ARRAY['=', '<>', '<', '<=', '>', '>=', '||', '-', '+', '&', '@>', '?', '->>', '<<']) op,
                    unnest(ARRAY['int2', 'int4', 'int8', 'float4', 'float8', 'numeric', 'text', 'name',
                                 'date', 'timestamptz', 'jsonb', 'bool', 'bytea']) l,
                    unnest(ARRAY['int2', 'int4', 'int8', 'float4', 'float8', 'numeric', 'text', 'name',
                                 'date', 'timestamptz', 'jsonb', 'bool', 'bytea']) r
              WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_operator p
                                 WHERE p.oprname = op AND p.oprleft = l::regtype AND p.oprright = r::regtype
                                   AND p.oprnamespace = 'pg_catalog'::regnamespace)
    LOOP
        BEGIN
            EXECUTE format('CREATE FUNCTION public.%I(pg_catalog.%I, pg_catalog.%I) RETURNS boolean
                            LANGUAGE sql AS $b$ SELECT pg_temp.planted(%L) $b$',
                           'planted_' || session_user || '_' || m, o.l, o.r, 'operator ' || o.l || ' ' || o.op || ' ' || o.r);
            EXECUTE format('CREATE OPERATOR public.%s (LEFTARG = pg_catalog.%I, RIGHTARG = pg_catalog.%I, FUNCTION = public.%I)',
                           o.op, o.l, o.r, 'planted_' || session_user || '_' || m);
            m := m + 1;
        EXCEPTION WHEN others THEN NULL;
        END;
    END LOOP;
    RETURN format('%s domains, %s operators', CASE WHEN n > 60 THEN 'many' ELSE n::text END,
                  CASE WHEN m > 100 THEN 'many' ELSE m::text END);
END
$plant$;
GRANT EXECUTE ON FUNCTION public.plant() TO PUBLIC;

-- ==== the clerk ====
SET SESSION AUTHORIZATION regress_credit_sp_clerk;
SELECT public.plant() AS planted;
-- the planted objects are live: the clerk's own statements resolve them
SELECT '1.5'::float8 AS control;
SELECT count(*) > 0 AS planted_objects_fire FROM public.planted_hits WHERE who = current_user;

-- records: insert, multi-row insert, update, delete, folded at commit (COPY FROM is
-- refused for units: PostgreSQL does not COPY into a table with row-level security)
INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on, value, details)
    VALUES (:firm, 'penalty_serious', 'sp_tax', 'SP-1', current_date - 2, 2, '{"penalty_kind": "fine"}');
INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on)
    VALUES (:firm, 'work_safety_random_fail', 'sp_tax', 'SP-2', current_date - 1),
           (:person, 'person_penalty_general', 'sp_tax', 'SP-3', current_date - 1);
INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on)
    VALUES (:firm, 'utility_arrears', 'sp_tax', 'SP-4', current_date - 3);
UPDATE credit.record SET status = 'objected' WHERE document_no = 'SP-4';
UPDATE credit.record SET value = 3 WHERE document_no = 'SP-1';
DELETE FROM credit.record WHERE document_no = 'SP-4';
-- folded at each statement
BEGIN;
SET LOCAL credit.fold_at = 'statement';
INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on)
    VALUES (:firm, 'contract_breach', 'sp_tax', 'SP-5', current_date);
COMMIT;
-- lists, relations, commitments, repair and objections
SELECT pg_temp.try(format($q$INSERT INTO credit.list_entry (list_code, name, code, listed_on, reason)
                              VALUES ('abnormal_operation', '江阴路径测试机械有限公司', '91320281MA1P00191B', current_date, 'x')$q$))
       IS NOT NULL AS list_entry_tried;
SELECT pg_temp.try(format($q$INSERT INTO credit.relation (from_subject, to_subject, kind, valid_from)
                              VALUES (%s, %s, 'legal_representative', current_date - 1)$q$, :person, :firm))
       IS NOT NULL AS relation_tried;
SELECT pg_temp.try(format($q$SELECT credit.file_objection(r.id, 'wrong company') FROM credit.record r
                              WHERE r.document_no = 'SP-2'$q$)) IS NOT NULL AS objection_tried;
SELECT pg_temp.try($q$SELECT credit.request_repair(r.id, 'corrected') FROM credit.record r
                       WHERE r.document_no = 'SP-0'$q$) IS NOT NULL AS repair_tried;
-- the intake: COPY, INSERT, the national layout, a correction, a waiting row released by a registration
COPY credit.intake (subject_code, item_code, document_no, decided_on, value, amount, details) FROM stdin WITH (FORMAT csv);
91320281MA1P00191B,penalty_general,SP-I1,2026-01-05,1.5,200.5,"{""content"": ""fine""}"
91320281MA1P00191X,penalty_general,SP-I2,2026-01-05,,,
91320281MA1P00191B,penalty_general,SP-I1,2026-01-05,2,300,
91320281MA1P002041,honour_county,SP-I3,2026-01-05,,,
\.
INSERT INTO credit.intake (subject_code, item_code, decided_on) VALUES ('320281 19810722 0135', 'volunteer_service', '2026-01-06');
INSERT INTO credit.intake_penalty (cf_xdr_mc, cf_xdr_lb, cf_xdr_shxym, cf_wsh, cf_nr_fk, cf_jdrq)
    VALUES ('江阴路径测试机械有限公司', '法人及非法人组织', '91320281MA1P00191B', 'SP-I4', '0.5', '2026/01/07');
UPDATE credit.intake SET subject_code = '91320281MA1P00191B' WHERE document_no = 'SP-I2';
INSERT INTO credit.subject (kind, name, uscc) VALUES ('enterprise', '江阴路径测试二号有限公司', '91320281MA1P002041');
SELECT status, count(*) FROM credit.intake GROUP BY 1 ORDER BY 1;
SELECT credit.check('91320281MA1P00191B', 'government_procurement') IS NOT NULL AS checked_by_code;
SELECT count(*) >= 0 AS measures_by_code FROM credit.measures_for(' 91320281ma1p00191b ');
SELECT pg_temp.try($q$SELECT credit.profile('91320281MA1P00191B')$q$) AS profile_by_code;
SELECT count(*) > 0 AS quality FROM credit.v_intake_quality;
-- readers that switch to the owner or read through SQL
SELECT count(*) >= 0 AS matched FROM credit.match('江阴路径测试机械有限公司', '91320281MA1P00191B');
SELECT credit.check(:firm, 'government_procurement') IS NOT NULL AS checked;
SELECT count(*) >= 0 AS measures FROM credit.measures_for(:firm, NULL);
SELECT pg_temp.try(format('SELECT credit.profile(%s)', :firm)) AS profile;
SELECT count(*) >= 0 AS related FROM credit.related(:firm, 2);
SELECT (credit.evaluate_subject(:firm, 'comprehensive_enterprise')).grade IS NOT NULL AS evaluated;
-- person look-ups, registration, pseudonyms, reports and third-party reports
SELECT credit.find_person('320281198107220135', 'search path test') = :person AS found;
SELECT credit.register_person('320281198107220135', '路径测试', 'search path test') = :person AS registered;
SELECT octet_length(credit.pseudonym('320281198107220135')) AS pseudonym_bytes;
SELECT credit.verify_report(credit.report(:firm, 'search path test')) AS report_verifies;
SELECT credit.verify_report(credit.report(:person, 'search path test')) AS report_verifies;
INSERT INTO credit.third_party_report (agency, document, signature, purpose, department)
VALUES ('sp_agency', '{"report_no": "SP-TP", "issued_at": "2026-01-15T10:00:00+08:00", "subject": {"person_id": "320281198107220135"}}',
        '\x00', 'search path test', 'sp_tax')
RETURNING id AS tp \gset
SELECT count(*) > 0 AS third_party_checked FROM credit.verify_third_party_report(:tp);
RESET SESSION AUTHORIZATION;

-- ==== the analyst ====
SET SESSION AUTHORIZATION regress_credit_sp_analyst;
SELECT public.plant() AS planted;
SELECT credit.check(:person, 'administrative_licensing') IS NOT NULL AS checked;
SELECT credit.check('320281198107220135', 'administrative_licensing') IS NOT NULL AS checked_by_code;
SELECT count(*) > 0 AS quality FROM credit.v_intake_quality;
SELECT pg_temp.try(format('SELECT credit.profile(%s)', :person)) AS profile;
SELECT count(*) >= 0 AS verified FROM credit.verify_ledger();
SELECT count(*) >= 0 AS matched FROM credit.match('路径测试', '320281198107220135');
SELECT credit.find_person('320281198107220135', 'search path test') = :person AS found;
SELECT octet_length(credit.pseudonym('320281198107220135')) AS pseudonym_bytes;
SELECT credit.verify_report(credit.report(:person, 'search path test')) AS report_verifies;
SELECT count(*) > 0 AS third_party_checked FROM credit.verify_third_party_report(:tp);
RESET SESSION AUTHORIZATION;

-- ==== a non-superuser administrator ====
SET SESSION AUTHORIZATION regress_credit_sp_admin;
SELECT public.plant() AS planted;
SELECT credit.run_evaluation('industry_work_safety') > 0 AS ran;
SELECT credit.reanchor_grades() >= 0 AS reanchored;
SELECT count(*) >= 0 AS verified FROM credit.verify_ledger();
RESET SESSION AUTHORIZATION;

-- Nothing planted ran with more rights than its planter; nobody became superuser.
SELECT DISTINCT who, runs_as, what FROM public.planted_hits WHERE runs_as <> who ORDER BY 1, 2, 3;
SELECT rolname, rolsuper FROM pg_catalog.pg_roles WHERE rolname LIKE 'regress_credit_sp_%' ORDER BY 1;
-- the grades are still those of a fresh evaluation
SELECT count(*) FILTER (WHERE abs(g.score - e.score) > 1e-6 OR g.grade IS DISTINCT FROM e.grade) AS stale_grades
  FROM credit.subject_grade g
  CROSS JOIN LATERAL credit.evaluate_subject(g.subject_id, g.model) e
 WHERE g.subject_id IN (:firm, :person);

-- clean up (the subjects and records stay, like every test's fixtures)
RESET credit.pseudonym_key;
RESET credit.report_signing_key;
DROP OWNED BY regress_credit_sp_clerk, regress_credit_sp_analyst, regress_credit_sp_admin;
DROP FUNCTION public.plant();
DROP TABLE public.planted_hits;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
DROP ROLE regress_credit_sp_clerk, regress_credit_sp_analyst, regress_credit_sp_admin;
UPDATE credit.department SET role = NULL WHERE code = 'sp_tax';
DROP ROLE regress_credit_dept_sp_tax;
