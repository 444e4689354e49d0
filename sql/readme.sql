-- The README's "Getting started", as a user types it (subject ids taken from
-- RETURNING instead of the literal 1; pg_cron scheduling is in evaluation.sql).
BEGIN;
SET LOCAL credit.fold_at = 'statement';
SELECT ' ９１３２０２８１１４２２３２２２９ｑ '::credit.uscc;
SELECT credit.uscc_check('91110000600037341N');
SELECT credit.mask('110105491231002'::credit.resident_id);

INSERT INTO credit.department (code, name) VALUES ('readme_market', 'Market supervision bureau (市场监管局)');
INSERT INTO credit.subject (kind, name, uscc)
     VALUES ('enterprise', '江阴示例机械有限公司', '91320281142232229Q') RETURNING id AS sid \gset
INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on, amount)
     VALUES (:sid, 'penalty_serious', 'readme_market', '澄市监罚〔2026〕1号', current_date - 10, 50000);
SELECT model, round(score::numeric, 6) AS score, grade FROM credit.subject_grade WHERE subject_id = :sid;
SELECT old_grade, new_grade, cause FROM credit.grade_change WHERE subject_id = :sid;

SELECT credit.run_evaluation('comprehensive_enterprise') > 0 AS evaluated;
SELECT grade, subjects > 0 AS some FROM credit.v_grade_distribution
 WHERE model = 'comprehensive_enterprise' ORDER BY rank;

INSERT INTO credit.list_entry (list_code, name, code, listed_on, reason)
     VALUES ('serious_dishonesty', '江陰示例機械有限責任公司', '14223222-9', current_date - 1, 'fraud');
SELECT subject_id = :sid AS resolved, record_id IS NOT NULL AS recorded
  FROM credit.list_entry WHERE name = '江陰示例機械有限責任公司';
SELECT model, round(score::numeric, 6) AS score, grade FROM credit.subject_grade WHERE subject_id = :sid;
SELECT e.name, x.list_code, x.level, x.similarity
  FROM credit.match('江阴示例机械有限公司', '９１３２０２８１１４２２３２２２９ｑ') x
  JOIN credit.list_entry e ON e.id = x.entry_id;

SELECT decision_document_no, party_name, fine_10k_cny, severity
  FROM credit.publicity_penalty WHERE deciding_authority LIKE 'Market supervision bureau%';
ROLLBACK;
