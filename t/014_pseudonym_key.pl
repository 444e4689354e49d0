# The pseudonym key (credit.pseudonym_key) is used only where no role but a
# superuser can read it: a key from ALTER DATABASE ... SET (pg_db_role_setting,
# readable by every role) is refused, as is a key in postgresql.conf while
# credit is not preloaded (an ordinary placeholder setting until a session
# loads credit); with shared_preload_libraries = 'credit' the key in
# postgresql.conf is used and hidden from other roles.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CreditTest;

my $key = 'county-pseudonym-key-0123456789';
my $node = credit_node('pseudonym_key');
$node->safe_psql('postgres', q{
CREATE EXTENSION credit;
CREATE ROLE analyst LOGIN IN ROLE credit_analyst;
INSERT INTO credit.list_entry (list_code, name, code, listed_on)
    VALUES ('dishonest_debtor', '张三', '11010519491231002X', current_date - 1);
});

# psql in database postgres, as a superuser (default) or as another role
sub run_sql { return psql_as($node, 'postgres', @_); }

my $pseudonym = "SELECT encode(credit.pseudonym('11010519491231002X'), 'hex')";
my $match = "SELECT count(*) FROM credit.match('张三', '11010519491231002X')";
my ($rc, $out, $err);

# the expected pseudonym, computed with the key set in a superuser's session
my $expected = $node->safe_psql('postgres', "SET credit.pseudonym_key = '$key'; $pseudonym");
like($expected, qr/^[0-9a-f]{64}$/, 'a key set in the session is used');

# without any key, list matching works (no pseudonyms needed)
is($node->safe_psql('postgres', $match), '1', 'list matching works without a key');

# (a) ALTER DATABASE ... SET, from a session that has not loaded credit (a
# session that has refuses to store it): every role can read the key
key_in_database_setting($node, 'credit.pseudonym_key', $key, 'analyst');

($rc, $out, $err) = run_sql($pseudonym);
isnt($rc, 0, 'pseudonym() refuses a key from ALTER DATABASE SET, for a superuser too');
like($err, qr/ERROR:  55000: credit.pseudonym_key is readable by other roles/, '... with SQLSTATE 55000');
like($err, qr/DETAIL:  The key comes from ALTER DATABASE or ALTER ROLE/, '... saying where the key comes from');
like($err, qr/HINT:  Remove that setting .*shared_preload_libraries = 'credit'/, '... and what to do');
($rc, $out, $err) = run_sql($pseudonym, 'analyst');
like($err, qr/ERROR:  55000: credit.pseudonym_key is readable by other roles/, 'refused for credit_analyst');
($rc, $out, $err) = run_sql($match);
like($err, qr/ERROR:  55000: credit.pseudonym_key is readable by other roles/, 'list matching refuses it too');

# a superuser's SET in the session overrides it; RESET brings the refusal back
is($node->safe_psql('postgres', "SET credit.pseudonym_key = '$key'; $pseudonym"),
	$expected, 'a session SET is used over the database setting');
($rc, $out, $err) = run_sql("SET credit.pseudonym_key = '$key'; RESET credit.pseudonym_key; $pseudonym");
like($err, qr/ERROR:  55000: credit.pseudonym_key is readable by other roles/, 'after RESET the database setting is refused again');
($rc, $out, $err) = run_sql("BEGIN; SET LOCAL credit.pseudonym_key = '$key'; $pseudonym; ROLLBACK; $pseudonym");
like($out, qr/^$expected$/m, 'SET LOCAL key used in the transaction');
like($err, qr/ERROR:  55000: credit.pseudonym_key is readable by other roles/, '... and the database setting refused after rollback');

$node->safe_psql('postgres', 'ALTER DATABASE postgres RESET credit.pseudonym_key');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_db_role_setting WHERE array_to_string(setconfig, ',') LIKE '%pseudonym%'"),
	'0', 'the database setting can be removed');

# the same through ALTER ROLE ... SET
key_in_role_setting($node, 'credit.pseudonym_key', $key, $pseudonym, 'analyst');

# (b) postgresql.conf without preloading credit: a fresh session holds the key
# as a placeholder, which credit_analyst can read
$err = key_in_conf_without_preload($node, 'credit.pseudonym_key', $key, $pseudonym, 'analyst', 'pseudonym()');
is($node->safe_psql('postgres', "SELECT current_setting('credit.pseudonym_key')", extra_params => [ '-U', 'analyst' ]),
	$key, '... and read it with current_setting()');
like($err, qr/HINT:  Set shared_preload_libraries = 'credit'/, '... and what to do');
is($node->safe_psql('postgres', "SET credit.pseudonym_key = '$key'; $pseudonym"),
	$expected, 'a session SET is still used');

# (c) credit preloaded (with pg_cron where the cluster preloads it): the key
# is used and hidden from every other role
preload_credit($node);
is($node->safe_psql('postgres', $pseudonym), $expected, 'preloaded: pseudonym() uses the key from postgresql.conf');
is($node->safe_psql('postgres', $pseudonym, extra_params => [ '-U', 'analyst' ]),
	$expected, '... for credit_analyst too');
is($node->safe_psql('postgres', $match), '1', '... and list matching works');
($rc, $out, $err) = run_sql('SHOW credit.pseudonym_key', 'analyst');
like($err, qr/ERROR:  42501: must be superuser or have privileges of pg_read_all_settings to examine "credit.pseudonym_key"/,
	'credit_analyst cannot SHOW the key');
($rc, $out, $err) = run_sql("SELECT current_setting('credit.pseudonym_key')", 'analyst');
like($err, qr/ERROR:  42501: must be superuser/, 'nor read it with current_setting()');
unlike($out, qr/\Q$key\E/, '... and it is not printed');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_settings WHERE name = 'credit.pseudonym_key'",
		extra_params => [ '-U', 'analyst' ]),
	'0', 'pg_settings shows credit_analyst no row for the key');
is($node->safe_psql('postgres', 'SHOW credit.pseudonym_key'), $key, 'a superuser can SHOW it');

$node->stop;
done_testing();
