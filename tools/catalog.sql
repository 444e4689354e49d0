-- Prints the catalog of the installed extension credit, one line per fact,
-- without OIDs, sorted: two databases whose outputs are equal hold the same
-- extension (t/040_versions.pl compares a fresh install of the newest version
-- with the oldest release updated to it).
--   psql -X -At -d DB -f tools/catalog.sql
\pset format unaligned
\pset footer off
\pset tuples_only on
WITH ext AS (SELECT oid FROM pg_extension WHERE extname = 'credit'),
member AS (
    SELECT d.classid, d.objid, d.objsubid
      FROM pg_depend d, ext
     WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
),
rel AS (
    SELECT c.oid, c.relname, c.relkind FROM pg_class c JOIN member m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid
),
fn AS (
    SELECT p.oid FROM pg_proc p JOIN member m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
),
facts(line) AS (
    -- every member object
    SELECT 'member ' || pg_describe_object(m.classid, m.objid, m.objsubid) FROM member m
    UNION ALL
    SELECT 'extension ' || e.extname || ' ' || e.extversion || ' relocatable=' || e.extrelocatable
           || ' config=' || coalesce((SELECT string_agg(c::regclass::text || ':' || coalesce(e.extcondition[i], ''), ',' ORDER BY c::regclass::text)
                                        FROM unnest(e.extconfig) WITH ORDINALITY AS u(c, i)), '')
      FROM pg_extension e WHERE e.extname = 'credit'
    UNION ALL
    -- relations: kind, persistence, options, columns
    SELECT format('relation %s kind=%s persistence=%s options=%s partition=%s acl=%s comment=%s',
                  r.oid::regclass, r.relkind, c.relpersistence, c.reloptions, pg_get_partkeydef(r.oid),
                  c.relacl, obj_description(r.oid, 'pg_class'))
      FROM rel r JOIN pg_class c ON c.oid = r.oid
    UNION ALL
    SELECT format('column %s.%s %s notnull=%s default=%s identity=%s generated=%s storage=%s acl=%s comment=%s',
                  r.oid::regclass, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                  pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attgenerated, a.attstorage, a.attacl,
                  col_description(r.oid, a.attnum))
      FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
    UNION ALL
    SELECT format('constraint %s %s %s deferrable=%s', r.oid::regclass, co.conname, pg_get_constraintdef(co.oid), co.condeferrable)
      FROM rel r JOIN pg_constraint co ON co.conrelid = r.oid
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(i.indexrelid) || ' comment=' || coalesce(obj_description(i.indexrelid, 'pg_class'), '')
      FROM rel r JOIN pg_index i ON i.indrelid = r.oid
    UNION ALL
    SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
      FROM rel r JOIN pg_trigger t ON t.tgrelid = r.oid AND NOT t.tgisinternal
    UNION ALL
    SELECT format('policy %s.%s %s %s roles=%s using=%s check=%s', p.schemaname, p.tablename, p.policyname,
                  p.cmd, p.roles, p.qual, p.with_check)
      FROM pg_policies p WHERE p.schemaname = 'credit'
    UNION ALL
    SELECT format('rls %s enabled=%s forced=%s', c.oid::regclass, c.relrowsecurity, c.relforcerowsecurity)
      FROM rel r JOIN pg_class c ON c.oid = r.oid WHERE r.relkind IN ('r', 'p')
    UNION ALL
    SELECT 'view ' || r.oid::regclass || ' ' || pg_get_viewdef(r.oid) FROM rel r WHERE r.relkind IN ('v', 'm')
    UNION ALL
    SELECT format('sequence %s %s start=%s inc=%s min=%s max=%s cycle=%s', s.schemaname, s.sequencename,
                  s.start_value, s.increment_by, s.min_value, s.max_value, s.cycle)
      FROM pg_sequences s WHERE s.schemaname = 'credit'
    UNION ALL
    -- functions: the whole definition (language, volatility, parallel safety,
    -- SET clauses, security), privileges and comment
    SELECT 'function ' || pg_get_functiondef(p.oid) || ' acl=' || coalesce(p.proacl::text, '')
           || ' comment=' || coalesce(obj_description(p.oid, 'pg_proc'), '')
      FROM fn f JOIN pg_proc p ON p.oid = f.oid WHERE p.prokind IN ('f', 'p', 'w')
    UNION ALL
    SELECT format('aggregate %s(%s) sfunc=%s stype=%s final=%s combine=%s serial=%s deserial=%s parallel=%s',
                  p.oid::regproc, pg_get_function_arguments(p.oid), a.aggtransfn, format_type(a.aggtranstype, NULL),
                  a.aggfinalfn, a.aggcombinefn, a.aggserialfn, a.aggdeserialfn, p.proparallel)
      FROM fn f JOIN pg_proc p ON p.oid = f.oid JOIN pg_aggregate a ON a.aggfnoid = p.oid
    UNION ALL
    -- types, domains, enums, operators, casts
    SELECT format('type %s type=%s len=%s byval=%s align=%s storage=%s in=%s out=%s recv=%s send=%s acl=%s comment=%s',
                  t.oid::regtype, t.typtype, t.typlen, t.typbyval, t.typalign, t.typstorage, t.typinput, t.typoutput,
                  t.typreceive, t.typsend, t.typacl, obj_description(t.oid, 'pg_type'))
      FROM pg_type t JOIN member m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
    UNION ALL
    SELECT format('domain-constraint %s %s %s', t.oid::regtype, co.conname, pg_get_constraintdef(co.oid))
      FROM pg_type t JOIN member m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
      JOIN pg_constraint co ON co.contypid = t.oid
    UNION ALL
    SELECT format('enum %s %s %s', e.enumtypid::regtype, e.enumsortorder, e.enumlabel)
      FROM pg_enum e JOIN member m ON m.classid = 'pg_type'::regclass AND m.objid = e.enumtypid
    UNION ALL
    SELECT format('operator %s.%s(%s, %s) code=%s commutator=%s negator=%s restrict=%s join=%s',
                  o.oprnamespace::regnamespace, o.oprname, format_type(o.oprleft, NULL), format_type(o.oprright, NULL),
                  o.oprcode, o.oprcom::regoperator, o.oprnegate::regoperator, o.oprrest, o.oprjoin)
      FROM pg_operator o JOIN member m ON m.classid = 'pg_operator'::regclass AND m.objid = o.oid
    UNION ALL
    SELECT format('opclass %s %s for %s default=%s', am.amname, oc.opcname, format_type(oc.opcintype, NULL), oc.opcdefault)
      FROM pg_opclass oc JOIN member m ON m.classid = 'pg_opclass'::regclass AND m.objid = oc.oid
      JOIN pg_am am ON am.oid = oc.opcmethod
    UNION ALL
    SELECT format('cast %s as %s via %s context=%s', format_type(c.castsource, NULL), format_type(c.casttarget, NULL),
                  c.castfunc::regprocedure, c.castcontext)
      FROM pg_cast c JOIN member m ON m.classid = 'pg_cast'::regclass AND m.objid = c.oid
    UNION ALL
    SELECT format('schema %s acl=%s comment=%s', n.nspname, n.nspacl, obj_description(n.oid, 'pg_namespace'))
      FROM pg_namespace n WHERE n.nspname = 'credit'
    UNION ALL
    -- the rows the extension ships (every table's row count: the shipped
    -- catalogue, models, lists, calendar ...)
    SELECT format('rows %s %s', c.oid::regclass,
                  (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %s', c.oid::regclass), false, true, '')))[1]::text)
      FROM rel r JOIN pg_class c ON c.oid = r.oid WHERE r.relkind IN ('r', 'p')
)
SELECT line FROM facts ORDER BY line COLLATE "C";
