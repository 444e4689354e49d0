-- Credit repair (信用修复) and objections (异议处理): docs/repair.md.
--
-- Repair: once the minimum publicity period of a published administrative
-- penalty has passed, the subject may ask for it to be repaired; a unit (or
-- an administrator) approves once the conduct was corrected, the obligations
-- performed and a public credit commitment made.  The record then becomes
-- 'repaired': its publicity stops and it no longer counts in evaluation (the
-- record triggers re-evaluate the grades), but it is kept, annotated, never
-- deleted.
--
-- Objection: a subject disputes a record.  While the objection is open the
-- record is 'objected' (marked in the publicity views, not counted); the
-- objection is decided within a number of working days: upheld (the record
-- is revoked, its publicity withdrawn), corrected (the unit corrected the
-- record, which counts again), dismissed or withdrawn (the record counts
-- again).
--
-- Both are done with the caller's own rights: a unit (credit_department)
-- acts on the records of the departments it acts for (row-level security of
-- credit.record), administrators on every record.  Lock order: the record
-- first, then its request or objection, so that concurrent calls on one
-- record queue behind each other and never deadlock.

-- Minimum publicity periods of earlier rules.  The rule in force is chosen
-- by the record's decision date: a record decided before decided_before
-- keeps the minimum of the rule it was decided under; records decided later
-- take the minimum of their catalogue item (credit.catalog_item.min_publicity,
-- the 2025 credit repair measures by default).
CREATE TABLE @extschema@.repair_rule (
    severity       text NOT NULL CHECK (severity IN ('minor', 'general', 'serious')),
    decided_before date NOT NULL,
    min_publicity  interval NOT NULL CHECK (min_publicity >= interval '0 days'),
    name           text NOT NULL,
    PRIMARY KEY (severity, decided_before)
);
COMMENT ON TABLE @extschema@.repair_rule IS
    'Minimum publicity periods (最短公示期) of earlier rules, by severity: a penalty decided before decided_before may be repaired after min_publicity; later penalties after their catalogue item''s min_publicity. When several rows match, the earliest decided_before wins (the rule in force on the decision date)';
COMMENT ON COLUMN @extschema@.repair_rule.decided_before IS
    'The rule applies to records decided before this date (the day the next rule took effect)';
COMMENT ON COLUMN @extschema@.repair_rule.min_publicity IS
    'Publicity period that must have passed, from the decision date, before credit repair may be requested';
INSERT INTO @extschema@.repair_rule (severity, decided_before, min_publicity, name) VALUES
    ('general', '2026-04-01', interval '3 months', 'NDRC 2019 rule (before the 2025 credit repair measures took effect on 2026-04-01)'),
    ('serious', '2026-04-01', interval '6 months', 'NDRC 2019 rule (before the 2025 credit repair measures took effect on 2026-04-01)');

-- The minimum publicity period of a record of an item decided on a day.
CREATE FUNCTION @extschema@.minimum_publicity(item_code text, decided_on date,
                                              OUT min_publicity interval, OUT rule text, OUT repair_from date)
RETURNS record
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT m.p, m.rule, (minimum_publicity.decided_on + m.p)::date
      FROM @extschema@.catalog_item c
     CROSS JOIN LATERAL (
            SELECT coalesce(r.min_publicity, c.min_publicity, interval '0 days') AS p,
                   coalesce(r.name, pg_catalog.format('catalogue item %s', c.code)) AS rule
              FROM (SELECT 1) one
              LEFT JOIN LATERAL (
                     SELECT x.min_publicity, x.name FROM @extschema@.repair_rule x
                      WHERE x.severity = c.severity AND x.decided_before > minimum_publicity.decided_on
                      ORDER BY x.decided_before LIMIT 1) r ON true) m
     WHERE c.code = minimum_publicity.item_code
$$;
COMMENT ON FUNCTION @extschema@.minimum_publicity(text, date) IS
    'Minimum publicity period (最短公示期) of a record of this catalogue item decided on this day, the rule it comes from (credit.repair_rule for records decided under an earlier rule, else the catalogue item) and repair_from, the first day credit repair may be requested (decided_on + min_publicity); all NULL for an unknown item';

-- A period in words, whatever the session's IntervalStyle ("1 year", "3 months").
CREATE FUNCTION @extschema@.period_text(p interval) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(pg_catalog.string_agg(n || ' ' || unit || CASE WHEN n = 1 THEN '' ELSE 's' END, ' ' ORDER BY o), '0 days')
      FROM (VALUES (1, pg_catalog.date_part('year', p)::bigint, 'year'),
                   (2, pg_catalog.date_part('month', p)::bigint, 'month'),
                   (3, pg_catalog.date_part('day', p)::bigint, 'day')) v (o, n, unit)
     WHERE n <> 0
$$;
COMMENT ON FUNCTION @extschema@.period_text(interval) IS
    'A publicity period in words (1 year, 3 months, 1 year 6 months), the same under every IntervalStyle; time of day is ignored';

-- Working days: Monday to Friday, unless credit.calendar_day says otherwise.
CREATE TABLE @extschema@.calendar_day (
    day     date PRIMARY KEY,
    working boolean NOT NULL,
    name    text
);
COMMENT ON TABLE @extschema@.calendar_day IS
    'Exceptions to the Monday-to-Friday working week (deadlines in working days: objections, double-publicity timeliness): public holidays (working false) and the weekend days worked in their place (调休, working true). Shipped: the State Council''s holiday arrangements for 2025 and 2026, and for 2027-2030 the statutory holidays of fixed date (1 January, 1-2 May, 1-3 October); the county enters each year''s arrangement when it is published';

-- The State Council's holiday arrangements (国务院办公厅关于...部分节假日安排的通知):
-- 2025 (国办发明电〔2024〕12号) and 2026 (国办发明电〔2025〕7号), holidays and
-- the weekend days worked in their place.  Later years: only the statutory
-- holidays whose date is fixed by the Regulation on National Holidays
-- (全国年节及纪念日放假办法, 2024 revision: 1 January; 1 and 2 May; 1 to 3
-- October); the lunar holidays and each year's bridging days are entered when
-- that year's arrangement is published.
INSERT INTO @extschema@.calendar_day (day, working, name)
SELECT d::date, false, v.name
  FROM (VALUES ('2025-01-01', '2025-01-01', '元旦 New Year''s Day'),
               ('2025-01-28', '2025-02-04', '春节 Spring Festival'),
               ('2025-04-04', '2025-04-06', '清明节 Qingming Festival'),
               ('2025-05-01', '2025-05-05', '劳动节 Labour Day'),
               ('2025-05-31', '2025-06-02', '端午节 Dragon Boat Festival'),
               ('2025-10-01', '2025-10-08', '国庆节、中秋节 National Day and Mid-Autumn Festival'),
               ('2026-01-01', '2026-01-03', '元旦 New Year''s Day'),
               ('2026-02-15', '2026-02-23', '春节 Spring Festival'),
               ('2026-04-04', '2026-04-06', '清明节 Qingming Festival'),
               ('2026-05-01', '2026-05-05', '劳动节 Labour Day'),
               ('2026-06-19', '2026-06-21', '端午节 Dragon Boat Festival'),
               ('2026-09-25', '2026-09-27', '中秋节 Mid-Autumn Festival'),
               ('2026-10-01', '2026-10-07', '国庆节 National Day')) v (first, last, name),
       pg_catalog.generate_series(v.first::date, v.last::date, interval '1 day') d
UNION ALL
SELECT v.day::date, true, v.name
  FROM (VALUES ('2025-01-26', '春节调休 working Sunday (Spring Festival)'),
               ('2025-02-08', '春节调休 working Saturday (Spring Festival)'),
               ('2025-04-27', '劳动节调休 working Sunday (Labour Day)'),
               ('2025-09-28', '国庆节调休 working Sunday (National Day)'),
               ('2025-10-11', '国庆节调休 working Saturday (National Day)'),
               ('2026-01-04', '元旦调休 working Sunday (New Year''s Day)'),
               ('2026-02-14', '春节调休 working Saturday (Spring Festival)'),
               ('2026-02-28', '春节调休 working Saturday (Spring Festival)'),
               ('2026-05-09', '劳动节调休 working Saturday (Labour Day)'),
               ('2026-09-20', '国庆节调休 working Sunday (National Day)'),
               ('2026-10-10', '国庆节调休 working Saturday (National Day)')) v (day, name)
UNION ALL
SELECT pg_catalog.make_date(y, f.m, f.d), false, f.name || ' (statutory)'
  FROM pg_catalog.generate_series(2027, 2030) y,
       (VALUES (1, 1, '元旦 New Year''s Day'), (5, 1, '劳动节 Labour Day'), (5, 2, '劳动节 Labour Day'),
               (10, 1, '国庆节 National Day'), (10, 2, '国庆节 National Day'),
               (10, 3, '国庆节 National Day')) f (m, d, name);

-- A finite date or an error: the calendar has no working day at infinity.
CREATE FUNCTION @extschema@.finite_day(day date, what text) RETURNS date
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT pg_catalog.isfinite(day) THEN
        RAISE EXCEPTION '% must be a finite date, not %', what, day
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Working days are counted on the calendar: infinity has none.';
    END IF;
    RETURN day;
END
$$;
COMMENT ON FUNCTION @extschema@.finite_day(date, text) IS
    'The day itself when finite; else an error (22023) naming what the day is for: the check credit.is_working_day and credit.add_working_days share';

-- The weekday rule counts days from a Monday (2000-01-03) modulo 7, valid for
-- every date (date_part needs a timestamp, whose range is smaller).
CREATE FUNCTION @extschema@.is_working_day(day date) RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN @extschema@.finite_day(is_working_day.day, 'the day') IS NOT NULL THEN
               coalesce((SELECT c.working FROM @extschema@.calendar_day c WHERE c.day = is_working_day.day),
                        ((is_working_day.day OPERATOR(pg_catalog.-) '2000-01-03'::pg_catalog.date) % 7 + 7) % 7 < 5)
           END
$$;
COMMENT ON FUNCTION @extschema@.is_working_day(date) IS
    'Whether a day is a working day (工作日): Monday to Friday unless credit.calendar_day marks it otherwise; 22023 for infinity';

-- The n-th working day after day.  Only the finitely many days of
-- credit.calendar_day differ from the weekly rule (Monday to Friday), so the
-- days between two of them are counted by whole weeks (every 7 consecutive
-- days hold 5 weekdays): the work grows with the calendar entries passed,
-- not with n.
CREATE FUNCTION @extschema@.add_working_days(day date, n integer) RETURNS date
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d         date := @extschema@.finite_day(day, 'the day');
    remaining bigint := n;
    next_day  date;
    weeks     bigint;
    target    bigint;
    steps     integer;
BEGIN
    IF n < 0 THEN
        RAISE EXCEPTION 'number of working days must not be negative: %', n
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    WHILE remaining > 0 LOOP
        -- the next day the calendar marks, after d
        SELECT min(c.day) INTO next_day FROM @extschema@.calendar_day c WHERE c.day > d;
        -- weekdays after d up to the day before it (all of them when there is none)
        IF next_day IS NULL THEN
            weeks := (remaining - 1) / 5;
        ELSE
            weeks := LEAST((remaining - 1) / 5, (next_day - 1 - d) / 7);
        END IF;
        IF weeks > 0 THEN
            target := (d - date '2000-01-01') + 7 * weeks;
            IF target > (date '5874897-12-31' - date '2000-01-01') THEN
                RAISE EXCEPTION 'the % working days after % end past the last date (5874897-12-31)',
                                n, @extschema@.iso_date(day)
                    USING ERRCODE = 'datetime_field_overflow';
            END IF;
            d := d + (7 * weeks)::integer;
            remaining := remaining - 5 * weeks;
        END IF;
        -- then day by day: until done, past the marked day, or for a week
        steps := 0;
        LOOP
            IF d >= date '5874897-12-31' THEN
                RAISE EXCEPTION 'the % working days after % end past the last date (5874897-12-31)',
                                n, @extschema@.iso_date(day)
                    USING ERRCODE = 'datetime_field_overflow';
            END IF;
            d := d + 1;
            steps := steps + 1;
            IF @extschema@.is_working_day(d) THEN
                remaining := remaining - 1;
            END IF;
            EXIT WHEN remaining = 0 OR d = next_day OR steps = 7;
        END LOOP;
    END LOOP;
    RETURN d;
END
$$;
COMMENT ON FUNCTION @extschema@.add_working_days(date, integer) IS
    'The n-th working day after day (the day itself not counted; n = 0 gives day): the deadline of something to be done within n working days. Counts whole weeks between the days credit.calendar_day marks, so any n is fast; 22023 for infinity, 22008 when the result would pass the last date';

-- Repair requests.
CREATE TABLE @extschema@.repair_request (
    id                    bigint GENERATED ALWAYS AS IDENTITY,
    record_id             bigint NOT NULL,
    subject_id            bigint NOT NULL,
    department            text NOT NULL REFERENCES @extschema@.department (code) ON UPDATE CASCADE,
    reason                text NOT NULL CHECK (pg_catalog.btrim(reason) <> ''),
    conduct_corrected     boolean NOT NULL DEFAULT false,
    obligations_performed boolean NOT NULL DEFAULT false,
    commitment            text,
    evidence              jsonb NOT NULL DEFAULT '{}',
    status                text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'approved', 'rejected')),
    requested_by          name NOT NULL DEFAULT current_user,
    requested_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    decided_by            name,
    decided_at            timestamptz,
    decision_note         text,
    CHECK ((status = 'open') = (decided_at IS NULL)),
    FOREIGN KEY (subject_id, record_id) REFERENCES @extschema@.record (subject_id, id)
        ON DELETE CASCADE ON UPDATE CASCADE,
    PRIMARY KEY (subject_id, id)
);
COMMENT ON TABLE @extschema@.repair_request IS
    'Credit repair requests (信用修复申请) of penalty records: what repair needs (conduct corrected, obligations performed, a public credit commitment, evidence) and the decision; written by credit.request_repair, credit.amend_repair and credit.decide_repair, kept for good';
COMMENT ON COLUMN @extschema@.repair_request.subject_id IS 'Subject of the record (copied from it)';
COMMENT ON COLUMN @extschema@.repair_request.department IS 'Department of the record: its unit decides (row-level security keys on it)';
COMMENT ON COLUMN @extschema@.repair_request.conduct_corrected IS 'The dishonest conduct has been corrected (纠正失信行为)';
COMMENT ON COLUMN @extschema@.repair_request.obligations_performed IS 'The legal obligations of the decision have been performed (履行法定义务), e.g. the fine paid';
COMMENT ON COLUMN @extschema@.repair_request.commitment IS 'The public credit commitment (信用承诺书) made by the subject: its text or a reference to it; NULL: not yet made';
COMMENT ON COLUMN @extschema@.repair_request.evidence IS 'Supporting documents (证明材料), e.g. {"fine_receipt": "..."}';
COMMENT ON COLUMN @extschema@.repair_request.status IS 'open, approved (the record is repaired) or rejected (the record is kept as it was)';
COMMENT ON COLUMN @extschema@.repair_request.requested_by IS 'Role that entered the request';
COMMENT ON COLUMN @extschema@.repair_request.decided_by IS 'Role that decided it';
CREATE INDEX repair_request_id_idx ON @extschema@.repair_request (id);
CREATE UNIQUE INDEX repair_request_open_idx ON @extschema@.repair_request (subject_id, record_id) WHERE status = 'open';
CREATE INDEX repair_request_record_idx ON @extschema@.repair_request (record_id);
CREATE INDEX repair_request_department_idx ON @extschema@.repair_request (department, status);

-- Objections.
CREATE TABLE @extschema@.objection (
    id          bigint GENERATED ALWAYS AS IDENTITY,
    record_id   bigint NOT NULL,
    subject_id  bigint NOT NULL,
    department  text NOT NULL REFERENCES @extschema@.department (code) ON UPDATE CASCADE,
    reason      text NOT NULL CHECK (pg_catalog.btrim(reason) <> ''),
    filed_on    date NOT NULL DEFAULT CURRENT_DATE,
    due_on      date NOT NULL,
    status      text NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'upheld', 'corrected', 'dismissed', 'withdrawn')),
    filed_by    name NOT NULL DEFAULT current_user,
    filed_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    resolved_by name,
    resolved_at timestamptz,
    note        text,
    CHECK (due_on >= filed_on),
    CHECK ((status = 'open') = (resolved_at IS NULL)),
    FOREIGN KEY (subject_id, record_id) REFERENCES @extschema@.record (subject_id, id)
        ON DELETE CASCADE ON UPDATE CASCADE,
    PRIMARY KEY (subject_id, id)
);
COMMENT ON TABLE @extschema@.objection IS
    'Objections (异议) to credit records: while open the record is ''objected'' (marked in publicity, not counted in evaluation); decided by due_on; written by credit.file_objection and credit.resolve_objection, kept for good';
COMMENT ON COLUMN @extschema@.objection.department IS 'Department of the record: its unit resolves the objection (row-level security keys on it)';
COMMENT ON COLUMN @extschema@.objection.filed_on IS 'Day the objection was filed; the record is marked under objection at once (the rules ask for it within 1 working day)';
COMMENT ON COLUMN @extschema@.objection.due_on IS 'Last day to decide: filed_on plus the working days allowed (5 to 20, credit.add_working_days)';
COMMENT ON COLUMN @extschema@.objection.status IS
    'open; upheld (the record was wrong: revoked, publicity withdrawn); corrected (the unit corrected the record, which counts again); dismissed (the record stands); withdrawn (by the subject)';
CREATE INDEX objection_id_idx ON @extschema@.objection (id);
CREATE UNIQUE INDEX objection_open_idx ON @extschema@.objection (subject_id, record_id) WHERE status = 'open';
CREATE INDEX objection_record_idx ON @extschema@.objection (record_id);
CREATE INDEX objection_due_idx ON @extschema@.objection (due_on) WHERE status = 'open';

-- A request or objection is born open, and once decided never changes again
-- (except its department code, which follows a renamed department).
CREATE FUNCTION @extschema@.closed_case_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF @extschema@.restoring() THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'open' THEN
            RAISE EXCEPTION 'a new % must be open, not %', TG_ARGV[0], NEW.status
                USING ERRCODE = 'check_violation',
                      HINT = 'It is decided afterwards, by credit.decide_repair or credit.resolve_objection.';
        END IF;
    ELSIF OLD.status <> 'open' AND (to_jsonb(NEW) - 'department') IS DISTINCT FROM (to_jsonb(OLD) - 'department') THEN
        RAISE EXCEPTION '% % was already % on %', TG_ARGV[0], OLD.id,
            CASE WHEN OLD.status IN ('approved', 'rejected') THEN OLD.status
                 ELSE 'resolved (' || OLD.status || ')' END,
            pg_catalog.to_char(coalesce(to_jsonb(OLD) ->> 'decided_at', to_jsonb(OLD) ->> 'resolved_at')::timestamptz,
                               'YYYY-MM-DD')
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'A decision is final; file a new request or objection instead.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.closed_case_guard() IS
    'BEFORE INSERT OR UPDATE trigger of credit.repair_request and credit.objection: a new one must be open (23514); a decided request or resolved objection cannot change again (55000), except its department code when the department is renamed; skipped while restoring a dump';
CREATE TRIGGER closed_case_guard BEFORE INSERT OR UPDATE ON @extschema@.repair_request
    FOR EACH ROW EXECUTE FUNCTION @extschema@.closed_case_guard('repair request');
CREATE TRIGGER closed_case_guard BEFORE INSERT OR UPDATE ON @extschema@.objection
    FOR EACH ROW EXECUTE FUNCTION @extschema@.closed_case_guard('objection');

-- Lock a record the caller may act on, or say why not.  With the caller's
-- rights: SELECT ... FOR UPDATE passes the record's UPDATE policies, so a
-- unit locks only the records of the departments it acts for.
CREATE FUNCTION @extschema@.lock_governed_record(record_id bigint, action text) RETURNS @extschema@.record
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r    @extschema@.record;
    dept text;
BEGIN
    IF record_id IS NULL THEN
        RAISE EXCEPTION 'record id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO r FROM @extschema@.record x WHERE x.id = lock_governed_record.record_id FOR UPDATE;
    IF FOUND THEN
        RETURN r;
    END IF;
    IF pg_catalog.pg_has_role(current_user, 'credit_admin', 'MEMBER') THEN
        RAISE EXCEPTION 'record % does not exist', record_id USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT x.department INTO dept FROM @extschema@.record x WHERE x.id = lock_governed_record.record_id;
    IF FOUND THEN
        RAISE EXCEPTION 'permission denied to % record %', action, record_id
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('The record belongs to department "%s", which role %s does not act for.',
                                             dept, current_user),
                  HINT = 'A unit acts on the records of its own departments; administrators (credit_admin) on all.';
    END IF;
    -- units learn nothing about records they cannot see
    RAISE EXCEPTION 'permission denied to % record %', action, record_id
        USING ERRCODE = 'insufficient_privilege',
              DETAIL = pg_catalog.format('Role %s cannot see record %s.', current_user, record_id),
              HINT = 'A unit acts on the records of its own departments; administrators (credit_admin) on all.';
END
$$;
COMMENT ON FUNCTION @extschema@.lock_governed_record(bigint, text) IS
    'Locks (FOR UPDATE) and returns a record the caller may act on (a unit: a record of a department it acts for; an administrator: any); 42501 otherwise (also when a unit cannot see the record), 22023 when an administrator names no record';

-- What approval of a repair request still lacks (the minimum publicity period, corrected conduct and obligations, a public commitment).
CREATE FUNCTION @extschema@.repair_missing(q @extschema@.repair_request) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.array_remove(ARRAY[
        CASE WHEN NOT q.conduct_corrected THEN 'conduct corrected' END,
        CASE WHEN NOT q.obligations_performed THEN 'obligations performed' END,
        CASE WHEN coalesce(pg_catalog.btrim(q.commitment), '') = '' THEN 'public credit commitment' END], NULL)
$$;
COMMENT ON FUNCTION @extschema@.repair_missing(@extschema@.repair_request) IS
    'What a repair request does not record yet (an approval attests it): conduct corrected, obligations performed, public credit commitment (empty: complete)';

-- Ask for credit repair of a penalty record.
CREATE FUNCTION @extschema@.request_repair(record_id bigint, reason text,
                                           conduct_corrected boolean DEFAULT false,
                                           obligations_performed boolean DEFAULT false,
                                           commitment text DEFAULT NULL,
                                           evidence jsonb DEFAULT '{}') RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r   @extschema@.record;
    c   @extschema@.catalog_item;
    m   record;
    q   bigint;
BEGIN
    IF reason IS NULL OR btrim(reason) = '' THEN
        RAISE EXCEPTION 'a reason is required to request credit repair' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    r := @extschema@.lock_governed_record(request_repair.record_id, 'request credit repair of');
    SELECT * INTO c FROM @extschema@.catalog_item x WHERE x.code = r.item_code;
    IF c.category IS DISTINCT FROM 'penalty' THEN
        RAISE EXCEPTION 'record % is not an administrative penalty: credit repair applies to penalty records', r.id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('Its item %s is of category %s.', r.item_code, c.category);
    END IF;
    IF r.status = 'objected' THEN
        RAISE EXCEPTION 'record % cannot be repaired: it is under objection', r.id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Resolve the objection first (credit.resolve_objection).';
    ELSIF r.status <> 'active' THEN
        RAISE EXCEPTION 'record % cannot be repaired: %', r.id,
            CASE r.status
                WHEN 'repaired' THEN 'it was already repaired'
                WHEN 'revoked' THEN 'its decision was revoked and its publicity withdrawn'
                WHEN 'expired' THEN 'it has expired'
                ELSE 'its status is ' || r.status END
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    SELECT x.id INTO q FROM @extschema@.repair_request x
     WHERE x.record_id = r.id AND x.status = 'open';
    IF FOUND THEN
        RAISE EXCEPTION 'repair request % of record % is still open', q, r.id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Complete it with credit.amend_repair, or decide it with credit.decide_repair.';
    END IF;
    IF r.publicity_until IS NULL THEN
        RAISE EXCEPTION 'record % cannot be repaired: it is not published', r.id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'Its item is not published, or the penalty is a warning only.';
    END IF;
    IF r.publicity_until < CURRENT_DATE THEN
        RAISE EXCEPTION 'record % cannot be repaired: its publicity ended on %', r.id,
            @extschema@.iso_date(r.publicity_until)
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'Publicity stops by itself at the end of the maximum period.';
    END IF;
    SELECT * INTO m FROM @extschema@.minimum_publicity(r.item_code, r.decided_on);
    IF m.repair_from > CURRENT_DATE THEN
        RAISE EXCEPTION 'credit repair of record % may be requested from %', r.id,
            @extschema@.iso_date(m.repair_from)
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('The minimum publicity period of a %s penalty decided on %s is %s (%s).',
                                             coalesce(c.severity, 'unclassified'),
                                             @extschema@.iso_date(r.decided_on),
                                             @extschema@.period_text(m.min_publicity), m.rule);
    END IF;
    INSERT INTO @extschema@.repair_request (record_id, subject_id, department, reason, conduct_corrected,
                                            obligations_performed, commitment, evidence)
    VALUES (r.id, r.subject_id, r.department, request_repair.reason,
            coalesce(request_repair.conduct_corrected, false),
            coalesce(request_repair.obligations_performed, false),
            request_repair.commitment, coalesce(request_repair.evidence, '{}'))
    RETURNING id INTO q;
    RETURN q;
END
$$;
COMMENT ON FUNCTION @extschema@.request_repair(bigint, text, boolean, boolean, text, jsonb) IS
    'Request credit repair (信用修复) of a published, active administrative penalty record whose minimum publicity period has passed (credit.minimum_publicity); returns the request id. Refused (55000) before that period, saying the earliest date, and for records that are not penalties, not published, repaired, revoked, under objection or with an open request. The requirements of repair (conduct corrected, obligations performed, a public credit commitment, evidence) may be given here or later with credit.amend_repair';

-- Complete an open repair request.
CREATE FUNCTION @extschema@.amend_repair(request_id bigint,
                                         conduct_corrected boolean DEFAULT NULL,
                                         obligations_performed boolean DEFAULT NULL,
                                         commitment text DEFAULT NULL,
                                         evidence jsonb DEFAULT NULL) RETURNS text[]
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    q @extschema@.repair_request;
BEGIN
    PERFORM @extschema@.lock_case('repair_request', request_id, 'amend');
    UPDATE @extschema@.repair_request x
       SET conduct_corrected = coalesce(amend_repair.conduct_corrected, x.conduct_corrected),
           obligations_performed = coalesce(amend_repair.obligations_performed, x.obligations_performed),
           commitment = coalesce(amend_repair.commitment, x.commitment),
           evidence = x.evidence || coalesce(amend_repair.evidence, '{}')
     WHERE x.id = amend_repair.request_id
    RETURNING x.* INTO q;
    RETURN @extschema@.repair_missing(q);
END
$$;
COMMENT ON FUNCTION @extschema@.amend_repair(bigint, boolean, boolean, text, jsonb) IS
    'Complete an open repair request: set conduct_corrected, obligations_performed, the public credit commitment, and add evidence (merged into the jsonb); NULL arguments leave a field as it is. Returns what the request does not record yet (empty: complete)';

-- Lock an open repair request or objection the caller may act on, its
-- record first; returns the record id.  (tbl: repair_request or objection)
CREATE FUNCTION @extschema@.lock_case(tbl text, id bigint, action text) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    what text := replace(tbl, '_', ' ');
    rid  bigint;
    st   text;
    closed_at timestamptz;
BEGIN
    IF tbl NOT IN ('repair_request', 'objection') THEN
        RAISE EXCEPTION 'no such kind of case: %', tbl USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF id IS NULL THEN
        RAISE EXCEPTION '% id must not be NULL', what USING ERRCODE = 'null_value_not_allowed';
    END IF;
    EXECUTE format('SELECT record_id FROM @extschema@.%I WHERE id = $1', tbl) INTO rid USING id;
    IF rid IS NULL THEN
        IF pg_catalog.pg_has_role(current_user, 'credit_admin', 'MEMBER') THEN
            RAISE EXCEPTION '% % does not exist', what, id USING ERRCODE = 'invalid_parameter_value';
        END IF;
        RAISE EXCEPTION 'permission denied to % % %', action, what, id
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('Role %s cannot see %s %s.', current_user, what, id),
                  HINT = 'A unit acts on the cases of its own departments; administrators (credit_admin) on all.';
    END IF;
    PERFORM @extschema@.lock_governed_record(rid, action || ' a ' || what || ' of');
    EXECUTE format('SELECT status, coalesce(to_jsonb(x) ->> ''decided_at'', to_jsonb(x) ->> ''resolved_at'')::timestamptz
                      FROM @extschema@.%I x WHERE id = $1 FOR UPDATE', tbl) INTO st, closed_at USING id;
    IF st <> 'open' THEN
        RAISE EXCEPTION '% % was already % on %', what, id,
            CASE WHEN tbl = 'objection' THEN 'resolved (' || st || ')' ELSE st END, pg_catalog.to_char(closed_at, 'YYYY-MM-DD')
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = pg_catalog.format('A decision is final; file a new %s instead.', what);
    END IF;
    RETURN rid;
END
$$;
COMMENT ON FUNCTION @extschema@.lock_case(text, bigint, text) IS
    'Locks the record of an open repair request or objection (tbl) the caller may act on, then the request or objection, and returns the record id; 42501 when the caller may not act on the record, 55000 when already decided, 22023 when an administrator names none';

-- Approve or reject a repair request.
CREATE FUNCTION @extschema@.decide_repair(request_id bigint, approve boolean, note text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    q       @extschema@.repair_request;
    missing text[];
    st      text;
BEGIN
    IF approve IS NULL THEN
        RAISE EXCEPTION 'approve must be true or false' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT approve AND coalesce(btrim(note), '') = '' THEN
        RAISE EXCEPTION 'a rejection needs a note saying why' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM @extschema@.lock_case('repair_request', request_id, 'decide');
    SELECT * INTO q FROM @extschema@.repair_request x WHERE x.id = decide_repair.request_id;
    IF approve THEN
        SELECT x.status INTO st FROM @extschema@.record x WHERE x.id = q.record_id;
        IF st <> 'active' THEN
            RAISE EXCEPTION 'repair request % cannot be approved: record % is %', q.id, q.record_id, st
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        -- The deciding unit checks the requirements of repair (conduct
        -- corrected, obligations performed, the public credit commitment);
        -- what the request does not record, its approval attests, by name.
        missing := @extschema@.repair_missing(q);
        IF cardinality(missing) > 0 THEN
            UPDATE @extschema@.repair_request x
               SET conduct_corrected = true, obligations_performed = true,
                   evidence = x.evidence || jsonb_build_object('attested_by_decider', to_jsonb(missing),
                                                               'attested_by', current_user)
             WHERE x.id = q.id;
        END IF;
        -- publicity stops (credit.is_published) and the record no longer counts;
        -- it is kept, annotated
        UPDATE @extschema@.record x
           SET status = 'repaired',
               details = x.details || jsonb_build_object('repair', jsonb_build_object(
                             'request', q.id, 'approved_on', CURRENT_DATE, 'approved_by', current_user))
         WHERE x.id = q.record_id;
    END IF;
    UPDATE @extschema@.repair_request x
       SET status = CASE WHEN approve THEN 'approved' ELSE 'rejected' END,
           decided_by = current_user, decided_at = now(), decision_note = note
     WHERE x.id = q.id;
END
$$;
COMMENT ON FUNCTION @extschema@.decide_repair(bigint, boolean, text) IS
    'Decide a repair request. Approval attests the requirements of repair (conduct corrected, obligations performed, the public credit commitment: those the request does not record are listed in evidence.attested_by_decider) and sets the record to repaired: its publicity stops and the grades are re-evaluated, the record is kept and annotated (details.repair); rejection (needs a note) keeps the record as it is. A decision is final (55000 the second time). A unit decides for its own departments, administrators for all (42501 otherwise)';

-- File an objection to a record.
CREATE FUNCTION @extschema@.file_objection(record_id bigint, reason text, working_days integer DEFAULT 20) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r  @extschema@.record;
    o  bigint;
    q  bigint;
BEGIN
    IF reason IS NULL OR btrim(reason) = '' THEN
        RAISE EXCEPTION 'a reason is required to file an objection' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF working_days IS NULL OR working_days NOT BETWEEN 5 AND 20 THEN
        RAISE EXCEPTION 'an objection is decided within 5 to 20 working days, not %', coalesce(working_days::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    r := @extschema@.lock_governed_record(file_objection.record_id, 'file an objection to');
    IF r.status <> 'active' THEN
        SELECT x.id INTO o FROM @extschema@.objection x WHERE x.record_id = r.id AND x.status = 'open';
        RAISE EXCEPTION 'no objection can be filed to record %: %', r.id,
            CASE r.status
                WHEN 'objected' THEN 'it is already under objection' || coalesce(' (objection ' || o || ')', '')
                WHEN 'repaired' THEN 'it was repaired, so it is neither published nor counted'
                WHEN 'revoked' THEN 'its decision was revoked and its publicity withdrawn'
                WHEN 'expired' THEN 'it has expired'
                ELSE 'its status is ' || r.status END
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    SELECT x.id INTO q FROM @extschema@.repair_request x WHERE x.record_id = r.id AND x.status = 'open';
    IF FOUND THEN
        RAISE EXCEPTION 'no objection can be filed to record %: its repair request % is open', r.id, q
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Decide the repair request first (credit.decide_repair).';
    END IF;
    INSERT INTO @extschema@.objection (record_id, subject_id, department, reason, filed_on, due_on)
    VALUES (r.id, r.subject_id, r.department, file_objection.reason, CURRENT_DATE,
            @extschema@.add_working_days(CURRENT_DATE, working_days))
    RETURNING id INTO o;
    UPDATE @extschema@.record x SET status = 'objected' WHERE x.id = r.id;
    RETURN o;
END
$$;
COMMENT ON FUNCTION @extschema@.file_objection(bigint, text, integer) IS
    'File an objection (异议) to an active record; returns the objection id. The record becomes objected at once: marked under objection in the publicity views and no longer counted in evaluation (grades re-evaluate). It is to be decided within working_days working days (5 to 20, default 20; credit.add_working_days), stored as due_on. Refused (55000) for records not active (already objected, repaired, revoked, expired) or with an open repair request';

-- Resolve an objection.
CREATE FUNCTION @extschema@.resolve_objection(id bigint, outcome text, note text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o   @extschema@.objection;
BEGIN
    -- accepted (异议成立) is upheld, rejected (异议不成立) is dismissed
    outcome := CASE outcome WHEN 'accepted' THEN 'upheld' WHEN 'rejected' THEN 'dismissed' ELSE outcome END;
    IF outcome IS NULL OR outcome NOT IN ('upheld', 'corrected', 'dismissed', 'withdrawn') THEN
        RAISE EXCEPTION 'invalid objection outcome: %', coalesce(quote_literal(resolve_objection.outcome), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'upheld or accepted (the record is revoked), corrected (the record was corrected and counts again), dismissed or rejected, withdrawn (the record counts again).';
    END IF;
    PERFORM @extschema@.lock_case('objection', resolve_objection.id, 'resolve');
    SELECT * INTO o FROM @extschema@.objection x WHERE x.id = resolve_objection.id;
    IF outcome = 'upheld' THEN
        -- the record was wrong: its decision is revoked, its publicity withdrawn
        UPDATE @extschema@.record x
           SET status = 'revoked',
               details = x.details || jsonb_build_object('revoked', jsonb_build_object(
                             'objection', o.id, 'revoked_on', CURRENT_DATE, 'revoked_by', current_user))
         WHERE x.id = o.record_id;
    ELSE
        -- objections are filed to active records only: back to active
        UPDATE @extschema@.record x SET status = 'active'
         WHERE x.id = o.record_id AND x.status = 'objected';
    END IF;
    UPDATE @extschema@.objection x
       SET status = outcome, resolved_by = current_user, resolved_at = now(), note = resolve_objection.note
     WHERE x.id = o.id;
END
$$;
COMMENT ON FUNCTION @extschema@.resolve_objection(bigint, text, text) IS
    'Resolve an open objection: upheld or accepted (异议成立: the record is revoked, its publicity withdrawn, annotated details.revoked), corrected (the unit corrected the record; it is active again), dismissed or rejected (异议不成立), withdrawn (active again, counted and published as before); stored as upheld, corrected, dismissed or withdrawn. Final (55000 the second time). A unit resolves for its own departments, administrators for all (42501 otherwise)';

-- Open objections past their deadline.
CREATE VIEW @extschema@.v_objection_overdue WITH (security_invoker = true) AS
    SELECT o.id AS objection_id, o.record_id, o.subject_id, o.department, o.filed_on, o.due_on,
           CURRENT_DATE - o.due_on AS days_overdue, o.reason
      FROM @extschema@.objection o
     WHERE o.status = 'open' AND o.due_on < CURRENT_DATE;
COMMENT ON VIEW @extschema@.v_objection_overdue IS
    'Open objections (异议) not decided by their due date; reads with the caller''s rights, so a unit sees its own';
COMMENT ON COLUMN @extschema@.v_objection_overdue.objection_id IS 'Objection id (credit.objection)';
COMMENT ON COLUMN @extschema@.v_objection_overdue.record_id IS 'Record under objection';
COMMENT ON COLUMN @extschema@.v_objection_overdue.subject_id IS 'Subject of the record';
COMMENT ON COLUMN @extschema@.v_objection_overdue.department IS 'Department that must decide';
COMMENT ON COLUMN @extschema@.v_objection_overdue.filed_on IS 'Day the objection was filed';
COMMENT ON COLUMN @extschema@.v_objection_overdue.due_on IS 'Last day to decide';
COMMENT ON COLUMN @extschema@.v_objection_overdue.days_overdue IS 'Calendar days since due_on';
COMMENT ON COLUMN @extschema@.v_objection_overdue.reason IS 'Why the subject objects';

-- Row-level security: a unit reads and writes the requests and objections of
-- its own departments (credit.acting_departments() as a scalar subquery:
-- once per statement).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['repair_request', 'objection'] LOOP
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE pg_catalog.format('CREATE POLICY admin_all ON @extschema@.%I TO credit_admin USING (true) WITH CHECK (true)', t);
        EXECUTE pg_catalog.format('CREATE POLICY analyst_read ON @extschema@.%I FOR SELECT TO credit_analyst USING (true)', t);
        EXECUTE pg_catalog.format('CREATE POLICY department_all ON @extschema@.%I TO credit_department
            USING (department = ANY (@extschema@.acting_departments()))
            WITH CHECK (department = ANY (@extschema@.acting_departments()))', t);
    END LOOP;
END
$$;

-- pg_dump keeps every request, objection and calendar day (the rules: 99-backup.sql).
SELECT pg_catalog.pg_extension_config_dump('@extschema@.repair_request', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.repair_request_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.objection', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.objection_id_seq', '');

-- Privileges: units work through the functions with their own rights.
GRANT SELECT ON @extschema@.repair_rule, @extschema@.calendar_day TO credit_department, credit_analyst;
GRANT SELECT, INSERT, UPDATE ON @extschema@.repair_request, @extschema@.objection TO credit_department;
GRANT SELECT ON @extschema@.repair_request, @extschema@.objection, @extschema@.v_objection_overdue
    TO credit_department, credit_analyst;
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.repair_rule, @extschema@.calendar_day TO credit_admin;
GRANT SELECT, INSERT, UPDATE ON @extschema@.repair_request, @extschema@.objection TO credit_admin;
GRANT SELECT ON @extschema@.v_objection_overdue TO credit_admin;
REVOKE ALL ON FUNCTION
    @extschema@.request_repair(bigint, text, boolean, boolean, text, jsonb),
    @extschema@.amend_repair(bigint, boolean, boolean, text, jsonb),
    @extschema@.decide_repair(bigint, boolean, text),
    @extschema@.file_objection(bigint, text, integer),
    @extschema@.resolve_objection(bigint, text, text),
    @extschema@.lock_governed_record(bigint, text),
    @extschema@.lock_case(text, bigint, text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    @extschema@.request_repair(bigint, text, boolean, boolean, text, jsonb),
    @extschema@.amend_repair(bigint, boolean, boolean, text, jsonb),
    @extschema@.decide_repair(bigint, boolean, text),
    @extschema@.file_objection(bigint, text, integer),
    @extschema@.resolve_objection(bigint, text, text),
    @extschema@.lock_governed_record(bigint, text),
    @extschema@.lock_case(text, bigint, text)
    TO credit_admin, credit_department;
