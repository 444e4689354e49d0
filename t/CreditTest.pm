# Helpers shared by the TAP tests of t/ (found through prove -I t, as
# tools/test.sh runs them).
package CreditTest;

use strict;
use warnings;
use Exporter 'import';
use PostgreSQL::Test::Cluster;

our @EXPORT =
  qw(credit_node psql_as preload_credit key_in_database_setting key_in_role_setting key_in_conf_without_preload);

# A started node named NAME, with log_min_messages = warning and the extra
# postgresql.conf lines CONF.
sub credit_node
{
	my ($name, $conf) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', "log_min_messages = warning\n" . ($conf // ''));
	$node->start;
	return $node;
}

# Run SQL with psql (verbose errors) in database DB of NODE, as a superuser or
# as USER; returns (exit code, stdout, stderr).
sub psql_as
{
	my ($node, $db, $sql, $user) = @_;
	my ($out, $err) = ('', '');
	my @extra = defined $user ? (extra_params => [ '-U', $user ]) : ();
	my $rc = $node->psql($db, "\\set VERBOSITY verbose\n$sql",
		stdout => \$out, stderr => \$err, @extra);
	return ($rc, $out, $err);
}

# A superuser-only key setting GUC in ALTER DATABASE postgres SET: refused
# while credit is loaded; stored from a session that has not loaded it, the
# value is readable by ROLE (by every role) in pg_db_role_setting.
sub key_in_database_setting
{
	my ($node, $guc, $value, $role) = @_;
	my ($rc, $out, $err) = psql_as($node, 'postgres',
		"LOAD 'credit'; ALTER DATABASE postgres SET $guc = '$value'");
	Test::More::like($err, qr/ERROR:  55P02: \Q$guc\E cannot be stored with ALTER DATABASE/,
		'ALTER DATABASE SET is refused once credit is loaded');
	$node->safe_psql('postgres', "ALTER DATABASE postgres SET $guc = '$value'");
	Test::More::is($node->safe_psql('postgres',
			"SET ROLE $role; SELECT count(*) FROM pg_db_role_setting WHERE array_to_string(setconfig, ',') LIKE '%$value%'"),
		'1', 'a database setting is readable by every role');
	return;
}

# The same key in ALTER ROLE ROLE SET: SQL run as ROLE is refused (55000).
sub key_in_role_setting
{
	my ($node, $guc, $value, $sql, $role) = @_;
	$node->safe_psql('postgres', "ALTER ROLE $role SET $guc = '$value'");
	my ($rc, $out, $err) = psql_as($node, 'postgres', $sql, $role);
	Test::More::like($err, qr/ERROR:  55000: \Q$guc\E is readable by other roles/,
		'a key from ALTER ROLE SET is refused');
	$node->safe_psql('postgres', "ALTER ROLE $role RESET $guc");
	return;
}

# The key in postgresql.conf while credit is not preloaded: a placeholder
# ROLE can SHOW, and SQL (WHAT, as a superuser) refuses it with 55000, saying
# why; returns the error text.
sub key_in_conf_without_preload
{
	my ($node, $guc, $value, $sql, $role, $what) = @_;
	$node->append_conf('postgresql.conf', "$guc = '$value'\n");
	$node->restart;
	Test::More::is($node->safe_psql('postgres', "SHOW $guc", extra_params => [ '-U', $role ]),
		$value, "without preloading, $role can SHOW the key (placeholder)");
	my ($rc, $out, $err) = psql_as($node, 'postgres', $sql);
	Test::More::isnt($rc, 0, "$what refuses a key from postgresql.conf without preloading");
	Test::More::like($err, qr/ERROR:  55000: \Q$guc\E is readable by other roles/, '... with SQLSTATE 55000');
	Test::More::like($err,
		qr/DETAIL:  The key comes from the server configuration, but credit is not in shared_preload_libraries/,
		'... saying why');
	return $err;
}

# Restart NODE with credit in shared_preload_libraries (after pg_cron where
# the cluster preloads it).
sub preload_credit
{
	my ($node) = @_;
	my $preload = 'credit';
	$preload = "pg_cron,credit"
	  if $node->safe_psql('postgres', 'SHOW shared_preload_libraries') =~ /pg_cron/;
	$node->append_conf('postgresql.conf', "shared_preload_libraries = '$preload'\n");
	$node->restart;
	return;
}

1;
