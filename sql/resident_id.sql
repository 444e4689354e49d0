-- credit.resident_id: resident identity number (GB 11643-1999)
SET search_path = credit, public;
-- try(): the value cast to a type, or SQLSTATE, message and detail of the error.
CREATE FUNCTION pg_temp.try(val text, typ regtype) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text; st text; msg text; det text;
BEGIN
    EXECUTE format('SELECT %L::%s::text', val, typ) INTO r;
    RETURN r;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
    RETURN st || ': ' || msg || ' / ' || det;
END $$;

-- Valid examples of DOMAIN §2.
SELECT c, resident_id_check(c) AS reason, c::resident_id AS canonical
FROM unnest(ARRAY['11010519491231002X', '34052419800101001X', '360426199101010071',
                  '44011320141005001X', '11010519491231002x']) AS c;

-- The old 15-digit form is converted.
SELECT '110105491231002'::resident_id;

-- Accessors and the mask.
SELECT birth_date(r), sex(r), division_code(r), mask(r)
FROM (SELECT '11010519491231002X'::resident_id AS r) s;

-- Errors name the problem.
SELECT '11010519491231003X'::resident_id;
SELECT c, pg_temp.try(c, 'resident_id')
FROM unnest(ARRAY['11010519491231002Y', '99010519491231002X', '11010519490231002X']) AS c;
