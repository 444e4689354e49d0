# The ledger under concurrent writers: six clients run transactions of
# several statements on records and list entries of shared subjects (updates
# of the same rows, deletions, savepoints rolled back, the commit-time grade
# fold writing industry grade records), with a concurrent evaluation run.
# None may fail or deadlock; afterwards the chain has no gap, every
# transaction's entries are consecutive, every row's logged history is whole
# and credit.verify_ledger() is empty.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CreditTest;

my $node = credit_node('ledger_writers', "max_connections = 20\n");
$node->safe_psql('postgres', q{
CREATE EXTENSION credit;
INSERT INTO credit.department (code, name) VALUES ('lw1', 'Ledger writers unit 1'), ('lw2', 'Ledger writers unit 2');
INSERT INTO credit.subject (id, kind, name, industries)
SELECT 990000 + g, 'enterprise', 'Ledger writers Co. ' || g,
       CASE WHEN g % 3 = 0 THEN '{work_safety}'::text[] ELSE '{}' END
  FROM generate_series(1, 20) g;
INSERT INTO credit.record (subject_id, item_code, department, decided_on)
SELECT 990000 + g, 'honour_city', 'lw1', DATE '2025-01-01' FROM generate_series(1, 20) g;
});

my $items = q{(ARRAY['penalty_general', 'honour_city', 'contract_breach', 'penalty_serious', 'work_safety_random_fail', 'work_safety_key_supervision', 'loan_overdue', 'license', 'work_safety_daily_ok'])};
$node->pgbench(
	'--no-vacuum --client=6 --transactions=250',
	0,
	[qr{processed: 1500/1500}, qr{number of failed transactions: 0 }],
	[qr{^$}],
	'six concurrent multi-statement writers, no failed transaction',
	{
		'ledger_writers' => qq{
\\set a random(990001, 990020)
\\set b random(990001, 990020)
\\set k random(0, 8)
\\set n random(0, 700)
BEGIN;
INSERT INTO credit.record (subject_id, item_code, department, decided_on, value)
 VALUES (:a, ${items}[1 + :k], 'lw1', CURRENT_DATE - :n, 1 + :k % 3);
UPDATE credit.record SET value = value + 1
 WHERE id IN (SELECT id FROM credit.record WHERE subject_id = :b ORDER BY id LIMIT 1);
SAVEPOINT s;
INSERT INTO credit.list_entry (list_code, name, listed_on, reason)
 VALUES ('abnormal_operation', 'Ledger writers Co. ' || (:b - 990000), CURRENT_DATE - :n / 2, 'test');
UPDATE credit.record SET status = CASE WHEN status = 'active' THEN 'objected' ELSE 'active' END
 WHERE id IN (SELECT id FROM credit.record WHERE subject_id = :a AND department = 'lw2' ORDER BY id DESC LIMIT 1);
\\if :k < 3
ROLLBACK TO SAVEPOINT s;
\\endif
DELETE FROM credit.record WHERE id IN (SELECT id FROM credit.record WHERE subject_id = :b AND department = 'lw2' AND :k = 4 LIMIT 1);
INSERT INTO credit.record (subject_id, item_code, department, decided_on)
 VALUES (:b, ${items}[1 + (:k + 4) % 9], 'lw2', CURRENT_DATE - :n / 3);
COMMIT;
},
		'ledger_run@1' => q{
SELECT credit.run_evaluation('industry_work_safety');
}
	});

is($node->safe_psql('postgres', 'SELECT count(*) = max(seq) FROM credit.ledger'), 't',
	'the chain has no gap');
is($node->safe_psql('postgres', q{
SELECT count(*) FROM (SELECT xid FROM credit.ledger GROUP BY xid HAVING max(seq) - min(seq) + 1 <> count(*)) x}),
	'0', "every transaction's entries are consecutive");
is($node->safe_psql('postgres', q{
SELECT (SELECT coalesce(sum(cardinality(new_hashes)) FILTER (WHERE op = 'insert'), 0)
             - coalesce(sum(cardinality(old_hashes)) FILTER (WHERE op = 'delete'), 0)
          FROM credit.ledger WHERE relation = 'record') = (SELECT count(*) FROM credit.record)}),
	't', 'every inserted and deleted record is logged once');
cmp_ok($node->safe_psql('postgres', q{SELECT count(*) FROM credit.ledger WHERE relation = 'evaluation'}), '>', 0,
	'the evaluation runs are logged');
cmp_ok($node->safe_psql('postgres', q{SELECT count(*) FROM credit.record WHERE item_code LIKE 'industry_grade_%'}), '>', 0,
	'the commit-time fold wrote industry grade records');
is($node->safe_psql('postgres', 'SELECT count(*) FROM credit.verify_ledger()'), '0',
	'verify_ledger is empty');
is($node->safe_psql('postgres', "SELECT count(*) FROM credit.pending_fold"), '0', 'nothing left pending');

$node->stop;
done_testing();
