-- The platform's roles (cluster-wide, so created only when missing).
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['credit_admin', 'credit_department', 'credit_analyst', 'credit_public'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END
$$;
GRANT USAGE ON SCHEMA @extschema@ TO credit_admin, credit_department, credit_analyst, credit_public;
