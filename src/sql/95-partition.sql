-- The partitioned layout (docs/scale.md): the large per-subject tables
-- hash-partitioned by subject_id, chosen by the DBA right after CREATE
-- EXTENSION with credit.partition_tables(n).  Every key of these tables
-- carries subject_id, so each partition holds whole subjects.
--
-- PostgreSQL cannot turn a table into a partitioned one in place: each table
-- is rebuilt under its own name with everything that hangs on it (indexes,
-- keys, foreign keys in both directions, triggers, row-level security,
-- privileges, comments, its identity sequence, its membership of the
-- extension and its pg_dump registration), and so are the views and the
-- functions that depend on it, in dependency order.  The tables must be
-- empty: nothing is moved.

-- The tables the partitioned layout partitions, in the order they are rebuilt.
CREATE FUNCTION @extschema@.partitioned_tables() RETURNS pg_catalog.regclass[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ARRAY['@extschema@.record', '@extschema@.subject_grade', '@extschema@.evaluation',
                 '@extschema@.grade_change', '@extschema@.warning']::pg_catalog.regclass[]
$$;
COMMENT ON FUNCTION @extschema@.partitioned_tables() IS
    'The per-subject tables that credit.partition_tables hash-partitions by subject_id: record, subject_grade, evaluation, grade_change, warning';

-- GRANT statements that give back the privileges of an ACL on an object
-- (kind: TABLE, SEQUENCE, FUNCTION; cols: a column list, or NULL).
CREATE FUNCTION @extschema@.acl_grants(acl pg_catalog.aclitem[], kind text, obj text, cols text DEFAULT NULL)
RETURNS SETOF text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.format('GRANT %s%s ON %s %s TO %s%s', a.privilege_type,
                             CASE WHEN cols IS NULL THEN '' ELSE ' (' || cols || ')' END, kind, obj,
                             CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                                  ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END,
                             CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
      FROM pg_catalog.aclexplode(acl) a
$$;
REVOKE ALL ON FUNCTION @extschema@.acl_grants(pg_catalog.aclitem[], text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.acl_grants(pg_catalog.aclitem[], text, text, text) IS
    'GRANT statements that give back the privileges of an ACL (kind TABLE, SEQUENCE or FUNCTION; optionally on a column list); used by credit.partition_tables to rebuild a table as it was';

-- What choosing a layout requires: a number of parts in range, and the
-- rights of the extension's owner.
CREATE FUNCTION @extschema@.layout_check(action text, arg_name text, arg integer, lo integer, hi integer)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF arg IS NULL OR arg < lo OR arg > hi THEN
        RAISE EXCEPTION '% must be between % and %, not %', arg_name, lo, hi, arg
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT pg_has_role(current_user, (SELECT e.extowner FROM pg_extension e WHERE e.extname = 'credit'), 'USAGE') THEN
        RAISE EXCEPTION 'permission denied to % the tables of credit', action
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Only the owner of the extension (or a superuser) may choose the layout.';
    END IF;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.layout_check(text, text, integer, integer, integer) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.layout_check(text, text, integer, integer, integer) IS
    'Checks of credit.partition_tables and credit.distribute: the number of parts (arg_name) between lo and hi (22023), and the caller a member of the extension''s owner (42501)';

-- Hash-partition the large per-subject tables of an empty platform.
CREATE FUNCTION @extschema@.partition_tables(partitions integer) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    rels     regclass[] := @extschema@.partitioned_tables();
    ext      oid := (SELECT e.oid FROM pg_extension e WHERE e.extname = 'credit');
    rel      regclass;
    seq      regclass;
    nonempty boolean;
    undo_fk  text[] := '{}';   -- statements that take the dependents away:
    undo_fn  text[] := '{}';   --   foreign keys, then functions, then views
    undo_v   text[] := '{}';
    redo     text[] := '{}';   -- what puts a table's own parts back
    later    text[] := '{}';   -- what comes back after every table is rebuilt:
    later_fn text[] := '{}';   --   views, then functions, then foreign keys
    later_fk text[] := '{}';
    stmt     text;
    tmp      text;
    r        record;
    ident    record;
    part     integer;
    last     bigint;
BEGIN
    PERFORM @extschema@.layout_check('partition', 'partitions', partitions, 2, 1024);
    FOREACH rel IN ARRAY rels LOOP
        IF (SELECT c.relkind FROM pg_class c WHERE c.oid = rel) = 'p' THEN
            RAISE EXCEPTION '% is partitioned already', rel
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        EXECUTE format('SELECT EXISTS (SELECT FROM ONLY %s)', rel) INTO nonempty;
        IF nonempty THEN
            RAISE EXCEPTION '% is not empty', rel
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'Choose the partitioned layout right after CREATE EXTENSION, before loading data.';
        END IF;
    END LOOP;

    -- Views over the tables (and views over those), deepest first.
    FOR r IN
        WITH RECURSIVE dep (oid, depth) AS (
            SELECT w.ev_class, 1
              FROM pg_depend d JOIN pg_rewrite w ON w.oid = d.objid
             WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
               AND d.refobjid = ANY (rels) AND w.ev_class <> ALL (rels)
            UNION ALL
            SELECT w.ev_class, dep.depth + 1
              FROM dep JOIN pg_depend d ON d.refobjid = dep.oid
                   AND d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
                   JOIN pg_rewrite w ON w.oid = d.objid
             WHERE w.ev_class <> dep.oid)
        SELECT c.oid, c.oid::regclass AS name, c.relkind, c.reloptions, c.relacl, c.relowner, max(dep.depth) AS depth
          FROM dep JOIN pg_class c ON c.oid = dep.oid
         GROUP BY c.oid
         ORDER BY max(dep.depth) DESC, c.oid DESC
    LOOP
        IF r.relkind <> 'v' THEN
            RAISE EXCEPTION '% depends on a table to partition and is not a view', r.name
                USING ERRCODE = 'feature_not_supported';
        END IF;
        IF EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = r.oid
                      AND d.refobjid = ext AND d.deptype = 'e') THEN
            undo_v := undo_v || format('ALTER EXTENSION credit DROP VIEW %s', r.name);
            later := format('ALTER EXTENSION credit ADD VIEW %s', r.name) || later;
        END IF;
        undo_v := undo_v || format('DROP VIEW %s', r.name);
        tmp := format('CREATE VIEW %s%s AS %s', r.name,
                      CASE WHEN r.reloptions IS NULL THEN ''
                           ELSE ' WITH (' || array_to_string(r.reloptions, ', ') || ')' END,
                      pg_get_viewdef(r.oid));
        stmt := format('ALTER VIEW %s OWNER TO %I', r.name, pg_get_userbyid(r.relowner));
        later := ARRAY[tmp, stmt]
              || ARRAY(SELECT @extschema@.acl_grants(r.relacl, 'TABLE', r.name::text))
              || ARRAY(SELECT g FROM pg_attribute a, @extschema@.acl_grants(a.attacl, 'TABLE', r.name::text, quote_ident(a.attname)) g
                        WHERE a.attrelid = r.oid AND a.attnum > 0 AND a.attacl IS NOT NULL)
              || ARRAY(SELECT format('COMMENT ON VIEW %s IS %L', r.name, d.description)
                         FROM pg_description d
                        WHERE d.classoid = 'pg_class'::regclass AND d.objoid = r.oid AND d.objsubid = 0)
              || ARRAY(SELECT format('COMMENT ON COLUMN %s.%I IS %L', r.name, a.attname, d.description)
                         FROM pg_description d JOIN pg_attribute a ON a.attrelid = d.objoid AND a.attnum = d.objsubid
                        WHERE d.classoid = 'pg_class'::regclass AND d.objoid = r.oid AND d.objsubid > 0
                        ORDER BY a.attnum)
              || later;
    END LOOP;

    -- Functions that take or return the row type of a table or view rebuilt
    -- here, or whose SQL body names one: dropped before, created again after.
    FOR r IN
        SELECT DISTINCT p.oid, p.oid::regprocedure AS name, p.prokind, p.proacl, p.proowner
          FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid
          JOIN pg_class c ON (d.refclassid = 'pg_class'::regclass AND d.refobjid = c.oid)
                          OR (d.refclassid = 'pg_type'::regclass AND d.refobjid = c.reltype)
         WHERE d.classid = 'pg_proc'::regclass
           AND (c.oid = ANY (rels)
                OR c.oid IN (SELECT w.ev_class FROM pg_rewrite w JOIN pg_depend x ON x.objid = w.oid
                              WHERE x.classid = 'pg_rewrite'::regclass AND x.refobjid = ANY (rels)))
    LOOP
        IF r.prokind NOT IN ('f', 'p') THEN
            RAISE EXCEPTION '% depends on a table to partition and is not a function', r.name
                USING ERRCODE = 'feature_not_supported';
        END IF;
        stmt := CASE r.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END;
        IF EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = r.oid
                      AND d.refobjid = ext AND d.deptype = 'e') THEN
            undo_fn := undo_fn || format('ALTER EXTENSION credit DROP %s %s', stmt, r.name);
            later_fn := later_fn || format('ALTER EXTENSION credit ADD %s %s', stmt, r.name);
        END IF;
        undo_fn := undo_fn || format('DROP %s %s', stmt, r.name);
        later_fn := ARRAY[pg_get_functiondef(r.oid),
                          format('ALTER %s %s OWNER TO %I', stmt, r.name, pg_get_userbyid(r.proowner))]
              || CASE WHEN r.proacl IS NULL THEN '{}'::text[]
                      ELSE format('REVOKE ALL ON %s %s FROM PUBLIC', stmt, r.name)
                           || ARRAY(SELECT @extschema@.acl_grants(r.proacl, stmt, r.name::text)) END
              || ARRAY(SELECT format('COMMENT ON %s %s IS %L', stmt, r.name, d.description)
                         FROM pg_description d
                        WHERE d.classoid = 'pg_proc'::regclass AND d.objoid = r.oid AND d.objsubid = 0)
              || later_fn;
    END LOOP;

    -- Foreign keys from other tables onto the tables rebuilt here.
    FOR r IN
        SELECT k.oid, k.conname, k.conrelid::regclass AS tbl
          FROM pg_constraint k
         WHERE k.contype = 'f' AND k.confrelid = ANY (rels) AND k.conrelid <> ALL (rels)
         ORDER BY k.oid
    LOOP
        undo_fk := undo_fk || format('ALTER TABLE %s DROP CONSTRAINT %I', r.tbl, r.conname);
        later_fk := later_fk || format('ALTER TABLE %s ADD CONSTRAINT %I %s', r.tbl, r.conname, pg_get_constraintdef(r.oid))
              || ARRAY(SELECT format('COMMENT ON CONSTRAINT %I ON %s IS %L', r.conname, r.tbl, d.description)
                         FROM pg_description d WHERE d.classoid = 'pg_constraint'::regclass AND d.objoid = r.oid);
    END LOOP;

    FOREACH stmt IN ARRAY undo_fk || undo_fn || undo_v LOOP
        EXECUTE stmt;
    END LOOP;

    -- Each table: a partitioned twin with the same columns, defaults, checks
    -- and identity, the old table dropped, the twin renamed, then the rest.
    FOREACH rel IN ARRAY rels LOOP
        SELECT c.oid, c.relname, n.nspname, c.relacl, c.relowner, c.relrowsecurity, c.relforcerowsecurity
          INTO r FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = rel;
        tmp := r.relname || '_partitioned';
        redo := '{}';
        -- keys and indexes
        redo := redo || ARRAY(SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s', rel, k.conname, pg_get_constraintdef(k.oid))
                                FROM pg_constraint k WHERE k.conrelid = rel AND k.contype IN ('p', 'u', 'x', 'f')
                               ORDER BY k.contype DESC, k.oid);
        redo := redo || ARRAY(SELECT pg_get_indexdef(x.indexrelid)
                                FROM pg_index x
                               WHERE x.indrelid = rel
                                 AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.conrelid = rel)
                               ORDER BY x.indexrelid);
        redo := redo || ARRAY(SELECT format('COMMENT ON INDEX %I.%I IS %L', r.nspname, i.relname, d.description)
                                FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                                JOIN pg_description d ON d.classoid = 'pg_class'::regclass AND d.objoid = i.oid
                               WHERE x.indrelid = rel);
        -- triggers, in name order (the order they fire in), with their state
        redo := redo || ARRAY(SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t
                               WHERE t.tgrelid = rel AND NOT t.tgisinternal ORDER BY t.tgname);
        redo := redo || ARRAY(SELECT format('ALTER TABLE %s %s TRIGGER %I', rel,
                                            CASE t.tgenabled WHEN 'D' THEN 'DISABLE' WHEN 'R' THEN 'ENABLE REPLICA'
                                                             ELSE 'ENABLE ALWAYS' END, t.tgname)
                                FROM pg_trigger t WHERE t.tgrelid = rel AND NOT t.tgisinternal AND t.tgenabled <> 'O');
        redo := redo || ARRAY(SELECT format('COMMENT ON TRIGGER %I ON %s IS %L', t.tgname, rel, d.description)
                                FROM pg_trigger t JOIN pg_description d ON d.classoid = 'pg_trigger'::regclass AND d.objoid = t.oid
                               WHERE t.tgrelid = rel AND NOT t.tgisinternal);
        -- row-level security
        IF r.relrowsecurity THEN
            redo := redo || format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', rel);
        END IF;
        IF r.relforcerowsecurity THEN
            redo := redo || format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', rel);
        END IF;
        redo := redo || ARRAY(SELECT format('CREATE POLICY %I ON %s AS %s FOR %s TO %s%s%s', p.policyname, rel,
                                            p.permissive, p.cmd,
                                            (SELECT string_agg(CASE WHEN x = 'public' THEN 'PUBLIC' ELSE quote_ident(x) END, ', ')
                                               FROM unnest(p.roles) x),
                                            ' USING (' || p.qual || ')', ' WITH CHECK (' || p.with_check || ')')
                                FROM pg_policies p WHERE p.schemaname = r.nspname AND p.tablename = r.relname
                               ORDER BY p.policyname);
        -- owner, privileges, comment
        redo := redo || format('ALTER TABLE %s OWNER TO %I', rel, pg_get_userbyid(r.relowner));
        redo := redo || ARRAY(SELECT @extschema@.acl_grants(r.relacl, 'TABLE', rel::text));
        redo := redo || ARRAY(SELECT g FROM pg_attribute a, @extschema@.acl_grants(a.attacl, 'TABLE', rel::text, quote_ident(a.attname)) g
                               WHERE a.attrelid = rel AND a.attnum > 0 AND a.attacl IS NOT NULL ORDER BY a.attnum);
        redo := redo || ARRAY(SELECT format('COMMENT ON TABLE %s IS %L', rel, d.description)
                                FROM pg_description d
                               WHERE d.classoid = 'pg_class'::regclass AND d.objoid = rel AND d.objsubid = 0);
        -- membership of the extension (the rows live in the partitions)
        redo := redo || format('ALTER EXTENSION credit ADD TABLE %s', rel);
        -- the identity sequences: their number, privileges and membership
        FOR ident IN
            SELECT a.attname, pg_get_serial_sequence(rel::text, a.attname)::regclass AS seq
              FROM pg_attribute a WHERE a.attrelid = rel AND a.attidentity <> ''
        LOOP
            EXECUTE format('SELECT CASE WHEN is_called THEN last_value END FROM %s', ident.seq) INTO last;
            redo := redo || format('ALTER SEQUENCE %I.%I RENAME TO %I', r.nspname,
                                   tmp || '_' || ident.attname || '_seq', (SELECT s.relname FROM pg_class s WHERE s.oid = ident.seq));
            IF last IS NOT NULL THEN
                redo := redo || format('SELECT pg_catalog.setval(%L, %s)', ident.seq::text, last);
            END IF;
            redo := redo || ARRAY(SELECT @extschema@.acl_grants(s.relacl, 'SEQUENCE', ident.seq::text)
                                    FROM pg_class s WHERE s.oid = ident.seq);
            redo := redo || format('ALTER EXTENSION credit ADD SEQUENCE %s', ident.seq);
        END LOOP;
        -- the partitions: not members of the extension, so that pg_dump keeps
        -- them and their rows as any table's; the parent's statement-level
        -- TRUNCATE triggers (the ledger's) are given to each partition, which
        -- PostgreSQL does not clone, so that truncating one is logged
        FOR part IN 0 .. partitions - 1 LOOP
            redo := redo || format('CREATE TABLE %I.%I PARTITION OF %s FOR VALUES WITH (MODULUS %s, REMAINDER %s)',
                                   r.nspname, r.relname || '_p' || part, rel, partitions, part)
                         || format('ALTER TABLE %I.%I OWNER TO %I', r.nspname, r.relname || '_p' || part, pg_get_userbyid(r.relowner))
                         || format('COMMENT ON TABLE %I.%I IS %L', r.nspname, r.relname || '_p' || part,
                                   format('Partition %s of %s of %s.%s (hash of subject_id)', part, partitions, r.nspname, r.relname));
            redo := redo || ARRAY(SELECT replace(pg_get_triggerdef(t.oid),
                                                 ' ON ' || rel::text || ' ',
                                                 format(' ON %I.%I ', r.nspname, r.relname || '_p' || part))
                                    FROM pg_trigger t
                                   WHERE t.tgrelid = rel AND NOT t.tgisinternal
                                     AND (t.tgtype & 32) <> 0   -- TRIGGER_TYPE_TRUNCATE
                                   ORDER BY t.tgname);
        END LOOP;

        EXECUTE format('CREATE TABLE %I.%I (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY'
                       ' INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMPRESSION INCLUDING COMMENTS)'
                       ' PARTITION BY HASH (subject_id)', r.nspname, tmp, rel);
        EXECUTE format('ALTER EXTENSION credit DROP TABLE %s', rel);
        FOR ident IN SELECT pg_get_serial_sequence(rel::text, a.attname)::regclass AS seq
                   FROM pg_attribute a WHERE a.attrelid = rel AND a.attidentity <> '' LOOP
            EXECUTE format('ALTER EXTENSION credit DROP SEQUENCE %s', ident.seq);
        END LOOP;
        EXECUTE format('DROP TABLE %s', rel);
        EXECUTE format('ALTER TABLE %I.%I RENAME TO %I', r.nspname, tmp, r.relname);
        FOREACH stmt IN ARRAY redo LOOP
            EXECUTE stmt;
        END LOOP;
    END LOOP;

    FOREACH stmt IN ARRAY later || later_fn || later_fk LOOP
        EXECUTE stmt;
    END LOOP;
    RETURN array_length(rels, 1);
END
$fn$;
REVOKE ALL ON FUNCTION @extschema@.partition_tables(integer) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.partition_tables(integer) IS
    'The partitioned layout: hash-partitions credit.partitioned_tables() (record, subject_grade, evaluation, grade_change, warning) by subject_id into the given number of partitions (2 to 1024), keeping every index, key, trigger, policy, privilege, comment and dependent view; run by the extension''s owner right after CREATE EXTENSION, on empty tables; returns the number of tables partitioned (docs/scale.md)';

-- The ledger's record of a partition's rows leaving its table (detach).
CREATE FUNCTION @extschema@.ledger_partition_removed(partition pg_catalog.regclass) RETURNS void
    AS 'MODULE_PATHNAME', 'credit_ledger_partition_removed' LANGUAGE C STRICT VOLATILE;
REVOKE ALL ON FUNCTION @extschema@.ledger_partition_removed(pg_catalog.regclass) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.ledger_partition_removed(pg_catalog.regclass) IS
    'Logs in credit.ledger, at commit, that every row of a hash partition of a ledgered table (record, evaluation) leaves it: a truncate entry of the table whose key1 and key2 are the partition''s modulus and remainder; called by credit.detach_partition';

-- Detach a partition of the partitioned layout, its rows kept in it as a
-- table of their own (an archive), the removal logged in the ledger.
CREATE FUNCTION @extschema@.detach_partition(partition pg_catalog.regclass) RETURNS pg_catalog.regclass
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    parent regclass;
    ledgered boolean;
    trg record;
BEGIN
    SELECT i.inhparent INTO parent FROM pg_inherits i WHERE i.inhrelid = partition;
    IF parent IS NULL OR parent <> ALL (@extschema@.partitioned_tables()) THEN
        RAISE EXCEPTION '% is not a partition of the partitioned layout', partition
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The partitions are those of the tables of credit.partitioned_tables(), made by credit.partition_tables.';
    END IF;
    ledgered := EXISTS (SELECT FROM pg_trigger t WHERE t.tgrelid = parent AND t.tgname = 'ledger_truncate');
    IF ledgered THEN
        PERFORM @extschema@.ledger_partition_removed(partition);
    END IF;
    EXECUTE format('ALTER TABLE %s DETACH PARTITION %s', parent, partition);
    -- the archive is no longer the platform's: its truncates are not logged
    FOR trg IN SELECT g.tgname FROM pg_trigger g
              WHERE g.tgrelid = partition AND NOT g.tgisinternal AND (g.tgtype & 32) <> 0 LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', trg.tgname, partition);
    END LOOP;
    RETURN partition;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.detach_partition(pg_catalog.regclass) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.detach_partition(pg_catalog.regclass) IS
    'Detaches a partition of the partitioned layout (e.g. credit.record_p3), keeping its rows in it as a table of their own, and logs their removal in credit.ledger so that credit.verify_ledger() does not report them as deleted behind its back; returns the partition (docs/scale.md)';
