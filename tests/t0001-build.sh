#!/bin/bash
# The build: install and uninstall honour PREFIX, DESTDIR and MANPREFIX;
# every tool answers --help and --version; every man page lints clean.
. "$(dirname "$0")/lib.sh"

TOOLS="cs-put cs-tail cs-validate cs-store"

test_expect_success 'make install puts binaries and man pages under DESTDIR/PREFIX' '
	make -s -C "$SRC_DIR" install DESTDIR="$TRASH/root" PREFIX=/opt/cs >/dev/null &&
	for t in $TOOLS; do
		test -x "$TRASH/root/opt/cs/bin/$t" &&
		test -f "$TRASH/root/opt/cs/share/man/man1/$t.1" || return 1
	done &&
	test -f "$TRASH/root/opt/cs/share/man/man7/cs.7"
'

test_expect_success 'make uninstall removes exactly what install put there' '
	touch "$TRASH/root/opt/cs/bin/other-tool" &&
	make -s -C "$SRC_DIR" uninstall DESTDIR="$TRASH/root" PREFIX=/opt/cs >/dev/null &&
	find "$TRASH/root" -type f >files &&
	echo "$TRASH/root/opt/cs/bin/other-tool" >expect &&
	test_cmp expect files
'

for t in $TOOLS; do
	test_expect_success "$t --help prints usage on stdout and exits 0" "
		$t --help >out 2>err &&
		grep -q '^usage: $t' out &&
		test_must_be_empty err
	"
	test_expect_success "$t --version names the version" "
		$t --version >out &&
		grep -q '^$t [0-9][0-9.]*' out
	"
	test_expect_success "$t with an unknown option: one line, a hint, exit 2" "
		test_expect_code 2 $t --no-such-option >out 2>err &&
		test_must_be_empty out &&
		grep -q \"^$t: \" err &&
		grep -q \"^try '$t --help'\" err
	"
done

test_expect_success 'every man page lints clean with mandoc' '
	for m in "$SRC_DIR"/man/*.[17]; do
		mandoc -Tlint -W warning "$m" || return 1
	done
'

test_expect_success 'every man page has SYNOPSIS, OPTIONS, EXIT STATUS and EXAMPLES' '
	for m in "$SRC_DIR"/man/*.1; do
		for s in SYNOPSIS OPTIONS "EXIT STATUS" EXAMPLES; do
			grep -q "^\.Sh $s" "$m" || { echo "$m: no $s"; return 1; }
		done
	done
'

test_expect_success 'the pages of the tools that talk to AWS document their ENVIRONMENT' '
	for t in cs-put cs-tail cs-store; do
		grep -q "^\.Sh ENVIRONMENT" "$SRC_DIR/man/$t.1" || { echo "$t.1: no ENVIRONMENT"; return 1; }
	done
'

test_done
