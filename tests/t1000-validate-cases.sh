#!/bin/sh
# test-slow: 55
# cs-validate: the golden cases of tests/validate/cases.test, one test each
. "$(dirname "$0")/lib.sh"

# split the case file: case-N/title, args, input.src, expected, rejects.want
awk -v dir=. '
function fin() { if (n) { close(f_in); close(f_ex); close(f_rj); close(f_ar) } }
/^### / { fin(); n++; d = sprintf("%s/case-%03d", dir, n); system("mkdir -p " d)
	f_in = d "/input.src"; f_ex = d "/expected"; f_rj = d "/rejects.want"; f_ar = d "/args"
	printf "%s\n", substr($0, 5) > (d "/title"); close(d "/title")
	printf "" > f_in; printf "" > f_ex; printf "" > f_rj; printf "" > f_ar; part = 1; next }
!n { next }
part == 1 && /^args: / { print substr($0, 7) > f_ar; next }
/^>>>$/ { part = 2; next }
/^!!!$/ { part = 3; next }
part == 1 { print > f_in; next }
part == 2 && $0 != "" { print > f_ex; next }
part == 3 && $0 != "" { print > f_rj; next }
END { fin() }
' "$SRC_DIR/tests/validate/cases.test"

# the input: "@printf FORMAT" lines are the bytes printf makes of FORMAT, then a LF
make_input() { # DIR
	while IFS= read -r line; do
		case $line in
		"@printf "*) printf "${line#@printf }"; printf '\n' ;;
		*) printf '%s\n' "$line" ;;
		esac
	done <"$1/input.src" >"$1/input"
}

test_expect_success 'the case file has cases' '
	test -d case-001 && test -d case-100
'

for d in case-*; do
	title=$(cat "$d/title")
	make_input "$d"
	test_expect_success "$title" "
		cd $d &&
		eval \"cs-validate \$(cat args) --rejects rejects.ndjson input\" >out 2>err &&
		test_cmp expected out &&
		jq -r '\"\\(.error) \\(.reason)\"' rejects.ndjson >rejects.got &&
		test_cmp rejects.want rejects.got &&
		test_must_be_empty err
	"
done

test_done
