SELECT NOT coalesce(current_setting('shared_preload_libraries') ~ '(^|[\s,])pg_cron([\s,]|$)'
                    AND current_setting('cron.database_name', true) = current_database(), false) AS skip_test \gset
\if :skip_test
\echo skipped: this test needs pg_cron in shared_preload_libraries, with cron.database_name = this database
\endif
