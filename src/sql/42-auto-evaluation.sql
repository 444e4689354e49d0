-- Auto-evaluation when data arrives (docs/auto-evaluation.md): statement-level AFTER
-- triggers with transition tables fold every statement's records into
-- credit.subject_grade, log and notify grade changes and raise warnings.

CREATE FUNCTION @extschema@.record_fold() RETURNS trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'credit_record_fold';
COMMENT ON FUNCTION @extschema@.record_fold() IS
    'Statement trigger of credit.record: computes the change the statement''s inserted, changed or deleted records make to the evaluation state of every touched subject and model in scope; with credit.fold_at = commit (default) queues it in credit.pending_fold for the commit, with statement folds it at once (one write per pair), logs grade changes in credit.grade_change, sends NOTIFY credit_grade_change and raises warnings';

-- Folding at commit (credit.fold_at = 'commit', the default): each
-- statement queues its delta states here; the deferred constraint trigger
-- folds all of a transaction's rows at commit, taking every grade lock in
-- one (subject, model) order.  Rows live only inside their transaction (the
-- apply deletes them before commit); rollbacks discard them by MVCC.  Unlogged:
-- rows that never outlive their transaction need no WAL.
-- No key: the backend finds its rows by their ctids, and merges them in the
-- order it queued them.
CREATE UNLOGGED TABLE @extschema@.pending_fold (
    xid           xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    subjects      int8[] NOT NULL,
    models        text[] NOT NULL,
    deltas        bytea[] NOT NULL,
    record_ids    int8[] NOT NULL,
    causes        text[] NOT NULL,
    warn_subjects int8[] NOT NULL,
    warn_records  int8[] NOT NULL,
    warn_items    text[] NOT NULL,
    warn_kinds    text[] NOT NULL,
    listed        int8[] NOT NULL,
    rescoped      int8[] NOT NULL
);
-- the arrays are written once and read once: compressing them costs more than it saves
ALTER TABLE @extschema@.pending_fold ALTER subjects SET STORAGE EXTERNAL, ALTER models SET STORAGE EXTERNAL,
    ALTER deltas SET STORAGE EXTERNAL, ALTER record_ids SET STORAGE EXTERNAL, ALTER causes SET STORAGE EXTERNAL,
    ALTER warn_subjects SET STORAGE EXTERNAL, ALTER warn_records SET STORAGE EXTERNAL,
    ALTER warn_items SET STORAGE EXTERNAL, ALTER warn_kinds SET STORAGE EXTERNAL,
    ALTER listed SET STORAGE EXTERNAL, ALTER rescoped SET STORAGE EXTERNAL;
COMMENT ON TABLE @extschema@.pending_fold IS
    'Record changes of open transactions waiting to be folded into credit.subject_grade at commit (credit.fold_at = commit): one row per statement on credit.record (or putting subjects on a list, or changing their scope), with its (subject, model) delta states, the record warnings to raise, the listed subjects to flag and the subjects whose grades out of scope to drop; emptied by the deferred trigger pending_fold_apply before commit, so never visible to other transactions';
COMMENT ON COLUMN @extschema@.pending_fold.xid IS 'Top-level transaction that queued the row';
COMMENT ON COLUMN @extschema@.pending_fold.deltas IS 'Per (subjects[i], models[i]): the statement''s change of the evaluation state (serialized, anchored at the current date)';
COMMENT ON COLUMN @extschema@.pending_fold.causes IS 'Per pair: insert, update or delete (with record_ids[i], the last record of the statement that touched it)';
COMMENT ON COLUMN @extschema@.pending_fold.warn_kinds IS 'Record warnings to raise (serious_record, listed, commitment_broken, or repeat_offence to check), per warn_subjects[i], warn_records[i], warn_items[i]';
COMMENT ON COLUMN @extschema@.pending_fold.listed IS 'Subjects the statement put on a list: their grade rows get their listing flag (credit.subject_grade.listed) in the one sorted lock pass at commit';
COMMENT ON COLUMN @extschema@.pending_fold.rescoped IS 'Subjects whose kind or industries the statement changed: their grade rows outside a model''s scope are dropped in the one sorted lock pass at commit';
REVOKE ALL ON TABLE @extschema@.pending_fold FROM PUBLIC;

CREATE FUNCTION @extschema@.pending_fold_apply() RETURNS trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'credit_pending_fold_apply';
COMMENT ON FUNCTION @extschema@.pending_fold_apply() IS
    'Deferred constraint trigger of credit.pending_fold: at commit, merges every pending change of the transaction per (subject, model), locks the grades in (subject, model) order, folds, writes them once, logs and notifies grade changes, writes industry grade records and raises warnings';
CREATE CONSTRAINT TRIGGER pending_fold_apply AFTER INSERT ON @extschema@.pending_fold
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION @extschema@.pending_fold_apply();

-- The listing flags of subjects put on a list by a statement other than a
-- record's (a resolved active list entry, a list given an item): set in the
-- transaction's fold at commit, in its one sorted lock pass, so that no
-- grade row is locked at the statement (docs/auto-evaluation.md).
CREATE FUNCTION @extschema@.queue_listed(subjects bigint[]) RETURNS void
LANGUAGE c VOLATILE STRICT AS 'MODULE_PATHNAME', 'credit_queue_listed';
REVOKE ALL ON FUNCTION @extschema@.queue_listed(bigint[]) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.queue_listed(bigint[]) IS
    'Queue subjects put on a list for the fold at commit (at once with credit.fold_at = statement), which sets the listing flag (credit.subject_grade.listed) of their grade rows in its one (subject, model) ordered lock pass; called by the list triggers';

-- Likewise the grades a subject loses when its kind or industries change
-- (credit.subject_scope_grades): dropped in the fold's lock pass.
CREATE FUNCTION @extschema@.queue_rescoped(subjects bigint[]) RETURNS void
LANGUAGE c VOLATILE STRICT AS 'MODULE_PATHNAME', 'credit_queue_rescoped';
REVOKE ALL ON FUNCTION @extschema@.queue_rescoped(bigint[]) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.queue_rescoped(bigint[]) IS
    'Queue subjects whose kind or industries changed for the fold at commit (at once with credit.fold_at = statement), which drops their grade rows outside a model''s scope in its one (subject, model) ordered lock pass; called by the subject scope trigger';

CREATE TRIGGER record_fold_insert AFTER INSERT ON @extschema@.record
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.record_fold();
-- (transition tables cannot be combined with a column list: the function
-- skips rows whose status, value, subject, item and date did not change)
CREATE TRIGGER record_fold_update AFTER UPDATE ON @extschema@.record
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.record_fold();
CREATE TRIGGER record_fold_delete AFTER DELETE ON @extschema@.record
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.record_fold();

-- Daily re-anchoring: decay moves scores with no new data.
CREATE FUNCTION @extschema@.reanchor_grades(as_of date DEFAULT CURRENT_DATE) RETURNS bigint
LANGUAGE c VOLATILE STRICT AS 'MODULE_PATHNAME', 'credit_reanchor_grades';
COMMENT ON FUNCTION @extschema@.reanchor_grades(date) IS
    'Re-anchor every stored evaluation state older than as_of to as_of (decay alone), update scores and grades, and log and notify the grade changes decay caused (cause ''decay''); returns the number of grade changes. Schedule it daily with credit.schedule_reanchor';

-- Schedule the daily re-anchoring with pg_cron.
CREATE FUNCTION @extschema@.schedule_reanchor(schedule text DEFAULT '5 0 * * *') RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.require_pg_cron('credit.schedule_reanchor runs credit.reanchor_grades as a pg_cron job.');
    RETURN @extschema@.schedule_job('credit_reanchor', schedule, 'SELECT @extschema@.reanchor_grades()');
END
$$;
COMMENT ON FUNCTION @extschema@.schedule_reanchor(text) IS
    'Run credit.reanchor_grades() on a cron schedule (pg_cron job credit_reanchor, daily at 00:05 UTC by default, replaced if it exists); returns the job id';

REVOKE ALL ON FUNCTION @extschema@.reanchor_grades(date) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.schedule_reanchor(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.reanchor_grades(date), @extschema@.schedule_reanchor(text) TO credit_admin;

