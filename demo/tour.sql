-- demo/tour.sql: a short tour of the synthetic county loaded by demo/generate.sql.
-- Run with psql -X -f demo/tour.sql in the demo database.
SET client_encoding = 'UTF8';
\pset footer off
\pset null ''

\echo
\echo '== Subjects by kind (信用主体)'
SELECT kind,
       count(*) AS subjects,
       count(uscc) AS with_uscc,
       count(person_id) AS with_resident_id,
       round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS "%"
  FROM credit.subject
 GROUP BY kind
 ORDER BY kind;

\echo '== Records by category (归集目录)'
SELECT c.category, c.channel, c.polarity,
       count(*) AS records,
       round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS "%",
       count(DISTINCT r.subject_id) AS subjects
  FROM credit.record r
  JOIN credit.catalog_item c ON c.code = r.item_code
 GROUP BY c.category, c.channel, c.polarity
 ORDER BY records DESC;

\echo '== Records by department, top 10 of the units sharing the platform (共享单位)'
SELECT d.name AS department,
       count(*) AS records,
       round(100.0 * count(*) / (SELECT count(*) FROM credit.record), 1) AS "%",
       count(DISTINCT r.item_code) AS items
  FROM credit.record r
  JOIN credit.department d ON d.code = r.department
 GROUP BY d.name
 ORDER BY records DESC, department
 LIMIT 10;

\echo '== Repeat offenders: how negative records spread over subjects'
WITH neg AS (
    SELECT s.id, count(r.id) AS n
      FROM credit.subject s
      LEFT JOIN credit.record r
             ON r.subject_id = s.id
            AND r.item_code IN (SELECT code FROM credit.catalog_item WHERE polarity = 'negative')
     WHERE s.kind <> 'government'
     GROUP BY s.id),
ranked AS (
    SELECT n, row_number() OVER (ORDER BY n DESC) AS rk, count(*) OVER () AS total FROM neg)
SELECT count(*) AS subjects,
       round(100.0 * count(*) FILTER (WHERE n = 0) / count(*), 1) AS "% with none",
       round(100.0 * sum(n) FILTER (WHERE rk <= total / 10) / nullif(sum(n), 0), 1) AS "% held by top 10%",
       round(100.0 * sum(n) FILTER (WHERE rk <= total / 100) / nullif(sum(n), 0), 1) AS "% held by top 1%",
       max(n) AS "most by one subject"
  FROM ranked;

\echo '== Double publicity today (双公示): records currently published, by severity'
SELECT c.category,
       coalesce(c.severity, '-') AS severity,
       count(*) AS records,
       count(*) FILTER (WHERE credit.is_published(r.status, r.publicity_until)
                          AND (c.category <> 'license'
                               OR coalesce((r.details ->> 'valid_to')::date, 'infinity') >= current_date)) AS published_today,
       count(*) FILTER (WHERE r.status = 'objected') AS under_objection,
       count(*) FILTER (WHERE r.status = 'repaired') AS repaired
  FROM credit.record r
  JOIN credit.catalog_item c ON c.code = r.item_code
 WHERE c.category IN ('license', 'penalty')
 GROUP BY c.category, c.severity
 ORDER BY c.category, min(CASE c.severity WHEN 'minor' THEN 1 WHEN 'general' THEN 2 WHEN 'serious' THEN 3 ELSE 0 END);

\echo '== Published penalties, latest of each party category (personal IDs and names masked)'
SELECT DISTINCT ON (p.party_category)
       p.decision_document_no AS document_no,
       CASE WHEN p.person_id IS NOT NULL
            THEN left(p.party_name, 1) || repeat('*', char_length(p.party_name) - 1)
            ELSE p.party_name END AS party,
       coalesce(p.uscc::text, p.person_id) AS code,
       p.violation_type,
       p.content,
       p.severity,
       p.decided_on,
       p.publicity_until
  FROM credit.publicity_penalty p
 ORDER BY p.party_category, p.decided_on DESC, p.record_id DESC;

\echo '== Published licences, latest three'
SELECT l.decision_document_no AS document_no, l.party_name AS party, l.certificate_name, l.certificate_no,
       l.valid_from, l.valid_to, l.licensing_authority
  FROM credit.publicity_license l
 ORDER BY l.decided_on DESC, l.record_id DESC
 LIMIT 3;
