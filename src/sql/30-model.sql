-- Evaluation models as data (docs/evaluation.md): tables, their cache invalidation,
-- the evaluation state functions and the parallel aggregate.

CREATE TABLE @extschema@.model (
    code           text PRIMARY KEY CHECK (code ~ '^[a-z0-9_]{1,60}$'),
    name           text NOT NULL,
    scope          text NOT NULL DEFAULT 'comprehensive',
    subject_kinds  @extschema@.subject_kind[] NOT NULL
                   DEFAULT '{government,enterprise,individual,social_org,institution}',
    base           numeric NOT NULL DEFAULT 0
                   CONSTRAINT model_base_range CHECK (base BETWEEN -1e12 AND 1e12 AND base = pg_catalog.round(base, 12)),
    lo             numeric CONSTRAINT model_lo_range CHECK (lo BETWEEN -1e12 AND 1e12 AND lo = pg_catalog.round(lo, 12)),
    hi             numeric CONSTRAINT model_hi_range CHECK (hi BETWEEN -1e12 AND 1e12 AND hi = pg_catalog.round(hi, 12)),
    description    text,
    CHECK (lo IS NULL OR hi IS NULL OR lo <= hi)
);
COMMENT ON TABLE @extschema@.model IS
    'Evaluation models (评价模型): score = clamp(base + Σ dimension totals, lo, hi); scope ''comprehensive'' (综合评价) or an industry code (行业评价: subjects whose industries contain it)';
COMMENT ON COLUMN @extschema@.model.scope IS '''comprehensive'' or a code of credit.industry: the model evaluates the subjects of subject_kinds (and of that industry)';
COMMENT ON COLUMN @extschema@.model.base IS 'Base score (基础分) of a subject without records';
COMMENT ON COLUMN @extschema@.model.lo IS 'Lowest score (NULL: unbounded)';
COMMENT ON COLUMN @extschema@.model.hi IS 'Highest score (NULL: unbounded)';

CREATE TABLE @extschema@.model_grade (
    model      text NOT NULL REFERENCES @extschema@.model (code) ON UPDATE CASCADE ON DELETE CASCADE,
    grade      text NOT NULL,
    min_score  numeric NOT NULL CONSTRAINT model_grade_min_score_range CHECK (min_score BETWEEN -1e12 AND 1e12 AND min_score = pg_catalog.round(min_score, 12)),
    rank       integer NOT NULL CHECK (rank >= 1),
    PRIMARY KEY (model, grade),
    UNIQUE (model, rank)
);
COMMENT ON TABLE @extschema@.model_grade IS
    'Grades (信用等级) of a model: a subject gets the best-ranked grade (rank 1 is best) whose min_score its score reaches';

CREATE TABLE @extschema@.model_dimension (
    model      text NOT NULL REFERENCES @extschema@.model (code) ON UPDATE CASCADE ON DELETE CASCADE,
    dimension  text NOT NULL,
    name       text,
    weight     numeric NOT NULL DEFAULT 1
               CONSTRAINT model_dimension_weight_range CHECK (weight BETWEEN -1e6 AND 1e6 AND weight = pg_catalog.round(weight, 12)),
    lo         numeric CONSTRAINT model_dimension_lo_range CHECK (lo BETWEEN -1e12 AND 1e12 AND lo = pg_catalog.round(lo, 12)),
    hi         numeric CONSTRAINT model_dimension_hi_range CHECK (hi BETWEEN -1e12 AND 1e12 AND hi = pg_catalog.round(hi, 12)),
    PRIMARY KEY (model, dimension),
    CHECK (lo IS NULL OR hi IS NULL OR lo <= hi)
);
COMMENT ON TABLE @extschema@.model_dimension IS
    'Dimensions (评价维度) of a model: total = clamp(weight × Σ item totals, lo, hi); a dimension named only by rules has weight 1 and no bounds';

CREATE TABLE @extschema@.model_rule (
    model           text NOT NULL REFERENCES @extschema@.model (code) ON UPDATE CASCADE ON DELETE CASCADE,
    item_code       text NOT NULL REFERENCES @extschema@.catalog_item (code) ON UPDATE CASCADE,
    dimension       text NOT NULL,
    points          numeric NOT NULL CONSTRAINT model_rule_points_range CHECK (points BETWEEN -1e12 AND 1e12 AND points = pg_catalog.round(points, 12)),
    per_value       boolean NOT NULL DEFAULT false,
    half_life_days  numeric CONSTRAINT model_rule_half_life_range CHECK (half_life_days BETWEEN 0.01 AND 1e6),
    cap             numeric CONSTRAINT model_rule_cap_range CHECK (cap BETWEEN 0 AND 1e12 AND cap = pg_catalog.round(cap, 12)),
    veto_grade      text,
    PRIMARY KEY (model, item_code),
    FOREIGN KEY (model, veto_grade) REFERENCES @extschema@.model_grade (model, grade)
        ON UPDATE CASCADE
);
COMMENT ON TABLE @extschema@.model_rule IS
    'Scoring rules (评分规则): each active record of item_code dated on or before as_of adds points × (per_value ? value : 1) × 0.5^(age / half_life_days); the item total is clamped to ±cap; a counted record of a rule with veto_grade caps the grade there (一票否决)';
COMMENT ON COLUMN @extschema@.model_rule.half_life_days IS 'Half-life of a contribution in days (NULL: no decay)';
COMMENT ON COLUMN @extschema@.model_rule.cap IS 'The item total is clamped to [-cap, cap] (NULL: no cap)';
COMMENT ON COLUMN @extschema@.model_rule.veto_grade IS 'One-vote veto (一票否决): any counted record caps the grade at this grade';

-- Scope: 'comprehensive' or a known industry.
CREATE FUNCTION @extschema@.model_check_scope() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.scope <> 'comprehensive' AND NOT @extschema@.restoring() -- a restore loads models before industries
       AND NOT EXISTS (SELECT 1 FROM @extschema@.industry i WHERE i.code = NEW.scope) THEN
        RAISE EXCEPTION 'model scope "%" is neither comprehensive nor an industry', NEW.scope
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'Use ''comprehensive'' or a code of credit.industry.';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER model_check_scope BEFORE INSERT OR UPDATE OF scope ON @extschema@.model
    FOR EACH ROW EXECUTE FUNCTION @extschema@.model_check_scope();
COMMENT ON FUNCTION @extschema@.model_check_scope() IS
    'Trigger of credit.model: a scope is ''comprehensive'' or the code of a row of credit.industry';

-- Every backend's model cache is invalidated when a model table changes.
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.model
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_changed();
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.model_grade
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_changed();
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.model_dimension
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_changed();
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.model_rule
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_changed();

-- The scope rule: a model evaluates the subjects of its kinds, and an
-- industry model only those supervised under its industry.  Defined once
-- here; the fold, evaluation runs and registration all call it.  (Inlined by
-- the planner: no SET clause, every name qualified.)
CREATE FUNCTION @extschema@.subject_in_scope(kind @extschema@.subject_kind, industries text[],
                                            subject_kinds @extschema@.subject_kind[], scope text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT $1 OPERATOR(pg_catalog.=) ANY ($3)
       AND ($4 OPERATOR(pg_catalog.=) 'comprehensive' OR $4 OPERATOR(pg_catalog.=) ANY ($2))
$$;
COMMENT ON FUNCTION @extschema@.subject_in_scope(@extschema@.subject_kind, text[], @extschema@.subject_kind[], text) IS
    'Whether a subject (its kind and industries) is in the scope of a model (its subject kinds and scope): the subject is of one of the kinds, and the scope is comprehensive or one of the subject''s industries';

-- Subjects in the scope of each model.
CREATE VIEW @extschema@.model_subject AS
    SELECT m.code AS model, s.id AS subject_id
      FROM @extschema@.model m
      JOIN @extschema@.subject s
        ON @extschema@.subject_in_scope(s.kind, s.industries, m.subject_kinds, m.scope);
COMMENT ON VIEW @extschema@.model_subject IS
    'Which subjects each model evaluates: subjects of its kinds, and for an industry model only those supervised under that industry';
COMMENT ON COLUMN @extschema@.model_subject.model IS 'Model code';
COMMENT ON COLUMN @extschema@.model_subject.subject_id IS 'Subject in the model''s scope';

-- The evaluation state (evalstate.h) from SQL.
CREATE FUNCTION @extschema@.evaluate_agg_trans(internal, text, date, text, date, double precision, text)
    RETURNS internal AS 'MODULE_PATHNAME', 'credit_evaluate_agg_trans'
    LANGUAGE C STABLE PARALLEL SAFE COST 10;
CREATE FUNCTION @extschema@.evaluate_agg_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'credit_evaluate_agg_combine' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.evaluate_agg_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'credit_evaluate_agg_serialize' LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.evaluate_agg_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'credit_evaluate_agg_deserialize' LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.evaluate_agg_final(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'credit_evaluate_agg_final' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.evaluate_agg_trans(internal, text, date, text, date, double precision, text) IS
    'Transition function of credit.evaluate_agg';
COMMENT ON FUNCTION @extschema@.evaluate_agg_combine(internal, internal) IS 'Combine function of credit.evaluate_agg';
COMMENT ON FUNCTION @extschema@.evaluate_agg_serialize(internal) IS 'Serial function of credit.evaluate_agg';
COMMENT ON FUNCTION @extschema@.evaluate_agg_deserialize(bytea, internal) IS 'Deserial function of credit.evaluate_agg';
COMMENT ON FUNCTION @extschema@.evaluate_agg_final(internal) IS 'Final function of credit.evaluate_agg';

CREATE AGGREGATE @extschema@.evaluate_agg(model text, as_of date, item_code text, decided_on date,
                                         value double precision, status text) (
    SFUNC = @extschema@.evaluate_agg_trans,
    STYPE = internal,
    -- a subject with records of every item of a large model (32 rules: a
    -- 1 KB allocation); the planner then prefers a sorted input (the
    -- covering record_subject_idx) to hashing hundreds of thousands of states
    SSPACE = 1024,
    FINALFUNC = @extschema@.evaluate_agg_final,
    COMBINEFUNC = @extschema@.evaluate_agg_combine,
    SERIALFUNC = @extschema@.evaluate_agg_serialize,
    DESERIALFUNC = @extschema@.evaluate_agg_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.evaluate_agg(text, date, text, date, double precision, text) IS
    'Evaluation state of one subject under a model as of a date, over its records (only active ones dated on or before as_of count): finalize it with credit.evalstate_result';

CREATE FUNCTION @extschema@.evalstate_result(model text, state bytea, as_of date,
                                            OUT score numeric, OUT grade text, OUT dimensions jsonb)
    AS 'MODULE_PATHNAME', 'credit_evalstate_result' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.evalstate_result(text, bytea, date) IS
    'Score, grade and dimension totals of an evaluation state at as_of (on or after its anchor); a NULL state is a subject without records (base score)';
CREATE FUNCTION @extschema@.evalstate_score(model text, state bytea, as_of date) RETURNS double precision
    AS 'MODULE_PATHNAME', 'credit_evalstate_score' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.evalstate_score(text, bytea, date) IS 'Score alone of an evaluation state at as_of';
CREATE FUNCTION @extschema@.evalstate_grade(model text, state bytea, as_of date) RETURNS text
    AS 'MODULE_PATHNAME', 'credit_evalstate_grade' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.evalstate_grade(text, bytea, date) IS 'Grade alone of an evaluation state at as_of';
CREATE FUNCTION @extschema@.evalstate_merge(model text, a bytea, b bytea, sign integer DEFAULT 1) RETURNS bytea
    AS 'MODULE_PATHNAME', 'credit_evalstate_merge' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.evalstate_merge(text, bytea, bytea, integer) IS
    'a + sign × b (sign 1 adds the records folded in b, -1 takes them out), anchored at the later anchor; NULL is an empty state';
CREATE FUNCTION @extschema@.evalstate_reanchor(model text, state bytea, anchor date) RETURNS bytea
    AS 'MODULE_PATHNAME', 'credit_evalstate_reanchor' LANGUAGE C STRICT STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.evalstate_reanchor(text, bytea, date) IS
    'The same state anchored at another date (decaying sums multiplied by 0.5^(days / half-life))';
CREATE FUNCTION @extschema@.evalstate_anchor(state bytea) RETURNS date
    AS 'MODULE_PATHNAME', 'credit_evalstate_anchor' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.evalstate_anchor(bytea) IS 'Date an evaluation state is anchored at';
CREATE FUNCTION @extschema@.evalstate_valid(model text, state bytea) RETURNS boolean
    AS 'MODULE_PATHNAME', 'credit_evalstate_valid' LANGUAGE C STRICT STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.evalstate_valid(text, bytea) IS
    'Whether a stored state was built for the model''s current items, half-lives and per_value (if not, recompute it from the records)';

-- Score, grade and dimensions of one subject.
CREATE FUNCTION @extschema@.evaluate_subject(subject_id bigint, model text, as_of date DEFAULT CURRENT_DATE,
                                            OUT score numeric, OUT grade text, OUT dimensions jsonb)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM @extschema@.model m WHERE m.code = evaluate_subject.model) THEN
        RAISE EXCEPTION 'evaluation model "%" does not exist', @extschema@.clip(evaluate_subject.model)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Models are rows of credit.model.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.subject s WHERE s.id = evaluate_subject.subject_id) THEN
        PERFORM @extschema@.subject_missing(evaluate_subject.subject_id);
    END IF;
    -- The state of the subject's records (as credit.evaluate_fresh folds them)
    -- in one query that names credit.record and filters on the subject: on
    -- Citus it is routed to the subject's shard and runs there whole (a call
    -- of the SQL function would be inlined after Citus had planned it).
    SELECT r.score, r.grade, r.dimensions INTO score, grade, dimensions
      FROM (SELECT COALESCE(@extschema@.evaluate_agg(evaluate_subject.model, evaluate_subject.as_of,
                                                     x.item_code, x.decided_on, x.value, x.status),
                            @extschema@.evalstate_empty(evaluate_subject.model, evaluate_subject.as_of)) AS state
              FROM @extschema@.record x
             WHERE x.subject_id OPERATOR(pg_catalog.=) evaluate_subject.subject_id) f
     CROSS JOIN LATERAL @extschema@.evalstate_result(evaluate_subject.model, f.state, evaluate_subject.as_of) r;
END
$$;
COMMENT ON FUNCTION @extschema@.evaluate_subject(bigint, text, date) IS
    'Score, grade and dimension totals of a subject under a model as of a date, from its records (the semantics of docs/evaluation.md)';

-- (pg_dump keeps the models users add or change: registered by 99-backup.sql)

GRANT SELECT ON @extschema@.model, @extschema@.model_grade, @extschema@.model_dimension,
    @extschema@.model_rule, @extschema@.model_subject TO credit_department, credit_analyst;
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.model, @extschema@.model_grade,
    @extschema@.model_dimension, @extschema@.model_rule TO credit_admin;
GRANT SELECT ON @extschema@.model_subject TO credit_admin;
CREATE FUNCTION @extschema@.evalstate_empty(model text, anchor date) RETURNS bytea
    AS 'MODULE_PATHNAME', 'credit_evalstate_empty' LANGUAGE C STRICT STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.evalstate_empty(text, date) IS 'State of a subject without counted records, anchored at a date';

-- Evaluating subjects afresh from their records (one rule, used by
-- evaluate_subject, registration and the fold): the state of each subject
-- under a model as of a date (the base state without counted records).
-- Inlined by the planner (no SET clause, every name qualified).
CREATE FUNCTION @extschema@.evaluate_fresh(subjects bigint[], model text, as_of date)
RETURNS TABLE (subject_id bigint, state bytea)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT k.s, COALESCE(
               @extschema@.evaluate_agg($2, $3, r.item_code, r.decided_on, r.value, r.status),
               @extschema@.evalstate_empty($2, $3))
      FROM pg_catalog.unnest($1) AS k(s)
      LEFT JOIN @extschema@.record r ON r.subject_id OPERATOR(pg_catalog.=) k.s
     GROUP BY k.s
$$;
COMMENT ON FUNCTION @extschema@.evaluate_fresh(bigint[], text, date) IS
    'Evaluation state of each given subject under a model as of a date, computed afresh from its records (only active records dated on or before as_of count; a subject without any has the base state)';
