-- Backup and restore (pg_dump / pg_restore): what a dump of a credit database
-- holds besides the extension itself.  CREATE EXTENSION recreates the shipped
-- rows, so a dump keeps only the rows added since; every table of collected or
-- derived data is dumped whole, with the sequences that number it.  A restore
-- runs with credit.restoring = on, so the triggers keep the loaded rows as
-- they are instead of evaluating, resolving and logging them a second time
-- (docs/backup.md).

-- The rows CREATE EXTENSION ships, as shipped, recorded after every fragment
-- has added its own: a reference row identical to one of them is not dumped;
-- a shipped row the county changed is dumped and, on restore, replaces the
-- shipped row of the same key.
CREATE TABLE @extschema@.shipped_row (
    tbl  text NOT NULL,
    "row" jsonb NOT NULL,
    PRIMARY KEY (tbl, "row")
);
COMMENT ON TABLE @extschema@.shipped_row IS
    'Rows CREATE EXTENSION inserts into the reference tables (department, catalog_item, industry, warning_rule, model, model_grade, model_dimension, model_rule, list, scenario, measure, tier, tier_rule, repair_rule, relation_kind, calendar_day), as shipped: pg_dump leaves out the rows still equal to them, since the extension recreates them on restore';
INSERT INTO @extschema@.shipped_row (tbl, "row")
SELECT 'department', pg_catalog.to_jsonb(t) FROM @extschema@.department t
UNION ALL SELECT 'catalog_item', pg_catalog.to_jsonb(t) FROM @extschema@.catalog_item t
UNION ALL SELECT 'industry', pg_catalog.to_jsonb(t) FROM @extschema@.industry t
UNION ALL SELECT 'warning_rule', pg_catalog.to_jsonb(t) FROM @extschema@.warning_rule t
UNION ALL SELECT 'model', pg_catalog.to_jsonb(t) FROM @extschema@.model t
UNION ALL SELECT 'model_grade', pg_catalog.to_jsonb(t) FROM @extschema@.model_grade t
UNION ALL SELECT 'model_dimension', pg_catalog.to_jsonb(t) FROM @extschema@.model_dimension t
UNION ALL SELECT 'model_rule', pg_catalog.to_jsonb(t) FROM @extschema@.model_rule t
UNION ALL SELECT 'list', pg_catalog.to_jsonb(t) FROM @extschema@.list t
UNION ALL SELECT 'scenario', pg_catalog.to_jsonb(t) FROM @extschema@.scenario t
UNION ALL SELECT 'measure', pg_catalog.to_jsonb(t) FROM @extschema@.measure t
UNION ALL SELECT 'tier', pg_catalog.to_jsonb(t) FROM @extschema@.tier t
UNION ALL SELECT 'tier_rule', pg_catalog.to_jsonb(t) FROM @extschema@.tier_rule t
UNION ALL SELECT 'repair_rule', pg_catalog.to_jsonb(t) FROM @extschema@.repair_rule t
UNION ALL SELECT 'relation_kind', pg_catalog.to_jsonb(t) FROM @extschema@.relation_kind t
UNION ALL SELECT 'calendar_day', pg_catalog.to_jsonb(t) FROM @extschema@.calendar_day t;
GRANT SELECT ON @extschema@.shipped_row TO credit_admin, credit_department, credit_analyst;

-- While restoring, a dumped row whose key CREATE EXTENSION has already
-- inserted (a shipped row changed by the county) overwrites that row.
CREATE FUNCTION @extschema@.restore_shipped_row() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cols text;
    keys text;
    n    bigint;
BEGIN
    IF NOT @extschema@.restoring() THEN
        RETURN NEW;
    END IF;
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
      FROM pg_attribute a WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped;
    SELECT string_agg(quote_ident(k), ', ') INTO keys FROM unnest(TG_ARGV) k;
    EXECUTE format('UPDATE %1$I.%2$I SET (%3$s) = (SELECT %3$s FROM jsonb_populate_record(NULL::%1$I.%2$I, $1))
                     WHERE (%4$s) = (SELECT %4$s FROM jsonb_populate_record(NULL::%1$I.%2$I, $1))',
                   TG_TABLE_SCHEMA, TG_TABLE_NAME, cols, keys)
        USING to_jsonb(NEW);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN CASE WHEN n > 0 THEN NULL ELSE NEW END;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.restore_shipped_row() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.restore_shipped_row() IS
    'BEFORE INSERT trigger of the reference tables (arguments: the key columns): with credit.restoring on, a loaded row whose key exists replaces that row (a shipped row changed before the dump) instead of failing';
-- Each reference table gets the trigger above, and pg_dump keeps its rows
-- added or changed since CREATE EXTENSION.
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES ('department', '{code}'::text[]), ('catalog_item', '{code}'),
                                   ('industry', '{code}'), ('warning_rule', '{kind}'), ('model', '{code}'),
                                   ('model_grade', '{model,grade}'), ('model_dimension', '{model,dimension}'),
                                   ('model_rule', '{model,item_code}'), ('list', '{code}'),
                                   ('scenario', '{code}'), ('measure', '{code}'),
                                   ('tier', '{tier}'), ('tier_rule', '{model,grade}'),
                                   ('repair_rule', '{severity,decided_before}'),
                                   ('relation_kind', '{kind}'), ('calendar_day', '{day}')) v (tbl, keys)
    LOOP
        EXECUTE pg_catalog.format('CREATE TRIGGER restore_shipped_row BEFORE INSERT ON @extschema@.%I
                                   FOR EACH ROW EXECUTE FUNCTION @extschema@.restore_shipped_row(%s)',
                                  t.tbl, (SELECT pg_catalog.string_agg(pg_catalog.quote_literal(k), ', ')
                                            FROM pg_catalog.unnest(t.keys) k));
        PERFORM pg_catalog.pg_extension_config_dump(
            pg_catalog.format('@extschema@.%I', t.tbl)::pg_catalog.regclass,
            pg_catalog.format('WHERE to_jsonb(%1$I.*) NOT IN (SELECT s."row" FROM @extschema@.shipped_row s WHERE s.tbl = %1$L)', t.tbl));
    END LOOP;
END
$$;

-- Evaluation history and current grades (the other data tables register themselves).
SELECT pg_catalog.pg_extension_config_dump('@extschema@.evaluation_run', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.evaluation', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.subject_grade', '');

-- Identity sequences: a restored database numbers new rows after the old ones.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.subject_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.record_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.query_log_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.grade_change_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.warning_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.evaluation_run_id_seq', '');
