# Versions: a released install script is frozen (versions/credit--V.sql),
# and every older release updated with ALTER EXTENSION credit UPDATE gives
# the same catalog (tools/catalog.sql) and the same results on a small county
# as a fresh CREATE EXTENSION credit of the newest version.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 't';
use CreditTest;

my $top = $ENV{CREDIT_SRC} // '.';
my ($default) = slurp_file("$top/credit.control") =~ /^default_version\s*=\s*'([^']+)'/m;
ok(defined $default, "credit.control names the default version ($default)");

# The newest script is built from the fragments of src/sql; when its version
# is a release, the fragments must still give exactly the frozen script.
my @releases = sort map { m{versions/credit--([0-9.]+)\.sql$} ? $1 : () } glob("$top/versions/credit--*.sql");
ok(scalar(@releases) > 0, 'at least one release is frozen under versions/: ' . join(', ', @releases));
if (grep { $_ eq $default } @releases)
{
	my $built = slurp_file("$top/credit--$default.sql");
	my $frozen = slurp_file("$top/versions/credit--$default.sql");
	ok($built eq $frozen,
		"src/sql/ still builds release $default exactly (a schema change needs a new version and an upgrade script)");
}

my $node = credit_node('versions', "shared_preload_libraries = 'credit'\n");

# The facts a small county gives: grades, a check, the publicity of a record.
my $county = q{
INSERT INTO credit.department (code, name) VALUES ('vs_market', 'Market supervision');
INSERT INTO credit.subject (kind, name, uscc) VALUES
    ('enterprise', 'Version Test One Co', '91320281142232229Q'),
    ('enterprise', 'Version Test Two Co', NULL);
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
SELECT s.id, i.item, 'vs_market', DATE '2026-01-15' - g, 'vs-' || s.id || '-' || g
  FROM credit.subject s, generate_series(1, 3) g,
       (VALUES ('penalty_general'), ('license')) i(item)
 WHERE s.name LIKE 'Version Test%';
SELECT credit.run_evaluation('comprehensive_enterprise', DATE '2026-06-30') IS NOT NULL AS evaluated;
SELECT s.name, g.grade, round(g.score::numeric, 2) FROM credit.subject_grade g
  JOIN credit.subject s ON s.id = g.subject_id WHERE s.name LIKE 'Version Test%' ORDER BY s.name, g.model;
SELECT count(*) FROM credit.publicity_penalty;
};

my $catalog_sql = slurp_file("$top/tools/catalog.sql");
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', 'CREATE EXTENSION credit');
my $fresh = $node->safe_psql('fresh', $catalog_sql);
my $fresh_county = $node->safe_psql('fresh', $county);
like($fresh, qr/^extension credit \Q$default\E /m, "a fresh install is at version $default");

my @older = grep { $_ ne $default } @releases;
foreach my $v (@older)
{
	my $db = "from_" . ($v =~ s/\./_/gr);
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, "CREATE EXTENSION credit VERSION '$v'");
	$node->safe_psql($db, 'ALTER EXTENSION credit UPDATE');
	my $updated = $node->safe_psql($db, $catalog_sql);
	is($updated, $fresh, "release $v updated to $default has the catalog of a fresh install");
	is($node->safe_psql($db, $county), $fresh_county, "release $v updated to $default gives the same results");
}
note('no older release than ' . $default . ' yet: nothing to update') if !@older;

done_testing();
