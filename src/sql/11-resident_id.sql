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
