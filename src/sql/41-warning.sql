-- Grade changes and warnings (docs/auto-evaluation.md).

-- Every change of a subject's grade under a model, whatever caused it.
CREATE TABLE @extschema@.grade_change (
    id          bigint GENERATED ALWAYS AS IDENTITY,
    subject_id  bigint NOT NULL REFERENCES @extschema@.subject (id) ON DELETE CASCADE,
    model       text NOT NULL,
    old_grade   text,
    new_grade   text,
    old_score   double precision,
    new_score   double precision,
    changed_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    record_id   bigint,
    cause       text NOT NULL
                CHECK (cause IN ('insert', 'update', 'delete', 'decay', 'evaluation')),
    PRIMARY KEY (subject_id, id)
);
COMMENT ON TABLE @extschema@.grade_change IS
    'Every change of a subject''s grade under a model (信用等级变动): written by the record triggers, the daily re-anchoring and evaluation runs; each row is also sent as NOTIFY credit_grade_change';
COMMENT ON COLUMN @extschema@.grade_change.old_grade IS 'Grade before the change (NULL: the subject had none)';
COMMENT ON COLUMN @extschema@.grade_change.record_id IS 'The (last) record whose arrival, change or deletion caused the change; NULL for decay and evaluation runs';
COMMENT ON COLUMN @extschema@.grade_change.cause IS 'insert, update or delete of records; decay (re-anchoring to a later date with no new data); evaluation (a full run)';
CREATE INDEX grade_change_id_idx ON @extschema@.grade_change (id);
CREATE INDEX grade_change_subject_idx ON @extschema@.grade_change (subject_id, changed_at);

-- Rules that decide which warnings are raised, and how loudly.
CREATE TABLE @extschema@.warning_rule (
    kind        text PRIMARY KEY CHECK (kind ~ '^[a-z_]{1,40}$'),
    description text NOT NULL,
    enabled     boolean NOT NULL DEFAULT true,
    level       text NOT NULL DEFAULT 'medium' CHECK (level IN ('low', 'medium', 'high')),
    threshold   integer CHECK (threshold > 0),
    window_days integer CHECK (window_days > 0)
);
COMMENT ON TABLE @extschema@.warning_rule IS
    'Warning rules (预警规则): which kinds of credit.warning are raised, at which level; repeat_offence uses threshold (N negative records) and window_days (within D days); grade_drop uses threshold (drop of at least N grades)';
INSERT INTO @extschema@.warning_rule (kind, description, level, threshold, window_days) VALUES
    ('grade_drop', 'The subject''s grade dropped by at least threshold grades under a model', 'medium', 1, NULL),
    ('serious_record', 'A serious negative record (严重失信) arrived', 'high', NULL, NULL),
    ('listed', 'The subject was put on a negative list (列入名单)', 'high', NULL, NULL),
    ('related_listed', 'A related subject (legal representative, shareholder, ...) was put on a negative list', 'medium', NULL, NULL),
    ('repeat_offence', 'At least threshold negative records within window_days days (屡犯)', 'high', 3, 365),
    ('commitment_broken', 'A credit commitment was broken (违背信用承诺)', 'medium', NULL, NULL),
    ('report_conflict', 'A third-party credit report conflicts with platform data', 'low', NULL, NULL);
-- The fold reads the rules from each backend's cache, rebuilt after a change.
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.warning_rule
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_changed();

-- Warnings raised on subjects.  An open warning (resolved_at IS NULL) is not
-- raised a second time for the same subject, kind and topic.
CREATE TABLE @extschema@.warning (
    id          bigint GENERATED ALWAYS AS IDENTITY,
    subject_id  bigint NOT NULL REFERENCES @extschema@.subject (id) ON DELETE CASCADE,
    kind        text NOT NULL REFERENCES @extschema@.warning_rule (kind) ON UPDATE CASCADE,
    level       text NOT NULL CHECK (level IN ('low', 'medium', 'high')),
    raised_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    details     jsonb NOT NULL DEFAULT '{}',
    resolved_at timestamptz,
    topic       text NOT NULL DEFAULT ''
                CONSTRAINT warning_topic_length CHECK (pg_catalog.length(topic) <= 200),
    PRIMARY KEY (subject_id, id)
);
COMMENT ON TABLE @extschema@.warning IS
    'Credit warnings (信用预警) raised on subjects: grade drops, serious records, listings, repeat offences, broken commitments, report conflicts; open while resolved_at is NULL';
COMMENT ON COLUMN @extschema@.warning.topic IS
    'What the warning is about within its kind (the model of a grade drop, the item of a serious record, ...): one open warning per subject, kind and topic';
CREATE INDEX warning_id_idx ON @extschema@.warning (id);
CREATE UNIQUE INDEX warning_open_idx ON @extschema@.warning (subject_id, kind, topic)
    WHERE resolved_at IS NULL;
CREATE INDEX warning_kind_idx ON @extschema@.warning (kind, raised_at);

-- Raise a warning unless an open one of the same subject, kind and topic exists
-- or the kind is disabled; returns the new warning's id or NULL.
CREATE FUNCTION @extschema@.raise_warning(subject_id bigint, kind text, details jsonb DEFAULT '{}',
                                           topic text DEFAULT '', level text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    r  @extschema@.warning_rule;
    id bigint;
BEGIN
    SELECT * INTO r FROM @extschema@.warning_rule w WHERE w.kind = raise_warning.kind;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'warning kind "%" does not exist', @extschema@.clip(raise_warning.kind)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Warning kinds are rows of credit.warning_rule.';
    END IF;
    IF NOT r.enabled THEN
        RETURN NULL;
    END IF;
    INSERT INTO @extschema@.warning AS w (subject_id, kind, level, details, topic)
    VALUES (raise_warning.subject_id, r.kind, coalesce(raise_warning.level, r.level),
            coalesce(raise_warning.details, '{}'), coalesce(raise_warning.topic, ''))
    ON CONFLICT (subject_id, kind, topic) WHERE resolved_at IS NULL DO NOTHING
    RETURNING w.id INTO id;
    RETURN id;
END
$$;
COMMENT ON FUNCTION @extschema@.raise_warning(bigint, text, jsonb, text, text) IS
    'Raise a warning on a subject (level from credit.warning_rule unless given); NULL when an open warning of the same subject, kind and topic exists or the kind is disabled; 22023 for a kind credit.warning_rule does not have';

-- Logging grade changes (one rule for the fold, re-anchoring and evaluation
-- runs): a credit.grade_change row per change, NOTIFY credit_grade_change
-- with the change's id, model and cause (no subject, no grades: any role that
-- can connect may LISTEN; a listener with the right to read the change reads
-- it by id), and a grade_drop warning when the grade fell by at least the
-- rule's threshold.  Rows are written in (subject, model) order, so
-- concurrent callers never wait for each other in a cycle.  Returns how many
-- changes were logged.
CREATE FUNCTION @extschema@.log_grade_changes(subjects bigint[], models text[],
                                             old_grades text[], new_grades text[],
                                             old_scores double precision[], new_scores double precision[],
                                             record_ids bigint[], causes text[])
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
-- PL/pgSQL, not SQL: its statement's plan is kept for the session (the fold
-- calls it at every commit that changes a grade).
DECLARE
    n bigint;
    i integer;
    drop_rule record;
    drop_by integer;
BEGIN
    -- On a Citus worker (the fold of a shard's records, one subject at a
    -- time) each row is inserted by a statement of its own, which Citus
    -- routes to the subject's shard and runs there: the statement below
    -- would run its parts through intermediate results, which fail inside
    -- the shard's distributed transaction.  Nothing is notified there (the
    -- worker's transaction may be prepared).
    IF @extschema@.on_citus_worker() THEN
        SELECT r.kind, r.level, COALESCE(r.threshold, 1) AS threshold INTO drop_rule
          FROM @extschema@.warning_rule r
         WHERE r.kind OPERATOR(pg_catalog.=) 'grade_drop' AND r.enabled;
        n := COALESCE(pg_catalog.array_length(subjects, 1), 0);
        FOR i IN 1 .. n LOOP
            INSERT INTO @extschema@.grade_change
                   (subject_id, model, old_grade, new_grade, old_score, new_score, record_id, cause)
            VALUES (subjects[i], models[i], old_grades[i], new_grades[i], old_scores[i], new_scores[i],
                    NULLIF(record_ids[i], 0), causes[i]);
            CONTINUE WHEN drop_rule.kind IS NULL;
            SELECT gn.rank OPERATOR(pg_catalog.-) go.rank INTO drop_by
              FROM @extschema@.model_grade go, @extschema@.model_grade gn
             WHERE go.model OPERATOR(pg_catalog.=) models[i] AND go.grade OPERATOR(pg_catalog.=) old_grades[i]
               AND gn.model OPERATOR(pg_catalog.=) models[i] AND gn.grade OPERATOR(pg_catalog.=) new_grades[i];
            IF drop_by OPERATOR(pg_catalog.>=) drop_rule.threshold THEN
                INSERT INTO @extschema@.warning (subject_id, kind, level, details, topic)
                VALUES (subjects[i], drop_rule.kind, drop_rule.level,
                        pg_catalog.jsonb_build_object('model', models[i], 'old_grade', old_grades[i],
                                                      'new_grade', new_grades[i], 'old_score', old_scores[i],
                                                      'new_score', new_scores[i], 'cause', causes[i]),
                        models[i])
                ON CONFLICT (subject_id, kind, topic) WHERE resolved_at IS NULL DO NOTHING;
            END IF;
        END LOOP;
        RETURN n;
    END IF;
    WITH u AS (
        SELECT u.s, u.m, u.og, u.ng, u.os, u.ns, u.rid, u.ca,
               gn.rank OPERATOR(pg_catalog.-) go.rank AS drop_by
          FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),
                          pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6),
                          pg_catalog.unnest($7), pg_catalog.unnest($8)) AS u(s, m, og, ng, os, ns, rid, ca)
          LEFT JOIN @extschema@.model_grade go
                 ON go.model OPERATOR(pg_catalog.=) u.m AND go.grade OPERATOR(pg_catalog.=) u.og
          LEFT JOIN @extschema@.model_grade gn
                 ON gn.model OPERATOR(pg_catalog.=) u.m AND gn.grade OPERATOR(pg_catalog.=) u.ng
    ), gc AS (
        INSERT INTO @extschema@.grade_change
               (subject_id, model, old_grade, new_grade, old_score, new_score, record_id, cause)
        SELECT u.s, u.m, u.og, u.ng, u.os, u.ns, NULLIF(u.rid, 0), u.ca
          FROM u ORDER BY u.s, u.m COLLATE pg_catalog."C"
        RETURNING id, model, cause
    ), wd AS (
        INSERT INTO @extschema@.warning (subject_id, kind, level, details, topic)
        SELECT u.s, r.kind, r.level,
               pg_catalog.jsonb_build_object('model', u.m, 'old_grade', u.og, 'new_grade', u.ng,
                                             'old_score', u.os, 'new_score', u.ns, 'cause', u.ca),
               u.m
          FROM u JOIN @extschema@.warning_rule r
                   ON r.kind OPERATOR(pg_catalog.=) 'grade_drop' AND r.enabled
         WHERE u.drop_by OPERATOR(pg_catalog.>=) COALESCE(r.threshold, 1)
         ORDER BY u.s, u.m COLLATE pg_catalog."C"
        ON CONFLICT (subject_id, kind, topic) WHERE resolved_at IS NULL DO NOTHING
    )
    SELECT pg_catalog.count(*) INTO n
      FROM (SELECT pg_catalog.pg_notify('credit_grade_change',
                       pg_catalog.json_build_object('id', gc.id, 'model', gc.model, 'cause', gc.cause)::pg_catalog.text)
              FROM gc ORDER BY gc.id) notified;
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.log_grade_changes(bigint[], text[], text[], text[], double precision[],
                                                     double precision[], bigint[], text[]) FROM PUBLIC;
-- (administrators run evaluations, whose grade changes it logs)
GRANT EXECUTE ON FUNCTION @extschema@.log_grade_changes(bigint[], text[], text[], text[], double precision[],
                                                        double precision[], bigint[], text[]) TO credit_admin;
COMMENT ON FUNCTION @extschema@.log_grade_changes(bigint[], text[], text[], text[], double precision[],
                                                  double precision[], bigint[], text[]) IS
    'Log grade changes (arrays by position: subject, model, old and new grade and score, record, cause): a credit.grade_change row each, NOTIFY credit_grade_change with {"id", "model", "cause"} (no personal data), and grade_drop warnings per credit.warning_rule; on a Citus worker (the fold of its shards) each row by a statement of its own, routed to the subject''s shard, and nothing notified; returns the number logged';

-- Close an open warning.
CREATE FUNCTION @extschema@.resolve_warning(id bigint, note text DEFAULT NULL) RETURNS boolean
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH w AS (
        UPDATE @extschema@.warning w
           SET resolved_at = pg_catalog.now(),
               details = CASE WHEN note IS NULL THEN w.details
                              ELSE w.details || pg_catalog.jsonb_build_object('resolution', note) END
         WHERE w.id = resolve_warning.id AND w.resolved_at IS NULL
        RETURNING 1)
    SELECT pg_catalog.count(*) > 0 FROM w
$$;
COMMENT ON FUNCTION @extschema@.resolve_warning(bigint, text) IS
    'Resolve (close) an open warning, with an optional note kept in its details; false when it was not open';

-- BI: warnings by kind and level.
CREATE VIEW @extschema@.v_warning_summary AS
    SELECT r.kind, coalesce(w.level, r.level) AS level,
           count(w.id) FILTER (WHERE w.resolved_at IS NULL) AS open_warnings,
           count(w.id) FILTER (WHERE w.resolved_at IS NOT NULL) AS resolved_warnings,
           count(DISTINCT w.subject_id) FILTER (WHERE w.resolved_at IS NULL) AS subjects_open,
           max(w.raised_at) AS last_raised_at,
           r.enabled,
           min(w.raised_at) FILTER (WHERE w.resolved_at IS NULL) AS oldest_open_at,
           round((avg(extract(epoch FROM w.resolved_at - w.raised_at))
                  FILTER (WHERE w.resolved_at IS NOT NULL) / 86400)::numeric, 1) AS mean_days_to_resolve
      FROM @extschema@.warning_rule r
      LEFT JOIN @extschema@.warning w ON w.kind = r.kind
     GROUP BY r.kind, coalesce(w.level, r.level), r.enabled;
COMMENT ON VIEW @extschema@.v_warning_summary IS
    'Credit warnings (信用预警) by kind and level: how many are open and resolved, on how many subjects, and the latest';
COMMENT ON COLUMN @extschema@.v_warning_summary.kind IS 'Warning kind (credit.warning_rule)';
COMMENT ON COLUMN @extschema@.v_warning_summary.level IS 'Level: low, medium or high';
COMMENT ON COLUMN @extschema@.v_warning_summary.open_warnings IS 'Warnings not yet resolved';
COMMENT ON COLUMN @extschema@.v_warning_summary.resolved_warnings IS 'Warnings resolved';
COMMENT ON COLUMN @extschema@.v_warning_summary.subjects_open IS 'Subjects with at least one open warning of the kind and level';
COMMENT ON COLUMN @extschema@.v_warning_summary.last_raised_at IS 'When the latest warning of the kind and level was raised (NULL: never)';
COMMENT ON COLUMN @extschema@.v_warning_summary.enabled IS 'Whether the kind is raised at present';
COMMENT ON COLUMN @extschema@.v_warning_summary.oldest_open_at IS 'When the oldest warning still open was raised (NULL: none open): how long the backlog has waited';
COMMENT ON COLUMN @extschema@.v_warning_summary.mean_days_to_resolve IS 'Mean days from raising to resolution of the resolved warnings (NULL: none resolved)';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.grade_change', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.warning', '');

GRANT SELECT ON @extschema@.grade_change, @extschema@.warning, @extschema@.warning_rule,
    @extschema@.v_warning_summary TO credit_analyst;
-- Administrators configure warnings and resolve them; grade changes are
-- written by the platform's code (and by evaluation runs they start), never
-- changed afterwards.
GRANT SELECT, INSERT ON @extschema@.grade_change TO credit_admin;
GRANT SELECT, INSERT, UPDATE ON @extschema@.warning TO credit_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.warning_rule TO credit_admin;
GRANT SELECT ON @extschema@.v_warning_summary TO credit_admin;
REVOKE ALL ON FUNCTION @extschema@.raise_warning(bigint, text, jsonb, text, text),
    @extschema@.resolve_warning(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.raise_warning(bigint, text, jsonb, text, text),
    @extschema@.resolve_warning(bigint, text) TO credit_admin;
