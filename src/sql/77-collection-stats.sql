-- BI: what each unit has collected (归集统计, docs/bi.md).

-- One row per month of receipt, unit and catalogue item.  It reads with the
-- caller's rights: a unit counts its own records and the public-channel
-- records it may read; analysts and administrators count everything.
-- (published repeats credit.is_published, which a later part of this script
-- creates: active or under objection, and within the publicity period.)
CREATE VIEW @extschema@.v_collection_stats WITH (security_invoker = true) AS
    SELECT pg_catalog.date_trunc('month', r.created_at)::date AS month,
           r.department,
           d.name AS department_name,
           r.item_code,
           c.name AS item_name,
           c.category,
           c.channel,
           c.polarity,
           count(*) AS records,
           count(DISTINCT r.subject_id) AS subjects,
           count(*) FILTER (WHERE r.status = 'active') AS active,
           count(*) FILTER (WHERE r.status = 'objected') AS objected,
           count(*) FILTER (WHERE r.status = 'repaired') AS repaired,
           count(*) FILTER (WHERE r.status = 'revoked') AS revoked,
           count(*) FILTER (WHERE r.status = 'expired') AS expired,
           count(*) FILTER (WHERE r.status IN ('active', 'objected') AND r.publicity_until >= CURRENT_DATE) AS published,
           sum(r.amount) AS amount,
           min(r.decided_on) AS first_decided_on,
           max(r.decided_on) AS last_decided_on,
           max(r.created_at) AS last_received_at
      FROM @extschema@.record r
      JOIN @extschema@.department d ON d.code = r.department
      JOIN @extschema@.catalog_item c ON c.code = r.item_code
     GROUP BY 1, r.department, d.name, r.item_code, c.name, c.category, c.channel, c.polarity;
COMMENT ON VIEW @extschema@.v_collection_stats IS
    'BI view of collection (归集统计): per month of receipt, unit and catalogue item, how many records arrived, on how many subjects, in which status now, how many are published today, and the dates they cover; reads with the caller''s rights, so a unit counts what it may read';
COMMENT ON COLUMN @extschema@.v_collection_stats.month IS 'First day of the month the records were received (created_at, in the session time zone)';
COMMENT ON COLUMN @extschema@.v_collection_stats.department IS 'Code of the unit that sent the records (credit.department)';
COMMENT ON COLUMN @extschema@.v_collection_stats.department_name IS 'Name of the unit';
COMMENT ON COLUMN @extschema@.v_collection_stats.item_code IS 'Catalogue item (归集目录) of the records';
COMMENT ON COLUMN @extschema@.v_collection_stats.item_name IS 'Name of the catalogue item';
COMMENT ON COLUMN @extschema@.v_collection_stats.category IS 'Category of the item (license and penalty: double publicity, 双公示)';
COMMENT ON COLUMN @extschema@.v_collection_stats.channel IS 'public or market channel';
COMMENT ON COLUMN @extschema@.v_collection_stats.polarity IS 'positive, negative or neutral';
COMMENT ON COLUMN @extschema@.v_collection_stats.records IS 'Records received in the month';
COMMENT ON COLUMN @extschema@.v_collection_stats.subjects IS 'Distinct subjects the records are about';
COMMENT ON COLUMN @extschema@.v_collection_stats.active IS 'Of them, records active now (counted in evaluation)';
COMMENT ON COLUMN @extschema@.v_collection_stats.objected IS 'Of them, records under objection (异议中) now';
COMMENT ON COLUMN @extschema@.v_collection_stats.repaired IS 'Of them, records repaired (信用修复) since';
COMMENT ON COLUMN @extschema@.v_collection_stats.revoked IS 'Of them, records whose decision was revoked';
COMMENT ON COLUMN @extschema@.v_collection_stats.expired IS 'Of them, records expired';
COMMENT ON COLUMN @extschema@.v_collection_stats.published IS 'Of them, records published today (credit.is_published)';
COMMENT ON COLUMN @extschema@.v_collection_stats.amount IS 'Sum of the records'' amounts (e.g. fines, CNY; NULL: none carries one)';
COMMENT ON COLUMN @extschema@.v_collection_stats.first_decided_on IS 'Earliest decision date among the records';
COMMENT ON COLUMN @extschema@.v_collection_stats.last_decided_on IS 'Latest decision date among the records';
COMMENT ON COLUMN @extschema@.v_collection_stats.last_received_at IS 'When the last of the records was received';

GRANT SELECT ON @extschema@.v_collection_stats TO credit_admin, credit_department, credit_analyst;
