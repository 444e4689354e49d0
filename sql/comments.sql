-- Every object of the extension says what it is for (COMMENT ON): types,
-- tables, views, every column of every view and functions.  The list must be empty.
SELECT 'type' AS kind, t.typname::text AS name
  FROM pg_type t
 WHERE t.typnamespace = 'credit'::regnamespace AND t.typtype IN ('b', 'e', 'd') AND t.typname !~ '^_'
   AND obj_description(t.oid, 'pg_type') IS NULL
UNION ALL
SELECT CASE c.relkind WHEN 'v' THEN 'view' ELSE 'table' END, c.relname::text
  FROM pg_class c
 WHERE c.relnamespace = 'credit'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p')
   AND obj_description(c.oid, 'pg_class') IS NULL
UNION ALL
SELECT 'view column', c.relname || '.' || a.attname
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relnamespace = 'credit'::regnamespace AND c.relkind = 'v'
   AND col_description(c.oid, a.attnum) IS NULL
UNION ALL
SELECT 'function', p.oid::regprocedure::text
  FROM pg_proc p
 WHERE p.pronamespace = 'credit'::regnamespace
   AND obj_description(p.oid, 'pg_proc') IS NULL
ORDER BY 1, 2;

-- Every function declares its volatility and parallel safety on purpose:
-- nothing that reads a table is IMMUTABLE (spot check of the readers).
SELECT p.proname, p.provolatile, p.proparallel
  FROM pg_proc p
 WHERE p.pronamespace = 'credit'::regnamespace
   AND p.proname IN ('evaluate_subject', 'run_evaluation', 'match', 'cross_match', 'acting_departments', 'find_person')
 ORDER BY 1;
