-- Backup and restore (pg_dump / pg_restore): what a dump of a credit database
-- holds besides the extension itself.  CREATE EXTENSION recreates the shipped
-- rows, so a dump keeps only the rows added since; every table of collected or
-- derived data is dumped whole, with the sequences that number it.  A restore
-- runs with credit.restoring = on, so the triggers keep the loaded rows as
-- they are instead of evaluating, resolving and logging them a second time
-- (docs/backup.md).

-- The rows CREATE EXTENSION ships, recorded after every fragment has added its own.
CREATE TABLE @extschema@.shipped_row (
    tbl  text NOT NULL,
    key  text NOT NULL,
    PRIMARY KEY (tbl, key)
);
COMMENT ON TABLE @extschema@.shipped_row IS
    'Keys of the rows CREATE EXTENSION inserts into the reference tables (department, catalog_item, industry, warning_rule): pg_dump leaves them out, since the extension recreates them on restore';
INSERT INTO @extschema@.shipped_row (tbl, key)
SELECT 'department', code FROM @extschema@.department
UNION ALL SELECT 'catalog_item', code FROM @extschema@.catalog_item
UNION ALL SELECT 'industry', code FROM @extschema@.industry
UNION ALL SELECT 'warning_rule', kind FROM @extschema@.warning_rule;
GRANT SELECT ON @extschema@.shipped_row TO credit_admin, credit_department, credit_analyst;

-- Reference tables: the rows added since CREATE EXTENSION.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.department',
    $$WHERE code NOT IN (SELECT s.key FROM @extschema@.shipped_row s WHERE s.tbl = 'department')$$);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.catalog_item',
    $$WHERE code NOT IN (SELECT s.key FROM @extschema@.shipped_row s WHERE s.tbl = 'catalog_item')$$);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.industry',
    $$WHERE code NOT IN (SELECT s.key FROM @extschema@.shipped_row s WHERE s.tbl = 'industry')$$);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.warning_rule',
    $$WHERE kind NOT IN (SELECT s.key FROM @extschema@.shipped_row s WHERE s.tbl = 'warning_rule')$$);

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
