-- Every subject has a current grade under every model in its scope, from the
-- moment it is registered: a new subject gets the model's base evaluation, a
-- subject whose kind or industries change is evaluated afresh under the models
-- it enters and loses its grades under the models it leaves (at commit).  So
-- credit.subject_grade equals a fresh credit.run_evaluation for every subject,
-- records or not.

-- Insert the current grade of each given (subject, model) pair from the subject's records.
CREATE FUNCTION @extschema@.subject_scope_grades() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- like the record triggers, this follows credit.auto_evaluation
    -- and a restore (credit.restoring) loads the grades from the dump
    IF NOT @extschema@.auto_evaluation()
       OR @extschema@.restoring() THEN
        RETURN NULL;
    END IF;
    -- the grades of models a subject left are dropped at commit, in the fold's
    -- sorted lock pass (credit.queue_rescoped): deleted now, they would stay
    -- locked to commit while the transaction waits for other grade locks
    IF TG_OP = 'UPDATE' THEN
        PERFORM @extschema@.queue_rescoped(ARRAY(
            SELECT s.id FROM new_subjects s
             WHERE EXISTS (SELECT 1 FROM @extschema@.subject_grade g
                             JOIN @extschema@.model m ON m.code = g.model
                            WHERE g.subject_id = s.id
                              AND NOT @extschema@.subject_in_scope(s.kind, s.industries, m.subject_kinds, m.scope))));
    END IF;
    INSERT INTO @extschema@.subject_grade (subject_id, model, score, grade, state, anchor)
    SELECT s.id, m.code, r.score, r.grade, st.state, CURRENT_DATE
      FROM new_subjects s
      JOIN @extschema@.model m ON @extschema@.subject_in_scope(s.kind, s.industries, m.subject_kinds, m.scope)
     CROSS JOIN LATERAL @extschema@.evaluate_fresh(ARRAY[s.id], m.code, CURRENT_DATE) st
     CROSS JOIN LATERAL @extschema@.evalstate_result(m.code, st.state, CURRENT_DATE) r
     WHERE NOT EXISTS (SELECT 1 FROM @extschema@.subject_grade g WHERE g.subject_id = s.id AND g.model = m.code)
     ORDER BY s.id, m.code
    ON CONFLICT (subject_id, model) DO NOTHING;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.subject_scope_grades() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.subject_scope_grades() IS
    'Statement trigger of credit.subject: gives new subjects, and subjects whose kind or industries changed, their current grade under every model in scope (base score without records), and drops grades under models they left (at commit, with the fold''s grade locks: credit.queue_rescoped)';

CREATE TRIGGER subject_scope_insert AFTER INSERT ON @extschema@.subject
    REFERENCING NEW TABLE AS new_subjects
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.subject_scope_grades();
CREATE TRIGGER subject_scope_update AFTER UPDATE ON @extschema@.subject
    REFERENCING NEW TABLE AS new_subjects
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.subject_scope_grades();
