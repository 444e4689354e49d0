-- The references of a record (subject, catalogue item, unit) are checked once
-- per statement: a missing one is reported with its value and its row
-- (SQLSTATE 23503); referenced rows cannot be deleted, renamed codes are
-- carried over to the records.
\set VERBOSITY default
INSERT INTO credit.department (code, name) VALUES ('rr_unit', 'References test unit');
INSERT INTO credit.catalog_item (code, name, category, channel, library, polarity, severity)
    VALUES ('rr_item', 'References test item', 'penalty', 'public', 'legal_person', 'negative', 'general');
INSERT INTO credit.subject (id, kind, name) VALUES (988001, 'enterprise', 'References test Co.');
-- a good statement of several rows, then each kind of missing reference (the third row)
INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on)
VALUES (988001, 'rr_item', 'rr_unit', 'RR-1', current_date - 1),
       (988001, 'rr_item', 'rr_unit', 'RR-2', current_date - 2);
INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on)
VALUES (988001, 'rr_item', 'rr_unit', 'RR-3', current_date - 1),
       (988001, 'rr_item', 'rr_unit', 'RR-4', current_date - 1),
       (988999, 'rr_item', 'rr_unit', 'RR-5', current_date - 1);
INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on)
VALUES (988001, 'rr_item', 'rr_unit', 'RR-3', current_date - 1),
       (988001, 'rr_item', 'rr_unit', 'RR-4', current_date - 1),
       (988001, 'no_such_item', 'rr_unit', 'RR-5', current_date - 1);
INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on)
VALUES (988001, 'rr_item', 'no_such_unit', 'RR-3', current_date - 1);
-- an UPDATE checks the references it changes
UPDATE credit.record SET subject_id = 988998 WHERE document_no = 'RR-1';
UPDATE credit.record SET department = 'platform' WHERE document_no = 'RR-1';
SELECT document_no, department FROM credit.record WHERE document_no LIKE 'RR-%' ORDER BY 1;
UPDATE credit.record SET department = 'rr_unit' WHERE document_no = 'RR-1';
-- nothing of the failed statements was kept
SELECT count(*) AS records FROM credit.record WHERE document_no LIKE 'RR-%';
-- the referenced rows stay while records refer to them
DELETE FROM credit.subject WHERE id = 988001;
UPDATE credit.subject SET id = 988002 WHERE id = 988001;
DELETE FROM credit.department WHERE code = 'rr_unit';
DELETE FROM credit.catalog_item WHERE code = 'rr_item';
-- (the tables a cascade would reach, partitions included, are not listed)
SET client_min_messages = warning;
TRUNCATE credit.department CASCADE;
RESET client_min_messages;
-- a renamed item or unit code is carried over to the records
UPDATE credit.catalog_item SET code = 'rr_item_renamed' WHERE code = 'rr_item';
UPDATE credit.department SET code = 'rr_unit_renamed' WHERE code = 'rr_unit';
SELECT document_no, item_code, department FROM credit.record WHERE document_no LIKE 'RR-%' ORDER BY 1;
-- without records, they go
DELETE FROM credit.record WHERE document_no LIKE 'RR-%';
DELETE FROM credit.subject WHERE id = 988001;
DELETE FROM credit.department WHERE code = 'rr_unit_renamed';
DELETE FROM credit.catalog_item WHERE code = 'rr_item_renamed';
-- a concurrent delete waits for the statement's lock: see specs/record_refs_race.spec
