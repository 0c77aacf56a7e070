#!/bin/sh
# cs-validate: the golden cases of tests/validate/cases.test, one test each
. "$(dirname "$0")/lib.sh"

# split the case file: case-N/title, input, expected, rejects
awk -v dir=. '
function fin() { if (n) { close(f_in); close(f_ex); close(f_rj) } }
/^### / { fin(); n++; d = sprintf("%s/case-%03d", dir, n); system("mkdir -p " d)
	f_in = d "/input"; f_ex = d "/expected"; f_rj = d "/rejects.want"
	printf "%s\n", substr($0, 5) > (d "/title"); close(d "/title")
	printf "" > f_in; printf "" > f_ex; printf "" > f_rj; part = 1; next }
!n { next }
/^>>>$/ { part = 2; next }
/^!!!$/ { part = 3; next }
part == 1 { print > f_in; next }
part == 2 && $0 != "" { print > f_ex; next }
part == 3 && $0 != "" { print > f_rj; next }
END { fin() }
' "$SRC_DIR/tests/validate/cases.test"

test_expect_success 'the case file has cases' '
	test -d case-001 && test -d case-100
'

for d in case-*; do
	title=$(cat "$d/title")
	test_expect_success "$title" "
		cd $d &&
		cs-validate --rejects rejects.ndjson input >out 2>err &&
		test_cmp expected out &&
		jq -r '\"\\(.error) \\(.reason)\"' rejects.ndjson >rejects.got &&
		test_cmp rejects.want rejects.got &&
		test_must_be_empty err
	"
done

test_done
