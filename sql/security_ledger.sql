-- The ledger and the keys as an attacker would try them (docs/security.md).
--
-- The test server has credit.ledger_key in postgresql.conf (credit
-- preloaded), as docs/security.md configures it.  An administrator, a unit's
-- clerk and an analyst try to write the ledger, register a signing key, read
-- or set the ledger key and tag entries; each is refused.  Then a superuser
-- who does not hold the key (or anyone holding the database files) rewrites
-- an entry and recomputes the whole chain by the documented formula: the
-- chain checks, but the keyed tags show every rewritten entry.  Entries
-- written while the key is not set are reported untagged until a superuser
-- seals them.
SELECT coalesce(max(seq), 0) AS base FROM credit.ledger \gset

CREATE ROLE regress_credit_dept_lk NOLOGIN IN ROLE credit_department;
CREATE ROLE regress_credit_lk_clerk LOGIN IN ROLE regress_credit_dept_lk;
CREATE ROLE regress_credit_lk_analyst LOGIN IN ROLE credit_analyst;
CREATE ROLE regress_credit_lk_admin LOGIN IN ROLE credit_admin;
INSERT INTO credit.department (code, name, role) VALUES ('lk_tax', 'Ledger key test bureau', 'regress_credit_dept_lk');
INSERT INTO credit.subject (id, kind, name) VALUES (9870001, 'enterprise', '江阴示例密钥有限公司');

-- The key is set, and no role but a superuser sees it.
SELECT current_setting('credit.ledger_key') <> '' AS key_set;
SET ROLE regress_credit_lk_clerk;
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
VALUES (9870001, 'penalty_general', 'lk_tax', DATE '2025-03-01', '澄罚〔2025〕71号')
RETURNING id AS rec \gset
RESET ROLE;
-- every new entry is tagged
SELECT relation, op, octet_length(mac) AS tag_bytes FROM credit.ledger WHERE seq > :base ORDER BY seq;

-- Each role tries.
CREATE TEMP TABLE attempt (n int, attempt text, q text);
INSERT INTO attempt VALUES
  (1, 'show key', 'SHOW credit.ledger_key'),
  (2, 'read key', 'SELECT current_setting(''credit.ledger_key'')'),
  (3, 'set key', 'SET credit.ledger_key = ''0123456789abcdef0123456789abcdef attacker'''),
  (4, 'insert entry', 'INSERT INTO credit.ledger SELECT * FROM credit.ledger ORDER BY seq DESC LIMIT 1'),
  (5, 'rewrite entry', 'UPDATE credit.ledger SET who = current_user'),
  (6, 'delete entry', 'DELETE FROM credit.ledger'),
  (7, 'truncate', 'TRUNCATE credit.ledger'),
  (8, 'trigger', 'CREATE TRIGGER mine BEFORE INSERT ON credit.ledger FOR EACH ROW EXECUTE FUNCTION credit.ledger_guard()'),
  (9, 'seal', 'SELECT credit.seal_ledger()'),
  (10, 'signing key', 'INSERT INTO credit.signing_key (key_id, public_key) VALUES (''0'', ''MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE='')'),
  (11, 'revoke a key', 'UPDATE credit.signing_key SET revoked_at = now()'),
  (12, 'forge log', 'INSERT INTO credit.query_log (subject_id, purpose) VALUES (9870001, ''forged'')'),
  (13, 'erase log', 'DELETE FROM credit.query_log');
GRANT SELECT ON attempt TO PUBLIC;
-- every attempt as the current role: what happened (ok, or SQLSTATE and message)
CREATE FUNCTION pg_temp.attempts() RETURNS TABLE (attempt text, outcome text) LANGUAGE plpgsql AS $$
DECLARE
    a record;
BEGIN
    FOR a IN SELECT * FROM attempt ORDER BY n LOOP
        attempt := a.attempt;
        BEGIN
            EXECUTE a.q;
            outcome := 'ok';
        EXCEPTION WHEN others THEN
            outcome := SQLSTATE || ': ' || SQLERRM;
        END;
        RETURN NEXT;
    END LOOP;
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.attempts() TO PUBLIC;
SET ROLE regress_credit_lk_admin;
SELECT * FROM pg_temp.attempts();
SET ROLE regress_credit_lk_clerk;
SELECT * FROM pg_temp.attempts();
SET ROLE regress_credit_lk_analyst;
SELECT * FROM pg_temp.attempts();
SELECT count(*) AS listed_for_analyst FROM pg_settings WHERE name = 'credit.ledger_key';
RESET ROLE;
SELECT count(*) AS listed_for_superuser FROM pg_settings WHERE name = 'credit.ledger_key';
-- nor may the key be stored where every role reads it, nor be short
ALTER ROLE regress_credit_lk_admin SET credit.ledger_key = '0123456789abcdef0123456789abcdef stored';
SET credit.ledger_key = 'short';
-- (two entries of this test at the head)
UPDATE credit.record SET details = '{"note": "second entry"}' WHERE id = :rec;
SELECT coalesce(max(seq), 0) AS base FROM credit.ledger \gset

-- A rewrite with the chain recomputed by the documented formula
-- (docs/ledger.md), as anyone able to write the table could do it.
CREATE FUNCTION pg_temp.str(s text) RETURNS bytea LANGUAGE sql AS $$
    SELECT int4send(octet_length(convert_to(s, 'UTF8'))) || convert_to(s, 'UTF8')
$$;
CREATE FUNCTION pg_temp.entry_hash(l credit.ledger) RETURNS bytea LANGUAGE plpgsql AS $$
DECLARE
    flags int := CASE WHEN l.key2 IS NOT NULL THEN 1 ELSE 0 END
               | CASE WHEN l.op IN ('update', 'delete') THEN 2 ELSE 0 END
               | CASE WHEN l.op IN ('update', 'insert') THEN 4 ELSE 0 END;
    n int := coalesce(cardinality(l.key1), 0);
    b bytea;
BEGIN
    b := convert_to('credit.ledger v1', 'UTF8') || l.prev_hash || int8send(l.seq)
         || int8send(((extract(epoch FROM l.at) - extract(epoch FROM timestamptz '2000-01-01 00:00:00+00')) * 1000000)::bigint)
         || pg_temp.str(l.who) || int8send(l.xid::text::bigint) || pg_temp.str(l.relation) || pg_temp.str(l.op)
         || int4send(flags) || int4send(n);
    FOR i IN 1 .. n LOOP
        b := b || int8send(l.key1[i]);
        IF flags & 1 <> 0 THEN b := b || int8send(l.key2[i]); END IF;
        IF flags & 2 <> 0 THEN b := b || l.old_hashes[i]; END IF;
        IF flags & 4 <> 0 THEN b := b || l.new_hashes[i]; END IF;
    END LOOP;
    RETURN sha256(b);
END
$$;
-- the formula gives back the stored hashes (of the two entries at the head)
SELECT count(*) > 0 AND count(*) = count(*) FILTER (WHERE pg_temp.entry_hash(l) = l.hash) AS all_recomputed
  FROM credit.ledger l WHERE l.seq >= :base - 1;
-- rewrite(first): blame another role for entry first, and re-chain it and every entry after it
CREATE FUNCTION pg_temp.rewrite(first bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    l credit.ledger;
    prev bytea;
BEGIN
    UPDATE credit.ledger SET who = 'regress_credit_lk_analyst' WHERE seq = first;
    FOR l IN SELECT * FROM credit.ledger WHERE seq >= first ORDER BY seq LOOP
        IF prev IS NOT NULL THEN
            l.prev_hash := prev;
            UPDATE credit.ledger SET prev_hash = prev WHERE seq = l.seq;
        END IF;
        prev := pg_temp.entry_hash(l);
        UPDATE credit.ledger SET hash = prev WHERE seq = l.seq;
    END LOOP;
END
$$;
CREATE TEMP TABLE kept AS SELECT * FROM credit.ledger WHERE seq >= :base - 1;
CREATE FUNCTION pg_temp.put_back(base bigint) RETURNS void LANGUAGE sql AS $$
    DELETE FROM credit.ledger WHERE seq >= base - 1;
    INSERT INTO credit.ledger SELECT * FROM kept;
$$;
SELECT pg_temp.rewrite(:base - 1);
-- the chain checks (no "hash does not match"), the tags do not
SELECT seq - :base AS entry, problem FROM credit.verify_ledger();
SELECT pg_temp.put_back(:base);
SELECT count(*) AS problems FROM credit.verify_ledger();

-- An entry tagged under another key (a forger's own key in their session).
SET credit.ledger_key = 'a forger''s own key of more than 32 bytes';
UPDATE credit.record SET document_no = '澄罚〔2025〕72号' WHERE id = :rec;
RESET credit.ledger_key;
SELECT seq - :base AS entry, problem FROM credit.verify_ledger();
-- sealing checks the chain first: refused while an entry is rewritten
SELECT who AS forged_who FROM credit.ledger WHERE seq = :base + 1 \gset
UPDATE credit.ledger SET mac = NULL WHERE seq = :base + 1;
UPDATE credit.ledger SET who = 'mallory' WHERE seq = :base + 1;
\set VERBOSITY terse
SELECT credit.seal_ledger();
\set VERBOSITY default
UPDATE credit.ledger SET who = :'forged_who' WHERE seq = :base + 1;
SELECT credit.seal_ledger() AS sealed;
SELECT count(*) AS problems FROM credit.verify_ledger();

-- Entries written while the key is not set are written untagged: intake
-- goes on, and verify_ledger reports them once the key is back.
SET credit.ledger_key = '';
UPDATE credit.record SET document_no = '澄罚〔2025〕73号' WHERE id = :rec;
UPDATE credit.record SET document_no = '澄罚〔2025〕74号' WHERE id = :rec;
-- verifying without the key checks the chain and warns
SELECT count(*) AS problems FROM credit.verify_ledger();
RESET credit.ledger_key;
SELECT seq - :base AS entry, problem FROM credit.verify_ledger();
SELECT credit.seal_ledger() AS sealed;
SELECT count(*) AS problems FROM credit.verify_ledger();

-- Clean up (the ledger keeps the record's history).
SET ROLE regress_credit_lk_clerk;
DELETE FROM credit.record WHERE id = :rec;
RESET ROLE;
DELETE FROM credit.subject WHERE id = 9870001;
DELETE FROM credit.department WHERE code = 'lk_tax';
DROP ROLE regress_credit_lk_clerk, regress_credit_dept_lk, regress_credit_lk_analyst, regress_credit_lk_admin;
SELECT count(*) AS problems FROM credit.verify_ledger();
