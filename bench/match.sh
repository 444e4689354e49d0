#!/usr/bin/env bash
# bench/match: list matching on a generated labelled set (bench/match_gen.py):
# BENCH_ENTRIES (100,000) list entries and BENCH_PROBES (1,000,000) probes,
# 10% of them true matches written dirty (full-width, Traditional characters,
# stray spaces, old legal-form suffixes, region dropped or province added,
# organisation codes for USCCs, 15-digit ID numbers, pseudonyms on the entry
# side).  Three methods in the same run:
#   match  credit.match over every probe (LATERAL), the build of the index of
#          entries included (the backend's one-time ICU set-up is not);
#   exact  an exact SQL join (hash joins, UNION) on keys cleaned beforehand
#          with credit.parse_code / credit.normalize_name / credit.pseudonym
#          (the cleaning is not timed);
#   trgm   a pg_trgm similarity join (name % name, GIN index on the entries'
#          names), on the first BENCH_TRGM_SAMPLE (5,000) probes (the order is
#          random) and its time scaled to all probes.
# Prints time ratios and each method's precision and recall (recall on true
# matches carrying a valid identifier, and on those carrying only a dirty name).
# Run by bench/run (PGHOST/PGPORT/PGDATABASE set, superuser), or by hand with
# those variables set.
set -euo pipefail
cd "$(dirname "$0")"
entries=${BENCH_ENTRIES:-100000}
probes=${BENCH_PROBES:-1000000}
sample=${BENCH_TRGM_SAMPLE:-5000}
threshold=${BENCH_TRGM_THRESHOLD:-0.5}
key='bench pseudonym key 0123456789'
dir=$(mktemp -d "${TMPDIR:-/tmp}/bench-match.XXXXXX")
trap 'rm -rf "$dir"' EXIT
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

echo "match: generating $entries entries and $probes probes"
python3 match_gen.py "$dir" "$entries" "$probes" "$key"

echo "match: loading"
psql_q <<SQL
CREATE EXTENSION IF NOT EXISTS pg_trgm;
DROP SCHEMA IF EXISTS bench_match CASCADE;
CREATE SCHEMA bench_match;
CREATE UNLOGGED TABLE bench_match.entry_in (id int, list_code text, name text, code text);
CREATE UNLOGGED TABLE bench_match.probe (id int PRIMARY KEY, name text, code text, true_in int, kind text);
\copy bench_match.entry_in FROM '$dir/entries.csv' (FORMAT csv)
\copy bench_match.probe FROM '$dir/probes.csv' (FORMAT csv)
DELETE FROM credit.list_entry WHERE document_no LIKE 'bench:%';
INSERT INTO credit.list_entry (list_code, name, code, listed_on, document_no)
SELECT list_code, name, nullif(code, ''), CURRENT_DATE - 30 - id % 300, 'bench:' || id
  FROM bench_match.entry_in ORDER BY id;
-- labels in list_entry ids
CREATE UNLOGGED TABLE bench_match.truth AS
SELECT p.id AS probe_id, e.id AS entry_id, p.kind
  FROM bench_match.probe p LEFT JOIN credit.list_entry e ON e.document_no = 'bench:' || p.true_in;
ALTER TABLE bench_match.truth ADD PRIMARY KEY (probe_id);

-- exact baseline: keys cleaned beforehand (not timed)
SET credit.pseudonym_key = '$key';
CREATE UNLOGGED TABLE bench_match.probe_key AS
SELECT p.id, credit.normalize_name(p.name) AS name_key, c.canonical, c.org_code,
       CASE WHEN c.kind IN ('uscc', 'resident_id') THEN encode(credit.pseudonym(c.canonical), 'hex')
            WHEN c.kind = 'pseudonym' THEN c.canonical END AS pseud
  FROM bench_match.probe p LEFT JOIN LATERAL credit.parse_code(p.code) c ON true;
CREATE UNLOGGED TABLE bench_match.entry_key AS
SELECT e.id, e.name_key, e.code_canonical AS canonical, c.org_code,
       CASE WHEN e.code_kind IN ('uscc', 'resident_id') THEN encode(credit.pseudonym(e.code_canonical), 'hex')
            WHEN e.code_kind = 'pseudonym' THEN e.code_canonical END AS pseud
  FROM credit.list_entry e LEFT JOIN LATERAL credit.parse_code(e.code) c ON true
 WHERE e.document_no LIKE 'bench:%';
-- pg_trgm baseline: the raw names, a GIN index
CREATE UNLOGGED TABLE bench_match.entry_raw AS
SELECT id, name FROM credit.list_entry WHERE document_no LIKE 'bench:%';
CREATE INDEX ON bench_match.entry_raw USING gin (name gin_trgm_ops);
VACUUM ANALYZE bench_match.probe;
VACUUM ANALYZE bench_match.probe_key;
VACUUM ANALYZE bench_match.entry_key;
VACUUM ANALYZE bench_match.entry_raw;
VACUUM ANALYZE credit.list_entry;
VACUUM ANALYZE credit.record;
VACUUM ANALYZE bench_match.truth;
VACUUM ANALYZE bench_match.entry_in;
CHECKPOINT;
SQL

echo "match: running the three methods"
psql_q <<SQL
SET credit.pseudonym_key = '$key';
SET work_mem = '256MB';
SET max_parallel_workers_per_gather = 0;
-- CPU seconds of this backend (/proc/self/stat: utime + stime), robust to other load
CREATE FUNCTION pg_temp.cpu() RETURNS float8 LANGUAGE sql AS \$\$
    SELECT (split_part(s, ' ', 14)::float8 + split_part(s, ' ', 15)::float8) / 100
      FROM pg_read_file('/proc/self/stat') s
\$\$;
CREATE FUNCTION pg_temp.timed(q text, OUT seconds float8, OUT cpu float8) LANGUAGE plpgsql AS \$\$
DECLARE
    t0 timestamptz := clock_timestamp();
    c0 float8 := pg_temp.cpu();
BEGIN
    EXECUTE q;
    seconds := extract(epoch FROM clock_timestamp() - t0);
    cpu := pg_temp.cpu() - c0;
END
\$\$;
CREATE TEMP TABLE timing (method text, seconds float8, cpu float8, probes int);
-- a backend opens ICU once (the transliterator and its filter, ~0.2 s): not part of any method;
-- the index of entries is built inside the timed match
SELECT credit.normalize_name('x') IS NOT NULL AS icu_ready;

INSERT INTO timing SELECT 'match', t.seconds, t.cpu, n FROM pg_temp.timed(\$q\$
    CREATE UNLOGGED TABLE bench_match.res_match AS
    SELECT p.id AS probe_id, m.entry_id
      FROM bench_match.probe p, LATERAL credit.match(p.name, p.code) m
\$q\$) t, (SELECT count(*) FROM bench_match.probe) c(n);

INSERT INTO timing SELECT 'exact', t.seconds, t.cpu, n FROM pg_temp.timed(\$q\$
    CREATE UNLOGGED TABLE bench_match.res_exact AS
    SELECT p.id AS probe_id, e.id AS entry_id
      FROM bench_match.probe_key p JOIN bench_match.entry_key e ON p.canonical = e.canonical
    UNION
    SELECT p.id, e.id FROM bench_match.probe_key p JOIN bench_match.entry_key e ON p.org_code = e.org_code
    UNION
    SELECT p.id, e.id FROM bench_match.probe_key p JOIN bench_match.entry_key e ON p.pseud = e.pseud
    UNION
    SELECT p.id, e.id FROM bench_match.probe_key p JOIN bench_match.entry_key e
        ON p.name_key = e.name_key AND p.name_key <> ''
\$q\$) t, (SELECT count(*) FROM bench_match.probe) c(n);

SET pg_trgm.similarity_threshold = $threshold;
INSERT INTO timing SELECT 'trgm', t.seconds, t.cpu, n FROM pg_temp.timed(\$q\$
    CREATE UNLOGGED TABLE bench_match.res_trgm AS
    SELECT p.id AS probe_id, e.id AS entry_id
      FROM (SELECT * FROM bench_match.probe ORDER BY id LIMIT $sample) p
      JOIN bench_match.entry_raw e ON p.name % e.name
\$q\$) t, (SELECT least($sample, count(*)) FROM bench_match.probe) c(n);

-- quality: precision over predicted pairs; recall over true matches by kind
CREATE TEMP TABLE res AS
    SELECT 'match' AS method, probe_id, entry_id FROM bench_match.res_match
    UNION ALL SELECT 'exact', probe_id, entry_id FROM bench_match.res_exact
    UNION ALL SELECT 'trgm', probe_id, entry_id FROM bench_match.res_trgm;
CREATE INDEX ON res (method, probe_id, entry_id);
ANALYZE res;
CREATE TEMP TABLE quality AS
WITH scope AS (        -- trgm ran on a sample: judge it on that sample only
    SELECT m.method, t.*
      FROM (VALUES ('match'), ('exact'), ('trgm')) m(method)
      JOIN bench_match.truth t ON m.method <> 'trgm' OR t.probe_id <= $sample
), judged AS (
    SELECT s.method, s.kind,
           EXISTS (SELECT 1 FROM res r WHERE r.method = s.method AND r.probe_id = s.probe_id
                                         AND r.entry_id = s.entry_id) AS found
      FROM scope s WHERE s.kind <> 'none'
)
SELECT j.method,
       (SELECT count(*) FROM res r JOIN bench_match.truth t USING (probe_id)
         WHERE r.method = j.method AND r.entry_id = t.entry_id)::float8
         / nullif((SELECT count(*) FROM res r WHERE r.method = j.method), 0) AS precision,
       avg(j.found::int) FILTER (WHERE j.kind = 'code') AS recall_code,
       avg(j.found::int) FILTER (WHERE j.kind = 'name') AS recall_name
  FROM judged j GROUP BY j.method;

\pset footer off
\echo
\echo bench/match: $sample probes for trgm, threshold $threshold
SELECT t.method,
       t.probes,
       round(t.seconds::numeric, 2) AS wall_s,
       round(t.cpu::numeric, 2) AS cpu_s,
       round((t.seconds * m.probes / t.probes)::numeric, 1) AS wall_s_all_probes,
       round(((t.seconds / t.probes) / (m.seconds / m.probes))::numeric, 2) AS wall_ratio,
       round(((t.cpu / t.probes) / (m.cpu / m.probes))::numeric, 2) AS cpu_ratio,
       round(q.precision::numeric, 4) AS precision,
       round(q.recall_code::numeric, 4) AS recall_code,
       round(q.recall_name::numeric, 4) AS recall_name_only
  FROM timing t JOIN quality q USING (method), (SELECT * FROM timing WHERE method = 'match') m
 ORDER BY array_position(ARRAY['match', 'exact', 'trgm'], t.method);
\echo ratios: time per probe of each method / time per probe of credit.match
SELECT level, count(*) AS hits FROM bench_match.probe p, LATERAL credit.match(p.name, p.code) m
 WHERE p.id <= $sample GROUP BY level ORDER BY min(array_position(ARRAY['code','org_code','pseudonym','name','fuzzy'], level));
SQL
# BENCH_KEEP=1 keeps the data for a closer look
[ -n "${BENCH_KEEP:-}" ] ||
    psql_q -c "DELETE FROM credit.list_entry WHERE document_no LIKE 'bench:%'" -c "DROP SCHEMA bench_match CASCADE"
