-- credit.resident_id: resident identity number (居民身份证号码, GB 11643-1999)
SET search_path = credit, public;
\i sql/include/try_cast.sql

-- Valid examples of GB 11643 (NULL reason = valid); lower-case x is accepted.
SELECT c, resident_id_check(c) AS reason, c::resident_id AS canonical
FROM unnest(ARRAY['11010519491231002X', '34052419800101001X', '360426199101010071',
                  '44011320141005001X', '11010519491231002x']) AS c;

-- The old 15-digit form: "19" inserted after the address code, check computed.
SELECT '110105491231002'::resident_id;
SELECT c, c::resident_id AS converted FROM unnest(ARRAY['340524800101001', '360426910101007']) AS c;

-- Lenient forms: white space, full-width digits and x, hyphens.
SELECT c, c::resident_id AS canonical FROM unnest(ARRAY[
    ' 11010519491231002X  ',
    '１１０１０５１９４９１２３１００２Ｘ',
    '１１０１０５１９４９１２３１００２ｘ',
    '　110105-19491231-002x　']) AS c;

-- Check character (ISO 7064 MOD 11-2): S mod 11 = 2 gives 'X', S mod 11 = 0 gives '1'.
SELECT c, resident_id_check(c) AS reason FROM unnest(ARRAY[
    '32028120000229009X', '320281200002290091', '320281200002290161', '32028120000229016X',
    '11010519491231003X', '11010519491231002Y']) AS c;

-- Birth dates: real calendar dates from 1880 to 2099, not in the future.
SELECT c, resident_id_check(c) AS reason FROM unnest(ARRAY[
    '320281200002290081',   -- 2000-02-29: leap year (divisible by 400)
    '320281199602290012',   -- 1996-02-29
    '110105190002290011',   -- 1900-02-29: not a leap year (divisible by 100)
    '110105190002280011',
    '110105188001010017',   -- 1880-01-01: first accepted year
    '110105187912310011',
    '110105210001010011',
    '110105198013010011',
    '110105198000010011',
    '110105198004310011',
    '110105198001000011']) AS c;
SELECT resident_id_check('110105000229001') AS old_form_1900_02_29;
-- Today is accepted, tomorrow is not (the reason names the date).
CREATE FUNCTION pg_temp.with_check(d17 text) RETURNS text LANGUAGE sql IMMUTABLE
    RETURN d17 || substr('10X98765432', (SELECT sum(substr(d17, k, 1)::int
        * (ARRAY[7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])[k]) FROM generate_series(1, 17) k)::int % 11 + 1, 1);
SELECT resident_id_check(pg_temp.with_check('110105' || to_char(current_date, 'YYYYMMDD') || '001')) AS today,
       replace(resident_id_check(pg_temp.with_check('110105' || to_char(current_date + 1, 'YYYYMMDD') || '001')),
               to_char(current_date + 1, 'YYYYMMDD'), 'tomorrow') AS tomorrow;

-- Province prefixes (GB/T 2260): every two-digit prefix tried, those accepted listed.
SELECT string_agg(p, ',' ORDER BY p) AS accepted_prefixes
FROM (SELECT lpad(n::text, 2, '0') AS p FROM generate_series(0, 99) n) s
WHERE resident_id_check(pg_temp.with_check(p || '010519800101001')) IS NULL;
SELECT resident_id_check('990105198001010011'), resident_id_check('000105198001010019');

-- Every error carries SQLSTATE 22P02 and a detail naming the problem.
SELECT c, pg_temp.try(c, 'resident_id') AS result FROM unnest(ARRAY[
    '1101051949123100',         -- 16 characters
    '11010519491231002X1',
    '',
    '110105194912310X2X',       -- X only at position 18
    '11010A19491231002X',
    '11010519491231002Y',
    '11010549123100X',          -- the old form has no check character
    '990105198001010011',
    '11010519490231002X',
    '11010519491231003X',
    '11010519491231002中',
    '110105 19491231 002X']) AS c;       -- white space only around the number

-- Accessors and the mask.
SELECT r, birth_date(r), sex(r), division_code(r), mask(r)
FROM unnest(ARRAY['11010519491231002X', '360426199101010071', '110105491231002',
                  '830105198001010015']::resident_id[]) AS r;

-- Casts and operators (order of the canonical text).
SELECT '11010519491231002X'::text::resident_id, '11010519491231002x'::resident_id::text;
SELECT a, b, a = b AS eq, a <> b AS ne, a < b AS lt, a <= b AS le, a > b AS gt, a >= b AS ge,
       resident_id_cmp(a, b) AS cmp
FROM (VALUES ('11010519491231002X'::resident_id, '34052419800101001X'::resident_id),
             ('360426199101010071', '34052419800101001X'),
             ('110105491231002', '11010519491231002x')) AS v(a, b);
SELECT resident_id_hash('11010519491231002X') = resident_id_hash('110105491231002'),
       resident_id_hash_extended('11010519491231002X', 0) = resident_id_hash_extended('11010519491231002X', 1);
SELECT p.proname, p.provolatile, p.proisstrict, p.proparallel
FROM pg_proc p WHERE p.proname IN ('resident_id_in', 'resident_id_out', 'resident_id_recv',
                                   'resident_id_send', 'resident_id_check', 'mask') ORDER BY 1;

-- Independent re-implementation (PL/pgSQL) compared with the C type on
-- deterministic pseudo-random numbers.
CREATE FUNCTION pg_temp.h(i int, k int) RETURNS int LANGUAGE sql IMMUTABLE
    RETURN ('x' || substr(md5('r' || i || ':' || k), 1, 8))::bit(32)::int & 2147483647;
CREATE FUNCTION pg_temp.ref_valid(c text) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
DECLARE
    w constant int[] := ARRAY[7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    s int := 0;
    d date;
BEGIN
    IF c !~ '^[0-9]{17}[0-9X]$' THEN
        RETURN false;
    END IF;
    IF substr(c, 1, 2)::int NOT IN (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37,
                                    41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54,
                                    61, 62, 63, 64, 65, 71, 81, 82, 83) THEN
        RETURN false;
    END IF;
    BEGIN
        d := make_date(substr(c, 7, 4)::int, substr(c, 11, 2)::int, substr(c, 13, 2)::int);
    EXCEPTION WHEN OTHERS THEN
        RETURN false;
    END;
    IF d < date '1880-01-01' OR d > date '2099-12-31' OR d > current_date THEN
        RETURN false;
    END IF;
    FOR k IN 1..17 LOOP
        s := s + substr(c, k, 1)::int * w[k];
    END LOOP;
    RETURN substr(c, 18, 1) = substr('10X98765432', s % 11 + 1, 1);
END $$;
CREATE FUNCTION pg_temp.accepts(val text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM val::resident_id;
    RETURN true;
EXCEPTION WHEN invalid_text_representation THEN
    RETURN false;
END $$;
CREATE TEMP TABLE gen AS
WITH provinces AS (
    SELECT ARRAY['11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37',
                 '41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54',
                 '61', '62', '63', '64', '65', '71', '81', '82', '83'] AS p
), codes AS (
    SELECT i, pg_temp.with_check(p[pg_temp.h(i, 1) % 35 + 1] || lpad((pg_temp.h(i, 2) % 10000)::text, 4, '0')
                                 || to_char(date '1880-01-01' + pg_temp.h(i, 3) % 51134, 'YYYYMMDD')
                                 || lpad((pg_temp.h(i, 4) % 1000)::text, 3, '0')) AS c
    FROM provinces, generate_series(1, 3000) i
)
SELECT 'valid' AS kind, i, c FROM codes
UNION ALL   -- one character replaced by a digit or X
SELECT 'substitution', i, overlay(c placing substr('0123456789X', pg_temp.h(i, 5) % 11 + 1, 1)
                                  from pg_temp.h(i, 6) % 18 + 1 for 1) FROM codes
UNION ALL   -- two adjacent characters swapped
SELECT 'transposition', i, overlay(c placing substr(c, p + 1, 1) || substr(c, p, 1) from p for 2)
FROM codes, LATERAL (SELECT pg_temp.h(i, 7) % 17 + 1 AS p) q WHERE i <= 2000
UNION ALL   -- any prefix, any date-like digits (years 1860-2019, months 00-13, days 00-32), right check
SELECT 'random_date', i, pg_temp.with_check(lpad((pg_temp.h(i, 8) % 100)::text, 2, '0') || '0105'
                                 || (1860 + pg_temp.h(i, 9) % 160) || lpad((pg_temp.h(i, 10) % 14)::text, 2, '0')
                                 || lpad((pg_temp.h(i, 11) % 33)::text, 2, '0') || '001')
FROM generate_series(1, 3000) i
UNION ALL   -- random digits
SELECT 'random', i, (SELECT string_agg(substr('0123456789', pg_temp.h(i, 20 + k) % 10 + 1, 1), '')
                     FROM generate_series(1, 17) k) || substr('0123456789X', pg_temp.h(i, 40) % 11 + 1, 1)
FROM generate_series(1, 2000) i;
SELECT kind, count(*) AS codes,
       count(*) FILTER (WHERE pg_temp.ref_valid(c)) AS valid,
       count(*) FILTER (WHERE (resident_id_check(c) IS NULL) <> pg_temp.ref_valid(c)) AS disagree_check,
       count(*) FILTER (WHERE pg_temp.accepts(c) <> pg_temp.ref_valid(c)) AS disagree_input,
       count(*) FILTER (WHERE pg_temp.accepts(lower(c)) <> pg_temp.ref_valid(c)) AS disagree_lower
FROM gen GROUP BY kind ORDER BY kind;
-- Canonical output, and the 15-digit form of every 20th-century number converts back to it.
SELECT count(*) FILTER (WHERE c::resident_id::text <> c) AS not_canonical,
       count(*) FILTER (WHERE substr(c, 7, 2) = '19') AS old_form_tried,
       count(*) FILTER (WHERE substr(c, 7, 2) = '19'
                        AND (substr(c, 1, 6) || substr(c, 9, 9))::resident_id::text <> c) AS old_form_wrong
FROM gen WHERE kind = 'valid';

-- btree and hash indexes, joins, hash partitioning, selectivity.
CREATE TABLE rid_t (id int, r resident_id);
INSERT INTO rid_t SELECT i, c::resident_id FROM gen WHERE kind = 'valid';
CREATE INDEX rid_t_btree ON rid_t (r);
ANALYZE rid_t;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM rid_t WHERE r = '11010519491231002X';
EXPLAIN (COSTS OFF) SELECT id FROM rid_t WHERE r >= '500000198001010011';
SELECT count(*) AS from_50_by_index FROM rid_t WHERE r >= '500000198001010011';
RESET enable_seqscan;
RESET enable_bitmapscan;
SELECT count(*) AS from_50_by_text FROM rid_t WHERE r::text >= '500000198001010011' COLLATE "C";
SET enable_seqscan = off;
SET enable_bitmapscan = off;
DROP INDEX rid_t_btree;
CREATE INDEX rid_t_hash ON rid_t USING hash (r);
EXPLAIN (COSTS OFF) SELECT id FROM rid_t WHERE r = '11010519491231002X';
SELECT id, r = (SELECT c FROM gen WHERE kind = 'valid' AND i = 42)::resident_id AS found
FROM rid_t WHERE r = (SELECT c FROM gen WHERE kind = 'valid' AND i = 42)::resident_id;
RESET enable_seqscan;
RESET enable_bitmapscan;
CREATE FUNCTION pg_temp.plan_rows(q text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE j json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO j;
    RETURN (j -> 0 -> 'Plan' ->> 'Plan Rows')::int;
END $$;
SELECT pg_temp.plan_rows($$SELECT * FROM rid_t WHERE r = '11010519491231002X'$$) AS eq_rows,
       pg_temp.plan_rows($$SELECT * FROM rid_t WHERE r <> '11010519491231002X'$$) AS ne_rows;
SELECT (SELECT array_agg(r ORDER BY r) FROM rid_t)::text[]
     = (SELECT array_agg(c ORDER BY c COLLATE "C") FROM gen WHERE kind = 'valid') AS order_is_text_order;
SET enable_mergejoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM rid_t a JOIN rid_t b USING (r);
SELECT count(*) AS hash_join_rows FROM rid_t a JOIN rid_t b USING (r);
RESET enable_mergejoin;
RESET enable_nestloop;
CREATE TABLE rid_part (r resident_id) PARTITION BY HASH (r);
CREATE TABLE rid_part_0 PARTITION OF rid_part FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE rid_part_1 PARTITION OF rid_part FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO rid_part SELECT r FROM rid_t;
SELECT count(*) AS rows, count(DISTINCT tableoid) AS partitions_used,
       bool_and(satisfies_hash_partition('rid_part'::regclass, 2,
                CASE tableoid WHEN 'rid_part_0'::regclass THEN 0 ELSE 1 END, r)) AS routed
FROM rid_part;

-- Binary COPY round trip; binary input (int8 of the 17 digits) validated like text input.
SELECT format('/tmp/credit_rid_%s.bin', current_setting('port')) AS binfile \gset
COPY rid_t TO :'binfile' (FORMAT binary);
CREATE TABLE rid_t2 (LIKE rid_t);
COPY rid_t2 FROM :'binfile' (FORMAT binary);
SELECT count(*) AS copied,
       (SELECT count(*) FROM (SELECT * FROM rid_t EXCEPT SELECT * FROM rid_t2) d) AS differences
FROM rid_t2;
CREATE TEMP TABLE rid_bin (r resident_id);
CREATE FUNCTION pg_temp.try_binary(val bigint) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; f text := format('/tmp/credit_rid_%s_bad.bin', current_setting('port'));
BEGIN
    EXECUTE format('COPY (SELECT %s::bigint) TO %L (FORMAT binary)', val, f);
    TRUNCATE rid_bin;
    EXECUTE format('COPY rid_bin FROM %L (FORMAT binary)', f);
    RETURN (SELECT r::text FROM rid_bin);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
    RETURN st || ': ' || msg || ' / ' || det;
END $$;
SELECT v, pg_temp.try_binary(v) AS result FROM unnest(ARRAY[
    11010519491231002, 99010519491231002, 11010519490231002, -1, 100000000000000000,
    1010519491231002]) AS v;

DROP TABLE rid_t, rid_t2, rid_part;
