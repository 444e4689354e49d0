# The ledger's keyed tags (credit.ledger_key in postgresql.conf): entries
# written without the key are untagged and reported once the key is set,
# until a superuser seals them; with the key, every entry is tagged and a
# rewritten or re-tagged entry is found; another key finds every entry; a
# rotation (credit.ledger_key_previous) verifies and is sealed; a key
# in postgresql.conf without preloading credit is readable by every role, so
# the ledger refuses it (no write commits, verify refuses too).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CreditTest;

my $key = 'ledger key of the TAP test: 5f0c2a9e7b41d3a8c6e2f9b0d4a7c1e3';
my $other = 'another ledger key, not the one: 0a1b2c3d4e5f60718293a4b5c6d7e8f9';
my $node = credit_node('ledger_key', "shared_preload_libraries = 'credit'\n");
$node->safe_psql('postgres', q{
CREATE EXTENSION credit;
CREATE ROLE admin LOGIN IN ROLE credit_admin;
INSERT INTO credit.department (code, name) VALUES ('lk', 'Ledger key bureau');
INSERT INTO credit.subject (id, kind, name) VALUES (1, 'enterprise', '江阴账本密钥测试有限公司');
INSERT INTO credit.record (id, subject_id, item_code, department, decided_on)
VALUES (1, 1, 'penalty_general', 'lk', DATE '2025-03-01');
});

# psql as a superuser (default) or as another role; returns (rc, stdout, stderr)
sub run_sql { return psql_as($node, 'postgres', @_); }
my $verify = 'SELECT problem FROM credit.verify_ledger()';
my $write = "UPDATE credit.record SET document_no = 'doc ' || clock_timestamp() WHERE id = 1";
my ($rc, $out, $err);

# no key: entries untagged, verify checks the chain and warns
is($node->safe_psql('postgres', 'SELECT count(*), count(mac) FROM credit.ledger'), '2|0',
	'without the key the entries (the subject, the record) are written untagged');
($rc, $out, $err) = run_sql($verify);
is($out, '', 'verify_ledger reports nothing without the key');
like($err, qr/WARNING:  01000: credit.ledger_key is not set: the ledger was checked against its own hashes only/,
	'... and warns that the tags were not checked');

# the key in postgresql.conf (credit preloaded), reloaded
$node->append_conf('postgresql.conf', "credit.ledger_key = '$key'\n");
$node->reload;
$node->safe_psql('postgres', $write);
is($node->safe_psql('postgres', 'SELECT mac IS NOT NULL FROM credit.ledger ORDER BY seq'), "f\nf\nt",
	'with the key, new entries are tagged');
($rc, $out, $err) = run_sql('SHOW credit.ledger_key', 'admin');
like($err, qr/ERROR:  42501: must be superuser or have privileges of pg_read_all_settings to examine "credit.ledger_key"/,
	'credit_admin cannot SHOW the key');
is($node->safe_psql('postgres', $verify),
	'entry, and the 1 after it, carry no keyed tag (written while credit.ledger_key was not set): a rewrite of them '
	  . 'cannot be told apart; credit.seal_ledger() tags them once checked',
	'verify_ledger reports the run of untagged entries');
($rc, $out, $err) = run_sql('SELECT credit.seal_ledger()', 'admin');
like($err, qr/ERROR:  42501: permission denied for function seal_ledger/, 'credit_admin cannot seal');
is($node->safe_psql('postgres', 'SELECT credit.seal_ledger()'), '2', 'a superuser seals them');
($rc, $out, $err) = run_sql($verify);
is($out . $err, '', 'then verify_ledger is empty, without a warning');

# a tag copied from another entry, and a rewritten entry
$node->safe_psql('postgres', 'CREATE TABLE kept AS SELECT * FROM credit.ledger');
$node->safe_psql('postgres', 'UPDATE credit.ledger SET mac = (SELECT mac FROM credit.ledger WHERE seq = 2) WHERE seq = 1');
like($node->safe_psql('postgres', "SELECT seq || ': ' || problem FROM credit.verify_ledger()"),
	qr/^1: keyed tag does not match the entry's hash/, 'a tag moved to another entry is found');
$node->safe_psql('postgres', 'DELETE FROM credit.ledger; INSERT INTO credit.ledger SELECT * FROM kept');
is($node->safe_psql('postgres', $verify), '', 'put back, the ledger verifies');

# another key: every tagged entry is found
$node->append_conf('postgresql.conf', "credit.ledger_key = '$other'\n");
$node->reload;
is($node->safe_psql('postgres', "SELECT count(*) FROM credit.verify_ledger() WHERE problem LIKE 'keyed tag does not match%'"),
	'3', 'under another key, every entry is reported');
$node->append_conf('postgresql.conf', "credit.ledger_key = '$key'\n");
$node->reload;
is($node->safe_psql('postgres', $verify), '', 'the right key again: empty');

# rotating the key: the old one moves to credit.ledger_key_previous, whose tags still
# verify; credit.seal_ledger() re-tags them under the new key; then the old one goes
my $rotated = 'the rotated ledger key of the test: 9e8d7c6b5a4938271605f4e3d2c1b0a9';
sub rotate
{
	my ($from, $to) = @_;
	$node->append_conf('postgresql.conf', "credit.ledger_key = '$to'\ncredit.ledger_key_previous = '$from'\n");
	$node->reload;
	is($node->safe_psql('postgres', $verify), '', 'during a rotation, the tags of the previous key verify');
	($rc, $out, $err) = run_sql('SHOW credit.ledger_key_previous', 'admin');
	like($err, qr/ERROR:  42501: must be superuser/, '... and the previous key is for superusers only');
	is($node->safe_psql('postgres', 'SELECT credit.seal_ledger()'), '3', 'seal_ledger re-tags every entry under the new key');
	$node->append_conf('postgresql.conf', "credit.ledger_key_previous = ''\n");
	$node->reload;
	is($node->safe_psql('postgres', $verify), '', 'sealed: the ledger verifies under the new key alone');
}
rotate($key, $rotated);
is($node->safe_psql('postgres', "SELECT count(*) FROM credit.verify_ledger() WHERE problem LIKE 'keyed tag does not match%'"),
	'0', 'no entry is left under the old key');
rotate($rotated, $key);

# without preloading, the key in postgresql.conf is a placeholder every role can read
$node->append_conf('postgresql.conf', "shared_preload_libraries = ''\n");
$node->restart;
is($node->safe_psql('postgres', 'SHOW credit.ledger_key', extra_params => [ '-U', 'admin' ]),
	$key, 'without preloading, credit_admin can SHOW the key (placeholder)');
($rc, $out, $err) = run_sql($write);
isnt($rc, 0, 'no ledgered write commits with such a key');
like($err, qr/ERROR:  55000: credit.ledger_key is readable by other roles/, '... SQLSTATE 55000');
like($err, qr/DETAIL:  The key comes from the server configuration, but credit is not in shared_preload_libraries/,
	'... saying why');
($rc, $out, $err) = run_sql($verify);
like($err, qr/ERROR:  55000: credit.ledger_key is readable by other roles/, 'verify_ledger refuses it too');
is($node->safe_psql('postgres', 'SELECT count(*) FROM credit.ledger'), '3', 'nothing was appended');

# preloaded again: the rolled-back write left nothing, and the ledger verifies
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'credit'\n");
$node->restart;
$node->safe_psql('postgres', $write);
is($node->safe_psql('postgres', 'SELECT count(*), count(mac) FROM credit.ledger'), '4|4', 'preloaded: written and tagged');
is($node->safe_psql('postgres', $verify), '', 'verify_ledger is empty');

$node->stop;
done_testing();
