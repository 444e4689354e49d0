# The report signing key (credit.report_signing_key) signs only where no role
# but a superuser can read it: a key from ALTER DATABASE/ROLE ... SET is
# refused, as is a key in postgresql.conf while credit is not preloaded; with
# shared_preload_libraries = 'credit' the key in postgresql.conf signs reports
# for every role that may issue them and stays hidden.  A dump holds the
# public keys, agencies and third-party reports, never the private key, and
# reports still verify in the restored database.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CreditTest;
use IPC::Run;

# the seed of RFC 8032 test 1 and its key id
my $seed = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
my $key_id = '21fe31dfa154a261';
my $node = credit_node('report_key');
$node->safe_psql('postgres', q{
CREATE EXTENSION credit;
CREATE ROLE analyst LOGIN IN ROLE credit_analyst;
INSERT INTO credit.subject (kind, name, uscc) VALUES ('enterprise', '江阴报告密钥测试有限公司', '91320281RP8100046T');
});

# psql in database postgres, as a superuser (default) or as another role
sub run_sql { return psql_as($node, 'postgres', @_); }

my $report = "SELECT credit.verify_report(credit.report(1, 'key test')), credit.report(1, 'key test') ->> 'key_id'";
my ($rc, $out, $err);

# no key at all
($rc, $out, $err) = run_sql($report);
like($err, qr/ERROR:  55000: credit.report_signing_key is not set/, 'no key: 55000');
like($err, qr/HINT:  A superuser creates a key with credit.generate_signing_key\(\)/, '... with a hint');

# a key set in a superuser's session would sign, but without preloading no
# report is issued: its look-up cannot be logged beyond the caller's rollback
($rc, $out, $err) = run_sql("SET credit.report_signing_key = '$seed'; $report");
like($err, qr/ERROR:  55000: looking a person up needs credit in shared_preload_libraries/,
	'without preloading, no report (its look-up could not be logged)');

# (a) ALTER DATABASE ... SET: refused once credit is loaded; stored from a
# session that has not loaded credit, it is readable by every role and refused
key_in_database_setting($node, 'credit.report_signing_key', $seed, 'analyst');
($rc, $out, $err) = run_sql($report);
isnt($rc, 0, 'report() refuses a key from ALTER DATABASE SET, for a superuser too');
like($err, qr/ERROR:  55000: credit.report_signing_key is readable by other roles/, '... with SQLSTATE 55000');
like($err, qr/HINT:  Remove that setting \(ALTER DATABASE name RESET credit.report_signing_key/, '... and what to do');
($rc, $out, $err) = run_sql('SELECT credit.report_public_key()', 'analyst');
like($err, qr/ERROR:  55000: credit.report_signing_key is readable by other roles/, 'report_public_key() refuses it too');
$node->safe_psql('postgres', 'ALTER DATABASE postgres RESET credit.report_signing_key');

# the same through ALTER ROLE ... SET
key_in_role_setting($node, 'credit.report_signing_key', $seed, $report, 'analyst');

# (b) postgresql.conf without preloading credit: a placeholder every role can read
key_in_conf_without_preload($node, 'credit.report_signing_key', $seed, $report, 'analyst', 'report()');

# (c) credit preloaded: the key signs for every role that may issue reports and is hidden
preload_credit($node);
is($node->safe_psql('postgres', $report), "t|$key_id", 'preloaded: the key in postgresql.conf signs');
is($node->safe_psql('postgres', "SET credit.report_signing_key = '$seed'; $report"),
	"t|$key_id", 'a key set in a superuser\'s session signs, and the report verifies');
is($node->safe_psql('postgres', $report, extra_params => [ '-U', 'analyst' ]),
	"t|$key_id", '... for credit_analyst too');
($rc, $out, $err) = run_sql('SHOW credit.report_signing_key', 'analyst');
like($err, qr/ERROR:  42501: must be superuser or have privileges of pg_read_all_settings to examine "credit.report_signing_key"/,
	'credit_analyst cannot SHOW the key');
($rc, $out, $err) = run_sql("SELECT current_setting('credit.report_signing_key')", 'analyst');
like($err, qr/ERROR:  42501: must be superuser/, 'nor read it with current_setting()');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_settings WHERE name = 'credit.report_signing_key'",
		extra_params => [ '-U', 'analyst' ]),
	'0', 'pg_settings shows credit_analyst no row for the key');
($rc, $out, $err) = run_sql('SELECT * FROM credit.generate_signing_key()', 'analyst');
like($err, qr/ERROR:  42501: permission denied for function generate_signing_key/, 'credit_analyst cannot generate keys');

# A dump: public keys, agencies and third-party reports, never the private key.
my $signed = $node->safe_psql('postgres', q{
INSERT INTO credit.agency (code, name, public_key)
    VALUES ('xy_credit', 'Xinyi credit services', '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c');
INSERT INTO credit.third_party_report (agency, content, signature)
    VALUES ('xy_credit', '{"issued_at": "2026-01-15T10:00:00+08:00", "subject": {"uscc": "91320281RP8100046T"}}', '\x00');
SELECT credit.report(1, 'before the dump')});
my $dir = $PostgreSQL::Test::Utils::tmp_check;
my ($out2, $err2) = ('', '');
{
	local $ENV{PGHOST} = $node->host;
	local $ENV{PGPORT} = $node->port;
	local $ENV{PGUSER} = 'postgres';
	ok(IPC::Run::run([ 'pg_dump', '-Fp', '-d', 'postgres', '-f', "$dir/report.sql" ], '>', \$out2, '2>', \$err2),
		'pg_dump succeeds') or diag($err2);
}
my $dump = slurp_file("$dir/report.sql");
unlike($dump, qr/$seed/i, 'the dump does not hold the private key');
like($dump, qr/COPY credit\.signing_key .*\n$key_id\t/, 'the dump holds the public key by key id');
like($dump, qr/COPY credit\.agency /, '... the agencies');
like($dump, qr/COPY credit\.third_party_report /, '... and the third-party reports');

$node->safe_psql('postgres', 'CREATE DATABASE restored');
{
	local $ENV{PGHOST} = $node->host;
	local $ENV{PGPORT} = $node->port;
	local $ENV{PGUSER} = 'postgres';
	local $ENV{PGOPTIONS} = '-c credit.restoring=on';
	ok(IPC::Run::run([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', 'restored', '-f', "$dir/report.sql" ],
			'>', \$out2, '2>', \$err2), 'the dump loads') or diag($err2);
}
is($node->safe_psql('restored', "SELECT credit.verify_report('$signed')"), 't',
	'a report signed before the dump verifies in the restored database');
is($node->safe_psql('restored',
		"SELECT (SELECT key_id FROM credit.agency), (SELECT count(*) FROM credit.third_party_report)"),
	'39f713d0a644253f|1', 'agency and third-party report restored');
# (its signature does not verify: the subject and the conflicts are not compared)
is($node->safe_psql('restored',
		"SELECT check_name || '=' || coalesce(ok::text, 'null') FROM credit.verify_third_party_report(1) ORDER BY 1"),
	"conflicts=null\nissued_at=true\nsignature=false\nsubject=null", 'a restored third-party report is checked');

$node->stop;
done_testing();
