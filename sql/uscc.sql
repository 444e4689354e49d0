-- credit.uscc: Unified Social Credit Code (GB 32100-2015)
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

-- Valid examples of DOMAIN §1 (NULL reason = valid).
SELECT c, uscc_check(c) AS reason, c::uscc AS canonical
FROM unnest(ARRAY['91110000600037341L', '91110000101623741K', '121200004013590816',
                  '9144030071526726XG', '91310115MA1K3BTP2B', '914403001922038216',
                  '91320281142232229Q']) AS c;

-- Invalid examples: wrong check character, letters outside the alphabet.
SELECT uscc_check('91110000600037341N');
SELECT uscc_check('9111000060003IOZSV');
SELECT '91110000600037341N'::uscc;
SELECT pg_temp.try('9111000060003IOZSV', 'uscc');

-- Lenient input forms: white space, lower case, hyphens, full-width characters.
SELECT '  91110000600037341l '::uscc;
SELECT '91110000-60003734-1L'::uscc;
SELECT '９１１１００００６０００３７３４１Ｌ'::uscc;
SELECT '　９１１１００００－６０００３７３４１ｌ　'::uscc;

-- Accessors.
SELECT org_code(u), division_code(u), uscc_entity(u), uscc_entity_name(u)
FROM (SELECT '91320281142232229Q'::uscc AS u) s;
