# A LISTEN credit_grade_change client receives one notification per grade
# change, each naming the change (its id, model and cause) and carrying no
# personal data (no subject, no grades): any role that can connect may LISTEN.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CreditTest;

my $node = credit_node('notify');
$node->safe_psql('postgres', q{
CREATE EXTENSION credit;
INSERT INTO credit.department (code, name) VALUES ('ntf', 'Notification test unit');
INSERT INTO credit.subject (id, kind, name, industries)
SELECT 970000 + g, 'enterprise', 'Notification test Co. ' || g,
       CASE WHEN g % 2 = 0 THEN '{work_safety}'::text[] ELSE '{}' END
  FROM generate_series(1, 20) g;
SELECT credit.run_evaluation('comprehensive_enterprise');
SELECT credit.run_evaluation('industry_work_safety');
});

my $listener = $node->background_psql('postgres');
$listener->query_safe('LISTEN credit_grade_change');

# Grade changes of several kinds: a bulk insert (some subjects change, some
# do not; work-safety records also move industry grades, whose new grade
# records move the comprehensive grade again), objections, a deletion, and
# one transaction in which the same change happens twice (A -> B twice;
# folding at each statement: at commit, the default, only a transaction's
# net change is logged).
$node->safe_psql('postgres', q{
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
SELECT 970001 + g % 20,
       (ARRAY['penalty_general', 'penalty_serious', 'honour_city', 'work_safety_key_supervision', 'license'])[1 + g % 5],
       'ntf', CURRENT_DATE - g, 'ntf-' || g
  FROM generate_series(0, 59) g;
UPDATE credit.record SET status = 'objected' WHERE document_no IN ('ntf-1', 'ntf-6', 'ntf-11');
DELETE FROM credit.record WHERE document_no IN ('ntf-21', 'ntf-26');
BEGIN;
SET LOCAL credit.fold_at = 'statement';
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
    VALUES (970003, 'honour_national', 'ntf', CURRENT_DATE, 'ntf-up');
DELETE FROM credit.record WHERE document_no = 'ntf-up';
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
    VALUES (970003, 'honour_national', 'ntf', CURRENT_DATE, 'ntf-up');
DELETE FROM credit.record WHERE document_no = 'ntf-up';
COMMIT;
});

my $changes = $node->safe_psql('postgres',
	"SELECT count(*) FROM credit.grade_change WHERE subject_id > 970000");
cmp_ok($changes, '>=', 10, "grade changes happened: $changes");

# psql prints each notification it received after the next command
my $out = $listener->query_safe('SELECT 1');
my @notes;
@notes = ($out =~ /with payload "(\{.*?\})" received from server process/g);
is(scalar(@notes), $changes, 'one notification per grade change');

# each payload names the grade_change row it announces, with nothing else
my $values = join(',', map { my $p = $_; $p =~ s/'/''/g; "('$p'::json)" } @notes);
my $mismatch = $node->safe_psql('postgres', qq{
SELECT count(*) FROM (VALUES $values) v(p)
 LEFT JOIN credit.grade_change c ON c.id = (v.p->>'id')::bigint
 WHERE c.id IS NULL OR c.model <> v.p->>'model' OR c.cause <> v.p->>'cause'
    OR (SELECT array_agg(k ORDER BY k) FROM json_object_keys(v.p) k) <> '{cause,id,model}'
});
is($mismatch, '0', 'every payload names its change (id, model, cause) and nothing more');
my $distinct = $node->safe_psql('postgres', qq{
SELECT count(DISTINCT (v.p->>'id')) FROM (VALUES $values) v(p)});
is($distinct, $changes, 'no change notified twice');
my $twice = $node->safe_psql('postgres', q{
SELECT string_agg(old_grade || '>' || new_grade, ' ' ORDER BY id) FROM credit.grade_change
 WHERE subject_id = 970003 AND model = 'comprehensive_enterprise'
   AND changed_at = (SELECT max(changed_at) FROM credit.grade_change WHERE subject_id = 970003)});
is($twice, 'B>A A>B B>A A>B', 'the same change twice in one transaction is logged (and notified) twice');

# folding at commit: a transaction whose changes cancel out logs nothing
$node->safe_psql('postgres', q{
BEGIN;
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
    VALUES (970003, 'honour_national', 'ntf', CURRENT_DATE, 'ntf-net');
DELETE FROM credit.record WHERE document_no = 'ntf-net';
INSERT INTO credit.record (subject_id, item_code, department, decided_on, document_no)
    VALUES (970005, 'penalty_serious', 'ntf', CURRENT_DATE, 'ntf-net');
UPDATE credit.record SET status = 'objected' WHERE document_no = 'ntf-net';
COMMIT;
});
is($node->safe_psql('postgres', "SELECT count(*) FROM credit.grade_change WHERE subject_id > 970000"),
	$changes, 'a transaction whose changes cancel out logs no grade change at commit');
$out = $listener->query_safe('SELECT 1');
is(scalar(() = $out =~ /with payload/g), 0, 'and notifies none');

$listener->quit;
$node->stop;
done_testing();
