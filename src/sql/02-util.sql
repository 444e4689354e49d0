-- Helpers every fragment uses.

-- Every per-backend cache built from a configuration table (models, warning
-- rules, measures, scenarios, lists and their entries, the catalogue) is
-- rebuilt in every backend after the table changes: this statement trigger
-- sends a relcache invalidation of the table at commit.
CREATE FUNCTION @extschema@.config_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'credit_relcache_changed' LANGUAGE C;
COMMENT ON FUNCTION @extschema@.config_changed() IS
    'Statement trigger of the configuration tables (models, warning rules, measures, scenarios, lists, list entries, the catalogue): sends a relcache invalidation of the table so every backend rebuilds the caches built from it';

-- IMMUTABLE: the text depends only on the date (never on DateStyle).
CREATE FUNCTION @extschema@.clip(value text) RETURNS text
    AS 'MODULE_PATHNAME', 'credit_clip_sql'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clip(text) IS
    'A value as messages quote it: its first 64 bytes (whole characters) and "..." when longer, as PostgreSQL shows values in the details of its errors';

CREATE FUNCTION @extschema@.subject_missing(subject_id bigint) RETURNS void
    AS 'MODULE_PATHNAME', 'credit_subject_missing_sql'
    LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.subject_missing(bigint) IS
    'Raises the error (22023) every function taking a subject gives when it does not exist or is NULL: "subject N does not exist", "subject NULL does not exist"';

CREATE FUNCTION @extschema@.iso_date(date) RETURNS text
    AS 'MODULE_PATHNAME', 'credit_iso_date'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.iso_date(date) IS
    'A date as ISO 8601 text (YYYY-MM-DD; infinity and -infinity as such) whatever the session''s DateStyle: the form in which the extension''s messages show dates';

-- The settings the extension's SQL code obeys, read through the module (so
-- they are its own superuser-only settings, never a placeholder any role
-- could set before the module was loaded).  STABLE: settings may change
-- between statements.
CREATE FUNCTION @extschema@.restoring() RETURNS boolean
    AS 'MODULE_PATHNAME', 'credit_restoring_setting'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.restoring() IS
    'Whether this session loads a dump (the superuser-only setting credit.restoring): the triggers then keep the loaded rows as they are';
CREATE FUNCTION @extschema@.auto_evaluation() RETURNS boolean
    AS 'MODULE_PATHNAME', 'credit_auto_evaluation_setting'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.auto_evaluation() IS
    'Whether new and changed records are folded into the grades at once (the superuser-only setting credit.auto_evaluation)';

-- Whether the caller runs on a Citus worker for the coordinator (the
-- worker's share of a distributed statement: triggers of shards, the fold
-- at commit there).  Such a transaction may be committed in two phases,
-- which NOTIFY forbids.
CREATE FUNCTION @extschema@.on_citus_worker() RETURNS boolean
    AS 'MODULE_PATHNAME', 'credit_on_citus_worker'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.on_citus_worker() IS
    'Whether the caller runs on a Citus worker for the coordinator (its share of a distributed statement, such as the triggers of a shard); false where Citus is not loaded';

-- Whether the platform is laid out on Citus (credit.distribute has placed
-- credit.subject): the few statements Citus cannot plan take another form
-- there.  Read dynamically, so that it is false where Citus is not installed.
CREATE FUNCTION @extschema@.distributed() RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    placed boolean;
BEGIN
    IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition d WHERE d.logicalrelid OPERATOR(pg_catalog.=) $1)'
       INTO placed USING '@extschema@.subject'::pg_catalog.regclass;
    RETURN placed;
END
$$;
COMMENT ON FUNCTION @extschema@.distributed() IS
    'Whether the platform is distributed on Citus (credit.distribute has placed credit.subject); false where Citus is not installed';
