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
