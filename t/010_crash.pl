# Crash safety of auto-evaluation: kill the server with SIGKILL in the middle
# of a bulk ingest (inserts, status changes, deletes, one transaction after
# another), restart it, and check that every subject's incremental state in
# credit.subject_grade equals a fresh evaluation, both credit.evaluate_subject
# and a new credit.run_evaluation.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CreditTest;
use IPC::Run;

my $node = credit_node('crash', "max_wal_size = 1GB\n");

my $subjects = 2000;
$node->safe_psql('postgres', qq{
CREATE EXTENSION credit;
INSERT INTO credit.department (code, name) VALUES ('tap_a', 'Crash test unit A'), ('tap_b', 'Crash test unit B');
INSERT INTO credit.subject (id, kind, name, industries)
SELECT 960000 + g, 'enterprise', 'Crash test Co. ' || g,
       CASE WHEN g % 5 = 0 THEN '{work_safety}'::text[] ELSE '{}' END
  FROM generate_series(1, $subjects) g;
SELECT credit.run_evaluation('comprehensive_enterprise');
SELECT credit.run_evaluation('industry_work_safety');
});

# The ingest: 400 transactions of 500 records each, with objections and
# deletions in between; it writes a marker when it is done.
my $script = "$PostgreSQL::Test::Utils::tmp_check/ingest.sql";
open(my $fh, '>', $script) or die "cannot write $script: $!";
for my $k (1 .. 400)
{
	print $fh qq{INSERT INTO credit.record (subject_id, item_code, department, decided_on, value)
SELECT 960001 + (g * 7 + $k * 13) % $subjects,
       (ARRAY['penalty_general', 'honour_city', 'contract_breach', 'loan_overdue', 'penalty_serious',
              'work_safety_random_fail', 'work_safety_daily_ok', 'license', 'tax_arrears'])[1 + (g + $k) % 9],
       CASE WHEN g % 2 = 0 THEN 'tap_a' ELSE 'tap_b' END,
       CURRENT_DATE - (g * 13 + $k) % 700, 1 + g % 3
  FROM generate_series(1, 500) g;
UPDATE credit.record SET status = 'objected'
 WHERE id IN (SELECT id FROM credit.record WHERE status = 'active' AND department = 'tap_a' ORDER BY id DESC LIMIT 20);
DELETE FROM credit.record
 WHERE id IN (SELECT id FROM credit.record WHERE department = 'tap_b' ORDER BY id DESC OFFSET 100 LIMIT 10);
};
}
print $fh "CREATE TABLE ingest_done ();\n";
close($fh);

my ($out, $err) = ('', '');
my $h = IPC::Run::start(
	[ 'psql', '-X', '-q', '-d', $node->connstr('postgres'), '-f', $script ],
	'>', \$out, '2>', \$err);

# wait until a good part of the ingest has committed, then kill the server
$node->poll_query_until('postgres',
	"SELECT count(*) > 40000 FROM credit.record WHERE department IN ('tap_a', 'tap_b')")
  or die "the ingest did not progress";
$node->kill9;
$h->finish;
ok(1, 'server killed during the ingest');

# the killed server's backends may take a moment to go away
my $started = 0;
for my $attempt (1 .. 60)
{
	last if ($started = $node->start(fail_ok => 1));
	# (the failed start read the old postmaster.pid: forget it and retry)
	$node->{_pid} = undef;
	sleep 1;
}
ok($started, 'server restarted after the crash');
my $done = $node->safe_psql('postgres', "SELECT to_regclass('ingest_done') IS NULL");
is($done, 't', 'the ingest was interrupted before its end');
my $records = $node->safe_psql('postgres',
	"SELECT count(*) FROM credit.record WHERE department IN ('tap_a', 'tap_b')");
cmp_ok($records, '>', 40000, "records committed before the crash: $records");

my $check = q{
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE g.subject_id IS NULL) AS missing,
       count(*) FILTER (WHERE abs(g.score - e.score) > 1e-6) AS score_diff,
       count(*) FILTER (WHERE g.grade IS DISTINCT FROM e.grade) AS grade_diff
  FROM credit.model_subject ms
  LEFT JOIN credit.subject_grade g ON g.subject_id = ms.subject_id AND g.model = ms.model
  CROSS JOIN LATERAL credit.evaluate_subject(ms.subject_id, ms.model) e
 WHERE ms.subject_id BETWEEN 960001 AND 960000 + } . $subjects . q{
   AND ms.model IN ('comprehensive_enterprise', 'industry_work_safety')};
my $expected_pairs = $subjects + $subjects / 5;
is($node->safe_psql('postgres', $check), "$expected_pairs|0|0|0",
	'after recovery every stored state equals credit.evaluate_subject');

# a fresh run of both models gives the same scores and grades
my $run = $node->safe_psql('postgres', q{
CREATE TABLE sg_before AS SELECT * FROM credit.subject_grade;
SELECT credit.run_evaluation('industry_work_safety') > 0 AND credit.run_evaluation('comprehensive_enterprise') > 0;
SELECT count(*),
       count(*) FILTER (WHERE abs(e.score - b.score) > 1e-6),
       count(*) FILTER (WHERE e.grade IS DISTINCT FROM b.grade)
  FROM credit.evaluation e
  JOIN sg_before b ON b.subject_id = e.subject_id AND b.model = e.model
 WHERE e.run_id IN (SELECT max(id) FROM credit.evaluation_run GROUP BY model)
   AND e.subject_id > 960000;
});
is($run, "t\n$expected_pairs|0|0", 'a fresh run_evaluation agrees with the recovered states');

# and the triggers keep working after recovery
$node->safe_psql('postgres', q{
INSERT INTO credit.record (subject_id, item_code, department, decided_on)
SELECT 960001 + g, 'penalty_serious', 'tap_a', CURRENT_DATE - g FROM generate_series(0, 99) g;
UPDATE credit.record SET status = 'repaired' WHERE id IN (SELECT id FROM credit.record WHERE department = 'tap_b' ORDER BY id LIMIT 50);
});
is($node->safe_psql('postgres', $check), "$expected_pairs|0|0|0",
	'states stay exact after more changes');

$node->stop;
done_testing();
