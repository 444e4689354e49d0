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
