# Many concurrent writers on a few shared subjects: six clients run
# single-statement transactions (two-row inserts from two departments,
# objections and their withdrawal, deletions, value changes, industry
# indicators that move industry grades and so write industry grade records
# inside the statement); then six clients running transactions of several
# statements that touch shared subjects in random orders (the pattern that
# deadlocks when grades are locked at the end of each statement).  None may
# fail (no deadlock) and every stored state must equal a fresh evaluation
# after each run.  Each statement locks at most one existing record row, so
# the only locks that could form a cycle are the ones the credit triggers take.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CreditTest;

my $node = credit_node('writers', "max_connections = 20\n");
$node->safe_psql('postgres', q{
CREATE EXTENSION credit;
INSERT INTO credit.department (code, name) VALUES ('cw1', 'Writers test unit 1'), ('cw2', 'Writers test unit 2');
INSERT INTO credit.subject (id, kind, name, industries)
SELECT 980000 + g, 'enterprise', 'Writers test Co. ' || g,
       CASE WHEN g % 3 = 0 THEN '{work_safety}'::text[] ELSE '{}' END
  FROM generate_series(1, 40) g;
SELECT credit.run_evaluation('comprehensive_enterprise');
SELECT credit.run_evaluation('industry_work_safety');
});

my $items = q{(ARRAY['penalty_general', 'honour_city', 'contract_breach', 'penalty_serious', 'work_safety_random_fail', 'work_safety_key_supervision', 'loan_overdue', 'list_key_attention', 'work_safety_daily_ok'])};
$node->pgbench(
	'--no-vacuum --client=6 --transactions=300',
	0,
	[qr{processed: 1800/1800}, qr{number of failed transactions: 0 }],
	[qr{^$}],
	'six concurrent writers, no failed transaction',
	{
		'writers' => qq{
\\set s random(980001, 980040)
\\set t random(980001, 980040)
\\set k random(0, 8)
\\set d random(0, 900)
\\set op random(1, 4)
INSERT INTO credit.record (subject_id, item_code, department, decided_on, value) VALUES
 (:s, ${items}[1 + :k], 'cw1', CURRENT_DATE - :d, 1 + :k % 3),
 (:t, ${items}[1 + (:k + 3) % 9], 'cw2', CURRENT_DATE - :d / 2, 1);
UPDATE credit.record SET status = CASE WHEN status = 'active' THEN 'objected' ELSE 'active' END
 WHERE id IN (SELECT id FROM credit.record WHERE subject_id = :s AND department IN ('cw1', 'cw2') ORDER BY random() LIMIT 1);
UPDATE credit.record SET status = CASE WHEN status = 'active' THEN 'objected' ELSE 'active' END
 WHERE id IN (SELECT id FROM credit.record WHERE subject_id = :t AND department IN ('cw1', 'cw2') ORDER BY random() LIMIT 1);
DELETE FROM credit.record WHERE id IN (SELECT id FROM credit.record WHERE subject_id = :t AND department = 'cw2' AND :op = 1 LIMIT 1);
UPDATE credit.record SET value = value + 1 WHERE id IN (SELECT id FROM credit.record WHERE subject_id = :s AND department = 'cw1' AND :op = 2 LIMIT 1);
}
	});

is( $node->safe_psql('postgres', q{
SELECT count(*) FILTER (WHERE g.subject_id IS NULL) AS missing,
       count(*) FILTER (WHERE abs(g.score - e.score) > 1e-6) AS score_diff,
       count(*) FILTER (WHERE g.grade IS DISTINCT FROM e.grade) AS grade_diff
  FROM credit.model_subject ms
  LEFT JOIN credit.subject_grade g ON g.subject_id = ms.subject_id AND g.model = ms.model
  CROSS JOIN LATERAL credit.evaluate_subject(ms.subject_id, ms.model) e
 WHERE ms.subject_id > 980000}),
	'0|0|0', 'every stored state equals a fresh evaluation');
cmp_ok($node->safe_psql('postgres', "SELECT count(*) FROM credit.grade_change"), '>', 50,
	'grades changed along the way');

# Multi-statement transactions: each touches up to three of 12 shared
# subjects and one of six new ones (no stored grade yet: their first grades
# are inserted by racing commits), one statement at a time, in a random
# order; some roll statements back to a savepoint.
$node->safe_psql('postgres', q{
INSERT INTO credit.subject (id, kind, name)
SELECT 980040 + g, 'enterprise', 'Writers test new Co. ' || g FROM generate_series(1, 6) g;
});
$node->pgbench(
	'--no-vacuum --client=6 --transactions=400',
	0,
	[qr{processed: 2400/2400}, qr{number of failed transactions: 0 }],
	[qr{^$}],
	'six concurrent multi-statement writers in random subject orders, no deadlock',
	{
		'multi' => qq{
\\set a random(980001, 980012)
\\set b random(980001, 980012)
\\set c random(980041, 980046)
\\set d random(980001, 980012)
\\set k random(0, 8)
\\set n random(0, 700)
BEGIN;
INSERT INTO credit.record (subject_id, item_code, department, decided_on, value)
 VALUES (:a, ${items}[1 + :k], 'cw1', CURRENT_DATE - :n, 1 + :k % 3);
INSERT INTO credit.record (subject_id, item_code, department, decided_on, value)
 VALUES (:b, ${items}[1 + (:k + 2) % 9], 'cw2', CURRENT_DATE - :n / 3, 1);
SAVEPOINT s;
INSERT INTO credit.record (subject_id, item_code, department, decided_on, value)
 VALUES (:c, ${items}[1 + (:k + 5) % 9], 'cw1', CURRENT_DATE - :n / 2, 2);
UPDATE credit.record SET status = CASE WHEN status = 'active' THEN 'objected' ELSE 'active' END
 WHERE id IN (SELECT id FROM credit.record WHERE subject_id = :d AND department IN ('cw1', 'cw2') ORDER BY random() LIMIT 1);
\\if :k < 3
ROLLBACK TO SAVEPOINT s;
\\endif
DELETE FROM credit.record WHERE id IN (SELECT id FROM credit.record WHERE subject_id = :c AND department = 'cw2' AND :k = 4 LIMIT 1);
INSERT INTO credit.record (subject_id, item_code, department, decided_on, value)
 VALUES (:a, ${items}[1 + (:k + 7) % 9], 'cw2', CURRENT_DATE - :n / 4, 1);
COMMIT;
}
	});

is( $node->safe_psql('postgres', q{
SELECT count(*) FILTER (WHERE g.subject_id IS NULL) AS missing,
       count(*) FILTER (WHERE abs(g.score - e.score) > 1e-6) AS score_diff,
       count(*) FILTER (WHERE g.grade IS DISTINCT FROM e.grade) AS grade_diff
  FROM credit.model_subject ms
  LEFT JOIN credit.subject_grade g ON g.subject_id = ms.subject_id AND g.model = ms.model
  CROSS JOIN LATERAL credit.evaluate_subject(ms.subject_id, ms.model) e
 WHERE ms.subject_id > 980000}),
	'0|0|0', 'after the multi-statement writers, every stored state equals a fresh evaluation');
is($node->safe_psql('postgres', "SELECT count(*) FROM credit.pending_fold"), '0',
	'nothing left pending');

$node->stop;
done_testing();
