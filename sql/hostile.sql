-- Hostile values: long or nested names stay linear and can be cancelled,
-- numbers stay finite, Ed25519 is strict, the working-day calendar and the
-- evaluation states stay in range, and errors are worded alike.
SET datestyle = 'ISO, YMD';
-- the outcome of a statement: ok, or the SQLSTATE and the message (for a
-- constraint, its name: the table may be a partition)
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    c text;
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN others THEN
    GET STACKED DIAGNOSTICS c = CONSTRAINT_NAME;
    RETURN SQLSTATE || ': ' || CASE WHEN c <> '' THEN 'violates ' || c ELSE SQLERRM END;
END
$$;

-- Names: nested brackets are removed in one linear pass (1 MB in well
-- under the 20 s a quadratic pass would need for a tenth of it).
SELECT clock_timestamp() AS t0 \gset
SELECT length(credit.normalize_name(repeat('(', 500000) || repeat(')', 500000))) AS empty_nest,
       credit.normalize_name(repeat('(', 200000) || '集团' || repeat(')', 200000)) AS group_nest,
       length(credit.normalize_name(repeat('有限责任', 100000) || '公司')) AS long_forms,
       credit.normalize_name(repeat('责任', 3) || '有限责任公司') AS inverted;
SELECT clock_timestamp() - :'t0'::timestamptz < interval '20 s' AS linear;
-- a form that NFKC expands past 16 M characters is refused as soon as it gets there
SELECT pg_temp.try('SELECT credit.normalize_name(repeat(U&''\FDFA'', 1000000) || ''國'')') AS expands_too_far,
       length(credit.normalize_name(repeat(U&'\FDFA', 1000))) AS expands;
-- steps of the transliterator give the same key as one call
SELECT credit.normalize_name(repeat('國際', 3000) || '有限責任公司') = repeat('国际', 3000) || '有限公司' AS long_t2s;
-- a long call is cancelled by statement_timeout at once (57014)
\set VERBOSITY sqlstate
SELECT clock_timestamp() AS t0 \gset
SET statement_timeout = '200ms';
SELECT length(credit.normalize_name(repeat('國', 5000000)));
RESET statement_timeout;
\set VERBOSITY default
SELECT clock_timestamp() - :'t0'::timestamptz < interval '10 s' AS cancelled_promptly;
-- a name too long for the name index is refused by its length check first
SELECT pg_temp.try('INSERT INTO credit.subject (kind, name) VALUES (''enterprise'', repeat(''长'', 501))') AS subject_name,
       pg_temp.try('INSERT INTO credit.list_entry (list_code, name, listed_on) VALUES (''serious_dishonesty'', repeat(''长'', 501), ''2026-01-01'')') AS entry_name;

-- The rest works in a transaction rolled back at the end: other tests see none of it.
BEGIN;

-- Numbers: NaN, infinities and values past the ranges are refused, naming the constraint.
INSERT INTO credit.department (code, name) VALUES ('hv_dept', 'Hostile values unit');
INSERT INTO credit.model (code, name, subject_kinds, base, lo, hi)
    VALUES ('hv_model', 'Hostile values', '{enterprise}', 100, 0, 150);
INSERT INTO credit.model_grade (model, grade, min_score, rank) VALUES ('hv_model', 'A', 90, 1), ('hv_model', 'D', 0, 2);
INSERT INTO credit.model_rule (model, item_code, dimension, points, half_life_days, veto_grade)
    VALUES ('hv_model', 'penalty_serious', 'law', -10, 1, 'D');
SELECT v AS value, pg_temp.try(format('INSERT INTO credit.model (code, name, base) VALUES (''hv_bad'', ''x'', %L)', v)) AS base,
       pg_temp.try(format('UPDATE credit.model SET hi = %L WHERE code = ''hv_model''', v)) AS hi,
       pg_temp.try(format('UPDATE credit.model_grade SET min_score = %L WHERE model = ''hv_model'' AND grade = ''D''', v)) AS min_score
  FROM unnest(ARRAY['NaN', 'Infinity', '-Infinity', '1e400', '-1e13']) v;
SELECT v AS value,
       pg_temp.try(format('UPDATE credit.model_rule SET points = %L WHERE model = ''hv_model''', v)) AS points,
       pg_temp.try(format('UPDATE credit.model_rule SET half_life_days = %L WHERE model = ''hv_model''', v)) AS half_life,
       pg_temp.try(format('UPDATE credit.model_rule SET cap = %L WHERE model = ''hv_model''', v)) AS cap
  FROM unnest(ARRAY['NaN', 'Infinity', '1e400', '1e-400', '0']) v;
SELECT v AS value,
       pg_temp.try(format('INSERT INTO credit.model_dimension (model, dimension, weight) VALUES (''hv_model'', ''law'', %L)', v)) AS weight,
       pg_temp.try(format('INSERT INTO credit.model_dimension (model, dimension, lo) VALUES (''hv_model'', ''law'', %L)', v)) AS lo,
       pg_temp.try(format('UPDATE credit.tier SET inspection_ratio = %L WHERE tier = ''D''', v)) AS tier_ratio
  FROM unnest(ARRAY['NaN', 'Infinity', '-Infinity', '1e400']) v;
INSERT INTO credit.subject (kind, name) VALUES ('enterprise', 'Hostile values subject') RETURNING id AS hv_subject \gset
SELECT v AS value,
       pg_temp.try(format('INSERT INTO credit.record (subject_id, item_code, department, decided_on, value) VALUES (%s, ''license'', ''hv_dept'', ''2026-01-05'', %L)', :hv_subject, v)) AS record_value
  FROM unnest(ARRAY['NaN', 'Infinity', '-Infinity', '1e16']) v;
SELECT pg_temp.try(format('INSERT INTO credit.record (subject_id, item_code, department, decided_on, amount) VALUES (%s, ''license'', ''hv_dept'', ''2026-01-05'', ''NaN'')', :hv_subject)) AS amount_nan,
       pg_temp.try(format('INSERT INTO credit.record (subject_id, item_code, department, decided_on) VALUES (%s, ''license'', ''hv_dept'', ''-infinity'')', :hv_subject)) AS decided_minus_infinity;
-- extreme finite values evaluate to finite scores and valid JSON
INSERT INTO credit.model (code, name, subject_kinds, base) VALUES ('hv_extreme', 'Extreme', '{enterprise}', 1e12);
INSERT INTO credit.model_dimension (model, dimension, weight) VALUES ('hv_extreme', 'edge', 1e6);
INSERT INTO credit.model_rule (model, item_code, dimension, points, per_value, half_life_days)
    VALUES ('hv_extreme', 'license', 'edge', 1e12, true, 0.01);
INSERT INTO credit.record (subject_id, item_code, department, decided_on, value)
    VALUES (:hv_subject, 'license', 'hv_dept', '2026-01-05', 1e15), (:hv_subject, 'license', 'hv_dept', '2025-01-05', -1e15);
SELECT e.score, e.dimensions, (e.dimensions::text)::jsonb = e.dimensions AS valid_json
  FROM credit.evaluate_subject(:hv_subject, 'hv_extreme', '2026-01-05') e;
DELETE FROM credit.model WHERE code = 'hv_extreme';

-- Ed25519: the points of small order (and their negatives, sign bit set) are refused as keys.
SELECT k AS key, pg_temp.try(format('SELECT credit.ed25519_public_key(%L)', k)) AS refused
  FROM unnest(ARRAY['0100000000000000000000000000000000000000000000000000000000000000',
                    '0000000000000000000000000000000000000000000000000000000000000080',
                    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
                    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
                    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
                    'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
                    'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
                    '0200000000000000000000000000000000000000000000000000000000000000']) k;
-- under the identity, R = identity and S = 0 would verify every message: not any more
SELECT credit.ed25519_verify('0100000000000000000000000000000000000000000000000000000000000000',
                             convert_to(m, 'UTF8'), decode('01' || repeat('00', 63), 'hex')) AS forged
  FROM unnest(ARRAY['report 1', 'report 2']) m;
-- RFC 8032's first key: a real signature verifies, the same with S + L (malleated) or a small-order R does not
SELECT credit.ed25519_verify('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'credit report',
                             '\x2d3ac213b254107fbfc6af63b2ff012702649dd3f779526275ee01f6b27c8b7bc21e4f2b4e2083fd98833bbe41ba29563e9410cb2d20a64a3f489676fbcd9e0d') AS genuine,
       credit.ed25519_verify('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'credit report',
                             '\x2d3ac213b254107fbfc6af63b2ff012702649dd3f779526275ee01f6b27c8b7baff24488688395556f20336120b4086b3e9410cb2d20a64a3f489676fbcd9e1d') AS s_plus_l,
       credit.ed25519_verify('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'credit report',
                             '\x0100000000000000000000000000000000000000000000000000000000000000c21e4f2b4e2083fd98833bbe41ba29563e9410cb2d20a64a3f489676fbcd9e0d') AS small_order_r;
-- an agency with a small-order key is refused
SELECT pg_temp.try('INSERT INTO credit.agency (code, name, public_key)
    VALUES (''hv_agency'', ''Forging agency'', ''0100000000000000000000000000000000000000000000000000000000000000'')') AS agency;

-- Working days: infinity has none; any n is counted by weeks.
SELECT pg_temp.try('SELECT credit.is_working_day(''infinity'')') AS is_infinity,
       pg_temp.try('SELECT credit.add_working_days(''infinity'', 1)') AS add_infinity,
       pg_temp.try('SELECT credit.add_working_days(''-infinity'', 0)') AS add_minus_infinity,
       pg_temp.try('SELECT credit.add_working_days(''2026-11-27'', 2147483647)') AS past_the_last_date;
SELECT credit.add_working_days('2026-11-27', 1000000000) AS billion, credit.add_working_days('2026-09-25', 10) AS over_national_day,
       credit.is_working_day('1999-01-02') AS saturday_1999, credit.is_working_day('100000-01-03') AS far_monday;

-- Evaluation states: crafted states are refused, merging never wraps, re-anchoring stays finite.
CREATE FUNCTION pg_temp.state(count int, sum float8, anchor int DEFAULT 9497, entries int DEFAULT 1) RETURNS bytea
LANGUAGE sql AS $$
    SELECT overlay(overlay(credit.evalstate_empty('hv_model', '2026-01-01') PLACING int4send(anchor) FROM 9 FOR 4)
                   PLACING int2send(entries::int2) FROM 13 FOR 2)
           || CASE WHEN entries > 0 THEN '\x0000'::bytea || int4send(count) || float8send(sum) ELSE '' END
           || CASE WHEN entries > 1 THEN '\x0000'::bytea || int4send(count) || float8send(sum) ELSE '' END
$$;
SELECT credit.evalstate_anchor(pg_temp.state(1, 1)) AS anchor, (credit.evalstate_result('hv_model', pg_temp.state(1, 1), '2026-01-01')).grade;
SELECT pg_temp.try(format('SELECT credit.evalstate_anchor(%L)', pg_temp.state(1, 1, 2147483647))) AS anchor_far,
       pg_temp.try(format('SELECT credit.evalstate_anchor(%L)', pg_temp.state(1, 1, -2147483648))) AS anchor_minus_infinity,
       pg_temp.try(format('SELECT credit.evalstate_score(''hv_model'', %L, ''2026-01-01'')', pg_temp.state(1, 'NaN'))) AS sum_nan,
       pg_temp.try(format('SELECT credit.evalstate_score(''hv_model'', %L, ''2026-01-01'')', pg_temp.state(-1, 1))) AS count_negative,
       pg_temp.try(format('SELECT credit.evalstate_score(''hv_model'', %L, ''2026-01-01'')', pg_temp.state(1, 1, entries => 2))) AS entries_past_items;
-- a count at the largest int4 keeps its veto, and adding one more is an error, not a wrap to negative
SELECT (credit.evalstate_result('hv_model', pg_temp.state(2147483647, 0), '2026-01-01')).grade AS vetoed,
       pg_temp.try(format('SELECT credit.evalstate_merge(''hv_model'', %L, %L, 1)', pg_temp.state(2147483647, 0), pg_temp.state(1, 0))) AS merge_overflow,
       pg_temp.try(format('SELECT credit.evalstate_merge(''hv_model'', %L, %L, -1)', pg_temp.state(1, 1), pg_temp.state(2, 1))) AS merge_below_zero,
       pg_temp.try(format('SELECT credit.evalstate_merge(''hv_model'', %L, %L, 1)', pg_temp.state(1, 1e308), pg_temp.state(1, 1e308))) AS sum_overflow;
-- re-anchoring 3000 half-lives back would multiply by 2^3000
SELECT pg_temp.try(format('SELECT credit.evalstate_reanchor(''hv_model'', %L, ''2017-10-15'')', pg_temp.state(1, 1))) AS far_back,
       credit.evalstate_anchor(credit.evalstate_reanchor('hv_model', pg_temp.state(1, 1), '2025-12-01')) AS near_back,
       pg_temp.try(format('SELECT credit.evalstate_reanchor(''hv_model'', %L, ''infinity'')', pg_temp.state(1, 1))) AS to_infinity,
       pg_temp.try('SELECT credit.evalstate_score(''hv_model'', NULL, ''-infinity'')') AS as_of_minus_infinity;

-- Errors: one wording for a missing or NULL subject, and clear refusals.
SET credit.report_signing_key = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
SELECT f, pg_temp.try(format(q, 'NULL')) AS null_subject, pg_temp.try(format(q, '-1')) AS missing_subject
  FROM (VALUES ('profile', 'SELECT credit.profile(%s)'),
               ('report', 'SELECT credit.report(%s, ''review'')'),
               ('supervision_tier', 'SELECT credit.supervision_tier(%s)'),
               ('check', 'SELECT credit.check(%s::bigint, ''government_procurement'')'),
               ('measures_for', 'SELECT * FROM credit.measures_for(%s::bigint)'),
               ('evaluate_subject', 'SELECT * FROM credit.evaluate_subject(%s, ''hv_model'')')) v (f, q);
SELECT pg_temp.try(format('SELECT credit.raise_warning(%s, ''no_such_kind'')', :hv_subject)) AS unknown_kind,
       pg_temp.try('SELECT credit.log_lookup(NULL, ''curiosity'')') AS anonymous_lookup,
       pg_temp.try('SELECT * FROM credit.match_summary(''pg_class'', NULL)') AS no_column,
       pg_temp.try('SELECT credit.run_evaluation(''hv_model'', ''-infinity'')') AS minus_infinity;
SELECT pg_temp.try(format('SELECT credit.raise_warning(%s, ''grade_drop'', ''{}'', repeat(''x'', 10000000))', :hv_subject)) AS long_topic;
-- a long invalid input is quoted cut, as PostgreSQL's own row details are
SELECT pg_temp.try('SELECT repeat(''9'', 10000000)::credit.uscc') AS long_uscc,
       pg_temp.try('SELECT repeat(''1'', 10000000)::credit.resident_id') AS long_resident_id,
       pg_temp.try('SELECT credit.ed25519_key_id(repeat(''k'', 10000000))') AS long_key;
SELECT pg_temp.try('SELECT * FROM credit.evaluate_subject(1, repeat(''m'', 10000000))') AS long_model,
       pg_temp.try('SELECT * FROM credit.draw_inspection(repeat(''i'', 10000000), 1, 1)') AS long_industry,
       pg_temp.try(format('SELECT credit.supervision_tier(%s, repeat(''i'', 10000000))', :hv_subject)) AS long_tier_industry;
ROLLBACK;
