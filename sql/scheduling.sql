-- Scheduled jobs with pg_cron (docs/scheduling.md): without pg_cron in the
-- database each credit.schedule_* function refuses with an error and a hint;
-- with it, the job is created, and scheduling again replaces it.
\i sql/include/require_pg_cron.sql
\if :skip_test
\quit
\endif

-- An evaluation model of its own (removed at the end).
INSERT INTO credit.model (code, name, subject_kinds, base, lo, hi)
    VALUES ('m_test', 'Model test', '{enterprise}', 100, 0, 150);

-- Without pg_cron: a clear error and hint.
DROP EXTENSION IF EXISTS pg_cron;
SELECT credit.schedule_list_expiry();
SELECT credit.schedule_reanchor();
SELECT credit.schedule_refresh_listed();
SELECT credit.schedule_evaluation('m_test', '0 2 * * *');
CREATE EXTENSION pg_cron;

-- The daily expiry of list entries.
SELECT credit.schedule_list_expiry() > 0 AS scheduled;
SELECT jobname, schedule, command FROM cron.job WHERE jobname = 'credit_list_expiry';
SELECT credit.schedule_list_expiry('0 1 * * *') > 0 AS rescheduled;
SELECT jobname, schedule FROM cron.job WHERE jobname = 'credit_list_expiry';
SELECT cron.unschedule('credit_list_expiry');

-- The daily re-anchoring of grades.
SELECT credit.schedule_reanchor() > 0 AS scheduled;
SELECT jobname, schedule, command FROM cron.job WHERE jobname = 'credit_reanchor';
SELECT credit.schedule_reanchor('30 1 * * *') > 0 AS rescheduled;
SELECT jobname, schedule FROM cron.job WHERE jobname = 'credit_reanchor';
SELECT cron.unschedule('credit_reanchor');

-- The nightly recomputation of the listing flags.
SELECT credit.schedule_refresh_listed() > 0 AS scheduled;
SELECT jobname, schedule, command FROM cron.job WHERE jobname = 'credit_refresh_listed';
SELECT credit.schedule_refresh_listed('40 1 * * *') > 0 AS rescheduled;
SELECT jobname, schedule FROM cron.job WHERE jobname = 'credit_refresh_listed';
SELECT cron.unschedule('credit_refresh_listed');

-- An evaluation.
SELECT credit.schedule_evaluation('m_test', '0 2 * * *') > 0 AS scheduled;
SELECT credit.schedule_evaluation('no_such_model', '0 2 * * *');
SELECT jobname, schedule, command FROM cron.job WHERE jobname LIKE 'credit_evaluation_%';
-- scheduling again replaces the job
SELECT credit.schedule_evaluation('m_test', '30 3 * * 1') > 0 AS rescheduled;
SELECT jobname, schedule FROM cron.job WHERE jobname LIKE 'credit_evaluation_%';
SELECT credit.unschedule_evaluation('m_test') AS removed, credit.unschedule_evaluation('m_test') AS again;
SELECT count(*) FROM cron.job WHERE jobname LIKE 'credit_evaluation_%';

DROP EXTENSION pg_cron;
DELETE FROM credit.model WHERE code = 'm_test';
