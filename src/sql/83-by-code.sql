-- Asking by code: the subject-facing functions also take the subject's code
-- as an approval system has it (USCC, organisation code or ID number, dirty
-- as sent), so no id mapping is needed.  For a literal of unknown type the
-- text versions are chosen; a text of digits only that is no code is read
-- as a subject id, so credit.check('42', ...) still means subject 42.

-- The subject a code names (C: src/by_code.c, the code read by the C
-- parsers and its subject found in credit.subject_code by one saved query,
-- as the owner: a unit may not read ID numbers): 22P02 for a malformed code,
-- P0002 when no subject has it; every look-up by an ID number is logged in
-- credit.query_log first.
CREATE FUNCTION @extschema@.subject_by_code(code text, purpose text) RETURNS bigint
    AS 'MODULE_PATHNAME', 'credit_subject_by_code'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION @extschema@.subject_by_code(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.subject_by_code(text, text) TO credit_department, credit_analyst, credit_admin;
COMMENT ON FUNCTION @extschema@.subject_by_code(text, text) IS
    'Subject id of the subject a code names: a USCC, an old organisation code or an 18- or 15-digit ID number, with white space, hyphens, full-width characters and lower case as sent (a text of digits that is no code is taken as the id itself); 22P02 naming the problem for a malformed code, P0002 when no subject has it; every look-up by ID number is logged in credit.query_log with the purpose';

-- The check by code in one C call: the look-up of credit.subject_by_code
-- (logged with the purpose 'credit check by code: <scenario>'), then
-- credit.check.
CREATE FUNCTION @extschema@.check(code text, scenario text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'credit_check_code'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION @extschema@.check(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.check(text, text) TO credit_department, credit_analyst, credit_admin;
COMMENT ON FUNCTION @extschema@.check(text, text) IS
    'credit.check(subject_id, scenario) of the subject a code names (credit.subject_by_code: USCC, organisation code or ID number as sent)';

-- Measures by code, in one C call as the check by code (the look-up logged
-- with the purpose 'measures by code').
CREATE FUNCTION @extschema@.measures_for(code text, scenario text DEFAULT NULL)
    RETURNS TABLE (measure_code text, name text, kind text, reason text)
    AS 'MODULE_PATHNAME', 'credit_measures_for_code'
    LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 5;
COMMENT ON FUNCTION @extschema@.measures_for(text, text) IS
    'credit.measures_for(subject_id, scenario) of the subject a code names (credit.subject_by_code: USCC, organisation code or ID number as sent)';

CREATE FUNCTION @extschema@.profile(code text) RETURNS jsonb
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT @extschema@.profile(@extschema@.subject_by_code(code, 'profile by code'))
$$;
COMMENT ON FUNCTION @extschema@.profile(text) IS
    'credit.profile(subject_id) of the subject a code names (credit.subject_by_code: USCC, organisation code or ID number as sent)';

CREATE FUNCTION @extschema@.report(code text, purpose text) RETURNS jsonb
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT @extschema@.report(@extschema@.subject_by_code(code, coalesce(purpose, 'report by code')), purpose)
$$;
COMMENT ON FUNCTION @extschema@.report(text, text) IS
    'credit.report(subject_id, purpose) of the subject a code names (credit.subject_by_code: USCC, organisation code or ID number as sent); signed and logged as credit.report is';

-- The same roles as the id versions.
REVOKE ALL ON FUNCTION @extschema@.measures_for(text, text), @extschema@.profile(text), @extschema@.report(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.measures_for(text, text), @extschema@.profile(text), @extschema@.report(text, text)
    TO credit_admin, credit_department, credit_analyst;
