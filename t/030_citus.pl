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

# A started node with Citus created in its database postgres.  The nodes
# talk over TCP on 127.0.0.1 (a shard move's logical replication connects
# to citus.local_hostname).
sub citus_node
{
	my ($name) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'citus,credit'
wal_level = logical
max_wal_senders = 10
max_replication_slots = 10
max_prepared_transactions = 20
max_worker_processes = 32
citus.enable_unsafe_triggers = on
listen_addresses = '127.0.0.1'
citus.local_hostname = '127.0.0.1'
});
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION citus');
	return $node;
}

my @nodes = map { citus_node($_) } ('coordinator', 'worker1', 'worker2');
my ($coord, @workers) = @nodes;

$coord->safe_psql('postgres',
	    "SELECT citus_set_coordinator_host('127.0.0.1', " . $coord->port . ")");
for my $w (@workers)
{
	$coord->safe_psql('postgres',
		"SELECT citus_add_node('127.0.0.1', " . $w->port . ")");
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
-- a second unit, and records of the market channel, which only their unit reads
INSERT INTO credit.department (code, name) VALUES ('cv', 'Citus second unit');
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
SELECT 1 + g % 200, 'contract_breach', CASE WHEN g % 3 = 0 THEN 'cu' ELSE 'cv' END,
       current_date - 1 - g % 200, 'market-' || g
  FROM generate_series(1, 300) g;
});
# Subjects on lists, before distributing: entries of a black list and of the
# key-attention list (one removed since, one expired), and records of lists'
# items that the units collected; a clerk of unit cv and an analyst.  What
# credit.check and credit.measures_for answer on one node, as the owner, as
# the clerk and as the analyst, is compared with their answers through the
# coordinator once the tables are distributed (the grade rows' listing flags
# are set, so the listings are read).
$coord->safe_psql('postgres', q{
INSERT INTO credit.list_entry (list_code, name, subject_id, listed_on, expires_on, department) VALUES
  ('serious_dishonesty', 'Minjiang Foods Ltd', 11, current_date - 30, NULL, 'cu'),
  ('key_attention', 'Rongcheng Builders Ltd', 12, current_date - 20, NULL, 'cu'),
  ('dishonest_debtor', 'Haixi Freight Ltd', 13, current_date - 20, NULL, 'cu'),
  ('key_attention', 'Wuyi Tea Ltd', 14, current_date - 40, current_date - 5, 'cu');
UPDATE credit.list_entry SET removed_on = current_date - 1 WHERE subject_id = 13;
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no) VALUES
  (15, 'list_dishonest_debtor', 'cu', current_date - 15, 'cu-list-15'),
  (16, 'list_red_honour', 'cu', current_date - 15, 'cu-list-16'),
  (17, 'list_red_tax_a', 'cu', current_date - 15, 'cu-list-17');
CREATE ROLE cv_unit NOLOGIN;
CREATE ROLE cv_clerk LOGIN IN ROLE cv_unit, credit_department;
CREATE ROLE c_analyst LOGIN IN ROLE credit_analyst;
UPDATE credit.department SET role = 'cv_unit' WHERE code = 'cv';
});
my $listed_sql = q{
SELECT string_agg(g || ' ' || credit.check(g, 'government_procurement')::text, E'\n' ORDER BY g) FROM generate_series(1, 24) g;
SELECT string_agg(g || ' ' || m::text, E'\n' ORDER BY g, m.measure_code) FROM generate_series(1, 24) g
 CROSS JOIN LATERAL credit.measures_for(g, 'government_procurement') m};
my %listed = map { $_ => $coord->safe_psql('postgres', ($_ eq 'postgres' ? '' : "SET ROLE $_;") . $listed_sql) }
  qw(postgres cv_clerk c_analyst);
like($listed{postgres}, qr/^11 .*"list": "serious_dishonesty".*^12 .*"list": "key_attention".*^15 .*"list": "dishonest_debtor".*^16 .*"list": "red_honour".*^17 .*"list": "red_tax_a"/ms,
	'on one node, credit.check shows the listings of entries and of records');
unlike($listed{postgres}, qr/^1[34] [^\n]*"list": "(dishonest_debtor|key_attention)"/m,
	'but not an entry removed or expired');
like($listed{postgres}, qr/^11 \(/m, 'and credit.measures_for the measures of a subject on a black list');
my $nrecords = $coord->safe_psql('postgres', 'SELECT count(*) FROM credit.record');
my $npublic = $coord->safe_psql('postgres', 'SELECT count(*) FROM credit.record WHERE credit.public_item(item_code)');

my $grades_sql = q{SELECT string_agg(subject_id || ':' || model || ':' || grade || ':' || round(score, 6), ',' ORDER BY subject_id, model COLLATE "C") FROM credit.subject_grade};
my $grades = $coord->safe_psql('postgres', $grades_sql);

# The number of nodes that hold shards of credit.record.
sub record_nodes
{
	return $coord->safe_psql('postgres', q{
SELECT count(DISTINCT nodeport) FROM pg_dist_shard_placement p
  JOIN pg_dist_shard s USING (shardid) WHERE s.logicalrelid = 'credit.record'::regclass});
}

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
is(record_nodes(),
	'2', 'the shards of credit.record are on both workers');
is( $coord->safe_psql(
		'postgres', q{
SELECT count(*) FROM pg_constraint WHERE conname = 'grade_change_subject_id_fkey'}),
	'1', 'a foreign key between colocated tables is created again');

# The rows moved to the shards as they were.
is($coord->safe_psql('postgres', 'SELECT count(*) FROM credit.record'), $nrecords, 'the records are on the shards');
is($coord->safe_psql('postgres', $grades_sql), $grades, 'the grades are those folded before');
is($workers[0]->safe_psql('postgres', q{
SELECT count(*) > 0 FROM pg_class WHERE relname LIKE 'record\_%' AND relnamespace = 'credit'::regnamespace}),
	't', 'a worker holds shards of credit.record');

# credit.check and credit.measures_for of subjects on lists through the
# coordinator: the listings are read from credit.listing, by the subject,
# the entries on the coordinator and the records in the subject's shard.
for my $role (qw(postgres cv_clerk c_analyst))
{
	is($coord->safe_psql('postgres', ($role eq 'postgres' ? '' : "SET ROLE $role;") . $listed_sql), $listed{$role},
		"credit.check and credit.measures_for give the answers of one node, as $role");
}

# Row-level security as a unit's clerk: the policies of credit.record run on
# the shards, on the workers (the units and the catalogue read there from the
# workers' copies of the reference tables).
$coord->safe_psql('postgres', q{
CREATE ROLE cu_unit NOLOGIN;
CREATE ROLE cu_clerk LOGIN IN ROLE cu_unit, credit_department;
UPDATE credit.department SET role = 'cu_unit' WHERE code = 'cu';
});
my $readable = $coord->safe_psql('postgres',
	q{SELECT count(*) FROM credit.record WHERE department = 'cu' OR credit.public_item(item_code)});
is($readable, '2106', 'the records of unit cu and the public ones (the lists\' among them)');
my $clerk_reads = q{SET ROLE cu_clerk; SELECT count(*), count(*) FILTER (WHERE department = 'cv') FROM credit.record};
is($coord->safe_psql('postgres', $clerk_reads), "$readable|0",
	"a clerk of unit cu reads its unit's records and the public ones, no market record of another unit");
is($workers[0]->safe_psql('postgres', $clerk_reads), "$readable|0",
	'the same through a worker');
$coord->safe_psql('postgres', q{UPDATE credit.department SET role = NULL WHERE code = 'cu'});
is($coord->safe_psql('postgres', $clerk_reads), "$npublic|0",
	'once the unit names no role, only the public records');

# The evaluation pushed down: each worker folds its shards' records with the
# aggregate (the model read from its own copy of the reference tables), the
# coordinator only gathers the states.
my $plan = $coord->safe_psql('postgres', q{
EXPLAIN (VERBOSE, COSTS OFF)
SELECT r.subject_id, credit.evaluate_agg('comprehensive_enterprise', current_date, r.item_code, r.decided_on, r.value, r.status)
  FROM credit.record r GROUP BY r.subject_id});
like($plan, qr/Custom Scan \(Citus Adaptive\).*Task Count: 8.*->  Task\n.*FROM credit\.record_\d+ r.*\n.*Node: .*\n\s+->  (Hash|Group)Aggregate\n\s+Output: .*credit\.evaluate_agg\(/s,
	'the evaluation aggregate runs on the workers, per shard');
($ret, $out, $err) = $coord->psql('postgres', q{SELECT credit.run_evaluation('comprehensive_enterprise')});
is($ret, 0, 'credit.run_evaluation runs on the distributed platform') or diag($err);
is($coord->safe_psql('postgres', $grades_sql), $grades,
	'the grades of a fresh evaluation are those folded as the records came');
is( $coord->safe_psql(
		'postgres', q{
SELECT count(*) FROM credit.evaluation e
  JOIN credit.subject_grade g ON g.subject_id = e.subject_id AND g.model = e.model
 WHERE e.run_id = (SELECT max(id) FROM credit.evaluation_run) AND e.grade = g.grade AND e.score = g.score
   AND g.run_id = e.run_id}),
	'200', 'the run wrote an evaluation and the current grade of every subject');
is( $coord->safe_psql(
		'postgres', q{SELECT subjects IS NOT DISTINCT FROM 200 AND finished_at IS NOT NULL FROM credit.evaluation_run ORDER BY id DESC LIMIT 1}),
	't', 'the run is recorded as finished');
# Matching against the lists (credit.list_entry stays on the coordinator):
# an entry of an enterprise not registered on the platform is found by its
# name and by its code, and nothing is found for a name on no list.
$coord->safe_psql('postgres', q{
INSERT INTO credit.list_entry (list_code, name, code, listed_on)
VALUES ('serious_dishonesty', 'Unregistered Trading Co.', '91350100MA2CDE027H', current_date - 10)});
is($coord->safe_psql('postgres', q{SELECT list_code, level FROM credit.match('Unregistered Trading Co.')}),
	'serious_dishonesty|name', 'credit.match finds a listed name');
is($coord->safe_psql('postgres', q{SELECT list_code, level FROM credit.match('Another name', '91350100-MA2CDE027H')}),
	'serious_dishonesty|code', 'credit.match finds a listed code');
is($coord->safe_psql('postgres', q{SELECT count(*) FROM credit.match('Citus test Co. 5')}),
	'0', 'credit.match finds nothing for a subject on no list');

# A third worker, the shards rebalanced onto it: the records and grades
# stay, and an evaluation gives the same grades.
my $worker3 = citus_node('worker3');
push @nodes, $worker3;
$coord->safe_psql('postgres',
	"SELECT citus_add_node('127.0.0.1', " . $worker3->port . ")");
is($worker3->safe_psql('postgres', "SELECT count(*) FROM pg_extension WHERE extname = 'credit'"),
	'1', 'credit is created on the worker added');
is( $coord->safe_psql(
		'postgres', q{
SELECT string_agg(result, ',' ORDER BY nodeport) FROM run_command_on_workers('SELECT credit.number_node_rows()')}),
	'0,0,' . $worker3->safe_psql('postgres', q{
SELECT count(*) FROM credit.distribution_plan() p JOIN pg_attribute a ON a.attrelid = p.tbl
 WHERE a.attnum > 0 AND pg_get_serial_sequence(p.tbl::text, a.attname) IS NOT NULL}),
	'the worker added numbers its rows from its own range (the others did already)');
($ret, $out, $err) = $coord->psql('postgres',
	"SET statement_timeout = '300s'; SELECT citus_rebalance_start(); SELECT citus_rebalance_wait()");
is($ret, 0, 'the shards are rebalanced') or diag($err);
is(record_nodes(),
	'3', 'the shards of credit.record are on the three workers');
is( $coord->safe_psql(
		'postgres', q{
SELECT count(*) FROM (
  SELECT s.shardid FROM pg_dist_shard s JOIN pg_dist_shard_placement p USING (shardid)
   WHERE s.logicalrelid = 'credit.record'::regclass
  EXCEPT
  SELECT r.shardid FROM pg_dist_shard r JOIN pg_dist_shard_placement rp USING (shardid)
    JOIN pg_dist_shard g ON g.shardminvalue = r.shardminvalue AND g.logicalrelid = 'credit.subject_grade'::regclass
    JOIN pg_dist_shard_placement gp ON gp.shardid = g.shardid AND gp.nodeport = rp.nodeport
   WHERE r.logicalrelid = 'credit.record'::regclass) x}),
	'0', 'each shard of credit.record is on the node of its subjects\' grades');
is($coord->safe_psql('postgres', 'SELECT count(*) FROM credit.record'), $nrecords, 'the records stay');
is($coord->safe_psql('postgres', $grades_sql), $grades, 'the grades stay');
($ret, $out, $err) = $coord->psql('postgres', q{SELECT credit.run_evaluation('comprehensive_enterprise')});
is($ret, 0, 'credit.run_evaluation runs after the rebalancing') or diag($err);
is($coord->safe_psql('postgres', $grades_sql), $grades, 'and gives the same grades');

# Writes through the coordinator: the triggers of credit.record fire on the
# shards, on the workers (the references checked, the decision claimed beside
# the subject's records, the fold at commit), for a statement or a
# transaction that writes the records of one subject.
my $insert = q{INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no) VALUES };
($ret, $out, $err) = $coord->psql('postgres', $insert . q{(7, 'penalty_serious', 'cu', current_date - 3, 'w-1')});
is($ret, 0, 'a record inserted through the coordinator') or diag($err);
($ret, $out, $err) = $coord->psql('postgres', $insert . q{(7, 'penalty_serious', 'cu', current_date - 3, 'w-1')});
like($err, qr/duplicate decision: unit cu, item penalty_serious, document number "w-1" is record \d+ already/,
	'a decision sent twice is refused on the worker');
($ret, $out, $err) = $coord->psql('postgres', $insert . q{(999, 'penalty_serious', 'cu', current_date - 3, 'w-2')});
like($err, qr/refers to a subject that does not exist/, 'a record of no subject is refused on the worker');
($ret, $out, $err) = $coord->psql('postgres', $insert . q{(7, 'no_such_item', 'cu', current_date - 3, 'w-2')});
like($err, qr/refers to a catalogue item that does not exist/, 'a record of no catalogue item is refused on the worker');
($ret, $out, $err) = $coord->psql('postgres', "BEGIN;\n" . $insert
	  . q{(8, 'penalty_general', 'cu', current_date - 5, 'w-3'), (8, 'honour_city', 'cu', current_date - 4, 'w-4');}
	  . "\n" . $insert . q{(8, 'contract_breach', 'cv', current_date - 2, 'w-5');} . "\nCOMMIT;");
is($ret, 0, 'a transaction of several records of one subject') or diag($err);
my $folded = $coord->safe_psql('postgres', $grades_sql);
isnt($folded, $grades, 'the new records changed grades');
is( $coord->safe_psql(
		'postgres', q{
SELECT count(*) > 0 FROM credit.grade_change
 WHERE subject_id IN (7, 8) AND record_id IN (SELECT id FROM credit.record WHERE document_no LIKE 'w-%')}),
	't', 'the grade changes are logged');
($ret, $out, $err) = $coord->psql('postgres', q{SELECT credit.run_evaluation('comprehensive_enterprise')});
is($ret, 0, 'an evaluation after the writes') or diag($err);
is($coord->safe_psql('postgres', $grades_sql), $folded,
	'the grades folded on the workers are those of a fresh evaluation');

# Writes of many subjects, on the shards of both workers: a COPY of a feed
# through the coordinator (Citus sends each worker its shards' rows), then a
# transaction that deletes and updates records of several shards.  The
# triggers fire on each shard, the fold at commit runs on each worker one
# subject at a time, and the transaction commits, in two phases, with grades
# equal to those of a fresh evaluation.
is($coord->safe_psql('postgres', 'SHOW citus.multi_shard_modify_mode'),
	'sequential', 'the sessions write the shards of a node over one connection');
my $feed = "${PostgreSQL::Test::Utils::tmp_check}/citus_feed.tsv";
open(my $fh, '>', $feed) or die "cannot write $feed: $!";
for my $g (1 .. 400)
{
	my $subject = 1 + ($g * 7) % 200;
	my $item = (qw(penalty_serious honour_city penalty_general contract_breach))[ $g % 4 ];
	my $unit = $g % 4 == 3 ? 'cv' : 'cu';
	printf $fh "%d\t%s\t%s\t%d\tfeed-%d\n", $subject, $item, $unit, 2 + $g % 90, $g;
}
close($fh);
($ret, $out, $err) = $coord->psql('postgres', qq{
CREATE TEMP TABLE feed (subject_id bigint, item_code text, department text, days_ago integer, document_no text);
COPY feed FROM '$feed';
COPY (SELECT subject_id, item_code, department, current_date - days_ago, document_no FROM feed) TO '$feed.records';
COPY credit.record (subject_id, item_code, department, decided_on, document_no) FROM '$feed.records'});
is($ret, 0, 'a COPY of records of 200 subjects through the coordinator commits') or diag($err);
is( $coord->safe_psql(
		'postgres', q{
SELECT count(*), count(DISTINCT subject_id), count(DISTINCT p.nodeport)
  FROM credit.record r
  JOIN pg_dist_shard s ON s.logicalrelid = 'credit.record'::regclass
   AND pg_catalog.hashint8(r.subject_id) BETWEEN s.shardminvalue::integer AND s.shardmaxvalue::integer
  JOIN pg_dist_shard_placement p USING (shardid)
 WHERE r.document_no LIKE 'feed-%'}),
	'400|200|3', 'the feed went to the shards of the three workers');
my $copied = $coord->safe_psql('postgres', $grades_sql);
isnt($copied, $folded, 'the feed changed grades');
is( $coord->safe_psql(
		'postgres', q{
SELECT count(DISTINCT w.subject_id) FROM credit.warning w JOIN credit.record r
    ON r.subject_id = w.subject_id AND r.id = (w.details->>'record_id')::bigint
 WHERE w.kind = 'serious_record' AND r.document_no LIKE 'feed-%'}),
	$coord->safe_psql('postgres', q{
SELECT count(DISTINCT subject_id) FROM credit.record
 WHERE document_no LIKE 'feed-%' AND item_code = 'penalty_serious'}),
	'the feed\'s serious records raised their warnings on the workers');
($ret, $out, $err) = $coord->psql('postgres', q{SELECT credit.run_evaluation('comprehensive_enterprise')});
is($ret, 0, 'an evaluation after the feed') or diag($err);
is($coord->safe_psql('postgres', $grades_sql), $copied,
	'the grades the workers folded from the feed are those of a fresh evaluation');
($ret, $out, $err) = $coord->psql('postgres', q{
BEGIN;
DELETE FROM credit.record WHERE document_no LIKE 'feed-%' AND subject_id <= 60;
UPDATE credit.record SET decided_on = decided_on - 200 WHERE document_no LIKE 'feed-%' AND subject_id BETWEEN 61 AND 120;
COMMIT;});
is($ret, 0, 'a transaction deleting and updating records of many subjects commits') or diag($err);
my $changed = $coord->safe_psql('postgres', $grades_sql);
isnt($changed, $copied, 'the deletes and updates changed grades');
($ret, $out, $err) = $coord->psql('postgres', q{SELECT credit.run_evaluation('comprehensive_enterprise')});
is($ret, 0, 'an evaluation after the deletes and updates') or diag($err);
is($coord->safe_psql('postgres', $grades_sql), $changed,
	'the grades folded from the deletes and updates are those of a fresh evaluation');

# A subject evaluated on demand through the coordinator: the query of
# credit.evaluate_subject is routed to the subject's shard and runs there,
# and gives the grades the workers folded.
is( $coord->safe_psql(
		'postgres', q{
SELECT string_agg(g || ':' || e.grade || ':' || round(e.score, 6), ',' ORDER BY g)
  FROM generate_series(1, 200) g CROSS JOIN LATERAL credit.evaluate_subject(g, 'comprehensive_enterprise') e}),
	$coord->safe_psql(
		'postgres', q{
SELECT string_agg(subject_id || ':' || grade || ':' || round(score, 6), ',' ORDER BY subject_id)
  FROM credit.subject_grade WHERE model = 'comprehensive_enterprise'}),
	'credit.evaluate_subject gives every subject the grade folded on the workers');

# Records of a watch list's item through the coordinator, for subjects on
# several shards: the listings raise their warnings on the workers (the
# search for related subjects runs for black lists only).
($ret, $out, $err) = $coord->psql('postgres', q{
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
SELECT g, 'list_abnormal_operation', 'cu', current_date - 2, 'watch-' || g FROM generate_series(150, 200, 10) g});
is($ret, 0, "records of a watch list's item through the coordinator commit") or diag($err);
is( $coord->safe_psql(
		'postgres', q{
SELECT string_agg(subject_id::text, ',' ORDER BY subject_id) FROM credit.warning
 WHERE kind = 'listed' AND topic = 'list_abnormal_operation'}),
	'150,160,170,180,190,200', 'their listings raised the listed warnings on the workers');

# credit.check and credit.measures_for through the coordinator, for subjects
# on no list once credit.refresh_listed() has cleared their listing flags:
# the subject and its grades are read in its shard; their lists are not read.
($ret, $out, $err) = $coord->psql('postgres', q{SELECT credit.refresh_listed() > 0});
is($ret . $out, '0t', 'credit.refresh_listed clears the listing flags on the shards') or diag($err);
is( $coord->safe_psql(
		'postgres', q{
SELECT string_agg(g || ':' || (c->'grades'->0->>'grade') || ':' || (c->>'decision')
                  || ':' || jsonb_array_length(c->'lists'), ',' ORDER BY g)
  FROM generate_series(1, 200, 19) g
 CROSS JOIN LATERAL credit.check(g, 'government_procurement') c}),
	$coord->safe_psql(
		'postgres', q{
SELECT string_agg(subject_id || ':' || grade || ':normal:0', ',' ORDER BY subject_id)
  FROM credit.subject_grade WHERE model = 'comprehensive_enterprise' AND subject_id IN (SELECT generate_series(1, 200, 19))}),
	'credit.check answers with the grade folded on the workers');
($ret, $out, $err) = $coord->psql('postgres', q{
SELECT count(*) FROM generate_series(1, 200, 19) g CROSS JOIN LATERAL credit.measures_for(g, 'government_procurement') m});
is($ret, 0, 'credit.measures_for answers through the coordinator') or diag($err);

# A second call is refused.
($ret, $out, $err) = $coord->psql('postgres', 'SELECT credit.distribute(8)');
like($err, qr/distributed already/, 'a second credit.distribute() is refused');

$_->stop for @nodes;
done_testing();
