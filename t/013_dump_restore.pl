# Backup and migration: a credit database dumped with pg_dump and restored
# into a new database (custom format with pg_restore, plain format with psql)
# holds the same rows, table by table, nothing lost and nothing duplicated;
# its sequences go on after the old numbers, its triggers fire again and a
# fresh evaluation gives the same grades.  The restore runs with
# credit.restoring = on (docs/backup.md).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
# the pseudonym key lives in postgresql.conf (readable by the server's owner
# only), with credit preloaded so its superuser-only flag holds from the start
my $key = 'restore-test-key-0123456789';
$node->append_conf('postgresql.conf',
	"log_min_messages = warning\nshared_preload_libraries = 'credit'\ncredit.pseudonym_key = '$key'\n");
$node->start;

# A county in small: departments, subjects of every kind, records (some under
# objection), a catalogue item, model and list of the county's own, list
# entries resolved, unresolved and one whose subject registered later (not
# resolved again), changes to shipped rows (a rule of a shipped model, a
# catalogue item, a warning rule, a list), evaluation runs of an industry
# and two comprehensive models, grade changes, warnings (one resolved), a
# logged look-up and an added entity type.
$node->safe_psql('postgres', 'CREATE DATABASE county');
$node->safe_psql('county', q{
CREATE EXTENSION credit;
INSERT INTO credit.department (code, name) VALUES ('dr_market', 'Market supervision'), ('dr_tax', 'Tax bureau'), ('dr_court', 'Court');
INSERT INTO credit.catalog_item (code, name, category, channel, library, polarity, severity)
    VALUES ('dr_food_violation', 'Food safety violation', 'penalty', 'public', 'legal_person', 'negative', 'general');
INSERT INTO credit.industry (code, name) VALUES ('dr_food', 'Food');
INSERT INTO credit.warning_rule (kind, description) VALUES ('dr_custom', 'A county warning');
INSERT INTO credit.model (code, name, scope, subject_kinds, base, lo, hi)
    VALUES ('dr_model', 'County food model', 'dr_food', '{enterprise}', 100, 0, 200);
INSERT INTO credit.model_grade VALUES ('dr_model', 'good', 100, 1), ('dr_model', 'bad', 0, 2);
INSERT INTO credit.model_dimension (model, dimension, weight) VALUES ('dr_model', 'food', 2);
INSERT INTO credit.model_rule (model, item_code, dimension, points) VALUES ('dr_model', 'dr_food_violation', 'food', -30);
INSERT INTO credit.list (code, name, kind, item_code) VALUES ('dr_food_black', 'Food black list', 'black', 'dr_food_violation');
UPDATE credit.model_rule SET points = -77 WHERE model = 'comprehensive_enterprise' AND item_code = 'penalty_general';
UPDATE credit.catalog_item SET max_publicity = interval '2 years' WHERE code = 'penalty_general';
UPDATE credit.warning_rule SET level = 'high' WHERE kind = 'grade_drop';
UPDATE credit.list SET authority = 'County court' WHERE code = 'dishonest_debtor';
INSERT INTO credit.subject (kind, name, uscc, industries) VALUES
    ('enterprise', '江阴市华达机械有限公司', '91320281142232229Q', '{}'),
    ('enterprise', '深圳示例科技有限公司', '9144030071526726XG', '{dr_food}');
INSERT INTO credit.subject (kind, name, person_id) VALUES ('individual', '张三', '11010519491231002X');
INSERT INTO credit.subject (kind, name, industries)
SELECT (ARRAY['government','enterprise','individual','social_org','institution']::credit.subject_kind[])[1 + g % 5],
       'Restore subject ' || g,
       CASE WHEN g % 5 = 1 AND g % 3 = 0 THEN '{work_safety}'::text[]
            WHEN g % 5 = 1 AND g % 3 = 1 THEN '{dr_food}'::text[] ELSE '{}' END
  FROM generate_series(1, 60) g;
INSERT INTO credit.relation_kind (kind, name, from_kinds, to_kinds) VALUES ('dr_liaison', 'Liaison', '{individual}', '{enterprise}');
UPDATE credit.relation_kind SET warns = true WHERE kind = 'director';
INSERT INTO credit.relation (from_subject, to_subject, kind, share, valid_from)
SELECT p.id, e.id, k, sh, current_date - 100
  FROM (VALUES ('张三', '江阴市华达机械有限公司', 'legal_representative', NULL::numeric),
               ('Restore subject 2', 'Restore subject 1', 'shareholder', 0.4),
               ('Restore subject 7', 'Restore subject 6', 'dr_liaison', NULL)) v (pn, en, k, sh)
  JOIN credit.subject p ON p.name = v.pn JOIN credit.subject e ON e.name = v.en;
INSERT INTO credit.record (subject_id, item_code, department, decided_on, value, details)
SELECT s.id, (ARRAY['penalty_general', 'honour_city', 'dr_food_violation', 'penalty_serious',
                    'work_safety_random_fail', 'license'])[1 + (s.id + g) % 6],
       (ARRAY['dr_market', 'dr_tax', 'dr_court'])[1 + g % 3],
       current_date - ((s.id * 7 + g * 11) % 500)::int, 1 + g % 2, jsonb_build_object('n', g)
  FROM credit.subject s, generate_series(1, 3) g WHERE s.kind <> 'individual';
INSERT INTO credit.record (subject_id, item_code, department, decided_on)
SELECT s.id, 'person_penalty_general', 'dr_court', current_date - 30 FROM credit.subject s WHERE s.kind = 'individual';
UPDATE credit.record SET status = 'objected' WHERE id IN (SELECT id FROM credit.record ORDER BY id LIMIT 3);
INSERT INTO credit.list_sender (list_code, department) VALUES ('dishonest_debtor', 'dr_court'), ('dr_food_black', 'dr_market');
INSERT INTO credit.list_entry (list_code, name, code, listed_on, reason, department) VALUES
    ('dishonest_debtor', '江阴市宏远纺织有限公司', NULL, current_date - 4, 'sent by the court', 'dr_court');
INSERT INTO credit.list_entry (list_code, name, code, listed_on, reason) VALUES
    ('serious_dishonesty', '江陰市華達機械有限責任公司', '14223222-9', current_date - 10, 'fraud'),
    ('dishonest_debtor', '張三', '110105491231002', current_date - 5, 'judgment not performed'),
    ('abnormal_operation', '江阴市宏远纺织有限公司', NULL, current_date - 5, 'unreachable'),
    ('dr_food_black', '深圳示例科技有限公司', '9144030071526726XG', current_date - 20, 'food'),
    ('key_attention', '天津示例研究院', '121200004013590816', current_date - 3, 'registered later');
INSERT INTO credit.subject (kind, name, uscc) VALUES ('institution', '天津示例研究院', '121200004013590816');
-- a model and records at the edges of the ranges the tables accept (finite, bounded)
INSERT INTO credit.model (code, name, subject_kinds, base, lo, hi)
    VALUES ('dr_extreme', 'Extreme values', '{social_org}', 1e12, -1e12, 1e12);
INSERT INTO credit.model_grade VALUES ('dr_extreme', 'top', 1e12, 1), ('dr_extreme', 'low', -1e12, 2);
INSERT INTO credit.model_dimension (model, dimension, weight, lo, hi) VALUES ('dr_extreme', 'edge', -1e6, -1e12, 1e12);
INSERT INTO credit.model_rule (model, item_code, dimension, points, per_value, half_life_days, cap)
    VALUES ('dr_extreme', 'license', 'edge', 1e12, true, 0.01, 1e12),
           ('dr_extreme', 'honour_city', 'edge', -1e12, true, 1e6, NULL);
INSERT INTO credit.record (subject_id, item_code, department, decided_on, value, amount)
SELECT s.id, v.item, 'dr_market', current_date - v.age, v.value, v.amount
  FROM credit.subject s,
       (VALUES ('license', 0, 1e15::float8, 9999999999999999.99), ('license', 3, -1e15, -9999999999999999.99),
               ('honour_city', 1, 1e15, 0.01), ('honour_city', 400, 5e-324, NULL)) v (item, age, value, amount)
 WHERE s.kind = 'social_org' AND s.name IN ('Restore subject 3', 'Restore subject 8');
SELECT credit.run_evaluation('dr_extreme');
SELECT credit.run_evaluation('industry_work_safety');
SELECT credit.run_evaluation('dr_model');
SELECT credit.run_evaluation('comprehensive_enterprise');
SELECT credit.run_evaluation('comprehensive_individual');
INSERT INTO credit.record (subject_id, item_code, department, decided_on)
SELECT id, 'penalty_serious', 'dr_market', current_date - 1 FROM credit.subject WHERE name = '深圳示例科技有限公司';
SELECT credit.find_person('11010519491231002X', 'restore test');
SELECT credit.resolve_warning(min(id), 'checked') FROM credit.warning;
INSERT INTO credit.uscc_entity_type (authority, entity_type, authority_name, name)
    VALUES ('Y', '2', 'other authorities', 'restore test type');
INSERT INTO credit.measure (code, name, kind, effect, scenario, subject_kinds, list_codes)
    VALUES ('dr_food_bar', 'No food licence', 'punishment', 'bar', 'administrative_licensing', '{enterprise}', '{dr_food_black}');
UPDATE credit.measure SET authority = 'County finance bureau' WHERE code = 'black_fiscal_bar';
SELECT credit.record_application(id, 'dr_food_bar', 'dr_market', 'applied', 'licence refused')
  FROM credit.subject WHERE name = '深圳示例科技有限公司';
INSERT INTO credit.commitment (subject_id, department, matter, content, made_on, due_on)
SELECT id, 'dr_market', 'administrative_licensing', 'Restore test commitment ' || k, current_date - 20, current_date - k
  FROM credit.subject, generate_series(1, 3) k WHERE name = 'Restore subject 6';
SELECT credit.resolve_commitment(min(id), false) FROM credit.commitment;
SELECT credit.resolve_commitment(max(id), true) FROM credit.commitment;
UPDATE credit.tier_rule SET tier = 'C' WHERE model = 'comprehensive_enterprise' AND grade = 'B';
INSERT INTO credit.tier_rule (model, grade, tier) VALUES ('dr_model', 'good', 'A'), ('dr_model', 'bad', 'D');
UPDATE credit.tier SET inspection_ratio = 0.5 WHERE tier = 'D';
UPDATE credit.tier SET is_default = (tier = 'C');
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
SELECT s.id, 'penalty_general', 'dr_market', current_date - 200, 'dr-repair-' || n
  FROM credit.subject s, generate_series(1, 3) n WHERE s.name = 'Restore subject 12';
SELECT credit.decide_repair(credit.request_repair(id, 'fine paid', true, true, 'commitment'), true, 'approved')
  FROM credit.record WHERE document_no = 'dr-repair-1';
SELECT credit.request_repair(id, 'fine paid') FROM credit.record WHERE document_no = 'dr-repair-2';
SELECT credit.file_objection(id, 'wrong subject') FROM credit.record WHERE document_no = 'dr-repair-3';
INSERT INTO credit.calendar_day VALUES (current_date + 1, false, 'county holiday');
INSERT INTO credit.repair_rule VALUES ('general', '2020-01-01', interval '1 month', 'a county rule');
});

my @tables = qw(department catalog_item industry warning_rule uscc_entity_type subject record
  list list_sender list_entry model model_grade model_dimension model_rule evaluation_run evaluation
  subject_grade grade_change warning query_log pending_fold scenario measure measure_application commitment tier tier_rule
  repair_rule repair_request objection calendar_day ledger relation relation_kind);

# count and md5 of a table's ordered rows (created_at of the rows CREATE
# EXTENSION ships is the time of that CREATE EXTENSION)
sub fingerprint
{
	my ($db, $table) = @_;
	my $row = "x";
	$row = "(x.code, x.name, x.uscc, x.role)" if $table eq 'department';
	$row = "(x.code, x.name, x.kind, x.authority, x.legal_basis, x.item_code)" if $table eq 'list';
	return $node->safe_psql($db,
		"SELECT count(*) || ' ' || md5(coalesce(string_agg(${row}::text, '|' ORDER BY ${row}::text), ''))
		   FROM credit.$table x");
}
my %before = map { $_ => fingerprint('county', $_) } @tables;
# the extreme model evaluated every social organisation to its finite upper bound, in valid JSON
is($node->safe_psql('county', q{
	SELECT count(*) = (SELECT count(*) FROM credit.subject WHERE kind = 'social_org')
	       AND bool_and(e.score = 1e12 AND (e.dimensions::text)::jsonb = e.dimensions)
	  FROM credit.evaluation e WHERE e.model = 'dr_extreme'}), 't',
	'extreme finite parameters and values evaluate to finite scores');
my $dumped_lists = $node->safe_psql('county',
	"SELECT string_agg(code || '=' || created_at, ',' ORDER BY code) FROM credit.list WHERE code LIKE 'dr_%'");

# run a client program against the node, with credit.restoring on
sub run_client
{
	my (@cmd) = @_;
	local $ENV{PGHOST} = $node->host;
	local $ENV{PGPORT} = $node->port;
	local $ENV{PGUSER} = 'postgres';
	local $ENV{PGOPTIONS} = '-c credit.restoring=on';
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run(\@cmd, '>', \$out, '2>', \$err);
	return ($ok, $out . $err);
}

my $dir = $PostgreSQL::Test::Utils::tmp_check;
my ($ok, $log) = run_client('pg_dump', '-Fc', '-d', 'county', '-f', "$dir/county.dump");
ok($ok, 'pg_dump (custom format) succeeds') or diag($log);
($ok, $log) = run_client('pg_dump', '-Fp', '-d', 'county', '-f', "$dir/county.sql");
ok($ok, 'pg_dump (plain format) succeeds') or diag($log);

$node->safe_psql('postgres', 'CREATE DATABASE restored');
($ok, $log) = run_client('pg_restore', '-d', 'restored', "$dir/county.dump");
ok($ok, 'pg_restore exits 0') or diag($log);
unlike($log, qr/ERROR/, 'pg_restore reports no error');

$node->safe_psql('postgres', 'CREATE DATABASE restored_plain');
($ok, $log) = run_client('psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', 'restored_plain', '-f', "$dir/county.sql");
ok($ok, 'the plain dump loads with psql -v ON_ERROR_STOP=1') or diag($log);
unlike($log, qr/ERROR/, 'psql reports no error');

for my $db ('restored', 'restored_plain')
{
	for my $t (@tables)
	{
		is(fingerprint($db, $t), $before{$t}, "$db: credit.$t has the same rows");
	}
	is($node->safe_psql($db,
		"SELECT string_agg(code || '=' || created_at, ',' ORDER BY code) FROM credit.list WHERE code LIKE 'dr_%'"),
		$dumped_lists, "$db: added lists keep their creation time");
}

# the ledger comes back as it was and still matches every row
is($node->safe_psql('county', 'SELECT count(*) FROM credit.verify_ledger()'), '0', 'the original ledger verifies');
for my $db ('restored', 'restored_plain')
{
	is($node->safe_psql($db, 'SELECT count(*) FROM credit.verify_ledger()'), '0',
		"$db: verify_ledger is empty after the restore");
}

# changed shipped rows come back as changed
is($node->safe_psql('restored', q{
SELECT (SELECT points FROM credit.model_rule WHERE model = 'comprehensive_enterprise' AND item_code = 'penalty_general'),
       (SELECT max_publicity FROM credit.catalog_item WHERE code = 'penalty_general'),
       (SELECT level FROM credit.warning_rule WHERE kind = 'grade_drop'),
       (SELECT authority FROM credit.list WHERE code = 'dishonest_debtor'),
       (SELECT authority FROM credit.measure WHERE code = 'black_fiscal_bar'),
       (SELECT tier FROM credit.tier_rule WHERE model = 'comprehensive_enterprise' AND grade = 'B'),
       (SELECT inspection_ratio || ' ' || tier FROM credit.tier WHERE tier = 'D'),
       (SELECT tier FROM credit.tier WHERE is_default)}),
	'-77|2 years|high|County court|County finance bureau|C|0.5 D|C', 'changes to shipped rows are restored');

# the rows CREATE EXTENSION ships are there once
is($node->safe_psql('restored', q{
SELECT (SELECT count(*) FROM credit.department WHERE code = 'platform'),
       (SELECT count(*) FROM credit.catalog_item WHERE code = 'penalty_serious'),
       (SELECT count(*) FROM credit.list WHERE code = 'serious_dishonesty'),
       (SELECT count(*) FROM credit.model WHERE code = 'comprehensive_enterprise'),
       (SELECT count(*) FROM credit.measure WHERE code = 'ent_a_priority')}),
	'1|1|1|1|1', 'no shipped row is duplicated');

# the entry whose subject registered after it is still unresolved, as dumped
is($node->safe_psql('restored',
	"SELECT subject_id IS NULL AND record_id IS NULL FROM credit.list_entry WHERE code = '121200004013590816'"),
	't', 'a restore resolves no entry and creates no record');

# a fresh evaluation of the restored copy gives the grades of the original
my $eval = q{
SELECT credit.run_evaluation('industry_work_safety') > 0 AND credit.run_evaluation('comprehensive_enterprise') > 0
   AND credit.run_evaluation('dr_model') > 0;
SELECT count(*) || ' ' || md5(string_agg(e.subject_id || ':' || e.model || ':' || e.score || ':' || coalesce(e.grade, '-'),
                                         ',' ORDER BY e.model, e.subject_id))
  FROM credit.evaluation e
 WHERE e.run_id IN (SELECT max(id) FROM credit.evaluation_run GROUP BY model)
   AND e.model IN ('comprehensive_enterprise', 'industry_work_safety', 'dr_model');
SELECT count(*) || ' ' || md5(string_agg(g.subject_id || ':' || g.model || ':' || g.score || ':' || coalesce(g.grade, '-'),
                                         ',' ORDER BY g.model, g.subject_id))
  FROM credit.subject_grade g};
my $original_eval = $node->safe_psql('county', $eval);
like($original_eval, qr/^t\n\d+ \w+\n\d+ \w+$/, 'the original is evaluated again');
for my $db ('restored', 'restored_plain')
{
	is($node->safe_psql($db, $eval), $original_eval, "$db: run_evaluation gives the original's scores and grades");
}

# privileges come back with the extension; the pseudonym key stays superuser-only
is($node->safe_psql('restored', q{
SELECT has_column_privilege('credit_department', 'credit.subject', 'person_id', 'SELECT'),
       has_table_privilege('credit_public', 'credit.record', 'SELECT'),
       has_table_privilege('credit_analyst', 'credit.record', 'SELECT'),
       has_table_privilege('credit_public', 'credit.pending_fold', 'SELECT')}),
	'f|f|t|f', 'privileges as in the original');
is($node->safe_psql('restored', 'SHOW credit.pseudonym_key'), $key, 'the restored database uses the same key');
my ($out, $err) = ('', '');
$node->psql('restored', 'SET ROLE credit_analyst; SHOW credit.pseudonym_key', stdout => \$out, stderr => \$err);
like($err, qr/permission denied|must be superuser/, 'other roles cannot read the key');
open(my $fh, '<', "$dir/county.sql") or die "cannot read the plain dump: $!";
my $plain = do { local $/; <$fh> };
close($fh);
unlike($plain, qr/\Q$key\E/, 'the dump does not hold the key');
is($node->safe_psql('restored',
	"SELECT count(*) FROM credit.list_entry e WHERE credit.pseudonym(e.code_canonical) IS NULL AND e.code_canonical IS NOT NULL"),
	'0', 'pseudonyms can be computed in the restored database');

# sequences go on after the old numbers; the triggers fire again
my $max = q{SELECT (SELECT max(id) FROM credit.subject) || ',' || (SELECT max(id) FROM credit.record) || ','
  || (SELECT max(id) FROM credit.grade_change) || ',' || (SELECT max(id) FROM credit.warning) || ','
  || (SELECT max(id) FROM credit.query_log) || ',' || (SELECT max(id) FROM credit.evaluation_run) || ','
  || (SELECT max(id) FROM credit.list_entry) || ',' || (SELECT max(id) FROM credit.measure_application) || ','
  || (SELECT max(id) FROM credit.commitment) || ',' || (SELECT max(id) FROM credit.relation)};
my @old = split /,/, $node->safe_psql('county', $max);
for my $db ('restored', 'restored_plain')
{
	my $grade = "SELECT score || ' ' || grade FROM credit.subject_grade g JOIN credit.subject s ON s.id = g.subject_id
	              WHERE s.name = 'Restore subject 11' AND g.model = 'comprehensive_enterprise'";
	my $before_grade = $node->safe_psql($db, $grade);
	$node->safe_psql($db, q{
INSERT INTO credit.subject (kind, name) VALUES ('enterprise', 'New after restore');
INSERT INTO credit.record (subject_id, item_code, department, decided_on)
SELECT id, 'penalty_serious', 'dr_market', current_date FROM credit.subject WHERE name IN ('Restore subject 11', 'New after restore');
INSERT INTO credit.list_entry (list_code, name, code, listed_on) VALUES ('dr_food_black', 'x', NULL, current_date);
SELECT credit.find_person('11010519491231002X', 'after restore');
SELECT credit.run_evaluation('dr_model');
SELECT credit.record_application(id, 'dr_food_bar', 'dr_market', 'not_applied', NULL)
  FROM credit.subject WHERE name = 'New after restore';
INSERT INTO credit.commitment (subject_id, department, matter, content)
SELECT id, 'dr_market', 'bidding', 'after restore' FROM credit.subject WHERE name = 'New after restore';
INSERT INTO credit.relation (from_subject, to_subject, kind)
SELECT p.id, e.id, 'dr_liaison' FROM credit.subject p, credit.subject e WHERE p.name = '张三' AND e.name = 'New after restore';
});
	is($node->safe_psql($db, q{
SELECT string_agg(DISTINCT w.details ->> 'relation', ',') || ' ' || count(*) FROM credit.warning w
 WHERE w.kind = 'related_listed'}),
		'legal_representative 2', "$db: the related_listed warnings (company and legal representative listed) are kept");
	is($node->safe_psql($db, q{
SELECT string_agg(f.measure_code, ',') FROM credit.subject s, credit.measures_for(s.id, 'administrative_licensing') f
 WHERE s.name = '深圳示例科技有限公司' AND f.measure_code LIKE 'dr\_%'}), 'dr_food_bar', "$db: the county's measure matches its list");
	my @new = split /,/, $node->safe_psql($db, $max);
	for my $i (0 .. $#old)
	{
		cmp_ok($new[$i], '>', $old[$i], "$db: sequence $i goes on after the old maximum");
	}
	isnt($node->safe_psql($db, $grade), $before_grade, "$db: a new record changes a grade (triggers fire)");
	is($node->safe_psql($db, q{
SELECT count(*) FILTER (WHERE g.subject_id IS NULL), count(*) FILTER (WHERE abs(g.score - e.score) > 1e-6 OR g.grade IS DISTINCT FROM e.grade)
  FROM credit.model_subject ms
  LEFT JOIN credit.subject_grade g ON g.subject_id = ms.subject_id AND g.model = ms.model
 CROSS JOIN LATERAL credit.evaluate_subject(ms.subject_id, ms.model) e}), '0|0',
		"$db: every current grade equals a fresh evaluation after new data");
	is($node->safe_psql($db, q{
SELECT count(*) FROM credit.warning w JOIN credit.subject s ON s.id = w.subject_id
 WHERE s.name = 'New after restore' AND w.kind = 'serious_record'}), '1', "$db: the new subject is warned");
	is($node->safe_psql($db, q{
SELECT credit.resolve_commitment(id, false) IS NOT NULL FROM credit.commitment WHERE content = 'Restore test commitment 2';
SELECT r.item_code FROM credit.commitment c JOIN credit.record r ON r.id = c.record_id
 WHERE c.content = 'Restore test commitment 2'}), "t\ncommitment_broken", "$db: an open commitment is resolved into a record");
	my ($stdout, $stderr) = ('', '');
	$node->psql($db, "SELECT credit.resolve_commitment(min(id), true) FROM credit.commitment",
		stdout => \$stdout, stderr => \$stderr);
	like($stderr, qr/is already resolved/, "$db: a restored resolved commitment stays resolved");
	is($node->safe_psql($db, 'SELECT count(*) FROM credit.verify_ledger()'), '0',
		"$db: the ledger goes on after the restore and verifies");
}

$node->stop;
done_testing();
