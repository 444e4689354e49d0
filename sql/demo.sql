-- The synthetic county of demo/generate.sql, at a tiny scale (about 230
-- subjects, 10,000 records), inside a transaction rolled back at the end.
BEGIN;
SET LOCAL credit.auto_evaluation = off;   -- the generator's own records only
SELECT nextval(pg_get_serial_sequence('credit.subject', 'id')) AS demo_first \gset
\set scale 0.01
\set density 50
\set ECHO none
\i demo/generate.sql
\set ECHO all
SELECT nextval(pg_get_serial_sequence('credit.subject', 'id')) AS demo_last \gset
CREATE TEMP VIEW tiny_subject AS SELECT * FROM credit.subject WHERE id > :demo_first AND id < :demo_last;
CREATE TEMP VIEW tiny_record AS
    SELECT r.*, c.category, c.polarity
      FROM credit.record r JOIN credit.catalog_item c ON c.code = r.item_code
     WHERE r.subject_id > :demo_first AND r.subject_id < :demo_last;

-- All five kinds, with the codes each kind carries.
SELECT kind, count(*), count(uscc) AS uscc, count(person_id) AS person_id,
       array_agg(DISTINCT credit.uscc_entity(uscc)) FILTER (WHERE uscc IS NOT NULL) AS uscc_types
  FROM tiny_subject GROUP BY kind ORDER BY kind;

-- Every code is valid by an independent check, and the derived division is right.
SELECT count(*) FILTER (WHERE credit.uscc_check(uscc::text) IS NOT NULL) AS bad_uscc,
       count(*) FILTER (WHERE credit.resident_id_check(person_id::text) IS NOT NULL) AS bad_id,
       count(*) FILTER (WHERE division <> coalesce(credit.division_code(uscc), credit.division_code(person_id))) AS bad_division,
       count(*) FILTER (WHERE credit.birth_date(person_id) NOT BETWEEN date '1945-01-01' AND date '2006-12-31') AS bad_birth,
       count(*) FILTER (WHERE division = '320281') AS jiangyin,
       count(*) FILTER (WHERE uscc::text ~ '^9[123]320281MA') AS issued_since_2015
  FROM tiny_subject;
-- Codes are unique; names of organisations too.
SELECT count(DISTINCT uscc) = count(uscc) AS uscc_unique,
       count(DISTINCT person_id) = count(person_id) AS person_id_unique,
       count(DISTINCT name) FILTER (WHERE kind <> 'individual') = count(*) FILTER (WHERE kind <> 'individual') AS org_names_unique
  FROM tiny_subject;
-- Both sexes, plausible names.
SELECT credit.sex(person_id) AS sex, count(*) > 20 AS many,
       bool_and(char_length(name) BETWEEN 2 AND 3) AS name_length_2_3
  FROM tiny_subject WHERE kind = 'individual' GROUP BY 1 ORDER BY 1;

-- Departments and towns: 46 units (47 with the platform) with their role names (roles not created).
SELECT count(*) AS units, count(*) FILTER (WHERE code LIKE 'town_%') AS towns,
       count(uscc) AS with_uscc,
       bool_and(role = 'credit_dept_' || code) AS role_named,
       count(*) FILTER (WHERE role IN (SELECT rolname FROM pg_roles)) AS roles_existing
  FROM credit.department WHERE role LIKE 'credit_dept_%';

-- Records: never in the future, within the last five years, over many items and units.
SELECT count(*) AS records,
       count(*) FILTER (WHERE decided_on > current_date) AS future,
       min(current_date - decided_on) >= 0 AND max(current_date - decided_on) < 1826 AS last_five_years,
       count(DISTINCT item_code) AS items,
       count(DISTINCT department) AS units,
       count(DISTINCT category) AS categories
  FROM tiny_record;

-- Skew: half the subjects clean, the riskiest tenth holds far more than its
-- share of negative records, a few repeat offenders.
WITH neg AS (
    SELECT s.id, count(r.id) AS n
      FROM tiny_subject s LEFT JOIN tiny_record r ON r.subject_id = s.id AND r.polarity = 'negative'
     WHERE s.kind <> 'government' GROUP BY s.id),
ranked AS (SELECT n, row_number() OVER (ORDER BY n DESC) AS rk, count(*) OVER () AS total FROM neg)
SELECT round(100.0 * count(*) FILTER (WHERE n = 0) / count(*)) AS pct_clean,
       round(100.0 * sum(n) FILTER (WHERE rk <= total / 10) / sum(n)) AS pct_held_by_top_tenth,
       round(max(n) / avg(n)) AS most_by_one_per_mean
  FROM ranked;

-- Double publicity: document numbers unique per unit, double-publicity details present.
SELECT category,
       count(*) AS records,
       count(DISTINCT document_no) = count(*) AS document_no_unique,
       bool_and(document_no ~ '^.+[罚许]〔20[0-9]{2}〕[0-9]+号$') AS document_no_form,
       bool_and(CASE category
                WHEN 'penalty' THEN details ?& ARRAY['violation_type', 'legal_basis', 'penalty_kind', 'content', 'facts']
                ELSE details ?& ARRAY['certificate_name', 'certificate_no', 'license_category', 'valid_from', 'valid_to']
                END) AS details_complete,
       bool_and(amount IS NOT NULL OR details ->> 'penalty_kind' IN ('warning', 'detention')
                OR category = 'license') AS fined
  FROM tiny_record WHERE category IN ('license', 'penalty') GROUP BY category ORDER BY category;
-- Warnings are never published; serious penalties for three years.
SELECT item_code, count(*) FILTER (WHERE publicity_until IS NOT NULL) AS with_publicity,
       bool_and(publicity_until IS NULL OR publicity_until = (decided_on + interval '3 years')::date) AS three_years
  FROM tiny_record WHERE item_code IN ('penalty_warning', 'penalty_serious') GROUP BY 1 ORDER BY 1;

-- Deterministic: the same subjects and records every run, whatever the date.
SELECT md5(string_agg(concat_ws('|', kind, name, uscc, person_id, division, industries, legal_rep,
                                registered_on, status), ';' ORDER BY uscc, person_id)) AS subjects
  FROM tiny_subject;
SELECT md5(string_agg(x, ';' ORDER BY x)) AS records
  FROM (SELECT concat_ws('|', coalesce(s.uscc::text, s.person_id::text), r.item_code, r.department,
                         current_date - r.decided_on, r.value, r.amount) AS x
          FROM tiny_record r JOIN tiny_subject s ON s.id = r.subject_id) t;

-- Calibrated grades: the comprehensive evaluation (industry models first, as
-- make demo runs them) grades the generated enterprises within tolerance of
-- Zhejiang's 2018 distribution (A 2.3 %, B 76.4 %, C 20.0 %, D 1.3 %).
SELECT count(credit.run_evaluation(code)) AS industry_models FROM credit.model WHERE scope <> 'comprehensive';
SELECT credit.run_evaluation('comprehensive_enterprise') AS demo_run \gset
SELECT t.grade, count(e.subject_id) AS enterprises,
       round(100.0 * count(e.subject_id) / sum(count(e.subject_id)) OVER (), 1) AS percent, t.percent AS target,
       abs(100.0 * count(e.subject_id) / sum(count(e.subject_id)) OVER () - t.percent) <= t.tolerance AS within_tolerance
  FROM (VALUES ('A', 2.3, 1.5), ('B', 76.4, 3), ('C', 20.0, 3), ('D', 1.3, 1.5)) AS t (grade, percent, tolerance)
  LEFT JOIN (credit.evaluation e JOIN tiny_subject s ON s.id = e.subject_id AND s.kind = 'enterprise')
    ON e.grade = t.grade AND e.run_id = :demo_run
 GROUP BY t.grade, t.percent, t.tolerance ORDER BY t.grade;

-- The generator leaves no helper behind.
SELECT (SELECT count(*) FROM pg_class WHERE relname LIKE 'demo\_%' AND relnamespace = pg_my_temp_schema()) AS tables,
       (SELECT count(*) FROM pg_proc WHERE proname LIKE 'demo\_%' AND pronamespace = pg_my_temp_schema()) AS functions;
ROLLBACK;
