SELECT current_setting('shared_preload_libraries') !~ '(^|[\s,])credit([\s,]|$)' AS skip_test \gset
\if :skip_test
\echo skipped: this test needs credit in shared_preload_libraries
\endif
