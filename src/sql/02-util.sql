-- Helpers every fragment uses.

-- IMMUTABLE: the text depends only on the date (never on DateStyle).
CREATE FUNCTION @extschema@.iso_date(date) RETURNS text
    AS 'MODULE_PATHNAME', 'credit_iso_date'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.iso_date(date) IS
    'A date as ISO 8601 text (YYYY-MM-DD; infinity and -infinity as such) whatever the session''s DateStyle: the form in which the extension''s messages show dates';
