-- try(val, typ): val cast to the type typ, as text; or the SQLSTATE, the
-- message and the detail of the error.
-- (sql/include: included by the tests of the code types, from the top of the tree)
CREATE FUNCTION pg_temp.try(val text, typ regtype) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text; st text; msg text; det text;
BEGIN
    EXECUTE format('SELECT %L::%s::text', val, typ) INTO r;
    RETURN r;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
    RETURN st || ': ' || msg || ' / ' || det;
END $$;
