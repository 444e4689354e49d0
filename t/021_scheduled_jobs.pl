# Scheduled jobs really run: on a server configured as docs/scheduling.md
# says (its ini block), pg_cron runs the evaluation that
# credit.schedule_evaluation scheduled, and credit.v_scheduled_job shows the
# run and its outcome; then the recomputation of the listing flags that
# credit.schedule_refresh_listed scheduled.  Before that, on pg_cron's defaults (jobs as client
# connections to localhost, a server without TCP), scheduling is refused
# with a hint instead of creating a job that never runs; a job left in
# another database fails, is shown as failed, and scheduling it again
# replaces it.  pg_cron 1.4 schedules by the minute: the test polls with a
# generous bound and asserts no timing.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $src = $ENV{CREDIT_SRC} || '.';
open my $fh, '<', "$src/docs/scheduling.md" or die "docs/scheduling.md: $!";
my ($conf) = do { local $/; <$fh> } =~ /^```ini\n(.*?)^```$/ms;
close $fh;
ok(defined $conf && $conf =~ /cron\.use_background_workers = on/, 'docs/scheduling.md gives the server set-up');

my $node = PostgreSQL::Test::Cluster->new('cron');
$node->init;
$node->append_conf('postgresql.conf',
	"log_min_messages = warning\nshared_preload_libraries = 'pg_cron'\ncron.database_name = 'county'\n");
$node->start;
$node->safe_psql('postgres', "CREATE DATABASE county");
$node->safe_psql('county', 'CREATE EXTENSION pg_cron; CREATE EXTENSION credit;');

# pg_cron's defaults on a server that listens on no TCP address: refused.
my ($rc, $out, $err) = $node->psql('county',
	"\\set VERBOSITY verbose\nSELECT credit.schedule_evaluation('comprehensive_enterprise', '* * * * *')");
isnt($rc, 0, 'scheduling on a server pg_cron cannot connect to fails');
like($err, qr/55000.*pg_cron could not run the job credit_evaluation_comprehensive_enterprise/s, '... with SQLSTATE 55000');
like($err, qr/listen_addresses is empty.*HINT:  Set cron\.use_background_workers = on/s, '... saying why and what to do');
is($node->safe_psql('county', 'SELECT count(*) FROM cron.job'), '0', '... and no job is created');

# The server as the docs say.
$node->append_conf('postgresql.conf', $conf);
$node->restart;
is($node->safe_psql('county', 'SELECT credit.cron_problem() IS NULL'), 't', 'configured as documented: no problem');

$node->safe_psql('county', q{
INSERT INTO credit.subject (kind, name) SELECT 'enterprise', 'Scheduled example Co. ' || g FROM generate_series(1, 5) g;
-- a job of the platform's name left in the wrong database (as an old set-up would leave it)
SELECT cron.schedule_in_database('credit_list_expiry', '* * * * *', 'SELECT credit.expire_list_entries()', 'postgres');
});
my $job = $node->safe_psql('county',
	"SELECT credit.schedule_evaluation('comprehensive_enterprise', '* * * * *')");
like($job, qr/^\d+$/, 'schedule_evaluation returns the job id');

# Wait for pg_cron to run both (each minute): at most four minutes.
my $ran = 0;
for (1 .. 240)
{
	$ran = $node->safe_psql('county', q{
SELECT count(*) FROM credit.v_scheduled_job WHERE last_status IN ('succeeded', 'failed')});
	last if $ran eq '2';
	sleep 1;
}
is($ran, '2', 'pg_cron ran both jobs');
is($node->safe_psql('county', q{
SELECT last_status || ' ' || last_message || ' ' || runs || ' ' || failed_runs
  FROM credit.v_scheduled_job WHERE jobname = 'credit_evaluation_comprehensive_enterprise'}),
	'succeeded SELECT 1 1 0', 'the evaluation succeeded, seen in the jobs view');
is($node->safe_psql('county', q{
SELECT count(*) FROM credit.evaluation_run WHERE model = 'comprehensive_enterprise'}),
	'1', '... and made an evaluation run');
is($node->safe_psql('county', q{
SELECT count(*) FROM credit.evaluation e JOIN credit.evaluation_run r ON r.id = e.run_id
 WHERE r.model = 'comprehensive_enterprise' AND e.grade = 'B'}),
	'5', '... of every subject in scope');
like($node->safe_psql('county', q{
SELECT last_status || ': ' || problem || ' / ' || last_message
  FROM credit.v_scheduled_job WHERE jobname = 'credit_list_expiry'}),
	qr/^failed: runs in database postgres: schedule it again in this one \/ ERROR: +schema "credit" does not exist/,
	'the job in the wrong database failed, and the view says what to do');

# Scheduling again replaces the broken job: one job, here, active.
$node->safe_psql('county', q{SELECT credit.schedule_list_expiry('* * * * *')});
is($node->safe_psql('county', q{
SELECT count(*) || ' ' || min(database) || ' ' || bool_and(active) || ' ' || count(problem)
  FROM credit.v_scheduled_job WHERE jobname = 'credit_list_expiry'}),
	'1 county true 0', 'scheduling again replaced the broken job');
is($node->safe_psql('county', q{SELECT count(*) FROM cron.job WHERE jobname = 'credit_list_expiry'}),
	'1', '... leaving no second job behind');

# The nightly recomputation of the listing flags runs as scheduled: the
# grade rows the evaluation made start flagged (a new row may be on a list),
# and the job clears the flags of these subjects, which are on no list.
is($node->safe_psql('county', q{SELECT count(*) FROM credit.subject_grade WHERE listed}),
	'5', 'the new grade rows start flagged');
like($node->safe_psql('county', q{SELECT credit.schedule_refresh_listed('* * * * *')}),
	qr/^\d+$/, 'schedule_refresh_listed returns the job id');
my $refreshed = '';
for (1 .. 240)
{
	$refreshed = $node->safe_psql('county', q{
SELECT last_status || ' ' || last_message FROM credit.v_scheduled_job
 WHERE jobname = 'credit_refresh_listed' AND last_status IN ('succeeded', 'failed')});
	last if $refreshed ne '';
	sleep 1;
}
is($refreshed, 'succeeded SELECT 1', 'pg_cron ran credit.refresh_listed');
is($node->safe_psql('county', q{SELECT count(*) FROM credit.subject_grade WHERE listed}),
	'0', '... which cleared the flags of the subjects on no list');

$node->stop;
done_testing();
