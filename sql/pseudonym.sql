-- credit.pseudonym: HMAC-SHA256 under the superuser-only GUC credit.pseudonym_key
-- without a key: a clear error
SELECT credit.pseudonym('11010519491231002X');
DO $$
BEGIN
    PERFORM credit.pseudonym('11010519491231002X');
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'SQLSTATE %', SQLSTATE;
END
$$;
SET credit.pseudonym_key = 'short';
SELECT credit.pseudonym('11010519491231002X');
SET credit.pseudonym_key = '0123456789abcdef0123';
-- the canonical identifier is what is keyed: 15-digit form, lower-case x, full-width, spaces
SELECT encode(credit.pseudonym('11010519491231002X'), 'hex');
SELECT credit.pseudonym('110105491231002') = credit.pseudonym('11010519491231002X') AS fifteen,
       credit.pseudonym(' 11010519491231002x ') = credit.pseudonym('11010519491231002X') AS lower_x,
       credit.pseudonym('１１０１０５１９４９１２３１００２Ｘ') = credit.pseudonym('11010519491231002X') AS full_width;
SELECT encode(credit.pseudonym('91320281142232229Q'), 'hex');
SELECT credit.pseudonym(' 913202811422322-29q ') = credit.pseudonym('91320281142232229Q') AS uscc_lenient,
       credit.pseudonym('９１３２０２８１１４２２３２２２９Ｑ') = credit.pseudonym('91320281142232229Q') AS uscc_full_width;
-- other text is keyed as given
SELECT credit.pseudonym('passport E12345678') = credit.pseudonym('passport e12345678') AS other_text_case_matters,
       octet_length(credit.pseudonym('')) AS length;
-- another key, another pseudonym
SET credit.pseudonym_key = 'another key of enough length';
SELECT encode(credit.pseudonym('11010519491231002X'), 'hex');
-- the key is invisible to other roles, who may still compute pseudonyms
SET credit.pseudonym_key = '0123456789abcdef0123';
SET ROLE credit_analyst;
SHOW credit.pseudonym_key;
DO $$
BEGIN
    PERFORM current_setting('credit.pseudonym_key');
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'SQLSTATE %', SQLSTATE;
END
$$;
SELECT count(*) AS listed FROM pg_settings WHERE name = 'credit.pseudonym_key';
SET credit.pseudonym_key = 'analyst tries a key';
SELECT encode(credit.pseudonym('11010519491231002X'), 'hex');
RESET ROLE;
SET ROLE credit_public;
SELECT credit.pseudonym('11010519491231002X');
RESET ROLE;
-- a key set in the session (seen by this session only) follows SET LOCAL and rollback
BEGIN;
SET LOCAL credit.pseudonym_key = 'another key of enough length';
SELECT encode(credit.pseudonym('11010519491231002X'), 'hex');
ROLLBACK;
SELECT encode(credit.pseudonym('11010519491231002X'), 'hex');
-- the key cannot be stored where every role can read it (pg_db_role_setting, pg_proc, dumps)
ALTER DATABASE contrib_regression SET credit.pseudonym_key = '0123456789abcdef0123';
ALTER ROLE credit_analyst SET credit.pseudonym_key = '0123456789abcdef0123';
DO $$
BEGIN
    ALTER ROLE ALL SET credit.pseudonym_key = '0123456789abcdef0123';
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'SQLSTATE %', SQLSTATE;
END
$$;
CREATE FUNCTION pseudonym_keyed(text) RETURNS bytea LANGUAGE sql
    SET credit.pseudonym_key = '0123456789abcdef0123' AS 'SELECT credit.pseudonym($1)';
SELECT count(*) AS stored FROM pg_db_role_setting
 WHERE array_to_string(setconfig, ',') LIKE '%credit.pseudonym_key%';
-- taking such a setting out is always possible
ALTER DATABASE contrib_regression RESET credit.pseudonym_key;
ALTER ROLE credit_analyst RESET credit.pseudonym_key;
-- the session's key is still in use
SELECT encode(credit.pseudonym('11010519491231002X'), 'hex');
RESET credit.pseudonym_key;
SELECT credit.pseudonym('11010519491231002X');
