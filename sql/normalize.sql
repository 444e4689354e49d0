-- credit.normalize_name: the matching key of a name
SELECT credit.normalize_name('江阴市华达机械有限公司');
-- full-width → half-width, Latin case folded, white space removed
SELECT credit.normalize_name('ＡＢＣ　Ｔｒａｄｉｎｇ （江阴） 有限公司');
-- Traditional → Simplified
SELECT credit.normalize_name('江陰市華達機械有限責任公司');
-- phrases the transliterator changes although each character alone stays
SELECT credit.normalize_name('中嶽實業'), credit.normalize_name('祇有');
-- brackets of every kind become ( ), other punctuation goes
SELECT credit.normalize_name('【江阴】“华达”·机械，有限公司'),
       credit.normalize_name('[江阴]华达—机械、有限公司'),
       credit.normalize_name('约翰·史密斯'), credit.normalize_name('約翰•史密斯');
-- legal forms: 有限责任公司 is 有限公司, 股份有限公司 stays distinct
SELECT credit.normalize_name('华达机械有限责任公司') = credit.normalize_name('华达机械有限公司') AS same_llc,
       credit.normalize_name('华达机械股份有限公司') = credit.normalize_name('华达机械有限公司') AS joint_stock_same;
-- partnerships: the kind is bracketed
SELECT credit.normalize_name('江阴华达投资合伙企业普通合伙'),
       credit.normalize_name('江阴华达投资合伙企业（有限合伙）'),
       credit.normalize_name('华达会计师事务所特殊普通合伙');
-- branches: a trailing bracketed branch name loses its brackets
SELECT credit.normalize_name('华达机械有限公司（江阴分公司）'),
       credit.normalize_name('华达机械有限公司江阴分公司');
-- empty brackets, control and zero-width characters, surrounding space
SELECT credit.normalize_name(E' 华达\u200B机械（）\t'), credit.normalize_name(''), credit.normalize_name('　');
SELECT credit.normalize_name(NULL) IS NULL AS strict;
-- IMMUTABLE, usable in an expression index
CREATE TEMP TABLE nn_t (name text);
CREATE INDEX ON nn_t (credit.normalize_name(name));
INSERT INTO nn_t VALUES ('華達機械有限責任公司'), ('华达机械有限公司'), ('华达机械股份有限公司');
SELECT name FROM nn_t WHERE credit.normalize_name(name) = credit.normalize_name('华达机械 有限公司') ORDER BY name;
SELECT credit.normalize_name_version() ~ '^rules [0-9]+, ICU [0-9.]+$' AS version_ok;

-- credit.subject.name_key is maintained by a trigger
INSERT INTO credit.subject (kind, name) VALUES ('enterprise', '江陰市華達機械有限責任公司') RETURNING name_key;
UPDATE credit.subject SET name = '江阴市华达机械（集团）有限公司' WHERE name = '江陰市華達機械有限責任公司' RETURNING name_key;
DELETE FROM credit.subject WHERE name = '江阴市华达机械（集团）有限公司';

-- credit.name_similarity: n-grams of normalised names, region and legal form weigh less
SELECT credit.name_similarity('江阴市华达机械有限公司', '江陰市華達機械有限責任公司') AS equal_keys,
       round(credit.name_similarity('江阴市华达机械有限公司', '江阴华达机械有限公司')::numeric, 3) AS region_written_short,
       round(credit.name_similarity('江阴市华达机械有限公司', '华达机械有限公司')::numeric, 3) AS region_missing,
       round(credit.name_similarity('江阴市华达机械有限公司', '江阴市华达机械厂')::numeric, 3) AS old_suffix;
SELECT round(credit.name_similarity('江阴市华达机械有限公司', '江阴市华达电子有限公司')::numeric, 3) AS other_trade,
       round(credit.name_similarity('江阴市华达机械有限公司', '宜兴市华达机械有限公司')::numeric, 3) AS other_region,
       round(credit.name_similarity('江阴市华达机械有限公司', '江苏省江阴市华达机械有限公司')::numeric, 3) AS province_added,
       credit.name_similarity('华达', '') AS empty;
-- a region in brackets in front is a region prefix too
SELECT round(credit.name_similarity('江阴市华达机械有限公司', '【江阴】华达机械有限公司')::numeric, 3) AS region_in_brackets,
       round(credit.name_similarity('江阴市华达机械有限公司', '（宜兴）华达机械有限公司')::numeric, 3) AS other_region_in_brackets;
-- symmetric
SELECT credit.name_similarity('江阴市华达机械有限公司', '华达机械厂') = credit.name_similarity('华达机械厂', '江阴市华达机械有限公司') AS symmetric;
