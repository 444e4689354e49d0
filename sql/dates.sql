-- Messages show dates as ISO YYYY-MM-DD whatever the session's DateStyle,
-- and nothing printed here depends on the day the test runs.
SELECT credit.iso_date(date '2028-02-29') AS leap_day, credit.iso_date('infinity') AS inf,
       credit.iso_date('-infinity') AS neg_inf, credit.iso_date(date '0044-03-15 BC') AS bc;
CREATE FUNCTION pg_temp.future_record_message() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO credit.record (subject_id, item_code, department, decided_on)
    VALUES (1, 'penalty_general', 'platform', CURRENT_DATE + 1);
    RETURN 'accepted';
EXCEPTION WHEN check_violation THEN
    DECLARE d text;
    BEGIN
        GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
        RETURN d = pg_catalog.format('decided_on is %s.', pg_catalog.to_char(CURRENT_DATE + 1, 'YYYY-MM-DD'));
    END;
END
$$;
SET DateStyle = 'Postgres, MDY';
SELECT pg_temp.future_record_message() AS iso_under_postgres_mdy;
SET DateStyle = 'SQL, DMY';
SELECT pg_temp.future_record_message() AS iso_under_sql_dmy;
SET DateStyle = 'German';
SELECT pg_temp.future_record_message() AS iso_under_german;
RESET DateStyle;
