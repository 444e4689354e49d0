-- A USCC or an ID number names one subject: credit.subject_code holds every
-- code with its subject, maintained by the statement triggers of
-- credit.subject, and a second subject with a code already held is refused
-- with the unique-constraint error (SQLSTATE 23505).
\set VERBOSITY default
INSERT INTO credit.subject (id, kind, name, uscc) VALUES
    (983001, 'enterprise', 'Codes test Co. 1', '91350100MA2CDE019N'),
    (983002, 'enterprise', 'Codes test Co. 2', '91350100MA2CDE027H');
INSERT INTO credit.subject (id, kind, name, person_id) VALUES
    (983011, 'individual', 'Codes test person 1', '350102199001010016');
SELECT code, code_kind, subject_id FROM credit.subject_code WHERE subject_id BETWEEN 983001 AND 983099 ORDER BY 3;
-- a code another subject holds, in another statement or in the same one
\set VERBOSITY sqlstate
INSERT INTO credit.subject (id, kind, name, uscc) VALUES (983003, 'enterprise', 'Codes test Co. 3', '91350100MA2CDE019N');
\set VERBOSITY default
INSERT INTO credit.subject (id, kind, name, uscc) VALUES (983003, 'enterprise', 'Codes test Co. 3', '91350100MA2CDE019N');
INSERT INTO credit.subject (id, kind, name, uscc) VALUES
    (983003, 'enterprise', 'Codes test Co. 3', '91350100MA2CDE035C'),
    (983004, 'enterprise', 'Codes test Co. 4', '91350100MA2CDE035C');
INSERT INTO credit.subject (id, kind, name, person_id) VALUES (983012, 'individual', 'Codes test person 2', '350102199001010016');
-- the error carries the constraint's name, as a unique constraint's does
DO $$
BEGIN
    INSERT INTO credit.subject (kind, name, person_id) VALUES ('individual', 'Codes test person 2', '350102199001010016');
EXCEPTION WHEN unique_violation THEN
    DECLARE
        c text;
        t text;
    BEGIN
        GET STACKED DIAGNOSTICS c = CONSTRAINT_NAME, t = TABLE_NAME;
        RAISE NOTICE 'refused: constraint %, table %', c, t;
    END;
END
$$;
-- an update to a code that is held is refused; codes may be swapped in one statement
UPDATE credit.subject SET uscc = '91350100MA2CDE019N' WHERE id = 983002;
UPDATE credit.subject SET uscc = CASE id WHEN 983001 THEN '91350100MA2CDE027H'::credit.uscc ELSE '91350100MA2CDE019N' END
 WHERE id IN (983001, 983002);
SELECT code, code_kind, subject_id FROM credit.subject_code WHERE subject_id BETWEEN 983001 AND 983099 ORDER BY 3;
-- an update that leaves the codes alone keeps them; a code taken away is released
UPDATE credit.subject SET legal_rep = 'Codes test rep' WHERE id BETWEEN 983001 AND 983099;
UPDATE credit.subject SET uscc = NULL WHERE id = 983002;
INSERT INTO credit.subject (id, kind, name, uscc) VALUES (983003, 'enterprise', 'Codes test Co. 3', '91350100MA2CDE019N');
SELECT code, code_kind, subject_id FROM credit.subject_code WHERE subject_id BETWEEN 983001 AND 983099 ORDER BY 3;
-- a deleted subject releases its codes
DELETE FROM credit.subject WHERE id = 983011;
INSERT INTO credit.subject (id, kind, name, person_id) VALUES (983012, 'individual', 'Codes test person 2', '350102199001010016');
-- a unit's clerk (no right on credit.subject_code) registers and is refused the same way
CREATE ROLE regress_credit_codes_unit NOLOGIN IN ROLE credit_department;
INSERT INTO credit.department (code, name, role) VALUES ('codes_unit', 'Codes test unit', 'regress_credit_codes_unit');
SET ROLE regress_credit_codes_unit;
INSERT INTO credit.subject (kind, name, uscc) VALUES ('enterprise', 'Codes test Co. 5', '91350100MA2CDE0437');
INSERT INTO credit.subject (kind, name, uscc) VALUES ('enterprise', 'Codes test Co. 6', '91350100MA2CDE0437');
SELECT count(*) FROM credit.subject_code;
RESET ROLE;
-- the table holds exactly the codes of credit.subject
SELECT (SELECT count(uscc) + count(person_id) FROM credit.subject) = (SELECT count(*) FROM credit.subject_code) AS same_count,
       NOT EXISTS (SELECT 1 FROM credit.subject s
                    WHERE s.uscc IS NOT NULL
                      AND NOT EXISTS (SELECT 1 FROM credit.subject_code c
                                       WHERE c.code = s.uscc::text AND c.code_kind = 'uscc' AND c.subject_id = s.id))
       AND NOT EXISTS (SELECT 1 FROM credit.subject s
                        WHERE s.person_id IS NOT NULL
                          AND NOT EXISTS (SELECT 1 FROM credit.subject_code c
                                           WHERE c.code = s.person_id::text AND c.code_kind = 'person_id' AND c.subject_id = s.id)) AS same_codes;
-- nothing of this test is left
DELETE FROM credit.subject WHERE name LIKE 'Codes test %';
DELETE FROM credit.department WHERE code = 'codes_unit';
DROP ROLE regress_credit_codes_unit;
SELECT count(*) AS left_over FROM credit.subject_code
 WHERE code IN ('91350100MA2CDE019N', '91350100MA2CDE027H', '91350100MA2CDE035C', '91350100MA2CDE0437', '350102199001010016');
