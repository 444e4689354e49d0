-- make demo, after the evaluation: joint rewards and punishments (联合奖惩)
-- for the evaluated county, as approval systems see them (docs/measures.md).
\pset footer off
\echo == decisions before a government procurement (credit.check), by grade
\echo    Barred: enterprises on a black list (serious dishonesty, dishonest judgment debtors). A grade
\echo    alone bars no one: procurement law bars suppliers by the lists checked on 信用中国 (a
\echo    punishment needs a legal basis, and the national basic list of punishment measures names
\echo    the lists, not grades), so an enterprise graded D but on no list takes part ("normal");
\echo    its grade brings key supervision and strict licensing review instead (shipped measures
\echo    ent_d_*: rows of credit.measure, to be changed where a local rule gives a basis).
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
