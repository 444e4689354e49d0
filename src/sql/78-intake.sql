-- Intake (归集, docs/intake.md): the tolerant front door of units' feeds.
--
-- credit.intake is a view over credit.intake_row.  PostgreSQL refuses COPY
-- FROM into a table whose row-level security applies to the caller, so the
-- rows a unit may read are chosen by the view, and what it may write by the
-- processing below: the view's INSTEAD OF trigger (C: src/intake.c) only
-- buffers the statement's rows; its AFTER STATEMENT trigger takes them all at
-- once and processes them set-wise, as the owner, in the same statement.

-- Decisions (决定): a unit's decision is identified by its unit, catalogue
-- item and document number (决定文书号); a decision sent again replaces the
-- earlier version and is never a second record.  Kept for every record with a
-- document number by the record triggers below (a unique index on
-- credit.record could not do it on the partitioned layout, whose keys must
-- carry subject_id).
CREATE TABLE @extschema@.decision (
    department  text NOT NULL,
    item_code   text NOT NULL,
    document_no text NOT NULL,
    party       bigint NOT NULL,
    subject_id  bigint,
    record_id   bigint,
    PRIMARY KEY (department, item_code, document_no, party)
);
COMMENT ON TABLE @extschema@.decision IS
    'Decisions (决定) by their key: unit, catalogue item, document number (决定文书号, trimmed) and party (credit.decision_party: 0 for licences and penalties, whose document names one party, else the subject), with the one record each stands for; maintained by the triggers of credit.record, so a decision is never recorded twice (SQLSTATE 23505 names it); the intake claims the keys of the records it is about to make, with their numbers';
CREATE INDEX decision_record_idx ON @extschema@.decision (record_id);
GRANT SELECT ON @extschema@.decision TO credit_admin;

-- Which records are decisions keyed by their document number, and the party
-- of the key: licences and penalties (双公示) name one party per document, so
-- a re-sent one may correct the subject (party 0); other items' documents
-- (an honour list, a court's judgment) may name many subjects, one decision
-- each (party = the subject).  Industry grades (the platform's own, one per
-- evaluation) and listings (keyed by their list entries) are no decisions.
CREATE FUNCTION @extschema@.decision_party_of(category text, subject_id bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN category IN ('license', 'penalty') THEN 0::pg_catalog.int8
                WHEN category IN ('industry_grade', 'list') THEN NULL::pg_catalog.int8
                ELSE subject_id END
$$;
COMMENT ON FUNCTION @extschema@.decision_party_of(text, bigint) IS
    'Party of the decision key (credit.decision) of a record of an item of this category (credit.catalog_item.category) and this subject: 0 for licences and penalties (one party per document), the subject for other items, NULL for industry grades and listings (no decision key); the rule itself, an expression inlined into the queries that join the catalogue';
CREATE FUNCTION @extschema@.decision_party(item_code text, subject_id bigint) RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT @extschema@.decision_party_of(c.category, decision_party.subject_id)
      FROM @extschema@.catalog_item c WHERE c.code OPERATOR(pg_catalog.=) decision_party.item_code
$$;
COMMENT ON FUNCTION @extschema@.decision_party(text, bigint) IS
    'Party of the decision key (credit.decision) of a record of this item and subject (credit.decision_party_of of the item''s category): 0 for licences and penalties (one party per document), the subject for other items, NULL for industry grades and listings (no decision key)';

-- The records the intake of this subtransaction is about to insert, their
-- keys claimed already (C: src/intake_records.c): the record trigger below
-- claims nothing again for a statement of exactly such records.
CREATE FUNCTION @extschema@.intake_claims_pending() RETURNS boolean
    AS 'MODULE_PATHNAME', 'credit_intake_claims_pending'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION @extschema@.intake_claims_pending() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.intake_claims_pending() IS
    'Whether the intake of the current subtransaction numbered records it is about to insert, having claimed their decision keys (credit.intake_claimed). Internal to credit.record_decisions';
CREATE FUNCTION @extschema@.intake_claimed(ids bigint[], units text[], items text[], documents text[], subjects bigint[])
RETURNS boolean
    AS 'MODULE_PATHNAME', 'credit_intake_claimed'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION @extschema@.intake_claimed(bigint[], text[], text[], text[], bigint[]) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.intake_claimed(bigint[], text[], text[], text[], bigint[]) IS
    'True when every record given (number, unit, item, trimmed document number, subject) is one the intake of the current subtransaction numbered with exactly these values, its decision key claimed in credit.decision under that number; each such record is then answered for once. False otherwise (nothing used). Internal to credit.record_decisions';

-- Keep credit.decision in step with the records of a statement: new keys are
-- claimed (a key another record holds is refused, naming it), keys of changed
-- or deleted records are released.
CREATE FUNCTION @extschema@.record_decisions() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    dup     record;
    held    record;
    twice   boolean := false;
    taken   boolean := false;
    wanted  bigint;
    ids     bigint[];
    units   text[];
    items   text[];
    docs    text[];
    sids    bigint[];
    parties bigint[];
    claimed bigint;
    held_any boolean := false;
BEGIN
    IF @extschema@.restoring() THEN
        RETURN NULL;      -- a dump holds the decisions too
    END IF;
    -- The keys of changed and deleted rows: the rows read from the transition
    -- tables alone into arrays, the queries of credit.decision filtered on
    -- the statement's subjects (as on a shard of Citus, below).
    -- (one statement per event: a transition table exists only for its events)
    IF TG_OP OPERATOR(pg_catalog.<>) 'INSERT' THEN
        -- the keys of deleted rows and of changed rows whose key changed, released
        IF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
            SELECT pg_catalog.array_agg(o.id), pg_catalog.array_agg(o.department), pg_catalog.array_agg(o.item_code),
                   pg_catalog.array_agg(btrim(o.document_no)), pg_catalog.array_agg(o.subject_id)
              INTO ids, units, items, docs, sids
              FROM old_rows o;
        ELSE
            SELECT pg_catalog.array_agg(o.id), pg_catalog.array_agg(o.department), pg_catalog.array_agg(o.item_code),
                   pg_catalog.array_agg(btrim(o.document_no)), pg_catalog.array_agg(o.subject_id)
              INTO ids, units, items, docs, sids
              FROM old_rows o
             WHERE NOT EXISTS (SELECT FROM new_rows n
                                WHERE n.id OPERATOR(pg_catalog.=) o.id
                                  AND n.department OPERATOR(pg_catalog.=) o.department
                                  AND n.item_code OPERATOR(pg_catalog.=) o.item_code
                                  AND btrim(n.document_no) OPERATOR(pg_catalog.=) btrim(o.document_no)
                                  AND n.subject_id OPERATOR(pg_catalog.=) o.subject_id);
        END IF;
        IF ids IS NOT NULL THEN
            DELETE FROM @extschema@.decision d
             WHERE d.subject_id OPERATOR(pg_catalog.=) ANY (sids)
               AND (d.department, d.item_code, d.document_no, d.record_id) IN
                   (SELECT o.department, o.item_code, o.document_no, o.id
                      FROM ROWS FROM (pg_catalog.unnest(ids), pg_catalog.unnest(units), pg_catalog.unnest(items),
                                      pg_catalog.unnest(docs)) AS o (id, department, item_code, document_no));
        END IF;
        IF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
            RETURN NULL;
        END IF;
        -- rows whose key did not change claim nothing new
        SELECT count(*) INTO wanted
          FROM new_rows n JOIN old_rows o ON o.id OPERATOR(pg_catalog.=) n.id
         WHERE (n.department, n.item_code, btrim(n.document_no), n.subject_id)
               IS DISTINCT FROM (o.department, o.item_code, btrim(o.document_no), o.subject_id);
        IF wanted OPERATOR(pg_catalog.=) 0 THEN
            RETURN NULL;
        END IF;
    END IF;

    IF TG_TABLE_NAME OPERATOR(pg_catalog.=) 'record' THEN
        -- records the intake of this subtransaction numbered, their keys claimed
        -- already under these numbers (credit.intake_claimed): nothing to claim
        -- (the first test a simple expression: no query for other statements)
        IF TG_OP OPERATOR(pg_catalog.=) 'INSERT' AND @extschema@.intake_claims_pending() THEN
            IF (SELECT @extschema@.intake_claimed(pg_catalog.array_agg(n.id), pg_catalog.array_agg(n.department),
                                                  pg_catalog.array_agg(n.item_code),
                                                  pg_catalog.array_agg(btrim(n.document_no)),
                                                  pg_catalog.array_agg(n.subject_id))
                  FROM new_rows n) THEN
                RETURN NULL;
            END IF;
        END IF;
        -- The keys of the statement's records (those with a document number whose item is
        -- keyed) are claimed in key order, so concurrent claimers never wait for each other in
        -- a cycle, reading the transition table once, nothing materialized.  First by a plain
        -- INSERT, whose unique check is part of each insertion: it claims them all unless a
        -- key is held already (by the record itself, as the intake claims the keys of the
        -- records it is about to make, or by another record) or given twice.  Then by an
        -- INSERT ... ON CONFLICT that counts what it claimed; a key given twice makes it fail
        -- (it cannot affect a row twice), and only then are the keys grouped, to name it.
        BEGIN
            INSERT INTO @extschema@.decision (department, item_code, document_no, party, subject_id, record_id)
            SELECT n.department, n.item_code, btrim(n.document_no),
                   @extschema@.decision_party_of(c.category, n.subject_id), n.subject_id, n.id
              FROM new_rows n JOIN @extschema@.catalog_item c ON c.code OPERATOR(pg_catalog.=) n.item_code
             WHERE btrim(n.document_no) OPERATOR(pg_catalog.<>) ''
               AND @extschema@.decision_party_of(c.category, n.subject_id) IS NOT NULL
             ORDER BY 1, 2, 3, 4;
        EXCEPTION WHEN unique_violation THEN
            held_any := true;
            BEGIN
                WITH ins AS (
                    INSERT INTO @extschema@.decision AS d (department, item_code, document_no, party, subject_id, record_id)
                    SELECT n.department, n.item_code, btrim(n.document_no),
                           @extschema@.decision_party_of(c.category, n.subject_id), n.subject_id, n.id
                      FROM new_rows n JOIN @extschema@.catalog_item c ON c.code OPERATOR(pg_catalog.=) n.item_code
                     WHERE btrim(n.document_no) OPERATOR(pg_catalog.<>) ''
                       AND @extschema@.decision_party_of(c.category, n.subject_id) IS NOT NULL
                     ORDER BY 1, 2, 3, 4
                        ON CONFLICT (department, item_code, document_no, party) DO UPDATE
                       SET subject_id = excluded.subject_id, record_id = excluded.record_id
                     WHERE d.record_id IS NULL
                        OR (d.record_id OPERATOR(pg_catalog.=) excluded.record_id
                            AND d.subject_id IS DISTINCT FROM excluded.subject_id)
                    RETURNING 1)
                SELECT (SELECT pg_catalog.count(*) FROM ins),
                       (SELECT pg_catalog.count(*)
                          FROM new_rows n JOIN @extschema@.catalog_item c ON c.code OPERATOR(pg_catalog.=) n.item_code
                         WHERE btrim(n.document_no) OPERATOR(pg_catalog.<>) ''
                           AND @extschema@.decision_party_of(c.category, n.subject_id) IS NOT NULL)
                  INTO claimed, wanted;
            EXCEPTION WHEN cardinality_violation THEN
                SELECT n.department, n.item_code, btrim(n.document_no) AS document_no, pg_catalog.count(*) AS n
                  INTO dup
                  FROM new_rows n JOIN @extschema@.catalog_item c ON c.code OPERATOR(pg_catalog.=) n.item_code
                 WHERE btrim(n.document_no) OPERATOR(pg_catalog.<>) ''
                   AND @extschema@.decision_party_of(c.category, n.subject_id) IS NOT NULL
                 GROUP BY 1, 2, 3, @extschema@.decision_party_of(c.category, n.subject_id)
                HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1
                 ORDER BY 4 DESC LIMIT 1;
                IF NOT FOUND THEN
                    RAISE;
                END IF;
                twice := true;
            END;
        END;
        -- A key not claimed is the record's when the record held it already (the intake
        -- claims the keys of the records it is about to make); else another record holds it.
        IF held_any AND NOT twice AND claimed OPERATOR(pg_catalog.<) wanted THEN
            SELECT n.department, n.item_code, btrim(n.document_no) AS document_no, n.id, d.record_id INTO held
              FROM new_rows n
              JOIN @extschema@.catalog_item c ON c.code OPERATOR(pg_catalog.=) n.item_code
              JOIN @extschema@.decision d ON d.department OPERATOR(pg_catalog.=) n.department
                                         AND d.item_code OPERATOR(pg_catalog.=) n.item_code
                                         AND d.document_no OPERATOR(pg_catalog.=) btrim(n.document_no)
                                         AND d.party OPERATOR(pg_catalog.=) @extschema@.decision_party_of(c.category, n.subject_id)
             WHERE btrim(n.document_no) OPERATOR(pg_catalog.<>) ''
               AND d.record_id IS DISTINCT FROM n.id
             ORDER BY n.id LIMIT 1;
            taken := FOUND;
        END IF;
    ELSE
        -- On a shard of Citus (credit.record_102040, on a worker) a query
        -- cannot join a transition table with the platform's tables: the
        -- statement's rows are read alone into arrays, and every query of
        -- credit.decision filters on the statement's subjects, which routes
        -- it to their shard (the key carries the subject there).
        SELECT pg_catalog.array_agg(n.id), pg_catalog.array_agg(n.department), pg_catalog.array_agg(n.item_code),
               pg_catalog.array_agg(btrim(n.document_no)), pg_catalog.array_agg(n.subject_id)
          INTO ids, units, items, docs, sids
          FROM new_rows n
         WHERE btrim(n.document_no) OPERATOR(pg_catalog.<>) '';
        -- those whose item is keyed, with the party of their key
        SELECT pg_catalog.array_agg(n.id), pg_catalog.array_agg(n.department), pg_catalog.array_agg(n.item_code),
               pg_catalog.array_agg(n.document_no), pg_catalog.array_agg(n.subject_id),
               pg_catalog.array_agg(@extschema@.decision_party_of(c.category, n.subject_id))
          INTO ids, units, items, docs, sids, parties
          FROM ROWS FROM (pg_catalog.unnest(ids), pg_catalog.unnest(units), pg_catalog.unnest(items),
                          pg_catalog.unnest(docs), pg_catalog.unnest(sids)) AS n (id, department, item_code, document_no, subject_id)
          JOIN @extschema@.catalog_item c ON c.code OPERATOR(pg_catalog.=) n.item_code
         WHERE @extschema@.decision_party_of(c.category, n.subject_id) IS NOT NULL;
        IF ids IS NULL THEN
            RETURN NULL;
        END IF;
        SELECT k.department, k.item_code, k.document_no, pg_catalog.count(*) AS n INTO dup
          FROM ROWS FROM (pg_catalog.unnest(units), pg_catalog.unnest(items), pg_catalog.unnest(docs),
                          pg_catalog.unnest(parties)) AS k (department, item_code, document_no, party)
         GROUP BY 1, 2, 3, k.party
        HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1
         ORDER BY 4 DESC LIMIT 1;
        twice := FOUND;
        IF NOT twice THEN
            INSERT INTO @extschema@.decision AS d (department, item_code, document_no, party, subject_id, record_id)
            SELECT k.department, k.item_code, k.document_no, k.party, k.subject_id, k.id
              FROM ROWS FROM (pg_catalog.unnest(ids), pg_catalog.unnest(units), pg_catalog.unnest(items),
                              pg_catalog.unnest(docs), pg_catalog.unnest(parties), pg_catalog.unnest(sids))
                   AS k (id, department, item_code, document_no, party, subject_id)
             ORDER BY 1, 2, 3, 4
                ON CONFLICT ON CONSTRAINT decision_pkey DO UPDATE
               SET subject_id = excluded.subject_id, record_id = excluded.record_id
             WHERE d.record_id IS NULL
                OR (d.record_id OPERATOR(pg_catalog.=) excluded.record_id
                    AND d.subject_id IS DISTINCT FROM excluded.subject_id);
            SELECT k.department, k.item_code, k.document_no, k.id,
                   (SELECT d.record_id FROM @extschema@.decision d
                     WHERE d.subject_id OPERATOR(pg_catalog.=) ANY (sids)
                       AND d.department OPERATOR(pg_catalog.=) k.department
                       AND d.item_code OPERATOR(pg_catalog.=) k.item_code
                       AND d.document_no OPERATOR(pg_catalog.=) k.document_no
                       AND d.party OPERATOR(pg_catalog.=) k.party) AS record_id
              INTO held
              FROM ROWS FROM (pg_catalog.unnest(ids), pg_catalog.unnest(units), pg_catalog.unnest(items),
                              pg_catalog.unnest(docs), pg_catalog.unnest(parties)) AS k (id, department, item_code, document_no, party)
             WHERE NOT EXISTS (SELECT FROM @extschema@.decision d
                                WHERE d.subject_id OPERATOR(pg_catalog.=) ANY (sids)
                                  AND d.department OPERATOR(pg_catalog.=) k.department
                                  AND d.item_code OPERATOR(pg_catalog.=) k.item_code
                                  AND d.document_no OPERATOR(pg_catalog.=) k.document_no
                                  AND d.party OPERATOR(pg_catalog.=) k.party
                                  AND d.record_id OPERATOR(pg_catalog.=) k.id)
             ORDER BY k.id LIMIT 1;
            taken := FOUND;
        END IF;
    END IF;
    IF twice THEN
        RAISE EXCEPTION 'decision of unit %, item %, document number "%" is given % times in one statement',
                        dup.department, dup.item_code, dup.document_no, dup.n
            USING ERRCODE = 'unique_violation',
                  HINT = 'A decision is one record: send it once, or send it through credit.intake, which updates the record.';
    END IF;
    IF taken THEN
        RAISE EXCEPTION 'duplicate decision: unit %, item %, document number "%" is record % already (new record %)',
                        held.department, held.item_code, held.document_no, held.record_id, held.id
            USING ERRCODE = 'unique_violation',
                  HINT = 'Update that record, or send the decision through credit.intake, which updates it in place.';
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.record_decisions() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.record_decisions() IS
    'Statement trigger of credit.record: claims the decision key (unit, item, trimmed document number) of every new or changed record in credit.decision, refusing one that another record holds (SQLSTATE 23505 naming the decision and both records), and releases the keys of changed and deleted records; skipped while restoring a dump';
CREATE TRIGGER record_decisions_insert AFTER INSERT ON @extschema@.record
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.record_decisions();
CREATE TRIGGER record_decisions_update AFTER UPDATE ON @extschema@.record
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.record_decisions();
CREATE TRIGGER record_decisions_delete AFTER DELETE ON @extschema@.record
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.record_decisions();

-- The fields of a feed: the national exchange layout of double publicity
-- (双公示, v2 names and the old v1 ones) mapped to the intake's columns and
-- details keys, and which fields completeness counts and a row cannot lack.
CREATE TABLE @extschema@.intake_field (
    layout    text NOT NULL CHECK (layout IN ('intake', 'penalty', 'license')),
    code      text NOT NULL,
    field     text NOT NULL,
    label     text NOT NULL,
    version   smallint NOT NULL DEFAULT 2 CHECK (version IN (1, 2)),
    kind      text NOT NULL DEFAULT 'text' CHECK (kind IN ('text', 'date', 'number')),
    mandatory boolean NOT NULL DEFAULT false,
    rejects   boolean NOT NULL DEFAULT false,
    position  integer NOT NULL,
    PRIMARY KEY (layout, code),
    CHECK (NOT rejects OR mandatory)
);
COMMENT ON TABLE @extschema@.intake_field IS
    'Fields of a feed (归集字段): for layout intake the fields every row needs; for penalty and license the columns of the national double-publicity exchange layout (行政处罚 CF_*, 行政许可 XK_*, v2 and old v1 names, lower case) and the intake column or details key each fills; mandatory fields (必填) are what completeness counts for items of that category, rejects ones a row cannot lack';
COMMENT ON COLUMN @extschema@.intake_field.code IS 'Column of the layout (credit.intake_penalty / credit.intake_license), e.g. cf_wsh';
COMMENT ON COLUMN @extschema@.intake_field.field IS 'What it fills: an intake column (subject_code, subject_name, subject_kind, document_no, decided_on, amount) or a key of details';
COMMENT ON COLUMN @extschema@.intake_field.kind IS 'Format a details value must have: text, date (YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD) or number';
COMMENT ON COLUMN @extschema@.intake_field.mandatory IS 'Counted by completeness (完整率) for rows of this category';
COMMENT ON COLUMN @extschema@.intake_field.rejects IS 'A row without it is rejected (missing_field)';
COMMENT ON COLUMN @extschema@.intake_field.position IS 'Column position in the layout''s view; several codes filling one intake column are read in this order';

INSERT INTO @extschema@.intake_field (layout, code, field, label, version, kind, mandatory, rejects, position) VALUES
    ('intake', 'subject_code', 'subject_code', 'code of the subject (USCC, organisation code or ID number)', 2, 'text', true, true, 1),
    ('intake', 'item_code', 'item_code', 'catalogue item', 2, 'text', true, true, 2),
    ('intake', 'decided_on', 'decided_on', 'decision date', 2, 'text', true, true, 3),
    -- 行政处罚 (penalty), v2
    ('penalty', 'cf_xdr_mc', 'subject_name', '行政相对人名称', 2, 'text', true, false, 1),
    ('penalty', 'cf_xdr_lb', 'subject_kind', '行政相对人类别', 2, 'text', true, false, 2),
    ('penalty', 'cf_xdr_shxym', 'subject_code', '统一社会信用代码', 2, 'text', false, false, 3),
    ('penalty', 'cf_xdr_gszc', 'registration_no', '工商注册号', 2, 'text', false, false, 4),
    ('penalty', 'cf_xdr_zzjg', 'org_code', '组织机构代码', 2, 'text', false, false, 5),
    ('penalty', 'cf_xdr_swdj', 'tax_no', '税务登记号', 2, 'text', false, false, 6),
    ('penalty', 'cf_xdr_sydw', 'institution_cert_no', '事业单位证书号', 2, 'text', false, false, 7),
    ('penalty', 'cf_xdr_shzz', 'social_org_cert_no', '社会组织登记证号', 2, 'text', false, false, 8),
    ('penalty', 'cf_frdb', 'legal_rep', '法定代表人', 2, 'text', false, false, 9),
    ('penalty', 'cf_fr_zjlx', 'legal_rep_id_type', '法定代表人证件类型', 2, 'text', false, false, 10),
    ('penalty', 'cf_fr_zjhm', 'legal_rep_id_no', '法定代表人证件号码', 2, 'text', false, false, 11),
    ('penalty', 'cf_xdr_zjlx', 'party_id_type', '证件类型', 2, 'text', false, false, 12),
    ('penalty', 'cf_xdr_zjhm', 'subject_code', '证件号码', 2, 'text', false, false, 13),
    ('penalty', 'cf_wsh', 'document_no', '决定书文号', 2, 'text', true, true, 14),
    ('penalty', 'cf_wfxw', 'violation_type', '违法行为类型', 2, 'text', true, false, 15),
    ('penalty', 'cf_sy', 'facts', '违法事实', 2, 'text', true, false, 16),
    ('penalty', 'cf_yj', 'legal_basis', '处罚依据', 2, 'text', true, false, 17),
    ('penalty', 'cf_cflb', 'penalty_category', '处罚类别', 2, 'text', true, false, 18),
    ('penalty', 'cf_nr', 'content', '处罚内容', 2, 'text', true, false, 19),
    ('penalty', 'cf_nr_fk', 'amount', '罚款金额（万元）', 2, 'number', false, false, 20),
    ('penalty', 'cf_nr_wfff', 'confiscated', '没收违法所得、没收非法财物的金额（万元）', 2, 'number', false, false, 21),
    ('penalty', 'cf_nr_zkdx', 'license_revoked', '暂扣或吊销证照名称及编号', 2, 'text', false, false, 22),
    ('penalty', 'cf_jdrq', 'decided_on', '处罚决定日期', 2, 'date', true, false, 23),
    ('penalty', 'cf_yxq', 'valid_until', '处罚有效期', 2, 'date', true, false, 24),
    ('penalty', 'cf_gsjzq', 'publicity_end', '公示截止期', 2, 'date', false, false, 25),
    ('penalty', 'cf_cfjg', 'authority', '处罚机关', 2, 'text', true, false, 26),
    ('penalty', 'cf_cfjgdm', 'authority_uscc', '处罚机关统一社会信用代码', 2, 'text', true, false, 27),
    ('penalty', 'cf_sjly', 'source_unit', '数据来源单位', 2, 'text', true, false, 28),
    ('penalty', 'cf_sjlydm', 'source_unit_uscc', '数据来源单位统一社会信用代码', 2, 'text', true, false, 29),
    ('penalty', 'bz', 'remarks', '备注', 2, 'text', false, false, 30),
    -- 行政处罚, old v1 names
    ('penalty', 'cf_cfmc', 'document_name', '处罚名称 (v1)', 1, 'text', false, false, 31),
    ('penalty', 'cf_cflb1', 'penalty_category', '处罚类别1 (v1)', 1, 'text', false, false, 32),
    ('penalty', 'cf_cflb2', 'penalty_category_2', '处罚类别2 (v1)', 1, 'text', false, false, 33),
    ('penalty', 'cf_xdr_zdm', 'subject_code', '组织机构代码 (v1)', 1, 'text', false, false, 34),
    ('penalty', 'cf_xdr_gsdj', 'registration_no', '工商登记码 (v1)', 1, 'text', false, false, 35),
    ('penalty', 'cf_xdr_sfz', 'subject_code', '居民身份证号 (v1)', 1, 'text', false, false, 36),
    ('penalty', 'cf_fr', 'legal_rep', '法定代表人 (v1)', 1, 'text', false, false, 37),
    ('penalty', 'cf_xzjg', 'authority', '处罚机关 (v1)', 1, 'text', false, false, 38),
    ('penalty', 'cf_zt', 'current_status', '当前状态 (v1)', 1, 'text', false, false, 39),
    ('penalty', 'dfbm', 'local_code', '地方编码 (v1)', 1, 'text', false, false, 40),
    ('penalty', 'sjc', 'timestamp', '时间戳 (v1)', 1, 'text', false, false, 41),
    -- 行政许可 (licence), v2
    ('license', 'xk_xdr_mc', 'subject_name', '行政相对人名称', 2, 'text', true, false, 1),
    ('license', 'xk_xdr_lb', 'subject_kind', '行政相对人类别', 2, 'text', true, false, 2),
    ('license', 'xk_xdr_shxym', 'subject_code', '统一社会信用代码', 2, 'text', false, false, 3),
    ('license', 'xk_xdr_gszc', 'registration_no', '工商注册号', 2, 'text', false, false, 4),
    ('license', 'xk_xdr_zzjg', 'org_code', '组织机构代码', 2, 'text', false, false, 5),
    ('license', 'xk_xdr_swdj', 'tax_no', '税务登记号', 2, 'text', false, false, 6),
    ('license', 'xk_xdr_sydw', 'institution_cert_no', '事业单位证书号', 2, 'text', false, false, 7),
    ('license', 'xk_xdr_shzz', 'social_org_cert_no', '社会组织登记证号', 2, 'text', false, false, 8),
    ('license', 'xk_frdb', 'legal_rep', '法定代表人', 2, 'text', false, false, 9),
    ('license', 'xk_fr_zjlx', 'legal_rep_id_type', '法定代表人证件类型', 2, 'text', false, false, 10),
    ('license', 'xk_fr_zjhm', 'legal_rep_id_no', '法定代表人证件号码', 2, 'text', false, false, 11),
    ('license', 'xk_xdr_zjlx', 'party_id_type', '证件类型', 2, 'text', false, false, 12),
    ('license', 'xk_xdr_zjhm', 'subject_code', '证件号码', 2, 'text', false, false, 13),
    ('license', 'xk_xkws', 'document_name', '许可决定文书名称', 2, 'text', false, false, 14),
    ('license', 'xk_wsh', 'document_no', '许可决定文书号', 2, 'text', true, true, 15),
    ('license', 'xk_xklb', 'license_category', '许可类别', 2, 'text', true, false, 16),
    ('license', 'xk_xkzs', 'certificate_name', '许可证书名称', 2, 'text', false, false, 17),
    ('license', 'xk_xkbh', 'certificate_no', '许可编号', 2, 'text', false, false, 18),
    ('license', 'xk_nr', 'content', '许可内容', 2, 'text', true, false, 19),
    ('license', 'xk_jdrq', 'decided_on', '许可决定日期', 2, 'date', true, false, 20),
    ('license', 'xk_yxqz', 'valid_from', '有效期自', 2, 'date', false, false, 21),
    ('license', 'xk_yxqzi', 'valid_to', '有效期至 (2099/12/31: long-term)', 2, 'date', false, false, 22),
    ('license', 'xk_xkjg', 'authority', '许可机关', 2, 'text', true, false, 23),
    ('license', 'xk_xkjgdm', 'authority_uscc', '许可机关统一社会信用代码', 2, 'text', true, false, 24),
    ('license', 'xk_zt', 'current_status', '当前状态', 2, 'text', true, false, 25),
    ('license', 'xk_lydw', 'source_unit', '数据来源单位', 2, 'text', false, false, 26),
    ('license', 'xk_lydwdm', 'source_unit_uscc', '数据来源单位统一社会信用代码', 2, 'text', false, false, 27),
    ('license', 'bz', 'remarks', '备注', 2, 'text', false, false, 28);
GRANT SELECT ON @extschema@.intake_field TO credit_admin, credit_department, credit_analyst;

-- What the platform keeps of every row a unit sent.
CREATE SEQUENCE @extschema@.intake_batch_seq;
COMMENT ON SEQUENCE @extschema@.intake_batch_seq IS 'Numbers of the intake statements (batches)';
CREATE TABLE @extschema@.intake_row (
    id              bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    batch           bigint NOT NULL,
    line            integer NOT NULL,
    layout          text NOT NULL DEFAULT 'intake' CHECK (layout IN ('intake', 'penalty', 'license')),
    department      text,
    subject_code    text,
    subject_name    text,
    subject_kind    text,
    item_code       text,
    document_no     text,
    decided_on      text,
    value           text,
    amount          text,
    details         text,
    received_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    received_by     name NOT NULL,
    status          text NOT NULL CHECK (status IN ('accepted', 'updated', 'waiting', 'rejected')),
    problem         text,
    message         text,
    record_id       bigint,
    subject_id      bigint,
    corrects        bigint,
    code_kind       text,
    code_key        text,
    decided         date,
    category        text,
    fields_required smallint NOT NULL DEFAULT 0,
    fields_present  smallint NOT NULL DEFAULT 0,
    timely          boolean,
    CHECK ((status = 'rejected') = (problem IS NOT NULL))
);
COMMENT ON TABLE @extschema@.intake_row IS
    'Every row units sent through credit.intake and the national layouts (归集记录), as sent, with what became of it: the history of a unit''s feeds (read through credit.intake)';
COMMENT ON COLUMN @extschema@.intake_row.batch IS 'Statement (batch) that brought the row, or that last processed it (a waiting row when its subject was registered)';
COMMENT ON COLUMN @extschema@.intake_row.line IS 'Position of the row in its statement (line of the feed, from 1)';
COMMENT ON COLUMN @extschema@.intake_row.code_kind IS 'How subject_code was read: uscc, org_code or resident_id';
COMMENT ON COLUMN @extschema@.intake_row.code_key IS 'Canonical form of subject_code (18 characters, or 9 for an organisation code): a waiting row is matched on it when its subject is registered';
COMMENT ON COLUMN @extschema@.intake_row.decided IS 'decided_on as read';
COMMENT ON COLUMN @extschema@.intake_row.category IS 'Category of the catalogue item when the item is known';
COMMENT ON COLUMN @extschema@.intake_row.fields_required IS 'Mandatory fields of the row''s category (credit.intake_field)';
COMMENT ON COLUMN @extschema@.intake_row.fields_present IS 'How many of them the row carries';
COMMENT ON COLUMN @extschema@.intake_row.timely IS 'Licence and penalty rows: received within 7 working days of the decision (credit.add_working_days); NULL for other rows and rows without a valid date';
CREATE INDEX intake_row_waiting_idx ON @extschema@.intake_row (code_key) WHERE status = 'waiting';
CREATE INDEX intake_row_department_idx ON @extschema@.intake_row (department, received_at);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.intake_row', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.decision', '');
GRANT SELECT ON @extschema@.intake_row TO credit_admin;

-- Which intake rows the current user reads: its units' rows, the rows it sent
-- itself (a row naming no known unit), and all of them for administrators.
-- Inlined into the intake views.
CREATE FUNCTION @extschema@.intake_readable(department text, received_by name) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT department OPERATOR(pg_catalog.=) ANY (@extschema@.acting_departments())
        OR received_by OPERATOR(pg_catalog.=) CURRENT_USER
        OR pg_catalog.pg_has_role('credit_admin', 'USAGE')
$$;
COMMENT ON FUNCTION @extschema@.intake_readable(text, name) IS
    'Whether the current user reads an intake row of this unit and sender: a row of a unit it acts for, a row it sent itself, or any row for administrators; the rule of credit.intake and the national intake views';

-- The intake view: each unit reads the rows of its units and the rows it sent
-- itself; administrators read all.  Writing goes through the triggers below.
CREATE VIEW @extschema@.intake WITH (security_barrier) AS
SELECT i.id, i.department, i.subject_code, i.subject_name, i.subject_kind, i.item_code, i.document_no,
       i.decided_on, i.value, i.amount, i.details, i.received_at, i.received_by, i.status, i.problem,
       i.message, i.record_id, i.subject_id, i.line, i.corrects
  FROM @extschema@.intake_row i
 WHERE @extschema@.intake_readable(i.department, i.received_by);
COMMENT ON VIEW @extschema@.intake IS
    'Intake (归集): units send their feeds here by COPY (text or CSV) or INSERT, every data column text, and read their own rows back; each row is processed in the same statement and ends accepted (a new record), updated (a decision sent before: the record is updated in place), waiting (the subject is not registered yet: it becomes a record when it is) or rejected (problem, message); UPDATE of a row re-sends it corrected (a new row, corrects naming the old one)';
COMMENT ON COLUMN @extschema@.intake.id IS 'Row of the intake';
COMMENT ON COLUMN @extschema@.intake.department IS 'Unit that sends the row (credit.department); defaults to the sender''s unit when it acts for exactly one; another unit''s code is refused (42501); a code no unit has is kept as sent, cut to 40 characters (no unit''s code is longer)';
COMMENT ON COLUMN @extschema@.intake.subject_code IS 'Code of the subject as the unit knows it: USCC, old organisation code, 18- or 15-digit ID number (white space, hyphens, full-width and lower case accepted)';
COMMENT ON COLUMN @extschema@.intake.subject_name IS 'Name of the subject (行政相对人名称)';
COMMENT ON COLUMN @extschema@.intake.subject_kind IS 'Kind of subject (credit.subject_kind, or the layout''s 法人及非法人组织 / 自然人 / 个体工商户)';
COMMENT ON COLUMN @extschema@.intake.item_code IS 'Catalogue item (credit.catalog_item)';
COMMENT ON COLUMN @extschema@.intake.document_no IS 'Decision document number (决定文书号): with unit and item it identifies the decision; at most 200 characters';
COMMENT ON COLUMN @extschema@.intake.decided_on IS 'Decision date: YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD, not in the future';
COMMENT ON COLUMN @extschema@.intake.value IS 'Quantity of the record (a number; 1 when empty)';
COMMENT ON COLUMN @extschema@.intake.amount IS 'Amount in CNY: a number not below zero, with at most 16 digits before the point and nothing finer than a fen (0.01) after it';
COMMENT ON COLUMN @extschema@.intake.details IS 'Further fields as a JSON object (the double-publicity fields: violation_type, facts, legal_basis, penalty_category, content, valid_from, valid_to, source_unit...)';
COMMENT ON COLUMN @extschema@.intake.received_at IS 'When the row arrived (set by the platform)';
COMMENT ON COLUMN @extschema@.intake.received_by IS 'Role that sent it (set by the platform)';
COMMENT ON COLUMN @extschema@.intake.status IS 'accepted, updated, waiting or rejected (set by the platform)';
COMMENT ON COLUMN @extschema@.intake.problem IS 'Stable code of the problem of a rejected row: missing_field, invalid_code, unknown_item, invalid_date, future_date, invalid_value, invalid_amount, invalid_details, invalid_kind, unknown_department, too_long';
COMMENT ON COLUMN @extschema@.intake.message IS 'The problem in words, naming the line and the value';
COMMENT ON COLUMN @extschema@.intake.record_id IS 'Record the row became or updated (credit.record.id)';
COMMENT ON COLUMN @extschema@.intake.subject_id IS 'Subject the row was linked to (credit.subject.id)';
COMMENT ON COLUMN @extschema@.intake.line IS 'Position of the row in the statement that sent it (line of the feed, from 1)';
COMMENT ON COLUMN @extschema@.intake.corrects IS 'Row this one corrects (an UPDATE of that row re-sent it)';
GRANT SELECT ON @extschema@.intake TO credit_admin, credit_department;
GRANT INSERT (department, subject_code, subject_name, subject_kind, item_code, document_no, decided_on, value, amount, details),
      UPDATE (department, subject_code, subject_name, subject_kind, item_code, document_no, decided_on, value, amount, details)
   ON @extschema@.intake TO credit_admin, credit_department;

-- The statement's buffer (C: src/intake.c).
CREATE FUNCTION @extschema@.intake_buffer() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'credit_intake_buffer';
COMMENT ON FUNCTION @extschema@.intake_buffer() IS
    'Trigger of the intake views: BEFORE STATEMENT opens the statement''s buffer, INSTEAD OF INSERT or UPDATE keeps each row in it for the AFTER STATEMENT trigger';
CREATE FUNCTION @extschema@.intake_take(anyelement) RETURNS SETOF anyelement
    AS 'MODULE_PATHNAME', 'credit_intake_take'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION @extschema@.intake_take(anyelement) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.intake_take(anyelement) IS
    'The rows the current statement sent to the intake view whose row type is the argument''s (NULL::credit.intake), in arrival order; closes the statement''s buffer. Internal to the intake triggers';
CREATE FUNCTION @extschema@.json_object_problem(text) RETURNS text
    AS 'MODULE_PATHNAME', 'credit_json_object_problem'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.json_object_problem(text) IS
    'NULL when the text is a JSON object that jsonb accepts, else what is wrong with it; never an error';

-- A date as feeds write it (YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD or YYYYMMDD, an
-- optional time of day after it), NULL when it is not a real date (C: the
-- checks of src/intake_check.c read dates the same way).
CREATE FUNCTION @extschema@.intake_date(t text) RETURNS date
    AS 'MODULE_PATHNAME', 'credit_intake_date'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.intake_date(text) IS
    'A date as feeds write it (YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD or YYYYMMDD, optionally followed by a time of day), or NULL when the text is not a real date from 1900 on; never an error';

-- Whether a text is a number of the given kind: value (float), amount
-- (numeric(18, 2): at most 16 digits before the point).
CREATE FUNCTION @extschema@.intake_number(t text, kind text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'credit_intake_number'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.intake_number(text, text) IS
    'Whether a text of a feed is a number: kind amount (fits numeric(18, 2)) or value (a double precision of magnitude 1e-300 .. 1e300, or zero); never an error';

-- The subject kind as feeds write it: an enum label or the national layout's category.
CREATE FUNCTION @extschema@.intake_kind(t text) RETURNS @extschema@.subject_kind
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE pg_catalog.lower(pg_catalog.btrim(t))
           WHEN 'government' THEN 'government'::@extschema@.subject_kind
           WHEN 'enterprise' THEN 'enterprise'::@extschema@.subject_kind
           WHEN 'individual' THEN 'individual'::@extschema@.subject_kind
           WHEN 'social_org' THEN 'social_org'::@extschema@.subject_kind
           WHEN 'institution' THEN 'institution'::@extschema@.subject_kind
           WHEN '法人及非法人组织' THEN 'enterprise'::@extschema@.subject_kind
           WHEN '法人' THEN 'enterprise'::@extschema@.subject_kind
           WHEN '个体工商户' THEN 'enterprise'::@extschema@.subject_kind
           WHEN '自然人' THEN 'individual'::@extschema@.subject_kind
           END
$$;
COMMENT ON FUNCTION @extschema@.intake_kind(text) IS
    'A subject kind as a feed writes it: a credit.subject_kind label, or the national layout''s category (法人及非法人组织 and 个体工商户: enterprise; 自然人: individual); NULL when not one of them';

-- Why a code of a feed names no subject: the reason of the ID number check
-- for what looks like an ID number, else of the USCC check.
CREATE FUNCTION @extschema@.code_problem(code text) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$
    SELECT coalesce(CASE WHEN c.s OPERATOR(pg_catalog.~) '^(\d{15}|\d{17}[0-9A-Za-z])$'
                          AND c.r NOT LIKE '%province%' THEN c.r
                         WHEN pg_catalog.length(c.s) OPERATOR(pg_catalog.=) 9 THEN 'not a valid organisation code'
                         ELSE @extschema@.uscc_check(code) END,
                    'not a USCC, organisation code or ID number')
      FROM (SELECT pg_catalog.regexp_replace(code, '[\s-]', '', 'g') AS s, @extschema@.resident_id_check(code) AS r) c
$$;
COMMENT ON FUNCTION @extschema@.code_problem(text) IS
    'Why a code is not a USCC, organisation code or ID number, as a clerk reads it: the ID number check''s reason for 15 digits or 17 digits and a check character (unless the province prefix is unknown), else the USCC check''s; STABLE: ID numbers are checked against today';

-- The registered subjects canonical codes name (kinds as credit.parse_code
-- reads them), for many codes at once: by credit.subject_code, the codes'
-- own table; an organisation code names the first subject whose USCC embeds
-- it; 18 characters read as an ID number that are a USCC too name the
-- subject with that USCC when no person has it.  Inlined into its callers.
CREATE FUNCTION @extschema@.intake_subjects(code_kind text[], code_key text[]) RETURNS TABLE (n bigint, subject_id bigint)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    -- (the code is the probe's key only for the kinds it may be: a NULL key
    -- probes nothing, where a join filter on the kind would probe for every code)
    SELECT k.n, coalesce(p.subject_id, u.subject_id, o.subject_id)
      FROM ROWS FROM (pg_catalog.unnest(code_kind), pg_catalog.unnest(code_key)) WITH ORDINALITY AS k (kind, key, n)
      LEFT JOIN @extschema@.subject_code p
             ON p.code OPERATOR(pg_catalog.=) CASE WHEN k.kind OPERATOR(pg_catalog.=) 'resident_id' THEN k.key END
            AND p.code_kind OPERATOR(pg_catalog.=) 'person_id'
      LEFT JOIN @extschema@.subject_code u
             ON u.code OPERATOR(pg_catalog.=) CASE WHEN k.kind IN ('uscc', 'resident_id') THEN k.key END
            AND u.code_kind OPERATOR(pg_catalog.=) 'uscc'
      LEFT JOIN LATERAL (
            SELECT pg_catalog.min(c.subject_id) AS subject_id
              FROM @extschema@.subject_code c
             WHERE k.kind OPERATOR(pg_catalog.=) 'org_code' AND c.code_kind OPERATOR(pg_catalog.=) 'uscc'
               AND pg_catalog.substr(c.code, 9, 9) OPERATOR(pg_catalog.=) k.key) o ON true
$$;
REVOKE ALL ON FUNCTION @extschema@.intake_subjects(text[], text[]) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.intake_subjects(text[], text[]) IS
    'The registered subject each code names (kinds uscc, resident_id or org_code and canonical forms, as credit.parse_code gives them; n is the position in the arrays), subject_id NULL when none is; internal to the intake';

-- The subject of one code: the rule above for one code.
CREATE FUNCTION @extschema@.intake_subject(code_kind text, code_key text) RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT s.subject_id FROM @extschema@.intake_subjects(ARRAY[code_kind], ARRAY[code_key]) s
$$;
REVOKE ALL ON FUNCTION @extschema@.intake_subject(text, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.intake_subject(text, text) IS
    'The registered subject a code names (kind uscc, resident_id or org_code and canonical form, as credit.parse_code gives them), NULL when none is (credit.intake_subjects); internal to the intake';

-- The lock that orders waiting rows and registrations: a statement that
-- leaves rows waiting holds it exclusively, a registration shares it, so a
-- registration sees every waiting row committed before it and a waiting row
-- is never left behind by a registration that ran beside it.
CREATE FUNCTION @extschema@.intake_waiting_lock(exclusive boolean) RETURNS void
LANGUAGE sql VOLATILE
AS $$
    SELECT CASE WHEN exclusive
                THEN pg_catalog.pg_advisory_xact_lock('@extschema@.intake_row'::pg_catalog.regclass::pg_catalog.oid::pg_catalog.int4, 0)
                ELSE pg_catalog.pg_advisory_xact_lock_shared('@extschema@.intake_row'::pg_catalog.regclass::pg_catalog.oid::pg_catalog.int4, 0) END
$$;
REVOKE ALL ON FUNCTION @extschema@.intake_waiting_lock(boolean) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.intake_waiting_lock(boolean) IS
    'Takes the transaction lock that orders waiting intake rows (exclusive) and subject registrations (shared); internal to the intake';

-- A row of an intake statement as the checks keep it for credit.intake_apply:
-- the columns credit.intake_row keeps (but id and received_at), and what the
-- last row of each record makes of it.
CREATE TYPE @extschema@.intake_checked AS (
    batch           bigint,
    line            integer,
    layout          text,
    department      text,
    subject_code    text,
    subject_name    text,
    subject_kind    text,
    item_code       text,
    document_no     text,
    decided_on      text,
    value           text,
    amount          text,
    details         text,
    received_by     name,
    status          text,
    problem         text,
    message         text,
    record_id       bigint,
    subject_id      bigint,
    corrects        bigint,
    code_kind       text,
    code_key        text,
    decided         date,
    category        text,
    fields_required smallint,
    fields_present  smallint,
    timely          boolean,
    makes           text
);
COMMENT ON TYPE @extschema@.intake_checked IS
    'A row of an intake statement as credit.intake_check keeps it for credit.intake_apply (read by credit.intake_take(NULL::credit.intake_checked)): the columns of credit.intake_row (but id and received_at; corrects is the id of the row sent, or of the waiting row released), and makes: insert or update for the last row of each record (its values are the record''s), else NULL. Internal to the intake';

-- The checks of one statement's rows, and the record of each (C: src/intake_check.c).
-- The rows come as an array, or (NULL) straight from the buffer of
-- credit.intake, and go on to credit.intake_apply in a buffer of their own:
-- a feed of a million rows is not copied into and out of arrays.
CREATE FUNCTION @extschema@.intake_check(rows @extschema@.intake[], layout text, batch bigint, sender name,
                                         units text[], admin boolean, release boolean)
    RETURNS integer
    AS 'MODULE_PATHNAME', 'credit_intake_check'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION @extschema@.intake_check(@extschema@.intake[], text, bigint, name, text[], boolean, boolean) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.intake_check(@extschema@.intake[], text, bigint, name, text[], boolean, boolean) IS
    'Checks the rows of one intake statement in one pass, as the owner (rows NULL: those the current statement sent to credit.intake, from its buffer), and keeps them checked for credit.intake_apply, returning how many: refuses rows of units the sender (not an administrator) does not act for (42501); reads each row''s unit, code, item, date, value, amount, details and mandatory fields; a row is rejected (problem, message), waiting (its subject not found, also under credit.intake_waiting_lock, then held) or ready: its decision key (credit.decision_party_of) claimed in credit.decision in key order, its record the decision''s (updated) or a new one (accepted). With release: waiting rows whose subject came (no sender check, no lock). Internal to the intake';

-- Store the checked rows of a statement, as credit.intake_check kept them
-- (or, resume: update the waiting rows released), and make their records:
-- each record from the last row of it the statement sent, new decisions
-- inserted, decisions sent before updated in place.  Its own statement,
-- after the claims: a decision a racing sending recorded meanwhile is seen
-- and updated.  (The rows are stored in the order the checks keep them, the
-- order of their lines, so their ids follow the lines: no sort.)
CREATE FUNCTION @extschema@.intake_apply(resume boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    WITH c AS MATERIALIZED (
            SELECT u.*,
                   CASE WHEN u.makes IS NOT NULL THEN coalesce(nullif(btrim(u.value), '')::pg_catalog.float8, 1) END AS v,
                   CASE WHEN u.makes IS NOT NULL THEN nullif(btrim(u.amount), '')::pg_catalog.numeric END AS a,
                   CASE WHEN u.makes IS NOT NULL
                        THEN coalesce(nullif(btrim(u.details), '')::pg_catalog.jsonb, '{}'::pg_catalog.jsonb) END AS j
              FROM @extschema@.intake_take(NULL::@extschema@.intake_checked) u),
         stored AS (
            INSERT INTO @extschema@.intake_row
                   (batch, line, layout, department, subject_code, subject_name, subject_kind, item_code, document_no,
                    decided_on, value, amount, details, received_by, status, problem, message, record_id, subject_id,
                    corrects, code_kind, code_key, decided, category, fields_required, fields_present, timely)
            SELECT c.batch, c.line, c.layout, c.department, c.subject_code, c.subject_name, c.subject_kind, c.item_code,
                   c.document_no, c.decided_on, c.value, c.amount, c.details, c.received_by, c.status, c.problem,
                   c.message, c.record_id, c.subject_id, c.corrects, c.code_kind, c.code_key, c.decided, c.category,
                   c.fields_required, c.fields_present, c.timely
              FROM c WHERE NOT resume),
         moved AS (
            UPDATE @extschema@.intake_row i
               SET status = c.status, record_id = c.record_id, subject_id = c.subject_id, batch = c.batch
              FROM c
             WHERE resume AND c.record_id IS NOT NULL AND i.id OPERATOR(pg_catalog.=) c.corrects),
         added AS (
            INSERT INTO @extschema@.record (id, subject_id, item_code, department, document_no, decided_on, value, amount, details)
            SELECT c.record_id, c.subject_id, btrim(c.item_code), c.department, nullif(btrim(c.document_no), ''), c.decided,
                   c.v, c.a, c.j
              FROM c WHERE c.makes OPERATOR(pg_catalog.=) 'insert'
             ORDER BY c.record_id
            RETURNING 1)
    UPDATE @extschema@.record r
       SET subject_id = c.subject_id, decided_on = c.decided, value = c.v, amount = c.a, details = c.j
      FROM c
     WHERE c.makes OPERATOR(pg_catalog.=) 'update' AND r.id OPERATOR(pg_catalog.=) c.record_id;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.intake_apply(boolean) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.intake_apply(boolean) IS
    'Stores the checked rows of an intake statement, as credit.intake_check kept them, in credit.intake_row (resume: updates the released waiting rows instead) and makes their records: inserts one record per new decision and updates the record of a decision sent before in place, each with the values of its last row sent. Internal to the intake';

-- Process the rows of one intake statement: check every row (C), then store
-- them and make the records (credit.intake_apply).
CREATE FUNCTION @extschema@.intake_process(rows @extschema@.intake[], layout text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    who   name := @extschema@.caller();
    units text[] := @extschema@.caller_departments();
    admin boolean := pg_has_role(who, 'credit_admin', 'USAGE');
    b     bigint;
BEGIN
    IF rows IS NOT NULL AND coalesce(array_length(rows, 1), 0) OPERATOR(pg_catalog.=) 0 THEN
        RETURN;
    END IF;
    b := nextval('@extschema@.intake_batch_seq');
    IF @extschema@.intake_check(rows, layout, b, who, units, admin, false) OPERATOR(pg_catalog.>) 0 THEN
        PERFORM @extschema@.intake_apply(false);
    END IF;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.intake_process(@extschema@.intake[], text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.intake_process(@extschema@.intake[], text) IS
    'Processes the rows of one intake statement as the owner (rows NULL: those the statement sent to credit.intake): checks them (credit.intake_check: a row of a unit the sender does not act for refuses the statement, 42501; each row rejected with its problem, waiting or ready with its record, its decision claimed), then stores them and makes the records (credit.intake_apply). Internal to the intake triggers';

-- AFTER STATEMENT of credit.intake: the statement's rows, processed.
CREATE FUNCTION @extschema@.intake_statement() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.intake_process(NULL, 'intake');
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.intake_statement() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.intake_statement() IS
    'AFTER STATEMENT trigger of credit.intake: processes the rows the statement sent (credit.intake_process)';
CREATE TRIGGER intake_open BEFORE INSERT OR UPDATE ON @extschema@.intake
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.intake_buffer();
CREATE TRIGGER intake_row INSTEAD OF INSERT OR UPDATE ON @extschema@.intake
    FOR EACH ROW EXECUTE FUNCTION @extschema@.intake_buffer();
CREATE TRIGGER intake_process AFTER INSERT OR UPDATE ON @extschema@.intake
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.intake_statement();

-- A registered subject takes its waiting rows.  (The triggers are named to
-- fire after subject_scope_*, which give the subject its evaluation states:
-- the records made here then fold into those states like any others.)
CREATE FUNCTION @extschema@.intake_release_waiting() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    b bigint;
BEGIN
    IF @extschema@.restoring() THEN
        RETURN NULL;
    END IF;
    PERFORM @extschema@.intake_waiting_lock(false);
    IF NOT EXISTS (SELECT FROM @extschema@.intake_row i WHERE i.status OPERATOR(pg_catalog.=) 'waiting') THEN
        RETURN NULL;
    END IF;
    b := nextval('@extschema@.intake_batch_seq');
    -- the waiting rows whose code a new subject carries, checked again (as the owner's) with their ids
    IF @extschema@.intake_check(ARRAY(
        SELECT ROW(w.id, w.department, w.subject_code, w.subject_name, w.subject_kind, w.item_code, w.document_no,
                   w.decided_on, w.value, w.amount, w.details, w.received_at, w.received_by, w.status, w.problem,
                   w.message, w.record_id, w.subject_id, w.line, w.corrects)::@extschema@.intake
          FROM @extschema@.intake_row w
         WHERE w.status OPERATOR(pg_catalog.=) 'waiting'
           AND EXISTS (SELECT FROM new_rows n
                        WHERE (n.uscc IS NOT NULL OR n.person_id IS NOT NULL)
                          AND w.code_key = ANY (ARRAY[n.uscc::text, n.person_id::text, @extschema@.org_code(n.uscc)])
                          AND (w.code_kind OPERATOR(pg_catalog.<>) 'org_code' OR n.uscc IS NOT NULL))
         ORDER BY w.id),
        'intake', b, @extschema@.caller(), NULL, true, true) OPERATOR(pg_catalog.>) 0 THEN
        PERFORM @extschema@.intake_apply(true);
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.intake_release_waiting() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.intake_release_waiting() IS
    'Statement trigger of credit.subject (insert, and update of the codes): the waiting intake rows whose code the new subjects carry are checked again and become records (credit.intake_check, credit.intake_apply)';
CREATE TRIGGER subject_waiting_release_insert AFTER INSERT ON @extschema@.subject
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.intake_release_waiting();
CREATE TRIGGER subject_waiting_release_update AFTER UPDATE ON @extschema@.subject
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.intake_release_waiting();

-- The national exchange layouts (双公示 data standard): views whose columns are
-- the layout's field codes in lower case (v2 in the template's order, then the
-- old v1 names), then the unit and the catalogue item (optional: penalties
-- default to penalty_general, or penalty_warning when the category is a
-- warning only; licences to license), then what became of each row.
CREATE FUNCTION @extschema@.intake_from_national(layout text, j jsonb) RETURNS @extschema@.intake
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT ROW(NULL, j OPERATOR(pg_catalog.->>) 'department',
               c.v OPERATOR(pg_catalog.->>) 'subject_code', c.v OPERATOR(pg_catalog.->>) 'subject_name',
               c.v OPERATOR(pg_catalog.->>) 'subject_kind',
               coalesce(nullif(pg_catalog.btrim(j OPERATOR(pg_catalog.->>) 'item_code'), ''),
                        CASE WHEN layout OPERATOR(pg_catalog.=) 'license' THEN 'license'
                             WHEN c.d OPERATOR(pg_catalog.->>) 'penalty_category' OPERATOR(pg_catalog.~) '^\s*警告\s*$' THEN 'penalty_warning'
                             ELSE 'penalty_general' END),
               c.v OPERATOR(pg_catalog.->>) 'document_no', c.v OPERATOR(pg_catalog.->>) 'decided_on', NULL,
               -- fines are given in 10,000 CNY (万元)
               CASE WHEN @extschema@.intake_number(c.v OPERATOR(pg_catalog.->>) 'amount', 'value')
                    THEN ((c.v OPERATOR(pg_catalog.->>) 'amount')::pg_catalog.numeric OPERATOR(pg_catalog.*) 10000)::text
                    ELSE c.v OPERATOR(pg_catalog.->>) 'amount' END,
               c.d::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::@extschema@.intake
      FROM (SELECT coalesce(pg_catalog.jsonb_object_agg(x.field, x.val) FILTER (WHERE x.core), '{}') AS v,
                   coalesce(pg_catalog.jsonb_object_agg(x.field, x.val) FILTER (WHERE NOT x.core), '{}') AS d
              FROM (SELECT DISTINCT ON (f.field) f.field, j OPERATOR(pg_catalog.->>) f.code AS val,
                           f.field = ANY ('{subject_code,subject_name,subject_kind,document_no,decided_on,amount}'::text[]) AS core
                      FROM @extschema@.intake_field f
                     WHERE f.layout OPERATOR(pg_catalog.=) intake_from_national.layout
                       AND nullif(pg_catalog.btrim(j OPERATOR(pg_catalog.->>) f.code), '') IS NOT NULL
                     ORDER BY f.field, f.position) x) c
$$;
REVOKE ALL ON FUNCTION @extschema@.intake_from_national(text, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.intake_from_national(text, jsonb) IS
    'A row of a national layout (penalty or license, as JSON) as an intake row: the codes credit.intake_field maps to intake columns fill them (the first non-empty in position order), the others go to details under their field names; fines in 10,000 CNY become CNY. Internal to the intake';

-- AFTER STATEMENT of the national views: the statement's rows, read in the layout.
CREATE FUNCTION @extschema@.intake_national_statement() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rows jsonb[];
BEGIN
    IF TG_ARGV[0] OPERATOR(pg_catalog.=) 'penalty' THEN
        rows := ARRAY(SELECT to_jsonb(t) FROM @extschema@.intake_take(NULL::@extschema@.intake_penalty) t);
    ELSE
        rows := ARRAY(SELECT to_jsonb(t) FROM @extschema@.intake_take(NULL::@extschema@.intake_license) t);
    END IF;
    PERFORM @extschema@.intake_process(
        ARRAY(SELECT @extschema@.intake_from_national(TG_ARGV[0], u.j) FROM unnest(rows) WITH ORDINALITY u (j, n) ORDER BY u.n),
        TG_ARGV[0]);
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.intake_national_statement() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.intake_national_statement() IS
    'AFTER STATEMENT trigger of credit.intake_penalty and credit.intake_license (argument penalty or license): the statement''s rows read in the national layout (credit.intake_from_national) and processed as intake rows';

DO $do$
DECLARE
    l text;
BEGIN
    FOREACH l IN ARRAY ARRAY['penalty', 'license'] LOOP
        EXECUTE pg_catalog.format(
            'CREATE VIEW @extschema@.%I WITH (security_barrier) AS SELECT %s, i.department, i.item_code, i.id, i.received_at, i.status, i.problem, i.message, i.record_id
               FROM @extschema@.intake_row i
              WHERE i.layout OPERATOR(pg_catalog.=) %L AND @extschema@.intake_readable(i.department, i.received_by)',
            'intake_' || l,
            (SELECT pg_catalog.string_agg(pg_catalog.format('%s AS %I',
                        CASE WHEN NOT f.first THEN 'NULL::text'
                             WHEN f.field = ANY ('{subject_code,subject_name,subject_kind,document_no,decided_on}'::text[]) THEN 'i.' || f.field
                             WHEN f.field OPERATOR(pg_catalog.=) 'amount' THEN
                                 'CASE WHEN @extschema@.intake_number(i.amount, ''amount'') THEN pg_catalog.trim_scale(i.amount::pg_catalog.numeric OPERATOR(pg_catalog./) 10000)::text ELSE i.amount END'
                             ELSE pg_catalog.format('(i.details::pg_catalog.jsonb OPERATOR(pg_catalog.->>) %L)', f.field) END,
                        f.code), ', ' ORDER BY f.position)
               FROM (SELECT e.*, e.position OPERATOR(pg_catalog.=) min(e.position) OVER (PARTITION BY e.field) AS first
                       FROM @extschema@.intake_field e WHERE e.layout OPERATOR(pg_catalog.=) l) f),
            l);
        EXECUTE pg_catalog.format('COMMENT ON VIEW @extschema@.%I IS %L', 'intake_' || l,
            CASE l WHEN 'penalty'
                THEN 'Intake of administrative penalties (行政处罚双公示) in the national exchange layout: the columns are its field codes in lower case (CF_XDR_MC ... CF_SJLYDM, BZ; then the old v1 names), so a unit COPYs the file it already makes; each row is processed as in credit.intake (item penalty_general, or penalty_warning for a warning only, unless item_code names one; fines CF_NR_FK in 10,000 CNY)'
                ELSE 'Intake of administrative licences (行政许可双公示) in the national exchange layout: the columns are its field codes in lower case (XK_XDR_MC ... XK_LYDWDM, BZ), so a unit COPYs the file it already makes; each row is processed as in credit.intake (item license unless item_code names another)' END);
        EXECUTE pg_catalog.format('GRANT SELECT ON @extschema@.%I TO credit_admin, credit_department', 'intake_' || l);
        EXECUTE pg_catalog.format('GRANT INSERT (%s, department, item_code) ON @extschema@.%I TO credit_admin, credit_department',
            (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(f.code), ', ' ORDER BY f.position)
               FROM @extschema@.intake_field f WHERE f.layout OPERATOR(pg_catalog.=) l), 'intake_' || l);
        EXECUTE (SELECT pg_catalog.string_agg(pg_catalog.format('COMMENT ON COLUMN @extschema@.%I.%I IS %L;', 'intake_' || l, f.code,
                        pg_catalog.format('%s %s%s: %s', pg_catalog.upper(f.code), f.label, CASE WHEN f.mandatory THEN ' (mandatory)' ELSE '' END,
                               CASE WHEN f.field = ANY ('{subject_code,subject_name,subject_kind,document_no,decided_on}'::text[]) THEN 'intake column ' || f.field
                                    WHEN f.field OPERATOR(pg_catalog.=) 'amount' THEN 'amount (in 10,000 CNY here, in CNY in the record)'
                                    ELSE 'details key ' || f.field END)), ' ')
                   FROM @extschema@.intake_field f WHERE f.layout OPERATOR(pg_catalog.=) l);
        EXECUTE pg_catalog.format($c$
            COMMENT ON COLUMN @extschema@.%1$I.department IS 'Unit that sends the row; defaults to the sender''s unit when it acts for exactly one';
            COMMENT ON COLUMN @extschema@.%1$I.item_code IS 'Catalogue item; optional (see the view)';
            COMMENT ON COLUMN @extschema@.%1$I.id IS 'Row of the intake (credit.intake.id)';
            COMMENT ON COLUMN @extschema@.%1$I.received_at IS 'When the row arrived';
            COMMENT ON COLUMN @extschema@.%1$I.status IS 'accepted, updated, waiting or rejected';
            COMMENT ON COLUMN @extschema@.%1$I.problem IS 'Stable code of the problem of a rejected row';
            COMMENT ON COLUMN @extschema@.%1$I.message IS 'The problem in words, naming the line and the value';
            COMMENT ON COLUMN @extschema@.%1$I.record_id IS 'Record the row became or updated';
            CREATE TRIGGER intake_open BEFORE INSERT ON @extschema@.%1$I
                FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.intake_buffer();
            CREATE TRIGGER intake_row INSTEAD OF INSERT ON @extschema@.%1$I
                FOR EACH ROW EXECUTE FUNCTION @extschema@.intake_buffer();
            CREATE TRIGGER intake_process AFTER INSERT ON @extschema@.%1$I
                FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.intake_national_statement(%2$L);
            $c$, 'intake_' || l, l);
    END LOOP;
END
$do$;

-- Data quality of the feeds (归集质量), per unit and month of receipt, per
-- catalogue item and over all items (item_code NULL).  It reads as the owner:
-- a unit sees its own units' figures, analysts and administrators everyone's.
CREATE VIEW @extschema@.v_intake_quality WITH (security_barrier) AS
SELECT i.department,
       pg_catalog.date_trunc('month', i.received_at)::date AS month,
       i.item_code,
       count(*) AS received,
       count(*) FILTER (WHERE i.status OPERATOR(pg_catalog.=) 'accepted') AS accepted,
       count(*) FILTER (WHERE i.status OPERATOR(pg_catalog.=) 'updated') AS updated,
       count(*) FILTER (WHERE i.status OPERATOR(pg_catalog.=) 'waiting') AS waiting,
       count(*) FILTER (WHERE i.status OPERATOR(pg_catalog.=) 'rejected') AS rejected,
       round(count(*) FILTER (WHERE i.status IN ('accepted', 'updated'))::numeric OPERATOR(pg_catalog./) count(*), 4) AS acceptance_rate,
       round(sum(i.fields_present)::numeric OPERATOR(pg_catalog./) nullif(sum(i.fields_required), 0), 4) AS completeness,
       round(count(i.subject_id)::numeric OPERATOR(pg_catalog./) count(*), 4) AS linkage,
       round(count(*) FILTER (WHERE i.timely)::numeric OPERATOR(pg_catalog./) nullif(count(i.timely), 0), 4) AS timeliness
  FROM @extschema@.intake_row i
 WHERE i.department OPERATOR(pg_catalog.=) ANY (@extschema@.acting_departments())
    OR pg_catalog.pg_has_role('credit_analyst', 'USAGE')
    OR pg_catalog.pg_has_role('credit_admin', 'USAGE')
 GROUP BY GROUPING SETS ((i.department, 2, i.item_code), (i.department, 2));
COMMENT ON VIEW @extschema@.v_intake_quality IS
    'Data quality of the units'' feeds (归集质量), per unit and month of receipt, per catalogue item (item_code as sent) and over all items (item_code NULL): rows received and their outcome, acceptance rate (入库率), completeness (完整率), linkage (关联率) and timeliness (及时率); a unit reads its own figures, analysts and administrators all';
COMMENT ON COLUMN @extschema@.v_intake_quality.department IS 'Unit that sent the rows (as sent when it names no unit)';
COMMENT ON COLUMN @extschema@.v_intake_quality.month IS 'First day of the month of receipt (session time zone)';
COMMENT ON COLUMN @extschema@.v_intake_quality.item_code IS 'Catalogue item as sent; NULL: all items of the unit and month';
COMMENT ON COLUMN @extschema@.v_intake_quality.received IS 'Rows received (a corrected row counts again)';
COMMENT ON COLUMN @extschema@.v_intake_quality.accepted IS 'Rows that became a new record';
COMMENT ON COLUMN @extschema@.v_intake_quality.updated IS 'Rows that updated the record of a decision sent before';
COMMENT ON COLUMN @extschema@.v_intake_quality.waiting IS 'Valid rows whose subject is not registered yet';
COMMENT ON COLUMN @extschema@.v_intake_quality.rejected IS 'Rows refused with a problem';
COMMENT ON COLUMN @extschema@.v_intake_quality.acceptance_rate IS 'Acceptance rate (入库率): accepted and updated rows / rows received, 0..1';
COMMENT ON COLUMN @extschema@.v_intake_quality.completeness IS 'Completeness (完整率): mandatory fields present / mandatory fields required (credit.intake_field; for licences and penalties the national layout''s mandatory fields), 0..1';
COMMENT ON COLUMN @extschema@.v_intake_quality.linkage IS 'Linkage (关联率): rows linked to a registered subject / rows received, 0..1';
COMMENT ON COLUMN @extschema@.v_intake_quality.timeliness IS 'Timeliness (及时率): licence and penalty rows received within 7 working days of the decision (credit.calendar_day) / such rows with a valid date, 0..1; NULL without such rows';
GRANT SELECT ON @extschema@.v_intake_quality TO credit_admin, credit_department, credit_analyst;
