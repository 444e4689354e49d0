-- The BEFORE ROW trigger of credit.record in C: same rules as before (future
-- dates refused, publicity_until derived from the catalogue), with the
-- catalogue cached per backend.

CREATE OR REPLACE FUNCTION @extschema@.record_defaults() RETURNS trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'credit_record_defaults';
COMMENT ON FUNCTION @extschema@.record_defaults() IS
    'BEFORE ROW trigger of credit.record: refuses records dated in the future (SQLSTATE 23514) and sets publicity_until from the catalogue item (NULL: not published; infinity: while active; else decided_on + max_publicity); warning-only penalties are not published';

-- Send a relcache invalidation of the table the trigger is on, so caches
-- built from it (in this backend and every other) are rebuilt on next use.
CREATE FUNCTION @extschema@.invalidate_relcache() RETURNS trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'credit_invalidate_relcache';
COMMENT ON FUNCTION @extschema@.invalidate_relcache() IS
    'Statement trigger for configuration tables: invalidates every backend''s cache built from the table';

CREATE TRIGGER catalog_item_invalidate
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.catalog_item
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.invalidate_relcache();
