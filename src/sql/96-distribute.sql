-- The distributed layout (docs/scale.md): a province on Citus.  The
-- per-subject tables are distributed by their subject column and colocated
-- with credit.subject, so that every subject's rows live on one worker; the
-- small tables every query joins (catalogue, models, measures, units, lists,
-- calendar) are reference tables, copied to every node; the codes of
-- subjects are distributed by the code.  Citus creates a foreign key only
-- between tables it has already distributed, so the keys between the
-- extension's tables are taken away first and created again after.

-- How each table of the extension is placed on Citus: distributed by a
-- column (colocated with credit.subject, or on its own for the codes), or
-- a reference table; tables not listed stay on the coordinator.
CREATE FUNCTION @extschema@.distribution_plan(OUT tbl pg_catalog.regclass, OUT placement text, OUT dist_column name)
RETURNS SETOF record
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT v.tbl::pg_catalog.regclass, v.placement, v.dist_column::name
      FROM (VALUES
        -- reference tables first: the distributed ones refer to them
        (1, '@extschema@.department', 'reference', NULL),
        (2, '@extschema@.catalog_item', 'reference', NULL),
        (3, '@extschema@.industry', 'reference', NULL),
        (4, '@extschema@.uscc_entity_type', 'reference', NULL),
        (5, '@extschema@.model', 'reference', NULL),
        (6, '@extschema@.model_grade', 'reference', NULL),
        (7, '@extschema@.model_dimension', 'reference', NULL),
        (8, '@extschema@.model_rule', 'reference', NULL),
        (9, '@extschema@.warning_rule', 'reference', NULL),
        (10, '@extschema@.list', 'reference', NULL),
        (11, '@extschema@.scenario', 'reference', NULL),
        (12, '@extschema@.measure', 'reference', NULL),
        (13, '@extschema@.tier', 'reference', NULL),
        (14, '@extschema@.tier_rule', 'reference', NULL),
        (15, '@extschema@.repair_rule', 'reference', NULL),
        (16, '@extschema@.calendar_day', 'reference', NULL),
        (17, '@extschema@.relation_kind', 'reference', NULL),
        (18, '@extschema@.agency', 'reference', NULL),
        (19, '@extschema@.evaluation_run', 'reference', NULL),
        -- the subjects, then every table that grows with them
        (20, '@extschema@.subject', 'colocated', 'id'),
        (21, '@extschema@.record', 'colocated', 'subject_id'),
        (22, '@extschema@.subject_grade', 'colocated', 'subject_id'),
        (23, '@extschema@.evaluation', 'colocated', 'subject_id'),
        (24, '@extschema@.grade_change', 'colocated', 'subject_id'),
        (25, '@extschema@.warning', 'colocated', 'subject_id'),
        (26, '@extschema@.measure_application', 'colocated', 'subject_id'),
        (27, '@extschema@.commitment', 'colocated', 'subject_id'),
        (28, '@extschema@.repair_request', 'colocated', 'subject_id'),
        (29, '@extschema@.objection', 'colocated', 'subject_id'),
        (30, '@extschema@.relation', 'colocated', 'from_subject'),
        (31, '@extschema@.decision', 'colocated', 'subject_id'),
        -- the codes, by the code (a code is looked up before its subject is known)
        (32, '@extschema@.subject_code', 'distributed', 'code')
      ) v (ord, tbl, placement, dist_column)
     ORDER BY v.ord
$$;
REVOKE ALL ON FUNCTION @extschema@.distribution_plan() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.distribution_plan() IS
    'How credit.distribute places each table on Citus, in the order it does: reference (copied to every node), colocated (distributed by dist_column, colocated with credit.subject) or distributed (by dist_column, a colocation group of its own); tables not listed stay on the coordinator';

-- The numbers a node gives the rows it writes.  On Citus the rows a worker
-- writes itself (grade changes, warnings, industry grade records: the fold
-- of its shards) take their numbers from the worker's own copy of the
-- tables' identity sequences, created with the extension on every node and
-- starting at 1 there as on the coordinator: each node other than the
-- coordinator numbers from its group's own range, (group << 48) + 1 on, as
-- Citus numbers the bigserial columns it distributes, so a number names one
-- row of the platform.
CREATE FUNCTION @extschema@.number_node_rows() RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    node_group bigint;
    seq     regclass;
    last    bigint;
    n       integer := 0;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension e WHERE e.extname = 'citus') THEN
        RAISE EXCEPTION 'Citus is not installed in this database'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    EXECUTE 'SELECT groupid FROM pg_catalog.pg_dist_local_group' INTO node_group;
    IF node_group IS NULL OR node_group OPERATOR(pg_catalog.<=) 0 THEN
        RETURN 0;         -- the coordinator numbers from 1
    END IF;
    FOR seq IN
        SELECT pg_catalog.pg_get_serial_sequence(p.tbl::text, a.attname)::regclass
          FROM @extschema@.distribution_plan() p
          JOIN pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) p.tbl
         WHERE a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
           AND pg_catalog.pg_get_serial_sequence(p.tbl::text, a.attname) IS NOT NULL
         ORDER BY 1
    LOOP
        EXECUTE format('SELECT s.last_value FROM %s s', seq) INTO last;
        IF last OPERATOR(pg_catalog.<) (node_group OPERATOR(pg_catalog.<<) 48) THEN
            PERFORM pg_catalog.setval(seq, (node_group OPERATOR(pg_catalog.<<) 48) OPERATOR(pg_catalog.+) 1, false);
            n := n OPERATOR(pg_catalog.+) 1;
        END IF;
    END LOOP;
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.number_node_rows() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.number_node_rows() IS
    'On a Citus node other than the coordinator, starts the identity sequences of the distributed tables at the node''s own range, (group << 48) + 1 (those already in it are left): the rows the node writes itself take numbers no other node gives; credit.distribute runs it on every worker, and it is run on a worker added later (docs/scale.md); returns the number of sequences moved';

-- Distribute the platform over a Citus cluster.
CREATE FUNCTION @extschema@.distribute(shard_count integer DEFAULT 32) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    ext     oid := (SELECT e.oid FROM pg_extension e WHERE e.extname = 'credit');
    fks     text[] := '{}';
    triggers text[] := '{}';
    r       record;
    n       integer := 0;
    stmt    text;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension e WHERE e.extname = 'citus') THEN
        RAISE EXCEPTION 'Citus is not installed in this database'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Load citus in shared_preload_libraries, CREATE EXTENSION citus and add the workers first (docs/scale.md).';
    END IF;
    PERFORM @extschema@.layout_check('distribute', 'shard_count', shard_count, 1, 64000);
    IF EXISTS (SELECT FROM pg_dist_partition d WHERE d.logicalrelid = '@extschema@.subject'::regclass) THEN
        RAISE EXCEPTION 'credit is distributed already'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;

    -- The foreign keys between the extension's tables, taken away: Citus
    -- distributes a table only without them.
    FOR r IN
        SELECT k.oid, k.conname, k.conrelid::regclass AS tbl,
               k.conrelid IN (SELECT p.tbl FROM @extschema@.distribution_plan() p)
               AND k.confrelid IN (SELECT p.tbl FROM @extschema@.distribution_plan() p) AS placed
          FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
         WHERE k.contype = 'f' AND c.relnamespace = (SELECT e.extnamespace FROM pg_extension e WHERE e.oid = ext)
         ORDER BY k.oid
    LOOP
        IF r.placed THEN
            fks := fks || format('ALTER TABLE %s ADD CONSTRAINT %I %s', r.tbl, r.conname, pg_get_constraintdef(r.oid));
        ELSE
            -- a table left on the coordinator cannot refer to a distributed
            -- or reference table (Citus would convert it, and the extension's
            -- sequences with it)
            RAISE NOTICE 'foreign key % of % is not kept on Citus', r.conname, r.tbl;
        END IF;
        stmt := format('ALTER TABLE %s DROP CONSTRAINT %I', r.tbl, r.conname);
        EXECUTE stmt;
        -- the workers' copies of the tables (CREATE EXTENSION ran there too)
        PERFORM run_command_on_workers(stmt);
    END LOOP;

    -- A decision's key carries its subject (a unique key of a distributed
    -- table contains its distribution column): the decisions of a subject
    -- are kept on its node, by the triggers of its records' shard.  On one
    -- node the key of a licence or a penalty leaves the subject out, so that
    -- a re-sent one may correct it; on Citus a record never moves to another
    -- subject's shard, so a licence re-sent for another subject is a new
    -- decision of that subject.
    FOREACH stmt IN ARRAY ARRAY[
        'ALTER TABLE @extschema@.decision DROP CONSTRAINT decision_pkey',
        'ALTER TABLE @extschema@.decision ALTER COLUMN subject_id SET NOT NULL',
        'ALTER TABLE @extschema@.decision ADD CONSTRAINT decision_pkey PRIMARY KEY (department, item_code, document_no, party, subject_id)']
    LOOP
        EXECUTE stmt;
        PERFORM run_command_on_workers(stmt);
    END LOOP;

    -- The tables, in the plan's order: the triggers of the extension run
    -- on the shards (citus.enable_unsafe_triggers).
    PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
    -- rows already loaded move to the shards as they are: the triggers are
    -- off while Citus copies them (they fire on the shards, on the workers)
    FOR r IN
        SELECT t.tgname, t.tgrelid::regclass AS tbl
          FROM pg_trigger t
         WHERE t.tgrelid IN (SELECT p.tbl FROM @extschema@.distribution_plan() p)
           AND NOT t.tgisinternal AND t.tgenabled = 'O'
         ORDER BY t.oid
    LOOP
        EXECUTE format('ALTER TABLE %s DISABLE TRIGGER %I', r.tbl, r.tgname);
        triggers := triggers || format('ALTER TABLE %s ENABLE TRIGGER %I', r.tbl, r.tgname);
    END LOOP;
    -- foreign keys to reference tables are created over one connection a node
    PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
    FOR r IN SELECT * FROM @extschema@.distribution_plan() LOOP
        IF r.placement = 'reference' THEN
            PERFORM create_reference_table(r.tbl);
        ELSIF r.placement = 'colocated' AND r.tbl <> '@extschema@.subject'::regclass THEN
            PERFORM create_distributed_table(r.tbl, r.dist_column, colocate_with => '@extschema@.subject');
        ELSE
            PERFORM create_distributed_table(r.tbl, r.dist_column, colocate_with => 'none', shard_count => shard_count);
        END IF;
        n := n + 1;
    END LOOP;

    -- The foreign keys again, those Citus keeps: between reference tables,
    -- from a distributed table to a reference table, and between colocated
    -- tables on their distribution columns.  The others are reported.
    FOREACH stmt IN ARRAY triggers LOOP
        EXECUTE stmt;
    END LOOP;
    FOREACH stmt IN ARRAY fks LOOP
        BEGIN
            EXECUTE stmt;
        EXCEPTION WHEN feature_not_supported THEN
            RAISE NOTICE 'not kept on Citus: %', stmt USING DETAIL = SQLERRM;
        END;
    END LOOP;

    -- Each node appends its changes to one ledger chain at commit, under one
    -- lock held until the transaction ends (docs/ledger.md): a distributed
    -- transaction writing two shards of a node over two connections would
    -- wait there, its second connection for the first one's prepared
    -- transaction.  The sessions of the database (this one included) run
    -- their writes of several shards over one connection a node.
    EXECUTE format('ALTER DATABASE %I SET citus.multi_shard_modify_mode = %L', current_database(), 'sequential');
    -- the rows the workers write numbered from their own ranges
    SELECT pg_catalog.string_agg(w.nodename OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) w.nodeport
                                 OPERATOR(pg_catalog.||) ': ' OPERATOR(pg_catalog.||) w.result, '; ')
      INTO stmt
      FROM run_command_on_workers('SELECT @extschema@.number_node_rows()') w
     WHERE NOT w.success;
    IF stmt IS NOT NULL THEN
        RAISE EXCEPTION 'the workers'' sequences could not be moved to their ranges: %', stmt
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', false);
    RETURN n;
END
$fn$;
REVOKE ALL ON FUNCTION @extschema@.distribute(integer) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.distribute(integer) IS
    'The distributed layout on Citus: places the tables as credit.distribution_plan() says (the per-subject tables distributed by their subject column into shard_count shards colocated with credit.subject, the catalogue, model, measure, unit, list and calendar tables as reference tables), then creates again the foreign keys Citus keeps (the others are reported in a notice), sets citus.multi_shard_modify_mode to sequential for the database (a node''s ledger takes one writer a transaction) and moves the workers'' sequences to their own ranges (credit.number_node_rows); run once on the coordinator by the owner of the extension, with the workers added; returns the number of tables placed (docs/scale.md)';
