-- The credit profile (信用画像, docs/relations.md): everything the platform knows of
-- one subject, in one JSON document, read with the caller's rights.

-- The portrait.
CREATE FUNCTION @extschema@.profile(subject_id bigint) RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p_subject   ALIAS FOR $1;
    s           record;
    person      text;
    grades      jsonb;
    counts      jsonb;
    latest      jsonb;
    lists       jsonb;
    warnings    jsonb;
    relations   jsonb;
    measures    jsonb;
    total       bigint;
    active      bigint;
    published   bigint;
    result      jsonb;
BEGIN
    SELECT x.id, x.kind, x.name, x.uscc, x.division, x.industries, x.legal_rep, x.registered_on, x.status INTO s
      FROM @extschema@.subject x WHERE x.id = p_subject;
    IF NOT FOUND THEN
        PERFORM @extschema@.subject_missing(p_subject);
    END IF;
    -- the whole ID number for roles that may read it, masked for the others
    IF s.kind = 'individual' THEN
        IF has_column_privilege('@extschema@.subject', 'person_id', 'SELECT') THEN
            SELECT x.person_id::text INTO person FROM @extschema@.subject x WHERE x.id = s.id;
        ELSE
            SELECT m.person_id INTO person FROM @extschema@.subject_masked m WHERE m.id = s.id;
        END IF;
    END IF;

    -- current grades, with the dimension totals of the records the caller
    -- may read (as of the grade's date): a unit does not see what other
    -- units' hidden records contribute
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'model', g.model, 'model_name', md.name, 'score', round(g.score, 2), 'grade', g.grade,
               'as_of', g.anchor,
               'dimensions', (SELECT coalesce(jsonb_object_agg(d.key, round(d.value::numeric, 2)), '{}')
                                FROM @extschema@.evalstate_result(g.model,
                                         (SELECT @extschema@.evaluate_agg(g.model, g.anchor, rc.item_code,
                                                                          rc.decided_on, rc.value, rc.status)
                                            FROM @extschema@.record rc WHERE rc.subject_id = s.id),
                                         g.anchor) r,
                                     jsonb_each_text(r.dimensions) d))
             ORDER BY g.model COLLATE "C"), '[]')
      INTO grades
      FROM @extschema@.subject_grade g JOIN @extschema@.model md ON md.code = g.model
     WHERE g.subject_id = s.id;

    -- records (those the caller may read: row-level security applies)
    SELECT count(*), count(*) FILTER (WHERE r.status = 'active'),
           count(*) FILTER (WHERE @extschema@.is_published(r.status, r.publicity_until))
      INTO total, active, published
      FROM @extschema@.record r WHERE r.subject_id = s.id;
    SELECT coalesce(jsonb_agg(jsonb_build_object('category', x.category, 'polarity', x.polarity,
                                                 'records', x.n, 'active', x.a)
                              ORDER BY x.category COLLATE "C", x.polarity COLLATE "C"), '[]')
      INTO counts
      FROM (SELECT c.category, c.polarity, count(*) AS n, count(*) FILTER (WHERE r.status = 'active') AS a
              FROM @extschema@.record r JOIN @extschema@.catalog_item c ON c.code = r.item_code
             WHERE r.subject_id = s.id
             GROUP BY c.category, c.polarity) x;
    SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'id', x.id, 'item_code', x.item_code, 'item', x.item_name, 'category', x.category,
               'polarity', x.polarity, 'severity', x.severity, 'department', x.department,
               'document_no', x.document_no, 'decided_on', x.decided_on, 'status', x.status,
               'published', x.published))
             ORDER BY x.decided_on DESC, x.id DESC), '[]')
      INTO latest
      FROM (SELECT r.id, r.item_code, c.name AS item_name, c.category, c.polarity, c.severity, r.department,
                   r.document_no, r.decided_on, r.status,
                   @extschema@.is_published(r.status, r.publicity_until) AS published
              FROM @extschema@.record r JOIN @extschema@.catalog_item c ON c.code = r.item_code
             WHERE r.subject_id = s.id
             ORDER BY r.decided_on DESC, r.id DESC
             LIMIT 10) x;

    -- lists the subject is on today
    SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'list', e.list_code, 'name', l.name, 'kind', l.kind, 'listed_on', e.listed_on,
               'expires_on', e.expires_on, 'reason', e.reason, 'document_no', e.document_no))
             ORDER BY e.list_code COLLATE "C", e.listed_on), '[]')
      INTO lists
      FROM @extschema@.list_entry e JOIN @extschema@.list l ON l.code = e.list_code
     WHERE e.subject_id = s.id AND @extschema@.list_entry_active(e.listed_on, e.expires_on, e.removed_on);

    -- open warnings, for the roles that read warnings
    IF has_table_privilege('@extschema@.warning', 'SELECT') THEN
        SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'id', w.id, 'kind', w.kind, 'level', w.level, 'raised_at', w.raised_at,
                   'topic', w.topic, 'details', w.details)
                 ORDER BY w.raised_at, w.id), '[]')
          INTO warnings
          FROM @extschema@.warning w
         WHERE w.subject_id = s.id AND w.resolved_at IS NULL;
    END IF;

    -- relations valid today (depth 1): "->kind" the subject is the kind of the other,
    -- "<-kind" the other is the kind of the subject; the lists the other is on today
    SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'subject_id', o.id, 'name', o.name, 'subject_kind', o.kind, 'relation', x.step,
               'share', x.share, 'valid_from', x.valid_from, 'valid_to', x.valid_to,
               'lists', (SELECT to_jsonb(array_agg(DISTINCT e.list_code COLLATE "C" ORDER BY e.list_code COLLATE "C"))
                           FROM @extschema@.list_entry e
                          WHERE e.subject_id = o.id AND @extschema@.list_entry_active(e.listed_on, e.expires_on, e.removed_on))))
             ORDER BY x.step COLLATE "C", o.id), '[]')
      INTO relations
      FROM (SELECT r.to_subject AS other, '->' || r.kind AS step, r.share, r.valid_from, r.valid_to
              FROM @extschema@.relation r WHERE r.from_subject = s.id
               AND @extschema@.relation_valid(r.valid_from, r.valid_to, CURRENT_DATE)
            UNION ALL
            SELECT r.from_subject, '<-' || r.kind, r.share, r.valid_from, r.valid_to
              FROM @extschema@.relation r WHERE r.to_subject = s.id
               AND @extschema@.relation_valid(r.valid_from, r.valid_to, CURRENT_DATE)) x
      JOIN @extschema@.subject o ON o.id = x.other;

    -- joint rewards and punishments that apply, in every scenario
    SELECT coalesce(jsonb_agg(jsonb_build_object('measure', f.measure_code, 'name', f.name,
                                                 'kind', f.kind, 'reason', f.reason)
                              ORDER BY f.kind COLLATE "C", f.measure_code COLLATE "C"), '[]')
      INTO measures
      FROM @extschema@.measures_for(s.id) f;

    result := jsonb_build_object(
        'subject', jsonb_strip_nulls(jsonb_build_object(
            'id', s.id, 'kind', s.kind, 'name', s.name, 'uscc', s.uscc, 'person_id', person,
            'division', s.division, 'industries', to_jsonb(s.industries), 'legal_rep', s.legal_rep,
            'registered_on', s.registered_on, 'status', s.status)),
        'as_of', CURRENT_DATE,
        'grades', grades,
        'records', jsonb_build_object('total', total, 'active', active, 'published', published,
                                      'by_category', counts, 'latest', latest),
        'lists', lists,
        'warnings', warnings,
        'relations', relations,
        'measures', measures);
    IF warnings IS NULL THEN
        result := result - 'warnings';
    END IF;

    -- a profile of a person is a look-up of a person
    IF s.kind = 'individual' THEN
        PERFORM @extschema@.log_lookup(s.id, 'credit profile', jsonb_build_object('lookup', 'profile'));
    END IF;
    RETURN result;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.profile(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.profile(bigint) TO credit_admin, credit_department, credit_analyst;
COMMENT ON FUNCTION @extschema@.profile(bigint) IS
    'Credit profile (信用画像) of a subject as JSON: basics (personal ID number whole for roles that may read it, masked otherwise), current grades with the dimension totals of the records the caller may read, record counts by category and polarity and the 10 latest records, active lists, open warnings (for roles that read warnings), relations valid today (with the lists the related subjects are on) and the measures that apply. Reads with the caller''s rights (a unit counts the records it may see); every profile of an individual is logged in credit.query_log';
