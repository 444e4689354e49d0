-- Relations between subjects (关联关系, docs/relations.md): the checks, credit.related
-- (depths, cycles, validity dates, both directions), related_listed warnings
-- when a subject is put on a black list, the credit profile (信用画像) of an
-- enterprise and of a person, and the BI views v_collection_stats and
-- v_warning_summary.  Everything, roles included, is rolled back at the end.
\i sql/include/require_preload.sql
\if :skip_test
\quit
\endif
BEGIN;
\set ON_ERROR_ROLLBACK on
-- grades and warnings follow each statement (not only at commit)
SET LOCAL credit.fold_at = 'statement';
\i sql/include/try.sql
-- strip(j, keys): j without the given keys at any level (ids and timestamps
-- that differ from run to run).
CREATE FUNCTION pg_temp.strip(j jsonb, keys text[]) RETURNS jsonb LANGUAGE sql AS $$
    SELECT CASE jsonb_typeof(j)
        WHEN 'object' THEN (SELECT coalesce(jsonb_object_agg(k, pg_temp.strip(v, keys)), '{}')
                              FROM jsonb_each(j) e (k, v) WHERE k <> ALL (keys))
        WHEN 'array' THEN (SELECT coalesce(jsonb_agg(pg_temp.strip(v, keys) ORDER BY n), '[]')
                             FROM jsonb_array_elements(j) WITH ORDINALITY a (v, n))
        ELSE j END
$$;
SELECT kind, level, open_warnings, resolved_warnings INTO TEMP summary_before FROM credit.v_warning_summary;

-- The kinds of relation: "from is the kind of to".
SELECT kind, name, from_kinds, to_kinds, shareholding, warns FROM credit.relation_kind ORDER BY kind;

-- A small group of companies and the people behind them.
INSERT INTO credit.department (code, name) VALUES
    ('rel_amr', 'Relations test: market supervision'), ('rel_bank', 'Relations test: rural bank');
INSERT INTO credit.subject (kind, name, uscc) VALUES ('enterprise', '江阴关联甲机械有限公司', '91320281MA1RE0018L')
    RETURNING id AS e1 \gset
INSERT INTO credit.subject (kind, name, uscc) VALUES ('enterprise', '江阴关联乙贸易有限公司', '91320281MA1RE0026F')
    RETURNING id AS e2 \gset
INSERT INTO credit.subject (kind, name, uscc) VALUES ('enterprise', '江阴关联丙建材有限公司', '91320281MA1RE0034A')
    RETURNING id AS e3 \gset
INSERT INTO credit.subject (kind, name, uscc) VALUES ('enterprise', '江阴关联丁科技有限公司', '91320281MA1RE00425')
    RETURNING id AS e4 \gset
INSERT INTO credit.subject (kind, name, uscc) VALUES ('enterprise', '江阴关联戊物流有限公司', '91320281MA1RE00500')
    RETURNING id AS e5 \gset
INSERT INTO credit.subject (kind, name, uscc) VALUES ('enterprise', '江阴关联己化工有限公司', '91320281MA1RE0069W')
    RETURNING id AS e6 \gset
INSERT INTO credit.subject (kind, name, uscc) VALUES ('government', '江阴市关联测试国资办', '11320281MB1RE00119')
    RETURNING id AS g1 \gset
INSERT INTO credit.subject (kind, name, uscc) VALUES ('social_org', '江阴关联行业协会', '51320281MC1RE0015K')
    RETURNING id AS s1 \gset
INSERT INTO credit.subject (kind, name, person_id) VALUES ('individual', '顾关联', '32028119750308007X')
    RETURNING id AS p1 \gset
INSERT INTO credit.subject (kind, name, person_id) VALUES ('individual', '钱关联', '320281198807150123')
    RETURNING id AS p2 \gset
INSERT INTO credit.subject (kind, name, person_id) VALUES ('individual', '孙关联', '320281199201010040')
    RETURNING id AS p3 \gset
CREATE TEMP TABLE names AS SELECT id, name FROM credit.subject WHERE name LIKE '%关联%';
GRANT SELECT ON names TO PUBLIC;

INSERT INTO credit.relation (from_subject, to_subject, kind, share, valid_from, valid_to, source) VALUES
    (:p1, :e1, 'legal_representative', NULL, date '2019-05-01', NULL, 'business register'),
    (:p2, :e1, 'actual_controller', NULL, date '2019-05-01', NULL, 'annual report'),
    (:p3, :e1, 'director', NULL, NULL, NULL, NULL),
    (:e1, :e2, 'shareholder', 0.6, date '2020-01-01', NULL, NULL),
    (:e3, :e1, 'branch', NULL, NULL, NULL, NULL),
    (:e2, :e4, 'shareholder', 1, NULL, NULL, NULL),
    (:e4, :e1, 'shareholder', 0.15, NULL, NULL, NULL),             -- closes a cycle e1 -> e2 -> e4 -> e1
    (:g1, :e2, 'actual_controller', NULL, NULL, NULL, NULL),
    (:p2, :s1, 'principal', NULL, NULL, NULL, NULL),
    (:p1, :e5, 'legal_representative', NULL, date '2015-03-01', date '2024-12-31', NULL),   -- ended
    (:p1, :e6, 'legal_representative', NULL, current_date + 30, NULL, NULL);                 -- not yet

-- Checks: 23514 for a relation that makes no sense, 23P01 for an overlap, 23503 for unknown kinds and subjects.
SELECT pg_temp.try(format('INSERT INTO credit.relation (from_subject, to_subject, kind) VALUES (%s, %s, %L)',
                          :e1, :e1, 'shareholder')) AS self_relation;
SELECT pg_temp.try(format('INSERT INTO credit.relation (from_subject, to_subject, kind) VALUES (%s, %s, %L)',
                          :e2, :e1, 'legal_representative')) AS enterprise_as_legal_rep;
SELECT pg_temp.try(format('INSERT INTO credit.relation (from_subject, to_subject, kind) VALUES (%s, %s, %L)',
                          :p2, :p1, 'legal_representative')) AS person_with_legal_rep;
SELECT pg_temp.try(format('INSERT INTO credit.relation (from_subject, to_subject, kind, share) VALUES (%s, %s, %L, 0.3)',
                          :p3, :e2, 'principal')) AS share_of_principal;
SELECT pg_temp.try(format('INSERT INTO credit.relation (from_subject, to_subject, kind, share) VALUES (%s, %s, %L, %s)',
                          :p3, :e3, 'shareholder', s)) AS share_out_of_range
  FROM unnest(ARRAY[0, 1.5, -0.2]) s;
SELECT pg_temp.try(format($q$INSERT INTO credit.relation (from_subject, to_subject, kind, valid_from, valid_to)
                             VALUES (%s, %s, 'director', '2024-02-01', '2024-01-31')$q$, :p3, :e2)) AS period_reversed;
SELECT replace(replace(pg_temp.try(format($q$INSERT INTO credit.relation (from_subject, to_subject, kind, valid_from)
                             VALUES (%s, %s, 'legal_representative', '2023-01-01')$q$, :p1, :e1)),
               :p1::text, 'P1'), :e1::text, 'E1') AS overlapping;
SELECT pg_temp.try(format($q$INSERT INTO credit.relation (from_subject, to_subject, kind, valid_from, valid_to)
                             VALUES (%s, %s, 'legal_representative', '2012-01-01', '2015-02-28')$q$, :p1, :e5)) AS earlier_period;
-- given the other way round (the company first), a relation is stored as "from is the kind of to"
INSERT INTO credit.relation (from_subject, to_subject, kind, share) VALUES (:e3, :p3, 'shareholder', 0.25)
RETURNING from_subject = :p3 AS from_person, to_subject = :e3 AS to_company, kind, share;
DELETE FROM credit.relation WHERE from_subject = :p3 AND to_subject = :e3;
SELECT pg_temp.try(format('INSERT INTO credit.relation (from_subject, to_subject, kind) VALUES (%s, %s, %L)',
                          :p3, :e2, 'cousin')) AS unknown_kind;
SELECT pg_temp.try(format('INSERT INTO credit.relation (from_subject, to_subject, kind) VALUES (%s, -1, %L)',
                          :p3, 'director')) AS unknown_subject;
DELETE FROM credit.relation WHERE to_subject = :e5 AND valid_to = date '2015-02-28';

-- related(): breadth first, both directions, each subject once at its smallest depth.
SELECT n.name, r.depth, r.kinds, (SELECT array_agg(x.name ORDER BY o) FROM unnest(r.path) WITH ORDINALITY p (id, o)
                                    JOIN names x ON x.id = p.id) AS path
  FROM credit.related(:e1) r JOIN names n ON n.id = r.subject_id ORDER BY r.depth, n.name;
SELECT r.path[1] = :e1 AS starts_at_e1, r.path[array_length(r.path, 1)] = r.subject_id AS ends_at_subject,
       array_length(r.path, 1) = r.depth + 1 AND array_length(r.kinds, 1) = r.depth AS lengths_ok, count(*)
  FROM credit.related(:e1, 3) r GROUP BY 1, 2, 3;
-- the cycle e1 -> e2 -> e4 -> e1 is walked once
SELECT count(*) AS rows, count(DISTINCT subject_id) AS subjects, bool_or(subject_id = :e1) AS includes_start
  FROM credit.related(:e1, 10);
SELECT max_depth, count(r.subject_id) AS subjects
  FROM generate_series(0, 3) max_depth LEFT JOIN LATERAL credit.related(:e1, max_depth) r ON true
 GROUP BY max_depth ORDER BY max_depth;
-- from the person: the company, then everything around it
SELECT n.name, r.depth, r.kinds FROM credit.related(:p1) r JOIN names n ON n.id = r.subject_id ORDER BY r.depth, n.name;
-- validity dates: on 2024-06-01 the ended relation held, and e2 had no shareholder e1 yet in 2019
SELECT n.name, r.depth, r.kinds FROM credit.related(:p1, 1, date '2024-06-01') r JOIN names n ON n.id = r.subject_id
 ORDER BY n.name;
SELECT n.name, r.depth, r.kinds FROM credit.related(:e1, 1, date '2019-06-01') r JOIN names n ON n.id = r.subject_id
 ORDER BY n.name;
SELECT n.name FROM credit.related(:p1, 1, current_date + 30) r JOIN names n ON n.id = r.subject_id ORDER BY n.name;
-- bad parameters
SELECT pg_temp.try(format('SELECT * FROM credit.related(%s, -1)', :e1)) AS negative_depth;
SELECT pg_temp.try(format('SELECT * FROM credit.related(%s, 11)', :e1)) AS absurd_depth;
SELECT pg_temp.try('SELECT * FROM credit.related(-1)') AS unknown_subject;
SELECT count(*) AS null_subject FROM credit.related(NULL);

-- related_listed: e1 is put on a black list.  Its legal representative,
-- actual controller, the company it holds, its branch and its shareholder are
-- warned; not its director (that kind does not warn), nor the company of an
-- ended or future relation, nor subjects two steps away.
INSERT INTO credit.list_entry (list_code, name, code, listed_on, reason) VALUES
    ('serious_dishonesty', '江阴关联甲机械有限公司', '91320281MA1RE0018L', date '2025-03-01', 'fraudulent subsidy claim');
SELECT n.name, w.level, w.details ->> 'relation' AS relation, w.details ->> 'item_code' AS item,
       w.topic = :e1::text AS topic_is_e1, (w.details ->> 'listed_subject')::bigint = :e1 AS listed_e1
  FROM credit.warning w JOIN names n ON n.id = w.subject_id
 WHERE w.kind = 'related_listed' AND w.resolved_at IS NULL ORDER BY n.name;
-- a second black listing of e1 raises nothing new while those warnings are open
INSERT INTO credit.list_entry (list_code, name, code, listed_on, reason) VALUES
    ('dishonest_debtor', '江阴关联甲机械有限公司', '91320281MA1RE0018L', date '2025-06-01', 'judgment not performed');
SELECT count(*) AS related_open FROM credit.warning w
 WHERE w.kind = 'related_listed' AND w.resolved_at IS NULL AND w.subject_id IN (SELECT id FROM names);
-- a watch list (经营异常名录) warns the subject only
INSERT INTO credit.list_entry (list_code, name, code, listed_on, reason) VALUES
    ('abnormal_operation', '江阴关联乙贸易有限公司', '91320281MA1RE0026F', date '2025-07-01', 'annual report missing');
SELECT n.name, w.kind FROM credit.warning w JOIN names n ON n.id = w.subject_id
 WHERE w.resolved_at IS NULL AND w.kind IN ('listed', 'related_listed') AND w.topic IN (:e2::text, 'list_abnormal_operation')
 ORDER BY n.name, w.kind;
-- a person listed directly as a record (no list entry): the company they
-- control and the association they head are warned, in the other direction
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
VALUES (:p2, 'list_dishonest_debtor', 'rel_amr', current_date - 5, '(2026)苏0281执1号');
SELECT n.name, w.details ->> 'relation' AS relation FROM credit.warning w JOIN names n ON n.id = w.subject_id
 WHERE w.kind = 'related_listed' AND w.resolved_at IS NULL AND w.topic = :p2::text ORDER BY n.name;
-- once resolved, the next black listing of e1 warns the legal representative again
SELECT credit.resolve_warning(w.id, 'checked with the legal representative') AS resolved
  FROM credit.warning w WHERE w.subject_id = :p1 AND w.kind = 'related_listed' AND w.resolved_at IS NULL;
INSERT INTO credit.record (subject_id, item_code, department, decided_on)
VALUES (:e1, 'list_serious_dishonesty', 'rel_amr', current_date - 1);
SELECT n.name, count(*) FILTER (WHERE w.resolved_at IS NULL) AS open, count(*) FILTER (WHERE w.resolved_at IS NOT NULL) AS resolved
  FROM credit.warning w JOIN names n ON n.id = w.subject_id
 WHERE w.kind = 'related_listed' AND w.topic = :e1::text GROUP BY n.name ORDER BY n.name;
-- switched off: a kind that does not warn, or the rule disabled
UPDATE credit.relation_kind SET warns = false WHERE kind = 'principal';
UPDATE credit.warning SET resolved_at = now() WHERE kind = 'related_listed' AND subject_id = :s1;
INSERT INTO credit.record (subject_id, item_code, department, decided_on)
VALUES (:p2, 'list_serious_dishonesty', 'rel_amr', current_date - 1);
SELECT count(*) AS association_warned FROM credit.warning
 WHERE subject_id = :s1 AND kind = 'related_listed' AND resolved_at IS NULL;
UPDATE credit.relation_kind SET warns = true WHERE kind = 'principal';
UPDATE credit.warning_rule SET enabled = false WHERE kind = 'related_listed';
INSERT INTO credit.record (subject_id, item_code, department, decided_on)
VALUES (:p2, 'list_serious_dishonesty', 'rel_amr', current_date - 2);
SELECT count(*) AS association_warned FROM credit.warning
 WHERE subject_id = :s1 AND kind = 'related_listed' AND resolved_at IS NULL;
UPDATE credit.warning_rule SET enabled = true WHERE kind = 'related_listed';
INSERT INTO credit.record (subject_id, item_code, department, decided_on)
VALUES (:p2, 'list_serious_dishonesty', 'rel_amr', current_date - 3);
SELECT count(*) AS association_warned FROM credit.warning
 WHERE subject_id = :s1 AND kind = 'related_listed' AND resolved_at IS NULL;

-- Records for the profile: a public-channel penalty and a market-channel datum of another unit.
INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on, amount) VALUES
    (:e1, 'penalty_general', 'rel_amr', '澄市监罚〔2026〕7号', current_date - 40, 20000),
    (:e1, 'contract_breach', 'rel_bank', 'RB-2026-11', current_date - 60, 150000),
    (:e1, 'honour_county', 'rel_amr', NULL, current_date - 400, NULL);

-- The profile of the enterprise (ids and timestamps left out).
SELECT jsonb_pretty(pg_temp.strip(credit.profile(:e1),
                                  '{id,record_id,relation_id,listed_subject,subject_id,topic,as_of,raised_at,decided_on}'))
       AS profile_e1;
SELECT credit.profile(:e1) -> 'subject' ->> 'id' = :e1::text AS id_ok,
       credit.profile(:e1) ->> 'as_of' = current_date::text AS as_of_today,
       (SELECT array_agg((r ->> 'subject_id')::bigint ORDER BY r ->> 'subject_id')
          FROM jsonb_array_elements(credit.profile(:e1) -> 'relations') r)
         = (SELECT array_agg(subject_id ORDER BY subject_id::text) FROM credit.related(:e1, 1)) AS relations_are_depth_1;
-- no look-up of a person: nothing logged
SELECT count(*) AS logged FROM credit.query_log WHERE subject_id = :e1;

-- Roles.
CREATE ROLE regress_credit_dept_rel_amr NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_credit_rel_clerk LOGIN IN ROLE regress_credit_dept_rel_amr;
CREATE ROLE regress_credit_rel_analyst LOGIN IN ROLE credit_analyst;
CREATE ROLE regress_credit_rel_web LOGIN IN ROLE credit_public;
UPDATE credit.department SET role = 'regress_credit_dept_rel_amr' WHERE code = 'rel_amr';
SELECT count(*) AS log_before FROM credit.query_log \gset

-- An analyst: the person's ID number is masked, and the profile is logged.
SET SESSION AUTHORIZATION regress_credit_rel_analyst;
SELECT jsonb_pretty(pg_temp.strip(credit.profile(:p1) #- '{subject,id}',
                                  '{id,record_id,relation_id,listed_subject,subject_id,topic,as_of,raised_at,decided_on}'))
       AS profile_p1;
SELECT n.name, r.depth FROM credit.related(:p2, 1) r JOIN names n ON n.id = r.subject_id ORDER BY n.name;
SELECT pg_temp.try(format('INSERT INTO credit.relation (from_subject, to_subject, kind) VALUES (%s, %s, %L)',
                          :p3, :e3, 'manager')) AS analyst_writes;
RESET SESSION AUTHORIZATION;
SELECT who, subject_id = :p1 AS p1, purpose, detail FROM credit.query_log ORDER BY id OFFSET :log_before;
-- an administrator (here the superuser) sees the whole number
SELECT credit.profile(:p1) -> 'subject' ->> 'person_id' AS person_id;

-- A unit: counts the records it may read (its own and public-channel ones), sees no warnings,
-- writes its own relations only.
SET SESSION AUTHORIZATION regress_credit_rel_clerk;
SELECT p -> 'records' -> 'total' AS total, p -> 'records' -> 'by_category' AS by_category,
       p ? 'warnings' AS has_warnings, jsonb_array_length(p -> 'relations') AS relations
  FROM credit.profile(:e1) p;
SELECT pg_temp.try(format($q$INSERT INTO credit.relation (from_subject, to_subject, kind, department)
                             VALUES (%s, %s, 'manager', 'rel_amr')$q$, :p3, :e3)) AS own_relation;
SELECT pg_temp.try(format($q$INSERT INTO credit.relation (from_subject, to_subject, kind, department)
                             VALUES (%s, %s, 'supervisor', 'rel_bank')$q$, :p3, :e3)) AS other_units_relation;
WITH u AS (UPDATE credit.relation SET valid_to = current_date WHERE from_subject = :p1 RETURNING 1)
SELECT count(*) AS updated_others FROM u;
SELECT count(*) AS reads_all FROM credit.relation WHERE from_subject IN (SELECT id FROM names) OR to_subject IN (SELECT id FROM names);
RESET SESSION AUTHORIZATION;
SELECT count(*) AS still_open FROM credit.relation WHERE from_subject = :p1 AND to_subject = :e1 AND valid_to IS NULL;
-- the public reads neither relations nor profiles
SET SESSION AUTHORIZATION regress_credit_rel_web;
SELECT pg_temp.try('SELECT count(*) FROM credit.relation') AS read_relations;
SELECT pg_temp.try(format('SELECT * FROM credit.related(%s)', :e1)) AS related;
SELECT pg_temp.try(format('SELECT credit.profile(%s)', :e1)) AS profile;
SELECT pg_temp.try(format('SELECT credit.log_lookup(%s, %L)', :e1, 'curiosity')) AS log_lookup;
RESET SESSION AUTHORIZATION;
SELECT pg_temp.try('SELECT credit.profile(-1)') AS unknown_subject;
SELECT pg_temp.try(format('SELECT credit.log_lookup(%s, %L)', :e1, ' ')) AS no_purpose;
SELECT p.proname, p.provolatile, p.proparallel, p.prosecdef, p.proisstrict FROM pg_proc p
 WHERE p.oid IN ('credit.related(bigint, integer, date)'::regprocedure, 'credit.profile(bigint)'::regprocedure,
                 'credit.log_lookup(bigint, text, jsonb)'::regprocedure)
 ORDER BY 1;

-- BI: what the two units collected this month, and the warnings raised by this test.
SELECT month = date_trunc('month', now())::date AS this_month, department, item_code, category, channel, polarity,
       records, subjects, active, objected, repaired, revoked, expired, published, amount,
       last_decided_on - first_decided_on AS days_covered, last_received_at = now() AS received_now
  FROM credit.v_collection_stats WHERE department IN ('rel_amr', 'rel_bank') ORDER BY department, item_code;
SELECT a.kind, a.level, a.open_warnings - coalesce(b.open_warnings, 0) AS new_open,
       a.resolved_warnings - coalesce(b.resolved_warnings, 0) AS new_resolved,
       a.oldest_open_at IS NOT NULL AS has_oldest_open, a.mean_days_to_resolve IS NOT NULL AS has_mean
  FROM credit.v_warning_summary a LEFT JOIN summary_before b USING (kind, level)
 WHERE a.kind IN ('listed', 'related_listed') ORDER BY a.kind, a.level;


-- The example of docs/relations.md.
INSERT INTO credit.department (code, name) VALUES ('example_amr', 'Market Supervision Bureau (市场监管局)');
INSERT INTO credit.subject (id, kind, name, uscc) VALUES
    (975001, 'enterprise', '江阴示例机械有限公司', '91320281MA1EX001XD'),
    (975002, 'enterprise', '江阴示例贸易有限公司', '91320281MA1EX0028D');
INSERT INTO credit.subject (id, kind, name, person_id) VALUES (975003, 'individual', '顾示例', '320281198002020030');
-- 顾示例 is the legal representative of the machinery company, which holds 60 % of the trading company
INSERT INTO credit.relation (from_subject, to_subject, kind, share, valid_from) VALUES
    (975003, 975001, 'legal_representative', NULL, '2019-05-01'),
    (975001, 975002, 'shareholder', 0.6, '2020-01-01');
SELECT * FROM credit.related(975003);
SELECT * FROM credit.related(975002, 1);
-- the machinery company is put on the serious dishonesty list (严重失信主体名单)
INSERT INTO credit.list_entry (list_code, name, code, listed_on, reason)
VALUES ('serious_dishonesty', '江阴示例机械有限公司', '91320281MA1EX001XD', '2025-03-01', 'fraudulent subsidy claim');
SELECT subject_id, kind, level, topic, details ->> 'relation' AS relation
  FROM credit.warning WHERE kind = 'related_listed' AND topic = '975001' ORDER BY subject_id;
-- the profile of the person, as an analyst reads it (ID number masked; the look-up is logged)
SET SESSION AUTHORIZATION regress_credit_rel_analyst;
SELECT p -> 'subject' AS subject, p -> 'relations' AS relations,
       jsonb_path_query_array(p, '$.warnings[*].kind') AS warnings
  FROM credit.profile(975003) p;
RESET SESSION AUTHORIZATION;
SELECT who, subject_id, purpose FROM credit.query_log WHERE subject_id = 975003 ORDER BY at;

ROLLBACK;
