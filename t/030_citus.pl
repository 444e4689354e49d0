# The platform on Citus: a coordinator and two workers on this machine,
# credit.distribute() placing the tables (the per-subject ones distributed
# by subject and colocated with credit.subject, the small ones as reference
# tables), then the platform used through the coordinator.  Skipped where
# Citus is not installed into the PostgreSQL under test.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $pkglibdir = `pg_config --pkglibdir`;
chomp $pkglibdir;
plan skip_all => "Citus is not installed ($pkglibdir/citus.so not found)"
  unless -f "$pkglibdir/citus.so";

my @nodes;
for my $name ('coordinator', 'worker1', 'worker2')
{
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'citus,credit'
wal_level = logical
max_prepared_transactions = 20
max_worker_processes = 32
citus.enable_unsafe_triggers = on
});
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION citus');
	push @nodes, $node;
}
my ($coord, @workers) = @nodes;

$coord->safe_psql('postgres',
	    "SELECT citus_set_coordinator_host('" . $coord->host . "', " . $coord->port . ")");
for my $w (@workers)
{
	$coord->safe_psql('postgres',
		"SELECT citus_add_node('" . $w->host . "', " . $w->port . ")");
}
is($coord->safe_psql('postgres', 'SELECT count(*) FROM citus_get_active_worker_nodes()'),
	'2', 'two workers added');

# The extension is created on the coordinator and propagated to the workers.
$coord->safe_psql('postgres', 'CREATE EXTENSION credit');
for my $w (@workers)
{
	is($w->safe_psql('postgres', "SELECT count(*) FROM pg_extension WHERE extname = 'credit'"),
		'1', 'credit is created on ' . $w->name);
}

# A small county loaded before distributing: 200 enterprises, 2,000
# records, their grades folded as they came.
$coord->safe_psql('postgres', q{
INSERT INTO credit.department (code, name) VALUES ('cu', 'Citus test unit');
INSERT INTO credit.subject (id, kind, name) SELECT g, 'enterprise', 'Citus test Co. ' || g FROM generate_series(1, 200) g;
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
SELECT 1 + g % 200, (ARRAY['penalty_general', 'honour_city', 'license', 'penalty_serious'])[1 + g % 4], 'cu',
       current_date - 1 - g % 300, 'cu-' || g
  FROM generate_series(1, 2000) g;
});
my $grades_sql = q{SELECT string_agg(subject_id || ':' || model || ':' || grade || ':' || round(score, 6), ',' ORDER BY subject_id, model COLLATE "C") FROM credit.subject_grade};
my $grades = $coord->safe_psql('postgres', $grades_sql);

# Distribute, then check the placement of each table.
my ($ret, $out, $err) = $coord->psql('postgres', 'SELECT credit.distribute(8)');
is($ret, 0, 'credit.distribute() succeeds') or diag($err);
is($out, $coord->safe_psql('postgres', 'SELECT count(*) FROM credit.distribution_plan()'),
	'every table of the plan is placed');
note(join("\n", grep { /not kept/ } split /\n/, $err));
is( $coord->safe_psql(
		'postgres', q{
SELECT count(*) FROM credit.distribution_plan() p
  JOIN pg_dist_partition d ON d.logicalrelid = p.tbl
 WHERE (p.placement = 'reference' AND d.partmethod = 'n')
    OR (p.placement = 'colocated' AND d.partmethod = 'h'
        AND d.colocationid = (SELECT colocationid FROM pg_dist_partition WHERE logicalrelid = 'credit.subject'::regclass))
    OR (p.placement = 'distributed' AND d.partmethod = 'h')}),
	$coord->safe_psql('postgres', 'SELECT count(*) FROM credit.distribution_plan()'),
	'reference tables, and per-subject tables colocated with credit.subject');
is( $coord->safe_psql(
		'postgres', q{
SELECT count(DISTINCT nodeport) FROM pg_dist_shard_placement p
  JOIN pg_dist_shard s USING (shardid) WHERE s.logicalrelid = 'credit.record'::regclass}),
	'2', 'the shards of credit.record are on both workers');
is( $coord->safe_psql(
		'postgres', q{
SELECT count(*) FROM pg_constraint WHERE conname = 'grade_change_subject_id_fkey'}),
	'1', 'a foreign key between colocated tables is created again');

# The rows moved to the shards as they were.
is($coord->safe_psql('postgres', 'SELECT count(*) FROM credit.record'), '2000', 'the records are on the shards');
is($coord->safe_psql('postgres', $grades_sql), $grades, 'the grades are those folded before');
is($workers[0]->safe_psql('postgres', q{
SELECT count(*) > 0 FROM pg_class WHERE relname LIKE 'record\_%' AND relnamespace = 'credit'::regnamespace}),
	't', 'a worker holds shards of credit.record');

# A second call is refused.
($ret, $out, $err) = $coord->psql('postgres', 'SELECT credit.distribute(8)');
like($err, qr/distributed already/, 'a second credit.distribute() is refused');

$_->stop for @nodes;
done_testing();
