-- The monthly double-publicity return (双公示月报, docs/intake.md): by the
-- 10th of the next month a unit accounts for the licences (行政许可) and
-- penalties (行政处罚) it decided in a month: how many it made, how many the
-- platform received within 7 working days of the decision and how many
-- later, how many wait for their subject, how many it withheld with the
-- legal basis (不予公示), and how many are missing.  What the unit alone
-- knows it files (the decisions it made, the decisions it withheld); the
-- rest the platform counts from the records and the intake.

-- What a unit files: the decisions it made in a month, per kind.
CREATE TABLE @extschema@.double_publicity_filing (
    department text NOT NULL REFERENCES @extschema@.department (code) ON UPDATE CASCADE,
    month      date NOT NULL CHECK (pg_catalog.isfinite(month) AND pg_catalog.extract('day', month) = 1),
    kind       text NOT NULL CHECK (kind IN ('license', 'penalty')),
    produced   integer NOT NULL CHECK (produced >= 0),
    filed_by   name NOT NULL,
    filed_at   timestamptz NOT NULL,
    PRIMARY KEY (department, month, kind)
);
COMMENT ON TABLE @extschema@.double_publicity_filing IS
    'The decisions a unit made in a month (产生数), per kind (license 行政许可, penalty 行政处罚), as it files them for its monthly double-publicity return (credit.double_publicity_return); filing again updates the row';
COMMENT ON COLUMN @extschema@.double_publicity_filing.month IS 'First day of the month of the decisions';
COMMENT ON COLUMN @extschema@.double_publicity_filing.kind IS 'license (行政许可) or penalty (行政处罚)';
COMMENT ON COLUMN @extschema@.double_publicity_filing.produced IS 'Decisions of this kind the unit made in the month (产生数)';
COMMENT ON COLUMN @extschema@.double_publicity_filing.filed_by IS 'Role that filed the figure last (set by the platform)';
COMMENT ON COLUMN @extschema@.double_publicity_filing.filed_at IS 'When it was filed last (set by the platform)';

-- Decisions a unit does not publish, each with its legal basis (不予公示).
CREATE TABLE @extschema@.double_publicity_withheld (
    department  text NOT NULL REFERENCES @extschema@.department (code) ON UPDATE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('license', 'penalty')),
    document_no text NOT NULL CHECK (pg_catalog.btrim(document_no) <> ''),
    decided_on  date NOT NULL CHECK (pg_catalog.isfinite(decided_on)),
    legal_basis text NOT NULL CHECK (pg_catalog.btrim(legal_basis) <> ''),
    reason      text,
    filed_by    name NOT NULL,
    filed_at    timestamptz NOT NULL,
    PRIMARY KEY (department, kind, document_no)
);
COMMENT ON TABLE @extschema@.double_publicity_withheld IS
    'Licences and penalties a unit decided but does not publish (不予公示), each with the legal basis that withholds it (state secrets, trade secrets, personal privacy...); counted as withheld by credit.double_publicity_return unless the platform holds a record of the same decision';
COMMENT ON COLUMN @extschema@.double_publicity_withheld.kind IS 'license (行政许可) or penalty (行政处罚)';
COMMENT ON COLUMN @extschema@.double_publicity_withheld.document_no IS 'Decision document number (决定文书号)';
COMMENT ON COLUMN @extschema@.double_publicity_withheld.decided_on IS 'Decision date: the month of the return it counts in';
COMMENT ON COLUMN @extschema@.double_publicity_withheld.legal_basis IS 'Legal basis of not publishing (不予公示的法律依据), required';
COMMENT ON COLUMN @extschema@.double_publicity_withheld.reason IS 'The reason in words (optional)';
COMMENT ON COLUMN @extschema@.double_publicity_withheld.filed_by IS 'Role that filed it last (set by the platform)';
COMMENT ON COLUMN @extschema@.double_publicity_withheld.filed_at IS 'When it was filed last (set by the platform)';

-- Who filed and when is the platform's to say, not the sender's.
CREATE FUNCTION @extschema@.double_publicity_filed() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.filed_by := @extschema@.caller();
    NEW.filed_at := pg_catalog.now();
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.double_publicity_filed() IS
    'BEFORE ROW trigger of credit.double_publicity_filing and credit.double_publicity_withheld: sets filed_by (credit.caller()) and filed_at (the transaction''s time), whatever the row says';
CREATE TRIGGER filed BEFORE INSERT OR UPDATE ON @extschema@.double_publicity_filing
    FOR EACH ROW EXECUTE FUNCTION @extschema@.double_publicity_filed();
CREATE TRIGGER filed BEFORE INSERT OR UPDATE ON @extschema@.double_publicity_withheld
    FOR EACH ROW EXECUTE FUNCTION @extschema@.double_publicity_filed();
SELECT pg_catalog.pg_extension_config_dump('@extschema@.double_publicity_filing', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.double_publicity_withheld', '');

-- Privileges and row-level security: a unit files, reads and corrects its
-- own figures and withheld decisions; analysts read all; administrators
-- write all.
DO $do$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['double_publicity_filing', 'double_publicity_withheld'] LOOP
        EXECUTE pg_catalog.format($f$
            ALTER TABLE @extschema@.%1$I ENABLE ROW LEVEL SECURITY;
            GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.%1$I TO credit_admin;
            GRANT SELECT, DELETE ON @extschema@.%1$I TO credit_department;
            GRANT SELECT ON @extschema@.%1$I TO credit_analyst;
            CREATE POLICY admin_all ON @extschema@.%1$I TO credit_admin USING (true) WITH CHECK (true);
            CREATE POLICY analyst_read ON @extschema@.%1$I FOR SELECT TO credit_analyst USING (true);
            CREATE POLICY department_read ON @extschema@.%1$I FOR SELECT TO credit_department
                USING (department = ANY (@extschema@.acting_departments()));
            CREATE POLICY department_insert ON @extschema@.%1$I FOR INSERT TO credit_department
                WITH CHECK (department = ANY (@extschema@.acting_departments()));
            CREATE POLICY department_update ON @extschema@.%1$I FOR UPDATE TO credit_department
                USING (department = ANY (@extschema@.acting_departments()))
                WITH CHECK (department = ANY (@extschema@.acting_departments()));
            CREATE POLICY department_delete ON @extschema@.%1$I FOR DELETE TO credit_department
                USING (department = ANY (@extschema@.acting_departments()));
            $f$, t);
    END LOOP;
END
$do$;
GRANT INSERT (department, month, kind, produced), UPDATE (produced)
    ON @extschema@.double_publicity_filing TO credit_department;
GRANT INSERT (department, kind, document_no, decided_on, legal_basis, reason), UPDATE (decided_on, legal_basis, reason)
    ON @extschema@.double_publicity_withheld TO credit_department;

-- The unit whose return credit.caller() asks for: the one named (else the
-- caller's only unit), which it must act for unless it reads every unit's.
CREATE FUNCTION @extschema@.double_publicity_unit(department text, month date) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    unit text := @extschema@.sending_unit(double_publicity_unit.department);
BEGIN
    IF month IS NULL THEN
        RAISE EXCEPTION 'the month of the return is required'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM @extschema@.finite_day(month, 'the month of the return');
    IF NOT (unit OPERATOR(pg_catalog.=) ANY (@extschema@.caller_departments())
            OR pg_catalog.pg_has_role(@extschema@.caller(), 'credit_analyst', 'USAGE')
            OR pg_catalog.pg_has_role(@extschema@.caller(), 'credit_admin', 'USAGE')) THEN
        RAISE EXCEPTION 'role "%" does not act for unit "%"', @extschema@.caller(), unit
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'A unit reads its own return; analysts and administrators read every unit''s.';
    END IF;
    IF NOT EXISTS (SELECT FROM @extschema@.department d WHERE d.code OPERATOR(pg_catalog.=) unit) THEN
        RAISE EXCEPTION 'no unit "%"', unit
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN unit;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.double_publicity_unit(text, date) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.double_publicity_unit(text, date) IS
    'The unit of a double-publicity return credit.caller() asks for: the one named, else the caller''s only unit (credit.sending_unit); 42501 unless the caller acts for it or is an analyst or administrator, 22023 for no such unit or an infinite month, 23502 for no month. Internal to credit.double_publicity_return';

-- The return.  A decision of the month (by its decision date) is one of:
-- a record of the unit of a licence or penalty item, received (the first
-- intake row that led to it, else the record's creation) within 7 working
-- days of the decision (credit.add_working_days) or later, or not published
-- by rule (an item not published, a warning only: withheld with that rule);
-- an intake row waiting for its subject; a decision filed as withheld.
CREATE FUNCTION @extschema@.double_publicity_return(department text, month date)
RETURNS TABLE (department text, month date, kind text, produced integer, published_on_time bigint,
               published_late bigint, waiting bigint, withheld bigint, missing integer, withheld_bases jsonb,
               due_on date, filed_at timestamptz, closed boolean)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH m AS (
        SELECT u.unit, u.first, (u.first OPERATOR(pg_catalog.+) '1 month'::pg_catalog.interval)::pg_catalog.date AS next
          FROM (SELECT @extschema@.double_publicity_unit($1, $2) AS unit,
                       $2 OPERATOR(pg_catalog.-) (pg_catalog.extract('day', $2)::integer OPERATOR(pg_catalog.-) 1) AS first) u
    ),
    -- the first time the platform received each record's decision from the intake
    ir AS (
        SELECT i.record_id, pg_catalog.min(i.received_at) AS received_at
          FROM m
          JOIN @extschema@.intake_row i
            ON i.department OPERATOR(pg_catalog.=) m.unit AND i.status OPERATOR(pg_catalog.<>) 'rejected'
           AND i.decided OPERATOR(pg_catalog.>=) m.first AND i.decided OPERATOR(pg_catalog.<) m.next
         WHERE i.record_id IS NOT NULL
         GROUP BY i.record_id
    ),
    r AS (
        SELECT c.category AS kind, r.decided_on,
               CASE WHEN r.publicity_until IS NOT NULL THEN NULL
                    WHEN r.details OPERATOR(pg_catalog.->>) 'penalty_kind' OPERATOR(pg_catalog.=) 'warning'
                    THEN 'warning only (警告): not published'
                    ELSE pg_catalog.format('item %s: not published', c.code) END AS basis,
               LEAST(r.created_at, ir.received_at)::pg_catalog.date
                   OPERATOR(pg_catalog.<=) @extschema@.add_working_days(r.decided_on, 7) AS timely
          FROM m
          JOIN @extschema@.record r
            ON r.department OPERATOR(pg_catalog.=) m.unit
           AND r.decided_on OPERATOR(pg_catalog.>=) m.first AND r.decided_on OPERATOR(pg_catalog.<) m.next
          JOIN @extschema@.catalog_item c
            ON c.code OPERATOR(pg_catalog.=) r.item_code AND c.category IN ('license', 'penalty')
          LEFT JOIN ir ON ir.record_id OPERATOR(pg_catalog.=) r.id
    ),
    w AS (
        SELECT DISTINCT i.category AS kind, i.item_code, pg_catalog.btrim(i.document_no) AS document_no
          FROM m
          JOIN @extschema@.intake_row i
            ON i.department OPERATOR(pg_catalog.=) m.unit AND i.status OPERATOR(pg_catalog.=) 'waiting'
           AND i.decided OPERATOR(pg_catalog.>=) m.first AND i.decided OPERATOR(pg_catalog.<) m.next
           AND i.category IN ('license', 'penalty')
    ),
    x AS (
        SELECT h.kind, h.legal_basis AS basis
          FROM m
          JOIN @extschema@.double_publicity_withheld h
            ON h.department OPERATOR(pg_catalog.=) m.unit
           AND h.decided_on OPERATOR(pg_catalog.>=) m.first AND h.decided_on OPERATOR(pg_catalog.<) m.next
         WHERE NOT EXISTS (SELECT FROM @extschema@.record r
                             JOIN @extschema@.catalog_item c ON c.code OPERATOR(pg_catalog.=) r.item_code
                            WHERE r.department OPERATOR(pg_catalog.=) h.department
                              AND pg_catalog.btrim(r.document_no) OPERATOR(pg_catalog.=) h.document_no
                              AND c.category OPERATOR(pg_catalog.=) h.kind)
        UNION ALL
        SELECT r.kind, r.basis FROM r WHERE r.basis IS NOT NULL
    ),
    t AS (
        SELECT k.kind,
               (SELECT pg_catalog.count(*) FROM r
                 WHERE r.kind OPERATOR(pg_catalog.=) k.kind AND r.basis IS NULL AND r.timely) AS on_time,
               (SELECT pg_catalog.count(*) FROM r
                 WHERE r.kind OPERATOR(pg_catalog.=) k.kind AND r.basis IS NULL AND NOT r.timely) AS late,
               (SELECT pg_catalog.count(*) FROM w WHERE w.kind OPERATOR(pg_catalog.=) k.kind) AS waiting,
               (SELECT pg_catalog.count(*) FROM x WHERE x.kind OPERATOR(pg_catalog.=) k.kind) AS withheld,
               (SELECT pg_catalog.jsonb_object_agg(b.basis, b.n ORDER BY b.basis)
                  FROM (SELECT x.basis, pg_catalog.count(*) AS n FROM x
                         WHERE x.kind OPERATOR(pg_catalog.=) k.kind GROUP BY x.basis) b) AS bases
          FROM (VALUES ('license'::text), ('penalty'::text)) k (kind)
    )
    SELECT m.unit, m.first, t.kind, f.produced, t.on_time, t.late, t.waiting, t.withheld,
           CASE WHEN f.produced IS NOT NULL
                THEN GREATEST(f.produced OPERATOR(pg_catalog.-) (t.on_time OPERATOR(pg_catalog.+) t.late
                                             OPERATOR(pg_catalog.+) t.waiting OPERATOR(pg_catalog.+) t.withheld)::integer, 0) END,
           coalesce(t.bases, '{}'::pg_catalog.jsonb),
           (m.next OPERATOR(pg_catalog.+) 9)::pg_catalog.date, f.filed_at,
           CURRENT_DATE OPERATOR(pg_catalog.>=) m.next
      FROM m CROSS JOIN t
      LEFT JOIN @extschema@.double_publicity_filing f
        ON f.department OPERATOR(pg_catalog.=) m.unit AND f.month OPERATOR(pg_catalog.=) m.first
       AND f.kind OPERATOR(pg_catalog.=) t.kind
     ORDER BY t.kind
$$;
REVOKE ALL ON FUNCTION @extschema@.double_publicity_return(text, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.double_publicity_return(text, date) TO credit_department, credit_analyst, credit_admin;
COMMENT ON FUNCTION @extschema@.double_publicity_return(text, date) IS
    'The monthly double-publicity return (双公示月报) of a unit (NULL: the caller''s only unit) for the month of the given day, one row per kind (license 行政许可, penalty 行政处罚): decisions made (produced, as filed in credit.double_publicity_filing; NULL until filed), received within 7 working days of the decision (published_on_time; working days of credit.calendar_day) or later (published_late), waiting for their subject, withheld with a legal basis (credit.double_publicity_withheld, and records not published by rule), missing (produced less all those, never below 0; NULL until filed), the count per legal basis, the due date (the 10th of the next month), when the figure was filed and whether the month is over. A unit reads its own return, analysts and administrators every unit''s (42501 otherwise)';

-- Every unit's returns for the months it has decisions, filings or waiting
-- rows in, for BI tools: the rows of credit.double_publicity_return the
-- reader may read (its own units', all for analysts and administrators).
CREATE VIEW @extschema@.v_double_publicity_return WITH (security_barrier) AS
SELECT d.*
  FROM (SELECT u.department, u.month
          FROM (SELECT r.department, pg_catalog.date_trunc('month', r.decided_on)::date AS month
                  FROM @extschema@.record r
                  JOIN @extschema@.catalog_item c ON c.code OPERATOR(pg_catalog.=) r.item_code
                 WHERE c.category IN ('license', 'penalty')
                UNION
                SELECT f.department, f.month FROM @extschema@.double_publicity_filing f
                UNION
                SELECT h.department, pg_catalog.date_trunc('month', h.decided_on)::date
                  FROM @extschema@.double_publicity_withheld h
                UNION
                SELECT i.department, pg_catalog.date_trunc('month', i.decided)::date
                  FROM @extschema@.intake_row i
                 WHERE i.status OPERATOR(pg_catalog.=) 'waiting' AND i.category IN ('license', 'penalty')) u
         WHERE u.department OPERATOR(pg_catalog.=) ANY (@extschema@.acting_departments())
            OR pg_catalog.pg_has_role('credit_analyst', 'USAGE')
            OR pg_catalog.pg_has_role('credit_admin', 'USAGE')
        -- (the readable months first: the return refuses the others)
        OFFSET 0) u
 CROSS JOIN LATERAL @extschema@.double_publicity_return(u.department, u.month) d;
COMMENT ON VIEW @extschema@.v_double_publicity_return IS
    'The monthly double-publicity returns (双公示月报, credit.double_publicity_return) of every unit and month with licence or penalty decisions, filed figures or waiting rows: a unit reads its own, analysts and administrators all';
GRANT SELECT ON @extschema@.v_double_publicity_return TO credit_admin, credit_department, credit_analyst;
COMMENT ON COLUMN @extschema@.v_double_publicity_return.department IS 'Unit of the return (credit.department.code)';
COMMENT ON COLUMN @extschema@.v_double_publicity_return.month IS 'First day of the month of the decisions';
COMMENT ON COLUMN @extschema@.v_double_publicity_return.kind IS 'license (行政许可) or penalty (行政处罚)';
COMMENT ON COLUMN @extschema@.v_double_publicity_return.produced IS 'Decisions made (产生数), as the unit filed them (credit.double_publicity_filing); NULL until filed';
COMMENT ON COLUMN @extschema@.v_double_publicity_return.published_on_time IS 'Decisions received within 7 working days of the decision (credit.calendar_day) and published';
COMMENT ON COLUMN @extschema@.v_double_publicity_return.published_late IS 'Decisions received later than 7 working days after the decision, and published';
COMMENT ON COLUMN @extschema@.v_double_publicity_return.waiting IS 'Decisions received whose subject is not registered yet (intake rows waiting), not published';
COMMENT ON COLUMN @extschema@.v_double_publicity_return.withheld IS 'Decisions not published with a legal basis (不予公示): filed in credit.double_publicity_withheld, or records not published by rule (a warning only, an item not published)';
COMMENT ON COLUMN @extschema@.v_double_publicity_return.missing IS 'Decisions made but neither received nor withheld (未报送): produced less the others, never below 0; NULL until filed';
COMMENT ON COLUMN @extschema@.v_double_publicity_return.withheld_bases IS 'The withheld decisions per legal basis, as a JSON object (basis: count)';
COMMENT ON COLUMN @extschema@.v_double_publicity_return.due_on IS 'Due date of the return: the 10th of the next month';
COMMENT ON COLUMN @extschema@.v_double_publicity_return.filed_at IS 'When the unit last filed its figure of decisions made; NULL: not filed';
COMMENT ON COLUMN @extschema@.v_double_publicity_return.closed IS 'Whether the month is over (today is in a later month): no decision of it is still to come';
