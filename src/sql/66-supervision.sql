-- Tiered supervision (分级分类监管, docs/supervision.md): grades map to four
-- risk tiers A (low) to D (high); each tier has an inspection ratio, and
-- double-random inspections (双随机抽查) draw subjects with chances that
-- follow those ratios.

CREATE TABLE @extschema@.tier (
    tier              text PRIMARY KEY CHECK (tier IN ('A', 'B', 'C', 'D')),
    name              text NOT NULL,
    inspection_ratio  numeric NOT NULL CHECK (inspection_ratio > 0 AND inspection_ratio <= 1),
    is_default        boolean NOT NULL DEFAULT false,
    description       text,
    -- checked at commit, so that one statement (or a restore) can move the default
    EXCLUDE USING btree (is_default WITH =) WHERE (is_default) DEFERRABLE INITIALLY DEFERRED
);
COMMENT ON TABLE @extschema@.tier IS
    'Supervision tiers (监管分级) A (low risk) to D (high risk) and their inspection ratios: the shipped ratios are defaults: each locality sets its own';
COMMENT ON COLUMN @extschema@.tier.inspection_ratio IS
    'Share of the tier''s subjects to inspect per round (抽查比例), in (0, 1]; credit.draw_inspection draws subjects with chances proportional to it';
COMMENT ON COLUMN @extschema@.tier.is_default IS
    'The tier of a subject none of whose current grades is mapped by credit.tier_rule (at most one tier; none: such subjects have no tier and are never drawn)';
INSERT INTO @extschema@.tier (tier, name, inspection_ratio, is_default, description) VALUES
    ('A', 'Low risk (低风险)', 0.02, false, 'Fewer checks: no disturbance without cause (无事不扰)'),
    ('B', 'Ordinary risk (一般风险)', 0.05, true, 'The routine ratio (常规比例); also the tier of subjects without a mapped grade'),
    ('C', 'Elevated risk (较高风险)', 0.10, false, 'A higher ratio (提高抽查比例)'),
    ('D', 'High risk (高风险)', 0.30, false, 'A substantially higher ratio (大幅提高抽查比例), key supervision');

CREATE TABLE @extschema@.tier_rule (
    model  text NOT NULL,
    grade  text NOT NULL,
    tier   text NOT NULL REFERENCES @extschema@.tier (tier) ON UPDATE CASCADE,
    PRIMARY KEY (model, grade),
    FOREIGN KEY (model, grade) REFERENCES @extschema@.model_grade (model, grade)
        ON UPDATE CASCADE ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.tier_rule IS
    'Which supervision tier (A-D) each grade of a model means (信用等级 → 监管分级); a model without rows here plays no part in tiers';
-- The shipped models: A+ and A are low risk, D high risk.
INSERT INTO @extschema@.tier_rule (model, grade, tier) VALUES
    ('comprehensive_enterprise', 'A', 'A'), ('comprehensive_enterprise', 'B', 'B'),
    ('comprehensive_enterprise', 'C', 'C'), ('comprehensive_enterprise', 'D', 'D'),
    ('comprehensive_individual', 'A+', 'A'), ('comprehensive_individual', 'A', 'A'),
    ('comprehensive_individual', 'B', 'B'), ('comprehensive_individual', 'C', 'C'),
    ('comprehensive_individual', 'D', 'D');
INSERT INTO @extschema@.tier_rule (model, grade, tier)
SELECT 'industry_' || i.code, g.grade, g.grade
  FROM @extschema@.industry i, pg_catalog.unnest('{A,B,C,D}'::text[]) AS g (grade)
 ORDER BY 1, 2;

-- The tier rule itself, without argument checks (credit.draw_inspection applies
-- it to a whole industry): the riskiest tier among the subject's current
-- grades under the industry's models, else under the comprehensive models,
-- else the default tier.
CREATE FUNCTION @extschema@.tier_of(subject_id bigint, industry text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(pg_catalog.max(r.tier COLLATE "C") FILTER (WHERE m.scope = tier_of.industry),
                    pg_catalog.max(r.tier COLLATE "C") FILTER (WHERE m.scope = 'comprehensive'),
                    (SELECT t.tier FROM @extschema@.tier t WHERE t.is_default))
      FROM @extschema@.subject_grade g
      JOIN @extschema@.model m ON m.code = g.model
      JOIN @extschema@.tier_rule r ON r.model = g.model AND r.grade = g.grade
     WHERE g.subject_id = tier_of.subject_id
$$;
COMMENT ON FUNCTION @extschema@.tier_of(bigint, text) IS
    'Supervision tier of a subject, without checks (see credit.supervision_tier): the riskiest tier (D before A) that credit.tier_rule gives its current grades under the models of the industry; if none, under the comprehensive models; if none, the default tier (credit.tier.is_default)';

-- The supervision tier of a subject (as a whole, or within one industry).
CREATE FUNCTION @extschema@.supervision_tier(subject_id bigint, industry text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM @extschema@.subject s WHERE s.id = supervision_tier.subject_id) THEN
        PERFORM @extschema@.subject_missing(supervision_tier.subject_id);
    END IF;
    IF industry IS NOT NULL AND NOT EXISTS (SELECT 1 FROM @extschema@.industry i WHERE i.code = supervision_tier.industry) THEN
        RAISE EXCEPTION 'industry "%" does not exist', @extschema@.clip(industry)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Industries are rows of credit.industry.';
    END IF;
    RETURN @extschema@.tier_of(supervision_tier.subject_id, supervision_tier.industry);
END
$$;
COMMENT ON FUNCTION @extschema@.supervision_tier(bigint, text) IS
    'Supervision tier (监管分级) A (low risk) to D (high risk) of a subject from its current grades via credit.tier_rule: within an industry, its grade under that industry''s model, else its comprehensive grade; without an industry, its comprehensive grade; when several grades count, the riskiest; with no mapped grade, the default tier (B as shipped). Unknown subject or industry: 22023';

-- Double-random sampling (双随机) in C: one industry, n subjects, a seed.
CREATE FUNCTION @extschema@.draw_inspection(industry text, n integer, seed bigint)
    RETURNS TABLE (subject_id bigint, tier text)
    AS 'MODULE_PATHNAME', 'credit_draw_inspection'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.draw_inspection(text, integer, bigint) IS
    'Double-random inspection draw (双随机抽查): n active subjects of the industry, sampled without replacement with chances proportional to their tier''s inspection ratio (credit.tier, tier by credit.tier_of within the industry); Efraimidis-Spirakis keys from a generator seeded by (seed, subject), so the same seed and data give the same draw; rows in draw order; n above the population returns everyone. Unknown industry or n < 0: 22023';

-- BI: subjects per industry and tier, and the inspections the ratios plan.
CREATE VIEW @extschema@.v_supervision_tier AS
    WITH st AS (
        SELECT i.code AS industry, @extschema@.tier_of(s.id, i.code) AS tier
          FROM @extschema@.industry i
          JOIN @extschema@.subject s ON s.industries @> ARRAY[i.code] AND s.status = 'active'
    )
    SELECT st.industry, t.tier, t.inspection_ratio, count(*) AS subjects,
           pg_catalog.ceil(count(*) * t.inspection_ratio)::bigint AS planned_inspections
      FROM st JOIN @extschema@.tier t ON t.tier = st.tier
     GROUP BY st.industry, t.tier, t.inspection_ratio;
COMMENT ON VIEW @extschema@.v_supervision_tier IS
    'Tiered supervision (分级分类监管) by industry: active subjects per tier and the inspections the tier''s ratio plans; the sum over an industry''s tiers is a natural n for credit.draw_inspection';
COMMENT ON COLUMN @extschema@.v_supervision_tier.industry IS 'Industry code (credit.industry)';
COMMENT ON COLUMN @extschema@.v_supervision_tier.tier IS 'Supervision tier A (low risk) to D (high risk)';
COMMENT ON COLUMN @extschema@.v_supervision_tier.inspection_ratio IS 'The tier''s inspection ratio';
COMMENT ON COLUMN @extschema@.v_supervision_tier.subjects IS 'Active subjects of the industry in the tier';
COMMENT ON COLUMN @extschema@.v_supervision_tier.planned_inspections IS 'subjects × inspection_ratio, rounded up';

-- (pg_dump keeps the tiers and tier rules users add or change: registered by 99-backup.sql)

GRANT SELECT ON @extschema@.tier, @extschema@.tier_rule TO credit_department, credit_analyst;
GRANT SELECT ON @extschema@.v_supervision_tier TO credit_department, credit_analyst, credit_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.tier, @extschema@.tier_rule TO credit_admin;
REVOKE ALL ON FUNCTION @extschema@.tier_of(bigint, text), @extschema@.supervision_tier(bigint, text),
    @extschema@.draw_inspection(text, integer, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tier_of(bigint, text), @extschema@.supervision_tier(bigint, text),
    @extschema@.draw_inspection(text, integer, bigint)
    TO credit_department, credit_analyst, credit_admin;
