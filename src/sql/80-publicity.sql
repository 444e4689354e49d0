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

-- What each column of the view holds.
COMMENT ON COLUMN @extschema@.publicity_penalty.record_id IS 'Credit record (credit.record.id)';
COMMENT ON COLUMN @extschema@.publicity_penalty.party_name IS 'Party name (行政相对人名称); an individual''s name as registered';
COMMENT ON COLUMN @extschema@.publicity_penalty.uscc IS 'Party''s unified social credit code (统一社会信用代码), organisations';
COMMENT ON COLUMN @extschema@.publicity_penalty.org_code IS 'Party''s organisation code (组织机构代码), positions 9-17 of the USCC';
COMMENT ON COLUMN @extschema@.publicity_penalty.person_id IS 'Party''s resident ID number, masked (证件号码, 110105********002X)';
COMMENT ON COLUMN @extschema@.publicity_penalty.legal_representative IS 'Legal representative (法定代表人) of the party, as registered (credit.subject.legal_rep)';
COMMENT ON COLUMN @extschema@.publicity_penalty.decision_document_no IS 'Decision document number (决定书文号)';
COMMENT ON COLUMN @extschema@.publicity_penalty.violation_type IS 'Type of violation (违法行为类型)';
COMMENT ON COLUMN @extschema@.publicity_penalty.facts IS 'Facts of the violation (违法事实)';
COMMENT ON COLUMN @extschema@.publicity_penalty.legal_basis IS 'Legal basis of the penalty (处罚依据)';
COMMENT ON COLUMN @extschema@.publicity_penalty.penalty_category IS 'Penalty category (处罚类别): the record''s details, else the catalogue item''s name';
COMMENT ON COLUMN @extschema@.publicity_penalty.content IS 'Content of the penalty (处罚内容)';
COMMENT ON COLUMN @extschema@.publicity_penalty.confiscated_10k_cny IS 'Confiscated illegal gains or property, in 10,000 CNY (没收违法所得、没收非法财物的金额（万元）)';
COMMENT ON COLUMN @extschema@.publicity_penalty.license_suspended_or_revoked IS 'Licence suspended or revoked, name and number (暂扣或吊销证照名称及编号)';
COMMENT ON COLUMN @extschema@.publicity_penalty.severity IS 'Severity of the penalty: minor, general or serious (轻微 / 一般 / 严重)';
COMMENT ON COLUMN @extschema@.publicity_penalty.decided_on IS 'Decision date (处罚决定日期)';
COMMENT ON COLUMN @extschema@.publicity_penalty.deciding_authority IS 'Deciding authority (处罚机关): the unit''s name';
COMMENT ON COLUMN @extschema@.publicity_penalty.deciding_authority_uscc IS 'Deciding authority''s unified social credit code (处罚机关统一社会信用代码)';
COMMENT ON COLUMN @extschema@.publicity_penalty.data_source_unit IS 'Unit the data came from (数据来源单位): details.source_unit, else the deciding unit';
COMMENT ON COLUMN @extschema@.publicity_license.record_id IS 'Credit record (credit.record.id)';
COMMENT ON COLUMN @extschema@.publicity_license.party_name IS 'Party name (行政相对人名称)';
COMMENT ON COLUMN @extschema@.publicity_license.party_category IS 'Kind of party: enterprise, individual, social_org, institution, government';
COMMENT ON COLUMN @extschema@.publicity_license.uscc IS 'Party''s unified social credit code (统一社会信用代码), organisations';
COMMENT ON COLUMN @extschema@.publicity_license.org_code IS 'Party''s organisation code (组织机构代码), positions 9-17 of the USCC';
COMMENT ON COLUMN @extschema@.publicity_license.person_id IS 'Party''s resident ID number, masked (证件号码)';
COMMENT ON COLUMN @extschema@.publicity_license.legal_representative IS 'Legal representative (法定代表人) of the party, as registered (credit.subject.legal_rep)';
COMMENT ON COLUMN @extschema@.publicity_license.decision_document_name IS 'Name of the licence decision document (许可决定文书名称)';
COMMENT ON COLUMN @extschema@.publicity_license.decision_document_no IS 'Licence decision document number (许可决定文书号)';
COMMENT ON COLUMN @extschema@.publicity_license.license_category IS 'Licence category (许可类别): 普通, 特许, 认可, 核准, 登记, 其他';
COMMENT ON COLUMN @extschema@.publicity_license.certificate_name IS 'Licence certificate name (许可证书名称)';
COMMENT ON COLUMN @extschema@.publicity_license.certificate_no IS 'Licence number (许可编号)';
COMMENT ON COLUMN @extschema@.publicity_license.content IS 'Content of the licence (许可内容)';
COMMENT ON COLUMN @extschema@.publicity_license.decided_on IS 'Licence decision date (许可决定日期)';
COMMENT ON COLUMN @extschema@.publicity_license.valid_from IS 'Valid from (有效期自)';
COMMENT ON COLUMN @extschema@.publicity_license.valid_to IS 'Valid to (有效期至); 2099-12-31 means long-term';
COMMENT ON COLUMN @extschema@.publicity_license.licensing_authority IS 'Licensing authority (许可机关): the unit''s name';
COMMENT ON COLUMN @extschema@.publicity_license.licensing_authority_uscc IS 'Licensing authority''s unified social credit code (许可机关统一社会信用代码)';
COMMENT ON COLUMN @extschema@.publicity_license.data_source_unit IS 'Unit the data came from (数据来源单位): details.source_unit, else the deciding unit';
COMMENT ON COLUMN @extschema@.publicity_list.list_code IS 'List code (credit.list.code)';
COMMENT ON COLUMN @extschema@.publicity_list.list_name IS 'List name (名单名称)';
COMMENT ON COLUMN @extschema@.publicity_list.authority IS 'Authority that keeps the list (认定部门)';
COMMENT ON COLUMN @extschema@.publicity_list.legal_representative IS 'Legal representative of a listed organisation (法定代表人), when known';
COMMENT ON COLUMN @extschema@.publicity_list.reason IS 'Reason for the listing (列入原因)';
COMMENT ON COLUMN @extschema@.publicity_list.document_no IS 'Document number of the listing decision (列入文书号)';
