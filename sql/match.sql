-- credit.match and credit.cross_match over the per-backend index of active entries
BEGIN;
INSERT INTO credit.list_entry (list_code, name, code, listed_on) VALUES
    ('serious_dishonesty', '江阴市华达机械有限公司', '91320281142232229Q', current_date - 10),
    ('dishonest_debtor', '江陰市華達機械有限責任公司', '14223222-9', current_date - 10),
    ('dishonest_debtor', '张三', '110105491231002', current_date - 5),
    ('abnormal_operation', '江阴市宏远纺织有限公司', NULL, current_date - 5),
    ('abnormal_operation', '江阴市宏远电子有限公司', '91110000600037341L', current_date - 5),
    ('red_tax_a', '深圳示例科技有限公司', '9144030071526726XG', current_date - 100),
    ('red_honour', '深圳示例科技有限公司', NULL, current_date - 100),
    ('key_attention', '过期公司', NULL, current_date - 100),
    ('key_attention', '移出公司', NULL, current_date - 100);
UPDATE credit.list_entry SET expires_on = current_date - 1 WHERE name = '过期公司';
UPDATE credit.list_entry SET removed_on = current_date WHERE name = '移出公司';

-- level code: same USCC after normalisation; org_code: an old code matches the USCC
SELECT e.name, x.list_code, x.level, round(x.similarity::numeric, 3) AS similarity
  FROM credit.match('江阴市华达机械有限公司', '９１３２０２８１１４２２３２２２９ｑ') x JOIN credit.list_entry e ON e.id = x.entry_id;
-- an old organisation code as probe
SELECT e.name, x.list_code, x.level FROM credit.match(NULL, '142232229') x JOIN credit.list_entry e ON e.id = x.entry_id;
-- a 15-digit ID number matches the 18-digit one
SELECT e.name, x.list_code, x.level FROM credit.match('张三', '11010519491231002x') x JOIN credit.list_entry e ON e.id = x.entry_id;
-- level name: equal normalised names (full-width, Traditional, spaces, old suffix)
SELECT e.name, x.list_code, x.level, x.similarity
  FROM credit.match('深圳示例科技 有限責任公司') x JOIN credit.list_entry e ON e.id = x.entry_id;
-- level fuzzy: region written short; only when nothing stronger matched
SELECT e.name, x.list_code, x.level, round(x.similarity::numeric, 3) AS similarity
  FROM credit.match('江阴宏远纺织有限公司') x JOIN credit.list_entry e ON e.id = x.entry_id;
SELECT count(*) AS below_threshold FROM credit.match('江阴宏远纺织有限公司', min_similarity => 0.95);
-- a name never matches an entry whose identifier contradicts the probe's
SELECT count(*) AS contradicted FROM credit.match('江阴市宏远电子有限公司', '9144030071526726XG', ARRAY['abnormal_operation']);
SELECT x.level FROM credit.match('江阴市宏远电子有限公司', NULL, ARRAY['abnormal_operation']) x;
-- restricted to some lists
SELECT x.list_code, x.level FROM credit.match('深圳示例科技有限公司', NULL, ARRAY['red_honour']) x;
-- expired and removed entries do not match
SELECT count(*) FROM credit.match('过期公司');
SELECT count(*) FROM credit.match('移出公司');
-- nothing to match on; bad arguments
SELECT count(*) FROM credit.match(NULL, NULL);
SELECT count(*) FROM credit.match('无名公司', 'not a code');
SAVEPOINT s;
SELECT * FROM credit.match('x', NULL, ARRAY['no_such_list']);
ROLLBACK TO SAVEPOINT s;
SAVEPOINT s;
SELECT * FROM credit.match('x', NULL, NULL, 1.5);
ROLLBACK TO SAVEPOINT s;

-- the index sees changes at once (statement trigger → relcache invalidation)
SELECT count(*) FROM credit.match('新上榜有限公司');
INSERT INTO credit.list_entry (list_code, name, listed_on) VALUES ('key_attention', '新上榜有限公司', current_date);
SELECT x.list_code, x.level FROM credit.match('新上榜有限公司') x;
DELETE FROM credit.list_entry WHERE name = '新上榜有限公司';
SELECT count(*) FROM credit.match('新上榜有限公司');

-- pseudonyms: an entry sent as a pseudonym matches a raw ID number when the key is set
SET LOCAL credit.pseudonym_key = '0123456789abcdef0123';
INSERT INTO credit.list_entry (list_code, name, code, listed_on)
    VALUES ('dishonest_debtor', '李四', encode(credit.pseudonym('34052419800101001X'), 'hex'), current_date - 1);
SELECT e.name, x.level FROM credit.match('李某', '34052419800101001x') x JOIN credit.list_entry e ON e.id = x.entry_id;
SELECT e.name, x.level FROM credit.match(NULL, encode(credit.pseudonym('110105491231002'), 'hex')) x
  JOIN credit.list_entry e ON e.id = x.entry_id;

-- cross-matching two lists
SELECT l.name AS left_name, r.name AS right_name, x.level, round(x.similarity::numeric, 3) AS similarity
  FROM credit.cross_match('serious_dishonesty', 'dishonest_debtor') x
  JOIN credit.list_entry l ON l.id = x.left_entry JOIN credit.list_entry r ON r.id = x.right_entry;
SELECT l.name AS left_name, r.name AS right_name, x.level
  FROM credit.cross_match('red_tax_a', 'red_honour') x
  JOIN credit.list_entry l ON l.id = x.left_entry JOIN credit.list_entry r ON r.id = x.right_entry;
SAVEPOINT s;
SELECT * FROM credit.cross_match('red_tax_a', 'nope');
ROLLBACK TO SAVEPOINT s;

-- batch verification (失信记录核查): a table of applicants checked with one query
CREATE TEMP TABLE applicant (id int, name text, code text);
INSERT INTO applicant VALUES
    (1, '江阴市华达机械有限公司', '91320281142232229Q'),
    (2, '江陰華達機械有限公司', NULL),
    (3, '张三', '110105491231002'),
    (4, '江阴宏远纺织有限公司', NULL),
    (5, '清白有限公司', '91110000101623741K');
SELECT a.id, x.list_code, x.level
  FROM applicant a, LATERAL credit.match(a.name, a.code, ARRAY['serious_dishonesty', 'dishonest_debtor', 'abnormal_operation']) x
 ORDER BY a.id, x.list_code;
SELECT * FROM credit.match_summary('applicant');
SELECT * FROM credit.match_summary('applicant', lists => ARRAY['dishonest_debtor']);
ROLLBACK;

-- analysts and departments may match; the public may not
BEGIN;
INSERT INTO credit.list_entry (list_code, name, code, listed_on)
    VALUES ('dishonest_debtor', '赵六', '360426199101010071', current_date - 1);
SET LOCAL ROLE credit_analyst;
SELECT x.list_code, x.level FROM credit.match('赵六', '360426199101010071') x;
SET LOCAL ROLE credit_public;
SELECT * FROM credit.match('赵六');
ROLLBACK;
