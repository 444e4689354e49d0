-- Credit repair (信用修复) and objections (异议处理): docs/repair.md.
-- Dates are relative to today; ids and dates in messages are replaced by
-- names.  Grades are folded at each commit (the default), so the statements
-- run outside a transaction; everything is removed at the end.

-- try(sql, masks): runs sql as the current user; 'ok' or the SQLSTATE, the
-- message and the detail, each key of masks (longest first) replaced by its
-- value (keys such as 'record 1234' and '2026-12-08' name ids and dates).
CREATE FUNCTION pg_temp.try(q text, masks jsonb DEFAULT '{}') RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    msg text;
    det text;
    k   text;
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN others THEN
    GET STACKED DIAGNOSTICS det = PG_EXCEPTION_DETAIL;
    msg := SQLSTATE || ': ' || SQLERRM || coalesce(nullif(' [' || det || ']', ' []'), '');
    FOR k IN SELECT key FROM jsonb_object_keys(masks) key ORDER BY length(key) DESC, key LOOP
        msg := replace(msg, k, masks ->> k);
    END LOOP;
    RETURN msg;
END
$$;
-- ymd(d): a date as YYYY-MM-DD, as the messages print it.
CREATE FUNCTION pg_temp.ymd(d date) RETURNS text LANGUAGE sql AS $$ SELECT to_char(d, 'YYYY-MM-DD') $$;

-- Minimum publicity periods (最短公示期).  The rule in force is chosen by the
-- decision date: penalties decided before 2026-04-01 (when the 2025 credit
-- repair measures took effect) keep the NDRC 2019 minimum.
SELECT severity, decided_before, min_publicity, name FROM credit.repair_rule ORDER BY severity;
SELECT i.item, d.decided_on, m.min_publicity, m.rule, m.repair_from
  FROM (VALUES ('penalty_general'), ('penalty_serious'), ('penalty_minor')) i (item),
       (VALUES (date '2026-03-31'), (date '2026-04-01')) d (decided_on),
       credit.minimum_publicity(i.item, d.decided_on) m
 ORDER BY 1, 2;

-- Two units, each with its role and a clerk who logs in; an administrator; an analyst.
CREATE ROLE regress_credit_rp_market NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_credit_rp_tax NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_credit_rp_marketclerk LOGIN IN ROLE regress_credit_rp_market;
CREATE ROLE regress_credit_rp_taxclerk LOGIN IN ROLE regress_credit_rp_tax;
CREATE ROLE regress_credit_rp_admin LOGIN IN ROLE credit_admin;
CREATE ROLE regress_credit_rp_analyst LOGIN IN ROLE credit_analyst;
CREATE ROLE regress_credit_rp_web LOGIN IN ROLE credit_public;
INSERT INTO credit.department (code, name, role) VALUES
    ('rp_market', 'Repair test: market supervision', 'regress_credit_rp_market'),
    ('rp_tax', 'Repair test: taxation', 'regress_credit_rp_tax');
INSERT INTO credit.subject (kind, name) VALUES ('enterprise', 'Repair test: Huaxi Machinery') RETURNING id AS firm \gset
INSERT INTO credit.subject (kind, name) VALUES ('enterprise', 'Repair test: Chengjiang Chemicals') RETURNING id AS graded \gset
INSERT INTO credit.subject (kind, name) VALUES ('enterprise', 'Repair test: Xiagang Textiles') RETURNING id AS objector \gset
-- an earlier rule of the test's own: serious penalties decided before 240 days ago, 6 months
-- (on the day it falls on the shipped 2026-04-01 the shipped row, of the same period, serves)
INSERT INTO credit.repair_rule VALUES ('serious', current_date - 240, interval '6 months', 'Repair test: an earlier rule')
    ON CONFLICT DO NOTHING;

INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on, details) VALUES
    (:firm, 'penalty_general', 'rp_market', 'RP-G100', current_date - 100, '{}'),
    (:firm, 'penalty_general', 'rp_market', 'RP-G80',  current_date - 80,  '{}'),
    (:firm, 'penalty_serious', 'rp_market', 'RP-S200', current_date - 200, '{}'),
    (:firm, 'penalty_serious', 'rp_market', 'RP-S250', current_date - 250, '{}'),
    (:firm, 'penalty_minor',   'rp_market', 'RP-M10',  current_date - 10,  '{}'),
    (:firm, 'penalty_general', 'rp_market', 'RP-W10',  current_date - 10,  '{"penalty_kind": "warning"}'),
    (:firm, 'penalty_general', 'rp_market', 'RP-G400', current_date - 400, '{}'),
    (:firm, 'license',         'rp_market', 'RP-L10',  current_date - 10,  '{}'),
    (:firm, 'contract_breach', 'rp_market', 'RP-C10',  current_date - 10,  '{}'),
    (:firm, 'penalty_general', 'rp_tax',    'RP-T100', current_date - 100, '{}'),
    (:graded, 'penalty_serious', 'rp_market', 'RP-GRADE', current_date - 400, '{}'),
    (:objector, 'penalty_serious', 'rp_market', 'RP-OBJ', current_date - 30, '{}'),
    (:objector, 'penalty_general', 'rp_market', 'RP-OBJ2', current_date - 120, '{}');
SELECT id AS g100 FROM credit.record WHERE document_no = 'RP-G100' \gset
SELECT id AS g80 FROM credit.record WHERE document_no = 'RP-G80' \gset
SELECT id AS s200 FROM credit.record WHERE document_no = 'RP-S200' \gset
SELECT id AS s250 FROM credit.record WHERE document_no = 'RP-S250' \gset
SELECT id AS m10 FROM credit.record WHERE document_no = 'RP-M10' \gset
SELECT id AS w10 FROM credit.record WHERE document_no = 'RP-W10' \gset
SELECT id AS g400 FROM credit.record WHERE document_no = 'RP-G400' \gset
SELECT id AS l10 FROM credit.record WHERE document_no = 'RP-L10' \gset
SELECT id AS c10 FROM credit.record WHERE document_no = 'RP-C10' \gset
SELECT id AS t100 FROM credit.record WHERE document_no = 'RP-T100' \gset
SELECT id AS grec FROM credit.record WHERE document_no = 'RP-GRADE' \gset
SELECT id AS orec FROM credit.record WHERE document_no = 'RP-OBJ' \gset
SELECT id AS orec2 FROM credit.record WHERE document_no = 'RP-OBJ2' \gset
-- names for the ids and dates the messages print
SELECT jsonb_object_agg(k, v) AS masks FROM (VALUES
    ('record ' || :g100, 'record <G100>'), ('record ' || :g80, 'record <G80>'), ('record ' || :s200, 'record <S200>'),
    ('record ' || :s250, 'record <S250>'), ('record ' || :m10, 'record <M10>'), ('record ' || :w10, 'record <W10>'),
    ('record ' || :g400, 'record <G400>'), ('record ' || :l10, 'record <L10>'), ('record ' || :c10, 'record <C10>'),
    ('record ' || :t100, 'record <T100>'), ('record ' || :grec, 'record <GRADE>'), ('record ' || :orec, 'record <OBJ>'),
    ('record ' || :orec2, 'record <OBJ2>'),
    (pg_temp.ymd(current_date - 80), '<today - 80>'),
    (pg_temp.ymd((current_date - 80 + interval '3 months')::date), '<today - 80 + 3 months>'),
    (pg_temp.ymd(current_date - 200), '<today - 200>'),
    (pg_temp.ymd((current_date - 200 + interval '1 year')::date), '<today - 200 + 1 year>'),
    (pg_temp.ymd((current_date - 400 + interval '1 year')::date), '<today - 400 + 1 year>'),
    (pg_temp.ymd(current_date), '<today>')) m (k, v) \gset

-- Refused before the minimum period, saying the earliest date (55000):
-- a general penalty after 3 months, a serious one after 1 year.
SELECT pg_temp.try(format('SELECT credit.request_repair(%s, %L)', :g80, 'fine paid'), :'masks') AS general_80_days;
SELECT pg_temp.try(format('SELECT credit.request_repair(%s, %L)', :s200, 'fine paid'), :'masks') AS serious_200_days;
-- Records that cannot be repaired (55000): not published, publicity over, not a penalty.
SELECT pg_temp.try(format('SELECT credit.request_repair(%s, %L)', :m10, 'x'), :'masks') AS minor;
SELECT pg_temp.try(format('SELECT credit.request_repair(%s, %L)', :w10, 'x'), :'masks') AS warning_only;
SELECT pg_temp.try(format('SELECT credit.request_repair(%s, %L)', :g400, 'x'), :'masks') AS publicity_over;
SELECT pg_temp.try(format('SELECT credit.request_repair(%s, %L)', :l10, 'x'), :'masks') AS licence;
SELECT pg_temp.try(format('SELECT credit.request_repair(%s, %L)', :c10, 'x'), :'masks') AS market_datum;
-- Bad arguments: 22023 / 22004.
SELECT pg_temp.try(format('SELECT credit.request_repair(%s, %L)', :g100, ' '), :'masks') AS blank_reason;
SELECT pg_temp.try('SELECT credit.request_repair(-1, ''x'')') AS no_such_record;
SELECT pg_temp.try('SELECT credit.request_repair(NULL, ''x'')') AS null_record;

-- The market clerk asks for repair of the general penalty decided 100 days
-- ago; the requirements of repair are completed before approval.
SET SESSION AUTHORIZATION regress_credit_rp_marketclerk;
SELECT credit.request_repair(:g100, 'fine paid and conduct corrected') AS req \gset
SELECT status, conduct_corrected, obligations_performed, commitment, requested_by, credit.repair_missing(q) AS missing
  FROM credit.repair_request q WHERE id = :req;
-- one open request per record
SELECT pg_temp.try(format('SELECT credit.request_repair(%s, %L)', :g100, 'again'), :'masks' || jsonb_build_object('request ' || :req, 'request <REQ>')) AS second_request;
SELECT credit.amend_repair(:req, conduct_corrected => true, evidence => '{"rectification_report": "RP-2026-17"}') AS still_missing;
SELECT credit.amend_repair(:req, obligations_performed => true, commitment => 'We commit to operate lawfully (信用承诺书 RP-17).',
                           evidence => '{"fine_receipt": "RC-0042"}') AS still_missing;
SELECT credit.decide_repair(:req, true, 'requirements met');
-- a decision is final (55000)
SELECT pg_temp.try(format('SELECT credit.decide_repair(%s, false, %L)', :req, 'changed my mind'), jsonb_build_object('request ' || :req, 'request <REQ>', pg_temp.ymd(current_date), '<today>')) AS decide_twice;
RESET SESSION AUTHORIZATION;
SELECT status, decided_by, decision_note, evidence FROM credit.repair_request WHERE id = :req;
-- The record is kept, repaired and annotated; its publicity has stopped.
SELECT document_no, status, details -> 'repair' ->> 'request' = :'req' AS annotated,
       details -> 'repair' ->> 'approved_by' AS approved_by,
       publicity_until IS NOT NULL AS period_kept, credit.is_published(status, publicity_until) AS published
  FROM credit.record WHERE id = :g100;
SELECT count(*) AS in_publicity FROM credit.publicity_penalty WHERE record_id = :g100;
SELECT pg_temp.try(format('SELECT credit.request_repair(%s, %L)', :g100, 'x'), :'masks') AS repaired_again;
-- a decided request cannot be changed by hand either
SELECT pg_temp.try(format('UPDATE credit.repair_request SET status = %L WHERE id = %s', 'rejected', :req),
                   jsonb_build_object('request ' || :req, 'request <REQ>', pg_temp.ymd(current_date), '<today>')) AS update_decided;

-- nor created decided (23514)
SELECT pg_temp.try(format('INSERT INTO credit.repair_request (record_id, subject_id, department, reason, status, decided_at)
                           VALUES (%s, %s, %L, %L, %L, now())', :g80, :firm, 'rp_market', 'x', 'approved')) AS insert_decided;

-- A serious penalty decided under an earlier rule (6 months) may be repaired
-- after 250 days; rejected (a rejection needs a note), the record stays.
SELECT credit.request_repair(:s250, 'fine paid') AS req2 \gset
SELECT pg_temp.try(format('SELECT credit.decide_repair(%s, false, NULL)', :req2)) AS reject_without_note;
SELECT credit.decide_repair(:req2, false, 'the fine is not paid in full');
SELECT q.status, r.status AS record_status, credit.is_published(r.status, r.publicity_until) AS published
  FROM credit.repair_request q JOIN credit.record r ON r.id = q.record_id WHERE q.id = :req2;
-- after a rejection a new request may be made
SELECT credit.request_repair(:s250, 'the rest of the fine paid', true, true, 'Commitment RP-18') AS req2b \gset
SELECT :req2b > :req2 AS new_request;

-- Repair changes the grade: the serious penalty decided 400 days ago keeps
-- the enterprise at C; repaired, it no longer counts.
SELECT grade AS grade_before FROM credit.subject_grade WHERE subject_id = :graded AND model = 'comprehensive_enterprise';
SELECT credit.request_repair(:grec, 'rectified', true, true, 'Commitment RP-19') AS req3 \gset
SELECT credit.decide_repair(:req3, true, 'rectified, fine paid');
SELECT grade AS grade_after, (SELECT grade FROM credit.evaluate_subject(:graded, 'comprehensive_enterprise')) AS fresh_evaluation
  FROM credit.subject_grade WHERE subject_id = :graded AND model = 'comprehensive_enterprise';
SELECT old_grade, new_grade, cause, record_id = :grec AS by_the_record
  FROM credit.grade_change WHERE subject_id = :graded ORDER BY id DESC LIMIT 1;

-- Who may act: the tax clerk not on a market record, nor on its request (42501).
SET SESSION AUTHORIZATION regress_credit_rp_taxclerk;
SELECT pg_temp.try(format('SELECT credit.request_repair(%s, %L)', :g80, 'x'), :'masks') AS other_units_record;
SELECT pg_temp.try(format('SELECT credit.decide_repair(%s, true, %L)', :req2b, 'ok'), jsonb_build_object('request ' || :req2b, 'request <REQ>')) AS other_units_request;
SELECT pg_temp.try(format('SELECT credit.file_objection(%s, %L)', :c10, 'x'), :'masks') AS invisible_record;
SELECT count(*) AS requests_seen FROM credit.repair_request WHERE record_id IN (:g100, :s250, :grec);
-- its own record it may
SELECT pg_temp.try(format('SELECT credit.request_repair(%s, %L)', :t100, 'x'), :'masks') AS own_record;
-- the two-argument request, approved as it is: the approval attests what the
-- request does not record
SELECT credit.decide_repair((SELECT id FROM credit.repair_request WHERE record_id = :t100), true, 'materials checked at the counter');
SELECT status, conduct_corrected, obligations_performed, commitment,
       evidence -> 'attested_by_decider' AS attested, evidence ->> 'attested_by' AS attested_by
  FROM credit.repair_request WHERE record_id = :t100;
SELECT status FROM credit.record WHERE id = :t100;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_credit_rp_analyst;
SELECT pg_temp.try(format('SELECT credit.request_repair(%s, %L)', :g80, 'x'), :'masks') AS analyst;
SELECT count(*) AS requests_seen FROM credit.repair_request WHERE record_id IN (:g100, :s250, :grec);
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_credit_rp_web;
SELECT pg_temp.try(format('SELECT credit.file_objection(%s, %L)', :g80, 'x'), :'masks') AS public;
RESET SESSION AUTHORIZATION;
-- the administrator acts for every unit
SET SESSION AUTHORIZATION regress_credit_rp_admin;
SELECT credit.decide_repair(:req2b, true, 'approved by the platform');
SELECT pg_temp.try('SELECT credit.decide_repair(-1, true, NULL)') AS no_such_request;
RESET SESSION AUTHORIZATION;
SELECT status FROM credit.record WHERE id = :s250;

-- Objections.  The market clerk files one to a serious penalty: the record is
-- marked under objection at once, not counted, and due in 20 working days.
SELECT grade AS grade_before FROM credit.subject_grade WHERE subject_id = :objector AND model = 'comprehensive_enterprise';
SET SESSION AUTHORIZATION regress_credit_rp_marketclerk;
SELECT credit.file_objection(:orec, 'the penalty names the wrong company') AS obj \gset
SELECT status, filed_by, filed_on = current_date AS filed_today, due_on = credit.add_working_days(filed_on, 20) AS due_in_20_working_days,
       (SELECT count(*) FROM generate_series(filed_on + 1, due_on, interval '1 day') d
         WHERE coalesce((SELECT c.working FROM credit.calendar_day c WHERE c.day = d::date),
                        extract(isodow FROM d) < 6)) = 20 AS counted_20, credit.is_working_day(due_on) AS due_on_working_day
  FROM credit.objection WHERE id = :obj;
RESET SESSION AUTHORIZATION;
SELECT status FROM credit.record WHERE id = :orec;
SELECT decision_document_no, remarks FROM credit.publicity_penalty WHERE record_id = :orec;
SELECT grade AS grade_while_objected, (SELECT grade FROM credit.evaluate_subject(:objector, 'comprehensive_enterprise')) AS fresh_evaluation
  FROM credit.subject_grade WHERE subject_id = :objector AND model = 'comprehensive_enterprise';
-- one open objection per record; no repair while under objection (55000)
SELECT pg_temp.try(format('SELECT credit.file_objection(%s, %L)', :orec, 'again'), :'masks' || jsonb_build_object('objection ' || :obj, 'objection <OBJECTION>')) AS second_objection;
SELECT pg_temp.try(format('SELECT credit.request_repair(%s, %L)', :orec, 'x'), :'masks') AS repair_while_objected;
-- bad outcome, too short or too long a period (22023)
SELECT pg_temp.try(format('SELECT credit.resolve_objection(%s, %L)', :obj, 'approved')) AS bad_outcome;
SELECT pg_temp.try(format('SELECT credit.file_objection(%s, %L, 3)', :orec2, 'x')) AS three_days;
SELECT pg_temp.try(format('SELECT credit.file_objection(%s, %L, 30)', :orec2, 'x')) AS thirty_days;
-- only the unit of the record resolves it (42501); an unknown objection (22023)
SET SESSION AUTHORIZATION regress_credit_rp_taxclerk;
SELECT pg_temp.try(format('SELECT credit.resolve_objection(%s, %L)', :obj, 'upheld'),
                   jsonb_build_object('objection ' || :obj, 'objection <OBJECTION>')) AS other_units_objection;
RESET SESSION AUTHORIZATION;
SELECT pg_temp.try('SELECT credit.resolve_objection(-1, ''dismissed'')') AS no_such_objection;
-- dismissed: the record is active, counted and published again
SET SESSION AUTHORIZATION regress_credit_rp_marketclerk;
SELECT credit.resolve_objection(:obj, 'rejected', 'the company is the right one');   -- rejected (异议不成立): dismissed
SELECT pg_temp.try(format('SELECT credit.resolve_objection(%s, %L)', :obj, 'upheld'),
                   jsonb_build_object('objection ' || :obj, 'objection <OBJECTION>', pg_temp.ymd(current_date), '<today>')) AS resolve_twice;
RESET SESSION AUTHORIZATION;
SELECT o.status, o.resolved_by, o.note, r.status AS record_status,
       (SELECT grade FROM credit.subject_grade g WHERE g.subject_id = :objector AND g.model = 'comprehensive_enterprise') AS grade
  FROM credit.objection o JOIN credit.record r ON r.id = o.record_id WHERE o.id = :obj;
SELECT decision_document_no, remarks FROM credit.publicity_penalty WHERE record_id = :orec;
-- filed again and upheld: the decision is revoked, its publicity withdrawn
SELECT credit.file_objection(:orec, 'new evidence: the decision was annulled', 5) AS obj2 \gset
SELECT due_on = credit.add_working_days(current_date, 5) AS due_in_5_working_days FROM credit.objection WHERE id = :obj2;
SELECT credit.resolve_objection(:obj2, 'upheld', 'decision annulled on review');
SELECT status, details -> 'revoked' ->> 'objection' = :'obj2' AS annotated, credit.is_published(status, publicity_until) AS published
  FROM credit.record WHERE id = :orec;
SELECT count(*) AS in_publicity FROM credit.publicity_penalty WHERE record_id = :orec;
SELECT grade AS grade_after_revocation FROM credit.subject_grade WHERE subject_id = :objector AND model = 'comprehensive_enterprise';
-- what makes no sense is refused (55000): an objection to a revoked or a
-- repaired record (it would be published again), or while repair is asked for
SELECT pg_temp.try(format('SELECT credit.file_objection(%s, %L)', :orec, 'x'), :'masks') AS revoked_record;
SELECT pg_temp.try(format('SELECT credit.file_objection(%s, %L)', :g100, 'x'), :'masks') AS repaired_record;
SELECT credit.request_repair(:orec2, 'fine paid') AS req4 \gset
SELECT pg_temp.try(format('SELECT credit.file_objection(%s, %L)', :orec2, 'x'), :'masks' || jsonb_build_object('request ' || :req4, 'request <REQ>')) AS while_repair_open;
-- withdrawn: back to active
SELECT credit.decide_repair(:req4, false, 'the subject prefers to object');
SELECT credit.file_objection(:orec2, 'the amount is wrong') AS obj3 \gset
SELECT credit.resolve_objection(:obj3, 'withdrawn');
SELECT status FROM credit.record WHERE id = :orec2;

-- Deadlines: working days skip weekends and the days credit.calendar_day
-- marks (a holiday on a Tuesday, a Saturday worked in its place).
SELECT pg_temp.ymd(credit.add_working_days('2026-11-27', 1)) AS friday_plus_1,
       pg_temp.ymd(credit.add_working_days('2026-11-27', 5)) AS friday_plus_5,
       pg_temp.ymd(credit.add_working_days('2026-11-28', 0)) AS saturday_plus_0;
INSERT INTO credit.calendar_day VALUES ('2026-12-01', false, 'Repair test holiday'), ('2026-12-05', true, 'Repair test working Saturday');
SELECT pg_temp.ymd(credit.add_working_days('2026-11-27', 5)) AS friday_plus_5_with_calendar;
DELETE FROM credit.calendar_day WHERE name LIKE 'Repair test%';
SELECT pg_temp.try('SELECT credit.add_working_days(''2026-11-27'', -1)') AS negative;
-- Objections past their due date (one filed 40 days ago with 5 working days).
SELECT credit.file_objection(:orec2, 'late') AS obj4 \gset
UPDATE credit.objection SET filed_on = current_date - 40, due_on = credit.add_working_days(current_date - 40, 5) WHERE id = :obj4;
SELECT objection_id = :obj4 AS the_objection, days_overdue = current_date - credit.add_working_days(current_date - 40, 5) AS days_right, reason
  FROM credit.v_objection_overdue WHERE record_id IN (:orec, :orec2);
SET SESSION AUTHORIZATION regress_credit_rp_marketclerk;
SELECT count(*) AS market_unit_sees FROM credit.v_objection_overdue WHERE record_id = :orec2;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_credit_rp_taxclerk;
SELECT count(*) AS tax_unit_sees FROM credit.v_objection_overdue WHERE record_id = :orec2;
RESET SESSION AUTHORIZATION;

-- A renamed department takes its decided requests and resolved objections along.
UPDATE credit.department SET code = 'rp_market_renamed' WHERE code = 'rp_market';
SELECT (SELECT count(*) FROM credit.repair_request WHERE department = 'rp_market_renamed' AND status <> 'open') AS decided_requests,
       (SELECT count(*) FROM credit.objection WHERE department = 'rp_market_renamed' AND status <> 'open') AS resolved_objections;

-- Clean up: records (their requests and objections go with them), subjects, units, roles.
DELETE FROM credit.record WHERE department IN ('rp_market_renamed', 'rp_tax');
DELETE FROM credit.subject WHERE id IN (:firm, :graded, :objector);
DELETE FROM credit.department WHERE code IN ('rp_market_renamed', 'rp_tax');
DELETE FROM credit.repair_rule WHERE name = 'Repair test: an earlier rule';
DROP ROLE regress_credit_rp_marketclerk, regress_credit_rp_taxclerk, regress_credit_rp_admin,
          regress_credit_rp_analyst, regress_credit_rp_web, regress_credit_rp_market, regress_credit_rp_tax;
