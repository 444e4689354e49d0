-- Every privilege the platform's roles hold on the extension's objects, as
-- installed: a reviewed snapshot, so that any change shows in review.  Then
-- the rules the snapshot must keep, as queries that list what breaks them
-- (empty when the rules hold).
\pset null '(null)'
CREATE TEMP VIEW credit_grantee (oid, name) AS
    SELECT 0::oid, 'PUBLIC'::text
    UNION ALL
    SELECT r.oid, r.rolname::text FROM pg_roles r
     WHERE r.rolname IN ('credit_admin', 'credit_department', 'credit_analyst', 'credit_public');

-- The roles: none may log in, bypass row-level security or create anything.
SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls
  FROM pg_roles WHERE rolname IN ('credit_admin', 'credit_department', 'credit_analyst', 'credit_public')
 ORDER BY rolname;
SELECT g.name AS role, string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type) AS on_schema_credit
  FROM pg_namespace n, aclexplode(n.nspacl) a JOIN credit_grantee g ON g.oid = a.grantee
 WHERE n.nspname = 'credit' GROUP BY g.name ORDER BY g.name;

-- Tables, views and sequences: who may do what (column grants below).  A
-- partitioned table shows as a table (r): the suite runs on both layouts.
SELECT c.relname, CASE c.relkind WHEN 'p' THEN 'r' ELSE c.relkind END AS relkind, g.name AS role,
       string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type) AS privileges
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'credit'
 CROSS JOIN LATERAL aclexplode(coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))) a
  JOIN credit_grantee g ON g.oid = a.grantee
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
 GROUP BY c.relname, 2, g.name
 ORDER BY c.relname, g.name;

-- Column grants.
SELECT c.relname, g.name AS role, a.privilege_type,
       string_agg(att.attname, ', ' ORDER BY att.attnum) AS columns
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'credit'
  JOIN pg_attribute att ON att.attrelid = c.oid AND att.attnum > 0 AND NOT att.attisdropped
 CROSS JOIN LATERAL aclexplode(att.attacl) a
  JOIN credit_grantee g ON g.oid = a.grantee
 GROUP BY c.relname, g.name, a.privilege_type
 ORDER BY c.relname, g.name, a.privilege_type;

-- Functions that are not executable by every role: who may call them.
SELECT p.oid::regprocedure AS function,
       string_agg(g.name, ', ' ORDER BY g.name) AS callers
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace AND n.nspname = 'credit'
  LEFT JOIN LATERAL aclexplode(p.proacl) a ON true
  LEFT JOIN credit_grantee g ON g.oid = a.grantee AND a.privilege_type = 'EXECUTE'
 WHERE p.proacl IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM aclexplode(p.proacl) x WHERE x.grantee = 0)
 GROUP BY p.oid
 ORDER BY p.oid::regprocedure::text;

-- Row-level security: which tables have it, and every policy.
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'credit'
 WHERE c.relkind IN ('r', 'p') AND c.relrowsecurity
 ORDER BY c.relname;
SELECT tablename, policyname, cmd, roles, qual, with_check
  FROM pg_policies WHERE schemaname = 'credit'
 ORDER BY tablename, policyname;

-- The rules.
-- No credit role (nor PUBLIC) holds TRIGGER, TRUNCATE or REFERENCES, or any
-- privilege granted with GRANT OPTION.
SELECT c.relname, g.name, a.privilege_type, a.is_grantable
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'credit'
 CROSS JOIN LATERAL aclexplode(c.relacl) a
  JOIN credit_grantee g ON g.oid = a.grantee
 WHERE a.privilege_type IN ('TRIGGER', 'TRUNCATE', 'REFERENCES') OR a.is_grantable
UNION ALL
SELECT c.relname || '.' || att.attname, g.name, a.privilege_type, a.is_grantable
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'credit'
  JOIN pg_attribute att ON att.attrelid = c.oid AND att.attnum > 0
 CROSS JOIN LATERAL aclexplode(att.attacl) a
  JOIN credit_grantee g ON g.oid = a.grantee
 WHERE a.privilege_type = 'REFERENCES' OR a.is_grantable;
-- No credit role uses a sequence: identity columns number rows without it,
-- and a role that could call nextval would leave gaps that hide deletions.
SELECT c.relname, g.name, a.privilege_type
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'credit'
 CROSS JOIN LATERAL aclexplode(c.relacl) a
  JOIN credit_grantee g ON g.oid = a.grantee
 WHERE c.relkind = 'S';
-- The ledger, the public keys that sign reports, the query log and the fold
-- queue are written only by the extension's own code.
SELECT c.relname, g.name, a.privilege_type
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'credit'
 CROSS JOIN LATERAL aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
  JOIN credit_grantee g ON g.oid = a.grantee
 WHERE c.relname IN ('ledger', 'signing_key', 'query_log', 'pending_fold')
   AND a.privilege_type <> 'SELECT'
UNION ALL
SELECT c.relname || '.' || att.attname, g.name, a.privilege_type
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'credit'
  JOIN pg_attribute att ON att.attrelid = c.oid AND att.attnum > 0
 CROSS JOIN LATERAL aclexplode(att.attacl) a
  JOIN credit_grantee g ON g.oid = a.grantee
 WHERE c.relname IN ('ledger', 'signing_key', 'query_log', 'pending_fold')
   AND a.privilege_type <> 'SELECT';
-- Whole ID numbers: only administrators read the columns that hold them.
SELECT c.relname || '.' || att.attname AS id_column, g.name, a.privilege_type
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'credit'
  JOIN pg_attribute att ON att.attrelid = c.oid AND att.attnum > 0
 CROSS JOIN LATERAL aclexplode(coalesce(att.attacl, '{}')
                               || coalesce(c.relacl, acldefault('r', c.relowner))) a
  JOIN credit_grantee g ON g.oid = a.grantee
 WHERE (c.relname, att.attname) IN (('subject', 'person_id'), ('list_entry', 'code'),
                                    ('list_entry', 'code_canonical'))
   AND a.privilege_type = 'SELECT' AND g.name <> 'credit_admin';
-- Code that runs with more rights than its caller pins the search_path:
-- every SECURITY DEFINER function, and every SQL or PL/pgSQL trigger function.
SELECT p.oid::regprocedure AS function, p.prosecdef AS definer, p.proconfig
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace AND n.nspname = 'credit'
  JOIN pg_language l ON l.oid = p.prolang
 WHERE (p.prosecdef OR (p.prorettype = 'trigger'::regtype AND l.lanname IN ('sql', 'plpgsql')))
   AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)
 ORDER BY 1;
-- ... and no SECURITY DEFINER function may be called by every role.
SELECT p.oid::regprocedure AS function
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace AND n.nspname = 'credit'
 WHERE p.prosecdef
   AND EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) x
                WHERE x.grantee = 0)
 ORDER BY 1;
-- Policies hold no sub-query (a distributed table refuses them).
SELECT tablename, policyname
  FROM pg_policies
 WHERE schemaname = 'credit'
   AND (coalesce(qual, '') ~* '\mselect\M' OR coalesce(with_check, '') ~* '\mselect\M');
