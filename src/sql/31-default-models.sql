-- Shipped evaluation models (edit freely: they are rows).  Scores follow the
-- common "base score + bonuses - deductions" shape of public credit evaluation schemes (docs/evaluation.md).

-- Industry grades feed the comprehensive models as records (written by
-- credit.run_evaluation of an industry model, department 'platform').
INSERT INTO @extschema@.catalog_item (code, name, category, channel, library, polarity, severity, published) VALUES
    ('industry_grade_a', 'Industry credit grade A (行业信用评价A级)', 'industry_grade', 'public', 'legal_person', 'positive', NULL, false),
    ('industry_grade_b', 'Industry credit grade B (行业信用评价B级)', 'industry_grade', 'public', 'legal_person', 'neutral', NULL, false),
    ('industry_grade_c', 'Industry credit grade C (行业信用评价C级)', 'industry_grade', 'public', 'legal_person', 'negative', 'minor', false),
    ('industry_grade_d', 'Industry credit grade D (行业信用评价D级)', 'industry_grade', 'public', 'legal_person', 'negative', 'general', false);

-- Comprehensive evaluation of organisations (公共信用综合评价: 法人).
INSERT INTO @extschema@.model (code, name, scope, subject_kinds, base, lo, hi, description) VALUES
    ('comprehensive_enterprise', 'Public credit comprehensive evaluation of organisations (公共信用综合评价：法人)',
     'comprehensive', '{enterprise,social_org,institution,government}', 1000, 0, 1200,
     'Enterprises, social organisations, public institutions and government departments; base 1000; A >= 1050, B >= 950, C >= 800, else D; serious dishonesty listing vetoes to D');
INSERT INTO @extschema@.model_grade (model, grade, min_score, rank) VALUES
    ('comprehensive_enterprise', 'A', 1050, 1),
    ('comprehensive_enterprise', 'B', 950, 2),
    ('comprehensive_enterprise', 'C', 800, 3),
    ('comprehensive_enterprise', 'D', 0, 4);
INSERT INTO @extschema@.model_dimension (model, dimension, name, weight, lo, hi) VALUES
    ('comprehensive_enterprise', 'law_abiding', 'Law-abiding (遵纪守法)', 1, -300, NULL),
    ('comprehensive_enterprise', 'contract', 'Contract and promise keeping (履约践诺)', 1, -200, 40),
    ('comprehensive_enterprise', 'honours', 'Qualifications and honours (资质荣誉)', 1, NULL, 100),
    ('comprehensive_enterprise', 'social_responsibility', 'Social responsibility (社会责任)', 1, NULL, 50),
    ('comprehensive_enterprise', 'supervision_risk', 'Supervision risk (监管风险)', 1, -400, 50);
INSERT INTO @extschema@.model_rule (model, item_code, dimension, points, per_value, half_life_days, cap, veto_grade) VALUES
    ('comprehensive_enterprise', 'penalty_warning', 'law_abiding', -2, false, 180, 10, NULL),
    ('comprehensive_enterprise', 'penalty_minor', 'law_abiding', -5, false, 365, 20, NULL),
    ('comprehensive_enterprise', 'penalty_general', 'law_abiding', -30, false, 365, 120, NULL),
    ('comprehensive_enterprise', 'penalty_serious', 'law_abiding', -100, false, 730, 300, 'C'),
    ('comprehensive_enterprise', 'tax_grade_d', 'law_abiding', -50, false, 365, 50, NULL),
    ('comprehensive_enterprise', 'tax_arrears', 'law_abiding', -20, false, 365, 60, NULL),
    ('comprehensive_enterprise', 'social_insurance_arrears', 'law_abiding', -10, false, 365, 40, NULL),
    ('comprehensive_enterprise', 'contract_breach', 'contract', -20, false, 365, 100, NULL),
    ('comprehensive_enterprise', 'commitment_broken', 'contract', -30, false, 365, 90, NULL),
    ('comprehensive_enterprise', 'commitment_kept', 'contract', 5, false, 365, 20, NULL),
    ('comprehensive_enterprise', 'loan_overdue', 'contract', -10, true, 365, 100, NULL),
    ('comprehensive_enterprise', 'loan_default', 'contract', -80, false, 730, 160, 'C'),
    ('comprehensive_enterprise', 'loan_repaid', 'contract', 2, false, 365, 20, NULL),
    ('comprehensive_enterprise', 'utility_arrears', 'contract', -5, false, 180, 20, NULL),
    ('comprehensive_enterprise', 'honour_national', 'honours', 30, false, 1095, 60, NULL),
    ('comprehensive_enterprise', 'honour_provincial', 'honours', 20, false, 1095, 40, NULL),
    ('comprehensive_enterprise', 'honour_city', 'honours', 10, false, 1095, 30, NULL),
    ('comprehensive_enterprise', 'honour_county', 'honours', 5, false, 1095, 15, NULL),
    ('comprehensive_enterprise', 'honour_township', 'honours', 3, false, 1095, 9, NULL),
    ('comprehensive_enterprise', 'honour_village', 'honours', 1, false, 1095, 3, NULL),
    ('comprehensive_enterprise', 'tax_grade_a', 'honours', 20, false, 365, 20, NULL),
    ('comprehensive_enterprise', 'list_red_tax_a', 'honours', 10, false, NULL, 10, NULL),
    ('comprehensive_enterprise', 'list_red_honour', 'honours', 20, false, NULL, 20, NULL),
    ('comprehensive_enterprise', 'charity_donation', 'social_responsibility', 5, false, 365, 25, NULL),
    ('comprehensive_enterprise', 'volunteer_service', 'social_responsibility', 2, false, 365, 10, NULL),
    ('comprehensive_enterprise', 'list_abnormal_operation', 'supervision_risk', -50, false, NULL, 50, NULL),
    ('comprehensive_enterprise', 'list_key_attention', 'supervision_risk', -100, false, NULL, 100, NULL),
    ('comprehensive_enterprise', 'list_dishonest_debtor', 'supervision_risk', -200, false, NULL, 200, 'C'),
    ('comprehensive_enterprise', 'list_serious_dishonesty', 'supervision_risk', -300, false, NULL, 300, 'D'),
    ('comprehensive_enterprise', 'industry_grade_a', 'supervision_risk', 15, false, 365, 45, NULL),
    ('comprehensive_enterprise', 'industry_grade_c', 'supervision_risk', -30, false, 365, 90, NULL),
    ('comprehensive_enterprise', 'industry_grade_d', 'supervision_risk', -80, false, 365, 240, NULL);

-- Comprehensive evaluation of individuals (公共信用综合评价：自然人), after Rongcheng's
-- 1000-point scheme: breach -20, lost breach lawsuit -50, arrears -10 per cycle,
-- destroying public equipment -100.
INSERT INTO @extschema@.model (code, name, scope, subject_kinds, base, lo, hi, description) VALUES
    ('comprehensive_individual', 'Public credit comprehensive evaluation of individuals (公共信用综合评价：自然人)',
     'comprehensive', '{individual}', 1000, 0, 1200,
     'Individuals; base 1000; A+ >= 1030, A >= 960, B >= 850, C >= 600, else D; dishonest debtors and serious dishonesty veto to D');
INSERT INTO @extschema@.model_grade (model, grade, min_score, rank) VALUES
    ('comprehensive_individual', 'A+', 1030, 1),
    ('comprehensive_individual', 'A', 960, 2),
    ('comprehensive_individual', 'B', 850, 3),
    ('comprehensive_individual', 'C', 600, 4),
    ('comprehensive_individual', 'D', 0, 5);
INSERT INTO @extschema@.model_dimension (model, dimension, name, weight, lo, hi) VALUES
    ('comprehensive_individual', 'law_abiding', 'Law-abiding (遵纪守法)', 1, -600, NULL),
    ('comprehensive_individual', 'contract', 'Contract and promise keeping (履约践诺)', 1, -400, 30),
    ('comprehensive_individual', 'social_responsibility', 'Social responsibility and morality (社会责任)', 1, NULL, 60);
INSERT INTO @extschema@.model_rule (model, item_code, dimension, points, per_value, half_life_days, cap, veto_grade) VALUES
    ('comprehensive_individual', 'contract_breach', 'contract', -20, false, 730, 100, NULL),
    ('comprehensive_individual', 'lawsuit_breach_lost', 'contract', -50, false, 730, 150, NULL),
    ('comprehensive_individual', 'loan_overdue', 'contract', -10, true, 730, 100, NULL),
    ('comprehensive_individual', 'loan_default', 'contract', -50, false, 1095, 100, 'C'),
    ('comprehensive_individual', 'loan_repaid', 'contract', 2, false, 365, 10, NULL),
    ('comprehensive_individual', 'utility_arrears', 'contract', -10, true, 365, 30, NULL),
    ('comprehensive_individual', 'commitment_broken', 'contract', -20, false, 365, 60, NULL),
    ('comprehensive_individual', 'commitment_kept', 'contract', 5, false, 365, 15, NULL),
    ('comprehensive_individual', 'public_equipment_damage', 'law_abiding', -100, false, 1095, 200, NULL),
    ('comprehensive_individual', 'person_penalty_general', 'law_abiding', -30, false, 730, 90, NULL),
    ('comprehensive_individual', 'person_penalty_serious', 'law_abiding', -100, false, 1095, 300, 'C'),
    ('comprehensive_individual', 'list_dishonest_debtor', 'law_abiding', -200, false, NULL, 200, 'D'),
    ('comprehensive_individual', 'list_serious_dishonesty', 'law_abiding', -300, false, NULL, 300, 'D'),
    ('comprehensive_individual', 'volunteer_service', 'social_responsibility', 5, true, 365, 30, NULL),
    ('comprehensive_individual', 'blood_donation', 'social_responsibility', 10, false, 730, 30, NULL),
    ('comprehensive_individual', 'charity_donation', 'social_responsibility', 5, false, 365, 25, NULL);

-- One industry model per industry (行业信用评价), over its supervision indicators.
INSERT INTO @extschema@.model (code, name, scope, subject_kinds, base, lo, hi, description)
SELECT 'industry_' || i.code, i.name || ': industry credit evaluation (行业信用评价)', i.code,
       CASE WHEN i.code = 'public_institution' THEN '{institution}'::@extschema@.subject_kind[]
            ELSE '{enterprise,social_org,institution}'::@extschema@.subject_kind[] END,
       100, 0, 120,
       'Subjects supervised under ' || i.code || '; base 100; A >= 105, B >= 90, C >= 75, else D; key supervision vetoes to C; the grade is written as an industry_grade_* record'
  FROM @extschema@.industry i;
INSERT INTO @extschema@.model_grade (model, grade, min_score, rank)
SELECT 'industry_' || i.code, g.grade, g.min_score, g.rank
  FROM @extschema@.industry i,
       (VALUES ('A', 105, 1), ('B', 90, 2), ('C', 75, 3), ('D', 0, 4)) AS g (grade, min_score, rank);
INSERT INTO @extschema@.model_dimension (model, dimension, name, weight, lo, hi)
SELECT 'industry_' || i.code, 'supervision', 'Industry supervision (行业监管)', 1, -100, 20
  FROM @extschema@.industry i;
INSERT INTO @extschema@.model_rule (model, item_code, dimension, points, per_value, half_life_days, cap, veto_grade)
SELECT 'industry_' || i.code, i.code || r.suffix, 'supervision', r.points, false, r.half_life, r.cap, r.veto
  FROM @extschema@.industry i,
       (VALUES ('_daily_ok', 1, 180, 10, NULL),
               ('_daily_issue', -3, 180, 30, NULL),
               ('_random_pass', 3, 365, 9, NULL),
               ('_random_fail', -10, 365, 40, NULL),
               ('_key_supervision', -15, NULL, 30, 'C')) AS r (suffix, points, half_life, cap, veto);
