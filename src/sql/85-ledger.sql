-- Ledger (docs/ledger.md): every change to credit records, list entries,
-- evaluation results and subjects (master data) is chained by SHA-256 in credit.ledger, one entry per
-- statement and table, appended at commit; credit.verify_ledger() reports
-- every place where the ledger does not match itself or the tables
-- (docs/ledger.md).

CREATE TABLE @extschema@.ledger (
    seq         bigint PRIMARY KEY,
    at          timestamptz NOT NULL,
    who         text NOT NULL,
    xid         xid8 NOT NULL,
    relation    text NOT NULL,
    op          text NOT NULL CHECK (op IN ('insert', 'update', 'delete', 'truncate')),
    key1        bigint[] NOT NULL,
    key2        bigint[],
    old_hashes  bytea[],
    new_hashes  bytea[],
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL,
    mac         bytea
);
-- row hashes do not compress: store them out of line without trying
ALTER TABLE @extschema@.ledger ALTER COLUMN old_hashes SET STORAGE EXTERNAL;
ALTER TABLE @extschema@.ledger ALTER COLUMN new_hashes SET STORAGE EXTERNAL;
COMMENT ON TABLE @extschema@.ledger IS
    'Tamper-evident ledger (防篡改账本): one entry per statement and table changing credit.record, credit.list_entry, credit.evaluation or credit.subject, with the SHA-256 of every changed row, chained by SHA-256 in commit order, each entry tagged with HMAC-SHA256 under the superuser-only key credit.ledger_key; checked by credit.verify_ledger()';
COMMENT ON COLUMN @extschema@.ledger.seq IS 'Position in the chain: 1, 2, 3, ... without gaps';
COMMENT ON COLUMN @extschema@.ledger.at IS 'When the entry was appended (the commit of its transaction)';
COMMENT ON COLUMN @extschema@.ledger.who IS 'Role that ran the statement (current role outside security-definer functions)';
COMMENT ON COLUMN @extschema@.ledger.xid IS 'Transaction that wrote the rows';
COMMENT ON COLUMN @extschema@.ledger.relation IS 'Table of the rows: record, list_entry, evaluation or subject (schema credit)';
COMMENT ON COLUMN @extschema@.ledger.op IS 'insert, update, delete or truncate (an update that changes a primary key is logged as a delete and an insert)';
COMMENT ON COLUMN @extschema@.ledger.key1 IS 'First primary key column of each row in column order (id of credit.record, credit.list_entry and credit.subject; run_id of credit.evaluation)';
COMMENT ON COLUMN @extschema@.ledger.key2 IS 'Second primary key column of each row in column order (subject_id of credit.record and credit.evaluation); NULL for one-column keys';
COMMENT ON COLUMN @extschema@.ledger.old_hashes IS 'SHA-256 of each row before the statement (update, delete): credit.ledger_hash_row';
COMMENT ON COLUMN @extschema@.ledger.new_hashes IS 'SHA-256 of each row after the statement (insert, update): credit.ledger_hash_row';
COMMENT ON COLUMN @extschema@.ledger.prev_hash IS 'hash of entry seq - 1 (32 zero bytes for entry 1)';
COMMENT ON COLUMN @extschema@.ledger.hash IS 'SHA-256 of the entry, prev_hash included (docs/ledger.md)';
COMMENT ON COLUMN @extschema@.ledger.mac IS
    'Keyed tag: HMAC-SHA256 of hash under the superuser-only setting credit.ledger_key, so that an entry rewritten and re-hashed by anyone without the key is found; NULL when written while the key was not set (reported by credit.verify_ledger, tagged by credit.seal_ledger)';

-- Read-only for the roles that audit; nobody but superusers may change it:
-- row-level security with a read policy only, and a guard trigger refusing
-- every write (TRUNCATE included, which row-level security does not cover)
-- by anyone else, whatever table privileges are granted later.
REVOKE ALL ON TABLE @extschema@.ledger FROM PUBLIC;
GRANT SELECT ON TABLE @extschema@.ledger TO credit_admin, credit_analyst;
ALTER TABLE @extschema@.ledger ENABLE ROW LEVEL SECURITY;
CREATE POLICY ledger_read ON @extschema@.ledger FOR SELECT USING (true);

CREATE FUNCTION @extschema@.ledger_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user) THEN
        RAISE EXCEPTION 'credit.ledger is append-only'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('%s on credit.ledger by role %s.', TG_OP, current_user),
                  HINT = 'Entries are appended at commit by the ledger''s triggers; only superusers can change them.';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.ledger_guard() IS
    'Statement trigger of credit.ledger: refuses INSERT, UPDATE, DELETE and TRUNCATE by any role but a superuser (SQLSTATE 42501); entries are appended at commit as the ledger''s owner';
CREATE TRIGGER ledger_guard BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.ledger
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.ledger_guard();
SELECT pg_catalog.pg_extension_config_dump('@extschema@.ledger', '');

CREATE FUNCTION @extschema@.ledger_capture() RETURNS trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'credit_ledger_capture';
COMMENT ON FUNCTION @extschema@.ledger_capture() IS
    'Statement trigger of the ledgered tables (INSERT, UPDATE, DELETE with transition tables; TRUNCATE): hashes every changed row and keeps the statement''s keys and hashes until commit, when they are appended to credit.ledger; does nothing while credit.restoring is on';

CREATE FUNCTION @extschema@.ledger_hash_row(anyelement) RETURNS bytea
LANGUAGE c STABLE STRICT AS 'MODULE_PATHNAME', 'credit_ledger_hash_row';
COMMENT ON FUNCTION @extschema@.ledger_hash_row(anyelement) IS
    'SHA-256 of a table row''s canonical serialization, as credit.ledger logs it: non-NULL columns in name order, each as name and output text (UTF-8, under fixed DateStyle, TimeZone, IntervalStyle, extra_float_digits and bytea_output)';

CREATE FUNCTION @extschema@.verify_ledger() RETURNS TABLE (seq bigint, problem text)
LANGUAGE c STABLE AS 'MODULE_PATHNAME', 'credit_verify_ledger';
COMMENT ON FUNCTION @extschema@.verify_ledger() IS
    'Check the ledger: the hash chain (edited, deleted or reordered entries), the keyed tags under credit.ledger_key (entries rewritten and re-hashed; untagged entries; a warning when the key is not set), the capture triggers, and every row of credit.record, credit.list_entry, credit.evaluation and credit.subject against its last logged version (rows changed, inserted or deleted without passing through the ledger); one row per problem, with the entry it concerns; empty when nothing was tampered with';
REVOKE ALL ON FUNCTION @extschema@.verify_ledger() FROM PUBLIC;

CREATE FUNCTION @extschema@.seal_ledger() RETURNS bigint
LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'credit_seal_ledger';
COMMENT ON FUNCTION @extschema@.seal_ledger() IS
    'Superusers only: tag with credit.ledger_key the ledger entries written while the key was not set, and re-tag those tagged under credit.ledger_key_previous (a key rotation), after checking the whole chain (refused, SQLSTATE XX001, when any entry does not verify); returns the number of entries tagged';
REVOKE ALL ON FUNCTION @extschema@.seal_ledger() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ledger_hash_row(anyelement) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.verify_ledger() TO credit_admin, credit_analyst;

-- The capture triggers of the ledgered tables (the list is also in
-- src/ledger.c: verify_ledger reports a table whose triggers are missing).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['record', 'list_entry', 'evaluation', 'subject'] LOOP
        EXECUTE pg_catalog.format('CREATE TRIGGER ledger_insert AFTER INSERT ON @extschema@.%I
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.ledger_capture()', t);
        EXECUTE pg_catalog.format('CREATE TRIGGER ledger_update AFTER UPDATE ON @extschema@.%I
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.ledger_capture()', t);
        EXECUTE pg_catalog.format('CREATE TRIGGER ledger_delete AFTER DELETE ON @extschema@.%I
            REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.ledger_capture()', t);
        EXECUTE pg_catalog.format('CREATE TRIGGER ledger_truncate AFTER TRUNCATE ON @extschema@.%I
            FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.ledger_capture()', t);
    END LOOP;
END
$$;
