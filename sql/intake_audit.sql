-- The intake audited as units use it: feeds of thousands of rows from two
-- units, COPYed in CSV and in text, with bad rows of every kind; the checker
-- keeps its own expectation of every row (what each row is, by how the feed
-- was made) and compares: each row's status and problem, one record per
-- decision, re-sent decisions updated in place, waiting rows recorded when
-- their subjects register, the quality figures, what each unit sees, and the
-- grades against a fresh evaluation.
SET client_min_messages = warning;
CREATE ROLE regress_audit_unit_mkt NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_audit_unit_env NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_audit_clerk_mkt LOGIN IN ROLE regress_audit_unit_mkt;
CREATE ROLE regress_audit_clerk_env LOGIN IN ROLE regress_audit_unit_env;
-- the feeds are files the clerks COPY (as a unit's program streams them)
GRANT pg_read_server_files TO regress_audit_clerk_mkt, regress_audit_clerk_env;
INSERT INTO credit.department (code, name, role) VALUES
    ('au_mkt', 'Audit: market supervision', 'regress_audit_unit_mkt'),
    ('au_env', 'Audit: ecology and environment', 'regress_audit_unit_env');

-- Subject n has a USCC built from n (both check characters computed here);
-- subjects 1 to 400 are registered, 401 to 440 not yet.
CREATE FUNCTION pg_temp.au_code(n int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT x.body || substr('0123456789ABCDEFGHJKLMNPQRTUWXY',
               ((31 - sum((strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(x.body, i, 1)) - 1)
                          * (power(3, i - 1)::bigint % 31)) % 31) % 31 + 1)::int, 1)
      FROM (SELECT a.org || CASE b.c WHEN 10 THEN 'X' WHEN 11 THEN '0' ELSE b.c::text END AS body
              FROM (SELECT '91320281' || lpad((80000000 + n)::text, 8, '0') AS org) a,
                   LATERAL (SELECT 11 - (SELECT sum(substr(substr(a.org, 9), k, 1)::int * (ARRAY[3, 7, 9, 10, 5, 8, 4, 2])[k])
                                           FROM generate_series(1, 8) k)::int % 11 AS c) b) x,
           generate_series(1, 17) i
     GROUP BY x.body
$$;
SELECT count(*) FILTER (WHERE credit.uscc_check(pg_temp.au_code(n)) IS NULL) AS valid_codes FROM generate_series(1, 440) n;
INSERT INTO credit.subject (kind, name, uscc)
SELECT 'enterprise', '审计测试企业' || n, pg_temp.au_code(n)::credit.uscc FROM generate_series(1, 400) n;
SELECT credit.run_evaluation('comprehensive_enterprise') IS NOT NULL AS evaluated;

-- A feed of a unit, and what the checker expects of each line: the code
-- written as units write it (as is, lower case after a space, in groups with
-- a hyphen, full-width with an ideographic space), and on some lines a
-- problem of each kind (line 18: a penalty without its document number), a
-- subject not registered yet, or a decision sent again (the row 3 or 18
-- lines before, with a new amount).
CREATE FUNCTION pg_temp.au_feed(unit text, lines int, doc text, items text[])
RETURNS TABLE (line int, subject_code text, item_code text, document_no text, decided_on text, amount text,
               details text, subject int, expect_status text, expect_problem text)
LANGUAGE sql AS $$
    WITH base AS (
        SELECT g AS line,
               CASE WHEN g % 50 IN (21, 22) THEN 401 + (g / 50) % 40 ELSE 1 + (g * 37) % 400 END AS subject,
               items[1 + g % array_length(items, 1)] AS item,
               doc || '〔2026〕' || g || '号' AS document_no,
               to_char(DATE '2026-01-05' + (g % 300), 'YYYY-MM-DD') AS decided_on,
               (100 + g)::text AS amount
          FROM generate_series(1, lines) g),
    sent AS (   -- a re-sent line repeats the decision of line - 3 (line 30) or line - 18 (line 45)
        SELECT b.line, coalesce(o.subject, b.subject) AS subject, coalesce(o.item, b.item) AS item,
               coalesce(o.document_no, b.document_no) AS document_no, coalesce(o.decided_on, b.decided_on) AS decided_on,
               b.amount, o.line IS NOT NULL AS resent
          FROM base b
          LEFT JOIN base o ON b.line % 50 IN (30, 45) AND o.line = b.line - CASE b.line % 50 WHEN 30 THEN 3 ELSE 18 END)
    SELECT s.line,
           CASE WHEN s.line % 50 = 7 THEN substr(c.code, 1, 17) || CASE WHEN right(c.code, 1) = '0' THEN '1' ELSE '0' END
                WHEN s.line % 50 = 8 THEN '320281901301001'
                WHEN s.line % 50 = 9 THEN substr(c.code, 1, 17)
                WHEN s.line % 4 = 1 THEN ' ' || lower(c.code)
                WHEN s.line % 4 = 2 THEN substr(c.code, 1, 4) || ' ' || substr(c.code, 5, 4) || '-' || substr(c.code, 9)
                WHEN s.line % 4 = 3 THEN translate(c.code, '0123456789ABCDEFGHJKLMNPQRTUWXY',
                                                   '０１２３４５６７８９ＡＢＣＤＥＦＧＨＪＫＬＭＮＰＱＲＴＵＷＸＹ') || '　'
                ELSE c.code END,
           CASE s.line % 50 WHEN 10 THEN 'penalty_genral' WHEN 18 THEN 'penalty_general' ELSE s.item END,
           CASE WHEN s.line % 50 = 17 THEN repeat('文', 201)
                WHEN s.line % 50 = 18 THEN '  ' ELSE s.document_no END,
           CASE s.line % 50 WHEN 11 THEN '2023-02-30' WHEN 12 THEN '1899-12-31' WHEN 13 THEN '2999-01-01'
                            WHEN 20 THEN '' ELSE s.decided_on END,
           CASE s.line % 50 WHEN 14 THEN '1,000' WHEN 15 THEN '-300' WHEN 16 THEN '12.345' ELSE s.amount END,
           CASE WHEN s.line % 50 = 19 THEN '[1, 2]' WHEN s.line % 3 = 0 THEN '{"facts": "第' || s.line || '行"}' END,
           s.subject,
           CASE WHEN s.line % 50 BETWEEN 7 AND 20 THEN 'rejected'
                WHEN s.line % 50 IN (21, 22) THEN 'waiting'
                WHEN s.resent THEN 'updated' ELSE 'accepted' END,
           CASE s.line % 50 WHEN 7 THEN 'invalid_code' WHEN 8 THEN 'invalid_code' WHEN 9 THEN 'invalid_code'
                            WHEN 10 THEN 'unknown_item' WHEN 11 THEN 'invalid_date' WHEN 12 THEN 'invalid_date'
                            WHEN 13 THEN 'future_date' WHEN 14 THEN 'invalid_amount' WHEN 15 THEN 'invalid_amount'
                            WHEN 16 THEN 'invalid_amount' WHEN 17 THEN 'too_long' WHEN 18 THEN 'missing_field'
                            WHEN 19 THEN 'invalid_details' WHEN 20 THEN 'missing_field' END
      FROM sent s, LATERAL (SELECT pg_temp.au_code(s.subject) AS code) c
$$;
CREATE TEMP TABLE au_expect AS
SELECT 'au_mkt' AS unit, f.* FROM pg_temp.au_feed('au_mkt', 2000, '澄市监罚', ARRAY['penalty_general', 'license', 'honour_county', 'tax_arrears', 'contract_breach']) f
UNION ALL
SELECT 'au_env', f.* FROM pg_temp.au_feed('au_env', 1000, '澄环罚', ARRAY['penalty_general', 'license', 'social_insurance_arrears']) f;
GRANT SELECT ON au_expect TO PUBLIC;
SELECT format('/tmp/credit_intake_audit_%s_mkt.csv', current_setting('port')) AS feed_mkt,
       format('/tmp/credit_intake_audit_%s_env.txt', current_setting('port')) AS feed_env \gset
COPY (SELECT subject_code, item_code, document_no, decided_on, amount, details FROM au_expect
       WHERE unit = 'au_mkt' ORDER BY line) TO :'feed_mkt' (FORMAT csv, HEADER);
COPY (SELECT subject_code, item_code, document_no, decided_on, amount, details FROM au_expect
       WHERE unit = 'au_env' ORDER BY line) TO :'feed_env' (FORMAT text);
SELECT unit, expect_status, expect_problem, count(*) FROM au_expect GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;

-- Each unit's clerk sends its feed: the market unit in CSV with its header
-- checked (HEADER MATCH), the environment unit in text.
SET SESSION AUTHORIZATION regress_audit_clerk_mkt;
COPY credit.intake (subject_code, item_code, document_no, decided_on, amount, details) FROM :'feed_mkt' (FORMAT csv, HEADER MATCH);
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_audit_clerk_env;
COPY credit.intake (subject_code, item_code, document_no, decided_on, amount, details) FROM :'feed_env' (FORMAT text);
RESET SESSION AUTHORIZATION;
SELECT max(id) AS feeds_last FROM credit.intake_row \gset

-- Every row as the checker expects it: its status and problem, its message naming its line.
CREATE TEMP VIEW au_outcome AS
SELECT e.unit, e.line, e.expect_status, e.expect_problem, i.status, i.problem, i.message, i.record_id, i.subject_id, e.subject
  FROM au_expect e
  LEFT JOIN credit.intake_row i ON i.department = e.unit AND i.line = e.line AND i.id <= :feeds_last;
SELECT unit, count(*) AS rows,
       count(*) FILTER (WHERE status IS DISTINCT FROM expect_status OR problem IS DISTINCT FROM expect_problem) AS unexpected,
       count(*) FILTER (WHERE status = 'rejected' AND message NOT LIKE 'line ' || line || ': ' || problem || ': %') AS bad_messages
  FROM au_outcome GROUP BY unit ORDER BY unit;
SELECT unit, line, expect_status, expect_problem, status, problem, message FROM au_outcome
 WHERE status IS DISTINCT FROM expect_status OR problem IS DISTINCT FROM expect_problem ORDER BY unit, line LIMIT 10;
-- a message of each problem
SELECT DISTINCT ON (problem) problem, regexp_replace(message, '^line \d+', 'line N') AS message
  FROM au_outcome WHERE unit = 'au_mkt' AND problem IS NOT NULL ORDER BY problem, line;

-- One record per decision: accepted and updated rows of a decision share the
-- record of its first row, with the values of its last, linked to the right subject.
SELECT o.unit,
       count(DISTINCT (o.unit, e.item_code, e.document_no, CASE WHEN e.item_code IN ('penalty_general', 'license') THEN 0 ELSE e.subject END))
           FILTER (WHERE o.expect_status IN ('accepted', 'updated')) AS decisions,
       (SELECT count(*) FROM credit.record r WHERE r.department = o.unit) AS records,
       count(*) FILTER (WHERE o.status IN ('accepted', 'updated')
                          AND o.subject_id IS DISTINCT FROM (SELECT s.id FROM credit.subject s
                                                              WHERE s.uscc = pg_temp.au_code(o.subject)::credit.uscc)) AS wrong_subjects
  FROM au_outcome o JOIN au_expect e USING (unit, line) GROUP BY o.unit ORDER BY o.unit;
SELECT count(*) AS resent_rows,
       count(*) FILTER (WHERE o.record_id = f.record_id) AS same_record,
       count(*) FILTER (WHERE r.amount = (SELECT max(x.amount::numeric) FROM au_expect x
                                            WHERE x.unit = e.unit AND x.document_no = e.document_no AND x.expect_status <> 'rejected')) AS last_amount
  FROM au_outcome o JOIN au_expect e USING (unit, line)
  JOIN au_outcome f ON f.unit = o.unit AND f.line = o.line - CASE o.line % 50 WHEN 30 THEN 3 ELSE 18 END
  JOIN credit.record r ON r.id = o.record_id
 WHERE o.expect_status = 'updated';

-- The same decisions sent again the next day, amounts changed: updated in place, no record more.
SELECT format('/tmp/credit_intake_audit_%s_again.csv', current_setting('port')) AS feed_again \gset
COPY (SELECT subject_code, item_code, document_no, decided_on, (amount::int + 1)::text, details FROM au_expect
       WHERE unit = 'au_mkt' AND expect_status = 'accepted' AND line <= 500 ORDER BY line) TO :'feed_again' (FORMAT csv);
SELECT count(*) AS records_before FROM credit.record WHERE department = 'au_mkt' \gset
SET SESSION AUTHORIZATION regress_audit_clerk_mkt;
COPY credit.intake (subject_code, item_code, document_no, decided_on, amount, details) FROM :'feed_again' (FORMAT csv);
RESET SESSION AUTHORIZATION;
SELECT status, count(*) FROM credit.intake_row
 WHERE batch = (SELECT max(batch) FROM credit.intake_row WHERE department = 'au_mkt') GROUP BY status;
SELECT count(*) - :records_before AS records_added,
       count(*) FILTER (WHERE r.amount = e.amount::numeric + 1) AS amounts_updated
  FROM credit.record r
  LEFT JOIN au_expect e ON e.unit = 'au_mkt' AND e.expect_status = 'accepted' AND e.line <= 500
                       AND e.document_no = r.document_no AND e.item_code = r.item_code
 WHERE r.department = 'au_mkt';

-- Waiting rows become records when their subjects are registered.
SELECT count(*) AS waiting FROM credit.intake_row WHERE department IN ('au_mkt', 'au_env') AND status = 'waiting';
INSERT INTO credit.subject (kind, name, uscc)
SELECT 'enterprise', '审计测试企业' || n, pg_temp.au_code(n)::credit.uscc FROM generate_series(401, 440) n;
SELECT count(*) FILTER (WHERE i.status = 'waiting') AS still_waiting,
       count(*) FILTER (WHERE i.status = 'accepted' AND r.subject_id = s.id) AS recorded
  FROM au_expect e
  JOIN credit.intake_row i ON i.department = e.unit AND i.line = e.line AND i.id <= :feeds_last
  JOIN credit.subject s ON s.uscc = pg_temp.au_code(e.subject)::credit.uscc
  LEFT JOIN credit.record r ON r.id = i.record_id
 WHERE e.expect_status = 'waiting';

-- The quality figures equal the checker's own count (rows received, by outcome, linked).
SELECT q.department, q.received = c.received AS received, q.accepted = c.accepted AS accepted,
       q.updated = c.updated AS updated, q.waiting = c.waiting AS waiting, q.rejected = c.rejected AS rejected,
       q.acceptance_rate = round((c.accepted + c.updated)::numeric / c.received, 4) AS acceptance_rate,
       q.linkage = round(c.linked::numeric / c.received, 4) AS linkage
  FROM credit.v_intake_quality q
  JOIN (SELECT e.unit, count(*) + coalesce(max(a.n), 0) AS received,
               count(*) FILTER (WHERE e.expect_status IN ('accepted', 'waiting')) AS accepted,
               count(*) FILTER (WHERE e.expect_status = 'updated') + coalesce(max(a.n), 0) AS updated,
               0 AS waiting,
               count(*) FILTER (WHERE e.expect_status = 'rejected') AS rejected,
               count(*) FILTER (WHERE e.expect_status <> 'rejected') + coalesce(max(a.n), 0) AS linked
          FROM au_expect e
          LEFT JOIN (SELECT 'au_mkt' AS unit, count(*) AS n FROM au_expect
                      WHERE unit = 'au_mkt' AND expect_status = 'accepted' AND line <= 500) a ON a.unit = e.unit
         GROUP BY e.unit) c ON c.unit = q.department
 WHERE q.item_code IS NULL ORDER BY q.department;

-- No unit sees another's intake: rows, national views, figures, returns.
SET SESSION AUTHORIZATION regress_audit_clerk_env;
SELECT count(*) FILTER (WHERE department = 'au_mkt') AS other_units_rows, count(*) AS own_rows FROM credit.intake;
SELECT (SELECT count(*) FROM credit.intake_penalty WHERE department = 'au_mkt') AS penalty_view,
       (SELECT count(*) FROM credit.v_intake_quality WHERE department = 'au_mkt') AS quality,
       (SELECT count(*) FROM credit.v_double_publicity_return WHERE department = 'au_mkt') AS returns;
UPDATE credit.intake SET amount = '1' WHERE department = 'au_mkt';
RESET SESSION AUTHORIZATION;

-- Grades after the intake equal a fresh evaluation of every subject it touched.
SELECT count(*) AS subjects,
       count(*) FILTER (WHERE abs(g.score - e.score) > 1e-6 OR g.grade IS DISTINCT FROM e.grade) AS stale_grades
  FROM credit.subject_grade g
  CROSS JOIN LATERAL credit.evaluate_subject(g.subject_id, g.model) e
 WHERE g.subject_id IN (SELECT subject_id FROM credit.intake_row WHERE department IN ('au_mkt', 'au_env'));

-- Hostile rows by hand, through COPY from the client: full-width codes and
-- spaces (read), full-width digits in an amount or a date (refused: only
-- codes are read leniently), a document number given twice with another
-- subject in one statement (a penalty names one party: the later row
-- corrects the subject of the one record), an item another unit usually
-- sends (the catalogue names no unit for an item: any unit may send any
-- item, as records may be inserted directly), a date of details that is no
-- date, a key given twice in details (jsonb keeps the last).
SET SESSION AUTHORIZATION regress_audit_clerk_mkt;
COPY credit.intake (subject_code, item_code, document_no, decided_on, amount, details) FROM stdin (FORMAT csv);
９１３２０２８１８００００００１７６,penalty_general,HOSTILE-1,2026-03-02,,
"  9132 0281 8000 0002 51　",penalty_general,HOSTILE-2,2026-03-02,１０００,
91320281800000033U,penalty_general,HOSTILE-3,２０２６－０３－０２,,
91320281800000033U,penalty_general,HOSTILE-4,2026-03-02,,
91320281800000041N,penalty_general,HOSTILE-4,2026-03-02,50,
91320281800000033U,social_insurance_arrears,HOSTILE-5,2026-03-02,,
91320281800000033U,penalty_general,HOSTILE-6,2026-03-02,,"{""content"": null, ""valid_until"": ""2026-02-30""}"
91320281800000033U,penalty_general,HOSTILE-7,2026-03-02,,"{""content"": ""罚款"", ""content"": ""警告""}"
\.
RESET SESSION AUTHORIZATION;
SELECT line, status, problem, message FROM credit.intake_row
 WHERE batch = (SELECT max(batch) FROM credit.intake_row WHERE department = 'au_mkt') ORDER BY line;
SELECT count(*) AS records, min(r.amount) AS amount, min(s.uscc::text) AS subject
  FROM credit.record r JOIN credit.subject s ON s.id = r.subject_id WHERE r.document_no = 'HOSTILE-4';
SELECT details FROM credit.record WHERE document_no = 'HOSTILE-7';

-- What COPY itself refuses, before any row is processed (the whole
-- statement, naming the line; nothing is kept): bytes that are not text
-- (a NUL), a line with a column too many, a header that is not the column
-- list (HEADER MATCH).  A file without its header line under plain HEADER
-- would lose its first row: HEADER MATCH refuses it instead.
SELECT count(*) AS rows_before FROM credit.intake_row \gset
SET SESSION AUTHORIZATION regress_audit_clerk_mkt;
COPY credit.intake (subject_code, item_code, document_no, decided_on) FROM stdin;
91320281800000033U	penalty_general	NUL\0-1	2026-03-02
\.
COPY credit.intake (subject_code, item_code, document_no, decided_on) FROM stdin;
91320281800000033U	penalty_general	EXTRA-1	2026-03-02	extra
\.
COPY credit.intake (subject_code, item_code, document_no, decided_on) FROM stdin (FORMAT csv, HEADER MATCH);
item_code,subject_code,document_no,decided_on
penalty_general,91320281800000033U,HEADER-1,2026-03-02
\.
COPY credit.intake (subject_code, item_code, document_no, decided_on) FROM stdin (FORMAT csv, HEADER MATCH);
91320281800000033U,penalty_general,HEADER-2,2026-03-02
91320281800000033U,penalty_general,HEADER-3,2026-03-02
\.
RESET SESSION AUTHORIZATION;
SELECT count(*) - :rows_before AS rows_kept FROM credit.intake_row;

-- The national layout with double-publicity fields missing: without the
-- document number (CF_WSH) a row is rejected; without the others it is
-- recorded, and completeness counts what it lacks.  A fine of 10,000 CNY
-- units (万元) with a comma, or below zero, is refused.
SET SESSION AUTHORIZATION regress_audit_clerk_mkt;
COPY credit.intake_penalty (cf_xdr_mc, cf_xdr_shxym, cf_wsh, cf_wfxw, cf_cflb, cf_nr_fk, cf_jdrq) FROM stdin (FORMAT csv);
审计测试企业3,91320281800000033U,澄市监罚〔2026〕9001号,无照经营,罚款,0.5,2026/03/03
审计测试企业3,91320281800000033U,,无照经营,罚款,0.5,2026/03/03
审计测试企业3,91320281800000033U,澄市监罚〔2026〕9003号,,,,2026/03/03
审计测试企业3,91320281800000033U,澄市监罚〔2026〕9004号,无照经营,罚款,"1,5",2026/03/03
审计测试企业3,91320281800000033U,澄市监罚〔2026〕9005号,无照经营,罚款,-0.5,2026/03/03
\.
INSERT INTO credit.intake_license (xk_xdr_mc, xk_xdr_shxym, xk_wsh, xk_jdrq) VALUES
    ('审计测试企业3', '91320281800000033U', '澄市监许〔2026〕9006号', '2026-03-04'),
    ('审计测试企业3', '91320281800000033U', NULL, '2026-03-04');
RESET SESSION AUTHORIZATION;
SELECT i.layout, i.line, i.status, i.fields_present, i.fields_required, r.amount, i.message
  FROM credit.intake_row i LEFT JOIN credit.record r ON r.id = i.record_id
 WHERE i.layout <> 'intake' AND i.department = 'au_mkt' ORDER BY i.id;

-- A row naming another unit refuses the statement: a permission, not a data problem.
SET SESSION AUTHORIZATION regress_audit_clerk_env;
\set VERBOSITY sqlstate
INSERT INTO credit.intake (department, subject_code, item_code, document_no, decided_on) VALUES
    ('au_env', '91320281800000033U', 'penalty_general', 'OTHER-1', '2026-03-02'),
    ('au_mkt', '91320281800000033U', 'penalty_general', 'OTHER-2', '2026-03-02');
\set VERBOSITY default
RESET SESSION AUTHORIZATION;
SELECT count(*) AS kept FROM credit.intake_row WHERE document_no LIKE 'OTHER-%';

-- Clean up (the suite shares one database).
DELETE FROM credit.record WHERE department IN ('au_mkt', 'au_env');
DELETE FROM credit.intake_row WHERE department IN ('au_mkt', 'au_env');
DELETE FROM credit.subject WHERE name LIKE '审计测试企业%';
DELETE FROM credit.department WHERE code IN ('au_mkt', 'au_env');
REVOKE pg_read_server_files FROM regress_audit_clerk_mkt, regress_audit_clerk_env;
DROP ROLE regress_audit_clerk_mkt, regress_audit_clerk_env, regress_audit_unit_mkt, regress_audit_unit_env;
