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
