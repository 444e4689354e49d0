-- The distributed layout (credit.distribute, on Citus): where Citus is not
-- installed it refuses and changes nothing.  The plan places every table
-- that grows with the subjects by its subject column, colocated with
-- credit.subject.
\set VERBOSITY default
SELECT credit.distribute();
SELECT placement, count(*) FROM credit.distribution_plan() GROUP BY 1 ORDER BY 1;
SELECT tbl, dist_column FROM credit.distribution_plan() WHERE placement <> 'reference' ORDER BY tbl::text;
-- the tables with a subject column the plan leaves on the coordinator
SELECT c.oid::regclass AS tbl
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
 WHERE c.relnamespace = 'credit'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
   AND a.attname IN ('subject_id', 'from_subject') AND NOT a.attisdropped
   AND c.oid NOT IN (SELECT tbl FROM credit.distribution_plan())
 ORDER BY c.oid::regclass::text;
-- only the owner of the extension distributes it
SET ROLE credit_admin;
SELECT credit.distribute();
RESET ROLE;
