#!/usr/bin/env bash
# COPY of N valid codes (default 1,000,000) into a uscc column and a
# resident_id column, against the same codes into text columns, in one run.
# Prints, per column type, the median time of REPEAT rounds (default 7) and
# the median of the per-round ratios to text.  Target: uscc at most 1.5x text.
set -euo pipefail
rows=${BENCH_ROWS:-1000000}
repeat=${BENCH_REPEAT:-7}
out=${BENCH_OUT:?run through bench/run}

# Deterministic valid codes, written by awk so that the generator shares no
# code with the extension: USCCs with both check characters (GB 32100) and
# resident ID numbers with the MOD 11-2 check (GB 11643).
awk -v n="$rows" -v uf="$out/uscc.txt" -v rf="$out/resident_id.txt" 'BEGIN {
    A = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    split("1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28", W, " ")
    split("3 7 9 10 5 8 4 2", OW, " ")
    split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", RW, " ")
    split("320281 320282 320211 110105 310115 440300 350100 330106", DIV, " ")
    split("91 92 93 12 11 51 52 N2", ENT, " ")
    split("11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65", PROV, " ")
    split("31 28 31 30 31 30 31 31 30 31 30 31", MD, " ")
    for (k = 1; k <= 36; k++) FULL[substr("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", k, 1)] = k - 1
    for (k = 1; k <= 31; k++) V[substr(A, k, 1)] = k - 1
    s = 12345
    for (i = 0; i < n; i++) {
        c = ENT[i % 8 + 1] DIV[int(i / 8) % 8 + 1]
        os = 0
        for (k = 1; k <= 8; k++) {
            s = (s * 1103515245 + 12345) % 2147483648
            ch = substr(A, int(s / 65536) % 31 + 1, 1)
            c = c ch; os += FULL[ch] * OW[k]
        }
        o = 11 - os % 11
        c = c (o == 10 ? "X" : (o == 11 ? "0" : o))
        t = 0
        for (k = 1; k <= 17; k++) t += V[substr(c, k, 1)] * W[k]
        print c substr(A, (31 - t % 31) % 31 + 1, 1) > uf

        s = (s * 1103515245 + 12345) % 2147483648
        y = 1930 + int(s / 65536) % 90; m = int(s / 7) % 12 + 1
        dmax = MD[m] + (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
        d = sprintf("%s%04d%04d%02d%02d%03d", PROV[i % 31 + 1], int(s / 3) % 10000, y, m, int(s / 11) % dmax + 1, i % 1000)
        t = 0
        for (k = 1; k <= 17; k++) t += substr(d, k, 1) * RW[k]
        print d substr("10X98765432", t % 11 + 1, 1) > rf
    }
}'

psql -X -q -v ON_ERROR_STOP=1 -v uscc_file="$out/uscc.txt" -v rid_file="$out/resident_id.txt" \
     -v repeat="$repeat" -v rows="$rows" <<'SQL'
CREATE TABLE bench_text (code text);
CREATE TABLE bench_uscc (code credit.uscc);
CREATE TABLE bench_rid (code credit.resident_id);
CREATE TABLE bench_timing (target text, run int, ms float8, cpu_ms float8);
-- CPU time of this backend in ms (Linux /proc/PID/schedstat: nanoseconds on a
-- CPU), or NULL where unavailable.  Unlike wall time it does not grow when
-- other processes compete for the CPUs.
CREATE FUNCTION bench_cpu_ms() RETURNS float8 LANGUAGE plpgsql AS $$
BEGIN
    RETURN split_part(pg_read_file('/proc/' || pg_backend_pid() || '/schedstat'), ' ', 1)::float8 / 1e6;
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
END $$;
-- Each COPY in its own transaction; the targets alternate in each round so
-- that cache and WAL effects fall on all alike.
CREATE PROCEDURE bench_copy(repeat int, rows bigint, uscc_file text, rid_file text)
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    c0 float8;
    n bigint;
    tgt record;
BEGIN
    FOR r IN 1..repeat LOOP
        FOR tgt IN SELECT * FROM (VALUES
                (1, 'text (USCC file)', 'bench_text', uscc_file),
                (2, 'uscc', 'bench_uscc', uscc_file),
                (3, 'text (ID file)', 'bench_text', rid_file),
                (4, 'resident_id', 'bench_rid', rid_file)) AS v(ord, label, tab, file) ORDER BY ord LOOP
            EXECUTE format('TRUNCATE %I', tgt.tab);
            COMMIT;
            t0 := clock_timestamp();
            c0 := bench_cpu_ms();
            EXECUTE format('COPY %I FROM %L', tgt.tab, tgt.file);
            COMMIT;
            INSERT INTO bench_timing VALUES (tgt.label, r, extract(epoch FROM clock_timestamp() - t0) * 1000,
                                             bench_cpu_ms() - c0);
            EXECUTE format('SELECT count(*) FROM %I', tgt.tab) INTO n;
            IF n <> rows THEN
                RAISE EXCEPTION 'COPY into % loaded % rows, expected %', tgt.tab, n, rows;
            END IF;
            COMMIT;
        END LOOP;
    END LOOP;
END $$;
CALL bench_copy(:repeat, :rows, :'uscc_file', :'rid_file');
SELECT CASE WHEN bool_and(cpu_ms IS NOT NULL) THEN 'backend CPU time' ELSE 'wall time' END AS basis
FROM bench_timing \gset
\echo
\echo copy_codes: COPY of :rows valid codes per target, medians of :repeat rounds, ratios of :basis
-- Ratios are taken per round (the two COPYs ran back to back) and their median
-- reported, which is robust against load that drifts during the run.
WITH t AS (
    SELECT target, run, ms, coalesce(cpu_ms, ms) AS basis_ms FROM bench_timing
), pair AS (
    SELECT t.target, t.ms, t.basis_ms, t.basis_ms / b.basis_ms AS ratio, t.ms / b.ms AS wall_ratio
    FROM t JOIN t b ON b.run = t.run
     AND b.target = CASE WHEN t.target IN ('uscc', 'text (USCC file)') THEN 'text (USCC file)'
                         ELSE 'text (ID file)' END
), m AS (
    SELECT target, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY basis_ms) AS basis_ms,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY ratio) AS ratio,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY wall_ratio) AS wall_ratio
    FROM pair GROUP BY target
)
SELECT target AS "target column", round(ms::numeric) AS "wall ms", round(wall_ratio::numeric, 2) AS "wall ratio",
       round(basis_ms::numeric) AS "basis ms", round(ratio::numeric, 2) AS "ratio to text",
       CASE target WHEN 'uscc' THEN CASE WHEN ratio <= 1.5 THEN 'ok (<= 1.5)' ELSE 'MISSED (> 1.5)' END
                   ELSE '' END AS target
FROM m
ORDER BY CASE target WHEN 'text (USCC file)' THEN 1 WHEN 'uscc' THEN 2 WHEN 'text (ID file)' THEN 3 ELSE 4 END;
DROP TABLE bench_text, bench_uscc, bench_rid, bench_timing;
DROP PROCEDURE bench_copy;
DROP FUNCTION bench_cpu_ms;
SQL
