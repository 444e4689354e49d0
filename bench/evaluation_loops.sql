-- bench/evaluation_loops.sql: three PL/pgSQL loops over subjects evaluating a
-- model the way one would without the C engine, for bench/evaluation.sh (d1),
-- (d2), (d3).  Each evaluates the subjects of public.bench_sample and returns
-- (subjects, sum of scores, subjects graded A), which the benchmark checks
-- against the C aggregate over the same subjects.

-- The model's rules, dimensions and grades as arrays (position k = one rule),
-- read once per loop.
CREATE OR REPLACE FUNCTION public.bench_model_arrays(
    p_model text,
    OUT base float8, OUT lo float8, OUT hi float8,
    OUT items text[], OUT pts float8[], OUT perv boolean[], OUT hl float8[], OUT caps float8[],
    OUT vetos int[], OUT rdim int[],
    OUT dnames text[], OUT dweight float8[], OUT dlo float8[], OUT dhi float8[],
    OUT gnames text[], OUT gmin float8[], OUT granks int[])
LANGUAGE plpgsql STABLE AS $$
BEGIN
    SELECT m.base::float8, m.lo::float8, m.hi::float8 INTO base, lo, hi FROM credit.model m WHERE m.code = p_model;
    -- dimensions: those of model_dimension, and those named only by rules (weight 1, no bounds)
    SELECT array_agg(d.dimension ORDER BY d.dimension), array_agg(d.weight::float8 ORDER BY d.dimension),
           array_agg(d.lo::float8 ORDER BY d.dimension), array_agg(d.hi::float8 ORDER BY d.dimension)
      INTO dnames, dweight, dlo, dhi
      FROM (SELECT md.dimension, md.weight, md.lo, md.hi FROM credit.model_dimension md WHERE md.model = p_model
            UNION
            SELECT ru.dimension, 1::numeric, NULL::numeric, NULL::numeric FROM credit.model_rule ru
             WHERE ru.model = p_model
               AND NOT EXISTS (SELECT 1 FROM credit.model_dimension md
                                WHERE md.model = p_model AND md.dimension = ru.dimension)) d;
    SELECT array_agg(ru.item_code ORDER BY ru.item_code), array_agg(ru.points::float8 ORDER BY ru.item_code),
           array_agg(ru.per_value ORDER BY ru.item_code), array_agg(ru.half_life_days::float8 ORDER BY ru.item_code),
           array_agg(ru.cap::float8 ORDER BY ru.item_code), array_agg(g.rank ORDER BY ru.item_code),
           array_agg(array_position(dnames, ru.dimension) ORDER BY ru.item_code)
      INTO items, pts, perv, hl, caps, vetos, rdim
      FROM credit.model_rule ru
      LEFT JOIN credit.model_grade g ON g.model = ru.model AND g.grade = ru.veto_grade
     WHERE ru.model = p_model;
    SELECT array_agg(g.grade ORDER BY g.rank), array_agg(g.min_score::float8 ORDER BY g.rank),
           array_agg(g.rank ORDER BY g.rank)
      INTO gnames, gmin, granks
      FROM credit.model_grade g WHERE g.model = p_model;
END
$$;

-- Score and grade from dimension totals (before weights) and the veto rank.
CREATE OR REPLACE FUNCTION public.bench_finish(a record, dims float8[], veto int, OUT score float8, OUT grade text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    best int;
    i    int;
BEGIN
    score := a.base;
    FOR i IN 1 .. coalesce(array_length(a.dnames, 1), 0) LOOP
        score := score + greatest(coalesce(a.dlo[i], '-infinity'),
                                  least(coalesce(a.dhi[i], 'infinity'), a.dweight[i] * dims[i]));
    END LOOP;
    score := greatest(coalesce(a.lo, '-infinity'), least(coalesce(a.hi, 'infinity'), score));
    FOR i IN 1 .. coalesce(array_length(a.gnames, 1), 0) LOOP
        IF a.gmin[i] <= score THEN best := a.granks[i]; EXIT; END IF;
    END LOOP;
    grade := a.gnames[array_position(a.granks, greatest(best, veto))];
END
$$;

-- (d1) One query per subject reading its counted records in item order; the
-- rules applied in PL/pgSQL (the fastest of the three).
CREATE OR REPLACE FUNCTION public.bench_loop_records(p_model text, p_as_of date,
                                                    OUT subjects bigint, OUT score_sum float8, OUT grade_a bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    a    record := public.bench_model_arrays(p_model);
    sid  bigint;
    r    record;
    res  record;
    dims float8[];
    cur  text;
    k    int;
    s    float8;
    veto int;
BEGIN
    subjects := 0; score_sum := 0; grade_a := 0;
    FOR sid IN SELECT b.id FROM public.bench_sample b ORDER BY b.id LOOP
        dims := array_fill(0::float8, ARRAY[coalesce(array_length(a.dnames, 1), 0)]);
        veto := NULL; cur := NULL; k := NULL; s := 0;
        FOR r IN SELECT rec.item_code, rec.decided_on, rec.value FROM credit.record rec
                  WHERE rec.subject_id = sid AND rec.status = 'active' AND rec.decided_on <= p_as_of
                  ORDER BY rec.item_code
        LOOP
            IF cur IS DISTINCT FROM r.item_code THEN
                IF k IS NOT NULL THEN   -- close the previous item: cap, add to its dimension
                    IF a.caps[k] IS NOT NULL THEN s := greatest(-a.caps[k], least(a.caps[k], s)); END IF;
                    dims[a.rdim[k]] := dims[a.rdim[k]] + s;
                    veto := greatest(veto, a.vetos[k]);
                END IF;
                cur := r.item_code;
                k := array_position(a.items, cur);
                s := 0;
            END IF;
            CONTINUE WHEN k IS NULL;    -- an item the model does not rate
            s := s + a.pts[k] * CASE WHEN a.perv[k] THEN r.value ELSE 1 END
                     * CASE WHEN a.hl[k] IS NULL THEN 1 ELSE power(0.5::float8, (p_as_of - r.decided_on) / a.hl[k]) END;
        END LOOP;
        IF k IS NOT NULL THEN
            IF a.caps[k] IS NOT NULL THEN s := greatest(-a.caps[k], least(a.caps[k], s)); END IF;
            dims[a.rdim[k]] := dims[a.rdim[k]] + s;
            veto := greatest(veto, a.vetos[k]);
        END IF;
        res := public.bench_finish(a, dims, veto);
        subjects := subjects + 1;
        score_sum := score_sum + res.score;
        grade_a := grade_a + (res.grade = 'A')::int;
    END LOOP;
END
$$;

-- (d2) One grouped SQL query per subject computing its item totals; dimensions
-- gathered in jsonb, then one query each for dimensions and grades.
CREATE OR REPLACE FUNCTION public.bench_eval_subject(p_subject bigint, p_model text, p_as_of date,
                                                    OUT score float8, OUT grade text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    m credit.model;
    it record;
    dims jsonb := '{}';
    d record;
    s float8;
    veto int;
    best int;
BEGIN
    SELECT * INTO m FROM credit.model WHERE code = p_model;
    FOR it IN
        SELECT ru.dimension, ru.cap::float8 AS cap, max(g.rank) AS veto,
               sum(ru.points::float8 * CASE WHEN ru.per_value THEN r.value ELSE 1 END
                   * CASE WHEN ru.half_life_days IS NULL THEN 1
                          ELSE power(0.5::float8, (p_as_of - r.decided_on) / ru.half_life_days::float8) END) AS s
          FROM credit.record r
          JOIN credit.model_rule ru ON ru.model = p_model AND ru.item_code = r.item_code
          LEFT JOIN credit.model_grade g ON g.model = ru.model AND g.grade = ru.veto_grade
         WHERE r.subject_id = p_subject AND r.status = 'active' AND r.decided_on <= p_as_of
         GROUP BY ru.item_code, ru.dimension, ru.cap
    LOOP
        s := CASE WHEN it.cap IS NULL THEN it.s ELSE greatest(-it.cap, least(it.cap, it.s)) END;
        dims := jsonb_set(dims, ARRAY[it.dimension], to_jsonb(coalesce((dims ->> it.dimension)::float8, 0) + s));
        veto := greatest(veto, it.veto);
    END LOOP;
    score := m.base;
    FOR d IN SELECT k.key, k.value::float8 AS v, md.weight, md.lo, md.hi
               FROM jsonb_each_text(dims) k
               LEFT JOIN credit.model_dimension md ON md.model = p_model AND md.dimension = k.key
    LOOP
        score := score + greatest(coalesce(d.lo::float8, '-infinity'),
                                  least(coalesce(d.hi::float8, 'infinity'), coalesce(d.weight::float8, 1) * d.v));
    END LOOP;
    score := greatest(coalesce(m.lo::float8, '-infinity'), least(coalesce(m.hi::float8, 'infinity'), score));
    SELECT min(g.rank) INTO best FROM credit.model_grade g WHERE g.model = p_model AND g.min_score <= score;
    SELECT g.grade INTO grade FROM credit.model_grade g WHERE g.model = p_model AND g.rank = greatest(best, veto);
END
$$;

CREATE OR REPLACE FUNCTION public.bench_loop_subject_query(p_model text, p_as_of date,
                                                          OUT subjects bigint, OUT score_sum float8, OUT grade_a bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    sid bigint;
    res record;
BEGIN
    subjects := 0; score_sum := 0; grade_a := 0;
    FOR sid IN SELECT b.id FROM public.bench_sample b ORDER BY b.id LOOP
        res := public.bench_eval_subject(sid, p_model, p_as_of);
        subjects := subjects + 1;
        score_sum := score_sum + res.score;
        grade_a := grade_a + (res.grade = 'A')::int;
    END LOOP;
END
$$;

-- (d3) For each subject, one query per rule (indicator) of the model summing
-- that item's counted records: the indicator-by-indicator way.
CREATE OR REPLACE FUNCTION public.bench_loop_rule_queries(p_model text, p_as_of date,
                                                         OUT subjects bigint, OUT score_sum float8, OUT grade_a bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    a    record := public.bench_model_arrays(p_model);
    sid  bigint;
    res  record;
    dims float8[];
    k    int;
    s    float8;
    n    bigint;
    veto int;
BEGIN
    subjects := 0; score_sum := 0; grade_a := 0;
    FOR sid IN SELECT b.id FROM public.bench_sample b ORDER BY b.id LOOP
        dims := array_fill(0::float8, ARRAY[coalesce(array_length(a.dnames, 1), 0)]);
        veto := NULL;
        FOR k IN 1 .. coalesce(array_length(a.items, 1), 0) LOOP
            SELECT sum(a.pts[k] * CASE WHEN a.perv[k] THEN rec.value ELSE 1 END
                       * CASE WHEN a.hl[k] IS NULL THEN 1 ELSE power(0.5::float8, (p_as_of - rec.decided_on) / a.hl[k]) END),
                   count(*)
              INTO s, n
              FROM credit.record rec
             WHERE rec.subject_id = sid AND rec.item_code = a.items[k]
               AND rec.status = 'active' AND rec.decided_on <= p_as_of;
            CONTINUE WHEN n = 0;
            IF a.caps[k] IS NOT NULL THEN s := greatest(-a.caps[k], least(a.caps[k], s)); END IF;
            dims[a.rdim[k]] := dims[a.rdim[k]] + s;
            veto := greatest(veto, a.vetos[k]);
        END LOOP;
        res := public.bench_finish(a, dims, veto);
        subjects := subjects + 1;
        score_sum := score_sum + res.score;
        grade_a := grade_a + (res.grade = 'A')::int;
    END LOOP;
END
$$;
