-- credit--1.0.sql: assembled by make from src/sql/NN-*.sql; edit those.
\echo Use "CREATE EXTENSION credit" to load this file. \quit
-- The platform's roles (cluster-wide, so created only when missing).
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['credit_admin', 'credit_department', 'credit_analyst', 'credit_public'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END
$$;
GRANT USAGE ON SCHEMA @extschema@ TO credit_admin, credit_department, credit_analyst, credit_public;
-- Helpers every fragment uses.

-- Every per-backend cache built from a configuration table (models, warning
-- rules, measures, scenarios, lists and their entries, the catalogue) is
-- rebuilt in every backend after the table changes: this statement trigger
-- sends a relcache invalidation of the table at commit.
CREATE FUNCTION @extschema@.config_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'credit_relcache_changed' LANGUAGE C;
COMMENT ON FUNCTION @extschema@.config_changed() IS
    'Statement trigger of the configuration tables (models, warning rules, measures, scenarios, lists, list entries, the catalogue): sends a relcache invalidation of the table so every backend rebuilds the caches built from it';

-- IMMUTABLE: the text depends only on the date (never on DateStyle).
CREATE FUNCTION @extschema@.clip(value text) RETURNS text
    AS 'MODULE_PATHNAME', 'credit_clip_sql'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clip(text) IS
    'A value as messages quote it: its first 64 bytes (whole characters) and "..." when longer, as PostgreSQL shows values in the details of its errors';

CREATE FUNCTION @extschema@.subject_missing(subject_id bigint) RETURNS void
    AS 'MODULE_PATHNAME', 'credit_subject_missing_sql'
    LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.subject_missing(bigint) IS
    'Raises the error (22023) every function taking a subject gives when it does not exist or is NULL: "subject N does not exist", "subject NULL does not exist"';

CREATE FUNCTION @extschema@.iso_date(date) RETURNS text
    AS 'MODULE_PATHNAME', 'credit_iso_date'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.iso_date(date) IS
    'A date as ISO 8601 text (YYYY-MM-DD; infinity and -infinity as such) whatever the session''s DateStyle: the form in which the extension''s messages show dates';

-- The settings the extension's SQL code obeys, read through the module (so
-- they are its own superuser-only settings, never a placeholder any role
-- could set before the module was loaded).  STABLE: settings may change
-- between statements.
CREATE FUNCTION @extschema@.restoring() RETURNS boolean
    AS 'MODULE_PATHNAME', 'credit_restoring_setting'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.restoring() IS
    'Whether this session loads a dump (the superuser-only setting credit.restoring): the triggers then keep the loaded rows as they are';
CREATE FUNCTION @extschema@.auto_evaluation() RETURNS boolean
    AS 'MODULE_PATHNAME', 'credit_auto_evaluation_setting'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.auto_evaluation() IS
    'Whether new and changed records are folded into the grades at once (the superuser-only setting credit.auto_evaluation)';

-- Whether the caller runs on a Citus worker for the coordinator (the
-- worker's share of a distributed statement: triggers of shards, the fold
-- at commit there).  Such a transaction may be committed in two phases,
-- which NOTIFY forbids.
CREATE FUNCTION @extschema@.on_citus_worker() RETURNS boolean
    AS 'MODULE_PATHNAME', 'credit_on_citus_worker'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.on_citus_worker() IS
    'Whether the caller runs on a Citus worker for the coordinator (its share of a distributed statement, such as the triggers of a shard); false where Citus is not loaded';

-- Whether the platform is laid out on Citus (credit.distribute has placed
-- credit.subject): the few statements Citus cannot plan take another form
-- there.  Read dynamically, so that it is false where Citus is not installed.
CREATE FUNCTION @extschema@.distributed() RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    placed boolean;
BEGIN
    IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition d WHERE d.logicalrelid OPERATOR(pg_catalog.=) $1)'
       INTO placed USING '@extschema@.subject'::pg_catalog.regclass;
    RETURN placed;
END
$$;
COMMENT ON FUNCTION @extschema@.distributed() IS
    'Whether the platform is distributed on Citus (credit.distribute has placed credit.subject); false where Citus is not installed';
-- credit.uscc: Unified Social Credit Code (统一社会信用代码, GB 32100-2015).

CREATE TYPE @extschema@.uscc;

-- Input reads the GUC credit.uscc_lenient, so it is STABLE (as core date_in is).
CREATE FUNCTION @extschema@.uscc_in(cstring) RETURNS @extschema@.uscc
    AS 'MODULE_PATHNAME', 'uscc_in' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.uscc_out(@extschema@.uscc) RETURNS cstring
    AS 'MODULE_PATHNAME', 'uscc_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.uscc_recv(internal) RETURNS @extschema@.uscc
    AS 'MODULE_PATHNAME', 'uscc_recv' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.uscc_send(@extschema@.uscc) RETURNS bytea
    AS 'MODULE_PATHNAME', 'uscc_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.uscc (
    INPUT = @extschema@.uscc_in,
    OUTPUT = @extschema@.uscc_out,
    RECEIVE = @extschema@.uscc_recv,
    SEND = @extschema@.uscc_send,
    INTERNALLENGTH = 18,
    ALIGNMENT = char,
    STORAGE = plain
);
COMMENT ON TYPE @extschema@.uscc IS
    'Unified Social Credit Code (统一社会信用代码, GB 32100-2015): 18 canonical characters; input accepts white space, lower case, full-width characters and hyphens';
COMMENT ON FUNCTION @extschema@.uscc_in(cstring) IS 'Text input of credit.uscc (lenient forms, strict validation)';
COMMENT ON FUNCTION @extschema@.uscc_out(@extschema@.uscc) IS 'Text output of credit.uscc (canonical 18 characters)';
COMMENT ON FUNCTION @extschema@.uscc_recv(internal) IS 'Binary input of credit.uscc (canonical 18 bytes, validated as text input)';
COMMENT ON FUNCTION @extschema@.uscc_send(@extschema@.uscc) IS 'Binary output of credit.uscc (canonical 18 bytes)';

CREATE CAST (@extschema@.uscc AS text) WITH INOUT AS ASSIGNMENT;
CREATE CAST (text AS @extschema@.uscc) WITH INOUT;
COMMENT ON CAST (@extschema@.uscc AS text) IS 'The canonical 18 characters';
COMMENT ON CAST (text AS @extschema@.uscc) IS 'Parse and validate a USCC (same rules as input)';

-- Validation and accessors.
CREATE FUNCTION @extschema@.uscc_check(text) RETURNS text
    AS 'MODULE_PATHNAME', 'uscc_check_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.uscc_check(text) IS
    'NULL when the text is a valid USCC, else the reason (wrong length, bad character at position N, check character should be X, organisation-code check should be Y); strict: ignores credit.uscc_lenient; never raises';
CREATE FUNCTION @extschema@.org_code(@extschema@.uscc) RETURNS text
    AS 'MODULE_PATHNAME', 'uscc_org_code' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.org_code(@extschema@.uscc) IS
    'Embedded organisation code (组织机构代码, GB 11714), positions 9-17, 9 characters without hyphen (human form xxxxxxxx-X); matches old records to USCC holders';
CREATE FUNCTION @extschema@.division_code(@extschema@.uscc) RETURNS text
    AS 'MODULE_PATHNAME', 'uscc_division_code' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.division_code(@extschema@.uscc) IS
    'Administrative division code (行政区划代码, GB/T 2260) of the registering authority, positions 3-8';
CREATE FUNCTION @extschema@.uscc_entity(@extschema@.uscc) RETURNS text
    AS 'MODULE_PATHNAME', 'uscc_entity' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.uscc_entity(@extschema@.uscc) IS
    'Registration authority and entity type (登记管理部门代码 + 机构类别代码), positions 1-2, e.g. 91 enterprise';

-- Comparison.
CREATE FUNCTION @extschema@.uscc_eq(@extschema@.uscc, @extschema@.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'uscc_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.uscc_ne(@extschema@.uscc, @extschema@.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'uscc_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.uscc_lt(@extschema@.uscc, @extschema@.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'uscc_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.uscc_le(@extschema@.uscc, @extschema@.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'uscc_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.uscc_gt(@extschema@.uscc, @extschema@.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'uscc_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.uscc_ge(@extschema@.uscc, @extschema@.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'uscc_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.uscc_cmp(@extschema@.uscc, @extschema@.uscc) RETURNS integer
    AS 'MODULE_PATHNAME', 'uscc_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.uscc_hash(@extschema@.uscc) RETURNS integer
    AS 'MODULE_PATHNAME', 'uscc_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.uscc_hash_extended(@extschema@.uscc, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'uscc_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.uscc_eq(@extschema@.uscc, @extschema@.uscc) IS 'Implementation of = for credit.uscc';
COMMENT ON FUNCTION @extschema@.uscc_ne(@extschema@.uscc, @extschema@.uscc) IS 'Implementation of <> for credit.uscc';
COMMENT ON FUNCTION @extschema@.uscc_lt(@extschema@.uscc, @extschema@.uscc) IS 'Implementation of < for credit.uscc';
COMMENT ON FUNCTION @extschema@.uscc_le(@extschema@.uscc, @extschema@.uscc) IS 'Implementation of <= for credit.uscc';
COMMENT ON FUNCTION @extschema@.uscc_gt(@extschema@.uscc, @extschema@.uscc) IS 'Implementation of > for credit.uscc';
COMMENT ON FUNCTION @extschema@.uscc_ge(@extschema@.uscc, @extschema@.uscc) IS 'Implementation of >= for credit.uscc';
COMMENT ON FUNCTION @extschema@.uscc_cmp(@extschema@.uscc, @extschema@.uscc) IS 'btree comparison of credit.uscc (order of the canonical text)';
COMMENT ON FUNCTION @extschema@.uscc_hash(@extschema@.uscc) IS 'hash of credit.uscc';
COMMENT ON FUNCTION @extschema@.uscc_hash_extended(@extschema@.uscc, bigint) IS 'Seeded 64-bit hash of credit.uscc (hash partitioning)';

-- The comparison operators live in pg_catalog, as those of built-in types
-- do: `WHERE uscc = '...'` then resolves for every role whatever its
-- search_path (pg_catalog is always searched), and code that runs as the
-- owner names them OPERATOR(pg_catalog.=) like any built-in operator.
-- They are members of the extension (dropped with it, not dumped); the
-- argument types keep them apart from every other operator of that name.
CREATE OPERATOR pg_catalog.= (
    LEFTARG = @extschema@.uscc, RIGHTARG = @extschema@.uscc, PROCEDURE = @extschema@.uscc_eq,
    COMMUTATOR = OPERATOR(pg_catalog.=), NEGATOR = OPERATOR(pg_catalog.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR pg_catalog.<> (
    LEFTARG = @extschema@.uscc, RIGHTARG = @extschema@.uscc, PROCEDURE = @extschema@.uscc_ne,
    COMMUTATOR = OPERATOR(pg_catalog.<>), NEGATOR = OPERATOR(pg_catalog.=),
    RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR pg_catalog.< (
    LEFTARG = @extschema@.uscc, RIGHTARG = @extschema@.uscc, PROCEDURE = @extschema@.uscc_lt,
    COMMUTATOR = OPERATOR(pg_catalog.>), NEGATOR = OPERATOR(pg_catalog.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR pg_catalog.<= (
    LEFTARG = @extschema@.uscc, RIGHTARG = @extschema@.uscc, PROCEDURE = @extschema@.uscc_le,
    COMMUTATOR = OPERATOR(pg_catalog.>=), NEGATOR = OPERATOR(pg_catalog.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR pg_catalog.> (
    LEFTARG = @extschema@.uscc, RIGHTARG = @extschema@.uscc, PROCEDURE = @extschema@.uscc_gt,
    COMMUTATOR = OPERATOR(pg_catalog.<), NEGATOR = OPERATOR(pg_catalog.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR pg_catalog.>= (
    LEFTARG = @extschema@.uscc, RIGHTARG = @extschema@.uscc, PROCEDURE = @extschema@.uscc_ge,
    COMMUTATOR = OPERATOR(pg_catalog.<=), NEGATOR = OPERATOR(pg_catalog.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel);
COMMENT ON OPERATOR pg_catalog.= (@extschema@.uscc, @extschema@.uscc) IS 'equal (order of the canonical text)';
COMMENT ON OPERATOR pg_catalog.<> (@extschema@.uscc, @extschema@.uscc) IS 'not equal (order of the canonical text)';
COMMENT ON OPERATOR pg_catalog.< (@extschema@.uscc, @extschema@.uscc) IS 'less than (order of the canonical text)';
COMMENT ON OPERATOR pg_catalog.<= (@extschema@.uscc, @extschema@.uscc) IS 'less than or equal (order of the canonical text)';
COMMENT ON OPERATOR pg_catalog.> (@extschema@.uscc, @extschema@.uscc) IS 'greater than (order of the canonical text)';
COMMENT ON OPERATOR pg_catalog.>= (@extschema@.uscc, @extschema@.uscc) IS 'greater than or equal (order of the canonical text)';

CREATE OPERATOR CLASS @extschema@.uscc_ops DEFAULT FOR TYPE @extschema@.uscc USING btree AS
    OPERATOR 1 pg_catalog.<,
    OPERATOR 2 pg_catalog.<=,
    OPERATOR 3 pg_catalog.=,
    OPERATOR 4 pg_catalog.>=,
    OPERATOR 5 pg_catalog.>,
    FUNCTION 1 @extschema@.uscc_cmp(@extschema@.uscc, @extschema@.uscc);
CREATE OPERATOR CLASS @extschema@.uscc_hash_ops DEFAULT FOR TYPE @extschema@.uscc USING hash AS
    OPERATOR 1 pg_catalog.=,
    FUNCTION 1 @extschema@.uscc_hash(@extschema@.uscc),
    FUNCTION 2 @extschema@.uscc_hash_extended(@extschema@.uscc, bigint);
COMMENT ON OPERATOR CLASS @extschema@.uscc_ops USING btree IS 'Default btree operator class of credit.uscc';
COMMENT ON OPERATOR CLASS @extschema@.uscc_hash_ops USING hash IS 'Default hash operator class of credit.uscc (with extended hash: hash partitioning)';

-- Registration authorities and entity types (positions 1-2): data, because
-- the list changes; input validation does not use it.
CREATE TABLE @extschema@.uscc_entity_type (
    authority       text NOT NULL CHECK (authority ~ '^[1-9ANY]$'),
    entity_type     text NOT NULL CHECK (entity_type ~ '^[0-9A-HJ-NPQRTUWXY]$'),
    authority_name  text NOT NULL,
    name            text NOT NULL,
    seeded          boolean NOT NULL DEFAULT false,
    PRIMARY KEY (authority, entity_type)
);
COMMENT ON TABLE @extschema@.uscc_entity_type IS
    'USCC registration authority (position 1, 登记管理部门) and entity type (position 2, 机构类别) with their names (GB 32100-2015 and later assignments); edit it when new codes are assigned';
COMMENT ON COLUMN @extschema@.uscc_entity_type.authority IS 'Position 1 of the USCC';
COMMENT ON COLUMN @extschema@.uscc_entity_type.entity_type IS 'Position 2 of the USCC';
COMMENT ON COLUMN @extschema@.uscc_entity_type.authority_name IS 'Registration authority';
COMMENT ON COLUMN @extschema@.uscc_entity_type.name IS 'Entity type';
COMMENT ON COLUMN @extschema@.uscc_entity_type.seeded IS 'Row installed by the extension (pg_dump keeps only the other rows)';
INSERT INTO @extschema@.uscc_entity_type (authority, entity_type, authority_name, name, seeded)
SELECT v.*, true FROM (VALUES
    ('1', '1', 'institutional establishment (机构编制)', 'government organ (机关)'),
    ('1', '2', 'institutional establishment (机构编制)', 'public institution (事业单位)'),
    ('1', '3', 'institutional establishment (机构编制)', 'mass organisation under the central establishment office (中央编办直接管理机构编制的群众团体)'),
    ('1', '9', 'institutional establishment (机构编制)', 'other (其他)'),
    ('2', '1', 'foreign affairs (外交)', 'resident office of a foreign news agency (外国常驻新闻机构)'),
    ('2', '9', 'foreign affairs (外交)', 'other (其他)'),
    ('3', '1', 'justice administration (司法行政)', 'law firm (律师执业机构)'),
    ('3', '2', 'justice administration (司法行政)', 'notary office (公证处)'),
    ('3', '3', 'justice administration (司法行政)', 'grassroots legal service office (基层法律服务所)'),
    ('3', '4', 'justice administration (司法行政)', 'judicial appraisal institution (司法鉴定机构)'),
    ('3', '5', 'justice administration (司法行政)', 'arbitration commission (仲裁委员会)'),
    ('3', '9', 'justice administration (司法行政)', 'other (其他)'),
    ('4', '1', 'culture (文化)', 'foreign cultural centre in China (外国在华文化中心)'),
    ('4', '9', 'culture (文化)', 'other (其他)'),
    ('5', '1', 'civil affairs (民政)', 'social organisation (社会团体)'),
    ('5', '2', 'civil affairs (民政)', 'private non-enterprise unit (民办非企业单位)'),
    ('5', '3', 'civil affairs (民政)', 'foundation (基金会)'),
    ('5', '9', 'civil affairs (民政)', 'other (其他)'),
    ('6', '1', 'tourism (旅游)', 'resident office of a foreign tourism department (外国旅游部门常驻代表机构)'),
    ('6', '2', 'tourism (旅游)', 'resident office of a Hong Kong, Macao or Taiwan tourism department (港澳台地区旅游部门常驻内地代表机构)'),
    ('6', '9', 'tourism (旅游)', 'other (其他)'),
    ('7', '1', 'religious affairs (宗教)', 'religious venue (宗教活动场所)'),
    ('7', '2', 'religious affairs (宗教)', 'religious school (宗教院校)'),
    ('7', '9', 'religious affairs (宗教)', 'other (其他)'),
    ('8', '1', 'trade unions (工会)', 'grassroots trade union (基层工会)'),
    ('8', '9', 'trade unions (工会)', 'other (其他)'),
    ('9', '1', 'market regulation (工商)', 'enterprise (企业)'),
    ('9', '2', 'market regulation (工商)', 'individual business (个体工商户)'),
    ('9', '3', 'market regulation (工商)', 'farmers'' specialised cooperative (农民专业合作社)'),
    ('A', '1', 'military establishment (中央军委改革和编制办公室)', 'military public institution (军队事业单位)'),
    ('A', '9', 'military establishment (中央军委改革和编制办公室)', 'other (其他)'),
    ('N', '1', 'agriculture (农业)', 'group-level collective economic organisation (组级集体经济组织)'),
    ('N', '2', 'agriculture (农业)', 'village-level collective economic organisation (村级集体经济组织)'),
    ('N', '3', 'agriculture (农业)', 'township-level collective economic organisation (乡镇级集体经济组织)'),
    ('N', '9', 'agriculture (农业)', 'other (其他)'),
    ('Y', '1', 'other authorities (其他)', 'other (其他)')) AS v;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.uscc_entity_type', 'WHERE NOT seeded');
GRANT SELECT ON @extschema@.uscc_entity_type TO credit_admin, credit_department, credit_analyst, credit_public;
GRANT INSERT, UPDATE, DELETE ON @extschema@.uscc_entity_type TO credit_admin;

CREATE FUNCTION @extschema@.uscc_entity_name(code @extschema@.uscc) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN (SELECT t.name FROM @extschema@.uscc_entity_type t
            WHERE t.authority = substr(@extschema@.uscc_entity(code), 1, 1)
              AND t.entity_type = substr(@extschema@.uscc_entity(code), 2, 1));
COMMENT ON FUNCTION @extschema@.uscc_entity_name(@extschema@.uscc) IS
    'Name of the entity type of a USCC (positions 1-2) from credit.uscc_entity_type; NULL when not listed';
-- credit.resident_id: resident identity number (居民身份证号码, GB 11643-1999).
-- Pass-by-value: the integer of the first 17 digits; output recomputes the check character.

CREATE TYPE @extschema@.resident_id;

-- Input refuses birth dates after today, so it is STABLE (as core date_in is).
CREATE FUNCTION @extschema@.resident_id_in(cstring) RETURNS @extschema@.resident_id
    AS 'MODULE_PATHNAME', 'resident_id_in' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.resident_id_out(@extschema@.resident_id) RETURNS cstring
    AS 'MODULE_PATHNAME', 'resident_id_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.resident_id_recv(internal) RETURNS @extschema@.resident_id
    AS 'MODULE_PATHNAME', 'resident_id_recv' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.resident_id_send(@extschema@.resident_id) RETURNS bytea
    AS 'MODULE_PATHNAME', 'resident_id_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.resident_id (
    INPUT = @extschema@.resident_id_in,
    OUTPUT = @extschema@.resident_id_out,
    RECEIVE = @extschema@.resident_id_recv,
    SEND = @extschema@.resident_id_send,
    INTERNALLENGTH = 8,
    PASSEDBYVALUE,
    ALIGNMENT = double,
    STORAGE = plain
);
COMMENT ON TYPE @extschema@.resident_id IS
    'Resident identity number (居民身份证号码, GB 11643-1999); input accepts the old 15-digit form, lower-case x, white space, full-width digits and hyphens';
COMMENT ON FUNCTION @extschema@.resident_id_in(cstring) IS 'Text input of credit.resident_id (lenient forms, strict validation)';
COMMENT ON FUNCTION @extschema@.resident_id_out(@extschema@.resident_id) IS 'Text output of credit.resident_id (canonical 18 characters)';
COMMENT ON FUNCTION @extschema@.resident_id_recv(internal) IS 'Binary input of credit.resident_id (int8 of the 17 digits, validated as text input)';
COMMENT ON FUNCTION @extschema@.resident_id_send(@extschema@.resident_id) IS 'Binary output of credit.resident_id (int8 of the 17 digits)';

CREATE CAST (@extschema@.resident_id AS text) WITH INOUT AS ASSIGNMENT;
CREATE CAST (text AS @extschema@.resident_id) WITH INOUT;
COMMENT ON CAST (@extschema@.resident_id AS text) IS 'The canonical 18 characters';
COMMENT ON CAST (text AS @extschema@.resident_id) IS 'Parse and validate a resident ID number (same rules as input)';

-- Validation and accessors.
CREATE FUNCTION @extschema@.resident_id_check(text) RETURNS text
    AS 'MODULE_PATHNAME', 'resident_id_check_text' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.resident_id_check(text) IS
    'NULL when the text is a valid resident ID number, else the reason (wrong length, bad character, unknown province prefix, invalid birth date, check character should be X); never raises; STABLE because birth dates after today are refused';
CREATE FUNCTION @extschema@.birth_date(@extschema@.resident_id) RETURNS date
    AS 'MODULE_PATHNAME', 'resident_id_birth_date' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.birth_date(@extschema@.resident_id) IS 'Date of birth (positions 7-14)';
CREATE FUNCTION @extschema@.sex(@extschema@.resident_id) RETURNS text
    AS 'MODULE_PATHNAME', 'resident_id_sex' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.sex(@extschema@.resident_id) IS 'M or F from the sequence number (position 17: odd male, even female)';
CREATE FUNCTION @extschema@.division_code(@extschema@.resident_id) RETURNS text
    AS 'MODULE_PATHNAME', 'resident_id_division_code' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.division_code(@extschema@.resident_id) IS
    'Address code (行政区划代码, GB/T 2260) of the place of household registration at issue, positions 1-6';
CREATE FUNCTION @extschema@.mask(@extschema@.resident_id) RETURNS text
    AS 'MODULE_PATHNAME', 'resident_id_mask' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.mask(@extschema@.resident_id) IS
    'The number with its birth date hidden, e.g. 110105********002X, for roles that have no need of the whole number';

-- Comparison: integer order of the 17 digits equals text order of the canonical form.
CREATE FUNCTION @extschema@.resident_id_eq(@extschema@.resident_id, @extschema@.resident_id) RETURNS boolean
    AS 'MODULE_PATHNAME', 'resident_id_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.resident_id_ne(@extschema@.resident_id, @extschema@.resident_id) RETURNS boolean
    AS 'MODULE_PATHNAME', 'resident_id_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.resident_id_lt(@extschema@.resident_id, @extschema@.resident_id) RETURNS boolean
    AS 'MODULE_PATHNAME', 'resident_id_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.resident_id_le(@extschema@.resident_id, @extschema@.resident_id) RETURNS boolean
    AS 'MODULE_PATHNAME', 'resident_id_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.resident_id_gt(@extschema@.resident_id, @extschema@.resident_id) RETURNS boolean
    AS 'MODULE_PATHNAME', 'resident_id_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.resident_id_ge(@extschema@.resident_id, @extschema@.resident_id) RETURNS boolean
    AS 'MODULE_PATHNAME', 'resident_id_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.resident_id_cmp(@extschema@.resident_id, @extschema@.resident_id) RETURNS integer
    AS 'MODULE_PATHNAME', 'resident_id_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.resident_id_hash(@extschema@.resident_id) RETURNS integer
    AS 'MODULE_PATHNAME', 'resident_id_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.resident_id_hash_extended(@extschema@.resident_id, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'resident_id_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.resident_id_eq(@extschema@.resident_id, @extschema@.resident_id) IS 'Implementation of = for credit.resident_id';
COMMENT ON FUNCTION @extschema@.resident_id_ne(@extschema@.resident_id, @extschema@.resident_id) IS 'Implementation of <> for credit.resident_id';
COMMENT ON FUNCTION @extschema@.resident_id_lt(@extschema@.resident_id, @extschema@.resident_id) IS 'Implementation of < for credit.resident_id';
COMMENT ON FUNCTION @extschema@.resident_id_le(@extschema@.resident_id, @extschema@.resident_id) IS 'Implementation of <= for credit.resident_id';
COMMENT ON FUNCTION @extschema@.resident_id_gt(@extschema@.resident_id, @extschema@.resident_id) IS 'Implementation of > for credit.resident_id';
COMMENT ON FUNCTION @extschema@.resident_id_ge(@extschema@.resident_id, @extschema@.resident_id) IS 'Implementation of >= for credit.resident_id';
COMMENT ON FUNCTION @extschema@.resident_id_cmp(@extschema@.resident_id, @extschema@.resident_id) IS 'btree comparison of credit.resident_id';
COMMENT ON FUNCTION @extschema@.resident_id_hash(@extschema@.resident_id) IS 'hash of credit.resident_id';
COMMENT ON FUNCTION @extschema@.resident_id_hash_extended(@extschema@.resident_id, bigint) IS 'Seeded 64-bit hash of credit.resident_id (hash partitioning)';

-- In pg_catalog, as credit.uscc's (see there).
CREATE OPERATOR pg_catalog.= (
    LEFTARG = @extschema@.resident_id, RIGHTARG = @extschema@.resident_id, PROCEDURE = @extschema@.resident_id_eq,
    COMMUTATOR = OPERATOR(pg_catalog.=), NEGATOR = OPERATOR(pg_catalog.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR pg_catalog.<> (
    LEFTARG = @extschema@.resident_id, RIGHTARG = @extschema@.resident_id, PROCEDURE = @extschema@.resident_id_ne,
    COMMUTATOR = OPERATOR(pg_catalog.<>), NEGATOR = OPERATOR(pg_catalog.=),
    RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR pg_catalog.< (
    LEFTARG = @extschema@.resident_id, RIGHTARG = @extschema@.resident_id, PROCEDURE = @extschema@.resident_id_lt,
    COMMUTATOR = OPERATOR(pg_catalog.>), NEGATOR = OPERATOR(pg_catalog.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR pg_catalog.<= (
    LEFTARG = @extschema@.resident_id, RIGHTARG = @extschema@.resident_id, PROCEDURE = @extschema@.resident_id_le,
    COMMUTATOR = OPERATOR(pg_catalog.>=), NEGATOR = OPERATOR(pg_catalog.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR pg_catalog.> (
    LEFTARG = @extschema@.resident_id, RIGHTARG = @extschema@.resident_id, PROCEDURE = @extschema@.resident_id_gt,
    COMMUTATOR = OPERATOR(pg_catalog.<), NEGATOR = OPERATOR(pg_catalog.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR pg_catalog.>= (
    LEFTARG = @extschema@.resident_id, RIGHTARG = @extschema@.resident_id, PROCEDURE = @extschema@.resident_id_ge,
    COMMUTATOR = OPERATOR(pg_catalog.<=), NEGATOR = OPERATOR(pg_catalog.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel);
COMMENT ON OPERATOR pg_catalog.= (@extschema@.resident_id, @extschema@.resident_id) IS 'equal (order of the canonical text)';
COMMENT ON OPERATOR pg_catalog.<> (@extschema@.resident_id, @extschema@.resident_id) IS 'not equal (order of the canonical text)';
COMMENT ON OPERATOR pg_catalog.< (@extschema@.resident_id, @extschema@.resident_id) IS 'less than (order of the canonical text)';
COMMENT ON OPERATOR pg_catalog.<= (@extschema@.resident_id, @extschema@.resident_id) IS 'less than or equal (order of the canonical text)';
COMMENT ON OPERATOR pg_catalog.> (@extschema@.resident_id, @extschema@.resident_id) IS 'greater than (order of the canonical text)';
COMMENT ON OPERATOR pg_catalog.>= (@extschema@.resident_id, @extschema@.resident_id) IS 'greater than or equal (order of the canonical text)';

CREATE OPERATOR CLASS @extschema@.resident_id_ops DEFAULT FOR TYPE @extschema@.resident_id USING btree AS
    OPERATOR 1 pg_catalog.<,
    OPERATOR 2 pg_catalog.<=,
    OPERATOR 3 pg_catalog.=,
    OPERATOR 4 pg_catalog.>=,
    OPERATOR 5 pg_catalog.>,
    FUNCTION 1 @extschema@.resident_id_cmp(@extschema@.resident_id, @extschema@.resident_id);
CREATE OPERATOR CLASS @extschema@.resident_id_hash_ops DEFAULT FOR TYPE @extschema@.resident_id USING hash AS
    OPERATOR 1 pg_catalog.=,
    FUNCTION 1 @extschema@.resident_id_hash(@extschema@.resident_id),
    FUNCTION 2 @extschema@.resident_id_hash_extended(@extschema@.resident_id, bigint);
COMMENT ON OPERATOR CLASS @extschema@.resident_id_ops USING btree IS 'Default btree operator class of credit.resident_id';
COMMENT ON OPERATOR CLASS @extschema@.resident_id_hash_ops USING hash IS 'Default hash operator class of credit.resident_id (with extended hash: hash partitioning)';
-- Name keys (credit.normalize_name), name similarity and pseudonyms.

-- IMMUTABLE: the key depends only on the argument, the hand-written rules of
-- this extension version and the ICU data of the installed libicu.  Within
-- an installation it never changes, so it may back expression indexes and the
-- stored credit.subject.name_key; after an ICU upgrade (see
-- credit.normalize_name_version()), rebuild such keys and indexes, exactly as
-- PostgreSQL asks for indexes on ICU collations.
CREATE FUNCTION @extschema@.normalize_name(text) RETURNS text
    AS 'MODULE_PATHNAME', 'credit_normalize_name'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.normalize_name(text) IS
    'Matching key of an organisation or person name (名称规范化): ICU NFKC with case folding (full-width → half-width), Traditional → Simplified, brackets unified to (), other punctuation and white space removed, legal forms unified (有限责任公司 → 有限公司, (集团) → 集团, 普通合伙 → (普通合伙), trailing branch brackets dropped)';

CREATE FUNCTION @extschema@.normalize_name_version() RETURNS text
    AS 'MODULE_PATHNAME', 'credit_normalize_name_version'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.normalize_name_version() IS
    'Version of the normalisation rules and of the ICU library; when it changes, stored name keys and indexes on credit.normalize_name should be rebuilt';

-- IMMUTABLE for the same reason as normalize_name.
CREATE FUNCTION @extschema@.name_similarity(text, text) RETURNS real
    AS 'MODULE_PATHNAME', 'credit_name_similarity'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.name_similarity(text, text) IS
    'Similarity (0-1) of two names (名称相似度): weighted Dice coefficient of the character unigrams and bigrams of their normalised keys; grams of the region prefix (江苏省江阴市) weigh 0.2, of the legal-form suffix (有限公司, (普通合伙)) 0.15, of the distinctive core 1; times 0.85 when both name different regions';

-- VOLATILE: the pseudonym of a person's ID number is logged for roles that may
-- not read whole numbers (a look-up of that person, by the audit worker).
CREATE FUNCTION @extschema@.pseudonym(text) RETURNS bytea
    AS 'MODULE_PATHNAME', 'credit_pseudonym'
    LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.pseudonym(text) IS
    'Pseudonym (去标识化) of an identifier: HMAC-SHA256 under the superuser-only GUC credit.pseudonym_key of the canonical USCC or resident ID number (15-digit IDs converted, white space, case and full-width ignored), or of other text as given. The pseudonym of a resident ID number is logged in credit.query_log as a look-up of that person for roles that may not read whole numbers';

REVOKE ALL ON FUNCTION @extschema@.pseudonym(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.pseudonym(text) TO credit_admin, credit_department, credit_analyst;
GRANT EXECUTE ON FUNCTION @extschema@.normalize_name(text), @extschema@.name_similarity(text, text),
    @extschema@.normalize_name_version()
    TO credit_admin, credit_department, credit_analyst, credit_public;
-- Core schema: departments, subjects, the collection catalogue and records.

CREATE TYPE @extschema@.subject_kind AS ENUM
    ('government', 'enterprise', 'individual', 'social_org', 'institution');
COMMENT ON TYPE @extschema@.subject_kind IS
    'The five kinds of credit subject: government departments (政务), enterprises (企业), individuals (自然人), social organisations (社会组织), public institutions (事业单位)';

-- Departments and towns that share the platform.
CREATE TABLE @extschema@.department (
    code        text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9_.-]{1,40}$'),
    name        text NOT NULL,
    uscc        @extschema@.uscc,
    role        name,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.department IS
    'Units (departments and towns) that share the platform (共享单位); members of role act for the unit and row-level security keys on it';
COMMENT ON COLUMN @extschema@.department.role IS
    'Database role whose members act for this unit; NULL: only administrators act for it';

-- Credit subjects: the legal-person library (with a USCC) and the
-- natural-person library (with a resident ID number).
CREATE TABLE @extschema@.subject (
    id            bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    kind          @extschema@.subject_kind NOT NULL,
    name          text NOT NULL CHECK (pg_catalog.length(pg_catalog.btrim(name)) > 0)
                  CONSTRAINT subject_name_length CHECK (pg_catalog.length(name) <= 500),
    name_key      text CONSTRAINT subject_name_key_length CHECK (pg_catalog.octet_length(name_key) <= 2000),
    uscc          @extschema@.uscc,
    person_id     @extschema@.resident_id,
    division      text,
    industries    text[] NOT NULL DEFAULT '{}',
    legal_rep     text,
    registered_on date,
    status        text NOT NULL DEFAULT 'active'
                  CHECK (status IN ('active', 'deregistered', 'revoked', 'deceased')),
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    registered_by text NOT NULL DEFAULT 'platform' REFERENCES @extschema@.department (code) ON UPDATE CASCADE,
    CHECK (person_id IS NULL OR kind = 'individual'),
    CHECK (uscc IS NULL OR kind <> 'individual')
);
COMMENT ON TABLE @extschema@.subject IS
    'Credit subjects (信用主体) of the five kinds; the legal-person library (法人库) holds those with a USCC, the natural-person library (自然人库) those with a resident ID number';
COMMENT ON COLUMN @extschema@.subject.name_key IS 'Matching key of the name: credit.normalize_name(name), maintained automatically';
COMMENT ON COLUMN @extschema@.subject.division IS 'GB/T 2260 administrative division code, derived from the USCC or ID number when not given';
COMMENT ON COLUMN @extschema@.subject.registered_by IS
    'Unit that registered the subject and keeps its master data (name, status, industries, legal representative): the registering clerk''s only unit by default, platform for administrators; other units send their changes through an administrator';
COMMENT ON COLUMN @extschema@.subject.industries IS 'Industry codes the subject is supervised under (行业), e.g. {construction,work_safety}';
-- The division (GB/T 2260) of a subject given without one: from its USCC
-- (positions 3-8, the registering authority) or its ID number (first six).
CREATE FUNCTION @extschema@.subject_division() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- a restore (credit.restoring) loads subjects as dumped
    IF NEW.division IS NULL AND NOT @extschema@.restoring() THEN
        NEW.division := coalesce(@extschema@.division_code(NEW.uscc), @extschema@.division_code(NEW.person_id));
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.subject_division() IS
    'Trigger of credit.subject: a subject without a division gets the one of its USCC or resident ID number';
CREATE TRIGGER subject_division BEFORE INSERT OR UPDATE OF division, uscc, person_id ON @extschema@.subject
    FOR EACH ROW EXECUTE FUNCTION @extschema@.subject_division();
-- The codes of subjects (主体标识): a USCC or a resident ID number names one
-- subject.  The uniqueness is kept in a table keyed by the code rather than by
-- unique constraints on credit.subject, so that it still holds when subjects
-- are spread over partitions or nodes by id (a distributed table's unique
-- keys must contain its distribution column).  The statement triggers below
-- maintain it and refuse a code that names another subject with the error a
-- unique constraint of credit.subject would raise (23505, constraint
-- subject_uscc_key or subject_person_id_key).
CREATE TABLE @extschema@.subject_code (
    code        text NOT NULL,
    code_kind   text NOT NULL CHECK (code_kind IN ('uscc', 'person_id')),
    subject_id  bigint NOT NULL,
    PRIMARY KEY (code, code_kind)
);
COMMENT ON TABLE @extschema@.subject_code IS
    'The codes of subjects: each USCC (code_kind uscc) and resident ID number (person_id) of credit.subject, canonical, with the one subject it names; maintained by the triggers of credit.subject, which refuse a second subject with the same code (SQLSTATE 23505)';
COMMENT ON COLUMN @extschema@.subject_code.code IS 'The canonical code (credit.subject.uscc or person_id as text)';
COMMENT ON COLUMN @extschema@.subject_code.code_kind IS 'Which column of credit.subject holds the code: uscc or person_id';
COMMENT ON COLUMN @extschema@.subject_code.subject_id IS 'The subject the code names (credit.subject.id)';
CREATE INDEX subject_code_subject_idx ON @extschema@.subject_code (subject_id);

-- Statement trigger of credit.subject: codes of deleted subjects and codes
-- changed by an update are released first, then the new codes are claimed;
-- a code that another subject holds (or that two rows of the statement
-- give) is refused as a unique constraint would refuse it.
CREATE FUNCTION @extschema@.subject_code_maintain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    dup  record;
    cname text;
    nwanted bigint;
    nclaimed bigint;
BEGIN
    -- a restore (credit.restoring) loads the codes from the dump
    IF @extschema@.restoring() THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        DELETE FROM @extschema@.subject_code c
         USING old_subjects o
         WHERE c.subject_id OPERATOR(pg_catalog.=) o.id;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        -- the codes an update took away (or moved to another id)
        DELETE FROM @extschema@.subject_code c
         USING old_subjects o
         WHERE c.subject_id OPERATOR(pg_catalog.=) o.id
           AND NOT EXISTS (SELECT 1 FROM new_subjects n
                            WHERE n.id OPERATOR(pg_catalog.=) o.id
                              AND ((c.code_kind OPERATOR(pg_catalog.=) 'uscc'
                                    AND n.uscc::pg_catalog.text OPERATOR(pg_catalog.=) c.code)
                                   OR (c.code_kind OPERATOR(pg_catalog.=) 'person_id'
                                       AND n.person_id::pg_catalog.text OPERATOR(pg_catalog.=) c.code)));
    END IF;
    -- the codes the statement gives to subjects that do not hold them yet,
    -- claimed; when fewer are claimed than wanted, one is held by another
    -- subject (counted, not matched row by row: a statement may register a
    -- whole county)
    WITH wanted AS MATERIALIZED (
        SELECT v.code, v.code_kind, n.id
          FROM new_subjects n
         CROSS JOIN LATERAL (VALUES (n.uscc::pg_catalog.text, 'uscc'::pg_catalog.text),
                                    (n.person_id::pg_catalog.text, 'person_id'::pg_catalog.text)) v (code, code_kind)
         WHERE v.code IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM @extschema@.subject_code c
                            WHERE c.code OPERATOR(pg_catalog.=) v.code
                              AND c.code_kind OPERATOR(pg_catalog.=) v.code_kind
                              AND c.subject_id OPERATOR(pg_catalog.=) n.id)),
    claimed AS (
        INSERT INTO @extschema@.subject_code (code, code_kind, subject_id)
        SELECT w.code, w.code_kind, w.id FROM wanted w
        ON CONFLICT (code, code_kind) DO NOTHING
        RETURNING 1)
    SELECT (SELECT pg_catalog.count(*) FROM wanted), (SELECT pg_catalog.count(*) FROM claimed)
      INTO nwanted, nclaimed;
    IF nclaimed OPERATOR(pg_catalog.=) nwanted THEN
        RETURN NULL;
    END IF;
    -- the code held by another subject (this statement's claims are visible now)
    SELECT v.code, v.code_kind INTO dup
      FROM new_subjects n
     CROSS JOIN LATERAL (VALUES (n.uscc::pg_catalog.text, 'uscc'::pg_catalog.text),
                                (n.person_id::pg_catalog.text, 'person_id'::pg_catalog.text)) v (code, code_kind)
      JOIN @extschema@.subject_code c
        ON c.code OPERATOR(pg_catalog.=) v.code AND c.code_kind OPERATOR(pg_catalog.=) v.code_kind
     WHERE c.subject_id OPERATOR(pg_catalog.<>) n.id
     LIMIT 1;
    IF NOT FOUND THEN   -- the holder went away meanwhile
        RAISE EXCEPTION 'could not register the codes of the statement''s subjects'
            USING ERRCODE = 'serialization_failure', HINT = 'Retry the statement.';
    END IF;
    cname := pg_catalog.format('subject_%s_key', dup.code_kind);
    RAISE EXCEPTION 'duplicate key value violates unique constraint "%"', cname
        USING ERRCODE = 'unique_violation',
              DETAIL = pg_catalog.format('Key (%s)=(%s) already exists.', dup.code_kind, dup.code),
              SCHEMA = '@extschema@', TABLE = 'subject', CONSTRAINT = cname;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.subject_code_maintain() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.subject_code_maintain() IS
    'Statement trigger of credit.subject: keeps credit.subject_code, one row a USCC or ID number, and refuses a code another subject holds (SQLSTATE 23505, constraint subject_uscc_key or subject_person_id_key); skipped while restoring a dump';
CREATE TRIGGER subject_code_insert AFTER INSERT ON @extschema@.subject
    REFERENCING NEW TABLE AS new_subjects
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.subject_code_maintain();
CREATE TRIGGER subject_code_update AFTER UPDATE ON @extschema@.subject
    REFERENCING OLD TABLE AS old_subjects NEW TABLE AS new_subjects
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.subject_code_maintain();
CREATE TRIGGER subject_code_delete AFTER DELETE ON @extschema@.subject
    REFERENCING OLD TABLE AS old_subjects
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.subject_code_maintain();
CREATE INDEX subject_uscc_idx ON @extschema@.subject (uscc);
CREATE INDEX subject_person_id_idx ON @extschema@.subject (person_id);
CREATE INDEX subject_name_key_idx ON @extschema@.subject (name_key);
CREATE INDEX subject_kind_idx ON @extschema@.subject (kind);
CREATE INDEX subject_industries_idx ON @extschema@.subject USING gin (industries);

-- The collection catalogue (归集目录).
CREATE TABLE @extschema@.catalog_item (
    code          text PRIMARY KEY CHECK (code ~ '^[a-z0-9_]{1,60}$'),
    name          text NOT NULL,
    category      text NOT NULL,
    channel       text NOT NULL CHECK (channel IN ('public', 'market')),
    library       text NOT NULL CHECK (library IN ('legal_person', 'natural_person', 'financial')),
    polarity      text NOT NULL CHECK (polarity IN ('positive', 'negative', 'neutral')),
    severity      text CHECK (severity IN ('minor', 'general', 'serious')),
    published     boolean,
    min_publicity interval,
    max_publicity interval,
    industry      text,
    description   text,
    CHECK (min_publicity IS NULL OR max_publicity IS NULL OR min_publicity <= max_publicity)
);
COMMENT ON TABLE @extschema@.catalog_item IS
    'Collection catalogue (归集目录): every kind of credit information the platform collects; double publicity (双公示) is the license and penalty categories';
COMMENT ON COLUMN @extschema@.catalog_item.published IS
    'Whether records of this item are published on the public site; defaults to true for public-channel licences and non-minor penalties';
COMMENT ON COLUMN @extschema@.catalog_item.min_publicity IS
    'Minimum publicity period: credit repair may be requested once it has passed (defaults from severity)';
COMMENT ON COLUMN @extschema@.catalog_item.max_publicity IS
    'Maximum publicity period from the decision date: publicity stops by itself after it (defaults from severity; NULL: while the record is active)';

-- Defaults of a catalogue item derived from its severity (minor: at most 3 months; general: 3 months to 1 year; serious: 1 to 3 years).
CREATE FUNCTION @extschema@.catalog_item_defaults() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.published IS NULL THEN
        NEW.published := NEW.channel = 'public'
            AND (NEW.category = 'license'
                 OR (NEW.category = 'penalty' AND NEW.severity IS DISTINCT FROM 'minor'));
    END IF;
    IF NEW.min_publicity IS NULL AND NEW.severity IS NOT NULL THEN
        NEW.min_publicity := CASE NEW.severity
            WHEN 'minor' THEN interval '0 days'
            WHEN 'general' THEN interval '3 months'
            ELSE interval '1 year' END;
    END IF;
    IF NEW.max_publicity IS NULL AND NEW.severity IS NOT NULL THEN
        NEW.max_publicity := CASE NEW.severity
            WHEN 'minor' THEN interval '3 months'
            WHEN 'general' THEN interval '1 year'
            ELSE interval '3 years' END;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.catalog_item_defaults() IS
    'Trigger of credit.catalog_item: derives published, min_publicity and max_publicity from the severity when not given (minor 3 months, general 3 months to 1 year, serious 1 to 3 years)';
CREATE TRIGGER catalog_item_defaults BEFORE INSERT OR UPDATE ON @extschema@.catalog_item
    FOR EACH ROW EXECUTE FUNCTION @extschema@.catalog_item_defaults();
-- Every backend's catalogue cache is rebuilt after a change.
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.catalog_item
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_changed();

-- Every credit fact: public or market channel, industry indicator, financial datum.
CREATE TABLE @extschema@.record (
    id              bigint GENERATED BY DEFAULT AS IDENTITY,
    subject_id      bigint NOT NULL,   -- references credit.subject (checked per statement: below)
    item_code       text NOT NULL,     -- references credit.catalog_item, renames carried over
    department      text NOT NULL,     -- references credit.department, renames carried over
    document_no     text,
    decided_on      date NOT NULL CONSTRAINT record_decided_on_finite CHECK (pg_catalog.isfinite(decided_on)),
    value           double precision NOT NULL DEFAULT 1
                    CONSTRAINT record_value_range CHECK (value BETWEEN -1e15 AND 1e15),
    amount          numeric(18, 2) CONSTRAINT record_amount_finite CHECK (amount BETWEEN -1e16 AND 1e16),
    details         jsonb NOT NULL DEFAULT '{}',
    status          text NOT NULL DEFAULT 'active'
                    CHECK (status IN ('active', 'objected', 'repaired', 'revoked', 'expired')),
    publicity_until date,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (subject_id, id)
);
COMMENT ON TABLE @extschema@.record IS
    'Credit records (信用记录): every fact collected from departments, one row each; the large table, indexed and ready to be partitioned or distributed by subject_id';
COMMENT ON COLUMN @extschema@.record.value IS 'Quantity the record carries (1 by default): amount-based indicators scale their points by it';
COMMENT ON COLUMN @extschema@.record.status IS 'active, objected (under objection, 异议中), repaired (信用修复), revoked (decision withdrawn), expired';
COMMENT ON COLUMN @extschema@.record.publicity_until IS
    'Last day the record is published (decision date + the item''s maximum publicity); NULL: never published; infinity: published while active';
-- The subject index covers the columns evaluation reads (subject_id, item_code,
-- decided_on, value, status): a full evaluation run is then a parallel
-- index-only scan in subject order, each subject's records adjacent, instead
-- of a heap scan hashing every record into one of all the subjects' states.
CREATE INDEX record_subject_idx ON @extschema@.record (subject_id)
    INCLUDE (item_code, decided_on, value, status);
-- The key carries the subject, so that the table can be hash-partitioned or
-- distributed by subject_id; records are found by their id alone through
-- this index (ids come from the identity sequence).
CREATE INDEX record_id_idx ON @extschema@.record (id);
CREATE INDEX record_item_idx ON @extschema@.record (item_code, decided_on);
CREATE INDEX record_department_idx ON @extschema@.record (department);

-- The references of a record (its subject, catalogue item and unit) are
-- checked once per statement, in C, instead of by foreign keys that query
-- once per row: the distinct values of the statement are locked FOR KEY SHARE
-- in one query each, and a missing one is reported with its row (23503).  The
-- referenced tables refuse to delete (or renumber) rows records refer to and
-- carry renamed codes over to the records, as ON UPDATE CASCADE did.
CREATE FUNCTION @extschema@.record_check_refs() RETURNS trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'credit_record_check_refs';
COMMENT ON FUNCTION @extschema@.record_check_refs() IS
    'Statement trigger of credit.record: the subjects, catalogue items and units the statement''s rows refer to exist (SQLSTATE 23503 naming the value and the row otherwise) and are locked against deletion until the end of the transaction; skipped while restoring a dump';
CREATE TRIGGER record_check_refs_insert AFTER INSERT ON @extschema@.record
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.record_check_refs();
CREATE TRIGGER record_check_refs_update AFTER UPDATE ON @extschema@.record
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.record_check_refs();
CREATE FUNCTION @extschema@.record_refs_guard() RETURNS trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'credit_record_refs_guard';
COMMENT ON FUNCTION @extschema@.record_refs_guard() IS
    'Statement trigger of credit.subject, credit.catalog_item and credit.department (argument subject, item or unit): a row credit records refer to is not deleted, a subject not renumbered, the table not truncated (SQLSTATE 23503 / 0A000); a renamed item or unit code is carried over to the records; skipped while restoring a dump';
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES ('subject', 'subject'), ('catalog_item', 'item'), ('department', 'unit')) v (tbl, arg)
    LOOP
        EXECUTE pg_catalog.format('CREATE TRIGGER record_refs_update AFTER UPDATE ON @extschema@.%I
                                   REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                                   FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.record_refs_guard(%L)', t.tbl, t.arg);
        EXECUTE pg_catalog.format('CREATE TRIGGER record_refs_delete AFTER DELETE ON @extschema@.%I
                                   REFERENCING OLD TABLE AS old_rows
                                   FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.record_refs_guard(%L)', t.tbl, t.arg);
        EXECUTE pg_catalog.format('CREATE TRIGGER record_refs_truncate BEFORE TRUNCATE ON @extschema@.%I
                                   FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.record_refs_guard(%L)', t.tbl, t.arg);
    END LOOP;
END
$$;

-- Refuse future-dated records and derive the publicity period (C, with the
-- catalogue cached per backend).
CREATE FUNCTION @extschema@.record_defaults() RETURNS trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'credit_record_defaults';
COMMENT ON FUNCTION @extschema@.record_defaults() IS
    'BEFORE ROW trigger of credit.record: refuses records dated in the future (SQLSTATE 23514) and sets publicity_until from the catalogue item (NULL: not published; infinity: while active; else decided_on + max_publicity); warning-only penalties are not published';
CREATE TRIGGER record_defaults BEFORE INSERT OR UPDATE ON @extschema@.record
    FOR EACH ROW EXECUTE FUNCTION @extschema@.record_defaults();

-- Who looked whom up, and why.
CREATE TABLE @extschema@.query_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    who         name NOT NULL DEFAULT session_user,
    at          timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    subject_id  bigint,
    purpose     text NOT NULL,
    detail      jsonb NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE @extschema@.query_log IS
    'Audit log of every look-up of a person and every credit report: who, when, which subject, for what purpose (查询日志); written by the extension''s audit worker in transactions of its own, so the looker''s ROLLBACK cannot undo a row';
-- Keyed by the subject as the per-subject tables are (a person's look-ups
-- are found by an index scan: who looked me up?); subject_id is NULL for a
-- search that found no subject.
CREATE UNIQUE INDEX query_log_subject_idx ON @extschema@.query_log (subject_id, id);

-- Log a look-up of a subject, as the session user (C: src/audit.c): the
-- database's audit worker commits the row in a transaction of its own
-- before this returns, so no ROLLBACK of the caller undoes it.  Not
-- SECURITY DEFINER: the worker writes the log, the caller only asks; a
-- caller adds rows about its own look-ups only.
CREATE FUNCTION @extschema@.log_lookup(subject_id bigint, purpose text, detail jsonb DEFAULT '{}')
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'credit_log_lookup'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION @extschema@.log_lookup(bigint, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.log_lookup(bigint, text, jsonb)
    TO credit_admin, credit_department, credit_analyst;
COMMENT ON FUNCTION @extschema@.log_lookup(bigint, text, jsonb) IS
    'Logs a look-up of a subject in credit.query_log (who is the session user, at now) and returns the row id once the row is committed in a transaction of its own (the caller''s ROLLBACK does not undo it); needs credit in shared_preload_libraries (55000 otherwise); for functions and applications that show a person''s data. subject_id NULL only with a detail saying what was looked up (a search that found no subject); 22023 otherwise';

-- Privileges, role by role (those of units and analysts on subjects and
-- records, with their row-level security: 90-roles.sql).  No role but the
-- owner writes the query log: look-ups are logged by the extension's code.
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.department, @extschema@.catalog_item,
    @extschema@.subject, @extschema@.record TO credit_admin;
GRANT SELECT ON @extschema@.department, @extschema@.catalog_item TO credit_department, credit_analyst;
GRANT SELECT ON @extschema@.query_log TO credit_admin, credit_analyst;
GRANT SELECT ON @extschema@.subject_code TO credit_admin;

-- (credit.department is registered by 99-backup.sql: its shipped row is not dumped)
SELECT pg_catalog.pg_extension_config_dump('@extschema@.subject', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.subject_code', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.record', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.query_log', '');

-- Department codes the current user acts for (members of the unit's role),
-- once per statement (C: src/access.c).  Not SECURITY DEFINER: the user is
-- the caller's.  A department whose role does not exist acts for nobody.
CREATE FUNCTION @extschema@.acting_departments() RETURNS text[]
    AS 'MODULE_PATHNAME', 'credit_acting_departments'
    LANGUAGE C STABLE PARALLEL SAFE;
REVOKE ALL ON FUNCTION @extschema@.acting_departments() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.acting_departments() TO credit_department, credit_analyst, credit_admin;
COMMENT ON FUNCTION @extschema@.acting_departments() IS
    'Codes of the departments whose role the current user is a member of (departments naming a role that does not exist are skipped); row-level security keys on it';

-- Whom code that runs with more rights than its caller acts for (C:
-- src/access.c): the role of the session (after SET ROLE), and its units.
CREATE FUNCTION @extschema@.caller() RETURNS name
    AS 'MODULE_PATHNAME', 'credit_caller'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.caller() IS
    'The role the session acts as (the login role, or the one SET ROLE chose), also inside SECURITY DEFINER functions and code that runs as the extension''s owner: the role whose rights such code applies';
CREATE FUNCTION @extschema@.caller_departments() RETURNS text[]
    AS 'MODULE_PATHNAME', 'credit_caller_departments'
    LANGUAGE C STABLE PARALLEL SAFE;
REVOKE ALL ON FUNCTION @extschema@.caller_departments() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.caller_departments() TO credit_department, credit_analyst, credit_admin;
COMMENT ON FUNCTION @extschema@.caller_departments() IS
    'Codes of the departments credit.caller() acts for (as credit.acting_departments() for the current user)';

-- The unit a row a caller sends is owned by (list entries, subjects): the
-- one named, else the caller's only unit; administrators' rows default to
-- the platform.  Whether the caller may act for the unit named is checked by
-- row-level security.
CREATE FUNCTION @extschema@.sending_unit(given text) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    units text[];
BEGIN
    IF given IS NOT NULL THEN
        RETURN given;
    END IF;
    IF pg_catalog.pg_has_role(@extschema@.caller(), 'credit_admin', 'MEMBER') THEN
        RETURN 'platform';
    END IF;
    units := @extschema@.caller_departments();
    IF pg_catalog.cardinality(units) OPERATOR(pg_catalog.=) 1 THEN
        RETURN units[1];
    END IF;
    IF pg_catalog.cardinality(units) OPERATOR(pg_catalog.=) 0 THEN
        RAISE EXCEPTION 'role "%" acts for no unit', @extschema@.caller()
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'A unit''s rows are sent by members of the role credit.department.role names.';
    END IF;
    RAISE EXCEPTION 'role "%" acts for several units (%): name the department', @extschema@.caller(),
                    pg_catalog.array_to_string(units, ', ')
        USING ERRCODE = 'not_null_violation';
END
$$;
REVOKE ALL ON FUNCTION @extschema@.sending_unit(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.sending_unit(text) TO credit_department, credit_analyst, credit_admin;
COMMENT ON FUNCTION @extschema@.sending_unit(text) IS
    'The unit (credit.department.code) a row sent by credit.caller() belongs to: the one given, else the caller''s only unit; administrators'' rows default to platform; 42501 for a role that acts for no unit, 23502 for one that acts for several';

-- Whether a catalogue item is of the public channel (every unit reads its
-- records), once per statement (C: src/access.c); the record policies call it.
CREATE FUNCTION @extschema@.public_item(item_code text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'credit_public_item'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
REVOKE ALL ON FUNCTION @extschema@.public_item(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.public_item(text) TO credit_department, credit_analyst, credit_admin;
COMMENT ON FUNCTION @extschema@.public_item(text) IS
    'Whether the catalogue item is of the public channel (credit.catalog_item.channel = public): every unit reads records of such items';

-- Whether credit.caller() may read a record of the unit and item: the rule
-- of the record policies (90-roles.sql: administrators and analysts read
-- every record, a unit its own and those of the public channel), for code
-- that runs with the owner's rights and must show a caller no more.
CREATE FUNCTION @extschema@.caller_reads_record(department text, item_code text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.pg_has_role(@extschema@.caller(), 'credit_admin', 'MEMBER')
        OR pg_catalog.pg_has_role(@extschema@.caller(), 'credit_analyst', 'MEMBER')
        OR $1 OPERATOR(pg_catalog.=) ANY (@extschema@.caller_departments())
        OR @extschema@.public_item($2)
$$;
REVOKE ALL ON FUNCTION @extschema@.caller_reads_record(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.caller_reads_record(text, text) TO credit_department, credit_analyst, credit_admin;
COMMENT ON FUNCTION @extschema@.caller_reads_record(text, text) IS
    'Whether credit.caller() may read a record of this unit and catalogue item under the record policies (administrators and analysts: every record; a unit: its own and the public channel''s); for code that runs with the owner''s rights';
-- Default collection catalogue (归集目录); edit freely: rows are data.
INSERT INTO @extschema@.catalog_item (code, name, category, channel, library, polarity, severity, industry, published) VALUES
    ('license', 'Administrative licence (行政许可)', 'license', 'public', 'legal_person', 'neutral', NULL, NULL, NULL),
    ('penalty_warning', 'Administrative penalty: warning only (警告)', 'penalty', 'public', 'legal_person', 'negative', 'minor', NULL, false),
    ('penalty_minor', 'Administrative penalty, minor (轻微失信)', 'penalty', 'public', 'legal_person', 'negative', 'minor', NULL, NULL),
    ('penalty_general', 'Administrative penalty, general (一般失信)', 'penalty', 'public', 'legal_person', 'negative', 'general', NULL, NULL),
    ('penalty_serious', 'Administrative penalty, serious (严重失信)', 'penalty', 'public', 'legal_person', 'negative', 'serious', NULL, NULL),
    ('person_penalty_general', 'Administrative penalty of a person, general', 'penalty', 'public', 'natural_person', 'negative', 'general', NULL, NULL),
    ('person_penalty_serious', 'Administrative penalty of a person, serious', 'penalty', 'public', 'natural_person', 'negative', 'serious', NULL, NULL),
    ('list_serious_dishonesty', 'Listed as seriously dishonest (严重失信主体名单)', 'list', 'public', 'legal_person', 'negative', 'serious', NULL, false),
    ('list_dishonest_debtor', 'Dishonest judgment debtor (失信被执行人)', 'list', 'public', 'legal_person', 'negative', 'serious', NULL, false),
    ('list_abnormal_operation', 'Abnormal operations directory (经营异常名录)', 'list', 'public', 'legal_person', 'negative', 'general', NULL, false),
    ('list_key_attention', 'Key attention list (重点关注名单)', 'list', 'public', 'legal_person', 'negative', 'general', NULL, false),
    ('list_red_tax_a', 'Red list: A-grade taxpayer (纳税信用A级红名单)', 'list', 'public', 'legal_person', 'positive', NULL, NULL, false),
    ('list_red_honour', 'Red list: honoured enterprise (守信激励红名单)', 'list', 'public', 'legal_person', 'positive', NULL, NULL, false),
    ('tax_grade_a', 'Tax credit grade A (纳税信用A级)', 'tax', 'public', 'legal_person', 'positive', NULL, NULL, NULL),
    ('tax_grade_d', 'Tax credit grade D (纳税信用D级)', 'tax', 'public', 'legal_person', 'negative', 'general', NULL, false),
    ('tax_arrears', 'Tax arrears (欠税)', 'tax', 'public', 'legal_person', 'negative', 'general', NULL, false),
    ('honour_national', 'Honour issued at national level (国家级荣誉)', 'honour', 'public', 'legal_person', 'positive', NULL, NULL, NULL),
    ('honour_provincial', 'Honour issued at provincial level (省级荣誉)', 'honour', 'public', 'legal_person', 'positive', NULL, NULL, NULL),
    ('honour_city', 'Honour issued at city level (市级荣誉)', 'honour', 'public', 'legal_person', 'positive', NULL, NULL, NULL),
    ('honour_county', 'Honour issued at county level (县级荣誉)', 'honour', 'public', 'legal_person', 'positive', NULL, NULL, NULL),
    ('honour_township', 'Honour issued at township level (乡镇级荣誉)', 'honour', 'public', 'legal_person', 'positive', NULL, NULL, NULL),
    ('honour_village', 'Honour issued at village level (村级荣誉)', 'honour', 'public', 'legal_person', 'positive', NULL, NULL, NULL),
    ('contract_breach', 'Contract breach (合同违约)', 'contract', 'market', 'legal_person', 'negative', 'general', NULL, false),
    ('lawsuit_breach_lost', 'Lost a lawsuit for breach of contract (违约败诉)', 'judgment', 'public', 'natural_person', 'negative', 'general', NULL, false),
    ('public_equipment_damage', 'Destroying public equipment (损毁公共设施)', 'conduct', 'public', 'natural_person', 'negative', 'serious', NULL, false),
    ('utility_arrears', 'Water, electricity or gas arrears (水电气欠费)', 'utility', 'market', 'legal_person', 'negative', 'minor', NULL, false),
    ('social_insurance_arrears', 'Social insurance arrears (欠缴社保)', 'social_insurance', 'public', 'legal_person', 'negative', 'general', NULL, false),
    ('loan_overdue', 'Loan overdue, per cycle (贷款逾期)', 'loan', 'market', 'financial', 'negative', 'general', NULL, false),
    ('loan_default', 'Loan default / non-performing (贷款违约)', 'loan', 'market', 'financial', 'negative', 'serious', NULL, false),
    ('loan_repaid', 'Loan repaid on schedule (按期还款)', 'loan', 'market', 'financial', 'positive', NULL, NULL, false),
    ('commitment_broken', 'Broken credit commitment (违背信用承诺)', 'commitment', 'public', 'legal_person', 'negative', 'general', NULL, false),
    ('commitment_kept', 'Kept credit commitment (践行信用承诺)', 'commitment', 'public', 'legal_person', 'positive', NULL, NULL, false),
    ('volunteer_service', 'Volunteer service (志愿服务)', 'social', 'public', 'natural_person', 'positive', NULL, NULL, NULL),
    ('charity_donation', 'Charitable donation (慈善捐赠)', 'social', 'public', 'legal_person', 'positive', NULL, NULL, NULL),
    ('blood_donation', 'Voluntary blood donation (无偿献血)', 'social', 'public', 'natural_person', 'positive', NULL, NULL, NULL),
    ('work_safety_daily_ok', 'Work safety: daily supervision passed (安全生产日常监管合格)', 'supervision', 'public', 'legal_person', 'positive', NULL, 'work_safety', false),
    ('work_safety_daily_issue', 'Work safety: daily supervision found a problem (安全生产日常监管发现问题)', 'supervision', 'public', 'legal_person', 'negative', 'minor', 'work_safety', false),
    ('work_safety_random_pass', 'Work safety: double-random inspection passed (安全生产双随机抽查合格)', 'supervision', 'public', 'legal_person', 'positive', NULL, 'work_safety', false),
    ('work_safety_random_fail', 'Work safety: double-random inspection failed (安全生产双随机抽查不合格)', 'supervision', 'public', 'legal_person', 'negative', 'general', 'work_safety', false),
    ('work_safety_key_supervision', 'Work safety: placed under key supervision (安全生产重点监管)', 'supervision', 'public', 'legal_person', 'negative', 'general', 'work_safety', false),
    ('water_daily_ok', 'Water: daily supervision passed (水务日常监管合格)', 'supervision', 'public', 'legal_person', 'positive', NULL, 'water', false),
    ('water_daily_issue', 'Water: daily supervision found a problem (水务日常监管发现问题)', 'supervision', 'public', 'legal_person', 'negative', 'minor', 'water', false),
    ('water_random_pass', 'Water: double-random inspection passed (水务双随机抽查合格)', 'supervision', 'public', 'legal_person', 'positive', NULL, 'water', false),
    ('water_random_fail', 'Water: double-random inspection failed (水务双随机抽查不合格)', 'supervision', 'public', 'legal_person', 'negative', 'general', 'water', false),
    ('water_key_supervision', 'Water: placed under key supervision (水务重点监管)', 'supervision', 'public', 'legal_person', 'negative', 'general', 'water', false),
    ('transport_daily_ok', 'Transport: daily supervision passed (交通运输日常监管合格)', 'supervision', 'public', 'legal_person', 'positive', NULL, 'transport', false),
    ('transport_daily_issue', 'Transport: daily supervision found a problem (交通运输日常监管发现问题)', 'supervision', 'public', 'legal_person', 'negative', 'minor', 'transport', false),
    ('transport_random_pass', 'Transport: double-random inspection passed (交通运输双随机抽查合格)', 'supervision', 'public', 'legal_person', 'positive', NULL, 'transport', false),
    ('transport_random_fail', 'Transport: double-random inspection failed (交通运输双随机抽查不合格)', 'supervision', 'public', 'legal_person', 'negative', 'general', 'transport', false),
    ('transport_key_supervision', 'Transport: placed under key supervision (交通运输重点监管)', 'supervision', 'public', 'legal_person', 'negative', 'general', 'transport', false),
    ('construction_daily_ok', 'Housing and construction: daily supervision passed (住房和城乡建设日常监管合格)', 'supervision', 'public', 'legal_person', 'positive', NULL, 'construction', false),
    ('construction_daily_issue', 'Housing and construction: daily supervision found a problem (住房和城乡建设日常监管发现问题)', 'supervision', 'public', 'legal_person', 'negative', 'minor', 'construction', false),
    ('construction_random_pass', 'Housing and construction: double-random inspection passed (住房和城乡建设双随机抽查合格)', 'supervision', 'public', 'legal_person', 'positive', NULL, 'construction', false),
    ('construction_random_fail', 'Housing and construction: double-random inspection failed (住房和城乡建设双随机抽查不合格)', 'supervision', 'public', 'legal_person', 'negative', 'general', 'construction', false),
    ('construction_key_supervision', 'Housing and construction: placed under key supervision (住房和城乡建设重点监管)', 'supervision', 'public', 'legal_person', 'negative', 'general', 'construction', false),
    ('decoration_daily_ok', 'Decoration: daily supervision passed (装饰装修日常监管合格)', 'supervision', 'public', 'legal_person', 'positive', NULL, 'decoration', false),
    ('decoration_daily_issue', 'Decoration: daily supervision found a problem (装饰装修日常监管发现问题)', 'supervision', 'public', 'legal_person', 'negative', 'minor', 'decoration', false),
    ('decoration_random_pass', 'Decoration: double-random inspection passed (装饰装修双随机抽查合格)', 'supervision', 'public', 'legal_person', 'positive', NULL, 'decoration', false),
    ('decoration_random_fail', 'Decoration: double-random inspection failed (装饰装修双随机抽查不合格)', 'supervision', 'public', 'legal_person', 'negative', 'general', 'decoration', false),
    ('decoration_key_supervision', 'Decoration: placed under key supervision (装饰装修重点监管)', 'supervision', 'public', 'legal_person', 'negative', 'general', 'decoration', false),
    ('building_materials_daily_ok', 'Home building materials: daily supervision passed (家居建材日常监管合格)', 'supervision', 'public', 'legal_person', 'positive', NULL, 'building_materials', false),
    ('building_materials_daily_issue', 'Home building materials: daily supervision found a problem (家居建材日常监管发现问题)', 'supervision', 'public', 'legal_person', 'negative', 'minor', 'building_materials', false),
    ('building_materials_random_pass', 'Home building materials: double-random inspection passed (家居建材双随机抽查合格)', 'supervision', 'public', 'legal_person', 'positive', NULL, 'building_materials', false),
    ('building_materials_random_fail', 'Home building materials: double-random inspection failed (家居建材双随机抽查不合格)', 'supervision', 'public', 'legal_person', 'negative', 'general', 'building_materials', false),
    ('building_materials_key_supervision', 'Home building materials: placed under key supervision (家居建材重点监管)', 'supervision', 'public', 'legal_person', 'negative', 'general', 'building_materials', false),
    ('medical_insurance_daily_ok', 'Medical insurance: daily supervision passed (医疗保障日常监管合格)', 'supervision', 'public', 'legal_person', 'positive', NULL, 'medical_insurance', false),
    ('medical_insurance_daily_issue', 'Medical insurance: daily supervision found a problem (医疗保障日常监管发现问题)', 'supervision', 'public', 'legal_person', 'negative', 'minor', 'medical_insurance', false),
    ('medical_insurance_random_pass', 'Medical insurance: double-random inspection passed (医疗保障双随机抽查合格)', 'supervision', 'public', 'legal_person', 'positive', NULL, 'medical_insurance', false),
    ('medical_insurance_random_fail', 'Medical insurance: double-random inspection failed (医疗保障双随机抽查不合格)', 'supervision', 'public', 'legal_person', 'negative', 'general', 'medical_insurance', false),
    ('medical_insurance_key_supervision', 'Medical insurance: placed under key supervision (医疗保障重点监管)', 'supervision', 'public', 'legal_person', 'negative', 'general', 'medical_insurance', false),
    ('public_institution_daily_ok', 'Public institutions: daily supervision passed (事业单位日常监管合格)', 'supervision', 'public', 'legal_person', 'positive', NULL, 'public_institution', false),
    ('public_institution_daily_issue', 'Public institutions: daily supervision found a problem (事业单位日常监管发现问题)', 'supervision', 'public', 'legal_person', 'negative', 'minor', 'public_institution', false),
    ('public_institution_random_pass', 'Public institutions: double-random inspection passed (事业单位双随机抽查合格)', 'supervision', 'public', 'legal_person', 'positive', NULL, 'public_institution', false),
    ('public_institution_random_fail', 'Public institutions: double-random inspection failed (事业单位双随机抽查不合格)', 'supervision', 'public', 'legal_person', 'negative', 'general', 'public_institution', false),
    ('public_institution_key_supervision', 'Public institutions: placed under key supervision (事业单位重点监管)', 'supervision', 'public', 'legal_person', 'negative', 'general', 'public_institution', false);

-- Industries whose supervision indicators the catalogue carries.
CREATE TABLE @extschema@.industry (
    code  text PRIMARY KEY,
    name  text NOT NULL
);
COMMENT ON TABLE @extschema@.industry IS 'Industries under credit-based supervision (行业信用监管)';
INSERT INTO @extschema@.industry (code, name) VALUES
    ('work_safety', 'Work safety (安全生产)'),
    ('water', 'Water (水务)'),
    ('transport', 'Transport (交通运输)'),
    ('construction', 'Housing and construction (住房和城乡建设)'),
    ('decoration', 'Decoration (装饰装修)'),
    ('building_materials', 'Home building materials (家居建材)'),
    ('medical_insurance', 'Medical insurance (医疗保障)'),
    ('public_institution', 'Public institutions (事业单位)');
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.industry TO credit_admin;
GRANT SELECT ON @extschema@.industry TO credit_department, credit_analyst;

-- The platform itself, as the unit that records list entries and evaluation results.
INSERT INTO @extschema@.department (code, name) VALUES
    ('platform', 'Public credit information platform (公共信用信息平台)');
-- Evaluation models as data (docs/evaluation.md): tables, their cache invalidation,
-- the evaluation state functions and the parallel aggregate.

CREATE TABLE @extschema@.model (
    code           text PRIMARY KEY CHECK (code ~ '^[a-z0-9_]{1,60}$'),
    name           text NOT NULL,
    scope          text NOT NULL DEFAULT 'comprehensive',
    subject_kinds  @extschema@.subject_kind[] NOT NULL
                   DEFAULT '{government,enterprise,individual,social_org,institution}',
    base           numeric NOT NULL DEFAULT 0
                   CONSTRAINT model_base_range CHECK (base BETWEEN -1e12 AND 1e12 AND base = pg_catalog.round(base, 12)),
    lo             numeric CONSTRAINT model_lo_range CHECK (lo BETWEEN -1e12 AND 1e12 AND lo = pg_catalog.round(lo, 12)),
    hi             numeric CONSTRAINT model_hi_range CHECK (hi BETWEEN -1e12 AND 1e12 AND hi = pg_catalog.round(hi, 12)),
    description    text,
    CHECK (lo IS NULL OR hi IS NULL OR lo <= hi)
);
COMMENT ON TABLE @extschema@.model IS
    'Evaluation models (评价模型): score = clamp(base + Σ dimension totals, lo, hi); scope ''comprehensive'' (综合评价) or an industry code (行业评价: subjects whose industries contain it)';
COMMENT ON COLUMN @extschema@.model.scope IS '''comprehensive'' or a code of credit.industry: the model evaluates the subjects of subject_kinds (and of that industry)';
COMMENT ON COLUMN @extschema@.model.base IS 'Base score (基础分) of a subject without records';
COMMENT ON COLUMN @extschema@.model.lo IS 'Lowest score (NULL: unbounded)';
COMMENT ON COLUMN @extschema@.model.hi IS 'Highest score (NULL: unbounded)';

CREATE TABLE @extschema@.model_grade (
    model      text NOT NULL REFERENCES @extschema@.model (code) ON UPDATE CASCADE ON DELETE CASCADE,
    grade      text NOT NULL,
    min_score  numeric NOT NULL CONSTRAINT model_grade_min_score_range CHECK (min_score BETWEEN -1e12 AND 1e12 AND min_score = pg_catalog.round(min_score, 12)),
    rank       integer NOT NULL CHECK (rank >= 1),
    PRIMARY KEY (model, grade),
    UNIQUE (model, rank)
);
COMMENT ON TABLE @extschema@.model_grade IS
    'Grades (信用等级) of a model: a subject gets the best-ranked grade (rank 1 is best) whose min_score its score reaches';

CREATE TABLE @extschema@.model_dimension (
    model      text NOT NULL REFERENCES @extschema@.model (code) ON UPDATE CASCADE ON DELETE CASCADE,
    dimension  text NOT NULL,
    name       text,
    weight     numeric NOT NULL DEFAULT 1
               CONSTRAINT model_dimension_weight_range CHECK (weight BETWEEN -1e6 AND 1e6 AND weight = pg_catalog.round(weight, 12)),
    lo         numeric CONSTRAINT model_dimension_lo_range CHECK (lo BETWEEN -1e12 AND 1e12 AND lo = pg_catalog.round(lo, 12)),
    hi         numeric CONSTRAINT model_dimension_hi_range CHECK (hi BETWEEN -1e12 AND 1e12 AND hi = pg_catalog.round(hi, 12)),
    PRIMARY KEY (model, dimension),
    CHECK (lo IS NULL OR hi IS NULL OR lo <= hi)
);
COMMENT ON TABLE @extschema@.model_dimension IS
    'Dimensions (评价维度) of a model: total = clamp(weight × Σ item totals, lo, hi); a dimension named only by rules has weight 1 and no bounds';

CREATE TABLE @extschema@.model_rule (
    model           text NOT NULL REFERENCES @extschema@.model (code) ON UPDATE CASCADE ON DELETE CASCADE,
    item_code       text NOT NULL REFERENCES @extschema@.catalog_item (code) ON UPDATE CASCADE,
    dimension       text NOT NULL,
    points          numeric NOT NULL CONSTRAINT model_rule_points_range CHECK (points BETWEEN -1e12 AND 1e12 AND points = pg_catalog.round(points, 12)),
    per_value       boolean NOT NULL DEFAULT false,
    half_life_days  numeric CONSTRAINT model_rule_half_life_range CHECK (half_life_days BETWEEN 0.01 AND 1e6),
    cap             numeric CONSTRAINT model_rule_cap_range CHECK (cap BETWEEN 0 AND 1e12 AND cap = pg_catalog.round(cap, 12)),
    veto_grade      text,
    PRIMARY KEY (model, item_code),
    FOREIGN KEY (model, veto_grade) REFERENCES @extschema@.model_grade (model, grade)
        ON UPDATE CASCADE
);
COMMENT ON TABLE @extschema@.model_rule IS
    'Scoring rules (评分规则): each active record of item_code dated on or before as_of adds points × (per_value ? value : 1) × 0.5^(age / half_life_days); the item total is clamped to ±cap; a counted record of a rule with veto_grade caps the grade there (一票否决)';
COMMENT ON COLUMN @extschema@.model_rule.half_life_days IS 'Half-life of a contribution in days (NULL: no decay)';
COMMENT ON COLUMN @extschema@.model_rule.cap IS 'The item total is clamped to [-cap, cap] (NULL: no cap)';
COMMENT ON COLUMN @extschema@.model_rule.veto_grade IS 'One-vote veto (一票否决): any counted record caps the grade at this grade';

-- Scope: 'comprehensive' or a known industry.
CREATE FUNCTION @extschema@.model_check_scope() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.scope <> 'comprehensive' AND NOT @extschema@.restoring() -- a restore loads models before industries
       AND NOT EXISTS (SELECT 1 FROM @extschema@.industry i WHERE i.code = NEW.scope) THEN
        RAISE EXCEPTION 'model scope "%" is neither comprehensive nor an industry', NEW.scope
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'Use ''comprehensive'' or a code of credit.industry.';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER model_check_scope BEFORE INSERT OR UPDATE OF scope ON @extschema@.model
    FOR EACH ROW EXECUTE FUNCTION @extschema@.model_check_scope();
COMMENT ON FUNCTION @extschema@.model_check_scope() IS
    'Trigger of credit.model: a scope is ''comprehensive'' or the code of a row of credit.industry';

-- Every backend's model cache is invalidated when a model table changes.
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.model
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_changed();
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.model_grade
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_changed();
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.model_dimension
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_changed();
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.model_rule
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_changed();

-- The scope rule: a model evaluates the subjects of its kinds, and an
-- industry model only those supervised under its industry.  Defined once
-- here; the fold, evaluation runs and registration all call it.  (Inlined by
-- the planner: no SET clause, every name qualified.)
CREATE FUNCTION @extschema@.subject_in_scope(kind @extschema@.subject_kind, industries text[],
                                            subject_kinds @extschema@.subject_kind[], scope text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT $1 OPERATOR(pg_catalog.=) ANY ($3)
       AND ($4 OPERATOR(pg_catalog.=) 'comprehensive' OR $4 OPERATOR(pg_catalog.=) ANY ($2))
$$;
COMMENT ON FUNCTION @extschema@.subject_in_scope(@extschema@.subject_kind, text[], @extschema@.subject_kind[], text) IS
    'Whether a subject (its kind and industries) is in the scope of a model (its subject kinds and scope): the subject is of one of the kinds, and the scope is comprehensive or one of the subject''s industries';

-- Subjects in the scope of each model.
CREATE VIEW @extschema@.model_subject AS
    SELECT m.code AS model, s.id AS subject_id
      FROM @extschema@.model m
      JOIN @extschema@.subject s
        ON @extschema@.subject_in_scope(s.kind, s.industries, m.subject_kinds, m.scope);
COMMENT ON VIEW @extschema@.model_subject IS
    'Which subjects each model evaluates: subjects of its kinds, and for an industry model only those supervised under that industry';
COMMENT ON COLUMN @extschema@.model_subject.model IS 'Model code';
COMMENT ON COLUMN @extschema@.model_subject.subject_id IS 'Subject in the model''s scope';

-- The evaluation state (evalstate.h) from SQL.
CREATE FUNCTION @extschema@.evaluate_agg_trans(internal, text, date, text, date, double precision, text)
    RETURNS internal AS 'MODULE_PATHNAME', 'credit_evaluate_agg_trans'
    LANGUAGE C STABLE PARALLEL SAFE COST 10;
CREATE FUNCTION @extschema@.evaluate_agg_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'credit_evaluate_agg_combine' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.evaluate_agg_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'credit_evaluate_agg_serialize' LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.evaluate_agg_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'credit_evaluate_agg_deserialize' LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.evaluate_agg_final(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'credit_evaluate_agg_final' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.evaluate_agg_trans(internal, text, date, text, date, double precision, text) IS
    'Transition function of credit.evaluate_agg';
COMMENT ON FUNCTION @extschema@.evaluate_agg_combine(internal, internal) IS 'Combine function of credit.evaluate_agg';
COMMENT ON FUNCTION @extschema@.evaluate_agg_serialize(internal) IS 'Serial function of credit.evaluate_agg';
COMMENT ON FUNCTION @extschema@.evaluate_agg_deserialize(bytea, internal) IS 'Deserial function of credit.evaluate_agg';
COMMENT ON FUNCTION @extschema@.evaluate_agg_final(internal) IS 'Final function of credit.evaluate_agg';

CREATE AGGREGATE @extschema@.evaluate_agg(model text, as_of date, item_code text, decided_on date,
                                         value double precision, status text) (
    SFUNC = @extschema@.evaluate_agg_trans,
    STYPE = internal,
    -- a subject with records of every item of a large model (32 rules: a
    -- 1 KB allocation); the planner then prefers a sorted input (the
    -- covering record_subject_idx) to hashing hundreds of thousands of states
    SSPACE = 1024,
    FINALFUNC = @extschema@.evaluate_agg_final,
    COMBINEFUNC = @extschema@.evaluate_agg_combine,
    SERIALFUNC = @extschema@.evaluate_agg_serialize,
    DESERIALFUNC = @extschema@.evaluate_agg_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.evaluate_agg(text, date, text, date, double precision, text) IS
    'Evaluation state of one subject under a model as of a date, over its records (only active ones dated on or before as_of count): finalize it with credit.evalstate_result';

CREATE FUNCTION @extschema@.evalstate_result(model text, state bytea, as_of date,
                                            OUT score numeric, OUT grade text, OUT dimensions jsonb)
    AS 'MODULE_PATHNAME', 'credit_evalstate_result' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.evalstate_result(text, bytea, date) IS
    'Score, grade and dimension totals of an evaluation state at as_of (on or after its anchor); a NULL state is a subject without records (base score)';
CREATE FUNCTION @extschema@.evalstate_score(model text, state bytea, as_of date) RETURNS double precision
    AS 'MODULE_PATHNAME', 'credit_evalstate_score' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.evalstate_score(text, bytea, date) IS 'Score alone of an evaluation state at as_of';
CREATE FUNCTION @extschema@.evalstate_grade(model text, state bytea, as_of date) RETURNS text
    AS 'MODULE_PATHNAME', 'credit_evalstate_grade' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.evalstate_grade(text, bytea, date) IS 'Grade alone of an evaluation state at as_of';
CREATE FUNCTION @extschema@.evalstate_merge(model text, a bytea, b bytea, sign integer DEFAULT 1) RETURNS bytea
    AS 'MODULE_PATHNAME', 'credit_evalstate_merge' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.evalstate_merge(text, bytea, bytea, integer) IS
    'a + sign × b (sign 1 adds the records folded in b, -1 takes them out), anchored at the later anchor; NULL is an empty state';
CREATE FUNCTION @extschema@.evalstate_reanchor(model text, state bytea, anchor date) RETURNS bytea
    AS 'MODULE_PATHNAME', 'credit_evalstate_reanchor' LANGUAGE C STRICT STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.evalstate_reanchor(text, bytea, date) IS
    'The same state anchored at another date (decaying sums multiplied by 0.5^(days / half-life))';
CREATE FUNCTION @extschema@.evalstate_anchor(state bytea) RETURNS date
    AS 'MODULE_PATHNAME', 'credit_evalstate_anchor' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.evalstate_anchor(bytea) IS 'Date an evaluation state is anchored at';
CREATE FUNCTION @extschema@.evalstate_valid(model text, state bytea) RETURNS boolean
    AS 'MODULE_PATHNAME', 'credit_evalstate_valid' LANGUAGE C STRICT STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.evalstate_valid(text, bytea) IS
    'Whether a stored state was built for the model''s current items, half-lives and per_value (if not, recompute it from the records)';

-- Score, grade and dimensions of one subject.
CREATE FUNCTION @extschema@.evaluate_subject(subject_id bigint, model text, as_of date DEFAULT CURRENT_DATE,
                                            OUT score numeric, OUT grade text, OUT dimensions jsonb)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM @extschema@.model m WHERE m.code = evaluate_subject.model) THEN
        RAISE EXCEPTION 'evaluation model "%" does not exist', @extschema@.clip(evaluate_subject.model)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Models are rows of credit.model.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.subject s WHERE s.id = evaluate_subject.subject_id) THEN
        PERFORM @extschema@.subject_missing(evaluate_subject.subject_id);
    END IF;
    -- The state of the subject's records (as credit.evaluate_fresh folds them)
    -- in one query that names credit.record and filters on the subject: on
    -- Citus it is routed to the subject's shard and runs there whole (a call
    -- of the SQL function would be inlined after Citus had planned it).
    SELECT r.score, r.grade, r.dimensions INTO score, grade, dimensions
      FROM (SELECT COALESCE(@extschema@.evaluate_agg(evaluate_subject.model, evaluate_subject.as_of,
                                                     x.item_code, x.decided_on, x.value, x.status),
                            @extschema@.evalstate_empty(evaluate_subject.model, evaluate_subject.as_of)) AS state
              FROM @extschema@.record x
             WHERE x.subject_id OPERATOR(pg_catalog.=) evaluate_subject.subject_id) f
     CROSS JOIN LATERAL @extschema@.evalstate_result(evaluate_subject.model, f.state, evaluate_subject.as_of) r;
END
$$;
COMMENT ON FUNCTION @extschema@.evaluate_subject(bigint, text, date) IS
    'Score, grade and dimension totals of a subject under a model as of a date, from its records (the semantics of docs/evaluation.md)';

-- (pg_dump keeps the models users add or change: registered by 99-backup.sql)

GRANT SELECT ON @extschema@.model, @extschema@.model_grade, @extschema@.model_dimension,
    @extschema@.model_rule, @extschema@.model_subject TO credit_department, credit_analyst;
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.model, @extschema@.model_grade,
    @extschema@.model_dimension, @extschema@.model_rule TO credit_admin;
GRANT SELECT ON @extschema@.model_subject TO credit_admin;
CREATE FUNCTION @extschema@.evalstate_empty(model text, anchor date) RETURNS bytea
    AS 'MODULE_PATHNAME', 'credit_evalstate_empty' LANGUAGE C STRICT STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.evalstate_empty(text, date) IS 'State of a subject without counted records, anchored at a date';

-- Evaluating subjects afresh from their records (one rule, used by
-- evaluate_subject, registration and the fold): the state of each subject
-- under a model as of a date (the base state without counted records).
-- Inlined by the planner (no SET clause, every name qualified).
CREATE FUNCTION @extschema@.evaluate_fresh(subjects bigint[], model text, as_of date)
RETURNS TABLE (subject_id bigint, state bytea)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT k.s, COALESCE(
               @extschema@.evaluate_agg($2, $3, r.item_code, r.decided_on, r.value, r.status),
               @extschema@.evalstate_empty($2, $3))
      FROM pg_catalog.unnest($1) AS k(s)
      LEFT JOIN @extschema@.record r ON r.subject_id OPERATOR(pg_catalog.=) k.s
     GROUP BY k.s
$$;
COMMENT ON FUNCTION @extschema@.evaluate_fresh(bigint[], text, date) IS
    'Evaluation state of each given subject under a model as of a date, computed afresh from its records (only active records dated on or before as_of count; a subject without any has the base state)';
-- Shipped evaluation models (edit freely: they are rows).  Scores follow the
-- common "base score + bonuses - deductions" shape of public credit evaluation schemes (docs/evaluation.md).

-- Industry grades feed the comprehensive models as records (written by
-- credit.run_evaluation of an industry model, department 'platform').
INSERT INTO @extschema@.catalog_item (code, name, category, channel, library, polarity, severity, published) VALUES
    ('industry_grade_a', 'Industry credit grade A (行业信用评价A级)', 'industry_grade', 'public', 'legal_person', 'positive', NULL, false),
    ('industry_grade_b', 'Industry credit grade B (行业信用评价B级)', 'industry_grade', 'public', 'legal_person', 'neutral', NULL, false),
    ('industry_grade_c', 'Industry credit grade C (行业信用评价C级)', 'industry_grade', 'public', 'legal_person', 'negative', 'minor', false),
    ('industry_grade_d', 'Industry credit grade D (行业信用评价D级)', 'industry_grade', 'public', 'legal_person', 'negative', 'general', false);

-- Comprehensive evaluation of organisations (公共信用综合评价: 法人).
INSERT INTO @extschema@.model (code, name, scope, subject_kinds, base, lo, hi, description) VALUES
    ('comprehensive_enterprise', 'Public credit comprehensive evaluation of organisations (公共信用综合评价：法人)',
     'comprehensive', '{enterprise,social_org,institution,government}', 1000, 0, 1200,
     'Enterprises, social organisations, public institutions and government departments; base 1000; A >= 1050, B >= 950, C >= 800, else D; serious dishonesty listing vetoes to D');
INSERT INTO @extschema@.model_grade (model, grade, min_score, rank) VALUES
    ('comprehensive_enterprise', 'A', 1050, 1),
    ('comprehensive_enterprise', 'B', 950, 2),
    ('comprehensive_enterprise', 'C', 800, 3),
    ('comprehensive_enterprise', 'D', 0, 4);
INSERT INTO @extschema@.model_dimension (model, dimension, name, weight, lo, hi) VALUES
    ('comprehensive_enterprise', 'law_abiding', 'Law-abiding (遵纪守法)', 1, -300, NULL),
    ('comprehensive_enterprise', 'contract', 'Contract and promise keeping (履约践诺)', 1, -200, 40),
    ('comprehensive_enterprise', 'honours', 'Qualifications and honours (资质荣誉)', 1, NULL, 100),
    ('comprehensive_enterprise', 'social_responsibility', 'Social responsibility (社会责任)', 1, NULL, 50),
    ('comprehensive_enterprise', 'supervision_risk', 'Supervision risk (监管风险)', 1, -400, 50);
INSERT INTO @extschema@.model_rule (model, item_code, dimension, points, per_value, half_life_days, cap, veto_grade) VALUES
    ('comprehensive_enterprise', 'penalty_warning', 'law_abiding', -2, false, 180, 10, NULL),
    ('comprehensive_enterprise', 'penalty_minor', 'law_abiding', -5, false, 365, 20, NULL),
    ('comprehensive_enterprise', 'penalty_general', 'law_abiding', -30, false, 365, 120, NULL),
    ('comprehensive_enterprise', 'penalty_serious', 'law_abiding', -100, false, 730, 300, 'C'),
    ('comprehensive_enterprise', 'tax_grade_d', 'law_abiding', -50, false, 365, 50, NULL),
    ('comprehensive_enterprise', 'tax_arrears', 'law_abiding', -20, false, 365, 60, NULL),
    ('comprehensive_enterprise', 'social_insurance_arrears', 'law_abiding', -10, false, 365, 40, NULL),
    ('comprehensive_enterprise', 'contract_breach', 'contract', -20, false, 365, 100, NULL),
    ('comprehensive_enterprise', 'commitment_broken', 'contract', -30, false, 365, 90, NULL),
    ('comprehensive_enterprise', 'commitment_kept', 'contract', 5, false, 365, 20, NULL),
    ('comprehensive_enterprise', 'loan_overdue', 'contract', -10, true, 365, 100, NULL),
    ('comprehensive_enterprise', 'loan_default', 'contract', -80, false, 730, 160, 'C'),
    ('comprehensive_enterprise', 'loan_repaid', 'contract', 2, false, 365, 20, NULL),
    ('comprehensive_enterprise', 'utility_arrears', 'contract', -5, false, 180, 20, NULL),
    ('comprehensive_enterprise', 'honour_national', 'honours', 30, false, 1095, 60, NULL),
    ('comprehensive_enterprise', 'honour_provincial', 'honours', 20, false, 1095, 40, NULL),
    ('comprehensive_enterprise', 'honour_city', 'honours', 10, false, 1095, 30, NULL),
    ('comprehensive_enterprise', 'honour_county', 'honours', 5, false, 1095, 15, NULL),
    ('comprehensive_enterprise', 'honour_township', 'honours', 3, false, 1095, 9, NULL),
    ('comprehensive_enterprise', 'honour_village', 'honours', 1, false, 1095, 3, NULL),
    ('comprehensive_enterprise', 'tax_grade_a', 'honours', 20, false, 365, 20, NULL),
    ('comprehensive_enterprise', 'list_red_tax_a', 'honours', 10, false, NULL, 10, NULL),
    ('comprehensive_enterprise', 'list_red_honour', 'honours', 20, false, NULL, 20, NULL),
    ('comprehensive_enterprise', 'charity_donation', 'social_responsibility', 5, false, 365, 25, NULL),
    ('comprehensive_enterprise', 'volunteer_service', 'social_responsibility', 2, false, 365, 10, NULL),
    ('comprehensive_enterprise', 'list_abnormal_operation', 'supervision_risk', -50, false, NULL, 50, NULL),
    ('comprehensive_enterprise', 'list_key_attention', 'supervision_risk', -100, false, NULL, 100, NULL),
    ('comprehensive_enterprise', 'list_dishonest_debtor', 'supervision_risk', -200, false, NULL, 200, 'C'),
    ('comprehensive_enterprise', 'list_serious_dishonesty', 'supervision_risk', -300, false, NULL, 300, 'D'),
    ('comprehensive_enterprise', 'industry_grade_a', 'supervision_risk', 15, false, 365, 45, NULL),
    ('comprehensive_enterprise', 'industry_grade_c', 'supervision_risk', -30, false, 365, 90, NULL),
    ('comprehensive_enterprise', 'industry_grade_d', 'supervision_risk', -80, false, 365, 240, NULL);

-- Comprehensive evaluation of individuals (公共信用综合评价：自然人), after Rongcheng's
-- 1000-point scheme: breach -20, lost breach lawsuit -50, arrears -10 per cycle,
-- destroying public equipment -100.
INSERT INTO @extschema@.model (code, name, scope, subject_kinds, base, lo, hi, description) VALUES
    ('comprehensive_individual', 'Public credit comprehensive evaluation of individuals (公共信用综合评价：自然人)',
     'comprehensive', '{individual}', 1000, 0, 1200,
     'Individuals; base 1000; A+ >= 1030, A >= 960, B >= 850, C >= 600, else D; dishonest debtors and serious dishonesty veto to D');
INSERT INTO @extschema@.model_grade (model, grade, min_score, rank) VALUES
    ('comprehensive_individual', 'A+', 1030, 1),
    ('comprehensive_individual', 'A', 960, 2),
    ('comprehensive_individual', 'B', 850, 3),
    ('comprehensive_individual', 'C', 600, 4),
    ('comprehensive_individual', 'D', 0, 5);
INSERT INTO @extschema@.model_dimension (model, dimension, name, weight, lo, hi) VALUES
    ('comprehensive_individual', 'law_abiding', 'Law-abiding (遵纪守法)', 1, -600, NULL),
    ('comprehensive_individual', 'contract', 'Contract and promise keeping (履约践诺)', 1, -400, 30),
    ('comprehensive_individual', 'social_responsibility', 'Social responsibility and morality (社会责任)', 1, NULL, 60);
INSERT INTO @extschema@.model_rule (model, item_code, dimension, points, per_value, half_life_days, cap, veto_grade) VALUES
    ('comprehensive_individual', 'contract_breach', 'contract', -20, false, 730, 100, NULL),
    ('comprehensive_individual', 'lawsuit_breach_lost', 'contract', -50, false, 730, 150, NULL),
    ('comprehensive_individual', 'loan_overdue', 'contract', -10, true, 730, 100, NULL),
    ('comprehensive_individual', 'loan_default', 'contract', -50, false, 1095, 100, 'C'),
    ('comprehensive_individual', 'loan_repaid', 'contract', 2, false, 365, 10, NULL),
    ('comprehensive_individual', 'utility_arrears', 'contract', -10, true, 365, 30, NULL),
    ('comprehensive_individual', 'commitment_broken', 'contract', -20, false, 365, 60, NULL),
    ('comprehensive_individual', 'commitment_kept', 'contract', 5, false, 365, 15, NULL),
    ('comprehensive_individual', 'public_equipment_damage', 'law_abiding', -100, false, 1095, 200, NULL),
    ('comprehensive_individual', 'person_penalty_general', 'law_abiding', -30, false, 730, 90, NULL),
    ('comprehensive_individual', 'person_penalty_serious', 'law_abiding', -100, false, 1095, 300, 'C'),
    ('comprehensive_individual', 'list_dishonest_debtor', 'law_abiding', -200, false, NULL, 200, 'D'),
    ('comprehensive_individual', 'list_serious_dishonesty', 'law_abiding', -300, false, NULL, 300, 'D'),
    ('comprehensive_individual', 'volunteer_service', 'social_responsibility', 5, true, 365, 30, NULL),
    ('comprehensive_individual', 'blood_donation', 'social_responsibility', 10, false, 730, 30, NULL),
    ('comprehensive_individual', 'charity_donation', 'social_responsibility', 5, false, 365, 25, NULL);

-- One industry model per industry (行业信用评价), over its supervision indicators.
INSERT INTO @extschema@.model (code, name, scope, subject_kinds, base, lo, hi, description)
SELECT 'industry_' || i.code, i.name || ': industry credit evaluation (行业信用评价)', i.code,
       CASE WHEN i.code = 'public_institution' THEN '{institution}'::@extschema@.subject_kind[]
            ELSE '{enterprise,social_org,institution}'::@extschema@.subject_kind[] END,
       100, 0, 120,
       'Subjects supervised under ' || i.code || '; base 100; A >= 105, B >= 90, C >= 75, else D; key supervision vetoes to C; the grade is written as an industry_grade_* record'
  FROM @extschema@.industry i;
INSERT INTO @extschema@.model_grade (model, grade, min_score, rank)
SELECT 'industry_' || i.code, g.grade, g.min_score, g.rank
  FROM @extschema@.industry i,
       (VALUES ('A', 105, 1), ('B', 90, 2), ('C', 75, 3), ('D', 0, 4)) AS g (grade, min_score, rank);
INSERT INTO @extschema@.model_dimension (model, dimension, name, weight, lo, hi)
SELECT 'industry_' || i.code, 'supervision', 'Industry supervision (行业监管)', 1, -100, 20
  FROM @extschema@.industry i;
INSERT INTO @extschema@.model_rule (model, item_code, dimension, points, per_value, half_life_days, cap, veto_grade)
SELECT 'industry_' || i.code, i.code || r.suffix, 'supervision', r.points, false, r.half_life, r.cap, r.veto
  FROM @extschema@.industry i,
       (VALUES ('_daily_ok', 1, 180, 10, NULL),
               ('_daily_issue', -3, 180, 30, NULL),
               ('_random_pass', 3, 365, 9, NULL),
               ('_random_fail', -10, 365, 40, NULL),
               ('_key_supervision', -15, NULL, 30, 'C')) AS r (suffix, points, half_life, cap, veto);
-- Evaluation runs, their history, each subject's current grade, scheduling
-- and the BI views over grades (docs/evaluation.md).

CREATE TABLE @extschema@.evaluation_run (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model        text NOT NULL REFERENCES @extschema@.model (code) ON UPDATE CASCADE ON DELETE CASCADE,
    as_of        date NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    finished_at  timestamptz,
    subjects     bigint,
    started_by   name NOT NULL DEFAULT session_user
);
COMMENT ON TABLE @extschema@.evaluation_run IS
    'One row per credit.run_evaluation call (评价批次): model, evaluation date, timing and number of subjects evaluated';
CREATE INDEX evaluation_run_model_idx ON @extschema@.evaluation_run (model, id);

CREATE TABLE @extschema@.evaluation (
    run_id      bigint NOT NULL REFERENCES @extschema@.evaluation_run (id) ON DELETE CASCADE,
    subject_id  bigint NOT NULL,
    model       text NOT NULL,
    score       numeric NOT NULL CONSTRAINT evaluation_score_finite
                CHECK (score > '-Infinity'::pg_catalog.numeric AND score < 'Infinity'::pg_catalog.numeric),
    grade       text,
    dimensions  jsonb NOT NULL,
    PRIMARY KEY (run_id, subject_id)
);
COMMENT ON TABLE @extschema@.evaluation IS
    'Evaluation history (评价结果): score, grade and dimension totals of every subject in scope, per run';
CREATE INDEX evaluation_subject_idx ON @extschema@.evaluation (subject_id, model);

CREATE TABLE @extschema@.subject_grade (
    subject_id  bigint NOT NULL REFERENCES @extschema@.subject (id) ON DELETE CASCADE,
    model       text NOT NULL REFERENCES @extschema@.model (code) ON UPDATE CASCADE ON DELETE CASCADE,
    score       numeric NOT NULL CONSTRAINT subject_grade_score_finite
                CHECK (score > '-Infinity'::pg_catalog.numeric AND score < 'Infinity'::pg_catalog.numeric),
    grade       text,
    state       bytea NOT NULL,
    anchor      date NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    run_id      bigint,
    listed      boolean NOT NULL DEFAULT true,
    PRIMARY KEY (subject_id, model)
) WITH (fillfactor = 70);   -- room for HOT updates: every fold rewrites its rows in place
COMMENT ON TABLE @extschema@.subject_grade IS
    'Each subject''s current grade per model (当前信用等级), exact as of anchor; state is the evaluation state (evalstate.h binary form) that incremental evaluation folds new records into';
COMMENT ON COLUMN @extschema@.subject_grade.state IS 'Evaluation state: per-item decayed sums and counts anchored at anchor (see credit.evalstate_result)';
COMMENT ON COLUMN @extschema@.subject_grade.anchor IS 'Date the state and the grade are exact for';
COMMENT ON COLUMN @extschema@.subject_grade.run_id IS 'Run that last wrote the row in full (NULL: written by incremental evaluation)';
COMMENT ON COLUMN @extschema@.subject_grade.listed IS
    'Whether the subject may be on a list (false: it has no active list entry and no active record of a list''s catalogue item, so credit.check and credit.measures_for need not read its listings): set by whatever can make a listing (a resolved entry, a record of a list item, a list given an item), true for a new row, cleared only by credit.refresh_listed; derived from every unit''s rows, so not granted to units';
CREATE INDEX subject_grade_model_idx ON @extschema@.subject_grade (model, grade);

-- The evaluation lock of a model: held exclusively by a run while it reads the
-- records and writes the grades, shared by every fold of the model.
CREATE FUNCTION @extschema@.lock_evaluation(model text) RETURNS void
    AS 'MODULE_PATHNAME', 'credit_lock_evaluation' LANGUAGE C VOLATILE STRICT;
REVOKE ALL ON FUNCTION @extschema@.lock_evaluation(text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.lock_evaluation(text) IS
    'Take a model''s evaluation lock exclusively until the end of the transaction: credit.run_evaluation holds it while it evaluates the model, and the folds of the model wait for it (no fold is lost under a run)';

-- An industry grade is a credit record the comprehensive models count; it
-- replaces the previous grade record of the same model (one rule for runs and
-- the fold).  With expire_model set (a run of that model), every active grade
-- record of the model is expired first; otherwise those of the given pairs.
-- The new records are dated decided_on and fire the record triggers.
CREATE FUNCTION @extschema@.replace_industry_grades(subjects bigint[], models text[], grades text[],
                                                   scores double precision[], run_id bigint,
                                                   decided_on date, expire_model text)
RETURNS bigint
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH u AS (
        SELECT u.s, u.m, u.g, u.sc
          FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),
                          pg_catalog.unnest($4)) AS u(s, m, g, sc)
    ), expired AS (
        UPDATE @extschema@.record r SET status = 'expired'
         WHERE r.status OPERATOR(pg_catalog.=) 'active'
           AND r.item_code IN (SELECT c.code FROM @extschema@.catalog_item c
                                WHERE c.category OPERATOR(pg_catalog.=) 'industry_grade')
           AND CASE WHEN $7 IS NOT NULL THEN (r.details OPERATOR(pg_catalog.->>) 'model') OPERATOR(pg_catalog.=) $7
                    ELSE EXISTS (SELECT 1 FROM u
                                  WHERE u.s OPERATOR(pg_catalog.=) r.subject_id
                                    AND u.m OPERATOR(pg_catalog.=) (r.details OPERATOR(pg_catalog.->>) 'model')) END
        RETURNING 1
    ), added AS (
        INSERT INTO @extschema@.record (subject_id, item_code, department, document_no, decided_on, value, details)
        SELECT u.s, c.code, 'platform',
               CASE WHEN $5 IS NULL THEN 'incremental evaluation'
                    ELSE 'evaluation run ' OPERATOR(pg_catalog.||) $5 END,
               $6, 1,
               pg_catalog.jsonb_build_object('model', u.m, 'industry', md.scope, 'grade', u.g,
                                             'score', u.sc, 'run_id', $5)
          FROM u
          JOIN @extschema@.model md ON md.code OPERATOR(pg_catalog.=) u.m
          JOIN @extschema@.catalog_item c
            ON c.code OPERATOR(pg_catalog.=) ('industry_grade_' OPERATOR(pg_catalog.||) pg_catalog.lower(u.g))
         ORDER BY u.s, u.m COLLATE pg_catalog."C"
        RETURNING 1
    )
    SELECT pg_catalog.count(*) FROM added
$$;
REVOKE ALL ON FUNCTION @extschema@.replace_industry_grades(bigint[], text[], text[], double precision[], bigint, date, text)
    FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.replace_industry_grades(bigint[], text[], text[], double precision[], bigint, date, text) IS
    'Write industry grades as credit records (industry_grade_<grade>) that the comprehensive models count, expiring the grade records they replace (of the given subject and model pairs, or every one of expire_model); returns the number of records written';

-- Evaluate every subject in a model's scope with one parallel scan of the records.
CREATE FUNCTION @extschema@.run_evaluation(model text, as_of date DEFAULT CURRENT_DATE) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off   -- compiling the run's large plans costs more than it saves
AS $$
#variable_conflict use_column
DECLARE
    m      @extschema@.model;
    run    bigint;
    n      bigint;  changed bigint;  finished timestamptz;
    hashagg text := current_setting('enable_hashagg');
BEGIN
    SELECT * INTO m FROM @extschema@.model md WHERE md.code = run_evaluation.model;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'evaluation model "%" does not exist', run_evaluation.model
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Models are rows of credit.model.';
    END IF;
    IF as_of IS NULL OR NOT pg_catalog.isfinite(as_of) OR as_of > CURRENT_DATE THEN
        RAISE EXCEPTION 'cannot run an evaluation as of %', coalesce(@extschema@.iso_date(as_of), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'as_of must be a finite date not later than the current date.';
    END IF;
    -- one run of a model at a time
    PERFORM @extschema@.lock_evaluation(m.code);

    INSERT INTO @extschema@.evaluation_run (model, as_of) VALUES (m.code, run_evaluation.as_of) RETURNING id INTO run;

    -- The core query: every record read once, folded by the parallel C aggregate
    -- in subject order (the covering record_subject_idx): hashing the states of
    -- all subjects instead costs a cache miss or two per record.
    IF to_regclass('pg_temp.credit_evaluation_state') IS NOT NULL THEN
        DROP TABLE pg_temp.credit_evaluation_state;
    END IF;
    -- Sorted input only when the table is mostly all-visible (vacuumed):
    -- otherwise the index-only scan visits the heap for each record and
    -- hashing wins.
    IF (SELECT c.relallvisible >= 0.9 * c.relpages FROM pg_catalog.pg_class c
         WHERE c.oid = '@extschema@.record'::pg_catalog.regclass) THEN
        PERFORM set_config('enable_hashagg', 'off', true);
    END IF;
    EXECUTE format($q$
        CREATE TEMP TABLE credit_evaluation_state ON COMMIT DROP AS
        SELECT r.subject_id,
               @extschema@.evaluate_agg(%1$L, %2$L::date, r.item_code, r.decided_on, r.value, r.status) AS state
          FROM @extschema@.record r
         GROUP BY r.subject_id$q$, m.code, as_of);   -- the aggregate skips inactive and later records itself
    PERFORM set_config('enable_hashagg', hashagg, true);

    -- Finalized once per subject in scope (subjects without records: the base score).
    IF to_regclass('pg_temp.credit_evaluation_result') IS NOT NULL THEN
        DROP TABLE pg_temp.credit_evaluation_result;
    END IF;
    CREATE TEMP TABLE credit_evaluation_result ON COMMIT DROP AS
    SELECT s.id AS subject_id, coalesce(st.state, @extschema@.evalstate_empty(m.code, run_evaluation.as_of)) AS state,
           e.score, e.grade, e.dimensions
      FROM @extschema@.subject s
      LEFT JOIN pg_temp.credit_evaluation_state st ON st.subject_id = s.id
      CROSS JOIN LATERAL @extschema@.evalstate_result(m.code, st.state, run_evaluation.as_of) e
     WHERE @extschema@.subject_in_scope(s.kind, s.industries, m.subject_kinds, m.scope);
    ANALYZE pg_temp.credit_evaluation_result;

    INSERT INTO @extschema@.evaluation (run_id, subject_id, model, score, grade, dimensions)
    SELECT run, res.subject_id, m.code, res.score, res.grade, res.dimensions
      FROM pg_temp.credit_evaluation_result res ORDER BY res.subject_id;
    GET DIAGNOSTICS n = ROW_COUNT;

    -- Current grades: one set-based UPDATE of the rows that exist (no
    -- speculative insertion per row), then the subjects that have none yet
    -- (a row written meanwhile by the record triggers is updated instead).
    -- A row already exact for a later date is left alone.
    -- The grades it changes are logged (credit.log_grade_changes, cause
    -- 'evaluation'); the old values are read from the same snapshot, which no
    -- fold changes while the run holds the model's evaluation lock.
    WITH u AS (
        UPDATE @extschema@.subject_grade g
           SET score = res.score, grade = res.grade, state = res.state,
               anchor = run_evaluation.as_of, updated_at = pg_catalog.now(), run_id = run
          FROM pg_temp.credit_evaluation_result res
          JOIN @extschema@.subject_grade o ON o.subject_id = res.subject_id AND o.model = m.code
         WHERE g.subject_id = res.subject_id AND g.model = m.code
           AND g.anchor <= run_evaluation.as_of
        RETURNING g.subject_id, o.grade AS old_grade, g.grade AS new_grade, o.score AS old_score, g.score AS new_score
    )
    SELECT @extschema@.log_grade_changes(pg_catalog.array_agg(u.subject_id), pg_catalog.array_agg(m.code),
                                         pg_catalog.array_agg(u.old_grade), pg_catalog.array_agg(u.new_grade),
                                         pg_catalog.array_agg(u.old_score::pg_catalog.float8),
                                         pg_catalog.array_agg(u.new_score::pg_catalog.float8),
                                         pg_catalog.array_agg(NULL::bigint),
                                         pg_catalog.array_agg('evaluation'::pg_catalog.text))
      INTO changed
      FROM u WHERE u.new_grade IS DISTINCT FROM u.old_grade
    HAVING pg_catalog.count(*) > 0;
    -- Then the subjects without a row.  On Citus the sub-query that skips
    -- the others is left out (a local table and a correlated sub-query on a
    -- distributed table are not planned together): the rows that exist are
    -- then updated again, to the same values, by the conflict clause.
    EXECUTE format($q$
        INSERT INTO @extschema@.subject_grade AS g (subject_id, model, score, grade, state, anchor, updated_at, run_id)
        SELECT res.subject_id, $1, res.score, res.grade, res.state, $2, pg_catalog.now(), $3
          FROM pg_temp.credit_evaluation_result res
         %s
         ORDER BY res.subject_id
        ON CONFLICT (subject_id, model) DO UPDATE
           SET score = EXCLUDED.score, grade = EXCLUDED.grade, state = EXCLUDED.state,
               anchor = EXCLUDED.anchor, updated_at = EXCLUDED.updated_at, run_id = EXCLUDED.run_id
         WHERE g.anchor <= EXCLUDED.anchor$q$,
        CASE WHEN NOT @extschema@.distributed() THEN
            'WHERE NOT EXISTS (SELECT 1 FROM @extschema@.subject_grade x
                                WHERE x.subject_id = res.subject_id AND x.model = $1)' END)
      USING m.code, run_evaluation.as_of, run;

    -- subjects that left the model's scope have no current grade under it
    DELETE FROM @extschema@.subject_grade g
     WHERE g.model = m.code
       AND NOT EXISTS (SELECT 1 FROM @extschema@.evaluation e WHERE e.run_id = run AND e.subject_id = g.subject_id);

    -- An industry grade is a credit record the comprehensive models count;
    -- it replaces the previous grade of the same model.
    IF m.scope <> 'comprehensive' THEN
        PERFORM @extschema@.replace_industry_grades(pg_catalog.array_agg(e.subject_id ORDER BY e.subject_id),
                                                    pg_catalog.array_agg(m.code), pg_catalog.array_agg(e.grade ORDER BY e.subject_id),
                                                    pg_catalog.array_agg(e.score::pg_catalog.float8 ORDER BY e.subject_id),
                                                    run, run_evaluation.as_of, m.code)
           FROM @extschema@.evaluation e WHERE e.run_id = run;
    END IF;

    -- the time taken first: Citus refuses a volatile function in an UPDATE
    -- of a reference table
    finished := clock_timestamp();
    UPDATE @extschema@.evaluation_run SET finished_at = finished, subjects = n WHERE id = run;
    DROP TABLE pg_temp.credit_evaluation_state;
    DROP TABLE pg_temp.credit_evaluation_result;
    RETURN run;
END
$$;
COMMENT ON FUNCTION @extschema@.run_evaluation(text, date) IS
    'Evaluate every subject in a model''s scope as of a date (subjects without records get the base score): appends credit.evaluation, refreshes credit.subject_grade, writes industry grades as records for industry models; returns the run id';

-- A clear error, with the steps to take, when pg_cron is not installed here.
CREATE FUNCTION @extschema@.require_pg_cron(why text) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in this database'
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = why,
                  HINT = 'Install postgresql-15-cron, set shared_preload_libraries = ''pg_cron'' and cron.database_name to this database, restart the server, then run CREATE EXTENSION pg_cron.';
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.require_pg_cron(text) IS
    'Raises feature_not_supported (with the steps to install pg_cron) unless pg_cron is installed in this database; why is the error detail';

-- Why pg_cron could not start this server's jobs, or NULL: without
-- background workers a job is a client connection to cron.host, which the
-- server must listen on.
CREATE FUNCTION @extschema@.cron_problem() RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    workers text := pg_catalog.current_setting('cron.use_background_workers', true);
    host text := pg_catalog.current_setting('cron.host', true);
    sockets text[];
BEGIN
    IF workers IS NULL OR workers = 'on' OR host IS NULL THEN
        RETURN NULL;
    END IF;
    IF pg_catalog.left(host, 1) = '/' THEN
        sockets := pg_catalog.regexp_split_to_array(
            pg_catalog.current_setting('unix_socket_directories'), '\s*,\s*');
        IF pg_catalog.rtrim(host, '/') = ANY (SELECT pg_catalog.rtrim(pg_catalog.btrim(d), '/') FROM pg_catalog.unnest(sockets) d) THEN
            RETURN NULL;
        END IF;
        RETURN pg_catalog.format('pg_cron connects to the socket directory cron.host = %L, but the server''s sockets are in %L',
                                 host, pg_catalog.current_setting('unix_socket_directories'));
    END IF;
    IF pg_catalog.btrim(pg_catalog.current_setting('listen_addresses')) = '' THEN
        RETURN pg_catalog.format('pg_cron connects to cron.host = %L over TCP, but the server listens on no TCP address (listen_addresses is empty)', host);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.cron_problem() IS
    'Why pg_cron''s jobs could not connect to this server as it is configured (cron.use_background_workers off and cron.host not a socket or address the server listens on), or NULL';

-- Schedule one of the platform's pg_cron jobs: a job of that name (of the
-- current user) is unscheduled first, so the new one runs here, active,
-- with the connection settings of now (pg_cron's own upsert by name keeps
-- an old job's database, host and active flag).
CREATE FUNCTION @extschema@.schedule_job(jobname text, schedule text, command text) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    problem text := @extschema@.cron_problem();
    job bigint;
BEGIN
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'pg_cron could not run the job % on this server', jobname
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = problem || '.',
                  HINT = 'Set cron.use_background_workers = on in postgresql.conf and restart the server (docs/scheduling.md).';
    END IF;
    EXECUTE 'SELECT pg_catalog.count(cron.unschedule(j.jobid)) FROM cron.job j
              WHERE j.jobname OPERATOR(pg_catalog.=) $1 AND j.username OPERATOR(pg_catalog.=) CURRENT_USER'
        USING jobname;
    EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job USING jobname, schedule, command;
    RETURN job;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.schedule_job(text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.schedule_job(text, text, text) IS
    'Schedule a pg_cron job of the platform, replacing the current user''s job of that name; refuses (55000) when pg_cron could not connect to run it (credit.cron_problem); returns the job id';

-- Schedule a model's evaluation with pg_cron.
CREATE FUNCTION @extschema@.schedule_evaluation(model text, schedule text) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.require_pg_cron('credit.schedule_evaluation runs evaluations as pg_cron jobs.');
    IF NOT EXISTS (SELECT 1 FROM @extschema@.model md WHERE md.code = schedule_evaluation.model) THEN
        RAISE EXCEPTION 'evaluation model "%" does not exist', schedule_evaluation.model
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Models are rows of credit.model.';
    END IF;
    RETURN @extschema@.schedule_job('credit_evaluation_' || schedule_evaluation.model, schedule,
                                    pg_catalog.format('SELECT @extschema@.run_evaluation(%L)', schedule_evaluation.model));
END
$$;
COMMENT ON FUNCTION @extschema@.schedule_evaluation(text, text) IS
    'Run credit.run_evaluation(model) on a cron schedule (pg_cron job named credit_evaluation_<model>, replaced if it exists; schedules in UTC with pg_cron 1.4); returns the job id';

-- The platform's pg_cron jobs with their last run: what a DBA checks the
-- morning after.  Read with the caller's rights: pg_cron shows a role its
-- own jobs (a superuser all).
CREATE FUNCTION @extschema@.scheduled_jobs()
RETURNS TABLE(jobid bigint, jobname text, schedule text, command text, database text, username text,
              active boolean, last_start timestamptz, last_end timestamptz, last_status text,
              last_message text, runs bigint, failed_runs bigint, problem text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE $q$
        SELECT j.jobid, j.jobname::pg_catalog.text, j.schedule, j.command, j.database::pg_catalog.text,
               j.username::pg_catalog.text, j.active, r.start_time, r.end_time, r.status::pg_catalog.text,
               r.return_message, n.runs, n.failed,
               CASE WHEN NOT j.active THEN 'inactive: schedule it again'
                    WHEN j.database OPERATOR(pg_catalog.<>) pg_catalog.current_database()
                        THEN pg_catalog.format('runs in database %s: schedule it again in this one', j.database)
                    WHEN r.status OPERATOR(pg_catalog.=) 'failed'
                        THEN COALESCE(@extschema@.cron_problem(), 'the last run failed: see last_message')
               END
          FROM cron.job j
          LEFT JOIN LATERAL (
                SELECT d.start_time, d.end_time, d.status, d.return_message
                  FROM cron.job_run_details d
                 WHERE d.jobid OPERATOR(pg_catalog.=) j.jobid
                 ORDER BY d.runid DESC LIMIT 1) r ON true
          LEFT JOIN LATERAL (
                SELECT pg_catalog.count(*) AS runs,
                       pg_catalog.count(*) FILTER (WHERE d.status OPERATOR(pg_catalog.=) 'failed') AS failed
                  FROM cron.job_run_details d
                 WHERE d.jobid OPERATOR(pg_catalog.=) j.jobid) n ON true
         WHERE j.jobname LIKE 'credit\_%'
         ORDER BY j.jobname, j.jobid
    $q$;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.scheduled_jobs() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.scheduled_jobs() IS
    'The platform''s pg_cron jobs (names credit_*) with their last run and its outcome; empty without pg_cron; a role sees the jobs pg_cron shows it (its own; a superuser all)';

CREATE VIEW @extschema@.v_scheduled_job AS SELECT * FROM @extschema@.scheduled_jobs();
COMMENT ON VIEW @extschema@.v_scheduled_job IS
    'The platform''s scheduled jobs (pg_cron: evaluations, re-anchoring, list expiry) with their last run and outcome';
COMMENT ON COLUMN @extschema@.v_scheduled_job.jobid IS 'pg_cron job id (cron.job.jobid)';
COMMENT ON COLUMN @extschema@.v_scheduled_job.jobname IS 'job name: credit_evaluation_<model>, credit_reanchor, credit_list_expiry';
COMMENT ON COLUMN @extschema@.v_scheduled_job.schedule IS 'cron schedule (minute hour day month weekday; UTC with pg_cron 1.4)';
COMMENT ON COLUMN @extschema@.v_scheduled_job.command IS 'the SQL the job runs';
COMMENT ON COLUMN @extschema@.v_scheduled_job.database IS 'database the job runs in';
COMMENT ON COLUMN @extschema@.v_scheduled_job.username IS 'role the job runs as';
COMMENT ON COLUMN @extschema@.v_scheduled_job.active IS 'false: pg_cron does not run the job';
COMMENT ON COLUMN @extschema@.v_scheduled_job.last_start IS 'start of the last run (NULL: never ran)';
COMMENT ON COLUMN @extschema@.v_scheduled_job.last_end IS 'end of the last run';
COMMENT ON COLUMN @extschema@.v_scheduled_job.last_status IS 'outcome of the last run: succeeded, failed, or starting / running while it runs';
COMMENT ON COLUMN @extschema@.v_scheduled_job.last_message IS 'what the last run returned: the command tag, or the error (e.g. connection failed)';
COMMENT ON COLUMN @extschema@.v_scheduled_job.runs IS 'runs logged in cron.job_run_details';
COMMENT ON COLUMN @extschema@.v_scheduled_job.failed_runs IS 'of those, runs that failed';
COMMENT ON COLUMN @extschema@.v_scheduled_job.problem IS 'what to do about the job, when something is wrong: inactive, scheduled in another database, or why its last run failed';

CREATE FUNCTION @extschema@.unschedule_evaluation(model text) RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    done boolean;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in this database'
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Nothing can be scheduled without pg_cron: see credit.schedule_evaluation.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM cron.job WHERE jobname = 'credit_evaluation_' || unschedule_evaluation.model) THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT cron.unschedule($1)' INTO done USING 'credit_evaluation_' || unschedule_evaluation.model;
    RETURN done;
END
$$;
COMMENT ON FUNCTION @extschema@.unschedule_evaluation(text) IS
    'Remove the pg_cron job of credit.schedule_evaluation(model); false when there was none';

-- BI: grade distribution of each model's latest run.
CREATE VIEW @extschema@.v_grade_distribution AS
    WITH latest AS (
        SELECT DISTINCT ON (r.model) r.model, r.id, r.as_of
          FROM @extschema@.evaluation_run r
         WHERE r.finished_at IS NOT NULL
         ORDER BY r.model, r.id DESC
    ), counts AS (
        SELECT e.run_id, e.grade, count(*) AS n
          FROM @extschema@.evaluation e JOIN latest l ON l.id = e.run_id
         GROUP BY e.run_id, e.grade
    )
    SELECT l.model, g.grade, coalesce(c.n, 0) AS subjects,
           round(coalesce(c.n, 0)::numeric / NULLIF(sum(coalesce(c.n, 0)) OVER (PARTITION BY l.model), 0), 4) AS share,
           l.id AS run, l.as_of, g.rank
      FROM latest l
      JOIN @extschema@.model_grade g ON g.model = l.model
      LEFT JOIN counts c ON c.run_id = l.id AND c.grade = g.grade;
COMMENT ON VIEW @extschema@.v_grade_distribution IS
    'Grade distribution (信用等级分布) of the latest finished run of each model';
COMMENT ON COLUMN @extschema@.v_grade_distribution.model IS 'Evaluation model code';
COMMENT ON COLUMN @extschema@.v_grade_distribution.grade IS 'Grade of the model';
COMMENT ON COLUMN @extschema@.v_grade_distribution.subjects IS 'Number of subjects with that grade in the run';
COMMENT ON COLUMN @extschema@.v_grade_distribution.share IS 'Share of the run''s subjects with that grade (0 to 1)';
COMMENT ON COLUMN @extschema@.v_grade_distribution.run IS 'Run id (credit.evaluation_run)';
COMMENT ON COLUMN @extschema@.v_grade_distribution.as_of IS 'Evaluation date of the run';
COMMENT ON COLUMN @extschema@.v_grade_distribution.rank IS 'Rank of the grade (1 is best), for ordering';

-- BI: grade movements between the last two runs of each model.
CREATE VIEW @extschema@.v_grade_movement AS
    WITH ranked AS (
        SELECT r.model, r.id, r.as_of, row_number() OVER (PARTITION BY r.model ORDER BY r.id DESC) AS k
          FROM @extschema@.evaluation_run r
         WHERE r.finished_at IS NOT NULL
    ), pair AS (
        SELECT cur.model, prev.id AS previous_run, cur.id AS run
          FROM ranked cur JOIN ranked prev ON prev.model = cur.model AND prev.k = 2
         WHERE cur.k = 1
    ), moves AS (
        SELECT p.model, p.previous_run, p.run, x.from_grade, x.to_grade
          FROM pair p
          CROSS JOIN LATERAL (
              SELECT pe.grade AS from_grade, ce.grade AS to_grade
                FROM (SELECT e.subject_id, e.grade FROM @extschema@.evaluation e WHERE e.run_id = p.run) ce
                FULL JOIN (SELECT e.subject_id, e.grade FROM @extschema@.evaluation e WHERE e.run_id = p.previous_run) pe
                  ON pe.subject_id = ce.subject_id) x
    )
    SELECT mv.model, mv.previous_run, mv.run, mv.from_grade, mv.to_grade,
           CASE WHEN mv.from_grade IS NULL THEN 'new'
                WHEN mv.to_grade IS NULL THEN 'gone'
                WHEN fg.rank > tg.rank THEN 'up'
                WHEN fg.rank < tg.rank THEN 'down'
                ELSE 'same' END AS direction,
           count(*) AS subjects
      FROM moves mv
      LEFT JOIN @extschema@.model_grade fg ON fg.model = mv.model AND fg.grade = mv.from_grade
      LEFT JOIN @extschema@.model_grade tg ON tg.model = mv.model AND tg.grade = mv.to_grade
     GROUP BY 1, 2, 3, 4, 5, 6;
COMMENT ON VIEW @extschema@.v_grade_movement IS
    'Grade movements (等级变动) between the last two finished runs of each model: how many subjects went from one grade to another';
COMMENT ON COLUMN @extschema@.v_grade_movement.model IS 'Evaluation model code';
COMMENT ON COLUMN @extschema@.v_grade_movement.previous_run IS 'The earlier run';
COMMENT ON COLUMN @extschema@.v_grade_movement.run IS 'The latest run';
COMMENT ON COLUMN @extschema@.v_grade_movement.from_grade IS 'Grade in the earlier run (NULL: not evaluated then)';
COMMENT ON COLUMN @extschema@.v_grade_movement.to_grade IS 'Grade in the latest run (NULL: no longer evaluated)';
COMMENT ON COLUMN @extschema@.v_grade_movement.direction IS 'up (better grade), down (worse), same, new or gone';
COMMENT ON COLUMN @extschema@.v_grade_movement.subjects IS 'Number of subjects that moved so';

REVOKE ALL ON FUNCTION @extschema@.run_evaluation(text, date) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.schedule_evaluation(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.unschedule_evaluation(text) FROM PUBLIC;
GRANT SELECT ON @extschema@.evaluation_run, @extschema@.evaluation, @extschema@.subject_grade,
    @extschema@.v_grade_distribution, @extschema@.v_grade_movement TO credit_analyst;
-- Units read current grades, not the evaluation states: a state sums every
-- record of the subject, those of other units' market channel included.
GRANT SELECT (subject_id, model, score, grade, anchor, updated_at, run_id)
    ON @extschema@.subject_grade TO credit_department;
-- Administrators run evaluations (credit.run_evaluation runs with the caller's rights).
GRANT SELECT, INSERT, UPDATE ON @extschema@.evaluation_run TO credit_admin;
GRANT SELECT, INSERT ON @extschema@.evaluation TO credit_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.subject_grade TO credit_admin;
GRANT SELECT ON @extschema@.v_grade_distribution, @extschema@.v_grade_movement TO credit_admin;
GRANT EXECUTE ON FUNCTION @extschema@.run_evaluation(text, date), @extschema@.schedule_evaluation(text, text),
    @extschema@.unschedule_evaluation(text), @extschema@.lock_evaluation(text),
    @extschema@.replace_industry_grades(bigint[], text[], text[], double precision[], bigint, date, text)
    TO credit_admin;
-- Administrators schedule the platform's jobs and read them (the schedule
-- functions and the jobs view call these with the caller's rights).
REVOKE ALL ON FUNCTION @extschema@.cron_problem() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.cron_problem(), @extschema@.schedule_job(text, text, text),
    @extschema@.scheduled_jobs() TO credit_admin;
GRANT SELECT ON @extschema@.v_scheduled_job TO credit_admin;
-- Grade changes and warnings (docs/auto-evaluation.md).

-- Every change of a subject's grade under a model, whatever caused it.
CREATE TABLE @extschema@.grade_change (
    id          bigint GENERATED ALWAYS AS IDENTITY,
    subject_id  bigint NOT NULL REFERENCES @extschema@.subject (id) ON DELETE CASCADE,
    model       text NOT NULL,
    old_grade   text,
    new_grade   text,
    old_score   double precision,
    new_score   double precision,
    changed_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    record_id   bigint,
    cause       text NOT NULL
                CHECK (cause IN ('insert', 'update', 'delete', 'decay', 'evaluation')),
    PRIMARY KEY (subject_id, id)
);
COMMENT ON TABLE @extschema@.grade_change IS
    'Every change of a subject''s grade under a model (信用等级变动): written by the record triggers, the daily re-anchoring and evaluation runs; each row is also sent as NOTIFY credit_grade_change';
COMMENT ON COLUMN @extschema@.grade_change.old_grade IS 'Grade before the change (NULL: the subject had none)';
COMMENT ON COLUMN @extschema@.grade_change.record_id IS 'The (last) record whose arrival, change or deletion caused the change; NULL for decay and evaluation runs';
COMMENT ON COLUMN @extschema@.grade_change.cause IS 'insert, update or delete of records; decay (re-anchoring to a later date with no new data); evaluation (a full run)';
CREATE INDEX grade_change_id_idx ON @extschema@.grade_change (id);
CREATE INDEX grade_change_subject_idx ON @extschema@.grade_change (subject_id, changed_at);

-- Rules that decide which warnings are raised, and how loudly.
CREATE TABLE @extschema@.warning_rule (
    kind        text PRIMARY KEY CHECK (kind ~ '^[a-z_]{1,40}$'),
    description text NOT NULL,
    enabled     boolean NOT NULL DEFAULT true,
    level       text NOT NULL DEFAULT 'medium' CHECK (level IN ('low', 'medium', 'high')),
    threshold   integer CHECK (threshold > 0),
    window_days integer CHECK (window_days > 0)
);
COMMENT ON TABLE @extschema@.warning_rule IS
    'Warning rules (预警规则): which kinds of credit.warning are raised, at which level; repeat_offence uses threshold (N negative records) and window_days (within D days); grade_drop uses threshold (drop of at least N grades)';
INSERT INTO @extschema@.warning_rule (kind, description, level, threshold, window_days) VALUES
    ('grade_drop', 'The subject''s grade dropped by at least threshold grades under a model', 'medium', 1, NULL),
    ('serious_record', 'A serious negative record (严重失信) arrived', 'high', NULL, NULL),
    ('listed', 'The subject was put on a negative list (列入名单)', 'high', NULL, NULL),
    ('related_listed', 'A related subject (legal representative, shareholder, ...) was put on a negative list', 'medium', NULL, NULL),
    ('repeat_offence', 'At least threshold negative records within window_days days (屡犯)', 'high', 3, 365),
    ('commitment_broken', 'A credit commitment was broken (违背信用承诺)', 'medium', NULL, NULL),
    ('report_conflict', 'A third-party credit report conflicts with platform data', 'low', NULL, NULL);
-- The fold reads the rules from each backend's cache, rebuilt after a change.
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.warning_rule
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_changed();

-- Warnings raised on subjects.  An open warning (resolved_at IS NULL) is not
-- raised a second time for the same subject, kind and topic.
CREATE TABLE @extschema@.warning (
    id          bigint GENERATED ALWAYS AS IDENTITY,
    subject_id  bigint NOT NULL REFERENCES @extschema@.subject (id) ON DELETE CASCADE,
    kind        text NOT NULL REFERENCES @extschema@.warning_rule (kind) ON UPDATE CASCADE,
    level       text NOT NULL CHECK (level IN ('low', 'medium', 'high')),
    raised_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    details     jsonb NOT NULL DEFAULT '{}',
    resolved_at timestamptz,
    topic       text NOT NULL DEFAULT ''
                CONSTRAINT warning_topic_length CHECK (pg_catalog.length(topic) <= 200),
    PRIMARY KEY (subject_id, id)
);
COMMENT ON TABLE @extschema@.warning IS
    'Credit warnings (信用预警) raised on subjects: grade drops, serious records, listings, repeat offences, broken commitments, report conflicts; open while resolved_at is NULL';
COMMENT ON COLUMN @extschema@.warning.topic IS
    'What the warning is about within its kind (the model of a grade drop, the item of a serious record, ...): one open warning per subject, kind and topic';
CREATE INDEX warning_id_idx ON @extschema@.warning (id);
CREATE UNIQUE INDEX warning_open_idx ON @extschema@.warning (subject_id, kind, topic)
    WHERE resolved_at IS NULL;
CREATE INDEX warning_kind_idx ON @extschema@.warning (kind, raised_at);

-- Raise a warning unless an open one of the same subject, kind and topic exists
-- or the kind is disabled; returns the new warning's id or NULL.
CREATE FUNCTION @extschema@.raise_warning(subject_id bigint, kind text, details jsonb DEFAULT '{}',
                                           topic text DEFAULT '', level text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    r  @extschema@.warning_rule;
    id bigint;
BEGIN
    SELECT * INTO r FROM @extschema@.warning_rule w WHERE w.kind = raise_warning.kind;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'warning kind "%" does not exist', @extschema@.clip(raise_warning.kind)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Warning kinds are rows of credit.warning_rule.';
    END IF;
    IF NOT r.enabled THEN
        RETURN NULL;
    END IF;
    INSERT INTO @extschema@.warning AS w (subject_id, kind, level, details, topic)
    VALUES (raise_warning.subject_id, r.kind, coalesce(raise_warning.level, r.level),
            coalesce(raise_warning.details, '{}'), coalesce(raise_warning.topic, ''))
    ON CONFLICT (subject_id, kind, topic) WHERE resolved_at IS NULL DO NOTHING
    RETURNING w.id INTO id;
    RETURN id;
END
$$;
COMMENT ON FUNCTION @extschema@.raise_warning(bigint, text, jsonb, text, text) IS
    'Raise a warning on a subject (level from credit.warning_rule unless given); NULL when an open warning of the same subject, kind and topic exists or the kind is disabled; 22023 for a kind credit.warning_rule does not have';

-- Logging grade changes (one rule for the fold, re-anchoring and evaluation
-- runs): a credit.grade_change row per change, NOTIFY credit_grade_change
-- with the change's id, model and cause (no subject, no grades: any role that
-- can connect may LISTEN; a listener with the right to read the change reads
-- it by id), and a grade_drop warning when the grade fell by at least the
-- rule's threshold.  Rows are written in (subject, model) order, so
-- concurrent callers never wait for each other in a cycle.  Returns how many
-- changes were logged.
CREATE FUNCTION @extschema@.log_grade_changes(subjects bigint[], models text[],
                                             old_grades text[], new_grades text[],
                                             old_scores double precision[], new_scores double precision[],
                                             record_ids bigint[], causes text[])
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
-- PL/pgSQL, not SQL: its statement's plan is kept for the session (the fold
-- calls it at every commit that changes a grade).
DECLARE
    n bigint;
    i integer;
    drop_rule record;
    drop_by integer;
BEGIN
    -- On a Citus worker (the fold of a shard's records, one subject at a
    -- time) each row is inserted by a statement of its own, which Citus
    -- routes to the subject's shard and runs there: the statement below
    -- would run its parts through intermediate results, which fail inside
    -- the shard's distributed transaction.  Nothing is notified there (the
    -- worker's transaction may be prepared).
    IF @extschema@.on_citus_worker() THEN
        SELECT r.kind, r.level, COALESCE(r.threshold, 1) AS threshold INTO drop_rule
          FROM @extschema@.warning_rule r
         WHERE r.kind OPERATOR(pg_catalog.=) 'grade_drop' AND r.enabled;
        n := COALESCE(pg_catalog.array_length(subjects, 1), 0);
        FOR i IN 1 .. n LOOP
            INSERT INTO @extschema@.grade_change
                   (subject_id, model, old_grade, new_grade, old_score, new_score, record_id, cause)
            VALUES (subjects[i], models[i], old_grades[i], new_grades[i], old_scores[i], new_scores[i],
                    NULLIF(record_ids[i], 0), causes[i]);
            CONTINUE WHEN drop_rule.kind IS NULL;
            SELECT gn.rank OPERATOR(pg_catalog.-) go.rank INTO drop_by
              FROM @extschema@.model_grade go, @extschema@.model_grade gn
             WHERE go.model OPERATOR(pg_catalog.=) models[i] AND go.grade OPERATOR(pg_catalog.=) old_grades[i]
               AND gn.model OPERATOR(pg_catalog.=) models[i] AND gn.grade OPERATOR(pg_catalog.=) new_grades[i];
            IF drop_by OPERATOR(pg_catalog.>=) drop_rule.threshold THEN
                INSERT INTO @extschema@.warning (subject_id, kind, level, details, topic)
                VALUES (subjects[i], drop_rule.kind, drop_rule.level,
                        pg_catalog.jsonb_build_object('model', models[i], 'old_grade', old_grades[i],
                                                      'new_grade', new_grades[i], 'old_score', old_scores[i],
                                                      'new_score', new_scores[i], 'cause', causes[i]),
                        models[i])
                ON CONFLICT (subject_id, kind, topic) WHERE resolved_at IS NULL DO NOTHING;
            END IF;
        END LOOP;
        RETURN n;
    END IF;
    WITH u AS (
        SELECT u.s, u.m, u.og, u.ng, u.os, u.ns, u.rid, u.ca,
               gn.rank OPERATOR(pg_catalog.-) go.rank AS drop_by
          FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),
                          pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6),
                          pg_catalog.unnest($7), pg_catalog.unnest($8)) AS u(s, m, og, ng, os, ns, rid, ca)
          LEFT JOIN @extschema@.model_grade go
                 ON go.model OPERATOR(pg_catalog.=) u.m AND go.grade OPERATOR(pg_catalog.=) u.og
          LEFT JOIN @extschema@.model_grade gn
                 ON gn.model OPERATOR(pg_catalog.=) u.m AND gn.grade OPERATOR(pg_catalog.=) u.ng
    ), gc AS (
        INSERT INTO @extschema@.grade_change
               (subject_id, model, old_grade, new_grade, old_score, new_score, record_id, cause)
        SELECT u.s, u.m, u.og, u.ng, u.os, u.ns, NULLIF(u.rid, 0), u.ca
          FROM u ORDER BY u.s, u.m COLLATE pg_catalog."C"
        RETURNING id, model, cause
    ), wd AS (
        INSERT INTO @extschema@.warning (subject_id, kind, level, details, topic)
        SELECT u.s, r.kind, r.level,
               pg_catalog.jsonb_build_object('model', u.m, 'old_grade', u.og, 'new_grade', u.ng,
                                             'old_score', u.os, 'new_score', u.ns, 'cause', u.ca),
               u.m
          FROM u JOIN @extschema@.warning_rule r
                   ON r.kind OPERATOR(pg_catalog.=) 'grade_drop' AND r.enabled
         WHERE u.drop_by OPERATOR(pg_catalog.>=) COALESCE(r.threshold, 1)
         ORDER BY u.s, u.m COLLATE pg_catalog."C"
        ON CONFLICT (subject_id, kind, topic) WHERE resolved_at IS NULL DO NOTHING
    )
    SELECT pg_catalog.count(*) INTO n
      FROM (SELECT pg_catalog.pg_notify('credit_grade_change',
                       pg_catalog.json_build_object('id', gc.id, 'model', gc.model, 'cause', gc.cause)::pg_catalog.text)
              FROM gc ORDER BY gc.id) notified;
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.log_grade_changes(bigint[], text[], text[], text[], double precision[],
                                                     double precision[], bigint[], text[]) FROM PUBLIC;
-- (administrators run evaluations, whose grade changes it logs)
GRANT EXECUTE ON FUNCTION @extschema@.log_grade_changes(bigint[], text[], text[], text[], double precision[],
                                                        double precision[], bigint[], text[]) TO credit_admin;
COMMENT ON FUNCTION @extschema@.log_grade_changes(bigint[], text[], text[], text[], double precision[],
                                                  double precision[], bigint[], text[]) IS
    'Log grade changes (arrays by position: subject, model, old and new grade and score, record, cause): a credit.grade_change row each, NOTIFY credit_grade_change with {"id", "model", "cause"} (no personal data), and grade_drop warnings per credit.warning_rule; on a Citus worker (the fold of its shards) each row by a statement of its own, routed to the subject''s shard, and nothing notified; returns the number logged';

-- Close an open warning.
CREATE FUNCTION @extschema@.resolve_warning(id bigint, note text DEFAULT NULL) RETURNS boolean
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH w AS (
        UPDATE @extschema@.warning w
           SET resolved_at = pg_catalog.now(),
               details = CASE WHEN note IS NULL THEN w.details
                              ELSE w.details || pg_catalog.jsonb_build_object('resolution', note) END
         WHERE w.id = resolve_warning.id AND w.resolved_at IS NULL
        RETURNING 1)
    SELECT pg_catalog.count(*) > 0 FROM w
$$;
COMMENT ON FUNCTION @extschema@.resolve_warning(bigint, text) IS
    'Resolve (close) an open warning, with an optional note kept in its details; false when it was not open';

-- BI: warnings by kind and level.
CREATE VIEW @extschema@.v_warning_summary AS
    SELECT r.kind, coalesce(w.level, r.level) AS level,
           count(w.id) FILTER (WHERE w.resolved_at IS NULL) AS open_warnings,
           count(w.id) FILTER (WHERE w.resolved_at IS NOT NULL) AS resolved_warnings,
           count(DISTINCT w.subject_id) FILTER (WHERE w.resolved_at IS NULL) AS subjects_open,
           max(w.raised_at) AS last_raised_at,
           r.enabled,
           min(w.raised_at) FILTER (WHERE w.resolved_at IS NULL) AS oldest_open_at,
           round((avg(extract(epoch FROM w.resolved_at - w.raised_at))
                  FILTER (WHERE w.resolved_at IS NOT NULL) / 86400)::numeric, 1) AS mean_days_to_resolve
      FROM @extschema@.warning_rule r
      LEFT JOIN @extschema@.warning w ON w.kind = r.kind
     GROUP BY r.kind, coalesce(w.level, r.level), r.enabled;
COMMENT ON VIEW @extschema@.v_warning_summary IS
    'Credit warnings (信用预警) by kind and level: how many are open and resolved, on how many subjects, and the latest';
COMMENT ON COLUMN @extschema@.v_warning_summary.kind IS 'Warning kind (credit.warning_rule)';
COMMENT ON COLUMN @extschema@.v_warning_summary.level IS 'Level: low, medium or high';
COMMENT ON COLUMN @extschema@.v_warning_summary.open_warnings IS 'Warnings not yet resolved';
COMMENT ON COLUMN @extschema@.v_warning_summary.resolved_warnings IS 'Warnings resolved';
COMMENT ON COLUMN @extschema@.v_warning_summary.subjects_open IS 'Subjects with at least one open warning of the kind and level';
COMMENT ON COLUMN @extschema@.v_warning_summary.last_raised_at IS 'When the latest warning of the kind and level was raised (NULL: never)';
COMMENT ON COLUMN @extschema@.v_warning_summary.enabled IS 'Whether the kind is raised at present';
COMMENT ON COLUMN @extschema@.v_warning_summary.oldest_open_at IS 'When the oldest warning still open was raised (NULL: none open): how long the backlog has waited';
COMMENT ON COLUMN @extschema@.v_warning_summary.mean_days_to_resolve IS 'Mean days from raising to resolution of the resolved warnings (NULL: none resolved)';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.grade_change', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.warning', '');

GRANT SELECT ON @extschema@.grade_change, @extschema@.warning, @extschema@.warning_rule,
    @extschema@.v_warning_summary TO credit_analyst;
-- Administrators configure warnings and resolve them; grade changes are
-- written by the platform's code (and by evaluation runs they start), never
-- changed afterwards.
GRANT SELECT, INSERT ON @extschema@.grade_change TO credit_admin;
GRANT SELECT, INSERT, UPDATE ON @extschema@.warning TO credit_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.warning_rule TO credit_admin;
GRANT SELECT ON @extschema@.v_warning_summary TO credit_admin;
REVOKE ALL ON FUNCTION @extschema@.raise_warning(bigint, text, jsonb, text, text),
    @extschema@.resolve_warning(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.raise_warning(bigint, text, jsonb, text, text),
    @extschema@.resolve_warning(bigint, text) TO credit_admin;
-- Auto-evaluation when data arrives (docs/auto-evaluation.md): statement-level AFTER
-- triggers with transition tables fold every statement's records into
-- credit.subject_grade, log and notify grade changes and raise warnings.

CREATE FUNCTION @extschema@.record_fold() RETURNS trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'credit_record_fold';
COMMENT ON FUNCTION @extschema@.record_fold() IS
    'Statement trigger of credit.record: computes the change the statement''s inserted, changed or deleted records make to the evaluation state of every touched subject and model in scope; with credit.fold_at = commit (default) queues it in credit.pending_fold for the commit, with statement folds it at once (one write per pair), logs grade changes in credit.grade_change, sends NOTIFY credit_grade_change and raises warnings';

-- Folding at commit (credit.fold_at = 'commit', the default): each
-- statement queues its delta states here; the deferred constraint trigger
-- folds all of a transaction's rows at commit, taking every grade lock in
-- one (subject, model) order.  Rows live only inside their transaction (the
-- apply deletes them before commit); rollbacks discard them by MVCC.  Unlogged:
-- rows that never outlive their transaction need no WAL.
-- No key: the backend finds its rows by their ctids, and merges them in the
-- order it queued them.
CREATE UNLOGGED TABLE @extschema@.pending_fold (
    xid           xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    subjects      int8[] NOT NULL,
    models        text[] NOT NULL,
    deltas        bytea[] NOT NULL,
    record_ids    int8[] NOT NULL,
    causes        text[] NOT NULL,
    warn_subjects int8[] NOT NULL,
    warn_records  int8[] NOT NULL,
    warn_items    text[] NOT NULL,
    warn_kinds    text[] NOT NULL,
    listed        int8[] NOT NULL,
    rescoped      int8[] NOT NULL
);
-- the arrays are written once and read once: compressing them costs more than it saves
ALTER TABLE @extschema@.pending_fold ALTER subjects SET STORAGE EXTERNAL, ALTER models SET STORAGE EXTERNAL,
    ALTER deltas SET STORAGE EXTERNAL, ALTER record_ids SET STORAGE EXTERNAL, ALTER causes SET STORAGE EXTERNAL,
    ALTER warn_subjects SET STORAGE EXTERNAL, ALTER warn_records SET STORAGE EXTERNAL,
    ALTER warn_items SET STORAGE EXTERNAL, ALTER warn_kinds SET STORAGE EXTERNAL,
    ALTER listed SET STORAGE EXTERNAL, ALTER rescoped SET STORAGE EXTERNAL;
COMMENT ON TABLE @extschema@.pending_fold IS
    'Record changes of open transactions waiting to be folded into credit.subject_grade at commit (credit.fold_at = commit): one row per statement on credit.record (or putting subjects on a list, or changing their scope), with its (subject, model) delta states, the record warnings to raise, the listed subjects to flag and the subjects whose grades out of scope to drop; emptied by the deferred trigger pending_fold_apply before commit, so never visible to other transactions';
COMMENT ON COLUMN @extschema@.pending_fold.xid IS 'Top-level transaction that queued the row';
COMMENT ON COLUMN @extschema@.pending_fold.deltas IS 'Per (subjects[i], models[i]): the statement''s change of the evaluation state (serialized, anchored at the current date)';
COMMENT ON COLUMN @extschema@.pending_fold.causes IS 'Per pair: insert, update or delete (with record_ids[i], the last record of the statement that touched it)';
COMMENT ON COLUMN @extschema@.pending_fold.warn_kinds IS 'Record warnings to raise (serious_record, listed, commitment_broken, or repeat_offence to check), per warn_subjects[i], warn_records[i], warn_items[i]';
COMMENT ON COLUMN @extschema@.pending_fold.listed IS 'Subjects the statement put on a list: their grade rows get their listing flag (credit.subject_grade.listed) in the one sorted lock pass at commit';
COMMENT ON COLUMN @extschema@.pending_fold.rescoped IS 'Subjects whose kind or industries the statement changed: their grade rows outside a model''s scope are dropped in the one sorted lock pass at commit';
REVOKE ALL ON TABLE @extschema@.pending_fold FROM PUBLIC;

CREATE FUNCTION @extschema@.pending_fold_apply() RETURNS trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'credit_pending_fold_apply';
COMMENT ON FUNCTION @extschema@.pending_fold_apply() IS
    'Deferred constraint trigger of credit.pending_fold: at commit, merges every pending change of the transaction per (subject, model), locks the grades in (subject, model) order, folds, writes them once, logs and notifies grade changes, writes industry grade records and raises warnings';
CREATE CONSTRAINT TRIGGER pending_fold_apply AFTER INSERT ON @extschema@.pending_fold
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION @extschema@.pending_fold_apply();

-- The listing flags of subjects put on a list by a statement other than a
-- record's (a resolved active list entry, a list given an item): set in the
-- transaction's fold at commit, in its one sorted lock pass, so that no
-- grade row is locked at the statement (docs/auto-evaluation.md).
CREATE FUNCTION @extschema@.queue_listed(subjects bigint[]) RETURNS void
LANGUAGE c VOLATILE STRICT AS 'MODULE_PATHNAME', 'credit_queue_listed';
REVOKE ALL ON FUNCTION @extschema@.queue_listed(bigint[]) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.queue_listed(bigint[]) IS
    'Queue subjects put on a list for the fold at commit (at once with credit.fold_at = statement), which sets the listing flag (credit.subject_grade.listed) of their grade rows in its one (subject, model) ordered lock pass; called by the list triggers';

-- Likewise the grades a subject loses when its kind or industries change
-- (credit.subject_scope_grades): dropped in the fold's lock pass.
CREATE FUNCTION @extschema@.queue_rescoped(subjects bigint[]) RETURNS void
LANGUAGE c VOLATILE STRICT AS 'MODULE_PATHNAME', 'credit_queue_rescoped';
REVOKE ALL ON FUNCTION @extschema@.queue_rescoped(bigint[]) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.queue_rescoped(bigint[]) IS
    'Queue subjects whose kind or industries changed for the fold at commit (at once with credit.fold_at = statement), which drops their grade rows outside a model''s scope in its one (subject, model) ordered lock pass; called by the subject scope trigger';

CREATE TRIGGER record_fold_insert AFTER INSERT ON @extschema@.record
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.record_fold();
-- (transition tables cannot be combined with a column list: the function
-- skips rows whose status, value, subject, item and date did not change)
CREATE TRIGGER record_fold_update AFTER UPDATE ON @extschema@.record
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.record_fold();
CREATE TRIGGER record_fold_delete AFTER DELETE ON @extschema@.record
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.record_fold();

-- Daily re-anchoring: decay moves scores with no new data.
CREATE FUNCTION @extschema@.reanchor_grades(as_of date DEFAULT CURRENT_DATE) RETURNS bigint
LANGUAGE c VOLATILE STRICT AS 'MODULE_PATHNAME', 'credit_reanchor_grades';
COMMENT ON FUNCTION @extschema@.reanchor_grades(date) IS
    'Re-anchor every stored evaluation state older than as_of to as_of (decay alone), update scores and grades, and log and notify the grade changes decay caused (cause ''decay''); returns the number of grade changes. Schedule it daily with credit.schedule_reanchor';

-- Schedule the daily re-anchoring with pg_cron.
CREATE FUNCTION @extschema@.schedule_reanchor(schedule text DEFAULT '5 0 * * *') RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.require_pg_cron('credit.schedule_reanchor runs credit.reanchor_grades as a pg_cron job.');
    RETURN @extschema@.schedule_job('credit_reanchor', schedule, 'SELECT @extschema@.reanchor_grades()');
END
$$;
COMMENT ON FUNCTION @extschema@.schedule_reanchor(text) IS
    'Run credit.reanchor_grades() on a cron schedule (pg_cron job credit_reanchor, daily at 00:05 UTC by default, replaced if it exists); returns the job id';

REVOKE ALL ON FUNCTION @extschema@.reanchor_grades(date) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.schedule_reanchor(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.reanchor_grades(date), @extschema@.schedule_reanchor(text) TO credit_admin;

-- Every subject has a current grade under every model in its scope, from the
-- moment it is registered: a new subject gets the model's base evaluation, a
-- subject whose kind or industries change is evaluated afresh under the models
-- it enters and loses its grades under the models it leaves (at commit).  So
-- credit.subject_grade equals a fresh credit.run_evaluation for every subject,
-- records or not.

-- Insert the current grade of each given (subject, model) pair from the subject's records.
CREATE FUNCTION @extschema@.subject_scope_grades() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- like the record triggers, this follows credit.auto_evaluation
    -- and a restore (credit.restoring) loads the grades from the dump
    IF NOT @extschema@.auto_evaluation()
       OR @extschema@.restoring() THEN
        RETURN NULL;
    END IF;
    -- the grades of models a subject left are dropped at commit, in the fold's
    -- sorted lock pass (credit.queue_rescoped): deleted now, they would stay
    -- locked to commit while the transaction waits for other grade locks
    IF TG_OP = 'UPDATE' THEN
        PERFORM @extschema@.queue_rescoped(ARRAY(
            SELECT s.id FROM new_subjects s
             WHERE EXISTS (SELECT 1 FROM @extschema@.subject_grade g
                             JOIN @extschema@.model m ON m.code = g.model
                            WHERE g.subject_id = s.id
                              AND NOT @extschema@.subject_in_scope(s.kind, s.industries, m.subject_kinds, m.scope))));
    END IF;
    INSERT INTO @extschema@.subject_grade (subject_id, model, score, grade, state, anchor)
    SELECT s.id, m.code, r.score, r.grade, st.state, CURRENT_DATE
      FROM new_subjects s
      JOIN @extschema@.model m ON @extschema@.subject_in_scope(s.kind, s.industries, m.subject_kinds, m.scope)
     CROSS JOIN LATERAL @extschema@.evaluate_fresh(ARRAY[s.id], m.code, CURRENT_DATE) st
     CROSS JOIN LATERAL @extschema@.evalstate_result(m.code, st.state, CURRENT_DATE) r
     WHERE NOT EXISTS (SELECT 1 FROM @extschema@.subject_grade g WHERE g.subject_id = s.id AND g.model = m.code)
     ORDER BY s.id, m.code
    ON CONFLICT (subject_id, model) DO NOTHING;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.subject_scope_grades() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.subject_scope_grades() IS
    'Statement trigger of credit.subject: gives new subjects, and subjects whose kind or industries changed, their current grade under every model in scope (base score without records), and drops grades under models they left (at commit, with the fold''s grade locks: credit.queue_rescoped)';

CREATE TRIGGER subject_scope_insert AFTER INSERT ON @extschema@.subject
    REFERENCING NEW TABLE AS new_subjects
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.subject_scope_grades();
CREATE TRIGGER subject_scope_update AFTER UPDATE ON @extschema@.subject
    REFERENCING NEW TABLE AS new_subjects
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.subject_scope_grades();
-- Red and black lists (红黑名单), their entries, and matching against them.

-- Name keys of subjects, maintained from the name (credit.subject is created
-- by 20-schema.sql, after the normalisation functions of 12-normalize.sql).
CREATE FUNCTION @extschema@.subject_name_key() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.name_key := @extschema@.normalize_name(NEW.name);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.subject_name_key() IS
    'Trigger function: keeps credit.subject.name_key equal to credit.normalize_name(name)';
CREATE TRIGGER subject_name_key BEFORE INSERT OR UPDATE OF name ON @extschema@.subject
    FOR EACH ROW EXECUTE FUNCTION @extschema@.subject_name_key();
-- Old records name only the organisation code: find its USCC holder by index.
CREATE INDEX subject_org_code_idx ON @extschema@.subject (@extschema@.org_code(uscc));

-- How the code of a list entry or of a probe is read.
CREATE FUNCTION @extschema@.parse_code(code text, OUT kind text, OUT canonical text, OUT org_code text)
    AS 'MODULE_PATHNAME', 'credit_parse_code'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.parse_code(text) IS
    'How an identifier is read for matching: kind (uscc, resident_id, org_code, pseudonym; NULL when unrecognised), canonical form (18 characters; 15-digit IDs converted; organisation codes without hyphen; pseudonyms as 64 lower-case hex digits) and the organisation code it carries. STABLE: birth dates are checked against today and credit.uscc_lenient applies';

CREATE TABLE @extschema@.list (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z0-9_]{1,60}$'),
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('red', 'black', 'key_attention', 'watch')),
    authority   text,
    legal_basis text,
    item_code   text REFERENCES @extschema@.catalog_item (code) ON UPDATE CASCADE,
    published   boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.list IS
    'Red and black lists (红黑名单): who publishes them, on what legal basis, and the catalogue item whose credit record a resolved entry becomes';
COMMENT ON COLUMN @extschema@.list.kind IS
    'red (守信激励), black (失信惩戒), key_attention (重点关注), watch (警示, e.g. abnormal operations)';
COMMENT ON COLUMN @extschema@.list.published IS
    'Whether the list is published on the public site (credit.publicity_list); the key attention list (重点关注) is for supervision only';
COMMENT ON COLUMN @extschema@.list.item_code IS
    'Catalogue item of the credit record each resolved, active entry becomes (NULL: entries make no record)';

-- Which units send entries to which list: data that administrators maintain.
CREATE TABLE @extschema@.list_sender (
    list_code   text NOT NULL REFERENCES @extschema@.list (code) ON UPDATE CASCADE ON DELETE CASCADE,
    department  text NOT NULL REFERENCES @extschema@.department (code) ON UPDATE CASCADE ON DELETE CASCADE,
    PRIMARY KEY (list_code, department)
);
COMMENT ON TABLE @extschema@.list_sender IS
    'Units that may send entries to a list (e.g. the people''s court to the dishonest judgment debtors); administrators send to every list';
CREATE INDEX list_sender_department_idx ON @extschema@.list_sender (department);

CREATE TABLE @extschema@.list_entry (
    id             bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    list_code      text NOT NULL REFERENCES @extschema@.list (code) ON UPDATE CASCADE,
    subject_id     bigint REFERENCES @extschema@.subject (id),
    name           text NOT NULL CONSTRAINT list_entry_name_length CHECK (pg_catalog.length(name) <= 500),
    code           text,
    listed_on      date NOT NULL DEFAULT CURRENT_DATE,
    expires_on     date,
    removed_on     date,
    reason         text,
    document_no    text,
    name_key       text CONSTRAINT list_entry_name_key_length CHECK (pg_catalog.octet_length(name_key) <= 2000),
    code_kind      text CHECK (code_kind IN ('uscc', 'resident_id', 'org_code', 'pseudonym')),
    code_canonical text,
    record_id      bigint,
    created_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    department     text NOT NULL REFERENCES @extschema@.department (code) ON UPDATE CASCADE,
    FOREIGN KEY (subject_id, record_id) REFERENCES @extschema@.record (subject_id, id) ON DELETE SET NULL (record_id),
    CHECK (expires_on IS NULL OR expires_on >= listed_on),
    CHECK (removed_on IS NULL OR removed_on >= listed_on)
);
COMMENT ON TABLE @extschema@.list_entry IS
    'Entries of the lists as departments send them (名单条目): a name and an identifier (USCC, old organisation code, 18- or 15-digit ID number or pseudonym), often dirty; resolved to a subject by identifier, and then a credit record of the list''s catalogue item while active';
COMMENT ON COLUMN @extschema@.list_entry.code IS 'Identifier as received: USCC, organisation code (with or without hyphen), 18- or 15-digit resident ID number, or credit.pseudonym in hex';
COMMENT ON COLUMN @extschema@.list_entry.subject_id IS 'Subject the identifier resolved to (given, or found by USCC, organisation code or ID number)';
COMMENT ON COLUMN @extschema@.list_entry.name_key IS 'credit.normalize_name(name), maintained';
COMMENT ON COLUMN @extschema@.list_entry.code_kind IS 'How code was read (credit.parse_code), maintained';
COMMENT ON COLUMN @extschema@.list_entry.code_canonical IS 'Canonical form of code (credit.parse_code), maintained';
COMMENT ON COLUMN @extschema@.list_entry.record_id IS 'The credit record this entry became (kept, as revoked or expired, when the entry stops counting)';
COMMENT ON COLUMN @extschema@.list_entry.expires_on IS 'Last day the entry counts (NULL: until removed)';
COMMENT ON COLUMN @extschema@.list_entry.removed_on IS 'Day the entry was removed from the list (移出); it stops counting';
COMMENT ON COLUMN @extschema@.list_entry.department IS
    'Unit that sent the entry and owns it (default: the sender''s only unit; platform for administrators); units change and remove only their own entries, on lists credit.list_sender lets them send to';
CREATE INDEX list_entry_list_idx ON @extschema@.list_entry (list_code);
-- Resolved entries are keyed by the subject, as the per-subject tables are.
CREATE UNIQUE INDEX list_entry_subject_idx ON @extschema@.list_entry (subject_id, id);
CREATE INDEX list_entry_department_idx ON @extschema@.list_entry (department);
CREATE INDEX list_entry_canonical_idx ON @extschema@.list_entry (code_canonical);
CREATE INDEX list_entry_name_key_idx ON @extschema@.list_entry (name_key);

-- Is an entry active on a day?
-- The rule of an active entry (one definition: the match index, lists of
-- subjects, publicity, profiles).  It takes the entry's dates, not the row,
-- so a role with column privileges may call it.  Inlined by the planner.
CREATE FUNCTION @extschema@.list_entry_active(listed_on date, expires_on date, removed_on date,
                                             as_of date DEFAULT CURRENT_DATE) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT $1 OPERATOR(pg_catalog.<=) $4 AND $3 IS NULL AND ($2 IS NULL OR $2 OPERATOR(pg_catalog.>=) $4)
$$;
COMMENT ON FUNCTION @extschema@.list_entry_active(date, date, date, date) IS
    'Whether a list entry (its listed_on, expires_on and removed_on) counts on a day (default today): listed by then, not removed, not expired';

-- The listings of every subject, whatever the day: its list entries, and the
-- active credit records of a list's catalogue item that a unit collected as
-- records (a record made by an entry is that entry), each with the dates that
-- say on which days it counts (credit.list_entry_active; a record counts from
-- its decision on).  Read with the caller's rights (security_invoker: the
-- row-level security of entries and records applies), filtered by subject:
-- the one rule of "on a list" that credit.measures_for, credit.check and
-- reports share.  On Citus a query of it that names one subject is routed to
-- that subject's shard (credit.subject_listings, a SQL function, cannot be
-- planned there inside a query with parameters).
CREATE VIEW @extschema@.listing WITH (security_invoker = true) AS
    SELECT e.subject_id, e.list_code, (SELECT l.kind FROM @extschema@.list l WHERE l.code OPERATOR(pg_catalog.=) e.list_code) AS kind,
           e.listed_on, e.expires_on, e.removed_on, e.document_no, NULL::pg_catalog.text AS department
      FROM @extschema@.list_entry e
    UNION ALL
    -- (a lateral scan of the few lists per record: a small plan, executed per call)
    SELECT r.subject_id, l.code, l.kind, r.decided_on, NULL::pg_catalog.date, NULL::pg_catalog.date, r.document_no, r.department
      FROM @extschema@.record r
     CROSS JOIN LATERAL (SELECT l.code, l.kind FROM @extschema@.list l
                          WHERE l.item_code OPERATOR(pg_catalog.=) r.item_code OFFSET 0) l
     WHERE r.status OPERATOR(pg_catalog.=) 'active'
       AND NOT (r.details OPERATOR(pg_catalog.?) 'list_entry');
REVOKE ALL ON @extschema@.listing FROM PUBLIC;
GRANT SELECT ON @extschema@.listing TO credit_department, credit_analyst, credit_admin;
COMMENT ON VIEW @extschema@.listing IS
    'Listings of subjects, on any day: list entries (department NULL) and active credit records of a list''s catalogue item collected from a unit (department set; a record made by an entry counts as the entry), with listed_on, expires_on and removed_on for credit.list_entry_active; read with the caller''s rights; credit.subject_listings is its rows of one subject on one day';

COMMENT ON COLUMN @extschema@.listing.subject_id IS 'The subject listed';
COMMENT ON COLUMN @extschema@.listing.list_code IS 'The list (credit.list.code)';
COMMENT ON COLUMN @extschema@.listing.kind IS 'The list''s kind (black, red, watch, key_attention)';
COMMENT ON COLUMN @extschema@.listing.listed_on IS 'First day it counts: the entry''s listed_on, the record''s decided_on';
COMMENT ON COLUMN @extschema@.listing.expires_on IS 'Last day it counts (NULL: until removed; always NULL for a record)';
COMMENT ON COLUMN @extschema@.listing.removed_on IS 'Day the entry was removed from the list (NULL for a record, which stops counting when it is no longer active)';
COMMENT ON COLUMN @extschema@.listing.document_no IS 'The entry''s or the record''s document number';
COMMENT ON COLUMN @extschema@.listing.department IS 'The unit whose record lists it; NULL for a list entry';

-- The lists a subject is on, on a day: its listings active that day.
-- Inlined by the planner (no SET clause, every name qualified), the
-- subject and the day pushed into both branches of the view.
CREATE FUNCTION @extschema@.subject_listings(subject_id bigint, as_of date DEFAULT CURRENT_DATE)
RETURNS TABLE (list_code text, kind text, listed_on date, expires_on date, document_no text, department text)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT v.list_code, v.kind, v.listed_on, v.expires_on, v.document_no, v.department
      FROM @extschema@.listing v
     WHERE v.subject_id OPERATOR(pg_catalog.=) $1
       AND @extschema@.list_entry_active(v.listed_on, v.expires_on, v.removed_on, $2)
$$;
REVOKE ALL ON FUNCTION @extschema@.subject_listings(bigint, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.subject_listings(bigint, date) TO credit_department, credit_analyst, credit_admin;
COMMENT ON FUNCTION @extschema@.subject_listings(bigint, date) IS
    'Lists a subject is on, on a day (default today): its active list entries (department NULL), and the active credit records of a list''s catalogue item collected from a unit (department set; a record made by an entry counts as the entry), as credit.measures_for counts them';

-- Keys, resolution and the entry's credit record.  SECURITY DEFINER: a
-- department that sends a list cannot read ID numbers of subjects nor write
-- the platform's records; this function does both for it, and only this.
-- Every derived and linking column (name_key, code_kind, code_canonical,
-- record_id, and subject_id when the code changes) is computed here, never
-- taken from the sender, so an entry acts only on its own record.
CREATE FUNCTION @extschema@.list_entry_maintain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    item text;
    active boolean;
    rec_status text;
    rec_subject bigint;
BEGIN
    -- a restore (credit.restoring) loads entries with their keys, subject and record as dumped
    IF @extschema@.restoring() THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'DELETE' THEN
        UPDATE @extschema@.record SET status = 'revoked'
         WHERE subject_id = OLD.subject_id AND id = OLD.record_id AND status IN ('active', 'expired');
        RETURN OLD;
    END IF;

    -- the owning unit, and the columns the platform derives
    IF TG_OP = 'INSERT' THEN
        NEW.department := @extschema@.sending_unit(NEW.department);
        NEW.record_id := NULL;
        NEW.created_at := pg_catalog.now();
    ELSE
        NEW.record_id := OLD.record_id;
        NEW.created_at := OLD.created_at;
        NEW.name_key := OLD.name_key;
        NEW.code_kind := OLD.code_kind;
        NEW.code_canonical := OLD.code_canonical;
    END IF;

    IF NEW.listed_on > CURRENT_DATE THEN
        RAISE EXCEPTION 'list entry "%" is dated in the future (%)', NEW.name, @extschema@.iso_date(NEW.listed_on)
            USING ERRCODE = 'check_violation', HINT = 'listed_on must not be later than the current date';
    END IF;
    IF TG_OP = 'INSERT' OR NEW.name IS DISTINCT FROM OLD.name THEN
        NEW.name_key := @extschema@.normalize_name(NEW.name);
    END IF;
    IF TG_OP = 'INSERT' OR NEW.code IS DISTINCT FROM OLD.code THEN
        SELECT p.kind, p.canonical INTO NEW.code_kind, NEW.code_canonical
          FROM @extschema@.parse_code(NEW.code) p;
        IF TG_OP = 'UPDATE' AND NEW.subject_id IS NOT DISTINCT FROM OLD.subject_id THEN
            NEW.subject_id := NULL;     -- resolve the new code again
        END IF;
    END IF;

    -- resolution by identifier
    IF NEW.subject_id IS NULL AND NEW.code_canonical IS NOT NULL THEN
        IF NEW.code_kind = 'resident_id' THEN
            SELECT s.id INTO NEW.subject_id FROM @extschema@.subject s
             WHERE s.person_id OPERATOR(pg_catalog.=) NEW.code_canonical::@extschema@.resident_id;
        ELSIF NEW.code_kind = 'org_code' THEN
            SELECT s.id INTO NEW.subject_id FROM @extschema@.subject s
             WHERE @extschema@.org_code(s.uscc) = NEW.code_canonical
             ORDER BY s.id LIMIT 1;
        END IF;
        -- a USCC, or 18 characters read as an ID number that are a valid USCC too
        IF NEW.subject_id IS NULL AND NEW.code_kind IN ('uscc', 'resident_id')
           AND (NEW.code_kind = 'uscc' OR @extschema@.uscc_check(NEW.code_canonical) IS NULL) THEN
            SELECT s.id INTO NEW.subject_id FROM @extschema@.subject s
             WHERE s.uscc OPERATOR(pg_catalog.=) NEW.code_canonical::@extschema@.uscc;
        END IF;
        -- resolving an ID number is a look-up of a person (the entry tells its
        -- sender whether the person is registered): logged, like credit.find_person,
        -- for every role but superusers
        IF NEW.code_kind = 'resident_id'
           AND NOT coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r
                             WHERE r.rolname OPERATOR(pg_catalog.=) @extschema@.caller()), false) THEN
            PERFORM @extschema@.log_lookup(NEW.subject_id, 'list entry of ' || NEW.list_code,
                    jsonb_build_object('lookup', 'list_entry', 'list_entry', NEW.id,
                                       'id', @extschema@.mask(NEW.code_canonical::@extschema@.resident_id),
                                       'found', NEW.subject_id IS NOT NULL));
        END IF;
    END IF;

    -- the credit record of a resolved, active entry
    SELECT l.item_code INTO item FROM @extschema@.list l WHERE l.code = NEW.list_code;
    active := NEW.subject_id IS NOT NULL AND @extschema@.list_entry_active(NEW.listed_on, NEW.expires_on, NEW.removed_on);
    IF NEW.record_id IS NOT NULL THEN
        rec_subject := CASE WHEN TG_OP = 'UPDATE' THEN OLD.subject_id END;
        SELECT r.status INTO rec_status
          FROM @extschema@.record r WHERE r.subject_id = rec_subject AND r.id = NEW.record_id;
        IF NOT FOUND THEN
            NEW.record_id := NULL;
        ELSIF rec_subject IS DISTINCT FROM NEW.subject_id
              OR (TG_OP = 'UPDATE' AND NEW.list_code IS DISTINCT FROM OLD.list_code) THEN
            -- the entry now means someone or something else: retire the old record
            UPDATE @extschema@.record SET status = 'revoked'
             WHERE subject_id = rec_subject AND id = NEW.record_id AND status IN ('active', 'expired');
            NEW.record_id := NULL;
        ELSIF active AND rec_status IN ('expired', 'revoked') THEN
            UPDATE @extschema@.record SET status = 'active' WHERE subject_id = rec_subject AND id = NEW.record_id;
        ELSIF NOT active AND rec_status = 'active' THEN
            UPDATE @extschema@.record
               SET status = CASE WHEN NEW.removed_on IS NOT NULL THEN 'revoked' ELSE 'expired' END
             WHERE subject_id = rec_subject AND id = NEW.record_id;
        END IF;
    END IF;
    IF NEW.record_id IS NULL AND active AND item IS NOT NULL THEN
        INSERT INTO @extschema@.record (subject_id, item_code, department, document_no, decided_on, details)
        VALUES (NEW.subject_id, item, 'platform', NEW.document_no, NEW.listed_on,
                jsonb_build_object('list_code', NEW.list_code, 'list_entry', NEW.id, 'reason', NEW.reason))
        RETURNING id INTO NEW.record_id;
    END IF;
    -- the subject is on a list: its checks read its listings (credit.subject_grade.listed,
    -- set at commit with the fold's grade locks, not by a write of the grade rows now)
    IF active THEN
        PERFORM @extschema@.queue_listed(ARRAY[NEW.subject_id]);
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.list_entry_maintain() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.list_entry_maintain() IS
    'Trigger function of credit.list_entry: the owning unit, name key, code parsing, resolution to a subject by USCC, organisation code or ID number (a resolution by ID number is logged in credit.query_log, except for superusers), and the entry''s credit record (active while the entry is; revoked or expired after); every derived and linking column is computed, never taken from the sender';
CREATE TRIGGER list_entry_maintain BEFORE INSERT OR UPDATE ON @extschema@.list_entry
    FOR EACH ROW EXECUTE FUNCTION @extschema@.list_entry_maintain();
CREATE TRIGGER list_entry_retire AFTER DELETE ON @extschema@.list_entry
    FOR EACH ROW EXECUTE FUNCTION @extschema@.list_entry_maintain();

-- Every backend's index of active entries is rebuilt after a change.
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.list
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_changed();
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.list_entry
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_changed();

-- Entries that expire by the passing of time, and entries whose subject arrived later.
CREATE FUNCTION @extschema@.expire_list_entries(as_of date DEFAULT CURRENT_DATE) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    UPDATE @extschema@.record r SET status = 'expired'
      FROM @extschema@.list_entry e
     WHERE r.subject_id = e.subject_id AND r.id = e.record_id AND r.status = 'active'
       AND e.expires_on IS NOT NULL AND e.expires_on < as_of;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.expire_list_entries(date) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.expire_list_entries(date) IS
    'Marks expired the credit records of list entries whose expires_on has passed; returns how many (run daily, e.g. with pg_cron)';

-- Schedule the daily expiry with pg_cron.
CREATE FUNCTION @extschema@.schedule_list_expiry(schedule text DEFAULT '10 0 * * *') RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.require_pg_cron('credit.schedule_list_expiry runs credit.expire_list_entries as a pg_cron job.');
    RETURN @extschema@.schedule_job('credit_list_expiry', schedule, 'SELECT @extschema@.expire_list_entries()');
END
$$;
REVOKE ALL ON FUNCTION @extschema@.schedule_list_expiry(text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.schedule_list_expiry(text) IS
    'Run credit.expire_list_entries() on a cron schedule (pg_cron job credit_list_expiry, daily at 00:10 UTC by default, replaced if it exists); returns the job id';

CREATE FUNCTION @extschema@.resolve_list_entries() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    UPDATE @extschema@.list_entry SET code = code
     WHERE subject_id IS NULL AND code_canonical IS NOT NULL;
    SELECT count(*) INTO n FROM @extschema@.list_entry WHERE subject_id IS NOT NULL;
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.resolve_list_entries() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.resolve_list_entries() IS
    'Tries again to resolve unresolved entries (subjects registered after the entry arrived); returns the number of resolved entries';

-- Matching.
CREATE FUNCTION @extschema@.match(name text, code text DEFAULT NULL, lists text[] DEFAULT NULL,
                                  min_similarity real DEFAULT 0.85)
    RETURNS TABLE (entry_id bigint, list_code text, level text, similarity real)
    AS 'MODULE_PATHNAME', 'credit_match'
    LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 1;
COMMENT ON FUNCTION @extschema@.match(text, text, text[], real) IS
    'Active list entries a subject matches (名单比对), strongest level first: code (same USCC or ID number after normalisation, 15 → 18 digits), org_code (an old organisation code matches a USCC), pseudonym, name (equal normalised names), fuzzy (credit.name_similarity >= min_similarity, sought only when nothing stronger matched). Names never match an entry whose identifier contradicts the probe''s. similarity: of the two names (NULL without a name). Runs on a per-backend index; no query per call. A probe by an ID number is a look-up of a person: logged in credit.query_log (number masked, how many entries matched) before the answer, so volatile';

CREATE FUNCTION @extschema@.cross_match(left_list text, right_list text, min_similarity real DEFAULT 0.85)
    RETURNS TABLE (left_entry bigint, right_entry bigint, level text, similarity real)
    AS 'MODULE_PATHNAME', 'credit_cross_match'
    LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.cross_match(text, text, real) IS
    'Cross-matching of two lists (交叉比对): each active entry of left_list probed against right_list with the levels of credit.match';

-- Batch verification (失信记录核查): per list, how many applicants matched at each level.
CREATE FUNCTION @extschema@.match_summary(applicants regclass, name_column name DEFAULT 'name',
                                          code_column name DEFAULT 'code', lists text[] DEFAULT NULL,
                                          min_similarity real DEFAULT 0.85)
    RETURNS TABLE (list_code text, list_name text, level text, matched bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF applicants IS NULL OR name_column IS NULL OR code_column IS NULL THEN
        RAISE EXCEPTION 'match_summary needs a table of applicants and the names of its name and code columns'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'E.g. credit.match_summary(''applicants'', ''name'', ''code'').';
    END IF;
    RETURN QUERY EXECUTE pg_catalog.format(
        'SELECT m.list_code, l.name, m.level, count(*)
           FROM (SELECT DISTINCT ON (a.rn, x.list_code) x.list_code, x.level,
                        array_position(ARRAY[''code'',''org_code'',''pseudonym'',''name'',''fuzzy''], x.level) AS rank
                   FROM (SELECT row_number() OVER () AS rn, t.%I AS n, t.%I AS c FROM %s t) a,
                        LATERAL @extschema@.match(a.n::text, a.c::text, $1, $2) x
                  ORDER BY a.rn, x.list_code, 3) m
           JOIN @extschema@.list l ON l.code = m.list_code
          GROUP BY m.list_code, l.name, m.level, m.rank
          ORDER BY m.list_code, m.rank',
        name_column, code_column, applicants)
    USING lists, min_similarity;
END
$$;
COMMENT ON FUNCTION @extschema@.match_summary(regclass, name, name, text[], real) IS
    'Batch verification (失信记录核查): matches every row of a table of applicants (name and code columns) and reports, per list, how many applicants matched at each level (each applicant counted once per list, at its strongest level); every applicant given by ID number is logged as a look-up of that person (credit.match)';

-- Active entries with ID numbers masked, for roles that need no whole number.
CREATE VIEW @extschema@.list_entry_public WITH (security_barrier) AS
    SELECT e.id, e.list_code, l.name AS list_name, l.kind, e.subject_id, e.name,
           CASE WHEN e.code_kind = 'resident_id' THEN @extschema@.mask(e.code_canonical::@extschema@.resident_id)
                WHEN e.code_kind IN ('uscc', 'org_code') THEN e.code_canonical END AS code,
           e.listed_on, e.expires_on, e.reason, e.document_no
      FROM @extschema@.list_entry e JOIN @extschema@.list l ON l.code = e.list_code
     WHERE @extschema@.list_entry_active(e.listed_on, e.expires_on, e.removed_on);
COMMENT ON VIEW @extschema@.list_entry_public IS
    'Active list entries with personal ID numbers masked (110105********002X); pseudonyms and identifiers that could not be read are not shown';

-- Default lists, mapped to the catalogue items of 21-catalog.sql.
INSERT INTO @extschema@.list (code, name, kind, authority, legal_basis, item_code, published) VALUES
    ('serious_dishonesty', 'Serious dishonesty list (严重失信主体名单)', 'black',
     'Competent departments', 'Measures for the administration of the list of seriously dishonest entities', 'list_serious_dishonesty', true),
    ('dishonest_debtor', 'Dishonest judgment debtors (失信被执行人名单)', 'black',
     'People''s courts', 'Provisions of the Supreme People''s Court on publishing the list of dishonest judgment debtors', 'list_dishonest_debtor', true),
    ('abnormal_operation', 'Abnormal operations directory (经营异常名录)', 'watch',
     'Market supervision administration', 'Interim measures for the administration of the abnormal operations directory', 'list_abnormal_operation', true),
    ('key_attention', 'Key attention list (重点关注名单)', 'key_attention',
     'Competent departments', NULL, 'list_key_attention', false),
    ('red_tax_a', 'Red list: A-grade taxpayers (纳税信用A级纳税人)', 'red',
     'Tax administration', 'Measures for the administration of tax credit', 'list_red_tax_a', true),
    ('red_honour', 'Red list: honoured enterprises (守信激励红名单)', 'red',
     'Competent departments', NULL, 'list_red_honour', true);

-- pg_dump keeps every entry (and the lists users add or change: registered by 99-backup.sql).
SELECT pg_catalog.pg_extension_config_dump('@extschema@.list_entry', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.list_entry_id_seq', '');

SELECT pg_catalog.pg_extension_config_dump('@extschema@.list_sender', '');

-- Privileges.  Units send entries to the lists they may send to and change
-- or remove only their own (row-level security below); the identifier as
-- sent (code, code_canonical: whole ID numbers) is for administrators only,
-- others read credit.list_entry_public.  The public site reads
-- credit.publicity_list, published lists only.
GRANT SELECT ON @extschema@.list, @extschema@.list_sender TO credit_department, credit_analyst;
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.list, @extschema@.list_sender, @extschema@.list_entry TO credit_admin;
GRANT DELETE ON @extschema@.list_entry TO credit_department;
GRANT INSERT (list_code, name, code, listed_on, expires_on, reason, document_no, department)
    ON @extschema@.list_entry TO credit_department;
GRANT UPDATE (name, code, listed_on, expires_on, removed_on, reason, document_no)
    ON @extschema@.list_entry TO credit_department;
GRANT SELECT (id, list_code, subject_id, name, name_key, code_kind, listed_on, expires_on, removed_on,
              reason, document_no, record_id, created_at, department)
    ON @extschema@.list_entry TO credit_department, credit_analyst;
GRANT SELECT ON @extschema@.list_entry_public TO credit_department, credit_analyst, credit_admin;

-- Row-level security: a unit's entries are its own; it sends only to the
-- lists credit.list_sender names for it.
CREATE FUNCTION @extschema@.may_send(list_code text, department text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT EXISTS (SELECT 1 FROM @extschema@.list_sender s
                    WHERE s.list_code OPERATOR(pg_catalog.=) $1 AND s.department OPERATOR(pg_catalog.=) $2)
$$;
REVOKE ALL ON FUNCTION @extschema@.may_send(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.may_send(text, text) TO credit_department, credit_analyst, credit_admin;
COMMENT ON FUNCTION @extschema@.may_send(text, text) IS
    'Whether the unit may send entries to the list (a row of credit.list_sender); row-level security of credit.list_entry calls it';
ALTER TABLE @extschema@.list_entry ENABLE ROW LEVEL SECURITY;
CREATE POLICY admin_all ON @extschema@.list_entry TO credit_admin USING (true) WITH CHECK (true);
CREATE POLICY analyst_read ON @extschema@.list_entry FOR SELECT TO credit_analyst USING (true);
CREATE POLICY department_read ON @extschema@.list_entry FOR SELECT TO credit_department USING (true);
CREATE POLICY department_insert ON @extschema@.list_entry FOR INSERT TO credit_department
    WITH CHECK (department = ANY (@extschema@.acting_departments())
                AND @extschema@.may_send(list_code, department));
CREATE POLICY department_update ON @extschema@.list_entry FOR UPDATE TO credit_department
    USING (department = ANY (@extschema@.acting_departments()))
    WITH CHECK (department = ANY (@extschema@.acting_departments())
                AND @extschema@.may_send(list_code, department));
CREATE POLICY department_delete ON @extschema@.list_entry FOR DELETE TO credit_department
    USING (department = ANY (@extschema@.acting_departments()));
REVOKE ALL ON FUNCTION @extschema@.match(text, text, text[], real),
    @extschema@.cross_match(text, text, real),
    @extschema@.match_summary(regclass, name, name, text[], real) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.match(text, text, text[], real),
    @extschema@.cross_match(text, text, real),
    @extschema@.match_summary(regclass, name, name, text[], real),
    @extschema@.parse_code(text)
    TO credit_admin, credit_department, credit_analyst;
GRANT EXECUTE ON FUNCTION @extschema@.expire_list_entries(date), @extschema@.resolve_list_entries(),
    @extschema@.schedule_list_expiry(text)
    TO credit_admin;

-- What each column of the view holds.
COMMENT ON COLUMN @extschema@.list_entry_public.id IS 'List entry (credit.list_entry.id)';
COMMENT ON COLUMN @extschema@.list_entry_public.list_code IS 'List code (credit.list.code)';
COMMENT ON COLUMN @extschema@.list_entry_public.list_name IS 'List name';
COMMENT ON COLUMN @extschema@.list_entry_public.kind IS 'Kind of list: red, black, key_attention, watch';
COMMENT ON COLUMN @extschema@.list_entry_public.subject_id IS 'Subject the entry resolved to; NULL when unresolved';
COMMENT ON COLUMN @extschema@.list_entry_public.name IS 'Name as the department sent it';
COMMENT ON COLUMN @extschema@.list_entry_public.code IS 'Identifier in canonical form: a USCC or organisation code, or a resident ID number masked; NULL for pseudonyms and identifiers that could not be read';
COMMENT ON COLUMN @extschema@.list_entry_public.listed_on IS 'Date listed';
COMMENT ON COLUMN @extschema@.list_entry_public.expires_on IS 'Date the listing expires; NULL: no end';
COMMENT ON COLUMN @extschema@.list_entry_public.reason IS 'Reason for the listing';
COMMENT ON COLUMN @extschema@.list_entry_public.document_no IS 'Document number of the listing decision';
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
-- Credit commitments (信用承诺, docs/supervision.md): a subject promises a department
-- something (the conditions of a licence granted on its word, obligations it
-- will perform by a date, ...); the accepting department later resolves the
-- commitment as kept or broken, and the resolution becomes a credit record
-- that the auto-evaluation folds into the grades (and, when broken, warns).

CREATE TABLE @extschema@.commitment (
    id           bigint GENERATED BY DEFAULT AS IDENTITY,
    subject_id   bigint NOT NULL REFERENCES @extschema@.subject (id),
    department   text NOT NULL REFERENCES @extschema@.department (code) ON UPDATE CASCADE,
    matter       text NOT NULL CHECK (pg_catalog.length(pg_catalog.btrim(matter)) > 0),
    content      text NOT NULL CHECK (pg_catalog.length(pg_catalog.btrim(content)) > 0),
    document_no  text,
    made_on      date NOT NULL DEFAULT CURRENT_DATE,
    due_on       date,
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'kept', 'broken')),
    resolved_at  timestamptz,
    record_id    bigint,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    FOREIGN KEY (subject_id, record_id) REFERENCES @extschema@.record (subject_id, id) ON DELETE SET NULL (record_id),
    CHECK (due_on IS NULL OR due_on >= made_on),
    CHECK ((status = 'open') = (resolved_at IS NULL)),
    PRIMARY KEY (subject_id, id)
);
COMMENT ON TABLE @extschema@.commitment IS
    'Credit commitments (信用承诺) made by subjects to the department that accepted them; resolved once, as kept (践诺) or broken (违诺), by credit.resolve_commitment, which turns the resolution into a credit record (commitment_kept or commitment_broken)';
COMMENT ON COLUMN @extschema@.commitment.department IS 'Department that accepted the commitment (承诺受理单位): it alone sees and resolves it, and the resulting record is its record';
COMMENT ON COLUMN @extschema@.commitment.matter IS 'Matter or scenario the commitment was made for (承诺事项), e.g. administrative_licensing, credit_repair';
COMMENT ON COLUMN @extschema@.commitment.content IS 'What the subject committed to (承诺内容)';
COMMENT ON COLUMN @extschema@.commitment.document_no IS 'Number of the signed commitment letter (承诺书编号); the resulting record carries it';
COMMENT ON COLUMN @extschema@.commitment.made_on IS 'Day the commitment was made (not in the future)';
COMMENT ON COLUMN @extschema@.commitment.due_on IS 'Day by which the commitment is to be fulfilled (NULL: no deadline)';
COMMENT ON COLUMN @extschema@.commitment.status IS 'open, kept or broken; a resolved commitment is final';
COMMENT ON COLUMN @extschema@.commitment.resolved_at IS 'When it was resolved (NULL while open); the resulting record is dated that day';
COMMENT ON COLUMN @extschema@.commitment.record_id IS 'The credit record the resolution became (commitment_kept or commitment_broken)';
CREATE INDEX commitment_id_idx ON @extschema@.commitment (id);
CREATE INDEX commitment_subject_idx ON @extschema@.commitment (subject_id);
CREATE INDEX commitment_department_idx ON @extschema@.commitment (department, status);

-- Registration and resolution rules; the resolution's credit record.
CREATE FUNCTION @extschema@.commitment_maintain() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- a restore (credit.restoring) loads commitments as dumped, with their records
    IF @extschema@.restoring() THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' AND NEW.status <> 'open' THEN
        RAISE EXCEPTION 'a credit commitment is registered open'
            USING ERRCODE = 'check_violation',
                  HINT = 'Insert it with status open, then resolve it with credit.resolve_commitment(id, kept).';
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.status <> 'open'
       -- (a renamed department code cascades here: the unit stays the same)
       AND (NEW.status, NEW.subject_id, NEW.matter, NEW.content, NEW.document_no,
            NEW.made_on, NEW.due_on, NEW.resolved_at)
           IS DISTINCT FROM (OLD.status, OLD.subject_id, OLD.matter, OLD.content, OLD.document_no,
                             OLD.made_on, OLD.due_on, OLD.resolved_at) THEN
        RAISE EXCEPTION 'credit commitment % is already resolved', OLD.id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('It was resolved as %s on %s.', OLD.status, pg_catalog.to_char(OLD.resolved_at, 'YYYY-MM-DD')),
                  HINT = 'A resolved commitment is final.';
    END IF;
    IF NEW.made_on > CURRENT_DATE THEN
        RAISE EXCEPTION 'credit commitment of subject % is dated in the future', NEW.subject_id
            USING ERRCODE = 'check_violation',
                  DETAIL = format('made_on is %s.', @extschema@.iso_date(NEW.made_on)),
                  HINT = 'made_on must not be later than the current date';
    END IF;
    -- resolution: the record, of the accepting department, dated today
    IF TG_OP = 'UPDATE' AND OLD.status = 'open' AND NEW.status <> 'open' THEN
        NEW.resolved_at := now();
        INSERT INTO @extschema@.record (subject_id, item_code, department, document_no, decided_on, details)
        VALUES (NEW.subject_id, CASE NEW.status WHEN 'kept' THEN 'commitment_kept' ELSE 'commitment_broken' END,
                NEW.department, NEW.document_no, CURRENT_DATE,
                jsonb_build_object('commitment', NEW.id, 'matter', NEW.matter,
                                   'made_on', NEW.made_on, 'due_on', NEW.due_on))
        RETURNING id INTO NEW.record_id;
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.commitment_maintain() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.commitment_maintain() IS
    'Trigger of credit.commitment: commitments are registered open and not dated in the future; resolving one (status open → kept or broken) writes its credit record (commitment_kept or commitment_broken, department = the accepting department, decided today) and sets resolved_at and record_id; a resolved commitment is final (SQLSTATE 55000)';
CREATE TRIGGER commitment_maintain BEFORE INSERT OR UPDATE ON @extschema@.commitment
    FOR EACH ROW EXECUTE FUNCTION @extschema@.commitment_maintain();

-- Resolve a commitment as kept or broken; returns the id of its credit record.
CREATE FUNCTION @extschema@.resolve_commitment(id bigint, kept boolean) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    c   @extschema@.commitment;
    rec bigint;
BEGIN
    IF resolve_commitment.id IS NULL OR resolve_commitment.kept IS NULL THEN
        RAISE EXCEPTION 'credit.resolve_commitment needs a commitment id and whether it was kept'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- as the caller: row-level security lets a department resolve only what it accepted
    UPDATE @extschema@.commitment cm
       SET status = CASE WHEN resolve_commitment.kept THEN 'kept' ELSE 'broken' END
     WHERE cm.id = resolve_commitment.id AND cm.status = 'open'
    RETURNING cm.record_id INTO rec;
    IF FOUND THEN
        RETURN rec;
    END IF;
    SELECT * INTO c FROM @extschema@.commitment cm WHERE cm.id = resolve_commitment.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'credit commitment % does not exist', resolve_commitment.id
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A department sees and resolves only the commitments it accepted.';
    END IF;
    RAISE EXCEPTION 'credit commitment % is already resolved', c.id
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = format('It was resolved as %s on %s.', c.status, pg_catalog.to_char(c.resolved_at, 'YYYY-MM-DD')),
              HINT = 'A resolved commitment is final.';
END
$$;
COMMENT ON FUNCTION @extschema@.resolve_commitment(bigint, boolean) IS
    'Resolve a credit commitment (信用承诺) as kept (true) or broken (false): it becomes a credit record of the accepting department dated today (commitment_kept, positive; commitment_broken, negative, which also raises a commitment_broken warning) that auto-evaluation folds into the grades; returns the record id. A department resolves only the commitments it accepted (else 22023, as for an unknown id); resolving twice is an error (55000)';

-- BI: commitments by department, matter and status.
CREATE VIEW @extschema@.v_commitment_summary WITH (security_invoker = true) AS
    SELECT c.department, c.matter,
           count(*) FILTER (WHERE c.status = 'open') AS open,
           count(*) FILTER (WHERE c.status = 'open' AND c.due_on < CURRENT_DATE) AS overdue,
           count(*) FILTER (WHERE c.status = 'kept') AS kept,
           count(*) FILTER (WHERE c.status = 'broken') AS broken,
           round((count(*) FILTER (WHERE c.status = 'kept'))::numeric
                 / NULLIF(count(*) FILTER (WHERE c.status <> 'open'), 0), 4) AS kept_share
      FROM @extschema@.commitment c
     GROUP BY c.department, c.matter;
COMMENT ON VIEW @extschema@.v_commitment_summary IS
    'Credit commitments (信用承诺) by accepting department and matter: open, overdue, kept and broken; read with the reader''s rights (a department sees its own)';
COMMENT ON COLUMN @extschema@.v_commitment_summary.department IS 'Accepting department';
COMMENT ON COLUMN @extschema@.v_commitment_summary.matter IS 'Matter or scenario of the commitments';
COMMENT ON COLUMN @extschema@.v_commitment_summary.open IS 'Commitments not yet resolved';
COMMENT ON COLUMN @extschema@.v_commitment_summary.overdue IS 'Open commitments whose due date has passed';
COMMENT ON COLUMN @extschema@.v_commitment_summary.kept IS 'Commitments resolved as kept (践诺)';
COMMENT ON COLUMN @extschema@.v_commitment_summary.broken IS 'Commitments resolved as broken (违诺)';
COMMENT ON COLUMN @extschema@.v_commitment_summary.kept_share IS 'Kept share of the resolved commitments (0 to 1; NULL: none resolved)';

-- pg_dump keeps every commitment.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.commitment', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.commitment_id_seq', '');

-- Privileges and row-level security: a department registers, sees, resolves
-- and withdraws (while open) only the commitments it accepted
-- (credit.acting_departments() as a scalar subquery: once per statement, not
-- once per row).
ALTER TABLE @extschema@.commitment ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.commitment TO credit_admin;
GRANT SELECT, DELETE ON @extschema@.commitment TO credit_department;
GRANT INSERT (subject_id, department, matter, content, document_no, made_on, due_on)
    ON @extschema@.commitment TO credit_department;
GRANT UPDATE (status, matter, content, document_no, made_on, due_on) ON @extschema@.commitment TO credit_department;
GRANT SELECT ON @extschema@.commitment TO credit_analyst;
GRANT SELECT ON @extschema@.v_commitment_summary TO credit_department, credit_analyst, credit_admin;
CREATE POLICY admin_all ON @extschema@.commitment TO credit_admin USING (true) WITH CHECK (true);
CREATE POLICY analyst_read ON @extschema@.commitment FOR SELECT TO credit_analyst USING (true);
CREATE POLICY department_read ON @extschema@.commitment FOR SELECT TO credit_department
    USING (department = ANY (@extschema@.acting_departments()));
CREATE POLICY department_insert ON @extschema@.commitment FOR INSERT TO credit_department
    WITH CHECK (department = ANY (@extschema@.acting_departments()));
CREATE POLICY department_update ON @extschema@.commitment FOR UPDATE TO credit_department
    USING (department = ANY (@extschema@.acting_departments()))
    WITH CHECK (department = ANY (@extschema@.acting_departments()));
CREATE POLICY department_delete ON @extschema@.commitment FOR DELETE TO credit_department
    USING (department = ANY (@extschema@.acting_departments()) AND status = 'open');
REVOKE ALL ON FUNCTION @extschema@.resolve_commitment(bigint, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.resolve_commitment(bigint, boolean) TO credit_department, credit_admin;
-- Tiered supervision (分级分类监管, docs/supervision.md): grades map to four
-- risk tiers A (low) to D (high); each tier has an inspection ratio, and
-- double-random inspections (双随机抽查) draw subjects with chances that
-- follow those ratios.

CREATE TABLE @extschema@.tier (
    tier              text PRIMARY KEY CHECK (tier IN ('A', 'B', 'C', 'D')),
    name              text NOT NULL,
    inspection_ratio  numeric NOT NULL CHECK (inspection_ratio > 0 AND inspection_ratio <= 1),
    is_default        boolean NOT NULL DEFAULT false,
    description       text,
    -- checked at commit, so that one statement (or a restore) can move the default
    EXCLUDE USING btree (is_default WITH =) WHERE (is_default) DEFERRABLE INITIALLY DEFERRED
);
COMMENT ON TABLE @extschema@.tier IS
    'Supervision tiers (监管分级) A (low risk) to D (high risk) and their inspection ratios: the shipped ratios are defaults: each locality sets its own';
COMMENT ON COLUMN @extschema@.tier.inspection_ratio IS
    'Share of the tier''s subjects to inspect per round (抽查比例), in (0, 1]; credit.draw_inspection draws subjects with chances proportional to it';
COMMENT ON COLUMN @extschema@.tier.is_default IS
    'The tier of a subject none of whose current grades is mapped by credit.tier_rule (at most one tier; none: such subjects have no tier and are never drawn)';
INSERT INTO @extschema@.tier (tier, name, inspection_ratio, is_default, description) VALUES
    ('A', 'Low risk (低风险)', 0.02, false, 'Fewer checks: no disturbance without cause (无事不扰)'),
    ('B', 'Ordinary risk (一般风险)', 0.05, true, 'The routine ratio (常规比例); also the tier of subjects without a mapped grade'),
    ('C', 'Elevated risk (较高风险)', 0.10, false, 'A higher ratio (提高抽查比例)'),
    ('D', 'High risk (高风险)', 0.30, false, 'A substantially higher ratio (大幅提高抽查比例), key supervision');

CREATE TABLE @extschema@.tier_rule (
    model  text NOT NULL,
    grade  text NOT NULL,
    tier   text NOT NULL REFERENCES @extschema@.tier (tier) ON UPDATE CASCADE,
    PRIMARY KEY (model, grade),
    FOREIGN KEY (model, grade) REFERENCES @extschema@.model_grade (model, grade)
        ON UPDATE CASCADE ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.tier_rule IS
    'Which supervision tier (A-D) each grade of a model means (信用等级 → 监管分级); a model without rows here plays no part in tiers';
-- The shipped models: A+ and A are low risk, D high risk.
INSERT INTO @extschema@.tier_rule (model, grade, tier) VALUES
    ('comprehensive_enterprise', 'A', 'A'), ('comprehensive_enterprise', 'B', 'B'),
    ('comprehensive_enterprise', 'C', 'C'), ('comprehensive_enterprise', 'D', 'D'),
    ('comprehensive_individual', 'A+', 'A'), ('comprehensive_individual', 'A', 'A'),
    ('comprehensive_individual', 'B', 'B'), ('comprehensive_individual', 'C', 'C'),
    ('comprehensive_individual', 'D', 'D');
INSERT INTO @extschema@.tier_rule (model, grade, tier)
SELECT 'industry_' || i.code, g.grade, g.grade
  FROM @extschema@.industry i, pg_catalog.unnest('{A,B,C,D}'::text[]) AS g (grade)
 ORDER BY 1, 2;

-- The tier rule itself, without argument checks (credit.draw_inspection applies
-- it to a whole industry): the riskiest tier among the subject's current
-- grades under the industry's models, else under the comprehensive models,
-- else the default tier.
CREATE FUNCTION @extschema@.tier_of(subject_id bigint, industry text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(pg_catalog.max(r.tier COLLATE "C") FILTER (WHERE m.scope = tier_of.industry),
                    pg_catalog.max(r.tier COLLATE "C") FILTER (WHERE m.scope = 'comprehensive'),
                    (SELECT t.tier FROM @extschema@.tier t WHERE t.is_default))
      FROM @extschema@.subject_grade g
      JOIN @extschema@.model m ON m.code = g.model
      JOIN @extschema@.tier_rule r ON r.model = g.model AND r.grade = g.grade
     WHERE g.subject_id = tier_of.subject_id
$$;
COMMENT ON FUNCTION @extschema@.tier_of(bigint, text) IS
    'Supervision tier of a subject, without checks (see credit.supervision_tier): the riskiest tier (D before A) that credit.tier_rule gives its current grades under the models of the industry; if none, under the comprehensive models; if none, the default tier (credit.tier.is_default)';

-- The supervision tier of a subject (as a whole, or within one industry).
CREATE FUNCTION @extschema@.supervision_tier(subject_id bigint, industry text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM @extschema@.subject s WHERE s.id = supervision_tier.subject_id) THEN
        PERFORM @extschema@.subject_missing(supervision_tier.subject_id);
    END IF;
    IF industry IS NOT NULL AND NOT EXISTS (SELECT 1 FROM @extschema@.industry i WHERE i.code = supervision_tier.industry) THEN
        RAISE EXCEPTION 'industry "%" does not exist', @extschema@.clip(industry)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Industries are rows of credit.industry.';
    END IF;
    RETURN @extschema@.tier_of(supervision_tier.subject_id, supervision_tier.industry);
END
$$;
COMMENT ON FUNCTION @extschema@.supervision_tier(bigint, text) IS
    'Supervision tier (监管分级) A (low risk) to D (high risk) of a subject from its current grades via credit.tier_rule: within an industry, its grade under that industry''s model, else its comprehensive grade; without an industry, its comprehensive grade; when several grades count, the riskiest; with no mapped grade, the default tier (B as shipped). Unknown subject or industry: 22023';

-- Double-random sampling (双随机) in C: one industry, n subjects, a seed.
CREATE FUNCTION @extschema@.draw_inspection(industry text, n integer, seed bigint)
    RETURNS TABLE (subject_id bigint, tier text)
    AS 'MODULE_PATHNAME', 'credit_draw_inspection'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.draw_inspection(text, integer, bigint) IS
    'Double-random inspection draw (双随机抽查): n active subjects of the industry, sampled without replacement with chances proportional to their tier''s inspection ratio (credit.tier, tier by credit.tier_of within the industry); Efraimidis-Spirakis keys from a generator seeded by (seed, subject), so the same seed and data give the same draw; rows in draw order; n above the population returns everyone. Unknown industry or n < 0: 22023';

-- BI: subjects per industry and tier, and the inspections the ratios plan.
CREATE VIEW @extschema@.v_supervision_tier AS
    WITH st AS (
        SELECT i.code AS industry, @extschema@.tier_of(s.id, i.code) AS tier
          FROM @extschema@.industry i
          JOIN @extschema@.subject s ON s.industries @> ARRAY[i.code] AND s.status = 'active'
    )
    SELECT st.industry, t.tier, t.inspection_ratio, count(*) AS subjects,
           pg_catalog.ceil(count(*) * t.inspection_ratio)::bigint AS planned_inspections
      FROM st JOIN @extschema@.tier t ON t.tier = st.tier
     GROUP BY st.industry, t.tier, t.inspection_ratio;
COMMENT ON VIEW @extschema@.v_supervision_tier IS
    'Tiered supervision (分级分类监管) by industry: active subjects per tier and the inspections the tier''s ratio plans; the sum over an industry''s tiers is a natural n for credit.draw_inspection';
COMMENT ON COLUMN @extschema@.v_supervision_tier.industry IS 'Industry code (credit.industry)';
COMMENT ON COLUMN @extschema@.v_supervision_tier.tier IS 'Supervision tier A (low risk) to D (high risk)';
COMMENT ON COLUMN @extschema@.v_supervision_tier.inspection_ratio IS 'The tier''s inspection ratio';
COMMENT ON COLUMN @extschema@.v_supervision_tier.subjects IS 'Active subjects of the industry in the tier';
COMMENT ON COLUMN @extschema@.v_supervision_tier.planned_inspections IS 'subjects × inspection_ratio, rounded up';

-- (pg_dump keeps the tiers and tier rules users add or change: registered by 99-backup.sql)

GRANT SELECT ON @extschema@.tier, @extschema@.tier_rule TO credit_department, credit_analyst;
GRANT SELECT ON @extschema@.v_supervision_tier TO credit_department, credit_analyst, credit_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.tier, @extschema@.tier_rule TO credit_admin;
REVOKE ALL ON FUNCTION @extschema@.tier_of(bigint, text), @extschema@.supervision_tier(bigint, text),
    @extschema@.draw_inspection(text, integer, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tier_of(bigint, text), @extschema@.supervision_tier(bigint, text),
    @extschema@.draw_inspection(text, integer, bigint)
    TO credit_department, credit_analyst, credit_admin;
-- Credit repair (信用修复) and objections (异议处理): docs/repair.md.
--
-- Repair: once the minimum publicity period of a published administrative
-- penalty has passed, the subject may ask for it to be repaired; a unit (or
-- an administrator) approves once the conduct was corrected, the obligations
-- performed and a public credit commitment made.  The record then becomes
-- 'repaired': its publicity stops and it no longer counts in evaluation (the
-- record triggers re-evaluate the grades), but it is kept, annotated, never
-- deleted.
--
-- Objection: a subject disputes a record.  While the objection is open the
-- record is 'objected' (marked in the publicity views, not counted); the
-- objection is decided within a number of working days: upheld (the record
-- is revoked, its publicity withdrawn), corrected (the unit corrected the
-- record, which counts again), dismissed or withdrawn (the record counts
-- again).
--
-- Both are done with the caller's own rights: a unit (credit_department)
-- acts on the records of the departments it acts for (row-level security of
-- credit.record), administrators on every record.  Lock order: the record
-- first, then its request or objection, so that concurrent calls on one
-- record queue behind each other and never deadlock.

-- Minimum publicity periods of earlier rules.  The rule in force is chosen
-- by the record's decision date: a record decided before decided_before
-- keeps the minimum of the rule it was decided under; records decided later
-- take the minimum of their catalogue item (credit.catalog_item.min_publicity,
-- the 2025 credit repair measures by default).
CREATE TABLE @extschema@.repair_rule (
    severity       text NOT NULL CHECK (severity IN ('minor', 'general', 'serious')),
    decided_before date NOT NULL,
    min_publicity  interval NOT NULL CHECK (min_publicity >= interval '0 days'),
    name           text NOT NULL,
    PRIMARY KEY (severity, decided_before)
);
COMMENT ON TABLE @extschema@.repair_rule IS
    'Minimum publicity periods (最短公示期) of earlier rules, by severity: a penalty decided before decided_before may be repaired after min_publicity; later penalties after their catalogue item''s min_publicity. When several rows match, the earliest decided_before wins (the rule in force on the decision date)';
COMMENT ON COLUMN @extschema@.repair_rule.decided_before IS
    'The rule applies to records decided before this date (the day the next rule took effect)';
COMMENT ON COLUMN @extschema@.repair_rule.min_publicity IS
    'Publicity period that must have passed, from the decision date, before credit repair may be requested';
INSERT INTO @extschema@.repair_rule (severity, decided_before, min_publicity, name) VALUES
    ('general', '2026-04-01', interval '3 months', 'NDRC 2019 rule (before the 2025 credit repair measures took effect on 2026-04-01)'),
    ('serious', '2026-04-01', interval '6 months', 'NDRC 2019 rule (before the 2025 credit repair measures took effect on 2026-04-01)');

-- The minimum publicity period of a record of an item decided on a day.
CREATE FUNCTION @extschema@.minimum_publicity(item_code text, decided_on date,
                                              OUT min_publicity interval, OUT rule text, OUT repair_from date)
RETURNS record
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT m.p, m.rule, (minimum_publicity.decided_on + m.p)::date
      FROM @extschema@.catalog_item c
     CROSS JOIN LATERAL (
            SELECT coalesce(r.min_publicity, c.min_publicity, interval '0 days') AS p,
                   coalesce(r.name, pg_catalog.format('catalogue item %s', c.code)) AS rule
              FROM (SELECT 1) one
              LEFT JOIN LATERAL (
                     SELECT x.min_publicity, x.name FROM @extschema@.repair_rule x
                      WHERE x.severity = c.severity AND x.decided_before > minimum_publicity.decided_on
                      ORDER BY x.decided_before LIMIT 1) r ON true) m
     WHERE c.code = minimum_publicity.item_code
$$;
COMMENT ON FUNCTION @extschema@.minimum_publicity(text, date) IS
    'Minimum publicity period (最短公示期) of a record of this catalogue item decided on this day, the rule it comes from (credit.repair_rule for records decided under an earlier rule, else the catalogue item) and repair_from, the first day credit repair may be requested (decided_on + min_publicity); all NULL for an unknown item';

-- A period in words, whatever the session's IntervalStyle ("1 year", "3 months").
CREATE FUNCTION @extschema@.period_text(p interval) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(pg_catalog.string_agg(n || ' ' || unit || CASE WHEN n = 1 THEN '' ELSE 's' END, ' ' ORDER BY o), '0 days')
      FROM (VALUES (1, pg_catalog.date_part('year', p)::bigint, 'year'),
                   (2, pg_catalog.date_part('month', p)::bigint, 'month'),
                   (3, pg_catalog.date_part('day', p)::bigint, 'day')) v (o, n, unit)
     WHERE n <> 0
$$;
COMMENT ON FUNCTION @extschema@.period_text(interval) IS
    'A publicity period in words (1 year, 3 months, 1 year 6 months), the same under every IntervalStyle; time of day is ignored';

-- Working days: Monday to Friday, unless credit.calendar_day says otherwise.
CREATE TABLE @extschema@.calendar_day (
    day     date PRIMARY KEY,
    working boolean NOT NULL,
    name    text
);
COMMENT ON TABLE @extschema@.calendar_day IS
    'Exceptions to the Monday-to-Friday working week (deadlines in working days: objections, double-publicity timeliness): public holidays (working false) and the weekend days worked in their place (调休, working true). Shipped: the State Council''s holiday arrangements for 2025 and 2026, and for 2027-2030 the statutory holidays of fixed date (1 January, 1-2 May, 1-3 October); the county enters each year''s arrangement when it is published';

-- The State Council's holiday arrangements (国务院办公厅关于...部分节假日安排的通知):
-- 2025 (国办发明电〔2024〕12号) and 2026 (国办发明电〔2025〕7号), holidays and
-- the weekend days worked in their place.  Later years: only the statutory
-- holidays whose date is fixed by the Regulation on National Holidays
-- (全国年节及纪念日放假办法, 2024 revision: 1 January; 1 and 2 May; 1 to 3
-- October); the lunar holidays and each year's bridging days are entered when
-- that year's arrangement is published.
INSERT INTO @extschema@.calendar_day (day, working, name)
SELECT d::date, false, v.name
  FROM (VALUES ('2025-01-01', '2025-01-01', '元旦 New Year''s Day'),
               ('2025-01-28', '2025-02-04', '春节 Spring Festival'),
               ('2025-04-04', '2025-04-06', '清明节 Qingming Festival'),
               ('2025-05-01', '2025-05-05', '劳动节 Labour Day'),
               ('2025-05-31', '2025-06-02', '端午节 Dragon Boat Festival'),
               ('2025-10-01', '2025-10-08', '国庆节、中秋节 National Day and Mid-Autumn Festival'),
               ('2026-01-01', '2026-01-03', '元旦 New Year''s Day'),
               ('2026-02-15', '2026-02-23', '春节 Spring Festival'),
               ('2026-04-04', '2026-04-06', '清明节 Qingming Festival'),
               ('2026-05-01', '2026-05-05', '劳动节 Labour Day'),
               ('2026-06-19', '2026-06-21', '端午节 Dragon Boat Festival'),
               ('2026-09-25', '2026-09-27', '中秋节 Mid-Autumn Festival'),
               ('2026-10-01', '2026-10-07', '国庆节 National Day')) v (first, last, name),
       pg_catalog.generate_series(v.first::date, v.last::date, interval '1 day') d
UNION ALL
SELECT v.day::date, true, v.name
  FROM (VALUES ('2025-01-26', '春节调休 working Sunday (Spring Festival)'),
               ('2025-02-08', '春节调休 working Saturday (Spring Festival)'),
               ('2025-04-27', '劳动节调休 working Sunday (Labour Day)'),
               ('2025-09-28', '国庆节调休 working Sunday (National Day)'),
               ('2025-10-11', '国庆节调休 working Saturday (National Day)'),
               ('2026-01-04', '元旦调休 working Sunday (New Year''s Day)'),
               ('2026-02-14', '春节调休 working Saturday (Spring Festival)'),
               ('2026-02-28', '春节调休 working Saturday (Spring Festival)'),
               ('2026-05-09', '劳动节调休 working Saturday (Labour Day)'),
               ('2026-09-20', '国庆节调休 working Sunday (National Day)'),
               ('2026-10-10', '国庆节调休 working Saturday (National Day)')) v (day, name)
UNION ALL
SELECT pg_catalog.make_date(y, f.m, f.d), false, f.name || ' (statutory)'
  FROM pg_catalog.generate_series(2027, 2030) y,
       (VALUES (1, 1, '元旦 New Year''s Day'), (5, 1, '劳动节 Labour Day'), (5, 2, '劳动节 Labour Day'),
               (10, 1, '国庆节 National Day'), (10, 2, '国庆节 National Day'),
               (10, 3, '国庆节 National Day')) f (m, d, name);

-- A finite date or an error: the calendar has no working day at infinity.
CREATE FUNCTION @extschema@.finite_day(day date, what text) RETURNS date
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT pg_catalog.isfinite(day) THEN
        RAISE EXCEPTION '% must be a finite date, not %', what, day
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Working days are counted on the calendar: infinity has none.';
    END IF;
    RETURN day;
END
$$;
COMMENT ON FUNCTION @extschema@.finite_day(date, text) IS
    'The day itself when finite; else an error (22023) naming what the day is for: the check credit.is_working_day and credit.add_working_days share';

-- The weekday rule counts days from a Monday (2000-01-03) modulo 7, valid for
-- every date (date_part needs a timestamp, whose range is smaller).
CREATE FUNCTION @extschema@.is_working_day(day date) RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN @extschema@.finite_day(is_working_day.day, 'the day') IS NOT NULL THEN
               coalesce((SELECT c.working FROM @extschema@.calendar_day c WHERE c.day = is_working_day.day),
                        ((is_working_day.day OPERATOR(pg_catalog.-) '2000-01-03'::pg_catalog.date) % 7 + 7) % 7 < 5)
           END
$$;
COMMENT ON FUNCTION @extschema@.is_working_day(date) IS
    'Whether a day is a working day (工作日): Monday to Friday unless credit.calendar_day marks it otherwise; 22023 for infinity';

-- The n-th working day after day.  Only the finitely many days of
-- credit.calendar_day differ from the weekly rule (Monday to Friday), so the
-- days between two of them are counted by whole weeks (every 7 consecutive
-- days hold 5 weekdays): the work grows with the calendar entries passed,
-- not with n.
CREATE FUNCTION @extschema@.add_working_days(day date, n integer) RETURNS date
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d         date := @extschema@.finite_day(day, 'the day');
    remaining bigint := n;
    next_day  date;
    weeks     bigint;
    target    bigint;
    steps     integer;
BEGIN
    IF n < 0 THEN
        RAISE EXCEPTION 'number of working days must not be negative: %', n
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    WHILE remaining > 0 LOOP
        -- the next day the calendar marks, after d
        SELECT min(c.day) INTO next_day FROM @extschema@.calendar_day c WHERE c.day > d;
        -- weekdays after d up to the day before it (all of them when there is none)
        IF next_day IS NULL THEN
            weeks := (remaining - 1) / 5;
        ELSE
            weeks := LEAST((remaining - 1) / 5, (next_day - 1 - d) / 7);
        END IF;
        IF weeks > 0 THEN
            target := (d - date '2000-01-01') + 7 * weeks;
            IF target > (date '5874897-12-31' - date '2000-01-01') THEN
                RAISE EXCEPTION 'the % working days after % end past the last date (5874897-12-31)',
                                n, @extschema@.iso_date(day)
                    USING ERRCODE = 'datetime_field_overflow';
            END IF;
            d := d + (7 * weeks)::integer;
            remaining := remaining - 5 * weeks;
        END IF;
        -- then day by day: until done, past the marked day, or for a week
        steps := 0;
        LOOP
            IF d >= date '5874897-12-31' THEN
                RAISE EXCEPTION 'the % working days after % end past the last date (5874897-12-31)',
                                n, @extschema@.iso_date(day)
                    USING ERRCODE = 'datetime_field_overflow';
            END IF;
            d := d + 1;
            steps := steps + 1;
            IF @extschema@.is_working_day(d) THEN
                remaining := remaining - 1;
            END IF;
            EXIT WHEN remaining = 0 OR d = next_day OR steps = 7;
        END LOOP;
    END LOOP;
    RETURN d;
END
$$;
COMMENT ON FUNCTION @extschema@.add_working_days(date, integer) IS
    'The n-th working day after day (the day itself not counted; n = 0 gives day): the deadline of something to be done within n working days. Counts whole weeks between the days credit.calendar_day marks, so any n is fast; 22023 for infinity, 22008 when the result would pass the last date';

-- Repair requests.
CREATE TABLE @extschema@.repair_request (
    id                    bigint GENERATED ALWAYS AS IDENTITY,
    record_id             bigint NOT NULL,
    subject_id            bigint NOT NULL,
    department            text NOT NULL REFERENCES @extschema@.department (code) ON UPDATE CASCADE,
    reason                text NOT NULL CHECK (pg_catalog.btrim(reason) <> ''),
    conduct_corrected     boolean NOT NULL DEFAULT false,
    obligations_performed boolean NOT NULL DEFAULT false,
    commitment            text,
    evidence              jsonb NOT NULL DEFAULT '{}',
    status                text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'approved', 'rejected')),
    requested_by          name NOT NULL DEFAULT current_user,
    requested_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    decided_by            name,
    decided_at            timestamptz,
    decision_note         text,
    CHECK ((status = 'open') = (decided_at IS NULL)),
    FOREIGN KEY (subject_id, record_id) REFERENCES @extschema@.record (subject_id, id)
        ON DELETE CASCADE ON UPDATE CASCADE,
    PRIMARY KEY (subject_id, id)
);
COMMENT ON TABLE @extschema@.repair_request IS
    'Credit repair requests (信用修复申请) of penalty records: what repair needs (conduct corrected, obligations performed, a public credit commitment, evidence) and the decision; written by credit.request_repair, credit.amend_repair and credit.decide_repair, kept for good';
COMMENT ON COLUMN @extschema@.repair_request.subject_id IS 'Subject of the record (copied from it)';
COMMENT ON COLUMN @extschema@.repair_request.department IS 'Department of the record: its unit decides (row-level security keys on it)';
COMMENT ON COLUMN @extschema@.repair_request.conduct_corrected IS 'The dishonest conduct has been corrected (纠正失信行为)';
COMMENT ON COLUMN @extschema@.repair_request.obligations_performed IS 'The legal obligations of the decision have been performed (履行法定义务), e.g. the fine paid';
COMMENT ON COLUMN @extschema@.repair_request.commitment IS 'The public credit commitment (信用承诺书) made by the subject: its text or a reference to it; NULL: not yet made';
COMMENT ON COLUMN @extschema@.repair_request.evidence IS 'Supporting documents (证明材料), e.g. {"fine_receipt": "..."}';
COMMENT ON COLUMN @extschema@.repair_request.status IS 'open, approved (the record is repaired) or rejected (the record is kept as it was)';
COMMENT ON COLUMN @extschema@.repair_request.requested_by IS 'Role that entered the request';
COMMENT ON COLUMN @extschema@.repair_request.decided_by IS 'Role that decided it';
CREATE INDEX repair_request_id_idx ON @extschema@.repair_request (id);
CREATE UNIQUE INDEX repair_request_open_idx ON @extschema@.repair_request (subject_id, record_id) WHERE status = 'open';
CREATE INDEX repair_request_record_idx ON @extschema@.repair_request (record_id);
CREATE INDEX repair_request_department_idx ON @extschema@.repair_request (department, status);

-- Objections.
CREATE TABLE @extschema@.objection (
    id          bigint GENERATED ALWAYS AS IDENTITY,
    record_id   bigint NOT NULL,
    subject_id  bigint NOT NULL,
    department  text NOT NULL REFERENCES @extschema@.department (code) ON UPDATE CASCADE,
    reason      text NOT NULL CHECK (pg_catalog.btrim(reason) <> ''),
    filed_on    date NOT NULL DEFAULT CURRENT_DATE,
    due_on      date NOT NULL,
    status      text NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'upheld', 'corrected', 'dismissed', 'withdrawn')),
    filed_by    name NOT NULL DEFAULT current_user,
    filed_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    resolved_by name,
    resolved_at timestamptz,
    note        text,
    CHECK (due_on >= filed_on),
    CHECK ((status = 'open') = (resolved_at IS NULL)),
    FOREIGN KEY (subject_id, record_id) REFERENCES @extschema@.record (subject_id, id)
        ON DELETE CASCADE ON UPDATE CASCADE,
    PRIMARY KEY (subject_id, id)
);
COMMENT ON TABLE @extschema@.objection IS
    'Objections (异议) to credit records: while open the record is ''objected'' (marked in publicity, not counted in evaluation); decided by due_on; written by credit.file_objection and credit.resolve_objection, kept for good';
COMMENT ON COLUMN @extschema@.objection.department IS 'Department of the record: its unit resolves the objection (row-level security keys on it)';
COMMENT ON COLUMN @extschema@.objection.filed_on IS 'Day the objection was filed; the record is marked under objection at once (the rules ask for it within 1 working day)';
COMMENT ON COLUMN @extschema@.objection.due_on IS 'Last day to decide: filed_on plus the working days allowed (5 to 20, credit.add_working_days)';
COMMENT ON COLUMN @extschema@.objection.status IS
    'open; upheld (the record was wrong: revoked, publicity withdrawn); corrected (the unit corrected the record, which counts again); dismissed (the record stands); withdrawn (by the subject)';
CREATE INDEX objection_id_idx ON @extschema@.objection (id);
CREATE UNIQUE INDEX objection_open_idx ON @extschema@.objection (subject_id, record_id) WHERE status = 'open';
CREATE INDEX objection_record_idx ON @extschema@.objection (record_id);
CREATE INDEX objection_due_idx ON @extschema@.objection (due_on) WHERE status = 'open';

-- A request or objection is born open, and once decided never changes again
-- (except its department code, which follows a renamed department).
CREATE FUNCTION @extschema@.closed_case_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF @extschema@.restoring() THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'open' THEN
            RAISE EXCEPTION 'a new % must be open, not %', TG_ARGV[0], NEW.status
                USING ERRCODE = 'check_violation',
                      HINT = 'It is decided afterwards, by credit.decide_repair or credit.resolve_objection.';
        END IF;
    ELSIF OLD.status <> 'open' AND (to_jsonb(NEW) - 'department') IS DISTINCT FROM (to_jsonb(OLD) - 'department') THEN
        RAISE EXCEPTION '% % was already % on %', TG_ARGV[0], OLD.id,
            CASE WHEN OLD.status IN ('approved', 'rejected') THEN OLD.status
                 ELSE 'resolved (' || OLD.status || ')' END,
            pg_catalog.to_char(coalesce(to_jsonb(OLD) ->> 'decided_at', to_jsonb(OLD) ->> 'resolved_at')::timestamptz,
                               'YYYY-MM-DD')
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'A decision is final; file a new request or objection instead.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.closed_case_guard() IS
    'BEFORE INSERT OR UPDATE trigger of credit.repair_request and credit.objection: a new one must be open (23514); a decided request or resolved objection cannot change again (55000), except its department code when the department is renamed; skipped while restoring a dump';
CREATE TRIGGER closed_case_guard BEFORE INSERT OR UPDATE ON @extschema@.repair_request
    FOR EACH ROW EXECUTE FUNCTION @extschema@.closed_case_guard('repair request');
CREATE TRIGGER closed_case_guard BEFORE INSERT OR UPDATE ON @extschema@.objection
    FOR EACH ROW EXECUTE FUNCTION @extschema@.closed_case_guard('objection');

-- Lock a record the caller may act on, or say why not.  With the caller's
-- rights: SELECT ... FOR UPDATE passes the record's UPDATE policies, so a
-- unit locks only the records of the departments it acts for.
CREATE FUNCTION @extschema@.lock_governed_record(record_id bigint, action text) RETURNS @extschema@.record
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r    @extschema@.record;
    dept text;
BEGIN
    IF record_id IS NULL THEN
        RAISE EXCEPTION 'record id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO r FROM @extschema@.record x WHERE x.id = lock_governed_record.record_id FOR UPDATE;
    IF FOUND THEN
        RETURN r;
    END IF;
    IF pg_catalog.pg_has_role(current_user, 'credit_admin', 'MEMBER') THEN
        RAISE EXCEPTION 'record % does not exist', record_id USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT x.department INTO dept FROM @extschema@.record x WHERE x.id = lock_governed_record.record_id;
    IF FOUND THEN
        RAISE EXCEPTION 'permission denied to % record %', action, record_id
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('The record belongs to department "%s", which role %s does not act for.',
                                             dept, current_user),
                  HINT = 'A unit acts on the records of its own departments; administrators (credit_admin) on all.';
    END IF;
    -- units learn nothing about records they cannot see
    RAISE EXCEPTION 'permission denied to % record %', action, record_id
        USING ERRCODE = 'insufficient_privilege',
              DETAIL = pg_catalog.format('Role %s cannot see record %s.', current_user, record_id),
              HINT = 'A unit acts on the records of its own departments; administrators (credit_admin) on all.';
END
$$;
COMMENT ON FUNCTION @extschema@.lock_governed_record(bigint, text) IS
    'Locks (FOR UPDATE) and returns a record the caller may act on (a unit: a record of a department it acts for; an administrator: any); 42501 otherwise (also when a unit cannot see the record), 22023 when an administrator names no record';

-- What approval of a repair request still lacks (the minimum publicity period, corrected conduct and obligations, a public commitment).
CREATE FUNCTION @extschema@.repair_missing(q @extschema@.repair_request) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.array_remove(ARRAY[
        CASE WHEN NOT q.conduct_corrected THEN 'conduct corrected' END,
        CASE WHEN NOT q.obligations_performed THEN 'obligations performed' END,
        CASE WHEN coalesce(pg_catalog.btrim(q.commitment), '') = '' THEN 'public credit commitment' END], NULL)
$$;
COMMENT ON FUNCTION @extschema@.repair_missing(@extschema@.repair_request) IS
    'What a repair request does not record yet (an approval attests it): conduct corrected, obligations performed, public credit commitment (empty: complete)';

-- Ask for credit repair of a penalty record.
CREATE FUNCTION @extschema@.request_repair(record_id bigint, reason text,
                                           conduct_corrected boolean DEFAULT false,
                                           obligations_performed boolean DEFAULT false,
                                           commitment text DEFAULT NULL,
                                           evidence jsonb DEFAULT '{}') RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r   @extschema@.record;
    c   @extschema@.catalog_item;
    m   record;
    q   bigint;
BEGIN
    IF reason IS NULL OR btrim(reason) = '' THEN
        RAISE EXCEPTION 'a reason is required to request credit repair' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    r := @extschema@.lock_governed_record(request_repair.record_id, 'request credit repair of');
    SELECT * INTO c FROM @extschema@.catalog_item x WHERE x.code = r.item_code;
    IF c.category IS DISTINCT FROM 'penalty' THEN
        RAISE EXCEPTION 'record % is not an administrative penalty: credit repair applies to penalty records', r.id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('Its item %s is of category %s.', r.item_code, c.category);
    END IF;
    IF r.status = 'objected' THEN
        RAISE EXCEPTION 'record % cannot be repaired: it is under objection', r.id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Resolve the objection first (credit.resolve_objection).';
    ELSIF r.status <> 'active' THEN
        RAISE EXCEPTION 'record % cannot be repaired: %', r.id,
            CASE r.status
                WHEN 'repaired' THEN 'it was already repaired'
                WHEN 'revoked' THEN 'its decision was revoked and its publicity withdrawn'
                WHEN 'expired' THEN 'it has expired'
                ELSE 'its status is ' || r.status END
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    SELECT x.id INTO q FROM @extschema@.repair_request x
     WHERE x.record_id = r.id AND x.status = 'open';
    IF FOUND THEN
        RAISE EXCEPTION 'repair request % of record % is still open', q, r.id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Complete it with credit.amend_repair, or decide it with credit.decide_repair.';
    END IF;
    IF r.publicity_until IS NULL THEN
        RAISE EXCEPTION 'record % cannot be repaired: it is not published', r.id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'Its item is not published, or the penalty is a warning only.';
    END IF;
    IF r.publicity_until < CURRENT_DATE THEN
        RAISE EXCEPTION 'record % cannot be repaired: its publicity ended on %', r.id,
            @extschema@.iso_date(r.publicity_until)
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'Publicity stops by itself at the end of the maximum period.';
    END IF;
    SELECT * INTO m FROM @extschema@.minimum_publicity(r.item_code, r.decided_on);
    IF m.repair_from > CURRENT_DATE THEN
        RAISE EXCEPTION 'credit repair of record % may be requested from %', r.id,
            @extschema@.iso_date(m.repair_from)
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('The minimum publicity period of a %s penalty decided on %s is %s (%s).',
                                             coalesce(c.severity, 'unclassified'),
                                             @extschema@.iso_date(r.decided_on),
                                             @extschema@.period_text(m.min_publicity), m.rule);
    END IF;
    INSERT INTO @extschema@.repair_request (record_id, subject_id, department, reason, conduct_corrected,
                                            obligations_performed, commitment, evidence)
    VALUES (r.id, r.subject_id, r.department, request_repair.reason,
            coalesce(request_repair.conduct_corrected, false),
            coalesce(request_repair.obligations_performed, false),
            request_repair.commitment, coalesce(request_repair.evidence, '{}'))
    RETURNING id INTO q;
    RETURN q;
END
$$;
COMMENT ON FUNCTION @extschema@.request_repair(bigint, text, boolean, boolean, text, jsonb) IS
    'Request credit repair (信用修复) of a published, active administrative penalty record whose minimum publicity period has passed (credit.minimum_publicity); returns the request id. Refused (55000) before that period, saying the earliest date, and for records that are not penalties, not published, repaired, revoked, under objection or with an open request. The requirements of repair (conduct corrected, obligations performed, a public credit commitment, evidence) may be given here or later with credit.amend_repair';

-- Complete an open repair request.
CREATE FUNCTION @extschema@.amend_repair(request_id bigint,
                                         conduct_corrected boolean DEFAULT NULL,
                                         obligations_performed boolean DEFAULT NULL,
                                         commitment text DEFAULT NULL,
                                         evidence jsonb DEFAULT NULL) RETURNS text[]
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    q @extschema@.repair_request;
BEGIN
    PERFORM @extschema@.lock_case('repair_request', request_id, 'amend');
    UPDATE @extschema@.repair_request x
       SET conduct_corrected = coalesce(amend_repair.conduct_corrected, x.conduct_corrected),
           obligations_performed = coalesce(amend_repair.obligations_performed, x.obligations_performed),
           commitment = coalesce(amend_repair.commitment, x.commitment),
           evidence = x.evidence || coalesce(amend_repair.evidence, '{}')
     WHERE x.id = amend_repair.request_id
    RETURNING x.* INTO q;
    RETURN @extschema@.repair_missing(q);
END
$$;
COMMENT ON FUNCTION @extschema@.amend_repair(bigint, boolean, boolean, text, jsonb) IS
    'Complete an open repair request: set conduct_corrected, obligations_performed, the public credit commitment, and add evidence (merged into the jsonb); NULL arguments leave a field as it is. Returns what the request does not record yet (empty: complete)';

-- Lock an open repair request or objection the caller may act on, its
-- record first; returns the record id.  (tbl: repair_request or objection)
CREATE FUNCTION @extschema@.lock_case(tbl text, id bigint, action text) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    what text := replace(tbl, '_', ' ');
    rid  bigint;
    st   text;
    closed_at timestamptz;
BEGIN
    IF tbl NOT IN ('repair_request', 'objection') THEN
        RAISE EXCEPTION 'no such kind of case: %', tbl USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF id IS NULL THEN
        RAISE EXCEPTION '% id must not be NULL', what USING ERRCODE = 'null_value_not_allowed';
    END IF;
    EXECUTE format('SELECT record_id FROM @extschema@.%I WHERE id = $1', tbl) INTO rid USING id;
    IF rid IS NULL THEN
        IF pg_catalog.pg_has_role(current_user, 'credit_admin', 'MEMBER') THEN
            RAISE EXCEPTION '% % does not exist', what, id USING ERRCODE = 'invalid_parameter_value';
        END IF;
        RAISE EXCEPTION 'permission denied to % % %', action, what, id
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('Role %s cannot see %s %s.', current_user, what, id),
                  HINT = 'A unit acts on the cases of its own departments; administrators (credit_admin) on all.';
    END IF;
    PERFORM @extschema@.lock_governed_record(rid, action || ' a ' || what || ' of');
    EXECUTE format('SELECT status, coalesce(to_jsonb(x) ->> ''decided_at'', to_jsonb(x) ->> ''resolved_at'')::timestamptz
                      FROM @extschema@.%I x WHERE id = $1 FOR UPDATE', tbl) INTO st, closed_at USING id;
    IF st <> 'open' THEN
        RAISE EXCEPTION '% % was already % on %', what, id,
            CASE WHEN tbl = 'objection' THEN 'resolved (' || st || ')' ELSE st END, pg_catalog.to_char(closed_at, 'YYYY-MM-DD')
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = pg_catalog.format('A decision is final; file a new %s instead.', what);
    END IF;
    RETURN rid;
END
$$;
COMMENT ON FUNCTION @extschema@.lock_case(text, bigint, text) IS
    'Locks the record of an open repair request or objection (tbl) the caller may act on, then the request or objection, and returns the record id; 42501 when the caller may not act on the record, 55000 when already decided, 22023 when an administrator names none';

-- Approve or reject a repair request.
CREATE FUNCTION @extschema@.decide_repair(request_id bigint, approve boolean, note text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    q       @extschema@.repair_request;
    missing text[];
    st      text;
BEGIN
    IF approve IS NULL THEN
        RAISE EXCEPTION 'approve must be true or false' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT approve AND coalesce(btrim(note), '') = '' THEN
        RAISE EXCEPTION 'a rejection needs a note saying why' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM @extschema@.lock_case('repair_request', request_id, 'decide');
    SELECT * INTO q FROM @extschema@.repair_request x WHERE x.id = decide_repair.request_id;
    IF approve THEN
        SELECT x.status INTO st FROM @extschema@.record x WHERE x.id = q.record_id;
        IF st <> 'active' THEN
            RAISE EXCEPTION 'repair request % cannot be approved: record % is %', q.id, q.record_id, st
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        -- The deciding unit checks the requirements of repair (conduct
        -- corrected, obligations performed, the public credit commitment);
        -- what the request does not record, its approval attests, by name.
        missing := @extschema@.repair_missing(q);
        IF cardinality(missing) > 0 THEN
            UPDATE @extschema@.repair_request x
               SET conduct_corrected = true, obligations_performed = true,
                   evidence = x.evidence || jsonb_build_object('attested_by_decider', to_jsonb(missing),
                                                               'attested_by', current_user)
             WHERE x.id = q.id;
        END IF;
        -- publicity stops (credit.is_published) and the record no longer counts;
        -- it is kept, annotated
        UPDATE @extschema@.record x
           SET status = 'repaired',
               details = x.details || jsonb_build_object('repair', jsonb_build_object(
                             'request', q.id, 'approved_on', CURRENT_DATE, 'approved_by', current_user))
         WHERE x.id = q.record_id;
    END IF;
    UPDATE @extschema@.repair_request x
       SET status = CASE WHEN approve THEN 'approved' ELSE 'rejected' END,
           decided_by = current_user, decided_at = now(), decision_note = note
     WHERE x.id = q.id;
END
$$;
COMMENT ON FUNCTION @extschema@.decide_repair(bigint, boolean, text) IS
    'Decide a repair request. Approval attests the requirements of repair (conduct corrected, obligations performed, the public credit commitment: those the request does not record are listed in evidence.attested_by_decider) and sets the record to repaired: its publicity stops and the grades are re-evaluated, the record is kept and annotated (details.repair); rejection (needs a note) keeps the record as it is. A decision is final (55000 the second time). A unit decides for its own departments, administrators for all (42501 otherwise)';

-- File an objection to a record.
CREATE FUNCTION @extschema@.file_objection(record_id bigint, reason text, working_days integer DEFAULT 20) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r  @extschema@.record;
    o  bigint;
    q  bigint;
BEGIN
    IF reason IS NULL OR btrim(reason) = '' THEN
        RAISE EXCEPTION 'a reason is required to file an objection' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF working_days IS NULL OR working_days NOT BETWEEN 5 AND 20 THEN
        RAISE EXCEPTION 'an objection is decided within 5 to 20 working days, not %', coalesce(working_days::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    r := @extschema@.lock_governed_record(file_objection.record_id, 'file an objection to');
    IF r.status <> 'active' THEN
        SELECT x.id INTO o FROM @extschema@.objection x WHERE x.record_id = r.id AND x.status = 'open';
        RAISE EXCEPTION 'no objection can be filed to record %: %', r.id,
            CASE r.status
                WHEN 'objected' THEN 'it is already under objection' || coalesce(' (objection ' || o || ')', '')
                WHEN 'repaired' THEN 'it was repaired, so it is neither published nor counted'
                WHEN 'revoked' THEN 'its decision was revoked and its publicity withdrawn'
                WHEN 'expired' THEN 'it has expired'
                ELSE 'its status is ' || r.status END
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    SELECT x.id INTO q FROM @extschema@.repair_request x WHERE x.record_id = r.id AND x.status = 'open';
    IF FOUND THEN
        RAISE EXCEPTION 'no objection can be filed to record %: its repair request % is open', r.id, q
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Decide the repair request first (credit.decide_repair).';
    END IF;
    INSERT INTO @extschema@.objection (record_id, subject_id, department, reason, filed_on, due_on)
    VALUES (r.id, r.subject_id, r.department, file_objection.reason, CURRENT_DATE,
            @extschema@.add_working_days(CURRENT_DATE, working_days))
    RETURNING id INTO o;
    UPDATE @extschema@.record x SET status = 'objected' WHERE x.id = r.id;
    RETURN o;
END
$$;
COMMENT ON FUNCTION @extschema@.file_objection(bigint, text, integer) IS
    'File an objection (异议) to an active record; returns the objection id. The record becomes objected at once: marked under objection in the publicity views and no longer counted in evaluation (grades re-evaluate). It is to be decided within working_days working days (5 to 20, default 20; credit.add_working_days), stored as due_on. Refused (55000) for records not active (already objected, repaired, revoked, expired) or with an open repair request';

-- Resolve an objection.
CREATE FUNCTION @extschema@.resolve_objection(id bigint, outcome text, note text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o   @extschema@.objection;
BEGIN
    -- accepted (异议成立) is upheld, rejected (异议不成立) is dismissed
    outcome := CASE outcome WHEN 'accepted' THEN 'upheld' WHEN 'rejected' THEN 'dismissed' ELSE outcome END;
    IF outcome IS NULL OR outcome NOT IN ('upheld', 'corrected', 'dismissed', 'withdrawn') THEN
        RAISE EXCEPTION 'invalid objection outcome: %', coalesce(quote_literal(resolve_objection.outcome), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'upheld or accepted (the record is revoked), corrected (the record was corrected and counts again), dismissed or rejected, withdrawn (the record counts again).';
    END IF;
    PERFORM @extschema@.lock_case('objection', resolve_objection.id, 'resolve');
    SELECT * INTO o FROM @extschema@.objection x WHERE x.id = resolve_objection.id;
    IF outcome = 'upheld' THEN
        -- the record was wrong: its decision is revoked, its publicity withdrawn
        UPDATE @extschema@.record x
           SET status = 'revoked',
               details = x.details || jsonb_build_object('revoked', jsonb_build_object(
                             'objection', o.id, 'revoked_on', CURRENT_DATE, 'revoked_by', current_user))
         WHERE x.id = o.record_id;
    ELSE
        -- objections are filed to active records only: back to active
        UPDATE @extschema@.record x SET status = 'active'
         WHERE x.id = o.record_id AND x.status = 'objected';
    END IF;
    UPDATE @extschema@.objection x
       SET status = outcome, resolved_by = current_user, resolved_at = now(), note = resolve_objection.note
     WHERE x.id = o.id;
END
$$;
COMMENT ON FUNCTION @extschema@.resolve_objection(bigint, text, text) IS
    'Resolve an open objection: upheld or accepted (异议成立: the record is revoked, its publicity withdrawn, annotated details.revoked), corrected (the unit corrected the record; it is active again), dismissed or rejected (异议不成立), withdrawn (active again, counted and published as before); stored as upheld, corrected, dismissed or withdrawn. Final (55000 the second time). A unit resolves for its own departments, administrators for all (42501 otherwise)';

-- Open objections past their deadline.
CREATE VIEW @extschema@.v_objection_overdue WITH (security_invoker = true) AS
    SELECT o.id AS objection_id, o.record_id, o.subject_id, o.department, o.filed_on, o.due_on,
           CURRENT_DATE - o.due_on AS days_overdue, o.reason
      FROM @extschema@.objection o
     WHERE o.status = 'open' AND o.due_on < CURRENT_DATE;
COMMENT ON VIEW @extschema@.v_objection_overdue IS
    'Open objections (异议) not decided by their due date; reads with the caller''s rights, so a unit sees its own';
COMMENT ON COLUMN @extschema@.v_objection_overdue.objection_id IS 'Objection id (credit.objection)';
COMMENT ON COLUMN @extschema@.v_objection_overdue.record_id IS 'Record under objection';
COMMENT ON COLUMN @extschema@.v_objection_overdue.subject_id IS 'Subject of the record';
COMMENT ON COLUMN @extschema@.v_objection_overdue.department IS 'Department that must decide';
COMMENT ON COLUMN @extschema@.v_objection_overdue.filed_on IS 'Day the objection was filed';
COMMENT ON COLUMN @extschema@.v_objection_overdue.due_on IS 'Last day to decide';
COMMENT ON COLUMN @extschema@.v_objection_overdue.days_overdue IS 'Calendar days since due_on';
COMMENT ON COLUMN @extschema@.v_objection_overdue.reason IS 'Why the subject objects';

-- Row-level security: a unit reads and writes the requests and objections of
-- its own departments (credit.acting_departments() as a scalar subquery:
-- once per statement).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['repair_request', 'objection'] LOOP
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE pg_catalog.format('CREATE POLICY admin_all ON @extschema@.%I TO credit_admin USING (true) WITH CHECK (true)', t);
        EXECUTE pg_catalog.format('CREATE POLICY analyst_read ON @extschema@.%I FOR SELECT TO credit_analyst USING (true)', t);
        EXECUTE pg_catalog.format('CREATE POLICY department_all ON @extschema@.%I TO credit_department
            USING (department = ANY (@extschema@.acting_departments()))
            WITH CHECK (department = ANY (@extschema@.acting_departments()))', t);
    END LOOP;
END
$$;

-- pg_dump keeps every request, objection and calendar day (the rules: 99-backup.sql).
SELECT pg_catalog.pg_extension_config_dump('@extschema@.repair_request', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.repair_request_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.objection', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.objection_id_seq', '');

-- Privileges: units work through the functions with their own rights.
GRANT SELECT ON @extschema@.repair_rule, @extschema@.calendar_day TO credit_department, credit_analyst;
GRANT SELECT, INSERT, UPDATE ON @extschema@.repair_request, @extschema@.objection TO credit_department;
GRANT SELECT ON @extschema@.repair_request, @extschema@.objection, @extschema@.v_objection_overdue
    TO credit_department, credit_analyst;
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.repair_rule, @extschema@.calendar_day TO credit_admin;
GRANT SELECT, INSERT, UPDATE ON @extschema@.repair_request, @extschema@.objection TO credit_admin;
GRANT SELECT ON @extschema@.v_objection_overdue TO credit_admin;
REVOKE ALL ON FUNCTION
    @extschema@.request_repair(bigint, text, boolean, boolean, text, jsonb),
    @extschema@.amend_repair(bigint, boolean, boolean, text, jsonb),
    @extschema@.decide_repair(bigint, boolean, text),
    @extschema@.file_objection(bigint, text, integer),
    @extschema@.resolve_objection(bigint, text, text),
    @extschema@.lock_governed_record(bigint, text),
    @extschema@.lock_case(text, bigint, text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    @extschema@.request_repair(bigint, text, boolean, boolean, text, jsonb),
    @extschema@.amend_repair(bigint, boolean, boolean, text, jsonb),
    @extschema@.decide_repair(bigint, boolean, text),
    @extschema@.file_objection(bigint, text, integer),
    @extschema@.resolve_objection(bigint, text, text),
    @extschema@.lock_governed_record(bigint, text),
    @extschema@.lock_case(text, bigint, text)
    TO credit_admin, credit_department;
-- Relations between subjects (关联关系, docs/relations.md): legal representatives,
-- principals, actual controllers, shareholders, investors, branches.  They let
-- punishment follow the person (惩戒到人): when a subject is put on a black
-- list, the subjects related to it get a related_listed warning (raised by the
-- record fold at commit, src/fold_apply.c), and credit.related walks them.

-- The kinds of relation, as data: which subjects each may link, whether it
-- carries a share, and whether a listing warns across it.
CREATE TABLE @extschema@.relation_kind (
    kind         text PRIMARY KEY CHECK (kind ~ '^[a-z_]{1,40}$'),
    name         text NOT NULL,
    from_kinds   @extschema@.subject_kind[] NOT NULL CHECK (pg_catalog.cardinality(from_kinds) > 0),
    to_kinds     @extschema@.subject_kind[] NOT NULL CHECK (pg_catalog.cardinality(to_kinds) > 0),
    shareholding boolean NOT NULL DEFAULT false,
    warns        boolean NOT NULL DEFAULT true,
    description  text
);
COMMENT ON TABLE @extschema@.relation_kind IS
    'Kinds of relation between subjects (关联关系类型): a relation (from, to, kind) reads "from is the kind of to"; which subject kinds may stand at each end, whether a share goes with it, and whether a black listing of either end warns the other (related_listed)';
COMMENT ON COLUMN @extschema@.relation_kind.from_kinds IS 'Subject kinds allowed as from_subject (e.g. a legal representative is an individual)';
COMMENT ON COLUMN @extschema@.relation_kind.to_kinds IS 'Subject kinds allowed as to_subject';
COMMENT ON COLUMN @extschema@.relation_kind.shareholding IS 'Whether relations of the kind may carry a share (持股比例, in (0, 1])';
COMMENT ON COLUMN @extschema@.relation_kind.warns IS
    'Whether a subject put on a black list warns the subjects related to it by a relation of this kind, in either direction (related_listed)';
INSERT INTO @extschema@.relation_kind (kind, name, from_kinds, to_kinds, shareholding, warns) VALUES
    ('legal_representative', 'Legal representative (法定代表人)', '{individual}',
     '{enterprise,social_org,institution,government}', false, true),
    ('principal', 'Principal person in charge (主要负责人)', '{individual}',
     '{enterprise,social_org,institution,government}', false, true),
    ('actual_controller', 'Actual controller (实际控制人)', '{individual,enterprise,government,institution,social_org}',
     '{enterprise,social_org,institution}', false, true),
    ('shareholder', 'Shareholder (股东)', '{individual,enterprise,government,institution,social_org}',
     '{enterprise}', true, true),
    ('investor', 'Investor or sponsor (出资人, 举办单位)', '{individual,enterprise,government,institution,social_org}',
     '{enterprise,social_org,institution}', true, true),
    ('branch', 'Branch (分支机构) of the head organisation', '{enterprise,social_org,institution}',
     '{enterprise,social_org,institution}', false, true),
    ('director', 'Director (董事)', '{individual}', '{enterprise,social_org,institution}', false, false),
    ('supervisor', 'Supervisor (监事)', '{individual}', '{enterprise,social_org,institution}', false, false),
    ('manager', 'Senior manager (高级管理人员)', '{individual}', '{enterprise,social_org,institution}', false, false);

-- The validity rule of a relation (one definition: credit.related, the
-- profile and the fold's related_listed warnings call it): it holds on a day
-- from valid_from to valid_to inclusive, an open end being unbounded.
-- Inlined by the planner (no SET clause, every name qualified).
CREATE FUNCTION @extschema@.relation_valid(valid_from date, valid_to date, day date) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT ($1 IS NULL OR $1 OPERATOR(pg_catalog.<=) $3) AND ($2 IS NULL OR $2 OPERATOR(pg_catalog.>=) $3)
$$;
COMMENT ON FUNCTION @extschema@.relation_valid(date, date, date) IS
    'Whether a relation valid from valid_from to valid_to (inclusive; NULL: open) holds on a day';

CREATE TABLE @extschema@.relation (
    id           bigint GENERATED BY DEFAULT AS IDENTITY,
    from_subject bigint NOT NULL REFERENCES @extschema@.subject (id) ON DELETE CASCADE,
    to_subject   bigint NOT NULL REFERENCES @extschema@.subject (id) ON DELETE CASCADE,
    kind         text NOT NULL REFERENCES @extschema@.relation_kind (kind) ON UPDATE CASCADE,
    share        numeric CONSTRAINT relation_share_range CHECK (share > 0 AND share <= 1),
    valid_from   date,
    valid_to     date,
    department   text REFERENCES @extschema@.department (code) ON UPDATE CASCADE,
    source       text,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT relation_not_self CHECK (from_subject <> to_subject),
    CONSTRAINT relation_period CHECK (valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to),
    PRIMARY KEY (from_subject, id)
);
COMMENT ON TABLE @extschema@.relation IS
    'Relations between subjects (关联关系): from_subject is the kind of to_subject (张三 is the legal representative of 江阴示例公司), valid from valid_from to valid_to inclusive; walked by credit.related, shown by credit.profile, and a black listing warns across them (related_listed)';
COMMENT ON COLUMN @extschema@.relation.share IS 'Share held (持股比例) in (0, 1], for shareholding kinds only; NULL when not known';
COMMENT ON COLUMN @extschema@.relation.valid_from IS 'First day the relation holds (NULL: since before the platform knew)';
COMMENT ON COLUMN @extschema@.relation.valid_to IS 'Last day the relation holds (NULL: still holds)';
COMMENT ON COLUMN @extschema@.relation.department IS 'Unit that reported the relation (NULL: entered by administrators); a unit writes its own relations only';
COMMENT ON COLUMN @extschema@.relation.source IS 'Where the relation comes from (register, document number, ...)';
CREATE INDEX relation_id_idx ON @extschema@.relation (id);
-- both ends are walked: each index holds what a step reads
CREATE INDEX relation_from_idx ON @extschema@.relation (from_subject) INCLUDE (to_subject, kind, valid_from, valid_to);
CREATE INDEX relation_to_idx ON @extschema@.relation (to_subject) INCLUDE (from_subject, kind, valid_from, valid_to);

-- Checks the table constraints cannot express: the kinds of the two subjects
-- (a relation given the other way round is turned), a share only where the
-- kind carries one, no overlapping duplicate.
CREATE FUNCTION @extschema@.relation_check() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rk        @extschema@.relation_kind;
    from_kind @extschema@.subject_kind;
    to_kind   @extschema@.subject_kind;
    other     bigint;
BEGIN
    -- a restore loads relations as dumped
    IF @extschema@.restoring() THEN
        RETURN NEW;
    END IF;
    SELECT * INTO rk FROM @extschema@.relation_kind k WHERE k.kind = NEW.kind;
    IF NOT FOUND OR NEW.from_subject = NEW.to_subject THEN
        RETURN NEW;                 -- the foreign key or relation_not_self reports it
    END IF;
    SELECT s.kind INTO from_kind FROM @extschema@.subject s WHERE s.id = NEW.from_subject;
    SELECT s.kind INTO to_kind FROM @extschema@.subject s WHERE s.id = NEW.to_subject;
    -- given the other way round (the company as from_subject of its legal
    -- representative): stored as "from is the kind of to"
    IF NOT (from_kind = ANY (rk.from_kinds) AND to_kind = ANY (rk.to_kinds))
       AND to_kind = ANY (rk.from_kinds) AND from_kind = ANY (rk.to_kinds) THEN
        other := NEW.from_subject;
        NEW.from_subject := NEW.to_subject;
        NEW.to_subject := other;
        SELECT to_kind, from_kind INTO from_kind, to_kind;
    END IF;
    IF from_kind IS NOT NULL AND NOT from_kind = ANY (rk.from_kinds) THEN
        RAISE EXCEPTION 'a subject of kind % cannot be the % of another subject', from_kind, NEW.kind
            USING ERRCODE = 'check_violation',
                  DETAIL = pg_catalog.format('Subject %s is of kind %s; a %s is of kind %s.',
                                             NEW.from_subject, from_kind, NEW.kind,
                                             pg_catalog.array_to_string(rk.from_kinds, ', ')),
                  HINT = 'A relation (from_subject, to_subject, kind) reads "from_subject is the kind of to_subject"; the allowed kinds are in credit.relation_kind.';
    END IF;
    IF to_kind IS NOT NULL AND NOT to_kind = ANY (rk.to_kinds) THEN
        RAISE EXCEPTION 'a subject of kind % cannot have a %', to_kind, NEW.kind
            USING ERRCODE = 'check_violation',
                  DETAIL = pg_catalog.format('Subject %s is of kind %s; a %s belongs to a subject of kind %s.',
                                             NEW.to_subject, to_kind, NEW.kind,
                                             pg_catalog.array_to_string(rk.to_kinds, ', ')),
                  HINT = 'A relation (from_subject, to_subject, kind) reads "from_subject is the kind of to_subject"; the allowed kinds are in credit.relation_kind.';
    END IF;
    IF NEW.share IS NOT NULL AND NOT rk.shareholding THEN
        RAISE EXCEPTION 'a relation of kind % carries no share', NEW.kind
            USING ERRCODE = 'check_violation',
                  HINT = 'Only shareholding kinds (credit.relation_kind.shareholding) take a share; leave it NULL.';
    END IF;
    SELECT r.id INTO other FROM @extschema@.relation r
     WHERE r.from_subject = NEW.from_subject AND r.to_subject = NEW.to_subject AND r.kind = NEW.kind
       AND r.id <> NEW.id
       AND pg_catalog.daterange(r.valid_from, r.valid_to, '[]')
           OPERATOR(pg_catalog.&&) pg_catalog.daterange(NEW.valid_from, NEW.valid_to, '[]')
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'subject % is already the % of subject % in that period', NEW.from_subject, NEW.kind, NEW.to_subject
            USING ERRCODE = 'exclusion_violation',
                  DETAIL = pg_catalog.format('Relation %s overlaps it.', other),
                  HINT = 'End the existing relation (valid_to) before the new one starts.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.relation_check() IS
    'Trigger of credit.relation: a relation given the other way round (only the reversed ends suit the kind) is stored as "from is the kind of to"; the subject kinds at both ends suit the relation kind (23514), a share only for shareholding kinds (23514), no two relations of the same subjects and kind overlap in time (23P01); skipped while restoring a dump';
CREATE TRIGGER relation_check BEFORE INSERT OR UPDATE ON @extschema@.relation
    FOR EACH ROW EXECUTE FUNCTION @extschema@.relation_check();

-- Subjects linked to one subject, breadth first (C: src/relation.c).
CREATE FUNCTION @extschema@.related(subject_id bigint, max_depth integer DEFAULT 2, as_of date DEFAULT CURRENT_DATE)
    RETURNS TABLE (subject_id bigint, depth integer, path bigint[], kinds text[])
    AS 'MODULE_PATHNAME', 'credit_related'
    LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 20;
COMMENT ON FUNCTION @extschema@.related(bigint, integer, date) IS
    'Subjects linked to a subject by relations valid on as_of (default today), in both directions, breadth first up to max_depth steps (0 to 10): each subject once, at its smallest depth; path is the chain of subject ids from the subject to it, kinds the relation of each step ("->kind": the step''s start is the kind of its end; "<-kind": the end is the kind of the start). Reads with the caller''s rights';

-- Row-level security: every platform unit reads relations (they decide who a
-- punishment follows); a unit writes the relations it reports
-- (credit.acting_departments() as a scalar subquery: once per statement).
ALTER TABLE @extschema@.relation ENABLE ROW LEVEL SECURITY;
CREATE POLICY admin_all ON @extschema@.relation TO credit_admin USING (true) WITH CHECK (true);
CREATE POLICY analyst_read ON @extschema@.relation FOR SELECT TO credit_analyst USING (true);
CREATE POLICY department_read ON @extschema@.relation FOR SELECT TO credit_department USING (true);
CREATE POLICY department_insert ON @extschema@.relation FOR INSERT TO credit_department
    WITH CHECK (department = ANY (@extschema@.acting_departments()));
CREATE POLICY department_update ON @extschema@.relation FOR UPDATE TO credit_department
    USING (department = ANY (@extschema@.acting_departments()))
    WITH CHECK (department = ANY (@extschema@.acting_departments()));
CREATE POLICY department_delete ON @extschema@.relation FOR DELETE TO credit_department
    USING (department = ANY (@extschema@.acting_departments()));

-- pg_dump keeps every relation (relation kinds added or changed: registered by 99-backup.sql).
SELECT pg_catalog.pg_extension_config_dump('@extschema@.relation', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.relation_id_seq', '');

-- Privileges: relations are for the platform's roles, not the public.
GRANT SELECT ON @extschema@.relation_kind TO credit_department, credit_analyst;
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.relation_kind, @extschema@.relation TO credit_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.relation TO credit_department;
GRANT SELECT ON @extschema@.relation TO credit_analyst;
REVOKE ALL ON FUNCTION @extschema@.related(bigint, integer, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.related(bigint, integer, date)
    TO credit_admin, credit_department, credit_analyst;
-- The credit profile (信用画像, docs/relations.md): everything the platform knows of
-- one subject, in one JSON document, read with the caller's rights.

-- The portrait.
CREATE FUNCTION @extschema@.profile(subject_id bigint) RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p_subject   ALIAS FOR $1;
    s           record;
    person      text;
    grades      jsonb;
    counts      jsonb;
    latest      jsonb;
    lists       jsonb;
    warnings    jsonb;
    relations   jsonb;
    measures    jsonb;
    total       bigint;
    active      bigint;
    published   bigint;
    result      jsonb;
BEGIN
    SELECT x.id, x.kind, x.name, x.uscc, x.division, x.industries, x.legal_rep, x.registered_on, x.status INTO s
      FROM @extschema@.subject x WHERE x.id = p_subject;
    IF NOT FOUND THEN
        PERFORM @extschema@.subject_missing(p_subject);
    END IF;
    -- the whole ID number for roles that may read it, masked for the others
    IF s.kind = 'individual' THEN
        IF has_column_privilege('@extschema@.subject', 'person_id', 'SELECT') THEN
            SELECT x.person_id::text INTO person FROM @extschema@.subject x WHERE x.id = s.id;
        ELSE
            SELECT m.person_id INTO person FROM @extschema@.subject_masked m WHERE m.id = s.id;
        END IF;
    END IF;

    -- current grades, with the dimension totals of the records the caller
    -- may read (as of the grade's date): a unit does not see what other
    -- units' hidden records contribute
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'model', g.model, 'model_name', md.name, 'score', round(g.score, 2), 'grade', g.grade,
               'as_of', g.anchor,
               'dimensions', (SELECT coalesce(jsonb_object_agg(d.key, round(d.value::numeric, 2)), '{}')
                                FROM @extschema@.evalstate_result(g.model,
                                         (SELECT @extschema@.evaluate_agg(g.model, g.anchor, rc.item_code,
                                                                          rc.decided_on, rc.value, rc.status)
                                            FROM @extschema@.record rc WHERE rc.subject_id = s.id),
                                         g.anchor) r,
                                     jsonb_each_text(r.dimensions) d))
             ORDER BY g.model COLLATE "C"), '[]')
      INTO grades
      FROM @extschema@.subject_grade g JOIN @extschema@.model md ON md.code = g.model
     WHERE g.subject_id = s.id;

    -- records (those the caller may read: row-level security applies)
    SELECT count(*), count(*) FILTER (WHERE r.status = 'active'),
           count(*) FILTER (WHERE @extschema@.is_published(r.status, r.publicity_until))
      INTO total, active, published
      FROM @extschema@.record r WHERE r.subject_id = s.id;
    SELECT coalesce(jsonb_agg(jsonb_build_object('category', x.category, 'polarity', x.polarity,
                                                 'records', x.n, 'active', x.a)
                              ORDER BY x.category COLLATE "C", x.polarity COLLATE "C"), '[]')
      INTO counts
      FROM (SELECT c.category, c.polarity, count(*) AS n, count(*) FILTER (WHERE r.status = 'active') AS a
              FROM @extschema@.record r JOIN @extschema@.catalog_item c ON c.code = r.item_code
             WHERE r.subject_id = s.id
             GROUP BY c.category, c.polarity) x;
    SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'id', x.id, 'item_code', x.item_code, 'item', x.item_name, 'category', x.category,
               'polarity', x.polarity, 'severity', x.severity, 'department', x.department,
               'document_no', x.document_no, 'decided_on', x.decided_on, 'status', x.status,
               'published', x.published))
             ORDER BY x.decided_on DESC, x.id DESC), '[]')
      INTO latest
      FROM (SELECT r.id, r.item_code, c.name AS item_name, c.category, c.polarity, c.severity, r.department,
                   r.document_no, r.decided_on, r.status,
                   @extschema@.is_published(r.status, r.publicity_until) AS published
              FROM @extschema@.record r JOIN @extschema@.catalog_item c ON c.code = r.item_code
             WHERE r.subject_id = s.id
             ORDER BY r.decided_on DESC, r.id DESC
             LIMIT 10) x;

    -- lists the subject is on today
    SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'list', e.list_code, 'name', l.name, 'kind', l.kind, 'listed_on', e.listed_on,
               'expires_on', e.expires_on, 'reason', e.reason, 'document_no', e.document_no))
             ORDER BY e.list_code COLLATE "C", e.listed_on), '[]')
      INTO lists
      FROM @extschema@.list_entry e JOIN @extschema@.list l ON l.code = e.list_code
     WHERE e.subject_id = s.id AND @extschema@.list_entry_active(e.listed_on, e.expires_on, e.removed_on);

    -- open warnings, for the roles that read warnings
    IF has_table_privilege('@extschema@.warning', 'SELECT') THEN
        SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'id', w.id, 'kind', w.kind, 'level', w.level, 'raised_at', w.raised_at,
                   'topic', w.topic, 'details', w.details)
                 ORDER BY w.raised_at, w.id), '[]')
          INTO warnings
          FROM @extschema@.warning w
         WHERE w.subject_id = s.id AND w.resolved_at IS NULL;
    END IF;

    -- relations valid today (depth 1): "->kind" the subject is the kind of the other,
    -- "<-kind" the other is the kind of the subject; the lists the other is on today
    SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'subject_id', o.id, 'name', o.name, 'subject_kind', o.kind, 'relation', x.step,
               'share', x.share, 'valid_from', x.valid_from, 'valid_to', x.valid_to,
               'lists', (SELECT to_jsonb(array_agg(DISTINCT e.list_code COLLATE "C" ORDER BY e.list_code COLLATE "C"))
                           FROM @extschema@.list_entry e
                          WHERE e.subject_id = o.id AND @extschema@.list_entry_active(e.listed_on, e.expires_on, e.removed_on))))
             ORDER BY x.step COLLATE "C", o.id), '[]')
      INTO relations
      FROM (SELECT r.to_subject AS other, '->' || r.kind AS step, r.share, r.valid_from, r.valid_to
              FROM @extschema@.relation r WHERE r.from_subject = s.id
               AND @extschema@.relation_valid(r.valid_from, r.valid_to, CURRENT_DATE)
            UNION ALL
            SELECT r.from_subject, '<-' || r.kind, r.share, r.valid_from, r.valid_to
              FROM @extschema@.relation r WHERE r.to_subject = s.id
               AND @extschema@.relation_valid(r.valid_from, r.valid_to, CURRENT_DATE)) x
      JOIN @extschema@.subject o ON o.id = x.other;

    -- joint rewards and punishments that apply, in every scenario
    SELECT coalesce(jsonb_agg(jsonb_build_object('measure', f.measure_code, 'name', f.name,
                                                 'kind', f.kind, 'reason', f.reason)
                              ORDER BY f.kind COLLATE "C", f.measure_code COLLATE "C"), '[]')
      INTO measures
      FROM @extschema@.measures_for(s.id) f;

    result := jsonb_build_object(
        'subject', jsonb_strip_nulls(jsonb_build_object(
            'id', s.id, 'kind', s.kind, 'name', s.name, 'uscc', s.uscc, 'person_id', person,
            'division', s.division, 'industries', to_jsonb(s.industries), 'legal_rep', s.legal_rep,
            'registered_on', s.registered_on, 'status', s.status)),
        'as_of', CURRENT_DATE,
        'grades', grades,
        'records', jsonb_build_object('total', total, 'active', active, 'published', published,
                                      'by_category', counts, 'latest', latest),
        'lists', lists,
        'warnings', warnings,
        'relations', relations,
        'measures', measures);
    IF warnings IS NULL THEN
        result := result - 'warnings';
    END IF;

    -- a profile of a person is a look-up of a person
    IF s.kind = 'individual' THEN
        PERFORM @extschema@.log_lookup(s.id, 'credit profile', jsonb_build_object('lookup', 'profile'));
    END IF;
    RETURN result;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.profile(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.profile(bigint) TO credit_admin, credit_department, credit_analyst;
COMMENT ON FUNCTION @extschema@.profile(bigint) IS
    'Credit profile (信用画像) of a subject as JSON: basics (personal ID number whole for roles that may read it, masked otherwise), current grades with the dimension totals of the records the caller may read, record counts by category and polarity and the 10 latest records, active lists, open warnings (for roles that read warnings), relations valid today (with the lists the related subjects are on) and the measures that apply. Reads with the caller''s rights (a unit counts the records it may see); every profile of an individual is logged in credit.query_log';
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
-- Intake (归集, docs/intake.md): the tolerant front door of units' feeds.
--
-- credit.intake is a view over credit.intake_row.  PostgreSQL refuses COPY
-- FROM into a table whose row-level security applies to the caller, so the
-- rows a unit may read are chosen by the view, and what it may write by the
-- processing below: the view's INSTEAD OF trigger (C: src/intake.c) only
-- buffers the statement's rows; its AFTER STATEMENT trigger takes them all at
-- once and processes them set-wise, as the owner, in the same statement.

-- Decisions (决定): a unit's decision is identified by its unit, catalogue
-- item and document number (决定文书号); a decision sent again replaces the
-- earlier version and is never a second record.  Kept for every record with a
-- document number by the record triggers below (a unique index on
-- credit.record could not do it on the partitioned layout, whose keys must
-- carry subject_id).
CREATE TABLE @extschema@.decision (
    department  text NOT NULL,
    item_code   text NOT NULL,
    document_no text NOT NULL,
    party       bigint NOT NULL,
    subject_id  bigint,
    record_id   bigint,
    PRIMARY KEY (department, item_code, document_no, party)
);
COMMENT ON TABLE @extschema@.decision IS
    'Decisions (决定) by their key: unit, catalogue item, document number (决定文书号, trimmed) and party (credit.decision_party: 0 for licences and penalties, whose document names one party, else the subject), with the one record each stands for; maintained by the triggers of credit.record, so a decision is never recorded twice (SQLSTATE 23505 names it); the intake claims the keys of the records it is about to make, with their numbers';
CREATE INDEX decision_record_idx ON @extschema@.decision (record_id);
GRANT SELECT ON @extschema@.decision TO credit_admin;

-- Which records are decisions keyed by their document number, and the party
-- of the key: licences and penalties (双公示) name one party per document, so
-- a re-sent one may correct the subject (party 0); other items' documents
-- (an honour list, a court's judgment) may name many subjects, one decision
-- each (party = the subject).  Industry grades (the platform's own, one per
-- evaluation) and listings (keyed by their list entries) are no decisions.
CREATE FUNCTION @extschema@.decision_party_of(category text, subject_id bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN category IN ('license', 'penalty') THEN 0::pg_catalog.int8
                WHEN category IN ('industry_grade', 'list') THEN NULL::pg_catalog.int8
                ELSE subject_id END
$$;
COMMENT ON FUNCTION @extschema@.decision_party_of(text, bigint) IS
    'Party of the decision key (credit.decision) of a record of an item of this category (credit.catalog_item.category) and this subject: 0 for licences and penalties (one party per document), the subject for other items, NULL for industry grades and listings (no decision key); the rule itself, an expression inlined into the queries that join the catalogue';
CREATE FUNCTION @extschema@.decision_party(item_code text, subject_id bigint) RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT @extschema@.decision_party_of(c.category, decision_party.subject_id)
      FROM @extschema@.catalog_item c WHERE c.code OPERATOR(pg_catalog.=) decision_party.item_code
$$;
COMMENT ON FUNCTION @extschema@.decision_party(text, bigint) IS
    'Party of the decision key (credit.decision) of a record of this item and subject (credit.decision_party_of of the item''s category): 0 for licences and penalties (one party per document), the subject for other items, NULL for industry grades and listings (no decision key)';

-- The records the intake of this subtransaction is about to insert, their
-- keys claimed already (C: src/intake_records.c): the record trigger below
-- claims nothing again for a statement of exactly such records.
CREATE FUNCTION @extschema@.intake_claims_pending() RETURNS boolean
    AS 'MODULE_PATHNAME', 'credit_intake_claims_pending'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION @extschema@.intake_claims_pending() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.intake_claims_pending() IS
    'Whether the intake of the current subtransaction numbered records it is about to insert, having claimed their decision keys (credit.intake_claimed). Internal to credit.record_decisions';
CREATE FUNCTION @extschema@.intake_claimed(ids bigint[], units text[], items text[], documents text[], subjects bigint[])
RETURNS boolean
    AS 'MODULE_PATHNAME', 'credit_intake_claimed'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION @extschema@.intake_claimed(bigint[], text[], text[], text[], bigint[]) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.intake_claimed(bigint[], text[], text[], text[], bigint[]) IS
    'True when every record given (number, unit, item, trimmed document number, subject) is one the intake of the current subtransaction numbered with exactly these values, its decision key claimed in credit.decision under that number; each such record is then answered for once. False otherwise (nothing used). Internal to credit.record_decisions';

-- Keep credit.decision in step with the records of a statement: new keys are
-- claimed (a key another record holds is refused, naming it), keys of changed
-- or deleted records are released.
CREATE FUNCTION @extschema@.record_decisions() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    dup     record;
    held    record;
    twice   boolean := false;
    taken   boolean := false;
    wanted  bigint;
    ids     bigint[];
    units   text[];
    items   text[];
    docs    text[];
    sids    bigint[];
    parties bigint[];
    claimed bigint;
    held_any boolean := false;
BEGIN
    IF @extschema@.restoring() THEN
        RETURN NULL;      -- a dump holds the decisions too
    END IF;
    -- The keys of changed and deleted rows: the rows read from the transition
    -- tables alone into arrays, the queries of credit.decision filtered on
    -- the statement's subjects (as on a shard of Citus, below).
    -- (one statement per event: a transition table exists only for its events)
    IF TG_OP OPERATOR(pg_catalog.<>) 'INSERT' THEN
        -- the keys of deleted rows and of changed rows whose key changed, released
        IF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
            SELECT pg_catalog.array_agg(o.id), pg_catalog.array_agg(o.department), pg_catalog.array_agg(o.item_code),
                   pg_catalog.array_agg(btrim(o.document_no)), pg_catalog.array_agg(o.subject_id)
              INTO ids, units, items, docs, sids
              FROM old_rows o;
        ELSE
            SELECT pg_catalog.array_agg(o.id), pg_catalog.array_agg(o.department), pg_catalog.array_agg(o.item_code),
                   pg_catalog.array_agg(btrim(o.document_no)), pg_catalog.array_agg(o.subject_id)
              INTO ids, units, items, docs, sids
              FROM old_rows o
             WHERE NOT EXISTS (SELECT FROM new_rows n
                                WHERE n.id OPERATOR(pg_catalog.=) o.id
                                  AND n.department OPERATOR(pg_catalog.=) o.department
                                  AND n.item_code OPERATOR(pg_catalog.=) o.item_code
                                  AND btrim(n.document_no) OPERATOR(pg_catalog.=) btrim(o.document_no)
                                  AND n.subject_id OPERATOR(pg_catalog.=) o.subject_id);
        END IF;
        IF ids IS NOT NULL THEN
            DELETE FROM @extschema@.decision d
             WHERE d.subject_id OPERATOR(pg_catalog.=) ANY (sids)
               AND (d.department, d.item_code, d.document_no, d.record_id) IN
                   (SELECT o.department, o.item_code, o.document_no, o.id
                      FROM ROWS FROM (pg_catalog.unnest(ids), pg_catalog.unnest(units), pg_catalog.unnest(items),
                                      pg_catalog.unnest(docs)) AS o (id, department, item_code, document_no));
        END IF;
        IF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
            RETURN NULL;
        END IF;
        -- rows whose key did not change claim nothing new
        SELECT count(*) INTO wanted
          FROM new_rows n JOIN old_rows o ON o.id OPERATOR(pg_catalog.=) n.id
         WHERE (n.department, n.item_code, btrim(n.document_no), n.subject_id)
               IS DISTINCT FROM (o.department, o.item_code, btrim(o.document_no), o.subject_id);
        IF wanted OPERATOR(pg_catalog.=) 0 THEN
            RETURN NULL;
        END IF;
    END IF;

    IF TG_TABLE_NAME OPERATOR(pg_catalog.=) 'record' THEN
        -- records the intake of this subtransaction numbered, their keys claimed
        -- already under these numbers (credit.intake_claimed): nothing to claim
        -- (the first test a simple expression: no query for other statements)
        IF TG_OP OPERATOR(pg_catalog.=) 'INSERT' AND @extschema@.intake_claims_pending() THEN
            IF (SELECT @extschema@.intake_claimed(pg_catalog.array_agg(n.id), pg_catalog.array_agg(n.department),
                                                  pg_catalog.array_agg(n.item_code),
                                                  pg_catalog.array_agg(btrim(n.document_no)),
                                                  pg_catalog.array_agg(n.subject_id))
                  FROM new_rows n) THEN
                RETURN NULL;
            END IF;
        END IF;
        -- The keys of the statement's records (those with a document number whose item is
        -- keyed) are claimed in key order, so concurrent claimers never wait for each other in
        -- a cycle, reading the transition table once, nothing materialized.  First by a plain
        -- INSERT, whose unique check is part of each insertion: it claims them all unless a
        -- key is held already (by the record itself, as the intake claims the keys of the
        -- records it is about to make, or by another record) or given twice.  Then by an
        -- INSERT ... ON CONFLICT that counts what it claimed; a key given twice makes it fail
        -- (it cannot affect a row twice), and only then are the keys grouped, to name it.
        BEGIN
            INSERT INTO @extschema@.decision (department, item_code, document_no, party, subject_id, record_id)
            SELECT n.department, n.item_code, btrim(n.document_no),
                   @extschema@.decision_party_of(c.category, n.subject_id), n.subject_id, n.id
              FROM new_rows n JOIN @extschema@.catalog_item c ON c.code OPERATOR(pg_catalog.=) n.item_code
             WHERE btrim(n.document_no) OPERATOR(pg_catalog.<>) ''
               AND @extschema@.decision_party_of(c.category, n.subject_id) IS NOT NULL
             ORDER BY 1, 2, 3, 4;
        EXCEPTION WHEN unique_violation THEN
            held_any := true;
            BEGIN
                WITH ins AS (
                    INSERT INTO @extschema@.decision AS d (department, item_code, document_no, party, subject_id, record_id)
                    SELECT n.department, n.item_code, btrim(n.document_no),
                           @extschema@.decision_party_of(c.category, n.subject_id), n.subject_id, n.id
                      FROM new_rows n JOIN @extschema@.catalog_item c ON c.code OPERATOR(pg_catalog.=) n.item_code
                     WHERE btrim(n.document_no) OPERATOR(pg_catalog.<>) ''
                       AND @extschema@.decision_party_of(c.category, n.subject_id) IS NOT NULL
                     ORDER BY 1, 2, 3, 4
                        ON CONFLICT (department, item_code, document_no, party) DO UPDATE
                       SET subject_id = excluded.subject_id, record_id = excluded.record_id
                     WHERE d.record_id IS NULL
                        OR (d.record_id OPERATOR(pg_catalog.=) excluded.record_id
                            AND d.subject_id IS DISTINCT FROM excluded.subject_id)
                    RETURNING 1)
                SELECT (SELECT pg_catalog.count(*) FROM ins),
                       (SELECT pg_catalog.count(*)
                          FROM new_rows n JOIN @extschema@.catalog_item c ON c.code OPERATOR(pg_catalog.=) n.item_code
                         WHERE btrim(n.document_no) OPERATOR(pg_catalog.<>) ''
                           AND @extschema@.decision_party_of(c.category, n.subject_id) IS NOT NULL)
                  INTO claimed, wanted;
            EXCEPTION WHEN cardinality_violation THEN
                SELECT n.department, n.item_code, btrim(n.document_no) AS document_no, pg_catalog.count(*) AS n
                  INTO dup
                  FROM new_rows n JOIN @extschema@.catalog_item c ON c.code OPERATOR(pg_catalog.=) n.item_code
                 WHERE btrim(n.document_no) OPERATOR(pg_catalog.<>) ''
                   AND @extschema@.decision_party_of(c.category, n.subject_id) IS NOT NULL
                 GROUP BY 1, 2, 3, @extschema@.decision_party_of(c.category, n.subject_id)
                HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1
                 ORDER BY 4 DESC LIMIT 1;
                IF NOT FOUND THEN
                    RAISE;
                END IF;
                twice := true;
            END;
        END;
        -- A key not claimed is the record's when the record held it already (the intake
        -- claims the keys of the records it is about to make); else another record holds it.
        IF held_any AND NOT twice AND claimed OPERATOR(pg_catalog.<) wanted THEN
            SELECT n.department, n.item_code, btrim(n.document_no) AS document_no, n.id, d.record_id INTO held
              FROM new_rows n
              JOIN @extschema@.catalog_item c ON c.code OPERATOR(pg_catalog.=) n.item_code
              JOIN @extschema@.decision d ON d.department OPERATOR(pg_catalog.=) n.department
                                         AND d.item_code OPERATOR(pg_catalog.=) n.item_code
                                         AND d.document_no OPERATOR(pg_catalog.=) btrim(n.document_no)
                                         AND d.party OPERATOR(pg_catalog.=) @extschema@.decision_party_of(c.category, n.subject_id)
             WHERE btrim(n.document_no) OPERATOR(pg_catalog.<>) ''
               AND d.record_id IS DISTINCT FROM n.id
             ORDER BY n.id LIMIT 1;
            taken := FOUND;
        END IF;
    ELSE
        -- On a shard of Citus (credit.record_102040, on a worker) a query
        -- cannot join a transition table with the platform's tables: the
        -- statement's rows are read alone into arrays, and every query of
        -- credit.decision filters on the statement's subjects, which routes
        -- it to their shard (the key carries the subject there).
        SELECT pg_catalog.array_agg(n.id), pg_catalog.array_agg(n.department), pg_catalog.array_agg(n.item_code),
               pg_catalog.array_agg(btrim(n.document_no)), pg_catalog.array_agg(n.subject_id)
          INTO ids, units, items, docs, sids
          FROM new_rows n
         WHERE btrim(n.document_no) OPERATOR(pg_catalog.<>) '';
        -- those whose item is keyed, with the party of their key
        SELECT pg_catalog.array_agg(n.id), pg_catalog.array_agg(n.department), pg_catalog.array_agg(n.item_code),
               pg_catalog.array_agg(n.document_no), pg_catalog.array_agg(n.subject_id),
               pg_catalog.array_agg(@extschema@.decision_party_of(c.category, n.subject_id))
          INTO ids, units, items, docs, sids, parties
          FROM ROWS FROM (pg_catalog.unnest(ids), pg_catalog.unnest(units), pg_catalog.unnest(items),
                          pg_catalog.unnest(docs), pg_catalog.unnest(sids)) AS n (id, department, item_code, document_no, subject_id)
          JOIN @extschema@.catalog_item c ON c.code OPERATOR(pg_catalog.=) n.item_code
         WHERE @extschema@.decision_party_of(c.category, n.subject_id) IS NOT NULL;
        IF ids IS NULL THEN
            RETURN NULL;
        END IF;
        SELECT k.department, k.item_code, k.document_no, pg_catalog.count(*) AS n INTO dup
          FROM ROWS FROM (pg_catalog.unnest(units), pg_catalog.unnest(items), pg_catalog.unnest(docs),
                          pg_catalog.unnest(parties)) AS k (department, item_code, document_no, party)
         GROUP BY 1, 2, 3, k.party
        HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1
         ORDER BY 4 DESC LIMIT 1;
        twice := FOUND;
        IF NOT twice THEN
            INSERT INTO @extschema@.decision AS d (department, item_code, document_no, party, subject_id, record_id)
            SELECT k.department, k.item_code, k.document_no, k.party, k.subject_id, k.id
              FROM ROWS FROM (pg_catalog.unnest(ids), pg_catalog.unnest(units), pg_catalog.unnest(items),
                              pg_catalog.unnest(docs), pg_catalog.unnest(parties), pg_catalog.unnest(sids))
                   AS k (id, department, item_code, document_no, party, subject_id)
             ORDER BY 1, 2, 3, 4
                ON CONFLICT ON CONSTRAINT decision_pkey DO UPDATE
               SET subject_id = excluded.subject_id, record_id = excluded.record_id
             WHERE d.record_id IS NULL
                OR (d.record_id OPERATOR(pg_catalog.=) excluded.record_id
                    AND d.subject_id IS DISTINCT FROM excluded.subject_id);
            SELECT k.department, k.item_code, k.document_no, k.id,
                   (SELECT d.record_id FROM @extschema@.decision d
                     WHERE d.subject_id OPERATOR(pg_catalog.=) ANY (sids)
                       AND d.department OPERATOR(pg_catalog.=) k.department
                       AND d.item_code OPERATOR(pg_catalog.=) k.item_code
                       AND d.document_no OPERATOR(pg_catalog.=) k.document_no
                       AND d.party OPERATOR(pg_catalog.=) k.party) AS record_id
              INTO held
              FROM ROWS FROM (pg_catalog.unnest(ids), pg_catalog.unnest(units), pg_catalog.unnest(items),
                              pg_catalog.unnest(docs), pg_catalog.unnest(parties)) AS k (id, department, item_code, document_no, party)
             WHERE NOT EXISTS (SELECT FROM @extschema@.decision d
                                WHERE d.subject_id OPERATOR(pg_catalog.=) ANY (sids)
                                  AND d.department OPERATOR(pg_catalog.=) k.department
                                  AND d.item_code OPERATOR(pg_catalog.=) k.item_code
                                  AND d.document_no OPERATOR(pg_catalog.=) k.document_no
                                  AND d.party OPERATOR(pg_catalog.=) k.party
                                  AND d.record_id OPERATOR(pg_catalog.=) k.id)
             ORDER BY k.id LIMIT 1;
            taken := FOUND;
        END IF;
    END IF;
    IF twice THEN
        RAISE EXCEPTION 'decision of unit %, item %, document number "%" is given % times in one statement',
                        dup.department, dup.item_code, dup.document_no, dup.n
            USING ERRCODE = 'unique_violation',
                  HINT = 'A decision is one record: send it once, or send it through credit.intake, which updates the record.';
    END IF;
    IF taken THEN
        RAISE EXCEPTION 'duplicate decision: unit %, item %, document number "%" is record % already (new record %)',
                        held.department, held.item_code, held.document_no, held.record_id, held.id
            USING ERRCODE = 'unique_violation',
                  HINT = 'Update that record, or send the decision through credit.intake, which updates it in place.';
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.record_decisions() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.record_decisions() IS
    'Statement trigger of credit.record: claims the decision key (unit, item, trimmed document number) of every new or changed record in credit.decision, refusing one that another record holds (SQLSTATE 23505 naming the decision and both records), and releases the keys of changed and deleted records; skipped while restoring a dump';
CREATE TRIGGER record_decisions_insert AFTER INSERT ON @extschema@.record
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.record_decisions();
CREATE TRIGGER record_decisions_update AFTER UPDATE ON @extschema@.record
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.record_decisions();
CREATE TRIGGER record_decisions_delete AFTER DELETE ON @extschema@.record
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.record_decisions();

-- The fields of a feed: the national exchange layout of double publicity
-- (双公示, v2 names and the old v1 ones) mapped to the intake's columns and
-- details keys, and which fields completeness counts and a row cannot lack.
CREATE TABLE @extschema@.intake_field (
    layout    text NOT NULL CHECK (layout IN ('intake', 'penalty', 'license')),
    code      text NOT NULL,
    field     text NOT NULL,
    label     text NOT NULL,
    version   smallint NOT NULL DEFAULT 2 CHECK (version IN (1, 2)),
    kind      text NOT NULL DEFAULT 'text' CHECK (kind IN ('text', 'date', 'number')),
    mandatory boolean NOT NULL DEFAULT false,
    rejects   boolean NOT NULL DEFAULT false,
    position  integer NOT NULL,
    PRIMARY KEY (layout, code),
    CHECK (NOT rejects OR mandatory)
);
COMMENT ON TABLE @extschema@.intake_field IS
    'Fields of a feed (归集字段): for layout intake the fields every row needs; for penalty and license the columns of the national double-publicity exchange layout (行政处罚 CF_*, 行政许可 XK_*, v2 and old v1 names, lower case) and the intake column or details key each fills; mandatory fields (必填) are what completeness counts for items of that category, rejects ones a row cannot lack';
COMMENT ON COLUMN @extschema@.intake_field.code IS 'Column of the layout (credit.intake_penalty / credit.intake_license), e.g. cf_wsh';
COMMENT ON COLUMN @extschema@.intake_field.field IS 'What it fills: an intake column (subject_code, subject_name, subject_kind, document_no, decided_on, amount) or a key of details';
COMMENT ON COLUMN @extschema@.intake_field.kind IS 'Format a details value must have: text, date (YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD) or number';
COMMENT ON COLUMN @extschema@.intake_field.mandatory IS 'Counted by completeness (完整率) for rows of this category';
COMMENT ON COLUMN @extschema@.intake_field.rejects IS 'A row without it is rejected (missing_field)';
COMMENT ON COLUMN @extschema@.intake_field.position IS 'Column position in the layout''s view; several codes filling one intake column are read in this order';

INSERT INTO @extschema@.intake_field (layout, code, field, label, version, kind, mandatory, rejects, position) VALUES
    ('intake', 'subject_code', 'subject_code', 'code of the subject (USCC, organisation code or ID number)', 2, 'text', true, true, 1),
    ('intake', 'item_code', 'item_code', 'catalogue item', 2, 'text', true, true, 2),
    ('intake', 'decided_on', 'decided_on', 'decision date', 2, 'text', true, true, 3),
    -- 行政处罚 (penalty), v2
    ('penalty', 'cf_xdr_mc', 'subject_name', '行政相对人名称', 2, 'text', true, false, 1),
    ('penalty', 'cf_xdr_lb', 'subject_kind', '行政相对人类别', 2, 'text', true, false, 2),
    ('penalty', 'cf_xdr_shxym', 'subject_code', '统一社会信用代码', 2, 'text', false, false, 3),
    ('penalty', 'cf_xdr_gszc', 'registration_no', '工商注册号', 2, 'text', false, false, 4),
    ('penalty', 'cf_xdr_zzjg', 'org_code', '组织机构代码', 2, 'text', false, false, 5),
    ('penalty', 'cf_xdr_swdj', 'tax_no', '税务登记号', 2, 'text', false, false, 6),
    ('penalty', 'cf_xdr_sydw', 'institution_cert_no', '事业单位证书号', 2, 'text', false, false, 7),
    ('penalty', 'cf_xdr_shzz', 'social_org_cert_no', '社会组织登记证号', 2, 'text', false, false, 8),
    ('penalty', 'cf_frdb', 'legal_rep', '法定代表人', 2, 'text', false, false, 9),
    ('penalty', 'cf_fr_zjlx', 'legal_rep_id_type', '法定代表人证件类型', 2, 'text', false, false, 10),
    ('penalty', 'cf_fr_zjhm', 'legal_rep_id_no', '法定代表人证件号码', 2, 'text', false, false, 11),
    ('penalty', 'cf_xdr_zjlx', 'party_id_type', '证件类型', 2, 'text', false, false, 12),
    ('penalty', 'cf_xdr_zjhm', 'subject_code', '证件号码', 2, 'text', false, false, 13),
    ('penalty', 'cf_wsh', 'document_no', '决定书文号', 2, 'text', true, true, 14),
    ('penalty', 'cf_wfxw', 'violation_type', '违法行为类型', 2, 'text', true, false, 15),
    ('penalty', 'cf_sy', 'facts', '违法事实', 2, 'text', true, false, 16),
    ('penalty', 'cf_yj', 'legal_basis', '处罚依据', 2, 'text', true, false, 17),
    ('penalty', 'cf_cflb', 'penalty_category', '处罚类别', 2, 'text', true, false, 18),
    ('penalty', 'cf_nr', 'content', '处罚内容', 2, 'text', true, false, 19),
    ('penalty', 'cf_nr_fk', 'amount', '罚款金额（万元）', 2, 'number', false, false, 20),
    ('penalty', 'cf_nr_wfff', 'confiscated', '没收违法所得、没收非法财物的金额（万元）', 2, 'number', false, false, 21),
    ('penalty', 'cf_nr_zkdx', 'license_revoked', '暂扣或吊销证照名称及编号', 2, 'text', false, false, 22),
    ('penalty', 'cf_jdrq', 'decided_on', '处罚决定日期', 2, 'date', true, false, 23),
    ('penalty', 'cf_yxq', 'valid_until', '处罚有效期', 2, 'date', true, false, 24),
    ('penalty', 'cf_gsjzq', 'publicity_end', '公示截止期', 2, 'date', false, false, 25),
    ('penalty', 'cf_cfjg', 'authority', '处罚机关', 2, 'text', true, false, 26),
    ('penalty', 'cf_cfjgdm', 'authority_uscc', '处罚机关统一社会信用代码', 2, 'text', true, false, 27),
    ('penalty', 'cf_sjly', 'source_unit', '数据来源单位', 2, 'text', true, false, 28),
    ('penalty', 'cf_sjlydm', 'source_unit_uscc', '数据来源单位统一社会信用代码', 2, 'text', true, false, 29),
    ('penalty', 'bz', 'remarks', '备注', 2, 'text', false, false, 30),
    -- 行政处罚, old v1 names
    ('penalty', 'cf_cfmc', 'document_name', '处罚名称 (v1)', 1, 'text', false, false, 31),
    ('penalty', 'cf_cflb1', 'penalty_category', '处罚类别1 (v1)', 1, 'text', false, false, 32),
    ('penalty', 'cf_cflb2', 'penalty_category_2', '处罚类别2 (v1)', 1, 'text', false, false, 33),
    ('penalty', 'cf_xdr_zdm', 'subject_code', '组织机构代码 (v1)', 1, 'text', false, false, 34),
    ('penalty', 'cf_xdr_gsdj', 'registration_no', '工商登记码 (v1)', 1, 'text', false, false, 35),
    ('penalty', 'cf_xdr_sfz', 'subject_code', '居民身份证号 (v1)', 1, 'text', false, false, 36),
    ('penalty', 'cf_fr', 'legal_rep', '法定代表人 (v1)', 1, 'text', false, false, 37),
    ('penalty', 'cf_xzjg', 'authority', '处罚机关 (v1)', 1, 'text', false, false, 38),
    ('penalty', 'cf_zt', 'current_status', '当前状态 (v1)', 1, 'text', false, false, 39),
    ('penalty', 'dfbm', 'local_code', '地方编码 (v1)', 1, 'text', false, false, 40),
    ('penalty', 'sjc', 'timestamp', '时间戳 (v1)', 1, 'text', false, false, 41),
    -- 行政许可 (licence), v2
    ('license', 'xk_xdr_mc', 'subject_name', '行政相对人名称', 2, 'text', true, false, 1),
    ('license', 'xk_xdr_lb', 'subject_kind', '行政相对人类别', 2, 'text', true, false, 2),
    ('license', 'xk_xdr_shxym', 'subject_code', '统一社会信用代码', 2, 'text', false, false, 3),
    ('license', 'xk_xdr_gszc', 'registration_no', '工商注册号', 2, 'text', false, false, 4),
    ('license', 'xk_xdr_zzjg', 'org_code', '组织机构代码', 2, 'text', false, false, 5),
    ('license', 'xk_xdr_swdj', 'tax_no', '税务登记号', 2, 'text', false, false, 6),
    ('license', 'xk_xdr_sydw', 'institution_cert_no', '事业单位证书号', 2, 'text', false, false, 7),
    ('license', 'xk_xdr_shzz', 'social_org_cert_no', '社会组织登记证号', 2, 'text', false, false, 8),
    ('license', 'xk_frdb', 'legal_rep', '法定代表人', 2, 'text', false, false, 9),
    ('license', 'xk_fr_zjlx', 'legal_rep_id_type', '法定代表人证件类型', 2, 'text', false, false, 10),
    ('license', 'xk_fr_zjhm', 'legal_rep_id_no', '法定代表人证件号码', 2, 'text', false, false, 11),
    ('license', 'xk_xdr_zjlx', 'party_id_type', '证件类型', 2, 'text', false, false, 12),
    ('license', 'xk_xdr_zjhm', 'subject_code', '证件号码', 2, 'text', false, false, 13),
    ('license', 'xk_xkws', 'document_name', '许可决定文书名称', 2, 'text', false, false, 14),
    ('license', 'xk_wsh', 'document_no', '许可决定文书号', 2, 'text', true, true, 15),
    ('license', 'xk_xklb', 'license_category', '许可类别', 2, 'text', true, false, 16),
    ('license', 'xk_xkzs', 'certificate_name', '许可证书名称', 2, 'text', false, false, 17),
    ('license', 'xk_xkbh', 'certificate_no', '许可编号', 2, 'text', false, false, 18),
    ('license', 'xk_nr', 'content', '许可内容', 2, 'text', true, false, 19),
    ('license', 'xk_jdrq', 'decided_on', '许可决定日期', 2, 'date', true, false, 20),
    ('license', 'xk_yxqz', 'valid_from', '有效期自', 2, 'date', false, false, 21),
    ('license', 'xk_yxqzi', 'valid_to', '有效期至 (2099/12/31: long-term)', 2, 'date', false, false, 22),
    ('license', 'xk_xkjg', 'authority', '许可机关', 2, 'text', true, false, 23),
    ('license', 'xk_xkjgdm', 'authority_uscc', '许可机关统一社会信用代码', 2, 'text', true, false, 24),
    ('license', 'xk_zt', 'current_status', '当前状态', 2, 'text', true, false, 25),
    ('license', 'xk_lydw', 'source_unit', '数据来源单位', 2, 'text', false, false, 26),
    ('license', 'xk_lydwdm', 'source_unit_uscc', '数据来源单位统一社会信用代码', 2, 'text', false, false, 27),
    ('license', 'bz', 'remarks', '备注', 2, 'text', false, false, 28);
GRANT SELECT ON @extschema@.intake_field TO credit_admin, credit_department, credit_analyst;

-- What the platform keeps of every row a unit sent.
CREATE SEQUENCE @extschema@.intake_batch_seq;
COMMENT ON SEQUENCE @extschema@.intake_batch_seq IS 'Numbers of the intake statements (batches)';
CREATE TABLE @extschema@.intake_row (
    id              bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    batch           bigint NOT NULL,
    line            integer NOT NULL,
    layout          text NOT NULL DEFAULT 'intake' CHECK (layout IN ('intake', 'penalty', 'license')),
    department      text,
    subject_code    text,
    subject_name    text,
    subject_kind    text,
    item_code       text,
    document_no     text,
    decided_on      text,
    value           text,
    amount          text,
    details         text,
    received_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    received_by     name NOT NULL,
    status          text NOT NULL CHECK (status IN ('accepted', 'updated', 'waiting', 'rejected')),
    problem         text,
    message         text,
    record_id       bigint,
    subject_id      bigint,
    corrects        bigint,
    code_kind       text,
    code_key        text,
    decided         date,
    category        text,
    fields_required smallint NOT NULL DEFAULT 0,
    fields_present  smallint NOT NULL DEFAULT 0,
    timely          boolean,
    CHECK ((status = 'rejected') = (problem IS NOT NULL))
);
COMMENT ON TABLE @extschema@.intake_row IS
    'Every row units sent through credit.intake and the national layouts (归集记录), as sent, with what became of it: the history of a unit''s feeds (read through credit.intake)';
COMMENT ON COLUMN @extschema@.intake_row.batch IS 'Statement (batch) that brought the row, or that last processed it (a waiting row when its subject was registered)';
COMMENT ON COLUMN @extschema@.intake_row.line IS 'Position of the row in its statement (line of the feed, from 1)';
COMMENT ON COLUMN @extschema@.intake_row.code_kind IS 'How subject_code was read: uscc, org_code or resident_id';
COMMENT ON COLUMN @extschema@.intake_row.code_key IS 'Canonical form of subject_code (18 characters, or 9 for an organisation code): a waiting row is matched on it when its subject is registered';
COMMENT ON COLUMN @extschema@.intake_row.decided IS 'decided_on as read';
COMMENT ON COLUMN @extschema@.intake_row.category IS 'Category of the catalogue item when the item is known';
COMMENT ON COLUMN @extschema@.intake_row.fields_required IS 'Mandatory fields of the row''s category (credit.intake_field)';
COMMENT ON COLUMN @extschema@.intake_row.fields_present IS 'How many of them the row carries';
COMMENT ON COLUMN @extschema@.intake_row.timely IS 'Licence and penalty rows: received within 7 working days of the decision (credit.add_working_days); NULL for other rows and rows without a valid date';
CREATE INDEX intake_row_waiting_idx ON @extschema@.intake_row (code_key) WHERE status = 'waiting';
CREATE INDEX intake_row_department_idx ON @extschema@.intake_row (department, received_at);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.intake_row', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.decision', '');
GRANT SELECT ON @extschema@.intake_row TO credit_admin;

-- Which intake rows the current user reads: its units' rows, the rows it sent
-- itself (a row naming no known unit), and all of them for administrators.
-- Inlined into the intake views.
CREATE FUNCTION @extschema@.intake_readable(department text, received_by name) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT department OPERATOR(pg_catalog.=) ANY (@extschema@.acting_departments())
        OR received_by OPERATOR(pg_catalog.=) CURRENT_USER
        OR pg_catalog.pg_has_role('credit_admin', 'USAGE')
$$;
COMMENT ON FUNCTION @extschema@.intake_readable(text, name) IS
    'Whether the current user reads an intake row of this unit and sender: a row of a unit it acts for, a row it sent itself, or any row for administrators; the rule of credit.intake and the national intake views';

-- The intake view: each unit reads the rows of its units and the rows it sent
-- itself; administrators read all.  Writing goes through the triggers below.
CREATE VIEW @extschema@.intake WITH (security_barrier) AS
SELECT i.id, i.department, i.subject_code, i.subject_name, i.subject_kind, i.item_code, i.document_no,
       i.decided_on, i.value, i.amount, i.details, i.received_at, i.received_by, i.status, i.problem,
       i.message, i.record_id, i.subject_id, i.line, i.corrects
  FROM @extschema@.intake_row i
 WHERE @extschema@.intake_readable(i.department, i.received_by);
COMMENT ON VIEW @extschema@.intake IS
    'Intake (归集): units send their feeds here by COPY (text or CSV) or INSERT, every data column text, and read their own rows back; each row is processed in the same statement and ends accepted (a new record), updated (a decision sent before: the record is updated in place), waiting (the subject is not registered yet: it becomes a record when it is) or rejected (problem, message); UPDATE of a row re-sends it corrected (a new row, corrects naming the old one)';
COMMENT ON COLUMN @extschema@.intake.id IS 'Row of the intake';
COMMENT ON COLUMN @extschema@.intake.department IS 'Unit that sends the row (credit.department); defaults to the sender''s unit when it acts for exactly one; another unit''s code is refused (42501); a code no unit has is kept as sent, cut to 40 characters (no unit''s code is longer)';
COMMENT ON COLUMN @extschema@.intake.subject_code IS 'Code of the subject as the unit knows it: USCC, old organisation code, 18- or 15-digit ID number (white space, hyphens, full-width and lower case accepted)';
COMMENT ON COLUMN @extschema@.intake.subject_name IS 'Name of the subject (行政相对人名称)';
COMMENT ON COLUMN @extschema@.intake.subject_kind IS 'Kind of subject (credit.subject_kind, or the layout''s 法人及非法人组织 / 自然人 / 个体工商户)';
COMMENT ON COLUMN @extschema@.intake.item_code IS 'Catalogue item (credit.catalog_item)';
COMMENT ON COLUMN @extschema@.intake.document_no IS 'Decision document number (决定文书号): with unit and item it identifies the decision; at most 200 characters';
COMMENT ON COLUMN @extschema@.intake.decided_on IS 'Decision date: YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD, not in the future';
COMMENT ON COLUMN @extschema@.intake.value IS 'Quantity of the record (a number; 1 when empty)';
COMMENT ON COLUMN @extschema@.intake.amount IS 'Amount in CNY: a number not below zero, with at most 16 digits before the point and nothing finer than a fen (0.01) after it';
COMMENT ON COLUMN @extschema@.intake.details IS 'Further fields as a JSON object (the double-publicity fields: violation_type, facts, legal_basis, penalty_category, content, valid_from, valid_to, source_unit...)';
COMMENT ON COLUMN @extschema@.intake.received_at IS 'When the row arrived (set by the platform)';
COMMENT ON COLUMN @extschema@.intake.received_by IS 'Role that sent it (set by the platform)';
COMMENT ON COLUMN @extschema@.intake.status IS 'accepted, updated, waiting or rejected (set by the platform)';
COMMENT ON COLUMN @extschema@.intake.problem IS 'Stable code of the problem of a rejected row: missing_field, invalid_code, unknown_item, invalid_date, future_date, invalid_value, invalid_amount, invalid_details, invalid_kind, unknown_department, too_long';
COMMENT ON COLUMN @extschema@.intake.message IS 'The problem in words, naming the line and the value';
COMMENT ON COLUMN @extschema@.intake.record_id IS 'Record the row became or updated (credit.record.id)';
COMMENT ON COLUMN @extschema@.intake.subject_id IS 'Subject the row was linked to (credit.subject.id)';
COMMENT ON COLUMN @extschema@.intake.line IS 'Position of the row in the statement that sent it (line of the feed, from 1)';
COMMENT ON COLUMN @extschema@.intake.corrects IS 'Row this one corrects (an UPDATE of that row re-sent it)';
GRANT SELECT ON @extschema@.intake TO credit_admin, credit_department;
GRANT INSERT (department, subject_code, subject_name, subject_kind, item_code, document_no, decided_on, value, amount, details),
      UPDATE (department, subject_code, subject_name, subject_kind, item_code, document_no, decided_on, value, amount, details)
   ON @extschema@.intake TO credit_admin, credit_department;

-- The statement's buffer (C: src/intake.c).
CREATE FUNCTION @extschema@.intake_buffer() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'credit_intake_buffer';
COMMENT ON FUNCTION @extschema@.intake_buffer() IS
    'Trigger of the intake views: BEFORE STATEMENT opens the statement''s buffer, INSTEAD OF INSERT or UPDATE keeps each row in it for the AFTER STATEMENT trigger';
CREATE FUNCTION @extschema@.intake_take(anyelement) RETURNS SETOF anyelement
    AS 'MODULE_PATHNAME', 'credit_intake_take'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION @extschema@.intake_take(anyelement) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.intake_take(anyelement) IS
    'The rows the current statement sent to the intake view whose row type is the argument''s (NULL::credit.intake), in arrival order; closes the statement''s buffer. Internal to the intake triggers';
CREATE FUNCTION @extschema@.json_object_problem(text) RETURNS text
    AS 'MODULE_PATHNAME', 'credit_json_object_problem'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.json_object_problem(text) IS
    'NULL when the text is a JSON object that jsonb accepts, else what is wrong with it; never an error';

-- A date as feeds write it (YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD or YYYYMMDD, an
-- optional time of day after it), NULL when it is not a real date (C: the
-- checks of src/intake_check.c read dates the same way).
CREATE FUNCTION @extschema@.intake_date(t text) RETURNS date
    AS 'MODULE_PATHNAME', 'credit_intake_date'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.intake_date(text) IS
    'A date as feeds write it (YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD or YYYYMMDD, optionally followed by a time of day), or NULL when the text is not a real date from 1900 on; never an error';

-- Whether a text is a number of the given kind: value (float), amount
-- (numeric(18, 2): at most 16 digits before the point).
CREATE FUNCTION @extschema@.intake_number(t text, kind text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'credit_intake_number'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.intake_number(text, text) IS
    'Whether a text of a feed is a number: kind amount (fits numeric(18, 2)) or value (a double precision of magnitude 1e-300 .. 1e300, or zero); never an error';

-- The subject kind as feeds write it: an enum label or the national layout's category.
CREATE FUNCTION @extschema@.intake_kind(t text) RETURNS @extschema@.subject_kind
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE pg_catalog.lower(pg_catalog.btrim(t))
           WHEN 'government' THEN 'government'::@extschema@.subject_kind
           WHEN 'enterprise' THEN 'enterprise'::@extschema@.subject_kind
           WHEN 'individual' THEN 'individual'::@extschema@.subject_kind
           WHEN 'social_org' THEN 'social_org'::@extschema@.subject_kind
           WHEN 'institution' THEN 'institution'::@extschema@.subject_kind
           WHEN '法人及非法人组织' THEN 'enterprise'::@extschema@.subject_kind
           WHEN '法人' THEN 'enterprise'::@extschema@.subject_kind
           WHEN '个体工商户' THEN 'enterprise'::@extschema@.subject_kind
           WHEN '自然人' THEN 'individual'::@extschema@.subject_kind
           END
$$;
COMMENT ON FUNCTION @extschema@.intake_kind(text) IS
    'A subject kind as a feed writes it: a credit.subject_kind label, or the national layout''s category (法人及非法人组织 and 个体工商户: enterprise; 自然人: individual); NULL when not one of them';

-- Why a code of a feed names no subject: the reason of the ID number check
-- for what looks like an ID number, else of the USCC check.
CREATE FUNCTION @extschema@.code_problem(code text) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$
    SELECT coalesce(CASE WHEN c.s OPERATOR(pg_catalog.~) '^(\d{15}|\d{17}[0-9A-Za-z])$'
                          AND c.r NOT LIKE '%province%' THEN c.r
                         WHEN pg_catalog.length(c.s) OPERATOR(pg_catalog.=) 9 THEN 'not a valid organisation code'
                         ELSE @extschema@.uscc_check(code) END,
                    'not a USCC, organisation code or ID number')
      FROM (SELECT pg_catalog.regexp_replace(code, '[\s-]', '', 'g') AS s, @extschema@.resident_id_check(code) AS r) c
$$;
COMMENT ON FUNCTION @extschema@.code_problem(text) IS
    'Why a code is not a USCC, organisation code or ID number, as a clerk reads it: the ID number check''s reason for 15 digits or 17 digits and a check character (unless the province prefix is unknown), else the USCC check''s; STABLE: ID numbers are checked against today';

-- The registered subjects canonical codes name (kinds as credit.parse_code
-- reads them), for many codes at once: by credit.subject_code, the codes'
-- own table; an organisation code names the first subject whose USCC embeds
-- it; 18 characters read as an ID number that are a USCC too name the
-- subject with that USCC when no person has it.  Inlined into its callers.
CREATE FUNCTION @extschema@.intake_subjects(code_kind text[], code_key text[]) RETURNS TABLE (n bigint, subject_id bigint)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    -- (the code is the probe's key only for the kinds it may be: a NULL key
    -- probes nothing, where a join filter on the kind would probe for every code)
    SELECT k.n, coalesce(p.subject_id, u.subject_id, o.subject_id)
      FROM ROWS FROM (pg_catalog.unnest(code_kind), pg_catalog.unnest(code_key)) WITH ORDINALITY AS k (kind, key, n)
      LEFT JOIN @extschema@.subject_code p
             ON p.code OPERATOR(pg_catalog.=) CASE WHEN k.kind OPERATOR(pg_catalog.=) 'resident_id' THEN k.key END
            AND p.code_kind OPERATOR(pg_catalog.=) 'person_id'
      LEFT JOIN @extschema@.subject_code u
             ON u.code OPERATOR(pg_catalog.=) CASE WHEN k.kind IN ('uscc', 'resident_id') THEN k.key END
            AND u.code_kind OPERATOR(pg_catalog.=) 'uscc'
      LEFT JOIN LATERAL (
            SELECT pg_catalog.min(c.subject_id) AS subject_id
              FROM @extschema@.subject_code c
             WHERE k.kind OPERATOR(pg_catalog.=) 'org_code' AND c.code_kind OPERATOR(pg_catalog.=) 'uscc'
               AND pg_catalog.substr(c.code, 9, 9) OPERATOR(pg_catalog.=) k.key) o ON true
$$;
REVOKE ALL ON FUNCTION @extschema@.intake_subjects(text[], text[]) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.intake_subjects(text[], text[]) IS
    'The registered subject each code names (kinds uscc, resident_id or org_code and canonical forms, as credit.parse_code gives them; n is the position in the arrays), subject_id NULL when none is; internal to the intake';

-- The subject of one code: the rule above for one code.
CREATE FUNCTION @extschema@.intake_subject(code_kind text, code_key text) RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT s.subject_id FROM @extschema@.intake_subjects(ARRAY[code_kind], ARRAY[code_key]) s
$$;
REVOKE ALL ON FUNCTION @extschema@.intake_subject(text, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.intake_subject(text, text) IS
    'The registered subject a code names (kind uscc, resident_id or org_code and canonical form, as credit.parse_code gives them), NULL when none is (credit.intake_subjects); internal to the intake';

-- The lock that orders waiting rows and registrations: a statement that
-- leaves rows waiting holds it exclusively, a registration shares it, so a
-- registration sees every waiting row committed before it and a waiting row
-- is never left behind by a registration that ran beside it.
CREATE FUNCTION @extschema@.intake_waiting_lock(exclusive boolean) RETURNS void
LANGUAGE sql VOLATILE
AS $$
    SELECT CASE WHEN exclusive
                THEN pg_catalog.pg_advisory_xact_lock('@extschema@.intake_row'::pg_catalog.regclass::pg_catalog.oid::pg_catalog.int4, 0)
                ELSE pg_catalog.pg_advisory_xact_lock_shared('@extschema@.intake_row'::pg_catalog.regclass::pg_catalog.oid::pg_catalog.int4, 0) END
$$;
REVOKE ALL ON FUNCTION @extschema@.intake_waiting_lock(boolean) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.intake_waiting_lock(boolean) IS
    'Takes the transaction lock that orders waiting intake rows (exclusive) and subject registrations (shared); internal to the intake';

-- A row of an intake statement as the checks keep it for credit.intake_apply:
-- the columns credit.intake_row keeps (but id and received_at), and what the
-- last row of each record makes of it.
CREATE TYPE @extschema@.intake_checked AS (
    batch           bigint,
    line            integer,
    layout          text,
    department      text,
    subject_code    text,
    subject_name    text,
    subject_kind    text,
    item_code       text,
    document_no     text,
    decided_on      text,
    value           text,
    amount          text,
    details         text,
    received_by     name,
    status          text,
    problem         text,
    message         text,
    record_id       bigint,
    subject_id      bigint,
    corrects        bigint,
    code_kind       text,
    code_key        text,
    decided         date,
    category        text,
    fields_required smallint,
    fields_present  smallint,
    timely          boolean,
    makes           text
);
COMMENT ON TYPE @extschema@.intake_checked IS
    'A row of an intake statement as credit.intake_check keeps it for credit.intake_apply (read by credit.intake_take(NULL::credit.intake_checked)): the columns of credit.intake_row (but id and received_at; corrects is the id of the row sent, or of the waiting row released), and makes: insert or update for the last row of each record (its values are the record''s), else NULL. Internal to the intake';

-- The checks of one statement's rows, and the record of each (C: src/intake_check.c).
-- The rows come as an array, or (NULL) straight from the buffer of
-- credit.intake, and go on to credit.intake_apply in a buffer of their own:
-- a feed of a million rows is not copied into and out of arrays.
CREATE FUNCTION @extschema@.intake_check(rows @extschema@.intake[], layout text, batch bigint, sender name,
                                         units text[], admin boolean, release boolean)
    RETURNS integer
    AS 'MODULE_PATHNAME', 'credit_intake_check'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION @extschema@.intake_check(@extschema@.intake[], text, bigint, name, text[], boolean, boolean) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.intake_check(@extschema@.intake[], text, bigint, name, text[], boolean, boolean) IS
    'Checks the rows of one intake statement in one pass, as the owner (rows NULL: those the current statement sent to credit.intake, from its buffer), and keeps them checked for credit.intake_apply, returning how many: refuses rows of units the sender (not an administrator) does not act for (42501); reads each row''s unit, code, item, date, value, amount, details and mandatory fields; a row is rejected (problem, message), waiting (its subject not found, also under credit.intake_waiting_lock, then held) or ready: its decision key (credit.decision_party_of) claimed in credit.decision in key order, its record the decision''s (updated) or a new one (accepted). With release: waiting rows whose subject came (no sender check, no lock). Internal to the intake';

-- Store the checked rows of a statement, as credit.intake_check kept them
-- (or, resume: update the waiting rows released), and make their records:
-- each record from the last row of it the statement sent, new decisions
-- inserted, decisions sent before updated in place.  Its own statement,
-- after the claims: a decision a racing sending recorded meanwhile is seen
-- and updated.  (The rows are stored in the order the checks keep them, the
-- order of their lines, so their ids follow the lines: no sort.)
CREATE FUNCTION @extschema@.intake_apply(resume boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    WITH c AS MATERIALIZED (
            SELECT u.*,
                   CASE WHEN u.makes IS NOT NULL THEN coalesce(nullif(btrim(u.value), '')::pg_catalog.float8, 1) END AS v,
                   CASE WHEN u.makes IS NOT NULL THEN nullif(btrim(u.amount), '')::pg_catalog.numeric END AS a,
                   CASE WHEN u.makes IS NOT NULL
                        THEN coalesce(nullif(btrim(u.details), '')::pg_catalog.jsonb, '{}'::pg_catalog.jsonb) END AS j
              FROM @extschema@.intake_take(NULL::@extschema@.intake_checked) u),
         stored AS (
            INSERT INTO @extschema@.intake_row
                   (batch, line, layout, department, subject_code, subject_name, subject_kind, item_code, document_no,
                    decided_on, value, amount, details, received_by, status, problem, message, record_id, subject_id,
                    corrects, code_kind, code_key, decided, category, fields_required, fields_present, timely)
            SELECT c.batch, c.line, c.layout, c.department, c.subject_code, c.subject_name, c.subject_kind, c.item_code,
                   c.document_no, c.decided_on, c.value, c.amount, c.details, c.received_by, c.status, c.problem,
                   c.message, c.record_id, c.subject_id, c.corrects, c.code_kind, c.code_key, c.decided, c.category,
                   c.fields_required, c.fields_present, c.timely
              FROM c WHERE NOT resume),
         moved AS (
            UPDATE @extschema@.intake_row i
               SET status = c.status, record_id = c.record_id, subject_id = c.subject_id, batch = c.batch
              FROM c
             WHERE resume AND c.record_id IS NOT NULL AND i.id OPERATOR(pg_catalog.=) c.corrects),
         added AS (
            INSERT INTO @extschema@.record (id, subject_id, item_code, department, document_no, decided_on, value, amount, details)
            SELECT c.record_id, c.subject_id, btrim(c.item_code), c.department, nullif(btrim(c.document_no), ''), c.decided,
                   c.v, c.a, c.j
              FROM c WHERE c.makes OPERATOR(pg_catalog.=) 'insert'
             ORDER BY c.record_id
            RETURNING 1)
    UPDATE @extschema@.record r
       SET subject_id = c.subject_id, decided_on = c.decided, value = c.v, amount = c.a, details = c.j
      FROM c
     WHERE c.makes OPERATOR(pg_catalog.=) 'update' AND r.id OPERATOR(pg_catalog.=) c.record_id;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.intake_apply(boolean) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.intake_apply(boolean) IS
    'Stores the checked rows of an intake statement, as credit.intake_check kept them, in credit.intake_row (resume: updates the released waiting rows instead) and makes their records: inserts one record per new decision and updates the record of a decision sent before in place, each with the values of its last row sent. Internal to the intake';

-- Process the rows of one intake statement: check every row (C), then store
-- them and make the records (credit.intake_apply).
CREATE FUNCTION @extschema@.intake_process(rows @extschema@.intake[], layout text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    who   name := @extschema@.caller();
    units text[] := @extschema@.caller_departments();
    admin boolean := pg_has_role(who, 'credit_admin', 'USAGE');
    b     bigint;
BEGIN
    IF rows IS NOT NULL AND coalesce(array_length(rows, 1), 0) OPERATOR(pg_catalog.=) 0 THEN
        RETURN;
    END IF;
    b := nextval('@extschema@.intake_batch_seq');
    IF @extschema@.intake_check(rows, layout, b, who, units, admin, false) OPERATOR(pg_catalog.>) 0 THEN
        PERFORM @extschema@.intake_apply(false);
    END IF;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.intake_process(@extschema@.intake[], text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.intake_process(@extschema@.intake[], text) IS
    'Processes the rows of one intake statement as the owner (rows NULL: those the statement sent to credit.intake): checks them (credit.intake_check: a row of a unit the sender does not act for refuses the statement, 42501; each row rejected with its problem, waiting or ready with its record, its decision claimed), then stores them and makes the records (credit.intake_apply). Internal to the intake triggers';

-- AFTER STATEMENT of credit.intake: the statement's rows, processed.
CREATE FUNCTION @extschema@.intake_statement() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.intake_process(NULL, 'intake');
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.intake_statement() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.intake_statement() IS
    'AFTER STATEMENT trigger of credit.intake: processes the rows the statement sent (credit.intake_process)';
CREATE TRIGGER intake_open BEFORE INSERT OR UPDATE ON @extschema@.intake
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.intake_buffer();
CREATE TRIGGER intake_row INSTEAD OF INSERT OR UPDATE ON @extschema@.intake
    FOR EACH ROW EXECUTE FUNCTION @extschema@.intake_buffer();
CREATE TRIGGER intake_process AFTER INSERT OR UPDATE ON @extschema@.intake
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.intake_statement();

-- A registered subject takes its waiting rows.  (The triggers are named to
-- fire after subject_scope_*, which give the subject its evaluation states:
-- the records made here then fold into those states like any others.)
CREATE FUNCTION @extschema@.intake_release_waiting() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    b bigint;
BEGIN
    IF @extschema@.restoring() THEN
        RETURN NULL;
    END IF;
    PERFORM @extschema@.intake_waiting_lock(false);
    IF NOT EXISTS (SELECT FROM @extschema@.intake_row i WHERE i.status OPERATOR(pg_catalog.=) 'waiting') THEN
        RETURN NULL;
    END IF;
    b := nextval('@extschema@.intake_batch_seq');
    -- the waiting rows whose code a new subject carries, checked again (as the owner's) with their ids
    IF @extschema@.intake_check(ARRAY(
        SELECT ROW(w.id, w.department, w.subject_code, w.subject_name, w.subject_kind, w.item_code, w.document_no,
                   w.decided_on, w.value, w.amount, w.details, w.received_at, w.received_by, w.status, w.problem,
                   w.message, w.record_id, w.subject_id, w.line, w.corrects)::@extschema@.intake
          FROM @extschema@.intake_row w
         WHERE w.status OPERATOR(pg_catalog.=) 'waiting'
           AND EXISTS (SELECT FROM new_rows n
                        WHERE (n.uscc IS NOT NULL OR n.person_id IS NOT NULL)
                          AND w.code_key = ANY (ARRAY[n.uscc::text, n.person_id::text, @extschema@.org_code(n.uscc)])
                          AND (w.code_kind OPERATOR(pg_catalog.<>) 'org_code' OR n.uscc IS NOT NULL))
         ORDER BY w.id),
        'intake', b, @extschema@.caller(), NULL, true, true) OPERATOR(pg_catalog.>) 0 THEN
        PERFORM @extschema@.intake_apply(true);
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.intake_release_waiting() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.intake_release_waiting() IS
    'Statement trigger of credit.subject (insert, and update of the codes): the waiting intake rows whose code the new subjects carry are checked again and become records (credit.intake_check, credit.intake_apply)';
CREATE TRIGGER subject_waiting_release_insert AFTER INSERT ON @extschema@.subject
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.intake_release_waiting();
CREATE TRIGGER subject_waiting_release_update AFTER UPDATE ON @extschema@.subject
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.intake_release_waiting();

-- The national exchange layouts (双公示 data standard): views whose columns are
-- the layout's field codes in lower case (v2 in the template's order, then the
-- old v1 names), then the unit and the catalogue item (optional: penalties
-- default to penalty_general, or penalty_warning when the category is a
-- warning only; licences to license), then what became of each row.
CREATE FUNCTION @extschema@.intake_from_national(layout text, j jsonb) RETURNS @extschema@.intake
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT ROW(NULL, j OPERATOR(pg_catalog.->>) 'department',
               c.v OPERATOR(pg_catalog.->>) 'subject_code', c.v OPERATOR(pg_catalog.->>) 'subject_name',
               c.v OPERATOR(pg_catalog.->>) 'subject_kind',
               coalesce(nullif(pg_catalog.btrim(j OPERATOR(pg_catalog.->>) 'item_code'), ''),
                        CASE WHEN layout OPERATOR(pg_catalog.=) 'license' THEN 'license'
                             WHEN c.d OPERATOR(pg_catalog.->>) 'penalty_category' OPERATOR(pg_catalog.~) '^\s*警告\s*$' THEN 'penalty_warning'
                             ELSE 'penalty_general' END),
               c.v OPERATOR(pg_catalog.->>) 'document_no', c.v OPERATOR(pg_catalog.->>) 'decided_on', NULL,
               -- fines are given in 10,000 CNY (万元)
               CASE WHEN @extschema@.intake_number(c.v OPERATOR(pg_catalog.->>) 'amount', 'value')
                    THEN ((c.v OPERATOR(pg_catalog.->>) 'amount')::pg_catalog.numeric OPERATOR(pg_catalog.*) 10000)::text
                    ELSE c.v OPERATOR(pg_catalog.->>) 'amount' END,
               c.d::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::@extschema@.intake
      FROM (SELECT coalesce(pg_catalog.jsonb_object_agg(x.field, x.val) FILTER (WHERE x.core), '{}') AS v,
                   coalesce(pg_catalog.jsonb_object_agg(x.field, x.val) FILTER (WHERE NOT x.core), '{}') AS d
              FROM (SELECT DISTINCT ON (f.field) f.field, j OPERATOR(pg_catalog.->>) f.code AS val,
                           f.field = ANY ('{subject_code,subject_name,subject_kind,document_no,decided_on,amount}'::text[]) AS core
                      FROM @extschema@.intake_field f
                     WHERE f.layout OPERATOR(pg_catalog.=) intake_from_national.layout
                       AND nullif(pg_catalog.btrim(j OPERATOR(pg_catalog.->>) f.code), '') IS NOT NULL
                     ORDER BY f.field, f.position) x) c
$$;
REVOKE ALL ON FUNCTION @extschema@.intake_from_national(text, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.intake_from_national(text, jsonb) IS
    'A row of a national layout (penalty or license, as JSON) as an intake row: the codes credit.intake_field maps to intake columns fill them (the first non-empty in position order), the others go to details under their field names; fines in 10,000 CNY become CNY. Internal to the intake';

-- AFTER STATEMENT of the national views: the statement's rows, read in the layout.
CREATE FUNCTION @extschema@.intake_national_statement() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rows jsonb[];
BEGIN
    IF TG_ARGV[0] OPERATOR(pg_catalog.=) 'penalty' THEN
        rows := ARRAY(SELECT to_jsonb(t) FROM @extschema@.intake_take(NULL::@extschema@.intake_penalty) t);
    ELSE
        rows := ARRAY(SELECT to_jsonb(t) FROM @extschema@.intake_take(NULL::@extschema@.intake_license) t);
    END IF;
    PERFORM @extschema@.intake_process(
        ARRAY(SELECT @extschema@.intake_from_national(TG_ARGV[0], u.j) FROM unnest(rows) WITH ORDINALITY u (j, n) ORDER BY u.n),
        TG_ARGV[0]);
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.intake_national_statement() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.intake_national_statement() IS
    'AFTER STATEMENT trigger of credit.intake_penalty and credit.intake_license (argument penalty or license): the statement''s rows read in the national layout (credit.intake_from_national) and processed as intake rows';

DO $do$
DECLARE
    l text;
BEGIN
    FOREACH l IN ARRAY ARRAY['penalty', 'license'] LOOP
        EXECUTE pg_catalog.format(
            'CREATE VIEW @extschema@.%I WITH (security_barrier) AS SELECT %s, i.department, i.item_code, i.id, i.received_at, i.status, i.problem, i.message, i.record_id
               FROM @extschema@.intake_row i
              WHERE i.layout OPERATOR(pg_catalog.=) %L AND @extschema@.intake_readable(i.department, i.received_by)',
            'intake_' || l,
            (SELECT pg_catalog.string_agg(pg_catalog.format('%s AS %I',
                        CASE WHEN NOT f.first THEN 'NULL::text'
                             WHEN f.field = ANY ('{subject_code,subject_name,subject_kind,document_no,decided_on}'::text[]) THEN 'i.' || f.field
                             WHEN f.field OPERATOR(pg_catalog.=) 'amount' THEN
                                 'CASE WHEN @extschema@.intake_number(i.amount, ''amount'') THEN pg_catalog.trim_scale(i.amount::pg_catalog.numeric OPERATOR(pg_catalog./) 10000)::text ELSE i.amount END'
                             ELSE pg_catalog.format('(i.details::pg_catalog.jsonb OPERATOR(pg_catalog.->>) %L)', f.field) END,
                        f.code), ', ' ORDER BY f.position)
               FROM (SELECT e.*, e.position OPERATOR(pg_catalog.=) min(e.position) OVER (PARTITION BY e.field) AS first
                       FROM @extschema@.intake_field e WHERE e.layout OPERATOR(pg_catalog.=) l) f),
            l);
        EXECUTE pg_catalog.format('COMMENT ON VIEW @extschema@.%I IS %L', 'intake_' || l,
            CASE l WHEN 'penalty'
                THEN 'Intake of administrative penalties (行政处罚双公示) in the national exchange layout: the columns are its field codes in lower case (CF_XDR_MC ... CF_SJLYDM, BZ; then the old v1 names), so a unit COPYs the file it already makes; each row is processed as in credit.intake (item penalty_general, or penalty_warning for a warning only, unless item_code names one; fines CF_NR_FK in 10,000 CNY)'
                ELSE 'Intake of administrative licences (行政许可双公示) in the national exchange layout: the columns are its field codes in lower case (XK_XDR_MC ... XK_LYDWDM, BZ), so a unit COPYs the file it already makes; each row is processed as in credit.intake (item license unless item_code names another)' END);
        EXECUTE pg_catalog.format('GRANT SELECT ON @extschema@.%I TO credit_admin, credit_department', 'intake_' || l);
        EXECUTE pg_catalog.format('GRANT INSERT (%s, department, item_code) ON @extschema@.%I TO credit_admin, credit_department',
            (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(f.code), ', ' ORDER BY f.position)
               FROM @extschema@.intake_field f WHERE f.layout OPERATOR(pg_catalog.=) l), 'intake_' || l);
        EXECUTE (SELECT pg_catalog.string_agg(pg_catalog.format('COMMENT ON COLUMN @extschema@.%I.%I IS %L;', 'intake_' || l, f.code,
                        pg_catalog.format('%s %s%s: %s', pg_catalog.upper(f.code), f.label, CASE WHEN f.mandatory THEN ' (mandatory)' ELSE '' END,
                               CASE WHEN f.field = ANY ('{subject_code,subject_name,subject_kind,document_no,decided_on}'::text[]) THEN 'intake column ' || f.field
                                    WHEN f.field OPERATOR(pg_catalog.=) 'amount' THEN 'amount (in 10,000 CNY here, in CNY in the record)'
                                    ELSE 'details key ' || f.field END)), ' ')
                   FROM @extschema@.intake_field f WHERE f.layout OPERATOR(pg_catalog.=) l);
        EXECUTE pg_catalog.format($c$
            COMMENT ON COLUMN @extschema@.%1$I.department IS 'Unit that sends the row; defaults to the sender''s unit when it acts for exactly one';
            COMMENT ON COLUMN @extschema@.%1$I.item_code IS 'Catalogue item; optional (see the view)';
            COMMENT ON COLUMN @extschema@.%1$I.id IS 'Row of the intake (credit.intake.id)';
            COMMENT ON COLUMN @extschema@.%1$I.received_at IS 'When the row arrived';
            COMMENT ON COLUMN @extschema@.%1$I.status IS 'accepted, updated, waiting or rejected';
            COMMENT ON COLUMN @extschema@.%1$I.problem IS 'Stable code of the problem of a rejected row';
            COMMENT ON COLUMN @extschema@.%1$I.message IS 'The problem in words, naming the line and the value';
            COMMENT ON COLUMN @extschema@.%1$I.record_id IS 'Record the row became or updated';
            CREATE TRIGGER intake_open BEFORE INSERT ON @extschema@.%1$I
                FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.intake_buffer();
            CREATE TRIGGER intake_row INSTEAD OF INSERT ON @extschema@.%1$I
                FOR EACH ROW EXECUTE FUNCTION @extschema@.intake_buffer();
            CREATE TRIGGER intake_process AFTER INSERT ON @extschema@.%1$I
                FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.intake_national_statement(%2$L);
            $c$, 'intake_' || l, l);
    END LOOP;
END
$do$;

-- Data quality of the feeds (归集质量), per unit and month of receipt, per
-- catalogue item and over all items (item_code NULL).  It reads as the owner:
-- a unit sees its own units' figures, analysts and administrators everyone's.
CREATE VIEW @extschema@.v_intake_quality WITH (security_barrier) AS
SELECT i.department,
       pg_catalog.date_trunc('month', i.received_at)::date AS month,
       i.item_code,
       count(*) AS received,
       count(*) FILTER (WHERE i.status OPERATOR(pg_catalog.=) 'accepted') AS accepted,
       count(*) FILTER (WHERE i.status OPERATOR(pg_catalog.=) 'updated') AS updated,
       count(*) FILTER (WHERE i.status OPERATOR(pg_catalog.=) 'waiting') AS waiting,
       count(*) FILTER (WHERE i.status OPERATOR(pg_catalog.=) 'rejected') AS rejected,
       round(count(*) FILTER (WHERE i.status IN ('accepted', 'updated'))::numeric OPERATOR(pg_catalog./) count(*), 4) AS acceptance_rate,
       round(sum(i.fields_present)::numeric OPERATOR(pg_catalog./) nullif(sum(i.fields_required), 0), 4) AS completeness,
       round(count(i.subject_id)::numeric OPERATOR(pg_catalog./) count(*), 4) AS linkage,
       round(count(*) FILTER (WHERE i.timely)::numeric OPERATOR(pg_catalog./) nullif(count(i.timely), 0), 4) AS timeliness
  FROM @extschema@.intake_row i
 WHERE i.department OPERATOR(pg_catalog.=) ANY (@extschema@.acting_departments())
    OR pg_catalog.pg_has_role('credit_analyst', 'USAGE')
    OR pg_catalog.pg_has_role('credit_admin', 'USAGE')
 GROUP BY GROUPING SETS ((i.department, 2, i.item_code), (i.department, 2));
COMMENT ON VIEW @extschema@.v_intake_quality IS
    'Data quality of the units'' feeds (归集质量), per unit and month of receipt, per catalogue item (item_code as sent) and over all items (item_code NULL): rows received and their outcome, acceptance rate (入库率), completeness (完整率), linkage (关联率) and timeliness (及时率); a unit reads its own figures, analysts and administrators all';
COMMENT ON COLUMN @extschema@.v_intake_quality.department IS 'Unit that sent the rows (as sent when it names no unit)';
COMMENT ON COLUMN @extschema@.v_intake_quality.month IS 'First day of the month of receipt (session time zone)';
COMMENT ON COLUMN @extschema@.v_intake_quality.item_code IS 'Catalogue item as sent; NULL: all items of the unit and month';
COMMENT ON COLUMN @extschema@.v_intake_quality.received IS 'Rows received (a corrected row counts again)';
COMMENT ON COLUMN @extschema@.v_intake_quality.accepted IS 'Rows that became a new record';
COMMENT ON COLUMN @extschema@.v_intake_quality.updated IS 'Rows that updated the record of a decision sent before';
COMMENT ON COLUMN @extschema@.v_intake_quality.waiting IS 'Valid rows whose subject is not registered yet';
COMMENT ON COLUMN @extschema@.v_intake_quality.rejected IS 'Rows refused with a problem';
COMMENT ON COLUMN @extschema@.v_intake_quality.acceptance_rate IS 'Acceptance rate (入库率): accepted and updated rows / rows received, 0..1';
COMMENT ON COLUMN @extschema@.v_intake_quality.completeness IS 'Completeness (完整率): mandatory fields present / mandatory fields required (credit.intake_field; for licences and penalties the national layout''s mandatory fields), 0..1';
COMMENT ON COLUMN @extschema@.v_intake_quality.linkage IS 'Linkage (关联率): rows linked to a registered subject / rows received, 0..1';
COMMENT ON COLUMN @extschema@.v_intake_quality.timeliness IS 'Timeliness (及时率): licence and penalty rows received within 7 working days of the decision (credit.calendar_day) / such rows with a valid date, 0..1; NULL without such rows';
GRANT SELECT ON @extschema@.v_intake_quality TO credit_admin, credit_department, credit_analyst;
-- The monthly double-publicity return (双公示月报, docs/intake.md): by the
-- 10th of the next month a unit accounts for the licences (行政许可) and
-- penalties (行政处罚) it decided in a month: how many it made, how many the
-- platform received within 7 working days of the decision and how many
-- later, how many wait for their subject, how many it withheld with the
-- legal basis (不予公示), and how many are missing.  What the unit alone
-- knows it files (the decisions it made, the decisions it withheld); the
-- rest the platform counts from the records and the intake.

-- What a unit files: the decisions it made in a month, per kind.
CREATE TABLE @extschema@.double_publicity_filing (
    department text NOT NULL REFERENCES @extschema@.department (code) ON UPDATE CASCADE,
    month      date NOT NULL CHECK (pg_catalog.isfinite(month) AND pg_catalog.extract('day', month) = 1),
    kind       text NOT NULL CHECK (kind IN ('license', 'penalty')),
    produced   integer NOT NULL CHECK (produced >= 0),
    filed_by   name NOT NULL,
    filed_at   timestamptz NOT NULL,
    PRIMARY KEY (department, month, kind)
);
COMMENT ON TABLE @extschema@.double_publicity_filing IS
    'The decisions a unit made in a month (产生数), per kind (license 行政许可, penalty 行政处罚), as it files them for its monthly double-publicity return (credit.double_publicity_return); filing again updates the row';
COMMENT ON COLUMN @extschema@.double_publicity_filing.month IS 'First day of the month of the decisions';
COMMENT ON COLUMN @extschema@.double_publicity_filing.kind IS 'license (行政许可) or penalty (行政处罚)';
COMMENT ON COLUMN @extschema@.double_publicity_filing.produced IS 'Decisions of this kind the unit made in the month (产生数)';
COMMENT ON COLUMN @extschema@.double_publicity_filing.filed_by IS 'Role that filed the figure last (set by the platform)';
COMMENT ON COLUMN @extschema@.double_publicity_filing.filed_at IS 'When it was filed last (set by the platform)';

-- Decisions a unit does not publish, each with its legal basis (不予公示).
CREATE TABLE @extschema@.double_publicity_withheld (
    department  text NOT NULL REFERENCES @extschema@.department (code) ON UPDATE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('license', 'penalty')),
    document_no text NOT NULL CHECK (pg_catalog.btrim(document_no) <> ''),
    decided_on  date NOT NULL CHECK (pg_catalog.isfinite(decided_on)),
    legal_basis text NOT NULL CHECK (pg_catalog.btrim(legal_basis) <> ''),
    reason      text,
    filed_by    name NOT NULL,
    filed_at    timestamptz NOT NULL,
    PRIMARY KEY (department, kind, document_no)
);
COMMENT ON TABLE @extschema@.double_publicity_withheld IS
    'Licences and penalties a unit decided but does not publish (不予公示), each with the legal basis that withholds it (state secrets, trade secrets, personal privacy...); counted as withheld by credit.double_publicity_return unless the platform holds a record of the same decision';
COMMENT ON COLUMN @extschema@.double_publicity_withheld.kind IS 'license (行政许可) or penalty (行政处罚)';
COMMENT ON COLUMN @extschema@.double_publicity_withheld.document_no IS 'Decision document number (决定文书号)';
COMMENT ON COLUMN @extschema@.double_publicity_withheld.decided_on IS 'Decision date: the month of the return it counts in';
COMMENT ON COLUMN @extschema@.double_publicity_withheld.legal_basis IS 'Legal basis of not publishing (不予公示的法律依据), required';
COMMENT ON COLUMN @extschema@.double_publicity_withheld.reason IS 'The reason in words (optional)';
COMMENT ON COLUMN @extschema@.double_publicity_withheld.filed_by IS 'Role that filed it last (set by the platform)';
COMMENT ON COLUMN @extschema@.double_publicity_withheld.filed_at IS 'When it was filed last (set by the platform)';

-- Who filed and when is the platform's to say, not the sender's.
CREATE FUNCTION @extschema@.double_publicity_filed() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.filed_by := @extschema@.caller();
    NEW.filed_at := pg_catalog.now();
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.double_publicity_filed() IS
    'BEFORE ROW trigger of credit.double_publicity_filing and credit.double_publicity_withheld: sets filed_by (credit.caller()) and filed_at (the transaction''s time), whatever the row says';
CREATE TRIGGER filed BEFORE INSERT OR UPDATE ON @extschema@.double_publicity_filing
    FOR EACH ROW EXECUTE FUNCTION @extschema@.double_publicity_filed();
CREATE TRIGGER filed BEFORE INSERT OR UPDATE ON @extschema@.double_publicity_withheld
    FOR EACH ROW EXECUTE FUNCTION @extschema@.double_publicity_filed();
SELECT pg_catalog.pg_extension_config_dump('@extschema@.double_publicity_filing', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.double_publicity_withheld', '');

-- Privileges and row-level security: a unit files, reads and corrects its
-- own figures and withheld decisions; analysts read all; administrators
-- write all.
DO $do$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['double_publicity_filing', 'double_publicity_withheld'] LOOP
        EXECUTE pg_catalog.format($f$
            ALTER TABLE @extschema@.%1$I ENABLE ROW LEVEL SECURITY;
            GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.%1$I TO credit_admin;
            GRANT SELECT, DELETE ON @extschema@.%1$I TO credit_department;
            GRANT SELECT ON @extschema@.%1$I TO credit_analyst;
            CREATE POLICY admin_all ON @extschema@.%1$I TO credit_admin USING (true) WITH CHECK (true);
            CREATE POLICY analyst_read ON @extschema@.%1$I FOR SELECT TO credit_analyst USING (true);
            CREATE POLICY department_read ON @extschema@.%1$I FOR SELECT TO credit_department
                USING (department = ANY (@extschema@.acting_departments()));
            CREATE POLICY department_insert ON @extschema@.%1$I FOR INSERT TO credit_department
                WITH CHECK (department = ANY (@extschema@.acting_departments()));
            CREATE POLICY department_update ON @extschema@.%1$I FOR UPDATE TO credit_department
                USING (department = ANY (@extschema@.acting_departments()))
                WITH CHECK (department = ANY (@extschema@.acting_departments()));
            CREATE POLICY department_delete ON @extschema@.%1$I FOR DELETE TO credit_department
                USING (department = ANY (@extschema@.acting_departments()));
            $f$, t);
    END LOOP;
END
$do$;
GRANT INSERT (department, month, kind, produced), UPDATE (produced)
    ON @extschema@.double_publicity_filing TO credit_department;
GRANT INSERT (department, kind, document_no, decided_on, legal_basis, reason), UPDATE (decided_on, legal_basis, reason)
    ON @extschema@.double_publicity_withheld TO credit_department;

-- The unit whose return credit.caller() asks for: the one named (else the
-- caller's only unit), which it must act for unless it reads every unit's.
CREATE FUNCTION @extschema@.double_publicity_unit(department text, month date) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    unit text := @extschema@.sending_unit(double_publicity_unit.department);
BEGIN
    IF month IS NULL THEN
        RAISE EXCEPTION 'the month of the return is required'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM @extschema@.finite_day(month, 'the month of the return');
    IF NOT (unit OPERATOR(pg_catalog.=) ANY (@extschema@.caller_departments())
            OR pg_catalog.pg_has_role(@extschema@.caller(), 'credit_analyst', 'USAGE')
            OR pg_catalog.pg_has_role(@extschema@.caller(), 'credit_admin', 'USAGE')) THEN
        RAISE EXCEPTION 'role "%" does not act for unit "%"', @extschema@.caller(), unit
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'A unit reads its own return; analysts and administrators read every unit''s.';
    END IF;
    IF NOT EXISTS (SELECT FROM @extschema@.department d WHERE d.code OPERATOR(pg_catalog.=) unit) THEN
        RAISE EXCEPTION 'no unit "%"', unit
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN unit;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.double_publicity_unit(text, date) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.double_publicity_unit(text, date) IS
    'The unit of a double-publicity return credit.caller() asks for: the one named, else the caller''s only unit (credit.sending_unit); 42501 unless the caller acts for it or is an analyst or administrator, 22023 for no such unit or an infinite month, 23502 for no month. Internal to credit.double_publicity_return';

-- The return.  A decision of the month (by its decision date) is one of:
-- a record of the unit of a licence or penalty item, received (the first
-- intake row that led to it, else the record's creation) within 7 working
-- days of the decision (credit.add_working_days) or later, or not published
-- by rule (an item not published, a warning only: withheld with that rule);
-- an intake row waiting for its subject; a decision filed as withheld.
CREATE FUNCTION @extschema@.double_publicity_return(department text, month date)
RETURNS TABLE (department text, month date, kind text, produced integer, published_on_time bigint,
               published_late bigint, waiting bigint, withheld bigint, missing integer, withheld_bases jsonb,
               due_on date, filed_at timestamptz, closed boolean)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH m AS (
        SELECT u.unit, u.first, (u.first OPERATOR(pg_catalog.+) '1 month'::pg_catalog.interval)::pg_catalog.date AS next
          FROM (SELECT @extschema@.double_publicity_unit($1, $2) AS unit,
                       $2 OPERATOR(pg_catalog.-) (pg_catalog.extract('day', $2)::integer OPERATOR(pg_catalog.-) 1) AS first) u
    ),
    -- the first time the platform received each record's decision from the intake
    ir AS (
        SELECT i.record_id, pg_catalog.min(i.received_at) AS received_at
          FROM m
          JOIN @extschema@.intake_row i
            ON i.department OPERATOR(pg_catalog.=) m.unit AND i.status OPERATOR(pg_catalog.<>) 'rejected'
           AND i.decided OPERATOR(pg_catalog.>=) m.first AND i.decided OPERATOR(pg_catalog.<) m.next
         WHERE i.record_id IS NOT NULL
         GROUP BY i.record_id
    ),
    r AS (
        SELECT c.category AS kind, r.decided_on,
               CASE WHEN r.publicity_until IS NOT NULL THEN NULL
                    WHEN r.details OPERATOR(pg_catalog.->>) 'penalty_kind' OPERATOR(pg_catalog.=) 'warning'
                    THEN 'warning only (警告): not published'
                    ELSE pg_catalog.format('item %s: not published', c.code) END AS basis,
               LEAST(r.created_at, ir.received_at)::pg_catalog.date
                   OPERATOR(pg_catalog.<=) @extschema@.add_working_days(r.decided_on, 7) AS timely
          FROM m
          JOIN @extschema@.record r
            ON r.department OPERATOR(pg_catalog.=) m.unit
           AND r.decided_on OPERATOR(pg_catalog.>=) m.first AND r.decided_on OPERATOR(pg_catalog.<) m.next
          JOIN @extschema@.catalog_item c
            ON c.code OPERATOR(pg_catalog.=) r.item_code AND c.category IN ('license', 'penalty')
          LEFT JOIN ir ON ir.record_id OPERATOR(pg_catalog.=) r.id
    ),
    w AS (
        SELECT DISTINCT i.category AS kind, i.item_code, pg_catalog.btrim(i.document_no) AS document_no
          FROM m
          JOIN @extschema@.intake_row i
            ON i.department OPERATOR(pg_catalog.=) m.unit AND i.status OPERATOR(pg_catalog.=) 'waiting'
           AND i.decided OPERATOR(pg_catalog.>=) m.first AND i.decided OPERATOR(pg_catalog.<) m.next
           AND i.category IN ('license', 'penalty')
    ),
    x AS (
        SELECT h.kind, h.legal_basis AS basis
          FROM m
          JOIN @extschema@.double_publicity_withheld h
            ON h.department OPERATOR(pg_catalog.=) m.unit
           AND h.decided_on OPERATOR(pg_catalog.>=) m.first AND h.decided_on OPERATOR(pg_catalog.<) m.next
         WHERE NOT EXISTS (SELECT FROM @extschema@.record r
                             JOIN @extschema@.catalog_item c ON c.code OPERATOR(pg_catalog.=) r.item_code
                            WHERE r.department OPERATOR(pg_catalog.=) h.department
                              AND pg_catalog.btrim(r.document_no) OPERATOR(pg_catalog.=) h.document_no
                              AND c.category OPERATOR(pg_catalog.=) h.kind)
        UNION ALL
        SELECT r.kind, r.basis FROM r WHERE r.basis IS NOT NULL
    ),
    t AS (
        SELECT k.kind,
               (SELECT pg_catalog.count(*) FROM r
                 WHERE r.kind OPERATOR(pg_catalog.=) k.kind AND r.basis IS NULL AND r.timely) AS on_time,
               (SELECT pg_catalog.count(*) FROM r
                 WHERE r.kind OPERATOR(pg_catalog.=) k.kind AND r.basis IS NULL AND NOT r.timely) AS late,
               (SELECT pg_catalog.count(*) FROM w WHERE w.kind OPERATOR(pg_catalog.=) k.kind) AS waiting,
               (SELECT pg_catalog.count(*) FROM x WHERE x.kind OPERATOR(pg_catalog.=) k.kind) AS withheld,
               (SELECT pg_catalog.jsonb_object_agg(b.basis, b.n ORDER BY b.basis)
                  FROM (SELECT x.basis, pg_catalog.count(*) AS n FROM x
                         WHERE x.kind OPERATOR(pg_catalog.=) k.kind GROUP BY x.basis) b) AS bases
          FROM (VALUES ('license'::text), ('penalty'::text)) k (kind)
    )
    SELECT m.unit, m.first, t.kind, f.produced, t.on_time, t.late, t.waiting, t.withheld,
           CASE WHEN f.produced IS NOT NULL
                THEN GREATEST(f.produced OPERATOR(pg_catalog.-) (t.on_time OPERATOR(pg_catalog.+) t.late
                                             OPERATOR(pg_catalog.+) t.waiting OPERATOR(pg_catalog.+) t.withheld)::integer, 0) END,
           coalesce(t.bases, '{}'::pg_catalog.jsonb),
           (m.next OPERATOR(pg_catalog.+) 9)::pg_catalog.date, f.filed_at,
           CURRENT_DATE OPERATOR(pg_catalog.>=) m.next
      FROM m CROSS JOIN t
      LEFT JOIN @extschema@.double_publicity_filing f
        ON f.department OPERATOR(pg_catalog.=) m.unit AND f.month OPERATOR(pg_catalog.=) m.first
       AND f.kind OPERATOR(pg_catalog.=) t.kind
     ORDER BY t.kind
$$;
REVOKE ALL ON FUNCTION @extschema@.double_publicity_return(text, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.double_publicity_return(text, date) TO credit_department, credit_analyst, credit_admin;
COMMENT ON FUNCTION @extschema@.double_publicity_return(text, date) IS
    'The monthly double-publicity return (双公示月报) of a unit (NULL: the caller''s only unit) for the month of the given day, one row per kind (license 行政许可, penalty 行政处罚): decisions made (produced, as filed in credit.double_publicity_filing; NULL until filed), received within 7 working days of the decision (published_on_time; working days of credit.calendar_day) or later (published_late), waiting for their subject, withheld with a legal basis (credit.double_publicity_withheld, and records not published by rule), missing (produced less all those, never below 0; NULL until filed), the count per legal basis, the due date (the 10th of the next month), when the figure was filed and whether the month is over. A unit reads its own return, analysts and administrators every unit''s (42501 otherwise)';

-- Every unit's returns for the months it has decisions, filings or waiting
-- rows in, for BI tools: the rows of credit.double_publicity_return the
-- reader may read (its own units', all for analysts and administrators).
CREATE VIEW @extschema@.v_double_publicity_return WITH (security_barrier) AS
SELECT d.*
  FROM (SELECT u.department, u.month
          FROM (SELECT r.department, pg_catalog.date_trunc('month', r.decided_on)::date AS month
                  FROM @extschema@.record r
                  JOIN @extschema@.catalog_item c ON c.code OPERATOR(pg_catalog.=) r.item_code
                 WHERE c.category IN ('license', 'penalty')
                UNION
                SELECT f.department, f.month FROM @extschema@.double_publicity_filing f
                UNION
                SELECT h.department, pg_catalog.date_trunc('month', h.decided_on)::date
                  FROM @extschema@.double_publicity_withheld h
                UNION
                SELECT i.department, pg_catalog.date_trunc('month', i.decided)::date
                  FROM @extschema@.intake_row i
                 WHERE i.status OPERATOR(pg_catalog.=) 'waiting' AND i.category IN ('license', 'penalty')) u
         WHERE u.department OPERATOR(pg_catalog.=) ANY (@extschema@.acting_departments())
            OR pg_catalog.pg_has_role('credit_analyst', 'USAGE')
            OR pg_catalog.pg_has_role('credit_admin', 'USAGE')
        -- (the readable months first: the return refuses the others)
        OFFSET 0) u
 CROSS JOIN LATERAL @extschema@.double_publicity_return(u.department, u.month) d;
COMMENT ON VIEW @extschema@.v_double_publicity_return IS
    'The monthly double-publicity returns (双公示月报, credit.double_publicity_return) of every unit and month with licence or penalty decisions, filed figures or waiting rows: a unit reads its own, analysts and administrators all';
GRANT SELECT ON @extschema@.v_double_publicity_return TO credit_admin, credit_department, credit_analyst;
COMMENT ON COLUMN @extschema@.v_double_publicity_return.department IS 'Unit of the return (credit.department.code)';
COMMENT ON COLUMN @extschema@.v_double_publicity_return.month IS 'First day of the month of the decisions';
COMMENT ON COLUMN @extschema@.v_double_publicity_return.kind IS 'license (行政许可) or penalty (行政处罚)';
COMMENT ON COLUMN @extschema@.v_double_publicity_return.produced IS 'Decisions made (产生数), as the unit filed them (credit.double_publicity_filing); NULL until filed';
COMMENT ON COLUMN @extschema@.v_double_publicity_return.published_on_time IS 'Decisions received within 7 working days of the decision (credit.calendar_day) and published';
COMMENT ON COLUMN @extschema@.v_double_publicity_return.published_late IS 'Decisions received later than 7 working days after the decision, and published';
COMMENT ON COLUMN @extschema@.v_double_publicity_return.waiting IS 'Decisions received whose subject is not registered yet (intake rows waiting), not published';
COMMENT ON COLUMN @extschema@.v_double_publicity_return.withheld IS 'Decisions not published with a legal basis (不予公示): filed in credit.double_publicity_withheld, or records not published by rule (a warning only, an item not published)';
COMMENT ON COLUMN @extschema@.v_double_publicity_return.missing IS 'Decisions made but neither received nor withheld (未报送): produced less the others, never below 0; NULL until filed';
COMMENT ON COLUMN @extschema@.v_double_publicity_return.withheld_bases IS 'The withheld decisions per legal basis, as a JSON object (basis: count)';
COMMENT ON COLUMN @extschema@.v_double_publicity_return.due_on IS 'Due date of the return: the 10th of the next month';
COMMENT ON COLUMN @extschema@.v_double_publicity_return.filed_at IS 'When the unit last filed its figure of decisions made; NULL: not filed';
COMMENT ON COLUMN @extschema@.v_double_publicity_return.closed IS 'Whether the month is over (today is in a later month): no decision of it is still to come';
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
-- Credit reports (信用报告, docs/reports.md): a subject's report as of now, signed
-- with the platform's Ed25519 key (C: src/report.c), verifiable by anyone
-- holding the platform's public keys.  Keys: docs/security.md; format and
-- verification: docs/reports.md.

-- Ed25519 primitives (OpenSSL EVP).
CREATE FUNCTION @extschema@.ed25519_public_key(public_key text) RETURNS text
    AS 'MODULE_PATHNAME', 'credit_ed25519_public_key'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ed25519_public_key(text) IS
    'An Ed25519 public key given as PEM (BEGIN PUBLIC KEY), 64 hexadecimal digits or the base64 of its 32 bytes, returned in canonical PEM (SubjectPublicKeyInfo); 22P02 when malformed, not canonical (y >= 2^255 - 19) or not a point of the curve, 22023 for a point of small order (under which signatures can be forged)';
CREATE FUNCTION @extschema@.ed25519_key_id(public_key text) RETURNS text
    AS 'MODULE_PATHNAME', 'credit_ed25519_key_id'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ed25519_key_id(text) IS
    'Key id of an Ed25519 public key (any key credit.ed25519_public_key accepts): the first 16 hexadecimal digits of the SHA-256 of its 32 bytes';
CREATE FUNCTION @extschema@.ed25519_verify(public_key text, message bytea, signature bytea) RETURNS boolean
    AS 'MODULE_PATHNAME', 'credit_ed25519_verify'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ed25519_verify(text, bytea, bytea) IS
    'True when signature (64 bytes) is a valid Ed25519 signature of message under public_key (PEM, hexadecimal or base64), verified strictly (RFC 8032 5.1.7): false for a key or an R of small order or not canonically encoded, and for S not below the group order; 22P02 when the key is malformed';

-- The platform's keys.
CREATE FUNCTION @extschema@.generate_signing_key(OUT seed text, OUT key_id text, OUT public_key text) RETURNS record
    AS 'MODULE_PATHNAME', 'credit_generate_signing_key'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.generate_signing_key() IS
    'A new random Ed25519 key for signing credit reports (superusers only): seed (64 hexadecimal digits, the private key to put in credit.report_signing_key), its key id and public key (PEM). Installs nothing';
CREATE FUNCTION @extschema@.report_public_key() RETURNS text
    AS 'MODULE_PATHNAME', 'credit_report_public_key'
    LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.report_public_key() IS
    'Public key (PEM) of the key that signs credit reports now (credit.report_signing_key), for verifiers; 55000 when no key is set. Keys that signed earlier reports are in credit.signing_key';
CREATE FUNCTION @extschema@.report_key_id() RETURNS text
    AS 'MODULE_PATHNAME', 'credit_report_key_id'
    LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.report_key_id() IS
    'Key id of the key that signs credit reports now (credit.ed25519_key_id of credit.report_public_key()); 55000 when no key is set';

-- Every public key that has signed reports, by key id: old reports still
-- verify after the key is replaced.  Public data: no private key is stored.
CREATE TABLE @extschema@.signing_key (
    key_id        text PRIMARY KEY,
    public_key    text NOT NULL UNIQUE,
    algorithm     text NOT NULL DEFAULT 'Ed25519' CHECK (algorithm = 'Ed25519'),
    registered_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    revoked_at    timestamptz,
    note          text,
    CONSTRAINT signing_key_id CHECK (key_id = @extschema@.ed25519_key_id(public_key))
);
COMMENT ON TABLE @extschema@.signing_key IS
    'Public keys of the platform that sign credit reports (报告签名公钥), by key id: a key is registered when it first signs a report (or by an administrator); credit.verify_report looks the key up by the key_id a report names, so reports signed before a key change still verify. Never holds a private key';
COMMENT ON COLUMN @extschema@.signing_key.key_id IS 'First 16 hexadecimal digits of the SHA-256 of the 32-byte public key (credit.ed25519_key_id)';
COMMENT ON COLUMN @extschema@.signing_key.public_key IS 'Ed25519 public key, canonical PEM (SubjectPublicKeyInfo)';
COMMENT ON COLUMN @extschema@.signing_key.revoked_at IS
    'Set when the private key was exposed: reports signed with it no longer verify (a stolen key can sign with any date), and credit.report refuses to sign with it';

-- Public keys of credit.signing_key and credit.agency in canonical PEM, key id derived.
CREATE FUNCTION @extschema@.public_key_maintain() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF @extschema@.restoring() THEN
        RETURN NEW;
    END IF;
    NEW.public_key := @extschema@.ed25519_public_key(NEW.public_key);
    NEW.key_id := @extschema@.ed25519_key_id(NEW.public_key);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.public_key_maintain() IS
    'Trigger of credit.signing_key and credit.agency: reads the public key (PEM, hexadecimal or base64; 22P02 when malformed), stores it in canonical PEM and derives its key id; skipped while restoring a dump';
CREATE TRIGGER public_key_maintain BEFORE INSERT OR UPDATE OF public_key, key_id ON @extschema@.signing_key
    FOR EACH ROW EXECUTE FUNCTION @extschema@.public_key_maintain();

-- The report, unsigned: run by credit.report with the extension owner's
-- rights (the caller's own rights decide whole_id), logged in the query log.
CREATE FUNCTION @extschema@.report_content(subject_id bigint, purpose text, whole_id boolean,
                                           requested_by name, key_id text, public_key text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p_subject   ALIAS FOR $1;
    p_purpose   ALIAS FOR $2;
    s           record;
    issuer      jsonb;
    grades      jsonb;
    recs        jsonb;
    counts      jsonb;
    lists       jsonb;
    report_id   uuid := gen_random_uuid();
    revoked     timestamptz;
BEGIN
    SELECT x.id, x.kind, x.name, x.uscc, x.person_id, x.division, x.legal_rep, x.registered_on, x.status
      INTO s FROM @extschema@.subject x WHERE x.id = p_subject;
    IF NOT FOUND THEN
        PERFORM @extschema@.subject_missing(p_subject);
    END IF;
    -- the signing key is registered for verifiers, and a revoked one refused
    INSERT INTO @extschema@.signing_key AS k (key_id, public_key)
        VALUES (report_content.key_id, report_content.public_key)
        ON CONFLICT DO NOTHING;
    SELECT k.revoked_at INTO revoked FROM @extschema@.signing_key k WHERE k.key_id = report_content.key_id;
    IF revoked IS NOT NULL THEN
        RAISE EXCEPTION 'the report signing key % is revoked', report_content.key_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('credit.signing_key says it was revoked at %s.', revoked),
                  HINT = 'A superuser sets a new key (credit.generate_signing_key()) in credit.report_signing_key.';
    END IF;

    SELECT jsonb_strip_nulls(jsonb_build_object('code', d.code, 'name', d.name, 'uscc', d.uscc))
      INTO issuer FROM @extschema@.department d WHERE d.code = 'platform';
    SELECT coalesce(jsonb_agg(jsonb_build_object('model', g.model, 'grade', g.grade,
                                                 'score', round(g.score, 2), 'as_of', g.anchor)
                              ORDER BY g.model), '[]')
      INTO grades FROM @extschema@.subject_grade g WHERE g.subject_id = s.id;
    SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                        'id', r.id, 'item', r.item_code, 'name', c.name, 'category', c.category,
                        'polarity', c.polarity, 'severity', c.severity,
                        'department', r.department, 'department_name', d.name,
                        'document_no', r.document_no, 'decided_on', r.decided_on, 'amount', r.amount,
                        'status', r.status, 'publicity_until', r.publicity_until))
                    ORDER BY r.decided_on DESC, r.id), '[]')
      INTO recs
      FROM @extschema@.record r
      JOIN @extschema@.catalog_item c ON c.code = r.item_code
      JOIN @extschema@.department d ON d.code = r.department
     WHERE r.subject_id = s.id AND @extschema@.is_published(r.status, r.publicity_until);
    SELECT coalesce(jsonb_object_agg(n.category, n.records), '{}') INTO counts
      FROM (SELECT value ->> 'category' AS category, count(*) AS records
              FROM jsonb_array_elements(recs) GROUP BY 1) n;
    SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                        'list', x.list_code, 'name', l.name, 'kind', x.kind, 'listed_on', x.listed_on,
                        'expires_on', x.expires_on, 'document_no', x.document_no, 'department', x.department))
                    ORDER BY x.list_code, x.listed_on, x.department NULLS FIRST), '[]')
      INTO lists
      FROM @extschema@.subject_listings(s.id) x JOIN @extschema@.list l ON l.code = x.list_code
     -- a listing made by a unit's record only where the requester may read
     -- that record (read here with the owner's rights)
     WHERE x.department IS NULL OR @extschema@.caller_reads_record(x.department, l.item_code);

    PERFORM @extschema@.log_lookup(s.id, p_purpose,
                jsonb_build_object('lookup', 'report', 'report_id', report_id, 'role', requested_by,
                                   'key_id', report_content.key_id, 'whole_id', whole_id));

    RETURN jsonb_build_object(
        'format', 'credit-report/1',
        'report_id', report_id,
        'issued_at', pg_catalog.now(),
        'issuer', issuer,
        'requested_by', requested_by,
        'purpose', p_purpose,
        'subject', jsonb_strip_nulls(jsonb_build_object(
            'id', s.id, 'kind', s.kind, 'name', s.name, 'uscc', s.uscc,
            'person_id', CASE WHEN whole_id THEN s.person_id::text ELSE @extschema@.mask(s.person_id) END,
            'division', s.division, 'legal_rep', s.legal_rep, 'registered_on', s.registered_on,
            'status', s.status)),
        'grades', grades,
        'records', recs,
        'record_counts', counts,
        'lists', lists,
        'key_id', report_content.key_id);
END
$$;
REVOKE ALL ON FUNCTION @extschema@.report_content(bigint, text, boolean, name, text, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.report_content(bigint, text, boolean, name, text, text) IS
    'Internal to credit.report, which runs it with the extension owner''s rights: the unsigned report of a subject (ID number whole when whole_id, else masked), the signing key registered in credit.signing_key (refused when revoked), the report logged in credit.query_log';

CREATE FUNCTION @extschema@.report(subject_id bigint, purpose text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'credit_report'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.report(bigint, text) IS
    'Credit report (信用报告) of a subject as of now, signed with Ed25519: format, report_id, issued_at, issuer (the platform), requested_by, purpose, subject (ID number whole only for roles that may read credit.subject.person_id, else masked), current grades, published records (credit.is_published) and their counts by category, active lists, key_id, and signature (hex) over the UTF-8 text of the report without its signature member. Every report is logged in credit.query_log; a purpose is required (22023); 55000 when no signing key is set';

-- VOLATILE, not STABLE: it must see the key registered by a report issued
-- earlier in the same statement (SELECT credit.verify_report(credit.report(...))).
CREATE FUNCTION @extschema@.verify_report(report jsonb) RETURNS boolean
LANGUAGE sql VOLATILE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((
        SELECT @extschema@.ed25519_verify(k.public_key,
                                          pg_catalog.convert_to((report - 'signature')::text, 'UTF8'),
                                          pg_catalog.decode(report ->> 'signature', 'hex'))
          FROM @extschema@.signing_key k
         WHERE k.key_id = report ->> 'key_id' AND k.revoked_at IS NULL
           AND pg_catalog.jsonb_typeof(report -> 'signature') = 'string'
           AND report ->> 'signature' ~ '^[0-9a-f]{128}$'), false)
$$;
COMMENT ON FUNCTION @extschema@.verify_report(jsonb) IS
    'True when a credit report''s signature verifies under the platform public key its key_id names (credit.signing_key, not revoked); false for a changed report, an unknown or revoked key id, or a missing or malformed signature. Needs no private key';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.signing_key', '');

REVOKE ALL ON FUNCTION @extschema@.report(bigint, text), @extschema@.generate_signing_key() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.report(bigint, text) TO credit_admin, credit_department, credit_analyst;
-- Public keys are registered by the code that signs (with the private key,
-- which only superusers set): no role may add, change or revoke one.
GRANT SELECT ON @extschema@.signing_key TO credit_admin, credit_department, credit_analyst, credit_public;
GRANT EXECUTE ON FUNCTION @extschema@.verify_report(jsonb), @extschema@.report_public_key(), @extschema@.report_key_id()
    TO credit_admin, credit_department, credit_analyst, credit_public;
-- Third-party credit reports (第三方信用报告): reports of credit service
-- agencies that units receive (e.g. with a bid), filed on the platform and
-- checked: the agency's Ed25519 signature, the subject they name, and what
-- they state against platform data (docs/reports.md).

-- Credit service agencies whose reports are accepted, with their public keys.
CREATE TABLE @extschema@.agency (
    code        text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9_.-]{1,40}$'),
    name        text NOT NULL,
    public_key  text NOT NULL,
    key_id      text NOT NULL,
    uscc        @extschema@.uscc,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT agency_key_id CHECK (key_id = @extschema@.ed25519_key_id(public_key))
);
COMMENT ON TABLE @extschema@.agency IS
    'Credit service agencies (信用服务机构) whose credit reports are filed on the platform, with the Ed25519 public key their reports are signed with';
COMMENT ON COLUMN @extschema@.agency.public_key IS
    'Ed25519 public key: given as PEM (BEGIN PUBLIC KEY), 64 hexadecimal digits or the base64 of 32 bytes (22P02 when malformed), stored in canonical PEM';
COMMENT ON COLUMN @extschema@.agency.key_id IS 'Key id of public_key (credit.ed25519_key_id), maintained';
CREATE TRIGGER public_key_maintain BEFORE INSERT OR UPDATE OF public_key, key_id ON @extschema@.agency
    FOR EACH ROW EXECUTE FUNCTION @extschema@.public_key_maintain();

-- The reports as received.
CREATE TABLE @extschema@.third_party_report (
    id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    agency      text NOT NULL REFERENCES @extschema@.agency (code) ON UPDATE CASCADE,
    report_no   text,
    subject_id  bigint REFERENCES @extschema@.subject (id),
    issued_at   timestamptz NOT NULL,
    content     jsonb NOT NULL,
    document    text,
    signature   bytea NOT NULL,
    purpose     text,
    department  text REFERENCES @extschema@.department (code) ON UPDATE CASCADE,
    received_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    filed_by    name NOT NULL DEFAULT session_user,
    checked_at  timestamptz,
    check_ok    boolean
);
COMMENT ON TABLE @extschema@.third_party_report IS
    'Third-party credit reports (第三方信用报告) filed by units: the agency, the subject, what the report states (content) and the agency''s Ed25519 signature; credit.verify_third_party_report checks them against the agency''s key and platform data';
COMMENT ON COLUMN @extschema@.third_party_report.report_no IS 'The agency''s own number of the report; taken from content.report_no when not given';
COMMENT ON COLUMN @extschema@.third_party_report.subject_id IS
    'Subject the report is filed for; when not given, the subject whose USCC or ID number the report names (content.subject), if any';
COMMENT ON COLUMN @extschema@.third_party_report.issued_at IS 'When the agency issued the report; taken from content.issued_at when not given';
COMMENT ON COLUMN @extschema@.third_party_report.content IS
    'The report as JSON: subject {uscc | person_id, name}, issued_at, and the statements compared with platform data: claims {no_serious_dishonesty, not_listed}, grades [{model, grade}] (docs/reports.md); derived from document when that is given';
COMMENT ON COLUMN @extschema@.third_party_report.document IS
    'The exact JSON text the agency signed, when filed as received; NULL: the agency signed the canonical text of content (content::text)';
COMMENT ON COLUMN @extschema@.third_party_report.signature IS 'Ed25519 signature (64 bytes) of document, or of content::text when document is NULL, in UTF-8';
COMMENT ON COLUMN @extschema@.third_party_report.purpose IS 'Why the unit received the report (e.g. a procurement bid)';
COMMENT ON COLUMN @extschema@.third_party_report.department IS 'Unit that filed the report (NULL: an administrator)';
COMMENT ON COLUMN @extschema@.third_party_report.checked_at IS 'When credit.verify_third_party_report last checked the report';
COMMENT ON COLUMN @extschema@.third_party_report.check_ok IS 'Whether every check passed at checked_at';
-- Keyed by the subject as the per-subject tables are (subject_id NULL: a
-- report about no registered subject).
CREATE UNIQUE INDEX third_party_report_subject_idx ON @extschema@.third_party_report (subject_id, id);
CREATE INDEX third_party_report_agency_idx ON @extschema@.third_party_report (agency, issued_at);

-- The subject a report names by identifier: (kind, canonical identifier,
-- subject id); kind NULL when none is named, subject NULL when none matches.
-- A malformed identifier is returned as given, with subject NULL.
CREATE FUNCTION @extschema@.report_subject(content jsonb, OUT kind text, OUT identifier text, OUT subject_id bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    identifier := content #>> '{subject,uscc}';
    IF identifier IS NOT NULL THEN
        kind := 'uscc';
        IF @extschema@.uscc_check(identifier) IS NULL THEN
            identifier := identifier::@extschema@.uscc::text;
            SELECT s.id INTO subject_id FROM @extschema@.subject s
             WHERE s.uscc OPERATOR(pg_catalog.=) identifier::@extschema@.uscc;
        END IF;
        RETURN;
    END IF;
    identifier := content #>> '{subject,person_id}';
    IF identifier IS NOT NULL THEN
        kind := 'person_id';
        IF @extschema@.resident_id_check(identifier) IS NULL THEN
            identifier := identifier::@extschema@.resident_id::text;
            SELECT s.id INTO subject_id FROM @extschema@.subject s
             WHERE s.person_id OPERATOR(pg_catalog.=) identifier::@extschema@.resident_id;
        END IF;
    END IF;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.report_subject(jsonb) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.report_subject(jsonb) IS
    'Internal: the subject a third-party report names (content.subject.uscc, else content.subject.person_id): kind of identifier, canonical identifier, and the platform subject that has it (NULL when none or malformed)';

-- Content from the document, issued_at from the content, the subject from its identifier.
-- SECURITY DEFINER: resolving a person's ID number reads credit.subject.person_id,
-- which units cannot read, and logs the look-up in credit.query_log, which they
-- cannot write; this function does that, and only that, for them.
CREATE FUNCTION @extschema@.third_party_report_maintain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    parsed jsonb;
    named  record;
BEGIN
    IF @extschema@.restoring() THEN
        RETURN NEW;
    END IF;
    IF NEW.document IS NOT NULL THEN
        parsed := NEW.document::jsonb;
        IF NEW.content IS NOT NULL AND NEW.content IS DISTINCT FROM parsed
           AND (TG_OP = 'INSERT' OR NEW.content IS DISTINCT FROM OLD.content) THEN
            RAISE EXCEPTION 'content of third-party report differs from its document'
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Give the document as received; content is derived from it.';
        END IF;
        NEW.content := parsed;
    END IF;
    IF jsonb_typeof(NEW.content) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'content of a third-party report must be a JSON object'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NEW.report_no IS NULL THEN
        NEW.report_no := NEW.content ->> 'report_no';
    END IF;
    IF NEW.issued_at IS NULL AND NEW.content ? 'issued_at' THEN
        NEW.issued_at := (NEW.content ->> 'issued_at')::timestamptz;
    END IF;
    IF NEW.subject_id IS NULL THEN
        named := @extschema@.report_subject(NEW.content);
        NEW.subject_id := named.subject_id;
        -- resolving an ID number is a look-up of a person: logged, like credit.find_person
        IF named.kind = 'person_id' THEN
            PERFORM @extschema@.log_lookup(named.subject_id, coalesce(NEW.purpose, 'third-party report filed'),
                    jsonb_build_object('lookup', 'third_party_report', 'third_party_report', NEW.id,
                                       'id', CASE WHEN @extschema@.resident_id_check(named.identifier) IS NULL
                                                  THEN @extschema@.mask(named.identifier::@extschema@.resident_id) END,
                                       'found', named.subject_id IS NOT NULL));
        END IF;
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.third_party_report_maintain() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.third_party_report_maintain() IS
    'Trigger of credit.third_party_report: content parsed from document (22023 when both are given and differ), report_no and issued_at from content.report_no and content.issued_at, and the subject from the identifier content.subject names, when not given (resolving an ID number is logged in credit.query_log); skipped while restoring a dump';
CREATE TRIGGER third_party_report_maintain BEFORE INSERT OR UPDATE OF document, content, report_no, issued_at, subject_id
    ON @extschema@.third_party_report
    FOR EACH ROW EXECUTE FUNCTION @extschema@.third_party_report_maintain();

-- A subject's grade under a model at a moment: from the grade changes, else the current grade.
CREATE FUNCTION @extschema@.grade_at(subject_id bigint, model text, at timestamptz) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    g text;
BEGIN
    SELECT c.new_grade INTO g FROM @extschema@.grade_change c
     WHERE c.subject_id = grade_at.subject_id AND c.model = grade_at.model AND c.changed_at <= at
     ORDER BY c.changed_at DESC, c.id DESC LIMIT 1;
    IF FOUND THEN
        RETURN g;
    END IF;
    SELECT c.old_grade INTO g FROM @extschema@.grade_change c
     WHERE c.subject_id = grade_at.subject_id AND c.model = grade_at.model AND c.changed_at > at
     ORDER BY c.changed_at, c.id LIMIT 1;
    IF FOUND THEN
        RETURN g;
    END IF;
    SELECT sg.grade INTO g FROM @extschema@.subject_grade sg
     WHERE sg.subject_id = grade_at.subject_id AND sg.model = grade_at.model;
    RETURN g;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.grade_at(bigint, text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.grade_at(bigint, text, timestamptz) TO credit_analyst, credit_admin;
COMMENT ON FUNCTION @extschema@.grade_at(bigint, text, timestamptz) IS
    'A subject''s grade under a model at a moment: the new grade of the last credit.grade_change up to then, else the old grade of the first one after, else the current grade (credit.subject_grade); NULL when it had none';

-- The checks, with the owner's rights (called by credit.verify_third_party_report).
CREATE FUNCTION @extschema@.third_party_checks(id bigint)
RETURNS TABLE (check_name text, ok boolean, detail text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p_id       ALIAS FOR $1;
    r          @extschema@.third_party_report;
    ag         @extschema@.agency;
    named      record;
    who        text;
    stated     text;
    stated_at  timestamptz;
    sig_ok     boolean;
    subj_ok    boolean;
    all_ok     boolean := true;
    as_of      date;
    claims     jsonb;
    conflicts  text[] := '{}';
    compared   text[] := '{}';
    skipped    text[] := '{}';
    item       jsonb;
    platform   text;
    facts      text;
    warning_id bigint;
BEGIN
    SELECT * INTO r FROM @extschema@.third_party_report t WHERE t.id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'third-party report % does not exist', p_id USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO ag FROM @extschema@.agency a WHERE a.code = r.agency;

    -- signature: of the document as received, or of the canonical text of content
    sig_ok := @extschema@.ed25519_verify(ag.public_key,
                                         convert_to(coalesce(r.document, r.content::text), 'UTF8'), r.signature);
    check_name := 'signature';
    ok := sig_ok;
    detail := format(CASE WHEN sig_ok THEN 'valid Ed25519 signature of agency %s (key %s) over the %s'
                          ELSE 'the signature does not verify under the public key of agency %s (key %s) over the %s' END,
                     ag.code, ag.key_id, CASE WHEN r.document IS NULL THEN 'canonical text of content' ELSE 'document as received' END);
    RETURN NEXT;
    all_ok := all_ok AND ok;

    -- subject: the identifier the report names is a platform subject, the one filed for.
    -- Not checked, and nothing compared with platform data, for a report the
    -- agency did not sign: a forged report learns nothing of the platform.
    IF NOT sig_ok THEN
        check_name := 'subject';
        ok := NULL;
        detail := 'not checked: the signature does not verify';
        RETURN NEXT;
    END IF;
    named := @extschema@.report_subject(r.content);
    who := CASE WHEN named.kind = 'person_id' AND @extschema@.resident_id_check(named.identifier) IS NULL
                THEN 'ID number ' || @extschema@.mask(named.identifier::@extschema@.resident_id)
                WHEN named.kind = 'person_id' THEN 'ID number'
                ELSE 'USCC ' || named.identifier END;
    check_name := 'subject';
    IF NOT sig_ok THEN
        NULL;
    ELSIF named.kind IS NULL THEN
        ok := false;
        detail := 'the report names no subject identifier (subject.uscc or subject.person_id)';
    ELSIF named.kind = 'uscc' AND @extschema@.uscc_check(named.identifier) IS NOT NULL THEN
        ok := false;
        detail := format('subject.uscc is not a valid USCC: %s', @extschema@.uscc_check(named.identifier));
    ELSIF named.kind = 'person_id' AND @extschema@.resident_id_check(named.identifier) IS NOT NULL THEN
        ok := false;
        detail := format('subject.person_id is not a valid ID number: %s', @extschema@.resident_id_check(named.identifier));
    ELSIF named.subject_id IS NULL THEN
        ok := false;
        detail := format('no subject on the platform has %s', who);
    ELSIF r.subject_id IS DISTINCT FROM named.subject_id THEN
        ok := false;
        detail := format('the report names %s (%s), but is filed for %s',
                         (SELECT s.name FROM @extschema@.subject s WHERE s.id = named.subject_id), who,
                         coalesce((SELECT s.name FROM @extschema@.subject s WHERE s.id = r.subject_id), 'no subject'));
    ELSE
        ok := true;
        detail := format('%s is %s, the subject the report is filed for', who,
                         (SELECT s.name FROM @extschema@.subject s WHERE s.id = named.subject_id));
    END IF;
    IF sig_ok THEN
        subj_ok := ok;
        -- resolving an ID number is a look-up of a person: logged before it is answered
        IF named.kind = 'person_id' THEN
            PERFORM @extschema@.log_lookup(named.subject_id, coalesce(r.purpose, 'third-party report checked'),
                    jsonb_build_object('lookup', 'third_party_report_check', 'third_party_report', r.id,
                                       'found', named.subject_id IS NOT NULL));
        END IF;
        RETURN NEXT;
        all_ok := all_ok AND ok;
    END IF;

    -- issued_at: the date on the row is the one the agency signed, and not in the future
    check_name := 'issued_at';
    stated := r.content ->> 'issued_at';
    BEGIN
        stated_at := stated::timestamptz;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow THEN
        stated_at := NULL;
    END;
    IF stated IS NULL THEN
        ok := false;
        detail := 'the report states no issued_at';
    ELSIF stated_at IS NULL THEN
        ok := false;
        detail := format('the report states issued_at %s, which is not a time', stated);
    ELSIF stated_at <> r.issued_at THEN
        ok := false;
        detail := format('the report states issued_at %s, the row says %s', stated, to_jsonb(r.issued_at) #>> '{}');
    ELSIF r.issued_at > r.received_at THEN
        ok := false;
        detail := format('issued at %s, after it was received (%s)', to_jsonb(r.issued_at) #>> '{}', to_jsonb(r.received_at) #>> '{}');
    ELSE
        ok := true;
        detail := format('issued at %s', to_jsonb(r.issued_at) #>> '{}');
    END IF;
    RETURN NEXT;
    all_ok := all_ok AND ok;

    -- conflicts: what the report states against platform data as of its issue date
    check_name := 'conflicts';
    IF NOT sig_ok THEN
        ok := NULL;
        detail := 'not compared: the signature does not verify';
        RETURN NEXT;
    ELSIF r.subject_id IS NULL THEN
        ok := NULL;
        detail := 'not compared: the report is filed for no platform subject';
        RETURN NEXT;
        all_ok := false;
    ELSE
        as_of := r.issued_at::date;
        claims := coalesce(r.content -> 'claims', '{}');
        IF claims -> 'no_serious_dishonesty' = 'true' THEN
            compared := compared || 'no_serious_dishonesty'::text;
            SELECT string_agg(f, ' and ' ORDER BY f) INTO facts FROM (
                SELECT format('on black list %s since %s', x.list_code, @extschema@.iso_date(x.listed_on)) AS f
                  FROM @extschema@.subject_listings(r.subject_id, as_of) x
                 WHERE x.kind = 'black' AND (x.department IS NULL OR @extschema@.caller_reads_record(x.department,
                           (SELECT l.item_code FROM @extschema@.list l WHERE l.code = x.list_code)))
                UNION ALL
                SELECT format('under serious record %s of %s (%s)', rc.item_code, @extschema@.iso_date(rc.decided_on),
                              coalesce(rc.document_no, 'no document number'))
                  FROM @extschema@.record rc JOIN @extschema@.catalog_item c ON c.code = rc.item_code
                 WHERE rc.subject_id = r.subject_id AND rc.status = 'active'
                   AND c.severity = 'serious' AND c.polarity = 'negative' AND rc.decided_on <= as_of
                   -- only what the caller may read: no other unit's hidden records
                   AND @extschema@.caller_reads_record(rc.department, rc.item_code)
                   AND NOT EXISTS (SELECT 1 FROM @extschema@.list l WHERE l.item_code = rc.item_code)) x;
            IF facts IS NOT NULL THEN
                conflicts := conflicts || format('states no serious dishonesty, but the subject is %s', facts);
            END IF;
        END IF;
        IF jsonb_typeof(claims -> 'not_listed') = 'array' THEN
            compared := compared || 'not_listed'::text;
            SELECT string_agg(format('%s since %s', x.list_code, @extschema@.iso_date(x.listed_on)), ', ' ORDER BY x.list_code, x.listed_on)
              INTO facts
              FROM @extschema@.subject_listings(r.subject_id, as_of) x
             WHERE x.list_code IN (SELECT jsonb_array_elements_text(claims -> 'not_listed'))
               AND (x.department IS NULL OR @extschema@.caller_reads_record(x.department,
                        (SELECT l.item_code FROM @extschema@.list l WHERE l.code = x.list_code)));
            IF facts IS NOT NULL THEN
                conflicts := conflicts || format('states the subject is not on %s, but it is on %s',
                                                 (SELECT string_agg(v, ', ') FROM jsonb_array_elements_text(claims -> 'not_listed') v),
                                                 facts);
            END IF;
        END IF;
        IF jsonb_typeof(r.content -> 'grades') = 'array' THEN
            FOR item IN SELECT g FROM jsonb_array_elements(r.content -> 'grades') g
            LOOP
                IF NOT EXISTS (SELECT 1 FROM @extschema@.model m WHERE m.code = item ->> 'model') THEN
                    skipped := skipped || format('grade under %s (not a platform model)', coalesce(item ->> 'model', 'no model'));
                    CONTINUE;
                END IF;
                platform := @extschema@.grade_at(r.subject_id, item ->> 'model', r.issued_at);
                IF platform IS NULL THEN
                    skipped := skipped || format('grade under %s (no platform grade then)', item ->> 'model');
                    CONTINUE;
                END IF;
                compared := compared || format('grade under %s', item ->> 'model');
                IF platform IS DISTINCT FROM item ->> 'grade' THEN
                    conflicts := conflicts || format('states grade %s under %s, but the platform grade then was %s',
                                                     coalesce(item ->> 'grade', 'none'), item ->> 'model', platform);
                END IF;
            END LOOP;
        END IF;
        ok := cardinality(conflicts) = 0;
        IF cardinality(compared) = 0 THEN
            detail := 'the report states nothing the platform compares (claims.no_serious_dishonesty, claims.not_listed, grades under platform models)';
        ELSIF ok THEN
            detail := format('no conflict (compared: %s)', array_to_string(compared, ', '));
        ELSE
            detail := array_to_string(conflicts, '; ');
        END IF;
        IF cardinality(skipped) > 0 THEN
            detail := detail || format('; not compared: %s', array_to_string(skipped, ', '));
        END IF;
        IF NOT ok THEN
            -- a warning only from a report the agency signed about the subject filed for
            IF sig_ok AND subj_ok THEN
                warning_id := @extschema@.raise_warning(r.subject_id, 'report_conflict',
                    jsonb_build_object('third_party_report', r.id, 'agency', r.agency, 'report_no', r.report_no,
                                       'issued_at', r.issued_at, 'conflicts', to_jsonb(conflicts)),
                    'third_party_report:' || r.id);
            END IF;
        END IF;
        RETURN NEXT;
        all_ok := all_ok AND ok;
    END IF;

    UPDATE @extschema@.third_party_report t SET checked_at = now(), check_ok = all_ok WHERE t.id = p_id;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.third_party_checks(bigint) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.third_party_checks(bigint) IS
    'Internal to credit.verify_third_party_report, which runs it with the extension owner''s rights: the checks of a third-party report, the report_conflict warning, checked_at and check_ok';

CREATE FUNCTION @extschema@.verify_third_party_report(id bigint)
    RETURNS TABLE (check_name text, ok boolean, detail text)
    AS 'MODULE_PATHNAME', 'credit_verify_third_party_report'
    LANGUAGE C VOLATILE STRICT ROWS 4;
COMMENT ON FUNCTION @extschema@.verify_third_party_report(bigint) IS
    'Checks a third-party credit report (第三方信用报告核验): signature (Ed25519, under the agency''s public key), subject (the USCC or ID number the report names is a platform subject, the one the report is filed for), issued_at (the date signed is the row''s, not after receipt), conflicts (claims.no_serious_dishonesty against active black-list entries and serious negative records, claims.not_listed against active list entries, grades under platform models against the grade then, counting only the records the caller may read; ok NULL when no subject to compare). A report whose signature does not verify is compared with nothing (subject and conflicts ok NULL). Conflicts in a validly signed report about its subject raise a report_conflict warning. Records checked_at and check_ok';

-- Row-level security: a unit files and reads its own reports
-- (credit.acting_departments() as a scalar subquery: once per statement).
ALTER TABLE @extschema@.third_party_report ENABLE ROW LEVEL SECURITY;
CREATE POLICY admin_all ON @extschema@.third_party_report TO credit_admin USING (true) WITH CHECK (true);
CREATE POLICY analyst_read ON @extschema@.third_party_report FOR SELECT TO credit_analyst USING (true);
CREATE POLICY department_read ON @extschema@.third_party_report FOR SELECT TO credit_department
    USING (department = ANY (@extschema@.acting_departments()));
CREATE POLICY department_insert ON @extschema@.third_party_report FOR INSERT TO credit_department
    WITH CHECK (department = ANY (@extschema@.acting_departments()));

-- pg_dump keeps the agencies (with their public keys) and the reports.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.agency', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.third_party_report', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.third_party_report_id_seq', '');

GRANT SELECT ON @extschema@.agency TO credit_department, credit_analyst;
GRANT SELECT, INSERT ON @extschema@.third_party_report TO credit_department;
-- Analysts read reports without what the agency sent (content and document
-- name the subject by its whole ID number); they check them with
-- credit.verify_third_party_report, which shows ID numbers masked.
GRANT SELECT (id, agency, report_no, subject_id, issued_at, purpose, department, received_at, filed_by,
              checked_at, check_ok)
    ON @extschema@.third_party_report TO credit_analyst;
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.agency, @extschema@.third_party_report TO credit_admin;
REVOKE ALL ON FUNCTION @extschema@.verify_third_party_report(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.verify_third_party_report(bigint)
    TO credit_admin, credit_department, credit_analyst;
-- Asking by code: the subject-facing functions also take the subject's code
-- as an approval system has it (USCC, organisation code or ID number, dirty
-- as sent), so no id mapping is needed.  For a literal of unknown type the
-- text versions are chosen; a text of digits only that is no code is read
-- as a subject id, so credit.check('42', ...) still means subject 42.

-- The subject a code names (C: src/by_code.c, the code read by the C
-- parsers and its subject found in credit.subject_code by one saved query,
-- as the owner: a unit may not read ID numbers): 22P02 for a malformed code,
-- P0002 when no subject has it; every look-up by an ID number is logged in
-- credit.query_log first.
CREATE FUNCTION @extschema@.subject_by_code(code text, purpose text) RETURNS bigint
    AS 'MODULE_PATHNAME', 'credit_subject_by_code'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION @extschema@.subject_by_code(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.subject_by_code(text, text) TO credit_department, credit_analyst, credit_admin;
COMMENT ON FUNCTION @extschema@.subject_by_code(text, text) IS
    'Subject id of the subject a code names: a USCC, an old organisation code or an 18- or 15-digit ID number, with white space, hyphens, full-width characters and lower case as sent (a text of digits that is no code is taken as the id itself); 22P02 naming the problem for a malformed code, P0002 when no subject has it; every look-up by ID number is logged in credit.query_log with the purpose';

-- The check by code in one C call: the look-up of credit.subject_by_code
-- (logged with the purpose 'credit check by code: <scenario>'), then
-- credit.check.
CREATE FUNCTION @extschema@.check(code text, scenario text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'credit_check_code'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION @extschema@.check(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.check(text, text) TO credit_department, credit_analyst, credit_admin;
COMMENT ON FUNCTION @extschema@.check(text, text) IS
    'credit.check(subject_id, scenario) of the subject a code names (credit.subject_by_code: USCC, organisation code or ID number as sent)';

-- Measures by code, in one C call as the check by code (the look-up logged
-- with the purpose 'measures by code').
CREATE FUNCTION @extschema@.measures_for(code text, scenario text DEFAULT NULL)
    RETURNS TABLE (measure_code text, name text, kind text, reason text)
    AS 'MODULE_PATHNAME', 'credit_measures_for_code'
    LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 5;
COMMENT ON FUNCTION @extschema@.measures_for(text, text) IS
    'credit.measures_for(subject_id, scenario) of the subject a code names (credit.subject_by_code: USCC, organisation code or ID number as sent)';

CREATE FUNCTION @extschema@.profile(code text) RETURNS jsonb
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT @extschema@.profile(@extschema@.subject_by_code(code, 'profile by code'))
$$;
COMMENT ON FUNCTION @extschema@.profile(text) IS
    'credit.profile(subject_id) of the subject a code names (credit.subject_by_code: USCC, organisation code or ID number as sent)';

CREATE FUNCTION @extschema@.report(code text, purpose text) RETURNS jsonb
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT @extschema@.report(@extschema@.subject_by_code(code, coalesce(purpose, 'report by code')), purpose)
$$;
COMMENT ON FUNCTION @extschema@.report(text, text) IS
    'credit.report(subject_id, purpose) of the subject a code names (credit.subject_by_code: USCC, organisation code or ID number as sent); signed and logged as credit.report is';

-- The same roles as the id versions.
REVOKE ALL ON FUNCTION @extschema@.measures_for(text, text), @extschema@.profile(text), @extschema@.report(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.measures_for(text, text), @extschema@.profile(text), @extschema@.report(text, text)
    TO credit_admin, credit_department, credit_analyst;
-- Ledger (docs/ledger.md): every change to credit records, list entries,
-- evaluation results and subjects (master data) is chained by SHA-256 in credit.ledger, one entry per
-- statement and table, appended at commit; credit.verify_ledger() reports
-- every place where the ledger does not match itself or the tables
-- (docs/ledger.md).

CREATE TABLE @extschema@.ledger (
    seq         bigint PRIMARY KEY,
    at          timestamptz NOT NULL,
    who         text NOT NULL,
    xid         xid8 NOT NULL,
    relation    text NOT NULL,
    op          text NOT NULL CHECK (op IN ('insert', 'update', 'delete', 'truncate')),
    key1        bigint[] NOT NULL,
    key2        bigint[],
    old_hashes  bytea[],
    new_hashes  bytea[],
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL,
    mac         bytea
);
-- row hashes do not compress: store them out of line without trying
ALTER TABLE @extschema@.ledger ALTER COLUMN old_hashes SET STORAGE EXTERNAL;
ALTER TABLE @extschema@.ledger ALTER COLUMN new_hashes SET STORAGE EXTERNAL;
COMMENT ON TABLE @extschema@.ledger IS
    'Tamper-evident ledger (防篡改账本): one entry per statement and table changing credit.record, credit.list_entry, credit.evaluation or credit.subject, with the SHA-256 of every changed row, chained by SHA-256 in commit order, each entry tagged with HMAC-SHA256 under the superuser-only key credit.ledger_key; checked by credit.verify_ledger()';
COMMENT ON COLUMN @extschema@.ledger.seq IS 'Position in the chain: 1, 2, 3, ... without gaps';
COMMENT ON COLUMN @extschema@.ledger.at IS 'When the entry was appended (the commit of its transaction)';
COMMENT ON COLUMN @extschema@.ledger.who IS 'Role that ran the statement (current role outside security-definer functions)';
COMMENT ON COLUMN @extschema@.ledger.xid IS 'Transaction that wrote the rows';
COMMENT ON COLUMN @extschema@.ledger.relation IS 'Table of the rows: record, list_entry, evaluation or subject (schema credit)';
COMMENT ON COLUMN @extschema@.ledger.op IS 'insert, update, delete or truncate (an update that changes a primary key is logged as a delete and an insert)';
COMMENT ON COLUMN @extschema@.ledger.key1 IS 'First primary key column of each row in column order (id of credit.record, credit.list_entry and credit.subject; run_id of credit.evaluation)';
COMMENT ON COLUMN @extschema@.ledger.key2 IS 'Second primary key column of each row in column order (subject_id of credit.record and credit.evaluation); NULL for one-column keys';
COMMENT ON COLUMN @extschema@.ledger.old_hashes IS 'SHA-256 of each row before the statement (update, delete): credit.ledger_hash_row';
COMMENT ON COLUMN @extschema@.ledger.new_hashes IS 'SHA-256 of each row after the statement (insert, update): credit.ledger_hash_row';
COMMENT ON COLUMN @extschema@.ledger.prev_hash IS 'hash of entry seq - 1 (32 zero bytes for entry 1)';
COMMENT ON COLUMN @extschema@.ledger.hash IS 'SHA-256 of the entry, prev_hash included (docs/ledger.md)';
COMMENT ON COLUMN @extschema@.ledger.mac IS
    'Keyed tag: HMAC-SHA256 of hash under the superuser-only setting credit.ledger_key, so that an entry rewritten and re-hashed by anyone without the key is found; NULL when written while the key was not set (reported by credit.verify_ledger, tagged by credit.seal_ledger)';

-- Read-only for the roles that audit; nobody but superusers may change it:
-- row-level security with a read policy only, and a guard trigger refusing
-- every write (TRUNCATE included, which row-level security does not cover)
-- by anyone else, whatever table privileges are granted later.
REVOKE ALL ON TABLE @extschema@.ledger FROM PUBLIC;
GRANT SELECT ON TABLE @extschema@.ledger TO credit_admin, credit_analyst;
ALTER TABLE @extschema@.ledger ENABLE ROW LEVEL SECURITY;
CREATE POLICY ledger_read ON @extschema@.ledger FOR SELECT USING (true);

CREATE FUNCTION @extschema@.ledger_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user) THEN
        RAISE EXCEPTION 'credit.ledger is append-only'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('%s on credit.ledger by role %s.', TG_OP, current_user),
                  HINT = 'Entries are appended at commit by the ledger''s triggers; only superusers can change them.';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.ledger_guard() IS
    'Statement trigger of credit.ledger: refuses INSERT, UPDATE, DELETE and TRUNCATE by any role but a superuser (SQLSTATE 42501); entries are appended at commit as the ledger''s owner';
CREATE TRIGGER ledger_guard BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.ledger
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.ledger_guard();
SELECT pg_catalog.pg_extension_config_dump('@extschema@.ledger', '');

CREATE FUNCTION @extschema@.ledger_capture() RETURNS trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'credit_ledger_capture';
COMMENT ON FUNCTION @extschema@.ledger_capture() IS
    'Statement trigger of the ledgered tables (INSERT, UPDATE, DELETE with transition tables; TRUNCATE): hashes every changed row and keeps the statement''s keys and hashes until commit, when they are appended to credit.ledger; does nothing while credit.restoring is on';

CREATE FUNCTION @extschema@.ledger_hash_row(anyelement) RETURNS bytea
LANGUAGE c STABLE STRICT AS 'MODULE_PATHNAME', 'credit_ledger_hash_row';
COMMENT ON FUNCTION @extschema@.ledger_hash_row(anyelement) IS
    'SHA-256 of a table row''s canonical serialization, as credit.ledger logs it: non-NULL columns in name order, each as name and output text (UTF-8, under fixed DateStyle, TimeZone, IntervalStyle, extra_float_digits and bytea_output)';

CREATE FUNCTION @extschema@.verify_ledger() RETURNS TABLE (seq bigint, problem text)
LANGUAGE c STABLE AS 'MODULE_PATHNAME', 'credit_verify_ledger';
COMMENT ON FUNCTION @extschema@.verify_ledger() IS
    'Check the ledger: the hash chain (edited, deleted or reordered entries), the keyed tags under credit.ledger_key (entries rewritten and re-hashed; untagged entries; a warning when the key is not set), the capture triggers, and every row of credit.record, credit.list_entry, credit.evaluation and credit.subject against its last logged version (rows changed, inserted or deleted without passing through the ledger); one row per problem, with the entry it concerns; empty when nothing was tampered with';
REVOKE ALL ON FUNCTION @extschema@.verify_ledger() FROM PUBLIC;

CREATE FUNCTION @extschema@.seal_ledger() RETURNS bigint
LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'credit_seal_ledger';
COMMENT ON FUNCTION @extschema@.seal_ledger() IS
    'Superusers only: tag with credit.ledger_key the ledger entries written while the key was not set, and re-tag those tagged under credit.ledger_key_previous (a key rotation), after checking the whole chain (refused, SQLSTATE XX001, when any entry does not verify); returns the number of entries tagged';
REVOKE ALL ON FUNCTION @extschema@.seal_ledger() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ledger_hash_row(anyelement) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.verify_ledger() TO credit_admin, credit_analyst;

-- The capture triggers of the ledgered tables (the list is also in
-- src/ledger.c: verify_ledger reports a table whose triggers are missing).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['record', 'list_entry', 'evaluation', 'subject'] LOOP
        EXECUTE pg_catalog.format('CREATE TRIGGER ledger_insert AFTER INSERT ON @extschema@.%I
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.ledger_capture()', t);
        EXECUTE pg_catalog.format('CREATE TRIGGER ledger_update AFTER UPDATE ON @extschema@.%I
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.ledger_capture()', t);
        EXECUTE pg_catalog.format('CREATE TRIGGER ledger_delete AFTER DELETE ON @extschema@.%I
            REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.ledger_capture()', t);
        EXECUTE pg_catalog.format('CREATE TRIGGER ledger_truncate AFTER TRUNCATE ON @extschema@.%I
            FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.ledger_capture()', t);
    END LOOP;
END
$$;
-- Privileges and row-level security of subjects and records (docs/security.md).
--   credit_admin       runs the platform: every record and subject
--   credit_department  a unit: writes and reads its own records, reads public-channel records
--   credit_analyst     reads everything, personal ID numbers masked
--   credit_public      publicity views only
-- Privileges are written out table by table next to each table (no blanket
-- grants: a grant on ALL TABLES covers only the tables created before it);
-- sql/security_privileges.sql prints every privilege of every credit role.

-- Subjects: the personal ID column is readable by administrators only;
-- others read credit.subject_masked or look a person up through credit.find_person (logged).
-- Units register people through credit.register_person (logged), never by
-- inserting an ID number: a unique violation would tell them, unlogged,
-- whether the number is registered.
GRANT SELECT (id, kind, name, name_key, uscc, division, industries, legal_rep, registered_on, status, created_at,
              registered_by)
    ON @extschema@.subject TO credit_department, credit_analyst;
GRANT INSERT (kind, name, uscc, division, industries, legal_rep, registered_on, registered_by)
    ON @extschema@.subject TO credit_department;
GRANT UPDATE (name, industries, legal_rep, status) ON @extschema@.subject TO credit_department;

-- Master data has an owner: a unit registers subjects for itself and
-- changes only those it registered (the others' changes go through an
-- administrator); every unit reads every subject.  Changes are in the ledger.
ALTER TABLE @extschema@.subject ALTER COLUMN registered_by SET DEFAULT @extschema@.sending_unit(NULL);
ALTER TABLE @extschema@.subject ENABLE ROW LEVEL SECURITY;
CREATE POLICY admin_all ON @extschema@.subject TO credit_admin USING (true) WITH CHECK (true);
CREATE POLICY analyst_read ON @extschema@.subject FOR SELECT TO credit_analyst USING (true);
CREATE POLICY department_read ON @extschema@.subject FOR SELECT TO credit_department USING (true);
CREATE POLICY department_insert ON @extschema@.subject FOR INSERT TO credit_department
    WITH CHECK (registered_by = ANY (@extschema@.acting_departments()));
CREATE POLICY department_update ON @extschema@.subject FOR UPDATE TO credit_department
    USING (registered_by = ANY (@extschema@.acting_departments()))
    WITH CHECK (registered_by = ANY (@extschema@.acting_departments()));

CREATE VIEW @extschema@.subject_masked WITH (security_barrier) AS
    SELECT s.id, s.kind, s.name, s.uscc, @extschema@.mask(s.person_id) AS person_id,
           s.division, s.industries, s.status
      FROM @extschema@.subject s;
COMMENT ON VIEW @extschema@.subject_masked IS
    'Subjects with personal ID numbers masked (110105********002X), for roles that have no need of the whole number';
GRANT SELECT ON @extschema@.subject_masked TO credit_department, credit_analyst, credit_admin;

-- Look a person up by ID number: returns the subject id and logs who asked and why.
CREATE FUNCTION @extschema@.find_person(id @extschema@.resident_id, purpose text) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    sid bigint;
BEGIN
    IF purpose IS NULL OR btrim(purpose) = '' THEN
        RAISE EXCEPTION 'a purpose is required to look a person up'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT s.id INTO sid FROM @extschema@.subject s WHERE s.person_id OPERATOR(pg_catalog.=) find_person.id;
    -- logged (committed by the audit worker) before the answer is returned
    PERFORM @extschema@.log_lookup(sid, purpose,
                jsonb_build_object('lookup', 'find_person', 'id', @extschema@.mask(id), 'found', sid IS NOT NULL));
    RETURN sid;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.find_person(@extschema@.resident_id, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.find_person(@extschema@.resident_id, text)
    TO credit_department, credit_analyst, credit_admin;
COMMENT ON FUNCTION @extschema@.find_person(@extschema@.resident_id, text) IS
    'Subject id of the person with this resident ID number (NULL if none); every call is logged in credit.query_log';

-- Register a person by ID number, or find the one registered: the subject
-- id either way, the look-up logged (whether the number was registered
-- before is in the log, not in an error).
CREATE FUNCTION @extschema@.register_person(id @extschema@.resident_id, name text, purpose text,
                                            division text DEFAULT NULL, department text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    sid bigint;
    existed boolean;
    unit text;
BEGIN
    IF purpose IS NULL OR pg_catalog.btrim(purpose) OPERATOR(pg_catalog.=) '' THEN
        RAISE EXCEPTION 'a purpose is required to register a person'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF id IS NULL THEN
        RAISE EXCEPTION 'the resident ID number of the person is required'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- the unit the person is registered for: one the caller acts for (as the
    -- subject policies require of a unit's own inserts)
    unit := @extschema@.sending_unit(register_person.department);
    IF NOT pg_catalog.pg_has_role(@extschema@.caller(), 'credit_admin', 'MEMBER')
       AND NOT unit OPERATOR(pg_catalog.=) ANY (@extschema@.caller_departments()) THEN
        RAISE EXCEPTION 'role "%" does not act for unit "%"', @extschema@.caller(), unit
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT s.id INTO sid FROM @extschema@.subject s WHERE s.person_id OPERATOR(pg_catalog.=) register_person.id;
    existed := sid IS NOT NULL;
    IF NOT existed THEN
        BEGIN
            INSERT INTO @extschema@.subject AS s (kind, name, person_id, division, registered_by)
            VALUES ('individual'::@extschema@.subject_kind, register_person.name, register_person.id,
                    register_person.division, unit)
            RETURNING s.id INTO sid;
        EXCEPTION WHEN unique_violation THEN
            -- registered meanwhile by a concurrent transaction (credit.subject_code)
            SELECT s.id INTO sid FROM @extschema@.subject s WHERE s.person_id OPERATOR(pg_catalog.=) register_person.id;
            existed := true;
        END;
    END IF;
    -- logged (committed by the audit worker) before the answer is returned
    PERFORM @extschema@.log_lookup(sid, purpose,
                pg_catalog.jsonb_build_object('lookup', 'register_person', 'id', @extschema@.mask(register_person.id),
                                              'registered_before', existed));
    RETURN sid;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.register_person(@extschema@.resident_id, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.register_person(@extschema@.resident_id, text, text, text, text)
    TO credit_department, credit_admin;
COMMENT ON FUNCTION @extschema@.register_person(@extschema@.resident_id, text, text, text, text) IS
    'Register a person (自然人) by resident ID number with a name and optional division, or find the person registered with it (the name given is then ignored): the subject id either way; a purpose is required; every call is logged in credit.query_log (whether the number was registered before is in the log row, not in an error). The person is registered for department (credit.subject.registered_by), which defaults to the caller''s only unit and must be one the caller acts for (42501; a clerk of several units names it, 23502 otherwise). The way units put an ID number into credit.subject';

-- Records: row-level security.
ALTER TABLE @extschema@.record ENABLE ROW LEVEL SECURITY;
GRANT SELECT, DELETE ON @extschema@.record TO credit_department;
GRANT INSERT (subject_id, item_code, department, document_no, decided_on, value, amount, details, status)
    ON @extschema@.record TO credit_department;
GRANT UPDATE (status, value, amount, details, document_no) ON @extschema@.record TO credit_department;
GRANT SELECT ON @extschema@.record TO credit_analyst;

CREATE POLICY admin_all ON @extschema@.record TO credit_admin USING (true) WITH CHECK (true);
CREATE POLICY analyst_read ON @extschema@.record FOR SELECT TO credit_analyst USING (true);
-- (no sub-queries in policies: functions of the row, computed once per statement)
CREATE POLICY department_read ON @extschema@.record FOR SELECT TO credit_department
    USING (department = ANY (@extschema@.acting_departments()) OR @extschema@.public_item(item_code));
CREATE POLICY department_insert ON @extschema@.record FOR INSERT TO credit_department
    WITH CHECK (department = ANY (@extschema@.acting_departments()));
CREATE POLICY department_update ON @extschema@.record FOR UPDATE TO credit_department
    USING (department = ANY (@extschema@.acting_departments()))
    WITH CHECK (department = ANY (@extschema@.acting_departments()));
CREATE POLICY department_delete ON @extschema@.record FOR DELETE TO credit_department
    USING (department = ANY (@extschema@.acting_departments()));


-- What each column of the view holds.
COMMENT ON COLUMN @extschema@.subject_masked.id IS 'Subject (credit.subject.id)';
COMMENT ON COLUMN @extschema@.subject_masked.kind IS 'Kind of subject';
COMMENT ON COLUMN @extschema@.subject_masked.name IS 'Name';
COMMENT ON COLUMN @extschema@.subject_masked.uscc IS 'Unified social credit code (organisations)';
COMMENT ON COLUMN @extschema@.subject_masked.person_id IS 'Resident ID number, masked (110105********002X)';
COMMENT ON COLUMN @extschema@.subject_masked.division IS 'Administrative division code (GB/T 2260)';
COMMENT ON COLUMN @extschema@.subject_masked.industries IS 'Industries the subject belongs to (credit.industry codes)';
COMMENT ON COLUMN @extschema@.subject_masked.status IS 'Registration status of the subject';
-- The partitioned layout (docs/scale.md): the large per-subject tables
-- hash-partitioned by subject_id, chosen by the DBA right after CREATE
-- EXTENSION with credit.partition_tables(n).  Every key of these tables
-- carries subject_id, so each partition holds whole subjects.
--
-- PostgreSQL cannot turn a table into a partitioned one in place: each table
-- is rebuilt under its own name with everything that hangs on it (indexes,
-- keys, foreign keys in both directions, triggers, row-level security,
-- privileges, comments, its identity sequence, its membership of the
-- extension and its pg_dump registration), and so are the views and the
-- functions that depend on it, in dependency order.  The tables must be
-- empty: nothing is moved.

-- The tables the partitioned layout partitions, in the order they are rebuilt.
CREATE FUNCTION @extschema@.partitioned_tables() RETURNS pg_catalog.regclass[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ARRAY['@extschema@.record', '@extschema@.subject_grade', '@extschema@.evaluation',
                 '@extschema@.grade_change', '@extschema@.warning']::pg_catalog.regclass[]
$$;
COMMENT ON FUNCTION @extschema@.partitioned_tables() IS
    'The per-subject tables that credit.partition_tables hash-partitions by subject_id: record, subject_grade, evaluation, grade_change, warning';

-- GRANT statements that give back the privileges of an ACL on an object
-- (kind: TABLE, SEQUENCE, FUNCTION; cols: a column list, or NULL).
CREATE FUNCTION @extschema@.acl_grants(acl pg_catalog.aclitem[], kind text, obj text, cols text DEFAULT NULL)
RETURNS SETOF text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.format('GRANT %s%s ON %s %s TO %s%s', a.privilege_type,
                             CASE WHEN cols IS NULL THEN '' ELSE ' (' || cols || ')' END, kind, obj,
                             CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                                  ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END,
                             CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
      FROM pg_catalog.aclexplode(acl) a
$$;
REVOKE ALL ON FUNCTION @extschema@.acl_grants(pg_catalog.aclitem[], text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.acl_grants(pg_catalog.aclitem[], text, text, text) IS
    'GRANT statements that give back the privileges of an ACL (kind TABLE, SEQUENCE or FUNCTION; optionally on a column list); used by credit.partition_tables to rebuild a table as it was';

-- What choosing a layout requires: a number of parts in range, and the
-- rights of the extension's owner.
CREATE FUNCTION @extschema@.layout_check(action text, arg_name text, arg integer, lo integer, hi integer)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF arg IS NULL OR arg < lo OR arg > hi THEN
        RAISE EXCEPTION '% must be between % and %, not %', arg_name, lo, hi, arg
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT pg_has_role(current_user, (SELECT e.extowner FROM pg_extension e WHERE e.extname = 'credit'), 'USAGE') THEN
        RAISE EXCEPTION 'permission denied to % the tables of credit', action
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Only the owner of the extension (or a superuser) may choose the layout.';
    END IF;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.layout_check(text, text, integer, integer, integer) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.layout_check(text, text, integer, integer, integer) IS
    'Checks of credit.partition_tables and credit.distribute: the number of parts (arg_name) between lo and hi (22023), and the caller a member of the extension''s owner (42501)';

-- Hash-partition the large per-subject tables of an empty platform.
CREATE FUNCTION @extschema@.partition_tables(partitions integer) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    rels     regclass[] := @extschema@.partitioned_tables();
    ext      oid := (SELECT e.oid FROM pg_extension e WHERE e.extname = 'credit');
    rel      regclass;
    seq      regclass;
    nonempty boolean;
    undo_fk  text[] := '{}';   -- statements that take the dependents away:
    undo_fn  text[] := '{}';   --   foreign keys, then functions, then views
    undo_v   text[] := '{}';
    redo     text[] := '{}';   -- what puts a table's own parts back
    later    text[] := '{}';   -- what comes back after every table is rebuilt:
    later_fn text[] := '{}';   --   views, then functions, then foreign keys
    later_fk text[] := '{}';
    stmt     text;
    tmp      text;
    r        record;
    ident    record;
    part     integer;
    last     bigint;
BEGIN
    PERFORM @extschema@.layout_check('partition', 'partitions', partitions, 2, 1024);
    FOREACH rel IN ARRAY rels LOOP
        IF (SELECT c.relkind FROM pg_class c WHERE c.oid = rel) = 'p' THEN
            RAISE EXCEPTION '% is partitioned already', rel
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        EXECUTE format('SELECT EXISTS (SELECT FROM ONLY %s)', rel) INTO nonempty;
        IF nonempty THEN
            RAISE EXCEPTION '% is not empty', rel
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'Choose the partitioned layout right after CREATE EXTENSION, before loading data.';
        END IF;
    END LOOP;

    -- Views over the tables (and views over those), deepest first.
    FOR r IN
        WITH RECURSIVE dep (oid, depth) AS (
            SELECT w.ev_class, 1
              FROM pg_depend d JOIN pg_rewrite w ON w.oid = d.objid
             WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
               AND d.refobjid = ANY (rels) AND w.ev_class <> ALL (rels)
            UNION ALL
            SELECT w.ev_class, dep.depth + 1
              FROM dep JOIN pg_depend d ON d.refobjid = dep.oid
                   AND d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
                   JOIN pg_rewrite w ON w.oid = d.objid
             WHERE w.ev_class <> dep.oid)
        SELECT c.oid, c.oid::regclass AS name, c.relkind, c.reloptions, c.relacl, c.relowner, max(dep.depth) AS depth
          FROM dep JOIN pg_class c ON c.oid = dep.oid
         GROUP BY c.oid
         ORDER BY max(dep.depth) DESC, c.oid DESC
    LOOP
        IF r.relkind <> 'v' THEN
            RAISE EXCEPTION '% depends on a table to partition and is not a view', r.name
                USING ERRCODE = 'feature_not_supported';
        END IF;
        IF EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = r.oid
                      AND d.refobjid = ext AND d.deptype = 'e') THEN
            undo_v := undo_v || format('ALTER EXTENSION credit DROP VIEW %s', r.name);
            later := format('ALTER EXTENSION credit ADD VIEW %s', r.name) || later;
        END IF;
        undo_v := undo_v || format('DROP VIEW %s', r.name);
        tmp := format('CREATE VIEW %s%s AS %s', r.name,
                      CASE WHEN r.reloptions IS NULL THEN ''
                           ELSE ' WITH (' || array_to_string(r.reloptions, ', ') || ')' END,
                      pg_get_viewdef(r.oid));
        stmt := format('ALTER VIEW %s OWNER TO %I', r.name, pg_get_userbyid(r.relowner));
        later := ARRAY[tmp, stmt]
              || ARRAY(SELECT @extschema@.acl_grants(r.relacl, 'TABLE', r.name::text))
              || ARRAY(SELECT g FROM pg_attribute a, @extschema@.acl_grants(a.attacl, 'TABLE', r.name::text, quote_ident(a.attname)) g
                        WHERE a.attrelid = r.oid AND a.attnum > 0 AND a.attacl IS NOT NULL)
              || ARRAY(SELECT format('COMMENT ON VIEW %s IS %L', r.name, d.description)
                         FROM pg_description d
                        WHERE d.classoid = 'pg_class'::regclass AND d.objoid = r.oid AND d.objsubid = 0)
              || ARRAY(SELECT format('COMMENT ON COLUMN %s.%I IS %L', r.name, a.attname, d.description)
                         FROM pg_description d JOIN pg_attribute a ON a.attrelid = d.objoid AND a.attnum = d.objsubid
                        WHERE d.classoid = 'pg_class'::regclass AND d.objoid = r.oid AND d.objsubid > 0
                        ORDER BY a.attnum)
              || later;
    END LOOP;

    -- Functions that take or return the row type of a table or view rebuilt
    -- here, or whose SQL body names one: dropped before, created again after.
    FOR r IN
        SELECT DISTINCT p.oid, p.oid::regprocedure AS name, p.prokind, p.proacl, p.proowner
          FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid
          JOIN pg_class c ON (d.refclassid = 'pg_class'::regclass AND d.refobjid = c.oid)
                          OR (d.refclassid = 'pg_type'::regclass AND d.refobjid = c.reltype)
         WHERE d.classid = 'pg_proc'::regclass
           AND (c.oid = ANY (rels)
                OR c.oid IN (SELECT w.ev_class FROM pg_rewrite w JOIN pg_depend x ON x.objid = w.oid
                              WHERE x.classid = 'pg_rewrite'::regclass AND x.refobjid = ANY (rels)))
    LOOP
        IF r.prokind NOT IN ('f', 'p') THEN
            RAISE EXCEPTION '% depends on a table to partition and is not a function', r.name
                USING ERRCODE = 'feature_not_supported';
        END IF;
        stmt := CASE r.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END;
        IF EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = r.oid
                      AND d.refobjid = ext AND d.deptype = 'e') THEN
            undo_fn := undo_fn || format('ALTER EXTENSION credit DROP %s %s', stmt, r.name);
            later_fn := later_fn || format('ALTER EXTENSION credit ADD %s %s', stmt, r.name);
        END IF;
        undo_fn := undo_fn || format('DROP %s %s', stmt, r.name);
        later_fn := ARRAY[pg_get_functiondef(r.oid),
                          format('ALTER %s %s OWNER TO %I', stmt, r.name, pg_get_userbyid(r.proowner))]
              || CASE WHEN r.proacl IS NULL THEN '{}'::text[]
                      ELSE format('REVOKE ALL ON %s %s FROM PUBLIC', stmt, r.name)
                           || ARRAY(SELECT @extschema@.acl_grants(r.proacl, stmt, r.name::text)) END
              || ARRAY(SELECT format('COMMENT ON %s %s IS %L', stmt, r.name, d.description)
                         FROM pg_description d
                        WHERE d.classoid = 'pg_proc'::regclass AND d.objoid = r.oid AND d.objsubid = 0)
              || later_fn;
    END LOOP;

    -- Foreign keys from other tables onto the tables rebuilt here.
    FOR r IN
        SELECT k.oid, k.conname, k.conrelid::regclass AS tbl
          FROM pg_constraint k
         WHERE k.contype = 'f' AND k.confrelid = ANY (rels) AND k.conrelid <> ALL (rels)
         ORDER BY k.oid
    LOOP
        undo_fk := undo_fk || format('ALTER TABLE %s DROP CONSTRAINT %I', r.tbl, r.conname);
        later_fk := later_fk || format('ALTER TABLE %s ADD CONSTRAINT %I %s', r.tbl, r.conname, pg_get_constraintdef(r.oid))
              || ARRAY(SELECT format('COMMENT ON CONSTRAINT %I ON %s IS %L', r.conname, r.tbl, d.description)
                         FROM pg_description d WHERE d.classoid = 'pg_constraint'::regclass AND d.objoid = r.oid);
    END LOOP;

    FOREACH stmt IN ARRAY undo_fk || undo_fn || undo_v LOOP
        EXECUTE stmt;
    END LOOP;

    -- Each table: a partitioned twin with the same columns, defaults, checks
    -- and identity, the old table dropped, the twin renamed, then the rest.
    FOREACH rel IN ARRAY rels LOOP
        SELECT c.oid, c.relname, n.nspname, c.relacl, c.relowner, c.relrowsecurity, c.relforcerowsecurity
          INTO r FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = rel;
        tmp := r.relname || '_partitioned';
        redo := '{}';
        -- keys and indexes
        redo := redo || ARRAY(SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s', rel, k.conname, pg_get_constraintdef(k.oid))
                                FROM pg_constraint k WHERE k.conrelid = rel AND k.contype IN ('p', 'u', 'x', 'f')
                               ORDER BY k.contype DESC, k.oid);
        redo := redo || ARRAY(SELECT pg_get_indexdef(x.indexrelid)
                                FROM pg_index x
                               WHERE x.indrelid = rel
                                 AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.conrelid = rel)
                               ORDER BY x.indexrelid);
        redo := redo || ARRAY(SELECT format('COMMENT ON INDEX %I.%I IS %L', r.nspname, i.relname, d.description)
                                FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                                JOIN pg_description d ON d.classoid = 'pg_class'::regclass AND d.objoid = i.oid
                               WHERE x.indrelid = rel);
        -- triggers, in name order (the order they fire in), with their state
        redo := redo || ARRAY(SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t
                               WHERE t.tgrelid = rel AND NOT t.tgisinternal ORDER BY t.tgname);
        redo := redo || ARRAY(SELECT format('ALTER TABLE %s %s TRIGGER %I', rel,
                                            CASE t.tgenabled WHEN 'D' THEN 'DISABLE' WHEN 'R' THEN 'ENABLE REPLICA'
                                                             ELSE 'ENABLE ALWAYS' END, t.tgname)
                                FROM pg_trigger t WHERE t.tgrelid = rel AND NOT t.tgisinternal AND t.tgenabled <> 'O');
        redo := redo || ARRAY(SELECT format('COMMENT ON TRIGGER %I ON %s IS %L', t.tgname, rel, d.description)
                                FROM pg_trigger t JOIN pg_description d ON d.classoid = 'pg_trigger'::regclass AND d.objoid = t.oid
                               WHERE t.tgrelid = rel AND NOT t.tgisinternal);
        -- row-level security
        IF r.relrowsecurity THEN
            redo := redo || format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', rel);
        END IF;
        IF r.relforcerowsecurity THEN
            redo := redo || format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', rel);
        END IF;
        redo := redo || ARRAY(SELECT format('CREATE POLICY %I ON %s AS %s FOR %s TO %s%s%s', p.policyname, rel,
                                            p.permissive, p.cmd,
                                            (SELECT string_agg(CASE WHEN x = 'public' THEN 'PUBLIC' ELSE quote_ident(x) END, ', ')
                                               FROM unnest(p.roles) x),
                                            ' USING (' || p.qual || ')', ' WITH CHECK (' || p.with_check || ')')
                                FROM pg_policies p WHERE p.schemaname = r.nspname AND p.tablename = r.relname
                               ORDER BY p.policyname);
        -- owner, privileges, comment
        redo := redo || format('ALTER TABLE %s OWNER TO %I', rel, pg_get_userbyid(r.relowner));
        redo := redo || ARRAY(SELECT @extschema@.acl_grants(r.relacl, 'TABLE', rel::text));
        redo := redo || ARRAY(SELECT g FROM pg_attribute a, @extschema@.acl_grants(a.attacl, 'TABLE', rel::text, quote_ident(a.attname)) g
                               WHERE a.attrelid = rel AND a.attnum > 0 AND a.attacl IS NOT NULL ORDER BY a.attnum);
        redo := redo || ARRAY(SELECT format('COMMENT ON TABLE %s IS %L', rel, d.description)
                                FROM pg_description d
                               WHERE d.classoid = 'pg_class'::regclass AND d.objoid = rel AND d.objsubid = 0);
        -- membership of the extension (the rows live in the partitions)
        redo := redo || format('ALTER EXTENSION credit ADD TABLE %s', rel);
        -- the identity sequences: their number, privileges and membership
        FOR ident IN
            SELECT a.attname, pg_get_serial_sequence(rel::text, a.attname)::regclass AS seq
              FROM pg_attribute a WHERE a.attrelid = rel AND a.attidentity <> ''
        LOOP
            EXECUTE format('SELECT CASE WHEN is_called THEN last_value END FROM %s', ident.seq) INTO last;
            redo := redo || format('ALTER SEQUENCE %I.%I RENAME TO %I', r.nspname,
                                   tmp || '_' || ident.attname || '_seq', (SELECT s.relname FROM pg_class s WHERE s.oid = ident.seq));
            IF last IS NOT NULL THEN
                redo := redo || format('SELECT pg_catalog.setval(%L, %s)', ident.seq::text, last);
            END IF;
            redo := redo || ARRAY(SELECT @extschema@.acl_grants(s.relacl, 'SEQUENCE', ident.seq::text)
                                    FROM pg_class s WHERE s.oid = ident.seq);
            redo := redo || format('ALTER EXTENSION credit ADD SEQUENCE %s', ident.seq);
        END LOOP;
        -- the partitions: not members of the extension, so that pg_dump keeps
        -- them and their rows as any table's; the parent's statement-level
        -- TRUNCATE triggers (the ledger's) are given to each partition, which
        -- PostgreSQL does not clone, so that truncating one is logged
        FOR part IN 0 .. partitions - 1 LOOP
            redo := redo || format('CREATE TABLE %I.%I PARTITION OF %s FOR VALUES WITH (MODULUS %s, REMAINDER %s)',
                                   r.nspname, r.relname || '_p' || part, rel, partitions, part)
                         || format('ALTER TABLE %I.%I OWNER TO %I', r.nspname, r.relname || '_p' || part, pg_get_userbyid(r.relowner))
                         || format('COMMENT ON TABLE %I.%I IS %L', r.nspname, r.relname || '_p' || part,
                                   format('Partition %s of %s of %s.%s (hash of subject_id)', part, partitions, r.nspname, r.relname));
            redo := redo || ARRAY(SELECT replace(pg_get_triggerdef(t.oid),
                                                 ' ON ' || rel::text || ' ',
                                                 format(' ON %I.%I ', r.nspname, r.relname || '_p' || part))
                                    FROM pg_trigger t
                                   WHERE t.tgrelid = rel AND NOT t.tgisinternal
                                     AND (t.tgtype & 32) <> 0   -- TRIGGER_TYPE_TRUNCATE
                                   ORDER BY t.tgname);
        END LOOP;

        EXECUTE format('CREATE TABLE %I.%I (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY'
                       ' INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMPRESSION INCLUDING COMMENTS)'
                       ' PARTITION BY HASH (subject_id)', r.nspname, tmp, rel);
        EXECUTE format('ALTER EXTENSION credit DROP TABLE %s', rel);
        FOR ident IN SELECT pg_get_serial_sequence(rel::text, a.attname)::regclass AS seq
                   FROM pg_attribute a WHERE a.attrelid = rel AND a.attidentity <> '' LOOP
            EXECUTE format('ALTER EXTENSION credit DROP SEQUENCE %s', ident.seq);
        END LOOP;
        EXECUTE format('DROP TABLE %s', rel);
        EXECUTE format('ALTER TABLE %I.%I RENAME TO %I', r.nspname, tmp, r.relname);
        FOREACH stmt IN ARRAY redo LOOP
            EXECUTE stmt;
        END LOOP;
    END LOOP;

    FOREACH stmt IN ARRAY later || later_fn || later_fk LOOP
        EXECUTE stmt;
    END LOOP;
    RETURN array_length(rels, 1);
END
$fn$;
REVOKE ALL ON FUNCTION @extschema@.partition_tables(integer) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.partition_tables(integer) IS
    'The partitioned layout: hash-partitions credit.partitioned_tables() (record, subject_grade, evaluation, grade_change, warning) by subject_id into the given number of partitions (2 to 1024), keeping every index, key, trigger, policy, privilege, comment and dependent view; run by the extension''s owner right after CREATE EXTENSION, on empty tables; returns the number of tables partitioned (docs/scale.md)';

-- The ledger's record of a partition's rows leaving its table (detach).
CREATE FUNCTION @extschema@.ledger_partition_removed(partition pg_catalog.regclass) RETURNS void
    AS 'MODULE_PATHNAME', 'credit_ledger_partition_removed' LANGUAGE C STRICT VOLATILE;
REVOKE ALL ON FUNCTION @extschema@.ledger_partition_removed(pg_catalog.regclass) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.ledger_partition_removed(pg_catalog.regclass) IS
    'Logs in credit.ledger, at commit, that every row of a hash partition of a ledgered table (record, evaluation) leaves it: a truncate entry of the table whose key1 and key2 are the partition''s modulus and remainder; called by credit.detach_partition';

-- Detach a partition of the partitioned layout, its rows kept in it as a
-- table of their own (an archive), the removal logged in the ledger.
CREATE FUNCTION @extschema@.detach_partition(partition pg_catalog.regclass) RETURNS pg_catalog.regclass
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    parent regclass;
    ledgered boolean;
    trg record;
BEGIN
    SELECT i.inhparent INTO parent FROM pg_inherits i WHERE i.inhrelid = partition;
    IF parent IS NULL OR parent <> ALL (@extschema@.partitioned_tables()) THEN
        RAISE EXCEPTION '% is not a partition of the partitioned layout', partition
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The partitions are those of the tables of credit.partitioned_tables(), made by credit.partition_tables.';
    END IF;
    ledgered := EXISTS (SELECT FROM pg_trigger t WHERE t.tgrelid = parent AND t.tgname = 'ledger_truncate');
    IF ledgered THEN
        PERFORM @extschema@.ledger_partition_removed(partition);
    END IF;
    EXECUTE format('ALTER TABLE %s DETACH PARTITION %s', parent, partition);
    -- the archive is no longer the platform's: its truncates are not logged
    FOR trg IN SELECT g.tgname FROM pg_trigger g
              WHERE g.tgrelid = partition AND NOT g.tgisinternal AND (g.tgtype & 32) <> 0 LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', trg.tgname, partition);
    END LOOP;
    RETURN partition;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.detach_partition(pg_catalog.regclass) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.detach_partition(pg_catalog.regclass) IS
    'Detaches a partition of the partitioned layout (e.g. credit.record_p3), keeping its rows in it as a table of their own, and logs their removal in credit.ledger so that credit.verify_ledger() does not report them as deleted behind its back; returns the partition (docs/scale.md)';
-- The distributed layout (docs/scale.md): a province on Citus.  The
-- per-subject tables are distributed by their subject column and colocated
-- with credit.subject, so that every subject's rows live on one worker; the
-- small tables every query joins (catalogue, models, measures, units, lists,
-- calendar) are reference tables, copied to every node; the codes of
-- subjects are distributed by the code.  Citus creates a foreign key only
-- between tables it has already distributed, so the keys between the
-- extension's tables are taken away first and created again after.

-- How each table of the extension is placed on Citus: distributed by a
-- column (colocated with credit.subject, or on its own for the codes), or
-- a reference table; tables not listed stay on the coordinator.
CREATE FUNCTION @extschema@.distribution_plan(OUT tbl pg_catalog.regclass, OUT placement text, OUT dist_column name)
RETURNS SETOF record
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT v.tbl::pg_catalog.regclass, v.placement, v.dist_column::name
      FROM (VALUES
        -- reference tables first: the distributed ones refer to them
        (1, '@extschema@.department', 'reference', NULL),
        (2, '@extschema@.catalog_item', 'reference', NULL),
        (3, '@extschema@.industry', 'reference', NULL),
        (4, '@extschema@.uscc_entity_type', 'reference', NULL),
        (5, '@extschema@.model', 'reference', NULL),
        (6, '@extschema@.model_grade', 'reference', NULL),
        (7, '@extschema@.model_dimension', 'reference', NULL),
        (8, '@extschema@.model_rule', 'reference', NULL),
        (9, '@extschema@.warning_rule', 'reference', NULL),
        (10, '@extschema@.list', 'reference', NULL),
        (11, '@extschema@.scenario', 'reference', NULL),
        (12, '@extschema@.measure', 'reference', NULL),
        (13, '@extschema@.tier', 'reference', NULL),
        (14, '@extschema@.tier_rule', 'reference', NULL),
        (15, '@extschema@.repair_rule', 'reference', NULL),
        (16, '@extschema@.calendar_day', 'reference', NULL),
        (17, '@extschema@.relation_kind', 'reference', NULL),
        (18, '@extschema@.agency', 'reference', NULL),
        (19, '@extschema@.evaluation_run', 'reference', NULL),
        -- the subjects, then every table that grows with them
        (20, '@extschema@.subject', 'colocated', 'id'),
        (21, '@extschema@.record', 'colocated', 'subject_id'),
        (22, '@extschema@.subject_grade', 'colocated', 'subject_id'),
        (23, '@extschema@.evaluation', 'colocated', 'subject_id'),
        (24, '@extschema@.grade_change', 'colocated', 'subject_id'),
        (25, '@extschema@.warning', 'colocated', 'subject_id'),
        (26, '@extschema@.measure_application', 'colocated', 'subject_id'),
        (27, '@extschema@.commitment', 'colocated', 'subject_id'),
        (28, '@extschema@.repair_request', 'colocated', 'subject_id'),
        (29, '@extschema@.objection', 'colocated', 'subject_id'),
        (30, '@extschema@.relation', 'colocated', 'from_subject'),
        (31, '@extschema@.decision', 'colocated', 'subject_id'),
        -- the codes, by the code (a code is looked up before its subject is known)
        (32, '@extschema@.subject_code', 'distributed', 'code')
      ) v (ord, tbl, placement, dist_column)
     ORDER BY v.ord
$$;
REVOKE ALL ON FUNCTION @extschema@.distribution_plan() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.distribution_plan() IS
    'How credit.distribute places each table on Citus, in the order it does: reference (copied to every node), colocated (distributed by dist_column, colocated with credit.subject) or distributed (by dist_column, a colocation group of its own); tables not listed stay on the coordinator';

-- The numbers a node gives the rows it writes.  On Citus the rows a worker
-- writes itself (grade changes, warnings, industry grade records: the fold
-- of its shards) take their numbers from the worker's own copy of the
-- tables' identity sequences, created with the extension on every node and
-- starting at 1 there as on the coordinator: each node other than the
-- coordinator numbers from its group's own range, (group << 48) + 1 on, as
-- Citus numbers the bigserial columns it distributes, so a number names one
-- row of the platform.
CREATE FUNCTION @extschema@.number_node_rows() RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    node_group bigint;
    seq     regclass;
    last    bigint;
    n       integer := 0;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension e WHERE e.extname = 'citus') THEN
        RAISE EXCEPTION 'Citus is not installed in this database'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    EXECUTE 'SELECT groupid FROM pg_catalog.pg_dist_local_group' INTO node_group;
    IF node_group IS NULL OR node_group OPERATOR(pg_catalog.<=) 0 THEN
        RETURN 0;         -- the coordinator numbers from 1
    END IF;
    FOR seq IN
        SELECT pg_catalog.pg_get_serial_sequence(p.tbl::text, a.attname)::regclass
          FROM @extschema@.distribution_plan() p
          JOIN pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) p.tbl
         WHERE a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
           AND pg_catalog.pg_get_serial_sequence(p.tbl::text, a.attname) IS NOT NULL
         ORDER BY 1
    LOOP
        EXECUTE format('SELECT s.last_value FROM %s s', seq) INTO last;
        IF last OPERATOR(pg_catalog.<) (node_group OPERATOR(pg_catalog.<<) 48) THEN
            PERFORM pg_catalog.setval(seq, (node_group OPERATOR(pg_catalog.<<) 48) OPERATOR(pg_catalog.+) 1, false);
            n := n OPERATOR(pg_catalog.+) 1;
        END IF;
    END LOOP;
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.number_node_rows() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.number_node_rows() IS
    'On a Citus node other than the coordinator, starts the identity sequences of the distributed tables at the node''s own range, (group << 48) + 1 (those already in it are left): the rows the node writes itself take numbers no other node gives; credit.distribute runs it on every worker, and it is run on a worker added later (docs/scale.md); returns the number of sequences moved';

-- Distribute the platform over a Citus cluster.
CREATE FUNCTION @extschema@.distribute(shard_count integer DEFAULT 32) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    ext     oid := (SELECT e.oid FROM pg_extension e WHERE e.extname = 'credit');
    fks     text[] := '{}';
    triggers text[] := '{}';
    r       record;
    n       integer := 0;
    stmt    text;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension e WHERE e.extname = 'citus') THEN
        RAISE EXCEPTION 'Citus is not installed in this database'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Load citus in shared_preload_libraries, CREATE EXTENSION citus and add the workers first (docs/scale.md).';
    END IF;
    PERFORM @extschema@.layout_check('distribute', 'shard_count', shard_count, 1, 64000);
    IF EXISTS (SELECT FROM pg_dist_partition d WHERE d.logicalrelid = '@extschema@.subject'::regclass) THEN
        RAISE EXCEPTION 'credit is distributed already'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;

    -- The foreign keys between the extension's tables, taken away: Citus
    -- distributes a table only without them.
    FOR r IN
        SELECT k.oid, k.conname, k.conrelid::regclass AS tbl,
               k.conrelid IN (SELECT p.tbl FROM @extschema@.distribution_plan() p)
               AND k.confrelid IN (SELECT p.tbl FROM @extschema@.distribution_plan() p) AS placed
          FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
         WHERE k.contype = 'f' AND c.relnamespace = (SELECT e.extnamespace FROM pg_extension e WHERE e.oid = ext)
         ORDER BY k.oid
    LOOP
        IF r.placed THEN
            fks := fks || format('ALTER TABLE %s ADD CONSTRAINT %I %s', r.tbl, r.conname, pg_get_constraintdef(r.oid));
        ELSE
            -- a table left on the coordinator cannot refer to a distributed
            -- or reference table (Citus would convert it, and the extension's
            -- sequences with it)
            RAISE NOTICE 'foreign key % of % is not kept on Citus', r.conname, r.tbl;
        END IF;
        stmt := format('ALTER TABLE %s DROP CONSTRAINT %I', r.tbl, r.conname);
        EXECUTE stmt;
        -- the workers' copies of the tables (CREATE EXTENSION ran there too)
        PERFORM run_command_on_workers(stmt);
    END LOOP;

    -- A decision's key carries its subject (a unique key of a distributed
    -- table contains its distribution column): the decisions of a subject
    -- are kept on its node, by the triggers of its records' shard.  On one
    -- node the key of a licence or a penalty leaves the subject out, so that
    -- a re-sent one may correct it; on Citus a record never moves to another
    -- subject's shard, so a licence re-sent for another subject is a new
    -- decision of that subject.
    FOREACH stmt IN ARRAY ARRAY[
        'ALTER TABLE @extschema@.decision DROP CONSTRAINT decision_pkey',
        'ALTER TABLE @extschema@.decision ALTER COLUMN subject_id SET NOT NULL',
        'ALTER TABLE @extschema@.decision ADD CONSTRAINT decision_pkey PRIMARY KEY (department, item_code, document_no, party, subject_id)']
    LOOP
        EXECUTE stmt;
        PERFORM run_command_on_workers(stmt);
    END LOOP;

    -- The tables, in the plan's order: the triggers of the extension run
    -- on the shards (citus.enable_unsafe_triggers).
    PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
    -- rows already loaded move to the shards as they are: the triggers are
    -- off while Citus copies them (they fire on the shards, on the workers)
    FOR r IN
        SELECT t.tgname, t.tgrelid::regclass AS tbl
          FROM pg_trigger t
         WHERE t.tgrelid IN (SELECT p.tbl FROM @extschema@.distribution_plan() p)
           AND NOT t.tgisinternal AND t.tgenabled = 'O'
         ORDER BY t.oid
    LOOP
        EXECUTE format('ALTER TABLE %s DISABLE TRIGGER %I', r.tbl, r.tgname);
        triggers := triggers || format('ALTER TABLE %s ENABLE TRIGGER %I', r.tbl, r.tgname);
    END LOOP;
    -- foreign keys to reference tables are created over one connection a node
    PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
    FOR r IN SELECT * FROM @extschema@.distribution_plan() LOOP
        IF r.placement = 'reference' THEN
            PERFORM create_reference_table(r.tbl);
        ELSIF r.placement = 'colocated' AND r.tbl <> '@extschema@.subject'::regclass THEN
            PERFORM create_distributed_table(r.tbl, r.dist_column, colocate_with => '@extschema@.subject');
        ELSE
            PERFORM create_distributed_table(r.tbl, r.dist_column, colocate_with => 'none', shard_count => shard_count);
        END IF;
        n := n + 1;
    END LOOP;

    -- The foreign keys again, those Citus keeps: between reference tables,
    -- from a distributed table to a reference table, and between colocated
    -- tables on their distribution columns.  The others are reported.
    FOREACH stmt IN ARRAY triggers LOOP
        EXECUTE stmt;
    END LOOP;
    FOREACH stmt IN ARRAY fks LOOP
        BEGIN
            EXECUTE stmt;
        EXCEPTION WHEN feature_not_supported THEN
            RAISE NOTICE 'not kept on Citus: %', stmt USING DETAIL = SQLERRM;
        END;
    END LOOP;

    -- Each node appends its changes to one ledger chain at commit, under one
    -- lock held until the transaction ends (docs/ledger.md): a distributed
    -- transaction writing two shards of a node over two connections would
    -- wait there, its second connection for the first one's prepared
    -- transaction.  The sessions of the database (this one included) run
    -- their writes of several shards over one connection a node.
    EXECUTE format('ALTER DATABASE %I SET citus.multi_shard_modify_mode = %L', current_database(), 'sequential');
    -- the rows the workers write numbered from their own ranges
    SELECT pg_catalog.string_agg(w.nodename OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) w.nodeport
                                 OPERATOR(pg_catalog.||) ': ' OPERATOR(pg_catalog.||) w.result, '; ')
      INTO stmt
      FROM run_command_on_workers('SELECT @extschema@.number_node_rows()') w
     WHERE NOT w.success;
    IF stmt IS NOT NULL THEN
        RAISE EXCEPTION 'the workers'' sequences could not be moved to their ranges: %', stmt
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', false);
    RETURN n;
END
$fn$;
REVOKE ALL ON FUNCTION @extschema@.distribute(integer) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.distribute(integer) IS
    'The distributed layout on Citus: places the tables as credit.distribution_plan() says (the per-subject tables distributed by their subject column into shard_count shards colocated with credit.subject, the catalogue, model, measure, unit, list and calendar tables as reference tables), then creates again the foreign keys Citus keeps (the others are reported in a notice), sets citus.multi_shard_modify_mode to sequential for the database (a node''s ledger takes one writer a transaction) and moves the workers'' sequences to their own ranges (credit.number_node_rows); run once on the coordinator by the owner of the extension, with the workers added; returns the number of tables placed (docs/scale.md)';
-- Backup and restore (pg_dump / pg_restore): what a dump of a credit database
-- holds besides the extension itself.  CREATE EXTENSION recreates the shipped
-- rows, so a dump keeps only the rows added since; every table of collected or
-- derived data is dumped whole, with the sequences that number it.  A restore
-- runs with credit.restoring = on, so the triggers keep the loaded rows as
-- they are instead of evaluating, resolving and logging them a second time
-- (docs/backup.md).

-- The rows CREATE EXTENSION ships, as shipped, recorded after every fragment
-- has added its own: a reference row identical to one of them is not dumped;
-- a shipped row the county changed is dumped and, on restore, replaces the
-- shipped row of the same key.
CREATE TABLE @extschema@.shipped_row (
    tbl  text NOT NULL,
    "row" jsonb NOT NULL,
    PRIMARY KEY (tbl, "row")
);
COMMENT ON TABLE @extschema@.shipped_row IS
    'Rows CREATE EXTENSION inserts into the reference tables (department, catalog_item, industry, warning_rule, model, model_grade, model_dimension, model_rule, list, scenario, measure, tier, tier_rule, repair_rule, relation_kind, calendar_day), as shipped: pg_dump leaves out the rows still equal to them, since the extension recreates them on restore';
INSERT INTO @extschema@.shipped_row (tbl, "row")
SELECT 'department', pg_catalog.to_jsonb(t) FROM @extschema@.department t
UNION ALL SELECT 'catalog_item', pg_catalog.to_jsonb(t) FROM @extschema@.catalog_item t
UNION ALL SELECT 'industry', pg_catalog.to_jsonb(t) FROM @extschema@.industry t
UNION ALL SELECT 'warning_rule', pg_catalog.to_jsonb(t) FROM @extschema@.warning_rule t
UNION ALL SELECT 'model', pg_catalog.to_jsonb(t) FROM @extschema@.model t
UNION ALL SELECT 'model_grade', pg_catalog.to_jsonb(t) FROM @extschema@.model_grade t
UNION ALL SELECT 'model_dimension', pg_catalog.to_jsonb(t) FROM @extschema@.model_dimension t
UNION ALL SELECT 'model_rule', pg_catalog.to_jsonb(t) FROM @extschema@.model_rule t
UNION ALL SELECT 'list', pg_catalog.to_jsonb(t) FROM @extschema@.list t
UNION ALL SELECT 'scenario', pg_catalog.to_jsonb(t) FROM @extschema@.scenario t
UNION ALL SELECT 'measure', pg_catalog.to_jsonb(t) FROM @extschema@.measure t
UNION ALL SELECT 'tier', pg_catalog.to_jsonb(t) FROM @extschema@.tier t
UNION ALL SELECT 'tier_rule', pg_catalog.to_jsonb(t) FROM @extschema@.tier_rule t
UNION ALL SELECT 'repair_rule', pg_catalog.to_jsonb(t) FROM @extschema@.repair_rule t
UNION ALL SELECT 'relation_kind', pg_catalog.to_jsonb(t) FROM @extschema@.relation_kind t
UNION ALL SELECT 'calendar_day', pg_catalog.to_jsonb(t) FROM @extschema@.calendar_day t;
GRANT SELECT ON @extschema@.shipped_row TO credit_admin, credit_department, credit_analyst;

-- While restoring, a dumped row whose key CREATE EXTENSION has already
-- inserted (a shipped row changed by the county) overwrites that row.
CREATE FUNCTION @extschema@.restore_shipped_row() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cols text;
    keys text;
    n    bigint;
BEGIN
    IF NOT @extschema@.restoring() THEN
        RETURN NEW;
    END IF;
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
      FROM pg_attribute a WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped;
    SELECT string_agg(quote_ident(k), ', ') INTO keys FROM unnest(TG_ARGV) k;
    EXECUTE format('UPDATE %1$I.%2$I SET (%3$s) = (SELECT %3$s FROM jsonb_populate_record(NULL::%1$I.%2$I, $1))
                     WHERE (%4$s) = (SELECT %4$s FROM jsonb_populate_record(NULL::%1$I.%2$I, $1))',
                   TG_TABLE_SCHEMA, TG_TABLE_NAME, cols, keys)
        USING to_jsonb(NEW);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN CASE WHEN n > 0 THEN NULL ELSE NEW END;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.restore_shipped_row() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.restore_shipped_row() IS
    'BEFORE INSERT trigger of the reference tables (arguments: the key columns): with credit.restoring on, a loaded row whose key exists replaces that row (a shipped row changed before the dump) instead of failing';
-- Each reference table gets the trigger above, and pg_dump keeps its rows
-- added or changed since CREATE EXTENSION.
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES ('department', '{code}'::text[]), ('catalog_item', '{code}'),
                                   ('industry', '{code}'), ('warning_rule', '{kind}'), ('model', '{code}'),
                                   ('model_grade', '{model,grade}'), ('model_dimension', '{model,dimension}'),
                                   ('model_rule', '{model,item_code}'), ('list', '{code}'),
                                   ('scenario', '{code}'), ('measure', '{code}'),
                                   ('tier', '{tier}'), ('tier_rule', '{model,grade}'),
                                   ('repair_rule', '{severity,decided_before}'),
                                   ('relation_kind', '{kind}'), ('calendar_day', '{day}')) v (tbl, keys)
    LOOP
        EXECUTE pg_catalog.format('CREATE TRIGGER restore_shipped_row BEFORE INSERT ON @extschema@.%I
                                   FOR EACH ROW EXECUTE FUNCTION @extschema@.restore_shipped_row(%s)',
                                  t.tbl, (SELECT pg_catalog.string_agg(pg_catalog.quote_literal(k), ', ')
                                            FROM pg_catalog.unnest(t.keys) k));
        PERFORM pg_catalog.pg_extension_config_dump(
            pg_catalog.format('@extschema@.%I', t.tbl)::pg_catalog.regclass,
            pg_catalog.format('WHERE to_jsonb(%1$I.*) NOT IN (SELECT s."row" FROM @extschema@.shipped_row s WHERE s.tbl = %1$L)', t.tbl));
    END LOOP;
END
$$;

-- Evaluation history and current grades (the other data tables register themselves).
SELECT pg_catalog.pg_extension_config_dump('@extschema@.evaluation_run', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.evaluation', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.subject_grade', '');

-- Identity sequences: a restored database numbers new rows after the old ones.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.subject_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.record_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.query_log_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.grade_change_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.warning_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.evaluation_run_id_seq', '');
