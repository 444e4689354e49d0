-- Prints docs/reference.md from the installed extension's own comments:
--   psql -X -At -d DB -f tools/reference.sql > docs/reference.md
SELECT '# SQL reference' || chr(10) || chr(10) ||
       'Generated from the comments the extension carries (`tools/reference.sql`); `\dx+ credit` lists the same objects.' || chr(10);
SELECT '## Types' || chr(10) || chr(10) || '| type | description |' || chr(10) || '|---|---|';
SELECT format('| `%s` | %s |', t.typname, replace(coalesce(obj_description(t.oid, 'pg_type'), ''), '|', '\|'))
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname = 'credit' AND t.typtype IN ('b', 'e', 'd') AND t.typname !~ '^_'
 ORDER BY t.typname;
SELECT chr(10) || '## Tables and views' || chr(10) || chr(10) || '| relation | kind | description |' || chr(10) || '|---|---|---|';
SELECT format('| `credit.%s` | %s | %s |', c.relname, CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' ELSE c.relkind::text END,
              replace(coalesce(obj_description(c.oid, 'pg_class'), ''), '|', '\|'))
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'credit' AND c.relkind IN ('r', 'v', 'm', 'p')
 ORDER BY c.relname;
SELECT chr(10) || '## Functions' || chr(10) || chr(10) || '| function | returns | volatility | description |' || chr(10) || '|---|---|---|---|';
SELECT format('| `credit.%s(%s)` | `%s` | %s%s | %s |', p.proname, pg_get_function_arguments(p.oid),
              pg_get_function_result(p.oid),
              CASE p.provolatile WHEN 'i' THEN 'immutable' WHEN 's' THEN 'stable' ELSE 'volatile' END,
              CASE p.proparallel WHEN 's' THEN ', parallel safe' WHEN 'r' THEN ', parallel restricted' ELSE '' END,
              replace(coalesce(obj_description(p.oid, 'pg_proc'), ''), '|', '\|'))
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'credit' AND p.prorettype <> 'trigger'::regtype
   AND p.proname !~ '_(in|out|recv|send|cmp|eq|ne|lt|le|gt|ge|hash|hash_extended)$'
   AND p.prokind IN ('f', 'a')
 ORDER BY p.proname, pg_get_function_arguments(p.oid);
