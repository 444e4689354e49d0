# Settings that switch the triggers off (credit.restoring,
# credit.auto_evaluation) on a server that does not preload credit: a
# unit's clerk sets them in a fresh session before the library is loaded
# (an ordinary placeholder then, which any role may set).  The triggers read
# them through C accessors that load the library, which drops a placeholder
# its role had no right to set: every check still runs.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CreditTest;

my $node = credit_node('settings_unloaded');
$node->safe_psql('postgres', q{
CREATE EXTENSION credit;
CREATE ROLE unit_tax NOLOGIN IN ROLE credit_department;
CREATE ROLE clerk LOGIN IN ROLE unit_tax;
INSERT INTO credit.department (code, name, role) VALUES ('tax', 'Taxation bureau', 'unit_tax');
INSERT INTO credit.subject (id, kind, name) VALUES (1, 'enterprise', '江阴示例设置有限公司');
});

my ($rc, $out, $err);

# the placeholder is accepted while the library is not loaded ...
($rc, $out, $err) = psql_as($node, 'postgres', "SET credit.restoring = on; SHOW credit.restoring", 'clerk');
is($out, 'on', 'before credit is loaded, a clerk can set credit.restoring as a placeholder');

# ... and counts for nothing once a trigger reads it
($rc, $out, $err) = psql_as($node, 'postgres', q{
SET credit.restoring = on;
SET credit.auto_evaluation = off;
INSERT INTO credit.record (subject_id, item_code, department, decided_on)
VALUES (-1, 'penalty_general', 'tax', DATE '2025-03-01');
}, 'clerk');
like($err, qr/ERROR:  23503: /, 'a record of a subject that does not exist is still refused (23503)');
like($err, qr/permission denied to set parameter "credit.restoring"/, 'the placeholder is dropped when credit loads');

($rc, $out, $err) = psql_as($node, 'postgres', q{
SET credit.restoring = on;
SET credit.auto_evaluation = off;
SELECT credit.restoring(), credit.auto_evaluation();
}, 'clerk');
is($out, "f|t", 'the accessors load credit and read its own settings');

# a record written after the attempt is folded into the grades as usual
($rc, $out, $err) = psql_as($node, 'postgres', q{
SET credit.auto_evaluation = off;
INSERT INTO credit.record (subject_id, item_code, department, decided_on)
VALUES (1, 'penalty_general', 'tax', current_date - 1);
}, 'clerk');
is($rc, 0, 'the clerk writes its record');
is($node->safe_psql('postgres', 'SELECT count(*) > 0 FROM credit.subject_grade WHERE subject_id = 1'), 't',
	'and it was folded into the grades (auto-evaluation was not switched off)');

$node->stop;
done_testing();
