-- Whether a subject may be on a list (credit.subject_grade.listed): set by
-- whatever can make a listing, cleared only by credit.refresh_listed; a
-- check and measures_for read the listings only of subjects so flagged (or
-- without grade rows), so no listing is ever skipped.  Rolled back at the end.
BEGIN;
\set ON_ERROR_ROLLBACK on
\i sql/include/try.sql
SET LOCAL credit.fold_at = 'statement';
INSERT INTO credit.department (code, name) VALUES ('ml_unit', 'Listing flag test unit');
INSERT INTO credit.subject (kind, name) VALUES ('enterprise', '江阴标记测试机械有限公司')
    RETURNING id AS firm \gset
INSERT INTO credit.subject (kind, name) VALUES ('enterprise', '江阴标记测试贷款有限公司')
    RETURNING id AS debtor \gset
INSERT INTO credit.subject (kind, name) VALUES ('government', '江阴标记测试政府机关')
    RETURNING id AS office \gset
INSERT INTO credit.record (subject_id, item_code, department, decided_on) VALUES
    (:firm, 'honour_national', 'ml_unit', current_date - 10),
    (:debtor, 'loan_default', 'ml_unit', current_date - 30);
-- what a check shows and decides, and whether measures_for agrees with it
CREATE FUNCTION pg_temp.checked(subject bigint, scen text)
RETURNS TABLE (decision text, lists jsonb, same_as_measures_for boolean)
LANGUAGE sql AS $$
    WITH c AS (SELECT credit.check(subject, scen) AS j),
         m AS (SELECT x ->> 'measure' AS code, x ->> 'reason' AS reason
                 FROM c, jsonb_array_elements((c.j -> 'incentives') || (c.j -> 'punishments')) x)
    SELECT c.j ->> 'decision', jsonb_path_query_array(c.j, '$.lists[*].list'),
           (SELECT array_agg(m.code || ': ' || m.reason ORDER BY m.code) FROM m)
           IS NOT DISTINCT FROM
           (SELECT array_agg(f.measure_code || ': ' || f.reason ORDER BY f.measure_code)
              FROM credit.measures_for(subject, scen) f)
      FROM c
$$;
CREATE FUNCTION pg_temp.flags(VARIADIC subjects bigint[])
RETURNS TABLE (subject text, listed boolean[])
LANGUAGE sql AS $$
    SELECT CASE s.id WHEN subjects[1] THEN 'firm' WHEN subjects[2] THEN 'debtor' ELSE 'office' END,
           (SELECT array_agg(g.listed ORDER BY g.model) FROM credit.subject_grade g WHERE g.subject_id = s.id)
      FROM credit.subject s WHERE s.id = ANY (subjects) ORDER BY s.id
$$;

-- new grade rows start flagged; the recomputation clears the flags of
-- subjects on no list (the government office has no grade row to flag)
SELECT * FROM pg_temp.flags(:firm, :debtor, :office);
SELECT credit.refresh_listed() > 0 AS cleared;
SELECT * FROM pg_temp.flags(:firm, :debtor, :office);
SELECT * FROM pg_temp.checked(:firm, 'government_procurement');

-- a list entry flags its subject, and the check reads the listing
INSERT INTO credit.list_entry (list_code, name, subject_id, listed_on, reason)
    VALUES ('serious_dishonesty', '江阴标记测试机械有限公司', :firm, current_date - 3, 'listing flag test')
    RETURNING id AS entry \gset
SELECT * FROM pg_temp.flags(:firm, :debtor, :office);
SELECT * FROM pg_temp.checked(:firm, 'government_procurement');
-- removed from the list: still flagged (it may be listed) until recomputed
UPDATE credit.list_entry SET removed_on = current_date WHERE id = :entry;
SELECT * FROM pg_temp.flags(:firm, :debtor, :office);
SELECT * FROM pg_temp.checked(:firm, 'government_procurement');
SELECT credit.refresh_listed() AS changed;
SELECT * FROM pg_temp.flags(:firm, :debtor, :office);
SELECT * FROM pg_temp.checked(:firm, 'government_procurement');

-- a record of a list's item flags its subject, folded or not (here not)
SET LOCAL credit.auto_evaluation = off;
INSERT INTO credit.record (subject_id, item_code, department, decided_on)
    VALUES (:firm, 'list_serious_dishonesty', 'ml_unit', current_date - 2) RETURNING id AS fed \gset
SELECT * FROM pg_temp.flags(:firm, :debtor, :office);
SELECT * FROM pg_temp.checked(:firm, 'government_procurement');
-- revoked: recomputed, off the list
UPDATE credit.record SET status = 'revoked' WHERE subject_id = :firm AND id = :fed;
SELECT credit.refresh_listed() AS changed;
SELECT * FROM pg_temp.checked(:firm, 'government_procurement');
-- and active again: flagged again
UPDATE credit.record SET status = 'active' WHERE subject_id = :firm AND id = :fed;
SELECT * FROM pg_temp.flags(:firm, :debtor, :office);
SELECT * FROM pg_temp.checked(:firm, 'government_procurement');
RESET credit.auto_evaluation;

-- a list given an item flags every subject with an active record of it
INSERT INTO credit.list (code, name, kind, item_code)
    VALUES ('ml_defaulters', 'Listing flag test: defaulters', 'black', 'loan_default');
INSERT INTO credit.measure (code, name, kind, effect, scenario, list_codes)
    VALUES ('ml_defaulter_bar', 'Listing flag test: no procurement for defaulters', 'punishment', 'bar',
            'government_procurement', '{ml_defaulters}');
SELECT * FROM pg_temp.flags(:firm, :debtor, :office);
SELECT * FROM pg_temp.checked(:debtor, 'government_procurement');
SELECT credit.refresh_listed() AS changed;
SELECT * FROM pg_temp.flags(:firm, :debtor, :office);

-- a subject without grade rows has its listings read every time (here an
-- entry loaded behind the triggers, which flag nothing)
DELETE FROM credit.subject_grade WHERE subject_id = :office;
SET LOCAL session_replication_role = replica;
INSERT INTO credit.list_entry (list_code, name, subject_id, listed_on, reason, department)
    VALUES ('dishonest_debtor', '江阴标记测试政府机关', :office, current_date - 1, 'listing flag test', 'ml_unit');
RESET session_replication_role;
SELECT * FROM pg_temp.flags(:firm, :debtor, :office);
SELECT * FROM pg_temp.checked(:office, 'government_procurement');

-- units may not read the flags (they are derived from every unit's records)
CREATE ROLE regress_credit_ml_unit NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_credit_ml_clerk LOGIN IN ROLE regress_credit_ml_unit;
UPDATE credit.department SET role = 'regress_credit_ml_unit' WHERE code = 'ml_unit';
SET SESSION AUTHORIZATION regress_credit_ml_clerk;
SELECT pg_temp.try(format('SELECT listed FROM credit.subject_grade WHERE subject_id = %s', :firm)) AS read_flag;
SELECT pg_temp.try('SELECT credit.refresh_listed()') AS refresh;
SELECT * FROM pg_temp.checked(:debtor, 'government_procurement');
RESET SESSION AUTHORIZATION;
ROLLBACK;

-- the recomputation reads what is committed once it holds its locks: not
-- from a transaction snapshot, which may be older
BEGIN ISOLATION LEVEL REPEATABLE READ;
\i sql/include/try.sql
SELECT pg_temp.try('SELECT credit.refresh_listed()') AS refresh_repeatable_read;
ROLLBACK;
