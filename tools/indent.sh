#!/usr/bin/env bash
# make indent: format src/*.c and src/*.h with PostgreSQL's pgindent and
# pg_bsd_indent, with a typedefs list of the extension's objects.
#   PGINDENT        the pgindent script (default: pgindent on PATH, else
#                   $PG_SOURCE/src/tools/pgindent/pgindent)
#   PG_BSD_INDENT   pg_bsd_indent (default: pg_bsd_indent on PATH, else built
#                   from $PG_SOURCE/src/tools/pg_bsd_indent into .indent/)
#   PG_SOURCE       a PostgreSQL source tree, 16 or later (pg_bsd_indent lives
#                   in the tree from 16 on); its typedefs.list is added
#   INDENT_CHECK=1  only list the files pgindent would change (exit 2 if any)
# The typedefs list: every typedef the compiler recorded in the debugging
# information of the built objects (the PostgreSQL buildfarm's method), plus
# PostgreSQL's own list when PG_SOURCE is set; written to .indent/typedefs.list.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/common.sh
mkdir -p .indent

find_tool() {  # find_tool NAME VAR_VALUE SOURCE_PATH
    if [ -n "$2" ]; then echo "$2"
    elif command -v "$1" >/dev/null; then command -v "$1"
    elif [ -n "${PG_SOURCE:-}" ] && [ -e "$PG_SOURCE/$3" ]; then echo "$PG_SOURCE/$3"
    fi
}

pgindent=$(find_tool pgindent "${PGINDENT:-}" src/tools/pgindent/pgindent)
[ -n "$pgindent" ] || die "pgindent not found: set PGINDENT, or PG_SOURCE to a PostgreSQL source tree (docs/testing.md)"

indent=$(find_tool pg_bsd_indent "${PG_BSD_INDENT:-}" .none)
if [ -z "$indent" ]; then
    src=${PG_SOURCE:-}/src/tools/pg_bsd_indent
    [ -n "${PG_SOURCE:-}" ] && [ -f "$src/indent.c" ] \
        || die "pg_bsd_indent not found: set PG_BSD_INDENT, or PG_SOURCE to a PostgreSQL 16+ source tree"
    indent=$PWD/.indent/pg_bsd_indent
    if [ ! -x "$indent" ]; then
        echo "== building pg_bsd_indent from $src"
        # its sources include c.h; pg_noreturn is the PostgreSQL 18 spelling
        # of what older headers call pg_attribute_noreturn()
        ${CC:-gcc} -O2 -Dpg_noreturn=_Noreturn -I"$src" -I"$("$PG_CONFIG" --includedir-server)" \
            -o "$indent" "$src"/{args,err,indent,io,lexi,parse,pr_comment}.c \
            -L"$("$PG_CONFIG" --pkglibdir)" -L"$("$PG_CONFIG" --libdir)" -lpgcommon -lpgport
    fi
fi

echo "== typedefs of the built objects"
make -s PG_CONFIG="$PG_CONFIG" >/dev/null
objdump -W src/*.o 2>/dev/null | grep -A3 'DW_TAG_typedef' \
    | awk '$0 ~ /DW_AT_name/ { print $NF }' | grep -E '^[A-Za-z_][A-Za-z0-9_]*$' > .indent/typedefs.own
{ cat .indent/typedefs.own
  if [ -n "${PG_SOURCE:-}" ] && [ -f "$PG_SOURCE/src/tools/pgindent/typedefs.list" ]; then
      cat "$PG_SOURCE/src/tools/pgindent/typedefs.list"
  fi
} | sort -u > .indent/typedefs.list
echo "   $(wc -l < .indent/typedefs.list) typedefs"

files=$(ls src/*.c src/*.h)
if [ -n "${INDENT_CHECK:-}" ]; then
    # --diff from PostgreSQL 17's pgindent on, --show-diff in 16's
    diffopt=--diff
    perl "$pgindent" --help 2>/dev/null | grep -q -- '--diff ' || diffopt=--show-diff
    perl "$pgindent" --indent="$indent" --typedefs=.indent/typedefs.list $diffopt $files > .indent/diff
    { grep '^--- ' .indent/diff || true; } | sed 's/^--- //;s/\t.*//' > .indent/changed
    [ -s .indent/changed ] || { echo "every file is formatted"; exit 0; }
    echo "pgindent would change:"; cat .indent/changed; exit 2
else
    perl "$pgindent" --indent="$indent" --typedefs=.indent/typedefs.list $files
    # pg_bsd_indent uses the byte 0x80 as a marker and rewrites it in code
    # outside comments, which breaks a UTF-8 string literal containing it
    # (通 is E9 80 9A): such literals must sit between /* INDENT OFF */ and
    # /* INDENT ON */.  A file left as invalid UTF-8 is an error.
    bad=0
    for f in $files; do
        iconv -f UTF-8 -t UTF-8 "$f" >/dev/null 2>&1 || { echo "$f: no longer valid UTF-8 (a literal with the byte 0x80?): git checkout $f and fence the literal" >&2; bad=1; }
    done
    git status --short src
    [ "$bad" = 0 ] || die "pg_bsd_indent broke UTF-8 literals"
fi
