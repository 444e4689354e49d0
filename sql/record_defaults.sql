-- The BEFORE ROW trigger of credit.record (C): future dates refused,
-- publicity_until derived from the catalogue, catalogue cached and
-- invalidated when it changes.
SET client_min_messages = warning;
INSERT INTO credit.department (code, name) VALUES ('rd_dept', 'Record defaults test unit');
INSERT INTO credit.catalog_item (code, name, category, channel, library, polarity, severity)
VALUES ('rd_penalty', 'Test penalty', 'penalty', 'public', 'legal_person', 'negative', 'general'),
       ('rd_license', 'Test licence', 'license', 'public', 'legal_person', 'neutral', NULL),
       ('rd_minor', 'Test minor penalty', 'penalty', 'public', 'legal_person', 'negative', 'minor');
CREATE TEMP TABLE rd_subject AS
WITH s AS (INSERT INTO credit.subject (kind, name) VALUES ('enterprise', 'Record defaults Co.') RETURNING id)
SELECT id FROM s;

-- publicity: general penalty 1 year, licence while active, minor not published,
-- warning-only penalty not published
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no, details)
SELECT id, v.item, 'rd_dept', v.d, v.doc, v.det::jsonb
  FROM rd_subject, (VALUES ('rd_penalty', date '2025-03-31', 'rd-1', '{}'),
                           ('rd_license', date '2025-03-31', 'rd-2', '{}'),
                           ('rd_minor',   date '2025-03-31', 'rd-3', '{}'),
                           ('rd_penalty', date '2024-02-29', 'rd-4', '{"penalty_kind": "warning"}'),
                           ('rd_penalty', date '2024-02-29', 'rd-5', '{"penalty_kind": "fine"}')) v(item, d, doc, det);
SELECT document_no, item_code, decided_on, publicity_until
  FROM credit.record WHERE department = 'rd_dept' ORDER BY document_no;

-- dated today is fine, tomorrow is refused with SQLSTATE 23514 and a hint
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
SELECT id, 'rd_penalty', 'rd_dept', current_date, 'rd-6' FROM rd_subject;
SET client_min_messages = notice;
DO $$
DECLARE
    hint text;
BEGIN
    INSERT INTO credit.record (subject_id, item_code, department, decided_on)
    SELECT id, 'rd_penalty', 'rd_dept', current_date + 1 FROM rd_subject;
EXCEPTION WHEN check_violation THEN
    GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
    RAISE NOTICE 'refused: SQLSTATE %, hint: %', SQLSTATE, hint;
END
$$;
SET client_min_messages = warning;

-- an update of other columns keeps a publicity_until set by hand;
-- changing the details, the date or the item recomputes it
UPDATE credit.record SET publicity_until = '2025-06-30', status = 'repaired' WHERE document_no = 'rd-1';
SELECT document_no, status, publicity_until FROM credit.record WHERE document_no = 'rd-1';
UPDATE credit.record SET details = '{"penalty_kind": "warning"}' WHERE document_no = 'rd-5';
UPDATE credit.record SET decided_on = '2025-01-15' WHERE document_no = 'rd-1';
UPDATE credit.record SET item_code = 'rd_license' WHERE document_no = 'rd-3';
SELECT document_no, item_code, decided_on, publicity_until
  FROM credit.record WHERE document_no IN ('rd-1', 'rd-3', 'rd-5') ORDER BY document_no;

-- catalogue changes are seen at once (the cache is invalidated)
UPDATE credit.catalog_item SET max_publicity = '2 years' WHERE code = 'rd_penalty';
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
SELECT id, 'rd_penalty', 'rd_dept', '2025-03-31', 'rd-7' FROM rd_subject;
UPDATE credit.catalog_item SET published = false WHERE code = 'rd_license';
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
SELECT id, 'rd_license', 'rd_dept', '2025-03-31', 'rd-8' FROM rd_subject;
-- a code renamed in the catalogue cascades to the records, which keep their periods
UPDATE credit.catalog_item SET code = 'rd_penalty2' WHERE code = 'rd_penalty';
SELECT document_no, item_code, publicity_until
  FROM credit.record WHERE document_no IN ('rd-4', 'rd-7', 'rd-8') ORDER BY document_no;
SELECT publicity_until = (current_date + interval '2 years')::date AS today_plus_two_years
  FROM credit.record WHERE document_no = 'rd-6';

-- A subject given without a division gets the one of its USCC or ID number
-- (GB/T 2260); one given is kept.
INSERT INTO credit.subject (kind, name, uscc, person_id, division) VALUES
    ('enterprise', 'Division test Co.', '91320281142232229Q', NULL, NULL),
    ('individual', 'Division test person', NULL, '11010519491231002X', NULL),
    ('enterprise', 'Division given Co.', '91320281MA1ME0013T', NULL, '320200'),
    ('government', 'Division test bureau', NULL, NULL, NULL)
RETURNING name, division;
DELETE FROM credit.subject WHERE name LIKE 'Division % Co.' OR name LIKE 'Division test %';

-- clean up
DELETE FROM credit.record WHERE department = 'rd_dept';
DELETE FROM credit.subject WHERE id IN (SELECT id FROM rd_subject);
DELETE FROM credit.catalog_item WHERE code IN ('rd_penalty2', 'rd_license', 'rd_minor');
DELETE FROM credit.department WHERE code = 'rd_dept';
