-- Joint rewards and punishments (联合奖惩, docs/measures.md): measures matched to a
-- subject's grades, lists, kind and scenario; the credit check of approval
-- systems; the feedback of the units that act on a measure.  Everything,
-- roles included, is rolled back at the end.
\i sql/include/require_preload.sql
\if :skip_test
\quit
\endif
BEGIN;
\set ON_ERROR_ROLLBACK on
-- grades follow each statement (not only at commit)
SET LOCAL credit.fold_at = 'statement';
\i sql/include/try.sql

-- The scenarios and the shipped measures.
SELECT code, name FROM credit.scenario ORDER BY code;
SELECT code, kind, effect, scenario, model, best_grade, worst_grade, list_codes, product
  FROM credit.measure ORDER BY kind, code;

-- A county in small.  Grades follow from records dated relative to today.
INSERT INTO credit.department (code, name) VALUES ('ms_market', 'Measures test: market supervision');
INSERT INTO credit.subject (kind, name, uscc) VALUES ('enterprise', '江阴守信机械有限公司', '91320281MA1ME0013T')
    RETURNING id AS firm_a \gset
INSERT INTO credit.subject (kind, name, uscc) VALUES ('enterprise', '江阴普通纺织有限公司', '91320281MA1ME0021M')
    RETURNING id AS firm_b \gset
INSERT INTO credit.subject (kind, name, uscc) VALUES ('enterprise', '江阴欠佳建材有限公司', '91320281MA1ME003XD')
    RETURNING id AS firm_c \gset
INSERT INTO credit.subject (kind, name, uscc) VALUES ('enterprise', '江阴失信化工有限公司', '91320281MA1ME0048D')
    RETURNING id AS firm_black \gset
INSERT INTO credit.subject (kind, name, uscc) VALUES ('social_org', '江阴守信行业协会', '51320281MA1ME00647')
    RETURNING id AS assoc_a \gset
INSERT INTO credit.subject (kind, name, person_id) VALUES ('individual', '顾守信', '320281198503120013')
    RETURNING id AS person_aplus \gset
INSERT INTO credit.subject (kind, name, person_id) VALUES ('individual', '钱普通', '32028119900101002X')
    RETURNING id AS person_a \gset
INSERT INTO credit.subject (kind, name, person_id) VALUES ('individual', '孙失信', '320281197806150039')
    RETURNING id AS person_debtor \gset
-- honours lift firm_a and the association to A; penalties bring firm_c to C
INSERT INTO credit.record (subject_id, item_code, department, decided_on)
SELECT s, i, 'ms_market', current_date - d
  FROM unnest(ARRAY[:firm_a, :assoc_a]) s,
       (VALUES ('honour_national', 10), ('honour_national', 20), ('tax_grade_a', 5)) v (i, d);
INSERT INTO credit.record (subject_id, item_code, department, decided_on)
SELECT :firm_c, 'penalty_general', 'ms_market', current_date - g FROM generate_series(1, 4) g;
-- blood donations and volunteer hours lift the person to A+
INSERT INTO credit.record (subject_id, item_code, department, decided_on, value) VALUES
    (:person_aplus, 'blood_donation', 'ms_market', current_date - 30, 1),
    (:person_aplus, 'blood_donation', 'ms_market', current_date - 60, 1),
    (:person_aplus, 'blood_donation', 'ms_market', current_date - 90, 1),
    (:person_aplus, 'volunteer_service', 'ms_market', current_date - 7, 7);
-- black lists veto to D
INSERT INTO credit.list_entry (list_code, name, code, listed_on, reason) VALUES
    ('serious_dishonesty', '江阴失信化工有限公司', '91320281MA1ME0048D', date '2025-03-01', 'fraudulent subsidy claim'),
    ('dishonest_debtor', '孙失信', '320281197806150039', date '2025-06-15', 'judgment not performed');
SELECT s.name, s.kind, g.model, g.grade
  FROM credit.subject s JOIN credit.subject_grade g ON g.subject_id = s.id
 WHERE s.id IN (:firm_a, :firm_b, :firm_c, :firm_black, :assoc_a, :person_aplus, :person_a, :person_debtor)
 ORDER BY s.id, g.model;

-- An A enterprise: priority handling and facilitation in every scenario,
-- approval with documents pending in licensing only, credit-easy products.
SELECT * FROM credit.measures_for(:firm_a);
SELECT measure_code, kind FROM credit.measures_for(:firm_a, 'administrative_licensing');
SELECT measure_code, kind FROM credit.measures_for(:firm_a, 'government_procurement');
-- An A+ individual, and one at A (no incentive: the measures ask for A+).
SELECT * FROM credit.measures_for(:person_aplus);
SELECT * FROM credit.measures_for(:person_a);
-- Kind filter: an association graded A gets none of the enterprises' incentives.
SELECT * FROM credit.measures_for(:assoc_a);
-- The black-listed enterprise (vetoed to D): punishments by list and by grade.
SELECT * FROM credit.measures_for(:firm_black);
SELECT * FROM credit.measures_for(:firm_black, 'government_procurement');
SELECT * FROM credit.measures_for(:firm_black, 'routine_supervision');
-- Civil-service recruitment: a measure for individuals only.
SELECT * FROM credit.measures_for(:firm_black, 'civil_service_recruitment');
SELECT * FROM credit.measures_for(:person_debtor, 'civil_service_recruitment');
-- Grade range edges: fiscal support is restricted from C to D; C is in, B is not.
SELECT * FROM credit.measures_for(:firm_c);
SELECT * FROM credit.measures_for(:firm_b);

-- The credit check of an approval system.
SELECT j ->> 'decision' AS decision, j -> 'decided_by' AS decided_by,
       jsonb_path_query_array(j, '$.incentives[*].measure') AS incentives,
       jsonb_path_query_array(j, '$.incentives[*].product') AS products,
       j -> 'punishments' AS punishments, j -> 'lists' AS lists
  FROM credit.check(:firm_a, 'administrative_licensing') j;
SELECT (j -> 'subject') - 'id' AS subject, (j -> 'subject' ->> 'id')::bigint = :firm_a AS same_id,
       j -> 'scenario' AS scenario, j -> 'grades' -> 0 ->> 'grade' AS grade,
       (j -> 'grades' -> 0 ->> 'as_of')::date = current_date AS graded_today,
       j ->> 'checked_on' = current_date::text AS checked_today
  FROM credit.check(:firm_a, 'administrative_licensing') j;
SELECT sc.code, j ->> 'decision' AS decision, j -> 'decided_by' AS decided_by
  FROM credit.scenario sc, credit.check(:firm_black, sc.code) j ORDER BY sc.code;
SELECT credit.check(:firm_black, 'fiscal_funding') -> 'lists' AS lists,
       credit.check(:firm_black, 'fiscal_funding') -> 'punishments' AS punishments;
SELECT credit.check(:firm_c, 'fiscal_funding') ->> 'decision' AS firm_c_fiscal,
       credit.check(:firm_b, 'fiscal_funding') ->> 'decision' AS firm_b_fiscal,
       credit.check(:firm_c, 'government_procurement') ->> 'decision' AS firm_c_procurement;
-- An individual: the ID number is masked, and the look-up is logged.
SELECT count(*) AS log_before FROM credit.query_log \gset
SELECT jsonb_pretty((credit.check(:person_debtor, 'civil_service_recruitment')
                     #- '{subject,id}' #- '{grades,0,as_of}') - 'checked_on') AS check_person;
SELECT credit.check(:person_aplus, 'administrative_licensing') ->> 'decision' AS person_aplus;
SELECT credit.check(:firm_a, 'government_procurement') ->> 'decision' AS firm_a;
SELECT who = session_user AS by_me, subject_id = :person_debtor AS debtor, subject_id = :person_aplus AS aplus,
       purpose, detail
  FROM credit.query_log ORDER BY id OFFSET :log_before;
SELECT p.proname, p.provolatile, p.prosecdef FROM pg_proc p
 WHERE p.oid IN ('credit.check(bigint, text)'::regprocedure, 'credit.measures_for(bigint, text)'::regprocedure,
                 'credit.record_application(bigint, text, text, text, text)'::regprocedure)
 ORDER BY 1;

-- No grade yet (evaluation switched off while registering): grade measures do
-- not apply; list measures still do.
SET LOCAL credit.auto_evaluation = off;
-- (the list entry below is not folded into a grade either)
INSERT INTO credit.subject (kind, name, uscc) VALUES ('enterprise', '江阴新设贸易有限公司', '91320281MA1ME00568')
    RETURNING id AS firm_new \gset
SELECT count(*) AS grades FROM credit.subject_grade WHERE subject_id = :firm_new;
SELECT * FROM credit.measures_for(:firm_new);
SELECT credit.check(:firm_new, 'government_procurement') - 'checked_on' - 'subject' AS check_new;
INSERT INTO credit.list_entry (list_code, name, subject_id, listed_on) VALUES
    ('serious_dishonesty', '江阴新设贸易有限公司', :firm_new, date '2026-01-05');
SELECT count(*) AS grades FROM credit.subject_grade WHERE subject_id = :firm_new;
SELECT * FROM credit.measures_for(:firm_new);
RESET credit.auto_evaluation;
-- an entry removed, expired or not yet reached stops counting
UPDATE credit.list_entry SET removed_on = date '2026-02-01' WHERE subject_id = :firm_new;
SELECT * FROM credit.measures_for(:firm_new, 'government_procurement');

-- Measures are data: a change is seen by the next call.
INSERT INTO credit.measure (code, name, kind, effect, scenario, subject_kinds, model, best_grade, worst_grade)
VALUES ('ms_b_to_c_review', 'Measures test: closer review of B and C', 'punishment', 'restriction',
        'qualification_rating', '{enterprise}', 'comprehensive_enterprise', 'B', 'C');
SELECT * FROM credit.measures_for(:firm_b, 'qualification_rating');
SELECT * FROM credit.measures_for(:firm_c, 'qualification_rating');
UPDATE credit.measure SET best_grade = 'C' WHERE code = 'ms_b_to_c_review';
SELECT * FROM credit.measures_for(:firm_b, 'qualification_rating');
UPDATE credit.measure SET best_grade = NULL WHERE code = 'ms_b_to_c_review';
SELECT measure_code, reason FROM credit.measures_for(:firm_b, 'qualification_rating');
UPDATE credit.measure SET best_grade = NULL, worst_grade = NULL WHERE code = 'ms_b_to_c_review';
SELECT measure_code, reason FROM credit.measures_for(:firm_b, 'qualification_rating');
-- grade AND list: both must hold
UPDATE credit.measure SET list_codes = '{abnormal_operation}' WHERE code = 'ms_b_to_c_review';
SELECT * FROM credit.measures_for(:firm_b, 'qualification_rating');
INSERT INTO credit.list_entry (list_code, name, subject_id, listed_on) VALUES
    ('abnormal_operation', '江阴普通纺织有限公司', :firm_b, date '2026-01-10');
SELECT * FROM credit.measures_for(:firm_b, 'qualification_rating');
DELETE FROM credit.measure WHERE code = 'ms_b_to_c_review';
SELECT * FROM credit.measures_for(:firm_b, 'qualification_rating');

-- Bad inputs.
SELECT pg_temp.try('SELECT * FROM credit.measures_for(-1)') AS unknown_subject;
SELECT pg_temp.try(format('SELECT * FROM credit.measures_for(%s, %L)', :firm_a, 'lottery')) AS unknown_scenario;
SELECT count(*) AS null_subject FROM credit.measures_for(NULL);
SELECT pg_temp.try(format('SELECT credit.check(%s, NULL)', :firm_a)) AS check_without_scenario;
SELECT pg_temp.try(format('SELECT credit.check(%s, %L)', :firm_a, 'lottery')) AS check_unknown_scenario;
SELECT pg_temp.try('SELECT credit.check(-1, ''fiscal_funding'')') AS check_unknown_subject;
SELECT pg_temp.try($q$INSERT INTO credit.measure (code, name, kind, effect, model, best_grade)
                      VALUES ('ms_bad', 'x', 'incentive', 'priority', 'comprehensive_enterprise', 'A+')$q$) AS grade_not_of_model;
SELECT pg_temp.try($q$INSERT INTO credit.measure (code, name, kind, effect, model, best_grade, worst_grade)
                      VALUES ('ms_bad', 'x', 'incentive', 'priority', 'comprehensive_enterprise', 'C', 'A')$q$) AS reversed_range;
SELECT pg_temp.try($q$INSERT INTO credit.measure (code, name, kind, effect, scenario, model)
                      VALUES ('ms_bad', 'x', 'incentive', 'priority', 'lottery', 'comprehensive_enterprise')$q$) AS unknown_scenario;
SELECT pg_temp.try($q$INSERT INTO credit.measure (code, name, kind, effect, list_codes)
                      VALUES ('ms_bad', 'x', 'punishment', 'bar', '{serious_dishonesty,no_such_list}')$q$) AS unknown_list;
SELECT pg_temp.try($q$INSERT INTO credit.measure (code, name, kind, effect, list_codes)
                      VALUES ('ms_bad', 'x', 'punishment', 'priority', '{serious_dishonesty}')$q$) AS effect_of_other_kind;
SELECT pg_temp.try($q$INSERT INTO credit.measure (code, name, kind, effect)
                      VALUES ('ms_bad', 'x', 'punishment', 'bar')$q$) AS no_condition;
SELECT pg_temp.try($q$INSERT INTO credit.measure (code, name, kind, effect, best_grade, list_codes)
                      VALUES ('ms_bad', 'x', 'punishment', 'bar', 'D', '{serious_dishonesty}')$q$) AS grade_without_model;
SELECT pg_temp.try($q$INSERT INTO credit.measure (code, name, kind, effect, list_codes, product)
                      VALUES ('ms_bad', 'x', 'punishment', 'bar', '{serious_dishonesty}', '信易贷')$q$) AS product_of_punishment;
SELECT pg_temp.try($q$INSERT INTO credit.measure (code, name, kind, effect, subject_kinds, list_codes)
                      VALUES ('ms_bad', 'x', 'punishment', 'bar', '{}', '{serious_dishonesty}')$q$) AS no_subject_kind;
SELECT pg_temp.try('DELETE FROM credit.list WHERE code = ''dishonest_debtor''') AS delete_used_list;
-- a renamed list is renamed in the measures (and the entries follow it)
UPDATE credit.list SET code = 'court_dishonest_debtor' WHERE code = 'dishonest_debtor';
SELECT code, list_codes FROM credit.measure WHERE 'court_dishonest_debtor' = ANY (list_codes) ORDER BY code LIMIT 3;
SELECT * FROM credit.measures_for(:person_debtor, 'civil_service_recruitment');
UPDATE credit.list SET code = 'dishonest_debtor' WHERE code = 'court_dishonest_debtor';
SELECT pg_temp.try('DELETE FROM credit.model_grade WHERE model = ''comprehensive_enterprise'' AND grade = ''A''') AS delete_used_grade;
-- a renamed grade is renamed in the measures
UPDATE credit.model_grade SET grade = 'A1' WHERE model = 'comprehensive_enterprise' AND grade = 'A';
SELECT code, best_grade, worst_grade FROM credit.measure WHERE code = 'ent_a_priority';
UPDATE credit.model_grade SET grade = 'A' WHERE model = 'comprehensive_enterprise' AND grade = 'A1';

-- Several lists and entries: each list once, with its first day listed among
-- active entries, in the measure's order of lists.
INSERT INTO credit.list_entry (list_code, name, subject_id, listed_on, removed_on) VALUES
    ('serious_dishonesty', '孙失信', :person_debtor, date '2025-09-01', NULL),
    ('serious_dishonesty', '孙失信', :person_debtor, date '2025-08-01', NULL),
    ('serious_dishonesty', '孙失信', :person_debtor, date '2024-01-01', date '2024-06-01');
SELECT * FROM credit.measures_for(:person_debtor, 'government_procurement');

-- Roles: a unit records and reads its own feedback; analysts read all; the public reads the measures only.
CREATE ROLE regress_credit_dept_ms_market NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_credit_dept_ms_finance NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_credit_ms_clerk LOGIN IN ROLE regress_credit_dept_ms_market;
CREATE ROLE regress_credit_ms_fclerk LOGIN IN ROLE regress_credit_dept_ms_finance;
CREATE ROLE regress_credit_ms_analyst LOGIN IN ROLE credit_analyst;
CREATE ROLE regress_credit_ms_web LOGIN IN ROLE credit_public;
UPDATE credit.department SET role = 'regress_credit_dept_ms_market' WHERE code = 'ms_market';
INSERT INTO credit.department (code, name, role) VALUES
    ('ms_finance', 'Measures test: finance bureau', 'regress_credit_dept_ms_finance');

SET SESSION AUTHORIZATION regress_credit_ms_clerk;
SELECT measure_code FROM credit.measures_for(:firm_black, 'government_procurement');
SELECT credit.check(:person_debtor, 'government_procurement') -> 'subject' ->> 'person_id' AS masked;
SELECT credit.record_application(:firm_black, 'black_procurement_bar', 'ms_market', 'applied',
                                 'bid rejected') > 0 AS recorded;
SELECT credit.record_application(:firm_a, 'ent_a_deposit_waiver', 'ms_market', 'applied', NULL) > 0 AS recorded;
SELECT credit.record_application(:firm_b, 'ent_a_deposit_waiver', 'ms_market', 'not_applicable', 'grade B') > 0 AS recorded;
SELECT pg_temp.try(format($q$SELECT credit.record_application(%s, 'black_fiscal_bar', 'ms_finance', 'applied', NULL)$q$,
                          :firm_black)) AS for_other_unit;
SELECT pg_temp.try(format($q$SELECT credit.record_application(%s, 'no_such_measure', 'ms_market', 'applied', NULL)$q$,
                          :firm_black)) AS unknown_measure;
SELECT pg_temp.try(format($q$SELECT credit.record_application(%s, 'black_fiscal_bar', 'ms_market', 'maybe', NULL)$q$,
                          :firm_black)) AS bad_outcome;
SELECT pg_temp.try($q$SELECT credit.record_application(-1, 'black_fiscal_bar', 'ms_market', 'applied', NULL)$q$) AS unknown_subject;
SELECT pg_temp.try('SELECT * FROM credit.query_log') AS read_query_log;
SELECT pg_temp.try($q$UPDATE credit.measure SET effect = 'restriction' WHERE code = 'black_procurement_bar'$q$) AS change_measure;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_credit_ms_fclerk;
SELECT credit.record_application(:firm_black, 'black_fiscal_bar', 'ms_finance', 'applied', 'grant refused') > 0 AS recorded;
SELECT measure_code, department, outcome, note, matched FROM credit.measure_application ORDER BY id;
SELECT measure_code, applications, applied, not_applicable, unmatched, departments
  FROM credit.v_measure_feedback WHERE applications > 0 ORDER BY measure_code;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_credit_ms_clerk;
SELECT measure_code, department, outcome, note, matched FROM credit.measure_application ORDER BY id;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_credit_ms_analyst;
SELECT measure_code, department, outcome, matched FROM credit.measure_application ORDER BY id;
SELECT measure_code, applications, applied, not_applied, not_applicable, unmatched, subjects, departments,
       last_application IS NOT NULL AS has_last
  FROM credit.v_measure_feedback WHERE applications > 0 ORDER BY measure_code;
SELECT count(*) AS measures FROM credit.measures_for(:firm_black);
SELECT pg_temp.try(format($q$SELECT credit.record_application(%s, 'black_fiscal_bar', 'ms_market', 'applied', NULL)$q$,
                          :firm_black)) AS analyst_records;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_credit_ms_web;
SELECT count(*) > 0 AS reads_measures FROM credit.measure;
SELECT count(*) AS reads_scenarios FROM credit.scenario;
SELECT pg_temp.try(format('SELECT * FROM credit.measures_for(%s)', :firm_a)) AS measures_for;
SELECT pg_temp.try(format('SELECT credit.check(%s, %L)', :firm_a, 'fiscal_funding')) AS check;
SELECT pg_temp.try(format($q$SELECT credit.record_application(%s, 'black_fiscal_bar', 'ms_market', 'applied', NULL)$q$,
                          :firm_black)) AS record_application;
SELECT pg_temp.try('SELECT * FROM credit.measure_application') AS read_applications;
SELECT pg_temp.try('SELECT * FROM credit.v_measure_feedback') AS read_feedback;
RESET SESSION AUTHORIZATION;
-- measures_for checks the caller's right to read the subject, its grades and
-- lists as a query would, even when it may call the function
GRANT EXECUTE ON FUNCTION credit.measures_for(bigint, text) TO regress_credit_ms_web;
SET SESSION AUTHORIZATION regress_credit_ms_web;
SELECT pg_temp.try(format('SELECT * FROM credit.measures_for(%s)', :firm_a)) AS without_select;
RESET SESSION AUTHORIZATION;
GRANT SELECT (id, kind) ON credit.subject TO regress_credit_ms_web;
SET SESSION AUTHORIZATION regress_credit_ms_web;
SELECT pg_temp.try(format('SELECT * FROM credit.measures_for(%s)', :firm_a)) AS without_grades;
RESET SESSION AUTHORIZATION;

-- A list collected as records (a unit's feed of its list, without list
-- entries): the record both vetoes the grade and puts the subject on the list.
INSERT INTO credit.subject (kind, name, uscc) VALUES ('enterprise', '江阴失信物流有限公司', '91320281MA1ME0072X')
    RETURNING id AS firm_fed \gset
INSERT INTO credit.record (subject_id, item_code, department, decided_on)
    VALUES (:firm_fed, 'list_serious_dishonesty', 'ms_market', current_date - 40);
SELECT grade FROM credit.subject_grade WHERE subject_id = :firm_fed AND model = 'comprehensive_enterprise';
SELECT measure_code, kind, reason = 'on list serious_dishonesty since ' || to_char(current_date - 40, 'YYYY-MM-DD') AS listed_since_record
  FROM credit.measures_for(:firm_fed, 'government_procurement');
SELECT j ->> 'decision' AS decision, j -> 'decided_by' AS decided_by,
       jsonb_path_query_array(j, '$.lists[*].list') AS lists,
       jsonb_path_query_array(j, '$.lists[*].department') AS reported_by
  FROM credit.check(:firm_fed, 'government_procurement') j;
-- the entries' own records are not listed twice
SELECT jsonb_array_length(credit.check(:firm_black, 'government_procurement') -> 'lists') AS firm_black_lists;
-- the record revoked, the subject is off the list (and back at grade B)
UPDATE credit.record SET status = 'revoked' WHERE subject_id = :firm_fed;
SELECT grade FROM credit.subject_grade WHERE subject_id = :firm_fed AND model = 'comprehensive_enterprise';
SELECT count(*) AS measures FROM credit.measures_for(:firm_fed, 'government_procurement');

-- Where row-level security applies to a table measures_for reads, it reads
-- through a query, so the policies apply (here: a unit that may not see the
-- serious dishonesty list: neither its entries nor the records they made).
ALTER TABLE credit.list_entry ENABLE ROW LEVEL SECURITY;
CREATE POLICY ms_all ON credit.list_entry TO PUBLIC USING (true);
CREATE POLICY ms_hide ON credit.list_entry AS RESTRICTIVE FOR SELECT TO regress_credit_dept_ms_market
    USING (list_code <> 'serious_dishonesty');
CREATE POLICY ms_hide_records ON credit.record AS RESTRICTIVE FOR SELECT TO regress_credit_dept_ms_market
    USING (item_code <> 'list_serious_dishonesty');
SET SESSION AUTHORIZATION regress_credit_ms_clerk;
SELECT * FROM credit.measures_for(:firm_black, 'routine_supervision');
SELECT * FROM credit.measures_for(:person_debtor, 'civil_service_recruitment');
-- and the unit's check reads the listings as measures_for does
SELECT j -> 'lists' AS lists, j -> 'decided_by' AS decided_by
  FROM credit.check(:firm_black, 'routine_supervision') j;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_credit_ms_fclerk;
SELECT measure_code FROM credit.measures_for(:firm_black, 'routine_supervision');
RESET SESSION AUTHORIZATION;

ROLLBACK;
