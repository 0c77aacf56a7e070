#!/bin/bash
# test-slow: 75
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

test_expect_success 'MANPREFIX puts the man pages elsewhere; uninstall finds them there' '
	make -s -C "$SRC_DIR" install DESTDIR="$TRASH/r2" PREFIX=/usr MANPREFIX=/usr/man >/dev/null &&
	test -x "$TRASH/r2/usr/bin/cs-validate" &&
	test -f "$TRASH/r2/usr/man/man1/cs-validate.1" &&
	test -f "$TRASH/r2/usr/man/man7/cs.7" &&
	! test -d "$TRASH/r2/usr/share/man" &&
	make -s -C "$SRC_DIR" uninstall DESTDIR="$TRASH/r2" PREFIX=/usr MANPREFIX=/usr/man >/dev/null &&
	test -z "$(find "$TRASH/r2" -type f)"
'

test_expect_success 'installed binaries run from where they were put' '
	make -s -C "$SRC_DIR" install DESTDIR="$TRASH/r3" PREFIX=/opt/x >/dev/null &&
	"$TRASH/r3/opt/x/bin/cs-validate" --version | grep -q "^cs-validate " &&
	make -s -C "$SRC_DIR" uninstall DESTDIR="$TRASH/r3" PREFIX=/opt/x >/dev/null
'

# the flags the Makefile settles on, for a given pkg-config
make_flags() { # PKG_CONFIG
	printf "print-flags:\n\t@echo \$(DEP_CFLAGS) \$(DEP_LIBS)\n" >flags.mk &&
	make -s --no-print-directory -C "$SRC_DIR" -f Makefile -f "$TRASH/flags.mk" \
	    PKG_CONFIG="$1" print-flags
}

test_expect_success 'libjq without a .pc file (Debian): -ljq, and a program links against it' '
	cat >pkgconf-nojq <<-\EOS &&
	#!/bin/sh
	for a; do [ "$a" = libjq ] && exit 1; done
	exec pkg-config "$@"
	EOS
	chmod +x pkgconf-nojq &&
	flags=$(make_flags "$TRASH/pkgconf-nojq") &&
	echo "$flags" &&
	case " $flags " in *" -ljq "*) ;; *) exit 1 ;; esac &&
	case " $flags " in *" -lcurl "*) ;; *) exit 1 ;; esac &&
	printf "#include <jq.h>\nint main(void) { jq_state *j = jq_init(); jq_teardown(&j); return 0; }\n" >jqtest.c &&
	cc -o jqtest jqtest.c $flags && ./jqtest
'

test_expect_success 'libjq with a .pc file: its flags are used' '
	mkdir -p pc &&
	printf "Name: libjq\nDescription: x\nVersion: 1.7\nLibs: -L/opt/jqtest/lib -ljq\nCflags: -I/opt/jqtest/include\n" >pc/libjq.pc &&
	flags=$(PKG_CONFIG_PATH="$TRASH/pc" make_flags pkg-config) &&
	echo "$flags" &&
	case " $flags " in *" -I/opt/jqtest/include "*) ;; *) exit 1 ;; esac &&
	case " $flags " in *" -L/opt/jqtest/lib -ljq "*) ;; *) exit 1 ;; esac
'

# the compiler flags make uses for lib/ and cmd/ (the version string aside: quotes)
make_cflags() {
	printf 'print-cflags:\n\t@echo $(filter-out -DCS_VERSION_STRING=%%,$(ALL_CPPFLAGS)) $(CFLAGS) $(WARN)\n' >cflags.mk
	make -s --no-print-directory -C "$SRC_DIR" -f Makefile -f "$TRASH/cflags.mk" print-cflags
}
# compile one file with those flags (in FLAGS), output to nowhere, messages to stdout
cat >"$TRASH/cc1" <<'EOS'
#!/bin/sh
exec cc $(cat "$FLAGS") -DCS_VERSION_STRING='"x"' -DSRCDIR='"x"' -Itests/unit -c -o /dev/null "$1" 2>&1
EOS
chmod +x "$TRASH/cc1"

test_expect_success 'no warnings under -Wall -Wextra, as make builds (every lib/, cmd/ and unit test file)' '
	make_cflags >flags &&
	grep -q -- "-Wall" flags && grep -q -- "-Wextra" flags &&
	(cd "$SRC_DIR" && ls lib/*/*.c cmd/*.c tests/unit/*.c |
		FLAGS=$TRASH/flags xargs -P 2 -n 1 "$TRASH/cc1") >warnings &&
	test_must_be_empty warnings
'

for t in $TOOLS; do
	test_expect_success "$t --help prints usage on stdout and exits 0" "
		$t --help >out 2>err &&
		grep -q '^usage: $t' out &&
		test_must_be_empty err
	"
	test_expect_success "$t --version names its version and those of libcurl and OpenSSL" "
		$t --version >out &&
		grep -q '^$t [0-9][0-9.]* (libcurl/[0-9][0-9.]* OpenSSL [0-9]' out
	"
	test_expect_success "$t with an unknown option: one line, a hint, exit 2" "
		test_expect_code 2 $t --no-such-option >out 2>err &&
		test_must_be_empty out &&
		printf '%s\\n' \"$t: unknown option '--no-such-option'\" \"try '$t --help'\" >expect &&
		test_cmp expect err &&
		test_expect_code 2 $t -Z 2>err &&
		printf '%s\\n' \"$t: unknown option '-Z'\" \"try '$t --help'\" >expect &&
		test_cmp expect err
	"
	test_expect_success "$t with an option missing its argument says so" "
		opt=--rejects && if test $t = cs-tail; then opt=--checkpoint; fi &&
		test_expect_code 2 $t \$opt 2>err &&
		printf '%s\\n' \"$t: option '\$opt' needs an argument\" \"try '$t --help'\" >expect &&
		test_cmp expect err
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

test_expect_success '.ci/run runs make check and nothing else' '
	grep -v "^#" "$SRC_DIR/.ci/run" | grep -v "^set -e$" | grep -v "^cd " | grep -v "^$" >cmds &&
	echo "exec make check" >expect &&
	test_cmp expect cmds
'

test_expect_success 'the README has the two commands, a pipeline, real AWS and the man pages' '
	r="$SRC_DIR/README.md" &&
	grep -q "^    make demo" "$r" && grep -q "^    make check" "$r" &&
	grep -q "^## A pipeline" "$r" && grep -q "cs-tail .*| cs-validate .*|" "$r" &&
	grep -q "^## Against real AWS" "$r" && grep -q "man/cs-put.1" "$r"
'

test_done
