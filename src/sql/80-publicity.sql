-- Double publicity (双公示) views for the public site: only records that are
-- currently published (a state separate from "record exists"), personal ID numbers masked.

-- Whether a record is published on a given day: active or under objection,
-- of a published item, and within its publicity period.
CREATE FUNCTION @extschema@.is_published(status text, publicity_until date, on_day date DEFAULT CURRENT_DATE)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    -- (operators qualified: the body is inlined into the caller's query)
    SELECT status OPERATOR(pg_catalog.=) ANY ('{active,objected}'::pg_catalog.text[])
       AND publicity_until IS NOT NULL AND publicity_until OPERATOR(pg_catalog.>=) on_day
$$;
COMMENT ON FUNCTION @extschema@.is_published(text, date, date) IS
    'True when a record with this status and publicity end date is published on the given day (default today): active or under objection (异议中), and not past its publicity end';

CREATE VIEW @extschema@.publicity_penalty WITH (security_barrier) AS
SELECT r.id                                   AS record_id,
       s.name                                 AS party_name,
       s.kind                                 AS party_category,
       s.uscc                                 AS uscc,
       CASE WHEN s.uscc IS NOT NULL THEN @extschema@.org_code(s.uscc) END AS org_code,
       @extschema@.mask(s.person_id)          AS person_id,
       s.legal_rep                            AS legal_representative,
       r.document_no                          AS decision_document_no,
       r.details ->> 'violation_type'         AS violation_type,
       r.details ->> 'facts'                  AS facts,
       r.details ->> 'legal_basis'            AS legal_basis,
       coalesce(r.details ->> 'penalty_category', c.name) AS penalty_category,
       r.details ->> 'content'                AS content,
       round(r.amount / 10000, 6)             AS fine_10k_cny,
       (r.details ->> 'confiscated')::numeric AS confiscated_10k_cny,
       r.details ->> 'license_revoked'        AS license_suspended_or_revoked,
       c.severity                             AS severity,
       r.decided_on                           AS decided_on,
       r.publicity_until                      AS publicity_until,
       d.name                                 AS deciding_authority,
       d.uscc                                 AS deciding_authority_uscc,
       coalesce(r.details ->> 'source_unit', d.name) AS data_source_unit,
       CASE WHEN r.status = 'objected' THEN 'under objection (异议处理中)' END AS remarks
  FROM @extschema@.record r
  JOIN @extschema@.catalog_item c ON c.code = r.item_code
  JOIN @extschema@.subject s ON s.id = r.subject_id
  JOIN @extschema@.department d ON d.code = r.department
 WHERE c.category = 'penalty'
   AND @extschema@.is_published(r.status, r.publicity_until);
COMMENT ON VIEW @extschema@.publicity_penalty IS
    'Administrative penalties currently in double publicity (行政处罚双公示), with the fields of the double-publicity data standard; personal ID numbers masked';
COMMENT ON COLUMN @extschema@.publicity_penalty.party_category IS 'Kind of subject (行政相对人类别)';
COMMENT ON COLUMN @extschema@.publicity_penalty.fine_10k_cny IS 'Fine amount in 10,000 CNY (罚款金额（万元）)';
COMMENT ON COLUMN @extschema@.publicity_penalty.publicity_until IS 'Last day of publicity (公示截止期)';
COMMENT ON COLUMN @extschema@.publicity_penalty.remarks IS 'Marked while the record is under objection';

CREATE VIEW @extschema@.publicity_license WITH (security_barrier) AS
SELECT r.id                                   AS record_id,
       s.name                                 AS party_name,
       s.kind                                 AS party_category,
       s.uscc                                 AS uscc,
       CASE WHEN s.uscc IS NOT NULL THEN @extschema@.org_code(s.uscc) END AS org_code,
       @extschema@.mask(s.person_id)          AS person_id,
       s.legal_rep                            AS legal_representative,
       r.details ->> 'document_name'          AS decision_document_name,
       r.document_no                          AS decision_document_no,
       r.details ->> 'license_category'       AS license_category,
       r.details ->> 'certificate_name'       AS certificate_name,
       r.details ->> 'certificate_no'         AS certificate_no,
       r.details ->> 'content'                AS content,
       r.decided_on                           AS decided_on,
       (r.details ->> 'valid_from')::date     AS valid_from,
       (r.details ->> 'valid_to')::date       AS valid_to,
       d.name                                 AS licensing_authority,
       d.uscc                                 AS licensing_authority_uscc,
       CASE WHEN r.status = 'objected' THEN 'under objection (异议处理中)' ELSE 'valid (有效)' END AS current_status,
       coalesce(r.details ->> 'source_unit', d.name) AS data_source_unit
  FROM @extschema@.record r
  JOIN @extschema@.catalog_item c ON c.code = r.item_code
  JOIN @extschema@.subject s ON s.id = r.subject_id
  JOIN @extschema@.department d ON d.code = r.department
 WHERE c.category = 'license'
   AND @extschema@.is_published(r.status, r.publicity_until)
   AND coalesce((r.details ->> 'valid_to')::date, 'infinity') >= CURRENT_DATE;
COMMENT ON VIEW @extschema@.publicity_license IS
    'Administrative licences currently in double publicity (行政许可双公示), with the fields of the double-publicity data standard; personal ID numbers masked';
COMMENT ON COLUMN @extschema@.publicity_license.current_status IS 'Current status (当前状态)';

-- Red and black lists (红黑名单) on the public site: the active entries of
-- published lists, and the listings that arrived as credit records of a
-- list's catalogue item (a unit's feed of its list) rather than as entries.
CREATE VIEW @extschema@.publicity_list WITH (security_barrier) AS
SELECT l.code                                 AS list_code,
       l.name                                 AS list_name,
       l.kind                                 AS list_kind,
       l.authority                            AS authority,
       coalesce(s.name, e.name)               AS party_name,
       s.kind                                 AS party_category,
       coalesce(s.uscc::text, CASE WHEN e.code_kind IN ('uscc', 'org_code') THEN e.code_canonical END) AS uscc_or_org_code,
       coalesce(@extschema@.mask(s.person_id),
                CASE WHEN e.code_kind = 'resident_id'
                     THEN @extschema@.mask(e.code_canonical::@extschema@.resident_id) END) AS person_id,
       s.legal_rep                            AS legal_representative,
       e.listed_on                            AS listed_on,
       e.expires_on                           AS expires_on,
       e.reason                               AS reason,
       e.document_no                          AS document_no,
       NULL::text                             AS data_source_unit,
       NULL::text                             AS remarks
  FROM @extschema@.list_entry e
  JOIN @extschema@.list l ON l.code = e.list_code
  LEFT JOIN @extschema@.subject s ON s.id = e.subject_id
 WHERE l.published
   AND @extschema@.list_entry_active(e.listed_on, e.expires_on, e.removed_on)
UNION ALL
SELECT l.code, l.name, l.kind, l.authority,
       s.name, s.kind, s.uscc::text, @extschema@.mask(s.person_id), s.legal_rep,
       r.decided_on, NULL::date, r.details ->> 'reason', r.document_no,
       coalesce(r.details ->> 'source_unit', d.name),
       CASE WHEN r.status = 'objected' THEN 'under objection (异议处理中)' END
  FROM @extschema@.record r
  JOIN @extschema@.list l ON l.item_code = r.item_code
  JOIN @extschema@.subject s ON s.id = r.subject_id
  JOIN @extschema@.department d ON d.code = r.department
 WHERE l.published
   AND r.status IN ('active', 'objected')
   AND r.decided_on <= CURRENT_DATE
   AND NOT (r.details ? 'list_entry');   -- the records of entries are the entries above
COMMENT ON VIEW @extschema@.publicity_list IS
    'Red and black lists currently published (红黑名单公示): active entries of published lists and listings received as credit records of a list''s catalogue item; personal ID numbers masked, pseudonyms never shown';
COMMENT ON COLUMN @extschema@.publicity_list.list_kind IS 'red (守信激励), black (失信惩戒), watch (警示)';
COMMENT ON COLUMN @extschema@.publicity_list.party_name IS 'Name of the listed party (the subject''s name, or the name on an entry not resolved to a subject)';
COMMENT ON COLUMN @extschema@.publicity_list.party_category IS 'Kind of subject (NULL for an entry not resolved to a subject)';
COMMENT ON COLUMN @extschema@.publicity_list.uscc_or_org_code IS 'USCC, or the organisation code an entry names';
COMMENT ON COLUMN @extschema@.publicity_list.person_id IS 'Resident ID number, masked (110105********002X)';
COMMENT ON COLUMN @extschema@.publicity_list.listed_on IS 'First day on the list (列入日期)';
COMMENT ON COLUMN @extschema@.publicity_list.expires_on IS 'Day the listing ends by itself (NULL: until removed)';
COMMENT ON COLUMN @extschema@.publicity_list.data_source_unit IS 'Unit that reported a listing received as a record (NULL for entries: the list''s authority publishes them)';
COMMENT ON COLUMN @extschema@.publicity_list.remarks IS 'Marked while a listing received as a record is under objection';

GRANT SELECT ON @extschema@.publicity_penalty, @extschema@.publicity_license, @extschema@.publicity_list
    TO credit_public, credit_department, credit_analyst, credit_admin;
