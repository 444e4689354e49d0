-- Privileges and row-level security of subjects and records (docs/security.md).
--   credit_admin       runs the platform: every record and subject
--   credit_department  a unit: writes and reads its own records, reads public-channel records
--   credit_analyst     reads everything, personal ID numbers masked
--   credit_public      publicity views only
-- Privileges are written out table by table next to each table (no blanket
-- grants: a grant on ALL TABLES covers only the tables created before it);
-- sql/security_privileges.sql prints every privilege of every credit role.

-- Subjects: the personal ID column is readable by administrators only;
-- others read credit.subject_masked or look a person up through credit.find_person (logged).
-- Units register people through credit.register_person (logged), never by
-- inserting an ID number: a unique violation would tell them, unlogged,
-- whether the number is registered.
GRANT SELECT (id, kind, name, name_key, uscc, division, industries, legal_rep, registered_on, status, created_at,
              registered_by)
    ON @extschema@.subject TO credit_department, credit_analyst;
GRANT INSERT (kind, name, uscc, division, industries, legal_rep, registered_on, registered_by)
    ON @extschema@.subject TO credit_department;
GRANT UPDATE (name, industries, legal_rep, status) ON @extschema@.subject TO credit_department;

-- Master data has an owner: a unit registers subjects for itself and
-- changes only those it registered (the others' changes go through an
-- administrator); every unit reads every subject.  Changes are in the ledger.
ALTER TABLE @extschema@.subject ALTER COLUMN registered_by SET DEFAULT @extschema@.sending_unit(NULL);
ALTER TABLE @extschema@.subject ENABLE ROW LEVEL SECURITY;
CREATE POLICY admin_all ON @extschema@.subject TO credit_admin USING (true) WITH CHECK (true);
CREATE POLICY analyst_read ON @extschema@.subject FOR SELECT TO credit_analyst USING (true);
CREATE POLICY department_read ON @extschema@.subject FOR SELECT TO credit_department USING (true);
CREATE POLICY department_insert ON @extschema@.subject FOR INSERT TO credit_department
    WITH CHECK (registered_by = ANY (@extschema@.acting_departments()));
CREATE POLICY department_update ON @extschema@.subject FOR UPDATE TO credit_department
    USING (registered_by = ANY (@extschema@.acting_departments()))
    WITH CHECK (registered_by = ANY (@extschema@.acting_departments()));

CREATE VIEW @extschema@.subject_masked WITH (security_barrier) AS
    SELECT s.id, s.kind, s.name, s.uscc, @extschema@.mask(s.person_id) AS person_id,
           s.division, s.industries, s.status
      FROM @extschema@.subject s;
COMMENT ON VIEW @extschema@.subject_masked IS
    'Subjects with personal ID numbers masked (110105********002X), for roles that have no need of the whole number';
GRANT SELECT ON @extschema@.subject_masked TO credit_department, credit_analyst, credit_admin;

-- Look a person up by ID number: returns the subject id and logs who asked and why.
CREATE FUNCTION @extschema@.find_person(id @extschema@.resident_id, purpose text) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    sid bigint;
BEGIN
    IF purpose IS NULL OR btrim(purpose) = '' THEN
        RAISE EXCEPTION 'a purpose is required to look a person up'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT s.id INTO sid FROM @extschema@.subject s WHERE s.person_id OPERATOR(pg_catalog.=) find_person.id;
    -- logged (committed by the audit worker) before the answer is returned
    PERFORM @extschema@.log_lookup(sid, purpose,
                jsonb_build_object('lookup', 'find_person', 'id', @extschema@.mask(id), 'found', sid IS NOT NULL));
    RETURN sid;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.find_person(@extschema@.resident_id, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.find_person(@extschema@.resident_id, text)
    TO credit_department, credit_analyst, credit_admin;
COMMENT ON FUNCTION @extschema@.find_person(@extschema@.resident_id, text) IS
    'Subject id of the person with this resident ID number (NULL if none); every call is logged in credit.query_log';

-- Register a person by ID number, or find the one registered: the subject
-- id either way, the look-up logged (whether the number was registered
-- before is in the log, not in an error).
CREATE FUNCTION @extschema@.register_person(id @extschema@.resident_id, name text, purpose text,
                                            division text DEFAULT NULL, department text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    sid bigint;
    existed boolean;
    unit text;
BEGIN
    IF purpose IS NULL OR pg_catalog.btrim(purpose) OPERATOR(pg_catalog.=) '' THEN
        RAISE EXCEPTION 'a purpose is required to register a person'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF id IS NULL THEN
        RAISE EXCEPTION 'the resident ID number of the person is required'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- the unit the person is registered for: one the caller acts for (as the
    -- subject policies require of a unit's own inserts)
    unit := @extschema@.sending_unit(register_person.department);
    IF NOT pg_catalog.pg_has_role(@extschema@.caller(), 'credit_admin', 'MEMBER')
       AND NOT unit OPERATOR(pg_catalog.=) ANY (@extschema@.caller_departments()) THEN
        RAISE EXCEPTION 'role "%" does not act for unit "%"', @extschema@.caller(), unit
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT s.id INTO sid FROM @extschema@.subject s WHERE s.person_id OPERATOR(pg_catalog.=) register_person.id;
    existed := sid IS NOT NULL;
    IF NOT existed THEN
        BEGIN
            INSERT INTO @extschema@.subject AS s (kind, name, person_id, division, registered_by)
            VALUES ('individual'::@extschema@.subject_kind, register_person.name, register_person.id,
                    register_person.division, unit)
            RETURNING s.id INTO sid;
        EXCEPTION WHEN unique_violation THEN
            -- registered meanwhile by a concurrent transaction (credit.subject_code)
            SELECT s.id INTO sid FROM @extschema@.subject s WHERE s.person_id OPERATOR(pg_catalog.=) register_person.id;
            existed := true;
        END;
    END IF;
    -- logged (committed by the audit worker) before the answer is returned
    PERFORM @extschema@.log_lookup(sid, purpose,
                pg_catalog.jsonb_build_object('lookup', 'register_person', 'id', @extschema@.mask(register_person.id),
                                              'registered_before', existed));
    RETURN sid;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.register_person(@extschema@.resident_id, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.register_person(@extschema@.resident_id, text, text, text, text)
    TO credit_department, credit_admin;
COMMENT ON FUNCTION @extschema@.register_person(@extschema@.resident_id, text, text, text, text) IS
    'Register a person (自然人) by resident ID number with a name and optional division, or find the person registered with it (the name given is then ignored): the subject id either way; a purpose is required; every call is logged in credit.query_log (whether the number was registered before is in the log row, not in an error). The person is registered for department (credit.subject.registered_by), which defaults to the caller''s only unit and must be one the caller acts for (42501; a clerk of several units names it, 23502 otherwise). The way units put an ID number into credit.subject';

-- Records: row-level security.
ALTER TABLE @extschema@.record ENABLE ROW LEVEL SECURITY;
GRANT SELECT, DELETE ON @extschema@.record TO credit_department;
GRANT INSERT (subject_id, item_code, department, document_no, decided_on, value, amount, details, status)
    ON @extschema@.record TO credit_department;
GRANT UPDATE (status, value, amount, details, document_no) ON @extschema@.record TO credit_department;
GRANT SELECT ON @extschema@.record TO credit_analyst;

CREATE POLICY admin_all ON @extschema@.record TO credit_admin USING (true) WITH CHECK (true);
CREATE POLICY analyst_read ON @extschema@.record FOR SELECT TO credit_analyst USING (true);
-- (no sub-queries in policies: functions of the row, computed once per statement)
CREATE POLICY department_read ON @extschema@.record FOR SELECT TO credit_department
    USING (department = ANY (@extschema@.acting_departments()) OR @extschema@.public_item(item_code));
CREATE POLICY department_insert ON @extschema@.record FOR INSERT TO credit_department
    WITH CHECK (department = ANY (@extschema@.acting_departments()));
CREATE POLICY department_update ON @extschema@.record FOR UPDATE TO credit_department
    USING (department = ANY (@extschema@.acting_departments()))
    WITH CHECK (department = ANY (@extschema@.acting_departments()));
CREATE POLICY department_delete ON @extschema@.record FOR DELETE TO credit_department
    USING (department = ANY (@extschema@.acting_departments()));


-- What each column of the view holds.
COMMENT ON COLUMN @extschema@.subject_masked.id IS 'Subject (credit.subject.id)';
COMMENT ON COLUMN @extschema@.subject_masked.kind IS 'Kind of subject';
COMMENT ON COLUMN @extschema@.subject_masked.name IS 'Name';
COMMENT ON COLUMN @extschema@.subject_masked.uscc IS 'Unified social credit code (organisations)';
COMMENT ON COLUMN @extschema@.subject_masked.person_id IS 'Resident ID number, masked (110105********002X)';
COMMENT ON COLUMN @extschema@.subject_masked.division IS 'Administrative division code (GB/T 2260)';
COMMENT ON COLUMN @extschema@.subject_masked.industries IS 'Industries the subject belongs to (credit.industry codes)';
COMMENT ON COLUMN @extschema@.subject_masked.status IS 'Registration status of the subject';
