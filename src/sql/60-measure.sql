-- Joint rewards and punishments (联合奖惩, docs/measures.md): the scenarios in which
-- credit is checked, the measures, matching a subject's grades and lists to
-- measures (C: src/measure.c), the check an approval system asks for, and the
-- feedback of departments that applied a measure.

-- Scenarios in which credit must be checked (the national list of scenarios of credit checks).
CREATE TABLE @extschema@.scenario (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z0-9_]{1,60}$'),
    name        text NOT NULL,
    description text
);
COMMENT ON TABLE @extschema@.scenario IS
    'Scenarios (应用场景) in which an approval system checks credit before acting: a measure names the scenario it acts in';
INSERT INTO @extschema@.scenario (code, name) VALUES
    ('routine_supervision', 'Routine supervision (日常监管)'),
    ('administrative_licensing', 'Administrative licensing (行政许可)'),
    ('qualification_rating', 'Qualification rating (资质等级评定)'),
    ('government_procurement', 'Government procurement (政府采购)'),
    ('government_bidding', 'Bidding on government-invested projects (政府投资项目招标投标)'),
    ('fiscal_funding', 'Fiscal fund support (财政资金支持)'),
    ('public_resource_trading', 'Public-resource trading (公共资源交易)'),
    ('import_export', 'Import and export (进出口)'),
    ('periodic_inspection', 'Periodic inspection (定期检验)'),
    ('civil_service_recruitment', 'Civil-service recruitment (公务员录用)'),
    ('awards_honours', 'Awards and honours (评优评先)');

-- The measures.
CREATE TABLE @extschema@.measure (
    code          text PRIMARY KEY CHECK (code ~ '^[a-z0-9_]{1,60}$'),
    name          text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('incentive', 'punishment')),
    effect        text NOT NULL,
    scenario      text REFERENCES @extschema@.scenario (code) ON UPDATE CASCADE,
    subject_kinds @extschema@.subject_kind[] NOT NULL
                  DEFAULT '{government,enterprise,individual,social_org,institution}'
                  CHECK (pg_catalog.cardinality(subject_kinds) > 0),
    model         text REFERENCES @extschema@.model (code) ON UPDATE CASCADE,
    best_grade    text,
    worst_grade   text,
    list_codes    text[] NOT NULL DEFAULT '{}',
    product       text,
    legal_basis   text,
    authority     text,
    description   text,
    CHECK (effect IN ('priority', 'facilitation', 'restriction', 'bar')),
    CONSTRAINT measure_effect_kind CHECK ((kind = 'incentive') = (effect IN ('priority', 'facilitation'))),
    CONSTRAINT measure_grade_needs_model CHECK (model IS NOT NULL OR (best_grade IS NULL AND worst_grade IS NULL)),
    CONSTRAINT measure_has_condition CHECK (model IS NOT NULL OR pg_catalog.cardinality(list_codes) > 0),
    CONSTRAINT measure_product_incentive CHECK (product IS NULL OR kind = 'incentive'),
    FOREIGN KEY (model, best_grade) REFERENCES @extschema@.model_grade (model, grade) ON UPDATE CASCADE,
    FOREIGN KEY (model, worst_grade) REFERENCES @extschema@.model_grade (model, grade) ON UPDATE CASCADE
);
COMMENT ON TABLE @extschema@.measure IS
    'Joint reward and punishment measures (联合奖惩措施): who they apply to (subject kinds, a grade range under a model, membership of lists), in which scenario, how strongly (effect), with the product, legal basis and implementing authority';
COMMENT ON COLUMN @extschema@.measure.kind IS 'incentive (守信激励) or punishment (失信惩戒)';
COMMENT ON COLUMN @extschema@.measure.effect IS
    'How strongly the measure acts: priority (优先办理: the application goes ahead of others) and facilitation (便利: waivers, simplified procedures, products) for incentives; restriction (限制: stricter review, more inspections) and bar (禁止: the subject may not take part) for punishments. credit.check decides from it';
COMMENT ON COLUMN @extschema@.measure.scenario IS 'Scenario of credit.scenario the measure acts in; NULL: every scenario';
COMMENT ON COLUMN @extschema@.measure.subject_kinds IS 'Kinds of subject the measure applies to';
COMMENT ON COLUMN @extschema@.measure.model IS 'Model whose current grade (credit.subject_grade) must lie between best_grade and worst_grade; NULL: no grade condition';
COMMENT ON COLUMN @extschema@.measure.best_grade IS 'Best grade of the range (NULL: the model''s best grade)';
COMMENT ON COLUMN @extschema@.measure.worst_grade IS 'Worst grade of the range (NULL: the model''s worst grade)';
COMMENT ON COLUMN @extschema@.measure.list_codes IS 'Lists (credit.list codes): the subject must be on at least one of them (an active entry, or an active credit record of the list''s catalogue item); empty: no list condition. With a model too, both conditions must hold';
COMMENT ON COLUMN @extschema@.measure.product IS 'Credit-easy product (信易+ product, e.g. 信易贷) an incentive offers; NULL: not a product';
COMMENT ON COLUMN @extschema@.measure.legal_basis IS 'Legal basis (法律依据) of the measure; NULL when not recorded';
COMMENT ON COLUMN @extschema@.measure.authority IS 'Implementing authority (实施部门)';

-- Checks the foreign keys cannot express: a grade range in order, lists that exist.
CREATE FUNCTION @extschema@.measure_check() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    best_rank  integer;
    worst_rank integer;
    missing    text;
BEGIN
    -- a restore loads measures as dumped, possibly before the lists they name
    IF @extschema@.restoring() THEN
        RETURN NEW;
    END IF;
    IF NEW.best_grade IS NOT NULL AND NEW.worst_grade IS NOT NULL THEN
        SELECT g.rank INTO best_rank FROM @extschema@.model_grade g
         WHERE g.model = NEW.model AND g.grade = NEW.best_grade;
        SELECT g.rank INTO worst_rank FROM @extschema@.model_grade g
         WHERE g.model = NEW.model AND g.grade = NEW.worst_grade;
        IF best_rank > worst_rank THEN
            RAISE EXCEPTION 'grade range of measure "%" is reversed: % is worse than % under model "%"',
                NEW.code, NEW.best_grade, NEW.worst_grade, NEW.model
                USING ERRCODE = 'check_violation',
                      HINT = 'best_grade names the better end of the range (lower rank in credit.model_grade).';
        END IF;
    END IF;
    SELECT string_agg(c, ', ' ORDER BY c) INTO missing
      FROM unnest(NEW.list_codes) c
     WHERE NOT EXISTS (SELECT 1 FROM @extschema@.list l WHERE l.code = c);
    IF missing IS NOT NULL OR array_position(NEW.list_codes, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'measure "%" names lists that do not exist: %', NEW.code, coalesce(missing, 'NULL')
            USING ERRCODE = 'foreign_key_violation', HINT = 'Lists are rows of credit.list.';
    END IF;
    IF NEW.subject_kinds IS NOT NULL AND array_position(NEW.subject_kinds, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'measure "%": subject_kinds contains NULL', NEW.code
            USING ERRCODE = 'not_null_violation';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.measure_check() IS
    'Trigger of credit.measure: the grade range is in order (best_grade not worse than worst_grade, 23514) and every list of list_codes exists (23503); skipped while restoring a dump';
CREATE TRIGGER measure_check BEFORE INSERT OR UPDATE ON @extschema@.measure
    FOR EACH ROW EXECUTE FUNCTION @extschema@.measure_check();

-- A list named by a measure cannot disappear under it; a renamed list is
-- renamed in the measures (after the update, when the new code exists).
CREATE FUNCTION @extschema@.measure_list_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    used text;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.code IS DISTINCT FROM OLD.code THEN
            UPDATE @extschema@.measure m SET list_codes = array_replace(m.list_codes, OLD.code, NEW.code)
             WHERE OLD.code = ANY (m.list_codes);
        END IF;
        RETURN NULL;
    END IF;
    SELECT string_agg(m.code, ', ' ORDER BY m.code) INTO used
      FROM @extschema@.measure m WHERE OLD.code = ANY (m.list_codes);
    IF used IS NOT NULL THEN
        RAISE EXCEPTION 'list "%" is named by measures: %', OLD.code, used
            USING ERRCODE = 'foreign_key_violation', HINT = 'Remove the list from those measures first.';
    END IF;
    RETURN OLD;
END
$$;
COMMENT ON FUNCTION @extschema@.measure_list_guard() IS
    'Trigger of credit.list: a list named by measures cannot be deleted (23503); a renamed list is renamed in their list_codes';
CREATE TRIGGER measure_list_guard BEFORE DELETE ON @extschema@.list
    FOR EACH ROW EXECUTE FUNCTION @extschema@.measure_list_guard();
CREATE TRIGGER measure_list_rename AFTER UPDATE OF code ON @extschema@.list
    FOR EACH ROW EXECUTE FUNCTION @extschema@.measure_list_guard();

-- A list given a catalogue item puts on it every subject with an active
-- record of the item: their listings are read again (credit.subject_grade.listed).
CREATE FUNCTION @extschema@.list_item_flag() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF @extschema@.restoring() OR NEW.item_code IS NULL
       OR (TG_OP = 'UPDATE' AND NEW.item_code IS NOT DISTINCT FROM OLD.item_code) THEN
        RETURN NULL;
    END IF;
    -- flagged at commit with the fold's grade locks (credit.queue_listed); every
    -- such subject, whatever its flags read now (a flag cleared by a
    -- recomputation committed after this snapshot is set again)
    PERFORM @extschema@.queue_listed(ARRAY(
        SELECT DISTINCT r.subject_id FROM @extschema@.record r
         WHERE r.item_code = NEW.item_code AND r.status = 'active'));
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.list_item_flag() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.list_item_flag() IS
    'Trigger of credit.list: a list given a catalogue item (inserted with one, or its item_code changed) flags every subject with an active record of the item (credit.subject_grade.listed)';
CREATE TRIGGER list_item_flag AFTER INSERT OR UPDATE OF item_code ON @extschema@.list
    FOR EACH ROW EXECUTE FUNCTION @extschema@.list_item_flag();

-- The full recomputation of the listing flags: true exactly for the subjects
-- with an active list entry or an active record of a list's item (of any
-- date: a record dated tomorrow lists the subject tomorrow).  The writers of
-- entries, records and lists are held off while it runs (SHARE locks): a
-- flag it clears cannot miss a listing committed meanwhile.  Only under READ
-- COMMITTED, where the recomputation reads what is committed once the locks
-- are held: a transaction snapshot (REPEATABLE READ, SERIALIZABLE) may be
-- older than a listing committed while the locks were awaited, and the flag
-- of that listing would be cleared.
CREATE FUNCTION @extschema@.refresh_listed() RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n bigint;
BEGIN
    IF pg_catalog.current_setting('transaction_isolation') OPERATOR(pg_catalog.<>) 'read committed' THEN
        RAISE EXCEPTION 'credit.refresh_listed() runs only under READ COMMITTED'
            USING ERRCODE = 'invalid_transaction_state',
                  DETAIL = 'A transaction snapshot may be older than a listing committed while the recomputation waits for its locks.',
                  HINT = 'Call it in a READ COMMITTED transaction (the default).';
    END IF;
    LOCK TABLE @extschema@.list, @extschema@.list_entry, @extschema@.record IN SHARE MODE;
    UPDATE @extschema@.subject_grade g SET listed = NOT g.listed
     WHERE g.listed IS DISTINCT FROM (g.subject_id IN (
               SELECT e.subject_id FROM @extschema@.list_entry e
                WHERE e.subject_id IS NOT NULL
                  AND @extschema@.list_entry_active(e.listed_on, e.expires_on, e.removed_on)
               UNION ALL
               SELECT r.subject_id FROM @extschema@.record r
                WHERE r.status = 'active'
                  AND r.item_code IN (SELECT l.item_code FROM @extschema@.list l WHERE l.item_code IS NOT NULL)));
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.refresh_listed() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.refresh_listed() TO credit_admin;
COMMENT ON FUNCTION @extschema@.refresh_listed() IS
    'Recomputes credit.subject_grade.listed for every subject (true: an active list entry or an active record of a list''s catalogue item), holding off writers of entries, records and lists meanwhile (READ COMMITTED only: 25000 otherwise); returns the number of grade rows changed. Run after a load behind the triggers and now and then (e.g. nightly), so that subjects no longer listed, and new subjects, are checked without reading listings';

-- Schedule the nightly recomputation of the listing flags with pg_cron
-- (after the expiry of list entries at 00:10, so subjects whose entries
-- expired that night lose their flags the same night).
CREATE FUNCTION @extschema@.schedule_refresh_listed(schedule text DEFAULT '20 0 * * *') RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.require_pg_cron('credit.schedule_refresh_listed runs credit.refresh_listed as a pg_cron job.');
    RETURN @extschema@.schedule_job('credit_refresh_listed', schedule, 'SELECT @extschema@.refresh_listed()');
END
$$;
REVOKE ALL ON FUNCTION @extschema@.schedule_refresh_listed(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.schedule_refresh_listed(text) TO credit_admin;
COMMENT ON FUNCTION @extschema@.schedule_refresh_listed(text) IS
    'Run credit.refresh_listed() on a cron schedule (pg_cron job credit_refresh_listed, daily at 00:20 UTC by default, after the expiry of list entries; replaced if it exists); returns the job id';

-- Every backend's measure cache is rebuilt after a change.
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.measure
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_changed();
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.scenario
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_changed();

-- Shipped measures of a county platform like Jiangyin's (A+ individuals and A enterprises get priority; credit-easy 信易贷 products);
-- no legal basis is recorded for them (legal_basis NULL: fill in the local one).
INSERT INTO @extschema@.measure (code, name, kind, effect, scenario, subject_kinds, model, best_grade, worst_grade,
                                 list_codes, product, authority) VALUES
    -- enterprises graded A, individuals graded A+ (守信激励)
    ('ent_a_priority', 'Priority handling (优先办理)', 'incentive', 'priority', NULL,
     '{enterprise}', 'comprehensive_enterprise', 'A', 'A', '{}', NULL, 'Competent departments'),
    ('ent_a_lower_threshold', 'Lower thresholds (降低门槛)', 'incentive', 'facilitation', NULL,
     '{enterprise}', 'comprehensive_enterprise', 'A', 'A', '{}', NULL, 'Competent departments'),
    ('ent_a_simplified', 'Simplified procedures (简化程序)', 'incentive', 'facilitation', NULL,
     '{enterprise}', 'comprehensive_enterprise', 'A', 'A', '{}', NULL, 'Competent departments'),
    ('ent_a_pending_documents', 'Approval with documents pending (容缺审批)', 'incentive', 'facilitation', 'administrative_licensing',
     '{enterprise}', 'comprehensive_enterprise', 'A', 'A', '{}', NULL, 'Competent departments'),
    ('ent_a_deposit_waiver', 'Deposit waiver (免交保证金)', 'incentive', 'facilitation', NULL,
     '{enterprise}', 'comprehensive_enterprise', 'A', 'A', '{}', NULL, 'Competent departments'),
    ('ind_aplus_priority', 'Priority handling (优先办理)', 'incentive', 'priority', NULL,
     '{individual}', 'comprehensive_individual', 'A+', 'A+', '{}', NULL, 'Competent departments'),
    ('ind_aplus_lower_threshold', 'Lower thresholds (降低门槛)', 'incentive', 'facilitation', NULL,
     '{individual}', 'comprehensive_individual', 'A+', 'A+', '{}', NULL, 'Competent departments'),
    ('ind_aplus_simplified', 'Simplified procedures (简化程序)', 'incentive', 'facilitation', NULL,
     '{individual}', 'comprehensive_individual', 'A+', 'A+', '{}', NULL, 'Competent departments'),
    ('ind_aplus_pending_documents', 'Approval with documents pending (容缺审批)', 'incentive', 'facilitation', 'administrative_licensing',
     '{individual}', 'comprehensive_individual', 'A+', 'A+', '{}', NULL, 'Competent departments'),
    ('ind_aplus_deposit_waiver', 'Deposit waiver (免交保证金)', 'incentive', 'facilitation', NULL,
     '{individual}', 'comprehensive_individual', 'A+', 'A+', '{}', NULL, 'Competent departments'),
    -- credit-easy products (信易+)
    ('ent_a_credit_loan', 'Credit loans (信易贷)', 'incentive', 'facilitation', NULL,
     '{enterprise}', 'comprehensive_enterprise', 'A', 'A', '{}', '信易贷', 'Financial institutions'),
    ('ind_aplus_credit_loan', 'Credit loans (信易贷)', 'incentive', 'facilitation', NULL,
     '{individual}', 'comprehensive_individual', 'A+', 'A+', '{}', '信易贷', 'Financial institutions'),
    ('ent_a_credit_rent', 'Credit-easy renting (信易租)', 'incentive', 'facilitation', NULL,
     '{enterprise}', 'comprehensive_enterprise', 'A', 'A', '{}', '信易租', NULL),
    ('ind_aplus_credit_travel', 'Credit-easy travel (信易行)', 'incentive', 'facilitation', NULL,
     '{individual}', 'comprehensive_individual', 'A+', 'A+', '{}', '信易行', NULL),
    ('ind_aplus_credit_gas', 'Credit-easy gas supply (信易用气)', 'incentive', 'facilitation', NULL,
     '{individual}', 'comprehensive_individual', 'A+', 'A+', '{}', '信易用气', NULL),
    -- subjects on the black lists (失信联合惩戒)
    ('black_procurement_bar', 'Barred from government procurement (限制参与政府采购)', 'punishment', 'bar', 'government_procurement',
     '{enterprise,social_org,institution,individual}', NULL, NULL, NULL, '{serious_dishonesty,dishonest_debtor}', NULL, 'Competent departments'),
    ('black_bidding_bar', 'Barred from bidding on government-invested projects (限制参与政府投资项目招标投标)', 'punishment', 'bar', 'government_bidding',
     '{enterprise,social_org,institution,individual}', NULL, NULL, NULL, '{serious_dishonesty,dishonest_debtor}', NULL, 'Competent departments'),
    ('black_fiscal_bar', 'No fiscal fund support (限制申请财政资金支持)', 'punishment', 'bar', 'fiscal_funding',
     '{enterprise,social_org,institution,individual}', NULL, NULL, NULL, '{serious_dishonesty,dishonest_debtor}', NULL, 'Competent departments'),
    ('black_public_trading_bar', 'Barred from public-resource trading (限制参与公共资源交易)', 'punishment', 'bar', 'public_resource_trading',
     '{enterprise,social_org,institution,individual}', NULL, NULL, NULL, '{serious_dishonesty}', NULL, 'Competent departments'),
    ('black_honours_bar', 'No awards or honours (取消评优评先资格)', 'punishment', 'bar', 'awards_honours',
     '{enterprise,social_org,institution,individual}', NULL, NULL, NULL, '{serious_dishonesty,dishonest_debtor}', NULL, 'Competent departments'),
    ('black_civil_service_bar', 'Not recruited as a civil servant (限制录用为公务员)', 'punishment', 'bar', 'civil_service_recruitment',
     '{individual}', NULL, NULL, NULL, '{serious_dishonesty,dishonest_debtor}', NULL, 'Competent departments'),
    ('black_licensing_strict', 'Strict review, no approval with documents pending (从严审核)', 'punishment', 'restriction', 'administrative_licensing',
     '{enterprise,social_org,institution,individual}', NULL, NULL, NULL, '{serious_dishonesty,dishonest_debtor}', NULL, 'Competent departments'),
    ('black_qualification_strict', 'Strict qualification review (从严资质审核)', 'punishment', 'restriction', 'qualification_rating',
     '{enterprise,social_org,institution}', NULL, NULL, NULL, '{serious_dishonesty,dishonest_debtor}', NULL, 'Competent departments'),
    ('black_key_supervision', 'Key supervision, more frequent inspections (列为重点监管对象)', 'punishment', 'restriction', 'routine_supervision',
     '{enterprise,social_org,institution,individual}', NULL, NULL, NULL, '{serious_dishonesty,dishonest_debtor}', NULL, 'Competent departments'),
    ('black_import_export_strict', 'Stricter checks of imports and exports (加强进出口查验)', 'punishment', 'restriction', 'import_export',
     '{enterprise}', NULL, NULL, NULL, '{serious_dishonesty}', NULL, 'Competent departments'),
    ('black_inspection_strict', 'Stricter periodic inspection (从严定期检验)', 'punishment', 'restriction', 'periodic_inspection',
     '{enterprise,social_org,institution}', NULL, NULL, NULL, '{serious_dishonesty}', NULL, 'Competent departments'),
    -- the worst grades
    ('ent_d_key_supervision', 'Key supervision of D-graded organisations (重点监管)', 'punishment', 'restriction', 'routine_supervision',
     '{enterprise,social_org,institution}', 'comprehensive_enterprise', 'D', 'D', '{}', NULL, 'Competent departments'),
    ('ent_d_licensing_strict', 'Strict review of D-graded organisations (从严审核)', 'punishment', 'restriction', 'administrative_licensing',
     '{enterprise,social_org,institution}', 'comprehensive_enterprise', 'D', 'D', '{}', NULL, 'Competent departments'),
    ('ent_cd_fiscal_restricted', 'Restricted fiscal fund support (限制财政资金支持)', 'punishment', 'restriction', 'fiscal_funding',
     '{enterprise,social_org,institution}', 'comprehensive_enterprise', 'C', 'D', '{}', NULL, 'Competent departments'),
    ('ent_d_honours_bar', 'No awards or honours for D-graded organisations (取消评优评先资格)', 'punishment', 'bar', 'awards_honours',
     '{enterprise,social_org,institution}', 'comprehensive_enterprise', 'D', 'D', '{}', NULL, 'Competent departments'),
    ('ind_d_key_supervision', 'Key supervision of D-graded individuals (重点监管)', 'punishment', 'restriction', 'routine_supervision',
     '{individual}', 'comprehensive_individual', 'D', 'D', '{}', NULL, 'Competent departments'),
    ('ind_d_honours_bar', 'No awards or honours for D-graded individuals (取消评优评先资格)', 'punishment', 'bar', 'awards_honours',
     '{individual}', 'comprehensive_individual', 'D', 'D', '{}', NULL, 'Competent departments');

-- Matching (C, per-backend cache of the measures).
CREATE FUNCTION @extschema@.measures_for(subject_id bigint, scenario text DEFAULT NULL)
    RETURNS TABLE (measure_code text, name text, kind text, reason text)
    AS 'MODULE_PATHNAME', 'credit_measures_for'
    LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 5;
COMMENT ON FUNCTION @extschema@.measures_for(bigint, text) IS
    'Measures (联合奖惩措施) that apply to a subject, in a scenario (NULL: every scenario; a measure without a scenario applies in all): its kind is one of the measure''s subject_kinds, its current grade under the measure''s model (credit.subject_grade) lies between best_grade and worst_grade, and it is on one of the measure''s lists (an active entry, or an active credit record of the list''s catalogue item); reason says which grade and list. Incentives first, then punishments, by code. Every call for an individual is logged in credit.query_log';

-- What an approval system asks before acting (C: a query for the subject,
-- one for its grades, one for its lists when a flag says it may be on one,
-- matched against the cached measures).  It
-- reads the subject and its grades with the owner's rights (a unit learns a
-- person's masked ID number through it only, and every check of an
-- individual is logged, by the audit worker, beyond the caller's rollback,
-- before the answer is returned) and the lists with the caller's, as
-- credit.measures_for does: nothing a check counts is derived from rows the
-- caller may not read.
CREATE FUNCTION @extschema@.check(subject_id bigint, scenario text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'credit_check'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION @extschema@.check(bigint, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.check(bigint, text) IS
    'Credit check (信用核查) of a subject in a scenario, for approval systems: the subject (personal ID number masked), its current grades, active lists, the incentives and punishments of credit.measures_for, and a decision: barred (a matched punishment bars), restricted (a matched punishment restricts), priority (no punishment, a matched incentive gives priority) or normal; decided_by names the measures that decided. The lists are those the caller may read (as credit.measures_for reads them): a unit''s check counts no other unit''s non-public record. Every check of an individual is logged in credit.query_log';

-- Feedback: which unit applied which measure to whom, with what outcome (反馈).
CREATE TABLE @extschema@.measure_application (
    id           bigint GENERATED ALWAYS AS IDENTITY,
    subject_id   bigint NOT NULL REFERENCES @extschema@.subject (id),
    measure_code text NOT NULL REFERENCES @extschema@.measure (code) ON UPDATE CASCADE,
    department   text NOT NULL REFERENCES @extschema@.department (code) ON UPDATE CASCADE,
    outcome      text NOT NULL CHECK (outcome IN ('applied', 'not_applied', 'not_applicable')),
    note         text,
    matched      boolean NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    recorded_by  name NOT NULL DEFAULT session_user,
    PRIMARY KEY (subject_id, id)
);
COMMENT ON TABLE @extschema@.measure_application IS
    'Feedback of the units that acted on a measure (奖惩反馈): subject, measure, department, outcome, note; matched says whether credit.measures_for named the measure for the subject when the feedback was recorded';
COMMENT ON COLUMN @extschema@.measure_application.outcome IS
    'applied (已实施), not_applied (未实施: the unit decided otherwise; say why in note) or not_applicable (不适用: e.g. the subject was not in the scenario)';
COMMENT ON COLUMN @extschema@.measure_application.matched IS
    'Whether the measure applied to the subject (credit.measures_for, any scenario) when the feedback was recorded';
CREATE INDEX measure_application_id_idx ON @extschema@.measure_application (id);
CREATE INDEX measure_application_measure_idx ON @extschema@.measure_application (measure_code, recorded_at);
CREATE INDEX measure_application_subject_idx ON @extschema@.measure_application (subject_id);

-- Row-level security: a unit records and reads its own feedback
-- (credit.acting_departments() as a scalar subquery: once per statement, not
-- once per row).
ALTER TABLE @extschema@.measure_application ENABLE ROW LEVEL SECURITY;
CREATE POLICY admin_all ON @extschema@.measure_application TO credit_admin USING (true) WITH CHECK (true);
CREATE POLICY analyst_read ON @extschema@.measure_application FOR SELECT TO credit_analyst USING (true);
CREATE POLICY department_read ON @extschema@.measure_application FOR SELECT TO credit_department
    USING (department = ANY (@extschema@.acting_departments()));
CREATE POLICY department_insert ON @extschema@.measure_application FOR INSERT TO credit_department
    WITH CHECK (department = ANY (@extschema@.acting_departments()));

CREATE FUNCTION @extschema@.record_application(subject_id bigint, measure_code text, department text,
                                               outcome text, note text DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    id bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM @extschema@.subject s WHERE s.id = record_application.subject_id) THEN
        PERFORM @extschema@.subject_missing(record_application.subject_id);
    END IF;
    INSERT INTO @extschema@.measure_application (subject_id, measure_code, department, outcome, note, matched)
    VALUES (record_application.subject_id, record_application.measure_code, record_application.department,
            record_application.outcome, record_application.note,
            EXISTS (SELECT 1 FROM @extschema@.measures_for(record_application.subject_id) f
                     WHERE f.measure_code = record_application.measure_code))
    RETURNING measure_application.id INTO id;
    RETURN id;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.record_application(bigint, text, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.record_application(bigint, text, text, text, text) IS
    'Records that a unit acted on a measure for a subject (奖惩反馈) and returns the row id of credit.measure_application; a unit records for its own departments only (row-level security); outcome applied, not_applied or not_applicable';

-- BI: what became of each measure.
CREATE VIEW @extschema@.v_measure_feedback WITH (security_invoker = true) AS
    SELECT m.code AS measure_code, m.name, m.kind, m.scenario,
           count(a.id) AS applications,
           count(a.id) FILTER (WHERE a.outcome = 'applied') AS applied,
           count(a.id) FILTER (WHERE a.outcome = 'not_applied') AS not_applied,
           count(a.id) FILTER (WHERE a.outcome = 'not_applicable') AS not_applicable,
           count(a.id) FILTER (WHERE NOT a.matched) AS unmatched,
           count(DISTINCT a.subject_id) AS subjects,
           count(DISTINCT a.department) AS departments,
           max(a.recorded_at) AS last_application
      FROM @extschema@.measure m
      LEFT JOIN @extschema@.measure_application a ON a.measure_code = m.code
     GROUP BY m.code, m.name, m.kind, m.scenario;
COMMENT ON VIEW @extschema@.v_measure_feedback IS
    'BI view of the feedback loop (奖惩反馈统计): per measure, how many applications were recorded and with what outcome; reads with the caller''s rights, so a unit counts its own feedback only';
COMMENT ON COLUMN @extschema@.v_measure_feedback.measure_code IS 'Measure code';
COMMENT ON COLUMN @extschema@.v_measure_feedback.name IS 'Measure name';
COMMENT ON COLUMN @extschema@.v_measure_feedback.kind IS 'incentive or punishment';
COMMENT ON COLUMN @extschema@.v_measure_feedback.scenario IS 'Scenario of the measure (NULL: every scenario)';
COMMENT ON COLUMN @extschema@.v_measure_feedback.applications IS 'Feedback rows recorded for the measure';
COMMENT ON COLUMN @extschema@.v_measure_feedback.applied IS 'Feedback rows with outcome applied (已实施)';
COMMENT ON COLUMN @extschema@.v_measure_feedback.not_applied IS 'Feedback rows with outcome not_applied (未实施)';
COMMENT ON COLUMN @extschema@.v_measure_feedback.not_applicable IS 'Feedback rows with outcome not_applicable (不适用)';
COMMENT ON COLUMN @extschema@.v_measure_feedback.unmatched IS 'Feedback rows for subjects the measure did not apply to when recorded';
COMMENT ON COLUMN @extschema@.v_measure_feedback.subjects IS 'Distinct subjects with feedback';
COMMENT ON COLUMN @extschema@.v_measure_feedback.departments IS 'Distinct units that gave feedback';
COMMENT ON COLUMN @extschema@.v_measure_feedback.last_application IS 'When the latest feedback was recorded (NULL: none)';

-- pg_dump keeps every application (measures and scenarios added or changed: registered by 99-backup.sql).
SELECT pg_catalog.pg_extension_config_dump('@extschema@.measure_application', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.measure_application_id_seq', '');

-- Privileges: measures and scenarios are public policy; matching, checks and
-- feedback are for the platform's roles; the public sees no subject.
GRANT SELECT ON @extschema@.scenario, @extschema@.measure
    TO credit_department, credit_analyst, credit_public;
GRANT SELECT, INSERT ON @extschema@.measure_application TO credit_department;
GRANT SELECT ON @extschema@.measure_application TO credit_analyst;
GRANT SELECT ON @extschema@.v_measure_feedback TO credit_department, credit_analyst;
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.scenario, @extschema@.measure TO credit_admin;
GRANT SELECT, INSERT ON @extschema@.measure_application TO credit_admin;
GRANT SELECT ON @extschema@.v_measure_feedback TO credit_admin;
REVOKE ALL ON FUNCTION @extschema@.measures_for(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.measures_for(bigint, text), @extschema@.check(bigint, text)
    TO credit_admin, credit_department, credit_analyst;
GRANT EXECUTE ON FUNCTION @extschema@.record_application(bigint, text, text, text, text)
    TO credit_admin, credit_department;
