-- make demo, after the evaluation: joint rewards and punishments (联合奖惩)
-- for the evaluated county, as approval systems see them (docs/measures.md).
\pset footer off
\echo == decisions before a government procurement (credit.check), by grade
SELECT g.grade, c ->> 'decision' AS decision, count(*) AS enterprises
  FROM credit.subject s
  JOIN credit.subject_grade g ON g.subject_id = s.id AND g.model = 'comprehensive_enterprise'
  CROSS JOIN LATERAL credit.check(s.id, 'government_procurement') c
 WHERE s.kind = 'enterprise'
 GROUP BY 1, 2 ORDER BY 1, 3 DESC;

\echo == the measures that apply most often, any scenario (credit.measures_for)
SELECT m.kind, m.measure_code, m.name, count(*) AS subjects
  FROM credit.subject s CROSS JOIN LATERAL credit.measures_for(s.id) m
 GROUP BY 1, 2, 3 ORDER BY 4 DESC, 2 LIMIT 12;

\echo == one enterprise graded A applying for a licence
SELECT s.name, c ->> 'decision' AS decision,
       (SELECT string_agg(i ->> 'name', ', ' ORDER BY i ->> 'measure') FROM jsonb_array_elements(c -> 'incentives') i) AS incentives
  FROM credit.subject s
  JOIN credit.subject_grade g ON g.subject_id = s.id AND g.model = 'comprehensive_enterprise' AND g.grade = 'A'
  CROSS JOIN LATERAL credit.check(s.id, 'administrative_licensing') c
 WHERE s.kind = 'enterprise'
 ORDER BY s.id LIMIT 1;
