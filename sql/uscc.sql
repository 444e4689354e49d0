-- credit.uscc: Unified Social Credit Code (统一社会信用代码, GB 32100-2015)
SET search_path = credit, public;
\i sql/include/try_cast.sql

-- Valid examples of GB 32100 (NULL reason = valid).
SELECT c, uscc_check(c) AS reason, c::uscc AS canonical
FROM unnest(ARRAY['91110000600037341L', '91110000101623741K', '121200004013590816',
                  '9144030071526726XG', '91310115MA1K3BTP2B', '914403001922038216',
                  '91320281142232229Q']) AS c;

-- Invalid examples of GB 32100: wrong check character, letters outside the alphabet.
SELECT uscc_check('91110000600037341N');
SELECT uscc_check('9111000060003IOZSV');
SELECT '91110000600037341N'::uscc;

-- Every error carries SQLSTATE 22P02 and a detail naming the problem.
SELECT c, pg_temp.try(c, 'uscc') AS result
FROM unnest(ARRAY[
    '9111000060003IOZSV',       -- I, O, Z, S, V are not in the alphabet
    '91110000600037341',        -- 17 characters
    '91110000600037341LL',      -- 19 characters
    '',                         -- empty
    '01110000600037341L',       -- position 1: 1-9, A, N or Y only
    'B1110000600037341L',
    '9I110000600037341L',       -- position 2: alphabet
    '911100A0600037341L',       -- positions 3-8: digits
    '91110000600037341O',       -- position 18: alphabet
    '91110000600037342L',       -- organisation-code check (pos-18 check also fails: reported first)
    '911100006000373Z1L',
    '91110000 600037341L',      -- white space only around the code
    '91110000#600037341L',
    '91110000中600037341L'      -- the character is shown as written
]) AS c;

-- Position-18 check: S mod 31 = 0 must give '0' (31 -> 0), the last symbol is 'Y'.
SELECT c, uscc_check(c) AS reason FROM unnest(ARRAY[
    '913202811422300390', '913202811422300391', '91320281142230151Y', '91320281142230151X']) AS c;
-- Embedded organisation code: 11 -> '0', 10 -> 'X', letters valued A=10 ... Z=35
-- (with the 31-symbol values MA1K3BTP would wrongly want '9').
SELECT c, uscc_check(c) AS reason, org_code(c::uscc) FROM unnest(ARRAY[
    '913202811422300203', '9132028114223008X3', '91310115MA1K3BTP2B']) AS c;
SELECT uscc_check('913202811422300213'), uscc_check('9132028114223008Y3'),
       uscc_check('91310115MA1K3BTP9B');
-- An organisation code that is wrong while position 18 fits the code as written.
SELECT uscc_check('913202811422300216');

-- Lenient input forms: white space, lower case, hyphens, full-width characters.
SELECT c, c::uscc AS canonical FROM unnest(ARRAY[
    '  91110000600037341l ',
    E'\t91110000600037341L\n',
    '91110000-60003734-1L',
    '9111-0000-6000-3734-1L',
    '９１１１００００６０００３７３４１Ｌ',
    '９１３１０１１５ｍａ１ｋ３ｂｔｐ２ｂ',
    '　９１１１００００－６０００３７３４１ｌ　',
    '91110000‐60003734—1L',
    E'\u00a091110000600037341L\u00a0']) AS c;

-- Fujian pilot codes: position-18 check fails, organisation code valid.
SELECT uscc_check('91350100M0001TGQXM');
SELECT pg_temp.try('91350100M0001TGQXM', 'uscc');
SET credit.uscc_lenient = on;
SELECT '91350100M0001TGQXM'::uscc;
SELECT uscc_check('91350100M0001TGQXM');    -- still reported
SELECT pg_temp.try('91350100M0001TGQXN', 'uscc');   -- any position 18 while the organisation code is valid
SELECT pg_temp.try('91350100M0001TGQ1M', 'uscc');   -- organisation code wrong: refused
SELECT pg_temp.try('913202811422300216', 'uscc');
RESET credit.uscc_lenient;
SHOW credit.uscc_lenient;

-- Accessors.
SELECT u, org_code(u), division_code(u), uscc_entity(u), uscc_entity_name(u)
FROM unnest(ARRAY['91320281142232229Q', '121200004013590816', '92320281MA1K3BTP24',
                  '93320281MA1K3BTP21', 'A1320281142232229P', 'N23202811422322298',
                  'Y23202811422322290']::uscc[]) AS u;
-- The entity type table is data: a new assignment is one row.
BEGIN;
INSERT INTO uscc_entity_type (authority, entity_type, authority_name, name)
    VALUES ('Y', '2', 'other authorities (其他)', 'test entity type');
SELECT uscc_entity_name('Y23202811422322290');
ROLLBACK;
SELECT count(*) AS seeded_rows FROM uscc_entity_type WHERE seeded;

-- Casts and operators.
SELECT '91320281142232229Q'::text::uscc, '91320281142232229Q'::uscc::text;
CREATE TEMP TABLE uscc_as_text (t text);
INSERT INTO uscc_as_text VALUES ('91320281142232229q'::uscc);   -- assignment cast to text
SELECT t FROM uscc_as_text;
SELECT a, b, a = b AS eq, a <> b AS ne, a < b AS lt, a <= b AS le, a > b AS gt, a >= b AS ge,
       uscc_cmp(a, b) AS cmp
FROM (VALUES ('91110000600037341L'::uscc, '91110000101623741K'::uscc),
             ('121200004013590816', '91110000101623741K'),
             ('91110000600037341L', '91110000600037341l')) AS v(a, b);
SELECT uscc_hash('91110000600037341L') = uscc_hash(' 91110000-600037341l'),
       uscc_hash_extended('91110000600037341L', 0) = uscc_hash_extended('91110000600037341L', 1);
SELECT p.proname, p.provolatile, p.proisstrict, p.proparallel
FROM pg_proc p WHERE p.proname IN ('uscc_in', 'uscc_out', 'uscc_recv', 'uscc_send', 'uscc_check',
                                   'uscc_entity_name') ORDER BY 1;

-- Independent re-implementation of both checks (PL/pgSQL), compared with the
-- C type on deterministic pseudo-random codes.
CREATE FUNCTION pg_temp.h(i int, k int) RETURNS int LANGUAGE sql IMMUTABLE
    RETURN ('x' || substr(md5(i || ':' || k), 1, 8))::bit(32)::int & 2147483647;
CREATE FUNCTION pg_temp.ref_check18(c17 text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    alpha constant text := '0123456789ABCDEFGHJKLMNPQRTUWXY';
    w constant int[] := ARRAY[1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    s int := 0;
BEGIN
    FOR i IN 1..17 LOOP
        s := s + (strpos(alpha, substr(c17, i, 1)) - 1) * w[i];
    END LOOP;
    RETURN substr(alpha, (31 - s % 31) % 31 + 1, 1);
END $$;
CREATE FUNCTION pg_temp.ref_check9(c8 text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    w constant int[] := ARRAY[3, 7, 9, 10, 5, 8, 4, 2];
    s int := 0;
    ch text;
BEGIN
    FOR i IN 1..8 LOOP
        ch := substr(c8, i, 1);
        s := s + CASE WHEN ch BETWEEN '0' AND '9' THEN ascii(ch) - ascii('0')
                      ELSE ascii(ch) - ascii('A') + 10 END * w[i];
    END LOOP;
    RETURN CASE 11 - s % 11 WHEN 10 THEN 'X' WHEN 11 THEN '0' ELSE (11 - s % 11)::text END;
END $$;
CREATE FUNCTION pg_temp.ref_valid(c text, lenient boolean) RETURNS boolean LANGUAGE sql IMMUTABLE
    RETURN c ~ '^[1-9ANY][0-9A-HJ-NPQRTUWXY][0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$'
       AND substr(c, 17, 1) = pg_temp.ref_check9(substr(c, 9, 8))
       AND (lenient OR substr(c, 18, 1) = pg_temp.ref_check18(substr(c, 1, 17)));
CREATE FUNCTION pg_temp.accepts(val text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM val::uscc;
    RETURN true;
EXCEPTION WHEN invalid_text_representation THEN
    RETURN false;
END $$;
CREATE TEMP TABLE gen AS
WITH body AS (
    SELECT i, substr('123456789ANY', pg_temp.h(i, 1) % 12 + 1, 1)
           || substr('0123456789ABCDEFGHJKLMNPQRTUWXY', pg_temp.h(i, 2) % 31 + 1, 1)
           || lpad((pg_temp.h(i, 3) % 1000000)::text, 6, '0')
           || (SELECT string_agg(substr('0123456789ABCDEFGHJKLMNPQRTUWXY', pg_temp.h(i, 10 + k) % 31 + 1, 1), '')
               FROM generate_series(1, 8) k) AS c16
    FROM generate_series(1, 3000) i
), valid AS (
    SELECT i, c16 || pg_temp.ref_check9(substr(c16, 9, 8)) AS c17 FROM body
), codes AS (
    SELECT i, c17 || pg_temp.ref_check18(c17) AS c FROM valid
)
SELECT 'valid' AS kind, i, c FROM codes
UNION ALL   -- one character replaced by any of 0-9A-Z
SELECT 'substitution', i, overlay(c placing substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', pg_temp.h(i, 30) % 36 + 1, 1)
                                  from pg_temp.h(i, 31) % 18 + 1 for 1) FROM codes
UNION ALL   -- two adjacent characters swapped
SELECT 'transposition', i, overlay(c placing substr(c, p + 1, 1) || substr(c, p, 1) from p for 2)
FROM codes, LATERAL (SELECT pg_temp.h(i, 32) % 17 + 1 AS p) q WHERE i <= 2000
UNION ALL   -- position 18 replaced (accepted only in lenient mode)
SELECT 'check18', i, substr(c, 1, 17) || substr('0123456789ABCDEFGHJKLMNPQRTUWXY', pg_temp.h(i, 33) % 31 + 1, 1)
FROM codes WHERE i <= 1000
UNION ALL   -- random characters
SELECT 'random', i, (SELECT string_agg(substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', pg_temp.h(i, 40 + k) % 36 + 1, 1), '')
                     FROM generate_series(1, 18) k)
FROM generate_series(1, 2000) i;
SELECT kind, count(*) AS codes,
       count(*) FILTER (WHERE pg_temp.ref_valid(c, false)) AS valid,
       count(*) FILTER (WHERE (uscc_check(c) IS NULL) <> pg_temp.ref_valid(c, false)) AS disagree_check,
       count(*) FILTER (WHERE pg_temp.accepts(c) <> pg_temp.ref_valid(c, false)) AS disagree_input,
       count(*) FILTER (WHERE pg_temp.accepts(lower(c)) <> pg_temp.ref_valid(c, false)) AS disagree_lower
FROM gen GROUP BY kind ORDER BY kind;
SET credit.uscc_lenient = on;
SELECT kind, count(*) FILTER (WHERE pg_temp.ref_valid(c, true)) AS valid_lenient,
       count(*) FILTER (WHERE pg_temp.accepts(c) <> pg_temp.ref_valid(c, true)) AS disagree_lenient
FROM gen GROUP BY kind ORDER BY kind;
RESET credit.uscc_lenient;
-- Canonical output equals the upper-case input for every valid code.
SELECT count(*) FILTER (WHERE c::uscc::text <> c) AS not_canonical,
       count(*) FILTER (WHERE regexp_replace(lower(c), '(....)', '\1-', 'g')::uscc::text <> c) AS hyphens
FROM gen WHERE kind = 'valid';

-- btree and hash indexes, sorting, joins, hash partitioning.
CREATE TABLE uscc_t (id int, u uscc);
INSERT INTO uscc_t SELECT i, c::uscc FROM gen WHERE kind = 'valid';
CREATE UNIQUE INDEX uscc_t_btree ON uscc_t (u);
ANALYZE uscc_t;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM uscc_t WHERE u = '91320281142232229Q';
EXPLAIN (COSTS OFF) SELECT id FROM uscc_t WHERE u < '913202811422300390';
SELECT count(*) AS below_by_index FROM uscc_t WHERE u < '913202811422300390';
RESET enable_seqscan;
RESET enable_bitmapscan;
SELECT count(*) AS below_by_scan FROM uscc_t WHERE u::text < '913202811422300390' COLLATE "C";
SET enable_seqscan = off;
SET enable_bitmapscan = off;
DROP INDEX uscc_t_btree;
CREATE INDEX uscc_t_hash ON uscc_t USING hash (u);
EXPLAIN (COSTS OFF) SELECT id FROM uscc_t WHERE u = '91320281142232229Q';
SELECT id, u FROM uscc_t WHERE u = (SELECT c FROM gen WHERE kind = 'valid' AND i = 17)::uscc;
RESET enable_seqscan;
RESET enable_bitmapscan;
-- Selectivity: equality on a unique column is estimated at one row, a range proportionally.
CREATE FUNCTION pg_temp.plan_rows(q text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE j json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO j;
    RETURN (j -> 0 -> 'Plan' ->> 'Plan Rows')::int;
END $$;
SELECT pg_temp.plan_rows($$SELECT * FROM uscc_t WHERE u = '91320281142232229Q'$$) AS eq_rows,
       pg_temp.plan_rows($$SELECT * FROM uscc_t WHERE u <> '91320281142232229Q'$$) AS ne_rows,
       pg_temp.plan_rows($$SELECT * FROM uscc_t WHERE u < '913202811422300390'$$) AS lt_rows,
       pg_temp.plan_rows($$SELECT * FROM uscc_t WHERE u >= '913202811422300390'$$) AS ge_rows;
SELECT count(*) = (SELECT count(DISTINCT c) FROM gen WHERE kind = 'valid') AS sorted_distinct
FROM (SELECT DISTINCT u FROM uscc_t ORDER BY u) s;
SELECT (SELECT array_agg(u ORDER BY u) FROM uscc_t)::text[]
     = (SELECT array_agg(c ORDER BY c COLLATE "C") FROM gen WHERE kind = 'valid') AS order_is_text_order;
SET enable_mergejoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM uscc_t a JOIN uscc_t b USING (u);
SELECT count(*) AS hash_join_rows FROM uscc_t a JOIN uscc_t b USING (u);
RESET enable_mergejoin;
RESET enable_nestloop;
SET enable_sort = off;
SELECT count(*) AS hash_groups FROM (SELECT u FROM uscc_t GROUP BY u) s;
RESET enable_sort;
CREATE TABLE uscc_part (u uscc) PARTITION BY HASH (u);
CREATE TABLE uscc_part_0 PARTITION OF uscc_part FOR VALUES WITH (MODULUS 3, REMAINDER 0);
CREATE TABLE uscc_part_1 PARTITION OF uscc_part FOR VALUES WITH (MODULUS 3, REMAINDER 1);
CREATE TABLE uscc_part_2 PARTITION OF uscc_part FOR VALUES WITH (MODULUS 3, REMAINDER 2);
INSERT INTO uscc_part SELECT u FROM uscc_t;
SELECT count(*) AS rows, count(DISTINCT tableoid) AS partitions_used,
       bool_and(satisfies_hash_partition('uscc_part'::regclass, 3,
                CASE tableoid WHEN 'uscc_part_0'::regclass THEN 0
                              WHEN 'uscc_part_1'::regclass THEN 1 ELSE 2 END, u)) AS routed
FROM uscc_part;
EXPLAIN (COSTS OFF) SELECT * FROM uscc_part WHERE u = '91320281142232229Q';

-- Binary COPY round trip, and binary input validated as strictly as text input.
SELECT format('/tmp/credit_uscc_%s.bin', current_setting('port')) AS binfile \gset
COPY uscc_t TO :'binfile' (FORMAT binary);
CREATE TABLE uscc_t2 (LIKE uscc_t);
COPY uscc_t2 FROM :'binfile' (FORMAT binary);
SELECT count(*) AS copied,
       (SELECT count(*) FROM (SELECT * FROM uscc_t EXCEPT SELECT * FROM uscc_t2) d) AS differences
FROM uscc_t2;
-- text's binary form is its bytes, the same as uscc's: feed bad codes through it.
CREATE TEMP TABLE uscc_bin (u uscc);
CREATE FUNCTION pg_temp.try_binary(val text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; f text := format('/tmp/credit_uscc_%s_bad.bin', current_setting('port'));
BEGIN
    EXECUTE format('COPY (SELECT %L::text) TO %L (FORMAT binary)', val, f);
    TRUNCATE uscc_bin;
    EXECUTE format('COPY uscc_bin FROM %L (FORMAT binary)', f);
    RETURN (SELECT u::text FROM uscc_bin);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
    RETURN st || ': ' || msg || ' / ' || det;
END $$;
SELECT c, pg_temp.try_binary(c) AS result FROM unnest(ARRAY[
    '91110000600037341L', '91110000600037341N', '91110000600037341l', '9111000060003734',
    '9111000060003IOZSV', '91350100M0001TGQXM']) AS c;
SET credit.uscc_lenient = on;
SELECT pg_temp.try_binary('91350100M0001TGQXM');
RESET credit.uscc_lenient;

DROP TABLE uscc_t, uscc_t2, uscc_part;

-- Every function, operator and operator class of the two types carries a comment.
SELECT p.oid::regprocedure AS uncommented FROM pg_proc p
WHERE p.pronamespace = 'credit'::regnamespace
  AND (p.proname ~ '^(uscc|resident_id)_' OR p.proname IN ('org_code', 'division_code', 'birth_date', 'sex', 'mask'))
  AND obj_description(p.oid, 'pg_proc') IS NULL;
SELECT o.oid::regoperator AS uncommented FROM pg_operator o
WHERE o.oprleft IN ('uscc'::regtype, 'resident_id'::regtype) AND obj_description(o.oid, 'pg_operator') IS NULL;
SELECT c.opcname AS uncommented FROM pg_opclass c
WHERE c.opcintype IN ('uscc'::regtype, 'resident_id'::regtype) AND obj_description(c.oid, 'pg_opclass') IS NULL;
SELECT count(*) >= 36 AS all_functions_seen FROM pg_proc p
WHERE p.pronamespace = 'credit'::regnamespace
  AND (p.proname ~ '^(uscc|resident_id)_' OR p.proname IN ('org_code', 'division_code', 'birth_date', 'sex', 'mask'));
