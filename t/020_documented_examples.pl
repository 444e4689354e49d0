# Every SQL example of README.md and docs/*.md runs as written and prints
# what the page shows.  Each page runs in a fresh database named county
# (CREATE EXTENSION credit first, unless the page creates it itself), on a
# server configured as docs/scheduling.md says, through one psql session
# fed the page's fenced sql blocks in order.  A plain fenced block right
# after a sql block is that block's output, compared line by line (trailing
# white space ignored); a sql block without one must not raise an error.
# The conventions are in docs/testing.md ("Documented examples").
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use File::Temp qw(tempdir);

my $src = $ENV{CREDIT_SRC} || '.';

# Fenced blocks of a Markdown page: { info, text, line }.  A fence may be
# indented (inside a list item); its indentation is taken off its lines.
sub fenced_blocks
{
	my ($path) = @_;
	open my $fh, '<', $path or die "$path: $!";
	my @lines = <$fh>;
	close $fh;
	my (@blocks, $cur, $indent, $after);
	for my $n (0 .. $#lines)
	{
		my $l = $lines[$n];
		if (!$cur)
		{
			if ($l =~ /^(\s*)```\s*([\w+-]*)\s*$/)
			{
				($indent, $cur) = ($1, { info => $2, text => '', line => $n + 1 });
				# what came between the previous block and this one
				$cur->{adjacent} = defined $after && $after !~ /\S/;
			}
			else { $after .= $l if defined $after; }
			next;
		}
		die "$path:" . ($n + 1) . ": a closing fence must stand alone on its line\n"
		  if $l =~ /^\s*```/ && $l !~ /^\s*```\s*$/;
		if ($l =~ /^\s*```\s*$/)
		{
			push @blocks, $cur;
			($cur, $after) = (undef, '');
			next;
		}
		$l =~ s/^\Q$indent\E//;
		$cur->{text} .= $l;
	}
	die "$path: unterminated fenced block at line $cur->{line}\n" if $cur;
	return @blocks;
}

# The sql examples of a page, each with the output block that follows it.
sub examples
{
	my @blocks = fenced_blocks(@_);
	my @ex;
	for my $i (0 .. $#blocks)
	{
		next unless $blocks[$i]{info} eq 'sql';
		my $next = $blocks[ $i + 1 ];
		my $out = ($next && $next->{info} eq '' && $next->{adjacent}) ? $next->{text} : undef;
		push @ex, { sql => $blocks[$i]{text}, expected => $out, line => $blocks[$i]{line} };
	}
	return @ex;
}

sub normalize
{
	my ($t) = @_;
	$t =~ s/[ \t]+$//mg;
	$t =~ s/^\n+//;
	$t =~ s/\s+\z//;
	return $t;
}

# The server as docs/scheduling.md and docs/security.md configure it: the
# first ini block of each.
my $conf = '';
for my $page ('docs/scheduling.md', 'docs/security.md')
{
	my ($block) = grep { $_->{info} eq 'ini' } fenced_blocks("$src/$page");
	die "$page has no ini block\n" unless $block;
	$conf .= $block->{text} . "\n";
}
my $node = PostgreSQL::Test::Cluster->new('docs');
$node->init;
$node->append_conf('postgresql.conf', "log_min_messages = warning\nlc_messages = 'C'\n" . $conf);
$node->start;

my @pages = ('README.md', map { s{^\Q$src\E/}{}r } sort glob("$src/docs/*.md"));
$ENV{PGCLIENTENCODING} = 'UTF8';
for my $page (@pages)
{
	my @ex = examples("$src/$page");
	next unless @ex;
	$node->safe_psql('postgres', 'DROP DATABASE IF EXISTS county WITH (FORCE)');
	$node->safe_psql('postgres',
		"CREATE DATABASE county TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'");
	my $own_install = grep { $_->{sql} =~ /^\s*CREATE EXTENSION (IF NOT EXISTS )?credit\b/mi } @ex;
	$node->safe_psql('county', 'CREATE EXTENSION credit') unless $own_install;

	my $script = '';
	for my $i (0 .. $#ex)
	{
		$script .= "\\echo '<<<example $i>>>'\n$ex[$i]{sql}\n";
	}
	$script .= "\\echo '<<<end>>>'\n";
	my $out = '';
	IPC::Run::run([ 'psql', '-X', '-q', '-d', $node->connstr('county') ],
		'<', \$script, '>&', \$out);
	my %got = $out =~ /<<<example (\d+)>>>\n(.*?)(?=<<<(?:example \d+|end)>>>)/sg;
	for my $i (0 .. $#ex)
	{
		my $name = "$page:$ex[$i]{line}";
		my $got = normalize($got{$i} // "(no output: psql stopped)\n$out");
		if (defined $ex[$i]{expected})
		{
			my $want = normalize($ex[$i]{expected});
			if ($got eq $want) { pass($name); next; }
			fail($name);
			diag("$name: the example printed\n$got\n\n... but the page shows\n$want\n");
		}
		elsif ($got =~ /^(ERROR|FATAL|PANIC):/m)
		{
			fail($name);
			diag("$name: the example shows no output but failed:\n$got\n");
		}
		else { pass($name); }
	}
}

$node->stop;
done_testing();
