-- Evaluation runs, their history, each subject's current grade, scheduling
-- and the BI views over grades (docs/evaluation.md).

CREATE TABLE @extschema@.evaluation_run (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model        text NOT NULL REFERENCES @extschema@.model (code) ON UPDATE CASCADE ON DELETE CASCADE,
    as_of        date NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    finished_at  timestamptz,
    subjects     bigint,
    started_by   name NOT NULL DEFAULT session_user
);
COMMENT ON TABLE @extschema@.evaluation_run IS
    'One row per credit.run_evaluation call (评价批次): model, evaluation date, timing and number of subjects evaluated';
CREATE INDEX evaluation_run_model_idx ON @extschema@.evaluation_run (model, id);

CREATE TABLE @extschema@.evaluation (
    run_id      bigint NOT NULL REFERENCES @extschema@.evaluation_run (id) ON DELETE CASCADE,
    subject_id  bigint NOT NULL,
    model       text NOT NULL,
    score       numeric NOT NULL CONSTRAINT evaluation_score_finite
                CHECK (score > '-Infinity'::pg_catalog.numeric AND score < 'Infinity'::pg_catalog.numeric),
    grade       text,
    dimensions  jsonb NOT NULL,
    PRIMARY KEY (run_id, subject_id)
);
COMMENT ON TABLE @extschema@.evaluation IS
    'Evaluation history (评价结果): score, grade and dimension totals of every subject in scope, per run';
CREATE INDEX evaluation_subject_idx ON @extschema@.evaluation (subject_id, model);

CREATE TABLE @extschema@.subject_grade (
    subject_id  bigint NOT NULL REFERENCES @extschema@.subject (id) ON DELETE CASCADE,
    model       text NOT NULL REFERENCES @extschema@.model (code) ON UPDATE CASCADE ON DELETE CASCADE,
    score       numeric NOT NULL CONSTRAINT subject_grade_score_finite
                CHECK (score > '-Infinity'::pg_catalog.numeric AND score < 'Infinity'::pg_catalog.numeric),
    grade       text,
    state       bytea NOT NULL,
    anchor      date NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    run_id      bigint,
    listed      boolean NOT NULL DEFAULT true,
    PRIMARY KEY (subject_id, model)
) WITH (fillfactor = 70);   -- room for HOT updates: every fold rewrites its rows in place
COMMENT ON TABLE @extschema@.subject_grade IS
    'Each subject''s current grade per model (当前信用等级), exact as of anchor; state is the evaluation state (evalstate.h binary form) that incremental evaluation folds new records into';
COMMENT ON COLUMN @extschema@.subject_grade.state IS 'Evaluation state: per-item decayed sums and counts anchored at anchor (see credit.evalstate_result)';
COMMENT ON COLUMN @extschema@.subject_grade.anchor IS 'Date the state and the grade are exact for';
COMMENT ON COLUMN @extschema@.subject_grade.run_id IS 'Run that last wrote the row in full (NULL: written by incremental evaluation)';
COMMENT ON COLUMN @extschema@.subject_grade.listed IS
    'Whether the subject may be on a list (false: it has no active list entry and no active record of a list''s catalogue item, so credit.check and credit.measures_for need not read its listings): set by whatever can make a listing (a resolved entry, a record of a list item, a list given an item), true for a new row, cleared only by credit.refresh_listed; derived from every unit''s rows, so not granted to units';
CREATE INDEX subject_grade_model_idx ON @extschema@.subject_grade (model, grade);

-- The evaluation lock of a model: held exclusively by a run while it reads the
-- records and writes the grades, shared by every fold of the model.
CREATE FUNCTION @extschema@.lock_evaluation(model text) RETURNS void
    AS 'MODULE_PATHNAME', 'credit_lock_evaluation' LANGUAGE C VOLATILE STRICT;
REVOKE ALL ON FUNCTION @extschema@.lock_evaluation(text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.lock_evaluation(text) IS
    'Take a model''s evaluation lock exclusively until the end of the transaction: credit.run_evaluation holds it while it evaluates the model, and the folds of the model wait for it (no fold is lost under a run)';

-- An industry grade is a credit record the comprehensive models count; it
-- replaces the previous grade record of the same model (one rule for runs and
-- the fold).  With expire_model set (a run of that model), every active grade
-- record of the model is expired first; otherwise those of the given pairs.
-- The new records are dated decided_on and fire the record triggers.
CREATE FUNCTION @extschema@.replace_industry_grades(subjects bigint[], models text[], grades text[],
                                                   scores double precision[], run_id bigint,
                                                   decided_on date, expire_model text)
RETURNS bigint
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH u AS (
        SELECT u.s, u.m, u.g, u.sc
          FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),
                          pg_catalog.unnest($4)) AS u(s, m, g, sc)
    ), expired AS (
        UPDATE @extschema@.record r SET status = 'expired'
         WHERE r.status OPERATOR(pg_catalog.=) 'active'
           AND r.item_code IN (SELECT c.code FROM @extschema@.catalog_item c
                                WHERE c.category OPERATOR(pg_catalog.=) 'industry_grade')
           AND CASE WHEN $7 IS NOT NULL THEN (r.details OPERATOR(pg_catalog.->>) 'model') OPERATOR(pg_catalog.=) $7
                    ELSE EXISTS (SELECT 1 FROM u
                                  WHERE u.s OPERATOR(pg_catalog.=) r.subject_id
                                    AND u.m OPERATOR(pg_catalog.=) (r.details OPERATOR(pg_catalog.->>) 'model')) END
        RETURNING 1
    ), added AS (
        INSERT INTO @extschema@.record (subject_id, item_code, department, document_no, decided_on, value, details)
        SELECT u.s, c.code, 'platform',
               CASE WHEN $5 IS NULL THEN 'incremental evaluation'
                    ELSE 'evaluation run ' OPERATOR(pg_catalog.||) $5 END,
               $6, 1,
               pg_catalog.jsonb_build_object('model', u.m, 'industry', md.scope, 'grade', u.g,
                                             'score', u.sc, 'run_id', $5)
          FROM u
          JOIN @extschema@.model md ON md.code OPERATOR(pg_catalog.=) u.m
          JOIN @extschema@.catalog_item c
            ON c.code OPERATOR(pg_catalog.=) ('industry_grade_' OPERATOR(pg_catalog.||) pg_catalog.lower(u.g))
         ORDER BY u.s, u.m COLLATE pg_catalog."C"
        RETURNING 1
    )
    SELECT pg_catalog.count(*) FROM added
$$;
REVOKE ALL ON FUNCTION @extschema@.replace_industry_grades(bigint[], text[], text[], double precision[], bigint, date, text)
    FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.replace_industry_grades(bigint[], text[], text[], double precision[], bigint, date, text) IS
    'Write industry grades as credit records (industry_grade_<grade>) that the comprehensive models count, expiring the grade records they replace (of the given subject and model pairs, or every one of expire_model); returns the number of records written';

-- Evaluate every subject in a model's scope with one parallel scan of the records.
CREATE FUNCTION @extschema@.run_evaluation(model text, as_of date DEFAULT CURRENT_DATE) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off   -- compiling the run's large plans costs more than it saves
AS $$
#variable_conflict use_column
DECLARE
    m      @extschema@.model;
    run    bigint;
    n      bigint;  changed bigint;  finished timestamptz;
    hashagg text := current_setting('enable_hashagg');
BEGIN
    SELECT * INTO m FROM @extschema@.model md WHERE md.code = run_evaluation.model;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'evaluation model "%" does not exist', run_evaluation.model
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Models are rows of credit.model.';
    END IF;
    IF as_of IS NULL OR NOT pg_catalog.isfinite(as_of) OR as_of > CURRENT_DATE THEN
        RAISE EXCEPTION 'cannot run an evaluation as of %', coalesce(@extschema@.iso_date(as_of), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'as_of must be a finite date not later than the current date.';
    END IF;
    -- one run of a model at a time
    PERFORM @extschema@.lock_evaluation(m.code);

    INSERT INTO @extschema@.evaluation_run (model, as_of) VALUES (m.code, run_evaluation.as_of) RETURNING id INTO run;

    -- The core query: every record read once, folded by the parallel C aggregate
    -- in subject order (the covering record_subject_idx): hashing the states of
    -- all subjects instead costs a cache miss or two per record.
    IF to_regclass('pg_temp.credit_evaluation_state') IS NOT NULL THEN
        DROP TABLE pg_temp.credit_evaluation_state;
    END IF;
    -- Sorted input only when the table is mostly all-visible (vacuumed):
    -- otherwise the index-only scan visits the heap for each record and
    -- hashing wins.
    IF (SELECT c.relallvisible >= 0.9 * c.relpages FROM pg_catalog.pg_class c
         WHERE c.oid = '@extschema@.record'::pg_catalog.regclass) THEN
        PERFORM set_config('enable_hashagg', 'off', true);
    END IF;
    EXECUTE format($q$
        CREATE TEMP TABLE credit_evaluation_state ON COMMIT DROP AS
        SELECT r.subject_id,
               @extschema@.evaluate_agg(%1$L, %2$L::date, r.item_code, r.decided_on, r.value, r.status) AS state
          FROM @extschema@.record r
         GROUP BY r.subject_id$q$, m.code, as_of);   -- the aggregate skips inactive and later records itself
    PERFORM set_config('enable_hashagg', hashagg, true);

    -- Finalized once per subject in scope (subjects without records: the base score).
    IF to_regclass('pg_temp.credit_evaluation_result') IS NOT NULL THEN
        DROP TABLE pg_temp.credit_evaluation_result;
    END IF;
    CREATE TEMP TABLE credit_evaluation_result ON COMMIT DROP AS
    SELECT s.id AS subject_id, coalesce(st.state, @extschema@.evalstate_empty(m.code, run_evaluation.as_of)) AS state,
           e.score, e.grade, e.dimensions
      FROM @extschema@.subject s
      LEFT JOIN pg_temp.credit_evaluation_state st ON st.subject_id = s.id
      CROSS JOIN LATERAL @extschema@.evalstate_result(m.code, st.state, run_evaluation.as_of) e
     WHERE @extschema@.subject_in_scope(s.kind, s.industries, m.subject_kinds, m.scope);
    ANALYZE pg_temp.credit_evaluation_result;

    INSERT INTO @extschema@.evaluation (run_id, subject_id, model, score, grade, dimensions)
    SELECT run, res.subject_id, m.code, res.score, res.grade, res.dimensions
      FROM pg_temp.credit_evaluation_result res ORDER BY res.subject_id;
    GET DIAGNOSTICS n = ROW_COUNT;

    -- Current grades: one set-based UPDATE of the rows that exist (no
    -- speculative insertion per row), then the subjects that have none yet
    -- (a row written meanwhile by the record triggers is updated instead).
    -- A row already exact for a later date is left alone.
    -- The grades it changes are logged (credit.log_grade_changes, cause
    -- 'evaluation'); the old values are read from the same snapshot, which no
    -- fold changes while the run holds the model's evaluation lock.
    WITH u AS (
        UPDATE @extschema@.subject_grade g
           SET score = res.score, grade = res.grade, state = res.state,
               anchor = run_evaluation.as_of, updated_at = pg_catalog.now(), run_id = run
          FROM pg_temp.credit_evaluation_result res
          JOIN @extschema@.subject_grade o ON o.subject_id = res.subject_id AND o.model = m.code
         WHERE g.subject_id = res.subject_id AND g.model = m.code
           AND g.anchor <= run_evaluation.as_of
        RETURNING g.subject_id, o.grade AS old_grade, g.grade AS new_grade, o.score AS old_score, g.score AS new_score
    )
    SELECT @extschema@.log_grade_changes(pg_catalog.array_agg(u.subject_id), pg_catalog.array_agg(m.code),
                                         pg_catalog.array_agg(u.old_grade), pg_catalog.array_agg(u.new_grade),
                                         pg_catalog.array_agg(u.old_score::pg_catalog.float8),
                                         pg_catalog.array_agg(u.new_score::pg_catalog.float8),
                                         pg_catalog.array_agg(NULL::bigint),
                                         pg_catalog.array_agg('evaluation'::pg_catalog.text))
      INTO changed
      FROM u WHERE u.new_grade IS DISTINCT FROM u.old_grade
    HAVING pg_catalog.count(*) > 0;
    -- Then the subjects without a row.  On Citus the sub-query that skips
    -- the others is left out (a local table and a correlated sub-query on a
    -- distributed table are not planned together): the rows that exist are
    -- then updated again, to the same values, by the conflict clause.
    EXECUTE format($q$
        INSERT INTO @extschema@.subject_grade AS g (subject_id, model, score, grade, state, anchor, updated_at, run_id)
        SELECT res.subject_id, $1, res.score, res.grade, res.state, $2, pg_catalog.now(), $3
          FROM pg_temp.credit_evaluation_result res
         %s
         ORDER BY res.subject_id
        ON CONFLICT (subject_id, model) DO UPDATE
           SET score = EXCLUDED.score, grade = EXCLUDED.grade, state = EXCLUDED.state,
               anchor = EXCLUDED.anchor, updated_at = EXCLUDED.updated_at, run_id = EXCLUDED.run_id
         WHERE g.anchor <= EXCLUDED.anchor$q$,
        CASE WHEN NOT @extschema@.distributed() THEN
            'WHERE NOT EXISTS (SELECT 1 FROM @extschema@.subject_grade x
                                WHERE x.subject_id = res.subject_id AND x.model = $1)' END)
      USING m.code, run_evaluation.as_of, run;

    -- subjects that left the model's scope have no current grade under it
    DELETE FROM @extschema@.subject_grade g
     WHERE g.model = m.code
       AND NOT EXISTS (SELECT 1 FROM @extschema@.evaluation e WHERE e.run_id = run AND e.subject_id = g.subject_id);

    -- An industry grade is a credit record the comprehensive models count;
    -- it replaces the previous grade of the same model.
    IF m.scope <> 'comprehensive' THEN
        PERFORM @extschema@.replace_industry_grades(pg_catalog.array_agg(e.subject_id ORDER BY e.subject_id),
                                                    pg_catalog.array_agg(m.code), pg_catalog.array_agg(e.grade ORDER BY e.subject_id),
                                                    pg_catalog.array_agg(e.score::pg_catalog.float8 ORDER BY e.subject_id),
                                                    run, run_evaluation.as_of, m.code)
           FROM @extschema@.evaluation e WHERE e.run_id = run;
    END IF;

    -- the time taken first: Citus refuses a volatile function in an UPDATE
    -- of a reference table
    finished := clock_timestamp();
    UPDATE @extschema@.evaluation_run SET finished_at = finished, subjects = n WHERE id = run;
    DROP TABLE pg_temp.credit_evaluation_state;
    DROP TABLE pg_temp.credit_evaluation_result;
    RETURN run;
END
$$;
COMMENT ON FUNCTION @extschema@.run_evaluation(text, date) IS
    'Evaluate every subject in a model''s scope as of a date (subjects without records get the base score): appends credit.evaluation, refreshes credit.subject_grade, writes industry grades as records for industry models; returns the run id';

-- A clear error, with the steps to take, when pg_cron is not installed here.
CREATE FUNCTION @extschema@.require_pg_cron(why text) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in this database'
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = why,
                  HINT = 'Install postgresql-15-cron, set shared_preload_libraries = ''pg_cron'' and cron.database_name to this database, restart the server, then run CREATE EXTENSION pg_cron.';
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.require_pg_cron(text) IS
    'Raises feature_not_supported (with the steps to install pg_cron) unless pg_cron is installed in this database; why is the error detail';

-- Why pg_cron could not start this server's jobs, or NULL: without
-- background workers a job is a client connection to cron.host, which the
-- server must listen on.
CREATE FUNCTION @extschema@.cron_problem() RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    workers text := pg_catalog.current_setting('cron.use_background_workers', true);
    host text := pg_catalog.current_setting('cron.host', true);
    sockets text[];
BEGIN
    IF workers IS NULL OR workers = 'on' OR host IS NULL THEN
        RETURN NULL;
    END IF;
    IF pg_catalog.left(host, 1) = '/' THEN
        sockets := pg_catalog.regexp_split_to_array(
            pg_catalog.current_setting('unix_socket_directories'), '\s*,\s*');
        IF pg_catalog.rtrim(host, '/') = ANY (SELECT pg_catalog.rtrim(pg_catalog.btrim(d), '/') FROM pg_catalog.unnest(sockets) d) THEN
            RETURN NULL;
        END IF;
        RETURN pg_catalog.format('pg_cron connects to the socket directory cron.host = %L, but the server''s sockets are in %L',
                                 host, pg_catalog.current_setting('unix_socket_directories'));
    END IF;
    IF pg_catalog.btrim(pg_catalog.current_setting('listen_addresses')) = '' THEN
        RETURN pg_catalog.format('pg_cron connects to cron.host = %L over TCP, but the server listens on no TCP address (listen_addresses is empty)', host);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.cron_problem() IS
    'Why pg_cron''s jobs could not connect to this server as it is configured (cron.use_background_workers off and cron.host not a socket or address the server listens on), or NULL';

-- Schedule one of the platform's pg_cron jobs: a job of that name (of the
-- current user) is unscheduled first, so the new one runs here, active,
-- with the connection settings of now (pg_cron's own upsert by name keeps
-- an old job's database, host and active flag).
CREATE FUNCTION @extschema@.schedule_job(jobname text, schedule text, command text) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    problem text := @extschema@.cron_problem();
    job bigint;
BEGIN
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'pg_cron could not run the job % on this server', jobname
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = problem || '.',
                  HINT = 'Set cron.use_background_workers = on in postgresql.conf and restart the server (docs/scheduling.md).';
    END IF;
    EXECUTE 'SELECT pg_catalog.count(cron.unschedule(j.jobid)) FROM cron.job j
              WHERE j.jobname OPERATOR(pg_catalog.=) $1 AND j.username OPERATOR(pg_catalog.=) CURRENT_USER'
        USING jobname;
    EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job USING jobname, schedule, command;
    RETURN job;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.schedule_job(text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.schedule_job(text, text, text) IS
    'Schedule a pg_cron job of the platform, replacing the current user''s job of that name; refuses (55000) when pg_cron could not connect to run it (credit.cron_problem); returns the job id';

-- Schedule a model's evaluation with pg_cron.
CREATE FUNCTION @extschema@.schedule_evaluation(model text, schedule text) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.require_pg_cron('credit.schedule_evaluation runs evaluations as pg_cron jobs.');
    IF NOT EXISTS (SELECT 1 FROM @extschema@.model md WHERE md.code = schedule_evaluation.model) THEN
        RAISE EXCEPTION 'evaluation model "%" does not exist', schedule_evaluation.model
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Models are rows of credit.model.';
    END IF;
    RETURN @extschema@.schedule_job('credit_evaluation_' || schedule_evaluation.model, schedule,
                                    pg_catalog.format('SELECT @extschema@.run_evaluation(%L)', schedule_evaluation.model));
END
$$;
COMMENT ON FUNCTION @extschema@.schedule_evaluation(text, text) IS
    'Run credit.run_evaluation(model) on a cron schedule (pg_cron job named credit_evaluation_<model>, replaced if it exists; schedules in UTC with pg_cron 1.4); returns the job id';

-- The platform's pg_cron jobs with their last run: what a DBA checks the
-- morning after.  Read with the caller's rights: pg_cron shows a role its
-- own jobs (a superuser all).
CREATE FUNCTION @extschema@.scheduled_jobs()
RETURNS TABLE(jobid bigint, jobname text, schedule text, command text, database text, username text,
              active boolean, last_start timestamptz, last_end timestamptz, last_status text,
              last_message text, runs bigint, failed_runs bigint, problem text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE $q$
        SELECT j.jobid, j.jobname::pg_catalog.text, j.schedule, j.command, j.database::pg_catalog.text,
               j.username::pg_catalog.text, j.active, r.start_time, r.end_time, r.status::pg_catalog.text,
               r.return_message, n.runs, n.failed,
               CASE WHEN NOT j.active THEN 'inactive: schedule it again'
                    WHEN j.database OPERATOR(pg_catalog.<>) pg_catalog.current_database()
                        THEN pg_catalog.format('runs in database %s: schedule it again in this one', j.database)
                    WHEN r.status OPERATOR(pg_catalog.=) 'failed'
                        THEN COALESCE(@extschema@.cron_problem(), 'the last run failed: see last_message')
               END
          FROM cron.job j
          LEFT JOIN LATERAL (
                SELECT d.start_time, d.end_time, d.status, d.return_message
                  FROM cron.job_run_details d
                 WHERE d.jobid OPERATOR(pg_catalog.=) j.jobid
                 ORDER BY d.runid DESC LIMIT 1) r ON true
          LEFT JOIN LATERAL (
                SELECT pg_catalog.count(*) AS runs,
                       pg_catalog.count(*) FILTER (WHERE d.status OPERATOR(pg_catalog.=) 'failed') AS failed
                  FROM cron.job_run_details d
                 WHERE d.jobid OPERATOR(pg_catalog.=) j.jobid) n ON true
         WHERE j.jobname LIKE 'credit\_%'
         ORDER BY j.jobname, j.jobid
    $q$;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.scheduled_jobs() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.scheduled_jobs() IS
    'The platform''s pg_cron jobs (names credit_*) with their last run and its outcome; empty without pg_cron; a role sees the jobs pg_cron shows it (its own; a superuser all)';

CREATE VIEW @extschema@.v_scheduled_job AS SELECT * FROM @extschema@.scheduled_jobs();
COMMENT ON VIEW @extschema@.v_scheduled_job IS
    'The platform''s scheduled jobs (pg_cron: evaluations, re-anchoring, list expiry) with their last run and outcome';
COMMENT ON COLUMN @extschema@.v_scheduled_job.jobid IS 'pg_cron job id (cron.job.jobid)';
COMMENT ON COLUMN @extschema@.v_scheduled_job.jobname IS 'job name: credit_evaluation_<model>, credit_reanchor, credit_list_expiry';
COMMENT ON COLUMN @extschema@.v_scheduled_job.schedule IS 'cron schedule (minute hour day month weekday; UTC with pg_cron 1.4)';
COMMENT ON COLUMN @extschema@.v_scheduled_job.command IS 'the SQL the job runs';
COMMENT ON COLUMN @extschema@.v_scheduled_job.database IS 'database the job runs in';
COMMENT ON COLUMN @extschema@.v_scheduled_job.username IS 'role the job runs as';
COMMENT ON COLUMN @extschema@.v_scheduled_job.active IS 'false: pg_cron does not run the job';
COMMENT ON COLUMN @extschema@.v_scheduled_job.last_start IS 'start of the last run (NULL: never ran)';
COMMENT ON COLUMN @extschema@.v_scheduled_job.last_end IS 'end of the last run';
COMMENT ON COLUMN @extschema@.v_scheduled_job.last_status IS 'outcome of the last run: succeeded, failed, or starting / running while it runs';
COMMENT ON COLUMN @extschema@.v_scheduled_job.last_message IS 'what the last run returned: the command tag, or the error (e.g. connection failed)';
COMMENT ON COLUMN @extschema@.v_scheduled_job.runs IS 'runs logged in cron.job_run_details';
COMMENT ON COLUMN @extschema@.v_scheduled_job.failed_runs IS 'of those, runs that failed';
COMMENT ON COLUMN @extschema@.v_scheduled_job.problem IS 'what to do about the job, when something is wrong: inactive, scheduled in another database, or why its last run failed';

CREATE FUNCTION @extschema@.unschedule_evaluation(model text) RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    done boolean;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in this database'
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Nothing can be scheduled without pg_cron: see credit.schedule_evaluation.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM cron.job WHERE jobname = 'credit_evaluation_' || unschedule_evaluation.model) THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT cron.unschedule($1)' INTO done USING 'credit_evaluation_' || unschedule_evaluation.model;
    RETURN done;
END
$$;
COMMENT ON FUNCTION @extschema@.unschedule_evaluation(text) IS
    'Remove the pg_cron job of credit.schedule_evaluation(model); false when there was none';

-- BI: grade distribution of each model's latest run.
CREATE VIEW @extschema@.v_grade_distribution AS
    WITH latest AS (
        SELECT DISTINCT ON (r.model) r.model, r.id, r.as_of
          FROM @extschema@.evaluation_run r
         WHERE r.finished_at IS NOT NULL
         ORDER BY r.model, r.id DESC
    ), counts AS (
        SELECT e.run_id, e.grade, count(*) AS n
          FROM @extschema@.evaluation e JOIN latest l ON l.id = e.run_id
         GROUP BY e.run_id, e.grade
    )
    SELECT l.model, g.grade, coalesce(c.n, 0) AS subjects,
           round(coalesce(c.n, 0)::numeric / NULLIF(sum(coalesce(c.n, 0)) OVER (PARTITION BY l.model), 0), 4) AS share,
           l.id AS run, l.as_of, g.rank
      FROM latest l
      JOIN @extschema@.model_grade g ON g.model = l.model
      LEFT JOIN counts c ON c.run_id = l.id AND c.grade = g.grade;
COMMENT ON VIEW @extschema@.v_grade_distribution IS
    'Grade distribution (信用等级分布) of the latest finished run of each model';
COMMENT ON COLUMN @extschema@.v_grade_distribution.model IS 'Evaluation model code';
COMMENT ON COLUMN @extschema@.v_grade_distribution.grade IS 'Grade of the model';
COMMENT ON COLUMN @extschema@.v_grade_distribution.subjects IS 'Number of subjects with that grade in the run';
COMMENT ON COLUMN @extschema@.v_grade_distribution.share IS 'Share of the run''s subjects with that grade (0 to 1)';
COMMENT ON COLUMN @extschema@.v_grade_distribution.run IS 'Run id (credit.evaluation_run)';
COMMENT ON COLUMN @extschema@.v_grade_distribution.as_of IS 'Evaluation date of the run';
COMMENT ON COLUMN @extschema@.v_grade_distribution.rank IS 'Rank of the grade (1 is best), for ordering';

-- BI: grade movements between the last two runs of each model.
CREATE VIEW @extschema@.v_grade_movement AS
    WITH ranked AS (
        SELECT r.model, r.id, r.as_of, row_number() OVER (PARTITION BY r.model ORDER BY r.id DESC) AS k
          FROM @extschema@.evaluation_run r
         WHERE r.finished_at IS NOT NULL
    ), pair AS (
        SELECT cur.model, prev.id AS previous_run, cur.id AS run
          FROM ranked cur JOIN ranked prev ON prev.model = cur.model AND prev.k = 2
         WHERE cur.k = 1
    ), moves AS (
        SELECT p.model, p.previous_run, p.run, x.from_grade, x.to_grade
          FROM pair p
          CROSS JOIN LATERAL (
              SELECT pe.grade AS from_grade, ce.grade AS to_grade
                FROM (SELECT e.subject_id, e.grade FROM @extschema@.evaluation e WHERE e.run_id = p.run) ce
                FULL JOIN (SELECT e.subject_id, e.grade FROM @extschema@.evaluation e WHERE e.run_id = p.previous_run) pe
                  ON pe.subject_id = ce.subject_id) x
    )
    SELECT mv.model, mv.previous_run, mv.run, mv.from_grade, mv.to_grade,
           CASE WHEN mv.from_grade IS NULL THEN 'new'
                WHEN mv.to_grade IS NULL THEN 'gone'
                WHEN fg.rank > tg.rank THEN 'up'
                WHEN fg.rank < tg.rank THEN 'down'
                ELSE 'same' END AS direction,
           count(*) AS subjects
      FROM moves mv
      LEFT JOIN @extschema@.model_grade fg ON fg.model = mv.model AND fg.grade = mv.from_grade
      LEFT JOIN @extschema@.model_grade tg ON tg.model = mv.model AND tg.grade = mv.to_grade
     GROUP BY 1, 2, 3, 4, 5, 6;
COMMENT ON VIEW @extschema@.v_grade_movement IS
    'Grade movements (等级变动) between the last two finished runs of each model: how many subjects went from one grade to another';
COMMENT ON COLUMN @extschema@.v_grade_movement.model IS 'Evaluation model code';
COMMENT ON COLUMN @extschema@.v_grade_movement.previous_run IS 'The earlier run';
COMMENT ON COLUMN @extschema@.v_grade_movement.run IS 'The latest run';
COMMENT ON COLUMN @extschema@.v_grade_movement.from_grade IS 'Grade in the earlier run (NULL: not evaluated then)';
COMMENT ON COLUMN @extschema@.v_grade_movement.to_grade IS 'Grade in the latest run (NULL: no longer evaluated)';
COMMENT ON COLUMN @extschema@.v_grade_movement.direction IS 'up (better grade), down (worse), same, new or gone';
COMMENT ON COLUMN @extschema@.v_grade_movement.subjects IS 'Number of subjects that moved so';

REVOKE ALL ON FUNCTION @extschema@.run_evaluation(text, date) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.schedule_evaluation(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.unschedule_evaluation(text) FROM PUBLIC;
GRANT SELECT ON @extschema@.evaluation_run, @extschema@.evaluation, @extschema@.subject_grade,
    @extschema@.v_grade_distribution, @extschema@.v_grade_movement TO credit_analyst;
-- Units read current grades, not the evaluation states: a state sums every
-- record of the subject, those of other units' market channel included.
GRANT SELECT (subject_id, model, score, grade, anchor, updated_at, run_id)
    ON @extschema@.subject_grade TO credit_department;
-- Administrators run evaluations (credit.run_evaluation runs with the caller's rights).
GRANT SELECT, INSERT, UPDATE ON @extschema@.evaluation_run TO credit_admin;
GRANT SELECT, INSERT ON @extschema@.evaluation TO credit_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.subject_grade TO credit_admin;
GRANT SELECT ON @extschema@.v_grade_distribution, @extschema@.v_grade_movement TO credit_admin;
GRANT EXECUTE ON FUNCTION @extschema@.run_evaluation(text, date), @extschema@.schedule_evaluation(text, text),
    @extschema@.unschedule_evaluation(text), @extschema@.lock_evaluation(text),
    @extschema@.replace_industry_grades(bigint[], text[], text[], double precision[], bigint, date, text)
    TO credit_admin;
-- Administrators schedule the platform's jobs and read them (the schedule
-- functions and the jobs view call these with the caller's rights).
REVOKE ALL ON FUNCTION @extschema@.cron_problem() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.cron_problem(), @extschema@.schedule_job(text, text, text),
    @extschema@.scheduled_jobs() TO credit_admin;
GRANT SELECT ON @extschema@.v_scheduled_job TO credit_admin;
